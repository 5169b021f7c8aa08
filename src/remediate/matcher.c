/* SPDX-License-Identifier: Apache-2.0
 *
 * matcher.c: package keys, the keyed matcher and vulnerability facts (see
 * internal.h).
 *
 * The keyed matcher is a lazy matching index (match/index.h), which loads
 * only the packages it is asked about, so that a new advisory or a new
 * inventory is matched without building the whole index, with the same
 * ranked evaluation; it remembers each (package, version) answer.
 * tests/unit/remediate checks that it and a built index give the same
 * exposures.
 */
#include "remediate/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/map.h"
#include "vuln/pkgname.h"

/* Arena of one matcher or vulnerability cache: bounded by what one run touches. */
#define MATCHER_ARENA_MAX ((size_t)1 << 30)
/* Depth of the walk over a stored record looking for vectors and references. */
#define RECORD_WALK_MAX_DEPTH 24

void ch_rem__match_name(const char *eco, const char *name, const char *version,
                        const char *source_name, const char *source_version, const char **ret_name,
                        const char **ret_version)
{
    bool deb = eco != NULL && (strcmp(eco, "Debian") == 0 || strcmp(eco, "Ubuntu") == 0);
    *ret_name = deb && source_name != NULL ? source_name : name;
    *ret_version = deb && source_version != NULL ? source_version : version;
}

/* ---- the keyed matcher ------------------------------------------------ */

/* A component's answer, kept for the next component with the same package
 * and version: estates repeat them (1,000 assets running one library at a
 * handful of versions). */
struct memo {
    struct ch_match_hit *v; /* in the matcher's arena */
    size_t n;
};

struct ch_rem_matcher {
    const struct ch_match_index *ix; /* a built index, or NULL */
    struct ch_match_index *lazy;     /* otherwise: packages loaded on first use */
    struct ch_arena *arena;
    struct ch_map *memo; /* "eco_key\x1fnorm\x1eversion" → struct memo (arena) */
};

int ch_rem__matcher_new(struct ch_store *s, const struct ch_match_index *ix,
                        struct ch_rem_matcher **ret, struct ch_err *err)
{
    struct ch_rem_matcher *m = ch_calloc(1, sizeof(*m));
    if (m == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    m->ix = ix;
    m->arena = ch_arena_new(MATCHER_ARENA_MAX);
    m->memo = ch_map_new(0x6d656d6f, NULL);
    int rc = m->arena == NULL || m->memo == NULL ? ch_err_set(err, CH_E_NOMEM, "out of memory")
             : ix == NULL                        ? ch_match_index_new_lazy(s, &m->lazy, err)
                                                 : CH_OK;
    if (rc != CH_OK) {
        ch_rem__matcher_free(m);
        return rc;
    }
    *ret = m;
    return CH_OK;
}

const struct ch_match_index *ch_rem__matcher_index(const struct ch_rem_matcher *m)
{
    return m->ix;
}

void ch_rem__matcher_free(struct ch_rem_matcher *m)
{
    if (m == NULL)
        return;
    ch_map_free(m->memo);
    ch_match_index_free(m->lazy);
    ch_arena_free(m->arena);
    ch_free(m);
}

static void key_of(struct ch_buf *key, const char *eco, const char *release, const char *name)
{
    ch_buf_reset(key);
    ch_match_key_component(key, eco, release);
    (void)ch_buf_append_byte(key, '\x1f');
    (void)ch_pkgname_normalize(ch_str_c(eco), ch_str_c(name), key);
}

int ch_rem__match(struct ch_rem_matcher *m, const struct ch_match_component *c,
                  struct ch_arena *arena, struct ch_match_hit **ret_hits, size_t *ret_n,
                  struct ch_err *err)
{
    if (m->ix != NULL)
        return ch_match_component(m->ix, c, arena, ret_hits, ret_n, NULL, err);
    *ret_hits = NULL;
    *ret_n = 0;
    if (c->ecosystem == NULL || c->name == NULL || c->version == NULL)
        return CH_OK;
    const char *name = NULL, *version = NULL;
    ch_rem__match_name(c->ecosystem, c->name, c->version, c->source_name, c->source_version, &name,
                       &version);
    struct ch_buf mkey;
    ch_buf_init(&mkey, 2 * CH_REM_KEY_MAX);
    key_of(&mkey, c->ecosystem, c->release, name);
    (void)ch_buf_append_byte(&mkey, '\x1e');
    (void)ch_buf_append_c(&mkey, version);
    const struct memo *seen = mkey.failed ? NULL : ch_map_get(m->memo, ch_buf_str(&mkey));
    struct memo h = {0};
    int rc = CH_OK;
    if (seen != NULL) {
        h = *seen;
    } else {
        rc = ch_match_index_load(m->lazy, c, err);
        if (rc == CH_OK)
            rc = ch_match_component(m->lazy, c, m->arena, &h.v, &h.n, NULL, err);
        struct memo *mm =
            rc == CH_OK && !mkey.failed ? ch_arena_alloc(m->arena, sizeof(*mm)) : NULL;
        if (mm != NULL) {
            *mm = h;
            CH_IGNORE(ch_map_put(m->memo, ch_buf_str(&mkey), mm)); /* OOM: not remembered */
        }
    }
    ch_buf_release(&mkey);
    if (rc != CH_OK)
        return rc;
    /* the caller's copy: it may outlive nothing of ours but is its to keep */
    if (h.n > 0) {
        *ret_hits = ch_arena_alloc(arena, h.n * sizeof(*h.v));
        if (*ret_hits == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory matching");
        memcpy(*ret_hits, h.v, h.n * sizeof(*h.v));
    }
    *ret_n = h.n;
    return CH_OK;
}

/* ---- vulnerability facts ---------------------------------------------- */

struct ch_rem_vcache {
    struct ch_store *store;
    struct ch_arena *arena;
    struct ch_map *map; /* decimal vuln id → struct ch_rem_vinfo (arena) */
};

static void free_nothing(void *p)
{
    (void)p; /* values live in the arena */
}

struct ch_rem_vcache *ch_rem__vcache_new(struct ch_store *s)
{
    struct ch_rem_vcache *c = ch_calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->store = s;
    c->arena = ch_arena_new(MATCHER_ARENA_MAX);
    c->map = ch_map_new(0x76696e66, free_nothing);
    if (c->arena == NULL || c->map == NULL) {
        ch_rem__vcache_free(c);
        return NULL;
    }
    return c;
}

void ch_rem__vcache_free(struct ch_rem_vcache *c)
{
    if (c == NULL)
        return;
    ch_map_free(c->map);
    ch_arena_free(c->arena);
    ch_free(c);
}

static bool vec_has(struct ch_str vec, const char *metric)
{
    struct ch_str rest = vec, part;
    while (ch_str_split_next(&rest, '/', &part)) {
        if (ch_str_eq_c(part, metric))
            return true;
    }
    return false;
}

bool ch_rem__ssvc_from_cvss(const char *vector, const char **ret_automatable,
                            const char **ret_technical_impact)
{
    if (vector == NULL)
        return false;
    struct ch_str v = ch_str_c(vector);
    bool v4 = ch_str_starts_with(v, "CVSS:4");
    if (!v4 && !ch_str_starts_with(v, "CVSS:3"))
        return false;
    bool autom = vec_has(v, "AV:N") && vec_has(v, "PR:N") && vec_has(v, "UI:N");
    bool total =
        v4 ? vec_has(v, "VC:H") || vec_has(v, "VI:H") : vec_has(v, "C:H") || vec_has(v, "I:H");
    *ret_automatable = autom ? "yes" : "no";
    *ret_technical_impact = total ? "total" : "partial";
    return true;
}

struct record_scan {
    const char *vector; /* first CVSS v3 vector, else v4 (arena) */
    bool v3;
    bool poc; /* an exploit or evidence reference */
};

static void scan_reference(const cJSON *ref, struct record_scan *rs)
{
    const char *type = ch_json_str(ref, "type");
    if (type != NULL && strcmp(type, "EVIDENCE") == 0)
        rs->poc = true;
    const cJSON *tags = ch_json_arr(ref, "tags");
    for (const cJSON *t = tags != NULL ? tags->child : NULL; t != NULL; t = t->next) {
        if (cJSON_IsString(t) && strcmp(t->valuestring, "exploit") == 0)
            rs->poc = true;
    }
    const char *url = ch_json_str(ref, "url");
    if (url != NULL &&
        (strstr(url, "exploit-db.com/") != NULL || strstr(url, "/exploits/") != NULL))
        rs->poc = true;
}

static void scan_json(struct ch_arena *a, const cJSON *j, int depth, struct record_scan *rs)
{
    if (j == NULL || depth > RECORD_WALK_MAX_DEPTH)
        return;
    if (cJSON_IsString(j)) {
        const char *s = j->valuestring;
        bool is3 = strncmp(s, "CVSS:3", 6) == 0;
        if ((is3 && !rs->v3) || (strncmp(s, "CVSS:4", 6) == 0 && rs->vector == NULL)) {
            rs->vector = ch_arena_strdup(a, s);
            rs->v3 = is3;
        }
        return;
    }
    bool refs = j->string != NULL && strcmp(j->string, "references") == 0 && cJSON_IsArray(j);
    for (const cJSON *c = j->child; c != NULL; c = c->next) {
        if (refs && cJSON_IsObject(c))
            scan_reference(c, rs);
        scan_json(a, c, depth + 1, rs);
    }
}

static int scan_records(struct ch_rem_vcache *c, int64_t vuln, struct record_scan *rs,
                        struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(c->store,
                           "SELECT record FROM advisories WHERE vuln_id = ? AND withdrawn IS NULL"
                           " ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct ch_str rec = ch_stmt_text(st, 0);
        struct ch_err jerr = CH_ERR_INIT;
        cJSON *j = NULL;
        if (ch_json_parse(rec.ptr, rec.len, NULL, "record", &j, &jerr) != CH_OK)
            continue; /* stored records were parsed at import; a bad one only loses its vector */
        scan_json(c->arena, j, 0, rs);
        cJSON_Delete(j);
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static const char *adup(struct ch_arena *a, struct ch_stmt *st, int col)
{
    return ch_stmt_is_null(st, col) ? NULL : ch_arena_strdup(a, ch_stmt_cstr(st, col));
}

static int load_basic(struct ch_rem_vcache *c, int64_t vuln, struct ch_rem_vinfo *v,
                      struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        c->store,
        "SELECT v.display_id,"
        " (SELECT MAX(cvss_score) FROM advisories a WHERE a.vuln_id = v.id AND a.withdrawn IS "
        "NULL),"
        " (SELECT COALESCE(summary, SUBSTR(details, 1, 200)) FROM advisories a"
        "  WHERE a.vuln_id = v.id AND (a.summary IS NOT NULL OR a.details IS NOT NULL)"
        "  ORDER BY a.source LIMIT 1),"
        " (SELECT COUNT(*) FROM kev k JOIN vuln_keys kk ON kk.key = k.cve WHERE kk.vuln_id = v.id),"
        " (SELECT MIN(k.date_added) FROM kev k JOIN vuln_keys kk ON kk.key = k.cve"
        "  WHERE kk.vuln_id = v.id),"
        " (SELECT MIN(k.due_date) FROM kev k JOIN vuln_keys kk ON kk.key = k.cve"
        "  WHERE kk.vuln_id = v.id)"
        " FROM vulns v WHERE v.id = ?",
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        v->display_id = adup(c->arena, st, 0);
        v->cvss = ch_stmt_is_null(st, 1) ? -1 : ch_stmt_double(st, 1);
        v->summary = adup(c->arena, st, 2);
        v->kev = ch_stmt_int(st, 3) > 0;
        v->kev_added = v->kev && !ch_stmt_is_null(st, 4) ? ch_stmt_int(st, 4) : -1;
        v->kev_due = v->kev && !ch_stmt_is_null(st, 5) ? ch_stmt_int(st, 5) : -1;
        rc = v->display_id == NULL ? ch_err_set(err, CH_E_NOMEM, "out of memory") : CH_OK;
    } else if (rc == 0) {
        rc = ch_err_set(err, CH_E_NOTFOUND, "vulnerability %lld not found", (long long)vuln);
    }
    ch_stmt_reset(st);
    return rc;
}

static const char *norm_value(const char *s, const char *const *allowed, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (ch_str_case_eq_c(ch_str_c(s), allowed[i]))
            return allowed[i];
    }
    return NULL;
}

/* CISA ADP decision points stored with the vulnerability's CVE records. */
static int load_adp(struct ch_rem_vcache *c, int64_t vuln, struct ch_rem_vinfo *v,
                    struct ch_err *err)
{
    static const char *const expl[] = {"none", "poc", "active"};
    static const char *const yn[] = {"yes", "no"};
    static const char *const ti[] = {"partial", "total"};
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(c->store,
                           "SELECT ssvc_exploitation, ssvc_automatable, ssvc_technical_impact"
                           " FROM advisories WHERE vuln_id = ? AND withdrawn IS NULL"
                           " AND (ssvc_automatable IS NOT NULL OR ssvc_exploitation IS NOT NULL)"
                           " ORDER BY modified DESC, id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, vuln);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        v->exploitation = norm_value(ch_stmt_cstr(st, 0), expl, 3);
        const char *a = norm_value(ch_stmt_cstr(st, 1), yn, 2);
        const char *t = norm_value(ch_stmt_cstr(st, 2), ti, 2);
        if (a != NULL && t != NULL) {
            v->automatable = a;
            v->technical_impact = t;
            v->ssvc_source = "adp";
        }
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

void ch_rem__vcache_adopt(struct ch_rem_vcache *dst, const struct ch_rem_vcache *src)
{
    size_t it = 0;
    struct ch_str key;
    void *val;
    while (ch_map_next(src->map, &it, &key, &val)) {
        if (!ch_map_has(dst->map, key))
            CH_IGNORE(ch_map_put(dst->map, key, val)); /* OOM: read again when asked */
    }
}

int ch_rem__vinfo(struct ch_rem_vcache *c, int64_t vuln_id, const struct ch_rem_vinfo **ret,
                  struct ch_err *err)
{
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)vuln_id);
    struct ch_rem_vinfo *v = ch_map_get(c->map, ch_str_c(key));
    if (v != NULL) {
        *ret = v;
        return CH_OK;
    }
    v = ch_arena_calloc(c->arena, 1, sizeof(*v));
    if (v == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    v->vuln_id = vuln_id;
    int rc = load_basic(c, vuln_id, v, err);
    if (rc == CH_OK)
        rc = load_adp(c, vuln_id, v, err);
    struct record_scan rs = {0};
    bool need_records = v->ssvc_source == NULL || (!v->kev && v->exploitation == NULL);
    if (rc == CH_OK && need_records)
        rc = scan_records(c, vuln_id, &rs, err);
    if (rc != CH_OK)
        return rc;
    if (v->ssvc_source == NULL) {
        if (ch_rem__ssvc_from_cvss(rs.vector, &v->automatable, &v->technical_impact)) {
            v->ssvc_source = "cvss";
        } else {
            /* nothing known: assume the worst (docs/remediation.md) */
            v->automatable = "yes";
            v->technical_impact = "total";
            v->ssvc_source = "default";
        }
    }
    if (v->kev)
        v->exploitation = "active";
    else if (v->exploitation == NULL || strcmp(v->exploitation, "none") == 0)
        v->exploitation = rs.poc ? "poc" : v->exploitation == NULL ? "none" : v->exploitation;
    if (ch_map_put(c->map, ch_str_c(key), v) != CH_OK)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    *ret = v;
    return CH_OK;
}

/* ---- state ------------------------------------------------------------ */

int ch_rem__state_get(struct ch_store *s, const char *name, int64_t dflt, int64_t *ret,
                      struct ch_err *err)
{
    return ch_store_query_int(s, "SELECT value FROM remediate_state WHERE name = ?", name, dflt,
                              ret, err);
}

int ch_rem__state_set(struct ch_store *s, const char *name, int64_t v, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO remediate_state (name, value) VALUES (?, ?)"
                           " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, name);
    ch_stmt_bind_int(st, 2, v);
    return ch_stmt_run(st, err);
}
