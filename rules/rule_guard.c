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
 * UTF-8.  Case folding is ICU's simple folding, the relation PCRE2's
 * caseless backreferences use; comparing folded values is also safe for
 * case-sensitive patterns (it only says "may" more often).
 *
 * The pass is on the matcher's hot path, so it avoids work per byte.
 * ASCII, most of most posts, is read 8 bytes at a time (SWAR on a
 * little-endian uint64_t, GCC or Clang; elsewhere a byte at a time)
 * into blocks of up to 64 bytes, each fact a 64-bit mask with a bit per
 * byte: "folds like the code point before" and "is \w", from carry-free
 * byte arithmetic.  The longest run comes from the stretches of set
 * bits; words from their starts and ends, found by counting trailing
 * zeros, so the work is per word.  A word that ends is compared with
 * the one before: two ASCII words that each lie in a block through
 * their keys (the first 8 bytes lower-cased: equal keys and lengths up
 * to 8 mean equal words), others by length; the string itself only when
 * keys or lengths match, under folding as ever.  Other code points,
 * and ASCII between them when fewer than 8 ASCII bytes follow, go one
 * at a time; their class and whether simple folding changes them come
 * from a table of a byte per code point up to U+1FFFF (emoji are in
 * plane 1), built from the ICU calls once per process (pthread_once,
 * when the first guard is classified): 128 KiB, a few milliseconds.
 * Only code points that folding changes, and those above the table,
 * call ICU.  rule_guard_measure_ref() keeps the plain byte- and
 * code point-at-a-time pass, ICU for every non-ASCII code point, as the
 * reference the tests compare the fast pass with, statistic by
 * statistic.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "rule_impl.h"

/* Character classes a run pattern may repeat. */
static const char *const rule_guard_run_classes[] = { "\\w", ".", "\\S" };
/* Separators between repeated words. */
static const char *const rule_guard_seps[] = { "\\s+", "\\W+" };

static void rule_guard_tab_init(void);

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
	if (p->guard != RULE_GUARD_NONE)
		rule_guard_tab_init(); /* now rather than at the first event */
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

/*
 * The class and "folding changes it" of every code point below
 * RULE_GUARD_TAB_CODE_POINTS, one byte each, from the functions above:
 * built once, read-only after.
 */
#define RULE_GUARD_TAB_CODE_POINTS 0x20000
#define RULE_GUARD_TAB_CLASS 0x03 /* enum rule_guard_class */
#define RULE_GUARD_TAB_FOLDS 0x04 /* u_foldCase(c) != c */

static uint8_t        rule_guard_tab[RULE_GUARD_TAB_CODE_POINTS];
static pthread_once_t rule_guard_tab_once = PTHREAD_ONCE_INIT;

static void
rule_guard_tab_build(void)
{
	UChar32 c;

	for (c = 0; c < RULE_GUARD_TAB_CODE_POINTS; c++)
		rule_guard_tab[c]
		    = (uint8_t) ((unsigned) rule_guard_class_of(c)
		        | (u_foldCase(c, U_FOLD_CASE_DEFAULT) != c
		                ? RULE_GUARD_TAB_FOLDS
		                : 0));
}

/* rule_guard_tab_init: build the table if it is not built yet. */
static void
rule_guard_tab_init(void)
{
	(void) pthread_once(&rule_guard_tab_once, rule_guard_tab_build);
}

/* A word: bytes [at, at + bytes) of the string, chars code points. */
struct rule_guard_word {
	int32_t  at, bytes;
	uint32_t chars;
};

/* Scanning state over one string. */
struct rule_guard_scan {
	const uint8_t *s;
	UChar32        prev_fold;
	uint32_t       run;
	bool           in_word;
	int32_t        word_at; /* the word in progress: first byte */
	uint32_t       word_chars; /* and code points so far */
	/* the last word that ended (chars 0: none yet); its key is its
	 * first 8 bytes lower-cased, 0 when not known */
	struct rule_guard_word prev;
	uint64_t               prev_key;
	uint32_t               chain; /* equal consecutive words to prev */
};

/* rule_guard_word_same: words of as many code points equal, code point
 * by code point under simple case folding. */
static bool
rule_guard_word_same(const uint8_t *s, const struct rule_guard_word *a,
    const struct rule_guard_word *b)
{
	int32_t i = a->at, j = b->at, ie = a->at + a->bytes,
	        je = b->at + b->bytes;
	UChar32 x, y;

	while (i < ie && j < je) {
		U8_NEXT(s, i, ie, x);
		U8_NEXT(s, j, je, y);
		if (rule_guard_fold(x) != rule_guard_fold(y))
			return false;
	}
	return i == ie && j == je;
}

/* rule_guard_word_eq: w, with key (or 0), equals the word before.  Two
 * keys tell ASCII words apart without a look at the string, and equal
 * keys of words up to 8 bytes mean equal words (no \w byte is NUL). */
static inline bool
rule_guard_word_eq(const struct rule_guard_scan *sc,
    const struct rule_guard_word *w, uint64_t key)
{
	if (key != 0 && sc->prev_key != 0) {
		if (key != sc->prev_key || w->chars != sc->prev.chars)
			return false;
		return w->chars <= 8
		    || rule_guard_word_same(sc->s, &sc->prev, w);
	}
	return w->chars == sc->prev.chars
	    && rule_guard_word_same(sc->s, &sc->prev, w);
}

/* rule_guard_word_done: the word w, with key (or 0), ended. */
static inline void
rule_guard_word_done(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    struct rule_guard_word w, uint64_t key)
{
	uint32_t c;

	sc->chain = rule_guard_word_eq(sc, &w, key) ? sc->chain + 1 : 1;
	c = sc->chain < RULE_GUARD_MAX_CHAIN ? sc->chain
	                                     : RULE_GUARD_MAX_CHAIN;
	if (c >= 2 && w.chars > st->chain_wlen[c])
		st->chain_wlen[c] = w.chars;
	sc->prev = w;
	sc->prev_key = key;
}

/* rule_guard_word_end: the word in progress, if any, ends at byte end. */
static void
rule_guard_word_end(
    struct rule_guard_scan *sc, struct rule_guard_stats *st, int32_t end)
{
	if (!sc->in_word)
		return;
	sc->in_word = false;
	rule_guard_word_done(sc, st,
	    (struct rule_guard_word) {
	        sc->word_at, end - sc->word_at, sc->word_chars },
	    0);
}

/* rule_guard_step_word: the word part of rule_guard_step(). */
static inline void
rule_guard_step_word(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t at, enum rule_guard_class k)
{
	if (k != RULE_GUARD_C_WORD) {
		rule_guard_word_end(sc, st, at);
		return;
	}
	if (!sc->in_word) {
		sc->in_word = true;
		sc->word_at = at;
		sc->word_chars = 0;
	}
	sc->word_chars++;
}

/* rule_guard_step: the next code point, starting at byte at, folded to
 * f and of class k. */
static inline void
rule_guard_step(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t at, UChar32 f, enum rule_guard_class k)
{
	sc->run = (f == sc->prev_fold) ? sc->run + 1 : 1;
	sc->prev_fold = f;
	if (sc->run > st->run)
		st->run = sc->run;
	rule_guard_step_word(sc, st, at, k);
}

/* rule_guard_lookup: c's class from the table (built), its folding in
 * *f; above the table, from ICU. */
static inline enum rule_guard_class
rule_guard_lookup(UChar32 c, UChar32 *f)
{
	uint8_t t;

	if (c >= RULE_GUARD_TAB_CODE_POINTS) {
		*f = rule_guard_fold(c);
		return rule_guard_class_of(c);
	}
	t = rule_guard_tab[c];
	*f = (t & RULE_GUARD_TAB_FOLDS) ? rule_guard_fold(c) : c;
	return (enum rule_guard_class)(t & RULE_GUARD_TAB_CLASS);
}

/* rule_guard_char: the code point c at byte at; from the table unless
 * ref (the reference asks ICU every time). */
static void
rule_guard_char(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t at, UChar32 c, bool ref)
{
	enum rule_guard_class k;
	UChar32               f;

	if (ref) {
		k = rule_guard_class_of(c);
		f = rule_guard_fold(c);
	} else
		k = rule_guard_lookup(c, &f);
	if (k == RULE_GUARD_C_UNK)
		st->word_unknown = true;
	rule_guard_step(sc, st, at, f, k);
}

/* The run of a scan, kept in registers by the loops below. */
struct rule_guard_run {
	UChar32  prev; /* the code point before, folded */
	uint32_t run, best;
};

static inline struct rule_guard_run
rule_guard_run_load(
    const struct rule_guard_scan *sc, const struct rule_guard_stats *st)
{
	return (struct rule_guard_run) { sc->prev_fold, sc->run, st->run };
}

/* rule_guard_run_next: the next code point, folded to f. */
static inline void
rule_guard_run_next(struct rule_guard_run *r, UChar32 f)
{
	r->run = f == r->prev ? r->run + 1 : 1;
	r->best = r->run > r->best ? r->run : r->best;
	r->prev = f;
}

static inline void
rule_guard_run_save(const struct rule_guard_run *r, struct rule_guard_scan *sc,
    struct rule_guard_stats *st)
{
	sc->prev_fold = r->prev;
	sc->run = r->run;
	st->run = r->best;
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
	const uint8_t        *u = sc->s;
	struct rule_guard_run r = rule_guard_run_load(sc, st);
	int32_t               seg = i; /* where the word's ASCII part began */
	bool                  in = sc->in_word, w;

	for (; i < n && u[i] < 0x80; i++) {
		rule_guard_run_next(&r, rule_guard_fold(u[i]));
		w = rule_guard_ascii_word(u[i]);
		if (w == in)
			continue;
		if ((in = w)) {
			sc->word_at = seg = i;
			sc->word_chars = 0;
			continue;
		}
		sc->word_chars += (uint32_t) (i - seg);
		sc->in_word = true;
		rule_guard_word_end(sc, st, i);
	}
	if (in)
		sc->word_chars += (uint32_t) (i - seg);
	sc->in_word = in;
	rule_guard_run_save(&r, sc, st);
	return i;
}

/* rule_guard_next: from i, the ASCII bytes then one more code point
 * (ICU's view if ref, else the table's); returns where it stopped, or
 * -1 for invalid UTF-8. */
static int32_t
rule_guard_next(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t i, int32_t n, bool ref)
{
	int32_t at;
	UChar32 c;

	if ((i = rule_guard_ascii(sc, st, i, n)) == n)
		return i;
	at = i;
	U8_NEXT(sc->s, i, n, c);
	if (c < 0)
		return -1;
	rule_guard_char(sc, st, at, c, ref);
	return i;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__)                              \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Word-at-a-time ASCII (see the essay).  A block is up to 64 ASCII bytes
 * read 8 at a time as little-endian words, byte k of a word being bits
 * 8k..8k+7; its per-byte facts become 64-bit masks, bit k for byte k.
 */
#define RULE_GUARD_ONES UINT64_C(0x0101010101010101)
#define RULE_GUARD_HIGHS UINT64_C(0x8080808080808080)
#define RULE_GUARD_BLOCK_BYTES 64

/* Up to 64 consecutive ASCII bytes of a string. */
struct rule_guard_block {
	int32_t  at, len; /* bytes [at, at + len) */
	uint64_t eq; /* bit k: byte k folds like the code point before */
	uint64_t word; /* bit k: byte k is \w */
	UChar32  last; /* the last byte, folded */
	/* the bytes lower-cased, then 8 zero bytes */
	uint8_t low[RULE_GUARD_BLOCK_BYTES + 8];
};

static inline int32_t
rule_guard_ctz(uint64_t x)
{
	return (int32_t) __builtin_ctzll(x);
}

/* rule_guard_low: a mask of the n (0 .. 64) low bits. */
static inline uint64_t
rule_guard_low(int32_t n)
{
	return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

/* rule_guard_bits: the high bit of each byte of m as bit k for byte k;
 * m has no other bit set. */
static inline uint64_t
rule_guard_bits(uint64_t m)
{
	return ((m >> 7) * UINT64_C(0x0102040810204080)) >> 56;
}

/* rule_guard_in: the high bit of every byte of h within [lo, hi], among
 * other bits; exact for the bytes below the first one >= 0x80 (carries
 * only go up). */
static inline uint64_t
rule_guard_in(uint64_t h, unsigned lo, unsigned hi)
{
	return (h + RULE_GUARD_ONES * (0x80 - lo))
	    & ~(h + RULE_GUARD_ONES * (0x7f - hi));
}

/* rule_guard_lower: w with its ASCII upper-case letters lower-cased. */
static inline uint64_t
rule_guard_lower(uint64_t w)
{
	return w | ((rule_guard_in(w, 'A', 'Z') & RULE_GUARD_HIGHS) >> 2);
}

/* rule_guard_load: the 8 bytes from i, or the *k = n - i < 8 left
 * (zero-filled, high bytes), as a little-endian word. */
static inline uint64_t
rule_guard_load(const uint8_t *u, int32_t i, int32_t n, int32_t *k)
{
	uint64_t w = 0;

	*k = n - i < 8 ? n - i : 8;
	if (*k == 8)
		memcpy(&w, u + i, 8);
	else if (n >= 8) {
		memcpy(&w, u + n - 8, 8);
		w >>= 8 * (8 - *k);
	} else
		memcpy(&w, u + i, (size_t) *k);
	return w;
}

/* The facts of up to 8 ASCII bytes, one bit per byte. */
struct rule_guard_unit {
	uint64_t eq, word, last;
};

/*
 * rule_guard_unit: the facts of the first k bytes of w, all ASCII; p is
 * the code point before them folded, if ASCII (else 0, and the caller
 * clears the first eq bit).  \w: digits, '_', letters once lower-cased.
 */
static inline struct rule_guard_unit
rule_guard_unit(uint64_t w, int32_t k, uint64_t p)
{
	uint64_t l = rule_guard_lower(w), m = (UINT64_C(1) << k) - 1;
	uint64_t x = l ^ ((l << 8) | p); /* bytes < 0x80, 0 where equal */
	uint64_t wd = rule_guard_in(l, 'a', 'z') | rule_guard_in(l, '0', '9')
	    | rule_guard_in(l, '_', '_');

	return (struct rule_guard_unit) {
		rule_guard_bits(~(x + ~RULE_GUARD_HIGHS) & RULE_GUARD_HIGHS)
		    & m,
		rule_guard_bits(wd & RULE_GUARD_HIGHS) & m,
		(l >> (8 * (k - 1))) & 0xff
	};
}

/* rule_guard_gather: the block of ASCII bytes from i (len 0 if u[i] is
 * not ASCII); prev is the folded code point before i, or -1. */
static void
rule_guard_gather(const uint8_t *u, int32_t i, int32_t n, UChar32 prev,
    struct rule_guard_block *b)
{
	uint64_t w, hi, eq = 0, wd = 0;
	uint64_t p = prev >= 0 && prev < 0x80 ? (uint64_t) prev : 0;
	uint64_t clear = p != (uint64_t) prev ? UINT64_C(1) : 0;
	int32_t  len = 0, k = 8;
	struct rule_guard_unit r;

	while (k == 8 && len < RULE_GUARD_BLOCK_BYTES && i + len < n) {
		w = rule_guard_load(u, i + len, n, &k);
		if ((hi = w & RULE_GUARD_HIGHS) != 0)
			k = rule_guard_ctz(hi) / 8;
		if (k == 0)
			break;
		r = rule_guard_unit(w, k, p);
		eq |= r.eq << len;
		wd |= r.word << len;
		w = rule_guard_lower(w);
		memcpy(b->low + len, &w, 8);
		p = r.last;
		len += k;
	}
	b->at = i;
	b->len = len;
	b->eq = eq & ~clear;
	b->word = wd;
	b->last = (UChar32) p;
	memset(b->low + len, 0, 8);
}

/* rule_guard_longest: the longest stretch of set bits of x. */
static inline uint32_t
rule_guard_longest(uint64_t x)
{
	uint64_t x2 = x & (x >> 1), x3 = x2 & (x >> 2);
	uint32_t n = 0;

	if ((x3 & (x >> 3)) == 0) /* no stretch of 4: no loop */
		return (uint32_t) (x != 0) + (x2 != 0) + (x3 != 0);
	for (; x != 0; n++)
		x &= x >> 1;
	return n;
}

/*
 * rule_guard_block_run: carry the run of equal code points over b.  The
 * head of set eq bits continues the run carried in; any stretch of k
 * set bits is a run of k + 1; the tail is carried out.
 */
static void
rule_guard_block_run(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    const struct rule_guard_block *b)
{
	uint64_t ne = ~b->eq & rule_guard_low(b->len);
	uint32_t best, l;

	if (ne == 0) {
		sc->run += (uint32_t) b->len;
		st->run = sc->run > st->run ? sc->run : st->run;
		return;
	}
	best = sc->run + (uint32_t) rule_guard_ctz(ne);
	l = rule_guard_longest(b->eq) + 1;
	best = l > best ? l : best;
	st->run = best > st->run ? best : st->run;
	sc->run = (uint32_t) (b->len - (63 - __builtin_clzll(ne)));
}

/* rule_guard_key: the key of the word of bytes [s, e) of b. */
static inline uint64_t
rule_guard_key(const struct rule_guard_block *b, int32_t s, int32_t e)
{
	uint64_t k;
	int32_t  len = e - s < 8 ? e - s : 8;

	memcpy(&k, b->low + s, 8);
	return k & (UINT64_MAX >> (64 - 8 * len));
}

/* rule_guard_block_word: the word of bytes [s, e) of b. */
static inline void
rule_guard_block_word(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    const struct rule_guard_block *b, int32_t s, int32_t e)
{
	uint64_t               key = rule_guard_key(b, s, e);
	struct rule_guard_word w = { b->at + s, e - s, (uint32_t) (e - s) };

	if (sc->prev_key != 0 && key != sc->prev_key) {
		/* the common case: ASCII words, not equal */
		sc->chain = 1;
		sc->prev = w;
		sc->prev_key = key;
		return;
	}
	rule_guard_word_done(sc, st, w, key);
}

/* rule_guard_block_words: the words of b, where they start and end;
 * one that began before b or goes on after it carries over. */
static void
rule_guard_block_words(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    const struct rule_guard_block *b)
{
	uint64_t before = (b->word << 1) | (sc->in_word ? 1 : 0);
	uint64_t starts = b->word & ~before;
	uint64_t ends = ~b->word & before & rule_guard_low(b->len);
	int32_t  s, e;

	if (sc->in_word) {
		e = ends != 0 ? rule_guard_ctz(ends) : b->len;
		sc->word_chars += (uint32_t) e;
		if (ends == 0)
			return;
		ends &= ends - 1;
		rule_guard_word_end(sc, st, b->at + e);
	}
	for (; starts != 0; starts &= starts - 1, ends &= ends - 1) {
		s = rule_guard_ctz(starts);
		if (ends == 0) {
			sc->in_word = true;
			sc->word_at = b->at + s;
			sc->word_chars = (uint32_t) (b->len - s);
			return;
		}
		rule_guard_block_word(sc, st, b, s, rule_guard_ctz(ends));
	}
}

/* rule_guard_blocks: blocks of ASCII from i while they last; returns
 * where they stop. */
static int32_t
rule_guard_blocks(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t i, int32_t n)
{
	struct rule_guard_block b;

	do {
		rule_guard_gather(sc->s, i, n, sc->prev_fold, &b);
		if (b.len == 0)
			break;
		rule_guard_block_run(sc, st, &b);
		rule_guard_block_words(sc, st, &b);
		sc->prev_fold = b.last;
		i += b.len;
	} while (b.len == RULE_GUARD_BLOCK_BYTES && i < n);
	return i;
}

/* rule_guard_ascii_ahead: the next 8 bytes from i, or all that are left,
 * are ASCII: worth a block. */
static inline bool
rule_guard_ascii_ahead(const uint8_t *u, int32_t i, int32_t n)
{
	int32_t k;

	return (rule_guard_load(u, i, n, &k) & RULE_GUARD_HIGHS) == 0;
}

/*
 * rule_guard_cps: code points one at a time from i (ASCII ones among
 * non-ASCII ones: too few for a block), as rule_guard_char() takes them
 * but with the run in registers, until the next 8 bytes are ASCII;
 * returns where it stopped, or -1 for invalid UTF-8.
 */
static int32_t
rule_guard_cps(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t i, int32_t n)
{
	const uint8_t        *u = sc->s;
	struct rule_guard_run r = rule_guard_run_load(sc, st);
	UChar32               c, f;
	int32_t               at;
	enum rule_guard_class k;

	while (i < n) {
		at = i;
		if (u[i] < 0x80 && rule_guard_ascii_ahead(u, i, n))
			break;
		U8_NEXT(u, i, n, c);
		if (c < 0) {
			i = -1;
			break;
		}
		if ((k = rule_guard_lookup(c, &f)) == RULE_GUARD_C_UNK)
			st->word_unknown = true;
		rule_guard_run_next(&r, f);
		rule_guard_step_word(sc, st, at, k);
	}
	rule_guard_run_save(&r, sc, st);
	return i;
}

/* rule_guard_next_fast: what rule_guard_next() would do from i, and
 * more: ASCII a block at a time, then code points one at a time. */
static int32_t
rule_guard_next_fast(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t i, int32_t n)
{
	return rule_guard_cps(sc, st, rule_guard_blocks(sc, st, i, n), n);
}
#else
/* Big-endian or not GCC-compatible: a byte at a time. */
static int32_t
rule_guard_next_fast(struct rule_guard_scan *sc, struct rule_guard_stats *st,
    int32_t i, int32_t n)
{
	return rule_guard_next(sc, st, i, n, false);
}
#endif

/* rule_guard_string: measure one string into st, the fast way unless
 * ref.  Invalid UTF-8 (or a string too long to index) may hold
 * anything. */
static void
rule_guard_string(
    const char *s, size_t len, struct rule_guard_stats *st, bool ref)
{
	struct rule_guard_scan sc
	    = { .s = (const uint8_t *) s, .prev_fold = -1 };
	int32_t i = 0, n = (int32_t) len;

	if (len > INT32_MAX)
		i = -1;
	while (i >= 0 && i < n)
		i = ref ? rule_guard_next(&sc, st, i, n, true)
		        : rule_guard_next_fast(&sc, st, i, n);
	if (i < 0) {
		st->run = UINT32_MAX;
		st->word_unknown = true;
		return;
	}
	rule_guard_word_end(&sc, st, n);
}

void
rule_guard_measure(const struct rule_field *f, struct rule_guard_stats *st)
{
	rule_guard_tab_init();
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < f->n; i++)
		rule_guard_string(f->v[i].s, f->v[i].len, st, false);
}

void
rule_guard_measure_ref(const struct rule_field *f, struct rule_guard_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < f->n; i++)
		rule_guard_string(f->v[i].s, f->v[i].len, st, true);
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
