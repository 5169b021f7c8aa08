/* SPDX-License-Identifier: Apache-2.0
 *
 * designate.c: designation policies, decisions and signed records
 * (contract in designate.h; user documentation in docs/designation.md).
 *
 * The decision is a pure function of the policy and the counts, so it is
 * tested on constructed result sets; the store, the clock and the keys come
 * in only in ch_designate_run(). Records are signed over canonical JSON and
 * verification recomputes that form from the parsed text, refusing any text
 * that is not already canonical.
 */
#include "eval/designate.h"

#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"
#include "eval/seal.h"
#include "store/store.h"

/* Integers up to 2^53 are exact in a double, hence in JSON read by cJSON. */
#define CANON_MAX_INT 9007199254740992.0
/* Nesting of a decision record (it is three levels deep). */
#define CANON_MAX_DEPTH 16u

/* ---- policy ---- */

static int check_members(const cJSON *obj, const char *const *allowed, const char *path,
                         const char *source, struct ch_err *err)
{
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(c->string, allowed[i]) == 0;
        if (!ok)
            return ch_err_setf(err, CH_E_INVALID, c->string, "%s: %s%s%s: unknown member", source,
                               path, path[0] != '\0' ? "." : "", c->string);
    }
    return CH_OK;
}

static int copy_str(const cJSON *obj, const char *key, bool required, const char *path, char *dst,
                    size_t size, struct ch_err *err)
{
    const char *v = NULL;
    int rc = ch_json_get_str(obj, key, required, path, &v, err);
    if (rc != CH_OK || v == NULL)
        return rc;
    if (strlen(v) >= size || (required && v[0] == '\0'))
        return ch_err_setf(err, CH_E_INVALID, key, "field '%s%s%s': 1 to %zu bytes", path,
                           path[0] != '\0' ? "." : "", key, size - 1);
    memcpy(dst, v, strlen(v) + 1);
    return CH_OK;
}

static int copy_list(const cJSON *obj, const char *key, bool required, const char *path,
                     char (*dst)[CH_POLICY_MAX_ID], size_t max, size_t *ret_n, struct ch_err *err)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(obj, key, required, path, &arr, err);
    if (rc != CH_OK || arr == NULL)
        return rc;
    size_t n = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next) {
        if (!cJSON_IsString(c) || c->valuestring[0] == '\0' ||
            strlen(c->valuestring) >= CH_POLICY_MAX_ID)
            return ch_err_setf(err, CH_E_INVALID, key,
                               "field '%s.%s[%zu]': a name of 1 to %u bytes", path, key, n,
                               CH_POLICY_MAX_ID - 1);
        if (n == max)
            return ch_err_setf(err, CH_E_LIMIT, key, "field '%s.%s': more than %zu entries", path,
                               key, max);
        memcpy(dst[n], c->valuestring, strlen(c->valuestring) + 1);
        n++;
    }
    if (required && n == 0)
        return ch_err_setf(err, CH_E_INVALID, key, "field '%s.%s': at least one entry", path, key);
    *ret_n = n;
    return CH_OK;
}

static int parse_measure(const cJSON *o, const char *path, const char *source,
                         struct ch_policy_measure *m, struct ch_err *err)
{
    static const char *const allowed[] = {"id",         "description", "suites", "kinds",
                                          "categories", "threshold",   "alert",  NULL};
    if (!cJSON_IsObject(o))
        return ch_err_set(err, CH_E_INVALID, "%s: %s: expected an object", source, path);
    int rc = check_members(o, allowed, path, source, err);
    if (rc == CH_OK)
        rc = copy_str(o, "id", true, path, m->id, sizeof(m->id), err);
    if (rc == CH_OK)
        rc = copy_str(o, "description", false, path, m->description, sizeof(m->description), err);
    if (rc == CH_OK)
        rc = copy_list(o, "suites", true, path, m->suites, CH_POLICY_MAX_SUITES, &m->n_suites, err);
    if (rc == CH_OK)
        rc = copy_list(o, "kinds", false, path, m->kinds, CH_POLICY_MAX_FILTERS, &m->n_kinds, err);
    if (rc == CH_OK)
        rc = copy_list(o, "categories", false, path, m->categories, CH_POLICY_MAX_FILTERS,
                       &m->n_categories, err);
    if (rc == CH_OK)
        rc = ch_json_get_num(o, "threshold", true, path, &m->threshold, err);
    if (rc == CH_OK)
        rc = ch_json_get_num(o, "alert", true, path, &m->alert, err);
    if (rc != CH_OK)
        return rc;
    if (!(m->threshold > 0 && m->threshold < 1))
        return ch_err_setf(err, CH_E_INVALID, "threshold", "%s: %s.threshold: in (0, 1)", source,
                           path);
    if (!(m->alert > 0 && m->alert <= m->threshold))
        return ch_err_setf(err, CH_E_INVALID, "alert", "%s: %s.alert: in (0, threshold]", source,
                           path);
    return CH_OK;
}

static int parse_policy_tree(const cJSON *root, const char *source, struct ch_policy *p,
                             struct ch_err *err)
{
    static const char *const allowed[] = {"format",       "id",         "version",
                                          "description",  "confidence", "method",
                                          "multiplicity", "measures",   NULL};
    if (!cJSON_IsObject(root))
        return ch_err_set(err, CH_E_INVALID, "%s: expected an object", source);
    int rc = check_members(root, allowed, "", source, err);
    const char *format = NULL;
    const char *method = "clopper_pearson";
    const char *mult = "holm";
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "format", true, "", &format, err);
    if (rc == CH_OK && strcmp(format, CH_POLICY_FORMAT) != 0)
        rc = ch_err_setf(err, CH_E_INVALID, "format", "%s: format: expected '%s'", source,
                         CH_POLICY_FORMAT);
    if (rc == CH_OK)
        rc = copy_str(root, "id", true, "", p->id, sizeof(p->id), err);
    if (rc == CH_OK)
        rc = ch_json_get_int(root, "version", true, "", 1, INT32_MAX, &p->version, err);
    if (rc == CH_OK)
        rc = copy_str(root, "description", false, "", p->description, sizeof(p->description), err);
    if (rc == CH_OK)
        rc = ch_json_get_num(root, "confidence", true, "", &p->confidence, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "method", false, "", &method, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "multiplicity", false, "", &mult, err);
    if (rc != CH_OK)
        return rc;
    if (!(p->confidence > 0.5 && p->confidence < 1))
        return ch_err_setf(err, CH_E_INVALID, "confidence", "%s: confidence: in (0.5, 1)", source);
    if (strcmp(method, "clopper_pearson") == 0)
        p->method = CH_STATS_CLOPPER_PEARSON;
    else if (strcmp(method, "wilson") == 0)
        p->method = CH_STATS_WILSON;
    else
        return ch_err_setf(err, CH_E_INVALID, "method",
                           "%s: method: clopper_pearson or wilson, not '%s'", source, method);
    if (strcmp(mult, "holm") == 0)
        p->multiplicity = CH_POLICY_HOLM;
    else if (strcmp(mult, "bonferroni") == 0)
        p->multiplicity = CH_POLICY_BONFERRONI;
    else
        return ch_err_setf(err, CH_E_INVALID, "multiplicity",
                           "%s: multiplicity: holm or bonferroni, not '%s'", source, mult);
    if (p->multiplicity == CH_POLICY_HOLM && p->method != CH_STATS_CLOPPER_PEARSON)
        return ch_err_setf(err, CH_E_INVALID, "multiplicity",
                           "%s: holm tests exact binomial p-values: use clopper_pearson", source);
    const cJSON *measures = NULL;
    rc = ch_json_get_arr(root, "measures", true, "", &measures, err);
    if (rc != CH_OK)
        return rc;
    for (const cJSON *c = measures->child; c != NULL; c = c->next) {
        if (p->n_measures == CH_POLICY_MAX_MEASURES)
            return ch_err_set(err, CH_E_LIMIT, "%s: more than %u measures", source,
                              CH_POLICY_MAX_MEASURES);
        char path[48];
        snprintf(path, sizeof(path), "measures[%zu]", p->n_measures);
        struct ch_policy_measure *m = &p->measures[p->n_measures];
        rc = parse_measure(c, path, source, m, err);
        if (rc != CH_OK)
            return rc;
        for (size_t i = 0; i < p->n_measures; i++) {
            if (strcmp(p->measures[i].id, m->id) == 0)
                return ch_err_setf(err, CH_E_INVALID, "id", "%s: %s.id: '%s' is used twice", source,
                                   path, m->id);
        }
        p->n_measures++;
    }
    if (p->n_measures == 0)
        return ch_err_setf(err, CH_E_INVALID, "measures", "%s: measures: at least one", source);
    return CH_OK;
}

int ch_policy_parse(const char *data, size_t len, const char *source, struct ch_policy *ret,
                    struct ch_err *err)
{
    if (len > CH_POLICY_MAX_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "%s: policy exceeds %zu bytes", source,
                          CH_POLICY_MAX_BYTES);
    cJSON *root = NULL;
    struct ch_json_limits lim = {.max_bytes = CH_POLICY_MAX_BYTES, .max_depth = 8};
    int rc = ch_json_parse(data, len, &lim, source, &root, err);
    if (rc != CH_OK)
        return rc;
    memset(ret, 0, sizeof(*ret));
    rc = parse_policy_tree(root, source, ret, err);
    cJSON_Delete(root);
    if (rc == CH_OK) {
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const unsigned char *)data, len);
        sodium_bin2hex(ret->sha256, sizeof(ret->sha256), h, sizeof(h));
    }
    return rc;
}

int ch_policy_load(const char *path, struct ch_policy *ret, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_POLICY_MAX_BYTES);
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open policy '%s'", path);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ch_buf_append(&b, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    int rc = bad ? ch_err_set(err, CH_E_IO, "cannot read policy '%s'", path)
                 : ch_buf_status(&b, path, err);
    if (rc == CH_OK)
        rc = ch_policy_parse(b.ptr != NULL ? b.ptr : "", ch_buf_len(&b), path, ret, err);
    ch_buf_release(&b);
    return rc;
}

int ch_policy_resolve(const char *ref, char *buf, size_t size, struct ch_err *err)
{
    size_t n = strlen(ref);
    int w;
    if (strchr(ref, '/') != NULL || (n > 5 && strcmp(ref + n - 5, ".json") == 0)) {
        w = snprintf(buf, size, "%s", ref);
    } else {
        for (size_t i = 0; i < n; i++) {
            char c = ref[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.'))
                return ch_err_set(err, CH_E_INVALID, "policy name '%s': letters, digits, '-', '_'",
                                  ref);
        }
        const char *dir = getenv("CLEARINGHOUSE_POLICY_DIR");
        w = snprintf(buf, size, "%s/%s.json", dir != NULL && dir[0] != '\0' ? dir : "policies",
                     ref);
    }
    if (w < 0 || (size_t)w >= size)
        return ch_err_set(err, CH_E_LIMIT, "policy path too long");
    return CH_OK;
}

/* ---- the decision ---- */

const char *ch_designate_outcome_str(enum ch_designate_outcome o)
{
    switch (o) {
    case CH_DESIGNATE_DESIGNATED:
        return "designated";
    case CH_DESIGNATE_CLEARED:
        return "cleared";
    case CH_DESIGNATE_UNDETERMINED:
        break;
    }
    return "undetermined";
}

/* P(X >= k) for X ~ Binomial(n, p). */
static double tail_ge(uint64_t k, uint64_t n, double p)
{
    if (k == 0)
        return 1.0;
    return ch_stats_betainc((double)k, (double)(n - k + 1), p);
}

/* P(X <= k) for X ~ Binomial(n, p). */
static double tail_le(uint64_t k, uint64_t n, double p)
{
    if (k >= n)
        return 1.0;
    return 1.0 - ch_stats_betainc((double)(k + 1), (double)(n - k), p);
}

static int64_t more_samples(const struct ch_policy *p, const struct ch_designate_measure_result *r,
                            double conf, double level, enum ch_stats_bound bound)
{
    uint64_t extra = 0;
    struct ch_err ignore = CH_ERR_INIT;
    enum ch_stats_assume assume =
        r->counts.trials == 0 ? CH_STATS_ASSUME_BEST : CH_STATS_ASSUME_RATE;
    int rc = ch_stats_samples_needed(p->method, r->counts.successes, r->counts.trials, conf, level,
                                     bound, assume, &extra, &ignore);
    if (rc != CH_OK || extra > (uint64_t)INT64_MAX)
        return -1;
    return (int64_t)extra;
}

/* Interval of one measure at confidence conf (the no-data interval is [0, 1]). */
static int bounds_at(const struct ch_policy *p, const struct ch_designate_counts *c, double conf,
                     struct ch_interval *ret, struct ch_err *err)
{
    if (c->trials == 0) {
        *ret = (struct ch_interval){.lo = 0, .hi = 1};
        return CH_OK;
    }
    return ch_stats_interval(p->method, c->successes, c->trials, conf, ret, err);
}

static int decide_bonferroni(const struct ch_policy *p, struct ch_designate_decision *d,
                             struct ch_err *err)
{
    double conf = ch_stats_bonferroni_confidence(p->confidence, p->n_measures);
    for (size_t i = 0; i < p->n_measures; i++) {
        struct ch_designate_measure_result *r = &d->results[i];
        struct ch_interval ci;
        int rc = bounds_at(p, &r->counts, conf, &ci, err);
        if (rc != CH_OK)
            return rc;
        r->conf_show = conf;
        r->conf_rule_out = conf;
        r->lower = ci.lo;
        r->upper = ci.hi;
        r->p_show = NAN;
        r->p_rule_out = NAN;
        r->shown = r->counts.trials > 0 && ci.lo > p->measures[i].threshold;
        r->ruled_out = r->counts.trials > 0 && ci.hi < p->measures[i].alert;
    }
    return CH_OK;
}

static int decide_holm(const struct ch_policy *p, struct ch_designate_decision *d,
                       struct ch_err *err)
{
    size_t m = p->n_measures;
    double alpha = (1.0 - p->confidence) / 2.0; /* one-sided level of the two-sided interval */
    double ps[CH_POLICY_MAX_MEASURES];
    double qs[CH_POLICY_MAX_MEASURES];
    bool rej_p[CH_POLICY_MAX_MEASURES];
    bool rej_q[CH_POLICY_MAX_MEASURES];
    double a_p[CH_POLICY_MAX_MEASURES];
    double a_q[CH_POLICY_MAX_MEASURES];
    for (size_t i = 0; i < m; i++) {
        const struct ch_designate_counts *c = &d->results[i].counts;
        ps[i] = c->trials == 0 ? 1.0 : tail_ge(c->successes, c->trials, p->measures[i].threshold);
        qs[i] = c->trials == 0 ? 1.0 : tail_le(c->successes, c->trials, p->measures[i].alert);
    }
    int rc = ch_stats_holm(ps, m, alpha, rej_p, a_p, err);
    if (rc >= 0)
        rc = ch_stats_holm(qs, m, alpha, rej_q, a_q, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < m; i++) {
        struct ch_designate_measure_result *r = &d->results[i];
        struct ch_interval lo_ci;
        struct ch_interval hi_ci;
        r->conf_show = 1.0 - 2.0 * a_p[i];
        r->conf_rule_out = 1.0 - 2.0 * a_q[i];
        rc = bounds_at(p, &r->counts, r->conf_show, &lo_ci, err);
        if (rc == CH_OK)
            rc = bounds_at(p, &r->counts, r->conf_rule_out, &hi_ci, err);
        if (rc != CH_OK)
            return rc;
        r->lower = lo_ci.lo;
        r->upper = hi_ci.hi;
        r->p_show = ps[i];
        r->p_rule_out = qs[i];
        /*
         * Holm rejects at p <= alpha_i; the bound is strict (a lower bound
         * equal to the threshold does not clear it), so require both.
         */
        r->shown = r->counts.trials > 0 && rej_p[i] && r->lower > p->measures[i].threshold;
        r->ruled_out = r->counts.trials > 0 && rej_q[i] && r->upper < p->measures[i].alert;
    }
    return CH_OK;
}

int ch_designate_decide(const struct ch_policy *p, const struct ch_designate_counts *counts,
                        struct ch_designate_decision *ret, struct ch_err *err)
{
    if (p->n_measures == 0 || p->n_measures > CH_POLICY_MAX_MEASURES)
        return ch_err_set(err, CH_E_INVALID, "policy has no measures");
    struct ch_designate_decision *d = ret;
    memset(d, 0, sizeof(*d));
    d->n_results = p->n_measures;
    for (size_t i = 0; i < p->n_measures; i++) {
        if (counts[i].successes > counts[i].trials)
            return ch_err_set(err, CH_E_INVALID, "measure '%s': %llu successes out of %llu",
                              p->measures[i].id, (unsigned long long)counts[i].successes,
                              (unsigned long long)counts[i].trials);
        d->results[i].counts = counts[i];
        d->results[i].estimate =
            counts[i].trials > 0 ? (double)counts[i].successes / (double)counts[i].trials : 0.0;
    }
    int rc =
        p->multiplicity == CH_POLICY_HOLM ? decide_holm(p, d, err) : decide_bonferroni(p, d, err);
    if (rc != CH_OK)
        return rc;
    bool any_shown = false;
    bool all_ruled_out = true;
    d->to_designate = -1;
    d->to_clear = 0;
    for (size_t i = 0; i < p->n_measures; i++) {
        struct ch_designate_measure_result *r = &d->results[i];
        any_shown = any_shown || r->shown;
        all_ruled_out = all_ruled_out && r->ruled_out;
        r->more_to_show = r->shown ? 0
                                   : more_samples(p, r, r->conf_show, p->measures[i].threshold,
                                                  CH_STATS_LOWER_ABOVE);
        r->more_to_rule_out =
            r->ruled_out
                ? 0
                : more_samples(p, r, r->conf_rule_out, p->measures[i].alert, CH_STATS_UPPER_BELOW);
        if (r->more_to_show >= 0 && (d->to_designate < 0 || r->more_to_show < d->to_designate))
            d->to_designate = r->more_to_show;
        if (d->to_clear >= 0)
            d->to_clear = r->more_to_rule_out < 0             ? -1
                          : r->more_to_rule_out > d->to_clear ? r->more_to_rule_out
                                                              : d->to_clear;
    }
    if (any_shown)
        d->outcome = CH_DESIGNATE_DESIGNATED;
    else if (all_ruled_out)
        d->outcome = CH_DESIGNATE_CLEARED;
    else
        d->outcome = CH_DESIGNATE_UNDETERMINED;
    return CH_OK;
}

/* ---- the store's results ---- */

static bool in_list(const char (*list)[CH_POLICY_MAX_ID], size_t n, const char *v)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], v) == 0)
            return true;
    }
    return false;
}

static void add_run(struct ch_designate_counts *c, int64_t run_id)
{
    for (size_t i = 0; i < c->n_runs; i++) {
        if (c->run_ids[i] == run_id)
            return;
    }
    if (c->n_runs == CH_DESIGNATE_MAX_RUNS)
        return; /* the counts stay exact; only the list of ids in the record is capped */
    size_t j = c->n_runs++;
    while (j > 0 && c->run_ids[j - 1] > run_id) {
        c->run_ids[j] = c->run_ids[j - 1];
        j--;
    }
    c->run_ids[j] = run_id;
}

static int store_counts(void *arg, int64_t model_id, const struct ch_policy_measure *m,
                        struct ch_designate_counts *ret, struct ch_err *err)
{
    struct ch_store *s = arg;
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(
        s,
        "SELECT r.id, s.kind, s.category, SUM(CASE WHEN s.outcome = 'success' THEN 1 ELSE 0 END),"
        " COUNT(*) FROM eval_model_runs mr JOIN eval_run r ON r.id = mr.run_id"
        " JOIN eval_sample s ON s.run_id = r.id"
        " WHERE mr.model_id = ? AND r.suite_id = ? AND s.state = 'done'"
        " AND s.outcome IN ('success', 'fail', 'limit', 'refused', 'filtered')"
        " GROUP BY r.id, s.kind, s.category ORDER BY r.id",
        &st, err);
    if (rc != CH_OK)
        return rc;
    for (size_t i = 0; i < m->n_suites && rc >= 0; i++) {
        ch_stmt_reset(st);
        ch_stmt_bind_int(st, 1, model_id);
        ch_stmt_bind_cstr(st, 2, m->suites[i]);
        while ((rc = ch_stmt_step(st, err)) == 1) {
            if (!in_list(m->kinds, m->n_kinds, ch_stmt_text(st, 1).ptr) ||
                !in_list(m->categories, m->n_categories, ch_stmt_text(st, 2).ptr))
                continue;
            int64_t succ = ch_stmt_int(st, 3);
            int64_t n = ch_stmt_int(st, 4);
            if (succ < 0 || n < succ)
                continue;
            ret->successes += (uint64_t)succ;
            ret->trials += (uint64_t)n;
            add_run(ret, ch_stmt_int(st, 0));
        }
    }
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}

struct ch_designate_source ch_designate_store_source(struct ch_store *s)
{
    return (struct ch_designate_source){.counts = store_counts, .arg = s};
}

/* ---- canonical JSON ---- */

static int cmp_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

static int canon(const cJSON *v, const char *skip_key, unsigned depth, struct ch_jw *w,
                 struct ch_err *err)
{
    if (depth > CANON_MAX_DEPTH)
        return ch_err_set(err, CH_E_LIMIT, "record nests deeper than %u", CANON_MAX_DEPTH);
    if (cJSON_IsObject(v)) {
        size_t n = 0;
        for (const cJSON *c = v->child; c != NULL; c = c->next)
            n++;
        const cJSON **kids = ch_calloc(n > 0 ? n : 1, sizeof(*kids));
        if (kids == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        size_t k = 0;
        for (const cJSON *c = v->child; c != NULL; c = c->next) {
            if (skip_key == NULL || strcmp(c->string, skip_key) != 0)
                kids[k++] = c;
        }
        qsort(kids, k, sizeof(*kids), cmp_keys);
        ch_jw_obj_open(w);
        int rc = CH_OK;
        for (size_t i = 0; i < k && rc == CH_OK; i++) {
            ch_jw_key(w, kids[i]->string);
            rc = canon(kids[i], NULL, depth + 1, w, err);
        }
        ch_jw_obj_close(w);
        ch_free(kids);
        return rc;
    }
    if (cJSON_IsArray(v)) {
        ch_jw_arr_open(w);
        int rc = CH_OK;
        for (const cJSON *c = v->child; c != NULL && rc == CH_OK; c = c->next)
            rc = canon(c, NULL, depth + 1, w, err);
        ch_jw_arr_close(w);
        return rc;
    }
    if (cJSON_IsString(v)) {
        ch_jw_cstr(w, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (isfinite(d) && d == floor(d) && fabs(d) <= CANON_MAX_INT)
            ch_jw_int(w, (int64_t)d);
        else
            ch_jw_double(w, d);
    } else if (cJSON_IsBool(v)) {
        ch_jw_bool(w, cJSON_IsTrue(v));
    } else if (cJSON_IsNull(v)) {
        ch_jw_null(w);
    } else {
        return ch_err_set(err, CH_E_INVALID, "record holds an invalid value");
    }
    return CH_OK;
}

int ch_decision_canonical(const cJSON *v, const char *skip_key, struct ch_buf *out,
                          struct ch_err *err)
{
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    int rc = canon(v, skip_key, 0, &w, err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, err);
}

/* ---- building and signing records ---- */

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *count_or_null(int64_t v)
{
    return v >= 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

static void add_reason(cJSON *reasons, const char *fmt, ...) CH_PRINTF(2, 3);
static void add_reason(cJSON *reasons, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(reasons, cJSON_CreateString(buf));
}

static cJSON *measure_json(const struct ch_policy *p, size_t i,
                           const struct ch_designate_measure_result *r)
{
    const struct ch_policy_measure *m = &p->measures[i];
    cJSON *o = cJSON_CreateObject();
    cJSON *suites = cJSON_AddArrayToObject(o, "suites");
    for (size_t j = 0; j < m->n_suites; j++)
        cJSON_AddItemToArray(suites, cJSON_CreateString(m->suites[j]));
    cJSON *runs = cJSON_AddArrayToObject(o, "run_ids");
    for (size_t j = 0; j < r->counts.n_runs; j++)
        cJSON_AddItemToArray(runs, cJSON_CreateNumber((double)r->counts.run_ids[j]));
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddNumberToObject(o, "successes", (double)r->counts.successes);
    cJSON_AddNumberToObject(o, "trials", (double)r->counts.trials);
    cJSON_AddNumberToObject(o, "estimate", r->estimate);
    cJSON_AddNumberToObject(o, "threshold", m->threshold);
    cJSON_AddNumberToObject(o, "alert", m->alert);
    cJSON_AddNumberToObject(o, "confidence_lower", r->conf_show);
    cJSON_AddNumberToObject(o, "lower", r->lower);
    cJSON_AddNumberToObject(o, "confidence_upper", r->conf_rule_out);
    cJSON_AddNumberToObject(o, "upper", r->upper);
    cJSON_AddItemToObject(o, "p_show", num_or_null(r->p_show));
    cJSON_AddItemToObject(o, "p_rule_out", num_or_null(r->p_rule_out));
    cJSON_AddBoolToObject(o, "shown", r->shown);
    cJSON_AddBoolToObject(o, "ruled_out", r->ruled_out);
    cJSON_AddItemToObject(o, "more_to_show", count_or_null(r->more_to_show));
    cJSON_AddItemToObject(o, "more_to_rule_out", count_or_null(r->more_to_rule_out));
    return o;
}

static void reasons_json(cJSON *reasons, const struct ch_policy *p,
                         const struct ch_designate_decision *d)
{
    for (size_t i = 0; i < d->n_results; i++) {
        const struct ch_designate_measure_result *r = &d->results[i];
        const struct ch_policy_measure *m = &p->measures[i];
        if (r->shown)
            add_reason(reasons,
                       "%s: lower bound %.4f (%.4g%% confidence) is above the threshold %.4g",
                       m->id, r->lower, r->conf_show * 100, m->threshold);
        else if (r->ruled_out)
            add_reason(reasons,
                       "%s: upper bound %.4f (%.4g%% confidence) is below the alert level %.4g",
                       m->id, r->upper, r->conf_rule_out * 100, m->alert);
        else if (r->counts.trials == 0)
            add_reason(reasons, "%s: no scored samples yet", m->id);
        else
            add_reason(reasons,
                       "%s: interval [%.4f, %.4f] straddles alert %.4g / threshold %.4g;"
                       " continue testing",
                       m->id, r->lower, r->upper, m->alert, m->threshold);
    }
    if (d->outcome == CH_DESIGNATE_UNDETERMINED) {
        if (d->to_clear >= 0)
            add_reason(reasons,
                       "about %lld more samples per unsettled measure at the observed"
                       " rates would clear the model",
                       (long long)d->to_clear);
        if (d->to_designate >= 0)
            add_reason(reasons,
                       "about %lld more samples of one measure at its observed rate"
                       " would designate the model",
                       (long long)d->to_designate);
    }
}

/*
 * The signature member carries alg, key_id and public_key, which are signed
 * too: the message is the canonical record with the signature member
 * holding everything but "value".
 */
static int sign_tree(const struct ch_keys *keys, cJSON *root, struct ch_buf *ret_record,
                     struct ch_err *err)
{
    char pk_hex[2 * CH_KEYS_SIGN_PK_BYTES + 1];
    sodium_bin2hex(pk_hex, sizeof(pk_hex), keys->sign_pk, sizeof(keys->sign_pk));
    cJSON *sigobj = cJSON_AddObjectToObject(root, "signature");
    if (sigobj == NULL || cJSON_AddStringToObject(sigobj, "alg", "ed25519") == NULL ||
        cJSON_AddStringToObject(sigobj, "key_id", keys->key_id) == NULL ||
        cJSON_AddStringToObject(sigobj, "public_key", pk_hex) == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory signing a record");
    struct ch_buf msg;
    ch_buf_init(&msg, CH_DECISION_MAX_BYTES);
    int rc = ch_decision_canonical(root, NULL, &msg, err);
    if (rc == CH_OK) {
        unsigned char sig[crypto_sign_BYTES];
        crypto_sign_detached(sig, NULL, (const unsigned char *)msg.ptr, ch_buf_len(&msg),
                             keys->sign_sk);
        char sig_hex[2 * crypto_sign_BYTES + 1];
        sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
        if (cJSON_AddStringToObject(sigobj, "value", sig_hex) == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory signing a record");
    }
    if (rc == CH_OK) {
        ch_buf_reset(ret_record);
        rc = ch_decision_canonical(root, NULL, ret_record, err);
    }
    if (rc == CH_OK) {
        ch_buf_append_byte(ret_record, '\n');
        rc = ch_buf_status(ret_record, "decision record", err);
    }
    ch_buf_release(&msg);
    return rc;
}

int ch_decision_build(const struct ch_keys *keys, const struct ch_models_model *m,
                      const struct ch_policy *p, const struct ch_designate_decision *d, int64_t now,
                      struct ch_buf *ret_record, struct ch_err *err)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory building a record");
    char when[CH_TIME_STR_MAX];
    cJSON_AddStringToObject(root, "format", CH_DECISION_FORMAT);
    cJSON_AddStringToObject(root, "decided_at", ch_time_format(now, when));
    cJSON_AddStringToObject(root, "outcome", ch_designate_outcome_str(d->outcome));
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddNumberToObject(model, "id", (double)m->id);
    cJSON_AddStringToObject(model, "name", m->name);
    cJSON_AddStringToObject(model, "version", m->version);
    cJSON_AddStringToObject(model, "org", m->org_slug);
    cJSON *pol = cJSON_AddObjectToObject(root, "policy");
    cJSON_AddStringToObject(pol, "id", p->id);
    cJSON_AddNumberToObject(pol, "version", (double)p->version);
    cJSON_AddStringToObject(pol, "sha256", p->sha256);
    cJSON_AddNumberToObject(pol, "confidence", p->confidence);
    cJSON_AddStringToObject(pol, "method",
                            p->method == CH_STATS_CLOPPER_PEARSON ? "clopper_pearson" : "wilson");
    cJSON_AddStringToObject(pol, "multiplicity",
                            p->multiplicity == CH_POLICY_HOLM ? "holm" : "bonferroni");
    cJSON *runs = cJSON_AddArrayToObject(root, "run_ids");
    struct ch_designate_counts all = {0};
    for (size_t i = 0; i < d->n_results; i++) {
        for (size_t j = 0; j < d->results[i].counts.n_runs; j++)
            add_run(&all, d->results[i].counts.run_ids[j]);
    }
    for (size_t j = 0; j < all.n_runs; j++)
        cJSON_AddItemToArray(runs, cJSON_CreateNumber((double)all.run_ids[j]));
    cJSON *measures = cJSON_AddArrayToObject(root, "measures");
    for (size_t i = 0; i < d->n_results; i++)
        cJSON_AddItemToArray(measures, measure_json(p, i, &d->results[i]));
    cJSON *needed = cJSON_AddObjectToObject(root, "samples_needed");
    cJSON_AddItemToObject(
        needed, "to_designate",
        count_or_null(d->outcome == CH_DESIGNATE_UNDETERMINED ? d->to_designate : 0));
    cJSON_AddItemToObject(needed, "to_clear",
                          count_or_null(d->outcome == CH_DESIGNATE_UNDETERMINED ? d->to_clear : 0));
    cJSON *reasons = cJSON_AddArrayToObject(root, "reasons");
    if (reasons != NULL)
        reasons_json(reasons, p, d);
    int rc = sign_tree(keys, root, ret_record, err);
    cJSON_Delete(root);
    return rc;
}

/* ---- verification ---- */

static void check_fail(struct ch_decision_check *c, const char *why)
{
    c->ok = false;
    snprintf(c->problem, sizeof(c->problem), "%s", why);
}

static bool hex_to(const char *hex, unsigned char *out, size_t n)
{
    size_t got = 0;
    if (hex == NULL || strlen(hex) != 2 * n)
        return false;
    return sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, NULL) == 0 && got == n;
}

int ch_decision_verify(const char *text, size_t len, const unsigned char *public_key,
                       struct ch_decision_check *ret, struct ch_err *err)
{
    *ret = (struct ch_decision_check){0};
    cJSON *root = NULL;
    struct ch_err perr = CH_ERR_INIT;
    struct ch_json_limits lim = {.max_bytes = CH_DECISION_MAX_BYTES, .max_depth = CANON_MAX_DEPTH};
    if (ch_json_parse(text, len, &lim, "record", &root, &perr) != CH_OK) {
        if (perr.rc == CH_E_NOMEM)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        check_fail(ret, perr.msg);
        return CH_OK;
    }
    struct ch_buf b;
    ch_buf_init(&b, CH_DECISION_MAX_BYTES + 1);
    int rc = CH_OK;
    const char *fmt = ch_json_str(root, "format");
    const char *outcome = ch_json_str(root, "outcome");
    const cJSON *sig = ch_json_obj(root, "signature");
    if (!cJSON_IsObject(root) || fmt == NULL || strcmp(fmt, CH_DECISION_FORMAT) != 0) {
        check_fail(ret, "not a designation decision record");
        goto out;
    }
    snprintf(ret->outcome, sizeof(ret->outcome), "%s", outcome != NULL ? outcome : "");
    rc = ch_decision_canonical(root, NULL, &b, err);
    if (rc == CH_OK) {
        ch_buf_append_byte(&b, '\n');
        rc = ch_buf_status(&b, "record", err);
    }
    if (rc != CH_OK)
        goto out;
    if (ch_buf_len(&b) != len || memcmp(b.ptr, text, len) != 0) {
        check_fail(ret, "record is not in canonical form: it was altered");
        goto out;
    }
    unsigned char pk[CH_KEYS_SIGN_PK_BYTES];
    unsigned char sv[crypto_sign_BYTES];
    const char *alg = sig != NULL ? ch_json_str(sig, "alg") : NULL;
    const char *key_id = sig != NULL ? ch_json_str(sig, "key_id") : NULL;
    if (alg == NULL || strcmp(alg, "ed25519") != 0 || key_id == NULL ||
        !hex_to(ch_json_str(sig, "public_key"), pk, sizeof(pk)) ||
        !hex_to(ch_json_str(sig, "value"), sv, sizeof(sv))) {
        check_fail(ret, "record has no valid ed25519 signature member");
        goto out;
    }
    snprintf(ret->key_id, sizeof(ret->key_id), "%s", key_id);
    if (public_key != NULL && sodium_memcmp(public_key, pk, sizeof(pk)) != 0) {
        check_fail(ret, "record is signed by another key");
        goto out;
    }
    /* The signed message: the record without signature.value. */
    cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)sig, "value");
    ch_buf_reset(&b);
    rc = ch_decision_canonical(root, NULL, &b, err);
    if (rc != CH_OK)
        goto out;
    if (crypto_sign_verify_detached(sv, (const unsigned char *)b.ptr, ch_buf_len(&b), pk) != 0) {
        check_fail(ret, "signature does not verify: the record was altered");
        goto out;
    }
    ret->ok = true;
out:
    ch_buf_release(&b);
    cJSON_Delete(root);
    return rc;
}

/* ---- running and storing ---- */

static int store_decision(struct ch_store *s, const struct ch_eval_actor *a,
                          const struct ch_models_model *m, const struct ch_policy *p,
                          const struct ch_designate_decision *d, const struct ch_keys *keys,
                          const struct ch_buf *record, int64_t now, int64_t *ret_id,
                          struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    int64_t id = 0;
    rc = ch_store_stmt(s,
                       "INSERT INTO eval_decisions (model_id, policy_id, policy_version, outcome,"
                       " record, key_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                       " RETURNING id",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, m->id);
        ch_stmt_bind_cstr(st, 2, p->id);
        ch_stmt_bind_int(st, 3, p->version);
        ch_stmt_bind_cstr(st, 4, ch_designate_outcome_str(d->outcome));
        ch_stmt_bind_text(st, 5, record->ptr, ch_buf_len(record));
        ch_stmt_bind_cstr(st, 6, keys->key_id);
        ch_stmt_bind_int(st, 7, now);
        ch_stmt_bind_cstr(st, 8, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK) {
        char object[64];
        char digest[65];
        char details[512];
        snprintf(object, sizeof(object), "model:%lld", (long long)m->id);
        ch_seal_digest_hex(record->ptr, ch_buf_len(record), digest);
        snprintf(details, sizeof(details),
                 "{\"decision\":%lld,\"outcome\":\"%s\",\"policy\":\"%s\",\"policy_version\":%lld,"
                 "\"record_blake2b\":\"%s\"}",
                 (long long)id, ch_designate_outcome_str(d->outcome), p->id, (long long)p->version,
                 digest);
        rc = ch_eval_audit(s, a, "designation.decide", object, details, now, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK)
        *ret_id = id;
    return rc;
}

int ch_designate_run(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                     const struct ch_designate_request *r, int64_t now, int64_t *ret_id,
                     struct ch_designate_decision *ret_decision, struct ch_buf *ret_record,
                     struct ch_err *err)
{
    if (!ch_eval_actor_evaluates(a))
        return ch_err_set(err, CH_E_PERM, "only evaluators and analysts decide designations");
    struct ch_models_model m = {0};
    int rc = ch_models_find(s, a, r->model, &m, err);
    if (rc != CH_OK)
        return rc;
    struct ch_designate_counts *counts = ch_calloc(CH_POLICY_MAX_MEASURES, sizeof(*counts));
    if (counts == NULL) {
        ch_models_release(&m);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->policy->n_measures && rc == CH_OK; i++) {
        rc = r->source.counts(r->source.arg, m.id, &r->policy->measures[i], &counts[i], err);
        if (rc != CH_OK)
            ch_err_prefix(err, "measure '%s'", r->policy->measures[i].id);
    }
    if (rc == CH_OK)
        rc = ch_designate_decide(r->policy, counts, ret_decision, err);
    if (rc == CH_OK)
        rc = ch_decision_build(keys, &m, r->policy, ret_decision, now, ret_record, err);
    int64_t id = 0;
    if (rc == CH_OK)
        rc = store_decision(s, a, &m, r->policy, ret_decision, keys, ret_record, now, &id, err);
    if (rc == CH_OK && ret_id != NULL)
        *ret_id = id;
    ch_free(counts);
    ch_models_release(&m);
    return rc;
}

static int decision_model_visible(struct ch_store *s, const struct ch_eval_actor *a,
                                  int64_t model_id, struct ch_err *err)
{
    struct ch_models_model m = {0};
    int rc = ch_models_get(s, model_id, &m, err);
    bool vis = false;
    if (rc == CH_OK)
        rc = ch_models_visible(s, a, &m, &vis, err);
    ch_models_release(&m);
    if (rc == CH_OK && !vis)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no decision");
    return rc;
}

int ch_decision_get(struct ch_store *s, const struct ch_eval_actor *a, int64_t id,
                    struct ch_buf *ret_record, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc =
        ch_store_prepare(s, "SELECT model_id, record FROM eval_decisions WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no decision %lld", (long long)id);
    if (rc == 1) {
        int64_t model_id = ch_stmt_int(st, 0);
        ch_buf_reset(ret_record);
        ch_buf_append_str(ret_record, ch_stmt_text(st, 1));
        rc = ch_buf_status(ret_record, "record", err);
        if (rc == CH_OK)
            rc = decision_model_visible(s, a, model_id, err);
        if (rc == CH_E_NOTFOUND) {
            ch_err_clear(err);
            rc = ch_err_set(err, CH_E_NOTFOUND, "no decision %lld", (long long)id);
        }
    }
    ch_stmt_free(st);
    return rc;
}

int ch_decision_list_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t model_id,
                          struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(
        s,
        "SELECT d.id, d.model_id, m.name, m.version, d.policy_id,"
        " d.policy_version, d.outcome, d.created_at FROM eval_decisions d"
        " JOIN eval_models m ON m.id = d.model_id"
        " WHERE (CAST(? AS BIGINT) = 0 OR d.model_id = ?) ORDER BY d.id DESC LIMIT 10000",
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, model_id);
    ch_stmt_bind_int(st, 2, model_id);
    ch_jw_arr_open(w);
    int64_t cached_model = 0;
    bool cached_vis = false;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        int64_t mid = ch_stmt_int(st, 1);
        if (mid != cached_model) {
            struct ch_err verr = CH_ERR_INIT;
            cached_model = mid;
            cached_vis = decision_model_visible(s, a, mid, &verr) == CH_OK;
        }
        if (!cached_vis)
            continue;
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kint(w, "model_id", mid);
        ch_jw_key(w, "model");
        ch_jw_str(w, ch_stmt_text(st, 2).ptr, ch_stmt_text(st, 2).len);
        ch_jw_kstr(w, "version", ch_stmt_text(st, 3).ptr);
        ch_jw_kstr(w, "policy", ch_stmt_text(st, 4).ptr);
        ch_jw_kint(w, "policy_version", ch_stmt_int(st, 5));
        ch_jw_kstr(w, "outcome", ch_stmt_text(st, 6).ptr);
        ch_jw_ktime(w, "decided_at", ch_stmt_int(st, 7));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_designate_is_covered(struct ch_store *s, int64_t model_id, bool *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT outcome FROM eval_decisions WHERE model_id = ?"
                           " ORDER BY id DESC LIMIT 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, model_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret = rc == 1 && ch_str_eq_c(ch_stmt_text(st, 0), "designated");
    ch_stmt_reset(st);
    return CH_OK;
}
