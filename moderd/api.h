/*
 * api.h - the /v1 HTTP API (doc/api.md): authentication, roles, JSON
 * bodies and replies, and the route tables of the API's modules.
 *
 * Each API module (api_queue.c, api_admin.c, api_audit.c, api_stats.c,
 * api_feeds.c, api_publish.c) exports one table of struct api_route.
 * api.c turns every row into an http_route whose handler runs on an HTTP
 * worker thread: it takes a database connection from a small pool,
 * authenticates the bearer token (unless the row's min_role is
 * API_ROLE_NONE), refuses a role below min_role with 403, parses the
 * body as one JSON object when the row has API_BODY, calls the row's
 * function with a struct api_ctx, and gives the connection back.  A
 * handler answers exactly once with api_reply*() or api_error().
 *
 * Ownership: the ctx and everything in it belong to api.c and are valid
 * only during the handler call; replies copy what they send.
 */
#ifndef MODERD_API_H
#define MODERD_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moderd.h"

struct conf;
struct http;
struct http_request;
struct http_route;
struct store;
struct api;
struct queue_group;

/* Roles, in increasing order of power. */
enum api_role {
	API_ROLE_NONE = 0, /* no token needed (published blocklists) */
	API_ROLE_TRIAGE,
	API_ROLE_MODERATOR,
	API_ROLE_ADMIN
};

/* api_role_name: "triage", "moderator", "admin" ("none" for 0). */
const char *api_role_name(int role);
/* api_role_from_name: the role, or -1 if unknown. */
int api_role_from_name(const char *name);

/* The authenticated caller. */
struct api_user {
	int64_t id; /* users.id; 0 when the route needs no token */
	int64_t token_id;
	char    name[MOD_MAX_USER_NAME_BYTES + 1];
	int     role; /* enum api_role */
};

/* One call being handled. */
struct api_ctx {
	struct http_request *req;
	struct store        *db; /* this worker's connection, up */
	const struct conf   *conf; /* running configuration */
	struct api_user      user;
	json_t              *body; /* API_BODY rows: the parsed object */
	void                *arg; /* api_init.arg */
	struct queue_group  *approvals; /* approvals grouped across calls */
};

typedef void (*api_fn)(struct api_ctx *c);

/* Route flags. */
#define API_BODY 0x1 /* a JSON object body (an empty body reads as {}) */

struct api_route {
	const char *method;
	const char *path; /* "/v1/queue/{id}" */
	int         min_role; /* enum api_role */
	unsigned    flags; /* API_* */
	const char *what; /* for 403: "approve proposals" */
	api_fn      fn;
};

/* The modules' tables (each ends at its count). */
extern const struct api_route api_queue_routes[];
extern const size_t           api_queue_nroutes;
extern const struct api_route api_admin_routes[];
extern const size_t           api_admin_nroutes;
extern const struct api_route api_audit_routes[];
extern const size_t           api_audit_nroutes;
extern const struct api_route api_stats_routes[];
extern const size_t           api_stats_nroutes;
extern const struct api_route api_feeds_routes[];
extern const size_t           api_feeds_nroutes;
extern const struct api_route api_publish_routes[];
extern const size_t           api_publish_nroutes;

/* What the API needs from the daemon; borrowed until api_stop(). */
struct api_init {
	const char *db_dsn; /* for the pool's connections */
	int64_t     stmt_timeout_ms;
	void       *arg; /* api_ctx.arg (the daemon's context) */
};

/*
 * Handlers read the running configuration (conf_get()) per call; when
 * none is installed (tests), the defaults.  Each HTTP worker uses one
 * pooled connection at a time (at most MOD_API_POOL_COUNT are kept).
 */

/*
 * api_start: build the http_route table of every module (*routes, *n,
 * owned by *out and valid until api_stop()) for http_start().  Returns 0
 * or MOD_EINVAL (a broken table: a bug).
 */
int api_start(const struct api_init *init, struct api **out,
    const struct http_route **routes, size_t *n) MOD_MUSTCHECK;

/* api_stop: close the pool and free; after http_stop().  NULL-safe. */
void api_stop(struct api *a);

/*
 * api_body_decode: a request body s[0..len) (need not be NUL-terminated)
 * as a JSON object into *out (caller frees with json_decref): "" is {},
 * nesting deeper than MOD_MAX_API_JSON_DEPTH, malformed JSON, duplicate
 * keys and anything but an object are MOD_EINVAL with why (a message for
 * the 400 answer) filled and *out NULL.  Pure; thread-safe.
 */
int api_body_decode(const char *s, size_t len, json_t **out, char *why,
    size_t whysz) MOD_MUSTCHECK;

/* --- for handlers ------------------------------------------------------ */

/* api_param: a {name} of the path, or NULL. */
const char *api_param(const struct api_ctx *c, const char *name);
/* api_query: a query-string parameter, percent-decoded, or NULL.  Only the
 * first occurrence counts. */
const char *api_query(const struct api_ctx *c, const char *name);
/* api_param_id: {name} as a positive int64; on failure answers 404 and
 * returns MOD_ENOENT (the handler just returns). */
int api_param_id(struct api_ctx *c, const char *name, int64_t *id);

/* api_reply: answer status with the JSON value v (consumed: the reference
 * is stolen, like json_object_set_new). */
void api_reply(struct api_ctx *c, uint16_t status, json_t *v);
/* api_reply_raw: answer with a body of the given content type. */
void api_reply_raw(struct api_ctx *c, uint16_t status, const char *ctype,
    const void *body, size_t len);
/* api_reply_headers: as api_reply_raw, plus response headers: a
 * NULL-terminated list of name, value pairs (copied; NULL for none). */
void api_reply_headers(struct api_ctx *c, uint16_t status, const char *ctype,
    const char *const *hdrs, const void *body, size_t len);
/* api_error: the error envelope, e.g. (c, 409, "conflict", "..."). */
void api_error(struct api_ctx *c, uint16_t status, const char *code,
    const char *fmt, ...) MOD_PRINTF(4, 5);
/* api_error_rv: 503 unavailable for MOD_EDB, 404 for MOD_ENOENT, 409 for
 * MOD_EEXIST, 400 for MOD_EINVAL, else 500; message as given. */
void api_error_rv(struct api_ctx *c, int rv, const char *fmt, ...)
    MOD_PRINTF(3, 4);

/* api_time: ISO 8601 UTC with milliseconds ("...T...000Z") of ms into out
 * (at least 32 bytes); json_null-friendly helper api_json_time returns a
 * new JSON string, or json_null() for INT64_MIN. */
void    api_time(int64_t ms, char *out, size_t outsz);
json_t *api_json_time(int64_t ms);

/*
 * Query parameters, checked.  Each returns 0, or answers 400 bad_request
 * naming the parameter and returns MOD_EINVAL (the handler just returns).
 * An absent parameter leaves *out at the caller's default.
 */
/* api_query_str: valid UTF-8 of at most max bytes; *out borrowed. */
int api_query_str(
    struct api_ctx *c, const char *name, size_t max, const char **out);
/* api_query_int: a decimal integer in [lo, hi]. */
int api_query_int(
    struct api_ctx *c, const char *name, int64_t lo, int64_t hi, int64_t *out);
/* api_query_time: ISO 8601, or a duration back from now ("7d", "24h"), to
 * ms since the epoch. */
int api_query_time(struct api_ctx *c, const char *name, int64_t *out);
/* api_query_limit: "limit", default MOD_API_LIMIT_DEFAULT_COUNT, at most
 * MOD_API_LIMIT_MAX_COUNT. */
int api_query_limit(struct api_ctx *c, size_t *limit);

/*
 * Cursors: a keyset position of n (1 to API_CURSOR_MAX_VALUES) integers,
 * written as an opaque token.  api_cursor_make writes it into out (at
 * least API_CURSOR_BYTES); api_query_cursor reads the "cursor" parameter
 * back: 0 with *found false when absent, 0 with v filled and *found true,
 * or 400 and MOD_EINVAL when it is not one of ours with n values.
 * api_json_cursor: a JSON string of the cursor, or json_null() when
 * more is false (the last page).
 */
#define API_CURSOR_MAX_VALUES 4
#define API_CURSOR_BYTES (API_CURSOR_MAX_VALUES * 21 + 4)
void    api_cursor_make(const int64_t *v, size_t n, char *out, size_t outsz);
int     api_query_cursor(struct api_ctx *c, int64_t *v, size_t n, bool *found);
json_t *api_json_cursor(bool more, const int64_t *v, size_t n);

/*
 * Body fields.  Every handler of an API_BODY route first calls
 * api_body_allow() with the fields it knows (a NULL-terminated list): an
 * unknown field is a 400.  The getters then read one field each; they
 * return 0, or answer 400 (wrong type, too long, not UTF-8, missing when
 * API_REQ) and return MOD_EINVAL.  API_NULL lets JSON null through (as
 * NULL / -1).  An absent field leaves *out untouched, so set the default
 * first; api_body_has() tells whether a field is present at all.
 */
#define API_REQ 0x1 /* the field must be present */
#define API_NULL 0x2 /* null is allowed */
int  api_body_allow(struct api_ctx *c, const char *const *fields);
bool api_body_has(const struct api_ctx *c, const char *name);
/* api_body_str: a string of at most max bytes; *out borrowed from body. */
int api_body_str(struct api_ctx *c, const char *name, unsigned fl, size_t max,
    const char **out);
/* api_body_bool: true/false to 1/0 (null: -1). */
int api_body_bool(struct api_ctx *c, const char *name, unsigned fl, int *out);
/* api_body_int: an integer in [lo, hi]. */
int api_body_int(struct api_ctx *c, const char *name, unsigned fl, int64_t lo,
    int64_t hi, int64_t *out);
/* api_body_enum: a string among choices (NULL-terminated); *out borrowed. */
int api_body_enum(struct api_ctx *c, const char *name, unsigned fl,
    const char *const *choices, const char **out);

#endif /* MODERD_API_H */
