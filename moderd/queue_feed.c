/*
 * queue_feed.c - blocklist feed changes as queue proposals, and the
 * sign-off of held change sets.
 *
 * queue_feed_record() takes one diff (feeds/feed_diff.c) and makes the
 * queue say exactly that, in ONE transaction that locks the audit head
 * first (see audit.h): it reads every pending domain proposal (FOR
 * UPDATE), then per change inserts a proposal, takes over the pending one
 * for the same domain and action when the change's fingerprint or change
 * set differs, or leaves it alone when nothing differs; pending feed
 * proposals the diff no longer makes are withdrawn.  So running the same
 * sync twice writes nothing the second time, and a moderator never sees
 * two items for one domain and action.  Each new or changed item gets an
 * evidence row with its provenance (doc/api.md, "Feeds and change sets";
 * its "kind" is what queue_reject() remembers a rejection by) and an
 * audit row by actor "feeds".
 *
 * A held diff (the safety rail) is one change set holding every one of
 * its proposals; the queue does not list them until an admin signs the
 * set off (queue_changeset_approve) or rejects it
 * (queue_changeset_reject, which remembers each item in feed_rejections
 * as a single rejection would).
 *
 * What it deliberately does not do: dispatch (approved items are planned
 * by queue_dispatch.c, woken by NOTIFY moderd_dispatch), or touch a
 * pending proposal that did not come from a feed beyond noting the feeds
 * that now support it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "audit.h"
#include "feedsync.h"
#include "log.h"
#include "queue_sql.h"
#include "store.h"
#include "util.h"

#define QF_WITHDRAWN "withdrawn: sources changed"
#define QF_ACTOR "feeds"

static const char SQL_PENDING[]
    = "SELECT id, target_id, action, coalesce(fingerprint, ''),"
      " coalesce(changeset_id, 0), source FROM proposals"
      " WHERE state = 'pending' AND target_type = 'domain'"
      " ORDER BY target_id, action FOR UPDATE";
static const char SQL_LATEST_HELD[]
    = "SELECT max(id) FROM changesets WHERE state = 'held'";
static const char SQL_INSERT_CHANGESET[]
    = "INSERT INTO changesets (nadd, nchange, nretract, revision, reason)"
      " VALUES ($1::integer, $2::integer, $3::integer, $4, $5) RETURNING id";
static const char SQL_INSERT[]
    = "INSERT INTO proposals (target_type, target_id, action, reject_media,"
      " reject_reports, obfuscate, public_comment, source, feeds,"
      " fingerprint, changeset_id, priority, approvals_needed)"
      " VALUES ('domain', $1, $2, $3::boolean, $4::boolean, $5::boolean,"
      " $6, 'feed', ARRAY(SELECT jsonb_array_elements_text($7::jsonb)),"
      " $8, nullif($9::bigint, 0),"
      " queue_priority('domain', $2, NULL, 0, 1, 0),"
      " CASE WHEN $2 = 'suspend' THEN 2 ELSE 1 END) RETURNING id";
static const char SQL_UPDATE[]
    = "UPDATE proposals SET"
      " reject_media = CASE WHEN source = 'feed' THEN $2::boolean"
      "  ELSE reject_media END,"
      " reject_reports = CASE WHEN source = 'feed' THEN $3::boolean"
      "  ELSE reject_reports END,"
      " obfuscate = CASE WHEN source = 'feed' THEN $4::boolean"
      "  ELSE obfuscate END,"
      " public_comment = CASE WHEN source = 'feed' THEN $5"
      "  ELSE public_comment END,"
      " feeds = ARRAY(SELECT jsonb_array_elements_text($6::jsonb)),"
      " fingerprint = $7,"
      " changeset_id = CASE WHEN source = 'feed' THEN nullif($8::bigint, 0)"
      "  ELSE changeset_id END,"
      " count = count + 1, updated_at = now()"
      " WHERE id = $1::bigint";
static const char SQL_CLEAR_APPROVALS[]
    = "DELETE FROM approvals WHERE proposal_id = $1::bigint";
static const char SQL_EVIDENCE[]
    = "INSERT INTO evidence (proposal_id, snapshot)"
      " VALUES ($1::bigint, $2::jsonb)";
static const char SQL_WITHDRAW[]
    = "UPDATE proposals SET state = 'rejected', reject_reason = $2,"
      " decided_at = now(), decided_by = '" QF_ACTOR "', updated_at = now()"
      " WHERE id = $1::bigint";
static const char SQL_CLOSE_EMPTY[]
    = "UPDATE changesets c SET state = 'rejected', reason = $1,"
      " decided_by = '" QF_ACTOR "', decided_at = now()"
      " WHERE c.state = 'held' AND NOT EXISTS (SELECT 1 FROM proposals p"
      "  WHERE p.changeset_id = c.id AND p.state = 'pending') RETURNING id";
static const char SQL_CS_LOCK[]
    = "SELECT state FROM changesets WHERE id = $1::bigint FOR UPDATE";
static const char SQL_CS_ITEMS[]
    = "SELECT id, target_id FROM proposals WHERE changeset_id = $1::bigint"
      " AND state = 'pending' ORDER BY id FOR UPDATE";
/* One sign-off is one approval of each item: an item that needs two
 * (the two-person rule: its action at or above $4, queue_read_threshold()
 * of two_person_severity, as for single items) is approved by a second,
 * different signer.  The
 * first column says whether this signer's approval is new; the second
 * whether the item is now approved. */
static const char SQL_CS_APPROVE_ITEM[]
    = "WITH a AS (INSERT INTO approvals (proposal_id, user_name, comment)"
      "  VALUES ($1::bigint, $2, $3) ON CONFLICT DO NOTHING RETURNING 1),"
      " n AS (SELECT count(*) AS k FROM approvals"
      "  WHERE proposal_id = $1::bigint),"
      " u AS (UPDATE proposals p SET state = 'approved', decided_at = now(),"
      "  decided_by = $2, updated_at = now() WHERE id = $1::bigint"
      "  AND (SELECT k FROM n) + (SELECT count(*) FROM a)"
      "   >= CASE WHEN " QR_RANK " >= $4::integer THEN 2 ELSE 1 END"
      " RETURNING 1)"
      " SELECT (SELECT count(*) FROM a) > 0, (SELECT count(*) FROM u) > 0";
static const char SQL_CS_PENDING[]
    = "SELECT count(*) FROM proposals WHERE changeset_id = $1::bigint"
      " AND state = 'pending'";
static const char SQL_CS_REJECT_ITEM[]
    = "UPDATE proposals SET state = 'rejected', reject_reason = $3,"
      " decided_at = now(), decided_by = $2, updated_at = now()"
      " WHERE id = $1::bigint";
static const char SQL_CS_REMEMBER[]
    = "INSERT INTO feed_rejections (domain, kind, fingerprint)"
      " SELECT p.target_id, e.snapshot->>'kind', p.fingerprint"
      " FROM proposals p JOIN LATERAL (SELECT snapshot FROM evidence"
      "  WHERE proposal_id = p.id ORDER BY id DESC LIMIT 1) e ON true"
      " WHERE p.id = $1::bigint AND p.fingerprint IS NOT NULL"
      " AND e.snapshot->>'kind' IS NOT NULL ON CONFLICT DO NOTHING";
static const char SQL_CS_DECIDE[]
    = "UPDATE changesets SET state = $2, decided_by = $3,"
      " decided_at = now(), reason = coalesce($4, reason)"
      " WHERE id = $1::bigint";
static const char SQL_NOTIFY[] = "NOTIFY moderd_dispatch";
static const char SQL_CS_COLS[]
    = "SELECT id, state, (extract(epoch FROM created_at) * 1000)::bigint,"
      " nadd, nchange, nretract, revision, reason, decided_by,"
      " (extract(epoch FROM decided_at) * 1000)::bigint FROM changesets";
static const char SQL_CS_LIST_WHERE[]
    = " WHERE $1::text IS NULL OR state = $1 ORDER BY id DESC"
      " LIMIT $2::integer";
static const char SQL_CS_ONE_WHERE[] = " WHERE id = $1::bigint";
static const char SQL_CS_ALL_ITEMS[]
    = "SELECT id FROM proposals WHERE changeset_id = $1::bigint"
      " ORDER BY id";

/* A pending domain proposal, as queue_feed_record() found it. */
struct qf_pending {
	int64_t id;
	char   *domain;
	char   *action;
	char   *fingerprint; /* "" if none */
	int64_t changeset;
	bool    from_feed;
	bool    seen; /* the diff still makes it */
};

struct qf {
	struct store                 *db;
	const struct feed_diff       *d;
	const struct queue_feed_opts *o;
	struct queue_feed_result     *r;
	struct qf_pending            *pend; /* by domain, then action */
	size_t                        npend;
	int64_t                       cs; /* change set of this diff, or 0 */
};

/* --- small helpers ---------------------------------------------------- */

static void
qf_i64(int64_t v, char out[24])
{
	snprintf(out, 24, "%" PRId64, v);
}

static const char *
qf_action(const struct feed_change *c)
{
	if (c->kind == FEED_CHANGE_RETRACT)
		return "unblock";
	return feed_severity_name(c->severity);
}

static int
qf_pending_cmp(
    const char *domain, const char *action, const struct qf_pending *p)
{
	int c = strcmp(domain, p->domain);

	return c != 0 ? c : strcmp(action, p->action);
}

/* qf_find: the pending proposal for (domain, action), or NULL. */
static struct qf_pending *
qf_find(const struct qf *q, const char *domain, const char *action)
{
	size_t lo = 0, hi = q->npend, mid;
	int    c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = qf_pending_cmp(domain, action, &q->pend[mid]);
		if (c == 0)
			return &q->pend[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void
qf_pending_free(struct qf *q)
{
	size_t i;

	for (i = 0; i < q->npend; i++) {
		free(q->pend[i].domain);
		free(q->pend[i].action);
		free(q->pend[i].fingerprint);
	}
	free(q->pend);
	q->pend = NULL;
	q->npend = 0;
}

/* qf_pending_load: every pending domain proposal, locked, sorted (the
 * database's text order may differ from strcmp(): sorted again here). */
static int
qf_pending_cmp_qsort(const void *a, const void *b)
{
	const struct qf_pending *x = a, *y = b;

	return qf_pending_cmp(x->domain, x->action, y);
}

static int
qf_pending_load(struct qf *q)
{
	PGresult *res = NULL;
	int       rv, i;

	if ((rv = store_query(q->db, "feeds: pending proposals", SQL_PENDING,
	         0, NULL, NULL, NULL, &res))
	    != 0)
		return rv;
	q->npend = (size_t) PQntuples(res);
	q->pend = xcalloc(q->npend + 1, sizeof(*q->pend));
	for (i = 0; i < PQntuples(res); i++) {
		struct qf_pending *p = &q->pend[i];

		if (mod_strtonum(PQgetvalue(res, i, 0), 1, INT64_MAX, &p->id)
		        != 0
		    || mod_strtonum(
		           PQgetvalue(res, i, 4), 0, INT64_MAX, &p->changeset)
		        != 0)
			rv = MOD_EDB;
		p->domain = xstrdup(PQgetvalue(res, i, 1));
		p->action = xstrdup(PQgetvalue(res, i, 2));
		p->fingerprint = xstrdup(PQgetvalue(res, i, 3));
		p->from_feed = strcmp(PQgetvalue(res, i, 5), "feed") == 0;
	}
	PQclear(res);
	qsort(q->pend, q->npend, sizeof(*q->pend), qf_pending_cmp_qsort);
	return rv;
}

/* --- provenance ------------------------------------------------------- */

static json_t *
qf_json_str(const char *s)
{
	char   *t;
	json_t *j;

	if (s == NULL)
		return json_null();
	t = store_text(s, MOD_MAX_FEED_COMMENT_BYTES);
	j = json_string(t);
	free(t);
	return j != NULL ? j : json_null();
}

static json_t *
qf_support_json(const struct queue_feed_opts *o, const struct feed_support *s)
{
	const struct feed_merged_source *src = &o->m->sources[s->source];

	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o}",
	    "name", src->name, "severity", feed_severity_name(s->severity),
	    "effective", feed_severity_name(s->effective), "reject_media",
	    s->reject_media, "reject_reports", s->reject_reports,
	    "public_comment", qf_json_str(s->public_comment),
	    "private_comment", qf_json_str(s->private_comment), "listed_as",
	    qf_json_str(s->listed_as), "revision", qf_json_str(src->revision));
}

static json_t *
qf_current_json(const struct feed_current *c)
{
	if (c == NULL)
		return json_null();
	return json_pack("{s:s, s:b, s:b, s:b, s:o}", "severity",
	    feed_severity_name(c->severity), "reject_media", c->reject_media,
	    "reject_reports", c->reject_reports, "created_by_moderd",
	    c->created_by_moderd, "feeds", qf_json_str(c->feeds));
}

/* qf_feeds_json: the feeds behind c: its supporters (add, change) or the
 * block's recorded feeds (retract). */
static json_t *
qf_feeds_json(const struct queue_feed_opts *o, const struct feed_change *c)
{
	json_t     *a = json_array();
	const char *p, *q;
	size_t      i;

	if (c->kind != FEED_CHANGE_RETRACT) {
		for (i = 0; c->entry != NULL && i < c->entry->nsup; i++)
			json_array_append_new(a,
			    json_string(
			        o->m->sources[c->entry->sup[i].source].name));
		return a;
	}
	for (p = c->current && c->current->feeds ? c->current->feeds : "";
	     *p != '\0'; p = *q ? q + 1 : q) {
		q = strchr(p, ',');
		q = q != NULL ? q : p + strlen(p);
		if (q > p)
			json_array_append_new(
			    a, json_stringn(p, (size_t) (q - p)));
	}
	return a;
}

static json_t *
qf_provenance(const struct qf *q, const struct feed_change *c)
{
	json_t *feeds = json_array(), *j;
	size_t  i;

	for (i = 0; c->entry != NULL && i < c->entry->nsup; i++)
		json_array_append_new(
		    feeds, qf_support_json(q->o, &c->entry->sup[i]));
	j = json_pack(
	    "{s:s, s:s, s:s, s:b, s:b, s:b, s:o, s:o, s:o, s:f, s:f}", "kind",
	    feed_change_kind_name(c->kind), "domain", c->domain, "severity",
	    feed_severity_name(c->severity), "reject_media", c->reject_media,
	    "reject_reports", c->reject_reports, "obfuscate", c->obfuscate,
	    "feeds", feeds, "current", qf_current_json(c->current),
	    "public_comment", qf_json_str(c->public_comment), "trust",
	    c->entry != NULL ? c->entry->trust : 0.0, "quorum", q->o->quorum);
	if (j != NULL && q->o->revision != NULL)
		json_object_set_new(
		    j, "revision", json_string(q->o->revision));
	if (j != NULL)
		json_object_set_new(
		    j, "fingerprint", json_string(c->fingerprint));
	return j;
}

/* --- one change ------------------------------------------------------- */

/* qf_evidence: the provenance row and the audit row of proposal id. */
static int
qf_evidence(const struct qf *q, const struct feed_change *c, int64_t id,
    const char *audit_action)
{
	json_t     *prov = qf_provenance(q, c);
	char       *snap = prov ? json_dumps(prov, JSON_COMPACT) : NULL;
	char        ids[24], reason[96];
	const char *params[2] = { ids, snap };
	int         rv = MOD_EINTERNAL;

	json_decref(prov);
	if (snap == NULL)
		goto out;
	qf_i64(id, ids);
	snprintf(reason, sizeof(reason), "feed %s: %s",
	    feed_change_kind_name(c->kind), qf_action(c));
	if ((rv = store_exec(
	         q->db, "feeds: evidence", SQL_EVIDENCE, 2, params))
	    == 0)
		rv = audit_append(q->db, QF_ACTOR, audit_action, "domain",
		    c->domain, id, reason, c->fingerprint, q->o->revision);
out:
	free(snap);
	return rv;
}

static int
qf_insert(struct qf *q, const struct feed_change *c, const char *feeds)
{
	char        cs[24], idv[24] = "";
	char       *comment = store_text(c->public_comment, 4096);
	const char *params[9] = { c->domain, qf_action(c),
		c->reject_media ? "t" : "f", c->reject_reports ? "t" : "f",
		c->obfuscate ? "t" : "f", comment, feeds, c->fingerprint, cs };
	int64_t     id;
	int         rv;

	qf_i64(q->cs, cs);
	rv = store_query_value(q->db, "feeds: insert proposal", SQL_INSERT, 9,
	    params, idv, sizeof(idv));
	free(comment);
	if (rv != 0 || mod_strtonum(idv, 1, INT64_MAX, &id) != 0)
		return MOD_EDB;
	q->r->created++;
	return qf_evidence(q, c, id, "propose");
}

static int
qf_update(struct qf *q, const struct feed_change *c, const char *feeds,
    const struct qf_pending *p)
{
	char        cs[24], ids[24];
	char       *comment = store_text(c->public_comment, 4096);
	const char *params[8] = { ids, c->reject_media ? "t" : "f",
		c->reject_reports ? "t" : "f", c->obfuscate ? "t" : "f",
		comment, feeds, c->fingerprint, cs };
	int         rv;

	qf_i64(q->cs, cs);
	qf_i64(p->id, ids);
	rv = store_exec(
	    q->db, "feeds: update proposal", SQL_UPDATE, 8, params);
	free(comment);
	if (rv == 0)
		rv = store_exec(q->db, "feeds: clear approvals",
		    SQL_CLEAR_APPROVALS, 1, params);
	if (rv != 0)
		return rv;
	q->r->updated++;
	return qf_evidence(q, c, p->id, "merge");
}

static int
qf_change(struct qf *q, const struct feed_change *c)
{
	struct qf_pending *p = qf_find(q, c->domain, qf_action(c));
	json_t            *fj = qf_feeds_json(q->o, c);
	char              *feeds = json_dumps(fj, JSON_COMPACT);
	int                rv;

	json_decref(fj);
	if (feeds == NULL)
		return MOD_EINTERNAL;
	if (p == NULL)
		rv = qf_insert(q, c, feeds);
	else {
		p->seen = true;
		if (strcmp(p->fingerprint, c->fingerprint) == 0
		    && (!p->from_feed || p->changeset == q->cs)) {
			q->r->unchanged++;
			rv = 0;
		} else
			rv = qf_update(q, c, feeds, p);
	}
	free(feeds);
	return rv;
}

/* --- withdrawing, change sets ---------------------------------------- */

static int
qf_withdraw(struct qf *q, const struct qf_pending *p)
{
	char        ids[24];
	const char *params[2] = { ids, QF_WITHDRAWN };
	int         rv;

	qf_i64(p->id, ids);
	if ((rv = store_exec(
	         q->db, "feeds: withdraw proposal", SQL_WITHDRAW, 2, params))
	    != 0)
		return rv;
	q->r->withdrawn++;
	return audit_append(q->db, QF_ACTOR, "reject", "domain", p->domain,
	    p->id, QF_WITHDRAWN, p->fingerprint, q->o->revision);
}

/* qf_close_empty: held sets with no pending item left are withdrawn. */
static int
qf_close_empty(struct qf *q)
{
	const char *params[1] = { QF_WITHDRAWN };
	PGresult   *res = NULL;
	int         rv, i;

	if ((rv = store_query(q->db, "feeds: close empty change sets",
	         SQL_CLOSE_EMPTY, 1, params, NULL, NULL, &res))
	    != 0)
		return rv;
	for (i = 0; rv == 0 && i < PQntuples(res); i++)
		rv = audit_append(q->db, QF_ACTOR, "changeset.withdraw",
		    "changeset", PQgetvalue(res, i, 0), 0, QF_WITHDRAWN, NULL,
		    q->o->revision);
	PQclear(res);
	return rv;
}

/* qf_same_set: whether held set cs holds exactly the diff's changes. */
static bool
qf_same_set(const struct qf *q, int64_t cs)
{
	const struct qf_pending *p;
	size_t                   i, n = 0;

	for (i = 0; i < q->npend; i++)
		n += q->pend[i].changeset == cs;
	if (n != q->d->n)
		return false;
	for (i = 0; i < q->d->n; i++) {
		p = qf_find(q, q->d->v[i].domain, qf_action(&q->d->v[i]));
		if (p == NULL || p->changeset != cs
		    || strcmp(p->fingerprint, q->d->v[i].fingerprint) != 0)
			return false;
	}
	return true;
}

static int
qf_changeset(struct qf *q)
{
	char        latest[24] = "", a[24], c[24], r[24], reason[160];
	const char *params[5] = { a, c, r, q->o->revision, reason };
	int64_t     id = 0;
	int         rv;

	rv = store_query_value(q->db, "feeds: latest held set",
	    SQL_LATEST_HELD, 0, NULL, latest, sizeof(latest));
	if (rv == 0 && mod_strtonum(latest, 1, INT64_MAX, &id) == 0
	    && qf_same_set(q, id)) {
		q->cs = id;
		return 0;
	}
	if (rv != 0 && rv != MOD_ENOENT)
		return rv;
	snprintf(a, sizeof(a), "%zu", q->d->nadd);
	snprintf(c, sizeof(c), "%zu", q->d->nchange);
	snprintf(r, sizeof(r), "%zu", q->d->nretract);
	snprintf(reason, sizeof(reason),
	    "held: %zu adds, %zu retractions over %.0f%% of %zu blocks",
	    q->d->nadd, q->d->nretract, q->o->max_share * 100, q->o->nblocks);
	if ((rv = store_query_value(q->db, "feeds: insert change set",
	         SQL_INSERT_CHANGESET, 5, params, latest, sizeof(latest)))
	        != 0
	    || mod_strtonum(latest, 1, INT64_MAX, &q->cs) != 0)
		return MOD_EDB;
	return audit_append(q->db, QF_ACTOR, "changeset.hold", "changeset",
	    latest, 0, reason, NULL, q->o->revision);
}

static int
qf_record(struct qf *q)
{
	size_t i;
	int    rv;

	if ((rv = audit_lock(q->db)) != 0 || (rv = qf_pending_load(q)) != 0)
		return rv;
	if (q->d->held && q->d->n > 0 && (rv = qf_changeset(q)) != 0)
		return rv;
	for (i = 0; i < q->d->n; i++)
		if ((rv = qf_change(q, &q->d->v[i])) != 0)
			return rv;
	for (i = 0; i < q->npend; i++)
		if (q->pend[i].from_feed && !q->pend[i].seen
		    && (rv = qf_withdraw(q, &q->pend[i])) != 0)
			return rv;
	q->r->changeset_id = q->cs;
	return qf_close_empty(q);
}

int
queue_feed_record(struct store *db, const struct feed_diff *d,
    const struct queue_feed_opts *o, struct queue_feed_result *r)
{
	struct qf q = { .db = db, .d = d, .o = o, .r = r };
	int       rv;

	memset(r, 0, sizeof(*r));
	if ((rv = store_begin(db)) != 0)
		return rv;
	if ((rv = qf_record(&q)) == 0)
		rv = store_commit(db);
	if (rv != 0) {
		store_rollback(db);
		memset(r, 0, sizeof(*r));
		rv = MOD_EDB;
	}
	qf_pending_free(&q);
	return rv;
}

/* --- sign-off --------------------------------------------------------- */

/* A decision on a whole held set. */
struct qf_decision {
	int64_t     id;
	const char *user;
	const char *text; /* comment (approve) or reason (reject) */
	bool        approve;
	size_t     *n; /* items decided */
	const char *two; /* queue_read_threshold() of two_person_severity */
	size_t      fresh; /* items this signer had not approved yet */
};

/* qf_approve_item: one approval of item; *done if it is now approved. */
static int
qf_approve_item(struct store *db, struct qf_decision *x,
    const char *const *params, bool *done)
{
	PGresult *res = NULL;
	int       rv;

	rv = store_query(db, "feeds: approve item", SQL_CS_APPROVE_ITEM, 4,
	    params, NULL, NULL, &res);
	if (rv != 0)
		return rv;
	if (PQgetvalue(res, 0, 0)[0] == 't')
		x->fresh++;
	*done = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	return 0;
}

static int
qf_decide_item(struct store *db, struct qf_decision *x, const char *item,
    const char *domain)
{
	const char *params[4] = { item, x->user, x->text, x->two };
	int64_t     pid = 0;
	bool        done = true;
	int         rv;

	if (mod_strtonum(item, 1, INT64_MAX, &pid) != 0)
		return MOD_EDB;
	if (x->approve)
		rv = qf_approve_item(db, x, params, &done);
	else if ((rv = store_exec(
	              db, "feeds: reject item", SQL_CS_REJECT_ITEM, 3, params))
	    == 0)
		rv = store_exec(db, "feeds: remember rejection",
		    SQL_CS_REMEMBER, 1, params);
	if (rv != 0)
		return rv;
	if (done)
		(*x->n)++;
	return audit_append(db, x->user,
	    !x->approve ? "reject"
	        : done  ? "approve"
	                : "approve.partial",
	    "domain", domain, pid, x->text, NULL, NULL);
}

/* qf_set_state: after the items, the set's state: approved or rejected,
 * or still held while items wait for a second approver. */
static int
qf_set_state(struct store *db, const struct qf_decision *x, const char *ids,
    bool *closed)
{
	const char *p1[1] = { ids };
	const char *p4[4] = { ids, x->approve ? "approved" : "rejected",
		x->user, x->approve ? NULL : x->text };
	char        left[24];
	int         rv;

	*closed = true;
	if (x->approve) {
		rv = store_query_value(db, "feeds: change set pending",
		    SQL_CS_PENDING, 1, p1, left, sizeof(left));
		if (rv != 0)
			return rv;
		*closed = strcmp(left, "0") == 0;
	}
	if (!*closed)
		return 0;
	return store_exec(
	    db, "feeds: decide change set", SQL_CS_DECIDE, 4, p4);
}

static int
qf_decide_set(struct store *db, struct qf_decision *x)
{
	char        ids[24], state[16] = "";
	const char *p1[1] = { ids };
	PGresult   *res = NULL;
	bool        closed;
	int         rv, i;

	qf_i64(x->id, ids);
	if ((rv = audit_lock(db)) != 0
	    || (rv = store_query_value(db, "feeds: lock change set",
	            SQL_CS_LOCK, 1, p1, state, sizeof(state)))
	        != 0)
		return rv;
	if (strcmp(state, "held") != 0)
		return MOD_EEXIST;
	if ((rv = store_query(db, "feeds: change set items", SQL_CS_ITEMS, 1,
	         p1, NULL, NULL, &res))
	    != 0)
		return rv;
	for (i = 0; rv == 0 && i < PQntuples(res); i++)
		rv = qf_decide_item(
		    db, x, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
	PQclear(res);
	if (rv == 0 && x->approve && x->fresh == 0)
		return MOD_EAUTH; /* this signer already signed every item */
	if (rv == 0)
		rv = qf_set_state(db, x, ids, &closed);
	if (rv == 0)
		rv = audit_append(db, x->user,
		    !x->approve  ? "changeset.reject"
		        : closed ? "changeset.approve"
		                 : "changeset.approve.partial",
		    "changeset", ids, 0, x->text, NULL, NULL);
	if (rv == 0 && x->approve)
		rv = store_exec(db, "feeds: notify", SQL_NOTIFY, 0, NULL);
	return rv;
}

static int
qf_decide(struct store *db, struct qf_decision *x)
{
	int rv;

	*x->n = 0;
	if ((rv = store_begin(db)) != 0)
		return rv;
	if ((rv = qf_decide_set(db, x)) == 0)
		rv = store_commit(db);
	if (rv != 0) {
		store_rollback(db);
		*x->n = 0;
	}
	return rv;
}

int
queue_changeset_approve(struct store *db, int64_t id, const char *user,
    const char *comment, int two_person, size_t *n)
{
	char               two[16];
	struct qf_decision x = { id, user, comment, true, n, two, 0 };

	queue_read_threshold(two_person, two, sizeof(two));

	return qf_decide(db, &x);
}

int
queue_changeset_reject(struct store *db, int64_t id, const char *user,
    const char *reason, size_t *n)
{
	struct qf_decision x = { id, user, reason, false, n, NULL, 0 };

	if (reason == NULL || reason[0] == '\0')
		return MOD_EINVAL;
	return qf_decide(db, &x);
}

/* --- reading change sets ---------------------------------------------- */

/* qf_num: column col of row i as a number; dflt if NULL or not one. */
static int64_t
qf_num(const PGresult *res, int i, int col, int64_t dflt)
{
	int64_t v;

	if (PQgetisnull(res, i, col)
	    || mod_strtonum(PQgetvalue(res, i, col), INT64_MIN, INT64_MAX, &v)
	        != 0)
		return dflt;
	return v;
}

static char *
qf_strdup(const PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? NULL
	                                : xstrdup(PQgetvalue(res, i, col));
}

static void
qf_cs_row(const PGresult *res, int i, struct queue_changeset *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->id = qf_num(res, i, 0, 0);
	mod_strlcpy(cs->state, PQgetvalue(res, i, 1), sizeof(cs->state));
	cs->created_ms = qf_num(res, i, 2, INT64_MIN);
	cs->nadd = qf_num(res, i, 3, 0);
	cs->nchange = qf_num(res, i, 4, 0);
	cs->nretract = qf_num(res, i, 5, 0);
	cs->revision = qf_strdup(res, i, 6);
	cs->reason = qf_strdup(res, i, 7);
	cs->decided_by = qf_strdup(res, i, 8);
	cs->decided_ms = qf_num(res, i, 9, INT64_MIN);
}

/* qf_cs_query: SQL_CS_COLS + where, every row into a new array. */
static int
qf_cs_query(struct store *db, const char *where, int np,
    const char *const *params, struct queue_changeset **v, size_t *n)
{
	char      sql[sizeof(SQL_CS_COLS) + sizeof(SQL_CS_LIST_WHERE)];
	PGresult *res = NULL;
	int       rv, i;

	*v = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "%s%s", SQL_CS_COLS, where);
	if ((rv = store_query(
	         db, "feeds: change sets", sql, np, params, NULL, NULL, &res))
	    != 0)
		return rv;
	*v = xcalloc((size_t) PQntuples(res) + 1, sizeof(**v));
	for (i = 0; i < PQntuples(res); i++)
		qf_cs_row(res, i, &(*v)[i]);
	*n = (size_t) PQntuples(res);
	PQclear(res);
	return 0;
}

int
queue_changesets_list(struct store *db, const char *state, size_t limit,
    struct queue_changeset **v, size_t *n)
{
	char        l[24];
	const char *params[2] = { state, l };

	snprintf(l, sizeof(l), "%zu", limit);
	return qf_cs_query(db, SQL_CS_LIST_WHERE, 2, params, v, n);
}

static int
qf_cs_ids(
    struct store *db, const char *const *params, int64_t **ids, size_t *nids)
{
	PGresult *res = NULL;
	int       rv, i;

	if ((rv = store_query(db, "feeds: change set items", SQL_CS_ALL_ITEMS,
	         1, params, NULL, NULL, &res))
	    != 0)
		return rv;
	*ids = xcalloc((size_t) PQntuples(res) + 1, sizeof(**ids));
	for (i = 0; i < PQntuples(res); i++)
		(*ids)[i] = qf_num(res, i, 0, 0);
	*nids = (size_t) PQntuples(res);
	PQclear(res);
	return 0;
}

int
queue_changeset_get(struct store *db, int64_t id, struct queue_changeset *cs,
    int64_t **ids, size_t *nids)
{
	struct queue_changeset *v = NULL;
	char                    idv[24];
	const char             *params[1] = { idv };
	size_t                  n = 0;
	int                     rv;

	memset(cs, 0, sizeof(*cs));
	*ids = NULL;
	*nids = 0;
	qf_i64(id, idv);
	if ((rv = qf_cs_query(db, SQL_CS_ONE_WHERE, 1, params, &v, &n)) != 0)
		return rv;
	if (n == 0) {
		free(v);
		return MOD_ENOENT;
	}
	*cs = v[0]; /* takes its strings */
	free(v);
	if ((rv = qf_cs_ids(db, params, ids, nids)) != 0)
		queue_changeset_clear(cs);
	return rv;
}

void
queue_changeset_clear(struct queue_changeset *cs)
{
	if (cs == NULL)
		return;
	free(cs->revision);
	free(cs->reason);
	free(cs->decided_by);
	memset(cs, 0, sizeof(*cs));
}

void
queue_changesets_free(struct queue_changeset *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		queue_changeset_clear(&v[i]);
	free(v);
}
