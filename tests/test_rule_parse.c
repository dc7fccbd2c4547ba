/*
 * test_rule_parse.c - the rule parser and loader: golden error output,
 * every error reported with FILE:LINE:COL, regex error columns, expect
 * examples, limits on hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "event.h"
#include "rules.h"
#include "util.h"

static const struct ruleset_opts test_opts = { .example = event_example };

/* Load src as one file; return the joined error text (caller frees). */
static char *
test_load_errors(const char *src, int *rvp)
{
	struct mod_errlist errs = { 0 };
	struct ruleset    *rs = NULL;
	struct buf         b;
	size_t             i;

	buf_init(&b, 0);
	*rvp = ruleset_load_buffer(
	    "t.rules", src, strlen(src), &test_opts, &rs, &errs);
	for (i = 0; i < errs.n; i++)
		assert_int_equal(buf_printf(&b, "%s\n", errs.msgs[i]), 0);
	mod_errlist_free(&errs);
	ruleset_unref(rs);
	return buf_steal(&b);
}

static void
test_golden_dir(void **state)
{
	struct mod_errlist errs = { 0 };
	struct ruleset    *rs = NULL;
	struct buf         got;
	char              *want = NULL;
	size_t             len, i;

	(void) state;
	buf_init(&got, 0);
	assert_int_equal(
	    ruleset_load("tests/rules/bad", &test_opts, &rs, &errs),
	    MOD_EINVAL);
	assert_null(rs);
	for (i = 0; i < errs.n; i++)
		assert_int_equal(buf_printf(&got, "%s\n", errs.msgs[i]), 0);
	assert_int_equal(
	    mod_read_file("tests/rules/bad.err", 1 << 20, &want, &len, NULL),
	    0);
	if (strcmp(buf_cstr(&got), want) != 0)
		fprintf(stderr, "--- got ---\n%s--- want ---\n%s",
		    buf_cstr(&got), want);
	assert_string_equal(buf_cstr(&got), want);
	free(want);
	buf_free(&got);
	mod_errlist_free(&errs);
}

static void
test_good_dir_loads(void **state)
{
	struct mod_errlist errs = { 0 };
	struct ruleset    *rs = NULL;

	(void) state;
	assert_int_equal(
	    ruleset_load("tests/rules/good", &test_opts, &rs, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_true(ruleset_count(rs) >= 3);
	ruleset_unref(rs);
}

static const struct {
	const char *src;
	const char *err; /* expected first message, exactly */
} parse_cases[] = {
	{ "rule A {\n\tmatch text /a(b/\n\tscore 1\n}\n",
	    "t.rules:2:17: missing closing parenthesis\n" },
	{ "rule A {\n\tmatch text /ab)/\n\tscore 1\n}\n",
	    "t.rules:2:16: unmatched closing parenthesis\n" },
	{ "rule A {\n\tmatch text /ä(x/\n\tscore 1\n}\n",
	    "t.rules:2:17: missing closing parenthesis\n" },
	{ "rule A {\n\tmatch text /a/z\n\tscore 1\n}\n",
	    "t.rules:2:16: unknown regex flag 'z' (i, m, s, x)\n" },
	{ "rule A {\n\tmatch spoilers /a/\n\tscore 1\n}\n",
	    "t.rules:2:8: unknown target \"spoilers\"\n" },
	{ "rule A {\n\tmatch text:folded /a/\n\tscore 1\n}\n",
	    "t.rules:2:8: unknown target \"text:folded\"\n" },
	{ "rule A {\n\twhen account_age < soon\n\tscore 1\n}\n",
	    "t.rules:2:21: account_age: expected a duration (e.g. 30d, 12h, "
	    "90m), got \"soon\"\n" },
	{ "rule A {\n\twhen followers ~ 3\n\tscore 1\n}\n",
	    "t.rules:2:17: expected a comparison (< <= > >= == !=), got ~\n" },
	{ "rule A {\n\twhen local\n}\n",
	    "t.rules:1:1: rule A has neither a score nor an action\n" },
	{ "rule A {\n\tscore 1\n}\n",
	    "t.rules:1:1: rule A has no match or when line\n" },
	{ "rule A\n\tscore 1\n}\n",
	    "t.rules:1:7: expected '{' after rule name\n" },
	{ "rule A {\n\tmatch text /a/\n\tscore 1\n",
	    "t.rules:1:1: rule A is not closed (missing '}')\n" },
	{ "rule A {\n\tdesc \"x\\q\"\n\tmatch text /a/\n\tscore 1\n}\n",
	    "t.rules:2:7: unknown escape in string\n" },
	{ "}\n", "t.rules:1:1: expected \"rule\", got '}'\n" },
	{ "rule A {\n\tmatch text /free/\n\tscore 1\n\texpect hit "
	  "\"nothing\"\n}\n",
	    "t.rules:4:2: rule A: expect hit failed: example did not "
	    "match\n" },
	{ "rule A {\n\tmatch text /free/\n\tscore 1\n\texpect miss "
	  "\"FREE\"\n}\n",
	    "t.rules:4:2: rule A: expect miss failed: example matched\n" },
	{ "rule A {\n\tmatch text /x/\n\tscore 1\n\tgroup Spam\n}\n",
	    "t.rules:4:8: group: invalid name (use lowercase letters, digits, "
	    "_ and -)\n" },
	{ "rule A {\n\twhen kind status,report.deleted\n\tscore 1\n}\n",
	    "t.rules:2:19: unknown kind \"report.deleted\"\n" },
};

static void
test_parse_cases(void **state)
{
	size_t i;
	int    rv;

	(void) state;
	for (i = 0; i < nitems(parse_cases); i++) {
		char *got = test_load_errors(parse_cases[i].src, &rv);

		if (strncmp(
		        got, parse_cases[i].err, strlen(parse_cases[i].err))
		    != 0)
			fprintf(stderr, "case %zu: got:\n%s", i, got);
		assert_int_not_equal(rv, 0);
		assert_memory_equal(
		    got, parse_cases[i].err, strlen(parse_cases[i].err));
		free(got);
	}
}

/* The brief's example rule loads and its expect lines pass. */
static void
test_brief_example(void **state)
{
	static const char src[]
	    = "# a comment\n"
	      "rule CRYPTO_GIVEAWAY {\n"
	      "\tdesc\t\"Crypto giveaway wording\"\n"
	      "\tgroup\tspam\n"
	      "\tmatch\ttext "
	      "/\\b(free|giveaway)\\b.{0,40}\\b(btc|eth|usdt)\\b/i\n"
	      "\tmatch\turl  /\\.(xyz|top|click)\\b/i\n"
	      "\tunless\taccount_age > 30d\n"
	      "\tscore\t4.0\n"
	      "\texpect\thit  \"FREE BTC giveaway at "
	      "https://win.example.xyz/claim\"\n"
	      "\texpect\tmiss \"I lost my btc wallet again\"\n"
	      "}\n";
	char *got;
	int   rv;

	(void) state;
	got = test_load_errors(src, &rv);
	assert_string_equal(got, "");
	assert_int_equal(rv, 0);
	free(got);
}

/* Hostile inputs: each is rejected with messages, never a crash. */
static void
test_hostile(void **state)
{
	char *big = xmalloc(MOD_MAX_TOKEN_BYTES * 2 + 64), *got;
	int   rv;

	(void) state;
	strcpy(big, "rule A {\n\tdesc \"");
	memset(big + strlen(big), 'x', MOD_MAX_TOKEN_BYTES * 2);
	big[16 + MOD_MAX_TOKEN_BYTES * 2] = '\0';
	strcat(big, "\"\n}\n");
	got = test_load_errors(big, &rv);
	assert_int_equal(rv, MOD_EINVAL);
	assert_non_null(strstr(got, "t.rules:2:7: string too long"));
	free(got);
	got = test_load_errors("rule {{{{ }}}} \"\n/\n\x01\xff\xfe rule", &rv);
	assert_int_equal(rv, MOD_EINVAL);
	free(got);
	got = test_load_errors("", &rv);
	assert_int_equal(rv, 0);
	free(got);
	free(big);
}

/*
 * Regression (fuzz_rule_parse): a NUL byte inside a regex made the error
 * column computation read past the pattern copy, and would have given
 * Hyperscan (NUL-terminated) another pattern than PCRE2.  NUL bytes are
 * refused wherever they appear.
 */
static void
test_nul_bytes(void **state)
{
	static const char  regex[] = "rule A {\n\tmatch text /a\0(/\n}\n";
	static const char  word[] = "rule A\0B {\n}\n";
	static const char  str[] = "rule A {\n\tdesc \"x\0y\"\n}\n";
	struct mod_errlist errs = { 0 };
	struct ruleset    *rs = NULL;

	(void) state;
	assert_int_equal(ruleset_load_buffer("t.rules", regex,
	                     sizeof(regex) - 1, &test_opts, &rs, &errs),
	    MOD_EINVAL);
	assert_string_equal(errs.msgs[0], "t.rules:2:13: NUL byte in regex");
	mod_errlist_free(&errs);
	assert_int_equal(ruleset_load_buffer("t.rules", word, sizeof(word) - 1,
	                     &test_opts, &rs, &errs),
	    MOD_EINVAL);
	assert_string_equal(errs.msgs[0], "t.rules:1:7: NUL byte");
	mod_errlist_free(&errs);
	assert_int_equal(ruleset_load_buffer("t.rules", str, sizeof(str) - 1,
	                     &test_opts, &rs, &errs),
	    MOD_EINVAL);
	assert_string_equal(errs.msgs[0], "t.rules:2:7: NUL byte in string");
	mod_errlist_free(&errs);
	assert_null(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_dir),
		cmocka_unit_test(test_good_dir_loads),
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_brief_example),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_nul_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
