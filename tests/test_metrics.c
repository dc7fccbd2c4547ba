/*
 * test_metrics.c - the metrics table and its Prometheus text rendering:
 * the exact page, every family and label, escaping, the histogram, rule
 * label sets across reloads, the cap, and exact counts under concurrent
 * updates, reloads and scrapes.
 */
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static int
test_reset(void **state)
{
	(void) state;
	metrics_reset();
	return 0;
}

static double
test_value(const char *sample)
{
	double v = -1;

	if (metrics_lookup(sample, &v) != 0)
		fail_msg("no sample %s", sample);
	return v;
}

static char *
test_render(void)
{
	struct buf b;

	buf_init(&b, MOD_MAX_METRICS_BYTES);
	assert_int_equal(metrics_render(&b), 0);
	return buf_steal(&b);
}

/* The whole page of a fresh table, byte for byte. */
static void
test_render_empty(void **state)
{
	static const char want[]
	    = "# HELP moderd_events_in_total Events received, by intake "
	      "kind.\n"
	      "# TYPE moderd_events_in_total counter\n"
	      "moderd_events_in_total{source=\"pull\"} 0\n"
	      "moderd_events_in_total{source=\"rep\"} 0\n"
	      "moderd_events_in_total{source=\"sub\"} 0\n"
	      "moderd_events_in_total{source=\"webhook\"} 0\n"
	      "moderd_events_in_total{source=\"stream\"} 0\n"
	      "# HELP moderd_events_rejected_total Events rejected, by "
	      "reason.\n"
	      "# TYPE moderd_events_rejected_total counter\n"
	      "moderd_events_rejected_total{reason=\"malformed\"} 0\n"
	      "moderd_events_rejected_total{reason=\"too_large\"} 0\n"
	      "moderd_events_rejected_total{reason=\"unknown_event\"} 0\n"
	      "moderd_events_rejected_total{reason=\"wrong_type\"} 0\n"
	      "moderd_events_rejected_total{reason=\"invalid_utf8\"} 0\n"
	      "moderd_events_rejected_total{reason=\"bad_signature\"} 0\n"
	      "moderd_events_rejected_total{reason=\"dropped_full\"} 0\n"
	      "moderd_events_rejected_total{reason=\"other\"} 0\n"
	      "# HELP moderd_proposals_total Handled events, by what they did "
	      "to the queue.\n"
	      "# TYPE moderd_proposals_total counter\n"
	      "moderd_proposals_total{outcome=\"new\"} 0\n"
	      "moderd_proposals_total{outcome=\"merged\"} 0\n"
	      "moderd_proposals_total{outcome=\"duplicate\"} 0\n"
	      "moderd_proposals_total{outcome=\"no_action\"} 0\n"
	      "# HELP moderd_queue_depth Proposals waiting for a moderator.\n"
	      "# TYPE moderd_queue_depth gauge\n"
	      "moderd_queue_depth 0\n"
	      "# HELP moderd_pipeline_queue Events received and not yet "
	      "handled.\n"
	      "# TYPE moderd_pipeline_queue gauge\n"
	      "moderd_pipeline_queue 0\n"
	      "# HELP moderd_db_errors_total Failed database operations.\n"
	      "# TYPE moderd_db_errors_total counter\n"
	      "moderd_db_errors_total 0\n"
	      "# HELP moderd_db_reconnects_total Reconnections to the "
	      "database.\n"
	      "# TYPE moderd_db_reconnects_total counter\n"
	      "moderd_db_reconnects_total 0\n"
	      "# HELP moderd_dispatch_applied_total Decided items applied to "
	      "Mastodon (or recorded).\n"
	      "# TYPE moderd_dispatch_applied_total counter\n"
	      "moderd_dispatch_applied_total 0\n"
	      "# HELP moderd_dispatch_failed_total Dispatches that failed for "
	      "good.\n"
	      "# TYPE moderd_dispatch_failed_total counter\n"
	      "moderd_dispatch_failed_total 0\n"
	      "# HELP moderd_dispatch_retries_total Dispatch attempts that "
	      "will be retried.\n"
	      "# TYPE moderd_dispatch_retries_total counter\n"
	      "moderd_dispatch_retries_total 0\n"
	      "# HELP moderd_pruned_dead_letters_total Dead letters deleted "
	      "after dead_letter_retention.\n"
	      "# TYPE moderd_pruned_dead_letters_total counter\n"
	      "moderd_pruned_dead_letters_total 0\n"
	      "# HELP moderd_pruned_dedup_keys_total Dedup keys deleted after "
	      "dedup_retention.\n"
	      "# TYPE moderd_pruned_dedup_keys_total counter\n"
	      "moderd_pruned_dedup_keys_total 0\n"
	      "# HELP moderd_event_latency_seconds Time from receipt of an "
	      "event to its commit.\n"
	      "# TYPE moderd_event_latency_seconds histogram\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.001\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.0025\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.005\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.01\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.025\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.05\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.1\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.25\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"0.5\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"1\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"2.5\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"5\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"10\"} 0\n"
	      "moderd_event_latency_seconds_bucket{le=\"+Inf\"} 0\n"
	      "moderd_event_latency_seconds_sum 0.000000\n"
	      "moderd_event_latency_seconds_count 0\n"
	      "# HELP moderd_rule_hits_total Events each rule of the current "
	      "ruleset hit.\n"
	      "# TYPE moderd_rule_hits_total counter\n"
	      "# HELP moderd_rules_unevaluated_total Events a rule could not "
	      "evaluate (a regex limit hit).\n"
	      "# TYPE moderd_rules_unevaluated_total counter\n";
	char *got;

	(void) state;
	got = test_render();
	assert_string_equal(got, want);
	free(got);
}

/* Each update function moves exactly its own sample. */
static void
test_updates(void **state)
{
	(void) state;
	metrics_event_in(PIPE_SRC_WEBHOOK);
	metrics_event_in(PIPE_SRC_WEBHOOK);
	metrics_event_in(PIPE_SRC_STREAM);
	metrics_event_in(PIPE_SRC_COUNT); /* ignored */
	metrics_rejected(METRICS_REJ_BAD_SIGNATURE);
	metrics_rejected(METRICS_REJ_DROPPED_FULL);
	metrics_rejected(METRICS_REJ_DROPPED_FULL);
	metrics_rejected(METRICS_REJ_COUNT); /* counted as other */
	metrics_proposal(METRICS_PROP_MERGED);
	metrics_proposal(METRICS_PROP_NO_ACTION);
	metrics_proposal(METRICS_PROP_NO_ACTION);
	metrics_proposal(METRICS_PROP_NO_ACTION);
	metrics_inc(METRICS_DB_ERRORS);
	metrics_inc(METRICS_DB_RECONNECTS);
	metrics_inc(METRICS_DB_RECONNECTS);
	metrics_gauge_set(METRICS_QUEUE_DEPTH, 42);
	metrics_gauge_add(METRICS_QUEUE_DEPTH, -2);
	metrics_gauge_add(METRICS_PIPELINE_QUEUE, -3);

	assert_true(
	    test_value("moderd_events_in_total{source=\"webhook\"}") == 2);
	assert_true(
	    test_value("moderd_events_in_total{source=\"stream\"}") == 1);
	assert_true(
	    test_value("moderd_events_in_total{source=\"pull\"}") == 0);
	assert_true(
	    test_value(
	        "moderd_events_rejected_total{reason=\"bad_signature\"}")
	    == 1);
	assert_true(
	    test_value("moderd_events_rejected_total{reason=\"dropped_full\"}")
	    == 2);
	assert_true(
	    test_value("moderd_events_rejected_total{reason=\"other\"}") == 1);
	assert_true(
	    test_value("moderd_proposals_total{outcome=\"merged\"}") == 1);
	assert_true(
	    test_value("moderd_proposals_total{outcome=\"no_action\"}") == 3);
	assert_true(
	    test_value("moderd_proposals_total{outcome=\"new\"}") == 0);
	assert_true(test_value("moderd_db_errors_total") == 1);
	assert_true(test_value("moderd_db_reconnects_total") == 2);
	assert_true(test_value("moderd_queue_depth") == 40);
	assert_true(test_value("moderd_pipeline_queue") == -3);
}

/* Pipeline rejection kinds map onto the reason labels one to one. */
static void
test_reason_from_pipe(void **state)
{
	static const struct {
		enum pipe_reject    in;
		enum metrics_reason want;
	} cases[] = {
		{ PIPE_REJ_MALFORMED, METRICS_REJ_MALFORMED },
		{ PIPE_REJ_TOO_LARGE, METRICS_REJ_TOO_LARGE },
		{ PIPE_REJ_UNKNOWN_EVENT, METRICS_REJ_UNKNOWN_EVENT },
		{ PIPE_REJ_WRONG_TYPE, METRICS_REJ_WRONG_TYPE },
		{ PIPE_REJ_INVALID_UTF8, METRICS_REJ_INVALID_UTF8 },
		{ PIPE_REJ_OTHER, METRICS_REJ_OTHER },
		{ PIPE_REJ_COUNT, METRICS_REJ_OTHER },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
		    metrics_reason_from_pipe(cases[i].in), cases[i].want);
}

static void
test_latency_histogram(void **state)
{
	static const double obs[] = { 0.5, 1, 3, 100, 20000, -5, NAN };
	static const struct {
		const char *le;
		double      want;
	} buckets[] = {
		{ "0.001", 4 }, /* 0.5, 1, and -5 and NaN as 0 */
		{ "0.0025", 4 },
		{ "0.005", 5 },
		{ "0.05", 5 },
		{ "0.1", 6 },
		{ "10", 6 },
		{ "+Inf", 7 },
	};
	char   sample[128];
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		metrics_observe_latency(obs[i]);
	for (i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++) {
		snprintf(sample, sizeof(sample),
		    "moderd_event_latency_seconds_bucket{le=\"%s\"}",
		    buckets[i].le);
		assert_true(test_value(sample) == buckets[i].want);
	}
	assert_true(test_value("moderd_event_latency_seconds_count") == 7);
	assert_true(
	    fabs(test_value("moderd_event_latency_seconds_sum") - 20.1045)
	    < 1e-9);
}

/* Label values escape backslash, double quote and newline. */
static void
test_label_escaping(void **state)
{
	static const char *const names[] = { "A\"B", "C\\D", "E\nF", "OK" };
	char                    *page;

	(void) state;
	metrics_rules_set(names, 4);
	metrics_rule_hit(0);
	metrics_rule_hit(2);
	metrics_rule_hit(2);
	metrics_rule_unevaluated(1);
	page = test_render();
	assert_non_null(
	    strstr(page, "\nmoderd_rule_hits_total{rule=\"A\\\"B\"} 1\n"));
	assert_non_null(
	    strstr(page, "\nmoderd_rule_hits_total{rule=\"C\\\\D\"} 0\n"));
	assert_non_null(
	    strstr(page, "\nmoderd_rule_hits_total{rule=\"E\\nF\"} 2\n"));
	assert_non_null(strstr(
	    page, "\nmoderd_rules_unevaluated_total{rule=\"C\\\\D\"} 1\n"));
	assert_null(strstr(page, "E\nF"));
	free(page);
}

/* A reload keeps the counts of rules that keep their name. */
static void
test_rules_reload(void **state)
{
	static const char *const v1[] = { "SPAM", "SCAM" };
	static const char *const v2[] = { "SCAM", "NEW", "SPAM" };
	static const char *const v3[] = { "NEW" };
	double                   v;

	(void) state;
	metrics_rule_hit(0); /* no rules yet: ignored */
	metrics_rules_set(v1, 2);
	metrics_rule_hit(0);
	metrics_rule_hit(0);
	metrics_rule_hit_name("SCAM");
	metrics_rule_unevaluated_name("SCAM");
	metrics_rule_hit(2); /* out of range: ignored */
	metrics_rule_hit_name("UNKNOWN"); /* ignored */
	metrics_rules_set(v2, 3);
	assert_true(test_value("moderd_rule_hits_total{rule=\"SPAM\"}") == 2);
	assert_true(test_value("moderd_rule_hits_total{rule=\"SCAM\"}") == 1);
	assert_true(test_value("moderd_rule_hits_total{rule=\"NEW\"}") == 0);
	assert_true(
	    test_value("moderd_rules_unevaluated_total{rule=\"SCAM\"}") == 1);
	metrics_rule_hit(1); /* NEW, by the new order */
	metrics_rules_set(v3, 1);
	assert_true(test_value("moderd_rule_hits_total{rule=\"NEW\"}") == 1);
	assert_int_equal(
	    metrics_lookup("moderd_rule_hits_total{rule=\"SPAM\"}", &v),
	    MOD_ENOENT);
}

static void
test_render_cap(void **state)
{
	static const char *const names[] = { "R" };
	struct buf               b;

	(void) state;
	metrics_rules_set(names, 1);
	buf_init(&b, 100);
	assert_int_equal(metrics_render(&b), MOD_ETOOBIG);
	buf_free(&b);
}

/*
 * Every line is a HELP or TYPE comment of the family that follows, or a
 * sample `name{label="value"} number` of the last TYPE'd family.
 */
static void
test_format(void **state)
{
	static const char *const names[] = { "X\"Y", "Z" };
	regex_t                  sample, type;
	regmatch_t               m[3];
	char                    *page, *line, *save = NULL;
	char                     family[128] = "";

	(void) state;
	metrics_rules_set(names, 2);
	metrics_observe_latency(7);
	metrics_event_in(PIPE_SRC_PULL);
	assert_int_equal(
	    regcomp(&sample,
	        "^([a-z_]+)(\\{[a-z]+=\"([^\"\\\\\n]|\\\\[\"\\\\n])*\"\\})? "
	        "-?[0-9]+(\\.[0-9]+)?$",
	        REG_EXTENDED),
	    0);
	assert_int_equal(
	    regcomp(&type, "^# (HELP|TYPE) (moderd_[a-z_]+) [^\n]+$",
	        REG_EXTENDED),
	    0);
	page = test_render();
	for (line = strtok_r(page, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (regexec(&type, line, 3, m, 0) == 0) {
			snprintf(family, sizeof(family), "%.*s",
			    (int) (m[2].rm_eo - m[2].rm_so),
			    line + m[2].rm_so);
			continue;
		}
		if (regexec(&sample, line, 3, m, 0) != 0)
			fail_msg("bad line: %s", line);
		/* a sample belongs to the family just declared */
		assert_true(strncmp(line, family, strlen(family)) == 0);
	}
	regfree(&sample);
	regfree(&type);
	free(page);
}

#define TEST_THREADS 4
#define TEST_ROUNDS 50000

static atomic_int test_hammers_done;

static void *
test_hammer(void *arg)
{
	int i;

	(void) arg;
	for (i = 0; i < TEST_ROUNDS; i++) {
		metrics_inc(METRICS_DB_ERRORS);
		metrics_event_in(PIPE_SRC_SUB);
		metrics_rule_hit((size_t) i % 3);
		metrics_rule_hit_name("R1");
		metrics_observe_latency(2);
	}
	atomic_fetch_add(&test_hammers_done, 1);
	return NULL;
}

static void *
test_scrape(void *arg)
{
	atomic_int *stop = arg;
	char       *page;

	while (!atomic_load(stop)) {
		page = test_render();
		free(page);
	}
	return NULL;
}

/* Exact totals while rules are swapped and pages rendered meanwhile. */
static void
test_concurrency(void **state)
{
	static const char *const a[] = { "R0", "R1", "R2" };
	static const char *const b[] = { "R2", "R1", "R0" };
	pthread_t                t[TEST_THREADS], scraper;
	atomic_int               stop = 0;
	double                   hits;
	int                      i;

	(void) state;
	atomic_store(&test_hammers_done, 0);
	metrics_rules_set(a, 3);
	assert_int_equal(
	    pthread_create(&scraper, NULL, test_scrape, &stop), 0);
	for (i = 0; i < TEST_THREADS; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, test_hammer, NULL), 0);
	/* Swap the rule tables for as long as the updaters run, and at
	 * least 64 times: whether the swaps overlap the updates depends on
	 * the scheduler, which a test must not assert (it made the ASan run
	 * flaky on a loaded machine); the totals below must hold either way.
	 */
	for (i = 0; atomic_load(&test_hammers_done) < TEST_THREADS || i < 64;
	     i++)
		metrics_rules_set(i % 2 ? a : b, 3);
	for (i = 0; i < TEST_THREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(scraper, NULL);
	hits = test_value("moderd_rule_hits_total{rule=\"R0\"}")
	    + test_value("moderd_rule_hits_total{rule=\"R1\"}")
	    + test_value("moderd_rule_hits_total{rule=\"R2\"}");
	assert_true(hits == 2.0 * TEST_THREADS * TEST_ROUNDS);
	/* R1 is index 1 in both orders: every hit on it is exact */
	assert_true(test_value("moderd_rule_hits_total{rule=\"R1\"}")
	    == TEST_THREADS * (TEST_ROUNDS + (TEST_ROUNDS + 1) / 3));
	assert_true(test_value("moderd_db_errors_total")
	    == TEST_THREADS * TEST_ROUNDS);
	assert_true(test_value("moderd_events_in_total{source=\"sub\"}")
	    == TEST_THREADS * TEST_ROUNDS);
	assert_true(test_value("moderd_event_latency_seconds_count")
	    == TEST_THREADS * TEST_ROUNDS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_render_empty, test_reset),
		cmocka_unit_test_setup(test_updates, test_reset),
		cmocka_unit_test_setup(test_reason_from_pipe, test_reset),
		cmocka_unit_test_setup(test_latency_histogram, test_reset),
		cmocka_unit_test_setup(test_label_escaping, test_reset),
		cmocka_unit_test_setup(test_rules_reload, test_reset),
		cmocka_unit_test_setup(test_render_cap, test_reset),
		cmocka_unit_test_setup(test_format, test_reset),
		cmocka_unit_test_setup(test_concurrency, test_reset),
	};
	int rv = cmocka_run_group_tests(tests, NULL, NULL);

	metrics_reset();
	return rv;
}
