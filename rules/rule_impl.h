/*
 * rule_impl.h - internals shared by the files of the rules module only.
 *
 * A ruleset is an array of rules plus an array of patterns (one per regex
 * test).  Patterns are grouped in slots, one per (target, view), and each
 * slot with patterns has a Hyperscan database.  Nothing outside rules/
 * includes this header.
 */
#ifndef MODERD_RULE_IMPL_H
#define MODERD_RULE_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define RULE_SLOT_COUNT (RULE_T_COUNT * 2)
#define RULE_SLOT(target, raw) ((int) (target) *2 + ((raw) ? 1 : 0))

enum rule_test_type {
	RULE_TEST_REGEX,
	RULE_TEST_NUM,
	RULE_TEST_VISIBILITY,
	RULE_TEST_KIND,
	RULE_TEST_LOCAL
};

enum rule_op {
	RULE_OP_LT,
	RULE_OP_LE,
	RULE_OP_GT,
	RULE_OP_GE,
	RULE_OP_EQ,
	RULE_OP_NE
};

/* How a pattern is evaluated when the prefilter is on. */
/* In increasing cost: the matcher evaluates cheaper tests first. */
enum rule_pat_mode {
	RULE_PAT_EXACT, /* Hyperscan's answer is final */
	RULE_PAT_PREFILTER, /* Hyperscan finds candidates, PCRE2 confirms */
	RULE_PAT_KEYS, /* candidate when all its keys are found; PCRE2 */
	RULE_PAT_PCRE_ONLY /* Hyperscan cannot help: always PCRE2 */
};

/* RULE_PAT_KEYS: at most this many necessary sub-expressions. */
#define RULE_MAX_KEYS_COUNT 8

/* A key: a necessary condition of pattern `pat` (Hyperscan id npats+i). */
struct rule_key {
	uint32_t pat;
	uint32_t bit; /* 1u << index among the pattern's keys */
	char    *expr; /* the expression compiled for it */
};

struct rule_test {
	enum rule_test_type type;
	int                 line, col;
	enum rule_target    target; /* REGEX */
	bool                raw; /* REGEX */
	uint32_t            pat; /* REGEX: index into ruleset patterns */
	enum rule_num       num; /* NUM */
	enum rule_op        op; /* NUM */
	int64_t             value; /* NUM; LOCAL: 1 local, 0 remote */
	unsigned            mask; /* KIND: RULE_K_* bits; VISIBILITY: 1<<vis */
};

struct rule_expect {
	bool  hit;
	char *text;
	int   line, col;
};

struct rule {
	char               *name;
	char               *desc;
	char               *group;
	const char         *file; /* borrowed from ruleset files */
	int                 line, col;
	double              score;
	enum rule_action    action;
	struct rule_test   *tests; /* match/when: all must hold */
	size_t              ntests;
	struct rule_test   *vetoes; /* unless: any vetoes */
	size_t              nvetoes;
	struct rule_expect *expects;
	size_t              nexpects;
	bool                needs_always; /* no positive Hyperscan pattern */
	int first_regex; /* index in tests of the first regex test as
	                  * written (-1 if none): where evidence is cut */
};

/* A cheap necessary condition of a pattern (rule_guard.c). */
enum rule_guard_kind {
	RULE_GUARD_NONE,
	RULE_GUARD_RUN, /* guard_n caseless-equal code points in a row */
	RULE_GUARD_WORD /* guard_r equal consecutive words of >= guard_n */
};

/* Word chains longer than this count as this long. */
#define RULE_GUARD_MAX_CHAIN 8

/* What one pass over a field measured, for every guard at once. */
struct rule_guard_stats {
	uint32_t run; /* longest run of caseless-equal code points */
	/* chain_wlen[c]: the longest word ending a chain of c equal
	 * consecutive ASCII words (c = 2 .. RULE_GUARD_MAX_CHAIN) */
	uint32_t chain_wlen[RULE_GUARD_MAX_CHAIN + 1];
	bool     word_unknown; /* a possible non-ASCII \w: undecided */
};

struct rule_pattern {
	char              *src; /* verbatim pattern, NUL-terminated */
	size_t             len;
	char               flags[8]; /* i m s x */
	enum rule_target   target;
	bool               raw;
	uint32_t           rule; /* owning rule index */
	enum rule_pat_mode mode;
	void              *code; /* pcre2_code * (rule_regex.c) */
	uint32_t           canon; /* first identical pattern: evaluated once */
	uint32_t next_dup; /* circular list of patterns with this canon */
	uint32_t max_width; /* bytes, as compiled for Hyperscan; UINT32_MAX
	                     * when unbounded or unknown */
	uint32_t             keys_all; /* RULE_PAT_KEYS: all key bits */
	enum rule_guard_kind guard; /* rule_guard_classify() */
	uint32_t             guard_n, guard_r;
	uint64_t need; /* rule_scripts_need(); RULE_SCRIPTS_ALL if none */
};

/* rule_guard_classify: set p->guard and p->guard_n from p->src and
 * p->flags (RULE_GUARD_NONE unless the source has a known shape). */
void rule_guard_classify(struct rule_pattern *p);

/* rule_guard_measure: one linear pass over every string of f. */
void rule_guard_measure(
    const struct rule_field *f, struct rule_guard_stats *st);

/* rule_guard_measure_ref: the same measure taken the slow, simple way
 * (a byte or a code point at a time, ICU for every non-ASCII one): the
 * reference tests compare rule_guard_measure() with.  Not for the
 * matcher. */
void rule_guard_measure_ref(
    const struct rule_field *f, struct rule_guard_stats *st);

/* rule_guard_may_match: false only if p cannot match a field measured
 * as st; true for patterns without a guard. */
bool rule_guard_may_match(
    const struct rule_pattern *p, const struct rule_guard_stats *st);

/* rule_scripts.c: code point buckets (see the essay there). */
#define RULE_SCRIPTS_ALL UINT64_MAX /* no need known: always scan */

/* Probe answers and the probe subject, shared by one ruleset build. */
struct rule_scripts_ctx;
struct rule_scripts_ctx *rule_scripts_ctx_new(void);
void                     rule_scripts_ctx_free(struct rule_scripts_ctx *c);

/*
 * rule_scripts_need: buckets such that every string p matches holds a code
 * point in one of them (bit b = bucket b); RULE_SCRIPTS_ALL when that is
 * unknown or ASCII may do.  Never too small.  *literal: whether every
 * match holds a literal of a few bytes, which Hyperscan finds cheaply.
 */
uint64_t rule_scripts_need(
    struct rule_scripts_ctx *c, const struct rule_pattern *p, bool *literal);

/* rule_scripts_prepare: build the bucket table (once per process) before
 * any rule_scripts_of(). */
void rule_scripts_prepare(void);

/*
 * rule_scripts_of: the buckets of the code points of s, which must be
 * valid UTF-8 (only lead bytes and lengths are checked: RULE_SCRIPTS_ALL
 * for a bad one).  Thread-safe after rule_scripts_prepare().
 */
uint64_t rule_scripts_of(const char *s, size_t len);

struct rule_hsdb; /* rule_hs.c */

struct ruleset {
	atomic_int           refs;
	struct rule         *rules;
	size_t               nrules;
	struct rule_pattern *pats;
	size_t               npats;
	char               **files; /* names used in messages */
	size_t               nfiles;
	uint32_t            *always; /* rules evaluated on every event */
	/* gates[i]: a condition always[i] cannot hit without (its first
	 * non-regex match/when test), checked before queueing it; type
	 * RULE_TEST_REGEX when it has none */
	struct rule_test *gates;
	size_t            nalways;
	uint32_t          match_limit, depth_limit, heap_limit_kib;
	struct rule_hsdb *hs; /* NULL when built without prefilter */
	struct rule_key  *keys; /* RULE_PAT_KEYS conditions */
	size_t            nkeys;
	bool              cache_hit;
};

/* rule_parse.c: parse one file into rs (appending rules and patterns).
 * Every error goes to errs.  Returns 0 or MOD_EINVAL. */
int rule_parse_file(struct ruleset *rs, const char *file, const char *src,
    size_t len, struct mod_errlist *errs);

/* rule_regex.c: compile pattern p (JIT); on error add a located message
 * (column inside the regex) and return MOD_EINVAL.  col is the column of
 * the opening slash, flags_col that of the first flag. */
int  rule_regex_compile(struct rule_pattern *p, const char *file, int line,
     int col, int flags_col, struct mod_errlist *errs);
void rule_regex_free(struct rule_pattern *p);

/* rule_regex_version: the linked PCRE2's version and Unicode version, as
 * text (part of the prefilter cache key: script needs follow them). */
void rule_regex_version(char *buf, size_t size);

/* rule_regex_probe: compile atom[0..len) (one escape such as \p{Greek})
 * as rule patterns are compiled (UTF, UCP, CASELESS if caseless) and call
 * fn with the offset of each of its matches in subj (valid UTF-8), left to
 * right, until fn returns false.  MOD_EINVAL if it does not compile or
 * matches an empty string. */
typedef bool (*rule_regex_probe_fn)(void *arg, size_t off);
int rule_regex_probe(const char *atom, size_t len, bool caseless,
    const char *subj, size_t slen, rule_regex_probe_fn fn, void *arg);

/* Per-thread PCRE2 state. */
/* rule_regex_marks_are_word: whether this PCRE2's Unicode \w matches
 * marks and connector punctuation (10.43 and later), probed once. */
bool rule_regex_marks_are_word(void);

struct rule_regex_ctx;
struct rule_regex_ctx *rule_regex_ctx_new(const struct ruleset *rs);
void                   rule_regex_ctx_free(struct rule_regex_ctx *c);

/*
 * rule_regex_exec: run p over s from byte start (a code point boundary;
 * earlier bytes are context); 1 match (off and mlen set), 0 no match,
 * -1 limit hit (*reason set to a static string).
 */
int rule_regex_exec(struct rule_regex_ctx *c, const struct rule_pattern *p,
    const char *s, size_t len, size_t start, size_t *off, size_t *mlen,
    const char **reason);

/* rule_hs.c: build or load from cache the Hyperscan databases, setting
 * each pattern's mode.  Failure to build is not fatal: patterns fall back
 * to PCRE_ONLY and a warning is logged. */
int  rule_hs_build(struct ruleset *rs, const char *cache_dir);
void rule_hs_free(struct rule_hsdb *db);
/* rule_hs_free_keys: drop rs's RULE_PAT_KEYS conditions. */
void rule_hs_free_keys(struct ruleset *rs);

struct rule_hs_scratch;
struct rule_hs_scratch *rule_hs_scratch_new(const struct ruleset *rs);
void                    rule_hs_scratch_free(struct rule_hs_scratch *s);

/* Callback for every pattern id reported while scanning. */
/*
 * Called for every id Hyperscan reports: a pattern (id < npats) or a key
 * (id - npats), with the string it was found in and the end offset of
 * the earliest match there.
 */
typedef void (*rule_hs_report_fn)(
    void *arg, uint32_t id, size_t elem, size_t end);

/*
 * rule_hs_scan: scan every string of every slot of f that has a database
 * and report each pattern id found.  Slots that could not be scanned
 * (invalid UTF-8, scan error) are set in *unscanned (bit = slot); their
 * patterns must be evaluated with PCRE2.
 */
int rule_hs_scan(const struct ruleset *rs, struct rule_hs_scratch *s,
    const struct rule_fields *f, rule_hs_report_fn fn, void *arg,
    uint64_t *unscanned);

/* Outcome of one rule on one event. */
enum rule_outcome { RULE_MISS, RULE_HIT, RULE_UNEVAL };

/*
 * rule_matcher_eval_one: the outcome of rule ri alone (naive) or as part of
 * a full prefiltered run; *reason is set for RULE_UNEVAL.
 */
int rule_matcher_eval_one(struct rule_matcher *m, const struct rule_fields *f,
    uint32_t ri, unsigned flags, int *outcome, const char **reason);

/* ruleset.c */
void ruleset_free_contents(struct ruleset *rs);

/*
 * rule_dedup: link identical patterns (target, view, flags, source) so
 * each is compiled into Hyperscan and evaluated by PCRE2 once per event.
 */
void rule_dedup(struct ruleset *rs);

#endif /* MODERD_RULE_IMPL_H */
