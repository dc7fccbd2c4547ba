/*
 * rule_hs.c - the Hyperscan prefilter in front of PCRE2.
 *
 * Every regex test of every rule is a pattern; patterns are grouped by
 * slot (target x view) and each slot gets one Hyperscan block-mode
 * database, so one scan of a string answers all patterns of its target at
 * once.  Each pattern is classified:
 *
 *   exact      Hyperscan supports it as written: its answer is final, no
 *              PCRE2 run is needed to decide the test (PCRE2 only runs to
 *              cut the evidence excerpt of a rule that fires).
 *   prefilter  Hyperscan supports an approximation (HS_FLAG_PREFILTER) that
 *              never misses: a report makes it a candidate for PCRE2.
 *   pcre_only  neither (e.g. can match the empty string), or a detector
 *              with a cheap guard (rule_guard.c) that Hyperscan could only
 *              approximate: always PCRE2, after the guard.
 *
 * A pattern reaches Hyperscan in a language-preserving rewrite when its
 * backreferences all point at a literal group (see below), and in
 * prefilter mode widened to a superset that Hyperscan compiles and scans
 * faster (rule_hs_widen).
 *
 * A slot's patterns may be split over several databases by script need
 * (rule_scripts.c): a detector of Cyrillic spam words or of zero-width
 * runs can only match a string holding such characters, so its database
 * is scanned only over strings that do (rule_scripts_of(), one cheap pass)
 * and an English post never pays for it.  Which patterns get a database of
 * their own is decided in rule_hs_needs().
 *
 * Compiling 1000 patterns takes seconds, so the compiled databases and the
 * classification are cached on disk, keyed by a SHA-256 of the Hyperscan
 * version, the platform and every pattern with its flags.  Cache files are
 * written to a temporary name and renamed, so a crash never leaves a
 * half-written database; a cache file that fails to load is ignored.
 *
 * Hyperscan's UTF-8 mode is undefined on invalid UTF-8, so every string is
 * validated before it is scanned; a slot with an invalid string is reported
 * as unscanned and the matcher falls back to PCRE2 for its patterns.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs/hs.h>
#include <sodium.h>
#include <unicode/uversion.h>

#include "log.h"
#include "rule_impl.h"
#include "util.h"

#define RULE_HS_CACHE_MAGIC                                                   \
	"MODHS005" /* bump on any format or meaning change */
#define RULE_HS_CACHE_MAX_BYTES (512 * 1024 * 1024)

/* Databases per slot: the first for patterns any string may match, the
 * others each for the patterns of one script need (rule_scripts.c). */
#define RULE_HS_GROUPS_COUNT 8
_Static_assert(RULE_SLOT_COUNT <= 32, "slot bits fit a uint32_t");

/* A need of more buckets than this is not worth a database of its own. */
#define RULE_HS_GATE_MAX_BUCKETS 24

struct rule_hs_group {
	hs_database_t *db; /* NULL when no pattern is in the group */
	uint64_t       need; /* RULE_SCRIPTS_ALL for the first group */
};

struct rule_hsdb {
	struct rule_hs_group g[RULE_SLOT_COUNT][RULE_HS_GROUPS_COUNT];
	uint32_t             n[RULE_SLOT_COUNT]; /* groups in use */
	uint64_t             gated[RULE_SLOT_COUNT]; /* union of gated needs */
	uint64_t             live; /* bit slot: the slot has a database */
};

struct rule_hs_scratch {
	hs_scratch_t *scratch;
};

/* Hyperscan flags for a pattern in a given mode. */
static unsigned
rule_hs_flags(const struct rule_pattern *p, enum rule_pat_mode mode)
{
	unsigned f = HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_SINGLEMATCH;

	if (strchr(p->flags, 'i'))
		f |= HS_FLAG_CASELESS;
	if (strchr(p->flags, 'm'))
		f |= HS_FLAG_MULTILINE;
	if (strchr(p->flags, 's'))
		f |= HS_FLAG_DOTALL;
	if (mode == RULE_PAT_PREFILTER)
		f |= HS_FLAG_PREFILTER;
	return f;
}

/* Length of a counted quantifier "{m}", "{m,}" or "{m,n}" at s, else 0;
 * *min gets m. */
static size_t
rule_hs_quant(const char *s, unsigned long *min)
{
	const char *p = s + 1;
	bool        digits = false;

	*min = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits = true)
		*min = *min * 10 + (unsigned long) (*p - '0');
	if (!digits)
		return 0;
	if (*p == ',')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	return *p == '}' ? (size_t) (p - s + 1) : 0;
}

/* Length of the escape at s (s[0] == '\\'), including \x{…}-style
 * braces and a whole \Q…\E run. */
static size_t
rule_hs_escape_len(const char *s)
{
	const char *e;

	if (s[1] == '\0')
		return 1;
	if (s[1] == 'Q')
		return (e = strstr(s + 2, "\\E")) ? (size_t) (e - s + 2)
		                                  : strlen(s);
	if (strchr("xopPNgk", s[1]) && s[2] == '{'
	    && (e = strchr(s + 3, '}')) != NULL)
		return (size_t) (e - s + 1);
	return 2;
}

/* Length of the character class at s (s[0] == '['). */
static size_t
rule_hs_class_len(const char *s)
{
	size_t i = 1;

	if (s[i] == '^')
		i++;
	if (s[i] == ']')
		i++; /* a leading ] is a literal */
	while (s[i] && s[i] != ']') {
		if (s[i] == '\\')
			i += rule_hs_escape_len(s + i);
		else if (s[i] == '[' && s[i + 1] == ':'
		    && strstr(s + i + 2, ":]") != NULL)
			i = (size_t) (strstr(s + i + 2, ":]") - s) + 2;
		else
			i++;
	}
	return s[i] ? i + 1 : i;
}

/* Room for rule_hs_widen() of a source of len bytes: each 2-byte \b may
 * become 4 bytes; a terminating NUL. */
#define RULE_HS_WIDE_BYTES(len) (2 * (len) + 1)

/* True for a word-boundary assertion at s that no quantifier follows. */
static bool
rule_hs_is_boundary(const char *s)
{
	return s[0] == '\\' && (s[1] == 'b' || s[1] == 'B')
	    && (s[2] == '\0' || strchr("*+?{", s[2]) == NULL);
}

/*
 * A superset of src for Hyperscan's prefilter mode: every counted
 * quantifier is widened ({0,n} and {0} to *, {m,n} and {m,} to +), and
 * every unquantified \b and \B becomes an empty group (never dropped
 * outright: "\x4\b1" must not become "\x41").  A larger language can only
 * add candidates, never lose a match.  out needs RULE_HS_WIDE_BYTES(len).
 * Hyperscan compiles unbounded repeats far faster than wide bounded ones over
 * UTF-8 (measured: 22 s to 4 s for 415 realistic text patterns), and it only
 * approximates \b in UCP mode, at a cost: without it, 420 realistic text
 * patterns compile 3.5 times faster and scan a quarter faster for 2% more
 * candidates.
 */
static void
rule_hs_widen(const char *src, char *out)
{
	unsigned long min;
	size_t        n;

	while (*src) {
		if (rule_hs_is_boundary(src)) {
			memcpy(out, "(?:)", 4);
			out += 4;
			src += 2;
			continue;
		}
		if (*src == '\\')
			n = rule_hs_escape_len(src);
		else if (*src == '[')
			n = rule_hs_class_len(src);
		else if (*src == '(' && src[1] == '?' && src[2] == '#')
			n = strchr(src, ')')
			    ? (size_t) (strchr(src, ')') - src) + 1
			    : strlen(src);
		else if (*src == '{' && (n = rule_hs_quant(src, &min)) > 0) {
			*out++ = min == 0 ? '*' : '+';
			src += n;
			continue;
		} else
			n = 1;
		memcpy(out, src, n);
		out += n;
		src += n;
	}
	*out = '\0';
}

/*
 * Backreferences to a literal group.  In `\b(free)\b.{0,50}\b\1\b`
 * group 1 can only ever hold "free" (or, under /i, a caseless variant of
 * it, and a caseless \1 then matches exactly the caseless variants of
 * "free" again), so \1 may be replaced by (?:free) without changing the
 * language, and Hyperscan, which has no backreferences, can take it.
 * The rewrite is only made when that argument plainly holds:
 *
 *   - group 1 is the first parenthesis of the pattern (so it is at top
 *     level and really group 1), holds nothing but literal bytes (no
 *     escape, class, alternation, quantifier, group or dot) and is not
 *     itself quantified;
 *   - the pattern has no top-level alternation (group 1 is always set
 *     when a later \1 is reached), no x flag, no (*VERB), and no group
 *     kind other than (?: (?= (?! (?<= (?<! (no inline option changes,
 *     which could make \1 and the group differ in caselessness, no names,
 *     no branch reset, no conditions);
 *   - every backreference is a plain \1 after the group closes (no \2,
 *     \10, \g or \k).
 */

static bool rule_hs_top_alternation(const char *src);

/* Bytes a rewritable group's literal may not contain. */
static const char rule_hs_meta[] = "\\^$.|?*+()[]{}";

/* The group opened by the first '(' of src, if it is a plain literal
 * group with no quantifier after it: [*open, *close] are its parens. */
static bool
rule_hs_literal_group(const char *src, size_t *open, size_t *close)
{
	size_t i = 0;

	while (src[i] && src[i] != '(') {
		if (src[i] == '\\')
			i += rule_hs_escape_len(src + i);
		else if (src[i] == '[')
			i += rule_hs_class_len(src + i);
		else
			i++;
	}
	if (src[i] != '(')
		return false;
	*open = i++;
	while (src[i] && strchr(rule_hs_meta, src[i]) == NULL)
		i++;
	*close = i;
	return src[i] == ')' && i > *open + 1
	    && (src[i + 1] == '\0' || strchr("?*+{", src[i + 1]) == NULL);
}

/* Whether a group opening at s (s[0] == '(') is of an allowed kind. */
static bool
rule_hs_plain_paren(const char *s)
{
	if (s[1] == '*')
		return false;
	if (s[1] != '?')
		return true;
	return strchr(":=!", s[2]) != NULL
	    || (s[2] == '<' && (s[3] == '=' || s[3] == '!'));
}

/*
 * Count the \1 of src after close; false if src has anything the essay
 * above rules out (another backreference, a \1 before close, a group of
 * another kind).
 */
static bool
rule_hs_backrefs(const char *src, size_t close, size_t *count)
{
	size_t i = 0;

	*count = 0;
	while (src[i]) {
		if (src[i] == '[')
			i += rule_hs_class_len(src + i);
		else if (src[i] == '(' && !rule_hs_plain_paren(src + i))
			return false;
		else if (src[i] != '\\')
			i++;
		else if (src[i + 1] == 'g' || src[i + 1] == 'k')
			return false;
		else if (src[i + 1] >= '0' && src[i + 1] <= '9') {
			if (src[i + 1] != '1'
			    || (src[i + 2] >= '0' && src[i + 2] <= '9')
			    || i < close)
				return false;
			(*count)++;
			i += 2;
		} else
			i += rule_hs_escape_len(src + i);
	}
	return true;
}

/* src with every \1 after close replaced by (?:LIT), LIT = src[a, b). */
static char *
rule_hs_subst(const char *src, size_t close, size_t a, size_t b, size_t n)
{
	size_t i = 0, lit = b - a;
	char  *out = xmalloc(strlen(src) + n * (lit + 4) + 1), *o = out;

	while (src[i]) {
		size_t k = src[i] == '\\' ? rule_hs_escape_len(src + i)
		    : src[i] == '['       ? rule_hs_class_len(src + i)
		                          : 1;

		if (i > close && src[i] == '\\' && src[i + 1] == '1') {
			o += sprintf(o, "(?:%.*s)", (int) lit, src + a);
		} else {
			memcpy(o, src + i, k);
			o += k;
		}
		i += k;
	}
	*o = '\0';
	return out;
}

/* p's source with backreferences to a literal group 1 substituted (see
 * above), or NULL when there are none or the rewrite does not apply. */
static char *
rule_hs_backref_literal(const struct rule_pattern *p)
{
	size_t open, close, n;

	if (strchr(p->flags, 'x')
	    || !rule_hs_literal_group(p->src, &open, &close)
	    || rule_hs_top_alternation(p->src)
	    || !rule_hs_backrefs(p->src, close, &n) || n == 0)
		return NULL;
	return rule_hs_subst(p->src, close, open + 1, close, n);
}

/* The expression handed to Hyperscan: (?x) stands in for the x flag;
 * literal backreferences are substituted; prefilter-mode expressions are
 * widened. */
static char *
rule_hs_expr(const struct rule_pattern *p, enum rule_pat_mode mode)
{
	char       *sub = rule_hs_backref_literal(p);
	const char *src = sub ? sub : p->src;
	size_t      len = strlen(src);
	char       *e = xmalloc(RULE_HS_WIDE_BYTES(len) + 4), *q = e;

	if (strchr(p->flags, 'x')) {
		memcpy(e, "(?x)", 4);
		q += 4;
	}
	if (mode == RULE_PAT_PREFILTER)
		rule_hs_widen(src, q);
	else
		memcpy(q, src, len + 1);
	free(sub);
	return e;
}

/*
 * True if Hyperscan accepts expression e with the flags of p in mode and
 * it cannot match the empty string; *maxw gets its widest match in bytes
 * (UINT32_MAX when unbounded).
 */
static bool
rule_hs_accepts_expr(const struct rule_pattern *p, const char *e,
    enum rule_pat_mode mode, uint32_t *maxw)
{
	hs_expr_info_t     *info = NULL;
	hs_compile_error_t *cerr = NULL;
	bool                ok;

	ok = hs_expression_info(e, rule_hs_flags(p, mode), &info, &cerr)
	        == HS_SUCCESS
	    && info->min_width > 0;
	if (ok && maxw != NULL)
		*maxw = info->max_width;
	free(info);
	if (cerr)
		hs_free_compile_error(cerr);
	return ok;
}

static bool
rule_hs_accepts(struct rule_pattern *p, enum rule_pat_mode mode)
{
	char *e = rule_hs_expr(p, mode);
	bool  ok = rule_hs_accepts_expr(p, e, mode, &p->max_width);

	free(e);
	return ok;
}

/* Index of the ')' closing the group opened at src[open], or 0. */
static size_t
rule_hs_group_end(const char *src, size_t open)
{
	size_t i = open + 1, depth = 1;

	while (src[i]) {
		if (src[i] == '\\')
			i += rule_hs_escape_len(src + i);
		else if (src[i] == '[')
			i += rule_hs_class_len(src + i);
		else if (src[i] == '(' && ++depth)
			i++;
		else if (src[i] == ')' && --depth == 0)
			return i;
		else
			i++;
	}
	return 0;
}

/* True if src has a '|' outside every group. */
static bool
rule_hs_top_alternation(const char *src)
{
	size_t i = 0, depth = 0;

	while (src[i]) {
		if (src[i] == '\\')
			i += rule_hs_escape_len(src + i);
		else if (src[i] == '[')
			i += rule_hs_class_len(src + i);
		else {
			if (src[i] == '(')
				depth++;
			else if (src[i] == ')' && depth > 0)
				depth--;
			else if (src[i] == '|' && depth == 0)
				return true;
			i++;
		}
	}
	return false;
}

static char *
rule_hs_key_expr(bool anchored, const char *body, size_t len)
{
	char *e = xmalloc(len + 8);

	snprintf(
	    e, len + 8, "%s(?:%.*s)", anchored ? "^" : "", (int) len, body);
	return e;
}

/* Keep a key if Hyperscan can prefilter it; false if the list is full. */
static void
rule_hs_add_key(struct ruleset *rs, uint32_t pid, char *expr)
{
	struct rule_pattern *p = &rs->pats[pid];
	char                *wide = xmalloc(RULE_HS_WIDE_BYTES(strlen(expr)));
	int                  k = __builtin_popcount(p->keys_all);

	rule_hs_widen(expr, wide);
	free(expr);
	if (k >= RULE_MAX_KEYS_COUNT
	    || !rule_hs_accepts_expr(p, wide, RULE_PAT_PREFILTER, NULL)) {
		free(wide);
		return;
	}
	rs->keys = xreallocarray(rs->keys, rs->nkeys + 1, sizeof(*rs->keys));
	rs->keys[rs->nkeys].pat = pid;
	rs->keys[rs->nkeys].bit = 1u << k;
	rs->keys[rs->nkeys++].expr = wide;
	p->keys_all |= 1u << k;
}

/*
 * A pattern "^(?=A)(?=B)REST" (no top-level alternation) cannot match
 * unless each of A, B and REST can: they become its keys, and the
 * pattern is a candidate only when Hyperscan finds all of them.  This is
 * how the usual "these words anywhere, in any order" rule gets a
 * prefilter at all.  Returns true if at least one key was kept.
 */
static bool
rule_hs_lookahead_keys(struct ruleset *rs, uint32_t pid)
{
	const char *src = rs->pats[pid].src;
	bool        anchored = src[0] == '^';
	size_t      pos = anchored ? 1 : 0, end, n = 0;

	if (strchr(rs->pats[pid].flags, 'x') || rule_hs_top_alternation(src))
		return false;
	while (strncmp(src + pos, "(?=", 3) == 0
	    && (end = rule_hs_group_end(src, pos)) != 0) {
		rule_hs_add_key(rs, pid,
		    rule_hs_key_expr(anchored, src + pos + 3, end - pos - 3));
		pos = end + 1;
		n++;
	}
	if (n > 0 && src[pos] != '\0')
		rule_hs_add_key(rs, pid,
		    rule_hs_key_expr(anchored, src + pos, strlen(src + pos)));
	return rs->pats[pid].keys_all != 0;
}

static void
rule_hs_classify(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->npats; i++) {
		struct rule_pattern *p = &rs->pats[i];

		p->max_width = UINT32_MAX;
		if (p->canon != i)
			continue;
		/* A guarded detector reads as a candidate on nearly every
		 * post (Hyperscan approximates its backreference); its guard
		 * rules it out for less than Hyperscan's scan costs. */
		if (p->guard != RULE_GUARD_NONE)
			p->mode = RULE_PAT_PCRE_ONLY;
		else if (rule_hs_accepts(p, RULE_PAT_EXACT))
			p->mode = RULE_PAT_EXACT;
		else if (rule_hs_accepts(p, RULE_PAT_PREFILTER))
			p->mode = RULE_PAT_PREFILTER;
		else if (rule_hs_lookahead_keys(rs, (uint32_t) i))
			p->mode = RULE_PAT_KEYS;
		else
			p->mode = RULE_PAT_PCRE_ONLY;
	}
}

/*
 * Each pattern Hyperscan scans gets its script need (rule_scripts.c), kept
 * only where a database of its own pays: a separate scan costs about what
 * a pattern with a literal adds to a shared database, so such a pattern is
 * gated only when every pattern of its slot can be (the slot's ungated
 * scan disappears); one without a literal (an automaton over every byte,
 * like \p{Latin}\p{Cyrillic}) is gated whenever it has a need.
 */
static void
rule_hs_needs(struct ruleset *rs)
{
	struct rule_scripts_ctx *c = rule_scripts_ctx_new();
	bool                    *lit = xcalloc(rs->npats + 1, sizeof(*lit));
	uint32_t                 whole = UINT32_MAX; /* bit slot: all gated */
	size_t                   i;

	for (i = 0; i < rs->npats; i++) {
		struct rule_pattern *p = &rs->pats[i];

		p->need = RULE_SCRIPTS_ALL;
		if (p->canon != i || p->mode == RULE_PAT_PCRE_ONLY)
			continue;
		p->need = rule_scripts_need(c, p, &lit[i]);
		if (__builtin_popcountll(p->need) > RULE_HS_GATE_MAX_BUCKETS)
			p->need = RULE_SCRIPTS_ALL;
		if (p->need == RULE_SCRIPTS_ALL)
			whole &= ~(1u << RULE_SLOT(p->target, p->raw));
	}
	for (i = 0; i < rs->npats; i++)
		if (lit[i]
		    && !(whole
		        & (1u << RULE_SLOT(
		               rs->pats[i].target, rs->pats[i].raw))))
			rs->pats[i].need = RULE_SCRIPTS_ALL;
	free(lit);
	rule_scripts_ctx_free(c);
}

/* The group of slot that patterns of this need go to (0: ungated). */
static uint32_t
rule_hs_group_of(const struct rule_hsdb *db, int slot, uint64_t need)
{
	uint32_t k;

	for (k = 1; k < db->n[slot]; k++)
		if (db->g[slot][k].need == need)
			return k;
	return 0;
}

/* The union of the needs of slot's gated groups; whether it is live. */
static void
rule_hs_gated(struct rule_hsdb *db, int slot)
{
	uint32_t k;

	db->gated[slot] = 0;
	db->live &= ~(1ull << slot);
	for (k = 0; k < db->n[slot]; k++) {
		if (k > 0)
			db->gated[slot] |= db->g[slot][k].need;
		if (db->g[slot][k].db != NULL)
			db->live |= 1ull << slot;
	}
}

/* Plan slot's groups: one per distinct need, while there is room. */
static void
rule_hs_plan(struct ruleset *rs, int slot)
{
	struct rule_hsdb *db = rs->hs;
	size_t            i;

	db->n[slot] = 1;
	db->g[slot][0].need = RULE_SCRIPTS_ALL;
	for (i = 0; i < rs->npats; i++) {
		const struct rule_pattern *p = &rs->pats[i];

		if (RULE_SLOT(p->target, p->raw) != slot || p->canon != i
		    || p->mode == RULE_PAT_PCRE_ONLY
		    || p->need == RULE_SCRIPTS_ALL
		    || rule_hs_group_of(db, slot, p->need) != 0
		    || db->n[slot] == RULE_HS_GROUPS_COUNT)
			continue;
		db->g[slot][db->n[slot]++].need = p->need;
	}
	rule_hs_gated(db, slot);
}

/* The expressions of one slot: patterns, then keys (ids npats + k). */
struct rule_hs_set {
	const char **exprs;
	char       **owned;
	unsigned    *flags, *ids;
	size_t       n;
};

static void
rule_hs_set_add(
    struct rule_hs_set *set, char *expr, unsigned flags, unsigned id)
{
	set->exprs[set->n] = set->owned[set->n] = expr;
	set->flags[set->n] = flags;
	set->ids[set->n++] = id;
}

static void
rule_hs_set_fill(
    struct ruleset *rs, int slot, uint32_t g, struct rule_hs_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->owned[i]);
	set->n = 0;
	for (i = 0; i < rs->npats; i++) {
		struct rule_pattern *p = &rs->pats[i];

		if (RULE_SLOT(p->target, p->raw) != slot || p->canon != i
		    || p->mode == RULE_PAT_PCRE_ONLY
		    || p->mode == RULE_PAT_KEYS
		    || rule_hs_group_of(rs->hs, slot, p->need) != g)
			continue;
		rule_hs_set_add(set, rule_hs_expr(p, p->mode),
		    rule_hs_flags(p, p->mode), (unsigned) i);
	}
	for (i = 0; i < rs->nkeys; i++) {
		struct rule_pattern *p = &rs->pats[rs->keys[i].pat];

		if (RULE_SLOT(p->target, p->raw) != slot
		    || p->mode != RULE_PAT_KEYS
		    || rule_hs_group_of(rs->hs, slot, p->need) != g)
			continue;
		rule_hs_set_add(set, xstrdup(rs->keys[i].expr),
		    rule_hs_flags(p, RULE_PAT_PREFILTER),
		    (unsigned) (rs->npats + i));
	}
}

/* The pattern behind a Hyperscan id. */
static struct rule_pattern *
rule_hs_id_pattern(struct ruleset *rs, unsigned id)
{
	return id < rs->npats ? &rs->pats[id]
	                      : &rs->pats[rs->keys[id - rs->npats].pat];
}

/* A rejected expression: demote its pattern (keys go straight to PCRE2). */
static void
rule_hs_demote(struct ruleset *rs, unsigned id)
{
	struct rule_pattern *p = rule_hs_id_pattern(rs, id);

	p->mode = id < rs->npats && p->mode == RULE_PAT_EXACT
	    ? RULE_PAT_PREFILTER
	    : RULE_PAT_PCRE_ONLY;
	p->max_width = UINT32_MAX;
}

/*
 * Compile group g of one slot.  When Hyperscan rejects one expression of
 * the set it names it; that pattern is demoted and the set is retried.
 */
static int
rule_hs_compile_group(
    struct ruleset *rs, int slot, uint32_t g, hs_database_t **dbp)
{
	struct rule_hs_set  set = { 0 };
	hs_compile_error_t *cerr = NULL;
	size_t              i, max = rs->npats + rs->nkeys, tries = 0;
	int                 rv = 0;

	*dbp = NULL;
	set.exprs = xcalloc(max + 1, sizeof(*set.exprs));
	set.owned = xcalloc(max + 1, sizeof(*set.owned));
	set.flags = xcalloc(max + 1, sizeof(*set.flags));
	set.ids = xcalloc(max + 1, sizeof(*set.ids));
	for (;;) {
		rule_hs_set_fill(rs, slot, g, &set);
		if (set.n == 0
		    || hs_compile_multi(set.exprs, set.flags, set.ids,
		           (unsigned) set.n, HS_MODE_BLOCK, NULL, dbp, &cerr)
		        == HS_SUCCESS)
			break;
		if (cerr->expression < 0 || ++tries > 2 * max) {
			log_warnx(
			    "rules: could not compile prefilter for %s: %s",
			    rule_target_name((enum rule_target)(slot / 2)),
			    cerr->message);
			rv = MOD_EINTERNAL;
			break;
		}
		rule_hs_demote(rs, set.ids[cerr->expression]);
		hs_free_compile_error(cerr);
		cerr = NULL;
	}
	if (cerr)
		hs_free_compile_error(cerr);
	for (i = 0; i < set.n; i++)
		free(set.owned[i]);
	free(set.owned);
	free(set.exprs);
	free(set.flags);
	free(set.ids);
	return rv;
}

/* Cache key: Hyperscan version, platform, the PCRE2 and ICU versions
 * (script needs follow their Unicode data), every pattern and its flags. */
static void
rule_hs_cache_key(const struct ruleset *rs, char hex[65])
{
	crypto_hash_sha256_state st;
	unsigned char            h[crypto_hash_sha256_BYTES];
	hs_platform_info_t       plat;
	const char              *ver = hs_version();
	char                     re[128], icu[U_MAX_VERSION_STRING_LENGTH];
	UVersionInfo             uv;
	size_t                   i;

	memset(&plat, 0, sizeof(plat));
	hs_populate_platform(&plat);
	crypto_hash_sha256_init(&st);
	/* A new file format gets new file names: old files are not damaged. */
	crypto_hash_sha256_update(
	    &st, (const unsigned char *) RULE_HS_CACHE_MAGIC, 8);
	crypto_hash_sha256_update(
	    &st, (const unsigned char *) ver, strlen(ver) + 1);
	crypto_hash_sha256_update(
	    &st, (const unsigned char *) &plat, sizeof(plat));
	rule_regex_version(re, sizeof(re));
	u_getVersion(uv);
	u_versionToString(uv, icu);
	crypto_hash_sha256_update(
	    &st, (const unsigned char *) re, strlen(re) + 1);
	crypto_hash_sha256_update(
	    &st, (const unsigned char *) icu, strlen(icu) + 1);
	for (i = 0; i < rs->npats; i++) {
		const struct rule_pattern *p = &rs->pats[i];
		unsigned char hdr[2] = { (unsigned char) p->target, p->raw };

		crypto_hash_sha256_update(&st, hdr, sizeof(hdr));
		crypto_hash_sha256_update(
		    &st, (const unsigned char *) p->flags, sizeof(p->flags));
		crypto_hash_sha256_update(
		    &st, (const unsigned char *) p->src, p->len + 1);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

static void
rule_hs_cache_path(
    const struct ruleset *rs, const char *dir, char *path, size_t size)
{
	char hex[65];

	rule_hs_cache_key(rs, hex);
	snprintf(path, size, "%s/hs-%s.db", dir, hex);
}

/* Append len bytes to f, tracking failure in *ok. */
static void
rule_hs_put(FILE *f, const void *p, size_t len, bool *ok)
{
	if (*ok && len && fwrite(p, 1, len, f) != len)
		*ok = false;
}

/* Per pattern: mode, width and need; then the keys. */
static void
rule_hs_put_patterns(const struct ruleset *rs, FILE *f, bool *ok)
{
	uint64_t nkeys = rs->nkeys;
	size_t   i;

	for (i = 0; i < rs->npats; i++) {
		uint32_t m = (uint32_t) rs->pats[i].mode;

		rule_hs_put(f, &m, sizeof(m), ok);
		rule_hs_put(f, &rs->pats[i].max_width, sizeof(uint32_t), ok);
		rule_hs_put(f, &rs->pats[i].need, sizeof(uint64_t), ok);
	}
	rule_hs_put(f, &nkeys, sizeof(nkeys), ok);
	for (i = 0; i < rs->nkeys; i++) {
		uint32_t len = (uint32_t) strlen(rs->keys[i].expr);

		rule_hs_put(f, &rs->keys[i].pat, sizeof(uint32_t), ok);
		rule_hs_put(f, &rs->keys[i].bit, sizeof(uint32_t), ok);
		rule_hs_put(f, &len, sizeof(len), ok);
		rule_hs_put(f, rs->keys[i].expr, len, ok);
	}
}

/* A slot: its group count, then per group the need and the database. */
static void
rule_hs_put_slot(const struct rule_hsdb *db, int slot, FILE *f, bool *ok)
{
	uint32_t k;

	rule_hs_put(f, &db->n[slot], sizeof(uint32_t), ok);
	for (k = 0; k < db->n[slot]; k++) {
		const struct rule_hs_group *g = &db->g[slot][k];
		char                       *bytes = NULL;
		size_t                      len = 0;
		uint64_t                    l64;

		if (g->db
		    && hs_serialize_database(g->db, &bytes, &len)
		        != HS_SUCCESS)
			*ok = false;
		l64 = len;
		rule_hs_put(f, &g->need, sizeof(uint64_t), ok);
		rule_hs_put(f, &l64, sizeof(l64), ok);
		rule_hs_put(f, bytes, len, ok);
		free(bytes);
	}
}

static void
rule_hs_cache_save(const struct ruleset *rs, const char *dir)
{
	char     path[MOD_MAX_PATH_BYTES], tmp[MOD_MAX_PATH_BYTES + 16];
	FILE    *f = NULL;
	uint64_t n = rs->npats;
	bool     ok = true;
	int      slot;

	if (mod_mkdirs(dir, 0700) != 0) {
		log_warn("rules: could not create prefilter cache %s", dir);
		return;
	}
	rule_hs_cache_path(rs, dir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long) getpid());
	if ((f = fopen(tmp, "wbx")) == NULL) {
		log_warn("rules: could not write prefilter cache %s", tmp);
		return;
	}
	rule_hs_put(f, RULE_HS_CACHE_MAGIC, 8, &ok);
	rule_hs_put(f, &n, sizeof(n), &ok);
	rule_hs_put_patterns(rs, f, &ok);
	for (slot = 0; slot < RULE_SLOT_COUNT; slot++)
		rule_hs_put_slot(rs->hs, slot, f, &ok);
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		log_warnx("rules: could not write prefilter cache %s", path);
		unlink(tmp);
	}
}

/* Read the next field of a cache file; false when the file is short. */
static bool
rule_hs_take(const char **p, const char *end, void *dst, size_t len)
{
	if ((size_t) (end - *p) < len)
		return false;
	memcpy(dst, *p, len);
	*p += len;
	return true;
}

static bool
rule_hs_take_key(struct ruleset *rs, const char **p, const char *end)
{
	struct rule_key k;
	uint32_t        len;

	if (!rule_hs_take(p, end, &k.pat, sizeof(uint32_t))
	    || !rule_hs_take(p, end, &k.bit, sizeof(uint32_t))
	    || !rule_hs_take(p, end, &len, sizeof(len))
	    || len > (size_t) (end - *p) || k.pat >= rs->npats || k.bit == 0
	    || k.bit >= (1u << RULE_MAX_KEYS_COUNT))
		return false;
	k.expr = xstrndup(*p, len);
	*p += len;
	rs->keys = xreallocarray(rs->keys, rs->nkeys + 1, sizeof(*rs->keys));
	rs->keys[rs->nkeys++] = k;
	rs->pats[k.pat].keys_all |= k.bit;
	return true;
}

static bool
rule_hs_take_patterns(struct ruleset *rs, const char **p, const char *end)
{
	uint64_t nkeys, i;
	uint32_t m;

	for (i = 0; i < rs->npats; i++) {
		if (!rule_hs_take(p, end, &m, sizeof(m))
		    || m > RULE_PAT_PCRE_ONLY
		    || !rule_hs_take(
		        p, end, &rs->pats[i].max_width, sizeof(uint32_t))
		    || !rule_hs_take(
		        p, end, &rs->pats[i].need, sizeof(uint64_t)))
			return false;
		rs->pats[i].mode = (enum rule_pat_mode) m;
	}
	if (!rule_hs_take(p, end, &nkeys, sizeof(nkeys))
	    || nkeys > (uint64_t) rs->npats * RULE_MAX_KEYS_COUNT)
		return false;
	for (i = 0; i < nkeys; i++)
		if (!rule_hs_take_key(rs, p, end))
			return false;
	return true;
}

/* A slot as rule_hs_put_slot() wrote it. */
static bool
rule_hs_take_slot(
    struct rule_hsdb *db, int slot, const char **p, const char *end)
{
	uint64_t len;
	uint32_t k;

	if (!rule_hs_take(p, end, &db->n[slot], sizeof(uint32_t))
	    || db->n[slot] > RULE_HS_GROUPS_COUNT)
		return false;
	for (k = 0; k < db->n[slot]; k++) {
		struct rule_hs_group *g = &db->g[slot][k];

		if (!rule_hs_take(p, end, &g->need, sizeof(uint64_t))
		    || !rule_hs_take(p, end, &len, sizeof(len))
		    || len > (uint64_t) (end - *p))
			return false;
		if (len
		    && hs_deserialize_database(*p, len, &g->db) != HS_SUCCESS)
			return false;
		*p += len;
	}
	rule_hs_gated(db, slot);
	return true;
}

static bool
rule_hs_cache_parse(struct ruleset *rs, const char *p, const char *end)
{
	char     magic[8];
	uint64_t n;
	int      slot;

	if (!rule_hs_take(&p, end, magic, 8)
	    || memcmp(magic, RULE_HS_CACHE_MAGIC, 8) != 0
	    || !rule_hs_take(&p, end, &n, sizeof(n)) || n != rs->npats)
		return false;
	if (!rule_hs_take_patterns(rs, &p, end))
		return false;
	for (slot = 0; slot < RULE_SLOT_COUNT; slot++)
		if (!rule_hs_take_slot(rs->hs, slot, &p, end))
			return false;
	return p == end;
}

void
rule_hs_free_keys(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->nkeys; i++)
		free(rs->keys[i].expr);
	free(rs->keys);
	rs->keys = NULL;
	rs->nkeys = 0;
	for (i = 0; i < rs->npats; i++)
		rs->pats[i].keys_all = 0;
}

static bool
rule_hs_cache_load(struct ruleset *rs, const char *dir)
{
	char   path[MOD_MAX_PATH_BYTES], *data = NULL;
	size_t len;
	bool   ok;

	rule_hs_cache_path(rs, dir, path, sizeof(path));
	if (mod_read_file(path, RULE_HS_CACHE_MAX_BYTES, &data, &len, NULL)
	    != 0)
		return false;
	if (!(ok = rule_hs_cache_parse(rs, data, data + len))) {
		log_warnx("rules: ignoring damaged prefilter cache %s", path);
		rule_hs_free_keys(rs);
		rule_hs_free(rs->hs);
		rs->hs = xcalloc(1, sizeof(*rs->hs));
	}
	free(data);
	return ok;
}

/* No prefilter: every pattern goes through PCRE2. */
static void
rule_hs_disable(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->npats; i++)
		rs->pats[i].mode = RULE_PAT_PCRE_ONLY;
	rule_hs_free(rs->hs);
	rs->hs = NULL;
}

/* Duplicates share their canonical pattern's mode. */
static void
rule_hs_copy_modes(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->npats; i++) {
		rs->pats[i].mode = rs->pats[rs->pats[i].canon].mode;
		rs->pats[i].max_width = rs->pats[rs->pats[i].canon].max_width;
		rs->pats[i].need = rs->pats[rs->pats[i].canon].need;
	}
}

/* Every group of one slot, planned first. */
static int
rule_hs_compile_slot(struct ruleset *rs, int slot)
{
	uint32_t k;

	rule_hs_plan(rs, slot);
	for (k = 0; k < rs->hs->n[slot]; k++)
		if (rule_hs_compile_group(rs, slot, k, &rs->hs->g[slot][k].db))
			return MOD_EINTERNAL;
	rule_hs_gated(rs->hs, slot);
	return 0;
}

int
rule_hs_build(struct ruleset *rs, const char *cache_dir)
{
	int slot;

	rs->hs = xcalloc(1, sizeof(*rs->hs));
	rule_scripts_prepare();
	if (cache_dir && *cache_dir && rule_hs_cache_load(rs, cache_dir)) {
		rs->cache_hit = true;
		return 0;
	}
	rule_hs_classify(rs);
	rule_hs_needs(rs);
	for (slot = 0; slot < RULE_SLOT_COUNT; slot++)
		if (rule_hs_compile_slot(rs, slot) != 0) {
			rule_hs_disable(rs);
			return 0;
		}
	rule_hs_copy_modes(rs);
	if (cache_dir && *cache_dir)
		rule_hs_cache_save(rs, cache_dir);
	return 0;
}

void
rule_hs_free(struct rule_hsdb *db)
{
	int      slot;
	uint32_t k;

	if (db == NULL)
		return;
	for (slot = 0; slot < RULE_SLOT_COUNT; slot++)
		for (k = 0; k < RULE_HS_GROUPS_COUNT; k++)
			hs_free_database(db->g[slot][k].db); /* NULL-safe */
	free(db);
}

struct rule_hs_scratch *
rule_hs_scratch_new(const struct ruleset *rs)
{
	struct rule_hs_scratch *s = xcalloc(1, sizeof(*s));
	int                     slot;
	uint32_t                k;

	for (slot = 0; rs->hs && slot < RULE_SLOT_COUNT; slot++)
		for (k = 0; k < rs->hs->n[slot]; k++)
			if (rs->hs->g[slot][k].db
			    && hs_alloc_scratch(
			           rs->hs->g[slot][k].db, &s->scratch)
			        != HS_SUCCESS)
				fatalx("rules: could not allocate hyperscan "
				       "scratch");
	return s;
}

void
rule_hs_scratch_free(struct rule_hs_scratch *s)
{
	if (s == NULL)
		return;
	hs_free_scratch(s->scratch); /* NULL-safe */
	free(s);
}

struct rule_hs_cb {
	rule_hs_report_fn fn;
	void             *arg;
	size_t            elem;
};

static int
rule_hs_on_match(unsigned int id, unsigned long long from,
    unsigned long long to, unsigned int flags, void *ctx)
{
	struct rule_hs_cb *cb = ctx;

	(void) from;
	(void) flags;
	cb->fn(cb->arg, id, cb->elem, (size_t) to);
	return 0;
}

/* Length of the valid multi-byte sequence at s, or 0. */
static size_t
rule_hs_utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, k;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (len < n)
		return 0;
	for (k = 1; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f)
	    || (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* UTF-8 validation: Hyperscan's UTF-8 mode is undefined on bad input. */
static bool
rule_hs_utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while ((i += mod_ascii_prefix(s + i, len - i)) < len) {
		if ((n = rule_hs_utf8_seq(s + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

/*
 * Scan one string with the groups of its slot: the first always, a gated
 * one only when the string holds a code point of the group's need.
 */
static int
rule_hs_scan_str(const struct rule_hsdb *db, int slot,
    struct rule_hs_scratch *s, const struct rule_str *v, struct rule_hs_cb *cb)
{
	uint64_t has;
	uint32_t k;

	if (v->len == 0)
		return 0; /* no pattern Hyperscan takes matches "" */
	has = db->gated[slot] ? rule_scripts_of(v->s, v->len) : 0;
	for (k = 0; k < db->n[slot]; k++) {
		const struct rule_hs_group *g = &db->g[slot][k];

		if (g->db == NULL || (k > 0 && (g->need & has) == 0))
			continue;
		if (hs_scan(g->db, v->s, (unsigned) v->len, 0, s->scratch,
		        rule_hs_on_match, cb)
		    != HS_SUCCESS)
			return MOD_EINTERNAL;
	}
	return 0;
}

int
rule_hs_scan(const struct ruleset *rs, struct rule_hs_scratch *s,
    const struct rule_fields *f, rule_hs_report_fn fn, void *arg,
    uint64_t *unscanned)
{
	struct rule_hs_cb cb = { fn, arg, 0 };
	int               slot;
	size_t            i;

	*unscanned = 0;
	for (slot = 0; rs->hs != NULL && slot < RULE_SLOT_COUNT; slot++) {
		const struct rule_field *fl;

		if (!(rs->hs->live & (1ull << slot)))
			continue;
		fl = slot % 2 ? &f->raw[slot / 2] : &f->folded[slot / 2];
		for (i = 0; i < fl->n; i++) {
			const struct rule_str *v = &fl->v[i];

			cb.elem = i;
			if (v->len > UINT32_MAX
			    || (!f->utf8_valid
			        && !rule_hs_utf8_ok(
			            (const unsigned char *) v->s, v->len))
			    || rule_hs_scan_str(rs->hs, slot, s, v, &cb)
			        != 0) {
				*unscanned |= 1ull << slot;
				break;
			}
		}
	}
	return 0;
}
