/*
 * queue_stats.c - per-rule and per-feed statistics of the queue.
 *
 * One statement per call: the proposals created in the period, each
 * unnested into the rules (or feeds) it names, grouped by name, counted
 * by state with FILTER, and folded into one JSON array by the server
 * (store_query_json), so the answer's size is capped and nothing is
 * copied row by row.  The GIN indexes on rules and feeds do not help a
 * time range; proposals_state and the created_at filter keep it a single
 * scan of the period.
 *
 * Precision is approved / (approved + rejected): applied and failed
 * items were approved by a moderator (what the dispatcher made of them
 * says nothing about the rule), and pending ones are not decided yet.
 *
 * What it deliberately does not do: count evidence (a proposal merged
 * from ten events is one proposal), or remember statistics of deleted
 * rules beyond what the proposals themselves keep.
 */
#include <inttypes.h>
#include <stdio.h>

#include "queue_stats.h"

/* The statement for one array column of proposals. */
#define QUEUE_STATS_SQL(col)                                                  \
	"SELECT coalesce(json_agg(json_build_object('name', name,"            \
	" 'proposals', n, 'approved', a, 'rejected', r, 'pending', p,"        \
	" 'precision', CASE WHEN a + r = 0 THEN NULL"                         \
	"  ELSE round(a::numeric / (a + r), 3) END) ORDER BY name),"          \
	" '[]'::json) FROM (SELECT x.name, count(*) AS n,"                    \
	"  count(*) FILTER (WHERE p.state IN ('approved', 'applied',"         \
	"   'failed')) AS a,"                                                 \
	"  count(*) FILTER (WHERE p.state = 'rejected') AS r,"                \
	"  count(*) FILTER (WHERE p.state = 'pending') AS p"                  \
	" FROM proposals p, unnest(p." col ") AS x(name)"                     \
	" WHERE ($1::bigint IS NULL"                                          \
	"  OR p.created_at >= to_timestamp($1::bigint / 1000.0))"             \
	" AND ($2::bigint IS NULL"                                            \
	"  OR p.created_at < to_timestamp($2::bigint / 1000.0))"              \
	" GROUP BY x.name) s"

static const char SQL_STATS_RULES[] = QUEUE_STATS_SQL("rules");
static const char SQL_STATS_FEEDS[] = QUEUE_STATS_SQL("feeds");

/* queue_stats_param: ms as a parameter, NULL for INT64_MIN. */
static const char *
queue_stats_param(int64_t ms, char buf[24])
{
	if (ms == INT64_MIN)
		return NULL;
	snprintf(buf, 24, "%" PRId64, ms);
	return buf;
}

int
queue_stats(struct store *db, enum queue_stats_by by, int64_t since_ms,
    int64_t until_ms, json_t **out)
{
	char        since[24], until[24];
	const char *p[2];

	p[0] = queue_stats_param(since_ms, since);
	p[1] = queue_stats_param(until_ms, until);
	return store_query_json(db, "queue: stats",
	    by == QUEUE_STATS_FEEDS ? SQL_STATS_FEEDS : SQL_STATS_RULES, 2, p,
	    MOD_MAX_STATS_JSON_BYTES, out);
}
