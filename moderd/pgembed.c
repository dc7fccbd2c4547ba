/*
 * pgembed.c - run a private PostgreSQL cluster for moderd.
 *
 * With no db_dsn configured, moderd keeps its database in
 * state_dir/pg: created with initdb on first start, served by a postgres
 * child with listen_addresses='' (no TCP at all) and its socket in
 * state_dir/run, a directory only the cluster's owner can enter.  The
 * cluster uses the `postgres` database of the role `moderd`, so nothing
 * here speaks SQL.  PostgreSQL refuses to run as root, so a root moderd
 * runs initdb and postgres as pg_user; moderd itself keeps its identity.
 *
 * If moderd was killed, its postmaster lives on; the next start finds it
 * through postmaster.pid, checks that it answers, and adopts it instead
 * of starting a second one.  Stopping sends SIGINT (fast shutdown: open
 * transactions roll back, committed data is safe) and escalates to
 * SIGQUIT only after a bounded wait.  The server's settings are moderd's
 * own (pgembed_settings): checkpoints at most every 15 minutes or 2 GB of
 * WAL, synchronous commit on.
 *
 * Scheduling: the server runs in its own process group (a terminal's ^C
 * reaches moderd alone, which stops the server itself) but in moderd's
 * session.  Linux shares the CPU fairly between sessions first (autogroup)
 * and only then by niceness, so a server in a session of its own took a
 * session's share however busy moderd's matchers were, and their lower
 * priority (pipeline.c) could not make room for the writer's backend.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pgembed.h"
#include "util.h"

#define PGEMBED_START_WAIT_MS 60000 /* for the server to accept */
#define PGEMBED_STOP_WAIT_MS 30000 /* for a fast shutdown */
#define PGEMBED_ROLE "moderd"

/*
 * The server's settings, given on its command line at every start (an
 * adopted server keeps those it was started with).  No TCP, and a socket
 * only the owner can use.  Checkpoints are spread out: with the defaults
 * (5 minutes, 1 GB) the daemon benchmark's writer reached a WAL-triggered
 * checkpoint after about 250 s, and the first change of every page after
 * a checkpoint logs the whole page.  WAL up to max_wal_size stays on disk
 * between checkpoints.  Commits stay synchronous: a reply or a webhook
 * 2xx waits for the WAL flush.
 */
static const char *const pgembed_settings[] = {
	"listen_addresses=",
	"unix_socket_permissions=0700",
	"checkpoint_timeout=15min",
	"max_wal_size=2GB",
	"checkpoint_completion_target=0.9",
	"synchronous_commit=on",
};

struct pgembed {
	pid_t pid;
	char  data[MOD_MAX_PATH_BYTES];
	char  run[MOD_MAX_PATH_BYTES];
	char  log[MOD_MAX_PATH_BYTES];
	uid_t uid;
	gid_t gid;
	bool  drop; /* run programs as uid/gid */
	bool  adopted;
};

static void
pgembed_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* In the child: become the cluster owner if needed, then exec argv. */
static void
pgembed_exec(const struct pgembed *pe, char *const argv[], const char *out)
{
	int fd;

	if (out != NULL
	    && (fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	if (pe->drop
	    && (setgroups(0, NULL) == -1 || setgid(pe->gid) == -1
	        || setuid(pe->uid) == -1))
		_exit(126);
	/* Its own process group, moderd's session (see the essay). */
	setpgid(0, 0);
	execv(argv[0], argv);
	_exit(127);
}

/* Run argv to completion; 0 if it exited 0. */
static int
pgembed_run(const struct pgembed *pe, char *const argv[], const char *out)
{
	pid_t pid;
	int   status;

	if ((pid = fork()) == -1)
		return MOD_EIO;
	if (pid == 0)
		pgembed_exec(pe, argv, out);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return MOD_EIO;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : MOD_EIO;
}

static void
pgembed_bin(const struct conf *c, const char *prog, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", c->pg_bin_dir, prog);
}

/* Create dir (mode) owned by the cluster owner. */
static int
pgembed_mkdir(const struct pgembed *pe, const char *dir, mode_t mode)
{
	if (mkdir(dir, mode) == -1 && errno != EEXIST) {
		log_warn("database: could not create %s", dir);
		return MOD_EIO;
	}
	if (pe->drop && chown(dir, pe->uid, pe->gid) == -1) {
		log_warn("database: could not chown %s", dir);
		return MOD_EIO;
	}
	return chmod(dir, mode) == -1 ? MOD_EIO : 0;
}

static int
pgembed_identity(const struct conf *c, struct pgembed *pe)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(c->pg_user)) == NULL) {
		log_warnx("database: pg_user %s does not exist", c->pg_user);
		return MOD_EINVAL;
	}
	pe->uid = pw->pw_uid;
	pe->gid = pw->pw_gid;
	pe->drop = true;
	return 0;
}

static int
pgembed_initdb(const struct conf *c, struct pgembed *pe)
{
	char        bin[MOD_MAX_PATH_BYTES], version[MOD_MAX_PATH_BYTES + 16];
	char       *argv[] = { bin, "-D", pe->data, "-U", PGEMBED_ROLE, "-A",
		      "trust", "-E", "UTF8", "--locale=C", NULL };
	struct stat st;

	snprintf(version, sizeof(version), "%s/PG_VERSION", pe->data);
	if (stat(version, &st) == 0)
		return 0;
	log_info("database: creating the embedded cluster in %s", pe->data);
	pgembed_bin(c, "initdb", bin, sizeof(bin));
	if (pgembed_run(pe, argv, pe->log) != 0) {
		log_warnx("database: initdb failed, see %s", pe->log);
		return MOD_EIO;
	}
	return 0;
}

/* 0 if the server in pe->run accepts connections. */
static int
pgembed_ready(const struct conf *c, const struct pgembed *pe)
{
	char  bin[MOD_MAX_PATH_BYTES];
	char *argv[] = { bin, "-q", "-h", (char *) (uintptr_t) pe->run, "-U",
		PGEMBED_ROLE, "-d", "postgres", NULL };

	pgembed_bin(c, "pg_isready", bin, sizeof(bin));
	return pgembed_run(pe, argv, NULL);
}

/* The pid of a live postmaster already serving this cluster, or 0. */
static pid_t
pgembed_running(const struct pgembed *pe)
{
	char   path[MOD_MAX_PATH_BYTES + 32], *buf = NULL;
	size_t len;
	long   pid;

	snprintf(path, sizeof(path), "%s/postmaster.pid", pe->data);
	if (mod_read_file(path, 4096, &buf, &len, NULL) != 0)
		return 0;
	pid = strtol(buf, NULL, 10);
	free(buf);
	if (pid <= 1 || kill((pid_t) pid, 0) == -1)
		return 0;
	return (pid_t) pid;
}

static int
pgembed_spawn(const struct conf *c, struct pgembed *pe)
{
	char   bin[MOD_MAX_PATH_BYTES], sock[MOD_MAX_PATH_BYTES + 32];
	char  *argv[5 + 2 * nitems(pgembed_settings) + 1];
	size_t i, k = 0;

	pgembed_bin(c, "postgres", bin, sizeof(bin));
	snprintf(sock, sizeof(sock), "%s", pe->run);
	argv[k++] = bin;
	argv[k++] = "-D";
	argv[k++] = pe->data;
	argv[k++] = "-k";
	argv[k++] = sock;
	for (i = 0; i < nitems(pgembed_settings); i++) {
		argv[k++] = "-c";
		argv[k++] = (char *) (uintptr_t) pgembed_settings[i];
	}
	argv[k] = NULL;
	if ((pe->pid = fork()) == -1) {
		log_warn("database: could not fork");
		return MOD_EIO;
	}
	if (pe->pid == 0)
		pgembed_exec(pe, argv, pe->log);
	return 0;
}

static int
pgembed_wait_ready(const struct conf *c, struct pgembed *pe)
{
	long waited;
	int  status;

	for (waited = 0; waited < PGEMBED_START_WAIT_MS; waited += 100) {
		if (pgembed_ready(c, pe) == 0)
			return 0;
		if (pe->pid > 0
		    && waitpid(pe->pid, &status, WNOHANG) == pe->pid) {
			log_warnx(
			    "database: postgres exited, see %s", pe->log);
			pe->pid = 0;
			return MOD_EIO;
		}
		pgembed_sleep_ms(100);
	}
	log_warnx("database: postgres did not start in %d ms, see %s",
	    PGEMBED_START_WAIT_MS, pe->log);
	return MOD_ETIMEDOUT;
}

/*
 * pgembed_paths: the cluster's paths under dir, made absolute: postgres
 * reads a relative unix_socket_directories from its data directory, so
 * a relative state_dir ("state") would name a socket directory that is
 * not there.  dir must exist.
 */
static int
pgembed_paths(const char *dir, struct pgembed *pe)
{
	char abs[PATH_MAX];

	if (realpath(dir, abs) == NULL) {
		log_warn("database: state_dir %s", dir);
		return MOD_EIO;
	}
	if ((size_t) snprintf(pe->data, sizeof(pe->data), "%s/pg", abs)
	        >= sizeof(pe->data)
	    || (size_t) snprintf(pe->run, sizeof(pe->run), "%s/run", abs)
	        >= sizeof(pe->run)
	    || (size_t) snprintf(
	           pe->log, sizeof(pe->log), "%s/postgres.log", abs)
	        >= sizeof(pe->log))
		return MOD_EINVAL;
	/* A Unix socket path is limited to 107 bytes. */
	if (strlen(pe->run) + sizeof("/.s.PGSQL.5432") > 107) {
		log_warnx(
		    "database: state_dir %s is too long for a socket", abs);
		return MOD_EINVAL;
	}
	return 0;
}

static int
pgembed_prepare(const struct conf *c, struct pgembed *pe)
{
	int fd, rv;

	if ((rv = pgembed_identity(c, pe)) != 0)
		return rv;
	if (mod_mkdirs(c->state_dir, 0755) != 0) {
		log_warn("database: could not create %s", c->state_dir);
		return MOD_EIO;
	}
	if ((rv = pgembed_paths(c->state_dir, pe)) != 0)
		return rv;
	/* The cluster owner must be able to pass through (not list) it,
	 * whoever created it first (the rule cache lives there too). */
	if (pe->drop && chmod(c->state_dir, 0711) == -1) {
		log_warn("database: could not chmod %s", c->state_dir);
		return MOD_EIO;
	}
	if ((rv = pgembed_mkdir(pe, pe->data, 0700)) != 0
	    || (rv = pgembed_mkdir(pe, pe->run, 0700)) != 0)
		return rv;
	/* The log file must be writable by the cluster owner. */
	if ((fd = open(pe->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1)
		return MOD_EIO;
	if (pe->drop && fchown(fd, pe->uid, pe->gid) == -1)
		rv = MOD_EIO;
	close(fd);
	return rv;
}

int
pgembed_start(
    const struct conf *c, struct pgembed **out, char *dsn, size_t dsnsz)
{
	struct pgembed *pe = xcalloc(1, sizeof(*pe));
	int             rv;

	*out = NULL;
	if ((rv = pgembed_prepare(c, pe)) != 0
	    || (rv = pgembed_initdb(c, pe)) != 0)
		goto out;
	pe->pid = pgembed_running(pe);
	pe->adopted = pe->pid != 0 && pgembed_ready(c, pe) == 0;
	if (pe->adopted)
		log_info("database: adopted running cluster (pid %ld)",
		    (long) pe->pid);
	else if ((rv = pgembed_spawn(c, pe)) != 0
	    || (rv = pgembed_wait_ready(c, pe)) != 0)
		goto out;
	snprintf(dsn, dsnsz, "host=%s dbname=postgres user=%s", pe->run,
	    PGEMBED_ROLE);
	log_info("database: embedded cluster ready in %s", pe->data);
	*out = pe;
	pe = NULL;
out:
	pgembed_stop(pe);
	return rv;
}

/* Wait up to ms for pid to go away (it may not be our child). */
static bool
pgembed_gone(pid_t pid, long ms)
{
	long waited;
	int  status;

	for (waited = 0; waited < ms; waited += 50) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return true;
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return true;
		pgembed_sleep_ms(50);
	}
	return false;
}

void
pgembed_stop(struct pgembed *pe)
{
	if (pe == NULL)
		return;
	if (pe->pid > 0 && kill(pe->pid, SIGINT) == 0
	    && !pgembed_gone(pe->pid, PGEMBED_STOP_WAIT_MS)) {
		log_warnx("database: postgres did not stop, sending SIGQUIT");
		kill(pe->pid, SIGQUIT);
		(void) pgembed_gone(pe->pid, PGEMBED_STOP_WAIT_MS);
	}
	free(pe);
}

bool
pgembed_adopted(const struct pgembed *pe)
{
	return pe->adopted;
}

void
pgembed_release(struct pgembed *pe)
{
	free(pe);
}
