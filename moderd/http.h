/*
 * http.h - the daemon's HTTP server (nng 1.5.2): GET /metrics, GET
 * /healthz, POST /v1/webhooks/mastodon, and routes added by other modules
 * (the /v1 API).
 *
 * Routes are tables of {method, path, flags, handler}.  A path segment
 * written {name} matches any one non-empty segment, which the handler
 * reads with http_request_param().  Every handler answers its request
 * exactly once with one of the http_reply*() functions, at once or later
 * from any thread.  Every error is the JSON envelope
 * {"error":"code","message":"..."} with Content-Type application/json.
 */
#ifndef MODERD_HTTP_H
#define MODERD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moderd.h"

struct conf;
struct pipeline;
struct http;
struct http_request;

/* A route handler; r is answered with http_reply*() exactly once. */
typedef void (*http_handler_fn)(struct http_request *r);

/* Route flags. */
#define HTTP_ROUTE_BODY 0x1 /* read the body first, http_max_body_bytes */
#define HTTP_ROUTE_BLOCKING 0x2 /* run on a worker thread: may block */
#define HTTP_ROUTE_EVENTS 0x4 /* webhook events: counted as received */

struct http_route {
	const char     *method; /* "GET" also answers HEAD */
	const char     *path; /* "/v1/queue/{id}" */
	unsigned        flags; /* HTTP_ROUTE_* */
	http_handler_fn fn;
	const void     *arg; /* http_request_route_arg(); may be NULL */
};

/* What the server needs besides the configuration; all borrowed. */
struct http_init {
	struct pipeline *pipeline; /* webhook events go here */
	/* 0 when the database is reachable; runs on a worker thread, may
	 * block briefly.  NULL: always healthy. */
	int (*health)(void *arg);
	void *health_arg;
	/* More routes (the API), valid until http_stop(); may be NULL. */
	const struct http_route *routes;
	size_t                   nroutes;
	void                    *routes_arg; /* http_request_arg() */
	/* Routes tried after those (the console's static files); same
	 * lifetime; may be NULL. */
	const struct http_route *static_routes;
	size_t                   nstatic_routes;
};

/*
 * http_start: listen on c->http_listen ("http://HOST:PORT"; port 0 picks
 * one, see http_port()) and serve the built-in routes and init's.  The
 * webhook secret and body cap are read per request from the running
 * configuration (conf_get()), so SIGHUP applies them; c's values are used
 * while none is installed.  c is borrowed for the call only.  Returns 0
 * and *out (stop it with http_stop()), MOD_EINVAL (bad address or route
 * table) or MOD_EIO (could not listen); the reason is logged.
 */
int http_start(const struct conf *c, const struct http_init *init,
    struct http **out) MOD_MUSTCHECK;

/* http_port: the TCP port the server listens on (after port 0). */
int http_port(const struct http *h, int *port) MOD_MUSTCHECK;

/*
 * http_stop: close the listener and every connection at once (nng has no
 * graceful stop: a request in flight loses its connection, though its
 * event is still handled, and Mastodon retries), answer queued requests
 * with 503, wait until the pipeline has called back for every webhook in
 * flight (so call this before stopping the pipeline), and release the
 * server.  NULL-safe.
 */
void http_stop(struct http *h);

/* Request accessors for handlers; r is valid until it is answered. */
const char *http_request_method(const struct http_request *r);
const char *http_request_path(const struct http_request *r); /* no query */
/* http_request_param: the value of {name} in the route, or NULL. */
const char *http_request_param(const struct http_request *r, const char *name);
/* http_request_header: a request header (case-insensitive), or NULL. */
const char *http_request_header(struct http_request *r, const char *name);
/* http_request_body: the body (NUL-terminated) of an HTTP_ROUTE_BODY
 * route, borrowed; "" and 0 otherwise. */
const char *http_request_body(const struct http_request *r, size_t *len);
/* http_request_take_body: as above, but the caller owns it (free()). */
char *http_request_take_body(struct http_request *r, size_t *len);
/* http_request_arg: init->routes_arg. */
void *http_request_arg(const struct http_request *r);
/* http_request_route_arg: the arg of the route r matched. */
const void *http_request_route_arg(const struct http_request *r);
/*
 * http_request_query: the value of the first query-string parameter
 * called name, percent-decoded ('+' is a space), or NULL if absent; ""
 * for "name" or "name=".  An escape that is malformed or decodes to NUL
 * is kept as written.  At most MOD_MAX_HTTP_QUERY_PARAMS_COUNT
 * parameters of a query of at most MOD_MAX_HTTP_QUERY_BYTES are seen.
 * Borrowed until r is answered; not thread-safe for one request.
 */
const char *http_request_query(struct http_request *r, const char *name);

/*
 * http_reply: answer r with status, Content-Type ctype and body[0..len)
 * (copied), and release r.  Thread-safe; never blocks.
 */
void http_reply(struct http_request *r, uint16_t status, const char *ctype,
    const void *body, size_t len);

/*
 * http_reply_headers: as http_reply, plus the response headers in hdrs, a
 * NULL-terminated list of name, value pairs (copied; NULL for none).
 */
void http_reply_headers(struct http_request *r, uint16_t status,
    const char *ctype, const char *const *hdrs, const void *body, size_t len);

/* http_reply_json: answer with a JSON document (application/json). */
void http_reply_json(
    struct http_request *r, uint16_t status, const char *json);

/* http_reply_error: answer {"error":code,"message":<formatted>}. */
void http_reply_error(struct http_request *r, uint16_t status,
    const char *code, const char *fmt, ...) MOD_PRINTF(4, 5);

/*
 * http_webhook_verify: check an X-Hub-Signature header value
 * ("sha256=" and 64 hex digits) against HMAC-SHA256(body, secret), in
 * constant time.  Returns 0 if it matches; MOD_EAUTH if header is NULL or
 * malformed, the secret is empty, or the signature differs.
 */
int http_webhook_verify(const char *secret, const char *header,
    const void *body, size_t len) MOD_MUSTCHECK;

#endif /* MODERD_HTTP_H */
