/*
 * rule_scripts.c - which scripts a pattern needs, which a string holds.
 *
 * Many detectors only make sense for text in some script: Cyrillic
 * spam words, Latin letters glued to Cyrillic ones, fullwidth or
 * mathematical letters, zero-width and bidi controls.  Their Hyperscan
 * scan costs as much on an English post as on a Russian one.  Here the
 * code points are cut into 64 buckets (ASCII; then blocks and groups of
 * blocks chosen so that what ordinary posts hold -- accents, dashes and
 * quotes, emoji, CJK -- falls apart from what such detectors look for),
 * and:
 *
 *   rule_scripts_need()  finds a set of buckets such that every string the
 *                        pattern matches holds a code point in one of
 *                        them, or RULE_SCRIPTS_ALL when it cannot tell or
 *                        when ASCII alone can do;
 *   rule_scripts_of()    gives the buckets of a string's code points.
 *
 * rule_hs.c puts patterns with such a need in databases of their own and
 * scans a string with one only when the string holds one of its buckets.
 *
 * The need is found by a walk over the pattern source, without recursion
 * (an explicit stack of groups): a sequence needs what its most selective
 * item needs, an alternation the union of what its branches need, an item
 * quantified with a minimum of zero, a lookaround, an anchor, a
 * backreference or anything not understood needs nothing.  A literal
 * character needs its own bucket, or under caseless matching the buckets
 * of its whole case closure (ICU's, a superset of PCRE2's caseless
 * relation); a class the union over its members, or nothing if it is
 * negated or holds a class escape or a POSIX class.  A property such as
 * \p{Cyrillic} is asked of PCRE2 itself (rule_regex_probe over a string of
 * every code point), so the answer follows the linked PCRE2's Unicode
 * tables, script extensions included.  Anything that reaches ASCII needs
 * nothing.  An answer may only ever be too large, never too small: a
 * bucket missing from a need would lose matches.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uset.h>
#include <unicode/utf8.h>

#include "rule_impl.h"
#include "util.h"

/* First code point of each bucket, in order; bucket 0 is ASCII.  Needs
 * are kept in prefilter cache files: a change here must bump
 * RULE_HS_CACHE_MAGIC in rule_hs.c. */
static const uint32_t rule_scripts_starts[] = { 0x0, 0x80, 0xC0, 0x100, 0x250,
	0x300, 0x370, 0x400, 0x500, 0x590, 0x600, 0x700, 0x900, 0xE00, 0x1000,
	0x1D00, 0x1E00, 0x1F00, 0x2000, 0x2010, 0x2020, 0x2030, 0x2060, 0x2070,
	0x20D0, 0x2100, 0x2150, 0x2400, 0x2500, 0x2600, 0x27C0, 0x2C00, 0x2E00,
	0x2E80, 0x3040, 0x3100, 0x4E00, 0xA000, 0xA640, 0xA700, 0xAC00, 0xE000,
	0xF900, 0xFE00, 0xFE10, 0xFF00, 0xFF20, 0xFF60, 0x10000, 0x1D400,
	0x1D800, 0x1F000, 0x1F200, 0x1F300, 0x1F600, 0x1F650, 0x1F700, 0x1F900,
	0x1FB00, 0x20000, 0x30000, 0xE0000, 0xF0000 };

_Static_assert(sizeof(rule_scripts_starts) / sizeof(uint32_t) <= 64,
    "at most 64 buckets");

/* Below this, buckets come from a table by code point / 16. */
#define RULE_SCRIPTS_TABLE_CP 0x20000
static uint8_t        rule_scripts_table[RULE_SCRIPTS_TABLE_CP >> 4];
static pthread_once_t rule_scripts_once = PTHREAD_ONCE_INIT;

static unsigned
rule_scripts_search(uint32_t cp)
{
	unsigned b = nitems(rule_scripts_starts) - 1;

	while (b > 0 && rule_scripts_starts[b] > cp)
		b--;
	return b;
}

static void
rule_scripts_init(void)
{
	uint32_t i;

	for (i = 0; i < nitems(rule_scripts_table); i++)
		rule_scripts_table[i] = (uint8_t) rule_scripts_search(i << 4);
}

/* The bucket of code point cp (the table is built). */
static inline unsigned
rule_scripts_bucket(uint32_t cp)
{
	return cp < RULE_SCRIPTS_TABLE_CP ? rule_scripts_table[cp >> 4]
	                                  : rule_scripts_search(cp);
}

/* The buckets of code points lo..hi; ALL if that reaches ASCII. */
static uint64_t
rule_scripts_range(uint32_t lo, uint32_t hi)
{
	uint64_t m = 0;
	unsigned b, last = rule_scripts_bucket(hi);

	if (lo < 0x80)
		return RULE_SCRIPTS_ALL;
	for (b = rule_scripts_bucket(lo); b <= last; b++)
		m |= 1ull << b;
	return m;
}

/* The bucket of the multi-byte character at s (n bytes, n == its
 * length by the lead byte, 2..4). */
static unsigned
rule_scripts_mb(const unsigned char *s, size_t n)
{
	uint32_t cp;

	if (n == 2)
		return rule_scripts_table[((s[0] & 0x1Fu) << 2)
		    | ((s[1] >> 4) & 3u)];
	if (n == 3)
		return rule_scripts_table[((s[0] & 0x0Fu) << 8)
		    | ((s[1] & 0x3Fu) << 2) | ((s[2] >> 4) & 3u)];
	cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12)
	    | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
	return rule_scripts_bucket(cp);
}

void
rule_scripts_prepare(void)
{
	(void) pthread_once(&rule_scripts_once, rule_scripts_init);
}

uint64_t
rule_scripts_of(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	uint64_t             m = 0;
	size_t               i = 0, n;

	while ((i += mod_ascii_prefix(u + i, len - i)) < len) {
		n = u[i] >= 0xF0 ? 4 : u[i] >= 0xE0 ? 3 : u[i] >= 0xC2 ? 2 : 0;
		if (n == 0 || u[i] > 0xF4 || len - i < n)
			return RULE_SCRIPTS_ALL;
		m |= 1ull << rule_scripts_mb(u + i, n);
		i += n;
	}
	return m;
}

/* ---- what a pattern needs ---------------------------------------------- */

/* The more selective of two needs (fewer buckets). */
static uint64_t
rule_scripts_pick(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(b) < __builtin_popcountll(a) ? b : a;
}

/* Either need will do: their union (ALL absorbs). */
static uint64_t
rule_scripts_union(uint64_t a, uint64_t b)
{
	return (a | b) & 1u ? RULE_SCRIPTS_ALL : a | b;
}

/* Known answers to property probes, and the subject they are asked of. */
#define RULE_SCRIPTS_PROBES_COUNT 64

struct rule_scripts_probe {
	char    *atom;
	bool     caseless;
	uint64_t need;
};

struct rule_scripts_ctx {
	char                     *subj; /* every code point, UTF-8 */
	size_t                    slen;
	struct rule_scripts_probe probes[RULE_SCRIPTS_PROBES_COUNT];
	size_t                    nprobes;
};

/* Every code point but the surrogates, in order, as UTF-8. */
static void
rule_scripts_subject(struct rule_scripts_ctx *c)
{
	size_t  cap = 4 * 0x110000, i = 0;
	UChar32 cp;

	c->subj = xmalloc(cap);
	for (cp = 0; cp <= 0x10FFFF; cp++)
		if (!U_IS_SURROGATE(cp))
			U8_APPEND_UNSAFE(c->subj, i, cp);
	c->slen = i;
}

static bool
rule_scripts_on_probe(void *arg, size_t off)
{
	const struct rule_scripts_ctx *c = ((void **) arg)[0];
	uint64_t                      *need = ((void **) arg)[1];
	int32_t                        i = (int32_t) off;
	UChar32                        cp;

	U8_NEXT_UNSAFE(c->subj, i, cp);
	*need = rule_scripts_union(
	    *need, rule_scripts_range((uint32_t) cp, (uint32_t) cp));
	return *need != RULE_SCRIPTS_ALL;
}

/* What the property escape atom[0..len) needs, asked of PCRE2. */
static uint64_t
rule_scripts_property(
    struct rule_scripts_ctx *c, const char *atom, size_t len, bool caseless)
{
	struct rule_scripts_probe *p;
	uint64_t                   need = 0;
	void                      *arg[2] = { c, &need };
	size_t                     i;

	for (i = 0; i < c->nprobes; i++)
		if (c->probes[i].caseless == caseless
		    && strlen(c->probes[i].atom) == len
		    && memcmp(c->probes[i].atom, atom, len) == 0)
			return c->probes[i].need;
	if (c->nprobes == nitems(c->probes))
		return RULE_SCRIPTS_ALL;
	if (c->subj == NULL)
		rule_scripts_subject(c);
	if (rule_regex_probe(atom, len, caseless, c->subj, c->slen,
	        rule_scripts_on_probe, arg)
	        != 0
	    || need == 0)
		need = RULE_SCRIPTS_ALL;
	p = &c->probes[c->nprobes++];
	*p = (struct rule_scripts_probe) { xstrndup(atom, len), caseless,
		need };
	return need;
}

/* The buckets of set (closed over case first if caseless). */
static uint64_t
rule_scripts_set(USet *set, bool caseless)
{
	UErrorCode ec = U_ZERO_ERROR;
	UChar32    lo, hi;
	uint64_t   m = 0;
	int32_t    i, n;

	if (caseless)
		uset_closeOver(set, USET_CASE_INSENSITIVE);
	n = uset_getItemCount(set);
	for (i = 0; i < n && m != RULE_SCRIPTS_ALL; i++) {
		ec = U_ZERO_ERROR;
		if (uset_getItem(set, i, &lo, &hi, NULL, 0, &ec) != 0
		    || U_FAILURE(ec))
			return RULE_SCRIPTS_ALL; /* a string (a multi-character
			                          * folding): give up */
		m = rule_scripts_union(
		    m, rule_scripts_range((uint32_t) lo, (uint32_t) hi));
	}
	return m ? m : RULE_SCRIPTS_ALL;
}

/* What one literal code point needs. */
static uint64_t
rule_scripts_char(UChar32 cp, bool caseless)
{
	USet    *set;
	uint64_t m;

	if (cp < 0x80)
		return RULE_SCRIPTS_ALL;
	if (!caseless)
		return rule_scripts_range((uint32_t) cp, (uint32_t) cp);
	set = uset_openEmpty();
	uset_add(set, cp);
	m = rule_scripts_set(set, true);
	uset_close(set);
	return m;
}

/* The walk: one frame per open group. */
#define RULE_SCRIPTS_DEPTH 64

struct rule_scripts_frame {
	uint64_t alt; /* union of the finished branches; 0 = none yet */
	uint64_t seq; /* the current branch so far */
	bool     look; /* a lookaround: needs nothing */
	bool     caseless; /* the option outside the group */
	uint32_t run; /* bytes of literal characters in a row just now */
	bool     lit; /* the current branch has a literal */
	bool     alt_lit; /* so had every finished branch */
};

/* A required literal: this many bytes of literal characters in a row. */
#define RULE_SCRIPTS_LITERAL_BYTES 3

struct rule_scripts_walk {
	struct rule_scripts_ctx  *ctx;
	const char               *s;
	size_t                    i;
	bool                      caseless;
	bool                      fail; /* not understood: needs nothing */
	uint32_t                  lit_bytes; /* the item is a literal */
	bool                      group_lit; /* the item is a group with one */
	struct rule_scripts_frame st[RULE_SCRIPTS_DEPTH];
	size_t                    depth;
};

static void
rule_scripts_push(struct rule_scripts_walk *w, bool look, size_t skip)
{
	struct rule_scripts_frame *f;

	if (w->depth + 1 >= RULE_SCRIPTS_DEPTH) {
		w->fail = true;
		return;
	}
	f = &w->st[++w->depth];
	*f = (struct rule_scripts_frame) { 0, RULE_SCRIPTS_ALL, look,
		w->caseless, 0, false, true };
	w->i += skip;
}

/* A group closes: what it needs (a lookaround: nothing). */
static uint64_t
rule_scripts_close(struct rule_scripts_walk *w)
{
	const struct rule_scripts_frame *f = &w->st[w->depth];
	uint64_t need = f->alt ? rule_scripts_union(f->alt, f->seq) : f->seq;

	w->i++;
	if (w->depth == 0) {
		w->fail = true; /* PCRE2 rejects an unmatched ')' */
		return RULE_SCRIPTS_ALL;
	}
	w->caseless = f->caseless;
	w->group_lit = f->alt_lit && f->lit && !f->look;
	w->depth--;
	return f->look ? RULE_SCRIPTS_ALL : need;
}

/* "(?imsx-imsx)" or "(?i:": option letters; x is not followed. */
static void
rule_scripts_options(struct rule_scripts_walk *w)
{
	size_t i = w->i + 2;
	bool   on = true, caseless = w->caseless;

	for (; w->s[i] && strchr("imnsxUJ-^", w->s[i]); i++) {
		if (w->s[i] == '-' || w->s[i] == '^')
			caseless = w->s[i] == '^' ? false : caseless;
		if (w->s[i] == '-')
			on = false;
		else if (w->s[i] == 'i')
			caseless = on;
		else if (w->s[i] == 'x' && on)
			w->fail = true;
	}
	if (w->s[i] == ')') {
		w->caseless = caseless;
		w->i = i + 1;
	} else if (w->s[i] == ':') {
		rule_scripts_push(w, false, i + 1 - w->i);
		w->caseless = caseless;
	} else
		w->fail = true;
}

/* Skip to just after the first c from s[w->i + from]; fail if none. */
static void
rule_scripts_skip_to(struct rule_scripts_walk *w, size_t from, char c)
{
	const char *e = strchr(w->s + w->i + from, c);

	if (e == NULL)
		w->fail = true;
	else
		w->i = (size_t) (e - w->s) + 1;
}

/* A named group "(?<name>", "(?'name'" or "(?P<name>": anything else
 * in that place (such as PCRE2's "(?<*" lookbehind) is not followed. */
static void
rule_scripts_named(struct rule_scripts_walk *w, char close)
{
	size_t i = w->i + (w->s[w->i + 2] == 'P' ? 4 : 3);

	if (!isalpha((unsigned char) w->s[i]) && w->s[i] != '_') {
		w->fail = true;
		return;
	}
	while (isalnum((unsigned char) w->s[i]) || w->s[i] == '_')
		i++;
	if (w->s[i] != close) {
		w->fail = true;
		return;
	}
	w->i = i + 1;
	rule_scripts_push(w, false, 0);
}

/* A group opens. */
static void
rule_scripts_open(struct rule_scripts_walk *w)
{
	const char *s = w->s + w->i;

	if (s[1] == '*' || (s[1] == '?' && s[2] == '\0'))
		w->fail = true; /* a verb, or cut short */
	else if (s[1] != '?')
		rule_scripts_push(w, false, 1);
	else if (strchr(":|>", s[2]) != NULL)
		rule_scripts_push(w, false, 3);
	else if (s[2] == '=' || s[2] == '!')
		rule_scripts_push(w, true, 3);
	else if (s[2] == '<' && (s[3] == '=' || s[3] == '!'))
		rule_scripts_push(w, true, 4);
	else if (s[2] == '<' || s[2] == '\'' || (s[2] == 'P' && s[3] == '<'))
		rule_scripts_named(w, s[2] == '\'' ? '\'' : '>');
	else if (s[2] == '#')
		rule_scripts_skip_to(w, 2, ')');
	else if (strchr("imnsxUJ-^", s[2]) != NULL)
		rule_scripts_options(w);
	else
		w->fail = true; /* conditions, recursion, callouts */
}

/* A quantifier after an item: skip it. */
enum rule_scripts_q {
	RULE_SCRIPTS_Q_NONE,
	RULE_SCRIPTS_Q_SOME,
	RULE_SCRIPTS_Q_ZERO
};

static enum rule_scripts_q
rule_scripts_quant(struct rule_scripts_walk *w)
{
	const char *s = w->s + w->i;
	size_t      n = 0;
	bool        zero = true, digits = false;

	if (*s == '*' || *s == '?' || *s == '+') {
		zero = *s != '+';
		n = 1;
	} else if (*s == '{') {
		for (n = 1; s[n] >= '0' && s[n] <= '9'; n++, digits = true)
			zero = zero && s[n] == '0';
		if (s[n] == ',')
			for (n++; s[n] >= '0' && s[n] <= '9'; n++)
				;
		if (s[n] != '}' || n == 1)
			return RULE_SCRIPTS_Q_NONE; /* a literal '{' */
		zero = zero || !digits;
		n++;
	} else
		return RULE_SCRIPTS_Q_NONE;
	if (s[n] == '?' || s[n] == '+')
		n++;
	w->i += n;
	return zero ? RULE_SCRIPTS_Q_ZERO : RULE_SCRIPTS_Q_SOME;
}

/* \x{H..} or \xHH at s: the length and *cp; 0 if malformed. */
static size_t
rule_scripts_hex(const char *s, UChar32 *cp)
{
	size_t n = 2, max = 2;
	long   v = 0;

	if (s[2] == '{') {
		n = 3;
		max = 8;
	}
	for (; s[n] && strchr("0123456789abcdefABCDEF", s[n]) && max > 0;
	     n++, max--)
		v = v * 16
		    + (s[n] <= '9' ? s[n] - '0' : (s[n] | 0x20) - 'a' + 10);
	if (s[2] == '{' && s[n++] != '}')
		return 0;
	*cp = v > 0x10FFFF ? 0x10FFFF : (UChar32) v;
	return n;
}

/* Length of \p{...} or \pX at s. */
static size_t
rule_scripts_prop_len(const char *s)
{
	const char *e;

	if (s[2] != '{')
		return s[2] ? 3 : 2;
	e = strchr(s + 3, '}');
	return e ? (size_t) (e - s) + 1 : 0;
}

/* The UTF-8 character at s[*i] (advanced past it); -1 if invalid. */
static UChar32
rule_scripts_utf8(const char *s, size_t *i)
{
	int32_t k = (int32_t) *i, n = k + 4;
	UChar32 c;

	U8_NEXT((const uint8_t *) s, k, n, c);
	*i = (size_t) k;
	return c;
}

/* ASCII punctuation, which an escape makes literal. */
static const char rule_scripts_punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/* Skip \g \k \o \N with their bracketed argument, if any. */
static void
rule_scripts_skip_arg(struct rule_scripts_walk *w)
{
	const char *s = w->s + w->i;

	if (s[2] == '{')
		rule_scripts_skip_to(w, 3, '}');
	else if (s[2] == '<')
		rule_scripts_skip_to(w, 3, '>');
	else if (s[2] == '\'')
		rule_scripts_skip_to(w, 3, '\'');
	else
		w->i += 2;
}

/* An escape outside a class: what it needs. */
static uint64_t
rule_scripts_escape(struct rule_scripts_walk *w)
{
	const char *s = w->s + w->i;
	UChar32     cp;
	size_t      n;

	if (s[1] == 'x' && (n = rule_scripts_hex(s, &cp)) > 0) {
		w->i += n;
		w->lit_bytes = U8_LENGTH(cp);
		return rule_scripts_char(cp, w->caseless);
	}
	if ((s[1] == 'p' || s[1] == 'P')
	    && (n = rule_scripts_prop_len(s)) > 0) {
		w->i += n;
		return rule_scripts_property(w->ctx, s, n, w->caseless);
	}
	if (s[1] == 'Q') { /* a literal run, to \E or the end: nothing */
		n = strstr(s + 2, "\\E")
		    ? (size_t) (strstr(s + 2, "\\E") - s) + 2
		    : strlen(s);
		w->i += n;
	} else if (s[1] != '\0' && strchr("gkoN", s[1]) != NULL)
		rule_scripts_skip_arg(w);
	else if ((unsigned char) s[1] >= 0x80) {
		w->i++;
		if ((cp = rule_scripts_utf8(w->s, &w->i)) < 0)
			return RULE_SCRIPTS_ALL;
		w->lit_bytes = U8_LENGTH(cp);
		return rule_scripts_char(cp, w->caseless);
	} else if (s[1] == 'x')
		w->fail = true;
	else {
		/* An escaped punctuation character is itself. */
		w->lit_bytes
		    = s[1] != '\0' && strchr(rule_scripts_punct, s[1]);
		w->i += s[1] ? 2 : 1;
	}
	return RULE_SCRIPTS_ALL;
}

/* What a class is being made of. */
struct rule_scripts_class {
	USet    *set; /* its characters */
	uint64_t props; /* union of its property escapes; 0 none */
	bool     any; /* it reaches ASCII or something unknown */
};

/* One class member that is an escape, at s[*i]; *cp gets a character,
 * or -1 for a member that is not one. */
static void
rule_scripts_class_escape(struct rule_scripts_walk *w,
    struct rule_scripts_class *k, size_t *i, UChar32 *cp)
{
	const char *s = w->s + *i;
	size_t      n;

	*cp = -1;
	if (s[1] == 'x' && (n = rule_scripts_hex(s, cp)) > 0)
		*i += n;
	else if ((s[1] == 'p' || s[1] == 'P')
	    && (n = rule_scripts_prop_len(s)) > 0) {
		k->props = rule_scripts_union(k->props,
		    rule_scripts_property(w->ctx, s, n, w->caseless));
		*i += n;
	} else if ((unsigned char) s[1] >= 0x80) {
		*i += 1;
		if ((*cp = rule_scripts_utf8(w->s, i)) < 0)
			k->any = true;
	} else if (s[1] == '\0' || strchr("QEcgkoNx", s[1]) != NULL)
		w->fail = true; /* rare forms: not followed */
	else {
		k->any = true; /* class escapes, octal, ASCII */
		*i += 2;
	}
}

/* One member at s[*i]: a character (*cp >= 0) or not (-1). */
static void
rule_scripts_class_member(struct rule_scripts_walk *w,
    struct rule_scripts_class *k, size_t *i, UChar32 *cp)
{
	const char *s = w->s;
	const char *e;

	if (s[*i] == '\\')
		rule_scripts_class_escape(w, k, i, cp);
	else if (s[*i] == '[' && s[*i + 1] == ':'
	    && (e = strstr(s + *i + 2, ":]")) != NULL) {
		k->any = true; /* POSIX classes all reach ASCII */
		*i = (size_t) (e - s) + 2;
		*cp = -1;
	} else if ((unsigned char) s[*i] >= 0x80) {
		if ((*cp = rule_scripts_utf8(s, i)) < 0)
			k->any = true; /* invalid UTF-8: not understood */
	} else
		*cp = (unsigned char) s[(*i)++];
}

/* The members of a class up to its ']' (w->i at the '['). */
static void
rule_scripts_class_members(
    struct rule_scripts_walk *w, struct rule_scripts_class *k, size_t i)
{
	UChar32 lo, hi;

	if (w->s[i] == ']')
		i++, k->any = true; /* a leading ']' is a literal */
	while (!w->fail && w->s[i] && w->s[i] != ']') {
		rule_scripts_class_member(w, k, &i, &lo);
		if (lo < 0)
			continue;
		hi = lo;
		if (w->s[i] == '-' && w->s[i + 1] && w->s[i + 1] != ']') {
			i++;
			rule_scripts_class_member(w, k, &i, &hi);
			if (hi < lo)
				k->any = true;
		}
		if (hi >= lo)
			uset_addRange(k->set, lo, hi);
	}
	if (w->s[i] != ']')
		w->fail = true;
	w->i = w->s[i] ? i + 1 : i;
}

/* A class: what it needs. */
static uint64_t
rule_scripts_class(struct rule_scripts_walk *w)
{
	struct rule_scripts_class k = { uset_openEmpty(), 0, false };
	bool                      neg = w->s[w->i + 1] == '^';
	uint64_t                  need = RULE_SCRIPTS_ALL;

	rule_scripts_class_members(w, &k, w->i + (neg ? 2 : 1));
	if (!neg && !k.any && !w->fail) {
		need = uset_isEmpty(k.set)
		    ? k.props
		    : rule_scripts_set(k.set, w->caseless);
		if (k.props)
			need = rule_scripts_union(need, k.props);
	}
	uset_close(k.set);
	return need ? need : RULE_SCRIPTS_ALL;
}

/* The item at w->i (not a group bracket or '|'): what it needs. */
static uint64_t
rule_scripts_atom(struct rule_scripts_walk *w)
{
	unsigned char c = (unsigned char) w->s[w->i];
	UChar32       cp;

	if (c == '[')
		return rule_scripts_class(w);
	if (c == '\\')
		return rule_scripts_escape(w);
	if (c < 0x80) {
		w->i++;
		w->lit_bytes = strchr(".^$", c) == NULL;
		return RULE_SCRIPTS_ALL; /* ASCII, '.', anchors */
	}
	if ((cp = rule_scripts_utf8(w->s, &w->i)) < 0) {
		w->fail = true;
		return RULE_SCRIPTS_ALL;
	}
	w->lit_bytes = U8_LENGTH(cp);
	return rule_scripts_char(cp, w->caseless);
}

/* The current branch takes an item (zero-minimum quantified: nothing). */
static void
rule_scripts_item(struct rule_scripts_walk *w, uint64_t need)
{
	enum rule_scripts_q        q = rule_scripts_quant(w);
	struct rule_scripts_frame *f = &w->st[w->depth];

	if (q == RULE_SCRIPTS_Q_ZERO)
		need = RULE_SCRIPTS_ALL;
	f->seq = rule_scripts_pick(f->seq, need);
	if (w->lit_bytes > 0 && q == RULE_SCRIPTS_Q_NONE)
		f->run += w->lit_bytes;
	else
		f->run = 0;
	if (f->run >= RULE_SCRIPTS_LITERAL_BYTES
	    || (w->group_lit && q != RULE_SCRIPTS_Q_ZERO))
		f->lit = true;
	w->lit_bytes = 0;
	w->group_lit = false;
}

static void
rule_scripts_step(struct rule_scripts_walk *w)
{
	struct rule_scripts_frame *f = &w->st[w->depth];

	switch (w->s[w->i]) {
	case '(':
		rule_scripts_open(w);
		break;
	case ')':
		rule_scripts_item(w, rule_scripts_close(w));
		break;
	case '|':
		f->alt = f->alt ? rule_scripts_union(f->alt, f->seq) : f->seq;
		f->seq = RULE_SCRIPTS_ALL;
		f->alt_lit = f->alt_lit && f->lit;
		f->lit = false;
		f->run = 0;
		w->i++;
		break;
	default:
		rule_scripts_item(w, rule_scripts_atom(w));
	}
}

struct rule_scripts_ctx *
rule_scripts_ctx_new(void)
{
	rule_scripts_prepare();
	return xcalloc(1, sizeof(struct rule_scripts_ctx));
}

void
rule_scripts_ctx_free(struct rule_scripts_ctx *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nprobes; i++)
		free(c->probes[i].atom);
	free(c->subj);
	free(c);
}

uint64_t
rule_scripts_need(
    struct rule_scripts_ctx *c, const struct rule_pattern *p, bool *literal)
{
	struct rule_scripts_walk *w = xcalloc(1, sizeof(*w));
	uint64_t                  need;

	w->ctx = c;
	w->s = p->src;
	w->caseless = strchr(p->flags, 'i') != NULL;
	w->fail = strchr(p->flags, 'x') != NULL;
	w->st[0].seq = RULE_SCRIPTS_ALL;
	w->st[0].alt_lit = true;
	while (!w->fail && w->s[w->i])
		rule_scripts_step(w);
	need = w->st[0].alt ? rule_scripts_union(w->st[0].alt, w->st[0].seq)
	                    : w->st[0].seq;
	*literal = !w->fail && w->st[0].alt_lit && w->st[0].lit;
	if (w->fail || w->depth != 0)
		need = RULE_SCRIPTS_ALL;
	free(w);
	return need;
}
