/*
 * feed_impl.h - internals shared by the feed parsers (feed_parse.c and the
 * format parsers feed_csv.c, feed_json.c, feed_text.c).  Not an API: only
 * the .c files of feeds/ include it.
 *
 * A format parser reads its syntax and hands each row to
 * feed_parser_add() as a struct feed_raw of borrowed bytes;
 * feed_parser_add() normalises the domain, copies the strings, counts
 * canaries and appends the entry.  Problems with one row are reported with
 * feed_parser_error() and the row is skipped.
 */
#ifndef MODERD_FEED_IMPL_H
#define MODERD_FEED_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "feeds.h"

/*
 * String arenas (feed_arena.c): strings allocated by a pointer bump in
 * large chunks, all freed at once.  Zero-initialise; not thread-safe.
 */
struct feed_arena_chunk;
struct feed_arena {
	struct feed_arena_chunk *chunks;
};

/* feed_arena_alloc: n bytes (byte-aligned), valid until the free. */
char *feed_arena_alloc(struct feed_arena *a, size_t n);

/* feed_arena_strndup: s[0..n) and a NUL, in a. */
char *feed_arena_strndup(struct feed_arena *a, const char *s, size_t n);

/* feed_arena_free: free every chunk; a may be reused.  NULL-safe. */
void feed_arena_free(struct feed_arena *a);

/* One copy of each distinct string, in an arena. */
struct feed_intern {
	struct feed_arena  *arena;
	struct feed_domtab *tab; /* string to index into v */
	char              **v;
	size_t              n, cap;
};

/* feed_intern_init: an empty table adding its strings to arena. */
void feed_intern_init(struct feed_intern *in, struct feed_arena *arena);

/* feed_intern: the arena's copy of s (NUL-terminated), made if new. */
char *feed_intern(struct feed_intern *in, const char *s);

/* feed_intern_free: the table only; the strings stay in the arena. */
void feed_intern_free(struct feed_intern *in);

/* The state of one feed_parse() call. */
struct feed_parser {
	const char         *name; /* labels messages */
	struct feed_list   *list; /* entries so far; list->format is set */
	struct mod_errlist *errs; /* may be NULL */
	size_t              cap; /* allocated slots of list->v */
	size_t              hint; /* slots to allocate first */
	size_t              added; /* rows accepted, before de-duplication */
	struct feed_intern  comments; /* in list->pool */
	char               *scratch; /* a comment being repaired */
};

/*
 * One row as a format parser read it.  Strings are borrowed and need not
 * be NUL-terminated; NULL or length 0 means absent.
 */
struct feed_raw {
	const char        *domain;
	size_t             domain_len;
	enum feed_severity severity;
	bool               reject_media, reject_reports, obfuscate;
	const char        *public_comment;
	size_t             public_comment_len;
	const char        *private_comment;
	size_t             private_comment_len;
	const char        *digest; /* as given by the feed (JSON), or NULL */
	size_t             digest_len;
	int                line;
};

/* feed_parser_error: report "NAME:LINE: message" for one row. */
void feed_parser_error(struct feed_parser *p, int line, const char *fmt, ...)
    MOD_PRINTF(3, 4);

/*
 * feed_parser_add: normalise r and append it to p->list.  A row that
 * cannot be used (bad domain or digest) is reported and skipped, and 0 is
 * returned.  MOD_ETOOBIG (reported) once MOD_MAX_FEED_ENTRIES_COUNT rows
 * have been accepted: the caller stops and the feed fails.
 */
int feed_parser_add(
    struct feed_parser *p, const struct feed_raw *r) MOD_MUSTCHECK;

/*
 * feed_quote: s[0..len) for a message, between double quotes, cut after
 * MOD_MAX_FEED_QUOTE_BYTES with "...", control bytes and invalid UTF-8
 * escaped as \xNN.  out must hold MOD_MAX_FEED_QUOTE_BYTES * 4 + 8 bytes.
 */
#define FEED_QUOTE_BYTES (MOD_MAX_FEED_QUOTE_BYTES * 4 + 8)
void feed_quote(const char *s, size_t len, char out[FEED_QUOTE_BYTES]);

/*
 * feed_sha256 (feed_domain.c): out = SHA-256 of in[0..len), by
 * libsodium's crypto_hash_sha256().  Thread-safe.
 */
void feed_sha256(const void *in, size_t len, unsigned char out[32]);

/* feed_hex: in[0..n) as 2n lowercase hex digits and a NUL into out. */
void feed_hex(const unsigned char *in, size_t n, char *out);

/*
 * feed_utf8_len: length of the valid UTF-8 sequence at s[0..len) (1 to
 * 4), or 0 if s does not start with one.  NUL counts as invalid.
 */
size_t feed_utf8_len(const unsigned char *s, size_t len);

/*
 * feed_bool_parse: a CSV boolean: true/false in any case, 1/0, t/f, or
 * empty (false).  Returns 0 or MOD_EINVAL.
 */
int feed_bool_parse(const char *s, size_t len, bool *out) MOD_MUSTCHECK;

/*
 * feed_severity_parse: a severity name in any case, surrounding white
 * space ignored; empty means dflt.  Returns 0 or MOD_EINVAL.
 */
int feed_severity_parse(const char *s, size_t len, enum feed_severity dflt,
    enum feed_severity *out) MOD_MUSTCHECK;

/*
 * The format parsers.  Each reads buf[0..len) (BOM already skipped) into
 * p, reporting bad rows; it returns MOD_EINVAL for a feed it cannot read
 * at all (after reporting why at the feed's level), MOD_ETOOBIG from
 * feed_parser_add(), else 0, even when no row was usable.  A parser given
 * FEED_FMT_AUTO, or a format of its family, sets p->list->format.
 */
int feed_csv_parse(
    struct feed_parser *p, const char *buf, size_t len) MOD_MUSTCHECK;
int feed_json_parse(
    struct feed_parser *p, const char *buf, size_t len) MOD_MUSTCHECK;
int feed_text_parse(
    struct feed_parser *p, const char *buf, size_t len) MOD_MUSTCHECK;

/*
 * feed_csv_is_header: whether the line s[0..len) is a CSV header, i.e.
 * one of its comma-separated fields is "domain" or "#domain" (quoted or
 * not, any case).  Used by format detection.
 */
bool feed_csv_is_header(const char *s, size_t len);

/*
 * feed_next_line: the line starting at *pos in buf[0..len), without its
 * "\n" or "\r\n" and without a leading UTF-8 BOM; advances *pos past it.
 * Returns false at the end.
 */
bool feed_next_line(const char *buf, size_t len, size_t *pos,
    const char **line, size_t *linelen);

#endif /* MODERD_FEED_IMPL_H */
