/*
 * test_feed_diff.c - feed_diff(): adds (and the parent blocks that make
 * them unnecessary), changes (moderd's own blocks, and others' only
 * upward), retractions (only when every recorded feed dropped the entry,
 * only for moderd's blocks, never excluded ones or ones still listed
 * through a parent), remembered rejections suppressed until the sources
 * change, the safety rail, provenance and argument errors.
 *
 * Each case merges small feeds (quorum 2, max), diffs them against a
 * list of current blocks and compares the rendered change list.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "feeds.h"
#include "util.h"

#define MAXF 3 /* feeds per case */
#define MAXE 12 /* entries per feed, current blocks per case */

/* "DOMAIN SEV[+media][+reports]": one feed entry. */
static void
spec_entry(const char *spec, struct feed_entry *e, int line)
{
	char buf[128], *sp;

	memset(e, 0, sizeof(*e));
	mod_strlcpy(buf, spec, sizeof(buf));
	sp = strchr(buf, ' ');
	assert_non_null(sp);
	*sp = '\0';
	e->domain = xstrdup(buf);
	e->line = line;
	e->reject_media = strstr(sp + 1, "+media") != NULL;
	e->reject_reports = strstr(sp + 1, "+reports") != NULL;
	if (strchr(sp + 1, '+') != NULL)
		*strchr(sp + 1, '+') = '\0';
	assert_true(feed_severity_from_name(sp + 1) >= 0);
	e->severity = (enum feed_severity) feed_severity_from_name(sp + 1);
}

static void
spec_list(const char *const *specs, struct feed_list *l)
{
	size_t n = 0;

	memset(l, 0, sizeof(*l));
	while (n < MAXE && specs[n] != NULL)
		n++;
	l->v = xcalloc(n + 1, sizeof(*l->v));
	for (l->n = 0; l->n < n; l->n++)
		spec_entry(specs[l->n], &l->v[l->n], (int) l->n + 1);
}

/*
 * "DOMAIN SEV[+media][+reports] [moderd=FEEDS]": one current block;
 * without moderd= someone else created it; "moderd=" alone is moderd's
 * with unknown feeds.  Strings point into the case table or into spec.
 */
struct cur_spec {
	char                buf[MAXE][128];
	struct feed_current v[MAXE];
	size_t              n;
};

static void
spec_current(const char *const *specs, struct cur_spec *c)
{
	char  *sp, *m;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < MAXE && specs[i] != NULL; i++) {
		struct feed_current *b = &c->v[i];

		mod_strlcpy(c->buf[i], specs[i], sizeof(c->buf[i]));
		sp = strchr(c->buf[i], ' ');
		*sp++ = '\0';
		b->domain = c->buf[i];
		if ((m = strstr(sp, " moderd=")) != NULL) {
			*m = '\0';
			b->created_by_moderd = true;
			b->feeds = m + 8;
		}
		b->reject_media = strstr(sp, "+media") != NULL;
		b->reject_reports = strstr(sp, "+reports") != NULL;
		if (strchr(sp, '+') != NULL)
			*strchr(sp, '+') = '\0';
		b->severity = (enum feed_severity) feed_severity_from_name(sp);
	}
	c->n = i;
}

struct diff_case {
	const char *what;
	const char *feeds[MAXF][MAXE + 1]; /* feeds a, b, c; trust 1 */
	const char *excludes[2];
	const char *current[MAXE + 1];
	const char *want;
};

struct fixture {
	struct feed_list   lists[MAXF];
	struct feed_source src[MAXF];
	struct feed_merged m;
	struct cur_spec    cur;
};

static const char *const feed_names[MAXF] = { "a", "b", "c" };

static void
fixture_build(struct fixture *f, const char *const feeds[MAXF][MAXE + 1],
    const char *const *excludes, const char *const *current)
{
	struct feed_merge_opts o = { .quorum = 2.0, .mode = FEED_MERGE_MAX };
	struct mod_err         err;
	size_t                 i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < MAXF; i++) {
		spec_list(feeds[i], &f->lists[i]);
		f->src[i] = (struct feed_source) { feed_names[i], 1.0,
			FEED_SEV_SUSPEND, &f->lists[i], "r1" };
	}
	o.excludes = excludes;
	o.nexcludes = excludes[0] != NULL;
	if (feed_merge(f->src, MAXF, &o, &f->m, &err) != 0)
		fail_msg("merge: %s", err.msg);
	spec_current(current, &f->cur);
}

static void
fixture_free(struct fixture *f)
{
	size_t i;

	feed_merged_free(&f->m);
	for (i = 0; i < MAXF; i++)
		feed_list_free(&f->lists[i]);
}

static void
render_block(struct buf *b, enum feed_severity sev, bool media, bool reports)
{
	assert_int_equal(buf_printf(b, "%s%s%s", feed_severity_name(sev),
	                     media ? "+media" : "", reports ? "+reports" : ""),
	    0);
}

/* "add d sev", "change d old->new", "retract d sev", one per line. */
static char *
render_diff(const struct feed_diff *d)
{
	struct buf b;
	size_t     i;

	buf_init(&b, 0);
	assert_int_equal(buf_appends(&b, ""), 0);
	for (i = 0; i < d->n; i++) {
		const struct feed_change *c = &d->v[i];

		assert_int_equal(
		    buf_printf(&b, "%s %s ", feed_change_kind_name(c->kind),
		        c->domain),
		    0);
		if (c->kind == FEED_CHANGE_CHANGE) {
			render_block(&b, c->current->severity,
			    c->current->reject_media,
			    c->current->reject_reports);
			assert_int_equal(buf_appends(&b, "->"), 0);
		}
		render_block(
		    &b, c->severity, c->reject_media, c->reject_reports);
		assert_int_equal(buf_appendc(&b, '\n'), 0);
	}
	if (d->held)
		assert_int_equal(buf_appends(&b, "held\n"), 0);
	return buf_steal(&b);
}

static void
run_case(const struct diff_case *c)
{
	struct feed_diff_opts o = { .max_share = 0 };
	struct fixture        f;
	struct feed_diff      d;
	struct mod_err        err;
	char                 *got;

	fixture_build(&f, c->feeds, c->excludes, c->current);
	if (feed_diff(&f.m, f.cur.v, f.cur.n, &o, &d, &err) != 0)
		fail_msg("%s: %s", c->what, err.msg);
	got = render_diff(&d);
	if (strcmp(got, c->want) != 0)
		fail_msg(
		    "%s:\n--- want\n%s--- got\n%s", c->what, c->want, got);
	assert_int_equal(d.nadd + d.nchange + d.nretract, d.n);
	free(got);
	feed_diff_free(&d);
	fixture_free(&f);
}

static const struct diff_case add_cases[] = {
	{ "an entry meeting the quorum and not blocked is added",
	    { { "new.example suspend", "solo.example suspend" },
	        { "new.example silence+media" } },
	    { NULL }, { NULL }, "add new.example suspend+media\n" },
	{ "a parent block at least as strict makes an add unnecessary",
	    { { "sub.example.com suspend", "x.example.net silence" },
	        { "sub.example.com silence", "x.example.net suspend" } },
	    { NULL }, { "example.com suspend", "example.net silence+media" },
	    "add x.example.net suspend\n" },
	{ "a covered entry is never proposed",
	    { { "example.org suspend", "sub.example.org suspend" },
	        { "example.org suspend", "sub.example.org silence" } },
	    { NULL }, { NULL }, "add example.org suspend\n" },
	{ "an entry already blocked the same way is left alone",
	    { { "same.example suspend+media" }, { "same.example suspend" } },
	    { NULL }, { "same.example suspend moderd=a,b" }, "" },
	{ "a noop without flags is not worth a block, with flags it is",
	    { { "nothing.example noop", "media.example noop+media" },
	        { "nothing.example noop", "media.example noop" } },
	    { NULL }, { NULL }, "add media.example noop+media\n" },
	{ "suspends differing only in reject flags are the same block",
	    { { "s.example suspend" }, { "s.example suspend" } }, { NULL },
	    { "s.example suspend+media+reports" }, "" },
};

static const struct diff_case change_cases[] = {
	{ "moderd's own block follows the feeds, up or down",
	    { { "up.example suspend", "down.example silence",
	          "flag.example silence+reports" },
	        { "up.example suspend", "down.example silence",
	            "flag.example silence" } },
	    { NULL },
	    { "up.example silence moderd=a,b", "down.example suspend moderd=a",
	        "flag.example silence moderd=a" },
	    "change down.example suspend->silence\n"
	    "change flag.example silence->silence+reports\n"
	    "change up.example silence->suspend\n" },
	{ "someone else's block is only made stricter",
	    { { "weak.example suspend", "strong.example silence",
	          "odd.example silence+media" },
	        { "weak.example suspend", "strong.example silence",
	            "odd.example silence" } },
	    { NULL },
	    { "weak.example noop+media", "strong.example suspend",
	        "odd.example silence+reports" },
	    "change weak.example noop+media->suspend\n" },
};

static const struct diff_case retract_cases[] = {
	{ "retracted when every recorded feed dropped it",
	    { { "keep.example suspend" }, { "keep.example suspend" } },
	    { NULL },
	    { "keep.example suspend moderd=a,b",
	        "gone.example suspend moderd=a,b",
	        "renamed.example silence moderd=zzz" },
	    "retract gone.example suspend\n"
	    "retract renamed.example silence\n" },
	{ "not while one recorded feed still lists it, below the quorum",
	    { { "half.example suspend" } }, { NULL },
	    { "half.example suspend moderd=a, b" }, "" },
	{ "a feed that is not a recorded supporter does not keep it",
	    { { "x.example suspend" }, { "other.example suspend" } }, { NULL },
	    { "other.example suspend moderd=a" },
	    "retract other.example suspend\n" },
	{ "a feed listing a parent still supports it",
	    { { "parent.example suspend" } }, { NULL },
	    { "a.parent.example suspend moderd=a" }, "" },
	{ "never someone else's block, never unknown provenance",
	    { { "z.example suspend" } }, { NULL },
	    { "foreign.example suspend", "unknown.example suspend moderd=" },
	    "" },
	{ "never an excluded block", { { "z.example suspend" } },
	    { "own.example", NULL },
	    { "own.example suspend moderd=a", "a.own.example silence moderd=a",
	        "example suspend moderd=a" },
	    "" },
};

static void
run_table(const struct diff_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_case(&c[i]);
}

static void
test_adds(void **state)
{
	(void) state;
	run_table(add_cases, nitems(add_cases));
}

static void
test_changes(void **state)
{
	(void) state;
	run_table(change_cases, nitems(change_cases));
}

static void
test_retractions(void **state)
{
	(void) state;
	run_table(retract_cases, nitems(retract_cases));
}

/* Diff feeds against one current block with the given rejections. */
static void
diff_once(const char *const feeds[MAXF][MAXE + 1], const char *revision,
    const struct feed_rejection *rej, size_t nrej, struct feed_diff *out,
    char fingerprint[65])
{
	static const char *const none[] = { NULL, NULL };
	static const char *const cur[]
	    = { "gone.example suspend moderd=a", NULL };
	struct feed_diff_opts o = { 0 };
	struct fixture        f;
	size_t                i;

	o.rejections = rej;
	o.nrejections = nrej;
	fixture_build(&f, feeds, none, cur);
	(void) revision;
	assert_int_equal(feed_diff(&f.m, f.cur.v, f.cur.n, &o, out, NULL), 0);
	fingerprint[0] = '\0';
	for (i = 0; i < out->n; i++)
		if (out->v[i].kind == FEED_CHANGE_ADD
		    && strcmp(out->v[i].domain, "x.example") == 0)
			mod_strlcpy(fingerprint, out->v[i].fingerprint, 65);
	feed_diff_free(out);
	fixture_free(&f);
}

/* A rejected proposal stays rejected until what the feeds say about it
 * changes; comments and revisions alone are not a change. */
static void
test_rejections(void **state)
{
	static const char *const base[MAXF][MAXE + 1]
	    = { { "x.example suspend", "y.example silence" },
		      { "x.example suspend", "y.example silence" }, { NULL } };
	static const char *const more[MAXF][MAXE + 1]
	    = { { "x.example suspend", "y.example silence" },
		      { "x.example suspend", "y.example silence" },
		      { "x.example suspend" } };
	static const char *const milder[MAXF][MAXE + 1]
	    = { { "x.example silence", "y.example silence" },
		      { "x.example suspend", "y.example silence" }, { NULL } };
	struct feed_rejection rej[3];
	struct feed_diff      d;
	char                  fp[65], fp2[65];

	(void) state;
	diff_once(base, "r1", NULL, 0, &d, fp);
	assert_int_equal(strlen(fp), 64);
	rej[0] = (struct feed_rejection) { "x.example", FEED_CHANGE_ADD, fp };
	rej[1] = (struct feed_rejection) { "gone.example", FEED_CHANGE_RETRACT,
		"0000" };
	rej[2]
	    = (struct feed_rejection) { "x.example", FEED_CHANGE_RETRACT, fp };
	diff_once(base, "r2", rej, 3, &d, fp2);
	assert_string_equal(fp2, ""); /* suppressed */

	/* The same again, with the counts checked. */
	{
		static const char *const none[] = { NULL, NULL };
		static const char *const cur[] = { NULL };
		struct feed_diff_opts    o = { 0 };
		struct fixture           f;

		o.rejections = rej;
		o.nrejections = 1;
		fixture_build(&f, base, none, cur);
		assert_int_equal(feed_diff(&f.m, NULL, 0, &o, &d, NULL), 0);
		assert_int_equal(d.suppressed, 1);
		assert_int_equal(d.nadd, 1); /* y.example */
		assert_string_equal(d.v[0].domain, "y.example");
		feed_diff_free(&d);
		fixture_free(&f);
	}
	/* A new supporting feed: proposed again, new fingerprint. */
	diff_once(more, "r3", rej, 1, &d, fp2);
	assert_int_equal(strlen(fp2), 64);
	assert_string_not_equal(fp2, fp);
	/* A supporter changing its severity: proposed again. */
	diff_once(milder, "r3", rej, 1, &d, fp2);
	assert_int_equal(strlen(fp2), 64);
	assert_string_not_equal(fp2, fp);
	/* Back to the original sources: the same fingerprint, suppressed. */
	diff_once(base, "r4", rej, 1, &d, fp2);
	assert_string_equal(fp2, "");
}

/* Comments, revisions and line numbers do not enter the fingerprint. */
static void
test_fingerprint_stable(void **state)
{
	static const char *const feeds[MAXF][MAXE + 1]
	    = { { "x.example suspend" }, { "x.example suspend" }, { NULL } };
	static const char *const none[] = { NULL, NULL };
	static const char *const cur[] = { NULL };
	struct feed_diff_opts    o = { 0 };
	struct fixture           f1, f2;
	struct feed_diff         d1, d2;

	(void) state;
	fixture_build(&f1, feeds, none, cur);
	fixture_build(&f2, feeds, none, cur);
	feed_merged_free(&f2.m);
	f2.lists[0].v[0].public_comment = xstrdup("new reason");
	f2.lists[0].v[0].line = 40;
	f2.src[0].revision = "etag-2";
	{
		struct feed_merge_opts mo = { .quorum = 2.0 };

		assert_int_equal(
		    feed_merge(f2.src, MAXF, &mo, &f2.m, NULL), 0);
	}
	assert_int_equal(feed_diff(&f1.m, NULL, 0, &o, &d1, NULL), 0);
	assert_int_equal(feed_diff(&f2.m, NULL, 0, &o, &d2, NULL), 0);
	assert_int_equal(d1.n, 1);
	assert_int_equal(d2.n, 1);
	assert_string_equal(d1.v[0].fingerprint, d2.v[0].fingerprint);
	assert_string_equal(
	    d2.v[0].entry->sup[0].public_comment, "new reason");
	feed_diff_free(&d1);
	feed_diff_free(&d2);
	fixture_free(&f1);
	fixture_free(&f2);
}

/* The change carries its provenance. */
static void
test_provenance(void **state)
{
	static const char *const feeds[MAXF][MAXE + 1]
	    = { { "p.example silence" }, { "p.example suspend" }, { NULL } };
	static const char *const  none[] = { NULL, NULL };
	static const char *const  cur[] = { "p.example noop moderd=a",
		 "q.example suspend moderd=c", NULL };
	struct feed_diff_opts     o = { 0 };
	const struct feed_change *c;
	struct fixture            f;
	struct feed_diff          d;

	(void) state;
	fixture_build(&f, feeds, none, cur);
	assert_int_equal(feed_diff(&f.m, f.cur.v, f.cur.n, &o, &d, NULL), 0);
	assert_int_equal(d.n, 2);
	c = &d.v[0];
	assert_int_equal(c->kind, FEED_CHANGE_CHANGE);
	assert_ptr_equal(c->current, &f.cur.v[0]);
	assert_non_null(c->entry);
	assert_int_equal(c->entry->nsup, 2);
	assert_string_equal(f.m.sources[c->entry->sup[0].source].name, "a");
	assert_int_equal(c->entry->sup[0].severity, FEED_SEV_SILENCE);
	assert_string_equal(
	    f.m.sources[c->entry->sup[1].source].revision, "r1");
	c = &d.v[1];
	assert_int_equal(c->kind, FEED_CHANGE_RETRACT);
	assert_string_equal(c->current->feeds, "c");
	assert_null(c->entry);
	assert_int_equal(strlen(c->fingerprint), 64);
	feed_diff_free(&d);
	fixture_free(&f);
}

/* Too many adds or retractions hold the whole set for sign-off. */
static void
test_safety_rail(void **state)
{
	static const char *const three[MAXF][MAXE + 1]
	    = { { "n1.example suspend", "n2.example suspend",
		    "n3.example suspend" },
		      { "n1.example suspend", "n2.example suspend",
		          "n3.example suspend" },
		      { NULL } };
	static const char *const two[MAXF][MAXE + 1]
	    = { { "n1.example suspend", "n2.example suspend" },
		      { "n1.example suspend", "n2.example suspend" },
		      { NULL } };
	static const char *const none[] = { NULL, NULL };
	static const char *const ten[] = { "c0.example suspend",
		"c1.example suspend", "c2.example suspend",
		"c3.example suspend", "c4.example suspend",
		"c5.example suspend", "c6.example suspend moderd=a",
		"c7.example suspend moderd=a", "c8.example suspend",
		"c9.example suspend", NULL };
	static const struct {
		const char *const (*feeds)[MAXE + 1];
		double share;
		size_t ncur;
		bool   held;
	} cases[] = {
		{ two, 0.2, 10, false }, /* 2 adds, 2 retractions: at 20% */
		{ three, 0.2, 10, true }, /* 3 adds */
		{ three, 0.3, 10, false }, { three, 0, 10, false }, /* off */
		{ two, 0.2, 0, true }, /* no current blocks */
		{ two, 0.2, 5, true }, /* 2 adds > 1 */
	};
	struct feed_diff_opts o = { 0 };
	struct fixture        f;
	struct feed_diff      d;
	size_t                i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		fixture_build(&f, cases[i].feeds, none, ten);
		o.max_share = cases[i].share;
		assert_int_equal(
		    feed_diff(&f.m, f.cur.v, cases[i].ncur, &o, &d, NULL), 0);
		if (d.held != cases[i].held)
			fail_msg("case %zu: held %d, adds %zu, retracts %zu",
			    i, d.held, d.nadd, d.nretract);
		/* Held or not, nothing is dropped from the set. */
		assert_true(d.nadd >= 2);
		feed_diff_free(&d);
		fixture_free(&f);
	}
	/* Retractions alone trip it too: 3 of 10. */
	{
		static const char *const one[MAXF][MAXE + 1]
		    = { { "zz.example suspend" }, { NULL }, { NULL } };
		static const char *const cur[]
		    = { "r1.example suspend moderd=a",
			      "r2.example suspend moderd=a",
			      "r3.example suspend moderd=b",
			      "k1.example suspend", "k2.example suspend",
			      "k3.example suspend", "k4.example suspend",
			      "k5.example suspend", "k6.example suspend",
			      "k7.example suspend", NULL };

		fixture_build(&f, one, none, cur);
		o.max_share = 0.2;
		assert_int_equal(
		    feed_diff(&f.m, f.cur.v, f.cur.n, &o, &d, NULL), 0);
		assert_int_equal(d.nretract, 3);
		assert_int_equal(d.nadd, 0);
		assert_true(d.held);
		feed_diff_free(&d);
		fixture_free(&f);
	}
}

static void
test_errors(void **state)
{
	static const char *const feeds[MAXF][MAXE + 1]
	    = { { "x.example suspend" }, { NULL }, { NULL } };
	static const char *const none[] = { NULL, NULL };
	static const char *const dup[]
	    = { "d.example suspend", "d.example silence", NULL };
	struct feed_diff_opts o = { 0 };
	struct feed_rejection bad = { NULL, FEED_CHANGE_ADD, "x" };
	struct fixture        f;
	struct feed_diff      d;
	struct mod_err        err;

	(void) state;
	fixture_build(&f, feeds, none, dup);
	assert_int_equal(
	    feed_diff(&f.m, f.cur.v, f.cur.n, &o, &d, &err), MOD_EINVAL);
	assert_non_null(strstr(err.msg, "twice"));
	assert_int_equal(d.n, 0);
	o.max_share = NAN;
	assert_int_equal(feed_diff(&f.m, NULL, 0, &o, &d, &err), MOD_EINVAL);
	o.max_share = 0;
	o.rejections = &bad;
	o.nrejections = 1;
	assert_int_equal(feed_diff(&f.m, NULL, 0, &o, &d, &err), MOD_EINVAL);
	assert_string_equal(
	    feed_change_kind_name(FEED_CHANGE_RETRACT), "retract");
	feed_diff_free(NULL);
	fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adds),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_retractions),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_fingerprint_stable),
		cmocka_unit_test(test_provenance),
		cmocka_unit_test(test_safety_rail),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
