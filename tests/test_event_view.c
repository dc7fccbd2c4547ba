/*
 * test_event_view.c - event_view_build() and event_example(): what the
 * matcher sees of each kind of event.
 *
 * The inputs are the fixtures in tests/fixtures/events/ (real-shaped
 * Mastodon payloads), parsed with event_parse(); expectations are written
 * out in full: strings per target in both views, numbers with their known
 * bits, kind, visibility and locality.  Tests run from the repository
 * root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "event.h"
#include "util.h"

#define FIXTURES "tests/fixtures/events/"

/* fixture_path: FIXTURES/name under $MODERD_SRCDIR (default "."). */
static void
fixture_path(const char *name, char *out, size_t outsz)
{
	const char *root = getenv("MODERD_SRCDIR");

	snprintf(
	    out, outsz, "%s/%s%s", root && *root ? root : ".", FIXTURES, name);
}

static const char *const target_names[RULE_T_COUNT]
    = { "text", "spoiler", "display_name", "username", "acct", "domain", "bio",
	      "url", "host", "mention", "hashtag", "media_description",
	      "report_comment", "report_category" };

static struct event *
parse_buf(const char *buf, size_t len)
{
	struct event  *ev = NULL;
	struct mod_err err = { 0 };
	int            rv = event_parse(buf, len, &ev, &err);

	if (rv != 0)
		fail_msg("event_parse: %d %s", rv, err.msg);
	return ev;
}

static struct event *
parse_fixture(const char *name)
{
	char           path[MOD_MAX_PATH_BYTES], *buf = NULL;
	size_t         len = 0;
	struct mod_err err;
	struct event  *ev;

	fixture_path(name, path, sizeof(path));
	assert_int_equal(
	    mod_read_file(path, MOD_MAX_EVENT_BYTES, &buf, &len, &err), 0);
	ev = parse_buf(buf, len);
	free(buf);
	return ev;
}

static struct event_view *
view_of(const struct event *ev)
{
	struct event_view *v = NULL;
	struct mod_err     err = { 0 };

	assert_int_equal(event_view_build(ev, &v, &err), 0);
	assert_non_null(v);
	return v;
}

/* want_strs: the target's list in one view is exactly want[0..n). */
static void
want_strs(const struct rule_field *fld, const char *const *want, size_t n,
    const char *what)
{
	size_t i;

	if (fld->n != n)
		fail_msg("%s: %zu values, want %zu", what, fld->n, n);
	for (i = 0; i < n; i++) {
		const struct rule_str *s = &fld->v[i];

		if (s->len != strlen(want[i])
		    || memcmp(s->s, want[i], s->len) != 0)
			fail_msg("%s[%zu]: \"%.*s\", want \"%s\"", what, i,
			    (int) s->len, s->s, want[i]);
	}
}

/* want1: a target with one value, raw and folded as given. */
static void
want1(const struct rule_fields *f, enum rule_target t, const char *raw,
    const char *folded)
{
	want_strs(&f->raw[t], &raw, 1, target_names[t]);
	want_strs(&f->folded[t], &folded, 1, target_names[t]);
}

static void
want_num(const struct rule_fields *f, enum rule_num n, int64_t v)
{
	if (!(f->num_known & (1u << n)))
		fail_msg("num %d unknown, want %lld", (int) n, (long long) v);
	if (f->num[n] != v)
		fail_msg("num %d = %lld, want %lld", (int) n,
		    (long long) f->num[n], (long long) v);
}

static void
want_unknown(const struct rule_fields *f, enum rule_num n)
{
	if (f->num_known & (1u << n))
		fail_msg("num %d known (%lld), want unknown", (int) n,
		    (long long) f->num[n]);
}

static void
want_none(const struct rule_fields *f, enum rule_target t)
{
	want_strs(&f->raw[t], NULL, 0, target_names[t]);
	want_strs(&f->folded[t], NULL, 0, target_names[t]);
}

/* want_list: raw values as given, folded values their lowercase. */
static void
want_list(const struct rule_fields *f, enum rule_target t,
    const char *const *raw, size_t n)
{
	char        low[8][256];
	const char *lp[8];
	size_t      i, j;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		for (j = 0; raw[i][j] != '\0' && j < 255; j++)
			low[i][j]
			    = (char) (raw[i][j] >= 'A' && raw[i][j] <= 'Z'
			            ? raw[i][j] + 32
			            : raw[i][j]);
		low[i][j] = '\0';
		lp[i] = low[i];
	}
	want_strs(&f->raw[t], raw, n, target_names[t]);
	want_strs(&f->folded[t], lp, n, target_names[t]);
}

static bool
has_prefix(const struct rule_str *s, const char *p)
{
	return s->len >= strlen(p) && memcmp(s->s, p, strlen(p)) == 0;
}

/* --- status.created: the formats.md example --- */

static void
test_status_view(void **state)
{
	static const char *const  url[] = { "https://spam.example/x" };
	static const char *const  host[] = { "spam.example" };
	static const char *const  mention[] = { "alice@other.example" };
	static const char *const  tag[] = { "casino" };
	static const char *const  media[] = { "alt text" };
	struct event             *ev = parse_fixture("status_created.json");
	struct event_view        *v = view_of(ev);
	const struct rule_fields *f = event_view_fields(v);

	(void) state;
	want1(f, RULE_T_TEXT, "Hi @alice check https://spam.example/x",
	    "hi @alice check https://spam.example/x");
	want_list(f, RULE_T_URL, url, 1);
	want_list(f, RULE_T_HOST, host, 1);
	want_list(f, RULE_T_MENTION, mention, 1);
	want_list(f, RULE_T_HASHTAG, tag, 1);
	want_list(f, RULE_T_MEDIA_DESCRIPTION, media, 1);
	want_none(f, RULE_T_SPOILER); /* "" is no content warning */
	want1(f, RULE_T_DISPLAY_NAME, "Nicole", "nicole");
	want1(f, RULE_T_USERNAME, "newbie", "newbie");
	want1(f, RULE_T_ACCT, "newbie", "newbie");
	want1(f, RULE_T_DOMAIN, "", "");
	/* Bio: note, then each profile field value, one per line. */
	want_strs(&f->raw[RULE_T_BIO],
	    (const char *const[]) {
	        "Hi, I\xe2\x80\x99m Nicole!\n\xe2\x80\xa6" },
	    1, "bio");
	assert_int_equal(f->folded[RULE_T_BIO].n, 1);
	assert_true(has_prefix(&f->folded[RULE_T_BIO].v[0], "hi, i"));
	want_none(f, RULE_T_REPORT_COMMENT);
	want_none(f, RULE_T_REPORT_CATEGORY);
	/* 2026-02-17T09:12:44Z minus 2026-02-17T00:00:00Z: 9h12m44s. */
	want_num(f, RULE_N_ACCOUNT_AGE, 33164);
	want_num(f, RULE_N_FOLLOWERS, 0);
	want_num(f, RULE_N_FOLLOWING, 0);
	want_num(f, RULE_N_STATUSES, 1);
	want_num(f, RULE_N_LINKS, 1);
	want_num(f, RULE_N_MENTIONS, 1);
	want_num(f, RULE_N_HASHTAGS, 1);
	want_num(f, RULE_N_MEDIA, 1);
	want_num(f, RULE_N_LENGTH, 38);
	assert_int_equal(f->kind, RULE_K_STATUS_CREATED);
	assert_int_equal(f->visibility, RULE_VIS_PUBLIC);
	assert_int_equal(f->local, 1);
	event_view_free(v);
	event_free(ev);
}

/* The view owns its strings: it outlives the event. */
static void
test_view_outlives_event(void **state)
{
	struct event             *ev = parse_fixture("status_updated.json");
	struct event_view        *v = view_of(ev);
	const struct rule_fields *f;

	(void) state;
	event_free(ev);
	f = event_view_fields(v);
	want1(f, RULE_T_TEXT, "Hi @alice please check https://spam.example/x",
	    "hi @alice please check https://spam.example/x");
	assert_int_equal(f->kind, RULE_K_STATUS_UPDATED);
	event_view_free(v);
	event_view_free(NULL);
}

/* A remote streamed status: confusables folded, card url deduplicated. */
static void
test_streaming_view(void **state)
{
	static const char *const  url[] = { "https://bit.example/abc" };
	static const char *const  host[] = { "bit.example" };
	static const char *const  tag[] = { "crypto" };
	struct event             *ev = parse_fixture("streaming_status.json");
	struct event_view        *v = view_of(ev);
	const struct rule_fields *f = event_view_fields(v);
	const struct rule_str    *text;

	(void) state;
	assert_int_equal(f->raw[RULE_T_TEXT].n, 1);
	assert_true(has_prefix(&f->raw[RULE_T_TEXT].v[0],
	    "\xef\xbc\xa6\xef\xbd\x92\xef\xbd\x85\xef\xbd\x85 "));
	text = &f->folded[RULE_T_TEXT].v[0];
	assert_true(has_prefix(text, "free btc for everyone! #crypto "));
	want_list(f, RULE_T_URL, url, 1);
	want_list(f, RULE_T_HOST, host, 1);
	want_list(f, RULE_T_HASHTAG, tag, 1);
	want_none(f, RULE_T_MENTION);
	want1(f, RULE_T_SPOILER, "giveaway", "giveaway");
	want1(f, RULE_T_MEDIA_DESCRIPTION, "QR code to claim",
	    "qr code to claim");
	want1(f, RULE_T_ACCT, "promo@spam.example", "promo@spam.example");
	want1(f, RULE_T_DOMAIN, "spam.example", "spam.example");
	want1(f, RULE_T_BIO, "We give away crypto", "we give away crypto");
	/* 2026-02-17T12:01:02Z minus 2026-02-10: 7d 12h01m02s. */
	want_num(f, RULE_N_ACCOUNT_AGE, 7 * 86400 + 12 * 3600 + 62);
	want_num(f, RULE_N_FOLLOWING, 1500);
	want_num(f, RULE_N_MEDIA, 2);
	want_num(f, RULE_N_LINKS, 1);
	want_num(f, RULE_N_MENTIONS, 0);
	assert_int_equal(f->local, 0);
	assert_int_equal(f->visibility, RULE_VIS_PUBLIC);
	assert_int_equal(f->kind, RULE_K_STATUS_CREATED);
	event_view_free(v);
	event_free(ev);
}

/* A poll's options are more values of text, after the post itself; the
 * length is still the post's. */
static void
test_poll_view(void **state)
{
	static const char json[]
	    = "{\"event\":\"status.created\","
	      "\"created_at\":\"2026-02-17T09:12:44Z\","
	      "\"object\":{\"id\":\"1\",\"content\":\"<p>Vote!</p>\","
	      "\"poll\":{\"id\":\"7\",\"options\":["
	      "{\"title\":\"Claim FREE btc\",\"votes_count\":0},"
	      "{\"title\":null},{\"title\":\"\xef\xbc\xae\xef\xbd\x8f\"}]}}}";
	static const char *const raw[]
	    = { "Vote!", "Claim FREE btc", "\xef\xbc\xae\xef\xbd\x8f" };
	static const char *const folded[]
	    = { "vote!", "claim free btc", "no" };
	struct event             *ev = parse_buf(json, sizeof(json) - 1);
	struct event_view        *v = view_of(ev);
	const struct rule_fields *f = event_view_fields(v);

	(void) state;
	want_strs(&f->raw[RULE_T_TEXT], raw, 3, "text");
	want_strs(&f->folded[RULE_T_TEXT], folded, 3, "text");
	want_num(f, RULE_N_LENGTH, 5);
	event_view_free(v);
	event_free(ev);
}

/* A boost reads as what it boosts (text, tags, links); the account is
 * the booster's: a new local account boosting spam is the signal. */
static void
test_boost_view(void **state)
{
	static const char json[]
	    = "{\"event\":\"status.created\","
	      "\"created_at\":\"2026-02-17T09:12:44Z\","
	      "\"object\":{\"id\":\"2\",\"content\":\"\",\"tags\":[],"
	      "\"created_at\":\"2026-02-17T09:12:44Z\","
	      "\"account\":{\"id\":\"5\",\"username\":\"fresh\","
	      "\"acct\":\"fresh\",\"created_at\":\"2026-02-17T00:00:00Z\"},"
	      "\"reblog\":{\"id\":\"1\",\"content\":\"<p>FREE BTC at <a "
	      "href='https://win.example/x'>win.example/x</a></p>\","
	      "\"tags\":[{\"name\":\"crypto\"}],"
	      "\"account\":{\"id\":\"9\",\"username\":\"spam\","
	      "\"acct\":\"spam@far.example\"}}}}";
	static const char *const  host[] = { "win.example" };
	static const char *const  tag[] = { "crypto" };
	struct event             *ev = parse_buf(json, sizeof(json) - 1);
	struct event_view        *v = view_of(ev);
	const struct rule_fields *f = event_view_fields(v);

	(void) state;
	want1(f, RULE_T_TEXT, "FREE BTC at win.example/x",
	    "free btc at win.example/x");
	want_list(f, RULE_T_HOST, host, 1);
	want_list(f, RULE_T_HASHTAG, tag, 1);
	want1(f, RULE_T_ACCT, "fresh", "fresh");
	want_num(f, RULE_N_ACCOUNT_AGE, 33164);
	assert_int_equal(f->local, 1);
	event_view_free(v);
	event_free(ev);
}

/* --- reports --- */

static void
test_report_view(void **state)
{
	static const char *const mention[]
	    = { "thirdperson@emailwebsite.com" };
	struct event             *ev = parse_fixture("report_created.json");
	struct event_view        *v = view_of(ev);
	const struct rule_fields *f = event_view_fields(v);

	(void) state;
	want1(f, RULE_T_TEXT, "Here is some content", "here is some content");
	want_list(f, RULE_T_MENTION, mention, 1);
	/* Account targets describe the reported account. */
	want1(f, RULE_T_USERNAME, "cheeseperson", "cheeseperson");
	want1(f, RULE_T_ACCT, "cheeseperson@someothermastodonsite.com",
	    "cheeseperson@someothermastodonsite.com");
	want1(f, RULE_T_DOMAIN, "someothermastodonsite.com",
	    "someothermastodonsite.com");
	want_none(f, RULE_T_DISPLAY_NAME);
	want_none(f, RULE_T_REPORT_COMMENT); /* "" */
	want1(f, RULE_T_REPORT_CATEGORY, "violation", "violation");
	/* At the report's created_at, 2023-10-26T13:34:00.348Z, minus
	 * 2023-08-20: 67 days 13h34m (milliseconds dropped). */
	want_num(f, RULE_N_ACCOUNT_AGE, 67 * 86400 + 13 * 3600 + 34 * 60);
	want_unknown(f, RULE_N_FOLLOWERS);
	want_unknown(f, RULE_N_STATUSES);
	want_num(f, RULE_N_MENTIONS, 1);
	want_num(f, RULE_N_LINKS, 0);
	want_num(f, RULE_N_LENGTH, 20);
	assert_int_equal(f->local, 0);
	assert_int_equal(f->visibility, RULE_VIS_UNKNOWN);
	assert_int_equal(f->kind, RULE_K_REPORT_CREATED);
	event_view_free(v);
	event_free(ev);
}

/* report.updated with three statuses: targets are the union. */
static void
test_report_union(void **state)
{
	static const char *const text[]
	    = { "Here is some content", "buy at https://shop.example/a now",
		      "again https://shop.example/a and https://b.example/" };
	static const char *const url[]
	    = { "https://shop.example/a", "https://b.example/" };
	static const char *const host[] = { "shop.example", "b.example" };
	static const char *const comment[] = { "more of the same spam" };
	static const char *const link
	    = "<a href=\"https://shop.example/a\" rel=\"nofollow noopener\">"
	      "https://shop.example/a</a>";
	json_t                   *root, *sts, *st;
	json_error_t              je;
	char                     *doc, html[512], path[MOD_MAX_PATH_BYTES];
	struct event             *ev;
	struct event_view        *v;
	const struct rule_fields *f;
	int                       i;

	(void) state;
	fixture_path("report_updated.json", path, sizeof(path));
	root = json_load_file(path, 0, &je);
	assert_non_null(root);
	sts = json_object_get(json_object_get(root, "object"), "statuses");
	for (i = 1; i <= 2; i++) {
		st = json_deep_copy(json_array_get(sts, 0));
		json_object_set_new(
		    st, "id", json_string(i == 1 ? "11" : "12"));
		if (i == 1)
			snprintf(
			    html, sizeof(html), "<p>buy at %s now</p>", link);
		else
			snprintf(html, sizeof(html),
			    "<p>again %s and <a href=\"https://b.example/\">"
			    "https://b.example/</a></p>",
			    link);
		json_object_set_new(st, "content", json_string(html));
		json_array_append_new(sts, st);
	}
	doc = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	ev = parse_buf(doc, strlen(doc));
	free(doc);
	v = view_of(ev);
	f = event_view_fields(v);
	want_list(f, RULE_T_TEXT, text, 3);
	want_list(f, RULE_T_URL, url, 2);
	want_list(f, RULE_T_HOST, host, 2);
	want_list(f, RULE_T_REPORT_COMMENT, comment, 1);
	want1(f, RULE_T_REPORT_CATEGORY, "spam", "spam");
	/* The same mention in all three statuses is listed once. */
	assert_int_equal(f->raw[RULE_T_MENTION].n, 1);
	want_num(f, RULE_N_LINKS, 2);
	want_num(f, RULE_N_LENGTH, 20); /* of the first text */
	assert_int_equal(f->kind, RULE_K_REPORT_UPDATED);
	event_view_free(v);
	event_free(ev);
}

/* --- accounts --- */

static void
test_account_view(void **state)
{
	static const char *const  url[] = { "https://win.example.xyz/claim",
		 "https://t.example/freecoins" };
	static const char *const  host[] = { "win.example.xyz", "t.example" };
	struct event             *ev = parse_fixture("account_created.json");
	struct event_view        *v = view_of(ev);
	const struct rule_fields *f = event_view_fields(v);

	(void) state;
	want1(f, RULE_T_DISPLAY_NAME, "FREE BTC \xe2\x9c\xa8",
	    "free btc \xe2\x9c\xa8");
	want1(f, RULE_T_USERNAME, "freecoins", "freecoins");
	want1(f, RULE_T_ACCT, "freecoins", "freecoins");
	want1(f, RULE_T_DOMAIN, "", "");
	want1(f, RULE_T_BIO,
	    "Daily giveaways at https://win.example.xyz/claim\n"
	    "https://t.example/freecoins\nbc1qexamplewallet",
	    "daily giveaways at https://win.example.xyz/claim\n"
	    "https://t.example/freecoins\nbc1qexamplewallet");
	want_list(f, RULE_T_URL, url, 2);
	want_list(f, RULE_T_HOST, host, 2);
	want_none(f, RULE_T_TEXT);
	want_none(f, RULE_T_MENTION);
	/* Envelope 10:00:01.500 minus the exact Admin::Account
	 * created_at 09:59:58.250. */
	want_num(f, RULE_N_ACCOUNT_AGE, 3);
	want_num(f, RULE_N_FOLLOWERS, 0);
	want_num(f, RULE_N_FOLLOWING, 3);
	want_num(f, RULE_N_STATUSES, 0);
	want_num(f, RULE_N_LINKS, 2);
	want_unknown(f, RULE_N_MENTIONS);
	want_unknown(f, RULE_N_LENGTH);
	want_unknown(f, RULE_N_MEDIA);
	assert_int_equal(f->local, 1);
	assert_int_equal(f->visibility, RULE_VIS_UNKNOWN);
	assert_int_equal(f->kind, RULE_K_ACCOUNT_CREATED);
	event_view_free(v);
	event_free(ev);
}

/* No account at all: locality and account numbers unknown. */
static void
test_no_account(void **state)
{
	static const char         doc[] = "{\"event\":\"status.created\","
	                                  "\"object\":{\"id\":\"1\",\"content\":"
	                                  "\"<p>x</p>\",\"visibility\":\"direct\"}}";
	struct event             *ev = parse_buf(doc, sizeof(doc) - 1);
	struct event_view        *v = view_of(ev);
	const struct rule_fields *f = event_view_fields(v);

	(void) state;
	assert_int_equal(f->local, -1);
	want_unknown(f, RULE_N_ACCOUNT_AGE);
	want_unknown(f, RULE_N_FOLLOWERS);
	want_none(f, RULE_T_ACCT);
	want_none(f, RULE_T_DOMAIN);
	want_num(f, RULE_N_LENGTH, 1);
	assert_int_equal(f->visibility, RULE_VIS_DIRECT);
	event_view_free(v);
	event_free(ev);
}

/* Long text is cut at MOD_MAX_TEXT_BYTES in both views. */
static void
test_text_cap(void **state)
{
	struct buf                b;
	struct event             *ev;
	struct event_view        *v;
	const struct rule_fields *f;
	size_t                    i;

	(void) state;
	buf_init(&b, 0);
	assert_int_equal(buf_appends(&b,
	                     "{\"event\":\"status.created\","
	                     "\"object\":{\"id\":\"1\",\"content\":"
	                     "\"<p>"),
	    0);
	for (i = 0; i < MOD_MAX_TEXT_BYTES / 2; i++)
		assert_int_equal(buf_appends(&b, "\xc3\xa9z "), 0);
	assert_int_equal(buf_appends(&b, "</p>\"}}"), 0);
	ev = parse_buf(b.data, b.len);
	v = view_of(ev);
	f = event_view_fields(v);
	assert_int_equal(f->raw[RULE_T_TEXT].n, 1);
	assert_true(f->raw[RULE_T_TEXT].v[0].len <= MOD_MAX_TEXT_BYTES);
	assert_true(f->raw[RULE_T_TEXT].v[0].len > MOD_MAX_TEXT_BYTES - 8);
	assert_true(f->folded[RULE_T_TEXT].v[0].len <= MOD_MAX_TEXT_BYTES);
	assert_true(f->folded[RULE_T_TEXT].v[0].len > MOD_MAX_TEXT_BYTES - 8);
	event_view_free(v);
	event_free(ev);
	buf_free(&b);
}

/* --- event_example --- */

struct example_want {
	unsigned kind;
	int      calls;
};

static int
example_check(void *carg, const struct rule_fields *f)
{
	static const char *const url[] = { "https://win.example.xyz/claim" };
	static const char *const host[] = { "win.example.xyz" };
	static const char *const mention[] = { "bob" };
	static const char *const tag[] = { "deal" };
	static const char        text[]
	    = "FREE BTC at https://win.example.xyz/claim @bob #deal";
	struct example_want *w = carg;
	int                  t;

	w->calls++;
	for (t = 0; t < RULE_T_COUNT; t++) {
		if (t == RULE_T_URL || t == RULE_T_HOST || t == RULE_T_MENTION
		    || t == RULE_T_HASHTAG)
			continue;
		want1(f, (enum rule_target) t, text,
		    "free btc at https://win.example.xyz/claim @bob #deal");
	}
	want_list(f, RULE_T_URL, url, 1);
	want_list(f, RULE_T_HOST, host, 1);
	want_list(f, RULE_T_MENTION, mention, 1);
	want_list(f, RULE_T_HASHTAG, tag, 1);
	assert_int_equal(f->num_known, (1u << RULE_N_COUNT) - 1);
	want_num(f, RULE_N_ACCOUNT_AGE, 0);
	want_num(f, RULE_N_FOLLOWERS, 0);
	want_num(f, RULE_N_FOLLOWING, 0);
	want_num(f, RULE_N_STATUSES, 0);
	want_num(f, RULE_N_LINKS, 1);
	want_num(f, RULE_N_MENTIONS, 1);
	want_num(f, RULE_N_HASHTAGS, 1);
	want_num(f, RULE_N_MEDIA, 0);
	want_num(f, RULE_N_LENGTH, (int64_t) strlen(text));
	assert_int_equal(f->kind, w->kind);
	assert_int_equal(f->visibility, RULE_VIS_PUBLIC);
	assert_int_equal(f->local, 1);
	return 42;
}

static int
example_count(void *carg, const struct rule_fields *f)
{
	(void) f;
	++*(int *) carg;
	return 0;
}

static void
test_example(void **state)
{
	static const char text[]
	    = "FREE BTC at https://win.example.xyz/claim @bob #deal";
	struct example_want w = { 0, 0 };
	unsigned            kind;
	int                 calls = 0;

	(void) state;
	for (kind = 1; kind <= RULE_K_ACCOUNT_UPDATED; kind <<= 1) {
		w.kind = kind;
		/* event_example returns what check returned. */
		assert_int_equal(event_example(NULL, text, strlen(text), kind,
		                     example_check, &w),
		    42);
	}
	assert_int_equal(w.calls, 7);
	/* Not exactly one kind bit: refused, check never called. */
	assert_int_equal(
	    event_example(NULL, text, strlen(text), 0, example_count, &calls),
	    MOD_EINVAL);
	assert_int_equal(event_example(NULL, text, strlen(text),
	                     RULE_K_STATUS_CREATED | RULE_K_REPORT_CREATED,
	                     example_count, &calls),
	    MOD_EINVAL);
	assert_int_equal(event_example(NULL, text, strlen(text), 1u << 7,
	                     example_count, &calls),
	    MOD_EINVAL);
	assert_int_equal(calls, 0);
	assert_int_equal(event_example(NULL, "", 0, RULE_K_STATUS_CREATED,
	                     example_count, &calls),
	    0);
	assert_int_equal(calls, 1);
}

/* Confusables in an example are folded as in live events. */
static int
example_folded(void *carg, const struct rule_fields *f)
{
	(void) carg;
	assert_true(has_prefix(&f->folded[RULE_T_TEXT].v[0], "free btc"));
	assert_true(has_prefix(&f->folded[RULE_T_BIO].v[0], "free btc"));
	return 0;
}

static void
test_example_folded(void **state)
{
	/* Fullwidth "Ｆｒｅｅ" and Cyrillic "ВТС". */
	static const char text[] = "\xef\xbc\xa6\xef\xbd\x92\xef\xbd\x85"
	                           "\xef\xbd\x85 \xd0\x92\xd0\xa2\xd0\xa1";

	(void) state;
	assert_int_equal(event_example(NULL, text, strlen(text),
	                     RULE_K_STATUS_CREATED, example_folded, NULL),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_view),
		cmocka_unit_test(test_view_outlives_event),
		cmocka_unit_test(test_streaming_view),
		cmocka_unit_test(test_poll_view),
		cmocka_unit_test(test_boost_view),
		cmocka_unit_test(test_report_view),
		cmocka_unit_test(test_report_union),
		cmocka_unit_test(test_account_view),
		cmocka_unit_test(test_no_account),
		cmocka_unit_test(test_text_cap),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_folded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
