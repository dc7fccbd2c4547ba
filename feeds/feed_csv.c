/*
 * feed_csv.c - CSV blocklists: Mastodon's admin export and everything
 * that imitates it (FediBlockHole, Oliphant, Garden Fence, Seirdy).
 *
 * The header decides everything.  Column names are matched with or
 * without Mastodon's leading '#', in any case and any order; "comment" is
 * taken for public_comment when that column is absent; unknown and empty
 * columns (a trailing comma) are ignored; a column named twice in the
 * header is an error, since there is no telling which one is meant.
 * Missing columns take Mastodon's import defaults: severity suspend,
 * flags false, no comments.  The first line that is not blank and not a
 * '#' comment must be a header (a field "domain" or "#domain"); a file
 * without one is an error as a whole.  A header repeated later in the
 * file, as concatenated exports have (fediblockhole #57), is read again,
 * so a different column order there is honoured too.
 *
 * Records are RFC 4180: quoting with doubled quotes inside, white space
 * around fields ignored, CRLF or LF.  A quoted field may span lines (a
 * multi-line public_comment, as Mastodon exports have); its line breaks
 * are kept as they are, and the record is reported by its first line.  A
 * record is capped at MOD_MAX_FEED_LINE_BYTES as a whole.  A quote not
 * closed within the cap or before the end of the file is an error for
 * that record only, and reading goes on at the line after its first (a
 * stray quote must not swallow the rest of the feed); text after a
 * closing quote is an error for the record, which ends with that line.
 * Rows with too few fields read the missing ones as empty; extra fields
 * are ignored.  Booleans are true/false in any case, 1/0 or t/f (Go's
 * ParseBool and Python's str()), empty meaning false.  A row whose severity or
 * flags cannot be read is reported and skipped, never guessed.  Masked names
 * and canary rows go through like any other row; feed_parser_add() deals with
 * them.
 *
 * Memory: one scratch record (fields are unquoted into it, which never
 * grows them) and a fixed field table, freed on every path.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feeds.h"
#include "feed_impl.h"
#include "util.h"

enum feed_csv_col {
	FEED_CSV_DOMAIN,
	FEED_CSV_SEVERITY,
	FEED_CSV_REJECT_MEDIA,
	FEED_CSV_REJECT_REPORTS,
	FEED_CSV_PUBLIC_COMMENT,
	FEED_CSV_PRIVATE_COMMENT,
	FEED_CSV_OBFUSCATE,
	FEED_CSV_COUNT
};

static const char *const feed_csv_names[FEED_CSV_COUNT] = {
	[FEED_CSV_DOMAIN] = "domain",
	[FEED_CSV_SEVERITY] = "severity",
	[FEED_CSV_REJECT_MEDIA] = "reject_media",
	[FEED_CSV_REJECT_REPORTS] = "reject_reports",
	[FEED_CSV_PUBLIC_COMMENT] = "public_comment",
	[FEED_CSV_PRIVATE_COMMENT] = "private_comment",
	[FEED_CSV_OBFUSCATE] = "obfuscate",
};

struct feed_csv_field {
	const char *s;
	size_t      len;
};

struct feed_csv {
	struct feed_parser   *p;
	int                   col[FEED_CSV_COUNT]; /* field index or -1 */
	bool                  have_header;
	char                 *scratch; /* MOD_MAX_FEED_LINE_BYTES + 1 */
	bool                  truncated; /* the record was cut at the cap */
	bool                  resync; /* its end is unknown */
	struct feed_csv_field f[MOD_MAX_FEED_COLUMNS_COUNT];
	size_t                nf;
};

/* What feed_csv_split() says of a record over MOD_MAX_FEED_LINE_BYTES. */
static const char feed_csv_too_long[] = "record too long";

static bool
feed_csv_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether a header field s[0..n) names column name ("#Domain" ...). */
static bool
feed_csv_name_is(const char *s, size_t n, const char *name)
{
	while (n > 0 && (feed_csv_space(*s) || *s == '"'))
		s++, n--;
	while (n > 0 && (feed_csv_space(s[n - 1]) || s[n - 1] == '"'))
		n--;
	if (n > 0 && *s == '#')
		s++, n--;
	return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

bool
feed_csv_is_header(const char *s, size_t len)
{
	const char *comma;
	size_t      n;

	for (;;) {
		comma = memchr(s, ',', len);
		n = comma ? (size_t) (comma - s) : len;
		if (feed_csv_name_is(s, n, "domain"))
			return true;
		if (comma == NULL)
			return false;
		s += n + 1;
		len -= n + 1;
	}
}

/*
 * A quoted field from s[*i] (the opening quote) into scratch at *o.  It
 * may span lines; white space (and the CR of a CRLF) may follow it.
 */
static const char *
feed_csv_quoted(
    struct feed_csv *c, const char *s, size_t n, size_t *i, size_t *o)
{
	size_t k = *i + 1, w = *o; /* locals: scratch may alias */

	for (; k < n; k++) {
		if (s[k] == '"') {
			if (k + 1 < n && s[k + 1] == '"')
				k++;
			else
				break;
		}
		c->scratch[w++] = s[k];
	}
	*i = k;
	*o = w;
	if (k >= n) {
		c->resync = true;
		return c->truncated ? feed_csv_too_long
		                    : "quoted field not closed before "
		                      "the end of the file";
	}
	for ((*i)++; *i < n && (feed_csv_space(s[*i]) || s[*i] == '\r');
	     (*i)++)
		;
	if (*i < n && s[*i] != ',' && s[*i] != '\n')
		return "unexpected text after a closing quote";
	return NULL;
}

/* An unquoted field from s[*i] to the next ',' or end of record. */
static void
feed_csv_plain(
    struct feed_csv *c, const char *s, size_t n, size_t *i, size_t *o)
{
	size_t start = *o, end = *i, k = *o; /* locals: scratch may alias */

	while (end < n && s[end] != ',' && s[end] != '\n')
		end++;
	memcpy(c->scratch + k, s + *i, end - *i);
	k += end - *i;
	if (k > start && c->scratch[k - 1] == '\r'
	    && (end >= n || s[end] == '\n'))
		k--; /* the CR of a CRLF */
	while (k > start && feed_csv_space(c->scratch[k - 1]))
		k--;
	*i = end;
	*o = k;
}

/*
 * Split the record starting at s[0] (n bytes available) into c->f,
 * unquoting into c->scratch.  The record ends at a line break outside
 * quotes; *used is where it ended (or where it went wrong).  Returns NULL
 * or what is wrong with the record; c->resync is set when its end is
 * unknown (a quote not closed in time).
 */
static const char *
feed_csv_split(struct feed_csv *c, const char *s, size_t n, size_t *used)
{
	size_t      i = 0, o = 0, start;
	const char *why = NULL;

	c->nf = 0;
	c->resync = false;
	for (;;) {
		while (i < n && feed_csv_space(s[i]))
			i++;
		start = o;
		if (i < n && s[i] == '"')
			why = feed_csv_quoted(c, s, n, &i, &o);
		else
			feed_csv_plain(c, s, n, &i, &o);
		if (c->nf < nitems(c->f)) {
			c->f[c->nf].s = c->scratch + start;
			c->f[c->nf++].len = o - start;
		}
		if (why != NULL || i >= n || s[i] == '\n')
			break;
		i++; /* the comma */
	}
	*used = i;
	if (why == NULL && c->truncated && i >= n) {
		c->resync = true;
		why = feed_csv_too_long;
	}
	return why;
}

/* Field of column col in the current row; empty if absent. */
static void
feed_csv_get(
    const struct feed_csv *c, enum feed_csv_col col, const char **s, size_t *n)
{
	int i = c->col[col];

	*s = NULL;
	*n = 0;
	if (i >= 0 && (size_t) i < c->nf) {
		*s = c->f[i].s;
		*n = c->f[i].len;
	}
}

/* Map column name f to its column; -1 if not ours. */
static int
feed_csv_lookup(const struct feed_csv_field *f)
{
	size_t i;

	for (i = 0; i < FEED_CSV_COUNT; i++)
		if (feed_csv_name_is(f->s, f->len, feed_csv_names[i]))
			return (int) i;
	return -1;
}

/* Take the split row as the header; an error leaves the old one. */
static int
feed_csv_header(struct feed_csv *c, int lineno)
{
	int    col[FEED_CSV_COUNT], comment = -1, k;
	size_t i;

	for (k = 0; k < FEED_CSV_COUNT; k++)
		col[k] = -1;
	for (i = 0; i < c->nf; i++) {
		if (feed_csv_name_is(c->f[i].s, c->f[i].len, "comment")) {
			comment = (int) i;
			continue;
		}
		if ((k = feed_csv_lookup(&c->f[i])) < 0)
			continue;
		if (col[k] >= 0) {
			feed_parser_error(c->p, lineno,
			    "column %s appears twice in the header",
			    feed_csv_names[k]);
			return MOD_EINVAL;
		}
		col[k] = (int) i;
	}
	if (col[FEED_CSV_PUBLIC_COMMENT] < 0)
		col[FEED_CSV_PUBLIC_COMMENT] = comment;
	memcpy(c->col, col, sizeof(col));
	if (!c->have_header && c->p->list->format == FEED_FMT_AUTO)
		c->p->list->format = c->f[0].len > 0 && c->f[0].s[0] == '#'
		    ? FEED_FMT_MASTODON_CSV
		    : FEED_FMT_FBH_CSV;
	c->have_header = true;
	return 0;
}

static bool
feed_csv_row_empty(const struct feed_csv *c)
{
	size_t i;

	for (i = 0; i < c->nf; i++)
		if (c->f[i].len > 0)
			return false;
	return true;
}

/* Read one boolean column into *b; report and fail if unreadable. */
static int
feed_csv_flag(struct feed_csv *c, enum feed_csv_col col, int lineno, bool *b)
{
	char        q[FEED_QUOTE_BYTES];
	const char *s;
	size_t      n;

	feed_csv_get(c, col, &s, &n);
	if (feed_bool_parse(s, n, b) == 0)
		return 0;
	feed_quote(s, n, q);
	feed_parser_error(
	    c->p, lineno, "%s: not a boolean: %s", feed_csv_names[col], q);
	return MOD_EINVAL;
}

/* Everything in a row but the domain; errors already reported. */
static int
feed_csv_fields(struct feed_csv *c, int lineno, struct feed_raw *r)
{
	char        q[FEED_QUOTE_BYTES];
	const char *s;
	size_t      n;

	feed_csv_get(c, FEED_CSV_SEVERITY, &s, &n);
	if (feed_severity_parse(s, n, FEED_SEV_SUSPEND, &r->severity) != 0) {
		feed_quote(s, n, q);
		feed_parser_error(c->p, lineno, "unknown severity %s", q);
		return MOD_EINVAL;
	}
	if (feed_csv_flag(c, FEED_CSV_REJECT_MEDIA, lineno, &r->reject_media)
	        != 0
	    || feed_csv_flag(
	           c, FEED_CSV_REJECT_REPORTS, lineno, &r->reject_reports)
	        != 0
	    || feed_csv_flag(c, FEED_CSV_OBFUSCATE, lineno, &r->obfuscate)
	        != 0)
		return MOD_EINVAL;
	feed_csv_get(c, FEED_CSV_PUBLIC_COMMENT, &r->public_comment,
	    &r->public_comment_len);
	feed_csv_get(c, FEED_CSV_PRIVATE_COMMENT, &r->private_comment,
	    &r->private_comment_len);
	return 0;
}

/* One data row: 0 (added or reported) or MOD_ETOOBIG. */
static int
feed_csv_row(struct feed_csv *c, int lineno)
{
	struct feed_raw r;

	if (feed_csv_row_empty(c))
		return 0;
	memset(&r, 0, sizeof(r));
	feed_csv_get(c, FEED_CSV_DOMAIN, &r.domain, &r.domain_len);
	if (r.domain_len == 0) {
		feed_parser_error(c->p, lineno, "missing domain");
		return 0;
	}
	if (feed_csv_fields(c, lineno, &r) != 0)
		return 0;
	r.line = lineno;
	return feed_parser_add(c->p, &r);
}

static bool
feed_csv_comment_line(const char *s, size_t n)
{
	while (n > 0 && (feed_csv_space(*s) || *s == '\r'))
		s++, n--;
	return n == 0 || *s == '#';
}

/* A header line: the first one, or a repeat of it mid-file. */
static bool
feed_csv_is_header_row(const struct feed_csv *c)
{
	const struct feed_csv_field *f;
	size_t                       i;

	if (c->have_header) {
		i = (size_t) c->col[FEED_CSV_DOMAIN];
		if (i >= c->nf)
			return false;
		f = &c->f[i];
		return feed_csv_name_is(f->s, f->len, "domain");
	}
	for (i = 0; i < c->nf; i++)
		if (feed_csv_name_is(c->f[i].s, c->f[i].len, "domain"))
			return true;
	return false;
}

/* A record that could not be split: report it, and say where it ends. */
static void
feed_csv_bad_record(struct feed_csv *c, const char *why, const char *s,
    size_t n, size_t avail, int lineno, size_t *used)
{
	const char *nl;

	if (why == feed_csv_too_long)
		feed_parser_error(c->p, lineno, "record longer than %d bytes",
		    MOD_MAX_FEED_LINE_BYTES);
	else
		feed_parser_error(c->p, lineno, "%s", why);
	if (c->resync) {
		*used = n; /* its end is unknown: read on from the next line */
		return;
	}
	nl = memchr(s + *used, '\n', avail - *used);
	*used = nl ? (size_t) (nl - s) : avail;
}

/*
 * One record starting at the line s[0..n), with avail bytes to the end of
 * the buffer; *used is where it ends (its line break, not included).
 * Returns 0, or MOD_EINVAL / MOD_ETOOBIG to stop the feed.
 */
static int
feed_csv_record(struct feed_csv *c, const char *s, size_t n, size_t avail,
    int lineno, size_t *used)
{
	const char *why;
	int         rv;

	*used = n;
	if (n > MOD_MAX_FEED_LINE_BYTES) {
		feed_parser_error(c->p, lineno, "line longer than %d bytes",
		    MOD_MAX_FEED_LINE_BYTES);
		return 0;
	}
	if (feed_csv_comment_line(s, n) && !feed_csv_is_header(s, n))
		return 0;
	c->truncated = avail > MOD_MAX_FEED_LINE_BYTES + 1;
	if (c->truncated)
		avail = MOD_MAX_FEED_LINE_BYTES + 1;
	if ((why = feed_csv_split(c, s, avail, used)) != NULL) {
		feed_csv_bad_record(c, why, s, n, avail, lineno, used);
		return 0;
	}
	if (feed_csv_is_header_row(c)) {
		rv = feed_csv_header(c, lineno);
		return c->have_header ? 0 : rv;
	}
	if (!c->have_header) {
		feed_parser_error(c->p, lineno,
		    "no CSV header naming a domain column before the first "
		    "row");
		return MOD_EINVAL;
	}
	return feed_csv_row(c, lineno);
}

/* Line breaks in s[0..n). */
static int
feed_csv_count_lines(const char *s, size_t n)
{
	const char *end = s + n;
	int         k = 0;

	while ((s = memchr(s, '\n', (size_t) (end - s))) != NULL) {
		k++;
		s++;
	}
	return k;
}

int
feed_csv_parse(struct feed_parser *p, const char *buf, size_t len)
{
	struct feed_csv c;
	const char     *line;
	size_t          pos = 0, n, used, at;
	int             lineno = 0, rv = 0, i;

	memset(&c, 0, sizeof(c));
	c.p = p;
	for (i = 0; i < FEED_CSV_COUNT; i++)
		c.col[i] = -1;
	c.scratch = xmalloc(MOD_MAX_FEED_LINE_BYTES + 1);
	while (rv == 0 && feed_next_line(buf, len, &pos, &line, &n)) {
		at = (size_t) (line - buf);
		rv = feed_csv_record(&c, line, n, len - at, ++lineno, &used);
		if (used > n) { /* quoted line breaks: the record goes on */
			lineno += feed_csv_count_lines(line, used);
			pos = at + used;
			pos += pos < len && buf[pos] == '\n';
		}
	}
	if (rv == 0 && !c.have_header) {
		feed_parser_error(
		    p, 0, "no CSV header naming a domain column");
		rv = MOD_EINVAL;
	}
	free(c.scratch);
	return rv;
}
