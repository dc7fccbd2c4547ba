/*
 * test_rule_scripts.c - script needs (rules/rule_scripts.c) and the
 * Hyperscan databases they gate (rules/rule_hs.c).
 *
 * A need may be too large but never too small: a bucket missing from it
 * would make the prefilter skip a string the pattern matches.  So beyond a
 * table of exact expectations (what needs what, which patterns carry a
 * literal, which buckets a string holds), a property test runs PCRE2 over
 * a few thousand pseudo-random strings drawn from code points of many
 * scripts, including the case-folding traps U+212A KELVIN SIGN and U+017F
 * LONG S, and requires every match to fall inside the need.  Finally a
 * rule set with gated patterns must give the naive method's verdicts and
 * really put those patterns behind their needs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule_impl.h"
#include "util.h"

/* Buckets as rule_scripts.c cuts them (first code points). */
#define B_LATIN1_LETTERS (1ull << 2) /* U+00C0 */
#define B_GREEK (1ull << 6) /* U+0370 */
#define B_CYRILLIC (1ull << 7) /* U+0400 */
#define B_CYR_EXT_C (1ull << 14) /* U+1000..1CFF holds U+1C80 */
#define B_ZW (1ull << 18) /* U+2000 */
#define B_LETTERLIKE (1ull << 25) /* U+2100 */
#define B_CJK (1ull << 36) /* U+4E00 */
#define B_FULLWIDTH (1ull << 46) /* U+FF20 */
#define B_PICTO (1ull << 53) /* U+1F300 */
#define B_EMOJI (1ull << 54) /* U+1F600 */

/* The rules of src, their prefilter cached in cache (NULL: none). */
static struct ruleset *
load_in(const char *src, const char *cache)
{
	struct mod_errlist  errs = { 0 };
	struct ruleset     *rs = NULL;
	struct ruleset_opts o = { .cache_dir = cache };

	if (ruleset_load_buffer("s.rules", src, strlen(src), &o, &rs, &errs)
	    != 0)
		mod_errlist_print(&errs, stderr);
	mod_errlist_free(&errs);
	assert_non_null(rs);
	return rs;
}

static struct ruleset *
load(const char *src)
{
	return load_in(src, NULL);
}

/* A pattern as rule_parse.c would hold it (source and flags only). */
static void
pattern(struct rule_pattern *p, const char *src, const char *flags)
{
	memset(p, 0, sizeof(*p));
	p->src = (char *) (uintptr_t) src;
	p->len = strlen(src);
	mod_strlcpy(p->flags, flags, sizeof(p->flags));
}

struct need_case {
	const char *src, *flags;
	uint64_t    want; /* RULE_SCRIPTS_ALL, or bits that must all be set */
	bool        exact; /* want is the whole need */
	bool        literal;
};

static const struct need_case need_cases[] = {
	{ "казино", "", B_CYRILLIC, true, true },
	{ "казино", "i", B_CYRILLIC, true, true }, /* к: the fewest */
	{ "о", "i", B_CYRILLIC | B_CYR_EXT_C, true, false }, /* U+1C82 */
	{ "[a-z]", "", RULE_SCRIPTS_ALL, true, false },
	{ "\\w+", "", RULE_SCRIPTS_ALL, true, false },
	{ ".", "s", RULE_SCRIPTS_ALL, true, false },
	{ "a|б", "", RULE_SCRIPTS_ALL, true, false },
	{ "б?x", "", RULE_SCRIPTS_ALL, true, false },
	{ "б*", "", RULE_SCRIPTS_ALL, true, false },
	{ "б{0,3}x", "", RULE_SCRIPTS_ALL, true, false },
	{ "б{2}", "", B_CYRILLIC, true, false },
	{ "б+", "", B_CYRILLIC, true, false },
	{ "бв", "", B_CYRILLIC, true, true },
	{ "abc", "", RULE_SCRIPTS_ALL, true, true },
	{ "ab?c", "", RULE_SCRIPTS_ALL, true, false },
	{ "(?:abc|def)", "", RULE_SCRIPTS_ALL, true, true },
	{ "(?:abc|d)", "", RULE_SCRIPTS_ALL, true, false },
	{ "x(?=б)", "", RULE_SCRIPTS_ALL, true, false },
	{ "(?!б)x", "", RULE_SCRIPTS_ALL, true, false },
	{ "(?<=б)x", "", RULE_SCRIPTS_ALL, true, false },
	{ "[\\x{200B}-\\x{200D}\\x{2060}]{3,}", "", B_ZW | (1ull << 22), true,
	    false },
	{ "[^\\x{400}-\\x{4ff}]", "", RULE_SCRIPTS_ALL, true, false },
	{ "[\\x{400}-\\x{4ff}\\d]", "", RULE_SCRIPTS_ALL, true, false },
	{ "[[:alpha:]б]", "", RULE_SCRIPTS_ALL, true, false },
	{ "\\x{212A}", "", B_LETTERLIKE, true, true }, /* 3 bytes */
	{ "\\x{212A}", "i", RULE_SCRIPTS_ALL, true, true },
	{ "(?i)\\x{212A}", "", RULE_SCRIPTS_ALL, true, true },
	{ "(?i:\\x{212A})", "", RULE_SCRIPTS_ALL, true, true },
	{ "(?-i)\\x{212A}", "i", B_LETTERLIKE, true, true },
	{ "\xc5\xbf", "i", RULE_SCRIPTS_ALL, true, false }, /* U+017F */
	{ "\\p{Greek}", "", B_GREEK, false, false },
	{ "\\p{Latin}", "", RULE_SCRIPTS_ALL, true, false },
	{ "\\P{Greek}", "", RULE_SCRIPTS_ALL, true, false },
	{ "\\p{Latin}\\p{Cyrillic}", "", B_CYRILLIC, false, false },
	{ "б|\\p{Greek}", "", B_CYRILLIC | B_GREEK, false, false },
	{ "[\\p{Greek}б]", "", B_CYRILLIC | B_GREEK, false, false },
	{ "казино", "x", RULE_SCRIPTS_ALL, true, false },
	{ "\\Qказино\\E", "", RULE_SCRIPTS_ALL, true, false },
	{ "(?#note)б", "", B_CYRILLIC, true, false },
	{ "(б)\\1", "", B_CYRILLIC, true, false },
	{ "(?<w>б)\\k<w>", "", B_CYRILLIC, true, false },
	{ "(?'w'б)", "", B_CYRILLIC, true, false },
	{ "(?P<w>б)(?P=w)", "", RULE_SCRIPTS_ALL, true, false },
	{ "(?<*x)б", "", RULE_SCRIPTS_ALL, true, false },
	{ "(?<1>б)", "", RULE_SCRIPTS_ALL, true, false },
	{ "(?:(?:б|в)|г)+", "", B_CYRILLIC, true, false },
	{ "\\bб\\b", "", B_CYRILLIC, true, false },
	{ "(?(1)б|в)", "", RULE_SCRIPTS_ALL, true, false },
	{ "(*UCP)б", "", RULE_SCRIPTS_ALL, true, false },
	{ "[💰💸]", "", B_PICTO, true, false },
	{ "副業", "", B_CJK, true, true },
	{ "\\x{FF21}{3}", "i", B_FULLWIDTH, true, false },
	{ "grátis", "", B_LATIN1_LETTERS, true, true },
};

static void
test_need_table(void **state)
{
	struct rule_scripts_ctx *c = rule_scripts_ctx_new();
	struct rule_pattern      p;
	size_t                   i;
	uint64_t                 need;
	bool                     lit;

	(void) state;
	for (i = 0; i < nitems(need_cases); i++) {
		const struct need_case *k = &need_cases[i];

		pattern(&p, k->src, k->flags);
		need = rule_scripts_need(c, &p, &lit);
		if (k->exact ? need != k->want : (need & k->want) != k->want)
			fail_msg("/%s/%s: need %#llx, want %#llx", k->src,
			    k->flags, (unsigned long long) need,
			    (unsigned long long) k->want);
		if (lit != k->literal)
			fail_msg("/%s/%s: literal %d", k->src, k->flags, lit);
		if (!k->exact)
			assert_false(need & 1u); /* never ASCII */
	}
	rule_scripts_ctx_free(c);
}

/* Deep nesting is refused (no need), never a crash. */
static void
test_need_deep(void **state)
{
	struct rule_scripts_ctx *c = rule_scripts_ctx_new();
	struct rule_pattern      p;
	char                     src[512];
	size_t                   i, n = 0;
	bool                     lit;

	(void) state;
	for (i = 0; i < 100; i++)
		src[n++] = '(';
	n += (size_t) snprintf(src + n, sizeof(src) - n, "б");
	for (i = 0; i < 100; i++)
		src[n++] = ')';
	src[n] = '\0';
	pattern(&p, src, "");
	assert_true(rule_scripts_need(c, &p, &lit) == RULE_SCRIPTS_ALL);
	pattern(&p, "((((б))))", "");
	assert_true(rule_scripts_need(c, &p, &lit) == B_CYRILLIC);
	rule_scripts_ctx_free(c);
}

/* Garbage sources (the walk also sees what PCRE2 would refuse). */
static void
test_need_garbage(void **state)
{
	static const char *const junk[] = { ")", "(", "[", "[б", "\\", "\\x{",
		"\\p{", "(?", "(?<", "(?'", "б{", "б{1", "[\\Q", "(?P=x)",
		"\xd0", "\xff\xfe", "[\\x{10FFFFFF}]", "\\x{FFFFFFFFFF}" };
	struct rule_scripts_ctx *c = rule_scripts_ctx_new();
	struct rule_pattern      p;
	bool                     lit;
	size_t                   i;

	(void) state;
	for (i = 0; i < nitems(junk) * 2; i++) {
		uint64_t need;

		pattern(&p, junk[i / 2], i % 2 ? "i" : "");
		need = rule_scripts_need(c, &p, &lit);
		/* never a need that ASCII could meet */
		assert_true(need == RULE_SCRIPTS_ALL || (need & 1u) == 0);
	}
	rule_scripts_ctx_free(c);
}

static void
test_scripts_of(void **state)
{
	(void) state;
	rule_scripts_prepare();
	assert_true(rule_scripts_of("", 0) == 0);
	assert_true(rule_scripts_of("plain ascii text, long enough for "
	                            "the 32-byte loop",
	                48)
	    == 0);
	assert_true(rule_scripts_of("hi б", strlen("hi б")) == B_CYRILLIC);
	assert_true(rule_scripts_of("é😀", strlen("é😀"))
	    == (B_LATIN1_LETTERS | B_EMOJI));
	assert_true(rule_scripts_of("a\xe2\x80\x8b", 4) == B_ZW);
	assert_true(rule_scripts_of("\xf0\xa0\x80\x80", 4) == (1ull << 59));
	/* A bad lead byte or a cut sequence: all buckets, never a read past
	 * the end. */
	assert_true(rule_scripts_of("a\x80", 2) == RULE_SCRIPTS_ALL);
	assert_true(rule_scripts_of("a\xd0", 2) == RULE_SCRIPTS_ALL);
	assert_true(rule_scripts_of("\xe2\x80", 2) == RULE_SCRIPTS_ALL);
	assert_true(
	    rule_scripts_of("\xf8\x80\x80\x80", 4) == RULE_SCRIPTS_ALL);
}

/* Code points the random strings are made of. */
static const char *const pool[] = { "a", "k", "K", "s", "S", "x", " ", "1",
	"é", "É", "ß", "α", "Ω", "б", "Б", "в", "ᲀ", "\xe2\x80\x8b",
	"\xe2\x80\x8d", "\xe2\x81\xa0", "\xe2\x84\xaa", "\xc5\xbf", "—", "…",
	"副", "業", "Ａ", "ａ", "𝐀", "😀", "💰", "\xd8\xa7" };

static const char *const props[] = { "казино", "(?:бв|гд)+", "б|α",
	"[a-z][\\x{0400}-\\x{04FF}]{1,3}[a-z]", "\\p{Latin}\\p{Cyrillic}",
	"\\p{Greek}\\p{Latin}", "[\\x{200B}-\\x{200D}\\x{2060}]{2,}",
	"\\x{212A}", "\xc5\xbf", "Ω", "[\\x{FF21}-\\x{FF5A}]{2,}", "ß", "[💰💸]",
	"副業", "(?-i:K)\\x{212A}", "[\\x{1D400}-\\x{1D7FF}]" };

/* Build a pseudo-random string of up to 12 pool code points. */
static size_t
random_string(uint32_t *seed, char *out, size_t cap)
{
	size_t n = 0, k, len = 1 + (*seed >> 7) % 12;

	for (k = 0; k < len; k++) {
		const char *c;

		*seed = *seed * 1103515245u + 12345u;
		c = pool[(*seed >> 8) % nitems(pool)];
		if (n + strlen(c) + 1 > cap)
			break;
		memcpy(out + n, c, strlen(c));
		n += strlen(c);
	}
	out[n] = '\0';
	return n;
}

/* Every PCRE2 match lies inside the need (both caseless and not). */
static void
test_need_sound(void **state)
{
	struct ruleset *rs = load("rule R {\n match text /x/\n score 1\n}\n");
	struct rule_regex_ctx   *re = rule_regex_ctx_new(rs);
	struct rule_scripts_ctx *c = rule_scripts_ctx_new();
	struct mod_errlist       errs = { 0 };
	struct rule_pattern      p;
	char                     s[128];
	const char              *why;
	uint32_t                 seed = 42;
	size_t                   i, f, k, len, off, mlen, gated_hits = 0;
	uint64_t                 need;
	bool                     lit;

	(void) state;
	for (i = 0; i < nitems(props); i++)
		for (f = 0; f < 2; f++) {
			pattern(&p, props[i], f ? "i" : "");
			assert_int_equal(
			    rule_regex_compile(&p, "t", 1, 1, 1, &errs), 0);
			need = rule_scripts_need(c, &p, &lit);
			for (k = 0; k < 3000; k++) {
				len = random_string(&seed, s, sizeof(s));
				if (rule_regex_exec(
				        re, &p, s, len, 0, &off, &mlen, &why)
				    != 1)
					continue;
				if (need == RULE_SCRIPTS_ALL)
					continue;
				gated_hits++;
				if ((rule_scripts_of(s, len) & need) == 0)
					fail_msg(
					    "/%s/%s matches \"%s\" outside "
					    "its need %#llx",
					    props[i], f ? "i" : "", s,
					    (unsigned long long) need);
			}
			rule_regex_free(&p);
		}
	assert_true(gated_hits > 1000);
	mod_errlist_free(&errs);
	rule_scripts_ctx_free(c);
	rule_regex_ctx_free(re);
	ruleset_unref(rs);
}

static const char gate_rules[]
    = "rule CYR {\n match text:raw /\\bказино\\b/i\n score 1\n}\n"
      "rule MIXED {\n match text:raw /\\p{Latin}\\p{Cyrillic}/\n"
      " score 1\n}\n"
      "rule ZW {\n match text:raw /[\\x{200B}-\\x{200D}]{2,}/\n score 1\n}\n"
      "rule KELVIN {\n match text /\\x{212A}elvin/i\n score 1\n}\n"
      "rule WIDE {\n match display_name /[\\x{FF21}-\\x{FF5A}]{3,}/\n"
      " score 1\n}\n"
      "rule PLAIN {\n match display_name /admin/i\n score 1\n}\n";

struct gate_case {
	const char *text, *name, *want;
};

static const struct gate_case gate_cases[] = {
	{ "hello world", "bob", "" },
	{ "большое КАЗИНО тут", "bob", "CYR," },
	{ "pаypal", "bob", "MIXED," },
	{ "a\xe2\x80\x8b\xe2\x80\x8b b", "bob", "ZW," },
	{ "KELVIN scale", "ＡＤＭＩＮ", "KELVIN,WIDE," },
	{ "emoji 😀 only", "Admin", "PLAIN," },
};

/* The hits of text and display name name as "A,B,", both methods agreeing. */
static void
run_case(struct rule_matcher *m, const char *text, const char *name, char *got,
    size_t size)
{
	const struct rule_verdict *v;
	struct rule_fields         f;
	struct rule_str            t = { text, strlen(text) };
	struct rule_str            d = { name, strlen(name) };
	char                       a[2][512];
	size_t                     k, h;

	memset(&f, 0, sizeof(f));
	f.folded[RULE_T_TEXT] = f.raw[RULE_T_TEXT]
	    = (struct rule_field) { &t, 1 };
	f.folded[RULE_T_DISPLAY_NAME] = f.raw[RULE_T_DISPLAY_NAME]
	    = (struct rule_field) { &d, 1 };
	f.kind = RULE_K_STATUS_CREATED;
	f.utf8_valid = true;
	for (k = 0; k < 2; k++) {
		assert_int_equal(
		    rule_matcher_run(m, &f, k ? RULE_MATCH_NAIVE : 0, &v), 0);
		a[k][0] = '\0';
		for (h = 0; h < v->nhits; h++) {
			strcat(a[k], v->hits[h].rule);
			strcat(a[k], ",");
		}
	}
	assert_string_equal(a[0], a[1]);
	mod_strlcpy(got, a[0], size);
}

/* Every gate case of rs gives what it wants. */
static void
check_gate_cases(struct ruleset *rs)
{
	struct rule_matcher *m = NULL;
	char                 got[512];
	size_t               i;

	assert_int_equal(rule_matcher_new(rs, &m), 0);
	for (i = 0; i < nitems(gate_cases); i++) {
		run_case(m, gate_cases[i].text, gate_cases[i].name, got,
		    sizeof(got));
		assert_string_equal(got, gate_cases[i].want);
	}
	rule_matcher_free(m);
}

/* The gated rule set: verdicts as naive, and the gates are really there. */
static void
test_gated_verdicts(void **state)
{
	struct ruleset *rs = load(gate_rules);
	size_t          i, gated = 0;

	(void) state;
	for (i = 0; i < rs->npats; i++)
		gated += rs->pats[i].need != RULE_SCRIPTS_ALL;
	assert_int_equal(gated, 4); /* all but KELVIN and PLAIN */
	check_gate_cases(rs);
	ruleset_unref(rs);
}

/* Needs and their databases come back from the prefilter cache as
 * they were built. */
static void
test_gated_cache(void **state)
{
	char            dir[] = "/tmp/moderd-test-scripts-XXXXXX", cmd[128];
	struct ruleset *a, *b;
	size_t          i;

	(void) state;
	assert_non_null(mkdtemp(dir));
	a = load_in(gate_rules, dir);
	b = load_in(gate_rules, dir);
	assert_false(ruleset_cache_hit(a));
	assert_true(ruleset_cache_hit(b));
	assert_int_equal(a->npats, b->npats);
	for (i = 0; i < a->npats; i++)
		assert_true(a->pats[i].need == b->pats[i].need);
	check_gate_cases(b);
	ruleset_unref(a);
	ruleset_unref(b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* More distinct needs in one slot than it has databases for: the extra
 * patterns are scanned with the ungated ones, and every rule still hits
 * exactly where its script is. */
static const char many_rules[]
    = "rule S0 {\n match text:raw /[\\x{0400}-\\x{04FF}]{2,}/\n score 1\n}\n"
      "rule S1 {\n match text:raw /[\\x{0370}-\\x{03FF}]{2,}/\n score 1\n}\n"
      "rule S2 {\n match text:raw /[\\x{05D0}-\\x{05EA}]{2,}/\n score 1\n}\n"
      "rule S3 {\n match text:raw /[\\x{0627}-\\x{064A}]{2,}/\n score 1\n}\n"
      "rule S4 {\n match text:raw /[\\x{0E01}-\\x{0E2E}]{2,}/\n score 1\n}\n"
      "rule S5 {\n match text:raw /[\\x{AC00}-\\x{D7A3}]{2,}/\n score 1\n}\n"
      "rule S6 {\n match text:raw /[\\x{FF21}-\\x{FF3A}]{2,}/\n score 1\n}\n"
      "rule S7 {\n match text:raw /[\\x{1D400}-\\x{1D433}]{2,}/\n score 1\n}\n"
      "rule S8 {\n match text:raw /[\\x{200B}-\\x{200D}]{2,}/\n score 1\n}\n"
      "rule S9 {\n match text:raw /[\\x{3041}-\\x{3096}]{2,}/\n score 1\n}\n";

static void
test_many_needs(void **state)
{
	static const char *const texts[] = { "да", "αβ", "שלום", "سلام",
		"สวัสดี", "안녕", "ＡＢ", "\xf0\x9d\x90\x80\xf0\x9d\x90\x81",
		"\xe2\x80\x8b\xe2\x80\x8b", "ひら" };
	struct ruleset          *rs = load(many_rules);
	struct rule_matcher *m = NULL;
	char                 got[512], want[16];
	size_t               i;

	(void) state;
	assert_int_equal(rule_matcher_new(rs, &m), 0);
	for (i = 0; i < nitems(texts); i++) {
		snprintf(want, sizeof(want), "S%zu,", i);
		run_case(m, texts[i], "", got, sizeof(got));
		assert_string_equal(got, want);
	}
	run_case(m, "plain ascii only", "", got, sizeof(got));
	assert_string_equal(got, "");
	rule_matcher_free(m);
	ruleset_unref(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_need_table),
		cmocka_unit_test(test_need_deep),
		cmocka_unit_test(test_need_garbage),
		cmocka_unit_test(test_scripts_of),
		cmocka_unit_test(test_need_sound),
		cmocka_unit_test(test_gated_verdicts),
		cmocka_unit_test(test_gated_cache),
		cmocka_unit_test(test_many_needs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
