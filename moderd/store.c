/*
 * store.c - one PostgreSQL connection and the statement helpers everything
 * else in the tree goes through.
 *
 * A store is opened with a libpq connection string and keeps its session
 * settings (client_encoding UTF8, statement_timeout, terse error messages)
 * across reconnects.  When a statement fails because the server went away
 * the connection is marked lost; store_ensure() then reconnects, but no
 * more often than a delay that doubles from MOD_STORE_RETRY_MIN_MS up to
 * MOD_STORE_RETRY_MAX_MS, and it never sleeps: the caller (the writer
 * thread) decides how to wait, so shutdown is never held up here.
 *
 * A pipeline (store_pipe_*) sends many statements back to back and reads
 * all their results after one sync, so the queue writer pays one round
 * trip per batch rather than one per statement.  Statements in a pipeline
 * are prepared once per connection (struct store_stmt): the list of
 * prepared names lives with the connection and is emptied whenever the
 * connection is replaced, and a prepare whose result did not come back
 * good is forgotten, so it is sent again next time.  A statement run on
 * every API request goes the same way alone (store_query_stmt, a
 * pipeline of one), so it too is planned once per connection.
 *
 * Invariants: statements are only ever sent with PQexecParams or as
 * prepared statements (parameters out of line, never spliced into SQL
 * text); every result is checked for the exact expected status and
 * cleared on every path; every failure is logged once, here, as "LABEL:
 * could not run statement: SQLSTATE message" with the terse primary
 * message only, so neither parameter values nor stored text reach the
 * log; a pipeline is always left (its results drained up to the sync)
 * before the function that ends it returns, or the connection is closed.
 *
 * What it deliberately does not do: it does not retry statements or
 * transactions (the caller retries a whole batch, which is the unit of
 * atomicity), it does not pool connections, and it is not thread-safe:
 * one struct store per thread.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "text.h"
#include "util.h"

static const char SQL_SET_TIMEOUT[]
    = "SELECT set_config('statement_timeout', $1, false)";
/* moderd's statements are small: JIT compiling one (which PostgreSQL
 * starts by cost estimate, e.g. for the audit append once audit_head has
 * bloated) costs tens of ms and saves nothing. */
static const char SQL_SET_JIT_OFF[] = "SELECT set_config('jit', 'off', false)";
/* Evidence snapshots are a few kB of JSON each: compressing them with
 * pglz (the default) was a tenth of the writer's server time; lz4 is
 * several times cheaper.  Optional: a server built without lz4 keeps
 * its default. */
static const char SQL_SET_LZ4[]
    = "SELECT set_config('default_toast_compression', 'lz4', false)";
static const char SQL_SELECT_ONE[] = "SELECT 1";
static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

/* The BEGIN a pipeline may start with (sent unprepared). */
static const struct store_stmt store_stmt_begin
    = { NULL, "store: begin", SQL_BEGIN, 0, false };

/* Bytes of a server or libpq message kept for one log line. */
#define STORE_MSG_BYTES 256

/* One statement queued in a pipeline: a prepare, or a run; hidden ones
 * (prepares, the BEGIN of store_pipe_begin) give the caller no result. */
struct store_queued {
	const struct store_stmt *st;
	bool                     prepare, hidden;
};

struct store {
	PGconn *conn;
	char   *dsn;
	int64_t stmt_timeout_ms;
	int64_t retry_delay_ms; /* last backoff delay; 0 while up */
	int64_t next_try_ms; /* monotonic time of the next reconnect */
	char    sqlstate[5 + 1];
	/* prepared on this connection (or queued to be, in a pipeline) */
	const struct store_stmt *prepared[MOD_MAX_STORE_PREPARED_COUNT];
	size_t                   nprepared;
	/* the pipeline under way */
	bool                 piping, pipe_failed;
	struct store_queued *queued;
	size_t               nqueued, queued_cap;
};

/* store_oneline: msg with line breaks and tabs as spaces, trimmed. */
static void
store_oneline(const char *msg, char *out, size_t outsz)
{
	size_t i, n = 0;

	for (i = 0; msg != NULL && msg[i] != '\0' && n + 1 < outsz; i++) {
		if (msg[i] == '\n' || msg[i] == '\t' || msg[i] == '\r') {
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
		} else
			out[n++] = msg[i];
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static bool
store_down(const struct store *db)
{
	return db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK;
}

/* store_notice: server notices ("relation already exists, skipping")
 * go to the debug log, never to stderr. */
static void
store_notice(void *arg, const char *message)
{
	char msg[STORE_MSG_BYTES];

	(void) arg;
	store_oneline(message, msg, sizeof(msg));
	log_debug("store: %s", msg);
}

/* store_set: run one set_config() statement of the session.  An
 * optional one (a setting that depends on how the server was built) may
 * be refused: that is logged at debug level only. */
static int
store_set(struct store *db, const char *what, const char *sql, int nparams,
    const char *const *params, bool optional)
{
	PGresult *res;
	int       rv = 0;

	res = PQexecParams(
	    db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[STORE_MSG_BYTES];

		store_oneline(PQerrorMessage(db->conn), msg, sizeof(msg));
		if (optional)
			log_debug("store: could not set %s: %s", what, msg);
		else
			log_warnx("store: could not set %s: %s", what, msg);
		rv = MOD_EDB;
	}
	PQclear(res);
	return rv;
}

/* store_session: per-connection settings, re-applied on reconnect. */
static int
store_session(struct store *db)
{
	char        ms[32];
	const char *params[1] = { ms };

	PQsetErrorVerbosity(db->conn, PQERRORS_TERSE);
	PQsetNoticeProcessor(db->conn, store_notice, NULL);
	if (store_set(db, "jit", SQL_SET_JIT_OFF, 0, NULL, false) != 0)
		return MOD_EDB;
	if (store_set(db, "lz4", SQL_SET_LZ4, 0, NULL, true) != 0
	    && store_down(db))
		return MOD_EDB;
	if (db->stmt_timeout_ms <= 0)
		return 0;
	snprintf(ms, sizeof(ms), "%lld", (long long) db->stmt_timeout_ms);
	return store_set(
	    db, "statement_timeout", SQL_SET_TIMEOUT, 1, params, false);
}

/* store_connect: replace the connection with a new one. */
static int
store_connect(struct store *db)
{
	static const char *const keys[]
	    = { "connect_timeout", "fallback_application_name", "dbname",
		      "client_encoding", NULL };
	const char *values[nitems(keys)];
	char        timeout[16], msg[STORE_MSG_BYTES];

	PQfinish(db->conn); /* NULL-safe */
	db->nprepared = 0; /* a new session has none */
	snprintf(timeout, sizeof(timeout), "%d", MOD_STORE_CONNECT_TIMEOUT_S);
	/* Later keywords win: dsn may override the first two, not the last. */
	values[0] = timeout;
	values[1] = "moderd";
	values[2] = db->dsn;
	values[3] = "UTF8";
	values[4] = NULL;
	db->conn = PQconnectdbParams(keys, values, 1);
	if (db->conn == NULL)
		fatalx("store: out of memory in libpq");
	if (PQstatus(db->conn) != CONNECTION_OK) {
		store_oneline(PQerrorMessage(db->conn), msg, sizeof(msg));
		log_warnx("store: could not connect: %s", msg);
		return MOD_EDB;
	}
	return store_session(db);
}

int
store_open(const char *dsn, int64_t stmt_timeout_ms, struct store **out)
{
	struct store *db;

	*out = NULL;
	db = xcalloc(1, sizeof(*db));
	db->dsn = xstrdup(dsn != NULL ? dsn : "");
	db->stmt_timeout_ms = stmt_timeout_ms;
	if (store_connect(db) != 0) {
		store_close(db);
		return MOD_EDB;
	}
	*out = db;
	return 0;
}

void
store_close(struct store *db)
{
	if (db == NULL)
		return;
	PQfinish(db->conn);
	free(db->queued);
	free(db->dsn);
	free(db);
}

int
store_ensure(struct store *db)
{
	int64_t now;

	if (!store_down(db))
		return 0;
	now = mod_mono_ms();
	if (now < db->next_try_ms)
		return MOD_EDB;
	if (store_connect(db) == 0) {
		log_info("store: reconnected to the database");
		metrics_inc(METRICS_DB_RECONNECTS);
		db->retry_delay_ms = 0;
		db->next_try_ms = 0;
		return 0;
	}
	if (db->retry_delay_ms == 0)
		db->retry_delay_ms = MOD_STORE_RETRY_MIN_MS;
	else if (db->retry_delay_ms < MOD_STORE_RETRY_MAX_MS / 2)
		db->retry_delay_ms *= 2;
	else
		db->retry_delay_ms = MOD_STORE_RETRY_MAX_MS;
	db->next_try_ms = now + db->retry_delay_ms;
	return MOD_EDB;
}

int64_t
store_retry_ms(const struct store *db)
{
	int64_t now;

	if (!store_down(db))
		return 0;
	now = mod_mono_ms();
	return db->next_try_ms > now ? db->next_try_ms - now : 0;
}

/* store_fail: record and log why a statement failed. */
static void
store_fail(struct store *db, const char *what, const PGresult *res)
{
	const char *state = NULL, *primary = NULL;
	char        msg[STORE_MSG_BYTES];

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	mod_strlcpy(db->sqlstate, state ? state : "", sizeof(db->sqlstate));
	if (primary == NULL && res != NULL
	    && PQresultStatus(res) != PGRES_FATAL_ERROR)
		primary = "unexpected result status";
	store_oneline(
	    primary ? primary : PQerrorMessage(db->conn), msg, sizeof(msg));
	log_warnx("%s: could not run statement: %s%s%s", what, db->sqlstate,
	    db->sqlstate[0] ? " " : "", msg);
	if (PQstatus(db->conn) != CONNECTION_OK)
		log_warnx("store: connection to the database lost");
}

/* store_run: one statement, expecting status `want`. */
static int
store_run(struct store *db, const char *what, const char *sql, int n,
    const char *const *params, const int *lengths, const int *formats,
    ExecStatusType want, PGresult **out)
{
	PGresult *res;

	*out = NULL;
	if (store_down(db)) {
		mod_strlcpy(db->sqlstate, "", sizeof(db->sqlstate));
		log_warnx("%s: could not run statement: not connected", what);
		return MOD_EDB;
	}
	res = PQexecParams(
	    db->conn, sql, n, NULL, params, lengths, formats, 0);
	if (PQresultStatus(res) != want) {
		store_fail(db, what, res);
		PQclear(res);
		return MOD_EDB;
	}
	*out = res;
	return 0;
}

int
store_exec(struct store *db, const char *what, const char *sql, int n,
    const char *const *params)
{
	PGresult *res;
	int       rv;

	rv = store_run(
	    db, what, sql, n, params, NULL, NULL, PGRES_COMMAND_OK, &res);
	PQclear(res);
	return rv;
}

int
store_query(struct store *db, const char *what, const char *sql, int n,
    const char *const *params, const int *lengths, const int *formats,
    struct pg_result **res)
{
	return store_run(
	    db, what, sql, n, params, lengths, formats, PGRES_TUPLES_OK, res);
}

int
store_query_value(struct store *db, const char *what, const char *sql, int n,
    const char *const *params, char *out, size_t outsz)
{
	PGresult *res = NULL;
	int       rv;

	if (outsz > 0)
		out[0] = '\0';
	if ((rv = store_query(db, what, sql, n, params, NULL, NULL, &res))
	    != 0)
		goto out;
	if (PQntuples(res) < 1 || PQnfields(res) < 1
	    || PQgetisnull(res, 0, 0)) {
		rv = MOD_ENOENT;
		goto out;
	}
	if (mod_strlcpy(out, PQgetvalue(res, 0, 0), outsz) >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		rv = MOD_ETOOBIG;
	}
out:
	PQclear(res);
	return rv;
}

void
store_clear(struct pg_result *res)
{
	PQclear(res);
}

struct pg_conn *
store_conn(struct store *db)
{
	return db->conn;
}

const char *
store_sqlstate(const struct store *db)
{
	return db->sqlstate;
}

int
store_ping(struct store *db)
{
	PGresult *res;
	int       rv;

	if ((rv = store_ensure(db)) != 0)
		return rv;
	rv = store_run(db, "store: ping", SQL_SELECT_ONE, 0, NULL, NULL, NULL,
	    PGRES_TUPLES_OK, &res);
	PQclear(res);
	return rv;
}

int
store_server_ping(const char *dsn)
{
	static const char *const keys[]
	    = { "connect_timeout", "dbname", NULL };
	const char *values[nitems(keys)];
	char        timeout[16];

	snprintf(timeout, sizeof(timeout), "%d", MOD_STORE_CONNECT_TIMEOUT_S);
	values[0] = timeout;
	values[1] = dsn != NULL ? dsn : "";
	values[2] = NULL;
	return PQpingParams(keys, values, 1) == PQPING_OK ? 0 : MOD_EDB;
}

static bool
store_in_tx(const struct store *db)
{
	PGTransactionStatusType ts;

	if (store_down(db))
		return false;
	ts = PQtransactionStatus(db->conn);
	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
}

int
store_begin(struct store *db)
{
	if (store_in_tx(db))
		store_rollback(db);
	return store_exec(db, "store: begin", SQL_BEGIN, 0, NULL);
}

int
store_commit(struct store *db)
{
	PGresult *res;
	int       rv;

	rv = store_run(db, "store: commit", SQL_COMMIT, 0, NULL, NULL, NULL,
	    PGRES_COMMAND_OK, &res);
	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK. */
	if (rv == 0 && strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		log_warnx("store: commit: transaction was rolled back");
		rv = MOD_EDB;
	}
	PQclear(res);
	return rv;
}

void
store_rollback(struct store *db)
{
	if (!store_in_tx(db))
		return;
	if (store_exec(db, "store: rollback", SQL_ROLLBACK, 0, NULL) != 0)
		log_debug("store: rollback failed, connection state unknown");
}

char *
store_text(const char *s, size_t max)
{
	struct buf b;
	bool       changed;

	if (s == NULL)
		return NULL;
	buf_init(&b, max + 4);
	text_utf8_sanitize(s, strlen(s), max, &b, &changed);
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* --- pipelines ---------------------------------------------------------- */

static bool
store_is_prepared(const struct store *db, const struct store_stmt *st)
{
	size_t i;

	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return true;
	return false;
}

/* store_unprepare: st's prepare failed or was skipped: send it again. */
static void
store_unprepare(struct store *db, const struct store_stmt *st)
{
	size_t i;

	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st) {
			db->prepared[i] = db->prepared[--db->nprepared];
			return;
		}
}

/* store_pipe_abandon: the connection's state is unknown: close it. */
static void
store_pipe_abandon(struct store *db, const char *why)
{
	if (store_down(db))
		log_warnx("store: connection to the database lost");
	else
		log_warnx("store: pipeline %s, closing the connection", why);
	PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
	db->piping = false;
	db->nqueued = 0;
}

static void
store_pipe_push(
    struct store *db, const struct store_stmt *st, bool prepare, bool hidden)
{
	if (db->nqueued == db->queued_cap) {
		db->queued_cap = db->queued_cap ? db->queued_cap * 2 : 64;
		db->queued = xreallocarray(
		    db->queued, db->queued_cap, sizeof(*db->queued));
	}
	db->queued[db->nqueued].st = st;
	db->queued[db->nqueued].prepare = prepare;
	db->queued[db->nqueued].hidden = hidden;
	db->nqueued++;
}

static int
store_pipe_start(struct store *db, bool tx)
{
	if (db->piping)
		fatalx("store: a pipeline is already under way");
	if (tx && store_in_tx(db))
		store_rollback(db);
	if (store_down(db)) {
		mod_strlcpy(db->sqlstate, "", sizeof(db->sqlstate));
		log_warnx("store: pipeline: not connected");
		return MOD_EDB;
	}
	if (PQenterPipelineMode(db->conn) != 1) {
		store_fail(db, "store: pipeline", NULL);
		return MOD_EDB;
	}
	db->piping = true;
	db->pipe_failed = false;
	db->nqueued = 0;
	if (!tx)
		return 0;
	if (PQsendQueryParams(
	        db->conn, SQL_BEGIN, 0, NULL, NULL, NULL, NULL, 0)
	    != 1) {
		store_fail(db, store_stmt_begin.what, NULL);
		db->pipe_failed = true; /* store_pipe_end() cleans up */
	} else
		store_pipe_push(db, &store_stmt_begin, false, true);
	return 0;
}

int
store_pipe_begin(struct store *db)
{
	return store_pipe_start(db, false);
}

int
store_pipe_begin_tx(struct store *db)
{
	return store_pipe_start(db, true);
}

/* store_pipe_prepare: queue st's prepare unless this session has it. */
static int
store_pipe_prepare(struct store *db, const struct store_stmt *st)
{
	if (store_is_prepared(db, st))
		return 0;
	if (db->nprepared == MOD_MAX_STORE_PREPARED_COUNT)
		fatalx("store: more than %d prepared statements",
		    MOD_MAX_STORE_PREPARED_COUNT);
	if (PQsendPrepare(db->conn, st->name, st->sql, st->nparams, NULL) != 1)
		return MOD_EDB;
	db->prepared[db->nprepared++] = st;
	store_pipe_push(db, st, true, true);
	return 0;
}

int
store_pipe_send(struct store *db, const struct store_stmt *st,
    const char *const *params, const int *lengths, const int *formats)
{
	if (!db->piping)
		fatalx("store: %s: no pipeline under way", st->what);
	if (db->pipe_failed)
		return MOD_EDB;
	if (db->nqueued + 2 > MOD_MAX_STORE_PIPE_COUNT) {
		log_warnx(
		    "%s: could not run statement: pipeline full", st->what);
		db->pipe_failed = true;
		return MOD_EDB;
	}
	if (store_pipe_prepare(db, st) != 0
	    || PQsendQueryPrepared(db->conn, st->name, st->nparams, params,
	           lengths, formats, 0)
	        != 1) {
		store_fail(db, st->what, NULL);
		db->pipe_failed = true;
		return MOD_EDB;
	}
	store_pipe_push(db, st, false, false);
	return 0;
}

static ExecStatusType
store_pipe_want(const struct store_queued *q)
{
	return q->prepare || !q->st->rows ? PGRES_COMMAND_OK : PGRES_TUPLES_OK;
}

/*
 * store_pipe_collect: read the results of queued statement q (one result,
 * then NULL).  *res is it if its status is the expected one, else NULL.
 * Returns 0, MOD_EDB (the statement failed or was skipped) or
 * MOD_EINTERNAL (out of step: the caller abandons the connection).
 */
static int
store_pipe_collect(
    struct store *db, const struct store_queued *q, PGresult **res, int *rv)
{
	PGresult *r, *extra;

	*res = NULL;
	if ((r = PQgetResult(db->conn)) == NULL)
		return MOD_EINTERNAL;
	if ((extra = PQgetResult(db->conn)) != NULL) {
		PQclear(extra);
		PQclear(r);
		return MOD_EINTERNAL;
	}
	if (PQresultStatus(r) == store_pipe_want(q)) {
		*res = r;
		return 0;
	}
	/* Only the first failure says why; the rest were skipped. */
	if (*rv == 0 && PQresultStatus(r) != PGRES_PIPELINE_ABORTED)
		store_fail(db, q->st->what, r);
	else if (*rv == 0)
		log_warnx("%s: could not run statement: pipeline aborted",
		    q->st->what);
	*rv = MOD_EDB;
	if (q->prepare)
		store_unprepare(db, q->st);
	PQclear(r);
	return MOD_EDB;
}

/* store_pipe_finish: the sync result, then out of pipeline mode. */
static int
store_pipe_finish(struct store *db)
{
	PGresult *r = PQgetResult(db->conn);
	bool      synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;

	PQclear(r);
	if (!synced || PQexitPipelineMode(db->conn) != 1)
		return MOD_EINTERNAL;
	db->piping = false;
	db->nqueued = 0;
	return 0;
}

int
store_pipe_end(struct store *db, struct pg_result **res, size_t n)
{
	PGresult *r;
	size_t    i, k = 0;
	int       rv = db->pipe_failed ? MOD_EDB : 0;

	if (!db->piping)
		fatalx("store: no pipeline under way");
	for (i = 0; i < n; i++)
		res[i] = NULL;
	if (PQpipelineSync(db->conn) != 1) {
		store_pipe_abandon(db, "could not be sent");
		return MOD_EDB;
	}
	for (i = 0; i < db->nqueued; i++) {
		if (store_pipe_collect(db, &db->queued[i], &r, &rv)
		    == MOD_EINTERNAL) {
			store_pipe_abandon(db, "results out of step");
			goto fail;
		}
		if (db->queued[i].hidden || k >= n)
			PQclear(r);
		else
			res[k] = r;
		k += db->queued[i].hidden ? 0 : 1;
	}
	if (store_pipe_finish(db) != 0) {
		store_pipe_abandon(db, "did not end cleanly");
		goto fail;
	}
	return rv;
fail:
	for (i = 0; i < n; i++) {
		PQclear(res[i]);
		res[i] = NULL;
	}
	return MOD_EDB;
}

int
store_query_stmt(struct store *db, const struct store_stmt *st,
    const char *const *params, struct pg_result **res)
{
	int rv;

	*res = NULL;
	if ((rv = store_pipe_begin(db)) != 0)
		return rv;
	rv = store_pipe_send(db, st, params, NULL, NULL);
	if (store_pipe_end(db, res, rv == 0 ? 1 : 0) != 0 || rv != 0) {
		PQclear(*res);
		*res = NULL;
		return MOD_EDB;
	}
	return 0;
}
