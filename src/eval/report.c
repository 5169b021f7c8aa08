/* SPDX-License-Identifier: Apache-2.0
 *
 * report.c: the report of an evaluation run (declared in run.h).
 *
 * Only samples whose outcome measures the model (success, fail, limit,
 * refused, filtered) enter success rates; harness failures (infra, sandbox,
 * scorer) are counted apart, and pending samples make the report say it is
 * incomplete. Per task: Wilson 95 % interval and unbiased pass@k (Chen et
 * al.) for k = 1 and k = the smallest sample count of the task. Per category
 * and overall: the mean of task success rates with a cluster bootstrap
 * interval (tasks resampled, attempts kept together), seeded by the run, so
 * the same journal always gives the same report.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "eval/run.h"
#include "eval/stats.h"
#include "store/store.h"

struct task_row {
    char *id;
    char *category;
    char *kind;
    uint64_t n; /* scored samples */
    uint64_t success;
    uint64_t outcomes[CH_OUTCOME_COUNT];
    uint64_t pending;
    uint64_t tokens; /* prompt + completion, all done samples */
    int64_t wall_ms;
    uint64_t http_retries;
    uint64_t harness_retries; /* attempts beyond the first */
};

struct rep {
    int64_t run_id;
    char *suite_id, *suite_version, *model, *endpoint, *status, *classification;
    int64_t epochs;
    int64_t seed;
    int64_t sessions;
    struct task_row *tasks;
    size_t n_tasks, cap;
};

static void rep_release(struct rep *r)
{
    for (size_t i = 0; i < r->n_tasks; i++) {
        ch_free(r->tasks[i].id);
        ch_free(r->tasks[i].category);
        ch_free(r->tasks[i].kind);
    }
    ch_free(r->tasks);
    ch_free(r->suite_id);
    ch_free(r->suite_version);
    ch_free(r->model);
    ch_free(r->endpoint);
    ch_free(r->status);
    ch_free(r->classification);
}

static int load_run(struct ch_store *s, int64_t run_id, struct rep *r, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT suite_id, suite_version, model, endpoint, status, epochs, "
                           "seed, n_sessions, classification FROM eval_run WHERE id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, run_id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no evaluation run %lld", (long long)run_id);
    if (rc < 0)
        return rc;
    r->run_id = run_id;
    r->suite_id = ch_strdup(ch_stmt_cstr(st, 0));
    r->suite_version = ch_strdup(ch_stmt_cstr(st, 1));
    r->model = ch_strdup(ch_stmt_cstr(st, 2));
    r->endpoint = ch_strdup(ch_stmt_cstr(st, 3));
    r->status = ch_strdup(ch_stmt_cstr(st, 4));
    r->epochs = ch_stmt_int(st, 5);
    r->seed = ch_stmt_int(st, 6);
    r->sessions = ch_stmt_int(st, 7);
    r->classification = ch_strdup(ch_stmt_cstr(st, 8));
    ch_stmt_reset(st);
    if (r->suite_id == NULL || r->suite_version == NULL || r->model == NULL ||
        r->endpoint == NULL || r->status == NULL || r->classification == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    return CH_OK;
}

static struct task_row *row_for(struct rep *r, const char *id, const char *cat, const char *kind)
{
    if (r->n_tasks > 0 && strcmp(r->tasks[r->n_tasks - 1].id, id) == 0)
        return &r->tasks[r->n_tasks - 1];
    if (r->n_tasks == r->cap) {
        size_t cap = r->cap == 0 ? 64 : r->cap * 2;
        struct task_row *t = ch_reallocarray(r->tasks, cap, sizeof(*t));
        if (t == NULL)
            return NULL;
        r->tasks = t;
        r->cap = cap;
    }
    struct task_row *t = &r->tasks[r->n_tasks];
    *t =
        (struct task_row){.id = ch_strdup(id), .category = ch_strdup(cat), .kind = ch_strdup(kind)};
    r->n_tasks++;
    if (t->id == NULL || t->category == NULL || t->kind == NULL)
        return NULL;
    return t;
}

static int load_samples(struct ch_store *s, struct rep *r, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT task_id, category, kind, state, outcome, prompt_tokens + "
                           "completion_tokens, wall_ms, http_retries, attempts FROM eval_sample "
                           "WHERE run_id = ? ORDER BY task_id, epoch",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, r->run_id);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct task_row *t =
            row_for(r, ch_stmt_cstr(st, 0), ch_stmt_cstr(st, 1), ch_stmt_cstr(st, 2));
        if (t == NULL) {
            ch_stmt_reset(st);
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        }
        if (strcmp(ch_stmt_cstr(st, 3), "done") != 0) {
            t->pending++;
            continue;
        }
        enum ch_outcome o = CH_OUTCOME_INFRA;
        if (ch_outcome_parse(ch_stmt_cstr(st, 4), &o) != CH_OK)
            o = CH_OUTCOME_INFRA;
        t->outcomes[o]++;
        if (ch_outcome_scored(o)) {
            t->n++;
            if (o == CH_OUTCOME_SUCCESS)
                t->success++;
        }
        t->tokens += (uint64_t)ch_stmt_int(st, 5);
        t->wall_ms += ch_stmt_int(st, 6);
        t->http_retries += (uint64_t)ch_stmt_int(st, 7);
        int64_t att = ch_stmt_int(st, 8);
        t->harness_retries += att > 1 ? (uint64_t)(att - 1) : 0;
    }
    return rc < 0 ? rc : CH_OK;
}

/* Aggregate over a set of tasks (category or all). */
struct agg {
    uint64_t tasks; /* with at least one scored sample */
    uint64_t n, success, pending, tokens, http_retries, harness_retries;
    int64_t wall_ms;
    uint64_t outcomes[CH_OUTCOME_COUNT];
    double pass1_sum, passk_sum;
    uint64_t k; /* the k of pass@k: the smallest n over tasks */
};

static void write_outcomes(struct ch_jw *w, const uint64_t *o)
{
    ch_jw_key(w, "outcomes");
    ch_jw_obj_open(w);
    for (unsigned i = 0; i < CH_OUTCOME_COUNT; i++)
        ch_jw_kint(w, ch_outcome_str((enum ch_outcome)i), (int64_t)o[i]);
    ch_jw_obj_close(w);
}

static void write_per_success(struct ch_jw *w, uint64_t success, uint64_t tokens, int64_t wall)
{
    if (success > 0) {
        ch_jw_kdouble(w, "tokens_per_success", (double)tokens / (double)success);
        ch_jw_kdouble(w, "seconds_per_success", (double)wall / 1000.0 / (double)success);
    } else {
        ch_jw_key(w, "tokens_per_success");
        ch_jw_null(w);
        ch_jw_key(w, "seconds_per_success");
        ch_jw_null(w);
    }
}

static int write_task(struct ch_jw *w, const struct task_row *t, uint64_t k, struct ch_err *err)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "task", t->id);
    ch_jw_kstr(w, "category", t->category);
    ch_jw_kstr(w, "kind", t->kind);
    ch_jw_kint(w, "samples", (int64_t)t->n);
    ch_jw_kint(w, "successes", (int64_t)t->success);
    ch_jw_kint(w, "pending", (int64_t)t->pending);
    if (t->n > 0) {
        struct ch_interval ci;
        int rc = ch_stats_wilson(t->success, t->n, 0.95, &ci, err);
        if (rc != CH_OK)
            return rc;
        ch_jw_kdouble(w, "success_rate", (double)t->success / (double)t->n);
        ch_jw_key(w, "ci95");
        ch_jw_arr_open(w);
        ch_jw_double(w, ci.lo);
        ch_jw_double(w, ci.hi);
        ch_jw_arr_close(w);
        ch_jw_key(w, "pass_at_k");
        ch_jw_obj_open(w);
        for (uint64_t kk = 1; kk <= t->n; kk = kk == 1 && k > 1 ? k : kk + t->n) {
            double p = 0;
            rc = ch_stats_pass_at_k(t->n, t->success, kk, &p, err);
            if (rc != CH_OK)
                return rc;
            char key[32];
            snprintf(key, sizeof(key), "%llu", (unsigned long long)kk);
            ch_jw_kdouble(w, key, p);
        }
        ch_jw_obj_close(w);
    } else {
        ch_jw_key(w, "success_rate");
        ch_jw_null(w);
    }
    write_per_success(w, t->success, t->tokens, t->wall_ms);
    ch_jw_kint(w, "http_retries", (int64_t)t->http_retries);
    ch_jw_kint(w, "harness_retries", (int64_t)t->harness_retries);
    write_outcomes(w, t->outcomes);
    ch_jw_obj_close(w);
    return CH_OK;
}

/* Writes one aggregate over the tasks whose category is cat (NULL: all). */
static int write_agg(struct ch_jw *w, const struct rep *r, const char *cat, uint64_t k,
                     struct ch_err *err)
{
    struct ch_stats_task *st = ch_calloc(r->n_tasks + 1, sizeof(*st));
    if (st == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    struct agg a = {.k = k};
    size_t n = 0;
    int rc = CH_OK;
    for (size_t i = 0; i < r->n_tasks && rc == CH_OK; i++) {
        const struct task_row *t = &r->tasks[i];
        if (cat != NULL && strcmp(t->category, cat) != 0)
            continue;
        a.pending += t->pending;
        a.tokens += t->tokens;
        a.wall_ms += t->wall_ms;
        a.http_retries += t->http_retries;
        a.harness_retries += t->harness_retries;
        for (unsigned o = 0; o < CH_OUTCOME_COUNT; o++)
            a.outcomes[o] += t->outcomes[o];
        if (t->n == 0)
            continue;
        a.n += t->n;
        a.success += t->success;
        st[n++] = (struct ch_stats_task){.successes = t->success, .trials = t->n};
        double p1 = 0, pk = 0;
        rc = ch_stats_pass_at_k(t->n, t->success, 1, &p1, err);
        if (rc == CH_OK)
            rc = ch_stats_pass_at_k(t->n, t->success, k <= t->n ? k : t->n, &pk, err);
        a.pass1_sum += p1;
        a.passk_sum += pk;
    }
    a.tasks = n;
    ch_jw_obj_open(w);
    if (cat != NULL)
        ch_jw_kstr(w, "category", cat);
    ch_jw_kint(w, "tasks", (int64_t)a.tasks);
    ch_jw_kint(w, "samples", (int64_t)a.n);
    ch_jw_kint(w, "successes", (int64_t)a.success);
    ch_jw_kint(w, "pending", (int64_t)a.pending);
    if (rc == CH_OK && n > 0) {
        struct ch_rng rng;
        ch_rng_seed(&rng, (uint64_t)r->seed ^ (uint64_t)r->run_id);
        struct ch_stats_bootstrap b;
        rc = ch_stats_cluster_bootstrap(st, n, CH_STATS_TASK_MEAN, CH_EVAL_REPORT_RESAMPLES, 0.95,
                                        &rng, &b, err);
        if (rc == CH_OK) {
            ch_jw_kdouble(w, "success_rate", b.estimate);
            ch_jw_key(w, "ci95");
            ch_jw_arr_open(w);
            ch_jw_double(w, b.ci.lo);
            ch_jw_double(w, b.ci.hi);
            ch_jw_arr_close(w);
            ch_jw_kstr(w, "ci_method", "cluster bootstrap over tasks, 2000 resamples");
            ch_jw_kdouble(w, "pooled_rate", (double)a.success / (double)a.n);
            ch_jw_key(w, "pass_at_k");
            ch_jw_obj_open(w);
            ch_jw_kdouble(w, "1", a.pass1_sum / (double)n);
            if (k > 1) {
                char key[32];
                snprintf(key, sizeof(key), "%llu", (unsigned long long)k);
                ch_jw_kdouble(w, key, a.passk_sum / (double)n);
            }
            ch_jw_obj_close(w);
        }
    } else if (rc == CH_OK) {
        ch_jw_key(w, "success_rate");
        ch_jw_null(w);
    }
    write_per_success(w, a.success, a.tokens, a.wall_ms);
    ch_jw_kint(w, "tokens", (int64_t)a.tokens);
    ch_jw_kint(w, "http_retries", (int64_t)a.http_retries);
    ch_jw_kint(w, "harness_retries", (int64_t)a.harness_retries);
    write_outcomes(w, a.outcomes);
    ch_jw_obj_close(w);
    ch_free(st);
    return rc;
}

static int report(struct ch_store *s, int64_t run_id, struct ch_jw *w, struct ch_err *err)
{
    struct rep r = {0};
    int rc = load_run(s, run_id, &r, err);
    if (rc == CH_OK)
        rc = load_samples(s, &r, err);
    uint64_t k = (uint64_t)r.epochs;
    for (size_t i = 0; i < r.n_tasks; i++) {
        if (r.tasks[i].n > 0 && r.tasks[i].n < k)
            k = r.tasks[i].n;
    }
    if (k < 1)
        k = 1;
    if (rc == CH_OK) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "run", run_id);
        ch_jw_kstr(w, "suite", r.suite_id);
        ch_jw_kstr(w, "suite_version", r.suite_version);
        ch_jw_kstr(w, "classification", r.classification);
        ch_jw_kstr(w, "model", r.model);
        ch_jw_kstr(w, "status", r.status);
        ch_jw_kint(w, "epochs", r.epochs);
        ch_jw_kint(w, "sessions", r.sessions);
        ch_jw_key(w, "overall");
        rc = write_agg(w, &r, NULL, k, err);
    }
    if (rc == CH_OK) {
        ch_jw_key(w, "categories");
        ch_jw_arr_open(w);
        for (size_t i = 0; i < r.n_tasks && rc == CH_OK; i++) {
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(r.tasks[j].category, r.tasks[i].category) == 0;
            if (!seen)
                rc = write_agg(w, &r, r.tasks[i].category, k, err);
        }
        ch_jw_arr_close(w);
    }
    if (rc == CH_OK) {
        ch_jw_key(w, "tasks");
        ch_jw_arr_open(w);
        for (size_t i = 0; i < r.n_tasks && rc == CH_OK; i++)
            rc = write_task(w, &r.tasks[i], k, err);
        ch_jw_arr_close(w);
        ch_jw_obj_close(w);
    }
    rep_release(&r);
    return rc;
}

int ch_eval_report_json(struct ch_store *s, int64_t run_id, struct ch_jw *w, struct ch_err *err)
{
    return report(s, run_id, w, err);
}

/* ---- text ------------------------------------------------------------------------------- */

static void text_rate(struct ch_buf *out, const cJSON *o)
{
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(o, "success_rate");
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(o, "ci95");
    if (!cJSON_IsNumber(rate)) {
        ch_buf_appendf(out, "%7s %17s", "-", "");
        return;
    }
    ch_buf_appendf(out, "%6.1f%% [%5.1f%%, %5.1f%%]", rate->valuedouble * 100,
                   cJSON_GetArrayItem(ci, 0)->valuedouble * 100,
                   cJSON_GetArrayItem(ci, 1)->valuedouble * 100);
}

static void text_outcomes(struct ch_buf *out, const cJSON *o)
{
    const cJSON *oc = cJSON_GetObjectItemCaseSensitive(o, "outcomes");
    for (const cJSON *m = oc != NULL ? oc->child : NULL; m != NULL; m = m->next) {
        if (m->valuedouble > 0)
            ch_buf_appendf(out, " %s=%.0f", m->string, m->valuedouble);
    }
}

int ch_eval_report_text(struct ch_store *s, int64_t run_id, struct ch_buf *out, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    int rc = report(s, run_id, &w, err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, err);
    cJSON *root = NULL;
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "report", &root, err);
    if (rc == CH_OK) {
        const cJSON *ov = ch_json_obj(root, "overall");
        ch_buf_appendf(out, "run %lld: suite %s %s (%s), model %s, %s, %.0f epoch(s)\n\n",
                       (long long)run_id, ch_json_str(root, "suite"),
                       ch_json_str(root, "suite_version"), ch_json_str(root, "classification"),
                       ch_json_str(root, "model"), ch_json_str(root, "status"),
                       cJSON_GetObjectItemCaseSensitive(root, "epochs")->valuedouble);
        ch_buf_appendf(out, "%-28s %6s %6s  %-26s %s\n", "task", "n", "ok", "success [95% CI]",
                       "outcomes");
        const cJSON *tasks = ch_json_arr(root, "tasks");
        for (const cJSON *t = tasks != NULL ? tasks->child : NULL; t != NULL; t = t->next) {
            ch_buf_appendf(out, "%-28.28s %6.0f %6.0f  ", ch_json_str(t, "task"),
                           cJSON_GetObjectItemCaseSensitive(t, "samples")->valuedouble,
                           cJSON_GetObjectItemCaseSensitive(t, "successes")->valuedouble);
            text_rate(out, t);
            text_outcomes(out, t);
            ch_buf_append_byte(out, '\n');
        }
        ch_buf_appendf(out, "\n%-28s %6s %6s  %-26s %s\n", "category", "tasks", "ok",
                       "success [95% CI]", "outcomes");
        const cJSON *cats = ch_json_arr(root, "categories");
        for (const cJSON *c = cats != NULL ? cats->child : NULL; c != NULL; c = c->next) {
            ch_buf_appendf(out, "%-28.28s %6.0f %6.0f  ", ch_json_str(c, "category"),
                           cJSON_GetObjectItemCaseSensitive(c, "tasks")->valuedouble,
                           cJSON_GetObjectItemCaseSensitive(c, "successes")->valuedouble);
            text_rate(out, c);
            text_outcomes(out, c);
            ch_buf_append_byte(out, '\n');
        }
        ch_buf_appendf(out, "\n%-28s %6.0f %6.0f  ", "overall",
                       cJSON_GetObjectItemCaseSensitive(ov, "tasks")->valuedouble,
                       cJSON_GetObjectItemCaseSensitive(ov, "successes")->valuedouble);
        text_rate(out, ov);
        text_outcomes(out, ov);
        const cJSON *pk = ch_json_obj(ov, "pass_at_k");
        ch_buf_append_c(out, "\npass@k:");
        for (const cJSON *m = pk != NULL ? pk->child : NULL; m != NULL; m = m->next)
            ch_buf_appendf(out, " pass@%s=%.3f", m->string, m->valuedouble);
        const cJSON *tps = cJSON_GetObjectItemCaseSensitive(ov, "tokens_per_success");
        const cJSON *sps = cJSON_GetObjectItemCaseSensitive(ov, "seconds_per_success");
        if (cJSON_IsNumber(tps))
            ch_buf_appendf(out, "\nper success: %.0f tokens, %.1f s", tps->valuedouble,
                           sps->valuedouble);
        ch_buf_appendf(out, "\nretries: %.0f HTTP, %.0f harness; pending samples: %.0f\n",
                       cJSON_GetObjectItemCaseSensitive(ov, "http_retries")->valuedouble,
                       cJSON_GetObjectItemCaseSensitive(ov, "harness_retries")->valuedouble,
                       cJSON_GetObjectItemCaseSensitive(ov, "pending")->valuedouble);
        rc = ch_buf_status(out, "report", err);
    }
    cJSON_Delete(root);
    ch_buf_release(&b);
    return rc;
}
