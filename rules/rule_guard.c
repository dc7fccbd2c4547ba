/*
 * rule_guard.c - cheap necessary conditions for backreference detectors.
 *
 * Mod teams write a few detectors with no literal at all, such as a
 * character flood `(\w)\1{7,}` or a repeated word
 * `\b(\w{3,})\W+\1\W+\1\W+\1\b`.  Hyperscan cannot express the
 * backreference, so without help PCRE2 runs them on every event, and
 * each costs microseconds.  A guard is a necessary condition of such a
 * pattern that one linear pass over the subject decides, shared by every
 * pattern of its kind on the same (target, view):
 *
 *   run   `(C)\1{N,}` or `(C)\1{N,M}` with C one of \w . \S: the subject
 *         holds N + 1 consecutive code points with equal simple case
 *         folding (a match needs N + 1 caseless-equal characters);
 *   word  `\b(\w+)` or `\b(\w{K,})` / `\b(\w{K,M})`, then R >= 1
 *         repetitions of a separator (\s+ or \W+) and `\1`, then `\b` or
 *         nothing: the subject holds R + 1 (with the final `\b`) or R
 *         (without: the last repetition may be a prefix of a longer word)
 *         equal consecutive words of at least K characters.  Group 1
 *         starts at a boundary and is followed by a separator, so it is a
 *         whole word, and so is every repetition followed by one.
 *
 * Only these exact source shapes are recognised; anything else has no
 * guard and runs as before.  A guard may only say "cannot match": when
 * in doubt it says "may match".  Word boundaries follow PCRE2's Unicode
 * \w: letters, numbers and `_` (and, from PCRE2 10.43, marks and
 * connector punctuation: rule_regex_marks_are_word() asks the linked
 * PCRE2), classified with ICU.  PCRE2 10.42 knows Unicode 14; a code
 * point ICU dates later leaves the word guard undecided, as does invalid
 * UTF-8.  Case folding is ICU's simple folding,
 * the relation PCRE2's caseless backreferences use; comparing folded
 * values is also safe for case-sensitive patterns (it only says "may"
 * more often).
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "rule_impl.h"

/* Character classes a run pattern may repeat. */
static const char *const rule_guard_run_classes[] = { "\\w", ".", "\\S" };
/* Separators between repeated words. */
static const char *const rule_guard_seps[] = { "\\s+", "\\W+" };

/* rule_guard_lit: if s starts with lit, advance past it. */
static bool
rule_guard_lit(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return false;
	*s += n;
	return true;
}

/* rule_guard_num: a decimal of 1 to 5 digits. */
static bool
rule_guard_num(const char **s, uint32_t *out)
{
	uint32_t v = 0;
	int      n = 0;

	while (**s >= '0' && **s <= '9' && n < 5) {
		v = v * 10 + (uint32_t) (**s - '0');
		(*s)++;
		n++;
	}
	*out = v;
	return n > 0 && !(**s >= '0' && **s <= '9');
}

/* rule_guard_range: "{N,}" or "{N,M}" with M >= N; *lo = N. */
static bool
rule_guard_range(const char **s, uint32_t *lo)
{
	uint32_t hi;

	if (!rule_guard_lit(s, "{") || !rule_guard_num(s, lo)
	    || !rule_guard_lit(s, ","))
		return false;
	if (rule_guard_lit(s, "}"))
		return true;
	return rule_guard_num(s, &hi) && hi >= *lo && rule_guard_lit(s, "}");
}

/* rule_guard_any: if s starts with one of v[0..n), advance past it. */
static bool
rule_guard_any(const char **s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rule_guard_lit(s, v[i]))
			return true;
	return false;
}

/* rule_guard_run_shape: `(C)\1{N,}`; *n = N + 1 characters needed. */
static bool
rule_guard_run_shape(const char *s, uint32_t *n)
{
	uint32_t lo;

	if (!rule_guard_lit(&s, "(")
	    || !rule_guard_any(
	        &s, rule_guard_run_classes, nitems(rule_guard_run_classes))
	    || !rule_guard_lit(&s, ")\\1") || !rule_guard_range(&s, &lo)
	    || *s != '\0' || lo == 0)
		return false;
	*n = lo + 1;
	return true;
}

/* rule_guard_word_head: `\b(\w+)` (k = 1) or `\b(\w{K,...})`. */
static bool
rule_guard_word_head(const char **s, uint32_t *k)
{
	if (!rule_guard_lit(s, "\\b(\\w"))
		return false;
	*k = 1;
	if (!rule_guard_lit(s, "+") && !rule_guard_range(s, k))
		return false;
	return rule_guard_lit(s, ")") && *k > 0;
}

/* rule_guard_word_shape: the word shape; *k = shortest word, *r = equal
 * consecutive whole words needed. */
static bool
rule_guard_word_shape(const char *s, uint32_t *k, uint32_t *r)
{
	uint32_t reps = 0;

	if (!rule_guard_word_head(&s, k))
		return false;
	while (rule_guard_any(&s, rule_guard_seps, nitems(rule_guard_seps))) {
		if (!rule_guard_lit(&s, "\\1"))
			return false;
		reps++;
	}
	*r = reps + (rule_guard_lit(&s, "\\b") ? 1 : 0);
	if (*r > RULE_GUARD_MAX_CHAIN)
		*r = RULE_GUARD_MAX_CHAIN;
	return *s == '\0' && *r >= 2;
}

void
rule_guard_classify(struct rule_pattern *p)
{
	uint32_t n, r;

	p->guard = RULE_GUARD_NONE;
	p->guard_n = p->guard_r = 0;
	if (strchr(p->flags, 'x') != NULL)
		return;
	if (rule_guard_run_shape(p->src, &n)) {
		p->guard = RULE_GUARD_RUN;
		p->guard_n = n;
	} else if (rule_guard_word_shape(p->src, &n, &r)) {
		p->guard = RULE_GUARD_WORD;
		p->guard_n = n;
		p->guard_r = r;
	}
}

/* rule_guard_fold: ICU's simple case folding, which maps ASCII to ASCII
 * lower case (the common case is spared a table lookup). */
static inline UChar32
rule_guard_fold(UChar32 c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
	return u_foldCase(c, U_FOLD_CASE_DEFAULT);
}

/* How a code point stands to PCRE2's \w. */
enum rule_guard_class {
	RULE_GUARD_C_SEP,
	RULE_GUARD_C_WORD,
	RULE_GUARD_C_UNK
};

/* rule_guard_ascii_word: b (< 0x80) is a \w character. */
static inline bool
rule_guard_ascii_word(uint8_t b)
{
	return ((b | 0x20) >= 'a' && (b | 0x20) <= 'z')
	    || (b >= '0' && b <= '9') || b == '_';
}

/* rule_guard_class_of: c's class (see the essay). */
static inline enum rule_guard_class
rule_guard_class_of(UChar32 c)
{
	UVersionInfo age;

	if (c < 0x80)
		return rule_guard_ascii_word((uint8_t) c) ? RULE_GUARD_C_WORD
		                                          : RULE_GUARD_C_SEP;
	u_charAge(c, age);
	if (age[0] > 14 || u_charType(c) == U_UNASSIGNED)
		return RULE_GUARD_C_UNK;
	if (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK))
		return RULE_GUARD_C_WORD;
	if (U_GET_GC_MASK(c) & (U_GC_M_MASK | U_GC_PC_MASK))
		return rule_regex_marks_are_word() ? RULE_GUARD_C_WORD
		                                   : RULE_GUARD_C_SEP;
	return RULE_GUARD_C_SEP;
}

/* A word: bytes [at, at + bytes) of the string, chars code points. */
struct rule_guard_word {
	int32_t  at, bytes;
	uint32_t chars;
};

/* Scanning state over one string. */
struct rule_guard_scan {
	const uint8_t         *s;
	UChar32                prev_fold;
	uint32_t               run;
	bool                   in_word, have_prev;
	struct rule_guard_word word, prev;
	uint32_t               chain; /* equal consecutive words to prev */
};

/* rule_guard_word_eq: the two words equal, code point by code point
 * under simple case folding. */
static bool
rule_guard_word_eq(const uint8_t *s, const struct rule_guard_word *a,
    const struct rule_guard_word *b)
{
	int32_t i = a->at, j = b->at, ie = a->at + a->bytes,
	        je = b->at + b->bytes;
	UChar32 x, y;

	if (a->chars != b->chars)
		return false;
	while (i < ie && j < je) {
		U8_NEXT(s, i, ie, x);
		U8_NEXT(s, j, je, y);
		if (rule_guard_fold(x) != rule_guard_fold(y))
			return false;
	}
	return i == ie && j == je;
}

/* rule_guard_word_end: a word ended; compare it with the one before. */
static void
rule_guard_word_end(struct rule_guard_scan *sc, struct rule_guard_stats *st)
{
	uint32_t c;

	if (!sc->in_word)
		return;
	sc->in_word = false;
	if (sc->have_prev && rule_guard_word_eq(sc->s, &sc->prev, &sc->word))
		sc->chain++;
	else
		sc->chain = 1;
	c = sc->chain < RULE_GUARD_MAX_CHAIN ? sc->chain
	                                     : RULE_GUARD_MAX_CHAIN;
	if (c >= 2 && sc->word.chars > st->chain_wlen[c])
		st->chain_wlen[c] = sc->word.chars;
	sc->prev = sc->word;
	sc->have_prev = true;
}

/* rule_guard_step: the next code point, bytes [at, end) of the string,
 * folded to f and of class k. */
static inline void
rule_guard_step(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t at, int32_t end, UChar32 f, enum rule_guard_class k)
{
	sc->run = (f == sc->prev_fold) ? sc->run + 1 : 1;
	sc->prev_fold = f;
	if (sc->run > st->run)
		st->run = sc->run;
	if (k != RULE_GUARD_C_WORD) {
		rule_guard_word_end(sc, st);
		return;
	}
	if (!sc->in_word) {
		sc->in_word = true;
		sc->word = (struct rule_guard_word) { at, 0, 0 };
	}
	sc->word.bytes = end - sc->word.at;
	sc->word.chars++;
}

/* rule_guard_char: the non-ASCII code point c, bytes [at, end). */
static void
rule_guard_char(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t at, int32_t end, UChar32 c)
{
	enum rule_guard_class k = rule_guard_class_of(c);

	if (k == RULE_GUARD_C_UNK)
		st->word_unknown = true;
	rule_guard_step(sc, st, at, end, rule_guard_fold(c), k);
}

/*
 * rule_guard_ascii: the run of ASCII bytes from i, as rule_guard_step()
 * would take them one by one, with the state in registers and a branch
 * only where a word starts or ends.  Returns where the run stops.
 */
static int32_t
rule_guard_ascii(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t i, int32_t n)
{
	const uint8_t *u = sc->s;
	UChar32        prev = sc->prev_fold, f;
	uint32_t       run = sc->run, best = st->run;
	int32_t        seg = i; /* where the word's ASCII part began */
	bool           in = sc->in_word, w;

	for (; i < n && u[i] < 0x80; i++) {
		f = rule_guard_fold(u[i]);
		w = rule_guard_ascii_word(u[i]);
		run = f == prev ? run + 1 : 1;
		best = run > best ? run : best;
		prev = f;
		if (w == in)
			continue;
		if ((in = w)) {
			sc->word = (struct rule_guard_word) { i, 0, 0 };
			seg = i;
			continue;
		}
		sc->word.chars += (uint32_t) (i - seg);
		sc->word.bytes = i - sc->word.at;
		sc->in_word = true;
		rule_guard_word_end(sc, st);
	}
	if (in) {
		sc->word.chars += (uint32_t) (i - seg);
		sc->word.bytes = i - sc->word.at;
	}
	sc->in_word = in;
	sc->prev_fold = prev;
	sc->run = run;
	st->run = best;
	return i;
}

/* rule_guard_string: measure one string into st.  Runs of ASCII, nearly
 * all of most posts, go through rule_guard_ascii(). */
static void
rule_guard_string(const char *s, size_t len, struct rule_guard_stats *st)
{
	const uint8_t         *u = (const uint8_t *) s;
	struct rule_guard_scan sc = { .s = u, .prev_fold = -1 };
	int32_t                i = 0, n = (int32_t) len, at;
	UChar32                c;

	if (len > INT32_MAX) {
		st->run = UINT32_MAX;
		st->word_unknown = true;
		return;
	}
	while ((i = rule_guard_ascii(&sc, st, i, n)) < n) {
		at = i;
		U8_NEXT(u, i, n, c);
		if (c < 0) {
			st->run = UINT32_MAX;
			st->word_unknown = true;
			return;
		}
		rule_guard_char(&sc, st, at, i, c);
	}
	rule_guard_word_end(&sc, st);
}

void
rule_guard_measure(const struct rule_field *f, struct rule_guard_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < f->n; i++)
		rule_guard_string(f->v[i].s, f->v[i].len, st);
}

bool
rule_guard_may_match(
    const struct rule_pattern *p, const struct rule_guard_stats *st)
{
	switch (p->guard) {
	case RULE_GUARD_RUN:
		return st->run >= p->guard_n;
	case RULE_GUARD_WORD:
		if (st->word_unknown)
			return true;
		for (uint32_t c = p->guard_r; c <= RULE_GUARD_MAX_CHAIN; c++)
			if (st->chain_wlen[c] >= p->guard_n)
				return true;
		return false;
	default:
		return true;
	}
}
