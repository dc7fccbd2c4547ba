/*
 * stream.h - the Mastodon streaming client: remote public posts over
 * Server-Sent Events, handed to the pipeline.
 *
 * One thread per configured `stream` block holds a GET on its url
 * (normally /api/v1/streaming/public/remote) with the bearer token,
 * submits every `update` and `status.update` event (a bare Status JSON)
 * to the pipeline, and reconnects with exponential backoff and jitter
 * when the connection fails, ends or stalls.  TLS certificates are
 * verified.  See intake_stream.c for the details.
 */
#ifndef MODERD_STREAM_H
#define MODERD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "moderd.h"
#include "pipeline.h"

struct stream;

/* Counters of one stream since its start; a snapshot, see stream_stats(). */
struct stream_stats {
	uint64_t attempts; /* connection attempts */
	uint64_t connections; /* attempts answered 2xx text/event-stream */
	uint64_t reconnects; /* attempts after the first */
	uint64_t auth_failures; /* attempts answered 401 or 403 */
	uint64_t events; /* update/status.update events submitted */
	uint64_t ignored; /* other events (delete, notification, …) */
	uint64_t rejected; /* events dropped: oversized line, data or type,
	                      empty data, or refused by submit */
	uint64_t bytes; /* response body bytes received */
	uint64_t handled; /* submitted events done with rc 0 */
	uint64_t failed; /* submitted events done with rc != 0 */
	int64_t  backoff_ms; /* base delay (before jitter) of the latest
	                        wait before reconnecting; 0 before any */
};

/* The pipeline_submit() signature, for injecting another stage. */
typedef int (*stream_submit_fn)(struct pipeline *p, enum pipe_source src,
    const char *source_name, char *data, size_t len, bool block,
    pipe_done_fn done, void *arg);

/*
 * Optional settings; zero (or a NULL opts) means the default.
 *   submit: the stage to hand events to; default pipeline_submit.
 *   stall_ms: no bytes this long ends a connection; MOD_STREAM_STALL_MS.
 *     Rounded up to whole seconds; libcurl averages the rate over ~5 s,
 *     so detection may take that much longer.
 *   healthy_ms: a connection that received data for this long resets
 *     the backoff to reconnect_min_ms; MOD_STREAM_HEALTHY_MS.
 *   connect_timeout_ms: TCP and TLS set-up; MOD_STREAM_CONNECT_TIMEOUT_MS.
 */
struct stream_opts {
	stream_submit_fn submit;
	int64_t          stall_ms;
	int64_t          healthy_ms;
	int64_t          connect_timeout_ms;
};

/*
 * stream_start: start the client for sc, submitting to p (borrowed; must
 * outlive the stream) with source PIPE_SRC_STREAM and sc->name, block =
 * true.  sc is copied.  Returns 0 and *out, or MOD_EINVAL (url not
 * http:// or https://, a token with control characters, reconnect_min_ms
 * < 1 or over reconnect_max_ms) or MOD_EINTERNAL (libcurl or thread
 * set-up failed), logged, with *out NULL.  Connection problems are never
 * errors here: the thread logs them and retries.
 */
int stream_start(const struct conf_stream *sc, struct pipeline *p,
    struct stream **out) MOD_MUSTCHECK;

/* stream_start_opts: stream_start() with settings (opts may be NULL). */
int stream_start_opts(const struct conf_stream *sc, struct pipeline *p,
    const struct stream_opts *opts, struct stream **out) MOD_MUSTCHECK;

/*
 * stream_stop: abort the connection or the backoff wait, join the thread
 * and release the stream.  Returns promptly (no network wait), but waits
 * for a submit in progress to return.  Events already submitted complete
 * normally: their done callbacks stay safe after this returns.
 * NULL-safe; st is invalid afterwards.
 */
void stream_stop(struct stream *st);

/* stream_stats: a snapshot of st's counters into *out.  Thread-safe. */
void stream_stats(const struct stream *st, struct stream_stats *out);

#endif /* MODERD_STREAM_H */
