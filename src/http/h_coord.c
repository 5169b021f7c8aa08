/* SPDX-License-Identifier: Apache-2.0
 *
 * h_coord.c: the scan-coordination API (contract in h_coord.h).
 *
 * POST /api/v1/deconflict takes one question ({"source", "target", "time"})
 * or many ({"queries": [...]} or a bare array). Batches are the hot path
 * (log replays of millions of lines): the body is scanned by a small
 * dedicated parser instead of cJSON, strings stay views into the body
 * (unescaped into one scratch area only when they hold escapes), and the
 * questions are answered and rendered in rounds of CH_COORD_BATCH_MAX with
 * the batch's preallocated arrays, so nothing is allocated per question.
 * The parser accepts exactly: an array of objects whose members are
 * "source" and "target" (strings) and "time" (string or integer).
 */
#include "http/h_coord.h"

#include <stdio.h>
#include <string.h>

#include "coord/deconflict.h"
#include "coord/incident.h"
#include "core/json.h"
#include "core/num.h"
#include "http/api.h"
#include "store/store.h"

/* Nesting of a batch body: object → array → question. */
#define BATCH_MAX_DEPTH 3

/* The server's service (app->coord), caught up with the store. */
static int service(struct ch_http_call *call, struct ch_coord **ret)
{
    struct ch_coord *c = call->app->coord;
    if (c == NULL)
        return ch_err_set(&call->err, CH_E_UNAVAILABLE, "scan coordination is not running");
    int rc = ch_coord_sync(c, call->store, &call->err);
    if (rc == CH_OK)
        *ret = c;
    return rc;
}

struct actor_buf {
    struct ch_coord_actor a;
    char name[192];
};

static void actor_of(struct ch_http_call *call, struct actor_buf *b)
{
    ch_coord_actor_from_principal(&call->principal, b->name, sizeof(b->name), &b->a);
}

static int64_t now_of(struct ch_http_call *call)
{
    return ch_clock_now(&call->app->clock);
}

/* Maps a validation failure of a well-formed request to 422. */
static int fail(struct ch_http_call *call, int rc)
{
    if (rc == CH_E_INVALID)
        return ch_api_unprocessable(call, rc);
    return rc;
}

/* ---- the batch parser ---- */

struct scan {
    const char *p, *end;
    char *scratch; /* unescaped strings, from the arena (body-sized) */
    size_t scratch_len, scratch_cap;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool eat(struct scan *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

static int hex4(const char *p, unsigned *ret)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return CH_E_INVALID;
    }
    *ret = v;
    return CH_OK;
}

static void put_utf8(struct scan *s, unsigned cp)
{
    char *o = s->scratch + s->scratch_len;
    if (cp < 0x80) {
        o[0] = (char)cp;
        s->scratch_len += 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        s->scratch_len += 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        s->scratch_len += 3;
    } else {
        o[0] = (char)(0xf0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        s->scratch_len += 4;
    }
}

/* A JSON string: a view into the body, or into scratch when it had escapes.
 * An unescaped string is never longer than its escaped text, so scratch of
 * the body's size always suffices. */
static int scan_string(struct scan *s, struct ch_str *ret)
{
    skip_ws(s);
    if (s->p >= s->end || *s->p != '"')
        return CH_E_INVALID;
    const char *start = ++s->p;
    bool escaped = false;
    while (s->p < s->end && *s->p != '"') {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20)
            return CH_E_INVALID;
        if (c == '\\') {
            escaped = true;
            s->p++;
        }
        s->p++;
    }
    if (s->p >= s->end)
        return CH_E_INVALID;
    const char *stop = s->p++;
    if (!escaped) {
        *ret = ch_str_make(start, (size_t)(stop - start));
        return CH_OK;
    }
    size_t begin = s->scratch_len;
    for (const char *q = start; q < stop; q++) {
        if (*q != '\\') {
            s->scratch[s->scratch_len++] = *q;
            continue;
        }
        q++;
        char e = *q;
        unsigned cp = 0;
        switch (e) {
        case '"':
            cp = '"';
            break;
        case '\\':
            cp = '\\';
            break;
        case '/':
            cp = '/';
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (stop - q < 5 || hex4(q + 1, &cp) != CH_OK)
                return CH_E_INVALID;
            q += 4;
            if (cp >= 0xd800 && cp < 0xdc00) {
                unsigned lo = 0;
                if (stop - q < 7 || q[1] != '\\' || q[2] != 'u' || hex4(q + 3, &lo) != CH_OK ||
                    lo < 0xdc00 || lo > 0xdfff)
                    return CH_E_INVALID;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                q += 6;
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                return CH_E_INVALID;
            }
            if (cp == 0)
                return CH_E_INVALID; /* NUL would cut the text short */
            break;
        default:
            return CH_E_INVALID;
        }
        put_utf8(s, cp);
    }
    *ret = ch_str_make(s->scratch + begin, s->scratch_len - begin);
    return CH_OK;
}

/* An integer (no fraction or exponent), as text. */
static int scan_integer(struct scan *s, struct ch_str *ret)
{
    skip_ws(s);
    const char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    if (s->p == start || s->p - start > 12)
        return CH_E_INVALID;
    *ret = ch_str_make(start, (size_t)(s->p - start));
    return CH_OK;
}

/* One question object; missing time is now. */
static int scan_question(struct scan *s, int64_t now, struct ch_str *ret_src,
                         struct ch_str *ret_tgt, int64_t *ret_t, const char **ret_what)
{
    *ret_src = CH_STR_NULL;
    *ret_tgt = CH_STR_NULL;
    *ret_t = now;
    if (!eat(s, '{')) {
        *ret_what = "expected an object";
        return CH_E_INVALID;
    }
    if (eat(s, '}'))
        goto check;
    for (;;) {
        struct ch_str key, val;
        if (scan_string(s, &key) != CH_OK || !eat(s, ':')) {
            *ret_what = "expected \"member\": value";
            return CH_E_INVALID;
        }
        skip_ws(s);
        bool is_str = s->p < s->end && *s->p == '"';
        int rc = is_str ? scan_string(s, &val) : scan_integer(s, &val);
        if (rc != CH_OK) {
            *ret_what = "values are strings (time: a string or an integer)";
            return CH_E_INVALID;
        }
        if (ch_str_eq_c(key, "source") && is_str) {
            *ret_src = val;
        } else if (ch_str_eq_c(key, "target") && is_str) {
            *ret_tgt = val;
        } else if (ch_str_eq_c(key, "time")) {
            struct ch_err terr = CH_ERR_INIT;
            if (ch_coord_time_parse(val, ret_t, &terr) != CH_OK)
                *ret_t = -1; /* answered as an error, like the CLI batch */
        } else {
            *ret_what = "members are source, target and time";
            return CH_E_INVALID;
        }
        if (eat(s, '}'))
            break;
        if (!eat(s, ',')) {
            *ret_what = "expected ',' or '}'";
            return CH_E_INVALID;
        }
    }
check:
    if (ret_src->ptr == NULL || ret_tgt->ptr == NULL) {
        *ret_what = "source and target are required";
        return CH_E_INVALID;
    }
    return CH_OK;
}

static int batch_error(struct ch_http_call *call, const struct scan *s, const char *body,
                       size_t index, const char *what)
{
    return ch_err_setf(&call->err, CH_E_INVALID, "queries",
                       "request body: question %zu (byte %zu): %s", index, (size_t)(s->p - body),
                       what);
}

static int deconflict_batch(struct ch_http_call *call, struct ch_coord *c,
                            const struct ch_coord_actor *a, struct scan *s, const char *body)
{
    struct ch_coord_batch b;
    int rc = ch_coord_batch_init(&b, CH_COORD_BATCH_MAX, &call->err);
    if (rc != CH_OK)
        return rc;
    int64_t now = now_of(call);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "answers");
    ch_jw_arr_open(&w);
    size_t count = 0, authorised = 0;
    bool more = !eat(s, ']');
    while (rc == CH_OK && more) {
        if (count >= CH_H_DECONFLICT_MAX_QUERIES) {
            rc = ch_err_setf(&call->err, CH_E_LIMIT, "queries", "more than %d questions",
                             CH_H_DECONFLICT_MAX_QUERIES);
            break;
        }
        struct ch_str src, tgt;
        int64_t t;
        const char *what = NULL;
        if (scan_question(s, now, &src, &tgt, &t, &what) != CH_OK) {
            rc = batch_error(call, s, body, count, what);
            break;
        }
        rc = ch_coord_batch_add(&b, src, tgt, t, &call->err);
        count++;
        if (eat(s, ']'))
            more = false;
        else if (!eat(s, ','))
            rc = batch_error(call, s, body, count, "expected ',' or ']'");
        if (rc == CH_OK && (ch_coord_batch_full(&b) || !more)) {
            int n = ch_coord_batch_answer_json(c, a, &b, &w, &call->err);
            if (n < 0)
                rc = n;
            else
                authorised += (size_t)n;
            ch_coord_batch_reset(&b);
        }
    }
    ch_coord_batch_release(&b);
    if (rc != CH_OK) {
        call->res.status = 0; /* the error replaces the partial answer */
        ch_buf_reset(&call->res.body);
        return fail(call, rc);
    }
    ch_jw_arr_close(&w);
    ch_jw_kint(&w, "count", (int64_t)count);
    ch_jw_kint(&w, "authorised", (int64_t)authorised);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_deconflict(struct ch_http_call *call)
{
    if (!ch_api_is_json_type(call->req.content_type))
        return ch_err_set(&call->err, CH_E_UNSUPPORTED, "send application/json");
    struct ch_coord *c = NULL;
    int rc = service(call, &c);
    if (rc != CH_OK)
        return rc;
    struct actor_buf ab;
    actor_of(call, &ab);
    const char *body = call->req.body.ptr;
    struct scan s = {.p = body, .end = body + call->req.body.len};
    s.scratch_cap = call->req.body.len + 1;
    s.scratch = ch_arena_alloc(call->arena, s.scratch_cap);
    if (s.scratch == NULL)
        return ch_err_set(&call->err, CH_E_LIMIT, "request too large");
    skip_ws(&s);
    if (eat(&s, '[')) {
        rc = deconflict_batch(call, c, &ab.a, &s, body);
    } else {
        /* {"queries": [...]} or one question */
        const char *mark = s.p;
        struct ch_str key;
        if (eat(&s, '{') && scan_string(&s, &key) == CH_OK && ch_str_eq_c(key, "queries") &&
            eat(&s, ':') && eat(&s, '[')) {
            rc = deconflict_batch(call, c, &ab.a, &s, body);
            if (rc == CH_OK && !eat(&s, '}'))
                rc = ch_err_set(&call->err, CH_E_INVALID, "request body: expected '}'");
        } else {
            s.p = mark;
            struct ch_str src, tgt;
            int64_t t;
            const char *what = NULL;
            if (scan_question(&s, now_of(call), &src, &tgt, &t, &what) != CH_OK)
                return ch_err_setf(&call->err, CH_E_INVALID, "body", "request body: %s", what);
            struct ch_jw w;
            ch_api_respond(call, 200, &w);
            bool ok = false;
            rc = ch_coord_deconflict_json(c, &ab.a, src, tgt, t, &w, &ok, &call->err);
            if (rc == CH_OK)
                rc = ch_jw_finish(&w, &call->err);
            if (rc != CH_OK) {
                call->res.status = 0;
                ch_buf_reset(&call->res.body);
                return fail(call, rc);
            }
        }
    }
    if (rc == CH_OK) {
        skip_ws(&s);
        if (s.p != s.end)
            rc = ch_err_set(&call->err, CH_E_INVALID, "request body: text after the JSON value");
    }
    return rc;
}

/* ---- resources ---- */

typedef int (*render_fn)(struct ch_http_call *call, const struct ch_coord_actor *a, struct ch_jw *w,
                         void *arg);

static int respond_json(struct ch_http_call *call, int status, render_fn fn, void *arg)
{
    struct actor_buf ab;
    actor_of(call, &ab);
    struct ch_jw w;
    ch_api_respond(call, status, &w);
    int rc = fn(call, &ab.a, &w, arg);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, &call->err);
    if (rc != CH_OK) {
        call->res.status = 0;
        ch_buf_reset(&call->res.body);
        return fail(call, rc);
    }
    return CH_OK;
}

static int respond_id(struct ch_http_call *call, int status, const char *key, int64_t id)
{
    struct ch_jw w;
    ch_api_respond(call, status, &w);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, key, id);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

static int render_targets(struct ch_http_call *call, const struct ch_coord_actor *a,
                          struct ch_jw *w, void *arg)
{
    (void)arg;
    ch_jw_obj_open(w);
    ch_jw_key(w, "items");
    int rc = ch_coord_target_list_json(call->store, a, w, &call->err);
    ch_jw_obj_close(w);
    return rc;
}

int ch_h_coord_targets_list(struct ch_http_call *call)
{
    return respond_json(call, 200, render_targets, NULL);
}

static int body_str(struct ch_http_call *call, const cJSON *doc, const char *key, bool required,
                    const char **ret)
{
    *ret = NULL;
    int rc = ch_json_get_str(doc, key, required, "", ret, &call->err);
    return rc == CH_OK ? CH_OK : fail(call, rc);
}

static int body_time(struct ch_http_call *call, const cJSON *doc, const char *key, bool required,
                     int64_t *ret)
{
    const char *s = NULL;
    int rc = body_str(call, doc, key, required, &s);
    if (rc != CH_OK || s == NULL)
        return rc;
    rc = ch_coord_time_parse(ch_str_c(s), ret, &call->err);
    if (rc != CH_OK)
        return ch_api_fail_422(call, key, "%s", call->err.msg);
    return CH_OK;
}

static int body_org(struct ch_http_call *call, const cJSON *doc, const char *key, int64_t *ret)
{
    const char *slug = NULL;
    *ret = 0;
    int rc = body_str(call, doc, key, false, &slug);
    if (rc == CH_OK && slug != NULL && ch_org_find(call->store, slug, ret, &call->err) != CH_OK)
        return ch_api_fail_422(call, key, "no organisation '%s'", slug);
    return rc;
}

int ch_h_coord_targets_create(struct ch_http_call *call)
{
    static const char *const fields[] = {"name", "kind",  "org",   "repo",        "ref",
                                         "purl", "range", "scope", "description", NULL};
    cJSON *doc = NULL;
    int rc = ch_api_json_body(call, fields, &doc);
    if (rc != CH_OK)
        return rc;
    struct ch_coord_target_new t = {0};
    const char *kind = NULL;
    rc = body_str(call, doc, "kind", true, &kind);
    if (rc == CH_OK && ch_coord_target_kind_parse(kind, &t.kind) != CH_OK)
        rc = ch_api_fail_422(call, "kind", "kind must be repo, package or network");
    if (rc == CH_OK)
        rc = body_str(call, doc, "name", true, &t.name);
    if (rc == CH_OK)
        rc = body_str(call, doc, "repo", false, &t.repo_url);
    if (rc == CH_OK)
        rc = body_str(call, doc, "ref", false, &t.repo_ref);
    if (rc == CH_OK)
        rc = body_str(call, doc, "purl", false, &t.purl);
    if (rc == CH_OK)
        rc = body_str(call, doc, "range", false, &t.range);
    if (rc == CH_OK)
        rc = body_str(call, doc, "scope", false, &t.scope);
    if (rc == CH_OK)
        rc = body_str(call, doc, "description", false, &t.description);
    if (rc == CH_OK)
        rc = body_org(call, doc, "org", &t.org_id);
    struct ch_coord *c = NULL;
    if (rc == CH_OK)
        rc = service(call, &c);
    int64_t id = 0;
    if (rc == CH_OK) {
        struct actor_buf ab;
        actor_of(call, &ab);
        rc = fail(call,
                  ch_coord_target_add(c, call->store, &ab.a, &t, now_of(call), &id, &call->err));
    }
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_id(call, 201, "id", id) : rc;
}

static int render_target(struct ch_http_call *call, const struct ch_coord_actor *a, struct ch_jw *w,
                         void *arg)
{
    return ch_coord_target_show_json(call->store, a, *(int64_t *)arg, now_of(call), w, &call->err);
}

int ch_h_coord_targets_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "target", &id);
    return rc == CH_OK ? respond_json(call, 200, render_target, &id) : rc;
}

static int render_uncovered(struct ch_http_call *call, const struct ch_coord_actor *a,
                            struct ch_jw *w, void *arg)
{
    return ch_coord_uncovered_json(call->store, a, *(int64_t *)arg, NULL, now_of(call), w,
                                   &call->err);
}

int ch_h_coord_targets_uncovered(struct ch_http_call *call)
{
    static const char *const params[] = {"days", NULL};
    const char *days_s = NULL;
    int64_t days = 30;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_query(call, "days", &days_s);
    if (rc == CH_OK && days_s != NULL &&
        ch_num_parse_i64(ch_str_c(days_s), 1, 3660, &days, &call->err) != CH_OK)
        rc = ch_api_fail_422(call, "days", "days must be 1 to 3660");
    return rc == CH_OK ? respond_json(call, 200, render_uncovered, &days) : rc;
}

static int render_auths(struct ch_http_call *call, const struct ch_coord_actor *a, struct ch_jw *w,
                        void *arg)
{
    ch_jw_obj_open(w);
    ch_jw_key(w, "items");
    int rc = ch_coord_auth_list_json(call->store, a, *(int64_t *)arg, now_of(call), w, &call->err);
    ch_jw_obj_close(w);
    return rc;
}

int ch_h_coord_auth_list(struct ch_http_call *call)
{
    static const char *const params[] = {"target", NULL};
    const char *target = NULL;
    int64_t id = 0;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_query(call, "target", &target);
    if (rc == CH_OK && target != NULL &&
        ch_num_parse_i64(ch_str_c(target), 1, INT64_MAX, &id, &call->err) != CH_OK)
        rc = ch_api_fail_422(call, "target", "target must be an id");
    return rc == CH_OK ? respond_json(call, 200, render_auths, &id) : rc;
}

int ch_h_coord_auth_grant(struct ch_http_call *call)
{
    static const char *const fields[] = {"partner", "start", "end", "rules", NULL};
    struct ch_coord_auth_new g = {0};
    int rc = ch_api_param_id(call, 0, "target", &g.target_id);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &doc);
    if (rc != CH_OK)
        return rc;
    rc = body_org(call, doc, "partner", &g.partner_org_id);
    if (rc == CH_OK && g.partner_org_id == 0)
        rc = ch_api_fail_422(call, "partner", "partner is required");
    if (rc == CH_OK)
        rc = body_time(call, doc, "start", true, &g.start);
    if (rc == CH_OK)
        rc = body_time(call, doc, "end", true, &g.end);
    const cJSON *rules = NULL;
    if (rc == CH_OK)
        rc = fail(call, ch_json_get_obj(doc, "rules", true, "", &rules, &call->err));
    char *rules_text = NULL;
    if (rc == CH_OK) {
        rules_text = cJSON_PrintUnformatted(rules);
        if (rules_text == NULL)
            rc = ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
    }
    g.rules_json = rules_text;
    struct ch_coord *c = NULL;
    if (rc == CH_OK)
        rc = service(call, &c);
    int64_t id = 0;
    if (rc == CH_OK) {
        struct actor_buf ab;
        actor_of(call, &ab);
        rc = fail(call,
                  ch_coord_auth_grant(c, call->store, &ab.a, &g, now_of(call), &id, &call->err));
    }
    cJSON_free(rules_text);
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_id(call, 201, "id", id) : rc;
}

int ch_h_coord_auth_revoke(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "authorization", &id);
    const char *reason = NULL;
    if (rc == CH_OK)
        rc = ch_api_query(call, "reason", &reason);
    struct ch_coord *c = NULL;
    if (rc == CH_OK)
        rc = service(call, &c);
    if (rc != CH_OK)
        return rc;
    struct actor_buf ab;
    actor_of(call, &ab);
    rc = ch_coord_auth_revoke(c, call->store, &ab.a, id, reason, now_of(call), &call->err);
    return rc == CH_OK ? respond_id(call, 200, "revoked", id) : fail(call, rc);
}

struct lease_list_arg {
    struct ch_coord_lease_filter f;
};

static int render_leases(struct ch_http_call *call, const struct ch_coord_actor *a, struct ch_jw *w,
                         void *arg)
{
    const struct lease_list_arg *l = arg;
    ch_jw_obj_open(w);
    ch_jw_key(w, "items");
    int rc = ch_coord_lease_list_json(call->store, a, &l->f, now_of(call), w, &call->err);
    ch_jw_obj_close(w);
    return rc;
}

int ch_h_coord_leases_list(struct ch_http_call *call)
{
    static const char *const params[] = {"target", "active", NULL};
    struct lease_list_arg l = {0};
    const char *target = NULL;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_query(call, "target", &target);
    if (rc == CH_OK)
        rc = ch_api_query_bool(call, "active", &l.f.active_only);
    if (rc == CH_OK && target != NULL &&
        ch_num_parse_i64(ch_str_c(target), 1, INT64_MAX, &l.f.target_id, &call->err) != CH_OK)
        rc = ch_api_fail_422(call, "target", "target must be an id");
    return rc == CH_OK ? respond_json(call, 200, render_leases, &l) : rc;
}

int ch_h_coord_leases_request(struct ch_http_call *call)
{
    static const char *const fields[] = {"target", "org",     "mode",      "start", "end",
                                         "scope",  "sources", "ua_tokens", NULL};
    cJSON *doc = NULL;
    int rc = ch_api_json_body(call, fields, &doc);
    if (rc != CH_OK)
        return rc;
    struct ch_coord_lease_new l = {.mode = CH_LEASE_EXCLUSIVE, .start = now_of(call)};
    rc = fail(call,
              ch_json_get_int(doc, "target", true, "", 1, INT64_MAX, &l.target_id, &call->err));
    const char *mode = NULL;
    if (rc == CH_OK)
        rc = body_str(call, doc, "mode", false, &mode);
    if (rc == CH_OK && mode != NULL) {
        if (strcmp(mode, "shared") == 0)
            l.mode = CH_LEASE_SHARED;
        else if (strcmp(mode, "exclusive") != 0)
            rc = ch_api_fail_422(call, "mode", "mode must be exclusive or shared");
    }
    if (rc == CH_OK)
        rc = body_time(call, doc, "start", false, &l.start);
    if (rc == CH_OK)
        rc = body_time(call, doc, "end", true, &l.end);
    if (rc == CH_OK)
        rc = body_str(call, doc, "scope", false, &l.scope);
    if (rc == CH_OK)
        rc = body_str(call, doc, "sources", false, &l.sources);
    if (rc == CH_OK)
        rc = body_str(call, doc, "ua_tokens", false, &l.ua_tokens);
    if (rc == CH_OK)
        rc = body_org(call, doc, "org", &l.org_id);
    struct ch_coord *c = NULL;
    if (rc == CH_OK)
        rc = service(call, &c);
    int64_t id = 0;
    if (rc == CH_OK) {
        struct actor_buf ab;
        actor_of(call, &ab);
        rc = fail(call,
                  ch_coord_lease_request(c, call->store, &ab.a, &l, now_of(call), &id, &call->err));
    }
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_id(call, 201, "id", id) : rc;
}

static int render_lease(struct ch_http_call *call, const struct ch_coord_actor *a, struct ch_jw *w,
                        void *arg)
{
    return ch_coord_lease_show_json(call->store, a, *(int64_t *)arg, now_of(call), w, &call->err);
}

int ch_h_coord_leases_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "lease", &id);
    return rc == CH_OK ? respond_json(call, 200, render_lease, &id) : rc;
}

int ch_h_coord_leases_extend(struct ch_http_call *call)
{
    static const char *const fields[] = {"end", NULL};
    int64_t id = 0, end = 0;
    int rc = ch_api_param_id(call, 0, "lease", &id);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &doc);
    if (rc != CH_OK)
        return rc;
    rc = body_time(call, doc, "end", true, &end);
    cJSON_Delete(doc);
    struct ch_coord *c = NULL;
    if (rc == CH_OK)
        rc = service(call, &c);
    if (rc != CH_OK)
        return rc;
    struct actor_buf ab;
    actor_of(call, &ab);
    rc = ch_coord_lease_extend(c, call->store, &ab.a, id, end, now_of(call), &call->err);
    return rc == CH_OK ? respond_id(call, 200, "extended", id) : fail(call, rc);
}

static int lease_end(struct ch_http_call *call, bool revoke)
{
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "lease", &id);
    const char *reason = NULL;
    if (rc == CH_OK && revoke)
        rc = ch_api_query(call, "reason", &reason);
    struct ch_coord *c = NULL;
    if (rc == CH_OK)
        rc = service(call, &c);
    if (rc != CH_OK)
        return rc;
    struct actor_buf ab;
    actor_of(call, &ab);
    rc = revoke ? ch_coord_lease_revoke(c, call->store, &ab.a, id, reason, now_of(call), &call->err)
                : ch_coord_lease_release(c, call->store, &ab.a, id, now_of(call), &call->err);
    return rc == CH_OK ? respond_id(call, 200, revoke ? "revoked" : "released", id)
                       : fail(call, rc);
}

int ch_h_coord_leases_release(struct ch_http_call *call)
{
    return lease_end(call, false);
}

int ch_h_coord_leases_revoke(struct ch_http_call *call)
{
    return lease_end(call, true);
}

int ch_h_coord_leases_report(struct ch_http_call *call)
{
    static const char *const fields[] = {"scanned", "tool", "findings", "notes", NULL};
    struct ch_coord_report_new r = {0};
    int rc = ch_api_param_id(call, 0, "lease", &r.lease_id);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &doc);
    if (rc != CH_OK)
        return rc;
    rc = body_str(call, doc, "scanned", true, &r.scanned);
    if (rc == CH_OK)
        rc = body_str(call, doc, "tool", true, &r.tool);
    if (rc == CH_OK)
        rc = body_str(call, doc, "notes", false, &r.notes);
    if (rc == CH_OK)
        rc = fail(call, ch_json_get_int(doc, "findings", true, "", 0, 100000000, &r.findings,
                                        &call->err));
    struct ch_coord *c = NULL;
    if (rc == CH_OK)
        rc = service(call, &c);
    int64_t id = 0;
    if (rc == CH_OK) {
        struct actor_buf ab;
        actor_of(call, &ab);
        rc = fail(call,
                  ch_coord_lease_report(c, call->store, &ab.a, &r, now_of(call), &id, &call->err));
    }
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_id(call, 201, "report", id) : rc;
}

static int render_incidents(struct ch_http_call *call, const struct ch_coord_actor *a,
                            struct ch_jw *w, void *arg)
{
    (void)arg;
    ch_jw_obj_open(w);
    ch_jw_key(w, "items");
    int rc = ch_coord_incident_list_json(call->store, a, w, &call->err);
    ch_jw_obj_close(w);
    return rc;
}

int ch_h_coord_incidents_list(struct ch_http_call *call)
{
    return respond_json(call, 200, render_incidents, NULL);
}

int ch_h_coord_incidents_open(struct ch_http_call *call)
{
    static const char *const fields[] = {"title",          "source", "target", "time",
                                         "classification", "org",    NULL};
    cJSON *doc = NULL;
    int rc = ch_api_json_body(call, fields, &doc);
    if (rc != CH_OK)
        return rc;
    struct ch_coord_incident_new n = {.classification = CH_CLEAR_UNCLASSIFIED};
    const char *cls = NULL;
    rc = body_str(call, doc, "title", true, &n.title);
    if (rc == CH_OK)
        rc = body_str(call, doc, "source", true, &n.source);
    if (rc == CH_OK)
        rc = body_str(call, doc, "target", true, &n.target);
    if (rc == CH_OK)
        rc = body_time(call, doc, "time", true, &n.observed_at);
    if (rc == CH_OK)
        rc = body_str(call, doc, "classification", false, &cls);
    if (rc == CH_OK && cls != NULL && ch_clearance_parse(cls, &n.classification) != CH_OK)
        rc = ch_api_fail_422(call, "classification", "unknown classification '%s'", cls);
    if (rc == CH_OK)
        rc = body_org(call, doc, "org", &n.org_id);
    struct ch_coord *c = NULL;
    if (rc == CH_OK)
        rc = service(call, &c);
    int64_t id = 0;
    if (rc == CH_OK) {
        struct actor_buf ab;
        actor_of(call, &ab);
        rc = fail(call,
                  ch_coord_incident_open(c, call->store, &ab.a, &n, now_of(call), &id, &call->err));
    }
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_id(call, 201, "id", id) : rc;
}

static int render_incident(struct ch_http_call *call, const struct ch_coord_actor *a,
                           struct ch_jw *w, void *arg)
{
    return ch_coord_incident_show_json(call->store, a, *(int64_t *)arg, w, &call->err);
}

int ch_h_coord_incidents_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "incident", &id);
    return rc == CH_OK ? respond_json(call, 200, render_incident, &id) : rc;
}

int ch_h_coord_incidents_evidence(struct ch_http_call *call)
{
    static const char *const fields[] = {"kind", "name", "content", "sha256", NULL};
    struct ch_coord_evidence_new e = {0};
    int rc = ch_api_param_id(call, 0, "incident", &e.incident_id);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_api_json_body(call, fields, &doc);
    if (rc != CH_OK)
        return rc;
    const char *content = NULL;
    rc = body_str(call, doc, "kind", true, &e.kind);
    if (rc == CH_OK)
        rc = body_str(call, doc, "name", true, &e.name);
    if (rc == CH_OK)
        rc = body_str(call, doc, "content", false, &content);
    if (rc == CH_OK)
        rc = body_str(call, doc, "sha256", false, &e.sha256_hex);
    if (content != NULL) {
        e.data = content;
        e.len = strlen(content);
    }
    int64_t id = 0;
    if (rc == CH_OK) {
        struct actor_buf ab;
        actor_of(call, &ab);
        rc = fail(call, ch_coord_incident_evidence_add(call->store, &ab.a, &e, now_of(call), &id,
                                                       &call->err));
    }
    cJSON_Delete(doc);
    return rc == CH_OK ? respond_id(call, 201, "evidence", id) : rc;
}
