/*
 * harness_pg.h - a throwaway PostgreSQL server for tests.
 *
 * harness_pg_start() runs initdb into a fresh mkdtemp directory under
 * /tmp and starts postgres on a Unix socket in that directory only (no
 * TCP), with fsync off; harness_pg_stop() shuts it down and removes the
 * directory.  Running as root (initdb and postgres refuse to), the
 * directory is given to the `postgres` system user (MODERD_PG_USER
 * overrides) and both programs run as that user.  The binaries come from
 * MODERD_PG_BIN_DIR, default /usr/lib/postgresql/15/bin.
 *
 * A server that cannot be started is a test FAILURE with the reason (in
 * pg->err, also printed to stderr with the tail of the server's log),
 * never a skip.  No dependency on cmocka; no global state: a test may
 * run several servers at once.  The server is asked to stop (SIGINT) if
 * the test process dies (Linux).
 */
#ifndef HARNESS_PG_H
#define HARNESS_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "moderd.h"

#define HARNESS_PG_USER "moderd_test" /* superuser of the test cluster */
#define HARNESS_PG_START_MS 60000 /* wait for the server to accept */
#define HARNESS_PG_STOP_MS 30000 /* wait for a fast shutdown */
#define HARNESS_PG_INITDB_MS 120000 /* wait for initdb */
#define HARNESS_PG_DSN_BYTES 512

struct harness_pg {
	char     dir[64]; /* socket directory; data in dir/data */
	char     bindir[MOD_MAX_PATH_BYTES];
	char     dsn[HARNESS_PG_DSN_BYTES]; /* database "postgres" */
	pid_t    pid; /* postmaster (and its process group); 0 if stopped */
	bool     drop; /* run the server as uid/gid (we are root) */
	uid_t    uid;
	gid_t    gid;
	unsigned ndb; /* databases made by harness_pg_newdb() */
	char     err[MOD_MAX_ERR_BYTES]; /* why the last call failed */
};

/* harness_pg_start: initdb + start + wait until it accepts connections.
 * Returns 0, or -1 with pg->err set (and everything cleaned up). */
int harness_pg_start(struct harness_pg *pg);

/* harness_pg_dsn: libpq connection string for database "postgres". */
const char *harness_pg_dsn(const struct harness_pg *pg);

/*
 * harness_pg_newdb: create a new empty database (named db1, db2, ...)
 * and write its connection string to dsn.  Returns 0 or -1 (pg->err).
 */
int harness_pg_newdb(struct harness_pg *pg, char *dsn, size_t dsnsz);

/*
 * harness_pg_restart: stop the server (fast shutdown, data kept) if it
 * runs, and start it again; clients see their connections dropped.
 * Returns 0 or -1 (pg->err).
 */
int harness_pg_restart(struct harness_pg *pg);

/* harness_pg_halt: fast shutdown, data kept (start again with
 * harness_pg_restart()).  Returns 0 or -1 (pg->err). */
int harness_pg_halt(struct harness_pg *pg);

/* harness_pg_kill: SIGKILL the server and all its backends (a crash);
 * harness_pg_restart() then recovers it. */
void harness_pg_kill(struct harness_pg *pg);

/* harness_pg_stop: shut down and remove the directory.  Safe to call on
 * a zeroed or already stopped struct. */
void harness_pg_stop(struct harness_pg *pg);

/*
 * Group fixtures for cmocka runners that share one throwaway server:
 * harness_pg_group_setup() starts it and sets *state to a new struct
 * harness_pg (a missing server is a failure, never a skip: -1, with the
 * reason on stderr); harness_pg_group_teardown() stops and frees it.
 */
int harness_pg_group_setup(void **state);
int harness_pg_group_teardown(void **state);

/* Statement timeout of the connections harness_pg_fresh() opens. */
#define HARNESS_PG_STMT_TIMEOUT_MS 5000

/*
 * harness_pg_fresh: a new database (harness_pg_newdb(), its connection
 * string in dsn) with moderd's schema, and a connection to it in *db
 * (caller closes with store_close()).  Returns 0 or -1 (pg->err).
 */
struct store;
int harness_pg_fresh(
    struct harness_pg *pg, char *dsn, size_t dsnsz, struct store **db);

#endif /* HARNESS_PG_H */
