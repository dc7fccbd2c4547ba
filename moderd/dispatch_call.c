/*
 * dispatch_call.c - the Mastodon admin API calls of the dispatcher, and
 * what their answers mean.
 *
 * One claimed dispatch row becomes one request (two when a domain block
 * turns out to exist already and must be updated, or an update finds its
 * block gone and must create it), built only from the row's frozen
 * request JSON: form-encoded bodies (every value through
 * curl_easy_escape()), `Authorization: Bearer`, a whole-request timeout,
 * no redirects, TLS verification on, the answer kept up to
 * MOD_MAX_DISPATCH_RESPONSE_BYTES (the rest is read and dropped).  The
 * requests are exactly those of doc/api.md, "Dispatch".
 *
 * Classification: 2xx is applied; a network error, a timeout, 408, 429
 * and 5xx may succeed later (retry); any other status is final (failed,
 * with Mastodon's "error" text).  Special answers: POST domain_blocks 422
 * with existing_domain_block means the domain is already covered - by a
 * block on a parent domain ("covered"), or by a block on this very
 * domain, which is then updated with PUT unless it already has these
 * settings; PUT 404 means the block was removed in Mastodon meanwhile,
 * so it is created again; DELETE 404 means it is already gone (applied).
 *
 * Without mastodon_url no request is made: domain items are applied as
 * "recorded (no mastodon_url)" (moderd's blocks table and published list
 * are then the product), and the engine never claims account or report
 * items (they wait).  A status delete always fails: Mastodon's released
 * admin API has no call for it (formats.md 1.5).
 *
 * Deliberately not here: retry policy and attempts (dispatch.c), SQL
 * (queue_dispatch.c), logging of bodies (never: they may quote posts).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "dispatch_impl.h"
#include "log.h"
#include "util.h"

#define DISPATCH_MASTODON_ERROR_BYTES 200 /* of Mastodon's "error" text */
#define DISPATCH_AUTH_BYTES (MOD_MAX_CONF_STRING_BYTES + 32)

static const char DISPATCH_NO_STATUS_API[]
    = "Mastodon's released admin API has no call to delete a single "
      "status; delete it in Mastodon's web interface";

/* One request and its answer. */
struct dispatch_http {
	const char *method;
	char        path[MOD_MAX_DISPATCH_URL_BYTES];
	struct buf  form; /* empty: no body (DELETE) */
	bool        has_body;
	long        status;
	CURLcode    cc;
	struct buf  body;
	bool        truncated;
	char        errbuf[CURL_ERROR_SIZE];
};

/* The request JSON's fields, borrowed from the parsed document. */
struct dispatch_req {
	json_t     *root;
	const char *account_id, *acct, *report_id, *type, *text;
	const char *domain, *severity, *public_comment, *private_comment;
	bool        reject_media, reject_reports, obfuscate;
};

int
dispatch_call_init(struct dispatch_call *c, const char *base_url,
    const char *token, int64_t timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->base_url = base_url;
	c->token = token;
	c->timeout_ms = timeout_ms;
	if (base_url[0] == '\0')
		return 0;
	return (c->easy = curl_easy_init()) != NULL ? 0 : MOD_EIO;
}

void
dispatch_call_free(struct dispatch_call *c)
{
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	c->easy = NULL;
}

/* ---- answers ---- */

static void dispatch_call_set(struct dispatch_answer *a, int outcome,
    const char *fmt, ...) MOD_PRINTF(3, 4);

static void
dispatch_call_set(struct dispatch_answer *a, int outcome, const char *fmt, ...)
{
	va_list ap;
	char   *dst = outcome == DISPATCH_APPLIED ? a->result : a->error;
	size_t  sz = outcome == DISPATCH_APPLIED ? sizeof(a->result)
	                                         : sizeof(a->error);

	a->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(dst, sz, fmt, ap);
	va_end(ap);
}

/* Mastodon's {"error": "..."} text, or "" (borrowed from root). */
static const char *
dispatch_call_errtext(json_t *root)
{
	const char *s = json_string_value(json_object_get(root, "error"));

	return s != NULL ? s : "";
}

/* The id member of a Mastodon entity (a string, or a number). */
static bool
dispatch_call_id(json_t *o, char out[MOD_MAX_ID_BYTES + 1])
{
	json_t *id = json_object_get(o, "id");

	if (json_is_string(id) && json_string_length(id) > 0)
		return mod_strlcpy(
		           out, json_string_value(id), MOD_MAX_ID_BYTES + 1)
		    <= MOD_MAX_ID_BYTES;
	if (json_is_integer(id) && json_integer_value(id) > 0) {
		snprintf(out, MOD_MAX_ID_BYTES + 1, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(id));
		return true;
	}
	return false;
}

/* The generic meaning of an answer: applied, retry or failed. */
static void
dispatch_call_classify(struct dispatch_http *h, struct dispatch_answer *a)
{
	json_t *root;

	if (h->cc != CURLE_OK) {
		dispatch_call_set(a, DISPATCH_RETRY, "%s %s: %s", h->method,
		    h->path,
		    h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->cc));
		return;
	}
	if (h->status >= 200 && h->status <= 299) {
		dispatch_call_set(a, DISPATCH_APPLIED, "applied");
		return;
	}
	if (h->status == 408 || h->status == 429 || h->status >= 500) {
		dispatch_call_set(a, DISPATCH_RETRY, "%s %s: HTTP %ld",
		    h->method, h->path, h->status);
		return;
	}
	root = json_loadb(h->body.data ? h->body.data : "", h->body.len,
	    JSON_DISABLE_EOF_CHECK, NULL);
	dispatch_call_set(a, DISPATCH_FAILED, "%s %s: HTTP %ld%s%.*s",
	    h->method, h->path, h->status, root != NULL ? ": " : "",
	    DISPATCH_MASTODON_ERROR_BYTES, dispatch_call_errtext(root));
	json_decref(root);
}

/* ---- requests ---- */

static size_t
dispatch_call_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct dispatch_http *h = arg;
	size_t                len = size * n;

	if (!h->truncated && buf_append(&h->body, p, len) != 0)
		h->truncated = true;
	return len;
}

static void
dispatch_http_init(struct dispatch_http *h, const char *method)
{
	memset(h, 0, sizeof(*h));
	h->method = method;
	buf_init(&h->form, MOD_MAX_DISPATCH_FORM_BYTES);
	buf_init(&h->body, MOD_MAX_DISPATCH_RESPONSE_BYTES);
}

static void
dispatch_http_free(struct dispatch_http *h)
{
	buf_free(&h->form);
	buf_free(&h->body);
}

/* Append key=value (escaped) to the form.  0 or MOD_ETOOBIG. */
static int
dispatch_call_form(struct dispatch_call *c, struct dispatch_http *h,
    const char *k, const char *v)
{
	char *esc = curl_easy_escape(c->easy, v != NULL ? v : "", 0);
	int   rv;

	if (esc == NULL)
		return MOD_ETOOBIG;
	h->has_body = true;
	rv = buf_printf(
	    &h->form, "%s%s=%s", h->form.len > 0 ? "&" : "", k, esc);
	curl_free(esc);
	return rv;
}

/* Path with one escaped id: fmt has one %s. */
static int
dispatch_call_path(struct dispatch_call *c, struct dispatch_http *h,
    const char *fmt, const char *id)
{
	char *esc = curl_easy_escape(c->easy, id, 0);
	int   n;

	if (esc == NULL)
		return MOD_ETOOBIG;
	n = snprintf(h->path, sizeof(h->path), fmt, esc);
	curl_free(esc);
	return n < 0 || (size_t) n >= sizeof(h->path) ? MOD_ETOOBIG : 0;
}

/* The request's headers; NULL if libcurl could not allocate them. */
static struct curl_slist *
dispatch_call_headers(struct dispatch_call *c, const struct dispatch_http *h)
{
	struct curl_slist *l;
	char               auth[DISPATCH_AUTH_BYTES];
	bool               bad = false;

	if ((l = curl_slist_append(NULL, "Accept: application/json")) == NULL)
		return NULL;
	if (h->has_body)
		bad |= curl_slist_append(l,
		           "Content-Type: application/x-www-form-urlencoded")
		    == NULL;
	if (c->token[0] != '\0') {
		snprintf(
		    auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		bad |= curl_slist_append(l, auth) == NULL;
		explicit_bzero(auth, sizeof(auth));
	}
	if (bad) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

static bool
dispatch_call_setopts(struct dispatch_call *c, struct dispatch_http *h,
    const char *url, struct curl_slist *hdr)
{
	CURL *e = c->easy;
	long  connect_ms = c->timeout_ms < MOD_DISPATCH_CONNECT_TIMEOUT_MS
	     ? (long) c->timeout_ms
	     : MOD_DISPATCH_CONNECT_TIMEOUT_MS;
	bool  bad = false;

	bad |= curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https")
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, h->method)
	    != CURLE_OK;
	if (h->has_body || strcmp(h->method, "POST") == 0) {
		bad |= curl_easy_setopt(
		           e, CURLOPT_POSTFIELDS, buf_cstr(&h->form))
		    != CURLE_OK;
		bad |= curl_easy_setopt(
		           e, CURLOPT_POSTFIELDSIZE, (long) h->form.len)
		    != CURLE_OK;
	}
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "moderd/" MODERD_VERSION)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) c->timeout_ms)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(
	           e, CURLOPT_WRITEFUNCTION, dispatch_call_on_body)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, h) != CURLE_OK;
	return !bad;
}

/* Send h (method, path, form) and fill in its answer. */
static void
dispatch_call_send(struct dispatch_call *c, struct dispatch_http *h)
{
	char               url[MOD_MAX_DISPATCH_URL_BYTES];
	struct curl_slist *hdr;
	int                n;

	curl_easy_reset(c->easy);
	h->cc = CURLE_FAILED_INIT;
	n = snprintf(url, sizeof(url), "%s%s", c->base_url, h->path);
	if (n < 0 || (size_t) n >= sizeof(url))
		h->cc = CURLE_URL_MALFORMAT;
	else if ((hdr = dispatch_call_headers(c, h)) != NULL) {
		if (dispatch_call_setopts(c, h, url, hdr))
			h->cc = curl_easy_perform(c->easy);
		(void) curl_easy_getinfo(
		    c->easy, CURLINFO_RESPONSE_CODE, &h->status);
		/* the easy handle keeps pointers to hdr and errbuf */
		curl_easy_reset(c->easy);
		curl_slist_free_all(hdr);
	}
	if (h->cc == CURLE_FAILED_INIT && h->errbuf[0] == '\0')
		mod_strlcpy(h->errbuf, "could not set up the request",
		    sizeof(h->errbuf));
}

/* ---- the request JSON ---- */

static const char *
dispatch_req_str(json_t *root, const char *key)
{
	const char *s = json_string_value(json_object_get(root, key));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

static int
dispatch_req_parse(const char *text, struct dispatch_req *r)
{
	memset(r, 0, sizeof(*r));
	if (text == NULL
	    || (r->root = json_loads(text, JSON_REJECT_DUPLICATES, NULL))
	        == NULL
	    || !json_is_object(r->root))
		return MOD_EINVAL;
	r->account_id = dispatch_req_str(r->root, "account_id");
	r->acct = dispatch_req_str(r->root, "acct");
	r->report_id = dispatch_req_str(r->root, "report_id");
	r->type = dispatch_req_str(r->root, "type");
	r->text = dispatch_req_str(r->root, "text");
	r->domain = dispatch_req_str(r->root, "domain");
	r->severity = dispatch_req_str(r->root, "severity");
	r->public_comment = dispatch_req_str(r->root, "public_comment");
	r->private_comment = dispatch_req_str(r->root, "private_comment");
	r->reject_media
	    = json_is_true(json_object_get(r->root, "reject_media"));
	r->reject_reports
	    = json_is_true(json_object_get(r->root, "reject_reports"));
	r->obfuscate = json_is_true(json_object_get(r->root, "obfuscate"));
	return 0;
}

/* A remote account: acct is user@domain (a local one has no domain). */
static bool
dispatch_req_remote(const struct dispatch_req *r)
{
	const char *at = r->acct != NULL ? strrchr(r->acct, '@') : NULL;

	return at != NULL && at != r->acct && at[1] != '\0';
}

/* ---- kinds ---- */

static void
dispatch_call_account(struct dispatch_call *c, const struct dispatch_req *r,
    struct dispatch_answer *a)
{
	static const char *const remote_ok[]
	    = { "sensitive", "silence", "suspend" };
	struct dispatch_http h;
	size_t               i;
	bool                 ok = !dispatch_req_remote(r);

	for (i = 0; i < nitems(remote_ok) && r->type != NULL; i++)
		ok |= strcmp(r->type, remote_ok[i]) == 0;
	if (r->account_id == NULL || r->type == NULL || !ok) {
		dispatch_call_set(a, DISPATCH_FAILED, "%s",
		    r->account_id == NULL ? "no account id to act on"
		        : r->type == NULL ? "no action type"
		                          : "remote accounts accept only "
		                            "sensitive, silence and suspend");
		return;
	}
	dispatch_http_init(&h, "POST");
	if (dispatch_call_path(
	        c, &h, "/api/v1/admin/accounts/%s/action", r->account_id)
	        != 0
	    || dispatch_call_form(c, &h, "type", r->type) != 0
	    || (r->report_id != NULL
	        && dispatch_call_form(c, &h, "report_id", r->report_id) != 0)
	    || dispatch_call_form(c, &h, "text", r->text) != 0
	    || dispatch_call_form(c, &h, "send_email_notification", "false")
	        != 0)
		dispatch_call_set(a, DISPATCH_FAILED, "request too large");
	else {
		dispatch_call_send(c, &h);
		dispatch_call_classify(&h, a);
	}
	dispatch_http_free(&h);
}

static void
dispatch_call_report(struct dispatch_call *c, const struct dispatch_req *r,
    struct dispatch_answer *a)
{
	struct dispatch_http h;

	if (r->report_id == NULL) {
		dispatch_call_set(a, DISPATCH_FAILED, "no report id");
		return;
	}
	dispatch_http_init(&h, "POST");
	if (dispatch_call_path(
	        c, &h, "/api/v1/admin/reports/%s/resolve", r->report_id)
	    != 0)
		dispatch_call_set(a, DISPATCH_FAILED, "report id too long");
	else {
		dispatch_call_send(c, &h);
		dispatch_call_classify(&h, a);
	}
	dispatch_http_free(&h);
}

/* The block settings of a POST (with domain) or PUT (without). */
static int
dispatch_call_block_form(struct dispatch_call *c, struct dispatch_http *h,
    const struct dispatch_req *r, bool with_domain)
{
	if ((with_domain && dispatch_call_form(c, h, "domain", r->domain) != 0)
	    || dispatch_call_form(c, h, "severity", r->severity) != 0
	    || dispatch_call_form(
	           c, h, "reject_media", r->reject_media ? "true" : "false")
	        != 0
	    || dispatch_call_form(c, h, "reject_reports",
	           r->reject_reports ? "true" : "false")
	        != 0
	    || dispatch_call_form(c, h, "private_comment", r->private_comment)
	        != 0
	    || dispatch_call_form(c, h, "public_comment", r->public_comment)
	        != 0)
		return MOD_ETOOBIG;
	return dispatch_call_form(
	    c, h, "obfuscate", r->obfuscate ? "true" : "false");
}

/* Whether Mastodon's block e has exactly the settings r asks for. */
static bool
dispatch_call_same_block(json_t *e, const struct dispatch_req *r)
{
	const char *sev = json_string_value(json_object_get(e, "severity"));

	return sev != NULL && r->severity != NULL
	    && strcmp(sev, r->severity) == 0
	    && json_is_true(json_object_get(e, "reject_media"))
	    == r->reject_media
	    && json_is_true(json_object_get(e, "reject_reports"))
	    == r->reject_reports
	    && json_is_true(json_object_get(e, "obfuscate")) == r->obfuscate;
}

/* The next request of a domain item's exchange. */
enum dispatch_step { DISPATCH_DONE, DISPATCH_POST, DISPATCH_PUT };

/*
 * POST's 422: covered by an existing block.  On the same domain with
 * other settings, that block is to be updated to what was approved
 * (returns DISPATCH_PUT with its id in a->mastodon_id).
 */
static enum dispatch_step
dispatch_call_covered(const struct dispatch_req *r, struct dispatch_http *h,
    struct dispatch_answer *a)
{
	json_t *root = json_loadb(
	    h->body.data ? h->body.data : "", h->body.len, 0, NULL);
	json_t     *e = json_object_get(root, "existing_domain_block");
	const char *dom = json_string_value(json_object_get(e, "domain"));
	enum dispatch_step next = DISPATCH_DONE;

	if (dom == NULL || !dispatch_call_id(e, a->mastodon_id))
		dispatch_call_classify(h, a); /* another 422: failed */
	else if (strcasecmp(dom, r->domain) != 0)
		dispatch_call_set(a, DISPATCH_APPLIED,
		    "covered (by the block on %.*s)", MOD_MAX_DOMAIN_BYTES,
		    dom);
	else {
		a->has_id = true;
		if (dispatch_call_same_block(e, r))
			dispatch_call_set(a, DISPATCH_APPLIED,
			    "covered (already in place as block %s)",
			    a->mastodon_id);
		else
			next = DISPATCH_PUT;
	}
	json_decref(root);
	return next;
}

/* The id Mastodon gave a new block, from a 2xx answer. */
static void
dispatch_call_new_id(struct dispatch_http *h, struct dispatch_answer *a)
{
	json_t *root = json_loadb(
	    h->body.data ? h->body.data : "", h->body.len, 0, NULL);

	a->has_id = dispatch_call_id(root, a->mastodon_id);
	json_decref(root);
}

static enum dispatch_step
dispatch_call_post(struct dispatch_call *c, const struct dispatch_req *r,
    struct dispatch_answer *a)
{
	struct dispatch_http h;
	enum dispatch_step   next = DISPATCH_DONE;

	dispatch_http_init(&h, "POST");
	mod_strlcpy(h.path, "/api/v1/admin/domain_blocks", sizeof(h.path));
	if (dispatch_call_block_form(c, &h, r, true) != 0)
		dispatch_call_set(a, DISPATCH_FAILED, "request too large");
	else {
		dispatch_call_send(c, &h);
		if (h.cc == CURLE_OK && h.status == 422)
			next = dispatch_call_covered(r, &h, a);
		else {
			dispatch_call_classify(&h, a);
			if (a->outcome == DISPATCH_APPLIED)
				dispatch_call_new_id(&h, a);
		}
	}
	dispatch_http_free(&h);
	return next;
}

/* PUT to block a->mastodon_id; a 404 (removed meanwhile) asks for POST. */
static enum dispatch_step
dispatch_call_put(struct dispatch_call *c, const struct dispatch_req *r,
    struct dispatch_answer *a)
{
	struct dispatch_http h;
	enum dispatch_step   next = DISPATCH_DONE;

	dispatch_http_init(&h, "PUT");
	if (dispatch_call_path(
	        c, &h, "/api/v1/admin/domain_blocks/%s", a->mastodon_id)
	        != 0
	    || dispatch_call_block_form(c, &h, r, false) != 0)
		dispatch_call_set(a, DISPATCH_FAILED, "request too large");
	else {
		dispatch_call_send(c, &h);
		if (h.cc == CURLE_OK && h.status == 404) {
			a->has_id = false;
			next = DISPATCH_POST;
		} else {
			dispatch_call_classify(&h, a);
			a->has_id = true;
			if (a->outcome == DISPATCH_APPLIED)
				dispatch_call_set(a, DISPATCH_APPLIED,
				    "updated block %s", a->mastodon_id);
		}
	}
	dispatch_http_free(&h);
	return next;
}

static void
dispatch_call_unblock(struct dispatch_call *c, const struct dispatch_item *it,
    struct dispatch_answer *a)
{
	struct dispatch_http h;

	if (it->mastodon_id == NULL) {
		dispatch_call_set(a, DISPATCH_FAILED,
		    "no Mastodon id is known for this block (moderd did not "
		    "create it); remove it in Mastodon's admin interface");
		return;
	}
	dispatch_http_init(&h, "DELETE");
	if (dispatch_call_path(
	        c, &h, "/api/v1/admin/domain_blocks/%s", it->mastodon_id)
	    != 0)
		dispatch_call_set(a, DISPATCH_FAILED, "block id too long");
	else {
		dispatch_call_send(c, &h);
		if (h.cc == CURLE_OK && h.status == 404)
			dispatch_call_set(a, DISPATCH_APPLIED, "already gone");
		else
			dispatch_call_classify(&h, a);
	}
	dispatch_http_free(&h);
}

static bool
dispatch_call_is_domain(const char *kind)
{
	return strncmp(kind, "domain_", 7) == 0;
}

/*
 * A domain block: PUT when Mastodon's id of the block is known, else
 * POST.  A PUT that finds the block gone falls back to POST, and a POST
 * that finds a block on this domain falls back to PUT; each is made at
 * most once, so an exchange is at most two requests.
 */
static void
dispatch_call_block(struct dispatch_call *c, const struct dispatch_item *it,
    const struct dispatch_req *r, struct dispatch_answer *a)
{
	enum dispatch_step step = DISPATCH_POST;
	bool               posted = false, put = false;

	if (it->mastodon_id != NULL
	    && mod_strlcpy(
	           a->mastodon_id, it->mastodon_id, sizeof(a->mastodon_id))
	        < sizeof(a->mastodon_id))
		step = DISPATCH_PUT;
	while (step != DISPATCH_DONE) {
		if (step == DISPATCH_PUT && !put) {
			put = true;
			step = dispatch_call_put(c, r, a);
		} else if (step == DISPATCH_POST && !posted) {
			posted = true;
			step = dispatch_call_post(c, r, a);
		} else {
			dispatch_call_set(a, DISPATCH_RETRY,
			    "the block changed in Mastodon while it was being "
			    "updated");
			step = DISPATCH_DONE;
		}
	}
}

static void
dispatch_call_domain(struct dispatch_call *c, const struct dispatch_item *it,
    const struct dispatch_req *r, struct dispatch_answer *a)
{
	if (strcmp(it->kind, "domain_unblock") == 0)
		dispatch_call_unblock(c, it, a);
	else if (r->domain == NULL || r->severity == NULL)
		dispatch_call_set(a, DISPATCH_FAILED, "no domain or severity");
	else
		dispatch_call_block(c, it, r, a);
}

/* No mastodon_url: domain items are only recorded. */
static void
dispatch_call_local(const struct dispatch_item *it, struct dispatch_answer *a)
{
	dispatch_call_set(a, DISPATCH_APPLIED, "recorded (no mastodon_url)");
	if (it->mastodon_id != NULL)
		a->has_id = mod_strlcpy(a->mastodon_id, it->mastodon_id,
		                sizeof(a->mastodon_id))
		    < sizeof(a->mastodon_id);
}

void
dispatch_call_run(struct dispatch_call *c, const struct dispatch_item *it,
    struct dispatch_answer *a)
{
	struct dispatch_req r;

	memset(a, 0, sizeof(*a));
	a->block = dispatch_call_is_domain(it->kind);
	if (strcmp(it->kind, "status_delete") == 0)
		dispatch_call_set(
		    a, DISPATCH_FAILED, "%s", DISPATCH_NO_STATUS_API);
	else if (dispatch_req_parse(it->request, &r) != 0)
		dispatch_call_set(a, DISPATCH_FAILED, "malformed request");
	else {
		if (c->easy == NULL && a->block)
			dispatch_call_local(it, a);
		else if (c->easy == NULL)
			dispatch_call_set(
			    a, DISPATCH_RETRY, "no mastodon_url configured");
		else if (a->block)
			dispatch_call_domain(c, it, &r, a);
		else if (strcmp(it->kind, "account_action") == 0)
			dispatch_call_account(c, &r, a);
		else if (strcmp(it->kind, "report_resolve") == 0)
			dispatch_call_report(c, &r, a);
		else
			dispatch_call_set(a, DISPATCH_FAILED,
			    "unknown dispatch kind %s", it->kind);
		json_decref(r.root);
	}
	a->block = a->block && a->outcome == DISPATCH_APPLIED;
}
