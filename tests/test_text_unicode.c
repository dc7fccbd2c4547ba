/*
 * test_text_unicode.c - UTF-8 validation/repair and text_fold().
 *
 * Table-driven: each fold case gives the input bytes, the exact folded
 * output and the TEXT_FOLD_* bits that must be set and must be clear.
 * Caps are tested on code point boundaries with 1-, 2-, 3- and 4-byte
 * characters, and text_fold is run from several threads at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/utf8.h>

#include "buf.h"
#include "text.h"
#include "util.h"

struct fold_case {
	const char *in;
	size_t      inlen; /* 0: strlen(in) */
	const char *want;
	unsigned    set; /* flags that must be set */
	unsigned    clear; /* flags that must be clear */
};

#define ALL_FLAGS 0x1F

static const struct fold_case fold_cases[] = {
	/* the brief's example: digamma, fullwidth R, Cyrillic IE/VE/TE/ES */
	{ "\xCF\x9C\xEF\xBC\xB2\xD0\x95\xD0\x95 \xD0\x92\xD0\xA2\xD0\xA1", 0,
	    "free btc", TEXT_FOLD_CONFUSABLE | TEXT_FOLD_CASE,
	    TEXT_FOLD_INVISIBLE | TEXT_FOLD_INVALID | TEXT_FOLD_TRUNCATED },
	/* fullwidth FREE */
	{ "\xEF\xBC\xA6\xEF\xBC\xB2\xEF\xBC\xA5\xEF\xBC\xA5", 0, "free",
	    TEXT_FOLD_CASE, TEXT_FOLD_CONFUSABLE | TEXT_FOLD_INVISIBLE },
	/* mathematical bold small f r e e, bold capital B */
	{ "\xF0\x9D\x90\x9F\xF0\x9D\x90\xAB\xF0\x9D\x90\x9E\xF0\x9D\x90\x9E "
	  "\xF0\x9D\x90\x81",
	    0, "free b", TEXT_FOLD_CASE, TEXT_FOLD_INVALID },
	/* mathematical bold capital ALPHA: NFKC gives Greek, then folded */
	{ "\xF0\x9D\x9A\xA8", 0, "a", TEXT_FOLD_CONFUSABLE | TEXT_FOLD_CASE,
	    0 },
	/* Greek small omicron + Latin: post-NFKC pass catches it too */
	{ "g\xCE\xBF\xCE\xBFgle", 0, "google", TEXT_FOLD_CONFUSABLE,
	    TEXT_FOLD_CASE },
	/* zero-width space, ZWJ, ZWNJ, word joiner, BOM, soft hyphen */
	{ "f\xE2\x80\x8Br\xE2\x80\x8D"
	  "e\xE2\x80\x8C"
	  "e\xE2\x81\xA0!\xEF\xBB\xBF?\xC2\xAD.",
	    0, "free!?.", TEXT_FOLD_INVISIBLE, TEXT_FOLD_CASE },
	/* right-to-left override and isolates */
	{ "\xE2\x80\xAE"
	  "cba\xE2\x80\xAC \xE2\x81\xA6x\xE2\x81\xA9",
	    0, "cba x", TEXT_FOLD_INVISIBLE, 0 },
	/* emoji: ZWJ sequence and VS16 dropped without the invisible flag */
	{ "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB \xE2\x9D\xA4\xEF\xB8"
	  "\x8F",
	    0, "\xF0\x9F\x91\xA9\xF0\x9F\x92\xBB \xE2\x9D\xA4", 0,
	    TEXT_FOLD_INVISIBLE | TEXT_FOLD_CONFUSABLE },
	{ "Stra\xC3\x9F"
	  "e",
	    0, "strasse", TEXT_FOLD_CASE, TEXT_FOLD_CONFUSABLE },
	/* ASCII is never remapped: m, 0, 1, I, l, | stay themselves */
	{ "Hello m0 World I1l| rn", 0, "hello m0 world i1l| rn",
	    TEXT_FOLD_CASE, TEXT_FOLD_CONFUSABLE | TEXT_FOLD_INVALID },
	{ "already lower 123", 0, "already lower 123", 0, ALL_FLAGS },
	/* ... also on the slow path, next to non-ASCII */
	{ "m0 1Il \xC3\xA9", 0, "m0 1il \xC3\xA9", TEXT_FOLD_CASE,
	    TEXT_FOLD_CONFUSABLE },
	/* letters never become digits: Cyrillic ZE stays a letter */
	{ "\xD0\x97", 0, "\xD0\xB7", TEXT_FOLD_CASE, TEXT_FOLD_CONFUSABLE },
	/* Cyrillic lowercase lookalikes */
	{ "\xD1\x80\xD0\xB0\xD1\x83\xD1\x80\xD0\xB0l", 0, "paypal",
	    TEXT_FOLD_CONFUSABLE, TEXT_FOLD_CASE },
	/* Cyrillic BYELORUSSIAN-UKRAINIAN I (capital) reads as I */
	{ "B\xD0\x86TCOIN", 0, "bitcoin", TEXT_FOLD_CONFUSABLE, 0 },
	/* Arabic and Hebrew letters are not folded */
	{ "\xD9\x87\xD8\xA7 \xD7\x95", 0, "\xD9\x87\xD8\xA7 \xD7\x95", 0,
	    TEXT_FOLD_CONFUSABLE },
	/* compatibility forms */
	{ "\xEF\xAC\x81 \xE2\x91\xA0", 0, "fi 1", TEXT_FOLD_CASE, 0 },
	/* invalid UTF-8: stray byte, truncated sequence, overlong, surrogate
	 */
	{ "a\xFF"
	  "b",
	    0,
	    "a\xEF\xBF\xBD"
	    "b",
	    TEXT_FOLD_INVALID, 0 },
	{ "x\xE2\x82", 0, "x\xEF\xBF\xBD", TEXT_FOLD_INVALID, 0 },
	{ "\xC0\xAF", 0, "\xEF\xBF\xBD\xEF\xBF\xBD", TEXT_FOLD_INVALID, 0 },
	{ "\xED\xA0\x80", 0, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
	    TEXT_FOLD_INVALID, 0 },
	{ "\xF4\x90\x80\x80", 0,
	    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
	    TEXT_FOLD_INVALID, 0 },
	/* NUL bytes are dropped, on both paths */
	{ "A\0b", 3, "ab", TEXT_FOLD_INVALID | TEXT_FOLD_CASE, 0 },
	{ "\xC3\xA9\0b", 4,
	    "\xC3\xA9"
	    "b",
	    TEXT_FOLD_INVALID, 0 },
	{ "", 0, "", 0, ALL_FLAGS },
};

static void
test_fold_table(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(fold_cases); i++) {
		const struct fold_case *c = &fold_cases[i];
		struct buf              out = { 0 };
		unsigned                f = 0xFFu;
		size_t len = c->inlen ? c->inlen : strlen(c->in);

		assert_int_equal(text_fold(c->in, len, &out, &f), 0);
		if (strcmp(buf_cstr(&out), c->want) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i,
			    buf_cstr(&out), c->want);
		if ((f & c->set) != c->set || (f & c->clear) != 0)
			fail_msg("case %zu: flags %#x set %#x clear %#x", i, f,
			    c->set, c->clear);
		assert_true(
		    text_utf8_valid(out.data ? out.data : "", out.len));
		buf_free(&out);
	}
}

static void
test_fold_appends(void **state)
{
	struct buf out = { 0 };

	(void) state;
	assert_int_equal(buf_appends(&out, "X|"), 0);
	assert_int_equal(text_fold("FREE", 4, &out, NULL), 0);
	assert_int_equal(text_fold("|\xD0\x92", 3, &out, NULL), 0);
	assert_string_equal(buf_cstr(&out), "X|free|b");
	buf_free(&out);
}

/* repeat: n copies of unit, as a new string. */
static char *
repeat(const char *unit, size_t n, size_t *len)
{
	size_t ul = strlen(unit), i;
	char  *s = xmalloc(ul * n + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	*len = ul * n;
	return s;
}

struct cap_case {
	const char *unit;
	size_t      count;
	size_t      want_len; /* exact output length */
};

static const struct cap_case cap_cases[] = {
	{ "A", MOD_MAX_TEXT_BYTES + 10, MOD_MAX_TEXT_BYTES },
	{ "\xC3\xA9", 10000, MOD_MAX_TEXT_BYTES }, /* é */
	{ "\xE2\x82\xAC", 6000, (MOD_MAX_TEXT_BYTES / 3) * 3 }, /* € */
	{ "\xF0\x9F\x98\x80", 5000, MOD_MAX_TEXT_BYTES }, /* 😀 */
	/* U+FDFA expands to 18 characters under NFKC */
	{ "\xEF\xB7\xBA", 8000, 0 },
	/* more input than text_fold reads at all */
	{ "a", MOD_MAX_FOLD_INPUT_BYTES + 1, MOD_MAX_TEXT_BYTES },
};

static void
test_fold_caps(void **state)
{
	size_t i, len;

	(void) state;
	for (i = 0; i < nitems(cap_cases); i++) {
		char *s = repeat(cap_cases[i].unit, cap_cases[i].count, &len);
		struct buf out = { 0 };
		unsigned   f = 0;

		assert_int_equal(text_fold(s, len, &out, &f), 0);
		assert_true(f & TEXT_FOLD_TRUNCATED);
		assert_true(out.len <= MOD_MAX_TEXT_BYTES);
		assert_true(out.len > MOD_MAX_TEXT_BYTES - 64);
		if (cap_cases[i].want_len != 0)
			assert_int_equal(out.len, cap_cases[i].want_len);
		assert_true(text_utf8_valid(out.data, out.len));
		free(s);
		buf_free(&out);
	}
}

static void
test_fold_small_buffer(void **state)
{
	struct buf out;
	unsigned   f = 0;

	(void) state;
	/* a buffer whose own cap is smaller: cut there, on a boundary */
	buf_init(&out, 5);
	assert_int_equal(
	    text_fold("\xD0\x96\xD0\x96\xD0\x96", 6, &out, &f), 0);
	assert_int_equal(out.len, 4);
	assert_true(f & TEXT_FOLD_TRUNCATED);
	assert_true(text_utf8_valid(out.data, out.len));
	buf_free(&out);
}

/* every ASCII byte, at every alignment: only A-Z change */
static void
test_fold_ascii_bytes(void **state)
{
	char       in[160], want[160];
	size_t     n, off;
	struct buf out = { 0 };
	unsigned   f;

	(void) state;
	for (off = 0; off < 8; off++) {
		for (n = 0; n < off; n++)
			in[n] = want[n] = 'x';
		for (n = 1; n < 128; n++) {
			in[off + n - 1] = (char) n;
			want[off + n - 1]
			    = (char) (n >= 'A' && n <= 'Z' ? n + 32 : n);
		}
		buf_reset(&out);
		assert_int_equal(text_fold(in, off + 127, &out, &f), 0);
		assert_int_equal(out.len, off + 127);
		assert_memory_equal(out.data, want, off + 127);
		assert_int_equal(f, TEXT_FOLD_CASE);
	}
	buf_free(&out);
}

struct valid_case {
	const char *s;
	size_t      len;
	bool        valid;
};

static const struct valid_case valid_cases[] = {
	{ "", 0, true }, { "abc", 3, true }, { "\xC3\xA9", 2, true },
	{ "\xF0\x9F\x98\x80", 4, true },
	{ "\xEF\xBF\xBF", 3, true }, /* noncharacters are valid */
	{ "\xFF", 1, false }, { "a\0b", 3, false },
	{ "\xC0\x80", 2, false }, /* overlong NUL */
	{ "\xE0\x80\xAF", 3, false }, /* overlong */
	{ "\xED\xA0\x80", 3, false }, /* surrogate */
	{ "\xF4\x90\x80\x80", 4, false }, /* past U+10FFFF */
	{ "\xE2\x82", 2, false }, /* truncated */
	{ "\x80", 1, false }, /* lone continuation */
};

static void
test_utf8_valid(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(valid_cases); i++)
		if (text_utf8_valid(valid_cases[i].s, valid_cases[i].len)
		    != valid_cases[i].valid)
			fail_msg("valid case %zu", i);
}

/*
 * text_utf8_valid and text_utf8_sanitize skip ASCII 8 bytes at a time;
 * check them against ICU's U8_NEXT, one code point at a time, with each
 * tricky piece at every offset of that stride and with ASCII after it.
 */
static const char *const stride_pieces[]
    = { "\xC3\xA9", "\xFF", "\0", "\xC0\x80", "\xE0\x80\xAF", "\xED\xA0\x80",
	      "\xF4\x90\x80\x80", "\xE2\x82", "\x80", "\xF0\x9F\x98\x80",
	      "\xE2\x80\x8B", "\xEF\xBF\xBF", "\x7F\x01", "\xD0\xB0\xFE\xC3" };
static const size_t stride_lens[]
    = { 2, 1, 1, 2, 3, 3, 4, 2, 1, 4, 3, 3, 2, 4 };

/* stride_ref: sanitised s[0..len) by U8_NEXT into out; true if valid. */
static bool
stride_ref(const char *s, size_t len, struct buf *out)
{
	const uint8_t *u = (const uint8_t *) s;
	int32_t        i = 0, start, cp;
	bool           valid = true;

	while (i < (int32_t) len) {
		start = i;
		U8_NEXT(u, i, (int32_t) len, cp);
		valid = valid && cp > 0;
		if (cp < 0)
			assert_int_equal(buf_appends(out, "\xEF\xBF\xBD"), 0);
		else if (cp > 0)
			assert_int_equal(
			    buf_append(out, s + start, (size_t) (i - start)),
			    0);
	}
	return valid;
}

static void
stride_check(const char *s, size_t len)
{
	struct buf want, got;
	bool       valid, changed;

	buf_init(&want, 0);
	buf_init(&got, 0);
	valid = stride_ref(s, len, &want);
	assert_int_equal(text_utf8_valid(s, len), valid);
	text_utf8_sanitize(s, len, 4 * len, &got, &changed);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, got.len);
	assert_int_equal(changed, !valid);
	buf_free(&want);
	buf_free(&got);
}

static void
test_utf8_stride(void **state)
{
	char   in[64];
	size_t p, pre, post, n;

	(void) state;
	_Static_assert(nitems(stride_pieces) == nitems(stride_lens), "lens");
	for (p = 0; p < nitems(stride_pieces); p++)
		for (pre = 0; pre < 17; pre++)
			for (post = 0; post < 10; post++) {
				memset(in, 'a', pre);
				memcpy(in + pre, stride_pieces[p],
				    stride_lens[p]);
				n = pre + stride_lens[p];
				memset(in + n, 'B', post);
				stride_check(in, n + post);
			}
}

struct trim_case {
	const char *s;
	size_t      cap;
	size_t      want;
};

static const struct trim_case trim_cases[] = {
	{ "h\xC3\xA9llo", 1, 1 },
	{ "h\xC3\xA9llo", 2, 1 },
	{ "h\xC3\xA9llo", 3, 3 },
	{ "h\xC3\xA9llo", 100, 6 },
	{ "\xF0\x9F\x98\x80", 3, 0 },
	{ "\xF0\x9F\x98\x80", 4, 4 },
	{ "ab\xE2\x82\xAC", 4, 2 },
	{ "abc", 0, 0 },
};

static void
test_utf8_trim(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(trim_cases); i++) {
		const struct trim_case *c = &trim_cases[i];
		size_t n = text_utf8_trim(c->s, strlen(c->s), c->cap);

		if (n != c->want)
			fail_msg("trim case %zu: %zu want %zu", i, n, c->want);
	}
}

struct san_case {
	const char *s;
	size_t      len;
	size_t      cap;
	const char *want;
	bool        changed;
};

static const struct san_case san_cases[] = {
	{ "abc", 3, 100, "abc", false },
	{ "abc", 3, 2, "ab", false },
	{ "a\xFF"
	  "b",
	    3, 100,
	    "a\xEF\xBF\xBD"
	    "b",
	    true },
	{ "a\xFF", 2, 3, "a", false }, /* no room for U+FFFD */
	{ "a\0b", 3, 100, "ab", true },
	{ "\xC3\xA9\xC3\xA9", 4, 3, "\xC3\xA9", false },
	{ "\xE2\x82 x", 4, 100, "\xEF\xBF\xBD x", true },
};

static void
test_utf8_sanitize(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(san_cases); i++) {
		const struct san_case *c = &san_cases[i];
		struct buf             out = { 0 };
		bool                   changed = !c->changed;

		assert_int_equal(buf_appends(&out, ">"), 0);
		text_utf8_sanitize(c->s, c->len, c->cap, &out, &changed);
		if (strcmp(buf_cstr(&out) + 1, c->want) != 0
		    || changed != c->changed)
			fail_msg("sanitize case %zu: \"%s\" changed=%d", i,
			    buf_cstr(&out), changed);
		buf_free(&out);
	}
}

#define THREADS 4
#define ROUNDS 200

static void *
fold_thread(void *arg)
{
	const char *in = "\xCF\x9C\xEF\xBC\xB2\xD0\x95\xD0\x95 "
	                 "\xD0\x92\xD0\xA2\xD0\xA1 \xE2\x80\x8B!";
	int         r, *bad = arg;

	for (r = 0; r < ROUNDS; r++) {
		struct buf out = { 0 };

		if (text_fold(in, strlen(in), &out, NULL) != 0
		    || strcmp(buf_cstr(&out), "free btc !") != 0)
			(*bad)++;
		buf_free(&out);
	}
	return NULL;
}

static void
test_fold_threads(void **state)
{
	pthread_t th[THREADS];
	int       bad[THREADS] = { 0 }, i;

	(void) state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, fold_thread, &bad[i]), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(bad[i], 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_table),
		cmocka_unit_test(test_fold_appends),
		cmocka_unit_test(test_fold_ascii_bytes),
		cmocka_unit_test(test_fold_caps),
		cmocka_unit_test(test_fold_small_buffer),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_trim),
		cmocka_unit_test(test_utf8_sanitize),
		cmocka_unit_test(test_utf8_stride),
		cmocka_unit_test(test_fold_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
