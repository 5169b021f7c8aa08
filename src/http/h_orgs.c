/* SPDX-License-Identifier: Apache-2.0
 *
 * h_orgs.c: /api/v1/orgs. Everyone authenticated may list and read
 * organisations they can see (clearinghouse-wide roles: all; others: their
 * own); only admins create them. Another organisation is answered 404.
 */
#include "http/handlers.h"

#include <string.h>
#include <stdio.h>

#include "http/api.h"
#include "http/auth.h"
#include "store/store.h"

#define ORGS_DEFAULT_LIMIT 50u
#define ORGS_MAX_LIMIT 500u

#define ORG_COLUMNS "id, slug, name, category, sector, created_at"

static void write_org(struct ch_jw *w, struct ch_stmt *st)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kstr(w, "slug", ch_stmt_cstr(st, 1));
    ch_jw_kstr(w, "name", ch_stmt_cstr(st, 2));
    ch_jw_kstr(w, "category", ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "sector", ch_stmt_cstr(st, 4));
    ch_jw_ktime(w, "created_at", ch_stmt_int(st, 5));
    ch_jw_obj_close(w);
}

int ch_h_orgs_list(struct ch_http_call *call)
{
    static const char *const params[] = {"limit", "cursor", "category", NULL};
    struct ch_api_page page;
    const char *category = NULL;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, ORGS_DEFAULT_LIMIT, ORGS_MAX_LIMIT, &page);
    if (rc == CH_OK)
        rc = ch_api_query(call, "category", &category);
    if (rc != CH_OK)
        return rc;
    enum ch_org_category cat;
    if (category != NULL && ch_org_category_parse(ch_str_c(category), &cat, &call->err) != CH_OK)
        return call->err.rc;
    int64_t only = ch_auth_is_wide(&call->principal) ? 0 : call->principal.org_id;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(call->store,
                       "SELECT " ORG_COLUMNS " FROM orgs WHERE id > ? AND (? = 0 OR id = ?)"
                       " AND (CAST(? AS TEXT) IS NULL OR category = ?) ORDER BY id LIMIT ?",
                       &st, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, page.after);
    ch_stmt_bind_int(st, 2, only);
    ch_stmt_bind_int(st, 3, only);
    ch_stmt_bind_cstr(st, 4, category);
    ch_stmt_bind_cstr(st, 5, category);
    ch_stmt_bind_int(st, 6, (int64_t)page.limit + 1);
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
        write_org(&w, st);
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

/* Renders one organisation by slug, or 404 when missing or not visible. */
static int show(struct ch_http_call *call, const char *slug, int status)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(call->store, "SELECT " ORG_COLUMNS " FROM orgs WHERE slug = ?", &st,
                           &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, slug);
    rc = ch_stmt_step(st, &call->err);
    if (rc < 0)
        return rc;
    if (rc == 0 || ch_auth_require_org(call, ch_stmt_int(st, 0), "organisation", slug) != CH_OK) {
        ch_stmt_reset(st);
        ch_err_clear(&call->err);
        return ch_err_set(&call->err, CH_E_NOTFOUND, "no organisation '%s'", slug);
    }
    struct ch_jw w;
    ch_api_respond(call, status, &w);
    write_org(&w, st);
    ch_stmt_reset(st);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_orgs_get(struct ch_http_call *call)
{
    const char *slug = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param(call, 0, &slug);
    if (rc != CH_OK)
        return rc;
    return show(call, slug, 200);
}

static int parse_org(struct ch_http_call *call, const cJSON *body, struct ch_org_new *o)
{
    const char *category = NULL;
    int rc = ch_json_get_str(body, "slug", true, "", &o->slug, &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "name", true, "", &o->name, &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "category", true, "", &category, &call->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "sector", false, "", &o->sector, &call->err);
    if (rc == CH_OK)
        rc = ch_org_category_parse(ch_str_c(category), &o->category, &call->err);
    return ch_api_unprocessable(call, rc);
}

int ch_h_orgs_create(struct ch_http_call *call)
{
    static const char *const fields[] = {"slug", "name", "category", "sector", NULL};
    cJSON *body = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &body);
    if (rc != CH_OK)
        return rc;
    struct ch_org_new o = {0};
    rc = parse_org(call, body, &o);
    int64_t id = 0;
    char object[96];
    if (rc == CH_OK)
        rc = ch_store_begin_write(call->store, &call->err);
    if (rc == CH_OK) {
        rc = ch_api_unprocessable(
            call, ch_org_create(call->store, &o, ch_clock_now(&call->app->clock), &id, &call->err));
        snprintf(object, sizeof(object), "org:%s", o.slug);
        if (rc == CH_OK)
            rc = ch_api_audit(call, "org.create", object, NULL);
        if (rc == CH_OK)
            rc = ch_store_commit(call->store, &call->err);
        else
            ch_store_rollback(call->store);
    }
    if (rc == CH_OK) {
        char location[128];
        snprintf(location, sizeof(location), "/api/v1/orgs/%s", o.slug);
        rc = ch_http_add_header(call, "location", location);
    }
    if (rc == CH_OK)
        rc = show(call, o.slug, 201);
    cJSON_Delete(body);
    return rc;
}
