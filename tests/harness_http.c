/*
 * harness_http.c - the tests' HTTP/1.1 server (see harness_http.h).
 *
 * An acceptor thread polls the listening socket and a self-pipe; every
 * accepted connection gets a thread that reads requests (head up to
 * HARNESS_HTTP_MAX_HEAD_BYTES, then a Content-Length body), records a raw
 * copy, and calls the handler.  The server mutex guards the connection
 * and request tables, every connection's fd (only its own thread closes
 * it, harness_http_stop() only shuts it down) and the stopping flag; the
 * condition variable (CLOCK_MONOTONIC) wakes sleeps, waits and stop.
 *
 * Deliberately small: no TLS, no chunked request bodies (answered 501),
 * no pipelining guarantees beyond keeping unread bytes for the next
 * request.  Malformed requests get a 400 and a close.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "harness_http.h"
#include "util.h"

enum hh_mode { HH_NONE, HH_CLOSE, HH_CHUNKED, HH_DONE };

struct hh_rec {
	char    *raw; /* head then body */
	size_t   head_len;
	size_t   body_len;
	unsigned conn;
	int64_t  at_ms;
};

struct harness_http_conn {
	struct harness_http *h;
	int                  fd; /* -1 once closed */
	unsigned             index;
	pthread_t            thread;
	bool                 started;
	int64_t              accepted_ms;
	int64_t              closed_ms;
	struct buf           in; /* bytes read, not yet consumed */
	int                  mode; /* enum hh_mode */
	bool                 reusable; /* may serve another request */
	bool req_close; /* request asked for Connection: close */
};

struct harness_http {
	int                       lfd;
	int                       port;
	int                       wake[2];
	pthread_t                 acceptor;
	harness_http_handler_fn   fn;
	void                     *arg;
	pthread_mutex_t           mu;
	pthread_cond_t            cv;
	bool                      stopping;
	struct harness_http_conn *conns[HARNESS_HTTP_MAX_CONNS_COUNT];
	unsigned                  nconns;
	struct hh_rec            *recs; /* HARNESS_HTTP_MAX_REQUESTS_COUNT */
	unsigned                  nrecs;
};

static bool
hh_stopping(struct harness_http *h)
{
	bool s;

	pthread_mutex_lock(&h->mu);
	s = h->stopping;
	pthread_mutex_unlock(&h->mu);
	return s;
}

bool
harness_http_stopping(struct harness_http_conn *c)
{
	return hh_stopping(c->h);
}

/* ---- request parsing ---- */

static char *
hh_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (
	    n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* hh_next_line: cut the line at *pos, return it (CR stripped) or NULL. */
static char *
hh_next_line(char **pos)
{
	char *line = *pos, *nl;

	if (line == NULL || (nl = strchr(line, '\n')) == NULL)
		return NULL;
	*nl = '\0';
	*pos = nl + 1;
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	return line;
}

static int
hh_parse_request_line(struct harness_http_req *r, char *line)
{
	char *sp1 = strchr(line, ' '), *sp2;

	if (sp1 == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL)
		return -1;
	*sp1 = *sp2 = '\0';
	r->method = line;
	r->target = sp1 + 1;
	r->version = sp2 + 1;
	if (*r->method == '\0' || *r->target == '\0'
	    || strncmp(r->version, "HTTP/1.", 7) != 0)
		return -1;
	return 0;
}

static int
hh_parse_header(struct harness_http_req *r, char *line)
{
	char *colon = strchr(line, ':');

	if (colon == NULL || colon == line || line[0] == ' '
	    || line[0] == '\t')
		return -1;
	if (r->nheaders == HARNESS_HTTP_MAX_HEADERS_COUNT)
		return 0; /* kept the first ones */
	*colon = '\0';
	r->headers[r->nheaders].name = line;
	r->headers[r->nheaders].value = hh_trim(colon + 1);
	r->nheaders++;
	return 0;
}

/* hh_parse: build r from raw[0..head_len) (the head, blank line included)
 * and the body after it.  Returns 0 (free with harness_http_req_free())
 * or -1 (malformed; nothing to free). */
static int
hh_parse(const char *raw, size_t head_len, size_t body_len,
    struct harness_http_req *r)
{
	char *pos, *line, *body;

	memset(r, 0, sizeof(*r));
	r->mem = xmalloc(head_len + body_len + 2);
	memcpy(r->mem, raw, head_len);
	r->mem[head_len] = '\0';
	body = r->mem + head_len + 1;
	memcpy(body, raw + head_len, body_len);
	body[body_len] = '\0';
	r->body = body;
	r->body_len = body_len;
	pos = r->mem;
	if ((line = hh_next_line(&pos)) == NULL
	    || hh_parse_request_line(r, line) != 0)
		goto bad;
	while ((line = hh_next_line(&pos)) != NULL && *line != '\0')
		if (hh_parse_header(r, line) != 0)
			goto bad;
	if (line != NULL)
		return 0;
bad:
	free(r->mem);
	memset(r, 0, sizeof(*r));
	return -1;
}

void
harness_http_req_free(struct harness_http_req *r)
{
	if (r == NULL)
		return;
	free(r->mem);
	r->mem = NULL;
}

const char *
harness_http_req_header(const struct harness_http_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static size_t
hh_header_count(const struct harness_http_req *r, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			n++;
	return n;
}

/* hh_check_header: one "Name: value" or "!Name" expectation. */
static int
hh_check_header(const struct harness_http_req *r, const char *spec, char *why,
    size_t whylen)
{
	char        name[256];
	const char *colon = strchr(spec, ':'), *want, *got;
	size_t      n;

	if (spec[0] == '!') {
		if (harness_http_req_header(r, spec + 1) == NULL)
			return 0;
		snprintf(why, whylen, "header %s present", spec + 1);
		return -1;
	}
	n = colon ? (size_t) (colon - spec) : strlen(spec);
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, spec, n);
	name[n] = '\0';
	want = colon ? colon + 1 : "";
	while (*want == ' ')
		want++;
	got = harness_http_req_header(r, name);
	if (got != NULL && strcmp(got, want) == 0
	    && hh_header_count(r, name) == 1)
		return 0;
	snprintf(why, whylen, "header %s: got \"%s\" (%zu times), want \"%s\"",
	    name, got ? got : "(none)", hh_header_count(r, name), want);
	return -1;
}

int
harness_http_req_check(const struct harness_http_req *r,
    const struct harness_http_expect *e, char *why, size_t whylen)
{
	size_t i;

	if (e->method != NULL && strcmp(r->method, e->method) != 0) {
		snprintf(
		    why, whylen, "method %s, want %s", r->method, e->method);
		return -1;
	}
	if (e->target != NULL && strcmp(r->target, e->target) != 0) {
		snprintf(
		    why, whylen, "target %s, want %s", r->target, e->target);
		return -1;
	}
	for (i = 0; i < HARNESS_HTTP_MAX_EXPECT_COUNT && e->headers[i]; i++)
		if (hh_check_header(r, e->headers[i], why, whylen) != 0)
			return -1;
	return 0;
}

/* ---- writing ---- */

static int
hh_write(struct harness_http_conn *c, const void *p, size_t n)
{
	const char *s = p;
	ssize_t     k;

	while (n > 0) {
		if (c->fd < 0)
			return -1;
		k = send(c->fd, s, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		s += k;
		n -= (size_t) k;
	}
	return 0;
}

static const char *
hh_reason(int status)
{
	static const struct {
		int         status;
		const char *reason;
	} reasons[] = {
		{ 100, "Continue" },
		{ 200, "OK" },
		{ 201, "Created" },
		{ 202, "Accepted" },
		{ 204, "No Content" },
		{ 301, "Moved Permanently" },
		{ 302, "Found" },
		{ 304, "Not Modified" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 413, "Content Too Large" },
		{ 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Status";
}

/* hh_send_head: status line, framing header, the caller's headers. */
static int
hh_send_head(struct harness_http_conn *c, int status, const char *framing,
    const char *headers)
{
	struct buf b;
	int        rv;

	buf_init(&b, HARNESS_HTTP_MAX_HEAD_BYTES * 4);
	rv = buf_printf(&b, "HTTP/1.1 %d %s\r\n%s%s%s\r\n", status,
	    hh_reason(status), framing, headers ? headers : "",
	    c->req_close && c->mode != HH_CLOSE ? "Connection: close\r\n"
	                                        : "");
	if (rv == 0)
		rv = hh_write(c, b.data, b.len);
	buf_free(&b);
	return rv == 0 ? 0 : -1;
}

int
harness_http_send_response(struct harness_http_conn *c, int status,
    const char *headers, const void *body, size_t len)
{
	char framing[64];

	snprintf(framing, sizeof(framing), "Content-Length: %zu\r\n", len);
	c->mode = HH_DONE;
	if (hh_send_head(c, status, framing, headers) != 0
	    || hh_write(c, body, len) != 0)
		return -1;
	c->reusable = !c->req_close;
	return 0;
}

int
harness_http_send_status(
    struct harness_http_conn *c, int status, const char *headers)
{
	c->mode = HH_CLOSE;
	c->reusable = false;
	return hh_send_head(c, status, "Connection: close\r\n", headers);
}

int
harness_http_send_chunked(
    struct harness_http_conn *c, int status, const char *headers)
{
	c->mode = HH_CHUNKED;
	c->reusable = false;
	return hh_send_head(
	    c, status, "Transfer-Encoding: chunked\r\n", headers);
}

int
harness_http_send_chunk(struct harness_http_conn *c, const void *p, size_t len)
{
	char size[32];

	if (c->mode != HH_CHUNKED)
		return hh_write(c, p, len);
	if (len == 0) /* an empty chunk would end the body */
		return 0;
	snprintf(size, sizeof(size), "%zx\r\n", len);
	if (hh_write(c, size, strlen(size)) != 0 || hh_write(c, p, len) != 0)
		return -1;
	return hh_write(c, "\r\n", 2);
}

int
harness_http_send_str(struct harness_http_conn *c, const char *s)
{
	return harness_http_send_chunk(c, s, strlen(s));
}

int
harness_http_end_chunks(struct harness_http_conn *c)
{
	if (c->mode != HH_CHUNKED)
		return -1;
	c->mode = HH_DONE;
	if (hh_write(c, "0\r\n\r\n", 5) != 0)
		return -1;
	c->reusable = !c->req_close;
	return 0;
}

int
harness_http_send_raw(struct harness_http_conn *c, const void *p, size_t len)
{
	return hh_write(c, p, len);
}

void
harness_http_close(struct harness_http_conn *c, bool abrupt)
{
	struct linger lg = { 1, 0 };

	pthread_mutex_lock(&c->h->mu);
	if (c->fd >= 0) {
		if (abrupt)
			(void) setsockopt(
			    c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c->fd);
		c->fd = -1;
		c->closed_ms = mod_mono_ms();
	}
	c->reusable = false;
	pthread_mutex_unlock(&c->h->mu);
}

/* ---- waiting ---- */

static void
hh_deadline(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int
harness_http_sleep(struct harness_http_conn *c, int64_t ms)
{
	struct harness_http *h = c->h;
	struct timespec      dl;
	int                  rc = 0;

	hh_deadline(&dl, ms > 0 ? ms : 0);
	pthread_mutex_lock(&h->mu);
	while (!h->stopping && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&h->cv, &h->mu, &dl);
	rc = h->stopping ? -1 : 0;
	pthread_mutex_unlock(&h->mu);
	return rc;
}

int
harness_http_hold(struct harness_http_conn *c)
{
	struct pollfd pfd;
	char          junk[4096];
	ssize_t       k;

	for (;;) {
		if (c->fd < 0)
			return 0;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return -1;
		if (hh_stopping(c->h))
			return -1;
		if (pfd.revents == 0)
			continue;
		k = recv(c->fd, junk, sizeof(junk), 0);
		if (k == 0 || (k < 0 && errno != EINTR))
			return 0;
	}
}

int
harness_http_wait_connections(
    struct harness_http *h, unsigned n, int64_t timeout_ms)
{
	struct timespec dl;
	int             rc = 0;

	hh_deadline(&dl, timeout_ms);
	pthread_mutex_lock(&h->mu);
	while (h->nconns < n && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&h->cv, &h->mu, &dl);
	rc = h->nconns >= n ? 0 : -1;
	pthread_mutex_unlock(&h->mu);
	return rc;
}

/* ---- reading requests ---- */

/* hh_head_end: length of the head (through its blank line), or 0. */
static size_t
hh_head_end(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* hh_fill: read more bytes into c->in.  0, or -1 on EOF/error/stop. */
static int
hh_fill(struct harness_http_conn *c)
{
	char    tmp[16384];
	ssize_t k;

	do
		k = recv(c->fd, tmp, sizeof(tmp), 0);
	while (k < 0 && errno == EINTR);
	if (k <= 0 || hh_stopping(c->h))
		return -1;
	return buf_append(&c->in, tmp, (size_t) k) == 0 ? 0 : -1;
}

/* hh_has_token: whether the comma-separated list v holds token (any
 * case). */
static bool
hh_has_token(const char *v, const char *token)
{
	size_t n = strlen(token);

	for (;;) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (*v == '\0')
			return false;
		if (strncasecmp(v, token, n) == 0
		    && (v[n] == '\0' || v[n] == ',' || v[n] == ' '))
			return true;
		while (*v != '\0' && *v != ',')
			v++;
	}
}

/* hh_body_len: the request's body length from its head, or an HTTP
 * error status to answer with. */
static int
hh_body_len(
    struct harness_http_conn *c, const struct harness_http_req *r, size_t *len)
{
	const char        *cl = harness_http_req_header(r, "Content-Length");
	const char        *conn = harness_http_req_header(r, "Connection");
	const char        *expect = harness_http_req_header(r, "Expect");
	char              *end;
	unsigned long long v;

	c->req_close = (conn != NULL && hh_has_token(conn, "close"))
	    || strcmp(r->version, "HTTP/1.0") == 0;
	*len = 0;
	if (harness_http_req_header(r, "Transfer-Encoding") != NULL)
		return 501;
	if (cl == NULL)
		return 0;
	errno = 0;
	v = strtoull(cl, &end, 10);
	if (errno != 0 || end == cl || *end != '\0')
		return 400;
	if (v > HARNESS_HTTP_MAX_BODY_BYTES)
		return 413;
	*len = (size_t) v;
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0
	    && hh_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
		return -1;
	return 0;
}

/* hh_read_request: the next request into *r, and a copy of its raw
 * bytes (head then body) into *raw, head length *headp.  0, -1
 * (connection over) or an HTTP error status. */
static int
hh_read_request(struct harness_http_conn *c, struct harness_http_req *r,
    char **raw, size_t *headp)
{
	size_t head = 0, body = 0;
	int    rv;

	while ((head = hh_head_end(c->in.data ? c->in.data : "", c->in.len))
	    == 0) {
		if (c->in.len > HARNESS_HTTP_MAX_HEAD_BYTES)
			return 431;
		if (hh_fill(c) != 0)
			return -1;
	}
	if (hh_parse(c->in.data, head, 0, r) != 0)
		return 400;
	rv = hh_body_len(c, r, &body);
	harness_http_req_free(r);
	if (rv != 0)
		return rv;
	while (c->in.len < head + body)
		if (hh_fill(c) != 0)
			return -1;
	if (hh_parse(c->in.data, head, body, r) != 0)
		return 400;
	*raw = xmalloc(head + body + 1);
	memcpy(*raw, c->in.data, head + body);
	memmove(c->in.data, c->in.data + head + body, c->in.len - head - body);
	c->in.len -= head + body;
	*headp = head;
	return 0;
}

/* hh_record: keep raw (taken over) as the record of request r. */
static void
hh_record(struct harness_http_conn *c, struct harness_http_req *r, char *raw,
    size_t head_len)
{
	struct harness_http *h = c->h;
	struct hh_rec       *rec;

	pthread_mutex_lock(&h->mu);
	r->conn = c->index;
	r->seq = h->nrecs;
	r->at_ms = mod_mono_ms();
	if (h->nrecs < HARNESS_HTTP_MAX_REQUESTS_COUNT) {
		rec = &h->recs[h->nrecs];
		rec->head_len = head_len;
		rec->body_len = r->body_len;
		rec->raw = raw;
		raw = NULL;
		rec->conn = r->conn;
		rec->at_ms = r->at_ms;
	}
	h->nrecs++;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	free(raw);
}

/* hh_serve_one: read, record and answer one request.  0 to go on. */
static int
hh_serve_one(struct harness_http_conn *c)
{
	struct harness_http_req r;
	char                   *raw = NULL;
	size_t                  head;
	int                     rv;

	memset(&r, 0, sizeof(r));
	rv = hh_read_request(c, &r, &raw, &head);
	if (rv != 0) {
		if (rv > 0)
			(void) harness_http_send_response(
			    c, rv, "Connection: close\r\n", NULL, 0);
		return -1;
	}
	hh_record(c, &r, raw, head);
	c->mode = HH_NONE;
	c->reusable = false;
	c->h->fn(c->h->arg, c, &r);
	harness_http_req_free(&r);
	return c->reusable && c->fd >= 0 ? 0 : -1;
}

static void *
hh_conn_main(void *arg)
{
	struct harness_http_conn *c = arg;

	while (hh_serve_one(c) == 0)
		continue;
	harness_http_close(c, false);
	return NULL;
}

/* ---- accepting ---- */

static void
hh_accept_one(struct harness_http *h)
{
	struct harness_http_conn *c;
	int                       fd;

	fd = accept(h->lfd, NULL, NULL);
	if (fd < 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->h = h;
	c->fd = fd;
	c->closed_ms = -1;
	buf_init(&c->in,
	    HARNESS_HTTP_MAX_HEAD_BYTES + HARNESS_HTTP_MAX_BODY_BYTES + 16384);
	pthread_mutex_lock(&h->mu);
	if (h->stopping || h->nconns == HARNESS_HTTP_MAX_CONNS_COUNT) {
		pthread_mutex_unlock(&h->mu);
		close(fd);
		buf_free(&c->in);
		free(c);
		return;
	}
	c->index = h->nconns;
	c->accepted_ms = mod_mono_ms();
	h->conns[h->nconns++] = c;
	c->started = pthread_create(&c->thread, NULL, hh_conn_main, c) == 0;
	if (!c->started) {
		close(c->fd);
		c->fd = -1;
		c->closed_ms = c->accepted_ms;
	}
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

static void *
hh_accept_main(void *arg)
{
	struct harness_http *h = arg;
	struct pollfd        pfd[2];

	for (;;) {
		pfd[0].fd = h->lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = h->wake[0];
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0 || hh_stopping(h))
			break;
		if (pfd[0].revents & POLLIN)
			hh_accept_one(h);
	}
	return NULL;
}

static int
hh_listen(struct harness_http *h)
{
	struct sockaddr_in sa;
	socklen_t          salen = sizeof(sa);
	int                one = 1;

	if ((h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void) setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(h->lfd, (struct sockaddr *) &sa, sizeof(sa)) != 0
	    || listen(h->lfd, 128) != 0
	    || getsockname(h->lfd, (struct sockaddr *) &sa, &salen) != 0)
		return -1;
	h->port = ntohs(sa.sin_port);
	return 0;
}

int
harness_http_start(
    struct harness_http **out, harness_http_handler_fn fn, void *arg)
{
	struct harness_http *h = xcalloc(1, sizeof(*h));
	pthread_condattr_t   ca;

	*out = NULL;
	h->lfd = h->wake[0] = h->wake[1] = -1;
	h->fn = fn;
	h->arg = arg;
	h->recs = xcalloc(HARNESS_HTTP_MAX_REQUESTS_COUNT, sizeof(*h->recs));
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (hh_listen(h) != 0 || pipe(h->wake) != 0
	    || pthread_create(&h->acceptor, NULL, hh_accept_main, h) != 0) {
		fprintf(stderr, "harness_http: start: %s\n", strerror(errno));
		if (h->lfd >= 0)
			close(h->lfd);
		if (h->wake[0] >= 0) {
			close(h->wake[0]);
			close(h->wake[1]);
		}
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h->recs);
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

/* hh_shutdown_all: wake every connection thread blocked on its socket. */
static void
hh_shutdown_all(struct harness_http *h)
{
	unsigned i;

	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	for (i = 0; i < h->nconns; i++)
		if (h->conns[i]->fd >= 0)
			(void) shutdown(h->conns[i]->fd, SHUT_RDWR);
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void
harness_http_stop(struct harness_http *h)
{
	unsigned i;

	if (h == NULL)
		return;
	hh_shutdown_all(h);
	if (write(h->wake[1], "x", 1) < 0)
		fprintf(stderr, "harness_http: wake: %s\n", strerror(errno));
	pthread_join(h->acceptor, NULL);
	hh_shutdown_all(h); /* none can be added now */
	for (i = 0; i < h->nconns; i++) {
		if (h->conns[i]->started)
			pthread_join(h->conns[i]->thread, NULL);
		buf_free(&h->conns[i]->in);
		free(h->conns[i]);
	}
	for (i = 0; i < h->nrecs && i < HARNESS_HTTP_MAX_REQUESTS_COUNT; i++)
		free(h->recs[i].raw);
	free(h->recs);
	close(h->lfd);
	close(h->wake[0]);
	close(h->wake[1]);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* ---- inspection ---- */

int
harness_http_port(const struct harness_http *h)
{
	return h->port;
}

char *
harness_http_url(
    const struct harness_http *h, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "http://127.0.0.1:%d%s", h->port, path);
	return buf;
}

unsigned
harness_http_connections(struct harness_http *h)
{
	unsigned n;

	pthread_mutex_lock(&h->mu);
	n = h->nconns;
	pthread_mutex_unlock(&h->mu);
	return n;
}

unsigned
harness_http_requests(struct harness_http *h)
{
	unsigned n;

	pthread_mutex_lock(&h->mu);
	n = h->nrecs;
	pthread_mutex_unlock(&h->mu);
	return n;
}

int
harness_http_conn_times(struct harness_http *h, unsigned i,
    int64_t *accepted_ms, int64_t *closed_ms)
{
	int rv = -1;

	pthread_mutex_lock(&h->mu);
	if (i < h->nconns) {
		*accepted_ms = h->conns[i]->accepted_ms;
		*closed_ms = h->conns[i]->closed_ms;
		rv = 0;
	}
	pthread_mutex_unlock(&h->mu);
	return rv;
}

int
harness_http_request(
    struct harness_http *h, unsigned i, struct harness_http_req *out)
{
	struct hh_rec rec;
	int           rv = -1;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&h->mu);
	if (i < h->nrecs && i < HARNESS_HTTP_MAX_REQUESTS_COUNT) {
		rec = h->recs[i];
		rv = hh_parse(rec.raw, rec.head_len, rec.body_len, out);
		out->conn = rec.conn;
		out->seq = i;
		out->at_ms = rec.at_ms;
	}
	pthread_mutex_unlock(&h->mu);
	return rv;
}
