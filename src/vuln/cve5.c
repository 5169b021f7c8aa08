/* SPDX-License-Identifier: Apache-2.0
 *
 * cve5.c: CVE JSON 5.x records into the advisory model (see cve5.h and
 * docs/formats.md; schema: https://github.com/CVEProject/cve-schema,
 * CISA ADP: https://github.com/cisagov/vulnrichment).
 *
 * The record is parsed whole by the strict JSON reader (limits below), then
 * walked with the strict getters, so that a mistyped field is an error naming
 * its JSON path instead of a silently empty value. Fields we do not model
 * (x_ extensions, impacts, solutions, timeline, ...) are not validated: they
 * stay in `raw`. Every string is copied into the caller's arena before the
 * cJSON tree is freed; arrays are sized from the number of elements the
 * parsed document really holds, never from a count the input declares.
 *
 * Conservative on identity: a CVE record names only itself, so no aliases
 * are derived (GHSA or other ids in references are references, not aliases).
 */
#include "vuln/cve5.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"

/* The largest real record (vulnrichment, 2024) is 0.7 MB; 16 MiB leaves room without inviting
 * abuse. */
#define CH_CVE5_MAX_RECORD_BYTES ((size_t)16 << 20)
/* Real records nest at most 10 levels; cJSON recursion must stay far from the stack's end. */
#define CH_CVE5_MAX_DEPTH 32u
/* Longest real string is 8 kB (a description); 1 MiB bounds one hostile value. */
#define CH_CVE5_MAX_STRING ((size_t)1 << 20)
/* Values in one record: the largest real record has about 30,000. */
#define CH_CVE5_MAX_NODES ((size_t)1 << 20)
/* affected[] entries (CNA plus CISA ADP): real maximum 743. */
#define CH_CVE5_MAX_AFFECTED 8192
/* versions[] of one affected entry: real maximum 2,037. */
#define CH_CVE5_MAX_VERSIONS 32768
/* cpes[] of one affected entry: real maximum 330. */
#define CH_CVE5_MAX_CPES 4096
/* references[]: real maximum 140. */
#define CH_CVE5_MAX_REFERENCES 4096
/* metrics[] of one container: real maximum 4. */
#define CH_CVE5_MAX_METRICS 256
/* problemTypes[] descriptions in one container: a handful in practice. */
#define CH_CVE5_MAX_PROBLEM_TYPES 1024
/* credits[]: real maximum 25. */
#define CH_CVE5_MAX_CREDITS 1024
/* adp[] containers: real records have at most 2 (CVE Program, CISA). */
#define CH_CVE5_MAX_ADP 64
/* SSVC options of the CISA ADP: 3 in practice. */
#define CH_CVE5_MAX_SSVC_OPTIONS 64
/* A CVE id is CVE-YYYY-N{4,19}: 28 bytes at most. */
#define CH_CVE5_MAX_ID_BYTES 32
/* The summary is the first sentence of the description, at most this many bytes. */
#define CH_CVE5_SUMMARY_MAX 200

#define PATH_BYTES 160

struct rd {
    struct ch_arena *arena;
    struct ch_err *err;
    struct ch_buf scratch; /* serialised versions[] */
};

static int nomem(struct rd *r)
{
    return ch_err_set(r->err, CH_E_NOMEM, "out of memory reading CVE record");
}

static int invalid(struct rd *r, const char *path, const char *what)
{
    return ch_err_setf(r->err, CH_E_INVALID, path, "field '%s': %s", path, what);
}

/* Appends s to the path in out (n bytes used), truncating at PATH_BYTES - 1. */
static void path_append(char *out, size_t *n, const char *s)
{
    size_t len = strlen(s);
    if (len > PATH_BYTES - 1 - *n)
        len = PATH_BYTES - 1 - *n;
    memcpy(out + *n, s, len);
    *n += len;
    out[*n] = '\0';
}

/* "<path>.<key>", or "<key>" at the root. */
static void child_path(char *out, const char *path, const char *key)
{
    size_t n = 0;
    out[0] = '\0';
    path_append(out, &n, path);
    if (path[0] != '\0')
        path_append(out, &n, ".");
    path_append(out, &n, key);
}

/* "<path>[i]" */
static void index_path(char *out, const char *path, size_t i)
{
    char num[32];
    snprintf(num, sizeof(num), "[%zu]", i);
    size_t n = 0;
    out[0] = '\0';
    path_append(out, &n, path);
    path_append(out, &n, num);
}

static char *dup(struct rd *r, const char *s)
{
    return ch_arena_strdup(r->arena, s);
}

/* Optional or required string member, copied into the arena (NULL when absent). */
static int get_copy(struct rd *r, const cJSON *obj, const char *key, bool required,
                    const char *path, const char **ret)
{
    const char *s = NULL;
    int rc = ch_json_get_str(obj, key, required, path, &s, r->err);
    if (rc != CH_OK)
        return rc;
    if (s == NULL) {
        *ret = NULL;
        return CH_OK;
    }
    char *c = dup(r, s);
    if (c == NULL)
        return nomem(r);
    *ret = c;
    return CH_OK;
}

/* Number of elements of arr (NULL gives 0), CH_E_LIMIT above max. */
static int count_items(struct rd *r, const cJSON *arr, size_t max, const char *path, size_t *ret)
{
    size_t n = 0;
    for (const cJSON *c = arr != NULL ? arr->child : NULL; c != NULL; c = c->next) {
        if (++n > max)
            return ch_err_setf(r->err, CH_E_LIMIT, path, "field '%s': more than %zu entries", path,
                               max);
    }
    *ret = n;
    return CH_OK;
}

/*
 * An optional array member `key` of obj with at most `max` entries: *ret_arr
 * stays NULL when it is absent; otherwise p (PATH_BYTES) names it for errors
 * and *ret_n is its length.
 */
static int get_list(struct rd *r, const cJSON *obj, const char *key, size_t max, const char *path,
                    char *p, const cJSON **ret_arr, size_t *ret_n)
{
    int rc = ch_json_get_arr(obj, key, false, path, ret_arr, r->err);
    if (rc != CH_OK || *ret_arr == NULL)
        return rc;
    child_path(p, path, key);
    return count_items(r, *ret_arr, max, p, ret_n);
}

static void *alloc_items(struct rd *r, size_t n, size_t size)
{
    if (n == 0)
        return NULL;
    return ch_arena_calloc(r->arena, n, size);
}

/* An optional RFC 3339 time member; *ret untouched when absent. */
static int get_time(struct rd *r, const cJSON *obj, const char *key, const char *path, int64_t *ret,
                    int32_t *ret_nsec)
{
    const char *s = NULL;
    int rc = ch_json_get_str(obj, key, false, path, &s, r->err);
    if (rc != CH_OK || s == NULL)
        return rc;
    struct ch_err terr = CH_ERR_INIT;
    int64_t t;
    int32_t ns;
    if (ch_time_parse(ch_str_c(s), &t, &ns, &terr) != CH_OK) {
        char p[PATH_BYTES];
        child_path(p, path, key);
        return invalid(r, p, terr.msg);
    }
    /* the model uses -1 for "absent": no advisory data predates the epoch */
    if (t < 0) {
        char p[PATH_BYTES];
        child_path(p, path, key);
        return invalid(r, p, "date before 1970-01-01");
    }
    *ret = t;
    if (ret_nsec != NULL)
        *ret_nsec = ns;
    return CH_OK;
}

/* "CWE-<digits>" at the start of s (after spaces), normalised; NULL when s is not one. */
static const char *cwe_of(struct rd *r, const char *s, bool *ret_nomem)
{
    while (*s == ' ')
        s++;
    if (strncmp(s, "CWE-", 4) != 0 && strncmp(s, "cwe-", 4) != 0)
        return NULL;
    size_t n = 0;
    while (s[4 + n] >= '0' && s[4 + n] <= '9')
        n++;
    /* CWE ids have at most 4 digits today; 9 leaves room and bounds the copy */
    if (n == 0 || n > 9)
        return NULL;
    char *c = ch_arena_printf(r->arena, "CWE-%.*s", (int)n, s + 4);
    if (c == NULL)
        *ret_nomem = true;
    return c;
}

static bool has_str(const char **items, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i], s) == 0)
            return true;
    }
    return false;
}

/* ---- descriptions and summary ---- */

static bool lang_is_en(const char *lang)
{
    if (lang == NULL)
        return false;
    struct ch_str l = ch_str_c(lang);
    return ch_str_case_eq_c(l, "en") ||
           (l.len > 3 && (ch_str_starts_with(l, "en-") || ch_str_starts_with(l, "en_")));
}

/* The English value of a [{lang, value}] array (else the first one), borrowed from the tree. */
static int pick_text(struct rd *r, const cJSON *arr, const char *path, const char **ret)
{
    const char *first = NULL;
    size_t i = 0;
    for (const cJSON *c = arr != NULL ? arr->child : NULL; c != NULL; c = c->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        if (!cJSON_IsObject(c))
            return invalid(r, p, "expected an object");
        const char *lang = NULL;
        const char *value = NULL;
        int rc = ch_json_get_str(c, "lang", false, p, &lang, r->err);
        if (rc == CH_OK)
            rc = ch_json_get_str(c, "value", true, p, &value, r->err);
        if (rc != CH_OK)
            return rc;
        if (first == NULL)
            first = value;
        if (lang_is_en(lang)) {
            *ret = value;
            return CH_OK;
        }
    }
    *ret = first;
    return CH_OK;
}

/* Length of the first sentence of s: up to a '.' followed by white space. */
static size_t first_sentence(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '.' ||
            (s[i + 1] != ' ' && s[i + 1] != '\n' && s[i + 1] != '\r' && s[i + 1] != '\t'))
            continue;
        /* "e.g. " and "i.e. " do not end a sentence */
        if (i >= 3 && (memcmp(s + i - 3, "e.g", 3) == 0 || memcmp(s + i - 3, "i.e", 3) == 0))
            continue;
        return i + 1;
    }
    return len;
}

/*
 * CH_TESTABLE: the summary of a description, its first sentence or at most
 * CH_CVE5_SUMMARY_MAX bytes (cut at a space or a UTF-8 boundary), with line
 * breaks and tabs turned into spaces. NULL only when out of memory.
 */
CH_TESTABLE char *ch_cve5__summary(struct ch_arena *arena, const char *text);
CH_TESTABLE char *ch_cve5__summary(struct ch_arena *arena, const char *text)
{
    struct ch_str s = ch_str_trim(ch_str_c(text));
    size_t n = first_sentence(s.ptr, s.len);
    if (n > CH_CVE5_SUMMARY_MAX) {
        n = CH_CVE5_SUMMARY_MAX;
        while (n > 0 && ((unsigned char)s.ptr[n] & 0xc0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
        size_t sp = n;
        while (sp > CH_CVE5_SUMMARY_MAX / 2 && s.ptr[sp] != ' ')
            sp--;
        if (s.ptr[sp] == ' ')
            n = sp;
    }
    char *out = ch_arena_strndup(arena, s.ptr, n);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (out[i] == '\n' || out[i] == '\r' || out[i] == '\t')
            out[i] = ' ';
    }
    return out;
}

static int read_descriptions(struct rd *r, const cJSON *cna, const char *path, bool rejected,
                             struct ch_advisory *a)
{
    const char *key = rejected ? "rejectedReasons" : "descriptions";
    char p[PATH_BYTES];
    child_path(p, path, key);
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(cna, key, false, path, &arr, r->err);
    if (rc != CH_OK)
        return rc;
    const char *text = NULL;
    rc = pick_text(r, arr, p, &text);
    if (rc != CH_OK || text == NULL)
        return rc;
    a->details = dup(r, text);
    a->summary = ch_cve5__summary(r->arena, text);
    if (a->details == NULL || a->summary == NULL)
        return nomem(r);
    return CH_OK;
}

/* ---- affected ---- */

static const struct {
    const char *prefix; /* host and path, without scheme and "www." */
    const char *ecosystem;
} registries[] = {
    {"pypi.org", "PyPI"},
    {"pypi.python.org", "PyPI"},
    {"npmjs.com", "npm"},
    {"registry.npmjs.org", "npm"},
    {"repo.maven.apache.org/maven2", "Maven"},
    {"repo1.maven.org/maven2", "Maven"},
    {"search.maven.org", "Maven"},
    {"crates.io", "crates.io"},
    {"rubygems.org", "RubyGems"},
    {"packagist.org", "Packagist"},
    {"nuget.org", "NuGet"},
    {"api.nuget.org", "NuGet"},
    {"pkg.go.dev", "Go"},
    {"proxy.golang.org", "Go"},
    {"hex.pm", "Hex"},
    {"pub.dev", "Pub"},
};

const char *ch_cve5_ecosystem_of_url(const char *url)
{
    if (url == NULL)
        return NULL;
    struct ch_str u = ch_str_trim(ch_str_c(url));
    if (ch_str_starts_with(u, "https://"))
        u = ch_str_sub(u, 8, u.len);
    else if (ch_str_starts_with(u, "http://"))
        u = ch_str_sub(u, 7, u.len);
    if (ch_str_starts_with(u, "www."))
        u = ch_str_sub(u, 4, u.len);
    while (u.len > 0 && u.ptr[u.len - 1] == '/')
        u.len--;
    for (size_t i = 0; i < CH_ARRAY_SIZE(registries); i++) {
        size_t n = strlen(registries[i].prefix);
        if (u.len >= n && ch_str_case_eq(ch_str_sub(u, 0, n), ch_str_c(registries[i].prefix)) &&
            (u.len == n || u.ptr[n] == '/'))
            return registries[i].ecosystem;
    }
    return NULL;
}

static int read_cpes(struct rd *r, const cJSON *item, const char *path, struct ch_adv_affected *out)
{
    const cJSON *arr = NULL;
    char p[PATH_BYTES];
    size_t n = 0;
    int rc = get_list(r, item, "cpes", CH_CVE5_MAX_CPES, path, p, &arr, &n);
    if (rc != CH_OK || arr == NULL)
        return rc;
    const char **cpes = alloc_items(r, n, sizeof(*cpes));
    if (n > 0 && cpes == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        if (!cJSON_IsString(c)) {
            char q[PATH_BYTES];
            index_path(q, p, i);
            return invalid(r, q, "expected a string");
        }
        if (has_str(cpes, out->n_cpes, c->valuestring))
            continue;
        cpes[out->n_cpes] = dup(r, c->valuestring);
        if (cpes[out->n_cpes] == NULL)
            return nomem(r);
        out->n_cpes++;
    }
    out->cpes = cpes;
    return CH_OK;
}

/* versions[]: each entry must carry a version and a status; kept verbatim as JSON text. */
static int read_versions(struct rd *r, const cJSON *item, const char *path,
                         struct ch_adv_affected *out)
{
    const cJSON *arr = NULL;
    char p[PATH_BYTES];
    size_t n = 0;
    int rc = get_list(r, item, "versions", CH_CVE5_MAX_VERSIONS, path, p, &arr, &n);
    if (rc != CH_OK || arr == NULL)
        return rc;
    size_t i = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        char q[PATH_BYTES];
        index_path(q, p, i);
        if (!cJSON_IsObject(c))
            return invalid(r, q, "expected an object");
        const char *s = NULL;
        rc = ch_json_get_str(c, "version", true, q, &s, r->err);
        if (rc == CH_OK)
            rc = ch_json_get_str(c, "status", true, q, &s, r->err);
        if (rc != CH_OK)
            return rc;
    }
    ch_buf_reset(&r->scratch);
    struct ch_jw w;
    ch_jw_init(&w, &r->scratch, 0);
    ch_jw_cjson(&w, arr);
    rc = ch_jw_finish(&w, r->err);
    if (rc != CH_OK)
        return rc;
    out->cve_versions_json =
        ch_arena_strndup(r->arena, ch_buf_cstr(&r->scratch), ch_buf_len(&r->scratch));
    if (out->cve_versions_json == NULL)
        return nomem(r);
    return CH_OK;
}

static int read_affected_one(struct rd *r, const cJSON *item, const char *path,
                             struct ch_adv_affected *out)
{
    if (!cJSON_IsObject(item))
        return invalid(r, path, "expected an object");
    const char *collection = NULL;
    int rc = get_copy(r, item, "vendor", false, path, &out->vendor);
    if (rc == CH_OK)
        rc = get_copy(r, item, "product", false, path, &out->product);
    if (rc == CH_OK)
        rc = get_copy(r, item, "packageName", false, path, &out->name);
    if (rc == CH_OK)
        rc = ch_json_get_str(item, "collectionURL", false, path, &collection, r->err);
    if (rc == CH_OK)
        rc = get_copy(r, item, "defaultStatus", false, path, &out->status);
    if (rc == CH_OK)
        rc = read_cpes(r, item, path, out);
    if (rc == CH_OK)
        rc = read_versions(r, item, path, out);
    if (rc != CH_OK)
        return rc;
    if (out->name != NULL)
        out->ecosystem = ch_cve5_ecosystem_of_url(collection);
    return CH_OK;
}

/* Appends the entries of affected[] at `path` to a->affected (room was counted before). */
static int read_affected(struct rd *r, const cJSON *arr, const char *path, struct ch_advisory *a)
{
    size_t i = 0;
    for (const cJSON *c = arr != NULL ? arr->child : NULL; c != NULL; c = c->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        int rc = read_affected_one(r, c, p, &a->affected[a->n_affected]);
        if (rc != CH_OK)
            return rc;
        a->n_affected++;
    }
    return CH_OK;
}

/* ---- metrics ---- */

static const struct {
    const char *key;
    const char *type;
} cvss_keys[] = {
    {"cvssV4_0", "CVSS_V4"},
    {"cvssV3_1", "CVSS_V3"},
    {"cvssV3_0", "CVSS_V3"},
};

static int add_severity(struct rd *r, struct ch_advisory *a, const char *type, const char *vec)
{
    for (size_t i = 0; i < a->n_severity; i++) {
        if (strcmp(a->severity[i].type, type) == 0 && strcmp(a->severity[i].score, vec) == 0)
            return CH_OK;
    }
    struct ch_adv_severity *s = &a->severity[a->n_severity];
    s->type = type;
    s->score = dup(r, vec);
    if (s->score == NULL)
        return nomem(r);
    a->n_severity++;
    return CH_OK;
}

/* CVSS v3.x / v4.0 vectors of one metrics[] entry (v2 is not modelled for CVE records). */
static int read_cvss(struct rd *r, const cJSON *metric, const char *path, struct ch_advisory *a)
{
    for (size_t k = 0; k < CH_ARRAY_SIZE(cvss_keys); k++) {
        const cJSON *cvss = NULL;
        int rc = ch_json_get_obj(metric, cvss_keys[k].key, false, path, &cvss, r->err);
        if (rc != CH_OK)
            return rc;
        if (cvss == NULL)
            continue;
        char p[PATH_BYTES];
        child_path(p, path, cvss_keys[k].key);
        const char *vec = NULL;
        rc = ch_json_get_str(cvss, "vectorString", true, p, &vec, r->err);
        if (rc == CH_OK)
            rc = add_severity(r, a, cvss_keys[k].type, vec);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

static int read_metrics(struct rd *r, const cJSON *arr, const char *path, struct ch_advisory *a)
{
    size_t i = 0;
    for (const cJSON *c = arr != NULL ? arr->child : NULL; c != NULL; c = c->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        if (!cJSON_IsObject(c))
            return invalid(r, p, "expected an object");
        int rc = read_cvss(r, c, p, a);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

/* ---- problem types, references, credits ---- */

/* Counts descriptions of problemTypes[] (for sizing) and checks the shape. */
static int count_problem_types(struct rd *r, const cJSON *arr, const char *path, size_t *ret)
{
    size_t total = 0;
    size_t i = 0;
    for (const cJSON *c = arr != NULL ? arr->child : NULL; c != NULL; c = c->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        if (!cJSON_IsObject(c))
            return invalid(r, p, "expected an object");
        const cJSON *d = NULL;
        int rc = ch_json_get_arr(c, "descriptions", false, p, &d, r->err);
        if (rc != CH_OK)
            return rc;
        size_t n = 0;
        rc = count_items(r, d, CH_CVE5_MAX_PROBLEM_TYPES, p, &n);
        if (rc != CH_OK)
            return rc;
        total += n;
        if (total > CH_CVE5_MAX_PROBLEM_TYPES)
            return ch_err_setf(r->err, CH_E_LIMIT, path, "field '%s': more than %d entries", path,
                               CH_CVE5_MAX_PROBLEM_TYPES);
    }
    *ret = total;
    return CH_OK;
}

static int read_problem_types(struct rd *r, const cJSON *arr, const char *path,
                              struct ch_advisory *a)
{
    size_t i = 0;
    for (const cJSON *c = arr != NULL ? arr->child : NULL; c != NULL; c = c->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        const cJSON *descs = ch_json_arr(c, "descriptions");
        size_t j = 0;
        for (const cJSON *d = descs != NULL ? descs->child : NULL; d != NULL; d = d->next, j++) {
            char d_path[PATH_BYTES];
            char q[PATH_BYTES];
            child_path(d_path, p, "descriptions");
            index_path(q, d_path, j);
            if (!cJSON_IsObject(d))
                return invalid(r, q, "expected an object");
            const char *id = NULL;
            const char *text = NULL;
            int rc = ch_json_get_str(d, "cweId", false, q, &id, r->err);
            if (rc == CH_OK)
                rc = ch_json_get_str(d, "description", false, q, &text, r->err);
            if (rc != CH_OK)
                return rc;
            bool oom = false;
            const char *cwe = id != NULL ? cwe_of(r, id, &oom) : NULL;
            if (cwe == NULL && !oom && text != NULL)
                cwe = cwe_of(r, text, &oom);
            if (oom)
                return nomem(r);
            if (cwe != NULL && !has_str(a->cwes, a->n_cwes, cwe))
                a->cwes[a->n_cwes++] = cwe;
        }
    }
    return CH_OK;
}

/* CVE reference tags to OSV reference types, most telling first. */
static const struct {
    const char *tag;
    const char *type;
} ref_types[] = {
    {"patch", "FIX"},
    {"vendor-advisory", "ADVISORY"},
    {"third-party-advisory", "ADVISORY"},
    {"government-resource", "ADVISORY"},
    {"exploit", "EVIDENCE"},
    {"issue-tracking", "REPORT"},
    {"mailing-list", "DISCUSSION"},
    {"technical-description", "ARTICLE"},
    {"media-coverage", "ARTICLE"},
    {"research-report", "ARTICLE"},
    {"x_research-advisory", "ARTICLE"},
    {"signature", "DETECTION"},
};

static int ref_type(struct rd *r, const cJSON *ref, const char *path, const char **ret)
{
    const cJSON *tags = NULL;
    int rc = ch_json_get_arr(ref, "tags", false, path, &tags, r->err);
    if (rc != CH_OK)
        return rc;
    size_t best = CH_ARRAY_SIZE(ref_types);
    size_t i = 0;
    for (const cJSON *t = tags != NULL ? tags->child : NULL; t != NULL; t = t->next, i++) {
        if (!cJSON_IsString(t)) {
            char t_path[PATH_BYTES];
            char p[PATH_BYTES];
            child_path(t_path, path, "tags");
            index_path(p, t_path, i);
            return invalid(r, p, "expected a string");
        }
        for (size_t k = 0; k < best; k++) {
            if (strcmp(t->valuestring, ref_types[k].tag) == 0)
                best = k;
        }
    }
    *ret = best < CH_ARRAY_SIZE(ref_types) ? ref_types[best].type : "WEB";
    return CH_OK;
}

static int read_references(struct rd *r, const cJSON *cna, const char *path, struct ch_advisory *a)
{
    const cJSON *arr = NULL;
    char p[PATH_BYTES];
    size_t n = 0;
    int rc = get_list(r, cna, "references", CH_CVE5_MAX_REFERENCES, path, p, &arr, &n);
    if (rc != CH_OK || arr == NULL)
        return rc;
    a->references = alloc_items(r, n, sizeof(*a->references));
    if (n > 0 && a->references == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        char q[PATH_BYTES];
        index_path(q, p, i);
        if (!cJSON_IsObject(c))
            return invalid(r, q, "expected an object");
        struct ch_adv_reference *ref = &a->references[a->n_references];
        rc = get_copy(r, c, "url", true, q, &ref->url);
        if (rc == CH_OK)
            rc = ref_type(r, c, q, &ref->type);
        if (rc != CH_OK)
            return rc;
        a->n_references++;
    }
    return CH_OK;
}

static int read_credits(struct rd *r, const cJSON *cna, const char *path, struct ch_advisory *a)
{
    const cJSON *arr = NULL;
    char p[PATH_BYTES];
    size_t n = 0;
    int rc = get_list(r, cna, "credits", CH_CVE5_MAX_CREDITS, path, p, &arr, &n);
    if (rc != CH_OK || arr == NULL)
        return rc;
    a->credits = alloc_items(r, n, sizeof(*a->credits));
    if (n > 0 && a->credits == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        char q[PATH_BYTES];
        index_path(q, p, i);
        if (!cJSON_IsObject(c))
            return invalid(r, q, "expected an object");
        struct ch_adv_credit *cr = &a->credits[a->n_credits];
        const char *type = NULL;
        rc = get_copy(r, c, "value", true, q, &cr->name);
        if (rc == CH_OK)
            rc = ch_json_get_str(c, "type", false, q, &type, r->err);
        if (rc != CH_OK)
            return rc;
        if (type != NULL) {
            /* "remediation developer" → "REMEDIATION_DEVELOPER", OSV's spelling */
            char *t = dup(r, type);
            if (t == NULL)
                return nomem(r);
            for (char *s = t; *s != '\0'; s++) {
                if (*s >= 'a' && *s <= 'z')
                    *s = (char)(*s - 'a' + 'A');
                else if (*s == ' ' || *s == '-')
                    *s = '_';
            }
            cr->type = t;
        }
        a->n_credits++;
    }
    return CH_OK;
}

/* ---- CISA ADP: SSVC and KEV ---- */

static char *lower_dup(struct rd *r, const char *s)
{
    char *c = dup(r, s);
    if (c == NULL)
        return NULL;
    for (char *p = c; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return c;
}

static int read_ssvc(struct rd *r, const cJSON *content, const char *path, struct ch_advisory *a)
{
    const cJSON *opts = NULL;
    int rc = ch_json_get_arr(content, "options", true, path, &opts, r->err);
    if (rc != CH_OK)
        return rc;
    char p[PATH_BYTES];
    child_path(p, path, "options");
    size_t n = 0;
    rc = count_items(r, opts, CH_CVE5_MAX_SSVC_OPTIONS, p, &n);
    if (rc != CH_OK)
        return rc;
    size_t i = 0;
    for (const cJSON *o = opts->child; o != NULL; o = o->next, i++) {
        char q[PATH_BYTES];
        index_path(q, p, i);
        if (!cJSON_IsObject(o))
            return invalid(r, q, "expected an object");
        for (const cJSON *kv = o->child; kv != NULL; kv = kv->next) {
            const char **slot = NULL;
            if (strcmp(kv->string, "Exploitation") == 0)
                slot = &a->ssvc.exploitation;
            else if (strcmp(kv->string, "Automatable") == 0)
                slot = &a->ssvc.automatable;
            else if (strcmp(kv->string, "Technical Impact") == 0)
                slot = &a->ssvc.technical_impact;
            if (slot == NULL)
                continue; /* other decision points are kept in raw only */
            if (!cJSON_IsString(kv)) {
                char k[PATH_BYTES];
                child_path(k, q, kv->string);
                return invalid(r, k, "expected a string");
            }
            /* upstream values are not case-normalised ("None", "PoC", "Total") */
            *slot = lower_dup(r, kv->valuestring);
            if (*slot == NULL)
                return nomem(r);
            a->has_ssvc = true;
        }
    }
    return get_time(r, content, "timestamp", path, &a->ssvc.timestamp, NULL);
}

static int read_kev(struct rd *r, const cJSON *content, const char *path, struct ch_advisory *a)
{
    const char *s = NULL;
    int rc = ch_json_get_str(content, "dateAdded", true, path, &s, r->err);
    if (rc != CH_OK)
        return rc;
    int64_t t = -1;
    rc = get_time(r, content, "dateAdded", path, &t, NULL);
    if (rc != CH_OK)
        return rc;
    a->kev = true;
    a->kev_date_added = t;
    return CH_OK;
}

/* metrics[].other entries of the CISA ADP: ssvc and kev; other types stay in raw. */
static int read_adp_other(struct rd *r, const cJSON *metrics, const char *path,
                          struct ch_advisory *a)
{
    size_t i = 0;
    for (const cJSON *m = metrics != NULL ? metrics->child : NULL; m != NULL; m = m->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        const cJSON *other = NULL;
        int rc = ch_json_get_obj(m, "other", false, p, &other, r->err);
        if (rc != CH_OK || other == NULL) {
            if (rc != CH_OK)
                return rc;
            continue;
        }
        char q[PATH_BYTES];
        child_path(q, p, "other");
        const char *type = NULL;
        const cJSON *content = NULL;
        rc = ch_json_get_str(other, "type", true, q, &type, r->err);
        if (rc != CH_OK)
            return rc;
        bool ssvc = strcmp(type, "ssvc") == 0;
        bool kev = strcmp(type, "kev") == 0;
        if (!ssvc && !kev)
            continue;
        rc = ch_json_get_obj(other, "content", true, q, &content, r->err);
        if (rc != CH_OK)
            return rc;
        char c[PATH_BYTES];
        child_path(c, q, "content");
        rc = ssvc ? read_ssvc(r, content, c, a) : read_kev(r, content, c, a);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

/* ---- the record ---- */

/* The parts of one container we read, located and shape-checked. */
struct container {
    const cJSON *obj;
    char path[PATH_BYTES];
    const cJSON *affected;
    const cJSON *metrics;
    const cJSON *problem_types;
    size_t n_affected;
    size_t n_metrics;
    size_t n_problem_types;
};

static int locate(struct rd *r, const cJSON *obj, struct container *c)
{
    c->obj = obj;
    char p[PATH_BYTES];
    int rc = ch_json_get_arr(obj, "affected", false, c->path, &c->affected, r->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(obj, "metrics", false, c->path, &c->metrics, r->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(obj, "problemTypes", false, c->path, &c->problem_types, r->err);
    if (rc != CH_OK)
        return rc;
    child_path(p, c->path, "affected");
    rc = count_items(r, c->affected, CH_CVE5_MAX_AFFECTED, p, &c->n_affected);
    if (rc != CH_OK)
        return rc;
    child_path(p, c->path, "metrics");
    rc = count_items(r, c->metrics, CH_CVE5_MAX_METRICS, p, &c->n_metrics);
    if (rc != CH_OK)
        return rc;
    child_path(p, c->path, "problemTypes");
    return count_problem_types(r, c->problem_types, p, &c->n_problem_types);
}

/* Finds the CISA ADP container among adp[] (NULL c->obj when there is none). */
static int find_cisa_adp(struct rd *r, const cJSON *containers, struct container *c)
{
    const cJSON *adp = NULL;
    int rc = ch_json_get_arr(containers, "adp", false, "containers", &adp, r->err);
    if (rc != CH_OK || adp == NULL)
        return rc;
    size_t n = 0;
    rc = count_items(r, adp, CH_CVE5_MAX_ADP, "containers.adp", &n);
    if (rc != CH_OK)
        return rc;
    size_t i = 0;
    for (const cJSON *x = adp->child; x != NULL; x = x->next, i++) {
        char p[PATH_BYTES];
        index_path(p, "containers.adp", i);
        const cJSON *meta = NULL;
        const char *name = NULL;
        if (!cJSON_IsObject(x))
            return invalid(r, p, "expected an object");
        rc = ch_json_get_obj(x, "providerMetadata", true, p, &meta, r->err);
        if (rc == CH_OK) {
            char q[PATH_BYTES];
            child_path(q, p, "providerMetadata");
            rc = ch_json_get_str(meta, "shortName", false, q, &name, r->err);
        }
        if (rc != CH_OK)
            return rc;
        if (c->obj == NULL && name != NULL && strcmp(name, "CISA-ADP") == 0) {
            memcpy(c->path, p, sizeof(c->path));
            return locate(r, x, c);
        }
    }
    return CH_OK;
}

static int read_containers(struct rd *r, const cJSON *containers, bool rejected,
                           struct ch_advisory *a)
{
    struct container cna = {.path = "containers.cna"};
    struct container adp = {.obj = NULL};
    const cJSON *obj = NULL;
    int rc = ch_json_get_obj(containers, "cna", true, "containers", &obj, r->err);
    if (rc == CH_OK)
        rc = locate(r, obj, &cna);
    if (rc == CH_OK)
        rc = find_cisa_adp(r, containers, &adp);
    if (rc != CH_OK)
        return rc;
    size_t n_aff = cna.n_affected + adp.n_affected;
    size_t n_sev = (cna.n_metrics + adp.n_metrics) * CH_ARRAY_SIZE(cvss_keys);
    size_t n_cwe = cna.n_problem_types + adp.n_problem_types;
    a->affected = alloc_items(r, n_aff, sizeof(*a->affected));
    a->severity = alloc_items(r, n_sev, sizeof(*a->severity));
    a->cwes = alloc_items(r, n_cwe, sizeof(*a->cwes));
    if ((n_aff > 0 && a->affected == NULL) || (n_sev > 0 && a->severity == NULL) ||
        (n_cwe > 0 && a->cwes == NULL))
        return nomem(r);

    char p[PATH_BYTES];
    rc = read_descriptions(r, cna.obj, cna.path, rejected, a);
    child_path(p, cna.path, "affected");
    if (rc == CH_OK)
        rc = read_affected(r, cna.affected, p, a);
    child_path(p, cna.path, "metrics");
    if (rc == CH_OK)
        rc = read_metrics(r, cna.metrics, p, a);
    child_path(p, cna.path, "problemTypes");
    if (rc == CH_OK)
        rc = read_problem_types(r, cna.problem_types, p, a);
    if (rc == CH_OK)
        rc = read_references(r, cna.obj, cna.path, a);
    if (rc == CH_OK)
        rc = read_credits(r, cna.obj, cna.path, a);
    if (rc != CH_OK || adp.obj == NULL)
        return rc;

    /* CISA's additions: CPE-bearing affected entries always; CVSS and CWEs only when the CNA has
     * none */
    child_path(p, adp.path, "affected");
    rc = read_affected(r, adp.affected, p, a);
    child_path(p, adp.path, "metrics");
    if (rc == CH_OK)
        rc = read_adp_other(r, adp.metrics, p, a);
    if (rc == CH_OK && a->n_severity == 0)
        rc = read_metrics(r, adp.metrics, p, a);
    child_path(p, adp.path, "problemTypes");
    if (rc == CH_OK && a->n_cwes == 0)
        rc = read_problem_types(r, adp.problem_types, p, a);
    return rc;
}

static int read_metadata(struct rd *r, const cJSON *root, bool *ret_rejected, struct ch_advisory *a)
{
    const cJSON *meta = NULL;
    const char *id = NULL;
    const char *state = NULL;
    int rc = ch_json_get_obj(root, "cveMetadata", true, "", &meta, r->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(meta, "cveId", true, "cveMetadata", &id, r->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(meta, "state", true, "cveMetadata", &state, r->err);
    if (rc != CH_OK)
        return rc;
    if (strlen(id) > CH_CVE5_MAX_ID_BYTES || !ch_is_cve_id(id))
        return invalid(r, "cveMetadata.cveId", "expected a CVE id (CVE-YYYY-NNNN)");
    bool rejected = strcmp(state, "REJECTED") == 0;
    if (!rejected && strcmp(state, "PUBLISHED") != 0)
        return invalid(r, "cveMetadata.state", "expected PUBLISHED or REJECTED");
    a->id = dup(r, id);
    if (a->id == NULL)
        return nomem(r);
    int64_t reserved = -1;
    int64_t rejected_at = -1;
    rc = get_time(r, meta, "datePublished", "cveMetadata", &a->published, NULL);
    if (rc == CH_OK)
        rc = get_time(r, meta, "dateUpdated", "cveMetadata", &a->modified, &a->modified_nsec);
    if (rc == CH_OK)
        rc = get_time(r, meta, "dateRejected", "cveMetadata", &rejected_at, NULL);
    if (rc == CH_OK)
        rc = get_time(r, meta, "dateReserved", "cveMetadata", &reserved, NULL);
    if (rc != CH_OK)
        return rc;
    /* modified is required by the model: the latest date the record gives */
    if (a->modified < 0)
        a->modified = a->published >= 0 ? a->published : rejected_at >= 0 ? rejected_at : reserved;
    if (a->modified < 0)
        return invalid(r, "cveMetadata.dateUpdated", "missing (and no other date to use)");
    if (rejected)
        a->withdrawn = rejected_at >= 0 ? rejected_at : a->modified;
    *ret_rejected = rejected;
    return CH_OK;
}

static int read_record(struct rd *r, const cJSON *root, struct ch_advisory *a)
{
    if (!cJSON_IsObject(root))
        return invalid(r, "$", "expected an object");
    const char *type = NULL;
    const char *version = NULL;
    const cJSON *containers = NULL;
    int rc = ch_json_get_str(root, "dataType", true, "", &type, r->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "dataVersion", true, "", &version, r->err);
    if (rc != CH_OK)
        return rc;
    if (strcmp(type, "CVE_RECORD") != 0)
        return invalid(r, "dataType", "expected CVE_RECORD");
    if (strncmp(version, "5.", 2) != 0)
        return invalid(r, "dataVersion", "expected a 5.x version");
    bool rejected = false;
    rc = read_metadata(r, root, &rejected, a);
    if (rc == CH_OK)
        rc = ch_json_get_obj(root, "containers", true, "", &containers, r->err);
    if (rc == CH_OK)
        rc = read_containers(r, containers, rejected, a);
    return rc;
}

int ch_cve5_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                 struct ch_advisory *ret, struct ch_err *err)
{
    const char *source = source_name != NULL ? source_name : "input";
    const struct ch_json_limits limits = {
        .max_bytes = CH_CVE5_MAX_RECORD_BYTES,
        .max_depth = CH_CVE5_MAX_DEPTH,
        .max_string = CH_CVE5_MAX_STRING,
        .max_nodes = CH_CVE5_MAX_NODES,
    };
    cJSON *root = NULL;
    int rc = ch_json_parse(data, len, &limits, source, &root, err);
    if (rc != CH_OK)
        return rc;
    struct rd r = {.arena = arena, .err = err};
    ch_buf_init(&r.scratch, CH_CVE5_MAX_RECORD_BYTES);
    struct ch_advisory a;
    ch_advisory_init(&a, CH_ADV_CVE5);
    rc = read_record(&r, root, &a);
    ch_buf_release(&r.scratch);
    cJSON_Delete(root);
    if (rc != CH_OK)
        return ch_err_prefix(err, "%s", source);
    a.raw = ch_str_make(data, len);
    *ret = a;
    return CH_OK;
}
