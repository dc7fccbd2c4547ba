/*
 * event.c - lifecycle of struct event: kind names, freeing, dedup keys.
 *
 * The event model itself is plain data (see event.h); event_json.c fills
 * it from JSON and event_view.c derives what the matcher reads.  This file
 * holds the small pieces both need: the table of kind names (in enum
 * order, which is also the order of the RULE_K_* bits), event_free(), and
 * the dedup key intake uses to make webhook retries idempotent.
 *
 * Mastodon retries a webhook delivery with the very same serialised body,
 * so a key made of the kind, the object id and the object's version time
 * (edited_at / updated_at / created_at, or the envelope time for account
 * events, whose objects carry no version) is the same for every retry and
 * differs after a real edit.  Nothing here allocates except event_free's
 * counterpart in event_json.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

static const char *const event_kind_names[EVENT_KIND_COUNT] = {
	[EVENT_STATUS_CREATED] = "status.created",
	[EVENT_STATUS_UPDATED] = "status.updated",
	[EVENT_REPORT_CREATED] = "report.created",
	[EVENT_REPORT_UPDATED] = "report.updated",
	[EVENT_ACCOUNT_CREATED] = "account.created",
	[EVENT_ACCOUNT_APPROVED] = "account.approved",
	[EVENT_ACCOUNT_UPDATED] = "account.updated",
};

const char *
event_kind_name(enum event_kind k)
{
	if ((unsigned) k >= EVENT_KIND_COUNT)
		return "unknown";
	return event_kind_names[k];
}

int
event_kind_from_name(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < nitems(event_kind_names); i++)
		if (strcmp(s, event_kind_names[i]) == 0)
			return (int) i;
	return -1;
}

unsigned
event_kind_rule_bit(enum event_kind k)
{
	static const unsigned bits[EVENT_KIND_COUNT] = {
		[EVENT_STATUS_CREATED] = RULE_K_STATUS_CREATED,
		[EVENT_STATUS_UPDATED] = RULE_K_STATUS_UPDATED,
		[EVENT_REPORT_CREATED] = RULE_K_REPORT_CREATED,
		[EVENT_REPORT_UPDATED] = RULE_K_REPORT_UPDATED,
		[EVENT_ACCOUNT_CREATED] = RULE_K_ACCOUNT_CREATED,
		[EVENT_ACCOUNT_APPROVED] = RULE_K_ACCOUNT_APPROVED,
		[EVENT_ACCOUNT_UPDATED] = RULE_K_ACCOUNT_UPDATED,
	};

	if ((unsigned) k >= EVENT_KIND_COUNT)
		return 0;
	return bits[k];
}

static void
event_strs_free(struct event_strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
event_account_free(struct event_account *a)
{
	free(a->id);
	free(a->username);
	free(a->acct);
	free(a->domain);
	free(a->display_name);
	free(a->note_html);
	event_strs_free(&a->field_values);
	free(a->email);
	free(a->ip);
}

static void
event_status_free(struct event_status *st)
{
	free(st->id);
	free(st->uri);
	free(st->url);
	free(st->content_html);
	free(st->spoiler_text);
	free(st->visibility);
	free(st->language);
	free(st->in_reply_to_id);
	event_account_free(&st->account);
	event_strs_free(&st->media_descriptions);
	event_strs_free(&st->mention_accts);
	event_strs_free(&st->tags);
	event_strs_free(&st->card_urls);
	event_strs_free(&st->poll_options);
}

static void
event_report_free(struct event_report *r)
{
	size_t i;

	free(r->id);
	free(r->category);
	free(r->comment);
	event_account_free(&r->reporter);
	event_account_free(&r->target);
	for (i = 0; i < r->nstatuses; i++)
		event_status_free(&r->statuses[i]);
	free(r->statuses);
	event_strs_free(&r->rule_ids);
}

void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	event_status_free(&ev->status);
	event_report_free(&ev->report);
	event_account_free(&ev->account);
	free(ev);
}

/* The version time of an event's object: what changes on a real edit. */
static int64_t
event_version_ms(const struct event *ev)
{
	int64_t t[3];
	size_t  i;

	switch (ev->kind) {
	case EVENT_STATUS_CREATED:
	case EVENT_STATUS_UPDATED:
		t[0] = ev->status.edited_at_ms;
		t[1] = ev->status.created_at_ms;
		t[2] = ev->created_at_ms;
		break;
	case EVENT_REPORT_CREATED:
	case EVENT_REPORT_UPDATED:
		t[0] = ev->report.updated_at_ms;
		t[1] = ev->report.created_at_ms;
		t[2] = ev->created_at_ms;
		break;
	default:
		/* Admin::Account has no updated_at; the envelope time is
		 * fixed per delivery and differs between two updates. */
		t[0] = ev->created_at_ms;
		t[1] = ev->account.created_at_ms;
		t[2] = INT64_MIN;
		break;
	}
	for (i = 0; i < nitems(t); i++)
		if (t[i] != INT64_MIN)
			return t[i];
	return 0;
}

int
event_dedup_key(const struct event *ev, char *out, size_t outsz)
{
	int n;

	n = snprintf(out, outsz, "%s:%s:%" PRId64, event_kind_name(ev->kind),
	    ev->object_id ? ev->object_id : "", event_version_ms(ev));
	if (n < 0 || (size_t) n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return MOD_ETOOBIG;
	}
	return 0;
}
