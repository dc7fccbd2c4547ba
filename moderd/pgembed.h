/*
 * pgembed.h - the embedded default database: a private PostgreSQL cluster
 * under the state directory, reachable only over a Unix socket.
 */
#ifndef MODERD_PGEMBED_H
#define MODERD_PGEMBED_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "moderd.h"

struct pgembed;

/*
 * pgembed_start: make sure a cluster exists under c->state_dir/pg
 * (initdb on first use), start it with no TCP listener and its socket in
 * c->state_dir/run (or adopt a postmaster left running by a previous
 * moderd that was killed), and wait until it accepts connections.  As
 * root, the cluster is owned and run by c->pg_user.  On success *out is
 * the handle (stop it with pgembed_stop()) and dsn holds a libpq
 * connection string.  Errors are logged with the reason and return
 * MOD_EIO or MOD_ETIMEDOUT.  Not thread-safe; call once at start.
 */
int pgembed_start(const struct conf *c, struct pgembed **out, char *dsn,
    size_t dsnsz) MOD_MUSTCHECK;

/*
 * pgembed_adopted: true if pgembed_start() found the cluster already
 * running (a daemon is up, or one was killed): a command-line tool should
 * leave it running with pgembed_release().
 */
bool pgembed_adopted(const struct pgembed *pe);

/* pgembed_release: free the handle, leaving the cluster running. */
void pgembed_release(struct pgembed *pe);

/*
 * pgembed_stop: fast shutdown of the cluster (SIGINT, then SIGQUIT after
 * a bounded wait) and free the handle.  NULL-safe.
 */
void pgembed_stop(struct pgembed *pe);

#endif /* MODERD_PGEMBED_H */
