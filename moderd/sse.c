/*
 * sse.c - incremental Server-Sent Events parser.
 *
 * A byte-driven state machine, so an event may arrive cut at any byte:
 * FIELD collects a field name up to ':' or the line end; VALUE_START eats
 * the one optional space; VALUE appends the value to the event's data or
 * type (or drops it, for fields we ignore); COMMENT drops a ':' line;
 * SKIP drops everything after a rejection until the next blank line, which
 * resynchronises the parser.  A CR that ends a line sets after_cr so that
 * an LF arriving next (perhaps in the next feed) is not taken as a second,
 * blank, line.
 *
 * Values are never copied into a line buffer: data bytes go straight into
 * the event's capped buffer, and runs of bytes without a line end are
 * handled in one step, so a 1 MiB data line costs one append.  The line
 * length is counted, not stored.
 *
 * Invariants: outside SKIP, line_len <= max_line_bytes, data.len <=
 * max_data_bytes and type_len <= MOD_MAX_SSE_TYPE_BYTES; every step
 * consumes at least one byte; callbacks run only at a line end (dispatch)
 * or where a limit is crossed (reject), never twice for one event.
 */
#include <string.h>

#include "sse.h"

enum sse_state {
	SSE_S_FIELD,
	SSE_S_VALUE_START,
	SSE_S_VALUE,
	SSE_S_COMMENT,
	SSE_S_SKIP
};

enum sse_field { SSE_F_IGNORED, SSE_F_EVENT, SSE_F_DATA };

static const char sse_bom[3] = { '\xEF', '\xBB', '\xBF' };

void
sse_init(struct sse *s, size_t max_data_bytes, size_t max_line_bytes,
    sse_event_fn on_event, sse_reject_fn on_reject, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->on_event = on_event;
	s->on_reject = on_reject;
	s->arg = arg;
	s->max_data_bytes = max_data_bytes ? max_data_bytes : 1;
	s->max_line_bytes = max_line_bytes ? max_line_bytes : 1;
	buf_init(&s->data, s->max_data_bytes);
	sse_reset(s);
}

static void
sse_event_clear(struct sse *s)
{
	s->type_len = 0;
	s->type[0] = '\0';
	s->data_lines = 0;
	buf_reset(&s->data);
}

void
sse_reset(struct sse *s)
{
	s->state = SSE_S_FIELD;
	s->field = SSE_F_IGNORED;
	s->bom = 0;
	s->after_cr = false;
	s->line_len = 0;
	s->field_len = 0;
	s->field_long = false;
	sse_event_clear(s);
}

void
sse_free(struct sse *s)
{
	if (s == NULL)
		return;
	buf_free(&s->data);
}

/* sse_reject: drop the event in progress and skip to the next blank line. */
static void
sse_reject(struct sse *s, enum sse_reject why)
{
	s->rejected++;
	sse_event_clear(s);
	s->state = SSE_S_SKIP;
	if (s->on_reject != NULL)
		s->on_reject(s->arg, why);
}

static void
sse_dispatch(struct sse *s)
{
	struct sse_event ev;

	if (s->data_lines == 0) { /* no data field: nothing to dispatch */
		sse_event_clear(s);
		return;
	}
	ev.type = s->type_len ? s->type : "message";
	ev.data = buf_cstr(&s->data);
	ev.len = s->data.len;
	s->events++;
	s->on_event(s->arg, &ev);
	sse_event_clear(s);
}

static int
sse_field_of(const struct sse *s)
{
	if (s->field_long)
		return SSE_F_IGNORED;
	if (s->field_len == 4 && memcmp(s->field_name, "data", 4) == 0)
		return SSE_F_DATA;
	if (s->field_len == 5 && memcmp(s->field_name, "event", 5) == 0)
		return SSE_F_EVENT;
	return SSE_F_IGNORED; /* id, retry and anything unknown */
}

/* sse_field_begin: the field name is complete; its value starts. */
static void
sse_field_begin(struct sse *s)
{
	s->field = sse_field_of(s);
	if (s->field == SSE_F_EVENT) {
		s->type_len = 0; /* "event" replaces the type */
		s->type[0] = '\0';
	} else if (s->field == SSE_F_DATA) {
		if (s->data_lines > 0 && buf_appendc(&s->data, '\n') != 0) {
			sse_reject(s, SSE_REJECT_DATA);
			return;
		}
		s->data_lines++;
	}
}

static void
sse_eol(struct sse *s)
{
	switch (s->state) {
	case SSE_S_SKIP:
		if (s->line_len == 0) /* the blank line: back in step */
			s->state = SSE_S_FIELD;
		break;
	case SSE_S_FIELD:
		if (s->line_len == 0)
			sse_dispatch(s);
		else
			sse_field_begin(s); /* "data" alone: an empty value */
		break;
	default:
		break;
	}
	if (s->state != SSE_S_SKIP)
		s->state = SSE_S_FIELD;
	s->line_len = 0;
	s->field_len = 0;
	s->field_long = false;
}

/* sse_line_add: k more bytes on this line; past the cap, reject. */
static bool
sse_line_add(struct sse *s, size_t k)
{
	if (k > s->max_line_bytes - s->line_len) {
		sse_reject(s, SSE_REJECT_LINE);
		s->line_len = 1; /* not a blank line */
		return false;
	}
	s->line_len += k;
	return true;
}

/* sse_name: field name bytes up to and including a ':'. */
static size_t
sse_name(struct sse *s, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t      k = colon ? (size_t) (colon - p) : n;

	if (colon != NULL && k == 0 && s->line_len == 0) {
		if (sse_line_add(s, 1))
			s->state = SSE_S_COMMENT;
		return 1;
	}
	if (!sse_line_add(s, colon ? k + 1 : k))
		return colon ? k + 1 : k;
	if (k > sizeof(s->field_name) - s->field_len)
		s->field_long = true;
	else if (!s->field_long) {
		memcpy(s->field_name + s->field_len, p, k);
		s->field_len += k;
	}
	if (colon == NULL)
		return k;
	s->state = SSE_S_VALUE_START;
	sse_field_begin(s); /* may reject: state becomes SKIP */
	return k + 1;
}

/* sse_type_bad: index of the first byte of p[0..n) that cannot go into
 * the event type (over the cap, or a NUL); n or more if none. */
static size_t
sse_type_bad(const struct sse *s, const char *p, size_t n)
{
	const char *nul = memchr(p, '\0', n);
	size_t      room = MOD_MAX_SSE_TYPE_BYTES - s->type_len;

	return nul != NULL && (size_t) (nul - p) < room ? (size_t) (nul - p)
	                                                : room;
}

/*
 * sse_value: value bytes (after the optional leading space).  When a run
 * breaks a cap, the reason given is that of the first offending byte
 * (ties: data or type before line), so it does not depend on where the
 * input was cut.
 */
static size_t
sse_value(struct sse *s, const char *p, size_t n)
{
	size_t          bad = s->max_line_bytes - s->line_len;
	enum sse_reject why = SSE_REJECT_LINE;

	if (s->state == SSE_S_VALUE_START) {
		s->state = SSE_S_VALUE;
		if (p[0] == ' ') {
			(void) sse_line_add(s, 1);
			return 1;
		}
	}
	if (s->field == SSE_F_DATA && s->max_data_bytes - s->data.len <= bad) {
		bad = s->max_data_bytes - s->data.len;
		why = SSE_REJECT_DATA;
	} else if (s->field == SSE_F_EVENT && sse_type_bad(s, p, n) <= bad) {
		bad = sse_type_bad(s, p, n);
		why = SSE_REJECT_TYPE;
	}
	if (bad < n) {
		sse_reject(s, why);
		s->line_len = 1; /* not a blank line */
		return n;
	}
	s->line_len += n;
	if (s->field == SSE_F_DATA) {
		if (buf_append(&s->data, p, n) != 0) /* fits: checked above */
			sse_reject(s, SSE_REJECT_DATA);
	} else if (s->field == SSE_F_EVENT) {
		memcpy(s->type + s->type_len, p, n);
		s->type_len += n;
		s->type[s->type_len] = '\0';
	}
	return n;
}

/* sse_text: a run of n >= 1 bytes without a line end; returns bytes used. */
static size_t
sse_text(struct sse *s, const char *p, size_t n)
{
	switch (s->state) {
	case SSE_S_SKIP:
		s->line_len = 1; /* only "is this line blank" matters here */
		return n;
	case SSE_S_FIELD:
		return sse_name(s, p, n);
	case SSE_S_COMMENT:
		(void) sse_line_add(s, n);
		return n;
	default:
		return sse_value(s, p, n);
	}
}

/* sse_step: consume at least one byte of p[0..n), n >= 1. */
static size_t
sse_step(struct sse *s, const char *p, size_t n)
{
	size_t run;

	if (s->after_cr) {
		s->after_cr = false;
		if (p[0] == '\n') /* the LF of a CRLF */
			return 1;
	}
	if (p[0] == '\r' || p[0] == '\n') {
		s->after_cr = p[0] == '\r';
		sse_eol(s);
		return 1;
	}
	for (run = 1; run < n && p[run] != '\r' && p[run] != '\n'; run++)
		continue;
	return sse_text(s, p, run);
}

static void
sse_run(struct sse *s, const char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		k = sse_step(s, p, n);
		p += k;
		n -= k;
	}
}

void
sse_feed(struct sse *s, const char *p, size_t len)
{
	size_t i = 0, matched;

	/* A UTF-8 BOM at the very start is skipped; a partial match is
	 * ordinary input after all, replayed from the constant. */
	while (i < len && s->bom < sizeof(sse_bom)) {
		if (p[i] == sse_bom[s->bom]) {
			s->bom++;
			i++;
			continue;
		}
		matched = s->bom;
		s->bom = sizeof(sse_bom);
		sse_run(s, sse_bom, matched);
	}
	sse_run(s, p + i, len - i);
}
