/*
 * rule_parse.c - *.rules text to struct rule, reporting every error.
 *
 * The parser reads a file line by line through lex.c: each line becomes a
 * short array of copied tokens, which is then interpreted as a rule header,
 * a statement or a closing brace.  Errors never stop the parse: each is
 * recorded as FILE:LINE:COL: message and the parser carries on with the
 * next line, so one run reports every mistake in a rule directory.  A rule
 * with any error is dropped at its closing brace.  Regexes are compiled
 * here (rule_regex.c) so their errors appear in file order too.
 *
 * Not done here: duplicate names across files and `expect` examples
 * (ruleset.c), Hyperscan databases (rule_hs.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"
#include "rule_impl.h"
#include "util.h"

#define RULE_LINE_TOKENS_COUNT 12 /* words on one statement line */

struct rule_ptok {
	enum lex_type type;
	char         *text;
	size_t        len;
	char          flags[16];
	int           line, col, flags_col;
};

struct rule_pline {
	struct rule_ptok t[RULE_LINE_TOKENS_COUNT];
	size_t           n;
	bool             eof;
	bool             bad; /* a lexical error was already reported */
	int              line;
};

struct rule_parser {
	struct ruleset     *rs;
	struct lex          lx;
	const char         *file;
	struct mod_errlist *errs;
	int                 nerrs;
	struct rule         cur;
	int                 cur_errs; /* errors when the rule started */
	unsigned            seen; /* RULE_SEEN_* single-use keywords */
};

#define RULE_SEEN_DESC 0x1
#define RULE_SEEN_GROUP 0x2
#define RULE_SEEN_SCORE 0x4
#define RULE_SEEN_ACTION 0x8

static int rule_parse_error(struct rule_parser *p, int line, int col,
    const char *fmt, ...) MOD_PRINTF(4, 5);

static int
rule_parse_error(
    struct rule_parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mod_errlist_addv(p->errs, p->file, line, col, fmt, ap);
	va_end(ap);
	p->nerrs++;
	return MOD_EINVAL;
}

static void
rule_pline_clear(struct rule_pline *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->t[i].text);
	memset(l, 0, sizeof(*l));
}

static void
rule_pline_push(
    struct rule_parser *p, struct rule_pline *l, const struct lex_tok *t)
{
	struct rule_ptok *pt;

	if (l->n == RULE_LINE_TOKENS_COUNT) {
		if (!l->bad)
			rule_parse_error(
			    p, t->line, t->col, "too many words on one line");
		l->bad = true;
		return;
	}
	pt = &l->t[l->n++];
	pt->type = t->type;
	pt->text = xstrndup(t->text, t->len);
	pt->len = t->len;
	memcpy(pt->flags, t->flags, sizeof(pt->flags));
	pt->line = t->line;
	pt->col = t->col;
	pt->flags_col = t->flags_col;
}

/* Read the tokens of one line; lexical errors are reported here. */
static void
rule_pline_read(struct rule_parser *p, struct rule_pline *l)
{
	struct lex_tok t;

	rule_pline_clear(l);
	l->line = p->lx.line;
	for (;;) {
		lex_next(&p->lx, &t);
		if (t.type == LEX_EOL)
			return;
		if (t.type == LEX_EOF) {
			l->eof = true;
			return;
		}
		if (t.type == LEX_ERROR) {
			rule_parse_error(p, t.line, t.col, "%s", t.text);
			l->bad = true;
			continue;
		}
		rule_pline_push(p, l, &t);
	}
}

static bool
rule_tok_is(const struct rule_ptok *t, const char *word)
{
	return t->type == LEX_WORD && strcmp(t->text, word) == 0;
}

static const char *
rule_tok_desc(const struct rule_ptok *t)
{
	return t->type == LEX_WORD ? t->text : lex_type_name(t->type);
}

static bool
rule_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MOD_MAX_RULE_NAME_BYTES
	    || !isupper((unsigned char) s[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!isupper((unsigned char) s[i])
		    && !isdigit((unsigned char) s[i]) && s[i] != '_')
			return false;
	return true;
}

static bool
rule_group_valid(const char *s)
{
	if (*s == '\0' || strlen(s) > MOD_MAX_RULE_NAME_BYTES)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char) *s)
		    && !isdigit((unsigned char) *s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* Require exactly n tokens on line l (keyword included). */
static bool
rule_want_args(struct rule_parser *p, const struct rule_pline *l, size_t n,
    const char *usage)
{
	const struct rule_ptok *k = &l->t[0];

	if (l->n < n) {
		rule_parse_error(
		    p, k->line, k->col, "%s: expected %s", k->text, usage);
		return false;
	}
	if (l->n > n) {
		rule_parse_error(p, l->t[n].line, l->t[n].col,
		    "%s: unexpected %s after %s", k->text,
		    rule_tok_desc(&l->t[n]), usage);
		return false;
	}
	return true;
}

static bool
rule_once(struct rule_parser *p, const struct rule_ptok *k, unsigned bit)
{
	if (p->seen & bit) {
		rule_parse_error(p, k->line, k->col, "duplicate %s", k->text);
		return false;
	}
	p->seen |= bit;
	return true;
}

static int
rule_stmt_desc(struct rule_parser *p, const struct rule_pline *l)
{
	if (!rule_once(p, &l->t[0], RULE_SEEN_DESC)
	    || !rule_want_args(p, l, 2, "a \"string\""))
		return 0;
	if (l->t[1].type != LEX_STRING)
		return rule_parse_error(p, l->t[1].line, l->t[1].col,
		    "desc: expected a \"string\", got %s",
		    rule_tok_desc(&l->t[1]));
	p->cur.desc = xstrdup(l->t[1].text);
	return 0;
}

static int
rule_stmt_group(struct rule_parser *p, const struct rule_pline *l)
{
	if (!rule_once(p, &l->t[0], RULE_SEEN_GROUP)
	    || !rule_want_args(p, l, 2, "a group name"))
		return 0;
	if (l->t[1].type != LEX_WORD || !rule_group_valid(l->t[1].text))
		return rule_parse_error(p, l->t[1].line, l->t[1].col,
		    "group: invalid name (use lowercase letters, digits, _ "
		    "and -)");
	p->cur.group = xstrdup(l->t[1].text);
	return 0;
}

static int
rule_stmt_score(struct rule_parser *p, const struct rule_pline *l)
{
	double v;

	if (!rule_once(p, &l->t[0], RULE_SEEN_SCORE)
	    || !rule_want_args(p, l, 2, "a number"))
		return 0;
	if (l->t[1].type != LEX_WORD || mod_strtod(l->t[1].text, &v) != 0
	    || v < -1000 || v > 1000)
		return rule_parse_error(p, l->t[1].line, l->t[1].col,
		    "score: expected a number between -1000 and 1000");
	p->cur.score = v;
	return 0;
}

static int
rule_stmt_action(struct rule_parser *p, const struct rule_pline *l)
{
	int a;

	if (!rule_once(p, &l->t[0], RULE_SEEN_ACTION)
	    || !rule_want_args(p, l, 2, "an action"))
		return 0;
	if (l->t[1].type != LEX_WORD
	    || (a = rule_action_from_name(l->t[1].text)) < 0)
		return rule_parse_error(p, l->t[1].line, l->t[1].col,
		    "unknown action \"%s\" (none, flag, sensitive, delete, "
		    "silence, suspend)",
		    rule_tok_desc(&l->t[1]));
	p->cur.action = (enum rule_action) a;
	return 0;
}

static int
rule_stmt_expect(struct rule_parser *p, const struct rule_pline *l)
{
	struct rule        *r = &p->cur;
	struct rule_expect *e;

	if (!rule_want_args(p, l, 3, "hit|miss \"example\""))
		return 0;
	if (!rule_tok_is(&l->t[1], "hit") && !rule_tok_is(&l->t[1], "miss"))
		return rule_parse_error(p, l->t[1].line, l->t[1].col,
		    "expect: expected hit or miss, got %s",
		    rule_tok_desc(&l->t[1]));
	if (l->t[2].type != LEX_STRING)
		return rule_parse_error(p, l->t[2].line, l->t[2].col,
		    "expect: expected a \"string\" example");
	if (r->nexpects >= MOD_MAX_RULE_EXPECTS_COUNT)
		return rule_parse_error(p, l->t[0].line, l->t[0].col,
		    "too many expect lines (limit %d)",
		    MOD_MAX_RULE_EXPECTS_COUNT);
	r->expects
	    = xreallocarray(r->expects, r->nexpects + 1, sizeof(*r->expects));
	e = &r->expects[r->nexpects++];
	e->hit = rule_tok_is(&l->t[1], "hit");
	e->text = xstrdup(l->t[2].text);
	e->line = l->t[0].line;
	e->col = l->t[0].col;
	return 0;
}

/* Parse "a,b,c" through `lookup`, OR-ing the returned bits. */
static bool
rule_parse_list(struct rule_parser *p, const struct rule_ptok *t,
    int (*lookup)(const char *), bool shift, const char *what, unsigned *mask)
{
	char *dup = xstrdup(t->text), *s = dup, *item;
	int   v;
	bool  ok = true;

	*mask = 0;
	while ((item = strsep(&s, ",")) != NULL) {
		if ((v = lookup(item)) < 0) {
			rule_parse_error(p, t->line,
			    t->col
			        + lex_utf8_cols(
			            t->text, (size_t) (item - dup)),
			    "unknown %s \"%s\"", what, item);
			ok = false;
			break;
		}
		*mask |= shift ? 1u << v : (unsigned) v;
	}
	free(dup);
	return ok;
}

static int
rule_parse_op(const char *s)
{
	static const char *const ops[] = { "<", "<=", ">", ">=", "==", "!=" };
	size_t                   i;

	for (i = 0; i < nitems(ops); i++)
		if (strcmp(s, ops[i]) == 0)
			return (int) i;
	return -1;
}

static bool
rule_test_num(
    struct rule_parser *p, const struct rule_pline *l, struct rule_test *t)
{
	const struct rule_ptok *f = &l->t[1], *op = &l->t[2], *v = &l->t[3];
	int                     o;

	if (!rule_want_args(p, l, 4, "FIELD OP VALUE"))
		return false;
	if (op->type != LEX_WORD || (o = rule_parse_op(op->text)) < 0) {
		rule_parse_error(p, op->line, op->col,
		    "expected a comparison (< <= > >= == !=), got %s",
		    rule_tok_desc(op));
		return false;
	}
	t->type = RULE_TEST_NUM;
	t->num = (enum rule_num) rule_num_from_name(f->text);
	t->op = (enum rule_op) o;
	if (v->type == LEX_WORD && t->num == RULE_N_ACCOUNT_AGE
	    && mod_parse_duration(v->text, &t->value) == 0)
		return true;
	if (v->type == LEX_WORD && t->num != RULE_N_ACCOUNT_AGE
	    && mod_strtonum(v->text, 0, INT64_MAX / 2, &t->value) == 0)
		return true;
	rule_parse_error(p, v->line, v->col, "%s: expected %s, got \"%s\"",
	    f->text,
	    t->num == RULE_N_ACCOUNT_AGE ? "a duration (e.g. 30d, 12h, 90m)"
	                                 : "a non-negative integer",
	    v->type == LEX_WORD ? v->text : lex_type_name(v->type));
	return false;
}

static bool
rule_test_regex(
    struct rule_parser *p, const struct rule_pline *l, struct rule_test *t)
{
	const struct rule_ptok *tg = &l->t[1], *re = &l->t[2];
	struct ruleset         *rs = p->rs;
	struct rule_pattern    *pat;
	char                   *colon, name[64];
	int                     target;

	if (!rule_want_args(p, l, 3, "TARGET /regex/"))
		return false;
	mod_strlcpy(name, tg->text, sizeof(name));
	if ((colon = strchr(name, ':')) != NULL)
		*colon++ = '\0';
	if ((target = rule_target_from_name(name)) < 0
	    || (colon && strcmp(colon, "raw") != 0)) {
		rule_parse_error(
		    p, tg->line, tg->col, "unknown target \"%s\"", tg->text);
		return false;
	}
	if (re->type != LEX_REGEX) {
		rule_parse_error(p, re->line, re->col,
		    "expected /regex/ after %s, got %s", tg->text,
		    rule_tok_desc(re));
		return false;
	}
	rs->pats = xreallocarray(rs->pats, rs->npats + 1, sizeof(*rs->pats));
	pat = &rs->pats[rs->npats];
	memset(pat, 0, sizeof(*pat));
	pat->src = xstrndup(re->text, re->len);
	pat->len = re->len;
	pat->target = (enum rule_target) target;
	pat->raw = colon != NULL;
	pat->rule = (uint32_t) rs->nrules;
	pat->mode = RULE_PAT_PCRE_ONLY; /* until rule_hs.c says otherwise */
	mod_strlcpy(pat->flags, re->flags, sizeof(pat->flags));
	rule_guard_classify(pat);
	if (strlen(re->flags) >= sizeof(pat->flags)
	    || rule_regex_compile(
	           pat, p->file, re->line, re->col, re->flags_col, p->errs)
	        != 0) {
		if (strlen(re->flags) >= sizeof(pat->flags))
			rule_parse_error(p, re->line, re->flags_col,
			    "too many regex flags");
		p->nerrs++;
		rule_regex_free(pat);
		free(pat->src);
		return false;
	}
	t->type = RULE_TEST_REGEX;
	t->target = pat->target;
	t->raw = pat->raw;
	t->pat = (uint32_t) rs->npats++;
	return true;
}

/* Parse the test after match/when/unless into *t. */
static bool
rule_test_parse(
    struct rule_parser *p, const struct rule_pline *l, struct rule_test *t)
{
	const struct rule_ptok *w = &l->t[1];

	memset(t, 0, sizeof(*t));
	t->line = l->t[0].line;
	t->col = l->t[0].col;
	if (l->n < 2 || w->type != LEX_WORD) {
		rule_parse_error(p, l->n < 2 ? l->t[0].line : w->line,
		    l->n < 2 ? l->t[0].col : w->col,
		    "%s: expected a test (TARGET /regex/, FIELD OP VALUE, "
		    "visibility, kind, local or remote)",
		    l->t[0].text);
		return false;
	}
	if (strcmp(w->text, "local") == 0 || strcmp(w->text, "remote") == 0) {
		t->type = RULE_TEST_LOCAL;
		t->value = strcmp(w->text, "local") == 0;
		return rule_want_args(p, l, 2, w->text);
	}
	if (strcmp(w->text, "visibility") == 0
	    || strcmp(w->text, "kind") == 0) {
		bool vis = w->text[0] == 'v';

		t->type = vis ? RULE_TEST_VISIBILITY : RULE_TEST_KIND;
		return rule_want_args(p, l, 3, "a comma-separated list")
		    && rule_parse_list(p, &l->t[2],
		        vis ? rule_visibility_from_name : rule_kind_from_name,
		        vis, vis ? "visibility" : "kind", &t->mask);
	}
	if (rule_num_from_name(w->text) >= 0)
		return rule_test_num(p, l, t);
	return rule_test_regex(p, l, t);
}

static int
rule_stmt_test(struct rule_parser *p, const struct rule_pline *l)
{
	struct rule     *r = &p->cur;
	struct rule_test t;
	bool             veto = rule_tok_is(&l->t[0], "unless");

	if (!rule_test_parse(p, l, &t))
		return 0;
	if (r->ntests + r->nvetoes >= MOD_MAX_RULE_TESTS_COUNT)
		return rule_parse_error(p, l->t[0].line, l->t[0].col,
		    "too many tests in one rule (limit %d)",
		    MOD_MAX_RULE_TESTS_COUNT);
	if (veto) {
		r->vetoes = xreallocarray(
		    r->vetoes, r->nvetoes + 1, sizeof(*r->vetoes));
		r->vetoes[r->nvetoes++] = t;
	} else {
		r->tests = xreallocarray(
		    r->tests, r->ntests + 1, sizeof(*r->tests));
		r->tests[r->ntests++] = t;
	}
	return 0;
}

static const struct {
	const char *kw;
	int (*fn)(struct rule_parser *, const struct rule_pline *);
} rule_stmts[] = {
	{ "desc", rule_stmt_desc },
	{ "group", rule_stmt_group },
	{ "match", rule_stmt_test },
	{ "when", rule_stmt_test },
	{ "unless", rule_stmt_test },
	{ "score", rule_stmt_score },
	{ "action", rule_stmt_action },
	{ "expect", rule_stmt_expect },
};

static int
rule_stmt(struct rule_parser *p, const struct rule_pline *l)
{
	const struct rule_ptok *k = &l->t[0];
	size_t                  i;

	if (k->type == LEX_WORD)
		for (i = 0; i < nitems(rule_stmts); i++)
			if (strcmp(k->text, rule_stmts[i].kw) == 0)
				return rule_stmts[i].fn(p, l);
	if (rule_tok_is(k, "rule"))
		return rule_parse_error(p, k->line, k->col,
		    "rule inside rule %s (missing '}'?)", p->cur.name);
	rule_parse_error(p, k->line, k->col,
	    "unknown keyword \"%s\" (desc, group, match, when, unless, "
	    "score, action, expect)",
	    rule_tok_desc(k));
	return 0;
}

/* Drop the rule being built, releasing its patterns' compiled code. */
static int
rule_discard(struct rule_parser *p)
{
	struct rule *r = &p->cur;
	size_t       i;

	while (p->rs->npats > 0
	    && p->rs->pats[p->rs->npats - 1].rule == p->rs->nrules) {
		p->rs->npats--;
		rule_regex_free(&p->rs->pats[p->rs->npats]);
		free(p->rs->pats[p->rs->npats].src);
	}
	for (i = 0; i < r->nexpects; i++)
		free(r->expects[i].text);
	free(r->expects);
	free(r->tests);
	free(r->vetoes);
	free(r->name);
	free(r->desc);
	free(r->group);
	memset(r, 0, sizeof(*r));
	return 0;
}

static int
rule_finish(struct rule_parser *p)
{
	struct rule *r = &p->cur;

	/* Only a rule without other errors can be judged incomplete. */
	if (p->nerrs == p->cur_errs && r->ntests == 0 && r->nvetoes == 0)
		rule_parse_error(p, r->line, r->col,
		    "rule %s has no match or when line", r->name);
	else if (p->nerrs == p->cur_errs && r->ntests == 0)
		rule_parse_error(p, r->line, r->col,
		    "rule %s has only unless lines (add a match or when line)",
		    r->name);
	if (p->nerrs == p->cur_errs && r->score == 0
	    && r->action == RULE_A_NONE)
		rule_parse_error(p, r->line, r->col,
		    "rule %s has neither a score nor an action", r->name);
	if (p->nerrs != p->cur_errs || p->rs->nrules >= MOD_MAX_RULES_COUNT) {
		if (p->rs->nrules >= MOD_MAX_RULES_COUNT)
			rule_parse_error(p, r->line, r->col,
			    "too many rules (limit %d)", MOD_MAX_RULES_COUNT);
		rule_discard(p);
		return 0;
	}
	p->rs->rules = xreallocarray(
	    p->rs->rules, p->rs->nrules + 1, sizeof(*p->rs->rules));
	p->rs->rules[p->rs->nrules++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

/* Header line "rule NAME {": set up p->cur. */
static void
rule_header(struct rule_parser *p, const struct rule_pline *l)
{
	const struct rule_ptok *name = &l->t[1];

	memset(&p->cur, 0, sizeof(p->cur));
	p->cur_errs = p->nerrs;
	p->seen = 0;
	p->cur.file = p->file;
	p->cur.line = l->t[0].line;
	p->cur.col = l->t[0].col;
	if (l->n < 2 || name->type != LEX_WORD) {
		rule_parse_error(
		    p, l->t[0].line, l->t[0].col, "rule: expected a NAME");
		p->cur.name = xstrdup("?");
		return;
	}
	p->cur.name = xstrdup(name->text);
	if (!rule_name_valid(name->text, name->len))
		rule_parse_error(p, name->line, name->col,
		    "invalid rule name \"%s\" (use UPPER_SNAKE, at most %d "
		    "bytes)",
		    name->text, MOD_MAX_RULE_NAME_BYTES);
	if (l->n < 3 || l->t[2].type != LEX_LBRACE)
		rule_parse_error(p, l->n < 3 ? name->line : l->t[2].line,
		    l->n < 3 ? name->col + (int) name->len : l->t[2].col,
		    "expected '{' after rule name");
	else if (l->n > 3)
		rule_parse_error(p, l->t[3].line, l->t[3].col,
		    "unexpected %s after '{'", rule_tok_desc(&l->t[3]));
}

/* Body lines up to the closing brace (or end of file). */
static int
rule_body(struct rule_parser *p, struct rule_pline *l)
{
	for (;;) {
		rule_pline_read(p, l);
		if (l->n == 0 && l->eof) {
			rule_parse_error(p, p->cur.line, p->cur.col,
			    "rule %s is not closed (missing '}')",
			    p->cur.name);
			return rule_discard(p);
		}
		if (l->n == 0)
			continue;
		if (l->t[0].type == LEX_RBRACE) {
			if (l->n > 1)
				rule_parse_error(p, l->t[1].line, l->t[1].col,
				    "unexpected %s after '}'",
				    rule_tok_desc(&l->t[1]));
			return rule_finish(p);
		}
		/* A lexical error was reported already; one per mistake. */
		if (!l->bad)
			rule_stmt(p, l);
		if (l->eof) {
			rule_parse_error(p, p->cur.line, p->cur.col,
			    "rule %s is not closed (missing '}')",
			    p->cur.name);
			return rule_discard(p);
		}
	}
	return 0;
}

int
rule_parse_file(struct ruleset *rs, const char *file, const char *src,
    size_t len, struct mod_errlist *errs)
{
	struct rule_parser p;
	struct rule_pline  l;

	memset(&p, 0, sizeof(p));
	memset(&l, 0, sizeof(l));
	p.rs = rs;
	p.file = file;
	p.errs = errs;
	lex_init(&p.lx, file, src, len);
	do {
		rule_pline_read(&p, &l);
		if (l.n == 0)
			continue;
		if (rule_tok_is(&l.t[0], "rule")) {
			rule_header(&p, &l);
			if (!l.eof)
				rule_body(&p, &l);
			else
				rule_discard(&p);
		} else
			rule_parse_error(&p, l.t[0].line, l.t[0].col,
			    "expected \"rule\", got %s",
			    rule_tok_desc(&l.t[0]));
	} while (!l.eof);
	rule_pline_clear(&l);
	return p.nerrs ? MOD_EINVAL : 0;
}
