/*
 * lex.h - the tokenizer shared by moderd.conf and *.rules.
 *
 * Line-oriented block syntax: words, "strings", /regex/flags, { and },
 * end-of-line, # comments.  Every token carries its 1-based line and column
 * (columns count UTF-8 code points; a tab counts as one).
 */
#ifndef MODERD_LEX_H
#define MODERD_LEX_H

#include <stddef.h>

#include "moderd.h"

enum lex_type {
	LEX_EOF,
	LEX_EOL, /* end of a line (statements end here) */
	LEX_WORD, /* bare word: names, numbers, operators, keywords */
	LEX_STRING, /* "…" with \" \\ \n \t \/ escapes decoded */
	LEX_REGEX, /* /…/flags: text is the pattern verbatim */
	LEX_LBRACE,
	LEX_RBRACE,
	LEX_ERROR /* text holds the message; lexing may continue */
};

struct lex_tok {
	enum lex_type type;
	const char   *text; /* borrowed, valid until the next lex_next() */
	size_t        len;
	char          flags[16]; /* regex flags, NUL-terminated; more: error */
	int           line;
	int           col;
	int           flags_col; /* column of the first flag letter */
};

struct lex {
	const char *file;
	const char *src;
	size_t      len;
	size_t      pos;
	int         line;
	int         col;
	char        tok[MOD_MAX_TOKEN_BYTES + 1];
};

/* lex_init: lex src[0..len) of file (borrowed; both outlive the lexer). */
void lex_init(struct lex *lx, const char *file, const char *src, size_t len);

/*
 * lex_next: the next token into *t.  Errors come back as LEX_ERROR with a
 * message in t->text; the lexer has already skipped past the bad token so
 * the caller may record the error and continue.
 */
void lex_next(struct lex *lx, struct lex_tok *t);

/* lex_skip_line: discard tokens up to and including the next EOL. */
void lex_skip_line(struct lex *lx);

/* lex_type_name: "word", "string", … for messages. */
const char *lex_type_name(enum lex_type type);

/*
 * lex_utf8_cols: the number of code points in s[0..n), used to turn a byte
 * offset inside a token into a column.
 */
int lex_utf8_cols(const char *s, size_t n);

#endif /* MODERD_LEX_H */
