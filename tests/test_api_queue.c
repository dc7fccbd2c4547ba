/*
 * test_api_queue.c - the queue API end to end: a throwaway PostgreSQL,
 * moderd's HTTP server on 127.0.0.1 (port 0) with the /v1 routes of
 * api.c and api_queue.c, and libcurl as the client.
 *
 * Covered: GET /v1/me; listing with filters, counts and cursor pages;
 * showing an item (evidence, comments, history, account history);
 * assign, comment, edit, approve, reject, bulk, manual proposals; the
 * two-person rule; roles; and the security cases: missing, unknown,
 * revoked and expired tokens and disabled users on every route, the
 * wrong role, SQL-looking strings stored verbatim, oversized, malformed,
 * deep, duplicate-keyed and mistyped bodies and unknown fields - each
 * checked to change nothing (a digest of the tables before and after);
 * tokens revoked while the API's connections are warm; approvals given
 * at once by several moderators (shared commits, separate answers).
 * Every test ends with audit_verify().
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api.h"
#include "audit.h"
#include "conf.h"
#include "harness_pg.h"
#include "http.h"
#include "queue.h"
#include "store.h"
#include "util.h"

#define T_MAX_BODY_BYTES 65536
#define T_SQL "'); DROP TABLE proposals;--"

/* The users of every test; tok[] in this order. */
enum t_user { U_ALICE, U_BOB, U_ADAM, U_TINA, U_REV, U_EXP, U_DIS, U_COUNT };
static const struct {
	const char *name;
	const char *role;
} t_users[U_COUNT] = {
	{ "alice", "moderator" },
	{ "bob", "moderator" },
	{ "adam", "admin" },
	{ "tina", "triage" },
	{ "rev", "admin" },
	{ "exp", "admin" },
	{ "dis", "admin" },
};

struct t {
	struct harness_pg *pg;
	char               dsn[HARNESS_PG_DSN_BYTES];
	struct store      *db;
	struct conf       *conf;
	struct api        *api;
	struct http       *http;
	int                port;
	CURL              *curl;
	char               tok[U_COUNT][STORE_TOKEN_HEX_LEN + 1];
};

/* One answer. */
struct t_resp {
	long    status;
	char   *body;
	size_t  len;
	json_t *json; /* NULL if the body is not JSON */
};

static int
group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_ALL);
	return harness_pg_group_setup(state);
}

static int
group_teardown(void **state)
{
	harness_pg_group_teardown(state);
	curl_global_cleanup();
	return 0;
}

static void
q_exec(struct store *db, const char *sql)
{
	assert_int_equal(store_exec(db, "test", sql, 0, NULL), 0);
}

static int64_t
q_int(struct store *db, const char *sql, const char *p1)
{
	const char *p[1] = { p1 };
	char        val[64];
	int64_t     v;

	assert_int_equal(store_query_value(
	                     db, "test", sql, p1 ? 1 : 0, p, val, sizeof(val)),
	    0);
	assert_int_equal(mod_strtonum(val, INT64_MIN, INT64_MAX, &v), 0);
	return v;
}

static void
q_text(
    struct store *db, const char *sql, const char *p1, char *out, size_t outsz)
{
	const char *p[1] = { p1 };

	assert_int_equal(
	    store_query_value(db, "test", sql, p1 ? 1 : 0, p, out, outsz), 0);
}

/* t_users_add: every user; then spoil rev's, exp's and dis's tokens. */
static void
t_users_add(struct t *t)
{
	size_t i;

	for (i = 0; i < U_COUNT; i++)
		assert_int_equal(store_user_add(t->db, t_users[i].name,
		                     t_users[i].role, t->tok[i]),
		    0);
	q_exec(t->db,
	    "UPDATE tokens SET revoked_at = now() WHERE user_id ="
	    " (SELECT id FROM users WHERE name = 'rev')");
	q_exec(t->db,
	    "UPDATE tokens SET expires_at = now() - interval '1 minute'"
	    " WHERE user_id = (SELECT id FROM users WHERE name = 'exp')");
	q_exec(
	    t->db, "UPDATE users SET disabled_at = now() WHERE name = 'dis'");
}

static struct t *
t_new(void **state)
{
	struct t        *t = xcalloc(1, sizeof(*t));
	struct api_init  ai = { 0 };
	struct http_init hi = { 0 };

	t->pg = *state;
	assert_int_equal(
	    harness_pg_fresh(t->pg, t->dsn, sizeof(t->dsn), &t->db), 0);
	t_users_add(t);
	assert_int_equal(conf_defaults(&t->conf), 0);
	free(t->conf->http_listen);
	t->conf->http_listen = xstrdup("http://127.0.0.1:0");
	t->conf->http_max_body_bytes = T_MAX_BODY_BYTES;
	ai.db_dsn = t->dsn;
	ai.stmt_timeout_ms = 5000;
	assert_int_equal(api_start(&ai, &t->api, &hi.routes, &hi.nroutes), 0);
	assert_int_equal(http_start(t->conf, &hi, &t->http), 0);
	assert_int_equal(http_port(t->http, &t->port), 0);
	t->curl = curl_easy_init();
	assert_non_null(t->curl);
	return t;
}

static void
t_free(struct t *t)
{
	int64_t bad = 0;

	curl_easy_cleanup(t->curl);
	http_stop(t->http);
	api_stop(t->api);
	conf_free(t->conf);
	/* Whatever a test did, the audit chain must still verify. */
	assert_int_equal(audit_verify(t->db, &bad, NULL), 0);
	store_close(t->db);
	free(t);
}

/* ---- the client ------------------------------------------------------- */

static size_t
t_write(char *p, size_t size, size_t n, void *arg)
{
	struct t_resp *r = arg;

	r->body = xreallocarray(r->body, r->len + size * n + 1, 1);
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static void
t_resp_free(struct t_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/*
 * t_call: method path (with query) as user u (U_COUNT: no token; -1: a
 * made-up token), with body (NULL: none) of len bytes (-1: strlen).
 */
static struct t_resp
t_call(struct t *t, const char *method, const char *path, int u,
    const char *body, long len)
{
	struct t_resp      r = { 0 };
	struct curl_slist *h = NULL;
	char               url[1024], auth[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", t->port, path);
	curl_easy_reset(t->curl);
	curl_easy_setopt(t->curl, CURLOPT_URL, url);
	curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, t_write);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(t->curl, CURLOPT_TIMEOUT, 30L);
	if (u >= 0 && u < U_COUNT) {
		snprintf(
		    auth, sizeof(auth), "Authorization: Bearer %s", t->tok[u]);
		h = curl_slist_append(h, auth);
	} else if (u < 0)
		h = curl_slist_append(h,
		    "Authorization: Bearer "
		    "000000000000000000000000000000000000000000000000000000000"
		    "00000"
		    "01");
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE,
		    len < 0 ? (long) strlen(body) : len);
	}
	assert_int_equal(curl_easy_perform(t->curl), CURLE_OK);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(h);
	r.json = r.body != NULL ? json_loads(r.body, 0, NULL) : NULL;
	return r;
}

/* t_ok: call, expect status, return the JSON (caller decrefs). */
static json_t *
t_ok(struct t *t, const char *method, const char *path, int u,
    const char *body, long status)
{
	struct t_resp r = t_call(t, method, path, u, body, -1);
	json_t       *j;

	if (r.status != status)
		fprintf(stderr, "%s %s: %ld %s\n", method, path, r.status,
		    r.body ? r.body : "");
	assert_int_equal(r.status, status);
	assert_non_null(r.json);
	j = json_incref(r.json);
	t_resp_free(&r);
	return j;
}

/* t_err: call, expect status and error code. */
static void
t_err(struct t *t, const char *method, const char *path, int u,
    const char *body, long status, const char *code)
{
	json_t *j = t_ok(t, method, path, u, body, status);

	assert_string_equal(
	    json_string_value(json_object_get(j, "error")), code);
	assert_non_null(json_string_value(json_object_get(j, "message")));
	json_decref(j);
}

static const char *
j_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t
j_int(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A digest of everything a refused call must leave alone. */
static void
t_digest(struct t *t, char out[64])
{
	q_text(t->db,
	    "SELECT md5(coalesce((SELECT string_agg(x::text, '|' ORDER BY "
	    "x.id)"
	    " FROM proposals x), '') || coalesce((SELECT string_agg(a::text,"
	    " '|' ORDER BY a.id) FROM audit a), '')"
	    " || (SELECT count(*) FROM approvals)::text || '/'"
	    " || (SELECT count(*) FROM comments)::text || '/'"
	    " || (SELECT count(*) FROM evidence)::text || '/'"
	    " || (SELECT count(*) FROM feed_rejections)::text)",
	    NULL, out, 64);
}

/* ---- data ------------------------------------------------------------- */

static const struct queue_hit t_hits_scam[] = {
	{ "CRYPTO_GIVEAWAY", "scams", "text", "free bitcoin", 17, 12, 2.5 },
};
static const struct queue_hit t_hits_spam[] = {
	{ "SPAM_LINK", "spam", "url", "spam.example", 3, 12, 2.0 },
};
static const struct queue_text t_texts[] = { { "text", "Free bitcoin!" } };

/* t_item: one record into the queue, through the writer; its id. */
static int64_t
t_item(struct t *t, const char *key, const char *type, const char *target,
    const char *action, double score)
{
	struct queue_record r;
	int                 outcome = -1;
	char                id[32];
	bool                spam = strstr(key, "spam") != NULL;

	memset(&r, 0, sizeof(r));
	r.dedup_key = key;
	r.event_kind = strcmp(type, "report") == 0 ? "report.created"
	                                           : "status.created";
	r.object_id = target;
	r.event_time_ms = INT64_C(1700000000123);
	r.target_type = type;
	r.target_id = target;
	r.target_account_id = strcmp(type, "domain") == 0 ? NULL : "1001";
	r.target_acct
	    = strcmp(type, "domain") == 0 ? NULL : "spammer@bad.example";
	r.action = action;
	r.score = score;
	r.is_report = strcmp(type, "report") == 0;
	r.report_category = r.is_report ? "spam" : NULL;
	r.hits = spam ? t_hits_spam : t_hits_scam;
	r.nhits = 1;
	r.texts = t_texts;
	r.ntexts = nitems(t_texts);
	r.origin = strcmp(type, "domain") == 0 ? "feed" : "rules";
	assert_int_equal(queue_record_batch(t->db, &r, 1, &outcome), 0);
	assert_int_equal(outcome, QUEUE_NEW);
	q_text(t->db,
	    "SELECT id FROM proposals WHERE target_id = $1 AND state = "
	    "'pending'"
	    " ORDER BY id DESC LIMIT 1",
	    target, id, sizeof(id));
	return strtoll(id, NULL, 10);
}

/* The standard queue: ids in s[], by name. */
enum { I_FLAG, I_SUSPEND, I_SILENCE, I_REPORT, I_DOMAIN, I_SPAM, I_COUNT };

static void
t_queue(struct t *t, int64_t *ids)
{
	ids[I_FLAG] = t_item(t, "k-flag", "status", "s1", "flag", 1.0);
	ids[I_SUSPEND] = t_item(t, "k-susp", "account", "a1", "suspend", 8.0);
	ids[I_SILENCE] = t_item(t, "k-sil", "account", "a2", "silence", 6.0);
	ids[I_REPORT] = t_item(t, "k-rep", "report", "r1", "none", 0.0);
	ids[I_DOMAIN]
	    = t_item(t, "k-dom", "domain", "bad.example", "suspend", 5);
	ids[I_SPAM] = t_item(t, "k-spam", "status", "s2", "flag", 2.0);
}

static void
t_path(char *out, size_t outsz, int64_t id, const char *op)
{
	snprintf(out, outsz, "/v1/queue/%lld%s%s", (long long) id,
	    op != NULL ? "/" : "", op != NULL ? op : "");
}

/* ---- tests ------------------------------------------------------------ */

static void
test_me(void **state)
{
	struct t *t = t_new(state);
	json_t   *j = t_ok(t, "GET", "/v1/me", U_TINA, NULL, 200);

	assert_string_equal(j_str(j, "user"), "tina");
	assert_string_equal(j_str(j, "role"), "triage");
	json_decref(j);
	j = t_ok(t, "GET", "/v1/me", U_ADAM, NULL, 200);
	assert_string_equal(j_str(j, "role"), "admin");
	json_decref(j);
	t_free(t);
}

/* t_list_ids: ids of a list answer, in order, into ids; the count. */
static size_t
t_list_ids(const json_t *j, int64_t *ids, size_t max)
{
	const json_t *items = json_object_get(j, "items");
	size_t        i;

	assert_true(json_is_array(items));
	for (i = 0; i < json_array_size(items) && i < max; i++)
		ids[i] = j_int(json_array_get(items, i), "id");
	return json_array_size(items);
}

/* t_list_count: the number of items GET path lists. */
static size_t
t_list_count(struct t *t, const char *path)
{
	json_t *j = t_ok(t, "GET", path, U_TINA, NULL, 200);
	int64_t ids[64];
	size_t  n = t_list_ids(j, ids, 64);

	json_decref(j);
	return n;
}

static void
test_list_order_and_pages(void **state)
{
	struct t   *t = t_new(state);
	int64_t     ids[I_COUNT], all[16], page[16], seen[16];
	json_t     *j, *item;
	size_t      n, i, nseen = 0;
	char        path[256];
	const char *cur;

	t_queue(t, ids);
	j = t_ok(t, "GET", "/v1/queue", U_TINA, NULL, 200);
	n = t_list_ids(j, all, 16);
	assert_int_equal(n, I_COUNT);
	assert_true(json_is_null(json_object_get(j, "next_cursor")));
	assert_int_equal(
	    j_int(json_object_get(j, "counts"), "pending"), I_COUNT);
	assert_int_equal(j_int(json_object_get(j, "counts"), "approved"), 0);
	/* priority descending, then id */
	for (i = 1; i < n; i++) {
		int64_t p0
		    = j_int(json_array_get(json_object_get(j, "items"), i - 1),
		        "priority");
		int64_t p1
		    = j_int(json_array_get(json_object_get(j, "items"), i),
		        "priority");

		assert_true(p0 > p1 || (p0 == p1 && all[i - 1] < all[i]));
	}
	/* the item's shape */
	item = json_array_get(json_object_get(j, "items"), 0);
	assert_int_equal(j_int(item, "id"), ids[I_SUSPEND]);
	assert_string_equal(j_str(item, "action"), "suspend");
	assert_string_equal(j_str(item, "source"), "rules");
	assert_int_equal(j_int(item, "approvals_needed"), 2);
	assert_true(json_is_array(json_object_get(item, "approvals")));
	assert_true(json_is_null(json_object_get(item, "dispatch")));
	assert_true(json_is_null(json_object_get(item, "assignee")));
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(item, "rules"), 0)),
	    "CRYPTO_GIVEAWAY");
	assert_non_null(strstr(j_str(item, "created_at"), "Z"));
	json_decref(j);
	/* pages of 2 walk the same list */
	snprintf(path, sizeof(path), "/v1/queue?limit=2");
	for (;;) {
		j = t_ok(t, "GET", path, U_TINA, NULL, 200);
		n = t_list_ids(j, page, 16);
		assert_true(n <= 2);
		memcpy(seen + nseen, page, n * sizeof(*page));
		nseen += n;
		cur = j_str(j, "next_cursor");
		if (cur == NULL) {
			json_decref(j);
			break;
		}
		snprintf(
		    path, sizeof(path), "/v1/queue?limit=2&cursor=%s", cur);
		json_decref(j);
	}
	assert_int_equal(nseen, I_COUNT);
	assert_memory_equal(seen, all, I_COUNT * sizeof(*all));
	t_free(t);
}

static void
test_list_filters(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT], got[16];
	char      path[128];
	json_t   *j;

	t_queue(t, ids);
	assert_int_equal(t_list_count(t, "/v1/queue?action=suspend"), 2);
	assert_int_equal(t_list_count(t, "/v1/queue?target_type=account"), 2);
	assert_int_equal(t_list_count(t, "/v1/queue?rule=SPAM_LINK"), 1);
	assert_int_equal(t_list_count(t, "/v1/queue?group=scams"), 5);
	assert_int_equal(t_list_count(t, "/v1/queue?source=feed"), 1);
	assert_int_equal(t_list_count(t, "/v1/queue?target=a2"), 1);
	assert_int_equal(
	    t_list_count(t, "/v1/queue?target=spammer%40bad.example"), 5);
	assert_int_equal(t_list_count(t, "/v1/queue?assignee=none"), I_COUNT);
	assert_int_equal(t_list_count(t, "/v1/queue?assignee=alice"), 0);
	assert_int_equal(t_list_count(t, "/v1/queue?changeset=7"), 0);
	/* state: approve one, then it is only in approved and all */
	t_path(path, sizeof(path), ids[I_FLAG], "approve");
	json_decref(t_ok(t, "POST", path, U_ALICE, "{}", 200));
	assert_int_equal(t_list_count(t, "/v1/queue"), I_COUNT - 1);
	j = t_ok(t, "GET", "/v1/queue?state=approved", U_TINA, NULL, 200);
	assert_int_equal(t_list_ids(j, got, 16), 1);
	assert_int_equal(got[0], ids[I_FLAG]);
	assert_int_equal(j_int(json_object_get(j, "counts"), "approved"), 1);
	assert_int_equal(
	    j_int(json_object_get(j, "counts"), "pending"), I_COUNT - 1);
	json_decref(j);
	assert_int_equal(t_list_count(t, "/v1/queue?state=all"), I_COUNT);
	/* a held change set hides its items unless asked for */
	q_exec(t->db, "INSERT INTO changesets (id) VALUES (7)");
	q_exec(t->db,
	    "UPDATE proposals SET changeset_id = 7 WHERE source = 'feed'");
	assert_int_equal(t_list_count(t, "/v1/queue"), I_COUNT - 2);
	assert_int_equal(t_list_count(t, "/v1/queue?changeset=7"), 1);
	/* bad values */
	t_err(t, "GET", "/v1/queue?state=bogus", U_TINA, NULL, 400,
	    "bad_request");
	t_err(t, "GET", "/v1/queue?limit=0", U_TINA, NULL, 400, "bad_request");
	t_err(
	    t, "GET", "/v1/queue?limit=201", U_TINA, NULL, 400, "bad_request");
	t_err(t, "GET", "/v1/queue?cursor=junk", U_TINA, NULL, 400,
	    "bad_request");
	t_err(
	    t, "GET", "/v1/queue?cursor=c1", U_TINA, NULL, 400, "bad_request");
	t_err(t, "GET", "/v1/queue?action=%ff", U_TINA, NULL, 400,
	    "bad_request");
	t_err(t, "GET", "/v1/queue?target=%ff", U_TINA, NULL, 400,
	    "bad_request");
	t_free(t);
}

static void
test_show(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      path[128];
	json_t   *j, *h;

	t_queue(t, ids);
	q_exec(t->db,
	    "INSERT INTO evidence (proposal_id, snapshot) SELECT id,"
	    " '{\"event\":\"status.created\",\"hits\":[{\"excerpt\":\"ev1\"}]}"
	    "'"
	    " FROM proposals WHERE target_id = 'a1'");
	t_path(path, sizeof(path), ids[I_SUSPEND], "comment");
	json_decref(
	    t_ok(t, "POST", path, U_TINA, "{\"text\":\"looks bad\"}", 200));
	t_path(path, sizeof(path), ids[I_SUSPEND], NULL);
	j = t_ok(t, "GET", path, U_TINA, NULL, 200);
	assert_int_equal(j_int(j, "id"), ids[I_SUSPEND]);
	assert_int_equal(json_array_size(json_object_get(j, "evidence")),
	    j_int(j, "evidence_count"));
	assert_true(j_int(j, "evidence_count") >= 1);
	assert_string_equal(j_str(j, "excerpt"), "ev1");
	h = json_object_get(j, "comments");
	assert_int_equal(json_array_size(h), 1);
	assert_string_equal(j_str(json_array_get(h, 0), "user"), "tina");
	assert_string_equal(j_str(json_array_get(h, 0), "body"), "looks bad");
	h = json_object_get(j, "history");
	assert_int_equal(json_array_size(h), 2);
	assert_string_equal(j_str(json_array_get(h, 0), "action"), "propose");
	assert_string_equal(j_str(json_array_get(h, 1), "action"), "comment");
	assert_string_equal(j_str(json_array_get(h, 1), "actor"), "tina");
	/* other items on account 1001, newest first */
	h = json_object_get(j, "account_history");
	assert_int_equal(json_array_size(h), 4);
	assert_true(j_int(json_array_get(h, 0), "id")
	    > j_int(json_array_get(h, 1), "id"));
	json_decref(j);
	t_err(t, "GET", "/v1/queue/999999", U_TINA, NULL, 404, "not_found");
	t_err(t, "GET", "/v1/queue/abc", U_TINA, NULL, 404, "not_found");
	t_err(t, "GET", "/v1/queue/-1", U_TINA, NULL, 404, "not_found");
	t_free(t);
}

static void
test_assign_comment(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      path[128];
	json_t   *j;

	t_queue(t, ids);
	t_path(path, sizeof(path), ids[I_FLAG], "assign");
	j = t_ok(t, "POST", path, U_TINA, "{\"user\":\"alice\"}", 200);
	assert_string_equal(j_str(j, "assignee"), "alice");
	json_decref(j);
	assert_int_equal(t_list_count(t, "/v1/queue?assignee=alice"), 1);
	t_err(t, "POST", path, U_TINA, "{\"user\":\"nobody\"}", 404,
	    "not_found");
	j = t_ok(t, "POST", path, U_TINA, "{\"user\":null}", 200);
	assert_true(json_is_null(json_object_get(j, "assignee")));
	json_decref(j);
	t_err(t, "POST", path, U_TINA, "{}", 400, "bad_request");
	t_path(path, sizeof(path), ids[I_FLAG], "comment");
	j = t_ok(t, "POST", path, U_TINA, "{\"text\":\"hm\"}", 200);
	assert_true(j_int(j, "id") > 0);
	json_decref(j);
	t_err(t, "POST", path, U_TINA, "{\"text\":\"\"}", 400, "bad_request");
	t_err(t, "POST", "/v1/queue/999999/comment", U_TINA,
	    "{\"text\":\"x\"}", 404, "not_found");
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM audit WHERE action IN"
	                     " ('assign', 'unassign', 'comment')",
	                     NULL),
	    3);
	t_free(t);
}

static void
test_edit(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      path[128], appr[128];
	json_t   *j;

	t_queue(t, ids);
	t_path(appr, sizeof(appr), ids[I_SUSPEND], "approve");
	json_decref(t_ok(t, "POST", appr, U_ALICE, "{}", 200));
	t_path(path, sizeof(path), ids[I_SUSPEND], "edit");
	j = t_ok(t, "POST", path, U_BOB,
	    "{\"action\":\"sensitive\",\"public_comment\":\"pc\"}", 200);
	assert_string_equal(j_str(j, "action"), "sensitive");
	assert_string_equal(j_str(j, "public_comment"), "pc");
	assert_int_equal(json_array_size(json_object_get(j, "approvals")), 0);
	assert_int_equal(j_int(j, "approvals_needed"), 1);
	assert_int_equal(j_int(j, "priority"), 20 + 40);
	json_decref(j);
	/* a domain action on an account; a clash with another pending item */
	t_err(t, "POST", path, U_BOB, "{\"action\":\"noop\"}", 400,
	    "bad_request");
	t_err(t, "POST", path, U_BOB, "{}", 400, "bad_request");
	t_path(path, sizeof(path), ids[I_SILENCE], "edit");
	json_decref(
	    t_ok(t, "POST", path, U_BOB, "{\"action\":\"flag\"}", 200));
	t_path(path, sizeof(path), ids[I_DOMAIN], "edit");
	j = t_ok(t, "POST", path, U_BOB,
	    "{\"action\":\"silence\",\"reject_media\":true,\"obfuscate\":true,"
	    "\"private_comment\":null}",
	    200);
	assert_true(json_is_true(json_object_get(j, "reject_media")));
	assert_true(json_is_false(json_object_get(j, "reject_reports")));
	json_decref(j);
	/* decided items are not edited */
	t_path(path, sizeof(path), ids[I_FLAG], "approve");
	json_decref(t_ok(t, "POST", path, U_ALICE, NULL, 200));
	t_path(path, sizeof(path), ids[I_FLAG], "edit");
	t_err(t, "POST", path, U_BOB, "{\"action\":\"silence\"}", 409,
	    "conflict");
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM audit WHERE action = 'edit'",
	        NULL),
	    3);
	t_free(t);
}

static void
test_approve_reject(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      path[128];
	json_t   *j;

	t_queue(t, ids);
	t_path(path, sizeof(path), ids[I_FLAG], "approve");
	j = t_ok(t, "POST", path, U_ALICE, "{\"comment\":\"ok\"}", 200);
	assert_string_equal(j_str(j, "state"), "approved");
	assert_string_equal(j_str(j, "decided_by"), "alice");
	assert_int_equal(j_int(j, "approvals_needed"), 1);
	assert_string_equal(
	    j_str(json_array_get(json_object_get(j, "approvals"), 0), "user"),
	    "alice");
	json_decref(j);
	t_err(t, "POST", path, U_BOB, "{}", 409, "conflict");
	/* reject */
	t_path(path, sizeof(path), ids[I_SILENCE], "reject");
	t_err(t, "POST", path, U_ALICE, "{}", 400, "bad_request");
	j = t_ok(t, "POST", path, U_ALICE, "{\"reason\":\"fine\"}", 200);
	assert_string_equal(j_str(j, "state"), "rejected");
	assert_string_equal(j_str(j, "reject_reason"), "fine");
	json_decref(j);
	t_err(t, "POST", path, U_ALICE, "{\"reason\":\"again\"}", 409,
	    "conflict");
	/* a feed item is remembered with the kind of its latest evidence */
	q_exec(t->db,
	    "INSERT INTO evidence (proposal_id, snapshot) SELECT id,"
	    " '{\"kind\":\"add\",\"domain\":\"bad.example\"}'"
	    " FROM proposals WHERE source = 'feed'");
	t_path(path, sizeof(path), ids[I_DOMAIN], "reject");
	json_decref(
	    t_ok(t, "POST", path, U_ALICE, "{\"reason\":\"no\"}", 200));
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM feed_rejections WHERE"
	                     " domain = 'bad.example' AND kind = 'add'",
	                     NULL),
	    1);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM audit WHERE action IN"
	                     " ('approve', 'reject')",
	                     NULL),
	    3);
	t_free(t);
}

/* One moderator of test_approve_concurrent: its ids, approved in turn,
 * and the status and state of each answer. */
#define T_APPROVERS 8
#define T_APPROVER_IDS 3
struct t_approver {
	struct t  t; /* a copy with its own connection */
	int64_t   ids[T_APPROVER_IDS];
	long      status[T_APPROVER_IDS];
	char      state[T_APPROVER_IDS][16];
	pthread_t thread;
};

static void *
t_approver_run(void *arg)
{
	struct t_approver *a = arg;
	struct t_resp      r;
	char               path[128];
	size_t             i;

	for (i = 0; i < T_APPROVER_IDS; i++) {
		t_path(path, sizeof(path), a->ids[i], "approve");
		r = t_call(&a->t, "POST", path, U_ALICE, "{}", -1);
		a->status[i] = r.status;
		mod_strlcpy(a->state[i],
		    r.json != NULL && j_str(r.json, "state") != NULL
		        ? j_str(r.json, "state")
		        : "",
		    sizeof(a->state[i]));
		t_resp_free(&r);
	}
	return NULL;
}

/*
 * Moderators approving at once share commits (queue_approve.c's group):
 * each still gets its own answer - the item as committed, or its own
 * refusal (one id twice: 409; an unknown id: 404) - and every approval
 * answered 200 is in the database with its audit row.
 */
static void
test_approve_concurrent(void **state)
{
	struct t          *t = t_new(state);
	struct t_approver *a = xcalloc(T_APPROVERS, sizeof(*a));
	char               key[32], target[32];
	size_t             i, k, ok = 0;

	for (i = 0; i < T_APPROVERS; i++) {
		a[i].t = *t;
		a[i].t.curl = curl_easy_init();
		for (k = 0; k < T_APPROVER_IDS; k++) {
			snprintf(key, sizeof(key), "k-c%zu-%zu", i, k);
			snprintf(target, sizeof(target), "c%zu-%zu", i, k);
			a[i].ids[k]
			    = t_item(t, key, "status", target, "flag", 1.0);
		}
	}
	a[0].ids[1] = a[0].ids[0]; /* approved already: 409 */
	a[1].ids[2] = INT64_C(987654321); /* no such item: 404 */
	for (i = 0; i < T_APPROVERS; i++)
		assert_int_equal(
		    pthread_create(&a[i].thread, NULL, t_approver_run, &a[i]),
		    0);
	for (i = 0; i < T_APPROVERS; i++) {
		assert_int_equal(pthread_join(a[i].thread, NULL), 0);
		curl_easy_cleanup(a[i].t.curl);
	}
	for (i = 0; i < T_APPROVERS; i++)
		for (k = 0; k < T_APPROVER_IDS; k++) {
			if ((i == 0 && k == 1) || (i == 1 && k == 2)) {
				assert_int_equal(
				    a[i].status[k], i == 0 ? 409 : 404);
				continue;
			}
			assert_int_equal(a[i].status[k], 200);
			assert_string_equal(a[i].state[k], "approved");
			ok++;
		}
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM proposals WHERE"
	                     " state = 'approved' AND decided_by = 'alice'",
	                     NULL),
	    (int64_t) ok);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM audit WHERE action ="
	                     " 'approve' AND actor = 'alice'",
	                     NULL),
	    (int64_t) ok);
	free(a);
	t_free(t);
}

/* A token revoked, or its user disabled, while the API's connections are
 * open and their statements prepared is refused on the next request:
 * nothing about a caller is kept between requests. */
static void
test_security_revoked_live(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      path[128], d0[64], d1[64];
	size_t    i;

	t_queue(t, ids);
	for (i = 0; i < 2 * MOD_HTTP_WORKERS_COUNT; i++) {
		json_decref(t_ok(t, "GET", "/v1/me", U_ALICE, NULL, 200));
		json_decref(t_ok(t, "GET", "/v1/me", U_BOB, NULL, 200));
	}
	q_exec(t->db,
	    "UPDATE tokens SET revoked_at = now() WHERE user_id ="
	    " (SELECT id FROM users WHERE name = 'alice')");
	q_exec(
	    t->db, "UPDATE users SET disabled_at = now() WHERE name = 'bob'");
	t_digest(t, d0);
	t_path(path, sizeof(path), ids[I_FLAG], "approve");
	for (i = 0; i < MOD_HTTP_WORKERS_COUNT; i++) {
		t_err(t, "GET", "/v1/me", U_ALICE, NULL, 401, "unauthorized");
		t_err(t, "POST", path, U_ALICE, "{}", 401, "unauthorized");
		t_err(t, "POST", path, U_BOB, "{}", 401, "unauthorized");
	}
	t_digest(t, d1);
	assert_string_equal(d0, d1);
	t_free(t);
}

static void
test_two_person(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      path[128], reason[64];
	json_t   *j;

	t_queue(t, ids);
	t_path(path, sizeof(path), ids[I_SUSPEND], "approve");
	j = t_ok(t, "POST", path, U_ALICE, NULL, 200);
	assert_string_equal(j_str(j, "state"), "pending");
	assert_int_equal(j_int(j, "approvals_needed"), 2);
	assert_int_equal(json_array_size(json_object_get(j, "approvals")), 1);
	json_decref(j);
	q_text(t->db,
	    "SELECT reason FROM audit WHERE action = 'approve.partial'", NULL,
	    reason, sizeof(reason));
	assert_string_equal(reason, "1 of 2");
	j = t_ok(t, "POST", path, U_ALICE, "{}", 409);
	assert_string_equal(j_str(j, "message"),
	    "alice has already approved this item; a second moderator must "
	    "approve");
	json_decref(j);
	j = t_ok(t, "POST", path, U_BOB, "{}", 200);
	assert_string_equal(j_str(j, "state"), "approved");
	assert_string_equal(j_str(j, "decided_by"), "bob");
	assert_int_equal(json_array_size(json_object_get(j, "approvals")), 2);
	json_decref(j);
	/* domain suspend needs two as well; silence does not */
	t_path(path, sizeof(path), ids[I_DOMAIN], "approve");
	j = t_ok(t, "POST", path, U_ADAM, NULL, 200);
	assert_string_equal(j_str(j, "state"), "pending");
	json_decref(j);
	t_path(path, sizeof(path), ids[I_SILENCE], "approve");
	j = t_ok(t, "POST", path, U_ADAM, NULL, 200);
	assert_string_equal(j_str(j, "state"), "approved");
	json_decref(j);
	t_free(t);
}

static void
test_manual_proposal(void **state)
{
	struct t   *t = t_new(state);
	const char *body = "{\"target_type\":\"domain\",\"target_id\":"
	                   "\"Evil.Example.\",\"action\":\"suspend\","
	                   "\"reject_media\":true,\"reason\":\"spam wave\"}";
	char        path[128];
	json_t     *j;
	int64_t     id;

	j = t_ok(t, "POST", "/v1/proposals", U_ALICE, body, 201);
	id = j_int(j, "id");
	assert_string_equal(j_str(j, "target_id"), "evil.example");
	assert_string_equal(j_str(j, "source"), "manual");
	assert_string_equal(j_str(j, "proposer"), "alice");
	assert_string_equal(j_str(j, "state"), "pending");
	assert_int_equal(j_int(j, "evidence_count"), 1);
	json_decref(j);
	t_err(t, "POST", "/v1/proposals", U_BOB, body, 409, "conflict");
	t_path(path, sizeof(path), id, "approve");
	t_err(t, "POST", path, U_ALICE, NULL, 403, "forbidden");
	j = t_ok(t, "POST", path, U_BOB, NULL, 200);
	assert_string_equal(j_str(j, "state"), "pending");
	json_decref(j);
	j = t_ok(t, "POST", path, U_ADAM, NULL, 200);
	assert_string_equal(j_str(j, "state"), "approved");
	json_decref(j);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM audit WHERE action ="
	                     " 'propose.manual' AND actor = 'alice'",
	                     NULL),
	    1);
	/* checks of the body */
	t_err(t, "POST", "/v1/proposals", U_ALICE,
	    "{\"target_type\":\"account\",\"target_id\":\"9\",\"action\":"
	    "\"unblock\"}",
	    400, "bad_request");
	t_err(t, "POST", "/v1/proposals", U_ALICE,
	    "{\"target_type\":\"report\",\"target_id\":\"9\",\"action\":"
	    "\"none\"}",
	    400, "bad_request");
	t_err(t, "POST", "/v1/proposals", U_ALICE,
	    "{\"target_type\":\"domain\",\"target_id\":\"a*b.example\","
	    "\"action\":\"silence\"}",
	    400, "bad_request");
	t_err(t, "POST", "/v1/proposals", U_ALICE,
	    "{\"target_type\":\"account\",\"action\":\"silence\"}", 400,
	    "bad_request");
	j = t_ok(t, "POST", "/v1/proposals", U_ALICE,
	    "{\"target_type\":\"account\",\"target_id\":\"9\",\"target_acct\":"
	    "\"x@y.example\",\"action\":\"silence\"}",
	    201);
	assert_string_equal(j_str(j, "target_acct"), "x@y.example");
	json_decref(j);
	t_free(t);
}

static void
test_roles(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      path[128], d0[64], d1[64];
	json_t   *j;

	t_queue(t, ids);
	t_digest(t, d0);
	t_path(path, sizeof(path), ids[I_FLAG], "approve");
	j = t_ok(t, "POST", path, U_TINA, "{}", 403);
	assert_string_equal(j_str(j, "error"), "forbidden");
	assert_string_equal(
	    j_str(j, "message"), "role triage may not approve proposals");
	json_decref(j);
	t_path(path, sizeof(path), ids[I_FLAG], "edit");
	t_err(t, "POST", path, U_TINA, "{\"action\":\"suspend\"}", 403,
	    "forbidden");
	t_err(t, "POST", "/v1/proposals", U_TINA,
	    "{\"target_type\":\"account\",\"target_id\":\"9\",\"action\":"
	    "\"flag\"}",
	    403, "forbidden");
	t_path(path, sizeof(path), ids[I_SUSPEND], "reject");
	t_err(t, "POST", path, U_TINA, "{\"reason\":\"x\"}", 403, "forbidden");
	t_err(t, "POST", "/v1/queue/bulk", U_TINA,
	    "{\"op\":\"approve\",\"ids\":[1]}", 403, "forbidden");
	t_digest(t, d1);
	assert_string_equal(d0, d1);
	/* what triage may do */
	t_path(path, sizeof(path), ids[I_FLAG], "reject");
	j = t_ok(t, "POST", path, U_TINA, "{\"reason\":\"noise\"}", 200);
	assert_string_equal(j_str(j, "state"), "rejected");
	json_decref(j);
	t_path(path, sizeof(path), ids[I_REPORT], "reject");
	json_decref(t_ok(t, "POST", path, U_TINA, "{\"reason\":\"ok\"}", 200));
	t_free(t);
}

static void
test_bulk(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      body[256];
	json_t   *j, *r;

	t_queue(t, ids);
	snprintf(body, sizeof(body),
	    "{\"op\":\"approve\",\"ids\":[%lld,%lld,%d]}",
	    (long long) ids[I_FLAG], (long long) ids[I_SUSPEND], 999999);
	j = t_ok(t, "POST", "/v1/queue/bulk", U_ALICE, body, 200);
	r = json_object_get(j, "results");
	assert_int_equal(json_array_size(r), 3);
	assert_true(json_is_true(json_object_get(json_array_get(r, 0), "ok")));
	assert_string_equal(j_str(json_array_get(r, 0), "state"), "approved");
	assert_string_equal(j_str(json_array_get(r, 1), "state"), "pending");
	assert_true(
	    json_is_false(json_object_get(json_array_get(r, 2), "ok")));
	assert_string_equal(j_str(json_array_get(r, 2), "error"), "not_found");
	json_decref(j);
	snprintf(body, sizeof(body),
	    "{\"op\":\"reject\",\"ids\":[%lld,%lld],\"reason\":\"bulk\"}",
	    (long long) ids[I_FLAG], (long long) ids[I_SPAM]);
	j = t_ok(t, "POST", "/v1/queue/bulk", U_ALICE, body, 200);
	r = json_object_get(j, "results");
	assert_string_equal(j_str(json_array_get(r, 0), "error"), "conflict");
	assert_string_equal(j_str(json_array_get(r, 1), "state"), "rejected");
	json_decref(j);
	t_err(t, "POST", "/v1/queue/bulk", U_ALICE,
	    "{\"op\":\"reject\",\"ids\":[1]}", 400, "bad_request");
	t_err(t, "POST", "/v1/queue/bulk", U_ALICE,
	    "{\"op\":\"approve\",\"ids\":[]}", 400, "bad_request");
	t_err(t, "POST", "/v1/queue/bulk", U_ALICE,
	    "{\"op\":\"approve\",\"ids\":[\"1\"]}", 400, "bad_request");
	t_err(t, "POST", "/v1/queue/bulk", U_ALICE,
	    "{\"op\":\"delete\",\"ids\":[1]}", 400, "bad_request");
	t_free(t);
}

/* Every route, with a body that would be accepted. */
static const struct {
	const char *method;
	const char *path; /* %lld: an item id */
	const char *body;
	int         least; /* enum api_role */
} t_routes[] = {
	{ "GET", "/v1/me", NULL, API_ROLE_TRIAGE },
	{ "GET", "/v1/queue", NULL, API_ROLE_TRIAGE },
	{ "GET", "/v1/queue/%lld", NULL, API_ROLE_TRIAGE },
	{ "POST", "/v1/queue/%lld/assign", "{\"user\":\"alice\"}",
	    API_ROLE_TRIAGE },
	{ "POST", "/v1/queue/%lld/comment", "{\"text\":\"c\"}",
	    API_ROLE_TRIAGE },
	{ "POST", "/v1/queue/%lld/edit", "{\"action\":\"silence\"}",
	    API_ROLE_MODERATOR },
	{ "POST", "/v1/queue/%lld/approve", "{}", API_ROLE_MODERATOR },
	{ "POST", "/v1/queue/%lld/reject", "{\"reason\":\"r\"}",
	    API_ROLE_MODERATOR },
	{ "POST", "/v1/queue/bulk", "{\"op\":\"approve\",\"ids\":[%lld]}",
	    API_ROLE_MODERATOR },
	{ "POST", "/v1/proposals",
	    "{\"target_type\":\"account\",\"target_id\":\"77\",\"action\":"
	    "\"flag\"}",
	    API_ROLE_MODERATOR },
};

/* t_subst: tmpl with "%lld" replaced by id. */
static void
t_subst(const char *tmpl, int64_t id, char *out, size_t outsz)
{
	const char *at = strstr(tmpl, "%lld");

	if (at == NULL) {
		snprintf(out, outsz, "%s", tmpl);
		return;
	}
	snprintf(out, outsz, "%.*s%lld%s", (int) (at - tmpl), tmpl,
	    (long long) id, at + 4);
}

static void
t_route(size_t i, int64_t id, char *path, size_t psz, char *body, size_t bsz)
{
	t_subst(t_routes[i].path, id, path, psz);
	if (t_routes[i].body != NULL)
		t_subst(t_routes[i].body, id, body, bsz);
}

static void
test_security_tokens(void **state)
{
	struct t        *t = t_new(state);
	static const int bad[] = { U_COUNT, -1, U_REV, U_EXP, U_DIS };
	int64_t          ids[I_COUNT];
	char             path[128], body[256], d0[64], d1[64];
	size_t           i, k;

	t_queue(t, ids);
	t_digest(t, d0);
	for (i = 0; i < nitems(t_routes); i++) {
		t_route(
		    i, ids[I_SUSPEND], path, sizeof(path), body, sizeof(body));
		for (k = 0; k < nitems(bad); k++)
			t_err(t, t_routes[i].method, path, bad[k],
			    t_routes[i].body != NULL ? body : NULL, 401,
			    "unauthorized");
	}
	/* a token that is not 64 hex digits, and another scheme */
	{
		struct curl_slist *h = NULL;
		struct t_resp      r = { 0 };
		char               url[128];

		snprintf(
		    url, sizeof(url), "http://127.0.0.1:%d/v1/me", t->port);
		curl_easy_reset(t->curl);
		curl_easy_setopt(t->curl, CURLOPT_URL, url);
		curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, t_write);
		curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &r);
		h = curl_slist_append(h, "Authorization: Basic YWxpY2U6eA==");
		curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, h);
		assert_int_equal(curl_easy_perform(t->curl), CURLE_OK);
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &r.status);
		assert_int_equal(r.status, 401);
		curl_slist_free_all(h);
		t_resp_free(&r);
	}
	t_digest(t, d1);
	assert_string_equal(d0, d1);
	t_free(t);
}

static void
test_security_roles(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT];
	char      path[128], body[256], d0[64], d1[64];
	size_t    i;

	t_queue(t, ids);
	t_digest(t, d0);
	for (i = 0; i < nitems(t_routes); i++) {
		if (t_routes[i].least <= API_ROLE_TRIAGE)
			continue;
		t_route(
		    i, ids[I_SUSPEND], path, sizeof(path), body, sizeof(body));
		t_err(t, t_routes[i].method, path, U_TINA,
		    t_routes[i].body != NULL ? body : NULL, 403, "forbidden");
	}
	t_digest(t, d1);
	assert_string_equal(d0, d1);
	t_free(t);
}

/* Bodies every POST route must refuse with 400. */
static const char *const t_bad_bodies[] = {
	"{", /* malformed */
	"[]", /* not an object */
	"\"x\"",
	"{\"bogus\":1}", /* unknown field */
	"{\"user\":1,\"text\":1,\"action\":1,\"comment\":1,\"reason\":1,"
	"\"op\":1}", /* wrong types for whichever applies */
	"{\"reason\":\"a\",\"reason\":\"b\"}", /* duplicate keys */
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	"[",
	"{\"text\":\"a\\u0000b\",\"reason\":\"a\\u0000b\","
	"\"comment\":\"a\\u0000b\"}",
};

static void
test_security_bodies(void **state)
{
	struct t     *t = t_new(state);
	int64_t       ids[I_COUNT];
	char          path[128], body[256], d0[64], d1[64], *big;
	size_t        i, k;
	struct t_resp r;

	t_queue(t, ids);
	t_digest(t, d0);
	big = xmalloc(2 * T_MAX_BODY_BYTES + 1);
	memset(big, ' ', 2 * T_MAX_BODY_BYTES);
	big[0] = '{';
	big[2 * T_MAX_BODY_BYTES - 1] = '}';
	big[2 * T_MAX_BODY_BYTES] = '\0';
	for (i = 0; i < nitems(t_routes); i++) {
		if (t_routes[i].body == NULL)
			continue;
		t_route(
		    i, ids[I_SUSPEND], path, sizeof(path), body, sizeof(body));
		for (k = 0; k < nitems(t_bad_bodies); k++)
			t_err(t, "POST", path, U_ADAM, t_bad_bodies[k], 400,
			    "bad_request");
		r = t_call(t, "POST", path, U_ADAM, big, -1);
		assert_int_equal(r.status, 413);
		assert_string_equal(j_str(r.json, "error"), "too_large");
		t_resp_free(&r);
	}
	free(big);
	/* wrong types, field by field */
	t_path(path, sizeof(path), ids[I_SUSPEND], "edit");
	t_err(t, "POST", path, U_ADAM, "{\"reject_media\":\"yes\"}", 400,
	    "bad_request");
	t_err(t, "POST", path, U_ADAM, "{\"reject_media\":null}", 400,
	    "bad_request");
	t_err(t, "POST", path, U_ADAM, "{\"public_comment\":5}", 400,
	    "bad_request");
	t_err(t, "POST", path, U_ADAM, "{\"action\":\"obliterate\"}", 400,
	    "bad_request");
	t_path(path, sizeof(path), ids[I_SUSPEND], "comment");
	big = xmalloc(MOD_MAX_API_TEXT_BYTES + 32);
	memset(big, 'a', MOD_MAX_API_TEXT_BYTES + 32);
	memcpy(big, "{\"text\":\"", 9);
	memcpy(big + MOD_MAX_API_TEXT_BYTES + 29, "\"}", 3);
	t_err(t, "POST", path, U_ADAM, big, 400, "bad_request");
	free(big);
	t_digest(t, d1);
	assert_string_equal(d0, d1);
	t_free(t);
}

/* t_sql_check: the JSON string at key of o is T_SQL. */
static void
t_sql_check(const json_t *o, const char *key)
{
	assert_non_null(j_str(o, key));
	assert_string_equal(j_str(o, key), T_SQL);
}

static void
test_sql_strings(void **state)
{
	struct t *t = t_new(state);
	int64_t   ids[I_COUNT], id;
	char      path[128], body[1024];
	json_t   *j;

	t_queue(t, ids);
	t_path(path, sizeof(path), ids[I_SUSPEND], "comment");
	json_decref(
	    t_ok(t, "POST", path, U_ALICE, "{\"text\":\"" T_SQL "\"}", 200));
	t_path(path, sizeof(path), ids[I_SUSPEND], "edit");
	j = t_ok(t, "POST", path, U_ALICE,
	    "{\"public_comment\":\"" T_SQL "\",\"private_comment\":\"" T_SQL
	    "\"}",
	    200);
	t_sql_check(j, "public_comment");
	t_sql_check(j, "private_comment");
	json_decref(j);
	t_path(path, sizeof(path), ids[I_SUSPEND], "approve");
	json_decref(t_ok(
	    t, "POST", path, U_ALICE, "{\"comment\":\"" T_SQL "\"}", 200));
	t_path(path, sizeof(path), ids[I_FLAG], "reject");
	j = t_ok(t, "POST", path, U_ALICE, "{\"reason\":\"" T_SQL "\"}", 200);
	t_sql_check(j, "reject_reason");
	json_decref(j);
	t_err(t, "POST", "/v1/queue/1/assign", U_ALICE,
	    "{\"user\":\"" T_SQL "\"}", 404, "not_found");
	snprintf(body, sizeof(body),
	    "{\"target_type\":\"status\",\"target_id\":\"%s\",\"target_acct\":"
	    "\"%s\",\"action\":\"delete\",\"public_comment\":\"%s\","
	    "\"private_comment\":\"%s\",\"reason\":\"%s\"}",
	    T_SQL, T_SQL, T_SQL, T_SQL, T_SQL);
	j = t_ok(t, "POST", "/v1/proposals", U_ALICE, body, 201);
	id = j_int(j, "id");
	t_sql_check(j, "target_id");
	t_sql_check(j, "target_acct");
	t_sql_check(j, "public_comment");
	json_decref(j);
	/* read back: comment body, audit reasons; the table is still there */
	t_path(path, sizeof(path), ids[I_SUSPEND], NULL);
	j = t_ok(t, "GET", path, U_TINA, NULL, 200);
	t_sql_check(json_array_get(json_object_get(j, "comments"), 0), "body");
	json_decref(j);
	assert_int_equal(
	    q_int(
	        t->db, "SELECT count(*) FROM audit WHERE reason = $1", T_SQL),
	    3); /* comment, reject, propose.manual */
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM approvals WHERE comment = $1",
	        T_SQL),
	    1);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM proposals WHERE"
	                     " private_comment = $1",
	                     T_SQL),
	    2);
	assert_true(id > ids[I_SPAM]);
	assert_int_equal(t_list_count(t,
	                     "/v1/queue?target=%27%29%3B%20DROP"
	                     "%20TABLE%20proposals%3B--"),
	    1);
	t_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_me),
		cmocka_unit_test(test_list_order_and_pages),
		cmocka_unit_test(test_list_filters),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_assign_comment),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_approve_reject),
		cmocka_unit_test(test_approve_concurrent),
		cmocka_unit_test(test_two_person),
		cmocka_unit_test(test_manual_proposal),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_security_tokens),
		cmocka_unit_test(test_security_revoked_live),
		cmocka_unit_test(test_security_roles),
		cmocka_unit_test(test_security_bodies),
		cmocka_unit_test(test_sql_strings),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
