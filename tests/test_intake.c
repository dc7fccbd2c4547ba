/*
 * test_intake.c - the nng intake sockets over real TCP on 127.0.0.1
 * (ephemeral ports), fed by nngcat (an independent client, nng-utils) and
 * by nng clients written here, into a real pipeline whose store stage
 * the test scripts (harness_pipe): pull back-pressure, sub drops when
 * full, rep answers only after the store and with every error shape,
 * several rep contexts at once, the size cap, and a stop that waits for
 * the pipeline.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/req.h>

#include "conf.h"
#include "harness_pipe.h"
#include "intake.h"
#include "metrics.h"
#include "pipeline.h"
#include "util.h"

#define TEST_TIMEOUT_MS 10000
#define TEST_CONTEXTS 4
#define TEST_QUEUE 16 /* pipeline_queue_count, the smallest allowed */

static struct harness_pipe test_hp;
static struct intake      *test_in;
static nng_socket          test_pub;
static int                 test_pull_port, test_rep_port;

/* ---- clients ---------------------------------------------------------- */

static void
test_url(char *url, size_t n, int port)
{
	snprintf(url, n, "tcp://127.0.0.1:%d", port);
}

static nng_socket
test_client(int (*opener)(nng_socket *), int port)
{
	nng_socket s;
	char       url[64];

	test_url(url, sizeof(url), port);
	assert_int_equal(opener(&s), 0);
	assert_int_equal(
	    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, TEST_TIMEOUT_MS), 0);
	assert_int_equal(
	    nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, TEST_TIMEOUT_MS), 0);
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	return s;
}

static void
test_send(nng_socket s, const void *data, size_t len)
{
	nng_msg *m;

	assert_int_equal(nng_msg_alloc(&m, 0), 0);
	assert_int_equal(nng_msg_append(m, data, len), 0);
	assert_int_equal(nng_sendmsg(s, m, 0), 0);
}

/* Receive one reply into out (NUL-terminated); 0 or the nng error. */
static int
test_recv(nng_socket s, char *out, size_t n, int flags)
{
	nng_msg *m;
	size_t   len;
	int      rv;

	if ((rv = nng_recvmsg(s, &m, flags)) != 0)
		return rv;
	len = nng_msg_len(m) < n - 1 ? nng_msg_len(m) : n - 1;
	memcpy(out, nng_msg_body(m), len);
	out[len] = '\0';
	nng_msg_free(m);
	return 0;
}

/* One rep round trip; the reply must be exactly want (or start so). */
static void
test_rep(const char *data, size_t len, const char *want, bool prefix)
{
	nng_socket s = test_client(nng_req0_open, test_rep_port);
	char       got[1024];

	test_send(s, data, len);
	assert_int_equal(test_recv(s, got, sizeof(got), 0), 0);
	nng_close(s);
	if (prefix ? strncmp(got, want, strlen(want)) != 0
	           : strcmp(got, want) != 0)
		fail_msg("got %s, want %s%s", got, want, prefix ? "..." : "");
}

static char *
test_tmpfile(const char *content)
{
	char *path = xstrdup("/tmp/test_intake.XXXXXX");
	int   fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(
	    write(fd, content, strlen(content)), (ssize_t) strlen(content));
	close(fd);
	return path;
}

/* Run nngcat with args; its stdout goes to out.  Returns its status. */
static int
test_nngcat(const char *args, char *out, size_t n)
{
	char   cmd[1024];
	FILE  *p;
	size_t k;

	snprintf(cmd, sizeof(cmd), "nngcat %s", args);
	assert_non_null(p = popen(cmd, "r"));
	k = fread(out, 1, n - 1, p);
	out[k] = '\0';
	return pclose(p);
}

static double
test_metric(const char *sample)
{
	double v = -1;

	assert_int_equal(metrics_lookup(sample, &v), 0);
	return v;
}

/* Wait until the metric reaches want. */
static bool
test_metric_wait(const char *sample, double want)
{
	int i;

	for (i = 0; i < TEST_TIMEOUT_MS / 10; i++) {
		if (test_metric(sample) >= want)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* ---- fixture ---------------------------------------------------------- */

static atomic_int test_pub_pipes; /* subscribers connected to test_pub */

static void
test_pub_notify(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void) p;
	(void) arg;
	atomic_fetch_add(&test_pub_pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

/*
 * The subscriber dials in the background; wait until it is connected,
 * because nng 1.5.2 leaks a little when a socket is closed while its
 * dialer is still connecting.
 */
static int
test_setup(void **state)
{
	nng_listener l;
	char         conf[1024];
	int          pub_port, i;

	(void) state;
	atomic_store(&test_pub_pipes, 0);
	if (nng_pub0_open(&test_pub) != 0
	    || nng_pipe_notify(
	           test_pub, NNG_PIPE_EV_ADD_POST, test_pub_notify, NULL)
	        != 0
	    || nng_pipe_notify(
	           test_pub, NNG_PIPE_EV_REM_POST, test_pub_notify, NULL)
	        != 0
	    || nng_listen(test_pub, "tcp://127.0.0.1:0", &l, 0) != 0
	    || nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &pub_port) != 0)
		return -1;
	snprintf(conf, sizeof(conf),
	    "pipeline_workers 1\n"
	    "pipeline_queue_count %d\n"
	    "db_batch_ms 0\n"
	    "intake pulli {\n\ttype pull\n\turl \"tcp://127.0.0.1:0\"\n}\n"
	    "intake repi {\n\ttype rep\n\turl \"tcp://127.0.0.1:0\"\n"
	    "\tcontexts %d\n}\n"
	    "intake subi {\n\ttype sub\n\turl \"tcp://127.0.0.1:%d\"\n}\n",
	    TEST_QUEUE, TEST_CONTEXTS, pub_port);
	if (harness_pipe_start(&test_hp, conf) != 0
	    || intake_start(test_hp.conf, test_hp.p, &test_in) != 0
	    || intake_port(test_in, "pulli", &test_pull_port) != 0
	    || intake_port(test_in, "repi", &test_rep_port) != 0)
		return -1;
	for (i = 0;
	     i < TEST_TIMEOUT_MS / 10 && atomic_load(&test_pub_pipes) < 1; i++)
		usleep(10 * 1000);
	return atomic_load(&test_pub_pipes) == 1 ? 0 : -1;
}

static int
test_teardown(void **state)
{
	(void) state;
	intake_stop(test_in);
	test_in = NULL;
	harness_pipe_stop(&test_hp);
	nng_close(test_pub);
	metrics_reset();
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void
test_ports(void **state)
{
	int port;

	(void) state;
	assert_true(test_pull_port > 0 && test_rep_port > 0);
	assert_int_not_equal(test_pull_port, test_rep_port);
	assert_int_equal(intake_port(test_in, "subi", &port), MOD_EINVAL);
	assert_int_equal(intake_port(test_in, "nope", &port), MOD_ENOENT);
}

/* nngcat --push delivers an event over pull; it is stored. */
static void
test_pull_nngcat(void **state)
{
	char *ev = harness_pipe_event("3001", "buy now");
	char *path = test_tmpfile(ev);
	char  args[512], out[256];

	(void) state;
	snprintf(args, sizeof(args),
	    "--push --dial tcp://127.0.0.1:%d --file %s", test_pull_port,
	    path);
	assert_int_equal(test_nngcat(args, out, sizeof(out)), 0);
	assert_true(
	    harness_pipe_wait(&test_hp, &test_hp.stored, 1, TEST_TIMEOUT_MS));
	assert_true(
	    test_metric("moderd_events_in_total{source=\"pull\"}") == 1);
	unlink(path);
	free(path);
	free(ev);
}

/* nngcat --req gets the exact acknowledgement, then "duplicate". */
static void
test_rep_nngcat(void **state)
{
	char *ev = harness_pipe_event("3002", "buy now");
	char *path = test_tmpfile(ev);
	char  args[512], out[256];

	(void) state;
	snprintf(args, sizeof(args),
	    "--req --dial tcp://127.0.0.1:%d --file %s --raw "
	    "--recv-timeout 10",
	    test_rep_port, path);
	assert_int_equal(test_nngcat(args, out, sizeof(out)), 0);
	assert_string_equal(out, "{\"ok\":true,\"status\":\"stored\"}");
	assert_int_equal(test_nngcat(args, out, sizeof(out)), 0);
	assert_string_equal(out, "{\"ok\":true,\"status\":\"duplicate\"}");
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 1);
	unlink(path);
	free(path);
	free(ev);
}

/* Every shape of rep answer. */
static void
test_rep_answers(void **state)
{
	static const char unknown[]
	    = "{\"event\":\"poll.created\",\"object\":{\"id\":\"1\"}}";
	char *ham = harness_pipe_event("3003", "a quiet garden");
	char *spam = harness_pipe_event("3004", "buy now");
	char *big = xmalloc(MOD_MAX_EVENT_BYTES + 1);

	(void) state;
	test_rep(
	    ham, strlen(ham), "{\"ok\":true,\"status\":\"no_action\"}", false);
	test_rep("{\"event\":", 9,
	    "{\"ok\":false,\"error\":\"invalid_event\",\"message\":\"", true);
	test_rep(unknown, strlen(unknown),
	    "{\"ok\":false,\"error\":\"invalid_event\",\"message\":\"", true);
	memset(big, ' ', MOD_MAX_EVENT_BYTES + 1);
	test_rep(big, MOD_MAX_EVENT_BYTES + 1,
	    "{\"ok\":false,\"error\":\"too_large\",\"message\":\"event over "
	    "the size limit\"}",
	    false);
	harness_pipe_fail(&test_hp, true);
	test_rep(spam, strlen(spam),
	    "{\"ok\":false,\"error\":\"unavailable\",\"message\":\"database "
	    "unavailable, retry later\"}",
	    false);
	harness_pipe_fail(&test_hp, false);
	/* the sender retries and is acknowledged */
	test_rep(
	    spam, strlen(spam), "{\"ok\":true,\"status\":\"stored\"}", false);
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.rejected), 2);
	assert_true(
	    test_metric("moderd_events_in_total{source=\"rep\"}") == 6);
	assert_true(
	    test_metric("moderd_events_rejected_total{reason=\"too_large\"}")
	    == 1);
	free(ham);
	free(spam);
	free(big);
}

/* The reply is sent only once the store stage has committed. */
static void
test_rep_waits_for_store(void **state)
{
	char      *ev = harness_pipe_event("3005", "buy now");
	nng_socket s = test_client(nng_req0_open, test_rep_port);
	char       got[256];

	(void) state;
	harness_pipe_shut(&test_hp, true);
	test_send(s, ev, strlen(ev));
	assert_true(harness_pipe_wait(&test_hp, &test_hp.waiting, 1, 5000));
	usleep(300 * 1000);
	assert_int_equal(
	    test_recv(s, got, sizeof(got), NNG_FLAG_NONBLOCK), NNG_EAGAIN);
	harness_pipe_shut(&test_hp, false);
	assert_int_equal(test_recv(s, got, sizeof(got), 0), 0);
	assert_string_equal(got, "{\"ok\":true,\"status\":\"stored\"}");
	nng_close(s);
	free(ev);
}

/* `contexts` requests are in the pipeline at once, and no more. */
static void
test_rep_contexts(void **state)
{
	nng_socket s[TEST_CONTEXTS + 1];
	char       id[16], got[256];
	char      *ev;
	size_t     i;

	(void) state;
	harness_pipe_shut(&test_hp, true);
	for (i = 0; i < TEST_CONTEXTS + 1; i++) {
		s[i] = test_client(nng_req0_open, test_rep_port);
		snprintf(id, sizeof(id), "31%02zu", i);
		ev = harness_pipe_event(id, "buy now");
		test_send(s[i], ev, strlen(ev));
		free(ev);
	}
	for (i = 0; i < 500 && pipeline_depth(test_hp.p) < TEST_CONTEXTS; i++)
		usleep(10 * 1000);
	usleep(200 * 1000);
	assert_int_equal(pipeline_depth(test_hp.p), TEST_CONTEXTS);
	harness_pipe_shut(&test_hp, false);
	for (i = 0; i < TEST_CONTEXTS + 1; i++) {
		assert_int_equal(test_recv(s[i], got, sizeof(got), 0), 0);
		assert_string_equal(
		    got, "{\"ok\":true,\"status\":\"stored\"}");
		nng_close(s[i]);
	}
	assert_int_equal(
	    harness_pipe_count(&test_hp, &test_hp.stored), TEST_CONTEXTS + 1);
}

/* Pull holds senders back when the pipeline is full; nothing is lost. */
static void
test_pull_backpressure(void **state)
{
	nng_socket s = test_client(nng_push0_open, test_pull_port);
	char       id[16];
	char      *ev;
	int        i, n = TEST_QUEUE + 8;

	(void) state;
	harness_pipe_shut(&test_hp, true);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "32%02d", i);
		ev = harness_pipe_event(id, "buy now");
		test_send(s, ev, strlen(ev));
		free(ev);
	}
	for (i = 0; i < 500 && pipeline_depth(test_hp.p) < TEST_QUEUE; i++)
		usleep(10 * 1000);
	assert_int_equal(pipeline_depth(test_hp.p), TEST_QUEUE);
	harness_pipe_shut(&test_hp, false);
	assert_true(harness_pipe_wait(
	    &test_hp, &test_hp.stored, (size_t) n, TEST_TIMEOUT_MS));
	assert_true(test_metric("moderd_events_rejected_total{reason="
	                        "\"dropped_full\"}")
	    == 0);
	nng_close(s);
}

/* Publish probes until the subscriber is connected and one is stored. */
static void
test_sub_connect(void)
{
	char *ev = harness_pipe_event("3300", "buy now");
	int   i;

	for (i = 0; i < TEST_TIMEOUT_MS / 50; i++) {
		test_send(test_pub, ev, strlen(ev));
		if (harness_pipe_wait(&test_hp, &test_hp.stored, 1, 50))
			break;
	}
	free(ev);
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 1);
}

/* Sub drops (and counts) what finds the pipeline full. */
static void
test_sub_drops(void **state)
{
	char   id[16];
	char  *ev;
	double in0;
	int    i, n = 40;

	(void) state;
	test_sub_connect();
	assert_true(
	    test_metric_wait("moderd_events_in_total{source=\"sub\"}", 1));
	/* let a late probe through (a duplicate), then hold the store */
	usleep(100 * 1000);
	for (i = 0; i < 500 && pipeline_depth(test_hp.p) > 0; i++)
		usleep(10 * 1000);
	assert_int_equal(pipeline_depth(test_hp.p), 0);
	harness_pipe_shut(&test_hp, true);
	in0 = test_metric("moderd_events_in_total{source=\"sub\"}");
	/* one at a time: pub itself drops what a subscriber's queue lacks
	 * room for, and this test is about moderd's drops */
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "34%02d", i);
		ev = harness_pipe_event(id, "buy now");
		test_send(test_pub, ev, strlen(ev));
		free(ev);
		assert_true(test_metric_wait(
		    "moderd_events_in_total{source=\"sub\"}", in0 + i + 1));
	}
	harness_pipe_shut(&test_hp, false);
	assert_true(harness_pipe_wait(
	    &test_hp, &test_hp.stored, 1 + TEST_QUEUE, TEST_TIMEOUT_MS));
	usleep(100 * 1000);
	assert_int_equal(
	    harness_pipe_count(&test_hp, &test_hp.stored), 1 + TEST_QUEUE);
	assert_true(test_metric("moderd_events_rejected_total{reason="
	                        "\"dropped_full\"}")
	    == n - TEST_QUEUE);
}

/* An oversized pull message is rejected and counted; the socket lives. */
static void
test_pull_too_large(void **state)
{
	nng_socket s = test_client(nng_push0_open, test_pull_port);
	char      *big = xmalloc(MOD_MAX_EVENT_BYTES + 100);
	char      *ev = harness_pipe_event("3501", "buy now");

	(void) state;
	memset(big, '{', MOD_MAX_EVENT_BYTES + 100);
	test_send(s, big, MOD_MAX_EVENT_BYTES + 100);
	test_send(s, ev, strlen(ev));
	assert_true(
	    harness_pipe_wait(&test_hp, &test_hp.stored, 1, TEST_TIMEOUT_MS));
	assert_true(
	    test_metric("moderd_events_rejected_total{reason=\"too_large\"}")
	    == 1);
	assert_true(
	    test_metric("moderd_events_in_total{source=\"pull\"}") == 2);
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.rejected), 0);
	nng_close(s);
	free(big);
	free(ev);
}

struct test_stopper {
	struct intake *in;
	int            done;
};

static void *
test_stop_thread(void *arg)
{
	struct test_stopper *s = arg;

	intake_stop(s->in);
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * intake_stop waits for the events in flight, rep and pull alike, and
 * the rep sender still gets its answer.
 */
static void
test_stop_waits(void **state)
{
	char               *a = harness_pipe_event("3601", "buy now");
	char               *b = harness_pipe_event("3602", "buy now");
	nng_socket          req = test_client(nng_req0_open, test_rep_port);
	nng_socket          push = test_client(nng_push0_open, test_pull_port);
	struct test_stopper s = { test_in, 0 };
	char                got[256];
	pthread_t           t;
	int                 i;

	(void) state;
	harness_pipe_shut(&test_hp, true);
	test_send(req, a, strlen(a));
	test_send(push, b, strlen(b));
	assert_true(harness_pipe_wait(&test_hp, &test_hp.waiting, 1, 5000));
	for (i = 0; i < 500 && pipeline_depth(test_hp.p) < 2; i++)
		usleep(10 * 1000);
	assert_int_equal(pipeline_depth(test_hp.p), 2);
	assert_int_equal(pthread_create(&t, NULL, test_stop_thread, &s), 0);
	usleep(300 * 1000);
	assert_int_equal(__atomic_load_n(&s.done, __ATOMIC_SEQ_CST), 0);
	harness_pipe_shut(&test_hp, false);
	pthread_join(t, NULL);
	test_in = NULL;
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 2);
	assert_int_equal(test_recv(req, got, sizeof(got), 0), 0);
	assert_string_equal(got, "{\"ok\":true,\"status\":\"stored\"}");
	nng_close(req);
	nng_close(push);
	free(a);
	free(b);
}

/* A bad address or a port in use fails the start and leaks nothing. */
static void
test_bad_address(void **state)
{
	char           srcs[3][256];
	struct conf   *c;
	struct intake *in;
	size_t         i;

	(void) state;
	snprintf(srcs[0], sizeof(srcs[0]),
	    "intake a {\n\ttype pull\n\turl \"bogus://x\"\n}\n");
	snprintf(srcs[1], sizeof(srcs[1]),
	    "intake a {\n\ttype rep\n\turl \"tcp://127.0.0.1:%d\"\n}\n",
	    test_rep_port);
	snprintf(srcs[2], sizeof(srcs[2]),
	    "intake ok {\n\ttype pull\n\turl \"tcp://127.0.0.1:0\"\n}\n"
	    "intake a {\n\ttype pull\n\turl \"tcp://127.0.0.1:%d\"\n}\n",
	    test_pull_port);
	for (i = 0; i < 3; i++) {
		c = NULL;
		in = test_in;
		assert_int_equal(conf_load_buffer("b.conf", srcs[i],
		                     strlen(srcs[i]), &c, NULL),
		    0);
		assert_int_not_equal(intake_start(c, test_hp.p, &in), 0);
		assert_null(in);
		conf_free(c);
	}
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
	const struct CMUnitTest tests[] = {
		T(test_ports),
		T(test_pull_nngcat),
		T(test_rep_nngcat),
		T(test_rep_answers),
		T(test_rep_waits_for_store),
		T(test_rep_contexts),
		T(test_pull_backpressure),
		T(test_sub_drops),
		T(test_pull_too_large),
		T(test_stop_waits),
		T(test_bad_address),
	};
	int rv;

	if (getenv("TEST_FILTER") != NULL) /* e.g. TEST_FILTER=test_sub* */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();
	return rv;
}
