/*
 * test_feed_merge.c - feed_merge(): weighted quorum, max and min merges,
 * per-feed caps, excludes (equal, below and above), Mastodon's subdomain
 * rule (inherited support, longest match, covered entries), masked names
 * resolved by digest or kept aside, provenance, determinism, argument
 * errors, and the domain table with its longest-match lookup.
 *
 * Cases are tables: feeds written as compact entry specs, and the whole
 * merged result rendered one line per entry and compared as text.
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

#define MAXF 4 /* feeds per case */
#define MAXE 8 /* entries per feed, excludes, known names */

/*
 * An entry spec: "DOMAIN SEV[+media][+reports][+obf] [@NAME|@=HEX]
 * [#COMMENT]".  A DOMAIN with '*' is masked; @NAME gives it the digest of
 * NAME, @=HEX a literal digest.
 */
static void
spec_entry(const char *spec, struct feed_entry *e, int line)
{
	char  buf[256], *tok, *save = NULL, *hash;
	char *flags, digest[65];

	memset(e, 0, sizeof(*e));
	e->line = line;
	mod_strlcpy(buf, spec, sizeof(buf));
	if ((hash = strchr(buf, '#')) != NULL) {
		*hash = '\0';
		e->public_comment = xstrdup(hash + 1);
	}
	tok = strtok_r(buf, " ", &save);
	assert_non_null(tok);
	e->domain = xstrdup(tok);
	e->obfuscated = strchr(tok, '*') != NULL;
	tok = strtok_r(NULL, " ", &save);
	assert_non_null(tok);
	flags = strchr(tok, '+');
	e->reject_media = strstr(tok, "+media") != NULL;
	e->reject_reports = strstr(tok, "+reports") != NULL;
	e->obfuscate = strstr(tok, "+obf") != NULL;
	if (flags != NULL)
		*flags = '\0';
	assert_true(feed_severity_from_name(tok) >= 0);
	e->severity = (enum feed_severity) feed_severity_from_name(tok);
	if ((tok = strtok_r(NULL, " ", &save)) != NULL && tok[0] == '@') {
		if (tok[1] == '=')
			mod_strlcpy(digest, tok + 2, sizeof(digest));
		else
			feed_digest(tok + 1, digest);
		e->digest = xstrdup(digest);
	}
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

struct feed_spec {
	const char        *name;
	double             trust;
	enum feed_severity cap;
	const char        *entries[MAXE + 1];
};

struct merge_case {
	const char          *what;
	double               quorum;
	enum feed_merge_mode mode;
	struct feed_spec     feeds[MAXF];
	const char          *excludes[MAXE + 1];
	const char          *known[MAXE + 1];
	const char          *want; /* render_merged() */
};

static const char *const state_names[]
    = { "block", "covered", "below", "excluded", "unresolved" };

/* One support: feed[:effective if capped][^parent][~masked]. */
static void
render_support(
    const struct feed_merged *m, const struct feed_support *s, struct buf *b)
{
	assert_int_equal(buf_printf(b, " %s", m->sources[s->source].name), 0);
	if (s->effective != s->severity)
		assert_int_equal(
		    buf_printf(b, ":%s", feed_severity_name(s->effective)), 0);
	if (s->inherited)
		assert_int_equal(buf_printf(b, "^%s", s->listed_as), 0);
	else if (s->resolved)
		assert_int_equal(buf_printf(b, "~%s", s->listed_as), 0);
}

static void
render_entries(const struct feed_merged *m, const struct feed_merged_entry *v,
    size_t n, struct buf *b)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct feed_merged_entry *e = &v[i];

		assert_int_equal(buf_printf(b, "%s %s %s%s%s%s t=%.1f",
		                     state_names[e->state], e->domain,
		                     feed_severity_name(e->severity),
		                     e->reject_media ? "+media" : "",
		                     e->reject_reports ? "+reports" : "",
		                     e->obfuscate ? "+obf" : "", e->trust),
		    0);
		if (e->covered_by != NULL)
			assert_int_equal(
			    buf_printf(b, " <%s", e->covered_by), 0);
		for (j = 0; j < e->nsup; j++)
			render_support(m, &e->sup[j], b);
		assert_int_equal(buf_appendc(b, '\n'), 0);
	}
}

/* The whole result as text; the caller frees it. */
static char *
render_merged(const struct feed_merged *m)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_appends(&b, ""), 0);
	render_entries(m, m->v, m->n, &b);
	render_entries(m, m->below, m->nbelow, &b);
	render_entries(m, m->excluded, m->nexcluded, &b);
	render_entries(m, m->unresolved, m->nunresolved, &b);
	return buf_steal(&b);
}

struct built {
	struct feed_list   lists[MAXF];
	struct feed_source src[MAXF];
	size_t             nsrc;
};

static void
build_sources(const struct merge_case *c, struct built *bt)
{
	size_t i;

	memset(bt, 0, sizeof(*bt));
	for (i = 0; i < MAXF && c->feeds[i].name != NULL; i++) {
		spec_list(c->feeds[i].entries, &bt->lists[i]);
		bt->src[i].name = c->feeds[i].name;
		bt->src[i].trust = c->feeds[i].trust;
		bt->src[i].max_severity = c->feeds[i].cap;
		bt->src[i].list = &bt->lists[i];
		bt->src[i].revision = "rev1";
	}
	bt->nsrc = i;
}

static void
free_sources(struct built *bt)
{
	size_t i;

	for (i = 0; i < MAXF; i++)
		feed_list_free(&bt->lists[i]);
}

static size_t
count_strs(const char *const *v)
{
	size_t n = 0;

	while (n < MAXE && v[n] != NULL)
		n++;
	return n;
}

static void
run_case(const struct merge_case *c)
{
	struct built           bt;
	struct feed_merge_opts o = { 0 };
	struct feed_merged     m;
	struct mod_err         err = { 0 };
	char                  *got;

	build_sources(c, &bt);
	o.quorum = c->quorum;
	o.mode = c->mode;
	o.excludes = c->excludes;
	o.nexcludes = count_strs(c->excludes);
	o.known_domains = c->known;
	o.nknown = count_strs(c->known);
	if (feed_merge(bt.src, bt.nsrc, &o, &m, &err) != 0)
		fail_msg("%s: %s", c->what, err.msg);
	got = render_merged(&m);
	if (strcmp(got, c->want) != 0)
		fail_msg(
		    "%s:\n--- want\n%s--- got\n%s", c->what, c->want, got);
	free(got);
	feed_merged_free(&m);
	free_sources(&bt);
}

#define SUS FEED_SEV_SUSPEND
#define SIL FEED_SEV_SILENCE
#define NOOP FEED_SEV_NOOP
#define MAX FEED_MERGE_MAX
#define MIN FEED_MERGE_MIN

static const struct merge_case quorum_cases[] = {
	{ "quorum met by two feeds, not by one", 2.0, MAX,
	    { { "a", 1, SUS,
	          { "bad.example suspend", "one.example silence" } },
	        { "b", 1, SUS, { "bad.example suspend" } } },
	    { NULL }, { NULL },
	    "block bad.example suspend t=2.0 a b\n"
	    "below one.example silence t=1.0 a\n" },
	{ "weights add up; a heavy feed alone suffices", 2.0, MAX,
	    { { "heavy", 2.5, SUS, { "x.example suspend" } },
	        { "light", 0.5, SUS, { "y.example suspend" } },
	        { "mid", 1.5, SUS, { "y.example silence" } } },
	    { NULL }, { NULL },
	    "block x.example suspend t=2.5 heavy\n"
	    "block y.example suspend t=2.0 light mid\n" },
	{ "fractional trust meets the quorum exactly", 0.3, MAX,
	    { { "a", 0.1, SUS, { "f.example silence" } },
	        { "b", 0.2, SUS, { "f.example silence" } } },
	    { NULL }, { NULL }, "block f.example silence t=0.3 a b\n" },
	{ "zero trust feeds give provenance but no weight", 1.0, MAX,
	    { { "z", 0, SUS, { "z.example suspend" } } }, { NULL }, { NULL },
	    "below z.example suspend t=0.0 z\n" },
	{ "quorum zero: everything listed", 0, MAX,
	    { { "a", 1, SUS, { "q.example noop+media" } } }, { NULL },
	    { NULL }, "block q.example noop+media t=1.0 a\n" },
};

static const struct merge_case severity_cases[] = {
	{ "max: strictest severity, flags OR-ed", 1.0, MAX,
	    { { "a", 1, SUS, { "m.example suspend" } },
	        { "b", 1, SUS, { "m.example silence+media" } },
	        { "c", 1, SUS, { "m.example noop+reports" } } },
	    { NULL }, { NULL },
	    "block m.example suspend+media+reports t=3.0 a b c\n" },
	{ "min: mildest severity, flags AND-ed", 1.0, MIN,
	    { { "a", 1, SUS, { "m.example suspend+media+reports" } },
	        { "b", 1, SUS, { "m.example silence+media" } },
	        { "c", 1, SUS, { "m.example suspend+media" } } },
	    { NULL }, { NULL },
	    "block m.example silence+media t=3.0 a b c\n" },
	{ "cap: a feed capped at silence cannot suspend", 1.0, MAX,
	    { { "capped", 1, SIL, { "c.example suspend" } } }, { NULL },
	    { NULL }, "block c.example silence t=1.0 capped:silence\n" },
	{ "cap applies before max", 2.0, MAX,
	    { { "capped", 1, NOOP, { "c.example suspend+media" } },
	        { "open", 1, SUS, { "c.example silence" } } },
	    { NULL }, { NULL },
	    "block c.example silence+media t=2.0 capped:noop open\n" },
	{ "cap applies before min", 2.0, MIN,
	    { { "capped", 1, SIL, { "c.example suspend" } },
	        { "open", 1, SUS, { "c.example suspend" } } },
	    { NULL }, { NULL },
	    "block c.example silence t=2.0 capped:silence open\n" },
};

static const struct merge_case exclude_cases[] = {
	{ "an exclude removes its domain and every subdomain", 1.0, MAX,
	    { { "a", 1, SUS,
	        { "example.com suspend", "sub.example.com suspend",
	            "deep.sub.example.com silence", "notexample.com suspend",
	            "other.org suspend" } } },
	    { "Example.COM." }, { NULL },
	    "block notexample.com suspend t=1.0 a\n"
	    "block other.org suspend t=1.0 a\n"
	    "excluded deep.sub.example.com silence t=1.0 a\n"
	    "excluded example.com suspend t=1.0 a\n"
	    "excluded sub.example.com suspend t=1.0 a\n" },
	{ "a block above an exclude would cover it: excluded too", 1.0, MAX,
	    { { "a", 1, SUS, { "example.org suspend" } },
	        { "b", 1, SUS, { "bad.example.org silence" } } },
	    { "social.example.org" }, { NULL },
	    "block bad.example.org suspend t=2.0 a^example.org b\n"
	    "excluded example.org suspend t=1.0 a\n" },
	{ "excludes win over any quorum", 0, MAX,
	    { { "a", 5, SUS, { "peer.example suspend" } },
	        { "b", 5, SUS, { "peer.example suspend" } } },
	    { "peer.example" }, { NULL },
	    "excluded peer.example suspend t=10.0 a b\n" },
};

static const struct merge_case subdomain_cases[] = {
	{ "a parent entry supports the subdomain (longest match)", 2.0, MAX,
	    { { "a", 1, SUS, { "example.com suspend" } },
	        { "b", 1, SUS, { "sub.example.com silence" } } },
	    { NULL }, { NULL },
	    "block sub.example.com suspend t=2.0 a^example.com b\n"
	    "below example.com suspend t=1.0 a\n" },
	{ "a feed's own entry for the subdomain beats its parent", 2.0, MIN,
	    { { "a", 1, SUS,
	          { "example.com suspend", "ok.example.com noop" } },
	        { "b", 1, SUS, { "ok.example.com suspend" } } },
	    { NULL }, { NULL },
	    "block ok.example.com noop t=2.0 a b\n"
	    "below example.com suspend t=1.0 a\n" },
	{ "a milder exception under a blocked parent is covered: Mastodon "
	  "would refuse to create it",
	    1.0, MIN,
	    { { "a", 1, SUS,
	        { "example.com suspend", "ok.example.com noop" } } },
	    { NULL }, { NULL },
	    "block example.com suspend t=1.0 a\n"
	    "covered ok.example.com noop t=1.0 <example.com a\n" },
	{ "the longest parent speaks for each feed", 2.0, MAX,
	    { { "a", 1, SUS,
	          { "example.com suspend", "b.example.com silence" } },
	        { "b", 1, SUS, { "a.b.example.com noop" } } },
	    { NULL }, { NULL },
	    "block a.b.example.com silence t=2.0 a^b.example.com b\n"
	    "below b.example.com silence t=1.0 a\n"
	    "below example.com suspend t=1.0 a\n" },
	{ "an equal or milder subdomain entry is covered by its parent", 2.0,
	    MAX,
	    { { "a", 1, SUS,
	          { "example.com suspend", "sub.example.com suspend",
	              "example.net silence+media", "x.example.net silence" } },
	        { "b", 1, SUS,
	            { "example.com suspend", "sub.example.com silence",
	                "example.net silence+media" } } },
	    { NULL }, { NULL },
	    "block example.com suspend t=2.0 a b\n"
	    "block example.net silence+media t=2.0 a b\n"
	    "covered sub.example.com suspend t=2.0 <example.com a b\n"
	    "covered x.example.net silence+media t=2.0 <example.net a "
	    "b^example.net\n" },
	{ "a stricter subdomain entry is not covered", 2.0, MAX,
	    { { "a", 1, SUS,
	          { "example.com silence", "sub.example.com suspend" } },
	        { "b", 1, SUS,
	            { "example.com silence", "sub.example.com suspend" } } },
	    { NULL }, { NULL },
	    "block example.com silence t=2.0 a b\n"
	    "block sub.example.com suspend t=2.0 a b\n" },
	{ "a parent below the quorum covers nothing", 2.0, MAX,
	    { { "a", 1, SUS,
	          { "example.com suspend", "sub.example.com suspend" } },
	        { "b", 1, SUS, { "sub.example.com silence" } } },
	    { NULL }, { NULL },
	    "block sub.example.com suspend t=2.0 a b\n"
	    "below example.com suspend t=1.0 a\n" },
};

#define EXAMPLE_DIGEST                                                        \
	"a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947"

static const struct merge_case masked_cases[] = {
	{ "a masked name resolved by digest counts for the real name", 2.0,
	    MAX,
	    { { "a", 1, SUS, { "exa****.*om suspend @example.com" } },
	        { "b", 1, SUS, { "example.com silence" } } },
	    { NULL }, { "peer.example", "example.com" },
	    "block example.com suspend+obf t=2.0 a~exa****.*om b\n" },
	{ "a literal digest works the same", 1.0, MAX,
	    { { "a", 1, SUS, { "exa****.*om suspend @=" EXAMPLE_DIGEST } } },
	    { NULL }, { "example.com" },
	    "block example.com suspend+obf t=1.0 a~exa****.*om\n" },
	{ "unknown digests are kept aside, never blocked", 1.0, MAX,
	    { { "a", 1, SUS, { "hid***.*et suspend @hidden.net" } },
	        { "b", 1, SUS, { "hid***.*et silence @hidden.net" } } },
	    { NULL }, { "example.com" },
	    "unresolved hid***.*et suspend+obf t=2.0 a b\n" },
	{ "a masked name without a digest is kept aside by name", 1.0, MAX,
	    { { "a", 1, SUS,
	        { "ap.***.st suspend", "ati**.***ss silence" } } },
	    { NULL }, { "ap.foo.st" },
	    "unresolved ap.***.st suspend+obf t=1.0 a\n"
	    "unresolved ati**.***ss silence+obf t=1.0 a\n" },
	{ "a masked name of an exclude is excluded", 0, MAX,
	    { { "a", 1, SUS, { "exa****.*om suspend @example.com" } } },
	    { "example.com" }, { NULL },
	    "excluded example.com suspend+obf t=1.0 a~exa****.*om\n" },
	{ "masked and plain in one feed: one support, the stricter", 1.0, MAX,
	    { { "a", 1, SUS,
	        { "example.com silence",
	            "exa****.*om suspend @example.com" } } },
	    { NULL }, { "example.com" },
	    "block example.com suspend+obf t=1.0 a~exa****.*om\n" },
};

static void
run_table(const struct merge_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_case(&c[i]);
}

static void
test_quorum(void **state)
{
	(void) state;
	run_table(quorum_cases, nitems(quorum_cases));
}

static void
test_severity(void **state)
{
	(void) state;
	run_table(severity_cases, nitems(severity_cases));
}

static void
test_excludes(void **state)
{
	(void) state;
	run_table(exclude_cases, nitems(exclude_cases));
}

static void
test_subdomains(void **state)
{
	(void) state;
	run_table(subdomain_cases, nitems(subdomain_cases));
}

static void
test_masked(void **state)
{
	(void) state;
	run_table(masked_cases, nitems(masked_cases));
}

static const struct merge_case provenance_case = { "provenance", 1.0, MAX,
	{ { "a", 1, SUS,
	      { "one.example silence+reports #spam, mostly",
	          "two.example suspend" } },
	    { "b", 3, SIL,
	        { "zero.example noop",
	            "one.example suspend+media #harassment" } },
	    { "c", 2, SUS, { "one.example silence #slow mods" } } },
	{ NULL }, { NULL }, NULL };

/* Everything a moderator sees about where an entry came from. */
static void
test_provenance(void **state)
{
	const struct feed_merged_entry *e;
	const struct feed_support      *s;
	struct feed_merge_opts          o = { .quorum = 1.0 };
	struct feed_merged              m;
	struct built                    bt;

	(void) state;
	build_sources(&provenance_case, &bt);
	bt.src[1].revision = "etag-b";
	assert_int_equal(feed_merge(bt.src, bt.nsrc, &o, &m, NULL), 0);
	assert_int_equal(m.nsources, 3);
	assert_string_equal(m.sources[1].name, "b");
	assert_string_equal(m.sources[1].revision, "etag-b");
	assert_int_equal(m.sources[1].max_severity, SIL);
	assert_int_equal(m.sources[1].entries, 2);
	assert_true(m.sources[2].trust == 2.0);
	e = feed_merged_find(&m, "one.example");
	assert_non_null(e);
	assert_int_equal(e->state, FEED_MERGED_BLOCK);
	assert_int_equal(e->severity, SIL); /* b is capped at silence */
	assert_true(e->reject_media && e->reject_reports);
	assert_true(e->trust == 6.0);
	assert_int_equal(e->nsup, 3);
	s = &e->sup[1];
	assert_int_equal(s->source, 1);
	assert_int_equal(s->severity, SUS);
	assert_int_equal(s->effective, SIL);
	assert_true(s->reject_media && !s->reject_reports);
	assert_string_equal(s->public_comment, "harassment");
	assert_int_equal(s->line, 2);
	assert_null(s->listed_as);
	assert_string_equal(e->sup[0].public_comment, "spam, mostly");
	/* The comment comes from the most trusted feed at the merged
	 * severity: b (3) over c (2) and a (1). */
	assert_string_equal(e->public_comment, "harassment");
	e = feed_merged_find(&m, "zero.example");
	assert_non_null(e);
	assert_null(e->public_comment);
	assert_null(feed_merged_find(&m, "nowhere.example"));
	feed_merged_free(&m);
	free_sources(&bt);
}

/* Lookups on the result: exact, longest match, excluded. */
static void
test_lookups(void **state)
{
	static const struct merge_case c = { "lookups", 2.0, MAX,
		{ { "a", 1, SUS,
		      { "example.com suspend", "x.example.net silence" } },
		    { "b", 1, SUS, { "example.com suspend" } } },
		{ "own.example.org" }, { NULL }, NULL };
	struct feed_merge_opts         o = { .quorum = 2.0 };
	const char *const              ex[] = { "own.example.org" };
	struct feed_merged             m;
	struct built                   bt;

	(void) state;
	build_sources(&c, &bt);
	o.excludes = ex;
	o.nexcludes = 1;
	assert_int_equal(feed_merge(bt.src, bt.nsrc, &o, &m, NULL), 0);
	assert_null(feed_merged_find(&m, "sub.example.com"));
	assert_string_equal(
	    feed_merged_match(&m, "a.sub.example.com")->domain, "example.com");
	assert_int_equal(
	    feed_merged_match(&m, "x.example.net")->state, FEED_MERGED_BELOW);
	assert_null(feed_merged_match(&m, "example.net"));
	assert_true(feed_merged_excluded(&m, "own.example.org"));
	assert_true(feed_merged_excluded(&m, "a.own.example.org"));
	assert_true(feed_merged_excluded(&m, "example.org"));
	assert_false(feed_merged_excluded(&m, "other.example.org"));
	assert_false(feed_merged_excluded(&m, "example.com"));
	feed_merged_free(&m);
	free_sources(&bt);
}

/* The result depends on the set of entries, not their order. */
static void
test_determinism(void **state)
{
	static const struct merge_case fwd = { "forward", 1.0, MAX,
		{ { "a", 1, SUS,
		      { "b.example suspend", "a.example silence",
		          "c.example noop+media", "x.a.example suspend",
		          "exa****.*om suspend @example.com" } },
		    { "b", 1, SUS,
		        { "c.example silence", "a.example suspend" } } },
		{ NULL }, { "example.com" }, NULL };
	static const struct merge_case rev = { "reverse", 1.0, MAX,
		{ { "a", 1, SUS,
		      { "exa****.*om suspend @example.com",
		          "x.a.example suspend", "c.example noop+media",
		          "a.example silence", "b.example suspend" } },
		    { "b", 1, SUS,
		        { "a.example suspend", "c.example silence" } } },
		{ NULL }, { "example.com" }, NULL };
	const struct merge_case       *cases[] = { &fwd, &rev, &fwd };
	struct feed_merge_opts         o = { .quorum = 1.0 };
	const char *const              known[] = { "example.com" };
	char                          *got[3];
	struct feed_merged             m;
	struct built                   bt;
	size_t                         i;

	(void) state;
	o.known_domains = known;
	o.nknown = 1;
	for (i = 0; i < 3; i++) {
		build_sources(cases[i], &bt);
		assert_int_equal(feed_merge(bt.src, bt.nsrc, &o, &m, NULL), 0);
		got[i] = render_merged(&m);
		feed_merged_free(&m);
		free_sources(&bt);
	}
	assert_string_equal(got[0], got[1]);
	assert_string_equal(got[0], got[2]);
	assert_non_null(strstr(got[0],
	    "block a.example suspend t=2.0 a b\n"
	    "block b.example suspend"));
	for (i = 0; i < 3; i++)
		free(got[i]);
}

static void
test_errors(void **state)
{
	struct feed_list       l = { 0 };
	struct feed_source     src[MOD_MAX_FEED_SOURCES_COUNT + 1];
	struct feed_merge_opts o = { .quorum = 1.0 };
	struct feed_merged     m;
	struct mod_err         err;
	const char *const      bad_ex[] = { "example.com:443" };
	size_t                 i;

	(void) state;
	for (i = 0; i < nitems(src); i++) {
		src[i] = (struct feed_source) { "f", 1.0, SUS, &l, NULL };
	}
	src[1].name = "g";
	assert_int_equal(feed_merge(src, 2, &o, &m, &err), 0);
	feed_merged_free(&m);
	assert_int_equal(feed_merge(src, 1, &o, &m, &err), 0);
	assert_int_equal(m.n + m.nbelow + m.nunresolved, 0);
	feed_merged_free(&m);
	src[1].name = "f";
	assert_int_equal(feed_merge(src, 2, &o, &m, &err), MOD_EINVAL);
	assert_non_null(strstr(err.msg, "twice"));
	assert_int_equal(m.n, 0);
	src[1].name = "a,b";
	assert_int_equal(feed_merge(src, 2, &o, &m, &err), MOD_EINVAL);
	src[1].name = "g";
	src[1].trust = -1;
	assert_int_equal(feed_merge(src, 2, &o, &m, &err), MOD_EINVAL);
	src[1].trust = NAN;
	assert_int_equal(feed_merge(src, 2, &o, &m, &err), MOD_EINVAL);
	src[1].trust = 1;
	src[1].list = NULL;
	assert_int_equal(feed_merge(src, 2, &o, &m, &err), MOD_EINVAL);
	src[1].list = &l;
	o.quorum = NAN;
	assert_int_equal(feed_merge(src, 1, &o, &m, &err), MOD_EINVAL);
	o.quorum = 1;
	o.excludes = bad_ex;
	o.nexcludes = 1;
	assert_int_equal(feed_merge(src, 1, &o, &m, &err), MOD_EINVAL);
	assert_non_null(strstr(err.msg, "exclude 1"));
	o.nexcludes = 0;
	assert_int_equal(
	    feed_merge(src, nitems(src), &o, &m, &err), MOD_ETOOBIG);
}

/* The domain table: growth, exact and longest-match lookups. */
static void
test_domtab(void **state)
{
	struct feed_domtab *t = feed_domtab_new(0);
	char                names[2000][24];
	const char         *matched;
	uint32_t            v, old;
	size_t              i;

	(void) state;
	for (i = 0; i < nitems(names); i++) {
		snprintf(names[i], sizeof(names[i]), "host%zu.example", i);
		assert_true(feed_domtab_put(t, names[i], (uint32_t) i, NULL));
	}
	assert_false(feed_domtab_put(t, "host7.example", 99, &old));
	assert_int_equal(old, 7);
	assert_int_equal(feed_domtab_count(t), nitems(names));
	for (i = 0; i < nitems(names); i++) {
		assert_true(feed_domtab_get(t, names[i], &v));
		assert_int_equal(v, i);
	}
	assert_false(feed_domtab_get(t, "example", &v));
	assert_true(
	    feed_domtab_match(t, "a.b.host5.example", false, &v, &matched));
	assert_int_equal(v, 5);
	assert_string_equal(matched, "host5.example");
	assert_true(feed_domtab_match(t, "host5.example", false, &v, NULL));
	assert_false(feed_domtab_match(t, "host5.example", true, &v, NULL));
	assert_false(
	    feed_domtab_match(t, "host5.example.org", false, &v, NULL));
	feed_domtab_free(t);
	feed_domtab_free(NULL);
}

static void
test_stricter(void **state)
{
	(void) state;
	assert_true(
	    feed_stricter_or_equal(SUS, false, false, SIL, true, true));
	assert_true(
	    feed_stricter_or_equal(SUS, false, false, SUS, true, true));
	assert_false(
	    feed_stricter_or_equal(SIL, true, true, SUS, false, false));
	assert_true(
	    feed_stricter_or_equal(SIL, true, false, SIL, false, false));
	assert_false(
	    feed_stricter_or_equal(SIL, false, false, SIL, true, false));
	assert_false(
	    feed_stricter_or_equal(SIL, true, false, NOOP, true, true));
	assert_true(
	    feed_stricter_or_equal(NOOP, false, false, NOOP, false, false));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_excludes),
		cmocka_unit_test(test_subdomains),
		cmocka_unit_test(test_masked),
		cmocka_unit_test(test_provenance),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_domtab),
		cmocka_unit_test(test_stricter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
