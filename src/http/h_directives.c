/* SPDX-License-Identifier: Apache-2.0
 *
 * h_directives.c: directives, priority and compliance over HTTP (contract in
 * h_directives.h). Everything here reads: the directive set is immutable
 * and shared by the workers, and reports are reconstructed from the store,
 * so no route appends to the audit log.
 *
 * A decision's body is a flat object of the CLI's NAME=VALUE inputs (a
 * number is taken as its decimal text, so "cvss": 9.8 works); the library
 * names the input it refuses, which becomes the 422's field.
 */
#include "http/h_directives.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/num.h"
#include "http/api.h"
#include "http/auth.h"
#include "remediate/directive.h"
#include "remediate/report.h"

/* A set holds at most CH_DIRECTIVE_MAX_FILES directives; one page shows them all by default. */
#define DIRECTIVES_PAGE_DEFAULT 100u
#define DIRECTIVES_PAGE_MAX 256u
/* Rows of a priority list unless `limit` says otherwise (the CLI's default). */
#define PRIORITY_DEFAULT_LIMIT 50u
/* Members a decision body may hold: the inputs and the three clock dates. */
#define DECIDE_MAX_MEMBERS (CH_H_DECIDE_MAX_INPUTS + 3)

static const struct ch_directive_set *need_set(struct ch_http_call *call)
{
    if (call->app->directives == NULL)
        ch_err_set(&call->err, CH_E_UNAVAILABLE, "remediation directives are not loaded");
    return call->app->directives;
}

int ch_h_directives_list(struct ch_http_call *call)
{
    static const char *const params[] = {"limit", "cursor", NULL};
    struct ch_api_page page;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, DIRECTIVES_PAGE_DEFAULT, DIRECTIVES_PAGE_MAX, &page);
    if (rc != CH_OK)
        return rc;
    const struct ch_directive_set *set = need_set(call);
    if (set == NULL)
        return call->err.rc;
    /* the set is ordered (issue date, id) and fixed while serving: a position is a cursor */
    size_t n = ch_directive_set_count(set);
    size_t i = page.after <= 0 ? 0 : (uint64_t)page.after < n ? (size_t)page.after : n;
    size_t end = n - i > page.limit ? i + page.limit : n;
    int64_t now = ch_clock_now(&call->app->clock);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    ch_jw_arr_open(&w);
    for (; i < end; i++)
        ch_directive_write_summary_json(ch_directive_set_get(set, i), now, &w);
    ch_jw_arr_close(&w);
    ch_api_next_cursor(&w, end < n ? (int64_t)end : 0);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

/* The directive named by path parameter 0, or 404. */
static int directive_of(struct ch_http_call *call, const struct ch_directive **ret)
{
    const char *id = NULL;
    int rc = ch_api_param(call, 0, &id);
    if (rc != CH_OK)
        return rc;
    const struct ch_directive_set *set = need_set(call);
    if (set == NULL)
        return call->err.rc;
    const struct ch_directive *d = ch_directive_set_find(set, ch_str_c(id));
    if (d == NULL)
        return ch_err_setf(&call->err, CH_E_NOTFOUND, "directive", "no directive '%s'", id);
    *ret = d;
    return CH_OK;
}

int ch_h_directives_get(struct ch_http_call *call)
{
    const struct ch_directive *d = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = directive_of(call, &d);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_directive_write_json(d, &w);
    return ch_jw_finish(&w, &call->err);
}

/* One member of a decision body as input text: a string, or a number's decimal form. */
static int input_value(struct ch_http_call *call, const cJSON *m, struct ch_str *ret)
{
    if (cJSON_IsString(m)) {
        *ret = ch_str_c(m->valuestring);
        return CH_OK;
    }
    if (!cJSON_IsNumber(m))
        return ch_api_fail_422(call, m->string, "%.64s: expected a string or a number", m->string);
    char *text = ch_arena_printf(call->arena, "%.17g", m->valuedouble);
    if (text == NULL)
        return ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
    *ret = ch_str_c(text);
    return CH_OK;
}

/* Every member of the body becomes an input (vals[] holds CH_H_DECIDE_MAX_INPUTS). */
static int decide_inputs(struct ch_http_call *call, const cJSON *body, struct ch_ssvc_input *vals,
                         struct ch_directive_inputs *in)
{
    if (cJSON_GetArraySize(body) > DECIDE_MAX_MEMBERS)
        return ch_api_fail_422(call, "inputs", "a decision takes at most %d inputs",
                               CH_H_DECIDE_MAX_INPUTS);
    for (const cJSON *m = body->child; m != NULL; m = m->next) {
        struct ch_str value;
        int rc = input_value(call, m, &value);
        if (rc != CH_OK)
            return rc;
        struct ch_err e = CH_ERR_INIT;
        rc = ch_directive_inputs_add(in, vals, CH_H_DECIDE_MAX_INPUTS, ch_str_c(m->string), value,
                                     &e);
        if (rc != CH_OK)
            return ch_api_fail_422(call, e.field, "%s", e.msg);
    }
    return CH_OK;
}

int ch_h_directives_decide(struct ch_http_call *call)
{
    const struct ch_directive *d = NULL;
    cJSON *body = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = directive_of(call, &d);
    if (rc == CH_OK)
        rc = ch_api_json_body(call, NULL, &body);
    if (rc != CH_OK)
        return rc;
    struct ch_ssvc_input vals[CH_H_DECIDE_MAX_INPUTS];
    struct ch_directive_inputs in = CH_DIRECTIVE_INPUTS_INIT;
    struct ch_directive_decision dec;
    rc = decide_inputs(call, body, vals, &in);
    if (rc == CH_OK) {
        /* an unknown, missing or bad input is the request's fault whatever the code says */
        struct ch_err e = CH_ERR_INIT;
        rc = ch_directive_decide(d, &in, &dec, &e);
        if (rc == CH_E_NOMEM)
            ch_err_copy(&call->err, &e);
        else if (rc != CH_OK)
            rc = ch_api_fail_422(call, e.field, "%s", e.msg);
    }
    if (rc == CH_OK) {
        struct ch_jw w;
        ch_api_respond(call, 200, &w);
        ch_directive_decision_write_json(d, &dec, &w);
        rc = ch_jw_finish(&w, &call->err);
    }
    /* the decision's strings are the directive's, not the body's: safe to free now */
    cJSON_Delete(body);
    return rc;
}

/* ?org=SLUG: an organisation the caller can see (else 404); absent: the caller's scope. */
static int report_scope(struct ch_http_call *call, int64_t *ret)
{
    const char *org = NULL;
    int rc = ch_api_query(call, "org", &org);
    if (rc != CH_OK)
        return rc;
    if (org != NULL)
        return ch_api_visible_org(call, org, ret);
    *ret = ch_auth_is_wide(&call->principal) ? 0 : call->principal.org_id;
    return CH_OK;
}

int ch_h_priority(struct ch_http_call *call)
{
    static const char *const params[] = {"org", "limit", NULL};
    const char *limit = NULL;
    int64_t scope = 0;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = report_scope(call, &scope);
    if (rc == CH_OK)
        rc = ch_api_query(call, "limit", &limit);
    if (rc != CH_OK)
        return rc;
    uint64_t n = PRIORITY_DEFAULT_LIMIT;
    struct ch_err perr = CH_ERR_INIT;
    if (limit != NULL &&
        (ch_num_parse_u64(ch_str_c(limit), CH_PRIORITY_MAX_LIMIT, &n, &perr) != CH_OK || n == 0))
        return ch_api_fail_422(call, "limit", "limit: expected a number from 1 to %d",
                               CH_PRIORITY_MAX_LIMIT);
    if (call->app->priority_table == NULL)
        return ch_err_set(&call->err, CH_E_UNAVAILABLE, "the SSVC priority table is not loaded");
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_priority_json(call->store, call->app->priority_table, scope, (size_t)n,
                          ch_clock_now(&call->app->clock), &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

/* ?as_of=: an RFC 3339 time, or a date meaning its last second (as the CLI's --as-of). */
static int as_of_of(struct ch_http_call *call, int64_t *ret)
{
    const char *v = NULL;
    int rc = ch_api_query(call, "as_of", &v);
    if (rc != CH_OK || v == NULL)
        return rc;
    struct ch_err perr = CH_ERR_INIT;
    if (ch_time_parse(ch_str_c(v), ret, NULL, &perr) != CH_OK)
        return ch_api_fail_422(call, "as_of", "as_of: %s", perr.msg);
    if (strlen(v) == 10)
        *ret += CH_DAY_SECONDS - 1;
    return CH_OK;
}

int ch_h_compliance(struct ch_http_call *call)
{
    static const char *const params[] = {"org", "as_of", NULL};
    int64_t scope = 0;
    int64_t as_of = ch_clock_now(&call->app->clock);
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = report_scope(call, &scope);
    if (rc == CH_OK)
        rc = as_of_of(call, &as_of);
    if (rc != CH_OK)
        return rc;
    const struct ch_directive_set *set = need_set(call);
    if (set == NULL)
        return call->err.rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_compliance_json(call->store, set, scope, as_of, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}
