/*
 * ctl_client.h - moderctl's HTTP client for the daemon's /v1 API: one
 * JSON call at a time over libcurl, with a bearer token, a size cap on
 * every answer and timeouts on every call.
 */
#ifndef MODERD_CTL_CLIENT_H
#define MODERD_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "moderd.h"

struct ctl_client;

/* One answer. */
struct ctl_reply {
	long       status; /* the HTTP status */
	struct buf body; /* the body as received, NUL-terminated */
	json_t    *json; /* the body parsed, when it is JSON; else NULL */
};

/*
 * ctl_client_new: a client of the API at url ("http://host:port", a
 * trailing "/" is ignored; borrowed, copied) sending token (64 hex
 * characters; copied, may be NULL for none).  Returns 0 and *out (free
 * with ctl_client_free()), or MOD_EINVAL with err (a URL that is not
 * http:// or https://, or too long) or MOD_EINTERNAL (libcurl).
 */
int ctl_client_new(const char *url, const char *token, struct ctl_client **out,
    struct mod_err *err) MOD_MUSTCHECK;

/* ctl_client_free: release the client and wipe its token.  NULL-safe. */
void ctl_client_free(struct ctl_client *c);

/*
 * ctl_client_call: send method path (path and query, e.g.
 * "/v1/queue?state=all", already encoded) with body as the JSON request
 * body (borrowed; NULL: none), and read at most max_bytes of answer
 * within timeout_ms.  Returns 0 when an HTTP answer arrived, whatever
 * its status (rep filled; free it with ctl_reply_free()); MOD_ETOOBIG
 * (the answer is over max_bytes), MOD_ETIMEDOUT or MOD_EIO (no answer:
 * err says why).  rep is always initialised.
 */
int ctl_client_call(struct ctl_client *c, const char *method, const char *path,
    const json_t *body, size_t max_bytes, int64_t timeout_ms,
    struct ctl_reply *rep, struct mod_err *err) MOD_MUSTCHECK;

/* ctl_reply_free: release an answer.  NULL-safe; rep may be reused. */
void ctl_reply_free(struct ctl_reply *rep);

/*
 * ctl_reply_message: what went wrong, for an answer whose status is not
 * 2xx: the envelope's "message" (or "error"), else "HTTP STATUS".
 * Borrowed from rep.
 */
const char *ctl_reply_message(struct ctl_reply *rep);

/*
 * ctl_path_add: append "?name=value" (or "&name=value" when path already
 * has a query) to path, value percent-encoded.  Returns 0, MOD_ETOOBIG
 * (path's cap) or MOD_EINTERNAL.
 */
int ctl_path_add(
    struct buf *path, const char *name, const char *value) MOD_MUSTCHECK;

/* ctl_path_seg: append "/" and seg, percent-encoded, to path. */
int ctl_path_seg(struct buf *path, const char *seg) MOD_MUSTCHECK;

#endif /* MODERD_CTL_CLIENT_H */
