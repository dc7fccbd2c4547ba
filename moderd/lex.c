/*
 * lex.c - tokenizer for the block syntax of moderd.conf and *.rules.
 *
 * The grammar is deliberately small: statements are one line, blocks are
 * braces, comments start with # at the beginning of a token and run to the
 * end of the line.  A regex token is /pattern/flags on one line: the
 * pattern is handed over verbatim (PCRE2 reads \/ as a slash), so byte
 * offsets PCRE2 reports map straight back to a column.  Nothing here
 * allocates; token text lives in the lexer's own bounded buffer.
 * Input is untrusted: every loop advances, every copy is bounded.
 */
#include <string.h>

#include "lex.h"
#include "util.h"

/* Token text of every kind lives in lx->tok. */
_Static_assert(MOD_MAX_STRING_BYTES <= MOD_MAX_TOKEN_BYTES, "string > token");
_Static_assert(MOD_MAX_REGEX_BYTES <= MOD_MAX_TOKEN_BYTES, "regex > token");

void
lex_init(struct lex *lx, const char *file, const char *src, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->file = file;
	lx->src = src;
	lx->len = len;
	lx->line = 1;
	lx->col = 1;
	/* A UTF-8 byte order mark is not part of the text. */
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		lx->pos = 3;
}

const char *
lex_type_name(enum lex_type type)
{
	static const char *const names[] = { "end of file", "end of line",
		"word", "string", "regex", "'{'", "'}'", "error" };

	return (size_t) type < nitems(names) ? names[type] : "?";
}

int
lex_utf8_cols(const char *s, size_t n)
{
	size_t i;
	int    cols = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char) s[i] & 0xc0) != 0x80)
			cols++;
	return cols;
}

static int
lex_peek(const struct lex *lx)
{
	return lx->pos < lx->len ? (unsigned char) lx->src[lx->pos] : -1;
}

/* Advance one byte, keeping line and column (code points) current. */
static void
lex_advance(struct lex *lx)
{
	unsigned char c = (unsigned char) lx->src[lx->pos++];

	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xc0) != 0x80)
		lx->col++;
}

static void
lex_error(struct lex *lx, struct lex_tok *t, const char *msg)
{
	mod_strlcpy(lx->tok, msg, sizeof(lx->tok));
	t->type = LEX_ERROR;
	t->text = lx->tok;
	t->len = strlen(lx->tok);
}

static void
lex_skip_blank(struct lex *lx)
{
	int c;

	while ((c = lex_peek(lx)) == ' ' || c == '\t' || c == '\r' || c == '\f'
	    || c == '\v')
		lex_advance(lx);
	if (c == '#')
		while ((c = lex_peek(lx)) != -1 && c != '\n')
			lex_advance(lx);
}

static int
lex_is_word_end(int c)
{
	return c == -1 || c == ' ' || c == '\t' || c == '\r' || c == '\n'
	    || c == '\f' || c == '\v' || c == '{' || c == '}' || c == '"'
	    || c == '\0';
}

static void
lex_word(struct lex *lx, struct lex_tok *t)
{
	size_t n = 0;
	int    toolong = 0;

	while (!lex_is_word_end(lex_peek(lx))) {
		if (n < MOD_MAX_TOKEN_BYTES)
			lx->tok[n++] = lx->src[lx->pos];
		else
			toolong = 1;
		lex_advance(lx);
	}
	lx->tok[n] = '\0';
	if (toolong) {
		lex_error(lx, t, "word too long");
		return;
	}
	t->type = LEX_WORD;
	t->text = lx->tok;
	t->len = n;
}

/* Decode one backslash escape inside a string; -1 if unknown. */
static int
lex_escape(int c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case '"':
	case '\\':
	case '/':
		return c;
	default:
		return -1;
	}
}

/* Finish a string token whose content ended badly: skip to end of line. */
static void
lex_string_fail(struct lex *lx, struct lex_tok *t, const char *msg)
{
	int c;

	while ((c = lex_peek(lx)) != -1 && c != '\n')
		lex_advance(lx);
	lex_error(lx, t, msg);
}

static void
lex_string(struct lex *lx, struct lex_tok *t)
{
	size_t n = 0;
	int    c, e;

	lex_advance(lx); /* opening quote */
	for (;;) {
		c = lex_peek(lx);
		if (c == -1 || c == '\n') {
			lex_error(lx, t, "unterminated string");
			return;
		}
		if (c == '\0') {
			lex_string_fail(lx, t, "NUL byte in string");
			return;
		}
		lex_advance(lx);
		if (c == '"')
			break;
		if (c == '\\') {
			/* A backslash at the end of the line leaves the
			 * string unterminated; the top of the loop says so. */
			if ((e = lex_peek(lx)) == -1 || e == '\n')
				continue;
			if ((e = lex_escape(e)) == -1) {
				lex_string_fail(
				    lx, t, "unknown escape in string");
				return;
			}
			lex_advance(lx);
			c = e;
		}
		if (n >= MOD_MAX_STRING_BYTES) {
			lex_string_fail(lx, t, "string too long");
			return;
		}
		lx->tok[n++] = (char) c;
	}
	lx->tok[n] = '\0';
	t->type = LEX_STRING;
	t->text = lx->tok;
	t->len = n;
}

/* Read the flag letters after the closing slash; -1 if too many. */
static int
lex_regex_flags(struct lex *lx, struct lex_tok *t)
{
	size_t n = 0;
	int    c, toolong = 0;

	t->flags_col = lx->col;
	while ((c = lex_peek(lx)) != -1 && !lex_is_word_end(c)) {
		if (n + 1 < sizeof(t->flags))
			t->flags[n++] = (char) c;
		else
			toolong = 1;
		lex_advance(lx);
	}
	t->flags[n] = '\0';
	return toolong ? -1 : 0;
}

static void
lex_regex(struct lex *lx, struct lex_tok *t)
{
	size_t n = 0, need;
	int    c;

	lex_advance(lx); /* opening slash */
	for (;;) {
		c = lex_peek(lx);
		if (c == -1 || c == '\n') {
			lex_error(lx, t, "unterminated regex");
			return;
		}
		/* PCRE2 could take a NUL, Hyperscan could not: refuse it so
		 * both engines always see the same pattern. */
		if (c == '\0'
		    || (c == '\\' && lx->pos + 1 < lx->len
		        && lx->src[lx->pos + 1] == '\0')) {
			lex_string_fail(lx, t, "NUL byte in regex");
			return;
		}
		lex_advance(lx);
		if (c == '/')
			break;
		need = c == '\\' && lex_peek(lx) != -1 && lex_peek(lx) != '\n'
		    ? 2
		    : 1;
		if (n + need > MOD_MAX_REGEX_BYTES) {
			lex_string_fail(lx, t, "regex too long");
			return;
		}
		lx->tok[n++] = (char) c;
		if (need == 2) {
			lx->tok[n++] = lx->src[lx->pos];
			lex_advance(lx);
		}
	}
	lx->tok[n] = '\0';
	t->type = LEX_REGEX;
	t->text = lx->tok;
	t->len = n;
	if (lex_regex_flags(lx, t) != 0)
		lex_error(lx, t, "too many regex flags");
}

void
lex_next(struct lex *lx, struct lex_tok *t)
{
	int c;

	memset(t, 0, sizeof(*t));
	lex_skip_blank(lx);
	t->line = lx->line;
	t->col = lx->col;
	t->text = "";
	switch ((c = lex_peek(lx))) {
	case -1:
		t->type = LEX_EOF;
		return;
	case '\n':
		lex_advance(lx);
		t->type = LEX_EOL;
		return;
	case '{':
	case '}':
		lex_advance(lx);
		t->type = c == '{' ? LEX_LBRACE : LEX_RBRACE;
		t->text = c == '{' ? "{" : "}";
		t->len = 1;
		return;
	case '"':
		lex_string(lx, t);
		return;
	case '/':
		lex_regex(lx, t);
		return;
	case '\0':
		lex_advance(lx);
		lex_error(lx, t, "NUL byte");
		return;
	default:
		lex_word(lx, t);
		return;
	}
}

void
lex_skip_line(struct lex *lx)
{
	int c;

	while ((c = lex_peek(lx)) != -1 && c != '\n')
		lex_advance(lx);
	if (c == '\n')
		lex_advance(lx);
}
