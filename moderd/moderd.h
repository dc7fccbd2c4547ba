/*
 * moderd.h - project-wide definitions: version, error codes, error carriers.
 *
 * Every fallible function in moderd returns 0 or a positive MOD_E* code and
 * passes results through out-parameters (nng style).  Parsers additionally
 * fill a struct mod_err with a human-readable message, and file parsers that
 * must report every problem collect FILE:LINE:COL messages in a
 * struct mod_errlist.
 */
#ifndef MODERD_H
#define MODERD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "bounds.h"

#define MODERD_VERSION "0.1.0"

#define MOD_MUSTCHECK __attribute__((warn_unused_result))
#define MOD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define nitems(a) (sizeof(a) / sizeof((a)[0]))

enum mod_errcode {
	MOD_OK = 0,
	MOD_EINVAL, /* malformed input */
	MOD_ETOOBIG, /* input exceeds a named limit */
	MOD_ENOENT, /* no such file, key or object */
	MOD_EIO, /* operating-system I/O error */
	MOD_ELIMIT, /* a regex/resource limit was hit: not evaluated */
	MOD_EINTERNAL, /* library failure or broken invariant */
	MOD_EUTF8, /* invalid UTF-8 where it cannot be repaired */
	MOD_EEXIST, /* already exists */
	MOD_EDB, /* database error */
	MOD_EAUTH, /* authentication or authorisation failure */
	MOD_ECLOSED, /* peer or resource closed */
	MOD_ETIMEDOUT, /* deadline passed */
	MOD_ECOUNT
};

/* A single error with its message; code is also the return value. */
struct mod_err {
	int  code;
	char msg[MOD_MAX_ERR_BYTES];
};

/*
 * mod_errf: format a message into err (which may be NULL) and return code.
 * Intended as `return mod_errf(err, MOD_EINVAL, "...")`.
 */
int mod_errf(struct mod_err *err, int code, const char *fmt, ...)
    MOD_PRINTF(3, 4);

/* mod_strerror: static, never-NULL description of a MOD_E* code. */
const char *mod_strerror(int code);

/*
 * A list of located error messages ("FILE:LINE:COL: message"), used by the
 * rule and config parsers to report every error, not only the first.  At
 * most MOD_MAX_ERRORS_COUNT messages are kept; further ones are counted in
 * `dropped`.  Zero-initialise before use; free with mod_errlist_free().
 */
struct mod_errlist {
	char **msgs;
	size_t n;
	size_t dropped;
};

/* mod_errlist_add: append "FILE:LINE:COL: msg"; col <= 0 omits the column. */
void mod_errlist_add(struct mod_errlist *el, const char *file, int line,
    int col, const char *fmt, ...) MOD_PRINTF(5, 6);

/* mod_errlist_addv: as mod_errlist_add with a va_list. */
void mod_errlist_addv(struct mod_errlist *el, const char *file, int line,
    int col, const char *fmt, va_list ap);

/* mod_errlist_print: one message per line to fp, plus a "… more" line. */
void mod_errlist_print(const struct mod_errlist *el, FILE *fp);

/* mod_errlist_free: release all messages; el may be reused afterwards. */
void mod_errlist_free(struct mod_errlist *el);

#endif /* MODERD_H */
