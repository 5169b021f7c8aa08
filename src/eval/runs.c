/* SPDX-License-Identifier: Apache-2.0
 *
 * runs.c: evaluation runs as a principal may see them (contract in runs.h).
 *
 * The figures come from ch_eval_report_json() itself, parsed back, rather
 * than from a second computation: the run list, the run page and the CLI's
 * report then cannot disagree, and the bootstrap stays in one place. Rows
 * are read into memory before any report is computed, because a report
 * runs its own statements and PostgreSQL cannot interleave them with an
 * open result set.
 */
#include "eval/runs.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "eval/run.h"
#include "store/store.h"

#define RUN_COLUMNS                                                                                \
    "SELECT r.id, r.suite_id, r.suite_version, r.classification, r.model, r.status,"               \
    " r.created_at, r.finished_at, r.epochs, COALESCE(m.id, 0), COALESCE(m.org_id, 0), o.slug,"    \
    " m.name, m.version, m.classification FROM eval_run r"                                         \
    " LEFT JOIN eval_model_runs mr ON mr.run_id = r.id"                                            \
    " LEFT JOIN eval_models m ON m.id = mr.model_id"                                               \
    " LEFT JOIN orgs o ON o.id = m.org_id"

/* One eval_run row with its model, if tied to one. Owned strings (row_release). */
struct run_row {
    int64_t id;
    char *suite;
    char *suite_version;
    char *model; /* the registered "NAME@VERSION", else the name the run used */
    char *status;
    char *org; /* the model's developer; NULL when not tied */
    enum ch_clearance classification;
    enum ch_clearance model_classification;
    int64_t started_at;
    int64_t finished_at; /* -1: not finished */
    int64_t epochs;
    int64_t model_id; /* 0: not tied to a registered model */
    int64_t org_id;
};

enum run_view {
    RUN_HIDDEN = 0,
    RUN_OUTCOMES, /* aggregates only: the model's developer */
    RUN_FULL,     /* the whole report: cleared evaluating roles */
};

static void row_release(struct run_row *r)
{
    ch_free(r->suite);
    ch_free(r->suite_version);
    ch_free(r->model);
    ch_free(r->status);
    ch_free(r->org);
    *r = (struct run_row){0};
}

/* An unreadable marking is treated as the highest, so it hides rather than shows. */
static enum ch_clearance marking(const char *s)
{
    enum ch_clearance c = CH_CLEAR_TOP_SECRET;
    if (s == NULL || ch_clearance_parse(s, &c) != CH_OK)
        return CH_CLEAR_TOP_SECRET;
    return c;
}

static int read_row(struct ch_stmt *st, struct run_row *ret, struct ch_err *err)
{
    struct run_row r = {
        .id = ch_stmt_int(st, 0),
        .suite = ch_strdup(ch_stmt_cstr(st, 1)),
        .suite_version = ch_strdup(ch_stmt_cstr(st, 2)),
        .classification = marking(ch_stmt_cstr(st, 3)),
        .status = ch_strdup(ch_stmt_cstr(st, 5)),
        .started_at = ch_stmt_int(st, 6),
        .finished_at = ch_stmt_is_null(st, 7) ? -1 : ch_stmt_int(st, 7),
        .epochs = ch_stmt_int(st, 8),
        .model_id = ch_stmt_int(st, 9),
        .org_id = ch_stmt_int(st, 10),
        .model_classification = CH_CLEAR_UNCLASSIFIED,
    };
    if (r.model_id != 0) {
        struct ch_buf ref;
        ch_buf_init(&ref, CH_MODELS_MAX_NAME + CH_MODELS_MAX_VERSION + 2);
        ch_buf_appendf(&ref, "%s@%s", ch_stmt_cstr(st, 12), ch_stmt_cstr(st, 13));
        r.model = ch_buf_take(&ref, NULL); /* NULL on failure, reported below */
        ch_buf_release(&ref);
        r.org = ch_strdup(ch_stmt_cstr(st, 11));
        r.model_classification = marking(ch_stmt_cstr(st, 14));
    } else {
        r.model = ch_strdup(ch_stmt_cstr(st, 4));
    }
    if (r.suite == NULL || r.suite_version == NULL || r.status == NULL || r.model == NULL ||
        (r.model_id != 0 && r.org == NULL)) {
        row_release(&r);
        return ch_err_set(err, CH_E_NOMEM, "out of memory reading an evaluation run");
    }
    *ret = r;
    return CH_OK;
}

static enum run_view run_view(const struct ch_eval_actor *a, const struct run_row *r)
{
    if (ch_eval_actor_evaluates(a) && a->clearance >= r->classification &&
        (r->model_id == 0 || a->clearance >= r->model_classification))
        return RUN_FULL;
    if ((a->roles & CH_ROLE_DEVELOPER) != 0 && r->model_id != 0 && a->org_id != 0 &&
        a->org_id == r->org_id)
        return RUN_OUTCOMES;
    return RUN_HIDDEN;
}

/* The run's report as a cJSON tree (owned: cJSON_Delete). */
static int report_tree(struct ch_store *s, int64_t run_id, cJSON **ret, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    int rc = ch_eval_report_json(s, run_id, &w, err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, err);
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "report", ret, err);
    ch_buf_release(&b);
    return rc;
}

/* Writes member `key` of obj under the same key, or null when it is missing. */
static void copy_member(struct ch_jw *w, const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    ch_jw_key(w, key);
    if (v != NULL)
        ch_jw_cjson(w, v);
    else
        ch_jw_null(w);
}

/* The members every view has: identity of the run and its model. */
static void write_head(struct ch_jw *w, const struct run_row *r, enum run_view v)
{
    ch_jw_kint(w, "id", r->id);
    ch_jw_kstr(w, "suite", r->suite);
    ch_jw_kstr(w, "suite_version", r->suite_version);
    ch_jw_kstr(w, "classification", ch_clearance_name(r->classification));
    ch_jw_key(w, "model_id");
    if (r->model_id != 0)
        ch_jw_int(w, r->model_id);
    else
        ch_jw_null(w);
    ch_jw_kstr(w, "org", r->org);
    ch_jw_kstr(w, "status", r->status);
    ch_jw_ktime(w, "started_at", r->started_at);
    ch_jw_ktime(w, "finished_at", r->finished_at);
    ch_jw_kint(w, "epochs", r->epochs);
    ch_jw_kstr(w, "view", v == RUN_FULL ? "full" : "outcomes");
}

static void write_item(struct ch_jw *w, const struct run_row *r, enum run_view v,
                       const cJSON *report)
{
    const cJSON *overall = ch_json_obj(report, "overall");
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(overall, "ci95");
    ch_jw_obj_open(w);
    write_head(w, r, v);
    ch_jw_kstr(w, "model", r->model);
    copy_member(w, overall, "samples");
    copy_member(w, overall, "successes");
    copy_member(w, overall, "pending");
    copy_member(w, overall, "success_rate");
    ch_jw_key(w, "ci95_low");
    if (cJSON_GetArraySize(ci) == 2)
        ch_jw_cjson(w, cJSON_GetArrayItem(ci, 0));
    else
        ch_jw_null(w);
    ch_jw_key(w, "ci95_high");
    if (cJSON_GetArraySize(ci) == 2)
        ch_jw_cjson(w, cJSON_GetArrayItem(ci, 1));
    else
        ch_jw_null(w);
    ch_jw_obj_close(w);
}

static void rows_free(struct run_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        row_release(&rows[i]);
    ch_free(rows);
}

/* Reads the rows of `sql` (RUN_COLUMNS ..., one bound integer) into *ret (owned). */
static int load_rows(struct ch_store *s, const char *sql, int64_t arg, struct run_row **ret,
                     size_t *ret_n, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s, sql, &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, arg);
    struct run_row *rows = NULL;
    size_t n = 0, cap = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (n == cap) {
            size_t ncap = cap == 0 ? 16 : cap * 2;
            struct run_row *grown = ch_reallocarray(rows, ncap, sizeof(*grown));
            if (grown == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory listing evaluation runs");
                break;
            }
            rows = grown;
            cap = ncap;
        }
        rc = read_row(st, &rows[n], err);
        if (rc != CH_OK)
            break;
        n++;
    }
    ch_stmt_free(st);
    if (rc < 0) {
        rows_free(rows, n);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return CH_OK;
}

int ch_eval_runs_list_json(struct ch_store *s, const struct ch_eval_actor *a, struct ch_jw *w,
                           struct ch_err *err)
{
    struct run_row *rows = NULL;
    size_t n = 0;
    int rc = load_rows(s, RUN_COLUMNS " ORDER BY r.id DESC LIMIT ?", CH_EVAL_RUNS_MAX_LIST, &rows,
                       &n, err);
    if (rc != CH_OK)
        return rc;
    ch_jw_arr_open(w);
    for (size_t i = 0; i < n && rc == CH_OK; i++) {
        enum run_view v = run_view(a, &rows[i]);
        if (v == RUN_HIDDEN)
            continue;
        cJSON *report = NULL;
        rc = report_tree(s, rows[i].id, &report, err);
        if (rc == CH_OK)
            write_item(w, &rows[i], v, report);
        cJSON_Delete(report);
    }
    ch_jw_arr_close(w);
    rows_free(rows, n);
    return rc;
}

int ch_eval_runs_get_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t run_id,
                          struct ch_jw *w, struct ch_err *err)
{
    struct run_row *rows = NULL;
    size_t n = 0;
    int rc = load_rows(s, RUN_COLUMNS " WHERE r.id = ?", run_id, &rows, &n, err);
    if (rc != CH_OK)
        return rc;
    enum run_view v = n == 1 ? run_view(a, &rows[0]) : RUN_HIDDEN;
    cJSON *report = NULL;
    if (v == RUN_HIDDEN)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no evaluation run %lld", (long long)run_id);
    else
        rc = report_tree(s, run_id, &report, err);
    if (rc == CH_OK) {
        /* Developers get aggregates; category names only when cleared for the suite. */
        bool categories = v == RUN_FULL || a->clearance >= rows[0].classification;
        ch_jw_obj_open(w);
        write_head(w, &rows[0], v);
        ch_jw_key(w, "registered_model");
        ch_jw_cstr(w, rows[0].model_id != 0 ? rows[0].model : NULL);
        for (const cJSON *m = report->child; m != NULL; m = m->next) {
            bool drop = strcmp(m->string, "run") == 0 || strcmp(m->string, "suite") == 0 ||
                        strcmp(m->string, "suite_version") == 0 ||
                        strcmp(m->string, "classification") == 0 ||
                        strcmp(m->string, "status") == 0 || strcmp(m->string, "epochs") == 0 ||
                        (v != RUN_FULL && strcmp(m->string, "tasks") == 0) ||
                        (!categories && strcmp(m->string, "categories") == 0);
            if (drop)
                continue;
            ch_jw_key(w, m->string);
            ch_jw_cjson(w, m);
        }
        ch_jw_obj_close(w);
    }
    cJSON_Delete(report);
    rows_free(rows, n);
    return rc;
}

const struct ch_policy_measure *ch_eval_runs_measure(const struct ch_policy *p,
                                                     const char *suite_id, bool *ret_counts)
{
    const struct ch_policy_measure *lowest = NULL;
    for (size_t i = 0; i < p->n_measures; i++) {
        const struct ch_policy_measure *m = &p->measures[i];
        for (size_t k = 0; k < m->n_suites; k++) {
            if (strcmp(m->suites[k], suite_id) == 0) {
                *ret_counts = true;
                return m;
            }
        }
        if (lowest == NULL || m->threshold < lowest->threshold)
            lowest = m;
    }
    *ret_counts = false;
    return lowest;
}
