/*
 * test_buf.c - buf.c: growth, the hard cap (all or nothing), printf on
 * both of its paths, reset, steal and reuse.
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
#include "util.h"

static void
test_zero_initialised(void **state)
{
	struct buf b = { 0 };

	(void) state;
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_appendc(&b, 'd'), 0);
	assert_int_equal(buf_appends(&b, "ef"), 0);
	assert_int_equal(b.len, 6);
	assert_string_equal(buf_cstr(&b), "abcdef");
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 6);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	buf_free(NULL);
}

/* Appends of these sizes, in turn, keep every byte and the NUL. */
static void
test_growth(void **state)
{
	static const size_t sizes[]
	    = { 0, 1, 62, 63, 64, 65, 127, 1000, 4096, 5 };
	struct buf b;
	char       chunk[4096];
	size_t     i, j, total = 0;

	(void) state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < nitems(sizes); i++) {
		memset(chunk, 'a' + (int) i, sizes[i]);
		assert_int_equal(buf_append(&b, chunk, sizes[i]), 0);
		total += sizes[i];
		assert_int_equal(b.len, total);
		assert_true(b.cap > b.len);
		assert_int_equal(b.data[b.len], '\0');
	}
	for (i = 0, total = 0; i < nitems(sizes); total += sizes[i], i++)
		for (j = 0; j < sizes[i]; j++)
			assert_int_equal(b.data[total + j], 'a' + (int) i);
	buf_free(&b);
}

static const struct {
	size_t max, have, add;
	int    rv;
} cap_cases[] = {
	{ 10, 0, 10, 0 },
	{ 10, 0, 11, MOD_ETOOBIG },
	{ 10, 9, 1, 0 },
	{ 10, 9, 2, MOD_ETOOBIG },
	{ 10, 10, 0, 0 },
	{ 10, 10, 1, MOD_ETOOBIG },
	{ 1, 0, 1, 0 },
	{ 1000, 500, 501, MOD_ETOOBIG },
	{ 1000, 500, SIZE_MAX, MOD_ETOOBIG },
	{ 1000, 999, SIZE_MAX - 500, MOD_ETOOBIG },
};

static void
test_cap(void **state)
{
	struct buf b;
	char      *src, *before;
	size_t     i;

	(void) state;
	src = xcalloc(1, 2000);
	memset(src, 'x', 1999);
	for (i = 0; i < nitems(cap_cases); i++) {
		buf_init(&b, cap_cases[i].max);
		assert_int_equal(buf_append(&b, src, cap_cases[i].have), 0);
		before = xstrdup(buf_cstr(&b));
		/* A refused append must not read src (add may be huge). */
		if (buf_append(&b, src, cap_cases[i].add) != cap_cases[i].rv)
			fail_msg("case %zu: want %d", i, cap_cases[i].rv);
		if (cap_cases[i].rv != 0) {
			/* All or nothing: the buffer is unchanged. */
			assert_int_equal(b.len, cap_cases[i].have);
			assert_string_equal(buf_cstr(&b), before);
		} else
			assert_int_equal(
			    b.len, cap_cases[i].have + cap_cases[i].add);
		free(before);
		buf_free(&b);
	}
	free(src);
}

static void
test_cap_appendc_appends(void **state)
{
	struct buf b;

	(void) state;
	buf_init(&b, 3);
	assert_int_equal(buf_appends(&b, "ab"), 0);
	assert_int_equal(buf_appendc(&b, 'c'), 0);
	assert_int_equal(buf_appendc(&b, 'd'), MOD_ETOOBIG);
	assert_int_equal(buf_appends(&b, "e"), MOD_ETOOBIG);
	assert_int_equal(buf_appends(&b, ""), 0);
	assert_string_equal(buf_cstr(&b), "abc");
	buf_free(&b);
}

/* max 0 means MOD_MAX_EVENT_BYTES. */
static void
test_default_cap(void **state)
{
	struct buf b;
	char      *big = xmalloc(MOD_MAX_EVENT_BYTES);

	(void) state;
	memset(big, 'z', MOD_MAX_EVENT_BYTES);
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, big, MOD_MAX_EVENT_BYTES), 0);
	assert_int_equal(buf_appendc(&b, 'z'), MOD_ETOOBIG);
	assert_int_equal(b.len, MOD_MAX_EVENT_BYTES);
	buf_free(&b);
	free(big);
}

static void
test_printf(void **state)
{
	struct buf b;
	char       want[1200];
	size_t     i;

	(void) state;
	buf_init(&b, 0);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(buf_cstr(&b), "42-x");
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_string_equal(buf_cstr(&b), "42-x");
	/* Longer than the 256-byte stack buffer: the second path. */
	for (i = 0; i < 1000; i++)
		want[i] = (char) ('0' + i % 10);
	want[1000] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", want), 0);
	assert_int_equal(b.len, 4 + 1002);
	assert_int_equal(strncmp(buf_cstr(&b) + 4, "[0123", 5), 0);
	assert_string_equal(buf_cstr(&b) + 4 + 1001, "]");
	buf_free(&b);

	/* Exactly 255 and 256 bytes: either side of the stack buffer. */
	buf_init(&b, 0);
	memset(want, 'q', 256);
	want[255] = '\0';
	assert_int_equal(buf_printf(&b, "%s", want), 0);
	want[255] = 'q';
	want[256] = '\0';
	assert_int_equal(buf_printf(&b, "%s", want), 0);
	assert_int_equal(b.len, 511);
	buf_free(&b);
}

static void
test_printf_cap(void **state)
{
	struct buf b;
	char       big[600];

	(void) state;
	buf_init(&b, 8);
	assert_int_equal(buf_printf(&b, "%s", "1234"), 0);
	assert_int_equal(buf_printf(&b, "%s", "56789"), MOD_ETOOBIG);
	assert_string_equal(buf_cstr(&b), "1234");
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, "%s", big), MOD_ETOOBIG);
	assert_string_equal(buf_cstr(&b), "1234");
	assert_int_equal(buf_printf(&b, "%d", 5678), 0);
	assert_string_equal(buf_cstr(&b), "12345678");
	buf_free(&b);
}

static void
test_reset(void **state)
{
	struct buf b;
	char      *data;

	(void) state;
	buf_init(&b, 100);
	buf_reset(&b); /* on an empty buffer */
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_appends(&b, "hello"), 0);
	data = b.data;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_ptr_equal(b.data, data); /* allocation kept */
	assert_int_equal(buf_appends(&b, "again"), 0);
	assert_string_equal(buf_cstr(&b), "again");
	buf_free(&b);
}

static void
test_steal(void **state)
{
	struct buf b;
	char      *s;

	(void) state;
	buf_init(&b, 100);
	s = buf_steal(&b); /* nothing appended: still a real string */
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_appends(&b, "mine"), 0);
	s = buf_steal(&b);
	assert_string_equal(s, "mine");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100); /* the cap survives */
	/* The buffer is usable again and does not share memory with s. */
	assert_int_equal(buf_appends(&b, "next"), 0);
	assert_string_equal(s, "mine");
	assert_string_equal(buf_cstr(&b), "next");
	free(s);
	buf_free(&b);
	buf_free(&b); /* twice is fine */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_initialised),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cap_appendc_appends),
		cmocka_unit_test(test_default_cap),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_printf_cap),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
