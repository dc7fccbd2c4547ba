/*
 * text_unicode.c - UTF-8 validation and repair, and the folded view of a
 * text that rules match by default.
 *
 * text_fold() runs one pass over the input and two ICU calls' worth of
 * work, in this order:
 *
 *   1. decode UTF-8: every invalid sequence (maximal subpart, as the
 *      Unicode standard recommends) becomes one U+FFFD, NUL bytes are
 *      dropped (TEXT_FOLD_INVALID);
 *   2. drop Default_Ignorable code points.  Zero-width characters, bidi
 *      controls, the soft hyphen, Hangul fillers and similar "invisible"
 *      characters set TEXT_FOLD_INVISIBLE; variation selectors, emoji tag
 *      characters and a zero-width joiner right after an emoji are dropped
 *      silently, so ordinary emoji do not raise the flag;
 *   3. fold lookalikes to their ASCII prototype with the generated table
 *      (text_confusables_gen.c explains which characters are in it and
 *      why), keeping the prototype's case: Cyrillic В becomes 'B';
 *   4. NFKC_Casefold (ICU, on UTF-16): fullwidth and mathematical letters
 *      become ASCII, everything is case folded, "Straße" becomes
 *      "strasse" (TEXT_FOLD_CASE when anything changed);
 *   5. encode to UTF-8, folding once more the lookalikes that only appear
 *      after step 4 (a compatibility character whose NFKC form is Greek),
 *      and stop at MOD_MAX_TEXT_BYTES on a code point boundary.
 *
 * Steps 1-3 happen while converting to UTF-16, step 5 while converting
 * back, so the work is two linear passes plus the normaliser.  Pure ASCII
 * input (the common case) never reaches ICU: it is copied and lowercased
 * in place, which is exactly what NFKC_Casefold would do to it.  ASCII is
 * never remapped by the lookalike table: 'm' stays 'm', '0' stays '0'.
 *
 * Memory: the two UTF-16 buffers live on the stack for short texts and
 * are allocated once per call for longer ones; nothing is allocated per
 * character.  Input beyond MOD_MAX_FOLD_INPUT_BYTES is ignored.  If NFKC
 * expands a hostile input past TEXT_MAX_NFKC_UNITS the input is cut in
 * half (at a code point boundary) until it fits; all such cuts set
 * TEXT_FOLD_TRUNCATED.  Runs of ASCII are moved in bulk (8 bytes at a
 * time where possible); every other code point costs one lookup in a
 * two-level index (blocks of 64 code points) that says whether it is
 * plain, ignorable or a lookalike.  The index and the ICU normaliser
 * instance are set up once with pthread_once and are read-only, so
 * thread-safe, afterwards.
 *
 * text_utf8_sanitize() reports in *changed only replacements and dropped
 * NULs; a cut at the cap is visible to the caller from the length.
 *
 * What this file deliberately does not do: it does not NFD-decompose
 * before folding lookalikes, so a precomposed Cyrillic ё stays Cyrillic
 * while е + U+0308 becomes Latin ë; it does not fold whole-script
 * confusables or multi-character sequences ("rn" stays "rn").
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>

#include "text.h"
#include "text_confusables.h"
#include "util.h"

/* UTF-16 units kept on the stack per buffer before falling back to heap. */
#define TEXT_STACK_UNITS 2048
/* Largest NFKC output accepted before the input is cut (UTF-16 units). */
#define TEXT_MAX_NFKC_UNITS (4 * MOD_MAX_FOLD_INPUT_BYTES)
/* Bytes of UTF-8 staged before an append to the output buffer. */
#define TEXT_CHUNK_BYTES 1024

/* A UTF-16 buffer that starts on the caller's stack. */
struct text_u16 {
	UChar  *p;
	int32_t len;
	int32_t cap;
	bool    heap;
};

/*
 * text_u8_next: decode the code point at s[0..len), len >= 1.  Returns
 * its length; *cp is -1 for an invalid sequence, whose length is then
 * that of its maximal subpart (1-3 bytes).
 */
static size_t
text_u8_next(const unsigned char *s, size_t len, int32_t *cp)
{
	unsigned b = s[0], lo = 0x80, hi = 0xBF;
	size_t   need, i;
	int32_t  c;

	*cp = -1;
	if (b < 0x80) {
		*cp = (int32_t) b;
		return 1;
	}
	if (b < 0xC2 || b > 0xF4)
		return 1;
	need = b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
	c = (int32_t) (b & (0x3F >> need));
	if (b == 0xE0)
		lo = 0xA0;
	else if (b == 0xED)
		hi = 0x9F;
	else if (b == 0xF0)
		lo = 0x90;
	else if (b == 0xF4)
		hi = 0x8F;
	for (i = 1; i <= need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi)
			return i;
		c = (c << 6) | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = c;
	return need + 1;
}

size_t
text_utf8_put(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char) (0xC0 | (cp >> 6));
		o[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char) (0xE0 | (cp >> 12));
		o[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char) (0xF0 | (cp >> 18));
	o[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/* text_room: bytes out may still take, at most want. */
static size_t
text_room(const struct buf *out, size_t want)
{
	size_t max = out->max ? out->max : MOD_MAX_EVENT_BYTES;
	size_t room = out->len < max ? max - out->len : 0;

	return room < want ? room : want;
}

/* text_ascii_run: length of the prefix of s[0..len) in 0x01..0x7F. */
static size_t
text_ascii_run(const unsigned char *s, size_t len)
{
	const uint64_t hi = UINT64_C(0x8080808080808080);
	const uint64_t ones = UINT64_C(0x0101010101010101);
	uint64_t       w;
	size_t         i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		if (((w - ones) | w) & hi) /* a NUL or a byte >= 0x80 */
			break;
	}
	while (i < len && s[i] >= 0x01 && s[i] < 0x80)
		i++;
	return i;
}

bool
text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t               i = 0;
	int32_t              cp;

	while (i < len) {
		if ((i += text_ascii_run(u + i, len - i)) >= len)
			break;
		i += text_u8_next(u + i, len - i, &cp);
		if (cp <= 0)
			return false;
	}
	return true;
}

size_t
text_utf8_trim(const char *s, size_t len, size_t cap)
{
	size_t n = cap;

	if (len <= cap)
		return len;
	/* s[n] is the first byte left out: back up over continuations. */
	while (n > 0 && cap - n < 3 && (s[n] & 0xC0) == 0x80)
		n--;
	return (s[n] & 0xC0) == 0x80 ? cap : n;
}

/* text_valid_run: length of the valid, NUL-free prefix of s[0..len). */
static size_t
text_valid_run(const unsigned char *s, size_t len)
{
	size_t  i = 0, n;
	int32_t cp;

	while (i < len) {
		if ((i += text_ascii_run(s + i, len - i)) >= len)
			break;
		n = text_u8_next(s + i, len - i, &cp);
		if (cp <= 0)
			break;
		i += n;
	}
	return i;
}

void
text_utf8_sanitize(
    const char *s, size_t len, size_t cap, struct buf *out, bool *changed)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t               i = 0, run, used = 0, n;
	int32_t              cp;
	bool                 ch = false;

	cap = text_room(out, cap);
	while (i < len) {
		run = text_valid_run(u + i, len - i);
		if (run > cap - used) {
			run = text_utf8_trim(s + i, run, cap - used);
			if (run > 0 && buf_append(out, s + i, run) == 0)
				used += run;
			break;
		}
		if (run > 0 && buf_append(out, s + i, run) != 0)
			break;
		used += run;
		i += run;
		if (i >= len)
			break;
		n = text_u8_next(u + i, len - i, &cp);
		if (cp < 0) {
			if (cap - used < 3
			    || buf_append(out, "\xEF\xBF\xBD", 3))
				break;
			used += 3;
		}
		ch = true;
		i += n;
	}
	if (changed)
		*changed = ch;
}

/* text_is_ascii: true if s[0..len) has no byte >= 0x80. */
static bool
text_is_ascii(const char *s, size_t len)
{
	uint64_t w, acc = 0;
	size_t   i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < len; i++)
		acc |= (unsigned char) s[i];
	return (acc & UINT64_C(0x8080808080808080)) == 0;
}

/* text_drop_nul: remove NUL bytes from out[from..]. */
static void
text_drop_nul(struct buf *out, size_t from, unsigned *f)
{
	char  *p = out->data;
	size_t i, j = from;

	if (memchr(p + from, '\0', out->len - from) == NULL)
		return;
	*f |= TEXT_FOLD_INVALID;
	for (i = from; i < out->len; i++)
		if (p[i] != '\0')
			p[j++] = p[i];
	out->len = j;
	p[j] = '\0';
}

/* text_lower8: ASCII-lowercase 8 bytes at once (SWAR); *up if any was. */
static uint64_t
text_lower8(uint64_t w, uint64_t *up)
{
	const uint64_t hi = UINT64_C(0x8080808080808080);
	const uint64_t lo7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
	const uint64_t ones = UINT64_C(0x0101010101010101);
	uint64_t       h = w & lo7;
	uint64_t       ge_a = h + ones * (0x80 - 'A');
	uint64_t       gt_z = h + ones * (0x80 - 'Z' - 1);
	uint64_t       m = ge_a & ~gt_z & ~w & hi;

	*up |= m;
	return w | (m >> 2);
}

/* text_lower_tail: ASCII-lowercase out[from..], dropping NUL bytes. */
static void
text_lower_tail(struct buf *out, size_t from, unsigned *f)
{
	unsigned char *p = (unsigned char *) out->data;
	uint64_t       w, up = 0;
	size_t         i = from, n = out->len;

	if (p == NULL)
		return;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		w = text_lower8(w, &up);
		memcpy(p + i, &w, 8);
	}
	for (; i < n; i++) {
		if (p[i] >= 'A' && p[i] <= 'Z') {
			p[i] |= 0x20;
			up = 1;
		}
	}
	if (up)
		*f |= TEXT_FOLD_CASE;
	text_drop_nul(out, from, f);
}

static void
text_fold_ascii(
    const char *s, size_t len, size_t cap, struct buf *out, unsigned *f)
{
	size_t from = out->len;

	if (len > cap) {
		len = cap;
		*f |= TEXT_FOLD_TRUNCATED;
	}
	if (len == 0 || buf_append(out, s, len) != 0)
		return;
	text_lower_tail(out, from, f);
}

enum text_ign { TEXT_KEEP, TEXT_DROP, TEXT_DROP_FLAG };

/* Default_Ignorable_Code_Point ranges (Unicode 15), sorted. */
static const struct {
	uint32_t lo, hi;
	bool     flag; /* counts as an invisible control */
} text_ignorables[] = {
	{ 0x00AD, 0x00AD, true }, /* soft hyphen */
	{ 0x034F, 0x034F, true }, /* combining grapheme joiner */
	{ 0x061C, 0x061C, true }, /* Arabic letter mark */
	{ 0x115F, 0x1160, true }, /* Hangul fillers */
	{ 0x17B4, 0x17B5, true }, /* Khmer inherent vowels */
	{ 0x180B, 0x180D, false }, /* Mongolian variation selectors */
	{ 0x180E, 0x180E, true }, /* Mongolian vowel separator */
	{ 0x180F, 0x180F, false }, /* Mongolian variation selector 4 */
	{ 0x200B, 0x200F, true }, /* ZWSP ZWNJ ZWJ LRM RLM */
	{ 0x202A, 0x202E, true }, /* bidi embeddings, overrides */
	{ 0x2060, 0x206F, true }, /* word joiner, invisibles, isolates */
	{ 0x3164, 0x3164, true }, /* Hangul filler */
	{ 0xFE00, 0xFE0F, false }, /* variation selectors */
	{ 0xFEFF, 0xFEFF, true }, /* zero-width no-break space */
	{ 0xFFA0, 0xFFA0, true }, /* halfwidth Hangul filler */
	{ 0xFFF0, 0xFFF8, true }, /* unassigned specials */
	{ 0x1BCA0, 0x1BCA3, true }, /* shorthand format controls */
	{ 0x1D173, 0x1D17A, true }, /* musical format controls */
	{ 0xE0000, 0xE00FF, false }, /* tags (emoji flags) */
	{ 0xE0100, 0xE0FFF, false }, /* variation selectors supplement */
};

#define TEXT_ZWJ 0x200D
/* Below this the class index answers; above, only tags are special. */
#define TEXT_CLASS_LIMIT 0x20000
#define TEXT_TAGS_FIRST 0xE0000
#define TEXT_BLOCK_SHIFT TEXT_CONFUSABLES_BLOCK_SHIFT
#define TEXT_BLOCK_CPS (1u << TEXT_BLOCK_SHIFT)
/* Every ignorable range above spans at most two blocks. */
#define TEXT_MAX_BLOCKS (TEXT_CONFUSABLES_BLOCKS + 2 * nitems(text_ignorables))
/* Class of a code point: 0 plain, 1..COUNT lookalike index + 1, or: */
#define TEXT_CLASS_IGNORABLE 0xFFFF

_Static_assert(TEXT_MAX_BLOCKS < 255, "block ids are bytes");
_Static_assert(TEXT_CONFUSABLES_COUNT < TEXT_CLASS_IGNORABLE, "classes");

/*
 * Set once by text_init_once(), read-only afterwards: a two-level index
 * from code point to class, 64 code points per block, block 0 all plain.
 */
static pthread_once_t      text_once = PTHREAD_ONCE_INIT;
static const UNormalizer2 *text_nfkccf;
static uint8_t             text_block_of[TEXT_CLASS_LIMIT >> TEXT_BLOCK_SHIFT];
static uint16_t            text_blocks[TEXT_MAX_BLOCKS + 1][TEXT_BLOCK_CPS];
static unsigned            text_nblocks = 1;

static void
text_class_set(uint32_t cp, uint16_t cls)
{
	uint32_t b = cp >> TEXT_BLOCK_SHIFT;

	if (cp >= TEXT_CLASS_LIMIT)
		return;
	if (text_block_of[b] == 0)
		text_block_of[b] = (uint8_t) text_nblocks++;
	text_blocks[text_block_of[b]][cp & (TEXT_BLOCK_CPS - 1)] = cls;
}

static void
text_init_once(void)
{
	UErrorCode st = U_ZERO_ERROR;
	uint32_t   cp;
	size_t     i;

	for (i = 0; i < TEXT_CONFUSABLES_COUNT; i++)
		text_class_set(text_confusables[i].cp, (uint16_t) (i + 1));
	for (i = 0; i < nitems(text_ignorables); i++)
		for (cp = text_ignorables[i].lo; cp <= text_ignorables[i].hi;
		     cp++)
			text_class_set(cp, TEXT_CLASS_IGNORABLE);
	text_nfkccf = unorm2_getNFKCCasefoldInstance(&st);
	if (U_FAILURE(st))
		text_nfkccf = NULL;
}

/* text_class: see TEXT_CLASS_*; cp is not ASCII. */
static uint16_t
text_class(uint32_t cp)
{
	if (cp >= TEXT_CLASS_LIMIT)
		return cp >= TEXT_TAGS_FIRST ? TEXT_CLASS_IGNORABLE : 0;
	return text_blocks[text_block_of[cp >> TEXT_BLOCK_SHIFT]]
	                  [cp & (TEXT_BLOCK_CPS - 1)];
}

/* text_confusable: the ASCII replacement of a class, or NULL. */
static const char *
text_confusable(uint16_t cls)
{
	if (cls == 0 || cls == TEXT_CLASS_IGNORABLE)
		return NULL;
	return text_confusables[cls - 1].latin;
}

/* text_emoji: cp can be followed by a ZWJ in an emoji sequence. */
static bool
text_emoji(int32_t cp)
{
	return cp >= 0x80
	    && (u_hasBinaryProperty(cp, UCHAR_EXTENDED_PICTOGRAPHIC)
	        || u_hasBinaryProperty(cp, UCHAR_EMOJI_MODIFIER));
}

/* text_ignorable: whether to drop cp; prev is the last code point kept. */
static enum text_ign
text_ignorable(uint32_t cp, int32_t prev)
{
	size_t i;

	for (i = 0; i < nitems(text_ignorables); i++) {
		if (cp < text_ignorables[i].lo)
			return TEXT_KEEP;
		if (cp > text_ignorables[i].hi)
			continue;
		if (!text_ignorables[i].flag)
			return TEXT_DROP;
		return cp == TEXT_ZWJ && text_emoji(prev) ? TEXT_DROP
		                                          : TEXT_DROP_FLAG;
	}
	return TEXT_KEEP;
}

static void
text_u16_init(struct text_u16 *u, UChar *stack, int32_t stackcap, int32_t need)
{
	u->len = 0;
	u->heap = need > stackcap;
	u->cap = u->heap ? need : stackcap;
	u->p = u->heap ? xreallocarray(NULL, (size_t) need, sizeof(UChar))
	               : stack;
}

static void
text_u16_grow(struct text_u16 *u, int32_t need)
{
	if (need <= u->cap)
		return;
	if (!u->heap)
		u->p = NULL;
	u->p = xreallocarray(u->p, (size_t) need, sizeof(UChar));
	u->cap = need;
	u->heap = true;
}

static void
text_u16_free(struct text_u16 *u)
{
	if (u->heap)
		free(u->p);
	u->p = NULL;
}

/* text_pre_one: append the pre-normalisation form of cp to a. */
static void
text_pre_one(struct text_u16 *a, int32_t cp, int32_t *prev, unsigned *f)
{
	const char *lat;
	UChar      *p = a->p;
	int32_t     n = a->len;
	uint16_t    cls = text_class((uint32_t) cp);

	if (cls == TEXT_CLASS_IGNORABLE) {
		switch (text_ignorable((uint32_t) cp, *prev)) {
		case TEXT_DROP_FLAG:
			*f |= TEXT_FOLD_INVISIBLE;
			return;
		case TEXT_DROP:
			return;
		case TEXT_KEEP:
			break;
		}
	}
	if ((lat = text_confusable(cls)) != NULL) {
		*f |= TEXT_FOLD_CONFUSABLE;
		while (*lat)
			p[n++] = (UChar) *lat++;
	} else
		U16_APPEND_UNSAFE(p, n, cp);
	a->len = n;
	*prev = cp;
}

/* text_widen: ASCII bytes to UTF-16 units (a plain loop: vectorised). */
static void
text_widen(UChar *restrict d, const unsigned char *restrict s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = s[i];
}

/*
 * text_pre: steps 1-3 of the essay, s[0..len) into a (capacity >= 2*len:
 * no input byte yields more than two UTF-16 units).
 */
static void
text_pre(const char *s, size_t len, struct text_u16 *a, unsigned *f)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t               i = 0, run;
	int32_t              cp, prev = 0;

	while (i < len) {
		run = text_ascii_run(u + i, len - i);
		text_widen(a->p + a->len, u + i, run);
		a->len += (int32_t) run;
		if ((i += run) >= len)
			break;
		i += text_u8_next(u + i, len - i, &cp);
		if (cp == 0) {
			*f |= TEXT_FOLD_INVALID;
			continue;
		}
		if (cp < 0) {
			*f |= TEXT_FOLD_INVALID;
			cp = 0xFFFD;
		}
		text_pre_one(a, cp, &prev, f);
	}
}

/* text_nfkc: b = NFKC_Casefold(a), cutting a if b would grow too big. */
static int
text_nfkc(const UNormalizer2 *n2, struct text_u16 *a, struct text_u16 *b,
    unsigned *f)
{
	UErrorCode st;
	int32_t    need;

	for (;;) {
		st = U_ZERO_ERROR;
		need = unorm2_normalize(n2, a->p, a->len, b->p, b->cap, &st);
		if (U_SUCCESS(st)) {
			b->len = need;
			return 0;
		}
		if (st != U_BUFFER_OVERFLOW_ERROR)
			return MOD_EINTERNAL;
		if (need <= TEXT_MAX_NFKC_UNITS) {
			text_u16_grow(b, need);
			continue;
		}
		a->len /= 2;
		if (a->len > 0 && U16_IS_TRAIL(a->p[a->len]))
			a->len--;
		*f |= TEXT_FOLD_TRUNCATED;
	}
}

/* text_post_one: UTF-8 of cp after step 5 into o[0..4); its length. */
static size_t
text_post_one(uint32_t cp, char *o, unsigned *f)
{
	const char *lat;
	size_t      n = 0;

	if ((lat = text_confusable(text_class(cp))) != NULL) {
		*f |= TEXT_FOLD_CONFUSABLE;
		for (; lat[n]; n++)
			o[n] = lat[n] >= 'A' && lat[n] <= 'Z' ? lat[n] | 0x20
			                                      : lat[n];
		return n;
	}
	if (U_IS_SURROGATE(cp))
		cp = 0xFFFD;
	return text_utf8_put(cp, o);
}

static size_t
text_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* text_post_ascii: copy the leading ASCII units of p (at most max). */
static size_t
text_post_ascii(
    const UChar *restrict p, size_t len, size_t max, char *restrict o)
{
	const uint64_t nonascii = UINT64_C(0xFF80FF80FF80FF80);
	size_t         i = 0, n = text_min(len, max), run;
	uint64_t       w;

	for (; i + 4 <= n; i += 4) {
		memcpy(&w, p + i, 8);
		if (w & nonascii)
			break;
	}
	while (i < n && p[i] < 0x80)
		i++;
	for (run = i, i = 0; i < run; i++)
		o[i] = (char) p[i];
	return run;
}

/* text_post: step 5, b to UTF-8 appended to out, at most cap bytes. */
static void
text_post(const struct text_u16 *b, size_t cap, struct buf *out, unsigned *f)
{
	char     chunk[TEXT_CHUNK_BYTES];
	size_t   k = 0, total = 0, n;
	int32_t  i = 0;
	uint32_t cp;

	while (i < b->len) {
		if (k + 4 > sizeof(chunk)) {
			if (buf_append(out, chunk, k) != 0)
				return;
			k = 0;
		}
		n = text_post_ascii(b->p + i, (size_t) (b->len - i),
		    text_min(sizeof(chunk) - k, cap - total), chunk + k);
		if (n > 0) {
			i += (int32_t) n;
			k += n;
			total += n;
			continue;
		}
		U16_NEXT(b->p, i, b->len, cp);
		if (cp < 0x80) {
			chunk[k] = (char) cp;
			n = 1;
		} else
			n = text_post_one(cp, chunk + k, f);
		if (n > cap - total) {
			*f |= TEXT_FOLD_TRUNCATED;
			break;
		}
		k += n;
		total += n;
	}
	if (k > 0 && buf_append(out, chunk, k) != 0)
		return;
}

/* text_same: true if NFKC_Casefold left a unchanged. */
static bool
text_same(const struct text_u16 *a, const struct text_u16 *b)
{
	return a->len == b->len
	    && memcmp(a->p, b->p, (size_t) a->len * sizeof(UChar)) == 0;
}

static int
text_fold_unicode(
    const char *s, size_t len, size_t cap, struct buf *out, unsigned *f)
{
	UChar           astack[TEXT_STACK_UNITS], bstack[TEXT_STACK_UNITS];
	struct text_u16 a, b;
	int             rv;

	pthread_once(&text_once, text_init_once);
	if (text_nfkccf == NULL)
		return MOD_EINTERNAL;
	text_u16_init(&a, astack, TEXT_STACK_UNITS, (int32_t) (2 * len + 1));
	text_pre(s, len, &a, f);
	text_u16_init(&b, bstack, TEXT_STACK_UNITS, a.len + a.len / 2 + 16);
	rv = text_nfkc(text_nfkccf, &a, &b, f);
	if (rv == 0) {
		if (!text_same(&a, &b))
			*f |= TEXT_FOLD_CASE;
		text_post(&b, cap, out, f);
	}
	text_u16_free(&a);
	text_u16_free(&b);
	return rv;
}

/* text_fold_fallback: the sanitised input, lowercased, when ICU fails. */
static void
text_fold_fallback(
    const char *s, size_t len, size_t cap, struct buf *out, unsigned *f)
{
	size_t from = out->len;
	bool   changed = false;

	text_utf8_sanitize(s, len, cap, out, &changed);
	if (changed)
		*f |= TEXT_FOLD_INVALID;
	text_lower_tail(out, from, f);
}

int
text_fold(const char *s, size_t len, struct buf *out, unsigned *flags)
{
	unsigned f = 0;
	size_t   cap = text_room(out, MOD_MAX_TEXT_BYTES);
	int      rv = 0;

	if (len > MOD_MAX_FOLD_INPUT_BYTES) {
		len = text_utf8_trim(s, len, MOD_MAX_FOLD_INPUT_BYTES);
		f |= TEXT_FOLD_TRUNCATED;
	}
	if (text_is_ascii(s, len))
		text_fold_ascii(s, len, cap, out, &f);
	else if ((rv = text_fold_unicode(s, len, cap, out, &f)) != 0) {
		f &= TEXT_FOLD_TRUNCATED;
		text_fold_fallback(s, len, cap, out, &f);
	}
	if (flags)
		*flags = f;
	return rv;
}
