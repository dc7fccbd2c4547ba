/*
 * moderctl.c - the moderators' command line.
 *
 * Commands are a table of word patterns with handlers (smtpctl style).
 * The offline ones are here: `rules check` loads a rule directory and
 * reports every error; `rules test` runs events through it and prints
 * one verdict per event, as JSON lines or a readable table.  Any other
 * command goes to ctl_online.c, whose commands speak only the daemon's
 * HTTP API and never hold database credentials.
 *
 * Input events are JSON Lines, or one pretty-printed document per file
 * (a file whose first non-empty line is a lone "{").  Every line is
 * bounded by MOD_MAX_EVENT_BYTES; a bad line yields {"line":N,"error":…}
 * and processing continues, with exit status 1 at the end.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "conf.h"
#include "ctl_feeds.h"
#include "ctl_online.h"
#include "event.h"
#include "feeds.h"
#include "log.h"
#include "rules.h"
#include "util.h"

struct ctl_test {
	struct ruleset        *rs;
	struct rule_matcher   *m;
	struct rule_thresholds th;
	bool                   table;
	unsigned               match_flags;
	size_t                 events, proposals, errors;
};

static void
ctl_usage(void)
{
	fprintf(stderr,
	    "usage: moderctl rules check [-f CONF] [--no-cache] DIR\n"
	    "       moderctl rules test [-f CONF] [--table] [--naive] "
	    "[--no-cache] DIR [FILE ...]\n"
	    "       moderctl feeds parse FILE [--format FORMAT]\n"
	    "       moderctl feeds keygen [PREFIX]\n"
	    "       moderctl feeds sign FILE KEYFILE\n"
	    "       moderctl feeds verify FILE SIGFILE PUBKEY\n"
	    "       moderctl feeds merge -f CONF [--format FORMAT]\n"
	    "       moderctl version\n");
	ctl_online_usage(stderr);
	exit(2);
}

struct ctl_opts {
	const char *conf;
	bool        table, naive, no_cache;
	int         argc;
	char      **argv;
};

/* Parse the options common to the rules commands; leave operands. */
static void
ctl_parse_opts(int argc, char **argv, struct ctl_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			o->conf = argv[++i];
		else if (strcmp(argv[i], "--table") == 0)
			o->table = true;
		else if (strcmp(argv[i], "--naive") == 0)
			o->naive = true;
		else if (strcmp(argv[i], "--no-cache") == 0)
			o->no_cache = true;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			ctl_usage();
	}
	o->argc = argc - i;
	o->argv = argv + i;
}

/*
 * The prefilter cache of an interactive user: $XDG_CACHE_HOME/moderd or
 * ~/.cache/moderd.  The offline CLI never writes the daemon's state
 * directory, whatever the config says.
 */
static void
ctl_cache_dir(char *out, size_t size)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	out[0] = '\0';
	if (x && *x)
		snprintf(out, size, "%s/moderd", x);
	else if (home && *home)
		snprintf(out, size, "%s/.cache/moderd", home);
	/* The cache is an optimisation: its writer reports what failed. */
	if (out[0] && mod_mkdirs(out, 0700) != 0)
		out[0] = '\0';
}

/* Load config (or defaults) and the rule directory; errors to stderr. */
static int
ctl_load(const struct ctl_opts *o, const char *dir, struct conf **confp,
    struct ruleset **rsp)
{
	struct mod_errlist  errs = { 0 };
	struct ruleset_opts ro = { 0 };
	char                cache[MOD_MAX_PATH_BYTES];
	int                 rv;

	*rsp = NULL;
	rv = o->conf ? conf_load(o->conf, confp, &errs) : conf_defaults(confp);
	if (rv != 0)
		goto out;
	if ((rv = conf_ruleset_opts(*confp, &ro)) != 0)
		goto out;
	ctl_cache_dir(cache, sizeof(cache));
	ro.cache_dir = o->no_cache || !cache[0] ? NULL : cache;
	ro.example = event_example;
	rv = ruleset_load(dir, &ro, rsp, &errs);
out:
	mod_errlist_print(&errs, stderr);
	mod_errlist_free(&errs);
	return rv;
}

static int
ctl_rules_check(int argc, char **argv)
{
	struct ctl_opts o;
	struct conf    *conf = NULL;
	struct ruleset *rs = NULL;
	size_t          np, ex, pre, pc;
	int             rv;

	ctl_parse_opts(argc, argv, &o);
	if (o.argc != 1)
		ctl_usage();
	if ((rv = ctl_load(&o, o.argv[0], &conf, &rs)) == 0) {
		ruleset_stats(rs, &np, &ex, &pre, &pc);
		printf("%s: %zu rule%s OK (%zu patterns: %zu exact, %zu "
		       "prefiltered, %zu PCRE2 only)\n",
		    o.argv[0], ruleset_count(rs),
		    ruleset_count(rs) == 1 ? "" : "s", np, ex, pre, pc);
	}
	ruleset_unref(rs);
	conf_free(conf);
	return rv == 0 ? 0 : 1;
}

static json_t *
ctl_hit_json(const struct rule_hit *h)
{
	json_t *o = json_object();

	/* json_object_set_new steals each new reference. */
	json_object_set_new(o, "rule", json_string(h->rule));
	if (*h->group)
		json_object_set_new(o, "group", json_string(h->group));
	if (h->target == RULE_T_COUNT) {
		/* A rule made of conditions only has no excerpt. */
		json_object_set_new(o, "target", json_string("conditions"));
	} else {
		json_object_set_new(
		    o, "target", json_string(rule_target_name(h->target)));
		if (h->raw)
			json_object_set_new(o, "view", json_string("raw"));
		json_object_set_new(o, "excerpt", json_string(h->excerpt));
		json_object_set_new(
		    o, "offset", json_integer((json_int_t) h->off));
		json_object_set_new(
		    o, "length", json_integer((json_int_t) h->len));
	}
	json_object_set_new(o, "score", json_real(h->score));
	if (h->action != RULE_A_NONE)
		json_object_set_new(
		    o, "action", json_string(rule_action_name(h->action)));
	return o;
}

static json_t *
ctl_verdict_json(const struct event *ev, const struct rule_verdict *v,
    enum rule_action action)
{
	json_t *o = json_object(), *hits = json_array(), *un = json_array();
	size_t  i;

	json_object_set_new(
	    o, "event", json_string(event_kind_name(ev->kind)));
	json_object_set_new(o, "object_id", json_string(ev->object_id));
	json_object_set_new(o, "score", json_real(v->score));
	json_object_set_new(
	    o, "action", json_string(rule_action_name(action)));
	for (i = 0; i < v->nhits; i++)
		json_array_append_new(hits, ctl_hit_json(&v->hits[i]));
	for (i = 0; i < v->nuneval; i++) {
		json_t *u = json_object();

		json_object_set_new(u, "rule", json_string(v->uneval[i].rule));
		json_object_set_new(u, "target",
		    json_string(rule_target_name(v->uneval[i].target)));
		json_object_set_new(
		    u, "reason", json_string(v->uneval[i].reason));
		json_array_append_new(un, u);
	}
	json_object_set_new(o, "hits", hits);
	json_object_set_new(o, "unevaluated", un);
	return o;
}

static void
ctl_print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));

	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

/* Continuation lines start under the RULES column. */
#define CTL_TABLE_CONT                                                        \
	",\n                                                        "

static void
ctl_table_header(void)
{
	printf("%-16s %-20s %6s %-9s %s\n", "EVENT", "OBJECT", "SCORE",
	    "ACTION", "RULES (target: excerpt)");
}

static void
ctl_table_row(const struct event *ev, const struct rule_verdict *v,
    enum rule_action action)
{
	size_t i;

	printf("%-16s %-20.20s %6.1f %-9s", event_kind_name(ev->kind),
	    ev->object_id, v->score, rule_action_name(action));
	for (i = 0; i < v->nhits; i++) {
		printf("%s%s", i ? CTL_TABLE_CONT : " ", v->hits[i].rule);
		if (v->hits[i].target == RULE_T_COUNT)
			printf(" (conditions)");
		else
			printf(" (%s%s: \"%.40s\")",
			    rule_target_name(v->hits[i].target),
			    v->hits[i].raw ? ":raw" : "", v->hits[i].excerpt);
	}
	for (i = 0; i < v->nuneval; i++)
		printf("%s%s could not evaluate (%s)",
		    i || v->nhits ? CTL_TABLE_CONT : " ", v->uneval[i].rule,
		    v->uneval[i].reason);
	if (v->nhits == 0 && v->nuneval == 0)
		printf(" -");
	printf("\n");
}

static void
ctl_report_error(
    struct ctl_test *t, const char *file, size_t line, const char *msg)
{
	json_t *o = json_object();

	t->errors++;
	if (t->table) {
		printf("%s:%zu: error: %s\n", file, line, msg);
		json_decref(o);
		return;
	}
	if (strcmp(file, "-") != 0)
		json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "line", json_integer((json_int_t) line));
	json_object_set_new(o, "error", json_string(msg));
	ctl_print_json(o);
}

/* Run one event document through the rules and print its verdict. */
static void
ctl_test_one(struct ctl_test *t, const char *file, size_t line,
    const char *doc, size_t len)
{
	struct event              *ev = NULL;
	struct event_view         *view = NULL;
	const struct rule_verdict *v;
	struct mod_err             err = { 0 };
	enum rule_action           action;

	if (event_parse(doc, len, &ev, &err) != 0
	    || event_view_build(ev, &view, &err) != 0
	    || rule_matcher_run(
	           t->m, event_view_fields(view), t->match_flags, &v)
	        != 0) {
		ctl_report_error(t, file, line,
		    err.msg[0] ? err.msg : "could not evaluate");
		goto out;
	}
	t->events++;
	action = rule_decide(&t->th, v);
	if (action != RULE_A_NONE)
		t->proposals++;
	if (t->table)
		ctl_table_row(ev, v, action);
	else
		ctl_print_json(ctl_verdict_json(ev, v, action));
out:
	event_view_free(view);
	event_free(ev);
}

/*
 * Read one line of at most MOD_MAX_EVENT_BYTES into b; longer lines are
 * consumed and flagged.  Returns false at end of input.
 */
static bool
ctl_read_line(FILE *fp, struct buf *b, bool *toolong)
{
	int c;

	buf_reset(b);
	*toolong = false;
	while ((c = getc_unlocked(fp)) != EOF && c != '\n')
		if (!*toolong && buf_appendc(b, (char) c) != 0)
			*toolong = true;
	return c != EOF || b->len > 0 || *toolong;
}

static bool
ctl_blank(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (b->data[i] != ' ' && b->data[i] != '\t'
		    && b->data[i] != '\r')
			return false;
	return true;
}

/* A pretty-printed document: gather the rest of the file under the cap. */
static void
ctl_test_document(
    struct ctl_test *t, FILE *fp, const char *file, struct buf *b)
{
	bool toolong = false;
	int  c;

	while ((c = getc_unlocked(fp)) != EOF)
		if (!toolong && buf_appendc(b, (char) c) != 0)
			toolong = true;
	if (toolong)
		ctl_report_error(t, file, 1, "event document too large");
	else
		ctl_test_one(t, file, 1, b->data, b->len);
}

static void
ctl_test_stream(struct ctl_test *t, FILE *fp, const char *file)
{
	struct buf b;
	size_t     line = 0;
	bool       toolong, first = true;

	buf_init(&b, MOD_MAX_EVENT_BYTES);
	while (ctl_read_line(fp, &b, &toolong)) {
		line++;
		if (toolong) {
			ctl_report_error(t, file, line, "event too large");
			continue;
		}
		if (ctl_blank(&b))
			continue;
		if (first && strcmp(buf_cstr(&b), "{") == 0) {
			ctl_test_document(t, fp, file, &b);
			break;
		}
		first = false;
		ctl_test_one(t, file, line, b.data, b.len);
	}
	buf_free(&b);
}

static int
ctl_test_inputs(struct ctl_test *t, int argc, char **argv)
{
	FILE *fp;
	int   i, rv = 0;

	if (argc == 0) {
		ctl_test_stream(t, stdin, "-");
		return 0;
	}
	for (i = 0; i < argc; i++) {
		if ((fp = fopen(argv[i], "r")) == NULL) {
			fprintf(stderr, "moderctl: %s: %s\n", argv[i],
			    strerror(errno));
			rv = 1;
			continue;
		}
		ctl_test_stream(t, fp, argv[i]);
		fclose(fp);
	}
	return rv;
}

static int
ctl_rules_test(int argc, char **argv)
{
	struct ctl_opts o;
	struct ctl_test t = { 0 };
	struct conf    *conf = NULL;
	int             rv;

	ctl_parse_opts(argc, argv, &o);
	if (o.argc < 1)
		ctl_usage();
	if ((rv = ctl_load(&o, o.argv[0], &conf, &t.rs)) != 0
	    || (rv = rule_matcher_new(t.rs, &t.m)) != 0)
		goto out;
	conf_thresholds(conf, &t.th);
	t.table = o.table;
	t.match_flags = o.naive ? RULE_MATCH_NAIVE : 0;
	if (t.table)
		ctl_table_header();
	rv = ctl_test_inputs(&t, o.argc - 1, o.argv + 1);
	if (t.table)
		printf("\n%zu events, %zu proposals, %zu rejected inputs\n",
		    t.events, t.proposals, t.errors);
	if (t.errors)
		rv = 1;
out:
	rule_matcher_free(t.m);
	ruleset_unref(t.rs);
	conf_free(conf);
	return rv == 0 ? 0 : 1;
}

/*
 * feeds parse FILE [--format F]: the feed's entries, normalised, as JSON
 * lines; its errors and a summary line on stderr.  Exit 1 only when the
 * feed is unreadable or yields nothing.
 */
static int
ctl_feeds_parse(int argc, char **argv)
{
	struct mod_errlist errs = { 0 };
	struct feed_list   l = { 0 };
	struct mod_err     err;
	const char        *file = NULL;
	char              *buf = NULL, *s;
	size_t             len = 0, i;
	int                fmt = FEED_FMT_AUTO, rv, k;

	for (k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--format") == 0 && k + 1 < argc) {
			if ((fmt = feed_format_from_name(argv[++k])) < 0) {
				fprintf(stderr,
				    "moderctl: unknown format %s\n", argv[k]);
				ctl_usage();
			}
		} else if (argv[k][0] == '-' || file != NULL)
			ctl_usage();
		else
			file = argv[k];
	}
	if (file == NULL)
		ctl_usage();
	if (mod_read_file(file, MOD_MAX_FEED_BYTES, &buf, &len, &err) != 0) {
		fprintf(stderr, "moderctl: %s\n", err.msg);
		return 1;
	}
	rv = feed_parse(file, buf, len, (enum feed_format) fmt, &l, &errs);
	for (i = 0; i < l.n; i++) {
		s = feed_entry_json(&l.v[i]);
		puts(s);
		free(s);
	}
	mod_errlist_print(&errs, stderr);
	fprintf(stderr, "%zu entries, %zu errors, %zu canaries (format %s)\n",
	    l.n, errs.n + errs.dropped, l.canaries,
	    feed_format_name(l.format));
	feed_list_free(&l);
	mod_errlist_free(&errs);
	free(buf);
	return rv == 0 ? 0 : 1;
}

/*
 * feeds keygen [PREFIX]: an Ed25519 key pair for signing published
 * feeds, written to PREFIX.key (mode 0600) and PREFIX.pub, never over
 * existing files; without PREFIX, printed as "public KEY" and "secret
 * KEY" lines.  The files hold one base64 line each (feeds.h).
 */
static int
ctl_write_new(const char *path, const char *b64, mode_t mode)
{
	size_t len = strlen(b64);
	int    fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1) {
		fprintf(stderr, "moderctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	ok = write(fd, b64, len) == (ssize_t) len && write(fd, "\n", 1) == 1;
	if (close(fd) != 0 || !ok) {
		fprintf(stderr, "moderctl: %s: %s\n", path, strerror(errno));
		(void) unlink(path);
		return 1;
	}
	return 0;
}

static int
ctl_feeds_keygen(int argc, char **argv)
{
	char pub[FEED_PUBKEY_B64_BYTES], sec[FEED_SECKEY_B64_BYTES];
	char kpath[MOD_MAX_PATH_BYTES], ppath[MOD_MAX_PATH_BYTES];
	int  rv = 1;

	if (argc > 1 || (argc == 1 && argv[0][0] == '-'))
		ctl_usage();
	if (feed_keygen(pub, sec) != 0) {
		fprintf(stderr, "moderctl: cannot generate a key pair\n");
		return 1;
	}
	if (argc == 0) {
		printf("public %s\nsecret %s\n", pub, sec);
		rv = 0;
		goto out;
	}
	if ((size_t) snprintf(kpath, sizeof(kpath), "%s.key", argv[0])
	        >= sizeof(kpath)
	    || (size_t) snprintf(ppath, sizeof(ppath), "%s.pub", argv[0])
	        >= sizeof(ppath)) {
		fprintf(stderr, "moderctl: %s: name too long\n", argv[0]);
		goto out;
	}
	if (ctl_write_new(kpath, sec, 0600) != 0)
		goto out;
	if (ctl_write_new(ppath, pub, 0644) != 0) {
		(void) unlink(kpath);
		goto out;
	}
	printf("%s\n%s\n", kpath, ppath);
	rv = 0;
out:
	explicit_bzero(sec, sizeof(sec));
	return rv;
}

/* A small text file (a key or a signature) into a new string. */
static char *
ctl_read_small(const char *path)
{
	struct mod_err err;
	char          *data = NULL;
	size_t         len;

	if (mod_read_file(path, 4096, &data, &len, &err) != 0) {
		fprintf(stderr, "moderctl: %s\n", err.msg);
		return NULL;
	}
	return data;
}

/*
 * feeds verify FILE SIG PUBKEY: check a detached signature.  PUBKEY is a
 * .pub file or the base64 key itself.  Exit 0 and "signature OK", or
 * exit 1.
 */
static int
ctl_feeds_verify(int argc, char **argv)
{
	struct mod_err err;
	char          *doc = NULL, *sig = NULL, *pub = NULL;
	size_t         len;
	int            rv = 1;

	if (argc != 3)
		ctl_usage();
	if (mod_read_file(argv[0], MOD_MAX_FEED_BYTES, &doc, &len, &err)
	    != 0) {
		fprintf(stderr, "moderctl: %s\n", err.msg);
		goto out;
	}
	if ((sig = ctl_read_small(argv[1])) == NULL)
		goto out;
	if (access(argv[2], F_OK) != 0
	    && strlen(argv[2]) + 1 == FEED_PUBKEY_B64_BYTES)
		pub = xstrdup(argv[2]);
	else if ((pub = ctl_read_small(argv[2])) == NULL)
		goto out;
	switch (feed_verify(doc, len, sig, pub)) {
	case 0:
		printf("signature OK\n");
		rv = 0;
		break;
	case MOD_EAUTH:
		fprintf(stderr, "moderctl: %s: signature does not verify\n",
		    argv[0]);
		break;
	default:
		fprintf(stderr, "moderctl: malformed signature or key\n");
		break;
	}
out:
	free(doc);
	free(sig);
	free(pub);
	return rv;
}

/* feeds sign FILE KEY: the .sig line for FILE on stdout. */
static int
ctl_feeds_sign(int argc, char **argv)
{
	struct mod_err err;
	char           sig[FEED_SIG_B64_BYTES];
	char          *doc = NULL, *sec = NULL;
	size_t         len;
	int            rv = 1;

	if (argc != 2)
		ctl_usage();
	if (mod_read_file(argv[0], MOD_MAX_FEED_BYTES, &doc, &len, &err)
	    != 0) {
		fprintf(stderr, "moderctl: %s\n", err.msg);
		goto out;
	}
	if ((sec = ctl_read_small(argv[1])) == NULL)
		goto out;
	if (feed_sign(doc, len, sec, sig) != 0) {
		fprintf(stderr, "moderctl: %s: not a secret key\n", argv[1]);
		goto out;
	}
	printf("%s\n", sig);
	rv = 0;
out:
	if (sec != NULL)
		explicit_bzero(sec, strlen(sec));
	free(sec);
	free(doc);
	return rv;
}

static int
ctl_version(int argc, char **argv)
{
	(void) argc;
	(void) argv;
	printf("moderctl %s\n", MODERD_VERSION);
	return 0;
}

static const struct {
	const char *words[2];
	int (*fn)(int, char **);
} ctl_cmds[] = {
	{ { "rules", "check" }, ctl_rules_check },
	{ { "rules", "test" }, ctl_rules_test },
	{ { "feeds", "parse" }, ctl_feeds_parse },
	{ { "feeds", "keygen" }, ctl_feeds_keygen },
	{ { "feeds", "sign" }, ctl_feeds_sign },
	{ { "feeds", "verify" }, ctl_feeds_verify },
	{ { "feeds", "merge" }, ctl_feeds_merge },
	{ { "version", NULL }, ctl_version },
};

int
main(int argc, char **argv)
{
	size_t i;
	int    n;

	log_init(1, "moderctl");
	for (i = 0; i < nitems(ctl_cmds); i++) {
		n = ctl_cmds[i].words[1] ? 2 : 1;
		if (argc <= n || strcmp(argv[1], ctl_cmds[i].words[0]) != 0
		    || (n == 2 && strcmp(argv[2], ctl_cmds[i].words[1]) != 0))
			continue;
		return ctl_cmds[i].fn(argc - 1 - n, argv + 1 + n);
	}
	if ((n = ctl_online_main(argc - 1, argv + 1)) >= 0)
		return n;
	ctl_usage();
	return 2;
}
