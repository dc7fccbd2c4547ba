/*
 * fuzz_rule_scripts.c - libFuzzer target: any bytes as a pattern source
 * for the script-need walk (rules/rule_scripts.c), and as a string for
 * rule_scripts_of().  The first byte picks the flags (bit 0: i, bit 1: x).
 * Neither may crash, read out of bounds or hang; a need is either
 * RULE_SCRIPTS_ALL or never holds the ASCII bucket.  One probe context is
 * kept for the whole run, as one ruleset build keeps it for all patterns.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rule_impl.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rule_scripts_ctx *fuzz_ctx;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_pattern p;
	uint64_t            need;
	bool                lit;

	if (size == 0 || size > MOD_MAX_REGEX_BYTES)
		return 0;
	if (fuzz_ctx == NULL)
		fuzz_ctx = rule_scripts_ctx_new();
	memset(&p, 0, sizeof(p));
	p.src = xstrndup((const char *) data + 1, size - 1);
	p.len = strlen(p.src);
	if (data[0] & 1)
		strcat(p.flags, "i");
	if (data[0] & 2)
		strcat(p.flags, "x");
	need = rule_scripts_need(fuzz_ctx, &p, &lit);
	if (need != RULE_SCRIPTS_ALL && (need & 1u))
		abort();
	(void) rule_scripts_of((const char *) data, size);
	free(p.src);
	return 0;
}
