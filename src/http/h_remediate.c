/* SPDX-License-Identifier: Apache-2.0
 *
 * h_remediate.c: read-only views of assets, exposures and notices
 * (contract in h_remediate.h). Every view is scoped to the caller's
 * organisation unless the caller's role is clearinghouse-wide; an asset or
 * exposure of another organisation answers 404, as if it did not exist.
 */
#include "http/h_remediate.h"

#include <stdbool.h>
#include <stdint.h>

#include "core/num.h"
#include "http/api.h"
#include "http/auth.h"
#include "remediate/exposure.h"
#include "remediate/report.h"

/* The organisation a caller's views are limited to; 0: every organisation. */
static int64_t scope_of(const struct ch_http_call *call)
{
    return ch_auth_is_wide(&call->principal) ? 0 : call->principal.org_id;
}

/* Wraps a library's JSON array as {"items": [...], "next_cursor": null}. */
static int items_finish(struct ch_http_call *call, struct ch_jw *w, int rc)
{
    if (rc != CH_OK)
        return rc;
    ch_api_next_cursor(w, 0);
    ch_jw_obj_close(w);
    return ch_jw_finish(w, &call->err);
}

int ch_h_assets_list(struct ch_http_call *call)
{
    int rc = ch_api_check_query(call, NULL);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    rc = ch_asset_list_json(call->store, scope_of(call), &w, &call->err);
    return items_finish(call, &w, rc);
}

int ch_h_assets_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "asset", &id);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_asset_show_json(call->store, scope_of(call), id, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

int ch_h_exposures_list(struct ch_http_call *call)
{
    static const char *const params[] = {"status", "overdue", "asset", "limit", NULL};
    const char *status = NULL, *asset = NULL, *limit = NULL;
    bool overdue = false;
    struct ch_exposure_filter f = {.scope_org = scope_of(call), .status = -2};
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_query(call, "status", &status);
    if (rc == CH_OK)
        rc = ch_api_query_bool(call, "overdue", &overdue);
    if (rc == CH_OK)
        rc = ch_api_query(call, "asset", &asset);
    if (rc == CH_OK)
        rc = ch_api_query(call, "limit", &limit);
    if (rc != CH_OK)
        return rc;
    if (status != NULL) {
        enum ch_exposure_status es;
        if (ch_str_eq_c(ch_str_c(status), "all"))
            f.status = -1;
        else if (ch_str_eq_c(ch_str_c(status), "active"))
            f.status = -2;
        else if (ch_exposure_status_parse(status, &es) == CH_OK)
            f.status = (int)es;
        else
            return ch_api_fail_422(call, "status",
                                   "status: expected active, all, open, in_progress, remediated,"
                                   " risk_accepted or not_affected");
    }
    f.overdue_only = overdue;
    if (asset != NULL) {
        uint64_t n = 0;
        struct ch_err e = CH_ERR_INIT;
        if (ch_num_parse_u64(ch_str_c(asset), INT64_MAX, &n, &e) != CH_OK || n == 0)
            return ch_api_fail_422(call, "asset", "asset: expected an asset id");
        f.asset_id = (int64_t)n;
    }
    if (limit != NULL) {
        uint64_t n = 0;
        struct ch_err e = CH_ERR_INIT;
        if (ch_num_parse_u64(ch_str_c(limit), CH_EXPOSURE_MAX_LIST, &n, &e) != CH_OK || n == 0)
            return ch_api_fail_422(call, "limit", "limit: expected a number from 1 to %d",
                                   CH_EXPOSURE_MAX_LIST);
        f.limit = (size_t)n;
    }
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    rc = ch_exposure_list_json(call->store, &f, ch_clock_now(&call->app->clock), &w, &call->err);
    return items_finish(call, &w, rc);
}

int ch_h_exposures_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "exposure", &id);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_exposure_show_json(call->store, scope_of(call), id, ch_clock_now(&call->app->clock), &w,
                               &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

int ch_h_notices_list(struct ch_http_call *call)
{
    static const char *const params[] = {"since", NULL};
    int64_t since = -1; /* absent: every notice */
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_query_time(call, "since", &since);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    rc = ch_notices_json(call->store, scope_of(call), since, &w, &call->err);
    return items_finish(call, &w, rc);
}
