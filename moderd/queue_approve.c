/*
 * queue_approve.c - approving queue items: one statement per approval,
 * and one commit per group of approvals.
 *
 * An approval is one call of the SQL function queue_approve (schema
 * version 3): it locks the audit head first (audit.h's lock order), then
 * the item FOR UPDATE, and checks, in this order, that the item exists
 * (404), is pending (409), was not proposed by hand by this actor (403)
 * and was not approved by this actor already (409); only then does it
 * record the approval, set approvals_needed from the item's action (the
 * actions needing two are computed here, from queue_approvals_needed(),
 * so the two-person rule has one definition), and either leave the item
 * pending (audit "approve.partial", "1 of 2: comment") or approve it,
 * send NOTIFY moderd_dispatch and append audit "approve".  A refusal
 * changes nothing, so a refused call needs no rollback and does not
 * spoil a batch.
 *
 * A batch (one approval or many) is one pipeline: each call, and after
 * it, for an API caller, the read of its item (queue_read_item_stmt), so
 * the reply shows the item as this transaction leaves it.  Outside a
 * transaction a pipeline is one implicit transaction that PostgreSQL
 * commits at the pipeline's sync (store.h), so a batch costs one round
 * trip and one flush, and an outcome is taken only once that sync came
 * back: an answered approval is committed.  Statements are prepared once
 * per connection.
 *
 * Grouping: every decision holds the audit chain's lock until its commit
 * is flushed, so decisions made one transaction each are bounded by the
 * disk's flush rate whatever the number of moderators.  queue_group
 * batches the approvals of concurrent API calls: the first caller to
 * find no batch running runs every approval waiting (its own included)
 * in one transaction, on its own connection, while later callers wait;
 * when it commits it wakes them, and the next waiter still undone runs
 * the next batch.  Each caller returns after its approval's commit, so
 * an answered approval is durable exactly as before.  If a batch's
 * transaction fails, each of its approvals is tried again alone, so one
 * approval's database error cannot fail another's.
 *
 * Not here: the other decisions (queue_decide.c), reading items back
 * (queue_read.c).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "queue.h"
#include "queue_approve.h"
#include "queue_sql.h"
#include "util.h"

/* $1 id, $2 actor, $3 comment, $4 actions needing two, $5 text cap. */
#define QA_SQL                                                                \
	"SELECT queue_approve($1::bigint, $2, $3, $4::text[], $5::integer)"
#define QA_NPARAMS 5

static const struct store_stmt queue_approve_stmt
    = { "queue_approve", "queue: approve", QA_SQL, QA_NPARAMS, true };

/* Every action, for the list of those that need two approvals. */
static const char *const queue_approve_actions[] = { "none", "flag",
	"sensitive", "delete", "silence", "suspend", "noop", "unblock" };

struct queue_group {
	pthread_mutex_t        mu;
	pthread_cond_t         cv;
	bool                   running; /* a batch is being run */
	struct queue_approval *wait[MOD_MAX_APPROVE_GROUP_COUNT];
	size_t                 nwait;
};

/* Text parameters of one call. */
struct queue_approve_params {
	char        id[24], two[128], max[16];
	const char *p[QA_NPARAMS];
};

static void
queue_approve_params(
    const struct queue_approval *a, struct queue_approve_params *qp)
{
	size_t i, n;

	snprintf(qp->id, sizeof(qp->id), "%" PRId64, a->id);
	snprintf(qp->max, sizeof(qp->max), "%d", MOD_MAX_AUDIT_TEXT_BYTES);
	mod_strlcpy(qp->two, "{", sizeof(qp->two));
	for (i = 0; i < nitems(queue_approve_actions); i++) {
		if (queue_approvals_needed(
		        queue_approve_actions[i], a->two_person)
		    < 2)
			continue;
		n = strlen(qp->two);
		snprintf(qp->two + n, sizeof(qp->two) - n, "%s%s",
		    n > 1 ? "," : "", queue_approve_actions[i]);
	}
	n = strlen(qp->two);
	snprintf(qp->two + n, sizeof(qp->two) - n, "}");
	qp->p[0] = qp->id;
	qp->p[1] = a->actor;
	qp->p[2] = a->comment;
	qp->p[3] = qp->two;
	qp->p[4] = qp->max;
}

/* queue_approve_outcome: a->rv and a->err from the function's answer
 * (NULL: the call failed). */
static void
queue_approve_outcome(struct queue_approval *a, const char *code)
{
	if (code == NULL)
		a->rv = mod_errf(a->err, MOD_EDB, "database error");
	else if (strcmp(code, "ok") == 0 || strcmp(code, "partial") == 0)
		a->rv = 0;
	else if (strcmp(code, "enoent") == 0)
		a->rv
		    = mod_errf(a->err, MOD_ENOENT, "no item %" PRId64, a->id);
	else if (strncmp(code, "state:", 6) == 0)
		a->rv = mod_errf(a->err, MOD_EEXIST,
		    "item %" PRId64 " is %s, not pending", a->id, code + 6);
	else if (strcmp(code, "proposer") == 0)
		a->rv = mod_errf(a->err, MOD_EAUTH,
		    "the proposer of a manual proposal may not approve it");
	else if (strcmp(code, "again") == 0)
		a->rv = mod_errf(a->err, MOD_EEXIST,
		    "%s has already approved this item; a second moderator "
		    "must approve",
		    a->actor);
	else
		a->rv = mod_errf(a->err, MOD_EDB, "database error");
}

/* The statements of one batch: each approval's call and, when its item
 * is wanted, the read of it; at[i] is where a[i]'s results start. */
struct queue_approve_pipe {
	PGresult *res[2 * MOD_MAX_APPROVE_GROUP_COUNT];
	size_t    at[MOD_MAX_APPROVE_GROUP_COUNT];
	size_t    n;
};

/* queue_approve_send_one: a's statements into the pipeline. */
static int
queue_approve_send_one(struct store *db, const struct queue_approval *a,
    struct queue_approve_pipe *qp)
{
	struct queue_approve_params pa;
	char                        th[16];
	const char                 *p[2] = { pa.id, th };

	queue_approve_params(a, &pa);
	if (store_pipe_send(db, &queue_approve_stmt, pa.p, NULL, NULL) != 0)
		return MOD_EDB;
	qp->n++;
	if (!a->want_item)
		return 0;
	queue_read_threshold(a->two_person, th, sizeof(th));
	if (store_pipe_send(db, &queue_read_item_stmt, p, NULL, NULL) != 0)
		return MOD_EDB;
	qp->n++;
	return 0;
}

/*
 * queue_approve_send: a[0 .. n) in one pipeline and so in ONE implicit
 * transaction, committed at the pipeline's sync (store.h): a single
 * round trip and a single flush for the batch.  A transaction a failure
 * left open is rolled back first, or it would swallow that commit.
 * 0, or MOD_EDB: nothing of the batch was committed.
 */
static int
queue_approve_send(struct store *db, const struct queue_approval *a, size_t n,
    struct queue_approve_pipe *qp)
{
	size_t i;
	int    rv = 0;

	qp->n = 0;
	store_rollback(db);
	if (store_pipe_begin(db) != 0)
		return MOD_EDB;
	for (i = 0; i < n && rv == 0; i++) {
		qp->at[i] = qp->n;
		rv = queue_approve_send_one(db, &a[i], qp);
	}
	if (store_pipe_end(db, qp->res, qp->n) != 0 || rv != 0)
		return MOD_EDB;
	return 0;
}

/* queue_approve_take: a's outcome from the committed batch qp. */
static void
queue_approve_take(
    struct queue_approval *a, struct queue_approve_pipe *qp, size_t i)
{
	const PGresult *r = qp->res[qp->at[i]];

	queue_approve_outcome(
	    a, PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : NULL);
	/* Without its item the caller reads it back: not an error. */
	if (a->rv == 0 && a->want_item
	    && queue_read_value(qp->res[qp->at[i] + 1], &a->item) != 0)
		a->item = NULL;
}

/* queue_approve_run: a[0 .. n) as one batch; false if it failed (then
 * nothing of it was committed and no outcome is set). */
static bool
queue_approve_run(struct store *db, struct queue_approval *a, size_t n)
{
	struct queue_approve_pipe qp;
	size_t                    i;
	bool                      ok;

	ok = queue_approve_send(db, a, n, &qp) == 0;
	for (i = 0; ok && i < n; i++)
		queue_approve_take(&a[i], &qp, i);
	for (i = 0; i < qp.n; i++)
		store_clear(qp.res[i]);
	return ok;
}

int
queue_approve(struct store *db, int64_t id, const char *actor,
    const char *comment, int two_person, struct mod_err *err)
{
	struct queue_approval a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.actor = actor;
	a.comment = comment;
	a.two_person = two_person;
	a.err = err;
	queue_approve_batch(db, &a, 1);
	return a.rv;
}

void
queue_approve_batch(struct store *db, struct queue_approval *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		a[i].item = NULL;
	if (queue_approve_run(db, a, n))
		return;
	/* One approval's database error must not fail the others: each is
	 * tried again alone. */
	for (i = 0; i < n; i++)
		if (n == 1 || !queue_approve_run(db, &a[i], 1))
			queue_approve_outcome(&a[i], NULL);
}

struct queue_group *
queue_group_new(void)
{
	struct queue_group *g = xcalloc(1, sizeof(*g));

	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	return g;
}

void
queue_group_free(struct queue_group *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

/* queue_group_run: run what waits in g, as this thread's batch; called
 * and returns with g->mu held. */
static void
queue_group_run(struct queue_group *g, struct store *db)
{
	struct queue_approval  batch[MOD_MAX_APPROVE_GROUP_COUNT];
	struct queue_approval *from[MOD_MAX_APPROVE_GROUP_COUNT];
	size_t                 i, n = g->nwait;

	g->running = true;
	for (i = 0; i < n; i++) {
		from[i] = g->wait[i];
		batch[i] = *from[i];
	}
	g->nwait = 0;
	pthread_cond_broadcast(&g->cv); /* room for more */
	pthread_mutex_unlock(&g->mu);
	queue_approve_batch(db, batch, n);
	pthread_mutex_lock(&g->mu);
	for (i = 0; i < n; i++) {
		from[i]->rv = batch[i].rv;
		from[i]->item = batch[i].item;
		from[i]->done = true;
	}
	g->running = false;
	pthread_cond_broadcast(&g->cv);
}

int
queue_group_approve(
    struct queue_group *g, struct store *db, struct queue_approval *a)
{
	a->done = false;
	pthread_mutex_lock(&g->mu);
	while (g->nwait == nitems(g->wait))
		pthread_cond_wait(&g->cv, &g->mu);
	g->wait[g->nwait++] = a;
	while (!a->done) {
		if (!g->running)
			queue_group_run(g, db);
		else
			pthread_cond_wait(&g->cv, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return a->rv;
}
