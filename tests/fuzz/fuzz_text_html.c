/*
 * fuzz_text_html.c - libFuzzer target for the text normalisation module.
 *
 * Runs text_html(), text_plain_extract() and text_fold() on the input
 * (and text_fold() on the HTML's text, as the event view does) and aborts
 * unless every output is valid UTF-8 within its cap and every extracted
 * list entry is valid UTF-8 within MOD_MAX_URL_BYTES.  Seeds:
 * tests/fuzz/corpus_text_html/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_list(const struct text_list *l)
{
	size_t i;

	if (l->n > MOD_MAX_LINKS_COUNT)
		abort();
	for (i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);
		char   host[256];

		if (n == 0 || n > MOD_MAX_URL_BYTES
		    || !text_utf8_valid(l->v[i], n))
			abort();
		if (text_url_host(l->v[i], n, host, sizeof(host)) == 0
		    && !text_utf8_valid(host, strlen(host)))
			abort();
	}
}

static void
fuzz_check_doc(const struct text_doc *d)
{
	if (d->text.len > MOD_MAX_TEXT_BYTES
	    || !text_utf8_valid(d->text.data ? d->text.data : "", d->text.len))
		abort();
	fuzz_check_list(&d->links);
	fuzz_check_list(&d->mentions);
	fuzz_check_list(&d->hashtags);
}

static void
fuzz_fold(const char *s, size_t len)
{
	struct buf out = { 0 };
	unsigned   f = 0;

	if (text_fold(s, len, &out, &f) != 0)
		abort();
	if (out.len > MOD_MAX_TEXT_BYTES
	    || !text_utf8_valid(out.data ? out.data : "", out.len))
		abort();
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char     *s = (const char *) data;
	struct text_doc d;

	memset(&d, 0, sizeof(d));
	if (text_html(s, size, &d) != 0)
		abort();
	fuzz_check_doc(&d);
	fuzz_fold(d.text.data ? d.text.data : "", d.text.len);
	text_doc_free(&d);

	memset(&d, 0, sizeof(d));
	text_plain_extract(s, size, &d);
	fuzz_check_doc(&d);
	text_doc_free(&d);

	fuzz_fold(s, size);
	return 0;
}
