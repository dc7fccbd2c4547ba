/*
 * test_stream.c - intake_stream.c end to end: real libcurl against the
 * real HTTP server of tests/harness_http.c on 127.0.0.1.
 *
 * The pipeline stage is replaced through stream_opts.submit by a capture
 * stage (this file's struct pipeline) that records what the stream hands
 * over and answers done, so the tests need no database.  Covered: the
 * exact request (path, bearer token or none, Accept, User-Agent), update
 * and status.update delivered (multi-line data, an event cut across TCP
 * writes) and the rest ignored, reconnect with exponential backoff after
 * the server closes, 401/403 retried at the maximum, non-2xx and wrong
 * content types, refused connections, stalls (with and without
 * headers) against a live heartbeat, backoff reset after a healthy
 * connection, oversized and empty events, submit refusals and failed
 * dones, done callbacks after stream_stop(), and stop() during a
 * connection and during a backoff wait.
 *
 * Timing: only lower bounds that the code guarantees (a wait is at least
 * 80 % of its base; 2 ms allowed for the clock's rounding) and generous
 * upper bounds; the exact backoff base is checked through
 * stream_stats().backoff_ms instead.  A stall is detected by libcurl's
 * low-speed check, which averages over a few seconds: with stall_ms 1000
 * a connection that got some bytes first ends after about 4-5 s.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness_http.h"
#include "stream.h"
#include "util.h"

#define CAP_MAX 64
#define SSE_HEADERS "Content-Type: text/event-stream; charset=utf-8\r\n"
#define PATH "/api/v1/streaming/public/remote"
#define STATUS1                                                               \
	"{\"id\":\"113999000111222333\",\"content\":\"<p>hi</p>\","           \
	"\"account\":{\"id\":\"1\",\"acct\":\"a@remote.example\"}}"

/* The capture stage standing in for the pipeline. */
struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	char           *data[CAP_MAX];
	size_t          len[CAP_MAX];
	size_t          n;
	unsigned        bad_calls; /* wrong source, name or block */
	int             submit_rc; /* non-zero: refuse with it */
	int             done_rc; /* rc given to done */
	bool            defer; /* keep done for later */
	pipe_done_fn    done[CAP_MAX];
	void           *done_arg[CAP_MAX];
	size_t          ndone;
};

static int
cap_submit(struct pipeline *p, enum pipe_source src, const char *name,
    char *data, size_t len, bool block, pipe_done_fn done, void *arg)
{
	pthread_mutex_lock(&p->mu);
	if (src != PIPE_SRC_STREAM || strcmp(name, "remote") != 0 || !block
	    || data[len] != '\0')
		p->bad_calls++;
	if (p->submit_rc != 0) {
		pthread_mutex_unlock(&p->mu);
		free(data); /* ownership passes on every path */
		return p->submit_rc;
	}
	if (p->n < CAP_MAX) {
		p->data[p->n] = data;
		p->len[p->n++] = len;
	} else
		free(data);
	if (p->defer && p->ndone < CAP_MAX) {
		p->done[p->ndone] = done;
		p->done_arg[p->ndone++] = arg;
		done = NULL;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (done != NULL)
		done(arg, p->done_rc,
		    p->done_rc ? "rejected" : PIPE_MSG_STORED);
	return 0;
}

static void
cap_init(struct pipeline *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
}

static void
cap_free(struct pipeline *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->data[i]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

/* cap_wait: wait until n events were captured; returns how many. */
static size_t
cap_wait(struct pipeline *p, size_t n, int64_t timeout_ms)
{
	int64_t end = mod_mono_ms() + timeout_ms;
	size_t  got;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		got = p->n;
		pthread_mutex_unlock(&p->mu);
		if (got >= n || mod_mono_ms() >= end)
			return got;
		nanosleep(&(struct timespec) { 0, 5000000 }, NULL);
	}
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* wait_stat: wait until the uint64_t counter at off reaches v. */
static uint64_t
wait_stat(struct stream *st, size_t off, uint64_t v, int64_t timeout_ms)
{
	int64_t             end = mod_mono_ms() + timeout_ms;
	struct stream_stats s;
	uint64_t            got;

	for (;;) {
		stream_stats(st, &s);
		memcpy(&got, (const char *) &s + off, sizeof(got));
		if (got >= v || mod_mono_ms() >= end)
			return got;
		sleep_ms(5);
	}
}

#define WAIT_STAT(st, field, v, ms)                                           \
	wait_stat((st), offsetof(struct stream_stats, field), (v), (ms))

/* A test's world: server, capture stage, stream. */
struct world {
	struct harness_http *h;
	struct pipeline      cap;
	struct stream       *st;
	char                 url[128];
};

/* world_init: the capture stage only, to be configured before a run. */
static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	cap_init(&w->cap);
}

/* world_run: start the server with handler fn, then the stream. */
static void
world_run(struct world *w, harness_http_handler_fn fn, void *arg,
    const char *token, int64_t min_ms, int64_t max_ms,
    const struct stream_opts *o)
{
	struct conf_stream sc;
	struct stream_opts opts = { 0 };

	assert_int_equal(harness_http_start(&w->h, fn, arg), 0);
	harness_http_url(w->h, PATH, w->url, sizeof(w->url));
	if (o != NULL)
		opts = *o;
	opts.submit = cap_submit;
	sc.name = "remote";
	sc.url = w->url;
	sc.token = (char *) (uintptr_t) token;
	sc.reconnect_min_ms = min_ms;
	sc.reconnect_max_ms = max_ms;
	assert_int_equal(stream_start_opts(&sc, &w->cap, &opts, &w->st), 0);
	assert_non_null(w->st);
}

static void
world_start(struct world *w, harness_http_handler_fn fn, void *arg,
    const char *token, int64_t min_ms, int64_t max_ms,
    const struct stream_opts *o)
{
	world_init(w);
	world_run(w, fn, arg, token, min_ms, max_ms, o);
}

static void
world_stop(struct world *w)
{
	stream_stop(w->st);
	harness_http_stop(w->h);
	assert_int_equal(w->cap.bad_calls, 0);
	cap_free(&w->cap);
}

/* gap: ms from the acceptance of connection i-1 to that of i. */
static int64_t
accept_gap(struct harness_http *h, unsigned i)
{
	int64_t a0, a1, c;

	assert_int_equal(harness_http_conn_times(h, i - 1, &a0, &c), 0);
	assert_int_equal(harness_http_conn_times(h, i, &a1, &c), 0);
	return a1 - a0;
}

/* ---- handlers (connection threads: no assertions here) ---- */

static void
h_events(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	(void) arg;
	(void) r;
	if (harness_http_send_chunked(c, 200, SSE_HEADERS) != 0)
		return;
	harness_http_send_str(c, ":)\n");
	harness_http_send_str(c, "event: update\ndata: " STATUS1 "\n\n");
	harness_http_send_str(
	    c, "event: delete\ndata: 113999000111222333\n\n");
	harness_http_send_str(c, "event: status.update\r\ndata: {\"id\":");
	harness_http_sleep(c, 30);
	harness_http_send_str(c, "\"2\",\r\ndata: \"edited_at\":\"x\"}\r");
	harness_http_sleep(c, 30);
	harness_http_send_str(c, "\n\r\n:thump\n");
	harness_http_send_str(
	    c, "event: notification\ndata: {\"id\":\"9\"}\nid: 5\n\n");
	harness_http_hold(c);
}

/* Every connection: one update naming the connection, then close. */
static void
h_one_then_close(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	char ev[128];

	(void) arg;
	if (harness_http_send_status(c, 200, SSE_HEADERS) != 0)
		return;
	snprintf(ev, sizeof(ev), "event: update\ndata: {\"id\":\"%u\"}\n\n",
	    r->conn);
	harness_http_send_str(c, ev);
}

static void
test_request_and_events(void **state)
{
	static const struct harness_http_expect want = {
		.method = "GET",
		.target = PATH,
		.headers = { "Authorization: Bearer s3cret-token",
		    "Accept: text/event-stream",
		    "User-Agent: moderd/" MODERD_VERSION, "!Cookie" },
	};
	struct world            w;
	struct harness_http_req req;
	struct stream_stats     s;
	char                    why[256];
	int64_t                 t0, acc, closed = -1;

	(void) state;
	world_start(&w, h_events, NULL, "s3cret-token", 20, 1000, NULL);
	assert_int_equal(cap_wait(&w.cap, 2, 5000), 2);
	assert_int_equal(WAIT_STAT(w.st, ignored, 2, 5000), 2);
	assert_int_equal(w.cap.len[0], strlen(STATUS1));
	assert_memory_equal(w.cap.data[0], STATUS1, strlen(STATUS1));
	assert_string_equal(
	    w.cap.data[1], "{\"id\":\"2\",\n\"edited_at\":\"x\"}");

	assert_int_equal(harness_http_requests(w.h), 1);
	assert_int_equal(harness_http_request(w.h, 0, &req), 0);
	if (harness_http_req_check(&req, &want, why, sizeof(why)) != 0)
		fail_msg("request: %s", why);
	assert_string_equal(req.version, "HTTP/1.1");
	assert_int_equal(req.body_len, 0);
	harness_http_req_free(&req);

	stream_stats(w.st, &s);
	assert_int_equal(s.attempts, 1);
	assert_int_equal(s.connections, 1);
	assert_int_equal(s.reconnects, 0);
	assert_int_equal(s.events, 2);
	assert_int_equal(s.handled, 2);
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.rejected, 0);
	assert_true(s.bytes > strlen(STATUS1));

	/* stop while connected: prompt, and the connection really ends */
	t0 = mod_mono_ms();
	stream_stop(w.st);
	w.st = NULL;
	assert_true(mod_mono_ms() - t0 < 1000);
	while (closed < 0 && mod_mono_ms() - t0 < 3000) {
		assert_int_equal(
		    harness_http_conn_times(w.h, 0, &acc, &closed), 0);
		sleep_ms(5);
	}
	assert_true(closed >= 0);
	world_stop(&w);
}

static void
test_no_token_no_header(void **state)
{
	static const struct harness_http_expect want = {
		.method = "GET",
		.target = PATH,
		.headers = { "!Authorization", "Accept: text/event-stream" },
	};
	struct world            w;
	struct harness_http_req req;
	char                    why[256];

	(void) state;
	world_start(&w, h_events, NULL, "", 20, 1000, NULL);
	assert_int_equal(cap_wait(&w.cap, 2, 5000), 2);
	assert_int_equal(harness_http_request(w.h, 0, &req), 0);
	if (harness_http_req_check(&req, &want, why, sizeof(why)) != 0)
		fail_msg("request: %s", why);
	harness_http_req_free(&req);
	world_stop(&w);
}

/* The server ends every connection: waits of 20, 40, 80, 160, 160 ms. */
static void
test_reconnect_backoff(void **state)
{
	static const int64_t base[] = { 0, 20, 40, 80, 160, 160 };
	struct world         w;
	struct stream_stats  s;
	unsigned             i;
	int64_t              gap;
	char                 want[32];

	(void) state;
	world_start(&w, h_one_then_close, NULL, "t", 20, 160, NULL);
	assert_int_equal(harness_http_wait_connections(w.h, 6, 10000), 0);
	assert_int_equal(cap_wait(&w.cap, 6, 5000), 6);
	stream_stats(w.st, &s);
	stream_stop(w.st);
	w.st = NULL;
	for (i = 1; i < nitems(base); i++) {
		gap = accept_gap(w.h, i);
		if (gap < base[i] * 8 / 10 - 2
		    || gap > base[i] * 12 / 10 + 1000)
			fail_msg("connection %u came %lld ms after the last, "
			         "base %lld ms",
			    i, (long long) gap, (long long) base[i]);
	}
	assert_true(accept_gap(w.h, 4) > accept_gap(w.h, 1));
	for (i = 0; i < 6; i++) {
		snprintf(want, sizeof(want), "{\"id\":\"%u\"}", i);
		assert_string_equal(w.cap.data[i], want);
	}
	assert_true(s.attempts >= 6);
	assert_true(s.connections >= 6);
	assert_true(s.reconnects >= 5);
	assert_int_equal(s.backoff_ms, 160);
	world_stop(&w);
}

/* ---- answers that are not a stream ---- */

struct bad_answer {
	const char *name;
	int         status;
	const char *headers;
	const char *body;
	bool        auth; /* retried at the maximum */
};

static const struct bad_answer bad_answers[] = {
	{ "401", 401, "Content-Type: application/json\r\n",
	    "{\"error\":\"The access token is invalid\"}", true },
	{ "403", 403, "Content-Type: application/json\r\n",
	    "{\"error\":\"This action is not allowed\"}", true },
	{ "500", 500, "Content-Type: text/html\r\n", "<h1>oops</h1>", false },
	{ "redirect", 302, "Location: /elsewhere\r\n", "", false },
	{ "not sse", 200, "Content-Type: text/html\r\n",
	    "event: update\ndata: {\"id\":\"1\"}\n\n", false },
	{ "no content type", 200, NULL, "event: update\ndata: {}\n\n", false },
	{ "prefix of sse", 200, "Content-Type: text/event-streamx\r\n",
	    "event: update\ndata: {}\n\n", false },
};

static void
h_bad(void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	const struct bad_answer *b = arg;

	(void) r;
	harness_http_send_response(
	    c, b->status, b->headers, b->body, strlen(b->body));
}

static void
test_bad_answers(void **state)
{
	struct world        w;
	struct stream_stats s;
	size_t              i;
	int64_t             gap;

	(void) state;
	for (i = 0; i < nitems(bad_answers); i++) {
		const struct bad_answer *b = &bad_answers[i];

		world_start(
		    &w, h_bad, (void *) (uintptr_t) b, "t", 20, 400, NULL);
		if (harness_http_wait_connections(w.h, 2, 5000) != 0)
			fail_msg("%s: no reconnect", b->name);
		stream_stats(w.st, &s);
		stream_stop(w.st);
		w.st = NULL;
		gap = accept_gap(w.h, 1);
		if (b->auth ? gap < 318 : gap > 300)
			fail_msg("%s: reconnect after %lld ms", b->name,
			    (long long) gap);
		assert_int_equal(s.connections, 0);
		assert_int_equal(s.events, 0);
		assert_int_equal(s.bytes, 0);
		if (b->auth)
			assert_int_equal(s.backoff_ms, 400);
		else
			assert_true(s.backoff_ms >= 20 && s.backoff_ms < 400);
		assert_true(
		    b->auth ? s.auth_failures >= 1 : s.auth_failures == 0);
		assert_int_equal(w.cap.n, 0);
		world_stop(&w);
	}
}

/* Nothing listens: every attempt fails, with backoff. */
static void
test_connection_refused(void **state)
{
	struct harness_http *h;
	struct pipeline      cap;
	struct stream       *st;
	struct stream_stats  s;
	char                 url[128];
	struct conf_stream   sc = { .name = "remote",
		  .url = url,
		  .token = "t",
		  .reconnect_min_ms = 10,
		  .reconnect_max_ms = 40 };
	struct stream_opts   o = { .submit = cap_submit };

	(void) state;
	cap_init(&cap);
	assert_int_equal(harness_http_start(&h, h_events, NULL), 0);
	harness_http_url(h, PATH, url, sizeof(url));
	harness_http_stop(h); /* nothing listens on that port now */
	assert_int_equal(stream_start_opts(&sc, &cap, &o, &st), 0);
	assert_true(WAIT_STAT(st, attempts, 4, 5000) >= 4);
	stream_stats(st, &s);
	stream_stop(st);
	assert_int_equal(s.connections, 0);
	assert_true(s.reconnects >= 3);
	assert_int_equal(s.backoff_ms, 40);
	assert_int_equal(cap.n, 0);
	cap_free(&cap);
}

/* ---- stalls ---- */

static void
h_stall_after_headers(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	(void) arg;
	(void) r;
	if (harness_http_send_chunked(c, 200, SSE_HEADERS) == 0
	    && harness_http_send_str(c, ":)\n") == 0)
		harness_http_hold(c);
}

static void
h_stall_before_headers(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	(void) arg;
	(void) r;
	harness_http_hold(c);
}

static void
test_stall(void **state)
{
	static const harness_http_handler_fn fns[]
	    = { h_stall_after_headers, h_stall_before_headers };
	struct stream_opts o = { .stall_ms = 1000 };
	struct world       w;
	size_t             i;
	int64_t            gap;

	(void) state;
	for (i = 0; i < nitems(fns); i++) {
		world_start(&w, fns[i], NULL, "t", 20, 100, &o);
		assert_int_equal(
		    harness_http_wait_connections(w.h, 2, 12000), 0);
		gap = accept_gap(w.h, 1);
		if (gap < 900 || gap > 9000)
			fail_msg("handler %zu: stall ended after %lld ms", i,
			    (long long) gap);
		if (i == 0)
			assert_true(WAIT_STAT(w.st, connections, 1, 1) >= 1);
		world_stop(&w);
	}
}

/* A heartbeat every 200 ms keeps the connection (stall_ms 1000). */
static void
h_heartbeat(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	(void) arg;
	(void) r;
	if (harness_http_send_chunked(c, 200, SSE_HEADERS) != 0)
		return;
	while (harness_http_send_str(c, ":thump\n") == 0
	    && harness_http_sleep(c, 200) == 0)
		continue;
}

static void
test_heartbeat_keeps_connection(void **state)
{
	struct stream_opts  o = { .stall_ms = 1000 };
	struct world        w;
	struct stream_stats s;

	(void) state;
	world_start(&w, h_heartbeat, NULL, "t", 20, 100, &o);
	assert_int_equal(harness_http_wait_connections(w.h, 1, 5000), 0);
	sleep_ms(2500);
	stream_stats(w.st, &s);
	assert_int_equal(harness_http_connections(w.h), 1);
	assert_int_equal(s.attempts, 1);
	assert_int_equal(s.connections, 1);
	assert_true(s.bytes >= 10 * 7);
	world_stop(&w);
}

/* ---- backoff reset ---- */

/* Connections 0-2 end at once; 3 sends heartbeats for 500 ms, then ends;
 * 4 stays.  healthy_ms is 300, so the wait before 4 is back at 20 ms. */
static void
h_healthy(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	int i;

	(void) arg;
	if (harness_http_send_chunked(c, 200, SSE_HEADERS) != 0 || r->conn < 3)
		return;
	if (r->conn > 3) {
		harness_http_hold(c);
		return;
	}
	for (i = 0; i < 10; i++)
		if (harness_http_send_str(c, ":thump\n") != 0
		    || harness_http_sleep(c, 50) != 0)
			return;
	harness_http_send_str(c, ":thump\n");
}

static void
test_healthy_resets_backoff(void **state)
{
	struct stream_opts  o = { .healthy_ms = 300 };
	struct world        w;
	struct stream_stats s;
	int64_t             acc3, closed3, acc4, c4;

	(void) state;
	world_start(&w, h_healthy, NULL, "t", 20, 2000, &o);
	assert_int_equal(harness_http_wait_connections(w.h, 5, 10000), 0);
	assert_int_equal(WAIT_STAT(w.st, connections, 5, 2000), 5);
	stream_stats(w.st, &s);
	assert_int_equal(s.backoff_ms, 20); /* without the reset: 160 */
	assert_true(accept_gap(w.h, 3) >= 62); /* the 80 ms wait */
	assert_int_equal(harness_http_conn_times(w.h, 3, &acc3, &closed3), 0);
	assert_int_equal(harness_http_conn_times(w.h, 4, &acc4, &c4), 0);
	assert_true(closed3 - acc3 >= 450);
	if (acc4 - closed3 >= 128)
		fail_msg("reconnect %lld ms after a healthy connection",
		    (long long) (acc4 - closed3));
	world_stop(&w);
}

/* ---- stop during a wait ---- */

static void
test_stop_during_backoff(void **state)
{
	static const struct bad_answer unavailable
	    = { "503", 503, NULL, "", false };
	struct world w;
	int64_t      t0;

	(void) state;
	world_start(&w, h_bad, (void *) (uintptr_t) &unavailable, "t", 5000,
	    10000, NULL);
	assert_int_equal(harness_http_wait_connections(w.h, 1, 5000), 0);
	assert_int_equal(WAIT_STAT(w.st, backoff_ms, 5000, 5000), 5000);
	sleep_ms(50);
	t0 = mod_mono_ms();
	stream_stop(w.st);
	w.st = NULL;
	assert_true(mod_mono_ms() - t0 < 1000);
	assert_int_equal(harness_http_connections(w.h), 1);
	world_stop(&w);
}

/* ---- oversized and empty events ---- */

static void
h_oversized(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	char  *big = xmalloc(65536);
	size_t sent = 0;

	(void) arg;
	(void) r;
	memset(big, 'x', 65536);
	if (harness_http_send_chunked(c, 200, SSE_HEADERS) != 0)
		goto out;
	harness_http_send_str(c, "event: update\ndata: ");
	while (sent <= MOD_MAX_EVENT_BYTES) {
		if (harness_http_send_chunk(c, big, 65536) != 0)
			goto out;
		sent += 65536;
	}
	harness_http_send_str(c, "\nevent: delete\n\n");
	harness_http_send_str(c, "event: update\ndata:\n\n");
	harness_http_send_str(c, "event: update\ndata: {\"id\":\"ok\"}\n\n");
	harness_http_hold(c);
out:
	free(big);
}

static void
test_oversized_and_empty(void **state)
{
	struct world        w;
	struct stream_stats s;

	(void) state;
	world_start(&w, h_oversized, NULL, "t", 20, 1000, NULL);
	assert_int_equal(cap_wait(&w.cap, 1, 10000), 1);
	assert_string_equal(w.cap.data[0], "{\"id\":\"ok\"}");
	stream_stats(w.st, &s);
	assert_int_equal(s.rejected, 2); /* too big, then empty */
	assert_int_equal(s.events, 1);
	assert_int_equal(s.ignored, 0); /* the delete was in the skip */
	assert_int_equal(s.connections, 1);
	assert_true(s.bytes > MOD_MAX_EVENT_BYTES);
	world_stop(&w);
}

/* ---- what the pipeline answers ---- */

static void
test_submit_refused_and_failed(void **state)
{
	struct world        w;
	struct stream_stats s;

	(void) state;
	/* done with an error: counted as failed */
	world_init(&w);
	w.cap.done_rc = MOD_EINVAL;
	world_run(&w, h_events, NULL, "t", 20, 1000, NULL);
	assert_int_equal(WAIT_STAT(w.st, failed, 2, 5000), 2);
	stream_stats(w.st, &s);
	assert_int_equal(s.handled, 0);
	assert_int_equal(s.events, 2);
	world_stop(&w);

	/* submit refuses: rejected, not events, data still freed */
	world_init(&w);
	w.cap.submit_rc = MOD_ETOOBIG;
	world_run(&w, h_events, NULL, "t", 20, 1000, NULL);
	assert_int_equal(WAIT_STAT(w.st, rejected, 2, 5000), 2);
	stream_stats(w.st, &s);
	assert_int_equal(s.events, 0);
	assert_int_equal(s.handled + s.failed, 0);
	world_stop(&w);
}

/* done callbacks may come after stream_stop(): nothing is used after
 * free (ASan checks), and they are still counted safely. */
static void
test_done_after_stop(void **state)
{
	struct world w;
	size_t       i;

	(void) state;
	world_init(&w);
	w.cap.defer = true;
	world_run(&w, h_events, NULL, "t", 20, 1000, NULL);
	assert_int_equal(cap_wait(&w.cap, 2, 5000), 2);
	stream_stop(w.st);
	w.st = NULL;
	assert_int_equal(w.cap.ndone, 2);
	for (i = 0; i < w.cap.ndone; i++)
		w.cap.done[i](w.cap.done_arg[i], 0, PIPE_MSG_STORED);
	world_stop(&w);
}

static void
test_start_invalid(void **state)
{
	static const struct {
		const char *url;
		const char *token;
		int64_t     min_ms, max_ms;
	} bad[] = {
		{ "ftp://example.org/x", "t", 10, 100 },
		{ "example.org/api", "t", 10, 100 },
		{ "https://example.org/x", "a b", 10, 100 },
		{ "https://example.org/x", "a\r\nX-Evil: 1", 10, 100 },
		{ "https://example.org/x", "t", 0, 100 },
		{ "https://example.org/x", "t", 200, 100 },
	};
	struct conf_stream sc;
	struct stream     *st;
	size_t             i;

	(void) state;
	for (i = 0; i < nitems(bad); i++) {
		sc.name = "remote";
		sc.url = (char *) (uintptr_t) bad[i].url;
		sc.token = (char *) (uintptr_t) bad[i].token;
		sc.reconnect_min_ms = bad[i].min_ms;
		sc.reconnect_max_ms = bad[i].max_ms;
		st = (struct stream *) &sc; /* must be reset */
		assert_int_equal(stream_start(&sc, NULL, &st), MOD_EINVAL);
		assert_null(st);
	}
	stream_stop(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_and_events),
		cmocka_unit_test(test_no_token_no_header),
		cmocka_unit_test(test_reconnect_backoff),
		cmocka_unit_test(test_bad_answers),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_heartbeat_keeps_connection),
		cmocka_unit_test(test_healthy_resets_backoff),
		cmocka_unit_test(test_stop_during_backoff),
		cmocka_unit_test(test_oversized_and_empty),
		cmocka_unit_test(test_submit_refused_and_failed),
		cmocka_unit_test(test_done_after_stop),
		cmocka_unit_test(test_start_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
