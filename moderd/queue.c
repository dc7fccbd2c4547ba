/*
 * queue.c - storing processed events as proposals, and reading the queue.
 *
 * queue_record_batch() is the DB writer's one call per batch.  The whole
 * batch is ONE transaction sent as ONE libpq pipeline (store_pipe_*):
 * BEGIN, the audit head lock, one statement per record, then the results
 * are read and the transaction committed - two round trips per batch,
 * however many records it holds.  Per record: a dead letter is inserted;
 * a record needing nothing (action none, not a report) is skipped without
 * a trace; any other record is one prepared statement (SQL_RECORD) that
 * claims its dedup key in deliveries (a key already there means a
 * duplicate delivery, and nothing else happens), inserts a proposal or
 * merges into the pending one for the same (target type, target id,
 * action) with INSERT ... ON CONFLICT DO UPDATE on the partial unique
 * index (count + 1, max score, union of rules and groups, priority
 * recomputed), appends the frozen snapshot as a row of evidence unless
 * the proposal already has MOD_MAX_EVIDENCE_COUNT of them, and appends
 * the audit row.  "Already has" is read from the proposal's count, not
 * by counting its evidence rows: every path that raises the count (this
 * merge, a feed's update) also adds one row of evidence while under the
 * cap, and a manual proposal starts at one of each, so count <= cap
 * exactly when there is room.  A new report also refreshes the priority of the
 * other report items on its account (a second statement).  Any failure rolls
 * the whole batch back; the caller retries it, and the dedup keys make
 * the retry exact.
 *
 * Invariants: the transaction takes the audit head lock first (see
 * audit.h), so concurrent writers - two moderd processes - serialise on
 * it before touching any proposal and cannot deadlock; every string that
 * came from an event goes through store_text() and every snapshot is
 * checked or built here, so no event content can make a statement fail
 * and wedge the writer on a batch it retries forever; the audit row is
 * the one audit_append() would write (same columns, same server-side
 * hash, same head update), so audit_verify() vouches for it; the
 * proposals.evidence array of schema version 1 is no longer written
 * (left at its default []): evidence lives in the evidence table only.
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

#include "buf.h"
#include "log.h"
#include "queue.h"
#include "util.h"

/*
 * One record, one statement: claim the dedup key; only if it was free,
 * insert or merge the proposal; append its snapshot to evidence while
 * its count (this event included) is at most $16; append the audit row and
 * move the audit head (as audit_append() does, under the lock audit_lock()
 * took at the start of the transaction, so the head read here is the
 * one this statement replaces).  No row back means a duplicate.
 *   $1 dedup key, $2 event kind, $3 object id, $4 intake, $5 target
 *   type, $6 target id, $7 account id, $8 acct, $9 action, $10 score,
 *   $11 rules and $12 groups (JSON arrays), $13 snapshot, $14 origin,
 *   $15 category, $16 evidence cap, $17 audit reason, $18 revision.
 */
static const char SQL_RECORD[]
    = "WITH d AS (INSERT INTO deliveries (dedup_key, event_kind,"
      "  object_id, intake) VALUES ($1::text, $2::text, $3::text, $4::text)"
      "  ON CONFLICT (dedup_key) DO NOTHING RETURNING 1),"
      " prop AS (INSERT INTO proposals AS p (target_type, target_id,"
      "  target_account_id, target_acct, action, score, priority, rules,"
      "  groups, source, report_category)"
      "  SELECT $5::text, $6::text, $7::text, $8::text, $9::text,"
      "   $10::float8, queue_priority($5::text, $9::text, $15::text,"
      "   $10::float8, 1, 0),"
      "   ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text($11::jsonb)"
      "    AS x ORDER BY 1),"
      "   ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text($12::jsonb)"
      "    AS x ORDER BY 1),"
      "   $14::text, $15::text FROM d"
      "  ON CONFLICT (target_type, target_id, action)"
      "   WHERE state = 'pending' DO UPDATE SET"
      "  count = p.count + 1,"
      "  score = greatest(p.score, excluded.score),"
      "  priority = queue_priority(p.target_type, p.action,"
      "   coalesce(excluded.report_category, p.report_category),"
      "   greatest(p.score, excluded.score), p.count + 1, 0),"
      "  rules = ARRAY(SELECT DISTINCT x FROM"
      "   unnest(p.rules || excluded.rules) AS x ORDER BY 1),"
      "  groups = ARRAY(SELECT DISTINCT x FROM"
      "   unnest(p.groups || excluded.groups) AS x ORDER BY 1),"
      "  target_account_id = coalesce(excluded.target_account_id,"
      "   p.target_account_id),"
      "  target_acct = coalesce(excluded.target_acct, p.target_acct),"
      "  report_category = coalesce(excluded.report_category,"
      "   p.report_category),"
      "  updated_at = now()"
      "  RETURNING id, count),"
      " ev AS (INSERT INTO evidence (proposal_id, snapshot)"
      "  SELECT prop.id, $13::jsonb FROM prop"
      "  WHERE prop.count <= $16::integer),"
      " r AS (SELECT nextval('audit_id_seq') AS id,"
      "  clock_timestamp() AS at, h.hash AS prev, prop.id AS pid,"
      "  CASE WHEN prop.count = 1 THEN 'propose' ELSE 'merge' END AS act"
      "  FROM audit_head AS h, prop WHERE h.one),"
      " a AS (INSERT INTO audit (id, at, actor, action, target_type,"
      "  target_id, proposal_id, reason, evidence_ref, revision,"
      "  prev_hash, hash)"
      "  SELECT r.id, r.at, 'moderd', r.act, $5::text, $6::text, r.pid,"
      "   $17::text, $1::text, $18::text, r.prev,"
      "   audit_row_hash(r.prev, r.id, r.at, 'moderd', r.act, $5::text,"
      "    $6::text, r.pid, $17::text, $1::text, $18::text)"
      "  FROM r RETURNING id, hash),"
      " head AS (UPDATE audit_head SET last_id = a.id, hash = a.hash"
      "  FROM a WHERE audit_head.one RETURNING 1)"
      " SELECT id, count FROM prop";
#define QUEUE_RECORD_NPARAMS 18
/* The audit head, locked first in every writer transaction (as
 * audit_lock() does; see the lock order in audit.h). */
static const char SQL_LOCK_AUDIT_HEAD[]
    = "SELECT hash FROM audit_head WHERE one FOR UPDATE";
static const char SQL_UPDATE_REPORT_PRIORITY[]
    = "UPDATE proposals AS p SET priority = queue_priority(p.target_type,"
      " p.action, p.report_category, p.score, p.count,"
      " (SELECT count(DISTINCT q.target_id) FROM proposals AS q"
      "  WHERE q.state = 'pending' AND q.target_type = 'report'"
      "  AND q.target_account_id = p.target_account_id"
      "  AND q.target_id <> p.target_id))"
      " WHERE p.state = 'pending' AND p.target_type = 'report'"
      " AND p.target_account_id = $1::text";
static const char SQL_INSERT_DEAD_LETTER[]
    = "INSERT INTO dead_letters (source, reason, payload, payload_bytes)"
      " VALUES ($1::text, $2::text, $3::bytea, $4::bigint)";

/* The writer's statements, prepared once per connection. */
static const struct store_stmt queue_stmt_lock
    = { "queue_lock", "queue: lock audit head", SQL_LOCK_AUDIT_HEAD, 0, true };
static const struct store_stmt queue_stmt_record = { "queue_record",
	"queue: store record", SQL_RECORD, QUEUE_RECORD_NPARAMS, true };
static const struct store_stmt queue_stmt_reports
    = { "queue_reports", "queue: update report priority",
	      SQL_UPDATE_REPORT_PRIORITY, 1, false };
static const struct store_stmt queue_stmt_dead = { "queue_dead",
	"queue: insert dead letter", SQL_INSERT_DEAD_LETTER, 4, false };

static const char SQL_SELECT_PENDING[]
    = "SELECT id, target_type, target_id, coalesce(target_acct, '')"
      " AS target_acct, action, coalesce(report_category, '')"
      " AS report_category, array_to_string(rules, ',') AS rules, score,"
      " priority, count, (SELECT count(*) FROM evidence AS e"
      "  WHERE e.proposal_id = proposals.id) AS evidence_count,"
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
	char      *out;
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
	if (b.data == NULL)
		return xstrdup("");
	out = store_text(b.data, MOD_MAX_AUDIT_TEXT_BYTES);
	buf_free(&b);
	return out;
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

/* queue_pipe_send: store_pipe_send(), counting what was sent. */
static int
queue_pipe_send(struct store *db, const struct store_stmt *st,
    const char *const *params, const int *lengths, const int *formats,
    size_t *nsent)
{
	int rv = store_pipe_send(db, st, params, lengths, formats);

	*nsent += rv == 0 ? 1 : 0;
	return rv;
}

/* queue_record_params: the parameters of SQL_RECORD, in order. */
static void
queue_record_params(const struct queue_strs *s, const char *score,
    const char *max, const char *p[QUEUE_RECORD_NPARAMS])
{
	const char *const all[QUEUE_RECORD_NPARAMS]
	    = { s->dedup_key, s->event_kind, s->object_id, s->intake,
		      s->target_type, s->target_id, s->account_id, s->acct,
		      s->action, score, s->rules, s->groups, s->snapshot,
		      s->origin, s->category, max, s->reason, s->revision };

	memcpy(p, all, sizeof(all));
}

/* queue_send_proposal: queue the statements of one proposal record. */
static int
queue_send_proposal(
    struct store *db, const struct queue_record *r, size_t *nsent)
{
	struct queue_strs s;
	char              sc[64], max[16];
	const char       *p[QUEUE_RECORD_NPARAMS];
	int               rv;

	queue_strs_init(&s, r);
	s.snapshot = queue_snapshot(r);
	snprintf(sc, sizeof(sc), "%.17g", r->score);
	snprintf(max, sizeof(max), "%d", MOD_MAX_EVIDENCE_COUNT);
	queue_record_params(&s, sc, max, p);
	rv = queue_pipe_send(db, &queue_stmt_record, p, NULL, NULL, nsent);
	/* A new report changes the "other reports" term of the account's
	 * other report items (after a duplicate, this changes nothing). */
	if (rv == 0 && strcmp(s.target_type, "report") == 0
	    && s.account_id != NULL)
		rv = queue_pipe_send(db, &queue_stmt_reports,
		    (const char *const *) &s.account_id, NULL, NULL, nsent);
	queue_strs_free(&s);
	return rv;
}

static int
queue_send_dead(struct store *db, const struct queue_record *r, size_t *nsent)
{
	char *src = store_text(
	    r->source_name ? r->source_name : "unknown", MOD_MAX_KEY_BYTES);
	char       *why = store_text(r->dead_reason, MOD_MAX_ERR_BYTES);
	char        total[24];
	size_t      len = r->payload_len;
	const char *params[4];
	int         lengths[4] = { 0, 0, 0, 0 }, formats[4] = { 0, 0, 1, 0 };
	int         rv;

	if (len > MOD_MAX_DEAD_LETTER_BYTES)
		len = MOD_MAX_DEAD_LETTER_BYTES;
	snprintf(total, sizeof(total), "%zu", r->payload_len);
	params[0] = src;
	params[1] = why;
	params[2] = len > 0 ? (const char *) r->payload : ""; /* not NULL */
	params[3] = total;
	lengths[2] = (int) len;
	rv = queue_pipe_send(
	    db, &queue_stmt_dead, params, lengths, formats, nsent);
	free(src);
	free(why);
	return rv;
}

/* queue_send: queue a record's statements; *nsent counts them. */
static int
queue_send(struct store *db, const struct queue_record *r, size_t *nsent)
{
	switch (queue_kind(r)) {
	case QUEUE_K_DEAD:
		return queue_send_dead(db, r, nsent);
	case QUEUE_K_PROPOSAL:
		return queue_send_proposal(db, r, nsent);
	case QUEUE_K_NOOP:
		break;
	}
	return 0;
}

/* queue_outcome: what the record statement's result says happened. */
static int
queue_outcome(const PGresult *res, int *outcome)
{
	int64_t id, count;

	if (PQntuples(res) == 0) {
		*outcome = QUEUE_DUPLICATE;
		return 0;
	}
	if (PQntuples(res) != 1
	    || mod_strtonum(PQgetvalue(res, 0, 0), 1, INT64_MAX, &id) != 0
	    || mod_strtonum(PQgetvalue(res, 0, 1), 1, INT64_MAX, &count)
	        != 0) {
		log_warnx("queue: store record returned %d unusable rows",
		    PQntuples(res));
		return MOD_EDB;
	}
	*outcome = count == 1 ? QUEUE_NEW : QUEUE_MERGED;
	return 0;
}

/* queue_locked: the audit head lock statement found the head. */
static int
queue_locked(const PGresult *res)
{
	if (PQntuples(res) == 1)
		return 0;
	log_warnx("queue: could not lock the audit head: audit_head is empty");
	return MOD_EDB;
}

/*
 * queue_pipeline: the transaction's BEGIN, the audit head lock (with
 * lock) and every statement of the batch in one pipeline, then the
 * outcomes.  first[i] is the index of record i's first result.
 */
static int
queue_pipeline(struct store *db, const struct queue_record *recs, size_t n,
    bool lock, int *outcomes)
{
	size_t    *first = xcalloc(n, sizeof(*first));
	PGresult **res;
	size_t     i, nsent = 0;
	int        rv, erv;

	if ((rv = store_pipe_begin_tx(db)) != 0) {
		free(first);
		return rv;
	}
	if (lock)
		rv = queue_pipe_send(
		    db, &queue_stmt_lock, NULL, NULL, NULL, &nsent);
	for (i = 0; i < n; i++) {
		first[i] = nsent;
		if (rv == 0)
			rv = queue_send(db, &recs[i], &nsent);
	}
	res = xcalloc(nsent + 1, sizeof(*res));
	if ((erv = store_pipe_end(db, res, nsent)) != 0)
		rv = erv;
	if (rv == 0 && lock)
		rv = queue_locked(res[0]);
	for (i = 0; rv == 0 && i < n; i++) {
		if (queue_kind(&recs[i]) == QUEUE_K_DEAD)
			outcomes[i] = QUEUE_DEAD;
		else if (queue_kind(&recs[i]) == QUEUE_K_PROPOSAL)
			rv = queue_outcome(res[first[i]], &outcomes[i]);
	}
	for (i = 0; i < nsent; i++)
		store_clear(res[i]);
	free(res);
	free(first);
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
	bool need_tx, need_lock;
	int  rv;

	if ((rv = queue_plan(recs, n, outcomes, &need_tx, &need_lock)) != 0
	    || !need_tx)
		return rv;
	if ((rv = queue_pipeline(db, recs, n, need_lock, outcomes)) == 0)
		rv = store_commit(db);
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
