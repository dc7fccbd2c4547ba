/*
 * test_feed_roundtrip.c - what moderd publishes, moderd's own parser
 * reads back: every published format through feed_parse() (format given
 * and detected) gives the same entries, up to what each format can say
 * by its documented rules (formats.md §B: Mastodon's CSV drops noop
 * blocks without reject_media and never carries private comments; the
 * public JSON list has silence and suspend only, masks obfuscated names
 * and has no flags; plain text is suspends only).  Masked names come
 * back with their digest and feed_merge() resolves them to the real
 * names again.  A generated list with awkward comments (commas, quotes,
 * line breaks, non-ASCII) checks the quoting both ways.
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
#include "feeds.h"
#include "util.h"

#define SUS FEED_SEV_SUSPEND
#define SIL FEED_SEV_SILENCE
#define NOOP FEED_SEV_NOOP

struct rt_spec {
	const char        *domain;
	enum feed_severity sev;
	bool               media, reports, obfuscate;
	const char        *comment;
};

static const struct rt_spec approved[] = {
	{ "birb.elfenban.de", SUS, false, false, true, "Third-party bots" },
	{ "example.com", SIL, true, false, false, "spam, \"free speech\"" },
	{ "media.example", NOOP, true, false, false, "media only" },
	{ "reports.example", NOOP, false, true, false, "not exported" },
	{ "quiet.example.org", SIL, false, true, true, NULL },
	{ "xn--bcher-kva.example", SUS, true, true, false,
	    "b\xc3\xbc"
	    "cher" },
	{ "multi.example", SUS, false, false, false, "line one\nline two" },
	{ "empty.example", SUS, false, false, false, "" },
};

static void
rt_list(const struct rt_spec *s, size_t n, struct feed_list *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	l->v = xcalloc(n + 1, sizeof(*l->v));
	for (i = 0; i < n; i++) {
		struct feed_entry *e = &l->v[i];

		e->domain = xstrdup(s[i].domain);
		e->severity = s[i].sev;
		e->reject_media = s[i].media;
		e->reject_reports = s[i].reports;
		e->obfuscate = s[i].obfuscate;
		e->public_comment
		    = s[i].comment ? xstrdup(s[i].comment) : NULL;
		e->private_comment = xstrdup("never published");
	}
	l->n = n;
}

/* Which entries a format carries. */
static bool
rt_carried(enum feed_format fmt, const struct feed_entry *e)
{
	switch (fmt) {
	case FEED_FMT_TEXT:
		return e->severity == SUS;
	case FEED_FMT_MASTODON_JSON:
		return e->severity != NOOP;
	default:
		return e->severity != NOOP || e->reject_media;
	}
}

static const struct feed_entry *
rt_find(const struct feed_list *l, const char *domain)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].domain, domain) == 0)
			return &l->v[i];
	return NULL;
}

/* "" and NULL comments are the same to every format; the CSVs write
 * line breaks as spaces, and CSV readers ignore white space around an
 * unquoted field. */
static void
rt_same_comment(
    const char *want, const char *got, const char *domain, bool csv)
{
	char folded[256], *p;

	if (want != NULL && want[0] == '\0')
		want = NULL;
	if (want != NULL && csv) {
		mod_strlcpy(folded, want, sizeof(folded));
		for (p = folded; *p != '\0'; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		while (p > folded && p[-1] == ' ')
			*--p = '\0';
		for (want = folded; *want == ' ';)
			want++;
	}
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(want, got) != 0)
		fail_msg("%s: comment \"%s\" came back as \"%s\"", domain,
		    want ? want : "(null)", got ? got : "(null)");
}

static void
rt_compare(enum feed_format fmt, const struct feed_list *in,
    const struct feed_list *out)
{
	size_t i, carried = 0;
	char   dg[65], wdg[65];

	for (i = 0; i < in->n; i++) {
		const struct feed_entry *w = &in->v[i], *g;

		if (!rt_carried(fmt, w))
			continue;
		carried++;
		if ((g = rt_find(out, w->domain)) == NULL)
			fail_msg("%s: %s missing", feed_format_name(fmt),
			    w->domain);
		assert_int_equal(g->severity, w->severity);
		assert_null(g->private_comment);
		assert_false(g->obfuscated);
		feed_entry_digest(g, dg);
		feed_entry_digest(w, wdg);
		assert_string_equal(dg, wdg);
		if (fmt == FEED_FMT_TEXT)
			continue;
		assert_int_equal(g->reject_media, w->reject_media);
		assert_int_equal(g->reject_reports, w->reject_reports);
		assert_int_equal(g->obfuscate, w->obfuscate);
		rt_same_comment(w->public_comment, g->public_comment,
		    w->domain, fmt != FEED_FMT_MASTODON_JSON);
	}
	assert_int_equal(out->n, carried);
}

static void
rt_publish(enum feed_format fmt, const struct feed_list *in, struct buf *b)
{
	buf_init(b, MOD_MAX_FEED_PUBLISH_BYTES);
	assert_int_equal(feed_publish(fmt, in->v, in->n, 0, b), 0);
}

static void
rt_parse(enum feed_format as, const struct buf *b, enum feed_format want,
    struct feed_list *out)
{
	struct mod_errlist errs = { 0 };

	memset(out, 0, sizeof(*out));
	if (feed_parse("published", b->data, b->len, as, out, &errs) != 0
	    || errs.n != 0) {
		mod_errlist_print(&errs, stderr);
		fail_msg("%s did not parse back", feed_format_name(want));
	}
	assert_int_equal(out->format, want);
	mod_errlist_free(&errs);
}

/* CSVs and text: the same entries, format given or detected. */
static void
test_named_formats(void **state)
{
	static const enum feed_format fmts[]
	    = { FEED_FMT_MASTODON_CSV, FEED_FMT_FBH_CSV, FEED_FMT_TEXT };
	struct feed_list in, out;
	struct buf       b;
	size_t           i, k;

	(void) state;
	rt_list(approved, nitems(approved), &in);
	for (i = 0; i < nitems(fmts); i++) {
		rt_publish(fmts[i], &in, &b);
		for (k = 0; k < 2; k++) {
			rt_parse(
			    k ? FEED_FMT_AUTO : fmts[i], &b, fmts[i], &out);
			rt_compare(fmts[i], &in, &out);
			feed_list_free(&out);
		}
		buf_free(&b);
	}
	feed_list_free(&in);
}

/* The public JSON: masked names come back masked, with the digest that
 * feed_merge() resolves against names the server knows. */
static void
test_public_json(void **state)
{
	const char *const known[]
	    = { "birb.elfenban.de", "quiet.example.org" };
	struct feed_merge_opts   mo = { .quorum = 1.0 };
	struct feed_source       src;
	struct feed_merged       m;
	struct feed_list         in, out;
	const struct feed_entry *g;
	struct buf               b;
	size_t                   i;

	(void) state;
	rt_list(approved, nitems(approved), &in);
	rt_publish(FEED_FMT_MASTODON_JSON, &in, &b);
	rt_parse(FEED_FMT_AUTO, &b, FEED_FMT_MASTODON_JSON, &out);
	g = rt_find(&out, "birb.*******n.de");
	assert_non_null(g);
	assert_true(g->obfuscated);
	assert_string_equal(g->digest,
	    "5d2c6e02a0cced8fb05f32626437e3d23096480b47efbba659b6d9e80c85d28"
	    "0");
	assert_string_equal(g->public_comment, "Third-party bots");
	src = (struct feed_source) { "self", 1.0, SUS, &out, NULL };
	mo.known_domains = known;
	mo.nknown = nitems(known);
	assert_int_equal(feed_merge(&src, 1, &mo, &m, NULL), 0);
	assert_int_equal(m.nunresolved, 0);
	for (i = 0; i < in.n; i++) {
		const struct feed_entry        *w = &in.v[i];
		const struct feed_merged_entry *e;

		e = feed_merged_find(&m, w->domain);
		if (!rt_carried(FEED_FMT_MASTODON_JSON, w)) {
			assert_null(e);
			continue;
		}
		if (e == NULL)
			fail_msg("%s missing after resolution", w->domain);
		assert_int_equal(e->severity, w->severity);
		assert_int_equal(e->obfuscate, w->obfuscate);
		assert_int_equal(e->sup[0].resolved, w->obfuscate);
		rt_same_comment(
		    w->public_comment, e->public_comment, w->domain, false);
	}
	assert_int_equal(m.n, out.n);
	feed_merged_free(&m);
	feed_list_free(&out);
	buf_free(&b);
	feed_list_free(&in);
}

/* A generated list: every flag combination, awkward comments. */
static void
test_generated(void **state)
{
	static const char *const comments[] = { NULL, "", "plain", "a, b, c",
		"\"quoted\"", "tab\there", "crlf\r\nline", "trailing space ",
		" leading", "iftas:a;b;c",
		"\xe2\x80\x9csmart\xe2\x80\x9d \xf0\x9f\x98\x80", "#hash,",
		"\"", ",", "a\"\"b" };
	struct rt_spec          *spec = xcalloc(600, sizeof(*spec));
	char(*names)[32] = xcalloc(600, sizeof(*names));
	struct feed_list in, out;
	struct buf       b;
	size_t           i;

	(void) state;
	for (i = 0; i < 600; i++) {
		snprintf(names[i], sizeof(names[i]),
		    "host%03zu.example%zu.net", (i * 7919) % 600, i % 3);
		spec[i].domain = names[i];
		spec[i].sev = (enum feed_severity)(i % 3);
		spec[i].media = (i / 3) % 2;
		spec[i].reports = (i / 6) % 2;
		spec[i].obfuscate = (i / 12) % 2;
		spec[i].comment = comments[i % nitems(comments)];
	}
	rt_list(spec, 600, &in);
	rt_publish(FEED_FMT_MASTODON_CSV, &in, &b);
	rt_parse(FEED_FMT_AUTO, &b, FEED_FMT_MASTODON_CSV, &out);
	rt_compare(FEED_FMT_MASTODON_CSV, &in, &out);
	feed_list_free(&out);
	buf_free(&b);
	rt_publish(FEED_FMT_FBH_CSV, &in, &b);
	rt_parse(FEED_FMT_FBH_CSV, &b, FEED_FMT_FBH_CSV, &out);
	rt_compare(FEED_FMT_FBH_CSV, &in, &out);
	feed_list_free(&out);
	buf_free(&b);
	feed_list_free(&in);
	free(names);
	free(spec);
}

/* Publishing is a function of the set: order in, bytes out. */
static void
test_stable_bytes(void **state)
{
	struct rt_spec   rev[nitems(approved)];
	struct feed_list a, z;
	struct buf       ba, bz;
	size_t           i;

	(void) state;
	for (i = 0; i < nitems(approved); i++)
		rev[i] = approved[nitems(approved) - 1 - i];
	rt_list(approved, nitems(approved), &a);
	rt_list(rev, nitems(rev), &z);
	rt_publish(FEED_FMT_MASTODON_JSON, &a, &ba);
	rt_publish(FEED_FMT_MASTODON_JSON, &z, &bz);
	assert_int_equal(ba.len, bz.len);
	assert_memory_equal(ba.data, bz.data, ba.len);
	buf_free(&ba);
	buf_free(&bz);
	feed_list_free(&a);
	feed_list_free(&z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named_formats),
		cmocka_unit_test(test_public_json),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_stable_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
