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

#include <stdint.h>

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

#endif /* MODERD_AUDIT_H */
