/*
 * queue_approve.h - approvals, one at a time, in batches, and grouped
 * across the API's worker threads (queue_approve.c).
 */
#ifndef MODERD_QUEUE_APPROVE_H
#define MODERD_QUEUE_APPROVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moderd.h"
#include "store.h"

struct json_t; /* jansson */

/* One approval to give: the input, then its outcome. */
struct queue_approval {
	int64_t         id;
	const char     *actor;
	const char     *comment; /* may be NULL */
	int             two_person; /* enum conf_two_person */
	int             rv; /* out: as queue_approve() returns */
	struct mod_err *err; /* out: the message of a refusal */
	bool            done; /* queue_group_approve(): rv is set */
	bool            want_item; /* read the item back, same transaction */
	struct json_t  *item; /* out: with want_item and rv 0, the item as
	                         committed (doc/api.md's ITEM; caller frees
	                         with json_decref), or NULL if not read */
};

/*
 * queue_approve_batch: the approvals a[0 .. n) in ONE transaction (one
 * commit, so one flush of the log for all of them), each checked on its
 * own exactly as queue_approve() does: a refused one changes nothing
 * and does not stop the others.  If the transaction fails (a database
 * error), each is tried again alone.  Sets a[i].rv, a[i].err and
 * a[i].item; n is at most MOD_MAX_APPROVE_GROUP_COUNT.  Returns only
 * after the commit (or the failure).
 */
void queue_approve_batch(struct store *db, struct queue_approval *a, size_t n);

/*
 * Approvals grouped across threads.  Every decision appends to the audit
 * chain, which serialises them until their commit is flushed; a group
 * makes one commit (one flush) for the approvals that arrive while the
 * previous group commits.  Each caller still returns only after its own
 * approval is committed (or refused).
 */
struct queue_group;

/* queue_group_new: an empty group (free with queue_group_free). */
struct queue_group *queue_group_new(void);
void                queue_group_free(struct queue_group *g);

/*
 * queue_group_approve: give approval a, grouped with those of other
 * threads; db is the caller's connection, used when this thread runs
 * the group.  Returns a->rv (0 or as queue_approve()).
 */
int queue_group_approve(struct queue_group *g, struct store *db,
    struct queue_approval *a) MOD_MUSTCHECK;

#endif /* MODERD_QUEUE_APPROVE_H */
