/*
 * test_store.c - store.c, store_schema.c, store_users.c and audit.c
 * against a real throwaway PostgreSQL (harness_pg): connecting, pings,
 * parameters kept verbatim, transactions, statement_timeout, reconnect
 * and backoff across a server restart, pipelines of prepared statements
 * (order, failure, autocommit, restart), migrations (idempotent, refused
 * when newer, safe when two processes race), users and tokens, and the
 * audit trail (append-only, chain verifies, tampering detected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "audit.h"
#include "harness_pg.h"
#include "store.h"
#include "util.h"

/* Per-test state: the group's server and a fresh database. */
struct t {
	struct harness_pg *pg;
	char               dsn[HARNESS_PG_DSN_BYTES];
	struct store      *db;
};

/* t_new: a fresh database and a connection to it. */
static struct t *
t_new(void **state, bool schema)
{
	struct t *t = xcalloc(1, sizeof(*t));

	t->pg = *state;
	assert_int_equal(harness_pg_newdb(t->pg, t->dsn, sizeof(t->dsn)), 0);
	assert_int_equal(store_open(t->dsn, 5000, &t->db), 0);
	if (schema)
		assert_int_equal(store_schema_apply(t->db, NULL), 0);
	return t;
}

static void
t_free(struct t *t)
{
	store_close(t->db);
	free(t);
}

/* q_int: the integer a query with up to two parameters returns. */
static int64_t
q_int(struct store *db, const char *sql, const char *p1, const char *p2)
{
	const char *params[2] = { p1, p2 };
	char        val[64];
	int64_t     v;

	assert_int_equal(store_query_value(db, "test", sql,
	                     p2 ? 2 : (p1 ? 1 : 0), params, val, sizeof(val)),
	    0);
	assert_int_equal(mod_strtonum(val, INT64_MIN, INT64_MAX, &v), 0);
	return v;
}

static void
q_exec(struct store *db, const char *sql)
{
	assert_int_equal(store_exec(db, "test", sql, 0, NULL), 0);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* --- connection ------------------------------------------------------- */

static void
test_open_ping(void **state)
{
	struct t     *t = t_new(state, false);
	struct store *bad = (struct store *) 1;

	assert_int_equal(store_ping(t->db), 0);
	assert_int_equal(store_server_ping(t->dsn), 0);
	assert_int_equal(store_retry_ms(t->db), 0);
	assert_int_equal(
	    store_open("host=/nonexistent/moderd dbname=x", 0, &bad), MOD_EDB);
	assert_null(bad);
	assert_int_equal(
	    store_server_ping("host=/nonexistent/moderd"), MOD_EDB);
	assert_int_equal(q_int(t->db, "SELECT 41 + 1", NULL, NULL), 42);
	/* The session is set up as documented. */
	assert_int_equal(q_int(t->db,
	                     "SELECT (current_setting('statement_timeout') = "
	                     "'5s')::int",
	                     NULL, NULL),
	    1);
	assert_int_equal(q_int(t->db,
	                     "SELECT (current_setting('application_name') = "
	                     "'moderd')::int",
	                     NULL, NULL),
	    1);
	assert_int_equal(q_int(t->db,
	                     "SELECT (current_setting('client_encoding') = "
	                     "'UTF8')::int",
	                     NULL, NULL),
	    1);
	store_close(NULL);
	t_free(t);
}

/* Parameters travel out of line: SQL-looking values come back as is. */
static void
test_params_verbatim(void **state)
{
	static const char *const values[] = {
		"'; DROP TABLE schema_version; --",
		"Robert'); DELETE FROM users WHERE ('a'='a",
		"$1 $2 \\x00 \\' \"quoted\" E'\\n'",
		"1; SELECT pg_sleep(10)",
		"",
	};
	struct t   *t = t_new(state, true);
	const char *params[1];
	char        out[256];
	size_t      i;

	for (i = 0; i < nitems(values); i++) {
		params[0] = values[i];
		assert_int_equal(
		    store_query_value(t->db, "test", "SELECT $1::text", 1,
		        params, out, sizeof(out)),
		    0);
		assert_string_equal(out, values[i]);
	}
	params[0] = NULL; /* SQL NULL */
	assert_int_equal(store_query_value(t->db, "test", "SELECT $1::text", 1,
	                     params, out, sizeof(out)),
	    MOD_ENOENT);
	assert_int_equal(store_query_value(t->db, "test",
	                     "SELECT repeat('x', 100)", 0, NULL, out, 10),
	    MOD_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM schema_version", NULL, NULL),
	    store_schema_latest());
	t_free(t);
}

static void
test_errors(void **state)
{
	struct t *t = t_new(state, false);
	char      out[16];

	assert_int_equal(
	    store_exec(t->db, "test", "SELEC 1", 0, NULL), MOD_EDB);
	assert_string_equal(store_sqlstate(t->db), "42601");
	/* A statement that returns rows is not a store_exec() statement. */
	assert_int_equal(
	    store_exec(t->db, "test", "SELECT 1", 0, NULL), MOD_EDB);
	assert_int_equal(
	    store_query_value(t->db, "test", "SELECT 1/0", 0, NULL, out, 16),
	    MOD_EDB);
	assert_string_equal(store_sqlstate(t->db), "22012");
	assert_int_equal(store_ping(t->db), 0);
	t_free(t);
}

static void
test_transactions(void **state)
{
	struct t *t = t_new(state, false);

	q_exec(t->db, "CREATE TABLE x (v int)");
	assert_int_equal(store_begin(t->db), 0);
	q_exec(t->db, "INSERT INTO x VALUES (1)");
	store_rollback(t->db);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM x", NULL, NULL), 0);
	assert_int_equal(store_begin(t->db), 0);
	q_exec(t->db, "INSERT INTO x VALUES (2)");
	assert_int_equal(store_commit(t->db), 0);
	assert_int_equal(q_int(t->db, "SELECT sum(v) FROM x", NULL, NULL), 2);
	/* A failed transaction cannot be committed... */
	assert_int_equal(store_begin(t->db), 0);
	q_exec(t->db, "INSERT INTO x VALUES (3)");
	assert_int_equal(
	    store_exec(t->db, "test", "INSERT INTO x VALUES ('a')", 0, NULL),
	    MOD_EDB);
	assert_int_equal(store_commit(t->db), MOD_EDB);
	/* ...and store_begin() clears one left open. */
	assert_int_equal(store_begin(t->db), 0);
	assert_int_equal(
	    store_exec(t->db, "test", "INSERT INTO x VALUES ('a')", 0, NULL),
	    MOD_EDB);
	assert_int_equal(store_begin(t->db), 0);
	q_exec(t->db, "INSERT INTO x VALUES (4)");
	assert_int_equal(store_commit(t->db), 0);
	assert_int_equal(q_int(t->db, "SELECT sum(v) FROM x", NULL, NULL), 6);
	store_rollback(t->db); /* nothing open: harmless */
	t_free(t);
}

static void
test_statement_timeout(void **state)
{
	struct t     *t = t_new(state, false);
	struct store *db;
	char          out[16];

	assert_int_equal(store_open(t->dsn, 100, &db), 0);
	assert_int_equal(store_query_value(db, "test", "SELECT pg_sleep(2)", 0,
	                     NULL, out, sizeof(out)),
	    MOD_EDB);
	assert_string_equal(store_sqlstate(db), "57014"); /* query_canceled */
	assert_int_equal(store_ping(db), 0);
	store_close(db);
	t_free(t);
}

/* The server restarts: the next statement fails, store_ensure()
 * reconnects at once, and the session settings are back. */
static void
test_reconnect(void **state)
{
	struct t *t = t_new(state, true);

	assert_int_equal(harness_pg_restart(t->pg), 0);
	assert_int_equal(
	    store_exec(t->db, "test", "SET search_path = public", 0, NULL),
	    MOD_EDB);
	assert_int_equal(store_ensure(t->db), 0);
	assert_int_equal(store_ping(t->db), 0);
	assert_int_equal(q_int(t->db,
	                     "SELECT (current_setting('statement_timeout') = "
	                     "'5s')::int",
	                     NULL, NULL),
	    1);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM schema_version", NULL, NULL),
	    store_schema_latest());
	t_free(t);
}

/* --- pipelines --------------------------------------------------------- */

static const struct store_stmt stmt_ins = { "test_ins", "test: insert",
	"INSERT INTO x VALUES ($1::int) RETURNING v * 10", 1, true };
static const struct store_stmt stmt_upd = { "test_upd", "test: update",
	"UPDATE x SET v = v WHERE v = $1::int", 1, false };

/* pipe_ins: one pipeline inserting vals (n <= 4) then an update of the
 * first; res gets n + 1 results.  Returns store_pipe_end()'s answer. */
static int
pipe_ins(struct store *db, bool tx, const char *const *vals, size_t n,
    PGresult **res)
{
	size_t i;

	assert_int_equal(
	    tx ? store_pipe_begin_tx(db) : store_pipe_begin(db), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(
		    store_pipe_send(db, &stmt_ins, &vals[i], NULL, NULL), 0);
	assert_int_equal(store_pipe_send(db, &stmt_upd, vals, NULL, NULL), 0);
	return store_pipe_end(db, res, n + 1);
}

static void
pipe_clear(PGresult **res, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_clear(res[i]);
}

/* Statements sent back to back: results in order, a failure aborts the
 * rest and the transaction, autocommit without tx, and a restart in
 * between (statements are prepared again on the new connection). */
static void
test_pipeline(void **state)
{
	static const char *const ok[] = { "1", "2", "3" };
	static const char *const bad[] = { "4", "200", "5" };
	static const char *const more[] = { "7" };
	struct t                *t = t_new(state, false);
	PGresult                *res[4];
	size_t                   i;

	q_exec(t->db, "CREATE TABLE x (v int CHECK (v < 100))");
	assert_int_equal(pipe_ins(t->db, true, ok, 3, res), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(atoi(PQgetvalue(res[i], 0, 0)), 10 * (i + 1));
	assert_non_null(res[3]); /* the update: no rows, but a result */
	pipe_clear(res, 4);
	assert_int_equal(store_commit(t->db), 0);
	assert_int_equal(q_int(t->db, "SELECT sum(v) FROM x", NULL, NULL), 6);
	/* The second insert fails: it and everything after it are lost. */
	assert_int_equal(pipe_ins(t->db, true, bad, 3, res), MOD_EDB);
	assert_string_equal(store_sqlstate(t->db), "23514");
	assert_non_null(res[0]);
	assert_true(res[1] == NULL && res[2] == NULL && res[3] == NULL);
	pipe_clear(res, 4);
	assert_int_equal(store_commit(t->db), MOD_EDB);
	assert_int_equal(q_int(t->db, "SELECT sum(v) FROM x", NULL, NULL), 6);
	/* Without tx each statement commits on its own. */
	assert_int_equal(pipe_ins(t->db, false, more, 1, res), 0);
	pipe_clear(res, 2);
	assert_int_equal(q_int(t->db, "SELECT sum(v) FROM x", NULL, NULL), 13);
	/* Across a restart: one failure, then a new, working session. */
	assert_int_equal(harness_pg_restart(t->pg), 0);
	assert_int_equal(pipe_ins(t->db, true, more, 1, res), MOD_EDB);
	pipe_clear(res, 2);
	assert_int_equal(store_ensure(t->db), 0);
	assert_int_equal(pipe_ins(t->db, true, more, 1, res), 0);
	pipe_clear(res, 2);
	assert_int_equal(store_commit(t->db), 0);
	assert_int_equal(store_ping(t->db), 0);
	assert_int_equal(q_int(t->db, "SELECT sum(v) FROM x", NULL, NULL), 20);
	t_free(t);
}

/* While the server is down, attempts are spaced by a doubling delay and
 * store_ensure() never blocks; once it is back, the store recovers. */
static void
test_backoff(void **state)
{
	struct t *t = t_new(state, false);
	int64_t   d1, d2;
	int       i;

	assert_int_equal(harness_pg_halt(t->pg), 0);
	assert_int_equal(store_ping(t->db), MOD_EDB); /* notices the loss */
	assert_int_equal(store_ensure(t->db), MOD_EDB); /* first try fails */
	d1 = store_retry_ms(t->db);
	assert_true(d1 > 0 && d1 <= MOD_STORE_RETRY_MIN_MS);
	assert_int_equal(store_ensure(t->db), MOD_EDB); /* too early */
	assert_true(store_retry_ms(t->db) <= d1);
	sleep_ms((int) d1 + 5);
	assert_int_equal(store_ensure(t->db), MOD_EDB); /* second try */
	d2 = store_retry_ms(t->db);
	assert_true(
	    d2 > MOD_STORE_RETRY_MIN_MS && d2 <= 2 * MOD_STORE_RETRY_MIN_MS);
	assert_int_equal(harness_pg_restart(t->pg), 0);
	for (i = 0; i < 100 && store_ensure(t->db) != 0; i++)
		sleep_ms(10);
	assert_int_equal(store_ensure(t->db), 0);
	assert_int_equal(store_retry_ms(t->db), 0);
	assert_int_equal(store_ping(t->db), 0);
	t_free(t);
}

static void
test_text(void **state)
{
	char *s;

	(void) state;
	assert_null(store_text(NULL, 10));
	s = store_text("ab\xff"
	               "c",
	    100);
	assert_string_equal(s,
	    "ab\xEF\xBF\xBD"
	    "c");
	free(s);
	s = store_text("h\xC3\xA9llo", 2); /* é is two bytes: not split */
	assert_string_equal(s, "h");
	free(s);
	s = store_text("", 0);
	assert_string_equal(s, "");
	free(s);
}

/* --- schema ----------------------------------------------------------- */

static void
test_schema_idempotent(void **state)
{
	static const char *const tables[]
	    = { "proposals", "deliveries", "dead_letters", "audit",
		      "audit_head", "users", "tokens", "schema_version" };
	struct t *t = t_new(state, false);
	int       v = -1;
	size_t    i;

	assert_int_equal(store_schema_version(t->db, &v), 0);
	assert_int_equal(v, 0);
	assert_true(store_schema_latest() >= 1);
	assert_int_equal(store_schema_apply(t->db, NULL), 0);
	assert_int_equal(store_schema_apply(t->db, NULL), 0);
	assert_int_equal(store_schema_version(t->db, &v), 0);
	assert_int_equal(v, store_schema_latest());
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM schema_version", NULL, NULL),
	    store_schema_latest());
	for (i = 0; i < nitems(tables); i++)
		assert_int_equal(
		    q_int(t->db, "SELECT (to_regclass($1) IS NOT NULL)::int",
		        tables[i], NULL),
		    1);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM audit_head", NULL, NULL), 1);
	/* The migration lifted statement_timeout for itself only. */
	assert_int_equal(q_int(t->db,
	                     "SELECT (current_setting('statement_timeout') = "
	                     "'5s')::int",
	                     NULL, NULL),
	    1);
	t_free(t);
}

static void
test_schema_newer_refused(void **state)
{
	struct t      *t = t_new(state, true);
	struct mod_err err = { 0 };
	char           v[16];
	const char    *params[1] = { v };
	int            ver;

	snprintf(v, sizeof(v), "%d", store_schema_latest() + 1);
	assert_int_equal(store_exec(t->db, "test",
	                     "INSERT INTO schema_version (version) VALUES "
	                     "($1::int)",
	                     1, params),
	    0);
	assert_int_equal(store_schema_apply(t->db, &err), MOD_EINVAL);
	assert_int_equal(err.code, MOD_EINVAL);
	assert_non_null(strstr(err.msg, "newer"));
	assert_non_null(strstr(err.msg, v));
	assert_int_equal(store_schema_version(t->db, &ver), 0);
	assert_int_equal(ver, store_schema_latest() + 1);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM schema_version", NULL, NULL),
	    store_schema_latest() + 1);
	t_free(t);
}

struct race {
	const char *dsn;
	int         rv;
};

static void *
race_apply(void *arg)
{
	struct race  *r = arg;
	struct store *db;

	r->rv = store_open(r->dsn, 0, &db);
	if (r->rv == 0)
		r->rv = store_schema_apply(db, NULL);
	store_close(db);
	return NULL;
}

/* Two processes starting at once: both succeed, each step runs once. */
static void
test_schema_race(void **state)
{
	struct t   *t = t_new(state, false);
	struct race r[4];
	pthread_t   th[nitems(r)];
	size_t      i;

	for (i = 0; i < nitems(r); i++) {
		r[i].dsn = t->dsn;
		assert_int_equal(
		    pthread_create(&th[i], NULL, race_apply, &r[i]), 0);
	}
	for (i = 0; i < nitems(r); i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].rv, 0);
	}
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM schema_version", NULL, NULL),
	    store_schema_latest());
	t_free(t);
}

/* --- users ------------------------------------------------------------ */

static bool
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9')
		        || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static void
test_token_hash(void **state)
{
	char h[STORE_TOKEN_HEX_LEN + 1];

	(void) state;
	assert_int_equal(store_token_hash("abc", h), 0);
	assert_string_equal(h,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static void
test_user_add(void **state)
{
	static const char *const bad_names[] = { "", "a b",
		"x'; DROP TABLE "
		"users; --",
		"\xC3\xA9t\xC3\xA9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaa" };
	struct t                *t = t_new(state, true);
	char    tok[STORE_TOKEN_HEX_LEN + 1], tok2[STORE_TOKEN_HEX_LEN + 1];
	char    h[STORE_TOKEN_HEX_LEN + 1];
	int64_t bad;
	size_t  i;

	assert_int_equal(store_user_add(t->db, "alice", "moderator", tok), 0);
	assert_true(is_hex64(tok));
	assert_int_equal(store_token_hash(tok, h), 0);
	/* Only the hash is stored, and it finds the user. */
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM tokens t JOIN users u ON "
	                     "u.id = t.user_id WHERE t.token_sha256 = $1 AND "
	                     "u.name = 'alice' AND u.role = 'moderator'",
	                     h, NULL),
	    1);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM tokens WHERE token_sha256 "
	                     "= $1",
	                     tok, NULL),
	    0);
	assert_int_equal(
	    store_user_add(t->db, "alice", "admin", tok2), MOD_EEXIST);
	assert_string_equal(tok2, "");
	assert_int_equal(store_user_add(t->db, "bob", "triage", tok2), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(
	    store_user_add(t->db, "carol", "root", tok2), MOD_EINVAL);
	for (i = 0; i < nitems(bad_names); i++)
		assert_int_equal(
		    store_user_add(t->db, bad_names[i], "admin", tok2),
		    MOD_EINVAL);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM users", NULL, NULL), 2);
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM tokens", NULL, NULL), 2);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM audit WHERE action = "
	                     "'user.add' AND target_id IN ('alice', 'bob')",
	                     NULL, NULL),
	    2);
	assert_int_equal(audit_verify(t->db, &bad, NULL), 0);
	t_free(t);
}

/* --- audit ------------------------------------------------------------ */

static void
audit_some(struct store *db, int n)
{
	char reason[64];
	int  i;

	assert_int_equal(store_begin(db), 0);
	assert_int_equal(audit_lock(db), 0);
	for (i = 0; i < n; i++) {
		snprintf(reason, sizeof(reason), "reason %d, 'quoted' | ~", i);
		assert_int_equal(
		    audit_append(db, "tester", "propose", "status", "109",
		        i + 1, reason, i % 2 ? "ev" : NULL,
		        i % 3 ? "rev1" : NULL),
		    0);
	}
	assert_int_equal(store_commit(db), 0);
}

static void
test_audit_chain(void **state)
{
	struct t *t = t_new(state, true);
	int64_t   bad = -1, rows = -1;

	assert_int_equal(audit_verify(t->db, &bad, &rows), 0);
	assert_int_equal(rows, 0);
	audit_some(t->db, 5);
	assert_int_equal(audit_verify(t->db, &bad, &rows), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(rows, 5);
	/* Each row links to the previous one; the head names the last. */
	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM audit a JOIN audit b ON "
	        "b.id = (SELECT max(id) FROM audit WHERE id < a.id) "
	        "WHERE a.prev_hash = b.hash",
	        NULL, NULL),
	    4);
	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM audit_head h JOIN audit a ON "
	        "a.id = h.last_id AND a.hash = h.hash",
	        NULL, NULL),
	    1);
	/* Appending needs actor and action; nothing written without. */
	assert_int_equal(
	    audit_append(t->db, NULL, "x", NULL, NULL, 0, NULL, NULL, NULL),
	    MOD_EINVAL);
	/* Over-long and invalid text is stored repaired and capped. */
	{
		char *big = xmalloc(MOD_MAX_AUDIT_TEXT_BYTES * 2);

		memset(big, 'x', MOD_MAX_AUDIT_TEXT_BYTES * 2 - 1);
		big[MOD_MAX_AUDIT_TEXT_BYTES * 2 - 1] = '\0';
		big[3] = (char) 0xff;
		assert_int_equal(store_begin(t->db), 0);
		assert_int_equal(audit_append(t->db, "t", "a", NULL, NULL, 0,
		                     big, NULL, NULL),
		    0);
		assert_int_equal(store_commit(t->db), 0);
		free(big);
	}
	assert_true(q_int(t->db, "SELECT max(octet_length(reason)) FROM audit",
	                NULL, NULL)
	    <= MOD_MAX_AUDIT_TEXT_BYTES);
	assert_int_equal(audit_verify(t->db, &bad, &rows), 0);
	assert_int_equal(rows, 6);
	t_free(t);
}

/* UPDATE, DELETE and TRUNCATE of audit rows are refused by the trigger. */
static void
test_audit_append_only(void **state)
{
	static const char *const stmts[] = {
		"UPDATE audit SET reason = 'changed' WHERE id = 1",
		"UPDATE audit SET reason = 'changed'",
		"DELETE FROM audit WHERE id = 2",
		"DELETE FROM audit",
		"TRUNCATE audit",
		"DELETE FROM audit_head",
		"TRUNCATE audit_head",
	};
	struct t *t = t_new(state, true);
	int64_t   bad;
	size_t    i;

	audit_some(t->db, 3);
	for (i = 0; i < nitems(stmts); i++) {
		assert_int_equal(
		    store_exec(t->db, "test", stmts[i], 0, NULL), MOD_EDB);
		assert_string_equal(store_sqlstate(t->db), "42501");
	}
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM audit WHERE reason LIKE "
	                     "'reason %'",
	                     NULL, NULL),
	    3);
	assert_int_equal(audit_verify(t->db, &bad, NULL), 0);
	t_free(t);
}

/* tamper: run sql with the trigger disabled (we are superuser). */
static void
tamper(struct store *db, const char *sql)
{
	q_exec(db, "ALTER TABLE audit DISABLE TRIGGER audit_append_only");
	q_exec(db, sql);
	q_exec(db, "ALTER TABLE audit ENABLE TRIGGER audit_append_only");
}

static void
test_audit_tamper(void **state)
{
	static const struct {
		const char *sql;
		int64_t     bad;
	} cases[] = {
		{ "UPDATE audit SET reason = 'reason 2, edited' WHERE id = 3",
		    3 },
		{ "UPDATE audit SET actor = 'someone else' WHERE id = 1", 1 },
		{ "UPDATE audit SET at = at + interval '1 second' WHERE id = "
		  "4",
		    4 },
		{ "UPDATE audit SET proposal_id = NULL WHERE id = 2", 2 },
		{ "UPDATE audit SET revision = '' WHERE id = 1", 1 },
		{ "DELETE FROM audit WHERE id = 3", 4 },
		{ "DELETE FROM audit WHERE id = 5", 5 },
		{ "UPDATE audit SET hash = repeat('0', 64) WHERE id = 5", 5 },
	};
	int64_t bad, rows;
	size_t  i;

	for (i = 0; i < nitems(cases); i++) {
		struct t *t = t_new(state, true);

		audit_some(t->db, 5);
		assert_int_equal(audit_verify(t->db, &bad, &rows), 0);
		tamper(t->db, cases[i].sql);
		assert_int_equal(audit_verify(t->db, &bad, &rows), MOD_EINVAL);
		assert_int_equal(bad, cases[i].bad);
		t_free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test(test_open_ping),
		cmocka_unit_test(test_params_verbatim),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_statement_timeout),
		cmocka_unit_test(test_schema_idempotent),
		cmocka_unit_test(test_schema_newer_refused),
		cmocka_unit_test(test_schema_race),
		cmocka_unit_test(test_user_add),
		cmocka_unit_test(test_audit_chain),
		cmocka_unit_test(test_audit_append_only),
		cmocka_unit_test(test_audit_tamper),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(
	    tests, harness_pg_group_setup, harness_pg_group_teardown);
}
