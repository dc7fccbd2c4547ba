/*
 * test_log.c - the flood budgets of log.c (log_flood).
 *
 * stderr goes to a temporary file for the test, so what log_flood()
 * really wrote is read back and counted: a burst of one class stops at
 * MOD_LOG_FLOOD_BURST_COUNT lines, other classes keep their own budget,
 * and after a pause the next line says how many were held back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "log.h"
#include "moderd.h"

#define T_LOG_BYTES (64 * 1024)

/* What stderr received since t_capture_start(), NUL-terminated. */
struct t_capture {
	int   saved_fd;
	FILE *f;
	char  text[T_LOG_BYTES];
};

static void
t_capture_start(struct t_capture *c)
{
	fflush(stderr);
	c->saved_fd = dup(STDERR_FILENO);
	c->f = tmpfile();
	assert_non_null(c->f);
	assert_true(dup2(fileno(c->f), STDERR_FILENO) >= 0);
}

static void
t_capture_stop(struct t_capture *c)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
	close(c->saved_fd);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	fclose(c->f);
}

static int
t_count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
t_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void
test_flood_budget(void **state)
{
	static struct t_capture c; /* large: not on the stack */
	int                     i, written;
	const char             *p;

	(void) state;
	log_init(1, "test_log");
	t_capture_start(&c);
	for (i = 0; i < 100; i++)
		log_flood(LOG_FLOOD_REJECT, "intake t: rejected event %d", i);
	log_flood(LOG_FLOOD_UNEVAL, "event x: rule R could not be evaluated");
	t_capture_stop(&c);
	/* The burst (one more if the loop took over 1/MOD_LOG_FLOOD_PER_S
	 * seconds, as it may under a sanitizer on a loaded machine). */
	written = t_count(c.text, "rejected event");
	assert_in_range(
	    written, MOD_LOG_FLOOD_BURST_COUNT, MOD_LOG_FLOOD_BURST_COUNT + 1);
	assert_non_null(strstr(c.text, "rejected event 0\n"));
	assert_null(strstr(c.text, "rejected event 99\n"));
	assert_int_equal(t_count(c.text, "could not be evaluated\n"), 1);
	assert_null(strstr(c.text, "not logged"));

	/* After a pause: a line again, saying how many it stands for. */
	t_sleep_ms(2 * 1000 / MOD_LOG_FLOOD_PER_S + 50);
	t_capture_start(&c);
	log_flood(LOG_FLOOD_REJECT, "intake t: rejected event %d", 100);
	log_flood(LOG_FLOOD_REJECT, "intake t: rejected event %d", 101);
	t_capture_stop(&c);
	assert_non_null(p = strstr(c.text, "rejected event 100; "));
	assert_int_equal(
	    atoi(p + strlen("rejected event 100; ")), 100 - written);
	assert_non_null(strstr(c.text, " more like it not logged\n"));
	assert_non_null(strstr(c.text, "rejected event 101\n"));
	assert_int_equal(t_count(c.text, "not logged"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
