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
 * built by audit_hash_row() must stay byte-identical to audit_row_hash in
 * store_schema.c; the tests check that freshly written rows verify.
 *
 * What it deliberately does not do: anchor the head hash outside the
 * database (an attacker who can rewrite every row and the head can
 * rebuild a consistent chain; exporting the head hash is how an operator
 * pins it), and export (that is moderctl's job, issue 5).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "audit.h"
#include "log.h"
#include "util.h"

static const char SQL_LOCK_AUDIT_HEAD[]
    = "SELECT hash FROM audit_head WHERE one FOR UPDATE";
static const char SQL_INSERT_AUDIT[]
    = "WITH h AS (SELECT hash FROM audit_head WHERE one FOR UPDATE),"
      " r AS (SELECT nextval('audit_id_seq') AS id,"
      "  clock_timestamp() AS at, h.hash AS prev FROM h),"
      " ins AS (INSERT INTO audit (id, at, actor, action, target_type,"
      "  target_id, proposal_id, reason, evidence_ref, revision,"
      "  prev_hash, hash)"
      "  SELECT r.id, r.at, $1::text, $2::text, $3::text, $4::text,"
      "   $5::bigint, $6::text, $7::text, $8::text, r.prev,"
      "   audit_row_hash(r.prev, r.id, r.at, $1::text, $2::text, $3::text,"
      "    $4::text, $5::bigint, $6::text, $7::text, $8::text)"
      "  FROM r RETURNING id, hash)"
      " UPDATE audit_head SET last_id = ins.id, hash = ins.hash FROM ins"
      " WHERE audit_head.one RETURNING ins.id";
static const char SQL_BEGIN_SNAPSHOT[]
    = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
static const char SQL_SELECT_AUDIT_HEAD[]
    = "SELECT last_id, hash FROM audit_head WHERE one";
static const char SQL_SELECT_AUDIT_PAGE[]
    = "SELECT id, to_char(at AT TIME ZONE 'UTC',"
      " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at_text, actor, action,"
      " target_type, target_id, proposal_id, reason, evidence_ref,"
      " revision, prev_hash, hash"
      " FROM audit WHERE id > $1::bigint ORDER BY id LIMIT $2::integer";

/* The first row's prev_hash. */
#define AUDIT_ZERO_HASH                                                       \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_HASH_HEX_LEN 64

/* Column names of audit_row.fields, in canonical order. */
static const char *const audit_field_cols[]
    = { "actor", "action", "target_type", "target_id", "proposal_id", "reason",
	      "evidence_ref", "revision" };

/* Index of proposal_id in audit_field_cols: a number or ~, no length. */
#define AUDIT_COL_PROPOSAL 4

/* Columns of one audit row, borrowed from a result. */
struct audit_row {
	int64_t     id;
	const char *id_text;
	const char *at_text;
	const char *fields[nitems(audit_field_cols)];
	const char *prev_hash;
	const char *hash;
};

/* State carried across pages while verifying. */
struct audit_walk {
	int64_t head_id;
	char    head_hash[AUDIT_HASH_HEX_LEN + 1];
	char    prev[AUDIT_HASH_HEX_LEN + 1];
	int64_t last_id;
	bool    head_seen;
	int64_t rows;
	int64_t bad_id;
};

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
	char       *p[nitems(in)] = { NULL };
	char        pid[24];
	PGresult   *res = NULL;
	size_t      i;
	int         rv;

	if (actor == NULL || action == NULL)
		return MOD_EINVAL;
	for (i = 0; i < nitems(in); i++)
		p[i] = store_text(in[i], MOD_MAX_AUDIT_TEXT_BYTES);
	if (proposal_id > 0) {
		snprintf(pid, sizeof(pid), "%" PRId64, proposal_id);
		p[AUDIT_COL_PROPOSAL] = xstrdup(pid);
	}
	rv = store_query(db, "audit: append", SQL_INSERT_AUDIT,
	    (int) nitems(p), (const char *const *) p, NULL, NULL, &res);
	if (rv == 0 && PQntuples(res) != 1) {
		log_warnx("audit: could not append: audit_head is empty");
		rv = MOD_EDB;
	}
	store_clear(res);
	for (i = 0; i < nitems(p); i++)
		free(p[i]);
	return rv;
}

static void
audit_hash_raw(crypto_hash_sha256_state *st, const char *s)
{
	crypto_hash_sha256_update(st, (const unsigned char *) s, strlen(s));
}

/* audit_hash_field: "|" and the canonical form of one text field: "~"
 * for NULL, else BYTES:VALUE (audit_field() in the schema). */
static void
audit_hash_field(crypto_hash_sha256_state *st, const char *v)
{
	char len[24];

	audit_hash_raw(st, "|");
	if (v == NULL) {
		audit_hash_raw(st, "~");
		return;
	}
	snprintf(len, sizeof(len), "%zu:", strlen(v));
	audit_hash_raw(st, len);
	audit_hash_raw(st, v);
}

/* audit_hash_row: hex SHA-256 of prev_hash and the row's canonical text. */
static void
audit_hash_row(const struct audit_row *r, char out[AUDIT_HASH_HEX_LEN + 1])
{
	crypto_hash_sha256_state st;
	unsigned char            h[crypto_hash_sha256_BYTES];
	size_t                   i;

	crypto_hash_sha256_init(&st);
	audit_hash_raw(&st, r->prev_hash);
	audit_hash_raw(&st, "|moderd-audit-1|");
	audit_hash_raw(&st, r->id_text);
	audit_hash_raw(&st, "|");
	audit_hash_raw(&st, r->at_text);
	for (i = 0; i < nitems(audit_field_cols); i++) {
		if (i == AUDIT_COL_PROPOSAL) {
			audit_hash_raw(&st, "|");
			audit_hash_raw(&st, r->fields[i] ? r->fields[i] : "~");
		} else
			audit_hash_field(&st, r->fields[i]);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, AUDIT_HASH_HEX_LEN + 1, h, sizeof(h));
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
	for (j = 0; j < nitems(audit_field_cols); j++)
		r->fields[j] = audit_col(res, i, audit_field_cols[j]);
	if (r->id_text == NULL || r->at_text == NULL || r->prev_hash == NULL
	    || r->hash == NULL)
		return MOD_EINVAL;
	return mod_strtonum(r->id_text, 1, INT64_MAX, &r->id);
}

/* audit_check_row: advance the walk over one row; false if it is bad. */
static bool
audit_check_row(struct audit_walk *w, const struct audit_row *r)
{
	char want[AUDIT_HASH_HEX_LEN + 1];

	w->rows++;
	if (r->id > w->head_id || strcmp(r->prev_hash, w->prev) != 0)
		return false;
	audit_hash_row(r, want);
	if (strcmp(want, r->hash) != 0)
		return false;
	if (r->id == w->head_id) {
		if (strcmp(r->hash, w->head_hash) != 0)
			return false;
		w->head_seen = true;
	}
	mod_strlcpy(w->prev, r->hash, sizeof(w->prev));
	w->last_id = r->id;
	return true;
}

/* audit_verify_page: check the next page; *more false at the end. */
static int
audit_verify_page(struct store *db, struct audit_walk *w, bool *more)
{
	PGresult        *res = NULL;
	struct audit_row r;
	char             after[24], limit[16];
	const char      *params[2] = { after, limit };
	int              i, n, rv;

	*more = false;
	snprintf(after, sizeof(after), "%" PRId64, w->last_id);
	snprintf(limit, sizeof(limit), "%d", MOD_AUDIT_VERIFY_PAGE_COUNT);
	rv = store_query(db, "audit: verify", SQL_SELECT_AUDIT_PAGE, 2, params,
	    NULL, NULL, &res);
	if (rv != 0)
		goto out;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (audit_row_read(res, i, &r) != 0
		    || !audit_check_row(w, &r)) {
			w->bad_id = r.id > 0 ? r.id : w->last_id + 1;
			goto out;
		}
	}
	*more = n == MOD_AUDIT_VERIFY_PAGE_COUNT;
out:
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
	bool              more = true;
	int               rv;

	*first_bad_id = 0;
	if (rows != NULL)
		*rows = 0;
	memset(&w, 0, sizeof(w));
	mod_strlcpy(w.prev, AUDIT_ZERO_HASH, sizeof(w.prev));
	if (sodium_init() < 0)
		return MOD_EINTERNAL;
	rv = store_exec(db, "audit: verify", SQL_BEGIN_SNAPSHOT, 0, NULL);
	if (rv != 0)
		return rv;
	if ((rv = audit_read_head(db, &w)) != 0)
		goto out;
	while (more && rv == 0)
		rv = audit_verify_page(db, &w, &more);
	if (rv == 0)
		rv = audit_walk_end(&w, first_bad_id);
out:
	store_rollback(db);
	if (rows != NULL)
		*rows = w.rows;
	return rv;
}
