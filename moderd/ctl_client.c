/*
 * ctl_client.c - the API client behind `moderctl` online mode.
 *
 * A thin, strict libcurl easy handle: no redirects, http and https only,
 * peer and host verified, signals off, a connect timeout and a timeout
 * for the whole call, and a write callback that stops the transfer once
 * the answer passes its cap (so a broken or hostile server cannot fill
 * memory).  Bodies go out as compact JSON with Content-Type
 * application/json; answers are kept raw and also parsed when they are
 * JSON, so callers can print either.  Every failure comes back as a
 * code and a one-line message; nothing here prints.
 *
 * The token is held in the Authorization header list only, and wiped
 * when the client is freed.
 *
 * What it deliberately does not do: retry (a moderator's approve must
 * never be sent twice behind their back), follow redirects, or read
 * MODERD_URL and MODERD_TOKEN (ctl_online.c decides where they come
 * from).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "ctl_client.h"
#include "util.h"

#define CTL_BEARER "Authorization: Bearer "
#define CTL_AUTH_BYTES (sizeof(CTL_BEARER) + 128)

struct ctl_client {
	CURL              *h;
	struct curl_slist *hdrs;
	char               base[MOD_MAX_CTL_URL_BYTES];
	char               auth[CTL_AUTH_BYTES];
	char               errbuf[CURL_ERROR_SIZE];
};

/* One transfer: where the answer goes and whether it overflowed. */
struct ctl_xfer {
	struct buf *body;
	bool        toobig;
};

static size_t
ctl_client_write(char *p, size_t size, size_t n, void *arg)
{
	struct ctl_xfer *x = arg;

	if (buf_append(x->body, p, size * n) != 0) {
		x->toobig = true;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	return size * n;
}

static int
ctl_client_url_ok(const char *url, struct mod_err *err)
{
	if (strncmp(url, "http://", 7) != 0
	    && strncmp(url, "https://", 8) != 0)
		return mod_errf(err, MOD_EINVAL,
		    "%.64s: the URL must start with http:// or https://", url);
	if (strlen(url) >= MOD_MAX_CTL_URL_BYTES / 2)
		return mod_errf(err, MOD_EINVAL, "the URL is too long");
	return 0;
}

/* ctl_client_headers: the fixed header list of every call. */
static int
ctl_client_headers(struct ctl_client *c, const char *token)
{
	static const char *const fixed[] = { "Accept: application/json",
		"Content-Type: application/json", "Expect:" };
	struct curl_slist       *l;
	size_t                   i;

	for (i = 0; i < nitems(fixed); i++) {
		if ((l = curl_slist_append(c->hdrs, fixed[i])) == NULL)
			return MOD_EINTERNAL;
		c->hdrs = l;
	}
	if (token == NULL || *token == '\0')
		return 0;
	if (strlen(token) >= sizeof(c->auth) - sizeof(CTL_BEARER))
		return MOD_EINVAL;
	snprintf(c->auth, sizeof(c->auth), "%s%s", CTL_BEARER, token);
	if ((l = curl_slist_append(c->hdrs, c->auth)) == NULL)
		return MOD_EINTERNAL;
	c->hdrs = l;
	return 0;
}

static void
ctl_client_setup(struct ctl_client *c)
{
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c->h, CURLOPT_USERAGENT, "moderctl/" MODERD_VERSION);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long) MOD_CTL_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, ctl_client_write);
}

int
ctl_client_new(const char *url, const char *token, struct ctl_client **out,
    struct mod_err *err)
{
	struct ctl_client *c;
	size_t             n;
	int                rv;

	*out = NULL;
	if ((rv = ctl_client_url_ok(url, err)) != 0)
		return rv;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return mod_errf(err, MOD_EINTERNAL, "libcurl failed to start");
	c = xcalloc(1, sizeof(*c));
	mod_strlcpy(c->base, url, sizeof(c->base));
	n = strlen(c->base);
	if (n > 0 && c->base[n - 1] == '/')
		c->base[n - 1] = '\0';
	if ((c->h = curl_easy_init()) == NULL
	    || (rv = ctl_client_headers(c, token)) != 0) {
		ctl_client_free(c);
		return mod_errf(err, rv ? rv : MOD_EINTERNAL,
		    rv == MOD_EINVAL ? "the token is too long"
		                     : "libcurl failed to start");
	}
	ctl_client_setup(c);
	*out = c;
	return 0;
}

void
ctl_client_free(struct ctl_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->h);
	curl_slist_free_all(c->hdrs);
	sodium_memzero(c->auth, sizeof(c->auth));
	free(c);
}

/* ctl_client_request: method, URL and body of the next transfer. */
static int
ctl_client_request(struct ctl_client *c, const char *method, const char *path,
    const char *body, int64_t timeout_ms, struct mod_err *err)
{
	char url[MOD_MAX_CTL_URL_BYTES];

	if ((size_t) snprintf(url, sizeof(url), "%s%s", c->base, path)
	    >= sizeof(url))
		return mod_errf(
		    err, MOD_ETOOBIG, "the request URL is too long");
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->h, CURLOPT_NOBODY, 0L);
	if (body != NULL) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(
		    c->h, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
	} else
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	if (body == NULL && strcmp(method, "GET") != 0) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	return 0;
}

/* ctl_client_failed: the code and message of a failed transfer. */
static int
ctl_client_failed(const struct ctl_client *c, CURLcode cc,
    const struct ctl_xfer *x, size_t max, struct mod_err *err)
{
	if (x->toobig)
		return mod_errf(err, MOD_ETOOBIG,
		    "the answer is larger than %zu bytes", max);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return mod_errf(err, MOD_ETIMEDOUT, "%s: timed out", c->base);
	return mod_errf(err, MOD_EIO, "%s: %s", c->base,
	    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
}

int
ctl_client_call(struct ctl_client *c, const char *method, const char *path,
    const json_t *body, size_t max_bytes, int64_t timeout_ms,
    struct ctl_reply *rep, struct mod_err *err)
{
	struct ctl_xfer x = { &rep->body, false };
	char           *text = NULL;
	CURLcode        cc;
	int             rv;

	memset(rep, 0, sizeof(*rep));
	buf_init(&rep->body, max_bytes);
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
		return mod_errf(err, MOD_EINTERNAL, "could not encode JSON");
	c->errbuf[0] = '\0';
	rv = ctl_client_request(c, method, path, text, timeout_ms, err);
	if (rv != 0)
		goto out;
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &x);
	if ((cc = curl_easy_perform(c->h)) != CURLE_OK) {
		rv = ctl_client_failed(c, cc, &x, max_bytes, err);
		goto out;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &rep->status);
	if (rep->body.len > 0)
		rep->json = json_loadb(rep->body.data, rep->body.len, 0, NULL);
out:
	free(text);
	return rv;
}

void
ctl_reply_free(struct ctl_reply *rep)
{
	if (rep == NULL)
		return;
	json_decref(rep->json);
	buf_free(&rep->body);
	memset(rep, 0, sizeof(*rep));
}

const char *
ctl_reply_message(struct ctl_reply *rep)
{
	const char *m
	    = json_string_value(json_object_get(rep->json, "message"));

	if (m == NULL)
		m = json_string_value(json_object_get(rep->json, "error"));
	if (m != NULL)
		return m;
	buf_reset(&rep->body);
	if (buf_printf(&rep->body, "HTTP %ld", rep->status) != 0)
		return "HTTP error";
	return buf_cstr(&rep->body);
}

int
ctl_path_add(struct buf *path, const char *name, const char *value)
{
	char *enc = curl_easy_escape(NULL, value, 0);
	int   rv;

	if (enc == NULL)
		return MOD_EINTERNAL;
	rv = buf_printf(path, "%c%s=%s",
	    strchr(buf_cstr(path), '?') != NULL ? '&' : '?', name, enc);
	curl_free(enc);
	return rv;
}

int
ctl_path_seg(struct buf *path, const char *seg)
{
	char *enc = curl_easy_escape(NULL, seg, 0);
	int   rv;

	if (enc == NULL)
		return MOD_EINTERNAL;
	rv = buf_printf(path, "/%s", enc);
	curl_free(enc);
	return rv;
}
