/*
 * test_rule_match.c - the matcher on hand-built fields: all/any/unless
 * semantics, unknown values, multi-valued targets, regex limits reported
 * as "could not evaluate" while other rules still run, identical verdicts
 * with and without the prefilter (exact, prefilter and PCRE2-only
 * patterns), the on-disk cache, excerpts and the score-to-action decision.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules.h"
#include "util.h"

/* Fields with one folded=raw string per target given. */
struct tf {
	struct rule_fields f;
	struct rule_str    s[RULE_T_COUNT][4];
};

static void
tf_init(struct tf *t)
{
	memset(t, 0, sizeof(*t));
	t->f.kind = RULE_K_STATUS_CREATED;
	t->f.visibility = RULE_VIS_PUBLIC;
	t->f.local = 1;
}

static void
tf_add(struct tf *t, enum rule_target tg, const char *s)
{
	size_t n = t->f.folded[tg].n;

	t->s[tg][n].s = s;
	t->s[tg][n].len = strlen(s);
	t->f.folded[tg].v = t->s[tg];
	t->f.raw[tg].v = t->s[tg];
	t->f.folded[tg].n = t->f.raw[tg].n = n + 1;
}

static void
tf_num(struct tf *t, enum rule_num n, int64_t v)
{
	t->f.num[n] = v;
	t->f.num_known |= 1u << n;
}

static struct ruleset *
load(const char *src, const char *cache, bool no_prefilter)
{
	struct mod_errlist  errs = { 0 };
	struct ruleset     *rs = NULL;
	struct ruleset_opts o
	    = { .cache_dir = cache, .no_prefilter = no_prefilter };

	if (ruleset_load_buffer("m.rules", src, strlen(src), &o, &rs, &errs)
	    != 0)
		mod_errlist_print(&errs, stderr);
	mod_errlist_free(&errs);
	assert_non_null(rs);
	return rs;
}

static bool
has_hit(const struct rule_verdict *v, const char *rule)
{
	size_t i;

	for (i = 0; i < v->nhits; i++)
		if (strcmp(v->hits[i].rule, rule) == 0)
			return true;
	return false;
}

/* Run both methods, assert they agree, return the prefiltered verdict's
 * hit list as "A,B," and the unevaluated list after a '|'. */
static void
run_both(struct rule_matcher *m, const struct rule_fields *f, char *out,
    size_t size)
{
	const struct rule_verdict *v;
	char                       a[1024] = "", b[1024] = "";
	char                      *dst[2] = { a, b };
	unsigned                   flags[2] = { 0, RULE_MATCH_NAIVE };
	size_t                     k, i;

	for (k = 0; k < 2; k++) {
		assert_int_equal(rule_matcher_run(m, f, flags[k], &v), 0);
		for (i = 0; i < v->nhits; i++) {
			strcat(dst[k], v->hits[i].rule);
			strcat(dst[k], ",");
		}
		strcat(dst[k], "|");
		for (i = 0; i < v->nuneval; i++) {
			strcat(dst[k], v->uneval[i].rule);
			strcat(dst[k], ",");
		}
	}
	assert_string_equal(a, b);
	mod_strlcpy(out, a, size);
}

static const char semantics_rules[]
    = "rule ALL_OF {\n match text /spam/\n match url /\\.xyz$/\n score 1\n}\n"
      "rule VETOED {\n match text /spam/\n unless followers > 100\n"
      " score 1\n}\n"
      "rule YOUNG {\n when account_age < 7d\n score 1\n}\n"
      "rule OLD_VETO {\n match text /spam/\n unless account_age > 30d\n"
      " score 1\n}\n"
      "rule ANY_URL {\n match url /evil/\n score 1\n}\n"
      "rule VIS {\n when visibility direct,private\n match text /spam/\n"
      " score 1\n}\n"
      "rule REMOTE {\n when remote\n match text /spam/\n score 1\n}\n"
      "rule REPORT_ONLY {\n when kind report\n match text /spam/\n"
      " score 1\n}\n"
      "rule BACKREF {\n match text /(\\w)\\1{3}/\n score 1\n}\n"
      "rule LOOKAHEAD {\n match text /spam(?!free)/\n score 1\n}\n"
      "rule EMPTYABLE {\n match text /x*/\n when links == 0\n score 1\n}\n";

static void
test_semantics(void **state)
{
	struct ruleset      *rs = load(semantics_rules, NULL, false);
	struct rule_matcher *m = NULL;
	struct tf            t;
	char                 got[1024];

	(void) state;
	assert_int_equal(rule_matcher_new(rs, &m), 0);
	tf_init(&t);
	tf_add(&t, RULE_T_TEXT, "buy spam now");
	tf_add(&t, RULE_T_URL, "https://a.example/ok");
	tf_add(&t, RULE_T_URL, "https://b.evil.xyz");
	run_both(m, &t.f, got, sizeof(got));
	/* Unknown followers/account_age: no veto, no YOUNG; links unknown. */
	assert_string_equal(got, "ALL_OF,VETOED,OLD_VETO,ANY_URL,LOOKAHEAD,|");

	tf_num(&t, RULE_N_FOLLOWERS, 500);
	tf_num(&t, RULE_N_ACCOUNT_AGE, 3 * 86400);
	tf_num(&t, RULE_N_LINKS, 0);
	t.f.visibility = RULE_VIS_DIRECT;
	t.f.local = 0;
	t.f.kind = RULE_K_REPORT_UPDATED;
	t.s[RULE_T_TEXT][0].s = "spamfree aaaa";
	t.s[RULE_T_TEXT][0].len = strlen("spamfree aaaa");
	run_both(m, &t.f, got, sizeof(got));
	assert_string_equal(got,
	    "ALL_OF,YOUNG,OLD_VETO,ANY_URL,VIS,REMOTE,REPORT_ONLY,BACKREF,"
	    "EMPTYABLE,|");
	rule_matcher_free(m);
	ruleset_unref(rs);
}

/*
 * A catastrophic pattern is "could not evaluate"; others still run.  In
 * prefiltered mode a pattern Hyperscan evaluates exactly, like (a+)+$, is
 * decided in linear time and never reaches PCRE2; one with a lookahead
 * is only prefiltered, so PCRE2 runs into its limit in both modes.
 */
static void
test_limit_is_unevaluated(void **state)
{
	static const char src[]
	    = "rule LOOKAHEAD_BOMB {\n match text /(a+)+(?=b)/\n score 5\n}\n"
	      "rule NESTED {\n match text /(a+)+$/\n score 5\n}\n"
	      "rule PLAIN {\n match text /aaa/\n score 1\n}\n";
	struct ruleset            *rs = load(src, NULL, false);
	struct rule_matcher       *m = NULL;
	const struct rule_verdict *v;
	struct tf                  t;
	char                      *s = xmalloc(MOD_MAX_TEXT_BYTES + 1);

	(void) state;
	memset(s, 'a', MOD_MAX_TEXT_BYTES - 1);
	s[MOD_MAX_TEXT_BYTES - 1] = '!';
	s[MOD_MAX_TEXT_BYTES] = '\0';
	tf_init(&t);
	tf_add(&t, RULE_T_TEXT, s);
	assert_int_equal(rule_matcher_new(rs, &m), 0);
	assert_int_equal(rule_matcher_run(m, &t.f, RULE_MATCH_NAIVE, &v), 0);
	assert_int_equal(v->nhits, 1);
	assert_string_equal(v->hits[0].rule, "PLAIN");
	assert_int_equal(v->nuneval, 2);
	assert_string_equal(v->uneval[0].rule, "LOOKAHEAD_BOMB");
	assert_string_equal(v->uneval[0].reason, "match limit");
	assert_int_equal(v->uneval[0].target, RULE_T_TEXT);
	assert_string_equal(v->uneval[1].rule, "NESTED");
	assert_true(v->score == 1.0);
	assert_int_equal(rule_matcher_run(m, &t.f, 0, &v), 0);
	assert_int_equal(v->nhits, 1);
	assert_string_equal(v->hits[0].rule, "PLAIN");
	assert_int_equal(v->nuneval, 1);
	assert_string_equal(v->uneval[0].rule, "LOOKAHEAD_BOMB");
	assert_string_equal(v->uneval[0].reason, "match limit");
	rule_matcher_free(m);
	ruleset_unref(rs);
	free(s);
}

static void
test_excerpt_and_decide(void **state)
{
	static const char          src[] = "rule GIVEAWAY {\n group spam\n"
	                                   " match text /free\\s+btc/\n score 4\n}\n"
	                                   "rule SUSPEND_ME {\n match hashtag "
	                                   "/^csam$/\n action suspend\n}\n";
	struct ruleset            *rs = load(src, NULL, false);
	struct rule_matcher       *m = NULL;
	const struct rule_verdict *v;
	struct rule_thresholds     th;
	struct tf                  t;

	(void) state;
	rule_thresholds_default(&th);
	tf_init(&t);
	tf_add(&t, RULE_T_TEXT, "hello, free  btc here");
	assert_int_equal(rule_matcher_new(rs, &m), 0);
	assert_int_equal(rule_matcher_run(m, &t.f, 0, &v), 0);
	assert_int_equal(v->nhits, 1);
	assert_string_equal(v->hits[0].excerpt, "free  btc");
	assert_int_equal(v->hits[0].off, 7);
	assert_int_equal(v->hits[0].len, 9);
	assert_string_equal(v->hits[0].group, "spam");
	assert_int_equal(rule_decide(&th, v), RULE_A_FLAG);
	th.min[RULE_A_FLAG] = 5;
	assert_int_equal(rule_decide(&th, v), RULE_A_NONE);
	tf_add(&t, RULE_T_HASHTAG, "csam");
	assert_int_equal(rule_matcher_run(m, &t.f, 0, &v), 0);
	assert_int_equal(rule_decide(&th, v), RULE_A_SUSPEND);
	assert_true(has_hit(v, "SUSPEND_ME") && has_hit(v, "GIVEAWAY"));
	rule_matcher_free(m);
	ruleset_unref(rs);
}

/* Excerpts are capped on a UTF-8 boundary. */
static void
test_excerpt_cap(void **state)
{
	struct ruleset *rs = load(
	    "rule LONG {\n match text /é+/\n score 1\n}\n", NULL, false);
	struct rule_matcher       *m = NULL;
	const struct rule_verdict *v;
	struct tf                  t;
	char                       s[1001];
	size_t                     i;

	(void) state;
	for (i = 0; i + 2 <= 1000; i += 2)
		memcpy(s + i, "é", 2);
	s[i] = '\0';
	tf_init(&t);
	tf_add(&t, RULE_T_TEXT, s);
	assert_int_equal(rule_matcher_new(rs, &m), 0);
	assert_int_equal(rule_matcher_run(m, &t.f, 0, &v), 0);
	assert_int_equal(v->nhits, 1);
	assert_true(strlen(v->hits[0].excerpt) <= MOD_MAX_EXCERPT_BYTES);
	assert_int_equal(strlen(v->hits[0].excerpt) % 2, 0);
	rule_matcher_free(m);
	ruleset_unref(rs);
}

/* Invalid UTF-8 in the fields (a contract breach) is survived: the
 * prefilter is skipped for that target and PCRE2 decides. */
static void
test_invalid_utf8_subject(void **state)
{
	struct ruleset *rs
	    = load("rule X {\n match text /abc/\n score 1\n}\n", NULL, false);
	struct rule_matcher *m = NULL;
	struct tf            t;
	char                 got[256];

	(void) state;
	tf_init(&t);
	tf_add(&t, RULE_T_TEXT, "\xff\xfe abc \xc0");
	assert_int_equal(rule_matcher_new(rs, &m), 0);
	run_both(m, &t.f, got, sizeof(got));
	assert_string_equal(got, "X,|");
	rule_matcher_free(m);
	ruleset_unref(rs);
}

/* The second load of the same rules comes from the cache and behaves
 * the same; a damaged cache file is ignored. */
static void
test_cache(void **state)
{
	char                 dir[] = "/tmp/moderd-test-cache-XXXXXX", cmd[128];
	struct ruleset      *a, *b;
	struct rule_matcher *m = NULL;
	struct tf            t;
	char                 got[1024];

	(void) state;
	assert_non_null(mkdtemp(dir));
	a = load(semantics_rules, dir, false);
	assert_false(ruleset_cache_hit(a));
	b = load(semantics_rules, dir, false);
	assert_true(ruleset_cache_hit(b));
	tf_init(&t);
	tf_add(&t, RULE_T_TEXT, "buy spam now");
	tf_add(&t, RULE_T_URL, "https://b.evil.xyz");
	assert_int_equal(rule_matcher_new(b, &m), 0);
	run_both(m, &t.f, got, sizeof(got));
	assert_string_equal(got, "ALL_OF,VETOED,OLD_VETO,ANY_URL,LOOKAHEAD,|");
	rule_matcher_free(m);
	ruleset_unref(b);
	snprintf(cmd, sizeof(cmd), "truncate -s 100 %s/hs-*.db", dir);
	assert_int_equal(system(cmd), 0);
	b = load(semantics_rules, dir, false);
	assert_false(ruleset_cache_hit(b));
	ruleset_unref(b);
	ruleset_unref(a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Without the prefilter every pattern is PCRE2-only. */
static void
test_stats(void **state)
{
	struct ruleset *a = load(semantics_rules, NULL, false);
	struct ruleset *b = load(semantics_rules, NULL, true);
	size_t          n, ex, pre, pc;

	(void) state;
	ruleset_stats(a, &n, &ex, &pre, &pc);
	assert_int_equal(n, 11);
	assert_true(ex >= 8);
	assert_true(pre >= 1); /* the backreference */
	assert_true(pc >= 1); /* x* can match empty */
	ruleset_stats(b, &n, &ex, &pre, &pc);
	assert_int_equal(pc, 11);
	ruleset_unref(a);
	ruleset_unref(b);
}

/*
 * Guards (rule_guard.c) skip PCRE2 for backreference detectors only when
 * they cannot match.  Each subject is checked against the expected hits
 * and against the naive method, which has no guards: caseless runs,
 * non-ASCII runs, words split by Unicode punctuation (separators in
 * PCRE2's \w too), non-ASCII letters in words (undecided: PCRE2 runs),
 * a repeat that is only a prefix of the last word, and a run inside the
 * second element of a multi-valued field.
 */
static const char guard_rules[]
    = "rule FLOOD {\n match text /(\\w)\\1{7,}/i\n score 1\n}\n"
      "rule FLOOD_DOT {\n match text /(.)\\1{3,5}/\n score 1\n}\n"
      "rule WORD4 {\n match text /\\b(\\w{3,})\\W+\\1\\W+\\1\\W+\\1\\b/i\n"
      " score 1\n}\n"
      "rule WORD3 {\n match text /\\b(\\w+)\\s+\\1\\s+\\1\\b/\n score 1\n}\n"
      "rule PREFIX {\n match text /\\b(\\w+)\\s+\\1\\s+\\1/\n score 1\n}\n"
      "rule TAG {\n match hashtag /(\\w)\\1{7,}/\n score 1\n}\n";

struct guard_case {
	const char *text;
	const char *hashtag2; /* second hashtag, or NULL */
	const char *want;
};

static const struct guard_case guard_cases[] = {
	{ "plain text here", NULL, "|" },
	{ "aaaaaaa", NULL, "FLOOD_DOT,|" },
	{ "aaaaaaaa", NULL, "FLOOD,FLOOD_DOT,|" },
	{ "aAaAaAaA", NULL, "FLOOD,|" },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    NULL, "FLOOD,FLOOD_DOT,|" },
	{ "\xc3\x89\xc3\xa9\xc3\x89\xc3\xa9\xc3\x89\xc3\xa9\xc3\x89\xc3\xa9",
	    NULL, "FLOOD,|" },
	{ "!!!!", NULL, "FLOOD_DOT,|" },
	{ "spam\xe2\x80\x94spam\xe2\x80\x94spam\xe2\x80\x94spam", NULL,
	    "WORD4,|" },
	{ "Spam, SPAM! spam; spam", NULL, "WORD4,|" },
	{ "spam spam spam", NULL, "WORD3,PREFIX,|" },
	{ "spam spam spamx", NULL, "PREFIX,|" },
	{ "spam spam eggs spam", NULL, "|" },
	{ "little little update", NULL, "|" },
	{ "\xc3\x89T\xc3\x89 \xc3\xa9t\xc3\xa9 \xc3\x89t\xc3\x89 "
	  "\xc3\xa9t\xc3\xa9",
	    NULL, "WORD4,|" },
	{ "\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9x", NULL,
	    "PREFIX,|" },
	{ "\xe6\x97\xa5\xe6\x9c\xac \xe6\x97\xa5\xe6\x9c\xac "
	  "\xe6\x97\xa5\xe6\x9c\xac",
	    NULL, "WORD3,PREFIX,|" },
	{ "cafe\xcc\x81 cafe\xcc\x81 cafe\xcc\x81 x", NULL, "|" },
	{ "a a a a a a a a a a", NULL, "WORD3,PREFIX,|" },
	{ "xyz xyz xyz xyz xyz xyz xyz xyz xyz xyz", NULL,
	    "WORD4,WORD3,PREFIX,|" },
	{ "caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9", NULL,
	    "WORD4,WORD3,PREFIX,|" },
	{ "\xd0\xb4\xd0\xb0 \xd0\xb4\xd0\xb0 \xd0\xb4\xd0\xb0", NULL,
	    "WORD3,PREFIX,|" },
	{ "go \xf0\x9f\x9a\x80 go \xf0\x9f\x9a\x80 go", NULL, "|" },
	{ "x", "zzzzzzzz", "TAG,|" },
};

static void
test_guards(void **state)
{
	struct ruleset      *rs = load(guard_rules, NULL, false);
	struct rule_matcher *m = NULL;
	struct tf            t;
	char                 got[1024];
	size_t               i, n, ex, pre, pc;

	(void) state;
	/* Guarded detectors skip Hyperscan: PCRE2 after the guard. */
	ruleset_stats(rs, &n, &ex, &pre, &pc);
	assert_int_equal(pc, 6);
	assert_int_equal(rule_matcher_new(rs, &m), 0);
	for (i = 0; i < nitems(guard_cases); i++) {
		tf_init(&t);
		tf_add(&t, RULE_T_TEXT, guard_cases[i].text);
		tf_add(&t, RULE_T_HASHTAG, "first");
		if (guard_cases[i].hashtag2 != NULL)
			tf_add(&t, RULE_T_HASHTAG, guard_cases[i].hashtag2);
		run_both(m, &t.f, got, sizeof(got));
		if (strcmp(got, guard_cases[i].want) != 0)
			fail_msg("case %zu: got %s, want %s", i, got,
			    guard_cases[i].want);
	}
	rule_matcher_free(m);
	ruleset_unref(rs);
}

/*
 * Backreferences to a literal group are rewritten for Hyperscan
 * (rule_hs.c): the rewritten pattern may be exact, and verdicts stay
 * those of PCRE2.  Groups that are nested, optional, alternations, under
 * an inline option or referenced before they close must not be rewritten
 * (not exact), and still match as PCRE2 says.  A subject starting with
 * '+' must hit, one starting with '-' must miss, with both methods.
 */
struct backref_case {
	const char *rule; /* the match line's regex, with flags */
	bool        exact;
	const char *subjects[4]; /* "+text" must hit, "-text" must miss */
};

static const struct backref_case backref_cases[] = {
	{ "/(free) \\1/", true, { "+free free", "-free fre", "-free Free" } },
	{ "/(free) \\1/i", true,
	    { "+Free FREE", "-free fred", "+fREE free" } },
	{ "/(free)\\1+/", true, { "+freefreefree", "-free" } },
	{ "/(caf\xc3\xa9) \\1/i", true,
	    { "+CAF\xc3\x89 caf\xc3\xa9", "-caf\xc3\xa9 cafe" } },
	{ "/((free)) \\1/", false, { "+free free", "-free x" } },
	{ "/(a|b)x\\1/", false, { "+axa", "+bxb", "-axb" } },
	{ "/(free)(?=.* \\1)/", false, { "+free and free", "-free and fre" } },
	{ "/(?i)(free) \\1/", false, { "+FREE free", "-free fre" } },
	{ "/(free)? x\\1/", false, { "+free xfree", "- xfree" } },
	{ "/\\1(free)/", false, { "-freefree" } },
	{ "/\\b(free)\\b.{0,10}\\b\\1\\b/", false,
	    { "+free and free", "-free and freedom", "-freefree",
	        "-free and much more free" } },
	{ "/\\bcat\\b/", false, { "+a cat", "-concatenate" } },
};

static void
backref_check(const struct backref_case *c)
{
	char                 src[256];
	struct ruleset      *rs;
	struct rule_matcher *m = NULL;
	struct tf            t;
	char                 got[1024];
	size_t               n, ex, pre, pc, i;

	snprintf(src, sizeof(src), "rule R {\n match text %s\n score 1\n}\n",
	    c->rule);
	rs = load(src, NULL, false);
	ruleset_stats(rs, &n, &ex, &pre, &pc);
	if (ex != (c->exact ? 1u : 0u))
		fail_msg("%s: exact=%zu", c->rule, ex);
	assert_int_equal(rule_matcher_new(rs, &m), 0);
	for (i = 0; i < nitems(c->subjects) && c->subjects[i]; i++) {
		tf_init(&t);
		tf_add(&t, RULE_T_TEXT, c->subjects[i] + 1);
		run_both(m, &t.f, got, sizeof(got));
		if (strcmp(got, c->subjects[i][0] == '+' ? "R,|" : "|") != 0)
			fail_msg("%s on \"%s\": got %s", c->rule,
			    c->subjects[i] + 1, got);
	}
	rule_matcher_free(m);
	ruleset_unref(rs);
}

static void
test_backref_literal(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(backref_cases); i++)
		backref_check(&backref_cases[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_limit_is_unevaluated),
		cmocka_unit_test(test_excerpt_and_decide),
		cmocka_unit_test(test_excerpt_cap),
		cmocka_unit_test(test_invalid_utf8_subject),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_backref_literal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
