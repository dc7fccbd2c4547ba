/*
 * ctl_online.c - moderctl's online commands: triage the queue, read
 * statistics and the audit trail, manage users, sync feeds, all through
 * the daemon's HTTP API (doc/api.md) with ctl_client.c.  moderctl.c
 * dispatches here any command its offline table does not know.
 *
 * Every command is one API call (two for `assign --me`), printed as a
 * readable table or a few lines, or with --json as the API's JSON
 * exactly as received, for scripts.  Text from the server is cleaned
 * before it reaches the terminal: control characters (escape sequences
 * included) become spaces, and table cells are cut at
 * MOD_CTL_TEXT_COLUMN_BYTES characters.  An error is the API's message
 * on stderr and exit status 1; a usage error is exit status 2.
 *
 * `audit verify` does not trust the server's own verdict: it fetches the
 * whole trail (GET /v1/audit/export, JSON lines, from the first row) and
 * recomputes the SHA-256 chain locally with audit_chain.c, the same code
 * the daemon's audit_verify() runs, so a client and a server can never
 * disagree about the format.  It and `audit export` page the export
 * (?after=ID), so a trail of any size passes with one page in memory.
 *
 * What it deliberately does not do: retry a call (an approval must not
 * be sent twice unasked), keep a session, or read the database.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "buf.h"
#include "ctl_client.h"
#include "ctl_online.h"
#include "util.h"

#define CTL_MAX_COLS 10 /* columns of one table */
#define CTL_MAX_OPTS 16 /* options of one command */
#define CTL_MAX_POS 4 /* operands of one command */
#define CTL_TEXT_BYTES 512 /* one JSON value as text */
#define CTL_PATH_BYTES MOD_MAX_CTL_URL_BYTES

/* The session: where to, as whom, how to print. */
struct ctl_on {
	struct ctl_client *cl;
	const char        *url, *token;
	bool               json;
};

/* One option of a command: "--state" with a value, or a flag. */
struct ctl_opt {
	const char *name; /* from the spec: may end in "=" */
	size_t      len; /* of the name without "=" */
	bool        arg; /* takes a value */
	const char *val; /* NULL: absent; "" for a flag that was given */
};

/* A command's operands and options after parsing. */
struct ctl_args {
	char          *pos[CTL_MAX_POS];
	int            npos;
	struct ctl_opt opt[CTL_MAX_OPTS];
	size_t         nopt;
};

struct ctl_on_cmd {
	const char *word, *sub; /* sub NULL: one word */
	int (*fn)(struct ctl_on *o, int argc, char **argv);
	const char *usage; /* after "moderctl " */
};

/* ---- small helpers ------------------------------------------------------ */

static int
ctl_on_usage(const char *usage)
{
	fprintf(stderr, "usage: moderctl %s\n", usage);
	return 2;
}

static int
ctl_on_fail(const char *msg)
{
	fprintf(stderr, "moderctl: %s\n", msg);
	return 1;
}

/* ctl_on_clean: s with control characters as spaces, cut at max code
 * points (0: no cut) with an ellipsis; a new string. */
static char *
ctl_on_clean(const char *s, size_t max)
{
	size_t      cp = 0, n = 0;
	char       *out = xmalloc(strlen(s) + 4);
	const char *p;

	for (p = s; *p; p++) {
		unsigned char c = (unsigned char) *p;

		if ((c & 0xc0) != 0x80 && max > 0 && cp++ == max) {
			memcpy(out + n, "\xe2\x80\xa6", 3); /* ... */
			n += 3;
			break;
		}
		out[n++] = c < 0x20 || c == 0x7f ? ' ' : (char) c;
	}
	out[n] = '\0';
	return out;
}

/* ctl_on_width: display width of s, counted in code points. */
static size_t
ctl_on_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char) *s & 0xc0) != 0x80)
			n++;
	return n;
}

/* ctl_on_text: a JSON value as text into buf (CTL_TEXT_BYTES): "-" for
 * null or absent, yes/no, numbers, arrays joined with ",". */
static const char *
ctl_on_text(const json_t *v, char *buf)
{
	const json_t *e;
	size_t        i;

	buf[0] = '\0';
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, CTL_TEXT_BYTES, "%lld",
		    (long long) json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, CTL_TEXT_BYTES, "%.3g", json_real_value(v));
	else if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (json_is_string(e)
			    && strlen(buf) + 2 < CTL_TEXT_BYTES)
				snprintf(buf + strlen(buf),
				    CTL_TEXT_BYTES - strlen(buf), "%s%s",
				    i ? "," : "", json_string_value(e));
		}
	}
	return buf[0] ? buf : "-";
}

/* ctl_on_get: member name of o as text (see ctl_on_text). */
static const char *
ctl_on_get(const json_t *o, const char *name, char *buf)
{
	return ctl_on_text(json_object_get(o, name), buf);
}

/* ---- tables ------------------------------------------------------------- */

struct ctl_table {
	size_t             ncols;
	const char *const *heads;
	char             **cells; /* nrows * ncols, owned */
	size_t             nrows, cap;
	size_t             width[CTL_MAX_COLS];
};

static void
ctl_table_init(struct ctl_table *t, const char *const *heads, size_t ncols)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->heads = heads;
	t->ncols = ncols < CTL_MAX_COLS ? ncols : CTL_MAX_COLS;
	for (i = 0; i < t->ncols; i++)
		t->width[i] = ctl_on_width(heads[i]);
}

/* ctl_table_add: one row of ncols values (NULL prints "-"). */
static void
ctl_table_add(struct ctl_table *t, const char *const *vals)
{
	size_t i, w;
	char  *c;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = xreallocarray(
		    t->cells, t->cap * t->ncols, sizeof(*t->cells));
	}
	for (i = 0; i < t->ncols; i++) {
		c = ctl_on_clean(vals[i] != NULL ? vals[i] : "-",
		    MOD_CTL_TEXT_COLUMN_BYTES);
		if ((w = ctl_on_width(c)) > t->width[i])
			t->width[i] = w;
		t->cells[t->nrows * t->ncols + i] = c;
	}
	t->nrows++;
}

static void
ctl_table_line(const struct ctl_table *t, const char *const *cells)
{
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		if (i + 1 == t->ncols)
			printf("%s\n", cells[i]);
		else
			printf("%s%*s  ", cells[i],
			    (int) (t->width[i] - ctl_on_width(cells[i])), "");
	}
}

/* ctl_table_print: heads and rows, aligned; frees the rows. */
static void
ctl_table_print(struct ctl_table *t)
{
	size_t r, i;

	ctl_table_line(t, t->heads);
	for (r = 0; r < t->nrows; r++)
		ctl_table_line(
		    t, (const char *const *) t->cells + r * t->ncols);
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* ctl_on_rows: a table of the objects of arr, columns keys. */
static void
ctl_on_rows(const json_t *arr, const char *const *heads,
    const char *const *keys, size_t n)
{
	struct ctl_table t;
	const json_t    *e;
	char             b[CTL_MAX_COLS][CTL_TEXT_BYTES];
	const char      *v[CTL_MAX_COLS];
	size_t           i, j;

	ctl_table_init(&t, heads, n);
	json_array_foreach(arr, i, e)
	{
		for (j = 0; j < t.ncols; j++)
			v[j] = ctl_on_get(e, keys[j], b[j]);
		ctl_table_add(&t, v);
	}
	ctl_table_print(&t);
}

/* ctl_on_more: the cursor of the next page, if there is one. */
static void
ctl_on_more(const json_t *v)
{
	const char *c = json_string_value(json_object_get(v, "next_cursor"));
	char       *clean;

	if (c == NULL)
		return;
	clean = ctl_on_clean(c, 0);
	printf("more: --cursor %s\n", clean);
	free(clean);
}

/* ---- arguments ---------------------------------------------------------- */

/* ctl_args_opt: the option called name ("--state", or as in a spec,
 * "--state="), or NULL. */
static struct ctl_opt *
ctl_args_opt(struct ctl_args *a, const char *name)
{
	size_t      i;
	const char *rest;

	for (i = 0; i < a->nopt; i++) {
		if (strncmp(a->opt[i].name, name, a->opt[i].len) != 0)
			continue;
		rest = name + a->opt[i].len;
		if (*rest == '\0' || (rest[0] == '=' && rest[1] == '\0'))
			return &a->opt[i];
	}
	return NULL;
}

static const char *
ctl_args_val(struct ctl_args *a, const char *name)
{
	struct ctl_opt *op = ctl_args_opt(a, name);

	return op != NULL ? op->val : NULL;
}

/*
 * ctl_args_parse: argv into the options named in spec (a NULL-terminated
 * list; a trailing "=" marks one that takes a value: "--state=") and at
 * most maxpos operands.  Returns 0, or -1 on anything else.
 */
static int
ctl_args_parse(struct ctl_args *a, const char *const *spec, int maxpos,
    int argc, char **argv)
{
	struct ctl_opt *op;
	int             i;

	memset(a, 0, sizeof(*a));
	for (; *spec != NULL && a->nopt < CTL_MAX_OPTS; spec++) {
		op = &a->opt[a->nopt++];
		op->name = *spec;
		op->len = strlen(*spec);
		op->arg = op->len > 0 && (*spec)[op->len - 1] == '=';
		op->len -= op->arg;
	}
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			if (a->npos == maxpos)
				return -1;
			a->pos[a->npos++] = argv[i];
		} else if ((op = ctl_args_opt(a, argv[i])) == NULL
		    || (op->arg && i + 1 == argc))
			return -1;
		else
			op->val = op->arg ? argv[++i] : "";
	}
	return 0;
}

/* ctl_args_query: every option given with a value as a query
 * parameter, "--target-type" as "target_type". */
static int
ctl_args_query(struct ctl_args *a, struct buf *path)
{
	char   name[64];
	size_t i, j;
	int    rv = 0;

	for (i = 0; rv == 0 && i < a->nopt; i++) {
		if (a->opt[i].val == NULL || !a->opt[i].arg)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int) a->opt[i].len - 2,
		    a->opt[i].name + 2);
		for (j = 0; name[j]; j++)
			if (name[j] == '-')
				name[j] = '_';
		rv = ctl_path_add(path, name, a->opt[i].val);
	}
	return rv;
}

/* ---- calls -------------------------------------------------------------- */

static int
ctl_on_connect(struct ctl_on *o)
{
	struct mod_err err = { 0 };

	if (o->url == NULL || *o->url == '\0')
		o->url = getenv("MODERD_URL");
	if (o->token == NULL || *o->token == '\0')
		o->token = getenv("MODERD_TOKEN");
	if (o->url == NULL || *o->url == '\0') {
		fprintf(stderr,
		    "moderctl: no server: set MODERD_URL or pass "
		    "--url http://HOST:PORT\n");
		return 2;
	}
	if (ctl_client_new(o->url, o->token, &o->cl, &err) != 0)
		return ctl_on_fail(err.msg);
	return 0;
}

/*
 * ctl_on_call: one API call; body is stolen (NULL: none).  Returns 0
 * with *rep holding a 2xx answer whose JSON is an object or array, or
 * prints why not and returns 1.
 */
static int
ctl_on_call_max(struct ctl_on *o, const char *method, struct buf *path,
    json_t *body, size_t max, struct ctl_reply *rep)
{
	struct mod_err err = { 0 };
	int64_t tmo = max > MOD_MAX_CTL_REPLY_BYTES ? MOD_CTL_EXPORT_TIMEOUT_MS
	                                            : MOD_CTL_TIMEOUT_MS;
	int     rv;

	rv = ctl_client_call(
	    o->cl, method, buf_cstr(path), body, max, tmo, rep, &err);
	json_decref(body);
	if (rv != 0)
		return ctl_on_fail(err.msg);
	if (rep->status < 200 || rep->status > 299) {
		rv = ctl_on_fail(ctl_reply_message(rep));
		ctl_reply_free(rep);
	}
	return rv;
}

static int
ctl_on_call(struct ctl_on *o, const char *method, struct buf *path,
    json_t *body, struct ctl_reply *rep)
{
	int rv = ctl_on_call_max(
	    o, method, path, body, MOD_MAX_CTL_REPLY_BYTES, rep);

	if (rv == 0 && rep->json == NULL) {
		ctl_reply_free(rep);
		return ctl_on_fail("the server's answer is not JSON");
	}
	return rv;
}

typedef void (*ctl_print_fn)(json_t *v);

/* ctl_on_run: call, then print the answer (raw with --json). */
static int
ctl_on_run(struct ctl_on *o, const char *method, struct buf *path,
    json_t *body, ctl_print_fn print)
{
	struct ctl_reply rep;
	int              rv;

	if ((rv = ctl_on_call(o, method, path, body, &rep)) != 0)
		return rv;
	if (o->json)
		printf("%s\n", buf_cstr(&rep.body));
	else
		print(rep.json);
	ctl_reply_free(&rep);
	return 0;
}

/* ctl_on_path: path "/v1/" base then seg (may be NULL) and tail. */
static int
ctl_on_path(
    struct buf *path, const char *base, const char *seg, const char *tail)
{
	buf_init(path, CTL_PATH_BYTES);
	if (buf_appends(path, base) != 0
	    || (seg != NULL && ctl_path_seg(path, seg) != 0)
	    || (tail != NULL && buf_appends(path, tail) != 0)) {
		buf_free(path);
		return ctl_on_fail("the request path is too long");
	}
	return 0;
}

/* ctl_on_post: POST base[/seg][tail] with body (stolen); print. */
static int
ctl_on_post(struct ctl_on *o, const char *base, const char *name,
    const char *tail, json_t *body, ctl_print_fn print)
{
	struct buf path;
	int        rv;

	if ((rv = ctl_on_path(&path, base, name, tail)) != 0) {
		json_decref(body);
		return rv;
	}
	rv = ctl_on_run(o, "POST", &path, body, print);
	buf_free(&path);
	return rv;
}

/* ctl_on_list: parse argv by spec, build base[/seg][tail] with the
 * valued options as a query, and GET it; for list commands. */
static int
ctl_on_list(struct ctl_on *o, int argc, char **argv, const char *const *spec,
    const char *base, const char *usage, ctl_print_fn print)
{
	struct ctl_args a;
	struct buf      path;
	int             rv;

	if (ctl_args_parse(&a, spec, 0, argc, argv) != 0) {
		return ctl_on_usage(usage);
	}
	if ((rv = ctl_on_path(&path, base, NULL, NULL)) == 0) {
		if (ctl_args_query(&a, &path) != 0)
			rv = ctl_on_fail("the request path is too long");
		else
			rv = ctl_on_run(o, "GET", &path, NULL, print);
		buf_free(&path);
	}
	return rv;
}

/* ---- the queue ---------------------------------------------------------- */

/* ctl_on_target: "acct" or "type id" of an item into buf. */
static const char *
ctl_on_target(const json_t *it, char *buf)
{
	char t[CTL_TEXT_BYTES], i[CTL_TEXT_BYTES];

	if (json_is_string(json_object_get(it, "target_acct")))
		return json_string_value(json_object_get(it, "target_acct"));
	snprintf(buf, CTL_TEXT_BYTES, "%s %s",
	    ctl_on_get(it, "target_type", t), ctl_on_get(it, "target_id", i));
	return buf;
}

/* ctl_on_approvals: "1/2" into buf. */
static const char *
ctl_on_approvals(const json_t *it, char *buf)
{
	snprintf(buf, CTL_TEXT_BYTES, "%zu/%lld",
	    json_array_size(json_object_get(it, "approvals")),
	    (long long) json_integer_value(
	        json_object_get(it, "approvals_needed")));
	return buf;
}

static void
ctl_on_queue_row(struct ctl_table *t, const json_t *it)
{
	static const char *const keys[] = { "id", "state", "action", NULL,
		"priority", "score", "rules", NULL, "assignee", "excerpt" };
	char                     b[CTL_MAX_COLS][CTL_TEXT_BYTES];
	const char              *v[CTL_MAX_COLS];
	size_t                   i;

	for (i = 0; i < nitems(keys); i++)
		v[i] = keys[i] ? ctl_on_get(it, keys[i], b[i]) : NULL;
	v[3] = ctl_on_target(it, b[3]);
	v[7] = ctl_on_approvals(it, b[7]);
	ctl_table_add(t, v);
}

static void
ctl_on_queue_print(json_t *v)
{
	static const char *const heads[] = { "ID", "STATE", "ACTION", "TARGET",
		"PRI", "SCORE", "RULES", "APPR", "ASSIGNEE", "EXCERPT" };
	static const char *const states[]
	    = { "pending", "approved", "rejected", "applied", "failed" };
	struct ctl_table t;
	json_t          *it, *counts = json_object_get(v, "counts");
	char             b[CTL_TEXT_BYTES];
	size_t           i;

	ctl_table_init(&t, heads, nitems(heads));
	json_array_foreach(json_object_get(v, "items"), i, it)
	    ctl_on_queue_row(&t, it);
	ctl_table_print(&t);
	for (i = 0; i < nitems(states); i++)
		printf("%s%s %s", i ? ", " : "\n", states[i],
		    ctl_on_get(counts, states[i], b));
	printf("\n");
	ctl_on_more(v);
}

static int
ctl_on_queue(struct ctl_on *o, int argc, char **argv)
{
	static const char *const spec[]
	    = { "--state=", "--action=", "--rule=", "--feed=", "--group=",
		      "--assignee=", "--limit=", "--target=", "--target-type=",
		      "--source=", "--changeset=", "--cursor=", NULL };

	return ctl_on_list(o, argc, argv, spec, "/v1/queue",
	    "queue [--state S] [--action A] [--rule R] [--feed F] "
	    "[--group G] [--assignee U|none] [--limit N] [--cursor C]",
	    ctl_on_queue_print);
}

/* ctl_on_put: prefix then s cleaned of control characters. */
static void
ctl_on_put(const char *prefix, const char *s)
{
	char *c = ctl_on_clean(s, 0);

	printf("%s%s", prefix, c);
	free(c);
}

/* ctl_on_kv: "key: value" with the value cleaned, "-" for none. */
static void
ctl_on_kv(const char *key, const char *val)
{
	printf("%-18s", key);
	ctl_on_put(" ", val);
	printf("\n");
}

static void
ctl_on_item_print(json_t *it)
{
	static const char *const keys[] = { "state", "action", "target_type",
		"target_id", "target_account_id", "target_acct", "score",
		"priority", "count", "rules", "groups", "feeds", "source",
		"report_category", "assignee", "proposer", "reject_media",
		"reject_reports", "obfuscate", "public_comment",
		"private_comment", "created_at", "updated_at", "decided_at",
		"decided_by", "reject_reason", "changeset_id", "excerpt" };
	json_t                  *d = json_object_get(it, "dispatch");
	char                     b[CTL_TEXT_BYTES], k[64];
	size_t                   i;

	printf("item %s\n", ctl_on_get(it, "id", b));
	for (i = 0; i < nitems(keys); i++) {
		snprintf(k, sizeof(k), "%s:", keys[i]);
		ctl_on_kv(k, ctl_on_get(it, keys[i], b));
	}
	ctl_on_kv("approvals:", ctl_on_approvals(it, b));
	if (json_is_object(d)) {
		ctl_on_kv("dispatch:", ctl_on_get(d, "state", b));
		ctl_on_kv("dispatch error:", ctl_on_get(d, "error", b));
	}
}

/* ctl_on_section: one line per element of v[name], fields keys. */
static void
ctl_on_section(
    const json_t *v, const char *name, const char *const *keys, size_t nkeys)
{
	const json_t *arr = json_object_get(v, name), *e;
	char          b[CTL_TEXT_BYTES];
	size_t        i, j;

	if (json_array_size(arr) == 0)
		return;
	printf("\n%s:\n", name);
	json_array_foreach(arr, i, e)
	{
		for (j = 0; j < nkeys; j++)
			ctl_on_put("  ", ctl_on_get(e, keys[j], b));
		printf("\n");
	}
}

/* ctl_on_evidence: one line per snapshot: time, event, action, hits. */
static void
ctl_on_evidence(const json_t *v)
{
	static const char *const ekeys[]
	    = { "event_time", "event", "action", "score" };
	const json_t *e, *h;
	char          b[CTL_TEXT_BYTES];
	size_t        i, j;

	if (json_array_size(json_object_get(v, "evidence")) == 0)
		return;
	printf("\nevidence:\n");
	json_array_foreach(json_object_get(v, "evidence"), i, e)
	{
		for (j = 0; j < nitems(ekeys); j++)
			ctl_on_put("  ", ctl_on_get(e, ekeys[j], b));
		json_array_foreach(json_object_get(e, "hits"), j, h)
		{
			ctl_on_put("  ", ctl_on_get(h, "rule", b));
			ctl_on_put(" \"", ctl_on_get(h, "excerpt", b));
			printf("\"");
		}
		printf("\n");
	}
}

static void
ctl_on_show_print(json_t *v)
{
	static const char *const ckeys[] = { "at", "user", "body" };
	static const char *const hkeys[]
	    = { "id", "at", "actor", "action", "reason" };
	static const char *const akeys[]
	    = { "id", "state", "action", "decided_at" };

	ctl_on_item_print(v);
	ctl_on_evidence(v);
	ctl_on_section(v, "comments", ckeys, nitems(ckeys));
	ctl_on_section(v, "history", hkeys, nitems(hkeys));
	ctl_on_section(v, "account_history", akeys, nitems(akeys));
}

/* ctl_on_item_path: "/v1/queue/ID" and tail, ID checked as a number. */
static int
ctl_on_item_path(struct buf *path, const char *id, const char *tail)
{
	int64_t v;

	if (mod_strtonum(id, 1, INT64_MAX, &v) != 0) {
		fprintf(stderr, "moderctl: %s: not an item id\n", id);
		return 2;
	}
	return ctl_on_path(path, "/v1/queue", id, tail);
}

static int
ctl_on_show(struct ctl_on *o, int argc, char **argv)
{
	struct buf path;
	int        rv;

	if (argc != 1 || argv[0][0] == '-')
		return ctl_on_usage("show ID");
	if ((rv = ctl_on_item_path(&path, argv[0], NULL)) != 0)
		return rv;
	rv = ctl_on_run(o, "GET", &path, NULL, ctl_on_show_print);
	buf_free(&path);
	return rv;
}

/* One line after a decision: "item 42: pending, 1 of 2 approvals". */
static void
ctl_on_decided_print(json_t *it)
{
	char id[CTL_TEXT_BYTES], st[CTL_TEXT_BYTES], ac[CTL_TEXT_BYTES];
	char ap[CTL_TEXT_BYTES];

	const char *state = ctl_on_get(it, "state", st);

	printf("item %s: %s %s", ctl_on_get(it, "id", id), state,
	    ctl_on_get(it, "action", ac));
	if (strcmp(state, "pending") == 0)
		printf(", approvals %s", ctl_on_approvals(it, ap));
	printf("\n");
}

/*
 * ctl_on_item_post: POST /v1/queue/ID/verb with the body the options
 * make (fields: pairs of option and JSON field, a "?" prefix on the
 * field making it yes|no), then print the item.
 */
struct ctl_field {
	const char *opt, *field;
	bool        yesno;
};

static int
ctl_on_body(
    struct ctl_args *a, const struct ctl_field *f, size_t n, json_t *body)
{
	const char *v;
	size_t      i;

	for (i = 0; i < n; i++) {
		if ((v = ctl_args_val(a, f[i].opt)) == NULL)
			continue;
		if (!f[i].yesno)
			json_object_set_new(body, f[i].field, json_string(v));
		else if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0)
			json_object_set_new(
			    body, f[i].field, json_boolean(v[0] == 'y'));
		else {
			fprintf(stderr, "moderctl: %s: yes or no\n", f[i].opt);
			return 2;
		}
	}
	return 0;
}

static int
ctl_on_item_post(struct ctl_on *o, const char *id, const char *verb,
    json_t *body, ctl_print_fn print)
{
	int64_t v;

	if (mod_strtonum(id, 1, INT64_MAX, &v) != 0) {
		json_decref(body);
		fprintf(stderr, "moderctl: %s: not an item id\n", id);
		return 2;
	}
	return ctl_on_post(o, "/v1/queue", id, verb, body, print);
}

/* ctl_on_decide: approve, reject, comment and edit: ID, then options
 * (fields) into the body, required ones checked by the caller. */
static int
ctl_on_decide(struct ctl_on *o, int argc, char **argv, const char *verb,
    const struct ctl_field *f, size_t n, const char *usage)
{
	const char     *spec[CTL_MAX_OPTS + 1];
	struct ctl_args a;
	json_t         *body = json_object();
	size_t          i;
	int             rv;

	for (i = 0; i < n && i < CTL_MAX_OPTS; i++)
		spec[i] = f[i].opt;
	spec[i] = NULL;
	if (ctl_args_parse(&a, spec, 1, argc, argv) != 0 || a.npos != 1)
		rv = ctl_on_usage(usage);
	else if ((rv = ctl_on_body(&a, f, n, body)) == 0) {
		rv = ctl_on_item_post(
		    o, a.pos[0], verb, body, ctl_on_decided_print);
		body = NULL;
	}
	json_decref(body);
	return rv;
}

static int
ctl_on_approve(struct ctl_on *o, int argc, char **argv)
{
	static const struct ctl_field f[]
	    = { { "--comment=", "comment", false } };

	return ctl_on_decide(o, argc, argv, "/approve", f, nitems(f),
	    "approve ID [--comment TEXT]");
}

static int
ctl_on_reject(struct ctl_on *o, int argc, char **argv)
{
	static const struct ctl_field f[]
	    = { { "--reason=", "reason", false } };
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--reason") != 0; i++)
		;
	if (i == argc)
		return ctl_on_usage("reject ID --reason TEXT");
	return ctl_on_decide(
	    o, argc, argv, "/reject", f, nitems(f), "reject ID --reason TEXT");
}

static int
ctl_on_edit(struct ctl_on *o, int argc, char **argv)
{
	static const struct ctl_field f[] = { { "--action=", "action", false },
		{ "--public-comment=", "public_comment", false },
		{ "--private-comment=", "private_comment", false },
		{ "--reject-media=", "reject_media", true },
		{ "--reject-reports=", "reject_reports", true },
		{ "--obfuscate=", "obfuscate", true } };

	return ctl_on_decide(o, argc, argv, "/edit", f, nitems(f),
	    "edit ID [--action A] [--public-comment T] "
	    "[--private-comment T] [--reject-media yes|no] "
	    "[--reject-reports yes|no] [--obfuscate yes|no]");
}

static void
ctl_on_comment_print(json_t *v)
{
	char b[CTL_TEXT_BYTES];

	printf("comment %s added\n", ctl_on_get(v, "id", b));
}

static int
ctl_on_comment(struct ctl_on *o, int argc, char **argv)
{
	if (argc != 2 || argv[0][0] == '-')
		return ctl_on_usage("comment ID TEXT");
	return ctl_on_item_post(o, argv[0], "/comment",
	    json_pack("{s:s}", "text", argv[1]), ctl_on_comment_print);
}

/* ctl_on_line2: fmt with the text of members k1 and k2 of v. */
static void
ctl_on_line2(const json_t *v, const char *fmt, const char *k1, const char *k2)
{
	char a[CTL_TEXT_BYTES], b[CTL_TEXT_BYTES];

	printf(fmt, ctl_on_get(v, k1, a), ctl_on_get(v, k2, b));
}

static void
ctl_on_assign_print(json_t *it)
{
	ctl_on_line2(it, "item %s: assigned to %s\n", "id", "assignee");
}

/* ctl_on_me: the caller's user name (GET /v1/me) into out. */
static int
ctl_on_me(struct ctl_on *o, char *out, size_t outsz)
{
	struct ctl_reply rep;
	struct buf       path;
	const char      *name;
	int              rv;

	if ((rv = ctl_on_path(&path, "/v1/me", NULL, NULL)) != 0)
		return rv;
	rv = ctl_on_call(o, "GET", &path, NULL, &rep);
	buf_free(&path);
	if (rv != 0)
		return rv;
	name = json_string_value(json_object_get(rep.json, "user"));
	if (name == NULL)
		rv = ctl_on_fail("GET /v1/me: no user in the answer");
	else
		mod_strlcpy(out, name, outsz);
	ctl_reply_free(&rep);
	return rv;
}

static int
ctl_on_assign(struct ctl_on *o, int argc, char **argv)
{
	char    me[MOD_MAX_USER_NAME_BYTES + 1];
	json_t *user;
	int     rv;

	if (argc != 2 || argv[0][0] == '-')
		return ctl_on_usage("assign ID USER|--me|--none");
	if (strcmp(argv[1], "--none") == 0)
		user = json_null();
	else if (strcmp(argv[1], "--me") == 0) {
		if ((rv = ctl_on_me(o, me, sizeof(me))) != 0)
			return rv;
		user = json_string(me);
	} else if (argv[1][0] == '-')
		return ctl_on_usage("assign ID USER|--me|--none");
	else
		user = json_string(argv[1]);
	return ctl_on_item_post(o, argv[0], "/assign",
	    json_pack("{s:o}", "user", user), ctl_on_assign_print);
}

static int
ctl_on_propose(struct ctl_on *o, int argc, char **argv)
{
	static const struct ctl_field f[]
	    = { { "--target-type=", "target_type", false },
		      { "--target-id=", "target_id", false },
		      { "--target-acct=", "target_acct", false },
		      { "--action=", "action", false },
		      { "--reason=", "reason", false },
		      { "--public-comment=", "public_comment", false },
		      { "--private-comment=", "private_comment", false },
		      { "--reject-media=", "reject_media", true },
		      { "--reject-reports=", "reject_reports", true },
		      { "--obfuscate=", "obfuscate", true } };
	static const char *const usage
	    = "propose --target-type account|status|domain --target-id ID "
	      "--action A [--target-acct ACCT] [--reason TEXT] ...";
	const char     *spec[nitems(f) + 1];
	struct ctl_args a;
	json_t         *body = json_object();
	size_t          i;
	int             rv;

	for (i = 0; i < nitems(f); i++)
		spec[i] = f[i].opt;
	spec[i] = NULL;
	if (ctl_args_parse(&a, spec, 0, argc, argv) != 0
	    || ctl_args_val(&a, "--target-type") == NULL
	    || ctl_args_val(&a, "--target-id") == NULL
	    || ctl_args_val(&a, "--action") == NULL)
		rv = ctl_on_usage(usage);
	else if ((rv = ctl_on_body(&a, f, nitems(f), body)) == 0) {
		rv = ctl_on_post(o, "/v1/proposals", NULL, NULL, body,
		    ctl_on_decided_print);
		body = NULL;
	}
	json_decref(body);
	return rv;
}

/* ---- statistics --------------------------------------------------------- */

static void
ctl_on_stats_rows(const json_t *arr)
{
	static const char *const heads[] = { "NAME", "PROPOSALS", "APPROVED",
		"REJECTED", "PENDING", "PRECISION" };
	static const char *const keys[] = { "name", "proposals", "approved",
		"rejected", "pending", "precision" };

	ctl_on_rows(arr, heads, keys, nitems(keys));
}

static void
ctl_on_stats_rules_print(json_t *v)
{
	ctl_on_stats_rows(json_object_get(v, "rules"));
}

static void
ctl_on_stats_feeds_print(json_t *v)
{
	ctl_on_stats_rows(json_object_get(v, "feeds"));
}

static const char *const ctl_on_range_spec[]
    = { "--since=", "--until=", NULL };

static int
ctl_on_stats_rules(struct ctl_on *o, int argc, char **argv)
{
	return ctl_on_list(o, argc, argv, ctl_on_range_spec, "/v1/stats/rules",
	    "stats rules [--since 7d] [--until T]", ctl_on_stats_rules_print);
}

static int
ctl_on_stats_feeds(struct ctl_on *o, int argc, char **argv)
{
	return ctl_on_list(o, argc, argv, ctl_on_range_spec, "/v1/stats/feeds",
	    "stats feeds [--since 7d] [--until T]", ctl_on_stats_feeds_print);
}

/* ---- the audit trail ---------------------------------------------------- */

/* ctl_on_verify_line: one exported row through the chain. */
static int
ctl_on_verify_line(struct audit_chain *ch, const char *line, size_t n,
    int64_t *bad_id, const char **why)
{
	struct audit_row r;
	char             id[24], pid[24];
	json_t          *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
	int              rv = MOD_EINVAL;

	if (audit_row_from_json(o, &r, id, pid) != 0) {
		ch->rows++;
		*bad_id = json_integer_value(json_object_get(o, "id"));
		*why = "not an audit row";
	} else if ((rv = audit_chain_step(ch, &r, why)) != 0)
		*bad_id = r.id;
	json_decref(o);
	return rv;
}

/* ctl_on_verify_feed: the JSON lines data[0..len) through the chain. */
static int
ctl_on_verify_feed(struct audit_chain *ch, const char *data, size_t len,
    int64_t *bad_id, const char **why)
{
	const char *p = data, *end = data + len, *nl;
	size_t      n;
	int         rv = 0;

	while (rv == 0 && p < end) {
		nl = memchr(p, '\n', (size_t) (end - p));
		n = nl != NULL ? (size_t) (nl - p) : (size_t) (end - p);
		if (n > 0)
			rv = ctl_on_verify_line(ch, p, n, bad_id, why);
		p += n + 1;
	}
	return rv;
}

int
ctl_online_verify(const char *data, size_t len, int64_t *rows, int64_t *bad_id,
    const char **why)
{
	struct audit_chain ch;
	int                rv;

	*rows = *bad_id = 0;
	*why = NULL;
	if (audit_chain_init(&ch) != 0)
		return MOD_EINTERNAL;
	rv = ctl_on_verify_feed(&ch, data, len, bad_id, why);
	*rows = ch.rows;
	return rv;
}

/* ctl_on_last_row: the last non-empty row of data[0..len), [*row, *end);
 * false if there is none.  In CSV a line break inside quotes (a reason
 * or comment may hold one) does not end a row. */
static bool
ctl_on_last_row(
    const char *data, size_t len, bool csv, const char **row, const char **end)
{
	const char *start = data;
	bool        quoted = false;
	size_t      i;

	*row = *end = NULL;
	for (i = 0; i <= len; i++) {
		if (i < len && csv && data[i] == '"')
			quoted = !quoted;
		if (i < len && (data[i] != '\n' || quoted))
			continue;
		if (data + i > start) {
			*row = start;
			*end = data + i;
		}
		start = data + i + 1;
	}
	return *row != NULL;
}

int
ctl_online_last_id(
    const char *data, size_t len, bool csv, bool header, int64_t *id)
{
	const char *line, *end;
	json_t     *o;
	char        num[24];
	size_t      n;

	*id = 0;
	if (!ctl_on_last_row(data, len, csv, &line, &end)
	    || (csv && header && line == data))
		return MOD_ENOENT; /* no rows (the header alone) */
	if (csv) {
		for (n = 0;
		     line + n < end && line[n] != ',' && n + 1 < sizeof(num);
		     n++)
			num[n] = line[n];
		num[n] = '\0';
		return mod_strtonum(num, 1, INT64_MAX, id) == 0 ? 0
		                                                : MOD_EINVAL;
	}
	o = json_loadb(line, (size_t) (end - line), 0, NULL);
	*id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	return *id > 0 ? 0 : MOD_EINVAL;
}

/* What to do with each page of a paged export; non-zero stops. */
typedef int (*ctl_on_page_fn)(void *arg, const char *data, size_t len);

/* ctl_on_page_get: GET base&after=after into rep. */
static int
ctl_on_page_get(
    struct ctl_on *o, const char *base, int64_t after, struct ctl_reply *rep)
{
	struct buf path;
	char       num[24];
	int        rv;

	snprintf(num, sizeof(num), "%lld", (long long) after);
	if ((rv = ctl_on_path(&path, base, NULL, NULL)) != 0)
		return rv;
	if (ctl_path_add(&path, "after", num) != 0)
		rv = ctl_on_fail("the request path is too long");
	else
		rv = ctl_on_call_max(
		    o, "GET", &path, NULL, MOD_MAX_AUDIT_PAGE_BYTES, rep);
	buf_free(&path);
	return rv;
}

/*
 * ctl_on_pages: a whole export, however large, page by page (GET
 * base&after=ID, doc/api.md): each page to fn, until an empty one.  Only
 * one page is held at a time.  Returns 0, what fn returned to stop, or
 * the exit status of a failure (printed).
 */
static int
ctl_on_pages(
    struct ctl_on *o, const char *base, bool csv, ctl_on_page_fn fn, void *arg)
{
	struct ctl_reply rep;
	const char      *data;
	int64_t          after = 0, last = 0;
	int              rv, stop;

	for (;;) {
		if ((rv = ctl_on_page_get(o, base, after, &rep)) != 0)
			return rv;
		data = rep.body.data != NULL ? rep.body.data : "";
		if ((stop = fn(arg, data, rep.body.len)) == 0)
			rv = ctl_online_last_id(
			    data, rep.body.len, csv, csv && after == 0, &last);
		ctl_reply_free(&rep);
		if (stop != 0)
			return stop;
		if (rv == MOD_ENOENT)
			return 0;
		if (rv != 0 || last <= after) /* no progress: never loop */
			return ctl_on_fail(
			    "a page of the export is malformed");
		after = last;
	}
}

/* The state of `audit verify` across pages. */
struct ctl_on_verify {
	struct audit_chain ch;
	int64_t            bad_id;
	const char        *why;
	bool               broken;
};

static int
ctl_on_verify_page(void *arg, const char *data, size_t len)
{
	struct ctl_on_verify *v = arg;

	if (ctl_on_verify_feed(&v->ch, data, len, &v->bad_id, &v->why) != 0)
		v->broken = true;
	return v->broken ? 1 : 0;
}

static int
ctl_on_audit_verify(struct ctl_on *o, int argc, char **argv)
{
	struct ctl_on_verify v = { 0 };
	int                  rv;

	(void) argv;
	if (argc != 0)
		return ctl_on_usage("audit verify");
	if (audit_chain_init(&v.ch) != 0)
		return ctl_on_fail("libsodium failed to start");
	rv = ctl_on_pages(
	    o, "/v1/audit/export?format=jsonl", false, ctl_on_verify_page, &v);
	if (v.broken) {
		printf("audit chain BROKEN at row %lld: %s\n",
		    (long long) v.bad_id, v.why);
		return 1;
	}
	if (rv == 0)
		printf("audit chain OK: %lld rows\n", (long long) v.ch.rows);
	return rv;
}

static int
ctl_on_export_page(void *arg, const char *data, size_t len)
{
	(void) arg;
	if (fwrite(data, 1, len, stdout) != len)
		return ctl_on_fail("could not write the export");
	return 0;
}

static int
ctl_on_audit_export(struct ctl_on *o, int argc, char **argv)
{
	static const char *const spec[]
	    = { "--since=", "--until=", "--format=", NULL };
	struct ctl_args a;
	struct buf      path;
	const char     *format;
	bool            csv;
	int             rv;

	if (ctl_args_parse(&a, spec, 0, argc, argv) != 0) {
		return ctl_on_usage("audit export [--since T] [--until T] "
		                    "[--format jsonl|csv]");
	}
	csv = (format = ctl_args_val(&a, "--format")) != NULL
	    && strcmp(format, "csv") == 0;
	if ((rv = ctl_on_path(&path, "/v1/audit/export", NULL, NULL)) != 0)
		return rv;
	if (ctl_args_query(&a, &path) != 0)
		rv = ctl_on_fail("the request path is too long");
	else
		rv = ctl_on_pages(
		    o, buf_cstr(&path), csv, ctl_on_export_page, NULL);
	buf_free(&path);
	return rv;
}

static void
ctl_on_audit_print(json_t *v)
{
	static const char *const heads[]
	    = { "ID", "AT", "ACTOR", "ACTION", "TARGET", "ITEM", "REASON" };
	static const char *const keys[] = { "id", "at", "actor", "action",
		"target_id", "proposal_id", "reason" };

	ctl_on_rows(json_object_get(v, "rows"), heads, keys, nitems(keys));
	ctl_on_more(v);
}

static int
ctl_on_audit_list(struct ctl_on *o, int argc, char **argv)
{
	static const char *const spec[]
	    = { "--since=", "--until=", "--actor=", "--action=", "--proposal=",
		      "--q=", "--limit=", "--cursor=", NULL };

	return ctl_on_list(o, argc, argv, spec, "/v1/audit",
	    "audit list [--since T] [--until T] [--actor U] [--action A] "
	    "[--proposal ID] [--q TEXT] [--limit N] [--cursor C]",
	    ctl_on_audit_print);
}

/* ---- users -------------------------------------------------------------- */

/* ctl_on_token_state: "revoked", "expired" or "active". */
static const char *
ctl_on_token_state(const json_t *tk)
{
	const char *ex = json_string_value(json_object_get(tk, "expires_at"));
	int64_t     ms;

	if (json_is_string(json_object_get(tk, "revoked_at")))
		return "revoked";
	if (ex != NULL && mod_parse_time(ex, &ms) == 0
	    && ms / 1000 <= (int64_t) time(NULL))
		return "expired";
	return "active";
}

static void
ctl_on_user_rows(struct ctl_table *t, const json_t *u)
{
	static const char *const keys[]
	    = { "id", "created_at", "expires_at", "last_used_at" };
	char          b[8][CTL_TEXT_BYTES];
	const char   *v[8];
	const json_t *tk;
	size_t        i, j;

	v[0] = ctl_on_get(u, "name", b[0]);
	v[1] = ctl_on_get(u, "role", b[1]);
	v[2] = json_is_string(json_object_get(u, "disabled_at")) ? "disabled"
	                                                         : "active";
	for (j = 3; j < 8; j++)
		v[j] = NULL;
	json_array_foreach(json_object_get(u, "tokens"), i, tk)
	{
		for (j = 0; j < nitems(keys); j++)
			v[j == 0 ? 3 : j + 4]
			    = ctl_on_get(tk, keys[j], b[j + 3]);
		v[4] = ctl_on_token_state(tk);
		ctl_table_add(t, v);
	}
	if (i == 0)
		ctl_table_add(t, v);
}

static void
ctl_on_users_print(json_t *v)
{
	static const char *const heads[] = { "USER", "ROLE", "USER-STATE",
		"TOKEN", "TOKEN-STATE", "CREATED", "EXPIRES", "LAST-USED" };
	struct ctl_table         t;
	const json_t            *u;
	size_t                   i;

	ctl_table_init(&t, heads, nitems(heads));
	json_array_foreach(json_object_get(v, "users"), i, u)
	    ctl_on_user_rows(&t, u);
	ctl_table_print(&t);
}

static void
ctl_on_user_added_print(json_t *v)
{
	json_t *u = json_object_get(v, "user");
	char    n[CTL_TEXT_BYTES], r[CTL_TEXT_BYTES], t[CTL_TEXT_BYTES];

	printf("user %s (%s) created; API token (shown once):\n%s\n",
	    ctl_on_get(u, "name", n), ctl_on_get(u, "role", r),
	    ctl_on_get(v, "token", t));
}

static void
ctl_on_token_print(json_t *v)
{
	char id[CTL_TEXT_BYTES], ex[CTL_TEXT_BYTES], t[CTL_TEXT_BYTES];

	printf("token %s (expires %s); shown once:\n%s\n",
	    ctl_on_get(v, "id", id), ctl_on_get(v, "expires_at", ex),
	    ctl_on_get(v, "token", t));
}

static void
ctl_on_revoked_print(json_t *v)
{
	ctl_on_line2(v, "token %s revoked at %s\n", "id", "revoked_at");
}

static void
ctl_on_disabled_print(json_t *v)
{
	ctl_on_line2(v, "user %s disabled at %s\n", "name", "disabled_at");
}

static int
ctl_on_users_add(struct ctl_on *o, int argc, char **argv)
{
	static const char *const spec[] = { "--role=", NULL };
	struct ctl_args          a;
	int                      rv;

	if (ctl_args_parse(&a, spec, 1, argc, argv) != 0 || a.npos != 1
	    || ctl_args_val(&a, "--role") == NULL)
		rv = ctl_on_usage(
		    "users add NAME --role admin|moderator|triage");
	else
		rv = ctl_on_post(o, "/v1/users", NULL, NULL,
		    json_pack("{s:s, s:s}", "name", a.pos[0], "role",
		        ctl_args_val(&a, "--role")),
		    ctl_on_user_added_print);
	return rv;
}

static int
ctl_on_users(struct ctl_on *o, int argc, char **argv)
{
	static const char usage[]
	    = "users [add NAME --role R | token NAME | revoke TOKEN_ID | "
	      "disable NAME]";
	struct buf path;
	int        rv;

	if (argc == 0) {
		if ((rv = ctl_on_path(&path, "/v1/users", NULL, NULL)) != 0)
			return rv;
		rv = ctl_on_run(o, "GET", &path, NULL, ctl_on_users_print);
		buf_free(&path);
		return rv;
	}
	if (strcmp(argv[0], "add") == 0)
		return ctl_on_users_add(o, argc - 1, argv + 1);
	if (argc != 2 || argv[1][0] == '-')
		return ctl_on_usage(usage);
	if (strcmp(argv[0], "token") == 0)
		return ctl_on_post(o, "/v1/users", argv[1], "/tokens", NULL,
		    ctl_on_token_print);
	if (strcmp(argv[0], "revoke") == 0)
		return ctl_on_post(o, "/v1/tokens", argv[1], "/revoke", NULL,
		    ctl_on_revoked_print);
	if (strcmp(argv[0], "disable") == 0)
		return ctl_on_post(o, "/v1/users", argv[1], "/disable", NULL,
		    ctl_on_disabled_print);
	return ctl_on_usage(usage);
}

/* ---- feeds -------------------------------------------------------------- */

static void
ctl_on_sync_print(json_t *v)
{
	static const char *const heads[] = { "FEED", "STATUS", "ERROR" };
	static const char *const keys[] = { "name", "status", "error" };
	static const char *const sums[]
	    = { "added", "changed", "retracted", "suppressed" };
	char   b[CTL_TEXT_BYTES];
	size_t i;

	ctl_on_rows(json_object_get(v, "feeds"), heads, keys, nitems(keys));
	for (i = 0; i < nitems(sums); i++)
		printf("%s%s %s", i ? ", " : "\n", sums[i],
		    ctl_on_get(v, sums[i], b));
	if (json_is_true(json_object_get(v, "held")))
		printf("; held as change set %s",
		    ctl_on_get(v, "changeset_id", b));
	printf("\n");
}

static int
ctl_on_feeds_sync(struct ctl_on *o, int argc, char **argv)
{
	json_t *body;

	if (argc > 1 || (argc == 1 && argv[0][0] == '-'))
		return ctl_on_usage("feeds sync [NAME]");
	body = argc == 1 ? json_pack("{s:s}", "name", argv[0]) : json_object();
	return ctl_on_post(
	    o, "/v1/feeds/sync", NULL, NULL, body, ctl_on_sync_print);
}

/* ---- feed change sets ------------------------------------------------- */

static void
ctl_on_changesets_print(json_t *v)
{
	static const char *const heads[] = { "ID", "STATE", "ADD", "CHANGE",
		"RETRACT", "CREATED", "DECIDED BY", "REASON" };
	static const char *const keys[] = { "id", "state", "nadd", "nchange",
		"nretract", "created_at", "decided_by", "reason" };

	ctl_on_rows(
	    json_object_get(v, "changesets"), heads, keys, nitems(keys));
}

static int
ctl_on_changesets(struct ctl_on *o, int argc, char **argv)
{
	static const char *const spec[] = { "--state=", "--limit=", NULL };

	return ctl_on_list(o, argc, argv, spec, "/v1/changesets",
	    "changesets [--state held|approved|rejected]",
	    ctl_on_changesets_print);
}

/* One change set: its counts, then its items as the queue lists them. */
static void
ctl_on_changeset_print(json_t *v)
{
	char id[CTL_TEXT_BYTES], st[CTL_TEXT_BYTES];

	printf("change set %s: %s\n", ctl_on_get(v, "id", id),
	    ctl_on_get(v, "state", st));
	ctl_on_queue_print(v);
}

/* ctl_on_cs_id: argv[0] is a change set id. */
static int
ctl_on_cs_id(const char *s)
{
	int64_t v;

	if (mod_strtonum(s, 1, INT64_MAX, &v) == 0)
		return 0;
	fprintf(stderr, "moderctl: %s: not a change set id\n", s);
	return 2;
}

static int
ctl_on_changeset_show(struct ctl_on *o, int argc, char **argv)
{
	struct buf path;
	int        rv;

	if (argc != 1 || argv[0][0] == '-')
		return ctl_on_usage("changeset show ID");
	if ((rv = ctl_on_cs_id(argv[0])) != 0
	    || (rv = ctl_on_path(&path, "/v1/changesets", argv[0], NULL)) != 0)
		return rv;
	rv = ctl_on_run(o, "GET", &path, NULL, ctl_on_changeset_print);
	buf_free(&path);
	return rv;
}

/* ctl_on_cs_decide: sign-off (approve) or reject of change set ID. */
static int
ctl_on_cs_decide(struct ctl_on *o, int argc, char **argv, bool approve)
{
	static const char *const spec[] = { "--comment=", "--reason=", NULL };
	const char *usage = approve ? "changeset approve ID [--comment TEXT]"
	                            : "changeset reject ID --reason TEXT";
	const char *key = approve ? "--comment=" : "--reason=";
	struct ctl_args a;
	const char     *text;
	json_t         *body;
	int             rv;

	if (ctl_args_parse(&a, spec, 1, argc, argv) != 0 || a.npos != 1
	    || (!approve && ctl_args_val(&a, key) == NULL))
		return ctl_on_usage(usage);
	if ((rv = ctl_on_cs_id(a.pos[0])) != 0)
		return rv;
	body = json_object();
	if ((text = ctl_args_val(&a, key)) != NULL)
		json_object_set_new(
		    body, approve ? "comment" : "reason", json_string(text));
	return ctl_on_post(o, "/v1/changesets", a.pos[0],
	    approve ? "/approve" : "/reject", body, ctl_on_changeset_print);
}

static int
ctl_on_changeset_approve(struct ctl_on *o, int argc, char **argv)
{
	return ctl_on_cs_decide(o, argc, argv, true);
}

static int
ctl_on_changeset_reject(struct ctl_on *o, int argc, char **argv)
{
	return ctl_on_cs_decide(o, argc, argv, false);
}

/* ---- dispatch ----------------------------------------------------------- */

static const struct ctl_on_cmd ctl_on_cmds[] = {
	{ "queue", NULL, ctl_on_queue,
	    "queue [--state S] [--action A] [--rule R] [--feed F] [--group G] "
	    "[--assignee U] [--limit N]" },
	{ "show", NULL, ctl_on_show, "show ID" },
	{ "approve", NULL, ctl_on_approve, "approve ID [--comment TEXT]" },
	{ "reject", NULL, ctl_on_reject, "reject ID --reason TEXT" },
	{ "assign", NULL, ctl_on_assign, "assign ID USER|--me|--none" },
	{ "comment", NULL, ctl_on_comment, "comment ID TEXT" },
	{ "edit", NULL, ctl_on_edit,
	    "edit ID [--action A] [--public-comment T] [--private-comment T] "
	    "[--reject-media|--reject-reports|--obfuscate yes|no]" },
	{ "propose", NULL, ctl_on_propose,
	    "propose --target-type T --target-id ID --action A "
	    "[--reason TEXT]" },
	{ "stats", "rules", ctl_on_stats_rules, "stats rules [--since 7d]" },
	{ "stats", "feeds", ctl_on_stats_feeds, "stats feeds [--since 7d]" },
	{ "audit", "verify", ctl_on_audit_verify, "audit verify" },
	{ "audit", "export", ctl_on_audit_export,
	    "audit export [--since T] [--until T] [--format jsonl|csv]" },
	{ "audit", "list", ctl_on_audit_list,
	    "audit list [--actor U] [--action A] [--q TEXT] ..." },
	{ "users", NULL, ctl_on_users,
	    "users [add NAME --role R | token NAME | revoke TOKEN_ID | "
	    "disable NAME]" },
	{ "feeds", "sync", ctl_on_feeds_sync, "feeds sync [NAME]" },
	{ "changesets", NULL, ctl_on_changesets,
	    "changesets [--state held|approved|rejected]" },
	{ "changeset", "show", ctl_on_changeset_show, "changeset show ID" },
	{ "changeset", "approve", ctl_on_changeset_approve,
	    "changeset approve ID [--comment TEXT]" },
	{ "changeset", "reject", ctl_on_changeset_reject,
	    "changeset reject ID --reason TEXT" },
};

void
ctl_online_usage(FILE *fp)
{
	size_t i;

	for (i = 0; i < nitems(ctl_on_cmds); i++)
		fprintf(fp,
		    "       moderctl [--url URL] [--token T] [--json] %s\n",
		    ctl_on_cmds[i].usage);
}

/* ctl_on_globals: take --url, --token and --json out of argv. */
static int
ctl_on_globals(struct ctl_on *o, int *argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			o->json = true;
		else if ((strcmp(argv[i], "--url") == 0
		             || strcmp(argv[i], "--token") == 0)
		    && i + 1 < *argc) {
			if (argv[i][2] == 'u')
				o->url = argv[++i];
			else
				o->token = argv[++i];
		} else
			argv[n++] = argv[i];
	}
	*argc = n;
	return 0;
}

static const struct ctl_on_cmd *
ctl_on_find(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc > 0 && i < nitems(ctl_on_cmds); i++) {
		if (strcmp(argv[0], ctl_on_cmds[i].word) != 0)
			continue;
		if (ctl_on_cmds[i].sub == NULL
		    || (argc > 1 && strcmp(argv[1], ctl_on_cmds[i].sub) == 0))
			return &ctl_on_cmds[i];
	}
	return NULL;
}

int
ctl_online_main(int argc, char **argv)
{
	const struct ctl_on_cmd *cmd;
	struct ctl_on            o = { 0 };
	int                      n, rv;

	(void) ctl_on_globals(&o, &argc, argv);
	if ((cmd = ctl_on_find(argc, argv)) == NULL)
		return -1;
	n = cmd->sub != NULL ? 2 : 1;
	if ((rv = ctl_on_connect(&o)) == 0)
		rv = cmd->fn(&o, argc - n, argv + n);
	ctl_client_free(o.cl);
	fflush(stdout);
	return rv;
}
