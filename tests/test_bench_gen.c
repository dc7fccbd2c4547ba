/*
 * test_bench_gen.c - the benchmark generator (tests/bench/bench_gen.c):
 * fixed seeds give the same bytes on every run, event i does not depend
 * on how many events are asked for, every event is a status.created
 * envelope that event_parse() and event_view_build() accept with the
 * expected shape, and generated rule directories are reproducible and
 * load with the real engine, expect lines included.
 *
 * The generator is compiled in with BENCH_GEN_NO_MAIN; nothing here reads
 * files from the source tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <unistd.h>

#define BENCH_GEN_NO_MAIN
#include "bench/bench_gen.c"

#include "event.h"
#include "rules.h"
#include "util.h"

#define TEST_EVENTS 2000
#define TEST_SEED 20250301

/* Generate n events into a new buffer (caller frees). */
static char *
gen_events(uint64_t n, uint64_t seed, size_t *len, struct bench_gen_stats *st)
{
	char *p = NULL;
	FILE *fp = open_memstream(&p, len);

	assert_non_null(fp);
	assert_int_equal(bench_gen_events(fp, n, seed, st), 0);
	assert_int_equal(fclose(fp), 0);
	return p;
}

static void
test_events_deterministic(void **state)
{
	size_t la, lb, lc, l1;
	char  *a = gen_events(300, TEST_SEED, &la, NULL);
	char  *b = gen_events(300, TEST_SEED, &lb, NULL);
	char  *c = gen_events(300, TEST_SEED + 1, &lc, NULL);
	char  *one = gen_events(1, TEST_SEED, &l1, NULL);

	(void) state;
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_true(la != lc || memcmp(a, c, la) != 0);
	/* event 0 is the same whatever the count */
	assert_true(l1 < la);
	assert_memory_equal(one, a, l1);
	free(a);
	free(b);
	free(c);
	free(one);
}

/* JSON-level checks of one event; returns its language code. */
static const char *
check_json(json_t *root, size_t len)
{
	json_t *obj = json_object_get(root, "object");
	json_t *acct = json_object_get(obj, "account");
	int64_t posted = 0, created = 0;

	assert_string_equal(json_string_value(json_object_get(root, "event")),
	    "status.created");
	assert_true(len >= 800 && len <= 16384);
	assert_true(json_string_length(json_object_get(obj, "content")) > 0);
	assert_non_null(json_string_value(json_object_get(obj, "id")));
	assert_int_equal(mod_parse_time(json_string_value(json_object_get(
	                                    obj, "created_at")),
	                     &posted),
	    0);
	assert_int_equal(mod_parse_time(json_string_value(json_object_get(
	                                    acct, "created_at")),
	                     &created),
	    0);
	assert_true(created <= posted);
	assert_true(posted - created <= INT64_C(2001) * BENCH_GEN_DAY_MS);
	assert_non_null(json_string_value(json_object_get(obj, "language")));
	return json_string_value(json_object_get(obj, "language"));
}

/* Append "xx " to the set of languages seen unless present. */
static void
add_lang(char *langs, size_t size, const char *lang)
{
	size_t n = strlen(langs);

	assert_non_null(lang);
	if (strstr(langs, lang) == NULL)
		(void) snprintf(langs + n, size - n, "%s ", lang);
}

static void
test_events_shape(void **state)
{
	struct bench_gen_stats st = { 0 };
	json_error_t           jerr;
	char                  *buf, *p, *nl, langs[64] = "";
	size_t                 len, n = 0, total = 0;

	(void) state;
	buf = gen_events(TEST_EVENTS, TEST_SEED, &len, &st);
	assert_int_equal(st.events, TEST_EVENTS);
	assert_int_equal(st.bytes, len);
	/* about 5 % spam, 1-3 KB per event */
	assert_true(st.spam * 100 >= TEST_EVENTS * 3);
	assert_true(st.spam * 100 <= TEST_EVENTS * 8);
	for (p = buf; (nl = memchr(p, '\n', len - (size_t) (p - buf))) != NULL;
	     p = nl + 1) {
		json_t *root = json_loadb(
		    p, (size_t) (nl - p), JSON_REJECT_DUPLICATES, &jerr);

		assert_non_null(root);
		add_lang(langs, sizeof(langs),
		    check_json(root, (size_t) (nl - p) + 1));
		json_decref(root);
		n++;
		total += (size_t) (nl - p) + 1;
	}
	assert_int_equal(n, TEST_EVENTS);
	assert_true(total / n >= 1000 && total / n <= 3000);
	assert_int_equal(strlen(langs), 8 * 3); /* eight languages */
	assert_non_null(strstr(buf, "&#39;"));
	assert_non_null(strstr(buf, "<span class=\\\"invisible\\\">"));
	assert_non_null(strstr(buf, "u-url mention"));
	assert_non_null(strstr(buf, "mention hashtag"));
	free(buf);
}

/* The view of one event as the matcher sees it. */
static void
check_view(const char *p, size_t len, size_t *mentions, size_t *links)
{
	struct mod_err            err;
	struct event             *ev = NULL;
	struct event_view        *view = NULL;
	const struct rule_fields *f;

	assert_int_equal(event_parse(p, len, &ev, &err), 0);
	assert_int_equal(ev->kind, EVENT_STATUS_CREATED);
	assert_true(ev->status.account.present);
	assert_int_equal(event_view_build(ev, &view, &err), 0);
	f = event_view_fields(view);
	assert_int_equal(f->kind, RULE_K_STATUS_CREATED);
	assert_int_equal(f->local, 1);
	assert_true(f->visibility != RULE_VIS_UNKNOWN);
	assert_int_equal(f->folded[RULE_T_TEXT].n, 1);
	assert_true(f->folded[RULE_T_TEXT].v[0].len > 0);
	assert_true(f->num_known & (1u << RULE_N_ACCOUNT_AGE));
	assert_true(f->num[RULE_N_ACCOUNT_AGE] >= 0);
	assert_true(f->num[RULE_N_ACCOUNT_AGE] <= 2001 * 86400);
	*mentions += f->folded[RULE_T_MENTION].n;
	*links += f->folded[RULE_T_URL].n;
	event_view_free(view);
	event_free(ev);
}

static void
test_events_parse(void **state)
{
	char  *buf, *p, *nl;
	size_t len, n = 0, mentions = 0, links = 0;

	(void) state;
	buf = gen_events(TEST_EVENTS, TEST_SEED, &len, NULL);
	for (p = buf; (nl = memchr(p, '\n', len - (size_t) (p - buf))) != NULL;
	     p = nl + 1, n++)
		check_view(p, (size_t) (nl - p), &mentions, &links);
	assert_int_equal(n, TEST_EVENTS);
	/* mentions and links are extracted from the HTML */
	assert_true(mentions > n / 10);
	assert_true(links > n / 10);
	free(buf);
}

/* ---- rules ----------------------------------------------------------------
 */

static void
tmpdir_new(char *out, size_t size)
{
	(void) snprintf(out, size, "/tmp/test_bench_gen.XXXXXX");
	assert_non_null(mkdtemp(out));
}

static void
tmpdir_rm(const char *dir)
{
	char           path[MOD_MAX_PATH_BYTES];
	struct dirent *de;
	DIR           *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void) snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_rules_deterministic(void **state)
{
	char   a[64], b[64], pa[MOD_MAX_PATH_BYTES], pb[MOD_MAX_PATH_BYTES];
	char  *da, *db;
	size_t la, lb, i, files = 0;

	(void) state;
	tmpdir_new(a, sizeof(a));
	tmpdir_new(b, sizeof(b));
	assert_int_equal(bench_gen_rules(a, 300, 7), 0);
	assert_int_equal(bench_gen_rules(b, 300, 7), 0);
	for (i = 0; i < BENCH_GEN_F_COUNT; i++) {
		(void) snprintf(
		    pa, sizeof(pa), "%s/%s.rules", a, bench_gen_files[i]);
		(void) snprintf(
		    pb, sizeof(pb), "%s/%s.rules", b, bench_gen_files[i]);
		if (access(pa, F_OK) != 0) {
			assert_int_not_equal(access(pb, F_OK), 0);
			continue;
		}
		assert_int_equal(
		    mod_read_file(pa, 1 << 24, &da, &la, NULL), 0);
		assert_int_equal(
		    mod_read_file(pb, 1 << 24, &db, &lb, NULL), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(da, db, la);
		free(da);
		free(db);
		files++;
	}
	assert_true(files >= 8);
	tmpdir_rm(a);
	tmpdir_rm(b);
}

static void
load_rules(unsigned n)
{
	struct ruleset_opts o;
	struct mod_errlist  el = { 0 };
	struct ruleset     *rs = NULL;
	char                dir[64];
	size_t              pats, exact, pre, pcre;

	memset(&o, 0, sizeof(o));
	o.example = event_example;
	tmpdir_new(dir, sizeof(dir));
	assert_int_equal(bench_gen_rules(dir, n, 4242), 0);
	if (ruleset_load(dir, &o, &rs, &el) != 0)
		mod_errlist_print(&el, stderr);
	assert_int_equal(el.n, 0);
	assert_non_null(rs);
	assert_int_equal(ruleset_count(rs), n);
	ruleset_stats(rs, &pats, &exact, &pre, &pcre);
	assert_true(pats > n / 2);
	ruleset_unref(rs);
	mod_errlist_free(&el);
	tmpdir_rm(dir);
}

/* The fixed core (with its expect lines) and a mixed set both load. */
static void
test_rules_load(void **state)
{
	(void) state;
	load_rules(BENCH_GEN_CORE_RULES);
	load_rules(150);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_deterministic),
		cmocka_unit_test(test_events_shape),
		cmocka_unit_test(test_events_parse),
		cmocka_unit_test(test_rules_deterministic),
		cmocka_unit_test(test_rules_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
