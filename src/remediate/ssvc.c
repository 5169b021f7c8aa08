/* SPDX-License-Identifier: Apache-2.0
 *
 * ssvc.c: SSVC decision tables from CERT/CC's JSON and CSV files (see ssvc.h).
 *
 * A loaded table is a dense array of outcome indexes addressed in mixed
 * radix by the input points' value indexes (last point fastest), so a lookup
 * is a few multiplications. The array is built while reading the file's rows;
 * a slot written twice is a duplicate combination and a slot never written is
 * a missing one, both refused at load. All strings and arrays of a table live
 * in one arena freed with it.
 *
 * Formats: https://github.com/CERTCC/SSVC/tree/main/data (decision tables,
 * schema data/schema/v2/Decision_Table-2-0-0.schema.json).
 */
#include "remediate/ssvc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"

/* Arena bytes of one table: the text of a maximal file plus its cell array. */
#define TABLE_ARENA_MAX (CH_SSVC_MAX_FILE_BYTES * 2 + CH_SSVC_MAX_ROWS * sizeof(int16_t) * 2)
/* Longest CSV field we accept: a name or value, never a paragraph. */
#define CSV_MAX_FIELD CH_SSVC_MAX_TEXT

struct alias {
    const char *name;
    size_t index;
};

struct ch_ssvc_table {
    struct ch_arena *arena; /* owns every string and array below */
    const char *id;
    const char *name;
    size_t n_points;
    struct ch_ssvc_point points[CH_SSVC_MAX_POINTS];
    struct ch_ssvc_point outcome;
    size_t stride[CH_SSVC_MAX_POINTS]; /* mixed-radix weight of each point */
    size_t n_rows;
    int16_t *cells;       /* n_rows outcome indexes; -1 only while loading */
    uint32_t *first_seen; /* while loading: 1 + row number that set a cell */
    size_t n_aliases;
    struct alias aliases[CH_SSVC_MAX_ALIASES];
};

/* ---- names ------------------------------------------------------------- */

static bool is_ignored(char c)
{
    return c == ' ' || c == '_' || c == '-' || c == '\t';
}

/* ASCII-case-insensitive equality ignoring spaces, '_' and '-'. */
static bool norm_eq(struct ch_str a, const char *b)
{
    size_t i = 0;
    size_t j = 0;
    size_t blen = strlen(b);
    for (;;) {
        while (i < a.len && is_ignored(a.ptr[i]))
            i++;
        while (j < blen && is_ignored(b[j]))
            j++;
        if (i == a.len || j == blen)
            return i == a.len && j == blen;
        if (tolower((unsigned char)a.ptr[i]) != tolower((unsigned char)b[j]))
            return false;
        i++;
        j++;
    }
}

/* A value's key and its normalised name must each be unique within the point. */
static int check_value_unique(const struct ch_ssvc_point *p, size_t n, const char *where,
                              struct ch_err *err)
{
    const struct ch_ssvc_value *v = &p->values[n];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(p->values[i].key, v->key) == 0 || norm_eq(ch_str_c(p->values[i].name), v->name))
            return ch_err_set(err, CH_E_INVALID, "%s: duplicate value '%s' of decision point '%s'",
                              where, v->name, p->name);
    }
    return CH_OK;
}

static struct ch_ssvc_value *values_mut(const struct ch_ssvc_point *p)
{
    /* values always point into the table's own (writable) arena */
    return (struct ch_ssvc_value *)p->values;
}

/* "A, B or C" list of a point's value names for messages. */
static void list_values(const struct ch_ssvc_point *p, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->n_values && used < out_size; i++) {
        const char *sep = i == 0 ? "" : (i + 1 == p->n_values ? " or " : ", ");
        int n = snprintf(out + used, out_size - used, "%s'%s'", sep, p->values[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ---- table construction ------------------------------------------------ */

static int table_new(const char *source, struct ch_ssvc_table **ret, struct ch_err *err)
{
    struct ch_ssvc_table *t = ch_calloc(1, sizeof(*t));
    if (t == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory loading '%s'", source);
    t->arena = ch_arena_new(TABLE_ARENA_MAX);
    if (t->arena == NULL) {
        ch_free(t);
        return ch_err_set(err, CH_E_NOMEM, "out of memory loading '%s'", source);
    }
    *ret = t;
    return CH_OK;
}

void ch_ssvc_table_free(struct ch_ssvc_table *t)
{
    if (t == NULL)
        return;
    ch_free(t->first_seen);
    ch_arena_free(t->arena);
    ch_free(t);
}

static int nomem(const char *source, struct ch_err *err)
{
    return ch_err_set(err, CH_E_NOMEM, "%s: out of memory", source);
}

static const char *adup(struct ch_ssvc_table *t, const char *s, size_t len)
{
    return ch_arena_strndup(t->arena, s, len);
}

/* Sets strides and allocates the cells once the input points are known. */
static int alloc_cells(struct ch_ssvc_table *t, const char *source, struct ch_err *err)
{
    size_t rows = 1;
    for (size_t i = t->n_points; i-- > 0;) {
        t->stride[i] = rows;
        rows *= t->points[i].n_values; /* bounded: <= 32^12 would overflow, so check each step */
        if (rows > CH_SSVC_MAX_ROWS)
            return ch_err_set(err, CH_E_LIMIT, "%s: more than %d combinations", source,
                              CH_SSVC_MAX_ROWS);
    }
    t->n_rows = rows;
    t->cells = ch_arena_alloc(t->arena, rows * sizeof(int16_t));
    t->first_seen = ch_calloc(rows, sizeof(uint32_t));
    if (t->cells == NULL || t->first_seen == NULL)
        return nomem(source, err);
    for (size_t i = 0; i < rows; i++)
        t->cells[i] = -1;
    return CH_OK;
}

/* "In KEV=Yes, Automatable=No" into out. */
static void describe_combination(const struct ch_ssvc_table *t, const size_t *vals, char *out,
                                 size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < t->n_points && used < out_size; i++) {
        int n = snprintf(out + used, out_size - used, "%s%s=%s", i == 0 ? "" : ", ",
                         t->points[i].name, t->points[i].values[vals[i]].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static size_t combination_index(const struct ch_ssvc_table *t, const size_t *vals)
{
    size_t idx = 0;
    for (size_t i = 0; i < t->n_points; i++)
        idx += vals[i] * t->stride[i];
    return idx;
}

/* Records one row; `where` formats its place ("line %zu", "mapping[%zu]") from `place`. */
static int set_cell(struct ch_ssvc_table *t, const size_t *vals, size_t outcome, size_t place,
                    const char *source, bool json, struct ch_err *err)
{
    size_t idx = combination_index(t, vals);
    if (t->cells[idx] >= 0) {
        char combo[300];
        describe_combination(t, vals, combo, sizeof(combo));
        size_t first = (size_t)t->first_seen[idx] - 1;
        if (json)
            return ch_err_set(err, CH_E_INVALID,
                              "%s: mapping[%zu]: duplicate combination (%s), already given at "
                              "mapping[%zu]",
                              source, place, combo, first);
        return ch_err_set(err, CH_E_INVALID,
                          "%s:%zu: duplicate combination (%s), already given at line %zu", source,
                          place, combo, first);
    }
    t->cells[idx] = (int16_t)outcome;
    t->first_seen[idx] = (uint32_t)(place + 1);
    return CH_OK;
}

static int check_unambiguous(const struct ch_ssvc_table *t, const char *source, struct ch_err *err);

static int check_complete(struct ch_ssvc_table *t, const char *source, struct ch_err *err)
{
    int rc = check_unambiguous(t, source, err);
    if (rc != CH_OK)
        return rc;
    for (size_t r = 0; r < t->n_rows; r++) {
        if (t->cells[r] >= 0)
            continue;
        size_t vals[CH_SSVC_MAX_POINTS];
        (void)ch_ssvc_table_row(t, r, vals);
        char combo[300];
        describe_combination(t, vals, combo, sizeof(combo));
        return ch_err_set(err, CH_E_INVALID, "%s: missing combination (%s)", source, combo);
    }
    ch_free(t->first_seen);
    t->first_seen = NULL;
    return CH_OK;
}

/* ---- JSON form --------------------------------------------------------- */

static int json_text(struct ch_ssvc_table *t, const cJSON *obj, const char *key, bool required,
                     const char *path, const char *dflt, const char **ret, struct ch_err *err)
{
    const char *s = NULL;
    int rc = ch_json_get_str(obj, key, required, path, &s, err);
    if (rc != CH_OK)
        return rc;
    if (s == NULL)
        s = dflt;
    size_t len = strlen(s);
    if (len > CH_SSVC_MAX_TEXT)
        return ch_err_setf(err, CH_E_LIMIT, key, "field '%s.%s' is longer than %d bytes", path, key,
                           CH_SSVC_MAX_TEXT);
    *ret = adup(t, s, len);
    return *ret == NULL ? ch_err_set(err, CH_E_NOMEM, "out of memory") : CH_OK;
}

static int json_point(struct ch_ssvc_table *t, const cJSON *j, struct ch_ssvc_point *p,
                      struct ch_err *err)
{
    char path[200];
    snprintf(path, sizeof(path), "decision_points['%.150s']", j->string);
    if (!cJSON_IsObject(j))
        return ch_err_set(err, CH_E_INVALID, "field '%s': expected an object", path);
    p->id = adup(t, j->string, strlen(j->string));
    if (p->id == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    int rc = json_text(t, j, "namespace", false, path, "ssvc", &p->ns, err);
    if (rc == CH_OK)
        rc = json_text(t, j, "key", true, path, "", &p->key, err);
    if (rc == CH_OK)
        rc = json_text(t, j, "version", false, path, "", &p->version, err);
    if (rc == CH_OK)
        rc = json_text(t, j, "name", true, path, "", &p->name, err);
    if (rc == CH_OK)
        rc = json_text(t, j, "definition", false, path, "", &p->definition, err);
    const cJSON *vals = NULL;
    if (rc == CH_OK)
        rc = ch_json_get_arr(j, "values", true, path, &vals, err);
    if (rc != CH_OK)
        return rc;
    int n = cJSON_GetArraySize(vals);
    if (n < 1 || n > CH_SSVC_MAX_VALUES)
        return ch_err_set(err, n < 1 ? CH_E_INVALID : CH_E_LIMIT,
                          "field '%s.values': expected 1 to %d values, found %d", path,
                          CH_SSVC_MAX_VALUES, n);
    struct ch_ssvc_value *v = ch_arena_calloc(t->arena, (size_t)n, sizeof(*v));
    if (v == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    p->values = v;
    size_t i = 0;
    const cJSON *e = NULL;
    cJSON_ArrayForEach(e, vals)
    {
        char vpath[240];
        snprintf(vpath, sizeof(vpath), "%s.values[%zu]", path, i);
        if (!cJSON_IsObject(e))
            return ch_err_set(err, CH_E_INVALID, "field '%s': expected an object", vpath);
        rc = json_text(t, e, "key", true, vpath, "", &v[i].key, err);
        if (rc == CH_OK)
            rc = json_text(t, e, "name", true, vpath, "", &v[i].name, err);
        if (rc == CH_OK)
            rc = json_text(t, e, "definition", false, vpath, "", &v[i].definition, err);
        if (rc == CH_OK)
            rc = check_value_unique(p, i, vpath, err);
        if (rc != CH_OK)
            return rc;
        i++;
        p->n_values = i;
    }
    return CH_OK;
}

static size_t find_value_key(const struct ch_ssvc_point *p, const char *key)
{
    for (size_t i = 0; i < p->n_values; i++) {
        if (strcmp(p->values[i].key, key) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Reads one mapping row: every point named once with one of its value keys. */
static int json_row(const struct ch_ssvc_table *t, const cJSON *row, size_t r, size_t *vals,
                    size_t *ret_outcome, struct ch_err *err)
{
    if (!cJSON_IsObject(row))
        return ch_err_set(err, CH_E_INVALID, "mapping[%zu]: expected an object", r);
    bool seen[CH_SSVC_MAX_POINTS + 1] = {false};
    size_t n_seen = 0;
    const cJSON *m = NULL;
    cJSON_ArrayForEach(m, row)
    {
        const struct ch_ssvc_point *p = NULL;
        size_t pi = 0;
        if (strcmp(m->string, t->outcome.id) == 0) {
            p = &t->outcome;
            pi = t->n_points;
        }
        for (size_t i = 0; p == NULL && i < t->n_points; i++) {
            if (strcmp(m->string, t->points[i].id) == 0) {
                p = &t->points[i];
                pi = i;
            }
        }
        if (p == NULL)
            return ch_err_set(err, CH_E_INVALID, "mapping[%zu]: unknown decision point '%.100s'", r,
                              m->string);
        if (!cJSON_IsString(m))
            return ch_err_set(err, CH_E_INVALID, "mapping[%zu].'%.100s': expected a string", r,
                              m->string);
        size_t vi = find_value_key(p, m->valuestring);
        if (vi == SIZE_MAX) {
            char list[200];
            list_values(p, list, sizeof(list));
            return ch_err_set(err, CH_E_INVALID,
                              "mapping[%zu]: unknown value '%.60s' for '%s' (expected the key of "
                              "%s)",
                              r, m->valuestring, p->name, list);
        }
        if (!seen[pi])
            n_seen++;
        seen[pi] = true;
        if (pi == t->n_points)
            *ret_outcome = vi;
        else
            vals[pi] = vi;
    }
    if (n_seen != t->n_points + 1) {
        for (size_t i = 0; i <= t->n_points; i++) {
            if (!seen[i])
                return ch_err_set(err, CH_E_INVALID, "mapping[%zu]: no value for '%s'", r,
                                  i == t->n_points ? t->outcome.name : t->points[i].name);
        }
    }
    return CH_OK;
}

/* Orders the input points as the columns of the first mapping row. */
static int json_order_points(struct ch_ssvc_table *t, struct ch_ssvc_point *all, size_t n_all,
                             const cJSON *first_row, const char *source, struct ch_err *err)
{
    bool used[CH_SSVC_MAX_POINTS + 1] = {false};
    const cJSON *m = NULL;
    if (cJSON_IsObject(first_row)) {
        cJSON_ArrayForEach(m, first_row)
        {
            for (size_t i = 0; i < n_all; i++) {
                if (!used[i] && strcmp(all[i].id, m->string) == 0 &&
                    strcmp(all[i].id, t->outcome.id) != 0) {
                    used[i] = true;
                    t->points[t->n_points++] = all[i];
                }
            }
        }
    }
    /* points the first row does not name keep their decision_points order */
    for (size_t i = 0; i < n_all; i++) {
        if (!used[i] && strcmp(all[i].id, t->outcome.id) != 0)
            t->points[t->n_points++] = all[i];
    }
    if (t->n_points == 0)
        return ch_err_set(err, CH_E_INVALID, "%s: no input decision points", source);
    return CH_OK;
}

static int parse_json(struct ch_ssvc_table *t, const char *data, size_t len, const char *source,
                      struct ch_err *err)
{
    struct ch_json_limits lim = {.max_bytes = CH_SSVC_MAX_FILE_BYTES, .max_depth = 16};
    cJSON *root = NULL;
    int rc = ch_json_parse(data, len, &lim, source, &root, err);
    if (rc != CH_OK)
        return rc;
    const cJSON *dps = NULL;
    const cJSON *mapping = NULL;
    const char *outcome_id = NULL;
    const char *ns = "ssvc";
    const char *key = "";
    const char *version = "";
    struct ch_ssvc_point all[CH_SSVC_MAX_POINTS + 1];
    size_t n_all = 0;
    if (!cJSON_IsObject(root)) {
        rc = ch_err_set(err, CH_E_INVALID, "expected a JSON object");
        goto out;
    }
    rc = ch_json_get_obj(root, "decision_points", true, "", &dps, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "outcome", true, "", &outcome_id, err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(root, "mapping", true, "", &mapping, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "namespace", false, "", &ns, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "key", false, "", &key, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(root, "version", false, "", &version, err);
    if (rc == CH_OK)
        rc = json_text(t, root, "name", false, "", "", &t->name, err);
    if (rc != CH_OK)
        goto out;
    t->id = ch_arena_printf(t->arena, "%.200s:%.200s:%.200s", ns, key, version);
    if (t->id == NULL) {
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        goto out;
    }
    const cJSON *j = NULL;
    cJSON_ArrayForEach(j, dps)
    {
        if (n_all == CH_SSVC_MAX_POINTS + 1) {
            rc =
                ch_err_set(err, CH_E_LIMIT, "more than %d decision points", CH_SSVC_MAX_POINTS + 1);
            goto out;
        }
        all[n_all] = (struct ch_ssvc_point){0};
        rc = json_point(t, j, &all[n_all], err);
        if (rc != CH_OK)
            goto out;
        if (strcmp(all[n_all].id, outcome_id) == 0)
            t->outcome = all[n_all];
        n_all++;
    }
    if (t->outcome.id == NULL) {
        rc = ch_err_set(err, CH_E_INVALID, "outcome '%.100s' is not one of the decision_points",
                        outcome_id);
        goto out;
    }
    rc = json_order_points(t, all, n_all, cJSON_GetArrayItem(mapping, 0), source, err);
    if (rc == CH_OK)
        rc = alloc_cells(t, source, err);
    if (rc != CH_OK)
        goto out;
    size_t r = 0;
    cJSON_ArrayForEach(j, mapping)
    {
        size_t vals[CH_SSVC_MAX_POINTS] = {0};
        size_t outcome = 0;
        rc = json_row(t, j, r, vals, &outcome, err);
        if (rc == CH_OK)
            rc = set_cell(t, vals, outcome, r, source, true, err);
        if (rc != CH_OK)
            goto out;
        r++;
    }
    rc = check_complete(t, source, err);
out:
    cJSON_Delete(root);
    return rc;
}

/* ---- CSV form ---------------------------------------------------------- */

/* A CSV reader over (pointer, length): RFC 4180 quoting, LF or CRLF lines. */
struct csv {
    struct ch_str rest;
    size_t line; /* 1-based line of the record being read */
    bool at_eol; /* the last field ended its record */
};

/*
 * Reads one field into out (reset first). Returns 1 with a field, 0 at the end
 * of input, negative on error.
 */
static int csv_field(struct csv *c, struct ch_buf *out, const char *source, struct ch_err *err)
{
    ch_buf_reset(out);
    if (c->rest.len == 0)
        return 0;
    const char *p = c->rest.ptr;
    const char *end = p + c->rest.len;
    bool quoted = *p == '"';
    if (quoted)
        p++;
    for (;;) {
        if (p == end) {
            if (quoted)
                return ch_err_set(err, CH_E_INVALID, "%s:%zu: unterminated quoted field", source,
                                  c->line);
            c->at_eol = true;
            break;
        }
        char ch = *p;
        if (quoted && ch == '"') {
            if (p + 1 < end && p[1] == '"') {
                ch_buf_append_byte(out, '"');
                p += 2;
                continue;
            }
            quoted = false;
            p++;
            if (p < end && *p != ',' && *p != '\n' && *p != '\r')
                return ch_err_set(err, CH_E_INVALID, "%s:%zu: text after a closing quote", source,
                                  c->line);
            continue;
        }
        if (!quoted && (ch == ',' || ch == '\n' || ch == '\r')) {
            p++;
            c->at_eol = ch != ',';
            if (ch == '\r' && p < end && *p == '\n')
                p++;
            break;
        }
        if (ch == '\0')
            return ch_err_set(err, CH_E_INVALID, "%s:%zu: NUL byte in a field", source, c->line);
        if (ch == '\n')
            c->line++; /* a newline inside quotes */
        ch_buf_append_byte(out, ch);
        p++;
    }
    c->rest = ch_str_make(p, (size_t)(end - p));
    if (ch_buf_len(out) > CSV_MAX_FIELD)
        return ch_err_set(err, CH_E_LIMIT, "%s:%zu: field longer than %d bytes", source, c->line,
                          CSV_MAX_FIELD);
    return ch_buf_status(out, source, err) == CH_OK ? 1 : out->failed;
}

/*
 * Reads one record: its fields, trimmed, NUL-separated in rec, each fields[i]
 * pointing into rec (valid until the next record). Returns the count, 0 at
 * the end of input.
 */
static int csv_record(struct csv *c, struct ch_buf *rec, const char **fields, size_t max,
                      struct ch_buf *tmp, const char *source, struct ch_err *err)
{
    size_t off[CH_SSVC_MAX_POINTS + 2];
    size_t n = 0;
    ch_buf_reset(rec);
    c->at_eol = false;
    while (!c->at_eol) {
        int rc = csv_field(c, tmp, source, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (n == max || n == CH_ARRAY_SIZE(off))
            return ch_err_set(err, CH_E_LIMIT, "%s:%zu: more than %zu fields", source, c->line,
                              max);
        struct ch_str s = ch_str_trim(ch_buf_str(tmp));
        off[n++] = ch_buf_len(rec);
        ch_buf_append_str(rec, s);
        ch_buf_append_byte(rec, '\0');
    }
    int rc = ch_buf_status(rec, source, err);
    if (rc != CH_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        fields[i] = ch_buf_cstr(rec) + off[i];
    return (int)n;
}

/* "In KEV v1.0.0 (cisa)" → name "In KEV", version "1.0.0", namespace "cisa". */
static int csv_header_point(struct ch_ssvc_table *t, const char *cell, struct ch_ssvc_point *p,
                            const char *source, struct ch_err *err)
{
    struct ch_str s = ch_str_c(cell);
    struct ch_str ns = CH_STR_LIT("ssvc");
    struct ch_str version = CH_STR_LIT("");
    if (s.len > 2 && s.ptr[s.len - 1] == ')') {
        long open = -1;
        for (size_t i = s.len; i-- > 0;) {
            if (s.ptr[i] == '(') {
                open = (long)i;
                break;
            }
        }
        if (open > 0) {
            ns = ch_str_trim(ch_str_sub(s, (size_t)open + 1, s.len - (size_t)open - 2));
            s = ch_str_trim(ch_str_sub(s, 0, (size_t)open));
        }
    }
    for (size_t i = s.len; i-- > 1;) {
        if (s.ptr[i] == 'v' && s.ptr[i - 1] == ' ' && i + 1 < s.len &&
            isdigit((unsigned char)s.ptr[i + 1])) {
            version = ch_str_sub(s, i + 1, s.len - i - 1);
            s = ch_str_trim(ch_str_sub(s, 0, i));
            break;
        }
    }
    if (s.len == 0)
        return ch_err_set(err, CH_E_INVALID, "%s:1: empty decision point name", source);
    p->name = adup(t, s.ptr, s.len);
    p->key = p->name;
    p->ns = adup(t, ns.ptr, ns.len);
    p->version = adup(t, version.ptr, version.len);
    p->definition = "";
    p->id = ch_arena_printf(t->arena, "%.*s:%.*s:%.*s", CH_STR_FMT(ns), CH_STR_FMT(s),
                            CH_STR_FMT(version));
    if (p->name == NULL || p->ns == NULL || p->version == NULL || p->id == NULL)
        return nomem(source, err);
    p->values = ch_arena_calloc(t->arena, CH_SSVC_MAX_VALUES, sizeof(struct ch_ssvc_value));
    return p->values == NULL ? nomem(source, err) : CH_OK;
}

/* Index of value text in p, adding it (first appearance order) when new. */
static int csv_value(struct ch_ssvc_table *t, struct ch_ssvc_point *p, const char *text,
                     size_t line, const char *source, size_t *ret, struct ch_err *err)
{
    for (size_t i = 0; i < p->n_values; i++) {
        if (norm_eq(ch_str_c(text), p->values[i].name)) {
            *ret = i;
            return CH_OK;
        }
    }
    if (text[0] == '\0')
        return ch_err_set(err, CH_E_INVALID, "%s:%zu: empty value for '%s'", source, line, p->name);
    if (p->n_values == CH_SSVC_MAX_VALUES)
        return ch_err_set(err, CH_E_LIMIT, "%s:%zu: more than %d values for '%s'", source, line,
                          CH_SSVC_MAX_VALUES, p->name);
    const char *copy = adup(t, text, strlen(text));
    if (copy == NULL)
        return nomem(source, err);
    struct ch_ssvc_value *v = &values_mut(p)[p->n_values];
    *v = (struct ch_ssvc_value){.key = copy, .name = copy, .definition = ""};
    *ret = p->n_values++;
    return CH_OK;
}

/* One parsed CSV row: value index per column (inputs then outcome) and its line. */
struct csv_row {
    uint8_t vals[CH_SSVC_MAX_POINTS + 1];
    size_t line;
};

/*
 * CSV carries no order of outcome values: order them by the mean rank (sum of
 * input value indexes) of the rows producing them, ties by first appearance.
 * Returns the permutation old index → new index in ret_map.
 */
static void csv_order_outcomes(struct ch_ssvc_table *t, const struct csv_row *rows, size_t n_rows,
                               size_t *ret_map)
{
    size_t k = t->outcome.n_values;
    double mean[CH_SSVC_MAX_VALUES] = {0};
    size_t count[CH_SSVC_MAX_VALUES] = {0};
    size_t order[CH_SSVC_MAX_VALUES];
    for (size_t r = 0; r < n_rows; r++) {
        size_t rank = 0;
        for (size_t i = 0; i < t->n_points; i++)
            rank += rows[r].vals[i];
        mean[rows[r].vals[t->n_points]] += (double)rank;
        count[rows[r].vals[t->n_points]]++;
    }
    for (size_t i = 0; i < k; i++) {
        mean[i] = count[i] > 0 ? mean[i] / (double)count[i] : 0.0;
        order[i] = i;
    }
    /* insertion sort: stable, and k <= 32 */
    for (size_t i = 1; i < k; i++) {
        size_t x = order[i];
        size_t j = i;
        while (j > 0 && mean[order[j - 1]] > mean[x]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    struct ch_ssvc_value old[CH_SSVC_MAX_VALUES];
    memcpy(old, t->outcome.values, k * sizeof(old[0]));
    for (size_t i = 0; i < k; i++) {
        values_mut(&t->outcome)[i] = old[order[i]];
        ret_map[order[i]] = i;
    }
}

static int csv_rows(struct ch_ssvc_table *t, struct csv *c, size_t skip, size_t n_cols,
                    struct csv_row **ret_rows, size_t *ret_n, struct ch_buf *rec,
                    struct ch_buf *tmp, const char *source, struct ch_err *err)
{
    struct csv_row *rows = NULL;
    size_t n = 0;
    size_t cap = 0;
    int rc = CH_OK;
    for (;;) {
        const char *f[CH_SSVC_MAX_POINTS + 2];
        size_t line = c->line;
        int nf = csv_record(c, rec, f, CH_ARRAY_SIZE(f), tmp, source, err);
        c->line++;
        if (nf < 0) {
            rc = nf;
            break;
        }
        if (nf == 0 && c->rest.len == 0)
            break;
        if (nf == 0 || (nf == 1 && f[0][0] == '\0'))
            continue; /* blank line */
        if ((size_t)nf != n_cols + skip) {
            rc = ch_err_set(err, CH_E_INVALID, "%s:%zu: expected %zu fields, found %d", source,
                            line, n_cols + skip, nf);
            break;
        }
        if (n == CH_SSVC_MAX_ROWS) {
            rc = ch_err_set(err, CH_E_LIMIT, "%s:%zu: more than %d rows", source, line,
                            CH_SSVC_MAX_ROWS);
            break;
        }
        if (n == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2;
            struct csv_row *nr = ch_reallocarray(rows, ncap, sizeof(*rows));
            if (nr == NULL) {
                rc = nomem(source, err);
                break;
            }
            rows = nr;
            cap = ncap;
        }
        rows[n].line = line;
        for (size_t j = 0; j < n_cols && rc == CH_OK; j++) {
            struct ch_ssvc_point *p = j < t->n_points ? &t->points[j] : &t->outcome;
            size_t vi = 0;
            rc = csv_value(t, p, f[skip + j], line, source, &vi, err);
            rows[n].vals[j] = (uint8_t)vi;
        }
        if (rc != CH_OK)
            break;
        n++;
    }
    if (rc != CH_OK) {
        ch_free(rows);
        return rc;
    }
    *ret_rows = rows;
    *ret_n = n;
    return CH_OK;
}

static int parse_csv(struct ch_ssvc_table *t, const char *data, size_t len, const char *source,
                     struct ch_err *err)
{
    struct csv c = {.rest = ch_str_make(data, len), .line = 1};
    struct ch_buf tmp;
    struct ch_buf rec;
    ch_buf_init(&tmp, CSV_MAX_FIELD + 1);
    ch_buf_init(&rec, (CSV_MAX_FIELD + 1) * (CH_SSVC_MAX_POINTS + 2));
    struct csv_row *rows = NULL;
    size_t n_rows = 0;
    const char *head[CH_SSVC_MAX_POINTS + 2];
    int nh = csv_record(&c, &rec, head, CH_ARRAY_SIZE(head), &tmp, source, err);
    c.line++;
    int rc = nh < 0 ? nh : CH_OK;
    if (rc != CH_OK)
        goto out;
    size_t skip = nh > 0 && norm_eq(ch_str_c(head[0]), "row") ? 1 : 0;
    if ((size_t)nh < skip + 2) {
        rc = ch_err_set(err, CH_E_INVALID,
                        "%s:1: expected a header naming decision points and the outcome", source);
        goto out;
    }
    size_t n_cols = (size_t)nh - skip;
    if (n_cols - 1 > CH_SSVC_MAX_POINTS) {
        rc = ch_err_set(err, CH_E_LIMIT, "%s:1: more than %d decision points", source,
                        CH_SSVC_MAX_POINTS);
        goto out;
    }
    t->n_points = n_cols - 1;
    for (size_t j = 0; j < n_cols && rc == CH_OK; j++) {
        struct ch_ssvc_point *p = j < t->n_points ? &t->points[j] : &t->outcome;
        rc = csv_header_point(t, head[skip + j], p, source, err);
    }
    for (size_t j = 0; j < t->n_points && rc == CH_OK; j++) {
        for (size_t k = 0; k < j; k++) {
            if (norm_eq(ch_str_c(t->points[j].name), t->points[k].name))
                rc = ch_err_set(err, CH_E_INVALID, "%s:1: decision point '%s' named twice", source,
                                t->points[j].name);
        }
    }
    if (rc == CH_OK)
        rc = csv_rows(t, &c, skip, n_cols, &rows, &n_rows, &rec, &tmp, source, err);
    if (rc == CH_OK)
        rc = alloc_cells(t, source, err);
    if (rc != CH_OK)
        goto out;
    size_t map[CH_SSVC_MAX_VALUES];
    csv_order_outcomes(t, rows, n_rows, map);
    for (size_t r = 0; r < n_rows; r++) {
        size_t vals[CH_SSVC_MAX_POINTS];
        for (size_t i = 0; i < t->n_points; i++)
            vals[i] = rows[r].vals[i];
        rc = set_cell(t, vals, map[rows[r].vals[t->n_points]], rows[r].line, source, false, err);
        if (rc != CH_OK)
            goto out;
    }
    rc = check_complete(t, source, err);
    if (rc == CH_OK) {
        t->id = adup(t, source, strlen(source));
        t->name = t->outcome.name;
        if (t->id == NULL)
            rc = nomem(source, err);
    }
out:
    ch_free(rows);
    ch_buf_release(&tmp);
    ch_buf_release(&rec);
    return rc;
}

/* ---- entry points ------------------------------------------------------ */

int ch_ssvc_table_parse(const char *data, size_t len, const char *source,
                        struct ch_ssvc_table **ret, struct ch_err *err)
{
    if (source == NULL)
        source = "input";
    if (len > CH_SSVC_MAX_FILE_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "%s: larger than %zu bytes", source,
                          CH_SSVC_MAX_FILE_BYTES);
    struct ch_ssvc_table *t = NULL;
    int rc = table_new(source, &t, err);
    if (rc != CH_OK)
        return rc;
    struct ch_str s = ch_str_trim(ch_str_make(data, len));
    if (s.len == 0)
        rc = ch_err_set(err, CH_E_INVALID, "%s: empty decision table", source);
    else if (s.ptr[0] == '{')
        rc = parse_json(t, data, len, source, err);
    else
        rc = parse_csv(t, data, len, source, err);
    if (rc != CH_OK) {
        if (err->msg[0] != '\0' && strncmp(err->msg, source, strlen(source)) != 0)
            ch_err_prefix(err, "%s", source);
        ch_ssvc_table_free(t);
        return rc;
    }
    *ret = t;
    return CH_OK;
}

/* Reads a whole regular file of at most max bytes into out. */
static int read_file(const char *path, size_t max, struct ch_buf *out, struct ch_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    int rc = CH_OK;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ch_err_set(err, CH_E_IO, "'%s' is not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = ch_err_set(err, CH_E_LIMIT, "'%s' is larger than %zu bytes", path, max);
        goto out;
    }
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        ch_buf_append(out, chunk, (size_t)n);
        if (out->failed != 0)
            break;
    }
    rc = ch_buf_status(out, path, err);
out:
    close(fd);
    return rc;
}

int ch_ssvc_table_load(const char *path, struct ch_ssvc_table **ret, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_SSVC_MAX_FILE_BYTES);
    int rc = read_file(path, CH_SSVC_MAX_FILE_BYTES, &b, err);
    if (rc == CH_OK)
        rc = ch_ssvc_table_parse(ch_buf_cstr(&b), ch_buf_len(&b), path, ret, err);
    ch_buf_release(&b);
    return rc;
}

/* ---- accessors and lookup ---------------------------------------------- */

static bool point_matches(const struct ch_ssvc_point *p, struct ch_str name);

/*
 * Every point's id, key and name, and every value's name and key, must find
 * that point or value and no earlier one, so that a lookup by any of them is
 * unambiguous (a value keyed "B" before one named "b" would shadow it).
 */
static int check_unambiguous(const struct ch_ssvc_table *t, const char *source, struct ch_err *err)
{
    for (size_t i = 0; i <= t->n_points; i++) {
        const struct ch_ssvc_point *p = i < t->n_points ? &t->points[i] : &t->outcome;
        const char *names[3] = {p->id, p->key, p->name};
        for (size_t n = 0; n < 3 && i < t->n_points; n++) {
            size_t found = SIZE_MAX;
            for (size_t k = 0; k < t->n_points && found == SIZE_MAX; k++) {
                if (point_matches(&t->points[k], ch_str_trim(ch_str_c(names[n]))))
                    found = k;
            }
            if (found == i)
                continue;
            if (found == SIZE_MAX)
                return ch_err_set(err, CH_E_INVALID,
                                  "%s: decision point '%s' cannot be named by '%s' (spaces "
                                  "around it?)",
                                  source, p->name, names[n]);
            return ch_err_set(err, CH_E_INVALID,
                              "%s: decision points '%s' and '%s' have clashing names", source,
                              t->points[found].name, p->name);
        }
        for (size_t v = 0; v < p->n_values; v++) {
            size_t a = SIZE_MAX;
            size_t b = SIZE_MAX;
            struct ch_err probe = CH_ERR_INIT;
            /* a miss leaves SIZE_MAX, which the test below reports */
            CH_IGNORE(ch_ssvc_point_find_value(p, ch_str_c(p->values[v].name), &a, &probe));
            CH_IGNORE(ch_ssvc_point_find_value(p, ch_str_c(p->values[v].key), &b, &probe));
            if (a != v || b != v)
                return ch_err_set(err, CH_E_INVALID,
                                  "%s: values of decision point '%s' have clashing names or keys "
                                  "('%s')",
                                  source, p->name, p->values[v].name);
        }
    }
    return CH_OK;
}

const char *ch_ssvc_table_id(const struct ch_ssvc_table *t)
{
    return t->id;
}

const char *ch_ssvc_table_name(const struct ch_ssvc_table *t)
{
    return t->name;
}

size_t ch_ssvc_table_n_points(const struct ch_ssvc_table *t)
{
    return t->n_points;
}

const struct ch_ssvc_point *ch_ssvc_table_point(const struct ch_ssvc_table *t, size_t i)
{
    CH_ASSERT(i < t->n_points);
    return &t->points[i];
}

const struct ch_ssvc_point *ch_ssvc_table_outcome(const struct ch_ssvc_table *t)
{
    return &t->outcome;
}

size_t ch_ssvc_table_n_rows(const struct ch_ssvc_table *t)
{
    return t->n_rows;
}

size_t ch_ssvc_table_row(const struct ch_ssvc_table *t, size_t r, size_t *ret_values)
{
    CH_ASSERT(r < t->n_rows);
    size_t rest = r;
    for (size_t i = 0; i < t->n_points; i++) {
        ret_values[i] = rest / t->stride[i];
        rest %= t->stride[i];
    }
    return t->cells[r] < 0 ? 0 : (size_t)t->cells[r];
}

/* "id without version": "cisa:KEV" for "cisa:KEV:1.0.0". */
static bool matches_id_prefix(struct ch_str name, const struct ch_ssvc_point *p)
{
    size_t nslen = strlen(p->ns);
    size_t keylen = strlen(p->key);
    return name.len == nslen + 1 + keylen && strncasecmp(name.ptr, p->ns, nslen) == 0 &&
           name.ptr[nslen] == ':' && strncasecmp(name.ptr + nslen + 1, p->key, keylen) == 0;
}

static bool point_matches(const struct ch_ssvc_point *p, struct ch_str name)
{
    return ch_str_case_eq_c(name, p->id) || ch_str_case_eq_c(name, p->key) ||
           norm_eq(name, p->name) || matches_id_prefix(name, p);
}

int ch_ssvc_table_find_point(const struct ch_ssvc_table *t, struct ch_str name, size_t *ret_index,
                             struct ch_err *err)
{
    struct ch_str s = ch_str_trim(name);
    for (size_t i = 0; i < t->n_points; i++) {
        if (point_matches(&t->points[i], s)) {
            *ret_index = i;
            return CH_OK;
        }
    }
    for (size_t i = 0; i < t->n_aliases; i++) {
        if (norm_eq(s, t->aliases[i].name)) {
            *ret_index = t->aliases[i].index;
            return CH_OK;
        }
    }
    char list[300];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < t->n_points && used < sizeof(list); i++) {
        int n = snprintf(list + used, sizeof(list) - used, "%s'%s'", i == 0 ? "" : ", ",
                         t->points[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return ch_err_setf(err, CH_E_NOTFOUND, "point", "unknown decision point '%.*s' (known: %s)",
                       CH_STR_FMT(ch_str_sub(s, 0, 100)), list);
}

/* Synonyms accepted for a value of the given (normalised) name. */
static const struct {
    const char *value;
    const char *synonyms[4];
} value_synonyms[] = {
    {"yes", {"true", "y", "1", NULL}},
    {"no", {"false", "n", "0", NULL}},
    {"public poc", {"poc", NULL}},
};

static bool value_matches(const struct ch_ssvc_value *v, struct ch_str s)
{
    if (norm_eq(s, v->name) || ch_str_case_eq_c(s, v->key))
        return true;
    for (size_t i = 0; i < CH_ARRAY_SIZE(value_synonyms); i++) {
        if (!norm_eq(ch_str_c(v->name), value_synonyms[i].value))
            continue;
        for (size_t k = 0; value_synonyms[i].synonyms[k] != NULL; k++) {
            if (norm_eq(s, value_synonyms[i].synonyms[k]))
                return true;
        }
    }
    return false;
}

int ch_ssvc_point_find_value(const struct ch_ssvc_point *p, struct ch_str value, size_t *ret_index,
                             struct ch_err *err)
{
    struct ch_str s = ch_str_trim(value);
    /* names and keys first, so a synonym never shadows a real value */
    for (size_t i = 0; i < p->n_values; i++) {
        if (norm_eq(s, p->values[i].name) || ch_str_case_eq_c(s, p->values[i].key)) {
            *ret_index = i;
            return CH_OK;
        }
    }
    for (size_t i = 0; i < p->n_values; i++) {
        if (value_matches(&p->values[i], s)) {
            *ret_index = i;
            return CH_OK;
        }
    }
    char list[300];
    list_values(p, list, sizeof(list));
    return ch_err_setf(err, CH_E_NOTFOUND, "value", "unknown value '%.*s' for '%s' (expected %s)",
                       CH_STR_FMT(ch_str_sub(s, 0, 100)), p->name, list);
}

int ch_ssvc_table_add_alias(struct ch_ssvc_table *t, const char *alias, size_t index,
                            struct ch_err *err)
{
    CH_ASSERT(index < t->n_points);
    struct ch_err probe = CH_ERR_INIT;
    size_t existing = 0;
    if (ch_ssvc_table_find_point(t, ch_str_c(alias), &existing, &probe) == CH_OK) {
        if (existing == index)
            return CH_OK;
        return ch_err_set(err, CH_E_CONFLICT, "alias '%.100s' already names decision point '%s'",
                          alias, t->points[existing].name);
    }
    if (t->n_aliases == CH_SSVC_MAX_ALIASES)
        return ch_err_set(err, CH_E_LIMIT, "more than %d aliases", CH_SSVC_MAX_ALIASES);
    if (strlen(alias) > CH_SSVC_MAX_TEXT)
        return ch_err_set(err, CH_E_LIMIT, "alias longer than %d bytes", CH_SSVC_MAX_TEXT);
    const char *copy = adup(t, alias, strlen(alias));
    if (copy == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    t->aliases[t->n_aliases++] = (struct alias){.name = copy, .index = index};
    return CH_OK;
}

int ch_ssvc_table_lookup_index(const struct ch_ssvc_table *t, const size_t *values,
                               size_t *ret_outcome, struct ch_err *err)
{
    for (size_t i = 0; i < t->n_points; i++) {
        if (values[i] >= t->points[i].n_values)
            return ch_err_set(err, CH_E_INVALID, "value index %zu out of range for '%s'", values[i],
                              t->points[i].name);
    }
    int16_t o = t->cells[combination_index(t, values)];
    if (CH_NEVER(o < 0))
        return ch_err_set(err, CH_E_INTERNAL, "incomplete decision table '%s'", t->id);
    *ret_outcome = (size_t)o;
    return CH_OK;
}

int ch_ssvc_table_lookup(const struct ch_ssvc_table *t, const struct ch_ssvc_input *in, size_t n_in,
                         size_t *ret_outcome, struct ch_err *err)
{
    size_t vals[CH_SSVC_MAX_POINTS];
    bool given[CH_SSVC_MAX_POINTS] = {false};
    for (size_t k = 0; k < n_in; k++) {
        size_t pi = 0;
        int rc = ch_ssvc_table_find_point(t, in[k].point, &pi, err);
        if (rc != CH_OK)
            return rc;
        if (given[pi])
            return ch_err_setf(err, CH_E_INVALID, "point", "decision point '%s' given twice",
                               t->points[pi].name);
        rc = ch_ssvc_point_find_value(&t->points[pi], in[k].value, &vals[pi], err);
        if (rc != CH_OK)
            return rc;
        given[pi] = true;
    }
    char missing[300];
    size_t used = 0;
    missing[0] = '\0';
    for (size_t i = 0; i < t->n_points && used < sizeof(missing); i++) {
        if (given[i])
            continue;
        int n = snprintf(missing + used, sizeof(missing) - used, "%s'%s'", used == 0 ? "" : ", ",
                         t->points[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used > 0)
        return ch_err_set(err, CH_E_INVALID, "no value given for %s", missing);
    return ch_ssvc_table_lookup_index(t, vals, ret_outcome, err);
}
