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

#include <stdio.h>
#include <stdlib.h>
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

/*
 * Fast path. At build, every version an entry of a package names is placed
 * in one sorted list per order (the ecosystem's, and SemVer for SEMVER
 * ranges); events then carry their rank in that list. Matching a component
 * finds its version's position once per list (a binary search) and
 * evaluates every range of every entry with integer comparisons. The
 * semantics are exactly ch_osv_is_affected()'s (a test compares the two on
 * the whole shared data set); entries with anything the fast path cannot
 * rank fall back to it.
 */
struct rev {
    int32_t rank;                  /* -1: introduced "0"; INT32_MAX: limit "*" */
    uint8_t kind;                  /* enum ch_osv_event_kind */
    uint8_t semver;                /* ranked in the SemVer list */
    uint16_t pad;
    uint32_t order;                /* position in the record's list */
    const char *version;
};

struct rrange {
    struct rev *ev;                /* sorted by (rank, order) */
    uint32_t n;
    uint8_t semver;
    uint8_t git;
};

struct entry {
    int64_t vuln_id;
    int64_t advisory_id;
    const char *advisory;
    const char *ecosystem;
    struct ch_osv_affected aff;    /* views into the arena: the reference path */
    struct rrange *rr;             /* fast path, or NULL: use aff */
    int32_t *listed;               /* ranks of versions[] that parse */
    uint32_t n_listed;
    const char **unlisted;         /* versions[] that do not parse: matched as text */
    uint32_t n_unlisted;
};

struct pkg {
    struct entry *entries;
    size_t n, cap;
    const struct ch_version_scheme *scheme;
    const char **eco_sorted;       /* distinct versions, ecosystem order (ties merged) */
    int32_t *eco_rank;             /* rank of each sorted string (equal versions share one) */
    size_t n_eco;
    const char **sem_sorted;
    int32_t *sem_rank;
    size_t n_sem;
    uint32_t *eco_by_text;         /* indices into eco_sorted, in strcmp order */
    uint32_t *sem_by_text;
};

struct ch_match_index {
    const struct ch_version_scheme *semver; /* for SEMVER ranges */
    struct ch_arena *arena;
    struct ch_map *pkgs;           /* key → struct pkg (owned) */
    size_t entries;
    struct ch_store *lazy;         /* ch_match_index_new_lazy: where packages come from */
    struct ch_map *loaded;         /* lazy: keys already asked for (with entries or not) */
};

static void pkg_free(void *p)
{
    struct pkg *k = p;
    if (k == NULL)
        return;
    ch_free(k->entries);
    ch_free(k->eco_sorted);
    ch_free(k->eco_rank);
    ch_free(k->sem_sorted);
    ch_free(k->sem_rank);
    ch_free(k->eco_by_text);
    ch_free(k->sem_by_text);
    ch_free(k);
}

void ch_match_index_free(struct ch_match_index *ix)
{
    if (ix == NULL)
        return;
    ch_map_free(ix->pkgs);
    ch_map_free(ix->loaded);
    ch_arena_free(ix->arena);
    ch_free(ix);
}

/* Appends the ecosystem part of an index key, normalising release markers. */
void ch_match_key_index(struct ch_buf *b, const char *eco)
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
void ch_match_key_component(struct ch_buf *b, const char *eco, const char *release)
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

static int finalize_pkg(struct ch_match_index *ix, struct pkg *p, struct ch_err *err);

/* An empty index: arena, map, the SemVer order. */
static int index_new(struct ch_match_index **ret, struct ch_err *err)
{
    struct ch_match_index *ix = ch_calloc(1, sizeof(*ix));
    if (ix == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory building the matching index");
    ix->arena = ch_arena_new(INDEX_ARENA_MAX);
    ix->pkgs = ch_map_new(0x6d617463, pkg_free);
    struct ch_err serr = CH_ERR_INIT;
    if (ch_version_scheme_by_name(ch_str_c("semver"), &ix->semver, &serr) != CH_OK)
        ix->semver = NULL;
    if (ix->arena == NULL || ix->pkgs == NULL) {
        ch_match_index_free(ix);
        return ch_err_set(err, CH_E_NOMEM, "out of memory building the matching index");
    }
    *ret = ix;
    return CH_OK;
}

/* The columns both loaders select, in this order. */
#define ENTRY_COLUMNS                                                                              \
    "SELECT a.vuln_id, a.id, a.source_id, f.ecosystem, f.name, f.ranges, f.versions"              \
    " FROM affected f JOIN advisories a ON a.id = f.advisory_id"                                   \
    " WHERE a.withdrawn IS NULL AND f.ecosystem IS NOT NULL AND f.name IS NOT NULL"                \
    " AND (f.ranges IS NOT NULL OR f.versions IS NOT NULL)"

/*
 * One row of ENTRY_COLUMNS into an entry under its key (key, when not NULL,
 * overrides the row's own). *ret_skipped is set for rows that cannot be
 * indexed (malformed ranges). last_* carry the previous row's advisory, so
 * one advisory's id string is stored once.
 */
static int add_row(struct ch_match_index *ix, struct ch_stmt *st, struct ch_buf *key,
                   int64_t *last_adv_id, const char **last_adv, bool *ret_skipped,
                   struct ch_err *err)
{
    *ret_skipped = false;
    struct entry e = {.vuln_id = ch_stmt_int(st, 0), .advisory_id = ch_stmt_int(st, 1)};
    if (e.advisory_id != *last_adv_id || *last_adv == NULL) {
        *last_adv = ch_arena_strdup(ix->arena, ch_stmt_cstr(st, 2));
        *last_adv_id = e.advisory_id;
    }
    e.advisory = *last_adv;
    const char *eco = ch_stmt_cstr(st, 3);
    e.ecosystem = ch_arena_strdup(ix->arena, eco);
    if (e.advisory == NULL || e.ecosystem == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory building the matching index");
    struct ch_err eco_err = CH_ERR_INIT;
    if (ch_version_scheme_for(ch_str_c(eco), &e.aff.scheme, &eco_err) != CH_OK)
        e.aff.scheme = NULL; /* unknown order: only versions[] can match, exactly */
    const char *ranges = ch_stmt_cstr(st, 5);
    const char *versions = ch_stmt_cstr(st, 6);
    if ((ranges != NULL && load_ranges(ix->arena, ranges, &e.aff) != 0) ||
        (versions != NULL && load_versions(ix->arena, versions, &e.aff) != 0)) {
        *ret_skipped = true;
        return CH_OK;
    }
    struct ch_buf own;
    ch_buf_init(&own, KEY_MAX);
    if (key == NULL) {
        ch_match_key_index(&own, eco);
        key_finish(&own, eco, ch_stmt_cstr(st, 4));
        key = &own;
    }
    int rc = key->failed ? CH_OK : add_entry(ix, key, &e, err);
    *ret_skipped = key->failed;
    ch_buf_release(&own);
    return rc;
}

int ch_match_index_build(struct ch_store *s, struct ch_match_index **ret,
                         struct ch_match_build_stats *ret_stats, struct ch_err *err)
{
    int64_t t0 = ch_clock_mono_ns();
    struct ch_match_index *ix = NULL;
    int rc = index_new(&ix, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_prepare(s, ENTRY_COLUMNS, &st, err);
    if (rc != CH_OK) {
        ch_match_index_free(ix);
        return rc;
    }
    size_t skipped = 0;
    const char *last_adv = NULL;
    int64_t last_adv_id = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        bool skip = false;
        rc = add_row(ix, st, NULL, &last_adv_id, &last_adv, &skip, err);
        if (rc != CH_OK)
            break;
        skipped += skip;
    }
    ch_stmt_free(st);
    size_t it = 0;
    struct ch_str k;
    void *v = NULL;
    while (rc >= 0 && ch_map_next(ix->pkgs, &it, &k, &v))
        rc = finalize_pkg(ix, v, err);
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

int ch_match_index_new_lazy(struct ch_store *s, struct ch_match_index **ret, struct ch_err *err)
{
    struct ch_match_index *ix = NULL;
    int rc = index_new(&ix, err);
    if (rc != CH_OK)
        return rc;
    ix->lazy = s;
    ix->loaded = ch_map_new(0x6c617a79, NULL);
    if (ix->loaded == NULL) {
        ch_match_index_free(ix);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    *ret = ix;
    return CH_OK;
}

/* Adds the rows stored under one raw ecosystem name and normalised name to key. */
static int load_raw(struct ch_match_index *ix, struct ch_buf *key, const char *eco,
                    const char *norm, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(ix->lazy,
                           ENTRY_COLUMNS " AND f.ecosystem = ? AND f.norm_name = ? ORDER BY f.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, eco);
    ch_stmt_bind_cstr(st, 2, norm);
    const char *last_adv = NULL;
    int64_t last_adv_id = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        bool skip = false;
        rc = add_row(ix, st, key, &last_adv_id, &last_adv, &skip, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

/* Loads one key ("eco_key\x1fnorm") the first time it is asked for. */
static int load_key(struct ch_match_index *ix, struct ch_buf *key, struct ch_err *err)
{
    if (key->failed || ch_map_has(ix->loaded, ch_buf_str(key)))
        return CH_OK;
    if (ch_map_put(ix->loaded, ch_buf_str(key), ix) != CH_OK)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    struct ch_str k = ch_buf_str(key);
    long sep = ch_str_find_char(k, '\x1f');
    char eco[256], norm[KEY_MAX];
    if (sep < 0 || (size_t)sep >= sizeof(eco) || k.len - (size_t)sep > sizeof(norm))
        return CH_OK;
    memcpy(eco, k.ptr, (size_t)sep);
    eco[sep] = '\0';
    memcpy(norm, k.ptr + sep + 1, k.len - (size_t)sep - 1);
    norm[k.len - (size_t)sep - 1] = '\0';
    int rc = load_raw(ix, key, eco, norm, err);
    if (rc == CH_OK && strncmp(eco, "Ubuntu:", 7) == 0) {
        /* ch_match_key_index folds "Ubuntu:R:LTS", "Ubuntu:Pro:R" and "Ubuntu:Pro:R:LTS" into "Ubuntu:R" */
        for (int i = 0; rc == CH_OK && i < 3; i++) {
            char raw[300];
            if (i == 0)
                snprintf(raw, sizeof(raw), "Ubuntu:%s:LTS", eco + 7);
            else if (i == 1)
                snprintf(raw, sizeof(raw), "Ubuntu:Pro:%s", eco + 7);
            else
                snprintf(raw, sizeof(raw), "Ubuntu:Pro:%s:LTS", eco + 7);
            rc = load_raw(ix, key, raw, norm, err);
        }
    }
    struct pkg *p = ch_map_get(ix->pkgs, ch_buf_str(key));
    if (rc == CH_OK && p != NULL)
        rc = finalize_pkg(ix, p, err);
    return rc;
}

/* ---- fast path: ranks ---- */

struct sort_ctx {
    const struct ch_version_scheme *scheme;
};

static int cmp_versions(const void *a, const void *b, void *ctx)
{
    const struct sort_ctx *c = ctx;
    int r = 0;
    struct ch_err err = CH_ERR_INIT;
    if (ch_version_cmp(c->scheme, ch_str_c(*(const char *const *)a),
                       ch_str_c(*(const char *const *)b), &r, &err) != CH_OK)
        return strcmp(*(const char *const *)a, *(const char *const *)b);
    return r;
}

static bool is_zero(const char *v)
{
    return strcmp(v, "0") == 0;
}

/* Collects the distinct valid versions named under one order into a sorted, ranked list. */
static int rank_list(struct pkg *p, const struct ch_version_scheme *sch, bool semver,
                     const char ***ret_sorted, int32_t **ret_rank, size_t *ret_n,
                     struct ch_map *rank_of, struct ch_err *err)
{
    struct ch_map *seen = ch_map_new(0x72616e6b, NULL);
    size_t n = 0, cap = 0;
    const char **list = NULL;
    int rc = seen == NULL ? CH_E_NOMEM : CH_OK;
    for (size_t i = 0; rc == CH_OK && i < p->n; i++) {
        const struct entry *e = &p->entries[i];
        for (size_t r = 0; rc == CH_OK && r <= e->aff.n_ranges; r++) {
            /* r == n_ranges stands for the versions[] list (ecosystem order) */
            bool is_list = r == e->aff.n_ranges;
            const struct ch_osv_range *rg = is_list ? NULL : &e->aff.ranges[r];
            if (!is_list && (rg->type == CH_OSV_RANGE_GIT ||
                             (rg->type == CH_OSV_RANGE_SEMVER) != semver))
                continue;
            if (is_list && semver)
                continue;
            size_t count = is_list ? e->aff.n_versions : rg->n_events;
            for (size_t k = 0; rc == CH_OK && k < count; k++) {
                struct ch_str v = is_list ? e->aff.versions[k] : rg->events[k].version;
                if ((!is_list && rg->events[k].kind == CH_OSV_INTRODUCED && is_zero(v.ptr)) ||
                    ch_str_find_char(v, '*') >= 0 || ch_map_has(seen, v))
                    continue;
                struct ch_err verr = CH_ERR_INIT;
                if (ch_version_validate(sch, v, &verr) != CH_OK)
                    continue;
                if (ch_map_put(seen, v, NULL) != CH_OK) {
                    rc = CH_E_NOMEM;
                    break;
                }
                if (n == cap) {
                    size_t ncap = cap == 0 ? 16 : cap * 2;
                    const char **nl = ch_reallocarray(list, ncap, sizeof(*nl));
                    if (nl == NULL) {
                        rc = CH_E_NOMEM;
                        break;
                    }
                    list = nl;
                    cap = ncap;
                }
                list[n++] = v.ptr;
            }
        }
    }
    ch_map_free(seen);
    int32_t *rank = rc == CH_OK ? ch_calloc(n == 0 ? 1 : n, sizeof(*rank)) : NULL;
    if (rc == CH_OK && rank == NULL)
        rc = CH_E_NOMEM;
    if (rc == CH_OK && n > 1) {
        struct sort_ctx ctx = {sch};
        qsort_r(list, n, sizeof(*list), cmp_versions, &ctx);
    }
    int32_t cur = -1;
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        if (i == 0 || cmp_versions(&list[i - 1], &list[i], &(struct sort_ctx){sch}) != 0)
            cur++;
        rank[i] = cur;
        if (ch_map_put(rank_of, ch_str_c(list[i]), (void *)(intptr_t)(cur + 1)) != CH_OK)
            rc = CH_E_NOMEM;
    }
    if (rc != CH_OK) {
        ch_free(list);
        ch_free(rank);
        return ch_err_set(err, CH_E_NOMEM, "out of memory ranking versions");
    }
    *ret_sorted = list;
    *ret_rank = rank;
    *ret_n = n;
    return CH_OK;
}

static int cmp_rev(const void *a, const void *b)
{
    const struct rev *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

/* Ranks one entry's events; leaves e->rr NULL when something cannot be ranked. */
static int rank_entry(struct ch_arena *a, struct entry *e, struct ch_map *eco_rank,
                      struct ch_map *sem_rank)
{
    if (e->aff.scheme == NULL)
        return CH_OK;
    struct rrange *rr = ch_arena_calloc(a, e->aff.n_ranges == 0 ? 1 : e->aff.n_ranges, sizeof(*rr));
    if (rr == NULL)
        return CH_E_NOMEM;
    for (size_t r = 0; r < e->aff.n_ranges; r++) {
        const struct ch_osv_range *rg = &e->aff.ranges[r];
        rr[r].git = rg->type == CH_OSV_RANGE_GIT;
        rr[r].semver = rg->type == CH_OSV_RANGE_SEMVER;
        if (rr[r].git)
            continue;
        struct rev *ev = ch_arena_calloc(a, rg->n_events == 0 ? 1 : rg->n_events, sizeof(*ev));
        if (ev == NULL)
            return CH_E_NOMEM;
        for (size_t k = 0; k < rg->n_events; k++) {
            const struct ch_osv_event *oe = &rg->events[k];
            ev[k] = (struct rev){.kind = (uint8_t)oe->kind, .semver = rr[r].semver,
                                 .order = (uint32_t)k, .version = oe->version.ptr};
            if (oe->kind == CH_OSV_INTRODUCED && is_zero(oe->version.ptr)) {
                ev[k].rank = -1;
            } else if (oe->kind == CH_OSV_LIMIT && ch_str_find_char(oe->version, '*') >= 0) {
                ev[k].rank = INT32_MAX;
            } else {
                intptr_t rk = (intptr_t)ch_map_get(rr[r].semver ? sem_rank : eco_rank,
                                                   oe->version);
                if (rk == 0)
                    return CH_OK; /* an unreadable event: the reference path reports it */
                ev[k].rank = (int32_t)(rk - 1);
            }
        }
        qsort(ev, rg->n_events, sizeof(*ev), cmp_rev);
        rr[r].ev = ev;
        rr[r].n = (uint32_t)rg->n_events;
    }
    size_t nl = 0, nu = 0;
    int32_t *listed = ch_arena_calloc(a, e->aff.n_versions + 1, sizeof(*listed));
    const char **unlisted = ch_arena_calloc(a, e->aff.n_versions + 1, sizeof(*unlisted));
    if (listed == NULL || unlisted == NULL)
        return CH_E_NOMEM;
    for (size_t k = 0; k < e->aff.n_versions; k++) {
        intptr_t rk = (intptr_t)ch_map_get(eco_rank, e->aff.versions[k]);
        if (rk == 0)
            unlisted[nu++] = e->aff.versions[k].ptr;
        else
            listed[nl++] = (int32_t)(rk - 1);
    }
    e->listed = listed;
    e->n_listed = (uint32_t)nl;
    e->unlisted = unlisted;
    e->n_unlisted = (uint32_t)nu;
    e->rr = rr;
    return CH_OK;
}

static void no_free(void *p)
{
    (void)p;
}

static int cmp_text_idx(const void *a, const void *b, void *ctx)
{
    const char *const *base = ctx;
    return strcmp(base[*(const uint32_t *)a], base[*(const uint32_t *)b]);
}

/* Indices of sorted[] in byte order, so an exact spelling is found without parsing. */
static uint32_t *text_order(const char **sorted, size_t n)
{
    uint32_t *idx = ch_calloc(n == 0 ? 1 : n, sizeof(*idx));
    if (idx == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    qsort_r(idx, n, sizeof(*idx), cmp_text_idx, (void *)sorted);
    return idx;
}

static int finalize_pkg(struct ch_match_index *ix, struct pkg *p, struct ch_err *err)
{
    p->scheme = p->n > 0 ? p->entries[0].aff.scheme : NULL;
    if (p->scheme == NULL)
        return CH_OK;
    struct ch_err serr = CH_ERR_INIT;
    const struct ch_version_scheme *sem = NULL;
    if (ch_version_scheme_by_name(ch_str_c("semver"), &sem, &serr) != CH_OK)
        return CH_OK;
    struct ch_map *eco_rank = ch_map_new(1, no_free), *sem_rank = ch_map_new(2, no_free);
    int rc = eco_rank == NULL || sem_rank == NULL
                 ? ch_err_set(err, CH_E_NOMEM, "out of memory ranking versions")
                 : CH_OK;
    if (rc == CH_OK)
        rc = rank_list(p, p->scheme, false, &p->eco_sorted, &p->eco_rank, &p->n_eco, eco_rank, err);
    if (rc == CH_OK)
        rc = rank_list(p, sem, true, &p->sem_sorted, &p->sem_rank, &p->n_sem, sem_rank, err);
    if (rc == CH_OK) {
        p->eco_by_text = text_order(p->eco_sorted, p->n_eco);
        p->sem_by_text = text_order(p->sem_sorted, p->n_sem);
        if (p->eco_by_text == NULL || p->sem_by_text == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory ranking versions");
    }
    for (size_t i = 0; rc == CH_OK && i < p->n; i++) {
        if (p->entries[i].aff.scheme != p->scheme)
            continue;
        if (rank_entry(ix->arena, &p->entries[i], eco_rank, sem_rank) != CH_OK)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory ranking versions");
    }
    ch_map_free(eco_rank);
    ch_map_free(sem_rank);
    return rc;
}

/* Where v falls in a sorted list: the rank of the first entry >= v, and whether it is equal. */
struct pos {
    int32_t r;          /* ranks below r are < v */
    bool exact;         /* v equals the version(s) of rank r */
    bool ok;
};

static struct pos locate(const struct ch_version_scheme *sch, const char **sorted,
                         const int32_t *rank, const uint32_t *by_text, size_t n, struct ch_str v)
{
    struct pos p = {.ok = false};
    struct ch_err err = CH_ERR_INIT;
    /* most versions in inventories are spelt exactly as an advisory spells them */
    size_t tlo = 0, thi = n;
    while (by_text != NULL && tlo < thi) {
        size_t mid = tlo + (thi - tlo) / 2;
        int c = ch_str_cmp(ch_str_c(sorted[by_text[mid]]), v);
        if (c == 0)
            return (struct pos){.r = rank[by_text[mid]], .exact = true, .ok = true};
        if (c < 0)
            tlo = mid + 1;
        else
            thi = mid;
    }
    if (ch_version_validate(sch, v, &err) != CH_OK)
        return p;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = 0;
        if (ch_version_cmp(sch, ch_str_c(sorted[mid]), v, &c, &err) != CH_OK)
            return p;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    p.ok = true;
    p.r = lo < n ? rank[lo] : (n > 0 ? rank[n - 1] + 1 : 0);
    if (lo < n) {
        int c = 1;
        p.exact = ch_version_cmp(sch, ch_str_c(sorted[lo]), v, &c, &err) == CH_OK && c == 0;
    }
    return p;
}

/* v >= event, v > event, in ranks. */
static bool ge(const struct pos *p, int32_t k)
{
    return k < p->r || (k == p->r && p->exact);
}

static bool gt(const struct pos *p, int32_t k)
{
    return k < p->r;
}

static bool range_includes(const struct rrange *rr, const struct pos *p)
{
    bool any_limit = false, below = false;
    const struct rev *best = NULL;
    for (uint32_t i = 0; i < rr->n; i++) {
        const struct rev *e = &rr->ev[i];
        if (e->kind == CH_OSV_LIMIT) {
            any_limit = true;
            if (e->rank == INT32_MAX || !ge(p, e->rank))
                below = true;
            continue;
        }
        bool applies = e->rank == -1 || (e->kind == CH_OSV_LAST_AFFECTED ? gt(p, e->rank)
                                                                         : ge(p, e->rank));
        if (applies)
            best = e; /* sorted by (rank, order): the last applicable is the greatest */
    }
    if (any_limit && !below)
        return false;
    return best != NULL && best->kind == CH_OSV_INTRODUCED;
}

/* The fast path's verdict; smallest fix above v (among including ranges) into *ret_fix. */
static bool fast_affected(const struct entry *e, const struct pos *eco, const struct pos *sem,
                          struct ch_str v, const char **ret_fix)
{
    *ret_fix = NULL;
    bool affected = false;
    if (eco->ok && eco->exact) {
        for (uint32_t i = 0; i < e->n_listed && !affected; i++)
            affected = e->listed[i] == eco->r;
    }
    for (uint32_t i = 0; i < e->n_unlisted && !affected; i++)
        affected = ch_str_eq_c(v, e->unlisted[i]);
    int32_t best_fix = INT32_MAX;
    for (size_t r = 0; r < e->aff.n_ranges; r++) {
        const struct rrange *rr = &e->rr[r];
        const struct pos *p = rr->semver ? sem : eco;
        if (rr->git || !p->ok || !range_includes(rr, p))
            continue;
        affected = true;
        for (uint32_t i = 0; i < rr->n; i++) {
            const struct rev *ev = &rr->ev[i];
            if (ev->kind == CH_OSV_FIXED && !ge(p, ev->rank) && ev->rank < best_fix) {
                best_fix = ev->rank;
                *ret_fix = ev->version;
            }
        }
    }
    return affected;
}

static int match_key(const struct ch_match_index *ix, struct ch_buf *key, struct ch_str v,
                     struct ch_arena *arena, struct ch_match_hit **hits, size_t *n, size_t *cap,
                     size_t *unreadable, struct ch_err *err)
{
    const struct pkg *p = ch_map_get(ix->pkgs, ch_buf_str(key));
    if (p == NULL)
        return 0;
    struct pos eco = {.ok = false}, sem = {.ok = false};
    if (p->scheme != NULL) {
        eco = locate(p->scheme, p->eco_sorted, p->eco_rank, p->eco_by_text, p->n_eco, v);
        if (p->n_sem > 0 && ix->semver != NULL)
            sem = locate(ix->semver, p->sem_sorted, p->sem_rank, p->sem_by_text, p->n_sem, v);
        else if (p->n_sem == 0)
            sem = (struct pos){.r = 0, .exact = false, .ok = true};
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct entry *e = &p->entries[i];
        bool affected = false;
        const char *fix = NULL;
        bool fast = e->rr != NULL && eco.ok && sem.ok;
        if (fast) {
            affected = fast_affected(e, &eco, &sem, v, &fix);
        } else {
            struct ch_err merr = CH_ERR_INIT;
            if (ch_osv_is_affected(&e->aff, v, &affected, &merr) != CH_OK) {
                if (unreadable != NULL)
                    (*unreadable)++;
                continue;
            }
            if (affected)
                fix = ch_osv_smallest_fix(&e->aff, v);
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
            .fixed = fix,
        };
    }
    return 1;
}

int ch_match_index_load(struct ch_match_index *ix, const struct ch_match_component *c,
                        struct ch_err *err)
{
    if (ix->lazy == NULL || c->ecosystem == NULL || c->name == NULL || c->version == NULL)
        return CH_OK;
    bool deb = strcmp(c->ecosystem, "Debian") == 0 || strcmp(c->ecosystem, "Ubuntu") == 0;
    const char *name = deb && c->source_name != NULL ? c->source_name : c->name;
    struct ch_buf key;
    ch_buf_init(&key, KEY_MAX);
    ch_match_key_component(&key, c->ecosystem, c->release);
    key_finish(&key, c->ecosystem, name);
    int rc = load_key(ix, &key, err);
    if (rc == CH_OK && c->release != NULL) {
        ch_buf_reset(&key);
        ch_match_key_component(&key, c->ecosystem, NULL);
        key_finish(&key, c->ecosystem, name);
        rc = load_key(ix, &key, err);
    }
    ch_buf_release(&key);
    return rc;
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
    ch_match_key_component(&key, c->ecosystem, c->release);
    key_finish(&key, c->ecosystem, name);
    int found = match_key(ix, &key, ch_str_c(version), arena, &hits, &n, &cap, ret_unreadable,
                          err);
    if (found == 0 && c->release != NULL) {
        ch_buf_reset(&key);
        ch_match_key_component(&key, c->ecosystem, NULL);
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

int ch_match_index_check(const struct ch_match_index *ix, size_t *ret_checked,
                         size_t *ret_mismatches, char *first, size_t first_size,
                         struct ch_err *err)
{
    size_t checked = 0, bad = 0;
    size_t it = 0;
    struct ch_str k;
    void *pv = NULL;
    const struct ch_version_scheme *sem = NULL;
    if (ch_version_scheme_by_name(ch_str_c("semver"), &sem, err) != CH_OK)
        return err->rc;
    while (ch_map_next(ix->pkgs, &it, &k, &pv)) {
        const struct pkg *p = pv;
        if (p->scheme == NULL)
            continue;
        for (size_t vi = 0; vi < p->n_eco + p->n_sem; vi++) {
            struct ch_str v = ch_str_c(vi < p->n_eco ? p->eco_sorted[vi] : p->sem_sorted[vi - p->n_eco]);
            struct pos eco = locate(p->scheme, p->eco_sorted, p->eco_rank, p->eco_by_text,
                                    p->n_eco, v);
            struct pos sp = p->n_sem > 0 ? locate(sem, p->sem_sorted, p->sem_rank,
                                                  p->sem_by_text, p->n_sem, v)
                                         : (struct pos){.ok = true};
            for (size_t i = 0; i < p->n; i++) {
                const struct entry *e = &p->entries[i];
                if (e->rr == NULL || !eco.ok || !sp.ok)
                    continue;
                const char *fix = NULL;
                bool fast = fast_affected(e, &eco, &sp, v, &fix);
                bool ref = false;
                struct ch_err rerr = CH_ERR_INIT;
                if (ch_osv_is_affected(&e->aff, v, &ref, &rerr) != CH_OK)
                    continue; /* the reference cannot decide; the fast path was not asked */
                checked++;
                if (fast != ref) {
                    if (bad == 0 && first != NULL)
                        snprintf(first, first_size, "%s %.*s %.*s: fast %d, reference %d",
                                 e->advisory, CH_STR_FMT(k), CH_STR_FMT(v), fast, ref);
                    bad++;
                }
            }
        }
    }
    *ret_checked = checked;
    *ret_mismatches = bad;
    return CH_OK;
}
