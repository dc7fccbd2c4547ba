/*
 * feed_publish.c - the server's approved blocks as feeds others can
 * subscribe to: Mastodon's admin CSV, FediBlockHole's CSV, plain text,
 * Mastodon's public JSON list, and a change feed with a cursor.
 *
 * Each writer reproduces its model byte for byte where the model is
 * known: Mastodon's CSV export (Ruby's CSV: LF, quoting of empty strings
 * and of fields with ',' or '"', lowercase booleans), Python's csv
 * module for FediBlockHole (CRLF, True/False, empty strings bare),
 * Mastodon's /api/v1/instance/domain_blocks (masked names, SHA-256
 * digests, silence and suspend only).  Rows are sorted by domain so the
 * bytes, and so the detached signature, depend only on the set of
 * blocks.
 *
 * One deliberate difference: line breaks inside a comment are written as
 * spaces in the CSVs (Ruby would quote them and span lines), because
 * line-based readers, moderd's own parser among them, would take the
 * continuation for a row.
 *
 * What is deliberately not written: private comments, ever; noop blocks
 * in the CSVs unless they reject media (Mastodon's own export rule); the
 * real name of an obfuscated block in the JSON list and the change feed.
 * The CSVs and the text list carry real names, as Mastodon's export does
 * (subscribers need them to block); FEED_PUBLISH_OMIT_OBFUSCATED drops
 * those entries instead.  A writer never leaves half a document in the
 * buffer: on error the buffer is cut back to where it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "feeds.h"
#include "util.h"

void
feed_mask(const char *domain, char *out, size_t outsz)
{
	size_t n = strlen(domain), v = n / 4, i;

	if (outsz == 0)
		return;
	for (i = 0; i < n && i + 1 < outsz; i++)
		out[i] = (i > v && i < n - v && domain[i] != '.') ? '*'
		                                                  : domain[i];
	out[i] = '\0';
}

/* ---- shared row logic ---- */

static int
publish_cmp(const void *a, const void *b)
{
	const struct feed_entry *x = *(const struct feed_entry *const *) a;
	const struct feed_entry *y = *(const struct feed_entry *const *) b;

	return strcmp(x->domain, y->domain);
}

/* Pointers to v[0..n), sorted by domain; masked names are refused. */
static int
publish_sorted(
    const struct feed_entry *v, size_t n, const struct feed_entry ***out)
{
	const struct feed_entry **p;
	size_t                    i;

	*out = NULL;
	for (i = 0; i < n; i++)
		if (v[i].domain == NULL || v[i].obfuscated
		    || strchr(v[i].domain, '*') != NULL)
			return MOD_EINVAL;
	p = xcalloc(n + 1, sizeof(*p));
	for (i = 0; i < n; i++)
		p[i] = &v[i];
	qsort(p, n, sizeof(*p), publish_cmp);
	*out = p;
	return 0;
}

/* DomainBlock.with_limitations: the rows Mastodon's CSV export holds. */
static bool
publish_limited(const struct feed_entry *e)
{
	return e->severity != FEED_SEV_NOOP || e->reject_media;
}

static bool
publish_wanted(
    enum feed_format fmt, const struct feed_entry *e, unsigned flags)
{
	if (e->obfuscate && (flags & FEED_PUBLISH_OMIT_OBFUSCATED)
	    && fmt != FEED_FMT_MASTODON_JSON)
		return false;
	switch (fmt) {
	case FEED_FMT_TEXT:
		return e->severity == FEED_SEV_SUSPEND;
	case FEED_FMT_MASTODON_JSON:
		return e->severity != FEED_SEV_NOOP;
	default:
		return publish_limited(e);
	}
}

/* ---- CSV ---- */

/*
 * A field as Ruby's CSV (ruby_style) or Python's csv module writes it:
 * quoted when it holds ',' or '"' (quotes doubled), and by Ruby also when
 * empty; NULL is an empty, bare field.  Line breaks become spaces: a
 * record spanning lines is valid CSV, but many feed readers go line by
 * line and would read the rest of the comment as a row of its own.
 */
static int
publish_csv_field(struct buf *b, const char *s, bool ruby_style)
{
	bool quote;
	int  rv = 0;

	if (s == NULL)
		return 0;
	quote = strpbrk(s, ",\"") != NULL || (s[0] == '\0' && ruby_style);
	if (quote)
		rv = buf_appendc(b, '"');
	for (; rv == 0 && *s != '\0'; s++) {
		if (*s == '"')
			rv = buf_append(b, "\"\"", 2);
		else
			rv = buf_appendc(
			    b, (*s == '\r' || *s == '\n') ? ' ' : *s);
	}
	if (rv == 0 && quote)
		rv = buf_appendc(b, '"');
	return rv;
}

static int
publish_csv_row(struct buf *b, const struct feed_entry *e, bool mastodon)
{
	const char *t = mastodon ? "true" : "True";
	const char *f = mastodon ? "false" : "False";
	int         rv;

	if ((rv = buf_printf(b, "%s,%s,%s,%s,", e->domain,
	         feed_severity_name(e->severity), e->reject_media ? t : f,
	         e->reject_reports ? t : f))
	        != 0
	    || (rv = publish_csv_field(b, e->public_comment, mastodon)) != 0)
		return rv;
	return buf_printf(
	    b, ",%s%s", e->obfuscate ? t : f, mastodon ? "\n" : "\r\n");
}

/* ---- Mastodon's public JSON ---- */

/* One {domain, digest, severity, comment} object, compact. */
static int
publish_json_obj(struct buf *b, const struct feed_entry *e)
{
	char    masked[MOD_MAX_DOMAIN_BYTES + 1], digest[65];
	json_t *o;
	char   *s;
	int     rv;

	feed_digest(e->domain, digest);
	if (e->obfuscate)
		feed_mask(e->domain, masked, sizeof(masked));
	o = json_pack("{s:s, s:s, s:s, s:s?}", "domain",
	    e->obfuscate ? masked : e->domain, "digest", digest, "severity",
	    feed_severity_name(e->severity), "comment", e->public_comment);
	if (o == NULL)
		return MOD_EUTF8;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return MOD_EINTERNAL;
	rv = buf_appends(b, s);
	free(s);
	return rv;
}

static int
publish_row(enum feed_format fmt, struct buf *b, const struct feed_entry *e,
    bool first)
{
	int rv;

	switch (fmt) {
	case FEED_FMT_MASTODON_CSV:
		return publish_csv_row(b, e, true);
	case FEED_FMT_FBH_CSV:
		return publish_csv_row(b, e, false);
	case FEED_FMT_TEXT:
		return buf_printf(b, "%s\n", e->domain);
	default:
		if ((rv = buf_appends(b, first ? "\n" : ",\n")) != 0)
			return rv;
		return publish_json_obj(b, e);
	}
}

static const char *
publish_header(enum feed_format fmt)
{
	switch (fmt) {
	case FEED_FMT_MASTODON_CSV:
		return "#domain,#severity,#reject_media,#reject_reports,"
		       "#public_comment,#obfuscate\n";
	case FEED_FMT_FBH_CSV:
		return "domain,severity,reject_media,reject_reports,"
		       "public_comment,obfuscate\r\n";
	case FEED_FMT_MASTODON_JSON:
		return "[";
	default:
		return "";
	}
}

/* Cut b back to len bytes after a failed write. */
static void
publish_undo(struct buf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

int
feed_publish(enum feed_format fmt, const struct feed_entry *v, size_t n,
    unsigned flags, struct buf *out)
{
	const struct feed_entry **p = NULL;
	size_t                    i, start = out->len;
	bool                      first = true;
	int                       rv;

	if (fmt != FEED_FMT_MASTODON_CSV && fmt != FEED_FMT_FBH_CSV
	    && fmt != FEED_FMT_TEXT && fmt != FEED_FMT_MASTODON_JSON)
		return MOD_EINVAL;
	if ((rv = publish_sorted(v, n, &p)) != 0)
		goto out;
	if ((rv = buf_appends(out, publish_header(fmt))) != 0)
		goto out;
	for (i = 0; i < n && rv == 0; i++) {
		if (!publish_wanted(fmt, p[i], flags))
			continue;
		rv = publish_row(fmt, out, p[i], first);
		first = false;
	}
	if (rv == 0 && fmt == FEED_FMT_MASTODON_JSON)
		rv = buf_appends(out, first ? "]\n" : "\n]\n");
out:
	if (rv != 0)
		publish_undo(out, start);
	free(p);
	return rv;
}

/* ---- the change feed ---- */

static const char *
publish_change_type(enum feed_change_kind k)
{
	switch (k) {
	case FEED_CHANGE_ADD:
		return "added";
	case FEED_CHANGE_CHANGE:
		return "changed";
	default:
		return "retracted";
	}
}

/* ISO 8601 UTC with milliseconds, as Mastodon writes times. */
static void
publish_time(int64_t ms, char out[32])
{
	time_t    t = (time_t) (ms / 1000);
	int64_t   frac = ms % 1000;
	struct tm tm;

	if (frac < 0) {
		frac += 1000;
		t--;
	}
	if (gmtime_r(&t, &tm) == NULL
	    || strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		mod_strlcpy(out, "1970-01-01T00:00:00.000Z", 32);
		return;
	}
	snprintf(out + strlen(out), 32 - strlen(out), ".%03dZ", (int) frac);
}

static json_t *
publish_change_obj(const struct feed_change_record *r)
{
	char masked[MOD_MAX_DOMAIN_BYTES + 1], digest[65], at[32];

	feed_digest(r->domain, digest);
	feed_mask(r->domain, masked, sizeof(masked));
	publish_time(r->at_ms, at);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s?}",
	    "id", (json_int_t) r->id, "type", publish_change_type(r->kind),
	    "at", at, "domain", r->obfuscate ? masked : r->domain, "digest",
	    digest, "severity", feed_severity_name(r->severity),
	    "reject_media", (int) r->reject_media, "reject_reports",
	    (int) r->reject_reports, "comment", r->public_comment);
}

static int
publish_change(struct buf *b, const struct feed_change_record *r, bool first)
{
	json_t *o;
	char   *s;
	int     rv;

	if (r->domain == NULL || strlen(r->domain) > MOD_MAX_DOMAIN_BYTES)
		return MOD_EINVAL;
	if ((o = publish_change_obj(r)) == NULL)
		return MOD_EUTF8;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return MOD_EINTERNAL;
	if ((rv = buf_appends(b, first ? "\n" : ",\n")) == 0)
		rv = buf_appends(b, s);
	free(s);
	return rv;
}

/* The records to write: [*from, *to), and whether more follow. */
static int
publish_window(const struct feed_change_record *v, size_t n, int64_t cursor,
    size_t limit, size_t *from, size_t *to)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id <= 0 || (i > 0 && v[i].id <= v[i - 1].id))
			return MOD_EINVAL;
	if (limit == 0 || limit > MOD_MAX_FEED_CHANGES_PAGE_COUNT)
		limit = MOD_MAX_FEED_CHANGES_PAGE_COUNT;
	for (i = 0; i < n && v[i].id <= cursor; i++)
		;
	*from = i;
	*to = n - i > limit ? i + limit : n;
	return 0;
}

int
feed_publish_changes(const struct feed_change_record *v, size_t n,
    int64_t cursor, size_t limit, struct buf *out, int64_t *next)
{
	size_t  from, to, i, start = out->len;
	int64_t last;
	int     rv;

	if ((rv = publish_window(v, n, cursor, limit, &from, &to)) != 0)
		return rv;
	last = to > from ? v[to - 1].id : cursor;
	rv = buf_printf(out, "{\"cursor\":%lld,\"more\":%s,\"changes\":[",
	    (long long) last, to < n ? "true" : "false");
	for (i = from; rv == 0 && i < to; i++)
		rv = publish_change(out, &v[i], i == from);
	if (rv == 0)
		rv = buf_appends(out, to > from ? "\n]}\n" : "]}\n");
	if (rv != 0) {
		publish_undo(out, start);
		return rv;
	}
	if (next != NULL)
		*next = last;
	return 0;
}
