/*
 * feed_parse.c - one feed document to a list of normalised entries: format
 * detection, the entry builder every format parser shares, de-duplication,
 * and the names and JSON form of entries.
 *
 * feed_parse() caps the input (MOD_MAX_FEED_BYTES), skips a UTF-8 BOM,
 * detects the format when asked to (a JSON array or object by its first
 * character; CSV by a first line that names a "domain" column; anything
 * else is plain text), and hands the bytes to feed_csv.c, feed_json.c or
 * feed_text.c.  Those report bad rows through feed_parser_error() and pass
 * good ones to feed_parser_add(), which normalises the domain, checks a
 * published digest, repairs comments to valid UTF-8, counts canaries and
 * appends.  At the end duplicates are merged (a hash of the names: each
 * name's first entry absorbs the later ones, keeping the most severe;
 * then compact in file order), and a feed that yields nothing is an
 * error: an empty download must never read as "no blocks any more".
 *
 * Cost: a list is one array (sized once from the number of lines or
 * JSON objects) and one arena (feed_arena.c) holding the names and the
 * comments, which are interned: feeds repeat a handful of reasons.  The
 * SHA-256 of a real name is not computed here: merging needs the digests
 * of the known names, not of every entry, and feed_entry_json() computes
 * the one it prints.
 *
 * What this file does not do: decide trust, caps or quorum (feed_merge),
 * resolve masked names (they keep their published digest), or fetch.
 *
 * Invariants of a returned list: every domain passed
 * feed_domain_normalise() and is unique in the list; digest is NULL for
 * unmasked names and NULL or 64 lowercase hex digits for masked ones; comments
 * are NULL or non-empty valid UTF-8 without NUL bytes; entries are in file
 * order.  Nothing here is global.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "feeds.h"
#include "feed_impl.h"
#include "log.h"
#include "util.h"

static const char *const feed_parse_format_names[FEED_FMT_COUNT] = {
	[FEED_FMT_AUTO] = "auto",
	[FEED_FMT_MASTODON_CSV] = "mastodon-csv",
	[FEED_FMT_FBH_CSV] = "fbh-csv",
	[FEED_FMT_MASTODON_JSON] = "mastodon-json",
	[FEED_FMT_MASTODON_ADMIN_JSON] = "mastodon-admin-json",
	[FEED_FMT_GTS_JSON] = "gts-json",
	[FEED_FMT_TEXT] = "text",
	[FEED_FMT_RAPIDBLOCK_JSON] = "rapidblock-json",
};

/* Other names people use for the same formats. */
static const struct {
	const char      *name;
	enum feed_format fmt;
} feed_parse_format_aliases[] = {
	{ "csv", FEED_FMT_MASTODON_CSV },
	{ "fediblockhole-csv", FEED_FMT_FBH_CSV },
	{ "json", FEED_FMT_MASTODON_JSON },
	{ "gotosocial-json", FEED_FMT_GTS_JSON },
	{ "plain", FEED_FMT_TEXT },
	{ "txt", FEED_FMT_TEXT },
	{ "rapidblock", FEED_FMT_RAPIDBLOCK_JSON },
};

static const char *const feed_parse_severity_names[] = {
	[FEED_SEV_NOOP] = "noop",
	[FEED_SEV_SILENCE] = "silence",
	[FEED_SEV_SUSPEND] = "suspend",
};

/* How many lines format detection looks through for a CSV header. */
#define FEED_PARSE_SNIFF_LINES 64
/* Entry slots allocated at least, however short the feed. */
#define FEED_PARSE_MIN_SLOTS 64

const char *
feed_format_name(enum feed_format f)
{
	if ((int) f < 0 || f >= FEED_FMT_COUNT)
		return "unknown";
	return feed_parse_format_names[f];
}

int
feed_format_from_name(const char *s)
{
	size_t i;

	for (i = 0; i < nitems(feed_parse_format_names); i++)
		if (strcmp(s, feed_parse_format_names[i]) == 0)
			return (int) i;
	for (i = 0; i < nitems(feed_parse_format_aliases); i++)
		if (strcmp(s, feed_parse_format_aliases[i].name) == 0)
			return (int) feed_parse_format_aliases[i].fmt;
	return -1;
}

const char *
feed_severity_name(enum feed_severity s)
{
	if ((int) s < 0 || (size_t) s >= nitems(feed_parse_severity_names))
		return "unknown";
	return feed_parse_severity_names[s];
}

int
feed_severity_from_name(const char *s)
{
	size_t i;

	for (i = 0; i < nitems(feed_parse_severity_names); i++)
		if (strcasecmp(s, feed_parse_severity_names[i]) == 0)
			return (int) i;
	return -1;
}

void
feed_list_free(struct feed_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; l->pool == NULL && i < l->n; i++) {
		free(l->v[i].domain);
		free(l->v[i].public_comment);
		free(l->v[i].private_comment);
		free(l->v[i].digest);
	}
	feed_arena_free(l->pool);
	free(l->pool);
	l->pool = NULL;
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->canaries = 0;
}

/* Small shared helpers of the format parsers. */

size_t
feed_utf8_len(const unsigned char *s, size_t len)
{
	size_t   n, i;
	uint32_t cp;

	if (len == 0 || s[0] == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
	    || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void
feed_quote(const char *s, size_t len, char out[FEED_QUOTE_BYTES])
{
	const unsigned char *u = (const unsigned char *) s;
	size_t               i = 0, o = 0, k;

	out[o++] = '"';
	while (i < len && i < MOD_MAX_FEED_QUOTE_BYTES) {
		k = feed_utf8_len(u + i, len - i);
		if (k == 0 || u[i] < 0x20 || u[i] == 0x7f || u[i] == '"'
		    || u[i] == '\\') {
			o += (size_t) snprintf(out + o, 5, "\\x%02x", u[i]);
			i++;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
}

int
feed_bool_parse(const char *s, size_t len, bool *out)
{
	static const char *const yes[] = { "true", "1", "t" };
	static const char *const no[] = { "false", "0", "f" };
	size_t                   i;

	while (len > 0 && (s[0] == ' ' || s[0] == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	*out = false;
	if (len == 0 || (len == 5 && memcmp(s, "false", 5) == 0))
		return 0;
	if (len == 4 && memcmp(s, "true", 4) == 0) { /* the usual */
		*out = true;
		return 0;
	}
	for (i = 0; i < nitems(yes); i++) {
		if (strlen(yes[i]) == len
		    && strncasecmp(s, yes[i], len) == 0) {
			*out = true;
			return 0;
		}
		if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0)
			return 0;
	}
	return MOD_EINVAL;
}

int
feed_severity_parse(const char *s, size_t len, enum feed_severity dflt,
    enum feed_severity *out)
{
	size_t i;

	while (len > 0 && (s[0] == ' ' || s[0] == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	*out = dflt;
	if (len == 0)
		return 0;
	for (i = 0; i < nitems(feed_parse_severity_names); i++) {
		if (strlen(feed_parse_severity_names[i]) == len
		    && (memcmp(s, feed_parse_severity_names[i], len) == 0
		        || strncasecmp(s, feed_parse_severity_names[i], len)
		            == 0)) {
			*out = (enum feed_severity) i;
			return 0;
		}
	}
	return MOD_EINVAL;
}

bool
feed_next_line(const char *buf, size_t len, size_t *pos, const char **line,
    size_t *linelen)
{
	const char *nl;
	size_t      n;

	if (*pos >= len)
		return false;
	*line = buf + *pos;
	nl = memchr(*line, '\n', len - *pos);
	n = nl ? (size_t) (nl - *line) : len - *pos;
	*pos += n + (nl ? 1 : 0);
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	/* Files concatenated with cat keep each one's byte order mark. */
	if (n >= 3 && memcmp(*line, "\xef\xbb\xbf", 3) == 0) {
		*line += 3;
		n -= 3;
	}
	*linelen = n;
	return true;
}

/* The entry builder. */

void
feed_parser_error(struct feed_parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (p->errs == NULL)
		return;
	va_start(ap, fmt);
	mod_errlist_addv(p->errs, p->name, line, 0, fmt, ap);
	va_end(ap);
}

/*
 * A comment in the list's pool, interned: NULL if empty, invalid UTF-8
 * and NUL bytes replaced by U+FFFD, cut on a character boundary at the
 * cap.  Repaired in p->scratch (MOD_MAX_FEED_COMMENT_BYTES + 1 bytes).
 */
static char *
feed_parse_comment(struct feed_parser *p, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t               i = 0, o = 0, k;
	const size_t         room = MOD_MAX_FEED_COMMENT_BYTES;
	char                *c = p->scratch;

	if (s == NULL || len == 0)
		return NULL;
	/* Most comments are short ASCII: nothing to repair. */
	while (o < len && u[o] >= 0x01 && u[o] < 0x80)
		o++;
	if (o == len && len <= room) {
		memcpy(c, s, len);
		c[len] = '\0';
		return feed_intern(&p->comments, c);
	}
	o = 0;
	while (i < len) {
		k = feed_utf8_len(u + i, len - i);
		if (o + (k ? k : 3) > room)
			break;
		if (k == 0) {
			memcpy(c + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i++;
		} else {
			memcpy(c + o, s + i, k);
			o += k;
			i += k;
		}
	}
	c[o] = '\0';
	return feed_intern(&p->comments, c);
}

/* A published digest: 64 hex digits in any case, kept lowercase. */
static int
feed_parse_digest(const char *s, size_t len, char out[65])
{
	size_t i;
	char   c;

	if (len != 64)
		return MOD_EINVAL;
	for (i = 0; i < 64; i++) {
		c = s[i] >= 'A' && s[i] <= 'F' ? (char) (s[i] - 'A' + 'a')
		                               : s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return MOD_EINVAL;
		out[i] = c;
	}
	out[64] = '\0';
	return 0;
}

static struct feed_entry *
feed_parser_slot(struct feed_parser *p)
{
	struct feed_list *l = p->list;

	if (l->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : p->hint;
		l->v = xreallocarray(l->v, p->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	return &l->v[l->n];
}

int
feed_parser_add(struct feed_parser *p, const struct feed_raw *r)
{
	char               dom[MOD_MAX_DOMAIN_BYTES + 1], q[FEED_QUOTE_BYTES];
	char               digest[65] = "";
	struct mod_err     err;
	struct feed_entry *e;
	bool               masked;

	if (feed_domain_normalise(
	        r->domain, r->domain_len, dom, sizeof(dom), &masked, &err)
	    != 0) {
		feed_quote(r->domain, r->domain_len, q);
		feed_parser_error(p, r->line, "%s: %s", q, err.msg);
		return 0;
	}
	if (masked && r->digest_len > 0
	    && feed_parse_digest(r->digest, r->digest_len, digest) != 0) {
		feed_parser_error(p, r->line, "%s: invalid digest", dom);
		return 0;
	}
	if (p->added >= MOD_MAX_FEED_ENTRIES_COUNT) {
		feed_parser_error(
		    p, 0, "more than %d entries", MOD_MAX_FEED_ENTRIES_COUNT);
		return MOD_ETOOBIG;
	}
	p->added++;
	e = feed_parser_slot(p);
	e->domain = feed_arena_strndup(p->list->pool, dom, strlen(dom));
	e->severity = r->severity;
	e->reject_media = r->reject_media;
	e->reject_reports = r->reject_reports;
	e->obfuscate = r->obfuscate;
	e->obfuscated = masked;
	e->public_comment
	    = feed_parse_comment(p, r->public_comment, r->public_comment_len);
	e->private_comment = feed_parse_comment(
	    p, r->private_comment, r->private_comment_len);
	if (digest[0] != '\0') /* masked names only */
		e->digest = feed_arena_strndup(p->list->pool, digest, 64);
	e->line = r->line;
	p->list->n++;
	return 0;
}

/* Canaries. */

/* Whether hay (may be NULL) contains needle, ignoring ASCII case. */
static bool
feed_parse_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	char   up = (char) (needle[0] - 'a' + 'A');

	for (; hay != NULL && *hay != '\0'; hay++)
		if ((*hay == needle[0] || *hay == up)
		    && strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* Domains are lowercase already; comments are not. */
static bool
feed_parse_canary_domain(const char *d)
{
	for (; (d = strchr(d, 'd')) != NULL; d++)
		if (strncmp(d, "delete.this.line", 16) == 0
		    || strncmp(d, "deletethisline", 14) == 0)
			return true;
	return false;
}

bool
feed_entry_is_canary(const struct feed_entry *e)
{
	return feed_parse_canary_domain(e->domain)
	    || feed_parse_contains(e->public_comment, "delete this line")
	    || feed_parse_contains(e->private_comment, "delete this line");
}

/*
 * Canaries in a parsed list.  Its comments are interned, so whether a
 * comment marks a canary is remembered by address (a small direct-mapped
 * memo): a feed repeats a handful of reasons over all its rows.
 */
#define FEED_PARSE_CANARY_MEMO 64
static size_t
feed_parse_canaries(const struct feed_list *l)
{
	struct {
		const char *s;
		bool        canary;
	} memo[FEED_PARSE_CANARY_MEMO] = { { NULL, false } };
	const char *c[2];
	size_t      i, j, k, n = 0;
	bool        found;

	for (i = 0; i < l->n; i++) {
		found = feed_parse_canary_domain(l->v[i].domain);
		c[0] = l->v[i].public_comment;
		c[1] = l->v[i].private_comment;
		for (j = 0; j < 2 && !found; j++) {
			if (c[j] == NULL)
				continue;
			k = ((uintptr_t) c[j] >> 4) % FEED_PARSE_CANARY_MEMO;
			if (memo[k].s != c[j]) {
				memo[k].s = c[j];
				memo[k].canary = feed_parse_contains(
				    c[j], "delete this line");
			}
			found = memo[k].canary;
		}
		n += found;
	}
	return n;
}

/* De-duplication. */

static void
feed_parse_steal(char **dst, char **src)
{
	if (*dst == NULL) {
		*dst = *src;
		*src = NULL;
	}
}

/*
 * Fold the duplicate d into the winner w: the more severe one wins (the
 * earlier one of equals), flags are OR-ed, a missing comment is taken
 * from the other.  The loser is cleared (its strings are the pool's).
 */
static void
feed_parse_fold(struct feed_entry *w, struct feed_entry *d)
{
	struct feed_entry t;

	if (d->severity > w->severity) {
		t = *w;
		*w = *d;
		*d = t;
	}
	w->reject_media |= d->reject_media;
	w->reject_reports |= d->reject_reports;
	w->obfuscate |= d->obfuscate;
	feed_parse_steal(&w->digest, &d->digest);
	feed_parse_steal(&w->public_comment, &d->public_comment);
	feed_parse_steal(&w->private_comment, &d->private_comment);
	memset(d, 0, sizeof(*d));
}

/*
 * Each name's first entry absorbs the later ones, in file order (a hash
 * of the names: no sort); the table's keys stay valid, as the pool keeps
 * every string.
 */
static void
feed_parse_dedupe(struct feed_list *l)
{
	struct feed_domtab *seen;
	size_t              i, n = 0;
	uint32_t            first;

	if (l->n < 2)
		return;
	seen = feed_domtab_new(l->n);
	for (i = 0; i < l->n; i++)
		if (!feed_domtab_put(
		        seen, l->v[i].domain, (uint32_t) i, &first))
			feed_parse_fold(&l->v[first], &l->v[i]);
	feed_domtab_free(seen);
	/* Compact in file order; the winner keeps the earlier slot. */
	for (i = 0; i < l->n; i++)
		if (l->v[i].domain != NULL)
			l->v[n++] = l->v[i];
	l->n = n;
}

/* Format detection. */

static bool
feed_parse_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n'
		    && s[i] != '\f' && s[i] != '\v')
			return false;
	return true;
}

/*
 * A document starting with '[' or '{' is JSON; one whose first line that
 * is not blank and not a '#' comment is a CSV header is CSV (a
 * "#domain,..." header counts as a header, not a comment); else text.
 */
static enum feed_format
feed_parse_detect(const char *buf, size_t len)
{
	const char *line;
	size_t      pos = 0, n, i, seen = 0;

	for (i = 0; i < len && feed_parse_blank(buf + i, 1); i++)
		;
	if (i < len && (buf[i] == '[' || buf[i] == '{'))
		return FEED_FMT_MASTODON_JSON; /* refined by feed_json.c */
	while (seen++ < FEED_PARSE_SNIFF_LINES
	    && feed_next_line(buf, len, &pos, &line, &n)) {
		if (feed_parse_blank(line, n))
			continue;
		if (feed_csv_is_header(line, n))
			return FEED_FMT_MASTODON_CSV; /* refined by feed_csv.c
			                               */
		for (i = 0; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		if (line[i] != '#')
			break;
	}
	return FEED_FMT_TEXT;
}

static bool
feed_parse_is_json(enum feed_format f)
{
	return f == FEED_FMT_MASTODON_JSON || f == FEED_FMT_MASTODON_ADMIN_JSON
	    || f == FEED_FMT_GTS_JSON || f == FEED_FMT_RAPIDBLOCK_JSON;
}

/*
 * How many entries to make room for at once: one per line or per JSON
 * object is an upper bound for most feeds, and pages of the array never
 * written are never mapped.  Growing by doubling instead would copy a
 * 100k-entry array several times.
 */
static size_t
feed_parse_hint(const char *buf, size_t len, char c)
{
	const char *p = buf, *end = buf + len;
	size_t      n = 1;

	while (n < MOD_MAX_FEED_ENTRIES_COUNT
	    && (p = memchr(p, c, (size_t) (end - p))) != NULL) {
		n++;
		p++;
	}
	return n < FEED_PARSE_MIN_SLOTS ? FEED_PARSE_MIN_SLOTS : n;
}

/* Run the format's parser; fmt is the caller's (AUTO allowed). */
static int
feed_parse_run(
    struct feed_parser *p, const char *buf, size_t len, enum feed_format fmt)
{
	enum feed_format found = fmt;

	if (fmt == FEED_FMT_AUTO)
		found = feed_parse_detect(buf, len);
	p->hint = feed_parse_hint(
	    buf, len, feed_parse_is_json(found) ? '{' : '\n');
	/* Parsers refine a detected format but keep a given one. */
	p->list->format = fmt == FEED_FMT_AUTO ? FEED_FMT_AUTO : found;
	if (feed_parse_is_json(found))
		return feed_json_parse(p, buf, len);
	if (found == FEED_FMT_MASTODON_CSV || found == FEED_FMT_FBH_CSV)
		return feed_csv_parse(p, buf, len);
	if (fmt == FEED_FMT_AUTO)
		p->list->format = FEED_FMT_TEXT;
	return feed_text_parse(p, buf, len);
}

/* feed_parse_run() with the list's pool and the parser's scratch. */
static int
feed_parse_pooled(
    struct feed_parser *p, const char *buf, size_t len, enum feed_format fmt)
{
	int rv;

	p->list->pool = xcalloc(1, sizeof(*p->list->pool));
	feed_intern_init(&p->comments, p->list->pool);
	p->scratch = xmalloc(MOD_MAX_FEED_COMMENT_BYTES + 1);
	rv = feed_parse_run(p, buf, len, fmt);
	feed_intern_free(&p->comments);
	free(p->scratch);
	return rv;
}

int
feed_parse(const char *name, const char *buf, size_t len, enum feed_format fmt,
    struct feed_list *out, struct mod_errlist *errs)
{
	struct feed_parser p = { .name = name, .list = out, .errs = errs };
	int                rv;

	memset(out, 0, sizeof(*out));
	out->format = fmt;
	if ((int) fmt < 0 || fmt >= FEED_FMT_COUNT) {
		feed_parser_error(&p, 0, "unknown feed format %d", (int) fmt);
		return MOD_EINVAL;
	}
	if (len > MOD_MAX_FEED_BYTES) {
		feed_parser_error(&p, 0, "feed is %zu bytes, limit %d", len,
		    MOD_MAX_FEED_BYTES);
		return MOD_ETOOBIG;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		buf += 3, len -= 3;
	if (feed_parse_blank(buf, len)) {
		feed_parser_error(&p, 0, "empty feed");
		return MOD_EINVAL;
	}
	rv = feed_parse_pooled(&p, buf, len, fmt);
	if (rv == 0 && out->n == 0) {
		feed_parser_error(&p, 0, "no usable entries");
		rv = MOD_EINVAL;
	}
	if (rv != 0) {
		feed_list_free(out);
		return rv;
	}
	feed_parse_dedupe(out);
	out->canaries = feed_parse_canaries(out);
	return 0;
}

void
feed_entry_digest(const struct feed_entry *e, char out[65])
{
	mod_strlcpy(out, e->digest ? e->digest : "", 65);
	if (out[0] == '\0' && !e->obfuscated)
		feed_digest(e->domain, out); /* feed_parse() leaves it "" */
}

/* The JSON form of an entry (moderctl feeds parse, golden files). */

char *
feed_entry_json(const struct feed_entry *e)
{
	json_t *o = json_object();
	char   *s, digest[65];

	/* json_object_set_new steals the new value's reference. */
	json_object_set_new(o, "domain", json_string(e->domain));
	json_object_set_new(
	    o, "severity", json_string(feed_severity_name(e->severity)));
	json_object_set_new(o, "reject_media", json_boolean(e->reject_media));
	json_object_set_new(
	    o, "reject_reports", json_boolean(e->reject_reports));
	json_object_set_new(o, "public_comment",
	    e->public_comment ? json_string(e->public_comment) : json_null());
	if (e->private_comment != NULL)
		json_object_set_new(
		    o, "private_comment", json_string(e->private_comment));
	json_object_set_new(o, "obfuscate", json_boolean(e->obfuscate));
	json_object_set_new(o, "obfuscated", json_boolean(e->obfuscated));
	feed_entry_digest(e, digest);
	json_object_set_new(
	    o, "digest", digest[0] ? json_string(digest) : json_null());
	if (feed_entry_is_canary(e))
		json_object_set_new(o, "canary", json_true());
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		fatalx("feeds: cannot encode an entry as JSON");
	return s;
}
