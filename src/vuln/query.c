/* SPDX-License-Identifier: Apache-2.0
 *
 * query.c: knowledge-base reads (see query.h). Every value reaches SQL as a
 * bound parameter; the search's optional filters are fixed SQL fragments
 * chosen by which filters are set, never text from the caller.
 */
#include "vuln/query.h"

#include <string.h>

#include "core/buf.h"
#include "vuln/pkgname.h"

static int vuln_of(struct ch_store *s, const char *id, int64_t *ret, struct ch_err *err)
{
    int64_t v = 0;
    int rc = ch_store_query_int(s, "SELECT vuln_id FROM vuln_keys WHERE key = ?", id, 0, &v, err);
    if (rc != CH_OK)
        return rc;
    if (v == 0)
        return ch_err_setf(err, CH_E_NOTFOUND, "id", "no vulnerability named '%s'", id);
    *ret = v;
    return CH_OK;
}

static void kstr_col(struct ch_jw *w, const char *key, struct ch_stmt *st, int col)
{
    ch_jw_key(w, key);
    if (ch_stmt_is_null(st, col))
        ch_jw_null(w);
    else
        ch_jw_str(w, ch_stmt_text(st, col).ptr, ch_stmt_text(st, col).len);
}

static void ktime_col(struct ch_jw *w, const char *key, struct ch_stmt *st, int col)
{
    ch_jw_ktime(w, key, ch_stmt_is_null(st, col) ? -1 : ch_stmt_int(st, col));
}

/* Embeds stored JSON text (written by us) or null. */
static void kraw_col(struct ch_jw *w, const char *key, struct ch_stmt *st, int col)
{
    ch_jw_key(w, key);
    if (ch_stmt_is_null(st, col))
        ch_jw_null(w);
    else
        ch_jw_raw(w, ch_stmt_text(st, col).ptr, ch_stmt_text(st, col).len);
}

static int write_keys(struct ch_store *s, int64_t vuln, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT key FROM vuln_keys WHERE vuln_id = ? ORDER BY key", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    ch_jw_key(w, "aliases");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1)
        ch_jw_str(w, ch_stmt_text(st, 0).ptr, ch_stmt_text(st, 0).len);
    ch_jw_arr_close(w);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

/* Source records; also collects severity vectors and references from the originals. */
static int write_records(struct ch_store *s, int64_t vuln, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, source, source_id, summary, published, modified, withdrawn,"
                           " severity, cvss_score, kev_flag, ssvc_exploitation, ssvc_automatable,"
                           " ssvc_technical_impact FROM advisories WHERE vuln_id = ?"
                           " ORDER BY source, source_id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    ch_jw_key(w, "records");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        kstr_col(w, "source", st, 1);
        kstr_col(w, "id", st, 2);
        kstr_col(w, "summary", st, 3);
        ktime_col(w, "published", st, 4);
        ktime_col(w, "modified", st, 5);
        ktime_col(w, "withdrawn", st, 6);
        kstr_col(w, "severity", st, 7);
        ch_jw_key(w, "cvss_score");
        if (ch_stmt_is_null(st, 8))
            ch_jw_null(w);
        else
            ch_jw_double(w, ch_stmt_double(st, 8));
        ch_jw_kbool(w, "kev", ch_stmt_int(st, 9) != 0);
        if (!ch_stmt_is_null(st, 10) || !ch_stmt_is_null(st, 11)) {
            ch_jw_key(w, "ssvc");
            ch_jw_obj_open(w);
            kstr_col(w, "exploitation", st, 10);
            kstr_col(w, "automatable", st, 11);
            kstr_col(w, "technical_impact", st, 12);
            ch_jw_obj_close(w);
        }
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

/* Severity vectors and references, read from the original records. */
static int write_from_originals(struct ch_store *s, int64_t vuln, struct ch_jw *w,
                                struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT source, source_id, record FROM advisories WHERE vuln_id = ?"
                              " ORDER BY source, source_id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    struct ch_buf sev, refs;
    ch_buf_init(&sev, (size_t)16 << 20);
    ch_buf_init(&refs, (size_t)16 << 20);
    struct ch_jw ws, wr;
    ch_jw_init(&ws, &sev, 0);
    ch_jw_init(&wr, &refs, 0);
    ch_jw_arr_open(&ws);
    ch_jw_arr_open(&wr);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct ch_str rec = ch_stmt_text(st, 2);
        cJSON *j = NULL;
        struct ch_err perr = CH_ERR_INIT;
        if (ch_json_parse(rec.ptr, rec.len, NULL, "stored record", &j, &perr) != CH_OK)
            continue; /* stored records were validated on import */
        const char *source = ch_stmt_cstr(st, 0);
        const cJSON *sv = ch_json_arr(j, "severity");
        for (const cJSON *c = sv != NULL ? sv->child : NULL; c != NULL; c = c->next) {
            ch_jw_obj_open(&ws);
            ch_jw_kstr(&ws, "source", ch_stmt_cstr(st, 1));
            ch_jw_kstr(&ws, "type", ch_json_str(c, "type"));
            ch_jw_kstr(&ws, "score", ch_json_str(c, "score"));
            ch_jw_obj_close(&ws);
        }
        const cJSON *rf = strcmp(source, "osv") == 0 ? ch_json_arr(j, "references") : NULL;
        for (const cJSON *c = rf != NULL ? rf->child : NULL; c != NULL; c = c->next) {
            ch_jw_obj_open(&wr);
            ch_jw_kstr(&wr, "type", ch_json_str(c, "type"));
            ch_jw_kstr(&wr, "url", ch_json_str(c, "url"));
            ch_jw_obj_close(&wr);
        }
        cJSON_Delete(j);
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(&ws);
    ch_jw_arr_close(&wr);
    if (rc >= 0) {
        ch_jw_key(w, "severity");
        ch_jw_raw(w, ch_buf_cstr(&sev), ch_buf_len(&sev));
        ch_jw_key(w, "references");
        ch_jw_raw(w, ch_buf_cstr(&refs), ch_buf_len(&refs));
        rc = CH_OK;
    }
    ch_buf_release(&sev);
    ch_buf_release(&refs);
    return rc;
}

static int write_affected(struct ch_store *s, int64_t vuln, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT a.source_id, f.ecosystem, f.name, f.purl, f.vendor, f.product,"
                           " f.status, f.ranges, f.versions, f.cve_versions"
                           " FROM affected f JOIN advisories a ON a.id = f.advisory_id"
                           " WHERE a.vuln_id = ? ORDER BY a.source_id, f.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    ch_jw_key(w, "affected");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        kstr_col(w, "record", st, 0);
        kstr_col(w, "ecosystem", st, 1);
        kstr_col(w, "name", st, 2);
        kstr_col(w, "purl", st, 3);
        kstr_col(w, "vendor", st, 4);
        kstr_col(w, "product", st, 5);
        kstr_col(w, "status", st, 6);
        kraw_col(w, "ranges", st, 7);
        kraw_col(w, "versions", st, 8);
        kraw_col(w, "cve_versions", st, 9);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

/* KEV and EPSS rows for any CVE alias of the vulnerability. */
static int write_kev_epss(struct ch_store *s, int64_t vuln, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT k.cve, k.vendor, k.product, k.name, k.date_added, k.due_date,"
                           " k.required_action, k.ransomware, k.notes FROM kev k"
                           " JOIN vuln_keys v ON v.key = k.cve WHERE v.vuln_id = ? ORDER BY k.cve",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    ch_jw_key(w, "kev");
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        ch_jw_obj_open(w);
        kstr_col(w, "cve", st, 0);
        kstr_col(w, "vendor", st, 1);
        kstr_col(w, "product", st, 2);
        kstr_col(w, "name", st, 3);
        ktime_col(w, "date_added", st, 4);
        ktime_col(w, "due_date", st, 5);
        kstr_col(w, "required_action", st, 6);
        kstr_col(w, "ransomware", st, 7);
        kstr_col(w, "notes", st, 8);
        ch_jw_obj_close(w);
    } else {
        ch_jw_null(w);
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    rc = ch_store_stmt(s,
                       "SELECT e.cve, e.epss, e.percentile, e.score_date FROM epss e"
                       " JOIN vuln_keys v ON v.key = e.cve WHERE v.vuln_id = ?"
                       " ORDER BY e.epss DESC",
                       &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    ch_jw_key(w, "epss");
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        ch_jw_obj_open(w);
        kstr_col(w, "cve", st, 0);
        ch_jw_kdouble(w, "epss", ch_stmt_double(st, 1));
        ch_jw_kdouble(w, "percentile", ch_stmt_double(st, 2));
        ktime_col(w, "score_date", st, 3);
        ch_jw_obj_close(w);
    } else {
        ch_jw_null(w);
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_vuln_show_json(struct ch_store *s, const char *id, struct ch_jw *w, struct ch_err *err)
{
    int64_t vuln = 0;
    int rc = vuln_of(s, id, &vuln, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "SELECT v.display_id, (SELECT COALESCE(summary, SUBSTR(details, 1, 200))"
                       " FROM advisories a WHERE a.vuln_id = v.id"
                       " AND (a.summary IS NOT NULL OR a.details IS NOT NULL) ORDER BY CASE a.source WHEN 'osv' THEN 0"
                       " WHEN 'cve5' THEN 1 ELSE 2 END LIMIT 1),"
                       " (SELECT MAX(cvss_score) FROM advisories a WHERE a.vuln_id = v.id),"
                       " (SELECT COUNT(*) FROM advisories a WHERE a.vuln_id = v.id"
                       " AND a.withdrawn IS NULL)"
                       " FROM vulns v WHERE v.id = ?",
                       &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    rc = ch_stmt_step(st, err);
    if (rc != 1) {
        ch_stmt_reset(st);
        return rc < 0 ? rc : ch_err_set(err, CH_E_NOTFOUND, "no vulnerability named '%s'", id);
    }
    ch_jw_obj_open(w);
    kstr_col(w, "id", st, 0);
    kstr_col(w, "summary", st, 1);
    ch_jw_key(w, "cvss_score");
    if (ch_stmt_is_null(st, 2))
        ch_jw_null(w);
    else
        ch_jw_double(w, ch_stmt_double(st, 2));
    ch_jw_kbool(w, "withdrawn", ch_stmt_int(st, 3) == 0);
    ch_stmt_reset(st);
    rc = write_keys(s, vuln, w, err);
    if (rc == CH_OK)
        rc = write_records(s, vuln, w, err);
    if (rc == CH_OK)
        rc = write_kev_epss(s, vuln, w, err);
    if (rc == CH_OK)
        rc = write_from_originals(s, vuln, w, err);
    if (rc == CH_OK)
        rc = write_affected(s, vuln, w, err);
    ch_jw_obj_close(w);
    return rc;
}

static int severity_rank(const char *s)
{
    static const char *const names[] = {"none", "low", "medium", "high", "critical"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0)
            return i;
    }
    return -1;
}

int ch_vuln_search_json(struct ch_store *s, const struct ch_vuln_filter *f, struct ch_jw *w,
                        struct ch_err *err)
{
    if (f->limit == 0 || f->limit > CH_VULN_SEARCH_MAX_LIMIT)
        return ch_err_setf(err, CH_E_INVALID, "limit", "limit must be 1 to %u",
                           CH_VULN_SEARCH_MAX_LIMIT);
    int min_rank = -1;
    if (f->min_severity != NULL) {
        min_rank = severity_rank(f->min_severity);
        if (min_rank < 0)
            return ch_err_setf(err, CH_E_INVALID, "severity",
                               "severity must be none, low, medium, high or critical");
    }
    if ((f->ecosystem == NULL) != (f->name == NULL))
        return ch_err_setf(err, CH_E_INVALID, "package", "ecosystem and name go together");
    /* fixed fragments; each filter is "(? IS NULL OR ...)" with its value bound */
    const char *sql =
        "SELECT v.id, v.display_id,"
        " (SELECT COALESCE(summary, SUBSTR(details, 1, 200)) FROM advisories a"
        "  WHERE a.vuln_id = v.id AND (a.summary IS NOT NULL OR a.details IS NOT NULL)"
        "  ORDER BY a.source LIMIT 1),"
        " (SELECT MAX(cvss_score) FROM advisories a WHERE a.vuln_id = v.id),"
        " EXISTS (SELECT 1 FROM kev k JOIN vuln_keys kk ON kk.key = k.cve WHERE kk.vuln_id = v.id),"
        " (SELECT MAX(modified) FROM advisories a WHERE a.vuln_id = v.id)"
        " FROM vulns v WHERE v.id > ?"
        " AND (CAST(? AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM affected f JOIN advisories a ON a.id = f.advisory_id"
        "      WHERE a.vuln_id = v.id AND f.ecosystem = ? AND f.norm_name = ?))"
        " AND (CAST(? AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM vuln_keys kk WHERE kk.vuln_id = v.id AND kk.key = ?))"
        " AND (? = 0 OR EXISTS (SELECT 1 FROM kev k JOIN vuln_keys kk ON kk.key = k.cve"
        "      WHERE kk.vuln_id = v.id))"
        " AND (? < 0 OR (SELECT MAX(cvss_score) FROM advisories a WHERE a.vuln_id = v.id) >= ?)"
        " AND (? < 0 OR (SELECT MAX(modified) FROM advisories a WHERE a.vuln_id = v.id) >= ?)"
        " AND (? = 1 OR EXISTS (SELECT 1 FROM advisories a WHERE a.vuln_id = v.id"
        "      AND a.withdrawn IS NULL))"
        " ORDER BY v.id LIMIT ?";
    static const double min_scores[] = {0.0, 0.1, 4.0, 7.0, 9.0};
    struct ch_buf norm;
    ch_buf_init(&norm, 4096);
    if (f->ecosystem != NULL)
        (void)ch_pkgname_normalize(ch_str_c(f->ecosystem), ch_str_c(f->name), &norm);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, sql, &st, err);
    if (rc != CH_OK) {
        ch_buf_release(&norm);
        return rc;
    }
    int i = 1;
    ch_stmt_bind_int(st, i++, f->after_vuln_id);
    ch_stmt_bind_cstr(st, i++, f->ecosystem);
    ch_stmt_bind_cstr(st, i++, f->ecosystem);
    ch_stmt_bind_cstr(st, i++, f->ecosystem != NULL ? ch_buf_cstr(&norm) : NULL);
    ch_stmt_bind_cstr(st, i++, f->alias);
    ch_stmt_bind_cstr(st, i++, f->alias);
    ch_stmt_bind_int(st, i++, f->kev_only ? 1 : 0);
    ch_stmt_bind_int(st, i++, min_rank);
    ch_stmt_bind_double(st, i++, min_rank < 0 ? 0 : min_scores[min_rank]);
    ch_stmt_bind_int(st, i++, f->modified_since);
    ch_stmt_bind_int(st, i++, f->modified_since);
    ch_stmt_bind_int(st, i++, f->include_withdrawn ? 1 : 0);
    ch_stmt_bind_int(st, i++, (int64_t)f->limit + 1);
    ch_jw_obj_open(w);
    ch_jw_key(w, "results");
    ch_jw_arr_open(w);
    unsigned n = 0;
    int64_t last = 0;
    bool more = false;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (n == f->limit) {
            more = true;
            break;
        }
        last = ch_stmt_int(st, 0);
        ch_jw_obj_open(w);
        kstr_col(w, "id", st, 1);
        kstr_col(w, "summary", st, 2);
        ch_jw_key(w, "cvss_score");
        if (ch_stmt_is_null(st, 3))
            ch_jw_null(w);
        else
            ch_jw_double(w, ch_stmt_double(st, 3));
        ch_jw_kbool(w, "kev", ch_stmt_int(st, 4) != 0);
        ktime_col(w, "modified", st, 5);
        ch_jw_obj_close(w);
        n++;
    }
    ch_stmt_reset(st);
    ch_buf_release(&norm);
    if (rc < 0)
        return rc;
    ch_jw_arr_close(w);
    ch_jw_key(w, "next_cursor");
    if (more)
        ch_jw_int(w, last);
    else
        ch_jw_null(w);
    ch_jw_obj_close(w);
    return CH_OK;
}
