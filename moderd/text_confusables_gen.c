/*
 * text_confusables_gen.c - build-time generator of the lookalike table
 * text_unicode.c uses to fold "ϜＲЕЕ ВТС" to "free btc".
 *
 * For every assigned code point from U+0080 to U+1FFFF it asks ICU's spoof
 * checker for the UTS #39 skeleton of that single character and keeps the
 * character when the skeleton is made only of ASCII letters and digits.
 * The output on stdout is a C header with one array of {code point,
 * replacement} sorted by code point, its length, and how many 64-code
 * point blocks it touches (text_unicode.c sizes its lookup index with
 * that).  Linked only against ICU; run by the Makefile.
 *
 * A skeleton is a prototype, not a spelling: ICU maps 'm' to "rn", '0' to
 * 'O' and 'I', '1' and '|' to 'l'.  So the table does not store skeletons
 * but the ASCII character a reader would type for the lookalike, chosen
 * among the ASCII letters and digits whose own skeleton equals the
 * character's skeleton:
 *
 *   - letters map to letters only, never to digits (Cyrillic З stays З,
 *     not '3'); a letter picks the candidate of its own case (Cyrillic
 *     capital І, skeleton 'l', becomes 'I', not 'l'); caseless letters pick
 *     the prototype itself, except that a caseless letter named "... I"
 *     (Lisu, Runic, Old Italic I) picks 'I';
 *   - numbers map only to the ASCII digit of the same numeric value
 *     (Warang Citi zero becomes '0', its digit three, skeleton "rn", stays);
 *   - math and other symbols map only to a single letter (∣ to 'l', ℮ to
 *     'e', × to 'x'); punctuation, marks and modifier symbols never map;
 *   - a letter whose skeleton is several letters keeps them ("AE" for Æ),
 *     with 'l' read as 'I' for an uppercase letter (Ы becomes "bI").
 *
 * ASCII itself is never remapped (the range starts at U+0080), and
 * characters NFKC_Casefold already turns into ASCII (fullwidth and
 * mathematical Latin letters, Roman numerals, ligatures) are left to the
 * normaliser so the two never disagree.  Only scripts whose letters are
 * used to imitate Latin are folded: Latin, Greek, Cyrillic, Armenian,
 * Coptic, Cherokee, Canadian syllabics, Lisu, Runic and a few historic
 * alphabets, plus Common/Inherited symbols.  Arabic, Hebrew, Indic, Thai,
 * Georgian, Ethiopic and CJK characters whose isolated shape happens to
 * resemble 'o' or 'l' are not folded: doing so would garble everyday text
 * in those scripts for no gain against spam.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

#define CGEN_FIRST_CP 0x80
#define CGEN_LAST_CP 0x1FFFF
#define CGEN_MAX_SKEL 16
#define CGEN_LATIN_BYTES 4 /* 3 characters + NUL */
#define CGEN_MAX_NAME 128
#define CGEN_BLOCK_SHIFT 6 /* text_unicode.c indexes blocks of 64 */

/* Scripts whose letters are used as Latin lookalikes. */
static const UScriptCode cgen_scripts[] = {
	USCRIPT_COMMON,
	USCRIPT_INHERITED,
	USCRIPT_LATIN,
	USCRIPT_GREEK,
	USCRIPT_CYRILLIC,
	USCRIPT_ARMENIAN,
	USCRIPT_COPTIC,
	USCRIPT_CHEROKEE,
	USCRIPT_CANADIAN_ABORIGINAL,
	USCRIPT_LISU,
	USCRIPT_RUNIC,
	USCRIPT_OLD_ITALIC,
	USCRIPT_LYCIAN,
	USCRIPT_CARIAN,
	USCRIPT_DESERET,
	USCRIPT_OSAGE,
	USCRIPT_ELBASAN,
	USCRIPT_WARANG_CITI,
	USCRIPT_MIAO,
};

enum cgen_kind { CGEN_SKIP, CGEN_LETTER, CGEN_NUMBER, CGEN_SYMBOL };

struct cgen {
	USpoofChecker      *sc;
	const UNormalizer2 *nfkccf;
	char                ascii_skel[128][CGEN_MAX_SKEL]; /* skeleton of c */
};

static void
cgen_die(const char *what, UErrorCode st)
{
	fprintf(
	    stderr, "text_confusables_gen: %s: %s\n", what, u_errorName(st));
	exit(1);
}

/* cgen_skeleton: UTS #39 skeleton of cp as UTF-8, "" if not ASCII-only. */
static void
cgen_skeleton(const struct cgen *g, UChar32 cp, char *out, size_t outsz)
{
	UChar      in[2], sk[CGEN_MAX_SKEL];
	int32_t    inlen = 0, sklen, i;
	UErrorCode st = U_ZERO_ERROR;

	U16_APPEND_UNSAFE(in, inlen, cp);
	sklen
	    = uspoof_getSkeleton(g->sc, 0, in, inlen, sk, CGEN_MAX_SKEL, &st);
	out[0] = '\0';
	if (U_FAILURE(st) || sklen <= 0 || (size_t) sklen >= outsz)
		return;
	for (i = 0; i < sklen; i++) {
		if (sk[i] >= 0x80) {
			out[0] = '\0';
			return;
		}
		out[i] = (char) sk[i];
	}
	out[sklen] = '\0';
}

static int
cgen_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9');
}

static int
cgen_all_alnum(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!cgen_is_alnum((unsigned char) *s))
			return 0;
	return 1;
}

static int
cgen_script_ok(UChar32 cp)
{
	UErrorCode  st = U_ZERO_ERROR;
	UScriptCode sc = uscript_getScript(cp, &st);
	size_t      i;

	if (U_FAILURE(st))
		return 0;
	for (i = 0; i < sizeof(cgen_scripts) / sizeof(cgen_scripts[0]); i++)
		if (cgen_scripts[i] == sc)
			return 1;
	return 0;
}

/* cgen_nfkc_ascii: true if NFKC_Casefold already turns cp into ASCII. */
static int
cgen_nfkc_ascii(const struct cgen *g, UChar32 cp)
{
	UChar      in[2], out[64];
	int32_t    inlen = 0, n, i;
	UErrorCode st = U_ZERO_ERROR;

	U16_APPEND_UNSAFE(in, inlen, cp);
	n = unorm2_normalize(g->nfkccf, in, inlen, out, 64, &st);
	if (U_FAILURE(st))
		cgen_die("unorm2_normalize", st);
	for (i = 0; i < n; i++)
		if (out[i] >= 0x80)
			return 0;
	return 1;
}

static enum cgen_kind
cgen_kind(UChar32 cp)
{
	switch (u_charType(cp)) {
	case U_UPPERCASE_LETTER:
	case U_LOWERCASE_LETTER:
	case U_TITLECASE_LETTER:
	case U_MODIFIER_LETTER:
	case U_OTHER_LETTER:
		return CGEN_LETTER;
	case U_DECIMAL_DIGIT_NUMBER:
	case U_LETTER_NUMBER:
	case U_OTHER_NUMBER:
		return CGEN_NUMBER;
	case U_MATH_SYMBOL:
	case U_OTHER_SYMBOL:
		return CGEN_SYMBOL;
	default:
		return CGEN_SKIP;
	}
}

static int
cgen_upper(UChar32 cp)
{
	int t = u_charType(cp);

	return t == U_UPPERCASE_LETTER || t == U_TITLECASE_LETTER;
}

/* cgen_named_i: a caseless letter whose name ends in " I" (Lisu I). */
static int
cgen_named_i(UChar32 cp)
{
	char       name[CGEN_MAX_NAME];
	UErrorCode st = U_ZERO_ERROR;
	int32_t    n;

	n = u_charName(cp, U_UNICODE_CHAR_NAME, name, sizeof(name), &st);
	return U_SUCCESS(st) && n >= 2 && strcmp(name + n - 2, " I") == 0;
}

/*
 * cgen_pick_letter: the ASCII letter with skeleton skel that best fits cp,
 * or 0.  Order of preference: same case as cp, then the prototype itself.
 */
static int
cgen_pick_letter(const struct cgen *g, UChar32 cp, const char *skel)
{
	int c, lower = 0, upper = 0;

	for (c = 'A'; c <= 'z'; c++) {
		if (!cgen_is_alnum(c) || strcmp(g->ascii_skel[c], skel) != 0)
			continue;
		if (c >= 'a')
			lower = lower ? lower : c;
		else
			upper = upper ? upper : c;
	}
	if (cgen_upper(cp)
	    || (u_charType(cp) == U_OTHER_LETTER && upper && cgen_named_i(cp)))
		return upper ? upper : lower;
	if (u_charType(cp) == U_LOWERCASE_LETTER)
		return lower ? lower : upper;
	if (skel[1] == '\0' && (lower == skel[0] || upper == skel[0]))
		return skel[0];
	return lower ? lower : upper;
}

/* cgen_pick_digit: the ASCII digit with skeleton skel and cp's value. */
static int
cgen_pick_digit(const struct cgen *g, UChar32 cp, const char *skel)
{
	double v = u_getNumericValue(cp);
	int    c;

	for (c = '0'; c <= '9'; c++)
		if (strcmp(g->ascii_skel[c], skel) == 0
		    && v == (double) (c - '0'))
			return c;
	return 0;
}

/* cgen_spell: several prototype letters for one letter (Æ, Ы). */
static int
cgen_spell(UChar32 cp, const char *skel, char *out)
{
	size_t i, n = strlen(skel);

	if (n >= CGEN_LATIN_BYTES)
		return 0;
	for (i = 0; i < n; i++) {
		if (skel[i] >= '0' && skel[i] <= '9')
			return 0;
		out[i] = skel[i] == 'l' && cgen_upper(cp) ? 'I' : skel[i];
	}
	out[n] = '\0';
	return 1;
}

/* cgen_map: the ASCII replacement of cp into out; 0 if cp stays. */
static int
cgen_map(const struct cgen *g, UChar32 cp, char *out)
{
	char           skel[CGEN_MAX_SKEL];
	enum cgen_kind kind = cgen_kind(cp);
	int            c = 0;

	if (kind == CGEN_SKIP || !cgen_script_ok(cp) || cgen_nfkc_ascii(g, cp))
		return 0;
	cgen_skeleton(g, cp, skel, sizeof(skel));
	if (!cgen_all_alnum(skel))
		return 0;
	if (kind == CGEN_NUMBER)
		c = cgen_pick_digit(g, cp, skel);
	else
		c = cgen_pick_letter(g, cp, skel);
	if (c == 0 && kind == CGEN_LETTER && skel[1] != '\0')
		return cgen_spell(cp, skel, out);
	if (c == 0)
		return 0;
	out[0] = (char) c;
	out[1] = '\0';
	return 1;
}

static void
cgen_init(struct cgen *g)
{
	UErrorCode st = U_ZERO_ERROR;
	int        c;

	memset(g, 0, sizeof(*g));
	g->sc = uspoof_open(&st);
	if (U_FAILURE(st))
		cgen_die("uspoof_open", st);
	g->nfkccf = unorm2_getNFKCCasefoldInstance(&st);
	if (U_FAILURE(st))
		cgen_die("unorm2_getNFKCCasefoldInstance", st);
	for (c = 0; c < 128; c++)
		if (cgen_is_alnum(c))
			cgen_skeleton(g, c, g->ascii_skel[c], CGEN_MAX_SKEL);
}

static int
cgen_assigned(UChar32 cp)
{
	int t = u_charType(cp);

	return t != U_UNASSIGNED && t != U_SURROGATE
	    && t != U_PRIVATE_USE_CHAR;
}

static void
cgen_emit(const struct cgen *g)
{
	UChar32 cp, block = -1;
	char    latin[CGEN_LATIN_BYTES];
	size_t  n = 0, blocks = 0;

	printf("static const struct text_confusable text_confusables[] = {\n");
	for (cp = CGEN_FIRST_CP; cp <= CGEN_LAST_CP; cp++) {
		if (!cgen_assigned(cp) || !cgen_map(g, cp, latin))
			continue;
		printf("\t{ 0x%05X, \"%s\" },\n", (unsigned) cp, latin);
		n++;
		if (cp >> CGEN_BLOCK_SHIFT != block)
			blocks++;
		block = cp >> CGEN_BLOCK_SHIFT;
	}
	printf("};\n\n#define TEXT_CONFUSABLES_COUNT %zu\n", n);
	printf("/* distinct blocks of %d code points holding entries */\n"
	       "#define TEXT_CONFUSABLES_BLOCK_SHIFT %d\n"
	       "#define TEXT_CONFUSABLES_BLOCKS %zu\n",
	    1 << CGEN_BLOCK_SHIFT, CGEN_BLOCK_SHIFT, blocks);
}

int
main(void)
{
	struct cgen *g = malloc(sizeof(*g));

	if (g == NULL)
		return 1;
	cgen_init(g);
	printf("/*\n * text_confusables.h - generated by "
	       "moderd/text_confusables_gen.c\n"
	       " * from ICU %s (Unicode %s).  DO NOT EDIT.\n"
	       " * Lookalike code point -> ASCII replacement, sorted by code "
	       "point.\n */\n",
	    U_ICU_VERSION, U_UNICODE_VERSION);
	printf("#ifndef TEXT_CONFUSABLES_H\n#define TEXT_CONFUSABLES_H\n\n"
	       "#include <stdint.h>\n\n"
	       "#define TEXT_CONFUSABLE_LATIN_BYTES %d\n\n"
	       "struct text_confusable {\n\tuint32_t cp;\n"
	       "\tchar     latin[TEXT_CONFUSABLE_LATIN_BYTES];\n};\n\n",
	    CGEN_LATIN_BYTES);
	cgen_emit(g);
	printf("\n#endif /* TEXT_CONFUSABLES_H */\n");
	uspoof_close(g->sc);
	free(g);
	return ferror(stdout) ? 1 : 0;
}
