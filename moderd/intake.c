/*
 * intake.c - nng pull, sub and rep sockets feeding the pipeline.
 *
 * Threads, not aio callbacks: a submit may block for as long as the
 * pipeline is full (that is the back-pressure), and nng's callback
 * threads must never block.  A pull or sub socket has one thread that
 * receives and submits; a rep socket has one thread per context, each
 * running receive -> submit -> wait for the done callback -> send the
 * reply, so `contexts` requests are in the pipeline at once and a reply
 * is only sent once the event is durably handled.  Threads get a small
 * stack (MOD_INTAKE_STACK_BYTES); a rep socket may have 1024 contexts.
 *
 * Every message is counted as received, then checked against
 * MOD_MAX_EVENT_BYTES before anything copies it; nng's recv-size-max is
 * set above that cap so oversized messages still reach this check and
 * are counted, while absurd ones are dropped by nng on the wire.  The
 * message is copied out of the nng_msg because pipeline_submit() takes
 * malloc'd data; a rep message is then reused for the reply.
 *
 * Shutdown: pull and sub threads leave their receive when the socket is
 * closed.  Rep threads are told to stop and their pending receive is
 * cancelled; one that has a request in hand waits for the pipeline,
 * sends the answer (within MOD_INTAKE_REPLY_TIMEOUT_MS) and then exits,
 * and only then is the rep socket closed.  Pull and sub submissions are
 * counted until their done callback, which refers to the socket, so
 * intake_stop() waits for that count before freeing.
 *
 * Not here: the HTTP webhook (http.c) and the Mastodon stream (sse.c),
 * which feed the same pipeline, and any parsing: bytes go through as
 * they came.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>

#include "conf.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "util.h"

/* The reply when even encoding a reply failed. */
#define INTAKE_FALLBACK                                                       \
	"{\"ok\":false,\"error\":\"unavailable\","                            \
	"\"message\":\"could not encode the reply\"}"

struct intake_sock;

/* A thread: the receiver of a pull or sub socket, or one rep context. */
struct intake_worker {
	struct intake_sock *s;
	pthread_t           thr;
	bool                started;
	nng_ctx             ctx; /* rep */
	nng_aio            *aio; /* rep */
	pthread_mutex_t     mu; /* rep: the done callback's answer */
	pthread_cond_t      cv;
	bool                done;
	bool                receiving; /* rep: a receive is under way */
	bool                stopping; /* rep: receive no more */
	int                 rc;
	char                msg[MOD_MAX_ERR_BYTES];
};

struct intake_sock {
	struct intake        *in;
	char                 *name;
	int                   type; /* enum conf_intake_type */
	nng_socket            sock;
	bool                  open;
	nng_listener          l;
	struct intake_worker *w;
	size_t                nw;
};

struct intake {
	struct pipeline    *p;
	struct intake_sock *s;
	size_t              n;
	pthread_mutex_t     mu;
	pthread_cond_t      idle;
	size_t outstanding; /* pull and sub events awaiting done */
};

static const char *
intake_type_name(int type)
{
	return type == CONF_INTAKE_PULL ? "pull"
	    : type == CONF_INTAKE_SUB   ? "sub"
	                                : "rep";
}

/*
 * Copy the event out of msg (borrowed) into *data, or reject it as too
 * large.  Returns 0 or MOD_ETOOBIG.
 */
static int
intake_take(struct intake_sock *s, nng_msg *msg, char **data, size_t *len)
{
	size_t n = nng_msg_len(msg);

	if (n > MOD_MAX_EVENT_BYTES) {
		metrics_rejected(METRICS_REJ_TOO_LARGE);
		log_flood(LOG_FLOOD_REJECT,
		    "intake %s: message of %zu bytes over the limit of "
		    "%d, rejected",
		    s->name, n, MOD_MAX_EVENT_BYTES);
		return MOD_ETOOBIG;
	}
	*data = xmalloc(n + 1);
	memcpy(*data, nng_msg_body(msg), n);
	(*data)[n] = '\0';
	*len = n;
	return 0;
}

/* ---- pull and sub ----------------------------------------------------- */

static void
intake_outstanding_add(struct intake *in, int delta)
{
	pthread_mutex_lock(&in->mu);
	if (delta > 0)
		in->outstanding++;
	else if (--in->outstanding == 0)
		pthread_cond_broadcast(&in->idle);
	pthread_mutex_unlock(&in->mu);
}

/* Pull and sub senders hear nothing back: only log and uncount. */
static void
intake_async_done(void *arg, int rc, const char *msg)
{
	struct intake_sock *s = arg;

	if (rc != 0 && rc != MOD_EINVAL)
		log_warnx("intake %s: event not stored: %s", s->name,
		    msg != NULL ? msg : mod_strerror(rc));
	intake_outstanding_add(s->in, -1);
}

/* One pull or sub message (owned): check and submit. */
static void
intake_push(struct intake_sock *s, nng_msg *msg)
{
	bool             pull = s->type == CONF_INTAKE_PULL;
	enum pipe_source src = pull ? PIPE_SRC_PULL : PIPE_SRC_SUB;
	char            *data;
	size_t           len;
	int              rv;

	metrics_event_in(src);
	rv = intake_take(s, msg, &data, &len);
	nng_msg_free(msg);
	if (rv != 0)
		return;
	intake_outstanding_add(s->in, 1);
	/* pipeline_submit owns data on every path. */
	rv = pipeline_submit(
	    s->in->p, src, s->name, data, len, pull, intake_async_done, s);
	if (rv == 0)
		return;
	intake_outstanding_add(s->in, -1);
	if (rv == MOD_ELIMIT) /* counted by the pipeline as dropped_full */
		log_debug(
		    "intake %s: pipeline full, message dropped", s->name);
	else
		log_warnx("intake %s: message not accepted: %s", s->name,
		    mod_strerror(rv));
}

static void *
intake_recv_loop(void *arg)
{
	struct intake_worker *w = arg;
	nng_msg              *msg;
	int                   rv;

	for (;;) {
		rv = nng_recvmsg(w->s->sock, &msg, 0);
		if (rv == NNG_ECLOSED)
			break;
		if (rv != 0) {
			log_warnx("intake %s: could not receive: %s",
			    w->s->name, nng_strerror(rv));
			continue;
		}
		intake_push(w->s, msg);
	}
	return NULL;
}

/* ---- rep -------------------------------------------------------------- */

static void
intake_rep_done(void *arg, int rc, const char *msg)
{
	struct intake_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	mod_strlcpy(
	    w->msg, msg != NULL ? msg : mod_strerror(rc), sizeof(w->msg));
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Submit data (owned) and wait for the pipeline's answer in w. */
static void
intake_rep_submit(struct intake_worker *w, char *data, size_t len)
{
	struct intake_sock *s = w->s;
	int                 rv;

	w->done = false;
	/* pipeline_submit owns data on every path. */
	rv = pipeline_submit(s->in->p, PIPE_SRC_REP, s->name, data, len, true,
	    intake_rep_done, w);
	if (rv != 0) {
		intake_rep_done(w,
		    rv == MOD_ETOOBIG ? MOD_ETOOBIG : MOD_ECLOSED,
		    rv == MOD_ECLOSED ? "shutting down" : mod_strerror(rv));
		return;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->done)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

static const char *
intake_error_code(int rc)
{
	return rc == MOD_EINVAL ? "invalid_event"
	    : rc == MOD_ETOOBIG ? "too_large"
	                        : "unavailable";
}

/* The JSON reply for w's answer (caller frees), or NULL. */
static char *
intake_rep_json(const struct intake_worker *w)
{
	json_t *o;
	char   *s;

	if (w->rc == 0)
		o = json_pack("{s:b, s:s}", "ok", 1, "status", w->msg);
	else
		o = json_pack("{s:b, s:s, s:s}", "ok", 0, "error",
		    intake_error_code(w->rc), "message", w->msg);
	if (o == NULL) /* the message was not UTF-8 */
		o = json_pack("{s:b, s:s, s:s}", "ok", w->rc == 0, "error",
		    intake_error_code(w->rc), "message", mod_strerror(w->rc));
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* Turn msg (owned) into the reply and send it. */
static void
intake_rep_reply(struct intake_worker *w, nng_msg *msg)
{
	char       *json = intake_rep_json(w);
	const char *out = json != NULL ? json : INTAKE_FALLBACK;
	int         rv;

	nng_msg_clear(msg);
	if (nng_msg_append(msg, out, strlen(out)) != 0)
		fatalx("intake: out of memory");
	free(json);
	nng_aio_set_msg(w->aio, msg);
	nng_aio_set_timeout(w->aio, MOD_INTAKE_REPLY_TIMEOUT_MS);
	nng_ctx_send(w->ctx, w->aio);
	nng_aio_wait(w->aio);
	if ((rv = nng_aio_result(w->aio)) != 0) {
		nng_msg_free(msg); /* nng owns msg only on success */
		log_debug("intake %s: could not send a reply: %s", w->s->name,
		    nng_strerror(rv));
	}
}

/* One request (owned): check, submit, wait, answer. */
static void
intake_rep_handle(struct intake_worker *w, nng_msg *msg)
{
	char  *data;
	size_t len;

	metrics_event_in(PIPE_SRC_REP);
	if (intake_take(w->s, msg, &data, &len) != 0) {
		w->rc = MOD_ETOOBIG;
		mod_strlcpy(
		    w->msg, "event over the size limit", sizeof(w->msg));
	} else
		intake_rep_submit(w, data, len);
	intake_rep_reply(w, msg);
}

/*
 * Receive the next request unless intake_rep_stop() was called: false
 * then.  The start of a receive and its cancellation take w->mu, so a
 * stop never misses a receive about to begin.
 */
static bool
intake_rep_recv(struct intake_worker *w)
{
	bool go;

	pthread_mutex_lock(&w->mu);
	if ((go = !w->stopping)) {
		w->receiving = true;
		nng_aio_set_timeout(w->aio, NNG_DURATION_INFINITE);
		nng_ctx_recv(w->ctx, w->aio);
	}
	pthread_mutex_unlock(&w->mu);
	if (!go)
		return false;
	nng_aio_wait(w->aio);
	pthread_mutex_lock(&w->mu);
	w->receiving = false;
	pthread_mutex_unlock(&w->mu);
	return true;
}

static void *
intake_rep_loop(void *arg)
{
	struct intake_worker *w = arg;
	int                   rv;

	while (intake_rep_recv(w)) {
		rv = nng_aio_result(w->aio);
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			break;
		if (rv != 0) {
			log_warnx("intake %s: could not receive: %s",
			    w->s->name, nng_strerror(rv));
			continue;
		}
		intake_rep_handle(w, nng_aio_get_msg(w->aio));
	}
	return NULL;
}

/* ---- start and stop --------------------------------------------------- */

static int
intake_worker_start(struct intake_sock *s, struct intake_worker *w)
{
	void *(*start)(void *);
	pthread_attr_t attr;
	int            rv;

	w->s = s;
	if (s->type == CONF_INTAKE_REP
	    && ((rv = nng_ctx_open(&w->ctx, s->sock)) != 0
	        || (rv = nng_aio_alloc(&w->aio, NULL, NULL)) != 0)) {
		log_warnx("intake %s: could not open a context: %s", s->name,
		    nng_strerror(rv));
		return mod_from_nng(rv);
	}
	start
	    = s->type == CONF_INTAKE_REP ? intake_rep_loop : intake_recv_loop;
	if (pthread_attr_init(&attr) != 0
	    || pthread_attr_setstacksize(&attr, MOD_INTAKE_STACK_BYTES) != 0
	    || pthread_create(&w->thr, &attr, start, w) != 0)
		fatalx("intake %s: could not start a thread", s->name);
	pthread_attr_destroy(&attr);
	w->started = true;
	return 0;
}

/* Open s, then listen (pull, rep) or dial in the background (sub). */
static int
intake_open(struct intake_sock *s, const struct conf_intake *ci)
{
	int rv;

	if (ci->type == CONF_INTAKE_PULL)
		rv = nng_pull0_open(&s->sock);
	else if (ci->type == CONF_INTAKE_SUB)
		rv = nng_sub0_open(&s->sock);
	else
		rv = nng_rep0_open(&s->sock);
	if (rv != 0)
		return rv;
	s->open = true;
	if ((rv = nng_socket_set_size(
	         s->sock, NNG_OPT_RECVMAXSZ, MOD_MAX_INTAKE_RECV_BYTES))
	    != 0)
		return rv;
	if (ci->type != CONF_INTAKE_SUB)
		return nng_listen(s->sock, ci->url, &s->l, 0);
	if ((rv = nng_socket_set(s->sock, NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0)
		return rv;
	return nng_dial(s->sock, ci->url, NULL, NNG_FLAG_NONBLOCK);
}

static int
intake_sock_start(
    struct intake *in, struct intake_sock *s, const struct conf_intake *ci)
{
	size_t i;
	int    rv;

	s->in = in;
	s->name = xstrdup(ci->name);
	s->type = ci->type;
	if ((rv = intake_open(s, ci)) != 0) {
		log_warnx("intake %s: could not %s %s: %s", s->name,
		    ci->type == CONF_INTAKE_SUB ? "dial" : "listen on",
		    ci->url, nng_strerror(rv));
		return mod_from_nng(rv);
	}
	s->nw = ci->type == CONF_INTAKE_REP && ci->contexts > 0 ? ci->contexts
	                                                        : 1;
	s->w = xcalloc(s->nw, sizeof(*s->w));
	for (i = 0; i < s->nw; i++) {
		pthread_mutex_init(&s->w[i].mu, NULL);
		pthread_cond_init(&s->w[i].cv, NULL);
	}
	for (i = 0; i < s->nw; i++)
		if ((rv = intake_worker_start(s, &s->w[i])) != 0)
			return rv;
	log_info("intake %s: %s %s %s", s->name, intake_type_name(s->type),
	    ci->type == CONF_INTAKE_SUB ? "dialling" : "listening on",
	    ci->url);
	return 0;
}

int
intake_start(const struct conf *c, struct pipeline *p, struct intake **out)
{
	struct intake *in = xcalloc(1, sizeof(*in));
	int            rv = 0;

	*out = NULL;
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->idle, NULL);
	in->p = p;
	in->s = xcalloc(c->nintake ? c->nintake : 1, sizeof(*in->s));
	for (in->n = 0; in->n < c->nintake && rv == 0; in->n++)
		rv = intake_sock_start(in, &in->s[in->n], &c->intake[in->n]);
	if (rv != 0) {
		intake_stop(in);
		return rv;
	}
	*out = in;
	return 0;
}

int
intake_port(const struct intake *in, const char *name, int *port)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		if (strcmp(in->s[i].name, name) != 0)
			continue;
		if (in->s[i].type == CONF_INTAKE_SUB
		    || nng_listener_get_int(
		           in->s[i].l, NNG_OPT_TCP_BOUND_PORT, port)
		        != 0)
			return MOD_EINVAL;
		return 0;
	}
	return MOD_ENOENT;
}

static void
intake_sock_free(struct intake_sock *s)
{
	size_t i;

	for (i = 0; i < s->nw; i++) {
		if (s->w[i].aio != NULL)
			nng_aio_free(s->w[i].aio);
		pthread_mutex_destroy(&s->w[i].mu);
		pthread_cond_destroy(&s->w[i].cv);
	}
	free(s->w);
	free(s->name);
}

/* Let s's rep threads finish the request in hand and stop receiving. */
static void
intake_rep_stop(struct intake_sock *s)
{
	size_t i;

	for (i = 0; i < s->nw; i++) {
		pthread_mutex_lock(&s->w[i].mu);
		s->w[i].stopping = true;
		if (s->w[i].receiving)
			nng_aio_cancel(s->w[i].aio);
		pthread_mutex_unlock(&s->w[i].mu);
	}
}

/*
 * A rep socket is closed only once its threads are gone: nng 1.5.2
 * panics on nng_ctx_send() to a context of a closed socket, and this
 * way a request in flight still gets its answer.  Pull and sub threads
 * block in nng_recvmsg(), which only closing the socket ends.
 */
void
intake_stop(struct intake *in)
{
	size_t i, j;

	if (in == NULL)
		return;
	for (i = 0; i < in->n; i++) {
		if (in->s[i].type == CONF_INTAKE_REP)
			intake_rep_stop(&in->s[i]);
		else if (in->s[i].open) {
			nng_close(in->s[i].sock);
			in->s[i].open = false;
		}
	}
	for (i = 0; i < in->n; i++)
		for (j = 0; j < in->s[i].nw; j++)
			if (in->s[i].w[j].started)
				pthread_join(in->s[i].w[j].thr, NULL);
	for (i = 0; i < in->n; i++)
		if (in->s[i].open)
			nng_close(in->s[i].sock);
	pthread_mutex_lock(&in->mu);
	while (in->outstanding > 0)
		pthread_cond_wait(&in->idle, &in->mu);
	pthread_mutex_unlock(&in->mu);
	for (i = 0; i < in->n; i++)
		intake_sock_free(&in->s[i]);
	pthread_mutex_destroy(&in->mu);
	pthread_cond_destroy(&in->idle);
	free(in->s);
	free(in);
}
