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
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The view promises valid UTF-8 within the subject cap (the matcher
 * skips its own check when utf8_valid is set). */
static void
fuzz_check_view(const struct rule_fields *f)
{
	size_t t, i;

	if (!f->utf8_valid)
		abort();
	for (t = 0; t < RULE_T_COUNT; t++)
		for (i = 0; i < f->folded[t].n; i++)
			if (!text_utf8_valid(
			        f->folded[t].v[i].s, f->folded[t].v[i].len)
			    || !text_utf8_valid(
			        f->raw[t].v[i].s, f->raw[t].v[i].len)
			    || f->folded[t].v[i].len > MOD_MAX_TEXT_BYTES)
				abort();
}

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
	fuzz_check_view(event_view_fields(v));
	event_view_free(v);
	event_free(ev);
	return 0;
}
