/*
 * fuzz_feed_json.c - libFuzzer target: any bytes as a JSON blocklist in
 * each JSON format, and as a feed of unknown format.
 * The checks are in fuzz_feed.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feeds.h"
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The first byte picks the format, so that every format sees every shape;
 * seeds start with a letter: A auto, B Mastodon, C admin, D GoToSocial,
 * E RapidBlock.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum feed_format fmts[] = { FEED_FMT_AUTO,
		FEED_FMT_MASTODON_JSON, FEED_FMT_MASTODON_ADMIN_JSON,
		FEED_FMT_GTS_JSON, FEED_FMT_RAPIDBLOCK_JSON };

	if (size == 0 || size > 256 * 1024)
		return 0;
	fuzz_feed_one(
	    "fuzz.json", (const char *) data + 1, size - 1, fmts[data[0] % 5]);
	return 0;
}
