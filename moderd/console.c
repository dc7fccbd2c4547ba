/*
 * console.c - serve the moderation console's static files.
 *
 * The files under moderd/console/ are compiled into the binary by
 * console_gen.c (build/gen/console_files.h), so an installed moderd needs
 * nothing on disk and the page can never disagree with the daemon that
 * serves it.  Two routes: GET / answers index.html, GET /console/{file}
 * any embedded file by its flat name; anything else is the server's JSON
 * 404.  Serving is a table lookup and a copy, so the routes run on nng's
 * callback thread (no HTTP_ROUTE_BLOCKING).
 *
 * Every answer carries a strict Content-Security-Policy: scripts, styles,
 * images and fetches only from this origin, no inline script or style, no
 * framing, no <base>, no form submission.  The console builds its DOM
 * with textContent only, so post content (hostile by assumption) is inert
 * even if a bug let it near the page; the policy is the second wall.
 * nosniff keeps browsers from reading a file as another type, and
 * no-cache makes an upgraded daemon's console replace the old one.
 *
 * Not here: authentication (the console holds a token and calls the API;
 * the files themselves are public), compression, ETags, directories.
 */
#include <string.h>

#include "console.h"
#include "http.h"
#include "util.h"

#include "console_files.h"

#define CONSOLE_INDEX "index.html"

static void console_get_index(struct http_request *r);
static void console_get_file(struct http_request *r);

const struct http_route console_routes[] = {
	{ "GET", "/", 0, console_get_index, NULL },
	{ "GET", "/console/{file}", 0, console_get_file, NULL },
};
const size_t console_nroutes = nitems(console_routes);

const char *const console_headers[] = {
	"Content-Security-Policy",
	"default-src 'none'; script-src 'self'; style-src 'self'; "
	"img-src 'self'; connect-src 'self'; base-uri 'none'; "
	"form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options",
	"nosniff",
	"Referrer-Policy",
	"no-referrer",
	"Cache-Control",
	"no-cache",
	NULL,
};

/* Extension to Content-Type; the first match wins. */
static const struct {
	const char *ext;
	const char *type;
} console_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
};

const struct console_file *
console_find(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(console_files); i++)
		if (strcmp(console_files[i].name, name) == 0)
			return &console_files[i];
	return NULL;
}

const char *
console_content_type(const char *name)
{
	size_t n = strlen(name), e, i;

	for (i = 0; i < nitems(console_types); i++) {
		e = strlen(console_types[i].ext);
		if (n > e && strcmp(name + n - e, console_types[i].ext) == 0)
			return console_types[i].type;
	}
	return "application/octet-stream";
}

static void
console_send(struct http_request *r, const char *name)
{
	const struct console_file *f = console_find(name);

	if (f == NULL) {
		http_reply_error(r, 404, "not_found", "no such file");
		return;
	}
	http_reply_headers(r, 200, console_content_type(f->name),
	    console_headers, f->data, f->len);
}

static void
console_get_index(struct http_request *r)
{
	console_send(r, CONSOLE_INDEX);
}

static void
console_get_file(struct http_request *r)
{
	console_send(r, http_request_param(r, "file"));
}
