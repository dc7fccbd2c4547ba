/*
 * dispatch_impl.h - between the dispatch engine (dispatch.c) and the
 * Mastodon calls it makes (dispatch_call.c).  Private to those two.
 */
#ifndef MODERD_DISPATCH_IMPL_H
#define MODERD_DISPATCH_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "dispatch.h"

#define DISPATCH_RESULT_BYTES 256 /* result text of an applied item */

/* One worker's HTTP client: a libcurl easy handle reused per request. */
struct dispatch_call {
	void       *easy; /* CURL *; NULL when no mastodon_url is set */
	const char *base_url; /* borrowed: mastodon_url, no trailing '/' */
	const char *token; /* borrowed */
	int64_t     timeout_ms;
};

/* What one attempt came to, before the retry policy. */
struct dispatch_answer {
	int  outcome; /* enum dispatch_outcome */
	char result[DISPATCH_RESULT_BYTES];
	char error[MOD_MAX_DISPATCH_ERROR_BYTES];
	bool block; /* applied domain item: record it in blocks */
	bool has_id; /* mastodon_id holds Mastodon's id of the block */
	char mastodon_id[MOD_MAX_ID_BYTES + 1];
};

/*
 * dispatch_call_init: a client for base_url (without a trailing '/';
 * "" = none: domain items are recorded locally, nothing is sent) with
 * bearer token and a per-request timeout.  Strings borrowed for the
 * client's life.  Returns 0 or MOD_EIO (libcurl failed).
 */
int dispatch_call_init(struct dispatch_call *c, const char *base_url,
    const char *token, int64_t timeout_ms) MOD_MUSTCHECK;

/* dispatch_call_free: release the handle.  NULL-safe on c->easy. */
void dispatch_call_free(struct dispatch_call *c);

/*
 * dispatch_call_run: make the Mastodon call(s) item it stands for and
 * classify the answer into *a: applied (2xx; a domain block's 422 "already
 * imposed stricter limits" is "covered", or becomes an update of the
 * existing block on the same domain; a DELETE's 404 is "already gone"),
 * retry (network error, timeout, 408, 429, 5xx) or failed (any other
 * answer, or an item no released API can carry out).  Never logs
 * request or response bodies.
 */
void dispatch_call_run(struct dispatch_call *c, const struct dispatch_item *it,
    struct dispatch_answer *a);

#endif /* MODERD_DISPATCH_IMPL_H */
