/* SPDX-License-Identifier: Apache-2.0
 *
 * index.c: the matching index (see index.h).
 *
 * Memory layout: one arena holds every string, range and event; a hash map
 * goes from "ecosystem\x1fname" to a package record holding its entries in
 * one growable array. Built with one streaming SELECT over the affected
 * table; each row's ranges (stored as compact JSON by the importer) are
 * parsed once here.
 */
#include "match/index.h"

#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/map.h"
#include "version/range.h"
#include "version/version.h"
#include "vuln/pkgname.h"

/* Index strings, ranges and events of the whole knowledge base. */
#define INDEX_ARENA_MAX ((size_t)2 << 30)
#define KEY_MAX 1024

struct entry {
    int64_t vuln_id;
    int64_t advisory_id;
    const char *advisory;
    const char *ecosystem;
    struct ch_osv_affected aff;    /* views into the arena */
};

struct pkg {
    struct entry *entries;
    size_t n, cap;
};

struct ch_match_index {
    struct ch_arena *arena;
    struct ch_map *pkgs;           /* key → struct pkg (owned) */
    size_t entries;
};

static void pkg_free(void *p)
{
    struct pkg *k = p;
    if (k == NULL)
        return;
    ch_free(k->entries);
    ch_free(k);
}

void ch_match_index_free(struct ch_match_index *ix)
{
    if (ix == NULL)
        return;
    ch_map_free(ix->pkgs);
    ch_arena_free(ix->arena);
    ch_free(ix);
}

/* Appends the ecosystem part of an index key, normalising release markers. */
static void eco_key_index(struct ch_buf *b, const char *eco)
{
    if (strncmp(eco, "Ubuntu:", 7) == 0) {
        /* "Ubuntu:Pro:18.04:LTS" and "Ubuntu:22.04:LTS" → "Ubuntu:18.04", "Ubuntu:22.04" */
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

/* The ecosystem part of a component's key. */
static void eco_key_component(struct ch_buf *b, const char *eco, const char *release)
{
    (void)ch_buf_append_c(b, eco);
    if (release == NULL || release[0] == '\0')
        return;
    (void)ch_buf_append_byte(b, ':');
    if (strcmp(eco, "Alpine") == 0) {
        /* os-release says 3.19.1; OSV says v3.19 */
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

static void key_finish(struct ch_buf *b, const char *eco, const char *name)
{
    (void)ch_buf_append_byte(b, '\x1f');
    (void)ch_pkgname_normalize(ch_str_c(eco), ch_str_c(name), b);
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

/* Parses the stored ranges JSON into arena structs; -1 on anything malformed. */
static int load_ranges(struct ch_arena *a, const char *json, struct ch_osv_affected *aff)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    if (ch_json_parse(json, strlen(json), NULL, "ranges", &j, &err) != CH_OK)
        return -1;
    int rc = 0;
    size_t n = (size_t)cJSON_GetArraySize(j);
    struct ch_osv_range *ranges = ch_arena_calloc(a, n == 0 ? 1 : n, sizeof(*ranges));
    size_t i = 0;
    for (const cJSON *r = j->child; r != NULL && ranges != NULL && rc == 0; r = r->next, i++) {
        const char *type = ch_json_str(r, "type");
        ranges[i].type = type == NULL ? CH_OSV_RANGE_GIT
                         : strcmp(type, "SEMVER") == 0 ? CH_OSV_RANGE_SEMVER
                         : strcmp(type, "ECOSYSTEM") == 0 ? CH_OSV_RANGE_ECOSYSTEM
                                                         : CH_OSV_RANGE_GIT;
        const cJSON *ev = ch_json_arr(r, "events");
        size_t ne = ev != NULL ? (size_t)cJSON_GetArraySize(ev) : 0;
        struct ch_osv_event *events = ch_arena_calloc(a, ne == 0 ? 1 : ne, sizeof(*events));
        if (events == NULL) {
            rc = -1;
            break;
        }
        size_t k = 0;
        for (const cJSON *e = ev != NULL ? ev->child : NULL; e != NULL; e = e->next) {
            const cJSON *m = e->child;
            if (m == NULL || !cJSON_IsString(m) || parse_kind(m->string, &events[k].kind) != 0)
                continue;
            events[k].version = arena_view(a, m->valuestring);
            if (events[k].version.ptr == NULL) {
                rc = -1;
                break;
            }
            k++;
        }
        ranges[i].events = events;
        ranges[i].n_events = k;
    }
    if (ranges == NULL)
        rc = -1;
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

static int add_entry(struct ch_match_index *ix, struct ch_buf *key, struct entry *e,
                     struct ch_err *err)
{
    struct pkg *p = ch_map_get(ix->pkgs, ch_buf_str(key));
    if (p == NULL) {
        p = ch_calloc(1, sizeof(*p));
        if (p == NULL || ch_map_put(ix->pkgs, ch_buf_str(key), p) != CH_OK) {
            ch_free(p);
            return ch_err_set(err, CH_E_NOMEM, "out of memory building the matching index");
        }
    }
    if (p->n == p->cap) {
        size_t cap = p->cap == 0 ? 2 : p->cap * 2;
        struct entry *n = ch_reallocarray(p->entries, cap, sizeof(*n));
        if (n == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory building the matching index");
        p->entries = n;
        p->cap = cap;
    }
    p->entries[p->n++] = *e;
    ix->entries++;
    return CH_OK;
}

int ch_match_index_build(struct ch_store *s, struct ch_match_index **ret,
                         struct ch_match_build_stats *ret_stats, struct ch_err *err)
{
    int64_t t0 = ch_clock_mono_ns();
    struct ch_match_index *ix = ch_calloc(1, sizeof(*ix));
    if (ix == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory building the matching index");
    ix->arena = ch_arena_new(INDEX_ARENA_MAX);
    ix->pkgs = ch_map_new(0x6d617463, pkg_free);
    if (ix->arena == NULL || ix->pkgs == NULL) {
        ch_match_index_free(ix);
        return ch_err_set(err, CH_E_NOMEM, "out of memory building the matching index");
    }
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT a.vuln_id, a.id, a.source_id, f.ecosystem, f.name, f.ranges,"
                              " f.versions FROM affected f JOIN advisories a ON a.id = f.advisory_id"
                              " WHERE a.withdrawn IS NULL AND f.ecosystem IS NOT NULL"
                              " AND f.name IS NOT NULL"
                              " AND (f.ranges IS NOT NULL OR f.versions IS NOT NULL)",
                              &st, err);
    if (rc != CH_OK) {
        ch_match_index_free(ix);
        return rc;
    }
    struct ch_buf key;
    ch_buf_init(&key, KEY_MAX);
    size_t skipped = 0;
    const char *last_adv = NULL;
    int64_t last_adv_id = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct entry e = {.vuln_id = ch_stmt_int(st, 0), .advisory_id = ch_stmt_int(st, 1)};
        if (e.advisory_id != last_adv_id) {
            last_adv = ch_arena_strdup(ix->arena, ch_stmt_cstr(st, 2));
            last_adv_id = e.advisory_id;
        }
        e.advisory = last_adv;
        const char *eco = ch_stmt_cstr(st, 3);
        e.ecosystem = ch_arena_strdup(ix->arena, eco);
        if (e.advisory == NULL || e.ecosystem == NULL) {
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory building the matching index");
            break;
        }
        struct ch_err serr = CH_ERR_INIT;
        if (ch_version_scheme_for(ch_str_c(eco), &e.aff.scheme, &serr) != CH_OK)
            e.aff.scheme = NULL; /* unknown order: only versions[] can match, exactly */
        const char *ranges = ch_stmt_cstr(st, 5);
        const char *versions = ch_stmt_cstr(st, 6);
        if ((ranges != NULL && load_ranges(ix->arena, ranges, &e.aff) != 0) ||
            (versions != NULL && load_versions(ix->arena, versions, &e.aff) != 0)) {
            skipped++;
            continue;
        }
        ch_buf_reset(&key);
        eco_key_index(&key, eco);
        key_finish(&key, eco, ch_stmt_cstr(st, 4));
        if (key.failed) {
            skipped++;
            continue;
        }
        rc = add_entry(ix, &key, &e, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_free(st);
    ch_buf_release(&key);
    if (rc < 0) {
        ch_match_index_free(ix);
        return rc;
    }
    if (ret_stats != NULL) {
        *ret_stats = (struct ch_match_build_stats){
            .entries = ix->entries,
            .packages = ch_map_count(ix->pkgs),
            .skipped = skipped,
            .bytes = ch_arena_used(ix->arena) + ix->entries * sizeof(struct entry),
            .seconds = (double)(ch_clock_mono_ns() - t0) / 1e9,
        };
    }
    *ret = ix;
    return CH_OK;
}

/* Smallest `fixed` above v in the ranges of e that include v. */
static const char *smallest_fix(const struct entry *e, struct ch_str v)
{
    const struct ch_version_scheme *semver = NULL;
    struct ch_err err = CH_ERR_INIT;
    const char *best = NULL;
    for (size_t r = 0; r < e->aff.n_ranges; r++) {
        const struct ch_osv_range *rg = &e->aff.ranges[r];
        if (rg->type == CH_OSV_RANGE_GIT)
            continue;
        const struct ch_version_scheme *sch = e->aff.scheme;
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

static int match_key(const struct ch_match_index *ix, struct ch_buf *key, struct ch_str v,
                     struct ch_arena *arena, struct ch_match_hit **hits, size_t *n, size_t *cap,
                     size_t *unreadable, struct ch_err *err)
{
    const struct pkg *p = ch_map_get(ix->pkgs, ch_buf_str(key));
    if (p == NULL)
        return 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct entry *e = &p->entries[i];
        bool affected = false;
        struct ch_err merr = CH_ERR_INIT;
        if (ch_osv_is_affected(&e->aff, v, &affected, &merr) != CH_OK) {
            if (unreadable != NULL)
                (*unreadable)++;
            continue;
        }
        if (!affected)
            continue;
        /* one hit per advisory: an advisory may list the package twice */
        size_t k = 0;
        while (k < *n && (*hits)[k].advisory_id != e->advisory_id)
            k++;
        if (k < *n)
            continue;
        if (*n == *cap) {
            size_t ncap = *cap == 0 ? 8 : *cap * 2;
            struct ch_match_hit *nh = ch_arena_alloc(arena, ncap * sizeof(*nh));
            if (nh == NULL)
                return ch_err_set(err, CH_E_NOMEM, "out of memory matching");
            if (*n > 0)
                memcpy(nh, *hits, *n * sizeof(*nh));
            *hits = nh;
            *cap = ncap;
        }
        (*hits)[(*n)++] = (struct ch_match_hit){
            .vuln_id = e->vuln_id,
            .advisory_id = e->advisory_id,
            .advisory = e->advisory,
            .ecosystem = e->ecosystem,
            .fixed = smallest_fix(e, v),
        };
    }
    return 1;
}

int ch_match_component(const struct ch_match_index *ix, const struct ch_match_component *c,
                       struct ch_arena *arena, struct ch_match_hit **ret_hits, size_t *ret_n,
                       size_t *ret_unreadable, struct ch_err *err)
{
    *ret_hits = NULL;
    *ret_n = 0;
    if (c->ecosystem == NULL || c->name == NULL || c->version == NULL)
        return CH_OK;
    /* Debian and Ubuntu advisories name source packages */
    bool deb = strcmp(c->ecosystem, "Debian") == 0 || strcmp(c->ecosystem, "Ubuntu") == 0;
    const char *name = deb && c->source_name != NULL ? c->source_name : c->name;
    const char *version = deb && c->source_version != NULL ? c->source_version : c->version;
    struct ch_buf key;
    ch_buf_init(&key, KEY_MAX);
    struct ch_match_hit *hits = NULL;
    size_t n = 0, cap = 0;
    eco_key_component(&key, c->ecosystem, c->release);
    key_finish(&key, c->ecosystem, name);
    int found = match_key(ix, &key, ch_str_c(version), arena, &hits, &n, &cap, ret_unreadable,
                          err);
    if (found == 0 && c->release != NULL) {
        ch_buf_reset(&key);
        eco_key_component(&key, c->ecosystem, NULL);
        key_finish(&key, c->ecosystem, name);
        found = match_key(ix, &key, ch_str_c(version), arena, &hits, &n, &cap, ret_unreadable,
                          err);
    }
    ch_buf_release(&key);
    if (found < 0)
        return found;
    *ret_hits = hits;
    *ret_n = n;
    return CH_OK;
}

int ch_match_version_cmp(const char *ecosystem, const char *a, const char *b, int *ret,
                         struct ch_err *err)
{
    const struct ch_version_scheme *sch = NULL;
    int rc = ch_version_scheme_for(ch_str_c(ecosystem), &sch, err);
    if (rc != CH_OK)
        return rc;
    return ch_version_cmp(sch, ch_str_c(a), ch_str_c(b), ret, err);
}
