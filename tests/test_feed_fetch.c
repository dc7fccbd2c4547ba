/*
 * test_feed_fetch.c - feed_fetch() against tests/harness_http on
 * 127.0.0.1: a 200 with validators then a conditional re-fetch answered
 * 304 (the exact If-None-Match and If-Modified-Since the server saw),
 * the content-hash shortcut, redirects followed, loops and chains that
 * are too long refused, refused schemes (file://, http to a non-loopback
 * host, ftp:// in a Location), a slow server hitting the deadline, bodies
 * over the cap (streamed forever or declared), the auth header sent to
 * its origin only, pinned-key signatures (good, bad, missing, malformed)
 * and unsigned feeds without a key, HTTP errors, and local path feeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "feeds.h"
#include "harness_http.h"
#include "util.h"

#define DOC "#domain,#severity\nbad.example,suspend\n"
#define DOC2 "#domain,#severity\nworse.example,silence\n"
#define ETAG "\"v1-abc\""
#define LASTMOD "Wed, 21 Oct 2015 07:28:00 GMT"
#define BIG_CAP 100000
#define SLOW_TIMEOUT_MS 400

/* The server's script: shared read-only with the handler thread. */
struct srv {
	struct harness_http *h;
	char                 base[128]; /* http://127.0.0.1:PORT */
	char                 pub[FEED_PUBKEY_B64_BYTES];
	char                 sig[FEED_SIG_B64_BYTES + 1]; /* of DOC, "\n" */
	char                 badsig[FEED_SIG_B64_BYTES + 1]; /* of DOC2 */
};

static struct srv S;

static void
send_doc(struct harness_http_conn *c, const char *hdrs, const char *body)
{
	(void) harness_http_send_response(c, 200, hdrs, body, strlen(body));
}

static void
send_redirect(struct harness_http_conn *c, int status, const char *to)
{
	char hdr[512];

	snprintf(hdr, sizeof(hdr), "Location: %s\r\n", to);
	(void) harness_http_send_response(c, status, hdr, "", 0);
}

/* /feed.csv: validators, and 304 when the client sends them back. */
static void
h_feed(struct harness_http_conn *c, const struct harness_http_req *r)
{
	const char *inm = harness_http_req_header(r, "If-None-Match");

	if (inm != NULL && strcmp(inm, ETAG) == 0) {
		(void) harness_http_send_response(c, 304, NULL, "", 0);
		return;
	}
	send_doc(c, "ETag: " ETAG "\r\nLast-Modified: " LASTMOD "\r\n", DOC);
}

/* Streams 64 KiB blocks until the client goes away or the server stops. */
static void
h_endless(struct harness_http_conn *c)
{
	static char block[65536];

	memset(block, 'a', sizeof(block));
	if (harness_http_send_status(c, 200, NULL) != 0)
		return;
	while (harness_http_send_chunk(c, block, sizeof(block)) == 0)
		;
}

static void
h_slow(struct harness_http_conn *c)
{
	if (harness_http_send_status(c, 200, NULL) != 0)
		return;
	(void) harness_http_send_str(c, "#domain,#severity\n");
	(void) harness_http_sleep(c, 10000);
}

static void
h_declared_big(struct harness_http_conn *c)
{
	(void) harness_http_send_status(
	    c, 200, "Content-Length: 50000000\r\n");
	(void) harness_http_hold(c);
}

static bool
route_redirects(struct harness_http_conn *c, const char *t)
{
	char to[256];
	int  n;

	if (strcmp(t, "/r1") == 0)
		send_redirect(c, 302, "/r2");
	else if (strcmp(t, "/r2") == 0)
		send_redirect(c, 301, "/feed.csv");
	else if (strcmp(t, "/loop-a") == 0)
		send_redirect(c, 302, "/loop-b");
	else if (strcmp(t, "/loop-b") == 0)
		send_redirect(c, 307, "/loop-a");
	else if (sscanf(t, "/chain/%d", &n) == 1) {
		snprintf(to, sizeof(to), "/chain/%d", n + 1);
		send_redirect(c, 302, to);
	} else if (strcmp(t, "/to-file") == 0)
		send_redirect(c, 302, "file:///etc/passwd");
	else if (strcmp(t, "/to-ftp") == 0)
		send_redirect(c, 302, "ftp://127.0.0.1/feed.csv");
	else if (strcmp(t, "/to-plain") == 0)
		send_redirect(c, 302, "http://example.com/feed.csv");
	else if (strcmp(t, "/auth-away") == 0) {
		snprintf(to, sizeof(to), "http://localhost:%d/auth",
		    harness_http_port(S.h));
		send_redirect(c, 302, to);
	} else
		return false;
	return true;
}

static bool
route_signed(struct harness_http_conn *c, const char *t)
{
	if (strcmp(t, "/signed.csv") == 0 || strcmp(t, "/badsig.csv") == 0
	    || strcmp(t, "/nosig.csv") == 0 || strcmp(t, "/other.csv") == 0)
		send_doc(c, NULL, DOC);
	else if (strcmp(t, "/signed.csv.sig") == 0
	    || strcmp(t, "/elsewhere.sig") == 0)
		send_doc(c, NULL, S.sig);
	else if (strcmp(t, "/badsig.csv.sig") == 0)
		send_doc(c, NULL, S.badsig);
	else if (strcmp(t, "/other.csv.sig") == 0)
		send_doc(c, NULL, "not base64 at all\n");
	else
		return false;
	return true;
}

static void
handler(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	const char *t = r->target;

	(void) arg;
	if (strcmp(t, "/feed.csv") == 0 || strcmp(t, "/auth") == 0)
		h_feed(c, r);
	else if (strcmp(t, "/plain304") == 0)
		(void) harness_http_send_response(c, 304, NULL, "", 0);
	else if (strcmp(t, "/endless") == 0)
		h_endless(c);
	else if (strcmp(t, "/slow") == 0)
		h_slow(c);
	else if (strcmp(t, "/declared-big") == 0)
		h_declared_big(c);
	else if (strcmp(t, "/future") == 0)
		send_doc(c, "Last-Modified: Fri, 01 Jan 2100 00:00:00 GMT\r\n",
		    DOC);
	else if (strcmp(t, "/gone") == 0)
		(void) harness_http_send_response(c, 410, NULL, "", 0);
	else if (strcmp(t, "/broken") == 0)
		(void) harness_http_send_response(c, 503, NULL, "", 0);
	else if (!route_redirects(c, t) && !route_signed(c, t))
		(void) harness_http_send_response(c, 404, NULL, "", 0);
}

static int
setup(void **state)
{
	char sec[FEED_SECKEY_B64_BYTES];

	(void) state;
	memset(&S, 0, sizeof(S));
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	if (feed_keygen(S.pub, sec) != 0
	    || feed_sign(DOC, strlen(DOC), sec, S.sig) != 0
	    || feed_sign(DOC2, strlen(DOC2), sec, S.badsig) != 0)
		return -1;
	strcat(S.sig, "\n");
	strcat(S.badsig, "\n");
	if (harness_http_start(&S.h, handler, NULL) != 0)
		return -1;
	harness_http_url(S.h, "", S.base, sizeof(S.base));
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	harness_http_stop(S.h);
	return 0;
}

/* ---- helpers ---- */

static const char *
url_of(const char *path)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s%s", S.base, path);
	return buf;
}

/* Fetch with o (its url set from path if given); returns the code. */
static int
fetch(struct feed_fetch_opts *o, const char *path, struct feed_fetch_result *r)
{
	char url[256];
	int  rv;

	if (path != NULL) {
		snprintf(url, sizeof(url), "%s%s", S.base, path);
		o->url = url;
	}
	if (o->timeout_ms == 0)
		o->timeout_ms = 5000;
	rv = feed_fetch(o, r);
	assert_int_equal(rv, r->err.code);
	if (rv != 0) {
		assert_int_equal(r->status, FEED_FETCH_ERROR);
		assert_null(r->body);
		assert_true(r->err.msg[0] != '\0');
	}
	o->url = NULL;
	return rv;
}

/* The last request the server got, copied into *out. */
static void
last_request(struct harness_http_req *out)
{
	unsigned n = harness_http_requests(S.h);

	assert_true(n > 0);
	assert_int_equal(harness_http_request(S.h, n - 1, out), 0);
}

static void
assert_contains(const char *s, const char *part)
{
	if (strstr(s, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* ---- tests ---- */

static void
test_conditional(void **state)
{
	static const struct harness_http_expect want = {
		.method = "GET",
		.target = "/feed.csv",
		.headers
		= { "If-None-Match: " ETAG, "If-Modified-Since: " LASTMOD,
		    "User-Agent: moderd/" MODERD_VERSION },
	};
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r, r2;
	struct harness_http_req  req;
	char                     why[256], sha[65];

	(void) state;
	assert_int_equal(fetch(&o, "/feed.csv", &r), 0);
	assert_int_equal(r.status, FEED_FETCH_UPDATED);
	assert_int_equal(r.len, strlen(DOC));
	assert_memory_equal(r.body, DOC, r.len);
	assert_string_equal(r.etag, ETAG);
	assert_string_equal(r.last_modified, LASTMOD);
	assert_int_equal(r.http_status, 200);
	assert_string_equal(r.final_url, url_of("/feed.csv"));
	assert_false(r.verified);
	feed_digest(DOC, sha); /* the same SHA-256 over the bytes */
	assert_string_equal(r.sha256, sha);
	last_request(&req);
	assert_null(harness_http_req_header(&req, "If-None-Match"));
	assert_null(harness_http_req_header(&req, "If-Modified-Since"));
	harness_http_req_free(&req);

	o.etag = r.etag;
	o.last_modified = r.last_modified;
	assert_int_equal(fetch(&o, "/feed.csv", &r2), 0);
	assert_int_equal(r2.status, FEED_FETCH_NOT_MODIFIED);
	assert_int_equal(r2.http_status, 304);
	assert_null(r2.body);
	assert_null(r2.etag);
	last_request(&req);
	if (harness_http_req_check(&req, &want, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	harness_http_req_free(&req);
	feed_fetch_result_free(&r2);
	feed_fetch_result_free(&r);
}

/* An unchanged body (same hash) is NOT_MODIFIED even after a 200. */
static void
test_same_hash(void **state)
{
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;
	char                     sha[65];

	(void) state;
	feed_digest(DOC, sha);
	o.prev_sha256 = sha;
	assert_int_equal(fetch(&o, "/feed.csv", &r), 0);
	assert_int_equal(r.status, FEED_FETCH_NOT_MODIFIED);
	assert_null(r.body);
	assert_string_equal(r.sha256, sha);
	assert_string_equal(r.etag, ETAG); /* to store for next time */
	feed_fetch_result_free(&r);
	o.prev_sha256 = "00";
	assert_int_equal(fetch(&o, "/feed.csv", &r), 0);
	assert_int_equal(r.status, FEED_FETCH_UPDATED);
	feed_fetch_result_free(&r);
}

static void
test_304_unconditional(void **state)
{
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;

	(void) state;
	assert_int_equal(fetch(&o, "/plain304", &r), MOD_EINVAL);
	assert_contains(r.err.msg, "unconditional");
	feed_fetch_result_free(&r);
}

static void
test_future_last_modified(void **state)
{
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;

	(void) state;
	assert_int_equal(fetch(&o, "/future", &r), 0);
	assert_null(r.last_modified);
	assert_null(r.etag);
	feed_fetch_result_free(&r);
}

static void
test_redirects(void **state)
{
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;
	unsigned                 before = harness_http_requests(S.h);

	(void) state;
	assert_int_equal(fetch(&o, "/r1", &r), 0);
	assert_int_equal(r.status, FEED_FETCH_UPDATED);
	assert_memory_equal(r.body, DOC, r.len);
	assert_string_equal(r.final_url, url_of("/feed.csv"));
	assert_string_equal(r.etag, ETAG);
	assert_int_equal(harness_http_requests(S.h) - before, 3);
	feed_fetch_result_free(&r);
}

/* Redirects refused: table of path, code, part of the message. */
static void
test_redirects_refused(void **state)
{
	static const struct {
		const char *path;
		int         code;
		const char *msg;
	} cases[] = {
		{ "/loop-a", MOD_EINVAL, "redirect loop" },
		{ "/chain/0", MOD_EINVAL, "more than 5 redirects" },
		{ "/to-file", MOD_EINVAL, "scheme file refused" },
		{ "/to-ftp", MOD_EINVAL, "scheme ftp refused" },
		{ "/to-plain", MOD_EINVAL, "scheme http refused" },
	};
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;
	size_t                   i;
	unsigned                 before;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		before = harness_http_requests(S.h);
		assert_int_equal(fetch(&o, cases[i].path, &r), cases[i].code);
		assert_contains(r.err.msg, cases[i].msg);
		assert_contains(r.err.msg, cases[i].path);
		if (strcmp(cases[i].path, "/chain/0") == 0)
			assert_int_equal(harness_http_requests(S.h) - before,
			    MOD_FEED_FETCH_MAX_REDIRECTS_COUNT + 1);
		feed_fetch_result_free(&r);
	}
}

/* URLs refused before anything is sent. */
static void
test_bad_urls(void **state)
{
	static const struct {
		const char *url;
		const char *msg;
	} cases[] = {
		{ "file:///etc/passwd", "scheme file refused" },
		{ "http://example.com/x.csv", "scheme http refused" },
		{ "gopher://127.0.0.1/", "refused" },
		{ "https://user:pw@example.com/x.csv", "credentials" },
		{ "not a url", "malformed URL" },
	};
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;
	unsigned                 before = harness_http_requests(S.h);
	size_t                   i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		o.url = cases[i].url;
		assert_int_equal(fetch(&o, NULL, &r), MOD_EINVAL);
		assert_contains(r.err.msg, cases[i].msg);
		feed_fetch_result_free(&r);
	}
	assert_int_equal(harness_http_requests(S.h), before);
}

static void
test_bad_opts(void **state)
{
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;

	(void) state;
	assert_int_equal(fetch(&o, NULL, &r), MOD_EINVAL); /* neither */
	feed_fetch_result_free(&r);
	o.path = "/nonexistent";
	assert_int_equal(fetch(&o, "/feed.csv", &r), MOD_EINVAL); /* both */
	assert_contains(r.err.msg, "exactly one of url and path");
	feed_fetch_result_free(&r);
	o.path = NULL;
	o.auth_header = "Authorization: x\r\nX-Evil: 1";
	assert_int_equal(fetch(&o, "/feed.csv", &r), MOD_EINVAL);
	feed_fetch_result_free(&r);
}

static void
test_timeout(void **state)
{
	struct feed_fetch_opts   o = { .timeout_ms = SLOW_TIMEOUT_MS };
	struct feed_fetch_result r;
	int64_t                  t0 = mod_mono_ms(), took;

	(void) state;
	assert_int_equal(fetch(&o, "/slow", &r), MOD_ETIMEDOUT);
	took = mod_mono_ms() - t0;
	assert_true(took >= SLOW_TIMEOUT_MS - 50);
	assert_true(took < SLOW_TIMEOUT_MS + 2000);
	assert_contains(r.err.msg, "timed out");
	feed_fetch_result_free(&r);
}

static void
test_size_cap(void **state)
{
	struct feed_fetch_opts   o = { .max_bytes = BIG_CAP };
	struct feed_fetch_result r;
	int64_t                  t0 = mod_mono_ms();

	(void) state;
	/* The server would send forever: the cap stops it, not the clock. */
	assert_int_equal(fetch(&o, "/endless", &r), MOD_ETOOBIG);
	assert_contains(r.err.msg, "100000-byte cap");
	assert_true(mod_mono_ms() - t0 < 3000);
	feed_fetch_result_free(&r);
	assert_int_equal(fetch(&o, "/declared-big", &r), MOD_ETOOBIG);
	feed_fetch_result_free(&r);
}

static void
test_auth_header(void **state)
{
	struct feed_fetch_opts o
	    = { .auth_header = "Authorization: Bearer s3cret" };
	struct feed_fetch_result r;
	struct harness_http_req  req;
	const char              *v;

	(void) state;
	assert_int_equal(fetch(&o, "/auth", &r), 0);
	feed_fetch_result_free(&r);
	last_request(&req);
	assert_string_equal(req.target, "/auth");
	v = harness_http_req_header(&req, "Authorization");
	assert_non_null(v);
	assert_string_equal(v, "Bearer s3cret");
	harness_http_req_free(&req);

	/* Redirected to another origin (localhost, not 127.0.0.1): no
	 * credentials follow. */
	assert_int_equal(fetch(&o, "/auth-away", &r), 0);
	assert_int_equal(strncmp(r.final_url, "http://localhost:", 17), 0);
	feed_fetch_result_free(&r);
	last_request(&req);
	assert_string_equal(req.target, "/auth");
	assert_null(harness_http_req_header(&req, "Authorization"));
	harness_http_req_free(&req);

	/* No auth header configured: none sent. */
	o.auth_header = NULL;
	assert_int_equal(fetch(&o, "/auth", &r), 0);
	feed_fetch_result_free(&r);
	last_request(&req);
	assert_null(harness_http_req_header(&req, "Authorization"));
	harness_http_req_free(&req);
}

static void
test_signatures(void **state)
{
	static const struct {
		const char *path;
		const char *sig_url; /* path, or NULL for the default */
		int         code;
		const char *msg;
	} cases[] = {
		{ "/signed.csv", NULL, 0, NULL },
		{ "/nosig.csv", "/elsewhere.sig", 0, NULL },
		{ "/badsig.csv", NULL, MOD_EAUTH, "does not verify" },
		{ "/nosig.csv", NULL, MOD_EAUTH, "signature missing" },
		{ "/other.csv", NULL, MOD_EAUTH, "malformed signature" },
	};
	struct feed_fetch_opts   o = { .pubkey = S.pub };
	struct feed_fetch_result r;
	char                     sig_url[256];
	size_t                   i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		o.signature_url = NULL;
		if (cases[i].sig_url != NULL) {
			snprintf(sig_url, sizeof(sig_url), "%s%s", S.base,
			    cases[i].sig_url);
			o.signature_url = sig_url;
		}
		assert_int_equal(fetch(&o, cases[i].path, &r), cases[i].code);
		if (cases[i].code == 0) {
			assert_true(r.verified);
			assert_memory_equal(r.body, DOC, r.len);
		} else {
			assert_contains(r.err.msg, cases[i].msg);
			assert_contains(r.err.msg, cases[i].path);
		}
		feed_fetch_result_free(&r);
	}
	/* Without a pinned key a feed with no signature is fine. */
	o.pubkey = NULL;
	assert_int_equal(fetch(&o, "/nosig.csv", &r), 0);
	assert_false(r.verified);
	feed_fetch_result_free(&r);
}

static void
test_http_errors(void **state)
{
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;

	(void) state;
	assert_int_equal(fetch(&o, "/gone", &r), MOD_ENOENT);
	assert_int_equal(r.http_status, 410);
	assert_contains(r.err.msg, "HTTP 410");
	feed_fetch_result_free(&r);
	assert_int_equal(fetch(&o, "/nothing-here", &r), MOD_ENOENT);
	feed_fetch_result_free(&r);
	assert_int_equal(fetch(&o, "/broken", &r), MOD_EIO);
	assert_contains(r.err.msg, "HTTP 503");
	feed_fetch_result_free(&r);
}

/* A closed port: a network error, quickly. */
static void
test_connection_refused(void **state)
{
	struct feed_fetch_opts   o = { .url = "http://127.0.0.1:1/x.csv" };
	struct feed_fetch_result r;

	(void) state;
	assert_int_equal(fetch(&o, NULL, &r), MOD_EIO);
	assert_contains(r.err.msg, "127.0.0.1:1");
	feed_fetch_result_free(&r);
}

static void
write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_path(void **state)
{
	char                     dir[] = "/tmp/test_feed_fetch.XXXXXX";
	char                     path[128], sigpath[160], sha[65];
	struct feed_fetch_opts   o = { 0 };
	struct feed_fetch_result r;

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/list.csv", dir);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	write_file(path, DOC);
	o.path = path;
	assert_int_equal(fetch(&o, NULL, &r), 0);
	assert_int_equal(r.status, FEED_FETCH_UPDATED);
	assert_memory_equal(r.body, DOC, r.len);
	assert_int_equal(r.http_status, 0);
	feed_digest(DOC, sha);
	assert_string_equal(r.sha256, sha);
	feed_fetch_result_free(&r);

	o.prev_sha256 = sha;
	assert_int_equal(fetch(&o, NULL, &r), 0);
	assert_int_equal(r.status, FEED_FETCH_NOT_MODIFIED);
	feed_fetch_result_free(&r);
	o.prev_sha256 = NULL;

	o.max_bytes = 10; /* the same cap as over HTTP */
	assert_int_equal(fetch(&o, NULL, &r), MOD_ETOOBIG);
	feed_fetch_result_free(&r);
	o.max_bytes = 0;

	o.pubkey = S.pub; /* pinned: PATH.sig must exist and verify */
	assert_int_equal(fetch(&o, NULL, &r), MOD_EAUTH);
	assert_contains(r.err.msg, "signature missing");
	feed_fetch_result_free(&r);
	write_file(sigpath, S.badsig);
	assert_int_equal(fetch(&o, NULL, &r), MOD_EAUTH);
	feed_fetch_result_free(&r);
	write_file(sigpath, S.sig);
	assert_int_equal(fetch(&o, NULL, &r), 0);
	assert_true(r.verified);
	feed_fetch_result_free(&r);

	o.path = "/nonexistent/feed.csv";
	o.pubkey = NULL;
	assert_int_equal(fetch(&o, NULL, &r), MOD_ENOENT);
	feed_fetch_result_free(&r);
	assert_int_equal(unlink(sigpath), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_names(void **state)
{
	(void) state;
	assert_string_equal(
	    feed_fetch_status_name(FEED_FETCH_UPDATED), "updated");
	assert_string_equal(
	    feed_fetch_status_name(FEED_FETCH_NOT_MODIFIED), "not_modified");
	assert_string_equal(feed_fetch_status_name(FEED_FETCH_ERROR), "error");
	feed_fetch_result_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditional),
		cmocka_unit_test(test_same_hash),
		cmocka_unit_test(test_304_unconditional),
		cmocka_unit_test(test_future_last_modified),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_redirects_refused),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_auth_header),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
