/*
 * util.c - small helpers every module uses.
 *
 * Allocation wrappers that treat exhaustion as fatal, error carriers
 * (mod_err, mod_errlist), strict number/duration/size/time parsing, and a
 * bounded whole-file reader.  Nothing here keeps state.  Parsing is strict:
 * trailing garbage, overflow and empty strings are errors, never zero.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		fatal("malloc %zu", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL)
		fatal("calloc %zu*%zu", n, size);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if (size && n > SIZE_MAX / size)
		fatalx("xreallocarray: overflow %zu*%zu", n, size);
	if ((q = realloc(p, n * size != 0 ? n * size : 1)) == NULL)
		fatal("realloc %zu", n * size);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char  *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t
mod_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len >= size ? size - 1 : len;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

static const char *const mod_errnames[MOD_ECOUNT] = {
	[MOD_OK] = "success",
	[MOD_EINVAL] = "invalid input",
	[MOD_ETOOBIG] = "input too large",
	[MOD_ENOENT] = "not found",
	[MOD_EIO] = "I/O error",
	[MOD_ELIMIT] = "resource limit hit",
	[MOD_EINTERNAL] = "internal error",
	[MOD_EUTF8] = "invalid UTF-8",
	[MOD_EEXIST] = "already exists",
	[MOD_EDB] = "database error",
	[MOD_EAUTH] = "not authorised",
	[MOD_ECLOSED] = "closed",
	[MOD_ETIMEDOUT] = "timed out",
};

const char *
mod_strerror(int code)
{
	if (code < 0 || code >= MOD_ECOUNT || mod_errnames[code] == NULL)
		return "unknown error";
	return mod_errnames[code];
}

int
mod_errf(struct mod_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
mod_errlist_addv(struct mod_errlist *el, const char *file, int line, int col,
    const char *fmt, va_list ap)
{
	char msg[MOD_MAX_ERR_BYTES], full[MOD_MAX_ERR_BYTES * 2];

	if (el->n >= MOD_MAX_ERRORS_COUNT) {
		el->dropped++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line <= 0)
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	else if (col <= 0)
		snprintf(full, sizeof(full), "%s:%d: %s", file, line, msg);
	else
		snprintf(
		    full, sizeof(full), "%s:%d:%d: %s", file, line, col, msg);
	el->msgs = xreallocarray(el->msgs, el->n + 1, sizeof(*el->msgs));
	el->msgs[el->n++] = xstrdup(full);
}

void
mod_errlist_add(struct mod_errlist *el, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mod_errlist_addv(el, file, line, col, fmt, ap);
	va_end(ap);
}

void
mod_errlist_print(const struct mod_errlist *el, FILE *fp)
{
	size_t i;

	for (i = 0; i < el->n; i++)
		fprintf(fp, "%s\n", el->msgs[i]);
	if (el->dropped)
		fprintf(fp, "... and %zu more errors\n", el->dropped);
}

void
mod_errlist_free(struct mod_errlist *el)
{
	size_t i;

	if (el == NULL)
		return;
	for (i = 0; i < el->n; i++)
		free(el->msgs[i]);
	free(el->msgs);
	el->msgs = NULL;
	el->n = el->dropped = 0;
}

/*
 * strtoll and strtod skip leading white space; a strict parser must not,
 * or " 5" would be a number while "5 " is not.
 */
static int
mod_num_start_ok(const char *s)
{
	return s != NULL && *s != '\0' && !isspace((unsigned char) *s);
}

int
mod_strtonum(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char     *end;
	long long v;

	if (!mod_num_start_ok(s))
		return MOD_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s)
		return MOD_EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return MOD_ETOOBIG;
	*out = v;
	return 0;
}

int
mod_strtod(const char *s, double *out)
{
	char  *end;
	double v;

	/* strtod would also take hexadecimal ("0x1p4"): not decimal. */
	if (!mod_num_start_ok(s) || strpbrk(s, "xX") != NULL)
		return MOD_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s || errno == ERANGE || !isfinite(v))
		return MOD_EINVAL;
	*out = v;
	return 0;
}

/* Split "123x" into a number and a one-letter unit suffix. */
static int
mod_parse_unit(const char *s, int64_t *num, char *unit)
{
	char   digits[32];
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(digits))
		return MOD_EINVAL;
	*unit = '\0';
	if (s[len - 1] < '0' || s[len - 1] > '9') {
		*unit = s[len - 1];
		len--;
	}
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (len == 0 || digits[0] == '-' || digits[0] == '+')
		return MOD_EINVAL;
	return mod_strtonum(
	    digits, 0, INT64_MAX / (1024LL * 1024 * 1024), num);
}

int
mod_parse_duration(const char *s, int64_t *secs)
{
	int64_t n, mult;
	char    unit;

	if (mod_parse_unit(s, &n, &unit) != 0)
		return MOD_EINVAL;
	switch (unit) {
	case '\0':
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return MOD_EINVAL;
	}
	*secs = n * mult;
	return 0;
}

int
mod_parse_size(const char *s, int64_t *bytes)
{
	int64_t n, mult;
	char    unit;

	if (mod_parse_unit(s, &n, &unit) != 0)
		return MOD_EINVAL;
	switch (unit) {
	case '\0':
		mult = 1;
		break;
	case 'k':
	case 'K':
		mult = 1024;
		break;
	case 'm':
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024LL * 1024 * 1024;
		break;
	default:
		return MOD_EINVAL;
	}
	*bytes = n * mult;
	return 0;
}

/* Read exactly n decimal digits at *p, advancing it. */
static int
mod_time_digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return MOD_EINVAL;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t
mod_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
mod_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parse "Z", "+hh:mm", "-hhmm" or nothing into an offset in seconds. */
static int
mod_time_zone(const char *p, int64_t *off)
{
	int sign, hh, mm;

	*off = 0;
	/* RFC 3339 5.6: "T" and "Z" may be lower case. */
	if (*p == '\0' || ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0'))
		return 0;
	if (*p != '+' && *p != '-')
		return MOD_EINVAL;
	sign = *p++ == '-' ? -1 : 1;
	if (mod_time_digits(&p, 2, &hh) != 0)
		return MOD_EINVAL;
	if (*p == ':')
		p++;
	if (mod_time_digits(&p, 2, &mm) != 0 || *p != '\0' || hh > 23
	    || mm > 59)
		return MOD_EINVAL;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

/* Parse "Thh:mm:ss[.fff…]" after the date; advances *pp. */
static int
mod_time_clock(const char **pp, int64_t *secs, int64_t *ms)
{
	const char *p = *pp;
	int         hh, mi, ss, scale = 100;

	*secs = *ms = 0;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return 0;
	p++;
	if (mod_time_digits(&p, 2, &hh) != 0 || *p++ != ':'
	    || mod_time_digits(&p, 2, &mi) != 0 || *p++ != ':'
	    || mod_time_digits(&p, 2, &ss) != 0 || hh > 23 || mi > 59
	    || ss > 60)
		return MOD_EINVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return MOD_EINVAL;
		for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
			*ms += scale > 0 ? (*p - '0') * scale : 0;
	}
	*secs = hh * 3600 + mi * 60 + ss;
	*pp = p;
	return 0;
}

/* Index of the first byte with its high bit set in the 8 bytes of w as
 * read from memory (w & 0x80... != 0). */
static inline size_t
mod_first_high(uint64_t w)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__)                              \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t) __builtin_ctzll(w) / 8;
#elif defined(__GNUC__) && defined(__BYTE_ORDER__)                            \
    && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (size_t) __builtin_clzll(w) / 8;
#else
	unsigned char b[8];
	size_t        k = 0;

	memcpy(b, &w, 8);
	while (b[k] == 0)
		k++;
	return k;
#endif
}

size_t
mod_ascii_prefix(const void *s, size_t len)
{
	const uint64_t       hi = 0x8080808080808080ull;
	const unsigned char *u = s;
	size_t               i = 0;
	uint64_t             a, b, c, d;

	for (; i + 32 <= len; i += 32) {
		memcpy(&a, u + i, 8);
		memcpy(&b, u + i + 8, 8);
		memcpy(&c, u + i + 16, 8);
		memcpy(&d, u + i + 24, 8);
		if ((a | b | c | d) & hi)
			break;
	}
	for (; i + 8 <= len; i += 8) {
		memcpy(&a, u + i, 8);
		if ((a &= hi) != 0)
			return i + mod_first_high(a);
	}
	while (i < len && u[i] < 0x80)
		i++;
	return i;
}

int64_t
mod_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
mod_parse_time(const char *s, int64_t *ms)
{
	const char      *p = s;
	int              y, mo, d;
	int64_t          secs, frac, off;
	static const int mdays[]
	    = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (s == NULL || mod_time_digits(&p, 4, &y) != 0 || *p++ != '-'
	    || mod_time_digits(&p, 2, &mo) != 0 || *p++ != '-'
	    || mod_time_digits(&p, 2, &d) != 0)
		return MOD_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]
	    || (mo == 2 && d == 29 && !mod_is_leap(y)))
		return MOD_EINVAL;
	if (mod_time_clock(&p, &secs, &frac) != 0
	    || mod_time_zone(p, &off) != 0)
		return MOD_EINVAL;
	*ms = (mod_days_from_civil(y, mo, d) * 86400 + secs - off) * 1000
	    + frac;
	return 0;
}

int
mod_read_file(const char *path, size_t max, char **data, size_t *len,
    struct mod_err *err)
{
	struct stat st;
	char       *buf = NULL;
	ssize_t     n;
	size_t      got = 0;
	int         fd = -1, rv = 0;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rv = mod_errf(err, errno == ENOENT ? MOD_ENOENT : MOD_EIO,
		    "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rv = mod_errf(err, MOD_EIO, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t) st.st_size > max) {
		rv = mod_errf(err, MOD_ETOOBIG,
		    "%s: file is %lld bytes, limit %zu", path,
		    (long long) st.st_size, max);
		goto out;
	}
	buf = xmalloc((size_t) st.st_size + 1);
	while (got < (size_t) st.st_size
	    && (n = read(fd, buf + got, (size_t) st.st_size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rv = mod_errf(
			    err, MOD_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		got += (size_t) n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return rv;
}

int
mod_mkdirs(const char *dir, unsigned mode)
{
	char   path[MOD_MAX_PATH_BYTES];
	size_t i;

	if (mod_strlcpy(path, dir, sizeof(path)) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return MOD_EIO;
	}
	for (i = 1; path[i]; i++)
		if (path[i] == '/') {
			path[i] = '\0';
			if (mkdir(path, (mode_t) mode) == -1
			    && errno != EEXIST)
				return MOD_EIO;
			path[i] = '/';
		}
	if (mkdir(path, (mode_t) mode) == -1 && errno != EEXIST)
		return MOD_EIO;
	return 0;
}

int
mod_from_nng(int rv)
{
	switch (rv) {
	case 0:
		return 0;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
		return MOD_EINVAL;
	default:
		return MOD_EIO;
	}
}
