/* SPDX-License-Identifier: Apache-2.0
 *
 * pages_remediate.c: the operator's views: overview, compliance by
 * directive (with its history as charts), the remediation queue and the
 * exposures behind every figure, assets, notices, and the status-change
 * form. Lists are the API's answers (web__api); compliance, which has no
 * API route yet, is the library's report scoped with ch_rem_scope(), the
 * scope the API's remediation views use.
 */
#include <stdio.h>
#include <string.h>

#include "core/num.h"
#include "http/api.h"
#include "remediate/exposure.h"
#include "remediate/report.h"
#include "web/chart.h"
#include "web/html.h"
#include "web/internal.h"

/* Points of the history charts: month ends before today, then today. */
#define HISTORY_POINTS 7

/* ---- compliance ---- */

static int compliance_doc(struct page *p, int64_t as_of, cJSON **ret)
{
    struct ch_http_call *call = p->call;
    if (p->web->directives == NULL)
        return ch_err_set(&call->err, CH_E_UNAVAILABLE, "directives not loaded: %s",
                          p->web->directives_error);
    struct ch_buf b;
    ch_buf_init(&b, CH_WEB_MAX_PAGE);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    int rc = ch_compliance_json(call->store, p->web->directives, ch_rem_scope(&call->principal),
                                as_of, &w, &call->err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, &call->err);
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "compliance", ret, &call->err);
    ch_buf_release(&b);
    return rc;
}

/* A figure of the compliance table, linked to the exposures behind it. */
static void figure_link(struct page *p, const cJSON *d, const char *key, const char *org,
                        const char *directive, const char *filter)
{
    struct ch_buf *b = &p->main;
    const char *n = web__text(p, d, key);
    ch_buf_appendf(b, "<td data-col=\"%s\"><a href=\"/ui/exposures?org=", key);
    ch_url_esc(b, org);
    ch_buf_append_c(b, "&amp;directives=");
    ch_url_esc(b, directive);
    ch_buf_appendf(b, "&amp;%s\">", filter);
    ch_html_esc(b, n);
    ch_buf_append_c(b, "</a></td>");
}

/* The table of organisation × directive; directives no longer in force only with history. */
static void compliance_table(struct page *p, const cJSON *doc, bool history)
{
    struct ch_buf *b = &p->main;
    ch_buf_append_c(b, "<div class=\"scroll\"><table id=\"compliance\"><caption>Compliance by "
                       "directive, as of ");
    ch_html_esc(b, ch_json_str(doc, "as_of"));
    ch_buf_append_c(b, "</caption><thead><tr><th scope=\"col\">Organisation</th><th "
                       "scope=\"col\">Directive</th><th scope=\"col\">In scope</th><th "
                       "scope=\"col\">Fixed on time</th><th scope=\"col\">Fixed late</th><th "
                       "scope=\"col\">Open, on time</th><th scope=\"col\">Overdue</th><th "
                       "scope=\"col\">Risk accepted</th><th scope=\"col\">Median days to "
                       "fix</th></tr></thead><tbody>");
    size_t rows = 0;
    const cJSON *orgs = ch_json_arr(doc, "organisations");
    for (const cJSON *o = orgs != NULL ? orgs->child : NULL; o != NULL; o = o->next) {
        const char *org = ch_json_str(o, "org");
        const cJSON *ds = ch_json_arr(o, "directives");
        for (const cJSON *d = ds != NULL ? ds->child : NULL; d != NULL; d = d->next) {
            bool in_force = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "in_force"));
            if (!in_force && !history)
                continue;
            const char *dir = ch_json_str(d, "directive");
            ch_buf_append_c(b, "<tr><th scope=\"row\">");
            ch_html_esc(b, org);
            ch_buf_append_c(b, "</th><td>");
            ch_html_esc(b, dir);
            ch_buf_append_c(b, in_force ? "" : " <small>(revoked)</small>");
            ch_buf_append_c(b, "</td>");
            figure_link(p, d, "in_scope", org, dir, "status=all");
            figure_link(p, d, "remediated_on_time", org, dir, "status=remediated");
            figure_link(p, d, "remediated_late", org, dir, "status=remediated");
            figure_link(p, d, "open_within_deadline", org, dir, "overdue=false");
            figure_link(p, d, "overdue", org, dir, "overdue=true");
            figure_link(p, d, "risk_accepted", org, dir, "status=risk_accepted");
            ch_buf_append_c(b, "<td>");
            ch_html_esc(b, web__text(p, d, "median_days_to_remediate"));
            ch_buf_append_c(b, "</td></tr>");
            rows++;
        }
    }
    if (rows == 0)
        ch_buf_append_c(b, "<tr><td colspan=\"9\">No exposure falls under a directive in "
                           "force.</td></tr>");
    ch_buf_append_c(b, "</tbody></table></div>");
}

/* Month ends before today (oldest first), then today. */
static void history_dates(int64_t now, int64_t out[HISTORY_POINTS])
{
    int64_t y = 0;
    unsigned m = 0, d = 0;
    ch_civil_from_days(now / CH_DAY_SECONDS, &y, &m, &d);
    out[HISTORY_POINTS - 1] = now;
    for (int i = HISTORY_POINTS - 2; i >= 0; i--) {
        /* the last second of the month before (y, m) */
        out[i] = ch_days_from_civil(y, m, 1) * CH_DAY_SECONDS - 1;
        if (m == 1) {
            m = 12;
            y--;
        } else {
            m--;
        }
    }
}

/* Overdue exposures per directive at each date, reconstructed with --as-of. */
static int compliance_chart(struct page *p, int64_t now)
{
    int64_t dates[HISTORY_POINTS];
    history_dates(now, dates);
    const char *series_names[CH_CHART_MAX_SERIES];
    double values[CH_CHART_MAX_SERIES][HISTORY_POINTS] = {{0}};
    size_t n_series = 0;
    const char *labels[HISTORY_POINTS];
    for (int i = 0; i < HISTORY_POINTS; i++) {
        char day[CH_TIME_STR_MAX];
        labels[i] = ch_arena_strdup(p->call->arena, ch_time_format_date(dates[i], day));
        cJSON *doc = NULL;
        int rc = compliance_doc(p, dates[i], &doc);
        if (rc != CH_OK)
            return rc;
        const cJSON *orgs = ch_json_arr(doc, "organisations");
        for (const cJSON *o = orgs != NULL ? orgs->child : NULL; o != NULL; o = o->next) {
            const cJSON *ds = ch_json_arr(o, "directives");
            for (const cJSON *d = ds != NULL ? ds->child : NULL; d != NULL; d = d->next) {
                const char *dir = ch_json_str(d, "directive");
                size_t s = 0;
                while (s < n_series && strcmp(series_names[s], dir) != 0)
                    s++;
                if (s == n_series) {
                    if (n_series == CH_CHART_MAX_SERIES)
                        continue;
                    series_names[n_series++] = ch_arena_strdup(p->call->arena, dir);
                }
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "overdue");
                values[s][i] += cJSON_IsNumber(v) ? v->valuedouble : 0;
            }
        }
        cJSON_Delete(doc);
    }
    struct ch_chart_series series[CH_CHART_MAX_SERIES];
    for (size_t s = 0; s < n_series; s++)
        series[s] = (struct ch_chart_series){series_names[s], values[s]};
    struct ch_chart_lines c = {.id = "chart-compliance",
                               .title = "Overdue exposures by directive over time",
                               .desc = "Overdue exposures at the end of each month and today, per "
                                       "directive, reconstructed from the recorded history.",
                               .labels = labels,
                               .n_points = HISTORY_POINTS,
                               .series = series,
                               .n_series = n_series};
    ch_chart_lines_svg(&p->main, &c);
    return CH_OK;
}

/* Exposures still to fix at each date: detected by then, not yet remediated or closed. */
static int burndown_chart(struct page *p, int64_t now)
{
    cJSON *items = NULL;
    int rc = web__api_items(p, "/api/v1/exposures", "status=all", &items);
    if (rc != CH_OK)
        return rc;
    int64_t dates[HISTORY_POINTS];
    history_dates(now, dates);
    double open[HISTORY_POINTS] = {0};
    const char *labels[HISTORY_POINTS];
    for (int i = 0; i < HISTORY_POINTS; i++) {
        char day[CH_TIME_STR_MAX];
        labels[i] = ch_arena_strdup(p->call->arena, ch_time_format_date(dates[i], day));
    }
    for (const cJSON *e = items->child; e != NULL; e = e->next) {
        int64_t found = 0, fixed = INT64_MAX;
        const char *st = ch_json_str(e, "status");
        if (st != NULL && (strcmp(st, "not_affected") == 0 || strcmp(st, "risk_accepted") == 0))
            continue; /* closed by a decision, not by a fix */
        const char *det = ch_json_str(e, "detected_at");
        const char *rem = ch_json_str(e, "remediated_at");
        if (det == NULL || ch_time_parse(ch_str_c(det), &found, NULL, &p->call->err) != CH_OK)
            continue;
        if (rem != NULL && ch_time_parse(ch_str_c(rem), &fixed, NULL, &p->call->err) != CH_OK)
            fixed = INT64_MAX;
        for (int i = 0; i < HISTORY_POINTS; i++)
            open[i] += found <= dates[i] && fixed > dates[i] ? 1 : 0;
    }
    p->call->err = (struct ch_err)CH_ERR_INIT;
    cJSON_Delete(items);
    struct ch_chart_series s = {"exposures to fix", open};
    struct ch_chart_lines c = {.id = "chart-burndown",
                               .title = "Exposure burn-down",
                               .desc = "Exposures detected and not yet remediated at the end of "
                                       "each month and today (accepted risks and not-affected "
                                       "verdicts left out).",
                               .labels = labels,
                               .n_points = HISTORY_POINTS,
                               .series = &s,
                               .n_series = 1};
    ch_chart_lines_svg(&p->main, &c);
    return CH_OK;
}

int ch_web_compliance(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Compliance by directive"))
        return CH_OK;
    int64_t now = ch_clock_now(&call->app->clock);
    cJSON *doc = NULL;
    int rc = compliance_doc(&p, now, &doc);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    bool history = web__q(&p, "history") != NULL;
    ch_buf_append_c(&p.main, "<p>Each figure links to the exposures behind it. ");
    ch_buf_append_c(&p.main, history ? "<a href=\"/ui/compliance\">Hide revoked directives</a>"
                                     : "<a href=\"/ui/compliance?history=1\">Show revoked "
                                       "directives too</a>");
    ch_buf_append_c(&p.main, "</p>");
    compliance_table(&p, doc, history);
    cJSON_Delete(doc);
    ch_buf_append_c(&p.main, "<h2>Over time</h2><div class=\"charts\">");
    rc = compliance_chart(&p, now);
    if (rc == CH_OK)
        rc = burndown_chart(&p, now);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    ch_buf_append_c(&p.main, "</div>");
    return web__finish(&p);
}

/* ---- exposures ---- */

static const struct web_col exposure_cols[] = {
    {"id", "Exposure", "/ui/exposures/{id}"},
    {"org", "Organisation", NULL},
    {"asset", "Asset", "/ui/assets/{asset_id}"},
    {"vulnerability", "Vulnerability", NULL},
    {"package", "Package", NULL},
    {"version", "Version", NULL},
    {"fixed", "Fixed in", NULL},
    {"status", "Status", NULL},
    {"due", "Due", NULL},
    {"overdue", "Overdue", NULL},
    {"directives", "Directives", NULL},
    {"outcome", "Decision", NULL},
    {"kev", "KEV", NULL},
};

static const struct web_filter exposure_filters[] = {
    {"org", "Organisation"},
    {"asset_id", "Asset id"},
    {"vulnerability", "Vulnerability"},
    {"directives", "Directive"},
    {"overdue", "Overdue (true/false)"},
    {"kev", "KEV (true/false)"},
    {"category", "Category"},
    {"sector", "Sector"},
};

static const char *const exposure_keep[] = {"status", NULL};

/* Adds each row's organisation category and sector (from the API's organisation list). */
static int add_org_facts(struct page *p, cJSON *rows)
{
    cJSON *orgs = NULL;
    int rc = web__api_items(p, "/api/v1/orgs", NULL, &orgs);
    if (rc != CH_OK)
        return rc;
    for (cJSON *r = rows->child; r != NULL; r = r->next) {
        const char *slug = ch_json_str(r, "org");
        for (const cJSON *o = orgs->child; o != NULL && slug != NULL; o = o->next) {
            if (strcmp(ch_json_str(o, "slug") != NULL ? ch_json_str(o, "slug") : "", slug) != 0)
                continue;
            const char *cat = ch_json_str(o, "category");
            const char *sec = ch_json_str(o, "sector");
            cJSON_AddStringToObject(r, "category", cat != NULL ? cat : "");
            cJSON_AddStringToObject(r, "sector", sec != NULL ? sec : "");
            break;
        }
    }
    cJSON_Delete(orgs);
    return CH_OK;
}

int web__exposure_rows(struct page *p, const char *status, bool facts, cJSON **ret)
{
    struct ch_buf q;
    ch_buf_init(&q, 1024);
    ch_buf_appendf(&q, "limit=%d", CH_EXPOSURE_MAX_LIST);
    if (status != NULL) {
        ch_buf_append_c(&q, "&status=");
        ch_url_esc(&q, status);
    }
    int rc = ch_buf_status(&q, "query", &p->call->err);
    cJSON *items = NULL;
    if (rc == CH_OK)
        rc = web__api_items(p, "/api/v1/exposures", ch_buf_cstr(&q), &items);
    ch_buf_release(&q);
    if (rc == CH_OK && facts)
        rc = add_org_facts(p, items);
    if (rc != CH_OK) {
        cJSON_Delete(items);
        return rc;
    }
    *ret = items;
    return CH_OK;
}

int ch_web_exposures(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Exposures"))
        return CH_OK;
    cJSON *items = NULL;
    bool facts = web__q(&p, "category") != NULL || web__q(&p, "sector") != NULL;
    int rc = web__exposure_rows(&p, web__q(&p, "status"), facts, &items);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    ch_buf_append_c(&p.main, "<p>The remediation queue: active exposures by due date, soonest "
                             "first (<a href=\"/ui/exposures?status=all\">every status</a>, <a "
                             "href=\"/ui/exposures?overdue=true\">overdue only</a>).</p>");
    struct web_list spec = {.id = "exposures",
                            .title = "Exposures",
                            .cols = exposure_cols,
                            .n_cols = sizeof(exposure_cols) / sizeof(exposure_cols[0]),
                            .filters = exposure_filters,
                            .n_filters = sizeof(exposure_filters) / sizeof(exposure_filters[0]),
                            .keep = exposure_keep};
    rc = web__list(&p, &spec, items);
    cJSON_Delete(items);
    if (rc != CH_OK || call->res.content_type != NULL)
        return rc; /* an export, or an error page already made */
    return web__finish(&p);
}

/* Scalar members of an object as a definition list. */
static void facts_dl(struct page *p, const cJSON *obj)
{
    struct ch_buf *b = &p->main;
    ch_buf_append_c(b, "<dl class=\"facts\">");
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        if (cJSON_IsObject(m) || cJSON_IsArray(m))
            continue;
        ch_buf_append_c(b, "<dt>");
        ch_html_esc(b, m->string);
        ch_buf_appendf(b, "</dt><dd data-field=\"%s\">", m->string);
        ch_html_esc(b, web__text(p, obj, m->string));
        ch_buf_append_c(b, "</dd>");
    }
    ch_buf_append_c(b, "</dl>");
}

/* A nested array of objects as a plain table (history, inventory versions). */
static void sub_table(struct page *p, const cJSON *arr, const char *caption)
{
    struct ch_buf *b = &p->main;
    if (!cJSON_IsArray(arr) || arr->child == NULL)
        return;
    ch_buf_append_c(b, "<div class=\"scroll\"><table><caption>");
    ch_html_esc(b, caption);
    ch_buf_append_c(b, "</caption><thead><tr>");
    for (const cJSON *k = arr->child->child; k != NULL; k = k->next) {
        ch_buf_append_c(b, "<th scope=\"col\">");
        ch_html_esc(b, k->string);
        ch_buf_append_c(b, "</th>");
    }
    ch_buf_append_c(b, "</tr></thead><tbody>");
    for (const cJSON *r = arr->child; r != NULL; r = r->next) {
        ch_buf_append_c(b, "<tr>");
        for (const cJSON *k = arr->child->child; k != NULL; k = k->next) {
            ch_buf_append_c(b, "<td>");
            ch_html_esc(b, web__text(p, r, k->string));
            ch_buf_append_c(b, "</td>");
        }
        ch_buf_append_c(b, "</tr>");
    }
    ch_buf_append_c(b, "</tbody></table></div>");
}

static void status_form(struct page *p, const char *id)
{
    struct ch_buf *b = &p->main;
    ch_buf_append_c(b, "<h2 id=\"change\">Change the status</h2><form class=\"status\" "
                       "method=\"post\" action=\"/ui/exposures/");
    ch_html_esc(b, id);
    ch_buf_append_c(b, "/status\">");
    web__csrf_field(p, b);
    ch_buf_append_c(
        b, "<label for=\"to\">New status</label><select id=\"to\" name=\"to\" required>"
           "<option value=\"in_progress\">in progress</option><option value=\"open\">open"
           "</option><option value=\"risk_accepted\">risk accepted</option><option "
           "value=\"not_affected\">not affected</option></select>"
           "<label for=\"reason\">Reason</label><textarea id=\"reason\" name=\"reason\" "
           "required maxlength=\"2000\"></textarea>"
           "<fieldset><legend>Risk acceptance only</legend><label for=\"justification\">"
           "Justification</label><input id=\"justification\" name=\"justification\">"
           "<label for=\"approver\">Approver</label><input id=\"approver\" name=\"approver\">"
           "<label for=\"expires\">Expires (YYYY-MM-DD)</label><input id=\"expires\" "
           "name=\"expires\" type=\"date\"></fieldset>"
           "<fieldset><legend>Not affected only</legend><label for=\"vex\">VEX justification"
           "</label><select id=\"vex\" name=\"vex\"><option value=\"\">(none)</option>"
           "<option>component_not_present</option><option>vulnerable_code_not_present"
           "</option><option>vulnerable_code_not_in_execute_path</option><option>"
           "vulnerable_code_cannot_be_controlled_by_adversary</option><option>"
           "inline_mitigations_already_exist</option></select></fieldset>"
           "<button type=\"submit\">Save the status</button></form>");
}

int ch_web_exposure(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Exposure"))
        return CH_OK;
    const char *id = NULL;
    int rc = ch_api_param(call, 0, &id);
    cJSON *e = NULL;
    char *path = rc == CH_OK ? ch_arena_printf(call->arena, "/api/v1/exposures/%s", id) : NULL;
    if (rc == CH_OK)
        rc = path == NULL ? CH_E_NOMEM : web__api(&p, CH_HTTP_GET, path, NULL, NULL, &e);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    p.title = ch_arena_printf(call->arena, "Exposure %s: %s on %s", id,
                              ch_json_str(e, "vulnerability"), ch_json_str(e, "asset"));
    if (web__q(&p, "changed") != NULL)
        ch_buf_append_c(&p.main, "<p class=\"ok\" role=\"status\">The status was saved.</p>");
    ch_buf_append_c(&p.main, "<p>");
    web__link(&p.main, ch_arena_printf(call->arena, "/ui/assets/%s", web__text(&p, e, "asset_id")),
              "The asset");
    ch_buf_append_c(&p.main, " · ");
    web__link(&p.main, "/ui/exposures", "Back to the queue");
    ch_buf_append_c(&p.main, "</p>");
    facts_dl(&p, e);
    sub_table(&p, ch_json_arr(e, "transitions"), "Status history");
    sub_table(&p, ch_json_arr(e, "deadlines"), "Due dates decided");
    if (call->principal.roles & (CH_ROLE_OPERATOR | CH_ROLE_WIDE))
        status_form(&p, id);
    cJSON_Delete(e);
    return web__finish(&p);
}

/* Reads the form into a transition; CH_E_INVALID naming the field. */
static int read_transition(struct page *p, const struct ch_form *f,
                           struct ch_exposure_transition *t)
{
    struct ch_err *err = &p->call->err;
    const char *to = ch_form_get(f, "to");
    enum ch_exposure_status st;
    if (to == NULL || ch_exposure_status_parse(to, &st) != CH_OK)
        return ch_err_set(err, CH_E_INVALID, "choose a new status");
    *t = (struct ch_exposure_transition){.to = st, .reason = ch_form_get(f, "reason")};
    const char *just = ch_form_get(f, "justification");
    const char *appr = ch_form_get(f, "approver");
    const char *exp = ch_form_get(f, "expires");
    const char *vex = ch_form_get(f, "vex");
    t->justification = just != NULL && just[0] != '\0' ? just : NULL;
    t->approver = appr != NULL && appr[0] != '\0' ? appr : NULL;
    t->vex_justification = vex != NULL && vex[0] != '\0' ? vex : NULL;
    if (exp != NULL && exp[0] != '\0') {
        int rc = ch_time_parse(ch_str_c(exp), &t->expires_at, NULL, err);
        if (rc != CH_OK)
            return ch_err_prefix(err, "expires");
        if (strlen(exp) == 10)
            t->expires_at += CH_DAY_SECONDS - 1; /* a day means its end, as in the CLI */
    }
    return CH_OK;
}

int ch_web_exposure_status(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Change the status"))
        return CH_OK;
    struct ch_form form;
    int64_t id = 0;
    int rc = ch_form_parse(call->arena, call->req.body, &form, &call->err);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    if (!web__csrf_ok(&p, &form))
        return CH_OK;
    rc = ch_api_param_id(call, 0, "exposure", &id);
    /* the API decides visibility first: another organisation's exposure is 404 */
    cJSON *e = NULL;
    char *path = ch_arena_printf(call->arena, "/api/v1/exposures/%lld", (long long)id);
    if (rc == CH_OK)
        rc = path == NULL ? CH_E_NOMEM : web__api(&p, CH_HTTP_GET, path, NULL, NULL, &e);
    cJSON_Delete(e);
    struct ch_exposure_transition t;
    if (rc == CH_OK)
        rc = read_transition(&p, &form, &t);
    char *actor = ch_arena_printf(call->arena, "user:%s", call->principal.user_name);
    struct ch_rem_ctx ctx = {.store = call->store,
                             .directives = p.web->directives,
                             .now = ch_clock_now(&call->app->clock),
                             .actor = actor};
    if (rc == CH_OK)
        rc = ch_exposure_transition(&ctx, ch_rem_scope(&call->principal), id, &t, &call->err);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    web__end(&p);
    return web__redirect(
        call, ch_arena_printf(call->arena, "/ui/exposures/%lld?changed=1", (long long)id));
}

/* ---- assets and notices ---- */

static const struct web_col asset_cols[] = {
    {"name", "Asset", "/ui/assets/{id}"},
    {"org", "Organisation", NULL},
    {"environment", "Environment", NULL},
    {"internet_facing", "Internet-facing", NULL},
    {"mission_impact", "Mission impact", NULL},
    {"wellbeing_impact", "Well-being impact", NULL},
    {"inventory_version", "Inventory version", NULL},
    {"open_exposures", "Open exposures", "/ui/exposures?asset_id={id}"},
};

static const struct web_filter asset_filters[] = {
    {"org", "Organisation"},
    {"internet_facing", "Internet-facing"},
};

int ch_web_asset_list(struct ch_http_call *call)
{
    struct web_list spec = {.id = "assets",
                            .title = "Assets",
                            .cols = asset_cols,
                            .n_cols = sizeof(asset_cols) / sizeof(asset_cols[0]),
                            .filters = asset_filters,
                            .n_filters = sizeof(asset_filters) / sizeof(asset_filters[0])};
    return web__list_page(call, "Assets", "/api/v1/assets", NULL, &spec,
                          "<p>Registered systems and how many exposures each still has open.</p>");
}

int ch_web_asset_page(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Asset"))
        return CH_OK;
    const char *id = NULL;
    int rc = ch_api_param(call, 0, &id);
    cJSON *a = NULL;
    char *path = rc == CH_OK ? ch_arena_printf(call->arena, "/api/v1/assets/%s", id) : NULL;
    if (rc == CH_OK)
        rc = path == NULL ? CH_E_NOMEM : web__api(&p, CH_HTTP_GET, path, NULL, NULL, &a);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    p.title = ch_arena_printf(call->arena, "Asset %s", ch_json_str(a, "name"));
    ch_buf_append_c(&p.main, "<p>");
    web__link(&p.main, ch_arena_printf(call->arena, "/ui/exposures?asset_id=%s&status=all", id),
              "Every exposure of this asset");
    ch_buf_append_c(&p.main, "</p>");
    facts_dl(&p, a);
    for (const cJSON *m = a->child; m != NULL; m = m->next) {
        if (cJSON_IsArray(m))
            sub_table(&p, m, m->string);
    }
    cJSON_Delete(a);
    return web__finish(&p);
}

static const struct web_col notice_cols[] = {
    {"id", "Notice", NULL},
    {"org", "Organisation", NULL},
    {"vulnerability", "Vulnerability", "/ui/exposures?vulnerability={vulnerability}&org={org}"},
    {"created_at", "Sent", NULL},
    {"reasons", "Why", NULL},
    {"due", "Due", NULL},
};

static const struct web_filter notice_filters[] = {
    {"org", "Organisation"},
    {"vulnerability", "Vulnerability"},
};

int ch_web_notices(struct ch_http_call *call)
{
    struct web_list spec = {.id = "notices",
                            .title = "Notices",
                            .cols = notice_cols,
                            .n_cols = sizeof(notice_cols) / sizeof(notice_cols[0]),
                            .filters = notice_filters,
                            .n_filters = sizeof(notice_filters) / sizeof(notice_filters[0])};
    return web__list_page(
        call, "Notices", "/api/v1/notices", NULL, &spec,
        "<p>Patch notices sent to organisations when an advisory, a KEV listing or "
        "a fixed version concerned their assets.</p>");
}

/* ---- overview ---- */

/* Headline figures of the operator: overdue and open per directive in force, linked. */
static void overview_operator(struct page *p, const cJSON *doc)
{
    ch_buf_append_c(&p->main, "<section aria-labelledby=\"h-comp\"><h2 id=\"h-comp\">Compliance "
                              "with directives in force</h2>");
    compliance_table(p, doc, false);
    ch_buf_append_c(&p->main, "<p><a href=\"/ui/compliance\">Compliance over time</a></p>"
                              "</section>");
}

static void overview_queue(struct page *p, const cJSON *rows)
{
    struct ch_buf *b = &p->main;
    ch_buf_append_c(b, "<section aria-labelledby=\"h-queue\"><h2 id=\"h-queue\">Remediation "
                       "queue: due soonest</h2><ol class=\"queue\">");
    int n = 0;
    for (const cJSON *e = rows->child; e != NULL && n < 8; e = e->next, n++) {
        ch_buf_append_c(b, "<li>");
        web__link(b, ch_arena_printf(p->call->arena, "/ui/exposures/%s", web__text(p, e, "id")),
                  ch_arena_printf(p->call->arena, "%s on %s", web__text(p, e, "vulnerability"),
                                  web__text(p, e, "asset")));
        ch_buf_append_c(b, " due ");
        ch_html_esc(b, web__text(p, e, "due"));
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "overdue")))
            ch_buf_append_c(b, " <strong class=\"late\">overdue</strong>");
        ch_buf_append_c(b, "</li>");
    }
    if (n == 0)
        ch_buf_append_c(b, "<li>Nothing to fix.</li>");
    ch_buf_append_c(b, "</ol><p><a href=\"/ui/exposures\">The whole queue</a></p></section>");
}

int ch_web_home(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Overview"))
        return CH_OK;
    unsigned roles = call->principal.roles;
    ch_buf_append_c(&p.main, "<p class=\"lead\">What needs your attention. Every figure is a "
                             "link to the rows behind it; every list can be filtered and "
                             "exported as CSV or JSON.</p>");
    if (roles & (CH_ROLE_OPERATOR | CH_ROLE_WIDE)) {
        cJSON *doc = NULL;
        int rc = compliance_doc(&p, ch_clock_now(&call->app->clock), &doc);
        if (rc == CH_OK) {
            overview_operator(&p, doc);
            cJSON_Delete(doc);
        } else {
            ch_buf_append_c(&p.main, "<p class=\"error\">Compliance is unavailable: ");
            ch_html_esc(&p.main, call->err.msg);
            ch_buf_append_c(&p.main, "</p>");
            call->err = (struct ch_err)CH_ERR_INIT;
        }
        cJSON *rows = NULL;
        rc = web__exposure_rows(&p, NULL, false, &rows);
        if (rc != CH_OK)
            return web__fail(&p, rc, call->err.msg);
        overview_queue(&p, rows);
        cJSON_Delete(rows);
    }
    ch_buf_append_c(&p.main, "<section aria-labelledby=\"h-more\"><h2 id=\"h-more\">Where to "
                             "go next</h2><ul class=\"cards\">");
    if (roles & CH_ROLE_WIDE)
        ch_buf_append_c(&p.main, "<li><a href=\"/ui/national\">National picture</a>: exposure "
                                 "by category and sector, the KEV items most exposed, "
                                 "submissions and disclosure cases.</li>");
    if (roles & (CH_ROLE_OPERATOR | CH_ROLE_WIDE))
        ch_buf_append_c(&p.main, "<li><a href=\"/ui/assets\">Assets</a> and <a "
                                 "href=\"/ui/notices\">notices</a>.</li>");
    if (roles & (CH_ROLE_OPERATOR | CH_ROLE_PARTNER | CH_ROLE_WIDE))
        ch_buf_append_c(&p.main, "<li><a href=\"/ui/leases\">Scanning leases</a> and the <a "
                                 "href=\"/ui/deconflict\">deconfliction search</a>.</li>");
    if (roles & (CH_ROLE_PARTNER | CH_ROLE_WIDE))
        ch_buf_append_c(&p.main, "<li><a href=\"/ui/findings\">Submissions</a> and their "
                                 "validation results.</li>");
    if (roles & (CH_ROLE_EVALUATOR | CH_ROLE_DEVELOPER | CH_ROLE_WIDE))
        ch_buf_append_c(&p.main, "<li><a href=\"/ui/models\">Models</a>, designations and "
                                 "evaluation windows; <a href=\"/ui/runs\">evaluation runs</a> "
                                 "with their success rates, 95 % intervals and the score "
                                 "chart against the designation threshold.</li>");
    ch_buf_append_c(&p.main, "</ul></section>");
    return web__finish(&p);
}
