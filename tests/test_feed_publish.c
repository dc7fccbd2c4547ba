/*
 * test_feed_publish.c - feed_publish(), feed_mask(), the change feed and
 * detached signatures: Mastodon's exact CSV header and values (noop rows,
 * quoting, no private comments), FediBlockHole's CSV, plain text,
 * Mastodon's public JSON with the documented masking and digest vectors,
 * change-feed cursors and pages, buffer caps, and Ed25519 round trips
 * with tampering.
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

struct pub_spec {
	const char        *domain;
	enum feed_severity sev;
	bool               media, reports, obfuscate;
	const char        *comment, *private_comment;
};

static void
pub_list(const struct pub_spec *s, size_t n, struct feed_list *l)
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
		e->private_comment = s[i].private_comment
		    ? xstrdup(s[i].private_comment)
		    : NULL;
	}
	l->n = n;
}

#define SUS FEED_SEV_SUSPEND
#define SIL FEED_SEV_SILENCE
#define NOOP FEED_SEV_NOOP

/* Unsorted on purpose; every quoting case; two rows Mastodon skips. */
static const struct pub_spec approved[] = {
	{ "e.example", SUS, false, false, false, "say \"hi\"", "secret" },
	{ "b.example", SUS, false, false, false, "spam, harassment", NULL },
	{ "a.example", SIL, true, false, true, NULL, "private note" },
	{ "d.example", NOOP, false, true, false, "reports only", NULL },
	{ "c.example", NOOP, true, false, false, "", NULL },
	{ "f.example", SIL, false, true, false, "two\nlines", NULL },
};

static char *
publish(enum feed_format fmt, unsigned flags)
{
	struct feed_list l;
	struct buf       b;

	pub_list(approved, nitems(approved), &l);
	buf_init(&b, MOD_MAX_FEED_PUBLISH_BYTES);
	assert_int_equal(feed_publish(fmt, l.v, l.n, flags, &b), 0);
	feed_list_free(&l);
	return buf_steal(&b);
}

static void
test_mastodon_csv(void **state)
{
	char *got;

	(void) state;
	got = publish(FEED_FMT_MASTODON_CSV, 0);
	assert_string_equal(got,
	    "#domain,#severity,#reject_media,#reject_reports,#public_comment,"
	    "#obfuscate\n"
	    "a.example,silence,true,false,,true\n"
	    "b.example,suspend,false,false,\"spam, harassment\",false\n"
	    "c.example,noop,true,false,\"\",false\n"
	    "e.example,suspend,false,false,\"say \"\"hi\"\"\",false\n"
	    "f.example,silence,false,true,two lines,false\n");
	assert_null(strstr(got, "secret"));
	assert_null(strstr(got, "private"));
	free(got);
	got = publish(FEED_FMT_MASTODON_CSV, FEED_PUBLISH_OMIT_OBFUSCATED);
	assert_null(strstr(got, "a.example"));
	assert_non_null(strstr(got, "b.example"));
	free(got);
}

static void
test_fbh_csv(void **state)
{
	char *got;

	(void) state;
	got = publish(FEED_FMT_FBH_CSV, 0);
	assert_string_equal(got,
	    "domain,severity,reject_media,reject_reports,public_comment,"
	    "obfuscate\r\n"
	    "a.example,silence,True,False,,True\r\n"
	    "b.example,suspend,False,False,\"spam, harassment\",False\r\n"
	    "c.example,noop,True,False,,False\r\n"
	    "e.example,suspend,False,False,\"say \"\"hi\"\"\",False\r\n"
	    "f.example,silence,False,True,two lines,False\r\n");
	free(got);
}

static void
test_text(void **state)
{
	char *got;

	(void) state;
	got = publish(FEED_FMT_TEXT, 0);
	assert_string_equal(got, "b.example\ne.example\n");
	free(got);
}

/* Mastodon's public list, with the documented digests. */
static void
test_json(void **state)
{
	static const struct pub_spec v[] = {
		{ "example.com", SIL, true, false, false, NULL, "x" },
		{ "birb.elfenban.de", SUS, false, false, true,
		    "Third-party bots", NULL },
		{ "quiet.example", NOOP, true, true, false, "noop", NULL },
	};
	struct feed_list l;
	struct buf       b;

	(void) state;
	pub_list(v, nitems(v), &l);
	buf_init(&b, 0);
	assert_int_equal(
	    feed_publish(FEED_FMT_MASTODON_JSON, l.v, l.n, 0, &b), 0);
	assert_string_equal(buf_cstr(&b),
	    "[\n"
	    "{\"domain\":\"birb.*******n.de\",\"digest\":"
	    "\"5d2c6e02a0cced8fb05f32626437e3d23096480b47efbba659b6d9e80c85d28"
	    "0"
	    "\",\"severity\":\"suspend\",\"comment\":\"Third-party bots\"},\n"
	    "{\"domain\":\"example.com\",\"digest\":"
	    "\"a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce194"
	    "7"
	    "\",\"severity\":\"silence\",\"comment\":null}\n"
	    "]\n");
	buf_reset(&b);
	assert_int_equal(
	    feed_publish(FEED_FMT_MASTODON_JSON, l.v, 0, 0, &b), 0);
	assert_string_equal(buf_cstr(&b), "[]\n");
	buf_free(&b);
	feed_list_free(&l);
}

static void
test_mask(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "example.com", "exa****.*om" },
		{ "birb.elfenban.de", "birb.*******n.de" },
		{ "dajiangyou.com", "daji******.com" },
		{ "a.example", "a.e****le" },
		{ "ab.cd", "ab.*d" },
		{ "a.b", "a.*" },
		{ "", "" },
	};
	char   out[64], small[5];
	size_t i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		feed_mask(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
	feed_mask("example.com", small, sizeof(small));
	assert_string_equal(small, "exa*");
}

/* Caps: a write that does not fit leaves the buffer as it was. */
static void
test_caps_and_errors(void **state)
{
	struct feed_list  l;
	struct buf        b;
	struct feed_entry masked;

	(void) state;
	pub_list(approved, nitems(approved), &l);
	buf_init(&b, 64);
	assert_int_equal(buf_appends(&b, "keep"), 0);
	assert_int_equal(
	    feed_publish(FEED_FMT_MASTODON_CSV, l.v, l.n, 0, &b), MOD_ETOOBIG);
	assert_string_equal(buf_cstr(&b), "keep");
	assert_int_equal(feed_publish(FEED_FMT_MASTODON_JSON, l.v, l.n, 0, &b),
	    MOD_ETOOBIG);
	assert_int_equal(b.len, 4);
	assert_int_equal(
	    feed_publish(FEED_FMT_GTS_JSON, l.v, l.n, 0, &b), MOD_EINVAL);
	memset(&masked, 0, sizeof(masked));
	masked.domain = l.v[0].domain;
	masked.obfuscated = true;
	assert_int_equal(
	    feed_publish(FEED_FMT_TEXT, &masked, 1, 0, &b), MOD_EINVAL);
	assert_string_equal(buf_cstr(&b), "keep");
	buf_free(&b);
	feed_list_free(&l);
}

static const struct feed_change_record changes[] = {
	{ 3, 1700000000123, FEED_CHANGE_ADD, "a.example", SUS, false, false,
	    false, "spam" },
	{ 5, 1700000001000, FEED_CHANGE_CHANGE, "example.com", SIL, true,
	    false, true, NULL },
	{ 9, 1700000002000, FEED_CHANGE_RETRACT, "b.example", SUS, false,
	    false, false, NULL },
};

static void
test_changes(void **state)
{
	struct buf b;
	int64_t    next = -1;

	(void) state;
	buf_init(&b, 0);
	assert_int_equal(feed_publish_changes(changes, 3, 0, 2, &b, &next), 0);
	assert_int_equal(next, 5);
	assert_string_equal(buf_cstr(&b),
	    "{\"cursor\":5,\"more\":true,\"changes\":[\n"
	    "{\"id\":3,\"type\":\"added\",\"at\":\"2023-11-14T22:13:20.123Z\","
	    "\"domain\":\"a.example\",\"digest\":"
	    "\"b8e7453371a024daae06f3164492c0afcde134c7747c155b3d83c20de341e85"
	    "5"
	    "\",\"severity\":\"suspend\",\"reject_media\":false,"
	    "\"reject_reports\":false,\"comment\":\"spam\"},\n"
	    "{\"id\":5,\"type\":\"changed\",\"at\":\"2023-11-14T22:13:21."
	    "000Z\","
	    "\"domain\":\"exa****.*om\",\"digest\":"
	    "\"a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce194"
	    "7"
	    "\",\"severity\":\"silence\",\"reject_media\":true,"
	    "\"reject_reports\":false,\"comment\":null}\n"
	    "]}\n");
	buf_reset(&b);
	assert_int_equal(
	    feed_publish_changes(changes, 3, next, 0, &b, &next), 0);
	assert_int_equal(next, 9);
	assert_non_null(strstr(buf_cstr(&b),
	    "{\"cursor\":9,\"more\":false,\"changes\":[\n{\"id\":9,"
	    "\"type\":\"retracted\""));
	buf_reset(&b);
	assert_int_equal(feed_publish_changes(changes, 3, 9, 0, &b, &next), 0);
	assert_string_equal(
	    buf_cstr(&b), "{\"cursor\":9,\"more\":false,\"changes\":[]}\n");
	buf_reset(&b);
	assert_int_equal(
	    feed_publish_changes(changes + 1, 1, 100, 0, &b, NULL), 0);
	assert_string_equal(
	    buf_cstr(&b), "{\"cursor\":100,\"more\":false,\"changes\":[]}\n");
	buf_free(&b);
}

static void
test_changes_order(void **state)
{
	struct feed_change_record v[2];
	struct buf                b;

	(void) state;
	buf_init(&b, 0);
	v[0] = changes[1];
	v[1] = changes[0]; /* 5 then 3 */
	assert_int_equal(
	    feed_publish_changes(v, 2, 0, 0, &b, NULL), MOD_EINVAL);
	v[1] = changes[1]; /* 5 then 5 */
	assert_int_equal(
	    feed_publish_changes(v, 2, 0, 0, &b, NULL), MOD_EINVAL);
	v[0].id = 0;
	assert_int_equal(
	    feed_publish_changes(v, 1, 0, 0, &b, NULL), MOD_EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* Sign the published bytes, verify, and catch every kind of tampering. */
static void
test_signatures(void **state)
{
	char   pub[FEED_PUBKEY_B64_BYTES], sec[FEED_SECKEY_B64_BYTES];
	char   pub2[FEED_PUBKEY_B64_BYTES], sec2[FEED_SECKEY_B64_BYTES];
	char   sig[FEED_SIG_B64_BYTES], line[FEED_SIG_B64_BYTES + 2];
	char  *doc = publish(FEED_FMT_MASTODON_CSV, 0), *bad;
	size_t len = strlen(doc);

	(void) state;
	assert_int_equal(feed_keygen(pub, sec), 0);
	assert_int_equal(strlen(pub), 44);
	assert_int_equal(strlen(sec), 88);
	assert_int_equal(feed_sign(doc, len, sec, sig), 0);
	assert_int_equal(strlen(sig), 88);
	assert_int_equal(feed_verify(doc, len, sig, pub), 0);
	/* As read back from .sig and .pub files: a trailing newline. */
	snprintf(line, sizeof(line), "%s\n", sig);
	assert_int_equal(feed_verify(doc, len, line, pub), 0);
	/* A changed byte, a cut document, another key. */
	bad = xstrdup(doc);
	bad[20] ^= 1;
	assert_int_equal(feed_verify(bad, len, sig, pub), MOD_EAUTH);
	assert_int_equal(feed_verify(doc, len - 1, sig, pub), MOD_EAUTH);
	assert_int_equal(feed_keygen(pub2, sec2), 0);
	assert_int_equal(feed_verify(doc, len, sig, pub2), MOD_EAUTH);
	/* A changed signature byte. */
	mod_strlcpy(line, sig, sizeof(line));
	line[10] = line[10] == 'A' ? 'B' : 'A';
	assert_int_equal(feed_verify(doc, len, line, pub), MOD_EAUTH);
	/* Not base64, wrong lengths, swapped arguments. */
	assert_int_equal(feed_verify(doc, len, "!!!", pub), MOD_EINVAL);
	assert_int_equal(feed_verify(doc, len, sig, "AAAA"), MOD_EINVAL);
	assert_int_equal(feed_verify(doc, len, pub, sig), MOD_EINVAL);
	assert_int_equal(feed_verify(doc, len, NULL, pub), MOD_EINVAL);
	assert_int_equal(feed_sign(doc, len, pub, sig), MOD_EINVAL);
	/* A secret key whose public half was swapped is refused. */
	mod_strlcpy(line, sec, sizeof(line));
	memcpy(line + 44, sec2 + 44, 44);
	assert_int_equal(feed_sign(doc, len, line, sig), MOD_EINVAL);
	free(bad);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mastodon_csv),
		cmocka_unit_test(test_fbh_csv),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_caps_and_errors),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_changes_order),
		cmocka_unit_test(test_signatures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
