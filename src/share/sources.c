/* SPDX-License-Identifier: Apache-2.0
 *
 * sources.c: the built-in collection sources (see sources.h). Each scan
 * first collects the keys of what changed since the watermark, then renders
 * object by object with cached statements, so no cursor stays open while the
 * index is written.
 */
#include "share/sources.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/buf.h"

/* external_references per vulnerability: every alias of real records fits. */
#define MAX_REFS 64
/* Bytes of one rendered body: descriptions of real records are a few kB. */
#define BODY_MAX ((size_t)4 << 20)
/* Changed keys one scan may collect: far above any real delta or full export. */
#define MAX_CHANGED ((size_t)50 << 20)

/* A growable list of int64 keys. */
struct idlist {
    int64_t *v;
    size_t n, cap;
};

static int idlist_push(struct idlist *l, int64_t id, struct ch_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 256 : l->cap * 2;
        if (cap > MAX_CHANGED)
            return ch_err_set(err, CH_E_LIMIT, "more than %zu changed objects", MAX_CHANGED);
        int64_t *v = ch_reallocarray(l->v, cap, sizeof(*v));
        if (v == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = id;
    return CH_OK;
}

static void idlist_release(struct idlist *l)
{
    ch_free(l->v);
    *l = (struct idlist){0};
}

/* Runs a query with `n_since` copies of since bound and collects column 0. */
static int collect_ids(struct ch_store *s, const char *sql, int n_since, int64_t since,
                       struct idlist *out, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, sql, &st, err);
    if (rc != CH_OK)
        return rc;
    for (int i = 1; i <= n_since; i++)
        ch_stmt_bind_int(st, i, since);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        rc = idlist_push(out, ch_stmt_int(st, 0), err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static void mark_seen(int64_t *mark, int64_t t)
{
    if (t > *mark)
        *mark = t;
}

/* ---- vulnerabilities ---- */

struct render {
    struct ch_buf body;
    struct ch_buf desc;
    struct ch_buf keys; /* NUL-separated aliases */
    struct ch_buf kev_action;
    char vuln_stix_id[CH_STIX_ID_MAX];
};

static void render_init(struct render *r)
{
    ch_buf_init(&r->body, BODY_MAX);
    ch_buf_init(&r->desc, BODY_MAX);
    ch_buf_init(&r->keys, BODY_MAX);
    ch_buf_init(&r->kev_action, (size_t)64 << 10);
}

static void render_release(struct render *r)
{
    ch_buf_release(&r->body);
    ch_buf_release(&r->desc);
    ch_buf_release(&r->keys);
    ch_buf_release(&r->kev_action);
}

static int severity_rank(const char *s)
{
    static const char *const names[] = {"none", "low", "medium", "high", "critical"};
    for (int i = 0; s != NULL && i < 5; i++) {
        if (strcmp(s, names[i]) == 0)
            return i;
    }
    return -1;
}

static void extref_for(const char *key, struct ch_stix_extref *ref, char *url, size_t url_size)
{
    if (strncmp(key, "CVE-", 4) == 0) {
        ref->source_name = "cve";
        snprintf(url, url_size, "https://www.cve.org/CVERecord?id=%s", key);
    } else if (strncmp(key, "GHSA-", 5) == 0) {
        ref->source_name = "github";
        snprintf(url, url_size, "https://github.com/advisories/%s", key);
    } else {
        ref->source_name = "osv";
        snprintf(url, url_size, "https://osv.dev/vulnerability/%s", key);
    }
    ref->external_id = key;
    ref->url = url;
}

struct vuln_facts {
    char display[256];
    int64_t created_s;
    int64_t published_min; /* -1 none */
    int64_t changed_max;   /* latest import of a record or KEV row */
    size_t n_records, n_withdrawn;
    char severity[16];
    double cvss;
    bool kev;
    int64_t kev_added, kev_due;
};

static int load_advisories(struct ch_store *s, int64_t vuln_id, struct render *r,
                           struct vuln_facts *f, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT summary, details, published, withdrawn, severity, cvss_score,"
                           " imported_at FROM advisories WHERE vuln_id = ?"
                           " ORDER BY CASE source WHEN 'cve5' THEN 0 WHEN 'osv' THEN 1 ELSE 2 END,"
                           " source_id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln_id);
    int best = -1;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        f->n_records++;
        const char *summary = ch_stmt_cstr(st, 0);
        const char *details = ch_stmt_cstr(st, 1);
        if (ch_buf_len(&r->desc) == 0) {
            const char *d = summary != NULL && summary[0] != '\0' ? summary : details;
            if (d != NULL)
                CH_IGNORE(ch_buf_append_c(&r->desc, d)); /* failure is checked below */
        }
        if (!ch_stmt_is_null(st, 2)) {
            int64_t p = ch_stmt_int(st, 2);
            if (f->published_min < 0 || p < f->published_min)
                f->published_min = p;
        }
        if (!ch_stmt_is_null(st, 3))
            f->n_withdrawn++;
        int rank = severity_rank(ch_stmt_cstr(st, 4));
        if (rank > best) {
            best = rank;
            snprintf(f->severity, sizeof(f->severity), "%s", ch_stmt_cstr(st, 4));
        }
        if (!ch_stmt_is_null(st, 5) && ch_stmt_double(st, 5) > f->cvss)
            f->cvss = ch_stmt_double(st, 5);
        mark_seen(&f->changed_max, ch_stmt_int(st, 6));
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    return ch_buf_status(&r->desc, "description", err);
}

static int load_keys(struct ch_store *s, int64_t vuln_id, struct render *r, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT key FROM vuln_keys WHERE vuln_id = ? ORDER BY key", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln_id);
    size_t n = 0;
    while ((rc = ch_stmt_step(st, err)) == 1 && n < MAX_REFS) {
        struct ch_str k = ch_stmt_text(st, 0);
        CH_IGNORE(ch_buf_append(&r->keys, k.ptr, k.len + 1)); /* with its NUL; checked below */
        n++;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    return ch_buf_status(&r->keys, "aliases", err);
}

static int load_kev(struct ch_store *s, int64_t vuln_id, struct render *r, struct vuln_facts *f,
                    struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT k.date_added, k.due_date, k.required_action, k.imported_at"
                           " FROM kev k JOIN vuln_keys vk ON vk.key = k.cve"
                           " WHERE vk.vuln_id = ? ORDER BY k.cve LIMIT 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln_id);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        f->kev = true;
        f->kev_added = ch_stmt_int(st, 0);
        f->kev_due = ch_stmt_is_null(st, 1) ? -1 : ch_stmt_int(st, 1);
        const char *a = ch_stmt_cstr(st, 2);
        if (a != NULL)
            CH_IGNORE(ch_buf_append_c(&r->kev_action, a)); /* checked below */
        mark_seen(&f->changed_max, ch_stmt_int(st, 3));
        rc = CH_OK;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    return ch_buf_status(&r->kev_action, "required action", err);
}

static int load_vuln(struct ch_store *s, int64_t vuln_id, struct render *r, struct vuln_facts *f,
                     struct ch_err *err)
{
    *f = (struct vuln_facts){.published_min = -1, .cvss = -1, .kev_due = -1};
    ch_buf_reset(&r->desc);
    ch_buf_reset(&r->keys);
    ch_buf_reset(&r->kev_action);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT display_id, created_at FROM vulns WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln_id);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        snprintf(f->display, sizeof(f->display), "%s", ch_stmt_cstr(st, 0));
        f->created_s = ch_stmt_int(st, 1);
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no vulnerability %lld", (long long)vuln_id);
    rc = load_advisories(s, vuln_id, r, f, err);
    if (rc == CH_OK)
        rc = load_keys(s, vuln_id, r, err);
    if (rc == CH_OK)
        rc = load_kev(s, vuln_id, r, f, err);
    return rc;
}

/* Emits the vulnerability object from loaded facts. */
static int emit_vuln(struct render *r, const struct vuln_facts *f, int64_t scope,
                     ch_share_emit_fn emit, void *ectx, struct ch_err *err)
{
    char name[300];
    snprintf(name, sizeof(name), "vuln:%s", f->display);
    int rc = ch_stix_id("vulnerability", name, r->vuln_stix_id, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stix_extref refs[MAX_REFS];
    char urls[MAX_REFS][320];
    size_t n_refs = 0;
    const char *k = ch_buf_cstr(&r->keys);
    const char *end = k + ch_buf_len(&r->keys);
    while (k < end && n_refs < MAX_REFS) {
        extref_for(k, &refs[n_refs], urls[n_refs], sizeof(urls[0]));
        n_refs++;
        k += strlen(k) + 1;
    }
    struct ch_stix_vulnerability v = {
        .name = f->display,
        .description = ch_buf_len(&r->desc) > 0 ? ch_buf_cstr(&r->desc) : NULL,
        .refs = refs,
        .n_refs = n_refs,
        .revoked = f->n_records > 0 && f->n_withdrawn == f->n_records,
        .severity = f->severity[0] != '\0' ? f->severity : NULL,
        .cvss_score = f->cvss,
        .kev = f->kev,
        .kev_added = f->kev_added,
        .kev_due = f->kev_due,
        .kev_action = ch_buf_len(&r->kev_action) > 0 ? ch_buf_cstr(&r->kev_action) : NULL,
        .tlp = CH_TLP_CLEAR,
    };
    rc = ch_stix_body_vulnerability(&r->body, &v, err);
    if (rc != CH_OK)
        return rc;
    int64_t created = (f->published_min >= 0 ? f->published_min : f->created_s) * 1000;
    int64_t modified = f->changed_max * 1000;
    struct ch_share_obj o = {
        .stix_id = r->vuln_stix_id,
        .type = "vulnerability",
        .created_ms = created,
        .modified_ms = modified > created ? modified : created,
        .scope_org = scope,
        .level = CH_CLEAR_UNCLASSIFIED,
        .body = ch_buf_cstr(&r->body),
        .body_len = ch_buf_len(&r->body),
    };
    return emit(ectx, &o, err);
}

/* Software observables and `has` relationships for a vulnerability's affected packages. */
static int emit_software(struct ch_store *s, int64_t vuln_id, struct render *r, int64_t created_ms,
                         ch_share_emit_fn emit, void *ectx, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT DISTINCT COALESCE(a.name, a.product, ''), a.ecosystem, a.vendor,"
                           " a.purl, COALESCE(a.ecosystem, ''), COALESCE(a.vendor, ''),"
                           " COALESCE(a.purl, '') FROM affected a"
                           " JOIN advisories ad ON ad.id = a.advisory_id"
                           " WHERE ad.vuln_id = ? AND COALESCE(a.name, a.product, '') <> ''"
                           " ORDER BY 1, 5, 6, 7 LIMIT ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln_id);
    ch_stmt_bind_int(st, 2, CH_SHARE_MAX_AFFECTED);
    /* copy the rows out first: emitting writes the index */
    struct ch_buf rows;
    ch_buf_init(&rows, BODY_MAX);
    size_t n = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        for (int c = 0; c < 4; c++) {
            const char *v = ch_stmt_cstr(st, c);
            CH_IGNORE(ch_buf_append_byte(&rows, v != NULL ? '+' : '-')); /* checked below */
            CH_IGNORE(ch_buf_append(&rows, v != NULL ? v : "", (v != NULL ? strlen(v) : 0) + 1));
        }
        n++;
    }
    ch_stmt_reset(st);
    if (rc == 0)
        rc = ch_buf_status(&rows, "affected packages", err);
    const char *p = ch_buf_cstr(&rows);
    struct ch_buf rel;
    ch_buf_init(&rel, BODY_MAX);
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        const char *col[4];
        for (int c = 0; c < 4; c++) {
            col[c] = p[0] == '+' ? p + 1 : NULL;
            p += 1 + strlen(p + 1) + 1;
        }
        /* vendor: CVE's vendor, else the ecosystem that publishes the package */
        struct ch_stix_software sw = {.name = col[0],
                                      .vendor = col[2] != NULL ? col[2] : col[1],
                                      .purl = col[3],
                                      .tlp = CH_TLP_CLEAR};
        char sw_id[CH_STIX_ID_MAX];
        rc = ch_stix_body_software(&r->body, &sw, sw_id, err);
        if (rc != CH_OK)
            break;
        struct ch_share_obj o = {.stix_id = sw_id,
                                 .type = "software",
                                 .created_ms = -1,
                                 .modified_ms = -1,
                                 .body = ch_buf_cstr(&r->body),
                                 .body_len = ch_buf_len(&r->body)};
        rc = emit(ectx, &o, err);
        if (rc != CH_OK)
            break;
        char rel_name[CH_STIX_ID_MAX * 2 + 8];
        char rel_id[CH_STIX_ID_MAX];
        snprintf(rel_name, sizeof(rel_name), "has|%s|%s", sw_id, r->vuln_stix_id);
        rc = ch_stix_id("relationship", rel_name, rel_id, err);
        if (rc != CH_OK)
            break;
        struct ch_stix_relationship rs = {.relationship_type = "has",
                                          .source_ref = sw_id,
                                          .target_ref = r->vuln_stix_id,
                                          .tlp = CH_TLP_CLEAR};
        rc = ch_stix_body_relationship(&rel, &rs, err);
        if (rc != CH_OK)
            break;
        struct ch_share_obj ro = {.stix_id = rel_id,
                                  .type = "relationship",
                                  .created_ms = created_ms,
                                  .modified_ms = created_ms,
                                  .body = ch_buf_cstr(&rel),
                                  .body_len = ch_buf_len(&rel)};
        rc = emit(ectx, &ro, err);
    }
    ch_buf_release(&rel);
    ch_buf_release(&rows);
    return rc < 0 ? rc : CH_OK;
}

static int render_vuln_full(struct ch_store *s, int64_t vuln_id, bool software, int64_t scope,
                            struct render *r, ch_share_emit_fn emit, void *ectx, int64_t *mark,
                            struct ch_err *err)
{
    struct vuln_facts f;
    int rc = load_vuln(s, vuln_id, r, &f, err);
    if (rc == CH_E_NOTFOUND)
        return CH_OK; /* merged away since it was listed */
    if (rc == CH_OK)
        rc = emit_vuln(r, &f, scope, emit, ectx, err);
    if (rc == CH_OK && software) {
        int64_t created = (f.published_min >= 0 ? f.published_min : f.created_s) * 1000;
        rc = emit_software(s, vuln_id, r, created, emit, ectx, err);
    }
    if (mark != NULL)
        mark_seen(mark, f.changed_max);
    return rc;
}

static int scan_vulns(const struct ch_share_source *src, struct ch_store *s, int64_t since,
                      ch_share_emit_fn emit, void *ectx, int64_t *ret_mark, struct ch_err *err)
{
    (void)src;
    struct idlist ids = {0};
    int rc = collect_ids(s,
                         "SELECT vuln_id FROM advisories WHERE imported_at >= ?"
                         " UNION SELECT vk.vuln_id FROM kev k JOIN vuln_keys vk ON vk.key = k.cve"
                         " WHERE k.imported_at >= ? ORDER BY 1",
                         2, since, &ids, err);
    struct render r;
    render_init(&r);
    int64_t mark = since;
    for (size_t i = 0; rc == CH_OK && i < ids.n; i++)
        rc = render_vuln_full(s, ids.v[i], true, 0, &r, emit, ectx, &mark, err);
    render_release(&r);
    idlist_release(&ids);
    if (rc == CH_OK)
        *ret_mark = mark;
    return rc;
}

/* KEV entries whose CVE is not in the knowledge base: a minimal vulnerability. */
static int scan_kev_only(struct ch_store *s, int64_t since, struct render *r, ch_share_emit_fn emit,
                         void *ectx, int64_t *mark, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT cve, COALESCE(name, ''), COALESCE(description, ''), date_added,"
                           " due_date, required_action, imported_at FROM kev k"
                           " WHERE imported_at >= ? AND NOT EXISTS"
                           " (SELECT 1 FROM vuln_keys vk WHERE vk.key = k.cve) ORDER BY cve",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, since);
    /* one row at a time is safe: emitting touches only share_objects */
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct vuln_facts f = {.published_min = -1, .cvss = -1, .kev = true};
        snprintf(f.display, sizeof(f.display), "%s", ch_stmt_cstr(st, 0));
        ch_buf_reset(&r->desc);
        ch_buf_reset(&r->keys);
        ch_buf_reset(&r->kev_action);
        const char *name = ch_stmt_cstr(st, 1);
        const char *desc = ch_stmt_cstr(st, 2);
        CH_IGNORE(ch_buf_append_c(&r->desc, desc[0] != '\0' ? desc : name)); /* checked below */
        CH_IGNORE(ch_buf_append(&r->keys, f.display, strlen(f.display) + 1));
        f.kev_added = ch_stmt_int(st, 3);
        f.created_s = f.kev_added;
        f.kev_due = ch_stmt_is_null(st, 4) ? -1 : ch_stmt_int(st, 4);
        if (ch_stmt_cstr(st, 5) != NULL)
            CH_IGNORE(ch_buf_append_c(&r->kev_action, ch_stmt_cstr(st, 5)));
        f.changed_max = ch_stmt_int(st, 6);
        mark_seen(mark, f.changed_max);
        rc = ch_buf_status(&r->desc, "description", err);
        if (rc == CH_OK)
            rc = emit_vuln(r, &f, 0, emit, ectx, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static int scan_kev(const struct ch_share_source *src, struct ch_store *s, int64_t since,
                    ch_share_emit_fn emit, void *ectx, int64_t *ret_mark, struct ch_err *err)
{
    (void)src;
    struct idlist ids = {0};
    int rc = collect_ids(s,
                         "SELECT DISTINCT vk.vuln_id FROM kev k JOIN vuln_keys vk ON vk.key = k.cve"
                         " WHERE k.imported_at >= ? OR EXISTS (SELECT 1 FROM advisories a"
                         " WHERE a.vuln_id = vk.vuln_id AND a.imported_at >= ?) ORDER BY 1",
                         2, since, &ids, err);
    struct render r;
    render_init(&r);
    int64_t mark = since;
    for (size_t i = 0; rc == CH_OK && i < ids.n; i++)
        rc = render_vuln_full(s, ids.v[i], false, 0, &r, emit, ectx, &mark, err);
    if (rc == CH_OK)
        rc = scan_kev_only(s, since, &r, emit, ectx, &mark, err);
    render_release(&r);
    idlist_release(&ids);
    if (rc == CH_OK)
        *ret_mark = mark;
    return rc;
}

/* ---- notices ---- */

struct notice_row {
    int64_t id, org_id, vuln_id, created_at, due_at;
    char vuln[256];
    char slug[64];
    struct ch_buf org_name, reasons, body;
    int64_t org_created;
};

static int load_notice(struct ch_store *s, int64_t id, struct notice_row *n, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT n.org_id, n.vuln_id, n.vuln, n.created_at, n.reasons, n.due_at,"
                           " n.body, o.slug, o.name, o.created_at FROM notices n"
                           " JOIN orgs o ON o.id = n.org_id WHERE n.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_buf_reset(&n->org_name);
    ch_buf_reset(&n->reasons);
    ch_buf_reset(&n->body);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        n->id = id;
        n->org_id = ch_stmt_int(st, 0);
        n->vuln_id = ch_stmt_int(st, 1);
        snprintf(n->vuln, sizeof(n->vuln), "%s", ch_stmt_cstr(st, 2));
        n->created_at = ch_stmt_int(st, 3);
        CH_IGNORE(ch_buf_append_str(&n->reasons, ch_stmt_text(st, 4))); /* checked below */
        n->due_at = ch_stmt_is_null(st, 5) ? -1 : ch_stmt_int(st, 5);
        CH_IGNORE(ch_buf_append_str(&n->body, ch_stmt_text(st, 6)));
        snprintf(n->slug, sizeof(n->slug), "%s", ch_stmt_cstr(st, 7));
        CH_IGNORE(ch_buf_append_str(&n->org_name, ch_stmt_text(st, 8)));
        n->org_created = ch_stmt_int(st, 9);
        rc = CH_OK;
    } else if (rc == 0) {
        rc = ch_err_set(err, CH_E_NOTFOUND, "no notice %lld", (long long)id);
    }
    ch_stmt_reset(st);
    if (rc == CH_OK)
        rc = ch_buf_status(&n->body, "notice", err);
    return rc;
}

static int emit_org_identity(const struct notice_row *n, struct ch_buf *b,
                             char ret_id[CH_STIX_ID_MAX], ch_share_emit_fn emit, void *ectx,
                             struct ch_err *err)
{
    char name[96];
    snprintf(name, sizeof(name), "org:%s", n->slug);
    int rc = ch_stix_id("identity", name, ret_id, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stix_identity id = {.name = ch_buf_cstr(&n->org_name),
                                  .identity_class = "organization",
                                  .tlp = CH_TLP_AMBER_STRICT};
    rc = ch_stix_body_identity(b, &id, err);
    if (rc != CH_OK)
        return rc;
    struct ch_share_obj o = {.stix_id = ret_id,
                             .type = "identity",
                             .created_ms = n->org_created * 1000,
                             .modified_ms = n->org_created * 1000,
                             .scope_org = n->org_id,
                             .body = ch_buf_cstr(b),
                             .body_len = ch_buf_len(b)};
    return emit(ectx, &o, err);
}

/* The notice body is another module's JSON: embedded as an object only when it parses. */
static int notice_extra(const struct notice_row *n, struct ch_buf *out, struct ch_err *err)
{
    ch_buf_reset(out);
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "x_clearinghouse_notice");
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "id", n->id);
    ch_jw_kstr(&w, "reasons", ch_buf_cstr(&n->reasons));
    if (n->due_at >= 0) {
        char t[CH_STIX_TIME_MAX];
        ch_jw_kstr(&w, "due", ch_stix_time(n->due_at * 1000, t));
    }
    cJSON *body = NULL;
    struct ch_err perr = CH_ERR_INIT;
    ch_jw_key(&w, "details");
    if (ch_json_parse(ch_buf_cstr(&n->body), ch_buf_len(&n->body), NULL, "notice", &body, &perr) ==
        CH_OK) {
        ch_jw_cjson(&w, body);
        cJSON_Delete(body);
    } else {
        ch_jw_cstr(&w, ch_buf_cstr(&n->body));
    }
    ch_jw_obj_close(&w);
    ch_jw_obj_close(&w);
    int rc = ch_jw_finish(&w, err);
    if (rc != CH_OK)
        return rc;
    /* members only */
    char *p = (char *)ch_buf_cstr(out);
    size_t len = ch_buf_len(out);
    memmove(p, p + 1, len - 2);
    ch_buf_truncate(out, len - 2);
    return CH_OK;
}

static int render_notice(struct ch_store *s, struct notice_row *n, struct render *r,
                         struct ch_buf *extra, ch_share_emit_fn emit, void *ectx,
                         struct ch_err *err)
{
    char org_id[CH_STIX_ID_MAX];
    int rc = emit_org_identity(n, &r->body, org_id, emit, ectx, err);
    if (rc != CH_OK)
        return rc;
    struct vuln_facts f;
    rc = load_vuln(s, n->vuln_id, r, &f, err);
    if (rc == CH_E_NOTFOUND) {
        /* the vulnerability was merged or is unknown: a minimal object by name */
        f = (struct vuln_facts){.published_min = -1,
                                .cvss = -1,
                                .kev_due = -1,
                                .created_s = n->created_at,
                                .changed_max = n->created_at};
        snprintf(f.display, sizeof(f.display), "%s", n->vuln);
        ch_buf_reset(&r->desc);
        ch_buf_reset(&r->keys);
        ch_buf_reset(&r->kev_action);
        rc = CH_OK;
    }
    if (rc == CH_OK)
        rc = emit_vuln(r, &f, n->org_id, emit, ectx, err);
    if (rc == CH_OK)
        rc = notice_extra(n, extra, err);
    if (rc != CH_OK)
        return rc;
    char report_name[64], report_id[CH_STIX_ID_MAX];
    snprintf(report_name, sizeof(report_name), "notice:%lld", (long long)n->id);
    rc = ch_stix_id("report", report_name, report_id, err);
    if (rc != CH_OK)
        return rc;
    char title[400], desc[400];
    snprintf(title, sizeof(title), "Notice: %s affects %s", n->vuln, n->slug);
    snprintf(desc, sizeof(desc), "Patch-distribution notice (%s) for organisation %s.",
             ch_buf_cstr(&n->reasons), n->slug);
    const char *refs[] = {r->vuln_stix_id, org_id};
    struct ch_stix_report rep = {.name = title,
                                 .description = desc,
                                 .published_ms = n->created_at * 1000,
                                 .object_refs = refs,
                                 .n_object_refs = 2,
                                 .extra_json = ch_buf_cstr(extra),
                                 .tlp = CH_TLP_AMBER_STRICT};
    rc = ch_stix_body_report(&r->body, &rep, err);
    if (rc != CH_OK)
        return rc;
    struct ch_share_obj o = {.stix_id = report_id,
                             .type = "report",
                             .created_ms = n->created_at * 1000,
                             .modified_ms = n->created_at * 1000,
                             .scope_org = n->org_id,
                             .body = ch_buf_cstr(&r->body),
                             .body_len = ch_buf_len(&r->body)};
    return emit(ectx, &o, err);
}

static int scan_notices(const struct ch_share_source *src, struct ch_store *s, int64_t since,
                        ch_share_emit_fn emit, void *ectx, int64_t *ret_mark, struct ch_err *err)
{
    (void)src;
    struct idlist ids = {0};
    int rc = collect_ids(s, "SELECT id FROM notices WHERE created_at >= ? ORDER BY id", 1, since,
                         &ids, err);
    struct render r;
    render_init(&r);
    struct notice_row n = {0};
    ch_buf_init(&n.org_name, (size_t)64 << 10);
    ch_buf_init(&n.reasons, (size_t)64 << 10);
    ch_buf_init(&n.body, BODY_MAX);
    struct ch_buf extra;
    ch_buf_init(&extra, BODY_MAX);
    int64_t mark = since;
    for (size_t i = 0; rc == CH_OK && i < ids.n; i++) {
        rc = load_notice(s, ids.v[i], &n, err);
        if (rc == CH_OK) {
            mark_seen(&mark, n.created_at);
            rc = render_notice(s, &n, &r, &extra, emit, ectx, err);
        }
    }
    ch_buf_release(&extra);
    ch_buf_release(&n.org_name);
    ch_buf_release(&n.reasons);
    ch_buf_release(&n.body);
    render_release(&r);
    idlist_release(&ids);
    if (rc == CH_OK)
        *ret_mark = mark;
    return rc;
}

/* ---- indicators ---- */

struct incident_row {
    int64_t id, org_id, observed_at, released_at;
    char source[1100];
    enum ch_clearance level;
    enum ch_tlp tlp;
};

static int load_incident(struct ch_store *s, int64_t id, struct incident_row *ir, bool *ret_ok,
                         struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT i.org_id, i.source, i.observed_at, i.classification, r.tlp,"
                           " r.released_at FROM share_incident_releases r"
                           " JOIN coord_incidents i ON i.id = r.incident_id WHERE i.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    *ret_ok = false;
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        struct ch_err perr = CH_ERR_INIT;
        ir->id = id;
        ir->org_id = ch_stmt_int(st, 0);
        snprintf(ir->source, sizeof(ir->source), "%s", ch_stmt_cstr(st, 1));
        ir->observed_at = ch_stmt_int(st, 2);
        /* an unknown classification is treated as the highest, never as the lowest */
        if (ch_clearance_parse(ch_stmt_cstr(st, 3), &ir->level) != CH_OK)
            ir->level = CH_CLEAR_TOP_SECRET;
        *ret_ok =
            ch_tlp_parse(ch_stmt_cstr(st, 4), &ir->tlp, &perr) == CH_OK && ir->tlp != CH_TLP_RED;
        ir->released_at = ch_stmt_int(st, 5);
        rc = CH_OK;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static int emit_body(ch_share_emit_fn emit, void *ectx, const struct incident_row *ir,
                     const char *id, const char *type, int64_t ts_ms, const struct ch_buf *b,
                     struct ch_err *err)
{
    struct ch_share_obj o = {.stix_id = id,
                             .type = type,
                             .created_ms = ts_ms,
                             .modified_ms = ts_ms,
                             .scope_org = ir->tlp == CH_TLP_AMBER_STRICT ? ir->org_id : 0,
                             .level = ir->level,
                             .body = ch_buf_cstr(b),
                             .body_len = ch_buf_len(b)};
    return emit(ectx, &o, err);
}

static int render_incident(const struct incident_row *ir, struct ch_buf *b, struct ch_buf *pattern,
                           ch_share_emit_fn emit, void *ectx, struct ch_err *err)
{
    enum ch_stix_source_kind kind;
    struct ch_str value;
    struct ch_err cerr = CH_ERR_INIT;
    if (ch_stix_source_classify(ch_str_c(ir->source), &kind, &value, &cerr) != CH_OK)
        return CH_OK; /* "-" (any source) names no one: nothing to share */
    int rc = ch_stix_source_pattern(kind, value, pattern, err);
    if (rc != CH_OK)
        return rc;
    char name[64], ind_id[CH_STIX_ID_MAX], title[200];
    int64_t ts = ir->released_at * 1000;
    snprintf(name, sizeof(name), "incident-indicator:%lld", (long long)ir->id);
    rc = ch_stix_id("indicator", name, ind_id, err);
    if (rc != CH_OK)
        return rc;
    snprintf(title, sizeof(title), "Unauthorised scanning from %.*s",
             CH_STR_FMT(ch_str_sub(value, 0, value.len > 120 ? 120 : value.len)));
    struct ch_stix_indicator ind = {.name = title,
                                    .description = "Scanning of a protected target that its "
                                                   "operator reported to the clearinghouse as "
                                                   "not covered by any authorised lease.",
                                    .pattern = ch_buf_cstr(pattern),
                                    .valid_from_ms = ir->observed_at * 1000,
                                    .tlp = ir->tlp};
    rc = ch_stix_body_indicator(b, &ind, err);
    if (rc == CH_OK)
        rc = emit_body(emit, ectx, ir, ind_id, "indicator", ts, b, err);
    if (rc != CH_OK || kind == CH_STIX_SRC_USER_AGENT)
        return rc;
    char addr_id[CH_STIX_ID_MAX], od_id[CH_STIX_ID_MAX], rel_id[CH_STIX_ID_MAX];
    rc = ch_stix_body_address(b, kind, value, ir->tlp, addr_id, err);
    if (rc != CH_OK)
        return rc;
    struct ch_share_obj ao = {.stix_id = addr_id,
                              .type = kind == CH_STIX_SRC_IPV4 ? "ipv4-addr" : "ipv6-addr",
                              .created_ms = -1,
                              .modified_ms = -1,
                              .scope_org = ir->tlp == CH_TLP_AMBER_STRICT ? ir->org_id : 0,
                              .level = ir->level,
                              .body = ch_buf_cstr(b),
                              .body_len = ch_buf_len(b)};
    rc = emit(ectx, &ao, err);
    snprintf(name, sizeof(name), "incident-observed:%lld", (long long)ir->id);
    if (rc == CH_OK)
        rc = ch_stix_id("observed-data", name, od_id, err);
    const char *refs[] = {addr_id};
    struct ch_stix_observed_data od = {.first_observed_ms = ir->observed_at * 1000,
                                       .last_observed_ms = ir->observed_at * 1000,
                                       .number_observed = 1,
                                       .object_refs = refs,
                                       .n_object_refs = 1,
                                       .tlp = ir->tlp};
    if (rc == CH_OK)
        rc = ch_stix_body_observed_data(b, &od, err);
    if (rc == CH_OK)
        rc = emit_body(emit, ectx, ir, od_id, "observed-data", ts, b, err);
    snprintf(name, sizeof(name), "incident-based-on:%lld", (long long)ir->id);
    if (rc == CH_OK)
        rc = ch_stix_id("relationship", name, rel_id, err);
    struct ch_stix_relationship rs = {
        .relationship_type = "based-on", .source_ref = ind_id, .target_ref = od_id, .tlp = ir->tlp};
    if (rc == CH_OK)
        rc = ch_stix_body_relationship(b, &rs, err);
    if (rc == CH_OK)
        rc = emit_body(emit, ectx, ir, rel_id, "relationship", ts, b, err);
    return rc;
}

static int scan_indicators(const struct ch_share_source *src, struct ch_store *s, int64_t since,
                           ch_share_emit_fn emit, void *ectx, int64_t *ret_mark, struct ch_err *err)
{
    (void)src;
    struct idlist ids = {0};
    int rc = collect_ids(s,
                         "SELECT incident_id FROM share_incident_releases WHERE released_at >= ?"
                         " ORDER BY incident_id",
                         1, since, &ids, err);
    struct ch_buf b, pattern;
    ch_buf_init(&b, BODY_MAX);
    ch_buf_init(&pattern, (size_t)64 << 10);
    int64_t mark = since;
    for (size_t i = 0; rc == CH_OK && i < ids.n; i++) {
        struct incident_row ir;
        bool ok = false;
        rc = load_incident(s, ids.v[i], &ir, &ok, err);
        if (rc == CH_OK && ok) {
            mark_seen(&mark, ir.released_at);
            rc = render_incident(&ir, &b, &pattern, emit, ectx, err);
        }
    }
    ch_buf_release(&pattern);
    ch_buf_release(&b);
    idlist_release(&ids);
    if (rc == CH_OK)
        *ret_mark = mark;
    return rc;
}

static const struct ch_share_source src_vulns = {"vulnerabilities", "vulnerabilities", scan_vulns,
                                                 NULL};
static const struct ch_share_source src_kev = {"kev", "kev", scan_kev, NULL};
static const struct ch_share_source src_notices = {"notices", "notices", scan_notices, NULL};
static const struct ch_share_source src_indicators = {"indicators", "indicators", scan_indicators,
                                                      NULL};

const struct ch_share_source *const *ch_share_builtin_sources(size_t *ret_n)
{
    static const struct ch_share_source *const all[] = {&src_vulns, &src_kev, &src_notices,
                                                        &src_indicators};
    *ret_n = CH_ARRAY_SIZE(all);
    return all;
}

/* ---- releasing incidents ---- */

int ch_share_incident_release(struct ch_store *s, int64_t incident_id, enum ch_tlp tlp,
                              int64_t actor_org, bool wide, const char *actor, int64_t now,
                              struct ch_err *err)
{
    if (tlp == CH_TLP_RED)
        return ch_err_set(err, CH_E_INVALID, "TLP:RED information is not shared");
    if ((unsigned)tlp >= CH_TLP_COUNT)
        return ch_err_set(err, CH_E_INVALID, "unknown TLP level");
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    int64_t org = -1;
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)incident_id);
    rc = ch_store_query_int(s, "SELECT org_id FROM coord_incidents WHERE id = CAST(? AS BIGINT)",
                            idtext, -1, &org, err);
    if (rc == CH_OK && (org < 0 || (!wide && org != actor_org)))
        rc = ch_err_set(err, CH_E_NOTFOUND, "no incident %lld", (long long)incident_id);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO share_incident_releases (incident_id, tlp, released_at,"
                           " released_by) VALUES (?, ?, ?, ?) ON CONFLICT (incident_id) DO UPDATE"
                           " SET tlp = excluded.tlp, released_at = excluded.released_at,"
                           " released_by = excluded.released_by",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, incident_id);
        ch_stmt_bind_cstr(st, 2, ch_tlp_name(tlp));
        ch_stmt_bind_int(st, 3, now);
        ch_stmt_bind_cstr(st, 4, actor);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK) {
        char object[48], details[64];
        snprintf(object, sizeof(object), "incident:%lld", (long long)incident_id);
        snprintf(details, sizeof(details), "{\"tlp\":\"%s\"}", ch_tlp_name(tlp));
        struct ch_audit_entry e = {.actor = actor,
                                   .action = "share.incident.release",
                                   .object = object,
                                   .details = details};
        int64_t seq = 0;
        rc = ch_audit_append(s, &e, now, &seq, err);
    }
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    return ch_store_commit(s, err);
}
