/*
 * api_admin.c - users and tokens (doc/api.md, "Users and tokens"), for
 * admins only: list users with their tokens, add a user (its first token
 * is in the answer), give a user another token, revoke a token, disable
 * a user.
 *
 * The SQL, the audit rows (actor: the calling admin) and the answer's
 * shape live in store_users.c; this file checks the request, maps the
 * store's codes to the envelope's, and hands the new token out exactly
 * once.  New tokens expire after token_ttl of the running configuration
 * (0: never).
 *
 * What it deliberately does not do: delete anything, re-enable a user
 * (make a new one), or let an admin disable themselves (that way lies a
 * server nobody can administer).
 */
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "conf.h"
#include "store.h"

static const char *const api_admin_roles[]
    = { "admin", "moderator", "triage", NULL };

static void
api_admin_users(struct api_ctx *c)
{
	json_t *users = NULL;
	int     rv;

	if ((rv = store_user_list(c->db, &users)) != 0) {
		api_error_rv(c, rv, "could not list users");
		return;
	}
	api_reply(c, 200, json_pack("{s:o}", "users", users));
}

/* api_admin_token_reply: answer with v plus the token, then forget it. */
static void
api_admin_token_reply(
    struct api_ctx *c, json_t *v, char token[STORE_TOKEN_HEX_LEN + 1])
{
	json_object_set_new(v, "token", json_string(token));
	sodium_memzero(token, STORE_TOKEN_HEX_LEN + 1);
	api_reply(c, 201, v);
}

static void
api_admin_user_add(struct api_ctx *c)
{
	static const char *const fields[] = { "name", "role", NULL };
	char                     token[STORE_TOKEN_HEX_LEN + 1];
	const char              *name = NULL, *role = NULL;
	json_t                  *user = NULL;
	int                      rv;

	if (api_body_allow(c, fields) != 0
	    || api_body_str(c, "name", API_REQ, MOD_MAX_USER_NAME_BYTES, &name)
	        != 0
	    || api_body_enum(c, "role", API_REQ, api_admin_roles, &role) != 0)
		return;
	rv = store_user_create(c->db, c->user.name, name, role,
	    c->conf->token_ttl_ms, token, &user);
	if (rv == MOD_EINVAL)
		api_error(c, 400, "bad_request",
		    "field name: 1 to %d characters of A-Z a-z 0-9 . _ -",
		    MOD_MAX_USER_NAME_BYTES);
	else if (rv == MOD_EEXIST)
		api_error(c, 409, "conflict", "user %s already exists", name);
	else if (rv != 0)
		api_error_rv(c, rv, "could not add user %s", name);
	else
		api_admin_token_reply(
		    c, json_pack("{s:o}", "user", user), token);
}

static void
api_admin_token_new(struct api_ctx *c)
{
	static const char *const fields[] = { NULL };
	const char              *name = api_param(c, "name");
	char                     token[STORE_TOKEN_HEX_LEN + 1];
	json_t                  *v = NULL;
	int                      rv;

	if (api_body_allow(c, fields) != 0)
		return;
	rv = store_token_new(
	    c->db, c->user.name, name, c->conf->token_ttl_ms, token, &v);
	if (rv == MOD_ENOENT)
		api_error(c, 404, "not_found", "no user %.64s", name);
	else if (rv == MOD_EEXIST)
		api_error(c, 409, "conflict", "user %.64s is disabled", name);
	else if (rv != 0)
		api_error_rv(c, rv, "could not make a token for %.64s", name);
	else
		api_admin_token_reply(c, v, token);
}

static void
api_admin_token_revoke(struct api_ctx *c)
{
	static const char *const fields[] = { NULL };
	json_t                  *v = NULL;
	int64_t                  id;
	int                      rv;

	if (api_param_id(c, "id", &id) != 0 || api_body_allow(c, fields) != 0)
		return;
	rv = store_token_revoke(c->db, c->user.name, id, &v);
	if (rv == MOD_ENOENT)
		api_error(
		    c, 404, "not_found", "no token %lld", (long long) id);
	else if (rv == MOD_EEXIST)
		api_error(c, 409, "conflict", "token %lld is already revoked",
		    (long long) id);
	else if (rv != 0)
		api_error_rv(
		    c, rv, "could not revoke token %lld", (long long) id);
	else
		api_reply(c, 200, v);
}

static void
api_admin_user_disable(struct api_ctx *c)
{
	static const char *const fields[] = { NULL };
	const char              *name = api_param(c, "name");
	json_t                  *v = NULL;
	int                      rv;

	if (api_body_allow(c, fields) != 0)
		return;
	if (strcmp(name, c->user.name) == 0) {
		api_error(c, 409, "conflict",
		    "you may not disable yourself; ask another admin");
		return;
	}
	rv = store_user_disable(c->db, c->user.name, name, &v);
	if (rv == MOD_ENOENT)
		api_error(c, 404, "not_found", "no user %.64s", name);
	else if (rv == MOD_EEXIST)
		api_error(c, 409, "conflict", "user %.64s is already disabled",
		    name);
	else if (rv != 0)
		api_error_rv(c, rv, "could not disable user %.64s", name);
	else
		api_reply(c, 200, v);
}

#define API_ADMIN_WHAT "manage users and tokens"

const struct api_route api_admin_routes[] = {
	{ "GET", "/v1/users", API_ROLE_ADMIN, 0, API_ADMIN_WHAT,
	    api_admin_users },
	{ "POST", "/v1/users", API_ROLE_ADMIN, API_BODY, API_ADMIN_WHAT,
	    api_admin_user_add },
	{ "POST", "/v1/users/{name}/tokens", API_ROLE_ADMIN, API_BODY,
	    API_ADMIN_WHAT, api_admin_token_new },
	{ "POST", "/v1/users/{name}/disable", API_ROLE_ADMIN, API_BODY,
	    API_ADMIN_WHAT, api_admin_user_disable },
	{ "POST", "/v1/tokens/{id}/revoke", API_ROLE_ADMIN, API_BODY,
	    API_ADMIN_WHAT, api_admin_token_revoke },
};
const size_t api_admin_nroutes = nitems(api_admin_routes);
