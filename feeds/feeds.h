/*
 * feeds.h - shared blocklist feeds: parsing, merging, diffing, publishing.
 *
 * feeds/ is pure code (no database, no sockets; feed_fetch.c is the one
 * file that talks HTTP, through libcurl).  A feed file in any supported
 * format is parsed into a struct feed_list of normalised entries; lists
 * from several subscriptions are merged by trust and quorum; the merged
 * list is diffed against the server's current blocks into a change set;
 * the server's own approved blocks are published in every format with a
 * detached Ed25519 signature.  See formats.md §B-§D for the formats.
 *
 * Ownership: every struct here owns its strings; free lists with
 * feed_list_free().  Thread-safety: no shared state; any function may run
 * in any thread on its own data.
 */
#ifndef MODERD_FEEDS_H
#define MODERD_FEEDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moderd.h"

/* Mastodon's severities, in increasing order (the merge lattice). */
enum feed_severity { FEED_SEV_NOOP, FEED_SEV_SILENCE, FEED_SEV_SUSPEND };

enum feed_format {
	FEED_FMT_AUTO,
	FEED_FMT_MASTODON_CSV, /* #domain,#severity,... (admin export) */
	FEED_FMT_FBH_CSV, /* FediBlockHole CSV (plain header) */
	FEED_FMT_MASTODON_JSON, /* /api/v1/instance/domain_blocks */
	FEED_FMT_MASTODON_ADMIN_JSON, /* /api/v1/admin/domain_blocks */
	FEED_FMT_GTS_JSON, /* GoToSocial list */
	FEED_FMT_TEXT, /* one domain per line, # comments */
	FEED_FMT_RAPIDBLOCK_JSON,
	FEED_FMT_COUNT
};

/*
 * One normalised block.  40 bytes: a feed of 100k entries is one array
 * of these, and a merge holds ten such feeds at once, so the flags are
 * bit-fields and the severity one byte.
 */
struct feed_entry {
	char *domain; /* lowercase, punycode, no trailing dot;
	               * the masked form if obfuscated */
	char *public_comment; /* may be NULL */
	char *private_comment; /* may be NULL */
	char *digest; /* SHA-256 hex of the real name (64 lowercase hex
	               * digits), or NULL (see feed_parse();
	               * feed_entry_digest() computes it) */
	int           line; /* where it was in the file (1-based) */
	unsigned char severity; /* an enum feed_severity */
	bool          reject_media : 1;
	bool          reject_reports : 1;
	bool          obfuscate : 1; /* the publisher asked to mask it */
	bool          obfuscated : 1; /* the name is masked ('*') */
};

struct feed_arena;

struct feed_list {
	struct feed_entry *v;
	size_t             n;
	enum feed_format   format; /* detected or given */
	size_t             canaries; /* canary rows seen (kept, reported) */
	struct feed_arena *pool; /* private: feed_parse()'s strings; NULL
	                          * in a list built by hand */
};

/* Names of formats ("mastodon-csv", ...) and back (-1 if unknown). */
const char *feed_format_name(enum feed_format f);
int         feed_format_from_name(const char *s);
const char *feed_severity_name(enum feed_severity s);
int         feed_severity_from_name(const char *s);

/*
 * feed_list_free: free entries and strings; l may be reused.  NULL-safe.
 * A list feed_parse() made keeps its strings in l->pool (comments are
 * shared between entries): do not free, replace or write them.  A list
 * built by hand (pool NULL) has each string freed with free().
 */
void feed_list_free(struct feed_list *l);

/*
 * Parsing (feed_parse.c, feed_csv.c, feed_json.c, feed_text.c,
 * feed_domain.c).
 */

/*
 * feed_parse: parse the feed document buf[0..len) in format fmt
 * (FEED_FMT_AUTO detects it) into *out, which must be empty
 * (zero-initialised or feed_list_free()d); the caller frees it with
 * feed_list_free().  name labels messages ("NAME:LINE: message"; for JSON
 * feeds LINE is the 1-based position of the entry in its array or
 * object).  A bad line or entry is reported to errs and skipped; the rest
 * of the feed is still read.  Domains are normalised with
 * feed_domain_normalise(); duplicates within the feed are merged into one
 * entry: the most severe one wins (the first of equals) and keeps its
 * line and comments, flags and obfuscate are OR-ed, a comment or digest
 * it lacks is taken from a duplicate, and the entry stays where the first
 * duplicate was.
 * Canary rows are kept and counted in out->canaries.  errs may be NULL.
 * digest is the one the feed published for masked names (NULL if none),
 * and NULL for real names: most are never needed, so feed_digest()
 * computes one on demand (feed_entry_digest(), feed_entry_json()).
 *
 * Returns 0 when at least one entry was read; MOD_EINVAL when the feed is
 * empty, has no usable entry, is not valid JSON or has no CSV header;
 * MOD_ETOOBIG when it is larger than MOD_MAX_FEED_BYTES or has more than
 * MOD_MAX_FEED_ENTRIES_COUNT entries.  On failure out has no entries (its
 * format is still set when known) and errs says why.  Never partial:
 * an error about the feed as a whole never leaves some entries behind.
 * Thread-safe.
 */
int feed_parse(const char *name, const char *buf, size_t len,
    enum feed_format fmt, struct feed_list *out,
    struct mod_errlist *errs) MOD_MUSTCHECK;

/*
 * feed_domains_read: the domains of a list file at path, one per
 * line; # starts a comment, blank lines are skipped; each is normalised
 * with feed_domain_normalise() (masked names are refused).  A bad line is
 * reported to errs (which may be NULL) as "PATH:LINE: message" and
 * skipped.  *v (caller frees with feed_domains_free()) gets the
 * names, *n their count.  Returns 0 (also when lines were skipped), or
 * MOD_ENOENT, MOD_EIO or MOD_ETOOBIG (over MOD_MAX_FEED_DOMAINS_FILE_BYTES
 * or MOD_MAX_FEED_KNOWN_DOMAINS_COUNT names) with one message in errs and
 * *v NULL.  An empty path is an empty list.
 */
int feed_domains_read(const char *path, char ***v, size_t *n,
    struct mod_errlist *errs) MOD_MUSTCHECK;

/* feed_domains_free: free what feed_domains_read() gave. */
void feed_domains_free(char **v, size_t n);

/*
 * feed_domain_normalise: the domain in[0..len) as moderd stores it:
 * surrounding white space trimmed, one trailing dot removed, lowercased,
 * IDN converted to punycode (UTS #46, nontransitional, STD3 rules, bidi
 * and CONTEXTJ checks), into out (outsz >= MOD_MAX_DOMAIN_BYTES + 1).
 * Rejected with MOD_EINVAL and a message in err: an empty name, host:port,
 * IP address literals, single-label names (a whole TLD), empty labels,
 * labels over MOD_MAX_DOMAIN_LABEL_BYTES, names over MOD_MAX_DOMAIN_BYTES,
 * and any character not allowed in a host name.  A name containing '*'
 * is a masked (obfuscated) name as Mastodon publishes them: it is kept
 * lowercased, without IDN conversion, and *masked (which may be NULL) is
 * set; otherwise *masked is cleared.  MOD_ETOOBIG if outsz is too small.
 * Thread-safe.
 */
int feed_domain_normalise(const char *in, size_t len, char *out, size_t outsz,
    bool *masked, struct mod_err *err) MOD_MUSTCHECK;

/*
 * feed_digest: out = lowercase hex SHA-256 of domain (Mastodon's
 * domain_digest), NUL-terminated.  domain should be normalised.
 */
void feed_digest(const char *domain, char out[65]);

/*
 * feed_entry_digest: out = e's digest: e->digest if set, else the
 * SHA-256 of a real name (feed_parse() leaves those NULL), else "" (a
 * masked name published without one).
 */
void feed_entry_digest(const struct feed_entry *e, char out[65]);

/*
 * feed_entry_is_canary: whether e is a canary row ("delete this line if
 * you have read the documentation"), by its domain or comments.
 */
bool feed_entry_is_canary(const struct feed_entry *e);

/*
 * feed_entry_json: e as one line of compact JSON (no newline), the format
 * of `moderctl feeds parse`: domain, severity, reject_media,
 * reject_reports, public_comment (null if none), private_comment (only if
 * set), obfuscate, obfuscated, digest (null if unknown), and canary: true
 * for canary rows only.  Caller frees with free().
 */
char *feed_entry_json(const struct feed_entry *e);

struct buf;
struct feed_merge_pool;

/*
 * Domain tables (feed_merge.c): a hash map from domain names to 32-bit
 * values with Mastodon's longest-match lookup (DomainBlock.rule_for: the
 * name itself, then each parent, longest first).  Keys are borrowed and
 * must outlive the table.  Not thread-safe for writers; concurrent
 * readers are fine.
 */
struct feed_domtab;

/* feed_domtab_new: an empty table sized for about hint names. */
struct feed_domtab *feed_domtab_new(size_t hint);

/*
 * feed_domtab_put: map domain to value.  Returns true if it was added;
 * false if domain was already there, in which case *old (if not NULL)
 * receives the value kept, which is not replaced.
 */
bool feed_domtab_put(
    struct feed_domtab *t, const char *domain, uint32_t value, uint32_t *old);

/* feed_domtab_get: exact lookup; false if domain is not in t. */
bool feed_domtab_get(
    const struct feed_domtab *t, const char *domain, uint32_t *value);

/*
 * feed_domtab_match: longest match of domain or (parents_only) of its
 * parents only; *matched (may be NULL) points into domain at the suffix
 * that matched.  False if no suffix is in t.
 */
bool feed_domtab_match(const struct feed_domtab *t, const char *domain,
    bool parents_only, uint32_t *value, const char **matched);

/* feed_domtab_count: names in t. */
size_t feed_domtab_count(const struct feed_domtab *t);

/* feed_domtab_free: NULL-safe. */
void feed_domtab_free(struct feed_domtab *t);

/*
 * feed_stricter_or_equal: Mastodon's order on blocks (DomainBlock
 * #stricter_than?, made reflexive): a suspend is at least as strict as
 * anything (its flags do not matter); otherwise a is at least as strict
 * as b when its severity and both reject flags are each >= b's.
 */
bool feed_stricter_or_equal(enum feed_severity as, bool a_media,
    bool a_reports, enum feed_severity bs, bool b_media, bool b_reports);

/*
 * Merging (feed_merge.c).
 *
 * Mastodon semantics: a block covers its subdomains and the longest match
 * wins.  Each domain some feed lists is one candidate; a feed supports a
 * candidate through its own longest match, so a feed listing example.com
 * also supports sub.example.com (an "inherited" support) unless it lists
 * sub.example.com itself, whose entry then speaks for it.  Per candidate:
 * every supporting feed's severity is capped at its max_severity; the
 * severity is the max or min over supporters on noop < silence < suspend,
 * reject_media and reject_reports OR-ed (max) or AND-ed (min); trust is
 * the sum of the supporters' trust (each feed once), and the candidate is
 * blocked if trust >= quorum.  A cap limits what a feed can ask for, not
 * its weight: a feed capped at noop still counts toward the quorum.
 *
 * Excludes always win: a candidate equal to an exclude, under one, or
 * above one (a block on example.com would cover our own
 * social.example.com) is excluded.  A blocked candidate whose longest
 * blocked parent is at least as strict (feed_stricter_or_equal) is kept
 * with state COVERED and covered_by set: it is supported, but needs no
 * block of its own (Mastodon would refuse it with "already imposed
 * stricter limits"), and feed_diff() never proposes it.
 *
 * Masked names ("exa****.*om") are resolved by their digest against
 * known_domains and excludes (SHA-256 of each); a resolved entry counts
 * for the real name (support.resolved, listed_as the masked name).  The
 * others are listed in unresolved, grouped by digest (or by masked name
 * when the feed gave no digest), with their support and trust but never
 * blocked.
 */
struct feed_source {
	const char             *name; /* unique, no ','; e.g. config name */
	double                  trust; /* weight toward the quorum, >= 0 */
	enum feed_severity      max_severity; /* cap on its severities */
	const struct feed_list *list; /* its last good parse */
	const char             *revision; /* fetch revision; may be NULL */
};

enum feed_merge_mode { FEED_MERGE_MAX, FEED_MERGE_MIN };

struct feed_merge_opts {
	double               quorum; /* total trust a block needs */
	enum feed_merge_mode mode;
	const char *const   *excludes; /* own domains, allowlisted peers */
	size_t               nexcludes;
	const char *const   *known_domains; /* normalised; for digests */
	size_t               nknown;
};

/* One feed's say on one merged domain: the provenance.  40 bytes (a
 * merge of ten big feeds holds a million). */
struct feed_support {
	const char *public_comment; /* the feed's, may be NULL */
	const char *private_comment; /* the feed's, may be NULL */
	const char *listed_as; /* the feed's own entry when not this name:
	                        * the parent it inherits from, or the masked
	                        * name it was resolved from; else NULL */
	uint32_t      source; /* index into feed_merged.sources */
	int           line; /* of the feed's entry */
	unsigned char severity; /* as the feed listed it (feed_severity) */
	unsigned char effective; /* after the feed's cap (feed_severity) */
	bool          reject_media : 1, reject_reports : 1;
	bool          obfuscate : 1; /* asked to mask, or listed masked */
	bool          inherited : 1; /* via a parent domain */
	bool          resolved : 1; /* listed masked, resolved by digest */
};

enum feed_merge_state {
	FEED_MERGED_BLOCK, /* in the result */
	FEED_MERGED_COVERED, /* in the result, covered by covered_by */
	FEED_MERGED_BELOW, /* quorum not met */
	FEED_MERGED_EXCLUDED, /* removed by an exclude */
	FEED_MERGED_UNRESOLVED /* masked name, digest unknown */
};

struct feed_merged_entry {
	const char *domain; /* real name; the masked one if unresolved */
	const char *digest; /* unresolved only: the feed's digest or "" */
	const char *public_comment; /* of the most trusted supporter at
	                             * the merged severity; may be NULL */
	const char          *covered_by; /* COVERED: the parent entry's name */
	struct feed_support *sup; /* by source index */
	size_t               nsup;
	double               trust; /* sum over sup */
	enum feed_merge_state state;
	enum feed_severity    severity;
	bool                  reject_media, reject_reports;
	bool                  obfuscate; /* some supporter masks it */
};

struct feed_merged_source {
	char              *name;
	char              *revision; /* may be NULL */
	double             trust;
	enum feed_severity max_severity;
	size_t             entries; /* in its list */
};

/*
 * The result, every array sorted by domain (unresolved: by masked name,
 * then digest), so the output is a function of the input alone.  Owns
 * all its strings; free with feed_merged_free().
 */
struct feed_merged {
	struct feed_merged_source *sources; /* as given, in order */
	size_t                     nsources;
	struct feed_merged_entry  *v; /* BLOCK and COVERED */
	size_t                     n;
	struct feed_merged_entry  *below;
	size_t                     nbelow;
	struct feed_merged_entry  *excluded;
	size_t                     nexcluded;
	struct feed_merged_entry  *unresolved;
	size_t                     nunresolved;
	struct feed_merge_pool    *pool; /* private: strings, index */
};

/*
 * feed_merge: merge nsrc feeds (at most MOD_MAX_FEED_SOURCES_COUNT) into
 * *out as described above.  Excludes are normalised with
 * feed_domain_normalise(); known_domains are used as given.  Returns 0;
 * MOD_EINVAL (err says why) for a NULL list, a duplicate or
 * comma-containing source name, a negative or non-finite trust or quorum,
 * or an invalid exclude; MOD_ETOOBIG for too many sources or excludes.
 * On error *out is empty.  Hashing throughout and one sort of the
 * distinct names (figures: `make bench`, bench_feeds.c).
 */
int feed_merge(const struct feed_source *src, size_t nsrc,
    const struct feed_merge_opts *opts, struct feed_merged *out,
    struct mod_err *err) MOD_MUSTCHECK;

/*
 * feed_merged_find: the entry for exactly domain in v, below or
 * excluded, or NULL.  feed_merged_match: the longest match (domain, then
 * its parents) there, or NULL.
 */
const struct feed_merged_entry *feed_merged_find(
    const struct feed_merged *m, const char *domain);
const struct feed_merged_entry *feed_merged_match(
    const struct feed_merged *m, const char *domain);

/* feed_merged_excluded: whether domain is equal to, under or above one
 * of the merge's excludes. */
bool feed_merged_excluded(const struct feed_merged *m, const char *domain);

/* feed_merged_free: NULL-safe; m may be reused. */
void feed_merged_free(struct feed_merged *m);

/*
 * Diffing (feed_diff.c): the merged result against the server's blocks.
 *
 * - add: a BLOCK entry with no block of its own name, unless a parent
 *   block on the server is at least as strict (Mastodon would refuse it)
 *   or the entry is a noop without reject flags (it would do nothing).
 * - change: a BLOCK entry whose block differs, if moderd created that
 *   block; a block moderd did not create is only ever made stricter.
 *   Suspends that differ only in their reject flags are equal.
 * - retract: a block moderd created that is no longer in the result, when
 *   every feed named in its `feeds` no longer lists it (directly or
 *   through a parent) and it is not excluded.  A block whose feeds are
 *   unknown (NULL or "") is never retracted.  A feed absent from the
 *   merge's sources counts as having dropped it, so pass every
 *   subscribed feed, with its last good list when a fetch failed.
 * COVERED entries are never added, changed or retracted.
 *
 * Each change has a fingerprint: BLAKE2b-256 hex of the kind, the
 * domain, the proposed values, the server's block if any and, per
 * supporting feed, its name, effective severity, flags and the name it
 * listed (not comments or revisions, so a refetch alone does not change
 * it); a retraction's also covers the block's recorded feeds.  A change
 * matching a remembered rejection (same domain, kind and fingerprint) is
 * suppressed; when its sources change it is proposed again.
 *
 * Safety rail: with max_share > 0, if the adds or the retractions number
 * more than max_share * ncur, the whole set is `held`: one change set
 * needing explicit sign-off, not individual proposals.  With no current
 * blocks any add holds the set.
 */
struct feed_current {
	const char        *domain;
	enum feed_severity severity;
	bool               reject_media, reject_reports;
	bool               created_by_moderd;
	const char        *feeds; /* "a,b": feeds that supported it when
	                           * moderd created it; NULL if unknown */
};

enum feed_change_kind {
	FEED_CHANGE_ADD,
	FEED_CHANGE_CHANGE,
	FEED_CHANGE_RETRACT
};

struct feed_rejection {
	const char           *domain;
	enum feed_change_kind kind;
	const char           *fingerprint; /* of the rejected change */
};

struct feed_diff_opts {
	double max_share; /* e.g. 0.2; <= 0 never holds */
	const struct feed_rejection *rejections;
	size_t                       nrejections;
};

struct feed_change {
	enum feed_change_kind kind;
	const char           *domain;
	/* proposed values (add, change); the block's own (retract) */
	enum feed_severity severity;
	bool               reject_media, reject_reports, obfuscate;
	const char        *public_comment;
	/* provenance: the merged entry (add, change; for a retraction the
	 * longest match still listed below the quorum, if any), and the
	 * server's block (change, retract) */
	const struct feed_merged_entry *entry;
	const struct feed_current      *current;
	char                            fingerprint[65];
};

/* Borrows from the merged result and the current blocks. */
struct feed_diff {
	struct feed_change *v; /* by domain */
	size_t              n;
	size_t              nadd, nchange, nretract;
	size_t              suppressed; /* by remembered rejections */
	bool                held;
};

/*
 * feed_diff: the changes from cur[0..ncur) to m, into *out.  The
 * result borrows from m and cur, which must outlive it.  Returns 0, or
 * MOD_EINVAL for a NaN max_share or a duplicate current domain.
 */
int feed_diff(const struct feed_merged *m, const struct feed_current *cur,
    size_t ncur, const struct feed_diff_opts *opts, struct feed_diff *out,
    struct mod_err *err) MOD_MUSTCHECK;

/* feed_change_kind_name: "add", "change", "retract". */
const char *feed_change_kind_name(enum feed_change_kind k);

/* feed_diff_free: NULL-safe; d may be reused. */
void feed_diff_free(struct feed_diff *d);

/*
 * Publishing (feed_publish.c): the server's approved blocks as a feed.
 * Entries are written sorted by domain.  Names must be real (not
 * masked: MOD_EINVAL).  Output is appended to out; MOD_ETOOBIG when it
 * would pass out's cap (out is then left as it was).
 *
 * FEED_FMT_MASTODON_CSV: Mastodon's admin export exactly: header
 *   "#domain,#severity,#reject_media,#reject_reports,#public_comment,
 *   #obfuscate", rows of real names, severity names, true/false; noop
 *   blocks only if they reject media (DomainBlock.with_limitations);
 *   fields quoted as Ruby's CSV does (empty strings, ',', '"'); line
 *   breaks inside comments written as spaces (line-based readers would
 *   take the rest for a row); LF line ends.  Never a private comment.
 * FEED_FMT_FBH_CSV: FediBlockHole's export (Python csv): header
 *   "domain,severity,reject_media,reject_reports,public_comment,
 *   obfuscate", True/False, CRLF; same rows as above.
 * FEED_FMT_TEXT: one name per line, suspends only (plain-list consumers
 *   such as GoToSocial treat every line as a suspend).
 * FEED_FMT_MASTODON_JSON: /api/v1/instance/domain_blocks: an array of
 *   {domain, digest, severity, comment}, silence and suspend only, the
 *   domain masked with feed_mask() when obfuscate is set, comment null
 *   when there is none; one object per line.
 * FEED_PUBLISH_OMIT_OBFUSCATED leaves obfuscate entries out of the
 * formats that carry real names (both CSVs and text).
 */
#define FEED_PUBLISH_OMIT_OBFUSCATED 0x1u

int feed_publish(enum feed_format fmt, const struct feed_entry *v, size_t n,
    unsigned flags, struct buf *out) MOD_MUSTCHECK;

/*
 * feed_mask: Mastodon's public_domain: with n = strlen(domain) and v =
 * n / 4, every byte at index i with v < i < n - v that is not '.' becomes
 * '*' (example.com -> exa****.*om).  out holds strlen(domain) + 1 bytes.
 */
void feed_mask(const char *domain, char *out, size_t outsz);

/* One change to the published list, as the change feed serves it. */
struct feed_change_record {
	int64_t               id; /* > 0, strictly increasing */
	int64_t               at_ms; /* when, ms since the epoch (UTC) */
	enum feed_change_kind kind; /* added, changed, retracted */
	const char           *domain; /* real name */
	enum feed_severity    severity;
	bool                  reject_media, reject_reports, obfuscate;
	const char           *public_comment; /* may be NULL */
};

/*
 * feed_publish_changes: the change feed after cursor as one JSON object
 * {"cursor":N,"more":B,"changes":[{"id","type":"added|changed|retracted",
 * "at","domain","digest","severity","reject_media","reject_reports",
 * "comment"}...]}, at most limit records (0 or more than
 * MOD_MAX_FEED_CHANGES_PAGE_COUNT means that maximum); domains masked as
 * in the JSON list.  *next (may be NULL) and "cursor" are the last id
 * written, or cursor if none.  MOD_EINVAL if ids do not increase.
 */
int feed_publish_changes(const struct feed_change_record *v, size_t n,
    int64_t cursor, size_t limit, struct buf *out,
    int64_t *next) MOD_MUSTCHECK;

/*
 * Signatures (feed_sign.c): detached Ed25519 (libsodium), keys and
 * signatures in standard base64 with padding (sodium_base64_VARIANT_
 * ORIGINAL).  A .sig file is the base64 of the 64-byte signature over the
 * published bytes exactly, on one line ending in "\n"; key files are the
 * same for the 32-byte public key (.pub) and the 64-byte secret key
 * (.key, libsodium's seed || public key, mode 0600).  Readers ignore
 * white space around the base64.
 */
#define FEED_PUBKEY_B64_BYTES 45 /* 44 characters and a NUL */
#define FEED_SECKEY_B64_BYTES 89 /* 88 characters and a NUL */
#define FEED_SIG_B64_BYTES 89

/* feed_keygen: a new key pair.  0 or MOD_EINTERNAL. */
int feed_keygen(char pub_b64[FEED_PUBKEY_B64_BYTES],
    char             sec_b64[FEED_SECKEY_B64_BYTES]) MOD_MUSTCHECK;

/* feed_sign: sign msg[0..len).  0, MOD_EINVAL (bad key), MOD_EINTERNAL. */
int feed_sign(const void *msg, size_t len, const char *sec_b64,
    char sig_b64[FEED_SIG_B64_BYTES]) MOD_MUSTCHECK;

/*
 * feed_verify: 0 if sig_b64 is a valid signature of msg[0..len) by
 * pub_b64; MOD_EAUTH if it is not; MOD_EINVAL if the key or signature is
 * not base64 of the right length.
 */
int feed_verify(const void *msg, size_t len, const char *sig_b64,
    const char *pub_b64) MOD_MUSTCHECK;

/*
 * Fetching (feed_fetch.c): one subscription's document, over HTTP(S) with
 * libcurl or from a local file, the only code in feeds/ that does I/O.
 *
 * - Schemes: https://; http:// only to a loopback host (127.0.0.1, ::1,
 *   localhost), for tests.  file:// and everything else are refused: a
 *   local file is given as path.  Redirects are followed by hand, at most
 *   MOD_FEED_FETCH_MAX_REDIRECTS_COUNT, each target checked by the same
 *   rule (so https -> http is refused unless it lands on loopback); a URL
 *   seen twice is a redirect loop.  auth_header is sent only to the
 *   scheme, host and port of the configured URL, never to a redirect
 *   target elsewhere.
 * - Conditional: etag goes out as If-None-Match and last_modified as
 *   If-Modified-Since, verbatim; a 304 is FEED_FETCH_NOT_MODIFIED (only
 *   legal when one of them was sent).  Any status but 200 or 304 is an
 *   error.
 * - Limits: the body is refused while receiving once it passes max_bytes
 *   (a declared Content-Length above it is refused before the body); a
 *   connect timeout and one deadline for the whole fetch, redirects and
 *   signature included.  TLS peer and host verification stay on.
 * - Signature: with pubkey set, the detached signature (signature_url,
 *   else url + ".sig"; for a path, path + ".sig") is fetched after a 200
 *   and checked with feed_verify(); missing, unreadable or not verifying,
 *   the fetch is an error and nothing of the body is returned.
 * - User-Agent "moderd/" MODERD_VERSION; Accept lists CSV, JSON and text.
 *
 * Thread-safe: libcurl's global set-up runs once (pthread_once); each
 * call has its own handle.  Blocks for at most about timeout_ms.
 */
enum feed_fetch_status {
	FEED_FETCH_UPDATED, /* a new body (200, or a file read) */
	FEED_FETCH_NOT_MODIFIED, /* 304, or the same content hash */
	FEED_FETCH_ERROR /* nothing usable; err says why */
};

struct feed_fetch_opts {
	const char *url; /* https://...; NULL or "" if path is set */
	const char *path; /* a local file; NULL or "" if url is set */
	const char *pubkey; /* pinned Ed25519 key (base64); NULL/"" none */
	const char *signature_url; /* NULL/"": url + ".sig" (path + ".sig") */
	const char *auth_header; /* "Name: value"; NULL/"" none */
	const char *etag; /* from the last 200; NULL/"" none */
	const char *last_modified; /* from the last 200; NULL/"" none */
	const char *prev_sha256; /* hex of the last body; NULL/"" none: an
	                          * equal body is NOT_MODIFIED as well */
	size_t  max_bytes; /* cap; 0 or above MOD_MAX_FEED_BYTES: that */
	int64_t timeout_ms; /* whole fetch; <= 0: the default */
	int64_t connect_timeout_ms; /* <= 0: the default */
};

struct feed_fetch_result {
	enum feed_fetch_status status;
	char  *body; /* UPDATED: the document, NUL-terminated; else NULL */
	size_t len;
	char  *etag; /* the 200's ETag (UPDATED, or NOT_MODIFIED by hash),
	              * or NULL: keep it for the next fetch */
	char *last_modified; /* its Last-Modified, the same way (NULL if
	                      * absent, unparseable or in the future) */
	char  sha256[65]; /* UPDATED, NOT_MODIFIED by hash: hex of body */
	char *final_url; /* the URL that answered (after redirects); the
	                  * path for a file; NULL on early errors */
	long http_status; /* last HTTP status; 0 for a file or none */
	bool verified; /* the signature was checked and is good */
	struct mod_err err; /* ERROR: code and message; else code 0 */
};

/*
 * feed_fetch: fetch per o into *out (overwritten; free it with
 * feed_fetch_result_free() whatever the return value).  Returns 0 with
 * status UPDATED or NOT_MODIFIED; otherwise status is ERROR and the
 * return value (also out->err.code) is MOD_EINVAL (bad options or URL,
 * a refused scheme or redirect, a redirect loop, a 304 to an
 * unconditional request), MOD_ETOOBIG (over max_bytes), MOD_ETIMEDOUT,
 * MOD_EIO (network, TLS, file, any other HTTP status), MOD_ENOENT (no
 * such file, HTTP 404 or 410) or MOD_EAUTH (signature missing, malformed
 * or not verifying).  An empty 200 body is returned as UPDATED: the
 * parser calls an empty feed an error.  Messages name the URL or path,
 * never the auth header.
 */
int feed_fetch(const struct feed_fetch_opts *o,
    struct feed_fetch_result                *out) MOD_MUSTCHECK;

/* feed_fetch_result_free: free the strings; r may be reused.  NULL-safe. */
void feed_fetch_result_free(struct feed_fetch_result *r);

/* feed_fetch_status_name: "updated", "not_modified", "error". */
const char *feed_fetch_status_name(enum feed_fetch_status s);

#endif /* MODERD_FEEDS_H */
