/*
 * api_queue.c - the Queue routes of doc/api.md, and GET /v1/me.
 *
 * Each handler checks its query or body with api.c's helpers (unknown
 * fields, wrong types and overlong strings are a 400 before anything is
 * read from or written to the database), calls one queue_*() function
 * (queue_read.c, queue_decide.c), and answers with the item as the
 * database has it after the change.  Roles: the route table sets the
 * least role of each call; the finer rules (triage may reject only items
 * proposing none or flag, the proposer may not approve, the two-person
 * rule) are decided in queue_decide.c against the locked row, and come
 * back as MOD_EAUTH (403) or MOD_EEXIST (409).
 *
 * Approvals go through queue_approve.c's group, so concurrent calls
 * share one commit, and each item comes back with its approval, read in
 * the same transaction (no second round trip).  Bulk calls report each id's
 * result; a refused id changes nothing.  Bulk approvals are committed
 * together, up to MOD_MAX_APPROVE_GROUP_COUNT at a time (each checked on its
 * own; after a database error each is retried alone); bulk rejections are one
 * transaction each.
 *
 * Not here: SQL (queue_*.c), authentication (api.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "conf.h"
#include "feeds.h"
#include "queue.h"
#include "queue_approve.h"
#include "util.h"

static const char *const api_queue_states[]
    = { "pending", "approved", "rejected", "applied", "failed", "all", NULL };
static const char *const api_queue_actions[] = { "none", "flag", "sensitive",
	"delete", "silence", "suspend", "noop", "unblock", NULL };
static const char *const api_queue_types[]
    = { "status", "account", "report", "domain", NULL };
static const char *const api_queue_manual_types[]
    = { "status", "account", "domain", NULL };
static const char *const api_queue_sources[]
    = { "rules", "feed", "manual", NULL };
static const char *const api_queue_ops[] = { "approve", "reject", NULL };

static void
api_queue_me(struct api_ctx *c)
{
	api_reply(c, 200,
	    json_pack("{s:s, s:s}", "user", c->user.name, "role",
	        api_role_name(c->user.role)));
}

/* api_queue_answer: reply with item id after a change (status 200/201),
 * or the error rv of the change. */
static void
api_queue_answer(struct api_ctx *c, int rv, const struct mod_err *err,
    int64_t id, uint16_t status)
{
	json_t *item = NULL;

	if (rv == 0)
		rv = queue_api_item(
		    c->db, id, c->conf->two_person_severity, &item);
	if (rv != 0) {
		api_error_rv(
		    c, rv, "%s", err->msg[0] ? err->msg : mod_strerror(rv));
		return;
	}
	api_reply(c, status, item);
}

/* ---- GET /v1/queue ---------------------------------------------------- */

static bool
api_queue_one_of(const char *s, const char *const *list)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* api_queue_enum: query parameter name among list (or absent). */
static int
api_queue_enum(struct api_ctx *c, const char *name, const char *const *list,
    const char **out)
{
	const char *s = NULL;

	if (api_query_str(c, name, MOD_MAX_API_NAME_BYTES, &s) != 0)
		return MOD_EINVAL;
	if (s != NULL && !api_queue_one_of(s, list)) {
		api_error(c, 400, "bad_request",
		    "query parameter %s: not an allowed value", name);
		return MOD_EINVAL;
	}
	if (s != NULL)
		*out = s;
	return 0;
}

/* api_queue_filters: the list's query parameters into *f. */
static int
api_queue_filters(struct api_ctx *c, struct queue_filter *f)
{
	int64_t cur[2] = { 0, 0 };

	f->state = "pending";
	if (api_queue_enum(c, "state", api_queue_states, &f->state) != 0
	    || api_queue_enum(c, "action", api_queue_actions, &f->action) != 0
	    || api_queue_enum(
	           c, "target_type", api_queue_types, &f->target_type)
	        != 0
	    || api_queue_enum(c, "source", api_queue_sources, &f->source) != 0
	    || api_query_str(c, "group", MOD_MAX_API_NAME_BYTES, &f->group)
	        != 0
	    || api_query_str(c, "rule", MOD_MAX_API_NAME_BYTES, &f->rule) != 0
	    || api_query_str(c, "feed", MOD_MAX_API_NAME_BYTES, &f->feed) != 0
	    || api_query_str(
	           c, "assignee", MOD_MAX_API_NAME_BYTES, &f->assignee)
	        != 0
	    || api_query_str(c, "target", MOD_MAX_ACCT_BYTES, &f->target) != 0
	    || api_query_int(c, "changeset", 1, INT64_MAX, &f->changeset) != 0
	    || api_query_limit(c, &f->limit) != 0
	    || api_query_cursor(c, cur, 2, &f->after) != 0)
		return MOD_EINVAL;
	if (strcmp(f->state, "all") == 0)
		f->state = NULL;
	if (f->assignee != NULL && strcmp(f->assignee, "none") == 0)
		f->assignee = "";
	f->after_priority = cur[0];
	f->after_id = cur[1];
	f->two_person = c->conf->two_person_severity;
	return 0;
}

static void
api_queue_list(struct api_ctx *c)
{
	struct queue_filter f;
	json_t             *items = NULL, *counts = NULL;
	bool                more = false;
	int64_t             last[2];
	int                 rv;

	memset(&f, 0, sizeof(f));
	if (api_queue_filters(c, &f) != 0)
		return;
	if ((rv = queue_api_list(c->db, &f, &items, &more, last)) != 0
	    || (rv = queue_api_counts(c->db, &f, &counts)) != 0) {
		json_decref(items);
		api_error_rv(c, rv, "could not read the queue");
		return;
	}
	api_reply(c, 200,
	    json_pack("{s:o, s:o, s:o}", "items", items, "next_cursor",
	        api_json_cursor(more, last, 2), "counts", counts));
}

/* ---- one item --------------------------------------------------------- */

static void
api_queue_show(struct api_ctx *c)
{
	json_t *item = NULL;
	int64_t id;
	int     rv;

	if (api_param_id(c, "id", &id) != 0)
		return;
	rv = queue_api_show(c->db, id, c->conf->two_person_severity, &item);
	if (rv != 0) {
		api_error_rv(c, rv,
		    rv == MOD_ENOENT ? "no such item"
		                     : "could not read the item");
		return;
	}
	api_reply(c, 200, item);
}

static void
api_queue_assign(struct api_ctx *c)
{
	static const char *const fields[] = { "user", NULL };
	struct mod_err           err = { 0 };
	const char              *user = NULL;
	int64_t                  id;

	if (api_param_id(c, "id", &id) != 0 || api_body_allow(c, fields) != 0
	    || api_body_str(c, "user", API_REQ | API_NULL,
	           MOD_MAX_API_NAME_BYTES, &user)
	        != 0)
		return;
	api_queue_answer(c, queue_assign(c->db, id, c->user.name, user, &err),
	    &err, id, 200);
}

/* api_queue_text: required, non-empty text field name of the body. */
static int
api_queue_text(struct api_ctx *c, const char *name, const char **out)
{
	if (api_body_str(c, name, API_REQ, MOD_MAX_API_TEXT_BYTES, out) != 0)
		return MOD_EINVAL;
	if ((*out)[0] == '\0') {
		api_error(c, 400, "bad_request", "field %s: empty", name);
		return MOD_EINVAL;
	}
	return 0;
}

static void
api_queue_comment(struct api_ctx *c)
{
	static const char *const fields[] = { "text", NULL };
	struct mod_err           err = { 0 };
	const char              *text = NULL;
	int64_t                  id, cid = 0;
	int                      rv;

	if (api_param_id(c, "id", &id) != 0 || api_body_allow(c, fields) != 0
	    || api_queue_text(c, "text", &text) != 0)
		return;
	rv = queue_comment(c->db, id, c->user.name, text, &cid, &err);
	if (rv != 0) {
		api_error_rv(c, rv, "%s", err.msg);
		return;
	}
	api_reply(c, 200, json_pack("{s:I}", "id", (json_int_t) cid));
}

/* api_queue_edit_fields: the body of an edit into *e. */
static int
api_queue_edit_fields(struct api_ctx *c, struct queue_edit *e)
{
	static const char *const fields[]
	    = { "action", "reject_media", "reject_reports", "obfuscate",
		      "public_comment", "private_comment", NULL };

	e->reject_media = e->reject_reports = e->obfuscate = -1;
	e->set_public = api_body_has(c, "public_comment");
	e->set_private = api_body_has(c, "private_comment");
	if (api_body_allow(c, fields) != 0
	    || api_body_enum(c, "action", 0, api_queue_actions, &e->action)
	        != 0
	    || api_body_bool(c, "reject_media", 0, &e->reject_media) != 0
	    || api_body_bool(c, "reject_reports", 0, &e->reject_reports) != 0
	    || api_body_bool(c, "obfuscate", 0, &e->obfuscate) != 0
	    || api_body_str(c, "public_comment", API_NULL,
	           MOD_MAX_API_TEXT_BYTES, &e->public_comment)
	        != 0
	    || api_body_str(c, "private_comment", API_NULL,
	           MOD_MAX_API_TEXT_BYTES, &e->private_comment)
	        != 0)
		return MOD_EINVAL;
	if (json_object_size(c->body) == 0) {
		api_error(c, 400, "bad_request", "nothing to edit");
		return MOD_EINVAL;
	}
	return 0;
}

static void
api_queue_edit(struct api_ctx *c)
{
	struct queue_edit e;
	struct mod_err    err = { 0 };
	int64_t           id;

	memset(&e, 0, sizeof(e));
	if (api_param_id(c, "id", &id) != 0
	    || api_queue_edit_fields(c, &e) != 0)
		return;
	api_queue_answer(
	    c, queue_edit(c->db, id, c->user.name, &e, &err), &err, id, 200);
}

static void
api_queue_approve(struct api_ctx *c)
{
	static const char *const fields[] = { "comment", NULL };
	struct mod_err           err = { 0 };
	struct queue_approval    a;

	memset(&a, 0, sizeof(a));
	if (api_param_id(c, "id", &a.id) != 0 || api_body_allow(c, fields) != 0
	    || api_body_str(
	           c, "comment", API_NULL, MOD_MAX_API_TEXT_BYTES, &a.comment)
	        != 0)
		return;
	a.actor = c->user.name;
	a.two_person = c->conf->two_person_severity;
	a.err = &err;
	a.want_item = true;
	if (queue_group_approve(c->approvals, c->db, &a) == 0
	    && a.item != NULL) {
		api_reply(c, 200, a.item); /* takes the reference */
		return;
	}
	api_queue_answer(c, a.rv, &err, a.id, 200);
}

static void
api_queue_reject(struct api_ctx *c)
{
	static const char *const fields[] = { "reason", NULL };
	struct mod_err           err = { 0 };
	const char              *reason = NULL;
	int64_t                  id;

	if (api_param_id(c, "id", &id) != 0 || api_body_allow(c, fields) != 0
	    || api_queue_text(c, "reason", &reason) != 0)
		return;
	api_queue_answer(c,
	    queue_reject(c->db, id, c->user.name, reason,
	        c->user.role < API_ROLE_MODERATOR, &err),
	    &err, id, 200);
}

/* ---- POST /v1/queue/bulk ---------------------------------------------- */

static const char *
api_queue_code(int rv)
{
	switch (rv) {
	case MOD_ENOENT:
		return "not_found";
	case MOD_EEXIST:
		return "conflict";
	case MOD_EAUTH:
		return "forbidden";
	case MOD_EINVAL:
		return "bad_request";
	case MOD_EDB:
		return "unavailable";
	default:
		return "internal";
	}
}

/* api_queue_bulk_one: the result object of id, whose operation
 * returned rv (err). */
static json_t *
api_queue_bulk_one(
    struct api_ctx *c, int64_t id, int rv, const struct mod_err *err)
{
	json_t *item = NULL, *r;

	if (rv == 0)
		rv = queue_api_item(
		    c->db, id, c->conf->two_person_severity, &item);
	if (rv != 0)
		return json_pack("{s:I, s:b, s:s, s:s}", "id", (json_int_t) id,
		    "ok", 0, "error", api_queue_code(rv), "message",
		    err->msg[0] ? err->msg : mod_strerror(rv));
	r = json_pack("{s:I, s:b, s:O}", "id", (json_int_t) id, "ok", 1,
	    "state", json_object_get(item, "state"));
	json_decref(item);
	return r;
}

/* api_queue_ids: the "ids" array: 1 to MOD_MAX_API_BULK_COUNT ids. */
static int
api_queue_ids(struct api_ctx *c, json_t **ids)
{
	size_t  i;
	json_t *v;

	*ids = json_object_get(c->body, "ids");
	if (!json_is_array(*ids) || json_array_size(*ids) == 0
	    || json_array_size(*ids) > MOD_MAX_API_BULK_COUNT) {
		api_error(c, 400, "bad_request",
		    "field ids: an array of 1 to %d item ids",
		    MOD_MAX_API_BULK_COUNT);
		return MOD_EINVAL;
	}
	json_array_foreach(*ids, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			api_error(c, 400, "bad_request",
			    "field ids: element %zu is not an item id", i);
			return MOD_EINVAL;
		}
	}
	return 0;
}

/* api_queue_bulk_run: op on ids[from ..] (at most a group), results
 * appended: approvals in one commit, rejections one by one. */
static void
api_queue_bulk_run(struct api_ctx *c, bool approve, const json_t *ids,
    size_t from, const char *reason, json_t *results)
{
	struct queue_approval a[MOD_MAX_APPROVE_GROUP_COUNT];
	struct mod_err        err[MOD_MAX_APPROVE_GROUP_COUNT];
	size_t                i, n = json_array_size(ids) - from;

	if (n > MOD_MAX_APPROVE_GROUP_COUNT)
		n = MOD_MAX_APPROVE_GROUP_COUNT;
	memset(a, 0, sizeof(a));
	memset(err, 0, sizeof(err));
	for (i = 0; i < n; i++) {
		a[i].id = json_integer_value(json_array_get(ids, from + i));
		a[i].actor = c->user.name;
		a[i].comment = reason;
		a[i].two_person = c->conf->two_person_severity;
		a[i].err = &err[i];
		if (!approve)
			a[i].rv = queue_reject(c->db, a[i].id, c->user.name,
			    reason, c->user.role < API_ROLE_MODERATOR,
			    &err[i]);
	}
	if (approve)
		queue_approve_batch(c->db, a, n);
	for (i = 0; i < n; i++)
		json_array_append_new(
		    results, api_queue_bulk_one(c, a[i].id, a[i].rv, &err[i]));
}

static void
api_queue_bulk(struct api_ctx *c)
{
	static const char *const fields[] = { "op", "ids", "reason", NULL };
	const char              *op = NULL, *reason = NULL;
	json_t                  *ids, *results;
	size_t                   i;
	bool                     approve;

	if (api_body_allow(c, fields) != 0
	    || api_body_enum(c, "op", API_REQ, api_queue_ops, &op) != 0
	    || api_queue_ids(c, &ids) != 0)
		return;
	approve = strcmp(op, "approve") == 0;
	if (approve && c->user.role < API_ROLE_MODERATOR) {
		api_error(c, 403, "forbidden",
		    "role %s may not approve proposals",
		    api_role_name(c->user.role));
		return;
	}
	if (approve ? api_body_str(c, "reason", API_NULL,
	                  MOD_MAX_API_TEXT_BYTES, &reason)
	            != 0
	            : api_queue_text(c, "reason", &reason) != 0)
		return;
	results = json_array();
	for (i = 0; i < json_array_size(ids); i += MOD_MAX_APPROVE_GROUP_COUNT)
		api_queue_bulk_run(c, approve, ids, i, reason, results);
	api_reply(c, 200, json_pack("{s:o}", "results", results));
}

/* ---- POST /v1/proposals ----------------------------------------------- */

/* api_queue_domain: m's target_id normalised into buf (domains only). */
static int
api_queue_domain(
    struct api_ctx *c, struct queue_manual *m, char *buf, size_t bufsz)
{
	struct mod_err err = { 0 };
	bool           masked = false;

	if (strcmp(m->target_type, "domain") != 0)
		return 0;
	if (feed_domain_normalise(
	        m->target_id, strlen(m->target_id), buf, bufsz, &masked, &err)
	        != 0
	    || masked) {
		api_error(c, 400, "bad_request", "field target_id: %s",
		    masked ? "a masked domain" : err.msg);
		return MOD_EINVAL;
	}
	m->target_id = buf;
	return 0;
}

/* api_queue_manual_fields: the body of a manual proposal into *m. */
static int
api_queue_manual_fields(struct api_ctx *c, struct queue_manual *m)
{
	static const char *const fields[]
	    = { "target_type", "target_id", "target_acct", "action",
		      "reject_media", "reject_reports", "obfuscate",
		      "public_comment", "private_comment", "reason", NULL };
	int rm = 0, rr = 0, ob = 0;

	if (api_body_allow(c, fields) != 0
	    || api_body_enum(c, "target_type", API_REQ, api_queue_manual_types,
	           &m->target_type)
	        != 0
	    || api_body_str(
	           c, "target_id", API_REQ, MOD_MAX_KEY_BYTES, &m->target_id)
	        != 0
	    || api_body_str(c, "target_acct", API_NULL, MOD_MAX_ACCT_BYTES,
	           &m->target_acct)
	        != 0
	    || api_body_enum(
	           c, "action", API_REQ, api_queue_actions, &m->action)
	        != 0
	    || api_body_bool(c, "reject_media", 0, &rm) != 0
	    || api_body_bool(c, "reject_reports", 0, &rr) != 0
	    || api_body_bool(c, "obfuscate", 0, &ob) != 0
	    || api_body_str(c, "public_comment", API_NULL,
	           MOD_MAX_API_TEXT_BYTES, &m->public_comment)
	        != 0
	    || api_body_str(c, "private_comment", API_NULL,
	           MOD_MAX_API_TEXT_BYTES, &m->private_comment)
	        != 0
	    || api_body_str(
	           c, "reason", API_NULL, MOD_MAX_API_TEXT_BYTES, &m->reason)
	        != 0)
		return MOD_EINVAL;
	m->reject_media = rm == 1;
	m->reject_reports = rr == 1;
	m->obfuscate = ob == 1;
	if (m->target_id[0] == '\0') {
		api_error(c, 400, "bad_request", "field target_id: empty");
		return MOD_EINVAL;
	}
	return 0;
}

static void
api_queue_propose(struct api_ctx *c)
{
	struct queue_manual m;
	struct mod_err      err = { 0 };
	char                domain[MOD_MAX_DOMAIN_BYTES + 1];
	int64_t             id = 0;
	int                 rv;

	memset(&m, 0, sizeof(m));
	if (api_queue_manual_fields(c, &m) != 0
	    || api_queue_domain(c, &m, domain, sizeof(domain)) != 0)
		return;
	rv = queue_propose(c->db, &m, c->user.name, &id, &err);
	api_queue_answer(c, rv, &err, id, 201);
}

const struct api_route api_queue_routes[] = {
	{ "GET", "/v1/me", API_ROLE_TRIAGE, 0, NULL, api_queue_me },
	{ "GET", "/v1/queue", API_ROLE_TRIAGE, 0, NULL, api_queue_list },
	{ "POST", "/v1/queue/bulk", API_ROLE_TRIAGE, API_BODY, NULL,
	    api_queue_bulk },
	{ "GET", "/v1/queue/{id}", API_ROLE_TRIAGE, 0, NULL, api_queue_show },
	{ "POST", "/v1/queue/{id}/assign", API_ROLE_TRIAGE, API_BODY, NULL,
	    api_queue_assign },
	{ "POST", "/v1/queue/{id}/comment", API_ROLE_TRIAGE, API_BODY, NULL,
	    api_queue_comment },
	{ "POST", "/v1/queue/{id}/edit", API_ROLE_MODERATOR, API_BODY,
	    "edit proposals", api_queue_edit },
	{ "POST", "/v1/queue/{id}/approve", API_ROLE_MODERATOR, API_BODY,
	    "approve proposals", api_queue_approve },
	{ "POST", "/v1/queue/{id}/reject", API_ROLE_TRIAGE, API_BODY, NULL,
	    api_queue_reject },
	{ "POST", "/v1/proposals", API_ROLE_MODERATOR, API_BODY,
	    "make manual proposals", api_queue_propose },
};
const size_t api_queue_nroutes = nitems(api_queue_routes);
