/*
 * test_prefilter_equiv.c - verdicts are identical with and without the
 * Hyperscan prefilter (issue 2), on a realistic corpus.
 *
 * Generates, in-process with the benchmark generator, the first 3000
 * events of the bench corpus and the bench's 1000-rule set (same seeds as
 * tests/bench/run.sh), runs every event through rule_matcher_run() with
 * RULE_MATCH_NAIVE (every test via PCRE2) and without (prefilter plus
 * confirmation), and requires the two verdicts to be equal in every
 * field: hits and their order, scores, actions, evidence and the
 * unevaluated set.  `make bench` repeats the check over all 100000 events.
 *
 * Compiling 1000 rules into Hyperscan databases takes tens of seconds, far
 * more under ASan (its malloc), so the databases are cached in a per-user
 * directory ($MODERD_TEST_CACHE, else $TMPDIR/moderd-test-cache-UID): the
 * ASan run of `make check` reuses the plain run's compile.  The cache is
 * keyed by a hash of the database input, so it is never stale.
 *
 * It also checks that the corpus is a fair test: both exact and
 * prefiltered patterns exist, and a plausible share of events is proposed
 * for action (the spam), so the prefilter has real work to confirm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#define BENCH_GEN_NO_MAIN
#define BENCH_RULES_NO_MAIN
#include "bench/bench_gen.c"
#include "bench/bench_rules.c"

#define EQUIV_EVENTS 3000
#define EQUIV_RULES 1000
#define EQUIV_EVENT_SEED 20250301 /* as tests/bench/run.sh */
#define EQUIV_RULE_SEED 4242

struct equiv_state {
	char                dir[64];
	char                cache[MOD_MAX_PATH_BYTES];
	struct bench_corpus corpus;
	struct bench_views  views;
	struct ruleset     *rs;
};

static void
equiv_rmdir(const char *dir)
{
	char     path[MOD_MAX_PATH_BYTES];
	unsigned i;

	for (i = 0; i < BENCH_GEN_F_COUNT; i++) {
		(void) snprintf(path, sizeof(path), "%s/%s.rules", dir,
		    bench_gen_files[i]);
		(void) unlink(path);
	}
	(void) rmdir(dir);
}

/* The cache directory, or NULL to compile afresh. */
static const char *
equiv_cache_dir(char *out, size_t size)
{
	const char *env = getenv("MODERD_TEST_CACHE");
	const char *tmp = getenv("TMPDIR");
	struct stat sb;

	if (env != NULL && *env != '\0')
		return env;
	(void) snprintf(out, size, "%s/moderd-test-cache-%lu",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp",
	    (unsigned long) getuid());
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return NULL;
	if (lstat(out, &sb) != 0 || !S_ISDIR(sb.st_mode)
	    || sb.st_uid != getuid())
		return NULL;
	return out;
}

static int
equiv_setup(void **state)
{
	struct equiv_state *s = xcalloc(1, sizeof(*s));
	char               *buf = NULL;
	size_t              len = 0;
	FILE               *fp = open_memstream(&buf, &len);

	*state = s;
	if (fp == NULL
	    || bench_gen_events(fp, EQUIV_EVENTS, EQUIV_EVENT_SEED, NULL) != 0
	    || fclose(fp) != 0)
		return -1;
	bench_corpus_split(&s->corpus, buf, len);
	bench_views_build(&s->corpus, s->corpus.n, &s->views);
	(void) snprintf(s->dir, sizeof(s->dir), "/tmp/test_equiv.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	if (bench_gen_rules(s->dir, EQUIV_RULES, EQUIV_RULE_SEED) != 0)
		return -1;
	return bench_ruleset_load(
	           s->dir, equiv_cache_dir(s->cache, sizeof(s->cache)), &s->rs)
	        == 0
	    ? 0
	    : -1;
}

static int
equiv_teardown(void **state)
{
	struct equiv_state *s = *state;

	ruleset_unref(s->rs);
	bench_views_free(&s->views);
	bench_corpus_free(&s->corpus);
	if (s->dir[0] != '\0')
		equiv_rmdir(s->dir);
	free(s);
	return 0;
}

static void
test_corpus_complete(void **state)
{
	struct equiv_state *s = *state;

	assert_int_equal(s->corpus.n, EQUIV_EVENTS);
	assert_int_equal(s->views.bad, 0);
	assert_int_equal(s->views.n, EQUIV_EVENTS);
	assert_int_equal(ruleset_count(s->rs), EQUIV_RULES);
}

/* Both prefilter modes are exercised, so equality is not vacuous. */
static void
test_ruleset_mixes_modes(void **state)
{
	struct equiv_state *s = *state;
	size_t              pats, exact, pre, pcre;

	ruleset_stats(s->rs, &pats, &exact, &pre, &pcre);
	assert_true(pats >= EQUIV_RULES / 2);
	assert_true(exact > 0);
	assert_true(pre + pcre > 0);
	assert_int_equal(exact + pre + pcre, pats);
}

/* The comparison itself notices every kind of difference, so a zero
 * below means something. */
static void
test_diff_detects(void **state)
{
	struct rule_hit         ha[2], hb[2];
	struct rule_unevaluated ua[2] = {
		{ .rule = "A",
		    .target = RULE_T_TEXT,
		    .reason = "match limit" },
		{ .rule = "B", .target = RULE_T_BIO, .reason = "depth limit" },
	};
	struct rule_unevaluated ub[2] = { ua[1], ua[0] };
	struct rule_verdict     a = { .score = 4.5,
		    .action = RULE_A_FLAG,
		    .hits = ha,
		    .nhits = 2,
		    .uneval = ua,
		    .nuneval = 2 };
	struct rule_verdict     b = { .score = 4.5,
		    .action = RULE_A_FLAG,
		    .hits = hb,
		    .nhits = 2,
		    .uneval = ub,
		    .nuneval = 2 };

	(void) state;
	memset(ha, 0, sizeof(ha));
	ha[0].rule = "X";
	ha[0].group = "";
	ha[0].score = 1.5;
	ha[1] = ha[0];
	ha[1].rule = "Y";
	ha[1].score = 3.0;
	memcpy(hb, ha, sizeof(hb));
	assert_int_equal(bench_verdict_diff(&a, &b), 0); /* uneval as a set */
	hb[1].off = 7;
	assert_int_equal(bench_verdict_diff(&a, &b), BENCH_D_EVIDENCE);
	hb[1] = ha[1];
	hb[1].rule = "Z";
	assert_int_equal(bench_verdict_diff(&a, &b), BENCH_D_HITS);
	hb[1] = ha[1];
	b.score = 5.0;
	assert_int_equal(bench_verdict_diff(&a, &b), BENCH_D_SCORE);
	b.score = a.score;
	b.nhits = 1;
	assert_int_equal(bench_verdict_diff(&a, &b), BENCH_D_HITS);
	b.nhits = 2;
	ub[0].reason = "heap limit";
	assert_int_equal(bench_verdict_diff(&a, &b), BENCH_D_UNEVAL);
}

static void
test_verdicts_identical(void **state)
{
	struct equiv_state *s = *state;
	struct bench_equiv  e;

	assert_int_equal(bench_equivalence(s->rs, &s->views, &e), 0);
	assert_int_equal(e.events, EQUIV_EVENTS);
	assert_int_equal(e.d_hits, 0);
	assert_int_equal(e.d_score, 0);
	assert_int_equal(e.d_action, 0);
	assert_int_equal(e.d_evidence, 0);
	assert_int_equal(e.d_uneval, 0);
	assert_int_equal(e.mismatches, 0);
	/* the spam (about 5 %) is caught, ordinary posts mostly not */
	assert_true(e.proposals * 100 >= EQUIV_EVENTS * 2);
	assert_true(e.proposals * 100 <= EQUIV_EVENTS * 10);
	assert_true(e.hit_events >= e.proposals);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_complete),
		cmocka_unit_test(test_ruleset_mixes_modes),
		cmocka_unit_test(test_diff_detects),
		cmocka_unit_test(test_verdicts_identical),
	};

	return cmocka_run_group_tests(tests, equiv_setup, equiv_teardown);
}
