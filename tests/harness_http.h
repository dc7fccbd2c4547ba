/*
 * harness_http.h - a tiny threaded HTTP/1.1 server for tests.
 *
 * Listens on 127.0.0.1 on an ephemeral port, one thread per connection,
 * plain sockets and nothing else.  Each request is parsed (request line,
 * headers, a Content-Length body), recorded, and handed to the test's
 * handler, which scripts the answer with the send functions below: a
 * whole response, a body streamed to the close or in chunks, pauses,
 * holding the connection open, an abrupt close.  A connection serves
 * further requests while the handler leaves it reusable (keep-alive).
 *
 * Handlers run on the connection's thread, so they must not call cmocka
 * assertions: record what you need (or use harness_http_request() after
 * the fact) and assert in the test's own thread.  harness_http_stop()
 * wakes every connection (reads and writes fail, sleeps and holds return
 * -1) and joins all threads; a handler must then return promptly.
 *
 * No dependency on cmocka; memory from moderd's util.h.
 */
#ifndef HARNESS_HTTP_H
#define HARNESS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HARNESS_HTTP_MAX_HEAD_BYTES (16 * 1024) /* request line + headers */
#define HARNESS_HTTP_MAX_BODY_BYTES (4 * 1024 * 1024) /* request body */
#define HARNESS_HTTP_MAX_HEADERS_COUNT 64 /* headers kept per request */
#define HARNESS_HTTP_MAX_CONNS_COUNT 1024 /* connections per server */
#define HARNESS_HTTP_MAX_REQUESTS_COUNT 4096 /* requests recorded */
#define HARNESS_HTTP_MAX_EXPECT_COUNT 16 /* header checks per expectation */

struct harness_http;
struct harness_http_conn;

struct harness_http_header {
	const char *name; /* as sent */
	const char *value; /* leading and trailing blanks removed */
};

/* A parsed request.  Every string is NUL-terminated and lives as long as
 * the struct (the handler's call, or until harness_http_req_free()). */
struct harness_http_req {
	const char                *method;
	const char                *target; /* path and query, as sent */
	const char                *version; /* "HTTP/1.1" */
	struct harness_http_header headers[HARNESS_HTTP_MAX_HEADERS_COUNT];
	size_t                     nheaders;
	const char                *body; /* "" when none; may hold NULs */
	size_t                     body_len;
	unsigned conn; /* connection index, 0 = first accepted */
	unsigned seq; /* request index on the server, from 0 */
	int64_t  at_ms; /* mod_mono_ms() on arrival */
	char    *mem; /* private storage */
};

/*
 * Handler: called once per request on the connection's thread.  Answer
 * with the send functions; if it returns without having made the
 * connection reusable (harness_http_send_response() or a finished chunked
 * body) the connection is closed.
 */
typedef void (*harness_http_handler_fn)(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r);

/* harness_http_start: listen on 127.0.0.1:0 and serve.  0 or -1. */
int harness_http_start(
    struct harness_http **out, harness_http_handler_fn fn, void *arg);

/* harness_http_stop: wake and close every connection, join every thread,
 * free everything.  NULL-safe. */
void harness_http_stop(struct harness_http *h);

/* harness_http_port: the port the server listens on. */
int harness_http_port(const struct harness_http *h);

/* harness_http_url: "http://127.0.0.1:PORT" + path into buf; returns buf. */
char *harness_http_url(
    const struct harness_http *h, const char *path, char *buf, size_t size);

/* harness_http_connections: connections accepted so far. */
unsigned harness_http_connections(struct harness_http *h);

/* harness_http_requests: requests received so far (complete ones). */
unsigned harness_http_requests(struct harness_http *h);

/*
 * harness_http_wait_connections: wait until at least n connections were
 * accepted, at most timeout_ms.  Returns 0, or -1 on timeout.
 */
int harness_http_wait_connections(
    struct harness_http *h, unsigned n, int64_t timeout_ms);

/*
 * harness_http_conn_times: when connection i was accepted and closed by
 * the server, on the clock of mod_mono_ms() (*closed_ms = -1 while
 * open).  Returns 0, or -1 if there is
 * no connection i.
 */
int harness_http_conn_times(struct harness_http *h, unsigned i,
    int64_t *accepted_ms, int64_t *closed_ms);

/*
 * harness_http_request: a copy of request i (0-based, arrival order);
 * free with harness_http_req_free().  Returns 0, or -1 if there is no
 * request i (only the first HARNESS_HTTP_MAX_REQUESTS_COUNT are kept).
 */
int harness_http_request(
    struct harness_http *h, unsigned i, struct harness_http_req *out);

/* harness_http_req_free: release a copy from harness_http_request(). */
void harness_http_req_free(struct harness_http_req *r);

/* harness_http_req_header: value of the first header called name (any
 * case), or NULL. */
const char *harness_http_req_header(
    const struct harness_http_req *r, const char *name);

/*
 * What a request must look like.  NULL method/target: any.  Each header
 * entry is "Name: value" (present exactly once, with exactly that value;
 * name in any case) or "!Name" (absent).  Unused entries are NULL.
 */
struct harness_http_expect {
	const char *method;
	const char *target;
	const char *headers[HARNESS_HTTP_MAX_EXPECT_COUNT];
};

/*
 * harness_http_req_check: compare r with e.  Returns 0 when everything
 * matches, else -1 with the first difference written to why.
 */
int harness_http_req_check(const struct harness_http_req *r,
    const struct harness_http_expect *e, char *why, size_t whylen);

/*
 * Answering.  headers is NULL or header lines each ending in "\r\n".
 * All return 0, or -1 once the peer is gone or the server is stopping.
 */

/* harness_http_send_response: a whole response with Content-Length;
 * the connection stays open for the next request. */
int harness_http_send_response(struct harness_http_conn *c, int status,
    const char *headers, const void *body, size_t len);

/* harness_http_send_status: status line and headers of a body that runs
 * until the connection closes ("Connection: close" is added). */
int harness_http_send_status(
    struct harness_http_conn *c, int status, const char *headers);

/* harness_http_send_chunked: as send_status, but the body is sent with
 * Transfer-Encoding: chunked; finish it with harness_http_end_chunks(). */
int harness_http_send_chunked(
    struct harness_http_conn *c, int status, const char *headers);

/* harness_http_send_chunk: body bytes (one chunk in chunked mode). */
int harness_http_send_chunk(
    struct harness_http_conn *c, const void *p, size_t len);

/* harness_http_send_str: harness_http_send_chunk() of a C string. */
int harness_http_send_str(struct harness_http_conn *c, const char *s);

/* harness_http_end_chunks: the final chunk; the connection stays open
 * for the next request. */
int harness_http_end_chunks(struct harness_http_conn *c);

/* harness_http_send_raw: bytes as given, for malformed responses. */
int harness_http_send_raw(
    struct harness_http_conn *c, const void *p, size_t len);

/* harness_http_sleep: pause ms; -1 at once if the server is stopping. */
int harness_http_sleep(struct harness_http_conn *c, int64_t ms);

/* harness_http_hold: wait until the peer closes (0) or the server stops
 * (-1), discarding anything the peer sends. */
int harness_http_hold(struct harness_http_conn *c);

/* harness_http_close: close the connection now; abrupt sends a TCP reset
 * instead of a clean end.  Later sends return -1. */
void harness_http_close(struct harness_http_conn *c, bool abrupt);

/* harness_http_stopping: true once harness_http_stop() has begun. */
bool harness_http_stopping(struct harness_http_conn *c);

#endif /* HARNESS_HTTP_H */
