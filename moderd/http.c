/*
 * http.c - the HTTP server: routing, bodies, replies, and the built-in
 * routes (/metrics, /healthz, the Mastodon webhook).
 *
 * nng's server gets a single handler for every method under "/", so that
 * routing, 404, 405 and every error page are ours and all speak the JSON
 * envelope {"error":"code","message":"..."}.  nng does not collect
 * bodies either: its own cap answers 400 with an HTML page, and we owe
 * the client 413.  So a route that wants a body gets one read here, after
 * Content-Length is checked against http_max_body_bytes (and after a
 * "100 Continue" if the client asked for one).  A request we answer
 * without reading its body closes the connection, so unread bytes are
 * never parsed as the next request.  Chunked request bodies are refused
 * with 411; Mastodon sends Content-Length.
 *
 * Handlers run on nng's callback threads, which must not block.  Routes
 * that may block (the webhook waits for room in the pipeline, /healthz
 * may ask the database) are queued to a few worker threads instead; the
 * queue is bounded and answers 503 when full.  A handler answers once,
 * possibly later and from another thread: the webhook answers from the
 * pipeline's done callback, so 200 means the event is durably handled.
 *
 * The webhook checks X-Hub-Signature (HMAC-SHA256 of the raw body keyed
 * with webhook_secret, compared in constant time) before anything looks
 * at the body; an empty secret refuses everything.  Status codes follow
 * what Mastodon does with them: 200 done, 400 for events we will never
 * accept (no retry), 401 for a bad signature, 503 when it should retry.
 *
 * Lifetime: struct http belongs to the nng handler (its data destructor
 * frees it), because nng may still be inside our callback when the
 * server is released.  Every request in flight is counted; http_stop()
 * waits for the count to reach zero.  A request is uncounted before its
 * nng aio is completed, and nothing touches it afterwards.
 *
 * Not here: TLS (terminate it in a proxy), HTTP/2, keep-alive tuning,
 * authentication of API routes (the API module does that per route).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <sodium.h>

#include "buf.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "util.h"

#define HTTP_JSON "application/json"
#define HTTP_METRICS_TYPE "text/plain; version=0.0.4"
#define HTTP_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define HTTP_SIG_PREFIX "sha256="
#define HTTP_SIG_HEX_BYTES (2 * crypto_auth_hmacsha256_BYTES)
#define HTTP_ALLOW_BYTES 64
/* The one reply we can send when even encoding a reply failed. */
#define HTTP_FALLBACK                                                         \
	"{\"error\":\"internal\",\"message\":\"could not encode the reply\"}"

struct http_param {
	const char *name; /* in the route's path, not NUL-terminated */
	size_t      namelen;
	char        value[MOD_MAX_HTTP_PARAM_BYTES + 1];
};

/* One query-string parameter, decoded in place in http_request.query. */
struct http_qparam {
	const char *name;
	const char *value;
};

struct http_request {
	struct http_request     *next; /* worker queue */
	struct http             *h;
	nng_aio                 *aio; /* nng's: completed by the reply */
	nng_http_req            *req;
	nng_http_conn           *conn;
	nng_aio                 *io; /* ours: 100 Continue, then the body */
	nng_iov                  iov;
	const struct http_route *route;
	const char              *method;
	char                     path[MOD_MAX_HTTP_PATH_BYTES + 1];
	struct http_param        params[MOD_MAX_HTTP_PARAMS_COUNT];
	size_t                   nparams;
	char                    *body;
	size_t                   body_len;
	char                    *query; /* decoded on first use; NULL before */
	struct http_qparam       qparams[MOD_MAX_HTTP_QUERY_PARAMS_COUNT];
	size_t                   nqparams;
	bool                     close; /* body unread: close after reply */
	bool                     expect; /* 100 Continue still to send */
	char                     allow[HTTP_ALLOW_BYTES + 1]; /* for 405 */
	char                     cont[sizeof(HTTP_CONTINUE)];
};

struct http {
	nng_http_server *srv;
	struct pipeline *pipeline;
	int (*health)(void *);
	void                    *health_arg;
	const struct http_route *routes;
	size_t                   nroutes;
	void                    *routes_arg;
	const struct http_route *static_routes;
	size_t                   nstatic;
	char                    *secret; /* while no conf is installed */
	size_t                   max_body; /* likewise */
	pthread_mutex_t          mu;
	pthread_cond_t           work; /* queue not empty, or closing */
	pthread_cond_t           idle; /* outstanding reached 0 */
	struct http_request     *qhead, *qtail;
	size_t                   qlen;
	size_t                   outstanding; /* requests not yet answered */
	bool                     closing;
	pthread_t                workers[MOD_HTTP_WORKERS_COUNT];
	size_t                   nworkers;
};

static void http_get_metrics(struct http_request *r);
static void http_get_healthz(struct http_request *r);
static void http_post_webhook(struct http_request *r);

/* The built-in routes.  More come from http_init (the /v1 API). */
static const struct http_route http_routes[] = {
	{ "GET", "/metrics", 0, http_get_metrics, NULL },
	{ "GET", "/healthz", HTTP_ROUTE_BLOCKING, http_get_healthz, NULL },
	{ "POST", "/v1/webhooks/mastodon",
	    HTTP_ROUTE_BODY | HTTP_ROUTE_BLOCKING | HTTP_ROUTE_EVENTS,
	    http_post_webhook, NULL },
};

/* ---- answering -------------------------------------------------------- */

/*
 * Uncount r, free it, and complete nng's aio with res (which nng then
 * owns and sends) or with the error rv (nng drops the connection).
 */
static void
http_finish(struct http_request *r, nng_http_res *res, int rv)
{
	struct http *h = r->h;
	nng_aio     *aio = r->aio;

	if (r->io != NULL)
		nng_aio_reap(r->io); /* we may be inside its callback */
	free(r->body);
	free(r->query);
	free(r);
	nng_aio_set_output(aio, 0, res);
	pthread_mutex_lock(&h->mu);
	if (--h->outstanding == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
	nng_aio_finish(aio, rv);
}

/* Set the name, value pairs of hdrs (NULL-terminated; may be NULL). */
static int
http_res_headers(nng_http_res *res, const char *const *hdrs)
{
	int rv = 0;

	for (; rv == 0 && hdrs != NULL && hdrs[0] != NULL; hdrs += 2)
		rv = nng_http_res_set_header(res, hdrs[0], hdrs[1]);
	return rv;
}

void
http_reply(struct http_request *r, uint16_t status, const char *ctype,
    const void *body, size_t len)
{
	http_reply_headers(r, status, ctype, NULL, body, len);
}

void
http_reply_headers(struct http_request *r, uint16_t status, const char *ctype,
    const char *const *hdrs, const void *body, size_t len)
{
	nng_http_res *res = NULL;
	int           rv;

	if ((rv = nng_http_res_alloc(&res)) != 0
	    || (rv = nng_http_res_set_status(res, status)) != 0
	    || (rv = nng_http_res_set_header(res, "Content-Type", ctype)) != 0
	    || (r->close
	        && (rv = nng_http_res_set_header(res, "Connection", "close"))
	            != 0)
	    || (status == 405 && r->allow[0] != '\0'
	        && (rv = nng_http_res_set_header(res, "Allow", r->allow)) != 0)
	    || (rv = http_res_headers(res, hdrs)) != 0
	    /* nng cannot copy 0 bytes (NNG_ENOMEM): set an empty body */
	    || (rv = len > 0 ? nng_http_res_copy_data(res, body, len)
	                     : nng_http_res_set_data(res, "", 0))
	        != 0) {
		log_warnx(
		    "http: could not build a response: %s", nng_strerror(rv));
		if (res != NULL)
			nng_http_res_free(res);
		http_finish(r, NULL, rv);
		return;
	}
	http_finish(r, res, 0);
}

void
http_reply_json(struct http_request *r, uint16_t status, const char *json)
{
	http_reply(r, status, HTTP_JSON, json, strlen(json));
}

/* Answer with the JSON object o (a new reference, or NULL: failed). */
static void
http_reply_obj(struct http_request *r, uint16_t status, json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s == NULL)
		http_reply_json(r, 500, HTTP_FALLBACK);
	else
		http_reply_json(r, status, s);
	free(s);
	json_decref(o);
}

void
http_reply_error(struct http_request *r, uint16_t status, const char *code,
    const char *fmt, ...)
{
	char    msg[MOD_MAX_ERR_BYTES];
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s, s:s}", "error", code, "message", msg);
	if (o == NULL) /* msg was not UTF-8 */
		o = json_pack("{s:s, s:s}", "error", code, "message",
		    "(message not printable)");
	http_reply_obj(r, status, o);
}

/* ---- request accessors ------------------------------------------------ */

const char *
http_request_method(const struct http_request *r)
{
	return r->method;
}

const char *
http_request_path(const struct http_request *r)
{
	return r->path;
}

const char *
http_request_param(const struct http_request *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->nparams; i++)
		if (r->params[i].namelen == n
		    && memcmp(r->params[i].name, name, n) == 0)
			return r->params[i].value;
	return NULL;
}

const char *
http_request_header(struct http_request *r, const char *name)
{
	return nng_http_req_get_header(r->req, name);
}

const char *
http_request_body(const struct http_request *r, size_t *len)
{
	*len = r->body != NULL ? r->body_len : 0;
	return r->body != NULL ? r->body : "";
}

char *
http_request_take_body(struct http_request *r, size_t *len)
{
	char *b = r->body != NULL ? r->body : xstrdup("");

	*len = r->body != NULL ? r->body_len : 0;
	r->body = NULL;
	r->body_len = 0;
	return b;
}

void *
http_request_arg(const struct http_request *r)
{
	return r->h->routes_arg;
}

const void *
http_request_route_arg(const struct http_request *r)
{
	return r->route->arg;
}

static int
http_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s in place (it only shrinks); returns s. */
static char *
http_unescape(char *s)
{
	char *w = s, *p;
	int   hi, lo;

	for (p = s; *p != '\0'; p++) {
		if (*p == '%' && (hi = http_hex(p[1])) >= 0
		    && (lo = http_hex(p[2])) >= 0 && (hi | lo) != 0) {
			*w++ = (char) (hi * 16 + lo);
			p += 2;
		} else
			*w++ = *p == '+' ? ' ' : *p;
	}
	*w = '\0';
	return s;
}

/* Split and decode the query string of r into r->qparams, once. */
static void
http_query_parse(struct http_request *r)
{
	const char *uri = nng_http_req_get_uri(r->req);
	const char *q = strchr(uri, '?');
	size_t      n = q != NULL ? strcspn(q + 1, "#") : 0;
	char       *s, *eq, *save = NULL;

	if (n > MOD_MAX_HTTP_QUERY_BYTES)
		n = 0; /* too long: no parameters at all, never half of them */
	r->query = xstrndup(q != NULL ? q + 1 : "", n);
	for (s = strtok_r(r->query, "&", &save);
	     s != NULL && r->nqparams < MOD_MAX_HTTP_QUERY_PARAMS_COUNT;
	     s = strtok_r(NULL, "&", &save)) {
		eq = strchr(s, '=');
		if (eq != NULL)
			*eq = '\0';
		r->qparams[r->nqparams].name = http_unescape(s);
		r->qparams[r->nqparams++].value
		    = eq != NULL ? http_unescape(eq + 1) : "";
	}
}

const char *
http_request_query(struct http_request *r, const char *name)
{
	size_t i;

	if (r->query == NULL)
		http_query_parse(r);
	for (i = 0; i < r->nqparams; i++)
		if (strcmp(r->qparams[i].name, name) == 0)
			return r->qparams[i].value;
	return NULL;
}

/* ---- routing ---------------------------------------------------------- */

/* Does r's path match the route path pat?  Fills r's params if so. */
static bool
http_path_match(struct http_request *r, const char *pat)
{
	const char        *s = r->path, *end;
	struct http_param *p;
	size_t             n;

	r->nparams = 0;
	while (*pat != '\0') {
		if (*pat != '{') {
			if (*pat++ != *s++)
				return false;
			continue;
		}
		end = strchr(pat, '}');
		n = strcspn(s, "/");
		if (end == NULL || n == 0 || n > MOD_MAX_HTTP_PARAM_BYTES
		    || r->nparams == MOD_MAX_HTTP_PARAMS_COUNT)
			return false;
		p = &r->params[r->nparams++];
		p->name = pat + 1;
		p->namelen = (size_t) (end - pat - 1);
		memcpy(p->value, s, n);
		p->value[n] = '\0';
		s += n;
		pat = end + 1;
	}
	return *s == '\0';
}

static bool
http_method_match(const char *req, const char *route)
{
	return strcmp(req, route) == 0
	    || (strcmp(req, "HEAD") == 0 && strcmp(route, "GET") == 0);
}

static void
http_allow_add(char *allow, const char *method)
{
	if (strstr(allow, method) != NULL
	    || strlen(allow) + strlen(method) + 3 > HTTP_ALLOW_BYTES)
		return;
	if (allow[0] != '\0')
		strcat(allow, ", ");
	strcat(allow, method);
}

/*
 * The route for r, or NULL; then allow lists the methods the path does
 * have ("" if none: 404, else 405).
 */
static const struct http_route *
http_find(struct http_request *r, char *allow)
{
	const struct http_route *tab[3]
	    = { http_routes, r->h->routes, r->h->static_routes };
	size_t n[3] = { nitems(http_routes), r->h->nroutes, r->h->nstatic };
	size_t t, i;

	allow[0] = '\0';
	for (t = 0; t < nitems(tab); t++) {
		for (i = 0; i < n[t]; i++) {
			if (!http_path_match(r, tab[t][i].path))
				continue;
			if (http_method_match(r->method, tab[t][i].method))
				return &tab[t][i];
			http_allow_add(allow, tab[t][i].method);
		}
	}
	return NULL;
}

/* Run r's handler here, or queue it for a worker if it may block. */
static void
http_dispatch(struct http_request *r)
{
	struct http *h = r->h;
	int          busy = 0;

	if (r->route->flags & HTTP_ROUTE_EVENTS)
		metrics_event_in(PIPE_SRC_WEBHOOK);
	if (!(r->route->flags & HTTP_ROUTE_BLOCKING)) {
		r->route->fn(r);
		return;
	}
	pthread_mutex_lock(&h->mu);
	if (h->closing)
		busy = 1;
	else if (h->qlen >= MOD_MAX_HTTP_QUEUE_COUNT)
		busy = 2;
	else {
		if (h->qtail != NULL)
			h->qtail->next = r;
		else
			h->qhead = r;
		h->qtail = r;
		h->qlen++;
		pthread_cond_signal(&h->work);
	}
	pthread_mutex_unlock(&h->mu);
	if (busy)
		http_reply_error(r, 503, "unavailable", "%s",
		    busy == 1 ? "shutting down" : "too many requests waiting");
}

/* ---- request bodies --------------------------------------------------- */

static size_t
http_max_body(const struct http *h)
{
	const struct conf *c = conf_get();
	size_t max = c != NULL ? c->http_max_body_bytes : h->max_body;

	conf_put(c);
	return max;
}

/* Start the next read or write of r's body exchange. */
static void
http_io_next(struct http_request *r)
{
	if (r->expect) {
		memcpy(r->cont, HTTP_CONTINUE, sizeof(r->cont));
		r->iov.iov_buf = r->cont;
		r->iov.iov_len = sizeof(r->cont) - 1;
	} else {
		r->iov.iov_buf = r->body;
		r->iov.iov_len = r->body_len;
	}
	nng_aio_set_iov(r->io, 1, &r->iov);
	if (r->expect)
		nng_http_conn_write_all(r->conn, r->io);
	else
		nng_http_conn_read_all(r->conn, r->io);
}

static void
http_io_cb(void *arg)
{
	struct http_request *r = arg;
	int                  rv = nng_aio_result(r->io);

	if (rv != 0) {
		log_debug("http: %s %s: could not read the body: %s",
		    r->method, r->path, nng_strerror(rv));
		http_finish(r, NULL, rv);
		return;
	}
	if (r->expect) {
		r->expect = false;
		http_io_next(r);
		return;
	}
	r->close = false;
	http_dispatch(r);
}

/* Check the announced body of r and read it, or refuse it. */
static void
http_body_begin(struct http_request *r)
{
	const char *cl = http_request_header(r, "Content-Length");
	const char *ex = http_request_header(r, "Expect");
	size_t      max = http_max_body(r->h);
	int64_t     len = 0;
	int         rv;

	r->close = true; /* until the body has been read */
	if (http_request_header(r, "Transfer-Encoding") != NULL) {
		http_reply_error(r, 411, "length_required",
		    "a request body needs Content-Length");
		return;
	}
	if (cl != NULL && mod_strtonum(cl, 0, INT64_MAX, &len) != 0) {
		http_reply_error(r, 400, "bad_request", "bad Content-Length");
		return;
	}
	if ((uint64_t) len > max) {
		if (r->route->flags & HTTP_ROUTE_EVENTS) {
			metrics_event_in(PIPE_SRC_WEBHOOK);
			metrics_rejected(METRICS_REJ_TOO_LARGE);
		}
		log_flood(LOG_FLOOD_REFUSED,
		    "http: %s %s: body of %lld bytes over the limit",
		    r->method, r->path, (long long) len);
		http_reply_error(
		    r, 413, "too_large", "request body over %zu bytes", max);
		return;
	}
	r->body_len = (size_t) len;
	r->body = xmalloc(r->body_len + 1);
	r->body[r->body_len] = '\0';
	if (len == 0) {
		r->close = false;
		http_dispatch(r);
		return;
	}
	if ((rv = nng_aio_alloc(&r->io, http_io_cb, r)) != 0) {
		http_reply_error(r, 500, "internal", "%s", nng_strerror(rv));
		return;
	}
	nng_aio_set_timeout(r->io, MOD_HTTP_BODY_TIMEOUT_MS);
	r->expect = ex != NULL && strcasecmp(ex, "100-continue") == 0;
	http_io_next(r);
}

/* Copy the path of the request URI (without query) into r->path. */
static int
http_path(struct http_request *r)
{
	const char *uri = nng_http_req_get_uri(r->req);
	size_t      n = strcspn(uri, "?#");

	if (n > MOD_MAX_HTTP_PATH_BYTES)
		return MOD_ETOOBIG;
	memcpy(r->path, uri, n);
	r->path[n] = '\0';
	return 0;
}

/* Route r and answer the errors routing can find. */
static void
http_route(struct http_request *r)
{
	if (http_path(r) != 0) {
		http_reply_error(r, 414, "uri_too_long",
		    "request path over %d bytes", MOD_MAX_HTTP_PATH_BYTES);
		return;
	}
	if ((r->route = http_find(r, r->allow)) == NULL) {
		r->close = true; /* a body, if any, is not read */
		if (r->allow[0] == '\0') {
			http_reply_error(
			    r, 404, "not_found", "no such path: %s", r->path);
			return;
		}
		http_reply_error(r, 405, "method_not_allowed",
		    "%s is not allowed here (allowed: %s)", r->method,
		    r->allow);
		return;
	}
	if (r->route->flags & HTTP_ROUTE_BODY) {
		http_body_begin(r);
		return;
	}
	r->close = http_request_header(r, "Content-Length") != NULL
	    || http_request_header(r, "Transfer-Encoding") != NULL;
	http_dispatch(r);
}

/* nng's handler: every request arrives here. */
static void
http_cb(nng_aio *aio)
{
	struct http *h = nng_http_handler_get_data(nng_aio_get_input(aio, 1));
	struct http_request *r = xcalloc(1, sizeof(*r));
	bool                 closing;

	r->h = h;
	r->aio = aio;
	r->req = nng_aio_get_input(aio, 0);
	r->conn = nng_aio_get_input(aio, 2);
	r->method = nng_http_req_get_method(r->req);
	pthread_mutex_lock(&h->mu);
	h->outstanding++;
	closing = h->closing;
	pthread_mutex_unlock(&h->mu);
	if (closing) {
		r->close = true;
		http_reply_error(r, 503, "unavailable", "shutting down");
		return;
	}
	http_route(r);
}

static void *
http_worker(void *arg)
{
	struct http         *h = arg;
	struct http_request *r;
	bool                 closing;

	for (;;) {
		pthread_mutex_lock(&h->mu);
		while (h->qhead == NULL && !h->closing)
			pthread_cond_wait(&h->work, &h->mu);
		if ((r = h->qhead) != NULL) {
			if ((h->qhead = r->next) == NULL)
				h->qtail = NULL;
			h->qlen--;
		}
		closing = h->closing;
		pthread_mutex_unlock(&h->mu);
		if (r == NULL)
			break;
		if (closing)
			http_reply_error(
			    r, 503, "unavailable", "shutting down");
		else
			r->route->fn(r);
	}
	return NULL;
}

/* ---- built-in routes -------------------------------------------------- */

static void
http_get_metrics(struct http_request *r)
{
	struct buf b;

	buf_init(&b, MOD_MAX_METRICS_BYTES);
	if (metrics_render(&b) != 0) {
		log_warnx(
		    "http: metrics page over %d bytes", MOD_MAX_METRICS_BYTES);
		http_reply_error(r, 500, "internal", "metrics page too large");
	} else
		http_reply(r, 200, HTTP_METRICS_TYPE, b.data, b.len);
	buf_free(&b);
}

static void
http_get_healthz(struct http_request *r)
{
	struct http *h = r->h;

	if (h->health == NULL || h->health(h->health_arg) == 0)
		http_reply_json(r, 200, "{\"ok\":true}");
	else
		http_reply_json(r, 503,
		    "{\"ok\":false,\"error\":\"unavailable\","
		    "\"message\":\"database unreachable\"}");
}

int
http_webhook_verify(
    const char *secret, const char *header, const void *body, size_t len)
{
	crypto_auth_hmacsha256_state st;
	unsigned char                want[crypto_auth_hmacsha256_BYTES];
	unsigned char                got[crypto_auth_hmacsha256_BYTES];
	size_t                       n = 0, plen = strlen(HTTP_SIG_PREFIX);
	int                          rv = MOD_EAUTH;

	if (secret == NULL || secret[0] == '\0' || header == NULL
	    || strncmp(header, HTTP_SIG_PREFIX, plen) != 0
	    || strlen(header + plen) != HTTP_SIG_HEX_BYTES
	    || sodium_hex2bin(got, sizeof(got), header + plen,
	           HTTP_SIG_HEX_BYTES, NULL, &n, NULL)
	        != 0
	    || n != sizeof(got))
		return MOD_EAUTH;
	if (crypto_auth_hmacsha256_init(
	        &st, (const unsigned char *) secret, strlen(secret))
	        == 0
	    && crypto_auth_hmacsha256_update(&st, body, len) == 0
	    && crypto_auth_hmacsha256_final(&st, want) == 0
	    && sodium_memcmp(want, got, sizeof(want)) == 0)
		rv = 0;
	sodium_memzero(&st, sizeof(st));
	return rv;
}

static int
http_webhook_check(
    const struct http *h, const char *sig, const struct http_request *r)
{
	const struct conf *c = conf_get();
	int                rv;

	rv = http_webhook_verify(c != NULL ? c->webhook_secret : h->secret,
	    sig, r->body, r->body_len);
	conf_put(c);
	return rv;
}

/* The pipeline is done with a webhook event: now Mastodon hears of it. */
static void
http_webhook_done(void *arg, int rc, const char *msg)
{
	struct http_request *r = arg;

	if (msg == NULL)
		msg = mod_strerror(rc);
	if (rc == 0)
		http_reply_obj(
		    r, 200, json_pack("{s:b, s:s}", "ok", 1, "status", msg));
	else if (rc == MOD_EINVAL)
		http_reply_error(r, 400, "invalid_event", "%s", msg);
	else
		http_reply_error(r, 503, "unavailable", "%s", msg);
}

static void
http_post_webhook(struct http_request *r)
{
	struct http *h = r->h;
	const char  *sig = http_request_header(r, "X-Hub-Signature");
	char        *data;
	size_t       len;
	int          rv;

	if (http_webhook_check(h, sig, r) != 0) {
		metrics_rejected(METRICS_REJ_BAD_SIGNATURE);
		log_flood(LOG_FLOOD_REFUSED,
		    "http: webhook: %s signature, refused",
		    sig == NULL ? "missing" : "bad");
		http_reply_error(
		    r, 401, "unauthorized", "missing or bad X-Hub-Signature");
		return;
	}
	if (h->pipeline == NULL) {
		http_reply_error(r, 503, "unavailable", "no pipeline");
		return;
	}
	data = http_request_take_body(r, &len);
	/* pipeline_submit owns data on every path. */
	/* Never wait for room here: the two HTTP workers would block and
	 * /healthz with them.  Mastodon retries a 503 later. */
	rv = pipeline_submit(h->pipeline, PIPE_SRC_WEBHOOK, "webhook", data,
	    len, false, http_webhook_done, r);
	if (rv != 0)
		http_reply_error(r, 503, "unavailable", "%s",
		    rv == MOD_ECLOSED      ? "shutting down"
		        : rv == MOD_ELIMIT ? "busy, retry later"
		                           : mod_strerror(rv));
}

/* ---- start and stop --------------------------------------------------- */

/* Handler data destructor: nng calls it when the last callback is over. */
static void
http_free(void *arg)
{
	struct http *h = arg;

	if (h == NULL)
		return;
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->work);
	pthread_cond_destroy(&h->idle);
	free(h->secret);
	free(h);
}

static struct http *
http_new(const struct conf *c, const struct http_init *init)
{
	struct http *h = xcalloc(1, sizeof(*h));

	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->work, NULL);
	pthread_cond_init(&h->idle, NULL);
	h->pipeline = init->pipeline;
	h->health = init->health;
	h->health_arg = init->health_arg;
	h->routes = init->routes;
	h->nroutes = init->routes != NULL ? init->nroutes : 0;
	h->routes_arg = init->routes_arg;
	h->static_routes = init->static_routes;
	h->nstatic = init->static_routes != NULL ? init->nstatic_routes : 0;
	h->secret = xstrdup(c->webhook_secret);
	h->max_body = c->http_max_body_bytes;
	return h;
}

static int
http_check_routes(const struct http_route *tab, size_t n)
{
	const struct http_route *rt;
	size_t                   i;

	for (i = 0; tab != NULL && i < n; i++) {
		rt = &tab[i];
		if (rt->method == NULL || rt->path == NULL
		    || rt->path[0] != '/' || rt->fn == NULL) {
			log_warnx("http: route %zu is incomplete", i);
			return MOD_EINVAL;
		}
	}
	return 0;
}

static void
http_workers_stop(struct http *h)
{
	size_t i;

	pthread_mutex_lock(&h->mu);
	h->closing = true;
	pthread_cond_broadcast(&h->work);
	pthread_mutex_unlock(&h->mu);
	for (i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	h->nworkers = 0;
}

static void
http_workers_start(struct http *h)
{
	for (h->nworkers = 0; h->nworkers < MOD_HTTP_WORKERS_COUNT;
	     h->nworkers++)
		if (pthread_create(
		        &h->workers[h->nworkers], NULL, http_worker, h)
		    != 0)
			fatalx("http: could not start a worker thread");
}

/* A handler for every method and path, owning h from now on. */
static int
http_handler_new(struct http *h, nng_http_handler **out)
{
	nng_http_handler *hd = NULL;
	int               rv;

	if ((rv = nng_http_handler_alloc(&hd, "/", http_cb)) != 0) {
		http_free(h);
		return rv;
	}
	if ((rv = nng_http_handler_set_data(hd, h, http_free)) != 0) {
		http_free(h);
		nng_http_handler_free(hd);
		return rv;
	}
	if ((rv = nng_http_handler_set_method(hd, NULL)) != 0
	    || (rv = nng_http_handler_set_tree(hd)) != 0
	    || (rv = nng_http_handler_collect_body(hd, false, 0)) != 0) {
		nng_http_handler_free(hd); /* frees h */
		return rv;
	}
	*out = hd;
	return 0;
}

int
http_start(
    const struct conf *c, const struct http_init *init, struct http **out)
{
	struct http      *h;
	nng_http_handler *hd = NULL;
	nng_http_server  *srv = NULL;
	nng_url          *url = NULL;
	int               rv;

	*out = NULL;
	if (sodium_init() < 0)
		fatalx("http: could not initialise libsodium");
	if (c->http_listen[0] == '\0'
	    || http_check_routes(init->routes, init->nroutes) != 0
	    || http_check_routes(init->static_routes, init->nstatic_routes)
	        != 0)
		return MOD_EINVAL;
	h = http_new(c, init);
	if ((rv = http_handler_new(h, &hd)) != 0) {
		log_warnx("http: could not create the handler: %s",
		    nng_strerror(rv));
		return mod_from_nng(rv);
	}
	http_workers_start(h);
	if ((rv = nng_url_parse(&url, c->http_listen)) != 0
	    || (rv = nng_http_server_hold(&srv, url)) != 0)
		goto out;
	if ((rv = nng_http_server_add_handler(srv, hd)) != 0)
		goto out;
	hd = NULL; /* the server owns the handler, and with it h */
	if ((rv = nng_http_server_start(srv)) != 0)
		goto out;
	h->srv = srv;
	*out = h;
out:
	nng_url_free(url);
	if (rv != 0) {
		log_warnx("http: could not listen on %s: %s", c->http_listen,
		    nng_strerror(rv));
		http_workers_stop(h);
		if (hd != NULL)
			nng_http_handler_free(hd);
		if (srv != NULL)
			nng_http_server_release(srv);
	}
	return mod_from_nng(rv);
}

int
http_port(const struct http *h, int *port)
{
	nng_sockaddr sa;

	if (nng_http_server_get_addr(h->srv, &sa) != 0)
		return MOD_EINVAL;
	if (sa.s_family == NNG_AF_INET)
		*port = ntohs(sa.s_in.sa_port);
	else if (sa.s_family == NNG_AF_INET6)
		*port = ntohs(sa.s_in6.sa_port);
	else
		return MOD_EINVAL;
	return 0;
}

void
http_stop(struct http *h)
{
	nng_http_server *srv;

	if (h == NULL)
		return;
	srv = h->srv;
	http_workers_stop(h); /* queued requests get 503 */
	nng_http_server_stop(srv);
	pthread_mutex_lock(&h->mu);
	while (h->outstanding > 0)
		pthread_cond_wait(&h->idle, &h->mu);
	pthread_mutex_unlock(&h->mu);
	/* h belongs to the handler: it goes with the server, not before. */
	nng_http_server_release(srv);
}
