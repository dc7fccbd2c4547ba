/*
 * fuzz_feed_csv.c - libFuzzer target: any bytes as a CSV blocklist, and
 * as a feed of unknown format (which also reaches the text parser and
 * format detection).
 * The checks are in fuzz_feed.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feeds.h"
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	fuzz_feed_one(
	    "fuzz.csv", (const char *) data, size, FEED_FMT_MASTODON_CSV);
	fuzz_feed_one("fuzz.csv", (const char *) data, size, FEED_FMT_AUTO);
	return 0;
}
