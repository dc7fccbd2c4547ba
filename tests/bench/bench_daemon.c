/*
 * bench_daemon.c - the load generator behind the daemon figure of
 * `make bench` (tests/bench/run_daemon.sh starts moderd and runs it).
 *
 *   bench_daemon --events FILE --push URL --req URL --http URL --pid PID
 *                [--seconds N] [--contexts K] [--rules N]
 *                [--pipeline-rate X] [--rate X] [--phase N]
 *
 * For --seconds, one thread pushes events into moderd's `pull` intake as
 * fast as it takes them (nng back-pressure: a send blocks while moderd's
 * pipeline is full, so the rate it reaches is the sustained one), while K
 * threads, one nng_ctx each on a req socket, send events to the `rep`
 * intake one after another and time each from just before the send to
 * the reply; moderd replies only once the event is committed (or judged
 * to need nothing), so a reply whose status is "stored" timed send to
 * committed proposal.  The corpus is walked in a loop (the rep threads
 * start half-way through it); so that a second pass is new work rather
 * than duplicate deliveries, every pass but the pushers' first rewrites
 * the first digits of the status id to one unique per (socket, pass).
 * --phase N moves a run to another id space (sockets 2N and 2N+1), so a
 * second run against the same database is new work too.
 *
 * With --rate X the run is paced instead: the pusher sends at 0.9 X and
 * the rep contexts take turns at 0.1 X (each still waits for its reply,
 * so at most K requests are outstanding), which measures latency at a
 * given load rather than at saturation; if moderd cannot keep up, the
 * sends fall behind and events_per_s says so.
 *
 * Throughput counts what moderd finished, from its /metrics, not what was
 * sent: the baseline is read before the first send, and after the send
 * window the program polls until every event sent (pushed and requested)
 * is counted as handled (moderd_event_latency_seconds_count, one per
 * event committed or judged, plus rejections) and the pipeline is empty.
 * events_per_s is then all handled events over the time from the first
 * send to the poll that saw the last one done, ramp-up and drain
 * included; steady_events_per_s is the slope of the handled count inside
 * the window, after a warm-up.  moderd's VmRSS (the daemon process only,
 * not its embedded PostgreSQL) is sampled every second; the -rss line
 * gives the highest sample and the averages of a first window (after the
 * warm-up) and a last one: a minute each in runs of 4 minutes or more.
 *
 * Output: one `bench daemon ...` line (`bench daemon-paced ...` with
 * --rate) with the headline figures (p99_ms is the p99 of replies that
 * stored a proposal, rss_kb the highest sample, ratio_vs_pipeline the
 * rate over --pipeline-rate), then -latency, -lat-trend (the stored p99
 * in each tenth of the window), -rss, -trend (events/s in
 * the same two windows as the RSS averages), -detail and -cpu lines.  Exit
 * status 1 if moderd could not be reached, an event was lost (not handled
 * within BENCH_DRAIN_MS), or a request failed.
 *
 * Deliberately not here: starting moderd (run_daemon.sh does), reading the
 * database, and any check of what was proposed: the unit and fault tests
 * do that.  It uses libnng, libc and libmodcore's file and number
 * helpers.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/http/http.h>

#include "log.h"
#include "moderd.h"
#include "util.h"

#define BENCH_MAX_CORPUS_BYTES ((size_t) 1 << 30)
#define BENCH_MAX_CONTEXTS_COUNT 1024
#define BENCH_MAX_SECONDS 86400
#define BENCH_MAX_LATENCY_COUNT ((size_t) 1 << 24)
#define BENCH_MAX_URL_BYTES 256
#define BENCH_TICK_MS 250 /* metrics scrape in the window */
#define BENCH_DRAIN_POLL_MS 20 /* metrics scrape while draining */
#define BENCH_DRAIN_MS 120000 /* for every sent event to be handled */
#define BENCH_HEALTH_WAIT_MS 180000 /* for moderd to come up */
#define BENCH_HTTP_TIMEOUT_MS 5000
#define BENCH_SEND_TIMEOUT_MS 200 /* so the pusher notices the end */
#define BENCH_REQ_TIMEOUT_MS 60000
#define BENCH_WARMUP_S 5.0 /* skipped by steady_events_per_s */
#define BENCH_RSS_WINDOW_S 60 /* first/last-minute averages */
#define BENCH_SLICES_COUNT 10 /* of the window, in the -lat-trend line */
#define BENCH_ID_PREFIX_BYTES 5 /* "9" socket pass(3) */
#define BENCH_ID_MIN_DIGITS 8
#define BENCH_MAX_PHASE 4 /* id prefixes 9[0-9]: two sockets a phase */
#define BENCH_PACED_REP_SHARE 0.1 /* of --rate, sent over rep */
#define BENCH_MAX_PG_PARENTS 64 /* moderd children, for CPU accounting */
#define BENCH_OTHER_CPU_WARN_PCT 20 /* of a core, not moderd's */

static const char bench_object_id[] = "\"object\":{\"id\":\"";

struct bench_opts {
	const char *events, *push_url, *req_url, *http_url;
	long        pid;
	int         seconds, contexts, rules, phase;
	double      pipeline_rate; /* 0: not given */
	double      rate; /* events/s to pace at; 0: as fast as taken */
};

/* The events, one NUL-terminated line each (the newlines are gone). */
struct bench_corpus {
	char   *data;
	char  **line;
	size_t *len;
	size_t  n;
};

/* Latencies in ms and when each request was sent (s after the first
 * send), appended under bench_run.mu. */
struct bench_lat {
	double *ms, *at;
	size_t  n;
};

/* What /metrics said, as counts. */
struct bench_metrics {
	double handled; /* committed or judged, plus rejected */
	double prop_new, prop_merged, prop_dup, rejected, queue;
};

struct bench_http {
	nng_http_client *cli;
	nng_url         *metrics, *health;
	nng_aio         *aio;
};

struct bench_run {
	const struct bench_opts   *o;
	const struct bench_corpus *c;
	atomic_bool                stop;
	double                     t0; /* the first send */
	atomic_uint_fast64_t       pushed, push_errors, next_req;
	nng_socket                 push, req;
	pthread_mutex_t            mu;
	struct bench_lat           all, stored;
	uint64_t                   req_sent, req_errors;
	uint64_t                   first_error_logged;
};

/* One rep request stream. */
struct bench_reqw {
	struct bench_run *r;
	nng_ctx           ctx;
	nng_aio          *aio;
	pthread_t         thr;
};

/* Per-second samples from the start of the run: moderd's RSS, and the
 * handled count at the first scrape at or after each second. */
struct bench_samples {
	long   *kb;
	size_t  n, cap;
	double *ht, *hv; /* time, handled */
	size_t  nh;
};

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The name the output lines start with. */
static const char *
bench_name(const struct bench_run *r)
{
	return r->o->rate > 0 ? "daemon-paced" : "daemon";
}

static void
bench_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* With rate > 0, wait until send number i of a stream of that rate is due. */
static void
bench_pace(const struct bench_run *r, uint64_t i, double rate)
{
	struct timespec ts;
	double          wait;

	if (rate <= 0 || (wait = r->t0 + (double) i / rate - bench_now()) <= 0)
		return;
	ts.tv_sec = (time_t) wait;
	ts.tv_nsec = (long) ((wait - (double) ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- corpus ----------------------------------------------------------- */

static void
bench_corpus_add(struct bench_corpus *c, size_t *cap, char *line, size_t n)
{
	if (c->n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		c->line = xreallocarray(c->line, *cap, sizeof(*c->line));
		c->len = xreallocarray(c->len, *cap, sizeof(*c->len));
	}
	c->line[c->n] = line;
	c->len[c->n++] = n;
}

static int
bench_corpus_read(const char *path, struct bench_corpus *c)
{
	struct mod_err err;
	size_t         size, i, start = 0, cap = 0;
	int            rv;

	memset(c, 0, sizeof(*c));
	memset(&err, 0, sizeof(err));
	rv = mod_read_file(
	    path, BENCH_MAX_CORPUS_BYTES, &c->data, &size, &err);
	if (rv != 0) {
		fprintf(stderr, "bench_daemon: could not read %s: %s\n", path,
		    err.msg[0] ? err.msg : mod_strerror(rv));
		return rv;
	}
	for (i = 0; i <= size; i++) {
		if (i < size && c->data[i] != '\n')
			continue;
		c->data[i] = '\0'; /* i == size: the terminating NUL */
		if (i > start)
			bench_corpus_add(c, &cap, c->data + start, i - start);
		start = i + 1;
	}
	return c->n > 0 ? 0 : MOD_EINVAL;
}

static void
bench_corpus_free(struct bench_corpus *c)
{
	free(c->data);
	free(c->line);
	free(c->len);
}

/*
 * Make the event in body unique to (sock, pass): overwrite the first
 * digits of its status id.  Events without a long numeric id at the
 * expected place are sent as they are (and may come back duplicate).
 */
static void
bench_id_rewrite(char *body, unsigned sock, uint64_t pass)
{
	char  *d = strstr(body, bench_object_id);
	char   pre[BENCH_ID_PREFIX_BYTES + 1];
	size_t n = 0;

	if (d == NULL)
		return;
	d += sizeof(bench_object_id) - 1;
	while (d[n] >= '0' && d[n] <= '9')
		n++;
	if (n < BENCH_ID_MIN_DIGITS)
		return;
	snprintf(
	    pre, sizeof(pre), "9%u%03u", sock % 10, (unsigned) (pass % 1000));
	memcpy(d, pre, BENCH_ID_PREFIX_BYTES);
}

/* Event number i of the endless stream of socket sock, as a message. */
static nng_msg *
bench_msg(const struct bench_corpus *c, unsigned sock, uint64_t i)
{
	size_t   k = (size_t) (i % c->n);
	uint64_t pass = i / c->n;
	nng_msg *m;
	char    *b;

	if (nng_msg_alloc(&m, c->len[k] + 1) != 0)
		fatalx("bench_daemon: out of memory");
	b = nng_msg_body(m);
	memcpy(b, c->line[k], c->len[k] + 1);
	if (sock != 0 || pass != 0) /* the pushers' first pass as it is */
		bench_id_rewrite(b, sock, pass);
	nng_msg_chop(m, 1); /* the NUL was only for strstr */
	return m;
}

/* ---- load ------------------------------------------------------------- */

static void
bench_error(struct bench_run *r, const char *what, int rv)
{
	pthread_mutex_lock(&r->mu);
	if (r->first_error_logged++ == 0)
		fprintf(
		    stderr, "bench_daemon: %s: %s\n", what, nng_strerror(rv));
	pthread_mutex_unlock(&r->mu);
}

static void *
bench_push_loop(void *arg)
{
	struct bench_run *r = arg;
	uint64_t          i = 0;
	nng_msg          *m;
	int               rv;

	unsigned sock = 2 * (unsigned) r->o->phase;
	double   rate = r->o->rate * (1 - BENCH_PACED_REP_SHARE);

	while (!atomic_load(&r->stop)) {
		bench_pace(r, i, rate);
		m = bench_msg(r->c, sock, i);
		/* nng owns m only if the send succeeds. */
		if ((rv = nng_sendmsg(r->push, m, 0)) == 0) {
			atomic_fetch_add(&r->pushed, 1);
			i++;
			continue;
		}
		nng_msg_free(m);
		if (rv == NNG_ETIMEDOUT)
			continue;
		atomic_fetch_add(&r->push_errors, 1);
		bench_error(r, "could not push", rv);
		bench_sleep_ms(10);
	}
	return NULL;
}

static void
bench_lat_add(struct bench_lat *l, double ms, double at)
{
	if (l->n < BENCH_MAX_LATENCY_COUNT) {
		l->at[l->n] = at;
		l->ms[l->n++] = ms;
	}
}

/* Classify the reply (owned) to a request sent at t0. */
static void
bench_req_reply(struct bench_run *r, nng_msg *reply, double t0)
{
	double      ms = (bench_now() - t0) * 1000.0;
	size_t      n = nng_msg_len(reply);
	const char *b = nng_msg_body(reply);
	char        text[256];

	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, b, n);
	text[n] = '\0';
	nng_msg_free(reply);
	pthread_mutex_lock(&r->mu);
	if (strstr(text, "\"ok\":true") == NULL) {
		if (r->req_errors++ == 0)
			fprintf(
			    stderr, "bench_daemon: error reply: %s\n", text);
	} else {
		bench_lat_add(&r->all, ms, t0 - r->t0);
		if (strstr(text, "\"status\":\"stored\"") != NULL)
			bench_lat_add(&r->stored, ms, t0 - r->t0);
	}
	pthread_mutex_unlock(&r->mu);
}

/* One request: send event i, wait for the reply.  Returns nng's code. */
static int
bench_req_one(struct bench_reqw *w, uint64_t i)
{
	struct bench_run *r = w->r;
	nng_msg *m = bench_msg(r->c, 2 * (unsigned) r->o->phase + 1, i);
	double   t0 = bench_now();
	int      rv;

	nng_aio_set_msg(w->aio, m);
	nng_ctx_send(w->ctx, w->aio);
	nng_aio_wait(w->aio);
	if ((rv = nng_aio_result(w->aio)) != 0) {
		nng_msg_free(m); /* nng owns m only on success */
		return rv;
	}
	pthread_mutex_lock(&r->mu);
	r->req_sent++;
	pthread_mutex_unlock(&r->mu);
	nng_ctx_recv(w->ctx, w->aio);
	nng_aio_wait(w->aio);
	if ((rv = nng_aio_result(w->aio)) != 0)
		return rv;
	bench_req_reply(r, nng_aio_get_msg(w->aio), t0);
	return 0;
}

static void *
bench_req_loop(void *arg)
{
	struct bench_reqw *w = arg;
	struct bench_run  *r = w->r;
	uint64_t           i;
	int                rv;

	while (!atomic_load(&r->stop)) {
		i = atomic_fetch_add(&r->next_req, 1);
		bench_pace(r, i, r->o->rate * BENCH_PACED_REP_SHARE);
		/* the rep stream starts half-way through the corpus */
		i += r->c->n / 2;
		if ((rv = bench_req_one(w, i)) == 0)
			continue;
		pthread_mutex_lock(&r->mu);
		r->req_errors++;
		pthread_mutex_unlock(&r->mu);
		bench_error(r, "request failed", rv);
		if (rv == NNG_ECLOSED)
			break;
	}
	return NULL;
}

/* ---- sockets ---------------------------------------------------------- */

static int
bench_sockets_open(struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	int                      rv;

	if ((rv = nng_push0_open(&r->push)) != 0
	    || (rv = nng_socket_set_ms(
	            r->push, NNG_OPT_SENDTIMEO, BENCH_SEND_TIMEOUT_MS))
	        != 0
	    || (rv = nng_dial(r->push, o->push_url, NULL, 0)) != 0) {
		fprintf(stderr, "bench_daemon: could not dial %s: %s\n",
		    o->push_url, nng_strerror(rv));
		return MOD_EIO;
	}
	if ((rv = nng_req0_open(&r->req)) != 0
	    || (rv = nng_socket_set_ms(
	            r->req, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE))
	        != 0
	    || (rv = nng_dial(r->req, o->req_url, NULL, 0)) != 0) {
		fprintf(stderr, "bench_daemon: could not dial %s: %s\n",
		    o->req_url, nng_strerror(rv));
		return MOD_EIO;
	}
	return 0;
}

static int
bench_reqw_open(struct bench_run *r, struct bench_reqw *w)
{
	int rv;

	w->r = r;
	if ((rv = nng_ctx_open(&w->ctx, r->req)) != 0
	    || (rv = nng_ctx_set_ms(
	            w->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE))
	        != 0
	    || (rv = nng_aio_alloc(&w->aio, NULL, NULL)) != 0) {
		fprintf(stderr, "bench_daemon: could not open a context: %s\n",
		    nng_strerror(rv));
		return MOD_EIO;
	}
	nng_aio_set_timeout(w->aio, BENCH_REQ_TIMEOUT_MS);
	return 0;
}

/* ---- metrics, health, rss --------------------------------------------- */

static int
bench_http_open(struct bench_http *h, const char *base)
{
	char url[BENCH_MAX_URL_BYTES];
	int  rv;

	memset(h, 0, sizeof(*h));
	if (snprintf(url, sizeof(url), "%s/metrics", base)
	    >= (int) sizeof(url))
		return MOD_ETOOBIG;
	if ((rv = nng_url_parse(&h->metrics, url)) != 0)
		goto out;
	snprintf(url, sizeof(url), "%s/healthz", base);
	if ((rv = nng_url_parse(&h->health, url)) != 0
	    || (rv = nng_http_client_alloc(&h->cli, h->metrics)) != 0
	    || (rv = nng_aio_alloc(&h->aio, NULL, NULL)) != 0)
		goto out;
	nng_aio_set_timeout(h->aio, BENCH_HTTP_TIMEOUT_MS);
out:
	if (rv != 0)
		fprintf(stderr, "bench_daemon: bad http url %s: %s\n", base,
		    nng_strerror(rv));
	return rv == 0 ? 0 : MOD_EINVAL;
}

static void
bench_http_close(struct bench_http *h)
{
	if (h->aio != NULL)
		nng_aio_free(h->aio);
	if (h->cli != NULL)
		nng_http_client_free(h->cli);
	if (h->metrics != NULL)
		nng_url_free(h->metrics);
	if (h->health != NULL)
		nng_url_free(h->health);
}

/* GET url; on status 200, *body is a NUL-terminated copy (caller frees). */
static int
bench_http_get(struct bench_http *h, nng_url *url, char **body)
{
	nng_http_req *req = NULL;
	nng_http_res *res = NULL;
	void         *data;
	size_t        len;
	int           rv;

	*body = NULL;
	if ((rv = nng_http_req_alloc(&req, url)) != 0
	    || (rv = nng_http_res_alloc(&res)) != 0)
		goto out;
	nng_http_client_transact(h->cli, req, res, h->aio);
	nng_aio_wait(h->aio);
	if ((rv = nng_aio_result(h->aio)) != 0)
		goto out;
	if (nng_http_res_get_status(res) != NNG_HTTP_STATUS_OK) {
		rv = NNG_EPROTO;
		goto out;
	}
	nng_http_res_get_data(res, &data, &len);
	*body = xmalloc(len + 1);
	memcpy(*body, data, len);
	(*body)[len] = '\0';
out:
	if (req != NULL)
		nng_http_req_free(req);
	if (res != NULL)
		nng_http_res_free(res);
	return rv;
}

/* The value of the sample named name (with its labels), 0 if absent. */
static double
bench_metric(const char *page, const char *name)
{
	size_t      n = strlen(name);
	const char *p = page;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == page || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return 0;
}

static const char *const bench_rejected[] = { "malformed", "too_large",
	"unknown_event", "wrong_type", "invalid_utf8", "bad_signature",
	"other" }; /* not dropped_full: that is a sub event never handled */

static void
bench_metrics_parse(const char *page, struct bench_metrics *m)
{
	char   name[128];
	size_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < nitems(bench_rejected); i++) {
		snprintf(name, sizeof(name),
		    "moderd_events_rejected_total{reason=\"%s\"}",
		    bench_rejected[i]);
		m->rejected += bench_metric(page, name);
	}
	m->handled = bench_metric(page, "moderd_event_latency_seconds_count")
	    + m->rejected;
	m->prop_new
	    = bench_metric(page, "moderd_proposals_total{outcome=\"new\"}");
	m->prop_merged
	    = bench_metric(page, "moderd_proposals_total{outcome=\"merged\"}");
	m->prop_dup = bench_metric(
	    page, "moderd_proposals_total{outcome=\"duplicate\"}");
	m->queue = bench_metric(page, "moderd_pipeline_queue");
}

static int
bench_metrics_get(struct bench_http *h, struct bench_metrics *m)
{
	char *page;
	int   rv;

	if ((rv = bench_http_get(h, h->metrics, &page)) != 0) {
		fprintf(stderr, "bench_daemon: could not get /metrics: %s\n",
		    nng_strerror(rv));
		return MOD_EIO;
	}
	bench_metrics_parse(page, m);
	free(page);
	return 0;
}

static bool
bench_alive(long pid)
{
	return kill((pid_t) pid, 0) == 0 || errno == EPERM;
}

/* Wait for GET /healthz to answer 200. */
static int
bench_wait_healthy(struct bench_http *h, long pid)
{
	double until = bench_now() + BENCH_HEALTH_WAIT_MS / 1000.0;
	char  *body;

	while (bench_now() < until) {
		if (!bench_alive(pid)) {
			fprintf(stderr,
			    "bench_daemon: moderd (pid %ld) is not "
			    "running\n",
			    pid);
			return MOD_ENOENT;
		}
		if (bench_http_get(h, h->health, &body) == 0) {
			free(body);
			return 0;
		}
		bench_sleep_ms(200);
	}
	fprintf(stderr, "bench_daemon: moderd not healthy after %d s\n",
	    BENCH_HEALTH_WAIT_MS / 1000);
	return MOD_EIO;
}

/* VmRSS of pid in kB, or -1. */
static long
bench_rss_kb(long pid)
{
	char  path[64], line[256];
	long  kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(fp);
	return kb;
}

static void
bench_rss_sample(struct bench_samples *s, long pid)
{
	long kb = bench_rss_kb(pid);

	if (kb >= 0 && s->n < s->cap)
		s->kb[s->n++] = kb;
}

/* CPU time in clock ticks: the machine's, moderd's, its PostgreSQL's
 * (moderd's child processes and theirs: the embedded cluster) and this
 * program's. */
struct bench_cpu {
	double busy; /* all cores, not idle or iowait */
	double moderd, pg, self;
	double t;
};

/*
 * From /proc/<pid>/stat: the parent, the process's own CPU ticks and
 * those of the children it has reaped.  Returns 0 or -1.
 */
static int
bench_proc_stat(const char *pid, long *ppid, double *own, double *reaped)
{
	char               path[64], line[1024], *p;
	long long          pp, cut, cst;
	unsigned long long ut, st;
	FILE              *fp;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), fp);
	fclose(fp);
	/* after "pid (comm) ": state, ppid, ... utime (14) to cstime (17) */
	if (p == NULL || (p = strrchr(line, ')')) == NULL
	    || sscanf(p + 2,
	           "%*c %lld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
	           "%lld %lld",
	           &pp, &ut, &st, &cut, &cst)
	        != 5)
		return -1;
	*ppid = (long) pp;
	*own = (double) (ut + st);
	*reaped = (double) (cut + cst);
	return 0;
}

static bool
bench_pid_in(long pid, const long *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == pid)
			return true;
	return false;
}

/*
 * Ticks of the processes whose parent is in parents[0..np), with those of
 * their reaped children when reaped; their pids go to found (up to
 * BENCH_MAX_PG_PARENTS).
 */
static double
bench_children_ticks(
    const long *parents, size_t np, bool reaped, long *found, size_t *nfound)
{
	DIR           *d = opendir("/proc");
	struct dirent *e;
	double         sum = 0, own, dead;
	long           ppid;

	*nfound = 0;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9'
		    || bench_proc_stat(e->d_name, &ppid, &own, &dead) != 0
		    || !bench_pid_in(ppid, parents, np))
			continue;
		sum += own + (reaped ? dead : 0);
		if (found != NULL && *nfound < BENCH_MAX_PG_PARENTS)
			found[(*nfound)++] = strtol(e->d_name, NULL, 10);
	}
	closedir(d);
	return sum;
}

/* moderd's PostgreSQL: its children (with what they reaped: exited
 * backends and autovacuum workers) and their live children. */
static double
bench_pg_ticks(long moderd)
{
	long   pm[BENCH_MAX_PG_PARENTS];
	size_t npm, n;
	double sum;

	sum = bench_children_ticks(&moderd, 1, true, pm, &npm);
	return sum + bench_children_ticks(pm, npm, false, NULL, &n);
}

static void
bench_cpu_read(long pid, struct bench_cpu *c)
{
	unsigned long long v[8] = { 0 };
	FILE              *fp = fopen("/proc/stat", "r");
	char               self[32];
	long               ppid;
	double             dead;

	memset(c, 0, sizeof(*c));
	if (fp != NULL) {
		if (fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		        &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7])
		    == 8)
			c->busy = (double) (v[0] + v[1] + v[2] + v[5] + v[6]
			    + v[7]);
		fclose(fp);
	}
	snprintf(self, sizeof(self), "%ld", pid);
	(void) bench_proc_stat(self, &ppid, &c->moderd, &dead);
	(void) bench_proc_stat("self", &ppid, &c->self, &dead);
	c->pg = bench_pg_ticks(pid);
	c->t = bench_now();
}

/* Where the CPU went, in % of one core; other is everything else running
 * on the machine (other work there makes the figures unreliable). */
static void
bench_print_cpu(const struct bench_run *r, const struct bench_cpu *a,
    const struct bench_cpu *b)
{
	double tick = (double) sysconf(_SC_CLK_TCK), secs = b->t - a->t;
	double busy, md, pg, self, other;

	if (secs <= 0 || tick <= 0)
		return;
	busy = (b->busy - a->busy) / tick / secs * 100;
	md = (b->moderd - a->moderd) / tick / secs * 100;
	pg = (b->pg - a->pg) / tick / secs * 100;
	self = (b->self - a->self) / tick / secs * 100;
	other = busy - md - pg - self;
	if (other < 0) /* the ticks are sampled at slightly different times */
		other = 0;
	printf("bench %s-cpu rules=%d cores=%ld busy_pct=%.0f moderd_pct=%.0f "
	       "postgres_pct=%.0f loadgen_pct=%.0f other_pct=%.0f\n",
	    bench_name(r), r->o->rules, sysconf(_SC_NPROCESSORS_ONLN), busy,
	    md, pg, self, other);
	if (other > BENCH_OTHER_CPU_WARN_PCT)
		fprintf(stderr,
		    "bench_daemon: other processes used %.0f%% of a core "
		    "during the run: the figures are unreliable\n",
		    other);
}

/* ---- the run ---------------------------------------------------------- */

/* Handled counts inside the window, for the steady-state slope. */
struct bench_window {
	double t0, h0; /* the start of the run */
	double tw, hw; /* first scrape after the warm-up */
	double tl, hl; /* last scrape in the window */
	bool   warm;
};

/* Scrape every BENCH_TICK_MS and sample RSS every second until the end of
 * the window. */
static int
bench_window_run(struct bench_run *r, struct bench_http *h,
    struct bench_window *w, struct bench_samples *rss)
{
	double               end = w->t0 + r->o->seconds, next_rss = w->t0;
	double               warm = w->t0 + BENCH_WARMUP_S, t;
	struct bench_metrics m;

	if (warm > w->t0 + r->o->seconds / 2.0)
		warm = w->t0 + r->o->seconds / 2.0;
	while ((t = bench_now()) < end) {
		if (t >= next_rss) {
			bench_rss_sample(rss, r->o->pid);
			next_rss += 1.0;
		}
		bench_sleep_ms(BENCH_TICK_MS);
		if (bench_metrics_get(h, &m) != 0)
			return MOD_EIO;
		t = bench_now();
		if (!w->warm && t >= warm) {
			w->warm = true;
			w->tw = t;
			w->hw = m.handled;
		}
		w->tl = t;
		w->hl = m.handled;
		while (rss->nh < rss->cap && t - w->t0 >= (double) rss->nh) {
			rss->ht[rss->nh] = t;
			rss->hv[rss->nh++] = m.handled;
		}
	}
	return 0;
}

/* Poll until everything sent is handled; *t_end is when it was seen. */
static int
bench_drain(struct bench_run *r, struct bench_http *h, double h0,
    struct bench_metrics *m, double *t_end, struct bench_samples *rss)
{
	double sent = (double) (atomic_load(&r->pushed) + r->req_sent);
	double until = bench_now() + BENCH_DRAIN_MS / 1000.0, next_rss = 0;

	for (;;) {
		if (bench_metrics_get(h, m) != 0)
			return MOD_EIO;
		*t_end = bench_now();
		if (m->handled - h0 >= sent && m->queue == 0)
			return 0;
		if (*t_end > until) {
			fprintf(stderr,
			    "bench_daemon: %.0f of %.0f events "
			    "handled after %d s\n",
			    m->handled - h0, sent, BENCH_DRAIN_MS / 1000);
			return MOD_ETIMEDOUT;
		}
		if (*t_end >= next_rss) {
			bench_rss_sample(rss, r->o->pid);
			next_rss = *t_end + 1.0;
		}
		bench_sleep_ms(BENCH_DRAIN_POLL_MS);
	}
}

/* ---- figures ---------------------------------------------------------- */

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile q of the sorted v[0..n), 0 when empty. */
static double
bench_pct(const double *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t) ceil(q * (double) n);
	return v[k > 0 ? k - 1 : 0];
}

static double
bench_rss_avg(const struct bench_samples *s, size_t from, size_t to)
{
	double sum = 0;
	size_t i;

	if (to > s->n)
		to = s->n;
	for (i = from; i < to; i++)
		sum += (double) s->kb[i];
	return to > from ? sum / (double) (to - from) : 0;
}

static long
bench_rss_max(const struct bench_samples *s)
{
	long   max = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->kb[i] > max)
			max = s->kb[i];
	return max;
}

/* Events handled per second between the samples of seconds a and b. */
static double
bench_rate_between(const struct bench_samples *s, size_t a, size_t b)
{
	if (s->nh == 0)
		return 0;
	if (b >= s->nh)
		b = s->nh - 1;
	if (a >= b || s->ht[b] <= s->ht[a])
		return 0;
	return (s->hv[b] - s->hv[a]) / (s->ht[b] - s->ht[a]);
}

/*
 * The two windows compared to show a trend: [warm, warm + win) after the
 * warm-up and [last, last + win) at the end; a minute each in runs of
 * four minutes or more.
 */
static void
bench_windows(int seconds, size_t *warm, size_t *win, size_t *last)
{
	size_t secs = (size_t) seconds;

	*warm = (size_t) BENCH_WARMUP_S;
	if (*warm > secs / 4)
		*warm = secs / 4;
	*win = secs >= 4 * BENCH_RSS_WINDOW_S ? BENCH_RSS_WINDOW_S
	                                      : (secs - *warm) / 4;
	if (*win == 0)
		*win = 1;
	*last = secs > *win ? secs - *win : 0;
}

/* The -rss and -trend lines. */
static void
bench_print_samples(const struct bench_run *r, const struct bench_samples *s)
{
	size_t warm, win, last;

	bench_windows(r->o->seconds, &warm, &win, &last);
	printf("bench %s-rss rules=%d samples=%zu max_kb=%ld start_kb=%ld "
	       "end_kb=%ld window_s=%zu first_from_s=%zu first_avg_kb=%.0f "
	       "last_avg_kb=%.0f\n",
	    bench_name(r), r->o->rules, s->n, bench_rss_max(s),
	    s->n ? s->kb[0] : 0, s->n ? s->kb[s->n - 1] : 0, win, warm,
	    bench_rss_avg(s, warm, warm + win),
	    bench_rss_avg(s, last, last + win));
	printf("bench %s-trend rules=%d window_s=%zu first_from_s=%zu "
	       "first_events_per_s=%.0f last_events_per_s=%.0f\n",
	    bench_name(r), r->o->rules, win, warm,
	    bench_rate_between(s, warm, warm + win),
	    bench_rate_between(s, last, last + win));
}

/* The stored p99 of requests sent in [from, to) s, 0 if none. */
static double
bench_slice_p99(const struct bench_lat *l, double from, double to)
{
	double *v = xcalloc(l->n + 1, sizeof(*v));
	double  p99;
	size_t  i, n = 0;

	for (i = 0; i < l->n; i++)
		if (l->at[i] >= from && l->at[i] < to)
			v[n++] = l->ms[i];
	qsort(v, n, sizeof(*v), bench_cmp_double);
	p99 = bench_pct(v, n, 0.99);
	free(v);
	return p99;
}

/*
 * The p99 of stored replies in each tenth of the window (by send time),
 * to tell a steady tail from one that grows or comes in bursts
 * (checkpoints, vacuum): worked out before the arrays are sorted.
 */
static void
bench_lat_trend(const struct bench_run *r, double p99[BENCH_SLICES_COUNT])
{
	double slice = (double) r->o->seconds / BENCH_SLICES_COUNT;
	int    i;

	for (i = 0; i < BENCH_SLICES_COUNT; i++)
		p99[i] = bench_slice_p99(&r->stored, slice * i,
		    i + 1 < BENCH_SLICES_COUNT ? slice * (i + 1) : 1e9);
}

/* The -lat-trend line. */
static void
bench_print_lat_trend(
    const struct bench_run *r, const double p99[BENCH_SLICES_COUNT])
{
	int i;

	printf("bench %s-lat-trend rules=%d slice_s=%.0f stored_p99_ms=",
	    bench_name(r), r->o->rules,
	    (double) r->o->seconds / BENCH_SLICES_COUNT);
	for (i = 0; i < BENCH_SLICES_COUNT; i++)
		printf("%s%.0f", i ? "," : "", p99[i]);
	printf("\n");
}

/* The latency line, from the sorted arrays. */
static void
bench_print_latency(const struct bench_run *r)
{
	const struct bench_lat *a = &r->all, *s = &r->stored;

	printf("bench %s-latency rules=%d contexts=%d requests=%zu "
	       "p50_ms=%.1f p99_ms=%.1f max_ms=%.1f stored=%zu "
	       "stored_p50_ms=%.1f stored_p99_ms=%.1f stored_max_ms=%.1f "
	       "errors=%" PRIu64 "\n",
	    bench_name(r), r->o->rules, r->o->contexts, a->n,
	    bench_pct(a->ms, a->n, 0.50), bench_pct(a->ms, a->n, 0.99),
	    a->n ? a->ms[a->n - 1] : 0, s->n, bench_pct(s->ms, s->n, 0.50),
	    bench_pct(s->ms, s->n, 0.99), s->n ? s->ms[s->n - 1] : 0,
	    r->req_errors);
}

/* The first line: saturated (the figure) or paced. */
static void
bench_print_head(
    const struct bench_run *r, double rate, const struct bench_samples *rss)
{
	char ratio[32] = "na";

	if (r->o->pipeline_rate > 0)
		snprintf(
		    ratio, sizeof(ratio), "%.2f", rate / r->o->pipeline_rate);
	if (r->o->rate > 0)
		printf("bench daemon-paced rules=%d target_events_per_s=%.0f "
		       "events_per_s=%.0f p99_ms=%.1f rss_kb=%ld "
		       "ratio_vs_pipeline=%s\n",
		    r->o->rules, r->o->rate, rate,
		    bench_pct(r->stored.ms, r->stored.n, 0.99),
		    bench_rss_max(rss), ratio);
	else
		printf("bench daemon rules=%d events_per_s=%.0f p99_ms=%.1f "
		       "rss_kb=%ld ratio_vs_pipeline=%s\n",
		    r->o->rules, rate,
		    bench_pct(r->stored.ms, r->stored.n, 0.99),
		    bench_rss_max(rss), ratio);
}

/* All figures. */
static void
bench_print(struct bench_run *r, const struct bench_window *w,
    const struct bench_metrics *m0, const struct bench_metrics *m1,
    double t_end, const struct bench_samples *rss)
{
	double handled = m1->handled - m0->handled, secs = t_end - w->t0;
	double rate = secs > 0 ? handled / secs : 0;
	double props
	    = m1->prop_new + m1->prop_merged - m0->prop_new - m0->prop_merged;
	double steady = w->tl > w->tw ? (w->hl - w->hw) / (w->tl - w->tw) : 0;
	double p99[BENCH_SLICES_COUNT];

	bench_lat_trend(r, p99);
	qsort(r->all.ms, r->all.n, sizeof(double), bench_cmp_double);
	qsort(r->stored.ms, r->stored.n, sizeof(double), bench_cmp_double);
	bench_print_head(r, rate, rss);
	bench_print_latency(r);
	bench_print_lat_trend(r, p99);
	bench_print_samples(r, rss);
	printf("bench %s-detail rules=%d seconds=%.1f events=%.0f "
	       "pushed=%" PRIu64 " requested=%" PRIu64 " proposals=%.0f "
	       "proposal_rate=%.4f new=%.0f merged=%.0f duplicate=%.0f "
	       "rejected=%.0f steady_events_per_s=%.0f drain_ms=%.0f "
	       "pipeline_events_per_s=%.0f push_errors=%" PRIu64 "\n",
	    bench_name(r), r->o->rules, secs, handled,
	    (uint64_t) atomic_load(&r->pushed), r->req_sent, props,
	    handled > 0 ? props / handled : 0, m1->prop_new - m0->prop_new,
	    m1->prop_merged - m0->prop_merged, m1->prop_dup - m0->prop_dup,
	    m1->rejected - m0->rejected, steady,
	    (t_end - w->t0 - r->o->seconds) * 1000.0, r->o->pipeline_rate,
	    (uint64_t) atomic_load(&r->push_errors));
	fflush(stdout);
}

/* ---- main ------------------------------------------------------------- */

static int
bench_threads_start(
    struct bench_run *r, struct bench_reqw *w, pthread_t *pusher)
{
	int i;

	if (pthread_create(pusher, NULL, bench_push_loop, r) != 0)
		return MOD_EIO;
	for (i = 0; i < r->o->contexts; i++)
		if (pthread_create(&w[i].thr, NULL, bench_req_loop, &w[i])
		    != 0)
			fatalx("bench_daemon: could not start a thread");
	return 0;
}

static void
bench_threads_join(struct bench_run *r, struct bench_reqw *w, pthread_t pusher)
{
	int i;

	atomic_store(&r->stop, true);
	pthread_join(pusher, NULL);
	for (i = 0; i < r->o->contexts; i++)
		pthread_join(w[i].thr, NULL);
}

/* The measured part: window, drain, figures. */
static int
bench_measure(struct bench_run *r, struct bench_http *h, struct bench_reqw *w)
{
	struct bench_metrics m0, m1;
	struct bench_window  win;
	struct bench_samples rss;
	struct bench_cpu     c0, c1;
	pthread_t            pusher;
	double               t_end = 0;
	int                  rv;

	memset(&win, 0, sizeof(win));
	rss.cap = (size_t) r->o->seconds + BENCH_DRAIN_MS / 1000 + 2;
	rss.kb = xcalloc(rss.cap, sizeof(*rss.kb));
	rss.ht = xcalloc(rss.cap, sizeof(*rss.ht));
	rss.hv = xcalloc(rss.cap, sizeof(*rss.hv));
	rss.n = rss.nh = 0;
	if ((rv = bench_metrics_get(h, &m0)) != 0)
		goto out;
	bench_cpu_read(r->o->pid, &c0);
	r->t0 = win.t0 = bench_now();
	win.h0 = m0.handled;
	if ((rv = bench_threads_start(r, w, &pusher)) != 0)
		goto out;
	rv = bench_window_run(r, h, &win, &rss);
	bench_threads_join(r, w, pusher);
	if (rv == 0)
		rv = bench_drain(r, h, m0.handled, &m1, &t_end, &rss);
	bench_cpu_read(r->o->pid, &c1);
	if (rv == 0) {
		bench_rss_sample(&rss, r->o->pid);
		bench_print(r, &win, &m0, &m1, t_end, &rss);
		bench_print_cpu(r, &c0, &c1);
	}
out:
	free(rss.kb);
	free(rss.ht);
	free(rss.hv);
	return rv;
}

static int
bench_setup_and_run(const struct bench_opts *o, struct bench_corpus *c)
{
	struct bench_run   r;
	struct bench_http  h;
	struct bench_reqw *w = xcalloc((size_t) o->contexts, sizeof(*w));
	int                i, rv;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.c = c;
	pthread_mutex_init(&r.mu, NULL);
	r.all.ms = xcalloc(BENCH_MAX_LATENCY_COUNT, sizeof(double));
	r.stored.ms = xcalloc(BENCH_MAX_LATENCY_COUNT, sizeof(double));
	r.all.at = xcalloc(BENCH_MAX_LATENCY_COUNT, sizeof(double));
	r.stored.at = xcalloc(BENCH_MAX_LATENCY_COUNT, sizeof(double));
	if ((rv = bench_http_open(&h, o->http_url)) != 0)
		goto out;
	if ((rv = bench_wait_healthy(&h, o->pid)) != 0
	    || (rv = bench_sockets_open(&r)) != 0)
		goto out;
	for (i = 0; i < o->contexts && rv == 0; i++)
		rv = bench_reqw_open(&r, &w[i]);
	if (rv == 0)
		rv = bench_measure(&r, &h, w);
	if (rv == 0 && (r.req_errors > 0 || r.all.n == 0))
		rv = MOD_EIO;
out:
	nng_close(r.push);
	nng_close(r.req);
	for (i = 0; i < o->contexts; i++)
		if (w[i].aio != NULL)
			nng_aio_free(w[i].aio);
	bench_http_close(&h);
	free(w);
	free(r.all.ms);
	free(r.stored.ms);
	free(r.all.at);
	free(r.stored.at);
	pthread_mutex_destroy(&r.mu);
	return rv;
}

static int
bench_int_arg(const char *s, int64_t min, int64_t max, int *out)
{
	int64_t v;

	if (mod_strtonum(s, min, max, &v) != 0)
		return MOD_EINVAL;
	*out = (int) v;
	return 0;
}

static int
bench_args(int argc, char **argv, struct bench_opts *o)
{
	int64_t pid = 0;
	int     i, rv = 0;

	memset(o, 0, sizeof(*o));
	o->seconds = 60;
	o->contexts = 32;
	o->rules = 1000;
	for (i = 1; i + 1 < argc && rv == 0; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--events") == 0)
			o->events = v;
		else if (strcmp(k, "--push") == 0)
			o->push_url = v;
		else if (strcmp(k, "--req") == 0)
			o->req_url = v;
		else if (strcmp(k, "--http") == 0)
			o->http_url = v;
		else if (strcmp(k, "--pid") == 0)
			rv = mod_strtonum(v, 1, INT32_MAX, &pid);
		else if (strcmp(k, "--seconds") == 0)
			rv = bench_int_arg(
			    v, 1, BENCH_MAX_SECONDS, &o->seconds);
		else if (strcmp(k, "--contexts") == 0)
			rv = bench_int_arg(
			    v, 1, BENCH_MAX_CONTEXTS_COUNT, &o->contexts);
		else if (strcmp(k, "--rules") == 0)
			rv = bench_int_arg(v, 0, INT32_MAX, &o->rules);
		else if (strcmp(k, "--pipeline-rate") == 0)
			rv = mod_strtod(v, &o->pipeline_rate);
		else if (strcmp(k, "--rate") == 0)
			rv = mod_strtod(v, &o->rate);
		else if (strcmp(k, "--phase") == 0)
			rv = bench_int_arg(v, 0, BENCH_MAX_PHASE, &o->phase);
		else
			rv = MOD_EINVAL;
	}
	o->pid = (long) pid;
	if (rv != 0 || i != argc || o->events == NULL || o->push_url == NULL
	    || o->req_url == NULL || o->http_url == NULL || o->pid == 0
	    || o->rate < 0 || o->pipeline_rate < 0)
		return MOD_EINVAL;
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_opts   o;
	struct bench_corpus c;
	int                 rv;

	if (bench_args(argc, argv, &o) != 0) {
		fprintf(stderr,
		    "usage: bench_daemon --events FILE --push URL --req URL "
		    "--http URL --pid PID [--seconds N] [--contexts K] "
		    "[--rules N] [--pipeline-rate X] [--rate X] "
		    "[--phase N]\n");
		return 2;
	}
	if ((rv = bench_corpus_read(o.events, &c)) == 0)
		rv = bench_setup_and_run(&o, &c);
	bench_corpus_free(&c);
	if (rv != 0)
		fprintf(
		    stderr, "bench_daemon: failed: %s\n", mod_strerror(rv));
	return rv == 0 ? 0 : 1;
}
