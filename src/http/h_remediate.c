/* SPDX-License-Identifier: Apache-2.0
 *
 * h_remediate.c: assets, their inventories, exposures and their
 * transitions, and notices (contract in h_remediate.h). Every view and
 * change is scoped to the caller's organisation unless the caller's role is
 * clearinghouse-wide; an asset or exposure of another organisation answers
 * 404, as if it did not exist.
 *
 * Changes go through the same library calls as the CLI (remediate/
 * exposure.h), which validate, write, recompute and append the audit entry
 * in one transaction; the API only names the actor ("user:<name>") and maps
 * the library's field names onto the request's.
 */
#include "http/h_remediate.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/num.h"
#include "http/api.h"
#include "http/auth.h"
#include "remediate/exposure.h"
#include "remediate/report.h"

/* Pages of inventory versions and transitions: a long-lived asset has a few hundred at most. */
#define REM_PAGE_DEFAULT 50u
#define REM_PAGE_MAX 500u
/* Name an uploaded inventory is stored under when the request does not give one. */
#define REM_INVENTORY_NAME "inventory"

/* The organisation a caller's views are limited to; 0: every organisation. */
static int64_t scope_of(const struct ch_http_call *call)
{
    return ch_auth_is_wide(&call->principal) ? 0 : call->principal.org_id;
}

/*
 * A remediation context for one change: the worker's store, the directives
 * loaded at start, the app clock and the caller as audit actor. ctx points
 * into the struct, so it is used in place, never copied.
 */
struct rem_call {
    struct ch_rem_ctx ctx;
    char actor[160];
    int64_t audit_seq; /* last audit entry the change appended; 0: none */
};

static void rem_call_init(struct ch_http_call *call, struct rem_call *r)
{
    snprintf(r->actor, sizeof(r->actor), "user:%s", call->principal.user_name);
    r->audit_seq = 0;
    r->ctx = (struct ch_rem_ctx){.store = call->store,
                                 .directives = call->app->directives,
                                 .now = ch_clock_now(&call->app->clock),
                                 .actor = r->actor,
                                 .ret_audit_seq = &r->audit_seq};
}

/*
 * After the library's call: a committed change hands its last audit entry to
 * the server, which signs a checkpoint when one is due (as ch_api_audit()
 * does for changes the handlers audit themselves). Returns rc.
 */
static int rem_call_done(struct ch_http_call *call, const struct rem_call *r, int rc)
{
    if (rc == CH_OK && r->audit_seq > 0)
        call->audit_seq = r->audit_seq;
    return rc;
}

/* Deadlines need the directive set: without it a change would record none, so refuse it. */
static int need_directives(struct ch_http_call *call)
{
    if (call->app->directives != NULL)
        return CH_OK;
    return ch_err_set(&call->err, CH_E_UNAVAILABLE, "remediation directives are not loaded");
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

/* Renders one asset with its inventory history (404 outside the caller's scope). */
static int render_asset(struct ch_http_call *call, int64_t id, int status)
{
    struct ch_jw w;
    ch_api_respond(call, status, &w);
    int rc = ch_asset_show_json(call->store, scope_of(call), id, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

int ch_h_assets_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "asset", &id);
    if (rc != CH_OK)
        return rc;
    return render_asset(call, id, 200);
}

/*
 * The organisation a new asset belongs to: the caller's own unless the body
 * names one. Naming another organisation is 404 for a caller who cannot see
 * it (its existence does not leak); a clearinghouse-wide caller naming one
 * that does not exist gets 422.
 */
static int asset_org(struct ch_http_call *call, const char *slug, int64_t *ret)
{
    if (slug == NULL) {
        *ret = call->principal.org_id;
        return CH_OK;
    }
    int rc = ch_api_visible_org(call, slug, ret);
    if (rc == CH_E_NOTFOUND && ch_auth_is_wide(&call->principal)) {
        ch_err_clear(&call->err);
        return ch_api_fail_422(call, "org", "no organisation '%s'", slug);
    }
    return rc;
}

/* internet_facing of a body (absent leaves *ret); 422 naming it otherwise. */
static int facing_of(struct ch_http_call *call, const char *v, enum ch_asset_exposure *ret)
{
    if (v != NULL && ch_asset_exposure_parse(v, ret) != CH_OK)
        return ch_api_fail_422(call, "internet_facing", "internet_facing: yes, no or unknown");
    return CH_OK;
}

static int impact_of(struct ch_http_call *call, const char *field, const char *v,
                     enum ch_impact *ret)
{
    if (v != NULL && ch_impact_parse(v, ret) != CH_OK)
        return ch_api_fail_422(call, field, "%s: low, medium or high", field);
    return CH_OK;
}

/* The fields of `clearinghouse asset add`, as a JSON object; strings borrowed from body. */
static int parse_asset(struct ch_http_call *call, const cJSON *body, struct ch_asset_new *a)
{
    const char *org = NULL, *facing = NULL, *mission = NULL, *wellbeing = NULL;
    struct ch_err *e = &call->err;
    int rc = ch_json_get_str(body, "name", true, "", &a->name, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "org", false, "", &org, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "environment", false, "", &a->environment, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "tags", false, "", &a->tags, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "internet_facing", false, "", &facing, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "mission_impact", false, "", &mission, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "wellbeing_impact", false, "", &wellbeing, e);
    rc = ch_api_unprocessable(call, rc);
    if (rc == CH_OK)
        rc = facing_of(call, facing, &a->internet_facing);
    if (rc == CH_OK)
        rc = impact_of(call, "mission_impact", mission, &a->mission);
    if (rc == CH_OK)
        rc = impact_of(call, "wellbeing_impact", wellbeing, &a->wellbeing);
    if (rc == CH_OK)
        rc = asset_org(call, org, &a->org_id);
    return rc;
}

/* Sets Location to /api/v1/<collection>/<id><suffix>, what a request created. */
static int locate(struct ch_http_call *call, const char *collection, int64_t id, const char *suffix)
{
    char location[128];
    snprintf(location, sizeof(location), "/api/v1/%s/%lld%s", collection, (long long)id, suffix);
    return ch_http_add_header(call, "location", location);
}

int ch_h_assets_create(struct ch_http_call *call)
{
    static const char *const fields[] = {
        "name", "org", "environment", "internet_facing", "mission_impact", "wellbeing_impact",
        "tags", NULL};
    cJSON *body = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &body);
    if (rc != CH_OK)
        return rc;
    /* the defaults of the CLI: exposure unknown (counts as exposed), impacts medium */
    struct ch_asset_new a = {.internet_facing = CH_ASSET_EXPOSED_UNKNOWN,
                             .mission = CH_IMPACT_MEDIUM,
                             .wellbeing = CH_IMPACT_MEDIUM};
    int64_t id = 0;
    rc = parse_asset(call, body, &a);
    if (rc == CH_OK) {
        struct rem_call r;
        rem_call_init(call, &r);
        rc = ch_api_unprocessable(call, ch_asset_create(&r.ctx, &a, &id, &call->err));
        rc = rem_call_done(call, &r, rc);
    }
    cJSON_Delete(body);
    if (rc == CH_OK)
        rc = locate(call, "assets", id, "");
    if (rc == CH_OK)
        rc = render_asset(call, id, 201);
    return rc;
}

int ch_h_assets_update(struct ch_http_call *call)
{
    static const char *const fields[] = {"internet_facing", NULL};
    int64_t id = 0;
    cJSON *body = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "asset", &id);
    if (rc == CH_OK)
        rc = need_directives(call);
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &body);
    if (rc != CH_OK)
        return rc;
    const char *facing = NULL;
    enum ch_asset_exposure e = CH_ASSET_EXPOSED_UNKNOWN;
    rc = ch_api_unprocessable(
        call, ch_json_get_str(body, "internet_facing", true, "", &facing, &call->err));
    if (rc == CH_OK)
        rc = facing_of(call, facing, &e);
    cJSON_Delete(body);
    if (rc == CH_OK) {
        /* re-decides the asset's deadlines under the directives, as `asset set` does */
        struct rem_call r;
        rem_call_init(call, &r);
        rc = ch_asset_set_exposure(&r.ctx, scope_of(call), id, e, &call->err);
        rc = rem_call_done(call, &r, rc);
    }
    if (rc == CH_OK)
        rc = render_asset(call, id, 200);
    return rc;
}

/*
 * Media types that name an inventory format outright. Any other type (JSON,
 * text, octet-stream) leaves the choice to the `format` parameter, the
 * `name` and the content, as the CLI decides for a file.
 */
static const struct {
    const char *type;
    enum ch_sbom_format format;
} inventory_types[] = {
    {"application/vnd.cyclonedx+json", CH_SBOM_CYCLONEDX},
};

static enum ch_sbom_format format_of_type(struct ch_str content_type)
{
    long semi = ch_str_find_char(content_type, ';');
    struct ch_str t =
        ch_str_trim(semi < 0 ? content_type : ch_str_make(content_type.ptr, (size_t)semi));
    for (size_t i = 0; i < CH_ARRAY_SIZE(inventory_types); i++) {
        if (ch_str_case_eq_c(t, inventory_types[i].type))
            return inventory_types[i].format;
    }
    return CH_SBOM_UNKNOWN;
}

/* The query of an inventory upload: format, name, distro, distro_release. */
struct inventory_query {
    enum ch_sbom_format format;
    const char *name;
    struct ch_sbom_options sbom;
};

static int parse_inventory_query(struct ch_http_call *call, struct inventory_query *q)
{
    static const char *const params[] = {"format", "name", "distro", "distro_release", NULL};
    const char *format = NULL;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_query(call, "format", &format);
    if (rc == CH_OK)
        rc = ch_api_query(call, "name", &q->name);
    if (rc == CH_OK)
        rc = ch_api_query(call, "distro", &q->sbom.distro);
    if (rc == CH_OK)
        rc = ch_api_query(call, "distro_release", &q->sbom.distro_release);
    if (rc != CH_OK)
        return rc;
    if (q->name != NULL && (q->name[0] == '\0' || strlen(q->name) > CH_ASSET_MAX_NAME))
        return ch_api_fail_422(call, "name", "name: 1-%d bytes", CH_ASSET_MAX_NAME);
    if (q->name == NULL)
        q->name = REM_INVENTORY_NAME;
    q->format =
        format != NULL ? ch_sbom_format_from_name(format) : format_of_type(call->req.content_type);
    if (format != NULL && q->format == CH_SBOM_UNKNOWN)
        return ch_api_fail_422(call, "format",
                               "format: cyclonedx, spdx2, spdx3, dpkg, npm-lock, requirements,"
                               " gomod, cargo-lock, gemfile-lock or composer-lock");
    return CH_OK;
}

int ch_h_assets_inventory_put(struct ch_http_call *call)
{
    struct inventory_query q = {.format = CH_SBOM_UNKNOWN};
    int64_t id = 0;
    int rc = parse_inventory_query(call, &q);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "asset", &id);
    if (rc == CH_OK)
        rc = need_directives(call);
    if (rc != CH_OK)
        return rc;
    if (call->req.body.len == 0)
        return ch_err_setf(&call->err, CH_E_INVALID, "body",
                           "the request body must be the inventory (an SBOM or a lockfile)");
    struct ch_inventory_attach in = {.asset_id = id,
                                     .file_name = q.name,
                                     .data = call->req.body.ptr,
                                     .len = call->req.body.len,
                                     .format = q.format,
                                     .sbom = &q.sbom};
    struct rem_call r;
    rem_call_init(call, &r);
    int64_t version = 0;
    struct ch_exposure_stats st = {0};
    /* a document its reader refuses is well-formed HTTP with meaningless content: 422 */
    rc = ch_api_unprocessable(
        call, ch_asset_attach_inventory(&r.ctx, scope_of(call), &in, &version, &st, &call->err));
    rc = rem_call_done(call, &r, rc);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "asset", id);
    ch_jw_kint(&w, "inventory_version", version);
    ch_exposure_stats_json(&st, &w);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

/* A page list of an object's history: {"items": [...], "next_cursor"}. */
typedef int (*history_fn)(struct ch_store *s, int64_t scope_org, int64_t id, int64_t after,
                          size_t limit, struct ch_jw *w, int64_t *ret_next, struct ch_err *err);

static int history_page(struct ch_http_call *call, const char *what, history_fn fn)
{
    static const char *const params[] = {"limit", "cursor", NULL};
    struct ch_api_page page;
    int64_t id = 0;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, REM_PAGE_DEFAULT, REM_PAGE_MAX, &page);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, what, &id);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    int64_t next = 0;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    rc = fn(call->store, scope_of(call), id, page.after, page.limit, &w, &next, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_api_next_cursor(&w, next);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_assets_inventories(struct ch_http_call *call)
{
    return history_page(call, "asset", ch_asset_inventories_json);
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

int ch_h_exposures_transitions(struct ch_http_call *call)
{
    return history_page(call, "exposure", ch_exposure_transitions_json);
}

/* The optional strings of a transition body; borrowed from body. */
static int transition_strings(struct ch_http_call *call, const cJSON *body, const char **status,
                              const char **expires, struct ch_exposure_transition *t)
{
    struct ch_err *e = &call->err;
    int rc = ch_json_get_str(body, "status", true, "", status, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "reason", false, "", &t->reason, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "justification", false, "", &t->justification, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "approver", false, "", &t->approver, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "expires", false, "", expires, e);
    if (rc == CH_OK)
        rc = ch_json_get_str(body, "vex_justification", false, "", &t->vex_justification, e);
    return ch_api_unprocessable(call, rc);
}

/*
 * A transition body, checked as `exposure transition` checks its options;
 * what only the request can get wrong (the status word, the expiry's
 * syntax, the VEX field's name) is answered here, the rest by the library.
 */
static int parse_transition(struct ch_http_call *call, const cJSON *body,
                            struct ch_exposure_transition *t)
{
    const char *status = NULL, *expires = NULL;
    int rc = transition_strings(call, body, &status, &expires, t);
    if (rc != CH_OK)
        return rc;
    if (ch_exposure_status_parse(status, &t->to) != CH_OK || t->to == CH_EXPOSURE_REMEDIATED)
        return ch_api_fail_422(call, "status",
                               "status: open, in_progress, risk_accepted or not_affected"
                               " (remediated is set when an inventory no longer holds an"
                               " affected version)");
    struct ch_err perr = CH_ERR_INIT;
    if (expires != NULL && ch_time_parse(ch_str_c(expires), &t->expires_at, NULL, &perr) != CH_OK)
        return ch_api_fail_422(call, "expires", "expires: %s", perr.msg);
    if (t->to == CH_EXPOSURE_NOT_AFFECTED && !ch_vex_justification_valid(t->vex_justification))
        return ch_api_fail_422(call, "vex_justification",
                               "not_affected needs a VEX justification: component_not_present,"
                               " vulnerable_code_not_present, vulnerable_code_not_in_execute_path,"
                               " vulnerable_code_cannot_be_controlled_by_adversary or"
                               " inline_mitigations_already_exist");
    return CH_OK;
}

int ch_h_exposures_transition(struct ch_http_call *call)
{
    static const char *const fields[] = {
        "status", "reason", "justification", "approver", "expires", "vex_justification", NULL};
    int64_t id = 0;
    cJSON *body = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "exposure", &id);
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &body);
    if (rc != CH_OK)
        return rc;
    struct ch_exposure_transition t = {.expires_at = -1};
    rc = parse_transition(call, body, &t);
    if (rc == CH_OK) {
        struct rem_call r;
        rem_call_init(call, &r);
        /* missing reason, approver, a past expiry: 422; not allowed from the status: 409 */
        rc = ch_api_unprocessable(
            call, ch_exposure_transition(&r.ctx, scope_of(call), id, &t, &call->err));
        rc = rem_call_done(call, &r, rc);
    }
    cJSON_Delete(body);
    if (rc == CH_OK)
        rc = locate(call, "exposures", id, "/transitions");
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 201, &w);
    rc = ch_exposure_show_json(call->store, scope_of(call), id, ch_clock_now(&call->app->clock), &w,
                               &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}
