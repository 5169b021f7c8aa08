/* SPDX-License-Identifier: Apache-2.0
 *
 * osv.c: OSV record reader (see osv.h). The cJSON tree lives only during
 * the call; everything kept is copied into the caller's arena.
 */
#include "vuln/osv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"

#define PATH_LEN 160

struct rd {
    struct ch_arena *arena;
    const char *source;
    struct ch_err *err;
};

/* JSON paths are for messages: cutting a very deep one short is fine. */
static void pathf(char *out, size_t n, const char *fmt, ...) CH_PRINTF(3, 4);
static void pathf(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

static int nomem(struct rd *r)
{
    return ch_err_set(r->err, CH_E_NOMEM, "%s: out of memory", r->source);
}

static int bad(struct rd *r, const char *path, const char *what)
{
    return ch_err_setf(r->err, CH_E_INVALID, path, "%s: field '%s': %s", r->source, path, what);
}

static const char *dup_str(struct rd *r, const char *s)
{
    return s == NULL ? NULL : ch_arena_strdup(r->arena, s);
}

/* Optional string member copied into the arena. */
static int get_str(struct rd *r, const cJSON *obj, const char *key, const char *path, bool required,
                   const char **ret)
{
    const char *s = NULL;
    int rc = ch_json_get_str(obj, key, required, path, &s, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (s == NULL)
        return CH_OK;
    *ret = dup_str(r, s);
    return *ret == NULL ? nomem(r) : CH_OK;
}

/* Optional RFC 3339 time member. */
static int get_time(struct rd *r, const cJSON *obj, const char *key, const char *path,
                    bool required, int64_t *ret, int32_t *ret_nsec)
{
    const char *s = NULL;
    int rc = ch_json_get_str(obj, key, required, path, &s, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (s == NULL)
        return CH_OK;
    struct ch_err terr = CH_ERR_INIT;
    int32_t nsec = 0;
    if (ch_time_parse(ch_str_c(s), ret, &nsec, &terr) != CH_OK) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", key);
        return bad(r, p, terr.msg);
    }
    if (ret_nsec != NULL)
        *ret_nsec = nsec;
    return CH_OK;
}

/* Array of strings (optional) into an arena array. */
static int get_str_array(struct rd *r, const cJSON *obj, const char *key, const char *path,
                         size_t max, const char ***ret, size_t *ret_n)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(obj, key, false, path, &arr, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (arr == NULL)
        return CH_OK;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    char p[PATH_LEN];
    pathf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", key);
    if (n > max)
        return ch_err_setf(r->err, CH_E_LIMIT, p, "%s: field '%s': more than %zu entries",
                           r->source, p, max);
    const char **out = ch_arena_calloc(r->arena, n == 0 ? 1 : n, sizeof(*out));
    if (out == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        if (!cJSON_IsString(c)) {
            char q[PATH_LEN + 16];
            pathf(q, sizeof(q), "%s[%zu]", p, i);
            return bad(r, q, "expected a string");
        }
        out[i] = dup_str(r, c->valuestring);
        if (out[i] == NULL)
            return nomem(r);
    }
    *ret = out;
    *ret_n = n;
    return CH_OK;
}

/* Verbatim JSON of an optional member (object or any value) into the arena. */
static int get_json_text(struct rd *r, const cJSON *obj, const char *key, const char **ret)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL || cJSON_IsNull(v))
        return CH_OK;
    struct ch_buf b;
    ch_buf_init(&b, CH_OSV_MAX_RECORD_BYTES);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_jw_cjson(&w, v);
    int rc = ch_jw_finish(&w, r->err);
    if (rc == CH_OK) {
        *ret = ch_arena_strndup(r->arena, ch_buf_cstr(&b), ch_buf_len(&b));
        if (*ret == NULL)
            rc = nomem(r);
    }
    ch_buf_release(&b);
    return rc;
}

static int read_severity(struct rd *r, const cJSON *obj, const char *path,
                         struct ch_adv_severity **ret, size_t *ret_n)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(obj, "severity", false, path, &arr, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (arr == NULL)
        return CH_OK;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    struct ch_adv_severity *out = ch_arena_calloc(r->arena, n == 0 ? 1 : n, sizeof(*out));
    if (out == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "%s%sseverity[%zu]", path, path[0] ? "." : "", i);
        if (!cJSON_IsObject(c))
            return bad(r, p, "expected an object");
        rc = get_str(r, c, "type", p, true, &out[i].type);
        if (rc == CH_OK)
            rc = get_str(r, c, "score", p, true, &out[i].score);
        if (rc != CH_OK)
            return rc;
    }
    *ret = out;
    *ret_n = n;
    return CH_OK;
}

static const struct {
    const char *key;
    enum ch_adv_event_kind kind;
} event_keys[] = {
    {"introduced", CH_ADV_INTRODUCED},
    {"fixed", CH_ADV_FIXED},
    {"last_affected", CH_ADV_LAST_AFFECTED},
    {"limit", CH_ADV_LIMIT},
};

static int read_event(struct rd *r, const cJSON *ev, const char *path, struct ch_adv_event *out)
{
    if (!cJSON_IsObject(ev))
        return bad(r, path, "expected an object");
    int found = 0;
    for (const cJSON *m = ev->child; m != NULL; m = m->next) {
        size_t k;
        for (k = 0; k < CH_ARRAY_SIZE(event_keys); k++) {
            if (strcmp(m->string, event_keys[k].key) == 0)
                break;
        }
        if (k == CH_ARRAY_SIZE(event_keys))
            continue; /* unknown members are allowed by the schema's openness */
        if (!cJSON_IsString(m))
            return bad(r, path, "event value must be a string");
        if (++found > 1)
            return bad(r, path, "an event has exactly one of introduced, fixed, last_affected, limit");
        out->kind = event_keys[k].kind;
        out->value = dup_str(r, m->valuestring);
        if (out->value == NULL)
            return nomem(r);
    }
    if (found == 0)
        return bad(r, path, "an event needs introduced, fixed, last_affected or limit");
    return CH_OK;
}

static int read_range(struct rd *r, const cJSON *rg, const char *path, struct ch_adv_range *out)
{
    if (!cJSON_IsObject(rg))
        return bad(r, path, "expected an object");
    int rc = get_str(r, rg, "type", path, true, &out->type);
    if (rc == CH_OK)
        rc = get_str(r, rg, "repo", path, false, &out->repo);
    if (rc != CH_OK)
        return rc;
    if (strcmp(out->type, "SEMVER") != 0 && strcmp(out->type, "ECOSYSTEM") != 0 &&
        strcmp(out->type, "GIT") != 0) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "%s.type", path);
        return bad(r, p, "must be SEMVER, ECOSYSTEM or GIT");
    }
    if (strcmp(out->type, "GIT") == 0 && out->repo == NULL) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "%s.repo", path);
        return bad(r, p, "a GIT range needs its repo");
    }
    const cJSON *events = NULL;
    rc = ch_json_get_arr(rg, "events", true, path, &events, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    size_t n = (size_t)cJSON_GetArraySize(events);
    if (n == 0) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "%s.events", path);
        return bad(r, p, "must not be empty");
    }
    if (n > CH_OSV_MAX_EVENTS)
        return ch_err_setf(r->err, CH_E_LIMIT, path, "%s: field '%s': more than %d events",
                           r->source, path, CH_OSV_MAX_EVENTS);
    out->events = ch_arena_calloc(r->arena, n, sizeof(*out->events));
    if (out->events == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *ev = events->child; ev != NULL; ev = ev->next, i++) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "%s.events[%zu]", path, i);
        rc = read_event(r, ev, p, &out->events[i]);
        if (rc != CH_OK)
            return rc;
    }
    out->n_events = n;
    return CH_OK;
}

static int read_affected(struct rd *r, const cJSON *af, const char *path,
                         struct ch_adv_affected *out)
{
    if (!cJSON_IsObject(af))
        return bad(r, path, "expected an object");
    const cJSON *pkg = NULL;
    int rc = ch_json_get_obj(af, "package", false, path, &pkg, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (pkg != NULL) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "%s.package", path);
        rc = get_str(r, pkg, "ecosystem", p, false, &out->ecosystem);
        if (rc == CH_OK)
            rc = get_str(r, pkg, "name", p, false, &out->name);
        if (rc == CH_OK)
            rc = get_str(r, pkg, "purl", p, false, &out->purl);
        if (rc != CH_OK)
            return rc;
        if ((out->ecosystem == NULL) != (out->name == NULL))
            return bad(r, p, "ecosystem and name go together");
    }
    const cJSON *ranges = NULL;
    rc = ch_json_get_arr(af, "ranges", false, path, &ranges, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (ranges != NULL) {
        size_t n = (size_t)cJSON_GetArraySize(ranges);
        out->ranges = ch_arena_calloc(r->arena, n == 0 ? 1 : n, sizeof(*out->ranges));
        if (out->ranges == NULL)
            return nomem(r);
        size_t i = 0;
        for (const cJSON *rg = ranges->child; rg != NULL; rg = rg->next, i++) {
            char p[PATH_LEN];
            pathf(p, sizeof(p), "%s.ranges[%zu]", path, i);
            rc = read_range(r, rg, p, &out->ranges[i]);
            if (rc != CH_OK)
                return rc;
        }
        out->n_ranges = n;
    }
    rc = get_str_array(r, af, "versions", path, CH_OSV_MAX_VERSIONS, &out->versions,
                       &out->n_versions);
    if (rc == CH_OK)
        rc = read_severity(r, af, path, &out->severity, &out->n_severity);
    if (rc == CH_OK)
        rc = get_json_text(r, af, "ecosystem_specific", &out->ecosystem_specific_json);
    if (rc == CH_OK)
        rc = get_json_text(r, af, "database_specific", &out->database_specific_json);
    return rc;
}

static int read_affected_list(struct rd *r, const cJSON *root, struct ch_advisory *a)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(root, "affected", false, "", &arr, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (arr == NULL)
        return CH_OK;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > CH_OSV_MAX_AFFECTED)
        return ch_err_setf(r->err, CH_E_LIMIT, "affected", "%s: more than %d affected entries",
                           r->source, CH_OSV_MAX_AFFECTED);
    a->affected = ch_arena_calloc(r->arena, n == 0 ? 1 : n, sizeof(*a->affected));
    if (a->affected == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *af = arr->child; af != NULL; af = af->next, i++) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "affected[%zu]", i);
        rc = read_affected(r, af, p, &a->affected[i]);
        if (rc != CH_OK)
            return rc;
    }
    a->n_affected = n;
    return CH_OK;
}

static int read_references(struct rd *r, const cJSON *root, struct ch_advisory *a)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(root, "references", false, "", &arr, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (arr == NULL)
        return CH_OK;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    a->references = ch_arena_calloc(r->arena, n == 0 ? 1 : n, sizeof(*a->references));
    if (a->references == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "references[%zu]", i);
        if (!cJSON_IsObject(c))
            return bad(r, p, "expected an object");
        rc = get_str(r, c, "type", p, false, &a->references[i].type);
        if (rc == CH_OK)
            rc = get_str(r, c, "url", p, true, &a->references[i].url);
        if (rc != CH_OK)
            return rc;
    }
    a->n_references = n;
    return CH_OK;
}

static int read_credits(struct rd *r, const cJSON *root, struct ch_advisory *a)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(root, "credits", false, "", &arr, r->err);
    if (rc != CH_OK)
        return ch_err_prefix(r->err, "%s", r->source);
    if (arr == NULL)
        return CH_OK;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    a->credits = ch_arena_calloc(r->arena, n == 0 ? 1 : n, sizeof(*a->credits));
    if (a->credits == NULL)
        return nomem(r);
    size_t i = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        char p[PATH_LEN];
        pathf(p, sizeof(p), "credits[%zu]", i);
        if (!cJSON_IsObject(c))
            return bad(r, p, "expected an object");
        rc = get_str(r, c, "name", p, true, &a->credits[i].name);
        if (rc == CH_OK)
            rc = get_str(r, c, "type", p, false, &a->credits[i].type);
        if (rc != CH_OK)
            return rc;
    }
    a->n_credits = n;
    return CH_OK;
}

/* GHSA puts CWE ids in database_specific.cwe_ids. */
static int read_cwes(struct rd *r, const cJSON *root, struct ch_advisory *a)
{
    const cJSON *ds = ch_json_obj(root, "database_specific");
    if (ds == NULL || ch_json_arr(ds, "cwe_ids") == NULL)
        return CH_OK;
    return get_str_array(r, ds, "cwe_ids", "database_specific", 1000, &a->cwes, &a->n_cwes);
}

int ch_osv_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                struct ch_advisory *ret, struct ch_err *err)
{
    struct rd r = {.arena = arena, .source = source_name != NULL ? source_name : "record",
                   .err = err};
    struct ch_json_limits lim = {.max_bytes = CH_OSV_MAX_RECORD_BYTES};
    cJSON *root = NULL;
    int rc = ch_json_parse(data, len, &lim, r.source, &root, err);
    if (rc != CH_OK)
        return rc;
    struct ch_advisory a;
    ch_advisory_init(&a, CH_ADV_OSV);
    if (!cJSON_IsObject(root)) {
        rc = ch_err_set(err, CH_E_INVALID, "%s: a record is a JSON object", r.source);
        goto out;
    }
    rc = get_str(&r, root, "id", "", true, &a.id);
    if (rc == CH_OK && (a.id[0] == '\0' || strlen(a.id) > CH_OSV_MAX_ID_BYTES))
        rc = bad(&r, "id", "must be 1 to 256 characters");
    if (rc == CH_OK)
        rc = get_time(&r, root, "modified", "", true, &a.modified, &a.modified_nsec);
    if (rc == CH_OK)
        rc = get_time(&r, root, "published", "", false, &a.published, NULL);
    if (rc == CH_OK)
        rc = get_time(&r, root, "withdrawn", "", false, &a.withdrawn, NULL);
    if (rc == CH_OK)
        rc = get_str_array(&r, root, "aliases", "", 10000, &a.aliases, &a.n_aliases);
    if (rc == CH_OK)
        rc = get_str_array(&r, root, "related", "", 10000, &a.related, &a.n_related);
    if (rc == CH_OK)
        rc = get_str(&r, root, "summary", "", false, &a.summary);
    if (rc == CH_OK)
        rc = get_str(&r, root, "details", "", false, &a.details);
    if (rc == CH_OK)
        rc = read_severity(&r, root, "", &a.severity, &a.n_severity);
    if (rc == CH_OK)
        rc = read_affected_list(&r, root, &a);
    if (rc == CH_OK)
        rc = read_references(&r, root, &a);
    if (rc == CH_OK)
        rc = read_credits(&r, root, &a);
    if (rc == CH_OK)
        rc = read_cwes(&r, root, &a);
    if (rc == CH_OK) {
        a.raw = ch_str_make(data, len);
        *ret = a;
    }
out:
    cJSON_Delete(root);
    return rc;
}
