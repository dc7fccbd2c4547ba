/*
 * test_feed_parse.c - feed parsing: every format and quirk of formats.md
 * §C as golden files, the domain normaliser and the digest as tables.
 *
 * Each fixture in tests/feeds/ has two golden files beside it: NAME.out,
 * the entries as `moderctl feeds parse` prints them (one JSON line each),
 * and NAME.err, what it prints on stderr (per-line errors, then the
 * summary line).  A fixture parsed with a forced format has goldens named
 * NAME.FORMAT.out and NAME.FORMAT.err.  To add or update one, from the
 * repository root:
 *
 *	moderctl feeds parse tests/feeds/NAME > tests/feeds/NAME.out \
 *	    2> tests/feeds/NAME.err
 *
 * and read the result before committing it: the golden file is the spec.
 * Every parsed list is also checked against the invariants feed_parse()
 * promises (normalised unique domains, digests, file order).  Tests run
 * from the repository root (or $MODERD_SRCDIR).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "feeds.h"
#include "util.h"

#define FEEDS_DIR "tests/feeds/"

static const struct {
	const char *file;
	const char *format; /* NULL: auto */
} fixtures[] = {
	/* formats.md §C, verbatim samples */
	{ "f1_mastodon_export.csv", NULL },
	{ "f1_iftas_upper_bools.csv", NULL },
	{ "f1_domain_allows.csv", NULL },
	{ "f2_fbh_demo.csv", NULL },
	{ "f2_oliphant_python_bools.csv", NULL },
	{ "f2_seirdy_canary.csv", NULL },
	{ "f2_gardenfence_sync.csv", NULL },
	{ "f2_allowlist_trailing_comma.csv", NULL },
	{ "f3_masked_rows.csv", NULL },
	{ "f4_mastodon_public.json", NULL },
	{ "f5_mastodon_admin.json", NULL },
	{ "f6_gts.json", NULL },
	{ "f7_gardenfence.txt", NULL },
	{ "f7_rapidblock_crlf.txt", NULL },
	{ "f8_rapidblock.json", NULL },
	/* the same with their format named */
	{ "f1_mastodon_export.csv", "mastodon-csv" },
	{ "f2_fbh_demo.csv", "fbh-csv" },
	{ "f4_mastodon_public.json", "gts-json" },
	{ "f6_gts.json", "rapidblock-json" },
	{ "f8_rapidblock.json", "mastodon-json" },
	{ "f7_gardenfence.txt", "text" },
	/* domains */
	{ "idn.txt", NULL },
	{ "uppercase.txt", NULL },
	{ "host_port.csv", NULL },
	{ "trailing_dot.txt", NULL },
	{ "masked.json", NULL },
	/* CSV quirks */
	{ "crlf_bom.csv", NULL },
	{ "concatenated_bom.csv", NULL },
	{ "quoted.csv", NULL },
	{ "multiline_quoted.csv", NULL },
	{ "duplicate_header.csv", NULL },
	{ "comments_before_header.csv", NULL },
	{ "bad_values.csv", NULL },
	{ "duplicates.csv", NULL },
	{ "invalid_utf8.csv", NULL },
	{ "no_header.csv", NULL },
	{ "no_header.csv", "mastodon-csv" },
	/* text */
	{ "text_comments.txt", NULL },
	{ "huge_line.txt", NULL },
	/* JSON */
	{ "wrong_shape.json", NULL },
	{ "gts_comments.json", NULL },
	{ "canary.json", NULL },
	{ "rapidblock_unblocked.json", NULL },
	{ "rapidblock_all_unblocked.json", NULL },
	{ "invalid.json", NULL },
	{ "dup_keys.json", NULL },
	{ "deep.json", NULL },
	{ "trailing.json", NULL },
	{ "object_no_blocks.json", NULL },
	/* nothing usable */
	{ "empty.csv", NULL },
	{ "blank.txt", NULL },
	{ "all_bad.txt", NULL },
};

static void
path_of(const char *name, const char *suffix, char *out, size_t outsz)
{
	const char *root = getenv("MODERD_SRCDIR");

	snprintf(out, outsz, "%s/%s%s%s", root && *root ? root : ".",
	    FEEDS_DIR, name, suffix);
}

static char *
slurp(const char *name, const char *suffix, size_t *len)
{
	char           path[MOD_MAX_PATH_BYTES];
	char          *data = NULL;
	size_t         n = 0;
	struct mod_err err = { 0 };

	path_of(name, suffix, path, sizeof(path));
	if (mod_read_file(path, MOD_MAX_FEED_BYTES, &data, &n, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	if (len != NULL)
		*len = n;
	return data;
}

static bool
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9')
		        || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

/* What feed_parse() promises about every list it returns. */
static void
check_invariants(const struct feed_list *l)
{
	char           norm[MOD_MAX_DOMAIN_BYTES + 1];
	struct mod_err err;
	size_t         i, j, canaries = 0;
	bool           masked;

	for (i = 0; i < l->n; i++) {
		const struct feed_entry *e = &l->v[i];

		assert_int_equal(
		    feed_domain_normalise(e->domain, strlen(e->domain), norm,
		        sizeof(norm), &masked, &err),
		    0);
		assert_string_equal(norm, e->domain);
		assert_int_equal(masked, e->obfuscated);
		if (!e->obfuscated) /* computed on demand: feed_digest() */
			assert_null(e->digest);
		else if (e->digest != NULL)
			assert_true(is_hex64(e->digest));
		assert_true(e->public_comment == NULL || *e->public_comment);
		assert_true(e->line > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(l->v[j].domain, e->domain);
		canaries += feed_entry_is_canary(e);
	}
	assert_int_equal(canaries, l->canaries);
}

/* The stdout and stderr of `moderctl feeds parse` for this list. */
static void
render(const struct feed_list *l, const struct mod_errlist *errs, char **out,
    char **err)
{
	size_t outn = 0, errn = 0, i;
	FILE  *fo = open_memstream(out, &outn);
	FILE  *fe = open_memstream(err, &errn);
	char  *s;

	assert_non_null(fo);
	assert_non_null(fe);
	for (i = 0; i < l->n; i++) {
		s = feed_entry_json(&l->v[i]);
		fprintf(fo, "%s\n", s);
		free(s);
	}
	mod_errlist_print(errs, fe);
	fprintf(fe, "%zu entries, %zu errors, %zu canaries (format %s)\n",
	    l->n, errs->n + errs->dropped, l->canaries,
	    feed_format_name(l->format));
	fclose(fo);
	fclose(fe);
}

/* Compare with a golden file; report the first line that differs. */
static void
same_text(const char *file, const char *fmt, const char *which,
    const char *got, const char *want)
{
	size_t i = 0, line = 1, start = 0;

	for (; got[i] != '\0' && got[i] == want[i]; i++)
		if (got[i] == '\n') {
			line++;
			start = i + 1;
		}
	if (got[i] == want[i])
		return;
	fail_msg("%s%s%s: line %zu differs\n got: %.*s\nwant: %.*s", file, fmt,
	    which, line, (int) strcspn(got + start, "\n"), got + start,
	    (int) strcspn(want + start, "\n"), want + start);
}

static void
test_fixture(size_t k)
{
	struct mod_errlist errs = { 0 };
	struct feed_list   l = { 0 };
	char               name[MOD_MAX_PATH_BYTES], sfx[64];
	char              *buf, *out, *err, *want_out, *want_err;
	size_t             len;
	int                fmt = FEED_FMT_AUTO, rv;

	if (fixtures[k].format != NULL) {
		fmt = feed_format_from_name(fixtures[k].format);
		assert_true(fmt > 0);
		snprintf(sfx, sizeof(sfx), ".%s", fixtures[k].format);
	} else
		sfx[0] = '\0';
	buf = slurp(fixtures[k].file, "", &len);
	snprintf(name, sizeof(name), "%s%s", FEEDS_DIR, fixtures[k].file);
	rv = feed_parse(name, buf, len, (enum feed_format) fmt, &l, &errs);
	assert_int_equal(rv == 0, l.n > 0);
	if (rv != 0)
		assert_true(errs.n > 0);
	check_invariants(&l);
	render(&l, &errs, &out, &err);
	strncat(sfx, ".out", sizeof(sfx) - strlen(sfx) - 1);
	want_out = slurp(fixtures[k].file, sfx, NULL);
	strcpy(sfx + strlen(sfx) - 4, ".err");
	want_err = slurp(fixtures[k].file, sfx, NULL);
	sfx[strlen(sfx) - 4] = '\0';
	same_text(fixtures[k].file, sfx, ".out", out, want_out);
	same_text(fixtures[k].file, sfx, ".err", err, want_err);
	free(out);
	free(err);
	free(want_out);
	free(want_err);
	free(buf);
	feed_list_free(&l);
	mod_errlist_free(&errs);
}

static void
test_fixtures(void **state)
{
	size_t k;

	(void) state;
	for (k = 0; k < nitems(fixtures); k++)
		test_fixture(k);
}

/* Domain normalisation. */

static const struct {
	const char *in;
	const char *out; /* NULL: rejected */
	const char *why; /* part of the message when rejected */
	bool        masked;
} domains[] = {
	{ "example.com", "example.com", NULL, false },
	{ "EXAMPLE.COM", "example.com", NULL, false },
	{ "  Example.Com.  ", "example.com", NULL, false },
	{ "\texample.com\r\n", "example.com", NULL, false },
	{ "sub.Sub.example.com", "sub.sub.example.com", NULL, false },
	{ "a-b.example", "a-b.example", NULL, false },
	{ "ab--cd.example", "ab--cd.example", NULL, false },
	{ "076.ne.jp", "076.ne.jp", NULL, false },
	{ "bücher.example", "xn--bcher-kva.example", NULL, false },
	{ "BÜCHER.example", "xn--bcher-kva.example", NULL, false },
	{ "XN--BCHER-KVA.example", "xn--bcher-kva.example", NULL, false },
	{ "straße.de", "xn--strae-oqa.de", NULL, false },
	{ "日本語。ＪＰ", "xn--wgv71a119e.jp", NULL, false },
	{ "exa\xc2\xadmple.com", "example.com", NULL, false },
	{ "exa****.*om", "exa****.*om", NULL, true },
	{ "Daji******.COM", "daji******.com", NULL, true },
	{ "birb.*******n.de.", "birb.*******n.de", NULL, true },
	{ "", NULL, "empty", false },
	{ "   ", NULL, "empty", false },
	{ ".", NULL, "empty", false },
	{ "example.com..", NULL, "empty label", false },
	{ "a..b.example", NULL, "empty label", false },
	{ ".example.com", NULL, "empty label", false },
	{ "example.com:443", NULL, "host:port", false },
	{ "[2001:db8::1]", NULL, "IP address", false },
	{ "2001:db8::1", NULL, "IP address", false },
	{ "192.0.2.1", NULL, "IP address", false },
	{ "example.123", NULL, "IP address", false },
	{ "com", NULL, "single label", false },
	{ "localhost.", NULL, "single label", false },
	{ "https://example.com/", NULL, "URL", false },
	{ "user@example.com", NULL, "account", false },
	{ "two words.example", NULL, "white space", false },
	{ "nul\x01.example", NULL, "control", false },
	{ "under_score.example", NULL, "invalid character", false },
	{ "-lead.example", NULL, "starts with a hyphen", false },
	{ "trail-.example", NULL, "ends with a hyphen", false },
	{ "xn--zz.example", NULL, "punycode", false },
	{ "a\xd9\x85\xd8\xab.com", NULL, "right-to-left", false },
	{ "\xff\xfe.example", NULL, "invalid character", false },
	{ "ex*mple.c\xc3\xb6m", NULL, "masked", false },
	{ "ex*mple.com:80", NULL, "host:port", false },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".example",
	    NULL, "label longer than 63", false },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".example",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".example",
	    NULL, false },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "ü.example",
	    NULL, "label longer than 63", false },
};

static void
test_domain_table(void **state)
{
	char           out[MOD_MAX_DOMAIN_BYTES + 1], again[sizeof(out)];
	struct mod_err err;
	size_t         i;
	bool           masked;
	int            rv;

	(void) state;
	for (i = 0; i < nitems(domains); i++) {
		err.msg[0] = '\0';
		masked = !domains[i].masked;
		rv = feed_domain_normalise(domains[i].in,
		    strlen(domains[i].in), out, sizeof(out), &masked, &err);
		if (domains[i].out == NULL) {
			if (rv != MOD_EINVAL
			    || !strstr(err.msg, domains[i].why))
				fail_msg(
				    "%s: want error \"%s\", got %d \"%s\"",
				    domains[i].in, domains[i].why, rv,
				    err.msg);
			assert_string_equal(out, "");
			assert_false(masked);
			continue;
		}
		if (rv != 0)
			fail_msg("%s: %s", domains[i].in, err.msg);
		assert_string_equal(out, domains[i].out);
		assert_int_equal(masked, domains[i].masked);
		/* Normalising is idempotent. */
		assert_int_equal(feed_domain_normalise(out, strlen(out), again,
		                     sizeof(again), NULL, &err),
		    0);
		assert_string_equal(again, out);
	}
}

/* Lengths: 253 bytes is the longest name, counted after conversion. */
static void
test_domain_lengths(void **state)
{
	char           in[600], out[MOD_MAX_DOMAIN_BYTES + 1];
	struct mod_err err;
	size_t         n = 0;

	(void) state;
	while (n + 62 <= 250) { /* labels of 61 'a' and a dot */
		memset(in + n, 'a', 61);
		in[n + 61] = '.';
		n += 62;
	}
	memcpy(in + n, "abc.de", 6); /* 248 + 6 = 254: one too many */
	n += 6;
	assert_int_equal(
	    feed_domain_normalise(in, n, out, sizeof(out), NULL, &err),
	    MOD_EINVAL);
	assert_non_null(strstr(err.msg, "longer than 253"));
	assert_int_equal(
	    feed_domain_normalise(in + 1, n - 1, out, sizeof(out), NULL, &err),
	    0);
	assert_int_equal(strlen(out), 253);
	/* A trailing dot is not counted. */
	in[n] = '.';
	assert_int_equal(
	    feed_domain_normalise(in + 1, n, out, sizeof(out), NULL, &err), 0);
	assert_int_equal(
	    feed_domain_normalise(in, n, out, 200, NULL, &err), MOD_ETOOBIG);
}

/* formats.md §B: Mastodon's domain_digest test vectors. */
static void
test_digest_vectors(void **state)
{
	static const struct {
		const char *domain, *hex;
	} v[] = {
		{ "birb.elfenban.de",
		    "5d2c6e02a0cced8fb05f32626437e3d2"
		    "3096480b47efbba659b6d9e80c85d280" },
		{ "birdbots.leptonics.com",
		    "ce019d8d32cce8e369ac4367f4dc2321"
		    "03e6f489fbdd247fb99f9c8a646078a4" },
		{ "example.com",
		    "a379a6f6eeafb9a55e378c118034e275"
		    "1e682fab9f2d30ab13d2125586ce1947" },
	};
	char   out[65];
	size_t i;

	(void) state;
	for (i = 0; i < nitems(v); i++) {
		memset(out, 'x', sizeof(out));
		feed_digest(v[i].domain, out);
		assert_string_equal(out, v[i].hex);
	}
}

/* feed_digest() (the CPU's SHA extensions where it has them) against
 * libsodium's portable SHA-256, over every tail length of one to five
 * blocks, so each padding case is met. */
static void
test_digest_lengths(void **state)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char          s[321], out[65], want[65];
	size_t        n;

	(void) state;
	for (n = 0; n < sizeof(s); n++) {
		s[n] = '\0';
		crypto_hash_sha256(h, (const unsigned char *) s, n);
		sodium_bin2hex(want, sizeof(want), h, sizeof(h));
		feed_digest(s, out);
		assert_string_equal(out, want);
		s[n] = (char) ('a' + (n * 7) % 26);
	}
}

static void
test_names(void **state)
{
	int i;

	(void) state;
	for (i = 0; i < FEED_FMT_COUNT; i++)
		assert_int_equal(
		    feed_format_from_name(feed_format_name(i)), i);
	assert_int_equal(feed_format_from_name("csv"), FEED_FMT_MASTODON_CSV);
	assert_int_equal(
	    feed_format_from_name("fediblockhole-csv"), FEED_FMT_FBH_CSV);
	assert_int_equal(feed_format_from_name("yaml"), -1);
	assert_string_equal(feed_format_name(FEED_FMT_COUNT), "unknown");
	for (i = FEED_SEV_NOOP; i <= FEED_SEV_SUSPEND; i++)
		assert_int_equal(
		    feed_severity_from_name(feed_severity_name(i)), i);
	assert_int_equal(feed_severity_from_name("Suspend"), FEED_SEV_SUSPEND);
	assert_int_equal(feed_severity_from_name("block"), -1);
	assert_true(FEED_SEV_NOOP < FEED_SEV_SILENCE);
	assert_true(FEED_SEV_SILENCE < FEED_SEV_SUSPEND);
}

/* Parse a string, expect rv, and return the list for more checks. */
static void
parse_str(const char *s, enum feed_format fmt, int want, struct feed_list *l,
    struct mod_errlist *errs)
{
	int rv = feed_parse("t", s, strlen(s), fmt, l, errs);

	if (rv != want)
		fail_msg("%s: got %d, want %d", s, rv, want);
}

static void
test_booleans(void **state)
{
	static const char *const yes[] = { "true", "True", "TRUE", "1", "t" };
	static const char *const no[]
	    = { "false", "False", "FALSE", "0", "f", "", " " };
	struct feed_list l = { 0 };
	char             doc[128];
	size_t           i;

	(void) state;
	for (i = 0; i < nitems(yes) + nitems(no); i++) {
		bool want = i < nitems(yes);

		snprintf(doc, sizeof(doc),
		    "domain,reject_media\nx.example,%s\n",
		    want ? yes[i] : no[i - nitems(yes)]);
		parse_str(doc, FEED_FMT_AUTO, 0, &l, NULL);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].reject_media, want);
		assert_int_equal(l.v[0].severity, FEED_SEV_SUSPEND);
		feed_list_free(&l);
	}
}

/* Duplicates: most severe wins, flags merge, first position kept. */
static void
test_duplicates(void **state)
{
	struct feed_list l = { 0 };

	(void) state;
	parse_str("domain,severity,reject_media,reject_reports\n"
	          "a.example,noop,true,false\n"
	          "b.example,silence,false,false\n"
	          "A.example.,suspend,false,true\n"
	          "a.example,silence,false,false\n",
	    FEED_FMT_AUTO, 0, &l, NULL);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].domain, "a.example");
	assert_int_equal(l.v[0].severity, FEED_SEV_SUSPEND);
	assert_true(l.v[0].reject_media);
	assert_true(l.v[0].reject_reports);
	assert_int_equal(l.v[0].line, 4);
	assert_string_equal(l.v[1].domain, "b.example");
	feed_list_free(&l);
}

/* The caps: bytes, entries; errs may be NULL. */
static void
test_limits(void **state)
{
	struct mod_errlist errs = { 0 };
	struct feed_list   l = { 0 };
	size_t             n = MOD_MAX_FEED_ENTRIES_COUNT + 1, i, len = 0;
	char              *big;

	(void) state;
	big = xmalloc((size_t) MOD_MAX_FEED_BYTES + 2);
	memset(big, 'a', (size_t) MOD_MAX_FEED_BYTES + 1);
	assert_int_equal(
	    feed_parse("big", big, (size_t) MOD_MAX_FEED_BYTES + 1,
	        FEED_FMT_TEXT, &l, &errs),
	    MOD_ETOOBIG);
	assert_int_equal(l.n, 0);
	assert_string_equal(errs.msgs[0],
	    "big: feed is 67108865 bytes, limit "
	    "67108864");
	mod_errlist_free(&errs);
	/* One entry more than allowed: the whole feed fails. */
	for (i = 0; i < n; i++)
		len += (size_t) sprintf(big + len, "h%zu.example\n", i);
	assert_int_equal(
	    feed_parse("many", big, len, FEED_FMT_AUTO, &l, &errs),
	    MOD_ETOOBIG);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msgs[0], "many: more than 1000000 entries");
	mod_errlist_free(&errs);
	/* One fewer is fine, and errs may be NULL. */
	len -= strlen("h1000000.example\n");
	assert_int_equal(
	    feed_parse("many", big, len, FEED_FMT_AUTO, &l, NULL), 0);
	assert_int_equal(l.n, MOD_MAX_FEED_ENTRIES_COUNT);
	assert_string_equal(l.v[l.n - 1].domain, "h999999.example");
	feed_list_free(&l);
	free(big);
}

/* A masked name is resolved later by digest; its published one is kept. */
static void
test_masked_digest(void **state)
{
	struct feed_list l = { 0 };

	(void) state;
	parse_str("[{\"domain\":\"exa****.*om\",\"severity\":\"silence\","
	          "\"digest\":\"a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30"
	          "ab13d2125586ce1947\"}]",
	    FEED_FMT_AUTO, 0, &l, NULL);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].obfuscated);
	assert_false(l.v[0].obfuscate);
	assert_string_equal(l.v[0].digest,
	    "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce194"
	    "7");
	feed_list_free(&l);
}

/*
 * RFC 4180 records spanning lines: the cap is on the whole record, which
 * is reported at its first line; reading resumes on the next line (here
 * '#' comments), and later line numbers stay right.
 */
static void
test_csv_multiline_cap(void **state)
{
	struct mod_errlist errs = { 0 };
	struct feed_list   l = { 0 };
	char              *doc, want[128];
	size_t             len = 0, i, nlines;

	(void) state;
	nlines = MOD_MAX_FEED_LINE_BYTES / 1000 + 2;
	doc = xmalloc(nlines * 1001 + 128);
	len += (size_t) sprintf(doc,
	    "domain,public_comment\n"
	    "big.example,\"start\n");
	for (i = 0; i < nlines; i++) {
		memset(doc + len, 'x', 1000);
		doc[len] = '#';
		doc[len + 1000] = '\n';
		len += 1001;
	}
	len += (size_t) sprintf(doc + len, "end\"\nnext.example,\"a\nb\"\n");
	assert_int_equal(
	    feed_parse("t", doc, len, FEED_FMT_AUTO, &l, &errs), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].domain, "next.example");
	assert_int_equal(l.v[0].line, (int) nlines + 4);
	assert_string_equal(l.v[0].public_comment, "a\nb");
	assert_int_equal(errs.n, 2);
	snprintf(want, sizeof(want), "t:2: record longer than %d bytes",
	    MOD_MAX_FEED_LINE_BYTES);
	assert_string_equal(errs.msgs[0], want);
	snprintf(want, sizeof(want), "t:%zu: ", nlines + 3);
	assert_memory_equal(errs.msgs[1], want, strlen(want));
	feed_list_free(&l);
	mod_errlist_free(&errs);
	free(doc);
}

/* Format detection by content. */
static void
test_detect(void **state)
{
	static const struct {
		const char      *doc;
		enum feed_format fmt;
	} v[] = {
		{ "#domain,#severity\nx.example,silence\n",
		    FEED_FMT_MASTODON_CSV },
		{ "\"domain\",\"severity\"\nx.example,silence\n",
		    FEED_FMT_FBH_CSV },
		{ "# list\n\n  # more\ndomain,severity\nx.example,silence\n",
		    FEED_FMT_FBH_CSV },
		{ "# domain list\nx.example\n", FEED_FMT_TEXT },
		{ "x.example\n", FEED_FMT_TEXT },
		{ "  \n[{\"domain\":\"x.example\",\"severity\":\"silence\"}]",
		    FEED_FMT_MASTODON_JSON },
		{ "[{\"domain\":\"x.example\"}]", FEED_FMT_GTS_JSON },
		{ "[{\"id\":\"1\",\"domain\":\"x.example\",\"severity\":"
		  "\"noop\"}]",
		    FEED_FMT_MASTODON_ADMIN_JSON },
		{ "{\"blocks\":{\"x.example\":{\"isBlocked\":true}}}",
		    FEED_FMT_RAPIDBLOCK_JSON },
	};
	struct feed_list l = { 0 };
	size_t           i;

	(void) state;
	for (i = 0; i < nitems(v); i++) {
		parse_str(v[i].doc, FEED_FMT_AUTO, 0, &l, NULL);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.v[0].domain, "x.example");
		if (l.format != v[i].fmt)
			fail_msg("%s: detected %s", v[i].doc,
			    feed_format_name(l.format));
		feed_list_free(&l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_domain_table),
		cmocka_unit_test(test_domain_lengths),
		cmocka_unit_test(test_digest_vectors),
		cmocka_unit_test(test_digest_lengths),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_masked_digest),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_csv_multiline_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
