/*
 * conf.c - moderd.conf: the key table, the loader, the global swap.
 *
 * Every key is one row of a table, as in PgBouncer's bouncer_params[] and
 * Redis's static_configs[]: name, type, field offset, default written as a
 * string, bounds.  A configuration is built by running every default
 * string through the same setter a value from the file goes through, then
 * reading the file over it, so a default can never be something the file
 * could not say, and moderd.conf(5) can quote the table.
 *
 * Blocks have key tables of their own.  A CONF_SECTION row is a block that
 * appears at most once and fills a struct inside struct conf
 * (`thresholds { ... }`); a CONF_BLOCKS row is a repeatable named block
 * (`intake NAME { ... }`) that fills a growing array of items, each
 * starting from its table's defaults.  Blocks do not nest: the parser has
 * one function for the top level and one for a block body, so it is two
 * fixed levels deep and never recursive, whatever the input.
 *
 * The syntax comes from lex.c, shared with the rules: `key value` on a
 * line, # comments, "strings" with escapes, and `name { ... }` blocks
 * whose `key value` pairs may also share a line.  Parsing never stops at
 * the first problem: every error goes to the caller's list as
 * FILE:LINE:COL: message, and a configuration with any error is dropped
 * whole.  Nothing is applied here (log level, limits) and the file system
 * is not consulted beyond reading the one file: the daemon does that with
 * the validated result.
 *
 * The installed configuration is the one global of the tree: a pointer
 * behind a mutex plus an atomic reference count in a holder around the
 * struct, so readers never block a reload and never see a configuration
 * change under them.
 *
 * Adding a key: a field in struct conf, a row below (K() checks the
 * field's C type against the row's type at compile time), a commented
 * line in examples/moderd.conf and a paragraph in moderd.conf(5); the
 * tests fail until the last two exist.  A repeated block such as
 * `intake NAME { type pull  url "tcp://..." }` is an item struct with a
 * `char *name`, a CONF_BLOCK_TABLE() of its keys (CONF_F_REQUIRED for
 * keys without a default) and a CONF_KEY_BLOCKS() row naming the item
 * array and its size_t count in struct conf; conf_free() already frees
 * whatever the tables describe.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "feeds.h"
#include "lex.h"
#include "log.h"
#include "util.h"

enum conf_type {
	CONF_STR, /* string of at most max bytes (0: the default cap) */
	CONF_PATH, /* a path, shorter than MOD_MAX_PATH_BYTES */
	CONF_UINT, /* decimal in [min, max], a uint32_t */
	CONF_SIZE, /* "256k": bytes in [min, max], a size_t */
	CONF_MS, /* "500ms", "5s", "30d": ms in [min, max], an int64_t */
	CONF_BOOL, /* yes no true false on off: a bool */
	CONF_DOUBLE, /* decimal in [min, max]: a double */
	CONF_ENUM, /* one of choices: its index, an int */
	CONF_THRESHOLD, /* score in (0, max], or off (-1): a double */
	CONF_SECTION, /* a block once: a struct filled by table sub */
	CONF_BLOCKS, /* repeated named blocks: array + count, table sub */
	CONF_TYPE_COUNT
};

/* The C type of a field of each scalar type, checked by CONF_OFF(). */
#define CONF_CTYPE_STR char *
#define CONF_CTYPE_PATH char *
#define CONF_CTYPE_UINT uint32_t
#define CONF_CTYPE_SIZE size_t
#define CONF_CTYPE_MS int64_t
#define CONF_CTYPE_BOOL bool
#define CONF_CTYPE_DOUBLE double
#define CONF_CTYPE_THRESHOLD double

#define CONF_F_EMPTY 0x1 /* "" is a valid value */
#define CONF_F_REQUIRED 0x2 /* must be given (no default) */

/* Highest score threshold; rule scores are -1000..1000 each. */
#define CONF_MAX_THRESHOLD 1000000

#define CONF_PREFIX_BYTES (2 * MOD_MAX_CONF_NAME_BYTES + 2)
#define CONF_QUOTE_BUF (MOD_MAX_CONF_QUOTE_BYTES + 4) /* "..." and NUL */
#define CONF_LIST_BUF 256 /* "a, b or c" in a message */

struct conf_pos {
	int line;
	int col; /* line 0: not from the file */
};

/* Where errors about one table go, and where each of its keys was set. */
struct conf_ctx {
	const char         *file;
	struct mod_errlist *errs;
	char            lead[CONF_PREFIX_BYTES + 2]; /* "" or "thresholds: " */
	char            dot[CONF_PREFIX_BYTES + 1]; /* "" or "thresholds." */
	struct conf_pos at; /* the block's key */
	struct conf_pos pos[MOD_MAX_CONF_KEYS_COUNT]; /* line 0: default */
};

struct conf_table;

struct conf_key {
	const char              *name;
	enum conf_type           type;
	size_t                   off;
	const char              *def; /* NULL for blocks and required keys */
	int64_t                  min;
	int64_t                  max;
	unsigned                 flags;
	const char *const       *choices; /* CONF_ENUM, NULL-terminated */
	const struct conf_table *sub; /* CONF_SECTION, CONF_BLOCKS */
	size_t                   count_off; /* CONF_BLOCKS: its size_t count */
};

struct conf_table {
	const struct conf_key *keys;
	size_t                 nkeys;
	size_t                 item_size; /* CONF_BLOCKS: one item */
	size_t name_off; /* CONF_BLOCKS: the item's char *name */
	void (*check)(const void *base, const struct conf_ctx *cx);
};

/* The holder around each configuration: conf_install()'s refcount. */
struct conf_holder {
	struct conf c; /* first: a struct conf * is its holder's address */
	atomic_uint refs;
};

/*
 * offsetof(st, f), refusing to compile unless the field has type ctype,
 * so a row cannot describe a field as something it is not.
 */
#define CONF_OFF(st, f, ctype) _Generic(((st *) 0)->f, ctype : offsetof(st, f))

#define CONF_KEY(st, n, t, f, d, lo, hi, fl)                                  \
	{                                                                     \
		.name = (n), .type = CONF_##t,                                \
		.off = CONF_OFF(st, f, CONF_CTYPE_##t), .def = (d),           \
		.min = (lo), .max = (hi), .flags = (fl)                       \
	}
#define CONF_KEY_ENUM(st, n, f, d, ch)                                        \
	{                                                                     \
		.name = (n), .type = CONF_ENUM, .off = CONF_OFF(st, f, int),  \
		.def = (d), .choices = (ch)                                   \
	}
#define CONF_KEY_SECTION(st, n, f, stype, tab)                                \
	{                                                                     \
		.name = (n), .type = CONF_SECTION,                            \
		.off = CONF_OFF(st, f, stype), .sub = (tab)                   \
	}
#define CONF_KEY_BLOCKS(st, n, f, itype, cnt, tab)                            \
	{                                                                     \
		.name = (n), .type = CONF_BLOCKS,                             \
		.off = CONF_OFF(st, f, itype *),                              \
		.count_off = CONF_OFF(st, cnt, size_t), .sub = (tab)          \
	}
#define CONF_TABLE(k, chk)                                                    \
	{                                                                     \
		.keys = (k), .nkeys = nitems(k), .check = (chk)               \
	}
#define CONF_BLOCK_TABLE(k, itype, chk)                                       \
	{                                                                     \
		.keys = (k), .nkeys = nitems(k), .item_size = sizeof(itype),  \
		.name_off = CONF_OFF(itype, name, char *), .check = (chk)     \
	}

#define K(n, t, f, d, lo, hi) CONF_KEY(struct conf, n, t, f, d, lo, hi, 0)
#define KF(n, t, f, d, lo, hi, fl)                                            \
	CONF_KEY(struct conf, n, t, f, d, lo, hi, fl)
#define KT(n, a, d)                                                           \
	CONF_KEY(struct rule_thresholds, n, THRESHOLD, min[a], d, 0,          \
	    CONF_MAX_THRESHOLD, 0)
#define CONF_STRINGIFY(x) #x
#define CONF_XSTR(x) CONF_STRINGIFY(x)

static void conf_thresholds_check(const void *base, const struct conf_ctx *cx);

static const char *const conf_log_levels[] = { "info", "debug", NULL };

/* Index = enum conf_two_person. */
static const char *const conf_two_person_names[]
    = { "none", "sensitive", "silence", "suspend", NULL };

/* Index = enum rule_action; the same names as rule_action_name(). */
static const char *const conf_action_names[]
    = { "none", "flag", "sensitive", "delete", "silence", "suspend" };
_Static_assert(nitems(conf_action_names) == RULE_A_COUNT, "action names");

/* Keep every table alphabetical (conf_keys_ok() insists). */
static const struct conf_key conf_threshold_keys[] = {
	KT("delete", RULE_A_DELETE, "off"),
	KT("flag", RULE_A_FLAG, "3"),
	KT("sensitive", RULE_A_SENSITIVE, "off"),
	KT("silence", RULE_A_SILENCE, "10"),
	KT("suspend", RULE_A_SUSPEND, "off"),
};
static const struct conf_table conf_thresholds_table
    = CONF_TABLE(conf_threshold_keys, conf_thresholds_check);

static const char *const conf_intake_types[] = { "pull", "rep", "sub", NULL };

static const struct conf_key conf_intake_keys[] = {
	CONF_KEY(
	    struct conf_intake, "contexts", UINT, contexts, "16", 1, 1024, 0),
	CONF_KEY_ENUM(
	    struct conf_intake, "type", type, "pull", conf_intake_types),
	CONF_KEY(
	    struct conf_intake, "url", STR, url, NULL, 0, 0, CONF_F_REQUIRED),
};
static const struct conf_table conf_intake_table
    = CONF_BLOCK_TABLE(conf_intake_keys, struct conf_intake, NULL);

static const struct conf_key conf_stream_keys[] = {
	CONF_KEY(struct conf_stream, "reconnect_max_ms", MS, reconnect_max_ms,
	    "60s", 100, 3600000, 0),
	CONF_KEY(struct conf_stream, "reconnect_min_ms", MS, reconnect_min_ms,
	    "1s", 10, 3600000, 0),
	CONF_KEY(
	    struct conf_stream, "token", STR, token, "", 0, 0, CONF_F_EMPTY),
	CONF_KEY(
	    struct conf_stream, "url", STR, url, NULL, 0, 0, CONF_F_REQUIRED),
};
static const struct conf_table conf_stream_table
    = CONF_BLOCK_TABLE(conf_stream_keys, struct conf_stream, NULL);

static void conf_feed_check(const void *base, const struct conf_ctx *cx);

#define KFEED(n, t, f, d, lo, hi, fl)                                         \
	CONF_KEY(struct conf_feed, n, t, f, d, lo, hi, fl)
static const struct conf_key conf_feed_keys[] = {
	KFEED("auth_header", STR, auth_header, "", 0, 0, CONF_F_EMPTY),
	KFEED("format", STR, format, "auto", 0, 0, 0),
	KFEED(
	    "max_bytes", SIZE, max_bytes, "16m", 1024, MOD_MAX_FEED_BYTES, 0),
	KFEED("max_severity", STR, max_severity, "suspend", 0, 0, 0),
	KFEED("path", PATH, path, "", 0, 0, CONF_F_EMPTY),
	KFEED("pubkey", STR, pubkey, "", 0, 0, CONF_F_EMPTY),
	KFEED("refresh", MS, refresh_ms, "1h", 0, 2592000000, 0),
	KFEED("signature_url", STR, signature_url, "", 0,
	    MOD_MAX_FEED_URL_BYTES - 1, CONF_F_EMPTY),
	KFEED("timeout", MS, timeout_ms, "30s", 1000,
	    MOD_FEED_FETCH_MAX_TIMEOUT_MS, 0),
	KFEED("trust", DOUBLE, trust, "1.0", 0, 1000, 0),
	KFEED(
	    "url", STR, url, "", 0, MOD_MAX_FEED_URL_BYTES - 1, CONF_F_EMPTY),
};
static const struct conf_table conf_feed_table
    = CONF_BLOCK_TABLE(conf_feed_keys, struct conf_feed, conf_feed_check);

static const char *const conf_feeds_merge_names[] = { "max", "min", NULL };

static const struct conf_key conf_keys[] = {
	KF("actions_pub", STR, actions_pub, "", 0, 0, CONF_F_EMPTY),
	K("db_batch_count", UINT, db_batch_count, "256", 1, 10000),
	K("db_batch_ms", MS, db_batch_ms, "5ms", 0, 1000),
	KF("db_dsn", STR, db_dsn, "", 0, 0, CONF_F_EMPTY),
	K("db_stmt_timeout_ms", MS, db_stmt_timeout_ms, "5s", 100, 600000),
	K("dead_letter_retention", MS, dead_letter_retention_ms, "30d", 0,
	    315360000000),
	K("dedup_retention", MS, dedup_retention_ms, "30d", 0, 315360000000),
	K("dispatch_backoff_max", MS, dispatch_backoff_max_ms, "5m", 1000,
	    86400000),
	K("dispatch_max_attempts", UINT, dispatch_max_attempts, "8", 1, 1000),
	K("dispatch_timeout", MS, dispatch_timeout_ms, "30s", 100, 600000),
	K("dispatch_workers", UINT, dispatch_workers, "1", 1,
	    MOD_MAX_DISPATCH_WORKERS_COUNT),
	CONF_KEY_BLOCKS(struct conf, "feed", feed, struct conf_feed, nfeed,
	    &conf_feed_table),
	KF("feeds_exclude_file", PATH, feeds_exclude_file, "", 0, 0,
	    CONF_F_EMPTY),
	KF("feeds_known_domains_file", PATH, feeds_known_domains_file, "", 0,
	    0, CONF_F_EMPTY),
	K("feeds_max_share", DOUBLE, feeds_max_share, "0.2", 0, 1),
	CONF_KEY_ENUM(struct conf, "feeds_merge", feeds_merge, "max",
	    conf_feeds_merge_names),
	K("feeds_quorum", DOUBLE, feeds_quorum, "1.0", 0, 64000),
	K("housekeeping_interval", MS, housekeeping_interval_ms, "1h", 1000,
	    86400000),
	KF("http_listen", STR, http_listen, "http://127.0.0.1:8470", 0, 0,
	    CONF_F_EMPTY),
	K("http_max_body_bytes", SIZE, http_max_body_bytes, "1m", 1024,
	    MOD_MAX_EVENT_BYTES),
	CONF_KEY_BLOCKS(struct conf, "intake", intake, struct conf_intake,
	    nintake, &conf_intake_table),
	CONF_KEY_ENUM(
	    struct conf, "log_level", log_level, "info", conf_log_levels),
	KF("mastodon_token", STR, mastodon_token, "", 0, 0, CONF_F_EMPTY),
	KF("mastodon_url", STR, mastodon_url, "", 0, 0, CONF_F_EMPTY),
	K("pg_bin_dir", PATH, pg_bin_dir, "/usr/lib/postgresql/15/bin", 0, 0),
	K("pg_user", STR, pg_user, "postgres", 0, 0),
	K("pipeline_queue_count", UINT, pipeline_queue_count, "4096", 16,
	    1000000),
	K("pipeline_workers", UINT, pipeline_workers, "2", 1, 64),
	KF("publish_key", PATH, publish_key, "", 0, 0, CONF_F_EMPTY),
	KF("publish_token", STR, publish_token, "", 0, 0, CONF_F_EMPTY),
	K("re_depth_limit", UINT, re_depth_limit,
	    CONF_XSTR(MOD_DEFAULT_RE_DEPTH_LIMIT), 100, 1000000),
	K("re_heap_limit_kib", UINT, re_heap_limit_kib,
	    CONF_XSTR(MOD_DEFAULT_RE_HEAP_LIMIT_KIB), 64, 1048576),
	K("re_match_limit", UINT, re_match_limit,
	    CONF_XSTR(MOD_DEFAULT_RE_MATCH_LIMIT), 1000, 10000000),
	KF("rules_cache_dir", PATH, rules_cache_dir, "", 0, 0, CONF_F_EMPTY),
	K("rules_dir", PATH, rules_dir, "/etc/moderd/rules", 0, 0),
	K("state_dir", PATH, state_dir, "/var/lib/moderd", 0, 0),
	CONF_KEY_BLOCKS(struct conf, "stream", stream, struct conf_stream,
	    nstream, &conf_stream_table),
	CONF_KEY_SECTION(struct conf, "thresholds", thresholds,
	    struct rule_thresholds, &conf_thresholds_table),
	K("token_ttl", MS, token_ttl_ms, "0", 0, 315360000000),
	CONF_KEY_ENUM(struct conf, "two_person_severity", two_person_severity,
	    "suspend", conf_two_person_names),
	KF("webhook_secret", STR, webhook_secret, "", 0, 0, CONF_F_EMPTY),
};
static const struct conf_table conf_top = CONF_TABLE(conf_keys, NULL);

static pthread_mutex_t     conf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf_holder *conf_current;

/* ---- messages ---- */

static void conf_error(const struct conf_ctx *cx, struct conf_pos at,
    const char *fmt, ...) MOD_PRINTF(3, 4);

static void
conf_error(const struct conf_ctx *cx, struct conf_pos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mod_errlist_addv(cx->errs, cx->file, at.line, at.col, fmt, ap);
	va_end(ap);
}

/*
 * Input quoted back in a message: clipped (at a UTF-8 boundary) and with
 * control characters replaced, so every error stays one short line.
 */
static const char *
conf_quote(char q[CONF_QUOTE_BUF], const char *s)
{
	size_t n = strlen(s), i;

	if (n > MOD_MAX_CONF_QUOTE_BYTES) {
		n = MOD_MAX_CONF_QUOTE_BYTES;
		while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		q[i]
		    = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	q[i] = '\0';
	if (n < strlen(s))
		memcpy(q + i, "...", 4);
	return q;
}

/* Append name as item i of n to a "a, b or c" list. */
static void
conf_list_add(char *buf, size_t size, const char *name, size_t i, size_t n)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s%s",
	    i == 0 ? "" : (i + 1 == n ? " or " : ", "), name);
}

static const char *
conf_list_choices(char buf[CONF_LIST_BUF], const char *const *choices)
{
	size_t i, n = 0;

	while (choices[n] != NULL)
		n++;
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		conf_list_add(buf, CONF_LIST_BUF, choices[i], i, n);
	return buf;
}

static const char *
conf_list_keys(char buf[CONF_LIST_BUF], const struct conf_table *t)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < t->nkeys; i++)
		conf_list_add(
		    buf, CONF_LIST_BUF, t->keys[i].name, i, t->nkeys);
	return buf;
}

static void
conf_ctx_init(struct conf_ctx *cx, const char *file, struct mod_errlist *errs,
    const char *prefix, struct conf_pos at)
{
	memset(cx, 0, sizeof(*cx));
	cx->file = file;
	cx->errs = errs;
	cx->at = at;
	if (*prefix != '\0') {
		snprintf(cx->lead, sizeof(cx->lead), "%s: ", prefix);
		snprintf(cx->dot, sizeof(cx->dot), "%s.", prefix);
	}
}

/* ---- values: one setter per scalar type ---- */

static int
conf_set_string(const struct conf_key *k, char **dst, const char *s,
    size_t max, struct mod_err *err)
{
	size_t len = strlen(s);

	if (len == 0 && !(k->flags & CONF_F_EMPTY))
		return mod_errf(err, MOD_EINVAL, "value must not be empty");
	if (len > max)
		return mod_errf(err, MOD_EINVAL,
		    "value is %zu bytes, limit %zu", len, max);
	free(*dst);
	*dst = xstrdup(s);
	return 0;
}

static int
conf_set_str(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	size_t max = k->max > 0 ? (size_t) k->max : MOD_MAX_CONF_STRING_BYTES;

	return conf_set_string(k, field, s, max, err);
}

static int
conf_set_path(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	return conf_set_string(k, field, s, MOD_MAX_PATH_BYTES - 1, err);
}

static int
conf_range_error(const struct conf_key *k, const char *s, const char *unit,
    struct mod_err *err)
{
	char q[CONF_QUOTE_BUF];

	return mod_errf(err, MOD_EINVAL, "value %s out of range %lld..%lld%s",
	    conf_quote(q, s), (long long) k->min, (long long) k->max, unit);
}

/* A whole integer in [k->min, k->max], or why not. */
static int
conf_integer(
    const struct conf_key *k, const char *s, int64_t *v, struct mod_err *err)
{
	char q[CONF_QUOTE_BUF];
	int  rv;

	if ((rv = mod_strtonum(s, INT64_MIN, INT64_MAX, v)) == MOD_EINVAL)
		return mod_errf(
		    err, rv, "invalid number \"%s\"", conf_quote(q, s));
	if (rv != 0 || *v < k->min || *v > k->max)
		return conf_range_error(k, s, "", err);
	return 0;
}

static int
conf_set_uint(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	int64_t v;
	int     rv;

	if ((rv = conf_integer(k, s, &v, err)) != 0)
		return rv;
	*(uint32_t *) field = (uint32_t) v;
	return 0;
}

static int
conf_set_size(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	char    q[CONF_QUOTE_BUF];
	int64_t v;

	if (mod_parse_size(s, &v) != 0)
		return mod_errf(err, MOD_EINVAL,
		    "invalid size \"%s\" (a number, optionally with k, m or "
		    "g)",
		    conf_quote(q, s));
	if (v < k->min || v > k->max)
		return conf_range_error(k, s, " bytes", err);
	*(size_t *) field = (size_t) v;
	return 0;
}

/* "250ms", a bare number of milliseconds, or a mod_parse_duration(). */
static int
conf_parse_ms(const char *s, int64_t *ms)
{
	static const char digits[] = "0123456789";
	char              num[32];
	size_t            len = strlen(s);
	int64_t           secs;

	if (len > 2 && strcmp(s + len - 2, "ms") == 0) {
		if (len - 2 >= sizeof(num) || strspn(s, digits) != len - 2)
			return MOD_EINVAL;
		memcpy(num, s, len - 2);
		num[len - 2] = '\0';
		return mod_strtonum(num, 0, INT64_MAX, ms);
	}
	if (len > 0 && strspn(s, digits) == len)
		return mod_strtonum(s, 0, INT64_MAX, ms);
	if (mod_parse_duration(s, &secs) != 0 || secs > INT64_MAX / 1000)
		return MOD_EINVAL;
	*ms = secs * 1000;
	return 0;
}

static int
conf_set_ms(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	char    q[CONF_QUOTE_BUF];
	int64_t v;

	if (conf_parse_ms(s, &v) != 0)
		return mod_errf(err, MOD_EINVAL,
		    "invalid duration \"%s\" (e.g. 250ms, 5s, 10m, 2h, 30d)",
		    conf_quote(q, s));
	if (v < k->min || v > k->max)
		return conf_range_error(k, s, " ms", err);
	*(int64_t *) field = v;
	return 0;
}

static int
conf_set_bool(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	static const char *const names[]
	    = { "no", "yes", "false", "true", "off", "on" };
	char   q[CONF_QUOTE_BUF];
	size_t i;

	(void) k;
	for (i = 0; i < nitems(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			*(bool *) field = i % 2 == 1;
			return 0;
		}
	}
	return mod_errf(err, MOD_EINVAL,
	    "invalid boolean \"%s\" (expected yes, no, true, false, on or "
	    "off)",
	    conf_quote(q, s));
}

static int
conf_set_double(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	char   q[CONF_QUOTE_BUF];
	double v;

	if (mod_strtod(s, &v) != 0)
		return mod_errf(err, MOD_EINVAL, "invalid number \"%s\"",
		    conf_quote(q, s));
	if (v < (double) k->min || v > (double) k->max)
		return conf_range_error(k, s, "", err);
	*(double *) field = v;
	return 0;
}

static int
conf_set_enum(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	char q[CONF_QUOTE_BUF], list[CONF_LIST_BUF];
	int  i;

	for (i = 0; k->choices[i] != NULL; i++) {
		if (strcmp(s, k->choices[i]) == 0) {
			*(int *) field = i;
			return 0;
		}
	}
	return mod_errf(err, MOD_EINVAL, "invalid value \"%s\" (expected %s)",
	    conf_quote(q, s), conf_list_choices(list, k->choices));
}

static int
conf_set_threshold(
    const struct conf_key *k, void *field, const char *s, struct mod_err *err)
{
	char   q[CONF_QUOTE_BUF];
	double v;

	if (strcmp(s, "off") == 0) {
		*(double *) field = -1;
		return 0;
	}
	if (mod_strtod(s, &v) != 0)
		return mod_errf(err, MOD_EINVAL,
		    "invalid threshold \"%s\" (a score, or off)",
		    conf_quote(q, s));
	/* A threshold of 0 would act on every event, hits or not. */
	if (v <= 0 || v > (double) k->max)
		return mod_errf(err, MOD_EINVAL,
		    "value %s out of range: a score above 0 and at most %lld, "
		    "or off",
		    conf_quote(q, s), (long long) k->max);
	*(double *) field = v;
	return 0;
}

static int (*const conf_setters[CONF_TYPE_COUNT])(
    const struct conf_key *, void *, const char *, struct mod_err *)
    = {
	      [CONF_STR] = conf_set_str,
	      [CONF_PATH] = conf_set_path,
	      [CONF_UINT] = conf_set_uint,
	      [CONF_SIZE] = conf_set_size,
	      [CONF_MS] = conf_set_ms,
	      [CONF_BOOL] = conf_set_bool,
	      [CONF_DOUBLE] = conf_set_double,
	      [CONF_ENUM] = conf_set_enum,
	      [CONF_THRESHOLD] = conf_set_threshold,
      };

/* Set scalar key k of the struct at base from the text s. */
static int
conf_set(
    const struct conf_key *k, void *base, const char *s, struct mod_err *err)
{
	return conf_setters[k->type](k, (char *) base + k->off, s, err);
}

/* ---- the tables themselves ---- */

static int
conf_key_find(const struct conf_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return (int) i;
	return -1;
}

static bool
conf_key_ok(const struct conf_key *k, bool scalars_only)
{
	if (k->type >= CONF_TYPE_COUNT || k->min > k->max)
		return false;
	if (k->type == CONF_SECTION || k->type == CONF_BLOCKS)
		return !scalars_only && k->sub != NULL
		    && (k->type == CONF_SECTION || k->sub->item_size > 0);
	if (k->type == CONF_UINT && (k->min < 0 || k->max > UINT32_MAX))
		return false;
	if (k->type == CONF_ENUM && k->choices == NULL)
		return false;
	return k->def != NULL || (k->flags & CONF_F_REQUIRED);
}

/* Are the rows of t sound (alphabetical, typed, within the bounds)? */
static bool
conf_keys_ok(const struct conf_table *t, bool scalars_only)
{
	size_t i;

	if (t->nkeys > MOD_MAX_CONF_KEYS_COUNT)
		return false;
	for (i = 0; i < t->nkeys; i++) {
		if (!conf_key_ok(&t->keys[i], scalars_only))
			return false;
		if (strlen(t->keys[i].name) >= MOD_MAX_CONF_NAME_BYTES)
			return false;
		if (i > 0 && strcmp(t->keys[i - 1].name, t->keys[i].name) >= 0)
			return false;
	}
	return true;
}

/* The top table and its block tables (which hold scalars only). */
static bool
conf_table_ok(const struct conf_table *t)
{
	size_t i;

	if (!conf_keys_ok(t, false))
		return false;
	for (i = 0; i < t->nkeys; i++)
		if (t->keys[i].sub != NULL
		    && !conf_keys_ok(t->keys[i].sub, true))
			return false;
	return true;
}

/* Run the default string of every scalar key of t into base. */
static void
conf_defaults_scalars(
    const struct conf_table *t, void *base, const struct conf_ctx *cx)
{
	struct mod_err err;
	size_t         i;

	for (i = 0; i < t->nkeys; i++) {
		if (t->keys[i].def == NULL)
			continue;
		if (conf_set(&t->keys[i], base, t->keys[i].def, &err) != 0)
			conf_error(cx, cx->at,
			    "%s%s: bad built-in default: %s", cx->dot,
			    t->keys[i].name, err.msg);
	}
}

/* Defaults of the top table t, its sections included. */
static void
conf_defaults_table(
    const struct conf_table *t, void *base, const struct conf_ctx *cx)
{
	struct conf_ctx sub;
	size_t          i;

	conf_defaults_scalars(t, base, cx);
	for (i = 0; i < t->nkeys; i++) {
		if (t->keys[i].type != CONF_SECTION)
			continue;
		conf_ctx_init(
		    &sub, cx->file, cx->errs, t->keys[i].name, cx->at);
		conf_defaults_scalars(
		    t->keys[i].sub, (char *) base + t->keys[i].off, &sub);
		if (t->keys[i].sub->check != NULL)
			t->keys[i].sub->check(
			    (char *) base + t->keys[i].off, &sub);
	}
}

static void
conf_free_scalars(const struct conf_table *t, void *base)
{
	char **s;
	size_t i;

	for (i = 0; i < t->nkeys; i++) {
		if (t->keys[i].type != CONF_STR
		    && t->keys[i].type != CONF_PATH)
			continue;
		s = (char **) (void *) ((char *) base + t->keys[i].off);
		free(*s);
		*s = NULL;
	}
}

/* Free one block item: its strings, its name, itself. */
static void
conf_free_item(const struct conf_table *t, void *item)
{
	if (item == NULL)
		return;
	conf_free_scalars(t, item);
	free(*(char **) (void *) ((char *) item + t->name_off));
	free(item);
}

static void
conf_free_blocks(const struct conf_key *k, void *base)
{
	char  *items;
	size_t n, i;

	memcpy(&items, (char *) base + k->off, sizeof(items));
	memcpy(&n, (char *) base + k->count_off, sizeof(n));
	for (i = 0; i < n; i++) {
		char *item = items + i * k->sub->item_size;

		conf_free_scalars(k->sub, item);
		free(*(char **) (void *) (item + k->sub->name_off));
	}
	free(items);
}

static void
conf_free_table(const struct conf_table *t, void *base)
{
	size_t i;

	conf_free_scalars(t, base);
	for (i = 0; i < t->nkeys; i++) {
		if (t->keys[i].type == CONF_SECTION)
			conf_free_scalars(
			    t->keys[i].sub, (char *) base + t->keys[i].off);
		else if (t->keys[i].type == CONF_BLOCKS)
			conf_free_blocks(&t->keys[i], base);
	}
}

/* Required keys present, then the table's own check. */
static void
conf_check_table(
    const struct conf_ctx *cx, const struct conf_table *t, const void *base)
{
	size_t i;

	for (i = 0; i < t->nkeys; i++)
		if ((t->keys[i].flags & CONF_F_REQUIRED)
		    && cx->pos[i].line == 0)
			conf_error(cx, cx->at, "%smissing required key \"%s\"",
			    cx->lead, t->keys[i].name);
	if (t->check != NULL)
		t->check(base, cx);
}

/* ---- the thresholds block ---- */

/*
 * Where to point at a threshold ordering error between actions a and b:
 * whichever of the two the file set (a first), else the block itself.
 */
static struct conf_pos
conf_thresholds_pos(const struct conf_ctx *cx, int a, int b)
{
	int i = conf_key_find(&conf_thresholds_table, conf_action_names[a]);
	int j = conf_key_find(&conf_thresholds_table, conf_action_names[b]);

	if (i >= 0 && cx->pos[i].line != 0)
		return cx->pos[i];
	if (j >= 0 && cx->pos[j].line != 0)
		return cx->pos[j];
	return cx->at;
}

/*
 * Enabled thresholds must not decrease with severity: a more severe
 * action with a lower threshold would shadow the milder one for good.
 */
static void
conf_thresholds_check(const void *base, const struct conf_ctx *cx)
{
	const struct rule_thresholds *t = base;
	int                           a, top = -1;

	for (a = RULE_A_FLAG; a < RULE_A_COUNT; a++) {
		if (t->min[a] < 0)
			continue;
		if (top >= 0 && t->min[a] < t->min[top]) {
			conf_error(cx, conf_thresholds_pos(cx, a, top),
			    "%s%s %g is below %s %g; thresholds must not "
			    "decrease with severity",
			    cx->lead, conf_action_names[a], t->min[a],
			    conf_action_names[top], t->min[top]);
			continue;
		}
		top = a;
	}
}

/* ---- the feed blocks ---- */

/* Where key name of table t was set in the block, else the block. */
static struct conf_pos
conf_key_pos(
    const struct conf_ctx *cx, const struct conf_table *t, const char *name)
{
	int i = conf_key_find(t, name);

	return i >= 0 && cx->pos[i].line != 0 ? cx->pos[i] : cx->at;
}

/* https://, or http:// to a loopback host (tests); feed_fetch() has the
 * final say on every URL, redirects included. */
static bool
conf_feed_url_ok(const char *url)
{
	static const char *const ok[]
	    = { "https://", "http://127.0.0.1:", "http://127.0.0.1/",
		      "http://localhost:", "http://localhost/",
		      "http://[::1]:", "http://[::1]/" };
	size_t i;

	for (i = 0; i < nitems(ok); i++)
		if (strncmp(url, ok[i], strlen(ok[i])) == 0)
			return url[strlen(ok[i])] != '\0';
	return false;
}

/* Exactly one of url and path, and what goes with each. */
static void
conf_feed_check_source(const struct conf_feed *f, const struct conf_ctx *cx)
{
	const struct conf_table *t = &conf_feed_table;

	if (f->url[0] == '\0' && f->path[0] == '\0')
		conf_error(
		    cx, cx->at, "%sone of url and path is required", cx->lead);
	else if (f->url[0] != '\0' && f->path[0] != '\0')
		conf_error(cx, conf_key_pos(cx, t, "path"),
		    "%surl and path are exclusive: set only one", cx->lead);
	else if (f->url[0] != '\0' && !conf_feed_url_ok(f->url))
		conf_error(cx, conf_key_pos(cx, t, "url"),
		    "%surl: must be https:// (http:// only to 127.0.0.1, "
		    "[::1] or localhost; a local file goes in path)",
		    cx->dot);
	if (f->path[0] != '\0' && f->signature_url[0] != '\0')
		conf_error(cx, conf_key_pos(cx, t, "signature_url"),
		    "%ssignature_url: only with url (a path feed is "
		    "verified with PATH.sig)",
		    cx->dot);
}

/*
 * A `feed NAME { ... }` block: its source, and the values the key types
 * cannot check alone (names of formats and severities, the key length,
 * a one-line auth header, a sensible refresh).
 */
static void
conf_feed_check(const void *base, const struct conf_ctx *cx)
{
	const struct conf_feed  *f = base;
	const struct conf_table *t = &conf_feed_table;
	char                     q[CONF_QUOTE_BUF];

	conf_feed_check_source(f, cx);
	if (feed_format_from_name(f->format) < 0)
		conf_error(cx, conf_key_pos(cx, t, "format"),
		    "%sformat: unknown format \"%s\"", cx->dot,
		    conf_quote(q, f->format));
	if (feed_severity_from_name(f->max_severity) < 0)
		conf_error(cx, conf_key_pos(cx, t, "max_severity"),
		    "%smax_severity: expected noop, silence or suspend",
		    cx->dot);
	if (f->pubkey[0] != '\0'
	    && strlen(f->pubkey) != FEED_PUBKEY_B64_BYTES - 1)
		conf_error(cx, conf_key_pos(cx, t, "pubkey"),
		    "%spubkey: expected %d base64 characters (an Ed25519 "
		    "public key, as moderctl feeds keygen writes it)",
		    cx->dot, FEED_PUBKEY_B64_BYTES - 1);
	if (f->auth_header[0] != '\0'
	    && (strchr(f->auth_header, ':') == NULL
	        || strpbrk(f->auth_header, "\r\n") != NULL))
		conf_error(cx, conf_key_pos(cx, t, "auth_header"),
		    "%sauth_header: expected one \"Name: value\" line",
		    cx->dot);
	if (f->refresh_ms > 0 && f->refresh_ms < 60000)
		conf_error(cx, conf_key_pos(cx, t, "refresh"),
		    "%srefresh: at least 1m, or 0 for manual syncs only",
		    cx->dot);
}

/* ---- the parser ---- */

struct conf_parser {
	struct lex     lx;
	struct lex_tok tok; /* the current token, not yet consumed */
};

static struct conf_pos
conf_tokpos(const struct conf_parser *p)
{
	struct conf_pos at = { p->tok.line, p->tok.col };

	return at;
}

/* The current token for a message: `word "x"`, `'}'`, `end of line`. */
static const char *
conf_tokdesc(const struct conf_parser *p, char buf[CONF_LIST_BUF])
{
	char q[CONF_QUOTE_BUF];

	if (p->tok.type != LEX_WORD && p->tok.type != LEX_STRING)
		return lex_type_name(p->tok.type);
	snprintf(buf, CONF_LIST_BUF, "%s \"%s\"", lex_type_name(p->tok.type),
	    conf_quote(q, p->tok.text));
	return buf;
}

/* Move to the next token; lexer errors are reported as they appear. */
static void
conf_next(struct conf_parser *p, const struct conf_ctx *cx)
{
	lex_next(&p->lx, &p->tok);
	if (p->tok.type == LEX_ERROR)
		conf_error(cx, conf_tokpos(p), "%s", p->tok.text);
}

/*
 * Move to the value of key k.  An unquoted path lexes as a regex (or an
 * unterminated one): say so where it happens.
 */
static void
conf_next_value(
    struct conf_parser *p, const struct conf_ctx *cx, const struct conf_key *k)
{
	lex_next(&p->lx, &p->tok);
	if (p->tok.type != LEX_ERROR)
		return;
	if ((k->type == CONF_PATH || k->type == CONF_STR)
	    && strstr(p->tok.text, "regex") != NULL)
		conf_error(cx, conf_tokpos(p),
		    "%s%s: %s (a value starting with '/' must be quoted)",
		    cx->dot, k->name, p->tok.text);
	else
		conf_error(cx, conf_tokpos(p), "%s", p->tok.text);
}

/* The current token is '{': skip to its matching '}', inclusive. */
static void
conf_skip_braces(struct conf_parser *p, const struct conf_ctx *cx)
{
	int depth = 0;

	do {
		if (p->tok.type == LEX_LBRACE)
			depth++;
		else if (p->tok.type == LEX_RBRACE)
			depth--;
		conf_next(p, cx);
	} while (depth > 0 && p->tok.type != LEX_EOF);
}

/* Skip to the end of the line, and over any block opened on it. */
static void
conf_skip_line(struct conf_parser *p, const struct conf_ctx *cx)
{
	while (p->tok.type != LEX_EOL && p->tok.type != LEX_EOF) {
		if (p->tok.type == LEX_LBRACE)
			conf_skip_braces(p, cx);
		else
			conf_next(p, cx);
	}
}

/* Inside a block: skip a rejected key and the value after it. */
static void
conf_skip_pair(struct conf_parser *p, const struct conf_ctx *cx)
{
	if (p->tok.type == LEX_LBRACE) {
		conf_skip_braces(p, cx);
		return;
	}
	conf_next(p, cx);
	if (p->tok.type == LEX_LBRACE)
		conf_skip_braces(p, cx);
	else if (p->tok.type == LEX_WORD || p->tok.type == LEX_STRING
	    || p->tok.type == LEX_REGEX || p->tok.type == LEX_ERROR)
		conf_next(p, cx);
}

/* The key of t named by the current token, or NULL once told why not. */
static const struct conf_key *
conf_stmt_key(
    struct conf_parser *p, struct conf_ctx *cx, const struct conf_table *t)
{
	char q[CONF_QUOTE_BUF], list[CONF_LIST_BUF];
	int  i;

	if (p->tok.type != LEX_WORD) {
		if (p->tok.type != LEX_ERROR)
			conf_error(cx, conf_tokpos(p),
			    "%sexpected a key, got %s", cx->lead,
			    conf_tokdesc(p, list));
		return NULL;
	}
	if ((i = conf_key_find(t, p->tok.text)) < 0) {
		conf_error(cx, conf_tokpos(p), "%sunknown key \"%s\"%s%s%s",
		    cx->lead, conf_quote(q, p->tok.text),
		    *cx->lead ? " (expected " : "",
		    *cx->lead ? conf_list_keys(list, t) : "",
		    *cx->lead ? ")" : "");
		return NULL;
	}
	if (cx->pos[i].line != 0 && t->keys[i].type != CONF_BLOCKS) {
		conf_error(cx, conf_tokpos(p),
		    "%sduplicate key \"%s\" (first set at line %d)", cx->lead,
		    t->keys[i].name, cx->pos[i].line);
		return NULL;
	}
	cx->pos[i] = conf_tokpos(p);
	return &t->keys[i];
}

/* Set scalar k of base from the current token, consuming it. */
static void
conf_parse_value(struct conf_parser *p, const struct conf_ctx *cx,
    const struct conf_key *k, void *base)
{
	struct mod_err err;

	switch (p->tok.type) {
	case LEX_WORD:
	case LEX_STRING:
		if (memchr(p->tok.text, '\0', p->tok.len) != NULL)
			conf_error(cx, conf_tokpos(p),
			    "%s%s: value contains a NUL byte", cx->dot,
			    k->name);
		else if (conf_set(k, base, p->tok.text, &err) != 0)
			conf_error(cx, conf_tokpos(p), "%s%s: %s", cx->dot,
			    k->name, err.msg);
		break;
	case LEX_REGEX:
		conf_error(cx, conf_tokpos(p),
		    "%s%s: a value starting with '/' must be quoted", cx->dot,
		    k->name);
		break;
	case LEX_ERROR:
		break; /* reported by conf_next_value() */
	case LEX_LBRACE:
		conf_error(cx, conf_tokpos(p),
		    "%s%s: expected a value, got '{'", cx->dot, k->name);
		conf_skip_braces(p, cx);
		return;
	default: /* end of line, end of file, '}': leave it */
		conf_error(cx, conf_tokpos(p), "%s%s: missing value", cx->dot,
		    k->name);
		return;
	}
	conf_next(p, cx);
}

/* Consume the '{' that must come next, or report and skip the line. */
static bool
conf_open_brace(
    struct conf_parser *p, const struct conf_ctx *cx, const char *what)
{
	char buf[CONF_LIST_BUF];

	if (p->tok.type == LEX_LBRACE) {
		conf_next(p, cx);
		return true;
	}
	if (p->tok.type != LEX_ERROR)
		conf_error(cx, conf_tokpos(p), "%s: expected '{', got %s",
		    what, conf_tokdesc(p, buf));
	conf_skip_line(p, cx);
	return false;
}

/*
 * A block body, after its '{': `key value` pairs, on lines of their own
 * or several to a line, up to and including the '}'.
 */
static void
conf_parse_block(struct conf_parser *p, struct conf_ctx *cx,
    const struct conf_table *t, void *base)
{
	const struct conf_key *k;

	while (p->tok.type != LEX_RBRACE && p->tok.type != LEX_EOF) {
		if (p->tok.type == LEX_EOL) {
			conf_next(p, cx);
			continue;
		}
		if ((k = conf_stmt_key(p, cx, t)) == NULL) {
			conf_skip_pair(p, cx);
			continue;
		}
		conf_next_value(p, cx, k);
		conf_parse_value(p, cx, k, base);
	}
	if (p->tok.type == LEX_EOF)
		conf_error(cx, cx->at, "%smissing '}'", cx->lead);
	else
		conf_next(p, cx);
	conf_check_table(cx, t, base);
}

static void
conf_parse_section(struct conf_parser *p, const struct conf_ctx *cx,
    const struct conf_key *k, void *base, struct conf_pos at)
{
	struct conf_ctx sub;

	if (!conf_open_brace(p, cx, k->name))
		return;
	conf_ctx_init(&sub, cx->file, cx->errs, k->name, at);
	conf_parse_block(p, &sub, k->sub, (char *) base + k->off);
}

static bool
conf_name_ok(const char *s, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

	return len > 0 && len < MOD_MAX_CONF_NAME_BYTES
	    && strspn(s, ok) == len;
}

/* Index of the item of block key k named name, or -1. */
static int
conf_blocks_find(const struct conf_key *k, const void *base, const char *name)
{
	const char *items, *item_name;
	size_t      n, i;

	memcpy(&items, (const char *) base + k->off, sizeof(items));
	memcpy(&n, (const char *) base + k->count_off, sizeof(n));
	for (i = 0; i < n; i++) {
		memcpy(&item_name,
		    items + i * k->sub->item_size + k->sub->name_off,
		    sizeof(item_name));
		if (strcmp(item_name, name) == 0)
			return (int) i;
	}
	return -1;
}

/* Can the current token name a new item of block key k?  Says why not. */
static bool
conf_blocks_name(struct conf_parser *p, const struct conf_ctx *cx,
    const struct conf_key *k, const void *base)
{
	char   q[CONF_QUOTE_BUF];
	size_t n;

	memcpy(&n, (const char *) base + k->count_off, sizeof(n));
	if (!conf_name_ok(p->tok.text, p->tok.len))
		conf_error(cx, conf_tokpos(p),
		    "%s: invalid name \"%s\" (letters, digits, '_' and '-', "
		    "at most %d bytes)",
		    k->name, conf_quote(q, p->tok.text),
		    MOD_MAX_CONF_NAME_BYTES - 1);
	else if (conf_blocks_find(k, base, p->tok.text) >= 0)
		conf_error(cx, conf_tokpos(p), "%s: duplicate name \"%s\"",
		    k->name, p->tok.text);
	else if (n >= MOD_MAX_CONF_BLOCKS_COUNT)
		conf_error(cx, conf_tokpos(p), "%s: more than %d blocks",
		    k->name, MOD_MAX_CONF_BLOCKS_COUNT);
	else
		return true;
	return false;
}

/* Move a parsed item onto the end of the array of block key k. */
static void
conf_blocks_append(const struct conf_key *k, void *base, void *item)
{
	char  *items;
	size_t n;

	memcpy(&items, (char *) base + k->off, sizeof(items));
	memcpy(&n, (char *) base + k->count_off, sizeof(n));
	items = xreallocarray(items, n + 1, k->sub->item_size);
	memcpy(items + n * k->sub->item_size, item, k->sub->item_size);
	n++;
	memcpy((char *) base + k->off, &items, sizeof(items));
	memcpy((char *) base + k->count_off, &n, sizeof(n));
	free(item);
}

/*
 * `KEY NAME { ... }`, the current token being NAME: a new item from the
 * defaults of k's table, parsed even when the name is rejected so that
 * errors inside are reported too.
 */
static void
conf_parse_blocks(struct conf_parser *p, const struct conf_ctx *cx,
    const struct conf_key *k, void *base, struct conf_pos at)
{
	struct conf_ctx sub;
	char            prefix[CONF_PREFIX_BYTES], desc[CONF_LIST_BUF], *item;
	bool            keep;

	if (p->tok.type != LEX_WORD && p->tok.type != LEX_STRING) {
		conf_error(cx, conf_tokpos(p), "%s: expected a name, got %s",
		    k->name, conf_tokdesc(p, desc));
		conf_skip_line(p, cx);
		return;
	}
	keep = conf_blocks_name(p, cx, k, base);
	item = xcalloc(1, k->sub->item_size);
	snprintf(prefix, sizeof(prefix), "%s.%s", k->name,
	    conf_name_ok(p->tok.text, p->tok.len) ? p->tok.text : "?");
	conf_ctx_init(&sub, cx->file, cx->errs, prefix, at);
	conf_defaults_scalars(k->sub, item, &sub);
	*(char **) (void *) (item + k->sub->name_off) = xstrdup(p->tok.text);
	conf_next(p, cx);
	if (conf_open_brace(p, cx, prefix))
		conf_parse_block(p, &sub, k->sub, item);
	else
		keep = false;
	if (keep)
		conf_blocks_append(k, base, item);
	else
		conf_free_item(k->sub, item);
}

/* A top-level statement whose key k is the current token. */
static void
conf_parse_stmt(struct conf_parser *p, const struct conf_ctx *cx,
    const struct conf_key *k, void *base)
{
	struct conf_pos at = conf_tokpos(p);

	if (k->type == CONF_SECTION) {
		conf_next(p, cx);
		conf_parse_section(p, cx, k, base, at);
	} else if (k->type == CONF_BLOCKS) {
		conf_next(p, cx);
		conf_parse_blocks(p, cx, k, base, at);
	} else {
		conf_next_value(p, cx, k);
		conf_parse_value(p, cx, k, base);
	}
}

/* After a top-level statement only the end of the line may follow. */
static void
conf_end_line(
    struct conf_parser *p, const struct conf_ctx *cx, const struct conf_key *k)
{
	char buf[CONF_LIST_BUF];

	if (p->tok.type == LEX_EOL || p->tok.type == LEX_EOF)
		return;
	if (p->tok.type != LEX_ERROR)
		conf_error(cx, conf_tokpos(p),
		    "%s: expected end of line, got %s", k->name,
		    conf_tokdesc(p, buf));
	conf_skip_line(p, cx);
}

/* A whole file: statements of the top table t into base. */
static void
conf_parse_top(struct conf_parser *p, struct conf_ctx *cx,
    const struct conf_table *t, void *base)
{
	const struct conf_key *k;

	conf_next(p, cx);
	while (p->tok.type != LEX_EOF) {
		if (p->tok.type == LEX_EOL) {
			conf_next(p, cx);
			continue;
		}
		if ((k = conf_stmt_key(p, cx, t)) == NULL) {
			conf_skip_line(p, cx);
			continue;
		}
		conf_parse_stmt(p, cx, k, base);
		conf_end_line(p, cx, k);
	}
	conf_check_table(cx, t, base);
}

/* ---- building a configuration ---- */

/* Values derived from others once all are known. */
static void
conf_finish(const struct conf_ctx *cx, struct conf *c)
{
	char        path[MOD_MAX_PATH_BYTES];
	size_t      len = strlen(c->state_dir);
	const char *sep = len > 0 && c->state_dir[len - 1] == '/' ? "" : "/";
	int         n;

	if (c->rules_cache_dir[0] != '\0')
		return;
	n = snprintf(path, sizeof(path), "%s%scache", c->state_dir, sep);
	if (n < 0 || (size_t) n >= sizeof(path)) {
		conf_error(cx, cx->at,
		    "rules_cache_dir: state_dir too long to derive it from");
		return;
	}
	free(c->rules_cache_dir);
	c->rules_cache_dir = xstrdup(path);
}

static struct conf_holder *
conf_holder_of(const struct conf *c)
{
	/* Casting away const is right here: the refcount is not part of
	 * the configuration readers see. */
	return (struct conf_holder *) (uintptr_t) c;
}

/* The built-in defaults, before conf_finish(); errors go to errs. */
static int
conf_new(struct mod_errlist *errs, struct conf **out)
{
	static const struct conf_pos nowhere = { 0, 0 };
	struct conf_holder          *h;
	struct conf_ctx              cx;
	size_t                       before = errs->n + errs->dropped;

	*out = NULL;
	conf_ctx_init(&cx, "moderd.conf defaults", errs, "", nowhere);
	if (!conf_table_ok(&conf_top)) {
		conf_error(&cx, nowhere, "the key table is malformed");
		return MOD_EINTERNAL;
	}
	h = xcalloc(1, sizeof(*h));
	atomic_init(&h->refs, 1);
	conf_defaults_table(&conf_top, &h->c, &cx);
	/* "none" has no key; it is off, as in rule_thresholds_default(). */
	h->c.thresholds.min[RULE_A_NONE] = -1;
	if (errs->n + errs->dropped != before) {
		conf_free(&h->c);
		return MOD_EINTERNAL;
	}
	*out = &h->c;
	return 0;
}

int
conf_defaults(struct conf **out)
{
	static const struct conf_pos nowhere = { 0, 0 };
	struct mod_errlist           errs = { 0 };
	struct conf_ctx              cx;
	size_t                       i;
	int                          rv;

	conf_ctx_init(&cx, "moderd.conf defaults", &errs, "", nowhere);
	if ((rv = conf_new(&errs, out)) == 0)
		conf_finish(&cx, *out);
	if (rv == 0 && errs.n > 0) {
		conf_free(*out);
		*out = NULL;
		rv = MOD_EINTERNAL;
	}
	for (i = 0; i < errs.n; i++)
		log_warnx("conf: %s", errs.msgs[i]);
	mod_errlist_free(&errs);
	return rv;
}

int
conf_load_buffer(const char *name, const char *src, size_t len,
    struct conf **out, struct mod_errlist *errs)
{
	static const struct conf_pos nowhere = { 0, 0 };
	struct mod_errlist           local = { 0 };
	struct conf_parser          *p = NULL;
	struct conf                 *c = NULL;
	struct conf_ctx              cx;
	size_t                       before;
	int                          rv;

	*out = NULL;
	if (errs == NULL)
		errs = &local;
	before = errs->n + errs->dropped;
	if (len > MOD_MAX_CONF_FILE_BYTES) {
		mod_errlist_add(errs, name, 0, 0,
		    "file is %zu bytes, limit %d", len,
		    MOD_MAX_CONF_FILE_BYTES);
		rv = MOD_ETOOBIG;
		goto out;
	}
	if ((rv = conf_new(errs, &c)) != 0)
		goto out;
	p = xcalloc(1, sizeof(*p));
	lex_init(&p->lx, name, src, len);
	conf_ctx_init(&cx, name, errs, "", nowhere);
	conf_parse_top(p, &cx, &conf_top, c);
	conf_finish(&cx, c);
	if (errs->n + errs->dropped != before) {
		rv = MOD_EINVAL;
		goto out;
	}
	*out = c;
	c = NULL;
out:
	conf_free(c);
	free(p);
	mod_errlist_free(&local);
	return rv;
}

/* The part of a mod_read_file() message after "PATH: ". */
static const char *
conf_read_reason(const char *msg, const char *path)
{
	size_t n = strlen(path);

	if (strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
		return msg + n + 2;
	return msg;
}

int
conf_load(const char *path, struct conf **out, struct mod_errlist *errs)
{
	struct mod_err err;
	char          *src = NULL;
	size_t         len;
	int            rv;

	*out = NULL;
	if ((rv = mod_read_file(
	         path, MOD_MAX_CONF_FILE_BYTES, &src, &len, &err))
	    != 0) {
		if (errs != NULL)
			mod_errlist_add(errs, path, 0, 0, "%s",
			    conf_read_reason(err.msg, path));
		return rv;
	}
	rv = conf_load_buffer(path, src, len, out, errs);
	free(src);
	return rv;
}

/* ---- references and the installed configuration ---- */

static void
conf_unref(struct conf_holder *h)
{
	if (h == NULL || atomic_fetch_sub(&h->refs, 1) != 1)
		return;
	conf_free_table(&conf_top, &h->c);
	free(h);
}

void
conf_free(struct conf *c)
{
	if (c != NULL)
		conf_unref(conf_holder_of(c));
}

void
conf_install(struct conf *c)
{
	struct conf_holder *old;

	pthread_mutex_lock(&conf_lock);
	old = conf_current;
	conf_current = c != NULL ? conf_holder_of(c) : NULL;
	pthread_mutex_unlock(&conf_lock);
	conf_unref(old);
}

const struct conf *
conf_get(void)
{
	struct conf_holder *h;

	pthread_mutex_lock(&conf_lock);
	if ((h = conf_current) != NULL)
		atomic_fetch_add(&h->refs, 1);
	pthread_mutex_unlock(&conf_lock);
	return h != NULL ? &h->c : NULL;
}

void
conf_put(const struct conf *c)
{
	if (c != NULL)
		conf_unref(conf_holder_of(c));
}

/* ---- views for other modules ---- */

int
conf_ruleset_opts(const struct conf *c, struct ruleset_opts *o)
{
	if (c->re_match_limit == 0 || c->re_depth_limit == 0
	    || c->re_heap_limit_kib == 0 || c->rules_cache_dir == NULL
	    || c->rules_cache_dir[0] == '\0')
		return MOD_EINVAL;
	o->match_limit = c->re_match_limit;
	o->depth_limit = c->re_depth_limit;
	o->heap_limit_kib = c->re_heap_limit_kib;
	o->cache_dir = c->rules_cache_dir;
	return 0;
}

void
conf_thresholds(const struct conf *c, struct rule_thresholds *t)
{
	*t = c->thresholds;
}
