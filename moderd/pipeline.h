/*
 * pipeline.h - the one path every event takes inside the daemon.
 *
 * Intake code (nng sockets, the webhook endpoint, the streaming client)
 * hands raw event bytes to pipeline_submit().  Matcher threads parse,
 * normalise, match and decide; a single writer thread stores results in
 * batches, one transaction per batch, and only then reports each event
 * as handled through its done callback, so an acknowledgement always
 * means "durably stored" (or "judged to need nothing").
 */
#ifndef MODERD_PIPELINE_H
#define MODERD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "moderd.h"

enum pipe_source {
	PIPE_SRC_PULL,
	PIPE_SRC_REP,
	PIPE_SRC_SUB,
	PIPE_SRC_WEBHOOK,
	PIPE_SRC_STREAM,
	PIPE_SRC_COUNT
};

/* Outcome of a handled event, passed to done as rc == 0 with msg: */
#define PIPE_MSG_STORED "stored" /* a proposal was created or merged */
#define PIPE_MSG_DUPLICATE "duplicate" /* seen before: nothing changed */
#define PIPE_MSG_NO_ACTION "no_action" /* judged to need nothing */

/*
 * Called exactly once per accepted event, from a pipeline thread: rc 0 and
 * msg one of PIPE_MSG_* once the event is durably handled; rc MOD_EINVAL
 * (msg: why, no post content) for a rejected event (also kept as a dead
 * letter); rc MOD_EDB or MOD_ECLOSED when it could not be stored, so the
 * sender should retry.  Must not block for long.
 */
typedef void (*pipe_done_fn)(void *arg, int rc, const char *msg);

struct pipeline;
struct conf;
struct ruleset;

/* What the matcher stage made of one event, for the store stage. */
enum pipe_result_kind {
	PIPE_R_REJECT, /* bad input: kept as a dead letter */
	PIPE_R_PROPOSE, /* a proposal (or a report triage item) */
};

/* Why an event was rejected (metrics label, dead-letter reason). */
enum pipe_reject {
	PIPE_REJ_MALFORMED,
	PIPE_REJ_TOO_LARGE,
	PIPE_REJ_UNKNOWN_EVENT,
	PIPE_REJ_WRONG_TYPE,
	PIPE_REJ_INVALID_UTF8,
	PIPE_REJ_OTHER,
	PIPE_REJ_COUNT
};

struct pipe_hit {
	char  *rule, *group, *target, *excerpt;
	size_t offset, length;
	double score;
};

/* All strings owned by the result; NULL where not applicable. */
struct pipe_result {
	enum pipe_result_kind kind;
	enum pipe_reject      reject; /* PIPE_R_REJECT */
	char                 *reason; /* PIPE_R_REJECT: one line */
	const char           *source; /* "pull", … (static) */
	char                 *source_name; /* intake name */
	const char           *raw; /* PIPE_R_REJECT: the bytes (borrowed) */
	size_t                rawlen;
	char                 *dedup_key;
	const char           *event_kind; /* static */
	char                 *object_id;
	int64_t               event_ms;
	const char           *target_type; /* status|account|report (static) */
	char                 *target_id;
	char                 *target_account_id;
	char                 *target_acct;
	const char           *action; /* rule_action_name() (static) */
	double                score;
	bool                  is_report;
	char                 *report_category;
	struct pipe_hit      *hits;
	size_t                nhits;
	char                 *evidence_json; /* frozen snapshot */
	const char           *outcome; /* set by the store stage */
};

/*
 * The store stage: write every result of a batch in one transaction and
 * set each result's outcome to a PIPE_MSG_*.  Returns 0, or MOD_EDB if
 * nothing was written (the batch is retried).
 */
typedef int (*pipe_store_fn)(
    void *arg, struct pipe_result *const *res, size_t n);

/*
 * pipeline_new: start pipeline_workers matcher threads and the writer,
 * matching with rs (referenced) and c's thresholds.  store (with
 * store_arg) is the store stage.  Caller frees with pipeline_free().
 */
int pipeline_new(const struct conf *c, struct ruleset *rs, pipe_store_fn store,
    void *store_arg, struct pipeline **out) MOD_MUSTCHECK;

/*
 * pipeline_set_rules: match with rs (referenced) and c's thresholds from
 * the next event on; events in flight finish with the old rules.
 */
void pipeline_set_rules(
    struct pipeline *p, const struct conf *c, struct ruleset *rs);

/*
 * pipeline_free: refuse new events, drain those accepted (storing them,
 * or failing them with MOD_ECLOSED once drain_ms has passed without a
 * working database), stop the threads and free.  NULL-safe.
 */
void pipeline_free(struct pipeline *p, int64_t drain_ms);

/* pipeline_depth: events accepted and not yet handled. */
size_t pipeline_depth(struct pipeline *p);

/*
 * pipeline_submit: hand an event to the pipeline.  Takes ownership of
 * data (from malloc) on every path.  With block, waits while the queue is
 * full (back-pressure); without, fails at once with MOD_ELIMIT (counted as
 * dropped).  Returns 0 (done will be called), MOD_ELIMIT, MOD_ETOOBIG
 * (over MOD_MAX_EVENT_BYTES) or MOD_ECLOSED (shutting down); on a non-zero
 * return done is not called.  source_name (borrowed, copied) names the
 * intake in logs and metrics.  Thread-safe.
 */
int pipeline_submit(struct pipeline *p, enum pipe_source src,
    const char *source_name, char *data, size_t len, bool block,
    pipe_done_fn done, void *arg) MOD_MUSTCHECK;

/* pipeline_reject_name: "malformed", … for metrics labels. */
const char *pipeline_reject_name(enum pipe_reject r);

/* pipeline_source_name: "pull", "rep", … for metrics labels. */
const char *pipeline_source_name(enum pipe_source src);

#endif /* MODERD_PIPELINE_H */
