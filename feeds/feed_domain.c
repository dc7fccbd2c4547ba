/*
 * feed_domain.c - one domain name from a feed, as moderd stores it, and
 * Mastodon's digest of it.
 *
 * Blocklists are written by people and by scripts, so the same server
 * shows up as "Example.COM.", " example.com", "bücher.example" or
 * "xn--bcher-kva.example".  feed_domain_normalise() turns all of them
 * into the form Mastodon stores (Addressable's normalized_host: lowercase
 * punycode, no trailing dot), so that entries from different feeds compare
 * equal byte for byte and SHA-256 digests match Mastodon's domain_digest.
 *
 * Plain ASCII names (letters, digits, hyphens, dots, no "xn--" label) take
 * a fast path that does what UTS #46 would do to them: lowercase them.
 * Everything else goes through ICU's UTS #46 processor with STD3 rules
 * (as GoToSocial's PunifySafely does), nontransitional processing (so
 * "ß" stays "ß" and becomes punycode, as browsers do), and the bidi and
 * CONTEXTJ checks.  The hyphen-in-positions-3-and-4 rule is not enforced:
 * such names exist in DNS.  Both paths end in the same label checks.
 *
 * Deliberately rejected rather than guessed at: host:port (GoToSocial
 * keeps the port, which can never match a domain block), URLs, IP
 * literals, and single-label names: a feed line "com" would otherwise
 * block a whole top-level domain.  Names containing '*' are masked names
 * from a public Mastodon list (exa****.*om); they are kept as they are,
 * lowercased, to be resolved later by their digest, and never converted.
 *
 * The ICU processor is opened once (pthread_once) and is immutable, so
 * every function here is thread-safe.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>
#include <unicode/uidna.h>

#include "feeds.h"
#include "feed_impl.h"
#include "util.h"

/* Room for ICU's output: punycode of MOD_MAX_DOMAIN_INPUT_BYTES bytes. */
#define FEED_DOMAIN_ICU_BYTES (2 * MOD_MAX_DOMAIN_INPUT_BYTES + 64)

static pthread_once_t feed_domain_once = PTHREAD_ONCE_INIT;
static UIDNA         *feed_domain_uts46; /* read-only after the once */

/* ICU's errors we accept: "ab--cd" labels are valid DNS names. */
#define FEED_DOMAIN_ICU_IGNORED UIDNA_ERROR_HYPHEN_3_4

static const struct {
	uint32_t    bit;
	const char *msg;
} feed_domain_icu_errors[] = {
	{ UIDNA_ERROR_EMPTY_LABEL, "empty label" },
	{ UIDNA_ERROR_LABEL_TOO_LONG, "label longer than 63 bytes" },
	{ UIDNA_ERROR_DOMAIN_NAME_TOO_LONG, "name longer than 253 bytes" },
	{ UIDNA_ERROR_LEADING_HYPHEN, "label starts with a hyphen" },
	{ UIDNA_ERROR_TRAILING_HYPHEN, "label ends with a hyphen" },
	{ UIDNA_ERROR_LEADING_COMBINING_MARK,
	    "label starts with a combining mark" },
	{ UIDNA_ERROR_PUNYCODE, "invalid punycode label" },
	{ UIDNA_ERROR_INVALID_ACE_LABEL, "invalid punycode label" },
	{ UIDNA_ERROR_BIDI, "invalid mix of right-to-left characters" },
	{ UIDNA_ERROR_CONTEXTJ, "invalid use of a joiner character" },
	{ UIDNA_ERROR_CONTEXTO_PUNCTUATION, "invalid use of punctuation" },
	{ UIDNA_ERROR_CONTEXTO_DIGITS, "invalid mix of digits" },
	{ UIDNA_ERROR_LABEL_HAS_DOT, "invalid character" },
	{ UIDNA_ERROR_DISALLOWED, "invalid character" },
};

static void
feed_domain_init(void)
{
	UErrorCode ec = U_ZERO_ERROR;
	UIDNA     *u;

	u = uidna_openUTS46(UIDNA_USE_STD3_RULES | UIDNA_CHECK_BIDI
	        | UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_ASCII
	        | UIDNA_NONTRANSITIONAL_TO_UNICODE,
	    &ec);
	feed_domain_uts46 = U_FAILURE(ec) ? NULL : u;
}

static bool
feed_domain_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'
	    || c == '\f';
}

static char
feed_domain_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

static bool
feed_domain_ldh(char c)
{
	c = feed_domain_lower(c);
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/*
 * Characters that make a name something other than a host name; these get
 * a message of their own instead of ICU's "invalid character".
 */
static int
feed_domain_precheck(
    const char *s, size_t n, bool *masked, struct mod_err *err)
{
	size_t i, colons = 0;

	*masked = false;
	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (s[i] == '*')
			*masked = true;
		else if (s[i] == '/')
			return mod_errf(err, MOD_EINVAL,
			    "a URL or path, not a domain name");
		else if (s[i] == ',')
			return mod_errf(err, MOD_EINVAL,
			    "a comma inside a domain name (CSV without a "
			    "header?)");
		else if (s[i] == '@')
			return mod_errf(err, MOD_EINVAL,
			    "an account address, not a domain name");
		else if (feed_domain_space(s[i]))
			return mod_errf(err, MOD_EINVAL,
			    "white space inside a domain name");
		else if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
			return mod_errf(err, MOD_EINVAL,
			    "control character in a domain name");
	}
	if (colons > 1 || s[0] == '[')
		return mod_errf(
		    err, MOD_EINVAL, "an IP address, not a domain name");
	if (colons == 1)
		return mod_errf(
		    err, MOD_EINVAL, "host:port is not a domain name");
	return 0;
}

/* A plain ASCII name that UTS #46 would only lowercase. */
static bool
feed_domain_is_plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '.' && !feed_domain_ldh(s[i]))
			return false;
		if ((i == 0 || s[i - 1] == '.') && i + 4 <= n
		    && feed_domain_lower(s[i]) == 'x'
		    && feed_domain_lower(s[i + 1]) == 'n' && s[i + 2] == '-'
		    && s[i + 3] == '-')
			return false;
	}
	return true;
}

/* Lowercase copy, for plain and masked names (checked by the caller). */
static int
feed_domain_copy_lower(
    const char *s, size_t n, char *out, size_t outsz, struct mod_err *err)
{
	size_t i;

	if (n >= outsz)
		return mod_errf(err, MOD_EINVAL, "name longer than %d bytes",
		    MOD_MAX_DOMAIN_BYTES);
	for (i = 0; i < n; i++)
		out[i] = feed_domain_lower(s[i]);
	out[n] = '\0';
	return 0;
}

/* Masked names: ASCII host name characters and '*' only. */
static int
feed_domain_masked(
    const char *s, size_t n, char *out, size_t outsz, struct mod_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '.' && s[i] != '*' && !feed_domain_ldh(s[i]))
			return mod_errf(err, MOD_EINVAL,
			    "invalid character in a masked name");
	return feed_domain_copy_lower(s, n, out, outsz, err);
}

static int
feed_domain_icu_error(uint32_t errors, struct mod_err *err)
{
	size_t i;

	for (i = 0; i < nitems(feed_domain_icu_errors); i++)
		if (errors & feed_domain_icu_errors[i].bit)
			return mod_errf(err, MOD_EINVAL, "%s",
			    feed_domain_icu_errors[i].msg);
	return mod_errf(err, MOD_EINVAL, "invalid domain name");
}

/* Internationalised names (and xn-- labels) through ICU's UTS #46. */
static int
feed_domain_idna(
    const char *s, size_t n, char *out, size_t outsz, struct mod_err *err)
{
	char       tmp[FEED_DOMAIN_ICU_BYTES];
	UIDNAInfo  info = UIDNA_INFO_INITIALIZER;
	UErrorCode ec = U_ZERO_ERROR;
	int32_t    got;
	uint32_t   bad;

	pthread_once(&feed_domain_once, feed_domain_init);
	if (feed_domain_uts46 == NULL)
		return mod_errf(err, MOD_EINTERNAL, "cannot open ICU UTS #46");
	got = uidna_nameToASCII_UTF8(feed_domain_uts46, s, (int32_t) n, tmp,
	    (int32_t) sizeof(tmp), &info, &ec);
	if (ec == U_BUFFER_OVERFLOW_ERROR
	    || ec == U_STRING_NOT_TERMINATED_WARNING)
		return mod_errf(err, MOD_EINVAL, "name longer than %d bytes",
		    MOD_MAX_DOMAIN_BYTES);
	if (U_FAILURE(ec))
		return mod_errf(err, MOD_EINVAL, "invalid domain name (%s)",
		    u_errorName(ec));
	bad = info.errors & ~(uint32_t) FEED_DOMAIN_ICU_IGNORED;
	if (bad != 0)
		return feed_domain_icu_error(bad, err);
	return feed_domain_copy_lower(tmp, (size_t) got, out, outsz, err);
}

static bool
feed_domain_all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* One label of a converted name. */
static int
feed_domain_check_label(const char *s, size_t n, struct mod_err *err)
{
	if (n == 0)
		return mod_errf(err, MOD_EINVAL, "empty label");
	if (n > MOD_MAX_DOMAIN_LABEL_BYTES)
		return mod_errf(err, MOD_EINVAL, "label longer than %d bytes",
		    MOD_MAX_DOMAIN_LABEL_BYTES);
	if (s[0] == '-')
		return mod_errf(err, MOD_EINVAL, "label starts with a hyphen");
	if (s[n - 1] == '-')
		return mod_errf(err, MOD_EINVAL, "label ends with a hyphen");
	return 0;
}

/* The checks every result passes, whichever path made it. */
static int
feed_domain_check(const char *s, struct mod_err *err)
{
	size_t      n = strlen(s), labels = 0;
	const char *p = s, *dot, *last = s;
	int         rv;

	if (n > MOD_MAX_DOMAIN_BYTES)
		return mod_errf(err, MOD_EINVAL, "name longer than %d bytes",
		    MOD_MAX_DOMAIN_BYTES);
	for (;;) {
		dot = strchr(p, '.');
		last = p;
		labels++;
		rv = feed_domain_check_label(
		    p, dot ? (size_t) (dot - p) : strlen(p), err);
		if (rv != 0 || dot == NULL)
			break;
		p = dot + 1;
	}
	if (rv != 0)
		return rv;
	if (labels == 1)
		return mod_errf(err, MOD_EINVAL,
		    "a single label (a whole top-level domain)");
	if (feed_domain_all_digits(last, strlen(last)))
		return mod_errf(
		    err, MOD_EINVAL, "an IP address, not a domain name");
	return 0;
}

/*
 * The fast path for what almost every feed line is: a plain ASCII name
 * that passes every check.  It lowercases in[0..len) into out and
 * returns true only if the full path would give exactly that; anything
 * else (other characters, an xn-- label, a label or name too long or
 * empty, a hyphen at a label's end, one label, an all-digit last label)
 * returns false, and the full path decides, with its messages.
 */
static bool
feed_domain_fast(const char *in, size_t len, char *out)
{
	size_t i, label = 0, labels = 1;
	bool   digits = true;
	char   c;

	if (len > MOD_MAX_DOMAIN_BYTES)
		return false;
	for (i = 0; i < len; i++) {
		c = feed_domain_lower(in[i]);
		if (c == '.') {
			if (label == 0 || out[i - 1] == '-')
				return false;
			label = 0;
			labels++;
			digits = true;
		} else if ((c >= 'a' && c <= 'z') || c == '-'
		    || (c >= '0' && c <= '9')) {
			if ((label == 0 && c == '-')
			    || ++label > MOD_MAX_DOMAIN_LABEL_BYTES
			    || (label == 4 && c == '-' && out[i - 1] == '-'
			        && out[i - 2] == 'n' && out[i - 3] == 'x'))
				return false;
			digits = digits && c >= '0' && c <= '9';
		} else
			return false;
		out[i] = c;
	}
	if (label == 0 || out[len - 1] == '-' || labels < 2 || digits)
		return false;
	out[len] = '\0';
	return true;
}

int
feed_domain_normalise(const char *in, size_t len, char *out, size_t outsz,
    bool *masked, struct mod_err *err)
{
	bool m = false;
	int  rv;

	if (masked != NULL)
		*masked = false;
	if (outsz < MOD_MAX_DOMAIN_BYTES + 1)
		return mod_errf(err, MOD_ETOOBIG, "output buffer too small");
	out[0] = '\0';
	while (len > 0 && feed_domain_space(in[0]))
		in++, len--;
	while (len > 0 && feed_domain_space(in[len - 1]))
		len--;
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0)
		return mod_errf(err, MOD_EINVAL, "empty domain name");
	if (feed_domain_fast(in, len, out))
		return 0;
	out[0] = '\0';
	if (len > MOD_MAX_DOMAIN_INPUT_BYTES)
		return mod_errf(err, MOD_EINVAL, "name longer than %d bytes",
		    MOD_MAX_DOMAIN_BYTES);
	if ((rv = feed_domain_precheck(in, len, &m, err)) != 0)
		return rv;
	if (m)
		rv = feed_domain_masked(in, len, out, outsz, err);
	else if (feed_domain_is_plain(in, len))
		rv = feed_domain_copy_lower(in, len, out, outsz, err);
	else
		rv = feed_domain_idna(in, len, out, outsz, err);
	if (rv == 0)
		rv = feed_domain_check(out, err);
	if (rv != 0) {
		out[0] = '\0';
		return rv;
	}
	if (masked != NULL)
		*masked = m;
	return 0;
}

void
feed_sha256(const void *in, size_t len, unsigned char out[32])
{
	crypto_hash_sha256(out, in, len);
}

/* Not sodium_bin2hex: digests and fingerprints are public, constant
 * time buys nothing. */
void
feed_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t            i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

void
feed_digest(const char *domain, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	feed_sha256(domain, strlen(domain), h);
	feed_hex(h, sizeof(h), out);
}

/* ---- domain list files (excludes, known peers) ---- */

void
feed_domains_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* One line of a domain file: appended to *v, or reported. */
static void
feed_domains_line(const char *path, int lineno, char *line, char ***v,
    size_t *n, struct mod_errlist *errs)
{
	char           name[MOD_MAX_DOMAIN_BYTES + 1];
	char          *hash = strchr(line, '#');
	struct mod_err err;
	bool           masked = false;

	if (hash != NULL)
		*hash = '\0';
	line += strspn(line, " \t\r");
	line[strcspn(line, " \t\r")] = '\0';
	if (*line == '\0')
		return;
	if (feed_domain_normalise(
	        line, strlen(line), name, sizeof(name), &masked, &err)
	        != 0
	    || masked) {
		mod_errlist_add(errs, path, lineno, 0, "%s",
		    masked ? "a masked name is not a domain" : err.msg);
		return;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(name);
}

int
feed_domains_read(
    const char *path, char ***v, size_t *n, struct mod_errlist *errs)
{
	struct mod_errlist local = { 0 };
	struct mod_err     err;
	char              *data = NULL, *line, *next;
	size_t             len;
	int                lineno = 0, rv;

	*v = NULL;
	*n = 0;
	if (errs == NULL)
		errs = &local;
	if (path[0] == '\0')
		return 0;
	rv = mod_read_file(
	    path, MOD_MAX_FEED_DOMAINS_FILE_BYTES, &data, &len, &err);
	if (rv != 0) {
		mod_errlist_add(errs, path, 0, 0, "%s", err.msg);
		mod_errlist_free(&local);
		return rv;
	}
	for (line = data; line != NULL && rv == 0; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*n >= MOD_MAX_FEED_KNOWN_DOMAINS_COUNT)
			rv = MOD_ETOOBIG;
		else
			feed_domains_line(path, ++lineno, line, v, n, errs);
	}
	free(data);
	if (rv != 0) {
		mod_errlist_add(errs, path, 0, 0, "more than %d domains",
		    MOD_MAX_FEED_KNOWN_DOMAINS_COUNT);
		feed_domains_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	mod_errlist_free(&local);
	return rv;
}
