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

/*
 * Lines whose number follows outside input - one per rejected event, per
 * refused webhook, per rule that could not be evaluated - are flood
 * classes: each may log MOD_LOG_FLOOD_BURST_COUNT lines at once, then
 * MOD_LOG_FLOOD_PER_S a second.  Lines over the budget are counted, not
 * written, and the next line written says how many were held back
 * ("; 37 more like it not logged").  Counting in metrics is the
 * caller's business and is never limited.
 */
enum log_flood {
	LOG_FLOOD_REJECT, /* a rejected event or message (info) */
	LOG_FLOOD_REFUSED, /* a refused webhook call (info) */
	LOG_FLOOD_UNEVAL, /* a rule that could not be evaluated (warning) */
	LOG_FLOOD_COUNT
};

/* log_flood: log_info or log_warnx (by class) within the class's
 * budget.  Thread-safe. */
void log_flood(enum log_flood f, const char *fmt, ...) MOD_PRINTF(2, 3);

/* fatal/fatalx: for start-up and broken invariants only; never return. */
void fatal(const char *fmt, ...) MOD_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) MOD_PRINTF(1, 2) __attribute__((noreturn));

#endif /* MODERD_LOG_H */
