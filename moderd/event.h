/*
 * event.h - the typed event model: Mastodon webhook envelopes and bare
 * streaming Status objects parsed into struct event, and the normalised
 * view of an event that the rule matcher reads.
 *
 * Ownership: struct event owns all its strings; free with event_free().
 * struct event_view owns the normalised text and borrows nothing from the
 * event after event_view_build() returns.
 */
#ifndef MODERD_EVENT_H
#define MODERD_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moderd.h"
#include "rules.h"

enum event_kind {
	EVENT_STATUS_CREATED,
	EVENT_STATUS_UPDATED,
	EVENT_REPORT_CREATED,
	EVENT_REPORT_UPDATED,
	EVENT_ACCOUNT_CREATED,
	EVENT_ACCOUNT_APPROVED,
	EVENT_ACCOUNT_UPDATED,
	EVENT_KIND_COUNT
};

/* A string list owned by the event (capped at MOD_MAX_ARRAY_COUNT). */
struct event_strs {
	char **v;
	size_t n;
};

/* Public Account, or Admin::Account flattened (admin fields may be NULL). */
struct event_account {
	char *id;
	char *username;
	char *acct; /* "user" for local, "user@domain" for remote */
	char *domain; /* NULL for local accounts */
	char *display_name;
	char *note_html; /* bio, HTML */
	struct event_strs field_values; /* profile field values, HTML */
	char             *email; /* Admin::Account only */
	char             *ip; /* Admin::Account only */
	int64_t           created_at_ms; /* INT64_MIN if absent */
	int64_t           followers, following, statuses; /* -1 if absent */
	bool              bot;
	bool present; /* false if the payload had no account here */
};

struct event_status {
	char                *id;
	char                *uri;
	char                *url;
	char                *content_html;
	char                *spoiler_text;
	char                *visibility; /* public|unlisted|private|direct */
	char                *language;
	char                *in_reply_to_id;
	int64_t              created_at_ms; /* INT64_MIN if absent */
	int64_t              edited_at_ms; /* INT64_MIN if never edited */
	bool                 sensitive;
	struct event_account account;
	struct event_strs    media_descriptions; /* non-null descriptions */
	size_t               nmedia; /* attachments, described or not */
	struct event_strs    mention_accts;
	struct event_strs    tags; /* names without '#' */
	struct event_strs    card_urls; /* preview card url, if any */
	struct event_strs    poll_options; /* titles of its poll's options */
};

struct event_report {
	char                *id;
	char                *category; /* spam|legal|violation|other|… */
	char                *comment;
	int64_t              created_at_ms;
	int64_t              updated_at_ms;
	bool                 forwarded;
	bool                 action_taken;
	struct event_account reporter;
	struct event_account target;
	struct event_status *statuses; /* array of nstatuses */
	size_t               nstatuses;
	struct event_strs    rule_ids;
};

struct event {
	enum event_kind kind;
	bool            streamed; /* came as a bare streaming Status */
	int64_t         created_at_ms; /* envelope time; INT64_MIN if none */
	char           *object_id; /* borrowed alias of the object's id */
	struct event_status  status; /* status.* */
	struct event_report  report; /* report.* */
	struct event_account account; /* account.* */
};

/* Names: "status.created" … and back (-1 if unknown). */
const char *event_kind_name(enum event_kind k);
int         event_kind_from_name(const char *s);
/* event_kind_rule_bit: the RULE_K_* bit of a kind. */
unsigned event_kind_rule_bit(enum event_kind k);

/*
 * event_parse: parse one JSON document: a webhook envelope
 * {"event","created_at","object"} or a bare streaming Status (taken as
 * status.created, or status.updated when edited_at is set).  Strict about
 * types of the fields it uses; rejects documents over MOD_MAX_EVENT_BYTES,
 * nesting deeper than MOD_MAX_JSON_DEPTH, duplicate keys, unknown event
 * names, missing ids.  Over-long strings are cut at MOD_MAX_FIELD_BYTES and
 * arrays at MOD_MAX_ARRAY_COUNT; invalid UTF-8 is rejected by the JSON
 * reader (MOD_EUTF8 with a message).  On success *evp is a new event
 * (caller frees with event_free()).  On failure *evp is NULL and err says
 * why in one line without post content.
 */
int event_parse(const char *buf, size_t len, struct event **evp,
    struct mod_err *err) MOD_MUSTCHECK;

/* event_free: NULL-safe. */
void event_free(struct event *ev);

/*
 * event_dedup_key: "KIND:OBJECT_ID:VERSION" where VERSION is edited_at or
 * updated_at (or created_at) in ms, so a retried delivery maps to the same
 * key and a real edit does not.  Returns 0 or MOD_ETOOBIG.
 */
int event_dedup_key(
    const struct event *ev, char *out, size_t outsz) MOD_MUSTCHECK;

/*
 * The normalised view of an event for the matcher: every target in folded
 * and raw views, numbers, kind, visibility, locality.  For report events,
 * status targets are the union over the reported statuses (plus the
 * report comment in report_comment) and account targets describe the
 * target account.  Time conditions are measured at the event's own time:
 * account_age = (status or report created_at, else envelope created_at)
 * minus the account's created_at.
 */
struct event_view;

/* event_view_build: caller frees *out with event_view_free(). */
int  event_view_build(const struct event *ev, struct event_view **out,
     struct mod_err *err) MOD_MUSTCHECK;
void event_view_free(struct event_view *v);

/* event_view_fields: borrowed, valid until event_view_free(). */
const struct rule_fields *event_view_fields(const struct event_view *v);

/*
 * event_example: the rule_example_fn for ruleset_opts: builds the view of
 * a synthetic post with plain text `text` by a brand-new (age 0, 0
 * followers, 0 statuses) local account with public visibility, of the
 * given kind; every string target holds the text (text, spoiler,
 * display_name, username, acct, domain, bio, media_description,
 * report_comment, report_category), so any rule's example exercises its
 * targets, and url, host, mention and hashtag are extracted from it
 * (text_plain_extract).  All numbers are known: account_age, followers,
 * following and statuses 0, links/mentions/hashtags the counts extracted,
 * media 0, length the code points of the folded text.  Returns what check
 * returned, or MOD_EINVAL if kind is not one RULE_K_* bit.
 */
int event_example(void *arg, const char *text, size_t len, unsigned kind,
    int (*check)(void *carg, const struct rule_fields *f), void *carg);

#endif /* MODERD_EVENT_H */
