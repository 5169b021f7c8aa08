/* SPDX-License-Identifier: Apache-2.0
 *
 * api.c: shared request parsing and response helpers for the /api/v1
 * handlers (see api.h). Everything here treats the request as hostile:
 * values are decoded into the call's arena, bounded, and checked for valid
 * UTF-8 and control characters before any handler sees them.
 */
#include "http/api.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/arena.h"
#include "core/num.h"
#include "core/utf8.h"
#include "http/auth.h"
#include "http/errmap.h"
#include "http/router.h"
#include "store/store.h"

/* Largest accepted `limit` before clamping: beyond this it is not a number we take. */
#define PAGE_LIMIT_PARSE_MAX 1000000000ull
#define CURSOR_PREFIX "c1:"
/* Query parameters one route may declare (bitmask in check_query). */
#define MAX_ALLOWED_PARAMS 32

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes s ('+' is a space when plus_space) into the arena; checks
 * length, escapes, UTF-8 and control characters. NULL with err set on failure.
 */
static const char *decode(struct ch_http_call *call, struct ch_str s, bool plus_space,
                          const char *field)
{
    if (s.len > CH_API_MAX_PARAM * 3) {
        ch_err_setf(&call->err, CH_E_INVALID, field, "parameter '%s' is too long", field);
        return NULL;
    }
    char *out = ch_arena_alloc(call->arena, s.len + 1);
    if (out == NULL) {
        ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '+' && plus_space) {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < s.len ? hexval(s.ptr[i + 1]) : -1;
            int lo = i + 2 < s.len ? hexval(s.ptr[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                ch_err_setf(&call->err, CH_E_INVALID, field,
                            "parameter '%s' has a malformed percent escape", field);
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    if (o > CH_API_MAX_PARAM) {
        ch_err_setf(&call->err, CH_E_INVALID, field, "parameter '%s' is longer than %u bytes",
                    field, CH_API_MAX_PARAM);
        return NULL;
    }
    if (!ch_utf8_valid(out, o, NULL)) {
        ch_err_setf(&call->err, CH_E_INVALID, field, "parameter '%s' is not valid UTF-8", field);
        return NULL;
    }
    for (size_t i = 0; i < o; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x20 || c == 0x7f) {
            ch_err_setf(&call->err, CH_E_INVALID, field,
                        "parameter '%s' contains a control character", field);
            return NULL;
        }
    }
    return out;
}

int ch_api_check_query(struct ch_http_call *call, const char *const *allowed)
{
    struct ch_str rest = call->req.query;
    if (rest.ptr == NULL)
        return CH_OK;
    uint32_t seen = 0;
    struct ch_str pair;
    while (ch_str_split_next(&rest, '&', &pair)) {
        if (pair.len == 0)
            continue;
        long eq = ch_str_find_char(pair, '=');
        struct ch_str k = eq < 0 ? pair : ch_str_make(pair.ptr, (size_t)eq);
        size_t i = 0;
        for (; allowed != NULL && allowed[i] != NULL && i < MAX_ALLOWED_PARAMS; i++) {
            if (ch_str_eq_c(k, allowed[i]))
                break;
        }
        if (allowed == NULL || allowed[i] == NULL || i == MAX_ALLOWED_PARAMS) {
            char shown[64];
            size_t n = k.len < 40 ? k.len : 40;
            size_t o = 0;
            for (size_t j = 0; j < n && o + 1 < sizeof(shown); j++) {
                unsigned char c = (unsigned char)k.ptr[j];
                shown[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
            }
            shown[o] = '\0';
            return ch_err_setf(&call->err, CH_E_INVALID, "query", "unknown query parameter '%s'",
                               shown);
        }
        if (seen & (1u << i))
            return ch_err_setf(&call->err, CH_E_INVALID, allowed[i],
                               "query parameter '%s' is given more than once", allowed[i]);
        seen |= 1u << i;
    }
    return CH_OK;
}

int ch_api_query(struct ch_http_call *call, const char *name, const char **ret)
{
    *ret = NULL;
    struct ch_str rest = call->req.query;
    if (rest.ptr == NULL)
        return CH_OK;
    struct ch_str pair;
    while (ch_str_split_next(&rest, '&', &pair)) {
        long eq = ch_str_find_char(pair, '=');
        struct ch_str k = eq < 0 ? pair : ch_str_make(pair.ptr, (size_t)eq);
        if (!ch_str_eq_c(k, name))
            continue;
        struct ch_str v =
            eq < 0 ? ch_str_make("", 0) : ch_str_make(pair.ptr + eq + 1, pair.len - (size_t)eq - 1);
        const char *d = decode(call, v, true, name);
        if (d == NULL)
            return call->err.rc;
        *ret = d;
        return CH_OK;
    }
    return CH_OK;
}

int ch_api_query_bool(struct ch_http_call *call, const char *name, bool *ret)
{
    const char *v = NULL;
    int rc = ch_api_query(call, name, &v);
    if (rc != CH_OK || v == NULL)
        return rc;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *ret = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *ret = false;
    else
        return ch_err_setf(&call->err, CH_E_INVALID, name, "'%s' must be true or false", name);
    return CH_OK;
}

int ch_api_query_time(struct ch_http_call *call, const char *name, int64_t *ret)
{
    const char *v = NULL;
    int rc = ch_api_query(call, name, &v);
    if (rc != CH_OK || v == NULL)
        return rc;
    struct ch_err perr = CH_ERR_INIT;
    int64_t t = 0;
    if (ch_time_parse(ch_str_c(v), &t, NULL, &perr) != CH_OK)
        return ch_err_setf(&call->err, CH_E_INVALID, name,
                           "'%s' must be an RFC 3339 date or time (2024-01-31 or "
                           "2024-01-31T12:00:00Z)",
                           name);
    *ret = t;
    return CH_OK;
}

int ch_api_param(struct ch_http_call *call, unsigned i, const char **ret)
{
    if (i >= call->req.n_params)
        return ch_err_set(&call->err, CH_E_INTERNAL, "route has no parameter %u", i);
    const char *d = decode(call, call->req.params[i], false, "path");
    if (d == NULL)
        return call->err.rc;
    *ret = d;
    return CH_OK;
}

int ch_api_param_id(struct ch_http_call *call, unsigned i, const char *what, int64_t *ret)
{
    const char *v = NULL;
    int rc = ch_api_param(call, i, &v);
    if (rc != CH_OK)
        return rc;
    struct ch_err perr = CH_ERR_INIT;
    int64_t id = 0;
    if (ch_num_parse_i64(ch_str_c(v), 1, INT64_MAX, &id, &perr) != CH_OK)
        return ch_err_set(&call->err, CH_E_NOTFOUND, "no %s '%s'", what, v);
    *ret = id;
    return CH_OK;
}

void ch_api_cursor_encode(int64_t pos, char out[CH_API_CURSOR_MAX])
{
    char raw[32];
    int n = snprintf(raw, sizeof(raw), CURSOR_PREFIX "%lld", (long long)pos);
    sodium_bin2base64(out, CH_API_CURSOR_MAX, (const unsigned char *)raw, (size_t)n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool ch_api_cursor_decode(const char *cursor, int64_t *ret)
{
    unsigned char raw[32];
    size_t n = 0;
    size_t clen = strlen(cursor);
    if (clen == 0 || clen >= CH_API_CURSOR_MAX)
        return false;
    if (sodium_base642bin(raw, sizeof(raw) - 1, cursor, clen, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    const size_t plen = sizeof(CURSOR_PREFIX) - 1;
    if (n <= plen || memcmp(raw, CURSOR_PREFIX, plen) != 0)
        return false;
    struct ch_err perr = CH_ERR_INIT;
    int64_t pos = 0;
    if (ch_num_parse_i64(ch_str_make((const char *)raw + plen, n - plen), 1, INT64_MAX, &pos,
                         &perr) != CH_OK)
        return false;
    *ret = pos;
    return true;
}

void ch_api_next_cursor(struct ch_jw *w, int64_t pos)
{
    ch_jw_key(w, "next_cursor");
    if (pos <= 0) {
        ch_jw_null(w);
        return;
    }
    char c[CH_API_CURSOR_MAX];
    ch_api_cursor_encode(pos, c);
    ch_jw_cstr(w, c);
}

int ch_api_page(struct ch_http_call *call, unsigned dflt, unsigned max, struct ch_api_page *ret)
{
    struct ch_api_page p = {.limit = dflt, .after = 0};
    const char *v = NULL;
    int rc = ch_api_query(call, "limit", &v);
    if (rc != CH_OK)
        return rc;
    if (v != NULL) {
        struct ch_err perr = CH_ERR_INIT;
        uint64_t n = 0;
        if (ch_num_parse_u64(ch_str_c(v), PAGE_LIMIT_PARSE_MAX, &n, &perr) != CH_OK || n == 0)
            return ch_err_setf(&call->err, CH_E_INVALID, "limit",
                               "'limit' must be a whole number from 1 (larger values are "
                               "clamped to %u)",
                               max);
        p.limit = n > max ? max : (unsigned)n;
    }
    rc = ch_api_query(call, "cursor", &v);
    if (rc != CH_OK)
        return rc;
    if (v != NULL && !ch_api_cursor_decode(v, &p.after))
        return ch_err_setf(&call->err, CH_E_INVALID, "cursor",
                           "'cursor' is not a cursor this server issued");
    *ret = p;
    return CH_OK;
}

bool ch_api_is_json_type(struct ch_str ct)
{
    static const char json[] = "application/json";
    const size_t n = sizeof(json) - 1;
    if (ct.ptr == NULL || ct.len < n || !ch_str_case_eq_c(ch_str_make(ct.ptr, n), json))
        return false;
    return ct.len == n || ct.ptr[n] == ';' || ct.ptr[n] == ' ';
}

int ch_api_json_body(struct ch_http_call *call, const char *const *allowed, cJSON **ret)
{
    if (!ch_api_is_json_type(call->req.content_type))
        return ch_err_set(&call->err, CH_E_UNSUPPORTED,
                          "the request body must be JSON (Content-Type: application/json)");
    if (call->req.body.len == 0)
        return ch_err_set(&call->err, CH_E_INVALID, "a JSON request body is required");
    size_t cap = call->route->max_body != 0 ? call->route->max_body : CH_ROUTE_DEFAULT_MAX_BODY;
    struct ch_json_limits lim = {
        .max_bytes = cap,
        .max_depth = CH_API_MAX_DEPTH,
        .max_string = call->route->max_string != 0 ? call->route->max_string : CH_API_MAX_STRING,
        .max_nodes = call->route->max_nodes != 0 ? call->route->max_nodes : CH_API_MAX_NODES};
    cJSON *j = NULL;
    struct ch_err perr = CH_ERR_INIT;
    if (ch_json_parse(call->req.body.ptr, call->req.body.len, &lim, "request body", &j, &perr) !=
        CH_OK) {
        int rc = perr.rc == CH_E_NOMEM ? CH_E_NOMEM : CH_E_INVALID;
        return ch_err_setf(&call->err, rc, perr.field, "%s", perr.msg);
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return ch_err_set(&call->err, CH_E_INVALID, "the request body must be a JSON object");
    }
    if (allowed != NULL) {
        for (const cJSON *m = j->child; m != NULL; m = m->next) {
            size_t i = 0;
            while (allowed[i] != NULL && strcmp(allowed[i], m->string) != 0)
                i++;
            if (allowed[i] == NULL) {
                int rc = ch_api_fail_422(call, m->string, "unknown field '%.64s'", m->string);
                cJSON_Delete(j);
                return rc;
            }
        }
    }
    *ret = j;
    return CH_OK;
}

int ch_api_json_body_opt(struct ch_http_call *call, const char *const *allowed, cJSON **ret)
{
    if (call->req.body.len > 0)
        return ch_api_json_body(call, allowed, ret);
    cJSON *j = cJSON_CreateObject();
    if (j == NULL)
        return ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
    *ret = j;
    return CH_OK;
}

int ch_api_body_str(struct ch_http_call *call, const cJSON *doc, const char *key, bool required,
                    const char **ret)
{
    int rc = ch_json_get_str(doc, key, required, "", ret, &call->err);
    return rc == CH_OK ? CH_OK : ch_api_unprocessable(call, rc);
}

int ch_api_body_int(struct ch_http_call *call, const cJSON *doc, const char *key, bool required,
                    int64_t min, int64_t max, int64_t *ret)
{
    int rc = ch_json_get_int(doc, key, required, "", min, max, ret, &call->err);
    return rc == CH_OK ? CH_OK : ch_api_unprocessable(call, rc);
}

int ch_api_body_org(struct ch_http_call *call, const cJSON *doc, const char *key, int64_t *ret)
{
    const char *slug = NULL;
    int rc = ch_api_body_str(call, doc, key, false, &slug);
    if (rc != CH_OK || slug == NULL)
        return rc;
    int64_t id = 0;
    struct ch_err ferr = CH_ERR_INIT;
    rc = ch_org_find(call->store, slug, &id, &ferr);
    if (rc == CH_E_NOTFOUND)
        return ch_api_fail_422(call, key, "no organisation '%.64s'", slug);
    if (rc != CH_OK) {
        ch_err_copy(&call->err, &ferr);
        return rc;
    }
    *ret = id;
    return CH_OK;
}

int ch_api_unprocessable(struct ch_http_call *call, int rc)
{
    if (rc == CH_E_INVALID && call->err.rc == CH_E_INVALID) {
        call->err.rc = CH_HTTP_E_UNPROCESSABLE;
        return CH_HTTP_E_UNPROCESSABLE;
    }
    return rc;
}

int ch_api_fail_422(struct ch_http_call *call, const char *field, const char *fmt, ...)
{
    if (call->err.rc != CH_OK)
        return call->err.rc;
    char msg[CH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* ch_err_setf() accepts only ch_rc codes: set as INVALID, then mark it 422 */
    ch_err_setf(&call->err, CH_E_INVALID, field, "%s", msg);
    call->err.rc = CH_HTTP_E_UNPROCESSABLE;
    return CH_HTTP_E_UNPROCESSABLE;
}

int ch_api_audit(struct ch_http_call *call, const char *action, const char *object,
                 const char *details)
{
    char actor[160];
    snprintf(actor, sizeof(actor), "user:%s", call->principal.user_name);
    struct ch_audit_entry e = {
        .actor = actor, .action = action, .object = object, .details = details};
    int64_t seq = 0;
    int rc = ch_audit_append(call->store, &e, ch_clock_now(&call->app->clock), &seq, &call->err);
    if (rc == CH_OK)
        call->audit_seq = seq;
    return rc;
}

int ch_api_visible_org(struct ch_http_call *call, const char *slug, int64_t *ret)
{
    int64_t id = 0;
    int rc = ch_store_query_int(call->store, "SELECT id FROM orgs WHERE slug = ?", slug, 0, &id,
                                &call->err);
    if (rc != CH_OK)
        return rc;
    if (id == 0 || !ch_auth_sees_org(&call->principal, id))
        return ch_err_setf(&call->err, CH_E_NOTFOUND, "org", "no organisation '%s'", slug);
    *ret = id;
    return CH_OK;
}

void ch_api_respond(struct ch_http_call *call, int status, struct ch_jw *w)
{
    call->res.status = status;
    ch_buf_reset(&call->res.body);
    ch_jw_init(w, &call->res.body, 0);
}
