/*
 * feed_fetch.c - fetch one blocklist feed: HTTP(S) through libcurl, or a
 * local file.
 *
 * The one file of feeds/ that does I/O.  A fetch is a short chain of
 * plain GETs on one easy handle: redirects are followed here, not by
 * libcurl, so that every hop is checked by the same rule before a byte
 * goes out (https anywhere, http only to loopback for tests, no
 * credentials in URLs, no other scheme), a URL seen twice is reported as
 * a loop, and the auth header goes only to the origin it was configured
 * for.  The body lands in a capped struct buf: the write callback refuses
 * the first byte beyond max_bytes, so libcurl aborts the transfer
 * whatever the server keeps sending, and a declared Content-Length above
 * the cap is refused before the body.  One deadline covers the whole
 * chain, signature included; TLS verification is never turned off.
 *
 * Deliberately not here: parsing (feed_parse()), state (the caller keeps
 * ETag, Last-Modified and the hash and hands them back), retries and
 * scheduling (the daemon), cookies, and caching beyond the conditional
 * request.  A Last-Modified that does not parse or lies in the future is
 * dropped rather than sent back, as GoToSocial does.
 *
 * Invariants: the result is either UPDATED with a body, NOT_MODIFIED
 * without one, or ERROR with err.code != 0 and nothing else of value;
 * with a pinned key no body is ever returned unverified.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "bounds.h"
#include "buf.h"
#include "feeds.h"
#include "util.h"

#define FETCH_USER_AGENT "moderd/" MODERD_VERSION
#define FETCH_ACCEPT                                                          \
	"Accept: text/csv, application/json;q=0.9, text/plain;q=0.8, "        \
	"*/*;q=0.5"
/* Clock skew tolerated before a Last-Modified counts as in the future. */
#define FETCH_SKEW_S 300
/* "scheme://host:port" of a URL, for the auth header's origin check. */
#define FETCH_ORIGIN_BYTES (MOD_MAX_FEED_URL_BYTES + 16)
#define FETCH_HEADER_LINE_BYTES (MOD_MAX_FEED_HEADER_BYTES + 32)

/* One HTTP transfer chain (a document or its signature). */
struct fetch_http {
	CURL                         *h;
	const struct feed_fetch_opts *o;
	char       origin[FETCH_ORIGIN_BYTES]; /* of o->url: gets auth */
	int64_t    deadline_ms; /* CLOCK_MONOTONIC */
	struct buf body;
	bool       too_big; /* the write callback hit the cap */
	char       errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static int            fetch_init_rv; /* written once, under fetch_once */

static void
fetch_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK
	    || sodium_init() < 0)
		fetch_init_rv = MOD_EINTERNAL;
}

static bool
fetch_set(const char *s)
{
	return s != NULL && *s != '\0';
}

const char *
feed_fetch_status_name(enum feed_fetch_status s)
{
	switch (s) {
	case FEED_FETCH_UPDATED:
		return "updated";
	case FEED_FETCH_NOT_MODIFIED:
		return "not_modified";
	default:
		return "error";
	}
}

void
feed_fetch_result_free(struct feed_fetch_result *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->etag);
	free(r->last_modified);
	free(r->final_url);
	memset(r, 0, sizeof(*r));
	r->status = FEED_FETCH_ERROR;
}

/* ---- URL policy ---- */

static bool
fetch_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0
	    || strcasecmp(host, "localhost") == 0;
}

/* Why u's scheme or host is refused, or 0. */
static int
fetch_url_refused(const char *scheme, const char *host, struct mod_err *err)
{
	if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
		return mod_errf(err, MOD_EINVAL,
		    "scheme %s refused: https only (local files go in path)",
		    scheme);
	if (host == NULL)
		return mod_errf(err, MOD_EINVAL, "no host");
	if (strcmp(scheme, "http") == 0 && !fetch_loopback(host))
		return mod_errf(err, MOD_EINVAL,
		    "scheme http refused: https only (http to loopback for "
		    "tests)");
	return 0;
}

/* Scheme, host and port of u, or why the URL is refused. */
static int
fetch_url_parts(CURLU *u, char *origin, size_t size, struct mod_err *err)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	int   rv = MOD_EINVAL;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		mod_errf(err, rv, "no scheme");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		host = NULL;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		mod_errf(err, rv,
		    "credentials in the URL are refused (use auth_header)");
	else if (fetch_url_refused(scheme, host, err) != 0)
		;
	else if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)
	    != CURLUE_OK)
		mod_errf(err, rv, "no port");
	else if ((size_t) snprintf(
	             origin, size, "%s://%s:%s", scheme, host, port)
	    < size)
		rv = 0;
	else
		mod_errf(err, rv, "URL too long");
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	return rv;
}

/*
 * Is url one this fetcher may request?  origin receives its
 * "scheme://host:port".  The message names the URL.
 */
static int
fetch_url_check(
    const char *url, char origin[FETCH_ORIGIN_BYTES], struct mod_err *err)
{
	struct mod_err why;
	CURLU         *u;
	int            rv;

	if (strlen(url) >= MOD_MAX_FEED_URL_BYTES)
		return mod_errf(err, MOD_EINVAL, "URL over %d bytes",
		    MOD_MAX_FEED_URL_BYTES - 1);
	if ((u = curl_url()) == NULL)
		return mod_errf(err, MOD_EINTERNAL, "%s: out of memory", url);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		rv = mod_errf(&why, MOD_EINVAL, "malformed URL");
	else
		rv = fetch_url_parts(u, origin, FETCH_ORIGIN_BYTES, &why);
	curl_url_cleanup(u);
	if (rv != 0)
		mod_errf(err, rv, "%s: %s", url, why.msg);
	return rv;
}

/* ---- one request ---- */

static size_t
fetch_write(char *p, size_t size, size_t n, void *arg)
{
	struct fetch_http *f = arg;

	if (buf_append(&f->body, p, size * n) != 0) {
		f->too_big = true;
		return 0; /* CURLE_WRITE_ERROR: the transfer stops here */
	}
	return size * n;
}

static int
fetch_append_header(struct curl_slist **l, const char *name, const char *v)
{
	char               line[FETCH_HEADER_LINE_BYTES];
	struct curl_slist *n;

	if ((size_t) snprintf(line, sizeof(line), "%s: %s", name, v)
	    >= sizeof(line))
		return MOD_ETOOBIG;
	if ((n = curl_slist_append(*l, line)) == NULL)
		return MOD_EINTERNAL;
	*l = n;
	return 0;
}

/* The request headers for one hop; NULL-free on failure. */
static int
fetch_headers(const struct fetch_http *f, const char *origin, bool conditional,
    struct curl_slist **out)
{
	const struct feed_fetch_opts *o = f->o;
	struct curl_slist *l = curl_slist_append(NULL, FETCH_ACCEPT);
	int                rv = l == NULL ? MOD_EINTERNAL : 0;

	if (rv == 0 && conditional && fetch_set(o->etag))
		rv = fetch_append_header(&l, "If-None-Match", o->etag);
	if (rv == 0 && conditional && fetch_set(o->last_modified))
		rv = fetch_append_header(
		    &l, "If-Modified-Since", o->last_modified);
	if (rv == 0 && fetch_set(o->auth_header)
	    && strcmp(origin, f->origin) == 0
	    && (l = curl_slist_append(l, o->auth_header)) == NULL)
		rv = MOD_EINTERNAL;
	if (rv != 0) {
		curl_slist_free_all(l);
		l = NULL;
	}
	*out = l;
	return rv;
}

/* Time left before the deadline, or MOD_ETIMEDOUT. */
static int
fetch_remaining(
    const struct fetch_http *f, const char *url, long *ms, struct mod_err *err)
{
	int64_t left = f->deadline_ms - mod_mono_ms();

	if (left <= 0)
		return mod_errf(err, MOD_ETIMEDOUT, "%s: timed out", url);
	*ms = (long) left;
	return 0;
}

static void
fetch_setopts(struct fetch_http *f, const char *url, size_t max, long left,
    struct curl_slist *hdrs)
{
	int64_t c = f->o->connect_timeout_ms > 0
	    ? f->o->connect_timeout_ms
	    : MOD_FEED_FETCH_CONNECT_TIMEOUT_MS;

	curl_easy_setopt(f->h, CURLOPT_URL, url);
	curl_easy_setopt(f->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f->h, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(
	    f->h, CURLOPT_CONNECTTIMEOUT_MS, (long) (c < left ? c : left));
	curl_easy_setopt(f->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) max);
}

/* libcurl's failure as a MOD_E* code and a message naming url. */
static int
fetch_curl_error(const struct fetch_http *f, CURLcode cc, const char *url,
    size_t max, struct mod_err *err)
{
	const char *why = f->errbuf[0] ? f->errbuf : curl_easy_strerror(cc);

	if (f->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return mod_errf(err, MOD_ETOOBIG,
		    "%s: body exceeds the %zu-byte cap", url, max);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return mod_errf(
		    err, MOD_ETIMEDOUT, "%s: timed out (%s)", url, why);
	if (cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT)
		return mod_errf(err, MOD_EINVAL, "%s: %s", url, why);
	return mod_errf(err, MOD_EIO, "%s: %s", url, why);
}

/* One GET of url (already checked) into f->body; *status the answer. */
static int
fetch_hop(struct fetch_http *f, const char *url, const char *origin,
    size_t max, bool conditional, long *status, struct mod_err *err)
{
	struct curl_slist *hdrs = NULL;
	CURLcode           cc;
	long               left;
	int                rv;

	if ((rv = fetch_remaining(f, url, &left, err)) != 0)
		return rv;
	if ((rv = fetch_headers(f, origin, conditional, &hdrs)) != 0)
		return mod_errf(err, rv, "%s: request headers too long", url);
	buf_free(&f->body);
	buf_init(&f->body, max);
	f->too_big = false;
	f->errbuf[0] = '\0';
	fetch_setopts(f, url, max, left, hdrs);
	cc = curl_easy_perform(f->h);
	curl_easy_setopt(f->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK)
		return fetch_curl_error(f, cc, url, max, err);
	curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* ---- the redirect chain ---- */

static bool
fetch_is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307
	    || status == 308;
}

static bool
fetch_seen(char *const *seen, size_t n, const char *url)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(seen[i], url) == 0)
			return true;
	return false;
}

/* The next URL after a redirect from seen[n - 1], checked. */
static int
fetch_next_url(struct fetch_http *f, char *const *seen, size_t n,
    char origin[FETCH_ORIGIN_BYTES], char **next, struct mod_err *err)
{
	const char    *from = seen[n - 1];
	char          *loc = NULL;
	struct mod_err why;

	curl_easy_getinfo(f->h, CURLINFO_REDIRECT_URL, &loc);
	if (loc == NULL)
		return mod_errf(
		    err, MOD_EIO, "%s: redirect without a Location", from);
	if (n > MOD_FEED_FETCH_MAX_REDIRECTS_COUNT)
		return mod_errf(err, MOD_EINVAL, "%s: more than %d redirects",
		    seen[0], MOD_FEED_FETCH_MAX_REDIRECTS_COUNT);
	if (fetch_seen(seen, n, loc))
		return mod_errf(err, MOD_EINVAL,
		    "%s: redirect loop back to %s", from, loc);
	if (fetch_url_check(loc, origin, &why) != 0)
		return mod_errf(err, why.code, "redirect from %s refused: %s",
		    from, why.msg);
	*next = xstrdup(loc);
	return 0;
}

/*
 * GET url, following redirects, into f->body; *status is the last
 * answer's and *final (caller frees) the URL that gave it.
 */
static int
fetch_chain(struct fetch_http *f, const char *url, size_t max,
    bool conditional, long *status, char **final, struct mod_err *err)
{
	char   origin[FETCH_ORIGIN_BYTES];
	char  *seen[MOD_FEED_FETCH_MAX_REDIRECTS_COUNT + 2];
	size_t n = 0, i;
	int    rv;

	*final = NULL;
	if ((rv = fetch_url_check(url, origin, err)) != 0)
		return rv;
	seen[n++] = xstrdup(url);
	for (;;) {
		rv = fetch_hop(
		    f, seen[n - 1], origin, max, conditional, status, err);
		if (rv != 0 || !fetch_is_redirect(*status))
			break;
		if ((rv = fetch_next_url(f, seen, n, origin, &seen[n], err))
		    != 0)
			break;
		n++;
	}
	if (rv == 0) {
		*final = seen[n - 1];
		seen[n - 1] = NULL;
	}
	for (i = 0; i < n; i++)
		free(seen[i]);
	return rv;
}

/* ---- the document ---- */

/* Value of response header name if present and of sane size, copied. */
static char *
fetch_resp_header(CURL *h, const char *name)
{
	struct curl_header *hd = NULL;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK
	    || hd->value == NULL || hd->value[0] == '\0'
	    || strlen(hd->value) > MOD_MAX_FEED_HEADER_BYTES)
		return NULL;
	return xstrdup(hd->value);
}

/* ETag and a believable Last-Modified of the last response. */
static void
fetch_validators(CURL *h, struct feed_fetch_result *r)
{
	time_t t;

	r->etag = fetch_resp_header(h, "ETag");
	r->last_modified = fetch_resp_header(h, "Last-Modified");
	if (r->last_modified == NULL)
		return;
	t = curl_getdate(r->last_modified, NULL);
	if (t == (time_t) -1 || t > time(NULL) + FETCH_SKEW_S) {
		free(r->last_modified);
		r->last_modified = NULL;
	}
}

static int
fetch_status_error(
    long status, bool conditional, const char *url, struct mod_err *err)
{
	if (status == 304 && !conditional)
		return mod_errf(err, MOD_EINVAL,
		    "%s: 304 Not Modified to an unconditional request", url);
	if (status == 404 || status == 410)
		return mod_errf(err, MOD_ENOENT, "%s: HTTP %ld", url, status);
	return mod_errf(err, MOD_EIO, "%s: HTTP %ld", url, status);
}

static size_t
fetch_cap(const struct feed_fetch_opts *o)
{
	if (o->max_bytes == 0 || o->max_bytes > MOD_MAX_FEED_BYTES)
		return MOD_MAX_FEED_BYTES;
	return o->max_bytes;
}

static int
fetch_handle_new(struct fetch_http *f, const struct feed_fetch_opts *o)
{
	int64_t t
	    = o->timeout_ms > 0 ? o->timeout_ms : MOD_FEED_FETCH_TIMEOUT_MS;

	memset(f, 0, sizeof(*f));
	f->o = o;
	if (t > MOD_FEED_FETCH_MAX_TIMEOUT_MS)
		t = MOD_FEED_FETCH_MAX_TIMEOUT_MS;
	f->deadline_ms = mod_mono_ms() + t;
	buf_init(&f->body, 1);
	if ((f->h = curl_easy_init()) == NULL)
		return MOD_EINTERNAL;
	curl_easy_setopt(f->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(f->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(f->h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(f->h, CURLOPT_USERAGENT, FETCH_USER_AGENT);
	curl_easy_setopt(f->h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(f->h, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->h, CURLOPT_ERRORBUFFER, f->errbuf);
	/* Only the document's own origin is ever given the auth header. */
	if (fetch_set(o->url) && fetch_url_check(o->url, f->origin, NULL) != 0)
		f->origin[0] = '\0';
	return 0;
}

static void
fetch_handle_free(struct fetch_http *f)
{
	if (f->h != NULL)
		curl_easy_cleanup(f->h);
	buf_free(&f->body);
}

/* The signature's URL: signature_url, else url + ".sig". */
static char *
fetch_sig_url(const struct feed_fetch_opts *o)
{
	size_t n;
	char  *s;

	if (fetch_set(o->signature_url))
		return xstrdup(o->signature_url);
	n = strlen(o->url);
	s = xmalloc(n + 5);
	memcpy(s, o->url, n);
	memcpy(s + n, ".sig", 5);
	return s;
}

/* Verify body[0..len) against the signature text sig. */
static int
fetch_verify(const char *what, const char *body, size_t len, const char *sig,
    const char *pubkey, struct mod_err *err)
{
	switch (feed_verify(body, len, sig, pubkey)) {
	case 0:
		return 0;
	case MOD_EAUTH:
		return mod_errf(err, MOD_EAUTH,
		    "%s: signature does not verify with the pinned key", what);
	default:
		return mod_errf(err, MOD_EAUTH,
		    "%s: malformed signature or pinned key", what);
	}
}

/* Fetch the detached signature of the body now in r and check it. */
static int
fetch_http_signature(
    struct fetch_http *f, struct feed_fetch_result *r, struct mod_err *err)
{
	char          *url = fetch_sig_url(f->o), *final = NULL;
	long           status = 0;
	struct mod_err why;
	int            rv;

	rv = fetch_chain(
	    f, url, MOD_MAX_FEED_SIG_BYTES, false, &status, &final, &why);
	if (rv == 0 && status != 200)
		rv = mod_errf(err, MOD_EAUTH,
		    "%s: signature missing (%s: HTTP %ld)", f->o->url, url,
		    status);
	else if (rv != 0)
		rv = mod_errf(err, MOD_EAUTH, "%s: signature missing (%s)",
		    f->o->url, why.msg);
	else
		rv = fetch_verify(f->o->url, r->body, r->len,
		    buf_cstr(&f->body), f->o->pubkey, err);
	free(url);
	free(final);
	return rv;
}

/* The document over HTTP(S) into r. */
static int
fetch_url(const struct feed_fetch_opts *o, struct feed_fetch_result *r,
    struct mod_err *err)
{
	struct fetch_http f;
	bool cond = fetch_set(o->etag) || fetch_set(o->last_modified);
	int  rv;

	if ((rv = fetch_handle_new(&f, o)) != 0) {
		rv = mod_errf(err, rv, "%s: cannot set up libcurl", o->url);
		goto out;
	}
	rv = fetch_chain(&f, o->url, fetch_cap(o), cond, &r->http_status,
	    &r->final_url, err);
	if (rv != 0)
		goto out;
	if (r->http_status == 304 && cond) {
		r->status = FEED_FETCH_NOT_MODIFIED;
		goto out;
	}
	if (r->http_status != 200) {
		rv = fetch_status_error(
		    r->http_status, cond, r->final_url, err);
		goto out;
	}
	fetch_validators(f.h, r);
	r->len = f.body.len;
	r->body = buf_steal(&f.body);
	if (fetch_set(o->pubkey))
		rv = fetch_http_signature(&f, r, err);
out:
	fetch_handle_free(&f);
	return rv;
}

/* ---- local files ---- */

static int
fetch_path(const struct feed_fetch_opts *o, struct feed_fetch_result *r,
    struct mod_err *err)
{
	char          *sigpath, *sig = NULL;
	size_t         n = strlen(o->path), siglen;
	struct mod_err why;
	int            rv;

	if ((rv = mod_read_file(o->path, fetch_cap(o), &r->body, &r->len, err))
	    != 0) {
		if (rv == MOD_ETOOBIG)
			mod_errf(err, rv, "%s: file exceeds the %zu-byte cap",
			    o->path, fetch_cap(o));
		return rv;
	}
	r->final_url = xstrdup(o->path);
	if (!fetch_set(o->pubkey))
		return 0;
	sigpath = xmalloc(n + 5);
	memcpy(sigpath, o->path, n);
	memcpy(sigpath + n, ".sig", 5);
	if (mod_read_file(sigpath, MOD_MAX_FEED_SIG_BYTES, &sig, &siglen, &why)
	    != 0)
		rv = mod_errf(err, MOD_EAUTH, "%s: signature missing (%s)",
		    o->path, why.msg);
	else
		rv = fetch_verify(
		    o->path, r->body, r->len, sig, o->pubkey, err);
	free(sig);
	free(sigpath);
	return rv;
}

/* ---- the entry point ---- */

static int
fetch_check_opts(const struct feed_fetch_opts *o, struct mod_err *err)
{
	if (fetch_set(o->url) == fetch_set(o->path))
		return mod_errf(
		    err, MOD_EINVAL, "exactly one of url and path is needed");
	if (fetch_set(o->path) && fetch_set(o->signature_url))
		return mod_errf(err, MOD_EINVAL,
		    "%s: signature_url needs url (a file's signature is "
		    "PATH.sig)",
		    o->path);
	if (fetch_set(o->auth_header) && strchr(o->auth_header, ':') == NULL)
		return mod_errf(
		    err, MOD_EINVAL, "auth_header must be \"Name: value\"");
	if (fetch_set(o->auth_header)
	    && strpbrk(o->auth_header, "\r\n") != NULL)
		return mod_errf(
		    err, MOD_EINVAL, "auth_header must be one line");
	return 0;
}

/* A 200 whose content is what the caller already has is no change. */
static void
fetch_finish(const struct feed_fetch_opts *o, struct feed_fetch_result *r)
{
	unsigned char md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, (const unsigned char *) r->body, r->len);
	sodium_bin2hex(r->sha256, sizeof(r->sha256), md, sizeof(md));
	r->verified = fetch_set(o->pubkey);
	if (fetch_set(o->prev_sha256)
	    && strcasecmp(o->prev_sha256, r->sha256) == 0) {
		free(r->body);
		r->body = NULL;
		r->len = 0;
		r->status = FEED_FETCH_NOT_MODIFIED;
	}
}

int
feed_fetch(const struct feed_fetch_opts *o, struct feed_fetch_result *out)
{
	struct feed_fetch_result *r = out;
	int                       rv;

	memset(r, 0, sizeof(*r));
	r->status = FEED_FETCH_UPDATED;
	pthread_once(&fetch_once, fetch_init);
	if (fetch_init_rv != 0)
		rv = mod_errf(&r->err, fetch_init_rv,
		    "libcurl or libsodium failed to initialise");
	else if ((rv = fetch_check_opts(o, &r->err)) == 0)
		rv = fetch_set(o->url) ? fetch_url(o, r, &r->err)
		                       : fetch_path(o, r, &r->err);
	if (rv == 0 && r->status == FEED_FETCH_UPDATED)
		fetch_finish(o, r);
	if (rv != 0) {
		struct mod_err keep = r->err;
		long           status = r->http_status;
		char          *final = r->final_url;

		r->final_url = NULL;
		feed_fetch_result_free(r);
		r->err = keep;
		r->err.code = rv;
		r->http_status = status;
		r->final_url = final;
	}
	return rv;
}
