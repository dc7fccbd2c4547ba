/*
 * harness_pipe.c - a real pipeline with a scripted store stage (see
 * harness_pipe.h).  Everything but the database is the daemon's own
 * code: events are parsed, normalised and matched by the real matcher
 * threads, batched by the real writer, and the done callbacks come from
 * the pipeline exactly as in moderd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "harness_pipe.h"
#include "pipeline.h"
#include "rules.h"
#include "util.h"

const char harness_pipe_rules[] = "rule TEST_SPAM {\n"
                                  "\tmatch\ttext /\\bbuy now\\b/\n"
                                  "\tscore\t5.0\n"
                                  "}\n";

/* The outcome of one proposal: new, or a duplicate of an earlier key. */
static const char *
harness_pipe_dedup(struct harness_pipe *hp, const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < hp->nkeys; i++)
		if (strcmp(hp->keys[i], key) == 0) {
			hp->dups++;
			return PIPE_MSG_DUPLICATE;
		}
	if (key != NULL && hp->nkeys < HARNESS_PIPE_KEYS_COUNT)
		hp->keys[hp->nkeys++] = xstrdup(key);
	hp->stored++;
	return PIPE_MSG_STORED;
}

static int
harness_pipe_store(void *arg, struct pipe_result *const *res, size_t n)
{
	struct harness_pipe *hp = arg;
	size_t               i;

	pthread_mutex_lock(&hp->mu);
	hp->waiting++;
	pthread_cond_broadcast(&hp->cv);
	while (hp->shut)
		pthread_cond_wait(&hp->cv, &hp->mu);
	hp->waiting--;
	if (hp->fail) {
		pthread_mutex_unlock(&hp->mu);
		return MOD_EDB;
	}
	for (i = 0; i < n; i++) {
		if (res[i]->kind == PIPE_R_REJECT) {
			hp->rejected++;
			res[i]->outcome = res[i]->reason;
		} else
			res[i]->outcome
			    = harness_pipe_dedup(hp, res[i]->dedup_key);
	}
	pthread_cond_broadcast(&hp->cv);
	pthread_mutex_unlock(&hp->mu);
	return 0;
}

int
harness_pipe_start(struct harness_pipe *hp, const char *conf_text)
{
	struct mod_errlist  errs = { 0 };
	struct ruleset_opts ro = { 0 };
	int                 rv;

	memset(hp, 0, sizeof(*hp));
	pthread_mutex_init(&hp->mu, NULL);
	pthread_cond_init(&hp->cv, NULL);
	if ((rv = conf_load_buffer(
	         "test.conf", conf_text, strlen(conf_text), &hp->conf, &errs))
	        != 0
	    || (rv = ruleset_load_buffer("test.rules", harness_pipe_rules,
	            strlen(harness_pipe_rules), &ro, &hp->rs, &errs))
	        != 0
	    || (rv = pipeline_new(
	            hp->conf, hp->rs, harness_pipe_store, hp, &hp->p))
	        != 0) {
		mod_errlist_print(&errs, stderr);
		fprintf(stderr, "harness_pipe: %s\n", mod_strerror(rv));
	}
	mod_errlist_free(&errs);
	return rv;
}

void
harness_pipe_stop(struct harness_pipe *hp)
{
	size_t i;

	harness_pipe_shut(hp, false);
	pipeline_free(hp->p, 1000);
	ruleset_unref(hp->rs);
	conf_free(hp->conf);
	for (i = 0; i < hp->nkeys; i++)
		free(hp->keys[i]);
	pthread_mutex_destroy(&hp->mu);
	pthread_cond_destroy(&hp->cv);
	memset(hp, 0, sizeof(*hp));
}

void
harness_pipe_shut(struct harness_pipe *hp, bool shut)
{
	pthread_mutex_lock(&hp->mu);
	hp->shut = shut;
	pthread_cond_broadcast(&hp->cv);
	pthread_mutex_unlock(&hp->mu);
}

void
harness_pipe_fail(struct harness_pipe *hp, bool fail)
{
	pthread_mutex_lock(&hp->mu);
	hp->fail = fail;
	pthread_mutex_unlock(&hp->mu);
}

bool
harness_pipe_wait(
    struct harness_pipe *hp, const size_t *field, size_t n, int ms)
{
	struct timespec until;
	bool            ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&hp->mu);
	while (*field < n
	    && pthread_cond_timedwait(&hp->cv, &hp->mu, &until) != ETIMEDOUT)
		;
	ok = *field >= n;
	pthread_mutex_unlock(&hp->mu);
	return ok;
}

size_t
harness_pipe_count(struct harness_pipe *hp, const size_t *field)
{
	size_t n;

	pthread_mutex_lock(&hp->mu);
	n = *field;
	pthread_mutex_unlock(&hp->mu);
	return n;
}

char *
harness_pipe_event(const char *id, const char *text)
{
	static const char fmt[]
	    = "{\"event\":\"status.created\","
	      "\"created_at\":\"2026-02-17T08:00:03.512Z\","
	      "\"object\":{\"id\":\"%s\","
	      "\"created_at\":\"2026-02-17T08:00:03.000Z\","
	      "\"visibility\":\"public\",\"content\":\"<p>%s</p>\","
	      "\"account\":{\"id\":\"7\",\"username\":\"a\",\"acct\":\"a\","
	      "\"created_at\":\"2024-03-02T00:00:00.000Z\"}}}";
	size_t n = sizeof(fmt) + strlen(id) + strlen(text);
	char  *s = xmalloc(n);

	snprintf(s, n, fmt, id, text);
	return s;
}
