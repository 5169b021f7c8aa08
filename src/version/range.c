/* SPDX-License-Identifier: Apache-2.0
 *
 * range.c: OSV range evaluation and CVE JSON 5 version status (range.h).
 *
 * The OSV pseudocode sorts a range's events by version and walks them,
 * setting "vulnerable" at every applicable event (introduced <= v,
 * fixed <= v, last_affected < v). Its result is the effect of the last
 * applicable event in that order, so we find it directly: the greatest
 * applicable event by (version, index in the record), "introduced: 0" being
 * below every version. That costs at most two comparisons per event and no
 * memory, and equals a stable sort's answer for events of equal version.
 */
#include "version/range.h"

#include "version/internal.h"

static bool is_zero(struct ch_str s)
{
    return s.len == 1 && s.ptr[0] == '0';
}

static bool has_star(struct ch_str s)
{
    return ch_str_find_char(s, '*') >= 0;
}

static bool before_limits(const struct ch_osv_range *r, const struct ch_version_scheme *s,
                          struct ch_str v, bool *ret, struct ch_err *err)
{
    bool any = false;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct ch_osv_event *e = &r->events[i];
        if (e->kind != CH_OSV_LIMIT)
            continue;
        any = true;
        if (has_star(e->version)) {
            *ret = true;
            return true;
        }
        int c = 0;
        if (ch_version_cmp(s, v, e->version, &c, err) != CH_OK)
            return false;
        if (c < 0) {
            *ret = true;
            return true;
        }
    }
    *ret = !any;
    return true;
}

/* Orders two events by version, "introduced: 0" lowest. */
static int event_cmp(const struct ch_version_scheme *s, const struct ch_osv_event *a,
                     const struct ch_osv_event *b, int *ret, struct ch_err *err)
{
    bool za = a->kind == CH_OSV_INTRODUCED && is_zero(a->version);
    bool zb = b->kind == CH_OSV_INTRODUCED && is_zero(b->version);
    if (za || zb) {
        *ret = (int)zb - (int)za;
        return CH_OK;
    }
    return ch_version_cmp(s, a->version, b->version, ret, err);
}

int ch_osv_range_includes(const struct ch_osv_range *range, const struct ch_version_scheme *scheme,
                          struct ch_str v, bool *ret_included, struct ch_err *err)
{
    if (range->n_events > CH_RANGE_MAX_EVENTS)
        return ch_err_set(err, CH_E_LIMIT, "range has %zu events, more than %d", range->n_events,
                          CH_RANGE_MAX_EVENTS);
    if (range->type == CH_OSV_RANGE_GIT) {
        *ret_included = false;
        return CH_OK;
    }
    int rc = ch_version_validate(scheme, v, err);
    if (rc != CH_OK)
        return rc;
    bool below = false;
    if (!before_limits(range, scheme, v, &below, err))
        return err->rc;
    if (!below) {
        *ret_included = false;
        return CH_OK;
    }
    const struct ch_osv_event *best = NULL;
    for (size_t i = 0; i < range->n_events; i++) {
        const struct ch_osv_event *e = &range->events[i];
        if (e->kind == CH_OSV_LIMIT)
            continue;
        int c = 1;
        if (!(e->kind == CH_OSV_INTRODUCED && is_zero(e->version))) {
            rc = ch_version_cmp(scheme, v, e->version, &c, err);
            if (rc != CH_OK)
                return rc;
        }
        bool applies = e->kind == CH_OSV_LAST_AFFECTED ? c > 0 : c >= 0;
        if (!applies)
            continue;
        int order = 1;
        if (best != NULL) {
            rc = event_cmp(scheme, e, best, &order, err);
            if (rc != CH_OK)
                return rc;
        }
        if (order >= 0) /* later in the list wins a tie */
            best = e;
    }
    *ret_included = best != NULL && best->kind == CH_OSV_INTRODUCED;
    return CH_OK;
}

static bool listed(const struct ch_osv_affected *a, struct ch_str v)
{
    for (size_t i = 0; i < a->n_versions; i++) {
        if (ch_str_eq(a->versions[i], v))
            return true;
    }
    if (a->scheme == NULL)
        return false;
    struct ch_err ignored = CH_ERR_INIT;
    if (ch_version_validate(a->scheme, v, &ignored) != CH_OK)
        return false;
    for (size_t i = 0; i < a->n_versions; i++) {
        int c = 1;
        ch_err_clear(&ignored);
        /* A listed string that is not a version of the scheme can only match exactly. */
        if (ch_version_cmp(a->scheme, v, a->versions[i], &c, &ignored) == CH_OK && c == 0)
            return true;
    }
    return false;
}

int ch_osv_is_affected(const struct ch_osv_affected *affected, struct ch_str v, bool *ret_affected,
                       struct ch_err *err)
{
    if (affected->n_ranges > CH_RANGE_MAX_RANGES)
        return ch_err_set(err, CH_E_LIMIT, "affected entry has %zu ranges, more than %d",
                          affected->n_ranges, CH_RANGE_MAX_RANGES);
    if (affected->n_versions > CH_RANGE_MAX_VERSIONS)
        return ch_err_set(err, CH_E_LIMIT, "affected entry lists %zu versions, more than %d",
                          affected->n_versions, CH_RANGE_MAX_VERSIONS);
    if (listed(affected, v)) {
        *ret_affected = true;
        return CH_OK;
    }
    struct ch_err first = CH_ERR_INIT;
    for (size_t i = 0; i < affected->n_ranges; i++) {
        const struct ch_osv_range *r = &affected->ranges[i];
        const struct ch_version_scheme *s = affected->scheme;
        if (r->type == CH_OSV_RANGE_GIT)
            continue;
        struct ch_err e = CH_ERR_INIT;
        if (r->type == CH_OSV_RANGE_SEMVER) {
            s = &ch_version__semver;
        } else if (s == NULL) {
            ch_err_set(&first, CH_E_UNSUPPORTED,
                       "ECOSYSTEM range of an ecosystem without a known version order");
            continue;
        }
        bool in = false;
        if (ch_osv_range_includes(r, s, v, &in, &e) != CH_OK) {
            if (first.rc == CH_OK)
                ch_err_copy(&first, &e);
            continue;
        }
        if (in) {
            *ret_affected = true;
            return CH_OK;
        }
    }
    if (first.rc != CH_OK) {
        ch_err_copy(err, &first);
        return err->rc;
    }
    *ret_affected = false;
    return CH_OK;
}

/* ---- CVE JSON 5 ------------------------------------------------------------ */

const char *ch_cve_status_str(enum ch_cve_status s)
{
    switch (s) {
    case CH_CVE_AFFECTED:
        return "affected";
    case CH_CVE_UNAFFECTED:
        return "unaffected";
    default:
        return "unknown";
    }
}

int ch_cve_status_parse(struct ch_str s, enum ch_cve_status *ret, struct ch_err *err)
{
    static const struct {
        const char *word;
        enum ch_cve_status status;
    } words[] = {{"affected", CH_CVE_AFFECTED},
                 {"unaffected", CH_CVE_UNAFFECTED},
                 {"unknown", CH_CVE_UNKNOWN}};
    for (size_t i = 0; i < CH_ARRAY_SIZE(words); i++) {
        if (ch_str_eq_c(s, words[i].word)) {
            *ret = words[i].status;
            return CH_OK;
        }
    }
    return ch_err_set(err, CH_E_INVALID, "unknown CVE version status '%.*s'",
                      CH_STR_FMT(ch_str_sub(s, 0, 40)));
}

static bool present(struct ch_str s)
{
    return s.ptr != NULL;
}

/* v is in the series "P.*" names: v is P, or P followed by a non-alphanumeric character. */
static bool in_series(struct ch_str v, struct ch_str p)
{
    if (v.len < p.len || memcmp(v.ptr, p.ptr, p.len) != 0)
        return false;
    return v.len == p.len || !ch_version__alnum(v.ptr[p.len]);
}

/* v < bound for a lessThan that may be "*" or "P.*". */
static int below_less_than(const struct ch_version_scheme *s, struct ch_str v, struct ch_str bound,
                           bool *ret, struct ch_err *err)
{
    if (ch_str_eq_c(bound, "*")) {
        *ret = true;
        return CH_OK;
    }
    bool star_prefix = false;
    if (ch_str_ends_with(bound, ".*")) {
        star_prefix = true;
        struct ch_str p = ch_str_sub(bound, 0, bound.len - 2);
        if (in_series(v, p)) {
            *ret = true;
            return CH_OK;
        }
        bound = p;
    }
    int c = 0;
    int rc = ch_version_cmp(s, v, bound, &c, err);
    /* "2.*" in a scheme where "2" alone is no version (SemVer): pad with ".0". */
    char padded[CH_VERSION_MAX_LEN + 8];
    for (int pad = 0; rc == CH_E_INVALID && star_prefix && pad < 2; pad++) {
        struct ch_err retry = CH_ERR_INIT;
        if (bound.len + 2 > CH_VERSION_MAX_LEN)
            break;
        if (bound.ptr != padded)
            memcpy(padded, bound.ptr, bound.len);
        memcpy(padded + bound.len, ".0", 2);
        bound = ch_str_make(padded, bound.len + 2);
        rc = ch_version_cmp(s, v, bound, &c, &retry);
        if (rc == CH_OK)
            ch_err_clear(err);
    }
    if (rc == CH_OK)
        *ret = c < 0;
    return rc;
}

static int entry_scheme(const struct ch_cve_version *e, const struct ch_version_scheme *fallback,
                        const struct ch_version_scheme **ret, struct ch_err *err)
{
    struct ch_err ignored = CH_ERR_INIT;
    if (present(e->version_type) &&
        ch_version_scheme_by_name(e->version_type, ret, &ignored) == CH_OK)
        return CH_OK;
    if (fallback != NULL) {
        *ret = fallback;
        return CH_OK;
    }
    return ch_err_set(err, CH_E_UNSUPPORTED, "no version order for versionType '%.*s'",
                      CH_STR_FMT(ch_str_sub(e->version_type, 0, 40)));
}

static int range_matches(const struct ch_cve_version *e, const struct ch_version_scheme *s,
                         struct ch_str v, bool *ret, struct ch_err *err)
{
    int c = 0;
    int rc;
    if (!is_zero(e->version)) {
        rc = ch_version_cmp(s, e->version, v, &c, err);
        if (rc != CH_OK)
            return rc;
        if (c > 0) {
            *ret = false;
            return CH_OK;
        }
    }
    if (present(e->less_than))
        return below_less_than(s, v, e->less_than, ret, err);
    if (ch_str_eq_c(e->less_than_or_equal, "*")) {
        *ret = true;
        return CH_OK;
    }
    rc = ch_version_cmp(s, v, e->less_than_or_equal, &c, err);
    if (rc == CH_OK)
        *ret = c <= 0;
    return rc;
}

/* The status inside a matching range: the greatest change with at <= v, else entry.status. */
static int changed_status(const struct ch_cve_version *e, const struct ch_version_scheme *s,
                          struct ch_str v, enum ch_cve_status *ret, struct ch_err *err)
{
    if (e->n_changes > CH_RANGE_MAX_CHANGES)
        return ch_err_set(err, CH_E_LIMIT, "version entry has %zu changes, more than %d",
                          e->n_changes, CH_RANGE_MAX_CHANGES);
    const struct ch_cve_change *best = NULL;
    for (size_t i = 0; i < e->n_changes; i++) {
        const struct ch_cve_change *ch = &e->changes[i];
        int c = 0;
        int rc = ch_version_cmp(s, ch->at, v, &c, err);
        if (rc != CH_OK)
            return rc;
        if (c > 0)
            continue;
        if (best != NULL) {
            rc = ch_version_cmp(s, ch->at, best->at, &c, err);
            if (rc != CH_OK)
                return rc;
            if (c < 0)
                continue;
        }
        best = ch;
    }
    *ret = best != NULL ? best->status : e->status;
    return CH_OK;
}

static bool single_matches(const struct ch_cve_version *e, const struct ch_version_scheme *s,
                           struct ch_str v)
{
    if (ch_str_eq(e->version, v))
        return true;
    if (s == NULL)
        return false;
    struct ch_err ignored = CH_ERR_INIT;
    int c = 1;
    return ch_version_cmp(s, e->version, v, &c, &ignored) == CH_OK && c == 0;
}

int ch_cve_version_status(const struct ch_cve_product *product,
                          const struct ch_version_scheme *scheme, struct ch_str v,
                          enum ch_cve_status *ret_status, struct ch_err *err)
{
    if (product->n_versions > CH_RANGE_MAX_VERSIONS)
        return ch_err_set(err, CH_E_LIMIT, "product has %zu version entries, more than %d",
                          product->n_versions, CH_RANGE_MAX_VERSIONS);
    for (size_t i = 0; i < product->n_versions; i++) {
        const struct ch_cve_version *e = &product->versions[i];
        bool is_range = present(e->less_than) || present(e->less_than_or_equal);
        if (!is_range) {
            const struct ch_version_scheme *s = scheme;
            struct ch_err ignored = CH_ERR_INIT;
            if (present(e->version_type))
                CH_IGNORE(entry_scheme(e, scheme, &s, &ignored)); /* NULL: exact match only */
            if (single_matches(e, s, v)) {
                *ret_status = e->status;
                return CH_OK;
            }
            continue;
        }
        const struct ch_version_scheme *s = NULL;
        int rc = entry_scheme(e, scheme, &s, err);
        if (rc != CH_OK)
            return rc;
        bool in = false;
        rc = range_matches(e, s, v, &in, err);
        if (rc != CH_OK)
            return rc;
        if (in)
            return changed_status(e, s, v, ret_status, err);
    }
    *ret_status = product->default_status;
    return CH_OK;
}

const char *ch_osv_smallest_fix(const struct ch_osv_affected *affected, struct ch_str v)
{
    const struct ch_version_scheme *semver = NULL;
    struct ch_err err = CH_ERR_INIT;
    const char *best = NULL;
    for (size_t r = 0; r < affected->n_ranges; r++) {
        const struct ch_osv_range *rg = &affected->ranges[r];
        if (rg->type == CH_OSV_RANGE_GIT)
            continue;
        const struct ch_version_scheme *sch = affected->scheme;
        if (rg->type == CH_OSV_RANGE_SEMVER) {
            if (semver == NULL &&
                ch_version_scheme_by_name(ch_str_c("semver"), &semver, &err) != CH_OK)
                continue;
            sch = semver;
        }
        bool in = false;
        if (sch == NULL || ch_osv_range_includes(rg, sch, v, &in, &err) != CH_OK || !in)
            continue;
        for (size_t i = 0; i < rg->n_events; i++) {
            if (rg->events[i].kind != CH_OSV_FIXED)
                continue;
            int c = 0;
            if (ch_version_cmp(sch, rg->events[i].version, v, &c, &err) != CH_OK || c <= 0)
                continue;
            int c2 = -1;
            if (best != NULL &&
                ch_version_cmp(sch, rg->events[i].version, ch_str_c(best), &c2, &err) != CH_OK)
                continue;
            if (best == NULL || c2 < 0)
                best = rg->events[i].version.ptr;
        }
    }
    return best;
}
