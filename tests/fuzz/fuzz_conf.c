/*
 * fuzz_conf.c - libFuzzer target: any bytes as moderd.conf, and as input
 * to the lexer both the config and the rules share.
 *
 * The loader must return a configuration or errors, never both, never
 * crash, hang or leak; every error is one line naming the file; an
 * accepted configuration must satisfy what the loader promises (limits
 * set, cache directory derived, thresholds ordered).  The lexer must make
 * progress on every call, keep positions monotonic and tokens bounded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "lex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_lex(const char *src, size_t size)
{
	struct lex     lx;
	struct lex_tok t;
	size_t         n = 0, pos;
	int            line = 1;

	lex_init(&lx, "fuzz.conf", src, size);
	do {
		pos = lx.pos;
		lex_next(&lx, &t);
		if (++n > size + 2 || (t.type != LEX_EOF && lx.pos <= pos))
			abort(); /* no progress */
		if (t.line < line || t.col < 1 || t.len > MOD_MAX_TOKEN_BYTES)
			abort();
		if (t.type != LEX_EOL && t.type != LEX_EOF
		    && t.text[t.len] != '\0')
			abort();
		if (t.type == LEX_REGEX && t.flags_col <= t.col)
			abort();
		line = t.line;
	} while (t.type != LEX_EOF);
}

static void
fuzz_check_conf(const struct conf *c)
{
	struct ruleset_opts    o = { 0 };
	struct rule_thresholds t;
	double                 top = -1;
	int                    a;

	if (conf_ruleset_opts(c, &o) != 0 || o.cache_dir[0] == '\0')
		abort();
	conf_thresholds(c, &t);
	for (a = RULE_A_FLAG; a < RULE_A_COUNT; a++) {
		if (t.min[a] < 0)
			continue;
		if (t.min[a] == 0 || t.min[a] < top)
			abort();
		top = t.min[a];
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mod_errlist errs = { 0 };
	struct conf       *c = NULL;
	const struct conf *r;
	size_t             i;
	int                rv;

	if (size > 64 * 1024)
		return 0;
	fuzz_lex((const char *) data, size);
	rv = conf_load_buffer(
	    "fuzz.conf", (const char *) data, size, &c, &errs);
	if ((rv == 0) != (c != NULL) || (rv == 0) != (errs.n == 0))
		abort();
	for (i = 0; i < errs.n; i++)
		if (strncmp(errs.msgs[i], "fuzz.conf", 9) != 0
		    || strchr(errs.msgs[i], '\n') != NULL)
			abort();
	if (c != NULL) {
		fuzz_check_conf(c);
		conf_install(c);
		r = conf_get();
		fuzz_check_conf(r);
		conf_put(r);
		conf_install(NULL);
	}
	mod_errlist_free(&errs);
	return 0;
}
