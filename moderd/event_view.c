/*
 * event_view.c - the normalised view of an event that the matcher reads.
 *
 * event_view_build() turns a parsed struct event into a struct rule_fields:
 * for every rule target a list of strings in the raw view (plain text as
 * written: HTML converted, invalid UTF-8 replaced) and the folded view
 * (text_fold: confusables, NFKC casefold, invisibles removed), each capped
 * at MOD_MAX_TEXT_BYTES; plus the numbers, kind, visibility and locality.
 * event_example() builds the same thing for a synthetic post, so a rule's
 * `expect` lines see exactly what live events see.
 *
 * This runs once per post, so it is built for few allocations: every
 * string of a view lives in one growing arena (a struct buf) and is
 * recorded as an (offset, length) entry while building; only at the end,
 * when the arena no longer moves, are the entries sorted by view and
 * target (a counting sort, stable, so list order is insertion order) into
 * one array of struct rule_str that the rule_fields point into.  One
 * struct text_doc is reused for every HTML fragment.  Nothing is ever
 * read from the arena while something is being appended to it.
 *
 * Which event parts fill which targets (see event.h): status targets come
 * from the status, or from every reported status for reports; account
 * targets from the status's account, the report's target account, or the
 * account of an account event.  url/host/mention/hashtag lists are
 * deduplicated; host is derived from the final url list.  Limits: at most
 * MOD_MAX_VIEW_VALUES_COUNT strings per target and MOD_MAX_VIEW_BYTES in
 * all; what does not fit is dropped, never cut mid-string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "text.h"
#include "util.h"

/* One string of the view while building: where it is in the arena. */
struct ev_ent {
	unsigned char target; /* enum rule_target */
	unsigned char raw; /* 1 raw view, 0 folded */
	size_t        off, len;
	size_t        next; /* next raw value of this target, or EV_NONE */
};

#define EV_NONE SIZE_MAX

struct event_view {
	struct rule_fields f;
	struct buf         arena; /* every string, NUL after each */
	struct rule_str   *strs; /* grouped by view, then target */
};

/* Builder state, on the caller's stack. */
struct ev_build {
	struct event_view *v;
	struct ev_ent     *ents;
	size_t             nents, capents;
	size_t             count[RULE_T_COUNT]; /* values per target */
	size_t             head[RULE_T_COUNT]; /* first raw entry, EV_NONE */
	size_t             tail[RULE_T_COUNT]; /* last raw entry, EV_NONE */
	struct text_doc    doc; /* reused per fragment */
	struct buf         scratch; /* bio being joined */
	int64_t            nmedia;
};

/* Initial arena size: a typical status view fits without regrowing. */
#define EV_ARENA_INIT_BYTES 4096
#define EV_ENTS_INIT_COUNT 32

static void
ev_build_init(struct ev_build *b, struct event_view *v, size_t hint)
{
	int t;

	memset(b, 0, sizeof(*b));
	for (t = 0; t < RULE_T_COUNT; t++)
		b->head[t] = b->tail[t] = EV_NONE;
	b->v = v;
	buf_init(&v->arena, MOD_MAX_VIEW_BYTES);
	/* Pre-size the arena: struct buf's fields are public. */
	v->arena.cap = hint > EV_ARENA_INIT_BYTES ? hint : EV_ARENA_INIT_BYTES;
	if (v->arena.cap > MOD_MAX_VIEW_BYTES)
		v->arena.cap = MOD_MAX_VIEW_BYTES;
	v->arena.data = xmalloc(v->arena.cap);
	v->arena.data[0] = '\0';
	b->capents = EV_ENTS_INIT_COUNT;
	b->ents = xreallocarray(NULL, b->capents, sizeof(*b->ents));
	buf_init(&b->scratch, MOD_MAX_TEXT_BYTES);
}

static void
ev_build_free(struct ev_build *b)
{
	free(b->ents);
	text_doc_free(&b->doc);
	buf_free(&b->scratch);
}

static void
ev_push(
    struct ev_build *b, enum rule_target t, int raw, size_t off, size_t len)
{
	if (b->nents == b->capents) {
		b->capents *= 2;
		b->ents = xreallocarray(b->ents, b->capents, sizeof(*b->ents));
	}
	b->ents[b->nents].target = (unsigned char) t;
	b->ents[b->nents].raw = (unsigned char) raw;
	b->ents[b->nents].off = off;
	b->ents[b->nents].len = len;
	b->ents[b->nents].next = EV_NONE;
	if (raw) {
		/* Chain the raw values per target for ev_add_unique(). */
		if (b->tail[t] == EV_NONE)
			b->head[t] = b->nents;
		else
			b->ents[b->tail[t]].next = b->nents;
		b->tail[t] = b->nents;
	}
	b->nents++;
}

/* ev_room: true if one more value of target t fits the view's limits. */
static bool
ev_room(const struct ev_build *b, enum rule_target t)
{
	return b->count[t] < MOD_MAX_VIEW_VALUES_COUNT
	    && b->v->arena.len + 2 * (MOD_MAX_TEXT_BYTES + 1)
	    <= MOD_MAX_VIEW_BYTES;
}

/* ev_end: close one arena string; ev_room() left space for it. */
static void
ev_end(struct buf *a)
{
	if (buf_appendc(a, '\0') != 0)
		fatalx("event view: arena full despite room check");
}

/*
 * ev_add: s[0..len) as one value of target t, raw (sanitised) and folded.
 * s must not point into the arena.  The room check above guarantees that
 * no append here fails.
 */
static void
ev_add(struct ev_build *b, enum rule_target t, const char *s, size_t len)
{
	struct buf *a = &b->v->arena;
	size_t      off;
	bool        changed;

	if (!ev_room(b, t))
		return;
	off = a->len;
	text_utf8_sanitize(s, len, MOD_MAX_TEXT_BYTES, a, &changed);
	ev_push(b, t, 1, off, a->len - off);
	ev_end(a);
	off = a->len;
	/* On an ICU failure the arena holds the lowercased input: use it. */
	(void) text_fold(s, len, a, NULL);
	ev_push(b, t, 0, off, a->len - off);
	ev_end(a);
	b->count[t]++;
}

static void
ev_adds(struct ev_build *b, enum rule_target t, const char *s)
{
	if (s != NULL)
		ev_add(b, t, s, strlen(s));
}

/* ev_add_unique: as ev_add, unless an equal raw value is already there. */
static void
ev_add_unique(
    struct ev_build *b, enum rule_target t, const char *s, size_t len)
{
	const char *base = b->v->arena.data;
	size_t      i;

	if (!ev_room(b, t))
		return;
	for (i = b->head[t]; i != EV_NONE; i = b->ents[i].next) {
		const struct ev_ent *e = &b->ents[i];

		if (e->len == len && memcmp(base + e->off, s, len) == 0)
			return;
	}
	ev_add(b, t, s, len);
}

static void
ev_add_strs(struct ev_build *b, enum rule_target t, const struct event_strs *l,
    bool unique)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (unique)
			ev_add_unique(b, t, l->v[i], strlen(l->v[i]));
		else
			ev_adds(b, t, l->v[i]);
	}
}

static void
ev_add_list(struct ev_build *b, enum rule_target t, const struct text_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ev_add_unique(b, t, l->v[i], strlen(l->v[i]));
}

/* ev_html: convert one HTML fragment into b->doc, replacing its contents. */
static void
ev_html(struct ev_build *b, const char *html)
{
	buf_reset(&b->doc.text);
	text_list_free(&b->doc.links);
	text_list_free(&b->doc.mentions);
	text_list_free(&b->doc.hashtags);
	b->doc.truncated = false;
	(void) text_html(html, strlen(html), &b->doc);
}

/* ev_status: the status targets of one status. */
static void
ev_status(struct ev_build *b, const struct event_status *st)
{
	if (st->content_html != NULL) {
		ev_html(b, st->content_html);
		ev_add(b, RULE_T_TEXT,
		    b->doc.text.data ? b->doc.text.data : "", b->doc.text.len);
		ev_add_list(b, RULE_T_URL, &b->doc.links);
	} else {
		ev_html(b, "");
	}
	/* A poll's options read as part of the post: more values of text. */
	ev_add_strs(b, RULE_T_TEXT, &st->poll_options, false);
	ev_add_strs(b, RULE_T_URL, &st->card_urls, true);
	if (st->spoiler_text != NULL && st->spoiler_text[0] != '\0')
		ev_adds(b, RULE_T_SPOILER, st->spoiler_text);
	if (st->mention_accts.n > 0)
		ev_add_strs(b, RULE_T_MENTION, &st->mention_accts, true);
	else
		ev_add_list(b, RULE_T_MENTION, &b->doc.mentions);
	if (st->tags.n > 0)
		ev_add_strs(b, RULE_T_HASHTAG, &st->tags, true);
	else
		ev_add_list(b, RULE_T_HASHTAG, &b->doc.hashtags);
	ev_add_strs(
	    b, RULE_T_MEDIA_DESCRIPTION, &st->media_descriptions, false);
	b->nmedia += (int64_t) st->nmedia;
}

/* ev_bio_append: one more piece of the bio, cut to what fits. */
static void
ev_bio_append(struct ev_build *b, const char *s, size_t len)
{
	size_t room = MOD_MAX_TEXT_BYTES - b->scratch.len;

	if (b->scratch.len > 0) {
		if (room == 0 || buf_appendc(&b->scratch, '\n') != 0)
			return;
		room--;
	}
	if (len > room)
		len = text_utf8_trim(s, len, room);
	if (buf_append(&b->scratch, s, len) != 0)
		return; /* cannot happen: len <= room */
}

/* ev_bio: note and profile field values, one line each; urls if asked. */
static void
ev_bio(struct ev_build *b, const struct event_account *a, bool urls)
{
	size_t i;

	buf_reset(&b->scratch);
	if (a->note_html != NULL) {
		ev_html(b, a->note_html);
		ev_bio_append(b, buf_cstr(&b->doc.text), b->doc.text.len);
		if (urls)
			ev_add_list(b, RULE_T_URL, &b->doc.links);
	}
	for (i = 0; i < a->field_values.n; i++) {
		ev_html(b, a->field_values.v[i]);
		ev_bio_append(b, buf_cstr(&b->doc.text), b->doc.text.len);
		if (urls)
			ev_add_list(b, RULE_T_URL, &b->doc.links);
	}
	if (a->note_html != NULL || a->field_values.n > 0)
		ev_add(b, RULE_T_BIO, buf_cstr(&b->scratch), b->scratch.len);
}

static bool
ev_account_local(const struct event_account *a)
{
	return (a->domain == NULL || a->domain[0] == '\0')
	    && (a->acct == NULL || strchr(a->acct, '@') == NULL);
}

/* ev_account: the account targets of a. */
static void
ev_account(struct ev_build *b, const struct event_account *a, bool urls)
{
	if (!a->present)
		return;
	ev_adds(b, RULE_T_DISPLAY_NAME, a->display_name);
	ev_adds(b, RULE_T_USERNAME, a->username);
	ev_adds(b, RULE_T_ACCT, a->acct);
	ev_adds(b, RULE_T_DOMAIN, ev_account_local(a) ? "" : a->domain);
	ev_bio(b, a, urls);
}

/* ev_hosts: the host of every url value, deduplicated. */
static void
ev_hosts(struct ev_build *b)
{
	char   host[MOD_MAX_URL_BYTES + 1];
	size_t i;

	/* Adding hosts may move b->ents, so hold indices, not pointers. */
	for (i = b->head[RULE_T_URL]; i != EV_NONE; i = b->ents[i].next) {
		const char *url = b->v->arena.data + b->ents[i].off;

		if (text_url_host(url, b->ents[i].len, host, sizeof(host))
		    == 0)
			ev_add_unique(b, RULE_T_HOST, host, strlen(host));
	}
}

static void
ev_num(struct rule_fields *f, enum rule_num n, int64_t val)
{
	f->num[n] = val;
	f->num_known |= 1u << n;
}

/* ev_account_nums: age at time t, and the account's counters. */
static void
ev_account_nums(
    struct rule_fields *f, const struct event_account *a, int64_t t)
{
	if (!a->present)
		return;
	if (t != INT64_MIN && a->created_at_ms != INT64_MIN)
		ev_num(f, RULE_N_ACCOUNT_AGE, (t - a->created_at_ms) / 1000);
	if (a->followers >= 0)
		ev_num(f, RULE_N_FOLLOWERS, a->followers);
	if (a->following >= 0)
		ev_num(f, RULE_N_FOLLOWING, a->following);
	if (a->statuses >= 0)
		ev_num(f, RULE_N_STATUSES, a->statuses);
	f->local = ev_account_local(a) ? 1 : 0;
}

static enum rule_visibility
ev_visibility(const char *s)
{
	static const struct {
		const char          *name;
		enum rule_visibility vis;
	} map[] = {
		{ "public", RULE_VIS_PUBLIC },
		{ "unlisted", RULE_VIS_UNLISTED },
		{ "private", RULE_VIS_PRIVATE },
		{ "direct", RULE_VIS_DIRECT },
	};
	size_t i;

	for (i = 0; s != NULL && i < nitems(map); i++)
		if (strcmp(s, map[i].name) == 0)
			return map[i].vis;
	return RULE_VIS_UNKNOWN;
}

/* ev_utf8_count: code points in valid UTF-8. */
static int64_t
ev_utf8_count(const char *s, size_t len)
{
	int64_t n = 0;
	size_t  i;

	for (i = 0; i < len; i++)
		n += ((unsigned char) s[i] & 0xC0) != 0x80;
	return n;
}

/*
 * ev_finish: sort the entries into one rule_str array, grouped by view
 * and target, and point the fields at it.  The arena is final now.
 */
static void
ev_finish(struct ev_build *b)
{
	struct event_view  *v = b->v;
	struct rule_fields *f = &v->f;
	size_t              start[2][RULE_T_COUNT], pos = 0, i;
	int                 raw, t;

	for (raw = 0; raw < 2; raw++)
		for (t = 0; t < RULE_T_COUNT; t++) {
			start[raw][t] = pos;
			pos += b->count[t];
		}
	v->strs = xcalloc(pos ? pos : 1, sizeof(*v->strs));
	for (i = 0; i < b->nents; i++) {
		const struct ev_ent *e = &b->ents[i];
		size_t               k = start[e->raw][e->target]++;

		v->strs[k].s = v->arena.data + e->off;
		v->strs[k].len = e->len;
	}
	/* Every string came from jansson (validated), ICU or a sanitiser;
	 * fuzz_event_json checks this promise. */
	f->utf8_valid = true;
	for (t = 0; t < RULE_T_COUNT; t++) {
		f->folded[t].n = f->raw[t].n = b->count[t];
		f->folded[t].v = v->strs + start[0][t] - b->count[t];
		f->raw[t].v = v->strs + start[1][t] - b->count[t];
	}
}

/* ev_text_nums: counts of the status targets and the text length. */
static void
ev_text_nums(struct ev_build *b)
{
	struct rule_fields      *f = &b->v->f;
	const struct rule_field *text = &f->folded[RULE_T_TEXT];

	ev_num(f, RULE_N_LINKS, (int64_t) f->raw[RULE_T_URL].n);
	ev_num(f, RULE_N_MENTIONS, (int64_t) f->raw[RULE_T_MENTION].n);
	ev_num(f, RULE_N_HASHTAGS, (int64_t) f->raw[RULE_T_HASHTAG].n);
	ev_num(f, RULE_N_MEDIA, b->nmedia);
	if (text->n > 0)
		ev_num(f, RULE_N_LENGTH,
		    ev_utf8_count(text->v[0].s, text->v[0].len));
}

static int64_t
ev_time(int64_t own, int64_t envelope)
{
	return own != INT64_MIN ? own : envelope;
}

static void
ev_build_status(struct ev_build *b, const struct event *ev)
{
	const struct event_status *st = &ev->status;

	ev_status(b, st);
	ev_account(b, &st->account, false);
	ev_hosts(b);
	ev_finish(b);
	ev_text_nums(b);
	ev_account_nums(&b->v->f, &st->account,
	    ev_time(st->created_at_ms, ev->created_at_ms));
	b->v->f.visibility = ev_visibility(st->visibility);
}

static void
ev_build_report(struct ev_build *b, const struct event *ev)
{
	const struct event_report *r = &ev->report;
	size_t                     i;

	for (i = 0; i < r->nstatuses; i++)
		ev_status(b, &r->statuses[i]);
	ev_account(b, &r->target, false);
	if (r->comment != NULL && r->comment[0] != '\0')
		ev_adds(b, RULE_T_REPORT_COMMENT, r->comment);
	ev_adds(b, RULE_T_REPORT_CATEGORY, r->category);
	ev_hosts(b);
	ev_finish(b);
	ev_text_nums(b);
	ev_account_nums(&b->v->f, &r->target,
	    ev_time(r->created_at_ms, ev->created_at_ms));
}

static void
ev_build_account(struct ev_build *b, const struct event *ev)
{
	struct rule_fields *f = &b->v->f;

	ev_account(b, &ev->account, true);
	ev_hosts(b);
	ev_finish(b);
	ev_num(f, RULE_N_LINKS, (int64_t) f->raw[RULE_T_URL].n);
	ev_account_nums(f, &ev->account, ev->created_at_ms);
}

/* ev_size_hint: a guess of the arena size, to allocate it once. */
static size_t
ev_size_hint(const struct event *ev)
{
	const struct event_status *st = &ev->status;
	size_t                     n = 0;

	if (ev->kind <= EVENT_STATUS_UPDATED && st->content_html != NULL)
		n = 2 * strlen(st->content_html);
	return n + 1024;
}

static struct event_view *
ev_view_new(void)
{
	struct event_view *v = xcalloc(1, sizeof(*v));

	v->f.local = -1;
	v->f.visibility = RULE_VIS_UNKNOWN;
	return v;
}

int
event_view_build(
    const struct event *ev, struct event_view **out, struct mod_err *err)
{
	struct ev_build    b;
	struct event_view *v;

	*out = NULL;
	if (ev == NULL || (unsigned) ev->kind >= EVENT_KIND_COUNT)
		return mod_errf(err, MOD_EINVAL, "no event to view");
	v = ev_view_new();
	v->f.kind = event_kind_rule_bit(ev->kind);
	ev_build_init(&b, v, ev_size_hint(ev));
	switch (ev->kind) {
	case EVENT_STATUS_CREATED:
	case EVENT_STATUS_UPDATED:
		ev_build_status(&b, ev);
		break;
	case EVENT_REPORT_CREATED:
	case EVENT_REPORT_UPDATED:
		ev_build_report(&b, ev);
		break;
	default:
		ev_build_account(&b, ev);
		break;
	}
	ev_build_free(&b);
	*out = v;
	return 0;
}

void
event_view_free(struct event_view *v)
{
	if (v == NULL)
		return;
	buf_free(&v->arena);
	free(v->strs);
	free(v);
}

const struct rule_fields *
event_view_fields(const struct event_view *v)
{
	return &v->f;
}

/* ev_example_build: the view of a synthetic post with plain text s. */
static void
ev_example_build(struct ev_build *b, const char *s, size_t len)
{
	static const enum rule_target single[] = { RULE_T_TEXT, RULE_T_SPOILER,
		RULE_T_DISPLAY_NAME, RULE_T_USERNAME, RULE_T_ACCT,
		RULE_T_DOMAIN, RULE_T_BIO, RULE_T_MEDIA_DESCRIPTION,
		RULE_T_REPORT_COMMENT, RULE_T_REPORT_CATEGORY };
	struct rule_fields           *f = &b->v->f;
	size_t                        i;

	for (i = 0; i < nitems(single); i++)
		ev_add(b, single[i], s, len);
	text_plain_extract(s, len, &b->doc);
	ev_add_list(b, RULE_T_URL, &b->doc.links);
	ev_add_list(b, RULE_T_MENTION, &b->doc.mentions);
	ev_add_list(b, RULE_T_HASHTAG, &b->doc.hashtags);
	ev_hosts(b);
	ev_finish(b);
	ev_text_nums(b);
	ev_num(f, RULE_N_ACCOUNT_AGE, 0);
	ev_num(f, RULE_N_FOLLOWERS, 0);
	ev_num(f, RULE_N_FOLLOWING, 0);
	ev_num(f, RULE_N_STATUSES, 0);
	f->visibility = RULE_VIS_PUBLIC;
	f->local = 1;
}

int
event_example(void *arg, const char *text, size_t len, unsigned kind,
    int (*check)(void *carg, const struct rule_fields *f), void *carg)
{
	struct ev_build    b;
	struct event_view *v;
	int                rv;

	(void) arg;
	if (kind == 0 || (kind & ~(unsigned) RULE_K_ALL) != 0
	    || (kind & (kind - 1)) != 0 || (text == NULL && len > 0))
		return MOD_EINVAL;
	v = ev_view_new();
	v->f.kind = kind;
	ev_build_init(&b, v,
	    22 * (len < MOD_MAX_TEXT_BYTES ? len : MOD_MAX_TEXT_BYTES) + 1024);
	ev_example_build(&b, text ? text : "", len);
	ev_build_free(&b);
	rv = check(carg, &v->f);
	event_view_free(v);
	return rv;
}
