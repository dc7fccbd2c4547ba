/*
 * daemon.h - the running daemon and its administrative subcommands, as
 * called from moderd.c's main().
 */
#ifndef MODERD_DAEMON_H
#define MODERD_DAEMON_H

#include <stdbool.h>

#include "conf.h"
#include "moderd.h"
#include "rules.h"

/*
 * moderd_load: load the config at path and the rules it names, running
 * every expect example; every error goes to errs.  On success the caller
 * owns *confp (conf_free) and *rsp (ruleset_unref).
 */
int moderd_load(const char *path, struct conf **confp, struct ruleset **rsp,
    struct mod_errlist *errs) MOD_MUSTCHECK;

/* daemon_run: run until SIGTERM/SIGINT; returns the exit status. */
int daemon_run(const char *conf_path, bool foreground);

/* daemon_user_add: `user add NAME --role ROLE`; prints the new token. */
int daemon_user_add(const char *conf_path, int argc, char **argv);

/* daemon_queue_print: `queue [--limit N]`: pending items as a table. */
int daemon_queue_print(const char *conf_path, int argc, char **argv);

#endif /* MODERD_DAEMON_H */
