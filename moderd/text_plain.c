/*
 * text_plain.c - links, mentions and hashtags in plain text.
 *
 * Used where there is no HTML to read them from: rule `expect` examples
 * and plain-text fields.  One left-to-right scan, no backtracking past
 * the current token, so it is linear in the input.  The rules follow
 * Mastodon's own extractor closely enough for moderation:
 *
 *   - links: "http://" or "https://" (any case) not preceded by a word
 *     character, up to whitespace, a control character or one of < > " ';
 *     trailing . , ; : ! ? are stripped, and so is a trailing ')' that has
 *     no '(' to match (so "(see https://x.example/a)" works and
 *     "https://en.wikipedia.org/wiki/C_(language)" keeps its paren);
 *   - mentions: '@' not preceded by a word character, '/', '=' or '@',
 *     then a username (word characters, with '.' and '-' allowed inside)
 *     and optionally '@' and a domain; stored as "user" or "user@host"
 *     without the leading '@';
 *   - hashtags: '#' not preceded by a word character, '/', ')' or '&',
 *     then word characters (Unicode letters, digits, marks, '_', and '·'
 *     inside), containing at least one non-digit; stored without '#'.
 *
 * Text inside a link is not searched for mentions or hashtags.  Word
 * characters are Unicode-aware (ICU character properties); invalid UTF-8
 * counts as a non-word character.  Input is bounded by the caller's
 * field size; the lists cap themselves (text_list_add).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "text.h"

#define PLAIN_MIDDOT 0x00B7

/* plain_cp: the code point at s[i] (negative if invalid); *n its length. */
static int32_t
plain_cp(const char *s, size_t len, size_t i, size_t *n)
{
	const uint8_t *u = (const uint8_t *) s;
	int32_t        j = 0, cp;
	size_t         left = len - i;

	if (u[i] < 0x80) {
		*n = 1;
		return u[i];
	}
	if (left > 4)
		left = 4;
	U8_NEXT(u + i, j, (int32_t) left, cp);
	*n = (size_t) j;
	return cp;
}

static bool
plain_cont(char c)
{
	return ((unsigned char) c & 0xC0) == 0x80;
}

/* plain_prev: the code point ending just before s[i], -1 if none/bad. */
static int32_t
plain_prev(const char *s, size_t len, size_t i)
{
	size_t  k, n;
	int32_t cp;

	if (i == 0)
		return -1;
	if ((unsigned char) s[i - 1] < 0x80)
		return (unsigned char) s[i - 1];
	for (k = i - 1; k > 0 && i - 1 - k < 3 && plain_cont(s[k]); k--)
		;
	cp = plain_cp(s, len, k, &n);
	return k + n == i ? cp : -1;
}

static bool
plain_word(int32_t cp)
{
	if (cp < 0)
		return false;
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')
		    || (cp >= '0' && cp <= '9') || cp == '_';
	return u_isalnum(cp) || u_charType(cp) == U_NON_SPACING_MARK
	    || u_charType(cp) == U_COMBINING_SPACING_MARK
	    || u_charType(cp) == U_CONNECTOR_PUNCTUATION;
}

/* plain_word_run: bytes of word characters at s[i..len). */
static size_t
plain_word_run(const char *s, size_t len, size_t i, bool *digits_only)
{
	size_t  start = i, n;
	int32_t cp;

	while (i < len) {
		cp = plain_cp(s, len, i, &n);
		if (!plain_word(cp))
			break;
		if (digits_only && !(cp >= '0' && cp <= '9') && !u_isdigit(cp))
			*digits_only = false;
		i += n;
	}
	return i - start;
}

/* ---- links ---- */

static bool
plain_url_stop(unsigned char c)
{
	return c <= ' ' || c == 0x7F || c == '<' || c == '>' || c == '"'
	    || c == '\'';
}

static char
plain_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char) (c | 0x20) : c;
}

/* plain_scheme: length of "http://" or "https://" at s[i], else 0. */
static size_t
plain_scheme(const char *s, size_t len, size_t i)
{
	static const char *const schemes[] = { "https://", "http://" };
	size_t                   k, n, j;

	for (k = 0; k < nitems(schemes); k++) {
		n = strlen(schemes[k]);
		if (len - i < n)
			continue;
		for (j = 0; j < n && plain_lower(s[i + j]) == schemes[k][j];
		     j++)
			;
		if (j == n)
			return n;
	}
	return 0;
}

/* plain_url_end: strip trailing punctuation and unmatched ')'. */
static size_t
plain_url_end(const char *s, size_t start, size_t end)
{
	size_t i, open = 0, close = 0;

	for (i = start; i < end; i++) {
		open += s[i] == '(';
		close += s[i] == ')';
	}
	while (end > start) {
		char c = s[end - 1];

		if (c == ')' && close > open) {
			close--;
		} else if (!(c != '\0' && strchr(".,;:!?", c)))
			break;
		end--;
	}
	return end;
}

/* plain_link: a link at s[i]; returns the bytes it covers (0: none). */
static size_t
plain_link(const char *s, size_t len, size_t i, struct text_doc *out)
{
	size_t sch = plain_scheme(s, len, i), end;

	if (sch == 0 || plain_word(plain_prev(s, len, i)))
		return 0;
	for (end = i + sch;
	     end < len && !plain_url_stop((unsigned char) s[end]); end++)
		;
	end = plain_url_end(s, i + sch, end);
	if (end == i + sch)
		return 0;
	text_list_add(&out->links, s + i, end - i);
	return end - i;
}

/* ---- mentions ---- */

/* plain_dotted: word runs joined by single '.' or '-' at s[i..len). */
static size_t
plain_dotted(const char *s, size_t len, size_t i)
{
	size_t start = i, w;

	for (;;) {
		if ((w = plain_word_run(s, len, i, NULL)) == 0)
			break;
		i += w;
		if (i + 1 < len && (s[i] == '.' || s[i] == '-')
		    && plain_word_run(s, len, i + 1, NULL) > 0)
			i++;
		else
			break;
	}
	return i - start;
}

static size_t
plain_mention(const char *s, size_t len, size_t i, struct text_doc *out)
{
	int32_t prev = plain_prev(s, len, i);
	size_t  user, host = 0;

	if (plain_word(prev) || prev == '/' || prev == '=' || prev == '@')
		return 0;
	if ((user = plain_dotted(s, len, i + 1)) == 0)
		return 0;
	if (i + 1 + user < len && s[i + 1 + user] == '@')
		host = plain_dotted(s, len, i + 2 + user);
	if (host > 0)
		host++;
	text_list_add(&out->mentions, s + i + 1, user + host);
	return 1 + user + host;
}

/* ---- hashtags ---- */

static size_t
plain_hashtag(const char *s, size_t len, size_t i, struct text_doc *out)
{
	int32_t prev = plain_prev(s, len, i), cp;
	size_t  end = i + 1, w, n;
	bool    digits = true;

	if (plain_word(prev) || prev == '/' || prev == ')' || prev == '&')
		return 0;
	for (;;) {
		if ((w = plain_word_run(s, len, end, &digits)) == 0)
			break;
		end += w;
		if (end >= len)
			break;
		cp = plain_cp(s, len, end, &n);
		if (cp != PLAIN_MIDDOT
		    || plain_word_run(s, len, end + n, NULL) == 0)
			break;
		end += n;
	}
	if (end == i + 1 || digits)
		return 0;
	text_list_add(&out->hashtags, s + i + 1, end - i - 1);
	return end - i;
}

void
text_plain_extract(const char *s, size_t len, struct text_doc *out)
{
	size_t i = 0, used;

	while (i < len) {
		used = 0;
		if (s[i] == 'h' || s[i] == 'H')
			used = plain_link(s, len, i, out);
		else if (s[i] == '@')
			used = plain_mention(s, len, i, out);
		else if (s[i] == '#')
			used = plain_hashtag(s, len, i, out);
		i += used ? used : 1;
	}
}
