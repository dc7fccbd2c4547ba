/*
 * fuzz_feed.h - what the feed fuzz targets check, shared by
 * fuzz_feed_csv.c and fuzz_feed_json.c (each target is one program, so
 * the checks are static functions included by both).
 *
 * feed_parse() must never crash, hang or leak, and whatever it returns
 * must keep its promises: entries only on success, and every entry a
 * normalised, unique domain whose normalisation is idempotent, with no
 * digest (or, for masked names, none or 64 hex digits), a
 * valid line number and canaries counted; every error one line that
 * names the feed.
 */
#ifndef MODERD_FUZZ_FEED_H
#define MODERD_FUZZ_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feeds.h"

static void
fuzz_check_entry(const struct feed_entry *e)
{
	char           norm[MOD_MAX_DOMAIN_BYTES + 1];
	struct mod_err err;
	bool           masked;
	size_t         i;

	if (feed_domain_normalise(e->domain, strlen(e->domain), norm,
	        sizeof(norm), &masked, &err)
	        != 0
	    || strcmp(norm, e->domain) != 0 || masked != e->obfuscated)
		abort();
	if (e->line <= 0 || (int) e->severity < 0
	    || e->severity > FEED_SEV_SUSPEND)
		abort();
	if (!e->obfuscated) {
		if (e->digest != NULL) /* feed_digest() on demand */
			abort();
	} else if (e->digest != NULL) {
		for (i = 0; i < 64; i++)
			if (strchr("0123456789abcdef", e->digest[i]) == NULL)
				abort();
		if (e->digest[64] != '\0')
			abort();
	}
	if ((e->public_comment && !*e->public_comment)
	    || (e->private_comment && !*e->private_comment))
		abort();
	free(feed_entry_json(e)); /* must encode: valid UTF-8 */
}

static void
fuzz_feed_one(
    const char *name, const char *buf, size_t size, enum feed_format fmt)
{
	struct mod_errlist errs = { 0 };
	struct feed_list   l = { 0 };
	size_t             i, j, canaries = 0;
	int                rv;

	rv = feed_parse(name, buf, size, fmt, &l, &errs);
	if ((rv == 0) != (l.n > 0) || (rv != 0 && errs.n == 0))
		abort();
	for (i = 0; i < l.n; i++) {
		fuzz_check_entry(&l.v[i]);
		canaries += feed_entry_is_canary(&l.v[i]);
		for (j = 0; j < i && l.n < 256; j++)
			if (strcmp(l.v[i].domain, l.v[j].domain) == 0)
				abort();
	}
	if (canaries != l.canaries)
		abort();
	for (i = 0; i < errs.n; i++)
		if (strncmp(errs.msgs[i], name, strlen(name)) != 0
		    || strchr(errs.msgs[i], '\n') != NULL)
			abort();
	feed_list_free(&l);
	mod_errlist_free(&errs);
}

#endif /* MODERD_FUZZ_FEED_H */
