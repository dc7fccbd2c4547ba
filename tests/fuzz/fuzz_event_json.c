/*
 * fuzz_event_json.c - libFuzzer target for event_parse() and, on success,
 * event_view_build() and event_dedup_key().
 *
 * Any input must either be rejected with a one-line message or produce an
 * event whose view builds; nothing may crash, leak or read out of bounds.
 * Seeds: tests/fuzz/corpus_event_json/ (the event fixtures).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event      *ev = NULL;
	struct event_view *v = NULL;
	struct mod_err     err = { 0 };
	char               key[256];

	if (event_parse((const char *) data, size, &ev, &err) != 0) {
		if (ev != NULL || strchr(err.msg, '\n') != NULL)
			abort();
		return 0;
	}
	if (event_dedup_key(ev, key, sizeof(key)) != 0)
		abort();
	if (event_view_build(ev, &v, &err) != 0)
		abort();
	event_view_free(v);
	event_free(ev);
	return 0;
}
