/*
 * audit.h - the append-only, SHA-256-chained audit trail.
 *
 * Every row stores prev_hash (the hash of the row before it, 64 zeros for
 * the first) and hash = SHA-256 over prev_hash and a canonical text of the
 * row (id, time, actor, action, target, proposal, reason, evidence
 * reference, revision; see audit_row_hash in store_schema.c).  The hash is
 * computed by the server while it holds the lock on the single-row
 * audit_head table, so concurrent writers serialise and the chain has no
 * forks.  A trigger refuses UPDATE, DELETE and TRUNCATE on the table.
 *
 * Lock order: a transaction that will append audit rows calls
 * audit_lock() first, before it changes any other row, so that every
 * writer takes the same locks in the same order and none deadlocks.
 */
#ifndef MODERD_AUDIT_H
#define MODERD_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "moderd.h"
#include "store.h"

/*
 * audit_lock: lock the head of the chain until the end of the caller's
 * transaction.  Returns 0 or MOD_EDB.
 */
int audit_lock(struct store *db) MOD_MUSTCHECK;

/*
 * audit_append: append one row, inside the caller's transaction (the row
 * is only durable when the caller commits).  actor and action are
 * required; the other strings may be NULL; proposal_id <= 0 means none.
 * Strings are borrowed, stored as valid UTF-8 and cut at
 * MOD_MAX_AUDIT_TEXT_BYTES.  Returns 0, MOD_EINVAL (actor or action
 * missing) or MOD_EDB.
 */
int audit_append(struct store *db, const char *actor, const char *action,
    const char *target_type, const char *target_id, int64_t proposal_id,
    const char *reason, const char *evidence_ref,
    const char *revision) MOD_MUSTCHECK;

/*
 * audit_verify: recompute the whole chain, independently of the server's
 * hash function (here, with libsodium), in one read-only snapshot; call it
 * outside a transaction.  Returns 0 if every row links to the previous
 * one, every hash matches its row and audit_head names the last row;
 * MOD_EINVAL if not, with *first_bad_id the first row that does not
 * verify (or, when rows are missing at the end, the id the head names);
 * MOD_EDB on a database error.  *rows (may be NULL) counts rows checked.
 */
int audit_verify(
    struct store *db, int64_t *first_bad_id, int64_t *rows) MOD_MUSTCHECK;

/* --- listing and export (audit.c) -------------------------------------- */

/* Which rows audit_list() returns; zero-initialise, then set. */
struct audit_filter {
	int64_t     since_ms; /* at >= since; INT64_MIN: no bound */
	int64_t     until_ms; /* at < until; INT64_MIN: no bound */
	const char *actor; /* exact; NULL: any */
	const char *action; /* exact; NULL: any */
	const char *q; /* substring of target_id or reason; NULL: any */
	int64_t     proposal_id; /* 0: any */
	int64_t     before_id; /* keyset cursor: id < before_id; 0: none */
	int         limit; /* 1..MOD_MAX_AUDIT_LIST_COUNT */
};

/*
 * audit_list: the rows f selects, newest first, at most f->limit, as a
 * new JSON array of audit_row_json() objects (*rows, caller decrefs).
 * *next_before is the cursor of the next page (the last row's id), or 0
 * when this page is the last.  Returns 0, MOD_EINVAL (bad limit) or
 * MOD_EDB (*rows is NULL).
 */
int audit_list(struct store *db, const struct audit_filter *f, json_t **rows,
    int64_t *next_before) MOD_MUSTCHECK;

enum audit_format { AUDIT_FMT_JSONL, AUDIT_FMT_CSV };

/* What audit_export() writes; zero-initialise, then set. */
struct audit_export_req {
	int64_t           since_ms; /* at >= since; INT64_MIN: no bound */
	int64_t           until_ms; /* at < until; INT64_MIN: no bound */
	int64_t           after_id; /* only rows with a larger id; 0: all */
	enum audit_format fmt;
	bool              page; /* a page: stop where out's cap is reached */
};

/*
 * audit_export: append the rows rq selects, oldest first, to out: JSON
 * lines of audit_row_json(), or CSV (the AUDIT_CSV_HEADER line first
 * when rq->after_id is 0).  Rows are read in pages of
 * MOD_AUDIT_VERIFY_PAGE_COUNT in one read-only snapshot (call it
 * outside a transaction), so memory is bounded by out's cap.  Without
 * rq->page, an export that does not fit under the cap is MOD_ETOOBIG
 * (out then holds a prefix).  With it, the export stops before the
 * first row that would not fit: ask again after the last id written (a
 * row alone over the cap is still MOD_ETOOBIG).  Returns 0, MOD_ETOOBIG
 * or MOD_EDB.
 */
int audit_export(struct store *db, const struct audit_export_req *rq,
    struct buf *out) MOD_MUSTCHECK;

/* --- rows, hashes and the chain (audit_chain.c, no database) ----------- */

#define AUDIT_HASH_HEX_LEN 64
/* The first row's prev_hash. */
#define AUDIT_ZERO_HASH                                                       \
	"0000000000000000000000000000000000000000000000000000000000000000"
/* The first line of a CSV export. */
#define AUDIT_CSV_HEADER                                                      \
	"id,at,actor,action,target_type,target_id,proposal_id,reason,"        \
	"evidence_ref,revision,prev_hash,hash"

/* The hashed fields of a row after id and time, in canonical order. */
enum audit_field {
	AUDIT_F_ACTOR,
	AUDIT_F_ACTION,
	AUDIT_F_TARGET_TYPE,
	AUDIT_F_TARGET_ID,
	AUDIT_F_PROPOSAL, /* decimal, no length prefix */
	AUDIT_F_REASON,
	AUDIT_F_EVIDENCE_REF,
	AUDIT_F_REVISION,
	AUDIT_F_COUNT
};

/* audit_field_name: the column name of field f ("target_id"). */
const char *audit_field_name(enum audit_field f);

/*
 * One audit row as text, as stored.  Strings are borrowed (from a
 * result or a JSON object); NULL stands for SQL NULL.  at_text is the
 * time exactly as hashed: "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds,
 * UTC), which is also how the API writes an audit row's "at".
 */
struct audit_row {
	int64_t     id;
	const char *id_text; /* decimal, as PostgreSQL writes a bigint */
	const char *at_text;
	const char *fields[AUDIT_F_COUNT];
	const char *prev_hash;
	const char *hash;
};

/*
 * audit_hash_row: the hex SHA-256 a row must carry: over prev_hash and
 * the row's canonical text, byte-identical to the schema's
 * audit_row_hash().  libsodium must be initialised (sodium_init()).
 */
void audit_hash_row(
    const struct audit_row *r, char out[AUDIT_HASH_HEX_LEN + 1]);

/* Walking a chain from its first row; audit_chain_init() first. */
struct audit_chain {
	char    prev[AUDIT_HASH_HEX_LEN + 1]; /* hash of the last good row */
	int64_t last_id; /* 0 before the first row */
	int64_t rows; /* rows seen, the bad one included */
};

/* audit_chain_init: start at the beginning (prev = AUDIT_ZERO_HASH).
 * Returns 0, or MOD_EINTERNAL if libsodium cannot be initialised. */
int audit_chain_init(struct audit_chain *ch) MOD_MUSTCHECK;

/*
 * audit_chain_step: check the next row r: its id follows the last one,
 * its prev_hash is the last row's hash, and its hash matches its
 * contents.  Returns 0 and advances, or MOD_EINVAL with *why (static
 * text) saying what is wrong; the chain is then not advanced.
 */
int audit_chain_step(struct audit_chain *ch, const struct audit_row *r,
    const char **why) MOD_MUSTCHECK;

/* audit_row_json: r as the API's audit row object (new reference). */
json_t *audit_row_json(const struct audit_row *r);

/*
 * audit_row_from_json: the row an audit_row_json() object o describes,
 * its strings borrowed from o; id_text and pid_text (24 bytes each) hold
 * the decimal id and proposal id.  Returns 0, or MOD_EINVAL if a member
 * is missing or has the wrong type.
 */
int audit_row_from_json(const json_t *o, struct audit_row *r, char id_text[24],
    char pid_text[24]) MOD_MUSTCHECK;

/* audit_row_csv: append r as one CSV line (RFC 4180 quoting, NULL as
 * an empty field, CRLF-free: "\n" ends the line).  0 or MOD_ETOOBIG. */
int audit_row_csv(const struct audit_row *r, struct buf *out) MOD_MUSTCHECK;

#endif /* MODERD_AUDIT_H */
