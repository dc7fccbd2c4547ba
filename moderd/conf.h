/*
 * conf.h - moderd.conf: the configuration, its loader and the global swap.
 *
 * A struct conf is built in one go (defaults, then the file over them),
 * validated completely and never modified afterwards.  The running daemon
 * keeps exactly one installed configuration, the only global in the tree;
 * readers take a reference with conf_get() and drop it with conf_put(),
 * so a reload (SIGHUP) can install a fresh one while they finish with the
 * old.  The syntax and every key are specified in moderd.conf(5).
 *
 * Ownership: every struct conf comes from conf_load(), conf_load_buffer()
 * or conf_defaults() holding one reference, which belongs to the caller;
 * conf_free() drops it, conf_install() takes it over.
 */
#ifndef MODERD_CONF_H
#define MODERD_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "moderd.h"
#include "rules.h"

/* Values of log_level. */
enum conf_log_level { CONF_LOG_INFO, CONF_LOG_DEBUG };

/* Kinds of nng intake socket (moderd.conf(5), "intake"). */
enum conf_intake_type { CONF_INTAKE_PULL, CONF_INTAKE_REP, CONF_INTAKE_SUB };

/* One `intake NAME { ... }` block. */
struct conf_intake {
	char    *name;
	int      type; /* enum conf_intake_type */
	char    *url; /* nng address: listen (pull, rep) or dial (sub) */
	uint32_t contexts; /* rep: requests handled at once */
};

/* One `stream NAME { ... }` block: a Mastodon streaming connection. */
struct conf_stream {
	char   *name;
	char   *url; /* https://HOST/api/v1/streaming/public/remote */
	char   *token; /* bearer token; "" for none */
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;
};

/*
 * One `feed NAME { ... }` block: a blocklist subscription (moderd.conf(5),
 * "feed").  Exactly one of url and path is set ("" for the other).
 */
struct conf_feed {
	char   *name;
	char   *url; /* https://... (http:// only for 127.0.0.1 in tests) */
	char   *path; /* a local file instead of a URL */
	char   *format; /* feed_format_name() or "auto" */
	double  trust; /* weight toward the quorum, >= 0 */
	char   *max_severity; /* noop|silence|suspend */
	int64_t refresh_ms; /* schedule; 0 = manual sync only */
	char   *pubkey; /* pinned Ed25519 public key (base64); "" = none */
	char   *signature_url; /* detached signature; "" = url + ".sig" */
	char   *auth_header; /* e.g. "Authorization: Bearer X"; "" = none */
	size_t  max_bytes; /* size cap of one fetch */
	int64_t timeout_ms; /* whole fetch */
};

/* two_person_severity: the least severe action needing two approvals. */
enum conf_two_person {
	CONF_TWO_NONE, /* no action needs two */
	CONF_TWO_SENSITIVE,
	CONF_TWO_SILENCE, /* silence and delete */
	CONF_TWO_SUSPEND
};

/* Values of feeds_merge, in the order of enum feed_merge_mode. */
enum conf_feeds_merge { CONF_FEEDS_MERGE_MAX, CONF_FEEDS_MERGE_MIN };

/*
 * The configuration.  Field names are the key names of moderd.conf(5);
 * strings are never NULL.  Read-only once built: share it, do not write.
 */
struct conf {
	char             *actions_pub; /* nng pub URL; "" = none */
	uint32_t          db_batch_count;
	int64_t           db_batch_ms;
	char             *db_dsn; /* "" = the embedded cluster */
	int64_t           db_stmt_timeout_ms;
	int64_t           dead_letter_retention_ms; /* 0 = dead letters kept */
	int64_t           dedup_retention_ms; /* 0 = dedup keys kept */
	int64_t           dispatch_backoff_max_ms; /* retry delay cap */
	uint32_t          dispatch_max_attempts;
	int64_t           dispatch_timeout_ms; /* one Mastodon request */
	uint32_t          dispatch_workers;
	struct conf_feed *feed; /* `feed NAME { ... }` blocks */
	size_t            nfeed;
	char   *feeds_exclude_file; /* "" = none; one domain a line */
	char   *feeds_known_domains_file; /* "" = none; one domain a line */
	double  feeds_max_share; /* safety rail of the diff; 0 = never held */
	int     feeds_merge; /* enum conf_feeds_merge */
	double  feeds_quorum; /* total trust a merged block needs */
	int64_t housekeeping_interval_ms; /* between queue_prune() runs */
	char   *http_listen; /* "" = no HTTP server */
	size_t  http_max_body_bytes;
	struct conf_intake *intake;
	size_t              nintake;
	int                 log_level; /* enum conf_log_level */
	char    *mastodon_token; /* admin API bearer token; "" = none */
	char    *mastodon_url; /* "https://host"; "" = no dispatch calls */
	char    *pg_bin_dir;
	char    *pg_user;
	uint32_t pipeline_queue_count;
	uint32_t pipeline_workers;
	char
	    *publish_key; /* secret key file of the published lists; "" none */
	char *publish_token; /* bearer token for them; "" = no token needed */
	uint32_t               re_depth_limit;
	uint32_t               re_heap_limit_kib;
	uint32_t               re_match_limit;
	char                  *rules_cache_dir; /* effective: never "" */
	char                  *rules_dir;
	char                  *state_dir;
	struct conf_stream    *stream;
	size_t                 nstream;
	struct rule_thresholds thresholds; /* min[a] < 0: action a is off */
	int64_t                token_ttl_ms; /* 0: API tokens never expire */
	int                    two_person_severity; /* enum conf_two_person */
	char                  *webhook_secret; /* "" = webhooks refused */
};

/*
 * conf_load: read the file at path (at most MOD_MAX_CONF_FILE_BYTES) and
 * build a configuration from the defaults and the file.  On success
 * returns 0 and *out is a new configuration owned by the caller.  On
 * failure *out is NULL and the return value is MOD_ENOENT or MOD_EIO (the
 * file could not be read), MOD_ETOOBIG, or MOD_EINVAL; every problem is
 * appended to errs (which may be NULL) as "FILE:LINE:COL: message", or
 * "FILE: message" when no position applies.  Thread-safe.
 */
int conf_load(const char *path, struct conf **out,
    struct mod_errlist *errs) MOD_MUSTCHECK;

/*
 * conf_load_buffer: as conf_load() for src[0..len) (need not be
 * NUL-terminated; borrowed), with `name` as FILE in messages.  Returns 0,
 * MOD_ETOOBIG (len over MOD_MAX_CONF_FILE_BYTES) or MOD_EINVAL.
 */
int conf_load_buffer(const char *name, const char *src, size_t len,
    struct conf **out, struct mod_errlist *errs) MOD_MUSTCHECK;

/*
 * conf_defaults: the configuration with every key at its documented
 * default, owned by the caller.  Returns 0, or MOD_EINTERNAL if the
 * built-in table is broken (a bug, which the tests rule out).
 */
int conf_defaults(struct conf **out) MOD_MUSTCHECK;

/*
 * conf_free: drop the caller's own reference, from a loader or from
 * conf_defaults(); the memory goes when the last reference does.  Never
 * call it on a configuration handed to conf_install(), nor on one from
 * conf_get() (use conf_put()).  NULL-safe.
 */
void conf_free(struct conf *c);

/*
 * conf_install: make c the running configuration, taking ownership of the
 * caller's reference (c must come from a loader or conf_defaults()).  The
 * previous one is released once its last reader calls conf_put().
 * c == NULL uninstalls (at shutdown).  Thread-safe.
 */
void conf_install(struct conf *c);

/*
 * conf_get: the running configuration with a new reference the caller
 * must drop with conf_put(); NULL if none is installed.  The result stays
 * valid and unchanged until then, whatever conf_install() does meanwhile.
 * Thread-safe; cheap (a mutex around one atomic increment).
 */
const struct conf *conf_get(void);

/* conf_put: drop a reference taken by conf_get().  NULL-safe; thread-safe. */
void conf_put(const struct conf *c);

/*
 * conf_ruleset_opts: set the regex limits and cache_dir of *o from c,
 * leaving its other fields (example, example_arg, no_prefilter) as the
 * caller set them.  o->cache_dir is borrowed from c: valid while the
 * caller holds c.  Returns 0, or MOD_EINVAL if c was not validated (a
 * zero limit or an empty cache directory), leaving *o unchanged.
 */
int conf_ruleset_opts(
    const struct conf *c, struct ruleset_opts *o) MOD_MUSTCHECK;

/* conf_thresholds: copy the score-to-action thresholds of c into *t. */
void conf_thresholds(const struct conf *c, struct rule_thresholds *t);

#endif /* MODERD_CONF_H */
