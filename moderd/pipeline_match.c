/*
 * pipeline_match.c - what a matcher worker does with one event.
 *
 * Parse (event_json.c), normalise (event_view.c), match (rules/) and
 * decide; then describe the outcome as a struct pipe_result for the store
 * stage: a proposal with its frozen evidence snapshot, a report triage
 * item (every report gets one, with or without rule hits), or a rejected
 * input for the dead-letter table.  Events that need nothing are
 * acknowledged by the caller without touching the database.
 *
 * The target of a proposal follows from its action: flag, sensitive and
 * delete act on the status, silence and suspend on its account; account
 * events target the account and reports the report.  Logs carry ids and
 * rule names only; the evidence snapshot, which does contain the text as
 * it was, goes to the database.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "pipeline_impl.h"
#include "text.h"
#include "util.h"

#define PIPE_SNAPSHOT_TEXT_BYTES 4096 /* text kept in the evidence */

struct pipe_item *
pipe_item_new(enum pipe_source src, const char *name, char *data, size_t len,
    pipe_done_fn done, void *arg)
{
	struct pipe_item *it = xcalloc(1, sizeof(*it));

	it->data = data;
	it->len = len;
	it->src = src;
	mod_strlcpy(it->name, name ? name : "", sizeof(it->name));
	it->done = done;
	it->arg = arg;
	it->t0_ms = mod_mono_ms();
	return it;
}

static void
pipe_result_clear(struct pipe_result *r)
{
	size_t i;

	for (i = 0; i < r->nhits; i++) {
		free(r->hits[i].rule);
		free(r->hits[i].group);
		free(r->hits[i].target);
		free(r->hits[i].excerpt);
	}
	free(r->hits);
	free(r->reason);
	free(r->source_name);
	free(r->dedup_key);
	free(r->object_id);
	free(r->target_id);
	free(r->target_account_id);
	free(r->target_acct);
	free(r->report_category);
	free(r->evidence_json);
	memset(r, 0, sizeof(*r));
}

void
pipe_item_free(struct pipe_item *it)
{
	if (it == NULL)
		return;
	pipe_result_clear(&it->res);
	free(it->data);
	free(it);
}

void
pipe_item_done(struct pipe_item *it, int rc, const char *msg)
{
	if (it->done != NULL)
		it->done(it->arg, rc, msg);
	it->done = NULL;
}

struct pipe_result *
pipe_item_result(struct pipe_item *it)
{
	return &it->res;
}

int
pipe_item_rc(const struct pipe_item *it)
{
	return it->res.kind == PIPE_R_REJECT ? MOD_EINVAL : 0;
}

bool
pipe_item_sender_waits(const struct pipe_item *it)
{
	return it->src == PIPE_SRC_REP || it->src == PIPE_SRC_WEBHOOK;
}

void
pipe_matcher_reset(struct pipe_matcher *pm, struct ruleset *rs)
{
	rule_matcher_free(pm->m);
	pm->m = NULL;
	if (rs != NULL && rule_matcher_new(rs, &pm->m) != 0)
		fatalx("pipeline: could not create a matcher");
	ruleset_unref(rs); /* the matcher holds its own reference */
}

/* Classify a parse error for metrics and the dead-letter table. */
static enum pipe_reject
pipe_reject_kind(int code, const char *msg)
{
	if (code == MOD_ETOOBIG)
		return PIPE_REJ_TOO_LARGE;
	if (code == MOD_EUTF8)
		return PIPE_REJ_INVALID_UTF8;
	if (strstr(msg, "unknown event") != NULL)
		return PIPE_REJ_UNKNOWN_EVENT;
	if (strstr(msg, "expected ") != NULL)
		return PIPE_REJ_WRONG_TYPE;
	return code == MOD_EINVAL ? PIPE_REJ_MALFORMED : PIPE_REJ_OTHER;
}

static const char *const pipe_reject_names[PIPE_REJ_COUNT] = { "malformed",
	"too_large", "unknown_event", "wrong_type", "invalid_utf8", "other" };

const char *
pipeline_reject_name(enum pipe_reject r)
{
	return (unsigned) r < PIPE_REJ_COUNT ? pipe_reject_names[r] : "other";
}

static enum pipe_done
pipe_reject(struct pipe_item *it, int code, const char *msg)
{
	struct pipe_result *r = &it->res;

	pipe_result_clear(r);
	r->kind = PIPE_R_REJECT;
	r->reject = pipe_reject_kind(code, msg);
	r->reason = xstrdup(msg);
	r->source = pipeline_source_name(it->src);
	r->source_name = xstrdup(it->name);
	r->raw = it->data;
	r->rawlen = it->len;
	metrics_rejected(metrics_reason_from_pipe(r->reject));
	log_flood(LOG_FLOOD_REJECT, "pipeline: %s %s: rejected event (%s): %s",
	    r->source, it->name, pipeline_reject_name(r->reject), msg);
	return PIPE_DONE_STORE;
}

static char *
pipe_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* The account an event is about: the status author, the reported
 * account, or the account itself. */
static const struct event_account *
pipe_account(const struct event *ev)
{
	switch (ev->kind) {
	case EVENT_STATUS_CREATED:
	case EVENT_STATUS_UPDATED:
		return &ev->status.account;
	case EVENT_REPORT_CREATED:
	case EVENT_REPORT_UPDATED:
		return &ev->report.target;
	default:
		return &ev->account;
	}
}

static void
pipe_target(
    struct pipe_result *r, const struct event *ev, enum rule_action action)
{
	const struct event_account *a = pipe_account(ev);

	r->target_account_id = pipe_dup(a->id);
	r->target_acct = pipe_dup(a->acct ? a->acct : a->username);
	r->is_report = ev->kind == EVENT_REPORT_CREATED
	    || ev->kind == EVENT_REPORT_UPDATED;
	if (r->is_report) {
		r->target_type = "report";
		r->target_id = pipe_dup(ev->report.id);
		r->report_category = pipe_dup(ev->report.category);
	} else if (ev->status.id != NULL && action < RULE_A_SILENCE) {
		r->target_type = "status";
		r->target_id = pipe_dup(ev->status.id);
	} else {
		r->target_type = "account";
		r->target_id = pipe_dup(a->id);
	}
}

static void
pipe_hits(struct pipe_result *r, const struct rule_verdict *v)
{
	size_t i;

	r->hits = xcalloc(v->nhits ? v->nhits : 1, sizeof(*r->hits));
	r->nhits = v->nhits;
	for (i = 0; i < v->nhits; i++) {
		const struct rule_hit *h = &v->hits[i];

		r->hits[i].rule = xstrdup(h->rule);
		r->hits[i].group = xstrdup(h->group);
		r->hits[i].target = xstrdup(h->target == RULE_T_COUNT
		        ? "conditions"
		        : rule_target_name(h->target));
		r->hits[i].excerpt = xstrdup(h->excerpt);
		r->hits[i].offset = h->off;
		r->hits[i].length = h->len;
		r->hits[i].score = h->score;
	}
}

/* The text as it was (raw view, first value), capped. */
static json_t *
pipe_snapshot_text(const struct rule_fields *f, enum rule_target t)
{
	size_t n;

	if (f->raw[t].n == 0)
		return json_null();
	n = text_utf8_trim(
	    f->raw[t].v[0].s, f->raw[t].v[0].len, PIPE_SNAPSHOT_TEXT_BYTES);
	return json_stringn(f->raw[t].v[0].s, n);
}

static json_t *
pipe_snapshot_hits(const struct pipe_result *r)
{
	json_t *a = json_array();
	size_t  i;

	for (i = 0; i < r->nhits; i++)
		/* json_pack's "o" steals the reference it is given. */
		json_array_append_new(a,
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f}", "rule",
		        r->hits[i].rule, "group", r->hits[i].group, "target",
		        r->hits[i].target, "excerpt", r->hits[i].excerpt,
		        "offset", (json_int_t) r->hits[i].offset, "length",
		        (json_int_t) r->hits[i].length, "score",
		        r->hits[i].score));
	return a;
}

static json_t *
pipe_snapshot_uneval(const struct rule_verdict *v)
{
	json_t *a = json_array();
	size_t  i;

	for (i = 0; i < v->nuneval; i++)
		json_array_append_new(a,
		    json_pack("{s:s, s:s, s:s}", "rule", v->uneval[i].rule,
		        "target", rule_target_name(v->uneval[i].target),
		        "reason", v->uneval[i].reason));
	return a;
}

static json_t *
pipe_snapshot_str(const char *s)
{
	size_t n;

	if (s == NULL)
		return json_null();
	n = text_utf8_trim(s, strlen(s), PIPE_SNAPSHOT_TEXT_BYTES);
	return json_stringn(s, n);
}

static json_t *
pipe_snapshot_count(int64_t n)
{
	return n < 0 ? json_null() : json_integer((json_int_t) n);
}

/* The account as it was: who the moderator is judging. */
static json_t *
pipe_snapshot_account(const struct event_account *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", pipe_snapshot_str(a->id));
	json_object_set_new(o, "acct", pipe_snapshot_str(a->acct));
	json_object_set_new(o, "domain", pipe_snapshot_str(a->domain));
	json_object_set_new(o, "created_at", api_json_time(a->created_at_ms));
	json_object_set_new(
	    o, "followers_count", pipe_snapshot_count(a->followers));
	json_object_set_new(
	    o, "statuses_count", pipe_snapshot_count(a->statuses));
	json_object_set_new(o, "bot", json_boolean(a->bot));
	return o;
}

static json_t *
pipe_snapshot_strs(const struct event_strs *s)
{
	json_t *a = json_array();
	size_t  i;

	for (i = 0; i < s->n; i++)
		json_array_append_new(a, pipe_snapshot_str(s->v[i]));
	return a;
}

/* The report as it was filed. */
static json_t *
pipe_snapshot_report(const struct event_report *rp)
{
	json_t *o = json_object(), *ids = json_array();
	size_t  i;

	for (i = 0; i < rp->nstatuses; i++)
		json_array_append_new(
		    ids, pipe_snapshot_str(rp->statuses[i].id));
	json_object_set_new(o, "id", pipe_snapshot_str(rp->id));
	json_object_set_new(o, "category", pipe_snapshot_str(rp->category));
	json_object_set_new(o, "comment", pipe_snapshot_str(rp->comment));
	json_object_set_new(o, "reporter",
	    pipe_snapshot_str(
	        rp->reporter.present ? rp->reporter.acct : NULL));
	json_object_set_new(o, "status_ids", ids);
	json_object_set_new(o, "rule_ids", pipe_snapshot_strs(&rp->rule_ids));
	return o;
}

/* The account an event is about, or NULL. */
static const struct event_account *
pipe_snapshot_who(const struct pipe_result *r, const struct event *ev)
{
	const struct event_account *a = r->is_report ? &ev->report.target
	    : ev->account.present                    ? &ev->account
	                                             : &ev->status.account;

	return a->present ? a : NULL;
}

/* The frozen evidence: what was seen, when, and why it matched. */
static void
pipe_snapshot(struct pipe_result *r, const struct event *ev,
    const struct rule_fields *f, const struct rule_verdict *v)
{
	json_t *o = json_object();

	json_object_set_new(o, "event", json_string(r->event_kind));
	json_object_set_new(o, "object_id", json_string(r->object_id));
	json_object_set_new(o, "dedup_key", json_string(r->dedup_key));
	json_object_set_new(o, "source", json_string(r->source));
	json_object_set_new(o, "intake", json_string(r->source_name));
	json_object_set_new(o, "acct",
	    r->target_acct ? json_string(r->target_acct) : json_null());
	if (pipe_snapshot_who(r, ev) != NULL)
		json_object_set_new(o, "account",
		    pipe_snapshot_account(pipe_snapshot_who(r, ev)));
	if (r->is_report)
		json_object_set_new(
		    o, "report", pipe_snapshot_report(&ev->report));
	json_object_set_new(o, "url",
	    ev->status.url ? json_string(ev->status.url) : json_null());
	json_object_set_new(o, "score", json_real(v->score));
	json_object_set_new(o, "action", json_string(r->action));
	json_object_set_new(o, "hits", pipe_snapshot_hits(r));
	json_object_set_new(o, "unevaluated", pipe_snapshot_uneval(v));
	json_object_set_new(o, "text", pipe_snapshot_text(f, RULE_T_TEXT));
	json_object_set_new(
	    o, "spoiler", pipe_snapshot_text(f, RULE_T_SPOILER));
	if (r->is_report)
		json_object_set_new(o, "report_comment",
		    pipe_snapshot_text(f, RULE_T_REPORT_COMMENT));
	r->evidence_json = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (r->evidence_json == NULL)
		fatalx("pipeline: could not encode evidence");
}

static void
pipe_describe(struct pipe_item *it, const struct event *ev,
    const struct rule_fields *f, const struct rule_verdict *v,
    enum rule_action action)
{
	struct pipe_result *r = &it->res;
	char                key[MOD_MAX_ID_BYTES * 4];

	pipe_result_clear(r);
	r->kind = PIPE_R_PROPOSE;
	r->source = pipeline_source_name(it->src);
	r->source_name = xstrdup(it->name);
	if (event_dedup_key(ev, key, sizeof(key)) != 0)
		key[0] = '\0';
	r->dedup_key = xstrdup(key);
	r->event_kind = event_kind_name(ev->kind);
	r->object_id = pipe_dup(ev->object_id);
	r->event_ms = ev->created_at_ms;
	r->action = rule_action_name(action);
	r->score = v->score;
	pipe_target(r, ev, action);
	pipe_hits(r, v);
	pipe_snapshot(r, ev, f, v);
}

static void
pipe_log_verdict(const struct pipe_item *it, const struct event *ev,
    const struct rule_verdict *v, enum rule_action action)
{
	size_t i;

	for (i = 0; i < v->nhits; i++)
		metrics_rule_hit_name(v->hits[i].rule);
	for (i = 0; i < v->nuneval; i++)
		metrics_rule_unevaluated_name(v->uneval[i].rule);

	for (i = 0; i < v->nuneval; i++)
		log_flood(LOG_FLOOD_UNEVAL,
		    "event %s %s: %s could not be evaluated (%s)",
		    event_kind_name(ev->kind), ev->object_id,
		    v->uneval[i].rule, v->uneval[i].reason);
	if (action != RULE_A_NONE)
		log_debug("event %s %s: score %.1f, %zu hits, action %s (%s)",
		    event_kind_name(ev->kind), ev->object_id, v->score,
		    v->nhits, rule_action_name(action), it->name);
}

enum pipe_done
pipe_match(struct pipe_matcher *pm, struct pipe_item *it)
{
	struct event              *ev = NULL;
	struct event_view         *view = NULL;
	const struct rule_verdict *v;
	struct mod_err             err = { 0 };
	enum rule_action           action;
	enum pipe_done             rv;
	int                        rc;

	if ((rc = event_parse(it->data, it->len, &ev, &err)) != 0
	    || (rc = event_view_build(ev, &view, &err)) != 0) {
		rv = pipe_reject(it, rc, err.msg);
		goto out;
	}
	if ((rc = rule_matcher_run(pm->m, event_view_fields(view), 0, &v))
	    != 0) {
		rv = pipe_reject(it, rc, "could not run the rules");
		goto out;
	}
	action = rule_decide(&pm->th, v);
	pipe_log_verdict(it, ev, v, action);
	rv = PIPE_DONE_NO_ACTION;
	if (action != RULE_A_NONE || ev->kind == EVENT_REPORT_CREATED
	    || ev->kind == EVENT_REPORT_UPDATED) {
		pipe_describe(it, ev, event_view_fields(view), v, action);
		rv = PIPE_DONE_STORE;
	}
out:
	event_view_free(view);
	event_free(ev);
	return rv;
}
