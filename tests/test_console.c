/*
 * test_console.c - the embedded console: every file of moderd/console/ is
 * in the binary byte for byte, content types by extension, the files'
 * own safety rules (no remote URLs, no innerHTML, no inline script or
 * style), and serving over the real HTTP server on 127.0.0.1 (libcurl as
 * the client): GET /, GET /console/NAME, 404s, HEAD, and the security
 * headers on each answer.  Reads the sources from MODERD_SRCDIR (".").
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "bounds.h"
#include "conf.h"
#include "console.h"
#include "http.h"
#include "util.h"

#define TEST_MAX_RESP_BYTES (1024 * 1024)
#define TEST_CSP                                                              \
	"default-src 'none'; script-src 'self'; style-src 'self'; "           \
	"img-src 'self'; connect-src 'self'; base-uri 'none'; "               \
	"form-action 'none'; frame-ancestors 'none'"

struct test_resp {
	long   status;
	char  *head;
	size_t head_len;
	char  *body;
	size_t body_len;
};

static const char *
test_srcdir(void)
{
	const char *d = getenv("MODERD_SRCDIR");

	return d != NULL ? d : ".";
}

/* Read moderd/console/name from the source tree (caller frees). */
static char *
test_source(const char *name, size_t *len)
{
	char           path[1024];
	char          *data = NULL;
	struct mod_err err = { 0 };

	snprintf(
	    path, sizeof(path), "%s/moderd/console/%s", test_srcdir(), name);
	if (mod_read_file(path, MOD_MAX_CONSOLE_FILE_BYTES, &data, len, &err)
	    != 0)
		fail_msg("%s: %s", path, err.msg);
	return data;
}

/* Every file on disk is embedded with the same bytes, and no other. */
static void
test_embedded_match_sources(void **state)
{
	DIR           *d;
	struct dirent *e;
	char           path[1024];
	size_t         n = 0, len;
	char          *src;

	(void) state;
	snprintf(path, sizeof(path), "%s/moderd/console", test_srcdir());
	assert_non_null(d = opendir(path));
	while ((e = readdir(d)) != NULL) {
		const struct console_file *f;

		if (e->d_name[0] == '.')
			continue;
		n++;
		f = console_find(e->d_name);
		if (f == NULL)
			fail_msg("%s is not embedded", e->d_name);
		src = test_source(e->d_name, &len);
		assert_int_equal(f->len, len);
		assert_memory_equal(f->data, src, len);
		assert_int_equal(f->data[f->len], '\0');
		free(src);
	}
	closedir(d);
	assert_true(n >= 4);
	assert_non_null(console_find("index.html"));
	assert_non_null(console_find("app.js"));
	assert_null(console_find("nope.js"));
	assert_null(console_find(""));
	assert_null(console_find("../index.html"));
}

static void
test_content_types(void **state)
{
	static const struct {
		const char *name, *type;
	} cases[] = {
		{ "index.html", "text/html; charset=utf-8" },
		{ "app.js", "text/javascript; charset=utf-8" },
		{ "x.mjs", "text/javascript; charset=utf-8" },
		{ "style.css", "text/css; charset=utf-8" },
		{ "logo.svg", "image/svg+xml" },
		{ "a.png", "image/png" },
		{ "favicon.ico", "image/x-icon" },
		{ "notes.txt", "text/plain; charset=utf-8" },
		{ "js", "application/octet-stream" },
		{ ".js", "application/octet-stream" },
		{ "app.js.map", "application/octet-stream" },
		{ "README", "application/octet-stream" },
	};
	size_t i;

	(void) state;
	for (i = 0; i < nitems(cases); i++)
		assert_string_equal(
		    console_content_type(cases[i].name), cases[i].type);
}

/* Is needle in the embedded file f? */
static bool
test_contains(const struct console_file *f, const char *needle)
{
	return strstr((const char *) f->data, needle) != NULL;
}

static bool
test_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The script tag every <script> in the HTML must start with. */
#define TEST_SCRIPT_TAG "<script type=\"module\" src=\"/console/"

/* What the CSP would block anyway, kept out of the files themselves. */
static void
test_files_are_self_contained(void **state)
{
	static const char *const names[]
	    = { "index.html", "app.js", "api.js", "dom.js", "queue.js",
		      "changesets.js", "audit.js", "stats.js", "style.css" };
	static const char *const   html_from_strings[] = { "innerHTML",
		  "outerHTML", "insertAdjacentHTML", "document.write", "eval(" };
	const struct console_file *f;
	const char                *p;
	size_t                     i, j;

	(void) state;
	for (i = 0; i < nitems(names); i++) {
		assert_non_null(f = console_find(names[i]));
		if (test_contains(f, "http://")
		    || test_contains(f, "https://"))
			fail_msg("%s refers to a remote URL", f->name);
		for (j = 0; j < nitems(html_from_strings); j++)
			if (test_contains(f, html_from_strings[j]))
				fail_msg("%s uses %s", f->name,
				    html_from_strings[j]);
		if (!test_ends(f->name, ".html"))
			continue;
		assert_false(test_contains(f, " style="));
		assert_false(test_contains(f, " onclick="));
		for (p = strstr((const char *) f->data, "<script"); p != NULL;
		     p = strstr(p + 1, "<script"))
			assert_int_equal(strncmp(p, TEST_SCRIPT_TAG,
			                     strlen(TEST_SCRIPT_TAG)),
			    0);
	}
}

/* ---- served over HTTP ------------------------------------------------ */

struct test_buf {
	char  *data;
	size_t len;
};

static size_t
test_collect(char *p, size_t size, size_t n, void *arg)
{
	struct test_buf *b = arg;

	if (b->len + size * n > TEST_MAX_RESP_BYTES)
		return 0;
	b->data = xreallocarray(b->data, b->len + size * n + 1, 1);
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

static void
test_get(int port, const char *method, const char *path, struct test_resp *r)
{
	struct test_buf head = { NULL, 0 }, body = { NULL, 0 };
	char            url[256];
	CURL           *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, test_collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, test_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	r->head = head.data != NULL ? head.data : xstrdup("");
	r->head_len = head.len;
	r->body = body.data != NULL ? body.data : xstrdup("");
	r->body_len = body.len;
}

static void
test_resp_free(struct test_resp *r)
{
	free(r->head);
	free(r->body);
}

/* Does the response have the header line "name: value" exactly? */
static bool
test_header(const struct test_resp *r, const char *name, const char *value)
{
	char line[512];

	snprintf(line, sizeof(line), "\r\n%s: %s\r\n", name, value);
	return strstr(r->head, line) != NULL;
}

struct test_srv {
	struct conf *conf;
	struct http *http;
	int          port;
};

static int
test_srv_setup(void **state)
{
	static const char  src[] = "http_listen \"http://127.0.0.1:0\"\n";
	struct test_srv   *s = xcalloc(1, sizeof(*s));
	struct mod_errlist errs = { 0 };
	struct http_init   init = { 0 };

	if (conf_load_buffer("test", src, strlen(src), &s->conf, &errs) != 0)
		return -1;
	init.static_routes = console_routes;
	init.nstatic_routes = console_nroutes;
	if (http_start(s->conf, &init, &s->http) != 0
	    || http_port(s->http, &s->port) != 0)
		return -1;
	*state = s;
	return 0;
}

static int
test_srv_teardown(void **state)
{
	struct test_srv *s = *state;

	http_stop(s->http);
	conf_free(s->conf);
	free(s);
	return 0;
}

static void
test_serve_security_headers(const struct test_resp *r)
{
	assert_true(test_header(r, "Content-Security-Policy", TEST_CSP));
	assert_true(test_header(r, "X-Content-Type-Options", "nosniff"));
	assert_true(test_header(r, "Referrer-Policy", "no-referrer"));
}

static void
test_serve_files(void **state)
{
	static const struct {
		const char *path, *file, *type;
	} cases[] = {
		{ "/", "index.html", "text/html; charset=utf-8" },
		{ "/console/index.html", "index.html",
		    "text/html; charset=utf-8" },
		{ "/console/app.js", "app.js",
		    "text/javascript; charset=utf-8" },
		{ "/console/style.css", "style.css",
		    "text/css; charset=utf-8" },
	};
	struct test_srv           *s = *state;
	struct test_resp           r;
	const struct console_file *f;
	size_t                     i;

	for (i = 0; i < nitems(cases); i++) {
		test_get(s->port, "GET", cases[i].path, &r);
		assert_int_equal(r.status, 200);
		assert_true(test_header(&r, "Content-Type", cases[i].type));
		test_serve_security_headers(&r);
		f = console_find(cases[i].file);
		assert_int_equal(r.body_len, f->len);
		assert_memory_equal(r.body, f->data, f->len);
		test_resp_free(&r);
	}
}

static void
test_serve_refusals(void **state)
{
	static const struct {
		const char *method, *path;
		long        status;
	} cases[] = {
		{ "GET", "/console/nope.js", 404 },
		{ "GET", "/console/", 404 },
		{ "GET", "/console", 404 },
		{ "GET", "/console/../moderd.conf", 404 },
		{ "GET", "/console/a/app.js", 404 },
		{ "GET", "/index.html", 404 },
		{ "POST", "/", 405 },
		{ "DELETE", "/console/app.js", 405 },
	};
	struct test_srv *s = *state;
	struct test_resp r;
	size_t           i;

	for (i = 0; i < nitems(cases); i++) {
		test_get(s->port, cases[i].method, cases[i].path, &r);
		if (r.status != cases[i].status)
			fail_msg("%s %s: %ld, want %ld", cases[i].method,
			    cases[i].path, r.status, cases[i].status);
		assert_true(
		    test_header(&r, "Content-Type", "application/json"));
		test_resp_free(&r);
	}
}

static void
test_serve_head(void **state)
{
	struct test_srv *s = *state;
	struct test_resp r;

	test_get(s->port, "HEAD", "/", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	test_serve_security_headers(&r);
	test_resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_match_sources),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_files_are_self_contained),
		cmocka_unit_test_setup_teardown(
		    test_serve_files, test_srv_setup, test_srv_teardown),
		cmocka_unit_test_setup_teardown(
		    test_serve_refusals, test_srv_setup, test_srv_teardown),
		cmocka_unit_test_setup_teardown(
		    test_serve_head, test_srv_setup, test_srv_teardown),
	};
	int rv;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rv;
}
