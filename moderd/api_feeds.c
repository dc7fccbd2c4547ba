/*
 * api_feeds.c - the "Feeds and change sets" routes of doc/api.md.
 *
 * GET /v1/feeds joins the configured subscriptions (the running
 * configuration is the list of feeds) with their stored state; a feed
 * never fetched shows nulls.  POST /v1/feeds/sync runs feedsync_run() on
 * this worker's connection, so the call returns when the sync is done
 * (fetch timeouts bound it), with the same summary the scheduler logs.
 * The change set calls read and decide held sets through queue_feed.c;
 * the items of a set are shown exactly as the queue shows them
 * (queue_api_item()).
 *
 * Not here: SQL (store_feeds.c, queue_feed.c), fetching and merging
 * (feedsync.c), authentication and roles (api.c and the route table).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "conf.h"
#include "feedsync.h"
#include "queue.h"
#include "util.h"

static const char *const api_feeds_cs_states[]
    = { "held", "approved", "rejected", NULL };

/* ---- GET /v1/feeds ---------------------------------------------------- */

static json_t *
api_feeds_str(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
api_feeds_one(const struct conf_feed *f, const struct feedsync_state *st)
{
	char url[MOD_MAX_FEED_URL_BYTES + MOD_MAX_PATH_BYTES];

	feedsync_feed_url(f, url, sizeof(url));
	return json_pack("{s:s, s:s, s:s, s:f, s:s, s:I, s:o, s:o, s:o, s:o,"
	                 " s:o, s:o, s:o, s:I}",
	    "name", f->name, "url", url, "format", f->format, "trust",
	    f->trust, "max_severity", f->max_severity, "refresh",
	    (json_int_t) (f->refresh_ms / 1000), "last_attempt_at",
	    api_json_time(st ? st->last_attempt_ms : INT64_MIN),
	    "last_success_at",
	    api_json_time(st ? st->last_success_ms : INT64_MIN), "last_error",
	    api_feeds_str(st ? st->last_error : NULL), "etag",
	    api_feeds_str(st ? st->etag : NULL), "last_modified",
	    api_feeds_str(st ? st->last_modified : NULL), "content_sha256",
	    api_feeds_str(st ? st->content_sha256 : NULL), "revision",
	    api_feeds_str(st ? st->revision : NULL), "entries",
	    (json_int_t) (st ? st->entries : 0));
}

static void
api_feeds_list(struct api_ctx *c)
{
	struct feedsync_state *v = NULL;
	size_t                 n = 0, i, j;
	json_t                *a;
	int                    rv;

	if ((rv = store_feeds_list(c->db, &v, &n)) != 0) {
		api_error_rv(c, rv, "could not read the feeds");
		return;
	}
	a = json_array();
	for (i = 0; i < c->conf->nfeed; i++) {
		for (j = 0; j < n && strcmp(v[j].name, c->conf->feed[i].name);
		     j++)
			;
		json_array_append_new(
		    a, api_feeds_one(&c->conf->feed[i], j < n ? &v[j] : NULL));
	}
	feedsync_states_free(v, n);
	api_reply(c, 200, json_pack("{s:o}", "feeds", a));
}

/* ---- POST /v1/feeds/sync ---------------------------------------------- */

static json_t *
api_feeds_summary(const struct feedsync_result *r)
{
	json_t *a = json_array();
	size_t  i;

	for (i = 0; i < r->nfeeds; i++)
		json_array_append_new(a,
		    json_pack("{s:s, s:s, s:o}", "name", r->feeds[i].name,
		        "status", feedsync_status_name(r->feeds[i].status),
		        "error", api_feeds_str(r->feeds[i].error)));
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:b, s:o}", "feeds", a,
	    "added", (json_int_t) r->added, "changed", (json_int_t) r->changed,
	    "retracted", (json_int_t) r->retracted, "suppressed",
	    (json_int_t) r->suppressed, "held", r->held, "changeset_id",
	    r->changeset_id > 0 ? json_integer(r->changeset_id) : json_null());
}

static void
api_feeds_sync(struct api_ctx *c)
{
	static const char *const fields[] = { "name", NULL };
	struct feedsync_result   r = { 0 };
	struct mod_err           err = { 0 };
	const char              *name = NULL;
	int                      rv;

	if (api_body_allow(c, fields) != 0
	    || api_body_str(c, "name", API_NULL, MOD_MAX_API_NAME_BYTES, &name)
	        != 0)
		return;
	if ((rv = feedsync_run(c->db, c->conf, name, &r, &err)) != 0) {
		api_error_rv(c, rv == MOD_EINVAL ? MOD_EINTERNAL : rv, "%s",
		    err.msg[0] ? err.msg : mod_strerror(rv));
		return;
	}
	api_reply(c, 200, api_feeds_summary(&r));
	feedsync_result_free(&r);
}

/* ---- change sets ------------------------------------------------------ */

static json_t *
api_feeds_cs(const struct queue_changeset *cs)
{
	return json_pack("{s:I, s:s, s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
	    "id", (json_int_t) cs->id, "state", cs->state, "created_at",
	    api_json_time(cs->created_ms), "nadd", (json_int_t) cs->nadd,
	    "nchange", (json_int_t) cs->nchange, "nretract",
	    (json_int_t) cs->nretract, "revision", api_feeds_str(cs->revision),
	    "reason", api_feeds_str(cs->reason), "decided_by",
	    api_feeds_str(cs->decided_by), "decided_at",
	    api_json_time(cs->decided_ms));
}

static void
api_feeds_cs_list(struct api_ctx *c)
{
	struct queue_changeset *v = NULL;
	const char             *state = NULL;
	size_t                  n = 0, i, limit = 0;
	json_t                 *a;
	int                     rv;

	if (api_query_str(c, "state", 16, &state) != 0
	    || api_query_limit(c, &limit) != 0)
		return;
	for (i = 0; state != NULL && api_feeds_cs_states[i] != NULL; i++)
		if (strcmp(state, api_feeds_cs_states[i]) == 0)
			break;
	if (state != NULL && api_feeds_cs_states[i] == NULL) {
		api_error(c, 400, "bad_request",
		    "state must be held, approved or rejected");
		return;
	}
	if ((rv = queue_changesets_list(c->db, state, limit, &v, &n)) != 0) {
		api_error_rv(c, rv, "could not read the change sets");
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, api_feeds_cs(&v[i]));
	queue_changesets_free(v, n);
	api_reply(c, 200, json_pack("{s:o}", "changesets", a));
}

/* api_feeds_cs_reply: change set id with its items. */
static void
api_feeds_cs_reply(struct api_ctx *c, int64_t id)
{
	struct queue_changeset cs;
	int64_t               *ids = NULL;
	size_t                 n = 0, i;
	json_t                *j = NULL, *items, *item;
	int                    rv;

	if ((rv = queue_changeset_get(c->db, id, &cs, &ids, &n)) != 0) {
		api_error_rv(c, rv, "no change set %" PRId64, id);
		return;
	}
	items = json_array();
	for (i = 0; rv == 0 && i < n; i++)
		if ((rv = queue_api_item(
		         c->db, ids[i], c->conf->two_person_severity, &item))
		    == 0)
			json_array_append_new(items, item);
	if (rv == 0) {
		j = api_feeds_cs(&cs);
		json_object_set_new(j, "items", items);
		api_reply(c, 200, j);
	} else {
		json_decref(items);
		api_error_rv(c, rv, "could not read the change set");
	}
	queue_changeset_clear(&cs);
	free(ids);
}

static void
api_feeds_cs_show(struct api_ctx *c)
{
	int64_t id;

	if (api_param_id(c, "id", &id) == 0)
		api_feeds_cs_reply(c, id);
}

/* api_feeds_cs_decide: sign-off (approve) or rejection of a held set. */
static void
api_feeds_cs_decide(struct api_ctx *c, bool approve)
{
	static const char *const afields[] = { "comment", NULL };
	static const char *const rfields[] = { "reason", NULL };
	const char              *text = NULL;
	size_t                   n = 0;
	int64_t                  id;
	int                      rv;

	if (api_param_id(c, "id", &id) != 0
	    || api_body_allow(c, approve ? afields : rfields) != 0
	    || api_body_str(c, approve ? "comment" : "reason",
	           approve ? API_NULL : API_REQ, MOD_MAX_API_TEXT_BYTES, &text)
	        != 0)
		return;
	rv = approve
	    ? queue_changeset_approve(c->db, id, c->user.name, text,
	        c->conf->two_person_severity, &n)
	    : queue_changeset_reject(c->db, id, c->user.name, text, &n);
	if (rv == MOD_EEXIST)
		api_error(c, 409, "conflict",
		    "change set %" PRId64 " is not held", id);
	else if (rv == MOD_EAUTH)
		api_error(c, 409, "conflict",
		    "%s has already signed off change set %" PRId64
		    "; its items that need two approvals wait for a second "
		    "admin",
		    c->user.name, id);
	else if (rv != 0)
		api_error_rv(
		    c, rv, "could not decide change set %" PRId64, id);
	else
		api_feeds_cs_reply(c, id);
}

static void
api_feeds_cs_approve(struct api_ctx *c)
{
	api_feeds_cs_decide(c, true);
}

static void
api_feeds_cs_reject(struct api_ctx *c)
{
	api_feeds_cs_decide(c, false);
}

const struct api_route api_feeds_routes[] = {
	{ "GET", "/v1/feeds", API_ROLE_TRIAGE, 0, NULL, api_feeds_list },
	{ "POST", "/v1/feeds/sync", API_ROLE_ADMIN, API_BODY, "sync feeds",
	    api_feeds_sync },
	{ "GET", "/v1/changesets", API_ROLE_TRIAGE, 0, NULL,
	    api_feeds_cs_list },
	{ "GET", "/v1/changesets/{id}", API_ROLE_TRIAGE, 0, NULL,
	    api_feeds_cs_show },
	{ "POST", "/v1/changesets/{id}/approve", API_ROLE_ADMIN, API_BODY,
	    "sign off change sets", api_feeds_cs_approve },
	{ "POST", "/v1/changesets/{id}/reject", API_ROLE_ADMIN, API_BODY,
	    "reject change sets", api_feeds_cs_reject },
};
const size_t api_feeds_nroutes = nitems(api_feeds_routes);
