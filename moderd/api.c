/*
 * api.c - the /v1 API's common part: one generic HTTP handler for every
 * route of every API module, the database connection pool, bearer-token
 * authentication, the role check, JSON bodies, and the helpers handlers
 * answer with.
 *
 * api_start() turns each row of each module table (api_modules below:
 * one line per module) into an http_route whose arg points back at the
 * row.  Every API route is HTTP_ROUTE_BLOCKING, so handlers run on the
 * HTTP server's worker threads and may talk to PostgreSQL.  For one call
 * the generic handler: takes a connection from the pool (opening one if
 * none is idle; 503 unavailable if the database cannot be reached),
 * authenticates "Authorization: Bearer TOKEN" (401), compares the user's
 * role with the row's min_role (403, before anything else is read),
 * parses the body as ONE JSON object (400), runs the module function,
 * and gives the connection back.  A function that forgot to answer gets
 * a 500, logged as the bug it is.
 *
 * Bodies: the HTTP server has already refused one over
 * http_max_body_bytes with 413.  Before jansson sees a body, an iterative
 * scan bounds its nesting at MOD_MAX_API_JSON_DEPTH (jansson's parser
 * recurses); duplicate keys are refused.  Field getters reject wrong
 * types, overlong strings and strings with NUL, and api_body_allow()
 * rejects fields a handler does not know: a typo must never be ignored.
 *
 * Not here: any SQL (that is store_users.c and queue_*.c), the routes
 * themselves (api_*.c), TLS and rate limiting (a proxy's job).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "queue_approve.h"
#include "store.h"
#include "text.h"
#include "util.h"

/* The modules' tables; a new module adds one line here (and its extern
 * declaration in api.h). */
static const struct api_module {
	const struct api_route *tab;
	const size_t           *n;
} api_modules[] = {
	{ api_queue_routes, &api_queue_nroutes },
	{ api_admin_routes, &api_admin_nroutes },
	{ api_audit_routes, &api_audit_nroutes },
	{ api_stats_routes, &api_stats_nroutes },
	{ api_feeds_routes, &api_feeds_nroutes },
	{ api_publish_routes, &api_publish_nroutes },
};

#define API_JSON "application/json"
#define API_BEARER "Bearer "

/* One API route as the HTTP server sees it. */
struct api_bound {
	const struct api_route *rt;
	struct api             *a;
};

struct api {
	char               *dsn;
	int64_t             stmt_timeout_ms;
	void               *arg;
	struct conf        *defaults; /* when no configuration is installed */
	pthread_mutex_t     mu; /* the pool */
	struct store       *idle[MOD_API_POOL_COUNT];
	size_t              nidle;
	struct queue_group *approvals; /* queue_approve.h */
	struct http_route  *routes;
	struct api_bound   *bound;
	size_t              nroutes;
};

/* One call: the handler's ctx and what only api.c sees. */
struct api_call {
	struct api_ctx c; /* first: handlers' ctx pointers are calls */
	bool           answered;
};

static const char *const api_roles[]
    = { "none", "triage", "moderator", "admin" };

const char *
api_role_name(int role)
{
	if (role < 0 || (size_t) role >= nitems(api_roles))
		return "none";
	return api_roles[role];
}

int
api_role_from_name(const char *name)
{
	size_t i;

	for (i = 1; name != NULL && i < nitems(api_roles); i++)
		if (strcmp(name, api_roles[i]) == 0)
			return (int) i;
	return -1;
}

static struct api_call *
api_call_of(struct api_ctx *c)
{
	return (struct api_call *) c;
}

/* ---- replies ---------------------------------------------------------- */

/* api_answering: mark c answered; false (logged) if it already was. */
static bool
api_answering(struct api_ctx *c)
{
	struct api_call *k = api_call_of(c);

	if (k->answered) {
		log_warnx("api: %s %s answered twice (a bug)",
		    http_request_method(c->req), http_request_path(c->req));
		return false;
	}
	k->answered = true;
	return true;
}

void
api_reply(struct api_ctx *c, uint16_t status, json_t *v)
{
	char *s;

	if (!api_answering(c)) {
		json_decref(v);
		return;
	}
	s = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (s == NULL) {
		http_reply_error(
		    c->req, 500, "internal", "could not encode the reply");
		return;
	}
	http_reply(c->req, status, API_JSON, s, strlen(s));
	free(s);
}

void
api_reply_raw(struct api_ctx *c, uint16_t status, const char *ctype,
    const void *body, size_t len)
{
	api_reply_headers(c, status, ctype, NULL, body, len);
}

void
api_reply_headers(struct api_ctx *c, uint16_t status, const char *ctype,
    const char *const *hdrs, const void *body, size_t len)
{
	if (api_answering(c))
		http_reply_headers(c->req, status, ctype, hdrs, body, len);
}

static void
api_errorv(struct api_ctx *c, uint16_t status, const char *code,
    const char *fmt, va_list ap)
{
	char msg[MOD_MAX_ERR_BYTES];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (api_answering(c))
		http_reply_error(c->req, status, code, "%s", msg);
}

void
api_error(
    struct api_ctx *c, uint16_t status, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	api_errorv(c, status, code, fmt, ap);
	va_end(ap);
}

void
api_error_rv(struct api_ctx *c, int rv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	switch (rv) {
	case MOD_EDB:
		api_errorv(c, 503, "unavailable", fmt, ap);
		break;
	case MOD_ENOENT:
		api_errorv(c, 404, "not_found", fmt, ap);
		break;
	case MOD_EEXIST:
		api_errorv(c, 409, "conflict", fmt, ap);
		break;
	case MOD_EINVAL:
		api_errorv(c, 400, "bad_request", fmt, ap);
		break;
	case MOD_EAUTH:
		api_errorv(c, 403, "forbidden", fmt, ap);
		break;
	default:
		api_errorv(c, 500, "internal", fmt, ap);
		break;
	}
	va_end(ap);
}

/* ---- times ------------------------------------------------------------ */

void
api_time(int64_t ms, char *out, size_t outsz)
{
	int64_t   secs = ms / 1000, rem = ms % 1000;
	time_t    t;
	struct tm tm;
	char      day[24];

	if (rem < 0) {
		rem += 1000;
		secs--;
	}
	t = (time_t) secs;
	if (gmtime_r(&t, &tm) == NULL
	    || strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		mod_strlcpy(out, "", outsz);
		return;
	}
	snprintf(out, outsz, "%s.%03dZ", day, (int) rem);
}

json_t *
api_json_time(int64_t ms)
{
	char s[32];

	if (ms == INT64_MIN)
		return json_null();
	api_time(ms, s, sizeof(s));
	return json_string(s);
}

static int64_t
api_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- path and query --------------------------------------------------- */

const char *
api_param(const struct api_ctx *c, const char *name)
{
	return http_request_param(c->req, name);
}

const char *
api_query(const struct api_ctx *c, const char *name)
{
	return http_request_query(c->req, name);
}

int
api_param_id(struct api_ctx *c, const char *name, int64_t *id)
{
	const char *s = api_param(c, name);

	if (s == NULL || mod_strtonum(s, 1, INT64_MAX, id) != 0) {
		api_error(c, 404, "not_found", "no such item");
		return MOD_ENOENT;
	}
	return 0;
}

static int
api_bad_query(struct api_ctx *c, const char *name, const char *why)
{
	api_error(c, 400, "bad_request", "query parameter %s: %s", name, why);
	return MOD_EINVAL;
}

int
api_query_str(
    struct api_ctx *c, const char *name, size_t max, const char **out)
{
	const char *s = api_query(c, name);
	size_t      n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n > max)
		return api_bad_query(c, name, "too long");
	if (!text_utf8_valid(s, n))
		return api_bad_query(c, name, "not UTF-8");
	*out = s;
	return 0;
}

int
api_query_int(
    struct api_ctx *c, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
	const char *s = api_query(c, name);
	int64_t     v;

	if (s == NULL)
		return 0;
	if (mod_strtonum(s, lo, hi, &v) != 0)
		return api_bad_query(c, name, "not an integer in range");
	*out = v;
	return 0;
}

int
api_query_time(struct api_ctx *c, const char *name, int64_t *out)
{
	const char *s = api_query(c, name);
	int64_t     v;

	if (s == NULL)
		return 0;
	if (mod_parse_time(s, &v) == 0) {
		*out = v;
		return 0;
	}
	if (mod_parse_duration(s, &v) != 0 || v > INT64_MAX / 1000)
		return api_bad_query(c, name, "not a time or a duration");
	*out = api_now_ms() - v * 1000;
	return 0;
}

int
api_query_limit(struct api_ctx *c, size_t *limit)
{
	int64_t v = MOD_API_LIMIT_DEFAULT_COUNT;

	if (api_query_int(c, "limit", 1, MOD_API_LIMIT_MAX_COUNT, &v) != 0)
		return MOD_EINVAL;
	*limit = (size_t) v;
	return 0;
}

/* ---- cursors: "c" and the values joined by "." ------------------------ */

void
api_cursor_make(const int64_t *v, size_t n, char *out, size_t outsz)
{
	size_t i, len;

	mod_strlcpy(out, "c", outsz);
	for (i = 0; i < n && i < API_CURSOR_MAX_VALUES; i++) {
		len = strlen(out);
		snprintf(
		    out + len, outsz - len, "%s%" PRId64, i ? "." : "", v[i]);
	}
}

/* api_cursor_parse: s into n values; 0 or MOD_EINVAL. */
static int
api_cursor_parse(const char *s, int64_t *v, size_t n)
{
	char   buf[API_CURSOR_BYTES], *p, *tok, *save = NULL;
	size_t i = 0;

	if (s[0] != 'c' || mod_strlcpy(buf, s + 1, sizeof(buf)) >= sizeof(buf))
		return MOD_EINVAL;
	p = buf;
	while ((tok = strtok_r(p, ".", &save)) != NULL) {
		p = NULL;
		if (i == n
		    || mod_strtonum(tok, INT64_MIN, INT64_MAX, &v[i]) != 0)
			return MOD_EINVAL;
		i++;
	}
	return i == n ? 0 : MOD_EINVAL;
}

int
api_query_cursor(struct api_ctx *c, int64_t *v, size_t n, bool *found)
{
	const char *s = api_query(c, "cursor");

	*found = false;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (n == 0 || n > API_CURSOR_MAX_VALUES
	    || api_cursor_parse(s, v, n) != 0)
		return api_bad_query(c, "cursor", "not a cursor of this list");
	*found = true;
	return 0;
}

json_t *
api_json_cursor(bool more, const int64_t *v, size_t n)
{
	char s[API_CURSOR_BYTES];

	if (!more)
		return json_null();
	api_cursor_make(v, n, s, sizeof(s));
	return json_string(s);
}

/* ---- body fields ------------------------------------------------------ */

static int
api_bad_field(struct api_ctx *c, const char *name, const char *why)
{
	api_error(c, 400, "bad_request", "field %.64s: %s", name, why);
	return MOD_EINVAL;
}

static bool
api_listed(const char *name, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

int
api_body_allow(struct api_ctx *c, const char *const *fields)
{
	const char *key;
	json_t     *v;

	if (c->body == NULL)
		return 0;
	json_object_foreach(c->body, key, v)
	{
		if (!api_listed(key, fields))
			return api_bad_field(c, key, "unknown field");
	}
	return 0;
}

bool
api_body_has(const struct api_ctx *c, const char *name)
{
	return c->body != NULL && json_object_get(c->body, name) != NULL;
}

/* api_body_get's answers besides 0 (a value of the wanted type in *v). */
#define API_GOT_ABSENT 100 /* absent: leave *out alone */
#define API_GOT_NULL 101 /* an allowed null */

/*
 * api_body_get: field name of the body, which must be of type want
 * (JSON_TRUE stands for either boolean).  Answers 400 and returns
 * MOD_EINVAL for a missing required field, a disallowed null or another
 * type.
 */
static int
api_body_get(struct api_ctx *c, const char *name, unsigned fl, json_type want,
    json_t **v)
{
	*v = c->body != NULL ? json_object_get(c->body, name) : NULL;
	if (*v == NULL)
		return (fl & API_REQ) ? api_bad_field(c, name, "missing")
		                      : API_GOT_ABSENT;
	if (json_is_null(*v))
		return (fl & API_NULL)
		    ? API_GOT_NULL
		    : api_bad_field(c, name, "may not be null");
	if (json_typeof(*v) == want
	    || (want == JSON_TRUE && json_is_boolean(*v)))
		return 0;
	return api_bad_field(c, name,
	    want == JSON_STRING     ? "must be a string"
	        : want == JSON_TRUE ? "must be true or false"
	                            : "must be an integer");
}

/* api_body_stop: what a getter returns for api_body_get's rv != 0. */
static int
api_body_stop(int rv)
{
	return rv == MOD_EINVAL ? MOD_EINVAL : 0;
}

int
api_body_str(struct api_ctx *c, const char *name, unsigned fl, size_t max,
    const char **out)
{
	json_t *v;
	int     rv = api_body_get(c, name, fl, JSON_STRING, &v);

	if (rv == API_GOT_NULL)
		*out = NULL;
	if (rv != 0)
		return api_body_stop(rv);
	if (json_string_length(v) > max)
		return api_bad_field(c, name, "too long");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return api_bad_field(c, name, "contains a NUL character");
	*out = json_string_value(v);
	return 0;
}

int
api_body_bool(struct api_ctx *c, const char *name, unsigned fl, int *out)
{
	json_t *v;
	int     rv = api_body_get(c, name, fl, JSON_TRUE, &v);

	if (rv == API_GOT_NULL)
		*out = -1;
	if (rv != 0)
		return api_body_stop(rv);
	*out = json_is_true(v) ? 1 : 0;
	return 0;
}

int
api_body_int(struct api_ctx *c, const char *name, unsigned fl, int64_t lo,
    int64_t hi, int64_t *out)
{
	json_t *v;
	int     rv = api_body_get(c, name, fl, JSON_INTEGER, &v);

	if (rv != 0)
		return api_body_stop(rv);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return api_bad_field(c, name, "out of range");
	*out = json_integer_value(v);
	return 0;
}

int
api_body_enum(struct api_ctx *c, const char *name, unsigned fl,
    const char *const *choices, const char **out)
{
	const char *s = NULL;
	bool        had = api_body_has(c, name);

	if (api_body_str(c, name, fl, MOD_MAX_API_NAME_BYTES, &s) != 0)
		return MOD_EINVAL;
	if (s == NULL) {
		if (had)
			*out = NULL;
		return 0;
	}
	if (!api_listed(s, choices))
		return api_bad_field(c, name, "not one of the allowed values");
	*out = s;
	return 0;
}

/* ---- the connection pool ---------------------------------------------- */

/* api_db_take: an idle connection, or a new one; 0 or MOD_EDB. */
static int
api_db_take(struct api *a, struct store **out)
{
	struct store *db = NULL;

	pthread_mutex_lock(&a->mu);
	if (a->nidle > 0)
		db = a->idle[--a->nidle];
	pthread_mutex_unlock(&a->mu);
	if (db == NULL && store_open(a->dsn, a->stmt_timeout_ms, &db) != 0)
		return MOD_EDB;
	*out = db;
	if (store_ensure(db) != 0)
		return MOD_EDB;
	return 0;
}

/* api_db_give: back to the pool (closed when the pool is full). */
static void
api_db_give(struct api *a, struct store *db)
{
	if (db == NULL)
		return;
	store_rollback(db); /* a handler that left one open: a bug */
	pthread_mutex_lock(&a->mu);
	if (a->nidle < MOD_API_POOL_COUNT) {
		a->idle[a->nidle++] = db;
		db = NULL;
	}
	pthread_mutex_unlock(&a->mu);
	store_close(db);
}

/* ---- authentication and bodies ---------------------------------------- */

/* api_auth: the caller of c from its bearer token; answers 401/503. */
static int
api_auth(struct api_ctx *c)
{
	const char       *h = http_request_header(c->req, "Authorization");
	size_t            n = strlen(API_BEARER);
	struct store_auth au;
	int               rv;

	if (h == NULL || strncasecmp(h, API_BEARER, n) != 0) {
		api_error(c, 401, "unauthorized", "a bearer token is needed");
		return MOD_EAUTH;
	}
	rv = store_token_auth(c->db, h + n, &au);
	if (rv == MOD_EDB) {
		api_error(c, 503, "unavailable", "database unavailable");
		return rv;
	}
	if (rv != 0 || api_role_from_name(au.role) < API_ROLE_TRIAGE) {
		api_error(c, 401, "unauthorized",
		    "unknown, revoked or expired token, or disabled user");
		return MOD_EAUTH;
	}
	c->user.id = au.user_id;
	c->user.token_id = au.token_id;
	mod_strlcpy(c->user.name, au.name, sizeof(c->user.name));
	c->user.role = api_role_from_name(au.role);
	return 0;
}

/* api_depth_ok: nesting of the JSON text s[0..len) is bounded (a scan
 * that knows strings, so brackets inside them do not count). */
static bool
api_depth_ok(const char *s, size_t len)
{
	size_t i, depth = 0;
	bool   str = false;

	for (i = 0; i < len; i++) {
		if (str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				str = false;
		} else if (s[i] == '"')
			str = true;
		else if (s[i] == '{' || s[i] == '[') {
			if (++depth > MOD_MAX_API_JSON_DEPTH)
				return false;
		} else if ((s[i] == '}' || s[i] == ']') && depth > 0)
			depth--;
	}
	return true;
}

int
api_body_decode(
    const char *s, size_t len, json_t **out, char *why, size_t whysz)
{
	json_error_t err;

	*out = NULL;
	if (len == 0) {
		*out = json_object();
		return 0;
	}
	if (!api_depth_ok(s, len)) {
		snprintf(why, whysz, "body nested over %d levels",
		    MOD_MAX_API_JSON_DEPTH);
		return MOD_EINVAL;
	}
	*out = json_loadb(s, len, JSON_REJECT_DUPLICATES, &err);
	if (*out == NULL) {
		snprintf(why, whysz, "malformed JSON: %s", err.text);
		return MOD_EINVAL;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(why, whysz, "the body must be an object");
		return MOD_EINVAL;
	}
	return 0;
}

/* api_body_parse: c->body from the request body; answers 400. */
static int
api_body_parse(struct api_ctx *c)
{
	char        why[256];
	size_t      len;
	const char *s = http_request_body(c->req, &len);

	if (api_body_decode(s, len, &c->body, why, sizeof(why)) != 0) {
		api_error(c, 400, "bad_request", "%s", why);
		return MOD_EINVAL;
	}
	return 0;
}

/* api_admit: authenticate and authorise c for rt; answers if not. */
static int
api_admit(struct api_ctx *c, const struct api_route *rt)
{
	if (rt->min_role == API_ROLE_NONE)
		return 0;
	if (api_auth(c) != 0)
		return MOD_EAUTH;
	if (c->user.role < rt->min_role) {
		api_error(c, 403, "forbidden", "role %s may not %s",
		    api_role_name(c->user.role),
		    rt->what != NULL ? rt->what : "make this call");
		return MOD_EAUTH;
	}
	return 0;
}

/* The one HTTP handler of every API route. */
static void
api_handle(struct http_request *r)
{
	const struct api_bound *b = http_request_route_arg(r);
	const struct conf      *conf = conf_get();
	struct api_call         k;

	memset(&k, 0, sizeof(k));
	k.c.req = r;
	k.c.arg = b->a->arg;
	k.c.approvals = b->a->approvals;
	k.c.conf = conf != NULL ? conf : b->a->defaults;
	if (api_db_take(b->a, &k.c.db) != 0) {
		api_error(&k.c, 503, "unavailable", "database unavailable");
		goto out;
	}
	if (api_admit(&k.c, b->rt) != 0)
		goto out;
	if ((b->rt->flags & API_BODY) && api_body_parse(&k.c) != 0)
		goto out;
	b->rt->fn(&k.c);
	if (!k.answered) {
		log_warnx("api: %s %s: no answer (a bug)", b->rt->method,
		    b->rt->path);
		api_error(&k.c, 500, "internal", "no answer");
	}
out:
	json_decref(k.c.body);
	api_db_give(b->a, k.c.db);
	conf_put(conf);
}

/* ---- start and stop --------------------------------------------------- */

static int
api_route_ok(const struct api_route *rt)
{
	if (rt->method == NULL || rt->path == NULL
	    || strncmp(rt->path, "/v1/", 4) != 0 || rt->fn == NULL
	    || rt->min_role < API_ROLE_NONE || rt->min_role > API_ROLE_ADMIN) {
		log_warnx("api: broken route %s %s",
		    rt->method ? rt->method : "?", rt->path ? rt->path : "?");
		return MOD_EINVAL;
	}
	return 0;
}

/* api_bind: one http_route per API route of every module. */
static int
api_bind(struct api *a)
{
	size_t m, i, n = 0;

	for (m = 0; m < nitems(api_modules); m++)
		n += *api_modules[m].n;
	a->routes = xcalloc(n + 1, sizeof(*a->routes));
	a->bound = xcalloc(n + 1, sizeof(*a->bound));
	for (m = 0; m < nitems(api_modules); m++) {
		for (i = 0; i < *api_modules[m].n; i++) {
			const struct api_route *rt = &api_modules[m].tab[i];

			if (api_route_ok(rt) != 0)
				return MOD_EINVAL;
			a->bound[a->nroutes].rt = rt;
			a->bound[a->nroutes].a = a;
			a->routes[a->nroutes].method = rt->method;
			a->routes[a->nroutes].path = rt->path;
			a->routes[a->nroutes].flags = HTTP_ROUTE_BLOCKING
			    | ((rt->flags & API_BODY) ? HTTP_ROUTE_BODY : 0);
			a->routes[a->nroutes].fn = api_handle;
			a->routes[a->nroutes].arg = &a->bound[a->nroutes];
			a->nroutes++;
		}
	}
	return 0;
}

int
api_start(const struct api_init *init, struct api **out,
    const struct http_route **routes, size_t *n)
{
	struct api *a = xcalloc(1, sizeof(*a));
	int         rv;

	*out = NULL;
	*routes = NULL;
	*n = 0;
	pthread_mutex_init(&a->mu, NULL);
	a->dsn = xstrdup(init->db_dsn != NULL ? init->db_dsn : "");
	a->stmt_timeout_ms = init->stmt_timeout_ms;
	a->arg = init->arg;
	a->approvals = queue_group_new();
	if ((rv = conf_defaults(&a->defaults)) != 0
	    || (rv = api_bind(a)) != 0) {
		api_stop(a);
		return MOD_EINVAL;
	}
	*out = a;
	*routes = a->routes;
	*n = a->nroutes;
	return 0;
}

void
api_stop(struct api *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nidle; i++)
		store_close(a->idle[i]);
	pthread_mutex_destroy(&a->mu);
	queue_group_free(a->approvals);
	conf_free(a->defaults);
	free(a->routes);
	free(a->bound);
	free(a->dsn);
	free(a);
}
