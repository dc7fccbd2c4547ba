/*
 * queue_read.c - the queue as the API reads it: list with filters and a
 * keyset cursor, counts, one item, and an item shown in full.
 *
 * Every item is built as JSON by PostgreSQL (jsonb_build_object over the
 * proposal and small correlated subqueries: evidence count and latest
 * excerpt, approvals, the latest dispatch), so the shape of doc/api.md's
 * ITEM lives in one SQL fragment, QR_ITEM, shared by every read, and C
 * only parses the text back.  Times are ISO 8601 UTC with milliseconds.
 *
 * The list is ordered by priority descending, then id, and pages with a
 * keyset cursor (the last item's priority and id).  "After (p, i)" in
 * that order is "priority = p AND id > i, or priority < p"; written as
 * one OR the planner would scan the index from the start and filter, so
 * the page query is a UNION ALL of the two ranges, each an index range
 * scan of proposals_state_priority (state, priority DESC, id), merged
 * and cut at limit + 1 (one more, to know whether a next page exists).
 * Every filter is a parameter written as "$n IS NULL OR ...": libpq's
 * unnamed statements are planned with the values, so an absent filter
 * folds away and costs nothing.
 *
 * Counts by state come, when no filter is given (the usual view, and
 * every page of it), from proposal_counts, which triggers keep (schema
 * version 3): five rows, less the items of held change sets.  With a
 * filter they are counted over the matching items (an index scan where
 * one serves the filter), exactly.
 *
 * Items of a held change set are left out unless the changeset filter
 * names one.  approvals_needed of a pending item is computed from its
 * current action and the two-person threshold (it is fixed in the row at
 * approval time, by queue_decide.c).
 *
 * Not here: any change (queue_decide.c), the writer (queue.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "conf.h"
#include "log.h"
#include "queue.h"
#include "queue_sql.h"
#include "util.h"

/* The list's filters: $1 state, $2 action, $3 target_type, $4 group,
 * $5 rule, $6 feed, $7 source, $8 assignee ('' = none), $9 target,
 * $10 changeset, $11 whether any change set is held (when none is, the
 * held filter folds away and an unfiltered count is an index-only scan
 * of proposals_state). */
#define QR_FILTERS                                                            \
	" ($1::text IS NULL OR p.state = $1)"                                 \
	" AND ($2::text IS NULL OR p.action = $2)"                            \
	" AND ($3::text IS NULL OR p.target_type = $3)"                       \
	" AND ($4::text IS NULL OR p.groups @> ARRAY[$4::text])"              \
	" AND ($5::text IS NULL OR p.rules @> ARRAY[$5::text])"               \
	" AND ($6::text IS NULL OR p.feeds @> ARRAY[$6::text])"               \
	" AND ($7::text IS NULL OR p.source = $7)"                            \
	" AND ($8::text IS NULL OR ($8 = '' AND p.assignee IS NULL)"          \
	"  OR p.assignee = $8)"                                               \
	" AND ($9::text IS NULL OR p.target_id = $9 OR p.target_acct = $9)"   \
	" AND (CASE WHEN $10::bigint IS NOT NULL THEN p.changeset_id = $10"   \
	"  WHEN $11::boolean THEN (p.changeset_id IS NULL"                    \
	"   OR p.changeset_id NOT IN (SELECT cs.id FROM changesets cs"        \
	"    WHERE cs.state = 'held'))"                                       \
	"  ELSE true END)"
#define QR_NFILTERS 11

/* One page: $12 two-person threshold, $13 cursor priority (NULL: first
 * page), $14 cursor id, $15 limit. */
static const char SQL_LIST[]
    = "SELECT q.item, q.priority, q.id FROM ("
      " (SELECT p.priority, p.id FROM proposals p WHERE" QR_FILTERS
      "  AND $13::integer IS NOT NULL AND p.priority = $13"
      "  AND p.id > $14::bigint ORDER BY p.id LIMIT $15::integer)"
      " UNION ALL"
      " (SELECT p.priority, p.id FROM proposals p WHERE" QR_FILTERS
      "  AND ($13::integer IS NULL OR p.priority < $13)"
      "  ORDER BY p.priority DESC, p.id LIMIT $15::integer)"
      " ORDER BY 1 DESC, 2 LIMIT $15::integer) AS k,"
      " LATERAL (SELECT " QR_ITEM(
          "$12") " AS item, p.priority, p.id"
                 "  FROM proposals p WHERE p.id = k.id) AS q"
                 " ORDER BY q.priority DESC, q.id";
static const char SQL_COUNTS[]
    = "SELECT p.state, count(*) FROM proposals p WHERE" QR_FILTERS
      " GROUP BY p.state";
/* Without filters: the triggers' counts, less the items of held change
 * sets (an index lookup per state; none when no set is held). */
static const char SQL_COUNTS_ALL[]
    = "SELECT c.state, c.n - (SELECT count(*) FROM proposals p"
      "  WHERE p.state = c.state AND p.changeset_id IN (SELECT cs.id"
      "   FROM changesets cs WHERE cs.state = 'held'))"
      " FROM proposal_counts c";
static const char SQL_HELD[]
    = "SELECT EXISTS (SELECT 1 FROM changesets WHERE state = 'held')";
static const char SQL_ITEM[]
    = "SELECT " QR_ITEM("$2") " FROM proposals p WHERE p.id = $1::bigint";
/* Prepared: an approval reads its item back with it, so its plan is made
 * once per connection rather than on every call. */
const struct store_stmt queue_read_item_stmt
    = { "queue_read_item", "queue: read item", SQL_ITEM, 2, true };
static const char SQL_EVIDENCE[]
    = "SELECT coalesce(jsonb_agg(e.snapshot ORDER BY e.id), '[]')"
      " FROM (SELECT id, snapshot FROM evidence"
      "  WHERE proposal_id = $1::bigint ORDER BY id LIMIT $2::integer) e";
static const char SQL_COMMENTS[]
    = "SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id,"
      " 'user', c.user_name, 'at', " QR_TIME(
          "c.at") ", 'body', c.body)"
                  " ORDER BY c.id), '[]') FROM (SELECT * FROM comments"
                  "  WHERE proposal_id = $1::bigint ORDER BY id LIMIT "
                  "$2::integer) c";
static const char SQL_HISTORY[]
    = "SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id,"
      " 'at', " QR_TIME(
          "a.at") ", 'actor', a.actor, 'action', a.action,"
                  " 'reason', a.reason) ORDER BY a.id), '[]')"
                  " FROM (SELECT * FROM audit WHERE proposal_id = $1::bigint"
                  "  ORDER BY id LIMIT $2::integer) a";
static const char SQL_ACCOUNT_HISTORY[]
    = "SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id,"
      " 'state', o.state, 'action', o.action,"
      " 'decided_at', " QR_TIME(
          "o.decided_at") ") ORDER BY o.id DESC),"
                          " '[]') FROM (SELECT q.* FROM proposals p JOIN "
                          "proposals q"
                          "  ON q.target_account_id = p.target_account_id AND "
                          "q.id <> p.id"
                          "  WHERE p.id = $1::bigint ORDER BY q.id DESC LIMIT "
                          "$2::integer) o";

/* The part of a show that is one JSON value per query. */
static const struct queue_read_part {
	const char *key;
	const char *sql;
	int         max;
} queue_read_parts[] = {
	{ "evidence", SQL_EVIDENCE, MOD_MAX_EVIDENCE_COUNT },
	{ "comments", SQL_COMMENTS, MOD_MAX_API_COMMENTS_COUNT },
	{ "history", SQL_HISTORY, MOD_MAX_API_HISTORY_COUNT },
	{ "account_history", SQL_ACCOUNT_HISTORY,
	    MOD_MAX_API_ACCOUNT_HISTORY_COUNT },
};

static const char *const queue_read_states[]
    = { "pending", "approved", "rejected", "applied", "failed" };

/* Severity ranks: everything not listed is 0. */
static const struct {
	const char *action;
	int         rank;
} queue_read_ranks[] = {
	{ "sensitive", CONF_TWO_SENSITIVE },
	{ "delete", CONF_TWO_SILENCE },
	{ "silence", CONF_TWO_SILENCE },
	{ "suspend", CONF_TWO_SUSPEND },
};

int
queue_two_person_rank(const char *action)
{
	size_t i;

	for (i = 0; action != NULL && i < nitems(queue_read_ranks); i++)
		if (strcmp(action, queue_read_ranks[i].action) == 0)
			return queue_read_ranks[i].rank;
	return 0;
}

int
queue_approvals_needed(const char *action, int two_person)
{
	if (two_person <= CONF_TWO_NONE)
		return 1;
	return queue_two_person_rank(action) >= two_person ? 2 : 1;
}

/* queue_read_threshold: $n of QR_ITEM: the rank from which two are
 * needed (a rank no action has when the rule is off). */
void
queue_read_threshold(int two_person, char *out, size_t outsz)
{
	snprintf(out, outsz, "%d",
	    two_person <= CONF_TWO_NONE ? CONF_TWO_SUSPEND + 1 : two_person);
}

/* queue_read_json: the text in row r, column col, parsed.  NULL if it
 * does not parse (PostgreSQL wrote it: a bug, logged). */
json_t *
queue_read_json(const PGresult *res, int r, int col)
{
	json_error_t err;
	json_t      *v;

	v = json_loads(PQgetvalue(res, r, col), JSON_DECODE_ANY, &err);
	if (v == NULL)
		log_warnx(
		    "queue: unparsable JSON from the server: %s", err.text);
	return v;
}

/* queue_read_params: p[0 .. QR_NFILTERS) for f; cs and held are
 * buffers for two of them. */
static int
queue_read_params(struct store *db, const struct queue_filter *f,
    const char **p, char *cs, char *held)
{
	p[0] = f->state;
	p[1] = f->action;
	p[2] = f->target_type;
	p[3] = f->group;
	p[4] = f->rule;
	p[5] = f->feed;
	p[6] = f->source;
	p[7] = f->assignee;
	p[8] = f->target;
	p[9] = NULL;
	if (f->changeset > 0) {
		snprintf(cs, 24, "%" PRId64, f->changeset);
		p[9] = cs;
	}
	p[10] = held;
	return store_query_value(
	    db, "queue: held change sets", SQL_HELD, 0, NULL, held, 8);
}

/* queue_read_page: fill *items from res, and more / last. */
static int
queue_read_page(const PGresult *res, size_t limit, json_t *items, bool *more,
    int64_t last[2])
{
	int     i, n = PQntuples(res);
	json_t *v;

	*more = (size_t) n > limit;
	if (*more)
		n = (int) limit;
	for (i = 0; i < n; i++) {
		if ((v = queue_read_json(res, i, 0)) == NULL)
			return MOD_EDB;
		json_array_append_new(items, v);
		if (mod_strtonum(
		        PQgetvalue(res, i, 1), INT32_MIN, INT32_MAX, &last[0])
		        != 0
		    || mod_strtonum(
		           PQgetvalue(res, i, 2), 1, INT64_MAX, &last[1])
		        != 0)
			return MOD_EDB;
	}
	return 0;
}

int
queue_api_list(struct store *db, const struct queue_filter *f, json_t **items,
    bool *more, int64_t last[2])
{
	const char *p[QR_NFILTERS + 4];
	char        cs[24], held[8], th[16], cp[24], ci[24], lim[24];
	PGresult   *res = NULL;
	int         rv;

	*items = NULL;
	*more = false;
	last[0] = last[1] = 0;
	if (queue_read_params(db, f, p, cs, held) != 0)
		return MOD_EDB;
	*items = json_array();
	queue_read_threshold(f->two_person, th, sizeof(th));
	snprintf(cp, sizeof(cp), "%" PRId64, f->after_priority);
	snprintf(ci, sizeof(ci), "%" PRId64, f->after_id);
	snprintf(lim, sizeof(lim), "%zu", f->limit + 1);
	p[QR_NFILTERS] = th;
	p[QR_NFILTERS + 1] = f->after ? cp : NULL;
	p[QR_NFILTERS + 2] = ci;
	p[QR_NFILTERS + 3] = lim;
	rv = store_query(db, "queue: list items", SQL_LIST, QR_NFILTERS + 4, p,
	    NULL, NULL, &res);
	if (rv == 0)
		rv = queue_read_page(res, f->limit, *items, more, last);
	PQclear(res);
	if (rv != 0) {
		json_decref(*items);
		*items = NULL;
	}
	return rv;
}

/* queue_read_filtered: f has a filter that counts honour (all but the
 * state and the page). */
static bool
queue_read_filtered(const struct queue_filter *f)
{
	return f->action != NULL || f->target_type != NULL || f->group != NULL
	    || f->rule != NULL || f->feed != NULL || f->source != NULL
	    || f->assignee != NULL || f->target != NULL || f->changeset > 0;
}

/* queue_read_count_query: the counts of f into *res. */
static int
queue_read_count_query(
    struct store *db, const struct queue_filter *f, PGresult **res)
{
	const char *p[QR_NFILTERS];
	char        cs[24], held[8];

	if (!queue_read_filtered(f))
		return store_query(db, "queue: count items", SQL_COUNTS_ALL, 0,
		    NULL, NULL, NULL, res);
	if (queue_read_params(db, f, p, cs, held) != 0)
		return MOD_EDB;
	p[0] = NULL; /* counts ignore the state */
	return store_query(db, "queue: count items", SQL_COUNTS, QR_NFILTERS,
	    p, NULL, NULL, res);
}

int
queue_api_counts(
    struct store *db, const struct queue_filter *f, json_t **counts)
{
	PGresult *res = NULL;
	int64_t   n;
	size_t    i;
	int       r, rv;

	*counts = json_object();
	for (i = 0; i < nitems(queue_read_states); i++)
		json_object_set_new(
		    *counts, queue_read_states[i], json_integer(0));
	rv = queue_read_count_query(db, f, &res);
	for (r = 0; rv == 0 && r < PQntuples(res); r++)
		if (mod_strtonum(PQgetvalue(res, r, 1), 0, INT64_MAX, &n) == 0)
			json_object_set_new(
			    *counts, PQgetvalue(res, r, 0), json_integer(n));
	PQclear(res);
	if (rv != 0) {
		json_decref(*counts);
		*counts = NULL;
	}
	return rv;
}

int
queue_read_value(const PGresult *res, json_t **out)
{
	*out = NULL;
	if (res == NULL || PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
		return MOD_ENOENT;
	if ((*out = queue_read_json(res, 0, 0)) == NULL)
		return MOD_EDB;
	return 0;
}

/* queue_read_one: the single JSON value of sql($1 = id, $2 = arg). */
static int
queue_read_one(struct store *db, const char *what, const char *sql, int64_t id,
    const char *arg, json_t **out)
{
	char        ids[24];
	const char *p[2] = { ids, arg };
	PGresult   *res = NULL;
	int         rv;

	*out = NULL;
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if ((rv = store_query(db, what, sql, 2, p, NULL, NULL, &res)) != 0)
		return rv;
	rv = queue_read_value(res, out);
	PQclear(res);
	return rv;
}

int
queue_api_item(struct store *db, int64_t id, int two_person, json_t **item)
{
	char        ids[24], th[16];
	const char *p[2] = { ids, th };
	PGresult   *res = NULL;
	int         rv;

	*item = NULL;
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	queue_read_threshold(two_person, th, sizeof(th));
	if ((rv = store_query_stmt(db, &queue_read_item_stmt, p, &res)) != 0)
		return rv;
	rv = queue_read_value(res, item);
	PQclear(res);
	return rv;
}

int
queue_api_show(struct store *db, int64_t id, int two_person, json_t **item)
{
	char    max[16];
	json_t *v;
	size_t  i;
	int     rv;

	if ((rv = queue_api_item(db, id, two_person, item)) != 0)
		return rv;
	for (i = 0; i < nitems(queue_read_parts); i++) {
		snprintf(max, sizeof(max), "%d", queue_read_parts[i].max);
		rv = queue_read_one(db, "queue: show item",
		    queue_read_parts[i].sql, id, max, &v);
		if (rv != 0) {
			json_decref(*item);
			*item = NULL;
			return rv == MOD_ENOENT ? MOD_EDB : rv;
		}
		json_object_set_new(*item, queue_read_parts[i].key, v);
	}
	return 0;
}
