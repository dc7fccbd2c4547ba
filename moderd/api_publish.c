/*
 * api_publish.c - our own blocklist, published (doc/api.md, "Published
 * blocklist"): GET /v1/blocklist/NAME for mastodon.csv,
 * fediblockhole.csv, domains.txt, mastodon.json and changes.json?since=,
 * each also as NAME.sig, a detached Ed25519 signature of exactly the
 * bytes NAME serves, by the secret key in publish_key.
 *
 * Every request reads the blocks table afresh and renders it with
 * feed_publish() (one statement and one pass; no cache to go stale), so
 * a list and its .sig fetched one after the other match unless a block
 * changed in between, which a subscriber sees as a signature that does
 * not verify and retries.  No API token is needed; when publish_token is
 * set, the request must carry it as a bearer token (compared in constant
 * time).  Without publish_key the .sig names answer 404.
 *
 * Each answer carries an ETag (a hash of its bytes) and Cache-Control
 * public for MOD_PUBLISH_MAX_AGE_S, as Mastodon serves its own list; a
 * matching If-None-Match is answered 304.  Not here: which blocks exist
 * (store_block_apply() keeps the table).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "buf.h"
#include "conf.h"
#include "feedsync.h"
#include "http.h"
#include "util.h"

#define PUB_SIG_SUFFIX ".sig"
#define PUB_CHANGES -1 /* not a feed format: the change feed */

/* The lists we serve, by file name. */
static const struct api_publish_list {
	const char *name;
	int         fmt; /* enum feed_format, or PUB_CHANGES */
	const char *ctype;
} api_publish_lists[] = {
	{ "mastodon.csv", FEED_FMT_MASTODON_CSV, "text/csv; charset=utf-8" },
	{ "fediblockhole.csv", FEED_FMT_FBH_CSV, "text/csv; charset=utf-8" },
	{ "domains.txt", FEED_FMT_TEXT, "text/plain; charset=utf-8" },
	{ "mastodon.json", FEED_FMT_MASTODON_JSON, "application/json" },
	{ "changes.json", PUB_CHANGES, "application/json" },
};

/* api_publish_allowed: publish_token, if set, was presented. */
static bool
api_publish_allowed(struct api_ctx *c)
{
	const char *tok = c->conf->publish_token;
	const char *h;
	size_t      n = strlen(tok);

	if (n == 0)
		return true;
	h = http_request_header(c->req, "Authorization");
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	return strlen(h) == n && sodium_memcmp(h, tok, n) == 0;
}

static const struct api_publish_list *
api_publish_find(const char *file, bool *sig)
{
	size_t n = strlen(file), k = strlen(PUB_SIG_SUFFIX), i;

	*sig = n > k && strcmp(file + n - k, PUB_SIG_SUFFIX) == 0;
	if (*sig)
		n -= k;
	for (i = 0; i < nitems(api_publish_lists); i++)
		if (strlen(api_publish_lists[i].name) == n
		    && strncmp(api_publish_lists[i].name, file, n) == 0)
			return &api_publish_lists[i];
	return NULL;
}

/* The change feed page asked for (?since=CURSOR&limit=N). */
struct api_publish_page {
	int64_t since;
	int64_t limit;
};

/* api_publish_changes: the change feed page p into out. */
static int
api_publish_changes(
    struct api_ctx *c, const struct api_publish_page *p, struct buf *out)
{
	struct feed_change_record *v = NULL;
	size_t                     n = 0;
	int                        rv;

	if ((rv = store_block_changes(
	         c->db, p->since, (size_t) p->limit + 1, &v, &n))
	    == 0)
		rv = feed_publish_changes(
		    v, n, p->since, (size_t) p->limit, out, NULL);
	store_changes_free(v, n);
	return rv;
}

static int
api_publish_render(struct api_ctx *c, const struct api_publish_list *l,
    const struct api_publish_page *p, struct buf *out)
{
	struct feed_list fl = { 0 };
	int              rv;

	if (l->fmt == PUB_CHANGES)
		return api_publish_changes(c, p, out);
	if ((rv = store_blocks_published(c->db, &fl)) == 0)
		rv = feed_publish(
		    (enum feed_format) l->fmt, fl.v, fl.n, 0, out);
	feed_list_free(&fl);
	return rv;
}

/* api_publish_sign: the .sig document of body, by the publish_key file. */
static int
api_publish_sign(const struct conf *conf, const struct buf *body,
    char sig[FEED_SIG_B64_BYTES + 1])
{
	struct mod_err err = { 0 };
	char          *key = NULL, *k;
	size_t         len = 0;
	int            rv;

	if ((rv = mod_read_file(conf->publish_key, MOD_MAX_PUBLISH_KEY_BYTES,
	         &key, &len, &err))
	    != 0)
		return rv;
	k = key + strspn(key, " \t\r\n");
	k[strcspn(k, " \t\r\n")] = '\0';
	if ((rv = feed_sign(body->data ? body->data : "", body->len, k, sig))
	    == 0)
		mod_strlcpy(sig + strlen(sig), "\n", 2);
	sodium_memzero(key, len);
	free(key);
	return rv;
}

/*
 * api_publish_reply: answer with body and its validators, as Mastodon
 * serves its public list: an ETag (BLAKE2b of the bytes) and a public
 * cache lifetime of MOD_PUBLISH_MAX_AGE_S; a request whose If-None-Match
 * names the same ETag gets 304 and no body.
 */
static void
api_publish_reply(
    struct api_ctx *c, const char *ctype, const void *body, size_t len)
{
	unsigned char h[16];
	char          etag[2 * sizeof(h) + 3], hex[2 * sizeof(h) + 1];
	char          age[32];
	const char   *inm = http_request_header(c->req, "If-None-Match");
	const char   *hdrs[] = { "ETag", etag, "Cache-Control", age, NULL };

	crypto_generichash(h, sizeof(h), body, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	snprintf(
	    age, sizeof(age), "public, max-age=%d", MOD_PUBLISH_MAX_AGE_S);
	if (inm != NULL && strstr(inm, etag) != NULL)
		api_reply_headers(c, 304, ctype, hdrs, "", 0);
	else
		api_reply_headers(c, 200, ctype, hdrs, body, len);
}

static void
api_publish_serve(
    struct api_ctx *c, const struct api_publish_list *l, bool sig)
{
	struct api_publish_page p = { 0, MOD_MAX_FEED_CHANGES_PAGE_COUNT };
	struct buf              b;
	char                    s[FEED_SIG_B64_BYTES + 1];
	int                     rv;

	if (l->fmt == PUB_CHANGES
	    && (api_query_int(c, "since", 0, INT64_MAX, &p.since) != 0
	        || api_query_int(c, "limit", 1,
	               MOD_MAX_FEED_CHANGES_PAGE_COUNT, &p.limit)
	            != 0))
		return; /* answered */
	buf_init(&b, MOD_MAX_FEED_PUBLISH_BYTES);
	rv = api_publish_render(c, l, &p, &b);
	if (rv == 0 && sig)
		rv = api_publish_sign(c->conf, &b, s);
	if (rv != 0)
		api_error_rv(c, rv == MOD_EINVAL ? MOD_EINTERNAL : rv,
		    "could not publish %s%s", l->name, sig ? ".sig" : "");
	else if (sig)
		api_publish_reply(
		    c, "text/plain; charset=utf-8", s, strlen(s));
	else
		api_publish_reply(c, l->ctype, b.data ? b.data : "", b.len);
	buf_free(&b);
}

static void
api_publish_get(struct api_ctx *c)
{
	const struct api_publish_list *l;
	const char                    *file = api_param(c, "file");
	bool                           sig = false;

	if (!api_publish_allowed(c)) {
		api_error(c, 401, "unauthorized", "publish token required");
		return;
	}
	l = file != NULL ? api_publish_find(file, &sig) : NULL;
	if (l == NULL || (sig && c->conf->publish_key[0] == '\0')) {
		api_error(c, 404, "not_found", "no such list");
		return;
	}
	api_publish_serve(c, l, sig);
}

const struct api_route api_publish_routes[] = {
	{ "GET", "/v1/blocklist/{file}", API_ROLE_NONE, 0, NULL,
	    api_publish_get },
};
const size_t api_publish_nroutes = nitems(api_publish_routes);
