/*
 * pipeline_impl.h - shared by pipeline.c (queues and threads) and
 * pipeline_match.c (what happens to one event).  Not for other modules.
 */
#ifndef MODERD_PIPELINE_IMPL_H
#define MODERD_PIPELINE_IMPL_H

#include <stdint.h>

#include "pipeline.h"
#include "rules.h"

struct pipe_item;

/* A worker's matching state, rebuilt when the rules change. */
struct pipe_matcher {
	uint64_t               gen;
	struct rule_thresholds th;
	struct rule_matcher   *m;
};

enum pipe_done { PIPE_DONE_NO_ACTION, PIPE_DONE_STORE };

/* pipe_item_new: takes ownership of data. */
struct pipe_item *pipe_item_new(enum pipe_source src, const char *name,
    char *data, size_t len, pipe_done_fn done, void *arg);
void              pipe_item_free(struct pipe_item *it);
/* pipe_item_done: call the item's done callback once. */
void pipe_item_done(struct pipe_item *it, int rc, const char *msg);
/* pipe_item_result: the result the matcher stage left (borrowed). */
struct pipe_result *pipe_item_result(struct pipe_item *it);
/* pipe_item_rc: 0, or MOD_EINVAL for rejected input. */
int pipe_item_rc(const struct pipe_item *it);
/* pipe_item_sender_waits: true for rep and webhook events. */
bool pipe_item_sender_waits(const struct pipe_item *it);

/* pipe_matcher_reset: match with rs from now on (NULL: release). */
void pipe_matcher_reset(struct pipe_matcher *pm, struct ruleset *rs);

/* pipe_match: run one event through the rules, filling its result. */
enum pipe_done pipe_match(struct pipe_matcher *pm, struct pipe_item *it);

/* The items of a queue are linked through this field. */
struct pipe_item {
	struct pipe_item  *next;
	char              *data;
	size_t             len;
	enum pipe_source   src;
	char               name[MOD_MAX_ID_BYTES + 1];
	pipe_done_fn       done;
	void              *arg;
	int64_t            t0_ms;
	struct pipe_result res;
};

#endif /* MODERD_PIPELINE_IMPL_H */
