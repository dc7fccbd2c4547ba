/*
 * intake.h - the nng intake sockets: one per `intake` block of the
 * configuration (moderd.conf(5)), all feeding one pipeline.
 *
 *   pull  listen; every message is submitted, waiting for room in the
 *         pipeline (back-pressure: senders are held back, nothing is lost)
 *   sub   dial a publisher, subscribed to everything; a message that
 *         finds the pipeline full is dropped and counted (best effort)
 *   rep   listen with `contexts` requests at once; each request is
 *         answered only once the pipeline is done with it:
 *         {"ok":true,"status":"stored"|"duplicate"|"no_action"} or
 *         {"ok":false,"error":"invalid_event"|"too_large"|"unavailable",
 *          "message":"..."}; on "unavailable" the sender should retry.
 *
 * A message over MOD_MAX_EVENT_BYTES is rejected (counted as too_large;
 * rep answers too_large).  nng itself drops messages over
 * MOD_MAX_INTAKE_RECV_BYTES (16 MiB) before moderd sees them.
 */
#ifndef MODERD_INTAKE_H
#define MODERD_INTAKE_H

#include "moderd.h"

struct conf;
struct pipeline;
struct intake;

/*
 * intake_start: open, listen or dial every intake of c, feeding p.  c and
 * p are borrowed: c for the call only, p until intake_stop().  Returns 0
 * and *out, or MOD_EINVAL (bad address) or MOD_EIO (could not listen),
 * after logging which intake failed and closing the others.
 */
int intake_start(const struct conf *c, struct pipeline *p,
    struct intake **out) MOD_MUSTCHECK;

/*
 * intake_port: the TCP port the listening intake `name` is bound to
 * (useful with port 0).  Returns 0, MOD_ENOENT (no such intake) or
 * MOD_EINVAL (a sub intake, or not TCP).
 */
int intake_port(
    const struct intake *in, const char *name, int *port) MOD_MUSTCHECK;

/*
 * intake_stop: close every socket, wait until the pipeline has called
 * back for every event submitted (so call it before stopping the
 * pipeline), join the threads and free.  Rep requests in flight are
 * answered if their sender is still connected.  NULL-safe.
 */
void intake_stop(struct intake *in);

#endif /* MODERD_INTAKE_H */
