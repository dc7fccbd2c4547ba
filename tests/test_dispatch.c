/*
 * test_dispatch.c - the dispatcher (dispatch.c, dispatch_call.c,
 * queue_dispatch.c) against a real throwaway PostgreSQL and a Mastodon
 * stand-in on 127.0.0.1 (tests/harness_http) that checks every request
 * against the documented shape - method, path, exact form body,
 * Content-Type and `Authorization: Bearer TOKEN` - and answers as
 * scripted: success, 500 then success, 422 "already imposed stricter
 * limits", 403, 404, a timeout.  Proposals are seeded with SQL as the
 * approval code leaves them (state approved).  Also: retries and their
 * limit, status delete refused, no mastodon_url, two dispatchers on one
 * database (each action reaches Mastodon exactly once), a crashed claim
 * taken over once, a lost lease, LISTEN/NOTIFY, the nng actions socket,
 * and the audit chain after all of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <cmocka.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "audit.h"
#include "dispatch.h"
#include "harness_http.h"
#include "harness_pg.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

#define TOKEN "s3cr3t-admin-token"
#define WAIT_MS 15000
#define MAX_RULES 64
#define FORM_CT "application/x-www-form-urlencoded"

/* One scripted endpoint of the stand-in. */
struct rule {
	const char *method;
	char        path[128];
	char        form[512]; /* exact body expected */
	int         status[4]; /* answers in order; the last one repeats */
	const char *body; /* answer body (all statuses) */
	int64_t     sleep_first_ms; /* before the first answer */
	unsigned    hits;
};

struct standin {
	pthread_mutex_t      mu;
	struct rule          rules[MAX_RULES];
	size_t               n;
	unsigned             bad; /* requests of the wrong shape */
	unsigned             unmatched;
	char                 why[2048];
	struct harness_http *h;
};

struct t {
	struct harness_pg *pg;
	char               dsn[HARNESS_PG_DSN_BYTES];
	struct store      *db;
	struct standin     s;
	char               url[128];
};

/* ---- the Mastodon stand-in ---- */

static struct rule *
standin_find(struct standin *s, const struct harness_http_req *r)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->rules[i].method, r->method) == 0
		    && strcmp(s->rules[i].path, r->target) == 0)
			return &s->rules[i];
	return NULL;
}

/* The documented shape: token, and a form body with its type. */
static void
standin_check(
    struct standin *s, const struct rule *ru, const struct harness_http_req *r)
{
	struct harness_http_expect e = { ru->method, ru->path,
		{ "Authorization: Bearer " TOKEN,
		    ru->form[0] != '\0' ? "Content-Type: " FORM_CT : NULL } };
	char                       why[256];

	if (harness_http_req_check(r, &e, why, sizeof(why)) != 0) {
		s->bad++;
		snprintf(s->why, sizeof(s->why), "%s %s: %s", r->method,
		    r->target, why);
	} else if (strcmp(r->body, ru->form) != 0) {
		s->bad++;
		snprintf(s->why, sizeof(s->why),
		    "%s %s: body [%.500s] want [%.500s]", r->method, r->target,
		    r->body, ru->form);
	}
}

static void
standin_handle(
    void *arg, struct harness_http_conn *c, const struct harness_http_req *r)
{
	struct standin *s = arg;
	struct rule    *ru;
	unsigned        n, last;
	int             status;
	int64_t         pause = 0;
	const char     *body;

	pthread_mutex_lock(&s->mu);
	if ((ru = standin_find(s, r)) == NULL) {
		s->unmatched++;
		snprintf(s->why, sizeof(s->why), "unexpected %s %s", r->method,
		    r->target);
		pthread_mutex_unlock(&s->mu);
		harness_http_send_response(
		    c, 404, NULL, "{\"error\":\"Record not found\"}", 28);
		return;
	}
	standin_check(s, ru, r);
	n = ru->hits++;
	for (last = 0; last < 3 && ru->status[last + 1] != 0; last++)
		;
	status = ru->status[n < last ? n : last];
	pause = n == 0 ? ru->sleep_first_ms : 0;
	body = ru->body != NULL ? ru->body : "{}";
	pthread_mutex_unlock(&s->mu);
	if (pause > 0 && harness_http_sleep(c, pause) != 0)
		return;
	harness_http_send_response(c, status,
	    "Content-Type: application/json\r\n", body, strlen(body));
}

/* Script an endpoint: method, path (printf), statuses, body. */
static struct rule *standin_on(struct standin *s, const char *method,
    const char *form, const char *body, int st0, int st1, const char *pathfmt,
    ...) MOD_PRINTF(7, 8);

static struct rule *
standin_on(struct standin *s, const char *method, const char *form,
    const char *body, int st0, int st1, const char *pathfmt, ...)
{
	struct rule *ru;
	va_list      ap;

	pthread_mutex_lock(&s->mu);
	assert_true(s->n < MAX_RULES);
	ru = &s->rules[s->n++];
	memset(ru, 0, sizeof(*ru));
	ru->method = method;
	va_start(ap, pathfmt);
	vsnprintf(ru->path, sizeof(ru->path), pathfmt, ap);
	va_end(ap);
	mod_strlcpy(ru->form, form != NULL ? form : "", sizeof(ru->form));
	ru->body = body;
	ru->status[0] = st0;
	ru->status[1] = st1;
	pthread_mutex_unlock(&s->mu);
	return ru;
}

static unsigned
standin_hits(struct standin *s, const struct rule *ru)
{
	unsigned n;

	pthread_mutex_lock(&s->mu);
	n = ru->hits;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void
standin_assert_clean(struct standin *s)
{
	pthread_mutex_lock(&s->mu);
	if (s->bad != 0 || s->unmatched != 0)
		fail_msg("stand-in: %u bad, %u unmatched requests: %s", s->bad,
		    s->unmatched, s->why);
	pthread_mutex_unlock(&s->mu);
}

/* ---- set-up ---- */

static struct t *
t_new(void **state)
{
	struct t *t = xcalloc(1, sizeof(*t));

	t->pg = *state;
	metrics_reset();
	assert_int_equal(
	    harness_pg_fresh(t->pg, t->dsn, sizeof(t->dsn), &t->db), 0);
	pthread_mutex_init(&t->s.mu, NULL);
	assert_int_equal(
	    harness_http_start(&t->s.h, standin_handle, &t->s), 0);
	harness_http_url(t->s.h, "/", t->url, sizeof(t->url));
	return t;
}

static void
t_free(struct t *t)
{
	int64_t bad = 0;

	harness_http_stop(t->s.h);
	/* Whatever a test did, the audit chain must still verify. */
	assert_int_equal(audit_verify(t->db, &bad, NULL), 0);
	store_close(t->db);
	pthread_mutex_destroy(&t->s.mu);
	free(t);
}

static void
t_opts(struct t *t, struct dispatch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dsn = t->dsn;
	o->stmt_timeout_ms = 5000;
	o->mastodon_url = t->url; /* with a trailing '/', which is dropped */
	o->mastodon_token = TOKEN;
	o->actions_pub = "";
	o->workers = 2;
	o->max_attempts = 5;
	o->backoff_min_ms = 50;
	o->backoff_max_ms = 200;
	o->timeout_ms = 2000;
	o->poll_ms = 100;
}

/* ---- SQL helpers ---- */

static void
q_text(
    struct store *db, const char *sql, const char *p1, char *out, size_t outsz)
{
	const char *params[1] = { p1 };

	assert_int_equal(
	    store_query_value(db, "test", sql, p1 ? 1 : 0, params, out, outsz),
	    0);
}

static int64_t
q_int(struct store *db, const char *sql, const char *p1)
{
	char    val[64];
	int64_t v;

	q_text(db, sql, p1, val, sizeof(val));
	assert_int_equal(mod_strtonum(val, INT64_MIN, INT64_MAX, &v), 0);
	return v;
}

/* A decided proposal as the approval code leaves it. */
struct seed {
	const char *state; /* default approved */
	const char *type, *id, *account, *acct, *action;
	const char *pub, *priv;
	bool        media, reports, obfuscate;
};

static int64_t
seed(struct t *t, const struct seed *s)
{
	static const char sql[]
	    = "INSERT INTO proposals (state, target_type, target_id,"
	      " target_account_id, target_acct, action, public_comment,"
	      " private_comment, reject_media, reject_reports, obfuscate,"
	      " decided_at, decided_by)"
	      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(),"
	      " 'alice') RETURNING id";
	const char *p[11] = { s->state ? s->state : "approved", s->type, s->id,
		s->account, s->acct, s->action, s->pub, s->priv,
		s->media ? "t" : "f", s->reports ? "t" : "f",
		s->obfuscate ? "t" : "f" };
	char        val[32];
	int64_t     id;

	assert_int_equal(
	    store_query_value(t->db, "seed", sql, 11, p, val, sizeof(val)), 0);
	assert_int_equal(mod_strtonum(val, 1, INT64_MAX, &id), 0);
	return id;
}

static void
pid_text(int64_t id, char buf[24])
{
	snprintf(buf, 24, "%lld", (long long) id);
}

/* A column of proposal id as text. */
static void
proposal_col(struct t *t, int64_t id, const char *col, char *out, size_t n)
{
	char sql[128], p[24];

	pid_text(id, p);
	snprintf(sql, sizeof(sql),
	    "SELECT %s::text FROM proposals WHERE id = $1", col);
	q_text(t->db, sql, p, out, n);
}

/* The proposal's state once it is final, within WAIT_MS. */
static void
wait_state(struct t *t, int64_t id, const char *want)
{
	char    p[24], st[32] = "";
	int64_t end = mod_mono_ms() + WAIT_MS;

	pid_text(id, p);
	while (mod_mono_ms() < end) {
		q_text(t->db, "SELECT state FROM proposals WHERE id = $1", p,
		    st, sizeof(st));
		if (strcmp(st, want) == 0)
			return;
		usleep(20000);
	}
	fail_msg("proposal %s is %s, want %s", p, st, want);
}

/* Wait until the proposal's dispatch row is in state want. */
static void
wait_dispatch(struct t *t, int64_t id, const char *want)
{
	char    p[24], st[32] = "";
	int64_t end = mod_mono_ms() + WAIT_MS;

	pid_text(id, p);
	while (mod_mono_ms() < end) {
		if (store_query_value(t->db, "test",
		        "SELECT state FROM dispatches WHERE proposal_id = $1",
		        1, (const char *const[]) { p }, st, sizeof(st))
		        == 0
		    && strcmp(st, want) == 0)
			return;
		usleep(20000);
	}
	fail_msg("dispatch of %s is %s, want %s", p, st, want);
}

/* A column of the proposal's dispatch row as text ("" for NULL). */
static void
dispatch_col(struct t *t, int64_t id, const char *col, char *out, size_t n)
{
	char sql[160], p[24];
	int  rv;

	pid_text(id, p);
	snprintf(sql, sizeof(sql),
	    "SELECT %s::text FROM dispatches WHERE proposal_id = $1", col);
	rv = store_query_value(
	    t->db, "test", sql, 1, (const char *const[]) { p }, out, n);
	assert_true(rv == 0 || rv == MOD_ENOENT);
}

static int64_t
dispatch_int(struct t *t, int64_t id, const char *col)
{
	char    v[32];
	int64_t n;

	dispatch_col(t, id, col, v, sizeof(v));
	assert_int_equal(mod_strtonum(v, INT64_MIN, INT64_MAX, &n), 0);
	return n;
}

static int64_t
audit_count(struct t *t, int64_t id, const char *action)
{
	char        p[24];
	const char *params[2] = { p, action };
	char        v[32];
	int64_t     n;

	pid_text(id, p);
	assert_int_equal(
	    store_query_value(t->db, "test",
	        "SELECT count(*) FROM audit WHERE proposal_id = $1"
	        " AND action = $2 AND actor = 'dispatch'",
	        2, params, v, sizeof(v)),
	    0);
	assert_int_equal(mod_strtonum(v, 0, INT64_MAX, &n), 0);
	return n;
}

static double
metric(const char *name)
{
	double v = -1;

	assert_int_equal(metrics_lookup(name, &v), 0);
	return v;
}

/* An account action endpoint answering st0 then st1 (0: st0 again). */
static struct rule *
on_action(struct t *t, const char *acc, const char *type, const char *body,
    int st0, int st1)
{
	char form[128];

	snprintf(form, sizeof(form),
	    "type=%s&text=&send_email_notification=false", type);
	return standin_on(&t->s, "POST", form, body, st0, st1,
	    "/api/v1/admin/accounts/%s/action", acc);
}

/* An approved action on account acc. */
static int64_t
seed_account(struct t *t, const char *acc, const char *action)
{
	return seed(t,
	    &(struct seed) { .type = "account", .id = acc, .action = action });
}

/* ---- tests ---- */

/* Account actions, report items and report resolution: exact shapes. */
static void
test_account_shapes(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	struct rule         *r1, *r2, *r3, *r4;
	int64_t              a, b, c, e;
	char                 v[256], p[24];

	r1 = standin_on(&t->s, "POST",
	    "type=suspend&text=spam%2C%20100%25%20%26%20more%3D%C3%A9"
	    "&send_email_notification=false",
	    NULL, 200, 0, "/api/v1/admin/accounts/109/action");
	r2 = standin_on(&t->s, "POST",
	    "type=silence&report_id=77&text=&send_email_notification=false",
	    NULL, 200, 0, "/api/v1/admin/accounts/110/action");
	r3 = standin_on(&t->s, "POST", "", NULL, 200, 0,
	    "/api/v1/admin/reports/78/resolve");
	r4 = standin_on(&t->s, "POST", "", NULL, 200, 0,
	    "/api/v1/admin/reports/79/resolve");
	a = seed(t,
	    &(struct seed) { .type = "account",
	        .id = "109",
	        .acct = "spammer@bad.example",
	        .action = "suspend",
	        .pub = "spam, 100% & more=\xc3\xa9",
	        .priv = "internal" });
	b = seed(t,
	    &(struct seed) { .type = "report",
	        .id = "77",
	        .account = "110",
	        .acct = "local",
	        .action = "silence" });
	c = seed(t,
	    &(struct seed) { .type = "report",
	        .id = "78",
	        .account = "111",
	        .action = "none" });
	e = seed(t,
	    &(struct seed) { .state = "rejected",
	        .type = "report",
	        .id = "79",
	        .account = "112",
	        .action = "suspend" });
	/* an approved flag on an account has nothing to send */
	seed_account(t, "113", "flag");
	t_opts(t, &o);
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, a, "applied");
	wait_state(t, b, "applied");
	wait_state(t, c, "applied");
	wait_dispatch(t, e, "applied");
	dispatch_stop(d);
	standin_assert_clean(&t->s);
	assert_int_equal(standin_hits(&t->s, r1), 1);
	assert_int_equal(standin_hits(&t->s, r2), 1);
	assert_int_equal(standin_hits(&t->s, r3), 1);
	assert_int_equal(standin_hits(&t->s, r4), 1);
	/* a rejected report item is resolved but stays rejected */
	proposal_col(t, e, "state", v, sizeof(v));
	assert_string_equal(v, "rejected");
	dispatch_col(t, a, "kind", v, sizeof(v));
	assert_string_equal(v, "account_action");
	dispatch_col(t, c, "kind", v, sizeof(v));
	assert_string_equal(v, "report_resolve");
	assert_int_equal(dispatch_int(t, a, "attempts"), 1);
	assert_int_equal(audit_count(t, a, "dispatch.applied"), 1);
	assert_int_equal(
	    q_int(t->db,
	        "SELECT count(*) FROM dispatches d JOIN proposals p"
	        " ON p.id = d.proposal_id WHERE p.action = 'flag'",
	        NULL),
	    0);
	pid_text(a, p);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM proposals WHERE id = $1"
	                     " AND applied_at IS NOT NULL",
	                     p),
	    1);
	assert_true(metric("moderd_dispatch_applied_total") == 4);
	t_free(t);
}

/* 500 then success: retried, applied with attempts 2; 403: failed. */
static void
test_retry_and_refusal(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	struct rule         *r1, *r2;
	int64_t              a, b;
	char                 v[600];

	r1 = on_action(t, "201", "sensitive", NULL, 500, 200);
	r2 = standin_on(&t->s, "POST",
	    "type=suspend&text=&send_email_notification=false",
	    "{\"error\":\"This action is not allowed\"}", 403, 0,
	    "/api/v1/admin/accounts/202/action");
	a = seed_account(t, "201", "sensitive");
	b = seed(t,
	    &(struct seed) { .type = "status",
	        .id = "9001",
	        .account = "202",
	        .action = "suspend" });
	t_opts(t, &o);
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, a, "applied");
	wait_state(t, b, "failed");
	dispatch_stop(d);
	standin_assert_clean(&t->s);
	assert_int_equal(standin_hits(&t->s, r1), 2);
	assert_int_equal(standin_hits(&t->s, r2), 1);
	assert_int_equal(dispatch_int(t, a, "attempts"), 2);
	assert_int_equal(audit_count(t, a, "dispatch.retry"), 1);
	assert_int_equal(audit_count(t, a, "dispatch.applied"), 1);
	assert_int_equal(dispatch_int(t, b, "attempts"), 1);
	assert_int_equal(audit_count(t, b, "dispatch.failed"), 1);
	proposal_col(t, b, "error", v, sizeof(v));
	assert_non_null(strstr(v, "HTTP 403"));
	assert_non_null(strstr(v, "This action is not allowed"));
	assert_true(metric("moderd_dispatch_retries_total") == 1);
	assert_true(metric("moderd_dispatch_failed_total") == 1);
	t_free(t);
}

/* A timeout is retried; endless 503 gives up after max_attempts. */
static void
test_timeout_and_give_up(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	struct rule         *r1, *r2;
	int64_t              a, b;
	char                 v[600];

	r1 = on_action(t, "301", "silence", NULL, 200, 0);
	r1->sleep_first_ms = 1500;
	r2 = on_action(t, "302", "silence", NULL, 503, 0);
	a = seed_account(t, "301", "silence");
	b = seed_account(t, "302", "silence");
	t_opts(t, &o);
	o.timeout_ms = 400;
	o.max_attempts = 3;
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, a, "applied");
	wait_state(t, b, "failed");
	dispatch_stop(d);
	standin_assert_clean(&t->s);
	assert_int_equal(standin_hits(&t->s, r1), 2);
	assert_int_equal(dispatch_int(t, a, "attempts"), 2);
	assert_int_equal(standin_hits(&t->s, r2), 3);
	assert_int_equal(dispatch_int(t, b, "attempts"), 3);
	assert_int_equal(audit_count(t, b, "dispatch.retry"), 2);
	proposal_col(t, b, "error", v, sizeof(v));
	assert_non_null(strstr(v, "gave up after 3 attempts"));
	assert_non_null(strstr(v, "HTTP 503"));
	t_free(t);
}

static const char EXISTING_PARENT[]
    = "{\"error\":\"You have already imposed stricter limits on "
      "bad.example.\",\"existing_domain_block\":{\"id\":\"5\","
      "\"domain\":\"bad.example\",\"severity\":\"suspend\","
      "\"reject_media\":true,\"reject_reports\":true,\"obfuscate\":false}}";
static const char EXISTING_SAME[]
    = "{\"error\":\"You have already imposed stricter limits on "
      "same.example.\",\"existing_domain_block\":{\"id\":\"9\","
      "\"domain\":\"same.example\",\"severity\":\"silence\","
      "\"reject_media\":false,\"reject_reports\":false,"
      "\"obfuscate\":false}}";

/* Domain blocks: POST, 422 covered by a parent, 422 on the same
 * domain updated with PUT, then an unblock whose DELETE finds 404. */
static void
test_domain_blocks(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	struct rule         *post_new, *post_sub, *post_same, *put, *del;
	int64_t              a, b, c, u;
	char                 v[256];

	post_new = standin_on(&t->s, "POST",
	    "domain=new.example&severity=suspend&reject_media=true"
	    "&reject_reports=false&private_comment=from%20feed%20x"
	    "&public_comment=spam%20source&obfuscate=true",
	    "{\"id\":\"12\",\"domain\":\"new.example\"}", 200, 0,
	    "/api/v1/admin/domain_blocks");
	a = seed(t,
	    &(struct seed) { .type = "domain",
	        .id = "new.example",
	        .action = "suspend",
	        .pub = "spam source",
	        .priv = "from feed x",
	        .media = true,
	        .obfuscate = true });
	t_opts(t, &o);
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, a, "applied");
	dispatch_stop(d);
	q_text(t->db,
	    "SELECT mastodon_id || ' ' || severity FROM blocks"
	    " WHERE domain = $1",
	    "new.example", v, sizeof(v));
	assert_string_equal(v, "12 suspend");

	/* the same path serves the next two POSTs: answer 422 both times */
	post_new->status[0] = 422;
	post_new->body = EXISTING_PARENT;
	mod_strlcpy(post_new->form,
	    "domain=sub.bad.example&severity=silence&reject_media=false"
	    "&reject_reports=false&private_comment=&public_comment="
	    "&obfuscate=false",
	    sizeof(post_new->form));
	post_sub = post_new;
	b = seed(t,
	    &(struct seed) { .type = "domain",
	        .id = "sub.bad.example",
	        .action = "silence" });
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, b, "applied");
	dispatch_stop(d);
	dispatch_col(t, b, "result", v, sizeof(v));
	assert_string_equal(v, "covered (by the block on bad.example)");
	q_text(t->db, "SELECT severity FROM blocks WHERE domain = $1",
	    "sub.bad.example", v, sizeof(v));
	assert_string_equal(v, "silence");

	post_same = post_sub;
	post_same->body = EXISTING_SAME;
	mod_strlcpy(post_same->form,
	    "domain=same.example&severity=suspend&reject_media=false"
	    "&reject_reports=true&private_comment=&public_comment="
	    "&obfuscate=false",
	    sizeof(post_same->form));
	put = standin_on(&t->s, "PUT",
	    "severity=suspend&reject_media=false&reject_reports=true"
	    "&private_comment=&public_comment=&obfuscate=false",
	    "{\"id\":\"9\"}", 200, 0, "/api/v1/admin/domain_blocks/9");
	c = seed(t,
	    &(struct seed) { .type = "domain",
	        .id = "same.example",
	        .action = "suspend",
	        .reports = true });
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, c, "applied");
	dispatch_stop(d);
	assert_int_equal(standin_hits(&t->s, put), 1);
	dispatch_col(t, c, "result", v, sizeof(v));
	assert_string_equal(v, "updated block 9");
	q_text(t->db, "SELECT mastodon_id FROM blocks WHERE domain = $1",
	    "same.example", v, sizeof(v));
	assert_string_equal(v, "9");

	/* unblock new.example: DELETE its Mastodon id; 404 = already gone */
	del = standin_on(&t->s, "DELETE", NULL, NULL, 404, 0,
	    "/api/v1/admin/domain_blocks/12");
	u = seed(t,
	    &(struct seed) {
	        .type = "domain", .id = "new.example", .action = "unblock" });
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, u, "applied");
	dispatch_stop(d);
	assert_int_equal(standin_hits(&t->s, del), 1);
	dispatch_col(t, u, "result", v, sizeof(v));
	assert_string_equal(v, "already gone");
	assert_int_equal(
	    q_int(t->db, "SELECT count(*) FROM blocks WHERE domain = $1",
	        "new.example"),
	    0);
	assert_int_equal(standin_hits(&t->s, post_new), 3);
	standin_assert_clean(&t->s);
	t_free(t);
}

/* A status delete has no released API: failed, nothing sent. */
static void
test_status_delete_fails(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	int64_t              a;
	char                 v[600];

	a = seed(t,
	    &(struct seed) { .type = "status",
	        .id = "555",
	        .account = "77",
	        .action = "delete" });
	t_opts(t, &o);
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, a, "failed");
	dispatch_stop(d);
	assert_int_equal(harness_http_requests(t->s.h), 0);
	proposal_col(t, a, "error", v, sizeof(v));
	assert_non_null(strstr(v, "no call to delete a single status"));
	t_free(t);
}

/* No mastodon_url: domain items recorded; account items wait. */
static void
test_no_mastodon_url(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	int64_t              a, b;
	char                 v[256];

	a = seed(t,
	    &(struct seed) {
	        .type = "domain", .id = "rec.example", .action = "silence" });
	b = seed_account(t, "401", "suspend");
	t_opts(t, &o);
	o.mastodon_url = "";
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, a, "applied");
	wait_dispatch(t, b, "queued");
	usleep(300000); /* several polls */
	dispatch_stop(d);
	dispatch_col(t, a, "result", v, sizeof(v));
	assert_string_equal(v, "recorded (no mastodon_url)");
	q_text(t->db, "SELECT severity FROM blocks WHERE domain = $1",
	    "rec.example", v, sizeof(v));
	assert_string_equal(v, "silence");
	assert_int_equal(dispatch_int(t, b, "attempts"), 0);
	proposal_col(t, b, "state", v, sizeof(v));
	assert_string_equal(v, "approved");
	assert_int_equal(harness_http_requests(t->s.h), 0);
	t_free(t);
}

#define RACE_COUNT 40

/* Two dispatchers (as two processes) on one database: each action
 * reaches Mastodon exactly once. */
static void
test_two_dispatchers(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d1, *d2;
	struct rule         *r[RACE_COUNT];
	int64_t              id[RACE_COUNT];
	char                 acc[16];
	int                  i;

	for (i = 0; i < RACE_COUNT; i++) {
		snprintf(acc, sizeof(acc), "%d", 1000 + i);
		r[i] = standin_on(&t->s, "POST",
		    "type=silence&text=&send_email_notification=false", NULL,
		    200, 0, "/api/v1/admin/accounts/%s/action", acc);
	}
	t_opts(t, &o);
	o.workers = 3;
	assert_int_equal(dispatch_start(&o, &d1), 0);
	assert_int_equal(dispatch_start(&o, &d2), 0);
	for (i = 0; i < RACE_COUNT; i++) {
		snprintf(acc, sizeof(acc), "%d", 1000 + i);
		id[i] = seed(t,
		    &(struct seed) {
		        .type = "account", .id = acc, .action = "silence" });
	}
	assert_int_equal(queue_dispatch_notify(t->db), 0);
	for (i = 0; i < RACE_COUNT; i++)
		wait_state(t, id[i], "applied");
	dispatch_stop(d1);
	dispatch_stop(d2);
	standin_assert_clean(&t->s);
	for (i = 0; i < RACE_COUNT; i++) {
		assert_int_equal(standin_hits(&t->s, r[i]), 1);
		assert_int_equal(dispatch_int(t, id[i], "attempts"), 1);
	}
	assert_int_equal(harness_http_requests(t->s.h), RACE_COUNT);
	assert_int_equal(q_int(t->db,
	                     "SELECT count(*) FROM audit"
	                     " WHERE action = 'dispatch.applied'",
	                     NULL),
	    RACE_COUNT);
	t_free(t);
}

/* A claim whose process died (lease expired) is taken over once; a
 * live claim is left alone. */
static void
test_crashed_claim(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	struct dispatch_item it1, it2;
	struct rule         *r1, *r2;
	int64_t              a, b, n;

	r1 = on_action(t, "501", "suspend", NULL, 200, 0);
	r2 = on_action(t, "502", "suspend", NULL, 200, 0);
	a = seed_account(t, "501", "suspend");
	b = seed_account(t, "502", "suspend");
	assert_int_equal(queue_dispatch_plan(t->db, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(
	    queue_dispatch_claim(t->db, "dead:1:1", 300, true, &it1), 0);
	assert_int_equal(it1.proposal_id, a);
	assert_false(it1.takeover);
	assert_int_equal(
	    queue_dispatch_claim(t->db, "alive:2:2", 600000, true, &it2), 0);
	assert_int_equal(it2.proposal_id, b);
	usleep(400000); /* the first lease expires */
	t_opts(t, &o);
	assert_int_equal(dispatch_start(&o, &d), 0);
	wait_state(t, a, "applied");
	usleep(300000);
	dispatch_stop(d);
	assert_int_equal(standin_hits(&t->s, r1), 1);
	assert_int_equal(standin_hits(&t->s, r2), 0);
	assert_int_equal(dispatch_int(t, a, "attempts"), 2);
	/* the dead worker's late outcome is refused: the row is not its */
	{
		struct dispatch_result res
		    = { .outcome = DISPATCH_FAILED, .error = "late" };
		char at[DISPATCH_AT_BYTES];

		assert_int_equal(
		    queue_dispatch_finish(t->db, &it1, &res, at), MOD_ENOENT);
		res.outcome = DISPATCH_APPLIED;
		res.result = "applied";
		assert_int_equal(
		    queue_dispatch_finish(t->db, &it2, &res, at), 0);
		assert_int_equal(strlen(at), 24);
	}
	wait_state(t, a, "applied");
	wait_state(t, b, "applied");
	dispatch_item_free(&it1);
	dispatch_item_free(&it2);
	standin_assert_clean(&t->s);
	t_free(t);
}

/* LISTEN/NOTIFY wakes the dispatcher long before its poll. */
static void
test_notify_wakes(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	struct rule         *r;
	int64_t              a, t0;

	r = standin_on(&t->s, "POST", "", NULL, 200, 0,
	    "/api/v1/admin/reports/601/resolve");
	t_opts(t, &o);
	o.poll_ms = 20000;
	assert_int_equal(dispatch_start(&o, &d), 0);
	usleep(300000); /* the listener is listening and idle */
	a = seed(t,
	    &(struct seed) { .type = "report",
	        .id = "601",
	        .account = "1",
	        .action = "flag" });
	t0 = mod_mono_ms();
	assert_int_equal(queue_dispatch_notify(t->db), 0);
	wait_state(t, a, "applied");
	assert_true(mod_mono_ms() - t0 < 5000);
	dispatch_stop(d);
	assert_int_equal(standin_hits(&t->s, r), 1);
	t_free(t);
}

/* The actions socket announces each applied action as JSON. */
static void
test_actions_pub(void **state)
{
	struct t            *t = t_new(state);
	struct dispatch_opts o;
	struct dispatch     *d;
	nng_socket           sub;
	char                 url[128], *msg = NULL, pid[24];
	size_t               len = 0;
	json_t              *j;
	int64_t              a;

	on_action(t, "701", "silence", NULL, 200, 0);
	snprintf(url, sizeof(url), "ipc:///tmp/moderd-test-actions-%ld.ipc",
	    (long) getpid());
	t_opts(t, &o);
	o.actions_pub = url;
	assert_int_equal(dispatch_start(&o, &d), 0);
	assert_int_equal(nng_sub0_open(&sub), 0);
	assert_int_equal(nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, "", 0), 0);
	assert_int_equal(nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 10000), 0);
	assert_int_equal(nng_dial(sub, url, NULL, 0), 0);
	usleep(200000); /* the subscription reaches the publisher */
	a = seed(t,
	    &(struct seed) { .type = "account",
	        .id = "701",
	        .acct = "x@y.example",
	        .action = "silence" });
	assert_int_equal(nng_recv(sub, &msg, &len, NNG_FLAG_ALLOC), 0);
	j = json_loadb(msg, len, 0, NULL);
	assert_non_null(j);
	assert_int_equal(
	    json_integer_value(json_object_get(j, "proposal_id")), a);
	assert_string_equal(
	    json_string_value(json_object_get(j, "kind")), "account_action");
	assert_string_equal(
	    json_string_value(json_object_get(j, "target_type")), "account");
	assert_string_equal(
	    json_string_value(json_object_get(j, "target_id")), "701");
	assert_string_equal(
	    json_string_value(json_object_get(j, "action")), "silence");
	assert_string_equal(
	    json_string_value(json_object_get(j, "result")), "applied");
	assert_int_equal(
	    strlen(json_string_value(json_object_get(j, "at"))), 24);
	assert_int_equal(json_object_size(j), 7);
	json_decref(j);
	nng_free(msg, len);
	nng_close(sub);
	dispatch_stop(d);
	pid_text(a, pid);
	unlink(url + strlen("ipc://"));
	t_free(t);
}

/* Bad options are refused before anything starts. */
static void
test_bad_options(void **state)
{
	struct dispatch_opts o;
	struct dispatch     *d = (struct dispatch *) &o;
	struct t             t = { 0 };

	(void) state;
	mod_strlcpy(t.dsn, "host=/nonexistent", sizeof(t.dsn));
	mod_strlcpy(t.url, "http://127.0.0.1:1/", sizeof(t.url));
	t_opts(&t, &o);
	o.workers = 0;
	assert_int_equal(dispatch_start(&o, &d), MOD_EINVAL);
	assert_null(d);
	t_opts(&t, &o);
	o.backoff_max_ms = 1;
	assert_int_equal(dispatch_start(&o, &d), MOD_EINVAL);
	t_opts(&t, &o);
	o.actions_pub = "nonsense://x";
	assert_int_not_equal(dispatch_start(&o, &d), 0);
	assert_null(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account_shapes),
		cmocka_unit_test(test_retry_and_refusal),
		cmocka_unit_test(test_timeout_and_give_up),
		cmocka_unit_test(test_domain_blocks),
		cmocka_unit_test(test_status_delete_fails),
		cmocka_unit_test(test_no_mastodon_url),
		cmocka_unit_test(test_two_dispatchers),
		cmocka_unit_test(test_crashed_claim),
		cmocka_unit_test(test_notify_wakes),
		cmocka_unit_test(test_actions_pub),
		cmocka_unit_test(test_bad_options),
	};

	return cmocka_run_group_tests(
	    tests, harness_pg_group_setup, harness_pg_group_teardown);
}
