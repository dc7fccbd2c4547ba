/*
 * harness_pg.c - a throwaway PostgreSQL server for tests (see the .h).
 *
 * Everything runs through fork + execv of the real PostgreSQL programs
 * (initdb, postgres, createdb), with their output in log files inside the
 * test directory, so a failure can quote the server's own words.  The
 * postmaster gets its own process group, so harness_pg_kill() can crash
 * it together with its backends, and on Linux a parent-death signal, so
 * a test that aborts does not leave a server behind.
 *
 * Readiness is libpq's PQping (store_server_ping()), polled with a
 * bounded wait that also notices a postmaster that exited.  Between fork
 * and exec the child only calls async-signal-safe functions.
 *
 * Deliberately not done: TCP, authentication (trust on a private 0700
 * socket directory), or any reuse of a cluster between test binaries.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "harness_pg.h"
#include "store.h"
#include "util.h"

#define HPG_DEFAULT_BIN_DIR "/usr/lib/postgresql/15/bin"
#define HPG_DEFAULT_OWNER "postgres"
#define HPG_PORT "5432" /* names the socket file only */
#define HPG_POLL_MS 20
#define HPG_LOG_TAIL_BYTES 600
#define HPG_ARGS_COUNT 32

/* How to run a child program. */
struct hpg_run {
	const char *log; /* stdout and stderr: file in pg->dir, or a path */
	bool        as_owner; /* drop to pg->uid/gid if pg->drop */
	bool        server; /* own process group, parent-death signal */
};

static void
hpg_err(struct harness_pg *pg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pg->err, sizeof(pg->err), fmt, ap);
	va_end(ap);
	fprintf(stderr, "harness_pg: %s\n", pg->err);
}

static void
hpg_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* hpg_tail: the end of a log file in pg->dir, on one line. */
static void
hpg_tail(const struct harness_pg *pg, const char *log, char *out, size_t n)
{
	char   path[sizeof(pg->dir) + 64];
	FILE  *fp;
	long   size;
	size_t got, i;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", pg->dir, log);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) > (long) n - 1)
		fseek(fp, size - (long) n + 1, SEEK_SET);
	else
		fseek(fp, 0, SEEK_SET);
	got = fread(out, 1, n - 1, fp);
	out[got] = '\0';
	for (i = 0; i < got; i++)
		if (out[i] == '\n' || out[i] == '\t')
			out[i] = ' ';
	fclose(fp);
}

/* hpg_child: in the forked child; never returns. */
static void
hpg_child(
    const struct harness_pg *pg, const struct hpg_run *run, char *const *argv)
{
	char path[sizeof(pg->dir) + 64];
	int  fd;

	if (run->server)
		setpgid(0, 0);
	if (run->as_owner && pg->drop
	    && (setgroups(1, &pg->gid) != 0 || setgid(pg->gid) != 0
	        || setuid(pg->uid) != 0))
		_exit(126);
#ifdef __linux__
	if (run->server)
		prctl(PR_SET_PDEATHSIG, SIGINT);
#endif
	if ((fd = open("/dev/null", O_RDONLY)) >= 0)
		dup2(fd, 0);
	if (run->log[0] == '/')
		snprintf(path, sizeof(path), "%s", run->log);
	else
		snprintf(path, sizeof(path), "%s/%s", pg->dir, run->log);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execv(argv[0], argv);
	_exit(127);
}

static int
hpg_spawn(struct harness_pg *pg, const struct hpg_run *run, char *const *argv,
    pid_t *pid)
{
	fflush(NULL);
	if ((*pid = fork()) == -1) {
		hpg_err(pg, "could not fork: %s", strerror(errno));
		return -1;
	}
	if (*pid == 0)
		hpg_child(pg, run, argv);
	return 0;
}

/* hpg_wait: reap pid within ms; 0 and *status, or -1 on timeout. */
static int
hpg_wait(pid_t pid, int64_t ms, int *status)
{
	int64_t end = mod_mono_ms() + ms;
	pid_t   r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return 0;
		if (mod_mono_ms() >= end)
			return -1;
		hpg_sleep_ms(HPG_POLL_MS);
	}
}

/* hpg_run_sync: run a program to completion within ms; 0 on exit 0. */
static int
hpg_run_sync(struct harness_pg *pg, const struct hpg_run *run,
    char *const *argv, int64_t ms)
{
	char  tail[HPG_LOG_TAIL_BYTES];
	pid_t pid;
	int   status = 0;

	if (hpg_spawn(pg, run, argv, &pid) != 0)
		return -1;
	if (hpg_wait(pid, ms, &status) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		hpg_err(pg, "%s did not finish within %lld ms", argv[0],
		    (long long) ms);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	hpg_tail(pg, run->log, tail, sizeof(tail));
	hpg_err(pg, "%s failed (status %d): %s", argv[0], status, tail);
	return -1;
}

static void
hpg_prog(const struct harness_pg *pg, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", pg->bindir, name);
}

/* hpg_setup: directories, binaries and the user to run as. */
static int
hpg_setup(struct harness_pg *pg)
{
	const char    *bin = getenv("MODERD_PG_BIN_DIR");
	const char    *owner = getenv("MODERD_PG_USER");
	struct passwd *pw;

	mod_strlcpy(pg->bindir, bin && *bin ? bin : HPG_DEFAULT_BIN_DIR,
	    sizeof(pg->bindir));
	mod_strlcpy(pg->dir, "/tmp/moderd-pg-XXXXXX", sizeof(pg->dir));
	if (mkdtemp(pg->dir) == NULL) {
		hpg_err(
		    pg, "could not create %s: %s", pg->dir, strerror(errno));
		pg->dir[0] = '\0';
		return -1;
	}
	if (geteuid() != 0)
		return 0;
	owner = owner && *owner ? owner : HPG_DEFAULT_OWNER;
	if ((pw = getpwnam(owner)) == NULL) {
		hpg_err(pg,
		    "running as root, but there is no user %s to run "
		    "postgres as",
		    owner);
		return -1;
	}
	pg->drop = true;
	pg->uid = pw->pw_uid;
	pg->gid = pw->pw_gid;
	if (chown(pg->dir, pg->uid, pg->gid) != 0) {
		hpg_err(
		    pg, "could not chown %s: %s", pg->dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int
hpg_initdb(struct harness_pg *pg)
{
	static const struct hpg_run run = { "initdb.log", true, false };
	char  prog[MOD_MAX_PATH_BYTES + 16], data[sizeof(pg->dir) + 8];
	char *argv[] = { prog, "-D", data, "-A", "trust", "-U",
		HARNESS_PG_USER, "--no-sync", "-E", "UTF8", "--locale=C",
		"--no-instructions", NULL };

	hpg_prog(pg, "initdb", prog, sizeof(prog));
	if (access(prog, X_OK) != 0) {
		hpg_err(pg,
		    "no PostgreSQL server binaries: %s: %s (set "
		    "MODERD_PG_BIN_DIR)",
		    prog, strerror(errno));
		return -1;
	}
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	return hpg_run_sync(pg, &run, argv, HARNESS_PG_INITDB_MS);
}

/* hpg_ready: wait until the server accepts connections or exits. */
static int
hpg_ready(struct harness_pg *pg)
{
	int64_t end = mod_mono_ms() + HARNESS_PG_START_MS;
	char    tail[HPG_LOG_TAIL_BYTES];
	int     status;

	while (store_server_ping(pg->dsn) != 0) {
		if (waitpid(pg->pid, &status, WNOHANG) == pg->pid) {
			pg->pid = 0;
			hpg_tail(pg, "postgres.log", tail, sizeof(tail));
			hpg_err(pg, "postgres exited (status %d): %s", status,
			    tail);
			return -1;
		}
		if (mod_mono_ms() >= end) {
			hpg_tail(pg, "postgres.log", tail, sizeof(tail));
			hpg_err(pg, "postgres not ready after %d ms: %s",
			    HARNESS_PG_START_MS, tail);
			return -1;
		}
		hpg_sleep_ms(HPG_POLL_MS);
	}
	return 0;
}

static int
hpg_server_start(struct harness_pg *pg)
{
	static const struct hpg_run run = { "postgres.log", true, true };
	char  prog[MOD_MAX_PATH_BYTES + 16], data[sizeof(pg->dir) + 8];
	char *argv[HPG_ARGS_COUNT] = { prog, "-D", data, "-k", pg->dir, "-p",
		HPG_PORT, "-c", "listen_addresses=", "-c", "fsync=off", "-c",
		"synchronous_commit=off", "-c", "full_page_writes=off", "-c",
		"shared_buffers=32MB", "-c", "max_connections=50", NULL };

	hpg_prog(pg, "postgres", prog, sizeof(prog));
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	if (hpg_spawn(pg, &run, argv, &pg->pid) != 0)
		return -1;
	return hpg_ready(pg);
}

/* hpg_server_stop: signal the postmaster and reap it. */
static int
hpg_server_stop(struct harness_pg *pg, int sig, int64_t ms)
{
	int status;

	if (pg->pid <= 0)
		return 0;
	kill(sig == SIGKILL ? -pg->pid : pg->pid, sig);
	if (hpg_wait(pg->pid, ms, &status) != 0) {
		kill(-pg->pid, SIGKILL);
		waitpid(pg->pid, &status, 0);
		hpg_err(pg, "postgres did not stop within %lld ms, killed",
		    (long long) ms);
		pg->pid = 0;
		return -1;
	}
	pg->pid = 0;
	return 0;
}

static void
hpg_rmdir(struct harness_pg *pg)
{
	static const struct hpg_run run = { "/dev/null", false, false };
	char *argv[] = { "/bin/rm", "-rf", "--", pg->dir, NULL };

	if (pg->dir[0] == '\0')
		return;
	if (hpg_run_sync(pg, &run, argv, HARNESS_PG_STOP_MS) != 0)
		fprintf(stderr, "harness_pg: could not remove %s\n", pg->dir);
	pg->dir[0] = '\0';
}

int
harness_pg_start(struct harness_pg *pg)
{
	memset(pg, 0, sizeof(*pg));
	if (hpg_setup(pg) != 0 || hpg_initdb(pg) != 0)
		goto fail;
	snprintf(pg->dsn, sizeof(pg->dsn),
	    "host=%s port=" HPG_PORT " dbname=postgres user=" HARNESS_PG_USER,
	    pg->dir);
	if (hpg_server_start(pg) != 0)
		goto fail;
	return 0;
fail:
	hpg_server_stop(pg, SIGKILL, HARNESS_PG_STOP_MS);
	hpg_rmdir(pg);
	return -1;
}

const char *
harness_pg_dsn(const struct harness_pg *pg)
{
	return pg->dsn;
}

int
harness_pg_newdb(struct harness_pg *pg, char *dsn, size_t dsnsz)
{
	static const struct hpg_run run = { "createdb.log", false, false };
	char                        prog[MOD_MAX_PATH_BYTES + 16], name[32];
	char *argv[] = { prog, "-h", pg->dir, "-p", HPG_PORT, "-U",
		HARNESS_PG_USER, name, NULL };

	hpg_prog(pg, "createdb", prog, sizeof(prog));
	snprintf(name, sizeof(name), "db%u", ++pg->ndb);
	if (hpg_run_sync(pg, &run, argv, HARNESS_PG_START_MS) != 0)
		return -1;
	snprintf(dsn, dsnsz,
	    "host=%s port=" HPG_PORT " dbname=%s user=" HARNESS_PG_USER,
	    pg->dir, name);
	return 0;
}

int
harness_pg_halt(struct harness_pg *pg)
{
	return hpg_server_stop(pg, SIGINT, HARNESS_PG_STOP_MS);
}

int
harness_pg_restart(struct harness_pg *pg)
{
	if (harness_pg_halt(pg) != 0)
		return -1;
	return hpg_server_start(pg);
}

void
harness_pg_kill(struct harness_pg *pg)
{
	(void) hpg_server_stop(pg, SIGKILL, HARNESS_PG_STOP_MS);
}

void
harness_pg_stop(struct harness_pg *pg)
{
	if (pg->pid > 0 && harness_pg_halt(pg) != 0)
		harness_pg_kill(pg);
	hpg_rmdir(pg);
}

int
harness_pg_group_setup(void **state)
{
	struct harness_pg *pg = xcalloc(1, sizeof(*pg));

	if (harness_pg_start(pg) != 0) {
		fprintf(stderr, "no PostgreSQL: %s\n", pg->err);
		free(pg);
		return -1;
	}
	*state = pg;
	return 0;
}

int
harness_pg_group_teardown(void **state)
{
	harness_pg_stop(*state);
	free(*state);
	*state = NULL;
	return 0;
}

int
harness_pg_fresh(
    struct harness_pg *pg, char *dsn, size_t dsnsz, struct store **db)
{
	*db = NULL;
	if (harness_pg_newdb(pg, dsn, dsnsz) != 0)
		return -1;
	if (store_open(dsn, HARNESS_PG_STMT_TIMEOUT_MS, db) != 0
	    || store_schema_apply(*db, NULL) != 0) {
		snprintf(pg->err, sizeof(pg->err),
		    "could not open or migrate %s", dsn);
		store_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}
