/*
 * dispatch.h - carrying decided queue items out to Mastodon's admin API.
 *
 * Two layers.  queue_dispatch.c is the SQL: planning dispatch rows for
 * decided proposals, claiming one due row under a lease (FOR UPDATE SKIP
 * LOCKED), recording its outcome with the proposal's new state and an
 * audit row in one transaction, and the LISTEN/NOTIFY wake-up.
 * dispatch.c is the engine: threads that claim, send the HTTP request
 * with libcurl, classify the answer, retry with backoff, and announce
 * every applied action on an nng pub socket.
 *
 * Kinds (dispatches.kind) and the requests they make are listed in
 * doc/api.md, "Dispatch".
 */
#ifndef MODERD_DISPATCH_H
#define MODERD_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "moderd.h"
#include "store.h"

/* The NOTIFY channel that approval code signals after a decision. */
#define DISPATCH_CHANNEL "moderd_dispatch"

#define DISPATCH_KIND_BYTES 32 /* "domain_block_update" and NUL */
#define DISPATCH_WHO_BYTES 128 /* "host:pid:thread" of a claim */
#define DISPATCH_AT_BYTES 32 /* "2026-11-22T10:00:00.000Z" and NUL */

/* What became of one attempt. */
enum dispatch_outcome {
	DISPATCH_APPLIED, /* done: the proposal is applied */
	DISPATCH_RETRY, /* try again after retry_ms */
	DISPATCH_FAILED /* done: the proposal failed with error */
};

/* One claimed dispatch row, with what its proposal says. */
struct dispatch_item {
	int64_t id;
	int64_t proposal_id;
	int     attempts; /* including this one */
	bool    takeover; /* was running under an expired lease */
	char    kind[DISPATCH_KIND_BYTES];
	char    claimed_by[DISPATCH_WHO_BYTES];
	char   *target_type; /* the proposal's; owned */
	char   *target_id; /* owned */
	char   *action; /* owned */
	char   *request; /* dispatches.request as JSON text; owned */
	char   *mastodon_id; /* blocks.mastodon_id of the domain; or NULL */
};

/* The outcome to record for a claimed item (strings borrowed). */
struct dispatch_result {
	int         outcome; /* enum dispatch_outcome */
	const char *result; /* applied: what happened ("applied", "covered") */
	const char *error; /* failed or retry: why */
	int64_t     retry_ms; /* retry: delay before the next attempt */
	bool        block; /* applied domain item: record it in blocks */
	const char *mastodon_id; /* with block: Mastodon's id, or NULL */
};

/* --- queue_dispatch.c -------------------------------------------------- */

/*
 * queue_dispatch_plan: create the dispatch row of every decided proposal
 * that has none yet (approved items; rejected report items), at most
 * MOD_DISPATCH_PLAN_BATCH_COUNT per call, oldest first.  Items whose
 * decision has no external effect (approved flag or none on an account
 * or status) get no row and stay approved.  Safe against concurrent
 * planners (ON CONFLICT DO NOTHING).  *planned (may be NULL) counts the
 * rows made.  Returns 0 or MOD_EDB.
 */
int queue_dispatch_plan(struct store *db, int64_t *planned) MOD_MUSTCHECK;

/*
 * queue_dispatch_claim: take the oldest due row - queued with next_at
 * passed, or running with its lease expired - skipping rows another
 * transaction holds; mark it running, count the attempt, and lease it to
 * `who` for lease_ms; committed before returning.  Without with_mastodon
 * only kinds that need no Mastodon call are taken (domain items, which
 * are recorded locally, and status_delete, which fails).  On success *it
 * is filled (free with dispatch_item_free()).  Returns 0, MOD_ENOENT
 * (nothing due) or MOD_EDB.
 */
int queue_dispatch_claim(struct store *db, const char *who, int64_t lease_ms,
    bool with_mastodon, struct dispatch_item *it) MOD_MUSTCHECK;

/* dispatch_item_free: release the strings of *it.  NULL-safe. */
void dispatch_item_free(struct dispatch_item *it);

/*
 * queue_dispatch_finish: record r for the claimed item in one
 * transaction (audit head locked first): the dispatch row (applied,
 * failed, or queued again after r->retry_ms), the proposal (applied or
 * failed, only if it is still approved: a rejected report item stays
 * rejected), the blocks table for an applied domain item
 * (store_block_apply()), and an audit row (actor "dispatch", action
 * "dispatch.applied", "dispatch.failed" or "dispatch.retry").  at
 * receives the time recorded, ISO 8601 UTC.  Returns 0, MOD_ENOENT if the
 * claim was lost (the lease expired and another worker took the row:
 * nothing is written) or MOD_EDB.
 */
int queue_dispatch_finish(struct store *db, const struct dispatch_item *it,
    const struct dispatch_result *r, char at[DISPATCH_AT_BYTES]) MOD_MUSTCHECK;

/*
 * queue_dispatch_waiting: *n = queued rows that need a Mastodon call
 * (what waits while mastodon_url is not configured).  0 or MOD_EDB.
 */
int queue_dispatch_waiting(struct store *db, int64_t *n) MOD_MUSTCHECK;

/* queue_dispatch_listen: LISTEN on DISPATCH_CHANNEL.  0 or MOD_EDB. */
int queue_dispatch_listen(struct store *db) MOD_MUSTCHECK;

/* queue_dispatch_notify: NOTIFY DISPATCH_CHANNEL (delivered at commit
 * when inside a transaction).  0 or MOD_EDB. */
int queue_dispatch_notify(struct store *db) MOD_MUSTCHECK;

/*
 * queue_dispatch_wait: wait at most timeout_ms for a notification on a
 * listening connection or for wakefd (a pipe's read end; -1 for none) to
 * become readable (it is not read).  *notified is true if notifications
 * were consumed (they are all consumed).  Returns 0, or MOD_EDB if the
 * connection is lost (store_ensure() then reconnects; LISTEN again).
 */
int queue_dispatch_wait(struct store *db, int wakefd, int64_t timeout_ms,
    bool *notified) MOD_MUSTCHECK;

/* --- dispatch.c -------------------------------------------------------- */

/* What the engine needs; strings borrowed until dispatch_start() returns
 * (it copies them). */
struct dispatch_opts {
	const char *dsn; /* libpq connection string */
	int64_t     stmt_timeout_ms; /* 0 = the server's */
	const char *mastodon_url; /* "https://host"; "" = none */
	const char *mastodon_token; /* bearer token; "" = none */
	const char *actions_pub; /* nng URL to listen on; "" = none */
	uint32_t    workers; /* 1..MOD_MAX_DISPATCH_WORKERS_COUNT */
	uint32_t    max_attempts; /* >= 1 */
	int64_t     backoff_min_ms; /* first retry delay */
	int64_t     backoff_max_ms; /* retry delay cap */
	int64_t     timeout_ms; /* one HTTP request, all told */
	int64_t     poll_ms; /* look for due rows at least this often */
};

struct dispatch;

/*
 * dispatch_opts_from_conf: *o from the config keys (mastodon_url,
 * mastodon_token, actions_pub, dispatch_*) and the database dsn, with
 * backoff_min_ms MOD_DISPATCH_BACKOFF_MIN_MS and poll_ms
 * MOD_DISPATCH_POLL_MS.  Strings are borrowed from c and dsn.
 */
void dispatch_opts_from_conf(
    const struct conf *c, const char *dsn, struct dispatch_opts *o);

/*
 * dispatch_start: open the actions socket (if any) and one database
 * connection per worker plus one for LISTEN, and start the threads.
 * Returns 0 with *out set (stop with dispatch_stop()), MOD_EINVAL (bad
 * options or nng address), MOD_EIO (nng or libcurl failed) or MOD_EDB
 * (the database cannot be reached at start).
 */
int dispatch_start(
    const struct dispatch_opts *o, struct dispatch **out) MOD_MUSTCHECK;

/*
 * dispatch_stop: stop claiming, let requests in flight finish (each is
 * bounded by timeout_ms) and record them, join the threads, close
 * everything.  NULL-safe.
 */
void dispatch_stop(struct dispatch *d);

#endif /* MODERD_DISPATCH_H */
