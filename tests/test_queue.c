/*
 * test_queue.c - queue.c against a real throwaway PostgreSQL: new
 * proposals and merges (count, score, rules, evidence rows, priority, audit
 * rows), duplicate deliveries, records that need nothing, report triage
 * items and their priority, dead letters, the evidence cap, one
 * transaction per batch (all or nothing), malformed records, SQL-looking
 * and broken text stored verbatim or repaired, the caller's snapshot,
 * listing and counts, a batch across a server restart, and two writers
 * racing on one target.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <pthread.h>

#include <cmocka.h>

#include "audit.h"
#include "harness_pg.h"
#include "queue.h"
#include "store.h"
#include "util.h"

struct t {
	struct harness_pg *pg;
	char               dsn[HARNESS_PG_DSN_BYTES];
	struct store      *db;
};

static const struct queue_hit hits_scam[] = {
	{ "CRYPTO_GIVEAWAY", "scams", "text", "free bitcoin", 17, 12, 2.5 },
	{ "SHORT_LINK", "", "url", "bit.ly/x", 0, 8, 1.0 },
};
static const struct queue_hit hits_spam[] = {
	{ "SPAM_LINK", "spam", "url", "spam.example", 3, 12, 2.0 },
	{ "CRYPTO_GIVEAWAY", "scams", "text", "giveaway", 0, 8, 2.5 },
};
static const struct queue_text texts_a[] = {
	{ "text", "Free bitcoin for everyone!" },
	{ "spoiler", "" },
};

static struct t *
t_new(void **state)
{
	struct t *t = xcalloc(1, sizeof(*t));

	t->pg = *state;
	assert_int_equal(
	    harness_pg_fresh(t->pg, t->dsn, sizeof(t->dsn), &t->db), 0);
	return t;
}

static void
t_free(struct t *t)
{
	int64_t bad;

	/* Whatever a test did, the audit chain must still verify. */
	assert_int_equal(audit_verify(t->db, &bad, NULL), 0);
	store_close(t->db);
	free(t);
}

static void
q_text(
    struct store *db, const char *sql, const char *p1, char *out, size_t outsz)
{
	const char *params[1] = { p1 };

	assert_int_equal(
	    store_query_value(db, "test", sql, p1 ? 1 : 0, params, out, outsz),
	    0);
}

static int64_t
q_int(struct store *db, const char *sql, const char *p1)
{
	char    val[64];
	int64_t v;

	q_text(db, sql, p1, val, sizeof(val));
	assert_int_equal(mod_strtonum(val, INT64_MIN, INT64_MAX, &v), 0);
	return v;
}

static void
q_exec(struct store *db, const char *sql)
{
	assert_int_equal(store_exec(db, "test", sql, 0, NULL), 0);
}

/* rec: a status proposal with the scam hits. */
static struct queue_record
rec(const char *key, const char *target_id, const char *action, double score)
{
	struct queue_record r;

	memset(&r, 0, sizeof(r));
	r.source_name = "rep0";
	r.dedup_key = key;
	r.event_kind = "status.created";
	r.object_id = target_id;
	r.event_time_ms = INT64_C(1700000000123);
	r.target_type = "status";
	r.target_id = target_id;
	r.target_account_id = "1001";
	r.target_acct = "spammer@bad.example";
	r.action = action;
	r.score = score;
	r.hits = hits_scam;
	r.nhits = nitems(hits_scam);
	r.texts = texts_a;
	r.ntexts = nitems(texts_a);
	r.revision = "rules-abc123";
	return r;
}

/* report: a report item on account `account`. */
static struct queue_record
report(const char *key, const char *report_id, const char *account,
    const char *category, double score)
{
	struct queue_record r = rec(key, report_id, "none", score);

	r.event_kind = "report.created";
	r.target_type = "report";
	r.target_account_id = account;
	r.is_report = true;
	r.report_category = category;
	r.nhits = 0;
	return r;
}

static int
batch1(struct store *db, struct queue_record r)
{
	int outcome = -1, rv;

	rv = queue_record_batch(db, &r, 1, &outcome);
	assert_int_equal(rv, 0);
	return outcome;
}

static int64_t
prio(struct store *db, const char *target_id)
{
	return q_int(db,
	    "SELECT priority FROM proposals WHERE target_id = $1 AND state = "
	    "'pending'",
	    target_id);
}

static void
test_new_and_merge(void **state)
{
	struct t *t = t_new(state);
	char      s[512];

	assert_int_equal(
	    batch1(t->db, rec("k1", "109", "flag", 3.5)), QUEUE_NEW);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM proposals", NULL), 1);
	q_text(t->db,
	    "SELECT state || ' ' || target_type || ' ' || target_id || ' ' || "
	    "target_account_id || ' ' || target_acct || ' ' || action || ' ' "
	    "|| score || ' ' || count || ' ' || source || ' ' || "
	    "array_to_string(rules, ',') || ' ' || array_to_string(groups, "
	    "',') FROM proposals",
	    NULL, s, sizeof(s));
	assert_string_equal(s,
	    "pending status 109 1001 spammer@bad.example "
	    "flag 3.5 1 rules CRYPTO_GIVEAWAY,SHORT_LINK "
	    "scams");
	/* flag 10 + round(3.5 x 5) = 18 */
	assert_int_equal(prio(t->db, "109"), 28);
	q_text(t->db,
	    "SELECT (snapshot->>'dedup_key') || ' ' || "
	    "(snapshot->>'event_time') || ' ' || "
	    "(snapshot->'hits'->0->>'excerpt') || ' ' || "
	    "(snapshot->'hits'->0->>'offset') || ' ' || "
	    "(snapshot->'texts'->>'text') || ' ' || "
	    "(proposal_id = (SELECT id FROM proposals)) FROM evidence",
	    NULL, s, sizeof(s));
	assert_string_equal(s,
	    "k1 2023-11-14T22:13:20.123Z free bitcoin 17 "
	    "Free bitcoin for everyone! true");
	/* A second event on the same target and action merges. */
	{
		struct queue_record r = rec("k2", "109", "flag", 2.0);

		r.hits = hits_spam;
		assert_int_equal(batch1(t->db, r), QUEUE_MERGED);
	}
	q_text(t->db,
	    "SELECT count || ' ' || score || ' ' || "
	    "(SELECT count(*) FROM evidence WHERE proposal_id = p.id) "
	    "|| ' ' || array_to_string(rules, ',') || ' ' || "
	    "array_to_string(groups, ',') || ' ' || "
	    "(SELECT string_agg(snapshot->>'dedup_key', ',' ORDER BY id) "
	    "FROM evidence) || ' ' || (updated_at >= created_at) || ' ' || "
	    "evidence FROM proposals AS p",
	    NULL, s, sizeof(s));
	/* Snapshots are rows of evidence; the old array stays empty. */
	assert_string_equal(s,
	    "2 3.5 2 CRYPTO_GIVEAWAY,SHORT_LINK,SPAM_LINK "
	    "scams,spam k1,k2 true []");
	assert_int_equal(prio(t->db, "109"), 38); /* + 10 x (count - 1) */
	/* One audit row per change, in order, pointing at the proposal. */
	q_text(t->db,
	    "SELECT string_agg(actor || ':' || action || ':' || target_type "
	    "|| "
	    "':' || target_id || ':' || evidence_ref || ':' || revision || "
	    "':' "
	    "|| (proposal_id = (SELECT id FROM proposals)), ' ' ORDER BY id) "
	    "FROM audit",
	    NULL, s, sizeof(s));
	assert_string_equal(s,
	    "moderd:propose:status:109:k1:rules-abc123:true "
	    "moderd:merge:status:109:k2:rules-abc123:true");
	q_text(t->db, "SELECT reason FROM audit ORDER BY id LIMIT 1", NULL, s,
	    sizeof(s));
	assert_string_equal(s,
	    "action flag, score 3.50, rules "
	    "CRYPTO_GIVEAWAY,SHORT_LINK");
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM deliveries", NULL), 2);
	t_free(t);
}

static void
test_separate_targets_and_actions(void **state)
{
	struct t *t = t_new(state);

	assert_int_equal(
	    batch1(t->db, rec("k1", "109", "flag", 3)), QUEUE_NEW);
	assert_int_equal(
	    batch1(t->db, rec("k2", "109", "delete", 3)), QUEUE_NEW);
	assert_int_equal(
	    batch1(t->db, rec("k3", "110", "flag", 3)), QUEUE_NEW);
	assert_int_equal(
	    batch1(t->db, rec("k4", "110", "flag", 3)), QUEUE_MERGED);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM proposals", NULL), 3);
	/* Once decided, a proposal no longer absorbs new events. */
	q_exec(t->db,
	    "UPDATE proposals SET state = 'approved' WHERE "
	    "target_id = '110'");
	assert_int_equal(
	    batch1(t->db, rec("k5", "110", "flag", 3)), QUEUE_NEW);
	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM proposals WHERE target_id = "
	        "'110'",
	        NULL),
	    2);
	t_free(t);
}

static void
test_duplicate(void **state)
{
	struct t           *t = t_new(state);
	struct queue_record r[3];
	int                 out[3];
	char                before[256], after[256];
	static const char   snap[]
	    = "SELECT count || ' ' || (SELECT count(*) FROM evidence) || ' ' "
	      "|| "
	      "(SELECT count(*) FROM audit) || ' ' || (SELECT count(*) FROM "
	      "deliveries) FROM proposals";

	assert_int_equal(
	    batch1(t->db, rec("k1", "109", "flag", 3)), QUEUE_NEW);
	q_text(t->db, snap, NULL, before, sizeof(before));
	assert_string_equal(before, "1 1 1 1");
	assert_int_equal(
	    batch1(t->db, rec("k1", "109", "flag", 9)), QUEUE_DUPLICATE);
	/* The same key twice in one batch, next to a fresh one. */
	r[0] = rec("k1", "109", "flag", 3);
	r[1] = rec("k2", "109", "flag", 3);
	r[2] = rec("k2", "109", "flag", 3);
	assert_int_equal(queue_record_batch(t->db, r, 3, out), 0);
	assert_int_equal(out[0], QUEUE_DUPLICATE);
	assert_int_equal(out[1], QUEUE_MERGED);
	assert_int_equal(out[2], QUEUE_DUPLICATE);
	q_text(t->db, snap, NULL, after, sizeof(after));
	assert_string_equal(after, "2 2 2 2");
	assert_int_equal(q_int(t->db, "SELECT score FROM proposals", NULL), 3);
	t_free(t);
}

/* Action none and not a report: nothing at all, not even a transaction
 * (so it succeeds with the server down). */
static void
test_noop(void **state)
{
	struct t           *t = t_new(state);
	struct queue_record r[2]
	    = { rec("k1", "109", "none", 1.0), rec("k2", "110", "none", 0) };
	int out[2];

	assert_int_equal(queue_record_batch(t->db, r, 2, out), 0);
	assert_int_equal(out[0], QUEUE_NOOP);
	assert_int_equal(out[1], QUEUE_NOOP);
	assert_int_equal(
	    q_int(t->db,
	        "SELECT (SELECT count(*) FROM proposals) + (SELECT "
	        "count(*) FROM deliveries) + (SELECT count(*) FROM "
	        "audit)",
	        NULL),
	    0);
	assert_int_equal(harness_pg_halt(t->pg), 0);
	assert_int_equal(queue_record_batch(t->db, r, 2, out), 0);
	assert_int_equal(out[1], QUEUE_NOOP);
	assert_int_equal(queue_record_batch(t->db, r, 0, out), 0);
	assert_int_equal(harness_pg_restart(t->pg), 0);
	/* The old connection is gone: noticed, then replaced. */
	assert_int_equal(store_ping(t->db), MOD_EDB);
	assert_int_equal(store_ensure(t->db), 0);
	/* The same event with an action later is not a duplicate. */
	assert_int_equal(
	    batch1(t->db, rec("k1", "109", "flag", 1.0)), QUEUE_NEW);
	t_free(t);
}

static void
test_report_priority(void **state)
{
	struct t *t = t_new(state);
	char      key[16], id[16];
	int       i;

	/* legal 40, nothing else */
	assert_int_equal(
	    batch1(t->db, report("r1", "R1", "A1", "legal", 0)), QUEUE_NEW);
	assert_int_equal(prio(t->db, "R1"), 40);
	/* spam 20 + 10 x 1 other + round(2.1 x 5) = 11; R1 gains 10 */
	assert_int_equal(
	    batch1(t->db, report("r2", "R2", "A1", "spam", 2.1)), QUEUE_NEW);
	assert_int_equal(prio(t->db, "R2"), 41);
	assert_int_equal(prio(t->db, "R1"), 50);
	/* Another account does not count. */
	assert_int_equal(
	    batch1(t->db, report("r3", "R3", "A2", "violation", 0)),
	    QUEUE_NEW);
	assert_int_equal(prio(t->db, "R3"), 30);
	assert_int_equal(prio(t->db, "R1"), 50);
	/* Other reports count at most 50; unknown category weighs 10. */
	for (i = 4; i <= 9; i++) {
		snprintf(key, sizeof(key), "r%d", i);
		snprintf(id, sizeof(id), "R%d", i);
		assert_int_equal(
		    batch1(t->db, report(key, id, "A1", NULL, 0)), QUEUE_NEW);
	}
	assert_int_equal(prio(t->db, "R9"), 10 + 50);
	assert_int_equal(prio(t->db, "R1"), 40 + 50);
	/* Score counts at most 50, and never below 0. */
	assert_int_equal(
	    batch1(t->db, report("r10", "R10", "A3", "legal", 100)),
	    QUEUE_NEW);
	assert_int_equal(prio(t->db, "R10"), 90);
	assert_int_equal(
	    batch1(t->db, report("r11", "R11", "A4", "spam", -7)), QUEUE_NEW);
	assert_int_equal(prio(t->db, "R11"), 20);
	/* report.updated of R2 merges, with the new score. */
	{
		struct queue_record r = report("r2u", "R2", "A1", "spam", 4);

		r.event_kind = "report.updated";
		assert_int_equal(batch1(t->db, r), QUEUE_MERGED);
	}
	assert_int_equal(prio(t->db, "R2"), 20 + 50 + 20);
	assert_int_equal(
	    q_int(t->db, "SELECT count FROM proposals WHERE target_id = 'R2'",
	        NULL),
	    2);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM proposals WHERE action = "
	                     "'none' AND target_type = 'report'",
	                     NULL),
	    11);
	t_free(t);
}

static void
test_dead_letters(void **state)
{
	static const char   payload[] = "{\"event\":\x00\xff broken";
	struct t           *t = t_new(state);
	struct queue_record r[3];
	struct queue_counts c;
	char               *big = xmalloc(100000);
	char                s[256];
	int                 out[3];

	memset(big, 'x', 100000);
	r[0] = rec("k1", "109", "flag", 3);
	memset(&r[1], 0, sizeof(r[1]));
	r[1].dead_reason = "malformed: line 1: unexpected token";
	r[1].source_name = "webhook";
	r[1].payload = payload;
	r[1].payload_len = sizeof(payload) - 1;
	r[2] = rec("k2", "110", "none", 0);
	assert_int_equal(queue_record_batch(t->db, r, 3, out), 0);
	assert_int_equal(out[0], QUEUE_NEW);
	assert_int_equal(out[1], QUEUE_DEAD);
	assert_int_equal(out[2], QUEUE_NOOP);
	q_text(t->db,
	    "SELECT source || ' ' || reason || ' ' || payload_bytes || ' ' || "
	    "encode(payload, 'hex') FROM dead_letters",
	    NULL, s, sizeof(s));
	assert_string_equal(s,
	    "webhook malformed: line 1: unexpected token 18 "
	    "7b226576656e74223a00ff2062726f6b656e");
	assert_int_equal(
	    queue_dead_letter(t->db, NULL, "too large", big, 100000), 0);
	assert_int_equal(queue_dead_letter(t->db, "pull", NULL, NULL, 0), 0);
	q_text(t->db,
	    "SELECT string_agg(source || ':' || reason || ':' || "
	    "payload_bytes "
	    "|| ':' || length(payload), ' ' ORDER BY id) FROM dead_letters "
	    "WHERE id > 1",
	    NULL, s, sizeof(s));
	assert_string_equal(s,
	    "unknown:too large:100000:65536 "
	    "pull:rejected:0:0");
	assert_int_equal(queue_counts(t->db, &c), 0);
	assert_int_equal(c.dead_letters, 3);
	assert_int_equal(c.pending, 1);
	free(big);
	t_free(t);
}

/*
 * Retention: dead letters and dedup keys older than their retention go,
 * younger ones and proposals stay; 0 keeps a table whole; a redelivery
 * whose key was pruned counts again (it merges instead of being a
 * duplicate); a backlog is deleted in bounded runs.
 */
static void
test_prune(void **state)
{
	static const int64_t day = INT64_C(86400000);
	struct t            *t = t_new(state);
	struct queue_pruned  p;
	int                  i;

	for (i = 0; i < 3; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(batch1(t->db, rec(key, "109", "flag", 3)),
		    i == 0 ? QUEUE_NEW : QUEUE_MERGED);
		assert_int_equal(
		    queue_dead_letter(t->db, "pull", "bad", "x", 1), 0);
	}
	q_exec(t->db,
	    "UPDATE deliveries SET received_at = now() - "
	    "interval '40 days' WHERE dedup_key IN ('k0', 'k1')");
	q_exec(t->db,
	    "UPDATE dead_letters SET at = now() - interval '40 "
	    "days' WHERE id <= 2");
	assert_int_equal(queue_prune(t->db, 0, 0, &p), 0);
	assert_true(p.dead_letters == 0 && p.dedup_keys == 0);
	assert_int_equal(queue_prune(t->db, 30 * day, 30 * day, &p), 0);
	assert_true(p.dead_letters == 2 && p.dedup_keys == 2);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM deliveries", NULL), 1);
	assert_int_equal(
	    q_int(t->db, "SELECT min(id) FROM dead_letters", NULL), 3);
	assert_int_equal(q_int(t->db, "SELECT count FROM proposals", NULL), 3);
	assert_int_equal(
	    batch1(t->db, rec("k2", "109", "flag", 3)), QUEUE_DUPLICATE);
	assert_int_equal(
	    batch1(t->db, rec("k0", "109", "flag", 3)), QUEUE_MERGED);
	/* A backlog larger than one run: the cap holds, the rest follows. */
	q_exec(t->db,
	    "INSERT INTO dead_letters (at, source, reason, payload,"
	    " payload_bytes) SELECT now() - interval '40 days', 'pull',"
	    " 'bad', '\\x00', 1 FROM generate_series(1, 205000)");
	assert_int_equal(queue_prune(t->db, 30 * day, 30 * day, &p), 0);
	assert_true(p.dead_letters == MOD_MAX_PRUNE_RUN_COUNT);
	assert_int_equal(queue_prune(t->db, 30 * day, 30 * day, &p), 0);
	assert_true(p.dead_letters == 205000 - MOD_MAX_PRUNE_RUN_COUNT);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM dead_letters", NULL), 1);
	/* Both deletions go by an index on the time, oldest first. */
	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM pg_indexes WHERE indexname"
	        " IN ('dead_letters_at', 'deliveries_received_at')",
	        NULL),
	    2);
	t_free(t);
}

/*
 * Merges into a proposal whose priority no longer moves (the count term
 * saturates after 6) change no indexed column, and the table keeps room
 * on its pages (schema v5, fillfactor 70), so PostgreSQL updates the row
 * in place (HOT) instead of adding an entry to each of its indexes.
 */
static void
test_merge_in_place(void **state)
{
	struct t           *t = t_new(state);
	struct queue_record r[30];
	int                 out[nitems(r)];
	char                keys[nitems(r)][16];
	size_t              i;

	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM pg_class WHERE relname ="
	        " 'proposals' AND 'fillfactor=70' = ANY(reloptions)",
	        NULL),
	    1);
	for (i = 0; i < nitems(r); i++) {
		snprintf(keys[i], sizeof(keys[i]), "hot%zu", i);
		r[i] = rec(keys[i], "110", "flag", 2.0);
	}
	for (i = 0; i < nitems(r); i++) /* one transaction each */
		assert_int_equal(
		    queue_record_batch(t->db, &r[i], 1, &out[i]), 0);
	assert_int_equal(out[nitems(r) - 1], QUEUE_MERGED);
	/* This session's table statistics, flushed when it goes idle. */
	(void) q_int(t->db, "SELECT 0 FROM pg_stat_force_next_flush()", NULL);
	assert_true(q_int(t->db,
	                "SELECT n_tup_hot_upd FROM pg_stat_user_tables"
	                " WHERE relname = 'proposals'",
	                NULL)
	    >= (int64_t) nitems(r) - 8);
	t_free(t);
}

static void
test_evidence_cap(void **state)
{
	struct t           *t = t_new(state);
	struct queue_record r[MOD_MAX_EVIDENCE_COUNT + 5];
	int                 out[nitems(r)];
	char                keys[nitems(r)][16];
	size_t              i;

	for (i = 0; i < nitems(r); i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		r[i] = rec(keys[i], "109", "flag", (double) i / 10);
	}
	assert_int_equal(queue_record_batch(t->db, r, nitems(r), out), 0);
	assert_int_equal(out[0], QUEUE_NEW);
	assert_int_equal(out[nitems(r) - 1], QUEUE_MERGED);
	assert_int_equal(q_int(t->db, "SELECT count FROM proposals", NULL),
	    (int64_t) nitems(r));
	assert_int_equal(q_int(t->db, "SELECT count(*) FROM evidence", NULL),
	    MOD_MAX_EVIDENCE_COUNT);
	/* The first snapshots are kept; the score still follows. */
	assert_int_equal(q_int(t->db,
	                     "SELECT (snapshot->>'dedup_key' = 'k49')::int "
	                     "FROM evidence ORDER BY id DESC LIMIT 1",
	                     NULL),
	    1);
	/* A later batch finds the proposal full too. */
	assert_int_equal(
	    batch1(t->db, rec("late", "109", "flag", 0)), QUEUE_MERGED);
	assert_int_equal(q_int(t->db, "SELECT count(*) FROM evidence", NULL),
	    MOD_MAX_EVIDENCE_COUNT);
	assert_int_equal(q_int(t->db, "SELECT count FROM proposals", NULL),
	    (int64_t) nitems(r) + 1);
	{
		struct queue_item *items;
		size_t             n;

		assert_int_equal(queue_list(t->db, 10, &items, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(
		    items[0].evidence_count, MOD_MAX_EVIDENCE_COUNT);
		free(items);
	}
	assert_int_equal(
	    q_int(t->db, "SELECT (score * 10)::int FROM proposals", NULL),
	    (int64_t) nitems(r) - 1);
	assert_int_equal(q_int(t->db, "SELECT count(*) FROM audit", NULL),
	    (int64_t) nitems(r) + 1);
	t_free(t);
}

/* A database error anywhere undoes the whole batch. */
static void
test_rollback(void **state)
{
	struct t           *t = t_new(state);
	struct queue_record r[3];
	int                 out[3];

	q_exec(t->db,
	    "ALTER TABLE proposals ADD CONSTRAINT boom CHECK "
	    "(target_id <> 'boom')");
	r[0] = rec("k1", "109", "flag", 3);
	r[1] = rec("k2", "boom", "flag", 3);
	r[2] = rec("k3", "110", "flag", 3);
	memset(&r[2], 0, sizeof(r[2]));
	r[2].dead_reason = "bad";
	assert_int_equal(queue_record_batch(t->db, r, 3, out), MOD_EDB);
	assert_int_equal(
	    q_int(t->db,
	        "SELECT (SELECT count(*) FROM proposals) + (SELECT "
	        "count(*) FROM deliveries) + (SELECT count(*) FROM "
	        "audit) + (SELECT count(*) FROM dead_letters)",
	        NULL),
	    0);
	/* The retry without the poison stores everything once. */
	r[1] = rec("k2", "111", "flag", 3);
	assert_int_equal(queue_record_batch(t->db, r, 3, out), 0);
	assert_int_equal(out[0], QUEUE_NEW);
	assert_int_equal(out[1], QUEUE_NEW);
	assert_int_equal(out[2], QUEUE_DEAD);
	assert_int_equal(q_int(t->db, "SELECT count(*) FROM audit", NULL), 2);
	t_free(t);
}

static void
test_invalid_records(void **state)
{
	struct t           *t = t_new(state);
	struct queue_record good = rec("k0", "109", "flag", 1), bad[9];
	struct queue_record pair[2];
	int                 out[2];
	size_t              i;

	for (i = 0; i < nitems(bad); i++)
		bad[i] = rec("k1", "110", "flag", 1);
	bad[0].dedup_key = NULL;
	bad[1].target_type = "user";
	bad[2].action = "ban";
	bad[3].score = NAN;
	bad[4].target_id = "";
	bad[5].origin = "oracle";
	bad[6].hits = NULL;
	bad[7].action = NULL;
	bad[8].score = INFINITY;
	for (i = 0; i < nitems(bad); i++) {
		pair[0] = good;
		pair[1] = bad[i];
		assert_int_equal(
		    queue_record_batch(t->db, pair, 2, out), MOD_EINVAL);
	}
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM deliveries", NULL), 0);
	assert_int_equal(queue_record_batch(
	                     t->db, pair, MOD_MAX_QUEUE_BATCH_COUNT + 1, out),
	    MOD_ETOOBIG);
	pair[1] = good;
	pair[1].dedup_key = "k1";
	pair[1].origin = "feed";
	assert_int_equal(queue_record_batch(t->db, pair, 2, out), 0);
	assert_int_equal(out[1], QUEUE_MERGED);
	assert_string_equal(queue_outcome_name(QUEUE_MERGED), "merged");
	assert_string_equal(queue_outcome_name(99), "unknown");
	t_free(t);
}

/* SQL-looking strings are data; broken UTF-8 is repaired, not fatal. */
static void
test_strings_verbatim(void **state)
{
	static const char sqlish[]
	    = "x'); DROP TABLE proposals; --\\' \"$1\" E'\\x00'";
	static const struct queue_hit hits[] = {
		{ "R'; DELETE FROM audit; --", "g\"1", "text",
		    "\\u0000 ' \" </script>", 0, 1, 1.0 },
	};
	const struct queue_text texts[] = {
		{ "text", sqlish },
		{ "broken",
		    "ab\xff\xfe"
		    "cd" },
	};
	struct t           *t = t_new(state);
	struct queue_record r = rec("k'1", "109", "flag", 1);
	char                s[512];

	r.target_acct = sqlish;
	r.hits = hits;
	r.nhits = nitems(hits);
	r.texts = texts;
	r.ntexts = nitems(texts);
	r.revision = "rev\xc3";
	assert_int_equal(batch1(t->db, r), QUEUE_NEW);
	q_text(t->db, "SELECT target_acct FROM proposals", NULL, s, sizeof(s));
	assert_string_equal(s, sqlish);
	q_text(t->db, "SELECT snapshot->'texts'->>'text' FROM evidence", NULL,
	    s, sizeof(s));
	assert_string_equal(s, sqlish);
	q_text(t->db, "SELECT snapshot->'texts'->>'broken' FROM evidence",
	    NULL, s, sizeof(s));
	assert_string_equal(s,
	    "ab\xEF\xBF\xBD\xEF\xBF\xBD"
	    "cd");
	q_text(t->db, "SELECT snapshot->'hits'->0->>'excerpt' FROM evidence",
	    NULL, s, sizeof(s));
	assert_string_equal(s, hits[0].excerpt);
	q_text(t->db, "SELECT rules[1] || '|' || groups[1] FROM proposals",
	    NULL, s, sizeof(s));
	assert_string_equal(s, "R'; DELETE FROM audit; --|g\"1");
	q_text(t->db, "SELECT evidence_ref FROM audit", NULL, s, sizeof(s));
	assert_string_equal(s, "k'1");
	assert_int_equal(q_int(t->db, "SELECT count(*) FROM audit", NULL), 1);
	t_free(t);
}

/* The caller's snapshot is stored as given when PostgreSQL can take it;
 * otherwise queue.c builds one, and the batch still goes through. */
static void
test_caller_evidence(void **state)
{
	static const char *const unusable[] = {
		"{not json",
		"[1, 2]",
		"{\"text\": \"nul \\u0000 here\"}",
		"{\"a\": 1, \"a\": 2}",
		"{\"s\": \"\\ud800\"}",
	};
	struct t           *t = t_new(state);
	struct queue_record r = rec("k0", "109", "flag", 1);
	char                key[16], s[256];
	size_t              i;

	r.evidence_json = "{\"mine\": true, \"text\": \"as it was\"}";
	assert_int_equal(batch1(t->db, r), QUEUE_NEW);
	q_text(t->db, "SELECT snapshot FROM evidence", NULL, s, sizeof(s));
	assert_string_equal(s, "{\"mine\": true, \"text\": \"as it was\"}");
	for (i = 0; i < nitems(unusable); i++) {
		snprintf(key, sizeof(key), "k%zu", i + 1);
		r.dedup_key = key;
		r.evidence_json = unusable[i];
		assert_int_equal(batch1(t->db, r), QUEUE_MERGED);
	}
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM evidence WHERE "
	                     "snapshot->>'dedup_key' LIKE 'k_'",
	                     NULL),
	    (int64_t) nitems(unusable));
	t_free(t);
}

static void
test_list_and_counts(void **state)
{
	struct t           *t = t_new(state);
	struct queue_item  *items;
	struct queue_counts c;
	size_t              n;

	assert_int_equal(queue_list(t->db, 10, &items, &n), 0);
	assert_int_equal(n, 0);
	assert_null(items);
	assert_int_equal(
	    batch1(t->db, rec("k1", "101", "flag", 1)), QUEUE_NEW);
	assert_int_equal(
	    batch1(t->db, rec("k2", "102", "suspend", 1)), QUEUE_NEW);
	assert_int_equal(
	    batch1(t->db, rec("k3", "103", "flag", 1)), QUEUE_NEW);
	assert_int_equal(
	    batch1(t->db, report("k4", "R1", "A1", "legal", 1)), QUEUE_NEW);
	assert_int_equal(
	    batch1(t->db, rec("k5", "104", "flag", 1)), QUEUE_NEW);
	q_exec(t->db,
	    "UPDATE proposals SET state = 'rejected' WHERE target_id "
	    "= '104'");
	assert_int_equal(queue_list(t->db, 3, &items, &n), 0);
	assert_int_equal(n, 3);
	/* suspend 40+5, report 40+5 (younger), then the flags by age */
	assert_string_equal(items[0].action, "suspend");
	assert_int_equal(items[0].priority, 45);
	assert_string_equal(items[1].target_type, "report");
	assert_string_equal(items[1].target_id, "R1");
	assert_string_equal(items[1].action, "none");
	assert_string_equal(items[1].report_category, "legal");
	assert_int_equal(items[1].priority, 45);
	assert_string_equal(items[2].target_id, "101");
	assert_string_equal(items[2].rules, "CRYPTO_GIVEAWAY,SHORT_LINK");
	assert_string_equal(items[2].target_acct, "spammer@bad.example");
	assert_int_equal(items[2].count, 1);
	assert_int_equal(items[2].evidence_count, 1);
	assert_true(items[2].score == 1.0);
	assert_true(items[2].id > 0 && items[2].created_at_ms > 1600000000000);
	assert_true(items[2].updated_at_ms >= items[2].created_at_ms);
	free(items);
	assert_int_equal(queue_list(t->db, 100, &items, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(items[3].target_id, "103");
	free(items);
	assert_int_equal(queue_counts(t->db, &c), 0);
	assert_int_equal(c.pending, 4);
	assert_int_equal(c.rejected, 1);
	assert_int_equal(
	    c.approved + c.applied + c.failed + c.dead_letters, 0);
	t_free(t);
}

/* The server restarts between batches: the batch fails whole, the store
 * reconnects, the retried batch commits exactly once. */
static void
test_reconnect_batch(void **state)
{
	struct t           *t = t_new(state);
	struct queue_record r[2]
	    = { rec("k2", "109", "flag", 1), rec("k3", "110", "flag", 1) };
	int out[2];

	assert_int_equal(
	    batch1(t->db, rec("k1", "109", "flag", 1)), QUEUE_NEW);
	assert_int_equal(harness_pg_restart(t->pg), 0);
	assert_int_equal(queue_record_batch(t->db, r, 2, out), MOD_EDB);
	assert_int_equal(store_ensure(t->db), 0);
	assert_int_equal(queue_record_batch(t->db, r, 2, out), 0);
	assert_int_equal(out[0], QUEUE_MERGED);
	assert_int_equal(out[1], QUEUE_NEW);
	assert_int_equal(queue_record_batch(t->db, r, 2, out), 0);
	assert_int_equal(out[0], QUEUE_DUPLICATE);
	assert_int_equal(out[1], QUEUE_DUPLICATE);
	assert_int_equal(
	    q_int(t->db, "SELECT sum(count) FROM proposals", NULL), 3);
	t_free(t);
}

/* Two writers (two stores, as two moderd processes would have) send
 * overlapping events about one target at once. */
#define RACE_BATCHES 20
#define RACE_BATCH_COUNT 5

struct racer {
	const char *dsn;
	int         first; /* first key number */
	int         outcomes[QUEUE_OUTCOME_COUNT];
	int         retries;
	int         rv;
};

static int
race_batch(struct store *db, struct racer *rc, int b)
{
	struct queue_record r[RACE_BATCH_COUNT];
	char                keys[RACE_BATCH_COUNT][16];
	int                 out[RACE_BATCH_COUNT], i, rv, tries;

	for (i = 0; i < RACE_BATCH_COUNT; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d",
		    rc->first + b * RACE_BATCH_COUNT + i);
		r[i] = rec(keys[i], "109", "flag", 1);
	}
	for (tries = 0; tries < 50; tries++) {
		if ((rv = queue_record_batch(db, r, RACE_BATCH_COUNT, out))
		    == 0)
			break;
		rc->retries++;
		if (store_ensure(db) != 0)
			continue; /* the next attempt finds out again */
	}
	for (i = 0; rv == 0 && i < RACE_BATCH_COUNT; i++)
		rc->outcomes[out[i]]++;
	return rv;
}

static void *
race_writer(void *arg)
{
	struct racer *rc = arg;
	struct store *db;
	int           b;

	if ((rc->rv = store_open(rc->dsn, 5000, &db)) != 0)
		return NULL;
	for (b = 0; b < RACE_BATCHES && rc->rv == 0; b++)
		rc->rv = race_batch(db, rc, b);
	store_close(db);
	return NULL;
}

static void
test_concurrent_writers(void **state)
{
	struct t    *t = t_new(state);
	struct racer rc[2];
	pthread_t    th[2];
	int          total = RACE_BATCHES * RACE_BATCH_COUNT, i;
	int          distinct = total + total / 2;

	memset(rc, 0, sizeof(rc));
	for (i = 0; i < 2; i++) {
		rc[i].dsn = t->dsn;
		rc[i].first = i * total / 2; /* half of the keys overlap */
		assert_int_equal(
		    pthread_create(&th[i], NULL, race_writer, &rc[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(rc[i].rv, 0);
	}
	assert_int_equal(
	    rc[0].outcomes[QUEUE_NEW] + rc[1].outcomes[QUEUE_NEW], 1);
	assert_int_equal(
	    rc[0].outcomes[QUEUE_MERGED] + rc[1].outcomes[QUEUE_MERGED],
	    distinct - 1);
	assert_int_equal(
	    rc[0].outcomes[QUEUE_DUPLICATE] + rc[1].outcomes[QUEUE_DUPLICATE],
	    2 * total - distinct);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM proposals", NULL), 1);
	assert_int_equal(
	    q_int(t->db, "SELECT count FROM proposals", NULL), distinct);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM deliveries", NULL), distinct);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM audit", NULL), distinct);
	t_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_merge),
		cmocka_unit_test(test_separate_targets_and_actions),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_noop),
		cmocka_unit_test(test_report_priority),
		cmocka_unit_test(test_dead_letters),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_evidence_cap),
		cmocka_unit_test(test_merge_in_place),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_invalid_records),
		cmocka_unit_test(test_strings_verbatim),
		cmocka_unit_test(test_caller_evidence),
		cmocka_unit_test(test_list_and_counts),
		cmocka_unit_test(test_reconnect_batch),
		cmocka_unit_test(test_concurrent_writers),
	};

	return cmocka_run_group_tests(
	    tests, harness_pg_group_setup, harness_pg_group_teardown);
}
