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
 *
 * Why it exists: nngcat sends one message per process, so it cannot feed
 * many distinct events through one push socket that dials two daemons,
 * and a clean Debian has neither curl nor openssl to sign webhooks.  It
 * deliberately knows nothing about moderd: bytes in, bytes out.  Every
 * wait is bounded, so a test using it cannot hang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <sodium.h>

#define E2E_MAX_PORTS_COUNT 64
#define E2E_MAX_URLS_COUNT 16
#define E2E_MAX_FILE_BYTES (64L * 1024 * 1024)
#define E2E_DIAL_WAIT_MS 10000
#define E2E_SEND_TIMEOUT_MS 60000
#define E2E_HEADER_BYTES 256

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
	    "[-S HEADER] [-e] [-t SECONDS] URL\n");
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
	e2e_usage();
	return 2;
}
