/*
 * sse.h - an incremental parser for Server-Sent Events (text/event-stream).
 *
 * Bytes are fed in pieces of any size, exactly as they come off the wire;
 * complete events are reported through a callback, in order, and the
 * result never depends on how the input was cut (the fuzz target checks
 * this).  The grammar is the WHATWG "event stream" one: lines end with
 * CRLF, LF or CR; a blank line dispatches; "field: value" with one
 * optional space after the colon; lines starting with ':' are comments;
 * data fields are joined with '\n'; an event without data fields is not
 * dispatched; a leading UTF-8 BOM is skipped.  Only the event and data
 * fields are kept: id, retry and unknown fields are ignored.  Bytes are
 * passed through as received (no UTF-8 decoding).
 *
 * Bounds: the data of one event is capped at max_data_bytes and one line
 * at max_line_bytes.  Over either (or with an event type over
 * MOD_MAX_SSE_TYPE_BYTES or holding a NUL), the event in progress is
 * dropped, the reject callback is told why, and everything up to the
 * next blank line is skipped.  Memory is the data buffer only (at most
 * max_data_bytes + 1).
 *
 * Not thread-safe: one struct sse per connection, used by one thread.
 */
#ifndef MODERD_SSE_H
#define MODERD_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "moderd.h"

/* Why an event was dropped. */
enum sse_reject {
	SSE_REJECT_LINE, /* a line over max_line_bytes */
	SSE_REJECT_DATA, /* an event's data over max_data_bytes */
	SSE_REJECT_TYPE, /* an event type over MOD_MAX_SSE_TYPE_BYTES, or
	                    holding a NUL byte */
	SSE_REJECT_COUNT
};

/* One dispatched event; every pointer is borrowed for the callback only. */
struct sse_event {
	const char *type; /* the event: field, "message" when there was none */
	const char *data; /* data lines joined by '\n'; NUL-terminated */
	size_t      len; /* bytes in data (data may itself hold NULs) */
};

/* Called once per complete event, from inside sse_feed(). */
typedef void (*sse_event_fn)(void *arg, const struct sse_event *ev);

/* Called once per dropped event, from inside sse_feed(). */
typedef void (*sse_reject_fn)(void *arg, enum sse_reject why);

/*
 * Parser state.  Set up with sse_init(); the fields below the counters
 * are private.  Counters may be read between sse_feed() calls.
 */
struct sse {
	uint64_t events; /* events dispatched */
	uint64_t rejected; /* events dropped (reject callback calls) */

	sse_event_fn  on_event;
	sse_reject_fn on_reject;
	void         *arg;
	size_t        max_data_bytes;
	size_t        max_line_bytes;
	int           state; /* enum sse_state in sse.c */
	int           field; /* enum sse_field in sse.c */
	unsigned      bom; /* BOM bytes matched; 3 = start is done */
	bool          after_cr; /* last byte was CR: swallow one LF */
	bool          field_long; /* field name over MOD_MAX_SSE_FIELD_BYTES */
	size_t        line_len; /* bytes of the current line so far */
	size_t        field_len;
	char          field_name[MOD_MAX_SSE_FIELD_BYTES];
	size_t        type_len;
	char          type[MOD_MAX_SSE_TYPE_BYTES + 1];
	size_t        data_lines; /* data fields seen in this event */
	struct buf    data;
};

/*
 * sse_init: set up s for a new stream.  on_event is required; on_reject
 * may be NULL.  max_data_bytes (>= 1) caps one event's data,
 * max_line_bytes (>= 1) one line without its line end; the daemon uses
 * MOD_MAX_EVENT_BYTES and MOD_MAX_SSE_LINE_BYTES.  Free with sse_free().
 */
void sse_init(struct sse *s, size_t max_data_bytes, size_t max_line_bytes,
    sse_event_fn on_event, sse_reject_fn on_reject, void *arg);

/*
 * sse_feed: parse the next len bytes of the stream (borrowed), calling
 * the callbacks for every event completed or dropped on the way.  Input
 * that does not end an event is kept for the next call.  Never fails.
 */
void sse_feed(struct sse *s, const char *p, size_t len);

/*
 * sse_reset: forget any partial line and event, as at the start of a new
 * stream (a reconnect); counters and callbacks are kept.  Per the
 * standard, an event cut off by the end of a stream is never dispatched.
 */
void sse_reset(struct sse *s);

/* sse_free: release the data buffer.  NULL-safe; s may be sse_init()ed
 * again afterwards. */
void sse_free(struct sse *s);

#endif /* MODERD_SSE_H */
