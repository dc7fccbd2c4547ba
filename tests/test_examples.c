/*
 * test_examples.c - the shipped examples and the regression corpus, run
 * end to end through the library: examples/rules loaded with their expect
 * lines checked, and every event that has an expected verdict parsed,
 * normalised, matched and decided.
 *
 * An event NAME.json is checked when NAME.expect sits beside it, in
 * examples/events/ (where every event must have one) and in
 * tests/corpus/events/ (where parser fixtures without one are skipped).
 * The .expect format (moderd.rules(5), "Expected verdicts"): one line each,
 * `hit RULE`, `miss RULE`, `uneval RULE`, `action ACTION`, `score N`, and
 * `#` comments.  A rule name that the example rule set does not define is
 * itself a failure, so a typo cannot turn a `miss` into a silent pass.
 *
 * Every event runs twice, with the Hyperscan prefilter and with
 * RULE_MATCH_NAIVE (PCRE2 only), and the two verdicts must be identical:
 * same score, action, hits (rule, target, view, element, offset, length)
 * and unevaluated rules.  Assertions are checked against the prefiltered
 * verdict.  Failures are printed one per line (FILE: what) and counted,
 * so one run shows all of them; each test fails if any was found.  Two
 * more checks keep the examples honest: every example rule must be shown
 * hitting by at least one event, and the .expect checker must catch
 * deliberately wrong assertions.
 *
 * Not done here: the moderctl command line (tests/run_examples.sh) and
 * the parser's error messages (tests/rules/ golden files).  Paths are
 * relative to $MODERD_SRCDIR, or to the current directory (the repository
 * root under `make check`).
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "rules.h"
#include "util.h"

#define EX_MAX_FILES_COUNT 1024 /* event files per directory */
#define EX_MAX_LINE_BYTES 256 /* one .expect line */
#define EX_MAX_EXPECT_BYTES (64 * 1024)
#define EX_MIN_EXAMPLES_COUNT 12 /* events with verdicts in examples/ */
#define EX_MIN_CORPUS_COUNT 5 /* events with verdicts in the corpus */
#define EX_SCORE_EPSILON 1e-9

/* Names of the rules defined in examples/rules, found by a plain scan. */
struct ex_names {
	char  *v[MOD_MAX_RULES_COUNT];
	size_t n;
};

struct ex_state {
	struct ruleset        *rs;
	struct rule_matcher   *fast; /* prefiltered */
	struct rule_matcher   *naive; /* RULE_MATCH_NAIVE */
	struct rule_thresholds thr;
	struct ex_names        names;
	bool covered[MOD_MAX_RULES_COUNT]; /* names.v[i] hit some event */
};

/* A sorted list of file names in one directory. */
struct ex_files {
	char  *v[EX_MAX_FILES_COUNT];
	size_t n;
};

/* ex_join: "a/b" into out; fails the test if it does not fit. */
static void
ex_join(char *out, size_t outsz, const char *a, const char *b, size_t blen)
{
	int n = snprintf(out, outsz, "%s/%.*s", a, (int) blen, b);

	if (n < 0 || (size_t) n >= outsz)
		fail_msg("path too long: %s/%s", a, b);
}

static void
ex_path(char *out, size_t outsz, const char *rel)
{
	const char *root = getenv("MODERD_SRCDIR");

	if (root == NULL || *root == '\0')
		root = ".";
	ex_join(out, outsz, root, rel, strlen(rel));
}

static bool
ex_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int
ex_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* ex_files_list: the names in dir ending in suffix, sorted. */
static void
ex_files_list(const char *dir, const char *suffix, struct ex_files *out)
{
	DIR           *d;
	struct dirent *de;

	out->n = 0;
	if ((d = opendir(dir)) == NULL)
		fail_msg("cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (!ex_has_suffix(de->d_name, suffix))
			continue;
		if (out->n == EX_MAX_FILES_COUNT)
			fail_msg(
			    "%s: more than %d files", dir, EX_MAX_FILES_COUNT);
		out->v[out->n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(out->v, out->n, sizeof(out->v[0]), ex_cmp_str);
}

static void
ex_files_free(struct ex_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i]);
	f->n = 0;
}

/* ex_read: the whole file, or NULL (with *len 0) if it does not exist. */
static char *
ex_read(const char *path, size_t max, size_t *len)
{
	char          *buf = NULL;
	struct mod_err err;

	*len = 0;
	if (mod_read_file(path, max, &buf, len, &err) != 0)
		return NULL;
	return buf;
}

/* ex_names_scan_line: record NAME if line is `rule NAME {`. */
static void
ex_names_scan_line(struct ex_names *nm, const char *s, size_t len)
{
	size_t i = 0, start;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (len - i < 5 || strncmp(s + i, "rule", 4) != 0
	    || (s[i + 4] != ' ' && s[i + 4] != '\t'))
		return;
	for (i += 4; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	for (start = i; i < len
	     && (s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z')
	         || (s[i] >= '0' && s[i] <= '9'));
	     i++)
		;
	if (i > start && nm->n < nitems(nm->v))
		nm->v[nm->n++] = xstrndup(s + start, i - start);
}

static void
ex_names_scan(struct ex_names *nm, const char *dir)
{
	struct ex_files files;
	char            path[MOD_MAX_PATH_BYTES], *buf, *p, *nl;
	size_t          i, len;

	ex_files_list(dir, ".rules", &files);
	for (i = 0; i < files.n; i++) {
		ex_join(
		    path, sizeof(path), dir, files.v[i], strlen(files.v[i]));
		buf = ex_read(path, MOD_MAX_RULE_FILE_BYTES, &len);
		assert_non_null(buf);
		for (p = buf; p < buf + len; p = nl + 1) {
			if ((nl = memchr(p, '\n', len - (size_t) (p - buf)))
			    == NULL)
				nl = buf + len;
			ex_names_scan_line(nm, p, (size_t) (nl - p));
		}
		free(buf);
	}
	ex_files_free(&files);
}

/* ex_names_index: the index of name in nm, or -1. */
static long
ex_names_index(const struct ex_names *nm, const char *name)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], name) == 0)
			return (long) i;
	return -1;
}

static bool
ex_names_has(const struct ex_names *nm, const char *name)
{
	return ex_names_index(nm, name) >= 0;
}

static int
ex_teardown(void **state)
{
	struct ex_state *st = *state;
	size_t           i;

	if (st == NULL)
		return 0;
	rule_matcher_free(st->fast);
	rule_matcher_free(st->naive);
	ruleset_unref(st->rs);
	for (i = 0; i < st->names.n; i++)
		free(st->names.v[i]);
	free(st);
	return 0;
}

static int
ex_setup(void **state)
{
	struct ex_state    *st = xcalloc(1, sizeof(*st));
	struct ruleset_opts opts = { 0 };
	struct mod_errlist  errs = { 0 };
	char                dir[MOD_MAX_PATH_BYTES];
	int                 rv = -1;

	*state = st;
	ex_path(dir, sizeof(dir), "examples/rules");
	opts.example = event_example;
	if (ruleset_load(dir, &opts, &st->rs, &errs) != 0) {
		mod_errlist_print(&errs, stderr);
		goto out;
	}
	if (rule_matcher_new(st->rs, &st->fast) != 0
	    || rule_matcher_new(st->rs, &st->naive) != 0)
		goto out;
	rule_thresholds_default(&st->thr);
	ex_names_scan(&st->names, dir);
	rv = 0;
out:
	mod_errlist_free(&errs);
	if (rv != 0) {
		ex_teardown(state);
		*state = NULL;
	}
	return rv;
}

/* ex_hit_same: two hits describe the same evidence. */
static bool
ex_hit_same(const struct rule_hit *a, const struct rule_hit *b)
{
	return strcmp(a->rule, b->rule) == 0 && a->target == b->target
	    && a->raw == b->raw && a->elem == b->elem && a->off == b->off
	    && a->len == b->len && a->score == b->score
	    && a->action == b->action;
}

/* ex_compare: count (and print) differences between two verdicts. */
static int
ex_compare(const char *label, const struct rule_verdict *a,
    const struct rule_verdict *b)
{
	size_t i;
	int    bad = 0;

	if (a->score != b->score || a->action != b->action
	    || a->nhits != b->nhits || a->nuneval != b->nuneval) {
		print_error("%s: prefilter and naive verdicts differ: score "
		            "%g/%g, %zu/%zu hits, %zu/%zu unevaluated\n",
		    label, a->score, b->score, a->nhits, b->nhits, a->nuneval,
		    b->nuneval);
		return 1;
	}
	for (i = 0; i < a->nhits; i++)
		if (!ex_hit_same(&a->hits[i], &b->hits[i])) {
			print_error("%s: hit %zu differs: %s vs %s\n", label,
			    i, a->hits[i].rule, b->hits[i].rule);
			bad++;
		}
	for (i = 0; i < a->nuneval; i++)
		if (strcmp(a->uneval[i].rule, b->uneval[i].rule) != 0
		    || a->uneval[i].target != b->uneval[i].target) {
			print_error("%s: unevaluated %zu differs: %s vs %s\n",
			    label, i, a->uneval[i].rule, b->uneval[i].rule);
			bad++;
		}
	return bad;
}

static bool
ex_verdict_hit(const struct rule_verdict *v, const char *rule)
{
	size_t i;

	for (i = 0; i < v->nhits; i++)
		if (strcmp(v->hits[i].rule, rule) == 0)
			return true;
	return false;
}

static bool
ex_verdict_uneval(const struct rule_verdict *v, const char *rule)
{
	size_t i;

	for (i = 0; i < v->nuneval; i++)
		if (strcmp(v->uneval[i].rule, rule) == 0)
			return true;
	return false;
}

/* ex_hits_str: "A B C" for messages. */
static void
ex_hits_str(const struct rule_verdict *v, char *out, size_t outsz)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < v->nhits && n < outsz; i++)
		n += (size_t) snprintf(
		    out + n, outsz - n, "%s%s", i ? " " : "", v->hits[i].rule);
}

/* A verdict and the action rule_decide() gave it. */
struct ex_result {
	const struct rule_verdict *v;
	enum rule_action           action;
};

/* ex_check_rule: one hit/miss/uneval assertion; 1 if it fails. */
static int
ex_check_rule(const char *label, const char *kw, const char *arg,
    const struct ex_result *r, const struct ex_names *nm)
{
	char hits[1024];

	if (!ex_names_has(nm, arg)) {
		print_error("%s: %s %s: no such rule in examples/rules\n",
		    label, kw, arg);
		return 1;
	}
	ex_hits_str(r->v, hits, sizeof(hits));
	if (strcmp(kw, "hit") == 0 && !ex_verdict_hit(r->v, arg)) {
		print_error(
		    "%s: expected hit %s; hits: %s\n", label, arg, hits);
		return 1;
	}
	if (strcmp(kw, "miss") == 0 && ex_verdict_hit(r->v, arg)) {
		print_error("%s: expected miss %s, but it hit\n", label, arg);
		return 1;
	}
	if (strcmp(kw, "uneval") == 0 && !ex_verdict_uneval(r->v, arg)) {
		print_error("%s: expected %s unevaluated\n", label, arg);
		return 1;
	}
	return 0;
}

/* ex_split: cut "WORD ARG" (exactly two words) in place. */
static bool
ex_split(char *line, char **arg)
{
	char *p = line + strcspn(line, " \t");

	if (*p == '\0')
		return false;
	*p++ = '\0';
	p += strspn(p, " \t");
	*arg = p;
	return *p != '\0' && p[strcspn(p, " \t")] == '\0';
}

/* ex_check_line: one .expect line (already trimmed, non-empty). */
static int
ex_check_line(const char *label, char *line, const struct ex_result *r,
    const struct ex_names *nm)
{
	char   copy[EX_MAX_LINE_BYTES], *arg = NULL;
	double score;

	mod_strlcpy(copy, line, sizeof(copy));
	if (!ex_split(line, &arg)) {
		print_error("%s: malformed line \"%s\"\n", label, copy);
		return 1;
	}
	if (strcmp(line, "hit") == 0 || strcmp(line, "miss") == 0
	    || strcmp(line, "uneval") == 0)
		return ex_check_rule(label, line, arg, r, nm);
	if (strcmp(line, "action") == 0) {
		if (rule_action_from_name(arg) < 0
		    || (enum rule_action) rule_action_from_name(arg)
		        != r->action) {
			print_error("%s: expected action %s, got %s\n", label,
			    arg, rule_action_name(r->action));
			return 1;
		}
		return 0;
	}
	if (strcmp(line, "score") == 0) {
		if (mod_strtod(arg, &score) != 0
		    || fabs(score - r->v->score) > EX_SCORE_EPSILON) {
			print_error("%s: expected score %s, got %g\n", label,
			    arg, r->v->score);
			return 1;
		}
		return 0;
	}
	print_error("%s: unknown assertion \"%s\"\n", label, line);
	return 1;
}

/*
 * ex_check_expect: every assertion of an .expect text against r.
 * Returns the number of failed lines; *nasserts counts the assertions.
 */
static int
ex_check_expect(const char *label, const char *text, size_t len,
    const struct ex_result *r, const struct ex_names *nm, int *nasserts)
{
	char        line[EX_MAX_LINE_BYTES];
	const char *p = text, *end = text + len, *nl;
	size_t      n;
	int         bad = 0;

	*nasserts = 0;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t) (end - p))) == NULL)
			nl = end;
		p += strspn(p, " \t");
		if (p >= nl || *p == '#' || *p == '\r' || *p == '\n')
			continue;
		if ((n = (size_t) (nl - p)) >= sizeof(line)) {
			print_error("%s: line too long\n", label);
			bad++;
			continue;
		}
		memcpy(line, p, n);
		while (n > 0
		    && (line[n - 1] == ' ' || line[n - 1] == '\t'
		        || line[n - 1] == '\r'))
			n--;
		line[n] = '\0';
		(*nasserts)++;
		bad += ex_check_line(label, line, r, nm);
	}
	return bad;
}

/* ex_cover: remember which rules this verdict shows hitting. */
static void
ex_cover(struct ex_state *st, const struct rule_verdict *v)
{
	size_t i;
	long   k;

	for (i = 0; i < v->nhits; i++)
		if ((k = ex_names_index(&st->names, v->hits[i].rule)) >= 0)
			st->covered[k] = true;
}

/*
 * ex_run_event: parse, view, match twice, decide, then check the
 * assertions.  Returns the number of failures; *nasserts as above.
 */
static int
ex_run_event(struct ex_state *st, const char *label, const char *json,
    size_t jlen, const char *expect, size_t elen, int *nasserts)
{
	struct event              *ev = NULL;
	struct event_view         *view = NULL;
	struct mod_err             err = { 0 };
	const struct rule_verdict *vf = NULL, *vn = NULL;
	struct ex_result           r;
	int                        bad = 0;

	*nasserts = 0;
	if (event_parse(json, jlen, &ev, &err) != 0) {
		print_error("%s: event_parse: %s\n", label, err.msg);
		return 1;
	}
	if (event_view_build(ev, &view, &err) != 0) {
		print_error("%s: event_view_build: %s\n", label, err.msg);
		bad = 1;
		goto out;
	}
	if (rule_matcher_run(st->fast, event_view_fields(view), 0, &vf) != 0
	    || rule_matcher_run(
	           st->naive, event_view_fields(view), RULE_MATCH_NAIVE, &vn)
	        != 0) {
		print_error("%s: rule_matcher_run failed\n", label);
		bad = 1;
		goto out;
	}
	bad += ex_compare(label, vf, vn);
	ex_cover(st, vf);
	r.v = vf;
	r.action = rule_decide(&st->thr, vf);
	bad += ex_check_expect(label, expect, elen, &r, &st->names, nasserts);
out:
	event_view_free(view);
	event_free(ev);
	return bad;
}

/*
 * ex_run_dir: every NAME.json in rel with a NAME.expect.  If require is
 * set, a .json without .expect is a failure.  Returns failures; *checked
 * counts the events checked.
 */
static int
ex_run_dir(struct ex_state *st, const char *rel, bool require, int *checked)
{
	struct ex_files files;
	char            dir[MOD_MAX_PATH_BYTES], path[MOD_MAX_PATH_BYTES];
	char            label[MOD_MAX_PATH_BYTES];
	char           *json, *expect;
	size_t          i, jlen, elen, base;
	int             bad = 0, nasserts;

	*checked = 0;
	ex_path(dir, sizeof(dir), rel);
	ex_files_list(dir, ".json", &files);
	for (i = 0; i < files.n; i++) {
		base = strlen(files.v[i]) - strlen(".json");
		ex_join(
		    label, sizeof(label), rel, files.v[i], strlen(files.v[i]));
		ex_join(path, sizeof(path), dir, files.v[i], base);
		if (strlen(path) + strlen(".expect") >= sizeof(path))
			fail_msg("path too long: %s", path);
		strcat(path, ".expect");
		if ((expect = ex_read(path, EX_MAX_EXPECT_BYTES, &elen))
		    == NULL) {
			if (require) {
				print_error("%s: no .expect file\n", label);
				bad++;
			}
			continue;
		}
		ex_join(
		    path, sizeof(path), dir, files.v[i], strlen(files.v[i]));
		json = ex_read(path, MOD_MAX_EVENT_BYTES, &jlen);
		if (json == NULL) {
			print_error("%s: cannot read\n", label);
			bad++;
		} else {
			bad += ex_run_event(
			    st, label, json, jlen, expect, elen, &nasserts);
			if (nasserts == 0) {
				print_error(
				    "%s: .expect has no assertions\n", label);
				bad++;
			}
			(*checked)++;
		}
		free(json);
		free(expect);
	}
	ex_files_free(&files);
	return bad;
}

/* The example rule set loads (expect lines included) and is not empty. */
static void
test_examples_rules_load(void **state)
{
	struct ex_state *st = *state;

	assert_true(ruleset_count(st->rs) >= 20);
	assert_int_equal(ruleset_count(st->rs), st->names.n);
}

static void
test_examples_events(void **state)
{
	int checked, bad;

	bad = ex_run_dir(*state, "examples/events", true, &checked);
	print_message("examples/events: %d events checked\n", checked);
	assert_int_equal(bad, 0);
	assert_true(checked >= EX_MIN_EXAMPLES_COUNT);
}

static void
test_corpus_events(void **state)
{
	int checked, bad;

	bad = ex_run_dir(*state, "tests/corpus/events", false, &checked);
	print_message("tests/corpus/events: %d events checked\n", checked);
	assert_int_equal(bad, 0);
	assert_true(checked >= EX_MIN_CORPUS_COUNT);
}

/*
 * Every example rule is shown hitting by at least one event, in
 * examples/events or in the corpus: a rule nobody demonstrates is either
 * dead or untested on real payloads.
 */
static void
test_every_rule_demonstrated(void **state)
{
	struct ex_state *st = *state;
	size_t           i;
	int              checked, missing = 0;

	memset(st->covered, 0, sizeof(st->covered));
	(void) ex_run_dir(st, "examples/events", true, &checked);
	(void) ex_run_dir(st, "tests/corpus/events", false, &checked);
	for (i = 0; i < st->names.n; i++)
		if (!st->covered[i]) {
			print_error("%s: no example or corpus event hits it\n",
			    st->names.v[i]);
			missing++;
		}
	assert_int_equal(missing, 0);
}

/*
 * The checker itself catches wrong expectations: against the crypto
 * giveaway example, each of these lines must fail, and the true ones
 * must pass.
 */
static void
test_expect_checker_catches_mismatches(void **state)
{
	static const char *const wrong[]
	    = { "miss CRYPTO_GIVEAWAY", "hit SLUR_TEXT", "action none",
		      "action suspend", "score 6.5", "hit NO_SUCH_RULE",
		      "miss NO_SUCH_RULE", "uneval CRYPTO_GIVEAWAY",
		      "frobnicate CRYPTO_GIVEAWAY", "hit", "hit A B" };
	static const char right[]
	    = "# comment\n\n  hit CRYPTO_GIVEAWAY  \nmiss SLUR_TEXT\r\n"
	      "action flag\nscore 7.0\n";
	struct ex_state *st = *state;
	char             path[MOD_MAX_PATH_BYTES], *json;
	size_t           i, jlen;
	int              nasserts;

	ex_path(path, sizeof(path),
	    "examples/events/02-status-created-crypto-giveaway.json");
	json = ex_read(path, MOD_MAX_EVENT_BYTES, &jlen);
	assert_non_null(json);
	assert_int_equal(ex_run_event(st, "right", json, jlen, right,
	                     sizeof(right) - 1, &nasserts),
	    0);
	assert_int_equal(nasserts, 4);
	for (i = 0; i < nitems(wrong); i++) {
		if (ex_run_event(st, "deliberately wrong", json, jlen,
		        wrong[i], strlen(wrong[i]), &nasserts)
		    != 1)
			fail_msg("not caught: %s", wrong[i]);
	}
	free(json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_rules_load),
		cmocka_unit_test(test_examples_events),
		cmocka_unit_test(test_corpus_events),
		cmocka_unit_test(test_every_rule_demonstrated),
		cmocka_unit_test(test_expect_checker_catches_mismatches),
	};

	return cmocka_run_group_tests(tests, ex_setup, ex_teardown);
}
