/*
 * fuzz_api_body.c - api_body_decode(), the first step of every API call
 * with a body, on arbitrary bytes.  Besides not crashing: a body is
 * either accepted as exactly one JSON object, which jansson must be able
 * to encode and decode back to an equal object, or refused with a
 * message; never both, never neither.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = NULL, *back;
	char    why[256] = "", *s;
	int     rv;

	rv = api_body_decode((const char *) data, size, &v, why, sizeof(why));
	if (rv != 0) {
		if (v != NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (!json_is_object(v))
		abort();
	s = json_dumps(v, JSON_COMPACT);
	if (s == NULL)
		abort();
	back = json_loads(s, 0, NULL);
	if (back == NULL || !json_equal(back, v))
		abort();
	json_decref(back);
	free(s);
	json_decref(v);
	return 0;
}
