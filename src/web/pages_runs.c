/* SPDX-License-Identifier: Apache-2.0
 *
 * pages_runs.c: evaluation runs on the dashboard: the run list (/ui/runs)
 * and a run's page (/ui/runs/{id}) with its overall and per-category
 * success rates, their 95 % intervals and the score chart against the
 * designation policy's threshold.
 *
 * There is no API route for runs yet, so these pages call the eval library
 * (runs.h) with the caller's eval actor, as the models page does; runs.h
 * decides visibility (clearance for evaluators, own organisation's models
 * and aggregates only for developers, nothing for anyone else), and a run
 * the caller may not see is "Not found" exactly as a missing one.
 *
 * The threshold comes from the policy shipped with the project, read per
 * request (a page of JSON) from $CLEARINGHOUSE_POLICY_DIR (default
 * "policies") under the fixed name RUN_POLICY: the name is never taken
 * from the request, so a page cannot be made to read another file.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "eval/runs.h"
#include "http/api.h"
#include "web/chart.h"
#include "web/html.h"
#include "web/internal.h"

/* The policy whose thresholds the run page draws (policies/default-v1.json). */
#define RUN_POLICY "default-v1"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static double num(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* "66.7% [40.0%, 90.0%]", or "–" when nothing is scored yet (arena string). */
static const char *rate_text(struct page *p, const cJSON *rate, const cJSON *lo, const cJSON *hi)
{
    if (!cJSON_IsNumber(rate) || !cJSON_IsNumber(lo) || !cJSON_IsNumber(hi))
        return "–";
    return ch_arena_printf(p->call->arena, "%.1f%% [%.1f%%, %.1f%%]", rate->valuedouble * 100,
                           lo->valuedouble * 100, hi->valuedouble * 100);
}

/* The rate of an aggregate of the report ({success_rate, ci95: [lo, hi]}). */
static const char *agg_rate_text(struct page *p, const cJSON *agg)
{
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(agg, "ci95");
    return rate_text(p, cJSON_GetObjectItemCaseSensitive(agg, "success_rate"),
                     cJSON_GetArrayItem(ci, 0), cJSON_GetArrayItem(ci, 1));
}

static int runs_json(struct page *p, const struct ch_eval_actor *a, struct ch_jw *w)
{
    return ch_eval_runs_list_json(p->call->store, a, w, &p->call->err);
}

int ch_web_runs(struct ch_http_call *call)
{
    static const struct web_col cols[] = {
        {"id", "Run", "/ui/runs/{id}"}, {"suite", "Suite", NULL},
        {"model", "Model", NULL},       {"started_at", "Started", NULL},
        {"samples", "Samples", NULL},   {"rate", "Success rate [95% interval]", NULL},
        {"status", "Status", NULL},
    };
    static const struct web_filter filters[] = {
        {"suite", "Suite"}, {"model", "Model"}, {"org", "Developer"}, {"status", "Status"}};
    struct web_list spec = {.id = "runs",
                            .title = "Evaluation runs",
                            .cols = cols,
                            .n_cols = N(cols),
                            .filters = filters,
                            .n_filters = N(filters)};
    struct page p;
    if (!web__begin(call, &p, "Evaluation runs"))
        return CH_OK;
    cJSON *rows = NULL;
    int rc = web__eval_rows(&p, runs_json, &rows);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    for (cJSON *r = rows->child; r != NULL; r = r->next)
        cJSON_AddStringToObject(r, "rate",
                                rate_text(&p, cJSON_GetObjectItemCaseSensitive(r, "success_rate"),
                                          cJSON_GetObjectItemCaseSensitive(r, "ci95_low"),
                                          cJSON_GetObjectItemCaseSensitive(r, "ci95_high")));
    ch_buf_append_c(&p.main,
                    "<p>Evaluation runs you may see, newest first: the success rate over scored "
                    "samples (harness failures excluded) with its 95 % interval, a cluster "
                    "bootstrap over tasks, as <code>clearinghouse eval report</code> gives it. "
                    "Developers see the outcomes of runs of their own models. See also the <a "
                    "href=\"/ui/models\">models</a> and their designation decisions.</p>");
    rc = web__list(&p, &spec, rows);
    cJSON_Delete(rows);
    if (rc != CH_OK || call->res.content_type != NULL)
        return rc; /* an export, or an error page already made */
    return web__finish(&p);
}

/* ---- one run ---- */

/* The run named by the page's path, as a one-element array (for web__eval_rows). */
static int run_one_json(struct page *p, const struct ch_eval_actor *a, struct ch_jw *w)
{
    int64_t id = 0;
    int rc = ch_api_param_id(p->call, 0, "evaluation run", &id);
    if (rc != CH_OK)
        return rc;
    ch_jw_arr_open(w);
    rc = ch_eval_runs_get_json(p->call->store, a, id, w, &p->call->err);
    ch_jw_arr_close(w);
    return rc;
}

static void fact(struct page *p, const char *label, const char *value)
{
    ch_buf_appendf(&p->main, "<dt>%s</dt><dd>", label);
    ch_html_esc(&p->main, value != NULL && value[0] != '\0' ? value : "–");
    ch_buf_append_c(&p->main, "</dd>");
}

static void run_facts(struct page *p, const cJSON *run)
{
    struct ch_buf *b = &p->main;
    const char *model = ch_json_str(run, "registered_model");
    ch_buf_append_c(b, "<dl class=\"facts\">");
    fact(p, "Suite",
         ch_arena_printf(p->call->arena, "%s %s", web__text(p, run, "suite"),
                         web__text(p, run, "suite_version")));
    fact(p, "Classification", web__text(p, run, "classification"));
    ch_buf_append_c(b, "<dt>Model</dt><dd>");
    if (model != NULL)
        web__link(b, "/ui/models", model);
    else
        ch_html_esc(b, web__text(p, run, "model"));
    ch_buf_append_c(b, "</dd>");
    fact(p, "Developer", web__text(p, run, "org"));
    fact(p, "Status", web__text(p, run, "status"));
    fact(p, "Epochs", web__text(p, run, "epochs"));
    fact(p, "Started", web__text(p, run, "started_at"));
    fact(p, "Finished", web__text(p, run, "finished_at"));
    fact(p, "What you see",
         strcmp(web__text(p, run, "view"), "full") == 0
             ? "the whole report"
             : "outcomes only (aggregates, no tasks), as for designation decisions");
    ch_buf_append_c(b, "</dl>");
}

static void run_overall(struct page *p, const cJSON *overall)
{
    struct ch_buf *b = &p->main;
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(overall, "success_rate");
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(overall, "ci95");
    ch_buf_append_c(b, "<section aria-labelledby=\"h-overall\"><h2 id=\"h-overall\">Overall</h2>");
    if (!cJSON_IsNumber(rate) || cJSON_GetArraySize(ci) != 2) {
        ch_buf_appendf(b, "<p>No sample is scored yet (%.0f pending).</p></section>",
                       num(overall, "pending", 0));
        return;
    }
    /* data-rate carries the exact figure, so a test compares it with the CLI's report */
    ch_buf_appendf(
        b,
        "<p class=\"lead\">Success rate <strong id=\"overall-rate\" "
        "data-rate=\"%.17g\">%.1f%%</strong>, 95 %% interval %.1f%% to %.1f%% "
        "(cluster bootstrap over %.0f tasks); %.0f of %.0f scored samples succeeded, "
        "%.0f pending.</p></section>",
        rate->valuedouble, rate->valuedouble * 100, cJSON_GetArrayItem(ci, 0)->valuedouble * 100,
        cJSON_GetArrayItem(ci, 1)->valuedouble * 100, num(overall, "tasks", 0),
        num(overall, "successes", 0), num(overall, "samples", 0), num(overall, "pending", 0));
}

/*
 * The threshold to draw for a run of `suite` under RUN_POLICY, and a
 * sentence saying where it comes from (appended to the page). NULL when no
 * policy can be read: the chart is then drawn without a line.
 */
static const char *threshold_for(struct page *p, const char *suite, double *ret_threshold)
{
    struct ch_policy *pol = ch_calloc(1, sizeof(*pol));
    char path[4096];
    struct ch_err err = CH_ERR_INIT;
    int rc = pol == NULL ? ch_err_set(&err, CH_E_NOMEM, "out of memory")
                         : ch_policy_resolve(RUN_POLICY, path, sizeof(path), &err);
    if (rc == CH_OK)
        rc = ch_policy_load(path, pol, &err);
    bool counts = false;
    const struct ch_policy_measure *m =
        rc == CH_OK ? ch_eval_runs_measure(pol, suite, &counts) : NULL;
    const char *label = NULL;
    struct ch_buf *b = &p->main;
    if (rc != CH_OK) {
        /* the message names a file: it goes to the log, not to the page */
        ch_log_warn("request %s: designation policy '%s': %s, ignoring", p->call->req.request_id,
                    RUN_POLICY, err.msg);
        ch_buf_append_c(b, "<p>The designation policy could not be read, so the chart has "
                           "no threshold.</p>");
    } else if (m == NULL) {
        ch_buf_append_c(b, "<p>The designation policy has no measure, so the chart has no "
                           "threshold.</p>");
    } else {
        *ret_threshold = m->threshold;
        label = ch_arena_printf(p->call->arena, "%sthreshold %.2f (%s)", counts ? "" : "reference ",
                                m->threshold, m->id);
        ch_buf_appendf(b, "<p>The dashed line is the threshold %.2f of measure ", m->threshold);
        ch_html_esc(b, m->id);
        ch_buf_appendf(b, " of designation policy %s version %lld", pol->id,
                       (long long)pol->version);
        if (counts) {
            ch_buf_append_c(b, ", which counts this suite: a model is designated when the "
                               "lower confidence bound of that measure is above it.</p>");
        } else {
            ch_buf_append_c(b, ". No measure of the policy counts suite ");
            ch_html_esc(b, suite);
            ch_buf_append_c(b, ", so this run does not enter designation decisions; the line is "
                               "the policy's lowest threshold, shown for reference.</p>");
        }
    }
    ch_free(pol);
    return label;
}

static void run_chart(struct page *p, const cJSON *run, const cJSON *overall,
                      const cJSON *categories)
{
    struct ch_chart_estimate items[CH_CHART_MAX_POINTS];
    size_t n = 0;
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(overall, "ci95");
    if (cJSON_GetArraySize(ci) != 2)
        return; /* nothing scored: run_overall() said so */
    items[n++] = (struct ch_chart_estimate){.label = "overall",
                                            .value = num(overall, "success_rate", 0),
                                            .lo = cJSON_GetArrayItem(ci, 0)->valuedouble,
                                            .hi = cJSON_GetArrayItem(ci, 1)->valuedouble};
    for (const cJSON *c = categories != NULL ? categories->child : NULL;
         c != NULL && n < CH_CHART_MAX_POINTS; c = c->next) {
        const cJSON *cci = cJSON_GetObjectItemCaseSensitive(c, "ci95");
        if (cJSON_GetArraySize(cci) != 2)
            continue;
        items[n++] = (struct ch_chart_estimate){.label = ch_json_str(c, "category"),
                                                .value = num(c, "success_rate", 0),
                                                .lo = cJSON_GetArrayItem(cci, 0)->valuedouble,
                                                .hi = cJSON_GetArrayItem(cci, 1)->valuedouble};
    }
    ch_buf_append_c(&p->main, "<section aria-labelledby=\"h-chart\"><h2 id=\"h-chart\">Score "
                              "against the designation threshold</h2>");
    double threshold = 0;
    const char *label = threshold_for(p, web__text(p, run, "suite"), &threshold);
    const char *desc = ch_arena_printf(
        p->call->arena,
        "Success rate of run %s overall and per category, each with its 95 %% interval "
        "(cluster bootstrap over tasks)%s%s.",
        web__text(p, run, "id"), label != NULL ? ", against the dashed line of the " : "",
        label != NULL ? label : "");
    struct ch_chart_intervals chart = {.id = "score",
                                       .title = "Score with 95 % intervals against the threshold",
                                       .desc = desc,
                                       .row_label = "Category",
                                       .items = items,
                                       .n_items = n,
                                       .threshold = threshold,
                                       .threshold_label = label};
    ch_chart_intervals_svg(&p->main, &chart);
    ch_buf_append_c(&p->main, "</section>");
}

/* A column of an aggregate table: a text member, a count, or the rate with its interval. */
enum agg_kind { AGG_TEXT, AGG_COUNT, AGG_RATE };

struct agg_col {
    const char *key; /* member of the row (unused for AGG_RATE) */
    const char *label;
    enum agg_kind kind;
};

/* A table of report aggregates (categories or tasks); the first column heads each row. */
static void agg_table(struct page *p, const char *id, const char *heading, const char *caption,
                      const cJSON *rows, const struct agg_col *cols, size_t n_cols)
{
    struct ch_buf *b = &p->main;
    ch_buf_appendf(b,
                   "<section aria-labelledby=\"h-%s\"><h2 id=\"h-%s\">%s</h2><div "
                   "class=\"scroll\"><table id=\"%s\"><caption>%s</caption><thead><tr>",
                   id, id, heading, id, caption);
    for (size_t c = 0; c < n_cols; c++)
        ch_buf_appendf(b, "<th scope=\"col\">%s</th>", cols[c].label);
    ch_buf_append_c(b, "</tr></thead><tbody>");
    for (const cJSON *r = rows->child; r != NULL; r = r->next) {
        ch_buf_append_c(b, "<tr>");
        for (size_t c = 0; c < n_cols; c++) {
            ch_buf_append_c(b, c == 0 ? "<th scope=\"row\">" : "<td>");
            if (cols[c].kind == AGG_RATE)
                ch_html_esc(b, agg_rate_text(p, r));
            else if (cols[c].kind == AGG_COUNT)
                ch_buf_appendf(b, "%.0f", num(r, cols[c].key, 0));
            else
                ch_html_esc(b, web__text(p, r, cols[c].key));
            ch_buf_append_c(b, c == 0 ? "</th>" : "</td>");
        }
        ch_buf_append_c(b, "</tr>");
    }
    ch_buf_append_c(b, "</tbody></table></div></section>");
}

static void category_table(struct page *p, const cJSON *categories)
{
    static const struct agg_col cols[] = {
        {"category", "Category", AGG_TEXT},
        {"tasks", "Tasks", AGG_COUNT},
        {"samples", "Samples", AGG_COUNT},
        {"successes", "Successes", AGG_COUNT},
        {NULL, "Success rate [95% interval]", AGG_RATE},
    };
    agg_table(p, "categories", "By category",
              "Success rate per category (mean of task rates, 95 % cluster-bootstrap interval)",
              categories, cols, N(cols));
}

static void task_table(struct page *p, const cJSON *tasks)
{
    static const struct agg_col cols[] = {
        {"task", "Task", AGG_TEXT},
        {"category", "Category", AGG_TEXT},
        {"kind", "Kind", AGG_TEXT},
        {"samples", "Samples", AGG_COUNT},
        {"successes", "Successes", AGG_COUNT},
        {NULL, "Success rate [95% interval]", AGG_RATE},
    };
    agg_table(p, "tasks", "By task", "Success rate per task (95 % Wilson interval)", tasks, cols,
              N(cols));
}

int ch_web_run(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Evaluation run"))
        return CH_OK;
    cJSON *rows = NULL;
    int rc = web__eval_rows(&p, run_one_json, &rows);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    const cJSON *run = rows->child;
    const cJSON *overall = ch_json_obj(run, "overall");
    const cJSON *categories = ch_json_arr(run, "categories");
    const cJSON *tasks = ch_json_arr(run, "tasks");
    const char *model = ch_json_str(run, "registered_model");
    p.title = ch_arena_printf(call->arena, "Run %s: %s against %s", web__text(&p, run, "id"),
                              web__text(&p, run, "suite"),
                              model != NULL ? model : web__text(&p, run, "model"));
    ch_buf_append_c(&p.main, "<p><a href=\"/ui/runs\">All runs</a></p>");
    run_facts(&p, run);
    run_overall(&p, overall);
    run_chart(&p, run, overall, categories);
    if (categories != NULL)
        category_table(&p, categories);
    if (tasks != NULL)
        task_table(&p, tasks);
    cJSON_Delete(rows);
    return web__finish(&p);
}
