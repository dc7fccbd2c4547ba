/*
 * test_event_json.c - event_parse() and the event model (event.c).
 *
 * Fixtures are real-shaped Mastodon payloads in tests/fixtures/events/ (one
 * per webhook kind plus a bare streaming Status).  Error cases are made by
 * editing a fixture with jansson (set or delete one member by path) and
 * checking the code and the one-line message, so every case differs from
 * a valid payload in exactly one place.  Tests run from the repository
 * root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "event.h"
#include "util.h"

#define FIXTURES "tests/fixtures/events/"

/* fixture_path: FIXTURES/name under $MODERD_SRCDIR (default "."). */
static void
fixture_path(const char *name, char *out, size_t outsz)
{
	const char *root = getenv("MODERD_SRCDIR");

	snprintf(
	    out, outsz, "%s/%s%s", root && *root ? root : ".", FIXTURES, name);
}

static char *
fixture(const char *name, size_t *len)
{
	char           path[MOD_MAX_PATH_BYTES];
	char          *data = NULL;
	size_t         n = 0;
	struct mod_err err;

	fixture_path(name, path, sizeof(path));
	assert_int_equal(
	    mod_read_file(path, MOD_MAX_EVENT_BYTES, &data, &n, &err), 0);
	if (len != NULL)
		*len = n;
	return data;
}

static struct event *
parse_ok(const char *buf, size_t len)
{
	struct event  *ev = NULL;
	struct mod_err err = { 0 };
	int            rv = event_parse(buf, len, &ev, &err);

	if (rv != 0)
		fail_msg("event_parse: %d %s", rv, err.msg);
	assert_non_null(ev);
	return ev;
}

static struct event *
parse_fixture(const char *name)
{
	size_t        len;
	char         *buf = fixture(name, &len);
	struct event *ev = parse_ok(buf, len);

	free(buf);
	return ev;
}

/* parse_err: expect failure with code and a message containing want. */
static void
parse_err(const char *buf, size_t len, int code, const char *want)
{
	struct event  *ev = (struct event *) 1;
	struct mod_err err = { 0 };
	int            rv = event_parse(buf, len, &ev, &err);

	if (rv != code || strstr(err.msg, want) == NULL)
		fail_msg(
		    "want %d \"%s\", got %d \"%s\"", code, want, rv, err.msg);
	assert_null(ev);
	assert_null(strchr(err.msg, '\n'));
}

/*
 * mutate: the fixture with the member at path ("object.statuses.0.id",
 * numbers index arrays) set to the JSON value text, or deleted if NULL.
 * Returns a compact JSON string (free()).
 */
static char *
mutate(const char *name, const char *path, const char *value)
{
	char        *buf = fixture(name, NULL), *out, *p, *seg, *next;
	json_t      *root, *cur, *val = NULL;
	json_error_t je;
	char         copy[256];

	root = json_loads(buf, 0, &je);
	assert_non_null(root);
	free(buf);
	if (value != NULL) {
		val = json_loads(value, JSON_DECODE_ANY, &je);
		assert_non_null(val);
	}
	mod_strlcpy(copy, path, sizeof(copy));
	cur = root;
	for (seg = copy; (p = strchr(seg, '.')) != NULL; seg = next) {
		*p = '\0';
		next = p + 1;
		cur = json_is_array(cur)
		    ? json_array_get(cur, strtoul(seg, NULL, 10))
		    : json_object_get(cur, seg);
		assert_non_null(cur);
	}
	if (json_is_array(cur)) {
		assert_int_equal(
		    json_array_set_new(cur, strtoul(seg, NULL, 10), val), 0);
	} else if (val != NULL) {
		assert_int_equal(json_object_set_new(cur, seg, val), 0);
	} else {
		assert_int_equal(json_object_del(cur, seg), 0);
	}
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	assert_non_null(out);
	return out;
}

/* --- the seven webhook kinds and the bare Status --- */

static const struct {
	const char     *file;
	enum event_kind kind;
	bool            streamed;
	const char     *object_id;
	int64_t         envelope_ms;
} kinds[] = {
	{ "status_created.json", EVENT_STATUS_CREATED, false,
	    "113999000111222333", 1771319564120 },
	{ "status_updated.json", EVENT_STATUS_UPDATED, false,
	    "113999000111222333", 1771320001000 },
	{ "report_created.json", EVENT_REPORT_CREATED, false, "8437",
	    1698327240351 },
	{ "report_updated.json", EVENT_REPORT_UPDATED, false, "8437",
	    1698328800000 },
	{ "account_created.json", EVENT_ACCOUNT_CREATED, false,
	    "113990000000000777", 1771322401500 },
	{ "account_approved.json", EVENT_ACCOUNT_APPROVED, false,
	    "113990000000000777", 1771327800000 },
	{ "account_updated.json", EVENT_ACCOUNT_UPDATED, false,
	    "113990000000000777", 1771401600000 },
	{ "streaming_status.json", EVENT_STATUS_CREATED, true,
	    "113999000555666777", INT64_MIN },
};

static void
test_kinds(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(kinds); i++) {
		struct event *ev = parse_fixture(kinds[i].file);

		assert_int_equal(ev->kind, kinds[i].kind);
		assert_int_equal(ev->streamed, kinds[i].streamed);
		assert_string_equal(ev->object_id, kinds[i].object_id);
		assert_true(ev->created_at_ms == kinds[i].envelope_ms);
		event_free(ev);
	}
}

static void
test_status_fields(void **state)
{
	struct event         *ev = parse_fixture("status_created.json");
	struct event_status  *st = &ev->status;
	struct event_account *a = &st->account;

	(void) state;
	assert_ptr_equal(ev->object_id, st->id);
	assert_true(st->created_at_ms == 1771319564000);
	assert_true(st->edited_at_ms == INT64_MIN);
	assert_string_equal(st->visibility, "public");
	assert_string_equal(st->language, "en");
	assert_string_equal(st->spoiler_text, "");
	assert_null(st->in_reply_to_id);
	assert_false(st->sensitive);
	assert_non_null(strstr(st->content_html, "class=\"u-url mention\""));
	assert_string_equal(
	    st->url, "https://example.social/@newbie/113999000111222333");
	assert_int_equal(st->nmedia, 1);
	assert_int_equal(st->media_descriptions.n, 1);
	assert_string_equal(st->media_descriptions.v[0], "alt text");
	assert_int_equal(st->mention_accts.n, 1);
	assert_string_equal(st->mention_accts.v[0], "alice@other.example");
	assert_int_equal(st->tags.n, 1);
	assert_string_equal(st->tags.v[0], "casino");
	assert_int_equal(st->card_urls.n, 0);
	assert_true(a->present);
	assert_string_equal(a->id, "113990000000000001");
	assert_string_equal(a->username, "newbie");
	assert_string_equal(a->acct, "newbie");
	assert_null(a->domain);
	assert_string_equal(a->display_name, "Nicole");
	assert_string_equal(a->note_html, "<p>Hi, I\xe2\x80\x99m Nicole!</p>");
	assert_int_equal(a->field_values.n, 1);
	assert_true(a->created_at_ms == 1771286400000);
	assert_true(a->followers == 0 && a->following == 0);
	assert_true(a->statuses == 1);
	assert_null(a->email);
	event_free(ev);
}

static void
test_report_fields(void **state)
{
	struct event        *ev = parse_fixture("report_created.json");
	struct event_report *r = &ev->report;

	(void) state;
	assert_string_equal(r->id, "8437");
	assert_string_equal(r->category, "violation");
	assert_string_equal(r->comment, "");
	assert_true(r->forwarded);
	assert_false(r->action_taken);
	assert_true(r->created_at_ms == 1698327240348);
	assert_true(r->updated_at_ms == 1698327240348);
	/* Admin::Account flattened: the exact admin created_at wins. */
	assert_string_equal(r->reporter.username, "bobisaburger");
	assert_string_equal(r->reporter.email, "bob@example.com");
	assert_string_equal(r->reporter.ip, "12.34.56.78");
	assert_true(r->reporter.created_at_ms == 1689223162493);
	assert_true(r->reporter.followers == 100);
	assert_true(r->reporter.following == 200);
	assert_null(r->reporter.domain);
	assert_string_equal(r->target.id, "123454321");
	assert_string_equal(r->target.username, "cheeseperson");
	assert_string_equal(r->target.domain, "someothermastodonsite.com");
	assert_string_equal(
	    r->target.acct, "cheeseperson@someothermastodonsite.com");
	assert_null(r->target.email);
	assert_true(r->target.followers == -1);
	assert_int_equal(r->nstatuses, 1);
	assert_string_equal(r->statuses[0].id, "12345678987654321");
	assert_string_equal(r->statuses[0].in_reply_to_id, "1918282746465");
	assert_true(r->statuses[0].edited_at_ms == 1698319831000);
	assert_string_equal(
	    r->statuses[0].mention_accts.v[0], "thirdperson@emailwebsite.com");
	assert_true(r->statuses[0].account.present);
	assert_null(r->statuses[0].account.acct);
	assert_int_equal(r->rule_ids.n, 1);
	assert_string_equal(r->rule_ids.v[0], "2");
	assert_false(ev->status.account.present);
	event_free(ev);
}

static void
test_account_fields(void **state)
{
	struct event         *ev = parse_fixture("account_created.json");
	struct event_account *a = &ev->account;

	(void) state;
	assert_true(a->present);
	assert_string_equal(a->id, "113990000000000777");
	assert_string_equal(a->username, "freecoins");
	assert_string_equal(a->acct, "freecoins");
	assert_null(a->domain);
	assert_string_equal(a->email, "freecoins@mailinator.example");
	assert_string_equal(a->ip, "203.0.113.7");
	assert_true(a->created_at_ms == 1771322398250);
	assert_string_equal(a->display_name, "FREE BTC \xe2\x9c\xa8");
	assert_int_equal(a->field_values.n, 2);
	assert_string_equal(a->field_values.v[1], "bc1qexamplewallet");
	assert_true(a->followers == 0 && a->following == 3);
	assert_true(a->statuses == 0);
	assert_false(a->bot);
	event_free(ev);
}

static void
test_streaming_fields(void **state)
{
	struct event        *ev = parse_fixture("streaming_status.json");
	struct event_status *st = &ev->status;
	char                *edited;

	(void) state;
	assert_true(st->sensitive);
	assert_string_equal(st->spoiler_text, "giveaway");
	assert_string_equal(st->account.acct, "promo@spam.example");
	assert_string_equal(st->account.domain, "spam.example");
	assert_true(st->account.bot);
	assert_int_equal(st->nmedia, 2);
	assert_int_equal(st->media_descriptions.n, 1);
	assert_string_equal(st->media_descriptions.v[0], "QR code to claim");
	assert_int_equal(st->card_urls.n, 1);
	assert_string_equal(st->card_urls.v[0], "https://bit.example/abc");
	assert_int_equal(st->mention_accts.n, 0);
	event_free(ev);

	/* A streamed Status that was edited is status.updated. */
	edited = mutate("streaming_status.json", "edited_at",
	    "\"2026-02-17T12:05:00.000Z\"");
	ev = parse_ok(edited, strlen(edited));
	assert_int_equal(ev->kind, EVENT_STATUS_UPDATED);
	assert_true(ev->streamed);
	assert_true(ev->status.edited_at_ms == 1771329900000);
	event_free(ev);
	free(edited);
}

/* --- one change to a valid payload, and what event_parse says --- */

static const struct {
	const char *file, *path, *value; /* value NULL: delete */
	int         code;
	const char *msg; /* NULL: accepted */
} edits[] = {
	{ "status_created.json", "object.content", "5", MOD_EINVAL,
	    "object.content: expected string" },
	{ "status_created.json", "object.mentions", "{}", MOD_EINVAL,
	    "object.mentions: expected array" },
	{ "status_created.json", "object.mentions.0", "\"alice\"", MOD_EINVAL,
	    "object.mentions[0]: expected object" },
	{ "status_created.json", "object.mentions.0.acct", "7", MOD_EINVAL,
	    "object.mentions[0].acct: expected string" },
	{ "status_created.json", "object.tags", "\"casino\"", MOD_EINVAL,
	    "object.tags: expected array" },
	{ "status_created.json", "object.tags.0.name", "[]", MOD_EINVAL,
	    "object.tags[0].name: expected string" },
	{ "status_created.json", "object.media_attachments.0.description",
	    "true", MOD_EINVAL,
	    "object.media_attachments[0].description: expected string" },
	{ "status_created.json", "object.media_attachments", "1", MOD_EINVAL,
	    "object.media_attachments: expected array" },
	{ "status_created.json", "object.reblog", "5", MOD_EINVAL,
	    "object.reblog: expected object" },
	{ "status_created.json", "object.reblog", "{\"content\":5}",
	    MOD_EINVAL, "object.reblog.content: expected string" },
	{ "status_created.json", "object.reblog",
	    "{\"poll\":{\"options\":[1]}}", MOD_EINVAL,
	    "object.reblog.poll.options[0]: expected object" },
	{ "status_created.json", "object.poll", "[]", MOD_EINVAL,
	    "object.poll: expected object" },
	{ "status_created.json", "object.poll",
	    "{\"options\":[{\"title\":5}]}", MOD_EINVAL,
	    "object.poll.options[0].title: expected string" },
	{ "status_created.json", "object.poll", "{\"options\":{}}", MOD_EINVAL,
	    "object.poll.options: expected array" },
	{ "status_created.json", "object.spoiler_text", "{}", MOD_EINVAL,
	    "object.spoiler_text: expected string" },
	{ "status_created.json", "object.visibility", "1", MOD_EINVAL,
	    "object.visibility: expected string" },
	{ "status_created.json", "object.sensitive", "\"no\"", MOD_EINVAL,
	    "object.sensitive: expected boolean" },
	{ "status_created.json", "object.account", "[]", MOD_EINVAL,
	    "object.account: expected object" },
	{ "status_created.json", "object.account.acct", "1", MOD_EINVAL,
	    "object.account.acct: expected string" },
	{ "status_created.json", "object.account.followers_count", "\"0\"",
	    MOD_EINVAL, "object.account.followers_count: expected integer" },
	{ "status_created.json", "object.account.statuses_count", "1.5",
	    MOD_EINVAL, "object.account.statuses_count: expected integer" },
	{ "status_created.json", "object.account.fields", "{}", MOD_EINVAL,
	    "object.account.fields: expected array" },
	{ "status_created.json", "object.account.fields.0.value", "false",
	    MOD_EINVAL, "object.account.fields[0].value: expected string" },
	{ "status_created.json", "object.account.bot", "0", MOD_EINVAL,
	    "object.account.bot: expected boolean" },
	{ "status_created.json", "object.account.created_at", "\"midnight\"",
	    MOD_EINVAL, "object.account.created_at: invalid timestamp" },
	{ "status_created.json", "object.created_at", "\"yesterday\"",
	    MOD_EINVAL, "object.created_at: invalid timestamp" },
	{ "status_created.json", "object.created_at", "1771319564", MOD_EINVAL,
	    "object.created_at: expected string" },
	{ "status_created.json", "object.edited_at", "false", MOD_EINVAL,
	    "object.edited_at: expected string" },
	{ "status_created.json", "created_at", "\"2026-02-30T00:00:00Z\"",
	    MOD_EINVAL, "created_at: invalid timestamp" },
	{ "status_created.json", "object.id", "113999000111222333", MOD_EINVAL,
	    "object.id: expected string" },
	{ "status_created.json", "object.id", NULL, MOD_EINVAL,
	    "object.id: missing" },
	{ "status_created.json", "object.id", "null", MOD_EINVAL,
	    "object.id: missing" },
	{ "status_created.json", "object.id", "\"\"", MOD_EINVAL,
	    "object.id: invalid id" },
	{ "status_created.json", "object.id", "\"1 2\"", MOD_EINVAL,
	    "object.id: invalid id" },
	{ "status_created.json", "object.id",
	    "\"123456789012345678901234567890123456789012345678901234567890123"
	    "45"
	    "\"",
	    MOD_EINVAL, "object.id: invalid id" },
	{ "status_created.json", "object.in_reply_to_id", "17", MOD_EINVAL,
	    "object.in_reply_to_id: expected string" },
	{ "status_created.json", "object.card", "\"x\"", MOD_EINVAL,
	    "object.card: expected object" },
	{ "status_created.json", "object.card", "{\"url\":3}", MOD_EINVAL,
	    "object.card.url: expected string" },
	{ "status_created.json", "object", "[]", MOD_EINVAL,
	    "object: expected object" },
	{ "status_created.json", "object", NULL, MOD_EINVAL,
	    "missing \"object\"" },
	{ "status_created.json", "object", "null", MOD_EINVAL,
	    "missing \"object\"" },
	{ "status_created.json", "event", NULL, MOD_EINVAL,
	    "missing \"event\"" },
	{ "status_created.json", "event", "3", MOD_EINVAL,
	    "event: expected string" },
	{ "status_created.json", "event", "\"status.deleted\"", MOD_EINVAL,
	    "unknown event \"status.deleted\"" },
	{ "report_created.json", "object.statuses.0.content", "[]", MOD_EINVAL,
	    "object.statuses[0].content: expected string" },
	{ "report_created.json", "object.statuses.0.id", NULL, MOD_EINVAL,
	    "object.statuses[0].id: missing" },
	{ "report_created.json", "object.statuses.0", "7", MOD_EINVAL,
	    "object.statuses[0]: expected object" },
	{ "report_created.json", "object.statuses", "{}", MOD_EINVAL,
	    "object.statuses: expected array" },
	{ "report_created.json", "object.statuses.0.mentions.0.acct", "{}",
	    MOD_EINVAL,
	    "object.statuses[0].mentions[0].acct: expected string" },
	{ "report_created.json", "object.target_account.account.acct", "1",
	    MOD_EINVAL,
	    "object.target_account.account.acct: expected string" },
	{ "report_created.json", "object.target_account.domain", "[]",
	    MOD_EINVAL, "object.target_account.domain: expected string" },
	{ "report_created.json", "object.account.created_at", "\"soon\"",
	    MOD_EINVAL, "object.account.created_at: invalid timestamp" },
	{ "report_created.json", "object.rules.0.id", "2", MOD_EINVAL,
	    "object.rules[0].id: expected string" },
	{ "report_created.json", "object.comment", "0", MOD_EINVAL,
	    "object.comment: expected string" },
	{ "report_created.json", "object.category", "[]", MOD_EINVAL,
	    "object.category: expected string" },
	{ "report_created.json", "object.forwarded", "\"yes\"", MOD_EINVAL,
	    "object.forwarded: expected boolean" },
	{ "report_created.json", "object.updated_at", "\"?\"", MOD_EINVAL,
	    "object.updated_at: invalid timestamp" },
	{ "report_created.json", "object.id", NULL, MOD_EINVAL,
	    "object.id: missing" },
	{ "account_created.json", "object.email", "1", MOD_EINVAL,
	    "object.email: expected string" },
	{ "account_created.json", "object.account.note", "{}", MOD_EINVAL,
	    "object.account.note: expected string" },
	{ "account_created.json", "object.account.display_name", "2",
	    MOD_EINVAL, "object.account.display_name: expected string" },
	{ "account_created.json", "object.created_at", "\"2026-13-01\"",
	    MOD_EINVAL, "object.created_at: invalid timestamp" },
	{ "account_created.json", "object.id", "5", MOD_EINVAL,
	    "object.id: expected string" },
	{ "account_created.json", "object.account.id", "\"a\\tb\"", MOD_EINVAL,
	    "object.account.id: invalid id" },
	{ "streaming_status.json", "content", "1", MOD_EINVAL,
	    "status.content: expected string" },
	{ "streaming_status.json", "account", NULL, MOD_EINVAL,
	    "missing \"event\"" },
	/* null where Mastodon sends null; unknown members ignored. */
	{ "status_created.json", "object.content", "null", 0, NULL },
	{ "status_created.json", "object.card", "null", 0, NULL },
	{ "status_created.json", "object.mentions", "null", 0, NULL },
	{ "status_created.json", "object.account", "null", 0, NULL },
	{ "status_created.json", "object.account.display_name", "null", 0,
	    NULL },
	{ "status_created.json", "object.media_attachments.0.description",
	    "null", 0, NULL },
	{ "status_created.json", "object.poll", "{\"x\":[1,{\"y\":2}]}", 0,
	    NULL },
	{ "status_created.json", "object.replies_count", "\"many\"", 0, NULL },
	{ "report_created.json", "object.target_account", "null", 0, NULL },
	{ "report_created.json", "object.comment", "null", 0, NULL },
	{ "report_created.json", "object.statuses", "[]", 0, NULL },
	{ "account_created.json", "object.account", "null", 0, NULL },
	{ "account_created.json", "object.ip", "null", 0, NULL },
	/* Admin::Account without its own id takes the inner one. */
	{ "account_created.json", "object.id", NULL, 0, NULL },
};

static void
test_edits(void **state)
{
	size_t i;

	(void) state;
	for (i = 0; i < nitems(edits); i++) {
		char *doc
		    = mutate(edits[i].file, edits[i].path, edits[i].value);

		if (edits[i].msg != NULL) {
			parse_err(
			    doc, strlen(doc), edits[i].code, edits[i].msg);
		} else {
			event_free(parse_ok(doc, strlen(doc)));
		}
		free(doc);
	}
}

static void
test_unknown_event_echo(void **state)
{
	char           name[200], doc[512];
	struct event  *ev = NULL;
	struct mod_err err = { 0 };
	size_t         i;

	(void) state;
	memset(name, 'x', 100);
	memcpy(name + 100, "\\u0001\\n\\\"", 11);
	snprintf(doc, sizeof(doc), "{\"event\":\"%s\",\"object\":{}}", name);
	assert_int_equal(event_parse(doc, strlen(doc), &ev, &err), MOD_EINVAL);
	assert_non_null(strstr(err.msg, "unknown event \"xxxxxxxxxx"));
	assert_non_null(strstr(err.msg, "\"..."));
	assert_null(
	    strstr(err.msg, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
	for (i = 0; err.msg[i] != '\0'; i++)
		assert_true(err.msg[i] >= ' ' && err.msg[i] <= '~');

	snprintf(doc, sizeof(doc),
	    "{\"event\":\"a\\u0001b\\\"c\\u00e9\",\"object\":{}}");
	assert_int_equal(event_parse(doc, strlen(doc), &ev, &err), MOD_EINVAL);
	assert_string_equal(err.msg, "unknown event \"a?b?c??\"");
}

/* --- malformed documents --- */

static void
test_malformed(void **state)
{
	static const struct {
		const char *doc;
		int         code;
		const char *msg;
	} cases[] = {
		{ "", MOD_EINVAL, "line" },
		{ "[]", MOD_EINVAL, "expected a JSON object" },
		{ "\"status.created\"", MOD_EINVAL, "invalid JSON" },
		{ "{}", MOD_EINVAL, "missing \"event\"" },
		{ "{\"event\":\"status.created\",\"object\":{\"id\":\"1\"}} x",
		    MOD_EINVAL, "trailing data" },
		{ "{\"event\":\"status.created\",\"event\":\"status.created\","
		  "\"object\":{\"id\":\"1\"}}",
		    MOD_EINVAL, "duplicate key" },
		{ "{\"event\":\"status.created\",\"object\":{\"id\":\"1\","
		  "\"id\":\"2\"}}",
		    MOD_EINVAL, "duplicate key" },
		{ "{\"event\":\"status.created\",\"object\":{\"id\":\"1\","
		  "\"content\":\"a\\u0000b\"}}",
		    MOD_EINVAL, "NUL in string" },
		{ "{\"event\":\"status.created\",\"object\":{\"id\":\"1\","
		  "\"content\":\"\xff\"}}",
		    MOD_EUTF8, "invalid UTF-8" },
		{ "{\"event\":\"status.created\",\"object\":{\"id\":\"1\","
		  "\"content\":\"\xc0\xaf\"}}",
		    MOD_EUTF8, "invalid UTF-8" },
		{ "{\"event\":\"status.created\",\"object\":{\"id\":\"1\","
		  "\"content\":\"\xed\xa0\x80\"}}",
		    MOD_EUTF8, "invalid UTF-8" },
		{ "{\"event\":\"status.created\",\"object\":{\"id\":\"1\","
		  "\"followers\":1e999}}",
		    MOD_EINVAL, "number out of range" },
		/* Post content is never quoted back. */
		{ "{\"event\":\"status.created\",\"object\":{\"content\":"
		  "\"secret\" secretword}}",
		    MOD_EINVAL, "invalid JSON" },
	};
	size_t i;

	(void) state;
	for (i = 0; i < nitems(cases); i++) {
		struct mod_err err = { 0 };
		struct event  *ev = NULL;

		parse_err(cases[i].doc, strlen(cases[i].doc), cases[i].code,
		    cases[i].msg);
		assert_int_equal(
		    event_parse(cases[i].doc, strlen(cases[i].doc), &ev, &err),
		    cases[i].code);
		assert_null(strstr(err.msg, "secret"));
	}
}

static void
test_truncated(void **state)
{
	size_t len, cut;
	char  *buf = fixture("report_created.json", &len);

	(void) state;
	/* Every proper prefix of a valid document is rejected. */
	for (cut = 0; cut < len; cut += 7) {
		struct event  *ev = NULL;
		struct mod_err err = { 0 };

		assert_int_not_equal(event_parse(buf, cut, &ev, &err), 0);
		assert_null(ev);
		assert_true(err.msg[0] != '\0');
	}
	parse_err(buf, len / 2, MOD_EINVAL, "truncated JSON");
	free(buf);
}

static void
test_deep_nesting(void **state)
{
	const size_t n = 10000;
	char        *doc = xmalloc(2 * n + 64);
	struct buf   b;
	size_t       i;
	int          depth;

	(void) state;
	memset(doc, '[', n);
	parse_err(doc, n, MOD_EINVAL, "nesting deeper than 32");
	memset(doc, '{', n);
	parse_err(doc, n, MOD_EINVAL, "nesting deeper than 32");
	free(doc);

	/* Exactly MOD_MAX_JSON_DEPTH levels pass, one more fails;
	 * brackets inside strings do not count. */
	for (depth = MOD_MAX_JSON_DEPTH; depth <= MOD_MAX_JSON_DEPTH + 1;
	     depth++) {
		buf_init(&b, 0);
		assert_int_equal(
		    buf_appends(&b,
		        "{\"event\":\"status.created\",\"object\":"
		        "{\"id\":\"1\",\"content\":\"[[[[{{{{\","
		        "\"x\":"),
		    0);
		for (i = 2; i < (size_t) depth; i++)
			assert_int_equal(buf_appendc(&b, '['), 0);
		for (i = 2; i < (size_t) depth; i++)
			assert_int_equal(buf_appendc(&b, ']'), 0);
		assert_int_equal(buf_appends(&b, "}}"), 0);
		if (depth == MOD_MAX_JSON_DEPTH)
			event_free(parse_ok(b.data, b.len));
		else
			parse_err(b.data, b.len, MOD_EINVAL,
			    "nesting deeper than 32");
		buf_free(&b);
	}
}

static void
test_too_big(void **state)
{
	size_t n = 2 * 1024 * 1024;
	char  *doc = xmalloc(n);

	(void) state;
	memset(doc, ' ', n);
	memcpy(doc, "{\"event\":\"status.created\"", 25);
	parse_err(doc, n, MOD_ETOOBIG, "limit");
	parse_err(doc, MOD_MAX_EVENT_BYTES + 1, MOD_ETOOBIG, "limit");
	free(doc);
}

static void
test_huge_string_cut(void **state)
{
	const size_t  n = 50000; /* two-byte characters */
	struct buf    b;
	struct event *ev;
	size_t        i, len;

	(void) state;
	buf_init(&b, 0);
	assert_int_equal(buf_appends(&b,
	                     "{\"event\":\"status.created\","
	                     "\"object\":{\"id\":\"1\",\"content\":"
	                     "\"a"),
	    0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_appends(&b, "\xc3\xa9"), 0);
	assert_int_equal(buf_appends(&b, "\"}}"), 0);
	ev = parse_ok(b.data, b.len);
	len = strlen(ev->status.content_html);
	/* Cut at the limit, backing off the split two-byte character. */
	assert_int_equal(len, MOD_MAX_FIELD_BYTES - 1);
	assert_int_equal(ev->status.content_html[0], 'a');
	assert_int_equal(
	    (unsigned char) ev->status.content_html[len - 1], 0xa9);
	event_free(ev);
	buf_free(&b);
}

static void
test_arrays_cut(void **state)
{
	struct buf    b;
	struct event *ev;
	size_t        i;

	(void) state;
	buf_init(&b, 0);
	assert_int_equal(buf_appends(&b,
	                     "{\"event\":\"report.created\","
	                     "\"object\":{\"id\":\"9\","
	                     "\"statuses\":["),
	    0);
	for (i = 0; i < 100; i++) {
		size_t j;

		assert_int_equal(buf_printf(&b,
		                     "%s{\"id\":\"%zu\",\"content\":\"x\","
		                     "\"mentions\":[",
		                     i ? "," : "", i),
		    0);
		for (j = 0; j < 70; j++)
			assert_int_equal(
			    buf_printf(
			        &b, "%s{\"acct\":\"u%zu\"}", j ? "," : "", j),
			    0);
		assert_int_equal(buf_appends(&b, "]}"), 0);
	}
	assert_int_equal(buf_appends(&b, "]}}"), 0);
	ev = parse_ok(b.data, b.len);
	assert_int_equal(ev->report.nstatuses, MOD_MAX_REPORT_STATUSES_COUNT);
	assert_string_equal(ev->report.statuses[63].id, "63");
	assert_int_equal(
	    ev->report.statuses[0].mention_accts.n, MOD_MAX_ARRAY_COUNT);
	assert_string_equal(ev->report.statuses[0].mention_accts.v[63], "u63");
	event_free(ev);
	buf_free(&b);
}

/* --- dedup keys and names --- */

static void
dedup(const char *buf, size_t len, char *key, size_t keysz)
{
	struct event *ev = parse_ok(buf, len);

	assert_int_equal(event_dedup_key(ev, key, keysz), 0);
	event_free(ev);
}

static void
test_dedup_key(void **state)
{
	static const struct {
		const char *file, *key;
	} want[] = {
		{ "status_created.json",
		    "status.created:113999000111222333:1771319564000" },
		{ "status_updated.json",
		    "status.updated:113999000111222333:1771320000000" },
		{ "report_created.json", "report.created:8437:1698327240348" },
		{ "report_updated.json", "report.updated:8437:1698328800000" },
		{ "account_created.json",
		    "account.created:113990000000000777:1771322401500" },
		{ "account_updated.json",
		    "account.updated:113990000000000777:1771401600000" },
		{ "streaming_status.json",
		    "status.created:113999000555666777:1771329662000" },
	};
	char          k1[128], k2[128], *buf, *edited;
	size_t        i, len;
	struct event *ev;

	(void) state;
	for (i = 0; i < nitems(want); i++) {
		buf = fixture(want[i].file, &len);
		/* Two identical deliveries give the same key. */
		dedup(buf, len, k1, sizeof(k1));
		dedup(buf, len, k2, sizeof(k2));
		assert_string_equal(k1, k2);
		assert_string_equal(k1, want[i].key);
		free(buf);
	}
	/* An edit of the same status gives a different key. */
	edited = mutate("status_updated.json", "object.edited_at",
	    "\"2026-02-17T09:25:00.000Z\"");
	dedup(edited, strlen(edited), k2, sizeof(k2));
	assert_string_equal(
	    k2, "status.updated:113999000111222333:1771320300000");
	free(edited);

	ev = parse_fixture("status_created.json");
	assert_int_equal(event_dedup_key(ev, k1, 20), MOD_ETOOBIG);
	event_free(ev);
}

static void
test_kind_names(void **state)
{
	unsigned seen = 0;
	int      k;

	(void) state;
	for (k = 0; k < EVENT_KIND_COUNT; k++) {
		const char *name = event_kind_name((enum event_kind) k);
		unsigned    bit = event_kind_rule_bit((enum event_kind) k);

		assert_int_equal(event_kind_from_name(name), k);
		assert_int_equal(bit, 1u << k);
		assert_int_equal(seen & bit, 0);
		seen |= bit;
	}
	assert_int_equal(seen, RULE_K_ALL);
	assert_string_equal(
	    event_kind_name(EVENT_REPORT_UPDATED), "report.updated");
	assert_int_equal(event_kind_from_name("status.deleted"), -1);
	assert_int_equal(event_kind_from_name("STATUS.CREATED"), -1);
	assert_int_equal(event_kind_from_name(NULL), -1);
	assert_int_equal(event_kind_rule_bit(EVENT_KIND_COUNT), 0);
	event_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_status_fields),
		cmocka_unit_test(test_report_fields),
		cmocka_unit_test(test_account_fields),
		cmocka_unit_test(test_streaming_fields),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_unknown_event_echo),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_huge_string_cut),
		cmocka_unit_test(test_arrays_cut),
		cmocka_unit_test(test_dedup_key),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
