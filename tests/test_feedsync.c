/*
 * test_feedsync.c - blocklist subscriptions in the daemon, on a
 * throwaway PostgreSQL: feeds read from local files (feed_fetch() with a
 * path), merged, diffed and recorded as proposals; held change sets and
 * their sign-off; rejections remembered; blocks kept in step with
 * applied proposals (store_block_apply(), as the dispatcher calls it);
 * and the HTTP side: /v1/feeds, /v1/feeds/sync, /v1/changesets and the
 * published lists, which must parse back with feed_parse() to the same
 * blocks and whose .sig must verify with feed_verify().
 * Every test ends with audit_verify().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api.h"
#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "feedsync.h"
#include "harness_pg.h"
#include "http.h"
#include "queue.h"
#include "store.h"
#include "util.h"

struct t {
	struct harness_pg *pg;
	char               dsn[HARNESS_PG_DSN_BYTES];
	char               dir[64];
	struct store      *db;
	struct conf       *conf;
	char               pub[FEED_PUBKEY_B64_BYTES];
};

static int
group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_ALL);
	return harness_pg_group_setup(state);
}

static int
group_teardown(void **state)
{
	harness_pg_group_teardown(state);
	curl_global_cleanup();
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static void
t_write(const struct t *t, const char *name, const char *text)
{
	char  path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* t_conf: a configuration with feeds a and b (files in t->dir). */
static void
t_conf(struct t *t, double quorum, double share, const char *extra)
{
	struct mod_errlist errs = { 0 };
	char               buf[2048];

	conf_free(t->conf);
	t->conf = NULL;
	snprintf(buf, sizeof(buf),
	    "state_dir \"%s\"\nfeeds_quorum %g\nfeeds_max_share %g\n"
	    "publish_key \"%s/pub.key\"\n%s\n"
	    "feed a {\n path \"%s/a.csv\"\n refresh 0\n}\n"
	    "feed b {\n path \"%s/b.csv\"\n refresh 0\n trust 1.5\n}\n",
	    t->dir, quorum, share, t->dir, extra, t->dir, t->dir);
	if (conf_load_buffer("t.conf", buf, strlen(buf), &t->conf, &errs) != 0)
		mod_errlist_print(&errs, stderr);
	mod_errlist_free(&errs);
	assert_non_null(t->conf);
}

static struct t *
t_new(void **state)
{
	struct t *t = xcalloc(1, sizeof(*t));
	char      sec[FEED_SECKEY_B64_BYTES], line[128];

	t->pg = *state;
	mod_strlcpy(t->dir, "/tmp/moderd-feedsync.XXXXXX", sizeof(t->dir));
	assert_non_null(mkdtemp(t->dir));
	assert_int_equal(
	    harness_pg_fresh(t->pg, t->dsn, sizeof(t->dsn), &t->db), 0);
	assert_int_equal(feed_keygen(t->pub, sec), 0);
	snprintf(line, sizeof(line), "%s\n", sec);
	t_write(t, "pub.key", line);
	t_write(t, "a.csv", "#domain,#severity\n");
	t_write(t, "b.csv", "#domain,#severity\n");
	t_conf(t, 1.0, 0, "");
	return t;
}

static void
t_free(struct t *t)
{
	const char *names[] = { "a.csv", "b.csv", "pub.key", "excl.txt" };
	char        path[256];
	int64_t     bad = 0;
	size_t      i;

	assert_int_equal(audit_verify(t->db, &bad, NULL), 0);
	for (i = 0; i < nitems(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, names[i]);
		unlink(path);
	}
	rmdir(t->dir);
	conf_free(t->conf);
	store_close(t->db);
	free(t);
}

static int64_t
q_int(struct store *db, const char *sql, const char *p1)
{
	const char *p[1] = { p1 };
	char        val[64];
	int64_t     v;

	assert_int_equal(store_query_value(
	                     db, "test", sql, p1 ? 1 : 0, p, val, sizeof(val)),
	    0);
	assert_int_equal(mod_strtonum(val, INT64_MIN, INT64_MAX, &v), 0);
	return v;
}

static void
q_text(
    struct store *db, const char *sql, const char *p1, char *out, size_t outsz)
{
	const char *p[1] = { p1 };

	assert_int_equal(
	    store_query_value(db, "test", sql, p1 ? 1 : 0, p, out, outsz), 0);
}

/* t_sync: a sync of every feed, which must succeed. */
static void
t_sync(struct t *t, struct feedsync_result *r)
{
	struct mod_err err = { 0 };
	int            rv = feedsync_run(t->db, t->conf, NULL, r, &err);

	if (rv != 0)
		fprintf(stderr, "sync: %s\n", err.msg);
	assert_int_equal(rv, 0);
}

static int64_t
t_pending(struct t *t)
{
	return q_int(t->db,
	    "SELECT count(*) FROM proposals WHERE state = 'pending'"
	    " AND target_type = 'domain'",
	    NULL);
}

/* t_id: the pending proposal for domain and action. */
static int64_t
t_id(struct t *t, const char *domain, const char *action)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	    "SELECT id FROM proposals WHERE state = 'pending' AND"
	    " target_id = $1 AND action = '%s'",
	    action);
	return q_int(t->db, sql, domain);
}

/* t_apply_all: every pending or approved domain proposal applied, as the
 * dispatcher records it (without a Mastodon). */
static void
t_apply_all(struct t *t)
{
	struct pg_result *res = NULL;
	int64_t           ids[64];
	size_t            n, i;
	char              v[24];

	n = (size_t) q_int(t->db,
	    "SELECT count(*) FROM proposals WHERE state IN"
	    " ('pending', 'approved') AND target_type = 'domain'",
	    NULL);
	assert_true(n < nitems(ids));
	for (i = 0; i < n; i++) {
		ids[i] = q_int(t->db,
		    "SELECT id FROM proposals WHERE state IN"
		    " ('pending', 'approved') AND target_type = 'domain'"
		    " ORDER BY id LIMIT 1",
		    NULL);
		snprintf(v, sizeof(v), "%lld", (long long) ids[i]);
		assert_int_equal(store_begin(t->db), 0);
		assert_int_equal(audit_lock(t->db), 0);
		assert_int_equal(store_block_apply(t->db, ids[i], "m1"), 0);
		assert_int_equal(
		    store_query(t->db, "test",
		        "UPDATE proposals SET state = 'applied'"
		        " WHERE id = $1::bigint RETURNING 1",
		        1, (const char *[]) { v }, NULL, NULL, &res),
		    0);
		store_clear(res);
		assert_int_equal(store_commit(t->db), 0);
	}
}

/* ---- syncs ------------------------------------------------------------ */

static void
test_add_with_provenance(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	char                   snap[8192], ids[24];
	json_t                *j, *feeds;
	int64_t                id;

	t_write(t, "a.csv",
	    "#domain,#severity,#reject_media,#reject_reports,#public_comment\n"
	    "bad.example,suspend,false,false,nazis\n"
	    "spam.example,silence,true,false,spam\n");
	t_write(t, "b.csv", "#domain,#severity\nbad.example,suspend\n");
	t_sync(t, &r);
	assert_int_equal(r.nfeeds, 2);
	assert_string_equal(
	    feedsync_status_name(r.feeds[0].status), "updated");
	assert_int_equal(r.added, 2);
	assert_int_equal(r.queue.created, 2);
	assert_false(r.held);
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 2);
	id = t_id(t, "bad.example", "suspend");
	snprintf(ids, sizeof(ids), "%lld", (long long) id);
	q_text(t->db,
	    "SELECT snapshot::text FROM evidence WHERE proposal_id = "
	    "$1::bigint",
	    ids, snap, sizeof(snap));
	assert_non_null(j = json_loads(snap, 0, NULL));
	assert_string_equal(
	    json_string_value(json_object_get(j, "kind")), "add");
	assert_string_equal(
	    json_string_value(json_object_get(j, "severity")), "suspend");
	assert_true(json_is_null(json_object_get(j, "current")));
	feeds = json_object_get(j, "feeds");
	assert_int_equal(json_array_size(feeds), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(feeds, 0), "name")),
	    "a");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(feeds, 0), "public_comment")),
	    "nazis");
	assert_true(json_is_string(
	    json_object_get(json_array_get(feeds, 1), "revision")));
	assert_true(json_real_value(json_object_get(j, "trust")) == 2.5);
	json_decref(j);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM proposals WHERE source ="
	                     " 'feed' AND feeds = '{a,b}' AND target_id = $1",
	                     "bad.example"),
	    1);
	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM proposals WHERE target_id = $1"
	        " AND reject_media AND public_comment = 'spam'",
	        "spam.example"),
	    1);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM audit WHERE actor = 'feeds'"
	                     " AND action = $1",
	                     "propose"),
	    2);
	t_free(t);
}

static void
test_second_sync_changes_nothing(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	int64_t                audit, ev;

	t_write(t, "a.csv", "#domain,#severity\nbad.example,suspend\n");
	t_sync(t, &r);
	feedsync_result_free(&r);
	audit = q_int(t->db, "SELECT count(*) FROM audit", NULL);
	ev = q_int(t->db, "SELECT count(*) FROM evidence", NULL);
	t_sync(t, &r);
	assert_string_equal(
	    feedsync_status_name(r.feeds[0].status), "not_modified");
	assert_int_equal(r.queue.created + r.queue.updated, 0);
	assert_int_equal(r.queue.unchanged, 1);
	feedsync_result_free(&r);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM audit", NULL), audit);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM evidence", NULL), ev);
	assert_int_equal(t_pending(t), 1);
	t_free(t);
}

static void
test_rejection_remembered(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	struct mod_err         err = { 0 };

	t_write(t, "a.csv", "#domain,#severity\nbad.example,suspend\n");
	t_sync(t, &r);
	feedsync_result_free(&r);
	assert_int_equal(queue_reject(t->db, t_id(t, "bad.example", "suspend"),
	                     "alice", "not for us", false, &err),
	    0);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM feed_rejections", NULL), 1);
	t_sync(t, &r);
	assert_int_equal(r.suppressed, 1);
	assert_int_equal(r.queue.created, 0);
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 0);
	/* Its sources change: b lists it too.  Proposed again. */
	t_write(t, "b.csv", "#domain,#severity\nbad.example,suspend\n");
	t_sync(t, &r);
	assert_int_equal(r.suppressed, 0);
	assert_int_equal(r.queue.created, 1);
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 1);
	t_free(t);
}

static void
test_retract_only_when_all_dropped(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };

	t_write(t, "a.csv", "#domain,#severity\nx.example,suspend\n");
	t_write(t, "b.csv", "#domain,#severity\nx.example,suspend\n");
	t_sync(t, &r);
	feedsync_result_free(&r);
	t_apply_all(t);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM blocks WHERE domain = $1"
	                     " AND created_by_moderd AND feeds = 'a,b'",
	                     "x.example"),
	    1);
	/* A block moderd did not create, listed by no feed. */
	assert_int_equal(store_exec(t->db, "test",
	                     "INSERT INTO blocks (domain, severity, "
	                     "created_by_moderd, feeds)"
	                     " VALUES ('y.example', 'suspend', false, 'a')",
	                     0, NULL),
	    0);
	t_write(t, "a.csv", "#domain,#severity\nother.example,noop\n");
	t_sync(t, &r);
	assert_int_equal(r.retracted, 0);
	feedsync_result_free(&r);
	t_write(t, "b.csv", "#domain,#severity\nother.example,noop\n");
	t_sync(t, &r);
	assert_int_equal(r.retracted, 1);
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 1);
	assert_true(t_id(t, "x.example", "unblock") > 0);
	t_apply_all(t);
	assert_int_equal(q_int(t->db, "SELECT count(*) FROM blocks", NULL), 1);
	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM block_changes WHERE domain ="
	        " $1 AND kind IN ('add', 'retract')",
	        "x.example"),
	    2);
	t_free(t);
}

static void
test_severity_change(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	char                   v[64];

	t_write(t, "a.csv", "#domain,#severity\nx.example,silence\n");
	t_sync(t, &r);
	feedsync_result_free(&r);
	t_apply_all(t);
	t_write(t, "a.csv", "#domain,#severity\nx.example,suspend\n");
	t_sync(t, &r);
	assert_int_equal(r.changed, 1);
	assert_int_equal(r.added, 0);
	feedsync_result_free(&r);
	assert_true(t_id(t, "x.example", "suspend") > 0);
	q_text(t->db,
	    "SELECT (snapshot->>'kind') || ' ' || (snapshot->'current'->>"
	    "'severity') FROM evidence e JOIN proposals p ON p.id ="
	    " e.proposal_id WHERE p.state = 'pending' AND p.target_id = $1",
	    "x.example", v, sizeof(v));
	assert_string_equal(v, "change silence");
	t_apply_all(t);
	q_text(t->db, "SELECT severity FROM blocks WHERE domain = $1",
	    "x.example", v, sizeof(v));
	assert_string_equal(v, "suspend");
	t_free(t);
}

/* Ten domains a.csv lists, from first.  */
static void
t_ten(struct t *t, const char *prefix)
{
	char   buf[1024];
	size_t i, n;

	n = (size_t) snprintf(buf, sizeof(buf), "#domain,#severity\n");
	for (i = 0; i < 10; i++)
		n += (size_t) snprintf(buf + n, sizeof(buf) - n,
		    "%s%zu.example,suspend\n", prefix, i);
	t_write(t, "a.csv", buf);
}

static void
test_held_changeset(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	size_t                 n = 0;
	int64_t                cs;

	t_conf(t, 1.0, 0.2, "");
	t_ten(t, "a");
	t_sync(t, &r);
	assert_true(r.held);
	assert_true(r.changeset_id > 0);
	cs = r.changeset_id;
	feedsync_result_free(&r);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM changesets WHERE state ="
	                     " 'held' AND nadd = 10",
	                     NULL),
	    1);
	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM proposals WHERE changeset_id"
	        " IS NOT NULL AND state = $1",
	        "pending"),
	    10);
	/* The same sync again: the same set, nothing new. */
	t_sync(t, &r);
	assert_int_equal(r.changeset_id, cs);
	assert_int_equal(r.queue.created + r.queue.updated, 0);
	feedsync_result_free(&r);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM changesets", NULL), 1);
	/* Sign-off is one approval of every item: these suspends need two
	 * signers (the two-person rule), and the same one twice is refused. */
	assert_int_equal(queue_changeset_approve(
	                     t->db, cs, "adam", "ok", CONF_TWO_SUSPEND, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM changesets WHERE state ="
	                     " 'held'",
	                     NULL),
	    1);
	assert_int_equal(queue_changeset_approve(
	                     t->db, cs, "adam", "ok", CONF_TWO_SUSPEND, &n),
	    MOD_EAUTH);
	assert_int_equal(queue_changeset_approve(
	                     t->db, cs, "eve", "ok", CONF_TWO_SUSPEND, &n),
	    0);
	assert_int_equal(n, 10);
	assert_int_equal(queue_changeset_approve(
	                     t->db, cs, "eve", "ok", CONF_TWO_SUSPEND, &n),
	    MOD_EEXIST);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM proposals WHERE state = $1",
	        "approved"),
	    10);
	/* Approved but not applied: a new list of ten retracts and adds. */
	t_ten(t, "b");
	t_sync(t, &r);
	assert_true(r.held);
	assert_int_equal(r.added, 10);
	assert_int_equal(r.retracted, 10);
	cs = r.changeset_id;
	feedsync_result_free(&r);
	assert_int_equal(
	    queue_changeset_reject(t->db, cs, "adam", "no", &n), 0);
	assert_int_equal(n, 20);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM feed_rejections", NULL), 20);
	t_sync(t, &r);
	assert_int_equal(r.suppressed, 20);
	assert_false(r.held);
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 0);
	t_free(t);
}

/* With two_person_severity none, one sign-off approves the suspends of a
 * held set: the rule is the configuration's, not a value stored when the
 * proposals were made. */
static void
test_changeset_one_signer(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	size_t                 n = 0;

	t_conf(t, 1.0, 0.2, "");
	t_ten(t, "a");
	t_sync(t, &r);
	assert_true(r.held);
	assert_int_equal(queue_changeset_approve(t->db, r.changeset_id, "adam",
	                     NULL, CONF_TWO_NONE, &n),
	    0);
	assert_int_equal(n, 10);
	feedsync_result_free(&r);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM proposals WHERE state = $1",
	        "approved"),
	    10);
	t_free(t);
}

static void
test_unparseable_keeps_last_good(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	char                   v[256];

	t_write(t, "a.csv", "#domain,#severity\nbad.example,suspend\n");
	t_sync(t, &r);
	feedsync_result_free(&r);
	t_write(t, "a.csv", "");
	t_sync(t, &r);
	assert_string_equal(feedsync_status_name(r.feeds[0].status), "error");
	assert_non_null(r.feeds[0].error);
	assert_int_equal(r.queue.withdrawn, 0);
	assert_int_equal(r.queue.unchanged, 1);
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 1);
	q_text(t->db, "SELECT last_error FROM feeds WHERE name = $1", "a", v,
	    sizeof(v));
	assert_true(strlen(v) > 0);
	assert_int_equal(q_int(t->db,
	                     "SELECT entries FROM feeds WHERE name = $1"
	                     " AND body IS NOT NULL",
	                     "a"),
	    1);
	t_write(t, "a.csv", "\x01\x02 not a feed {{{\n");
	t_sync(t, &r);
	assert_string_equal(feedsync_status_name(r.feeds[0].status), "error");
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 1);
	t_free(t);
}

/*
 * feeds_exclude_file in the daemon: an excluded domain (here a parent of
 * our own) is never proposed, a bad line is skipped, and an exclude file
 * that cannot be read fails the sync with its name instead of merging
 * without it.
 */
static void
test_excludes(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	struct mod_err         err = { 0 };
	char                   extra[512], path[300];

	snprintf(extra, sizeof(extra), "feeds_exclude_file \"%s/excl.txt\"",
	    t->dir);
	t_conf(t, 1.0, 0, extra);
	t_write(
	    t, "excl.txt", "# our own\nsocial.ours.example\nnot a name!\n");
	t_write(t, "a.csv",
	    "#domain,#severity\nbad.example,suspend\nours.example,suspend\n");
	t_sync(t, &r);
	assert_int_equal(r.added, 1);
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 1);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM proposals WHERE target_id"
	                     " = $1",
	                     "ours.example"),
	    0);
	snprintf(path, sizeof(path), "%s/excl.txt", t->dir);
	assert_int_equal(unlink(path), 0);
	t_write(t, "a.csv",
	    "#domain,#severity\nbad.example,suspend\nours.example,suspend\n"
	    "new.example,silence\n");
	assert_int_equal(
	    feedsync_run(t->db, t->conf, NULL, &r, &err), MOD_EINVAL);
	assert_non_null(strstr(err.msg, "excl.txt"));
	feedsync_result_free(&r);
	assert_int_equal(t_pending(t), 1);
	t_free(t);
}

static void
test_withdrawn(void **state)
{
	struct t              *t = t_new(state);
	struct feedsync_result r = { 0 };
	char                   v[128];

	t_write(t, "a.csv",
	    "#domain,#severity\nx.example,suspend\ny.example,silence\n");
	t_sync(t, &r);
	feedsync_result_free(&r);
	t_write(t, "a.csv", "#domain,#severity\nx.example,suspend\n");
	t_sync(t, &r);
	assert_int_equal(r.queue.withdrawn, 1);
	assert_int_equal(r.queue.unchanged, 1);
	feedsync_result_free(&r);
	q_text(t->db,
	    "SELECT state || '|' || reject_reason || '|' || decided_by"
	    " FROM proposals WHERE target_id = $1",
	    "y.example", v, sizeof(v));
	assert_string_equal(v, "rejected|withdrawn: sources changed|feeds");
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM feed_rejections", NULL), 0);
	/* Listed again: proposed again (a withdrawal is not a rejection). */
	t_write(t, "a.csv",
	    "#domain,#severity\nx.example,suspend\ny.example,silence\n");
	t_sync(t, &r);
	assert_int_equal(r.queue.created, 1);
	feedsync_result_free(&r);
	t_free(t);
}

/* ---- HTTP ------------------------------------------------------------- */

struct t_http {
	struct api  *api;
	struct http *http;
	int          port;
	CURL        *curl;
	char         admin[STORE_TOKEN_HEX_LEN + 1];
	char         admin2[STORE_TOKEN_HEX_LEN + 1];
	char         mod[STORE_TOKEN_HEX_LEN + 1];
};

static void
t_http_start(struct t *t, struct t_http *h)
{
	struct api_init  ai = { 0 };
	struct http_init hi = { 0 };

	assert_int_equal(store_user_add(t->db, "adam", "admin", h->admin), 0);
	assert_int_equal(store_user_add(t->db, "eve", "admin", h->admin2), 0);
	assert_int_equal(
	    store_user_add(t->db, "alice", "moderator", h->mod), 0);
	free(t->conf->http_listen);
	t->conf->http_listen = xstrdup("http://127.0.0.1:0");
	conf_install(t->conf); /* the handlers read it with conf_get() */
	ai.db_dsn = t->dsn;
	ai.stmt_timeout_ms = 5000;
	assert_int_equal(api_start(&ai, &h->api, &hi.routes, &hi.nroutes), 0);
	assert_int_equal(http_start(t->conf, &hi, &h->http), 0);
	assert_int_equal(http_port(h->http, &h->port), 0);
	assert_non_null(h->curl = curl_easy_init());
}

static void
t_http_stop(struct t *t, struct t_http *h)
{
	curl_easy_cleanup(h->curl);
	http_stop(h->http);
	api_stop(h->api);
	conf_install(NULL);
	t->conf = NULL; /* conf_install() took it */
}

static size_t
t_curl_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	assert_int_equal(buf_append(b, p, size * n), 0);
	return size * n;
}

/* t_get: method path with token tok (NULL: none); the body into out. */
static long
t_req(struct t_http *h, const char *method, const char *path, const char *tok,
    const char *body, struct buf *out)
{
	struct curl_slist *hd = NULL;
	char               url[512], auth[128];
	long               status = 0;

	buf_init(out, 1 << 20);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", h->port, path);
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, t_curl_write);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 30L);
	if (tok != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
		hd = curl_slist_append(hd, auth);
	}
	hd = curl_slist_append(hd, "Expect:");
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hd);
	if (body != NULL)
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	assert_int_equal(curl_easy_perform(h->curl), CURLE_OK);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	return status;
}

/* t_json: a call that must answer status with JSON. */
static json_t *
t_json(struct t_http *h, const char *method, const char *path, const char *tok,
    const char *body, long status)
{
	struct buf b;
	json_t    *j;
	long       got = t_req(h, method, path, tok, body, &b);

	if (got != status)
		fprintf(stderr, "%s %s: %ld %s\n", method, path, got,
		    buf_cstr(&b));
	assert_int_equal(got, status);
	j = json_loads(buf_cstr(&b), 0, NULL);
	buf_free(&b);
	assert_non_null(j);
	return j;
}

/* t_header_etag: keep the ETag header line's value in arg (a char[128]). */
static size_t
t_header_etag(char *p, size_t size, size_t n, void *arg)
{
	char  *etag = arg;
	size_t len = size * n;

	if (len > 6 && strncasecmp(p, "ETag: ", 6) == 0 && len - 6 < 128) {
		memcpy(etag, p + 6, len - 6);
		etag[strcspn(etag, "\r\n")] = '\0';
	}
	return len;
}

/* t_conditional: GET path with If-None-Match inm (NULL: none); the
 * status, and the ETag answered into etag. */
static long
t_conditional(
    struct t_http *h, const char *path, const char *inm, char etag[128])
{
	struct curl_slist *hd = NULL;
	struct buf         out;
	char               url[512], line[200];
	long               status = 0;

	buf_init(&out, 1 << 20);
	etag[0] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", h->port, path);
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, t_curl_write);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, t_header_etag);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, etag);
	if (inm != NULL) {
		snprintf(line, sizeof(line), "If-None-Match: %s", inm);
		hd = curl_slist_append(hd, line);
		curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hd);
	}
	assert_int_equal(curl_easy_perform(h->curl), CURLE_OK);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	if (status == 304)
		assert_int_equal(out.len, 0);
	buf_free(&out);
	return status;
}

/* t_etag_check: a published list has an ETag; asking again with it gets
 * 304 Not Modified, with another one the list. */
static void
t_etag_check(struct t_http *h, const char *path)
{
	char etag[128], again[128];

	assert_int_equal(t_conditional(h, path, NULL, etag), 200);
	assert_true(strlen(etag) > 2 && etag[0] == '"');
	assert_int_equal(t_conditional(h, path, etag, again), 304);
	assert_string_equal(again, etag);
	assert_int_equal(t_conditional(h, path, "\"other\"", again), 200);
}

/* t_list_check: list NAME parses back to the blocks, and NAME.sig
 * verifies. */
static void
t_list_check(struct t_http *h, const struct t *t, const char *name,
    enum feed_format fmt, size_t want)
{
	struct feed_list l = { 0 };
	struct buf       body, sig;
	char             path[128];

	snprintf(path, sizeof(path), "/v1/blocklist/%s", name);
	assert_int_equal(t_req(h, "GET", path, NULL, NULL, &body), 200);
	assert_int_equal(
	    feed_parse(name, body.data, body.len, fmt, &l, NULL), 0);
	assert_int_equal(l.n, want);
	assert_string_equal(l.v[0].domain,
	    fmt == FEED_FMT_TEXT ? "bad.example" : "bad.example");
	strcat(path, ".sig");
	assert_int_equal(t_req(h, "GET", path, NULL, NULL, &sig), 200);
	assert_int_equal(
	    feed_verify(body.data, body.len, buf_cstr(&sig), t->pub), 0);
	feed_list_free(&l);
	buf_free(&body);
	buf_free(&sig);
}

static void
test_api(void **state)
{
	struct t     *t = t_new(state);
	struct t_http h = { 0 };
	json_t       *j, *it;
	struct buf    b;

	t_write(t, "a.csv",
	    "#domain,#severity,#reject_media,#reject_reports,#public_comment\n"
	    "bad.example,suspend,false,false,\"nazis, and worse\"\n"
	    "spam.example,silence,true,false,spam\n");
	t_http_start(t, &h);
	j = t_json(&h, "POST", "/v1/feeds/sync", h.mod, "{}", 403);
	json_decref(j);
	j = t_json(
	    &h, "POST", "/v1/feeds/sync", h.admin, "{\"name\":\"zz\"}", 404);
	json_decref(j);
	j = t_json(&h, "POST", "/v1/feeds/sync", h.admin, "{}", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "added")), 2);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "feeds"), 0), "status")),
	    "updated");
	json_decref(j);
	j = t_json(&h, "GET", "/v1/feeds", h.mod, NULL, 200);
	it = json_array_get(json_object_get(j, "feeds"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(it, "name")), "a");
	assert_int_equal(
	    json_integer_value(json_object_get(it, "entries")), 2);
	assert_int_equal(
	    strlen(json_string_value(json_object_get(it, "revision"))),
	    FEEDSYNC_REVISION_LEN);
	json_decref(j);
	t_apply_all(t);
	t_list_check(&h, t, "mastodon.csv", FEED_FMT_MASTODON_CSV, 2);
	t_list_check(&h, t, "fediblockhole.csv", FEED_FMT_FBH_CSV, 2);
	t_list_check(&h, t, "mastodon.json", FEED_FMT_MASTODON_JSON, 2);
	t_list_check(&h, t, "domains.txt", FEED_FMT_TEXT, 1);
	t_etag_check(&h, "/v1/blocklist/mastodon.csv");
	t_etag_check(&h, "/v1/blocklist/mastodon.csv.sig");
	j = t_json(
	    &h, "GET", "/v1/blocklist/changes.json?since=0", NULL, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "changes")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "cursor")), 2);
	json_decref(j);
	j = t_json(
	    &h, "GET", "/v1/blocklist/changes.json?since=2", NULL, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "changes")), 0);
	json_decref(j);
	assert_int_equal(
	    t_req(&h, "GET", "/v1/blocklist/nope.csv", NULL, NULL, &b), 404);
	buf_free(&b);
	t_http_stop(t, &h);
	t_free(t);
}

static void
test_api_changesets_and_token(void **state)
{
	struct t     *t = t_new(state);
	struct t_http h = { 0 };
	json_t       *j;
	struct buf    b;
	char          path[128];
	int64_t       cs;

	t_conf(t, 1.0, 0.2, "publish_token \"s3cret\"\n");
	t_ten(t, "a");
	t_http_start(t, &h);
	j = t_json(
	    &h, "POST", "/v1/feeds/sync", h.admin, "{\"name\":\"a\"}", 200);
	assert_true(json_is_true(json_object_get(j, "held")));
	cs = json_integer_value(json_object_get(j, "changeset_id"));
	json_decref(j);
	j = t_json(&h, "GET", "/v1/changesets?state=held", h.mod, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "changesets")), 1);
	json_decref(j);
	snprintf(path, sizeof(path), "/v1/changesets/%lld", (long long) cs);
	j = t_json(&h, "GET", path, h.mod, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 10);
	json_decref(j);
	snprintf(
	    path, sizeof(path), "/v1/changesets/%lld/approve", (long long) cs);
	j = t_json(&h, "POST", path, h.mod, "{}", 403);
	json_decref(j);
	j = t_json(&h, "POST", path, h.admin, "{\"comment\":\"fine\"}", 200);
	assert_string_equal(
	    json_string_value(json_object_get(j, "state")), "held");
	json_decref(j);
	j = t_json(&h, "POST", path, h.admin, "{}", 409);
	json_decref(j);
	j = t_json(&h, "POST", path, h.admin2, "{\"comment\":\"fine\"}", 200);
	assert_string_equal(
	    json_string_value(json_object_get(j, "state")), "approved");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "items"), 0), "state")),
	    "approved");
	json_decref(j);
	j = t_json(&h, "POST", path, h.admin, "{}", 409);
	json_decref(j);
	/* publish_token: needed, and enough. */
	assert_int_equal(
	    t_req(&h, "GET", "/v1/blocklist/domains.txt", NULL, NULL, &b),
	    401);
	buf_free(&b);
	assert_int_equal(
	    t_req(&h, "GET", "/v1/blocklist/domains.txt", "s3cret", NULL, &b),
	    200);
	buf_free(&b);
	t_http_stop(t, &h);
	t_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_with_provenance),
		cmocka_unit_test(test_second_sync_changes_nothing),
		cmocka_unit_test(test_rejection_remembered),
		cmocka_unit_test(test_retract_only_when_all_dropped),
		cmocka_unit_test(test_severity_change),
		cmocka_unit_test(test_held_changeset),
		cmocka_unit_test(test_changeset_one_signer),
		cmocka_unit_test(test_unparseable_keeps_last_good),
		cmocka_unit_test(test_withdrawn),
		cmocka_unit_test(test_excludes),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_api_changesets_and_token),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
