/*
 * queue_stats.h - how the queue's rules and feeds fare with moderators:
 * proposals made, approved, rejected and pending, and precision, per
 * rule or per feed over a period (GET /v1/stats/rules, /v1/stats/feeds).
 */
#ifndef MODERD_QUEUE_STATS_H
#define MODERD_QUEUE_STATS_H

#include <stdint.h>

#include <jansson.h>

#include "moderd.h"
#include "store.h"

/* What the statistics are grouped by: proposals.rules or .feeds. */
enum queue_stats_by { QUEUE_STATS_RULES, QUEUE_STATS_FEEDS };

/*
 * queue_stats: one object per rule (or feed) named by a proposal created
 * in [since_ms, until_ms) (INT64_MIN: no bound), by name:
 * {"name","proposals","approved","rejected","pending","precision"},
 * where approved counts approved, applied and failed items and precision
 * is approved / (approved + rejected) rounded to 3 decimals, or null when
 * nothing is decided.  A proposal naming several rules counts for each.
 * *out is a new JSON array.  Returns 0, MOD_ETOOBIG (over
 * MOD_MAX_STATS_JSON_BYTES) or MOD_EDB.
 */
int queue_stats(struct store *db, enum queue_stats_by by, int64_t since_ms,
    int64_t until_ms, json_t **out) MOD_MUSTCHECK;

#endif /* MODERD_QUEUE_STATS_H */
