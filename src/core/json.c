/* SPDX-License-Identifier: Apache-2.0
 *
 * json.c: strict JSON reading over cJSON and a streaming writer (see json.h).
 *
 * The pre-scan is a small state machine over the raw bytes. It does not
 * validate the grammar (cJSON does); it validates what cJSON does not:
 * UTF-8, control characters and \u0000 in strings, nesting depth, string
 * length and value count. Its depth check runs before cJSON's recursive
 * descent sees the text, so hostile nesting cannot exhaust the stack.
 */
#include "core/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/map.h"
#include "core/utf8.h"

/* Objects with more members than this are checked for duplicates with a hash map. */
#define DUP_LINEAR_MAX 16
#define PATH_MAX_LEN 256

/*
 * cJSON reports an allocation failure the same way as a syntax error (NULL),
 * so the hook notes it here; thread-local because parses run on many threads.
 */
static _Thread_local int json_alloc_failed;

static void *json_malloc(size_t n)
{
    void *p = ch_malloc(n);
    if (p == NULL)
        json_alloc_failed = 1;
    return p;
}

void ch_json_global_init(void)
{
    cJSON_Hooks hooks = {.malloc_fn = json_malloc, .free_fn = ch_free};
    cJSON_InitHooks(&hooks);
}

void ch_json_line_col(const char *data, size_t len, size_t off, size_t *ret_line, size_t *ret_col)
{
    size_t line = 1, col = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xc0) != 0x80) {
            col++; /* count characters, not continuation bytes */
        }
    }
    *ret_line = line;
    *ret_col = col;
}

static int at_error(struct ch_err *err, int rc, const char *source, const char *data, size_t len,
                    size_t off, const char *what)
{
    size_t line, col;
    ch_json_line_col(data, len, off, &line, &col);
    return ch_err_set(err, rc, "%s:%zu:%zu: %s", source, line, col, what);
}

static size_t effective(size_t v, size_t def)
{
    return v == 0 ? def : v;
}

/* Strict checks cJSON does not make; see the file comment. */
static int prescan(const char *data, size_t len, const struct ch_json_limits *lim,
                   const char *source, struct ch_err *err)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t max_depth = effective(lim->max_depth, CH_JSON_DEFAULT_MAX_DEPTH);
    size_t max_string = effective(lim->max_string, CH_JSON_DEFAULT_MAX_STRING);
    size_t max_nodes = effective(lim->max_nodes, CH_JSON_DEFAULT_MAX_NODES);
    size_t depth = 0, nodes = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c == '"') {
            size_t start = i++;
            size_t slen = 0;
            for (;;) {
                if (i >= len)
                    return at_error(err, CH_E_INVALID, source, data, len, start,
                                    "unterminated string");
                c = p[i];
                if (c == '"')
                    break;
                if (c < 0x20)
                    return at_error(err, CH_E_INVALID, source, data, len, i,
                                    "control character in string");
                if (c == '\\') {
                    if (i + 1 < len && p[i + 1] == 'u' && i + 5 < len &&
                        memcmp(p + i + 2, "0000", 4) == 0)
                        return at_error(err, CH_E_INVALID, source, data, len, i,
                                        "\\u0000 in string is not supported");
                    i += 2;
                    slen++;
                    continue;
                }
                if (c >= 0x80) {
                    size_t n = ch_utf8_seq_len(p + i, len - i);
                    if (n == 0)
                        return at_error(err, CH_E_INVALID, source, data, len, i,
                                        "invalid UTF-8");
                    i += n;
                    slen += n;
                } else {
                    i++;
                    slen++;
                }
                if (slen > max_string) {
                    char msg[96];
                    snprintf(msg, sizeof(msg), "string longer than %zu bytes", max_string);
                    return at_error(err, CH_E_LIMIT, source, data, len, start, msg);
                }
            }
            i++;
            nodes++;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                char msg[96];
                snprintf(msg, sizeof(msg), "nesting deeper than %zu levels", max_depth);
                return at_error(err, CH_E_LIMIT, source, data, len, i, msg);
            }
            nodes++;
            i++;
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
            i++;
        } else if (c >= 0x80) {
            return at_error(err, CH_E_INVALID, source, data, len, i, "unexpected byte");
        } else {
            if (c == ',' )
                nodes++;
            i++;
        }
        if (nodes > max_nodes) {
            char msg[96];
            snprintf(msg, sizeof(msg), "more than %zu values", max_nodes);
            return at_error(err, CH_E_LIMIT, source, data, len, i, msg);
        }
    }
    return CH_OK;
}

static void path_child(char *out, size_t n, const char *path, const char *key, int index)
{
    if (key != NULL)
        snprintf(out, n, "%s%s%s", path, path[0] ? "." : "", key);
    else
        snprintf(out, n, "%s[%d]", path, index);
}

static int check_dups(const cJSON *v, const char *path, const char *source, unsigned depth,
                      struct ch_err *err);

static int check_object_dups(const cJSON *obj, const char *path, const char *source,
                             struct ch_err *err)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next)
        n++;
    if (n <= DUP_LINEAR_MAX) {
        for (const cJSON *a = obj->child; a != NULL; a = a->next) {
            for (const cJSON *b = a->next; b != NULL; b = b->next) {
                if (strcmp(a->string, b->string) == 0) {
                    char p[PATH_MAX_LEN];
                    path_child(p, sizeof(p), path, a->string, 0);
                    return ch_err_setf(err, CH_E_INVALID, p, "%s: duplicate key '%s'", source, p);
                }
            }
        }
        return CH_OK;
    }
    struct ch_map *seen = ch_map_new(0x5eed, NULL);
    if (seen == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory checking keys");
    int rc = CH_OK;
    for (const cJSON *a = obj->child; a != NULL; a = a->next) {
        struct ch_str k = ch_str_c(a->string);
        if (ch_map_has(seen, k)) {
            char p[PATH_MAX_LEN];
            path_child(p, sizeof(p), path, a->string, 0);
            rc = ch_err_setf(err, CH_E_INVALID, p, "%s: duplicate key '%s'", source, p);
            break;
        }
        if (ch_map_put(seen, k, (void *)a) != CH_OK) {
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory checking keys");
            break;
        }
    }
    ch_map_free(seen);
    return rc;
}

static int check_dups(const cJSON *v, const char *path, const char *source, unsigned depth,
                      struct ch_err *err)
{
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return CH_OK;
    if (cJSON_IsObject(v)) {
        int rc = check_object_dups(v, path, source, err);
        if (rc != CH_OK)
            return rc;
    }
    int index = 0;
    for (const cJSON *c = v->child; c != NULL; c = c->next, index++) {
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
            continue;
        char p[PATH_MAX_LEN];
        path_child(p, sizeof(p), path, cJSON_IsObject(v) ? c->string : NULL, index);
        int rc = check_dups(c, p, source, depth + 1, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

int ch_json_parse(const char *data, size_t len, const struct ch_json_limits *limits,
                  const char *source, cJSON **ret, struct ch_err *err)
{
    static const struct ch_json_limits none = {0, 0, 0, 0};
    const struct ch_json_limits *lim = limits != NULL ? limits : &none;
    if (source == NULL)
        source = "input";
    size_t max_bytes = effective(lim->max_bytes, CH_JSON_DEFAULT_MAX_BYTES);
    if (len > max_bytes)
        return ch_err_set(err, CH_E_LIMIT, "%s: document of %zu bytes exceeds the limit of %zu",
                          source, len, max_bytes);
    int rc = prescan(data, len, lim, source, err);
    if (rc != CH_OK)
        return rc;
    const char *end = NULL;
    json_alloc_failed = 0;
    cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (root == NULL) {
        if (json_alloc_failed || end == NULL || end < data || end > data + len)
            return ch_err_set(err, CH_E_NOMEM, "%s: cannot parse (out of memory)", source);
        size_t off = (size_t)(end - data);
        return at_error(err, CH_E_INVALID, source, data, len, off,
                        off >= len ? "unexpected end of input" : "syntax error");
    }
    /* trailing garbage after the value */
    size_t off = (size_t)(end - data);
    while (off < len && (data[off] == ' ' || data[off] == '\t' || data[off] == '\r' ||
                         data[off] == '\n'))
        off++;
    if (off < len) {
        cJSON_Delete(root);
        return at_error(err, CH_E_INVALID, source, data, len, off, "trailing data after value");
    }
    rc = check_dups(root, "", source, 0, err);
    if (rc != CH_OK) {
        cJSON_Delete(root);
        return rc;
    }
    *ret = root;
    return CH_OK;
}

const char *ch_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *ch_json_arr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

const cJSON *ch_json_obj(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

bool ch_json_int_value(const cJSON *v, int64_t *ret)
{
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    /* NaN fails every comparison, so it is refused here too */
    if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || d != floor(d))
        return false;
    *ret = (int64_t)d;
    return true;
}

/* Looks up key; 1 = found with a non-null value, 0 = absent (error set if required). */
static int lookup(const cJSON *obj, const char *key, bool required, const char *path,
                  const char *expected, const cJSON **ret, struct ch_err *err)
{
    char p[PATH_MAX_LEN];
    path_child(p, sizeof(p), path, key, 0);
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (v == NULL || cJSON_IsNull(v)) {
        if (required)
            return ch_err_setf(err, CH_E_INVALID, p, "field '%s': missing (expected %s)", p,
                               expected);
        return 0;
    }
    *ret = v;
    return 1;
}

static int type_error(const char *path, const char *key, const char *expected, struct ch_err *err)
{
    char p[PATH_MAX_LEN];
    path_child(p, sizeof(p), path, key, 0);
    return ch_err_setf(err, CH_E_INVALID, p, "field '%s': expected %s", p, expected);
}

int ch_json_get_str(const cJSON *obj, const char *key, bool required, const char *path,
                    const char **ret, struct ch_err *err)
{
    const cJSON *v = NULL;
    int found = lookup(obj, key, required, path, "a string", &v, err);
    if (found <= 0)
        return found;
    if (!cJSON_IsString(v))
        return type_error(path, key, "a string", err);
    *ret = v->valuestring;
    return CH_OK;
}

int ch_json_get_num(const cJSON *obj, const char *key, bool required, const char *path,
                    double *ret, struct ch_err *err)
{
    const cJSON *v = NULL;
    int found = lookup(obj, key, required, path, "a number", &v, err);
    if (found <= 0)
        return found;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return type_error(path, key, "a number", err);
    *ret = v->valuedouble;
    return CH_OK;
}

int ch_json_get_int(const cJSON *obj, const char *key, bool required, const char *path,
                    int64_t min, int64_t max, int64_t *ret, struct ch_err *err)
{
    double d;
    int rc = ch_json_get_num(obj, key, required, path, &d, err);
    if (rc != CH_OK)
        return rc;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL || cJSON_IsNull(v))
        return CH_OK;
    int64_t n = 0;
    if (!ch_json_int_value(v, &n) || n < min || n > max) {
        char p[PATH_MAX_LEN];
        path_child(p, sizeof(p), path, key, 0);
        return ch_err_setf(err, CH_E_INVALID, p, "field '%s': expected an integer in [%lld, %lld]",
                           p, (long long)min, (long long)max);
    }
    *ret = n;
    return CH_OK;
}

int ch_json_get_bool(const cJSON *obj, const char *key, bool required, const char *path,
                     bool *ret, struct ch_err *err)
{
    const cJSON *v = NULL;
    int found = lookup(obj, key, required, path, "a boolean", &v, err);
    if (found <= 0)
        return found;
    if (!cJSON_IsBool(v))
        return type_error(path, key, "a boolean", err);
    *ret = cJSON_IsTrue(v);
    return CH_OK;
}

int ch_json_get_arr(const cJSON *obj, const char *key, bool required, const char *path,
                    const cJSON **ret, struct ch_err *err)
{
    const cJSON *v = NULL;
    int found = lookup(obj, key, required, path, "an array", &v, err);
    if (found <= 0)
        return found;
    if (!cJSON_IsArray(v))
        return type_error(path, key, "an array", err);
    *ret = v;
    return CH_OK;
}

int ch_json_get_obj(const cJSON *obj, const char *key, bool required, const char *path,
                    const cJSON **ret, struct ch_err *err)
{
    const cJSON *v = NULL;
    int found = lookup(obj, key, required, path, "an object", &v, err);
    if (found <= 0)
        return found;
    if (!cJSON_IsObject(v))
        return type_error(path, key, "an object", err);
    *ret = v;
    return CH_OK;
}

/* ---- writer ---- */

int ch_json_append_string(struct ch_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    int rc = ch_buf_append_byte(b, '"');
    size_t run = 0; /* start of the current run of bytes that need no escaping */
    size_t i = 0;
    while (i < len && rc == CH_OK) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = ch_utf8_seq_len(p + i, len - i);
            if (n > 0) {
                i += n;
                continue;
            }
        }
        rc = ch_buf_append(b, s + run, i - run);
        if (rc != CH_OK)
            break;
        char esc[8];
        size_t elen = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            if (c >= 0x80) {
                memcpy(esc, "\\ufffd", 6); /* invalid UTF-8 byte */
            } else {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
            }
            elen = 6;
            break;
        }
        rc = ch_buf_append(b, esc, elen);
        i++;
        run = i;
    }
    if (rc == CH_OK)
        rc = ch_buf_append(b, s + run, len - run);
    if (rc == CH_OK)
        rc = ch_buf_append_byte(b, '"');
    return rc;
}

void ch_jw_init(struct ch_jw *w, struct ch_buf *out, int pretty)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->pretty = pretty;
}

static void indent(struct ch_jw *w)
{
    if (!w->pretty)
        return;
    (void)ch_buf_append_byte(w->out, '\n'); /* failures are sticky in the buffer */
    for (unsigned i = 0; i < w->depth; i++)
        (void)ch_buf_append(w->out, "  ", 2);
}

/* Separator before a value (or key) at the current level. */
static void before_value(struct ch_jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        if (w->need_comma[w->depth - 1])
            (void)ch_buf_append_byte(w->out, ',');
        w->need_comma[w->depth - 1] = 1;
        indent(w);
    }
}

static void open_(struct ch_jw *w, char c)
{
    before_value(w);
    if (w->depth >= CH_JW_MAX_DEPTH) {
        w->failed = CH_E_LIMIT;
        return;
    }
    (void)ch_buf_append_byte(w->out, c);
    w->need_comma[w->depth++] = 0;
}

static void close_(struct ch_jw *w, char c)
{
    if (w->depth == 0) {
        w->failed = CH_E_INTERNAL;
        return;
    }
    int had = w->need_comma[w->depth - 1];
    w->depth--;
    if (had)
        indent(w);
    (void)ch_buf_append_byte(w->out, c);
}

void ch_jw_obj_open(struct ch_jw *w) { open_(w, '{'); }
void ch_jw_obj_close(struct ch_jw *w) { close_(w, '}'); }
void ch_jw_arr_open(struct ch_jw *w) { open_(w, '['); }
void ch_jw_arr_close(struct ch_jw *w) { close_(w, ']'); }

void ch_jw_key(struct ch_jw *w, const char *key)
{
    before_value(w);
    (void)ch_json_append_string(w->out, key, strlen(key));
    (void)ch_buf_append(w->out, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    w->after_key = 1;
}

void ch_jw_str(struct ch_jw *w, const char *s, size_t len)
{
    before_value(w);
    (void)ch_json_append_string(w->out, s, len);
}

void ch_jw_cstr(struct ch_jw *w, const char *s)
{
    if (s == NULL) {
        ch_jw_null(w);
        return;
    }
    ch_jw_str(w, s, strlen(s));
}

void ch_jw_int(struct ch_jw *w, int64_t v)
{
    before_value(w);
    (void)ch_buf_appendf(w->out, "%lld", (long long)v);
}

void ch_jw_double(struct ch_jw *w, double v)
{
    before_value(w);
    if (!isfinite(v)) {
        (void)ch_buf_append(w->out, "null", 4);
        return;
    }
    char tmp[40];
    /* shortest of %.15g/%.17g that round-trips */
    snprintf(tmp, sizeof(tmp), "%.15g", v);
    if (strtod(tmp, NULL) != v)
        snprintf(tmp, sizeof(tmp), "%.17g", v);
    (void)ch_buf_append_c(w->out, tmp);
}

void ch_jw_bool(struct ch_jw *w, bool v)
{
    before_value(w);
    (void)ch_buf_append_c(w->out, v ? "true" : "false");
}

void ch_jw_null(struct ch_jw *w)
{
    before_value(w);
    (void)ch_buf_append(w->out, "null", 4);
}

void ch_jw_raw(struct ch_jw *w, const char *json, size_t len)
{
    before_value(w);
    (void)ch_buf_append(w->out, json, len);
}

void ch_jw_cjson(struct ch_jw *w, const cJSON *v)
{
    if (v == NULL || cJSON_IsNull(v)) {
        ch_jw_null(w);
    } else if (cJSON_IsBool(v)) {
        ch_jw_bool(w, cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            ch_jw_int(w, (int64_t)d);
        else
            ch_jw_double(w, d);
    } else if (cJSON_IsString(v)) {
        ch_jw_cstr(w, v->valuestring);
    } else if (cJSON_IsArray(v)) {
        ch_jw_arr_open(w);
        for (const cJSON *c = v->child; c != NULL; c = c->next)
            ch_jw_cjson(w, c);
        ch_jw_arr_close(w);
    } else if (cJSON_IsObject(v)) {
        ch_jw_obj_open(w);
        for (const cJSON *c = v->child; c != NULL; c = c->next) {
            ch_jw_key(w, c->string);
            ch_jw_cjson(w, c);
        }
        ch_jw_obj_close(w);
    } else {
        ch_jw_null(w);
    }
}

void ch_jw_kstr(struct ch_jw *w, const char *key, const char *s)
{
    ch_jw_key(w, key);
    ch_jw_cstr(w, s);
}

void ch_jw_kstrn(struct ch_jw *w, const char *key, const char *s, size_t len)
{
    ch_jw_key(w, key);
    ch_jw_str(w, s, len);
}

void ch_jw_kint(struct ch_jw *w, const char *key, int64_t v)
{
    ch_jw_key(w, key);
    ch_jw_int(w, v);
}

void ch_jw_kdouble(struct ch_jw *w, const char *key, double v)
{
    ch_jw_key(w, key);
    ch_jw_double(w, v);
}

void ch_jw_kbool(struct ch_jw *w, const char *key, bool v)
{
    ch_jw_key(w, key);
    ch_jw_bool(w, v);
}

void ch_jw_ktime(struct ch_jw *w, const char *key, int64_t secs)
{
    ch_jw_key(w, key);
    if (secs < 0) {
        ch_jw_null(w);
        return;
    }
    char t[CH_TIME_STR_MAX];
    ch_jw_cstr(w, ch_time_format(secs, t));
}

int ch_jw_finish(struct ch_jw *w, struct ch_err *err)
{
    if (w->failed == CH_E_LIMIT)
        return ch_err_set(err, CH_E_LIMIT, "JSON output nested deeper than %d", CH_JW_MAX_DEPTH);
    if (w->failed != CH_OK || w->depth != 0)
        return ch_err_set(err, CH_E_INTERNAL, "JSON writer misused (unbalanced nesting)");
    return ch_buf_status(w->out, "JSON output", err);
}
