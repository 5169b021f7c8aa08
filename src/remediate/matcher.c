/* SPDX-License-Identifier: Apache-2.0
 *
 * matcher.c: package keys, the keyed matcher and vulnerability facts (see
 * internal.h).
 *
 * The keyed matcher evaluates exactly what the matching index does (the
 * same OSV range evaluation from version/range.h, the same keys, the same
 * release fallback, the same smallest-fix rule) but loads only the
 * packages it is asked about, so that a new advisory or a new inventory is
 * matched without building the whole index. tests/unit/remediate checks
 * that both give the same exposures.
 */
#include "remediate/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/map.h"
#include "version/range.h"
#include "version/version.h"
#include "vuln/pkgname.h"

/* Arena of one matcher or vulnerability cache: bounded by what one run touches. */
#define MATCHER_ARENA_MAX ((size_t)1 << 30)
/* Depth of the walk over a stored record looking for vectors and references. */
#define RECORD_WALK_MAX_DEPTH 24

void ch_rem__eco_key_index(struct ch_buf *b, const char *eco)
{
    if (strncmp(eco, "Ubuntu:", 7) == 0) {
        (void)ch_buf_append_c(b, "Ubuntu");
        struct ch_str rest = ch_str_c(eco + 7), part;
        while (ch_str_split_next(&rest, ':', &part)) {
            if (ch_str_eq_c(part, "Pro") || ch_str_eq_c(part, "LTS") || part.len == 0)
                continue;
            (void)ch_buf_append_byte(b, ':');
            (void)ch_buf_append_str(b, part);
        }
        return;
    }
    (void)ch_buf_append_c(b, eco);
}

void ch_rem__eco_key_component(struct ch_buf *b, const char *eco, const char *release)
{
    (void)ch_buf_append_c(b, eco);
    if (release == NULL || release[0] == '\0')
        return;
    (void)ch_buf_append_byte(b, ':');
    if (strcmp(eco, "Alpine") == 0) {
        const char *r = release[0] == 'v' ? release + 1 : release;
        const char *dot = strchr(r, '.');
        const char *dot2 = dot != NULL ? strchr(dot + 1, '.') : NULL;
        size_t n = dot2 != NULL ? (size_t)(dot2 - r) : strlen(r);
        (void)ch_buf_append_byte(b, 'v');
        (void)ch_buf_append(b, r, n);
        return;
    }
    (void)ch_buf_append_c(b, release);
}

void ch_rem__match_name(const char *eco, const char *name, const char *version,
                        const char *source_name, const char *source_version, const char **ret_name,
                        const char **ret_version)
{
    bool deb = eco != NULL && (strcmp(eco, "Debian") == 0 || strcmp(eco, "Ubuntu") == 0);
    *ret_name = deb && source_name != NULL ? source_name : name;
    *ret_version = deb && source_version != NULL ? source_version : version;
}

/* ---- the keyed matcher ------------------------------------------------ */

struct kentry {
    int64_t vuln_id;
    int64_t advisory_id;
    const char *advisory;
    const char *ecosystem;
    struct ch_osv_affected aff;
};

struct kpkg {
    struct kentry *entries;
    size_t n, cap;
};

/* A component's answer, kept for the next component with the same package
 * and version: estates repeat them (1,000 assets running one library at a
 * handful of versions), and evaluating a version against an advisory's
 * explicit version list parses every listed version. */
struct memo {
    struct ch_match_hit *v; /* in the matcher's arena */
    size_t n;
};

struct ch_rem_matcher {
    struct ch_store *store;
    const struct ch_match_index *ix;
    struct ch_arena *arena;
    struct ch_map *pkgs; /* "eco_key\x1fnorm" → struct kpkg */
    struct ch_map *memo; /* "eco_key\x1fnorm\x1eversion" → struct memo (arena) */
};

static void kpkg_free(void *p)
{
    struct kpkg *k = p;
    if (k == NULL)
        return;
    ch_free(k->entries);
    ch_free(k);
}

int ch_rem__matcher_new(struct ch_store *s, const struct ch_match_index *ix,
                        struct ch_rem_matcher **ret, struct ch_err *err)
{
    struct ch_rem_matcher *m = ch_calloc(1, sizeof(*m));
    if (m == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    m->store = s;
    m->ix = ix;
    m->arena = ch_arena_new(MATCHER_ARENA_MAX);
    m->pkgs = ch_map_new(0x72656d6d, kpkg_free);
    m->memo = ch_map_new(0x6d656d6f, NULL);
    if (m->arena == NULL || m->pkgs == NULL || m->memo == NULL) {
        ch_rem__matcher_free(m);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
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
    ch_map_free(m->pkgs);
    ch_arena_free(m->arena);
    ch_free(m);
}

static int parse_kind(const char *k, enum ch_osv_event_kind *ret)
{
    static const struct {
        const char *name;
        enum ch_osv_event_kind kind;
    } kinds[] = {{"introduced", CH_OSV_INTRODUCED},
                 {"fixed", CH_OSV_FIXED},
                 {"last_affected", CH_OSV_LAST_AFFECTED},
                 {"limit", CH_OSV_LIMIT}};
    for (size_t i = 0; i < CH_ARRAY_SIZE(kinds); i++) {
        if (strcmp(k, kinds[i].name) == 0) {
            *ret = kinds[i].kind;
            return 0;
        }
    }
    return -1;
}

static struct ch_str arena_view(struct ch_arena *a, const char *s)
{
    char *p = ch_arena_strdup(a, s);
    return p == NULL ? CH_STR_NULL : ch_str_make(p, strlen(p));
}

static int load_events(struct ch_arena *a, const cJSON *ev, struct ch_osv_range *r)
{
    size_t ne = ev != NULL ? (size_t)cJSON_GetArraySize(ev) : 0;
    struct ch_osv_event *events = ch_arena_calloc(a, ne == 0 ? 1 : ne, sizeof(*events));
    if (events == NULL)
        return -1;
    size_t k = 0;
    for (const cJSON *e = ev != NULL ? ev->child : NULL; e != NULL; e = e->next) {
        const cJSON *m = e->child;
        if (m == NULL || !cJSON_IsString(m) || parse_kind(m->string, &events[k].kind) != 0)
            continue;
        events[k].version = arena_view(a, m->valuestring);
        if (events[k].version.ptr == NULL)
            return -1;
        k++;
    }
    r->events = events;
    r->n_events = k;
    return 0;
}

/* The importer's compact ranges JSON → arena structs; -1 when malformed. */
static int load_ranges(struct ch_arena *a, const char *json, struct ch_osv_affected *aff)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    if (ch_json_parse(json, strlen(json), NULL, "ranges", &j, &err) != CH_OK)
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(j);
    struct ch_osv_range *ranges = ch_arena_calloc(a, n == 0 ? 1 : n, sizeof(*ranges));
    int rc = ranges == NULL ? -1 : 0;
    size_t i = 0;
    for (const cJSON *r = j->child; r != NULL && rc == 0; r = r->next, i++) {
        const char *type = ch_json_str(r, "type");
        ranges[i].type = type == NULL                     ? CH_OSV_RANGE_GIT
                         : strcmp(type, "SEMVER") == 0    ? CH_OSV_RANGE_SEMVER
                         : strcmp(type, "ECOSYSTEM") == 0 ? CH_OSV_RANGE_ECOSYSTEM
                                                          : CH_OSV_RANGE_GIT;
        rc = load_events(a, ch_json_arr(r, "events"), &ranges[i]);
    }
    aff->ranges = ranges;
    aff->n_ranges = rc == 0 ? n : 0;
    cJSON_Delete(j);
    return rc;
}

static int load_versions(struct ch_arena *a, const char *json, struct ch_osv_affected *aff)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    if (ch_json_parse(json, strlen(json), NULL, "versions", &j, &err) != CH_OK)
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(j);
    struct ch_str *v = ch_arena_calloc(a, n == 0 ? 1 : n, sizeof(*v));
    size_t i = 0;
    for (const cJSON *c = j->child; c != NULL && v != NULL; c = c->next) {
        if (!cJSON_IsString(c))
            continue;
        v[i] = arena_view(a, c->valuestring);
        if (v[i].ptr == NULL)
            break;
        i++;
    }
    cJSON_Delete(j);
    if (v == NULL)
        return -1;
    aff->versions = v;
    aff->n_versions = i;
    return 0;
}

static int kpkg_add(struct kpkg *p, const struct kentry *e, struct ch_err *err)
{
    if (p->n == p->cap) {
        size_t cap = p->cap == 0 ? 4 : p->cap * 2;
        struct kentry *n = ch_reallocarray(p->entries, cap, sizeof(*n));
        if (n == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        p->entries = n;
        p->cap = cap;
    }
    p->entries[p->n++] = *e;
    return CH_OK;
}

/* Loads the entries stored under one raw ecosystem name and normalised name. */
static int load_raw(struct ch_rem_matcher *m, struct kpkg *p, const char *eco, const char *norm,
                    struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(m->store,
                           "SELECT a.vuln_id, a.id, a.source_id, f.ecosystem, f.ranges, f.versions"
                           " FROM affected f JOIN advisories a ON a.id = f.advisory_id"
                           " WHERE f.ecosystem = ? AND f.norm_name = ? AND a.withdrawn IS NULL"
                           " AND (f.ranges IS NOT NULL OR f.versions IS NOT NULL)"
                           " ORDER BY f.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, eco);
    ch_stmt_bind_cstr(st, 2, norm);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct kentry e = {.vuln_id = ch_stmt_int(st, 0), .advisory_id = ch_stmt_int(st, 1)};
        e.advisory = ch_arena_strdup(m->arena, ch_stmt_cstr(st, 2));
        e.ecosystem = ch_arena_strdup(m->arena, ch_stmt_cstr(st, 3));
        if (e.advisory == NULL || e.ecosystem == NULL) {
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
            break;
        }
        struct ch_err serr = CH_ERR_INIT;
        if (ch_version_scheme_for(ch_str_c(e.ecosystem), &e.aff.scheme, &serr) != CH_OK)
            e.aff.scheme = NULL;
        const char *ranges = ch_stmt_cstr(st, 4);
        const char *versions = ch_stmt_cstr(st, 5);
        if ((ranges != NULL && load_ranges(m->arena, ranges, &e.aff) != 0) ||
            (versions != NULL && load_versions(m->arena, versions, &e.aff) != 0))
            continue; /* the index skips such entries too */
        rc = kpkg_add(p, &e, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

/* The entries of key "eco_key\x1fnorm", loaded on first use. */
static int kpkg_get(struct ch_rem_matcher *m, struct ch_str key, const struct kpkg **ret,
                    struct ch_err *err)
{
    struct kpkg *p = ch_map_get(m->pkgs, key);
    if (p != NULL) {
        *ret = p;
        return CH_OK;
    }
    p = ch_calloc(1, sizeof(*p));
    if (p == NULL || ch_map_put(m->pkgs, key, p) != CH_OK) {
        ch_free(p);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    long sep = ch_str_find_char(key, '\x1f');
    char eco[256], norm[CH_REM_KEY_MAX];
    if (sep < 0 || (size_t)sep >= sizeof(eco) || key.len - (size_t)sep > sizeof(norm))
        return CH_OK;
    memcpy(eco, key.ptr, (size_t)sep);
    eco[sep] = '\0';
    memcpy(norm, key.ptr + sep + 1, key.len - (size_t)sep - 1);
    norm[key.len - (size_t)sep - 1] = '\0';
    int rc = load_raw(m, p, eco, norm, err);
    if (rc == CH_OK && strncmp(eco, "Ubuntu:", 7) == 0) {
        /* the index folds "Ubuntu:R:LTS", "Ubuntu:Pro:R" and "Ubuntu:Pro:R:LTS" into "Ubuntu:R" */
        for (int i = 0; rc == CH_OK && i < 3; i++) {
            char raw[300];
            if (i == 0)
                snprintf(raw, sizeof(raw), "Ubuntu:%s:LTS", eco + 7);
            else if (i == 1)
                snprintf(raw, sizeof(raw), "Ubuntu:Pro:%s", eco + 7);
            else
                snprintf(raw, sizeof(raw), "Ubuntu:Pro:%s:LTS", eco + 7);
            rc = load_raw(m, p, raw, norm, err);
        }
    }
    *ret = p;
    return rc;
}

struct hits {
    struct ch_match_hit *v;
    size_t n, cap;
};

static int hits_add(struct ch_arena *arena, struct hits *h, const struct kentry *e,
                    struct ch_str version, struct ch_err *err)
{
    for (size_t k = 0; k < h->n; k++) {
        if (h->v[k].advisory_id == e->advisory_id)
            return CH_OK;
    }
    if (h->n == h->cap) {
        size_t ncap = h->cap == 0 ? 8 : h->cap * 2;
        struct ch_match_hit *nh = ch_arena_alloc(arena, ncap * sizeof(*nh));
        if (nh == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory matching");
        if (h->n > 0)
            memcpy(nh, h->v, h->n * sizeof(*nh));
        h->v = nh;
        h->cap = ncap;
    }
    h->v[h->n++] = (struct ch_match_hit){.vuln_id = e->vuln_id,
                                         .advisory_id = e->advisory_id,
                                         .advisory = e->advisory,
                                         .ecosystem = e->ecosystem,
                                         .fixed = ch_osv_smallest_fix(&e->aff, version)};
    return CH_OK;
}

/* 1 when the key has entries (even if none matched), 0 when it has none. */
static int match_key(struct ch_rem_matcher *m, struct ch_buf *key, struct ch_str version,
                     struct ch_arena *arena, struct hits *h, struct ch_err *err)
{
    const struct kpkg *p = NULL;
    int rc = kpkg_get(m, ch_buf_str(key), &p, err);
    if (rc != CH_OK)
        return rc;
    for (size_t i = 0; i < p->n; i++) {
        bool affected = false;
        struct ch_err merr = CH_ERR_INIT;
        if (ch_osv_is_affected(&p->entries[i].aff, version, &affected, &merr) != CH_OK || !affected)
            continue;
        rc = hits_add(arena, h, &p->entries[i], version, err);
        if (rc != CH_OK)
            return rc;
    }
    return p->n > 0 ? 1 : 0;
}

static void key_of(struct ch_buf *key, const char *eco, const char *release, const char *name)
{
    ch_buf_reset(key);
    ch_rem__eco_key_component(key, eco, release);
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
    struct ch_buf key, mkey;
    ch_buf_init(&key, CH_REM_KEY_MAX);
    ch_buf_init(&mkey, 2 * CH_REM_KEY_MAX);
    struct hits h = {0};
    key_of(&key, c->ecosystem, c->release, name);
    (void)ch_buf_append_str(&mkey, ch_buf_str(&key));
    (void)ch_buf_append_byte(&mkey, '\x1e');
    (void)ch_buf_append_c(&mkey, version);
    const struct memo *seen = mkey.failed ? NULL : ch_map_get(m->memo, ch_buf_str(&mkey));
    int found = 0;
    if (seen != NULL) {
        h.v = seen->v;
        h.n = seen->n;
    } else {
        found = key.failed ? 0 : match_key(m, &key, ch_str_c(version), m->arena, &h, err);
        if (found == 0 && c->release != NULL) {
            key_of(&key, c->ecosystem, NULL, name);
            found = key.failed ? 0 : match_key(m, &key, ch_str_c(version), m->arena, &h, err);
        }
        struct memo *mm = found >= 0 && !mkey.failed ? ch_arena_alloc(m->arena, sizeof(*mm)) : NULL;
        if (mm != NULL) {
            *mm = (struct memo){.v = h.v, .n = h.n};
            CH_IGNORE(ch_map_put(m->memo, ch_buf_str(&mkey), mm)); /* OOM: not remembered */
        }
    }
    ch_buf_release(&mkey);
    ch_buf_release(&key);
    if (found < 0)
        return found;
    /* the caller's copy: it may outlive nothing of ours but is its to keep */
    *ret_hits = NULL;
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
