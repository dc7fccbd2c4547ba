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

/*
 * A statement prepared once per connection (on first use, and again after
 * a reconnect) and run by name.  Declare them as static const tables: the
 * store keeps pointers to them.  name must be unique in the tree; at most
 * MOD_MAX_STORE_PREPARED_COUNT distinct statements per connection.
 */
struct store_stmt {
	const char *name; /* server-side name, e.g. "queue_record" */
	const char *what; /* log label, as for store_exec() */
	const char *sql;
	int         nparams;
	bool        rows; /* returns rows (PGRES_TUPLES_OK), else none */
};

/*
 * Pipelines: statements sent back to back without waiting for each
 * result, so that a batch costs one round trip instead of one per
 * statement.  A failed statement aborts the ones after it (up to the
 * end of the pipeline); inside a transaction, that transaction is then
 * failed and must be rolled back (store_rollback()).
 *
 * Outside a transaction, the statements of a pipeline form ONE implicit
 * transaction: PostgreSQL commits it at the pipeline's sync, before
 * store_pipe_end() returns 0 (so with synchronous_commit it is durable
 * by then), and rolls it all back if any statement fails.
 *
 * store_pipe_begin: start a pipeline.  Returns 0, or MOD_EDB (not
 * connected; no pipeline was started).  After 0, call store_pipe_end()
 * exactly once, whatever store_pipe_send() returns; no other store_*
 * call may be made on db in between.
 *
 * store_pipe_begin_tx: the same, and the pipeline's first statement
 * opens a transaction (as store_begin() does, after rolling back any
 * that a failure left open): the caller commits it (store_commit()) or
 * rolls it back after store_pipe_end().
 *
 * store_pipe_send: queue st with st->nparams parameters (as for
 * store_query(); copied at once, so they may be freed on return),
 * preparing it first if this connection has not.  At most
 * MOD_MAX_STORE_PIPE_COUNT / 2 statements per pipeline.  Returns 0, or
 * MOD_EDB (logged; nothing more is sent in this pipeline).
 *
 * store_pipe_end: send the queued statements, wait for all their
 * results and leave pipeline mode.  res[i] (i < n, n = the number of
 * store_pipe_send() calls that returned 0) is set to the result of the
 * i-th of them when it had its expected status, else NULL; the caller
 * frees each with store_clear().  Returns 0 when every statement had its
 * expected status, else MOD_EDB (the first failure logged).  If the
 * connection is lost, or libpq's results get out of step, the connection
 * is closed (store_ensure() reconnects).
 */
int store_pipe_begin(struct store *db) MOD_MUSTCHECK;
int store_pipe_begin_tx(struct store *db) MOD_MUSTCHECK;
int store_pipe_send(struct store *db, const struct store_stmt *st,
    const char *const *params, const int *lengths,
    const int *formats) MOD_MUSTCHECK;
int store_pipe_end(
    struct store *db, struct pg_result **res, size_t n) MOD_MUSTCHECK;

/*
 * store_query_stmt: run st alone (prepared on first use on this
 * connection, in the same round trip), so a statement run on every
 * request is planned once per connection rather than on every call.
 * Returns 0 with *res its result (caller frees with store_clear()), or
 * MOD_EDB (logged; *res NULL).  Outside a transaction, st is its own.
 */
int store_query_stmt(struct store *db, const struct store_stmt *st,
    const char *const *params, struct pg_result **res) MOD_MUSTCHECK;

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

/* Who a token belongs to (store_token_auth). */
struct store_auth {
	int64_t user_id;
	int64_t token_id;
	char    name[MOD_MAX_USER_NAME_BYTES + 1];
	char    role[16]; /* "admin", "moderator" or "triage" */
};

/*
 * store_token_auth: the user of the presented token (64 hex characters),
 * looked up by store_token_hash().  A token that is malformed, unknown,
 * revoked or past its expires_at, or whose user is disabled, is refused.
 * tokens.last_used_at is updated at most once a minute per token (its own
 * statement, outside any transaction of the caller's).  Returns 0 and
 * fills *out, MOD_EAUTH (refused; *out zeroed) or MOD_EDB.
 */
int store_token_auth(
    struct store *db, const char *token, struct store_auth *out) MOD_MUSTCHECK;

struct json_t; /* jansson */

/*
 * Managing users and tokens through the API (issue 5).  Each change and
 * its audit row (by actor, the admin's name) are written in one
 * transaction that takes audit_lock() first.  The JSON results are new
 * references the caller decrefs; a user is {"name","role","created_at",
 * "disabled_at","tokens":[{"id","created_at","expires_at","revoked_at",
 * "last_used_at"}]} (times ISO 8601 UTC with milliseconds, or null).
 */

/* store_user_list: every user, by name, as a JSON array (*out).  Returns
 * 0, MOD_ETOOBIG (over MOD_MAX_USERS_JSON_BYTES) or MOD_EDB. */
int store_user_list(struct store *db, struct json_t **out) MOD_MUSTCHECK;

/*
 * store_user_create: as store_user_add(), recorded as done by actor, the
 * token expiring ttl_ms from now (0: never).  *user (may be NULL) is the
 * new user.  Returns 0, MOD_EINVAL, MOD_EEXIST or MOD_EDB.
 */
int store_user_create(struct store *db, const char *actor, const char *name,
    const char *role, int64_t ttl_ms,
    char            token_hex_out[STORE_TOKEN_HEX_LEN + 1],
    struct json_t **user) MOD_MUSTCHECK;

/*
 * store_token_new: a new token for user name, expiring ttl_ms from now
 * (0: never); *out is {"id","expires_at"}.  Returns 0, MOD_ENOENT (no
 * such user), MOD_EEXIST (the user is disabled) or MOD_EDB; on failure
 * token_hex_out is "".
 */
int store_token_new(struct store *db, const char *actor, const char *name,
    int64_t ttl_ms, char token_hex_out[STORE_TOKEN_HEX_LEN + 1],
    struct json_t **out) MOD_MUSTCHECK;

/* store_token_revoke: revoke token id; *out is {"id","revoked_at"}.
 * Returns 0, MOD_ENOENT, MOD_EEXIST (already revoked) or MOD_EDB. */
int store_token_revoke(struct store *db, const char *actor, int64_t id,
    struct json_t **out) MOD_MUSTCHECK;

/* store_user_disable: disable user name (its tokens stop working); *out
 * is the user.  Returns 0, MOD_ENOENT, MOD_EEXIST (already disabled) or
 * MOD_EDB. */
int store_user_disable(struct store *db, const char *actor, const char *name,
    struct json_t **out) MOD_MUSTCHECK;

/* --- store_json.c ------------------------------------------------------ */

/* The end of "to_char(COLUMN" STORE_SQL_UTC_MS: a timestamptz as the
 * API writes times, "2026-11-22T10:00:00.000Z" (NULL stays NULL). */
#define STORE_SQL_UTC_MS                                                      \
	" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/*
 * store_query_json: run a query whose first column of its first row is a
 * JSON document (json_build_object, json_agg, ...) of at most max_bytes,
 * and parse it into *out (a new reference).  Returns 0, MOD_ENOENT (no
 * row, or NULL), MOD_ETOOBIG, MOD_EDB, or MOD_EINTERNAL (not JSON: a
 * bug); *out is NULL on failure.
 */
int store_query_json(struct store *db, const char *what, const char *sql,
    int n, const char *const *params, size_t max_bytes,
    struct json_t **out) MOD_MUSTCHECK;

/* --- store_feeds.c (more in feedsync.h) -------------------------------- */

/*
 * store_block_apply: keep table blocks in step with domain proposal
 * proposal_id, which the caller (the dispatcher) is marking applied
 * inside its own transaction (call it there, after audit_lock()).  For
 * a noop/silence/suspend proposal the block of its domain is created or
 * updated from the proposal's fields (severity = action, flags,
 * comments, obfuscate, feeds as "a,b", proposal_id, and mastodon_id when
 * not NULL; a new row is created_by_moderd, an existing one keeps its
 * created_by_moderd and, if moderd did not create it, its feeds); for an
 * unblock the block is deleted (nothing happens if it is already gone).
 * Each change appends one block_changes row (add, change or retract):
 * the published change feed.  Returns 0, MOD_ENOENT (no domain proposal
 * proposal_id) or MOD_EDB.
 */
int store_block_apply(struct store *db, int64_t proposal_id,
    const char *mastodon_id) MOD_MUSTCHECK;

#endif /* MODERD_STORE_H */
