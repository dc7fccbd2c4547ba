/*
 * audit.c - appending to and verifying the hash-chained audit trail.
 *
 * Appending is one statement: it locks audit_head, takes the next id and
 * the time, inserts the row with hash = audit_row_hash(prev, row) (a SQL
 * function defined by the schema) and moves the head to it.  Rows are
 * only ever inserted: there is no UPDATE or DELETE of audit in the tree,
 * and the schema's trigger refuses them anyway.
 *
 * Verifying reads the chain in pages of MOD_AUDIT_VERIFY_PAGE_COUNT rows
 * in one REPEATABLE READ snapshot and recomputes every hash in C, from the
 * stored columns, so a server-side function that was altered cannot vouch
 * for rows it would itself have hashed differently.  The canonical text
 * and the walk live in audit_chain.c, shared with `moderctl audit
 * verify`; the tests check that freshly written rows verify.
 *
 * Listing (GET /v1/audit) is newest first with a keyset cursor (id <
 * cursor), so a page costs the same however deep it is.  Exporting reads
 * the same pages as verifying, oldest first, in one snapshot, into the
 * caller's capped buffer: memory is bounded by that cap, and an export
 * that would pass it fails rather than being cut silently.
 *
 * What it deliberately does not do: anchor the head hash outside the
 * database (an attacker who can rewrite every row and the head can
 * rebuild a consistent chain; exporting the head hash is how an operator
 * pins it).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "audit.h"
#include "log.h"
#include "util.h"

static const char SQL_LOCK_AUDIT_HEAD[]
    = "SELECT hash FROM audit_head WHERE one FOR UPDATE";
/* The append itself is the SQL function audit_append_row() (schema v3,
 * PL/pgSQL since v4), which queue_approve() also calls: one definition of a
 * row's hash and of the head's update.  $9: the cap on each text (already
 * applied here). */
static const char SQL_INSERT_AUDIT[]
    = "SELECT audit_append_row($1::text, $2::text, $3::text, $4::text,"
      " $5::bigint, $6::text, $7::text, $8::text, $9::integer)";
static const char SQL_BEGIN_SNAPSHOT[]
    = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
static const char SQL_SELECT_AUDIT_HEAD[]
    = "SELECT last_id, hash FROM audit_head WHERE one";
/* The columns of a row, with at as hashed (microseconds, UTC). */
#define AUDIT_SQL_COLS                                                        \
	"SELECT id, to_char(at AT TIME ZONE 'UTC',"                           \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at_text, actor, action,"    \
	" target_type, target_id, proposal_id, reason, evidence_ref,"         \
	" revision, prev_hash, hash FROM audit"
/* $1 since, $2 until: milliseconds since the epoch, or NULL. */
#define AUDIT_SQL_RANGE                                                       \
	" ($1::bigint IS NULL OR at >= to_timestamp($1::bigint / 1000.0))"    \
	" AND ($2::bigint IS NULL OR at < to_timestamp($2::bigint / 1000.0))"
static const char SQL_SELECT_AUDIT_PAGE[]
    = AUDIT_SQL_COLS " WHERE" AUDIT_SQL_RANGE " AND id > $3::bigint"
                     " ORDER BY id LIMIT $4::integer";
static const char SQL_SELECT_AUDIT_LIST[] = AUDIT_SQL_COLS
    " WHERE" AUDIT_SQL_RANGE " AND ($3::bigint IS NULL OR id < $3::bigint)"
    " AND ($4::text IS NULL OR actor = $4::text)"
    " AND ($5::text IS NULL OR action = $5::text)"
    " AND ($6::bigint IS NULL OR proposal_id = $6::bigint)"
    " AND ($7::text IS NULL OR strpos(target_id, $7::text) > 0"
    "  OR strpos(reason, $7::text) > 0)"
    " ORDER BY id DESC LIMIT $8::integer";

/* Parameters of SQL_SELECT_AUDIT_LIST, the first four of PAGE. */
enum {
	AUDIT_P_SINCE,
	AUDIT_P_UNTIL,
	AUDIT_P_ID,
	AUDIT_P_ACTOR,
	AUDIT_P_ACTION,
	AUDIT_P_PROPOSAL,
	AUDIT_P_Q,
	AUDIT_P_LIMIT,
	AUDIT_P_COUNT
};

/* $4 of SQL_SELECT_AUDIT_PAGE: the page size. */
#define AUDIT_P_PAGE_LIMIT AUDIT_P_ACTOR

/* Text of the numeric parameters (the strings are borrowed). */
struct audit_params {
	char        num[AUDIT_P_COUNT][24];
	const char *p[AUDIT_P_COUNT];
};

/* State carried across pages while verifying or exporting. */
struct audit_walk {
	int64_t            head_id;
	char               head_hash[AUDIT_HASH_HEX_LEN + 1];
	bool               head_seen;
	int64_t            bad_id;
	struct audit_chain chain;
	/* exporting */
	int64_t           since_ms, until_ms;
	enum audit_format fmt;
	struct buf       *out;
	bool              page; /* stop at out's cap */
	bool              full; /* the page is full: rows remain */
	size_t            written; /* rows in out */
};

/* What to do with each row of a page; non-zero stops the walk. */
typedef int (*audit_row_fn)(struct audit_walk *w, const struct audit_row *r);

/* audit_params_num: parameter i as the decimal v. */
static void
audit_params_num(struct audit_params *ap, int i, int64_t v)
{
	snprintf(ap->num[i], sizeof(ap->num[i]), "%" PRId64, v);
	ap->p[i] = ap->num[i];
}

int
audit_lock(struct store *db)
{
	PGresult *res = NULL;
	int       rv;

	rv = store_query(db, "audit: lock head", SQL_LOCK_AUDIT_HEAD, 0, NULL,
	    NULL, NULL, &res);
	if (rv == 0 && PQntuples(res) != 1) {
		log_warnx("audit: could not lock head: audit_head is empty");
		rv = MOD_EDB;
	}
	store_clear(res);
	return rv;
}

int
audit_append(struct store *db, const char *actor, const char *action,
    const char *target_type, const char *target_id, int64_t proposal_id,
    const char *reason, const char *evidence_ref, const char *revision)
{
	const char *in[8] = { actor, action, target_type, target_id, NULL,
		reason, evidence_ref, revision };
	char       *p[nitems(in) + 1] = { NULL };
	char        pid[24], max[16], id[24];
	size_t      i;
	int         rv;

	if (actor == NULL || action == NULL)
		return MOD_EINVAL;
	for (i = 0; i < nitems(in); i++)
		p[i] = store_text(in[i], MOD_MAX_AUDIT_TEXT_BYTES);
	if (proposal_id > 0) {
		snprintf(pid, sizeof(pid), "%" PRId64, proposal_id);
		p[AUDIT_F_PROPOSAL] = xstrdup(pid);
	}
	snprintf(max, sizeof(max), "%d", MOD_MAX_AUDIT_TEXT_BYTES);
	p[nitems(in)] = xstrdup(max);
	rv = store_query_value(db, "audit: append", SQL_INSERT_AUDIT,
	    (int) nitems(p), (const char *const *) p, id, sizeof(id));
	if (rv == MOD_ENOENT) {
		log_warnx("audit: could not append: audit_head is empty");
		rv = MOD_EDB;
	}
	for (i = 0; i < nitems(p); i++)
		free(p[i]);
	return rv;
}

/* audit_col: value of column name in row i, NULL for SQL NULL. */
static const char *
audit_col(const PGresult *res, int i, const char *name)
{
	int c = PQfnumber(res, name);

	if (c < 0 || PQgetisnull(res, i, c))
		return NULL;
	return PQgetvalue(res, i, c);
}

/* audit_row_read: row i of a page; non-zero if a required column is
 * missing or malformed. */
static int
audit_row_read(const PGresult *res, int i, struct audit_row *r)
{
	size_t j;

	memset(r, 0, sizeof(*r));
	r->id_text = audit_col(res, i, "id");
	r->at_text = audit_col(res, i, "at_text");
	r->prev_hash = audit_col(res, i, "prev_hash");
	r->hash = audit_col(res, i, "hash");
	for (j = 0; j < AUDIT_F_COUNT; j++)
		r->fields[j] = audit_col(res, i, audit_field_name(j));
	if (r->id_text == NULL || r->at_text == NULL || r->prev_hash == NULL
	    || r->hash == NULL)
		return MOD_EINVAL;
	return mod_strtonum(r->id_text, 1, INT64_MAX, &r->id);
}

/* audit_params_init: every parameter NULL but the time range. */
static void
audit_params_init(struct audit_params *ap, int64_t since_ms, int64_t until_ms)
{
	memset(ap, 0, sizeof(*ap));
	if (since_ms != INT64_MIN)
		audit_params_num(ap, AUDIT_P_SINCE, since_ms);
	if (until_ms != INT64_MIN)
		audit_params_num(ap, AUDIT_P_UNTIL, until_ms);
}

/* audit_verify_row: check one row against the chain and the head. */
static int
audit_verify_row(struct audit_walk *w, const struct audit_row *r)
{
	const char *why;

	if (r->id > w->head_id || audit_chain_step(&w->chain, r, &why) != 0)
		goto bad;
	if (r->id == w->head_id) {
		if (strcmp(r->hash, w->head_hash) != 0)
			goto bad;
		w->head_seen = true;
	}
	return 0;
bad:
	w->bad_id = r->id;
	return MOD_EINVAL;
}

/* audit_export_row: append one row in the export's format. */
static int
audit_export_row(struct audit_walk *w, const struct audit_row *r)
{
	json_t *o;
	char   *s;
	int     rv;

	w->chain.rows++;
	if (w->fmt == AUDIT_FMT_CSV)
		rv = audit_row_csv(r, w->out);
	else {
		o = audit_row_json(r);
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (s == NULL)
			return MOD_EINTERNAL;
		rv = buf_printf(w->out, "%s\n", s); /* all or nothing */
		free(s);
	}
	if (rv == MOD_ETOOBIG && w->page && w->written > 0) {
		w->full = true;
		return MOD_ETOOBIG; /* stops the walk; not an error */
	}
	w->written += rv == 0;
	return rv;
}

/*
 * audit_walk_page: hand the rows of the next page (oldest first, after
 * *after) to fn; *more false at the end.  A row that cannot be read is
 * MOD_EINVAL with w->bad_id; fn's non-zero return stops the walk.
 */
static int
audit_walk_page(struct store *db, struct audit_walk *w, audit_row_fn fn,
    int64_t *after, bool *more)
{
	struct audit_params ap;
	struct audit_row    r;
	PGresult           *res = NULL;
	int                 i, n, rv;

	*more = false;
	audit_params_init(&ap, w->since_ms, w->until_ms);
	audit_params_num(&ap, AUDIT_P_ID, *after);
	audit_params_num(&ap, AUDIT_P_PAGE_LIMIT, MOD_AUDIT_VERIFY_PAGE_COUNT);
	rv = store_query(db, "audit: read page", SQL_SELECT_AUDIT_PAGE, 4,
	    ap.p, NULL, NULL, &res);
	n = rv == 0 ? PQntuples(res) : 0;
	for (i = 0; i < n && rv == 0; i++) {
		if (audit_row_read(res, i, &r) != 0) {
			w->bad_id = *after + 1;
			rv = MOD_EINVAL;
		} else if ((rv = fn(w, &r)) == 0)
			*after = r.id;
	}
	*more = rv == 0 && n == MOD_AUDIT_VERIFY_PAGE_COUNT;
	store_clear(res);
	return rv;
}

/* audit_read_head: where the chain should end. */
static int
audit_read_head(struct store *db, struct audit_walk *w)
{
	PGresult   *res = NULL;
	const char *id = NULL, *hash = NULL;
	int         rv;

	rv = store_query(db, "audit: verify", SQL_SELECT_AUDIT_HEAD, 0, NULL,
	    NULL, NULL, &res);
	if (rv != 0)
		goto out;
	if (PQntuples(res) == 1) {
		id = audit_col(res, 0, "last_id");
		hash = audit_col(res, 0, "hash");
	}
	if (id == NULL || hash == NULL
	    || mod_strtonum(id, 0, INT64_MAX, &w->head_id) != 0) {
		log_warnx("audit: could not verify: audit_head is unreadable");
		rv = MOD_EDB;
		goto out;
	}
	mod_strlcpy(w->head_hash, hash, sizeof(w->head_hash));
out:
	store_clear(res);
	return rv;
}

/* audit_walk: every page of rows after the id after, in one read-only
 * snapshot; with head, first read where the chain should end. */
static int
audit_walk(struct store *db, struct audit_walk *w, audit_row_fn fn, bool head,
    int64_t after)
{
	bool more = true;
	int  rv;

	rv = store_exec(db, "audit: snapshot", SQL_BEGIN_SNAPSHOT, 0, NULL);
	if (rv != 0)
		return rv;
	if (head && (rv = audit_read_head(db, w)) != 0)
		goto out;
	while (more && rv == 0)
		rv = audit_walk_page(db, w, fn, &after, &more);
out:
	store_rollback(db);
	return rv;
}

/* audit_walk_end: the verdict once every row has been read. */
static int
audit_walk_end(const struct audit_walk *w, int64_t *first_bad_id)
{
	if (w->bad_id != 0)
		*first_bad_id = w->bad_id;
	else if (w->head_id != 0 && !w->head_seen)
		*first_bad_id = w->head_id; /* rows missing at the end */
	else if (w->head_id == 0 && strcmp(w->head_hash, AUDIT_ZERO_HASH) != 0)
		*first_bad_id = 1; /* an empty chain whose head moved */
	else
		return 0;
	log_warnx("audit: chain broken at row %" PRId64, *first_bad_id);
	return MOD_EINVAL;
}

int
audit_verify(struct store *db, int64_t *first_bad_id, int64_t *rows)
{
	struct audit_walk w;
	int               rv;

	*first_bad_id = 0;
	if (rows != NULL)
		*rows = 0;
	memset(&w, 0, sizeof(w));
	w.since_ms = w.until_ms = INT64_MIN;
	if (audit_chain_init(&w.chain) != 0)
		return MOD_EINTERNAL;
	rv = audit_walk(db, &w, audit_verify_row, true, 0);
	if (rv == 0 || (rv == MOD_EINVAL && w.bad_id != 0))
		rv = audit_walk_end(&w, first_bad_id);
	if (rows != NULL)
		*rows = w.chain.rows;
	return rv;
}

int
audit_export(
    struct store *db, const struct audit_export_req *rq, struct buf *out)
{
	struct audit_walk w;
	int               rv;

	memset(&w, 0, sizeof(w));
	w.since_ms = rq->since_ms;
	w.until_ms = rq->until_ms;
	w.fmt = rq->fmt;
	w.out = out;
	w.page = rq->page;
	if (rq->fmt == AUDIT_FMT_CSV && rq->after_id == 0
	    && (rv = buf_appends(out, AUDIT_CSV_HEADER "\n")) != 0)
		return rv;
	rv = audit_walk(db, &w, audit_export_row, false, rq->after_id);
	if (rv == MOD_ETOOBIG && w.full)
		rv = 0; /* a full page */
	else if (rv == MOD_EINVAL) {
		log_warnx("audit: export: row after %" PRId64 " is unreadable",
		    w.bad_id - 1);
		rv = MOD_EDB;
	}
	return rv;
}

/* audit_list_params: the filter as statement parameters. */
static int
audit_list_params(const struct audit_filter *f, struct audit_params *ap)
{
	if (f->limit < 1 || f->limit > MOD_MAX_AUDIT_LIST_COUNT)
		return MOD_EINVAL;
	audit_params_init(ap, f->since_ms, f->until_ms);
	if (f->before_id > 0)
		audit_params_num(ap, AUDIT_P_ID, f->before_id);
	if (f->proposal_id > 0)
		audit_params_num(ap, AUDIT_P_PROPOSAL, f->proposal_id);
	audit_params_num(
	    ap, AUDIT_P_LIMIT, f->limit + 1); /* one more: is
	                                         there a next page? */
	ap->p[AUDIT_P_ACTOR] = f->actor;
	ap->p[AUDIT_P_ACTION] = f->action;
	ap->p[AUDIT_P_Q] = f->q;
	return 0;
}

int
audit_list(struct store *db, const struct audit_filter *f, json_t **rows,
    int64_t *next_before)
{
	struct audit_params ap;
	struct audit_row    r;
	PGresult           *res = NULL;
	int                 i, n, rv;

	*rows = NULL;
	*next_before = 0;
	if ((rv = audit_list_params(f, &ap)) != 0)
		return rv;
	rv = store_query(db, "audit: list", SQL_SELECT_AUDIT_LIST,
	    AUDIT_P_COUNT, ap.p, NULL, NULL, &res);
	if (rv != 0)
		return rv;
	*rows = json_array();
	n = PQntuples(res);
	for (i = 0; i < n && i < f->limit; i++) {
		if (audit_row_read(res, i, &r) != 0)
			continue; /* cannot happen: the columns are NOT NULL */
		json_array_append_new(*rows, audit_row_json(&r));
		if (n > f->limit)
			*next_before = r.id;
	}
	store_clear(res);
	return 0;
}
