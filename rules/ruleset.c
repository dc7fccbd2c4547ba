/*
 * ruleset.c - load a directory of *.rules into an immutable, refcounted
 * ruleset.
 *
 * Loading is all-or-nothing: every file is parsed (every error collected),
 * rule names are checked for uniqueness across files, the prefilter is
 * built (or fetched from the cache), and every `expect` example is run
 * through both the PCRE2-only and the prefiltered path.  Any error leaves
 * the caller with nothing but the complete list of messages, so a reload
 * can keep the previous ruleset.  A finished ruleset is never modified, so
 * any number of threads may match against it; the last ruleset_unref()
 * frees it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rule_impl.h"
#include "util.h"

static void
ruleset_free_rule(struct rule *r)
{
	size_t i;

	for (i = 0; i < r->nexpects; i++)
		free(r->expects[i].text);
	free(r->expects);
	free(r->tests);
	free(r->vetoes);
	free(r->name);
	free(r->desc);
	free(r->group);
}

void
ruleset_free_contents(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		ruleset_free_rule(&rs->rules[i]);
	for (i = 0; i < rs->npats; i++) {
		rule_regex_free(&rs->pats[i]);
		free(rs->pats[i].src);
	}
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	rule_hs_free(rs->hs);
	rule_hs_free_keys(rs);
	free(rs->rules);
	free(rs->pats);
	free(rs->files);
	free(rs->always);
	free(rs->gates);
}

struct ruleset *
ruleset_ref(struct ruleset *rs)
{
	if (rs != NULL)
		atomic_fetch_add(&rs->refs, 1);
	return rs;
}

void
ruleset_unref(struct ruleset *rs)
{
	if (rs == NULL || atomic_fetch_sub(&rs->refs, 1) != 1)
		return;
	ruleset_free_contents(rs);
	free(rs);
}

size_t
ruleset_count(const struct ruleset *rs)
{
	return rs->nrules;
}

void
ruleset_names(const struct ruleset *rs, const char ***names, size_t *n)
{
	size_t i;

	*names = xcalloc(rs->nrules + 1, sizeof(**names));
	for (i = 0; i < rs->nrules; i++)
		(*names)[i] = rs->rules[i].name;
	*n = rs->nrules;
}

bool
ruleset_cache_hit(const struct ruleset *rs)
{
	return rs->cache_hit;
}

void
ruleset_stats(const struct ruleset *rs, size_t *patterns, size_t *exact,
    size_t *prefilter, size_t *pcre_only)
{
	size_t i;

	*patterns = rs->npats;
	*exact = *prefilter = *pcre_only = 0;
	for (i = 0; i < rs->npats; i++) {
		if (rs->pats[i].mode == RULE_PAT_EXACT)
			(*exact)++;
		else if (rs->pats[i].mode == RULE_PAT_PREFILTER
		    || rs->pats[i].mode == RULE_PAT_KEYS)
			(*prefilter)++;
		else
			(*pcre_only)++;
	}
}

static struct ruleset *
ruleset_new(const struct ruleset_opts *o)
{
	struct ruleset *rs = xcalloc(1, sizeof(*rs));

	atomic_init(&rs->refs, 1);
	rs->match_limit = o && o->match_limit ? o->match_limit
	                                      : MOD_DEFAULT_RE_MATCH_LIMIT;
	rs->depth_limit = o && o->depth_limit ? o->depth_limit
	                                      : MOD_DEFAULT_RE_DEPTH_LIMIT;
	rs->heap_limit_kib = o && o->heap_limit_kib
	    ? o->heap_limit_kib
	    : MOD_DEFAULT_RE_HEAP_LIMIT_KIB;
	return rs;
}

static const char *
ruleset_add_file(struct ruleset *rs, const char *name)
{
	rs->files
	    = xreallocarray(rs->files, rs->nfiles + 1, sizeof(*rs->files));
	rs->files[rs->nfiles] = xstrdup(name);
	return rs->files[rs->nfiles++];
}

static int
ruleset_name_cmp(const void *a, const void *b)
{
	const struct rule *x = *(const struct rule *const *) a;
	const struct rule *y = *(const struct rule *const *) b;
	int                c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* Report every rule whose name was already used (in load order). */
static int
ruleset_check_names(struct ruleset *rs, struct mod_errlist *errs)
{
	const struct rule **v;
	size_t              i;
	int                 rv = 0;

	if (rs->nrules < 2)
		return 0;
	v = xcalloc(rs->nrules, sizeof(*v));
	for (i = 0; i < rs->nrules; i++)
		v[i] = &rs->rules[i];
	qsort(v, rs->nrules, sizeof(*v), ruleset_name_cmp);
	for (i = 1; i < rs->nrules; i++)
		if (strcmp(v[i]->name, v[i - 1]->name) == 0) {
			mod_errlist_add(errs, v[i]->file, v[i]->line,
			    v[i]->col,
			    "duplicate rule name %s (first defined at %s:%d)",
			    v[i]->name, v[i - 1]->file, v[i - 1]->line);
			rv = MOD_EINVAL;
		}
	free(v);
	return rv;
}

/* Order patterns by (target, view, flags, source), then by index. */
static int
ruleset_pat_cmp(const void *a, const void *b)
{
	const struct rule_pattern *x = *(const struct rule_pattern *const *) a;
	const struct rule_pattern *y = *(const struct rule_pattern *const *) b;
	int                        c;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	if (x->raw != y->raw)
		return x->raw ? 1 : -1;
	if ((c = strcmp(x->flags, y->flags)) != 0)
		return c;
	if ((c = strcmp(x->src, y->src)) != 0)
		return c;
	return x < y ? -1 : x > y;
}

static bool
ruleset_pat_same(const struct rule_pattern *x, const struct rule_pattern *y)
{
	return x->target == y->target && x->raw == y->raw
	    && strcmp(x->flags, y->flags) == 0 && strcmp(x->src, y->src) == 0;
}

void
rule_dedup(struct ruleset *rs)
{
	struct rule_pattern **order;
	size_t                i;

	for (i = 0; i < rs->npats; i++)
		rs->pats[i].canon = rs->pats[i].next_dup = (uint32_t) i;
	if (rs->npats < 2)
		return;
	order = xcalloc(rs->npats, sizeof(*order));
	for (i = 0; i < rs->npats; i++)
		order[i] = &rs->pats[i];
	qsort(order, rs->npats, sizeof(*order), ruleset_pat_cmp);
	/* Equal patterns are adjacent, lowest index first: chain each one
	 * into its canonical pattern's circular list. */
	for (i = 1; i < rs->npats; i++)
		if (ruleset_pat_same(order[i], order[i - 1])) {
			order[i]->canon = order[i - 1]->canon;
			order[i]->next_dup = order[i - 1]->next_dup;
			order[i - 1]->next_dup
			    = (uint32_t) (order[i] - rs->pats);
		}
	free(order);
}

/* Cheapest first: conditions, then Hyperscan-decided, then PCRE2. */
static int
ruleset_test_cost(const struct ruleset *rs, const struct rule_test *t)
{
	if (t->type != RULE_TEST_REGEX)
		return 0;
	return 1 + (int) rs->pats[t->pat].mode;
}

/* Stable insertion sort by cost; lists are short (bounded). */
static void
ruleset_sort_tests(const struct ruleset *rs, struct rule_test *v, size_t n)
{
	struct rule_test t;
	size_t           i, j;

	for (i = 1; i < n; i++) {
		t = v[i];
		for (j = i; j > 0
		     && ruleset_test_cost(rs, &v[j - 1])
		         > ruleset_test_cost(rs, &t);
		     j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

/*
 * A rule's outcome does not depend on the order its tests are evaluated
 * in (see rule_match.c), so evaluate the cheap ones first; keep where the
 * first regex test as written went, since evidence is cut from it.
 */
static void
ruleset_order_tests(struct ruleset *rs)
{
	size_t i, k;

	for (i = 0; i < rs->nrules; i++) {
		struct rule *r = &rs->rules[i];
		int          line = -1, col = -1;

		for (k = 0; k < r->ntests && line < 0; k++)
			if (r->tests[k].type == RULE_TEST_REGEX) {
				line = r->tests[k].line;
				col = r->tests[k].col;
			}
		ruleset_sort_tests(rs, r->tests, r->ntests);
		ruleset_sort_tests(rs, r->vetoes, r->nvetoes);
		r->first_regex = -1;
		for (k = 0; k < r->ntests; k++)
			if (r->tests[k].type == RULE_TEST_REGEX
			    && r->tests[k].line == line
			    && r->tests[k].col == col)
				r->first_regex = (int) k;
	}
}

/* The gate of an always rule: a copy of its first match/when condition
 * that is not a regex, or a test of type RULE_TEST_REGEX (no gate). */
static void
ruleset_gate(const struct rule *r, struct rule_test *gate)
{
	size_t k;

	memset(gate, 0, sizeof(*gate));
	gate->type = RULE_TEST_REGEX;
	for (k = 0; k < r->ntests; k++)
		if (r->tests[k].type != RULE_TEST_REGEX) {
			*gate = r->tests[k];
			return;
		}
}

/* Rules that no Hyperscan report can bring into the queue. */
static void
ruleset_find_always(struct ruleset *rs)
{
	size_t i, k, n = rs->nrules ? rs->nrules : 1;

	rs->always = xcalloc(n, sizeof(*rs->always));
	rs->gates = xcalloc(n, sizeof(*rs->gates));
	for (i = 0; i < rs->nrules; i++) {
		struct rule *r = &rs->rules[i];
		bool         hs = false;

		for (k = 0; k < r->ntests && !hs; k++)
			hs = r->tests[k].type == RULE_TEST_REGEX
			    && rs->hs != NULL
			    && rs->pats[r->tests[k].pat].mode
			        != RULE_PAT_PCRE_ONLY;
		r->needs_always = !hs;
		if (hs)
			continue;
		ruleset_gate(r, &rs->gates[rs->nalways]);
		rs->always[rs->nalways++] = (uint32_t) i;
	}
}

struct ruleset_expect_ctx {
	struct rule_matcher *m;
	uint32_t             ri;
	int                  naive, pre;
	const char          *reason;
};

static int
ruleset_expect_check(void *arg, const struct rule_fields *f)
{
	struct ruleset_expect_ctx *c = arg;

	(void) rule_matcher_eval_one(
	    c->m, f, c->ri, RULE_MATCH_NAIVE, &c->naive, &c->reason);
	(void) rule_matcher_eval_one(c->m, f, c->ri, 0, &c->pre, &c->reason);
	return 0;
}

/* The kind an example event has: the first the rule admits. */
static unsigned
ruleset_example_kind(const struct rule *r)
{
	size_t   i;
	unsigned bit;

	for (i = 0; i < r->ntests; i++)
		if (r->tests[i].type == RULE_TEST_KIND)
			for (bit = 1; bit <= RULE_K_ACCOUNT_UPDATED; bit <<= 1)
				if (r->tests[i].mask & bit)
					return bit;
	return RULE_K_STATUS_CREATED;
}

static int
ruleset_run_expect(struct ruleset *rs, const struct ruleset_opts *o,
    struct rule_matcher *m, uint32_t ri, const struct rule_expect *e,
    struct mod_errlist *errs)
{
	const struct rule        *r = &rs->rules[ri];
	struct ruleset_expect_ctx c = { m, ri, RULE_MISS, RULE_MISS, NULL };
	int                       want = e->hit ? RULE_HIT : RULE_MISS;

	if (o->example(o->example_arg, e->text, strlen(e->text),
	        ruleset_example_kind(r), ruleset_expect_check, &c)
	    != 0) {
		mod_errlist_add(errs, r->file, e->line, e->col,
		    "rule %s: could not build the example event", r->name);
		return MOD_EINVAL;
	}
	if (c.naive == RULE_UNEVAL || c.pre == RULE_UNEVAL) {
		mod_errlist_add(errs, r->file, e->line, e->col,
		    "rule %s: expect %s could not be evaluated (%s)", r->name,
		    e->hit ? "hit" : "miss", c.reason ? c.reason : "limit");
		return MOD_EINVAL;
	}
	if (c.naive != c.pre) {
		mod_errlist_add(errs, r->file, e->line, e->col,
		    "rule %s: prefilter and PCRE2 disagree on this example "
		    "(please report this pattern)",
		    r->name);
		return MOD_EINVAL;
	}
	if (c.naive == want)
		return 0;
	mod_errlist_add(errs, r->file, e->line, e->col,
	    "rule %s: expect %s failed: example %s", r->name,
	    e->hit ? "hit" : "miss", e->hit ? "did not match" : "matched");
	return MOD_EINVAL;
}

static int
ruleset_run_expects(
    struct ruleset *rs, const struct ruleset_opts *o, struct mod_errlist *errs)
{
	struct rule_matcher *m = NULL;
	size_t               i, k;
	int                  rv = 0;

	if (o == NULL || o->example == NULL)
		return 0;
	if (rule_matcher_new(rs, &m) != 0)
		return MOD_EINTERNAL;
	for (i = 0; i < rs->nrules; i++)
		for (k = 0; k < rs->rules[i].nexpects; k++)
			if (ruleset_run_expect(rs, o, m, (uint32_t) i,
			        &rs->rules[i].expects[k], errs)
			    != 0)
				rv = MOD_EINVAL;
	rule_matcher_free(m);
	return rv;
}

/*
 * After parsing: names, prefilter, expects.  When parsing already failed
 * (prior != 0) the rules that did parse are still checked, without
 * building the prefilter, so one run reports every error.
 */
static int
ruleset_finish(struct ruleset *rs, const struct ruleset_opts *o,
    struct mod_errlist *errs, int prior)
{
	int rv = prior;

	if (ruleset_check_names(rs, errs) != 0)
		rv = MOD_EINVAL;
	rule_dedup(rs);
	if (rv == 0 && (o == NULL || !o->no_prefilter))
		(void) rule_hs_build(rs, o ? o->cache_dir : NULL);
	ruleset_order_tests(rs);
	ruleset_find_always(rs);
	if (ruleset_run_expects(rs, o, errs) != 0)
		rv = MOD_EINVAL;
	return rv;
}

int
ruleset_load_buffer(const char *name, const char *src, size_t len,
    const struct ruleset_opts *opts, struct ruleset **out,
    struct mod_errlist *errs)
{
	struct ruleset *rs = ruleset_new(opts);
	int             rv;

	*out = NULL;
	if (len > MOD_MAX_RULE_FILE_BYTES) {
		mod_errlist_add(errs, name, 0, 0, "file too large (limit %d)",
		    MOD_MAX_RULE_FILE_BYTES);
		rv = MOD_ETOOBIG;
		goto out;
	}
	rv = rule_parse_file(rs, ruleset_add_file(rs, name), src, len, errs);
	rv = ruleset_finish(rs, opts, errs, rv);
	if (rv == 0) {
		*out = rs;
		rs = NULL;
	}
out:
	ruleset_unref(rs);
	return rv;
}

static bool
ruleset_is_rules_file(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 6 && strcmp(name + n - 6, ".rules") == 0;
}

static int
ruleset_name_sort(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The *.rules names in dir, sorted; caller frees each and the array. */
static int
ruleset_list_dir(
    const char *dir, char ***names, size_t *n, struct mod_errlist *errs)
{
	DIR           *d;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		mod_errlist_add(errs, dir, 0, 0,
		    "could not open rule "
		    "directory: %s",
		    strerror(errno));
		return MOD_ENOENT;
	}
	while ((de = readdir(d)) != NULL && *n < MOD_MAX_RULE_FILES_COUNT)
		if (ruleset_is_rules_file(de->d_name)) {
			*names
			    = xreallocarray(*names, *n + 1, sizeof(**names));
			(*names)[(*n)++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), ruleset_name_sort);
	return 0;
}

static int
ruleset_parse_one(struct ruleset *rs, const char *dir, const char *name,
    struct mod_errlist *errs)
{
	char           path[MOD_MAX_PATH_BYTES], *src = NULL;
	size_t         len;
	struct mod_err err;
	int            rv;

	if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name)
	    >= sizeof(path)) {
		mod_errlist_add(errs, name, 0, 0, "path too long");
		return MOD_EINVAL;
	}
	if ((rv = mod_read_file(
	         path, MOD_MAX_RULE_FILE_BYTES, &src, &len, &err))
	    != 0) {
		mod_errlist_add(errs, path, 0, 0, "%s", err.msg);
		return rv;
	}
	rv = rule_parse_file(rs, ruleset_add_file(rs, path), src, len, errs);
	free(src);
	return rv;
}

int
ruleset_load(const char *dir, const struct ruleset_opts *opts,
    struct ruleset **out, struct mod_errlist *errs)
{
	struct ruleset *rs = ruleset_new(opts);
	char          **names = NULL;
	size_t          n = 0, i;
	int             rv;

	*out = NULL;
	if ((rv = ruleset_list_dir(dir, &names, &n, errs)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (ruleset_parse_one(rs, dir, names[i], errs) != 0)
			rv = MOD_EINVAL;
	rv = ruleset_finish(rs, opts, errs, rv);
	if (rv == 0) {
		*out = rs;
		rs = NULL;
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ruleset_unref(rs);
	return rv;
}
