/*
 * store_users.c - API users and their tokens (`moderd user add`).
 *
 * A token is 32 bytes from libsodium's CSPRNG, shown to the operator once
 * as 64 hex characters; the database keeps only SHA-256 of that text, so
 * a leaked database does not leak working tokens, and the API (issue 5)
 * authenticates a request by hashing the presented token the same way
 * (store_token_hash) and looking the digest up: one prepared statement
 * per request and nothing cached between requests, so a revoked token or
 * a disabled user is refused from the next request on.  The user, the
 * token and the audit row are written in one transaction.
 *
 * The API's user management (issue 5) lists users with their tokens,
 * makes users and further tokens (expiring after token_ttl when one is
 * configured), revokes tokens and disables users; each change and its
 * audit row share a transaction that locks the audit head first
 * (store_users_tx).  Those answers are built as JSON by the server
 * (store_query_json), in the shape doc/api.md gives.
 *
 * What it deliberately does not do: delete users or tokens (they stay,
 * revoked or disabled, so the audit trail's names keep meaning
 * something), or decide who may manage them (the API's roles do).
 * Names are kept to a conservative character set so they read safely in
 * logs and tables.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "audit.h"
#include "log.h"
#include "store.h"
#include "util.h"

static const char SQL_INSERT_USER[]
    = "INSERT INTO users (name, role) VALUES ($1, $2)"
      " ON CONFLICT (name) DO NOTHING RETURNING id";
/* One token and one user (alias u) as the API shows them. */
#define STORE_TOKEN_JSON                                                      \
	"json_build_object('id', t.id, 'created_at', "                        \
	"to_char(t.created_at" STORE_SQL_UTC_MS ", 'expires_at', "            \
	"to_char(t.expires_at" STORE_SQL_UTC_MS ", 'revoked_at', "            \
	"to_char(t.revoked_at" STORE_SQL_UTC_MS ", 'last_used_at', "          \
	"to_char(t.last_used_at" STORE_SQL_UTC_MS ")"
#define STORE_USER_JSON                                                       \
	"json_build_object('name', u.name, 'role', u.role, 'created_at', "    \
	"to_char(u.created_at" STORE_SQL_UTC_MS ", 'disabled_at', "           \
	"to_char(u.disabled_at" STORE_SQL_UTC_MS ", 'tokens', (SELECT"        \
	" coalesce(json_agg(" STORE_TOKEN_JSON " ORDER BY t.id), '[]'::json)" \
	" FROM tokens t WHERE t.user_id = u.id))"

static const char SQL_INSERT_TOKEN[]
    = "INSERT INTO tokens AS t (user_id, token_sha256, expires_at)"
      " VALUES ($1::bigint, $2, CASE WHEN $3::bigint > 0"
      "  THEN now() + $3::bigint * interval '1 millisecond' END)"
      " RETURNING json_build_object('id', t.id, 'expires_at', "
      "to_char(t.expires_at" STORE_SQL_UTC_MS ")";
static const char SQL_SELECT_USERS[]
    = "SELECT coalesce(json_agg(" STORE_USER_JSON
      " ORDER BY u.name), '[]'::json) FROM users u";
static const char SQL_SELECT_USER[]
    = "SELECT " STORE_USER_JSON " FROM users u WHERE u.name = $1";
static const char SQL_SELECT_USER_ID[]
    = "SELECT id FROM users WHERE name = $1";
static const char SQL_LOCK_ACTIVE_USER[]
    = "SELECT id FROM users WHERE name = $1 AND disabled_at IS NULL"
      " FOR UPDATE";
static const char SQL_DISABLE_USER[]
    = "UPDATE users SET disabled_at = now()"
      " WHERE name = $1 AND disabled_at IS NULL RETURNING id";
static const char SQL_SELECT_TOKEN_ID[]
    = "SELECT id FROM tokens WHERE id = $1::bigint";
static const char SQL_REVOKE_TOKEN[]
    = "UPDATE tokens t SET revoked_at = now() FROM users u"
      " WHERE t.id = $1::bigint AND t.revoked_at IS NULL"
      " AND u.id = t.user_id"
      " RETURNING json_build_object('id', t.id, 'revoked_at', "
      "to_char(t.revoked_at" STORE_SQL_UTC_MS ", 'user', u.name)";

static const char SQL_TOKEN_AUTH[]
    = "SELECT t.id, u.id, u.name, u.role,"
      " t.last_used_at IS NULL"
      "  OR t.last_used_at < now() - interval '1 minute'"
      " FROM tokens t JOIN users u ON u.id = t.user_id"
      " WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL"
      " AND (t.expires_at IS NULL OR t.expires_at > now())"
      " AND u.disabled_at IS NULL";
/* Run on every API request: prepared, so planned once per connection. */
static const struct store_stmt store_users_auth_stmt
    = { "store_token_auth", "store: token auth", SQL_TOKEN_AUTH, 1, true };
static const char SQL_TOKEN_USED[]
    = "UPDATE tokens SET last_used_at = now() WHERE id = $1::bigint"
      " AND (last_used_at IS NULL"
      "  OR last_used_at < now() - interval '1 minute')";

static const char *const store_user_roles[]
    = { "admin", "moderator", "triage" };

/* Random bytes behind one token. */
#define STORE_TOKEN_BYTES 32

static bool
store_user_name_ok(const char *name)
{
	size_t i, n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > MOD_MAX_USER_NAME_BYTES)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		        || (c >= '0' && c <= '9') || c == '.' || c == '_'
		        || c == '-'))
			return false;
	}
	return true;
}

static bool
store_user_role_ok(const char *role)
{
	size_t i;

	for (i = 0; role != NULL && i < nitems(store_user_roles); i++)
		if (strcmp(role, store_user_roles[i]) == 0)
			return true;
	return false;
}

int
store_token_hash(const char *token, char hex_out[STORE_TOKEN_HEX_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	hex_out[0] = '\0';
	if (sodium_init() < 0)
		return MOD_EINTERNAL;
	crypto_hash_sha256(h, (const unsigned char *) token, strlen(token));
	sodium_bin2hex(hex_out, STORE_TOKEN_HEX_LEN + 1, h, sizeof(h));
	return 0;
}

/* store_user_token: a fresh token and its hash. */
static int
store_user_token(
    char token[STORE_TOKEN_HEX_LEN + 1], char hash[STORE_TOKEN_HEX_LEN + 1])
{
	unsigned char raw[STORE_TOKEN_BYTES];

	if (sodium_init() < 0)
		return MOD_EINTERNAL;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token, STORE_TOKEN_HEX_LEN + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	return store_token_hash(token, hash);
}

/* store_users_token_insert: a token row; *out {"id","expires_at"}. */
static int
store_users_token_insert(struct store *db, const char *user_id,
    const char *hash, int64_t ttl_ms, json_t **out)
{
	char        ttl[24];
	const char *p[3] = { user_id, hash, ttl };

	snprintf(ttl, sizeof(ttl), "%lld", (long long) ttl_ms);
	return store_query_json(db, "store: insert token", SQL_INSERT_TOKEN, 3,
	    p, MOD_MAX_USERS_JSON_BYTES, out);
}

/* store_user_insert: the user row and its token row. */
static int
store_user_insert(struct store *db, const char *name, const char *role,
    const char *hash, int64_t ttl_ms)
{
	const char *user[2] = { name, role };
	char        id[32];
	json_t     *tok = NULL;
	int         rv;

	rv = store_query_value(db, "store: insert user", SQL_INSERT_USER, 2,
	    user, id, sizeof(id));
	if (rv == MOD_ENOENT)
		return MOD_EEXIST;
	if (rv != 0)
		return MOD_EDB;
	rv = store_users_token_insert(db, id, hash, ttl_ms, &tok);
	json_decref(tok);
	return rv;
}

/* What one user or token change does inside its transaction. */
struct store_users_op {
	const char *actor;
	const char *name; /* user */
	const char *role; /* create */
	int64_t     ttl_ms; /* create, token */
	int64_t     id; /* revoke */
	char        hash[STORE_TOKEN_HEX_LEN + 1]; /* create, token */
	json_t     *out; /* the result */
};

typedef int (*store_users_fn)(struct store *db, struct store_users_op *op);

/* store_users_tx: run fn in a transaction that locks the audit head
 * first; commit if it succeeds.  op->out is dropped on failure. */
static int
store_users_tx(struct store *db, store_users_fn fn, struct store_users_op *op)
{
	int rv;

	if ((rv = store_begin(db)) != 0 || (rv = audit_lock(db)) != 0)
		goto out;
	if ((rv = fn(db, op)) == 0)
		rv = store_commit(db);
out:
	if (rv != 0) {
		store_rollback(db);
		json_decref(op->out);
		op->out = NULL;
	}
	return rv;
}

/* store_user_json: the user called name as the API shows it. */
static int
store_user_json(struct store *db, const char *name, json_t **out)
{
	const char *p[1] = { name };

	return store_query_json(db, "store: read user", SQL_SELECT_USER, 1, p,
	    MOD_MAX_USERS_JSON_BYTES, out);
}

static int
store_user_create_tx(struct store *db, struct store_users_op *op)
{
	char reason[32];
	int  rv;

	snprintf(reason, sizeof(reason), "role %s", op->role);
	rv = store_user_insert(db, op->name, op->role, op->hash, op->ttl_ms);
	if (rv == 0)
		rv = audit_append(db, op->actor, "user.add", "user", op->name,
		    0, reason, NULL, NULL);
	if (rv == 0)
		rv = store_user_json(db, op->name, &op->out);
	return rv;
}

int
store_user_create(struct store *db, const char *actor, const char *name,
    const char *role, int64_t ttl_ms,
    char token_hex_out[STORE_TOKEN_HEX_LEN + 1], json_t **user)
{
	struct store_users_op op
	    = { .actor = actor, .name = name, .role = role, .ttl_ms = ttl_ms };
	int rv;

	token_hex_out[0] = '\0';
	if (user != NULL)
		*user = NULL;
	if (!store_user_name_ok(name) || !store_user_role_ok(role))
		return MOD_EINVAL;
	if ((rv = store_user_token(token_hex_out, op.hash)) == 0)
		rv = store_users_tx(db, store_user_create_tx, &op);
	if (rv != 0) {
		sodium_memzero(token_hex_out, STORE_TOKEN_HEX_LEN + 1);
		return rv;
	}
	log_info("store: user %s added with role %s by %s", name, role, actor);
	if (user != NULL)
		*user = op.out;
	else
		json_decref(op.out);
	return 0;
}

int
store_user_add(struct store *db, const char *name, const char *role,
    char token_hex_out[STORE_TOKEN_HEX_LEN + 1])
{
	return store_user_create(
	    db, "cli", name, role, 0, token_hex_out, NULL);
}

/* store_token_wellformed: exactly STORE_TOKEN_HEX_LEN hex characters. */
static bool
store_token_wellformed(const char *token)
{
	size_t i;

	for (i = 0; i < STORE_TOKEN_HEX_LEN; i++)
		if (!isxdigit((unsigned char) token[i]))
			return false;
	return token[i] == '\0';
}

/* store_auth_fill: *out from the row of SQL_TOKEN_AUTH; true if stale. */
static bool
store_auth_fill(const PGresult *res, struct store_auth *out)
{
	int64_t v;

	if (mod_strtonum(PQgetvalue(res, 0, 0), 1, INT64_MAX, &v) == 0)
		out->token_id = v;
	if (mod_strtonum(PQgetvalue(res, 0, 1), 1, INT64_MAX, &v) == 0)
		out->user_id = v;
	mod_strlcpy(out->name, PQgetvalue(res, 0, 2), sizeof(out->name));
	mod_strlcpy(out->role, PQgetvalue(res, 0, 3), sizeof(out->role));
	return PQgetvalue(res, 0, 4)[0] == 't';
}

int
store_token_auth(struct store *db, const char *token, struct store_auth *out)
{
	char        hash[STORE_TOKEN_HEX_LEN + 1], id[32];
	const char *p[1] = { hash };
	PGresult   *res = NULL;
	bool        stale;
	int         rv;

	memset(out, 0, sizeof(*out));
	if (token == NULL || !store_token_wellformed(token))
		return MOD_EAUTH;
	if ((rv = store_token_hash(token, hash)) != 0)
		return rv;
	rv = store_query_stmt(db, &store_users_auth_stmt, p, &res);
	if (rv != 0)
		return MOD_EDB;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return MOD_EAUTH;
	}
	stale = store_auth_fill(res, out);
	PQclear(res);
	if (!stale)
		return 0;
	snprintf(id, sizeof(id), "%lld", (long long) out->token_id);
	p[0] = id;
	return store_exec(db, "store: token used", SQL_TOKEN_USED, 1, p);
}

/* --- managing users and tokens through the API ------------------------- */

int
store_user_list(struct store *db, json_t **out)
{
	return store_query_json(db, "store: list users", SQL_SELECT_USERS, 0,
	    NULL, MOD_MAX_USERS_JSON_BYTES, out);
}

/* store_users_exists: whether the query finds a row: 0 (MOD_EEXIST to
 * the caller: the object is there, in the wrong state) or MOD_ENOENT. */
static int
store_users_exists(struct store *db, const char *sql, const char *param)
{
	const char *p[1] = { param };
	char        v[8];
	int         rv;

	rv = store_query_value(db, "store: exists", sql, 1, p, v, sizeof(v));
	return rv == 0 ? MOD_EEXIST : rv;
}

static int
store_token_new_tx(struct store *db, struct store_users_op *op)
{
	const char *p[1] = { op->name };
	char        uid[32], reason[48];
	int         rv;

	rv = store_query_value(db, "store: lock user", SQL_LOCK_ACTIVE_USER, 1,
	    p, uid, sizeof(uid));
	if (rv == MOD_ENOENT)
		return store_users_exists(db, SQL_SELECT_USER_ID, op->name);
	if (rv == 0)
		rv = store_users_token_insert(
		    db, uid, op->hash, op->ttl_ms, &op->out);
	if (rv != 0)
		return rv;
	snprintf(reason, sizeof(reason), "token %lld",
	    (long long) json_integer_value(json_object_get(op->out, "id")));
	return audit_append(db, op->actor, "token.add", "user", op->name, 0,
	    reason, NULL, NULL);
}

int
store_token_new(struct store *db, const char *actor, const char *name,
    int64_t ttl_ms, char token_hex_out[STORE_TOKEN_HEX_LEN + 1], json_t **out)
{
	struct store_users_op op
	    = { .actor = actor, .name = name, .ttl_ms = ttl_ms };
	int rv;

	*out = NULL;
	if ((rv = store_user_token(token_hex_out, op.hash)) == 0)
		rv = store_users_tx(db, store_token_new_tx, &op);
	if (rv != 0) {
		sodium_memzero(token_hex_out, STORE_TOKEN_HEX_LEN + 1);
		return rv;
	}
	log_info("store: new token for user %s by %s", name, actor);
	*out = op.out;
	return 0;
}

static int
store_token_revoke_tx(struct store *db, struct store_users_op *op)
{
	char        id[24], reason[96];
	const char *p[1] = { id };
	const char *user;
	int         rv;

	snprintf(id, sizeof(id), "%lld", (long long) op->id);
	rv = store_query_json(db, "store: revoke token", SQL_REVOKE_TOKEN, 1,
	    p, MOD_MAX_USERS_JSON_BYTES, &op->out);
	if (rv == MOD_ENOENT)
		return store_users_exists(db, SQL_SELECT_TOKEN_ID, id);
	if (rv != 0)
		return rv;
	user = json_string_value(json_object_get(op->out, "user"));
	snprintf(reason, sizeof(reason), "user %s", user ? user : "?");
	return audit_append(
	    db, op->actor, "token.revoke", "token", id, 0, reason, NULL, NULL);
}

int
store_token_revoke(
    struct store *db, const char *actor, int64_t id, json_t **out)
{
	struct store_users_op op = { .actor = actor, .id = id };
	int                   rv;

	*out = NULL;
	if ((rv = store_users_tx(db, store_token_revoke_tx, &op)) != 0)
		return rv;
	log_info("store: token %lld revoked by %s", (long long) id, actor);
	*out = op.out;
	return 0;
}

static int
store_user_disable_tx(struct store *db, struct store_users_op *op)
{
	const char *p[1] = { op->name };
	char        uid[32];
	int         rv;

	rv = store_query_value(db, "store: disable user", SQL_DISABLE_USER, 1,
	    p, uid, sizeof(uid));
	if (rv == MOD_ENOENT)
		return store_users_exists(db, SQL_SELECT_USER_ID, op->name);
	if (rv == 0)
		rv = audit_append(db, op->actor, "user.disable", "user",
		    op->name, 0, NULL, NULL, NULL);
	if (rv == 0)
		rv = store_user_json(db, op->name, &op->out);
	return rv;
}

int
store_user_disable(
    struct store *db, const char *actor, const char *name, json_t **out)
{
	struct store_users_op op = { .actor = actor, .name = name };
	int                   rv;

	*out = NULL;
	if ((rv = store_users_tx(db, store_user_disable_tx, &op)) != 0)
		return rv;
	log_info("store: user %s disabled by %s", name, actor);
	*out = op.out;
	return 0;
}
