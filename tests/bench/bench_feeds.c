/*
 * bench_feeds.c - the blocklist-feed benchmark behind `make bench`.
 *
 *   bench_feeds DIR
 *
 * Generates, once per DIR (fixed seed, in a child process so this
 * process's peak memory does not include the generator), ten feeds of
 * BENCH_ENTRIES entries each and a list of 100000 current blocks:
 * eight Mastodon admin CSVs, one FediBlockHole CSV and one Mastodon
 * public JSON list (with masked names and digests), all written by
 * feed_publish() itself.  The domain universe has 250000 names, 8% of
 * them subdomains of others; each feed draws 40% of its entries from a
 * popular core of 50000 names and the rest from the tail, so the core
 * meets the quorum and the tail mostly does not.
 *
 * Then it times, on one thread: reading and feed_parse() of the ten
 * files, feed_merge() (trust 1 each, quorum 2, max, ten excludes, the
 * current blocks and 50000 peers as known names) and feed_diff()
 * against the current blocks, and prints
 *
 *   bench feeds feeds=10 entries=100000 seconds=S rss_kb=K
 *
 * with S the wall time of parse + merge + diff (the best of three
 * passes: the machine is shared) and K this process's peak resident set
 * (ru_maxrss), plus a `bench feeds-detail` line splitting the time.
 * Loading the current blocks (from the database, in the daemon) is not
 * timed, but counts in the memory figure.  A `bench feeds-baseline` line
 * compares both figures with those of the first implementation (commit
 * cae7bef: a malloc per string, a SHA-256 per entry, a qsort to
 * de-duplicate, jansson's whole tree of a JSON feed), measured on the
 * same machine, unloaded: a ratio, not a second run, so it is only as
 * good as the machine is quiet.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "feeds.h"
#include "util.h"

#define BENCH_FEEDS 10
#define BENCH_ENTRIES 100000
#define BENCH_UNIVERSE 250000
#define BENCH_CORE 50000
#define BENCH_CURRENT 100000
#define BENCH_PEERS 50000
#define BENCH_SEED UINT64_C(20250301)
#define BENCH_NAME_BYTES 48
/* The first implementation's figures (see above). */
#define BENCH_BASELINE_REF "cae7bef"
#define BENCH_BASELINE_SECONDS 1.382
#define BENCH_BASELINE_RSS_KB 374516

static uint64_t bench_state;

static uint64_t
bench_rand(void)
{
	uint64_t z = (bench_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static size_t
bench_below(size_t n)
{
	return (size_t) (bench_rand() % n);
}

static double
bench_now(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* ---- generation (child process) ---- */

static const char *const bench_tlds[] = { "com", "net", "org", "social", "de",
	"fr", "xyz", "online", "club", "jp" };
static char              bench_comments[][32] = { "spam", "harassment",
	             "hate speech, racism", "csam", "\"free speech\" instance",
	             "bots; no moderation", "iftas:disinformation;cib;spam", "" };

static void
bench_label(char *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (char) ('a' + bench_below(26));
	out[len] = '\0';
}

/* Unique names: label.tld, or label.<earlier name> for 8% of them. */
static char (*bench_universe(void))[BENCH_NAME_BYTES]
{
	char(*u)[BENCH_NAME_BYTES] = xcalloc(BENCH_UNIVERSE, sizeof(*u));
	struct feed_domtab *seen = feed_domtab_new(BENCH_UNIVERSE);
	char                label[16], name[2 * BENCH_NAME_BYTES];
	size_t              i = 0;

	while (i < BENCH_UNIVERSE) {
		bench_label(label, 4 + bench_below(8));
		if (i > 1000 && bench_below(100) < 8)
			snprintf(name, sizeof(name), "%s.%s", label,
			    u[bench_below(i)]);
		else
			snprintf(name, sizeof(name), "%s.%s", label,
			    bench_tlds[bench_below(nitems(bench_tlds))]);
		if (strlen(name) >= 40)
			continue;
		mod_strlcpy(u[i], name, sizeof(u[i]));
		if (feed_domtab_put(seen, u[i], 0, NULL))
			i++;
	}
	feed_domtab_free(seen);
	return u;
}

static void
bench_entry(struct feed_entry *e, char *domain)
{
	unsigned r = (unsigned) bench_below(100);

	memset(e, 0, sizeof(*e));
	e->domain = domain;
	e->severity = r < 80 ? FEED_SEV_SUSPEND
	    : r < 95         ? FEED_SEV_SILENCE
	                     : FEED_SEV_NOOP;
	e->reject_media = r >= 95 || bench_below(10) == 0;
	e->reject_reports = bench_below(20) == 0;
	e->obfuscate = bench_below(20) == 0;
	e->public_comment
	    = bench_comments[bench_below(nitems(bench_comments))];
	if (e->public_comment[0] == '\0')
		e->public_comment = NULL;
}

/* One feed's entries: 40% from the core, the rest from the tail. */
static void
bench_pick(
    char (*u)[BENCH_NAME_BYTES], unsigned char *used, struct feed_entry *v)
{
	size_t i, k;

	memset(used, 0, BENCH_UNIVERSE);
	for (i = 0; i < BENCH_ENTRIES; i++) {
		do {
			k = i < BENCH_ENTRIES * 4 / 10
			    ? bench_below(BENCH_CORE)
			    : BENCH_CORE
			        + bench_below(BENCH_UNIVERSE - BENCH_CORE);
		} while (used[k]);
		used[k] = 1;
		bench_entry(&v[i], u[k]);
	}
}

static void
bench_write(const char *dir, const char *name, struct buf *b)
{
	char  path[MOD_MAX_PATH_BYTES];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL
	    || fwrite(b->data, 1, b->len, fp) != b->len || fclose(fp) != 0) {
		fprintf(
		    stderr, "bench_feeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void
bench_feed(const char *dir, size_t f, const struct feed_entry *v)
{
	enum feed_format fmt = f < 8 ? FEED_FMT_MASTODON_CSV
	    : f == 8                 ? FEED_FMT_FBH_CSV
	                             : FEED_FMT_MASTODON_JSON;
	char             name[32];
	struct buf       b;

	buf_init(&b, MOD_MAX_FEED_PUBLISH_BYTES);
	if (feed_publish(fmt, v, BENCH_ENTRIES, 0, &b) != 0) {
		fprintf(stderr, "bench_feeds: publish failed\n");
		exit(1);
	}
	snprintf(name, sizeof(name), "feed%zu", f);
	bench_write(dir, name, &b);
	buf_free(&b);
}

/* Current blocks: "domain severity media reports moderd feeds" lines,
 * 80% names from the universe, the rest unknown to every feed. */
static void
bench_current(const char *dir, char (*u)[BENCH_NAME_BYTES])
{
	struct buf b;
	char       label[16];
	size_t     i;

	buf_init(&b, MOD_MAX_FEED_PUBLISH_BYTES);
	for (i = 0; i < BENCH_CURRENT; i++) {
		unsigned r = (unsigned) bench_below(100);

		int rv;

		if (i < BENCH_CURRENT * 8 / 10) {
			rv = buf_appends(&b, u[i * 2]);
		} else {
			bench_label(label, 12);
			rv = buf_printf(&b, "cur%zu%s.example", i, label);
		}
		if (rv != 0
		    || buf_printf(&b, " %d %d %d %d %s\n",
		           r < 70       ? 2
		               : r < 90 ? 1
		                        : 0,
		           r % 7 == 0, r % 11 == 0, r < 60,
		           r < 30 ? "feed0,feed3" : "feed5")
		        != 0) {
			fprintf(stderr, "bench_feeds: current too big\n");
			exit(1);
		}
	}
	bench_write(dir, "current", &b);
	buf_free(&b);
}

static void
bench_generate(const char *dir)
{
	char(*u)[BENCH_NAME_BYTES];
	unsigned char     *used = xmalloc(BENCH_UNIVERSE);
	struct feed_entry *v = xcalloc(BENCH_ENTRIES, sizeof(*v));
	size_t             f;

	bench_state = BENCH_SEED;
	u = bench_universe();
	for (f = 0; f < BENCH_FEEDS; f++) {
		bench_pick(u, used, v);
		bench_feed(dir, f, v);
	}
	bench_current(dir, u);
	free(v);
	free(used);
	free(u);
}

/* What the data depends on: bump the version when the generator or
 * feed_publish() changes what it writes. */
#define BENCH_STAMP "bench_feeds v1 seed=20250301 entries=100000\n"

static bool
bench_fresh(const char *stamp)
{
	char  *data = NULL;
	size_t len;
	bool   ok;

	if (mod_read_file(stamp, 256, &data, &len, NULL) != 0)
		return false;
	ok = strcmp(data, BENCH_STAMP) == 0;
	free(data);
	return ok;
}

static void
bench_ensure(const char *dir)
{
	char  stamp[MOD_MAX_PATH_BYTES];
	FILE *fp;
	pid_t pid;
	int   status;

	snprintf(stamp, sizeof(stamp), "%s/stamp", dir);
	if (bench_fresh(stamp))
		return;
	if (mod_mkdirs(dir, 0755) != 0) {
		fprintf(stderr, "bench_feeds: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	fprintf(stderr, "bench: generating %d feeds of %d entries in %s\n",
	    BENCH_FEEDS, BENCH_ENTRIES, dir);
	if ((pid = fork()) == 0) {
		bench_generate(dir);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
		fprintf(stderr, "bench_feeds: generator failed\n");
		exit(1);
	}
	if ((fp = fopen(stamp, "w")) == NULL || fputs(BENCH_STAMP, fp) < 0
	    || fclose(fp) != 0) {
		fprintf(
		    stderr, "bench_feeds: %s: %s\n", stamp, strerror(errno));
		exit(1);
	}
}

/* ---- the measured part ---- */

struct bench_cur {
	struct feed_current *v;
	size_t               n;
	char                *data;
	char               **peers;
	size_t               npeers;
	const char         **known;
};

static void
bench_load_current(const char *dir, struct bench_cur *c)
{
	char   path[MOD_MAX_PATH_BYTES], *line, *save = NULL;
	size_t len;
	int    sev, media, reports, moderd, off;

	snprintf(path, sizeof(path), "%s/current", dir);
	if (mod_read_file(path, MOD_MAX_FEED_BYTES, &c->data, &len, NULL) != 0)
		exit(1);
	c->v = xcalloc(BENCH_CURRENT, sizeof(*c->v));
	for (line = strtok_r(c->data, "\n", &save);
	     line != NULL && c->n < BENCH_CURRENT;
	     line = strtok_r(NULL, "\n", &save)) {
		struct feed_current *b = &c->v[c->n++];
		char                *sp = strchr(line, ' ');

		*sp = '\0';
		b->domain = line;
		if (sscanf(sp + 1, "%d %d %d %d %n", &sev, &media, &reports,
		        &moderd, &off)
		    != 4)
			exit(1);
		b->severity = (enum feed_severity) sev;
		b->reject_media = media;
		b->reject_reports = reports;
		b->created_by_moderd = moderd;
		b->feeds = sp + 1 + off;
	}
}

/* Known names: every current block and some peers. */
static void
bench_known(struct bench_cur *c)
{
	size_t i;
	char   label[16];

	c->known = xcalloc(c->n + BENCH_PEERS, sizeof(*c->known));
	c->peers = xcalloc(BENCH_PEERS, sizeof(*c->peers));
	for (i = 0; i < c->n; i++)
		c->known[i] = c->v[i].domain;
	bench_state = BENCH_SEED + 1;
	for (i = 0; i < BENCH_PEERS; i++) {
		bench_label(label, 10);
		c->peers[i] = xstrdup(label);
		c->known[c->n + i] = c->peers[i];
	}
	c->npeers = BENCH_PEERS;
}

static void
bench_parse(const char *dir, struct feed_list *lists, size_t *entries)
{
	char   path[MOD_MAX_PATH_BYTES], *data;
	size_t f, len;

	for (f = 0; f < BENCH_FEEDS; f++) {
		snprintf(path, sizeof(path), "%s/feed%zu", dir, f);
		if (mod_read_file(path, MOD_MAX_FEED_BYTES, &data, &len, NULL)
		    != 0)
			exit(1);
		if (feed_parse(path, data, len, FEED_FMT_AUTO, &lists[f], NULL)
		    != 0) {
			fprintf(
			    stderr, "bench_feeds: %s: parse failed\n", path);
			exit(1);
		}
		*entries += lists[f].n;
		free(data);
	}
}

static const char *const bench_excludes[] = { "mastodon.example",
	"social.example.org", "peer1.com", "peer2.net", "peer3.social",
	"friends.de", "neighbours.fr", "allies.xyz", "club.club", "home.jp" };

/* One pass's figures. */
struct bench_pass {
	double parse_s, merge_s, diff_s;
	size_t entries, merged, below, excluded, unresolved;
	size_t add, change, retract;
	bool   held;
};

static void
bench_sources(
    struct feed_list *lists, struct feed_source *src, char (*names)[16])
{
	size_t f;

	for (f = 0; f < BENCH_FEEDS; f++) {
		snprintf(names[f], sizeof(names[f]), "feed%zu", f);
		src[f] = (struct feed_source) { names[f], 1.0,
			FEED_SEV_SUSPEND, &lists[f], "rev" };
	}
}

/* Parse, merge and diff once, timing each; free everything. */
static int
bench_pass(const char *dir, const struct bench_cur *cur, struct bench_pass *p)
{
	struct feed_list       lists[BENCH_FEEDS] = { 0 };
	struct feed_source     src[BENCH_FEEDS];
	struct feed_merge_opts mo = { .quorum = 2.0, .mode = FEED_MERGE_MAX };
	struct feed_diff_opts  dopts = { .max_share = 0.2 };
	struct feed_merged     m;
	struct feed_diff       d;
	struct mod_err         err = { 0 };
	char                   names[BENCH_FEEDS][16];
	double                 t0, t1, t2, t3;
	size_t                 f;

	memset(p, 0, sizeof(*p));
	mo.excludes = bench_excludes;
	mo.nexcludes = nitems(bench_excludes);
	mo.known_domains = cur->known;
	mo.nknown = cur->n + cur->npeers;
	t0 = bench_now();
	bench_parse(dir, lists, &p->entries);
	t1 = bench_now();
	bench_sources(lists, src, names);
	if (feed_merge(src, BENCH_FEEDS, &mo, &m, &err) != 0) {
		fprintf(stderr, "bench_feeds: merge: %s\n", err.msg);
		return 1;
	}
	t2 = bench_now();
	if (feed_diff(&m, cur->v, cur->n, &dopts, &d, &err) != 0) {
		fprintf(stderr, "bench_feeds: diff: %s\n", err.msg);
		return 1;
	}
	t3 = bench_now();
	*p = (struct bench_pass) { t1 - t0, t2 - t1, t3 - t2, p->entries, m.n,
		m.nbelow, m.nexcluded, m.nunresolved, d.nadd, d.nchange,
		d.nretract, d.held };
	feed_diff_free(&d);
	feed_merged_free(&m);
	for (f = 0; f < BENCH_FEEDS; f++)
		feed_list_free(&lists[f]);
	return 0;
}

static void
bench_free_current(struct bench_cur *cur)
{
	size_t i;

	for (i = 0; i < cur->npeers; i++)
		free(cur->peers[i]);
	free(cur->peers);
	free(cur->known);
	free(cur->v);
	free(cur->data);
}

/* The best of BENCH_PASSES passes (the machine is shared and noisy);
 * the memory figure is the peak of the first. */
#define BENCH_PASSES 3
static int
bench_run(const char *dir)
{
	struct bench_cur  cur = { 0 };
	struct bench_pass best = { 0 }, p;
	struct rusage     ru;
	int               i;

	bench_load_current(dir, &cur);
	bench_known(&cur);
	for (i = 0; i < BENCH_PASSES; i++) {
		if (bench_pass(dir, &cur, &p) != 0)
			return 1;
		/* Later passes reuse a fragmented heap: one pass's peak. */
		if (i == 0)
			(void) getrusage(RUSAGE_SELF, &ru);
		if (i == 0
		    || p.parse_s + p.merge_s + p.diff_s
		        < best.parse_s + best.merge_s + best.diff_s)
			best = p;
	}
	printf("bench feeds feeds=%d entries=%d seconds=%.3f rss_kb=%ld\n",
	    BENCH_FEEDS, BENCH_ENTRIES,
	    best.parse_s + best.merge_s + best.diff_s, ru.ru_maxrss);
	printf(
	    "bench feeds-detail parse_s=%.3f merge_s=%.3f diff_s=%.3f "
	    "merge_diff_s=%.3f parsed=%zu merged=%zu below=%zu excluded=%zu "
	    "unresolved=%zu add=%zu change=%zu retract=%zu held=%d\n",
	    best.parse_s, best.merge_s, best.diff_s,
	    best.merge_s + best.diff_s, best.entries, best.merged, best.below,
	    best.excluded, best.unresolved, best.add, best.change,
	    best.retract, best.held);
	printf("bench feeds-baseline ref=%s seconds=%.3f rss_kb=%d "
	       "speedup=%.2f rss_ratio=%.2f\n",
	    BENCH_BASELINE_REF, BENCH_BASELINE_SECONDS, BENCH_BASELINE_RSS_KB,
	    BENCH_BASELINE_SECONDS
	        / (best.parse_s + best.merge_s + best.diff_s),
	    (double) ru.ru_maxrss / BENCH_BASELINE_RSS_KB);
	bench_free_current(&cur);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench_feeds DIR\n");
		return 2;
	}
	bench_ensure(argv[1]);
	return bench_run(argv[1]);
}
