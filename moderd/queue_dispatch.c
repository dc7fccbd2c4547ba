/*
 * queue_dispatch.c - the dispatches table: planning, claiming under a
 * lease, recording outcomes, and the LISTEN/NOTIFY wake-up.
 *
 * Planning turns each decided proposal without a dispatch into exactly
 * one row; the kind follows from the target and the action (doc/api.md,
 * "Dispatch") and the request column freezes what the call will say
 * (target, account and report ids, domain block settings, comments), so
 * a later edit of the proposal cannot change a dispatch under way.
 * UNIQUE (proposal_id, kind) with ON CONFLICT DO NOTHING makes planning
 * idempotent and safe with several planners.
 *
 * Claiming is one autocommitted UPDATE over a SELECT ... FOR UPDATE SKIP
 * LOCKED of the oldest due row: two workers (or two moderd processes)
 * never take the same row, and the row leaves the claim already marked
 * running with a lease, its attempt counted, and next_at moved to the
 * lease's end - so a row whose worker died is due again exactly when its
 * lease expires, through the same index.  Recording checks that the row
 * is still ours (running, claimed_by and attempts unchanged): a worker
 * that overran its lease and lost the row writes nothing.
 *
 * Not here: HTTP, backoff policy, and what an answer means (dispatch.c).
 * The proposal moves to applied or failed only from approved, so a
 * rejected report item whose report is resolved stays rejected.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "audit.h"
#include "dispatch.h"
#include "log.h"
#include "util.h"

/* The kind of a decided proposal p (NULL: nothing to send). */
#define SQL_KIND                                                              \
	"CASE"                                                                \
	" WHEN p.target_type = 'domain' THEN CASE"                            \
	"  WHEN p.state <> 'approved' THEN NULL"                              \
	"  WHEN p.action = 'unblock' THEN 'domain_unblock'"                   \
	"  WHEN p.action NOT IN ('noop', 'silence', 'suspend') THEN NULL"     \
	"  WHEN EXISTS (SELECT 1 FROM blocks b WHERE b.domain = p.target_id"  \
	"   AND b.mastodon_id IS NOT NULL) THEN 'domain_block_update'"        \
	"  ELSE 'domain_block' END"                                           \
	" WHEN p.target_type = 'report' AND (p.state = 'rejected'"            \
	"  OR p.action IN ('none', 'flag')) THEN 'report_resolve'"            \
	" WHEN p.state <> 'approved' THEN NULL"                               \
	" WHEN p.action IN ('sensitive', 'silence', 'suspend')"               \
	"  THEN 'account_action'"                                             \
	" WHEN p.action = 'delete' THEN 'status_delete'"                      \
	" END"

static const char SQL_PLAN[]
    = "INSERT INTO dispatches (proposal_id, kind, request)"
      " SELECT p.id, k.kind, jsonb_build_object("
      "  'account_id', coalesce(p.target_account_id, CASE WHEN"
      "   p.target_type = 'account' THEN p.target_id END),"
      "  'acct', p.target_acct,"
      "  'report_id', CASE WHEN p.target_type = 'report'"
      "   THEN p.target_id END,"
      "  'status_id', CASE WHEN p.target_type = 'status'"
      "   THEN p.target_id END,"
      "  'type', p.action,"
      "  'text', coalesce(p.public_comment, ''),"
      "  'domain', CASE WHEN p.target_type = 'domain' THEN p.target_id END,"
      "  'severity', CASE WHEN p.action IN ('noop', 'silence', 'suspend')"
      "   THEN p.action END,"
      "  'reject_media', p.reject_media,"
      "  'reject_reports', p.reject_reports,"
      "  'obfuscate', p.obfuscate,"
      "  'public_comment', coalesce(p.public_comment, ''),"
      "  'private_comment', coalesce(p.private_comment, ''))"
      " FROM proposals p"
      " CROSS JOIN LATERAL (SELECT " SQL_KIND " AS kind) k"
      " WHERE (p.state = 'approved'"
      "  OR (p.state = 'rejected' AND p.target_type = 'report'))"
      " AND k.kind IS NOT NULL"
      " AND NOT EXISTS (SELECT 1 FROM dispatches d"
      "  WHERE d.proposal_id = p.id)"
      " ORDER BY p.id LIMIT $1::integer"
      " ON CONFLICT (proposal_id, kind) DO NOTHING"
      " RETURNING id";

/* Kinds that need no Mastodon call (recorded locally, or refused). */
#define SQL_LOCAL_KINDS                                                       \
	"('domain_block', 'domain_block_update', 'domain_unblock',"           \
	" 'status_delete')"

static const char SQL_CLAIM[]
    = "UPDATE dispatches d SET state = 'running',"
      " attempts = d.attempts + 1, claimed_by = $1,"
      " lease_until = now() + $2::bigint * interval '1 millisecond',"
      " next_at = now() + $2::bigint * interval '1 millisecond'"
      " FROM (SELECT id, state AS was FROM dispatches"
      "  WHERE state IN ('queued', 'running') AND next_at <= now()"
      "  AND ($3::boolean OR kind IN " SQL_LOCAL_KINDS ")"
      "  ORDER BY next_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) c,"
      " proposals p"
      " WHERE d.id = c.id AND p.id = d.proposal_id"
      " RETURNING d.id, d.proposal_id, d.attempts, c.was, d.kind,"
      " p.target_type, p.target_id, p.action, d.request::text,"
      " (SELECT b.mastodon_id FROM blocks b"
      "  WHERE b.domain = d.request->>'domain')";

static const char SQL_FINISH[]
    = "UPDATE dispatches SET state = $4::text, result = $5, error = $6,"
      " lease_until = NULL,"
      " next_at = CASE WHEN $4::text = 'queued'"
      "  THEN now() + $7::bigint * interval '1 millisecond' ELSE next_at END,"
      " done_at = CASE WHEN $4::text IN ('applied', 'failed')"
      "  THEN now() END"
      " WHERE id = $1::bigint AND state = 'running' AND claimed_by = $2"
      " AND attempts = $3::integer"
      " RETURNING to_char(now() AT TIME ZONE 'UTC',"
      " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

static const char SQL_PROPOSAL_APPLIED[]
    = "UPDATE proposals SET state = 'applied', applied_at = now(),"
      " updated_at = now(), error = NULL"
      " WHERE id = $1::bigint AND state = 'approved'";

static const char SQL_PROPOSAL_FAILED[]
    = "UPDATE proposals SET state = 'failed', error = $2,"
      " updated_at = now()"
      " WHERE id = $1::bigint AND state = 'approved'";

static const char SQL_WAITING[]
    = "SELECT count(*) FROM dispatches WHERE state = 'queued'"
      " AND kind NOT IN " SQL_LOCAL_KINDS;

static const char SQL_LISTEN[] = "LISTEN " DISPATCH_CHANNEL;
static const char SQL_NOTIFY[] = "NOTIFY " DISPATCH_CHANNEL;

/* Audit actions by outcome. */
static const char *const queue_dispatch_audit[] = {
	[DISPATCH_APPLIED] = "dispatch.applied",
	[DISPATCH_RETRY] = "dispatch.retry",
	[DISPATCH_FAILED] = "dispatch.failed",
};
static const char *const queue_dispatch_state[] = {
	[DISPATCH_APPLIED] = "applied",
	[DISPATCH_RETRY] = "queued",
	[DISPATCH_FAILED] = "failed",
};

/* ---- planning ---- */

int
queue_dispatch_plan(struct store *db, int64_t *planned)
{
	char        lim[16];
	const char *params[1] = { lim };
	PGresult   *res = NULL;
	int         rv;

	snprintf(lim, sizeof(lim), "%d", MOD_DISPATCH_PLAN_BATCH_COUNT);
	rv = store_query(
	    db, "dispatch: plan", SQL_PLAN, 1, params, NULL, NULL, &res);
	if (planned != NULL)
		*planned = rv == 0 ? PQntuples(res) : 0;
	store_clear(res);
	return rv;
}

/* ---- claiming ---- */

static char *
queue_dispatch_dup(const PGresult *res, int col)
{
	if (PQgetisnull(res, 0, col))
		return NULL;
	return xstrdup(PQgetvalue(res, 0, col));
}

/* Fill *it from the claim's one row; MOD_EDB if the row is malformed. */
static int
queue_dispatch_fill(const PGresult *res, struct dispatch_item *it)
{
	int64_t v;

	if (mod_strtonum(PQgetvalue(res, 0, 0), 1, INT64_MAX, &it->id) != 0
	    || mod_strtonum(
	           PQgetvalue(res, 0, 1), 1, INT64_MAX, &it->proposal_id)
	        != 0
	    || mod_strtonum(PQgetvalue(res, 0, 2), 1, INT32_MAX, &v) != 0
	    || mod_strlcpy(it->kind, PQgetvalue(res, 0, 4), sizeof(it->kind))
	        >= sizeof(it->kind)) {
		log_warnx("dispatch: claimed row is malformed");
		return MOD_EDB;
	}
	it->attempts = (int) v;
	it->takeover = strcmp(PQgetvalue(res, 0, 3), "running") == 0;
	it->target_type = queue_dispatch_dup(res, 5);
	it->target_id = queue_dispatch_dup(res, 6);
	it->action = queue_dispatch_dup(res, 7);
	it->request = queue_dispatch_dup(res, 8);
	it->mastodon_id = queue_dispatch_dup(res, 9);
	return 0;
}

int
queue_dispatch_claim(struct store *db, const char *who, int64_t lease_ms,
    bool with_mastodon, struct dispatch_item *it)
{
	char        lease[24];
	const char *params[3] = { who, lease, with_mastodon ? "t" : "f" };
	PGresult   *res = NULL;
	int         rv;

	memset(it, 0, sizeof(*it));
	snprintf(lease, sizeof(lease), "%" PRId64, lease_ms);
	rv = store_query(
	    db, "dispatch: claim", SQL_CLAIM, 3, params, NULL, NULL, &res);
	if (rv == 0 && PQntuples(res) == 0)
		rv = MOD_ENOENT;
	else if (rv == 0 && (rv = queue_dispatch_fill(res, it)) == 0)
		mod_strlcpy(it->claimed_by, who, sizeof(it->claimed_by));
	store_clear(res);
	if (rv != 0)
		dispatch_item_free(it);
	return rv;
}

void
dispatch_item_free(struct dispatch_item *it)
{
	if (it == NULL)
		return;
	free(it->target_type);
	free(it->target_id);
	free(it->action);
	free(it->request);
	free(it->mastodon_id);
	it->target_type = it->target_id = it->action = NULL;
	it->request = it->mastodon_id = NULL;
}

/* ---- recording ---- */

/* The dispatch row; MOD_ENOENT if it is no longer ours. */
static int
queue_dispatch_row(struct store *db, const struct dispatch_item *it,
    const struct dispatch_result *r, char at[DISPATCH_AT_BYTES])
{
	char  id[24], att[16], delay[24];
	char *text
	    = store_text(r->outcome == DISPATCH_APPLIED ? r->result : r->error,
	        MOD_MAX_DISPATCH_ERROR_BYTES);
	const char *params[7]
	    = { id, it->claimed_by, att, queue_dispatch_state[r->outcome],
		      r->outcome == DISPATCH_APPLIED ? text : NULL,
		      r->outcome == DISPATCH_APPLIED ? NULL : text, delay };
	PGresult *res = NULL;
	int       rv;

	snprintf(id, sizeof(id), "%" PRId64, it->id);
	snprintf(att, sizeof(att), "%d", it->attempts);
	snprintf(delay, sizeof(delay), "%" PRId64, r->retry_ms);
	rv = store_query(
	    db, "dispatch: record", SQL_FINISH, 7, params, NULL, NULL, &res);
	if (rv == 0 && PQntuples(res) != 1)
		rv = MOD_ENOENT;
	else if (rv == 0)
		mod_strlcpy(at, PQgetvalue(res, 0, 0), DISPATCH_AT_BYTES);
	store_clear(res);
	free(text);
	return rv;
}

/* The proposal's final state (a retry leaves it approved). */
static int
queue_dispatch_proposal(struct store *db, const struct dispatch_item *it,
    const struct dispatch_result *r)
{
	char        id[24];
	char       *err = store_text(r->error, MOD_MAX_DISPATCH_ERROR_BYTES);
	const char *params[2] = { id, err };
	int         rv = 0;

	snprintf(id, sizeof(id), "%" PRId64, it->proposal_id);
	if (r->outcome == DISPATCH_APPLIED)
		rv = store_exec(db, "dispatch: proposal applied",
		    SQL_PROPOSAL_APPLIED, 1, params);
	else if (r->outcome == DISPATCH_FAILED)
		rv = store_exec(db, "dispatch: proposal failed",
		    SQL_PROPOSAL_FAILED, 2, params);
	free(err);
	return rv;
}

static int
queue_dispatch_audit_row(struct store *db, const struct dispatch_item *it,
    const struct dispatch_result *r)
{
	char reason[MOD_MAX_DISPATCH_ERROR_BYTES + 64], ref[48];

	if (r->outcome == DISPATCH_APPLIED)
		snprintf(reason, sizeof(reason), "%s: %s", it->kind,
		    r->result ? r->result : "applied");
	else
		snprintf(reason, sizeof(reason), "%s attempt %d: %s", it->kind,
		    it->attempts, r->error ? r->error : "error");
	snprintf(ref, sizeof(ref), "dispatch:%" PRId64, it->id);
	return audit_append(db, "dispatch", queue_dispatch_audit[r->outcome],
	    it->target_type, it->target_id, it->proposal_id, reason, ref,
	    NULL);
}

/* The statements of queue_dispatch_finish(), inside its transaction. */
static int
queue_dispatch_record(struct store *db, const struct dispatch_item *it,
    const struct dispatch_result *r, char at[DISPATCH_AT_BYTES])
{
	int rv;

	if ((rv = audit_lock(db)) != 0
	    || (rv = queue_dispatch_row(db, it, r, at)) != 0
	    || (rv = queue_dispatch_proposal(db, it, r)) != 0)
		return rv;
	/* Helper H3b's store_feeds.c keeps `blocks` in step. */
	if (r->outcome == DISPATCH_APPLIED && r->block
	    && (rv = store_block_apply(db, it->proposal_id, r->mastodon_id))
	        != 0)
		return MOD_EDB; /* MOD_ENOENT is not "the claim was lost" */
	return queue_dispatch_audit_row(db, it, r);
}

int
queue_dispatch_finish(struct store *db, const struct dispatch_item *it,
    const struct dispatch_result *r, char at[DISPATCH_AT_BYTES])
{
	int rv;

	at[0] = '\0';
	if (r->outcome < DISPATCH_APPLIED || r->outcome > DISPATCH_FAILED)
		return MOD_EINVAL;
	if ((rv = store_begin(db)) != 0)
		return rv;
	if ((rv = queue_dispatch_record(db, it, r, at)) == 0)
		rv = store_commit(db);
	if (rv != 0)
		store_rollback(db);
	return rv == MOD_ENOENT ? MOD_ENOENT : rv != 0 ? MOD_EDB : 0;
}

int
queue_dispatch_waiting(struct store *db, int64_t *n)
{
	char val[24];
	int  rv;

	*n = 0;
	rv = store_query_value(
	    db, "dispatch: waiting", SQL_WAITING, 0, NULL, val, sizeof(val));
	if (rv == 0 && mod_strtonum(val, 0, INT64_MAX, n) != 0)
		rv = MOD_EDB;
	return rv;
}

/* ---- LISTEN / NOTIFY ---- */

int
queue_dispatch_listen(struct store *db)
{
	return store_exec(db, "dispatch: listen", SQL_LISTEN, 0, NULL);
}

int
queue_dispatch_notify(struct store *db)
{
	return store_exec(db, "dispatch: notify", SQL_NOTIFY, 0, NULL);
}

/* Consume what arrived; true if any notification did. */
static bool
queue_dispatch_drain(PGconn *c)
{
	PGnotify *n;
	bool      any = false;

	while ((n = PQnotifies(c)) != NULL) {
		any = true;
		PQfreemem(n);
	}
	return any;
}

int
queue_dispatch_wait(
    struct store *db, int wakefd, int64_t timeout_ms, bool *notified)
{
	PGconn       *c = store_conn(db);
	struct pollfd pfd[2];
	int           sock;

	*notified = false;
	if (c == NULL || PQstatus(c) != CONNECTION_OK
	    || (sock = PQsocket(c)) < 0)
		return MOD_EDB;
	if ((*notified = queue_dispatch_drain(c)))
		return 0;
	pfd[0] = (struct pollfd) { .fd = sock, .events = POLLIN };
	pfd[1] = (struct pollfd) { .fd = wakefd, .events = POLLIN };
	if (poll(pfd, wakefd >= 0 ? 2 : 1, (int) timeout_ms) < 0
	    && errno != EINTR)
		return MOD_EDB;
	if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
		return 0;
	if (PQconsumeInput(c) == 0) {
		log_warnx("dispatch: lost the LISTEN connection");
		return MOD_EDB;
	}
	*notified = queue_dispatch_drain(c);
	return 0;
}
