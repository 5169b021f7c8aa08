/* SPDX-License-Identifier: Apache-2.0
 *
 * scan.c: findings and their renderings (see scan.h). Vulnerability details
 * are read once per distinct vulnerability, however many components share it.
 */
#include "match/scan.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/map.h"

#define SCAN_ARENA_MAX ((size_t)1 << 30)

struct vinfo {
    const char *id;
    const char **aliases;
    size_t n_aliases;
    double cvss;
    const char *severity;
    bool kev;
    int64_t kev_due;
    double epss;
    const char *summary;
};

int ch_severity_rank(const char *s)
{
    static const char *const names[] = {"none", "low", "medium", "high", "critical"};
    for (int i = 0; s != NULL && i < 5; i++) {
        if (strcmp(s, names[i]) == 0)
            return i;
    }
    return -1;
}

static const char *adup(struct ch_arena *a, struct ch_stmt *st, int col)
{
    return ch_stmt_is_null(st, col) ? NULL : ch_arena_strdup(a, ch_stmt_cstr(st, col));
}

static int load_vinfo(struct ch_store *s, struct ch_arena *a, int64_t vuln, struct vinfo *v,
                      struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT v.display_id,"
                           " (SELECT MAX(cvss_score) FROM advisories a WHERE a.vuln_id = v.id),"
                           " (SELECT COALESCE(summary, SUBSTR(details, 1, 200)) FROM advisories a"
                           "  WHERE a.vuln_id = v.id AND (a.summary IS NOT NULL OR a.details IS NOT NULL)"
                           "  ORDER BY a.source LIMIT 1),"
                           " (SELECT MIN(k.due_date) FROM kev k JOIN vuln_keys kk ON kk.key = k.cve"
                           "  WHERE kk.vuln_id = v.id),"
                           " (SELECT COUNT(*) FROM kev k JOIN vuln_keys kk ON kk.key = k.cve"
                           "  WHERE kk.vuln_id = v.id),"
                           " (SELECT MAX(e.epss) FROM epss e JOIN vuln_keys kk ON kk.key = e.cve"
                           "  WHERE kk.vuln_id = v.id)"
                           " FROM vulns v WHERE v.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        v->id = adup(a, st, 0);
        v->cvss = ch_stmt_is_null(st, 1) ? -1 : ch_stmt_double(st, 1);
        v->summary = adup(a, st, 2);
        v->kev = ch_stmt_int(st, 4) > 0;
        v->kev_due = v->kev && !ch_stmt_is_null(st, 3) ? ch_stmt_int(st, 3) : -1;
        v->epss = ch_stmt_is_null(st, 5) ? -1 : ch_stmt_double(st, 5);
        double c = v->cvss;
        v->severity = c < 0 ? NULL : c == 0 ? "none" : c < 4 ? "low" : c < 7 ? "medium"
                                   : c < 9 ? "high" : "critical";
        rc = CH_OK;
    } else if (rc == 0) {
        rc = ch_err_set(err, CH_E_NOTFOUND, "vulnerability %lld vanished", (long long)vuln);
    }
    ch_stmt_reset(st);
    if (rc != CH_OK)
        return rc;
    rc = ch_store_stmt(s, "SELECT key FROM vuln_keys WHERE vuln_id = ? ORDER BY key", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    size_t n = 0, cap = 0;
    const char **al = NULL;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        const char *k = ch_stmt_cstr(st, 0);
        if (v->id != NULL && strcmp(k, v->id) == 0)
            continue;
        if (n == cap) {
            size_t ncap = cap == 0 ? 8 : cap * 2;
            const char **nal = ch_arena_alloc(a, ncap * sizeof(*nal));
            if (nal == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                break;
            }
            if (n > 0)
                memcpy(nal, al, n * sizeof(*al));
            al = nal;
            cap = ncap;
        }
        al[n++] = ch_arena_strdup(a, k);
    }
    ch_stmt_reset(st);
    v->aliases = al;
    v->n_aliases = n;
    return rc < 0 ? rc : CH_OK;
}

static void free_nothing(void *p)
{
    (void)p; /* values live in the report's arena */
}

/* The largest of the fixes (each clears its advisory), or NULL if one advisory has none. */
static const char *combine_fix(const char *eco, const char *cur, const char *fix, bool *none)
{
    if (fix == NULL) {
        *none = true;
        return cur;
    }
    if (cur == NULL)
        return fix;
    int c = 0;
    struct ch_err err = CH_ERR_INIT;
    if (ch_match_version_cmp(eco, fix, cur, &c, &err) != CH_OK)
        return cur;
    return c > 0 ? fix : cur;
}

static int add_finding(struct ch_scan_report *r, size_t *cap, struct ch_scan_finding *f,
                       struct ch_err *err)
{
    if (r->n_findings == *cap) {
        size_t ncap = *cap == 0 ? 64 : *cap * 2;
        struct ch_scan_finding *nf = ch_reallocarray(r->findings, ncap, sizeof(*nf));
        if (nf == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        r->findings = nf;
        *cap = ncap;
    }
    r->findings[r->n_findings++] = *f;
    return CH_OK;
}

/* Groups one component's hits by vulnerability into findings. */
static int component_findings(struct ch_store *s, struct ch_scan_report *r, struct ch_map *vcache,
                              size_t ci, const struct ch_match_hit *hits, size_t n, size_t *cap,
                              struct ch_err *err)
{
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = hits[k].vuln_id == hits[i].vuln_id;
        if (seen)
            continue;
        char key[32];
        snprintf(key, sizeof(key), "%lld", (long long)hits[i].vuln_id);
        struct vinfo *v = ch_map_get(vcache, ch_str_c(key));
        if (v == NULL) {
            v = ch_arena_calloc(r->arena, 1, sizeof(*v));
            if (v == NULL)
                return ch_err_set(err, CH_E_NOMEM, "out of memory");
            int rc = load_vinfo(s, r->arena, hits[i].vuln_id, v, err);
            if (rc == CH_OK && ch_map_put(vcache, ch_str_c(key), v) != CH_OK)
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
            if (rc != CH_OK)
                return rc;
        }
        struct ch_scan_finding f = {
            .component = ci, .vuln_id = hits[i].vuln_id, .id = v->id, .aliases = v->aliases,
            .n_aliases = v->n_aliases, .cvss = v->cvss, .severity = v->severity, .kev = v->kev,
            .kev_due = v->kev_due, .epss = v->epss, .summary = v->summary,
        };
        size_t na = 0;
        for (size_t k = i; k < n; k++)
            na += hits[k].vuln_id == hits[i].vuln_id;
        f.advisories = ch_arena_calloc(r->arena, na, sizeof(*f.advisories));
        if (f.advisories == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        bool no_fix = false;
        for (size_t k = i; k < n; k++) {
            if (hits[k].vuln_id != hits[i].vuln_id)
                continue;
            f.advisories[f.n_advisories++] = hits[k].advisory;
            f.fixed = combine_fix(hits[k].ecosystem, f.fixed, hits[k].fixed, &no_fix);
        }
        if (no_fix)
            f.fixed = NULL;
        int rc = add_finding(r, cap, &f, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

int ch_scan_run(struct ch_store *s, const struct ch_match_index *ix,
                const struct ch_inventory *inv, struct ch_scan_report *ret, struct ch_err *err)
{
    struct ch_scan_report r = {.inv = inv};
    r.arena = ch_arena_new(SCAN_ARENA_MAX);
    struct ch_map *vcache = ch_map_new(0x7363616e, free_nothing);
    if (r.arena == NULL || vcache == NULL) {
        ch_arena_free(r.arena);
        ch_map_free(vcache);
        return ch_err_set(err, CH_E_NOMEM, "out of memory scanning");
    }
    size_t n = ch_inventory_count(inv);
    /* phase 1: match every component (in memory only) */
    struct ch_match_hit **hits = ch_calloc(n == 0 ? 1 : n, sizeof(*hits));
    size_t *counts = ch_calloc(n == 0 ? 1 : n, sizeof(*counts));
    int rc = hits == NULL || counts == NULL ? ch_err_set(err, CH_E_NOMEM, "out of memory") : CH_OK;
    int64_t t0 = ch_clock_mono_ns();
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        const struct ch_component *c = ch_inventory_get(inv, i);
        struct ch_match_component mc = {
            .ecosystem = c->ecosystem, .release = c->release, .name = c->name,
            .version = c->version, .source_name = c->source_name,
            .source_version = c->source_version,
        };
        rc = ch_match_component(ix, &mc, r.arena, &hits[i], &counts[i], &r.unreadable_versions,
                                err);
    }
    r.match_seconds = (double)(ch_clock_mono_ns() - t0) / 1e9;
    r.components = n;
    /* phase 2: details of each distinct vulnerability, once */
    size_t cap = 0;
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        if (counts[i] > 0)
            rc = component_findings(s, &r, vcache, i, hits[i], counts[i], &cap, err);
    }
    ch_free(hits);
    ch_free(counts);
    ch_map_free(vcache);
    if (rc != CH_OK) {
        ch_scan_report_release(&r);
        return rc;
    }
    *ret = r;
    return CH_OK;
}

void ch_scan_report_release(struct ch_scan_report *r)
{
    ch_free(r->findings);
    ch_arena_free(r->arena);
    memset(r, 0, sizeof(*r));
}

int ch_scan_format_parse(const char *s, enum ch_scan_format *ret)
{
    static const struct {
        const char *name;
        enum ch_scan_format f;
    } names[] = {{"table", CH_SCAN_TABLE},
                 {"json", CH_SCAN_JSON},
                 {"sarif", CH_SCAN_SARIF},
                 {"cyclonedx-vex", CH_SCAN_CYCLONEDX_VEX},
                 {"openvex", CH_SCAN_OPENVEX}};
    for (size_t i = 0; i < CH_ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *ret = names[i].f;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

/* A stable reference for a component: its purl, else ecosystem/name@version. */
static const char *component_ref(struct ch_arena *a, const struct ch_component *c)
{
    if (c->purl != NULL)
        return c->purl;
    return ch_arena_printf(a, "%s/%s@%s", c->ecosystem ? c->ecosystem : "unknown",
                           c->name ? c->name : "?", c->version ? c->version : "?");
}

static void render_table(const struct ch_scan_report *r, struct ch_buf *out)
{
    (void)ch_buf_appendf(out, "%-40s %-18s %-20s %-8s %-4s %-12s %-7s %s\n", "COMPONENT",
                         "VERSION", "VULNERABILITY", "SEVERITY", "CVSS", "KEV DUE", "EPSS",
                         "FIXED IN");
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct ch_scan_finding *f = &r->findings[i];
        const struct ch_component *c = ch_inventory_get(r->inv, f->component);
        char name[64], cvss[8] = "-", due[CH_TIME_STR_MAX] = "-", epss[16] = "-";
        snprintf(name, sizeof(name), "%s%s%s", c->ecosystem ? c->ecosystem : "", c->ecosystem ? ":" : "",
                 c->name ? c->name : "?");
        if (f->cvss >= 0)
            snprintf(cvss, sizeof(cvss), "%.1f", f->cvss);
        if (f->kev)
            snprintf(due, sizeof(due), "%s", f->kev_due >= 0 ? ch_time_format_date(f->kev_due, due)
                                                             : "yes");
        if (f->epss >= 0)
            snprintf(epss, sizeof(epss), "%.3f", f->epss);
        (void)ch_buf_appendf(out, "%-40.40s %-18.18s %-20s %-8s %-4s %-12s %-7s %s\n", name,
                             c->version ? c->version : "?", f->id ? f->id : "?",
                             f->severity ? f->severity : "-", cvss, due, epss,
                             f->fixed ? f->fixed : "no fix");
    }
    size_t affected = 0;
    for (size_t i = 0; i < r->n_findings; i++)
        affected += i == 0 || r->findings[i].component != r->findings[i - 1].component;
    (void)ch_buf_appendf(out, "%zu findings in %zu of %zu components\n", r->n_findings, affected,
                         r->components);
}

static void json_finding(struct ch_jw *w, const struct ch_scan_report *r,
                         const struct ch_scan_finding *f)
{
    const struct ch_component *c = ch_inventory_get(r->inv, f->component);
    ch_jw_obj_open(w);
    ch_jw_key(w, "component");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "ecosystem", c->ecosystem);
    ch_jw_kstr(w, "name", c->name);
    ch_jw_kstr(w, "version", c->version);
    ch_jw_kstr(w, "purl", c->purl);
    ch_jw_kstr(w, "file", c->file);
    ch_jw_kstr(w, "location", c->location);
    ch_jw_obj_close(w);
    ch_jw_kstr(w, "id", f->id);
    ch_jw_key(w, "aliases");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < f->n_aliases; i++)
        ch_jw_cstr(w, f->aliases[i]);
    ch_jw_arr_close(w);
    ch_jw_key(w, "advisories");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < f->n_advisories; i++)
        ch_jw_cstr(w, f->advisories[i]);
    ch_jw_arr_close(w);
    ch_jw_kstr(w, "summary", f->summary);
    ch_jw_kstr(w, "severity", f->severity);
    ch_jw_key(w, "cvss");
    if (f->cvss >= 0)
        ch_jw_double(w, f->cvss);
    else
        ch_jw_null(w);
    ch_jw_kbool(w, "kev", f->kev);
    ch_jw_ktime(w, "kev_due", f->kev_due);
    ch_jw_key(w, "epss");
    if (f->epss >= 0)
        ch_jw_double(w, f->epss);
    else
        ch_jw_null(w);
    ch_jw_kstr(w, "fixed", f->fixed);
    ch_jw_obj_close(w);
}

static void render_json(const struct ch_scan_report *r, struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "components", (int64_t)r->components);
    ch_jw_kint(w, "unreadable_versions", (int64_t)r->unreadable_versions);
    ch_jw_key(w, "findings");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < r->n_findings; i++)
        json_finding(w, r, &r->findings[i]);
    ch_jw_arr_close(w);
    ch_jw_key(w, "skipped");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < ch_inventory_n_skipped(r->inv); i++) {
        const struct ch_inventory_skip *s = ch_inventory_skipped(r->inv, i);
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "file", s->file);
        ch_jw_kstr(w, "location", s->location);
        ch_jw_kstr(w, "reason", s->reason);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
}

static const char *sarif_level(const char *sev)
{
    int r = ch_severity_rank(sev);
    return r >= 3 ? "error" : r == 2 ? "warning" : "note";
}

/* SARIF 2.1.0: one rule per vulnerability, one result per finding. */
static void render_sarif(const struct ch_scan_report *r, const char *version, struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    ch_jw_kstr(w, "version", "2.1.0");
    ch_jw_key(w, "runs");
    ch_jw_arr_open(w);
    ch_jw_obj_open(w);
    ch_jw_key(w, "tool");
    ch_jw_obj_open(w);
    ch_jw_key(w, "driver");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "name", "clearinghouse");
    ch_jw_kstr(w, "version", version);
    ch_jw_key(w, "rules");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct ch_scan_finding *f = &r->findings[i];
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = r->findings[k].vuln_id == f->vuln_id;
        if (dup)
            continue;
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "id", f->id);
        ch_jw_key(w, "shortDescription");
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "text", f->summary != NULL ? f->summary : f->id);
        ch_jw_obj_close(w);
        ch_jw_key(w, "properties");
        ch_jw_obj_open(w);
        if (f->cvss >= 0) {
            char sc[8];
            snprintf(sc, sizeof(sc), "%.1f", f->cvss);
            ch_jw_kstr(w, "security-severity", sc);
        }
        ch_jw_key(w, "tags");
        ch_jw_arr_open(w);
        ch_jw_cstr(w, "security");
        if (f->kev)
            ch_jw_cstr(w, "known-exploited");
        ch_jw_arr_close(w);
        ch_jw_obj_close(w);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_jw_obj_close(w);
    ch_jw_key(w, "results");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct ch_scan_finding *f = &r->findings[i];
        const struct ch_component *c = ch_inventory_get(r->inv, f->component);
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "ruleId", f->id);
        ch_jw_kstr(w, "level", sarif_level(f->severity));
        ch_jw_key(w, "message");
        ch_jw_obj_open(w);
        char msg[512];
        snprintf(msg, sizeof(msg), "%s %s is affected by %s%s%s", c->name ? c->name : "?",
                 c->version ? c->version : "?", f->id, f->fixed ? "; fixed in " : "; no fix",
                 f->fixed ? f->fixed : "");
        ch_jw_kstr(w, "text", msg);
        ch_jw_obj_close(w);
        if (c->file != NULL) {
            ch_jw_key(w, "locations");
            ch_jw_arr_open(w);
            ch_jw_obj_open(w);
            ch_jw_key(w, "physicalLocation");
            ch_jw_obj_open(w);
            ch_jw_key(w, "artifactLocation");
            ch_jw_obj_open(w);
            ch_jw_kstr(w, "uri", c->file);
            ch_jw_obj_close(w);
            ch_jw_obj_close(w);
            ch_jw_obj_close(w);
            ch_jw_arr_close(w);
        }
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
}

static const char *cdx_severity(const char *sev)
{
    return sev == NULL ? "unknown" : sev;
}

/* CycloneDX 1.5 VEX: the affected components and one vulnerability entry each. */
static void render_cdx(const struct ch_scan_report *r, int64_t now, const char *version,
                       struct ch_arena *a, struct ch_jw *w)
{
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof(rnd));
    rnd[6] = (unsigned char)((rnd[6] & 0x0f) | 0x40);
    rnd[8] = (unsigned char)((rnd[8] & 0x3f) | 0x80);
    char uuid[64];
    snprintf(uuid, sizeof(uuid),
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9],
             rnd[10], rnd[11], rnd[12], rnd[13], rnd[14], rnd[15]);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "bomFormat", "CycloneDX");
    ch_jw_kstr(w, "specVersion", "1.5");
    ch_jw_kstr(w, "serialNumber", uuid);
    ch_jw_kint(w, "version", 1);
    ch_jw_key(w, "metadata");
    ch_jw_obj_open(w);
    ch_jw_ktime(w, "timestamp", now);
    ch_jw_key(w, "tools");
    ch_jw_obj_open(w);
    ch_jw_key(w, "components");
    ch_jw_arr_open(w);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "type", "application");
    ch_jw_kstr(w, "name", "clearinghouse");
    ch_jw_kstr(w, "version", version);
    ch_jw_obj_close(w);
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_jw_obj_close(w);
    /* the same component may come from several inventories: one entry each, refs unique */
    struct ch_map *seen = ch_map_new(0x636478, free_nothing);
    if (seen == NULL) {
        w->failed = CH_E_NOMEM;
        return;
    }
    ch_jw_key(w, "components");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct ch_component *c = ch_inventory_get(r->inv, r->findings[i].component);
        const char *ref = component_ref(a, c);
        if (ref == NULL || ch_map_has(seen, ch_str_c(ref)))
            continue;
        if (ch_map_put(seen, ch_str_c(ref), NULL) != CH_OK) {
            w->failed = CH_E_NOMEM;
            break;
        }
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "type", "library");
        ch_jw_kstr(w, "bom-ref", component_ref(a, c));
        ch_jw_kstr(w, "name", c->name ? c->name : "unknown");
        if (c->version != NULL)
            ch_jw_kstr(w, "version", c->version);
        if (c->purl != NULL)
            ch_jw_kstr(w, "purl", c->purl);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_jw_key(w, "vulnerabilities");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct ch_scan_finding *f = &r->findings[i];
        const struct ch_component *c = ch_inventory_get(r->inv, f->component);
        const char *vref = ch_arena_printf(a, "%s/%s", f->id, component_ref(a, c));
        if (vref == NULL || ch_map_has(seen, ch_str_c(vref)))
            continue;
        if (ch_map_put(seen, ch_str_c(vref), NULL) != CH_OK) {
            w->failed = CH_E_NOMEM;
            break;
        }
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "bom-ref", vref);
        ch_jw_kstr(w, "id", f->id);
        if (f->n_aliases > 0) {
            ch_jw_key(w, "references");
            ch_jw_arr_open(w);
            for (size_t k = 0; k < f->n_aliases; k++) {
                ch_jw_obj_open(w);
                ch_jw_kstr(w, "id", f->aliases[k]);
                ch_jw_key(w, "source");
                ch_jw_obj_open(w);
                ch_jw_kstr(w, "name", strncmp(f->aliases[k], "CVE-", 4) == 0 ? "NVD" : "OSV");
                ch_jw_obj_close(w);
                ch_jw_obj_close(w);
            }
            ch_jw_arr_close(w);
        }
        if (f->cvss >= 0) {
            ch_jw_key(w, "ratings");
            ch_jw_arr_open(w);
            ch_jw_obj_open(w);
            ch_jw_kdouble(w, "score", f->cvss);
            ch_jw_kstr(w, "severity", cdx_severity(f->severity));
            ch_jw_kstr(w, "method", "other");
            ch_jw_obj_close(w);
            ch_jw_arr_close(w);
        }
        if (f->summary != NULL)
            ch_jw_kstr(w, "description", f->summary);
        if (f->fixed != NULL)
            ch_jw_kstr(w, "recommendation", ch_arena_printf(a, "Upgrade to %s or later", f->fixed));
        ch_jw_key(w, "analysis");
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "state", "exploitable");
        ch_jw_kstr(w, "detail", "the component's version is within the advisory's affected ranges");
        ch_jw_obj_close(w);
        ch_jw_key(w, "affects");
        ch_jw_arr_open(w);
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "ref", component_ref(a, c));
        ch_jw_obj_close(w);
        ch_jw_arr_close(w);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_map_free(seen);
}

/* OpenVEX 0.2.0: one "affected" statement per finding, with the fix as action. */
static void render_openvex(const struct ch_scan_report *r, int64_t now, const char *version,
                           struct ch_arena *a, struct ch_jw *w)
{
    unsigned char h[16];
    crypto_generichash(h, sizeof(h), (const unsigned char *)&now, sizeof(now), NULL, 0);
    char hex[33];
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    char ts[CH_TIME_STR_MAX];
    ch_time_format(now, ts);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "@context", "https://openvex.dev/ns/v0.2.0");
    ch_jw_kstr(w, "@id", ch_arena_printf(a, "https://openvex.dev/docs/clearinghouse/vex-%s", hex));
    ch_jw_kstr(w, "author", "clearinghouse");
    ch_jw_kstr(w, "role", "Document Creator");
    ch_jw_kstr(w, "timestamp", ts);
    ch_jw_kint(w, "version", 1);
    ch_jw_kstr(w, "tooling", ch_arena_printf(a, "clearinghouse %s", version));
    struct ch_map *seen = ch_map_new(0x766578, free_nothing);
    if (seen == NULL) {
        w->failed = CH_E_NOMEM;
        return;
    }
    ch_jw_key(w, "statements");
    ch_jw_arr_open(w);
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct ch_scan_finding *f = &r->findings[i];
        const struct ch_component *c = ch_inventory_get(r->inv, f->component);
        /* one statement per (vulnerability, product), however many inventories list it */
        const char *key = ch_arena_printf(a, "%s\x1f%s", f->id, component_ref(a, c));
        if (key == NULL || ch_map_has(seen, ch_str_c(key)))
            continue;
        if (ch_map_put(seen, ch_str_c(key), NULL) != CH_OK) {
            w->failed = CH_E_NOMEM;
            break;
        }
        ch_jw_obj_open(w);
        ch_jw_key(w, "vulnerability");
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "name", f->id);
        if (f->n_aliases > 0) {
            ch_jw_key(w, "aliases");
            ch_jw_arr_open(w);
            for (size_t k = 0; k < f->n_aliases; k++)
                ch_jw_cstr(w, f->aliases[k]);
            ch_jw_arr_close(w);
        }
        ch_jw_obj_close(w);
        ch_jw_key(w, "products");
        ch_jw_arr_open(w);
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "@id", component_ref(a, c));
        ch_jw_obj_close(w);
        ch_jw_arr_close(w);
        ch_jw_kstr(w, "status", "affected");
        ch_jw_kstr(w, "action_statement",
                   f->fixed != NULL ? ch_arena_printf(a, "Upgrade to version %s or later", f->fixed)
                                    : "No fixed version is known; mitigate or remove");
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_map_free(seen);
}

int ch_scan_render(const struct ch_scan_report *r, enum ch_scan_format f, int64_t now,
                   const char *tool_version, struct ch_buf *out, struct ch_err *err)
{
    if (f == CH_SCAN_TABLE) {
        render_table(r, out);
        return ch_buf_status(out, "report", err);
    }
    struct ch_jw w;
    ch_jw_init(&w, out, 1);
    struct ch_arena *a = ch_arena_new((size_t)256 << 20);
    if (a == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory rendering");
    switch (f) {
    case CH_SCAN_JSON: render_json(r, &w); break;
    case CH_SCAN_SARIF: render_sarif(r, tool_version, &w); break;
    case CH_SCAN_CYCLONEDX_VEX: render_cdx(r, now, tool_version, a, &w); break;
    case CH_SCAN_OPENVEX: render_openvex(r, now, tool_version, a, &w); break;
    case CH_SCAN_TABLE: break;
    }
    ch_arena_free(a);
    int rc = ch_jw_finish(&w, err);
    if (rc == CH_OK)
        (void)ch_buf_append_byte(out, '\n');
    return rc;
}
