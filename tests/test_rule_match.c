/*
 * test_rule_match.c - the matcher on hand-built fields: all/any/unless
 * semantics, unknown values, multi-valued targets, regex limits reported
 * as "could not evaluate" while other rules still run, identical verdicts
 * with and without the prefilter (exact, prefilter and PCRE2-only
 * patterns), the on-disk cache, excerpts and the score-to-action decision,
 * and the guards' fast measure against their reference (rule_impl.h).
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

#include "rule_impl.h"
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

/*
 * rule_guard_measure() against rule_guard_measure_ref(), the slow and
 * simple way (rule_guard.c): every statistic must come out the same.
 * Hand-written edge cases first (ASCII blocks of 8 and 64 bytes, runs
 * and words across them and across non-ASCII code points, characters
 * that fold to ASCII, invalid UTF-8, several strings), then strings from
 * a fixed-seed generator.
 */
static void
guard_same(const struct rule_str *v, size_t n, const char *what, size_t id)
{
	struct rule_field       f = { v, n };
	struct rule_guard_stats a, b;
	size_t                  c;

	rule_guard_measure(&f, &a);
	rule_guard_measure_ref(&f, &b);
	if (a.run != b.run || a.word_unknown != b.word_unknown)
		fail_msg("%s %zu: run %u/%u, unknown %d/%d", what, id, a.run,
		    b.run, a.word_unknown, b.word_unknown);
	for (c = 0; c <= RULE_GUARD_MAX_CHAIN; c++)
		if (a.chain_wlen[c] != b.chain_wlen[c])
			fail_msg("%s %zu: chain_wlen[%zu] %u/%u", what, id, c,
			    a.chain_wlen[c], b.chain_wlen[c]);
}

static void
guard_same1(const char *s, size_t len, const char *what, size_t id)
{
	struct rule_str v = { s, len };

	guard_same(&v, 1, what, id);
}

static const char *const guard_edges[] = {
	"",
	"a",
	"aa",
	"Aa",
	"a a",
	"_",
	"__ __ __",
	"a_1 a_1 A_1",
	"123 123",
	"a@a@a@a",
	"a[a[a",
	"a`a`a`a",
	"a{a{a{a",
	"@@@@[[[[````{{{{",
	"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
	"ZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZzZz",
	"spam spam spam spam spam spam spam spam spam spam spam spam spam",
	"abcdefgh abcdefgh abcdefgh",
	"abcdefghi abcdefghi ABCDEFGHI",
	"abcdefghi abcdefghj abcdefghi",
	"information information",
	"\xc3\x89T\xc3\x89 \xc3\xa9t\xc3\xa9 \xc3\x89t\xc3\x89 "
	"\xc3\xa9t\xc3\xa9",
	"\xe2\x84\xaa k K k \xe2\x84\xaa",
	"k\xe2\x84\xaakkkkkkkkkkkkkk",
	"\xe2\x84\xaakkkkkkkkkkkkkkkkkkkkkk",
	"ok o\xe2\x84\xaa OK",
	"\xc5\xbfs S \xc5\xbf s",
	"caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9",
	"cafe\xcc\x81 cafe\xcc\x81",
	"na\xc3\xafve na\xc3\xafve NA\xc3\x8fVE",
	"\xd0\x94\xd0\x90 \xd0\xb4\xd0\xb0 \xd0\x94\xd0\xb0",
	"Stra\xc3\x9f"
	"e STRASSE stra\xc3\x9f"
	"e",
	"\xce\xa3 \xcf\x83 \xcf\x82",
	"go \xf0\x9f\x9a\x80 go \xf0\x9f\x9a\x80",
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	"\xe6\x97\xa5\xe6\x9c\xac \xe6\x97\xa5\xe6\x9c\xac "
	"aaaaaaaaaaaaaaaaaaaa",
	"\xf0\x9f\xa9\xb5 word word",
	"\xf0\xa0\x80\x80\xf0\xa0\x80\x80 "
	"\xf0\xa0\x80\x80\xf0\xa0\x80\x80",
	"abc \xff abc abc",
	"dup dup dup \xff",
	"\xc3",
	"abc\xc3",
	"\xe2\x82",
	"\xed\xa0\x80 x x",
	"\xf4\x90\x80\x80",
	"\xc0\xaf\xc0\xaf",
	"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrst\xff xx xx",
};

/* Probes placed at every offset of a filler. */
static const char *const guard_probes[] = { "zzzzzzzzzzz", "ZzZzZzZzZ",
	"dup dup dup dup", "Kk\xe2\x84\xaak\xe2\x84\xaa",
	"\xc3\xa9\xc3\xa9\xc3\xa9", "ab_1 ab_1 AB_1", "@@@[[[```{{{",
	"x\xc3\xa9x \xc3\xa9x\xc3\xa9", "longerword longerword",
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80 aa aa" };

/* guard_shifted: each probe after 0 to 72 filler bytes, then filler. */
static void
guard_shifted(void)
{
	static const char fill[] = "abcdefghijklmnopqrstuvwxyz0123456789 ,;";
	char              buf[256];
	size_t            p, off, i, len;

	for (p = 0; p < nitems(guard_probes); p++) {
		for (off = 0; off <= 72; off++) {
			for (i = 0; i < off; i++)
				buf[i] = fill[i % (sizeof(fill) - 1)];
			len = strlen(guard_probes[p]);
			memcpy(buf + off, guard_probes[p], len);
			for (i = off + len; i < off + len + 70; i++)
				buf[i] = fill[i % (sizeof(fill) - 1)];
			guard_same1(buf, i, "shifted", p * 100 + off);
		}
	}
}

/* guard_lengths: every length 0 .. 130 of a few repeated patterns (cut
 * anywhere, even inside a code point). */
static void
guard_lengths(void)
{
	static const char *const pats[] = { "a", "aA", "ab ", "Ab aB ", "x_",
		"\xc3\xa9", "\xf0\x9f\x98\x80", "spam ", "\xe2\x84\xaak" };
	char                     buf[140];
	size_t                   p, len, i, pl;

	for (p = 0; p < nitems(pats); p++) {
		pl = strlen(pats[p]);
		for (len = 0; len <= 130; len++) {
			for (i = 0; i < len; i++)
				buf[i] = pats[p][i % pl];
			guard_same1(buf, len, "length", p * 1000 + len);
		}
	}
}

/* guard_fields: state starts afresh in every string of a field. */
static void
guard_fields(void)
{
	static const struct rule_str f1[] = { { "aaaa", 4 }, { "aaaa", 4 } };
	static const struct rule_str f2[]
	    = { { "foo foo", 7 }, { "foo", 3 }, { "foo foo foo", 11 } };
	static const struct rule_str f3[] = { { "x\xff", 2 }, { "y y y", 5 } };
	static const struct rule_str f4[] = { { "a\0\0\0b", 5 }, { "", 0 },
		{ "\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9", 11 },
		{ "\xc3\xa9\0\0\0\0\0\0\0\0\0x", 12 }, { "\0\0", 2 } };

	guard_same(f1, nitems(f1), "field", 1);
	guard_same(f2, nitems(f2), "field", 2);
	guard_same(f3, nitems(f3), "field", 3);
	guard_same(f4, nitems(f4), "field", 4);
}

/* A fixed-seed xorshift generator. */
static uint64_t
guard_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* guard_utf8: c as UTF-8 into b; its length. */
static size_t
guard_utf8(uint32_t c, char *b)
{
	if (c < 0x80) {
		b[0] = (char) c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char) (0xc0 | c >> 6);
		b[1] = (char) (0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (char) (0xe0 | c >> 12);
		b[1] = (char) (0x80 | ((c >> 6) & 0x3f));
		b[2] = (char) (0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char) (0xf0 | c >> 18);
	b[1] = (char) (0x80 | ((c >> 12) & 0x3f));
	b[2] = (char) (0x80 | ((c >> 6) & 0x3f));
	b[3] = (char) (0x80 | (c & 0x3f));
	return 4;
}

/* guard_cp: a random code point, mostly non-ASCII, some folding to
 * ASCII, some beyond the table, no surrogate. */
static uint32_t
guard_cp(uint64_t *x)
{
	static const uint32_t special[] = { 0x212a, 0x17f, 0xe9, 0xc9, 0x1fa75,
		0x20000, 0x301, 0x203f, 0xe0001, 0x10ffff, 0x1f600, 0x3a3,
		0x3c2, 0x430, 0x410, 'k', 's', 'K' };
	uint64_t              r = guard_rand(x);
	uint32_t              c;

	switch (r % 4) {
	case 0:
		return special[(r >> 8) % nitems(special)];
	case 1:
		return 0x80 + (uint32_t) ((r >> 8) % 0x780);
	case 2:
		c = 0x800 + (uint32_t) ((r >> 8) % 0xf800);
		return c >= 0xd800 && c < 0xe000 ? c + 0x800 : c;
	default:
		return 0x10000 + (uint32_t) ((r >> 8) % 0x20000);
	}
}

/* Pieces of random strings: words, in pairs equal under folding or
 * nearly, and separators. */
static const char *const guard_words[]
    = { "a", "ab", "the", "THE", "spam", "Spam", "abcdefgh", "ABCDEFGH",
	      "abcdefghi", "ABCDEFGHX", "x_1", "X_1", "k", "\xe2\x84\xaa",
	      "\xc3\xa9t\xc3\xa9", "\xc3\x89T\xc3\x89", "\xd0\xb4\xd0\xb0",
	      "\xd0\x94\xd0\x90", "s", "\xc5\xbf", "\xe6\x97\xa5\xe6\x9c\xac",
	      "\xe6\x97\xa5", "caf\xc3\xa9", "CAF\xc3\x89",
	      "informaci\xc3\xb3n", "INFORMACI\xc3\x93N", "42", "4_2" };
static const char *const guard_seps[] = { " ", ", ", "!", "  ", "\t", "@", "[",
	"`", "{", "\xe2\x80\x94", "\xf0\x9f\x98\x80", ".", "\n" };

/* guard_repeat: a word 2 to 5 times, or its pair, with separators. */
static size_t
guard_repeat(char *b, uint64_t *x)
{
	uint64_t    r = guard_rand(x);
	size_t      n = 0, k = (r >> 8) % nitems(guard_words), reps, l;
	const char *w;

	for (reps = 2 + (r >> 16) % 4; reps > 0; reps--) {
		w = guard_words[k ^ ((r >> (20 + reps)) & 1)];
		l = strlen(w);
		memcpy(b + n, w, l);
		n += l;
		l = strlen(guard_seps[(r >> (30 + reps)) % 4]);
		memcpy(b + n, guard_seps[(r >> (30 + reps)) % 4], l);
		n += l;
	}
	return n;
}

/* guard_piece: append a random piece to b (room for 80 bytes). */
static size_t
guard_piece(char *b, uint64_t *x)
{
	uint64_t r = guard_rand(x);
	size_t   n = 0, k, reps;
	char     one[4];

	switch (r % 16) {
	case 0: /* a run */
		k = guard_utf8(
		    r & 0x100 ? guard_cp(x) : (uint32_t) ('a' + (r >> 16) % 3),
		    one);
		for (reps = 1 + (r >> 24) % 12; reps > 0; reps--, n += k)
			memcpy(b + n, one, k);
		return n;
	case 1:
		return guard_utf8(guard_cp(x), b);
	case 2: /* rarely, a byte that is no UTF-8 */
		b[0] = (char) (r & 0xf000 ? 'Q' : 0x80 + (r >> 16) % 0x80);
		return 1;
	case 3:
	case 4:
		return guard_repeat(b, x);
	default:
		k = (r >> 8)
		    % (r % 2 ? nitems(guard_words) : nitems(guard_seps));
		n = strlen(r % 2 ? guard_words[k] : guard_seps[k]);
		memcpy(b, r % 2 ? guard_words[k] : guard_seps[k], n);
		return n;
	}
}

/* guard_random: thousands of random fields of one to three strings. */
static void
guard_random(void)
{
	static char     buf[3][280];
	struct rule_str v[3];
	uint64_t        x = UINT64_C(0x9e3779b97f4a7c15), r;
	size_t          id, s, ns, len;

	for (id = 0; id < 4000; id++) {
		r = guard_rand(&x);
		ns = r % 8 == 0 ? 2 + (r >> 8) % 2 : 1;
		for (s = 0; s < ns; s++) {
			for (len = 0; len < (r >> 16) % 190;)
				len += guard_piece(buf[s] + len, &x);
			v[s] = (struct rule_str) { buf[s], len };
		}
		guard_same(v, ns, "random", id);
	}
}

static void
test_guard_measure_same(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(guard_edges); i++)
		guard_same1(guard_edges[i], strlen(guard_edges[i]), "edge", i);
	guard_shifted();
	guard_lengths();
	guard_fields();
	guard_random();
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
		cmocka_unit_test(test_guard_measure_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
