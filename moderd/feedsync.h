/*
 * feedsync.h - blocklist subscriptions in the daemon: fetching each feed,
 * merging all of them, turning the diff against our blocks into queue
 * proposals (feedsync.c), the database side of it (store_feeds.c: feed
 * state, blocks, rejections, the change feed; queue_feed.c: proposals and
 * held change sets), and the scheduler thread that runs each feed at its
 * refresh interval.
 *
 * The pure work (parse, merge, diff, publish) is feeds/feeds.h; this
 * module only moves its inputs out of and its results into PostgreSQL.
 * store_block_apply(), which keeps `blocks` in step with applied domain
 * proposals, is declared in store.h for the dispatcher.
 *
 * Ownership: every struct filled here owns its strings; each has a free
 * function.  Thread-safety: one struct store per thread, as everywhere.
 */
#ifndef MODERD_FEEDSYNC_H
#define MODERD_FEEDSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feeds.h"
#include "moderd.h"
#include "store.h"

struct conf;

/* Length of a feed revision: the first hex digits of its SHA-256. */
#define FEEDSYNC_REVISION_LEN 16

/* One row of table feeds. */
struct feedsync_state {
	char   *name;
	char   *url; /* the url, or "file:" and the path */
	int64_t last_attempt_ms; /* INT64_MIN: never */
	int64_t last_success_ms; /* INT64_MIN: never */
	char   *last_error; /* NULL if the last attempt worked */
	char   *etag; /* NULL if none */
	char   *last_modified; /* NULL if none */
	char    content_sha256[65]; /* of the last good body; "" if none */
	char    revision[FEEDSYNC_REVISION_LEN + 1]; /* "" if none */
	int64_t entries; /* in the last good list */
};

/* feedsync_states_free: free the strings of n states and the array v. */
void feedsync_states_free(struct feedsync_state *v, size_t n);

/* --- store_feeds.c ---------------------------------------------------- */

/*
 * store_feed_load: the row of feed name into *st (free its strings with
 * feedsync_state_clear()) and, if body is not NULL, its last good body
 * as a new NUL-terminated buffer of *len bytes (*body NULL when none was
 * ever stored).  Returns 0, MOD_ENOENT (no row: *st zeroed) or MOD_EDB.
 */
int store_feed_load(struct store *db, const char *name,
    struct feedsync_state *st, char **body, size_t *len) MOD_MUSTCHECK;

/* feedsync_state_clear: free the strings of one state and zero it. */
void feedsync_state_clear(struct feedsync_state *st);

/*
 * store_feed_failed: record a failed attempt at feed name (url as stored
 * in the row): last_attempt_at = now, last_error = error.  The last good
 * body and validators are kept.  Returns 0 or MOD_EDB.
 */
int store_feed_failed(struct store *db, const char *name, const char *url,
    const char *error) MOD_MUSTCHECK;

/*
 * store_feed_unchanged: a fetch that found nothing new (304, or the same
 * bytes): last_attempt_at = last_success_at = now, last_error cleared;
 * etag and last_modified replaced when given (not NULL).  0 or MOD_EDB.
 */
int store_feed_unchanged(struct store *db, const char *name, const char *url,
    const char *etag, const char *last_modified) MOD_MUSTCHECK;

/*
 * store_feed_updated: a good fetch: every field of st (name, url, etag,
 * last_modified, content_sha256, revision, entries; times are now) and
 * the body body[0..len), which becomes the last good list.  0 or MOD_EDB.
 */
int store_feed_updated(struct store *db, const struct feedsync_state *st,
    const void *body, size_t len) MOD_MUSTCHECK;

/* store_feeds_list: every row of feeds, by name, into *v (*n of them;
 * free with feedsync_states_free()).  0 or MOD_EDB. */
int store_feeds_list(
    struct store *db, struct feedsync_state **v, size_t *n) MOD_MUSTCHECK;

/*
 * store_blocks_current: the server's blocks as the diff must see them:
 * the rows of blocks, overlaid with the domain proposals approved but not
 * yet applied (an approved unblock removes the block; an approved block
 * replaces or adds one), so a sync running between approval and dispatch
 * does not propose the same thing again.  *v is a new array of *n (free
 * with store_blocks_free()).  0 or MOD_EDB.
 */
int store_blocks_current(
    struct store *db, struct feed_current **v, size_t *n) MOD_MUSTCHECK;

/* store_blocks_free: free the strings of n blocks and v.  NULL-safe. */
void store_blocks_free(struct feed_current *v, size_t n);

/* store_feed_rejections: every remembered rejection (feed_rejections),
 * into a new array; free with store_rejections_free().  0 or MOD_EDB. */
int store_feed_rejections(
    struct store *db, struct feed_rejection **v, size_t *n) MOD_MUSTCHECK;

/* store_rejections_free: NULL-safe. */
void store_rejections_free(struct feed_rejection *v, size_t n);

/* store_known_domains: every domain of known_domains into a new array of
 * new strings; free with store_strings_free().  0 or MOD_EDB. */
int store_known_domains(struct store *db, char ***v, size_t *n) MOD_MUSTCHECK;

/* store_strings_free: free n strings and the array.  NULL-safe. */
void store_strings_free(char **v, size_t n);

/*
 * store_blocks_published: the blocks we publish (every row of blocks:
 * approved and applied domain blocks) as a feed list, sorted by domain,
 * with real names, comments and digests.  out must be empty; free it
 * with feed_list_free().  0 or MOD_EDB.
 */
int store_blocks_published(
    struct store *db, struct feed_list *out) MOD_MUSTCHECK;

/*
 * store_block_changes: up to limit (0 or over MOD_MAX_FEED_CHANGES_PAGE_
 * COUNT + 1: that) rows of block_changes with id > cursor, oldest first,
 * into a new array (free with store_changes_free()); ask for one more
 * than a page to learn whether more follow (feed_publish_changes() does
 * so).  0 or MOD_EDB.
 */
int store_block_changes(struct store *db, int64_t cursor, size_t limit,
    struct feed_change_record **v, size_t *n) MOD_MUSTCHECK;

/* store_changes_free: NULL-safe. */
void store_changes_free(struct feed_change_record *v, size_t n);

/* --- queue_feed.c ----------------------------------------------------- */

/* What queue_feed_record() was told besides the diff. */
struct queue_feed_opts {
	const struct feed_merged *m; /* the merge the diff was made from */
	double                    quorum; /* for the provenance */
	double                    max_share; /* for a held set's reason */
	size_t                    nblocks; /* current blocks the diff saw */
	const char *revision; /* "name:rev,..." of the merged feeds */
};

/* What it did. */
struct queue_feed_result {
	size_t  created; /* new proposals */
	size_t  updated; /* pending proposals whose sources changed */
	size_t  unchanged; /* pending already, same sources */
	size_t  withdrawn; /* pending feed proposals no longer proposed */
	int64_t changeset_id; /* the held set, or 0 */
};

/*
 * queue_feed_record: store the diff d (of the merged feeds m) as domain
 * proposals, in ONE transaction that takes the audit lock first:
 * - each change is a proposal (target domain, action its severity, or
 *   "unblock" for a retraction; flags, public comment, source "feed",
 *   feeds = the supporting feeds, the fingerprint) with one evidence row
 *   holding its provenance (doc/api.md, "Feeds and change sets") and an
 *   audit row by actor "feeds" ("propose", or "merge" when a pending
 *   proposal for the same domain and action took the new sources);
 *   a pending proposal with the same fingerprint and change set is left
 *   as it is;
 * - a pending feed proposal the diff no longer makes is rejected with
 *   reason "withdrawn: sources changed" (and is not remembered);
 * - a held diff becomes one change set (state held) holding every
 *   proposal, unless the latest held set already holds exactly these
 *   changes; a held set left without pending items is closed (rejected,
 *   reason "withdrawn: sources changed").
 * Must be called outside a transaction.  Returns 0 and fills *r, or
 * MOD_EDB (rolled back, nothing written).
 */
int queue_feed_record(struct store *db, const struct feed_diff *d,
    const struct queue_feed_opts *o,
    struct queue_feed_result     *r) MOD_MUSTCHECK;

/*
 * queue_changeset_approve: sign-off of held change set id by user (an
 * admin): one approval of every pending item (approvals row, audit
 * "approve" with the comment, may be NULL).  An item whose
 * approvals_needed is 2 (the two-person rule: domain suspends) is
 * approved only by a second, different signer; until then it stays
 * pending (audit "approve.partial") and so does the set.  Whether an
 * item needs two is decided now, from two_person (the configuration's
 * two_person_severity), as for single items.  When no item is
 * left pending the set becomes approved.  NOTIFY moderd_dispatch tells the
 * dispatcher.  One transaction.  Returns 0 (*n = items approved now),
 * MOD_ENOENT (no such set), MOD_EEXIST (the set is not held), MOD_EAUTH
 * (user has already approved every pending item: nothing changed) or
 * MOD_EDB.
 */
int queue_changeset_approve(struct store *db, int64_t id, const char *user,
    const char *comment, int two_person, size_t *n) MOD_MUSTCHECK;

/*
 * queue_changeset_reject: every pending item of held set id rejected
 * with reason (required) by user, each remembered in feed_rejections (not
 * proposed again until its sources change), audit rows; the set becomes
 * rejected with that reason.  Returns as queue_changeset_approve().
 */
int queue_changeset_reject(struct store *db, int64_t id, const char *user,
    const char *reason, size_t *n) MOD_MUSTCHECK;

/* One row of changesets. */
struct queue_changeset {
	int64_t id;
	char    state[16];
	int64_t created_ms;
	int64_t nadd, nchange, nretract;
	char   *revision; /* may be NULL */
	char   *reason; /* may be NULL */
	char   *decided_by; /* may be NULL */
	int64_t decided_ms; /* INT64_MIN if not decided */
};

/*
 * queue_changesets_list: change sets in state (NULL: all), newest first,
 * at most limit, into a new array; queue_changeset_get: one (MOD_ENOENT
 * if none) and the ids of its proposals (*ids a new array of *nids).
 * Free with queue_changesets_free(), or the one with
 * queue_changeset_clear() and *ids with free().  0, MOD_ENOENT or MOD_EDB.
 */
int  queue_changesets_list(struct store *db, const char *state, size_t limit,
     struct queue_changeset **v, size_t *n) MOD_MUSTCHECK;
int  queue_changeset_get(struct store *db, int64_t id,
     struct queue_changeset *cs, int64_t **ids, size_t *nids) MOD_MUSTCHECK;
void queue_changesets_free(struct queue_changeset *v, size_t n);
/* queue_changeset_clear: free the strings of one and zero it. */
void queue_changeset_clear(struct queue_changeset *cs);

/* --- feedsync.c ------------------------------------------------------- */

enum feedsync_status {
	FEEDSYNC_SKIPPED, /* not fetched in this run */
	FEEDSYNC_UPDATED,
	FEEDSYNC_NOT_MODIFIED,
	FEEDSYNC_ERROR
};

/* feedsync_status_name: "skipped", "updated", "not_modified", "error". */
const char *feedsync_status_name(int status);

struct feedsync_feed {
	char *name;
	int   status; /* enum feedsync_status */
	char *error; /* FEEDSYNC_ERROR: why; else NULL */
};

/* The summary of one sync (POST /v1/feeds/sync answers it). */
struct feedsync_result {
	struct feedsync_feed *feeds; /* the feeds fetched, in config order */
	size_t                nfeeds;
	size_t                added, changed, retracted, suppressed;
	size_t                unresolved; /* masked names not resolved */
	bool                  held;
	int64_t               changeset_id; /* 0 when not held */
	struct queue_feed_result queue;
};

/* feedsync_feed_url: the source of f as its feeds row names it: the
 * URL, or "file:" and the path. */
struct conf_feed;
void feedsync_feed_url(const struct conf_feed *f, char *out, size_t outsz);

/* feedsync_result_free: NULL-safe; r may be reused. */
void feedsync_result_free(struct feedsync_result *r);

/*
 * feedsync_run: sync feed `name` of c (NULL: every feed): fetch it (a URL
 * with ETag / If-Modified-Since, or a local path), and on new content
 * parse it; an empty or unparseable feed, or a failed fetch, is that
 * feed's error (recorded in its row) and its last good list stays in
 * use.  Then merge every subscribed feed's last good list with c's
 * quorum, mode, excludes and the known domains, diff against the current
 * blocks and the remembered rejections, and record the result with
 * queue_feed_record().  Syncs serialise on a database advisory lock, so
 * several threads or processes may call this.  Returns 0 with *r filled
 * (per-feed errors are in r, not the return value), MOD_ENOENT (no feed
 * called name; err says so), MOD_EINVAL (the merge refused the
 * configuration, or feeds_exclude_file / feeds_known_domains_file cannot
 * be read whole: missing, too large, too many names; err says which.
 * Nothing is proposed then: a lost exclude could block our own domain)
 * or MOD_EDB.  Free *r with feedsync_result_free().
 * With no feed configured nothing is fetched or merged (unsubscribing
 * from every feed does not propose retracting their blocks).
 */
int feedsync_run(struct store *db, const struct conf *c, const char *name,
    struct feedsync_result *r, struct mod_err *err) MOD_MUSTCHECK;

/*
 * The scheduler: one thread with its own database connection that syncs
 * each feed with a refresh interval when it is due: at start-up, then
 * every refresh (with up to MOD_FEED_JITTER_PCT percent of jitter); after
 * a failure the interval doubles per consecutive failure up to
 * MOD_FEED_BACKOFF_MAX_MS (or refresh, if longer).  Being the daemon's
 * periodic thread, it also runs housekeeping: queue_prune() shortly after
 * start-up and then every housekeeping_interval.  It reads the running
 * configuration (conf_get()) every round, so a reload applies.
 */
struct feedsync_sched;

/* feedsync_start: start the thread; dsn borrowed (copied).  0 or
 * MOD_EINTERNAL (no thread). */
int feedsync_start(const char *dsn, int64_t stmt_timeout_ms,
    struct feedsync_sched **out) MOD_MUSTCHECK;

/* feedsync_kick: wake the thread to read the configuration again (after a
 * reload); what is due runs then.  NULL-safe. */
void feedsync_kick(struct feedsync_sched *s);

/* feedsync_stop: wake and join the thread (a sync in progress finishes
 * its current statement; fetches are bounded by their timeout).
 * NULL-safe. */
void feedsync_stop(struct feedsync_sched *s);

/*
 * feedsync_fetch_opts: *o for an unconditional fetch of f (strings
 * borrowed from f; the caller may then set etag, last_modified and
 * prev_sha256).  Used by the daemon and by `moderctl feeds merge`.
 */
void feedsync_fetch_opts(const struct conf_feed *f, struct feed_fetch_opts *o);

/* feedsync_format: f's format (FEED_FMT_AUTO for "auto"). */
enum feed_format feedsync_format(const struct conf_feed *f);

#endif /* MODERD_FEEDSYNC_H */
