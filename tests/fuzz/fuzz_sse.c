/*
 * fuzz_sse.c - libFuzzer target for the SSE parser (sse.c).
 *
 * The first input byte seeds the chunking, the rest is the stream.  The
 * stream is parsed twice per pair of limits, once whole and once in
 * random chunk sizes (empty feeds included), and the target aborts
 * unless both runs report exactly the same events and rejections (the
 * parser must not depend on where the bytes were cut) and every event
 * respects the limits: data within max_data_bytes and NUL-terminated,
 * type non-empty and within MOD_MAX_SSE_TYPE_BYTES.  Small limits
 * exercise the reject and resynchronise paths, the daemon's the normal
 * ones.  Seeds: tests/fuzz/corpus_sse/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_sum {
	uint64_t hash; /* FNV-1a over every event and rejection, in order */
	uint64_t events;
	uint64_t rejects;
	size_t   max_data;
};

static void
fuzz_mix(struct fuzz_sum *f, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t               i;

	for (i = 0; i < n; i++) {
		f->hash ^= s[i];
		f->hash *= 0x100000001b3ULL;
	}
}

static void
fuzz_event(void *arg, const struct sse_event *ev)
{
	struct fuzz_sum *f = arg;
	size_t           tlen = strlen(ev->type);

	if (ev->len > f->max_data || ev->data[ev->len] != '\0' || tlen == 0
	    || tlen > MOD_MAX_SSE_TYPE_BYTES)
		abort();
	fuzz_mix(f, ev->type, tlen + 1);
	fuzz_mix(f, &ev->len, sizeof(ev->len));
	fuzz_mix(f, ev->data, ev->len);
	f->events++;
}

static void
fuzz_reject(void *arg, enum sse_reject why)
{
	struct fuzz_sum *f = arg;
	unsigned char    tag = 0xF0 | (unsigned char) why;

	if ((unsigned) why >= SSE_REJECT_COUNT)
		abort();
	fuzz_mix(f, &tag, 1);
	f->rejects++;
}

/* fuzz_parse: parse p[0..n) in chunks (seed != 0) or whole (seed == 0). */
static void
fuzz_parse(const char *p, size_t n, size_t max_data, size_t max_line,
    uint32_t seed, struct fuzz_sum *f)
{
	struct sse s;
	size_t     off = 0, k;
	uint32_t   x = seed;

	memset(f, 0, sizeof(*f));
	f->hash = 0xcbf29ce484222325ULL;
	f->max_data = max_data;
	sse_init(&s, max_data, max_line, fuzz_event, fuzz_reject, f);
	while (off < n) {
		k = n - off;
		if (seed != 0) {
			x ^= x << 13; /* xorshift32 */
			x ^= x >> 17;
			x ^= x << 5;
			k = (x & 0x300) ? x % 17
			                : x % 4096; /* 0 is a feed too */
			if (k > n - off)
				k = n - off;
		}
		sse_feed(&s, p + off, k);
		off += k;
	}
	if (s.events != f->events || s.rejected != f->rejects)
		abort();
	sse_free(&s);
}

static void
fuzz_compare(
    const char *p, size_t n, size_t max_data, size_t max_line, uint32_t seed)
{
	struct fuzz_sum whole, cut;

	fuzz_parse(p, n, max_data, max_line, 0, &whole);
	fuzz_parse(p, n, max_data, max_line, seed, &cut);
	if (whole.hash != cut.hash || whole.events != cut.events
	    || whole.rejects != cut.rejects)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *) data + 1;
	uint32_t    seed;

	if (size < 1)
		return 0;
	seed = (0x9E3779B9u ^ ((uint32_t) data[0] * 0x01000193u)) | 1;
	fuzz_compare(p, size - 1, 16, 24, seed);
	fuzz_compare(p, size - 1, 64, 200, seed);
	fuzz_compare(
	    p, size - 1, MOD_MAX_EVENT_BYTES, MOD_MAX_SSE_LINE_BYTES, seed);
	return 0;
}
