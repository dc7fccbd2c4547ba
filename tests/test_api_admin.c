/*
 * test_api_admin.c - the admin, audit and statistics parts of the /v1
 * API (api_admin.c, api_audit.c, api_stats.c over store_users.c,
 * audit.c, audit_chain.c and queue_stats.c) and moderctl's client
 * (ctl_client.c, ctl_online.c), against a real throwaway PostgreSQL
 * (harness_pg) and the real HTTP server on 127.0.0.1, port 0.
 *
 * Covered: the users and tokens lifecycle (a new token works, a revoked
 * one is 401, an expired one is 401 through token_ttl, a disabled user
 * is 401), every admin endpoint refused with 403 to a moderator and a
 * triager with nothing changed, audit listing with filters and keyset
 * pagination, server-side verification, exports in JSON lines and CSV
 * (exact header) that the client-side chain walk accepts, statistics
 * with their precision on a seeded set of decided proposals, and
 * tampering: with the append-only trigger disabled by the superuser, one
 * row rewritten is named by audit_verify(), by GET /v1/audit/verify and
 * by the client's own recomputation.  The tampering test runs last: it
 * leaves the chain broken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "api.h"
#include "audit.h"
#include "conf.h"
#include "ctl_client.h"
#include "ctl_online.h"
#include "harness_pg.h"
#include "http.h"
#include "queue_stats.h"
#include "store.h"
#include "util.h"

#define T_TOKEN_BYTES (STORE_TOKEN_HEX_LEN + 1)

/* The group's server, database, daemon parts and tokens. */
struct t {
	struct harness_pg pg;
	char              dsn[HARNESS_PG_DSN_BYTES];
	struct store     *db;
	struct api       *api;
	struct http      *http;
	char              url[64];
	char              admin[T_TOKEN_BYTES]; /* user root */
	char              mod[T_TOKEN_BYTES]; /* user mia */
	char              tri[T_TOKEN_BYTES]; /* user tom */
};

/* One answer: status and parsed JSON (NULL if none). */
struct t_ans {
	long    status;
	json_t *json;
	char   *body;
	size_t  len;
};

static struct conf *
t_conf(const char *src)
{
	struct conf *c = NULL;

	assert_int_equal(
	    conf_load_buffer("t.conf", src, strlen(src), &c, NULL), 0);
	return c;
}

static int
t_start_http(struct t *t)
{
	struct api_init          ai = { t->dsn, 5000, NULL };
	struct http_init         hi = { 0 };
	const struct http_route *routes;
	size_t                   n;
	struct conf             *c = NULL;
	int                      port = 0;
	static const char src[] = "http_listen \"http://127.0.0.1:0\"\n";

	if (conf_load_buffer("t.conf", src, strlen(src), &c, NULL) != 0
	    || api_start(&ai, &t->api, &routes, &n) != 0)
		return -1;
	hi.routes = routes;
	hi.nroutes = n;
	if (http_start(c, &hi, &t->http) != 0
	    || http_port(t->http, &port) != 0)
		return -1;
	conf_free(c);
	snprintf(t->url, sizeof(t->url), "http://127.0.0.1:%d", port);
	return 0;
}

static int
group_setup(void **state)
{
	struct t *t = xcalloc(1, sizeof(*t));

	*state = t;
	if (harness_pg_start(&t->pg) != 0
	    || harness_pg_fresh(&t->pg, t->dsn, sizeof(t->dsn), &t->db) != 0) {
		fprintf(
		    stderr, "test_api_admin: no PostgreSQL: %s\n", t->pg.err);
		return -1;
	}
	if (store_user_add(t->db, "root", "admin", t->admin) != 0
	    || store_user_add(t->db, "mia", "moderator", t->mod) != 0
	    || store_user_add(t->db, "tom", "triage", t->tri) != 0)
		return -1;
	return t_start_http(t);
}

static int
group_teardown(void **state)
{
	struct t *t = *state;

	http_stop(t->http);
	api_stop(t->api);
	store_close(t->db);
	harness_pg_stop(&t->pg);
	conf_install(NULL);
	free(t);
	return 0;
}

/* t_call: method path as token with body (JSON text or NULL). */
static struct t_ans
t_call(struct t *t, const char *token, const char *method, const char *path,
    const char *body)
{
	struct ctl_client *cl = NULL;
	struct ctl_reply   rep;
	struct mod_err     err;
	struct t_ans       a = { 0 };
	json_t            *b = body ? json_loads(body, 0, NULL) : NULL;

	assert_true(body == NULL || b != NULL);
	assert_int_equal(ctl_client_new(t->url, token, &cl, &err), 0);
	assert_int_equal(ctl_client_call(cl, method, path, b,
	                     MOD_MAX_AUDIT_EXPORT_BYTES, 30000, &rep, &err),
	    0);
	a.status = rep.status;
	a.json = rep.json;
	rep.json = NULL;
	a.len = rep.body.len;
	a.body = buf_steal(&rep.body);
	ctl_reply_free(&rep);
	ctl_client_free(cl);
	json_decref(b);
	return a;
}

static void
t_ans_free(struct t_ans *a)
{
	json_decref(a->json);
	free(a->body);
	memset(a, 0, sizeof(*a));
}

/* t_expect: call and check the status; returns the answer. */
static struct t_ans
t_expect(struct t *t, long status, const char *token, const char *method,
    const char *path, const char *body)
{
	struct t_ans a = t_call(t, token, method, path, body);

	if (a.status != status)
		fail_msg("%s %s: status %ld, want %ld: %s", method, path,
		    a.status, status, a.body ? a.body : "");
	return a;
}

/* t_status: call and check the status only (and the error code). */
static void
t_status(struct t *t, long status, const char *code, const char *token,
    const char *method, const char *path, const char *body)
{
	struct t_ans a = t_expect(t, status, token, method, path, body);

	if (code != NULL)
		assert_string_equal(
		    json_string_value(json_object_get(a.json, "error")), code);
	t_ans_free(&a);
}

static const char *
t_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t
t_int(const json_t *o, const char *key)
{
	return (int64_t) json_integer_value(json_object_get(o, key));
}

/* t_count: an integer a query returns. */
static int64_t
t_count(struct t *t, const char *sql)
{
	char    v[32];
	int64_t n;

	assert_int_equal(
	    store_query_value(t->db, "test", sql, 0, NULL, v, sizeof(v)), 0);
	assert_int_equal(mod_strtonum(v, INT64_MIN, INT64_MAX, &n), 0);
	return n;
}

static void
t_sql(struct t *t, const char *sql)
{
	assert_int_equal(store_exec(t->db, "test", sql, 0, NULL), 0);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* --- users and tokens -------------------------------------------------- */

/* t_user: the user called name in a GET /v1/users answer. */
static json_t *
t_user(json_t *users, const char *name)
{
	json_t *u;
	size_t  i;

	json_array_foreach(json_object_get(users, "users"), i, u)
	{
		if (strcmp(t_str(u, "name"), name) == 0)
			return u;
	}
	return NULL;
}

static void
test_users_lifecycle(void **state)
{
	struct t    *t = *state;
	struct t_ans a, me;
	char         tok1[T_TOKEN_BYTES], tok2[T_TOKEN_BYTES], path[64];
	int64_t      id2;

	a = t_expect(t, 201, t->admin, "POST", "/v1/users",
	    "{\"name\":\"carol\",\"role\":\"moderator\"}");
	mod_strlcpy(tok1, t_str(a.json, "token"), sizeof(tok1));
	assert_int_equal(strlen(tok1), STORE_TOKEN_HEX_LEN);
	assert_string_equal(
	    t_str(json_object_get(a.json, "user"), "role"), "moderator");
	assert_int_equal(json_array_size(json_object_get(
	                     json_object_get(a.json, "user"), "tokens")),
	    1);
	t_ans_free(&a);
	me = t_expect(t, 200, tok1, "GET", "/v1/me", NULL);
	assert_string_equal(t_str(me.json, "user"), "carol");
	t_ans_free(&me);

	/* A second token works; revoked, it is refused; the first is not. */
	a = t_expect(t, 201, t->admin, "POST", "/v1/users/carol/tokens", NULL);
	mod_strlcpy(tok2, t_str(a.json, "token"), sizeof(tok2));
	id2 = t_int(a.json, "id");
	assert_true(json_is_null(json_object_get(a.json, "expires_at")));
	t_ans_free(&a);
	t_status(t, 200, NULL, tok2, "GET", "/v1/me", NULL);
	snprintf(
	    path, sizeof(path), "/v1/tokens/%lld/revoke", (long long) id2);
	a = t_expect(t, 200, t->admin, "POST", path, NULL);
	assert_int_equal(t_int(a.json, "id"), id2);
	assert_non_null(t_str(a.json, "revoked_at"));
	t_ans_free(&a);
	t_status(t, 401, "unauthorized", tok2, "GET", "/v1/me", NULL);
	t_status(t, 200, NULL, tok1, "GET", "/v1/me", NULL);
	t_status(t, 409, "conflict", t->admin, "POST", path, NULL);
	t_status(t, 404, "not_found", t->admin, "POST",
	    "/v1/tokens/987654/revoke", NULL);

	/* Disabled: every token of the user stops working. */
	a = t_expect(
	    t, 200, t->admin, "POST", "/v1/users/carol/disable", NULL);
	assert_non_null(t_str(a.json, "disabled_at"));
	assert_int_equal(
	    json_array_size(json_object_get(a.json, "tokens")), 2);
	t_ans_free(&a);
	t_status(t, 401, "unauthorized", tok1, "GET", "/v1/me", NULL);
	t_status(t, 409, "conflict", t->admin, "POST",
	    "/v1/users/carol/disable", NULL);
	t_status(t, 409, "conflict", t->admin, "POST",
	    "/v1/users/carol/tokens", NULL);
	t_status(t, 404, "not_found", t->admin, "POST",
	    "/v1/users/nobody/tokens", NULL);
	t_status(t, 409, "conflict", t->admin, "POST",
	    "/v1/users/root/disable", NULL);

	/* The list shows it all; the audit trail names the admin. */
	a = t_expect(t, 200, t->admin, "GET", "/v1/users", NULL);
	assert_non_null(t_str(t_user(a.json, "carol"), "disabled_at"));
	assert_true(json_is_null(
	    json_object_get(t_user(a.json, "mia"), "disabled_at")));
	assert_string_equal(t_str(t_user(a.json, "tom"), "role"), "triage");
	t_ans_free(&a);
	assert_int_equal(t_count(t,
	                     "SELECT count(*) FROM audit WHERE actor = 'root'"
	                     " AND action IN ('user.add', 'token.add',"
	                     " 'token.revoke', 'user.disable')"),
	    4);
}

/* Bad requests: refused with 400/409 and nothing written. */
static void
test_users_bad_requests(void **state)
{
	static const char *const bodies[] = {
		"{\"name\":\"x'; DROP TABLE users;--\",\"role\":\"triage\"}",
		"{\"name\":\"\",\"role\":\"triage\"}",
		"{\"name\":\"dave\",\"role\":\"root\"}",
		"{\"name\":\"dave\"}",
		"{\"name\":\"dave\",\"role\":\"triage\",\"admin\":true}",
		"{\"name\":42,\"role\":\"triage\"}",
		"{\"name\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaa"
		"\",\"role\":\"triage\"}",
	};
	struct t *t = *state;
	int64_t   users = t_count(t, "SELECT count(*) FROM users");
	int64_t   rows = t_count(t, "SELECT count(*) FROM audit");
	size_t    i;

	for (i = 0; i < nitems(bodies); i++)
		t_status(t, 400, "bad_request", t->admin, "POST", "/v1/users",
		    bodies[i]);
	t_status(t, 409, "conflict", t->admin, "POST", "/v1/users",
	    "{\"name\":\"mia\",\"role\":\"admin\"}");
	t_status(t, 400, "bad_request", t->admin, "POST",
	    "/v1/users/mia/tokens", "{\"ttl\":1}");
	assert_int_equal(t_count(t, "SELECT count(*) FROM users"), users);
	assert_int_equal(t_count(t, "SELECT count(*) FROM audit"), rows);
}

static void
test_token_ttl(void **state)
{
	struct t    *t = *state;
	struct t_ans a;
	char         tok[T_TOKEN_BYTES];

	conf_install(t_conf("token_ttl 1s\n"));
	a = t_expect(t, 201, t->admin, "POST", "/v1/users",
	    "{\"name\":\"eve\",\"role\":\"triage\"}");
	mod_strlcpy(tok, t_str(a.json, "token"), sizeof(tok));
	assert_non_null(t_str(
	    json_array_get(
	        json_object_get(json_object_get(a.json, "user"), "tokens"), 0),
	    "expires_at"));
	t_ans_free(&a);
	conf_install(NULL);
	t_status(t, 200, NULL, tok, "GET", "/v1/me", NULL);
	sleep_ms(1300);
	t_status(t, 401, "unauthorized", tok, "GET", "/v1/me", NULL);
	/* Without token_ttl a new token never expires. */
	a = t_expect(t, 201, t->admin, "POST", "/v1/users/eve/tokens", NULL);
	assert_true(json_is_null(json_object_get(a.json, "expires_at")));
	mod_strlcpy(tok, t_str(a.json, "token"), sizeof(tok));
	t_ans_free(&a);
	t_status(t, 200, NULL, tok, "GET", "/v1/me", NULL);
}

/* Every admin route, refused below admin, and without a good token. */
static void
test_admin_forbidden(void **state)
{
	static const char *const calls[][3] = {
		{ "GET", "/v1/users", NULL },
		{ "POST", "/v1/users",
		    "{\"name\":\"zed\",\"role\":\"admin\"}" },
		{ "POST", "/v1/users/mia/tokens", NULL },
		{ "POST", "/v1/users/root/disable", NULL },
		{ "POST", "/v1/tokens/1/revoke", NULL },
	};
	struct t    *t = *state;
	const char  *who[] = { t->mod, t->tri };
	struct t_ans before, after;
	int64_t      rows = t_count(t, "SELECT count(*) FROM audit");
	size_t       i, j;

	before = t_expect(t, 200, t->admin, "GET", "/v1/users", NULL);
	for (i = 0; i < nitems(calls); i++) {
		for (j = 0; j < nitems(who); j++)
			t_status(t, 403, "forbidden", who[j], calls[i][0],
			    calls[i][1], calls[i][2]);
		t_status(t, 401, "unauthorized", NULL, calls[i][0],
		    calls[i][1], calls[i][2]);
		t_status(t, 401, "unauthorized",
		    "000000000000000000000000000000000000000000000000000000000"
		    "0"
		    "000000",
		    calls[i][0], calls[i][1], calls[i][2]);
	}
	after = t_expect(t, 200, t->admin, "GET", "/v1/users", NULL);
	/* last_used_at may move (the refused calls authenticated): the
	 * users, their tokens and their states may not. */
	assert_int_equal(json_array_size(json_object_get(after.json, "users")),
	    json_array_size(json_object_get(before.json, "users")));
	assert_int_equal(json_array_size(json_object_get(
	                     t_user(after.json, "mia"), "tokens")),
	    json_array_size(
	        json_object_get(t_user(before.json, "mia"), "tokens")));
	assert_true(json_is_null(
	    json_object_get(t_user(after.json, "root"), "disabled_at")));
	assert_null(t_user(after.json, "zed"));
	assert_int_equal(t_count(t, "SELECT count(*) FROM audit"), rows);
	assert_int_equal(t_count(t,
	                     "SELECT count(*) FROM tokens"
	                     " WHERE revoked_at IS NOT NULL AND id = 1"),
	    0);
	t_ans_free(&before);
	t_ans_free(&after);
}

/* --- the audit trail --------------------------------------------------- */

/* t_seed_audit: n rows, actors alternating, every third a "needle". */
static void
t_seed_audit(struct t *t, int n)
{
	char reason[64], target[32];
	int  i;

	assert_int_equal(store_begin(t->db), 0);
	assert_int_equal(audit_lock(t->db), 0);
	for (i = 0; i < n; i++) {
		snprintf(reason, sizeof(reason), "%s %d",
		    i % 3 == 0 ? "has a needle" : "plain", i);
		snprintf(target, sizeof(target), "acct-%d", i);
		assert_int_equal(
		    audit_append(t->db, i % 2 ? "alice" : "bob",
		        i % 2 ? "test.a" : "test.b", "account", target,
		        100 + i % 4, reason, "ev-1", "r1"),
		    0);
	}
	assert_int_equal(store_commit(t->db), 0);
}

/* t_pages: follow cursors through path (with a query), checking order;
 * returns the rows seen. */
static size_t
t_pages(struct t *t, const char *path, size_t limit)
{
	struct t_ans a;
	char         p[512];
	const char  *cursor = NULL;
	char         cur[64] = "";
	int64_t      last = INT64_MAX;
	size_t       seen = 0, i, pages = 0;
	json_t      *r;

	do {
		snprintf(p, sizeof(p), "%s&limit=%zu%s%s", path, limit,
		    cursor ? "&cursor=" : "", cursor ? cur : "");
		a = t_expect(t, 200, t->tri, "GET", p, NULL);
		assert_true(
		    json_array_size(json_object_get(a.json, "rows")) <= limit);
		json_array_foreach(json_object_get(a.json, "rows"), i, r)
		{
			assert_true(t_int(r, "id") < last); /* newest first */
			last = t_int(r, "id");
			seen++;
		}
		cursor = t_str(a.json, "next_cursor");
		if (cursor != NULL)
			mod_strlcpy(cur, cursor, sizeof(cur));
		t_ans_free(&a);
		assert_true(++pages < 100);
	} while (cursor != NULL);
	return seen;
}

static void
test_audit_list(void **state)
{
	struct t    *t = *state;
	struct t_ans a;
	json_t      *r;
	size_t       i;

	t_seed_audit(t, 30);
	assert_int_equal(t_pages(t, "/v1/audit?actor=alice", 4), 15);
	assert_int_equal(t_pages(t, "/v1/audit?action=test.b", 5), 15);
	assert_int_equal(t_pages(t, "/v1/audit?q=needle", 3), 10);
	assert_int_equal(t_pages(t, "/v1/audit?q=acct-2", 50), 11);
	assert_int_equal(t_pages(t, "/v1/audit?proposal=101", 2), 8);
	assert_int_equal(
	    t_pages(t, "/v1/audit?actor=alice&proposal=101&q=needle", 2), 2);
	assert_int_equal(t_pages(t, "/v1/audit?since=2999-01-01", 2), 0);
	assert_int_equal(t_pages(t, "/v1/audit?until=2000-01-01", 2), 0);
	assert_int_equal(t_pages(t, "/v1/audit?since=1h&actor=bob", 7), 15);
	assert_int_equal(t_pages(t, "/v1/audit?q=x'%20OR%201=1--", 7), 0);
	a = t_expect(
	    t, 200, t->tri, "GET", "/v1/audit?actor=bob&limit=1", NULL);
	r = json_array_get(json_object_get(a.json, "rows"), 0);
	assert_string_equal(t_str(r, "reason"), "plain 28");
	assert_string_equal(t_str(r, "evidence_ref"), "ev-1");
	assert_int_equal(t_int(r, "proposal_id"), 100);
	assert_int_equal(strlen(t_str(r, "hash")), AUDIT_HASH_HEX_LEN);
	assert_int_equal(strlen(t_str(r, "at")), 27); /* microseconds */
	t_ans_free(&a);
	for (i = 0; i < 4; i++)
		t_status(t, 400, "bad_request", t->tri, "GET",
		    (const char *[]) { "/v1/audit?limit=0",
		        "/v1/audit?limit=201", "/v1/audit?cursor=zz",
		        "/v1/audit?since=yesterday" }[i],
		    NULL);
}

static void
test_audit_verify_export(void **state)
{
	struct t    *t = *state;
	struct t_ans a;
	int64_t      n = t_count(t, "SELECT count(*) FROM audit"), rows, bad;
	const char  *why, *nl;

	a = t_expect(t, 200, t->tri, "GET", "/v1/audit/verify", NULL);
	assert_true(json_is_true(json_object_get(a.json, "ok")));
	assert_int_equal(t_int(a.json, "rows"), n);
	t_ans_free(&a);

	a = t_expect(t, 200, t->tri, "GET", "/v1/audit/export", NULL);
	assert_int_equal(
	    ctl_online_verify(a.body, a.len, &rows, &bad, &why), 0);
	assert_int_equal(rows, n);
	t_ans_free(&a);

	a = t_expect(
	    t, 200, t->tri, "GET", "/v1/audit/export?format=csv", NULL);
	nl = strchr(a.body, '\n');
	assert_non_null(nl);
	assert_int_equal((size_t) (nl - a.body), strlen(AUDIT_CSV_HEADER));
	assert_memory_equal(
	    a.body, AUDIT_CSV_HEADER, strlen(AUDIT_CSV_HEADER));
	assert_non_null(strstr(a.body,
	    ",alice,test.a,account,acct-1,101,"
	    "plain 1,ev-1,r1,"));
	t_ans_free(&a);

	/* A range: only rows of the last hour; none in the future. */
	a = t_expect(t, 200, t->tri, "GET",
	    "/v1/audit/export?format=jsonl&since=2999-01-01", NULL);
	assert_int_equal(a.len, 0);
	t_ans_free(&a);
	t_status(t, 400, "bad_request", t->tri, "GET",
	    "/v1/audit/export?format=xml", NULL);
}

/*
 * A trail larger than one page (MOD_MAX_AUDIT_PAGE_BYTES) exported page
 * by page with ?after=: whole rows only, no row twice or missing, the
 * chain verifies across the pages, the CSV header only on the first.
 */
static void
test_audit_export_pages(void **state)
{
	struct t    *t = *state;
	struct t_ans a;
	struct buf   all;
	char         path[128];
	int64_t      after = 0, last, rows, bad, pages = 0;
	const char  *why;

	assert_int_equal(
	    t_count(t,
	        "SELECT count(audit_append_row('bulk', 'test.bulk',"
	        " 'account', 'acct-' || g, NULL, repeat('r', 4000),"
	        " NULL, NULL, 4096)) FROM generate_series(1, 1300) g"),
	    1300);
	buf_init(&all, MOD_MAX_AUDIT_EXPORT_BYTES);
	for (;;) {
		snprintf(path, sizeof(path), "/v1/audit/export?after=%lld",
		    (long long) after);
		a = t_expect(t, 200, t->tri, "GET", path, NULL);
		assert_true(a.len <= MOD_MAX_AUDIT_PAGE_BYTES);
		assert_int_equal(buf_append(&all, a.body, a.len), 0);
		if (ctl_online_last_id(a.body, a.len, false, false, &last)
		    == MOD_ENOENT) {
			t_ans_free(&a);
			break;
		}
		assert_true(a.len == 0 || a.body[a.len - 1] == '\n');
		assert_true(last > after);
		after = last;
		pages++;
		t_ans_free(&a);
	}
	assert_true(pages >= 2);
	assert_int_equal(
	    ctl_online_verify(all.data, all.len, &rows, &bad, &why), 0);
	assert_int_equal(rows, t_count(t, "SELECT count(*) FROM audit"));
	buf_free(&all);

	a = t_expect(t, 200, t->tri, "GET",
	    "/v1/audit/export?format=csv&after=0", NULL);
	assert_memory_equal(
	    a.body, AUDIT_CSV_HEADER "\n", strlen(AUDIT_CSV_HEADER) + 1);
	assert_int_equal(
	    ctl_online_last_id(a.body, a.len, true, true, &last), 0);
	t_ans_free(&a);
	snprintf(path, sizeof(path), "/v1/audit/export?format=csv&after=%lld",
	    (long long) last);
	a = t_expect(t, 200, t->tri, "GET", path, NULL);
	assert_true(a.len > 0 && a.body[0] >= '1' && a.body[0] <= '9');
	t_ans_free(&a);
	t_status(t, 400, "bad_request", t->tri, "GET",
	    "/v1/audit/export?after=-1", NULL);
}

/* The id of a page's last row, as moderctl reads it to ask for more (a
 * CSV page here is a first page, with the header). */
static int
t_last_id(const char *page, bool csv, int64_t *id)
{
	return ctl_online_last_id(page, strlen(page), csv, csv, id);
}

static void
test_export_last_id(void **state)
{
	int64_t id;

	(void) state;
	assert_int_equal(t_last_id("", false, &id), MOD_ENOENT);
	assert_int_equal(
	    t_last_id(AUDIT_CSV_HEADER "\n", true, &id), MOD_ENOENT);
	assert_int_equal(
	    t_last_id(AUDIT_CSV_HEADER "\n7,x\n12,y\n", true, &id), 0);
	assert_int_equal(id, 12);
	/* A quoted field may hold line breaks (a comment or a reason): the
	 * last row starts at the last break outside quotes. */
	assert_int_equal(t_last_id(AUDIT_CSV_HEADER
	                     "\n7,x\n12,\"one\ntwo,\"\"3\"\"\n\",y\n",
	                     true, &id),
	    0);
	assert_int_equal(id, 12);
	assert_int_equal(
	    t_last_id("{\"id\":3}\n{\"id\":4}\n\n", false, &id), 0);
	assert_int_equal(id, 4);
	assert_int_equal(
	    t_last_id("{\"id\":3}\ngarbage", false, &id), MOD_EINVAL);
	assert_int_equal(t_last_id("7,a\nx,1\n", true, &id), MOD_EINVAL);
	/* A later CSV page has no header: its one row is a row. */
	assert_int_equal(ctl_online_last_id("12,y\n", 5, true, false, &id), 0);
	assert_int_equal(id, 12);
}

/* --- statistics -------------------------------------------------------- */

static void
t_seed_proposals(struct t *t)
{
	/* crypto: 7 approved (4+2 applied+1 failed), 2 rejected, 1 pending,
	 * plus one old approval outside a 7-day window; link: 1 pending;
	 * junk: 3 rejected.  Feed bad.list: 1 approved, 1 rejected. */
	t_sql(t,
	    "INSERT INTO proposals (state, target_type, target_id, action,"
	    " rules, feeds, created_at)"
	    " SELECT s, 'account', 'a' || g, 'flag', r::text[], f::text[],"
	    "  now() - (d || ' days')::interval"
	    " FROM (VALUES ('approved', '{crypto}', '{}', 0, 4),"
	    "  ('applied', '{crypto,link}', '{}', 1, 2),"
	    "  ('failed', '{crypto}', '{}', 1, 1),"
	    "  ('rejected', '{crypto}', '{}', 2, 2),"
	    "  ('pending', '{crypto}', '{}', 0, 1),"
	    "  ('approved', '{crypto}', '{}', 30, 1),"
	    "  ('pending', '{link}', '{}', 0, 1),"
	    "  ('rejected', '{junk}', '{}', 0, 3),"
	    "  ('approved', '{}', '{bad.list}', 0, 1),"
	    "  ('rejected', '{}', '{bad.list}', 0, 1))"
	    "  AS v(s, r, f, d, k), generate_series(1, v.k) AS x(i),"
	    " LATERAL (SELECT v.s || v.r || v.d || x.i AS g) AS gg");
}

/* t_stat: the entry called name in arr. */
static json_t *
t_stat(json_t *arr, const char *name)
{
	json_t *e;
	size_t  i;

	json_array_foreach(arr, i, e)
	{
		if (strcmp(t_str(e, "name"), name) == 0)
			return e;
	}
	fail_msg("no statistics for %s", name);
	return NULL;
}

static void
t_check_stat(
    json_t *e, int64_t n, int64_t ap, int64_t rj, int64_t pe, double precision)
{
	assert_int_equal(t_int(e, "proposals"), n);
	assert_int_equal(t_int(e, "approved"), ap);
	assert_int_equal(t_int(e, "rejected"), rj);
	assert_int_equal(t_int(e, "pending"), pe);
	if (precision < 0)
		assert_true(json_is_null(json_object_get(e, "precision")));
	else
		assert_true(json_number_value(json_object_get(e, "precision"))
		            - precision
		        < 1e-9
		    && precision
		            - json_number_value(
		                json_object_get(e, "precision"))
		        < 1e-9);
}

static void
test_stats(void **state)
{
	struct t    *t = *state;
	struct t_ans a;
	json_t      *arr;

	t_seed_proposals(t);
	a = t_expect(t, 200, t->tri, "GET", "/v1/stats/rules?since=7d", NULL);
	arr = json_object_get(a.json, "rules");
	assert_int_equal(json_array_size(arr), 3);
	t_check_stat(t_stat(arr, "crypto"), 10, 7, 2, 1, 0.778);
	t_check_stat(t_stat(arr, "link"), 3, 2, 0, 1, 1.0);
	t_check_stat(t_stat(arr, "junk"), 3, 0, 3, 0, 0.0);
	assert_string_equal(
	    t_str(json_array_get(arr, 0), "name"), "crypto"); /* by name */
	t_ans_free(&a);
	a = t_expect(t, 200, t->tri, "GET", "/v1/stats/rules", NULL);
	t_check_stat(t_stat(json_object_get(a.json, "rules"), "crypto"), 11, 8,
	    2, 1, 0.8);
	t_ans_free(&a);
	a = t_expect(
	    t, 200, t->tri, "GET", "/v1/stats/rules?since=7d&until=1d", NULL);
	arr = json_object_get(a.json, "rules");
	t_check_stat(t_stat(arr, "crypto"), 5, 3, 2, 0, 0.6);
	t_check_stat(t_stat(arr, "link"), 2, 2, 0, 0, 1.0);
	t_ans_free(&a);
	a = t_expect(t, 200, t->tri, "GET", "/v1/stats/feeds", NULL);
	arr = json_object_get(a.json, "feeds");
	assert_int_equal(json_array_size(arr), 1);
	t_check_stat(t_stat(arr, "bad.list"), 2, 1, 1, 0, 0.5);
	t_ans_free(&a);
	t_status(t, 400, "bad_request", t->tri, "GET",
	    "/v1/stats/feeds?since=soon", NULL);
}

/* --- tampering (last: it breaks the chain) ----------------------------- */

static void
test_audit_tamper(void **state)
{
	struct t    *t = *state;
	struct t_ans a;
	int64_t      bad = 0, rows = 0;
	const char  *why = NULL;

	assert_int_equal(audit_verify(t->db, &bad, &rows), 0);
	t_sql(t, "ALTER TABLE audit DISABLE TRIGGER audit_append_only");
	t_sql(t, "UPDATE audit SET reason = 'x' WHERE id = 3");
	t_sql(t, "ALTER TABLE audit ENABLE TRIGGER audit_append_only");

	assert_int_equal(audit_verify(t->db, &bad, &rows), MOD_EINVAL);
	assert_int_equal(bad, 3);
	a = t_expect(t, 200, t->tri, "GET", "/v1/audit/verify", NULL);
	assert_true(json_is_false(json_object_get(a.json, "ok")));
	assert_int_equal(t_int(a.json, "first_bad_id"), 3);
	t_ans_free(&a);
	a = t_expect(t, 200, t->tri, "GET", "/v1/audit/export", NULL);
	assert_int_equal(
	    ctl_online_verify(a.body, a.len, &rows, &bad, &why), MOD_EINVAL);
	assert_int_equal(bad, 3);
	assert_int_equal(rows, 3);
	assert_string_equal(why, "hash does not match the row's contents");
	t_ans_free(&a);
}

/* The client-side walk on hand-made exports: links and garbage. */
static void
test_verify_offline(void **state)
{
	static const char garbage[] = "{\"id\":1}\n";
	int64_t           rows, bad;
	const char       *why;

	(void) state;
	assert_int_equal(ctl_online_verify("", 0, &rows, &bad, &why), 0);
	assert_int_equal(rows, 0);
	assert_int_equal(
	    ctl_online_verify(garbage, strlen(garbage), &rows, &bad, &why),
	    MOD_EINVAL);
	assert_int_equal(bad, 1);
	assert_string_equal(why, "not an audit row");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_offline),
		cmocka_unit_test(test_export_last_id),
		cmocka_unit_test(test_users_lifecycle),
		cmocka_unit_test(test_users_bad_requests),
		cmocka_unit_test(test_token_ttl),
		cmocka_unit_test(test_admin_forbidden),
		cmocka_unit_test(test_audit_list),
		cmocka_unit_test(test_audit_verify_export),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_audit_export_pages),
		cmocka_unit_test(test_audit_tamper),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
