/*
 * feedsync.c - a sync of blocklist subscriptions: fetch, parse, merge,
 * diff, and proposals; and the scheduler thread that runs each feed at
 * its refresh interval.
 *
 * One sync has two halves.  First each feed asked for is fetched
 * (feed_fetch(): a URL with its stored ETag / Last-Modified and content
 * hash, or a local path) and, when its content is new, parsed; only a
 * feed that parses into at least one entry replaces the stored last good
 * body, so a failed, empty or unparseable fetch is that feed's error
 * (kept in its row) and never "unblock everything".  Then, under a
 * database advisory lock that serialises syncs across threads and
 * processes, every subscribed feed's last good list is merged with the
 * configured quorum, mode, caps, excludes and known domains, diffed
 * against the current blocks and the remembered rejections, and
 * queue_feed_record() makes the queue match the diff.
 *
 * The scheduler keeps, per configured feed with a refresh interval, when
 * it is next due and how many times in a row it failed; it re-reads the
 * running configuration every round, so feeds added or removed by a
 * reload are picked up.  After a success the next run is refresh away
 * (with jitter, so many daemons do not hit one publisher in step); after
 * failures the delay doubles per failure, capped.
 *
 * What it deliberately does not do: anything the pure feeds/ code does
 * (parsing rules, merge and diff semantics), or cancel a fetch in flight
 * at shutdown (each is bounded by its feed's timeout).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "conf.h"
#include "feedsync.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "store.h"
#include "util.h"

/* Advisory lock key of the merge half: "feeds" in ASCII. */
#define FEEDSYNC_LOCK_KEY "439754155379"

static const char SQL_LOCK[] = "SELECT pg_advisory_lock($1::bigint)";
static const char SQL_UNLOCK[] = "SELECT pg_advisory_unlock($1::bigint)";

/* The lists of one sync, by configured feed. */
struct fs_lists {
	struct feed_list *lists;
	char (*rev)[FEEDSYNC_REVISION_LEN + 1];
	size_t n;
};

const char *
feedsync_status_name(int status)
{
	static const char *const names[]
	    = { "skipped", "updated", "not_modified", "error" };

	if (status < 0 || status >= (int) nitems(names))
		return "unknown";
	return names[status];
}

void
feedsync_result_free(struct feedsync_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nfeeds; i++) {
		free(r->feeds[i].name);
		free(r->feeds[i].error);
	}
	free(r->feeds);
	memset(r, 0, sizeof(*r));
}

/* --- fetching one feed ------------------------------------------------ */

void
feedsync_feed_url(const struct conf_feed *f, char *out, size_t outsz)
{
	if (f->url[0] != '\0')
		mod_strlcpy(out, f->url, outsz);
	else
		snprintf(out, outsz, "file:%s", f->path);
}

void
feedsync_fetch_opts(const struct conf_feed *f, struct feed_fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->url = f->url;
	o->path = f->path;
	o->pubkey = f->pubkey;
	o->signature_url = f->signature_url;
	o->auth_header = f->auth_header;
	o->max_bytes = f->max_bytes;
	o->timeout_ms = f->timeout_ms;
}

/* fs_fetch_opts: a conditional fetch of f, from its stored state. */
static void
fs_fetch_opts(const struct conf_feed *f, const struct feedsync_state *st,
    struct feed_fetch_opts *o)
{
	feedsync_fetch_opts(f, o);
	o->etag = st->etag;
	o->last_modified = st->last_modified;
	o->prev_sha256 = st->content_sha256;
}

enum feed_format
feedsync_format(const struct conf_feed *f)
{
	int fmt = feed_format_from_name(f->format);

	return fmt < 0 ? FEED_FMT_AUTO : (enum feed_format) fmt;
}

/* fs_parse: the fetched body as a list; an error message if unusable. */
static int
fs_parse(const struct conf_feed *f, const struct feed_fetch_result *fr,
    struct feed_list *l, char *why, size_t whysz)
{
	struct mod_errlist errs = { 0 };
	int                rv;

	rv = feed_parse(
	    f->name, fr->body, fr->len, feedsync_format(f), l, &errs);
	if (rv != 0 && errs.n > 0)
		mod_strlcpy(why, errs.msgs[0], whysz);
	else if (rv != 0)
		snprintf(why, whysz, "%s: %s", f->name,
		    rv == MOD_ETOOBIG ? "feed too large"
		                      : "no usable entries");
	else if (errs.n > 0)
		log_info(
		    "feeds: %s: %zu entries, %zu lines skipped (first: %s)",
		    f->name, l->n, errs.n + errs.dropped, errs.msgs[0]);
	mod_errlist_free(&errs);
	return rv;
}

/* fs_updated: store the new body of f, parsed into l. */
static int
fs_updated(struct store *db, const struct conf_feed *f, const char *url,
    const struct feed_fetch_result *fr, const struct feed_list *l)
{
	struct feedsync_state st;

	memset(&st, 0, sizeof(st));
	st.name = f->name;
	st.url = (char *) (uintptr_t) url;
	st.etag = fr->etag;
	st.last_modified = fr->last_modified;
	mod_strlcpy(st.content_sha256, fr->sha256, sizeof(st.content_sha256));
	mod_strlcpy(st.revision, fr->sha256, sizeof(st.revision));
	st.entries = (int64_t) l->n;
	return store_feed_updated(db, &st, fr->body, fr->len);
}

/* fs_fetch_one: fetch feed f into l (left empty unless updated). */
static int
fs_fetch_one(struct store *db, const struct conf_feed *f,
    struct feedsync_feed *out, struct feed_list *l, char rev[])
{
	struct feedsync_state    st;
	struct feed_fetch_opts   o;
	struct feed_fetch_result fr = { 0 };
	char url[MOD_MAX_FEED_URL_BYTES + MOD_MAX_PATH_BYTES];
	char why[MOD_MAX_ERR_BYTES];
	int  rv;

	feedsync_feed_url(f, url, sizeof(url));
	out->name = xstrdup(f->name);
	if ((rv = store_feed_load(db, f->name, &st, NULL, NULL)) != 0
	    && rv != MOD_ENOENT)
		return rv;
	fs_fetch_opts(f, &st, &o);
	why[0] = '\0';
	if (feed_fetch(&o, &fr) != 0)
		mod_strlcpy(why, fr.err.msg, sizeof(why));
	else if (fr.status == FEED_FETCH_NOT_MODIFIED) {
		out->status = FEEDSYNC_NOT_MODIFIED;
		rv = store_feed_unchanged(
		    db, f->name, url, fr.etag, fr.last_modified);
	} else if (fs_parse(f, &fr, l, why, sizeof(why)) == 0) {
		out->status = FEEDSYNC_UPDATED;
		mod_strlcpy(rev, fr.sha256, FEEDSYNC_REVISION_LEN + 1);
		rv = fs_updated(db, f, url, &fr, l);
	}
	if (why[0] != '\0') {
		out->status = FEEDSYNC_ERROR;
		out->error = xstrdup(why);
		log_warnx("feeds: %s: %s", f->name, why);
		rv = store_feed_failed(db, f->name, url, why);
	}
	feed_fetch_result_free(&fr);
	feedsync_state_clear(&st);
	return rv;
}

/* --- merging every feed ----------------------------------------------- */

/* fs_last_good: the stored last good list of f, if the sync did not just
 * read it. */
static int
fs_last_good(struct store *db, const struct conf_feed *f, struct feed_list *l,
    char rev[])
{
	struct feedsync_state st;
	char                 *body = NULL;
	size_t                len = 0;
	int                   rv;

	if (l->n > 0)
		return 0;
	rv = store_feed_load(db, f->name, &st, &body, &len);
	if (rv == MOD_ENOENT)
		return 0; /* never fetched: it lists nothing yet */
	if (rv == 0 && body != NULL
	    && feed_parse(f->name, body, len, feedsync_format(f), l, NULL)
	        != 0)
		log_warnx(
		    "feeds: %s: the stored list no longer parses", f->name);
	if (rv == 0)
		mod_strlcpy(rev, st.revision, FEEDSYNC_REVISION_LEN + 1);
	free(body);
	feedsync_state_clear(&st);
	return rv;
}

/* fs_domains_file: the names of a list file (feed_domains_read());
 * every line it refused is logged, and a file that cannot be read whole
 * (missing, too large, too many names) fails the merge: silently
 * dropping an exclude could block one of our own domains. */
static int
fs_domains_file(const char *path, char ***v, size_t *n, struct mod_err *err)
{
	struct mod_errlist errs = { 0 };
	size_t             i;
	int                rv = feed_domains_read(path, v, n, &errs);

	for (i = 0; i < errs.n; i++)
		log_warnx("feeds: %s", errs.msgs[i]);
	if (rv != 0)
		rv = mod_errf(err, MOD_EINVAL, "%s",
		    errs.n > 0 ? errs.msgs[errs.n - 1] : path);
	mod_errlist_free(&errs);
	return rv;
}

/* The inputs of one merge that this file owns. */
struct fs_merge_in {
	struct feed_source    *src;
	char                 **excludes, **known, **known_file, **all_known;
	size_t                 nexcludes, nknown, nknown_file;
	struct feed_current   *cur;
	size_t                 ncur;
	struct feed_rejection *rej;
	size_t                 nrej;
	char                  *revision;
};

static void
fs_merge_in_free(struct fs_merge_in *in)
{
	free(in->src);
	feed_domains_free(in->excludes, in->nexcludes);
	store_strings_free(in->known, in->nknown);
	feed_domains_free(in->known_file, in->nknown_file);
	free(in->all_known);
	store_blocks_free(in->cur, in->ncur);
	store_rejections_free(in->rej, in->nrej);
	free(in->revision);
}

/* fs_revision: "name:rev,..." of the merged feeds, for the audit. */
static char *
fs_revision(const struct conf *c, const struct fs_lists *ls)
{
	struct buf b;
	size_t     i;

	buf_init(&b, MOD_MAX_AUDIT_TEXT_BYTES);
	for (i = 0; i < ls->n; i++)
		if (buf_printf(&b, "%s%s:%s", i ? "," : "", c->feed[i].name,
		        ls->rev[i][0] ? ls->rev[i] : "-")
		    != 0)
			break;
	return b.len > 0 ? buf_steal(&b) : xstrdup("");
}

static int
fs_known(struct store *db, const struct conf *c, struct fs_merge_in *in,
    struct mod_err *err)
{
	size_t i;
	int    rv;

	if ((rv = store_known_domains(db, &in->known, &in->nknown)) != 0
	    || (rv = fs_domains_file(c->feeds_known_domains_file,
	            &in->known_file, &in->nknown_file, err))
	        != 0
	    || (rv = fs_domains_file(
	            c->feeds_exclude_file, &in->excludes, &in->nexcludes, err))
	        != 0)
		return rv;
	in->all_known = xcalloc(
	    in->nknown + in->nknown_file + 1, sizeof(*in->all_known));
	for (i = 0; i < in->nknown; i++)
		in->all_known[i] = in->known[i];
	for (i = 0; i < in->nknown_file; i++)
		in->all_known[in->nknown + i] = in->known_file[i];
	return 0;
}

static int
fs_inputs(struct store *db, const struct conf *c, struct fs_lists *ls,
    struct fs_merge_in *in, struct mod_err *err)
{
	size_t i;
	int    sev, rv;

	in->src = xcalloc(c->nfeed + 1, sizeof(*in->src));
	for (i = 0; i < c->nfeed; i++) {
		if ((rv = fs_last_good(
		         db, &c->feed[i], &ls->lists[i], ls->rev[i]))
		    != 0)
			return rv;
		sev = feed_severity_from_name(c->feed[i].max_severity);
		in->src[i].name = c->feed[i].name;
		in->src[i].trust = c->feed[i].trust;
		in->src[i].max_severity
		    = sev < 0 ? FEED_SEV_SUSPEND : (enum feed_severity) sev;
		in->src[i].list = &ls->lists[i];
		in->src[i].revision = ls->rev[i][0] ? ls->rev[i] : NULL;
	}
	in->revision = fs_revision(c, ls);
	if ((rv = fs_known(db, c, in, err)) != 0
	    || (rv = store_blocks_current(db, &in->cur, &in->ncur)) != 0)
		return rv;
	return store_feed_rejections(db, &in->rej, &in->nrej);
}

static void
fs_summary(const struct feed_merged *m, const struct feed_diff *d,
    const struct queue_feed_result *q, struct feedsync_result *r)
{
	r->added = d->nadd;
	r->changed = d->nchange;
	r->retracted = d->nretract;
	r->suppressed = d->suppressed;
	r->unresolved = m->nunresolved;
	r->held = d->held && d->n > 0;
	r->changeset_id = q->changeset_id;
	r->queue = *q;
}

/* fs_merge_diff: merge, diff and record, under the caller's lock. */
static int
fs_merge_diff(struct store *db, const struct conf *c, struct fs_lists *ls,
    struct feedsync_result *r, struct mod_err *err)
{
	struct fs_merge_in       in = { 0 };
	struct feed_merged       m = { 0 };
	struct feed_diff         d = { 0 };
	struct feed_merge_opts   mo = { 0 };
	struct feed_diff_opts    dopt = { 0 };
	struct queue_feed_opts   qo = { 0 };
	struct queue_feed_result q = { 0 };
	int                      rv;

	if ((rv = fs_inputs(db, c, ls, &in, err)) != 0)
		goto out;
	mo.quorum = c->feeds_quorum;
	mo.mode = c->feeds_merge == CONF_FEEDS_MERGE_MIN ? FEED_MERGE_MIN
	                                                 : FEED_MERGE_MAX;
	mo.excludes = (const char *const *) in.excludes;
	mo.nexcludes = in.nexcludes;
	mo.known_domains = (const char *const *) in.all_known;
	mo.nknown = in.nknown + in.nknown_file;
	if ((rv = feed_merge(in.src, c->nfeed, &mo, &m, err)) != 0)
		goto out;
	dopt.max_share = c->feeds_max_share;
	dopt.rejections = in.rej;
	dopt.nrejections = in.nrej;
	if ((rv = feed_diff(&m, in.cur, in.ncur, &dopt, &d, err)) != 0)
		goto out;
	qo = (struct queue_feed_opts) { &m, c->feeds_quorum,
		c->feeds_max_share, in.ncur, in.revision };
	if ((rv = queue_feed_record(db, &d, &qo, &q)) == 0)
		fs_summary(&m, &d, &q, r);
out:
	feed_diff_free(&d);
	feed_merged_free(&m);
	fs_merge_in_free(&in);
	return rv;
}

static int
fs_merge(struct store *db, const struct conf *c, struct fs_lists *ls,
    struct feedsync_result *r, struct mod_err *err)
{
	const char *key[1] = { FEEDSYNC_LOCK_KEY };
	char        v[8];
	int         rv;

	if ((rv = store_query_value(
	         db, "feeds: lock", SQL_LOCK, 1, key, v, sizeof(v)))
	        != 0
	    && rv != MOD_ENOENT)
		return mod_errf(err, MOD_EDB, "database error");
	rv = fs_merge_diff(db, c, ls, r, err);
	if (rv == MOD_EDB)
		mod_errf(err, MOD_EDB, "database error");
	if (store_query_value(
	        db, "feeds: unlock", SQL_UNLOCK, 1, key, v, sizeof(v))
	    == MOD_EDB)
		log_warnx("feeds: could not release the sync lock");
	return rv;
}

/* fs_find: index of feed name in c, or -1. */
static int
fs_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nfeed; i++)
		if (strcmp(c->feed[i].name, name) == 0)
			return (int) i;
	return -1;
}

static void
fs_lists_free(struct fs_lists *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		feed_list_free(&ls->lists[i]);
	free(ls->lists);
	free(ls->rev);
}

int
feedsync_run(struct store *db, const struct conf *c, const char *name,
    struct feedsync_result *r, struct mod_err *err)
{
	struct fs_lists ls = { 0 };
	size_t          i;
	int             one = -1, rv = 0;

	memset(r, 0, sizeof(*r));
	if (name != NULL && (one = fs_find(c, name)) < 0)
		return mod_errf(err, MOD_ENOENT, "no feed called %s", name);
	if (c->nfeed == 0)
		return 0; /* nothing subscribed: nothing to sync or merge */
	ls.n = c->nfeed;
	ls.lists = xcalloc(ls.n + 1, sizeof(*ls.lists));
	ls.rev = xcalloc(ls.n + 1, sizeof(*ls.rev));
	r->feeds = xcalloc(ls.n + 1, sizeof(*r->feeds));
	for (i = 0; rv == 0 && i < c->nfeed; i++) {
		if (one >= 0 && (size_t) one != i)
			continue;
		rv = fs_fetch_one(db, &c->feed[i], &r->feeds[r->nfeeds++],
		    &ls.lists[i], ls.rev[i]);
	}
	if (rv == MOD_EDB)
		mod_errf(err, rv, "database error");
	else if (rv == 0)
		rv = fs_merge(db, c, &ls, r, err);
	fs_lists_free(&ls);
	if (rv != 0)
		feedsync_result_free(r);
	return rv;
}

/* --- the scheduler ---------------------------------------------------- */

/* When one configured feed is next due. */
struct fs_due {
	char   *name;
	int64_t next_ms;
	int64_t refresh_ms;
	int     fails; /* in a row */
};

struct feedsync_sched {
	pthread_t       th;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            stop;
	bool            kick; /* feedsync_kick(): wake up early */
	char           *dsn;
	int64_t         stmt_timeout_ms;
	struct store   *db;
	struct fs_due  *due;
	size_t          ndue;
	int64_t         pruned_ms; /* last housekeeping; 0: not yet */
	int64_t         started_ms;
};

/* fs_jitter: ms plus or minus up to MOD_FEED_JITTER_PCT percent. */
static int64_t
fs_jitter(int64_t ms)
{
	int64_t span = ms * MOD_FEED_JITTER_PCT / 100;

	if (span <= 0 || span > (int64_t) UINT32_MAX / 2)
		return ms;
	return ms - span
	    + (int64_t) randombytes_uniform((uint32_t) (2 * span));
}

/* fs_delay: how long after a run with fails failures in a row. */
static int64_t
fs_delay(int64_t refresh, int fails)
{
	int64_t cap = refresh > MOD_FEED_BACKOFF_MAX_MS
	    ? refresh
	    : MOD_FEED_BACKOFF_MAX_MS;
	int64_t d = refresh;
	int     i;

	for (i = 0; i < fails && d < cap; i++)
		d *= 2;
	return fs_jitter(d < cap ? d : cap);
}

/* fs_due_sync: the due table for c's feeds, keeping known feeds' times. */
static void
fs_due_sync(struct feedsync_sched *s, const struct conf *c, int64_t now)
{
	struct fs_due *nd = xcalloc(c->nfeed + 1, sizeof(*nd));
	size_t         i, j;

	for (i = 0; i < c->nfeed; i++) {
		nd[i].name = xstrdup(c->feed[i].name);
		nd[i].refresh_ms = c->feed[i].refresh_ms;
		nd[i].next_ms = now + fs_jitter(MOD_FEED_START_DELAY_MS);
		for (j = 0; j < s->ndue; j++)
			if (strcmp(s->due[j].name, nd[i].name) == 0
			    && s->due[j].refresh_ms == nd[i].refresh_ms) {
				nd[i].next_ms = s->due[j].next_ms;
				nd[i].fails = s->due[j].fails;
			}
	}
	for (j = 0; j < s->ndue; j++)
		free(s->due[j].name);
	free(s->due);
	s->due = nd;
	s->ndue = c->nfeed;
}

/* fs_run_due: sync the first feed due by now; the next wake-up time. */
static int64_t
fs_run_due(struct feedsync_sched *s, const struct conf *c, int64_t now)
{
	struct feedsync_result r = { 0 };
	struct mod_err         err = { 0 };
	int64_t                next = now + MOD_FEED_SCHED_IDLE_MS;
	size_t                 i;
	int                    rv;

	for (i = 0; i < s->ndue; i++) {
		struct fs_due *d = &s->due[i];

		if (d->refresh_ms <= 0)
			continue;
		if (d->next_ms > now) {
			next = d->next_ms < next ? d->next_ms : next;
			continue;
		}
		if (store_ensure(s->db) != 0)
			return now + store_retry_ms(s->db) + 1;
		rv = feedsync_run(s->db, c, d->name, &r, &err);
		if (rv != 0)
			log_warnx("feeds: sync of %s failed: %s", d->name,
			    err.msg[0] ? err.msg : mod_strerror(rv));
		d->fails = rv != 0
		        || (r.nfeeds > 0
		            && r.feeds[0].status == FEEDSYNC_ERROR)
		    ? d->fails + 1
		    : 0;
		feedsync_result_free(&r);
		d->next_ms = mod_mono_ms() + fs_delay(d->refresh_ms, d->fails);
		return now; /* look again at once: others may be due */
	}
	return next;
}

/* fs_prune_log: say what a housekeeping run did. */
static void
fs_prune_log(int rv, const struct queue_pruned *p)
{
	metrics_count(METRICS_PRUNED_DEAD_LETTERS, (uint64_t) p->dead_letters);
	metrics_count(METRICS_PRUNED_DEDUP_KEYS, (uint64_t) p->dedup_keys);
	if (rv != 0)
		log_warnx("housekeeping: pruning stopped on a database error "
		          "(%lld dead letters, %lld dedup keys deleted)",
		    (long long) p->dead_letters, (long long) p->dedup_keys);
	else if (p->dead_letters > 0 || p->dedup_keys > 0)
		log_info("housekeeping: pruned %lld dead letters, %lld dedup "
		         "keys",
		    (long long) p->dead_letters, (long long) p->dedup_keys);
}

/*
 * fs_housekeep: when due (shortly after start-up, then every
 * housekeeping_interval), delete dead letters and dedup keys past their
 * retention (queue_prune).  Returns the earlier of next and its next run.
 */
static int64_t
fs_housekeep(
    struct feedsync_sched *s, const struct conf *c, int64_t now, int64_t next)
{
	struct queue_pruned p;
	int64_t             due = s->pruned_ms != 0
	                ? s->pruned_ms + c->housekeeping_interval_ms
	                : s->started_ms + MOD_FEED_START_DELAY_MS;
	int                 rv;

	if (due <= now && store_ensure(s->db) != 0)
		due = now + store_retry_ms(s->db) + 1;
	else if (due <= now) {
		rv = queue_prune(s->db, c->dead_letter_retention_ms,
		    c->dedup_retention_ms, &p);
		fs_prune_log(rv, &p);
		s->pruned_ms = now;
		due = now + c->housekeeping_interval_ms;
	}
	return due < next ? due : next;
}

static void
fs_wait_until(struct feedsync_sched *s, int64_t at)
{
	struct timespec ts;

	ts.tv_sec = (time_t) (at / 1000);
	ts.tv_nsec = (long) (at % 1000) * 1000000;
	pthread_mutex_lock(&s->mu);
	while (!s->stop && !s->kick && mod_mono_ms() < at)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0)
			break;
	s->kick = false;
	pthread_mutex_unlock(&s->mu);
}

static bool
fs_stopping(struct feedsync_sched *s)
{
	bool stop;

	pthread_mutex_lock(&s->mu);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

static void *
fs_thread(void *arg)
{
	struct feedsync_sched *s = arg;
	const struct conf     *c;
	int64_t                at;

	while (!fs_stopping(s)) {
		if (s->db == NULL
		    && store_open(s->dsn, s->stmt_timeout_ms, &s->db) != 0) {
			fs_wait_until(
			    s, mod_mono_ms() + MOD_STORE_RETRY_MAX_MS);
			continue;
		}
		if ((c = conf_get()) == NULL) {
			fs_wait_until(
			    s, mod_mono_ms() + MOD_FEED_SCHED_IDLE_MS);
			continue;
		}
		fs_due_sync(s, c, mod_mono_ms());
		at = fs_run_due(s, c, mod_mono_ms());
		at = fs_housekeep(s, c, mod_mono_ms(), at);
		conf_put(c);
		fs_wait_until(s, at);
	}
	return NULL;
}

int
feedsync_start(
    const char *dsn, int64_t stmt_timeout_ms, struct feedsync_sched **out)
{
	struct feedsync_sched *s = xcalloc(1, sizeof(*s));
	pthread_condattr_t     ca;

	*out = NULL;
	if (sodium_init() < 0) {
		free(s);
		return MOD_EINTERNAL;
	}
	s->dsn = xstrdup(dsn);
	s->stmt_timeout_ms = stmt_timeout_ms;
	s->started_ms = mod_mono_ms();
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->th, NULL, fs_thread, s) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s->dsn);
		free(s);
		return MOD_EINTERNAL;
	}
	*out = s;
	return 0;
}

void
feedsync_kick(struct feedsync_sched *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->kick = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
feedsync_stop(struct feedsync_sched *s)
{
	size_t i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	store_close(s->db);
	for (i = 0; i < s->ndue; i++)
		free(s->due[i].name);
	free(s->due);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->dsn);
	free(s);
}
