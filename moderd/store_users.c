/*
 * store_users.c - API users and their tokens (`moderd user add`).
 *
 * A token is 32 bytes from libsodium's CSPRNG, shown to the operator once
 * as 64 hex characters; the database keeps only SHA-256 of that text, so
 * a leaked database does not leak working tokens, and the API (issue 5)
 * authenticates a request by hashing the presented token the same way
 * (store_token_hash) and looking the digest up.  The user, the token and
 * the audit row are written in one transaction.
 *
 * What it deliberately does not do: revoke or list tokens, or check
 * anything at request time; that is the API's job.  Names are kept to a
 * conservative character set so they read safely in logs and tables.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "log.h"
#include "store.h"
#include "util.h"

static const char SQL_INSERT_USER[]
    = "INSERT INTO users (name, role) VALUES ($1, $2)"
      " ON CONFLICT (name) DO NOTHING RETURNING id";
static const char SQL_INSERT_TOKEN[]
    = "INSERT INTO tokens (user_id, token_sha256) VALUES ($1::bigint, $2)";

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

/* store_user_insert: the user row and its token row. */
static int
store_user_insert(
    struct store *db, const char *name, const char *role, const char *hash)
{
	const char *user[2] = { name, role };
	char        id[32];
	const char *token[2] = { id, hash };
	int         rv;

	rv = store_query_value(db, "store: insert user", SQL_INSERT_USER, 2,
	    user, id, sizeof(id));
	if (rv == MOD_ENOENT)
		return MOD_EEXIST;
	if (rv != 0)
		return MOD_EDB;
	return store_exec(
	    db, "store: insert token", SQL_INSERT_TOKEN, 2, token);
}

int
store_user_add(struct store *db, const char *name, const char *role,
    char token_hex_out[STORE_TOKEN_HEX_LEN + 1])
{
	char hash[STORE_TOKEN_HEX_LEN + 1], reason[32];
	int  rv;

	token_hex_out[0] = '\0';
	if (!store_user_name_ok(name) || !store_user_role_ok(role))
		return MOD_EINVAL;
	if ((rv = store_user_token(token_hex_out, hash)) != 0)
		goto out;
	snprintf(reason, sizeof(reason), "role %s", role);
	if ((rv = store_begin(db)) != 0 || (rv = audit_lock(db)) != 0)
		goto out;
	if ((rv = store_user_insert(db, name, role, hash)) != 0)
		goto out;
	rv = audit_append(
	    db, "cli", "user.add", "user", name, 0, reason, NULL, NULL);
	if (rv == 0)
		rv = store_commit(db);
	if (rv == 0)
		log_info("store: user %s added with role %s", name, role);
out:
	if (rv != 0) {
		store_rollback(db);
		sodium_memzero(token_hex_out, STORE_TOKEN_HEX_LEN + 1);
	}
	return rv;
}
