/*
 * moderctl.c - the moderators' command line.
 *
 * Commands are a table of word patterns with handlers (smtpctl style).
 * This first version is offline only: `rules check` loads a rule
 * directory and reports every error; `rules test` runs events through it
 * and prints one verdict per event, as JSON lines or a readable table.
 * Online commands will speak only the daemon's HTTP API and never hold
 * database credentials.
 *
 * Input events are JSON Lines, or one pretty-printed document per file
 * (a file whose first non-empty line is a lone "{").  Every line is
 * bounded by MOD_MAX_EVENT_BYTES; a bad line yields {"line":N,"error":…}
 * and processing continues, with exit status 1 at the end.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "conf.h"
#include "event.h"
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
	    "       moderctl version\n");
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
	ctl_usage();
	return 2;
}
