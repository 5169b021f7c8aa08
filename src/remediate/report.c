/* SPDX-License-Identifier: Apache-2.0
 *
 * report.c: priorities, compliance as of a date, notices (report.h).
 */
#include "remediate/report.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "identity/identity.h"

/* ---- priority --------------------------------------------------------- */

int ch_priority_decide(const struct ch_ssvc_table *table, const char *exploitation,
                       const char *automatable, const char *technical_impact, const char *mwi,
                       size_t *ret_rank, const char **ret_name, struct ch_err *err)
{
    size_t n = ch_ssvc_table_n_points(table);
    struct ch_ssvc_input in[CH_SSVC_MAX_POINTS];
    if (n > CH_SSVC_MAX_POINTS)
        return ch_err_set(err, CH_E_LIMIT, "too many decision points");
    for (size_t i = 0; i < n; i++) {
        const struct ch_ssvc_point *p = ch_ssvc_table_point(table, i);
        const char *v = strcmp(p->key, "E") == 0     ? exploitation
                        : strcmp(p->key, "A") == 0   ? automatable
                        : strcmp(p->key, "TI") == 0  ? technical_impact
                        : strcmp(p->key, "MWI") == 0 ? mwi
                                                     : NULL;
        if (v == NULL)
            return ch_err_setf(err, CH_E_UNSUPPORTED, "point",
                               "priority table point '%s' has no value", p->name);
        in[i] = (struct ch_ssvc_input){.point = ch_str_c(p->id), .value = ch_str_c(v)};
    }
    size_t o = 0;
    int rc = ch_ssvc_table_lookup(table, in, n, &o, err);
    if (rc != CH_OK)
        return rc;
    *ret_rank = o;
    *ret_name = ch_ssvc_table_outcome(table)->values[o].name;
    return CH_OK;
}

enum { CAT_NSS, CAT_DOD, CAT_FCEB, CAT_SLTT, CAT_CI, CAT_N };

struct prio {
    int64_t vuln_id;
    char *id;
    size_t rank;
    const char *outcome;
    bool kev;
    double epss;
    size_t counts[CAT_N];
    size_t assets;
    size_t exposures;
    int64_t due;
    size_t orgs;
};

static int cat_index(const char *category)
{
    static const char *const names[CAT_N] = {"nss", "dod", "fceb", "sltt", "ci"};
    for (int i = 0; i < CAT_N; i++) {
        if (strcmp(category, names[i]) == 0)
            return i;
    }
    return -1;
}

static int cmp_prio(const void *a, const void *b)
{
    const struct prio *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank > y->rank ? -1 : 1;
    if (x->kev != y->kev)
        return x->kev ? -1 : 1;
    if (x->epss != y->epss)
        return x->epss > y->epss ? -1 : 1;
    for (int i = 0; i < CAT_N; i++) {
        if (x->counts[i] != y->counts[i])
            return x->counts[i] > y->counts[i] ? -1 : 1;
    }
    if (x->assets != y->assets)
        return x->assets > y->assets ? -1 : 1;
    return (x->vuln_id > y->vuln_id) - (x->vuln_id < y->vuln_id);
}

static void prio_release(struct prio *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ch_free(v[i].id);
    ch_free(v);
}

/* One exposure row into the vulnerability's aggregate (rows come ordered by vuln, asset). */
static int prio_row(const struct ch_ssvc_table *t, struct ch_stmt *st, struct prio *p,
                    int64_t *last_asset, int64_t *last_org, struct ch_err *err)
{
    size_t rank = 0;
    const char *name = NULL;
    const char *mwi =
        strcmp(ch_stmt_cstr(st, 6), "high") == 0 || strcmp(ch_stmt_cstr(st, 7), "high") == 0
            ? "high"
        : strcmp(ch_stmt_cstr(st, 6), "medium") == 0 || strcmp(ch_stmt_cstr(st, 7), "medium") == 0
            ? "medium"
            : "low";
    int rc = ch_priority_decide(t, ch_stmt_cstr(st, 3), ch_stmt_cstr(st, 4), ch_stmt_cstr(st, 5),
                                mwi, &rank, &name, err);
    if (rc != CH_OK)
        return rc;
    if (p->outcome == NULL || rank > p->rank) {
        p->rank = rank;
        p->outcome = name;
    }
    p->kev = p->kev || ch_stmt_int(st, 2) != 0;
    p->exposures++;
    int64_t asset = ch_stmt_int(st, 9), org = ch_stmt_int(st, 12);
    if (asset != *last_asset) {
        p->assets++;
        int c = cat_index(ch_stmt_cstr(st, 8));
        if (c >= 0)
            p->counts[c]++;
        *last_asset = asset;
    }
    if (org != *last_org) {
        p->orgs++;
        *last_org = org;
    }
    if (!ch_stmt_is_null(st, 10) && (p->due < 0 || ch_stmt_int(st, 10) < p->due))
        p->due = ch_stmt_int(st, 10);
    return CH_OK;
}

static void prio_json(const struct prio *p, struct ch_jw *w)
{
    static const char *const names[CAT_N] = {"nss", "dod", "fceb", "sltt", "ci"};
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "vulnerability", p->id);
    ch_jw_kstr(w, "priority", p->outcome);
    ch_jw_kbool(w, "kev", p->kev);
    if (p->epss < 0) {
        ch_jw_key(w, "epss");
        ch_jw_null(w);
    } else {
        ch_jw_kdouble(w, "epss", p->epss);
    }
    ch_jw_key(w, "exposed_assets");
    ch_jw_obj_open(w);
    for (int i = 0; i < CAT_N; i++)
        ch_jw_kint(w, names[i], (int64_t)p->counts[i]);
    ch_jw_kint(w, "all", (int64_t)p->assets);
    ch_jw_obj_close(w);
    ch_jw_kint(w, "exposures", (int64_t)p->exposures);
    ch_jw_ktime(w, "earliest_due", p->due);
    ch_jw_obj_close(w);
}

int ch_priority_json(struct ch_store *s, const struct ch_ssvc_table *table, int64_t scope_org,
                     size_t limit, int64_t now, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s,
        "SELECT x.vuln_id, v.display_id, x.kev, x.exploitation, x.automatable,"
        " x.technical_impact, a.mission_impact, a.wellbeing_impact, o.category, x.asset_id,"
        " x.due_at, (SELECT MAX(e.epss) FROM epss e JOIN vuln_keys k ON k.key = e.cve"
        "  WHERE k.vuln_id = x.vuln_id), x.org_id"
        " FROM exposures x JOIN assets a ON a.id = x.asset_id JOIN orgs o ON o.id = x.org_id"
        " JOIN vulns v ON v.id = x.vuln_id"
        " WHERE x.status IN ('open', 'in_progress') AND x.exploitation IS NOT NULL"
        " AND (CAST(? AS BIGINT) = 0 OR x.org_id = ?)"
        " ORDER BY x.vuln_id, x.asset_id, x.org_id",
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, scope_org);
    ch_stmt_bind_int(st, 2, scope_org);
    struct prio *v = NULL;
    size_t n = 0, cap = 0;
    int64_t last_asset = -1, last_org = -1;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        int64_t vuln = ch_stmt_int(st, 0);
        if (n == 0 || v[n - 1].vuln_id != vuln) {
            if (n == cap) {
                size_t ncap = cap == 0 ? 64 : cap * 2;
                struct prio *nv = ch_reallocarray(v, ncap, sizeof(*nv));
                if (nv == NULL) {
                    rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                    break;
                }
                v = nv;
                cap = ncap;
            }
            v[n] = (struct prio){.vuln_id = vuln,
                                 .id = ch_strdup(ch_stmt_cstr(st, 1)),
                                 .epss = ch_stmt_is_null(st, 11) ? -1 : ch_stmt_double(st, 11),
                                 .due = -1};
            n++;
            last_asset = -1;
            last_org = -1;
            if (v[n - 1].id == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                break;
            }
        }
        rc = prio_row(table, st, &v[n - 1], &last_asset, &last_org, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    if (rc < 0) {
        prio_release(v, n);
        return rc;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_prio);
    size_t max = limit == 0 || limit > CH_PRIORITY_MAX_LIMIT ? CH_PRIORITY_MAX_LIMIT : limit;
    ch_jw_obj_open(w);
    ch_jw_ktime(w, "as_of", now);
    ch_jw_key(w, "items");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < n && i < max; i++)
        prio_json(&v[i], w);
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    prio_release(v, n);
    return CH_OK;
}

/* ---- compliance ------------------------------------------------------- */

struct tally {
    size_t in_scope, on_time, late, open_within, overdue, risk_accepted;
    double *days;
    size_t n_days, cap_days;
};

struct org_tally {
    int64_t org_id;
    char slug[64];
    struct tally *t; /* one per directive */
};

static int add_days(struct tally *t, double d, struct ch_err *err)
{
    if (t->n_days == t->cap_days) {
        size_t cap = t->cap_days == 0 ? 16 : t->cap_days * 2;
        double *nd = ch_reallocarray(t->days, cap, sizeof(*nd));
        if (nd == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        t->days = nd;
        t->cap_days = cap;
    }
    t->days[t->n_days++] = d;
    return CH_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Status of an exposure at time t and since when. */
static int status_at(struct ch_store *s, int64_t id, int64_t t, char *status, size_t size,
                     int64_t *ret_at, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT to_status, at FROM exposure_transitions"
                           " WHERE exposure_id = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_stmt_bind_int(st, 2, t);
    rc = ch_stmt_step(st, err);
    status[0] = '\0';
    if (rc == 1) {
        snprintf(status, size, "%s", ch_stmt_cstr(st, 0));
        *ret_at = ch_stmt_int(st, 1);
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

struct dl {
    bool have;
    bool applies;
    int64_t due;
};

static int deadlines_at(struct ch_store *s, const struct ch_directive_set *set, int64_t id,
                        int64_t t, struct dl *out, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT directive, applies, due FROM exposure_deadlines"
                           " WHERE exposure_id = ? AND computed_at <= ? ORDER BY computed_at, id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_stmt_bind_int(st, 2, t);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        const struct ch_directive *d = ch_directive_set_find(set, ch_stmt_text(st, 0));
        for (size_t i = 0; d != NULL && i < ch_directive_set_count(set); i++) {
            if (ch_directive_set_get(set, i) != d)
                continue;
            out[i].have = true;
            out[i].applies = ch_stmt_int(st, 1) != 0;
            out[i].due = ch_stmt_is_null(st, 2) ? -1 : ch_stmt_int(st, 2);
        }
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

/* Counts one exposure under one directive as of t. */
static int tally_one(const struct ch_directive *d, const struct dl *dl, int64_t detected,
                     const char *status, int64_t status_since, int64_t t, struct tally *ty,
                     struct ch_err *err)
{
    if (!dl->have || !dl->applies || strcmp(status, "not_affected") == 0)
        return CH_OK;
    int64_t issued = ch_directive_issued(d), revoked = ch_directive_revoked(d);
    bool remediated = strcmp(status, "remediated") == 0;
    int64_t end = remediated ? status_since : t;
    /* the directive must have governed the exposure at some moment of [detected, end] */
    if (end < issued || (revoked >= 0 && detected >= revoked))
        return CH_OK;
    ty->in_scope++;
    if (remediated && (revoked < 0 || status_since < revoked)) {
        if (ch_directive_is_late(dl->due, status_since))
            ty->late++;
        else
            ty->on_time++;
        return add_days(ty, (double)(status_since - detected) / CH_DAY_SECONDS, err);
    }
    /* open at t, or still open when the directive was revoked: judged at that moment */
    int64_t at = revoked >= 0 && revoked <= end ? revoked - 1 : t;
    if (strcmp(status, "risk_accepted") == 0)
        ty->risk_accepted++;
    else if (ch_directive_is_late(dl->due, at))
        ty->overdue++;
    else
        ty->open_within++;
    return CH_OK;
}

static struct org_tally *org_of(struct org_tally **orgs, size_t *n, size_t n_dir, int64_t org_id,
                                const char *slug)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*orgs)[i].org_id == org_id)
            return &(*orgs)[i];
    }
    struct org_tally *no = ch_reallocarray(*orgs, *n + 1, sizeof(*no));
    if (no == NULL)
        return NULL;
    *orgs = no;
    struct org_tally *o = &no[*n];
    *o = (struct org_tally){.org_id = org_id,
                            .t = ch_calloc(n_dir == 0 ? 1 : n_dir, sizeof(struct tally))};
    if (o->t == NULL)
        return NULL;
    snprintf(o->slug, sizeof(o->slug), "%s", slug);
    (*n)++;
    return o;
}

static void write_tally(const struct ch_directive *d, const struct tally *ty, int64_t as_of,
                        struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "directive", ch_directive_id(d));
    ch_jw_kbool(w, "in_force", ch_directive_in_force(d, as_of));
    ch_jw_kint(w, "in_scope", (int64_t)ty->in_scope);
    ch_jw_kint(w, "remediated_on_time", (int64_t)ty->on_time);
    ch_jw_kint(w, "remediated_late", (int64_t)ty->late);
    ch_jw_kint(w, "open_within_deadline", (int64_t)ty->open_within);
    ch_jw_kint(w, "overdue", (int64_t)ty->overdue);
    ch_jw_kint(w, "risk_accepted", (int64_t)ty->risk_accepted);
    ch_jw_key(w, "median_days_to_remediate");
    if (ty->n_days == 0) {
        ch_jw_null(w);
    } else {
        qsort(ty->days, ty->n_days, sizeof(double), cmp_double);
        size_t m = ty->n_days / 2;
        double med = ty->n_days % 2 == 1 ? ty->days[m] : (ty->days[m - 1] + ty->days[m]) / 2;
        ch_jw_double(w, (double)(int64_t)(med * 10 + 0.5) / 10);
    }
    ch_jw_obj_close(w);
}

struct xrow {
    int64_t id, org_id, detected;
    char slug[64];
};

int ch_compliance_json(struct ch_store *s, const struct ch_directive_set *set, int64_t scope_org,
                       int64_t as_of, struct ch_jw *w, struct ch_err *err)
{
    size_t n_dir = set != NULL ? ch_directive_set_count(set) : 0;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT x.id, x.org_id, o.slug, x.detected_at FROM exposures x"
                           " JOIN orgs o ON o.id = x.org_id WHERE x.detected_at <= ?"
                           " AND (CAST(? AS BIGINT) = 0 OR x.org_id = ?) ORDER BY o.slug, x.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, as_of);
    ch_stmt_bind_int(st, 2, scope_org);
    ch_stmt_bind_int(st, 3, scope_org);
    struct xrow *rows = NULL;
    size_t n = 0, cap = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (n == cap) {
            cap = cap == 0 ? 256 : cap * 2;
            struct xrow *nr = ch_reallocarray(rows, cap, sizeof(*nr));
            if (nr == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                break;
            }
            rows = nr;
        }
        rows[n] = (struct xrow){
            .id = ch_stmt_int(st, 0), .org_id = ch_stmt_int(st, 1), .detected = ch_stmt_int(st, 3)};
        snprintf(rows[n].slug, sizeof(rows[n].slug), "%s", ch_stmt_cstr(st, 2));
        n++;
    }
    ch_stmt_reset(st);
    rc = rc < 0 ? rc : CH_OK;
    struct org_tally *orgs = NULL;
    size_t n_orgs = 0;
    struct dl *dls = ch_calloc(n_dir == 0 ? 1 : n_dir, sizeof(*dls));
    if (rc == CH_OK && dls == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        char status[32];
        int64_t since = 0;
        rc = status_at(s, rows[i].id, as_of, status, sizeof(status), &since, err);
        if (rc != CH_OK || status[0] == '\0')
            continue;
        memset(dls, 0, (n_dir == 0 ? 1 : n_dir) * sizeof(*dls));
        rc = deadlines_at(s, set, rows[i].id, as_of, dls, err);
        struct org_tally *o =
            rc == CH_OK ? org_of(&orgs, &n_orgs, n_dir, rows[i].org_id, rows[i].slug) : NULL;
        if (rc == CH_OK && o == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        for (size_t k = 0; rc == CH_OK && k < n_dir; k++)
            rc = tally_one(ch_directive_set_get(set, k), &dls[k], rows[i].detected, status, since,
                           as_of, &o->t[k], err);
    }
    if (rc == CH_OK) {
        ch_jw_obj_open(w);
        ch_jw_ktime(w, "as_of", as_of);
        ch_jw_key(w, "organisations");
        ch_jw_arr_open(w);
        for (size_t i = 0; i < n_orgs; i++) {
            ch_jw_obj_open(w);
            ch_jw_kstr(w, "org", orgs[i].slug);
            ch_jw_key(w, "directives");
            ch_jw_arr_open(w);
            for (size_t k = 0; k < n_dir; k++) {
                if (orgs[i].t[k].in_scope > 0)
                    write_tally(ch_directive_set_get(set, k), &orgs[i].t[k], as_of, w);
            }
            ch_jw_arr_close(w);
            ch_jw_obj_close(w);
        }
        ch_jw_arr_close(w);
        ch_jw_obj_close(w);
    }
    for (size_t i = 0; i < n_orgs; i++) {
        for (size_t k = 0; k < n_dir; k++)
            ch_free(orgs[i].t[k].days);
        ch_free(orgs[i].t);
    }
    ch_free(orgs);
    ch_free(dls);
    ch_free(rows);
    return rc;
}

/* ---- notices ---------------------------------------------------------- */

int ch_notices_json(struct ch_store *s, int64_t scope_org, int64_t since, struct ch_jw *w,
                    struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT n.id, o.slug, n.vuln, n.created_at, n.reasons, n.due_at, n.body"
                           " FROM notices n JOIN orgs o ON o.id = n.org_id"
                           " WHERE (CAST(? AS BIGINT) = 0 OR n.org_id = ?) AND n.created_at >= ?"
                           " ORDER BY n.created_at, n.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, scope_org);
    ch_stmt_bind_int(st, 2, scope_org);
    ch_stmt_bind_int(st, 3, since < 0 ? INT64_MIN : since);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "org", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "vulnerability", ch_stmt_cstr(st, 2));
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 3));
        ch_jw_kstr(w, "reasons", ch_stmt_cstr(st, 4));
        ch_jw_ktime(w, "due", ch_stmt_is_null(st, 5) ? -1 : ch_stmt_int(st, 5));
        struct ch_str body = ch_stmt_text(st, 6);
        ch_jw_key(w, "body");
        ch_jw_raw(w, body.ptr, body.len);
        ch_jw_obj_close(w);
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}
