/*
 * daemon.c - the running daemon: wiring, signals, reload, shutdown, and
 * the administrative subcommands that share its database set-up.
 *
 * Start-up order: config and rules (all validated, expect examples run),
 * database (embedded cluster if db_dsn is empty; migrations applied),
 * pipeline, HTTP server, nng intakes, streaming clients.  Shutdown runs
 * the other way round: intake first (no new events), then the pipeline
 * drains what it accepted, then the database stops.  Every thread is
 * started with all signals blocked; the main thread alone takes them in
 * sigwait().  SIGHUP loads config and rules fresh and swaps them in only
 * if everything validates; otherwise the old ones stay and the log says
 * why.  Intake sockets, the HTTP address and the database are start-up
 * settings: a reload that changes them says so and keeps the old ones.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "audit.h"
#include "conf.h"
#include "console.h"
#include "daemon.h"
#include "dispatch.h"
#include "event.h"
#include "feedsync.h"
#include "http.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "pgembed.h"
#include "pipeline.h"
#include "queue.h"
#include "store.h"
#include "stream.h"
#include "util.h"

#define DAEMON_DRAIN_MS 15000 /* to store what was accepted, at exit */
#define DAEMON_DSN_BYTES 1024

/* The database as the writer thread uses it (the store stage). */
struct daemon_writer {
	struct store *db;
};

/* The database for /healthz and gauges: shared, so behind a mutex. */
struct daemon_health {
	pthread_mutex_t mu;
	struct store   *db;
};

struct daemon {
	struct conf           *conf;
	struct ruleset        *rs;
	struct pgembed        *pg;
	char                   dsn[DAEMON_DSN_BYTES];
	struct daemon_writer   writer;
	struct daemon_health   health;
	struct pipeline       *pipe;
	struct http           *http;
	struct api            *api;
	struct intake         *intake;
	struct stream        **streams;
	size_t                 nstreams;
	struct dispatch       *dispatch;
	struct feedsync_sched *feeds;
};

/* ---- the store stage ---- */

static const char *
daemon_outcome_msg(int outcome)
{
	switch (outcome) {
	case QUEUE_NEW:
	case QUEUE_MERGED:
		return PIPE_MSG_STORED;
	case QUEUE_DUPLICATE:
		return PIPE_MSG_DUPLICATE;
	case QUEUE_DEAD:
		return "rejected";
	default:
		return PIPE_MSG_NO_ACTION;
	}
}

static void
daemon_count_outcome(int outcome)
{
	static const enum metrics_outcome map[] = {
		[QUEUE_NEW] = METRICS_PROP_NEW,
		[QUEUE_MERGED] = METRICS_PROP_MERGED,
		[QUEUE_DUPLICATE] = METRICS_PROP_DUPLICATE,
		[QUEUE_NOOP] = METRICS_PROP_NO_ACTION,
	};

	if (outcome >= 0 && outcome < (int) nitems(map)
	    && outcome != QUEUE_DEAD)
		metrics_proposal(map[outcome]);
}

static void
daemon_record_hits(const struct pipe_result *r, struct queue_hit *hits)
{
	size_t i;

	for (i = 0; i < r->nhits; i++) {
		hits[i].rule = r->hits[i].rule;
		hits[i].group = r->hits[i].group;
		hits[i].target = r->hits[i].target;
		hits[i].excerpt = r->hits[i].excerpt;
		hits[i].offset = r->hits[i].offset;
		hits[i].length = r->hits[i].length;
		hits[i].score = r->hits[i].score;
	}
}

/* A pipeline result as queue.c wants it; hits is borrowed storage. */
static void
daemon_record(const struct pipe_result *r, struct queue_record *q,
    struct queue_hit *hits)
{
	memset(q, 0, sizeof(*q));
	q->source_name = r->source_name;
	if (r->kind == PIPE_R_REJECT) {
		q->dead_reason = r->reason;
		q->payload = r->raw;
		q->payload_len = r->rawlen;
		return;
	}
	daemon_record_hits(r, hits);
	q->dedup_key = r->dedup_key;
	q->event_kind = r->event_kind;
	q->object_id = r->object_id;
	q->event_time_ms = r->event_ms;
	q->target_type = r->target_type;
	q->target_id = r->target_id;
	q->target_account_id = r->target_account_id;
	q->target_acct = r->target_acct;
	q->action = r->action;
	q->score = r->score;
	q->is_report = r->is_report;
	q->report_category = r->report_category;
	q->hits = hits;
	q->nhits = r->nhits;
	q->evidence_json = r->evidence_json;
	q->origin = "rules";
}

/*
 * A batch queue.c refused as malformed: store the records one by one and
 * keep any that is still refused as a dead letter, so one bad record
 * neither kills the daemon nor blocks the others.
 */
static int
daemon_store_singly(
    struct store *db, struct queue_record *recs, size_t n, int *outcomes)
{
	size_t i;
	int    rv;

	for (i = 0; i < n; i++) {
		if ((rv = queue_record_batch(db, &recs[i], 1, &outcomes[i]))
		    == MOD_EINVAL) {
			log_warnx(
			    "pipeline: event %s could not be stored as a "
			    "proposal, keeping it as a dead letter",
			    recs[i].object_id ? recs[i].object_id : "?");
			recs[i].dead_reason = "internal: malformed record";
			rv = queue_record_batch(db, &recs[i], 1, &outcomes[i]);
		}
		if (rv != 0)
			return rv;
	}
	return 0;
}

static int
daemon_store_stage(void *arg, struct pipe_result *const *res, size_t n)
{
	struct daemon_writer *w = arg;
	struct queue_record  *recs = xcalloc(n, sizeof(*recs));
	struct queue_hit    **hits = xcalloc(n, sizeof(*hits));
	int                  *outcomes = xcalloc(n, sizeof(*outcomes));
	size_t                i;
	int                   rv;

	for (i = 0; i < n; i++) {
		hits[i] = xcalloc(res[i]->nhits + 1, sizeof(**hits));
		daemon_record(res[i], &recs[i], hits[i]);
	}
	if ((rv = store_ensure(w->db)) == 0)
		rv = queue_record_batch(w->db, recs, n, outcomes);
	if (rv == MOD_EINVAL || rv == MOD_ETOOBIG)
		rv = daemon_store_singly(w->db, recs, n, outcomes);
	if (rv != 0)
		metrics_inc(METRICS_DB_ERRORS);
	for (i = 0; rv == 0 && i < n; i++) {
		res[i]->outcome = daemon_outcome_msg(outcomes[i]);
		daemon_count_outcome(outcomes[i]);
	}
	for (i = 0; i < n; i++)
		free(hits[i]);
	free(hits);
	free(recs);
	free(outcomes);
	return rv == 0 ? 0 : MOD_EDB;
}

/* ---- database ---- */

/* The embedded cluster (if no db_dsn) and the connection string. */
static int
daemon_db_start(struct daemon *d)
{
	if (d->conf->db_dsn[0] != '\0') {
		mod_strlcpy(d->dsn, d->conf->db_dsn, sizeof(d->dsn));
		return 0;
	}
	return pgembed_start(d->conf, &d->pg, d->dsn, sizeof(d->dsn));
}

/* Connect and bring the schema up to date. */
static int
daemon_db_open(struct daemon *d, struct store **db)
{
	struct mod_err err = { 0 };
	int            rv;

	if ((rv = store_open(d->dsn, d->conf->db_stmt_timeout_ms, db)) != 0)
		return rv;
	if ((rv = store_schema_apply(*db, &err)) != 0) {
		log_warnx("database: %s", err.msg);
		store_close(*db);
		*db = NULL;
	}
	return rv;
}

static void
daemon_db_stop(struct daemon *d, bool keep_adopted)
{
	if (keep_adopted && d->pg != NULL && pgembed_adopted(d->pg))
		pgembed_release(d->pg);
	else
		pgembed_stop(d->pg);
	d->pg = NULL;
}

/* /healthz: 0 when the database answers. */
static int
daemon_health_check(void *arg)
{
	struct daemon_health *h = arg;
	struct queue_counts   c;
	int                   rv;

	pthread_mutex_lock(&h->mu);
	rv = store_ping(h->db);
	if (rv == 0 && queue_counts(h->db, &c) == 0)
		metrics_gauge_set(METRICS_QUEUE_DEPTH, c.pending);
	pthread_mutex_unlock(&h->mu);
	return rv;
}

/* ---- components ---- */

static void
daemon_rule_names(const struct ruleset *rs)
{
	const char **names = NULL;
	size_t       n = 0;

	ruleset_names(rs, &names, &n);
	metrics_rules_set(names, n);
	free(names);
}

static int
daemon_streams_start(struct daemon *d)
{
	size_t i;
	int    rv;

	d->streams = xcalloc(d->conf->nstream + 1, sizeof(*d->streams));
	for (i = 0; i < d->conf->nstream; i++) {
		if ((rv = stream_start(
		         &d->conf->stream[i], d->pipe, &d->streams[i]))
		    != 0)
			return rv;
		d->nstreams++;
	}
	return 0;
}

/* daemon_api_start: the /v1 API's routes into hi. */
static int
daemon_api_start(struct daemon *d, struct http_init *hi)
{
	struct api_init ai = { 0 };

	ai.db_dsn = d->dsn;
	ai.stmt_timeout_ms = d->conf->db_stmt_timeout_ms;
	ai.arg = d;
	return api_start(&ai, &d->api, &hi->routes, &hi->nroutes);
}

/* daemon_dispatch_start: the dispatcher of decided items. */
static int
daemon_dispatch_start(struct daemon *d)
{
	struct dispatch_opts o;

	dispatch_opts_from_conf(d->conf, d->dsn, &o);
	return dispatch_start(&o, &d->dispatch);
}

static int
daemon_start(struct daemon *d)
{
	struct http_init hi = { 0 };
	int              rv;

	if ((rv = daemon_db_start(d)) != 0
	    || (rv = daemon_db_open(d, &d->writer.db)) != 0
	    || (rv = store_open(
	            d->dsn, d->conf->db_stmt_timeout_ms, &d->health.db))
	        != 0)
		return rv;
	daemon_rule_names(d->rs);
	if ((rv = pipeline_new(
	         d->conf, d->rs, daemon_store_stage, &d->writer, &d->pipe))
	    != 0)
		return rv;
	hi.pipeline = d->pipe;
	hi.health = daemon_health_check;
	hi.health_arg = &d->health;
	hi.static_routes = console_routes;
	hi.nstatic_routes = console_nroutes;
	if (d->conf->http_listen[0] != '\0'
	    && ((rv = daemon_api_start(d, &hi)) != 0
	        || (rv = http_start(d->conf, &hi, &d->http)) != 0))
		return rv;
	if ((rv = intake_start(d->conf, d->pipe, &d->intake)) != 0
	    || (rv = daemon_streams_start(d)) != 0)
		return rv;
	if ((rv = daemon_dispatch_start(d)) != 0)
		return rv;
	return feedsync_start(d->dsn, d->conf->db_stmt_timeout_ms, &d->feeds);
}

/* Everything daemon_start() started, in reverse; safe on partial starts. */
static void
daemon_stop(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nstreams; i++)
		stream_stop(d->streams[i]);
	free(d->streams);
	intake_stop(d->intake);
	feedsync_stop(d->feeds);
	dispatch_stop(d->dispatch);
	http_stop(d->http);
	api_stop(d->api);
	pipeline_free(d->pipe, DAEMON_DRAIN_MS);
	store_close(d->writer.db);
	store_close(d->health.db);
	daemon_db_stop(d, false);
	ruleset_unref(d->rs);
	conf_install(NULL);
	metrics_reset();
	log_info("moderd stopped");
}

/* ---- signals and reload ---- */

static void
daemon_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Start-up settings a reload cannot change; say so if it tried. */
static void
daemon_reload_warn(const struct conf *old, const struct conf *c)
{
	if (strcmp(old->db_dsn, c->db_dsn) != 0
	    || strcmp(old->http_listen, c->http_listen) != 0
	    || old->nintake != c->nintake || old->nstream != c->nstream
	    || old->pipeline_workers != c->pipeline_workers)
		log_warnx("reload: database, HTTP, intake, stream and worker "
		          "settings take effect at the next restart");
	if (strcmp(old->mastodon_url, c->mastodon_url) != 0
	    || strcmp(old->mastodon_token, c->mastodon_token) != 0
	    || strcmp(old->actions_pub, c->actions_pub) != 0
	    || old->dispatch_workers != c->dispatch_workers
	    || old->dispatch_max_attempts != c->dispatch_max_attempts
	    || old->dispatch_backoff_max_ms != c->dispatch_backoff_max_ms
	    || old->dispatch_timeout_ms != c->dispatch_timeout_ms)
		log_warnx("reload: mastodon_*, actions_pub and dispatch_* "
		          "settings take effect at the next restart");
}

static void
daemon_reload(struct daemon *d, const char *path)
{
	struct mod_errlist errs = { 0 };
	struct conf       *c = NULL;
	struct ruleset    *rs = NULL;

	log_info("got SIGHUP, reloading configuration");
	if (moderd_load(path, &c, &rs, &errs) != 0) {
		log_warnx(
		    "reload failed, keeping previous configuration: %s%s",
		    errs.n ? errs.msgs[0] : "unknown error",
		    errs.n > 1 ? " (and more)" : "");
		mod_errlist_free(&errs);
		return;
	}
	mod_errlist_free(&errs);
	daemon_reload_warn(d->conf, c);
	pipeline_set_rules(d->pipe, c, rs);
	daemon_rule_names(rs);
	ruleset_unref(d->rs);
	d->rs = rs;
	d->conf = c;
	conf_install(c); /* frees the old one when its readers are done */
	feedsync_kick(d->feeds); /* feeds and housekeeping read it now */
	log_info("reload: %zu rules loaded", ruleset_count(rs));
}

static void
daemon_wait(struct daemon *d, const char *path, const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			daemon_reload(d, path);
			continue;
		}
		log_info("got %s, shutting down",
		    sig == SIGINT ? "SIGINT" : "SIGTERM");
		return;
	}
}

int
daemon_run(const char *conf_path, bool foreground)
{
	struct mod_errlist errs = { 0 };
	struct daemon      d;
	sigset_t           set;
	int                rv;

	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.health.mu, NULL);
	daemon_block_signals(&set);
	if ((rv = moderd_load(conf_path, &d.conf, &d.rs, &errs)) != 0) {
		mod_errlist_print(&errs, stderr);
		mod_errlist_free(&errs);
		return 1;
	}
	/* Detach before any thread or child exists; keep the working
	 * directory so relative paths in the config still resolve. */
	if (!foreground && daemon(1, 0) == -1)
		fatal("could not detach");
	conf_install(d.conf);
	log_setverbose(d.conf->log_level == CONF_LOG_DEBUG);
	log_info("moderd %s starting (%zu rules)%s", MODERD_VERSION,
	    ruleset_count(d.rs), foreground ? " in the foreground" : "");
	if ((rv = daemon_start(&d)) == 0) {
		log_info("moderd ready");
		daemon_wait(&d, conf_path, &set);
	} else
		log_warnx("moderd could not start: %s", mod_strerror(rv));
	daemon_stop(&d);
	pthread_mutex_destroy(&d.health.mu);
	return rv == 0 ? 0 : 1;
}

/* ---- subcommands ---- */

/* Config and database only (no rules), for the admin subcommands. */
static int
daemon_admin_open(const char *conf_path, struct daemon *d, struct store **db)
{
	struct mod_errlist errs = { 0 };
	int                rv;

	memset(d, 0, sizeof(*d));
	if ((rv = conf_load(conf_path, &d->conf, &errs)) != 0) {
		mod_errlist_print(&errs, stderr);
		mod_errlist_free(&errs);
		return rv;
	}
	if ((rv = daemon_db_start(d)) != 0
	    || (rv = daemon_db_open(d, db)) != 0)
		daemon_db_stop(d, true);
	return rv;
}

static void
daemon_admin_close(struct daemon *d, struct store *db)
{
	store_close(db);
	daemon_db_stop(d, true);
	conf_free(d->conf);
}

int
daemon_user_add(const char *conf_path, int argc, char **argv)
{
	struct daemon d;
	struct store *db = NULL;
	char          token[STORE_TOKEN_HEX_LEN + 1];
	int           rv;

	if (argc != 3 || strcmp(argv[1], "--role") != 0) {
		fprintf(stderr,
		    "usage: moderd -f FILE user add NAME --role "
		    "admin|moderator|triage\n");
		return 2;
	}
	if (daemon_admin_open(conf_path, &d, &db) != 0)
		return 1;
	if ((rv = store_user_add(db, argv[0], argv[2], token)) == 0)
		printf("user %s (%s) created; API token (shown once):\n%s\n",
		    argv[0], argv[2], token);
	else
		fprintf(stderr, "moderd: could not add user %s: %s\n", argv[0],
		    rv == MOD_EEXIST       ? "the name is taken"
		        : rv == MOD_EINVAL ? "invalid name or role"
		                           : "database error");
	daemon_admin_close(&d, db);
	return rv == 0 ? 0 : 1;
}

static void
daemon_queue_row(const struct queue_item *it)
{
	printf("%-6lld %4d %-8s %-20.20s %-22.22s %-9s %6.1f %3d  %s\n",
	    (long long) it->id, it->priority, it->target_type, it->target_id,
	    it->target_acct[0] ? it->target_acct : "-", it->action, it->score,
	    it->count, it->rules);
}

int
daemon_queue_print(const char *conf_path, int argc, char **argv)
{
	struct daemon      d;
	struct store      *db = NULL;
	struct queue_item *items = NULL;
	size_t             n = 0, i, limit = 50;
	int64_t            v;

	if (argc == 2 && strcmp(argv[0], "--limit") == 0
	    && mod_strtonum(argv[1], 1, 10000, &v) == 0)
		limit = (size_t) v;
	else if (argc != 0) {
		fprintf(stderr, "usage: moderd -f FILE queue [--limit N]\n");
		return 2;
	}
	if (daemon_admin_open(conf_path, &d, &db) != 0)
		return 1;
	if (queue_list(db, limit, &items, &n) != 0) {
		fprintf(stderr, "moderd: could not read the queue\n");
		daemon_admin_close(&d, db);
		return 1;
	}
	printf("%-6s %4s %-8s %-20s %-22s %-9s %6s %3s  %s\n", "ID", "PRIO",
	    "TARGET", "TARGET ID", "ACCOUNT", "ACTION", "SCORE", "N", "RULES");
	for (i = 0; i < n; i++)
		daemon_queue_row(&items[i]);
	printf("\n%zu pending item%s\n", n, n == 1 ? "" : "s");
	free(items);
	daemon_admin_close(&d, db);
	return 0;
}
