/*
 * rules.h - the rule language and matcher: public API.
 *
 * A ruleset is loaded from a directory of *.rules files (see
 * moderd.rules(5)), checked completely (every error reported as
 * FILE:LINE:COL: message), its `expect` examples run, and its regexes
 * compiled into per-target Hyperscan databases (exact or prefilter mode)
 * with PCRE2 JIT confirmation.  A loaded ruleset is immutable and
 * reference-counted, so a reload can build a new one off to the side and
 * swap it in while matchers on the old one finish.
 *
 * rules/ is pure: it sees no event JSON, no database and no socket.  The
 * caller describes an event as a struct rule_fields: for every target a
 * list of UTF-8 strings in two views (folded = NFKC casefold + confusables,
 * raw = plain text as written), plus numbers and flags.
 *
 * Thread-safety: a struct ruleset may be shared by any number of threads;
 * a struct rule_matcher belongs to one thread at a time.
 */
#ifndef MODERD_RULES_H
#define MODERD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moderd.h"

/* String targets; every one is a list (single-valued ones have n <= 1). */
enum rule_target {
	RULE_T_TEXT, /* status text (HTML converted), then poll options; a
	              * boost's are those of the boosted status */
	RULE_T_SPOILER, /* content warning */
	RULE_T_DISPLAY_NAME, /* account display name */
	RULE_T_USERNAME, /* local part of the account */
	RULE_T_ACCT, /* user@domain (domain omitted if local) */
	RULE_T_DOMAIN, /* account's domain ("" if local) */
	RULE_T_BIO, /* account note + profile field values */
	RULE_T_URL, /* links in the text (and profile) */
	RULE_T_HOST, /* host part of each link */
	RULE_T_MENTION, /* acct of each mention */
	RULE_T_HASHTAG, /* each hashtag, without '#' */
	RULE_T_MEDIA_DESCRIPTION, /* alt text of each attachment */
	RULE_T_REPORT_COMMENT, /* report.*: the reporter's comment */
	RULE_T_REPORT_CATEGORY, /* report.*: spam|legal|violation|other */
	RULE_T_COUNT
};

/* Numeric fields; durations are seconds. */
enum rule_num {
	RULE_N_ACCOUNT_AGE, /* event's own time minus account created_at */
	RULE_N_FOLLOWERS,
	RULE_N_FOLLOWING,
	RULE_N_STATUSES,
	RULE_N_LINKS,
	RULE_N_MENTIONS,
	RULE_N_HASHTAGS,
	RULE_N_MEDIA,
	RULE_N_LENGTH, /* code points of the folded text */
	RULE_N_COUNT
};

/* Event kinds as bits, so a rule can admit several. */
enum rule_kind {
	RULE_K_STATUS_CREATED = 1 << 0,
	RULE_K_STATUS_UPDATED = 1 << 1,
	RULE_K_REPORT_CREATED = 1 << 2,
	RULE_K_REPORT_UPDATED = 1 << 3,
	RULE_K_ACCOUNT_CREATED = 1 << 4,
	RULE_K_ACCOUNT_APPROVED = 1 << 5,
	RULE_K_ACCOUNT_UPDATED = 1 << 6,
	RULE_K_ALL = (1 << 7) - 1
};

enum rule_visibility {
	RULE_VIS_UNKNOWN,
	RULE_VIS_PUBLIC,
	RULE_VIS_UNLISTED,
	RULE_VIS_PRIVATE,
	RULE_VIS_DIRECT
};

/* Proposed actions, in increasing severity. */
enum rule_action {
	RULE_A_NONE,
	RULE_A_FLAG,
	RULE_A_SENSITIVE,
	RULE_A_DELETE,
	RULE_A_SILENCE,
	RULE_A_SUSPEND,
	RULE_A_COUNT
};

struct rule_str {
	const char *s; /* UTF-8, valid; need not be NUL-terminated */
	size_t      len;
};

struct rule_field {
	const struct rule_str *v;
	size_t                 n;
};

/*
 * What the matcher sees of one event.  All pointers are borrowed for the
 * duration of one rule_matcher_run() call.  Each string is at most
 * MOD_MAX_TEXT_BYTES; the producer (event_view) truncates, so every match
 * method sees the same subject.
 */
struct rule_fields {
	struct rule_field folded[RULE_T_COUNT];
	struct rule_field raw[RULE_T_COUNT];
	int64_t           num[RULE_N_COUNT];
	unsigned num_known; /* bit (1u << RULE_N_x) if num[x] is known */
	unsigned kind; /* exactly one RULE_K_* bit */
	enum rule_visibility visibility;
	int                  local; /* 1 local account, 0 remote, -1 unknown */
	bool utf8_valid; /* the producer guarantees valid UTF-8 everywhere:
	                  * the matcher skips its own check */
};

/* Score-to-action thresholds; min[a] < 0 disables action a. */
struct rule_thresholds {
	double min[RULE_A_COUNT];
};

/*
 * Builds the fields of a synthetic event for an `expect` example: a post
 * whose text is `text`, by a brand-new local account, of the given kind
 * (one RULE_K_* bit), and calls check(carg, fields) once.  Returns what
 * check returned, or its own error code.  Supplied by the caller of
 * ruleset_load() so that rules/ needs no normaliser of its own.
 */
typedef int (*rule_example_fn)(void *arg, const char *text, size_t len,
    unsigned kind, int (*check)(void *carg, const struct rule_fields *f),
    void    *carg);

struct ruleset_opts {
	rule_example_fn example; /* NULL: expect lines are not run */
	void           *example_arg;
	uint32_t        match_limit; /* pcre2 match limit; 0 = default */
	uint32_t        depth_limit; /* pcre2 depth limit; 0 = default */
	uint32_t        heap_limit_kib; /* pcre2 heap limit; 0 = default */
	const char     *cache_dir; /* Hyperscan database cache; NULL = none */
	bool no_prefilter; /* build without Hyperscan (naive only) */
};

struct ruleset;
struct rule_matcher;

struct rule_hit {
	const char      *rule; /* borrowed from the ruleset */
	const char      *group; /* borrowed; "" if none */
	enum rule_target target; /* of the first match line that held */
	bool             raw; /* matched the raw view */
	size_t           elem; /* index within the target's list */
	size_t           off; /* byte offset of the match in that string */
	size_t           len; /* byte length of the match */
	double           score;
	enum rule_action action; /* the rule's own action, or NONE */
	char excerpt[MOD_MAX_EXCERPT_BYTES + 1]; /* capped, UTF-8 */
};

struct rule_unevaluated {
	const char      *rule; /* borrowed from the ruleset */
	enum rule_target target;
	const char *reason; /* static: "match limit", "depth limit", … */
};

struct rule_verdict {
	double                 score; /* sum of hit scores */
	enum rule_action       action; /* max of named actions of hits */
	const struct rule_hit *hits; /* in rule load order */
	size_t                 nhits;
	const struct rule_unevaluated *uneval;
	size_t                         nuneval;
};

/*
 * ruleset_load: load every *.rules file in dir (sorted by name).  On success
 * *out is a new ruleset with one reference (caller drops it with
 * ruleset_unref()).  On failure returns MOD_EINVAL (or MOD_EIO/ENOENT) and
 * every problem found is in errs as FILE:LINE:COL: message.  opts may be
 * NULL for defaults.
 */
int ruleset_load(const char *dir, const struct ruleset_opts *opts,
    struct ruleset **out, struct mod_errlist *errs) MOD_MUSTCHECK;

/*
 * ruleset_load_buffer: as ruleset_load() for one in-memory file named
 * `name` (used by tests, fuzzing and `rules check -`).
 */
int ruleset_load_buffer(const char *name, const char *src, size_t len,
    const struct ruleset_opts *opts, struct ruleset **out,
    struct mod_errlist *errs) MOD_MUSTCHECK;

/* ruleset_ref / ruleset_unref: reference counting (atomic). NULL-safe. */
struct ruleset *ruleset_ref(struct ruleset *rs);
void            ruleset_unref(struct ruleset *rs);

/* ruleset_count: number of rules. */
size_t ruleset_count(const struct ruleset *rs);

/*
 * ruleset_names: the rule names in load order, as a new array of *n
 * borrowed strings (valid while rs is) that the caller frees with free().
 */
void ruleset_names(const struct ruleset *rs, const char ***names, size_t *n);

/* ruleset_stats: counts of patterns by mode, for logs and benchmarks. */
void ruleset_stats(const struct ruleset *rs, size_t *patterns, size_t *exact,
    size_t *prefilter, size_t *pcre_only);

/* ruleset_cache_hit: true if the Hyperscan databases came from the cache. */
bool ruleset_cache_hit(const struct ruleset *rs);

/* Flags for rule_matcher_run(). */
#define RULE_MATCH_NAIVE 0x1 /* skip Hyperscan: every test via PCRE2 */

/*
 * rule_matcher_new: per-thread matching state (Hyperscan scratch, PCRE2
 * match data) for rs, which it references until rule_matcher_free().
 */
int rule_matcher_new(
    struct ruleset *rs, struct rule_matcher **out) MOD_MUSTCHECK;
void rule_matcher_free(struct rule_matcher *m);

/*
 * rule_matcher_run: evaluate every rule against f.  *out points into the
 * matcher and stays valid until the next run or free.  A regex limit hit
 * never reads as "no match": the rule is listed in uneval and does not hit.
 * Verdicts are identical with and without RULE_MATCH_NAIVE.
 */
int rule_matcher_run(struct rule_matcher *m, const struct rule_fields *f,
    unsigned flags, const struct rule_verdict **out) MOD_MUSTCHECK;

/* rule_thresholds_default: flag 3, sensitive off, delete off, silence 10,
 * suspend off. */
void rule_thresholds_default(struct rule_thresholds *t);

/*
 * rule_decide: the proposed action for a verdict: the most severe of the
 * threshold action for its score and any action a hit rule named.
 */
enum rule_action rule_decide(
    const struct rule_thresholds *t, const struct rule_verdict *v);

/* Name tables (static strings) and their inverses (-1 if unknown). */
const char *rule_target_name(enum rule_target t);
int         rule_target_from_name(const char *s);
const char *rule_num_name(enum rule_num n);
int         rule_num_from_name(const char *s);
const char *rule_action_name(enum rule_action a);
int         rule_action_from_name(const char *s);
const char *rule_kind_name(unsigned kind_bit);
int         rule_kind_from_name(const char *s); /* bit or -1 */
const char *rule_visibility_name(enum rule_visibility v);
int         rule_visibility_from_name(const char *s);

#endif /* MODERD_RULES_H */
