/*
 * test_http.c - the HTTP server over real TCP on 127.0.0.1 (an ephemeral
 * port) with a real pipeline whose store stage the test scripts
 * (harness_pipe): routing and the JSON error envelope, body caps, the
 * webhook signature, answers that wait for the store, /metrics,
 * /healthz, extra routes with {id} parameters, and a stop that waits.
 * The client is a raw socket speaking HTTP/1.1, so every byte the server
 * sends is checked.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <sodium.h>

#include "conf.h"
#include "harness_pipe.h"
#include "http.h"
#include "metrics.h"
#include "util.h"

#define TEST_CONF                                                             \
	"http_listen \"http://127.0.0.1:0\"\n"                                \
	"http_max_body_bytes 4k\n"                                            \
	"webhook_secret \"s3cret\"\n"                                         \
	"pipeline_workers 1\n"                                                \
	"db_batch_ms 0\n"
#define TEST_SECRET "s3cret"
#define TEST_HOOK "/v1/webhooks/mastodon"
#define TEST_TIMEOUT_MS 10000
/* RFC 4231 test case 2: HMAC-SHA256 of "what do ya want for nothing?" */
#define TEST_MAC                                                              \
	"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

struct test_resp {
	int    status;
	char   head[4096]; /* status line and headers */
	char   body[16384];
	size_t body_len;
};

static struct harness_pipe test_hp;
static struct http        *test_srv;
static int                 test_port;
static int                 test_health_rc;

/* ---- a raw HTTP/1.1 client -------------------------------------------- */

static int
test_connect(int port)
{
	struct sockaddr_in sa = { 0 };
	struct timeval     tv = { TEST_TIMEOUT_MS / 1000, 0 };
	int                fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
test_send(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t     k;

	while (n > 0) {
		k = send(fd, s, n, MSG_NOSIGNAL);
		assert_true(k > 0);
		s += k;
		n -= (size_t) k;
	}
}

/* Read until the server closes, then split head and body. */
static void
test_read(int fd, struct test_resp *r)
{
	static char all[sizeof(r->head) + sizeof(r->body)];
	size_t      n = 0;
	ssize_t     k;
	char       *sep;

	memset(r, 0, sizeof(*r));
	while (n < sizeof(all) - 1
	    && (k = recv(fd, all + n, sizeof(all) - 1 - n, 0)) > 0)
		n += (size_t) k;
	all[n] = '\0';
	sep = strstr(all, "\r\n\r\n");
	assert_non_null(sep);
	assert_true((size_t) (sep - all) + 2 < sizeof(r->head));
	memcpy(r->head, all, (size_t) (sep - all) + 2);
	r->body_len = n - (size_t) (sep + 4 - all);
	memcpy(r->body, sep + 4, r->body_len);
	assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
}

/* Send the head of a request (Connection: close) and maybe its body. */
static int
test_begin(const char *method, const char *path, const char *extra,
    size_t clen, const char *body, size_t len)
{
	char head[2048];
	int  fd = test_connect(test_port);

	snprintf(head, sizeof(head),
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n%s\r\n",
	    method, path, clen, extra != NULL ? extra : "");
	test_send(fd, head, strlen(head));
	if (len > 0)
		test_send(fd, body, len);
	return fd;
}

static void
test_request(const char *method, const char *path, const char *extra,
    const char *body, size_t len, struct test_resp *r)
{
	int fd = test_begin(method, path, extra, len, body, len);

	test_read(fd, r);
	close(fd);
}

/* Is `line` one of the header lines of r (case-insensitive)? */
static bool
test_has_header(const struct test_resp *r, const char *line)
{
	char   head[sizeof(r->head)], want[512];
	size_t i;

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	for (i = 0; want[i] != '\0'; i++)
		want[i] = (char) tolower((unsigned char) want[i]);
	for (i = 0; i < sizeof(head) && r->head[i] != '\0'; i++)
		head[i] = (char) tolower((unsigned char) r->head[i]);
	head[i < sizeof(head) ? i : sizeof(head) - 1] = '\0';
	return strstr(head, want) != NULL;
}

static void
test_expect(const struct test_resp *r, int status, const char *body)
{
	if (r->status != status || strcmp(r->body, body) != 0)
		fail_msg(
		    "got %d %s, want %d %s", r->status, r->body, status, body);
	assert_true(test_has_header(r, "Content-Type: application/json"));
}

/* X-Hub-Signature header line for body keyed with secret. */
static void
test_sign(
    const char *secret, const char *body, size_t len, char *out, size_t outsz)
{
	crypto_auth_hmacsha256_state st;
	unsigned char                mac[crypto_auth_hmacsha256_BYTES];
	char                         hex[2 * sizeof(mac) + 1];

	crypto_auth_hmacsha256_init(
	    &st, (const unsigned char *) secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *) body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, outsz, "X-Hub-Signature: sha256=%s\r\n", hex);
}

static void
test_hook(
    const char *secret, const char *body, size_t len, struct test_resp *r)
{
	char sig[128];

	test_sign(secret, body, len, sig, sizeof(sig));
	test_request("POST", TEST_HOOK, sig, body, len, r);
}

static double
test_metric(const char *sample)
{
	double v = -1;

	assert_int_equal(metrics_lookup(sample, &v), 0);
	return v;
}

/* ---- extra routes, as the API module will add them -------------------- */

static void
test_route_item(struct http_request *r)
{
	char json[256];

	snprintf(json, sizeof(json),
	    "{\"id\":\"%s\",\"note\":\"%s\",\"arg\":%d}",
	    http_request_param(r, "id"),
	    http_request_param(r, "n") ? http_request_param(r, "n") : "",
	    *(int *) http_request_arg(r));
	http_reply_json(r, 200, json);
}

static void
test_route_echo(struct http_request *r)
{
	size_t      len;
	const char *b = http_request_body(r, &len);

	http_reply(r, 201, "text/plain", b, len);
}

static int test_routes_arg = 7;

static const struct http_route test_routes[] = {
	{ "GET", "/v1/items/{id}", 0, test_route_item, NULL },
	{ "GET", "/v1/items/{id}/notes/{n}", HTTP_ROUTE_BLOCKING,
	    test_route_item, NULL },
	{ "PUT", "/v1/echo", HTTP_ROUTE_BODY, test_route_echo, NULL },
};

static int
test_health(void *arg)
{
	return *(int *) arg;
}

static int
test_start_server(struct http **out)
{
	struct http_init init = {
		.pipeline = test_hp.p,
		.health = test_health,
		.health_arg = &test_health_rc,
		.routes = test_routes,
		.nroutes = sizeof(test_routes) / sizeof(test_routes[0]),
		.routes_arg = &test_routes_arg,
	};

	return http_start(test_hp.conf, &init, out);
}

static int
test_setup(void **state)
{
	(void) state;
	if (harness_pipe_start(&test_hp, TEST_CONF) != 0
	    || test_start_server(&test_srv) != 0
	    || http_port(test_srv, &test_port) != 0)
		return -1;
	return test_port > 0 ? 0 : -1;
}

static int
test_teardown(void **state)
{
	(void) state;
	http_stop(test_srv);
	harness_pipe_stop(&test_hp);
	metrics_reset();
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void
test_verify_table(void **state)
{
	/* RFC 4231 test case 2 */
	static const char body[] = "what do ya want for nothing?";
	static const struct {
		const char *secret, *header;
		size_t      len;
		int         want;
	} cases[] = {
		{ "Jefe", "sha256=" TEST_MAC, 28, 0 },
		{ "Jefe",
		    "sha256=5BDCC146BF60754E6A042426089575C7"
		    "5A003F089D2739839DEC58B964EC3843",
		    28, 0 },
		{ "Jefe", "sha256=" TEST_MAC, 27, MOD_EAUTH }, /* body */
		{ "jefe", "sha256=" TEST_MAC, 28, MOD_EAUTH }, /* key */
		{ "", "sha256=" TEST_MAC, 28, MOD_EAUTH },
		{ "Jefe", NULL, 28, MOD_EAUTH },
		{ "Jefe", "", 28, MOD_EAUTH },
		{ "Jefe", TEST_MAC, 28, MOD_EAUTH },
		{ "Jefe", "sha1=" TEST_MAC, 28, MOD_EAUTH },
		{ "Jefe", "SHA256=" TEST_MAC, 28, MOD_EAUTH },
		{ "Jefe", "sha256=" TEST_MAC " ", 28, MOD_EAUTH },
		{ "Jefe", "sha256=" TEST_MAC "00", 28, MOD_EAUTH },
		{ "Jefe",
		    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d273983"
		    "9dec58b964ec384",
		    28, MOD_EAUTH },
		{ "Jefe",
		    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d273983"
		    "9dec58b964ec384g",
		    28, MOD_EAUTH },
		{ "Jefe",
		    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d273983"
		    "9dec58b964ec3844",
		    28, MOD_EAUTH },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http_webhook_verify(
		        cases[i].secret, cases[i].header, body, cases[i].len)
		    != cases[i].want)
			fail_msg("case %zu", i);
}

static void
test_webhook_stored(void **state)
{
	char            *ev = harness_pipe_event("2001", "buy now please");
	char            *ham = harness_pipe_event("2002", "nice garden");
	struct test_resp r;

	(void) state;
	test_hook(TEST_SECRET, ev, strlen(ev), &r);
	test_expect(&r, 200, "{\"ok\":true,\"status\":\"stored\"}");
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 1);
	test_hook(TEST_SECRET, ev, strlen(ev), &r);
	test_expect(&r, 200, "{\"ok\":true,\"status\":\"duplicate\"}");
	test_hook(TEST_SECRET, ham, strlen(ham), &r);
	test_expect(&r, 200, "{\"ok\":true,\"status\":\"no_action\"}");
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 1);
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.dups), 1);
	assert_true(
	    test_metric("moderd_events_in_total{source=\"webhook\"}") == 3);
	free(ev);
	free(ham);
}

/* 200 comes only once the store stage has committed. */
static void
test_webhook_waits_for_store(void **state)
{
	char            *ev = harness_pipe_event("2003", "buy now");
	char             sig[128];
	struct pollfd    pfd;
	struct test_resp r;

	(void) state;
	harness_pipe_shut(&test_hp, true);
	test_sign(TEST_SECRET, ev, strlen(ev), sig, sizeof(sig));
	pfd.fd
	    = test_begin("POST", TEST_HOOK, sig, strlen(ev), ev, strlen(ev));
	pfd.events = POLLIN;
	assert_true(harness_pipe_wait(&test_hp, &test_hp.waiting, 1, 5000));
	assert_int_equal(poll(&pfd, 1, 300), 0); /* no answer yet */
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 0);
	harness_pipe_shut(&test_hp, false);
	test_read(pfd.fd, &r);
	close(pfd.fd);
	test_expect(&r, 200, "{\"ok\":true,\"status\":\"stored\"}");
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 1);
	free(ev);
}

static void
test_webhook_bad_signature(void **state)
{
	static const char want[] = "{\"error\":\"unauthorized\",\"message\":"
	                           "\"missing or bad X-Hub-Signature\"}";
	char             *ev = harness_pipe_event("2004", "buy now");
	char              sig[128];
	struct test_resp  r;

	(void) state;
	test_hook("wrong", ev, strlen(ev), &r);
	test_expect(&r, 401, want);
	test_request("POST", TEST_HOOK, NULL, ev, strlen(ev), &r);
	test_expect(&r, 401, want);
	/* signed, then one byte of the body changed */
	test_sign(TEST_SECRET, ev, strlen(ev), sig, sizeof(sig));
	ev[strlen(ev) - 2] = ' ';
	test_request("POST", TEST_HOOK, sig, ev, strlen(ev), &r);
	test_expect(&r, 401, want);
	assert_true(test_metric("moderd_events_rejected_total{reason="
	                        "\"bad_signature\"}")
	    == 3);
	/* never reached the pipeline */
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 0);
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.rejected), 0);
	free(ev);
}

/*
 * The running configuration (conf_install) decides the secret per
 * request; an empty one refuses every webhook.
 */
static void
test_webhook_secret_reload(void **state)
{
	static const char want[] = "{\"error\":\"unauthorized\",\"message\":"
	                           "\"missing or bad X-Hub-Signature\"}";
	static const char empty[] = "webhook_secret \"\"\n";
	static const char other[] = "webhook_secret \"other\"\n";
	char             *ev = harness_pipe_event("2005", "buy now");
	struct conf      *c = NULL;
	struct test_resp  r;

	(void) state;
	assert_int_equal(
	    conf_load_buffer("e.conf", empty, strlen(empty), &c, NULL), 0);
	conf_install(c);
	test_hook(TEST_SECRET, ev, strlen(ev), &r);
	test_expect(&r, 401, want);
	test_hook("", ev, strlen(ev), &r);
	test_expect(&r, 401, want);
	assert_int_equal(
	    conf_load_buffer("o.conf", other, strlen(other), &c, NULL), 0);
	conf_install(c);
	test_hook(TEST_SECRET, ev, strlen(ev), &r);
	test_expect(&r, 401, want);
	test_hook("other", ev, strlen(ev), &r);
	test_expect(&r, 200, "{\"ok\":true,\"status\":\"stored\"}");
	conf_install(NULL); /* back to the secret given at start */
	test_hook("other", ev, strlen(ev), &r);
	test_expect(&r, 401, want);
	free(ev);
}

static void
test_webhook_too_large(void **state)
{
	static const char want[] = "{\"error\":\"too_large\",\"message\":"
	                           "\"request body over 4096 bytes\"}";
	char             *big = xcalloc(1, 4097 + 1);
	char              sig[128];
	struct test_resp  r;
	int               fd;

	(void) state;
	/* 2 MB announced: refused before a byte of it is read */
	fd = test_begin("POST", TEST_HOOK, NULL, 2 * 1024 * 1024, NULL, 0);
	test_read(fd, &r);
	close(fd);
	test_expect(&r, 413, want);
	assert_true(test_has_header(&r, "Connection: close"));
	/* one byte over the cap, sent in full */
	memset(big, 'x', 4097);
	test_hook(TEST_SECRET, big, 4097, &r);
	test_expect(&r, 413, want);
	/* exactly at the cap: accepted, then rejected as an event */
	test_sign(TEST_SECRET, big, 4096, sig, sizeof(sig));
	test_request("POST", TEST_HOOK, sig, big, 4096, &r);
	assert_int_equal(r.status, 400);
	assert_true(test_metric("moderd_events_rejected_total{reason="
	                        "\"too_large\"}")
	    == 2);
	assert_true(
	    test_metric("moderd_events_in_total{source=\"webhook\"}") == 3);
	free(big);
}

static void
test_webhook_invalid_event(void **state)
{
	static const char bad[] = "{\"event\":\"status.created\",\"obj";
	static const char prefix[]
	    = "{\"error\":\"invalid_event\",\"message\":\"";
	struct test_resp r;

	(void) state;
	test_hook(TEST_SECRET, bad, strlen(bad), &r);
	assert_int_equal(r.status, 400);
	assert_true(strncmp(r.body, prefix, strlen(prefix)) == 0);
	assert_true(test_has_header(&r, "Content-Type: application/json"));
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.rejected), 1);
}

static void
test_webhook_store_fails(void **state)
{
	char            *ev = harness_pipe_event("2006", "buy now");
	struct test_resp r;

	(void) state;
	harness_pipe_fail(&test_hp, true);
	test_hook(TEST_SECRET, ev, strlen(ev), &r);
	harness_pipe_fail(&test_hp, false);
	test_expect(&r, 503,
	    "{\"error\":\"unavailable\",\"message\":\"database unavailable, "
	    "retry later\"}");
	/* Mastodon retries: a later delivery is stored, once the writer's
	 * reconnect delay has passed (it may still fail fast until then). */
	for (int i = 0; i < 50; i++) {
		test_hook(TEST_SECRET, ev, strlen(ev), &r);
		if (r.status != 503)
			break;
		usleep(100 * 1000);
	}
	test_expect(&r, 200, "{\"ok\":true,\"status\":\"stored\"}");
	free(ev);
}

static void
test_expect_continue(void **state)
{
	char            *ev = harness_pipe_event("2007", "buy now");
	char             extra[256], got[64] = { 0 };
	struct test_resp r;
	int              fd;
	ssize_t          n;

	(void) state;
	test_sign(TEST_SECRET, ev, strlen(ev), extra, sizeof(extra));
	strcat(extra, "Expect: 100-continue\r\n");
	fd = test_begin("POST", TEST_HOOK, extra, strlen(ev), NULL, 0);
	n = recv(
	    fd, got, strlen("HTTP/1.1 100 Continue\r\n\r\n"), MSG_WAITALL);
	assert_true(n > 0);
	assert_string_equal(got, "HTTP/1.1 100 Continue\r\n\r\n");
	test_send(fd, ev, strlen(ev));
	test_read(fd, &r);
	close(fd);
	test_expect(&r, 200, "{\"ok\":true,\"status\":\"stored\"}");
	free(ev);
}

static void
test_routing_errors(void **state)
{
	struct test_resp r;
	int              fd;

	(void) state;
	test_request("GET", TEST_HOOK, NULL, NULL, 0, &r);
	test_expect(&r, 405,
	    "{\"error\":\"method_not_allowed\",\"message\":\"GET is not "
	    "allowed here (allowed: POST)\"}");
	assert_true(test_has_header(&r, "Allow: POST"));
	test_request("POST", "/metrics", NULL, "x", 1, &r);
	test_expect(&r, 405,
	    "{\"error\":\"method_not_allowed\",\"message\":\"POST is not "
	    "allowed here (allowed: GET)\"}");
	test_request("GET", "/nope?x=1", NULL, NULL, 0, &r);
	test_expect(&r, 404,
	    "{\"error\":\"not_found\",\"message\":\"no such path: /nope\"}");
	test_request("GET", "/metrics/", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 404);
	test_request("GET", "/v1/items/", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 404);
	/* chunked bodies are refused */
	fd = test_connect(test_port);
	test_send(fd,
	    "POST " TEST_HOOK " HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    strlen("POST " TEST_HOOK " HTTP/1.1\r\nHost: x\r\n"
	           "Transfer-Encoding: chunked\r\n\r\n"));
	test_read(fd, &r);
	close(fd);
	test_expect(&r, 411,
	    "{\"error\":\"length_required\",\"message\":\"a request body "
	    "needs Content-Length\"}");
}

static void
test_metrics_page(void **state)
{
	char            *ev = harness_pipe_event("2008", "buy now");
	struct test_resp r;

	(void) state;
	test_hook("wrong", ev, strlen(ev), &r);
	test_request("GET", "/metrics", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_true(
	    test_has_header(&r, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(
	    strstr(r.body, "# TYPE moderd_events_rejected_total counter\n"));
	assert_non_null(strstr(r.body,
	    "\nmoderd_events_rejected_total{reason=\"bad_signature\"} 1\n"));
	assert_non_null(strstr(
	    r.body, "\nmoderd_events_in_total{source=\"webhook\"} 1\n"));
	free(ev);
}

static void
test_healthz(void **state)
{
	struct test_resp r;

	(void) state;
	test_health_rc = 0;
	test_request("GET", "/healthz", NULL, NULL, 0, &r);
	test_expect(&r, 200, "{\"ok\":true}");
	test_health_rc = MOD_EDB;
	test_request("GET", "/healthz?probe=1", NULL, NULL, 0, &r);
	test_expect(&r, 503,
	    "{\"ok\":false,\"error\":\"unavailable\",\"message\":\"database "
	    "unreachable\"}");
	test_health_rc = 0;
	test_request("HEAD", "/healthz", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
}

static void
test_extra_routes(void **state)
{
	struct test_resp r;

	(void) state;
	test_request("GET", "/v1/items/42", NULL, NULL, 0, &r);
	test_expect(&r, 200, "{\"id\":\"42\",\"note\":\"\",\"arg\":7}");
	test_request("GET", "/v1/items/42/notes/9", NULL, NULL, 0, &r);
	test_expect(&r, 200, "{\"id\":\"42\",\"note\":\"9\",\"arg\":7}");
	test_request("PUT", "/v1/echo", NULL, "hello", 5, &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "hello");
	assert_true(test_has_header(&r, "Content-Type: text/plain"));
	test_request("DELETE", "/v1/items/42", NULL, NULL, 0, &r);
	test_expect(&r, 405,
	    "{\"error\":\"method_not_allowed\",\"message\":\"DELETE is not "
	    "allowed here (allowed: GET)\"}");
}

/* Two requests on one connection: the body read leaves it usable. */
static void
test_keep_alive(void **state)
{
	static const char req[] = "PUT /v1/echo HTTP/1.1\r\nHost: x\r\n"
	                          "Content-Length: 3\r\n\r\nabc"
	                          "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	                          "Connection: close\r\n\r\n";
	struct test_resp  r;
	int               fd = test_connect(test_port);

	(void) state;
	test_health_rc = 0;
	test_send(fd, req, strlen(req));
	test_read(fd, &r);
	close(fd);
	assert_int_equal(r.status, 201);
	assert_non_null(strstr(r.body, "abc"));
	assert_non_null(strstr(r.body, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r.body, "{\"ok\":true}"));
}

struct test_stopper {
	struct http *srv;
	bool         done;
};

static void *
test_stop_thread(void *arg)
{
	struct test_stopper *s = arg;

	http_stop(s->srv);
	__atomic_store_n(&s->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * http_stop closes the connections at once, but waits for the webhook in
 * flight: the pipeline still stores it and calls back into the server,
 * which must still be there.  The sender saw its connection drop and
 * will retry (a duplicate, then).
 */
static void
test_stop_waits(void **state)
{
	char               *ev = harness_pipe_event("2009", "buy now");
	struct test_stopper s = { 0 };
	char                sig[128], buf[64];
	pthread_t           t;
	int                 fd, saved = test_port;

	(void) state;
	assert_int_equal(test_start_server(&s.srv), 0);
	assert_int_equal(http_port(s.srv, &test_port), 0);
	harness_pipe_shut(&test_hp, true);
	test_sign(TEST_SECRET, ev, strlen(ev), sig, sizeof(sig));
	fd = test_begin("POST", TEST_HOOK, sig, strlen(ev), ev, strlen(ev));
	test_port = saved;
	free(ev);
	assert_true(harness_pipe_wait(&test_hp, &test_hp.waiting, 1, 5000));
	assert_int_equal(pthread_create(&t, NULL, test_stop_thread, &s), 0);
	/* the connection is closed at once, without an answer */
	assert_true(recv(fd, buf, sizeof(buf), 0) <= 0);
	close(fd);
	usleep(200 * 1000);
	assert_false(__atomic_load_n(&s.done, __ATOMIC_SEQ_CST));
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 0);
	harness_pipe_shut(&test_hp, false);
	pthread_join(t, NULL);
	assert_true(__atomic_load_n(&s.done, __ATOMIC_SEQ_CST));
	assert_int_equal(harness_pipe_count(&test_hp, &test_hp.stored), 1);
}

static void
test_bad_listen(void **state)
{
	static const char src[] = "http_listen \"ftp://127.0.0.1:1\"\n";
	struct http_init  init = { 0 };
	struct conf      *c = NULL;
	struct http      *h = (struct http *) &init;

	(void) state;
	assert_int_equal(
	    conf_load_buffer("b.conf", src, strlen(src), &c, NULL), 0);
	assert_int_not_equal(http_start(c, &init, &h), 0);
	assert_null(h);
	conf_free(c);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_table),
		T(test_webhook_stored),
		T(test_webhook_waits_for_store),
		T(test_webhook_bad_signature),
		T(test_webhook_secret_reload),
		T(test_webhook_too_large),
		T(test_webhook_invalid_event),
		T(test_webhook_store_fails),
		T(test_expect_continue),
		T(test_routing_errors),
		T(test_metrics_page),
		T(test_healthz),
		T(test_extra_routes),
		T(test_keep_alive),
		T(test_stop_waits),
		cmocka_unit_test(test_bad_listen),
	};
	int rv;

	if (sodium_init() < 0)
		return 1;
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();
	return rv;
}
