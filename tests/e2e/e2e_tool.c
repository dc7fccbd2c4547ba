/*
 * e2e_tool.c - the small client the end-to-end tests need besides nngcat.
 *
 *   e2e_tool ports N
 *       print N distinct TCP ports that were free on 127.0.0.1 a moment
 *       ago, one a line (all bound at once, then released).
 *   e2e_tool push [-i INTERVAL_MS] [-l LINGER_MS] [-w WAIT_MS] FILE URL...
 *       one push socket dialing every URL; once a pipe to each URL is up
 *       (within WAIT_MS), send every non-empty line of FILE as one
 *       message, in order, INTERVAL_MS apart (default 0), then
 *       wait LINGER_MS (nng has no linger: a message still being written
 *       when the socket closes is lost) and print "sent N".
 *   e2e_tool http [-m METHOD] [-d FILE] [-o OUT] [-s SECRET] [-S HEADER]
 *       [-e] [-t SECONDS] URL
 *       one HTTP request; the body is FILE's bytes; -s signs it as Mastodon
 *       does (X-Hub-Signature: sha256=HMAC-SHA256(body, SECRET) in hex),
 *       -S sends HEADER verbatim as well; -e asks for 100-continue.
 *       The response body goes to OUT (default: discarded); stdout gets
 *       the status code alone, or 000 (exit 1) on a transport error.
 *   e2e_tool mastodon -o LOG [-f N] [-c CSV] [-T SECONDS] PORT
 *       an HTTP server on 127.0.0.1:PORT standing in for Mastodon's admin
 *       API (and, with -c, for a blocklist feed).  Every request is
 *       appended to LOG as one JSON line {"n","method","path",
 *       "authorization","content_type","if_none_match",
 *       "if_modified_since","body","status"}.  Answers: POST
 *       /api/v1/admin/domain_blocks 200 {"id":"77",...}; POST
 *       .../accounts/ID/action, POST .../reports/ID/resolve and PUT or
 *       DELETE .../domain_blocks/ID 200 {}; any other path 404.  -f N:
 *       the first N requests under /api/ get 500 instead.  -c CSV: GET
 *       /blocks.csv serves the file as it is at that moment, with an
 *       ETag (a hash of its bytes) and Last-Modified (its mtime), and
 *       304 to an If-None-Match naming that ETag.  Prints "listening on
 *       URL" once it serves; exits after SECONDS (default 600).
 *   e2e_tool json PATH [FILE]
 *       print one value of the JSON document FILE (default stdin): PATH
 *       is dot-separated object keys and array indexes ("items.0.id");
 *       a last component "#" prints the size of an array or object.
 *       Strings print raw, other values as compact JSON; exit 1 when the
 *       path leads nowhere.
 *
 * Why it exists: nngcat sends one message per process, so it cannot feed
 * many distinct events through one push socket that dials two daemons,
 * and a clean Debian has neither curl nor openssl to sign webhooks, nor
 * jq to read the API's answers, nor a web server to stand in for
 * Mastodon.  It deliberately knows nothing about moderd: bytes in, bytes
 * out.  Every
 * wait is bounded, so a test using it cannot hang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/supplemental/http/http.h>
#include <sodium.h>

#define E2E_MAX_PORTS_COUNT 64
#define E2E_MAX_URLS_COUNT 16
#define E2E_MAX_FILE_BYTES (64L * 1024 * 1024)
#define E2E_DIAL_WAIT_MS 10000
#define E2E_SEND_TIMEOUT_MS 60000
#define E2E_HEADER_BYTES 256
#define E2E_BODY_BYTES (1024 * 1024) /* a request body to the stand-in */
#define E2E_STANDIN_LIFETIME_S 600
#define E2E_FEED_PATH "/blocks.csv"

struct e2e_pipes {
	pthread_mutex_t mu;
	int             up;
};

static void
e2e_usage(void)
{
	fprintf(stderr,
	    "usage: e2e_tool ports N\n"
	    "       e2e_tool push [-i INTERVAL_MS] [-l LINGER_MS] [-w "
	    "WAIT_MS] "
	    "FILE URL...\n"
	    "       e2e_tool http [-m METHOD] [-d FILE] [-o OUT] [-s SECRET] "
	    "[-S HEADER] [-e] [-t SECONDS] URL\n"
	    "       e2e_tool mastodon -o LOG [-f N] [-c CSV] [-T SECONDS] "
	    "PORT\n"
	    "       e2e_tool json PATH [FILE]\n");
	exit(2);
}

static void
e2e_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Read all of path (or stdin for "-") into *buf; *len bytes. */
static int
e2e_slurp(const char *path, char **buf, size_t *len)
{
	FILE  *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 65536, n = 0, got;
	char  *b = NULL, *nb;

	if (f == NULL)
		return -1;
	b = malloc(cap);
	while (b != NULL && (got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap && cap < E2E_MAX_FILE_BYTES) {
			if ((nb = realloc(b, cap * 2)) == NULL)
				break;
			b = nb;
			cap *= 2;
		} else if (n == cap)
			break;
	}
	if (f != stdin)
		fclose(f);
	if (b == NULL || n == cap) {
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* ---- ports ---------------------------------------------------------- */

static int
e2e_bind_any(int *port)
{
	struct sockaddr_in sa;
	socklen_t          sl = sizeof(sa);
	int                fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1
	    || getsockname(fd, (struct sockaddr *) &sa, &sl) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static int
e2e_ports(int argc, char **argv)
{
	int  fds[E2E_MAX_PORTS_COUNT], port, n, i;
	long v = 0;

	if (argc != 2 || (v = strtol(argv[1], NULL, 10)) < 1
	    || v > E2E_MAX_PORTS_COUNT)
		e2e_usage();
	n = (int) v;
	for (i = 0; i < n; i++) {
		if ((fds[i] = e2e_bind_any(&port)) == -1) {
			perror("e2e_tool: bind");
			return 1;
		}
		printf("%d\n", port);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

/* ---- push ----------------------------------------------------------- */

static void
e2e_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct e2e_pipes *ps = arg;

	(void) p;
	pthread_mutex_lock(&ps->mu);
	ps->up += ev == NNG_PIPE_EV_ADD_POST ? 1 : -1;
	pthread_mutex_unlock(&ps->mu);
}

static int
e2e_pipes_up(struct e2e_pipes *ps)
{
	int n;

	pthread_mutex_lock(&ps->mu);
	n = ps->up;
	pthread_mutex_unlock(&ps->mu);
	return n;
}

/* Dial every URL (nng keeps redialling) and wait for all pipes. */
static int
e2e_push_connect(
    nng_socket s, struct e2e_pipes *ps, char **urls, int n, long wait_ms)
{
	long waited;
	int  i, rv;

	nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, e2e_pipe_event, ps);
	nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, e2e_pipe_event, ps);
	for (i = 0; i < n; i++)
		if ((rv = nng_dial(s, urls[i], NULL, NNG_FLAG_NONBLOCK))
		    != 0) {
			fprintf(stderr, "e2e_tool: dial %s: %s\n", urls[i],
			    nng_strerror(rv));
			return -1;
		}
	for (waited = 0; e2e_pipes_up(ps) < n; waited += 10) {
		if (waited >= wait_ms) {
			fprintf(stderr,
			    "e2e_tool: %d of %d peers up after %ld ms\n",
			    e2e_pipes_up(ps), n, wait_ms);
			return -1;
		}
		e2e_sleep_ms(10);
	}
	return 0;
}

/* Send each non-empty line of buf; returns the number sent or -1. */
static long
e2e_push_lines(nng_socket s, char *buf, size_t len, long interval)
{
	char *p = buf, *end = buf + len, *nl;
	long  sent = 0;
	int   rv;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t) (end - p))) == NULL)
			nl = end;
		if (nl > p
		    && (rv = nng_send(s, p, (size_t) (nl - p), 0)) != 0) {
			fprintf(stderr, "e2e_tool: send #%ld: %s\n", sent + 1,
			    nng_strerror(rv));
			return -1;
		}
		if (nl > p && interval > 0)
			e2e_sleep_ms(interval);
		sent += nl > p;
		p = nl + 1;
	}
	return sent;
}

static int
e2e_push(int argc, char **argv)
{
	struct e2e_pipes ps = { PTHREAD_MUTEX_INITIALIZER, 0 };
	nng_socket       s;
	char            *buf = NULL;
	size_t           len;
	long             linger = 1000, wait = E2E_DIAL_WAIT_MS, sent = -1;
	long             interval = 0;
	int              ch, rv;

	while ((ch = getopt(argc, argv, "i:l:w:")) != -1) {
		if (ch == 'i')
			interval = strtol(optarg, NULL, 10);
		else if (ch == 'l')
			linger = strtol(optarg, NULL, 10);
		else if (ch == 'w')
			wait = strtol(optarg, NULL, 10);
		else
			e2e_usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc - 1 > E2E_MAX_URLS_COUNT)
		e2e_usage();
	if (e2e_slurp(argv[0], &buf, &len) != 0) {
		fprintf(stderr, "e2e_tool: cannot read %s\n", argv[0]);
		return 1;
	}
	if ((rv = nng_push0_open(&s)) != 0) {
		fprintf(stderr, "e2e_tool: push: %s\n", nng_strerror(rv));
		free(buf);
		return 1;
	}
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, E2E_SEND_TIMEOUT_MS);
	nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, 500);
	if (e2e_push_connect(s, &ps, argv + 1, argc - 1, wait) == 0
	    && (sent = e2e_push_lines(s, buf, len, interval)) >= 0)
		e2e_sleep_ms(linger);
	nng_close(s);
	free(buf);
	if (sent < 0)
		return 1;
	printf("sent %ld\n", sent);
	return 0;
}

/* ---- http ----------------------------------------------------------- */

struct e2e_http {
	const char *method, *body_path, *out_path, *secret, *header, *url;
	bool        expect;
	long        timeout_s;
};

static size_t
e2e_http_write(char *p, size_t size, size_t n, void *arg)
{
	FILE *out = arg;

	return out != NULL ? fwrite(p, size, n, out) : size * n;
}

/* "X-Hub-Signature: sha256=<hex of HMAC-SHA256(body, secret)>" */
static void
e2e_sign(
    const char *secret, const char *body, size_t len, char *out, size_t outsz)
{
	crypto_auth_hmacsha256_state st;
	unsigned char                mac[crypto_auth_hmacsha256_BYTES];
	char                         hex[2 * sizeof(mac) + 1];

	crypto_auth_hmacsha256_init(
	    &st, (const unsigned char *) secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *) body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, outsz, "X-Hub-Signature: sha256=%s", hex);
}

static void
e2e_http_opts(int argc, char **argv, struct e2e_http *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->timeout_s = 30;
	while ((ch = getopt(argc, argv, "m:d:o:s:S:et:")) != -1) {
		switch (ch) {
		case 'm':
			o->method = optarg;
			break;
		case 'd':
			o->body_path = optarg;
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case 's':
			o->secret = optarg;
			break;
		case 'S':
			o->header = optarg;
			break;
		case 'e':
			o->expect = true;
			break;
		case 't':
			o->timeout_s = strtol(optarg, NULL, 10);
			break;
		default:
			e2e_usage();
		}
	}
	if (optind != argc - 1)
		e2e_usage();
	o->url = argv[optind];
}

static struct curl_slist *
e2e_http_headers(const struct e2e_http *o, const char *body, size_t len)
{
	struct curl_slist *h = NULL;
	char               sig[E2E_HEADER_BYTES];

	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(
	    h, o->expect ? "Expect: 100-continue" : "Expect:");
	if (o->secret != NULL) {
		e2e_sign(o->secret, body, len, sig, sizeof(sig));
		h = curl_slist_append(h, sig);
	}
	if (o->header != NULL)
		h = curl_slist_append(h, o->header);
	return h;
}

/* One request with o; the status code in *code, 0 on a transport error. */
static CURLcode
e2e_http_perform(const struct e2e_http *o, const char *body, size_t len,
    FILE *out, long *code)
{
	struct curl_slist *hdrs;
	CURL              *c;
	CURLcode           rc;

	*code = 0;
	if ((c = curl_easy_init()) == NULL)
		return CURLE_FAILED_INIT;
	hdrs = e2e_http_headers(o, body != NULL ? body : "", len);
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, e2e_http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
	}
	if (o->method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o->method);
	if ((rc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return rc;
}

static int
e2e_http(int argc, char **argv)
{
	struct e2e_http o;
	FILE           *out = NULL;
	char           *body = NULL;
	size_t          len = 0;
	long            code;
	CURLcode        rc;

	e2e_http_opts(argc, argv, &o);
	if (o.body_path != NULL && e2e_slurp(o.body_path, &body, &len) != 0) {
		fprintf(stderr, "e2e_tool: cannot read %s\n", o.body_path);
		return 1;
	}
	if (o.out_path != NULL && (out = fopen(o.out_path, "wb")) == NULL) {
		fprintf(stderr, "e2e_tool: cannot write %s\n", o.out_path);
		free(body);
		return 1;
	}
	if (sodium_init() < 0)
		rc = CURLE_FAILED_INIT;
	else
		rc = e2e_http_perform(&o, body, len, out, &code);
	if (out != NULL)
		fclose(out);
	free(body);
	if (rc != CURLE_OK)
		fprintf(stderr, "e2e_tool: %s: %s\n", o.url,
		    curl_easy_strerror(rc));
	printf("%03ld\n", rc == CURLE_OK ? code : 0L);
	return rc == CURLE_OK ? 0 : 1;
}

/* ---- mastodon: the Mastodon stand-in and feed server ---------------- */

struct e2e_standin {
	pthread_mutex_t mu;
	FILE           *log;
	const char     *csv; /* served at E2E_FEED_PATH; NULL: not */
	long            n; /* requests so far */
	long            napi; /* of them, to /api/ */
	long            fail; /* answer the first `fail` /api/ ones 500 */
};

/* One answer: status, body, and the feed's validators if any. */
struct e2e_answer {
	int   status;
	char *body; /* owned */
	char  etag[E2E_HEADER_BYTES];
	char  modified[E2E_HEADER_BYTES];
};

static bool
e2e_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* What Mastodon's admin API answers (the parts moderd calls). */
static const char *
e2e_mastodon_answer(const char *method, const char *path, int *status)
{
	static const char prefix[] = "/api/v1/admin/";
	const char       *rest = path + sizeof(prefix) - 1;

	*status = 200;
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		rest = "";
	if (strcmp(method, "POST") == 0 && strcmp(rest, "domain_blocks") == 0)
		return "{\"id\":\"77\",\"domain\":\"stand-in\"}";
	if (strcmp(method, "POST") == 0
	    && ((strncmp(rest, "accounts/", 9) == 0
	            && e2e_suffix(rest, "/action"))
	        || (strncmp(rest, "reports/", 8) == 0
	            && e2e_suffix(rest, "/resolve"))))
		return "{}";
	if ((strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0)
	    && strncmp(rest, "domain_blocks/", 14) == 0)
		return "{}";
	*status = 404;
	return "{\"error\":\"Record not found\"}";
}

/* The feed: 304 when If-None-Match names the current ETag. */
static void
e2e_feed_answer(const char *csv, const char *inm, struct e2e_answer *a)
{
	unsigned char h[8];
	char          hex[2 * sizeof(h) + 1];
	struct stat   st;
	struct tm     tm;
	size_t        len;

	if (e2e_slurp(csv, &a->body, &len) != 0 || stat(csv, &st) != 0) {
		a->status = 500;
		return;
	}
	crypto_generichash(
	    h, sizeof(h), (const unsigned char *) a->body, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(a->etag, sizeof(a->etag), "\"%s\"", hex);
	gmtime_r(&st.st_mtime, &tm);
	strftime(a->modified, sizeof(a->modified), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm);
	a->status = inm != NULL && strcmp(inm, a->etag) == 0 ? 304 : 200;
	if (a->status == 304) {
		free(a->body);
		a->body = NULL;
	} else
		a->body[len] = '\0';
}

static json_t *
e2e_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* One JSON line per request, written whole and flushed. */
static void
e2e_standin_log(struct e2e_standin *s, nng_http_req *req, long n, int status)
{
	void   *data = NULL;
	size_t  len = 0;
	json_t *o;
	char   *line;

	nng_http_req_get_data(req, &data, &len);
	o = json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:s%,s:i}", "n",
	    (json_int_t) n, "method", nng_http_req_get_method(req), "path",
	    nng_http_req_get_uri(req), "authorization",
	    e2e_json_str(nng_http_req_get_header(req, "Authorization")),
	    "content_type",
	    e2e_json_str(nng_http_req_get_header(req, "Content-Type")),
	    "if_none_match",
	    e2e_json_str(nng_http_req_get_header(req, "If-None-Match")),
	    "if_modified_since",
	    e2e_json_str(nng_http_req_get_header(req, "If-Modified-Since")),
	    "body", data != NULL ? (const char *) data : "", len, "status",
	    status);
	if (o != NULL && (line = json_dumps(o, JSON_COMPACT)) != NULL) {
		fprintf(s->log, "%s\n", line);
		fflush(s->log);
		free(line);
	}
	json_decref(o);
}

/* Decide the answer to req, and log it, under the lock. */
static void
e2e_standin_decide(
    struct e2e_standin *s, nng_http_req *req, struct e2e_answer *a)
{
	const char *method = nng_http_req_get_method(req);
	const char *path = nng_http_req_get_uri(req);
	bool        api = strncmp(path, "/api/", 5) == 0;

	memset(a, 0, sizeof(*a));
	pthread_mutex_lock(&s->mu);
	s->n++;
	s->napi += api;
	if (api && s->napi <= s->fail) {
		a->status = 500;
		a->body = strdup("{\"error\":\"stand-in failure\"}");
	} else if (s->csv != NULL && strcmp(path, E2E_FEED_PATH) == 0)
		e2e_feed_answer(
		    s->csv, nng_http_req_get_header(req, "If-None-Match"), a);
	else
		a->body
		    = strdup(e2e_mastodon_answer(method, path, &a->status));
	e2e_standin_log(s, req, s->n, a->status);
	pthread_mutex_unlock(&s->mu);
}

static int
e2e_standin_response(const struct e2e_answer *a, nng_http_res **out)
{
	nng_http_res *res = NULL;
	int           rv;
	bool          feed = a->etag[0] != '\0';

	if ((rv = nng_http_res_alloc(&res)) != 0
	    || (rv = nng_http_res_set_status(res, (uint16_t) a->status)) != 0
	    || (rv = nng_http_res_set_header(res, "Content-Type",
	            feed ? "text/csv" : "application/json"))
	        != 0
	    || (feed
	        && (rv = nng_http_res_set_header(res, "ETag", a->etag)) != 0)
	    || (feed
	        && (rv = nng_http_res_set_header(
	                res, "Last-Modified", a->modified))
	            != 0)
	    || (a->body != NULL
	        && (rv = nng_http_res_copy_data(res, a->body, strlen(a->body)))
	            != 0)) {
		if (res != NULL)
			nng_http_res_free(res);
		return rv;
	}
	*out = res;
	return 0;
}

static void
e2e_standin_cb(nng_aio *aio)
{
	nng_http_req       *req = nng_aio_get_input(aio, 0);
	struct e2e_standin *s
	    = nng_http_handler_get_data(nng_aio_get_input(aio, 1));
	struct e2e_answer a;
	nng_http_res     *res = NULL;
	int               rv;

	e2e_standin_decide(s, req, &a);
	rv = e2e_standin_response(&a, &res);
	free(a.body);
	if (rv != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void
e2e_standin_opts(int argc, char **argv, struct e2e_standin *s,
    const char **logpath, long *lifetime)
{
	int ch;

	while ((ch = getopt(argc, argv, "o:f:c:T:")) != -1) {
		if (ch == 'o')
			*logpath = optarg;
		else if (ch == 'f')
			s->fail = strtol(optarg, NULL, 10);
		else if (ch == 'c')
			s->csv = optarg;
		else if (ch == 'T')
			*lifetime = strtol(optarg, NULL, 10);
		else
			e2e_usage();
	}
	if (*logpath == NULL || optind != argc - 1 || *lifetime < 1)
		e2e_usage();
}

/* The one handler: every method, every path; s borrowed. */
static int
e2e_standin_handler(struct e2e_standin *s, nng_http_handler **out)
{
	nng_http_handler *h = NULL;
	int               rv;

	if ((rv = nng_http_handler_alloc(&h, "/", e2e_standin_cb)) != 0)
		return rv;
	if ((rv = nng_http_handler_set_data(h, s, NULL)) != 0
	    || (rv = nng_http_handler_set_method(h, NULL)) != 0
	    || (rv = nng_http_handler_set_tree(h)) != 0
	    || (rv = nng_http_handler_collect_body(h, true, E2E_BODY_BYTES))
	        != 0) {
		nng_http_handler_free(h);
		return rv;
	}
	*out = h;
	return 0;
}

/* Serve on 127.0.0.1:port until the lifetime ends (or a signal). */
static int
e2e_standin_serve(struct e2e_standin *s, const char *port, long lifetime)
{
	char              url[E2E_HEADER_BYTES];
	nng_url          *u = NULL;
	nng_http_server  *srv = NULL;
	nng_http_handler *h = NULL;
	int               rv;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s", port);
	if ((rv = nng_url_parse(&u, url)) == 0
	    && (rv = nng_http_server_hold(&srv, u)) == 0
	    && (rv = e2e_standin_handler(s, &h)) == 0
	    && (rv = nng_http_server_add_handler(srv, h)) != 0)
		nng_http_handler_free(h);
	if (rv == 0 && (rv = nng_http_server_start(srv)) == 0) {
		printf("listening on %s\n", url);
		fflush(stdout);
		e2e_sleep_ms(lifetime * 1000);
	} else
		fprintf(
		    stderr, "e2e_tool: serve %s: %s\n", url, nng_strerror(rv));
	if (srv != NULL)
		nng_http_server_release(srv);
	if (u != NULL)
		nng_url_free(u);
	return rv == 0 ? 0 : 1;
}

static int
e2e_mastodon(int argc, char **argv)
{
	struct e2e_standin s;
	const char        *logpath = NULL;
	long               lifetime = E2E_STANDIN_LIFETIME_S;
	int                rc;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	e2e_standin_opts(argc, argv, &s, &logpath, &lifetime);
	if (sodium_init() < 0 || (s.log = fopen(logpath, "a")) == NULL) {
		fprintf(stderr, "e2e_tool: cannot write %s\n", logpath);
		return 1;
	}
	rc = e2e_standin_serve(&s, argv[optind], lifetime);
	fclose(s.log);
	return rc;
}

/* ---- json: one value out of a JSON document ------------------------- */

/* Follow a dotted path: object keys, array indexes, "#" for a size. */
static json_t *
e2e_json_walk(json_t *v, const char *path, json_t **made)
{
	char  *p = strdup(path), *save = NULL, *k, *end;
	size_t i;

	*made = NULL;
	for (k = strtok_r(p, ".", &save); k != NULL && v != NULL;
	     k = strtok_r(NULL, ".", &save)) {
		if (strcmp(k, "#") == 0 && *made == NULL)
			v = *made = json_integer((json_int_t) (json_is_array(v)
			        ? json_array_size(v)
			        : json_object_size(v)));
		else if (json_is_array(v)) {
			i = (size_t) strtoul(k, &end, 10);
			v = *end == '\0' ? json_array_get(v, i) : NULL;
		} else
			v = json_object_get(v, k);
	}
	free(p);
	return v;
}

static void
e2e_json_print(json_t *v)
{
	char *s;

	if (json_is_string(v))
		printf("%s\n", json_string_value(v));
	else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL) {
		printf("%s\n", s);
		free(s);
	}
}

static int
e2e_json(int argc, char **argv)
{
	json_t      *root, *v, *made;
	json_error_t e;

	if (argc != 2 && argc != 3)
		e2e_usage();
	root = argc == 3 ? json_load_file(argv[2], 0, &e)
	                 : json_loadf(stdin, 0, &e);
	if (root == NULL) {
		fprintf(stderr, "e2e_tool: json: %s\n", e.text);
		return 1;
	}
	v = e2e_json_walk(root, argv[1], &made);
	if (v != NULL)
		e2e_json_print(v);
	json_decref(made);
	json_decref(root);
	return v != NULL ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		e2e_usage();
	if (strcmp(argv[1], "ports") == 0)
		return e2e_ports(argc - 1, argv + 1);
	if (strcmp(argv[1], "push") == 0)
		return e2e_push(argc - 1, argv + 1);
	if (strcmp(argv[1], "http") == 0)
		return e2e_http(argc - 1, argv + 1);
	if (strcmp(argv[1], "mastodon") == 0)
		return e2e_mastodon(argc - 1, argv + 1);
	if (strcmp(argv[1], "json") == 0)
		return e2e_json(argc - 1, argv + 1);
	e2e_usage();
	return 2;
}
