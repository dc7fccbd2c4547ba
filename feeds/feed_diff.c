/*
 * feed_diff.c - from the merged feeds and the server's current domain
 * blocks to a set of proposed changes: add, change, retract.
 *
 * Pure and deterministic: no I/O, output sorted by domain.  The current
 * blocks are indexed once in a domain table, so each merged entry costs
 * one exact probe and, when it is new, one probe per parent (Mastodon
 * refuses a block under an existing parent that is at least as strict,
 * so none is proposed).  Each current block moderd created is then
 * checked against the merge's own index: it is retracted only if every
 * feed recorded as its support has dropped it (directly and through
 * every parent), it is not excluded, and its provenance is known.  A
 * block someone else created is never retracted and only ever made
 * stricter.
 *
 * Every change carries a fingerprint of its sources (feed_diff() in
 * feeds.h says exactly what goes in), so a rejected proposal is not
 * proposed again until what the feeds say about it changes.  The safety
 * rail counts adds and retractions after suppression and marks the whole
 * set held rather than dropping anything.
 *
 * The result borrows its strings from the merge and the current blocks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feeds.h"
#include "feed_impl.h"
#include "util.h"

struct diff {
	const struct feed_merged     *m;
	const struct feed_current    *cur;
	size_t                        ncur;
	const struct feed_diff_opts  *opts;
	struct feed_domtab           *curtab; /* current name to index */
	const struct feed_rejection **rej; /* by domain, then kind */
	size_t                        nrej;
	struct feed_diff             *out;
	size_t                        cap;
};

const char *
feed_change_kind_name(enum feed_change_kind k)
{
	switch (k) {
	case FEED_CHANGE_ADD:
		return "add";
	case FEED_CHANGE_CHANGE:
		return "change";
	case FEED_CHANGE_RETRACT:
		return "retract";
	}
	return "?";
}

/* ---- fingerprints ---- */

/*
 * BLAKE2b-256 (crypto_generichash) over NUL-terminated fields: fast
 * enough to fingerprint every change of a 100k-entry diff, and an
 * opaque, stable string for the queue to remember.  The fields are
 * gathered in a buffer and hashed in few updates: the same bytes, so
 * the same hash, without the cost of an update per field.
 */
#define DIFF_FP_BUF_BYTES 512

struct diff_fp {
	crypto_generichash_state st;
	unsigned char            buf[DIFF_FP_BUF_BYTES];
	size_t                   n;
};

static void
diff_fp_flush(struct diff_fp *f)
{
	crypto_generichash_update(&f->st, f->buf, f->n);
	f->n = 0;
}

static void
diff_fp_add(struct diff_fp *f, const void *p, size_t n)
{
	if (n > sizeof(f->buf) - f->n)
		diff_fp_flush(f);
	if (n > sizeof(f->buf)) {
		crypto_generichash_update(&f->st, p, n);
		return;
	}
	memcpy(f->buf + f->n, p, n);
	f->n += n;
}

static void
diff_hash_str(struct diff_fp *f, const char *s)
{
	s = s ? s : "";
	diff_fp_add(f, s, strlen(s) + 1);
}

static void
diff_hash_block(
    struct diff_fp *f, enum feed_severity sev, bool media, bool reports)
{
	unsigned char b[3];

	b[0] = (unsigned char) sev;
	b[1] = media;
	b[2] = reports;
	diff_fp_add(f, b, sizeof(b));
}

/* Who says what: names, effective severities, flags, listed names; not
 * comments or revisions, which change without the sources changing. */
static void
diff_hash_support(struct diff_fp *f, const struct feed_merged *m,
    const struct feed_merged_entry *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nsup; i++) {
		const struct feed_support *s = &e->sup[i];

		diff_hash_str(f, m->sources[s->source].name);
		diff_hash_block(f, (enum feed_severity) s->effective,
		    s->reject_media, s->reject_reports);
		diff_hash_str(f, s->listed_as);
	}
}

static void
diff_fingerprint(const struct diff *d, struct feed_change *c)
{
	struct diff_fp f;
	unsigned char  h[32];

	f.n = 0;
	crypto_generichash_init(&f.st, NULL, 0, sizeof(h));
	diff_hash_str(&f, feed_change_kind_name(c->kind));
	diff_hash_str(&f, c->domain);
	diff_hash_block(&f, c->severity, c->reject_media, c->reject_reports);
	if (c->current != NULL) {
		diff_hash_block(&f, c->current->severity,
		    c->current->reject_media, c->current->reject_reports);
		if (c->kind == FEED_CHANGE_RETRACT)
			diff_hash_str(&f, c->current->feeds);
	}
	diff_hash_support(&f, d->m, c->entry);
	diff_fp_flush(&f);
	crypto_generichash_final(&f.st, h, sizeof(h));
	feed_hex(h, sizeof(h), c->fingerprint);
}

/* ---- remembered rejections ---- */

static int
diff_rej_key(const char *domain, enum feed_change_kind kind,
    const struct feed_rejection *r)
{
	int c = strcmp(domain, r->domain);

	if (c != 0)
		return c;
	return (int) kind - (int) r->kind;
}

static int
diff_rej_cmp(const void *a, const void *b)
{
	const struct feed_rejection *x
	    = *(const struct feed_rejection *const *) a;
	const struct feed_rejection *y
	    = *(const struct feed_rejection *const *) b;

	return diff_rej_key(x->domain, x->kind, y);
}

static int
diff_rej_index(struct diff *d, struct mod_err *err)
{
	const struct feed_diff_opts *o = d->opts;
	size_t                       i;

	if (o->nrejections == 0)
		return 0;
	if (o->rejections == NULL)
		return mod_errf(err, MOD_EINVAL, "NULL rejection list");
	d->rej = xcalloc(o->nrejections, sizeof(*d->rej));
	for (i = 0; i < o->nrejections; i++) {
		if (o->rejections[i].domain == NULL
		    || o->rejections[i].fingerprint == NULL)
			return mod_errf(err, MOD_EINVAL,
			    "rejection %zu: NULL domain or fingerprint",
			    i + 1);
		d->rej[d->nrej++] = &o->rejections[i];
	}
	qsort(d->rej, d->nrej, sizeof(*d->rej), diff_rej_cmp);
	return 0;
}

static bool
diff_rejected(const struct diff *d, const struct feed_change *c)
{
	size_t lo = 0, hi = d->nrej, mid;

	while (lo < hi) { /* the first rejection >= (domain, kind) */
		mid = lo + (hi - lo) / 2;
		if (diff_rej_key(c->domain, c->kind, d->rej[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < d->nrej; lo++) {
		if (diff_rej_key(c->domain, c->kind, d->rej[lo]) != 0)
			break;
		if (strcmp(d->rej[lo]->fingerprint, c->fingerprint) == 0)
			return true;
	}
	return false;
}

/* ---- building the change list ---- */

static void
diff_emit(struct diff *d, struct feed_change *c)
{
	struct feed_diff *out = d->out;

	diff_fingerprint(d, c);
	if (diff_rejected(d, c)) {
		out->suppressed++;
		return;
	}
	if (out->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		out->v = xreallocarray(out->v, d->cap, sizeof(*out->v));
	}
	out->v[out->n++] = *c;
	out->nadd += c->kind == FEED_CHANGE_ADD;
	out->nchange += c->kind == FEED_CHANGE_CHANGE;
	out->nretract += c->kind == FEED_CHANGE_RETRACT;
}

static void
diff_propose(struct diff *d, enum feed_change_kind kind,
    const struct feed_merged_entry *e, const struct feed_current *cur)
{
	struct feed_change c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.domain = e->domain;
	c.severity = e->severity;
	c.reject_media = e->reject_media;
	c.reject_reports = e->reject_reports;
	c.obfuscate = e->obfuscate;
	c.public_comment = e->public_comment;
	c.entry = e;
	c.current = cur;
	diff_emit(d, &c);
}

static bool
diff_ge(const struct feed_merged_entry *e, const struct feed_current *c)
{
	return feed_stricter_or_equal(e->severity, e->reject_media,
	    e->reject_reports, c->severity, c->reject_media,
	    c->reject_reports);
}

static bool
diff_le(const struct feed_merged_entry *e, const struct feed_current *c)
{
	return feed_stricter_or_equal(c->severity, c->reject_media,
	    c->reject_reports, e->severity, e->reject_media,
	    e->reject_reports);
}

/* One entry of the result against the server's blocks. */
static void
diff_entry(struct diff *d, const struct feed_merged_entry *e)
{
	const struct feed_current *c;
	uint32_t                   i;

	if (e->state != FEED_MERGED_BLOCK)
		return; /* COVERED: the parent's block speaks for it */
	if (feed_domtab_get(d->curtab, e->domain, &i)) {
		c = &d->cur[i];
		if (diff_ge(e, c) && diff_le(e, c))
			return; /* the same block */
		/* Someone else's block is only ever made stricter. */
		if (c->created_by_moderd || diff_ge(e, c))
			diff_propose(d, FEED_CHANGE_CHANGE, e, c);
		return;
	}
	if (e->severity == FEED_SEV_NOOP && !e->reject_media
	    && !e->reject_reports)
		return; /* a block that would do nothing */
	if (feed_domtab_match(d->curtab, e->domain, true, &i, NULL)
	    && diff_le(e, &d->cur[i]))
		return; /* a parent block is at least as strict */
	diff_propose(d, FEED_CHANGE_ADD, e, NULL);
}

/* Whether the feed called name[0..len) supports e. */
static bool
diff_supported_by(const struct feed_merged *m,
    const struct feed_merged_entry *e, const char *name, size_t len)
{
	const char *s;
	size_t      i;

	for (i = 0; e != NULL && i < e->nsup; i++) {
		s = m->sources[e->sup[i].source].name;
		if (strlen(s) == len && memcmp(s, name, len) == 0)
			return true;
	}
	return false;
}

/* Whether any feed in the comma-separated list still supports e. */
static bool
diff_still_listed(const struct feed_merged *m,
    const struct feed_merged_entry *e, const char *feeds)
{
	const char *p = feeds, *q, *end;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		q = p;
		while (*q != '\0' && *q != ',')
			q++;
		end = q;
		while (end > p && end[-1] == ' ')
			end--;
		if (end > p && diff_supported_by(m, e, p, (size_t) (end - p)))
			return true;
		p = q;
	}
	return false;
}

/* A block moderd created that is not in the result. */
static void
diff_current(struct diff *d, const struct feed_current *c)
{
	const struct feed_merged_entry *e;
	struct feed_change              ch;

	if (!c->created_by_moderd || c->feeds == NULL || c->feeds[0] == '\0')
		return;
	e = feed_merged_find(d->m, c->domain);
	if (e != NULL
	    && (e->state == FEED_MERGED_BLOCK
	        || e->state == FEED_MERGED_COVERED))
		return; /* handled by diff_entry() */
	if (feed_merged_excluded(d->m, c->domain))
		return;
	/* The longest match: a feed listing a parent still blocks it. */
	e = feed_merged_match(d->m, c->domain);
	if (diff_still_listed(d->m, e, c->feeds))
		return;
	memset(&ch, 0, sizeof(ch));
	ch.kind = FEED_CHANGE_RETRACT;
	ch.domain = c->domain;
	ch.severity = c->severity;
	ch.reject_media = c->reject_media;
	ch.reject_reports = c->reject_reports;
	ch.entry = e;
	ch.current = c;
	diff_emit(d, &ch);
}

static int
diff_index_current(struct diff *d, struct mod_err *err)
{
	size_t i;

	d->curtab = feed_domtab_new(d->ncur);
	for (i = 0; i < d->ncur; i++) {
		if (d->cur[i].domain == NULL)
			return mod_errf(err, MOD_EINVAL,
			    "current block %zu: no domain", i + 1);
		if (!feed_domtab_put(
		        d->curtab, d->cur[i].domain, (uint32_t) i, NULL))
			return mod_errf(err, MOD_EINVAL,
			    "current block %s: listed twice",
			    d->cur[i].domain);
	}
	return 0;
}

static int
diff_change_cmp(const void *a, const void *b)
{
	const struct feed_change *x = a, *y = b;
	int                       c = strcmp(x->domain, y->domain);

	return c != 0 ? c : (int) x->kind - (int) y->kind;
}

/*
 * Sort the retractions after the first nsorted changes (sorted
 * already), then merge the two runs in place from the back, with only
 * the retractions copied aside: one sort of the few, not of all, and no
 * second array of all of them.  Of equal keys the first run's goes
 * first, as a stable merge would have it.
 */
static void
diff_sort(struct feed_diff *out, size_t nsorted)
{
	struct feed_change *tail, *v = out->v;
	size_t              i = nsorted, j = out->n - nsorted, k = out->n;

	if (j == 0 || out->n < 2)
		return;
	qsort(v + nsorted, j, sizeof(*v), diff_change_cmp);
	tail = xreallocarray(NULL, j, sizeof(*tail));
	memcpy(tail, v + nsorted, j * sizeof(*tail));
	while (j > 0) {
		if (i > 0 && diff_change_cmp(&v[i - 1], &tail[j - 1]) > 0)
			v[--k] = v[--i];
		else
			v[--k] = tail[--j];
	}
	free(tail);
}

static void
diff_rail(struct feed_diff *out, double share, size_t ncur)
{
	double limit = share * (double) ncur;

	if (share > 0
	    && ((double) out->nadd > limit || (double) out->nretract > limit))
		out->held = true;
}

int
feed_diff(const struct feed_merged *m, const struct feed_current *cur,
    size_t ncur, const struct feed_diff_opts *opts, struct feed_diff *out,
    struct mod_err *err)
{
	struct diff d = { 0 };
	size_t      i, nsorted;
	int         rv;

	memset(out, 0, sizeof(*out));
	if (isnan(opts->max_share))
		return mod_errf(err, MOD_EINVAL, "bad max_share");
	if (ncur > 0 && cur == NULL)
		return mod_errf(err, MOD_EINVAL, "NULL current blocks");
	if (ncur >= UINT32_MAX)
		return mod_errf(err, MOD_ETOOBIG, "too many current blocks");
	if (sodium_init() < 0)
		return mod_errf(err, MOD_EINTERNAL, "libsodium init failed");
	d.m = m;
	d.cur = cur;
	d.ncur = ncur;
	d.opts = opts;
	d.out = out;
	if ((rv = diff_index_current(&d, err)) != 0
	    || (rv = diff_rej_index(&d, err)) != 0)
		goto out;
	for (i = 0; i < m->n; i++)
		diff_entry(&d, &m->v[i]);
	nsorted = out->n; /* m->v is sorted, and so its changes */
	for (i = 0; i < ncur; i++)
		diff_current(&d, &cur[i]);
	diff_sort(out, nsorted);
	diff_rail(out, opts->max_share, ncur);
out:
	if (rv != 0)
		feed_diff_free(out);
	feed_domtab_free(d.curtab);
	free(d.rej);
	return rv;
}

void
feed_diff_free(struct feed_diff *d)
{
	if (d == NULL)
		return;
	free(d->v);
	memset(d, 0, sizeof(*d));
}
