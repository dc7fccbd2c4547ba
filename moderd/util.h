/*
 * util.h - allocation, bounded string and number helpers, time parsing.
 *
 * x* allocators never return NULL: running out of memory in moderd's own
 * code is fatal by design (all inputs are bounded, see bounds.h).
 */
#ifndef MODERD_UTIL_H
#define MODERD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "moderd.h"

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
/* xreallocarray: resize p to n*size bytes, fatal on overflow. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
/* xstrndup: copy at most n bytes of s and NUL-terminate. */
char *xstrndup(const char *s, size_t n);

/* mod_strlcpy: BSD strlcpy; truncation when result >= size. */
size_t mod_strlcpy(char *dst, const char *src, size_t size);

/* mod_ascii_prefix: length of the longest prefix of s[0..len) whose bytes
 * are all below 0x80, read 32 bytes at a time. */
size_t mod_ascii_prefix(const void *s, size_t len);

/*
 * mod_strtonum: parse a whole decimal integer in [min, max] into *out.
 * Returns 0, MOD_EINVAL (not a number) or MOD_ETOOBIG (out of range).
 */
int mod_strtonum(
    const char *s, int64_t min, int64_t max, int64_t *out) MOD_MUSTCHECK;

/* mod_strtod: parse a whole finite decimal number into *out. */
int mod_strtod(const char *s, double *out) MOD_MUSTCHECK;

/*
 * mod_parse_duration: "90", "30s", "15m", "12h", "30d", "2w" to seconds.
 * A bare number is seconds.  Returns 0 or MOD_EINVAL.
 */
int mod_parse_duration(const char *s, int64_t *secs) MOD_MUSTCHECK;

/* mod_parse_size: "512", "64k", "16m", "1g" to bytes. */
int mod_parse_size(const char *s, int64_t *bytes) MOD_MUSTCHECK;

/* mod_mono_ms: CLOCK_MONOTONIC in milliseconds, for intervals and
 * deadlines (never for times shown or stored). */
int64_t mod_mono_ms(void);

/*
 * mod_parse_time: ISO 8601 / RFC 3339 timestamp as Mastodon writes it
 * ("2023-10-26T13:34:00.351Z", "2023-08-05", offsets "+02:00") to
 * milliseconds since the epoch (UTC).  Returns 0 or MOD_EINVAL.
 */
int mod_parse_time(const char *s, int64_t *ms) MOD_MUSTCHECK;

/*
 * mod_mkdirs: create dir and any missing parents with mode (like
 * mkdir -p).  Returns 0 or MOD_EIO (errno set).
 */
int mod_mkdirs(const char *dir, unsigned mode) MOD_MUSTCHECK;

/*
 * mod_read_file: read a whole regular file of at most max bytes into a new
 * NUL-terminated buffer (caller frees).  MOD_ENOENT, MOD_EIO, MOD_ETOOBIG.
 */
int mod_read_file(const char *path, size_t max, char **data, size_t *len,
    struct mod_err *err) MOD_MUSTCHECK;

/*
 * mod_from_nng: an nng error code as ours: 0, MOD_EINVAL (a bad address
 * or option: the configuration's fault) or MOD_EIO (anything else).
 */
int mod_from_nng(int rv);

#endif /* MODERD_UTIL_H */
