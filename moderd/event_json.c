/*
 * event_json.c - JSON to struct event: Mastodon webhook envelopes and bare
 * streaming Status objects, via jansson.
 *
 * The input is untrusted bytes from the network.  Before jansson sees them
 * the size is checked against MOD_MAX_EVENT_BYTES and a flat byte scan
 * rejects nesting deeper than MOD_MAX_JSON_DEPTH, so a nesting bomb never
 * reaches jansson's own (recursive, 2048-deep) parser.  jansson then loads
 * with JSON_REJECT_DUPLICATES; it rejects invalid UTF-8 and \u0000, and
 * its errors are mapped to our own fixed messages because jansson's text
 * may quote input ("near '...'") and logs must never carry post content.
 *
 * The walk over the document follows the fixed shape of the payloads
 * (envelope -> report -> statuses[] -> account -> fields[]), so it nests a
 * bounded number of calls and never recurses on input.  Fields moderd
 * uses are type-checked: a wrong type is an error naming the field path
 * ("object.statuses[2].content: expected string"); null and a missing key
 * both mean "absent".  Fields moderd does not use are ignored, whatever
 * they hold.  Strings are cut at MOD_MAX_FIELD_BYTES on a code point
 * boundary and arrays at MOD_MAX_ARRAY_COUNT (reported statuses at
 * MOD_MAX_REPORT_STATUSES_COUNT); ids must be 1..MOD_MAX_ID_BYTES of
 * printable ASCII so they can be logged and used in dedup keys as is.
 *
 * Every string lands in the event, which owns it, so a failure half-way
 * leaves nothing to unwind but event_free().
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "event.h"
#include "text.h"
#include "util.h"

/* Longest event name echoed back in an "unknown event" message. */
#define EJ_ECHO_NAME_BYTES 40

/* A path into the document, kept on the stack; rendered only on error. */
struct ej_path {
	const struct ej_path *up;
	const char           *key; /* NULL: element idx of an array */
	size_t                idx;
};

static void
ej_path_render(
    const struct ej_path *p, const char *leaf, char *out, size_t outsz)
{
	const struct ej_path *seg[MOD_MAX_JSON_DEPTH];
	size_t                n = 0, used = 0;
	int                   w;

	for (; p != NULL && n < nitems(seg); p = p->up)
		seg[n++] = p;
	out[0] = '\0';
	while (n-- > 0 && used < outsz) {
		if (seg[n]->key != NULL)
			w = snprintf(out + used, outsz - used, "%s%s",
			    used ? "." : "", seg[n]->key);
		else
			w = snprintf(
			    out + used, outsz - used, "[%zu]", seg[n]->idx);
		used += w > 0 ? (size_t) w : 0;
	}
	if (leaf != NULL && used < outsz)
		snprintf(
		    out + used, outsz - used, "%s%s", used ? "." : "", leaf);
}

/* ej_fail: "PATH.leaf: what" as MOD_EINVAL. */
static int
ej_fail(const struct ej_path *p, const char *leaf, const char *what,
    struct mod_err *err)
{
	char path[MOD_MAX_ERR_BYTES / 2];

	ej_path_render(p, leaf, path, sizeof(path));
	return mod_errf(err, MOD_EINVAL, "%s: %s", path, what);
}

/* ej_get: the member key of o, or NULL if missing or null. */
static json_t *
ej_get(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

static char *
ej_strdup(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t      len = json_string_length(v);

	if (len > MOD_MAX_FIELD_BYTES)
		len = text_utf8_trim(s, len, MOD_MAX_FIELD_BYTES);
	return xstrndup(s, len);
}

/* ej_str: optional string member; *out is left alone when absent. */
static int
ej_str(const json_t *o, const char *key, const struct ej_path *p, char **out,
    struct mod_err *err)
{
	json_t *v = ej_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return ej_fail(p, key, "expected string", err);
	free(*out);
	*out = ej_strdup(v);
	return 0;
}

/* ej_str_fill: as ej_str, but keeps an earlier value of *out. */
static int
ej_str_fill(const json_t *o, const char *key, const struct ej_path *p,
    char **out, struct mod_err *err)
{
	char *s = NULL;
	int   rv;

	if ((rv = ej_str(o, key, p, &s, err)) != 0)
		return rv;
	if (*out == NULL)
		*out = s;
	else
		free(s);
	return 0;
}

static bool
ej_id_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MOD_MAX_ID_BYTES)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

/* ej_id: an id member (printable ASCII, bounded); required or optional. */
static int
ej_id(const json_t *o, const char *key, const struct ej_path *p, bool required,
    char **out, struct mod_err *err)
{
	json_t *v = ej_get(o, key);

	if (v == NULL)
		return required ? ej_fail(p, key, "missing", err) : 0;
	if (!json_is_string(v))
		return ej_fail(p, key, "expected string", err);
	if (!ej_id_valid(json_string_value(v), json_string_length(v)))
		return ej_fail(p, key, "invalid id", err);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* ej_time: optional timestamp; *ms is left alone when absent. */
static int
ej_time(const json_t *o, const char *key, const struct ej_path *p, int64_t *ms,
    struct mod_err *err)
{
	json_t *v = ej_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return ej_fail(p, key, "expected string", err);
	if (json_string_length(v) > MOD_MAX_ID_BYTES
	    || mod_parse_time(json_string_value(v), ms) != 0)
		return ej_fail(p, key, "invalid timestamp", err);
	return 0;
}

static int
ej_int(const json_t *o, const char *key, const struct ej_path *p, int64_t *out,
    struct mod_err *err)
{
	json_t *v = ej_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return ej_fail(p, key, "expected integer", err);
	*out = (int64_t) json_integer_value(v);
	return 0;
}

static int
ej_bool(const json_t *o, const char *key, const struct ej_path *p, bool *out,
    struct mod_err *err)
{
	json_t *v = ej_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return ej_fail(p, key, "expected boolean", err);
	*out = json_is_true(v);
	return 0;
}

static int
ej_object(const json_t *o, const char *key, const struct ej_path *p,
    json_t **out, struct mod_err *err)
{
	json_t *v = ej_get(o, key);

	*out = NULL;
	if (v != NULL && !json_is_object(v))
		return ej_fail(p, key, "expected object", err);
	*out = v;
	return 0;
}

/* ej_array: optional array member; *n is its size capped at cap. */
static int
ej_array(const json_t *o, const char *key, const struct ej_path *p, size_t cap,
    json_t **out, size_t *n, struct mod_err *err)
{
	json_t *v = ej_get(o, key);

	*out = NULL;
	*n = 0;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return ej_fail(p, key, "expected array", err);
	*out = v;
	*n = json_array_size(v) < cap ? json_array_size(v) : cap;
	return 0;
}

/*
 * ej_strs: the string member elem of every object in array member key
 * (absent ones skipped) into out; *nelem (may be NULL) gets the number of
 * array elements looked at.
 */
static int
ej_strs(const json_t *o, const char *key, const char *elem,
    const struct ej_path *p, struct event_strs *out, size_t *nelem,
    struct mod_err *err)
{
	struct ej_path ap = { p, key, 0 }, ep = { &ap, NULL, 0 };
	json_t        *arr, *el;
	size_t         n, i;
	int            rv;

	if ((rv = ej_array(o, key, p, MOD_MAX_ARRAY_COUNT, &arr, &n, err)))
		return rv;
	if (nelem != NULL)
		*nelem = n;
	if (n == 0)
		return 0;
	out->v = xcalloc(n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		char *s = NULL;

		ep.idx = i;
		el = json_array_get(arr, i);
		if (!json_is_object(el))
			return ej_fail(&ep, NULL, "expected object", err);
		if ((rv = ej_str(el, elem, &ep, &s, err)) != 0)
			return rv;
		if (s != NULL)
			out->v[out->n++] = s;
	}
	return 0;
}

static void
ej_account_init(struct event_account *a)
{
	memset(a, 0, sizeof(*a));
	a->created_at_ms = INT64_MIN;
	a->followers = a->following = a->statuses = -1;
}

static void
ej_status_init(struct event_status *st)
{
	memset(st, 0, sizeof(*st));
	st->created_at_ms = st->edited_at_ms = INT64_MIN;
	ej_account_init(&st->account);
}

/* ej_domain_from_acct: "user@domain" -> "domain"; NULL if local. */
static char *
ej_domain_from_acct(const char *acct)
{
	const char *at = acct ? strchr(acct, '@') : NULL;

	return at != NULL && at[1] != '\0' ? xstrdup(at + 1) : NULL;
}

/*
 * ej_account: a public Account into a.  Values already set (by the
 * Admin::Account around it) win; domain comes from acct unless the caller
 * already knows it.
 */
static int
ej_account(const json_t *o, const struct ej_path *p, bool domain_known,
    struct event_account *a, struct mod_err *err)
{
	int64_t created = INT64_MIN;
	char   *id = NULL;
	int     rv;

	if ((rv = ej_id(o, "id", p, false, &id, err)) != 0)
		return rv;
	if (a->id == NULL)
		a->id = id;
	else
		free(id);
	a->present = true;
	if ((rv = ej_str_fill(o, "username", p, &a->username, err)) != 0
	    || (rv = ej_str_fill(o, "acct", p, &a->acct, err)) != 0
	    || (rv = ej_str(o, "display_name", p, &a->display_name, err)) != 0
	    || (rv = ej_str(o, "note", p, &a->note_html, err)) != 0
	    || (rv = ej_strs(
	            o, "fields", "value", p, &a->field_values, NULL, err))
	        != 0
	    || (rv = ej_time(o, "created_at", p, &created, err)) != 0
	    || (rv = ej_int(o, "followers_count", p, &a->followers, err)) != 0
	    || (rv = ej_int(o, "following_count", p, &a->following, err)) != 0
	    || (rv = ej_int(o, "statuses_count", p, &a->statuses, err)) != 0
	    || (rv = ej_bool(o, "bot", p, &a->bot, err)) != 0)
		return rv;
	if (a->created_at_ms == INT64_MIN)
		a->created_at_ms = created;
	if (!domain_known)
		a->domain = ej_domain_from_acct(a->acct);
	return 0;
}

/* ej_admin_account: an Admin::Account, flattened with its inner Account. */
static int
ej_admin_account(const json_t *o, const struct ej_path *p,
    struct event_account *a, struct mod_err *err)
{
	struct ej_path ip = { p, "account", 0 };
	json_t        *inner;
	bool           domain_known;
	int            rv;

	if ((rv = ej_id(o, "id", p, false, &a->id, err)) != 0
	    || (rv = ej_str(o, "username", p, &a->username, err)) != 0
	    || (rv = ej_str(o, "domain", p, &a->domain, err)) != 0
	    || (rv = ej_str(o, "email", p, &a->email, err)) != 0
	    || (rv = ej_str(o, "ip", p, &a->ip, err)) != 0
	    || (rv = ej_time(o, "created_at", p, &a->created_at_ms, err)) != 0
	    || (rv = ej_object(o, "account", p, &inner, err)) != 0)
		return rv;
	if (a->domain != NULL && a->domain[0] == '\0') {
		free(a->domain);
		a->domain = NULL;
	}
	a->present = true;
	/* "domain": null says local, whatever the inner acct looks like. */
	domain_known = json_object_get(o, "domain") != NULL;
	if (inner != NULL
	    && (rv = ej_account(inner, &ip, domain_known, a, err)) != 0)
		return rv;
	if (a->acct == NULL && a->username != NULL) {
		size_t n = strlen(a->username)
		    + (a->domain ? strlen(a->domain) + 1 : 0) + 1;

		a->acct = xmalloc(n);
		snprintf(a->acct, n, "%s%s%s", a->username,
		    a->domain ? "@" : "", a->domain ? a->domain : "");
	}
	return 0;
}

/* ej_poll: the titles of the options of the status's poll, if any. */
static int
ej_poll(const json_t *o, const struct ej_path *p, struct event_status *st,
    struct mod_err *err)
{
	struct ej_path pp = { p, "poll", 0 };
	json_t        *poll;
	int            rv;

	if ((rv = ej_object(o, "poll", p, &poll, err)) != 0 || poll == NULL)
		return rv;
	return ej_strs(
	    poll, "options", "title", &pp, &st->poll_options, NULL, err);
}

static int
ej_status_lists(const json_t *o, const struct ej_path *p,
    struct event_status *st, struct mod_err *err)
{
	struct ej_path cp = { p, "card", 0 };
	json_t        *card;
	int            rv;
	size_t         i;

	if ((rv = ej_poll(o, p, st, err)) != 0
	    || (rv = ej_strs(o, "media_attachments", "description", p,
	            &st->media_descriptions, &st->nmedia, err))
	        != 0
	    || (rv = ej_strs(
	            o, "mentions", "acct", p, &st->mention_accts, NULL, err))
	        != 0
	    || (rv = ej_strs(o, "tags", "name", p, &st->tags, NULL, err)) != 0
	    || (rv = ej_object(o, "card", p, &card, err)) != 0)
		return rv;
	for (i = 0; i < st->tags.n; i++)
		if (st->tags.v[i][0] == '#')
			memmove(st->tags.v[i], st->tags.v[i] + 1,
			    strlen(st->tags.v[i]));
	if (card != NULL) {
		char *url = NULL;

		if ((rv = ej_str(card, "url", &cp, &url, err)) != 0)
			return rv;
		if (url != NULL) {
			st->card_urls.v = xcalloc(1, sizeof(char *));
			st->card_urls.v[st->card_urls.n++] = url;
		}
	}
	return 0;
}

/*
 * ej_status_body: what a status says - text, content warning, lists and
 * poll - from o, which is the status itself or, for a boost, the boosted
 * one (a boost has no text of its own: it reads as what it boosts).
 */
static int
ej_status_body(const json_t *o, const struct ej_path *p,
    struct event_status *st, struct mod_err *err)
{
	int rv;

	if ((rv = ej_str(o, "content", p, &st->content_html, err)) != 0
	    || (rv = ej_str(o, "spoiler_text", p, &st->spoiler_text, err))
	        != 0)
		return rv;
	return ej_status_lists(o, p, st, err);
}

/* ej_status: a Status object (webhook, report or bare streaming).  Its
 * id, times, visibility and account are its own even for a boost. */
static int
ej_status(const json_t *o, const struct ej_path *p, struct event_status *st,
    struct mod_err *err)
{
	struct ej_path ap = { p, "account", 0 }, rp = { p, "reblog", 0 };
	json_t        *acct, *reblog;
	int            rv;

	if ((rv = ej_id(o, "id", p, true, &st->id, err)) != 0
	    || (rv = ej_str(o, "uri", p, &st->uri, err)) != 0
	    || (rv = ej_str(o, "url", p, &st->url, err)) != 0
	    || (rv = ej_str(o, "visibility", p, &st->visibility, err)) != 0
	    || (rv = ej_str(o, "language", p, &st->language, err)) != 0
	    || (rv = ej_id(
	            o, "in_reply_to_id", p, false, &st->in_reply_to_id, err))
	        != 0
	    || (rv = ej_time(o, "created_at", p, &st->created_at_ms, err)) != 0
	    || (rv = ej_time(o, "edited_at", p, &st->edited_at_ms, err)) != 0
	    || (rv = ej_bool(o, "sensitive", p, &st->sensitive, err)) != 0
	    || (rv = ej_object(o, "account", p, &acct, err)) != 0
	    || (rv = ej_object(o, "reblog", p, &reblog, err)) != 0)
		return rv;
	if (acct != NULL
	    && (rv = ej_account(acct, &ap, false, &st->account, err)) != 0)
		return rv;
	return reblog != NULL ? ej_status_body(reblog, &rp, st, err)
	                      : ej_status_body(o, p, st, err);
}

static int
ej_report_statuses(const json_t *o, const struct ej_path *p,
    struct event_report *r, struct mod_err *err)
{
	struct ej_path ap = { p, "statuses", 0 }, ep = { &ap, NULL, 0 };
	json_t        *arr, *el;
	size_t         n, i;
	int            rv;

	if ((rv = ej_array(o, "statuses", p, MOD_MAX_REPORT_STATUSES_COUNT,
	         &arr, &n, err))
	        != 0
	    || n == 0)
		return rv;
	r->statuses = xcalloc(n, sizeof(*r->statuses));
	for (i = 0; i < n; i++)
		ej_status_init(&r->statuses[i]);
	r->nstatuses = n;
	for (i = 0; i < n; i++) {
		ep.idx = i;
		el = json_array_get(arr, i);
		if (!json_is_object(el))
			return ej_fail(&ep, NULL, "expected object", err);
		if ((rv = ej_status(el, &ep, &r->statuses[i], err)) != 0)
			return rv;
	}
	return 0;
}

/* ej_report: an Admin::Report. */
static int
ej_report(const json_t *o, const struct ej_path *p, struct event_report *r,
    struct mod_err *err)
{
	struct ej_path rp = { p, "account", 0 },
	               tp = { p, "target_account", 0 };
	json_t *reporter, *target;
	int     rv;

	if ((rv = ej_id(o, "id", p, true, &r->id, err)) != 0
	    || (rv = ej_str(o, "category", p, &r->category, err)) != 0
	    || (rv = ej_str(o, "comment", p, &r->comment, err)) != 0
	    || (rv = ej_time(o, "created_at", p, &r->created_at_ms, err)) != 0
	    || (rv = ej_time(o, "updated_at", p, &r->updated_at_ms, err)) != 0
	    || (rv = ej_bool(o, "forwarded", p, &r->forwarded, err)) != 0
	    || (rv = ej_bool(o, "action_taken", p, &r->action_taken, err)) != 0
	    || (rv = ej_object(o, "account", p, &reporter, err)) != 0
	    || (rv = ej_object(o, "target_account", p, &target, err)) != 0
	    || (rv = ej_strs(o, "rules", "id", p, &r->rule_ids, NULL, err))
	        != 0)
		return rv;
	if (reporter != NULL
	    && (rv = ej_admin_account(reporter, &rp, &r->reporter, err)) != 0)
		return rv;
	if (target != NULL
	    && (rv = ej_admin_account(target, &tp, &r->target, err)) != 0)
		return rv;
	return ej_report_statuses(o, p, r, err);
}

static struct event *
ej_event_new(void)
{
	struct event *ev = xcalloc(1, sizeof(*ev));

	ev->created_at_ms = INT64_MIN;
	ej_status_init(&ev->status);
	ev->report.created_at_ms = ev->report.updated_at_ms = INT64_MIN;
	ej_account_init(&ev->report.reporter);
	ej_account_init(&ev->report.target);
	ej_account_init(&ev->account);
	return ev;
}

/* ej_unknown_event: the name, cut and made printable, in the message. */
static int
ej_unknown_event(const char *name, struct mod_err *err)
{
	char   safe[EJ_ECHO_NAME_BYTES + 1];
	size_t i;

	for (i = 0; name[i] != '\0' && i < EJ_ECHO_NAME_BYTES; i++)
		safe[i] = name[i] > ' ' && name[i] <= '~' && name[i] != '"'
		        && name[i] != '\\'
		    ? name[i]
		    : '?';
	safe[i] = '\0';
	return mod_errf(err, MOD_EINVAL, "unknown event \"%s\"%s", safe,
	    name[i] != '\0' ? "..." : "");
}

/* ej_object_body: the envelope's object, by kind. */
static int
ej_object_body(const json_t *obj, struct event *ev, struct mod_err *err)
{
	static const struct ej_path op = { NULL, "object", 0 };
	int                         rv;

	switch (ev->kind) {
	case EVENT_STATUS_CREATED:
	case EVENT_STATUS_UPDATED:
		rv = ej_status(obj, &op, &ev->status, err);
		ev->object_id = ev->status.id;
		break;
	case EVENT_REPORT_CREATED:
	case EVENT_REPORT_UPDATED:
		rv = ej_report(obj, &op, &ev->report, err);
		ev->object_id = ev->report.id;
		break;
	default:
		rv = ej_admin_account(obj, &op, &ev->account, err);
		if (rv == 0 && ev->account.id == NULL)
			rv = ej_fail(&op, "id", "missing", err);
		ev->object_id = ev->account.id;
		break;
	}
	return rv;
}

static int
ej_envelope(const json_t *root, struct event *ev, struct mod_err *err)
{
	json_t *name = json_object_get(root, "event"), *obj;
	int     kind, rv;

	if (!json_is_string(name))
		return ej_fail(NULL, "event", "expected string", err);
	if ((kind = event_kind_from_name(json_string_value(name))) < 0)
		return ej_unknown_event(json_string_value(name), err);
	ev->kind = (enum event_kind) kind;
	if ((rv = ej_time(root, "created_at", NULL, &ev->created_at_ms, err))
	    != 0)
		return rv;
	if ((obj = ej_get(root, "object")) == NULL)
		return mod_errf(err, MOD_EINVAL, "missing \"object\"");
	if (!json_is_object(obj))
		return ej_fail(NULL, "object", "expected object", err);
	return ej_object_body(obj, ev, err);
}

static int
ej_streamed(const json_t *root, struct event *ev, struct mod_err *err)
{
	static const struct ej_path sp = { NULL, "status", 0 };
	int                         rv;

	ev->streamed = true;
	if ((rv = ej_status(root, &sp, &ev->status, err)) != 0)
		return rv;
	ev->kind = ev->status.edited_at_ms != INT64_MIN ? EVENT_STATUS_UPDATED
	                                                : EVENT_STATUS_CREATED;
	ev->object_id = ev->status.id;
	return 0;
}

static int
ej_root(const json_t *root, struct event *ev, struct mod_err *err)
{
	if (!json_is_object(root))
		return mod_errf(err, MOD_EINVAL, "expected a JSON object");
	if (json_object_get(root, "event") != NULL)
		return ej_envelope(root, ev, err);
	if (json_object_get(root, "id") != NULL
	    && json_object_get(root, "content") != NULL
	    && json_object_get(root, "account") != NULL)
		return ej_streamed(root, ev, err);
	return mod_errf(err, MOD_EINVAL, "missing \"event\"");
}

/*
 * ej_string_end: the index of the quote closing the string whose contents
 * start at i, or len.  memchr finds quote candidates fast; a quote after
 * an odd run of backslashes is escaped.  The run cannot reach back past
 * i - 1, which is a quote.
 */
static size_t
ej_string_end(const char *buf, size_t len, size_t i)
{
	const char *q;
	size_t      j, k;

	while (i < len && (q = memchr(buf + i, '"', len - i)) != NULL) {
		j = (size_t) (q - buf);
		for (k = j; k > i && buf[k - 1] == '\\'; k--)
			;
		if ((j - k) % 2 == 0)
			return j;
		i = j + 1;
	}
	return len;
}

/*
 * ej_depth_check: reject nesting deeper than MOD_MAX_JSON_DEPTH with one
 * flat pass counting brackets outside strings.  Malformed input may pass;
 * jansson rejects it next.
 */
static int
ej_depth_check(const char *buf, size_t len, struct mod_err *err)
{
	size_t depth = 0, i;

	for (i = 0; i < len; i++) {
		switch (buf[i]) {
		case '"':
			i = ej_string_end(buf, len, i + 1);
			break;
		case '[':
		case '{':
			if (++depth > MOD_MAX_JSON_DEPTH)
				return mod_errf(err, MOD_EINVAL,
				    "nesting deeper than %d",
				    MOD_MAX_JSON_DEPTH);
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* jansson error codes to our codes and fixed, content-free messages. */
static int
ej_load_error(const json_error_t *je, struct mod_err *err)
{
	static const struct {
		enum json_error_code jc;
		int                  code;
		const char          *what;
	} map[] = {
		{ json_error_invalid_utf8, MOD_EUTF8, "invalid UTF-8" },
		{ json_error_duplicate_key, MOD_EINVAL, "duplicate key" },
		{ json_error_premature_end_of_input, MOD_EINVAL,
		    "truncated JSON" },
		{ json_error_end_of_input_expected, MOD_EINVAL,
		    "trailing data after JSON" },
		{ json_error_null_character, MOD_EINVAL, "NUL in string" },
		{ json_error_numeric_overflow, MOD_EINVAL,
		    "number out of range" },
		{ json_error_stack_overflow, MOD_EINVAL, "nesting too deep" },
	};
	enum json_error_code jc = json_error_code(je);
	size_t               i;

	for (i = 0; i < nitems(map); i++)
		if (map[i].jc == jc)
			return mod_errf(err, map[i].code,
			    "%s at line %d column %d", map[i].what, je->line,
			    je->column);
	return mod_errf(err, MOD_EINVAL, "invalid JSON at line %d column %d",
	    je->line, je->column);
}

int
event_parse(
    const char *buf, size_t len, struct event **evp, struct mod_err *err)
{
	json_error_t  je;
	json_t       *root = NULL;
	struct event *ev = NULL;
	int           rv;

	*evp = NULL;
	if (buf == NULL && len > 0)
		return mod_errf(err, MOD_EINVAL, "no input");
	if (len > MOD_MAX_EVENT_BYTES)
		return mod_errf(err, MOD_ETOOBIG,
		    "event is %zu bytes, limit %d", len, MOD_MAX_EVENT_BYTES);
	if ((rv = ej_depth_check(buf, len, err)) != 0)
		return rv;
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return ej_load_error(&je, err);
	ev = ej_event_new();
	if ((rv = ej_root(root, ev, err)) != 0)
		goto out;
	*evp = ev;
	ev = NULL;
out:
	event_free(ev);
	json_decref(root);
	return rv;
}
