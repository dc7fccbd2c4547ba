/*
 * test_sse.c - sse.c: the event-stream grammar (line ends, multi-line and
 * empty data, comments, ignored fields, the BOM), bounded lines, data and
 * types with resynchronisation at the next blank line, and independence
 * from how the input is cut: every case is fed whole, split in two at
 * every byte boundary, and one byte at a time, and must give the same
 * events and rejections each time.
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
#include "sse.h"
#include "util.h"

/* What a parse produced: "type=data;" per event, a letter per reject. */
struct rec {
	struct buf events;
	struct buf rejects;
};

static void
rec_event(void *arg, const struct sse_event *ev)
{
	struct rec *r = arg;
	size_t      i;

	assert_non_null(ev->type);
	assert_int_equal(ev->data[ev->len], '\0');
	assert_int_equal(buf_appends(&r->events, ev->type), 0);
	assert_int_equal(buf_appendc(&r->events, '='), 0);
	for (i = 0; i < ev->len; i++) {
		if (ev->data[i] == '\n')
			assert_int_equal(buf_appends(&r->events, "\\n"), 0);
		else if (ev->data[i] == '\0')
			assert_int_equal(buf_appends(&r->events, "\\0"), 0);
		else
			assert_int_equal(
			    buf_appendc(&r->events, ev->data[i]), 0);
	}
	assert_int_equal(buf_appendc(&r->events, ';'), 0);
}

static void
rec_reject(void *arg, enum sse_reject why)
{
	struct rec       *r = arg;
	static const char letters[SSE_REJECT_COUNT] = { 'L', 'D', 'T' };

	assert_true(why < SSE_REJECT_COUNT);
	assert_int_equal(buf_appendc(&r->rejects, letters[why]), 0);
}

struct sse_case {
	const char *name;
	const char *in;
	size_t      in_len; /* 0: strlen(in) */
	size_t      max_data;
	size_t      max_line;
	const char *events; /* "type=data;" each, '\n' as "\\n" */
	const char *rejects; /* L line, D data, T type */
};

#define LONG20 "aaaaaaaaaaaaaaaaaaaa"
#define LONG70 LONG20 LONG20 LONG20 "bbbbbbbbbb"

static const struct sse_case sse_cases[] = {
	{ "lf", "event: update\ndata: {}\n\n", 0, 0, 0, "update={};", "" },
	{ "crlf", "event: update\r\ndata: {}\r\n\r\n", 0, 0, 0, "update={};",
	    "" },
	{ "cr", "event: update\rdata: {}\r\r", 0, 0, 0, "update={};", "" },
	{ "mixed ends", "data: a\r\ndata: b\rdata: c\n\r\n", 0, 0, 0,
	    "message=a\\nb\\nc;", "" },
	{ "cr then lf is one end", "data: x\r\n\n", 0, 0, 0, "message=x;",
	    "" },
	{ "lf cr is two ends", "data: x\n\rdata: y\n\n", 0, 0, 0,
	    "message=x;message=y;", "" },
	{ "multi-line data",
	    "event: status.update\ndata: {\"a\":\ndata: 1}\n\n", 0, 0, 0,
	    "status.update={\"a\":\\n1};", "" },
	{ "two events", "event: update\ndata: 1\n\nevent: delete\ndata: 2\n\n",
	    0, 0, 0, "update=1;delete=2;", "" },
	{ "no space after colon", "data:x\n\n", 0, 0, 0, "message=x;", "" },
	{ "only one space stripped", "data:  x \n\n", 0, 0, 0, "message= x ;",
	    "" },
	{ "empty data field", "data:\n\n", 0, 0, 0, "message=;", "" },
	{ "data without colon", "event: update\ndata\n\n", 0, 0, 0, "update=;",
	    "" },
	{ "two empty data lines", "data:\ndata\n\n", 0, 0, 0, "message=\\n;",
	    "" },
	{ "no data: not dispatched", "event: update\n\ndata: x\n\n", 0, 0, 0,
	    "message=x;", "" },
	{ "event replaced", "event: a\nevent: update\ndata: x\n\n", 0, 0, 0,
	    "update=x;", "" },
	{ "empty event is message", "event:\ndata: x\n\n", 0, 0, 0,
	    "message=x;", "" },
	{ "event without colon", "event\ndata: x\n\n", 0, 0, 0, "message=x;",
	    "" },
	{ "comments", ":)\n:thump\nevent: update\n: mid-event\ndata: x\n\n", 0,
	    0, 0, "update=x;", "" },
	{ "comment only lines", ":thump\n\n:thump\n\n", 0, 0, 0, "", "" },
	{ "ignored fields",
	    "id: 7\nretry: 1000\nfoo: bar\nDATA: no\ndatax: no\ndata: x\n\n",
	    0, 0, 0, "message=x;", "" },
	{ "long unknown field name",
	    "abcdefghijklmnopqrstuvwxyz: v\ndata: x\n\n", 0, 0, 0,
	    "message=x;", "" },
	{ "colon in value", "data: a: b\n\n", 0, 0, 0, "message=a: b;", "" },
	{ "incomplete event dropped at end", "data: x\n", 0, 0, 0, "", "" },
	{ "unterminated line dropped", "data: x", 0, 0, 0, "", "" },
	{ "nul in data", "data: a\0b\n\n", 11, 0, 0, "message=a\\0b;", "" },
	{ "bom skipped",
	    "\xEF\xBB\xBF"
	    "data: x\n\n",
	    0, 0, 0, "message=x;", "" },
	{ "bom only at start",
	    "data: x\n\n\xEF\xBB\xBF"
	    "data: y\n\n",
	    0, 0, 0, "message=x;", "" },
	{ "partial bom is input",
	    "\xEF\xBB"
	    "data: x\n\ndata: y\n\n",
	    0, 0, 0, "message=y;", "" },
	{ "data at the cap", "data: " LONG20 "\n\n", 0, 20, 0,
	    "message=" LONG20 ";", "" },
	{ "data over the cap", "data: " LONG20 "a\n\ndata: ok\n\n", 0, 20, 0,
	    "message=ok;", "D" },
	{ "joined data over the cap",
	    "data: aaaaaaaaaa\ndata: bbbbbbbbbb\n\ndata: ok\n\n", 0, 20, 0,
	    "message=ok;", "D" },
	{ "newline of join over the cap",
	    "data: " LONG20 "\ndata:\n\ndata: ok\n\n", 0, 20, 0, "message=ok;",
	    "D" },
	{ "skip to blank line",
	    "event: update\ndata: " LONG20
	    "a\ndata: more\nevent: x\n\ndata: ok\n\n",
	    0, 20, 0, "message=ok;", "D" },
	{ "long comment line", ":" LONG70 "\ndata: lost\n\ndata: ok\n\n", 0,
	    20, 40, "message=ok;", "L" },
	{ "long comment after blank", "data: a\n\n:" LONG70 "\n\ndata: ok\n\n",
	    0, 20, 40, "message=a;message=ok;", "L" },
	{ "line at the cap", ":" LONG20 LONG20 "\ndata: ok\n\n", 0, 20, 41,
	    "message=ok;", "" },
	{ "line over the cap", ":" LONG20 LONG20 "\ndata: ok\n\n", 0, 20, 40,
	    "", "L" },
	{ "data line over both caps", "data: " LONG70 "\n\ndata: ok\n\n", 0,
	    20, 40, "message=ok;", "D" },
	{ "long event type", "event: " LONG70 "\ndata: x\n\ndata: ok\n\n", 0,
	    0, 0, "message=ok;", "T" },
	{ "nul in event type", "event: upd\0ate\ndata: x\n\ndata: ok\n\n", 34,
	    0, 0, "message=ok;", "T" },
	{ "reject then crlf blank",
	    "data: " LONG20 "a\r\n\r\ndata: ok\r\n\r\n", 0, 20, 0,
	    "message=ok;", "D" },
	{ "two rejects", "data: " LONG20 "a\n\n:" LONG70 "\n\ndata: ok\n\n", 0,
	    20, 40, "message=ok;", "DL" },
};

static void
sse_run_case(
    const struct sse_case *c, size_t split, size_t step, struct rec *r)
{
	struct sse  s;
	const char *in = c->in;
	size_t      len = c->in_len ? c->in_len : strlen(c->in);
	size_t      off;

	memset(r, 0, sizeof(*r));
	buf_init(&r->events, 1 << 16);
	buf_init(&r->rejects, 1 << 10);
	sse_init(&s, c->max_data ? c->max_data : 1024,
	    c->max_line ? c->max_line : 1024, rec_event, rec_reject, r);
	if (step == 0) {
		sse_feed(&s, in, split);
		sse_feed(&s, in + split, len - split);
	} else
		for (off = 0; off < len; off += step)
			sse_feed(
			    &s, in + off, len - off < step ? len - off : step);
	assert_int_equal(s.rejected, strlen(c->rejects));
	sse_free(&s);
}

static void
sse_check(const struct sse_case *c, struct rec *r, const char *how)
{
	if (strcmp(buf_cstr(&r->events), c->events) != 0
	    || strcmp(buf_cstr(&r->rejects), c->rejects) != 0)
		fail_msg("%s (%s): events \"%s\" rejects \"%s\", want \"%s\" "
		         "\"%s\"",
		    c->name, how, buf_cstr(&r->events), buf_cstr(&r->rejects),
		    c->events, c->rejects);
	buf_free(&r->events);
	buf_free(&r->rejects);
}

static void
test_cases(void **state)
{
	struct rec r;
	size_t     i, split, len;
	char       how[64];

	(void) state;
	for (i = 0; i < nitems(sse_cases); i++) {
		const struct sse_case *c = &sse_cases[i];

		len = c->in_len ? c->in_len : strlen(c->in);
		sse_run_case(c, len, 0, &r);
		sse_check(c, &r, "whole");
		sse_run_case(c, 0, 1, &r);
		sse_check(c, &r, "bytewise");
		for (split = 0; split <= len; split++) {
			snprintf(how, sizeof(how), "split at %zu", split);
			sse_run_case(c, split, 0, &r);
			sse_check(c, &r, how);
		}
	}
}

/* Counters, and a long data line arriving in many feeds. */
static void
test_counters_and_big_event(void **state)
{
	struct rec r;
	struct sse s;
	char      *big;
	size_t     i, n = 200000;

	(void) state;
	memset(&r, 0, sizeof(r));
	buf_init(&r.events, 1 << 20);
	big = xmalloc(n);
	memset(big, 'x', n);
	sse_init(&s, n, n + 64, rec_event, rec_reject, &r);
	sse_feed(&s, "event: update\ndata: ", 20);
	for (i = 0; i < n; i += 1000)
		sse_feed(&s, big + i, 1000);
	sse_feed(&s, "\n\n", 2);
	assert_int_equal(s.events, 1);
	assert_int_equal(s.rejected, 0);
	assert_int_equal(r.events.len, strlen("update=;") + n);
	/* one byte more is one rejection, and the next event still comes */
	sse_feed(&s, "data: ", 6);
	sse_feed(&s, big, n);
	sse_feed(&s, "x\n\ndata: ok\n\n", 13);
	assert_int_equal(s.events, 2);
	assert_int_equal(s.rejected, 1);
	assert_string_equal(r.rejects.data, "D");
	assert_string_equal(r.events.data + r.events.len - 11, "message=ok;");
	free(big);
	sse_free(&s);
	buf_free(&r.events);
	buf_free(&r.rejects);
}

#define FEED(s, lit) sse_feed((s), (lit), sizeof(lit) - 1)

/* sse_reset drops a partial event, type and line: a new connection
 * starts clean, and a BOM at its start is skipped again. */
static void
test_reset(void **state)
{
	struct rec r;
	struct sse s;

	(void) state;
	memset(&r, 0, sizeof(r));
	sse_init(&s, 64, 64, rec_event, NULL, &r);
	FEED(&s, "event: update\ndata: {\"partial");
	sse_reset(&s);
	FEED(&s,
	    "\xEF\xBB\xBF"
	    "\n\ndata: x\n\n");
	assert_string_equal(buf_cstr(&r.events), "message=x;");
	FEED(&s, "event: update\n");
	sse_reset(&s);
	FEED(&s, "data: z\n\n");
	assert_string_equal(buf_cstr(&r.events), "message=x;message=z;");
	assert_int_equal(s.events, 2);
	sse_free(&s);
	sse_free(&s); /* idempotent */
	sse_free(NULL);
	buf_free(&r.events);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_counters_and_big_event),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
