/*
 * api_stats.c - rule and feed statistics (doc/api.md, "Statistics"): for
 * each rule or feed named by the proposals created in [since, until),
 * how many were made, approved, rejected and pending, and precision.
 * Any role may read them.  The counting is queue_stats.c's.
 */
#include <stdint.h>

#include "api.h"
#include "queue_stats.h"

/* api_stats_by: the statistics grouped by, under key in the answer. */
static void
api_stats_by(struct api_ctx *c, enum queue_stats_by by, const char *key)
{
	int64_t since = INT64_MIN, until = INT64_MIN;
	json_t *v = NULL;
	int     rv;

	if (api_query_time(c, "since", &since) != 0
	    || api_query_time(c, "until", &until) != 0)
		return;
	if ((rv = queue_stats(c->db, by, since, until, &v)) != 0) {
		api_error_rv(c, rv, "could not count the %s", key);
		return;
	}
	api_reply(c, 200, json_pack("{s:o}", key, v));
}

static void
api_stats_rules(struct api_ctx *c)
{
	api_stats_by(c, QUEUE_STATS_RULES, "rules");
}

static void
api_stats_feeds(struct api_ctx *c)
{
	api_stats_by(c, QUEUE_STATS_FEEDS, "feeds");
}

const struct api_route api_stats_routes[] = {
	{ "GET", "/v1/stats/rules", API_ROLE_TRIAGE, 0, NULL,
	    api_stats_rules },
	{ "GET", "/v1/stats/feeds", API_ROLE_TRIAGE, 0, NULL,
	    api_stats_feeds },
};
const size_t api_stats_nroutes = nitems(api_stats_routes);
