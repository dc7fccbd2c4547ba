/*
 * dispatch.c - the dispatcher: threads that carry decided queue items
 * out to Mastodon, retry what may succeed later, and announce what was
 * applied.
 *
 * Threads.  One listener holds a connection that LISTENs on
 * DISPATCH_CHANNEL: on a notification, and at least every poll_ms
 * anyway (a lost NOTIFY, another process's decision, a restart), it
 * plans dispatch rows for newly decided items and wakes the workers.
 * Each of `workers` workers has its own connection and libcurl handle
 * and loops: claim one due row, make its call, record the outcome; when
 * nothing is due it sleeps until woken or poll_ms passes (retries fall
 * due by themselves).
 *
 * At most once.  A claim is committed before the request is sent and
 * leases the row to this worker ("host:pid:tid") for two request
 * timeouts plus MOD_DISPATCH_LEASE_SLACK_MS, longer than any attempt
 * can take; SKIP LOCKED and the running state keep every other worker
 * and process off it meanwhile.  The outcome is recorded only while the
 * lease is ours.  If a process dies between claim and record, the row
 * is claimed again when its lease expires and the call is made a second
 * time: that is safe because every call the dispatcher makes is
 * idempotent on Mastodon's side - an account action sets a state the
 * account already has (it may add a second strike to the account's
 * record, never a second effect; no e-mail is sent), resolving a
 * resolved report changes nothing, a repeated domain block POST is
 * answered 422 for the existing block (recorded as covered), a PUT
 * writes the same settings, a repeated DELETE is answered 404 (already
 * gone).  This is the only way a call is ever repeated after it may
 * have reached Mastodon.
 *
 * Retries.  A network error, a timeout, 408, 429 or 5xx is retried
 * after 1 s (backoff_min_ms) doubling per attempt up to backoff_max_ms,
 * with +-20 % jitter, until max_attempts attempts have been made; then
 * the item fails with the last error.  Any other refusal fails at once.
 *
 * Without mastodon_url, domain items are recorded in moderd's blocks
 * (the published blocklist) and applied as "recorded (no mastodon_url)";
 * account and report items stay queued - a Mastodon admin expects an
 * approved suspension to happen once Mastodon is configured, not to be
 * lost as failed - and the listener says so once in the log.
 *
 * Shutdown (dispatch_stop()): no new claims; a request in flight runs
 * to its end or its timeout and its outcome is recorded; then the
 * threads are joined.
 *
 * The actions socket (actions_pub) is an nng pub socket: every applied
 * item is one JSON message {"proposal_id","kind","target_type",
 * "target_id","action","result","at"}, sent without blocking after the
 * commit (a subscriber that is not listening misses it).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>

#include "dispatch_impl.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define DISPATCH_JITTER_PERMILLE 200 /* +-20 % */
#define DISPATCH_RECORD_TRIES 3 /* to record an outcome, DB permitting */
#define DISPATCH_RECORD_PAUSE_MS 500
#define DISPATCH_HOST_BYTES 64

struct dispatch;

struct dispatch_worker {
	struct dispatch     *d;
	struct store        *db;
	struct dispatch_call call;
	pthread_t            thr;
	bool                 started;
	uint64_t             rng;
	char                 who[DISPATCH_WHO_BYTES];
};

struct dispatch {
	/* set at start, then read-only */
	struct dispatch_opts    o; /* strings point at the copies below */
	char                   *dsn, *url, *token, *pub_url;
	int64_t                 lease_ms;
	nng_socket              pub;
	bool                    pub_open;
	int                     wake[2]; /* pipe: stop wakes the listener */
	struct store           *ldb; /* the listener's connection */
	pthread_t               listener;
	bool                    listener_started;
	struct dispatch_worker *w;
	size_t                  nw;

	/* shared */
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            stopping;
	uint64_t        kicks; /* bumped whenever there may be work */
};

static pthread_once_t dispatch_curl_once = PTHREAD_ONCE_INIT;
static CURLcode       dispatch_curl_rc; /* written once, under the once */

static void
dispatch_curl_global(void)
{
	dispatch_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- waking and sleeping ---- */

static bool
dispatch_stopping(struct dispatch *d, uint64_t *kicks)
{
	bool s;

	pthread_mutex_lock(&d->mu);
	s = d->stopping;
	if (kicks != NULL)
		*kicks = d->kicks;
	pthread_mutex_unlock(&d->mu);
	return s;
}

static void
dispatch_kick(struct dispatch *d)
{
	pthread_mutex_lock(&d->mu);
	d->kicks++;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Sleep ms, or less if stopping or (seen not NULL) kicked since *seen. */
static void
dispatch_idle(struct dispatch *d, const uint64_t *seen, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&d->mu);
	while (!d->stopping && (seen == NULL || d->kicks == *seen))
		if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&d->mu);
}

/* ---- retry policy ---- */

static uint64_t
dispatch_rand(struct dispatch_worker *w)
{
	uint64_t x = w->rng; /* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Delay after attempt n (1-based): min doubling to max, +-20 %. */
static int64_t
dispatch_backoff(struct dispatch_worker *w, int n)
{
	const struct dispatch_opts *o = &w->d->o;
	int64_t                     base = o->backoff_min_ms, span, j;

	while (--n > 0 && base < o->backoff_max_ms)
		base *= 2;
	if (base > o->backoff_max_ms)
		base = o->backoff_max_ms;
	span = 2 * DISPATCH_JITTER_PERMILLE + 1;
	j = (int64_t) (dispatch_rand(w) % (uint64_t) span)
	    - DISPATCH_JITTER_PERMILLE;
	base += base * j / 1000;
	return base < 1                ? 1
	    : base > o->backoff_max_ms ? o->backoff_max_ms
	                               : base;
}

/* The answer as the outcome to record, after the retry policy. */
static void
dispatch_policy(struct dispatch_worker *w, const struct dispatch_item *it,
    struct dispatch_answer *a, struct dispatch_result *r)
{
	char last[sizeof(a->error)];

	if (a->outcome == DISPATCH_RETRY
	    && (uint32_t) it->attempts >= w->d->o.max_attempts) {
		mod_strlcpy(last, a->error, sizeof(last));
		snprintf(a->error, sizeof(a->error),
		    "gave up after %d attempts: %.400s", it->attempts, last);
		a->outcome = DISPATCH_FAILED;
	}
	memset(r, 0, sizeof(*r));
	r->outcome = a->outcome;
	r->result = a->result;
	r->error = a->error;
	r->block = a->block;
	r->mastodon_id = a->has_id ? a->mastodon_id : NULL;
	if (a->outcome == DISPATCH_RETRY)
		r->retry_ms = dispatch_backoff(w, it->attempts);
}

/* ---- after the commit ---- */

static void
dispatch_publish(struct dispatch *d, const struct dispatch_item *it,
    const char *result, const char *at)
{
	json_t *o;
	char   *s = NULL;

	if (!d->pub_open)
		return;
	o = json_pack("{s:I,s:s,s:s?,s:s?,s:s?,s:s,s:s}", "proposal_id",
	    (json_int_t) it->proposal_id, "kind", it->kind, "target_type",
	    it->target_type, "target_id", it->target_id, "action", it->action,
	    "result", result, "at", at);
	if (o != NULL && (s = json_dumps(o, JSON_COMPACT)) != NULL)
		(void) nng_send(d->pub, s, strlen(s), NNG_FLAG_NONBLOCK);
	else
		log_warnx("dispatch %" PRId64 ": could not encode the action",
		    it->id);
	free(s);
	json_decref(o);
}

static void
dispatch_report(struct dispatch *d, const struct dispatch_item *it,
    const struct dispatch_result *r, const char *at)
{
	if (r->outcome == DISPATCH_APPLIED) {
		metrics_inc(METRICS_DISPATCH_APPLIED);
		log_info("dispatch %" PRId64 " (proposal %" PRId64
		         ", %s): applied: %s",
		    it->id, it->proposal_id, it->kind, r->result);
		dispatch_publish(d, it, r->result, at);
	} else if (r->outcome == DISPATCH_FAILED) {
		metrics_inc(METRICS_DISPATCH_FAILED);
		log_warnx("dispatch %" PRId64 " (proposal %" PRId64
		          ", %s): failed: %s",
		    it->id, it->proposal_id, it->kind, r->error);
	} else {
		metrics_inc(METRICS_DISPATCH_RETRIES);
		log_info("dispatch %" PRId64 " (proposal %" PRId64
		         ", %s): attempt %d: %s; retrying in %" PRId64 " ms",
		    it->id, it->proposal_id, it->kind, it->attempts, r->error,
		    r->retry_ms);
	}
}

/* Record r, retrying briefly if the database is away. */
static void
dispatch_record(struct dispatch_worker *w, const struct dispatch_item *it,
    const struct dispatch_result *r)
{
	char at[DISPATCH_AT_BYTES];
	int  rv = MOD_EDB, i;

	for (i = 0; i < DISPATCH_RECORD_TRIES && rv == MOD_EDB; i++) {
		if (i > 0)
			dispatch_idle(w->d, NULL, DISPATCH_RECORD_PAUSE_MS);
		if (store_ensure(w->db) == 0)
			rv = queue_dispatch_finish(w->db, it, r, at);
	}
	if (rv == 0)
		dispatch_report(w->d, it, r, at);
	else if (rv == MOD_ENOENT)
		log_warnx("dispatch %" PRId64
		          ": lease lost before the outcome "
		          "was recorded; another worker has the item",
		    it->id);
	else
		log_warnx("dispatch %" PRId64
		          ": could not record the outcome; "
		          "the item is retried when its lease expires",
		    it->id);
}

/* ---- threads ---- */

static void
dispatch_handle(struct dispatch_worker *w, struct dispatch_item *it)
{
	struct dispatch_answer a;
	struct dispatch_result r;

	if (it->takeover)
		log_info("dispatch %" PRId64
		         ": the lease of an earlier attempt "
		         "expired; taking it over (attempt %d)",
		    it->id, it->attempts);
	dispatch_call_run(&w->call, it, &a);
	dispatch_policy(w, it, &a, &r);
	dispatch_record(w, it, &r);
}

static void *
dispatch_work_loop(void *arg)
{
	struct dispatch_worker *w = arg;
	struct dispatch        *d = w->d;
	struct dispatch_item    it;
	uint64_t                seen;
	char                    host[DISPATCH_HOST_BYTES] = "localhost";

	(void) gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(w->who, sizeof(w->who), "%s:%ld:%ld", host, (long) getpid(),
	    (long) syscall(SYS_gettid));
	while (!dispatch_stopping(d, &seen)) {
		if (store_ensure(w->db) != 0
		    || queue_dispatch_claim(
		           w->db, w->who, d->lease_ms, d->url[0] != '\0', &it)
		        != 0) {
			dispatch_idle(d, &seen, d->o.poll_ms);
			continue;
		}
		dispatch_handle(w, &it);
		dispatch_item_free(&it);
	}
	return NULL;
}

/* Plan until nothing is left; wake the workers if anything was. */
static void
dispatch_plan(struct dispatch *d, bool *logged)
{
	int64_t n = 0, total = 0, waiting;

	do {
		if (queue_dispatch_plan(d->ldb, &n) != 0)
			break;
		total += n;
	} while (n >= MOD_DISPATCH_PLAN_BATCH_COUNT);
	if (total > 0)
		log_debug("dispatch: %" PRId64 " decided items queued", total);
	dispatch_kick(d);
	if (d->url[0] != '\0' || *logged
	    || queue_dispatch_waiting(d->ldb, &waiting) != 0 || waiting == 0)
		return;
	log_warnx("dispatch: %" PRId64 " approved account or report actions "
	          "wait: mastodon_url is not configured",
	    waiting);
	*logged = true;
}

static void *
dispatch_listen_loop(void *arg)
{
	struct dispatch *d = arg;
	bool             listening = false, notified, logged = false;

	while (!dispatch_stopping(d, NULL)) {
		if (!listening)
			listening = store_ensure(d->ldb) == 0
			    && queue_dispatch_listen(d->ldb) == 0;
		if (!listening) {
			dispatch_idle(d, NULL, d->o.poll_ms);
			continue;
		}
		dispatch_plan(d, &logged);
		if (queue_dispatch_wait(
		        d->ldb, d->wake[0], d->o.poll_ms, &notified)
		    != 0)
			listening = false;
	}
	return NULL;
}

/* ---- start and stop ---- */

void
dispatch_opts_from_conf(
    const struct conf *c, const char *dsn, struct dispatch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dsn = dsn;
	o->stmt_timeout_ms = c->db_stmt_timeout_ms;
	o->mastodon_url = c->mastodon_url;
	o->mastodon_token = c->mastodon_token;
	o->actions_pub = c->actions_pub;
	o->workers = c->dispatch_workers;
	o->max_attempts = c->dispatch_max_attempts;
	o->backoff_min_ms = MOD_DISPATCH_BACKOFF_MIN_MS;
	o->backoff_max_ms = c->dispatch_backoff_max_ms;
	o->timeout_ms = c->dispatch_timeout_ms;
	o->poll_ms = MOD_DISPATCH_POLL_MS;
}

static int
dispatch_check(const struct dispatch_opts *o)
{
	if (o->workers < 1 || o->workers > MOD_MAX_DISPATCH_WORKERS_COUNT
	    || o->max_attempts < 1 || o->backoff_min_ms < 1
	    || o->backoff_max_ms < o->backoff_min_ms || o->timeout_ms < 1
	    || o->poll_ms < 1 || o->dsn == NULL || o->mastodon_url == NULL
	    || o->mastodon_token == NULL || o->actions_pub == NULL)
		return MOD_EINVAL;
	return 0;
}

/* Copy the options; the URL loses any trailing '/'. */
static void
dispatch_copy(struct dispatch *d, const struct dispatch_opts *o)
{
	size_t n;

	d->o = *o;
	d->dsn = xstrdup(o->dsn);
	d->url = xstrdup(o->mastodon_url);
	d->token = xstrdup(o->mastodon_token);
	d->pub_url = xstrdup(o->actions_pub);
	for (n = strlen(d->url); n > 0 && d->url[n - 1] == '/'; n--)
		d->url[n - 1] = '\0';
	d->o.dsn = d->dsn;
	d->o.mastodon_url = d->url;
	d->o.mastodon_token = d->token;
	d->o.actions_pub = d->pub_url;
	d->lease_ms = 2 * o->timeout_ms + MOD_DISPATCH_LEASE_SLACK_MS;
}

static int
dispatch_pub_open(struct dispatch *d)
{
	int rv;

	if (d->pub_url[0] == '\0')
		return 0;
	if ((rv = nng_pub0_open(&d->pub)) != 0) {
		log_warnx("dispatch: actions socket: %s", nng_strerror(rv));
		return MOD_EIO;
	}
	d->pub_open = true;
	if ((rv = nng_listen(d->pub, d->pub_url, NULL, 0)) != 0) {
		log_warnx("dispatch: cannot listen on %s: %s", d->pub_url,
		    nng_strerror(rv));
		return mod_from_nng(rv);
	}
	return 0;
}

static int
dispatch_workers_open(struct dispatch *d)
{
	size_t i;
	int    rv;

	d->nw = d->o.workers;
	d->w = xcalloc(d->nw, sizeof(*d->w));
	for (i = 0; i < d->nw; i++) {
		d->w[i].d = d;
		d->w[i].rng = ((uint64_t) mod_mono_ms() + i + 1)
		        * 0x9E3779B97F4A7C15ULL
		    | 1;
		if ((rv = store_open(
		         d->dsn, d->o.stmt_timeout_ms, &d->w[i].db))
		        != 0
		    || (rv = dispatch_call_init(
		            &d->w[i].call, d->url, d->token, d->o.timeout_ms))
		        != 0)
			return rv;
	}
	return store_open(d->dsn, d->o.stmt_timeout_ms, &d->ldb);
}

static int
dispatch_threads_start(struct dispatch *d)
{
	size_t i;

	if (pthread_create(&d->listener, NULL, dispatch_listen_loop, d) != 0)
		return MOD_EINTERNAL;
	d->listener_started = true;
	for (i = 0; i < d->nw; i++) {
		if (pthread_create(
		        &d->w[i].thr, NULL, dispatch_work_loop, &d->w[i])
		    != 0)
			return MOD_EINTERNAL;
		d->w[i].started = true;
	}
	return 0;
}

static struct dispatch *
dispatch_new(const struct dispatch_opts *o)
{
	struct dispatch   *d = xcalloc(1, sizeof(*d));
	pthread_condattr_t ca;

	dispatch_copy(d, o);
	d->wake[0] = d->wake[1] = -1;
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &ca);
	pthread_condattr_destroy(&ca);
	return d;
}

int
dispatch_start(const struct dispatch_opts *o, struct dispatch **out)
{
	struct dispatch *d;
	int              rv;

	*out = NULL;
	if ((rv = dispatch_check(o)) != 0)
		return rv;
	pthread_once(&dispatch_curl_once, dispatch_curl_global);
	if (dispatch_curl_rc != CURLE_OK) {
		log_warnx("dispatch: curl_global_init: %s",
		    curl_easy_strerror(dispatch_curl_rc));
		return MOD_EIO;
	}
	d = dispatch_new(o);
	if (pipe(d->wake) != 0)
		rv = MOD_EIO;
	else if ((rv = dispatch_pub_open(d)) == 0
	    && (rv = dispatch_workers_open(d)) == 0)
		rv = dispatch_threads_start(d);
	if (rv != 0) {
		dispatch_stop(d);
		return rv;
	}
	log_info("dispatch: %zu worker%s%s%s", d->nw, d->nw == 1 ? "" : "s",
	    d->url[0] ? "" : " (no mastodon_url: domain items recorded only)",
	    d->pub_open ? ", actions socket open" : "");
	*out = d;
	return 0;
}

void
dispatch_stop(struct dispatch *d)
{
	size_t i;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->wake[1] >= 0 && write(d->wake[1], "x", 1) < 0)
		log_debug("dispatch: could not wake the listener");
	if (d->listener_started)
		pthread_join(d->listener, NULL);
	for (i = 0; i < d->nw; i++) {
		if (d->w[i].started)
			pthread_join(d->w[i].thr, NULL);
		store_close(d->w[i].db);
		dispatch_call_free(&d->w[i].call);
	}
	store_close(d->ldb);
	if (d->pub_open)
		nng_close(d->pub);
	for (i = 0; i < 2; i++)
		if (d->wake[i] >= 0)
			close(d->wake[i]);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d->w);
	free(d->dsn);
	free(d->url);
	free(d->token);
	free(d->pub_url);
	free(d);
}
