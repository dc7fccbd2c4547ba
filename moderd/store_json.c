/*
 * store_json.c - queries whose answer is one JSON document.
 *
 * Files outside store.c, queue.c and audit.c do not see libpq (style.md's
 * dependency rule), yet API handlers want structured rows.  They let the
 * server build the answer (json_build_object, json_agg, to_char for
 * times) and read it back here as one value under a named size cap, so a
 * handler's SQL and the shape of its reply sit side by side.
 *
 * What it deliberately does not do: stream (the cap bounds memory; a
 * caller whose answer may grow without bound pages instead), or accept
 * anything but one JSON value in the first column of the first row.
 */
#include <stdlib.h>

#include <jansson.h>

#include "log.h"
#include "store.h"
#include "util.h"

int
store_query_json(struct store *db, const char *what, const char *sql, int n,
    const char *const *params, size_t max_bytes, json_t **out)
{
	json_error_t jerr;
	char        *text = xmalloc(max_bytes + 1);
	int          rv;

	*out = NULL;
	rv = store_query_value(db, what, sql, n, params, text, max_bytes + 1);
	if (rv == MOD_ETOOBIG)
		log_warnx("%s: answer over %zu bytes", what, max_bytes);
	if (rv != 0)
		goto out;
	*out = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (*out == NULL) {
		log_warnx("%s: answer is not JSON: %s", what, jerr.text);
		rv = MOD_EINTERNAL;
	}
out:
	free(text);
	return rv;
}
