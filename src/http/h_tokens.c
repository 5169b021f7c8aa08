/* SPDX-License-Identifier: Apache-2.0
 *
 * h_tokens.c: /api/v1/tokens. Everyone creates, lists and revokes their own
 * tokens; admins also do so for any user. A token is never wider than its
 * creator's: a caller's new token gets at most the caller's effective roles
 * (a scoped token cannot mint a broader one). Someone else's token is
 * answered 404.
 */
#include "http/handlers.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "http/api.h"
#include "http/auth.h"
#include "store/store.h"

#define TOKENS_DEFAULT_LIMIT 50u
#define TOKENS_MAX_LIMIT 500u
/* Longest lifetime a token can be given (100 years). */
#define TOKEN_MAX_DAYS 36500

static bool is_admin(const struct ch_http_call *call)
{
    return (call->principal.roles & CH_ROLE_ADMIN) != 0;
}

static void write_token(struct ch_jw *w, struct ch_stmt *st)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kstr(w, "user", ch_stmt_cstr(st, 1));
    ch_jw_kstr(w, "name", ch_stmt_cstr(st, 2));
    char prefix[40];
    snprintf(prefix, sizeof(prefix), "chk_%.12s_...", ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "prefix", prefix);
    ch_jw_kstr(w, "scope", ch_stmt_cstr(st, 4));
    ch_jw_ktime(w, "created_at", ch_stmt_int(st, 5));
    ch_jw_ktime(w, "expires_at", ch_stmt_is_null(st, 6) ? -1 : ch_stmt_int(st, 6));
    ch_jw_ktime(w, "revoked_at", ch_stmt_is_null(st, 7) ? -1 : ch_stmt_int(st, 7));
    ch_jw_obj_close(w);
}

/* The user whose tokens are meant: the caller, or (admins only) the one named. */
static int target_user(struct ch_http_call *call, const char *name, int64_t *ret)
{
    if (name == NULL || strcmp(name, call->principal.user_name) == 0) {
        *ret = call->principal.user_id;
        return CH_OK;
    }
    int64_t id = 0;
    int rc = CH_OK;
    if (is_admin(call))
        rc = ch_store_query_int(call->store, "SELECT id FROM users WHERE name = ?", name, 0, &id,
                                &call->err);
    if (rc != CH_OK)
        return rc;
    if (id == 0)
        return ch_err_setf(&call->err, CH_E_NOTFOUND, "user", "no user '%s'", name);
    *ret = id;
    return CH_OK;
}

int ch_h_tokens_list(struct ch_http_call *call)
{
    static const char *const params[] = {"limit", "cursor", "user", NULL};
    struct ch_api_page page;
    const char *user = NULL;
    int64_t uid = 0;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, TOKENS_DEFAULT_LIMIT, TOKENS_MAX_LIMIT, &page);
    if (rc == CH_OK)
        rc = ch_api_query(call, "user", &user);
    if (rc == CH_OK)
        rc = target_user(call, user, &uid);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(call->store,
                       "SELECT t.id, u.name, t.name, t.lookup, t.scope, t.created_at, t.expires_at,"
                       " t.revoked_at FROM tokens t JOIN users u ON u.id = t.user_id"
                       " WHERE t.user_id = ? AND t.id > ? ORDER BY t.id LIMIT ?",
                       &st, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, uid);
    ch_stmt_bind_int(st, 2, page.after);
    ch_stmt_bind_int(st, 3, (int64_t)page.limit + 1);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    ch_jw_arr_open(&w);
    unsigned n = 0;
    int64_t last = 0, next = 0;
    while ((rc = ch_stmt_step(st, &call->err)) == 1) {
        if (n == page.limit) {
            next = last;
            break;
        }
        write_token(&w, st);
        last = ch_stmt_int(st, 0);
        n++;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    ch_jw_arr_close(&w);
    ch_api_next_cursor(&w, next);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

/* Roles of user `uid` (the ceiling of a token an admin makes for them). */
static int user_roles(struct ch_http_call *call, int64_t uid, unsigned *ret)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(call->store, "SELECT roles FROM users WHERE id = ?", &st, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, uid);
    rc = ch_stmt_step(st, &call->err);
    if (rc == 1)
        rc = ch_roles_parse(ch_stmt_cstr(st, 0), ret, &call->err);
    else if (rc == 0)
        rc = ch_err_set(&call->err, CH_E_NOTFOUND, "no such user");
    ch_stmt_reset(st);
    return rc;
}

struct token_req {
    const char *user;
    const char *name;
    unsigned scope; /* 0: not given */
    int64_t days;   /* 0: never expires */
};

static int parse_token_req(struct ch_http_call *call, const cJSON *body, struct token_req *t)
{
    const cJSON *scope = NULL;
    int rc = ch_json_get_str(body, "user", false, "", &t->user, &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "name", false, "", &t->name, &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_int(body, "expires_in_days", false, "", 1, TOKEN_MAX_DAYS, &t->days,
                             &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(body, "scope", false, "", &scope, &call->err);
    rc = ch_api_unprocessable(call, rc);
    if (rc == CH_OK && scope != NULL)
        rc = ch_h_roles_from_json(call, scope, "scope", &t->scope);
    if (rc == CH_OK && t->name != NULL && strlen(t->name) > 200)
        rc = ch_api_fail_422(call, "name", "'name' is longer than 200 bytes");
    return rc;
}

int ch_h_tokens_create(struct ch_http_call *call)
{
    static const char *const fields[] = {"user", "name", "scope", "expires_in_days", NULL};
    cJSON *body = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &body);
    if (rc != CH_OK)
        return rc;
    struct token_req t = {0};
    int64_t uid = 0;
    unsigned ceiling = call->principal.roles;
    rc = parse_token_req(call, body, &t);
    if (rc == CH_OK && t.user != NULL && strcmp(t.user, call->principal.user_name) != 0 &&
        !is_admin(call))
        rc =
            ch_err_setf(&call->err, CH_E_PERM, "user", "only admins create tokens for other users");
    if (rc == CH_OK)
        rc = target_user(call, t.user, &uid);
    if (rc == CH_E_NOTFOUND) {
        ch_err_clear(&call->err);
        rc = ch_api_fail_422(call, "user", "no user '%s'", t.user);
    }
    if (rc == CH_OK && uid != call->principal.user_id)
        rc = user_roles(call, uid, &ceiling);
    if (rc == CH_OK && t.scope != 0 && (t.scope & ~ceiling) != 0)
        rc = ch_api_fail_422(call, "scope",
                             "the scope names roles the token's user may not use "
                             "through you");
    int64_t now = ch_clock_now(&call->app->clock);
    struct ch_token_new tn = {.user_id = uid,
                              .name = t.name,
                              .scope = t.scope != 0 ? t.scope : ceiling,
                              .expires_at = t.days > 0 ? now + t.days * CH_DAY_SECONDS : -1};
    int64_t id = 0;
    char token[CH_TOKEN_MAX] = "";
    if (rc == CH_OK)
        rc = ch_store_begin_write(call->store, &call->err);
    if (rc == CH_OK) {
        rc = ch_token_create(call->store, &tn, now, &id, token, &call->err);
        char object[48];
        snprintf(object, sizeof(object), "token:%lld", (long long)id);
        if (rc == CH_OK)
            rc = ch_api_audit(call, "token.create", object, NULL);
        if (rc == CH_OK)
            rc = ch_store_commit(call->store, &call->err);
        else
            ch_store_rollback(call->store);
    }
    if (rc == CH_OK) {
        char scope[128];
        ch_roles_format(tn.scope, scope, sizeof(scope));
        struct ch_jw w;
        ch_api_respond(call, 201, &w);
        ch_jw_obj_open(&w);
        ch_jw_kint(&w, "id", id);
        ch_jw_kstr(&w, "token", token);
        ch_jw_kstr(&w, "user", t.user != NULL ? t.user : call->principal.user_name);
        ch_jw_kstr(&w, "name", t.name);
        ch_jw_kstr(&w, "scope", scope);
        ch_jw_ktime(&w, "expires_at", tn.expires_at);
        ch_jw_obj_close(&w);
        rc = ch_jw_finish(&w, &call->err);
    }
    sodium_memzero(token, sizeof(token));
    cJSON_Delete(body);
    return rc;
}

int ch_h_tokens_revoke(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "token", &id);
    if (rc != CH_OK)
        return rc;
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)id);
    int64_t owner = 0;
    rc = ch_store_begin_write(call->store, &call->err);
    if (rc == CH_OK)
        rc = ch_store_query_int(call->store,
                                "SELECT user_id FROM tokens WHERE id = CAST(? AS BIGINT)"
                                " AND revoked_at IS NULL",
                                key, 0, &owner, &call->err);
    if (rc == CH_OK && (owner == 0 || (owner != call->principal.user_id && !is_admin(call))))
        rc = ch_err_set(&call->err, CH_E_NOTFOUND, "no token '%lld'", (long long)id);
    if (rc == CH_OK)
        rc = ch_token_revoke(call->store, id, ch_clock_now(&call->app->clock), &call->err);
    char object[48];
    snprintf(object, sizeof(object), "token:%lld", (long long)id);
    if (rc == CH_OK)
        rc = ch_api_audit(call, "token.revoke", object, NULL);
    if (rc == CH_OK)
        rc = ch_store_commit(call->store, &call->err);
    else if (ch_store_in_tx(call->store))
        ch_store_rollback(call->store);
    if (rc == CH_OK)
        call->res.status = 204;
    return rc;
}
