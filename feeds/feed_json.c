/*
 * feed_json.c - JSON blocklists: Mastodon's public and admin domain block
 * lists, GoToSocial's list, and RapidBlock's object.
 *
 * The three array formats share one entry reader, because they are one
 * shape with different optional members: domain (required), severity
 * (silence/suspend/noop, suspend when absent as in GoToSocial, which has
 * no severity), digest (kept only for masked names, where it is the one
 * way to find out what was blocked), comment or public_comment (the
 * latter wins when both are present), private_comment, and the flags
 * reject_media, reject_reports and obfuscate.  id, created_at,
 * suspended_at and anything else are ignored.  A member of the wrong type
 * makes its entry an error; null is the same as absent.  With format auto
 * the array's first object names the flavour (GoToSocial without a
 * severity, else admin if it has id or reject_*, else Mastodon public);
 * the flavour only labels the list.
 *
 * RapidBlock is {"blocks": {"domain": {"isBlocked": bool, "reason": ...}}}:
 * entries with isBlocked false are retracted blocks and are skipped
 * without a word; reason becomes the public comment; every entry is a
 * suspension.
 *
 * Entries are reported by their 1-based position in the array or object
 * ("feed.json:3: domain: expected a string").  The document itself must
 * load: invalid JSON, duplicate keys (JSON_REJECT_DUPLICATES), trailing
 * data, nesting deeper than MOD_MAX_JSON_DEPTH or more than
 * MOD_MAX_FEED_JSON_VALUES_COUNT values fail the whole feed.  The last two
 * are checked by a flat byte scan before jansson sees the text, so
 * jansson's recursive parser never meets a nesting bomb and its memory
 * stays bounded.  An array is loaded one element at a time (a tree of
 * 100k entries was most of a parse's memory); at anything unexpected
 * the whole document is loaded instead, so errors read as before.  An
 * element that is a flat object of strings, booleans and nulls, without
 * anything jansson would complain of, is read by a small reader here
 * instead of jansson (the "flat path": a fifth of the instructions);
 * everything else still goes to jansson, so results and messages do not
 * depend on which reader took an element.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feeds.h"
#include "feed_impl.h"
#include "util.h"

/*
 * Nesting and value count, without parsing: brackets outside strings
 * count as depth, brackets and commas as values.
 */
static int
feed_json_scan(struct feed_parser *p, const char *buf, size_t len)
{
	size_t depth = 0, values = 0, i;
	bool   in_str = false;

	for (i = 0; i < len && depth <= MOD_MAX_JSON_DEPTH
	     && values <= MOD_MAX_FEED_JSON_VALUES_COUNT;
	     i++) {
		if (in_str) {
			/* Most bytes are inside strings: skip them fast. */
			while (i < len && buf[i] != '"' && buf[i] != '\\')
				i++;
			if (i >= len)
				break;
			if (buf[i] == '\\')
				i++;
			else
				in_str = false;
		} else if (buf[i] == '"')
			in_str = true;
		else if (buf[i] == '[' || buf[i] == '{')
			depth++, values++;
		else if ((buf[i] == ']' || buf[i] == '}') && depth > 0)
			depth--;
		else if (buf[i] == ',')
			values++;
	}
	if (depth > MOD_MAX_JSON_DEPTH) {
		feed_parser_error(p, 0, "JSON nested deeper than %d levels",
		    MOD_MAX_JSON_DEPTH);
		return MOD_EINVAL;
	}
	if (values > MOD_MAX_FEED_JSON_VALUES_COUNT) {
		feed_parser_error(p, 0, "more than %d JSON values",
		    MOD_MAX_FEED_JSON_VALUES_COUNT);
		return MOD_ETOOBIG;
	}
	return 0;
}

/*
 * The flat path: most elements of a big list are objects whose members
 * are plain strings, booleans and nulls.  Those are read here without
 * building a jansson tree (which cost most of a JSON feed's parse);
 * anything else (numbers, nested values, \u escapes, invalid UTF-8 or
 * control bytes, a key with an escape or seen twice, more than
 * FEED_JSON_FLAT_MEMBERS members, a member of the wrong type or any
 * other error in the entry) makes the caller hand the element to
 * jansson, so every result and message is the one jansson's reading
 * gives.  Strings without escapes are borrowed from the document;
 * escaped ones are decoded into a scratch buffer of
 * MOD_MAX_FEED_LINE_BYTES, and an element needing more goes to jansson.
 */
#define FEED_JSON_FLAT_MEMBERS 16

enum feed_json_type { FEED_JSON_NULL, FEED_JSON_STR, FEED_JSON_BOOL };

struct feed_json_flat {
	const char         *buf;
	size_t              len, i; /* the document and where we are */
	char               *scratch; /* decoded strings */
	size_t              used;
	size_t              n; /* members */
	const char         *key[FEED_JSON_FLAT_MEMBERS];
	size_t              keylen[FEED_JSON_FLAT_MEMBERS];
	enum feed_json_type type[FEED_JSON_FLAT_MEMBERS];
	const char         *s[FEED_JSON_FLAT_MEMBERS]; /* string values */
	size_t              sn[FEED_JSON_FLAT_MEMBERS];
	bool                b[FEED_JSON_FLAT_MEMBERS]; /* boolean values */
};

/* The byte an escape \c stands for; 0 for \u and invalid ones. */
static char
feed_json_unescape(char c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char       *at = c != '\0' ? strchr(from, c) : NULL;

	return at != NULL ? to[at - from] : '\0';
}

/* Decode the escapes of the string *s, *n (checked already) into the
 * scratch; false if it is full. */
static bool
feed_json_flat_decode(struct feed_json_flat *f, const char **s, size_t *n)
{
	const char *in = *s;
	char       *out = f->scratch + f->used;
	size_t      i, o = 0;

	if (*n > MOD_MAX_FEED_LINE_BYTES - f->used)
		return false; /* decoding never grows a string */
	for (i = 0; i < *n; i++)
		out[o++] = in[i] == '\\' ? feed_json_unescape(in[++i]) : in[i];
	f->used += o;
	*s = out;
	*n = o;
	return true;
}

/*
 * The string at f->i (its opening quote) into *s, *n; escapes decoded
 * into the scratch unless keep_raw (then they fail).  False if the
 * flat path cannot read it.
 */
static bool
feed_json_flat_str(
    struct feed_json_flat *f, bool keep_raw, const char **s, size_t *n)
{
	const unsigned char *u = (const unsigned char *) f->buf;
	size_t               start = ++f->i, k;
	bool                 escaped = false;

	while (f->i < f->len && f->buf[f->i] != '"') {
		if (f->buf[f->i] == '\\') {
			if (keep_raw || f->i + 1 >= f->len
			    || feed_json_unescape(f->buf[f->i + 1]) == '\0')
				return false;
			escaped = true;
			f->i += 2;
			continue;
		}
		if (u[f->i] >= 0x20 && u[f->i] < 0x80) {
			f->i++;
			continue;
		}
		if (u[f->i] < 0x20
		    || (k = feed_utf8_len(u + f->i, f->len - f->i)) == 0)
			return false;
		f->i += k;
	}
	if (f->i >= f->len)
		return false;
	*s = f->buf + start;
	*n = f->i++ - start;
	return !escaped || feed_json_flat_decode(f, s, n);
}

/* Past jansson's white space from buf[i]. */
static size_t
feed_json_ws(const char *buf, size_t len, size_t i)
{
	while (i < len
	    && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n'
	        || buf[i] == '\r'))
		i++;
	return i;
}

/* The value at f->i into member m; false if the flat path cannot. */
static bool
feed_json_flat_value(struct feed_json_flat *f, size_t m)
{
	static const struct {
		const char         *word;
		enum feed_json_type type;
		bool                b;
	} words[] = { { "null", FEED_JSON_NULL, false },
		{ "true", FEED_JSON_BOOL, true },
		{ "false", FEED_JSON_BOOL, false } };
	size_t k, n;

	if (f->buf[f->i] == '"') {
		f->type[m] = FEED_JSON_STR;
		return feed_json_flat_str(f, false, &f->s[m], &f->sn[m]);
	}
	for (k = 0; k < nitems(words); k++) {
		n = strlen(words[k].word);
		if (f->len - f->i >= n
		    && memcmp(f->buf + f->i, words[k].word, n) == 0) {
			f->type[m] = words[k].type;
			f->b[m] = words[k].b;
			f->i += n;
			return true;
		}
	}
	return false;
}

/* Member name's index, or -1. */
static int
feed_json_flat_find(const struct feed_json_flat *f, const char *name)
{
	size_t m, n = strlen(name);

	for (m = 0; m < f->n; m++)
		if (f->keylen[m] == n && memcmp(f->key[m], name, n) == 0)
			return (int) m;
	return -1;
}

/* No key twice (jansson rejects duplicates; keys are raw here). */
static bool
feed_json_flat_unique(const struct feed_json_flat *f)
{
	size_t a, b;

	for (a = 0; a < f->n; a++)
		for (b = a + 1; b < f->n; b++)
			if (f->keylen[a] == f->keylen[b]
			    && memcmp(f->key[a], f->key[b], f->keylen[a]) == 0)
				return false;
	return true;
}

/* One member at f->i (its key's quote); false if not flat. */
static bool
feed_json_flat_member(struct feed_json_flat *f)
{
	size_t m = f->n;

	if (m == FEED_JSON_FLAT_MEMBERS || f->i >= f->len
	    || f->buf[f->i] != '"'
	    || !feed_json_flat_str(f, true, &f->key[m], &f->keylen[m]))
		return false;
	f->n++;
	f->i = feed_json_ws(f->buf, f->len, f->i);
	if (f->i >= f->len || f->buf[f->i] != ':')
		return false;
	f->i = feed_json_ws(f->buf, f->len, f->i + 1);
	return f->i < f->len && feed_json_flat_value(f, m);
}

/* The object at f->i, up to and past its '}'; false if not flat. */
static bool
feed_json_flat_object(struct feed_json_flat *f)
{
	f->n = 0;
	f->used = 0;
	if (f->i >= f->len || f->buf[f->i] != '{')
		return false;
	f->i = feed_json_ws(f->buf, f->len, f->i + 1);
	if (f->i < f->len && f->buf[f->i] == '}') {
		f->i++;
		return true;
	}
	for (;;) {
		if (!feed_json_flat_member(f))
			return false;
		f->i = feed_json_ws(f->buf, f->len, f->i);
		if (f->i < f->len && f->buf[f->i] == '}') {
			f->i++;
			return feed_json_flat_unique(f);
		}
		if (f->i >= f->len || f->buf[f->i] != ',')
			return false;
		f->i = feed_json_ws(f->buf, f->len, f->i + 1);
	}
}

/* An entry's members: a jansson object, or a flat one. */
struct feed_json_obj {
	json_t                      *json; /* NULL for a flat one */
	const struct feed_json_flat *flat;
};

/* Optional string member: absent or null gives NULL; else a string. */
static bool
feed_json_str(
    const struct feed_json_obj *o, const char *key, const char **s, size_t *n)
{
	json_t *v;
	int     m;

	*s = NULL;
	*n = 0;
	if (o->json == NULL) {
		if ((m = feed_json_flat_find(o->flat, key)) < 0
		    || o->flat->type[m] == FEED_JSON_NULL)
			return true;
		if (o->flat->type[m] != FEED_JSON_STR)
			return false;
		*s = o->flat->s[m];
		*n = o->flat->sn[m];
		return true;
	}
	v = json_object_get(o->json, key);
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return false;
	*s = json_string_value(v);
	*n = json_string_length(v);
	return true;
}

/* Optional boolean member: absent or null is false. */
static bool
feed_json_bool(const struct feed_json_obj *o, const char *key, bool *b)
{
	json_t *v;
	int     m;

	if (o->json == NULL) {
		m = feed_json_flat_find(o->flat, key);
		*b = m >= 0 && o->flat->type[m] == FEED_JSON_BOOL
		    && o->flat->b[m];
		return m < 0 || o->flat->type[m] != FEED_JSON_STR;
	}
	v = json_object_get(o->json, key);
	*b = json_is_true(v);
	return v == NULL || json_is_null(v) || json_is_boolean(v);
}

/* The string members of an entry; NULL or the member that is wrong. */
static const char *
feed_json_strings(const struct feed_json_obj *o, struct feed_raw *r,
    const char **sev, size_t *sevn)
{
	const char *s;
	size_t      n;

	if (!feed_json_str(o, "domain", &r->domain, &r->domain_len))
		return "domain";
	if (!feed_json_str(o, "severity", sev, sevn))
		return "severity";
	if (!feed_json_str(o, "digest", &r->digest, &r->digest_len))
		return "digest";
	if (!feed_json_str(o, "public_comment", &r->public_comment,
	        &r->public_comment_len))
		return "public_comment";
	if (!feed_json_str(o, "comment", &s, &n))
		return "comment";
	if (r->public_comment == NULL) {
		r->public_comment = s;
		r->public_comment_len = n;
	}
	if (!feed_json_str(o, "private_comment", &r->private_comment,
	        &r->private_comment_len))
		return "private_comment";
	return NULL;
}

/* The boolean members; NULL or the member that is wrong. */
static const char *
feed_json_bools(const struct feed_json_obj *o, struct feed_raw *r)
{
	if (!feed_json_bool(o, "reject_media", &r->reject_media))
		return "reject_media";
	if (!feed_json_bool(o, "reject_reports", &r->reject_reports))
		return "reject_reports";
	if (!feed_json_bool(o, "obfuscate", &r->obfuscate))
		return "obfuscate";
	return NULL;
}

/* The members of an entry; errors reported, 0 or MOD_EINVAL. */
static int
feed_json_members(
    struct feed_parser *p, const struct feed_json_obj *o, struct feed_raw *r)
{
	char        q[FEED_QUOTE_BYTES];
	const char *bad, *sev;
	size_t      sevn;

	if ((bad = feed_json_strings(o, r, &sev, &sevn)) != NULL) {
		feed_parser_error(p, r->line, "%s: expected a string", bad);
		return MOD_EINVAL;
	}
	if (r->domain == NULL) {
		feed_parser_error(p, r->line, "domain: missing");
		return MOD_EINVAL;
	}
	if (feed_severity_parse(sev, sevn, FEED_SEV_SUSPEND, &r->severity)
	    != 0) {
		feed_quote(sev, sevn, q);
		feed_parser_error(p, r->line, "severity: unknown value %s", q);
		return MOD_EINVAL;
	}
	if ((bad = feed_json_bools(o, r)) != NULL) {
		feed_parser_error(
		    p, r->line, "%s: expected true or false", bad);
		return MOD_EINVAL;
	}
	return 0;
}

/* One element of an array feed: 0 (added or reported) or MOD_ETOOBIG. */
static int
feed_json_entry(struct feed_parser *p, json_t *o, int line)
{
	struct feed_json_obj ob = { o, NULL };
	struct feed_raw      r;

	if (!json_is_object(o)) {
		feed_parser_error(p, line, "expected an object");
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.line = line;
	if (feed_json_members(p, &ob, &r) != 0)
		return 0;
	return feed_parser_add(p, &r);
}

/*
 * The element at f->i read by the flat path and added: 0 or MOD_ETOOBIG
 * from feed_parser_add().  -1 (nothing added, nothing reported, f->i
 * where it was) if jansson must read it; so it must with format auto,
 * where the first element names the flavour.
 */
static int
feed_json_flat_entry(struct feed_parser *p, struct feed_json_flat *f, int line)
{
	struct feed_json_obj ob = { NULL, f };
	struct mod_errlist  *errs = p->errs;
	struct feed_raw      r;
	size_t               at = f->i;
	int                  rv;

	if (p->list->format == FEED_FMT_AUTO || !feed_json_flat_object(f)) {
		f->i = at;
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.line = line;
	p->errs = NULL; /* an entry in error is jansson's to report */
	rv = feed_json_members(p, &ob, &r);
	p->errs = errs;
	if (rv != 0) {
		f->i = at;
		return -1;
	}
	return feed_parser_add(p, &r);
}

/*
 * With format auto, the first object of an array names the flavour:
 * Mastodon's lists always carry a severity, GoToSocial's never do.
 */
static enum feed_format
feed_json_flavour(json_t *a)
{
	static const char *const admin[]
	    = { "id", "reject_media", "reject_reports" };
	json_t *o = NULL;
	size_t  i;

	for (i = 0; i < json_array_size(a) && !json_is_object(o); i++)
		o = json_array_get(a, i);
	if (!json_is_object(o))
		return FEED_FMT_MASTODON_JSON;
	if (json_object_get(o, "severity") == NULL)
		return FEED_FMT_GTS_JSON;
	for (i = 0; i < nitems(admin); i++)
		if (json_object_get(o, admin[i]) != NULL)
			return FEED_FMT_MASTODON_ADMIN_JSON;
	return FEED_FMT_MASTODON_JSON;
}

static int
feed_json_array(struct feed_parser *p, json_t *a)
{
	size_t i;
	int    rv;

	if (p->list->format == FEED_FMT_RAPIDBLOCK_JSON) {
		feed_parser_error(p, 0, "expected a RapidBlock object");
		return MOD_EINVAL;
	}
	if (p->list->format == FEED_FMT_AUTO)
		p->list->format = feed_json_flavour(a);
	for (i = 0; i < json_array_size(a); i++)
		if ((rv = feed_json_entry(
		         p, json_array_get(a, i), (int) i + 1))
		    != 0)
			return rv;
	return 0;
}

/* One member of RapidBlock's "blocks": 0 or MOD_ETOOBIG. */
static int
feed_json_block(struct feed_parser *p, const char *key, json_t *v, int line)
{
	struct feed_json_obj ob = { v, NULL };
	struct feed_raw      r;
	json_t              *blocked;

	if (!json_is_object(v)) {
		feed_parser_error(p, line, "expected an object");
		return 0;
	}
	blocked = json_object_get(v, "isBlocked");
	if (!json_is_boolean(blocked)) {
		feed_parser_error(
		    p, line, "isBlocked: expected true or false");
		return 0;
	}
	if (!json_is_true(blocked))
		return 0;
	memset(&r, 0, sizeof(r));
	r.line = line;
	r.domain = key;
	r.domain_len = strlen(key);
	r.severity = FEED_SEV_SUSPEND;
	if (!feed_json_str(
	        &ob, "reason", &r.public_comment, &r.public_comment_len)) {
		feed_parser_error(p, line, "reason: expected a string");
		return 0;
	}
	return feed_parser_add(p, &r);
}

static int
feed_json_rapidblock(struct feed_parser *p, json_t *root)
{
	json_t     *blocks, *v;
	const char *key;
	int         line = 0, rv;

	if (p->list->format != FEED_FMT_AUTO
	    && p->list->format != FEED_FMT_RAPIDBLOCK_JSON) {
		feed_parser_error(p, 0, "expected a JSON array");
		return MOD_EINVAL;
	}
	p->list->format = FEED_FMT_RAPIDBLOCK_JSON;
	blocks = json_object_get(root, "blocks");
	if (!json_is_object(blocks)) {
		feed_parser_error(p, 0, "no \"blocks\" object (RapidBlock)");
		return MOD_EINVAL;
	}
	json_object_foreach(blocks, key, v)
	{
		if ((rv = feed_json_block(p, key, v, ++line)) != 0)
			return rv;
	}
	return 0;
}

/*
 * jansson's message without the input it quotes ("... near '<input>'"),
 * which may hold anything, new lines included.
 */
static void
feed_json_load_error(struct feed_parser *p, const json_error_t *je)
{
	char   msg[JSON_ERROR_TEXT_LENGTH];
	char  *near;
	size_t i;

	mod_strlcpy(msg, je->text, sizeof(msg));
	if ((near = strstr(msg, " near ")) != NULL)
		*near = '\0';
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char) msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = ' ';
	if (je->column > 0)
		feed_parser_error(p, je->line, "invalid JSON: %s (column %d)",
		    msg, je->column);
	else
		feed_parser_error(p, je->line, "invalid JSON: %s", msg);
}

/* One element at f->i: read flat if it can be, else loaded by jansson,
 * read and freed.  -1 if it is not valid JSON; else 0 or MOD_ETOOBIG. */
static int
feed_json_element(struct feed_parser *p, struct feed_json_flat *f, int line)
{
	json_error_t je;
	json_t      *v;
	int          rv;

	if ((rv = feed_json_flat_entry(p, f, line)) >= 0)
		return rv;
	v = json_loadb(f->buf + f->i, f->len - f->i,
	    JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &je);
	if (v == NULL)
		return -1;
	f->i += (size_t) je.position;
	if (p->list->format == FEED_FMT_AUTO && json_is_object(v)) {
		json_t *a = json_array();

		json_array_append(a, v);
		p->list->format = feed_json_flavour(a);
		json_decref(a);
	}
	rv = feed_json_entry(p, v, line);
	json_decref(v);
	return rv;
}

/* The elements of the array whose '[' f->i is past: -1, 0 or
 * MOD_ETOOBIG, as feed_json_stream(). */
static int
feed_json_elements(struct feed_parser *p, struct feed_json_flat *f)
{
	int line = 0, rv = 0;

	f->i = feed_json_ws(f->buf, f->len, f->i);
	if (f->i < f->len && f->buf[f->i] == ']')
		return feed_json_ws(f->buf, f->len, f->i + 1) == f->len ? 0
		                                                        : -1;
	while (rv == 0) {
		if ((rv = feed_json_element(p, f, ++line)) != 0)
			break;
		f->i = feed_json_ws(f->buf, f->len, f->i);
		if (f->i < f->len && f->buf[f->i] == ']')
			return feed_json_ws(f->buf, f->len, f->i + 1) == f->len
			    ? 0
			    : -1;
		if (f->i >= f->len || f->buf[f->i] != ',')
			return -1;
		f->i = feed_json_ws(f->buf, f->len, f->i + 1);
	}
	return rv;
}

/*
 * A document that is an array, read one element at a time, so the tree
 * of a 100k-entry feed never exists at once (it used to be most of the
 * memory a parse needs).  -1 at anything unexpected: the caller starts
 * again with the whole document, which reports the error as jansson
 * words it.  Else 0 or MOD_ETOOBIG.
 */
static int
feed_json_stream(struct feed_parser *p, const char *buf, size_t len)
{
	struct feed_json_flat f;
	int                   rv;

	memset(&f, 0, sizeof(f));
	f.buf = buf;
	f.len = len;
	f.i = feed_json_ws(buf, len, 0);
	if (f.i >= len || buf[f.i] != '['
	    || p->list->format == FEED_FMT_RAPIDBLOCK_JSON)
		return -1;
	f.i++;
	f.scratch = xmalloc(MOD_MAX_FEED_LINE_BYTES);
	rv = feed_json_elements(p, &f);
	free(f.scratch);
	return rv;
}

/* Move the messages of from to the end of to, within its cap. */
static void
feed_json_errs_move(struct mod_errlist *to, struct mod_errlist *from)
{
	size_t k;

	for (k = 0; k < from->n; k++) {
		if (to == NULL || to->n >= MOD_MAX_ERRORS_COUNT) {
			if (to != NULL)
				to->dropped++;
			free(from->msgs[k]);
			continue;
		}
		to->msgs
		    = xreallocarray(to->msgs, to->n + 1, sizeof(*to->msgs));
		to->msgs[to->n++] = from->msgs[k];
	}
	if (to != NULL)
		to->dropped += from->dropped;
	free(from->msgs);
	memset(from, 0, sizeof(*from));
}

/*
 * feed_json_stream() with its messages set aside: if it gives up, the
 * entries and messages so far are dropped (the whole document will fail
 * or be read again, and must say so exactly as it would have).
 */
static int
feed_json_try_stream(struct feed_parser *p, const char *buf, size_t len)
{
	struct mod_errlist mine = { 0 }, *errs = p->errs;
	enum feed_format   fmt = p->list->format;
	int                rv;

	p->errs = &mine;
	rv = feed_json_stream(p, buf, len);
	p->errs = errs;
	if (rv >= 0) {
		feed_json_errs_move(errs, &mine);
		return rv;
	}
	mod_errlist_free(&mine);
	p->list->n = 0;
	p->added = 0;
	p->list->format = fmt;
	return -1;
}

int
feed_json_parse(struct feed_parser *p, const char *buf, size_t len)
{
	json_error_t je;
	json_t      *root = NULL;
	int          rv;

	if ((rv = feed_json_scan(p, buf, len)) != 0)
		goto out;
	if ((rv = feed_json_try_stream(p, buf, len)) >= 0)
		goto out;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		feed_json_load_error(p, &je);
		rv = MOD_EINVAL;
	} else if (json_is_array(root))
		rv = feed_json_array(p, root);
	else
		rv = feed_json_rapidblock(p, root);
out:
	json_decref(root);
	return rv;
}
