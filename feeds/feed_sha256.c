/*
 * feed_sha256.c - SHA-256 of domain names, with the x86 SHA extensions
 * when the CPU has them.
 *
 * Resolving masked names means hashing every known name (a merge with
 * 150k known names spent a third of its time in libsodium's portable
 * SHA-256).  On x86-64 CPUs with the SHA extensions (and SSSE3 and
 * SSE4.1, which the code also uses) the compression function runs in a
 * few hundred instructions instead of a few thousand; everywhere else,
 * and when the CPU lacks them, libsodium's crypto_hash_sha256() does the
 * work.  Both give the same bytes: the tests compare them over many
 * lengths.  The CPU is asked once (pthread_once); the answer is
 * read-only afterwards, so this is thread-safe.
 *
 * Not constant-time, and not meant to be: digests of domain names are
 * public.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "feeds.h"
#include "feed_impl.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FEED_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#ifdef FEED_SHA_NI

static pthread_once_t feed_sha256_once = PTHREAD_ONCE_INIT;
static bool           feed_sha256_ni; /* read-only after the once */

static void
feed_sha256_detect(void)
{
	unsigned a, b, c, d;
	bool     sse = false;

	if (__get_cpuid(1, &a, &b, &c, &d))
		sse = (c & bit_SSSE3) && (c & bit_SSE4_1);
	if (sse && __get_cpuid_count(7, 0, &a, &b, &c, &d))
		feed_sha256_ni = (b & bit_SHA) != 0;
}

static const uint32_t feed_sha256_k[64] = { 0x428a2f98, 0x71374491, 0xb5c0fbcf,
	0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
	0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
	0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
	0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
	0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c,
	0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee,
	0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2 };

/*
 * Compress nblocks 64-byte blocks into state (a..h).  Sixteen groups of
 * four rounds; from the fifth on, each group's message words come from
 * the four before it (W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) +
 * W[t-16], which sha256msg1/msg2 compute four at a time).
 */
__attribute__((target("sha,ssse3,sse4.1"))) static void
feed_sha256_blocks(uint32_t state[8], const unsigned char *p, size_t nblocks)
{
	const __m128i swap
	    = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i s0, s1, t, save0, save1, msg, w[4];
	int     i;

	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) state), 0xb1);
	s1 = _mm_shuffle_epi32(
	    _mm_loadu_si128((const __m128i *) (state + 4)), 0x1b);
	s0 = _mm_alignr_epi8(t, s1, 8); /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0); /* CDGH */
	for (; nblocks > 0; nblocks--, p += 64) {
		save0 = s0;
		save1 = s1;
		for (i = 0; i < 16; i++) {
			if (i < 4)
				w[i] = _mm_shuffle_epi8(
				    _mm_loadu_si128(
				        (const __m128i *) (p + 16 * i)),
				    swap);
			else
				w[i & 3] = _mm_sha256msg2_epu32(
				    _mm_add_epi32(
				        _mm_sha256msg1_epu32(
				            w[i & 3], w[(i + 1) & 3]),
				        _mm_alignr_epi8(w[(i + 3) & 3],
				            w[(i + 2) & 3], 4)),
				    w[(i + 3) & 3]);
			msg = _mm_add_epi32(w[i & 3],
			    _mm_loadu_si128(
			        (const __m128i *) (feed_sha256_k + 4 * i)));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			s0 = _mm_sha256rnds2_epu32(
			    s0, s1, _mm_shuffle_epi32(msg, 0x0e));
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	t = _mm_shuffle_epi32(s0, 0x1b); /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1); /* DCHG */
	_mm_storeu_si128((__m128i *) state, _mm_blend_epi16(t, s1, 0xf0));
	_mm_storeu_si128((__m128i *) (state + 4), _mm_alignr_epi8(s1, t, 8));
}

/* The whole message: its full blocks, then the padded tail. */
static void
feed_sha256_ni_hash(const unsigned char *in, size_t len, unsigned char out[32])
{
	uint32_t state[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	unsigned char tail[128];
	size_t        full = len / 64, rest = len % 64, n, i;
	uint64_t      bits = (uint64_t) len * 8;

	feed_sha256_blocks(state, in, full);
	memset(tail, 0, sizeof(tail));
	memcpy(tail, in + full * 64, rest);
	tail[rest] = 0x80;
	n = rest + 9 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[n - 1 - i] = (unsigned char) (bits >> (8 * i));
	feed_sha256_blocks(state, tail, n / 64);
	for (i = 0; i < 32; i++)
		out[i] = (unsigned char) (state[i / 4] >> (24 - 8 * (i % 4)));
}

#endif /* FEED_SHA_NI */

void
feed_sha256(const void *in, size_t len, unsigned char out[32])
{
#ifdef FEED_SHA_NI
	pthread_once(&feed_sha256_once, feed_sha256_detect);
	if (feed_sha256_ni) {
		feed_sha256_ni_hash(in, len, out);
		return;
	}
#endif
	crypto_hash_sha256(out, in, len);
}
