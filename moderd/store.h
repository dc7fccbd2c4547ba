/*
 * store.h - the PostgreSQL connection: open, reconnect, parameterised
 * statements, transactions, schema migrations and users.
 *
 * One struct store is one libpq connection and belongs to one thread at a
 * time (it is not locked).  Every database failure is translated here into
 * MOD_EDB and logged once, with the statement's label and the server's
 * SQLSTATE and primary message (terse: no DETAIL or CONTEXT, which may
 * quote stored values); parameter values are never logged.
 *
 * libpq's types are named by their struct tags (PGconn is struct pg_conn,
 * PGresult is struct pg_result) so that only store.c, queue.c and audit.c
 * include <libpq-fe.h>; other files use the helpers below.
 */
#ifndef MODERD_STORE_H
#define MODERD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moderd.h"

struct store;
struct pg_conn; /* libpq PGconn */
struct pg_result; /* libpq PGresult */

/*
 * store_open: connect with the libpq connection string dsn ("" means
 * libpq's defaults and the PG* environment; borrowed, copied), with
 * client_encoding UTF8, application_name "moderd" unless dsn sets one,
 * connect_timeout MOD_STORE_CONNECT_TIMEOUT_S unless dsn sets one, and
 * statement_timeout stmt_timeout_ms (0 = the server's setting).  On
 * success *out is a new store (caller frees with store_close()).  Returns
 * 0, or MOD_EDB (logged; *out is NULL) if the server cannot be reached.
 */
int store_open(const char *dsn, int64_t stmt_timeout_ms,
    struct store **out) MOD_MUSTCHECK;

/* store_close: disconnect and free.  NULL-safe. */
void store_close(struct store *db);

/*
 * store_ensure: make sure the connection is up.  Returns 0 at once if it
 * is.  If it was lost, reconnects when the backoff delay has passed (it
 * doubles from MOD_STORE_RETRY_MIN_MS to MOD_STORE_RETRY_MAX_MS after each
 * failed attempt and resets on success) and returns 0 once connected
 * again; otherwise returns MOD_EDB without blocking.  A statement that
 * fails because the server went away marks the connection lost.  Any
 * transaction open on the lost connection is gone.
 */
int store_ensure(struct store *db) MOD_MUSTCHECK;

/* store_retry_ms: milliseconds until store_ensure() will next try to
 * reconnect (0 if it would try now or the connection is up). */
int64_t store_retry_ms(const struct store *db);

/* store_ping: store_ensure() plus a round trip ("SELECT 1"): 0 or
 * MOD_EDB.  For /healthz. */
int store_ping(struct store *db) MOD_MUSTCHECK;

/*
 * store_server_ping: whether a server accepts connections at dsn, without
 * logging in (libpq PQping).  0 if it does, MOD_EDB otherwise.  Needs no
 * struct store; thread-safe.
 */
int store_server_ping(const char *dsn) MOD_MUSTCHECK;

/*
 * store_exec: run one statement with n text parameters (params[i] may be
 * NULL for SQL NULL; all borrowed) that returns no rows
 * (PGRES_COMMAND_OK).  `what` labels the statement in the log ("queue:
 * insert proposal").  Returns 0 or MOD_EDB.
 */
int store_exec(struct store *db, const char *what, const char *sql, int n,
    const char *const *params) MOD_MUSTCHECK;

/*
 * store_query: as store_exec() for a statement that returns rows
 * (PGRES_TUPLES_OK).  On success *res is the result (caller frees with
 * store_clear()); on failure *res is NULL.  lengths and formats may be
 * NULL (all text); otherwise formats[i] == 1 passes params[i] as binary
 * of lengths[i] bytes.
 */
int store_query(struct store *db, const char *what, const char *sql, int n,
    const char *const *params, const int *lengths, const int *formats,
    struct pg_result **res) MOD_MUSTCHECK;

/*
 * store_query_value: run a query and copy the first column of its first
 * row into out (NUL-terminated).  Returns 0, MOD_ENOENT (no row, or the
 * value is NULL; out is ""), MOD_ETOOBIG (does not fit in outsz; out is
 * "") or MOD_EDB.
 */
int store_query_value(struct store *db, const char *what, const char *sql,
    int n, const char *const *params, char *out, size_t outsz) MOD_MUSTCHECK;

/* store_clear: free a result from store_query().  NULL-safe. */
void store_clear(struct pg_result *res);

/* store_conn: the libpq connection (borrowed; for queue.c and audit.c). */
struct pg_conn *store_conn(struct store *db);

/* store_sqlstate: SQLSTATE of the last failed statement ("" if none, or
 * if it failed without one, e.g. on a lost connection). */
const char *store_sqlstate(const struct store *db);

/*
 * Transactions.  store_begin() opens one (READ COMMITTED), first rolling
 * back any transaction a failure left open; store_commit() commits it;
 * both return 0 or MOD_EDB.  store_rollback() abandons it; it never
 * fails (there is nothing left to roll back on a lost connection).
 */
int  store_begin(struct store *db) MOD_MUSTCHECK;
int  store_commit(struct store *db) MOD_MUSTCHECK;
void store_rollback(struct store *db);

/*
 * store_text: a new copy of s (NULL gives NULL) that is valid UTF-8
 * without NUL bytes (invalid sequences become U+FFFD) and at most max
 * bytes long, cut on a code point boundary, so that no text taken from
 * an event can make a statement fail.  Caller frees with free().
 */
char *store_text(const char *s, size_t max);

/* --- store_schema.c ---------------------------------------------------- */

/* store_schema_latest: the schema version this binary creates. */
int store_schema_latest(void);

/*
 * store_schema_apply: bring the database schema up to
 * store_schema_latest(), in one transaction holding a transaction-level
 * advisory lock, so that several moderd processes starting together apply
 * each migration once.  Idempotent.  Returns 0, MOD_EDB, or MOD_EINVAL
 * with err saying so if the database has a newer schema than this binary
 * knows (nothing is changed then).  err may be NULL.
 */
int store_schema_apply(struct store *db, struct mod_err *err) MOD_MUSTCHECK;

/* store_schema_version: the database's schema version (0 if none). */
int store_schema_version(struct store *db, int *version) MOD_MUSTCHECK;

/* --- store_users.c ----------------------------------------------------- */

/* Length of a token or a SHA-256 digest in hex, without the NUL. */
#define STORE_TOKEN_HEX_LEN 64

/*
 * store_user_add: create user `name` (1 to MOD_MAX_USER_NAME_BYTES bytes
 * of [A-Za-z0-9._-]) with role "admin", "moderator" or "triage", and a
 * new API token: 32 random bytes (libsodium), written as 64 lowercase hex
 * characters to token_hex_out.  Only store_token_hash() of the token is
 * stored.  The user, the token and an audit row (actor "cli", action
 * "user.add") are written in one transaction.  Returns 0, MOD_EINVAL (bad
 * name or role), MOD_EEXIST (the name is taken) or MOD_EDB; on failure
 * token_hex_out is "".
 */
int store_user_add(struct store *db, const char *name, const char *role,
    char token_hex_out[STORE_TOKEN_HEX_LEN + 1]) MOD_MUSTCHECK;

/*
 * store_token_hash: SHA-256 of the token text as given (the 64 hex
 * characters a client presents), in lowercase hex: the value stored in
 * tokens.token_sha256.  Returns 0 or MOD_EINTERNAL (libsodium failed to
 * initialise).
 */
int store_token_hash(
    const char *token, char hex_out[STORE_TOKEN_HEX_LEN + 1]) MOD_MUSTCHECK;

#endif /* MODERD_STORE_H */
