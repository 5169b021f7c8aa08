/* SPDX-License-Identifier: Apache-2.0
 *
 * h_cases.c: case actions over HTTP (see h_cases.h). Each handler parses the
 * body, calls disclose/case.h as the command line does (the library
 * audits), and answers with the case as it now is, or with what the action
 * produced (fix verification, publication).
 */
#include "http/h_cases.h"

#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "disclose/case.h"
#include "http/api.h"
#include "http/h_disclose.h"
#include "http/pocfiles.h"

/* A fix is sent like a PoC: the route's body and string caps are the findings' ones. */

static int64_t now_of(struct ch_http_call *call)
{
    return ch_clock_now(&call->app->clock);
}

/* The case as it is after a change. */
static int respond_case(struct ch_http_call *call, const struct ch_disclose_actor *a, int status,
                        int64_t id)
{
    struct ch_jw w;
    ch_api_respond(call, status, &w);
    int rc = ch_case_show_json(call->store, a, id, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

/* The case id of the path and the body. */
static int begin(struct ch_http_call *call, const char *const *allowed, bool body_required,
                 int64_t *ret_id, cJSON **ret_doc)
{
    int rc = ch_api_param_id(call, 0, "case", ret_id);
    if (rc != CH_OK)
        return rc;
    return body_required ? ch_api_json_body(call, allowed, ret_doc)
                         : ch_api_json_body_opt(call, allowed, ret_doc);
}

static int parse_participants(struct ch_http_call *call, const cJSON *doc, int64_t *ids,
                              size_t *ret_n)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(doc, "participants", false, "", &arr, &call->err);
    if (rc != CH_OK)
        return ch_api_unprocessable(call, rc);
    size_t n = 0;
    for (const cJSON *e = arr != NULL ? arr->child : NULL; e != NULL; e = e->next) {
        if (!cJSON_IsString(e))
            return ch_api_fail_422(call, "participants", "participants are organisation slugs");
        if (n >= CH_CASE_MAX_PARTICIPANTS)
            return ch_api_fail_422(call, "participants", "at most %d participants",
                                   CH_CASE_MAX_PARTICIPANTS);
        struct ch_err ferr = CH_ERR_INIT;
        rc = ch_org_find(call->store, e->valuestring, &ids[n], &ferr);
        if (rc == CH_E_NOTFOUND)
            return ch_api_fail_422(call, "participants", "no organisation '%.64s'", e->valuestring);
        if (rc != CH_OK) {
            ch_err_copy(&call->err, &ferr);
            return rc;
        }
        n++;
    }
    *ret_n = n;
    return CH_OK;
}

int ch_h_cases_open(struct ch_http_call *call)
{
    static const char *const allowed[] = {"finding", "exploited",    "embargo_days",
                                          "vendor",  "participants", NULL};
    cJSON *doc = NULL;
    int rc = ch_api_json_body(call, allowed, &doc);
    if (rc != CH_OK)
        return rc;
    struct ch_case_open o = {0};
    int64_t parts[CH_CASE_MAX_PARTICIPANTS];
    rc = ch_api_body_int(call, doc, "finding", true, 1, INT64_MAX, &o.finding_id);
    if (rc == CH_OK)
        rc = ch_api_unprocessable(
            call, ch_json_get_bool(doc, "exploited", false, "", &o.exploited, &call->err));
    if (rc == CH_OK)
        rc = ch_api_body_int(call, doc, "embargo_days", false, 1, CH_CASE_MAX_EMBARGO_DAYS,
                             &o.embargo_days);
    if (rc == CH_OK)
        rc = ch_api_body_org(call, doc, "vendor", &o.vendor_org_id);
    if (rc == CH_OK)
        rc = parse_participants(call, doc, parts, &o.n_participants);
    cJSON_Delete(doc);
    if (rc != CH_OK)
        return rc;
    o.participant_orgs = parts;
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    int64_t id = 0;
    rc = ch_case_open(call->store, &a.a, &o, now_of(call), &id, &call->err);
    if (rc != CH_OK)
        return ch_api_unprocessable(call, rc);
    return respond_case(call, &a.a, 201, id);
}

int ch_h_cases_transition(struct ch_http_call *call)
{
    static const char *const allowed[] = {"state", "note", NULL};
    int64_t id = 0;
    cJSON *doc = NULL;
    int rc = begin(call, allowed, true, &id, &doc);
    const char *state = NULL;
    const char *note = NULL;
    enum ch_case_state to = CH_CASE_NEW;
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "state", true, &state);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "note", false, &note);
    if (rc == CH_OK && ch_case_state_parse(state, &to) != CH_OK)
        rc = ch_api_fail_422(call, "state", "unknown case state '%.32s'", state);
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    if (rc == CH_OK)
        rc = ch_api_unprocessable(
            call, ch_case_transition(call->store, &a.a, id, to, note, now_of(call), &call->err));
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_case(call, &a.a, 200, id) : rc;
}

int ch_h_cases_exploited(struct ch_http_call *call)
{
    static const char *const allowed[] = {"days", NULL};
    int64_t id = 0;
    cJSON *doc = NULL;
    int rc = begin(call, allowed, false, &id, &doc);
    int64_t days = 0;
    if (rc == CH_OK)
        rc = ch_api_body_int(call, doc, "days", false, 1, CH_CASE_MAX_EMBARGO_DAYS, &days);
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    if (rc == CH_OK)
        rc = ch_api_unprocessable(
            call, ch_case_mark_exploited(call->store, &a.a, id, days, now_of(call), &call->err));
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_case(call, &a.a, 200, id) : rc;
}

int ch_h_cases_participant(struct ch_http_call *call)
{
    static const char *const allowed[] = {"org", "role", NULL};
    int64_t id = 0;
    cJSON *doc = NULL;
    int rc = begin(call, allowed, true, &id, &doc);
    int64_t org = 0;
    const char *role = "coordinator";
    if (rc == CH_OK)
        rc = ch_api_body_org(call, doc, "org", &org);
    if (rc == CH_OK && org == 0)
        rc = ch_api_fail_422(call, "org", "org is required");
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "role", false, &role);
    if (rc == CH_OK && strcmp(role, "vendor") != 0 && strcmp(role, "coordinator") != 0)
        rc = ch_api_fail_422(call, "role", "role must be vendor or coordinator");
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    if (rc == CH_OK)
        rc = ch_api_unprocessable(call, ch_case_add_participant(call->store, &a.a, id, org, role,
                                                                now_of(call), &call->err));
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_case(call, &a.a, 200, id) : rc;
}

static int parse_fix(struct ch_http_call *call, const cJSON *doc, struct ch_buf *recipe,
                     struct ch_case_fix *fix, int64_t *runs)
{
    int rc = ch_api_body_str(call, doc, "version", true, &fix->fixed_version);
    if (rc == CH_OK)
        rc = ch_api_body_int(call, doc, "runs", false, 1, CH_REPRO_MAX_RUNS, runs);
    const cJSON *r = NULL;
    if (rc == CH_OK)
        rc = ch_api_unprocessable(call, ch_json_get_obj(doc, "recipe", false, "", &r, &call->err));
    if (rc == CH_OK && r != NULL) {
        struct ch_jw w;
        ch_jw_init(&w, recipe, 0);
        ch_jw_cjson(&w, r);
        rc = ch_jw_finish(&w, &call->err);
        fix->recipe = ch_buf_cstr(recipe);
        fix->recipe_len = ch_buf_len(recipe);
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files");
    if (rc == CH_OK && files != NULL) {
        struct ch_repro_file *f = NULL;
        rc = ch_api_unprocessable(
            call, ch_pocfiles_decode(files, "files", call->arena, &f, &fix->n_files, &call->err));
        fix->files = f;
    }
    return rc;
}

int ch_h_cases_verify_fix(struct ch_http_call *call)
{
    static const char *const allowed[] = {"version", "recipe", "files", "runs", NULL};
    int64_t id = 0;
    cJSON *doc = NULL;
    int rc = begin(call, allowed, true, &id, &doc);
    struct ch_buf recipe;
    ch_buf_init(&recipe, CH_REPRO_MAX_RECIPE_BYTES);
    struct ch_case_fix fix = {0};
    int64_t runs = 0;
    if (rc == CH_OK)
        rc = parse_fix(call, doc, &recipe, &fix, &runs);
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    struct ch_case_fix_result res = {0};
    if (rc == CH_OK) {
        struct ch_repro_options o = {.runs = (unsigned)runs};
        rc = ch_api_unprocessable(call, ch_case_verify_fix(call->store, &a.a, id, &fix, &o,
                                                           now_of(call), &res, &call->err));
    }
    ch_buf_release(&recipe);
    cJSON_Delete(doc);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "case", id);
    ch_jw_kint(&w, "run", res.run_id);
    ch_jw_kbool(&w, "fixed", res.fixed);
    ch_jw_kstr(&w, "outcome", ch_repro_outcome_str(res.outcome));
    ch_jw_kint(&w, "runs", res.n_runs);
    ch_jw_kint(&w, "matched", res.n_matched);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_cases_publish(struct ch_http_call *call)
{
    static const char *const allowed[] = {NULL};
    int64_t id = 0;
    cJSON *doc = NULL;
    int rc = begin(call, allowed, false, &id, &doc);
    cJSON_Delete(doc);
    if (rc != CH_OK)
        return rc;
    static const struct ch_disclose_publisher defaults = {0};
    const struct ch_disclose_publisher *pub =
        call->app->publisher != NULL ? call->app->publisher : &defaults;
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    struct ch_case_published p;
    rc = ch_case_publish(call->store, &a.a, id, pub, now_of(call), &p, &call->err);
    if (rc != CH_OK)
        return ch_api_unprocessable(call, rc);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "case", id);
    ch_jw_kstr(&w, "advisory_id", p.advisory_id);
    ch_jw_kstr(&w, "osv_id", p.osv_id);
    ch_jw_kstr(&w, "csaf_path", p.csaf_path);
    ch_jw_kint(&w, "kb_vuln_id", p.kb_vuln_id);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}
