/*
 * test_lex.c - lex.c: every token type, lines and code-point columns,
 * comments, escapes, unterminated strings and regexes with positions,
 * the byte order mark, regex flags and their column, tokens at and past
 * their limits, input that ends without a newline.
 *
 * Token streams are rendered as "LINE:COL kind text; ..." so a case reads
 * as the lexer's whole answer.
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
#include "lex.h"
#include "util.h"

static void
test_render_text(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			assert_int_equal(buf_appends(b, "\\n"), 0);
		else if (s[i] == '\t')
			assert_int_equal(buf_appends(b, "\\t"), 0);
		else if (s[i] == '\0')
			assert_int_equal(buf_appends(b, "\\0"), 0);
		else
			assert_int_equal(buf_appendc(b, s[i]), 0);
	}
}

static void
test_render(struct buf *b, const struct lex_tok *t)
{
	static const char *const kinds[]
	    = { "eof", "eol", "word", "string", "regex", "{", "}", "error" };

	if (b->len > 0)
		assert_int_equal(buf_appends(b, "; "), 0);
	assert_int_equal(
	    buf_printf(b, "%d:%d %s", t->line, t->col, kinds[t->type]), 0);
	switch (t->type) {
	case LEX_WORD:
	case LEX_STRING:
	case LEX_ERROR:
		assert_int_equal(buf_appendc(b, ' '), 0);
		test_render_text(b, t->text, t->len);
		break;
	case LEX_REGEX:
		assert_int_equal(buf_appends(b, " /"), 0);
		test_render_text(b, t->text, t->len);
		assert_int_equal(
		    buf_printf(b, "/%s@%d", t->flags, t->flags_col), 0);
		break;
	default:
		break;
	}
}

/* Every token of src[0..len) up to EOF, rendered (caller frees). */
static char *
test_lex_n(const char *src, size_t len)
{
	struct lex     lx;
	struct lex_tok t;
	struct buf     b;
	size_t         guard = 0;

	buf_init(&b, 1 << 20);
	lex_init(&lx, "t", src, len);
	do {
		lex_next(&lx, &t);
		test_render(&b, &t);
		/* Every call consumes input, so this always ends. */
		assert_true(++guard <= len + 2);
	} while (t.type != LEX_EOF);
	/* EOF is sticky. */
	lex_next(&lx, &t);
	assert_int_equal(t.type, LEX_EOF);
	return buf_steal(&b);
}

static char *
test_lex(const char *src)
{
	return test_lex_n(src, strlen(src));
}

static const struct {
	const char *src, *want;
} cases[] = {
	/* every token type, end of file with and without a newline */
	{ "", "1:1 eof" },
	{ "a", "1:1 word a; 1:2 eof" },
	{ "a b\n", "1:1 word a; 1:3 word b; 1:4 eol; 2:1 eof" },
	{ "rule X {\n\tdesc \"x y\"\n}\n",
	    "1:1 word rule; 1:6 word X; 1:8 {; 1:9 eol; 2:2 word desc; "
	    "2:7 string x y; 2:12 eol; 3:1 }; 3:2 eol; 4:1 eof" },
	{ "match text /a+/i",
	    "1:1 word match; 1:7 word text; "
	    "1:12 regex /a+/i@16; 1:17 eof" },
	{ "score -1.5 <= >= != ==",
	    "1:1 word score; 1:7 word -1.5; "
	    "1:12 word <=; 1:15 word >=; "
	    "1:18 word !=; 1:21 word ==; 1:23 eof" },
	{ "\n\n\nx", "1:1 eol; 2:1 eol; 3:1 eol; 4:1 word x; 4:2 eof" },
	{ "a{b}c",
	    "1:1 word a; 1:2 {; 1:3 word b; 1:4 }; 1:5 word c; "
	    "1:6 eof" },
	{ "ab\"cd\"ef", "1:1 word ab; 1:3 string cd; 1:7 word ef; 1:9 eof" },
	{ "\"a\"\"b\"", "1:1 string a; 1:4 string b; 1:7 eof" },
	{ "a\r\nb\r\n", "1:1 word a; 1:3 eol; 2:1 word b; 2:3 eol; 3:1 eof" },
	{ " \t\f\vx", "1:5 word x; 1:6 eof" },
	/* columns count code points; a tab is one */
	{ "\t\tx", "1:3 word x; 1:4 eof" },
	{ "\xc3\xa9 x", "1:1 word \xc3\xa9; 1:3 word x; 1:4 eof" },
	{ "\xe2\x82\xac\xe2\x82\xac y",
	    "1:1 word \xe2\x82\xac\xe2\x82\xac; 1:4 word y; 1:5 eof" },
	{ "\xf0\x9f\x98\x80 z",
	    "1:1 word \xf0\x9f\x98\x80; 1:3 word z; 1:4 eof" },
	{ "\"\xc3\xa9\" \"\xc3\xbc\" x",
	    "1:1 string \xc3\xa9; 1:5 string \xc3\xbc; 1:9 word x; 1:10 eof" },
	{ "\xc3\xa9\n\xc3\xa9",
	    "1:1 word \xc3\xa9; 1:2 eol; 2:1 word "
	    "\xc3\xa9; 2:2 eof" },
	/* comments start only at the start of a token */
	{ "a # c\nb", "1:1 word a; 1:6 eol; 2:1 word b; 2:2 eof" },
	{ "a#b", "1:1 word a#b; 1:4 eof" },
	{ "# only", "1:7 eof" },
	{ "#c\n#d\nx", "1:3 eol; 2:3 eol; 3:1 word x; 3:2 eof" },
	{ "\"s\"#c\n", "1:1 string s; 1:6 eol; 2:1 eof" },
	{ "x # \"not a string", "1:1 word x; 1:18 eof" },
	{ "x # /not a regex\ny", "1:1 word x; 1:17 eol; 2:1 word y; 2:2 eof" },
	{ "\"#not\"", "1:1 string #not; 1:7 eof" },
	/* strings: escapes, errors and where they point */
	{ "\"a\\\"b\\\\c\\nd\\te\\/f\"",
	    "1:1 string a\"b\\c\\nd\\te/f; 1:19 eof" },
	{ "\"\"", "1:1 string ; 1:3 eof" },
	{ "\"a b\tc\"", "1:1 string a b\\tc; 1:8 eof" },
	{ "\"a\\qb\" x\ny",
	    "1:1 error unknown escape in string; 1:9 eol; 2:1 word y; "
	    "2:2 eof" },
	{ "x \"abc", "1:1 word x; 1:3 error unterminated string; 1:7 eof" },
	{ "\"abc\nnext",
	    "1:1 error unterminated string; 1:5 eol; "
	    "2:1 word next; 2:5 eof" },
	{ "\"ab\\\nz",
	    "1:1 error unterminated string; 1:5 eol; 2:1 word z; "
	    "2:2 eof" },
	{ "\"ab\\", "1:1 error unterminated string; 1:5 eof" },
	{ "  \xc3\xa9 \"x",
	    "1:3 word \xc3\xa9; 1:5 error unterminated "
	    "string; 1:7 eof" },
	{ "\"x\n\"y\nz",
	    "1:1 error unterminated string; 1:3 eol; "
	    "2:1 error unterminated string; 2:3 eol; "
	    "3:1 word z; 3:2 eof" },
	/* regexes: verbatim pattern, flags and their column */
	{ "/a\\/b/i x", "1:1 regex /a\\/b/i@7; 1:9 word x; 1:10 eof" },
	{ "/x/", "1:1 regex /x/@4; 1:4 eof" },
	{ "/a b/ims", "1:1 regex /a b/ims@6; 1:9 eof" },
	{ "/\xc3\xa9/i", "1:1 regex /\xc3\xa9/i@4; 1:5 eof" },
	{ "/x/i{", "1:1 regex /x/i@4; 1:5 {; 1:6 eof" },
	{ "/x/\"s\"", "1:1 regex /x/@4; 1:4 string s; 1:7 eof" },
	{ "/\\d+\\s/", "1:1 regex /\\d+\\s/@8; 1:8 eof" },
	{ "/\\\\/", "1:1 regex /\\\\/@5; 1:5 eof" },
	{ "/abc", "1:1 error unterminated regex; 1:5 eof" },
	{ "/ab\\/\nq",
	    "1:1 error unterminated regex; 1:6 eol; 2:1 word q; "
	    "2:2 eof" },
	{ "/a\\", "1:1 error unterminated regex; 1:4 eof" },
	{ "x /", "1:1 word x; 1:3 error unterminated regex; 1:4 eof" },
	{ "/a/iiiiiiiiiiiiiii", "1:1 regex /a/iiiiiiiiiiiiiii@4; 1:19 eof" },
	{ "/a/iiiiiiiiiiiiiiiZ y",
	    "1:1 error too many regex flags; 1:21 word y; 1:22 eof" },
	/* the byte order mark, at the start only */
	{ "\xef\xbb\xbf"
	  "a",
	    "1:1 word a; 1:2 eof" },
	{ "\xef\xbb\xbf# c\nx", "1:4 eol; 2:1 word x; 2:2 eof" },
	{ "\xef\xbb\xbf", "1:1 eof" },
	{ "a\xef\xbb\xbf", "1:1 word a\xef\xbb\xbf; 1:3 eof" },
	{ "\xef\xbb", "1:1 word \xef\xbb; 1:2 eof" },
};

static void
test_cases(void **state)
{
	char  *got;
	size_t i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		got = test_lex(cases[i].src);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu:\n got: %s\nwant: %s", i, got,
			    cases[i].want);
		free(got);
	}
}

static void
test_nul_bytes(void **state)
{
	char *got;

	(void) state;
	got = test_lex_n("a\0b c", 5);
	/* A NUL is refused wherever it is (Hyperscan and C strings would
	 * otherwise see another text than PCRE2 and the file). */
	assert_string_equal(got,
	    "1:1 word a; 1:2 error NUL byte; 1:3 word b; 1:5 word c; 1:6 eof");
	free(got);
	got = test_lex_n("\"x\0y\"", 5);
	assert_string_equal(got, "1:1 error NUL byte in string; 1:6 eof");
	free(got);
}

/* src = prefix + n copies of c + suffix (caller frees). */
static char *
test_repeat(const char *prefix, int c, size_t n, const char *suffix)
{
	struct buf b;
	size_t     i;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_appends(&b, prefix), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_appendc(&b, (char) c), 0);
	assert_int_equal(buf_appends(&b, suffix), 0);
	return buf_steal(&b);
}

/* The first token of src: its type and length. */
static void
test_first(const char *src, enum lex_type type, size_t len, const char *msg)
{
	struct lex     lx;
	struct lex_tok t;

	lex_init(&lx, "t", src, strlen(src));
	lex_next(&lx, &t);
	assert_int_equal(t.type, type);
	if (type == LEX_ERROR)
		assert_string_equal(t.text, msg);
	else
		assert_int_equal(t.len, len);
}

static void
test_long_tokens(void **state)
{
	const size_t W = MOD_MAX_TOKEN_BYTES, S = MOD_MAX_STRING_BYTES,
	             R = MOD_MAX_REGEX_BYTES;
	struct lex     lx;
	struct lex_tok t;
	char          *src;

	(void) state;
	/* Exactly at each limit is accepted; one more byte is not. */
	src = test_repeat("", 'w', W, "");
	test_first(src, LEX_WORD, W, NULL); /* was "word too long" */
	free(src);
	src = test_repeat("", 'w', W + 1, " y");
	test_first(src, LEX_ERROR, 0, "word too long");
	/* The lexer carries on after the long word, columns intact. */
	lex_init(&lx, "t", src, strlen(src));
	lex_next(&lx, &t);
	lex_next(&lx, &t);
	assert_int_equal(t.type, LEX_WORD);
	assert_string_equal(t.text, "y");
	assert_int_equal(t.col, (int) W + 3);
	free(src);

	src = test_repeat("\"", 's', S, "\"");
	test_first(src, LEX_STRING, S, NULL);
	free(src);
	src = test_repeat("\"", 's', S + 1, "\" y\nz");
	test_first(src, LEX_ERROR, 0, "string too long");
	free(src);

	src = test_repeat("/", 'r', R, "/");
	test_first(src, LEX_REGEX, R, NULL); /* was "regex too long" */
	free(src);
	src = test_repeat("/", 'r', R + 1, "/");
	test_first(src, LEX_ERROR, 0, "regex too long");
	free(src);
	/* An escape pair that just fits, and one that does not. */
	src = test_repeat("/", 'r', R - 2, "\\//");
	test_first(src, LEX_REGEX, R, NULL);
	free(src);
	src = test_repeat("/", 'r', R - 1, "\\//");
	test_first(src, LEX_ERROR, 0, "regex too long");
	free(src);
}

static void
test_skip_line(void **state)
{
	static const char src[] = "a b \"c\nd e\nf";
	struct lex        lx;
	struct lex_tok    t;

	(void) state;
	lex_init(&lx, "t", src, strlen(src));
	lex_next(&lx, &t);
	assert_string_equal(t.text, "a");
	lex_skip_line(&lx);
	lex_next(&lx, &t);
	assert_int_equal(t.type, LEX_WORD);
	assert_string_equal(t.text, "d");
	assert_int_equal(t.line, 2);
	assert_int_equal(t.col, 1);
	lex_skip_line(&lx);
	lex_next(&lx, &t);
	assert_string_equal(t.text, "f");
	lex_skip_line(&lx); /* last line, no newline */
	lex_next(&lx, &t);
	assert_int_equal(t.type, LEX_EOF);
	lex_skip_line(&lx); /* at EOF: nothing to do */
	lex_next(&lx, &t);
	assert_int_equal(t.type, LEX_EOF);
}

static void
test_names_and_cols(void **state)
{
	int i, j;

	(void) state;
	for (i = LEX_EOF; i <= LEX_ERROR; i++) {
		assert_string_not_equal(lex_type_name((enum lex_type) i), "?");
		for (j = LEX_EOF; j < i; j++)
			assert_string_not_equal(
			    lex_type_name((enum lex_type) i),
			    lex_type_name((enum lex_type) j));
	}
	assert_string_equal(lex_type_name(LEX_EOL), "end of line");
	assert_string_equal(lex_type_name((enum lex_type) 99), "?");
	assert_int_equal(lex_utf8_cols("", 0), 0);
	assert_int_equal(lex_utf8_cols("abc", 3), 3);
	assert_int_equal(lex_utf8_cols("\xc3\xa9", 2), 1);
	assert_int_equal(lex_utf8_cols("\xc3\xa9", 1), 1);
	assert_int_equal(lex_utf8_cols("\xf0\x9f\x98\x80"
	                               "a",
	                     5),
	    2);
	assert_int_equal(lex_utf8_cols("a\xe2\x82\xac"
	                               "b",
	                     5),
	    3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_long_tokens),
		cmocka_unit_test(test_skip_line),
		cmocka_unit_test(test_names_and_cols),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
