/*
 * queue.h - the proposal queue in PostgreSQL: what the DB writer stores
 * for each processed event, and the reads the daemon needs now.
 *
 * One processed event is one struct queue_record.  The writer hands a
 * batch of them to queue_record_batch(), which stores them all in ONE
 * transaction, sent as one pipeline (two round trips per batch, however
 * many records it holds): per record, the dedup key (a delivery seen
 * before changes nothing), then a new proposal or a merge into the
 * pending one for the same (target type, target id, action), a row of
 * evidence, and an audit row for the change.  Rejected events travel in
 * the same batch as dead letters.
 *
 * Priority of a pending item (recomputed at every merge, in SQL):
 * - report items: category weight (legal 40, violation 30, spam 20, any
 *   other 10) + 10 x the number of other reports pending on the same
 *   target account (capped at 50) + round(score x 5) clamped to 0..50;
 *   a new report item also refreshes the priority of every other pending
 *   report item on that account;
 * - other items: action weight (suspend 40, silence 30, delete 30,
 *   sensitive 20, flag 10, none 0) + 10 x (count - 1) (capped at 50) +
 *   round(score x 5) clamped to 0..50.
 */
#ifndef MODERD_QUEUE_H
#define MODERD_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moderd.h"
#include "store.h"

/* Per-record outcomes of queue_record_batch(). */
enum queue_outcome {
	QUEUE_NEW, /* a new proposal was created */
	QUEUE_MERGED, /* merged into the pending proposal for its target */
	QUEUE_DUPLICATE, /* dedup key seen before: nothing changed */
	QUEUE_NOOP, /* no action and not a report: nothing written */
	QUEUE_DEAD, /* a rejected event, kept as a dead letter */
	QUEUE_OUTCOME_COUNT
};

/* queue_outcome_name: "new", "merged", "duplicate", "noop", "dead". */
const char *queue_outcome_name(int outcome);

/* One rule hit, as the evidence shows it. */
struct queue_hit {
	const char *rule;
	const char *group; /* "" or NULL if none */
	const char *target; /* rule_target_name(), "conditions", ... */
	const char *excerpt; /* capped by the rule engine */
	size_t      offset;
	size_t      length;
	double      score;
};

/* A named text of the event as it was ("text", "spoiler",
 * "report_comment", ...), for a snapshot queue.c builds. */
struct queue_text {
	const char *name;
	const char *value;
};

/*
 * One processed event.  All pointers are borrowed for the duration of
 * the call; strings are UTF-8 (anything else is repaired, never fatal).
 *
 * Evidence: each event adds one frozen snapshot (a JSON object) to its
 * proposal as one row of the evidence table (proposal_id, at, snapshot),
 * at most MOD_MAX_EVIDENCE_COUNT rows per proposal (count still rises
 * beyond; the first snapshots are kept).  proposals.evidence (the array
 * of schema version 1) is not written.  If evidence_json is set it is that
 * snapshot, used as is when it is a JSON object of at most
 * MOD_MAX_SNAPSHOT_BYTES that PostgreSQL can store (no \u0000); else,
 * or if it is NULL, queue.c builds one from the record:
 *   {"event", "object_id", "dedup_key", "event_time" (ISO 8601 or null),
 *    "intake", "action", "score", "hits": [{"rule", "group", "target",
 *    "excerpt", "offset", "length", "score"}], "hits_total",
 *    "texts": {NAME: VALUE, ...}, "truncated"}
 * with at most MOD_MAX_SNAPSHOT_HITS_COUNT hits and
 * MOD_MAX_SNAPSHOT_TEXTS_COUNT texts of MOD_MAX_SNAPSHOT_TEXT_BYTES each
 * ("truncated" is true when anything was cut).
 */
struct queue_record {
	/*
	 * A rejected event: when dead_reason is set, the record is stored
	 * as a dead letter (source_name, reason and the first
	 * MOD_MAX_DEAD_LETTER_BYTES of payload) and no other field is read.
	 */
	const char *dead_reason;
	const void *payload;
	size_t      payload_len;
	const char *source_name; /* intake name; may be NULL */

	const char *dedup_key; /* event_dedup_key(); required */
	const char *event_kind; /* "status.created", ...; required */
	const char *object_id; /* required */
	int64_t     event_time_ms; /* INT64_MIN if unknown */
	const char *target_type; /* status|account|report|domain */
	const char *target_id; /* required */
	const char *target_account_id; /* may be NULL */
	const char *target_acct; /* may be NULL */
	const char *action; /* rule_action_name() of the decided action */
	double      score; /* the verdict's total; finite */
	bool        is_report; /* report.*: always yields an item */
	const char *report_category; /* reports: spam|legal|...; may be NULL */
	const struct queue_hit  *hits;
	size_t                   nhits;
	const struct queue_text *texts; /* only if evidence_json is NULL */
	size_t                   ntexts;
	const char *evidence_json; /* the frozen snapshot; may be NULL */
	const char *origin; /* proposals.source: "rules" (also NULL), "feed",
	                       "manual" */
	const char *revision; /* ruleset revision for the audit; may be NULL */
};

/*
 * queue_record_batch: store n records (at most MOD_MAX_QUEUE_BATCH_COUNT)
 * in ONE transaction, in order, and set outcomes[i] (enum queue_outcome)
 * for each.  A record with action "none" that is not a report is
 * QUEUE_NOOP and writes nothing, not even its dedup key; a batch of only
 * such records opens no transaction.  Every new or merged proposal gets
 * an audit row (actor "moderd", action "propose" or "merge", the dedup
 * key as evidence reference).  Returns 0 once committed; MOD_EINVAL
 * (a record is malformed: a caller bug; nothing written), MOD_ETOOBIG
 * (n too large; nothing written) or MOD_EDB (rolled back, nothing
 * written: retry the whole batch after store_ensure()).  outcomes are
 * meaningful only when 0 is returned.  Must be called outside a
 * transaction.
 */
int queue_record_batch(struct store *db, const struct queue_record *recs,
    size_t n, int *outcomes) MOD_MUSTCHECK;

/* queue_dead_letter: store one rejected event in its own transaction
 * (a batch of one dead-letter record).  Returns 0 or MOD_EDB. */
int queue_dead_letter(struct store *db, const char *source, const char *reason,
    const void *payload, size_t len) MOD_MUSTCHECK;

/* One pending item, as `moderd queue` shows it.  Strings are cut to fit. */
struct queue_item {
	int64_t id;
	char    target_type[16];
	char    target_id[MOD_MAX_KEY_BYTES + 1];
	char    target_acct[MOD_MAX_ACCT_BYTES + 1];
	char    action[16];
	char    report_category[MOD_MAX_ID_BYTES + 1];
	char    rules[MOD_MAX_QUEUE_RULES_BYTES + 1]; /* "A,B,..." */
	double  score;
	int     priority;
	int     count;
	int evidence_count; /* rows of evidence (<= MOD_MAX_EVIDENCE_COUNT) */
	int64_t created_at_ms;
	int64_t updated_at_ms;
};

/*
 * queue_list: up to limit (capped at MOD_MAX_QUEUE_LIST_COUNT) pending
 * items, highest priority first, then oldest first.  *items is a new
 * array of *n items (caller frees with free(); NULL when *n is 0).
 * Returns 0 or MOD_EDB.
 */
int queue_list(struct store *db, size_t limit, struct queue_item **items,
    size_t *n) MOD_MUSTCHECK;

/* What queue_prune() deleted. */
struct queue_pruned {
	int64_t dead_letters;
	int64_t dedup_keys; /* rows of deliveries */
};

/*
 * queue_prune: delete dead letters older than dead_letter_ms and dedup
 * keys (deliveries) older than dedup_ms, oldest first; 0 keeps that table
 * whole.  Each statement deletes at most MOD_MAX_PRUNE_BATCH_COUNT rows,
 * and one call at most MOD_MAX_PRUNE_RUN_COUNT rows per table (the rest
 * waits for the next call), so a call is short however much has piled
 * up.  *out gets the counts.  Returns 0 or MOD_EDB (rows deleted by the
 * statements before the failure stay deleted and are counted).
 */
int queue_prune(struct store *db, int64_t dead_letter_ms, int64_t dedup_ms,
    struct queue_pruned *out) MOD_MUSTCHECK;

/* Number of proposals by state, and of dead letters. */
struct queue_counts {
	int64_t pending;
	int64_t approved;
	int64_t rejected;
	int64_t applied;
	int64_t failed;
	int64_t dead_letters;
};

/* queue_counts: fill *c (queue depth for metrics).  0 or MOD_EDB. */
int queue_counts(struct store *db, struct queue_counts *c) MOD_MUSTCHECK;

/* ======================================================================
 * The moderators' side (queue_read.c, queue_decide.c; issue 5, helper H1).
 * Items are built as JSON in SQL, in the shape of doc/api.md's ITEM.
 * Errors with a message fill err (may be NULL): MOD_ENOENT (no such item
 * or user: 404), MOD_EEXIST (the item's state forbids it, a second
 * approval by the same user, a clash with another pending item: 409),
 * MOD_EAUTH (the caller may not: 403), MOD_EINVAL (a bad value: 400),
 * MOD_EDB.  Every change writes its audit row in the same transaction
 * (audit_lock() first), with the caller's user name as actor.
 * ====================================================================== */

struct json_t; /* jansson */

/* queue_two_person_rank: severity rank of an action for the two-person
 * rule (none/flag/noop/unblock 0, sensitive 1, delete and silence 2,
 * suspend 3); an action needs two approvals when its rank is at least
 * the conf's two_person_severity (enum conf_two_person; NONE: never). */
int queue_two_person_rank(const char *action);
/* queue_approvals_needed: 1 or 2 for action under two_person_severity. */
int queue_approvals_needed(const char *action, int two_person);

/* What GET /v1/queue selects.  NULL strings: no filter. */
struct queue_filter {
	const char *state; /* NULL: every state */
	const char *action;
	const char *target_type;
	const char *group;
	const char *rule;
	const char *feed;
	const char *source;
	const char *assignee; /* "" = unassigned */
	const char *target; /* target id or acct */
	int64_t     changeset; /* 0: none given (held sets are left out) */
	bool        after; /* a cursor: only items after (priority, id) */
	int64_t     after_priority;
	int64_t     after_id;
	size_t      limit; /* 1 to MOD_API_LIMIT_MAX_COUNT */
	int         two_person; /* enum conf_two_person */
};

/*
 * queue_api_list: the items f selects, priority descending then id, at
 * most f->limit, as a new JSON array in *items; *more tells whether more
 * follow, and last[] is the (priority, id) of the last one (the next
 * cursor).  Returns 0 or MOD_EDB.
 */
int queue_api_list(struct store *db, const struct queue_filter *f,
    struct json_t **items, bool *more, int64_t last[2]) MOD_MUSTCHECK;

/* queue_api_counts: {"pending":N,...} of every state for f's filters
 * except state and the cursor, as a new JSON object.  0 or MOD_EDB. */
int queue_api_counts(struct store *db, const struct queue_filter *f,
    struct json_t **counts) MOD_MUSTCHECK;

/* queue_api_item: item id as a new JSON object.  0, MOD_ENOENT, MOD_EDB. */
int queue_api_item(struct store *db, int64_t id, int two_person,
    struct json_t **item) MOD_MUSTCHECK;

/* queue_api_show: the item plus "evidence" (oldest first, at most
 * MOD_MAX_EVIDENCE_COUNT), "comments", "history" (its audit rows, oldest
 * first, at most MOD_MAX_API_HISTORY_COUNT) and "account_history" (at
 * most MOD_MAX_API_ACCOUNT_HISTORY_COUNT other items on the same
 * account, newest first).  0, MOD_ENOENT or MOD_EDB. */
int queue_api_show(struct store *db, int64_t id, int two_person,
    struct json_t **item) MOD_MUSTCHECK;

/* queue_assign: set (user != NULL; the user must exist: MOD_ENOENT) or
 * clear the assignee; audit "assign" / "unassign". */
int queue_assign(struct store *db, int64_t id, const char *actor,
    const char *user, struct mod_err *err) MOD_MUSTCHECK;

/* queue_comment: add a comment (*cid its id); audit "comment". */
int queue_comment(struct store *db, int64_t id, const char *actor,
    const char *text, int64_t *cid, struct mod_err *err) MOD_MUSTCHECK;

/* What an edit changes; NULL / -1 / false: unchanged. */
struct queue_edit {
	const char *action; /* checked against the target type */
	int         reject_media; /* -1, 0, 1 */
	int         reject_reports;
	int         obfuscate;
	bool        set_public; /* public_comment given (NULL clears) */
	const char *public_comment;
	bool        set_private;
	const char *private_comment;
};

/* queue_edit: change a pending item (MOD_EEXIST otherwise); clears its
 * approvals when anything changed; audit "edit" naming the fields. */
int queue_edit(struct store *db, int64_t id, const char *actor,
    const struct queue_edit *e, struct mod_err *err) MOD_MUSTCHECK;

/*
 * queue_approve: one approval of a pending item by actor (comment may be
 * NULL).  approvals_needed comes from the item's current action and
 * two_person.  The proposer may not approve (MOD_EAUTH); a second
 * approval by the same user is MOD_EEXIST.  The last approval makes the
 * item approved and sends NOTIFY moderd_dispatch in the transaction
 * (audit "approve"); an earlier one leaves it pending (audit
 * "approve.partial", reason "1 of 2").
 */
int queue_approve(struct store *db, int64_t id, const char *actor,
    const char *comment, int two_person, struct mod_err *err) MOD_MUSTCHECK;

/*
 * queue_reject: reject a pending item with reason (required).  triage
 * callers may reject only items whose action is none or flag
 * (MOD_EAUTH).  A feed item is remembered in feed_rejections (kind from
 * its latest evidence); a report item sends NOTIFY moderd_dispatch (its
 * report is resolved).  Audit "reject".
 */
int queue_reject(struct store *db, int64_t id, const char *actor,
    const char *reason, bool triage, struct mod_err *err) MOD_MUSTCHECK;

/* A manual proposal (POST /v1/proposals). */
struct queue_manual {
	const char *target_type; /* account|status|domain */
	const char *target_id; /* domains: normalised */
	const char *target_acct; /* may be NULL */
	const char *action; /* checked against the target type */
	bool        reject_media;
	bool        reject_reports;
	bool        obfuscate;
	const char *public_comment; /* may be NULL */
	const char *private_comment;
	const char *reason; /* may be NULL */
};

/* queue_propose: a new pending item (source "manual", proposer actor,
 * one evidence snapshot recording the reason); *id its id.  A pending
 * item for the same target and action is MOD_EEXIST.  Audit
 * "propose.manual". */
int queue_propose(struct store *db, const struct queue_manual *m,
    const char *actor, int64_t *id, struct mod_err *err) MOD_MUSTCHECK;

/* queue_action_ok: whether action suits target_type (domains: noop,
 * silence, suspend, unblock; others: none, flag, sensitive, delete,
 * silence, suspend). */
bool queue_action_ok(const char *target_type, const char *action);

#endif /* MODERD_QUEUE_H */
