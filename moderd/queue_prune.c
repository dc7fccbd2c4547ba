/*
 * queue_prune.c - retention: old dead letters and dedup keys go.
 *
 * Two tables only ever grow: dead_letters (every rejected event, kept for
 * inspection) and deliveries (the dedup key of every event that made or
 * merged a proposal, kept so a redelivered webhook is recognised).  Both
 * are only useful for a while: a dead letter until someone has looked,
 * a dedup key until the sender has stopped retrying (Mastodon retries a
 * webhook for about two days).  queue_prune() deletes what is older than
 * the configured retention, oldest first, in statements of a bounded
 * number of rows (each its own short transaction, so the writer and the
 * API never wait long on it) and a bounded number per call.
 *
 * What it deliberately does not touch: proposals, evidence, the audit
 * trail and everything a moderator decided - those are the record.
 */
#include <stdio.h>
#include <string.h>

#include "queue.h"
#include "util.h"

/* $1 retention in ms, $2 rows at most; the number deleted. */
static const char SQL_PRUNE_DEAD_LETTERS[]
    = "WITH d AS (DELETE FROM dead_letters WHERE id IN ("
      " SELECT id FROM dead_letters"
      " WHERE at < now() - $1::bigint * interval '1 millisecond'"
      " ORDER BY at LIMIT $2::integer) RETURNING 1)"
      " SELECT count(*) FROM d";

static const char SQL_PRUNE_DEDUP_KEYS[]
    = "WITH d AS (DELETE FROM deliveries WHERE dedup_key IN ("
      " SELECT dedup_key FROM deliveries"
      " WHERE received_at < now() - $1::bigint * interval '1 millisecond'"
      " ORDER BY received_at LIMIT $2::integer) RETURNING 1)"
      " SELECT count(*) FROM d";

/* One statement of sql: rows deleted into *n.  0 or MOD_EDB. */
static int
queue_prune_batch(struct store *db, const char *what, const char *sql,
    int64_t older_ms, int64_t *n)
{
	char        ms[24], lim[24], val[24];
	const char *params[2] = { ms, lim };

	snprintf(ms, sizeof(ms), "%lld", (long long) older_ms);
	snprintf(lim, sizeof(lim), "%d", MOD_MAX_PRUNE_BATCH_COUNT);
	if (store_query_value(db, what, sql, 2, params, val, sizeof(val)) != 0
	    || mod_strtonum(val, 0, MOD_MAX_PRUNE_BATCH_COUNT, n) != 0)
		return MOD_EDB;
	return 0;
}

/* Batches of sql until one comes back short or the run is full. */
static int
queue_prune_table(struct store *db, const char *what, const char *sql,
    int64_t older_ms, int64_t *total)
{
	int64_t n = MOD_MAX_PRUNE_BATCH_COUNT;
	int     rv = 0;

	*total = 0;
	if (older_ms <= 0)
		return 0;
	while (n == MOD_MAX_PRUNE_BATCH_COUNT
	    && *total < MOD_MAX_PRUNE_RUN_COUNT
	    && (rv = queue_prune_batch(db, what, sql, older_ms, &n)) == 0)
		*total += n;
	return rv;
}

int
queue_prune(struct store *db, int64_t dead_letter_ms, int64_t dedup_ms,
    struct queue_pruned *out)
{
	int rv;

	memset(out, 0, sizeof(*out));
	rv = queue_prune_table(db, "queue: prune dead letters",
	    SQL_PRUNE_DEAD_LETTERS, dead_letter_ms, &out->dead_letters);
	if (rv == 0)
		rv = queue_prune_table(db, "queue: prune dedup keys",
		    SQL_PRUNE_DEDUP_KEYS, dedup_ms, &out->dedup_keys);
	return rv;
}
