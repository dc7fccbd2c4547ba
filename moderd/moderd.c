/*
 * moderd.c - the daemon: flags, start-up, signals, orderly shutdown.
 *
 *   moderd -f FILE [-d] [-v]             run (foreground with -d)
 *   moderd -n -f FILE                    check config and rules
 *   moderd -f FILE user add NAME --role admin|moderator|triage
 *   moderd -f FILE queue [--limit N]     print the pending queue
 *
 * Start-up loads and validates everything before anything listens:
 * config, rules (with their expect examples), then the database (the
 * embedded cluster when db_dsn is empty) and its migrations; then the
 * pipeline, the HTTP server, the nng intakes and the streaming clients.
 * All threads start with every signal blocked; the main thread waits in
 * sigwait(): SIGHUP reloads config and rules (parse fresh, validate all,
 * swap, or keep the old and say why), SIGTERM and SIGINT stop intake,
 * drain the pipeline and stop the embedded cluster.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "event.h"
#include "log.h"
#include "rules.h"
#include "util.h"

struct moderd_opts {
	const char *conf;
	bool        debug, check, verbose;
	int         argc; /* remaining words: a subcommand */
	char      **argv;
};

static void
moderd_usage(void)
{
	fprintf(stderr,
	    "usage: moderd [-dnv] -f FILE\n"
	    "       moderd -f FILE user add NAME --role "
	    "admin|moderator|triage\n"
	    "       moderd -f FILE queue [--limit N]\n");
	exit(2);
}

static void
moderd_parse(int argc, char **argv, struct moderd_opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt(argc, argv, "+df:nv")) != -1) {
		switch (ch) {
		case 'd':
			o->debug = true;
			break;
		case 'f':
			o->conf = optarg;
			break;
		case 'n':
			o->check = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		default:
			moderd_usage();
		}
	}
	if (o->conf == NULL)
		moderd_usage();
	o->argc = argc - optind;
	o->argv = argv + optind;
}

/*
 * Load config and rules; every error goes to errs.  On success the caller
 * owns *confp and *rsp.
 */
int
moderd_load(const char *path, struct conf **confp, struct ruleset **rsp,
    struct mod_errlist *errs)
{
	struct ruleset_opts ro = { .example = event_example };
	int                 rv;

	*confp = NULL;
	*rsp = NULL;
	if ((rv = conf_load(path, confp, errs)) != 0)
		return rv;
	if ((rv = conf_ruleset_opts(*confp, &ro)) != 0
	    || (rv = ruleset_load((*confp)->rules_dir, &ro, rsp, errs)) != 0) {
		conf_free(*confp);
		*confp = NULL;
	}
	return rv;
}

static int
moderd_check(const struct moderd_opts *o)
{
	struct mod_errlist errs = { 0 };
	struct conf       *c = NULL;
	struct ruleset    *rs = NULL;
	int                rv;

	rv = moderd_load(o->conf, &c, &rs, &errs);
	mod_errlist_print(&errs, stderr);
	if (rv == 0)
		printf("configuration OK\n");
	mod_errlist_free(&errs);
	ruleset_unref(rs);
	conf_free(c);
	return rv == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct moderd_opts o;

	moderd_parse(argc, argv, &o);
	log_init(o.debug || o.check || o.argc > 0, "moderd");
	log_setverbose(o.verbose);
	if (o.check)
		return moderd_check(&o);
	if (o.argc >= 2 && strcmp(o.argv[0], "user") == 0
	    && strcmp(o.argv[1], "add") == 0)
		return daemon_user_add(o.conf, o.argc - 2, o.argv + 2);
	if (o.argc >= 1 && strcmp(o.argv[0], "queue") == 0)
		return daemon_queue_print(o.conf, o.argc - 1, o.argv + 1);
	if (o.argc > 0)
		moderd_usage();
	return daemon_run(o.conf, o.debug);
}
