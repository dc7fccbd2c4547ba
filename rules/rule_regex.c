/*
 * rule_regex.c - the only file that includes pcre2.h.
 *
 * Compiles each rule pattern with UTF, UCP and MATCH_INVALID_UTF (so a bad
 * byte can never derail a match) and JIT, translating PCRE2's error offset
 * into a column of the rule file.  Matching runs under a per-thread match
 * context carrying the configured match, depth and heap limits and a JIT
 * stack; a limit hit comes back as -1 with a reason, which the matcher
 * reports as "could not evaluate" -- never as "no match".  Measured on
 * PCRE2 10.42: with JIT the match limit aborts the whole call, so the
 * classic /(a+)+$/ on 16 KiB of 'a' stops in well under a millisecond.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "lex.h"
#include "rule_impl.h"
#include "log.h"
#include "util.h"

#define RULE_JIT_STACK_START_BYTES (32 * 1024)
#define RULE_JIT_STACK_MAX_BYTES (1024 * 1024)

struct rule_regex_ctx {
	pcre2_match_context *mctx;
	pcre2_jit_stack     *jit;
	pcre2_match_data    *md;
};

/* Map the letters after the closing slash to PCRE2 options. */
static int
rule_regex_flags(const char *flags, uint32_t *opts, size_t *bad)
{
	size_t i;

	*opts = 0;
	for (i = 0; flags[i]; i++) {
		switch (flags[i]) {
		case 'i':
			*opts |= PCRE2_CASELESS;
			break;
		case 'm':
			*opts |= PCRE2_MULTILINE;
			break;
		case 's':
			*opts |= PCRE2_DOTALL;
			break;
		case 'x':
			*opts |= PCRE2_EXTENDED;
			break;
		default:
			*bad = i;
			return MOD_EINVAL;
		}
	}
	return 0;
}

int
rule_regex_compile(struct rule_pattern *p, const char *file, int line, int col,
    int flags_col, struct mod_errlist *errs)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE  off;
	pcre2_code *code;
	uint32_t    opts;
	size_t      bad;
	int         ec;

	if (rule_regex_flags(p->flags, &opts, &bad) != 0) {
		mod_errlist_add(errs, file, line, flags_col + (int) bad,
		    "unknown regex flag '%c' (i, m, s, x)", p->flags[bad]);
		return MOD_EINVAL;
	}
	code = pcre2_compile((PCRE2_SPTR) p->src, p->len,
	    opts | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF
	        | PCRE2_NEVER_BACKSLASH_C,
	    &ec, &off, NULL);
	if (code == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		mod_errlist_add(errs, file, line,
		    col + 1
		        + lex_utf8_cols(p->src, off > p->len ? p->len : off),
		    "%s", (const char *) msg);
		return MOD_EINVAL;
	}
	/* Without JIT the interpreter runs, under the same limits. */
	(void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	p->code = code;
	return 0;
}

void
rule_regex_free(struct rule_pattern *p)
{
	pcre2_code_free(p->code); /* NULL-safe */
	p->code = NULL;
}

struct rule_regex_ctx *
rule_regex_ctx_new(const struct ruleset *rs)
{
	struct rule_regex_ctx *c = xcalloc(1, sizeof(*c));

	if ((c->mctx = pcre2_match_context_create(NULL)) == NULL
	    || (c->md = pcre2_match_data_create(1, NULL)) == NULL)
		fatalx("rules: could not allocate pcre2 match state");
	pcre2_set_match_limit(c->mctx, rs->match_limit);
	pcre2_set_depth_limit(c->mctx, rs->depth_limit);
	pcre2_set_heap_limit(c->mctx, rs->heap_limit_kib);
	c->jit = pcre2_jit_stack_create(
	    RULE_JIT_STACK_START_BYTES, RULE_JIT_STACK_MAX_BYTES, NULL);
	if (c->jit != NULL)
		pcre2_jit_stack_assign(c->mctx, NULL, c->jit);
	return c;
}

void
rule_regex_ctx_free(struct rule_regex_ctx *c)
{
	if (c == NULL)
		return;
	pcre2_match_data_free(c->md);
	pcre2_jit_stack_free(c->jit);
	pcre2_match_context_free(c->mctx);
	free(c);
}

static const char *
rule_regex_reason(int rc)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
		return "match limit";
	case PCRE2_ERROR_DEPTHLIMIT:
		return "depth limit";
	case PCRE2_ERROR_HEAPLIMIT:
		return "heap limit";
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return "jit stack limit";
	case PCRE2_ERROR_NOMEMORY:
		return "out of memory";
	default:
		return "regex error";
	}
}

int
rule_regex_exec(struct rule_regex_ctx *c, const struct rule_pattern *p,
    const char *s, size_t len, size_t start, size_t *off, size_t *mlen,
    const char **reason)
{
	PCRE2_SIZE *ov;
	int         rc;

	/* Lookbehinds and \b still see the bytes before start. */
	rc = pcre2_match(p->code, (PCRE2_SPTR) s, len,
	    start > len ? len : start, 0, c->md, c->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		*reason = rule_regex_reason(rc);
		return -1;
	}
	ov = pcre2_get_ovector_pointer(c->md);
	*off = ov[0];
	*mlen = ov[1] >= ov[0] ? ov[1] - ov[0] : 0;
	return 1;
}

/* rule_regex_is_word: whether PCRE2's Unicode \w matches the code point
 * whose UTF-8 encoding is u[0..n). */
static bool
rule_regex_is_word(const char *u, size_t n)
{
	pcre2_code       *re;
	pcre2_match_data *md;
	int               err, rc = -1;
	PCRE2_SIZE        off;

	re = pcre2_compile((PCRE2_SPTR) "^\\w$", PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP, &err, &off, NULL);
	if (re == NULL)
		return true;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md != NULL)
		rc = pcre2_match(re, (PCRE2_SPTR) u, n, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc != PCRE2_ERROR_NOMATCH;
}

static bool           rule_regex_marks_word;
static pthread_once_t rule_regex_marks_once = PTHREAD_ONCE_INIT;

/* PCRE2 10.43 added marks and connector punctuation to \w: ask it. */
static void
rule_regex_marks_probe(void)
{
	/* U+0301 COMBINING ACUTE ACCENT (Mn), U+203F UNDERTIE (Pc) */
	rule_regex_marks_word = rule_regex_is_word("\xcc\x81", 2)
	    || rule_regex_is_word("\xe2\x80\xbf", 3);
}

bool
rule_regex_marks_are_word(void)
{
	(void) pthread_once(&rule_regex_marks_once, rule_regex_marks_probe);
	return rule_regex_marks_word;
}

void
rule_regex_version(char *buf, size_t size)
{
	char v[64] = "", u[64] = "";

	(void) pcre2_config(PCRE2_CONFIG_VERSION, v);
	(void) pcre2_config(PCRE2_CONFIG_UNICODE_VERSION, u);
	snprintf(buf, size, "pcre2 %s unicode %s", v, u);
}

int
rule_regex_probe(const char *atom, size_t len, bool caseless, const char *subj,
    size_t slen, rule_regex_probe_fn fn, void *arg)
{
	pcre2_code       *re;
	pcre2_match_data *md = NULL;
	PCRE2_SIZE        eoff, start = 0, *ov;
	int               ec, rv = 0;

	re = pcre2_compile((PCRE2_SPTR) atom, len,
	    PCRE2_UTF | PCRE2_UCP | (caseless ? PCRE2_CASELESS : 0), &ec,
	    &eoff, NULL);
	if (re == NULL)
		return MOD_EINVAL;
	(void) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	if ((md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		fatalx("rules: could not allocate pcre2 match data");
	while (start < slen
	    && pcre2_match(re, (PCRE2_SPTR) subj, slen, start,
	           PCRE2_NO_UTF_CHECK, md, NULL)
	        > 0) {
		ov = pcre2_get_ovector_pointer(md);
		if (ov[1] <= ov[0]) {
			rv = MOD_EINVAL; /* not a one-character atom */
			break;
		}
		if (!fn(arg, ov[0]))
			break;
		start = ov[1];
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rv;
}
