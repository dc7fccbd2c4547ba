/*
 * test_util.c - util.c: strict numbers, durations, sizes, ISO 8601 times
 * (Mastodon's shapes, offsets, impossible dates, leap years), the bounded
 * file reader, the error carriers and their cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

#define OK 0
#define INVAL MOD_EINVAL
#define BIG MOD_ETOOBIG

static void
test_strtonum(void **state)
{
	static const struct {
		const char *s;
		int64_t     min, max;
		int         rv;
		int64_t     want;
	} cases[] = {
		{ "0", 0, 10, OK, 0 },
		{ "10", 0, 10, OK, 10 },
		{ "+7", 0, 10, OK, 7 },
		{ "007", 0, 10, OK, 7 },
		{ "-3", -5, 5, OK, -3 },
		{ "11", 0, 10, BIG, 0 },
		{ "-1", 0, 10, BIG, 0 },
		{ "9223372036854775807", INT64_MIN, INT64_MAX, OK, INT64_MAX },
		{ "-9223372036854775808", INT64_MIN, INT64_MAX, OK,
		    INT64_MIN },
		{ "9223372036854775808", INT64_MIN, INT64_MAX, BIG, 0 },
		{ "-9223372036854775809", INT64_MIN, INT64_MAX, BIG, 0 },
		{ "", 0, 10, INVAL, 0 },
		{ "-", 0, 10, INVAL, 0 },
		{ "abc", 0, 10, INVAL, 0 },
		{ "5x", 0, 10, INVAL, 0 },
		{ "5 ", 0, 10, INVAL, 0 },
		{ " 5", 0, 10, INVAL, 0 }, /* was accepted */
		{ "\t5", 0, 10, INVAL, 0 }, /* was accepted */
		{ "\n5", 0, 10, INVAL, 0 }, /* was accepted */
		{ "0x10", 0, 100, INVAL, 0 },
		{ "1e3", 0, 10000, INVAL, 0 },
		{ "1.0", 0, 10, INVAL, 0 },
	};
	int64_t v;
	size_t  i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		v = -42;
		if (mod_strtonum(cases[i].s, cases[i].min, cases[i].max, &v)
		    != cases[i].rv)
			fail_msg("case %zu \"%s\": want %d", i, cases[i].s,
			    cases[i].rv);
		if (cases[i].rv == OK)
			assert_true(v == cases[i].want);
		else
			assert_true(v == -42); /* untouched on error */
	}
	assert_int_equal(mod_strtonum(NULL, 0, 1, &v), INVAL);
}

static void
test_strtod(void **state)
{
	static const struct {
		const char *s;
		int         rv;
		double      want;
	} cases[] = {
		{ "1.5", OK, 1.5 },
		{ "-2", OK, -2 },
		{ ".5", OK, 0.5 },
		{ "1e3", OK, 1000 },
		{ "+3.25", OK, 3.25 },
		{ "0", OK, 0 },
		{ "", INVAL, 0 },
		{ "abc", INVAL, 0 },
		{ "1.5x", INVAL, 0 },
		{ "1.5 ", INVAL, 0 },
		{ " 1.5", INVAL, 0 }, /* was accepted */
		{ "0x10", INVAL, 0 }, /* hexadecimal: was accepted */
		{ "0X1p4", INVAL, 0 }, /* was accepted */
		{ "nan", INVAL, 0 },
		{ "inf", INVAL, 0 },
		{ "-infinity", INVAL, 0 },
		{ "1e999", INVAL, 0 },
		{ "1,5", INVAL, 0 },
	};
	double v;
	size_t i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		v = -42;
		if (mod_strtod(cases[i].s, &v) != cases[i].rv)
			fail_msg("case %zu \"%s\": want %d", i, cases[i].s,
			    cases[i].rv);
		assert_true(v == (cases[i].rv == OK ? cases[i].want : -42));
	}
	assert_int_equal(mod_strtod(NULL, &v), INVAL);
}

static void
test_duration(void **state)
{
	static const struct {
		const char *s;
		int         rv;
		int64_t     secs;
	} cases[] = {
		{ "0", OK, 0 },
		{ "90", OK, 90 },
		{ "30s", OK, 30 },
		{ "15m", OK, 900 },
		{ "12h", OK, 43200 },
		{ "30d", OK, 2592000 },
		{ "2w", OK, 1209600 },
		{ "", INVAL, 0 },
		{ "s", INVAL, 0 },
		{ "5x", INVAL, 0 },
		{ "5S", INVAL, 0 },
		{ "-5s", INVAL, 0 },
		{ "+5s", INVAL, 0 },
		{ " 5s", INVAL, 0 }, /* was accepted */
		{ "5 s", INVAL, 0 },
		{ "1.5h", INVAL, 0 },
		{ "5ms", INVAL, 0 },
		{ "99999999999999999999s", INVAL, 0 },
		{ "0000000000000000000000000000000001s", INVAL, 0 },
	};
	int64_t v;
	size_t  i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		v = -42;
		if (mod_parse_duration(cases[i].s, &v) != cases[i].rv)
			fail_msg("case %zu \"%s\": want %d", i, cases[i].s,
			    cases[i].rv);
		assert_true(v == (cases[i].rv == OK ? cases[i].secs : -42));
	}
}

static void
test_size(void **state)
{
	static const struct {
		const char *s;
		int         rv;
		int64_t     bytes;
	} cases[] = {
		{ "0", OK, 0 },
		{ "512", OK, 512 },
		{ "64k", OK, 65536 },
		{ "64K", OK, 65536 },
		{ "16m", OK, 16777216 },
		{ "1g", OK, 1073741824 },
		{ "8G", OK, 8589934592LL },
		{ "", INVAL, 0 },
		{ "k", INVAL, 0 },
		{ "1t", INVAL, 0 },
		{ "1kb", INVAL, 0 },
		{ "-1k", INVAL, 0 },
		{ "1.5k", INVAL, 0 },
		{ " 1k", INVAL, 0 }, /* was accepted */
		{ "9999999999999g", INVAL, 0 },
	};
	int64_t v;
	size_t  i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		v = -42;
		if (mod_parse_size(cases[i].s, &v) != cases[i].rv)
			fail_msg("case %zu \"%s\": want %d", i, cases[i].s,
			    cases[i].rv);
		assert_true(v == (cases[i].rv == OK ? cases[i].bytes : -42));
	}
}

/* Expected values computed independently with date -u -d ... +%s. */
static const struct {
	const char *s;
	int64_t     ms;
} time_ok[] = {
	{ "2023-10-26T13:34:00.351Z", 1698327240351LL },
	{ "2023-10-26T13:34:00Z", 1698327240000LL },
	{ "2023-10-26T13:34:00z",
	    1698327240000LL }, /* RFC 3339: was refused */
	{ "2023-10-26t13:34:00Z", 1698327240000LL },
	{ "2023-10-26 13:34:00Z", 1698327240000LL },
	{ "2023-10-26T13:34:00", 1698327240000LL },
	{ "2023-10-26T13:34:00.1Z", 1698327240100LL },
	{ "2023-10-26T13:34:00.35Z", 1698327240350LL },
	{ "2023-10-26T13:34:00.123456789Z", 1698327240123LL },
	{ "2023-10-26T13:34:00.000+00:00", 1698327240000LL },
	{ "2023-08-05", 1691193600000LL },
	{ "2023-08-05T10:00:00+02:00", 1691222400000LL },
	{ "2023-08-05T10:00:00+0200", 1691222400000LL },
	{ "2023-08-05T10:00:00-05:30", 1691249400000LL },
	{ "2023-08-05T10:00:00.5-05:30", 1691249400500LL },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59.999Z", -1 },
	{ "2024-02-29", 1709164800000LL },
	{ "2000-02-29", 951782400000LL },
	{ "1900-03-01", -2203891200000LL },
	{ "2016-12-31T23:59:60Z", 1483228800000LL }, /* leap second */
	{ "2024-12-31T23:59:59Z", 1735689599000LL },
	{ "0001-01-01", -62135596800000LL },
	{ "9999-12-31T23:59:59Z", 253402300799000LL },
};

static const char *const time_bad[] = {
	"2023-02-29", /* not a leap year: was accepted */
	"1900-02-29", /* divisible by 100: was accepted */
	"2100-02-29", /* was accepted */
	"2023-02-29T12:00:00Z", /* was accepted */
	"2023-02-30",
	"2024-02-30",
	"2023-04-31",
	"2023-13-01",
	"2023-00-10",
	"2023-01-00",
	"2023-01-32",
	"2023-1-05",
	"23-01-05",
	"2023/01/05",
	"2023-08-05T",
	"2023-08-05T25:00:00Z",
	"2023-08-05T24:00:00Z",
	"2023-08-05T10:60:00Z",
	"2023-08-05T10:00:61Z",
	"2023-08-05T10:00Z",
	"2023-08-05T10:00:00.Z",
	"2023-08-05T10:00:00+24:00",
	"2023-08-05T10:00:00+02:60",
	"2023-08-05T10:00:00+02",
	"2023-08-05T10:00:00ZZ",
	"2023-08-05T10:00:00Z ",
	"2023-08-05T10:00:00 Z",
	"2023-08-05x",
	" 2023-08-05",
	"",
};

static void
test_time(void **state)
{
	int64_t v;
	size_t  i;

	(void) state;
	for (i = 0; i < nitems(time_ok); i++) {
		v = -42;
		if (mod_parse_time(time_ok[i].s, &v) != 0)
			fail_msg("\"%s\" refused", time_ok[i].s);
		if (v != time_ok[i].ms)
			fail_msg("\"%s\": %lld, want %lld", time_ok[i].s,
			    (long long) v, (long long) time_ok[i].ms);
	}
	for (i = 0; i < nitems(time_bad); i++)
		if (mod_parse_time(time_bad[i], &v) != MOD_EINVAL)
			fail_msg("\"%s\" accepted", time_bad[i]);
	assert_int_equal(mod_parse_time(NULL, &v), MOD_EINVAL);
}

static int
test_days_in(int y, int m)
{
	static const int mdays[]
	    = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return mdays[m - 1]
	    + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* Every day of every month of 1896..2104 parses, and no other does. */
static void
test_time_calendar(void **state)
{
	char    s[48];
	int64_t v, prev = INT64_MIN;
	int     y, m, d;

	(void) state;
	for (y = 1896; y <= 2104; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= 31; d++) {
				snprintf(
				    s, sizeof(s), "%04d-%02d-%02d", y, m, d);
				if (d > test_days_in(y, m)) {
					assert_int_equal(
					    mod_parse_time(s, &v), MOD_EINVAL);
					continue;
				}
				assert_int_equal(mod_parse_time(s, &v), 0);
				/* Consecutive days are exactly a day apart. */
				if (prev != INT64_MIN)
					assert_true(v - prev == 86400000);
				prev = v;
			}
		}
	}
}

static char *
test_tmpfile(const char *content, size_t len)
{
	char *path = xstrdup("/tmp/test_util.XXXXXX");
	int   fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t) len);
	close(fd);
	return path;
}

static void
test_read_file(void **state)
{
	struct mod_err err;
	char          *path, *data = (char *) "x";
	size_t         len = 99;

	(void) state;
	path = test_tmpfile("hello\0world", 11);
	assert_int_equal(mod_read_file(path, 11, &data, &len, &err), 0);
	assert_int_equal(len, 11);
	assert_memory_equal(data, "hello\0world", 12); /* NUL-terminated */
	free(data);
	assert_int_equal(mod_read_file(path, 10, &data, &len, &err), BIG);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(err.code, BIG);
	assert_non_null(strstr(err.msg, "file is 11 bytes, limit 10"));
	assert_int_equal(mod_read_file(path, 10, &data, &len, NULL), BIG);
	unlink(path);
	free(path);

	path = test_tmpfile("", 0);
	assert_int_equal(mod_read_file(path, 0, &data, &len, NULL), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	unlink(path);
	free(path);

	assert_int_equal(
	    mod_read_file("/nonexistent/x", 10, &data, &len, &err),
	    MOD_ENOENT);
	assert_string_equal(
	    err.msg, "/nonexistent/x: No such file or directory");
	assert_int_equal(
	    mod_read_file("/tmp", 1 << 20, &data, &len, &err), MOD_EIO);
	assert_string_equal(err.msg, "/tmp: not a regular file");
	assert_null(data);
}

static void
test_errlist(void **state)
{
	struct mod_errlist el = { 0 };
	char               long_msg[MOD_MAX_ERR_BYTES * 2];

	(void) state;
	mod_errlist_add(&el, "f.rules", 3, 7, "bad %s", "thing");
	mod_errlist_add(&el, "f.rules", 3, 0, "no column");
	mod_errlist_add(&el, "f.rules", 0, 5, "no line");
	mod_errlist_add(&el, "f.rules", -1, -1, "negative");
	assert_int_equal(el.n, 4);
	assert_string_equal(el.msgs[0], "f.rules:3:7: bad thing");
	assert_string_equal(el.msgs[1], "f.rules:3: no column");
	assert_string_equal(el.msgs[2], "f.rules: no line");
	assert_string_equal(el.msgs[3], "f.rules: negative");
	/* A message is capped at MOD_MAX_ERR_BYTES before the location. */
	memset(long_msg, 'x', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	mod_errlist_add(&el, "f", 1, 1, "%s", long_msg);
	assert_int_equal(
	    strlen(el.msgs[4]), strlen("f:1:1: ") + MOD_MAX_ERR_BYTES - 1);
	mod_errlist_free(&el);
	assert_null(el.msgs);
	assert_int_equal(el.n, 0);
	mod_errlist_free(NULL);
}

static void
test_errlist_cap_and_print(void **state)
{
	struct mod_errlist el = { 0 };
	char              *out = NULL;
	size_t             outlen = 0, i;
	FILE              *fp;

	(void) state;
	for (i = 0; i < MOD_MAX_ERRORS_COUNT + 5; i++)
		mod_errlist_add(&el, "f", (int) i + 1, 1, "e%zu", i);
	assert_int_equal(el.n, MOD_MAX_ERRORS_COUNT);
	assert_int_equal(el.dropped, 5);
	assert_string_equal(
	    el.msgs[MOD_MAX_ERRORS_COUNT - 1], "f:1000:1: e999");
	assert_non_null(fp = open_memstream(&out, &outlen));
	mod_errlist_print(&el, fp);
	fclose(fp);
	assert_int_equal(strncmp(out, "f:1:1: e0\nf:2:1: e1\n", 20), 0);
	assert_non_null(
	    strstr(out, "f:1000:1: e999\n... and 5 more errors\n"));
	assert_null(strstr(out, "e1000"));
	free(out);
	/* After free the list is empty and usable again. */
	mod_errlist_free(&el);
	assert_int_equal(el.dropped, 0);
	mod_errlist_add(&el, "g", 1, 2, "again");
	assert_int_equal(el.n, 1);
	assert_non_null(fp = open_memstream(&out, &outlen));
	mod_errlist_print(&el, fp);
	fclose(fp);
	assert_string_equal(out, "g:1:2: again\n");
	free(out);
	mod_errlist_free(&el);
}

static void
test_err_and_strerror(void **state)
{
	struct mod_err err;
	char           big[MOD_MAX_ERR_BYTES * 2];
	int            i, j;

	(void) state;
	assert_int_equal(mod_errf(NULL, MOD_EIO, "x"), MOD_EIO);
	assert_int_equal(mod_errf(&err, MOD_EINVAL, "n=%d", 5), MOD_EINVAL);
	assert_int_equal(err.code, MOD_EINVAL);
	assert_string_equal(err.msg, "n=5");
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mod_errf(&err, MOD_ETOOBIG, "%s", big);
	assert_int_equal(strlen(err.msg), MOD_MAX_ERR_BYTES - 1);
	for (i = 0; i < MOD_ECOUNT; i++) {
		assert_string_not_equal(mod_strerror(i), "unknown error");
		for (j = 0; j < i; j++)
			assert_string_not_equal(
			    mod_strerror(i), mod_strerror(j));
	}
	assert_string_equal(mod_strerror(-1), "unknown error");
	assert_string_equal(mod_strerror(MOD_ECOUNT), "unknown error");
}

static void
test_strings_and_alloc(void **state)
{
	char  dst[6];
	char *p;

	(void) state;
	assert_int_equal(mod_strlcpy(dst, "hello", sizeof(dst)), 5);
	assert_string_equal(dst, "hello");
	assert_int_equal(mod_strlcpy(dst, "hello world", sizeof(dst)), 11);
	assert_string_equal(dst, "hello");
	dst[0] = 'z';
	assert_int_equal(mod_strlcpy(dst, "abc", 0), 3);
	assert_int_equal(dst[0], 'z');
	p = xstrndup("abcdef", 3);
	assert_string_equal(p, "abc");
	free(p);
	p = xstrndup("ab", 10);
	assert_string_equal(p, "ab");
	free(p);
	p = xreallocarray(NULL, 0, 8);
	assert_non_null(p);
	p = xreallocarray(p, 4, 8);
	memset(p, 0, 32);
	free(p);
	assert_non_null(p = xcalloc(0, 0));
	free(p);
}

/* mod_ascii_prefix at every length and position around its 32- and
 * 8-byte steps. */
static void
test_ascii_prefix(void **state)
{
	char   s[80];
	size_t len, at;

	(void) state;
	assert_int_equal(mod_ascii_prefix("", 0), 0);
	for (len = 0; len <= sizeof(s); len++) {
		memset(s, 'a', sizeof(s));
		assert_int_equal(mod_ascii_prefix(s, len), len);
		for (at = 0; at < len; at++) {
			memset(s, 'a', sizeof(s));
			s[at] = (char) 0xc3;
			assert_int_equal(mod_ascii_prefix(s, len), at);
			s[at] = 0; /* NUL is ASCII */
			assert_int_equal(mod_ascii_prefix(s, len), len);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strtonum),
		cmocka_unit_test(test_strtod),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_time_calendar),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_errlist),
		cmocka_unit_test(test_errlist_cap_and_print),
		cmocka_unit_test(test_err_and_strerror),
		cmocka_unit_test(test_strings_and_alloc),
		cmocka_unit_test(test_ascii_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
