/*
 * fuzz_rule_parse.c - libFuzzer target: any bytes as a *.rules file.
 * The loader must return cleanly (rules or errors), never crash, hang or
 * leak; every error message must carry the file name.  Expect examples
 * are run through the real normaliser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mod_errlist  errs = { 0 };
	struct ruleset     *rs = NULL;
	struct ruleset_opts o = { .example = event_example };
	size_t              i;
	int                 rv;

	if (size > 64 * 1024)
		return 0;
	rv = ruleset_load_buffer(
	    "fuzz.rules", (const char *) data, size, &o, &rs, &errs);
	if ((rv == 0) != (rs != NULL))
		abort();
	for (i = 0; i < errs.n; i++)
		if (strncmp(errs.msgs[i], "fuzz.rules", 10) != 0)
			abort();
	mod_errlist_free(&errs);
	ruleset_unref(rs);
	return 0;
}
