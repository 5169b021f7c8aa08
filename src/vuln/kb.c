/* SPDX-License-Identifier: Apache-2.0
 *
 * kb.c: knowledge-base writes and lookups (see kb.h).
 *
 * Grouping: vuln_keys maps every identifier ever seen (record ids and
 * aliases) to a vulnerability. A new record looks up all its identifiers;
 * none known → a new vulnerability; one → join it; several → merge them
 * into the oldest (smallest id), moving keys and advisories over.
 */
#include "vuln/kb.h"

#include <sodium.h>
#include <string.h>

#include "core/json.h"
#include "vuln/cvss.h"
#include "vuln/pkgname.h"

#define MAX_GROUPS_PER_RECORD 64

void ch_kb_writer_init(struct ch_kb_writer *w, struct ch_store *s, int64_t now,
                       ch_kb_score_fn score)
{
    w->store = s;
    w->now = now;
    w->score = score;
    ch_buf_init(&w->scratch, (size_t)64 << 20);
}

void ch_kb_writer_release(struct ch_kb_writer *w)
{
    ch_buf_release(&w->scratch);
}

int ch_kb_score_cvss(const char *vector, double *ret_score, const char **ret_severity)
{
    static const char *const names[] = {"none", "low", "medium", "high", "critical"};
    if (strncmp(vector, "CVSS:3", 6) != 0 && strncmp(vector, "CVSS:4", 6) != 0)
        return -1;
    struct ch_err err = CH_ERR_INIT;
    struct ch_cvss_score sc;
    if (ch_cvss_compute(ch_str_c(vector), &sc, &err) != CH_OK)
        return -1;
    double s = sc.base_score;
    int sev = s == 0 ? 0 : s < 4 ? 1 : s < 7 ? 2 : s < 9 ? 3 : 4;
    *ret_score = s;
    *ret_severity = names[sev];
    return 0;
}

static void hash_hex(struct ch_str raw, char out[33])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof(h), (const unsigned char *)raw.ptr, raw.len, NULL, 0);
    sodium_bin2hex(out, 33, h, sizeof(h));
}

static int stmt(struct ch_kb_writer *w, const char *sql, struct ch_stmt **ret, struct ch_err *err)
{
    return ch_store_stmt(w->store, sql, ret, err);
}

/* ---- grouping ---- */

static int lookup_key(struct ch_kb_writer *w, const char *key, int64_t *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = stmt(w, "SELECT vuln_id FROM vuln_keys WHERE key = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, key);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret = rc == 1 ? ch_stmt_int(st, 0) : 0;
    ch_stmt_reset(st);
    return CH_OK;
}

static int merge_into(struct ch_kb_writer *w, int64_t keep, int64_t gone, struct ch_err *err)
{
    static const char *const sql[] = {
        "UPDATE vuln_keys SET vuln_id = ? WHERE vuln_id = ?",
        "UPDATE advisories SET vuln_id = ? WHERE vuln_id = ?",
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(sql); i++) {
        struct ch_stmt *st = NULL;
        int rc = stmt(w, sql[i], &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_int(st, 1, keep);
        ch_stmt_bind_int(st, 2, gone);
        rc = ch_stmt_run(st, err);
        if (rc != CH_OK)
            return rc;
    }
    struct ch_stmt *st = NULL;
    int rc = stmt(w, "DELETE FROM vulns WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, gone);
    rc = ch_stmt_run(st, err);
    if (rc != CH_OK)
        return rc;
    /* exposures may still name the id: remediation follows it to its new vulnerability */
    rc = stmt(w, "INSERT INTO vuln_merges (gone, kept, merged_at) VALUES (?, ?, ?)", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, gone);
    ch_stmt_bind_int(st, 2, keep);
    ch_stmt_bind_int(st, 3, w->now);
    return ch_stmt_run(st, err);
}

static const char *display_candidate(const struct ch_advisory *a)
{
    if (ch_is_cve_id(a->id))
        return a->id;
    for (size_t i = 0; i < a->n_aliases; i++) {
        if (ch_is_cve_id(a->aliases[i]))
            return a->aliases[i];
    }
    return a->id;
}

static int new_vuln(struct ch_kb_writer *w, const struct ch_advisory *a, int64_t *ret,
                    struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    /*
     * SQLite gives a new row the largest rowid plus one, so the id of a
     * vulnerability just merged away (the larger of the two) would be given
     * again, and whatever still names it (exposures, vuln_merges) would
     * name the new one. Ids are taken above every id ever merged away too.
     * PostgreSQL's identity never gives an id twice.
     */
    int rc = ch_store_backend(w->store) == CH_STORE_SQLITE
                 ? stmt(w,
                        "INSERT INTO vulns (id, display_id, created_at) VALUES ("
                        "(SELECT MAX(m) + 1 FROM (SELECT COALESCE(MAX(id), 0) AS m FROM vulns"
                        " UNION ALL SELECT COALESCE(MAX(gone), 0) FROM vuln_merges)), ?, ?)"
                        " RETURNING id",
                        &st, err)
                 : stmt(w, "INSERT INTO vulns (display_id, created_at) VALUES (?, ?) RETURNING id",
                        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, display_candidate(a));
    ch_stmt_bind_int(st, 2, w->now);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret = ch_stmt_int(st, 0);
    ch_stmt_reset(st);
    return CH_OK;
}

static int add_key(struct ch_kb_writer *w, const char *key, int64_t vuln, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc =
        stmt(w, "INSERT INTO vuln_keys (key, vuln_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
             &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, key);
    ch_stmt_bind_int(st, 2, vuln);
    return ch_stmt_run(st, err);
}

/* Finds or creates the vulnerability of a, merging groups it links. */
static int resolve_group(struct ch_kb_writer *w, const struct ch_advisory *a, int64_t *ret,
                         struct ch_err *err)
{
    int64_t groups[MAX_GROUPS_PER_RECORD];
    size_t n = 0;
    for (size_t i = 0; i <= a->n_aliases; i++) {
        const char *key = i == 0 ? a->id : a->aliases[i - 1];
        int64_t g = 0;
        int rc = lookup_key(w, key, &g, err);
        if (rc != CH_OK)
            return rc;
        if (g == 0)
            continue;
        size_t k = 0;
        while (k < n && groups[k] != g)
            k++;
        if (k == n && n < MAX_GROUPS_PER_RECORD)
            groups[n++] = g;
    }
    int64_t keep = 0;
    if (n == 0) {
        int rc = new_vuln(w, a, &keep, err);
        if (rc != CH_OK)
            return rc;
    } else {
        keep = groups[0];
        for (size_t k = 1; k < n; k++)
            keep = groups[k] < keep ? groups[k] : keep;
        for (size_t k = 0; k < n; k++) {
            if (groups[k] == keep)
                continue;
            int rc = merge_into(w, keep, groups[k], err);
            if (rc != CH_OK)
                return rc;
        }
        /* prefer a CVE id for display once one is known */
        const char *cand = display_candidate(a);
        if (ch_is_cve_id(cand)) {
            struct ch_stmt *st = NULL;
            int rc = stmt(
                w, "UPDATE vulns SET display_id = ? WHERE id = ? AND display_id NOT LIKE 'CVE-%'",
                &st, err);
            if (rc != CH_OK)
                return rc;
            ch_stmt_bind_cstr(st, 1, cand);
            ch_stmt_bind_int(st, 2, keep);
            rc = ch_stmt_run(st, err);
            if (rc != CH_OK)
                return rc;
        }
    }
    for (size_t i = 0; i <= a->n_aliases; i++) {
        int rc = add_key(w, i == 0 ? a->id : a->aliases[i - 1], keep, err);
        if (rc != CH_OK)
            return rc;
    }
    *ret = keep;
    return CH_OK;
}

/* ---- rows ---- */

/* The record's highest CVSS base score and its severity, if a scorer is set. */
static void best_score(ch_kb_score_fn score, const struct ch_advisory *a, double *ret_score,
                       const char **ret_sev)
{
    *ret_score = -1;
    *ret_sev = NULL;
    if (score == NULL)
        return;
    for (size_t i = 0; i < a->n_severity; i++) {
        double s;
        const char *sev;
        if (a->severity[i].score != NULL && score(a->severity[i].score, &s, &sev) == 0 &&
            s > *ret_score) {
            *ret_score = s;
            *ret_sev = sev;
        }
    }
    for (size_t k = 0; k < a->n_affected; k++) {
        for (size_t i = 0; i < a->affected[k].n_severity; i++) {
            double s;
            const char *sev;
            const char *v = a->affected[k].severity[i].score;
            if (v != NULL && score(v, &s, &sev) == 0 && s > *ret_score) {
                *ret_score = s;
                *ret_sev = sev;
            }
        }
    }
}

static void bind_time(struct ch_stmt *st, int idx, int64_t t)
{
    if (t < 0)
        ch_stmt_bind_null(st, idx);
    else
        ch_stmt_bind_int(st, idx, t);
}

static int write_ranges_json(struct ch_buf *b, const struct ch_adv_affected *af)
{
    ch_buf_reset(b);
    struct ch_jw jw;
    ch_jw_init(&jw, b, 0);
    ch_jw_arr_open(&jw);
    for (size_t r = 0; r < af->n_ranges; r++) {
        const struct ch_adv_range *rg = &af->ranges[r];
        ch_jw_obj_open(&jw);
        ch_jw_kstr(&jw, "type", rg->type);
        if (rg->repo != NULL)
            ch_jw_kstr(&jw, "repo", rg->repo);
        ch_jw_key(&jw, "events");
        ch_jw_arr_open(&jw);
        for (size_t e = 0; e < rg->n_events; e++) {
            static const char *const names[] = {"", "introduced", "fixed", "last_affected",
                                                "limit"};
            ch_jw_obj_open(&jw);
            ch_jw_kstr(&jw, names[rg->events[e].kind], rg->events[e].value);
            ch_jw_obj_close(&jw);
        }
        ch_jw_arr_close(&jw);
        ch_jw_obj_close(&jw);
    }
    ch_jw_arr_close(&jw);
    return b->failed;
}

static int write_strings_json(struct ch_buf *b, const char *const *v, size_t n)
{
    ch_buf_reset(b);
    struct ch_jw jw;
    ch_jw_init(&jw, b, 0);
    ch_jw_arr_open(&jw);
    for (size_t i = 0; i < n; i++)
        ch_jw_cstr(&jw, v[i]);
    ch_jw_arr_close(&jw);
    return b->failed;
}

static int write_severity_json(struct ch_buf *b, const struct ch_adv_severity *v, size_t n)
{
    ch_buf_reset(b);
    struct ch_jw jw;
    ch_jw_init(&jw, b, 0);
    ch_jw_arr_open(&jw);
    for (size_t i = 0; i < n; i++) {
        ch_jw_obj_open(&jw);
        ch_jw_kstr(&jw, "type", v[i].type);
        ch_jw_kstr(&jw, "score", v[i].score);
        ch_jw_obj_close(&jw);
    }
    ch_jw_arr_close(&jw);
    return b->failed;
}

static int insert_affected(struct ch_kb_writer *w, int64_t adv_id, const struct ch_adv_affected *af,
                           const struct ch_kb_prepared_affected *pa, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = stmt(w,
                  "INSERT INTO affected (advisory_id, ecosystem, name, norm_name, purl, vendor,"
                  " product, status, ranges, versions, cve_versions, severity)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, adv_id);
    ch_stmt_bind_cstr(st, 2, af->ecosystem);
    ch_stmt_bind_cstr(st, 3, af->name);
    ch_stmt_bind_cstr(st, 4, pa->norm_name);
    ch_stmt_bind_cstr(st, 5, af->purl);
    ch_stmt_bind_cstr(st, 6, af->vendor);
    ch_stmt_bind_cstr(st, 7, af->product);
    ch_stmt_bind_cstr(st, 8, af->status);
    ch_stmt_bind_cstr(st, 9, pa->ranges_json);
    ch_stmt_bind_cstr(st, 10, pa->versions_json);
    ch_stmt_bind_cstr(st, 11, af->cve_versions_json);
    ch_stmt_bind_cstr(st, 12, pa->severity_json);
    return ch_stmt_run(st, err);
}

/* Copies a buffer's text into the arena (NULL when the buffer failed: reported by the caller). */
static const char *keep_text(struct ch_arena *a, struct ch_buf *b)
{
    return b->failed ? NULL : ch_arena_strndup(a, ch_buf_cstr(b), ch_buf_len(b));
}

int ch_kb_prepare(const struct ch_advisory *a, ch_kb_score_fn score, struct ch_arena *arena,
                  struct ch_kb_prepared *ret, struct ch_err *err)
{
    struct ch_kb_prepared p = {.score = -1};
    hash_hex(a->raw, p.hash);
    best_score(score, a, &p.score, &p.severity);
    p.affected =
        ch_arena_calloc(arena, a->n_affected == 0 ? 1 : a->n_affected, sizeof(*p.affected));
    if (p.affected == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory preparing '%s'", a->id);
    struct ch_buf b;
    ch_buf_init(&b, (size_t)64 << 20);
    int rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < a->n_affected; i++) {
        const struct ch_adv_affected *af = &a->affected[i];
        struct ch_kb_prepared_affected *pa = &p.affected[i];
        bool nomem = false;
        if (af->ecosystem != NULL && af->name != NULL) {
            ch_buf_reset(&b);
            (void)ch_pkgname_normalize(ch_str_c(af->ecosystem), ch_str_c(af->name), &b);
            nomem |= (pa->norm_name = keep_text(arena, &b)) == NULL;
        }
        if (af->n_ranges > 0) {
            (void)write_ranges_json(&b, af);
            nomem |= (pa->ranges_json = keep_text(arena, &b)) == NULL;
        }
        if (af->n_versions > 0) {
            (void)write_strings_json(&b, af->versions, af->n_versions);
            nomem |= (pa->versions_json = keep_text(arena, &b)) == NULL;
        }
        if (af->n_severity > 0) {
            (void)write_severity_json(&b, af->severity, af->n_severity);
            nomem |= (pa->severity_json = keep_text(arena, &b)) == NULL;
        }
        if (nomem)
            rc = b.failed ? ch_buf_status(&b, "affected entry", err)
                          : ch_err_set(err, CH_E_NOMEM, "out of memory preparing '%s'", a->id);
    }
    ch_buf_release(&b);
    if (rc == CH_OK)
        *ret = p;
    return rc;
}

static int insert_children(struct ch_kb_writer *w, int64_t adv_id, const struct ch_advisory *a,
                           const struct ch_kb_prepared *p, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = stmt(w,
                  "INSERT INTO advisory_aliases (advisory_id, alias) VALUES (?, ?)"
                  " ON CONFLICT DO NOTHING",
                  &st, err);
    for (size_t i = 0; rc == CH_OK && i < a->n_aliases; i++) {
        ch_stmt_reset(st);
        ch_stmt_bind_int(st, 1, adv_id);
        ch_stmt_bind_cstr(st, 2, a->aliases[i]);
        rc = ch_stmt_run(st, err);
    }
    for (size_t i = 0; rc == CH_OK && i < a->n_affected; i++)
        rc = insert_affected(w, adv_id, &a->affected[i], &p->affected[i], err);
    return rc;
}

static int delete_children(struct ch_kb_writer *w, int64_t adv_id, struct ch_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM advisory_aliases WHERE advisory_id = ?",
        "DELETE FROM affected WHERE advisory_id = ?",
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(sql); i++) {
        struct ch_stmt *st = NULL;
        int rc = stmt(w, sql[i], &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_int(st, 1, adv_id);
        rc = ch_stmt_run(st, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

/* Binds the columns shared by INSERT and UPDATE, from index `at`. Returns the next index. */
static int bind_common(struct ch_kb_writer *w, struct ch_stmt *st, int at,
                       const struct ch_advisory *a, int64_t vuln, const struct ch_kb_prepared *p)
{
    double score = p->score;
    const char *sev = p->severity;
    const char *hash = p->hash;
    ch_stmt_bind_int(st, at++, vuln);
    ch_stmt_bind_cstr(st, at++, a->summary);
    ch_stmt_bind_cstr(st, at++, a->details);
    bind_time(st, at++, a->published);
    ch_stmt_bind_int(st, at++, a->modified);
    ch_stmt_bind_int(st, at++, a->modified_nsec);
    bind_time(st, at++, a->withdrawn);
    ch_stmt_bind_cstr(st, at++, sev);
    if (score >= 0)
        ch_stmt_bind_double(st, at++, score);
    else
        ch_stmt_bind_null(st, at++);
    ch_stmt_bind_bool(st, at++, a->kev);
    ch_stmt_bind_cstr(st, at++, a->has_ssvc ? a->ssvc.exploitation : NULL);
    ch_stmt_bind_cstr(st, at++, a->has_ssvc ? a->ssvc.automatable : NULL);
    ch_stmt_bind_cstr(st, at++, a->has_ssvc ? a->ssvc.technical_impact : NULL);
    ch_stmt_bind_cstr(st, at++, hash);
    ch_stmt_bind_str(st, at++, a->raw);
    ch_stmt_bind_int(st, at++, w->now);
    return at;
}

int ch_kb_put_advisory(struct ch_kb_writer *w, const struct ch_advisory *a, enum ch_kb_outcome *ret,
                       struct ch_err *err)
{
    struct ch_arena *arena = ch_arena_new((size_t)256 << 20);
    if (arena == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory storing '%s'", a->id);
    struct ch_kb_prepared p;
    int rc = ch_kb_prepare(a, w->score, arena, &p, err);
    if (rc == CH_OK)
        rc = ch_kb_put_prepared(w, a, &p, ret, err);
    ch_arena_free(arena);
    return rc;
}

int ch_kb_put_prepared(struct ch_kb_writer *w, const struct ch_advisory *a,
                       const struct ch_kb_prepared *p, enum ch_kb_outcome *ret, struct ch_err *err)
{
    const char *hash = p->hash;
    const char *source = ch_adv_source_name(a->source);
    struct ch_stmt *st = NULL;
    int rc = stmt(w,
                  "SELECT id, modified, modified_nsec, content_hash, withdrawn FROM advisories"
                  " WHERE source = ? AND source_id = ?",
                  &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, source);
    ch_stmt_bind_cstr(st, 2, a->id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    int64_t existing = 0;
    bool was_withdrawn = false;
    if (rc == 1) {
        existing = ch_stmt_int(st, 0);
        int64_t mod = ch_stmt_int(st, 1);
        int64_t nsec = ch_stmt_int(st, 2);
        bool same = ch_str_eq_c(ch_stmt_text(st, 3), hash);
        was_withdrawn = !ch_stmt_is_null(st, 4);
        bool older = a->modified < mod || (a->modified == mod && a->modified_nsec < nsec);
        if (same || older) {
            ch_stmt_reset(st);
            *ret = CH_KB_UNCHANGED;
            return CH_OK;
        }
    }
    ch_stmt_reset(st);
    int64_t vuln = 0;
    rc = resolve_group(w, a, &vuln, err);
    if (rc != CH_OK)
        return rc;
    int64_t adv_id = existing;
    if (existing == 0) {
        rc = stmt(w,
                  "INSERT INTO advisories (source, source_id, vuln_id, summary, details, published,"
                  " modified, modified_nsec, withdrawn, severity, cvss_score, kev_flag,"
                  " ssvc_exploitation, ssvc_automatable, ssvc_technical_impact, content_hash,"
                  " record, imported_at)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                  &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_cstr(st, 1, source);
        ch_stmt_bind_cstr(st, 2, a->id);
        bind_common(w, st, 3, a, vuln, p);
        rc = ch_stmt_step(st, err);
        if (rc < 0)
            return rc;
        adv_id = ch_stmt_int(st, 0);
        ch_stmt_reset(st);
    } else {
        rc = stmt(w,
                  "UPDATE advisories SET vuln_id = ?, summary = ?, details = ?, published = ?,"
                  " modified = ?, modified_nsec = ?, withdrawn = ?, severity = ?, cvss_score = ?,"
                  " kev_flag = ?, ssvc_exploitation = ?, ssvc_automatable = ?,"
                  " ssvc_technical_impact = ?, content_hash = ?, record = ?, imported_at = ?"
                  " WHERE id = ?",
                  &st, err);
        if (rc != CH_OK)
            return rc;
        int next = bind_common(w, st, 1, a, vuln, p);
        ch_stmt_bind_int(st, next, existing);
        rc = ch_stmt_run(st, err);
        if (rc == CH_OK)
            rc = delete_children(w, existing, err);
        if (rc != CH_OK)
            return rc;
    }
    rc = insert_children(w, adv_id, a, p, err);
    if (rc != CH_OK)
        return rc;
    if (a->withdrawn >= 0 && !was_withdrawn)
        *ret = CH_KB_WITHDRAWN;
    else
        *ret = existing == 0 ? CH_KB_ADDED : CH_KB_UPDATED;
    return CH_OK;
}

int ch_kb_put_kev(struct ch_kb_writer *w, const struct ch_kev_entry *k, enum ch_kb_outcome *ret,
                  struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = stmt(w, "SELECT date_added, due_date, required_action, notes FROM kev WHERE cve = ?",
                  &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, k->cve);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    bool exists = rc == 1;
    if (exists) {
        bool same =
            ch_stmt_int(st, 0) == k->date_added &&
            (ch_stmt_is_null(st, 1) ? k->due_date < 0 : ch_stmt_int(st, 1) == k->due_date) &&
            ch_str_eq_c(ch_stmt_text(st, 2), k->required_action ? k->required_action : "") &&
            ch_str_eq_c(ch_stmt_text(st, 3), k->notes ? k->notes : "");
        if (same) {
            ch_stmt_reset(st);
            *ret = CH_KB_UNCHANGED;
            return CH_OK;
        }
    }
    ch_stmt_reset(st);
    ch_buf_reset(&w->scratch);
    if (write_strings_json(&w->scratch, k->cwes, k->n_cwes) != CH_OK)
        return ch_buf_status(&w->scratch, "cwes", err);
    rc = stmt(w,
              "INSERT INTO kev (cve, vendor, product, name, description, date_added, due_date,"
              " required_action, ransomware, notes, cwes, imported_at)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
              " ON CONFLICT (cve) DO UPDATE SET vendor = excluded.vendor,"
              " product = excluded.product, name = excluded.name,"
              " description = excluded.description, date_added = excluded.date_added,"
              " due_date = excluded.due_date, required_action = excluded.required_action,"
              " ransomware = excluded.ransomware, notes = excluded.notes, cwes = excluded.cwes,"
              " imported_at = excluded.imported_at",
              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, k->cve);
    ch_stmt_bind_cstr(st, 2, k->vendor);
    ch_stmt_bind_cstr(st, 3, k->product);
    ch_stmt_bind_cstr(st, 4, k->name);
    ch_stmt_bind_cstr(st, 5, k->description);
    ch_stmt_bind_int(st, 6, k->date_added);
    bind_time(st, 7, k->due_date);
    ch_stmt_bind_cstr(st, 8, k->required_action);
    ch_stmt_bind_cstr(st, 9, k->ransomware);
    ch_stmt_bind_cstr(st, 10, k->notes);
    ch_stmt_bind_str(st, 11, ch_buf_str(&w->scratch));
    ch_stmt_bind_int(st, 12, w->now);
    rc = ch_stmt_run(st, err);
    if (rc != CH_OK)
        return rc;
    *ret = exists ? CH_KB_UPDATED : CH_KB_ADDED;
    return CH_OK;
}

int ch_kb_put_epss(struct ch_kb_writer *w, const struct ch_epss_score *e, enum ch_kb_outcome *ret,
                   struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = stmt(w, "SELECT epss, percentile, score_date FROM epss WHERE cve = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, e->cve);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    bool exists = rc == 1;
    if (exists) {
        bool newer_stored =
            !ch_stmt_is_null(st, 2) && e->score_date >= 0 && ch_stmt_int(st, 2) > e->score_date;
        bool same = ch_stmt_double(st, 0) == e->epss && ch_stmt_double(st, 1) == e->percentile;
        if (same || newer_stored) {
            ch_stmt_reset(st);
            *ret = CH_KB_UNCHANGED;
            return CH_OK;
        }
    }
    ch_stmt_reset(st);
    rc = stmt(w,
              "INSERT INTO epss (cve, epss, percentile, score_date) VALUES (?, ?, ?, ?)"
              " ON CONFLICT (cve) DO UPDATE SET epss = excluded.epss,"
              " percentile = excluded.percentile, score_date = excluded.score_date",
              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, e->cve);
    ch_stmt_bind_double(st, 2, e->epss);
    ch_stmt_bind_double(st, 3, e->percentile);
    bind_time(st, 4, e->score_date);
    rc = ch_stmt_run(st, err);
    if (rc != CH_OK)
        return rc;
    *ret = exists ? CH_KB_UPDATED : CH_KB_ADDED;
    return CH_OK;
}

int ch_kb_find_vuln(struct ch_store *s, const char *id, int64_t *ret_vuln_id, struct ch_err *err)
{
    int64_t v = 0;
    int rc = ch_store_query_int(s, "SELECT vuln_id FROM vuln_keys WHERE key = ?", id, 0, &v, err);
    if (rc != CH_OK)
        return rc;
    if (v == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no vulnerability '%s'", id);
    *ret_vuln_id = v;
    return CH_OK;
}
