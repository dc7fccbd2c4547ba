/*
 * harness_pipe.h - a real pipeline (parser, rules, matcher threads,
 * writer) whose store stage is scripted by the test instead of writing
 * to PostgreSQL: it can be held shut (to prove an answer waits for the
 * store), made to fail (MOD_EDB), and it reports duplicates by dedup key
 * as the real queue does.  Used by the intake and HTTP tests.
 */
#ifndef HARNESS_PIPE_H
#define HARNESS_PIPE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define HARNESS_PIPE_KEYS_COUNT 4096

struct harness_pipe {
	struct conf     *conf;
	struct ruleset  *rs;
	struct pipeline *p;
	pthread_mutex_t  mu;
	pthread_cond_t   cv;
	bool             shut; /* the store waits while true */
	bool             fail; /* the store fails (MOD_EDB) while true */
	size_t           waiting; /* store calls held at the gate */
	size_t           stored; /* proposals stored (not duplicates) */
	size_t           dups; /* duplicates reported */
	size_t           rejected; /* dead letters stored */
	char            *keys[HARNESS_PIPE_KEYS_COUNT];
	size_t           nkeys;
};

/*
 * The rule every test event is matched with: TEST_SPAM scores 5 (flag)
 * on "buy now" in the text.
 */
extern const char harness_pipe_rules[];

/*
 * harness_pipe_start: load conf_text (moderd.conf syntax) and the test
 * rule, start the pipeline.  Returns 0 or a MOD_E* code (and prints).
 */
int harness_pipe_start(struct harness_pipe *hp, const char *conf_text);

/* harness_pipe_stop: drain and free the pipeline; frees everything. */
void harness_pipe_stop(struct harness_pipe *hp);

/* harness_pipe_shut: hold (true) or release (false) the store. */
void harness_pipe_shut(struct harness_pipe *hp, bool shut);

/* harness_pipe_fail: make the store fail (true) or work (false). */
void harness_pipe_fail(struct harness_pipe *hp, bool fail);

/*
 * harness_pipe_wait: wait up to ms for *field (stored, rejected, waiting,
 * ...) of hp to reach at least n; true if it did.
 */
bool harness_pipe_wait(
    struct harness_pipe *hp, const size_t *field, size_t n, int ms);

/* harness_pipe_count: *field read under the lock. */
size_t harness_pipe_count(struct harness_pipe *hp, const size_t *field);

/*
 * harness_pipe_event: a status.created event (malloc'd JSON) for status
 * id with content text (HTML-safe ASCII; "buy now" makes it a proposal).
 */
char *harness_pipe_event(const char *id, const char *text);

#endif /* HARNESS_PIPE_H */
