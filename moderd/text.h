/*
 * text.h - normalisation of post text (API of the text_* files).
 *
 * text_html.c turns Mastodon status HTML into plain text and extracts
 * links, mentions and hashtags; text_plain.c finds the same in plain text;
 * text_unicode.c validates/repairs UTF-8 and produces the folded view rules
 * match by default (NFKC casefold, zero-width and bidi controls removed,
 * lookalike characters folded to Latin prototypes per UTS #39).
 *
 * All functions are pure, bounded by bounds.h, non-recursive, and safe to
 * call from several threads at once.  Inputs are borrowed.
 */
#ifndef MODERD_TEXT_H
#define MODERD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "moderd.h"

/* A list of owned strings, capped at MOD_MAX_LINKS_COUNT entries. */
struct text_list {
	char  *v[MOD_MAX_LINKS_COUNT];
	size_t n;
	size_t dropped; /* entries beyond the cap */
};

/* text_list_add: append a copy of s[0..len) unless full or a duplicate. */
void text_list_add(struct text_list *l, const char *s, size_t len);
/* text_list_free: free the entries, leave an empty list. */
void text_list_free(struct text_list *l);

/* Result of converting one HTML fragment. Zero-initialise; free with
 * text_doc_free(). */
struct text_doc {
	struct buf       text; /* plain text, valid UTF-8 */
	struct text_list links; /* hrefs of ordinary links, whole */
	struct text_list
	    mentions; /* "user@host" or "user" from mention links */
	struct text_list
	     hashtags; /* tag names without '#' from hashtag links */
	bool truncated; /* text hit MOD_MAX_TEXT_BYTES */
};

void text_doc_free(struct text_doc *d);

/*
 * text_html: convert Mastodon HTML to text.  Tags are dropped, entities
 * decoded (named, decimal, hex), <p> and <br> become line breaks (paragraphs
 * separated by a blank line, no leading/trailing newlines), Mastodon's
 * <span class="invisible"> link pieces are kept so a link reads whole,
 * <a> hrefs are collected (class "mention" → mentions, "hashtag" →
 * hashtags, others → links), script/style contents dropped.  Invalid UTF-8
 * becomes U+FFFD.  Input beyond MOD_MAX_HTML_BYTES is ignored (truncated
 * set).  Never fails on malformed HTML; returns 0.
 */
int text_html(const char *html, size_t len, struct text_doc *out);

/*
 * text_plain_extract: find http(s) links, @user[@host] mentions and
 * #hashtags in plain text and add them to out's lists (text untouched).
 */
void text_plain_extract(const char *s, size_t len, struct text_doc *out);

/*
 * text_url_host: the lowercased host of an absolute URL (no userinfo, no
 * port) into out (size >= 256).  Returns 0 or MOD_EINVAL.
 */
int text_url_host(const char *url, size_t len, char *out, size_t outsz);

/*
 * text_utf8_sanitize: copy s to out, replacing every invalid UTF-8
 * sequence with U+FFFD and dropping NUL bytes.  Appends to out; at most
 * cap bytes are appended (cut on a code point boundary).  Sets *changed.
 */
void text_utf8_sanitize(
    const char *s, size_t len, size_t cap, struct buf *out, bool *changed);

/* text_utf8_put: encode cp (a Unicode scalar value, not a surrogate)
 * into o[0..4); returns its length. */
size_t text_utf8_put(uint32_t cp, char *o);

/* text_utf8_valid: true if s[0..len) is valid UTF-8 without NUL. */
bool text_utf8_valid(const char *s, size_t len);

/* text_utf8_trim: the largest n <= cap such that s[0..n) ends on a code
 * point boundary. */
size_t text_utf8_trim(const char *s, size_t len, size_t cap);

/* Flags returned by text_fold(). */
#define TEXT_FOLD_CASE 0x01 /* case or compatibility form changed */
#define TEXT_FOLD_INVISIBLE 0x02 /* zero-width / bidi controls removed */
#define TEXT_FOLD_CONFUSABLE 0x04 /* lookalikes folded to Latin */
#define TEXT_FOLD_TRUNCATED 0x08 /* output cut at the cap */
#define TEXT_FOLD_INVALID 0x10 /* invalid UTF-8 replaced */

/*
 * text_fold: the folded view of s (valid or not): lookalike characters
 * (UTS #39 confusables whose prototype is ASCII letters/digits, e.g.
 * Cyrillic, Greek, fullwidth, mathematical alphanumerics) to their Latin
 * prototype, then NFKC casefold, zero-width and bidi controls removed.
 * ASCII input takes a fast path (lowercase only).  Appends at most
 * MOD_MAX_TEXT_BYTES to out (cut on a code point boundary).  *flags gets
 * TEXT_FOLD_* bits (may be NULL).  Returns 0, or MOD_EINTERNAL if ICU
 * fails (out then holds the sanitised input lowercased).
 */
int text_fold(const char *s, size_t len, struct buf *out, unsigned *flags);

#endif /* MODERD_TEXT_H */
