/*
 * metrics.h - the daemon's counters, gauges and latency histogram, and
 * their Prometheus text exposition (GET /metrics).
 *
 * The metrics table is one of the two file-scope states of the tree (with
 * log.c).  Every update is a lock-free atomic operation on a fixed slot, so
 * the hot path (intake threads, matcher workers, the writer) never takes
 * a lock.  Labelled families have a bounded label set: sources, reasons
 * and outcomes are enums; rule names are those of the current ruleset,
 * installed by metrics_rules_set() on every (re)load.
 *
 * Who counts what: intake code (nng, webhook, stream) counts events_in
 * at receipt and the rejections it decides itself (too_large,
 * bad_signature); the pipeline counts dropped_full (a submit without
 * block that found it full), the parser's rejections
 * (metrics_reason_from_pipe()), proposals, rule hits and latency; the
 * store counts database errors and reconnects.
 */
#ifndef MODERD_METRICS_H
#define MODERD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "moderd.h"
#include "pipeline.h"

/* Plain counters: moderd_<name>_total. */
enum metrics_counter {
	METRICS_DB_ERRORS, /* db_errors_total */
	METRICS_DB_RECONNECTS, /* db_reconnects_total */
	METRICS_DISPATCH_APPLIED, /* dispatch_applied_total */
	METRICS_DISPATCH_FAILED, /* dispatch_failed_total */
	METRICS_DISPATCH_RETRIES, /* dispatch_retries_total */
	METRICS_PRUNED_DEAD_LETTERS, /* pruned_dead_letters_total */
	METRICS_PRUNED_DEDUP_KEYS, /* pruned_dedup_keys_total */
	METRICS_COUNTER_COUNT
};

/* Gauges: moderd_<name>. */
enum metrics_gauge {
	METRICS_QUEUE_DEPTH, /* queue_depth: pending proposals */
	METRICS_PIPELINE_QUEUE, /* pipeline_queue: events inside moderd */
	METRICS_GAUGE_COUNT
};

/* Label values of events_rejected_total{reason}. */
enum metrics_reason {
	METRICS_REJ_MALFORMED,
	METRICS_REJ_TOO_LARGE,
	METRICS_REJ_UNKNOWN_EVENT,
	METRICS_REJ_WRONG_TYPE,
	METRICS_REJ_INVALID_UTF8,
	METRICS_REJ_BAD_SIGNATURE,
	METRICS_REJ_DROPPED_FULL,
	METRICS_REJ_OTHER,
	METRICS_REJ_COUNT
};

/* Label values of proposals_total{outcome}. */
enum metrics_outcome {
	METRICS_PROP_NEW,
	METRICS_PROP_MERGED,
	METRICS_PROP_DUPLICATE,
	METRICS_PROP_NO_ACTION,
	METRICS_PROP_COUNT
};

/* metrics_inc: add one to counter c.  Lock-free; any thread. */
void metrics_inc(enum metrics_counter c);
/* metrics_count: add n to counter c.  Lock-free; any thread. */
void metrics_count(enum metrics_counter c, uint64_t n);

/* metrics_gauge_set / metrics_gauge_add: set or move gauge g. */
void metrics_gauge_set(enum metrics_gauge g, int64_t v);
void metrics_gauge_add(enum metrics_gauge g, int64_t delta);

/* metrics_event_in: one event received on an intake of kind src. */
void metrics_event_in(enum pipe_source src);

/* metrics_rejected: one event rejected for reason r. */
void metrics_rejected(enum metrics_reason r);

/* metrics_reason_from_pipe: the reason label of a pipeline rejection. */
enum metrics_reason metrics_reason_from_pipe(enum pipe_reject r);

/* metrics_proposal: one stored (or judged) event with outcome o. */
void metrics_proposal(enum metrics_outcome o);

/*
 * metrics_observe_latency: one event took ms milliseconds from receipt to
 * commit.  Negative or NaN values count as 0.
 */
void metrics_observe_latency(double ms);

/*
 * metrics_rules_set: make names[0..n) (borrowed, copied) the label set of
 * rule_hits_total and rules_unevaluated_total; call it whenever a ruleset
 * is installed, with its rules in index order.  Counts of rules that keep
 * their name carry over; counts of rules that are gone are dropped.  At
 * most MOD_MAX_RULES_COUNT names are kept.  Thread-safe; waits (briefly)
 * for concurrent metrics_rule_* calls to leave the old table.
 */
void metrics_rules_set(const char *const *names, size_t n);

/*
 * metrics_rule_hit / metrics_rule_unevaluated: count one hit of, or one
 * failure to evaluate, the rule at index (in the last metrics_rules_set()
 * order); an index out of range is ignored.  Lock-free.
 */
void metrics_rule_hit(size_t index);
void metrics_rule_unevaluated(size_t index);

/*
 * metrics_rule_hit_name / metrics_rule_unevaluated_name: as above by rule
 * name (a binary search); unknown names are ignored.  Lock-free.
 */
void metrics_rule_hit_name(const char *name);
void metrics_rule_unevaluated_name(const char *name);

/*
 * metrics_render: append every metric to out in the Prometheus text
 * exposition format 0.0.4 (HELP and TYPE lines, escaped label values).
 * Returns 0, or MOD_ETOOBIG if out's cap was reached (out then holds a
 * truncated page).  Thread-safe.
 */
int metrics_render(struct buf *out) MOD_MUSTCHECK;

/*
 * metrics_lookup: the current value of one sample, named exactly as
 * rendered, e.g. `moderd_events_rejected_total{reason="too_large"}`.
 * Returns 0, or MOD_ENOENT if there is no such sample.  For tests and
 * diagnostics (it renders the whole page).
 */
int metrics_lookup(const char *sample, double *value) MOD_MUSTCHECK;

/*
 * metrics_reset: every value to zero and no rules.  For tests and for
 * exit (it frees the rule table); not safe against concurrent updates.
 */
void metrics_reset(void);

#endif /* MODERD_METRICS_H */
