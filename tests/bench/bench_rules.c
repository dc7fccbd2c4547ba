/*
 * bench_rules.c - the rule-engine benchmark behind `make bench`.
 *
 *   bench_rules EVENTS.jsonl RULES10 RULES100 RULES1000 [--quick]
 *               [--moderctl PATH]
 *
 * Loads every event into memory as raw bytes, builds the normalised views
 * once, and prints one line per figure, each `bench WHAT key=value ...`:
 *
 *   bench load rules=1000 seconds=S cached_seconds=C
 *   bench match rules=R method=naive events_per_s=X
 *   bench match rules=R method=moderd events_per_s=X ratio_vs_naive=Y
 *   bench match-cold rules=R method=naive|moderd events_per_s=X
 *         [ratio_vs_naive=Y]
 *   bench pipeline rules=1000 events_per_s=X parse_only_events_per_s=P
 *         ratio_vs_parse_only=Z
 *   bench equivalence rules=1000 events=N mismatches=M
 *   bench memory rules=1000 peak_rss_kb=K
 *
 * plus informational lines (corpus, ruleset, verdicts, details).  The exit
 * status is 1 if naive and prefiltered verdicts differ on any event, or if
 * anything fails.
 *
 * Method: one thread, CLOCK_MONOTONIC, and for each rate the best of a few
 * passes over the same events (the machine is shared and noisy).  A pass
 * covers as many events as fit in about a second, so the slow naive method
 * is measured on a prefix of the corpus; the generator's events are drawn
 * independently, so a prefix is a fair sample.  The match figures time
 * rule_matcher_run() alone over pre-built views, in batches of
 * BENCH_MATCH_BATCH whose strings are read (untimed) just before: the
 * daemon and moderctl match each view right after building it, so it is
 * in the cache then, and both methods see their views alike (otherwise
 * the naive method's prefix of a few thousand views stays in the 32 MB
 * cache between passes while the moderd method's 100000 views come from
 * memory).  The match-cold figures leave that out: views from wherever
 * they are, as before.  The pipeline figure
 * times event_parse + event_view_build + rule_matcher_run + rule_decide
 * from raw bytes, against json_loadb + json_decref of the same bytes,
 * their passes alternating so that load from elsewhere hits both alike.
 * Peak memory is measured in a child `moderctl rules test` so this
 * program's own copies of the corpus do not count.  The pipeline figure
 * is taken before the views of the match figures are built: with those
 * 100000 views alive (300 MB, the heap left full of holes by building
 * them) glibc's malloc walked long free lists for the pipeline's larger
 * buffers and the pipeline ran a third slower than a daemon, which frees
 * each view after its event, ever runs it (jansson's small allocations,
 * the parse-only side, hardly noticed).
 *
 * The corpus, view, load and verdict-comparison helpers are shared with
 * tests/test_prefilter_equiv.c, which includes this file with
 * BENCH_RULES_NO_MAIN defined.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "moderd.h"
#include "rules.h"
#include "util.h"

/* Raw events: one allocation, split into lines. */
struct bench_corpus {
	char   *data;
	size_t  size;
	char  **line;
	size_t *len;
	size_t  n;
};

/* Pre-built views of the first n events. */
struct bench_views {
	struct event_view **v;
	size_t              n;
	size_t              bad; /* events that failed to parse or build */
};

/* Result of comparing naive and prefiltered verdicts event by event. */
struct bench_equiv {
	size_t events;
	size_t mismatches; /* events whose verdicts differ at all */
	size_t hit_events; /* events with at least one hit */
	size_t proposals; /* events with rule_decide() != none */
	size_t d_hits; /* hit count or rule names differ */
	size_t d_score;
	size_t d_action;
	size_t d_evidence; /* target, element, offset, length, excerpt */
	size_t d_uneval;
};

/* bench_corpus_read: read path whole and split it into lines (empty
 * lines skipped).  Returns 0 or a MOD_E* code. */
int bench_corpus_read(const char *path, struct bench_corpus *c) MOD_MUSTCHECK;
/* bench_corpus_split: as bench_corpus_read for a malloc'd buffer, which c
 * takes over. */
void bench_corpus_split(struct bench_corpus *c, char *data, size_t size);
void bench_corpus_free(struct bench_corpus *c);

/* bench_views_build: views of the first n events (n clamped). */
void bench_views_build(
    const struct bench_corpus *c, size_t n, struct bench_views *out);
void bench_views_free(struct bench_views *v);

/* bench_ruleset_load: ruleset_load() with event_example and an optional
 * cache directory; errors go to stderr. */
int bench_ruleset_load(const char *dir, const char *cache_dir,
    struct ruleset **out) MOD_MUSTCHECK;

/* bench_equivalence: run both methods over every view and compare. */
int bench_equivalence(struct ruleset *rs, const struct bench_views *v,
    struct bench_equiv *out) MOD_MUSTCHECK;

/* ---- corpus and views ------------------------------------------------- */

void
bench_corpus_split(struct bench_corpus *c, char *data, size_t size)
{
	size_t cap = 1024, i, start = 0;

	memset(c, 0, sizeof(*c));
	c->data = data;
	c->size = size;
	c->line = xreallocarray(NULL, cap, sizeof(*c->line));
	c->len = xreallocarray(NULL, cap, sizeof(*c->len));
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (i > start) {
			if (c->n == cap) {
				cap *= 2;
				c->line = xreallocarray(
				    c->line, cap, sizeof(*c->line));
				c->len = xreallocarray(
				    c->len, cap, sizeof(*c->len));
			}
			c->line[c->n] = data + start;
			c->len[c->n++] = i - start;
		}
		start = i + 1;
	}
}

int
bench_corpus_read(const char *path, struct bench_corpus *c)
{
	struct mod_err err;
	char          *data = NULL;
	size_t         len = 0;
	int            rv;

	memset(c, 0, sizeof(*c));
	err.msg[0] = '\0';
	rv = mod_read_file(path, (size_t) 1 << 32, &data, &len, &err);
	if (rv != 0) {
		fprintf(stderr, "bench: %s: %s\n", path,
		    err.msg[0] ? err.msg : mod_strerror(rv));
		return rv;
	}
	bench_corpus_split(c, data, len);
	return 0;
}

void
bench_corpus_free(struct bench_corpus *c)
{
	free(c->data);
	free(c->line);
	free(c->len);
	memset(c, 0, sizeof(*c));
}

/* View of one raw event; NULL (and a message for the first few) if bad. */
static struct event_view *
bench_view_one(const char *p, size_t len, size_t idx, size_t nbad)
{
	struct mod_err     err;
	struct event      *ev = NULL;
	struct event_view *view = NULL;

	err.msg[0] = '\0';
	if (event_parse(p, len, &ev, &err) != 0
	    || event_view_build(ev, &view, &err) != 0) {
		if (nbad < 5)
			fprintf(stderr, "bench: event %zu: %s\n", idx + 1,
			    err.msg);
		view = NULL;
	}
	event_free(ev);
	return view;
}

void
bench_views_build(
    const struct bench_corpus *c, size_t n, struct bench_views *out)
{
	struct event_view *view;
	size_t             i;

	memset(out, 0, sizeof(*out));
	if (n > c->n)
		n = c->n;
	out->v = xcalloc(n ? n : 1, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		view = bench_view_one(c->line[i], c->len[i], i, out->bad);
		if (view == NULL)
			out->bad++;
		else
			out->v[out->n++] = view;
	}
}

void
bench_views_free(struct bench_views *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		event_view_free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

int
bench_ruleset_load(
    const char *dir, const char *cache_dir, struct ruleset **out)
{
	struct ruleset_opts o;
	struct mod_errlist  el = { 0 };
	int                 rv;

	memset(&o, 0, sizeof(o));
	o.example = event_example;
	o.cache_dir = cache_dir;
	if ((rv = ruleset_load(dir, &o, out, &el)) != 0) {
		fprintf(stderr, "bench: %s: cannot load rules (%s)\n", dir,
		    mod_strerror(rv));
		mod_errlist_print(&el, stderr);
	}
	mod_errlist_free(&el);
	return rv;
}

/* ---- verdict comparison ------------------------------------------------ */

enum {
	BENCH_D_HITS = 1 << 0,
	BENCH_D_SCORE = 1 << 1,
	BENCH_D_ACTION = 1 << 2,
	BENCH_D_EVIDENCE = 1 << 3,
	BENCH_D_UNEVAL = 1 << 4
};

static unsigned
bench_hit_diff(const struct rule_hit *a, const struct rule_hit *b)
{
	unsigned d = 0;

	if (strcmp(a->rule, b->rule) != 0)
		return BENCH_D_HITS;
	if (a->score != b->score)
		d |= BENCH_D_SCORE;
	if (a->action != b->action)
		d |= BENCH_D_ACTION;
	if (a->target != b->target || a->raw != b->raw || a->elem != b->elem
	    || a->off != b->off || a->len != b->len
	    || strcmp(a->excerpt, b->excerpt) != 0
	    || strcmp(a->group, b->group) != 0)
		d |= BENCH_D_EVIDENCE;
	return d;
}

static int
bench_uneval_cmp(const void *x, const void *y)
{
	const struct rule_unevaluated *a = x, *b = y;
	int                            c;

	if ((c = strcmp(a->rule, b->rule)) != 0)
		return c;
	if (a->target != b->target)
		return a->target < b->target ? -1 : 1;
	return strcmp(a->reason, b->reason);
}

/* The unevaluated lists as sets (their order is not part of the API). */
static unsigned
bench_uneval_diff(const struct rule_verdict *a, const struct rule_verdict *b)
{
	static const size_t      max = MOD_MAX_UNEVALUATED_COUNT;
	struct rule_unevaluated *x, *y;
	unsigned                 d = 0;
	size_t                   i, n = a->nuneval;

	if (n != b->nuneval)
		return BENCH_D_UNEVAL;
	if (n == 0 || n > max)
		return n > max ? BENCH_D_UNEVAL : 0;
	x = xcalloc(n, sizeof(*x));
	y = xcalloc(n, sizeof(*y));
	memcpy(x, a->uneval, n * sizeof(*x));
	memcpy(y, b->uneval, n * sizeof(*y));
	qsort(x, n, sizeof(*x), bench_uneval_cmp);
	qsort(y, n, sizeof(*y), bench_uneval_cmp);
	for (i = 0; i < n && d == 0; i++)
		if (bench_uneval_cmp(&x[i], &y[i]) != 0)
			d = BENCH_D_UNEVAL;
	free(x);
	free(y);
	return d;
}

/* Bits of BENCH_D_* where the two verdicts differ; 0 if identical. */
static unsigned
bench_verdict_diff(const struct rule_verdict *a, const struct rule_verdict *b)
{
	unsigned d = bench_uneval_diff(a, b);
	size_t   i;

	if (a->score != b->score)
		d |= BENCH_D_SCORE;
	if (a->action != b->action)
		d |= BENCH_D_ACTION;
	if (a->nhits != b->nhits)
		return d | BENCH_D_HITS;
	for (i = 0; i < a->nhits && !(d & BENCH_D_HITS); i++)
		d |= bench_hit_diff(&a->hits[i], &b->hits[i]);
	return d;
}

static void
bench_equiv_count(struct bench_equiv *e, unsigned d)
{
	e->mismatches += d != 0;
	e->d_hits += (d & BENCH_D_HITS) != 0;
	e->d_score += (d & BENCH_D_SCORE) != 0;
	e->d_action += (d & BENCH_D_ACTION) != 0;
	e->d_evidence += (d & BENCH_D_EVIDENCE) != 0;
	e->d_uneval += (d & BENCH_D_UNEVAL) != 0;
}

/* Describe the first few mismatches on stderr (rule names only). */
static void
bench_equiv_report(size_t idx, unsigned d, const struct rule_verdict *n,
    const struct rule_verdict *m)
{
	size_t i;

	fprintf(stderr, "bench: view %zu differs (0x%x): naive", idx, d);
	for (i = 0; i < n->nhits; i++)
		fprintf(stderr, " %s", n->hits[i].rule);
	fprintf(stderr, " [%zu uneval] / moderd", n->nuneval);
	for (i = 0; i < m->nhits; i++)
		fprintf(stderr, " %s", m->hits[i].rule);
	fprintf(stderr, " [%zu uneval]\n", m->nuneval);
}

int
bench_equivalence(
    struct ruleset *rs, const struct bench_views *v, struct bench_equiv *out)
{
	struct rule_matcher       *mn = NULL, *mm = NULL;
	const struct rule_verdict *vn, *vm;
	struct rule_thresholds     t;
	unsigned                   d;
	size_t                     i;
	int                        rv;

	memset(out, 0, sizeof(*out));
	rule_thresholds_default(&t);
	if ((rv = rule_matcher_new(rs, &mn)) != 0
	    || (rv = rule_matcher_new(rs, &mm)) != 0)
		goto out;
	for (i = 0; i < v->n; i++) {
		const struct rule_fields *f = event_view_fields(v->v[i]);

		if ((rv = rule_matcher_run(mn, f, RULE_MATCH_NAIVE, &vn)) != 0
		    || (rv = rule_matcher_run(mm, f, 0, &vm)) != 0)
			goto out;
		out->events++;
		out->hit_events += vm->nhits > 0;
		out->proposals += rule_decide(&t, vm) != RULE_A_NONE;
		if ((d = bench_verdict_diff(vn, vm)) != 0
		    && out->mismatches < 5)
			bench_equiv_report(i, d, vn, vm);
		bench_equiv_count(out, d);
	}
out:
	rule_matcher_free(mn);
	rule_matcher_free(mm);
	return rv;
}

#ifndef BENCH_RULES_NO_MAIN

/* ---- timing ------------------------------------------------------------ */

#define BENCH_PASS_SECONDS 1.0 /* target length of one timed pass */
#define BENCH_QUICK_SECONDS 0.2
#define BENCH_REPS 3 /* passes per figure; best counts */
#define BENCH_PAIR_REPS 3 /* alternating passes for a ratio, at least */
#define BENCH_QUICK_EVENTS 5000 /* corpus prefix with --quick */
#define BENCH_MATCH_BATCH 32 /* views read before each timed batch */
#define BENCH_CACHE_TEMPLATE "/tmp/bench_rules_cache.XXXXXX"

struct bench_opts {
	const char *events;
	const char *dirs[3];
	const char *moderctl;
	bool        quick;
	double      pass_seconds;
	int         reps;
};

static const unsigned bench_sizes[3] = { 10, 100, 1000 };

static double
bench_now(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* One timed pass of some work over items [0, n). */
typedef int (*bench_pass_fn)(void *arg, size_t n, double *secs);

/*
 * bench_calibrate: the prefix of the max items that fn covers in about
 * o->pass_seconds (fn runs a few times on growing prefixes to warm up).
 */
static int
bench_calibrate(const struct bench_opts *o, bench_pass_fn fn, void *arg,
    size_t max, size_t *used)
{
	double secs = 0;
	size_t n = max < 16 ? max : 16;
	int    rv;

	*used = 0;
	if (max == 0)
		return MOD_EINVAL;
	for (;;) { /* warm up and calibrate */
		if ((rv = fn(arg, n, &secs)) != 0)
			return rv;
		if (n == max || secs >= o->pass_seconds / 8)
			break;
		n = n * 8 < max ? n * 8 : max;
	}
	if (secs < o->pass_seconds && n < max) {
		double want = (double) n * o->pass_seconds / (secs + 1e-9);

		n = want < (double) max ? (size_t) want : max;
	}
	*used = n;
	return 0;
}

/* bench_best: one more timed pass of fn over n items into *best. */
static int
bench_best(bench_pass_fn fn, void *arg, size_t n, double *best)
{
	double secs;
	int    rv;

	if ((rv = fn(arg, n, &secs)) != 0)
		return rv;
	*best = secs < *best ? secs : *best;
	return 0;
}

static double
bench_per_s(size_t n, double secs)
{
	return (double) n / (secs > 1e-9 ? secs : 1e-9);
}

/*
 * bench_rate: items per second of the best of o->reps passes, each over a
 * prefix of the max items sized to take about o->pass_seconds.  The
 * prefix length is returned in *used.
 */
static int
bench_rate(const struct bench_opts *o, bench_pass_fn fn, void *arg, size_t max,
    double *rate, size_t *used)
{
	double best = 1e300;
	int    rv, i;

	*rate = 0;
	if ((rv = bench_calibrate(o, fn, arg, max, used)) != 0)
		return rv;
	for (i = 0; i < o->reps; i++)
		if ((rv = bench_best(fn, arg, *used, &best)) != 0)
			return rv;
	*rate = bench_per_s(*used, best);
	return 0;
}

/*
 * bench_rate_pair: as bench_rate for two kinds of work whose rates are
 * compared, with their passes alternating (at least BENCH_PAIR_REPS of
 * each), so that a burst of load on the shared machine slows both alike
 * instead of skewing their ratio.
 */
static int
bench_rate_pair(const struct bench_opts *o, bench_pass_fn fn[2], void *arg,
    size_t max, double rate[2], size_t used[2])
{
	double best[2] = { 1e300, 1e300 };
	int    rv, i, k;

	for (k = 0; k < 2; k++) {
		rate[k] = 0;
		if ((rv = bench_calibrate(o, fn[k], arg, max, &used[k])) != 0)
			return rv;
	}
	for (i = 0; i < o->reps || i < BENCH_PAIR_REPS; i++)
		for (k = 0; k < 2; k++)
			if ((rv = bench_best(fn[k], arg, used[k], &best[k])))
				return rv;
	for (k = 0; k < 2; k++)
		rate[k] = bench_per_s(used[k], best[k]);
	return 0;
}

struct bench_match_arg {
	struct rule_matcher      *m;
	const struct bench_views *v;
	unsigned                  flags;
	bool                      cold; /* no batches read before */
};

/* Read every string of f, as building it would have left it cached. */
static unsigned
bench_touch(const struct rule_fields *f)
{
	const struct rule_field *fl = &f->folded[0];
	unsigned                 sum = 0;
	size_t                   k, i, j;

	for (k = 0; k < 2 * RULE_T_COUNT; k++, fl++) {
		if (k == RULE_T_COUNT)
			fl = &f->raw[0];
		for (i = 0; i < fl->n; i++) {
			for (j = 0; j < fl->v[i].len; j += 64)
				sum += (unsigned char) fl->v[i].s[j];
			if (fl->v[i].len > 0)
				sum += (unsigned char) fl->v[i]
				           .s[fl->v[i].len - 1];
		}
	}
	return sum;
}

/* Match views [i, e), timed. */
static int
bench_match_batch(struct bench_match_arg *a, size_t i, size_t e, double *secs)
{
	const struct rule_verdict *out;
	double                     t0 = bench_now();
	int                        rv;

	for (; i < e; i++) {
		rv = rule_matcher_run(
		    a->m, event_view_fields(a->v->v[i]), a->flags, &out);
		if (rv != 0)
			return rv;
	}
	*secs += bench_now() - t0;
	return 0;
}

static int
bench_match_pass(void *arg, size_t n, double *secs)
{
	struct bench_match_arg *a = arg;
	volatile unsigned       sink = 0;
	size_t                  i, k, e, b = a->cold ? n : BENCH_MATCH_BATCH;
	int                     rv;

	*secs = 0;
	for (i = 0; i < n; i = e) {
		e = n - i < b ? n : i + b;
		for (k = i; k < e && !a->cold; k++)
			sink += bench_touch(event_view_fields(a->v->v[k]));
		if ((rv = bench_match_batch(a, i, e, secs)) != 0)
			return rv;
	}
	(void) sink;
	return 0;
}

struct bench_pipe_arg {
	const struct bench_corpus *c;
	struct rule_matcher       *m;
	struct rule_thresholds     t;
	size_t                     proposals;
};

/* parse + normalise + match + decide, as moderctl rules test does. */
static int
bench_pipe_one(struct bench_pipe_arg *a, size_t i)
{
	const struct rule_verdict *out;
	struct mod_err             err;
	struct event              *ev = NULL;
	struct event_view         *view = NULL;
	int                        rv;

	if ((rv = event_parse(a->c->line[i], a->c->len[i], &ev, &err)) != 0)
		goto out;
	if ((rv = event_view_build(ev, &view, &err)) != 0)
		goto out;
	if ((rv = rule_matcher_run(a->m, event_view_fields(view), 0, &out)))
		goto out;
	a->proposals += rule_decide(&a->t, out) != RULE_A_NONE;
out:
	event_view_free(view);
	event_free(ev);
	return rv;
}

static int
bench_pipe_pass(void *arg, size_t n, double *secs)
{
	struct bench_pipe_arg *a = arg;
	double                 t0 = bench_now();
	size_t                 i;
	int                    rv;

	for (i = 0; i < n; i++)
		if ((rv = bench_pipe_one(a, i)) != 0)
			return rv;
	*secs = bench_now() - t0;
	return 0;
}

static int
bench_parse_pass(void *arg, size_t n, double *secs)
{
	struct bench_pipe_arg *a = arg;
	json_error_t           jerr;
	json_t                *root;
	double                 t0 = bench_now();
	size_t                 i;

	for (i = 0; i < n; i++) {
		root = json_loadb(a->c->line[i], a->c->len[i],
		    JSON_REJECT_DUPLICATES, &jerr);
		if (root == NULL)
			return MOD_EINVAL;
		json_decref(root);
	}
	*secs = bench_now() - t0;
	return 0;
}

/* ---- figures -------------------------------------------------------------
 */

static void
bench_print_ruleset(unsigned size, const struct ruleset *rs)
{
	size_t p, e, f, o;

	ruleset_stats(rs, &p, &e, &f, &o);
	printf("bench ruleset rules=%u loaded=%zu patterns=%zu exact=%zu "
	       "prefilter=%zu pcre_only=%zu\n",
	    size, ruleset_count(rs), p, e, f, o);
}

/* Proposals and hits of the prefiltered method over every view. */
static int
bench_verdicts(
    unsigned size, struct rule_matcher *m, const struct bench_views *v)
{
	const struct rule_verdict *out;
	struct rule_thresholds     t;
	size_t                     i, prop = 0, hitev = 0, hits = 0;
	int                        rv;

	rule_thresholds_default(&t);
	for (i = 0; i < v->n; i++) {
		rv = rule_matcher_run(m, event_view_fields(v->v[i]), 0, &out);
		if (rv != 0)
			return rv;
		prop += rule_decide(&t, out) != RULE_A_NONE;
		hitev += out->nhits > 0;
		hits += out->nhits;
	}
	printf("bench verdicts rules=%u events=%zu proposals=%zu "
	       "proposal_rate=%.4f hit_events=%zu hits=%zu\n",
	    size, v->n, prop, v->n ? (double) prop / (double) v->n : 0.0,
	    hitev, hits);
	return 0;
}

/* The match figures again with views as they come (a->m set up). */
static int
bench_match_cold(const struct bench_opts *o, unsigned size,
    struct bench_match_arg *a, const struct bench_views *v)
{
	double naive, fast;
	size_t nn, nf;
	int    rv;

	a->cold = true;
	a->flags = RULE_MATCH_NAIVE;
	if ((rv = bench_rate(o, bench_match_pass, a, v->n, &naive, &nn)))
		return rv;
	a->flags = 0;
	if ((rv = bench_rate(o, bench_match_pass, a, v->n, &fast, &nf)))
		return rv;
	printf("bench match-cold rules=%u method=naive events_per_s=%.0f\n",
	    size, naive);
	printf("bench match-cold rules=%u method=moderd events_per_s=%.0f "
	       "ratio_vs_naive=%.1f\n",
	    size, fast, fast / naive);
	a->cold = false;
	return 0;
}

static int
bench_match(const struct bench_opts *o, unsigned size, struct ruleset *rs,
    const struct bench_views *v)
{
	struct bench_match_arg a = { NULL, v, RULE_MATCH_NAIVE, false };
	double                 naive, fast;
	size_t                 nn, nf;
	int                    rv;

	if ((rv = rule_matcher_new(rs, &a.m)) != 0)
		return rv;
	if ((rv = bench_rate(o, bench_match_pass, &a, v->n, &naive, &nn)))
		goto out;
	printf("bench match rules=%u method=naive events_per_s=%.0f\n", size,
	    naive);
	fflush(stdout);
	a.flags = 0;
	if ((rv = bench_rate(o, bench_match_pass, &a, v->n, &fast, &nf)))
		goto out;
	printf("bench match rules=%u method=moderd events_per_s=%.0f "
	       "ratio_vs_naive=%.1f\n",
	    size, fast, fast / naive);
	printf("bench match-sample rules=%u naive_events=%zu "
	       "moderd_events=%zu\n",
	    size, nn, nf);
	fflush(stdout);
	if ((rv = bench_match_cold(o, size, &a, v)) != 0)
		goto out;
	rv = bench_verdicts(size, a.m, v);
	fflush(stdout);
out:
	rule_matcher_free(a.m);
	return rv;
}

static int
bench_pipeline(const struct bench_opts *o, struct ruleset *rs,
    const struct bench_corpus *c, size_t max)
{
	bench_pass_fn         fn[2] = { bench_pipe_pass, bench_parse_pass };
	struct bench_pipe_arg a;
	double                rate[2];
	size_t                used[2];
	int                   rv;

	memset(&a, 0, sizeof(a));
	a.c = c;
	rule_thresholds_default(&a.t);
	if ((rv = rule_matcher_new(rs, &a.m)) != 0)
		return rv;
	if ((rv = bench_rate_pair(o, fn, &a, max, rate, used)) != 0)
		goto out;
	printf("bench pipeline rules=1000 events_per_s=%.0f "
	       "parse_only_events_per_s=%.0f ratio_vs_parse_only=%.2f\n",
	    rate[0], rate[1], rate[0] / rate[1]);
	printf("bench pipeline-sample rules=1000 pipeline_events=%zu "
	       "parse_events=%zu\n",
	    used[0], used[1]);
	fflush(stdout);
out:
	rule_matcher_free(a.m);
	return rv;
}

/* Remove the (flat) cache directory and the files in it. */
static void
bench_rm_cache(const char *dir)
{
	char           path[MOD_MAX_PATH_BYTES];
	struct dirent *de;
	DIR           *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0
		    || strcmp(de->d_name, "..") == 0)
			continue;
		(void) snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		(void) unlink(path);
	}
	(void) closedir(d);
	(void) rmdir(dir);
}

/* Cold load into an empty cache directory, then a load from it. */
static int
bench_load(const struct bench_opts *o, const char *cache, struct ruleset **out)
{
	struct ruleset *rs = NULL;
	double          t0, cold, warm;
	int             rv;

	t0 = bench_now();
	if ((rv = bench_ruleset_load(o->dirs[2], cache, &rs)) != 0)
		return rv;
	cold = bench_now() - t0;
	if (ruleset_cache_hit(rs))
		fprintf(stderr, "bench: warning: cold load hit the cache\n");
	ruleset_unref(rs);
	t0 = bench_now();
	if ((rv = bench_ruleset_load(o->dirs[2], cache, out)) != 0)
		return rv;
	warm = bench_now() - t0;
	if (!ruleset_cache_hit(*out))
		fprintf(stderr,
		    "bench: warning: second load missed the "
		    "cache\n");
	printf("bench load rules=1000 seconds=%.3f cached_seconds=%.3f\n",
	    cold, warm);
	bench_print_ruleset(1000, *out);
	fflush(stdout);
	return 0;
}

/*
 * Peak RSS of a child `moderctl ARGS >/dev/null`.  Linux keeps a process's
 * high-water RSS across exec, and a forked child starts with the parent's
 * resident pages, so this runs before the corpus is loaded: the floor is
 * this program's small start-up RSS (printed as memory-floor).
 */
static int
bench_child_rss(
    const struct bench_opts *o, const char *const *args, long *kb, int *status)
{
	struct rusage ru;
	char         *argv[8];
	pid_t         pid;
	size_t        i;
	int           fd;

	for (i = 0; args[i] != NULL && i + 1 < nitems(argv); i++)
		argv[i] = xstrdup(args[i]); /* execv wants char *const[] */
	argv[i] = NULL;
	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			(void) dup2(fd, STDOUT_FILENO);
		execv(o->moderctl, argv);
		_exit(127);
	}
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	if (pid == -1)
		return MOD_EIO;
	memset(&ru, 0, sizeof(ru));
	if (wait4(pid, status, 0, &ru) != pid)
		return MOD_EIO;
	*kb = ru.ru_maxrss;
	return WIFEXITED(*status) && WEXITSTATUS(*status) == 0 ? 0 : MOD_EIO;
}

static int
bench_memory(const struct bench_opts *o)
{
	const char *test[]
	    = { "moderctl", "rules", "test", o->dirs[2], o->events, NULL };
	const char *check[]
	    = { "moderctl", "rules", "check", "--no-cache", o->dirs[2], NULL };
	struct rusage self;
	double        t0 = bench_now();
	long          kb = 0;
	int           st = 0, rv, e;

	if (o->moderctl == NULL) {
		fprintf(stderr,
		    "bench: no moderctl (set MODERCTL or pass "
		    "--moderctl); memory skipped\n");
		return MOD_ENOENT;
	}
	(void) getrusage(RUSAGE_SELF, &self);
	printf("bench memory-floor parent_rss_kb=%ld\n", self.ru_maxrss);
	rv = bench_child_rss(o, test, &kb, &st);
	printf("bench memory rules=1000 peak_rss_kb=%ld\n", kb);
	printf("bench memory-run rules=1000 exit=%d seconds=%.1f\n",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1, bench_now() - t0);
	fflush(stdout);
	if (o->quick)
		return rv;
	t0 = bench_now();
	e = bench_child_rss(o, check, &kb, &st);
	printf("bench memory-compile rules=1000 peak_rss_kb=%ld seconds=%.1f "
	       "exit=%d\n",
	    kb, bench_now() - t0, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
	return rv ? rv : e;
}

static int
bench_equiv_figure(struct ruleset *rs, const struct bench_views *v)
{
	struct bench_equiv e;
	double             t0 = bench_now();
	int                rv;

	if ((rv = bench_equivalence(rs, v, &e)) != 0)
		return rv;
	printf("bench equivalence rules=1000 events=%zu mismatches=%zu\n",
	    e.events, e.mismatches);
	printf("bench equivalence-detail rules=1000 hits=%zu score=%zu "
	       "action=%zu evidence=%zu uneval=%zu hit_events=%zu "
	       "proposals=%zu seconds=%.1f\n",
	    e.d_hits, e.d_score, e.d_action, e.d_evidence, e.d_uneval,
	    e.hit_events, e.proposals, bench_now() - t0);
	fflush(stdout);
	return e.mismatches == 0 ? 0 : MOD_EINTERNAL;
}

/* ---- main -------------------------------------------------------------- */

static int
bench_args(int argc, char **argv, struct bench_opts *o)
{
	int i, npos = 0;

	memset(o, 0, sizeof(*o));
	o->moderctl = getenv("MODERCTL");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			o->quick = true;
		else if (strcmp(argv[i], "--moderctl") == 0 && i + 1 < argc)
			o->moderctl = argv[++i];
		else if (npos == 0 && ++npos)
			o->events = argv[i];
		else if (npos < 4)
			o->dirs[npos++ - 1] = argv[i];
		else
			return MOD_EINVAL;
	}
	o->pass_seconds = o->quick ? BENCH_QUICK_SECONDS : BENCH_PASS_SECONDS;
	o->reps = o->quick ? 1 : BENCH_REPS;
	return npos == 4 ? 0 : MOD_EINVAL;
}

/* The views of the corpus (c read already), with the corpus line. */
static int
bench_corpus_figures(
    const struct bench_opts *o, struct bench_corpus *c, struct bench_views *v)
{
	double t0 = bench_now();

	bench_views_build(c, o->quick ? BENCH_QUICK_EVENTS : c->n, v);
	printf("bench corpus events=%zu bytes=%zu views=%zu bad=%zu "
	       "view_seconds=%.1f\n",
	    c->n, c->size, v->n, v->bad, bench_now() - t0);
	fflush(stdout);
	return v->bad == 0 && v->n > 0 ? 0 : MOD_EINVAL;
}

/* Every figure; 0, or the first error (later figures still run). */
static int
bench_run(const struct bench_opts *o, const char *cache)
{
	struct bench_corpus c;
	struct bench_views  v;
	struct ruleset     *rs = NULL, *r;
	int                 rv = 0, i, e;

	memset(&c, 0, sizeof(c));
	memset(&v, 0, sizeof(v));
	rv = bench_memory(o); /* first: see bench_child_rss() */
	if ((e = bench_corpus_read(o->events, &c)) != 0
	    || (e = bench_load(o, cache, &rs)) != 0) {
		rv = e;
		goto out;
	}
	/* Before the views exist: see the essay. */
	if ((e = bench_pipeline(o, rs, &c,
	         o->quick && c.n > BENCH_QUICK_EVENTS ? BENCH_QUICK_EVENTS
	                                              : c.n))
	    != 0)
		rv = e;
	if ((e = bench_corpus_figures(o, &c, &v)) != 0) {
		rv = e;
		goto out;
	}
	for (i = 0; i < 3; i++) {
		r = i == 2 ? ruleset_ref(rs) : NULL;
		if (r == NULL
		    && (e = bench_ruleset_load(o->dirs[i], cache, &r)) != 0) {
			rv = rv ? rv : e;
			continue;
		}
		if (i < 2)
			bench_print_ruleset(bench_sizes[i], r);
		if ((e = bench_match(o, bench_sizes[i], r, &v)) != 0)
			rv = rv ? rv : e;
		ruleset_unref(r);
	}
	if ((e = bench_equiv_figure(rs, &v)) != 0)
		rv = rv ? rv : e;
out:
	ruleset_unref(rs);
	bench_views_free(&v);
	bench_corpus_free(&c);
	return rv;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	char              cache[] = BENCH_CACHE_TEMPLATE;
	int               rv;

	if (bench_args(argc, argv, &o) != 0) {
		fprintf(stderr,
		    "usage: bench_rules EVENTS.jsonl RULES10 "
		    "RULES100 RULES1000 [--quick] "
		    "[--moderctl PATH]\n");
		return 2;
	}
	if (mkdtemp(cache) == NULL) {
		fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	rv = bench_run(&o, cache);
	bench_rm_cache(cache);
	if (rv != 0)
		fprintf(stderr, "bench: failed: %s\n", mod_strerror(rv));
	return rv == 0 ? 0 : 1;
}

#endif /* BENCH_RULES_NO_MAIN */
