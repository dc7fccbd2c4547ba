/*
 * test_text_html.c - text_html(), text_plain_extract(), text_url_host()
 * and the text_list helpers.
 *
 * Table-driven: each HTML case gives the fragment, the exact text and the
 * exact links, mentions and hashtags expected (in order).  Hostile inputs
 * (unclosed tags, stray '<', huge inputs, deep nesting, NUL bytes,
 * invalid UTF-8, absurd entities) must give valid UTF-8 within the caps.
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
#include "text.h"
#include "util.h"

#define MAXL 4

struct html_case {
	const char *html;
	const char *text;
	const char *links[MAXL];
	const char *mentions[MAXL];
	const char *hashtags[MAXL];
};

static const struct html_case html_cases[] = {
	/* formats.md A.1.4, verbatim */
	{ "<p>Hi <span class=\"h-card\"><a "
	  "href=\"https://other.example/@alice\" class=\"u-url "
	  "mention\">@<span>alice</span></a></span> check <a "
	  "href=\"https://spam.example/x\" rel=\"nofollow noopener\" "
	  "target=\"_blank\"><span class=\"invisible\">https://</span><span "
	  "class=\"\">spam.example/x</span><span "
	  "class=\"invisible\"></span></a></p>",
	    "Hi @alice check https://spam.example/x",
	    { "https://spam.example/x" }, { "alice@other.example" }, { 0 } },
	/* Mastodon hashtag link */
	{ "<p>Win at <a href=\"https://example.social/tags/casino\" "
	  "class=\"mention hashtag\" rel=\"tag\">#<span>casino</span></a> "
	  "now</p>",
	    "Win at #casino now", { 0 }, { 0 }, { "casino" } },
	/* rel="tag" alone makes a hashtag; empty text falls back to href */
	{ "<a rel=\"tag\" href=\"https://h.example/tags/Foo?x=1\"></a>", "",
	    { 0 }, { 0 }, { "Foo" } },
	/* long link: invisible + ellipsis pieces are kept whole */
	{ "<p><a href=\"https://example.com/a/very/long/path/cut\" "
	  "rel=\"nofollow noopener noreferrer\" target=\"_blank\"><span "
	  "class=\"invisible\">https://</span><span "
	  "class=\"ellipsis\">example.com/a/very/lo</span><span "
	  "class=\"invisible\">ng/path/cut</span></a></p>",
	    "https://example.com/a/very/long/path/cut",
	    { "https://example.com/a/very/long/path/cut" }, { 0 }, { 0 } },
	/* mentions: remote account in the path, /users/ form, text only */
	{ "<a href=\"https://local.example/@bob@remote.example\" "
	  "class=\"u-url mention\">@bob</a> <a class=\"mention\" "
	  "href=\"https://h.example/users/carol\">@carol</a> <a "
	  "class=\"mention\" href=\"/relative\">@dave@d.example</a>",
	    "@bob @carol @dave@d.example", { 0 },
	    { "bob@remote.example", "carol@h.example", "dave@d.example" },
	    { 0 } },
	/* duplicates collapse; a without href is plain text */
	{ "<a href=\"https://x.example/\">a</a><a>b</a><a "
	  "href=\"https://x.example/\">c</a>",
	    "abc", { "https://x.example/" }, { 0 }, { 0 } },
	/* entities */
	{ "&amp;&lt;&gt;&quot;&#39;&apos; &hellip;&mdash;&ndash;&laquo;&raquo;"
	  "&rsquo;&lsquo;&ldquo;&rdquo;&copy;&reg;&trade;",
	    "&<>\"'' \xE2\x80\xA6\xE2\x80\x94\xE2\x80\x93\xC2\xAB\xC2\xBB\xE2"
	    "\x80\x99\xE2\x80\x98\xE2\x80\x9C\xE2\x80\x9D\xC2\xA9\xC2\xAE\xE2"
	    "\x84\xA2",
	    { 0 }, { 0 }, { 0 } },
	{ "&#65;&#x42;&#X43;&#68 &#x1F600;", "ABCD \xF0\x9F\x98\x80", { 0 },
	    { 0 }, { 0 } },
	{ "[&#0;][&#xD800;][&#99999999999999999999;][&#x110000;]",
	    "[\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD]", { 0 },
	    { 0 }, { 0 } },
	{ "&#150;&#146;", "\xE2\x80\x93\xE2\x80\x99", { 0 }, { 0 }, { 0 } },
	{ "AT&T &bogus; &amp &# &#x; &", "AT&T &bogus; &amp &# &#x; &", { 0 },
	    { 0 }, { 0 } },
	{ "a&nbsp;b &#32;&#10; c",
	    "a\xC2\xA0"
	    "b c",
	    { 0 }, { 0 }, { 0 } },
	/* paragraphs and line breaks, never leading or trailing */
	{ "<p>a</p><p>b</p>", "a\n\nb", { 0 }, { 0 }, { 0 } },
	{ "<p>a<br>b<br/>c<br />d</p>", "a\nb\nc\nd", { 0 }, { 0 }, { 0 } },
	{ "<br><p></p><p>x<br><br></p><p></p>", "x", { 0 }, { 0 }, { 0 } },
	{ "<p>one</p>\n<p>two</p>", "one\n\ntwo", { 0 }, { 0 }, { 0 } },
	{ "<P>up<BR>case</P>", "up\ncase", { 0 }, { 0 }, { 0 } },
	{ "<ul><li>a</li><li>b</li></ul>after", "a\nb\n\nafter", { 0 }, { 0 },
	    { 0 } },
	/* whitespace collapses outside <pre> */
	{ "<p>  a \n\t b  </p>", "a b", { 0 }, { 0 }, { 0 } },
	{ "<pre>a  b\n c</pre>", "a  b\n c", { 0 }, { 0 }, { 0 } },
	/* dropped content */
	{ "x<script>alert('<p>')</script>y<style>p{}</style>z<SCRIPT>no",
	    "xyz", { 0 }, { 0 }, { 0 } },
	{ "a<!-- <p>hidden</p> -->b<!DOCTYPE html>c<?php x ?>d", "abcd", { 0 },
	    { 0 }, { 0 } },
	/* attribute quoting */
	{ "<a href='https://a.example/?x=1&amp;y=2'>l</a> <a "
	  "href=https://b.example/u>b</a> <a href=\"https://c.example/?q=>\">c"
	  "</a>",
	    "l b c",
	    { "https://a.example/?x=1&y=2", "https://b.example/u",
	        "https://c.example/?q=>" },
	    { 0 }, { 0 } },
	/* hostile */
	{ "<<<", "<<<", { 0 }, { 0 }, { 0 } },
	{ "<", "<", { 0 }, { 0 }, { 0 } },
	{ "a<", "a<", { 0 }, { 0 }, { 0 } },
	{ "a < b", "a < b", { 0 }, { 0 }, { 0 } },
	{ "x<a", "x", { 0 }, { 0 }, { 0 } },
	{ "x<a href=\"https://u.example/", "x", { 0 }, { 0 }, { 0 } },
	{ "x<!-- never closed <p>y", "x", { 0 }, { 0 }, { 0 } },
	{ "x</", "x", { 0 }, { 0 }, { 0 } },
	{ "x</>y</ p>z", "xyz", { 0 }, { 0 }, { 0 } },
	{ "<a href=\"https://open.example/\">never closed", "never closed",
	    { "https://open.example/" }, { 0 }, { 0 } },
	{ "a\xFF"
	  "b\xE2\x82<br>c",
	    "a\xEF\xBF\xBD"
	    "b\xEF\xBF\xBD\nc",
	    { 0 }, { 0 }, { 0 } },
};

/*
 * Single spaces between words take text_html's one-piece fast path;
 * doubled spaces force the word-by-word path.  Whitespace collapses, so
 * both must give the same document, also at the text and anchor caps.
 */
static const char *const words_cases[] = {
	"<p>plain ascii words here</p><p>second para</p>",
	"<p>caf&eacute; na\xC3\xAFve \xD0\xA0\xD0\xB0y\xD1\x80"
	"al l0gin</p>",
	"<p>fr\xE2\x80\x8B"
	"ee mo\xE2\x80\xAEney \xEF\xBC\xA6ree m0ney 1Il| rn</p>",
	"<p>bad \xFF utf8 \xE2\x82 here \xC0\xAF x</p>",
	"<p>a &amp; b &lt; c &#233; d &#x1F600; e &bogus; f</p>",
	"<p><a href=\"https://x.example/@bob\" class=\"u-url mention\">"
	"@<span>bob</span></a> hi <a href=\"https://x.example/tags/a\" "
	"class=\"mention hashtag\" rel=\"tag\">#<span>a</span></a> yo "
	"<a href=\"https://l.example/p\"><span class=\"invisible\">https://"
	"</span><span>l.example/p</span></a> end</p>",
	"<p>one<br>two three<br/>four</p>x y",
	"\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB emoji \xE2\x9D\xA4\xEF"
	"\xB8\x8F ok",
};

/* words_double: s with every ' ' doubled, into out (size >= 2 * len). */
static size_t
words_double(const char *s, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		out[n++] = s[i];
		if (s[i] == ' ')
			out[n++] = ' ';
	}
	return n;
}

static void
words_same_list(const struct text_list *a, const struct text_list *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	assert_int_equal(a->dropped, b->dropped);
	for (i = 0; i < a->n; i++)
		assert_string_equal(a->v[i], b->v[i]);
}

/* words_check: the two paths agree on html[0..len). */
static void
words_check(const char *html, size_t len)
{
	struct text_doc a = { 0 }, b = { 0 };
	char           *dbl = xmalloc(2 * len + 1);
	size_t          n = words_double(html, len, dbl);

	assert_int_equal(text_html(html, len, &a), 0);
	assert_int_equal(text_html(dbl, n, &b), 0);
	assert_int_equal(a.text.len, b.text.len);
	assert_memory_equal(a.text.data, b.text.data, a.text.len);
	assert_true(text_utf8_valid(a.text.data, a.text.len));
	assert_int_equal(a.truncated, b.truncated);
	words_same_list(&a.links, &b.links);
	words_same_list(&a.mentions, &b.mentions);
	words_same_list(&a.hashtags, &b.hashtags);
	text_doc_free(&a);
	text_doc_free(&b);
	free(dbl);
}

/* words_long: prefix, then words of 1..4-byte characters up to about
 * total bytes, then suffix, so that the caps fall inside characters. */
static void
words_long(const char *prefix, size_t total, size_t shift, const char *suffix)
{
	static const char *const w[] = { "a\xC3\xA9", "\xE2\x82\xAC",
		"\xF0\x9F\x98\x80z", "bc", "\xD0\xB0" };
	struct buf               b;
	size_t                   i;

	buf_init(&b, 0);
	assert_int_equal(buf_appends(&b, prefix), 0);
	for (i = 0; i < shift; i++)
		assert_int_equal(buf_appendc(&b, 'x'), 0);
	for (i = 0; b.len < total; i++) {
		assert_int_equal(buf_appends(&b, w[i % nitems(w)]), 0);
		assert_int_equal(buf_appendc(&b, ' '), 0);
	}
	assert_int_equal(buf_appends(&b, suffix), 0);
	words_check(b.data, b.len);
	buf_free(&b);
}

static void
test_html_words(void **state)
{
	size_t i, shift;

	(void) state;
	for (i = 0; i < nitems(words_cases); i++)
		words_check(words_cases[i], strlen(words_cases[i]));
	for (shift = 0; shift < 8; shift++) {
		words_long("<p>", MOD_MAX_TEXT_BYTES + 64, shift, "</p>");
		words_long("<p>x</p><p><a href=\"https://a.example/\">",
		    MOD_MAX_URL_BYTES + 64, shift, "</a> tail</p>");
	}
	/* far past the text cap: stays linear (each word is not a rescan) */
	words_long("<p>", MOD_MAX_HTML_BYTES, 0, "</p>");
}

static void
check_list(size_t ci, const char *what, const struct text_list *l,
    const char *const *want)
{
	size_t n = 0;

	while (n < MAXL && want[n] != NULL)
		n++;
	if (l->n != n)
		fail_msg("case %zu: %zu %s, want %zu", ci, l->n, what, n);
	for (n = 0; n < l->n; n++)
		if (strcmp(l->v[n], want[n]) != 0)
			fail_msg("case %zu: %s[%zu] \"%s\" want \"%s\"", ci,
			    what, n, l->v[n], want[n]);
}

static void
test_html_table(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(html_cases); i++) {
		const struct html_case *c = &html_cases[i];
		struct text_doc         d;

		memset(&d, 0, sizeof(d));
		assert_int_equal(text_html(c->html, strlen(c->html), &d), 0);
		if (strcmp(buf_cstr(&d.text), c->text) != 0)
			fail_msg("case %zu: text \"%s\" want \"%s\"", i,
			    buf_cstr(&d.text), c->text);
		check_list(i, "links", &d.links, c->links);
		check_list(i, "mentions", &d.mentions, c->mentions);
		check_list(i, "hashtags", &d.hashtags, c->hashtags);
		assert_false(d.truncated);
		assert_true(text_utf8_valid(buf_cstr(&d.text), d.text.len));
		text_doc_free(&d);
	}
}

static void
test_html_nul(void **state)
{
	static const char in[]
	    = "<p>a\0b</p><a href=\"https://n.example/\0x\">"
	      "l</a>";
	struct text_doc d;

	(void) state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(text_html(in, sizeof(in) - 1, &d), 0);
	assert_string_equal(buf_cstr(&d.text), "ab\n\nl");
	assert_int_equal(d.links.n, 1);
	assert_string_equal(d.links.v[0], "https://n.example/x");
	text_doc_free(&d);
}

/* hostile: name, repeated unit, count, prefix/suffix */
struct hostile_case {
	const char *prefix;
	const char *unit;
	size_t      count;
	const char *suffix;
	const char *text; /* expected text, NULL: only check invariants */
	bool        truncated;
};

static const struct hostile_case hostile_cases[] = {
	{ "", "<a", 512 * 1024, "", "", true }, /* 1 MB of "<a" */
	{ "", "<span><b>", 20000, "x", NULL, true }, /* deep nesting */
	{ "", "<span>", 10000, "deep", "deep", false }, /* 60 KB */
	{ "", "&#9999999999;", 5000, "", NULL, false }, /* huge entities */
	{ "", "<", 200000, "", NULL, true }, /* '<' run */
	{ "<p>", "a", MOD_MAX_TEXT_BYTES + 100, "</p>", NULL, true },
	{ "<p>", "\xC3\xA9", 10000, "", NULL, true }, /* 2-byte cap */
	{ "", "<a href=\"https://x.example/", 3000, "", "", false },
	{ "", "&", 100000, "", NULL, true },
	{ "", "<!--", 30000, "", "", false },
};

static char *
build(const struct hostile_case *c, size_t *len)
{
	size_t pl = strlen(c->prefix), ul = strlen(c->unit),
	       sl = strlen(c->suffix), i;
	char *s = xmalloc(pl + ul * c->count + sl + 1);

	memcpy(s, c->prefix, pl);
	for (i = 0; i < c->count; i++)
		memcpy(s + pl + i * ul, c->unit, ul);
	memcpy(s + pl + ul * c->count, c->suffix, sl);
	*len = pl + ul * c->count + sl;
	s[*len] = '\0';
	return s;
}

static void
test_html_hostile(void **state)
{
	size_t i, len;

	(void) state;
	for (i = 0; i < nitems(hostile_cases); i++) {
		const struct hostile_case *c = &hostile_cases[i];
		char                      *s = build(c, &len);
		struct text_doc            d;

		memset(&d, 0, sizeof(d));
		assert_int_equal(text_html(s, len, &d), 0);
		if (c->text != NULL && strcmp(buf_cstr(&d.text), c->text) != 0)
			fail_msg("hostile %zu: text \"%.40s\"", i,
			    buf_cstr(&d.text));
		if (d.truncated != c->truncated)
			fail_msg("hostile %zu: truncated %d", i, d.truncated);
		assert_true(d.text.len <= MOD_MAX_TEXT_BYTES);
		assert_true(text_utf8_valid(buf_cstr(&d.text), d.text.len));
		assert_true(d.links.n <= MOD_MAX_LINKS_COUNT);
		free(s);
		text_doc_free(&d);
	}
}

static void
test_html_links_cap(void **state)
{
	struct buf      html = { 0 };
	struct text_doc d;
	int             i;

	(void) state;
	memset(&d, 0, sizeof(d));
	for (i = 0; i < 100; i++)
		assert_int_equal(
		    buf_printf(&html,
		        "<a href=\"https://l%d.example/\">%d</a> ", i, i),
		    0);
	assert_int_equal(text_html(html.data, html.len, &d), 0);
	assert_int_equal(d.links.n, MOD_MAX_LINKS_COUNT);
	assert_int_equal(d.links.dropped, 100 - MOD_MAX_LINKS_COUNT);
	assert_string_equal(d.links.v[0], "https://l0.example/");
	assert_false(d.truncated);
	text_doc_free(&d);
	buf_free(&html);
}

struct plain_case {
	const char *text;
	const char *links[MAXL];
	const char *mentions[MAXL];
	const char *hashtags[MAXL];
};

static const struct plain_case plain_cases[] = {
	{ "see https://x.example/a). and HTTP://Y.example/b?c=1.",
	    { "https://x.example/a", "HTTP://Y.example/b?c=1" }, { 0 },
	    { 0 } },
	{ "(https://en.wikipedia.org/wiki/C_(language)) <https://q.example/>",
	    { "https://en.wikipedia.org/wiki/C_(language)",
	        "https://q.example/" },
	    { 0 }, { 0 } },
	{ "hi @alice, @bob@host.example! @carol.d-e: x", { 0 },
	    { "alice", "bob@host.example", "carol.d-e" }, { 0 } },
	{ "mail bob@example.com or a=@x or @ alone", { 0 }, { 0 }, { 0 } },
	{ "#tag #123 #caf\xC3\xA9_1 #a\xC2\xB7"
	  "b x#no #end.",
	    { 0 }, { 0 },
	    { "tag", "caf\xC3\xA9_1",
	        "a\xC2\xB7"
	        "b",
	        "end" } },
	{ "https://h.example/@alice#frag is one link",
	    { "https://h.example/@alice#frag" }, { 0 }, { 0 } },
	{ "https:// nothing, httpx://no", { 0 }, { 0 }, { 0 } },
	{ "\xFF@bad \xD0\x96#\xD0\xB6", { 0 }, { "bad" }, { 0 } },
};

static void
test_plain_table(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(plain_cases); i++) {
		const struct plain_case *c = &plain_cases[i];
		struct text_doc          d;

		memset(&d, 0, sizeof(d));
		text_plain_extract(c->text, strlen(c->text), &d);
		check_list(i, "links", &d.links, c->links);
		check_list(i, "mentions", &d.mentions, c->mentions);
		check_list(i, "hashtags", &d.hashtags, c->hashtags);
		assert_int_equal(d.text.len, 0);
		text_doc_free(&d);
	}
}

struct host_case {
	const char *url;
	int         rv;
	const char *host;
};

static const struct host_case host_cases[] = {
	{ "https://Example.COM/x", 0, "example.com" },
	{ "http://user:pw@Host.example:8080/p?q#f", 0, "host.example" },
	{ "https://example.com.", 0, "example.com" },
	{ "https://example.com?q=1", 0, "example.com" },
	{ "https://a.example#frag", 0, "a.example" },
	{ "https://[2001:DB8::1]:443/", 0, "2001:db8::1" },
	{ "HTTPS://x.example", 0, "x.example" },
	{ "https://m\xC3\xBCnchen.example/", 0, "m\xC3\xBCnchen.example" },
	{ "mailto:x@y.example", MOD_EINVAL, NULL },
	{ "https:///path", MOD_EINVAL, NULL },
	{ "//host.example/", MOD_EINVAL, NULL },
	{ "", MOD_EINVAL, NULL },
	{ "https://a b/", MOD_EINVAL, NULL },
	{ "https://user@/", MOD_EINVAL, NULL },
	{ "1http://x.example/", MOD_EINVAL, NULL },
};

static void
test_url_host(void **state)
{
	char   host[256], big[400];
	size_t i;

	(void) state;
	for (i = 0; i < nitems(host_cases); i++) {
		const struct host_case *c = &host_cases[i];
		int                     rv = text_url_host(
		                        c->url, strlen(c->url), host, sizeof(host));

		if (rv != c->rv)
			fail_msg("host case %zu: rv %d", i, rv);
		if (c->host != NULL && strcmp(host, c->host) != 0)
			fail_msg("host case %zu: \"%s\"", i, host);
	}
	memcpy(big, "https://", 8);
	memset(big + 8, 'a', 300);
	big[308] = '\0';
	assert_int_equal(
	    text_url_host(big, strlen(big), host, sizeof(host)), MOD_EINVAL);
}

static void
test_list(void **state)
{
	struct text_list l;
	char             big[MOD_MAX_URL_BYTES + 10];
	int              i;

	(void) state;
	memset(&l, 0, sizeof(l));
	text_list_add(&l, "abc", 3);
	text_list_add(&l, "abcdef", 3); /* duplicate of "abc" */
	text_list_add(&l, "ab", 2);
	text_list_add(&l, "", 0);
	text_list_add(&l, "x\xFFy", 3);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[1], "ab");
	assert_string_equal(l.v[2], "x\xEF\xBF\xBDy");
	memset(big, 'u', sizeof(big));
	text_list_add(&l, big, sizeof(big));
	assert_int_equal(strlen(l.v[3]), MOD_MAX_URL_BYTES);
	for (i = 0; i < 100; i++) {
		char s[16];

		snprintf(s, sizeof(s), "e%d", i);
		text_list_add(&l, s, strlen(s));
	}
	assert_int_equal(l.n, MOD_MAX_LINKS_COUNT);
	assert_int_equal(l.dropped, 4 + 100 - MOD_MAX_LINKS_COUNT);
	text_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.dropped, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_table),
		cmocka_unit_test(test_html_nul),
		cmocka_unit_test(test_html_hostile),
		cmocka_unit_test(test_html_words),
		cmocka_unit_test(test_html_links_cap),
		cmocka_unit_test(test_plain_table),
		cmocka_unit_test(test_url_host),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
