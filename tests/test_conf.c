/*
 * test_conf.c - moderd.conf: documented defaults, every value type and its
 * rejections, ranges, unknown and duplicate keys, every error reported
 * with FILE:LINE:COL, the thresholds block, examples/moderd.conf and
 * moderd.conf(5) against the key table, and the reference-counted swap.
 *
 * conf.c is included rather than linked so that the generic engine
 * (sizes, durations, booleans, doubles, required keys, repeated named
 * blocks) can be driven through a test key table of its own: the real
 * table has no key of those kinds yet.
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

#include "buf.h"
#include "conf.c"

/* ---- helpers ---- */

static char *
test_join(const struct mod_errlist *errs)
{
	struct buf b;
	size_t     i;

	buf_init(&b, 0);
	for (i = 0; i < errs->n; i++)
		assert_int_equal(buf_printf(&b, "%s\n", errs->msgs[i]), 0);
	return buf_steal(&b);
}

/* Load src as "t.conf"; *errtext gets every error, one per line. */
static int
test_load(const char *src, struct conf **c, char **errtext)
{
	struct mod_errlist errs = { 0 };
	int                rv;

	rv = conf_load_buffer("t.conf", src, strlen(src), c, &errs);
	*errtext = test_join(&errs);
	mod_errlist_free(&errs);
	if (rv == 0)
		assert_non_null(*c);
	else
		assert_null(*c);
	return rv;
}

/* src must fail with exactly the errors want (one per line). */
static void
test_expect_errors(const char *src, const char *want)
{
	struct conf *c = NULL;
	char        *got;

	assert_int_equal(test_load(src, &c, &got), MOD_EINVAL);
	assert_string_equal(got, want);
	free(got);
}

static void
test_field(const struct conf_key *k, const void *base, char *out, size_t size)
{
	const char *f = (const char *) base + k->off;

	switch (k->type) {
	case CONF_STR:
	case CONF_PATH:
		snprintf(out, size, "%s", *(char *const *) (const void *) f);
		break;
	case CONF_UINT:
		snprintf(
		    out, size, "%u", *(const uint32_t *) (const void *) f);
		break;
	case CONF_SIZE:
		snprintf(out, size, "%zu", *(const size_t *) (const void *) f);
		break;
	case CONF_MS:
		snprintf(out, size, "%lld",
		    (long long) *(const int64_t *) (const void *) f);
		break;
	case CONF_BOOL:
		snprintf(out, size, "%d", *(const bool *) (const void *) f);
		break;
	case CONF_ENUM:
		snprintf(out, size, "%d", *(const int *) (const void *) f);
		break;
	default:
		snprintf(out, size, "%g", *(const double *) (const void *) f);
		break;
	}
}

/* Every scalar of t and of its sections as "path=value\n" lines. */
static void
test_dump(const struct conf_table *t, const void *base, struct buf *b)
{
	const struct conf_table *s;
	char                     v[MOD_MAX_PATH_BYTES];
	size_t                   i, j;

	for (i = 0; i < t->nkeys; i++) {
		if (t->keys[i].type == CONF_BLOCKS)
			continue;
		if (t->keys[i].type != CONF_SECTION) {
			test_field(&t->keys[i], base, v, sizeof(v));
			assert_int_equal(
			    buf_printf(b, "%s=%s\n", t->keys[i].name, v), 0);
			continue;
		}
		s = t->keys[i].sub;
		for (j = 0; j < s->nkeys; j++) {
			test_field(&s->keys[j],
			    (const char *) base + t->keys[i].off, v,
			    sizeof(v));
			assert_int_equal(
			    buf_printf(b, "%s.%s=%s\n", t->keys[i].name,
			        s->keys[j].name, v),
			    0);
		}
	}
}

static char *
test_dump_conf(const struct conf *c)
{
	struct buf b;

	buf_init(&b, 0);
	test_dump(&conf_top, c, &b);
	return buf_steal(&b);
}

/* The value of "key" or "section.key" in c, formatted as test_dump(). */
static char *
test_value(const struct conf *c, const char *path)
{
	struct buf b;
	char       want[128], *line, *v;

	buf_init(&b, 0);
	assert_int_equal(buf_appendc(&b, '\n'), 0);
	test_dump(&conf_top, c, &b);
	snprintf(want, sizeof(want), "\n%s=", path);
	line = strstr(buf_cstr(&b), want);
	assert_non_null(line);
	line += strlen(want);
	v = xstrndup(line, strcspn(line, "\n"));
	buf_free(&b);
	return v;
}

static char *
test_srcfile(const char *rel)
{
	const char *dir = getenv("MODERD_SRCDIR");
	char        path[MOD_MAX_PATH_BYTES], *data = NULL;
	size_t      len;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", rel);
	assert_int_equal(mod_read_file(path, 1 << 20, &data, &len, NULL), 0);
	return data;
}

/* ---- defaults ---- */

static void
test_defaults_documented(void **state)
{
	struct rule_thresholds want;
	struct conf           *c = NULL;
	int                    a;

	(void) state;
	assert_int_equal(conf_defaults(&c), 0);
	assert_string_equal(c->rules_dir, "/etc/moderd/rules");
	assert_string_equal(c->state_dir, "/var/lib/moderd");
	assert_string_equal(c->rules_cache_dir, "/var/lib/moderd/cache");
	assert_int_equal(c->re_match_limit, 100000);
	assert_int_equal(c->re_depth_limit, 10000);
	assert_int_equal(c->re_heap_limit_kib, 20480);
	assert_int_equal(c->re_match_limit, MOD_DEFAULT_RE_MATCH_LIMIT);
	assert_int_equal(c->re_depth_limit, MOD_DEFAULT_RE_DEPTH_LIMIT);
	assert_int_equal(c->re_heap_limit_kib, MOD_DEFAULT_RE_HEAP_LIMIT_KIB);
	assert_int_equal(c->log_level, CONF_LOG_INFO);
	rule_thresholds_default(&want);
	for (a = 0; a < RULE_A_COUNT; a++)
		assert_true(c->thresholds.min[a] == want.min[a]);
	assert_true(c->thresholds.min[RULE_A_FLAG] == 3);
	assert_true(c->thresholds.min[RULE_A_SILENCE] == 10);
	assert_true(c->thresholds.min[RULE_A_SUSPEND] < 0);
	conf_free(c);
}

static void
test_empty_file_is_defaults(void **state)
{
	static const char *const srcs[] = { "", "\n\n", "# only a comment\n",
		"\xef\xbb\xbf", "  \t\r\n# x\r\n" };
	struct conf             *d = NULL, *c = NULL;
	char                    *err, *want, *got;
	size_t                   i;

	(void) state;
	assert_int_equal(conf_defaults(&d), 0);
	want = test_dump_conf(d);
	for (i = 0; i < nitems(srcs); i++) {
		assert_int_equal(test_load(srcs[i], &c, &err), 0);
		assert_string_equal(err, "");
		got = test_dump_conf(c);
		assert_string_equal(got, want);
		free(got);
		free(err);
		conf_free(c);
	}
	free(want);
	conf_free(d);
}

static void
test_table_sound(void **state)
{
	size_t i;

	(void) state;
	assert_true(conf_table_ok(&conf_top));
	/* Threshold keys are action names, spelled as the rules spell them. */
	for (i = 0; i < nitems(conf_threshold_keys); i++)
		assert_true(rule_action_from_name(conf_threshold_keys[i].name)
		    > RULE_A_NONE);
	for (i = 0; i < RULE_A_COUNT; i++)
		assert_string_equal(conf_action_names[i],
		    rule_action_name((enum rule_action) i));
}

/* ---- values of the real keys ---- */

static const struct {
	const char *src, *key, *want;
} value_cases[] = {
	{ "re_match_limit 1000", "re_match_limit", "1000" },
	{ "re_match_limit 10000000", "re_match_limit", "10000000" },
	{ "re_match_limit \"5000\"", "re_match_limit", "5000" },
	{ "re_match_limit +5000", "re_match_limit", "5000" },
	{ "re_depth_limit 100", "re_depth_limit", "100" },
	{ "re_depth_limit 1000000", "re_depth_limit", "1000000" },
	{ "re_heap_limit_kib 64", "re_heap_limit_kib", "64" },
	{ "re_heap_limit_kib 1048576", "re_heap_limit_kib", "1048576" },
	{ "log_level debug", "log_level", "1" },
	{ "log_level \"info\"", "log_level", "0" },
	{ "rules_dir \"/srv/r\"", "rules_dir", "/srv/r" },
	{ "rules_dir rules", "rules_dir", "rules" },
	{ "rules_dir \"/a b/\\\"c\\\"\"", "rules_dir", "/a b/\"c\"" },
	{ "rules_dir \"/x\" # comment", "rules_dir", "/x" },
	{ "rules_dir \"/x\"#comment", "rules_dir", "/x" },
	{ "state_dir \"/srv/m\"", "rules_cache_dir", "/srv/m/cache" },
	{ "state_dir \"/srv/m/\"", "rules_cache_dir", "/srv/m/cache" },
	{ "state_dir \"/\"", "rules_cache_dir", "/cache" },
	{ "state_dir st", "rules_cache_dir", "st/cache" },
	{ "rules_cache_dir \"/c\"", "rules_cache_dir", "/c" },
	{ "rules_cache_dir \"/c\"\nstate_dir \"/s\"", "rules_cache_dir",
	    "/c" },
	{ "rules_cache_dir \"\"", "rules_cache_dir", "/var/lib/moderd/cache" },
	{ "\xef\xbb\xbfre_match_limit 2000", "re_match_limit", "2000" },
	{ "re_match_limit 2000\r\n", "re_match_limit", "2000" },
	{ "  re_match_limit\t2000  ", "re_match_limit", "2000" },
	{ "thresholds { flag 2.5 }", "thresholds.flag", "2.5" },
	{ "thresholds { flag 2.5 }", "thresholds.silence", "10" },
	{ "thresholds { silence off }", "thresholds.silence", "-1" },
	{ "thresholds {\n\tdelete 7\n}\n", "thresholds.delete", "7" },
	{ "thresholds { suspend 1000000 }", "thresholds.suspend", "1e+06" },
	{ "thresholds { flag 0.001 }", "thresholds.flag", "0.001" },
	{ "thresholds { flag 1e1 silence 1e1 }", "thresholds.flag", "10" },
	{ "thresholds { flag off sensitive off delete off silence off "
	  "suspend off }",
	    "thresholds.flag", "-1" },
	{ "thresholds { flag 3.0  sensitive off  delete 8  silence 10  "
	  "suspend off }",
	    "thresholds.delete", "8" },
	{ "thresholds { flag 5 sensitive 5 delete 5 silence 5 suspend 5 }",
	    "thresholds.suspend", "5" },
	{ "thresholds {\n}\n", "thresholds.flag", "3" },
	{ "thresholds {\n\n  # nothing\n\n}", "thresholds.flag", "3" },
};

static void
test_values(void **state)
{
	struct conf *c = NULL;
	char        *err, *v;
	size_t       i;

	(void) state;
	for (i = 0; i < nitems(value_cases); i++) {
		if (test_load(value_cases[i].src, &c, &err) != 0)
			fail_msg("case %zu: %s", i, err);
		v = test_value(c, value_cases[i].key);
		if (strcmp(v, value_cases[i].want) != 0)
			fail_msg("case %zu: %s = %s, want %s", i,
			    value_cases[i].key, v, value_cases[i].want);
		free(v);
		free(err);
		conf_free(c);
	}
}

static const struct {
	const char *src, *want;
} error_cases[] = {
	/* ranges, at both ends, and numbers that are not numbers */
	{ "re_match_limit 5",
	    "t.conf:1:16: re_match_limit: value 5 out of range "
	    "1000..10000000\n" },
	{ "re_match_limit 999",
	    "t.conf:1:16: re_match_limit: value 999 out of range "
	    "1000..10000000\n" },
	{ "re_match_limit 10000001",
	    "t.conf:1:16: re_match_limit: value 10000001 out of range "
	    "1000..10000000\n" },
	{ "re_match_limit -1",
	    "t.conf:1:16: re_match_limit: value -1 out of range "
	    "1000..10000000\n" },
	{ "re_match_limit 99999999999999999999999",
	    "t.conf:1:16: re_match_limit: value 99999999999999999999999 out "
	    "of range 1000..10000000\n" },
	{ "re_depth_limit 99",
	    "t.conf:1:16: re_depth_limit: value 99 out of range "
	    "100..1000000\n" },
	{ "re_heap_limit_kib 1048577",
	    "t.conf:1:19: re_heap_limit_kib: value 1048577 out of range "
	    "64..1048576\n" },
	{ "re_match_limit 10k",
	    "t.conf:1:16: re_match_limit: invalid number \"10k\"\n" },
	{ "re_match_limit 1.5",
	    "t.conf:1:16: re_match_limit: invalid number \"1.5\"\n" },
	{ "re_match_limit \" 5000\"",
	    "t.conf:1:16: re_match_limit: invalid number \" 5000\"\n" },
	{ "re_match_limit \"\"",
	    "t.conf:1:16: re_match_limit: invalid number \"\"\n" },
	{ "re_match_limit", "t.conf:1:15: re_match_limit: missing value\n" },
	{ "re_match_limit\n5000",
	    "t.conf:1:15: re_match_limit: missing value\n"
	    "t.conf:2:1: unknown key \"5000\"\n" },
	{ "re_match_limit 100000 000",
	    "t.conf:1:23: re_match_limit: expected end of line, got word "
	    "\"000\"\n" },
	{ "re_match_limit {",
	    "t.conf:1:16: re_match_limit: expected a value, got '{'\n" },
	/* choices and strings */
	{ "log_level verbose",
	    "t.conf:1:11: log_level: invalid value \"verbose\" (expected "
	    "info or debug)\n" },
	{ "log_level INFO",
	    "t.conf:1:11: log_level: invalid value \"INFO\" (expected info "
	    "or debug)\n" },
	{ "state_dir \"\"",
	    "t.conf:1:11: state_dir: value must not be empty\n" },
	{ "rules_dir /etc/moderd/rules",
	    "t.conf:1:11: rules_dir: a value starting with '/' must be "
	    "quoted\n" },
	{ "state_dir /tmp",
	    "t.conf:1:11: state_dir: unterminated regex (a value starting "
	    "with '/' must be quoted)\n" },
	{ "rules_dir \"/x", "t.conf:1:11: unterminated string\n" },
	{ "rules_dir \"\\q\"", "t.conf:1:11: unknown escape in string\n" },
	{ "rules_dir \"a\\\n", "t.conf:1:11: unterminated string\n" },
	{ "log_level \"de\nbug\"",
	    "t.conf:1:11: unterminated string\n"
	    "t.conf:2:1: unknown key \"bug\"\n"
	    "t.conf:2:4: unterminated string\n" },
	/* keys */
	{ "foo 1", "t.conf:1:1: unknown key \"foo\"\n" },
	{ "\n\n   Rules_dir \"x\"",
	    "t.conf:3:4: unknown key \"Rules_dir\"\n" },
	{ "\"rules_dir\" x",
	    "t.conf:1:1: expected a key, got string \"rules_dir\"\n" },
	{ "}", "t.conf:1:1: expected a key, got '}'\n" },
	{ "{ a 1 }\nfoo",
	    "t.conf:1:1: expected a key, got '{'\n"
	    "t.conf:2:1: unknown key \"foo\"\n" },
	{ "/x/ 1", "t.conf:1:1: expected a key, got regex\n" },
	{ "foo { a 1\nb 2 }\nbar",
	    "t.conf:1:1: unknown key \"foo\"\n"
	    "t.conf:3:1: unknown key \"bar\"\n" },
	{ "re_match_limit 2000\nre_match_limit 3000",
	    "t.conf:2:1: duplicate key \"re_match_limit\" (first set at "
	    "line 1)\n" },
	{ "log_level info\n\nlog_level info\nlog_level debug",
	    "t.conf:3:1: duplicate key \"log_level\" (first set at line 1)\n"
	    "t.conf:4:1: duplicate key \"log_level\" (first set at line "
	    "1)\n" },
	{ "rules_dir \"\xc3\xa9\" bogus",
	    "t.conf:1:15: rules_dir: expected end of line, got word "
	    "\"bogus\"\n" },
	{ "rules_dir \"\xe2\x82\xac\xe2\x82\xac\" re_match_limit 1",
	    "t.conf:1:16: rules_dir: expected end of line, got word "
	    "\"re_match_limit\"\n" },
	{ "foo\x01\x02 1", "t.conf:1:1: unknown key \"foo??\"\n" },
	{ "rules_dir \"a\\nb\" x",
	    "t.conf:1:18: rules_dir: expected end of line, got word \"x\"\n" },
	/* thresholds */
	{ "thresholds { flag 3.0  sensitive off  delete 15  silence 10  "
	  "suspend off }",
	    "t.conf:1:50: thresholds: silence 10 is below delete 15; "
	    "thresholds must not decrease with severity\n" },
	{ "thresholds { delete 15 }",
	    "t.conf:1:14: thresholds: silence 10 is below delete 15; "
	    "thresholds must not decrease with severity\n" },
	{ "thresholds {\n  flag 12\n}",
	    "t.conf:2:3: thresholds: silence 10 is below flag 12; "
	    "thresholds must not decrease with severity\n" },
	{ "thresholds { flag 5 sensitive 4 delete 3 silence 6 }",
	    "t.conf:1:21: thresholds: sensitive 4 is below flag 5; "
	    "thresholds must not decrease with severity\n"
	    "t.conf:1:33: thresholds: delete 3 is below flag 5; "
	    "thresholds must not decrease with severity\n" },
	{ "thresholds { flag 0 }",
	    "t.conf:1:19: thresholds.flag: value 0 out of range: a score "
	    "above 0 and at most 1000000, or off\n" },
	{ "thresholds { flag -1 }",
	    "t.conf:1:19: thresholds.flag: value -1 out of range: a score "
	    "above 0 and at most 1000000, or off\n" },
	{ "thresholds { suspend 1000001 }",
	    "t.conf:1:22: thresholds.suspend: value 1000001 out of range: a "
	    "score above 0 and at most 1000000, or off\n" },
	{ "thresholds { flag nan }",
	    "t.conf:1:19: thresholds.flag: invalid threshold \"nan\" (a "
	    "score, or off)\n" },
	{ "thresholds { flag 0x10 }",
	    "t.conf:1:19: thresholds.flag: invalid threshold \"0x10\" (a "
	    "score, or off)\n" },
	{ "thresholds { flag OFF }",
	    "t.conf:1:19: thresholds.flag: invalid threshold \"OFF\" (a "
	    "score, or off)\n" },
	{ "thresholds { none 1 }",
	    "t.conf:1:14: thresholds: unknown key \"none\" (expected delete, "
	    "flag, sensitive, silence or suspend)\n" },
	{ "thresholds { flag 1 flag 2 }",
	    "t.conf:1:21: thresholds: duplicate key \"flag\" (first set at "
	    "line 1)\n" },
	{ "thresholds { flag }",
	    "t.conf:1:19: thresholds.flag: missing value\n" },
	{ "thresholds { flag 1\n", "t.conf:1:1: thresholds: missing '}'\n" },
	{ "thresholds\n{\nflag 1\n}\n",
	    "t.conf:1:11: thresholds: expected '{', got end of line\n"
	    "t.conf:2:1: expected a key, got '{'\n" },
	{ "thresholds flag 1",
	    "t.conf:1:12: thresholds: expected '{', got word \"flag\"\n" },
	{ "thresholds { flag 1 } silence",
	    "t.conf:1:23: thresholds: expected end of line, got word "
	    "\"silence\"\n" },
	{ "thresholds { flag { 1 } silence 2 }",
	    "t.conf:1:19: thresholds.flag: expected a value, got '{'\n"
	    "t.conf:1:25: thresholds: silence 2 is below flag 3; thresholds "
	    "must not decrease with severity\n" },
	{ "thresholds { flag 1 }\nthresholds { flag 2 }",
	    "t.conf:2:1: duplicate key \"thresholds\" (first set at line "
	    "1)\n" },
	{ "thresholds { \"flag\" 1 silence 0 }",
	    "t.conf:1:14: thresholds: expected a key, got string \"flag\"\n"
	    "t.conf:1:31: thresholds.silence: value 0 out of range: a score "
	    "above 0 and at most 1000000, or off\n" },
};

static void
test_errors(void **state)
{
	struct conf *c = NULL;
	char        *got;
	size_t       i;

	(void) state;
	for (i = 0; i < nitems(error_cases); i++) {
		assert_int_equal(
		    test_load(error_cases[i].src, &c, &got), MOD_EINVAL);
		if (strcmp(got, error_cases[i].want) != 0)
			fail_msg("case %zu: %s\ngot:\n%swant:\n%s", i,
			    error_cases[i].src, got, error_cases[i].want);
		free(got);
	}
}

/* Everything wrong at once: every error, in order, with its position. */
static void
test_all_errors_reported(void **state)
{
	(void) state;
	test_expect_errors("# moderd.conf with many problems\n"
	                   "re_match_limit 5\n"
	                   "log_level loud\n"
	                   "\n"
	                   "frobnicate yes\n"
	                   "re_match_limit 6\n"
	                   "thresholds {\n"
	                   "\tflag x\n"
	                   "\tbogus 1   silence 0\n"
	                   "}\n"
	                   "  state_dir \"\"\n"
	                   "rules_dir \"unterminated\n"
	                   "re_depth_limit 1 2\n",
	    "t.conf:2:16: re_match_limit: value 5 out of range "
	    "1000..10000000\n"
	    "t.conf:3:11: log_level: invalid value \"loud\" (expected info "
	    "or debug)\n"
	    "t.conf:5:1: unknown key \"frobnicate\"\n"
	    "t.conf:6:1: duplicate key \"re_match_limit\" (first set at line "
	    "2)\n"
	    "t.conf:8:7: thresholds.flag: invalid threshold \"x\" (a score, "
	    "or off)\n"
	    "t.conf:9:2: thresholds: unknown key \"bogus\" (expected delete, "
	    "flag, sensitive, silence or suspend)\n"
	    "t.conf:9:20: thresholds.silence: value 0 out of range: a score "
	    "above 0 and at most 1000000, or off\n"
	    "t.conf:11:13: state_dir: value must not be empty\n"
	    "t.conf:12:11: unterminated string\n"
	    "t.conf:13:16: re_depth_limit: value 1 out of range "
	    "100..1000000\n"
	    "t.conf:13:18: re_depth_limit: expected end of line, got word "
	    "\"2\"\n");
}

static void
test_errlist_null_and_appending(void **state)
{
	struct mod_errlist errs = { 0 };
	struct conf        dummy, *c = &dummy;

	(void) state;
	assert_int_equal(
	    conf_load_buffer("t.conf", "foo 1", 5, &c, NULL), MOD_EINVAL);
	assert_null(c);
	/* Errors already in the list are kept and do not count. */
	mod_errlist_add(&errs, "earlier", 1, 1, "something");
	assert_int_equal(conf_load_buffer("t.conf", "", 0, &c, &errs), 0);
	assert_int_equal(errs.n, 1);
	conf_free(c);
	assert_int_equal(
	    conf_load_buffer("t.conf", "x 1", 3, &c, &errs), MOD_EINVAL);
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.msgs[1], "t.conf:1:1: unknown key \"x\"");
	mod_errlist_free(&errs);
}

static void
test_buffer_not_nul_terminated(void **state)
{
	struct conf *c = NULL;
	char         src[] = "re_match_limit 20001";

	(void) state;
	/* Only the first 19 bytes count: "re_match_limit 2000". */
	assert_int_equal(conf_load_buffer("t.conf", src, 19, &c, NULL), 0);
	assert_int_equal(c->re_match_limit, 2000);
	conf_free(c);
}

static void
test_nul_byte_in_value(void **state)
{
	static const char  src[] = "rules_dir \"a\0b\"\nlog_level in\0fo\n";
	struct mod_errlist errs = { 0 };
	struct conf       *c = NULL;
	char              *got;

	(void) state;
	assert_int_equal(
	    conf_load_buffer("t.conf", src, sizeof(src) - 1, &c, &errs),
	    MOD_EINVAL);
	got = test_join(&errs);
	/* The lexer refuses the NUL itself, inside or outside a string. */
	assert_string_equal(got,
	    "t.conf:1:11: NUL byte in string\n"
	    "t.conf:2:11: log_level: invalid value \"in\" (expected info or "
	    "debug)\n"
	    "t.conf:2:13: NUL byte\n");
	free(got);
	mod_errlist_free(&errs);
}

static void
test_too_big(void **state)
{
	struct mod_errlist errs = { 0 };
	struct conf       *c = NULL;
	char              *src;

	(void) state;
	src = xmalloc(MOD_MAX_CONF_FILE_BYTES + 1);
	memset(src, '\n', MOD_MAX_CONF_FILE_BYTES + 1);
	assert_int_equal(conf_load_buffer("big.conf", src,
	                     MOD_MAX_CONF_FILE_BYTES + 1, &c, &errs),
	    MOD_ETOOBIG);
	assert_null(c);
	assert_string_equal(
	    errs.msgs[0], "big.conf: file is 1048577 bytes, limit 1048576");
	mod_errlist_free(&errs);
	/* Exactly at the limit is fine. */
	assert_int_equal(conf_load_buffer("big.conf", src,
	                     MOD_MAX_CONF_FILE_BYTES, &c, &errs),
	    0);
	conf_free(c);
	free(src);
}

static void
test_long_values(void **state)
{
	struct conf *c = NULL;
	struct buf   b;
	char        *err;

	(void) state;
	buf_init(&b, 0);
	/* A path of MOD_MAX_PATH_BYTES - 1 bytes is the longest allowed... */
	assert_int_equal(buf_appends(&b, "rules_dir \""), 0);
	while (b.len < strlen("rules_dir \"") + MOD_MAX_PATH_BYTES - 1)
		assert_int_equal(buf_appendc(&b, 'p'), 0);
	assert_int_equal(buf_appends(&b, "\""), 0);
	assert_int_equal(test_load(buf_cstr(&b), &c, &err), 0);
	assert_int_equal(strlen(c->rules_dir), MOD_MAX_PATH_BYTES - 1);
	conf_free(c);
	free(err);
	/* ...but a state_dir that long leaves no room for "/cache". */
	buf_reset(&b);
	assert_int_equal(buf_appends(&b, "state_dir "), 0);
	while (b.len < strlen("state_dir ") + MOD_MAX_PATH_BYTES - 1)
		assert_int_equal(buf_appendc(&b, 's'), 0);
	assert_int_equal(test_load(buf_cstr(&b), &c, &err), MOD_EINVAL);
	assert_string_equal(err,
	    "t.conf: rules_cache_dir: state_dir too "
	    "long to derive it from\n");
	free(err);
	/* A path one byte longer is refused outright. */
	assert_int_equal(buf_appendc(&b, 's'), 0);
	assert_int_equal(test_load(buf_cstr(&b), &c, &err), MOD_EINVAL);
	assert_string_equal(
	    err, "t.conf:1:11: state_dir: value is 4096 bytes, limit 4095\n");
	free(err);
	/* Long input quoted back in a message is clipped. */
	buf_reset(&b);
	while (b.len < 200)
		assert_int_equal(buf_appendc(&b, 'k'), 0);
	assert_int_equal(test_load(buf_cstr(&b), &c, &err), MOD_EINVAL);
	assert_int_equal(strlen(err),
	    strlen("t.conf:1:1: unknown key \"\"...\n")
	        + MOD_MAX_CONF_QUOTE_BYTES);
	free(err);
	buf_free(&b);
}

/* ---- files ---- */

static void
test_load_files(void **state)
{
	struct mod_errlist errs = { 0 };
	struct conf       *c = NULL;
	char               path[] = "/tmp/test_conf.XXXXXX";
	char              *big;
	int                fd;

	(void) state;
	assert_int_equal(
	    conf_load("/nonexistent/moderd.conf", &c, &errs), MOD_ENOENT);
	assert_null(c);
	assert_string_equal(errs.msgs[0],
	    "/nonexistent/moderd.conf: No such file or directory");
	assert_int_equal(conf_load("/tmp", &c, &errs), MOD_EIO);
	assert_string_equal(errs.msgs[1], "/tmp: not a regular file");
	mod_errlist_free(&errs);

	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, "log_level debug\nfoo 1\n", 22), 22);
	assert_int_equal(conf_load(path, &c, &errs), MOD_EINVAL);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msgs[0], ":2:1: unknown key \"foo\""));
	assert_int_equal(strncmp(errs.msgs[0], path, strlen(path)), 0);
	mod_errlist_free(&errs);

	big = xcalloc(1, MOD_MAX_CONF_FILE_BYTES + 1);
	memset(big, '#', MOD_MAX_CONF_FILE_BYTES);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, big, MOD_MAX_CONF_FILE_BYTES + 1, 0),
	    MOD_MAX_CONF_FILE_BYTES + 1);
	assert_int_equal(conf_load(path, &c, &errs), MOD_ETOOBIG);
	assert_int_equal(errs.n, 1);
	free(big);
	mod_errlist_free(&errs);
	close(fd);
	unlink(path);
}

/* Lines like "#key value", "#\tflag 3" and "#}" are settings. */
static char *
test_uncomment(const char *src)
{
	struct buf  b;
	const char *p = src;

	buf_init(&b, 0);
	for (; *p != '\0'; p++) {
		if (*p == '#' && (p == src || p[-1] == '\n') && p[1] != ' '
		    && p[1] != '#' && p[1] != '\n' && p[1] != '\0')
			continue;
		assert_int_equal(buf_appendc(&b, *p), 0);
	}
	return buf_steal(&b);
}

static void
test_example_file(void **state)
{
	struct conf *d = NULL, *c = NULL;
	char        *src, *open, *err, *want, *got;

	(void) state;
	assert_int_equal(conf_defaults(&d), 0);
	want = test_dump_conf(d);
	src = test_srcfile("examples/moderd.conf");
	assert_int_equal(test_load(src, &c, &err), 0);
	got = test_dump_conf(c);
	assert_string_equal(got, want);
	free(got);
	free(err);
	conf_free(c);

	/* Uncommented, every documented default must be the real one. */
	open = test_uncomment(src);
	assert_non_null(strstr(open, "\nre_match_limit 100000\n"));
	assert_non_null(strstr(open, "\nthresholds {\n"));
	assert_int_equal(test_load(open, &c, &err), 0);
	assert_string_equal(err, "");
	got = test_dump_conf(c);
	assert_string_equal(got, want);
	free(got);
	free(err);
	conf_free(c);
	free(open);
	free(src);
	free(want);
	conf_free(d);
}

/* Every key appears in examples/moderd.conf and in moderd.conf(5). */
static void
test_every_key_documented(void **state)
{
	const struct conf_table *s = &conf_thresholds_table;
	char                    *ex, *man, want[128];
	size_t                   i;

	(void) state;
	ex = test_srcfile("examples/moderd.conf");
	man = test_srcfile("doc/moderd.conf.5");
	for (i = 0; i < conf_top.nkeys; i++) {
		snprintf(want, sizeof(want), "\n#%s ", conf_top.keys[i].name);
		if (strstr(ex, want) == NULL)
			fail_msg("%s not in examples/moderd.conf",
			    conf_top.keys[i].name);
		snprintf(
		    want, sizeof(want), "\n.It Ic %s ", conf_top.keys[i].name);
		if (strstr(man, want) == NULL)
			fail_msg(
			    "%s not in moderd.conf.5", conf_top.keys[i].name);
	}
	for (i = 0; i < s->nkeys; i++) {
		snprintf(want, sizeof(want), "\n#\t%s\t", s->keys[i].name);
		assert_non_null(strstr(ex, want));
		snprintf(want, sizeof(want), "\n.Ic %s", s->keys[i].name);
		assert_non_null(strstr(man, want));
	}
	free(ex);
	free(man);
}

/* ---- views and the swap ---- */

static void
test_views(void **state)
{
	struct ruleset_opts    o = { .no_prefilter = true };
	struct rule_thresholds t;
	struct conf           *c = NULL, bad;
	char                  *err;

	(void) state;
	assert_int_equal(test_load("re_match_limit 1234\nre_depth_limit 567\n"
	                           "re_heap_limit_kib 89\n"
	                           "state_dir \"/s\"\n"
	                           "thresholds { delete 7 }\n",
	                     &c, &err),
	    0);
	free(err);
	assert_int_equal(conf_ruleset_opts(c, &o), 0);
	assert_int_equal(o.match_limit, 1234);
	assert_int_equal(o.depth_limit, 567);
	assert_int_equal(o.heap_limit_kib, 89);
	assert_string_equal(o.cache_dir, "/s/cache");
	assert_ptr_equal(o.cache_dir, c->rules_cache_dir);
	assert_true(o.no_prefilter);
	assert_null(o.example);
	conf_thresholds(c, &t);
	assert_true(t.min[RULE_A_NONE] < 0);
	assert_true(t.min[RULE_A_FLAG] == 3);
	assert_true(t.min[RULE_A_SENSITIVE] < 0);
	assert_true(t.min[RULE_A_DELETE] == 7);
	assert_true(t.min[RULE_A_SILENCE] == 10);
	conf_free(c);

	memset(&bad, 0, sizeof(bad));
	memset(&o, 0, sizeof(o));
	assert_int_equal(conf_ruleset_opts(&bad, &o), MOD_EINVAL);
	assert_int_equal(o.match_limit, 0);
}

static struct conf *
test_conf_with_limit(uint32_t limit)
{
	struct conf *c = NULL;
	char         src[64], *err;

	snprintf(src, sizeof(src), "re_match_limit %u\n", limit);
	assert_int_equal(test_load(src, &c, &err), 0);
	free(err);
	return c;
}

static void
test_swap(void **state)
{
	const struct conf *r1, *r2, *r3;

	(void) state;
	assert_null(conf_get());
	conf_put(NULL);
	conf_install(test_conf_with_limit(1111));
	r1 = conf_get();
	assert_int_equal(r1->re_match_limit, 1111);
	conf_install(test_conf_with_limit(2222));
	r2 = conf_get();
	assert_int_equal(r2->re_match_limit, 2222);
	/* The old reader still sees its configuration, whole and valid. */
	assert_int_equal(r1->re_match_limit, 1111);
	assert_string_equal(r1->rules_dir, "/etc/moderd/rules");
	r3 = conf_get();
	assert_ptr_equal(r2, r3);
	conf_put(r1); /* last reference to 1111: freed (ASan watches) */
	conf_install(NULL);
	assert_null(conf_get());
	assert_int_equal(r2->re_match_limit, 2222);
	conf_put(r2);
	assert_int_equal(r3->re_match_limit, 2222);
	conf_put(r3);
}

#define TEST_SWAP_THREADS 4
#define TEST_SWAP_ROUNDS 20000

static void *
test_swap_reader(void *arg)
{
	const struct conf *c;
	int                i, *bad = arg;

	for (i = 0; i < TEST_SWAP_ROUNDS; i++) {
		if ((c = conf_get()) == NULL)
			continue;
		/* Each config's limit is 1000 + its depth limit. */
		if (c->re_match_limit != 1000 + c->re_depth_limit)
			(*bad)++;
		conf_put(c);
	}
	return NULL;
}

static void
test_swap_threads(void **state)
{
	pthread_t    th[TEST_SWAP_THREADS];
	int          bad[TEST_SWAP_THREADS] = { 0 }, i;
	struct conf *c;
	char         src[128], *err;

	(void) state;
	for (i = 0; i < TEST_SWAP_THREADS; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, test_swap_reader, &bad[i]),
		    0);
	for (i = 0; i < 200; i++) {
		snprintf(src, sizeof(src),
		    "re_depth_limit %d\nre_match_limit %d\n", 100 + i,
		    1100 + i);
		assert_int_equal(test_load(src, &c, &err), 0);
		free(err);
		conf_install(c);
	}
	for (i = 0; i < TEST_SWAP_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(bad[i], 0);
	}
	conf_install(NULL);
}

/* ---- the generic engine, on a test table of every type ---- */

struct titem {
	char    *name;
	int      type;
	char    *url;
	uint32_t weight;
};

struct tsect {
	bool    on;
	int64_t wait_ms;
};

struct tconf {
	size_t        body;
	bool          debug;
	struct titem *intakes;
	size_t        nintakes;
	char         *label;
	char         *path;
	double        ratio;
	struct tsect  sect;
	int64_t       timeout_ms;
	uint32_t      workers;
};

static const char *const test_types[] = { "pull", "sub", "rep", NULL };

static const struct conf_key test_item_keys[] = {
	CONF_KEY_ENUM(struct titem, "type", type, "pull", test_types),
	CONF_KEY(struct titem, "url", STR, url, NULL, 0, 0, CONF_F_REQUIRED),
	CONF_KEY(struct titem, "weight", UINT, weight, "1", 1, 10, 0),
};
static const struct conf_table test_item_table
    = CONF_BLOCK_TABLE(test_item_keys, struct titem, NULL);

static const struct conf_key test_sect_keys[] = {
	CONF_KEY(struct tsect, "on", BOOL, on, "no", 0, 0, 0),
	CONF_KEY(struct tsect, "wait_ms", MS, wait_ms, "1s", 0, 60000, 0),
};
static const struct conf_table test_sect_table
    = CONF_TABLE(test_sect_keys, NULL);

#define TK(n, t, f, d, lo, hi, fl)                                            \
	CONF_KEY(struct tconf, n, t, f, d, lo, hi, fl)
static const struct conf_key test_keys[] = {
	TK("body", SIZE, body, "256k", 1024, 1048576, 0),
	TK("debug", BOOL, debug, "off", 0, 0, 0),
	CONF_KEY_BLOCKS(struct tconf, "intake", intakes, struct titem,
	    nintakes, &test_item_table),
	TK("label", STR, label, "moderd", 0, 8, 0),
	TK("path", PATH, path, "", 0, 0, CONF_F_EMPTY),
	TK("ratio", DOUBLE, ratio, "0.5", 0, 1, 0),
	CONF_KEY_SECTION(
	    struct tconf, "sect", sect, struct tsect, &test_sect_table),
	TK("timeout_ms", MS, timeout_ms, "5s", 100, 600000, 0),
	TK("workers", UINT, workers, "4", 1, 64, 0),
};
static const struct conf_table test_top = CONF_TABLE(test_keys, NULL);

/* Parse src with the test table; returns the number of errors. */
static size_t
test_tparse(const char *src, struct tconf *tc, char **errtext)
{
	static const struct conf_pos nowhere = { 0, 0 };
	struct mod_errlist           errs = { 0 };
	struct conf_parser          *p = xcalloc(1, sizeof(*p));
	struct conf_ctx              cx;
	size_t                       n;

	memset(tc, 0, sizeof(*tc));
	conf_ctx_init(&cx, "t.conf", &errs, "", nowhere);
	conf_defaults_table(&test_top, tc, &cx);
	assert_int_equal(errs.n, 0);
	lex_init(&p->lx, "t.conf", src, strlen(src));
	conf_parse_top(p, &cx, &test_top, tc);
	*errtext = test_join(&errs);
	n = errs.n;
	mod_errlist_free(&errs);
	free(p);
	return n;
}

static void
test_engine_table_sound(void **state)
{
	static const struct conf_key bad_uint[] = {
		CONF_KEY(
		    struct tconf, "workers", UINT, workers, "1", -1, 2, 0),
	};
	static const struct conf_key bad_order[] = {
		TK("label", STR, label, "x", 0, 0, 0),
		TK("body", SIZE, body, "1", 0, 1, 0),
	};
	static const struct conf_key bad_nodef[] = {
		TK("label", STR, label, NULL, 0, 0, 0),
	};
	static const struct conf_key nested[] = {
		CONF_KEY_SECTION(struct tconf, "sect", sect, struct tsect,
		    &test_sect_table),
	};
	static const struct conf_table t_uint = CONF_TABLE(bad_uint, NULL);
	static const struct conf_table t_order = CONF_TABLE(bad_order, NULL);
	static const struct conf_table t_nodef = CONF_TABLE(bad_nodef, NULL);
	static const struct conf_table t_nested = CONF_TABLE(nested, NULL);

	(void) state;
	assert_true(conf_table_ok(&test_top));
	assert_false(conf_table_ok(&t_uint));
	assert_false(conf_table_ok(&t_order));
	assert_false(conf_table_ok(&t_nodef));
	assert_true(conf_table_ok(&t_nested));
	assert_false(conf_keys_ok(&t_nested, true)); /* blocks don't nest */
}

static const struct {
	const char *src;
	const char *key; /* "body", "sect.on", … */
	const char *want;
} engine_values[] = {
	{ "", "body", "262144" },
	{ "", "debug", "0" },
	{ "", "label", "moderd" },
	{ "", "path", "" },
	{ "", "ratio", "0.5" },
	{ "", "sect.on", "0" },
	{ "", "sect.wait_ms", "1000" },
	{ "", "timeout_ms", "5000" },
	{ "", "workers", "4" },
	{ "body 1024", "body", "1024" },
	{ "body 1m", "body", "1048576" },
	{ "body 64K", "body", "65536" },
	{ "debug yes", "debug", "1" },
	{ "debug true", "debug", "1" },
	{ "debug on", "debug", "1" },
	{ "debug no", "debug", "0" },
	{ "debug false", "debug", "0" },
	{ "debug \"off\"", "debug", "0" },
	{ "label \"a b c\"", "label", "a b c" },
	{ "label 12345678", "label", "12345678" },
	{ "path \"\"", "path", "" },
	{ "path \"/x\"", "path", "/x" },
	{ "ratio 0", "ratio", "0" },
	{ "ratio 1", "ratio", "1" },
	{ "ratio .25", "ratio", "0.25" },
	{ "ratio 2.5e-1", "ratio", "0.25" },
	{ "timeout_ms 100", "timeout_ms", "100" },
	{ "timeout_ms 250ms", "timeout_ms", "250" },
	{ "timeout_ms 5s", "timeout_ms", "5000" },
	{ "timeout_ms 10m", "timeout_ms", "600000" },
	{ "timeout_ms 0m", "timeout_ms", "0" }, /* caught below: range */
	{ "workers 64", "workers", "64" },
	{ "sect { on yes wait_ms 2s }", "sect.on", "1" },
	{ "sect { on yes wait_ms 2s }", "sect.wait_ms", "2000" },
	{ "sect {\n wait_ms 0\n}", "sect.wait_ms", "0" },
	{ "sect {\n wait_ms 1m\n}", "sect.wait_ms", "60000" },
};

static void
test_engine_values(void **state)
{
	struct tconf tc;
	struct buf   b;
	char        *err, want[256];
	size_t       i;

	(void) state;
	for (i = 0; i < nitems(engine_values); i++) {
		size_t n = test_tparse(engine_values[i].src, &tc, &err);

		if (strcmp(engine_values[i].src, "timeout_ms 0m") == 0) {
			assert_int_equal(n, 1);
			assert_string_equal(err,
			    "t.conf:1:12: timeout_ms: value 0m out of range "
			    "100..600000 ms\n");
			free(err);
			conf_free_table(&test_top, &tc);
			continue;
		}
		if (n != 0)
			fail_msg("case %zu: %s", i, err);
		buf_init(&b, 0);
		test_dump(&test_top, &tc, &b);
		snprintf(want, sizeof(want), "%s=%s\n", engine_values[i].key,
		    engine_values[i].want);
		if (strstr(buf_cstr(&b), want) == NULL)
			fail_msg(
			    "case %zu: want %s in\n%s", i, want, buf_cstr(&b));
		buf_free(&b);
		free(err);
		conf_free_table(&test_top, &tc);
	}
}

static const struct {
	const char *src, *want;
} engine_errors[] = {
	{ "body 1023",
	    "t.conf:1:6: body: value 1023 out of range 1024..1048576 "
	    "bytes\n" },
	{ "body 2m",
	    "t.conf:1:6: body: value 2m out of range 1024..1048576 bytes\n" },
	{ "body 12q",
	    "t.conf:1:6: body: invalid size \"12q\" (a number, optionally "
	    "with k, m or g)\n" },
	{ "body -1k",
	    "t.conf:1:6: body: invalid size \"-1k\" (a number, optionally "
	    "with k, m or g)\n" },
	{ "body k",
	    "t.conf:1:6: body: invalid size \"k\" (a number, optionally "
	    "with k, m or g)\n" },
	{ "debug maybe",
	    "t.conf:1:7: debug: invalid boolean \"maybe\" (expected yes, no, "
	    "true, false, on or off)\n" },
	{ "debug Yes",
	    "t.conf:1:7: debug: invalid boolean \"Yes\" (expected yes, no, "
	    "true, false, on or off)\n" },
	{ "debug 1",
	    "t.conf:1:7: debug: invalid boolean \"1\" (expected yes, no, "
	    "true, false, on or off)\n" },
	{ "label 123456789",
	    "t.conf:1:7: label: value is 9 bytes, limit 8\n" },
	{ "label \"\"", "t.conf:1:7: label: value must not be empty\n" },
	{ "ratio 1.01", "t.conf:1:7: ratio: value 1.01 out of range 0..1\n" },
	{ "ratio -0.1", "t.conf:1:7: ratio: value -0.1 out of range 0..1\n" },
	{ "ratio half", "t.conf:1:7: ratio: invalid number \"half\"\n" },
	{ "ratio nan", "t.conf:1:7: ratio: invalid number \"nan\"\n" },
	{ "ratio inf", "t.conf:1:7: ratio: invalid number \"inf\"\n" },
	{ "ratio 0x1p-1", "t.conf:1:7: ratio: invalid number \"0x1p-1\"\n" },
	{ "ratio 1e999", "t.conf:1:7: ratio: invalid number \"1e999\"\n" },
	{ "timeout_ms 99",
	    "t.conf:1:12: timeout_ms: value 99 out of range 100..600000 "
	    "ms\n" },
	{ "timeout_ms 11m",
	    "t.conf:1:12: timeout_ms: value 11m out of range 100..600000 "
	    "ms\n" },
	{ "timeout_ms 5x",
	    "t.conf:1:12: timeout_ms: invalid duration \"5x\" (e.g. 250ms, "
	    "5s, 10m, 2h, 30d)\n" },
	{ "timeout_ms ms",
	    "t.conf:1:12: timeout_ms: invalid duration \"ms\" (e.g. 250ms, "
	    "5s, 10m, 2h, 30d)\n" },
	{ "timeout_ms -5ms",
	    "t.conf:1:12: timeout_ms: invalid duration \"-5ms\" (e.g. "
	    "250ms, 5s, 10m, 2h, 30d)\n" },
	{ "timeout_ms 500 s",
	    "t.conf:1:16: timeout_ms: expected end of line, got word "
	    "\"s\"\n" },
	{ "timeout_ms 99999999999999999999ms",
	    "t.conf:1:12: timeout_ms: invalid duration "
	    "\"99999999999999999999ms\" (e.g. 250ms, 5s, 10m, 2h, 30d)\n" },
	{ "workers 0", "t.conf:1:9: workers: value 0 out of range 1..64\n" },
	{ "sect { on maybe }",
	    "t.conf:1:11: sect.on: invalid boolean \"maybe\" (expected yes, "
	    "no, true, false, on or off)\n" },
	{ "sect { wait_ms 2m }",
	    "t.conf:1:16: sect.wait_ms: value 2m out of range 0..60000 ms\n" },
	{ "sect { off 1 }",
	    "t.conf:1:8: sect: unknown key \"off\" (expected on or "
	    "wait_ms)\n" },
	/* repeated named blocks */
	{ "intake a { type pull }",
	    "t.conf:1:1: intake.a: missing required key \"url\"\n" },
	{ "intake a { url x type push }",
	    "t.conf:1:23: intake.a.type: invalid value \"push\" (expected "
	    "pull, sub or rep)\n" },
	{ "intake a { url x }\nintake a { url y weight 0 }",
	    "t.conf:2:8: intake: duplicate name \"a\"\n"
	    "t.conf:2:25: intake.a.weight: value 0 out of range 1..10\n" },
	{ "intake \"a b\" { url x weight 11 }",
	    "t.conf:1:8: intake: invalid name \"a b\" (letters, digits, '_' "
	    "and '-', at most 63 bytes)\n"
	    "t.conf:1:29: intake.?.weight: value 11 out of range 1..10\n" },
	{ "intake { url x }",
	    "t.conf:1:8: intake: expected a name, got '{'\n" },
	{ "intake a url x",
	    "t.conf:1:10: intake.a: expected '{', got word \"url\"\n" },
	{ "intake a { url x url y }",
	    "t.conf:1:18: intake.a: duplicate key \"url\" (first set at line "
	    "1)\n" },
	{ "intake a {\n url x\n", "t.conf:1:1: intake.a: missing '}'\n" },
};

static void
test_engine_errors(void **state)
{
	struct tconf tc;
	char        *got;
	size_t       i;

	(void) state;
	for (i = 0; i < nitems(engine_errors); i++) {
		assert_true(test_tparse(engine_errors[i].src, &tc, &got) > 0);
		if (strcmp(got, engine_errors[i].want) != 0)
			fail_msg("case %zu: %s\ngot:\n%swant:\n%s", i,
			    engine_errors[i].src, got, engine_errors[i].want);
		free(got);
		conf_free_table(&test_top, &tc);
	}
}

static void
test_engine_blocks(void **state)
{
	struct tconf tc;
	struct buf   b;
	char        *err;
	int          i;

	(void) state;
	assert_int_equal(test_tparse("intake main { type sub url "
	                             "\"tcp://127.0.0.1:7000\" }\n"
	                             "workers 2\n"
	                             "intake \"backup-2\" {\n"
	                             "\turl \"ipc:///run/m.ipc\"\n"
	                             "\tweight 3\n"
	                             "}\n",
	                     &tc, &err),
	    0);
	free(err);
	assert_int_equal(tc.nintakes, 2);
	assert_string_equal(tc.intakes[0].name, "main");
	assert_int_equal(tc.intakes[0].type, 1);
	assert_string_equal(tc.intakes[0].url, "tcp://127.0.0.1:7000");
	assert_int_equal(tc.intakes[0].weight, 1); /* the default */
	assert_string_equal(tc.intakes[1].name, "backup-2");
	assert_int_equal(tc.intakes[1].type, 0);
	assert_int_equal(tc.intakes[1].weight, 3);
	assert_int_equal(tc.workers, 2);
	conf_free_table(&test_top, &tc);

	/* At most MOD_MAX_CONF_BLOCKS_COUNT blocks of one kind. */
	buf_init(&b, 0);
	for (i = 0; i <= MOD_MAX_CONF_BLOCKS_COUNT; i++)
		assert_int_equal(
		    buf_printf(&b, "intake i%d { url u }\n", i), 0);
	assert_int_equal(test_tparse(buf_cstr(&b), &tc, &err), 1);
	assert_int_equal(tc.nintakes, MOD_MAX_CONF_BLOCKS_COUNT);
	assert_string_equal(err, "t.conf:65:8: intake: more than 64 blocks\n");
	free(err);
	conf_free_table(&test_top, &tc);
	buf_free(&b);
}

/* Hostile shapes end in errors, never in a hang or a crash. */
static void
test_hostile(void **state)
{
	static const char *const srcs[] = {
		"{{{{{{{{{{{{{{{{{{{{",
		"}}}}}}}}}}}}}}}}}}}}",
		"thresholds {{{{{{{ }}}",
		"thresholds { flag 1 \"",
		"foo { { { } } \n",
		"\"\n\"\n\"\n/\n/\n",
		"thresholds { flag 1 } } } }",
		"thresholds { /x/ 1 /y/ }",
		"re_match_limit /x/iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii",
	};
	struct conf *c = NULL;
	char        *err;
	size_t       i;

	(void) state;
	for (i = 0; i < nitems(srcs); i++) {
		assert_int_equal(test_load(srcs[i], &c, &err), MOD_EINVAL);
		assert_true(strlen(err) > 0);
		free(err);
	}
}

/* ---- feed blocks and the feeds_* keys ---- */

static void
test_feeds(void **state)
{
	struct conf            *c = NULL;
	const struct conf_feed *f;
	char                   *err;

	(void) state;
	assert_int_equal(test_load("feeds_quorum 2.5\nfeeds_merge min\n"
	                           "feeds_max_share 0\n"
	                           "feeds_exclude_file \"/etc/x\"\n"
	                           "feed a { url \"https://a.example/l.csv\" "
	                           "trust 0.5 max_severity silence\n"
	                           "refresh 0 format mastodon-csv "
	                           "auth_header \"Authorization: Bearer t\" "
	                           "max_bytes 1m timeout 5s }\n"
	                           "feed b { path \"/x/b.txt\" trust 0 }\n",
	                     &c, &err),
	    0);
	assert_string_equal(err, "");
	free(err);
	assert_true(c->feeds_quorum == 2.5);
	assert_int_equal(c->feeds_merge, CONF_FEEDS_MERGE_MIN);
	assert_true(c->feeds_max_share == 0);
	assert_string_equal(c->feeds_exclude_file, "/etc/x");
	assert_string_equal(c->feeds_known_domains_file, "");
	assert_int_equal(c->nfeed, 2);
	f = &c->feed[0];
	assert_string_equal(f->name, "a");
	assert_string_equal(f->url, "https://a.example/l.csv");
	assert_string_equal(f->path, "");
	assert_true(f->trust == 0.5);
	assert_string_equal(f->max_severity, "silence");
	assert_int_equal(f->refresh_ms, 0);
	assert_string_equal(f->format, "mastodon-csv");
	assert_string_equal(f->auth_header, "Authorization: Bearer t");
	assert_int_equal(f->max_bytes, 1024 * 1024);
	assert_int_equal(f->timeout_ms, 5000);
	f = &c->feed[1]; /* defaults */
	assert_string_equal(f->path, "/x/b.txt");
	assert_string_equal(f->url, "");
	assert_true(f->trust == 0);
	assert_string_equal(f->format, "auto");
	assert_string_equal(f->max_severity, "suspend");
	assert_int_equal(f->refresh_ms, 3600000);
	assert_string_equal(f->pubkey, "");
	assert_string_equal(f->signature_url, "");
	assert_int_equal(f->max_bytes, 16 * 1024 * 1024);
	assert_int_equal(f->timeout_ms, 30000);
	conf_free(c);

	/* Defaults of the top-level keys. */
	assert_int_equal(conf_defaults(&c), 0);
	assert_true(c->feeds_quorum == 1.0);
	assert_true(c->feeds_max_share == 0.2);
	assert_int_equal(c->feeds_merge, CONF_FEEDS_MERGE_MAX);
	assert_int_equal(c->nfeed, 0);
	conf_free(c);
}

static void
test_feed_errors(void **state)
{
	static const struct {
		const char *src, *want;
	} cases[] = {
		{ "feed a { trust 1 }",
		    "t.conf:1:1: feed.a: one of url and path is required\n" },
		{ "feed a {\n url \"https://x.example/l\"\n path \"/l\"\n}",
		    "t.conf:3:2: feed.a: url and path are exclusive: set only "
		    "one\n" },
		{ "feed a { path \"/l\" trust -1 }",
		    "t.conf:1:26: feed.a.trust: value -1 out of range "
		    "0..1000\n" },
		{ "feed a { url \"http://example.com/l\" }",
		    "t.conf:1:10: feed.a.url: must be https:// (http:// only "
		    "to "
		    "127.0.0.1, [::1] or localhost; a local file goes in "
		    "path)\n" },
		{ "feed a { url \"file:///etc/l\" }",
		    "t.conf:1:10: feed.a.url: must be https:// (http:// only "
		    "to "
		    "127.0.0.1, [::1] or localhost; a local file goes in "
		    "path)\n" },
		{ "feed a { path \"/l\" signature_url \"https://x/l.sig\" }",
		    "t.conf:1:20: feed.a.signature_url: only with url (a path "
		    "feed is verified with PATH.sig)\n" },
		{ "feed a { path \"/l\" format xml max_severity ban }",
		    "t.conf:1:20: feed.a.format: unknown format \"xml\"\n"
		    "t.conf:1:31: feed.a.max_severity: expected noop, silence "
		    "or suspend\n" },
		{ "feed a { path \"/l\" pubkey \"abc\" }",
		    "t.conf:1:20: feed.a.pubkey: expected 44 base64 "
		    "characters "
		    "(an Ed25519 public key, as moderctl feeds keygen writes "
		    "it)\n" },
		{ "feed a { path \"/l\" auth_header \"Bearer x\" }",
		    "t.conf:1:20: feed.a.auth_header: expected one \"Name: "
		    "value\" line\n" },
		{ "feed a { path \"/l\" refresh 10s }",
		    "t.conf:1:20: feed.a.refresh: at least 1m, or 0 for "
		    "manual "
		    "syncs only\n" },
		{ "feeds_merge avg",
		    "t.conf:1:13: feeds_merge: invalid value \"avg\" "
		    "(expected "
		    "max or min)\n" },
		{ "feeds_quorum -2",
		    "t.conf:1:14: feeds_quorum: value -2 out of range "
		    "0..64000\n" },
		{ "feeds_max_share 1.5",
		    "t.conf:1:17: feeds_max_share: value 1.5 out of range "
		    "0..1\n" },
	};
	size_t i;

	(void) state;
	for (i = 0; i < nitems(cases); i++)
		test_expect_errors(cases[i].src, cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_documented),
		cmocka_unit_test(test_empty_file_is_defaults),
		cmocka_unit_test(test_table_sound),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_errlist_null_and_appending),
		cmocka_unit_test(test_buffer_not_nul_terminated),
		cmocka_unit_test(test_nul_byte_in_value),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_every_key_documented),
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_swap_threads),
		cmocka_unit_test(test_engine_table_sound),
		cmocka_unit_test(test_engine_values),
		cmocka_unit_test(test_engine_errors),
		cmocka_unit_test(test_engine_blocks),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_feeds),
		cmocka_unit_test(test_feed_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
