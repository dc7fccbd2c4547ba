/*
 * queue_decide.c - what moderators do to queue items: assign, comment,
 * edit, reject, and propose by hand (approving is queue_approve.c).
 *
 * Every operation is one transaction with the same shape
 * (queue_decide_run): BEGIN; audit_lock() first, as audit.h's lock order
 * demands; SELECT ... FOR UPDATE of the proposal, so two moderators
 * acting on one item serialise and the second sees the first's result;
 * the checks (state, role, two-person rule) against that locked row; the
 * changes; the audit row; COMMIT.  Any refusal or failure rolls back, so
 * a refused call changes nothing.
 *
 * An edit changes the action and clears earlier approvals, so the
 * two-person rule (queue_approve.c) counts only approvals of the action
 * as it now stands.
 *
 * Not here: reading items back (queue_read.c), role checks beyond the
 * triage-rejects-only-flags rule (the API's route table), dispatch.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "audit.h"
#include "log.h"
#include "queue.h"
#include "queue_sql.h"
#include "util.h"

static const char SQL_LOCK_ITEM[]
    = "SELECT state, action, target_type, target_id, source, proposer,"
      " target_account_id FROM proposals WHERE id = $1::bigint FOR UPDATE";
static const char SQL_USER_EXISTS[]
    = "SELECT 1 FROM users WHERE name = $1 AND disabled_at IS NULL";
static const char SQL_ASSIGN[]
    = "UPDATE proposals SET assignee = $2, updated_at = now()"
      " WHERE id = $1::bigint";
static const char SQL_COMMENT[]
    = "INSERT INTO comments (proposal_id, user_name, body)"
      " VALUES ($1::bigint, $2, $3) RETURNING id";
static const char SQL_CLASH[]
    = "SELECT id FROM proposals WHERE state = 'pending'"
      " AND target_type = $1 AND target_id = $2 AND action = $3";
static const char SQL_EDIT[]
    = "UPDATE proposals SET action = coalesce($2, action),"
      " reject_media = coalesce($3::boolean, reject_media),"
      " reject_reports = coalesce($4::boolean, reject_reports),"
      " obfuscate = coalesce($5::boolean, obfuscate),"
      " public_comment = CASE WHEN $6::boolean THEN $7"
      "  ELSE public_comment END,"
      " private_comment = CASE WHEN $8::boolean THEN $9"
      "  ELSE private_comment END,"
      " priority = CASE WHEN target_type = 'report' THEN priority"
      "  ELSE queue_priority(target_type, coalesce($2, action),"
      "   report_category, score, count, 0) END,"
      " updated_at = now() WHERE id = $1::bigint";
static const char SQL_CLEAR_APPROVALS[]
    = "DELETE FROM approvals WHERE proposal_id = $1::bigint";
static const char SQL_REJECT[]
    = "UPDATE proposals SET state = 'rejected', reject_reason = $2,"
      " decided_at = now(), decided_by = $3, updated_at = now()"
      " WHERE id = $1::bigint";
static const char SQL_REMEMBER_FEED[]
    = "INSERT INTO feed_rejections (domain, kind, fingerprint)"
      " SELECT p.target_id, e.snapshot ->> 'kind',"
      "  coalesce(p.fingerprint, '')"
      " FROM proposals p, LATERAL (SELECT snapshot FROM evidence"
      "  WHERE proposal_id = p.id ORDER BY id DESC LIMIT 1) e"
      " WHERE p.id = $1::bigint"
      " AND e.snapshot ->> 'kind' IN ('add', 'change', 'retract')"
      " ON CONFLICT DO NOTHING";
static const char SQL_NOTIFY[]
    = "SELECT pg_notify('moderd_dispatch', $1::text)";
static const char SQL_PROPOSE[]
    = "INSERT INTO proposals (target_type, target_id, target_acct, action,"
      " reject_media, reject_reports, obfuscate, public_comment,"
      " private_comment, source, proposer, priority, approvals_needed)"
      " VALUES ($1, $2, $3, $4, $5::boolean, $6::boolean, $7::boolean,"
      "  $8, $9, 'manual', $10, queue_priority($1, $4, NULL, 0, 1, 0), 1)"
      " ON CONFLICT (target_type, target_id, action)"
      "  WHERE state = 'pending' DO NOTHING RETURNING id";
static const char SQL_PROPOSE_EVIDENCE[]
    = "INSERT INTO evidence (proposal_id, snapshot)"
      " VALUES ($1::bigint, jsonb_build_object('event', 'manual',"
      " 'object_id', $2::text, 'action', $3::text, 'proposer', $4::text,"
      " 'reason', $5::text, 'score', 0, 'hits', '[]'::jsonb))";

static const char *const queue_target_types[]
    = { "status", "account", "report", "domain", NULL };
static const char *const queue_domain_actions[]
    = { "noop", "silence", "suspend", "unblock", NULL };
static const char *const queue_other_actions[]
    = { "none", "flag", "sensitive", "delete", "silence", "suspend", NULL };

/* The locked item: columns of SQL_LOCK_ITEM, borrowed from row. */
struct queue_locked {
	int64_t     id;
	char        ids[24];
	PGresult   *row;
	const char *state;
	const char *action;
	const char *target_type;
	const char *target_id;
	const char *source;
	const char *proposer; /* NULL if none */
};

typedef int (*queue_step_fn)(struct store *db, struct queue_locked *q,
    const char *actor, const void *arg, struct mod_err *err);

static bool
queue_in(const char *s, const char *const *list)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

bool
queue_action_ok(const char *target_type, const char *action)
{
	if (target_type == NULL || action == NULL
	    || !queue_in(target_type, queue_target_types))
		return false;
	if (strcmp(target_type, "domain") == 0)
		return queue_in(action, queue_domain_actions);
	return queue_in(action, queue_other_actions);
}

/* queue_lock: lock item q->id and read it; MOD_ENOENT if none. */
static int
queue_lock(struct store *db, struct queue_locked *q, struct mod_err *err)
{
	const char *p[1] = { q->ids };
	int         rv;

	rv = store_query(
	    db, "queue: lock item", SQL_LOCK_ITEM, 1, p, NULL, NULL, &q->row);
	if (rv != 0)
		return rv;
	if (PQntuples(q->row) != 1)
		return mod_errf(err, MOD_ENOENT, "no item %s", q->ids);
	q->state = PQgetvalue(q->row, 0, 0);
	q->action = PQgetvalue(q->row, 0, 1);
	q->target_type = PQgetvalue(q->row, 0, 2);
	q->target_id = PQgetvalue(q->row, 0, 3);
	q->source = PQgetvalue(q->row, 0, 4);
	q->proposer
	    = PQgetisnull(q->row, 0, 5) ? NULL : PQgetvalue(q->row, 0, 5);
	return 0;
}

/* queue_decide_run: one operation on item id in one transaction. */
static int
queue_decide_run(struct store *db, int64_t id, const char *actor,
    queue_step_fn fn, const void *arg, struct mod_err *err)
{
	struct queue_locked q;
	int                 rv;

	memset(&q, 0, sizeof(q));
	q.id = id;
	snprintf(q.ids, sizeof(q.ids), "%" PRId64, id);
	if ((rv = store_begin(db)) != 0 || (rv = audit_lock(db)) != 0
	    || (rv = queue_lock(db, &q, err)) != 0
	    || (rv = fn(db, &q, actor, arg, err)) != 0
	    || (rv = store_commit(db)) != 0)
		store_rollback(db);
	PQclear(q.row);
	if (rv == MOD_EDB)
		mod_errf(err, rv, "database error");
	return rv;
}

static int
queue_audit(struct store *db, const struct queue_locked *q, const char *actor,
    const char *action, const char *reason)
{
	return audit_append(db, actor, action, q->target_type, q->target_id,
	    q->id, reason, NULL, NULL);
}

static int
queue_pending(const struct queue_locked *q, struct mod_err *err)
{
	if (strcmp(q->state, "pending") == 0)
		return 0;
	return mod_errf(
	    err, MOD_EEXIST, "item %s is %s, not pending", q->ids, q->state);
}

/* ---- assign and comment ----------------------------------------------- */

static int
queue_assign_step(struct store *db, struct queue_locked *q, const char *actor,
    const void *arg, struct mod_err *err)
{
	const char *user = arg;
	const char *p[2] = { q->ids, user };
	char        one[4];
	int         rv;

	if (user != NULL) {
		rv = store_query_value(db, "queue: user exists",
		    SQL_USER_EXISTS, 1, &user, one, sizeof(one));
		if (rv == MOD_ENOENT)
			return mod_errf(err, rv, "no user %s", user);
		if (rv != 0)
			return MOD_EDB;
	}
	if (store_exec(db, "queue: assign", SQL_ASSIGN, 2, p) != 0)
		return MOD_EDB;
	return queue_audit(
	    db, q, actor, user != NULL ? "assign" : "unassign", user);
}

int
queue_assign(struct store *db, int64_t id, const char *actor, const char *user,
    struct mod_err *err)
{
	return queue_decide_run(db, id, actor, queue_assign_step, user, err);
}

struct queue_comment_arg {
	const char *text;
	int64_t    *cid;
};

static int
queue_comment_step(struct store *db, struct queue_locked *q, const char *actor,
    const void *arg, struct mod_err *err)
{
	const struct queue_comment_arg *a = arg;
	const char                     *p[3] = { q->ids, actor, a->text };
	char                            id[24];

	(void) err;
	if (store_query_value(
	        db, "queue: comment", SQL_COMMENT, 3, p, id, sizeof(id))
	        != 0
	    || mod_strtonum(id, 1, INT64_MAX, a->cid) != 0)
		return MOD_EDB;
	return queue_audit(db, q, actor, "comment", a->text);
}

int
queue_comment(struct store *db, int64_t id, const char *actor,
    const char *text, int64_t *cid, struct mod_err *err)
{
	struct queue_comment_arg a = { text, cid };

	return queue_decide_run(db, id, actor, queue_comment_step, &a, err);
}

/* ---- edit ------------------------------------------------------------- */

/* queue_clash: another pending item already proposes action for q's
 * target (the unique index would refuse the change). */
static int
queue_clash(struct store *db, const char *target_type, const char *target_id,
    const char *action, struct mod_err *err)
{
	const char *p[3] = { target_type, target_id, action };
	char        other[24];
	int         rv;

	rv = store_query_value(
	    db, "queue: clash", SQL_CLASH, 3, p, other, sizeof(other));
	if (rv == MOD_ENOENT)
		return 0;
	if (rv != 0)
		return MOD_EDB;
	return mod_errf(err, MOD_EEXIST,
	    "item %s already proposes %s for this target", other, action);
}

static const char *
queue_bool_param(int v)
{
	return v < 0 ? NULL : v ? "true" : "false";
}

/* queue_edit_reason: the fields e changes, for the audit row. */
static void
queue_edit_reason(const struct queue_locked *q, const struct queue_edit *e,
    char *out, size_t outsz)
{
	size_t n;

	out[0] = '\0';
	if (e->action != NULL)
		snprintf(
		    out, outsz, "action %s -> %s, ", q->action, e->action);
	n = strlen(out);
	snprintf(out + n, outsz - n, "%s%s%s%s%s",
	    e->reject_media >= 0 ? "reject_media, " : "",
	    e->reject_reports >= 0 ? "reject_reports, " : "",
	    e->obfuscate >= 0 ? "obfuscate, " : "",
	    e->set_public ? "public_comment, " : "",
	    e->set_private ? "private_comment, " : "");
	n = strlen(out);
	if (n >= 2)
		out[n - 2] = '\0';
}

static int
queue_edit_step(struct store *db, struct queue_locked *q, const char *actor,
    const void *arg, struct mod_err *err)
{
	const struct queue_edit *e = arg;
	const char              *p[9]
	    = { q->ids, e->action, queue_bool_param(e->reject_media),
		      queue_bool_param(e->reject_reports),
		      queue_bool_param(e->obfuscate),
		      e->set_public ? "true" : "false", e->public_comment,
		      e->set_private ? "true" : "false", e->private_comment };
	char reason[128];
	int  rv;

	if ((rv = queue_pending(q, err)) != 0)
		return rv;
	if (e->action != NULL && !queue_action_ok(q->target_type, e->action))
		return mod_errf(err, MOD_EINVAL,
		    "action %s does not apply to a %s", e->action,
		    q->target_type);
	if (e->action != NULL && strcmp(e->action, q->action) != 0
	    && (rv = queue_clash(
	            db, q->target_type, q->target_id, e->action, err))
	        != 0)
		return rv;
	if (store_exec(db, "queue: edit", SQL_EDIT, 9, p) != 0
	    || store_exec(
	           db, "queue: clear approvals", SQL_CLEAR_APPROVALS, 1, p)
	        != 0)
		return MOD_EDB;
	queue_edit_reason(q, e, reason, sizeof(reason));
	return queue_audit(db, q, actor, "edit", reason);
}

int
queue_edit(struct store *db, int64_t id, const char *actor,
    const struct queue_edit *e, struct mod_err *err)
{
	return queue_decide_run(db, id, actor, queue_edit_step, e, err);
}

/* ---- reject ----------------------------------------------------------- */

struct queue_reject_arg {
	const char *reason;
	bool        triage;
};

static int
queue_reject_step(struct store *db, struct queue_locked *q, const char *actor,
    const void *arg, struct mod_err *err)
{
	const struct queue_reject_arg *a = arg;
	const char                    *p[3] = { q->ids, a->reason, actor };
	char                           one[4];
	int                            rv;

	if ((rv = queue_pending(q, err)) != 0)
		return rv;
	if (a->triage && strcmp(q->action, "none") != 0
	    && strcmp(q->action, "flag") != 0)
		return mod_errf(err, MOD_EAUTH,
		    "role triage may reject only items whose action is none "
		    "or "
		    "flag (this one is %s)",
		    q->action);
	if (store_exec(db, "queue: reject", SQL_REJECT, 3, p) != 0)
		return MOD_EDB;
	if (strcmp(q->source, "feed") == 0
	    && store_exec(db, "queue: remember feed rejection",
	           SQL_REMEMBER_FEED, 1, p)
	        != 0)
		return MOD_EDB;
	if (strcmp(q->target_type, "report") == 0
	    && store_query_value(db, "queue: notify dispatch", SQL_NOTIFY, 1,
	           p, one, sizeof(one))
	        == MOD_EDB)
		return MOD_EDB;
	return queue_audit(db, q, actor, "reject", a->reason);
}

int
queue_reject(struct store *db, int64_t id, const char *actor,
    const char *reason, bool triage, struct mod_err *err)
{
	struct queue_reject_arg a = { reason, triage };

	if (reason == NULL || reason[0] == '\0')
		return mod_errf(err, MOD_EINVAL, "a reason is required");
	return queue_decide_run(db, id, actor, queue_reject_step, &a, err);
}

/* ---- manual proposals ------------------------------------------------- */

/* queue_propose_insert: the proposal, its evidence and audit row. */
static int
queue_propose_insert(struct store *db, const struct queue_manual *m,
    const char *actor, int64_t *id, struct mod_err *err)
{
	char        ids[24];
	const char *p[10] = { m->target_type, m->target_id, m->target_acct,
		m->action, queue_bool_param(m->reject_media),
		queue_bool_param(m->reject_reports),
		queue_bool_param(m->obfuscate), m->public_comment,
		m->private_comment, actor };
	const char *e[5] = { ids, m->target_id, m->action, actor, m->reason };
	int         rv;

	rv = store_query_value(
	    db, "queue: propose", SQL_PROPOSE, 10, p, ids, sizeof(ids));
	if (rv == MOD_ENOENT) {
		rv = queue_clash(
		    db, m->target_type, m->target_id, m->action, err);
		return rv != 0
		    ? rv
		    : mod_errf(err, MOD_EEXIST, "a pending item clashes");
	}
	if (rv != 0 || mod_strtonum(ids, 1, INT64_MAX, id) != 0)
		return MOD_EDB;
	if (store_exec(
	        db, "queue: propose evidence", SQL_PROPOSE_EVIDENCE, 5, e)
	    != 0)
		return MOD_EDB;
	return audit_append(db, actor, "propose.manual", m->target_type,
	    m->target_id, *id, m->reason, NULL, NULL);
}

int
queue_propose(struct store *db, const struct queue_manual *m,
    const char *actor, int64_t *id, struct mod_err *err)
{
	int rv;

	*id = 0;
	if (!queue_action_ok(m->target_type, m->action)
	    || strcmp(m->target_type, "report") == 0)
		return mod_errf(err, MOD_EINVAL,
		    "action %s does not apply to a %s", m->action,
		    m->target_type);
	if ((rv = store_begin(db)) != 0 || (rv = audit_lock(db)) != 0
	    || (rv = queue_propose_insert(db, m, actor, id, err)) != 0
	    || (rv = store_commit(db)) != 0) {
		store_rollback(db);
		*id = 0;
	}
	if (rv == MOD_EDB)
		mod_errf(err, rv, "database error");
	return rv;
}
