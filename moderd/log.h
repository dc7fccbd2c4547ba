/*
 * log.h - logging in the OpenBSD log.c shape.
 *
 * Lines are single lines, lowercase, no trailing period, prefixed with the
 * subsystem or id they concern.  Post content is never logged at info or
 * above.  log_warn appends strerror(errno); errno is preserved by all calls.
 */
#ifndef MODERD_LOG_H
#define MODERD_LOG_H

#include "moderd.h"

/* log_init: debug != 0 logs to stderr, else syslog under ident. */
void log_init(int debug, const char *ident);

/* log_setverbose: 0 = info and above, 1 = also debug lines. */
void log_setverbose(int verbose);

void log_warn(const char *fmt, ...) MOD_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) MOD_PRINTF(1, 2);
void log_info(const char *fmt, ...) MOD_PRINTF(1, 2);
void log_debug(const char *fmt, ...) MOD_PRINTF(1, 2);

/* fatal/fatalx: for start-up and broken invariants only; never return. */
void fatal(const char *fmt, ...) MOD_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) MOD_PRINTF(1, 2) __attribute__((noreturn));

#endif /* MODERD_LOG_H */
