/*
 * store_feeds.c - the database side of blocklist feeds: the state of each
 * subscribed feed (validators, last good body, last error), the server's
 * blocks as the diff sees them, the remembered rejections, the known
 * domains, the blocks we publish and their change feed, and
 * store_block_apply(), which the dispatcher calls to keep `blocks` in
 * step with an applied domain proposal.
 *
 * Each function is one statement (store_block_apply() a few, inside the
 * caller's transaction); results are copied into structs that own their
 * strings, so no libpq type leaves this file.  Times travel as
 * milliseconds since the epoch (INT64_MIN for NULL).
 *
 * What it deliberately does not do: decide anything.  Which block to
 * propose, retract or publish is feeds/ (pure) and feedsync.c; this file
 * reads and writes rows as told.  The last good body is stored as the
 * bytes fetched, not as parsed entries, so a newer parser reads old
 * feeds the way it reads new ones.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "feedsync.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define SQL_MS(col) "(extract(epoch FROM " col ") * 1000)::bigint"

static const char SQL_FEED_COLS[]
    = "SELECT name, url, " SQL_MS("last_attempt_at") ", " SQL_MS(
        "last_success_at") ", last_error, etag, last_modified,"
                           " content_sha256, revision, entries";
static const char SQL_FEED_LOAD[] = " , body FROM feeds WHERE name = $1";
static const char SQL_FEED_LIST[] = " FROM feeds ORDER BY name";
static const char SQL_FEED_FAILED[]
    = "INSERT INTO feeds AS f (name, url, last_attempt_at, last_error)"
      " VALUES ($1, $2, now(), $3) ON CONFLICT (name) DO UPDATE SET"
      " url = excluded.url, last_attempt_at = now(),"
      " last_error = excluded.last_error";
static const char SQL_FEED_UNCHANGED[]
    = "INSERT INTO feeds AS f (name, url, last_attempt_at, last_success_at,"
      " etag, last_modified) VALUES ($1, $2, now(), now(), $3, $4)"
      " ON CONFLICT (name) DO UPDATE SET url = excluded.url,"
      " last_attempt_at = now(), last_success_at = now(), last_error = NULL,"
      " etag = coalesce(excluded.etag, f.etag),"
      " last_modified = coalesce(excluded.last_modified, f.last_modified)";
static const char SQL_FEED_UPDATED[]
    = "INSERT INTO feeds AS f (name, url, last_attempt_at, last_success_at,"
      " last_error, etag, last_modified, content_sha256, revision,"
      " entries, body) VALUES ($1, $2, now(), now(), NULL, $3, $4, $5, $6,"
      " $7::integer, $8::bytea) ON CONFLICT (name) DO UPDATE SET"
      " url = excluded.url, last_attempt_at = now(),"
      " last_success_at = now(), last_error = NULL, etag = excluded.etag,"
      " last_modified = excluded.last_modified,"
      " content_sha256 = excluded.content_sha256,"
      " revision = excluded.revision, entries = excluded.entries,"
      " body = excluded.body RETURNING 1";
static const char SQL_BLOCKS_CURRENT[]
    = "WITH ap AS (SELECT DISTINCT ON (target_id) target_id, action,"
      "  reject_media, reject_reports, array_to_string(feeds, ',') AS feeds"
      "  FROM proposals WHERE state = 'approved' AND target_type = 'domain'"
      "  ORDER BY target_id, decided_at DESC NULLS LAST, id DESC)"
      " SELECT coalesce(b.domain, ap.target_id),"
      " coalesce(CASE WHEN ap.action IS NOT NULL THEN ap.action END,"
      "  b.severity),"
      " CASE WHEN ap.action IS NULL THEN b.reject_media"
      "  ELSE ap.reject_media END,"
      " CASE WHEN ap.action IS NULL THEN b.reject_reports"
      "  ELSE ap.reject_reports END,"
      " coalesce(b.created_by_moderd, true),"
      " CASE WHEN b.domain IS NULL OR (b.created_by_moderd"
      "  AND ap.feeds IS NOT NULL AND ap.feeds <> '') THEN ap.feeds"
      "  ELSE b.feeds END"
      " FROM blocks b FULL JOIN ap ON ap.target_id = b.domain"
      " WHERE ap.action IS NULL OR ap.action <> 'unblock'"
      " ORDER BY 1";
static const char SQL_REJECTIONS[]
    = "SELECT domain, kind, fingerprint FROM feed_rejections"
      " ORDER BY domain, kind";
static const char SQL_KNOWN[]
    = "SELECT domain FROM known_domains ORDER BY domain";
static const char SQL_PUBLISHED[]
    = "SELECT domain, severity, reject_media, reject_reports,"
      " public_comment, obfuscate FROM blocks ORDER BY domain";
static const char SQL_CHANGES[]
    = "SELECT id, " SQL_MS("at") ", kind, domain, severity, reject_media,"
                                 " reject_reports, obfuscate, public_comment"
                                 " FROM block_changes WHERE id > $1::bigint"
                                 " ORDER BY id LIMIT $2::integer";
static const char SQL_APPLY_SELECT[]
    = "SELECT p.target_id, p.action, b.domain IS NOT NULL"
      " FROM proposals p LEFT JOIN blocks b ON b.domain = p.target_id"
      " WHERE p.id = $1::bigint AND p.target_type = 'domain'"
      " FOR UPDATE OF p";
static const char SQL_APPLY_UPSERT[]
    = "INSERT INTO blocks AS b (domain, severity, reject_media,"
      " reject_reports, public_comment, private_comment, obfuscate,"
      " created_by_moderd, feeds, proposal_id, mastodon_id)"
      " SELECT p.target_id, p.action, p.reject_media, p.reject_reports,"
      " p.public_comment, p.private_comment, p.obfuscate, true,"
      " nullif(array_to_string(p.feeds, ','), ''), p.id, $2"
      " FROM proposals p WHERE p.id = $1::bigint"
      " ON CONFLICT (domain) DO UPDATE SET severity = excluded.severity,"
      " reject_media = excluded.reject_media,"
      " reject_reports = excluded.reject_reports,"
      " public_comment = excluded.public_comment,"
      " private_comment = excluded.private_comment,"
      " obfuscate = excluded.obfuscate,"
      " feeds = CASE WHEN b.created_by_moderd THEN excluded.feeds"
      "  ELSE b.feeds END,"
      " proposal_id = excluded.proposal_id,"
      " mastodon_id = coalesce(excluded.mastodon_id, b.mastodon_id),"
      " updated_at = now()";
static const char SQL_APPLY_DELETE[] = "DELETE FROM blocks WHERE domain = $1";
static const char SQL_APPLY_CHANGE[]
    = "INSERT INTO block_changes (kind, domain, severity, reject_media,"
      " reject_reports, public_comment, obfuscate, proposal_id)"
      " SELECT $2, p.target_id, CASE WHEN p.action = 'unblock'"
      "  THEN coalesce($3, 'suspend') ELSE p.action END,"
      " p.reject_media, p.reject_reports, p.public_comment, p.obfuscate,"
      " p.id FROM proposals p WHERE p.id = $1::bigint";
static const char SQL_BLOCK_SEVERITY[]
    = "SELECT severity FROM blocks WHERE domain = $1";

/* --- small readers ---------------------------------------------------- */

static char *
store_feeds_str(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return xstrdup(PQgetvalue(res, row, col));
}

static int64_t
store_feeds_i64(const PGresult *res, int row, int col, int64_t dflt)
{
	int64_t v;

	if (PQgetisnull(res, row, col)
	    || mod_strtonum(
	           PQgetvalue(res, row, col), INT64_MIN, INT64_MAX, &v)
	        != 0)
		return dflt;
	return v;
}

static bool
store_feeds_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col)
	    && PQgetvalue(res, row, col)[0] == 't';
}

static enum feed_severity
store_feeds_sev(const PGresult *res, int row, int col)
{
	int s = feed_severity_from_name(PQgetvalue(res, row, col));

	return s < 0 ? FEED_SEV_SUSPEND : (enum feed_severity) s;
}

/* --- feed state ------------------------------------------------------- */

static void
store_feeds_state(const PGresult *res, int row, struct feedsync_state *st)
{
	memset(st, 0, sizeof(*st));
	st->name = store_feeds_str(res, row, 0);
	st->url = store_feeds_str(res, row, 1);
	st->last_attempt_ms = store_feeds_i64(res, row, 2, INT64_MIN);
	st->last_success_ms = store_feeds_i64(res, row, 3, INT64_MIN);
	st->last_error = store_feeds_str(res, row, 4);
	st->etag = store_feeds_str(res, row, 5);
	st->last_modified = store_feeds_str(res, row, 6);
	mod_strlcpy(st->content_sha256, PQgetvalue(res, row, 7),
	    sizeof(st->content_sha256));
	mod_strlcpy(
	    st->revision, PQgetvalue(res, row, 8), sizeof(st->revision));
	st->entries = store_feeds_i64(res, row, 9, 0);
}

void
feedsync_state_clear(struct feedsync_state *st)
{
	if (st == NULL)
		return;
	free(st->name);
	free(st->url);
	free(st->last_error);
	free(st->etag);
	free(st->last_modified);
	memset(st, 0, sizeof(*st));
}

void
feedsync_states_free(struct feedsync_state *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		feedsync_state_clear(&v[i]);
	free(v);
}

/* store_feeds_body: column col (bytea, text format) as a new buffer. */
static void
store_feeds_body(const PGresult *res, int col, char **body, size_t *len)
{
	unsigned char *raw;
	size_t         n = 0;

	*body = NULL;
	*len = 0;
	if (PQgetisnull(res, 0, col))
		return;
	raw = PQunescapeBytea(
	    (const unsigned char *) PQgetvalue(res, 0, col), &n);
	if (raw == NULL)
		fatalx("store: out of memory unescaping a feed body");
	*body = xmalloc(n + 1);
	memcpy(*body, raw, n);
	(*body)[n] = '\0';
	*len = n;
	PQfreemem(raw);
}

int
store_feed_load(struct store *db, const char *name, struct feedsync_state *st,
    char **body, size_t *len)
{
	const char *params[1] = { name };
	char        sql[sizeof(SQL_FEED_COLS) + sizeof(SQL_FEED_LOAD)];
	PGresult   *res = NULL;
	int         rv;

	memset(st, 0, sizeof(*st));
	if (body != NULL)
		*body = NULL;
	snprintf(sql, sizeof(sql), "%s%s", SQL_FEED_COLS, SQL_FEED_LOAD);
	if ((rv = store_query(
	         db, "feeds: load state", sql, 1, params, NULL, NULL, &res))
	    != 0)
		return rv;
	if (PQntuples(res) == 0)
		rv = MOD_ENOENT;
	else {
		store_feeds_state(res, 0, st);
		if (body != NULL)
			store_feeds_body(res, 10, body, len);
	}
	PQclear(res);
	return rv;
}

int
store_feed_failed(
    struct store *db, const char *name, const char *url, const char *error)
{
	char       *err = store_text(error, MOD_MAX_ERR_BYTES);
	const char *params[3] = { name, url, err };
	int         rv;

	rv = store_exec(db, "feeds: record error", SQL_FEED_FAILED, 3, params);
	free(err);
	return rv;
}

int
store_feed_unchanged(struct store *db, const char *name, const char *url,
    const char *etag, const char *last_modified)
{
	const char *params[4] = { name, url, etag, last_modified };

	return store_exec(
	    db, "feeds: record not modified", SQL_FEED_UNCHANGED, 4, params);
}

int
store_feed_updated(struct store *db, const struct feedsync_state *st,
    const void *body, size_t len)
{
	char        entries[24];
	const char *params[8];
	int         lengths[8] = { 0 }, formats[8] = { 0 };
	PGresult   *res = NULL;
	int         rv;

	if (len > (size_t) INT32_MAX)
		return MOD_ETOOBIG;
	snprintf(entries, sizeof(entries), "%" PRId64, st->entries);
	params[0] = st->name;
	params[1] = st->url;
	params[2] = st->etag;
	params[3] = st->last_modified;
	params[4] = st->content_sha256;
	params[5] = st->revision;
	params[6] = entries;
	params[7] = body;
	lengths[7] = (int) len;
	formats[7] = 1;
	rv = store_query(db, "feeds: record update", SQL_FEED_UPDATED, 8,
	    params, lengths, formats, &res);
	PQclear(res);
	return rv;
}

int
store_feeds_list(struct store *db, struct feedsync_state **v, size_t *n)
{
	char      sql[sizeof(SQL_FEED_COLS) + sizeof(SQL_FEED_LIST)];
	PGresult *res = NULL;
	int       rv, i;

	*v = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "%s%s", SQL_FEED_COLS, SQL_FEED_LIST);
	if ((rv = store_query(
	         db, "feeds: list", sql, 0, NULL, NULL, NULL, &res))
	    != 0)
		return rv;
	*v = xcalloc((size_t) PQntuples(res) + 1, sizeof(**v));
	for (i = 0; i < PQntuples(res); i++)
		store_feeds_state(res, i, &(*v)[i]);
	*n = (size_t) PQntuples(res);
	PQclear(res);
	return 0;
}

/* --- what the diff reads ---------------------------------------------- */

int
store_blocks_current(struct store *db, struct feed_current **v, size_t *n)
{
	PGresult *res = NULL;
	int       rv, i;

	*v = NULL;
	*n = 0;
	if ((rv = store_query(db, "feeds: current blocks", SQL_BLOCKS_CURRENT,
	         0, NULL, NULL, NULL, &res))
	    != 0)
		return rv;
	*v = xcalloc((size_t) PQntuples(res) + 1, sizeof(**v));
	for (i = 0; i < PQntuples(res); i++) {
		(*v)[i].domain = store_feeds_str(res, i, 0);
		(*v)[i].severity = store_feeds_sev(res, i, 1);
		(*v)[i].reject_media = store_feeds_bool(res, i, 2);
		(*v)[i].reject_reports = store_feeds_bool(res, i, 3);
		(*v)[i].created_by_moderd = store_feeds_bool(res, i, 4);
		(*v)[i].feeds = store_feeds_str(res, i, 5);
	}
	*n = (size_t) PQntuples(res);
	PQclear(res);
	return 0;
}

void
store_blocks_free(struct feed_current *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free((char *) (uintptr_t) v[i].domain);
		free((char *) (uintptr_t) v[i].feeds);
	}
	free(v);
}

static enum feed_change_kind
store_feeds_kind(const char *s)
{
	if (strcmp(s, "retract") == 0)
		return FEED_CHANGE_RETRACT;
	return strcmp(s, "change") == 0 ? FEED_CHANGE_CHANGE : FEED_CHANGE_ADD;
}

int
store_feed_rejections(struct store *db, struct feed_rejection **v, size_t *n)
{
	PGresult *res = NULL;
	int       rv, i;

	*v = NULL;
	*n = 0;
	if ((rv = store_query(db, "feeds: rejections", SQL_REJECTIONS, 0, NULL,
	         NULL, NULL, &res))
	    != 0)
		return rv;
	*v = xcalloc((size_t) PQntuples(res) + 1, sizeof(**v));
	for (i = 0; i < PQntuples(res); i++) {
		(*v)[i].domain = store_feeds_str(res, i, 0);
		(*v)[i].kind = store_feeds_kind(PQgetvalue(res, i, 1));
		(*v)[i].fingerprint = store_feeds_str(res, i, 2);
	}
	*n = (size_t) PQntuples(res);
	PQclear(res);
	return 0;
}

void
store_rejections_free(struct feed_rejection *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free((char *) (uintptr_t) v[i].domain);
		free((char *) (uintptr_t) v[i].fingerprint);
	}
	free(v);
}

int
store_known_domains(struct store *db, char ***v, size_t *n)
{
	PGresult *res = NULL;
	int       rv, i;

	*v = NULL;
	*n = 0;
	if ((rv = store_query(db, "feeds: known domains", SQL_KNOWN, 0, NULL,
	         NULL, NULL, &res))
	    != 0)
		return rv;
	*v = xcalloc((size_t) PQntuples(res) + 1, sizeof(**v));
	for (i = 0; i < PQntuples(res); i++)
		(*v)[i] = store_feeds_str(res, i, 0);
	*n = (size_t) PQntuples(res);
	PQclear(res);
	return 0;
}

void
store_strings_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

/* --- what we publish -------------------------------------------------- */

static void
store_feeds_entry(const PGresult *res, int row, struct feed_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->domain = store_feeds_str(res, row, 0);
	e->severity = store_feeds_sev(res, row, 1);
	e->reject_media = store_feeds_bool(res, row, 2);
	e->reject_reports = store_feeds_bool(res, row, 3);
	e->public_comment = store_feeds_str(res, row, 4);
	e->obfuscate = store_feeds_bool(res, row, 5);
	e->line = row + 1;
}

int
store_blocks_published(struct store *db, struct feed_list *out)
{
	PGresult *res = NULL;
	int       rv, i;

	if ((rv = store_query(db, "feeds: published blocks", SQL_PUBLISHED, 0,
	         NULL, NULL, NULL, &res))
	    != 0)
		return rv;
	out->v = xcalloc((size_t) PQntuples(res) + 1, sizeof(*out->v));
	for (i = 0; i < PQntuples(res); i++)
		store_feeds_entry(res, i, &out->v[i]);
	out->n = (size_t) PQntuples(res);
	out->format = FEED_FMT_MASTODON_CSV;
	PQclear(res);
	return 0;
}

static void
store_feeds_change(const PGresult *res, int row, struct feed_change_record *r)
{
	const char *kind = PQgetvalue(res, row, 2);

	memset(r, 0, sizeof(*r));
	r->id = store_feeds_i64(res, row, 0, 0);
	r->at_ms = store_feeds_i64(res, row, 1, 0);
	r->kind = store_feeds_kind(kind);
	r->domain = store_feeds_str(res, row, 3);
	r->severity = store_feeds_sev(res, row, 4);
	r->reject_media = store_feeds_bool(res, row, 5);
	r->reject_reports = store_feeds_bool(res, row, 6);
	r->obfuscate = store_feeds_bool(res, row, 7);
	r->public_comment = store_feeds_str(res, row, 8);
}

int
store_block_changes(struct store *db, int64_t cursor, size_t limit,
    struct feed_change_record **v, size_t *n)
{
	char        c[24], l[24];
	const char *params[2] = { c, l };
	PGresult   *res = NULL;
	int         rv, i;

	*v = NULL;
	*n = 0;
	if (limit == 0 || limit > MOD_MAX_FEED_CHANGES_PAGE_COUNT + 1)
		limit = MOD_MAX_FEED_CHANGES_PAGE_COUNT + 1;
	snprintf(c, sizeof(c), "%" PRId64, cursor);
	snprintf(l, sizeof(l), "%zu", limit);
	if ((rv = store_query(db, "feeds: change feed", SQL_CHANGES, 2, params,
	         NULL, NULL, &res))
	    != 0)
		return rv;
	*v = xcalloc((size_t) PQntuples(res) + 1, sizeof(**v));
	for (i = 0; i < PQntuples(res); i++)
		store_feeds_change(res, i, &(*v)[i]);
	*n = (size_t) PQntuples(res);
	PQclear(res);
	return 0;
}

void
store_changes_free(struct feed_change_record *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free((char *) (uintptr_t) v[i].domain);
		free((char *) (uintptr_t) v[i].public_comment);
	}
	free(v);
}

/* --- keeping blocks in step with the queue ----------------------------- */

/* store_block_retract: delete the block of domain, logging what it was. */
static int
store_block_retract(struct store *db, const char *proposal, const char *domain)
{
	char        sev[16] = "";
	const char *p1[1] = { domain };
	const char *p3[3] = { proposal, "retract", NULL };
	int         rv;

	rv = store_query_value(db, "feeds: block severity", SQL_BLOCK_SEVERITY,
	    1, p1, sev, sizeof(sev));
	if (rv == MOD_ENOENT)
		return 0; /* already gone: nothing to publish */
	if (rv != 0)
		return rv;
	p3[2] = sev;
	if ((rv = store_exec(
	         db, "feeds: block change", SQL_APPLY_CHANGE, 3, p3))
	    != 0)
		return rv;
	return store_exec(db, "feeds: block delete", SQL_APPLY_DELETE, 1, p1);
}

int
store_block_apply(
    struct store *db, int64_t proposal_id, const char *mastodon_id)
{
	char        id[24];
	const char *p1[1] = { id }, *p2[2] = { id, mastodon_id };
	const char *p3[3] = { id, NULL, NULL };
	PGresult   *res = NULL;
	int         rv;

	snprintf(id, sizeof(id), "%" PRId64, proposal_id);
	if ((rv = store_query(db, "feeds: applied proposal", SQL_APPLY_SELECT,
	         1, p1, NULL, NULL, &res))
	    != 0)
		goto out;
	if (PQntuples(res) == 0) {
		rv = MOD_ENOENT;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "unblock") == 0) {
		rv = store_block_retract(db, id, PQgetvalue(res, 0, 0));
		goto out;
	}
	p3[1] = store_feeds_bool(res, 0, 2) ? "change" : "add";
	if ((rv = store_exec(
	         db, "feeds: block upsert", SQL_APPLY_UPSERT, 2, p2))
	    == 0)
		rv = store_exec(
		    db, "feeds: block change", SQL_APPLY_CHANGE, 3, p3);
out:
	PQclear(res);
	return rv;
}
