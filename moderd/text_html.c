/*
 * text_html.c - Mastodon status HTML to plain text, plus the links,
 * mentions and hashtags it carries.
 *
 * This is a single-pass scanner over the HTML Mastodon emits (p, br, a,
 * span, and the few formatting tags remote servers add), not an HTML5
 * parser: it keeps no element tree and no nesting stack, only a handful
 * of flags (inside <a>, <pre> depth), so hostile nesting costs nothing.
 * Every branch of the main loop consumes at least one input byte and no
 * byte is looked at more than a bounded number of times, so the scan is
 * linear and always terminates.  Nothing recurses.
 *
 * Text rules, chosen to be simple and predictable:
 *   - tags are dropped; comments, <!...> and <?...> are skipped; the
 *     contents of <script> and <style> are dropped;
 *   - runs of HTML whitespace (space, tab, CR, LF, FF) collapse to one
 *     space, except inside <pre> where text is kept verbatim;
 *   - <p>, </p> and other block tags (div, blockquote, pre, ul, ol,
 *     h1-h6) separate paragraphs with a blank line; <br>, <li> and <tr>
 *     start a new line; separators are only written between pieces of
 *     text, so the result never starts with one (unless <pre> text does)
 *     and trailing whitespace is trimmed;
 *   - all <span>s are transparent: Mastodon's class="invisible" and
 *     class="ellipsis" pieces are kept, so a link reads whole;
 *   - entities: named ones from a fixed table (the ones Mastodon and
 *     common servers emit, ';' required), decimal and hex references
 *     (';' optional, HTML5's windows-1252 remapping of 0x80-0x9F), with
 *     0, surrogates and values past U+10FFFF becoming U+FFFD; an unknown
 *     or malformed entity is left as literal text;
 *   - invalid UTF-8 becomes U+FFFD, NUL bytes are dropped;
 *   - a '<' that starts no tag is text; a tag cut by the end of input is
 *     dropped, as HTML5 does.
 *
 * Each <a href> is classified when it closes (at </a>, at the next <a>
 * or at the end of input): class "hashtag" or rel "tag" gives a hashtag
 * (the link text without '#', else the last segment of a /tags/ href),
 * class "mention" gives a mention ("user@host" from an href of the form
 * https://host/@user or https://host/users/user, else the link text
 * without '@'), anything else adds the entity-decoded href to links.
 *
 * Bounds: input past MOD_MAX_HTML_BYTES is ignored and output text past
 * MOD_MAX_TEXT_BYTES is dropped (both set truncated); scanning continues
 * after the text cap so links are still collected.  Each list holds at
 * most MOD_MAX_LINKS_COUNT entries of at most MOD_MAX_URL_BYTES, all valid
 * UTF-8.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

#define HTML_MAX_NAME_BYTES 16 /* tag names we recognise */
#define HTML_MAX_ENTITY_BYTES 32 /* "&name;" scanned for a named entity */
#define HTML_MAX_ATTR_VALUE_BYTES MOD_MAX_URL_BYTES

enum html_kind { HTML_LINK, HTML_MENTION, HTML_HASHTAG };

/* A source slice. */
struct html_span {
	const char *p;
	size_t      n;
};

/* The parts of one tag moderd cares about. */
struct html_tag {
	char             name[HTML_MAX_NAME_BYTES];
	bool             end;
	struct html_span href, cls, rel;
};

struct html {
	const char      *s;
	size_t           len, i;
	struct text_doc *d;
	int              nl; /* pending line breaks (0, 1, 2) */
	bool             sp; /* pending collapsed space */
	int              pre; /* <pre> depth, saturating */
	bool             in_a;
	enum html_kind   akind;
	struct buf       href; /* open <a>'s decoded href */
	struct buf       atext; /* open <a>'s text */
	size_t           bywords; /* text before this goes word by word */
};

static const struct {
	const char *name;
	const char *utf8;
} html_entities[] = {
	/* sorted by name (strcmp order) for binary search */
	{ "Auml", "\xC3\x84" },
	{ "Eacute", "\xC3\x89" },
	{ "Ouml", "\xC3\x96" },
	{ "Uuml", "\xC3\x9C" },
	{ "aacute", "\xC3\xA1" },
	{ "agrave", "\xC3\xA0" },
	{ "amp", "&" },
	{ "apos", "'" },
	{ "auml", "\xC3\xA4" },
	{ "bdquo", "\xE2\x80\x9E" },
	{ "bull", "\xE2\x80\xA2" },
	{ "ccedil", "\xC3\xA7" },
	{ "cent", "\xC2\xA2" },
	{ "copy", "\xC2\xA9" },
	{ "darr", "\xE2\x86\x93" },
	{ "deg", "\xC2\xB0" },
	{ "divide", "\xC3\xB7" },
	{ "eacute", "\xC3\xA9" },
	{ "egrave", "\xC3\xA8" },
	{ "emsp", "\xE2\x80\x83" },
	{ "ensp", "\xE2\x80\x82" },
	{ "euro", "\xE2\x82\xAC" },
	{ "gt", ">" },
	{ "hearts", "\xE2\x99\xA5" },
	{ "hellip", "\xE2\x80\xA6" },
	{ "iacute", "\xC3\xAD" },
	{ "iexcl", "\xC2\xA1" },
	{ "iquest", "\xC2\xBF" },
	{ "laquo", "\xC2\xAB" },
	{ "larr", "\xE2\x86\x90" },
	{ "ldquo", "\xE2\x80\x9C" },
	{ "lrm", "\xE2\x80\x8E" },
	{ "lsquo", "\xE2\x80\x98" },
	{ "lt", "<" },
	{ "mdash", "\xE2\x80\x94" },
	{ "middot", "\xC2\xB7" },
	{ "nbsp", "\xC2\xA0" },
	{ "ndash", "\xE2\x80\x93" },
	{ "ntilde", "\xC3\xB1" },
	{ "oacute", "\xC3\xB3" },
	{ "ouml", "\xC3\xB6" },
	{ "para", "\xC2\xB6" },
	{ "pound", "\xC2\xA3" },
	{ "quot", "\"" },
	{ "raquo", "\xC2\xBB" },
	{ "rarr", "\xE2\x86\x92" },
	{ "rdquo", "\xE2\x80\x9D" },
	{ "reg", "\xC2\xAE" },
	{ "rlm", "\xE2\x80\x8F" },
	{ "rsquo", "\xE2\x80\x99" },
	{ "sbquo", "\xE2\x80\x9A" },
	{ "sect", "\xC2\xA7" },
	{ "shy", "\xC2\xAD" },
	{ "szlig", "\xC3\x9F" },
	{ "thinsp", "\xE2\x80\x89" },
	{ "times", "\xC3\x97" },
	{ "trade", "\xE2\x84\xA2" },
	{ "uacute", "\xC3\xBA" },
	{ "uarr", "\xE2\x86\x91" },
	{ "uuml", "\xC3\xBC" },
	{ "yen", "\xC2\xA5" },
	{ "zwj", "\xE2\x80\x8D" },
	{ "zwnj", "\xE2\x80\x8C" },
};

/* HTML5: numeric references 0x80-0x9F name windows-1252 characters. */
static const uint16_t html_cp1252[32] = {
	0x20AC,
	0x0081,
	0x201A,
	0x0192,
	0x201E,
	0x2026,
	0x2020,
	0x2021,
	0x02C6,
	0x2030,
	0x0160,
	0x2039,
	0x0152,
	0x008D,
	0x017D,
	0x008F,
	0x0090,
	0x2018,
	0x2019,
	0x201C,
	0x201D,
	0x2022,
	0x2013,
	0x2014,
	0x02DC,
	0x2122,
	0x0161,
	0x203A,
	0x0153,
	0x009D,
	0x017E,
	0x0178,
};

static bool
html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool
html_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
html_alnum(char c)
{
	return html_alpha(c) || (c >= '0' && c <= '9');
}

static char
html_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char) (c | 0x20) : c;
}

/* html_find: index of needle in s[from..len), or len. */
static size_t
html_find(const char *s, size_t len, size_t from, const char *needle)
{
	size_t      n = strlen(needle), i;
	const char *p;

	if (n == 1) {
		p = from < len ? memchr(s + from, needle[0], len - from)
		               : NULL;
		return p ? (size_t) (p - s) : len;
	}
	for (i = from; i + n <= len; i++)
		if (s[i] == needle[0] && memcmp(s + i, needle, n) == 0)
			return i;
	return len;
}

/* html_find_ci: as html_find, needle lowercase, s compared caselessly. */
static size_t
html_find_ci(const char *s, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle), i, k;

	for (i = from; i + n <= len; i++) {
		for (k = 0; k < n && html_lower(s[i + k]) == needle[k]; k++)
			;
		if (k == n)
			return i;
	}
	return len;
}

/* ---- entities ---- */

static const char *
html_named(const char *name, size_t n)
{
	size_t lo = 0, hi = nitems(html_entities), mid;
	int    c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(html_entities[mid].name, name, n);
		if (c == 0 && html_entities[mid].name[n] != '\0')
			c = 1;
		if (c == 0)
			return html_entities[mid].utf8;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* html_cp_utf8: UTF-8 of a numeric reference's value into o. */
static size_t
html_cp_utf8(uint32_t cp, char *o)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	else if (cp >= 0x80 && cp <= 0x9F)
		cp = html_cp1252[cp - 0x80];
	return text_utf8_put(cp, o);
}

static int
html_digit(char c, bool hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && html_lower(c) >= 'a' && html_lower(c) <= 'f')
		return html_lower(c) - 'a' + 10;
	return -1;
}

/* html_numeric: "&#..." at s; bytes consumed (0: not a reference). */
static size_t
html_numeric(const char *s, size_t len, char *o, size_t *olen)
{
	bool     hex = len > 2 && (s[2] == 'x' || s[2] == 'X');
	size_t   i = hex ? 3 : 2, start = i;
	uint32_t v = 0;
	int      dg;

	for (; i < len && (dg = html_digit(s[i], hex)) >= 0; i++)
		v = v > 0x10FFFF ? 0x110000
		                 : v * (hex ? 16 : 10) + (uint32_t) dg;
	if (i == start)
		return 0;
	if (i < len && s[i] == ';')
		i++;
	*olen = html_cp_utf8(v, o);
	return i;
}

/*
 * html_entity: decode the reference starting with '&' at s[0..len) into
 * o (>= 4 bytes).  Returns the bytes consumed, 0 when it is no reference
 * (the '&' is then literal text).
 */
static size_t
html_entity(const char *s, size_t len, char *o, size_t *olen)
{
	const char *u;
	size_t      n = 1;

	if (len > 1 && s[1] == '#')
		return html_numeric(s, len, o, olen);
	while (n < len && n <= HTML_MAX_ENTITY_BYTES && html_alnum(s[n]))
		n++;
	if (n == 1 || n >= len || s[n] != ';')
		return 0;
	if ((u = html_named(s + 1, n - 1)) == NULL)
		return 0;
	*olen = strlen(u);
	memcpy(o, u, *olen);
	return n + 1;
}

/* html_decode: append p[0..n) with entities decoded to o (silently full). */
static void
html_decode(const char *p, size_t n, struct buf *o)
{
	size_t i = 0, j, used, olen;
	char   dec[4];

	while (i < n) {
		for (j = i; j < n && p[j] != '&'; j++)
			;
		if (j > i && buf_append(o, p + i, j - i) != 0)
			return;
		if (j >= n)
			return;
		used = html_entity(p + j, n - j, dec, &olen);
		if (used == 0) {
			used = 1;
			dec[0] = '&';
			olen = 1;
		}
		if (buf_append(o, dec, olen) != 0)
			return;
		i = j + used;
	}
}

/* ---- text output ---- */

/* html_put: append valid UTF-8 to the text, honouring the cap. */
static void
html_put(struct html *h, const char *p, size_t n)
{
	struct buf *t = &h->d->text;
	size_t      room, k;

	room = t->len < MOD_MAX_TEXT_BYTES ? MOD_MAX_TEXT_BYTES - t->len : 0;
	if (h->in_a && buf_append(&h->atext, p, n) != 0) {
		/* anchor text is best effort: it keeps what fitted */
	}
	k = n <= room ? n : text_utf8_trim(p, n, room);
	if (k < n || (k > 0 && buf_append(t, p, k) != 0))
		h->d->truncated = true;
}

/* html_flush: write the pending separator before new text. */
static void
html_flush(struct html *h)
{
	struct buf *t = &h->d->text;
	bool        in_a = h->in_a;

	if (t->len > 0 && t->data[t->len - 1] != '\n' && (h->nl || h->sp)) {
		h->in_a = in_a && !h->nl && h->atext.len > 0;
		html_put(h,
		    h->nl == 2  ? "\n\n"
		        : h->nl ? "\n"
		                : " ",
		    h->nl ? (size_t) h->nl : 1);
		h->in_a = in_a;
	}
	h->nl = 0;
	h->sp = false;
}

/* html_text: source text p[0..n) (any bytes) to the output. */
static void
html_text(struct html *h, const char *p, size_t n)
{
	struct buf tmp;
	bool       changed;

	if (n == 0)
		return;
	html_flush(h);
	if (text_utf8_valid(p, n)) {
		html_put(h, p, n);
		return;
	}
	buf_init(&tmp, 3 * n + 1);
	text_utf8_sanitize(p, n, 3 * n, &tmp, &changed);
	html_put(h, buf_cstr(&tmp), tmp.len);
	buf_free(&tmp);
}

static void
html_break(struct html *h, int nl)
{
	if (h->nl < nl)
		h->nl = nl;
}

/* ---- anchors ---- */

/* html_token: does the attribute value v hold the word tok? */
static bool
html_token(struct html_span v, const char *tok)
{
	size_t i = 0, j, n = strlen(tok), k;

	while (i < v.n) {
		while (i < v.n && html_space(v.p[i]))
			i++;
		for (j = i; j < v.n && !html_space(v.p[j]); j++)
			;
		if (j - i == n) {
			for (k = 0; k < n && html_lower(v.p[i + k]) == tok[k];
			     k++)
				;
			if (k == n)
				return true;
		}
		i = j;
	}
	return false;
}

static void
html_a_open(struct html *h, const struct html_tag *t)
{
	h->in_a = true;
	buf_reset(&h->href);
	buf_reset(&h->atext);
	html_decode(t->href.p, t->href.n, &h->href);
	if (html_token(t->cls, "hashtag") || html_token(t->rel, "tag"))
		h->akind = HTML_HASHTAG;
	else if (html_token(t->cls, "mention"))
		h->akind = HTML_MENTION;
	else
		h->akind = HTML_LINK;
}

/* html_trim: s[0..*n) without surrounding ASCII whitespace. */
static const char *
html_trim(const char *s, size_t *n)
{
	while (*n > 0 && html_space(s[*n - 1]))
		(*n)--;
	while (*n > 0 && html_space(*s)) {
		s++;
		(*n)--;
	}
	return s;
}

/* html_path: the path of an absolute URL (after the authority). */
static const char *
html_path(const char *url, size_t len, size_t *plen)
{
	size_t i = html_find(url, len, 0, "://");

	if (i >= len)
		return NULL;
	for (i += 3; i < len && url[i] != '/'; i++)
		if (url[i] == '?' || url[i] == '#')
			return NULL;
	*plen = len - i;
	return url + i;
}

/* html_segment: length of the path segment at p (up to / ? #). */
static size_t
html_segment(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] != '/' && p[i] != '?' && p[i] != '#'; i++)
		;
	return i;
}

/* html_mention_href: "user@host" from https://host/@user[@remote]. */
static bool
html_mention_href(struct html *h)
{
	char        host[256], acct[MOD_MAX_URL_BYTES];
	const char *url = buf_cstr(&h->href), *p;
	size_t      n = 0, seg;

	if ((p = html_path(url, h->href.len, &n)) == NULL
	    || text_url_host(url, h->href.len, host, sizeof(host)) != 0)
		return false;
	if (n > 2 && p[1] == '@')
		seg = 2;
	else if (n > 7 && memcmp(p, "/users/", 7) == 0)
		seg = 7;
	else
		return false;
	p += seg;
	n -= seg;
	if ((seg = html_segment(p, n)) == 0 || seg + 258 > sizeof(acct))
		return false;
	if (memchr(p, '@', seg) != NULL) {
		text_list_add(&h->d->mentions, p, seg);
		return true;
	}
	memcpy(acct, p, seg);
	acct[seg] = '@';
	n = strlen(host);
	memcpy(acct + seg + 1, host, n);
	text_list_add(&h->d->mentions, acct, seg + 1 + n);
	return true;
}

static void
html_add_mention(struct html *h)
{
	size_t      n = h->atext.len;
	const char *t = html_trim(buf_cstr(&h->atext), &n);

	if (html_mention_href(h))
		return;
	if (n > 0 && t[0] == '@') {
		t++;
		n--;
	}
	text_list_add(&h->d->mentions, t, n);
}

static void
html_add_hashtag(struct html *h)
{
	size_t      n = h->atext.len, plen = 0, i;
	const char *t = html_trim(buf_cstr(&h->atext), &n), *p;

	if (n > 0 && t[0] == '#') {
		t++;
		n--;
	}
	if (n > 0) {
		text_list_add(&h->d->hashtags, t, n);
		return;
	}
	p = html_path(buf_cstr(&h->href), h->href.len, &plen);
	if (p == NULL || (i = html_find(p, plen, 0, "/tags/")) >= plen)
		return;
	p += i + 6;
	plen -= i + 6;
	text_list_add(&h->d->hashtags, p, html_segment(p, plen));
}

static void
html_a_close(struct html *h)
{
	size_t      n = h->href.len;
	const char *href = html_trim(buf_cstr(&h->href), &n);

	if (!h->in_a)
		return;
	h->in_a = false;
	if (n == 0)
		return;
	if (h->akind == HTML_HASHTAG)
		html_add_hashtag(h);
	else if (h->akind == HTML_MENTION)
		html_add_mention(h);
	else
		text_list_add(&h->d->links, href, n);
}

/* ---- tags ---- */

/* html_attr_value: the value after '=' at s[*i] (quoted or not). */
static struct html_span
html_attr_value(const struct html *h, size_t *i)
{
	const char      *s = h->s;
	struct html_span v;
	size_t           j = *i;
	char             q;

	while (j < h->len && html_space(s[j]))
		j++;
	if (j < h->len && (s[j] == '"' || s[j] == '\'')) {
		q = s[j++];
		v.p = s + j;
		j = html_find(s, h->len, j, q == '"' ? "\"" : "'");
		v.n = (size_t) (s + j - v.p);
		j += j < h->len; /* the closing quote */
	} else {
		for (v.p = s + j;
		     j < h->len && !html_space(s[j]) && s[j] != '>'; j++)
			;
		v.n = (size_t) (s + j - v.p);
	}
	*i = j;
	if (v.n > HTML_MAX_ATTR_VALUE_BYTES)
		v.n = HTML_MAX_ATTR_VALUE_BYTES;
	return v;
}

/* html_name_is: is the attribute name s[0..n) lname, ignoring case? */
static bool
html_name_is(const char *s, size_t n, const char *lname)
{
	return n == strlen(lname) && html_find_ci(s, n, 0, lname) == 0;
}

/*
 * html_attr: parse one attribute at h->i, keeping href, class and rel in
 * t.  False at '>' or the end of input.  Consumes at least one byte when
 * it returns true.
 */
static bool
html_attr(struct html *h, struct html_tag *t)
{
	const char      *s = h->s;
	size_t           i = h->i, name, nlen;
	struct html_span v = { NULL, 0 };

	while (i < h->len && (html_space(s[i]) || s[i] == '/'))
		i++;
	if (i >= h->len || s[i] == '>') {
		h->i = i;
		return false;
	}
	for (name = i++; i < h->len && !html_space(s[i]) && s[i] != '/'
	     && s[i] != '>' && s[i] != '=';
	     i++)
		;
	nlen = i - name;
	while (i < h->len && html_space(s[i]))
		i++;
	if (i < h->len && s[i] == '=') {
		i++;
		v = html_attr_value(h, &i);
	}
	h->i = i;
	if (html_name_is(s + name, nlen, "href"))
		t->href = v;
	else if (html_name_is(s + name, nlen, "class"))
		t->cls = v;
	else if (html_name_is(s + name, nlen, "rel"))
		t->rel = v;
	return true;
}

/* html_tag_name: read the tag name at h->i (lowercased, may be cut). */
static void
html_tag_name(struct html *h, struct html_tag *t)
{
	size_t n = 0;

	for (; h->i < h->len && !html_space(h->s[h->i]) && h->s[h->i] != '/'
	     && h->s[h->i] != '>';
	     h->i++)
		if (n < sizeof(t->name) - 1)
			t->name[n++] = html_lower(h->s[h->i]);
	t->name[n] = '\0';
}

enum html_role {
	HTML_OTHER,
	HTML_BLOCK,
	HTML_LINE,
	HTML_PRE,
	HTML_A,
	HTML_RAW
};

/* Tags that do something; every other tag is dropped silently. */
static const struct {
	const char    *name;
	enum html_role role;
} html_roles[] = {
	{ "a", HTML_A },
	{ "blockquote", HTML_BLOCK },
	{ "br", HTML_LINE },
	{ "div", HTML_BLOCK },
	{ "h1", HTML_BLOCK },
	{ "h2", HTML_BLOCK },
	{ "h3", HTML_BLOCK },
	{ "h4", HTML_BLOCK },
	{ "h5", HTML_BLOCK },
	{ "h6", HTML_BLOCK },
	{ "li", HTML_LINE },
	{ "ol", HTML_BLOCK },
	{ "p", HTML_BLOCK },
	{ "pre", HTML_PRE },
	{ "script", HTML_RAW },
	{ "style", HTML_RAW },
	{ "tr", HTML_LINE },
	{ "ul", HTML_BLOCK },
};

/* html_role: what tag name (NUL-padded to HTML_MAX_NAME_BYTES) does. */
static enum html_role
html_role(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(html_roles); i++)
		if (html_roles[i].name[0] == name[0]
		    && html_roles[i].name[1] == name[1]
		    && strcmp(html_roles[i].name, name) == 0)
			return html_roles[i].role;
	return HTML_OTHER;
}

/* html_skip_raw: drop a <script>/<style> body up to its end tag. */
static void
html_skip_raw(struct html *h, const char *name)
{
	char close[HTML_MAX_NAME_BYTES + 2] = "</";

	mod_strlcpy(close + 2, name, sizeof(close) - 2);
	h->i = html_find_ci(h->s, h->len, h->i, close);
}

static void
html_tag_apply(struct html *h, const struct html_tag *t)
{
	switch (html_role(t->name)) {
	case HTML_BLOCK:
		html_break(h, 2);
		break;
	case HTML_LINE:
		html_break(h, 1);
		break;
	case HTML_PRE:
		html_break(h, 2);
		if (t->end && h->pre > 0)
			h->pre--;
		else if (!t->end && h->pre < MOD_MAX_HTML_DEPTH)
			h->pre++;
		break;
	case HTML_A:
		html_a_close(h);
		if (!t->end && t->href.p != NULL)
			html_a_open(h, t);
		break;
	case HTML_RAW:
		if (!t->end)
			html_skip_raw(h, t->name);
		break;
	case HTML_OTHER:
		break;
	}
}

/* html_tag: a start or end tag at h->i ('<' then letter or '/'letter). */
static void
html_tag(struct html *h)
{
	struct html_tag t;

	memset(&t, 0, sizeof(t));
	t.end = h->s[h->i + 1] == '/';
	h->i += t.end ? 2 : 1;
	html_tag_name(h, &t);
	while (html_attr(h, &t))
		;
	if (h->i >= h->len)
		return; /* cut by the end of input: dropped */
	h->i++;
	html_tag_apply(h, &t);
}

/* html_markup: whatever starts with '<' at h->i. */
static void
html_markup(struct html *h)
{
	const char *s = h->s + h->i;
	size_t      left = h->len - h->i, end;

	if (left >= 4 && memcmp(s, "<!--", 4) == 0) {
		end = html_find(h->s, h->len, h->i + 4, "-->");
		h->i = end < h->len ? end + 3 : h->len;
	} else if (left >= 2
	    && (s[1] == '!' || s[1] == '?'
	        || (s[1] == '/' && (left < 3 || !html_alpha(s[2]))))) {
		end = html_find(h->s, h->len, h->i + 1, ">");
		h->i = end < h->len ? end + 1 : h->len;
	} else if (left >= 2 && (html_alpha(s[1]) || s[1] == '/')) {
		html_tag(h);
	} else {
		html_text(h, "<", 1);
		h->i++;
	}
}

static void
html_entity_text(struct html *h)
{
	char   dec[4];
	size_t olen = 0, used;

	used = html_entity(h->s + h->i, h->len - h->i, dec, &olen);
	if (used == 0) {
		html_text(h, "&", 1);
		h->i++;
		return;
	}
	h->i += used;
	if (olen == 1 && html_space(dec[0]) && h->pre == 0)
		h->sp = true;
	else
		html_text(h, dec, olen);
}

/* html_word_end: end of the text at s[j] up to '<', '&' or (outside
 * pre) space. */
static size_t
html_word_end(const struct html *h, size_t j)
{
	while (j < h->len && h->s[j] != '<' && h->s[j] != '&'
	    && (h->pre > 0 || !html_space(h->s[j])))
		j++;
	return j;
}

/* html_fits: n more bytes can go to the text (and anchor text) uncut. */
static bool
html_fits(const struct html *h, size_t n)
{
	const struct buf *a = &h->atext;

	return n <= MOD_MAX_TEXT_BYTES - h->d->text.len
	    && (!h->in_a || (n <= a->max && a->len <= a->max - n));
}

/*
 * html_words: words joined by single spaces, from s[h->i] on (the first
 * ends at word), written in one piece, which is what writing them one by one
 * with a collapsed space in between gives when the whole fits and is valid
 * UTF-8.  Returns the end of what was written, or h->i if it was not (the
 * caller then goes word by word up to h->bywords, keeping the scan linear).
 */
static size_t
html_words(struct html *h, size_t word)
{
	size_t i = h->i, j = word;

	while (j + 1 < h->len && h->s[j] == ' ' && !html_space(h->s[j + 1])
	    && h->s[j + 1] != '<' && h->s[j + 1] != '&')
		j = html_word_end(h, j + 1);
	if (j == word)
		return i;
	html_flush(h);
	if (h->d->text.len > MOD_MAX_TEXT_BYTES || !html_fits(h, j - i)
	    || !text_utf8_valid(h->s + i, j - i)) {
		h->bywords = j; /* so these bytes are not scanned again */
		return i;
	}
	html_put(h, h->s + i, j - i);
	return j;
}

/* html_run: plain text up to the next '<', '&' or (outside pre) space. */
static void
html_run(struct html *h)
{
	size_t j = html_word_end(h, h->i), end;

	if (h->pre == 0 && h->i >= h->bywords
	    && (end = html_words(h, j)) != h->i) {
		h->i = end;
		return;
	}
	html_text(h, h->s + h->i, j - h->i);
	h->i = j;
}

/* html_trim_tail: no trailing whitespace (can come from <pre>). */
static void
html_trim_tail(struct buf *t)
{
	while (t->len > 0 && html_space(t->data[t->len - 1]))
		t->len--;
	if (t->data)
		t->data[t->len] = '\0';
}

int
text_html(const char *html, size_t len, struct text_doc *out)
{
	struct html h;

	memset(&h, 0, sizeof(h));
	h.s = html;
	h.len = len;
	h.d = out;
	if (len > MOD_MAX_HTML_BYTES) {
		h.len = MOD_MAX_HTML_BYTES;
		out->truncated = true;
	}
	buf_init(&h.href, MOD_MAX_URL_BYTES);
	buf_init(&h.atext, MOD_MAX_URL_BYTES);
	while (h.i < h.len) {
		if (h.s[h.i] == '<')
			html_markup(&h);
		else if (h.s[h.i] == '&')
			html_entity_text(&h);
		else if (h.pre == 0 && html_space(h.s[h.i])) {
			h.sp = true;
			h.i++;
		} else
			html_run(&h);
	}
	html_a_close(&h);
	html_trim_tail(&out->text);
	buf_free(&h.href);
	buf_free(&h.atext);
	return 0;
}

void
text_doc_free(struct text_doc *d)
{
	if (d == NULL)
		return;
	buf_free(&d->text);
	text_list_free(&d->links);
	text_list_free(&d->mentions);
	text_list_free(&d->hashtags);
	d->truncated = false;
}

/* text_list_has: is s[0..len) already in l? */
static bool
text_list_has(const struct text_list *l, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strncmp(l->v[i], s, len) == 0 && l->v[i][len] == '\0')
			return true;
	return false;
}

void
text_list_add(struct text_list *l, const char *s, size_t len)
{
	struct buf clean;

	buf_init(&clean, MOD_MAX_URL_BYTES);
	if (!text_utf8_valid(s, len)) {
		text_utf8_sanitize(s, len, MOD_MAX_URL_BYTES, &clean, NULL);
		s = buf_cstr(&clean);
		len = clean.len;
	} else if (len > MOD_MAX_URL_BYTES)
		len = text_utf8_trim(s, len, MOD_MAX_URL_BYTES);
	if (len == 0 || text_list_has(l, s, len)) {
		/* nothing new */
	} else if (l->n >= MOD_MAX_LINKS_COUNT)
		l->dropped++;
	else
		l->v[l->n++] = xstrndup(s, len);
	buf_free(&clean);
}

void
text_list_free(struct text_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
	l->dropped = 0;
}

/* html_host_char: bytes allowed in a host (non-ASCII: IDN in UTF-8). */
static bool
html_host_char(unsigned char c)
{
	return c >= 0x80 || html_alnum((char) c) || c == '-' || c == '.'
	    || c == '_' || c == '~' || c == ':' || c == '%';
}

int
text_url_host(const char *url, size_t len, char *out, size_t outsz)
{
	size_t i = 0, a, e, at, k;

	while (i < len
	    && (html_alnum(url[i]) || url[i] == '+' || url[i] == '-'
	        || url[i] == '.'))
		i++;
	if (i == 0 || !html_alpha(url[0]) || len - i < 3
	    || memcmp(url + i, "://", 3) != 0)
		return MOD_EINVAL;
	for (a = e = i + 3; e < len && url[e] != '/' && url[e] != '?'
	     && url[e] != '#' && url[e] != '\\';
	     e++)
		;
	for (at = e; at > a && url[at - 1] != '@'; at--)
		;
	a = at; /* past the userinfo, if any */
	if (a < e && url[a] == '[')
		for (k = ++a; k < e && url[k] != ']'; k++)
			;
	else
		for (k = a; k < e && url[k] != ':'; k++)
			;
	e = k; /* before the port or the ']' */
	while (e > a && url[e - 1] == '.')
		e--;
	if (e == a || e - a >= outsz)
		return MOD_EINVAL;
	for (k = a; k < e; k++) {
		if (!html_host_char((unsigned char) url[k]))
			return MOD_EINVAL;
		out[k - a] = html_lower(url[k]);
	}
	out[e - a] = '\0';
	return 0;
}
