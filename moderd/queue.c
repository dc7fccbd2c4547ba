/*
 * queue.c - storing processed events as proposals, and reading the queue.
 *
 * queue_record_batch() is the DB writer's one call per batch.  In ONE
 * transaction, in order, for each record: a dead letter is inserted; a
 * record needing nothing (action none, not a report) is skipped without a
 * trace; any other record first claims its dedup key in deliveries
 * (INSERT ... ON CONFLICT DO NOTHING: a key already there means a
 * duplicate delivery, and nothing else happens), then inserts a proposal
 * or merges into the pending one for the same (target type, target id,
 * action) with one INSERT ... ON CONFLICT DO UPDATE on the partial unique
 * index (count + 1, max score, union of rules and groups, evidence
 * appended up to MOD_MAX_EVIDENCE_COUNT, priority recomputed), and writes
 * the audit row.  Any failure rolls the whole batch back; the caller
 * retries it, and the dedup keys make the retry exact.
 *
 * Invariants: the transaction takes the audit head lock first (see
 * audit.h), so concurrent writers - two moderd processes - serialise on
 * it before touching any proposal and cannot deadlock; every string that
 * came from an event goes through store_text() and every snapshot is
 * checked or built here, so no event content can make a statement fail
 * and wedge the writer on a batch it retries forever.
 *
 * What it deliberately does not do: decide anything (the action, target
 * and score come from the matcher), prune old deliveries, or change the
 * state of a proposal (approval and dispatch are issue 5).
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "audit.h"
#include "buf.h"
#include "log.h"
#include "queue.h"
#include "util.h"

static const char SQL_INSERT_DELIVERY[]
    = "INSERT INTO deliveries (dedup_key, event_kind, object_id, intake)"
      " VALUES ($1, $2, $3, $4) ON CONFLICT (dedup_key) DO NOTHING"
      " RETURNING 1";
static const char SQL_UPSERT_PROPOSAL[]
    = "INSERT INTO proposals AS p (target_type, target_id,"
      " target_account_id, target_acct, action, score, priority, rules,"
      " groups, evidence, source, report_category)"
      " VALUES ($1, $2, $3, $4, $5, $6::float8,"
      "  queue_priority($1, $5, $11, $6::float8, 1, 0),"
      "  ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text($7::jsonb)"
      "   AS x ORDER BY 1),"
      "  ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text($8::jsonb)"
      "   AS x ORDER BY 1),"
      "  jsonb_build_array($9::jsonb), $10, $11)"
      " ON CONFLICT (target_type, target_id, action)"
      "  WHERE state = 'pending' DO UPDATE SET"
      " count = p.count + 1,"
      " score = greatest(p.score, excluded.score),"
      " priority = queue_priority(p.target_type, p.action,"
      "  coalesce(excluded.report_category, p.report_category),"
      "  greatest(p.score, excluded.score), p.count + 1, 0),"
      " rules = ARRAY(SELECT DISTINCT x FROM unnest(p.rules || excluded.rules)"
      "  AS x ORDER BY 1),"
      " groups = ARRAY(SELECT DISTINCT x FROM"
      "  unnest(p.groups || excluded.groups) AS x ORDER BY 1),"
      " evidence = CASE WHEN jsonb_array_length(p.evidence) < $12::integer"
      "  THEN p.evidence || excluded.evidence ELSE p.evidence END,"
      " target_account_id = coalesce(excluded.target_account_id,"
      "  p.target_account_id),"
      " target_acct = coalesce(excluded.target_acct, p.target_acct),"
      " report_category = coalesce(excluded.report_category,"
      "  p.report_category),"
      " updated_at = now()"
      " RETURNING id, count";
static const char SQL_UPDATE_REPORT_PRIORITY[]
    = "UPDATE proposals AS p SET priority = queue_priority(p.target_type,"
      " p.action, p.report_category, p.score, p.count,"
      " (SELECT count(DISTINCT q.target_id) FROM proposals AS q"
      "  WHERE q.state = 'pending' AND q.target_type = 'report'"
      "  AND q.target_account_id = p.target_account_id"
      "  AND q.target_id <> p.target_id))"
      " WHERE p.state = 'pending' AND p.target_type = 'report'"
      " AND p.target_account_id = $1";
static const char SQL_INSERT_DEAD_LETTER[]
    = "INSERT INTO dead_letters (source, reason, payload, payload_bytes)"
      " VALUES ($1, $2, $3, $4::bigint) RETURNING id";
static const char SQL_SELECT_PENDING[]
    = "SELECT id, target_type, target_id, coalesce(target_acct, '')"
      " AS target_acct, action, coalesce(report_category, '')"
      " AS report_category, array_to_string(rules, ',') AS rules, score,"
      " priority, count, jsonb_array_length(evidence) AS evidence_count,"
      " (extract(epoch FROM created_at) * 1000)::bigint AS created_ms,"
      " (extract(epoch FROM updated_at) * 1000)::bigint AS updated_ms"
      " FROM proposals WHERE state = 'pending'"
      " ORDER BY priority DESC, created_at, id LIMIT $1::integer";
static const char SQL_COUNT_PROPOSALS[]
    = "SELECT state, count(*) AS n FROM proposals GROUP BY state";
static const char SQL_COUNT_DEAD_LETTERS[]
    = "SELECT count(*) FROM dead_letters";

static const char *const queue_outcome_names[]
    = { "new", "merged", "duplicate", "noop", "dead" };
static const char *const queue_target_types[]
    = { "status", "account", "report", "domain" };
static const char *const queue_actions[]
    = { "none", "flag", "sensitive", "delete", "silence", "suspend" };
static const char *const queue_origins[] = { "rules", "feed", "manual" };

/* What a record asks for. */
enum queue_kind { QUEUE_K_NOOP, QUEUE_K_DEAD, QUEUE_K_PROPOSAL };

/* The strings of a proposal record, repaired (store_text) and owned. */
struct queue_strs {
	char *dedup_key, *event_kind, *object_id, *intake;
	char *target_type, *target_id, *account_id, *acct, *action;
	char *category, *origin, *revision;
	char *snapshot, *rules, *groups, *reason;
};

const char *
queue_outcome_name(int outcome)
{
	if (outcome < 0 || outcome >= QUEUE_OUTCOME_COUNT)
		return "unknown";
	return queue_outcome_names[outcome];
}

static bool
queue_in(const char *s, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

static bool
queue_key_ok(const char *s)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= MOD_MAX_KEY_BYTES;
}

static enum queue_kind
queue_kind(const struct queue_record *r)
{
	if (r->dead_reason != NULL)
		return QUEUE_K_DEAD;
	if (!r->is_report && r->action != NULL
	    && strcmp(r->action, "none") == 0)
		return QUEUE_K_NOOP;
	return QUEUE_K_PROPOSAL;
}

/* queue_record_ok: every field a proposal needs is there and sane. */
static bool
queue_record_ok(const struct queue_record *r)
{
	if (queue_kind(r) == QUEUE_K_DEAD)
		return r->payload != NULL || r->payload_len == 0;
	if (!queue_in(r->action, queue_actions, nitems(queue_actions)))
		return false;
	if (queue_kind(r) == QUEUE_K_NOOP)
		return true;
	if (!queue_key_ok(r->dedup_key) || !queue_key_ok(r->event_kind)
	    || !queue_key_ok(r->object_id) || !queue_key_ok(r->target_id))
		return false;
	if (!queue_in(r->target_type, queue_target_types,
	        nitems(queue_target_types)))
		return false;
	if (r->origin != NULL
	    && !queue_in(r->origin, queue_origins, nitems(queue_origins)))
		return false;
	if ((r->nhits > 0 && r->hits == NULL)
	    || (r->ntexts > 0 && r->texts == NULL))
		return false;
	return isfinite(r->score);
}

/* --- the evidence snapshot -------------------------------------------- */

/* queue_json_str: a JSON string of s repaired and cut at max, or null. */
static json_t *
queue_json_str(const char *s, size_t max, bool *cut)
{
	char   *t;
	json_t *j;

	if (s == NULL)
		return json_null();
	t = store_text(s, max);
	if (cut != NULL && strlen(t) < strlen(s))
		*cut = true;
	j = json_string(t);
	free(t);
	return j != NULL ? j : json_null();
}

static json_t *
queue_json_real(double d)
{
	return json_real(isfinite(d) ? d : 0.0);
}

/* queue_json_time: ms since the epoch as "2024-01-31T12:00:00.000Z". */
static json_t *
queue_json_time(int64_t ms)
{
	struct tm tm;
	time_t    secs;
	int64_t   rem;
	char      out[48];

	if (ms == INT64_MIN)
		return json_null();
	rem = ms % 1000;
	if (rem < 0)
		rem += 1000;
	secs = (time_t) ((ms - rem) / 1000);
	if (gmtime_r(&secs, &tm) == NULL)
		return json_null();
	snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int) rem);
	return json_string(out);
}

static json_t *
queue_snap_hit(const struct queue_hit *h)
{
	json_t *o = json_object();

	json_object_set_new(o, "rule", queue_json_str(h->rule, 256, NULL));
	json_object_set_new(o, "group", queue_json_str(h->group, 256, NULL));
	json_object_set_new(o, "target", queue_json_str(h->target, 64, NULL));
	json_object_set_new(o, "excerpt",
	    queue_json_str(h->excerpt, MOD_MAX_EXCERPT_BYTES, NULL));
	json_object_set_new(o, "offset", json_integer((json_int_t) h->offset));
	json_object_set_new(o, "length", json_integer((json_int_t) h->length));
	json_object_set_new(o, "score", queue_json_real(h->score));
	return o;
}

static json_t *
queue_snap_hits(const struct queue_record *r, bool *cut)
{
	json_t *a = json_array();
	size_t  i;

	for (i = 0; i < r->nhits && i < MOD_MAX_SNAPSHOT_HITS_COUNT; i++)
		json_array_append_new(a, queue_snap_hit(&r->hits[i]));
	if (r->nhits > MOD_MAX_SNAPSHOT_HITS_COUNT)
		*cut = true;
	return a;
}

static json_t *
queue_snap_texts(const struct queue_record *r, bool *cut)
{
	json_t *o = json_object();
	char   *name;
	size_t  i;

	for (i = 0; i < r->ntexts && i < MOD_MAX_SNAPSHOT_TEXTS_COUNT; i++) {
		if (r->texts[i].name == NULL)
			continue;
		name = store_text(r->texts[i].name, 64);
		json_object_set_new(o, name,
		    queue_json_str(
		        r->texts[i].value, MOD_MAX_SNAPSHOT_TEXT_BYTES, cut));
		free(name);
	}
	if (r->ntexts > MOD_MAX_SNAPSHOT_TEXTS_COUNT)
		*cut = true;
	return o;
}

/* queue_snap_build: the snapshot of a record, as described in queue.h. */
static char *
queue_snap_build(const struct queue_record *r)
{
	json_t *o = json_object();
	bool    cut = false;
	char   *s;

	json_object_set_new(
	    o, "event", queue_json_str(r->event_kind, 64, NULL));
	json_object_set_new(o, "object_id",
	    queue_json_str(r->object_id, MOD_MAX_KEY_BYTES, NULL));
	json_object_set_new(o, "dedup_key",
	    queue_json_str(r->dedup_key, MOD_MAX_KEY_BYTES, NULL));
	json_object_set_new(
	    o, "event_time", queue_json_time(r->event_time_ms));
	json_object_set_new(o, "intake",
	    queue_json_str(r->source_name, MOD_MAX_KEY_BYTES, NULL));
	json_object_set_new(o, "action", queue_json_str(r->action, 64, NULL));
	json_object_set_new(o, "score", queue_json_real(r->score));
	json_object_set_new(o, "hits", queue_snap_hits(r, &cut));
	json_object_set_new(
	    o, "hits_total", json_integer((json_int_t) r->nhits));
	json_object_set_new(o, "texts", queue_snap_texts(r, &cut));
	json_object_set_new(o, "truncated", json_boolean(cut));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		fatalx("queue: could not encode an evidence snapshot");
	return s;
}

/* queue_snap_usable: the caller's snapshot is an object PostgreSQL will
 * take (jansson, like jsonb, refuses \u0000 and broken surrogates). */
static bool
queue_snap_usable(const char *json)
{
	json_t      *o;
	json_error_t jerr;
	bool         ok;

	if (json == NULL || strlen(json) > MOD_MAX_SNAPSHOT_BYTES)
		return false;
	o = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	ok = json_is_object(o);
	json_decref(o);
	return ok;
}

static char *
queue_snapshot(const struct queue_record *r)
{
	if (r->evidence_json != NULL) {
		if (queue_snap_usable(r->evidence_json))
			return xstrdup(r->evidence_json);
		log_warnx("queue: event %.64s: evidence snapshot unusable, "
		          "rebuilt from the record",
		    r->dedup_key);
	}
	return queue_snap_build(r);
}

/* queue_names_json: JSON array of the hits' rule (or group) names. */
static char *
queue_names_json(const struct queue_record *r, bool groups)
{
	json_t     *a = json_array();
	const char *s;
	char       *out;
	size_t      i;

	for (i = 0; i < r->nhits; i++) {
		s = groups ? r->hits[i].group : r->hits[i].rule;
		if (s != NULL && s[0] != '\0')
			json_array_append_new(a,
			    queue_json_str(s, MOD_MAX_RULE_NAME_BYTES, NULL));
	}
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (out == NULL)
		fatalx("queue: could not encode rule names");
	return out;
}

/* queue_reason: "action flag, score 4.50, rules A,B" for the audit row. */
static char *
queue_reason(const struct queue_record *r)
{
	struct buf b;
	size_t     i;
	int        rv;

	buf_init(&b, MOD_MAX_AUDIT_TEXT_BYTES);
	rv = buf_printf(
	    &b, "action %s, score %.2f, rules ", r->action, r->score);
	for (i = 0; rv == 0 && i < r->nhits; i++)
		rv = buf_printf(&b, "%s%s", i ? "," : "",
		    r->hits[i].rule ? r->hits[i].rule : "?");
	if (rv == 0 && r->nhits == 0)
		rv = buf_appends(&b, "none");
	/* Past the cap the reason is cut short, which is fine. */
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

/* --- storing one record ----------------------------------------------- */

static void
queue_strs_init(struct queue_strs *s, const struct queue_record *r)
{
	s->dedup_key = store_text(r->dedup_key, MOD_MAX_KEY_BYTES);
	s->event_kind = store_text(r->event_kind, MOD_MAX_KEY_BYTES);
	s->object_id = store_text(r->object_id, MOD_MAX_KEY_BYTES);
	s->intake = store_text(r->source_name, MOD_MAX_KEY_BYTES);
	s->target_type = xstrdup(r->target_type);
	s->target_id = store_text(r->target_id, MOD_MAX_KEY_BYTES);
	s->account_id = store_text(r->target_account_id, MOD_MAX_KEY_BYTES);
	s->acct = store_text(r->target_acct, MOD_MAX_ACCT_BYTES);
	s->action = xstrdup(r->action);
	s->category = store_text(r->report_category, MOD_MAX_ID_BYTES);
	s->origin = xstrdup(r->origin ? r->origin : "rules");
	s->revision = store_text(r->revision, MOD_MAX_AUDIT_TEXT_BYTES);
	s->snapshot = NULL;
	s->rules = queue_names_json(r, false);
	s->groups = queue_names_json(r, true);
	s->reason = queue_reason(r);
}

static void
queue_strs_free(struct queue_strs *s)
{
	char **all[] = { &s->dedup_key, &s->event_kind, &s->object_id,
		&s->intake, &s->target_type, &s->target_id, &s->account_id,
		&s->acct, &s->action, &s->category, &s->origin, &s->revision,
		&s->snapshot, &s->rules, &s->groups, &s->reason };
	size_t i;

	for (i = 0; i < nitems(all); i++) {
		free(*all[i]);
		*all[i] = NULL;
	}
}

/* queue_deliver: claim the dedup key; *fresh false if it was taken. */
static int
queue_deliver(struct store *db, const struct queue_strs *s, bool *fresh)
{
	const char *params[]
	    = { s->dedup_key, s->event_kind, s->object_id, s->intake };
	PGresult *res = NULL;
	int       rv;

	rv = store_query(db, "queue: insert delivery", SQL_INSERT_DELIVERY,
	    (int) nitems(params), params, NULL, NULL, &res);
	*fresh = rv == 0 && PQntuples(res) == 1;
	store_clear(res);
	return rv;
}

/* queue_upsert: insert or merge the proposal; its id and new count. */
static int
queue_upsert(struct store *db, const struct queue_strs *s, double score,
    int64_t *id, int64_t *count)
{
	char        sc[64], max[16];
	const char *params[] = { s->target_type, s->target_id, s->account_id,
		s->acct, s->action, sc, s->rules, s->groups, s->snapshot,
		s->origin, s->category, max };
	PGresult   *res = NULL;
	const char *v_id, *v_count;
	int         rv;

	snprintf(sc, sizeof(sc), "%.17g", score);
	snprintf(max, sizeof(max), "%d", MOD_MAX_EVIDENCE_COUNT);
	rv = store_query(db, "queue: upsert proposal", SQL_UPSERT_PROPOSAL,
	    (int) nitems(params), params, NULL, NULL, &res);
	if (rv != 0)
		goto out;
	if (PQntuples(res) != 1) {
		log_warnx(
		    "queue: upsert proposal returned %d rows", PQntuples(res));
		rv = MOD_EDB;
		goto out;
	}
	v_id = PQgetvalue(res, 0, PQfnumber(res, "id"));
	v_count = PQgetvalue(res, 0, PQfnumber(res, "count"));
	if (mod_strtonum(v_id, 1, INT64_MAX, id) != 0
	    || mod_strtonum(v_count, 1, INT64_MAX, count) != 0)
		rv = MOD_EDB;
out:
	store_clear(res);
	return rv;
}

/* queue_refresh_reports: recompute the priority of every pending report
 * item on one target account (their "other reports" term changed). */
static int
queue_refresh_reports(struct store *db, const char *account_id)
{
	const char *params[1] = { account_id };

	if (account_id == NULL)
		return 0;
	return store_exec(db, "queue: update report priority",
	    SQL_UPDATE_REPORT_PRIORITY, 1, params);
}

static int
queue_store_proposal(
    struct store *db, const struct queue_record *r, int *outcome)
{
	struct queue_strs s;
	int64_t           id = 0, count = 0;
	bool              fresh;
	int               rv;

	queue_strs_init(&s, r);
	if ((rv = queue_deliver(db, &s, &fresh)) != 0 || !fresh) {
		*outcome = QUEUE_DUPLICATE;
		goto out;
	}
	s.snapshot = queue_snapshot(r);
	if ((rv = queue_upsert(db, &s, r->score, &id, &count)) != 0)
		goto out;
	if (strcmp(s.target_type, "report") == 0
	    && (rv = queue_refresh_reports(db, s.account_id)) != 0)
		goto out;
	rv = audit_append(db, "moderd", count == 1 ? "propose" : "merge",
	    s.target_type, s.target_id, id, s.reason, s.dedup_key, s.revision);
	*outcome = count == 1 ? QUEUE_NEW : QUEUE_MERGED;
out:
	queue_strs_free(&s);
	return rv;
}

static int
queue_store_dead(struct store *db, const struct queue_record *r)
{
	char *src = store_text(
	    r->source_name ? r->source_name : "unknown", MOD_MAX_KEY_BYTES);
	char       *why = store_text(r->dead_reason, MOD_MAX_ERR_BYTES);
	char        total[24];
	size_t      len = r->payload_len;
	const char *params[4];
	int         lengths[4] = { 0, 0, 0, 0 }, formats[4] = { 0, 0, 1, 0 };
	PGresult   *res = NULL;
	int         rv;

	if (len > MOD_MAX_DEAD_LETTER_BYTES)
		len = MOD_MAX_DEAD_LETTER_BYTES;
	snprintf(total, sizeof(total), "%zu", r->payload_len);
	params[0] = src;
	params[1] = why;
	params[2] = len > 0 ? (const char *) r->payload : ""; /* not NULL */
	params[3] = total;
	lengths[2] = (int) len;
	rv = store_query(db, "queue: insert dead letter",
	    SQL_INSERT_DEAD_LETTER, 4, params, lengths, formats, &res);
	store_clear(res);
	free(src);
	free(why);
	return rv;
}

/* queue_plan: check the batch and work out what it needs. */
static int
queue_plan(const struct queue_record *recs, size_t n, int *outcomes,
    bool *need_tx, bool *need_lock)
{
	size_t i;

	*need_tx = *need_lock = false;
	if (n > MOD_MAX_QUEUE_BATCH_COUNT)
		return MOD_ETOOBIG;
	for (i = 0; i < n; i++) {
		if (!queue_record_ok(&recs[i])) {
			log_warnx("queue: record %zu of a batch of %zu is "
			          "malformed, batch refused",
			    i, n);
			return MOD_EINVAL;
		}
		outcomes[i] = QUEUE_NOOP;
		*need_tx |= queue_kind(&recs[i]) != QUEUE_K_NOOP;
		*need_lock |= queue_kind(&recs[i]) == QUEUE_K_PROPOSAL;
	}
	return 0;
}

int
queue_record_batch(
    struct store *db, const struct queue_record *recs, size_t n, int *outcomes)
{
	bool   need_tx, need_lock;
	size_t i;
	int    rv;

	if ((rv = queue_plan(recs, n, outcomes, &need_tx, &need_lock)) != 0
	    || !need_tx)
		return rv;
	if ((rv = store_begin(db)) != 0)
		goto out;
	if (need_lock && (rv = audit_lock(db)) != 0)
		goto out;
	for (i = 0; i < n && rv == 0; i++) {
		switch (queue_kind(&recs[i])) {
		case QUEUE_K_DEAD:
			rv = queue_store_dead(db, &recs[i]);
			outcomes[i] = QUEUE_DEAD;
			break;
		case QUEUE_K_PROPOSAL:
			rv = queue_store_proposal(db, &recs[i], &outcomes[i]);
			break;
		case QUEUE_K_NOOP:
			break;
		}
	}
	if (rv == 0)
		rv = store_commit(db);
out:
	if (rv != 0) {
		store_rollback(db);
		rv = MOD_EDB;
	}
	return rv;
}

int
queue_dead_letter(struct store *db, const char *source, const char *reason,
    const void *payload, size_t len)
{
	struct queue_record r;
	int                 outcome;

	memset(&r, 0, sizeof(r));
	r.dead_reason = reason != NULL ? reason : "rejected";
	r.source_name = source;
	r.payload = payload;
	r.payload_len = payload != NULL ? len : 0;
	return queue_record_batch(db, &r, 1, &outcome) == 0 ? 0 : MOD_EDB;
}

/* --- reading ---------------------------------------------------------- */

static const char *
queue_get(const PGresult *res, int i, const char *col)
{
	int c = PQfnumber(res, col);

	return c < 0 || PQgetisnull(res, i, c) ? "" : PQgetvalue(res, i, c);
}

static int64_t
queue_get_int(const PGresult *res, int i, const char *col)
{
	int64_t v;

	return mod_strtonum(queue_get(res, i, col), INT64_MIN, INT64_MAX, &v)
	        == 0
	    ? v
	    : 0;
}

static void
queue_item_read(const PGresult *res, int i, struct queue_item *it)
{
	double d;

	it->id = queue_get_int(res, i, "id");
	mod_strlcpy(it->target_type, queue_get(res, i, "target_type"),
	    sizeof(it->target_type));
	mod_strlcpy(it->target_id, queue_get(res, i, "target_id"),
	    sizeof(it->target_id));
	mod_strlcpy(it->target_acct, queue_get(res, i, "target_acct"),
	    sizeof(it->target_acct));
	mod_strlcpy(
	    it->action, queue_get(res, i, "action"), sizeof(it->action));
	mod_strlcpy(it->report_category, queue_get(res, i, "report_category"),
	    sizeof(it->report_category));
	mod_strlcpy(it->rules, queue_get(res, i, "rules"), sizeof(it->rules));
	it->score = mod_strtod(queue_get(res, i, "score"), &d) == 0 ? d : 0;
	it->priority = (int) queue_get_int(res, i, "priority");
	it->count = (int) queue_get_int(res, i, "count");
	it->evidence_count = (int) queue_get_int(res, i, "evidence_count");
	it->created_at_ms = queue_get_int(res, i, "created_ms");
	it->updated_at_ms = queue_get_int(res, i, "updated_ms");
}

int
queue_list(
    struct store *db, size_t limit, struct queue_item **items, size_t *n)
{
	PGresult   *res = NULL;
	char        lim[24];
	const char *params[1] = { lim };
	int         i, rows, rv;

	*items = NULL;
	*n = 0;
	if (limit > MOD_MAX_QUEUE_LIST_COUNT)
		limit = MOD_MAX_QUEUE_LIST_COUNT;
	snprintf(lim, sizeof(lim), "%zu", limit);
	rv = store_query(db, "queue: list pending", SQL_SELECT_PENDING, 1,
	    params, NULL, NULL, &res);
	if (rv != 0 || (rows = PQntuples(res)) == 0)
		goto out;
	*items = xcalloc((size_t) rows, sizeof(**items));
	for (i = 0; i < rows; i++)
		queue_item_read(res, i, &(*items)[i]);
	*n = (size_t) rows;
out:
	store_clear(res);
	return rv;
}

static void
queue_count_state(struct queue_counts *c, const char *state, int64_t n)
{
	if (strcmp(state, "pending") == 0)
		c->pending = n;
	else if (strcmp(state, "approved") == 0)
		c->approved = n;
	else if (strcmp(state, "rejected") == 0)
		c->rejected = n;
	else if (strcmp(state, "applied") == 0)
		c->applied = n;
	else if (strcmp(state, "failed") == 0)
		c->failed = n;
}

int
queue_counts(struct store *db, struct queue_counts *c)
{
	PGresult *res = NULL;
	char      val[32];
	int64_t   dead;
	int       i, rv;

	memset(c, 0, sizeof(*c));
	rv = store_query(db, "queue: count proposals", SQL_COUNT_PROPOSALS, 0,
	    NULL, NULL, NULL, &res);
	if (rv != 0)
		goto out;
	for (i = 0; i < PQntuples(res); i++)
		queue_count_state(
		    c, queue_get(res, i, "state"), queue_get_int(res, i, "n"));
	rv = store_query_value(db, "queue: count dead letters",
	    SQL_COUNT_DEAD_LETTERS, 0, NULL, val, sizeof(val));
	if (rv == 0 && mod_strtonum(val, 0, INT64_MAX, &dead) == 0)
		c->dead_letters = dead;
out:
	store_clear(res);
	return rv == 0 ? 0 : MOD_EDB;
}
