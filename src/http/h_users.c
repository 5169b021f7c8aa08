/* SPDX-License-Identifier: Apache-2.0
 *
 * h_users.c: /api/v1/users. Users of an organisation list and read that
 * organisation's users; clearinghouse-wide roles see everyone; only admins
 * create users. A user of another organisation is answered 404.
 */
#include "http/handlers.h"

#include <string.h>
#include <stdio.h>

#include "http/api.h"
#include "http/auth.h"
#include "store/store.h"

#define USERS_DEFAULT_LIMIT 50u
#define USERS_MAX_LIMIT 500u
/* Roles named in one request body (there are six). */
#define MAX_ROLES_LISTED 16

#define USER_COLUMNS                                                                               \
    "u.id, u.name, o.slug, u.roles, u.clearance, u.created_at, u.disabled_at, u.org_id"

static void write_roles(struct ch_jw *w, const char *roles)
{
    ch_jw_key(w, "roles");
    ch_jw_arr_open(w);
    struct ch_str rest = ch_str_c(roles != NULL ? roles : ""), tok;
    while (ch_str_split_next(&rest, ',', &tok)) {
        if (tok.len > 0)
            ch_jw_str(w, tok.ptr, tok.len);
    }
    ch_jw_arr_close(w);
}

static void write_user(struct ch_jw *w, struct ch_stmt *st)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kstr(w, "name", ch_stmt_cstr(st, 1));
    ch_jw_kstr(w, "org", ch_stmt_cstr(st, 2));
    write_roles(w, ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "clearance", ch_stmt_cstr(st, 4));
    ch_jw_ktime(w, "created_at", ch_stmt_int(st, 5));
    ch_jw_ktime(w, "disabled_at", ch_stmt_is_null(st, 6) ? -1 : ch_stmt_int(st, 6));
    ch_jw_obj_close(w);
}

int ch_h_users_list(struct ch_http_call *call)
{
    static const char *const params[] = {"limit", "cursor", "org", NULL};
    struct ch_api_page page;
    const char *org = NULL;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, USERS_DEFAULT_LIMIT, USERS_MAX_LIMIT, &page);
    if (rc == CH_OK)
        rc = ch_api_query(call, "org", &org);
    if (rc != CH_OK)
        return rc;
    int64_t only = ch_auth_is_wide(&call->principal) ? 0 : call->principal.org_id;
    if (org != NULL) {
        rc = ch_api_visible_org(call, org, &only);
        if (rc != CH_OK)
            return rc;
    }
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(call->store,
                       "SELECT " USER_COLUMNS " FROM users u JOIN orgs o ON o.id = u.org_id"
                       " WHERE u.id > ? AND (? = 0 OR u.org_id = ?) ORDER BY u.id LIMIT ?",
                       &st, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, page.after);
    ch_stmt_bind_int(st, 2, only);
    ch_stmt_bind_int(st, 3, only);
    ch_stmt_bind_int(st, 4, (int64_t)page.limit + 1);
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
        write_user(&w, st);
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

static int show(struct ch_http_call *call, const char *name, int status)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(call->store,
                           "SELECT " USER_COLUMNS " FROM users u JOIN orgs o ON o.id = u.org_id"
                           " WHERE u.name = ?",
                           &st, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, name);
    rc = ch_stmt_step(st, &call->err);
    if (rc < 0)
        return rc;
    if (rc == 0 || !ch_auth_sees_org(&call->principal, ch_stmt_int(st, 7))) {
        ch_stmt_reset(st);
        return ch_err_set(&call->err, CH_E_NOTFOUND, "no user '%s'", name);
    }
    struct ch_jw w;
    ch_api_respond(call, status, &w);
    write_user(&w, st);
    ch_stmt_reset(st);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_users_get(struct ch_http_call *call)
{
    const char *name = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param(call, 0, &name);
    if (rc != CH_OK)
        return rc;
    return show(call, name, 200);
}

int ch_h_roles_from_json(struct ch_http_call *call, const cJSON *arr, const char *field,
                         unsigned *ret)
{
    if (!cJSON_IsArray(arr))
        return ch_api_fail_422(call, field, "'%s' must be an array of role names", field);
    unsigned roles = 0;
    int n = 0;
    for (const cJSON *r = arr->child; r != NULL; r = r->next) {
        if (!cJSON_IsString(r) || ++n > MAX_ROLES_LISTED)
            return ch_api_fail_422(call, field, "'%s' must be an array of role names", field);
        unsigned one = 0;
        struct ch_err perr = CH_ERR_INIT;
        if (strchr(r->valuestring, ',') != NULL ||
            ch_roles_parse(r->valuestring, &one, &perr) != CH_OK)
            return ch_api_fail_422(call, field, "%s", perr.msg[0] ? perr.msg : "unknown role");
        roles |= one;
    }
    if (roles == 0)
        return ch_api_fail_422(call, field, "name at least one role");
    *ret = roles;
    return CH_OK;
}

static int parse_user(struct ch_http_call *call, const cJSON *body, struct ch_user_new *u,
                      const char **ret_org)
{
    const char *clearance = "unclassified";
    const cJSON *roles = NULL;
    int rc = ch_json_get_str(body, "name", true, "", &u->name, &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "org", true, "", ret_org, &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "clearance", false, "", &clearance, &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(body, "roles", true, "", &roles, &call->err);
    rc = ch_api_unprocessable(call, rc);
    if (rc == CH_OK)
        rc = ch_h_roles_from_json(call, roles, "roles", &u->roles);
    if (rc == CH_OK && ch_clearance_parse(clearance, &u->clearance) != CH_OK)
        rc = ch_api_fail_422(call, "clearance",
                             "unknown clearance (unclassified, cui, secret, top_secret)");
    return rc;
}

int ch_h_users_create(struct ch_http_call *call)
{
    static const char *const fields[] = {"name", "org", "roles", "clearance", NULL};
    cJSON *body = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &body);
    if (rc != CH_OK)
        return rc;
    struct ch_user_new u = {0};
    const char *org = NULL;
    rc = parse_user(call, body, &u, &org);
    if (rc == CH_OK)
        rc = ch_store_begin_write(call->store, &call->err);
    if (rc == CH_OK) {
        int64_t id = 0;
        rc = ch_org_find(call->store, org, &u.org_id, &call->err);
        if (rc == CH_E_NOTFOUND) {
            ch_err_clear(&call->err);
            rc = ch_api_fail_422(call, "org", "no organisation '%s'", org);
        }
        if (rc == CH_OK)
            rc = ch_api_unprocessable(
                call,
                ch_user_create(call->store, &u, ch_clock_now(&call->app->clock), &id, &call->err));
        char object[160], details[256];
        char roles[128];
        ch_roles_format(u.roles, roles, sizeof(roles));
        snprintf(object, sizeof(object), "user:%s", u.name);
        snprintf(details, sizeof(details), "{\"org\":\"%s\",\"roles\":\"%s\",\"clearance\":\"%s\"}",
                 org, roles, ch_clearance_name(u.clearance));
        if (rc == CH_OK)
            rc = ch_api_audit(call, "user.create", object, details);
        if (rc == CH_OK)
            rc = ch_store_commit(call->store, &call->err);
        else
            ch_store_rollback(call->store);
    }
    if (rc == CH_OK) {
        char location[200];
        snprintf(location, sizeof(location), "/api/v1/users/%s", u.name);
        rc = ch_http_add_header(call, "location", location);
    }
    if (rc == CH_OK)
        rc = show(call, u.name, 201);
    cJSON_Delete(body);
    return rc;
}
