/*
 * rule_match.c - evaluate a ruleset over one event's fields.
 *
 * Two methods give the same verdicts:
 *
 *   naive    every test of every rule, each regex by PCRE2 JIT in turn;
 *   moderd   one Hyperscan scan per target string reports which patterns
 *            can match; only the rules those patterns belong to (plus the
 *            few rules Hyperscan cannot help with) are evaluated, exact
 *            patterns are taken at Hyperscan's word, and only prefilter
 *            candidates are confirmed with PCRE2.
 *
 * A rule's outcome is a function of its tests' values alone, so the order
 * in which a method learns them does not matter: a rule misses if any
 * match/when test is false; otherwise it is unevaluated if any of those
 * hit a regex limit; otherwise it misses if any unless test is true;
 * otherwise it is unevaluated if an unless test hit a limit; otherwise it
 * hits.  Per-pattern results are memoised per event with a generation
 * counter, so nothing is cleared between events.
 *
 * The matcher owns its verdict storage; a verdict is valid until the next
 * run.  One matcher per thread.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rule_impl.h"
#include "util.h"

/* Cache lines of an event's strings asked for at once (rule_match_prefetch).
 */
#define RULE_MATCH_PREFETCH_LINES 64

struct rule_loc {
	size_t elem, off, len;
	bool   known;
};

struct rule_matcher {
	struct ruleset           *rs;
	struct rule_regex_ctx    *re;
	struct rule_hs_scratch   *hs;
	const struct rule_fields *f;
	bool                      naive;
	uint64_t                  unscanned;
	uint32_t                  gen;
	uint32_t                 *pat_seen; /* == gen: Hyperscan reported it */
	uint32_t                 *pat_first_elem; /* where, first */
	size_t                   *pat_first_end; /* earliest end there */
	uint32_t                 *key_gen; /* == gen: key_mask valid */
	uint32_t                 *key_mask; /* keys found so far */
	uint32_t                 *pat_done; /* == gen: pat_res is valid */
	int8_t                   *pat_res; /* 1 match, 0 none, -1 limit */
	const char              **pat_reason;
	struct rule_loc          *pat_loc;
	uint32_t                 *rule_seen; /* == gen: queued */
	uint32_t                 *queue;
	uint64_t                 *qbits; /* rule_match_order_queue() */
	size_t                    nqueue;
	struct rule_hit          *hits;
	size_t                    nhits;
	struct rule_unevaluated  *uneval;
	size_t                    nuneval;
	struct rule_verdict       verdict;
	const struct rule_test   *uneval_test; /* test that hit a limit */
	uint32_t                  guard_gen[RULE_SLOT_COUNT]; /* == gen */
	struct rule_guard_stats   guard[RULE_SLOT_COUNT];
};

static bool rule_match_prefiltered(
    const struct rule_matcher *m, const struct rule_pattern *p);
static const struct rule_field *rule_match_field(
    const struct rule_matcher *m, const struct rule_pattern *p);

int
rule_matcher_new(struct ruleset *rs, struct rule_matcher **out)
{
	struct rule_matcher *m = xcalloc(1, sizeof(*m));
	size_t               np = rs->npats ? rs->npats : 1;
	size_t               nr = rs->nrules ? rs->nrules : 1;

	m->rs = ruleset_ref(rs);
	m->re = rule_regex_ctx_new(rs);
	m->hs = rule_hs_scratch_new(rs);
	m->pat_seen = xcalloc(np, sizeof(*m->pat_seen));
	m->pat_first_elem = xcalloc(np, sizeof(*m->pat_first_elem));
	m->pat_first_end = xcalloc(np, sizeof(*m->pat_first_end));
	m->key_gen = xcalloc(np, sizeof(*m->key_gen));
	m->key_mask = xcalloc(np, sizeof(*m->key_mask));
	m->pat_done = xcalloc(np, sizeof(*m->pat_done));
	m->pat_res = xcalloc(np, sizeof(*m->pat_res));
	m->pat_reason = xcalloc(np, sizeof(*m->pat_reason));
	m->pat_loc = xcalloc(np, sizeof(*m->pat_loc));
	m->rule_seen = xcalloc(nr, sizeof(*m->rule_seen));
	m->queue = xcalloc(nr, sizeof(*m->queue));
	m->qbits = xcalloc(nr / 64 + 1, sizeof(*m->qbits));
	m->hits = xcalloc(MOD_MAX_HITS_COUNT, sizeof(*m->hits));
	m->uneval = xcalloc(MOD_MAX_UNEVALUATED_COUNT, sizeof(*m->uneval));
	*out = m;
	return 0;
}

void
rule_matcher_free(struct rule_matcher *m)
{
	if (m == NULL)
		return;
	rule_regex_ctx_free(m->re);
	rule_hs_scratch_free(m->hs);
	free(m->pat_seen);
	free(m->pat_first_elem);
	free(m->pat_first_end);
	free(m->key_gen);
	free(m->key_mask);
	free(m->pat_done);
	free(m->pat_res);
	free(m->pat_reason);
	free(m->pat_loc);
	free(m->rule_seen);
	free(m->queue);
	free(m->qbits);
	free(m->hits);
	free(m->uneval);
	ruleset_unref(m->rs);
	free(m);
}

static const struct rule_field *
rule_match_field(const struct rule_matcher *m, const struct rule_pattern *p)
{
	return p->raw ? &m->f->raw[p->target] : &m->f->folded[p->target];
}

/*
 * Where PCRE2 may start.  Strings before the first one Hyperscan reported
 * hold no match (it never misses one).  In that string, for an exact
 * pattern Hyperscan's earliest match end E bounds the leftmost match: it
 * ends at or after E and spans at most max_width bytes, so it starts at
 * or after E - max_width.  Only the string skip applies to approximated
 * patterns.
 */
static void
rule_match_window(const struct rule_matcher *m, const struct rule_pattern *p,
    uint32_t pid, size_t *elem, size_t *start)
{
	const struct rule_str *v;
	size_t                 end;

	if (!rule_match_prefiltered(m, p) || p->mode == RULE_PAT_PCRE_ONLY
	    || m->pat_seen[pid] != m->gen)
		return;
	*elem = m->pat_first_elem[pid];
	end = m->pat_first_end[pid];
	if (p->mode != RULE_PAT_EXACT || p->max_width == UINT32_MAX
	    || end <= p->max_width)
		return;
	v = &rule_match_field(m, p)->v[*elem];
	*start = end - p->max_width;
	/* Back up to a code point boundary. */
	while (*start > 0 && *start < v->len
	    && ((unsigned char) v->s[*start] & 0xc0) == 0x80)
		(*start)--;
}

/* PCRE2 over every element: any match wins over any limit. */
static int
rule_match_pcre(struct rule_matcher *m, uint32_t pid)
{
	const struct rule_pattern *p = &m->rs->pats[pid];
	const struct rule_field   *fl = rule_match_field(m, p);
	struct rule_loc           *loc = &m->pat_loc[pid];
	size_t                     i = 0, start = 0, off, len;
	int                        rc, res = 0;

	rule_match_window(m, p, pid, &i, &start);
	for (; i < fl->n; i++, start = 0) {
		/* An empty value is an absent value: it never matches. */
		if (fl->v[i].len == 0)
			continue;
		rc = rule_regex_exec(m->re, p, fl->v[i].s, fl->v[i].len, start,
		    &off, &len, &m->pat_reason[pid]);
		if (rc == 1) {
			*loc = (struct rule_loc) { i, off, len, true };
			return 1;
		}
		if (rc < 0)
			res = -1;
	}
	return res;
}

/*
 * The pattern whose memoised result stands for pid: its canonical twin,
 * except in the naive method, which shares nothing between rules.
 */
static uint32_t
rule_match_pid(const struct rule_matcher *m, uint32_t pid)
{
	return m->naive ? pid : m->rs->pats[pid].canon;
}

static bool
rule_match_prefiltered(
    const struct rule_matcher *m, const struct rule_pattern *p)
{
	return !m->naive && m->rs->hs != NULL
	    && !(m->unscanned & (1ull << RULE_SLOT(p->target, p->raw)));
}

/* Whether p's guard lets it match this event (measured once per slot). */
static bool
rule_match_guard(struct rule_matcher *m, const struct rule_pattern *p)
{
	int slot = RULE_SLOT(p->target, p->raw);

	if (m->naive || p->guard == RULE_GUARD_NONE)
		return true;
	if (m->guard_gen[slot] != m->gen) {
		rule_guard_measure(rule_match_field(m, p), &m->guard[slot]);
		m->guard_gen[slot] = m->gen;
	}
	return rule_guard_may_match(p, &m->guard[slot]);
}

/* The value of pattern pid on this event (memoised). */
static int
rule_match_pattern(struct rule_matcher *m, uint32_t pid)
{
	const struct rule_pattern *p;
	int                        res;

	pid = rule_match_pid(m, pid);
	p = &m->rs->pats[pid];

	if (m->pat_done[pid] == m->gen)
		return m->pat_res[pid];
	m->pat_loc[pid].known = false;
	if (!rule_match_guard(m, p))
		res = 0;
	else if (!rule_match_prefiltered(m, p)
	    || p->mode == RULE_PAT_PCRE_ONLY)
		res = rule_match_pcre(m, pid);
	else if (m->pat_seen[pid] != m->gen)
		res = 0;
	else if (p->mode == RULE_PAT_EXACT)
		res = 1;
	else
		res = rule_match_pcre(m, pid);
	m->pat_done[pid] = m->gen;
	m->pat_res[pid] = (int8_t) res;
	return res;
}

static bool
rule_match_cmp(int64_t a, enum rule_op op, int64_t b)
{
	switch (op) {
	case RULE_OP_LT:
		return a < b;
	case RULE_OP_LE:
		return a <= b;
	case RULE_OP_GT:
		return a > b;
	case RULE_OP_GE:
		return a >= b;
	case RULE_OP_EQ:
		return a == b;
	case RULE_OP_NE:
		return a != b;
	}
	return false;
}

/* Non-regex tests; unknown values make a condition false. */
static bool
rule_match_cond(const struct rule_fields *f, const struct rule_test *t)
{
	switch (t->type) {
	case RULE_TEST_NUM:
		return (f->num_known & (1u << t->num))
		    && rule_match_cmp(f->num[t->num], t->op, t->value);
	case RULE_TEST_VISIBILITY:
		return f->visibility != RULE_VIS_UNKNOWN
		    && (t->mask & (1u << f->visibility));
	case RULE_TEST_KIND:
		return (t->mask & f->kind) != 0;
	case RULE_TEST_LOCAL:
		return f->local >= 0 && f->local == t->value;
	case RULE_TEST_REGEX:
		break;
	}
	return false;
}

/* 1 true, 0 false, -1 limit. */
static int
rule_match_test(struct rule_matcher *m, const struct rule_test *t)
{
	if (t->type != RULE_TEST_REGEX)
		return rule_match_cond(m->f, t);
	return rule_match_pattern(m, t->pat);
}

/* What a list of tests came to; lim is the first test that hit a limit. */
struct rule_sum {
	bool                    t, f;
	const struct rule_test *lim;
};

/*
 * Evaluate a list of tests, stopping at the first value that decides it
 * (stop_at: 0 for match/when, 1 for unless, -1 never: the naive method
 * evaluates everything).
 */
static void
rule_match_list(struct rule_matcher *m, const struct rule_test *tests,
    size_t n, int stop_at, struct rule_sum *sum)
{
	size_t i;
	int    res;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++) {
		res = rule_match_test(m, &tests[i]);
		if (res > 0)
			sum->t = true;
		else if (res == 0)
			sum->f = true;
		else if (sum->lim == NULL)
			sum->lim = &tests[i];
		if (res == stop_at)
			return;
	}
}

/* The outcome of one rule; see the essay at the top for the order. */
static enum rule_outcome
rule_match_rule(struct rule_matcher *m, const struct rule *r)
{
	struct rule_sum pos, veto;

	m->uneval_test = NULL;
	rule_match_list(m, r->tests, r->ntests, m->naive ? -1 : 0, &pos);
	if (!pos.f && !pos.lim)
		rule_match_list(
		    m, r->vetoes, r->nvetoes, m->naive ? -1 : 1, &veto);
	else if (m->naive)
		rule_match_list(m, r->vetoes, r->nvetoes, -1, &veto);
	if (pos.f)
		return RULE_MISS;
	if ((m->uneval_test = pos.lim) != NULL)
		return RULE_UNEVAL;
	if (veto.t)
		return RULE_MISS;
	return (m->uneval_test = veto.lim) != NULL ? RULE_UNEVAL : RULE_HIT;
}

/* The location of the first regex test of a rule that fired. */
static void
rule_match_locate(
    struct rule_matcher *m, const struct rule *r, struct rule_hit *h)
{
	uint32_t                 pid;
	const struct rule_test  *t = NULL;
	const struct rule_field *fl;
	struct rule_loc         *loc;
	size_t                   n;

	if (r->first_regex >= 0)
		t = &r->tests[r->first_regex];
	h->target = RULE_T_COUNT;
	if (t == NULL)
		return;
	h->target = t->target;
	h->raw = t->raw;
	pid = rule_match_pid(m, t->pat);
	loc = &m->pat_loc[pid];
	if (!loc->known && rule_match_pcre(m, pid) != 1)
		return;
	fl = rule_match_field(m, &m->rs->pats[pid]);
	h->elem = loc->elem;
	h->off = loc->off;
	h->len = loc->len;
	n = loc->len < MOD_MAX_EXCERPT_BYTES ? loc->len
	                                     : MOD_MAX_EXCERPT_BYTES;
	while (n > 0 && n < loc->len
	    && ((unsigned char) fl->v[loc->elem].s[loc->off + n] & 0xc0)
	        == 0x80)
		n--;
	memcpy(h->excerpt, fl->v[loc->elem].s + loc->off, n);
	h->excerpt[n] = '\0';
}

static void
rule_match_record(struct rule_matcher *m, uint32_t ri, enum rule_outcome out)
{
	const struct rule *r = &m->rs->rules[ri];
	struct rule_hit   *h;

	if (out == RULE_UNEVAL && m->nuneval < MOD_MAX_UNEVALUATED_COUNT) {
		struct rule_unevaluated *u = &m->uneval[m->nuneval++];

		u->rule = r->name;
		u->target
		    = m->uneval_test ? m->uneval_test->target : RULE_T_COUNT;
		u->reason = m->uneval_test
		    ? m->pat_reason[rule_match_pid(m, m->uneval_test->pat)]
		    : "limit";
	}
	if (out != RULE_HIT || m->nhits >= MOD_MAX_HITS_COUNT)
		return;
	h = &m->hits[m->nhits++];
	memset(h, 0, offsetof(struct rule_hit, excerpt) + 1);
	h->rule = r->name;
	h->group = r->group ? r->group : "";
	h->score = r->score;
	h->action = r->action;
	rule_match_locate(m, r, h);
}

/*
 * A key was found: true (with *pid) once every key of its pattern has
 * been, which makes the pattern a candidate.  Its place is not known.
 */
static bool
rule_match_key(struct rule_matcher *m, uint32_t id, uint32_t *pid)
{
	const struct rule_key *k = &m->rs->keys[id - m->rs->npats];

	*pid = k->pat;
	if (m->key_gen[k->pat] != m->gen) {
		m->key_gen[k->pat] = m->gen;
		m->key_mask[k->pat] = 0;
	}
	m->key_mask[k->pat] |= k->bit;
	if (m->key_mask[k->pat] != m->rs->pats[k->pat].keys_all)
		return false;
	m->key_gen[k->pat] = 0; /* report it once */
	return true;
}

/* Hyperscan reported canonical pattern pid: queue every rule using it. */
static void
rule_match_on_report(void *arg, uint32_t id, size_t elem, size_t end)
{
	struct rule_matcher *m = arg;
	uint32_t             pid = id, q, ri;

	if (id >= m->rs->npats && !rule_match_key(m, id, &pid))
		return;
	if (m->pat_seen[pid] == m->gen)
		return; /* rules queued already; keep the first place */
	m->pat_seen[pid] = m->gen;
	m->pat_first_elem[pid] = (uint32_t) elem;
	m->pat_first_end[pid] = end;
	q = pid;
	do {
		ri = m->rs->pats[q].rule;
		if (m->rule_seen[ri] != m->gen) {
			m->rule_seen[ri] = m->gen;
			m->queue[m->nqueue++] = ri;
		}
		q = m->rs->pats[q].next_dup;
	} while (q != pid);
}

/*
 * Put the queued rules in load order (verdicts list hits in that order)
 * through a bitmap: linear in the number of rules / 64, no comparisons.
 */
static void
rule_match_order_queue(struct rule_matcher *m)
{
	size_t   i, w, nw = (m->rs->nrules + 63) / 64;
	uint64_t bits;

	for (i = 0; i < m->nqueue; i++)
		m->qbits[m->queue[i] / 64] |= 1ull << (m->queue[i] % 64);
	m->nqueue = 0;
	for (w = 0; w < nw; w++) {
		for (bits = m->qbits[w]; bits; bits &= bits - 1)
			m->queue[m->nqueue++] = (uint32_t) (w * 64
			    + (size_t) __builtin_ctzll(bits));
		m->qbits[w] = 0;
	}
}

/* Advance the generation; on wrap-around clear the stamps. */
static void
rule_match_next_gen(struct rule_matcher *m)
{
	size_t np = m->rs->npats ? m->rs->npats : 1;
	size_t nr = m->rs->nrules ? m->rs->nrules : 1;

	if (++m->gen != 0)
		return;
	memset(m->pat_seen, 0, np * sizeof(*m->pat_seen));
	memset(m->key_gen, 0, np * sizeof(*m->key_gen));
	memset(m->pat_done, 0, np * sizeof(*m->pat_done));
	memset(m->rule_seen, 0, nr * sizeof(*m->rule_seen));
	memset(m->guard_gen, 0, sizeof(m->guard_gen));
	m->gen = 1;
}

/* Queue every rule (naive, or a slot Hyperscan could not scan). */
static void
rule_match_queue_all(struct rule_matcher *m)
{
	size_t i;

	for (i = 0; i < m->rs->nrules; i++)
		m->queue[i] = (uint32_t) i;
	m->nqueue = m->rs->nrules;
}

static void
rule_match_queue_prefiltered(struct rule_matcher *m)
{
	size_t i;

	(void) rule_hs_scan(
	    m->rs, m->hs, m->f, rule_match_on_report, m, &m->unscanned);
	if (m->unscanned) {
		rule_match_queue_all(m);
		return;
	}
	for (i = 0; i < m->rs->nalways; i++) {
		uint32_t                ri = m->rs->always[i];
		const struct rule_test *g = &m->rs->gates[i];

		/* A false match/when condition: the rule misses. */
		if (g->type != RULE_TEST_REGEX && !rule_match_cond(m->f, g))
			continue;
		if (m->rule_seen[ri] != m->gen) {
			m->rule_seen[ri] = m->gen;
			m->queue[m->nqueue++] = ri;
		}
	}
	rule_match_order_queue(m);
}

/*
 * rule_match_prefetch: ask for the cache lines of f and of its strings (up
 * to RULE_MATCH_PREFETCH_LINES) at once.  The scan reads one field per
 * slot with a Hyperscan call in between, so a view that has gone cold
 * (events matched long after they were normalised) would otherwise cost
 * its cache misses one after the other.
 */
static void
rule_match_prefetch(const struct rule_fields *f)
{
	const char *p = (const char *) f;
	size_t      off, t, i, lines = 0;

	for (off = 0; off < sizeof(*f); off += 64)
		__builtin_prefetch(p + off);
	for (t = 0; t < 2 * RULE_T_COUNT; t++) {
		const struct rule_field *fl = t < RULE_T_COUNT
		    ? &f->folded[t]
		    : &f->raw[t - RULE_T_COUNT];

		for (i = 0; i < fl->n && lines < RULE_MATCH_PREFETCH_LINES;
		     i++)
			for (off = 0; off < fl->v[i].len
			     && lines < RULE_MATCH_PREFETCH_LINES;
			     off += 64, lines++)
				__builtin_prefetch(fl->v[i].s + off);
	}
}

int
rule_matcher_run(struct rule_matcher *m, const struct rule_fields *f,
    unsigned flags, const struct rule_verdict **out)
{
	size_t   i;
	uint32_t ri;

	rule_match_prefetch(f);
	rule_match_next_gen(m);
	m->f = f;
	m->naive = (flags & RULE_MATCH_NAIVE) || m->rs->hs == NULL;
	m->unscanned = 0;
	m->nqueue = m->nhits = m->nuneval = 0;
	if (m->naive)
		rule_match_queue_all(m);
	else
		rule_match_queue_prefiltered(m);
	m->verdict.score = 0;
	m->verdict.action = RULE_A_NONE;
	for (i = 0; i < m->nqueue; i++) {
		ri = m->queue[i];
		rule_match_record(
		    m, ri, rule_match_rule(m, &m->rs->rules[ri]));
	}
	for (i = 0; i < m->nhits; i++) {
		m->verdict.score += m->hits[i].score;
		if (m->hits[i].action > m->verdict.action)
			m->verdict.action = m->hits[i].action;
	}
	m->verdict.hits = m->hits;
	m->verdict.nhits = m->nhits;
	m->verdict.uneval = m->uneval;
	m->verdict.nuneval = m->nuneval;
	m->f = NULL;
	*out = &m->verdict;
	return 0;
}

int
rule_matcher_eval_one(struct rule_matcher *m, const struct rule_fields *f,
    uint32_t ri, unsigned flags, int *outcome, const char **reason)
{
	const struct rule_verdict *v;
	size_t                     i;

	if (!(flags & RULE_MATCH_NAIVE)) {
		if (rule_matcher_run(m, f, flags, &v) != 0)
			return MOD_EINTERNAL;
		*outcome = RULE_MISS;
		for (i = 0; i < v->nhits; i++)
			if (v->hits[i].rule == m->rs->rules[ri].name)
				*outcome = RULE_HIT;
		for (i = 0; i < v->nuneval; i++)
			if (v->uneval[i].rule == m->rs->rules[ri].name) {
				*outcome = RULE_UNEVAL;
				*reason = v->uneval[i].reason;
			}
		return 0;
	}
	rule_match_next_gen(m);
	m->f = f;
	m->naive = true;
	*outcome = rule_match_rule(m, &m->rs->rules[ri]);
	if (*outcome == RULE_UNEVAL && m->uneval_test)
		*reason
		    = m->pat_reason[rule_match_pid(m, m->uneval_test->pat)];
	m->f = NULL;
	return 0;
}
