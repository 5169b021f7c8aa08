/* SPDX-License-Identifier: Apache-2.0
 *
 * pages_other.c: the analyst's national picture, scan coordination (leases
 * and the deconfliction search), submissions and disclosure cases, and the
 * evaluation views (models, designations, windows; runs are in
 * pages_runs.c). Everything but the evaluation views reads the API through
 * web__api; those call the eval library with the caller's eval actor, which
 * applies the same clearance and need-to-know rules the library applies for
 * the CLI and gateway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/designate.h"
#include "eval/models.h"
#include "eval/windows.h"
#include "web/html.h"
#include "web/internal.h"

/* KEV items listed on the national page. */
#define TOP_KEV 10

struct tally {
    const char *key;
    size_t exposures;
    size_t assets; /* distinct (org, asset) */
    const char *seen[64];
};

/* Adds a row to the tally of `key` (linear: there are tens of categories or CVEs). */
static void tally_add(struct page *p, struct tally *t, size_t *n, size_t max, const char *key,
                      const cJSON *row)
{
    size_t i = 0;
    while (i < *n && strcmp(t[i].key, key) != 0)
        i++;
    if (i == *n) {
        if (*n == max)
            return;
        t[(*n)++] = (struct tally){.key = key};
    }
    t[i].exposures++;
    const char *asset = ch_arena_printf(p->call->arena, "%s/%s", web__text(p, row, "org"),
                                        web__text(p, row, "asset"));
    for (size_t k = 0; k < t[i].assets && k < 64; k++) {
        if (strcmp(t[i].seen[k], asset) == 0)
            return;
    }
    if (t[i].assets < 64)
        t[i].seen[t[i].assets] = asset;
    t[i].assets++;
}

static void tally_table(struct page *p, const char *id, const char *caption, const char *what,
                        const char *param, struct tally *t, size_t n, const char *extra)
{
    struct ch_buf *b = &p->main;
    ch_buf_appendf(b, "<div class=\"scroll\"><table id=\"%s\"><caption>", id);
    ch_html_esc(b, caption);
    ch_buf_appendf(b,
                   "</caption><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">Active "
                   "exposures</th><th scope=\"col\">Assets exposed</th></tr></thead><tbody>",
                   what);
    for (size_t i = 0; i < n; i++) {
        struct ch_buf href;
        ch_buf_init(&href, 2048);
        ch_buf_appendf(&href, "/ui/exposures?%s=", param);
        ch_url_esc(&href, t[i].key);
        ch_buf_append_c(&href, extra);
        ch_buf_append_c(b, "<tr><th scope=\"row\">");
        ch_html_esc(b, t[i].key[0] != '\0' ? t[i].key : "(none)");
        ch_buf_append_c(b, "</th><td>");
        web__link(b, ch_buf_cstr(&href), ch_arena_printf(p->call->arena, "%zu", t[i].exposures));
        ch_buf_appendf(b, "</td><td>%zu</td></tr>", t[i].assets);
        ch_buf_release(&href);
    }
    if (n == 0)
        ch_buf_append_c(b, "<tr><td colspan=\"3\">No active exposures.</td></tr>");
    ch_buf_append_c(b, "</tbody></table></div>");
}

static int by_assets_desc(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;
    if (x->assets != y->assets)
        return x->assets < y->assets ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* A count of an API list, linked to the page listing it. */
static void count_card(struct page *p, const char *api_path, const char *query, const char *href,
                       const char *label)
{
    cJSON *items = NULL;
    struct ch_buf *b = &p->main;
    if (web__api_items(p, api_path, query, &items) != CH_OK) {
        p->call->err = (struct ch_err)CH_ERR_INIT;
        return; /* the caller's roles do not reach it: no card */
    }
    ch_buf_append_c(b, "<li>");
    web__link(b, href, ch_arena_printf(p->call->arena, "%d", cJSON_GetArraySize(items)));
    ch_buf_appendf(b, " %s</li>", label);
    cJSON_Delete(items);
}

int ch_web_national(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "National picture"))
        return CH_OK;
    cJSON *rows = NULL;
    int rc = web__exposure_rows(&p, NULL, true, &rows);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    struct tally cat[16], sec[32], kev[256];
    size_t n_cat = 0, n_sec = 0, n_kev = 0;
    for (const cJSON *r = rows->child; r != NULL; r = r->next) {
        tally_add(&p, cat, &n_cat, 16, web__text(&p, r, "category"), r);
        const char *s = web__text(&p, r, "sector");
        if (s[0] != '\0')
            tally_add(&p, sec, &n_sec, 32, s, r);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "kev")))
            tally_add(&p, kev, &n_kev, 256, web__text(&p, r, "vulnerability"), r);
    }
    qsort(kev, n_kev, sizeof(kev[0]), by_assets_desc);
    ch_buf_append_c(&p.main, "<div class=\"grid2\"><section aria-labelledby=\"h-cat\"><h2 "
                             "id=\"h-cat\">By category</h2>");
    tally_table(&p, "by-category", "Active exposures by organisation category", "Category",
                "category", cat, n_cat, "");
    ch_buf_append_c(&p.main, "</section><section aria-labelledby=\"h-sec\"><h2 id=\"h-sec\">"
                             "Critical infrastructure by sector</h2>");
    tally_table(&p, "by-sector", "Active exposures by sector", "Sector", "sector", sec, n_sec, "");
    ch_buf_append_c(&p.main, "</section></div><section aria-labelledby=\"h-kev\"><h2 "
                             "id=\"h-kev\">Known exploited vulnerabilities with the most exposed "
                             "assets</h2>");
    tally_table(&p, "kev-top", "KEV items by assets exposed", "Vulnerability", "vulnerability", kev,
                n_kev < TOP_KEV ? n_kev : TOP_KEV, "&kev=true");
    cJSON_Delete(rows);
    ch_buf_append_c(&p.main, "</section><section aria-labelledby=\"h-disc\"><h2 id=\"h-disc\">"
                             "Discovery and disclosure</h2><ul class=\"cards\">");
    count_card(&p, "/api/v1/findings", "state=submitted", "/ui/findings?state=submitted",
               "submissions awaiting validation");
    count_card(&p, "/api/v1/cases", NULL, "/ui/cases", "disclosure cases");
    count_card(&p, "/api/v1/coord/leases", NULL, "/ui/leases", "scanning leases");
    ch_buf_append_c(&p.main, "</ul></section>");
    return web__finish(&p);
}

/* ---- lists over the API ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

int ch_web_leases(struct ch_http_call *call)
{
    static const struct web_col cols[] = {
        {"id", "Lease", NULL},        {"target", "Target", NULL}, {"kind", "Kind", NULL},
        {"holder", "Holder", NULL},   {"owner", "Owner", NULL},   {"mode", "Mode", NULL},
        {"start", "Starts", NULL},    {"end", "Ends", NULL},      {"state", "State", NULL},
        {"sources", "Sources", NULL},
    };
    static const struct web_filter filters[] = {{"state", "State"}, {"holder", "Holder"}};
    static const char *const pass[] = {"target", "active", NULL};
    struct web_list spec = {.id = "leases",
                            .title = "Scanning leases",
                            .cols = cols,
                            .n_cols = N(cols),
                            .filters = filters,
                            .n_filters = N(filters),
                            .keep = pass};
    return web__list_page(call, "Scanning leases", "/api/v1/coord/leases", pass, &spec,
                          "<p>Leases on your scopes (operators) or held by you (partners). <a "
                          "href=\"/ui/deconflict\">Is some scanning authorised?</a></p>");
}

int ch_web_findings(struct ch_http_call *call)
{
    static const struct web_col cols[] = {
        {"id", "Submission", NULL},
        {"org", "Organisation", NULL},
        {"title", "Title", NULL},
        {"component", "Component", NULL},
        {"version", "Version", NULL},
        {"state", "State", NULL},
        {"crash_class", "Crash", NULL},
        {"repro_rate", "Reproduced", NULL},
        {"duplicate_of", "Duplicate of", NULL},
    };
    static const struct web_filter filters[] = {{"org", "Organisation"}};
    static const char *const pass[] = {"state", NULL};
    struct web_list spec = {.id = "findings",
                            .title = "Submissions",
                            .cols = cols,
                            .n_cols = N(cols),
                            .filters = filters,
                            .n_filters = N(filters),
                            .keep = pass};
    return web__list_page(
        call, "Submissions", "/api/v1/findings", pass, &spec,
        "<p>Findings submitted with a proof of concept, and what the sandboxed "
        "validation made of them (<a href=\"/ui/findings?state=submitted\">awaiting "
        "validation</a>).</p>");
}

int ch_web_cases(struct ch_http_call *call)
{
    static const struct web_col cols[] = {
        {"id", "Case", NULL},
        {"finding", "Submission", NULL},
        {"state", "State", NULL},
        {"exploited", "Exploited", NULL},
        {"embargo_days", "Embargo (days)", NULL},
        {"embargo_until", "Embargo until", NULL},
        {"validated_at", "Validated", NULL},
        {"fix_version", "Fixed in", NULL},
    };
    static const struct web_filter filters[] = {{"exploited", "Exploited (true/false)"}};
    static const char *const pass[] = {"state", NULL};
    struct web_list spec = {.id = "cases",
                            .title = "Disclosure cases",
                            .cols = cols,
                            .n_cols = N(cols),
                            .filters = filters,
                            .n_filters = N(filters),
                            .keep = pass};
    return web__list_page(call, "Disclosure cases and embargoes", "/api/v1/cases", pass, &spec,
                          NULL);
}

/* ---- deconfliction ---- */

int ch_web_deconflict(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Deconfliction search"))
        return CH_OK;
    const char *source = web__q(&p, "source");
    const char *target = web__q(&p, "target");
    const char *time = web__q(&p, "time");
    struct ch_buf *b = &p.main;
    ch_buf_append_c(b, "<p>Is the scanning seen from a source against a target, at a time, "
                       "covered by a lease?</p><form class=\"filters\" method=\"get\" "
                       "action=\"/ui/deconflict\"><label>Source (address) <input name=\"source\" "
                       "required value=\"");
    ch_html_esc(b, source);
    ch_buf_append_c(b, "\"></label><label>Target <input name=\"target\" required value=\"");
    ch_html_esc(b, target);
    ch_buf_append_c(b, "\"></label><label>Time (RFC 3339, empty: now) <input name=\"time\" "
                       "value=\"");
    ch_html_esc(b, time);
    ch_buf_append_c(b, "\"></label><button type=\"submit\">Search</button></form>");
    if (source != NULL && target != NULL) {
        struct ch_buf body;
        ch_buf_init(&body, 4096);
        struct ch_jw w;
        ch_jw_init(&w, &body, 0);
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "source", source);
        ch_jw_kstr(&w, "target", target);
        if (time != NULL)
            ch_jw_kstr(&w, "time", time);
        ch_jw_obj_close(&w);
        cJSON *answer = NULL;
        int rc = ch_jw_finish(&w, &call->err);
        if (rc == CH_OK)
            rc =
                web__api(&p, CH_HTTP_POST, "/api/v1/deconflict", NULL, ch_buf_cstr(&body), &answer);
        ch_buf_release(&body);
        if (rc != CH_OK) {
            ch_buf_append_c(b, "<p class=\"error\" role=\"alert\">");
            ch_html_esc(b, call->err.msg);
            ch_buf_append_c(b, "</p>");
            call->err = (struct ch_err)CH_ERR_INIT;
        } else {
            char *text = cJSON_PrintUnformatted(answer);
            ch_buf_append_c(b, "<h2>Answer</h2><pre class=\"answer\" role=\"status\">");
            ch_html_esc(b, text);
            ch_buf_append_c(b, "</pre>");
            cJSON_free(text);
            cJSON_Delete(answer);
        }
    }
    return web__finish(&p);
}

/* ---- evaluation ---- */

static int models_json(struct page *p, const struct ch_eval_actor *a, struct ch_jw *w)
{
    return ch_models_list_json(p->call->store, a, w, &p->call->err);
}

static int decisions_json(struct page *p, const struct ch_eval_actor *a, struct ch_jw *w)
{
    return ch_decision_list_json(p->call->store, a, 0, w, &p->call->err);
}

static int windows_json(struct page *p, const struct ch_eval_actor *a, struct ch_jw *w)
{
    return ch_window_list_json(p->call->store, a, 0, ch_clock_now(&p->call->app->clock), w,
                               &p->call->err);
}

int web__eval_rows(struct page *p, web_eval_list_fn fn, cJSON **ret)
{
    char name[160];
    struct ch_eval_actor a;
    ch_eval_actor_from_principal(&p->call->principal, name, sizeof(name), &a);
    struct ch_buf b;
    ch_buf_init(&b, CH_WEB_MAX_PAGE);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    int rc = fn(p, &a, &w);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, &p->call->err);
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "eval", ret, &p->call->err);
    ch_buf_release(&b);
    if (rc == CH_OK && !cJSON_IsArray(*ret)) {
        cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(*ret, "items");
        cJSON_Delete(*ret);
        *ret = items;
        if (!cJSON_IsArray(items))
            rc = ch_err_set(&p->call->err, CH_E_INTERNAL, "evaluation list without items");
    }
    return rc;
}

/* Adds "days_left" to each window: whole days until it ends (0 once ended). */
static void add_days_left(struct page *p, cJSON *windows)
{
    int64_t now = ch_clock_now(&p->call->app->clock);
    for (cJSON *w = windows->child; w != NULL; w = w->next) {
        int64_t end = 0;
        const char *e = ch_json_str(w, "ends_at");
        struct ch_err err = CH_ERR_INIT;
        if (e == NULL || ch_time_parse(ch_str_c(e), &end, NULL, &err) != CH_OK)
            continue;
        int64_t left = end > now ? (end - now + CH_DAY_SECONDS - 1) / CH_DAY_SECONDS : 0;
        cJSON_AddNumberToObject(w, "days_left", (double)left);
    }
}

/* Adds "ref" (NAME@VERSION, the runs list's model filter) and the "runs" link text. */
static void add_run_links(struct page *p, cJSON *models)
{
    for (cJSON *m = models->child; m != NULL; m = m->next) {
        const char *ref = ch_arena_printf(p->call->arena, "%s@%s", web__text(p, m, "name"),
                                          web__text(p, m, "version"));
        cJSON_AddStringToObject(m, "ref", ref != NULL ? ref : "");
        cJSON_AddStringToObject(m, "runs", "runs");
    }
}

static void eval_table(struct page *p, const char *id, const char *title, cJSON *rows,
                       const struct web_col *cols, size_t n_cols)
{
    struct web_list spec = {.id = id, .title = title, .cols = cols, .n_cols = n_cols};
    struct ch_buf *b = &p->main;
    ch_buf_appendf(b, "<section aria-labelledby=\"h-%s\"><h2 id=\"h-%s\">", id, id);
    ch_html_esc(b, title);
    ch_buf_append_c(b, "</h2><div class=\"scroll\"><table><thead><tr>");
    for (size_t c = 0; c < spec.n_cols; c++) {
        ch_buf_append_c(b, "<th scope=\"col\">");
        ch_html_esc(b, cols[c].label);
        ch_buf_append_c(b, "</th>");
    }
    ch_buf_append_c(b, "</tr></thead><tbody>");
    for (const cJSON *r = rows->child; r != NULL; r = r->next) {
        ch_buf_append_c(b, "<tr>");
        for (size_t c = 0; c < n_cols; c++) {
            ch_buf_append_c(b, "<td>");
            if (cols[c].link != NULL) {
                struct ch_buf href;
                ch_buf_init(&href, 4096);
                web__expand_link(p, &href, cols[c].link, r);
                web__link(b, ch_buf_cstr(&href), web__text(p, r, cols[c].key));
                ch_buf_release(&href);
            } else {
                ch_html_esc(b, web__text(p, r, cols[c].key));
            }
            ch_buf_append_c(b, "</td>");
        }
        ch_buf_append_c(b, "</tr>");
    }
    if (rows->child == NULL)
        ch_buf_appendf(b, "<tr><td colspan=\"%zu\">None visible to you.</td></tr>", n_cols);
    ch_buf_append_c(b, "</tbody></table></div></section>");
}

int ch_web_models(struct ch_http_call *call)
{
    static const struct web_col model_cols[] = {
        {"id", "Model", NULL},
        {"org", "Developer", NULL},
        {"name", "Name", NULL},
        {"version", "Version", NULL},
        {"prerelease", "Pre-release", NULL},
        {"classification", "Classification", NULL},
        {"gateway_killed", "Gateway stopped", NULL},
        {"runs", "Evaluation runs", "/ui/runs?model={ref}"},
    };
    static const struct web_col decision_cols[] = {
        {"id", "Decision", NULL},
        {"model_id", "Model", NULL},
        {"version", "Version", NULL},
        {"policy", "Policy", NULL},
        {"policy_version", "Policy version", NULL},
        {"outcome", "Outcome", NULL},
        {"decided_at", "Decided", NULL},
    };
    static const struct web_col window_cols[] = {
        {"id", "Window", NULL},           {"model", "Model", NULL},
        {"version", "Version", NULL},     {"state", "State", NULL},
        {"starts_at", "Starts", NULL},    {"ends_at", "Ends", NULL},
        {"days_left", "Days left", NULL},
    };
    struct page p;
    if (!web__begin(call, &p, "Models, designations and windows"))
        return CH_OK;
    cJSON *models = NULL, *decisions = NULL, *windows = NULL;
    int rc = web__eval_rows(&p, models_json, &models);
    if (rc == CH_OK)
        rc = web__eval_rows(&p, decisions_json, &decisions);
    if (rc == CH_OK)
        rc = web__eval_rows(&p, windows_json, &windows);
    if (rc != CH_OK) {
        cJSON_Delete(models);
        cJSON_Delete(decisions);
        return web__fail(&p, rc, call->err.msg);
    }
    add_days_left(&p, windows);
    add_run_links(&p, models);
    ch_buf_append_c(&p.main, "<p>Models you may see, the designation decisions about them "
                             "(signed, with the policy version) and pre-release evaluation "
                             "windows with the days they have left. The <a "
                             "href=\"/ui/runs\">evaluation runs</a> page lists the runs behind "
                             "the decisions, with their success rates and intervals.</p>");
    eval_table(&p, "models", "Models", models, model_cols, N(model_cols));
    eval_table(&p, "decisions", "Designation decisions", decisions, decision_cols,
               N(decision_cols));
    eval_table(&p, "windows", "Evaluation windows", windows, window_cols, N(window_cols));
    cJSON_Delete(models);
    cJSON_Delete(decisions);
    cJSON_Delete(windows);
    return web__finish(&p);
}
