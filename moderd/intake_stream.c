/*
 * intake_stream.c - Mastodon streaming client (SSE over libcurl).
 *
 * Each stream has one thread running one libcurl easy handle inside its
 * own multi handle, so that stream_stop() can interrupt a connection at
 * once with curl_multi_wakeup() (the XFERINFOFUNCTION check and the write
 * callback's check are the second line).  Body bytes go straight from the
 * write callback into the incremental SSE parser (sse.c), whose bounds
 * (MOD_MAX_EVENT_BYTES of data, MOD_MAX_SSE_LINE_BYTES per line) are all
 * the buffering there is.  `update` and `status.update` events are copied
 * and submitted to the pipeline with block = true; the pipeline applies
 * back-pressure by blocking this thread, and the server's socket buffer
 * fills meanwhile.  Everything else (`delete`, notifications, comments
 * such as ":thump", id:, retry:) is ignored.
 *
 * A connection counts as established once the response headers are
 * complete with a 2xx status and Content-Type text/event-stream; any other
 * answer ends it.  It also ends when no byte arrives for stall_ms
 * (CURLOPT_LOW_SPEED_*: an average under 1 byte/s for that long; libcurl
 * averages over a few seconds, which delays detection by as much, as the
 * tests measure; Mastodon's ":thump" heartbeat, sent far more often than
 * stall_ms, keeps a live connection from tripping it).  Then the thread
 * waits and reconnects: the base delay starts at reconnect_min_ms and
 * doubles per failure up to reconnect_max_ms; it is back at the minimum
 * after a connection that received data for at least healthy_ms; 401 and
 * 403 (a bad token) are logged as such and retried at the maximum.
 * Every wait is the base delay with +-20 % jitter, on a condition
 * variable that stream_stop() signals.
 *
 * The stream deliberately does not follow redirects, keep connections
 * for reuse, honour the server's retry: field, or log URLs (a token may be
 * in the query string) or event content.  TLS peer and host verification
 * are on.
 *
 * Lifetime: the struct is reference-counted.  The owner holds one
 * reference until stream_stop(); every submitted event holds one until
 * its done callback, so a done arriving after stream_stop() still finds
 * its counters.  Only the stream thread touches the curl handles and the
 * parser until stream_stop() has joined it.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "sse.h"
#include "stream.h"
#include "util.h"

#define STREAM_POLL_MS 1000 /* longest curl_multi_poll(); stop wakes it */
#define STREAM_JITTER_PERMILLE 200 /* +-20 % */

enum stream_outcome {
	STREAM_STOPPED, /* stream_stop() was called */
	STREAM_HEALTHY, /* ended after a healthy period: backoff resets */
	STREAM_FAILED, /* failed or ended early: backoff grows */
	STREAM_AUTH /* 401/403: retry at the maximum */
};

struct stream {
	/* set at start, then read-only */
	char            *name;
	char            *url;
	int64_t          min_ms;
	int64_t          max_ms;
	int64_t          stall_ms;
	int64_t          healthy_ms;
	int64_t          connect_ms;
	struct pipeline *p;
	stream_submit_fn submit;

	/* the stream thread's own (and stream_stop()'s after the join) */
	CURL              *easy;
	CURLM             *multi;
	struct curl_slist *headers;
	char               errbuf[CURL_ERROR_SIZE];
	struct sse         sse;
	uint64_t           rng;
	int64_t            delay_ms; /* base of the next wait */
	bool               ctype_ok; /* Content-Type was text/event-stream */
	bool               established;
	int64_t            est_ms; /* when established */
	int64_t            last_ms; /* last body bytes */

	/* shared */
	pthread_t        thread;
	pthread_mutex_t  mu;
	pthread_cond_t   cv;
	atomic_bool      stopping;
	atomic_uint      refs;
	_Atomic uint64_t attempts, connections, reconnects, auth_failures;
	_Atomic uint64_t events, ignored, rejected, bytes, handled, failed;
	_Atomic int64_t  backoff_ms;
};

#define STREAM_INC(st, f)                                                     \
	atomic_fetch_add_explicit(&(st)->f, 1, memory_order_relaxed)
#define STREAM_GET(st, f) atomic_load_explicit(&(st)->f, memory_order_relaxed)

static pthread_once_t stream_curl_once = PTHREAD_ONCE_INIT;
static CURLcode       stream_curl_rc; /* written once, under the once */

static void
stream_curl_global(void)
{
	stream_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- lifetime ---- */

static void
stream_free(struct stream *st)
{
	sse_free(&st->sse);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	free(st->name);
	free(st->url);
	free(st);
}

static void
stream_unref(struct stream *st)
{
	if (st != NULL && atomic_fetch_sub(&st->refs, 1) == 1)
		stream_free(st);
}

static void
stream_curl_free(struct stream *st)
{
	if (st == NULL)
		return;
	if (st->easy != NULL)
		curl_easy_cleanup(st->easy);
	if (st->multi != NULL)
		curl_multi_cleanup(st->multi);
	curl_slist_free_all(st->headers);
	st->easy = NULL;
	st->multi = NULL;
	st->headers = NULL;
}

/* ---- counting what the pipeline did ---- */

static void
stream_done(void *arg, int rc, const char *msg)
{
	struct stream *st = arg;

	if (rc == 0)
		STREAM_INC(st, handled);
	else {
		STREAM_INC(st, failed);
		log_debug("stream %s: event not stored: %s", st->name,
		    msg ? msg : mod_strerror(rc));
	}
	stream_unref(st);
}

/* ---- SSE events ---- */

static void
stream_submit(struct stream *st, const char *data, size_t len)
{
	char *copy = xmalloc(len + 1);
	int   rv;

	memcpy(copy, data, len);
	copy[len] = '\0';
	atomic_fetch_add(&st->refs, 1); /* for stream_done */
	STREAM_INC(st, events);
	rv = st->submit(st->p, PIPE_SRC_STREAM, st->name, copy, len, true,
	    stream_done, st);
	if (rv == 0)
		return;
	atomic_fetch_sub_explicit(&st->events, 1, memory_order_relaxed);
	STREAM_INC(st, rejected);
	stream_unref(st); /* done will not come; the owner's ref remains */
	if (rv == MOD_ECLOSED) {
		log_debug(
		    "stream %s: pipeline closed, event dropped", st->name);
		return;
	}
	metrics_rejected(
	    rv == MOD_ETOOBIG ? METRICS_REJ_TOO_LARGE : METRICS_REJ_OTHER);
	log_flood(LOG_FLOOD_REJECT,
	    "stream %s: event of %zu bytes not accepted: %s", st->name, len,
	    mod_strerror(rv));
}

static void
stream_on_event(void *arg, const struct sse_event *ev)
{
	struct stream *st = arg;

	if (strcmp(ev->type, "update") != 0
	    && strcmp(ev->type, "status.update") != 0) {
		STREAM_INC(st, ignored);
		return;
	}
	metrics_event_in(PIPE_SRC_STREAM);
	if (ev->len == 0) {
		STREAM_INC(st, rejected);
		metrics_rejected(METRICS_REJ_MALFORMED);
		log_flood(LOG_FLOOD_REJECT,
		    "stream %s: %s event without data, dropped", st->name,
		    ev->type);
		return;
	}
	stream_submit(st, ev->data, ev->len);
}

static void
stream_on_reject(void *arg, enum sse_reject why)
{
	struct stream *st = arg;

	STREAM_INC(st, rejected);
	metrics_event_in(PIPE_SRC_STREAM); /* of unknown kind: counted */
	metrics_rejected(why == SSE_REJECT_TYPE ? METRICS_REJ_MALFORMED
	                                        : METRICS_REJ_TOO_LARGE);
	switch (why) {
	case SSE_REJECT_LINE:
		log_flood(LOG_FLOOD_REJECT,
		    "stream %s: line over %zu bytes, event dropped", st->name,
		    st->sse.max_line_bytes);
		break;
	case SSE_REJECT_DATA:
		log_flood(LOG_FLOOD_REJECT,
		    "stream %s: event data over %zu bytes, dropped", st->name,
		    st->sse.max_data_bytes);
		break;
	default:
		log_flood(LOG_FLOOD_REJECT,
		    "stream %s: event type over %d bytes or with a "
		    "NUL, dropped",
		    st->name, MOD_MAX_SSE_TYPE_BYTES);
		break;
	}
}

/* ---- libcurl callbacks ---- */

/* stream_is_sse: a Content-Type value (not NUL-terminated) is
 * text/event-stream, with or without parameters. */
static bool
stream_is_sse(const char *v, size_t n)
{
	static const char want[] = "text/event-stream";
	const size_t      wlen = sizeof(want) - 1;

	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	if (n < wlen || strncasecmp(v, want, wlen) != 0)
		return false;
	return n == wlen || strchr("; \t\r\n", v[wlen]) != NULL;
}

/* stream_headers_done: the response head is complete: accept or refuse. */
static bool
stream_headers_done(struct stream *st)
{
	long code = 0;

	(void) curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 100 && code < 200)
		return true; /* interim; the real answer follows */
	if (code < 200 || code > 299 || !st->ctype_ok)
		return false; /* classified in stream_outcome() */
	st->established = true;
	st->est_ms = st->last_ms = mod_mono_ms();
	STREAM_INC(st, connections);
	log_info("stream %s: connected", st->name);
	return true;
}

static size_t
stream_on_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct stream *st = arg;
	size_t         len = size * nitems;

	if (len >= 5 && strncasecmp(buf, "HTTP/", 5) == 0)
		st->ctype_ok = false; /* a new response starts */
	else if (len >= 13 && strncasecmp(buf, "content-type:", 13) == 0)
		st->ctype_ok = stream_is_sse(buf + 13, len - 13);
	else if ((len == 2 && buf[0] == '\r' && buf[1] == '\n')
	    || (len == 1 && buf[0] == '\n'))
		return stream_headers_done(st) ? len : 0;
	return len;
}

static size_t
stream_on_body(char *buf, size_t size, size_t nitems, void *arg)
{
	struct stream *st = arg;
	size_t         len = size * nitems;

	if (atomic_load(&st->stopping) || !st->established)
		return 0; /* aborts the transfer */
	atomic_fetch_add_explicit(&st->bytes, len, memory_order_relaxed);
	st->last_ms = mod_mono_ms();
	sse_feed(&st->sse, buf, len);
	return len;
}

static int
stream_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct stream *st = arg;

	(void) dltotal;
	(void) dlnow;
	(void) ultotal;
	(void) ulnow;
	return atomic_load(&st->stopping) ? 1 : 0;
}

/* ---- set-up ---- */

static int
stream_check(const struct conf_stream *sc)
{
	const unsigned char *t;

	if (strncasecmp(sc->url, "http://", 7) != 0
	    && strncasecmp(sc->url, "https://", 8) != 0) {
		log_warnx(
		    "stream %s: url must be http:// or https://", sc->name);
		return MOD_EINVAL;
	}
	for (t = (const unsigned char *) sc->token; *t; t++)
		if (*t <= ' ' || *t >= 0x7f) {
			log_warnx("stream %s: token has a space or control "
			          "character",
			    sc->name);
			return MOD_EINVAL;
		}
	if (strlen(sc->token) > MOD_MAX_CONF_STRING_BYTES
	    || sc->reconnect_min_ms < 1
	    || sc->reconnect_min_ms > sc->reconnect_max_ms) {
		log_warnx("stream %s: token too long, or reconnect_min_ms "
		          "not in 1..reconnect_max_ms",
		    sc->name);
		return MOD_EINVAL;
	}
	return 0;
}

static int
stream_headers(struct stream *st, const char *token)
{
	char               auth[MOD_MAX_CONF_STRING_BYTES + 32];
	struct curl_slist *l;

	if ((l = curl_slist_append(NULL, "Accept: text/event-stream")) == NULL)
		return MOD_EINTERNAL;
	st->headers = l;
	if (*token == '\0')
		return 0;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	l = curl_slist_append(st->headers, auth);
	explicit_bzero(auth, sizeof(auth));
	if (l == NULL)
		return MOD_EINTERNAL;
	st->headers = l;
	return 0;
}

static int
stream_curl_setup(struct stream *st, const char *token)
{
	CURL *e;
	int   bad = 0;

	st->multi = curl_multi_init();
	if ((e = st->easy = curl_easy_init()) == NULL || st->multi == NULL
	    || stream_headers(st, token) != 0)
		return MOD_EINTERNAL;
	bad |= curl_easy_setopt(e, CURLOPT_URL, st->url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https")
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, st->headers)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "moderd/" MODERD_VERSION)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(
	           e, CURLOPT_CONNECTTIMEOUT_MS, (long) st->connect_ms)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
	           (long) ((st->stall_ms + 999) / 1000))
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, st->errbuf)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, stream_on_header)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, st) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, stream_on_body)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, st) != CURLE_OK;
	bad |= curl_easy_setopt(
	           e, CURLOPT_XFERINFOFUNCTION, stream_on_progress)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_XFERINFODATA, st) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	return bad ? MOD_EINTERNAL : 0;
}

static int64_t
stream_opt(int64_t v, int64_t def)
{
	return v > 0 ? v : def;
}

static struct stream *
stream_new(const struct conf_stream *sc, struct pipeline *p,
    const struct stream_opts *o)
{
	static const struct stream_opts none;
	struct stream                  *st = xcalloc(1, sizeof(*st));
	pthread_condattr_t              ca;

	o = o ? o : &none;
	st->name = xstrdup(sc->name);
	st->url = xstrdup(sc->url);
	st->min_ms = st->delay_ms = sc->reconnect_min_ms;
	st->max_ms = sc->reconnect_max_ms;
	st->stall_ms = stream_opt(o->stall_ms, MOD_STREAM_STALL_MS);
	st->healthy_ms = stream_opt(o->healthy_ms, MOD_STREAM_HEALTHY_MS);
	st->connect_ms
	    = stream_opt(o->connect_timeout_ms, MOD_STREAM_CONNECT_TIMEOUT_MS);
	st->p = p;
	st->submit = o->submit ? o->submit : pipeline_submit;
	st->rng = (uint64_t) mod_mono_ms() * 0x9E3779B97F4A7C15ULL
	    ^ (uint64_t) (uintptr_t) st;
	st->rng |= 1; /* xorshift needs a non-zero state */
	sse_init(&st->sse, MOD_MAX_EVENT_BYTES, MOD_MAX_SSE_LINE_BYTES,
	    stream_on_event, stream_on_reject, st);
	pthread_mutex_init(&st->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&st->refs, 1);
	atomic_init(&st->stopping, false);
	return st;
}

/* ---- one connection ---- */

/* stream_perform: run the transfer until it ends or stop is asked. */
static CURLcode
stream_perform(struct stream *st)
{
	CURLMsg  *msg;
	CURLMcode mc = CURLM_OK;
	CURLcode  cc = CURLE_OK;
	int       running = 1, left;

	while (running > 0 && !atomic_load(&st->stopping)) {
		if ((mc = curl_multi_perform(st->multi, &running)) != CURLM_OK)
			break;
		if (running > 0
		    && (mc = curl_multi_poll(
		            st->multi, NULL, 0, STREAM_POLL_MS, NULL))
		        != CURLM_OK)
			break;
	}
	if (mc != CURLM_OK) {
		log_warnx(
		    "stream %s: curl: %s", st->name, curl_multi_strerror(mc));
		return CURLE_FAILED_INIT;
	}
	if (running > 0)
		return CURLE_ABORTED_BY_CALLBACK; /* stopping */
	while ((msg = curl_multi_info_read(st->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			cc = msg->data.result;
	return cc;
}

static const char *
stream_curl_error(const struct stream *st, CURLcode cc)
{
	return st->errbuf[0] ? st->errbuf : curl_easy_strerror(cc);
}

/* stream_outcome: classify and log how a connection ended. */
static enum stream_outcome
stream_outcome(struct stream *st, CURLcode cc)
{
	long code = 0;

	if (atomic_load(&st->stopping))
		return STREAM_STOPPED;
	(void) curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code == 401 || code == 403) {
		STREAM_INC(st, auth_failures);
		log_warnx("stream %s: http %ld: the server refused the token "
		          "(check the stream's token); retrying in %lld ms",
		    st->name, code, (long long) st->max_ms);
		return STREAM_AUTH;
	}
	if (!st->established) {
		if (code >= 200 && code <= 299)
			log_warnx("stream %s: http %ld but not "
			          "text/event-stream",
			    st->name, code);
		else if (code != 0)
			log_warnx("stream %s: http %ld", st->name, code);
		else
			log_warnx("stream %s: cannot connect: %s", st->name,
			    stream_curl_error(st, cc));
		return STREAM_FAILED;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT)
		log_warnx("stream %s: no data for %lld ms", st->name,
		    (long long) st->stall_ms);
	else if (cc == CURLE_OK)
		log_info("stream %s: closed by the server", st->name);
	else
		log_warnx("stream %s: connection lost: %s", st->name,
		    stream_curl_error(st, cc));
	return st->last_ms - st->est_ms >= st->healthy_ms ? STREAM_HEALTHY
	                                                  : STREAM_FAILED;
}

static enum stream_outcome
stream_connect(struct stream *st)
{
	CURLMcode mc;
	CURLcode  cc;

	STREAM_INC(st, attempts);
	st->established = st->ctype_ok = false;
	st->est_ms = st->last_ms = 0;
	st->errbuf[0] = '\0';
	sse_reset(&st->sse); /* a cut-off event is never dispatched */
	if ((mc = curl_multi_add_handle(st->multi, st->easy)) != CURLM_OK) {
		log_warnx(
		    "stream %s: curl: %s", st->name, curl_multi_strerror(mc));
		return atomic_load(&st->stopping) ? STREAM_STOPPED
		                                  : STREAM_FAILED;
	}
	cc = stream_perform(st);
	(void) curl_multi_remove_handle(st->multi, st->easy);
	return stream_outcome(st, cc);
}

/* ---- backoff ---- */

static uint64_t
stream_rand(struct stream *st)
{
	uint64_t x = st->rng; /* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* stream_delay: the wait before the next attempt, with jitter. */
static int64_t
stream_delay(struct stream *st, enum stream_outcome o)
{
	int64_t base, span = 2 * STREAM_JITTER_PERMILLE + 1;

	if (o == STREAM_AUTH)
		base = st->delay_ms = st->max_ms;
	else {
		if (o == STREAM_HEALTHY)
			st->delay_ms = st->min_ms;
		base = st->delay_ms;
		st->delay_ms = base > st->max_ms / 2 ? st->max_ms : base * 2;
	}
	atomic_store(&st->backoff_ms, base);
	return base
	    * (1000 - STREAM_JITTER_PERMILLE
	        + (int64_t) (stream_rand(st) % (uint64_t) span))
	    / 1000;
}

/* stream_wait: sleep ms unless stopped; false once stopping. */
static bool
stream_wait(struct stream *st, int64_t ms)
{
	struct timespec dl;
	int             rc = 0;
	bool            stopped;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&st->mu);
	while (!atomic_load(&st->stopping) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&st->cv, &st->mu, &dl);
	stopped = atomic_load(&st->stopping);
	pthread_mutex_unlock(&st->mu);
	return !stopped;
}

static void *
stream_main(void *arg)
{
	struct stream      *st = arg;
	enum stream_outcome o;
	int64_t             ms;

	for (;;) {
		if ((o = stream_connect(st)) == STREAM_STOPPED)
			break;
		ms = stream_delay(st, o);
		log_debug("stream %s: reconnecting in %lld ms", st->name,
		    (long long) ms);
		if (!stream_wait(st, ms))
			break;
		STREAM_INC(st, reconnects);
	}
	return NULL;
}

/* ---- interface ---- */

int
stream_start_opts(const struct conf_stream *sc, struct pipeline *p,
    const struct stream_opts *opts, struct stream **out)
{
	struct stream *st = NULL;
	int            rv;

	*out = NULL;
	if ((rv = stream_check(sc)) != 0)
		return rv;
	pthread_once(&stream_curl_once, stream_curl_global);
	if (stream_curl_rc != CURLE_OK) {
		log_warnx("stream %s: curl_global_init: %s", sc->name,
		    curl_easy_strerror(stream_curl_rc));
		return MOD_EINTERNAL;
	}
	st = stream_new(sc, p, opts);
	if ((rv = stream_curl_setup(st, sc->token)) != 0) {
		log_warnx("stream %s: cannot set up libcurl", sc->name);
		goto out;
	}
	if (pthread_create(&st->thread, NULL, stream_main, st) != 0) {
		log_warnx("stream %s: cannot start thread", sc->name);
		rv = MOD_EINTERNAL;
		goto out;
	}
	log_info("stream %s: started", st->name);
	*out = st;
	st = NULL;
out:
	stream_curl_free(st);
	stream_unref(st);
	return rv;
}

int
stream_start(
    const struct conf_stream *sc, struct pipeline *p, struct stream **out)
{
	return stream_start_opts(sc, p, NULL, out);
}

void
stream_stop(struct stream *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	atomic_store(&st->stopping, true);
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	(void) curl_multi_wakeup(st->multi);
	pthread_join(st->thread, NULL);
	stream_curl_free(st);
	sse_free(&st->sse); /* late done callbacks need only the counters */
	log_info("stream %s: stopped", st->name);
	stream_unref(st);
}

void
stream_stats(const struct stream *st, struct stream_stats *out)
{
	const struct stream *s = st;

	memset(out, 0, sizeof(*out));
	out->attempts = STREAM_GET(s, attempts);
	out->connections = STREAM_GET(s, connections);
	out->reconnects = STREAM_GET(s, reconnects);
	out->auth_failures = STREAM_GET(s, auth_failures);
	out->events = STREAM_GET(s, events);
	out->ignored = STREAM_GET(s, ignored);
	out->rejected = STREAM_GET(s, rejected);
	out->bytes = STREAM_GET(s, bytes);
	out->handled = STREAM_GET(s, handled);
	out->failed = STREAM_GET(s, failed);
	out->backoff_ms = STREAM_GET(s, backoff_ms);
}
