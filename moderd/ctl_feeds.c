/*
 * ctl_feeds.c - `moderctl feeds merge -f CONF`: what the subscriptions of
 * a configuration would block, worked out offline.
 *
 * Every `feed` block is fetched with feed_fetch() (or its file read)
 * without conditional state, parsed with feed_parse() (bad lines to
 * stderr as FILE:LINE: message, the rest still used), and the good lists
 * are merged with feed_merge() under the configuration's quorum, merge
 * mode, per-feed trust and caps, excludes and known domains.  The result
 * goes to stdout either as a readable listing with provenance (each
 * merged domain, its severity and total trust, and per supporting feed
 * its severity, cap, line and comment; then the masked entries nobody
 * could resolve, the domains below the quorum and the excluded ones) or
 * as a published list in one of feed_publish()'s formats.
 *
 * Deliberately not here: the database, the daemon, diffing against the
 * current blocks (there are none offline), and any retry.  A feed that
 * fails entirely (fetch error, or nothing usable in it) is left out of
 * the merge and makes the exit status 1, so a broken subscription is
 * never mistaken for "no blocks".  Text from feeds is printed with
 * control characters replaced, as it comes from strangers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl_feeds.h"
#include "feedsync.h"
#include "util.h"

#define CTL_FEEDS_TABLE (-1) /* --format table */
#define CTL_FEEDS_SHA_SHOWN 12 /* hex digits of a revision shown */

/* One run of the command. */
struct ctl_feeds_run {
	const struct conf *c;
	struct feed_list  *lists; /* by configured feed */
	char (*rev)[65]; /* content SHA-256, by feed */
	bool               *ok; /* fetched and parsed, by feed */
	struct feed_source *src; /* the good ones */
	size_t              nsrc;
	char              **excl, **known;
	size_t              nexcl, nknown;
	bool                failed;
};

/* ---- fetching and merging ---- */

static const char *
ctl_feeds_where(const struct conf_feed *f)
{
	return f->url[0] != '\0' ? f->url : f->path;
}

/* Fetch and parse feed i of the configuration; report what failed. */
static void
ctl_feeds_load_one(struct ctl_feeds_run *r, size_t i)
{
	const struct conf_feed  *f = &r->c->feed[i];
	struct feed_fetch_opts   o;
	struct feed_fetch_result fr;
	struct mod_errlist       errs = { 0 };

	feedsync_fetch_opts(f, &o);
	if (feed_fetch(&o, &fr) != 0) {
		fprintf(
		    stderr, "moderctl: feed %s: %s\n", f->name, fr.err.msg);
		goto out;
	}
	mod_strlcpy(r->rev[i], fr.sha256, sizeof(r->rev[i]));
	if (feed_parse(ctl_feeds_where(f), fr.body, fr.len, feedsync_format(f),
	        &r->lists[i], &errs)
	    == 0)
		r->ok[i] = true;
	mod_errlist_print(&errs, stderr);
	if (!r->ok[i])
		fprintf(
		    stderr, "moderctl: feed %s: no usable entries\n", f->name);
out:
	if (!r->ok[i])
		r->failed = true;
	mod_errlist_free(&errs);
	feed_fetch_result_free(&fr);
}

/* The merge's sources: every feed that loaded. */
static void
ctl_feeds_sources(struct ctl_feeds_run *r)
{
	const struct conf_feed *f;
	size_t                  i;
	int                     sev;

	r->src = xcalloc(r->c->nfeed + 1, sizeof(*r->src));
	for (i = 0; i < r->c->nfeed; i++) {
		if (!r->ok[i])
			continue;
		f = &r->c->feed[i];
		sev = feed_severity_from_name(f->max_severity);
		r->src[r->nsrc].name = f->name;
		r->src[r->nsrc].trust = f->trust;
		r->src[r->nsrc].max_severity
		    = sev < 0 ? FEED_SEV_SUSPEND : (enum feed_severity) sev;
		r->src[r->nsrc].list = &r->lists[i];
		r->src[r->nsrc].revision = r->rev[i];
		r->nsrc++;
	}
}

static int
ctl_feeds_merge_run(struct ctl_feeds_run *r, struct feed_merged *m)
{
	struct feed_merge_opts mo = { 0 };
	struct mod_errlist     errs = { 0 };
	struct mod_err         err;
	int                    rv;

	if ((rv = feed_domains_read(
	         r->c->feeds_exclude_file, &r->excl, &r->nexcl, &errs))
	        == 0
	    && (rv = feed_domains_read(r->c->feeds_known_domains_file,
	            &r->known, &r->nknown, &errs))
	        == 0) {
		mo.quorum = r->c->feeds_quorum;
		mo.mode = r->c->feeds_merge == CONF_FEEDS_MERGE_MIN
		    ? FEED_MERGE_MIN
		    : FEED_MERGE_MAX;
		mo.excludes = (const char *const *) r->excl;
		mo.nexcludes = r->nexcl;
		mo.known_domains = (const char *const *) r->known;
		mo.nknown = r->nknown;
		if ((rv = feed_merge(r->src, r->nsrc, &mo, m, &err)) != 0)
			mod_errlist_add(
			    &errs, "moderctl", 0, 0, "merge: %s", err.msg);
	}
	mod_errlist_print(&errs, stderr);
	mod_errlist_free(&errs);
	return rv;
}

/* ---- output ---- */

/* s with control characters (and DEL) shown as '?'. */
static void
ctl_feeds_put(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char) *s < 0x20 || *s == 0x7f ? '?' : *s, fp);
}

static void
ctl_feeds_put_flags(bool media, bool reports, bool obfuscate)
{
	if (media)
		fputs(" reject_media", stdout);
	if (reports)
		fputs(" reject_reports", stdout);
	if (obfuscate)
		fputs(" obfuscate", stdout);
}

/* "  feed: severity ..., line N: "comment"" for one supporter. */
static void
ctl_feeds_put_support(
    const struct feed_merged *m, const struct feed_support *s)
{
	printf("  %s: %s", m->sources[s->source].name,
	    feed_severity_name(s->severity));
	if (s->effective != s->severity)
		printf(" (capped to %s)", feed_severity_name(s->effective));
	ctl_feeds_put_flags(s->reject_media, s->reject_reports, false);
	printf(", line %d", s->line);
	if (s->listed_as != NULL) {
		fputs(s->resolved ? ", listed as " : ", via ", stdout);
		ctl_feeds_put(stdout, s->listed_as);
	}
	if (s->public_comment != NULL) {
		fputs(": \"", stdout);
		ctl_feeds_put(stdout, s->public_comment);
		fputc('"', stdout);
	}
	fputc('\n', stdout);
}

static void
ctl_feeds_put_entry(const struct feed_merged *m,
    const struct feed_merged_entry *e, bool provenance)
{
	size_t i;

	ctl_feeds_put(stdout, e->domain);
	if (e->state != FEED_MERGED_UNRESOLVED)
		printf(" %s", feed_severity_name(e->severity));
	ctl_feeds_put_flags(e->reject_media, e->reject_reports, e->obfuscate);
	printf(" trust %g", e->trust);
	if (e->state == FEED_MERGED_COVERED)
		printf(", covered by %s", e->covered_by);
	if (e->state == FEED_MERGED_UNRESOLVED)
		printf(", digest %s", e->digest[0] ? e->digest : "(none)");
	if (!provenance) {
		fputs(":", stdout);
		for (i = 0; i < e->nsup; i++)
			printf(" %s", m->sources[e->sup[i].source].name);
		fputc('\n', stdout);
		return;
	}
	fputc('\n', stdout);
	for (i = 0; i < e->nsup; i++)
		ctl_feeds_put_support(m, &e->sup[i]);
}

static void
ctl_feeds_put_group(const struct feed_merged *m, const char *title,
    const struct feed_merged_entry *v, size_t n, bool provenance)
{
	size_t i;

	printf("\n%s: %zu\n", title, n);
	for (i = 0; i < n; i++)
		ctl_feeds_put_entry(m, &v[i], provenance);
}

static size_t
ctl_feeds_covered(const struct feed_merged *m)
{
	size_t i, k = 0;

	for (i = 0; i < m->n; i++)
		k += m->v[i].state == FEED_MERGED_COVERED;
	return k;
}

static void
ctl_feeds_summary(
    FILE *fp, const struct ctl_feeds_run *r, const struct feed_merged *m)
{
	fprintf(fp,
	    "merged %zu of %zu feeds (quorum %g, merge %s): %zu blocks "
	    "(%zu covered by a parent), %zu below quorum, %zu excluded, %zu "
	    "unresolved\n",
	    r->nsrc, r->c->nfeed, r->c->feeds_quorum,
	    r->c->feeds_merge == CONF_FEEDS_MERGE_MIN ? "min" : "max", m->n,
	    ctl_feeds_covered(m), m->nbelow, m->nexcluded, m->nunresolved);
}

static void
ctl_feeds_put_table(const struct ctl_feeds_run *r, const struct feed_merged *m)
{
	const struct conf_feed *f;
	size_t                  i;

	for (i = 0; i < r->c->nfeed; i++) {
		f = &r->c->feed[i];
		printf("feed %s: ", f->name);
		ctl_feeds_put(stdout, ctl_feeds_where(f));
		if (r->ok[i])
			printf(
			    ": %zu entries (%s, canaries %zu), trust %g, max "
			    "%s, sha256 %.*s\n",
			    r->lists[i].n,
			    feed_format_name(r->lists[i].format),
			    r->lists[i].canaries, f->trust, f->max_severity,
			    CTL_FEEDS_SHA_SHOWN, r->rev[i]);
		else
			printf(": FAILED\n");
	}
	ctl_feeds_summary(stdout, r, m);
	ctl_feeds_put_group(m, "blocks", m->v, m->n, true);
	ctl_feeds_put_group(m,
	    "unresolved masked entries (no known domain has their digest; "
	    "never blocked)",
	    m->unresolved, m->nunresolved, true);
	ctl_feeds_put_group(m, "below quorum", m->below, m->nbelow, false);
	ctl_feeds_put_group(m, "excluded", m->excluded, m->nexcluded, false);
}

/* The merged blocks (not those a parent covers) in format fmt. */
static int
ctl_feeds_put_list(const struct feed_merged *m, enum feed_format fmt)
{
	struct feed_entry *v = xcalloc(m->n + 1, sizeof(*v));
	struct buf         out;
	size_t             i, n = 0;
	int                rv;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].state != FEED_MERGED_BLOCK)
			continue;
		v[n].domain = xstrdup(m->v[i].domain);
		v[n].severity = m->v[i].severity;
		v[n].reject_media = m->v[i].reject_media;
		v[n].reject_reports = m->v[i].reject_reports;
		v[n].obfuscate = m->v[i].obfuscate;
		if (m->v[i].public_comment != NULL)
			v[n].public_comment = xstrdup(m->v[i].public_comment);
		n++;
	}
	buf_init(&out, MOD_MAX_FEED_PUBLISH_BYTES);
	if ((rv = feed_publish(fmt, v, n, 0, &out)) == 0)
		fwrite(out.data, 1, out.len, stdout);
	else
		fprintf(stderr, "moderctl: cannot write the list as %s: %s\n",
		    feed_format_name(fmt), mod_strerror(rv));
	buf_free(&out);
	for (i = 0; i < n; i++) {
		free(v[i].domain);
		free(v[i].public_comment);
	}
	free(v);
	return rv;
}

/* ---- the command ---- */

static int
ctl_feeds_usage(void)
{
	fprintf(stderr,
	    "usage: moderctl feeds merge -f CONF [--format table|mastodon-csv|"
	    "fbh-csv|json|text]\n");
	return 2;
}

/* A format --format accepts: table or one feed_publish() writes. */
static int
ctl_feeds_format(const char *name)
{
	int f;

	if (strcmp(name, "table") == 0)
		return CTL_FEEDS_TABLE;
	f = feed_format_from_name(name);
	if (f == FEED_FMT_MASTODON_CSV || f == FEED_FMT_FBH_CSV
	    || f == FEED_FMT_MASTODON_JSON || f == FEED_FMT_TEXT)
		return f;
	fprintf(stderr, "moderctl: unknown format %s\n", name);
	return FEED_FMT_COUNT;
}

/* -f CONF and --format F; 0, or 2 (usage, said). */
static int
ctl_feeds_args(int argc, char **argv, const char **conf, int *fmt)
{
	int i;

	*conf = NULL;
	*fmt = CTL_FEEDS_TABLE;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			*conf = argv[++i];
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if ((*fmt = ctl_feeds_format(argv[++i]))
			    == FEED_FMT_COUNT)
				return ctl_feeds_usage();
		} else
			return ctl_feeds_usage();
	}
	return *conf == NULL ? ctl_feeds_usage() : 0;
}

static void
ctl_feeds_run_free(struct ctl_feeds_run *r)
{
	size_t i;

	for (i = 0; r->lists != NULL && i < r->c->nfeed; i++)
		feed_list_free(&r->lists[i]);
	free(r->lists);
	free(r->rev);
	free(r->ok);
	free(r->src);
	feed_domains_free(r->excl, r->nexcl);
	feed_domains_free(r->known, r->nknown);
}

/* Load, fetch, merge and print; the exit status. */
static int
ctl_feeds_do(struct ctl_feeds_run *r, int fmt)
{
	struct feed_merged m = { 0 };
	size_t             i;
	int                rv = 1;

	r->lists = xcalloc(r->c->nfeed + 1, sizeof(*r->lists));
	r->rev = xcalloc(r->c->nfeed + 1, sizeof(*r->rev));
	r->ok = xcalloc(r->c->nfeed + 1, sizeof(*r->ok));
	for (i = 0; i < r->c->nfeed; i++)
		ctl_feeds_load_one(r, i);
	ctl_feeds_sources(r);
	if (ctl_feeds_merge_run(r, &m) != 0)
		goto out;
	if (fmt == CTL_FEEDS_TABLE)
		ctl_feeds_put_table(r, &m);
	else if (ctl_feeds_put_list(&m, (enum feed_format) fmt) != 0)
		goto out;
	else
		ctl_feeds_summary(stderr, r, &m);
	rv = r->failed ? 1 : 0;
out:
	feed_merged_free(&m);
	return rv;
}

int
ctl_feeds_merge(int argc, char **argv)
{
	struct ctl_feeds_run r = { 0 };
	struct mod_errlist   errs = { 0 };
	struct conf         *c = NULL;
	const char          *path;
	int                  fmt, rv;

	if ((rv = ctl_feeds_args(argc, argv, &path, &fmt)) != 0)
		return rv;
	rv = conf_load(path, &c, &errs);
	mod_errlist_print(&errs, stderr);
	mod_errlist_free(&errs);
	if (rv != 0)
		return 1;
	if (c->nfeed == 0) {
		fprintf(stderr, "moderctl: %s: no feed blocks\n", path);
		conf_free(c);
		return 1;
	}
	r.c = c;
	rv = ctl_feeds_do(&r, fmt);
	ctl_feeds_run_free(&r);
	conf_free(c);
	return rv;
}
