/*
 * pipeline.c - from raw event bytes to stored proposals.
 *
 * Three stages joined by two queues under one mutex:
 *
 *   pipeline_submit()  -> [in]  -> matcher workers -> [out] -> writer
 *
 * Workers parse, normalise, match and decide (pipeline_match.c); events
 * that need nothing are acknowledged at once, everything else (proposals,
 * report triage items, rejected input for the dead-letter table) goes to
 * the writer, which stores up to db_batch_count results per transaction
 * and only then calls their done callbacks.  The number of events inside
 * the pipeline is capped (pipeline_queue_count): blocking submitters wait
 * for room, the others are refused -- that is the back-pressure.  The
 * writer's own queue is capped lower, at what it stores in about
 * PIPE_WRITER_BUDGET_MS (pipe_adapt), so a slow database makes matchers
 * wait rather than making stored events wait longer and longer; and the
 * matchers run at a lower priority than the writer (pipe_worker_nice), so
 * under load the latency-bound work is not starved by the CPU-bound work.
 * Batches are whatever queued while the writer stored the previous one
 * (at most db_batch_count; group commit, no timer): small when the load
 * is light, large when it is not.  Only a writer that was idle waits up
 * to db_batch_ms for more, never for a batch whose sender waits.
 *
 * When the database fails, the writer keeps the batch and retries with
 * backoff, except for events whose sender is waiting for an answer (rep,
 * webhook): those are failed at once so the sender retries, which is what
 * "nothing lost, nothing duplicated" needs together with the dedup key.
 * Rules are swapped by reference: each worker notices a new generation
 * and rebuilds its matcher between events, so a reload never blocks
 * matching.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "pipeline_impl.h"
#include "rules.h"
#include "util.h"

#define PIPE_RETRY_MIN_MS 100
#define PIPE_RETRY_MAX_MS 5000
#define PIPE_MAX_WORKERS_COUNT 64
/* Niceness matcher threads add to the process's: see pipe_worker_nice. */
#define PIPE_WORKER_NICE 5
/* The writer's queue holds what it stores in this long (pipe_adapt)... */
#define PIPE_WRITER_BUDGET_MS 15
/* ...but never less than this many events. */
#define PIPE_OUT_MIN_COUNT 16

struct pipe_fifo {
	struct pipe_item *head, *tail;
	size_t            n;
};

struct pipeline {
	pthread_mutex_t        mu;
	pthread_cond_t         not_full, in_avail, out_avail, out_room;
	struct pipe_fifo       in, out;
	size_t                 inflight, cap;
	size_t                 out_cap; /* the writer's queue: pipe_adapt */
	double                 write_rate; /* events stored per ms, average */
	bool                   closing; /* no new submissions */
	size_t                 nworkers, workers_done;
	pthread_t              workers[PIPE_MAX_WORKERS_COUNT];
	pthread_t              writer;
	struct ruleset        *rs;
	uint64_t               rs_gen;
	struct rule_thresholds th;
	size_t                 batch_count;
	int64_t                batch_ms;
	int64_t                drain_deadline_ms; /* 0 while running */
	pipe_store_fn          store;
	void                  *store_arg;
};

static const char *const pipe_source_names[PIPE_SRC_COUNT]
    = { "pull", "rep", "sub", "webhook", "stream" };

const char *
pipeline_source_name(enum pipe_source src)
{
	return (unsigned) src < PIPE_SRC_COUNT ? pipe_source_names[src] : "?";
}

static void
pipe_fifo_push(struct pipe_fifo *f, struct pipe_item *it)
{
	it->next = NULL;
	if (f->tail)
		f->tail->next = it;
	else
		f->head = it;
	f->tail = it;
	f->n++;
}

static struct pipe_item *
pipe_fifo_pop(struct pipe_fifo *f)
{
	struct pipe_item *it = f->head;

	if (it == NULL)
		return NULL;
	if ((f->head = it->next) == NULL)
		f->tail = NULL;
	f->n--;
	it->next = NULL;
	return it;
}

/* Deadline for pthread_cond_timedwait, ms from now. */
static struct timespec
pipe_deadline(int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int
pipeline_submit(struct pipeline *p, enum pipe_source src,
    const char *source_name, char *data, size_t len, bool block,
    pipe_done_fn done, void *arg)
{
	struct pipe_item *it;
	int               rv = 0;

	if (len > MOD_MAX_EVENT_BYTES) {
		free(data);
		return MOD_ETOOBIG;
	}
	pthread_mutex_lock(&p->mu);
	while (!p->closing && p->inflight >= p->cap && block)
		pthread_cond_wait(&p->not_full, &p->mu);
	if (p->closing)
		rv = MOD_ECLOSED;
	else if (p->inflight >= p->cap)
		rv = MOD_ELIMIT;
	if (rv == 0) {
		it = pipe_item_new(src, source_name, data, len, done, arg);
		data = NULL;
		p->inflight++;
		metrics_gauge_set(
		    METRICS_PIPELINE_QUEUE, (int64_t) p->inflight);
		pipe_fifo_push(&p->in, it);
		pthread_cond_signal(&p->in_avail);
	}
	pthread_mutex_unlock(&p->mu);
	if (rv == MOD_ELIMIT)
		metrics_rejected(METRICS_REJ_DROPPED_FULL);
	free(data);
	return rv;
}

size_t
pipeline_depth(struct pipeline *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->inflight;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* Room that wakes blocked senders: an eighth of the pipeline, at least
 * one event. */
static size_t
pipe_refill_count(const struct pipeline *p)
{
	return p->cap / 8 > 0 ? p->cap / 8 : 1;
}

/* An item leaves the pipeline: answer its sender, free it, make room. */
static void
pipe_finish(struct pipeline *p, struct pipe_item *it, int rc, const char *msg)
{
	if (rc == 0)
		metrics_observe_latency((double) (mod_mono_ms() - it->t0_ms));
	pipe_item_done(it, rc, msg);
	pipe_item_free(it);
	pthread_mutex_lock(&p->mu);
	p->inflight--;
	metrics_gauge_set(METRICS_PIPELINE_QUEUE, (int64_t) p->inflight);
	/* Senders blocked on a full pipeline are woken once a slice of it
	 * has drained, not at every event: each wake-up is a context switch,
	 * and a woken pull socket then submits the whole slice in one go.
	 * inflight moves by one, so it cannot pass the mark unseen. */
	if (p->inflight + pipe_refill_count(p) <= p->cap)
		pthread_cond_broadcast(&p->not_full);
	pthread_mutex_unlock(&p->mu);
}

/* The current rules, referenced, if newer than *gen. */
static struct ruleset *
pipe_rules_if_newer(
    struct pipeline *p, uint64_t *gen, struct rule_thresholds *th)
{
	struct ruleset *rs = NULL;

	pthread_mutex_lock(&p->mu);
	if (p->rs_gen != *gen) {
		rs = ruleset_ref(p->rs);
		*gen = p->rs_gen;
		*th = p->th;
	}
	pthread_mutex_unlock(&p->mu);
	return rs;
}

/*
 * pipe_worker_nice: matching is throughput work, storing is latency work.
 * Under load the matchers would take an equal share of the CPU with the
 * writer and its PostgreSQL backend, and every stored event would wait
 * for the writer's share; a lower priority for the matchers lets the
 * writer (and the database) run as soon as they have work, and the
 * matchers still get every cycle left.  Linux keeps niceness per thread;
 * elsewhere, and if it fails, nothing changes.
 */
static void
pipe_worker_nice(void)
{
#ifdef __linux__
	id_t tid = (id_t) syscall(SYS_gettid);
	int  cur;

	errno = 0;
	cur = getpriority(PRIO_PROCESS, tid);
	if (errno == 0
	    && setpriority(PRIO_PROCESS, tid, cur + PIPE_WORKER_NICE) != 0)
		log_debug("pipeline: could not lower a matcher's priority");
#endif
}

static void *
pipe_worker(void *arg)
{
	struct pipeline    *p = arg;
	struct pipe_matcher pm = { 0 };
	struct pipe_item   *it;
	struct ruleset     *rs;

	pipe_worker_nice();
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->in.n == 0 && !p->closing)
			pthread_cond_wait(&p->in_avail, &p->mu);
		it = pipe_fifo_pop(&p->in);
		pthread_mutex_unlock(&p->mu);
		if (it == NULL)
			break;
		if ((rs = pipe_rules_if_newer(p, &pm.gen, &pm.th)) != NULL)
			pipe_matcher_reset(&pm, rs);
		if (pipe_match(&pm, it) == PIPE_DONE_NO_ACTION) {
			metrics_proposal(METRICS_PROP_NO_ACTION);
			pipe_finish(p, it, 0, PIPE_MSG_NO_ACTION);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		while (p->out.n >= p->out_cap)
			pthread_cond_wait(&p->out_room, &p->mu);
		pipe_fifo_push(&p->out, it);
		pthread_cond_signal(&p->out_avail);
		pthread_mutex_unlock(&p->mu);
	}
	pipe_matcher_reset(&pm, NULL);
	pthread_mutex_lock(&p->mu);
	p->workers_done++;
	pthread_cond_broadcast(&p->out_avail);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Move queued events into batch after its first n, up to batch_count.
 * Returns the new size.  Under p->mu. */
static size_t
pipe_take_queued(struct pipeline *p, struct pipe_item **batch, size_t n)
{
	while (p->out.n > 0 && n < p->batch_count)
		batch[n++] = pipe_fifo_pop(&p->out);
	pthread_cond_broadcast(&p->out_room);
	return n;
}

/* Does a sender wait for one of the n events of batch? */
static bool
pipe_batch_waited_for(struct pipe_item *const *batch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pipe_item_sender_waits(batch[i]))
			return true;
	return false;
}

/*
 * Collect a batch.  Events that queued while the previous batch was
 * being stored are taken at once, with no timer (group commit: the
 * batch is as large as the load makes it).  Only a batch begun by an
 * idle writer waits, up to batch_ms, for company, and not when a sender
 * waits for one of its events: that would only add to its wait.
 */
static size_t
pipe_take_batch(struct pipeline *p, struct pipe_item **batch)
{
	struct timespec until;
	size_t          n;
	bool            idle = false;

	pthread_mutex_lock(&p->mu);
	while (p->out.n == 0 && p->workers_done < p->nworkers) {
		idle = true;
		pthread_cond_wait(&p->out_avail, &p->mu);
	}
	n = pipe_take_queued(p, batch, 0);
	if (idle && n > 0 && n < p->batch_count && p->batch_ms > 0
	    && !pipe_batch_waited_for(batch, n)
	    && p->workers_done < p->nworkers) {
		until = pipe_deadline(p->batch_ms);
		pthread_cond_timedwait(&p->out_avail, &p->mu, &until);
		n = pipe_take_queued(p, batch, n);
	}
	pthread_mutex_unlock(&p->mu);
	return n;
}

static bool
pipe_draining_expired(struct pipeline *p)
{
	bool expired;

	pthread_mutex_lock(&p->mu);
	expired = p->drain_deadline_ms != 0
	    && mod_mono_ms() >= p->drain_deadline_ms;
	pthread_mutex_unlock(&p->mu);
	return expired;
}

/*
 * After a failed write: answer the senders who are waiting (they retry),
 * keep the rest.  Returns the new batch size.
 */
static size_t
pipe_fail_waiting(
    struct pipeline *p, struct pipe_item **batch, size_t n, bool all)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (all || pipe_item_sender_waits(batch[i]))
			pipe_finish(p, batch[i], all ? MOD_ECLOSED : MOD_EDB,
			    "database unavailable, retry later");
		else
			batch[k++] = batch[i];
	}
	return k;
}

/*
 * While the database is down, events whose sender is waiting for an
 * answer must not queue behind the batch being retried: take them out of
 * the writer's queue and fail them now, so their senders retry.
 */
static void
pipe_fail_queued_waiting(struct pipeline *p)
{
	struct pipe_fifo  keep = { 0 }, fail = { 0 };
	struct pipe_item *it;

	pthread_mutex_lock(&p->mu);
	while ((it = pipe_fifo_pop(&p->out)) != NULL)
		pipe_fifo_push(pipe_item_sender_waits(it) ? &fail : &keep, it);
	p->out = keep;
	pthread_cond_broadcast(&p->out_room);
	pthread_mutex_unlock(&p->mu);
	while ((it = pipe_fifo_pop(&fail)) != NULL)
		pipe_finish(
		    p, it, MOD_EDB, "database unavailable, retry later");
}

static void
pipe_sleep_ms(int64_t ms)
{
	struct timespec ts
	    = { (time_t) (ms / 1000), (long) (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * pipe_adapt: after n events were stored in ms milliseconds.  An event
 * waits for the writer about as long as the writer takes to store what
 * is queued ahead of it, so the queue is capped at what the writer
 * stores in PIPE_WRITER_BUDGET_MS at its recent rate: when the writer is
 * slow (a loaded machine, a slow disk), matchers wait for room and leave
 * it the CPU instead of lengthening its queue; when it is fast, the cap
 * rises up to a full batch.
 */
static void
pipe_adapt(struct pipeline *p, size_t n, int64_t ms)
{
	double rate = (double) n / (double) (ms > 0 ? ms : 1);
	size_t cap;

	pthread_mutex_lock(&p->mu);
	p->write_rate
	    = p->write_rate > 0 ? 0.8 * p->write_rate + 0.2 * rate : rate;
	cap = (size_t) (p->write_rate * PIPE_WRITER_BUDGET_MS);
	if (cap > p->batch_count)
		cap = p->batch_count;
	p->out_cap = cap > PIPE_OUT_MIN_COUNT ? cap : PIPE_OUT_MIN_COUNT;
	pthread_cond_broadcast(&p->out_room);
	pthread_mutex_unlock(&p->mu);
}

/* Store one batch, retrying while the database is down. */
static void
pipe_write_batch(struct pipeline *p, struct pipe_item **batch, size_t n,
    struct pipe_result **res)
{
	int64_t backoff = PIPE_RETRY_MIN_MS, t0;
	size_t  i;

	while (n > 0) {
		for (i = 0; i < n; i++)
			res[i] = pipe_item_result(batch[i]);
		t0 = mod_mono_ms();
		if (p->store(p->store_arg, res, n) == 0) {
			pipe_adapt(p, n, mod_mono_ms() - t0);
			break;
		}
		n = pipe_fail_waiting(p, batch, n, pipe_draining_expired(p));
		pipe_fail_queued_waiting(p);
		if (n == 0)
			return;
		log_warnx("pipeline: could not store %zu events, retrying in "
		          "%lld ms",
		    n, (long long) backoff);
		pipe_sleep_ms(backoff);
		backoff = backoff * 2 > PIPE_RETRY_MAX_MS ? PIPE_RETRY_MAX_MS
		                                          : backoff * 2;
	}
	/* A rejected event's sender learns why (no post content in it). */
	for (i = 0; i < n; i++)
		pipe_finish(p, batch[i], pipe_item_rc(batch[i]),
		    pipe_item_rc(batch[i])
		        ? pipe_item_result(batch[i])->reason
		        : pipe_item_result(batch[i])->outcome);
}

static void *
pipe_writer(void *arg)
{
	struct pipeline     *p = arg;
	struct pipe_item   **batch = xcalloc(p->batch_count, sizeof(*batch));
	struct pipe_result **res = xcalloc(p->batch_count, sizeof(*res));
	size_t               n;

	while ((n = pipe_take_batch(p, batch)) > 0)
		pipe_write_batch(p, batch, n, res);
	free(batch);
	free(res);
	return NULL;
}

static void
pipe_set_rules_locked(
    struct pipeline *p, const struct conf *c, struct ruleset *rs)
{
	struct ruleset *old = p->rs;

	p->rs = ruleset_ref(rs);
	p->rs_gen++;
	conf_thresholds(c, &p->th);
	ruleset_unref(old);
}

void
pipeline_set_rules(
    struct pipeline *p, const struct conf *c, struct ruleset *rs)
{
	pthread_mutex_lock(&p->mu);
	pipe_set_rules_locked(p, c, rs);
	pthread_mutex_unlock(&p->mu);
}

static void
pipe_init_sync(struct pipeline *p)
{
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->not_full, NULL);
	pthread_cond_init(&p->in_avail, NULL);
	pthread_cond_init(&p->out_avail, NULL);
	pthread_cond_init(&p->out_room, NULL);
}

int
pipeline_new(const struct conf *c, struct ruleset *rs, pipe_store_fn store,
    void *store_arg, struct pipeline **out)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	size_t           i;

	pipe_init_sync(p);
	p->cap = c->pipeline_queue_count;
	p->batch_count = c->db_batch_count;
	p->out_cap = p->batch_count;
	p->batch_ms = c->db_batch_ms;
	p->store = store;
	p->store_arg = store_arg;
	p->nworkers = c->pipeline_workers < PIPE_MAX_WORKERS_COUNT
	    ? c->pipeline_workers
	    : PIPE_MAX_WORKERS_COUNT;
	pipe_set_rules_locked(p, c, rs);
	for (i = 0; i < p->nworkers; i++)
		if (pthread_create(&p->workers[i], NULL, pipe_worker, p) != 0)
			fatalx("pipeline: could not start a worker");
	if (pthread_create(&p->writer, NULL, pipe_writer, p) != 0)
		fatalx("pipeline: could not start the writer");
	*out = p;
	return 0;
}

void
pipeline_free(struct pipeline *p, int64_t drain_ms)
{
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	p->drain_deadline_ms = mod_mono_ms() + (drain_ms > 0 ? drain_ms : 1);
	pthread_cond_broadcast(&p->in_avail);
	pthread_cond_broadcast(&p->not_full);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	pthread_join(p->writer, NULL);
	ruleset_unref(p->rs);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->not_full);
	pthread_cond_destroy(&p->in_avail);
	pthread_cond_destroy(&p->out_avail);
	pthread_cond_destroy(&p->out_room);
	free(p);
}
