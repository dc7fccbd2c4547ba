/*
 * metrics.c - the metrics table and its Prometheus rendering.
 *
 * Every value is an atomic slot in one static table, updated with relaxed
 * atomics: counts need no ordering between each other, and a scrape that
 * sees one counter a few increments ahead of another is fine.  Histogram
 * buckets are stored per bucket and made cumulative when rendered, so
 * the +Inf bucket always equals _count.
 *
 * The rule families are the only part that changes shape: their label set
 * is the current ruleset.  The table of rule slots is swapped whole by
 * metrics_rules_set().  Updaters announce themselves in one of two reader
 * counts (chosen by an epoch bit) around the pointer load and the
 * increment: two atomic operations, no lock.  The writer swaps the
 * pointer, flips the epoch and waits for the old epoch's count to drain,
 * which proves nobody still holds the old table, then carries the old
 * counts over by name and frees it.  Rendering and
 * swapping share a mutex, so a scrape never sees a table being freed.
 *
 * Deliberately not here: per-intake-name labels (sources are the five
 * kinds, a bounded set), timestamps on samples, and any exposition format
 * but text 0.0.4.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

#define METRICS_PREFIX "moderd_"

struct metrics_rule_name {
	const char *name;
	size_t      index;
};

/* One ruleset's label set and its counters; immutable but for counts. */
struct metrics_rules {
	size_t                    n;
	char                    **names;
	struct metrics_rule_name *sorted; /* by name, for lookups */
	atomic_uint_fast64_t     *hits;
	atomic_uint_fast64_t     *uneval;
};

static struct {
	atomic_uint_fast64_t counter[METRICS_COUNTER_COUNT];
	atomic_int_fast64_t  gauge[METRICS_GAUGE_COUNT];
	atomic_uint_fast64_t in[PIPE_SRC_COUNT];
	atomic_uint_fast64_t rejected[METRICS_REJ_COUNT];
	atomic_uint_fast64_t proposals[METRICS_PROP_COUNT];
	/* per bucket, not cumulative; the last slot is +Inf */
	atomic_uint_fast64_t latency[MOD_METRICS_LATENCY_BUCKETS_COUNT + 1];
	atomic_uint_fast64_t latency_sum_us;
	_Atomic(struct metrics_rules *) rules;
	atomic_uint                     rules_epoch;
	atomic_uint                     rules_readers[2]; /* by epoch */
} metrics;

/* Serialises metrics_rules_set() with itself and with rendering. */
static pthread_mutex_t metrics_rules_mu = PTHREAD_MUTEX_INITIALIZER;

/* Upper bounds of the latency buckets, in milliseconds. */
static const double metrics_latency_le_ms[MOD_METRICS_LATENCY_BUCKETS_COUNT]
    = { 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000 };

_Static_assert(PIPE_SRC_COUNT == 5, "metrics_source_names is out of date");
static const char *const metrics_source_names[PIPE_SRC_COUNT]
    = { "pull", "rep", "sub", "webhook", "stream" };

static const char *const metrics_reason_names[METRICS_REJ_COUNT]
    = { "malformed", "too_large", "unknown_event", "wrong_type",
	      "invalid_utf8", "bad_signature", "dropped_full", "other" };

static const char *const metrics_outcome_names[METRICS_PROP_COUNT]
    = { "new", "merged", "duplicate", "no_action" };

static const enum metrics_reason metrics_pipe_reasons[PIPE_REJ_COUNT] = {
	[PIPE_REJ_MALFORMED] = METRICS_REJ_MALFORMED,
	[PIPE_REJ_TOO_LARGE] = METRICS_REJ_TOO_LARGE,
	[PIPE_REJ_UNKNOWN_EVENT] = METRICS_REJ_UNKNOWN_EVENT,
	[PIPE_REJ_WRONG_TYPE] = METRICS_REJ_WRONG_TYPE,
	[PIPE_REJ_INVALID_UTF8] = METRICS_REJ_INVALID_UTF8,
	[PIPE_REJ_OTHER] = METRICS_REJ_OTHER,
};

static void
metrics_add(atomic_uint_fast64_t *slot, uint64_t n)
{
	atomic_fetch_add_explicit(slot, n, memory_order_relaxed);
}

static uint64_t
metrics_get(atomic_uint_fast64_t *slot)
{
	return atomic_load_explicit(slot, memory_order_relaxed);
}

static int64_t
metrics_gauge_get(enum metrics_gauge g)
{
	return atomic_load_explicit(&metrics.gauge[g], memory_order_relaxed);
}

void
metrics_inc(enum metrics_counter c)
{
	metrics_count(c, 1);
}

void
metrics_count(enum metrics_counter c, uint64_t n)
{
	if ((unsigned) c < METRICS_COUNTER_COUNT)
		metrics_add(&metrics.counter[c], n);
}

void
metrics_gauge_set(enum metrics_gauge g, int64_t v)
{
	if ((unsigned) g < METRICS_GAUGE_COUNT)
		atomic_store_explicit(
		    &metrics.gauge[g], v, memory_order_relaxed);
}

void
metrics_gauge_add(enum metrics_gauge g, int64_t delta)
{
	if ((unsigned) g < METRICS_GAUGE_COUNT)
		atomic_fetch_add_explicit(
		    &metrics.gauge[g], delta, memory_order_relaxed);
}

void
metrics_event_in(enum pipe_source src)
{
	if ((unsigned) src < PIPE_SRC_COUNT)
		metrics_add(&metrics.in[src], 1);
}

void
metrics_rejected(enum metrics_reason r)
{
	if ((unsigned) r >= METRICS_REJ_COUNT)
		r = METRICS_REJ_OTHER;
	metrics_add(&metrics.rejected[r], 1);
}

enum metrics_reason
metrics_reason_from_pipe(enum pipe_reject r)
{
	return (unsigned) r < PIPE_REJ_COUNT ? metrics_pipe_reasons[r]
	                                     : METRICS_REJ_OTHER;
}

void
metrics_proposal(enum metrics_outcome o)
{
	if ((unsigned) o < METRICS_PROP_COUNT)
		metrics_add(&metrics.proposals[o], 1);
}

void
metrics_observe_latency(double ms)
{
	size_t i;

	if (!(ms > 0)) /* also NaN */
		ms = 0;
	for (i = 0; i < MOD_METRICS_LATENCY_BUCKETS_COUNT; i++)
		if (ms <= metrics_latency_le_ms[i])
			break;
	metrics_add(&metrics.latency[i], 1);
	/* 2^64 us is half a million years: the sum cannot overflow. */
	metrics_add(&metrics.latency_sum_us,
	    ms > 1e15 ? (uint64_t) 1e18 : (uint64_t) llround(ms * 1000));
}

/* ---- rule families ---------------------------------------------------- */

static int
metrics_name_cmp(const void *a, const void *b)
{
	const struct metrics_rule_name *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static struct metrics_rules *
metrics_rules_new(const char *const *names, size_t n)
{
	struct metrics_rules *t = xcalloc(1, sizeof(*t));
	size_t                i;

	if (n > MOD_MAX_RULES_COUNT)
		n = MOD_MAX_RULES_COUNT;
	t->n = n;
	t->names = xcalloc(n ? n : 1, sizeof(*t->names));
	t->sorted = xcalloc(n ? n : 1, sizeof(*t->sorted));
	t->hits = xcalloc(n ? n : 1, sizeof(*t->hits));
	t->uneval = xcalloc(n ? n : 1, sizeof(*t->uneval));
	for (i = 0; i < n; i++) {
		t->names[i] = xstrndup(
		    names[i] ? names[i] : "", MOD_MAX_RULE_NAME_BYTES);
		t->sorted[i].name = t->names[i];
		t->sorted[i].index = i;
	}
	qsort(t->sorted, n, sizeof(*t->sorted), metrics_name_cmp);
	return t;
}

static void
metrics_rules_free(struct metrics_rules *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->sorted);
	free(t->hits);
	free(t->uneval);
	free(t);
}

/* The index of name in t, or t->n if it is not there. */
static size_t
metrics_rules_find(const struct metrics_rules *t, const char *name)
{
	struct metrics_rule_name key = { name, 0 }, *found;

	if (t == NULL || t->n == 0)
		return t == NULL ? 0 : t->n;
	found = bsearch(
	    &key, t->sorted, t->n, sizeof(*t->sorted), metrics_name_cmp);
	return found != NULL ? found->index : t->n;
}

/*
 * After a swap of the table pointer: flip the epoch, so that updaters
 * from now on count themselves in the other slot, and wait until those
 * of the old epoch, who may hold the old table, have left.  Updaters that
 * come later load the new table; none of them is waited for, so a stream
 * of updates cannot starve the writer.
 */
static void
metrics_rules_quiesce(void)
{
	unsigned e = atomic_load(&metrics.rules_epoch) & 1;

	atomic_store(&metrics.rules_epoch, e ^ 1);
	while (atomic_load(&metrics.rules_readers[e]) != 0)
		sched_yield();
}

/* Add the counts of old to the rules of t with the same name. */
static void
metrics_rules_carry(struct metrics_rules *t, struct metrics_rules *old)
{
	size_t i, j;

	for (i = 0; i < old->n; i++) {
		j = metrics_rules_find(t, old->names[i]);
		if (j == t->n)
			continue;
		metrics_add(&t->hits[j], metrics_get(&old->hits[i]));
		metrics_add(&t->uneval[j], metrics_get(&old->uneval[i]));
	}
}

void
metrics_rules_set(const char *const *names, size_t n)
{
	struct metrics_rules *t = metrics_rules_new(names, n), *old;

	pthread_mutex_lock(&metrics_rules_mu);
	old = atomic_exchange(&metrics.rules, t);
	metrics_rules_quiesce();
	if (old != NULL)
		metrics_rules_carry(t, old);
	pthread_mutex_unlock(&metrics_rules_mu);
	metrics_rules_free(old);
}

/* Count one hit (uneval false) or failure (true) of rule index or name. */
static void
metrics_rule_count(size_t index, const char *name, bool uneval)
{
	struct metrics_rules *t;
	unsigned              e = atomic_load(&metrics.rules_epoch) & 1;

	atomic_fetch_add(&metrics.rules_readers[e], 1);
	t = atomic_load(&metrics.rules);
	if (t != NULL && name != NULL)
		index = metrics_rules_find(t, name);
	if (t != NULL && index < t->n)
		metrics_add(uneval ? &t->uneval[index] : &t->hits[index], 1);
	atomic_fetch_sub(&metrics.rules_readers[e], 1);
}

void
metrics_rule_hit(size_t index)
{
	metrics_rule_count(index, NULL, false);
}

void
metrics_rule_unevaluated(size_t index)
{
	metrics_rule_count(index, NULL, true);
}

void
metrics_rule_hit_name(const char *name)
{
	if (name != NULL)
		metrics_rule_count(0, name, false);
}

void
metrics_rule_unevaluated_name(const char *name)
{
	if (name != NULL)
		metrics_rule_count(0, name, true);
}

/* ---- rendering -------------------------------------------------------- */

/* A label value with \, " and newline escaped, as the format requires. */
static int
metrics_escape(struct buf *out, const char *s)
{
	int rv = 0;

	for (; *s != '\0' && rv == 0; s++) {
		if (*s == '\\')
			rv = buf_appends(out, "\\\\");
		else if (*s == '"')
			rv = buf_appends(out, "\\\"");
		else if (*s == '\n')
			rv = buf_appends(out, "\\n");
		else
			rv = buf_appendc(out, *s);
	}
	return rv;
}

static int
metrics_head(
    struct buf *out, const char *name, const char *type, const char *help)
{
	return buf_printf(out,
	    "# HELP " METRICS_PREFIX "%s %s\n# TYPE " METRICS_PREFIX "%s %s\n",
	    name, help, name, type);
}

/* One sample `name{label="value"} v`. */
static int
metrics_labelled(struct buf *out, const char *name, const char *label,
    const char *value, uint64_t v)
{
	int rv;

	if ((rv = buf_printf(out, METRICS_PREFIX "%s{%s=\"", name, label)) != 0
	    || (rv = metrics_escape(out, value)) != 0)
		return rv;
	return buf_printf(out, "\"} %" PRIu64 "\n", v);
}

/* A counter family over a fixed label set. */
static int
metrics_family(struct buf *out, const char *name, const char *help,
    const char *label, const char *const *values, atomic_uint_fast64_t *v,
    size_t n)
{
	size_t i;
	int    rv = metrics_head(out, name, "counter", help);

	for (i = 0; i < n && rv == 0; i++)
		rv = metrics_labelled(
		    out, name, label, values[i], metrics_get(&v[i]));
	return rv;
}

static int
metrics_render_plain(struct buf *out)
{
	int rv;

	if ((rv = metrics_head(out, "queue_depth", "gauge",
	         "Proposals waiting for a moderator."))
	        != 0
	    || (rv = buf_printf(out,
	            METRICS_PREFIX "queue_depth %" PRId64 "\n",
	            metrics_gauge_get(METRICS_QUEUE_DEPTH)))
	        != 0
	    || (rv = metrics_head(out, "pipeline_queue", "gauge",
	            "Events received and not yet handled."))
	        != 0
	    || (rv = buf_printf(out,
	            METRICS_PREFIX "pipeline_queue %" PRId64 "\n",
	            metrics_gauge_get(METRICS_PIPELINE_QUEUE)))
	        != 0
	    || (rv = metrics_head(out, "db_errors_total", "counter",
	            "Failed database operations."))
	        != 0
	    || (rv = buf_printf(out,
	            METRICS_PREFIX "db_errors_total %" PRIu64 "\n",
	            metrics_get(&metrics.counter[METRICS_DB_ERRORS])))
	        != 0
	    || (rv = metrics_head(out, "db_reconnects_total", "counter",
	            "Reconnections to the database."))
	        != 0)
		return rv;
	return buf_printf(out,
	    METRICS_PREFIX "db_reconnects_total %" PRIu64 "\n",
	    metrics_get(&metrics.counter[METRICS_DB_RECONNECTS]));
}

/* Counters of the dispatcher (dispatch.c) and of housekeeping
 * (queue_prune() in the feed scheduler). */
static int
metrics_render_counters(struct buf *out)
{
	static const struct {
		enum metrics_counter c;
		const char          *name, *help;
	} tab[] = {
		{ METRICS_DISPATCH_APPLIED, "dispatch_applied_total",
		    "Decided items applied to Mastodon (or recorded)." },
		{ METRICS_DISPATCH_FAILED, "dispatch_failed_total",
		    "Dispatches that failed for good." },
		{ METRICS_DISPATCH_RETRIES, "dispatch_retries_total",
		    "Dispatch attempts that will be retried." },
		{ METRICS_PRUNED_DEAD_LETTERS, "pruned_dead_letters_total",
		    "Dead letters deleted after dead_letter_retention." },
		{ METRICS_PRUNED_DEDUP_KEYS, "pruned_dedup_keys_total",
		    "Dedup keys deleted after dedup_retention." },
	};
	size_t i;
	int    rv = 0;

	for (i = 0; i < nitems(tab) && rv == 0; i++)
		if ((rv = metrics_head(
		         out, tab[i].name, "counter", tab[i].help))
		    == 0)
			rv = buf_printf(out, METRICS_PREFIX "%s %" PRIu64 "\n",
			    tab[i].name,
			    metrics_get(&metrics.counter[tab[i].c]));
	return rv;
}

static int
metrics_render_latency(struct buf *out)
{
	uint64_t cum = 0;
	size_t   i;
	int      rv = metrics_head(out, "event_latency_seconds", "histogram",
	         "Time from receipt of an event to its commit.");

	for (i = 0; i < MOD_METRICS_LATENCY_BUCKETS_COUNT && rv == 0; i++) {
		cum += metrics_get(&metrics.latency[i]);
		rv = buf_printf(out,
		    METRICS_PREFIX "event_latency_seconds_bucket{le=\"%g\"} "
		                   "%" PRIu64 "\n",
		    metrics_latency_le_ms[i] / 1000, cum);
	}
	cum += metrics_get(&metrics.latency[i]);
	if (rv == 0)
		rv = buf_printf(out,
		    METRICS_PREFIX
		    "event_latency_seconds_bucket{le=\"+Inf\"} "
		    "%" PRIu64 "\n" METRICS_PREFIX
		    "event_latency_seconds_sum %.6f\n" METRICS_PREFIX
		    "event_latency_seconds_count %" PRIu64 "\n",
		    cum, (double) metrics_get(&metrics.latency_sum_us) / 1e6,
		    cum);
	return rv;
}

/* Both rule families; the caller holds metrics_rules_mu. */
static int
metrics_render_rules(struct buf *out, struct metrics_rules *t)
{
	size_t n = t != NULL ? t->n : 0, i;
	int    rv = metrics_head(out, "rule_hits_total", "counter",
	       "Events each rule of the current ruleset hit.");

	for (i = 0; i < n && rv == 0; i++)
		rv = metrics_labelled(out, "rule_hits_total", "rule",
		    t->names[i], metrics_get(&t->hits[i]));
	if (rv == 0)
		rv = metrics_head(out, "rules_unevaluated_total", "counter",
		    "Events a rule could not evaluate (a regex limit hit).");
	for (i = 0; i < n && rv == 0; i++)
		rv = metrics_labelled(out, "rules_unevaluated_total", "rule",
		    t->names[i], metrics_get(&t->uneval[i]));
	return rv;
}

int
metrics_render(struct buf *out)
{
	int rv;

	if ((rv = metrics_family(out, "events_in_total",
	         "Events received, by intake kind.", "source",
	         metrics_source_names, metrics.in, PIPE_SRC_COUNT))
	        != 0
	    || (rv = metrics_family(out, "events_rejected_total",
	            "Events rejected, by reason.", "reason",
	            metrics_reason_names, metrics.rejected, METRICS_REJ_COUNT))
	        != 0
	    || (rv = metrics_family(out, "proposals_total",
	            "Handled events, by what they did to the queue.",
	            "outcome", metrics_outcome_names, metrics.proposals,
	            METRICS_PROP_COUNT))
	        != 0
	    || (rv = metrics_render_plain(out)) != 0
	    || (rv = metrics_render_counters(out)) != 0
	    || (rv = metrics_render_latency(out)) != 0)
		return rv;
	pthread_mutex_lock(&metrics_rules_mu);
	rv = metrics_render_rules(out, atomic_load(&metrics.rules));
	pthread_mutex_unlock(&metrics_rules_mu);
	return rv;
}

int
metrics_lookup(const char *sample, double *value)
{
	struct buf  b;
	const char *p;
	size_t      n = strlen(sample);
	int         rv;

	buf_init(&b, MOD_MAX_METRICS_BYTES);
	if ((rv = metrics_render(&b)) != 0)
		goto out;
	rv = MOD_ENOENT;
	for (p = buf_cstr(&b); p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, sample, n) == 0 && p[n] == ' ') {
			*value = strtod(p + n + 1, NULL);
			rv = 0;
			break;
		}
	}
out:
	buf_free(&b);
	return rv;
}

void
metrics_reset(void)
{
	struct metrics_rules *old;
	size_t                i;

	for (i = 0; i < METRICS_COUNTER_COUNT; i++)
		atomic_store(&metrics.counter[i], 0);
	for (i = 0; i < METRICS_GAUGE_COUNT; i++)
		atomic_store(&metrics.gauge[i], 0);
	for (i = 0; i < PIPE_SRC_COUNT; i++)
		atomic_store(&metrics.in[i], 0);
	for (i = 0; i < METRICS_REJ_COUNT; i++)
		atomic_store(&metrics.rejected[i], 0);
	for (i = 0; i < METRICS_PROP_COUNT; i++)
		atomic_store(&metrics.proposals[i], 0);
	for (i = 0; i <= MOD_METRICS_LATENCY_BUCKETS_COUNT; i++)
		atomic_store(&metrics.latency[i], 0);
	atomic_store(&metrics.latency_sum_us, 0);
	pthread_mutex_lock(&metrics_rules_mu);
	old = atomic_exchange(&metrics.rules, NULL);
	metrics_rules_quiesce();
	pthread_mutex_unlock(&metrics_rules_mu);
	metrics_rules_free(old);
}
