/*
 * bench_api.c - the queue API benchmark behind `make bench`.
 *
 *   bench_api DIR [--quick]
 *
 * Starts an embedded PostgreSQL cluster (pgembed) under DIR (removed and
 * made afresh), fills the queue with BENCH_API_ITEMS pending items (one
 * evidence snapshot each) by plain SQL - the writer's own speed is
 * bench_daemon's business - and serves the /v1 API on 127.0.0.1 with
 * moderd's HTTP server.  Then, over loopback with libcurl (keep-alive):
 *
 *   1. listing: BENCH_API_FIRST_PAGES requests of GET /v1/queue?limit=50
 *      (the first page), then a walk of the whole queue page by page
 *      with the cursor (deep pages), one client; each request timed;
 *   2. approving: BENCH_API_CLIENTS client threads (a mod team at work,
 *      each with its own keep-alive connection) POST
 *      /v1/queue/{id}/approve, one item per call, on distinct
 *      single-approval items for BENCH_API_APPROVE_S seconds.  Every
 *      approval is durable (synchronous commit) before it is answered;
 *      concurrent ones share a commit (queue_approve.c's group).
 *
 * It prints
 *
 *   bench api requests_per_s=R p99_ms=P approvals_per_s=A clients=N
 *   items=100000
 *
 * with R and P over every list request of part 1, a `bench api-detail`
 * line with the first-page and deep-page p99 apart, and a `bench
 * api-ratio` line: the p99 target (50 ms for a 50-item page) over P and
 * A over the approval target (1000/s); >= 1 meets a target.
 * Exit status 1 if a request fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "api.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "pgembed.h"
#include "store.h"
#include "util.h"

#define BENCH_API_ITEMS 100000
#define BENCH_API_FIRST_PAGES 500
#define BENCH_API_APPROVE_S 10
#define BENCH_API_CLIENTS 8
#define BENCH_API_TARGET_P99_MS 50.0
#define BENCH_API_TARGET_APPROVALS_S 1000.0
#define BENCH_API_DSN_BYTES 1024
#define BENCH_API_MAX_SAMPLES 8192

/* The queue: priority and action vary; one evidence row per item. */
static const char *const bench_api_fill[] = {
	"INSERT INTO proposals (target_type, target_id, target_account_id,"
	" target_acct, action, score, priority, count, rules, groups)"
	" SELECT 'account', 'a' || i, 'acct' || (i % 5000),"
	" 'user' || i || '@spam.example',"
	" (ARRAY['flag', 'sensitive', 'silence', 'suspend'])[1 + i % 4],"
	" (i % 97) / 10.0, (i * 7919) % 131, 1 + i % 3,"
	" ARRAY['RULE_' || (i % 50)], ARRAY['group' || (i % 7)]"
	" FROM generate_series(1, $1::integer) AS i",
	"INSERT INTO evidence (proposal_id, snapshot) SELECT id,"
	" jsonb_build_object('event', 'status.created', 'object_id', "
	"target_id,"
	" 'action', action, 'score', score, 'hits', jsonb_build_array("
	" jsonb_build_object('rule', rules[1], 'group', groups[1],"
	" 'target', 'text', 'excerpt', 'free crypto ' || id, 'offset', 3,"
	" 'length', 11, 'score', score)),"
	" 'texts', jsonb_build_object('text', 'free crypto for all ' || id))"
	" FROM proposals",
	"VACUUM ANALYZE proposals",
	"VACUUM ANALYZE evidence",
};

struct bench_api {
	char            dir[MOD_MAX_PATH_BYTES];
	char            dsn[BENCH_API_DSN_BYTES];
	struct conf    *conf;
	struct pgembed *pg;
	struct store   *db;
	struct api     *api;
	struct http    *http;
	int             port;
	char            token[STORE_TOKEN_HEX_LEN + 1];
};

/* One client thread of the approval run. */
struct bench_api_client {
	const struct bench_api *b;
	const int64_t          *ids;
	size_t                  nids;
	int64_t                 until_ms;
	size_t                  done;
	int                     failed;
	pthread_t               thread;
};

/* Latencies of a run, in microseconds. */
struct bench_api_lat {
	int64_t us[BENCH_API_MAX_SAMPLES];
	size_t  n;
};

struct bench_api_body {
	char  *data;
	size_t len;
};

static int64_t
bench_api_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t
bench_api_write(char *p, size_t size, size_t n, void *arg)
{
	struct bench_api_body *b = arg;

	b->data = xreallocarray(b->data, b->len + size * n + 1, 1);
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

/* bench_api_call: one request on curl; the body (caller frees) or NULL
 * when the status is not 200. */
static char *
bench_api_call(CURL *curl, const struct bench_api *b, const char *method,
    const char *path, const char *body)
{
	struct bench_api_body out = { NULL, 0 };
	struct curl_slist    *h = NULL;
	char                  url[512], auth[128];
	long                  status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", b->port, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", b->token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, bench_api_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
	if (body != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(curl) != CURLE_OK
	    || curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status)
	        != CURLE_OK
	    || status != 200) {
		fprintf(stderr, "bench_api: %s %s: %ld %s\n", method, path,
		    status, out.data ? out.data : "");
		free(out.data);
		out.data = NULL;
	}
	curl_slist_free_all(h);
	return out.data;
}

static int
bench_api_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

/* bench_api_p99_ms: the 99th percentile of l (sorts it). */
static double
bench_api_p99_ms(struct bench_api_lat *l)
{
	size_t i;

	if (l->n == 0)
		return 0;
	qsort(l->us, l->n, sizeof(l->us[0]), bench_api_cmp);
	i = (l->n * 99 + 99) / 100;
	return (double) l->us[(i > 0 ? i : 1) - 1] / 1000.0;
}

static void
bench_api_record(struct bench_api_lat *l, int64_t us)
{
	if (l->n < BENCH_API_MAX_SAMPLES)
		l->us[l->n++] = us;
}

/* bench_api_page: GET one page (cursor may be NULL) into cursor_out
 * ("" on the last page).  0 or -1. */
static int
bench_api_page(CURL *curl, const struct bench_api *b, const char *cursor,
    char *cursor_out, size_t outsz, struct bench_api_lat *l)
{
	char    path[256], *body;
	json_t *j;
	int64_t t0 = bench_api_now_us();

	snprintf(path, sizeof(path), "/v1/queue?limit=50%s%s",
	    cursor ? "&cursor=" : "", cursor ? cursor : "");
	if ((body = bench_api_call(curl, b, "GET", path, NULL)) == NULL)
		return -1;
	bench_api_record(l, bench_api_now_us() - t0);
	j = json_loads(body, 0, NULL);
	free(body);
	if (j == NULL || json_array_size(json_object_get(j, "items")) == 0) {
		json_decref(j);
		return cursor_out[0] = '\0', -1;
	}
	mod_strlcpy(cursor_out,
	    json_is_string(json_object_get(j, "next_cursor"))
	        ? json_string_value(json_object_get(j, "next_cursor"))
	        : "",
	    outsz);
	json_decref(j);
	return 0;
}

/* bench_api_list: part 1.  Returns 0 or -1. */
static int
bench_api_list(const struct bench_api *b, bool quick, double *p99)
{
	static struct bench_api_lat first, deep, all;
	CURL                       *curl = curl_easy_init();
	char    cur[API_CURSOR_BYTES] = "", next[API_CURSOR_BYTES];
	size_t  i, pages = 0, nfirst = quick ? 50 : BENCH_API_FIRST_PAGES;
	int64_t t0 = bench_api_now_us(), dt;
	int     rv = 0;

	for (i = 0; i < nfirst && rv == 0; i++)
		rv = bench_api_page(curl, b, NULL, cur, sizeof(cur), &first);
	while (rv == 0 && cur[0] != '\0' && (!quick || pages < 200)) {
		rv = bench_api_page(curl, b, cur, next, sizeof(next), &deep);
		memcpy(cur, next, sizeof(cur));
		pages++;
	}
	dt = bench_api_now_us() - t0;
	curl_easy_cleanup(curl);
	memcpy(all.us, first.us, first.n * sizeof(first.us[0]));
	all.n = first.n;
	for (i = 0; i < deep.n && all.n < BENCH_API_MAX_SAMPLES; i++)
		all.us[all.n++] = deep.us[i];
	printf("bench api-detail first_pages=%zu first_p99_ms=%.2f "
	       "deep_pages=%zu deep_p99_ms=%.2f\n",
	    first.n, bench_api_p99_ms(&first), deep.n,
	    bench_api_p99_ms(&deep));
	*p99 = bench_api_p99_ms(&all);
	printf("bench api requests_per_s=%.0f p99_ms=%.2f ",
	    (double) all.n * 1e6 / (double) (dt > 0 ? dt : 1), *p99);
	fflush(stdout);
	return rv;
}

static void *
bench_api_approver(void *arg)
{
	struct bench_api_client *c = arg;
	CURL                    *curl = curl_easy_init();
	char                     path[64], *body;

	while (c->done < c->nids && bench_api_now_us() / 1000 < c->until_ms) {
		snprintf(path, sizeof(path), "/v1/queue/%lld/approve",
		    (long long) c->ids[c->done]);
		if ((body = bench_api_call(curl, c->b, "POST", path, "{}"))
		    == NULL) {
			c->failed = 1;
			break;
		}
		free(body);
		c->done++;
	}
	curl_easy_cleanup(curl);
	return NULL;
}

/* bench_api_ids: ids of single-approval items, for the approvers. */
static int64_t *
bench_api_ids(const struct bench_api *b, size_t *n)
{
	char    *body;
	CURL    *curl = curl_easy_init();
	int64_t *ids = xcalloc(BENCH_API_ITEMS, sizeof(*ids));
	char     cur[API_CURSOR_BYTES] = "", path[256];
	json_t  *j, *it;
	size_t   i;

	*n = 0;
	do {
		snprintf(path, sizeof(path),
		    "/v1/queue?action=silence&limit=200%s%s",
		    cur[0] ? "&cursor=" : "", cur);
		if ((body = bench_api_call(curl, b, "GET", path, NULL))
		    == NULL)
			break;
		j = json_loads(body, 0, NULL);
		free(body);
		json_array_foreach(json_object_get(j, "items"), i, it)
		    ids[(*n)++]
		    = json_integer_value(json_object_get(it, "id"));
		mod_strlcpy(cur,
		    json_is_string(json_object_get(j, "next_cursor"))
		        ? json_string_value(json_object_get(j, "next_cursor"))
		        : "",
		    sizeof(cur));
		json_decref(j);
	} while (cur[0] != '\0');
	curl_easy_cleanup(curl);
	return ids;
}

/* bench_api_approve: part 2.  Returns 0 or -1. */
static int
bench_api_approve(const struct bench_api *b, bool quick, double p99)
{
	struct bench_api_client c[BENCH_API_CLIENTS];
	double                  rate;
	size_t                  i, n, total = 0, per;
	int64_t                *ids = bench_api_ids(b, &n), t0, dt;
	int                     failed = 0;

	per = n / BENCH_API_CLIENTS;
	t0 = bench_api_now_us();
	for (i = 0; i < BENCH_API_CLIENTS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].b = b;
		c[i].ids = ids + i * per;
		c[i].nids = per;
		c[i].until_ms
		    = t0 / 1000 + 1000 * (quick ? 2 : BENCH_API_APPROVE_S);
		if (pthread_create(
		        &c[i].thread, NULL, bench_api_approver, &c[i]))
			fatalx("bench_api: no thread");
	}
	for (i = 0; i < BENCH_API_CLIENTS; i++) {
		pthread_join(c[i].thread, NULL);
		total += c[i].done;
		failed |= c[i].failed;
	}
	dt = bench_api_now_us() - t0;
	free(ids);
	rate = (double) total * 1e6 / (double) (dt > 0 ? dt : 1);
	printf("approvals_per_s=%.0f clients=%d items=%d\n", rate,
	    BENCH_API_CLIENTS, BENCH_API_ITEMS);
	printf("bench api-ratio p99_target_over_p99=%.2f "
	       "approvals_over_target=%.2f\n",
	    BENCH_API_TARGET_P99_MS / (p99 > 0 ? p99 : 1e-9),
	    rate / BENCH_API_TARGET_APPROVALS_S);
	return failed || total == 0 ? -1 : 0;
}

/* bench_api_db: the cluster, the schema, a moderator and the queue. */
static int
bench_api_db(struct bench_api *b)
{
	char        n[16];
	const char *p[1] = { n };
	size_t      i;

	snprintf(n, sizeof(n), "%d", BENCH_API_ITEMS);
	if (pgembed_start(b->conf, &b->pg, b->dsn, sizeof(b->dsn)) != 0
	    || store_open(b->dsn, 0, &b->db) != 0
	    || store_schema_apply(b->db, NULL) != 0
	    || store_user_add(b->db, "bench", "moderator", b->token) != 0)
		return -1;
	for (i = 0; i < nitems(bench_api_fill); i++)
		if (store_exec(b->db, "bench: fill", bench_api_fill[i],
		        i == 0 ? 1 : 0, p)
		    != 0)
			return -1;
	return 0;
}

/* bench_api_serve: the API on 127.0.0.1, port picked by the kernel. */
static int
bench_api_serve(struct bench_api *b)
{
	struct api_init  ai = { 0 };
	struct http_init hi = { 0 };

	ai.db_dsn = b->dsn;
	ai.stmt_timeout_ms = 10000;
	free(b->conf->http_listen);
	b->conf->http_listen = xstrdup("http://127.0.0.1:0");
	if (api_start(&ai, &b->api, &hi.routes, &hi.nroutes) != 0
	    || http_start(b->conf, &hi, &b->http) != 0
	    || http_port(b->http, &b->port) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_api b;
	double           p99 = 0;
	bool             quick = argc > 2 && strcmp(argv[2], "--quick") == 0;
	char             cmd[MOD_MAX_PATH_BYTES + 16];
	int              rv = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_api DIR [--quick]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", argv[1]);
	if (strchr(argv[1], '\'') != NULL || system(cmd) != 0
	    || mod_mkdirs(argv[1], 0755) != 0 || conf_defaults(&b.conf) != 0)
		return 1;
	free(b.conf->state_dir);
	b.conf->state_dir = xstrdup(argv[1]);
	curl_global_init(CURL_GLOBAL_ALL);
	fprintf(stderr, "bench_api: filling a queue of %d items\n",
	    BENCH_API_ITEMS);
	if (bench_api_db(&b) == 0 && bench_api_serve(&b) == 0
	    && bench_api_list(&b, quick, &p99) == 0
	    && bench_api_approve(&b, quick, p99) == 0)
		rv = 0;
	http_stop(b.http);
	api_stop(b.api);
	store_close(b.db);
	pgembed_stop(b.pg);
	conf_free(b.conf);
	curl_global_cleanup();
	return rv;
}
