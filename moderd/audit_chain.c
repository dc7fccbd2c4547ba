/*
 * audit_chain.c - the audit trail's rows as text: their canonical hash,
 * walking a chain, and their JSON and CSV forms.
 *
 * This is the one implementation of the hash chain's format outside the
 * schema: the daemon's audit_verify() (audit.c) and `moderctl audit
 * verify` (ctl_online.c, which only has the exported JSON lines) both
 * walk rows through audit_chain_step(), so the client and the server
 * cannot drift apart.  The canonical text built by audit_hash_row() must
 * stay byte-identical to audit_row_hash in store_schema.c:
 *
 *   prev_hash "|moderd-audit-1|" id "|" at "|" F(actor) "|" F(action) "|"
 *   F(target_type) "|" F(target_id) "|" proposal_id-or-~ "|" F(reason)
 *   "|" F(evidence_ref) "|" F(revision)
 *
 * where F(v) is "~" for NULL and BYTES ":" v otherwise.
 *
 * The JSON form is the API's audit row object; its "at" keeps the
 * microseconds the hash covers.  Nothing here touches the database, so
 * the file links into moderctl without libpq mattering.
 *
 * What it deliberately does not do: decide what a broken chain means
 * (the callers report the first bad row), or anchor the last hash.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "util.h"

/* Column names of struct audit_row.fields, index = enum audit_field. */
static const char *const audit_chain_cols[AUDIT_F_COUNT]
    = { "actor", "action", "target_type", "target_id", "proposal_id", "reason",
	      "evidence_ref", "revision" };

const char *
audit_field_name(enum audit_field f)
{
	return (unsigned) f < AUDIT_F_COUNT ? audit_chain_cols[f] : "?";
}

static void
audit_chain_raw(crypto_hash_sha256_state *st, const char *s)
{
	crypto_hash_sha256_update(st, (const unsigned char *) s, strlen(s));
}

/* audit_chain_field: "|" and the canonical form of one text field: "~"
 * for NULL, else BYTES:VALUE (audit_field() in the schema). */
static void
audit_chain_field(crypto_hash_sha256_state *st, const char *v)
{
	char len[24];

	audit_chain_raw(st, "|");
	if (v == NULL) {
		audit_chain_raw(st, "~");
		return;
	}
	snprintf(len, sizeof(len), "%zu:", strlen(v));
	audit_chain_raw(st, len);
	audit_chain_raw(st, v);
}

void
audit_hash_row(const struct audit_row *r, char out[AUDIT_HASH_HEX_LEN + 1])
{
	crypto_hash_sha256_state st;
	unsigned char            h[crypto_hash_sha256_BYTES];
	size_t                   i;

	crypto_hash_sha256_init(&st);
	audit_chain_raw(&st, r->prev_hash);
	audit_chain_raw(&st, "|moderd-audit-1|");
	audit_chain_raw(&st, r->id_text);
	audit_chain_raw(&st, "|");
	audit_chain_raw(&st, r->at_text);
	for (i = 0; i < AUDIT_F_COUNT; i++) {
		if (i == AUDIT_F_PROPOSAL) {
			audit_chain_raw(&st, "|");
			audit_chain_raw(
			    &st, r->fields[i] ? r->fields[i] : "~");
		} else
			audit_chain_field(&st, r->fields[i]);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, AUDIT_HASH_HEX_LEN + 1, h, sizeof(h));
}

int
audit_chain_init(struct audit_chain *ch)
{
	memset(ch, 0, sizeof(*ch));
	mod_strlcpy(ch->prev, AUDIT_ZERO_HASH, sizeof(ch->prev));
	return sodium_init() < 0 ? MOD_EINTERNAL : 0;
}

int
audit_chain_step(
    struct audit_chain *ch, const struct audit_row *r, const char **why)
{
	char want[AUDIT_HASH_HEX_LEN + 1];

	ch->rows++;
	*why = NULL;
	if (r->id <= ch->last_id)
		*why = "row ids do not increase";
	else if (strcmp(r->prev_hash, ch->prev) != 0)
		*why = "prev_hash does not match the previous row's hash";
	else {
		audit_hash_row(r, want);
		if (strcmp(want, r->hash) != 0)
			*why = "hash does not match the row's contents";
	}
	if (*why != NULL)
		return MOD_EINVAL;
	mod_strlcpy(ch->prev, r->hash, sizeof(ch->prev));
	ch->last_id = r->id;
	return 0;
}

/* audit_chain_str: a JSON string, or null for NULL. */
static json_t *
audit_chain_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
audit_row_json(const struct audit_row *r)
{
	json_t *o = json_object();
	int64_t pid;
	size_t  i;

	json_object_set_new(o, "id", json_integer((json_int_t) r->id));
	json_object_set_new(o, "at", audit_chain_str(r->at_text));
	for (i = 0; i < AUDIT_F_COUNT; i++) {
		if (i == AUDIT_F_PROPOSAL && r->fields[i] != NULL
		    && mod_strtonum(r->fields[i], INT64_MIN, INT64_MAX, &pid)
		        == 0)
			json_object_set_new(o, audit_chain_cols[i],
			    json_integer((json_int_t) pid));
		else
			json_object_set_new(o, audit_chain_cols[i],
			    audit_chain_str(r->fields[i]));
	}
	json_object_set_new(o, "prev_hash", audit_chain_str(r->prev_hash));
	json_object_set_new(o, "hash", audit_chain_str(r->hash));
	return o;
}

/* audit_chain_get: a string member (NULL for null); -1 if absent or of
 * another type. */
static int
audit_chain_get(const json_t *o, const char *name, const char **out)
{
	const json_t *v = json_object_get(o, name);

	*out = NULL;
	if (v == NULL || !(json_is_string(v) || json_is_null(v)))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/* audit_chain_int: an integer member as decimal text into out (24
 * bytes); "null" leaves *text NULL when nullable. */
static int
audit_chain_int(const json_t *o, const char *name, bool nullable, char out[24],
    const char **text, int64_t *val)
{
	const json_t *v = json_object_get(o, name);

	*text = NULL;
	if (nullable && json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return -1;
	*val = (int64_t) json_integer_value(v);
	snprintf(out, 24, "%" PRId64, *val);
	*text = out;
	return 0;
}

int
audit_row_from_json(
    const json_t *o, struct audit_row *r, char id_text[24], char pid_text[24])
{
	int64_t pid;
	size_t  i;
	int     bad = 0;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return MOD_EINVAL;
	bad |= audit_chain_int(o, "id", false, id_text, &r->id_text, &r->id);
	bad |= audit_chain_get(o, "at", &r->at_text);
	for (i = 0; i < AUDIT_F_COUNT; i++)
		bad |= i == AUDIT_F_PROPOSAL
		    ? audit_chain_int(o, audit_chain_cols[i], true, pid_text,
		        &r->fields[i], &pid)
		    : audit_chain_get(o, audit_chain_cols[i], &r->fields[i]);
	bad |= audit_chain_get(o, "prev_hash", &r->prev_hash);
	bad |= audit_chain_get(o, "hash", &r->hash);
	if (bad || r->at_text == NULL || r->prev_hash == NULL
	    || r->hash == NULL || r->fields[AUDIT_F_ACTOR] == NULL
	    || r->fields[AUDIT_F_ACTION] == NULL)
		return MOD_EINVAL;
	return 0;
}

/* audit_chain_csv_field: one field, quoted when it must be; "," first
 * unless it is the first. */
static int
audit_chain_csv_field(struct buf *out, const char *v, bool first)
{
	const char *p;
	int         rv = first ? 0 : buf_appendc(out, ',');

	if (rv != 0 || v == NULL)
		return rv;
	if (strpbrk(v, ",\"\r\n") == NULL)
		return buf_appends(out, v);
	rv = buf_appendc(out, '"');
	for (p = v; rv == 0 && *p; p++)
		rv = *p == '"' ? buf_appends(out, "\"\"")
		               : buf_appendc(out, *p);
	return rv != 0 ? rv : buf_appendc(out, '"');
}

int
audit_row_csv(const struct audit_row *r, struct buf *out)
{
	size_t len = out->len, i;
	int    rv;

	rv = audit_chain_csv_field(out, r->id_text, true);
	if (rv == 0)
		rv = audit_chain_csv_field(out, r->at_text, false);
	for (i = 0; rv == 0 && i < AUDIT_F_COUNT; i++)
		rv = audit_chain_csv_field(out, r->fields[i], false);
	if (rv == 0)
		rv = audit_chain_csv_field(out, r->prev_hash, false);
	if (rv == 0)
		rv = audit_chain_csv_field(out, r->hash, false);
	if (rv == 0)
		rv = buf_appendc(out, '\n');
	if (rv != 0) {
		out->len = len; /* no half line */
		if (out->data != NULL)
			out->data[len] = '\0';
	}
	return rv;
}
