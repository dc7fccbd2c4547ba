/*
 * log.c - where moderd's diagnostics go.
 *
 * With -d (or in the CLI) lines go to stderr, otherwise to syslog(3).  The
 * state here (destination, verbosity and the flood budgets) is one of
 * the few file-scope variables the house rules allow.  Every function
 * keeps errno intact so a caller may log and then still inspect it.
 *
 * Flood budgets (log_flood) are token buckets, one per class, under one
 * mutex: a class starts with MOD_LOG_FLOOD_BURST_COUNT lines and earns
 * MOD_LOG_FLOOD_PER_S a second up to that many again.  A spam wave of
 * malformed events thus costs a few lines a second, not one per event,
 * and the line that ends a quiet spell says how many it stands for.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "bounds.h"
#include "log.h"
#include "util.h"

static int log_to_stderr = 1;
static int log_verbose;

/* A flood class's budget (see the essay). */
struct log_budget {
	bool     started;
	double   lines; /* lines it may write now */
	int64_t  at_ms; /* when lines was last brought up to date */
	uint64_t held; /* lines not written since the last one written */
};
static pthread_mutex_t   log_flood_mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_budget log_budgets[LOG_FLOOD_COUNT];

void
log_init(int debug, const char *ident)
{
	log_to_stderr = debug;
	if (!debug)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

/* log_vemit: one line; a suffix (NULL: none) follows after sep. */
static void
log_vemit(
    int pri, const char *fmt, va_list ap, const char *sep, const char *suffix)
{
	char line[MOD_MAX_ERR_BYTES * 2];
	int  saved = errno;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (suffix == NULL)
		sep = suffix = "";
	if (log_to_stderr)
		fprintf(stderr, "%s%s%s\n", line, sep, suffix);
	else
		syslog(pri, "%s%s%s", line, sep, suffix);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	char    err[128];

	snprintf(err, sizeof(err), "%s", strerror(errno));
	va_start(ap, fmt);
	log_vemit(LOG_WARNING, fmt, ap, ": ", err);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_WARNING, fmt, ap, NULL, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_INFO, fmt, ap, NULL, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, fmt, ap, NULL, NULL);
	va_end(ap);
}

/* log_flood_take: true if class f may write a line now; then *held is
 * the number of lines it held back before this one. */
static bool
log_flood_take(enum log_flood f, uint64_t *held)
{
	struct log_budget *b = &log_budgets[f];
	int64_t            now = mod_mono_ms();
	bool               ok;

	pthread_mutex_lock(&log_flood_mu);
	if (!b->started) {
		b->started = true;
		b->lines = MOD_LOG_FLOOD_BURST_COUNT;
	} else if (now > b->at_ms) {
		b->lines
		    += (double) (now - b->at_ms) * MOD_LOG_FLOOD_PER_S / 1000;
		if (b->lines > MOD_LOG_FLOOD_BURST_COUNT)
			b->lines = MOD_LOG_FLOOD_BURST_COUNT;
	}
	b->at_ms = now;
	if ((ok = b->lines >= 1)) {
		b->lines -= 1;
		*held = b->held;
		b->held = 0;
	} else
		b->held++;
	pthread_mutex_unlock(&log_flood_mu);
	return ok;
}

void
log_flood(enum log_flood f, const char *fmt, ...)
{
	va_list  ap;
	char     more[64];
	uint64_t held = 0;
	int      saved = errno;

	if ((unsigned) f >= LOG_FLOOD_COUNT || !log_flood_take(f, &held)) {
		errno = saved;
		return;
	}
	snprintf(
	    more, sizeof(more), "%" PRIu64 " more like it not logged", held);
	va_start(ap, fmt);
	log_vemit(f == LOG_FLOOD_UNEVAL ? LOG_WARNING : LOG_INFO, fmt, ap,
	    "; ", held > 0 ? more : NULL);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	char    err[128];

	snprintf(err, sizeof(err), "%s", strerror(errno));
	va_start(ap, fmt);
	log_vemit(LOG_CRIT, fmt, ap, ": ", err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, fmt, ap, NULL, NULL);
	va_end(ap);
	exit(1);
}
