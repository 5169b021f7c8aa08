/* SPDX-License-Identifier: Apache-2.0
 *
 * h_findings.c: submitting, validating and resolving findings over HTTP
 * (see h_findings.h). Each handler parses and checks the body, calls the
 * library as the command line does, and renders what the library writes.
 */
#include "http/h_findings.h"

#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "disclose/finding.h"
#include "http/api.h"
#include "http/h_disclose.h"
#include "http/pocfiles.h"

/* Library refusals of well-formed input (a bad CWE, a recipe that cannot run) are 422. */
static int fail(struct ch_http_call *call, int rc)
{
    return ch_api_unprocessable(call, rc);
}

static int parse_aliases(struct ch_http_call *call, const cJSON *doc, const char **out,
                         size_t *ret_n)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(doc, "aliases", false, "", &arr, &call->err);
    if (rc != CH_OK)
        return fail(call, rc);
    size_t n = 0;
    for (const cJSON *e = arr != NULL ? arr->child : NULL; e != NULL; e = e->next) {
        if (!cJSON_IsString(e))
            return ch_api_fail_422(call, "aliases", "aliases must be strings");
        if (n >= CH_FINDING_MAX_ALIASES)
            return ch_api_fail_422(call, "aliases", "at most %d aliases", CH_FINDING_MAX_ALIASES);
        out[n++] = e->valuestring;
    }
    *ret_n = n;
    return CH_OK;
}

/* The recipe is a JSON object in the body; the library takes its text (validated there). */
static int parse_recipe(struct ch_http_call *call, const cJSON *doc, bool required,
                        struct ch_buf *out)
{
    const cJSON *r = NULL;
    int rc = ch_json_get_obj(doc, "recipe", required, "", &r, &call->err);
    if (rc != CH_OK)
        return fail(call, rc);
    if (r == NULL)
        return CH_OK;
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_cjson(&w, r);
    rc = ch_jw_finish(&w, &call->err);
    if (rc == CH_E_LIMIT)
        return ch_err_setf(&call->err, CH_E_LIMIT, "recipe", "recipe: at most %zu bytes",
                           CH_REPRO_MAX_RECIPE_BYTES);
    return rc;
}

static int parse_files(struct ch_http_call *call, const cJSON *doc, bool required,
                       struct ch_repro_file **ret, size_t *ret_n)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files");
    if (files == NULL && !required)
        return CH_OK;
    if (files == NULL)
        return ch_api_fail_422(call, "files", "files is required");
    int rc = ch_pocfiles_decode(files, "files", call->arena, ret, ret_n, &call->err);
    return rc == CH_OK ? CH_OK : fail(call, rc);
}

/* The text fields, with the command line's defaults. */
static int parse_submission(struct ch_http_call *call, const cJSON *doc, struct ch_finding_new *f)
{
    int rc = ch_api_body_str(call, doc, "target", true, &f->target);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "title", true, &f->title);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "cwe", true, &f->cwe);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "description", false, &f->description);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "component", false, &f->component);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "ecosystem", false, &f->ecosystem);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "vendor", false, &f->vendor);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "version", false, &f->version);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "introduced", false, &f->introduced);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "fixed", false, &f->fixed);
    const char *cls = NULL;
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "classification", false, &cls);
    if (rc == CH_OK && cls != NULL && ch_clearance_parse(cls, &f->classification) != CH_OK)
        rc = ch_api_fail_422(call, "classification", "unknown classification '%.32s'", cls);
    if (rc == CH_OK)
        rc = ch_api_body_org(call, doc, "org", &f->org_id);
    if (rc != CH_OK)
        return rc;
    if (f->component == NULL)
        f->component = f->target;
    if (f->version == NULL)
        f->version = f->introduced != NULL ? f->introduced : "unspecified";
    if (f->description == NULL)
        f->description = f->title;
    return CH_OK;
}

/* {"finding": {...}, "dedup": {...}}: the stored finding and the verdict at submission. */
static int render_submitted(struct ch_http_call *call, const struct ch_disclose_actor *a,
                            int64_t id)
{
    struct ch_finding_intake v;
    int rc = ch_finding_intake_check(call->store, a, id, &v, &call->err);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 201, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "finding");
    rc = ch_finding_show_json(call->store, a, id, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_jw_key(&w, "dedup");
    ch_finding_intake_json(&v, &w);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_findings_submit(struct ch_http_call *call)
{
    static const char *const allowed[] = {
        "target", "title",   "cwe",        "description", "component",      "ecosystem",
        "vendor", "version", "introduced", "fixed",       "classification", "aliases",
        "org",    "recipe",  "files",      NULL};
    cJSON *doc = NULL;
    int rc = ch_api_json_body(call, allowed, &doc);
    if (rc != CH_OK)
        return rc;
    struct ch_finding_new f = {.classification = CH_CLEAR_UNCLASSIFIED};
    const char *aliases[CH_FINDING_MAX_ALIASES];
    struct ch_buf recipe;
    ch_buf_init(&recipe, CH_REPRO_MAX_RECIPE_BYTES);
    struct ch_repro_file *files = NULL;
    rc = parse_submission(call, doc, &f);
    if (rc == CH_OK)
        rc = parse_aliases(call, doc, aliases, &f.n_aliases);
    if (rc == CH_OK)
        rc = parse_recipe(call, doc, true, &recipe);
    if (rc == CH_OK)
        rc = parse_files(call, doc, true, &files, &f.n_files);
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    int64_t id = 0;
    if (rc == CH_OK) {
        f.aliases = aliases;
        f.recipe = ch_buf_cstr(&recipe);
        f.recipe_len = ch_buf_len(&recipe);
        f.files = files;
        rc = fail(call, ch_finding_submit(call->store, &a.a, &f, ch_clock_now(&call->app->clock),
                                          &id, &call->err));
    }
    if (rc == CH_OK)
        rc = render_submitted(call, &a.a, id);
    ch_buf_release(&recipe);
    cJSON_Delete(doc);
    return rc;
}

int ch_h_findings_validate(struct ch_http_call *call)
{
    static const char *const allowed[] = {"runs", NULL};
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "finding", &id);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_api_json_body_opt(call, allowed, &doc);
    int64_t runs = 0;
    if (rc == CH_OK)
        rc = ch_api_body_int(call, doc, "runs", false, 1, CH_REPRO_MAX_RUNS, &runs);
    cJSON_Delete(doc);
    if (rc != CH_OK)
        return rc;
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    struct ch_repro_options o = {.runs = (unsigned)runs};
    struct ch_finding_validation v;
    rc = ch_finding_validate(call->store, &a.a, id, &o, ch_clock_now(&call->app->clock), &v,
                             &call->err);
    if (rc != CH_OK)
        return fail(call, rc);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_finding_validation_json(&v, id, &w);
    return ch_jw_finish(&w, &call->err);
}

/*
 * The library resolves a match by its id for any wide role; the finding in
 * the path must also be one the caller may see (clearance), else 404.
 */
static int check_visible(struct ch_http_call *call, const struct ch_disclose_actor *a, int64_t id)
{
    struct ch_buf scratch;
    ch_buf_init(&scratch, CH_HTTP_MAX_RESPONSE);
    struct ch_jw w;
    ch_jw_init(&w, &scratch, 0);
    int rc = ch_finding_show_json(call->store, a, id, &w, &call->err);
    ch_buf_release(&scratch);
    return rc;
}

int ch_h_findings_resolve(struct ch_http_call *call)
{
    static const char *const allowed[] = {"match", "decision", NULL};
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "finding", &id);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_api_json_body(call, allowed, &doc);
    int64_t match = 0;
    const char *decision = NULL;
    if (rc == CH_OK)
        rc = ch_api_body_int(call, doc, "match", true, 1, INT64_MAX, &match);
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "decision", true, &decision);
    bool confirmed = decision != NULL && strcmp(decision, "confirm") == 0;
    if (rc == CH_OK && !confirmed && strcmp(decision, "dismiss") != 0)
        rc = ch_api_fail_422(call, "decision", "decision must be confirm or dismiss");
    struct ch_h_disclose_actor a;
    ch_h_disclose_actor(call, &a);
    if (rc == CH_OK)
        rc = check_visible(call, &a.a, id);
    if (rc == CH_OK)
        rc = ch_finding_match_resolve(call->store, &a.a, id, match, confirmed,
                                      ch_clock_now(&call->app->clock), &call->err);
    cJSON_Delete(doc);
    if (rc != CH_OK)
        return fail(call, rc);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_finding_show_json(call->store, &a.a, id, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}
