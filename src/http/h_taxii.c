/* SPDX-License-Identifier: Apache-2.0
 *
 * h_taxii.c: TAXII 2.1 handlers (see h_taxii.h). Each handler checks the
 * media types, parses its filters (a bad one is a TAXII 400), runs one
 * keyset query over the share index and streams the envelope.
 *
 * Handlers answer TAXII errors themselves (status, TAXII error body, CH_OK)
 * so that consumers get the error shape of the specification; store
 * failures still travel as error codes to errmap.c (500/503).
 */
#include "http/h_taxii.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/num.h"
#include "share/collection.h"
#include "share/stix.h"

/* Query string pairs considered (TAXII has seven filters; clients add a few). */
#define TAXII_MAX_PARAMS 32
/* Longest decoded parameter value: 64 ids of ~90 bytes. */
#define TAXII_MAX_VALUE ((size_t)8 << 10)

/* A handler wrote its own response (a TAXII error): return CH_OK from the handler. */
#define RESPONDED 1

static atomic_int sync_interval = CH_TAXII_SYNC_INTERVAL_S;
static _Atomic int64_t last_sync = INT64_MIN;

void ch_h_taxii_set_sync_interval(int seconds)
{
    atomic_store(&sync_interval, seconds);
    atomic_store(&last_sync, INT64_MIN);
}

static int taxii_error(struct ch_http_call *call, int status, const char *title,
                       const char *description)
{
    char code[8];
    snprintf(code, sizeof(code), "%d", status);
    ch_buf_reset(&call->res.body);
    call->res.status = status;
    call->res.content_type = CH_TAXII_MEDIA_TYPE;
    struct ch_jw w;
    ch_jw_init(&w, &call->res.body, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "title", title);
    if (description != NULL)
        ch_jw_kstr(&w, "description", description);
    ch_jw_kstr(&w, "http_status", code);
    ch_jw_obj_close(&w);
    int rc = ch_jw_finish(&w, &call->err);
    return rc == CH_OK ? RESPONDED : rc;
}

/* ---- media types ---- */

/* One media range "type/subtype;p=v;..." → does it admit TAXII 2.1? */
static bool range_accepts(struct ch_str range)
{
    struct ch_str rest = range, part;
    if (!ch_str_split_next(&rest, ';', &part))
        return false;
    struct ch_str mt = ch_str_trim(part);
    if (ch_str_eq_c(mt, "*/*") || ch_str_case_eq_c(mt, "application/*"))
        return true;
    if (!ch_str_case_eq_c(mt, "application/taxii+json"))
        return false;
    while (ch_str_split_next(&rest, ';', &part)) {
        struct ch_str p = ch_str_trim(part);
        if (ch_str_starts_with(p, "version=") && !ch_str_eq_c(ch_str_sub(p, 8, p.len - 8), "2.1"))
            return false;
    }
    return true;
}

static bool accept_ok(struct ch_str accept)
{
    if (accept.ptr == NULL || ch_str_trim(accept).len == 0)
        return true;
    struct ch_str rest = accept, range;
    while (ch_str_split_next(&rest, ',', &range)) {
        if (range_accepts(range))
            return true;
    }
    return false;
}

/* Every response: the Accept check (406) and the syncing of the index. */
static int prologue(struct ch_http_call *call)
{
    if (!accept_ok(call->req.accept))
        return taxii_error(call, 406, "Not Acceptable",
                           "this server answers application/taxii+json;version=2.1 only");
    int interval = atomic_load(&sync_interval);
    if (interval < 0 || call->store == NULL)
        return CH_OK;
    int64_t now = ch_clock_now(&call->app->clock);
    int64_t last = atomic_load(&last_sync);
    if (last != INT64_MIN && now - last < interval)
        return CH_OK;
    if (!atomic_compare_exchange_strong(&last_sync, &last, now))
        return CH_OK; /* another request is syncing */
    struct ch_err err = CH_ERR_INIT;
    if (ch_share_sync_builtin(call->store, now, false, NULL, &err) != CH_OK) {
        /* serve what the index holds; the next request tries again */
        atomic_store(&last_sync, INT64_MIN);
        ch_err_clear(&err);
    }
    return CH_OK;
}

static void respond_json(struct ch_http_call *call, struct ch_jw *w)
{
    call->res.status = 200;
    call->res.content_type = CH_TAXII_MEDIA_TYPE;
    ch_buf_reset(&call->res.body);
    ch_jw_init(w, &call->res.body, 0);
}

static struct ch_share_viewer viewer_of(const struct ch_http_call *call)
{
    if (!call->authenticated)
        return (struct ch_share_viewer){.org_id = 0, .clearance = CH_CLEAR_UNCLASSIFIED};
    return (struct ch_share_viewer){.org_id = call->principal.org_id,
                                    .clearance = call->principal.clearance};
}

/* ---- filters ---- */

enum param_bits {
    P_ADDED_AFTER = 1 << 0,
    P_LIMIT = 1 << 1,
    P_NEXT = 1 << 2,
    P_ID = 1 << 3,
    P_TYPE = 1 << 4,
    P_VERSION = 1 << 5,
    P_SPEC = 1 << 6,
};

static const struct {
    const char *name;
    unsigned bit;
} param_names[] = {
    {"added_after", P_ADDED_AFTER},
    {"limit", P_LIMIT},
    {"next", P_NEXT},
    {"match[id]", P_ID},
    {"match[type]", P_TYPE},
    {"match[version]", P_VERSION},
    {"match[spec_version]", P_SPEC},
};

struct params {
    unsigned seen;
    int64_t added_after_ms;
    unsigned limit;
    int64_t next_added, next_id;
    const char *ids[CH_SHARE_MAX_MATCH];
    size_t n_ids;
    const char *types[CH_SHARE_MAX_MATCH];
    size_t n_types;
    unsigned versions;
    int64_t version_ms[CH_SHARE_MAX_MATCH];
    size_t n_version_ms;
    bool no_spec;
};

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

/* Percent-decodes s into the arena; NULL for a bad escape, NUL or oversize. */
static char *pct_decode(struct ch_arena *a, struct ch_str s)
{
    if (s.len > TAXII_MAX_VALUE)
        return NULL;
    char *out = ch_arena_alloc(a, s.len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 1 < s.len ? hexval(s.ptr[i + 1]) : -1;
            int lo = i + 2 < s.len ? hexval(s.ptr[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return NULL;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if ((unsigned char)c < 0x20) {
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

static bool valid_type(struct ch_str t)
{
    if (t.len < 3 || t.len > 250)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        char c = t.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

/* "<type>--<uuid>" */
static bool valid_stix_id(struct ch_str id)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 1 < id.len; i++) {
        if (id.ptr[i] == '-' && id.ptr[i + 1] == '-') {
            sep = id.ptr + i;
            break;
        }
    }
    if (sep == NULL)
        return false;
    size_t tlen = (size_t)(sep - id.ptr);
    struct ch_str uuid = ch_str_sub(id, tlen + 2, id.len - tlen - 2);
    if (!valid_type(ch_str_make(id.ptr, tlen)) || uuid.len != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        char c = uuid.ptr[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : hexval(c) < 0)
            return false;
    }
    return true;
}

static int bad_filter(struct ch_http_call *call, const char *name, const char *why)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "%s: %s", name, why);
    return taxii_error(call, 400, "Bad Request", msg);
}

/* Splits a comma list into arena strings, each checked by `ok`. */
static int split_list(struct ch_http_call *call, const char *name, const char *v,
                      bool (*ok)(struct ch_str), const char **out, size_t *ret_n)
{
    struct ch_str rest = ch_str_c(v), item;
    size_t n = 0;
    while (ch_str_split_next(&rest, ',', &item)) {
        item = ch_str_trim(item);
        if (n >= CH_SHARE_MAX_MATCH)
            return bad_filter(call, name, "too many values");
        if (ok != NULL && !ok(item))
            return bad_filter(call, name, "malformed value");
        out[n] = ch_arena_str(call->arena, item);
        if (out[n] == NULL)
            return ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
        n++;
    }
    if (n == 0)
        return bad_filter(call, name, "empty");
    *ret_n = n;
    return CH_OK;
}

static int parse_versions(struct ch_http_call *call, const char *v, struct params *p)
{
    const char *items[CH_SHARE_MAX_MATCH];
    size_t n = 0;
    int rc = split_list(call, "match[version]", v, NULL, items, &n);
    if (rc != CH_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i], "last") == 0) {
            p->versions |= CH_SHARE_V_LAST;
        } else if (strcmp(items[i], "first") == 0) {
            p->versions |= CH_SHARE_V_FIRST;
        } else if (strcmp(items[i], "all") == 0) {
            p->versions |= CH_SHARE_V_ALL;
        } else {
            struct ch_err terr = CH_ERR_INIT;
            int64_t ms = 0;
            if (ch_stix_time_parse(ch_str_c(items[i]), &ms, &terr) != CH_OK)
                return bad_filter(call, "match[version]", "not first, last, all or a timestamp");
            p->versions |= CH_SHARE_V_LIST;
            p->version_ms[p->n_version_ms++] = ms;
        }
    }
    return CH_OK;
}

static int parse_spec(struct ch_http_call *call, const char *v, struct params *p)
{
    const char *items[CH_SHARE_MAX_MATCH];
    size_t n = 0;
    int rc = split_list(call, "match[spec_version]", v, NULL, items, &n);
    if (rc != CH_OK)
        return rc;
    bool ours = false;
    for (size_t i = 0; i < n; i++) {
        struct ch_str s = ch_str_c(items[i]);
        if (s.len < 3 || s.len > 8 || hexval(s.ptr[0]) < 0 || s.ptr[1] != '.')
            return bad_filter(call, "match[spec_version]", "not a STIX version");
        if (strcmp(items[i], "2.1") == 0)
            ours = true;
    }
    p->no_spec = !ours;
    return CH_OK;
}

static int parse_one(struct ch_http_call *call, unsigned bit, const char *name, const char *v,
                     struct params *p)
{
    struct ch_err perr = CH_ERR_INIT;
    switch (bit) {
    case P_ADDED_AFTER:
        if (ch_stix_time_parse(ch_str_c(v), &p->added_after_ms, &perr) != CH_OK)
            return bad_filter(call, name, "not an RFC 3339 timestamp");
        return CH_OK;
    case P_LIMIT: {
        uint64_t n = 0;
        if (ch_num_parse_u64(ch_str_c(v), UINT64_MAX / 2, &n, &perr) != CH_OK || n == 0)
            return bad_filter(call, name, "not a positive integer");
        p->limit = n > CH_SHARE_MAX_LIMIT ? CH_SHARE_MAX_LIMIT : (unsigned)n;
        return CH_OK;
    }
    case P_NEXT:
        if (!ch_share_next_decode(ch_str_c(v), &p->next_added, &p->next_id))
            return bad_filter(call, name, "not a token this server issued");
        return CH_OK;
    case P_ID:
        return split_list(call, name, v, valid_stix_id, p->ids, &p->n_ids);
    case P_TYPE:
        return split_list(call, name, v, valid_type, p->types, &p->n_types);
    case P_VERSION:
        return parse_versions(call, v, p);
    case P_SPEC:
        return parse_spec(call, v, p);
    default:
        return CH_OK;
    }
}

/*
 * Parses the query string. Filters outside `allowed` and unknown match[...]
 * fields are 400; a repeated filter is 400; other parameters are ignored.
 */
static int parse_params(struct ch_http_call *call, unsigned allowed, struct params *p)
{
    *p = (struct params){.added_after_ms = -1, .limit = CH_SHARE_DEFAULT_LIMIT};
    struct ch_str rest = call->req.query, pair;
    unsigned count = 0;
    while (rest.ptr != NULL && ch_str_split_next(&rest, '&', &pair)) {
        if (pair.len == 0)
            continue;
        if (++count > TAXII_MAX_PARAMS)
            return bad_filter(call, "query", "too many parameters");
        long eq = ch_str_find_char(pair, '=');
        struct ch_str k = eq < 0 ? pair : ch_str_make(pair.ptr, (size_t)eq);
        struct ch_str v =
            eq < 0 ? ch_str_make("", 0) : ch_str_make(pair.ptr + eq + 1, pair.len - (size_t)eq - 1);
        char *key = pct_decode(call->arena, k);
        char *val = pct_decode(call->arena, v);
        if (key == NULL || val == NULL)
            return bad_filter(call, "query", "malformed percent-encoding");
        unsigned bit = 0;
        for (size_t i = 0; i < CH_ARRAY_SIZE(param_names); i++) {
            if (strcmp(key, param_names[i].name) == 0)
                bit = param_names[i].bit;
        }
        if (bit == 0) {
            if (strncmp(key, "match[", 6) == 0)
                return bad_filter(call, key, "unsupported filter");
            continue;
        }
        if (!(allowed & bit))
            return bad_filter(call, key, "not supported on this endpoint");
        if (p->seen & bit)
            return bad_filter(call, key, "repeated");
        p->seen |= bit;
        int rc = parse_one(call, bit, key, val, p);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

static void query_from(const struct ch_http_call *call, const char *collection,
                       const struct params *p, struct ch_share_query *q)
{
    *q = (struct ch_share_query){
        .collection = collection,
        .viewer = viewer_of(call),
        .added_after_ms = p->added_after_ms,
        .ids = p->ids,
        .n_ids = p->n_ids,
        .types = p->types,
        .n_types = p->n_types,
        .versions = p->versions,
        .version_ms = p->version_ms,
        .n_version_ms = p->n_version_ms,
        .no_spec_match = p->no_spec,
        .limit = p->limit,
        .after_added_ms = p->next_added,
        .after_id = p->next_id,
    };
}

/* ---- shared helpers ---- */

static int find_collection(struct ch_http_call *call, const struct ch_share_collection_info **ret)
{
    struct ch_str id = call->req.n_params > 0 ? call->req.params[0] : CH_STR_NULL;
    *ret = ch_share_collection_find(id);
    if (*ret == NULL)
        return taxii_error(call, 404, "Not Found", "no such collection");
    return CH_OK;
}

static int page_headers(struct ch_http_call *call, const struct ch_share_page *pg)
{
    if (pg->n == 0)
        return CH_OK;
    char t[CH_STIX_TIME_MAX];
    int rc =
        ch_http_add_header(call, "x-taxii-date-added-first", ch_stix_time(pg->first_added_ms, t));
    if (rc == CH_OK)
        rc =
            ch_http_add_header(call, "x-taxii-date-added-last", ch_stix_time(pg->last_added_ms, t));
    return rc;
}

static void write_more_next(struct ch_jw *w, const struct ch_share_page *pg)
{
    ch_jw_kbool(w, "more", pg->more);
    if (pg->more) {
        char next[CH_SHARE_NEXT_MAX];
        ch_share_next_encode(pg->last_added_ms, pg->last_id, next);
        ch_jw_kstr(w, "next", next);
    }
}

/* Row writers: the array is opened lazily so an empty page has no "objects" member. */
struct emit_ctx {
    struct ch_jw *w;
    const char *member;
    size_t n;
};

static void open_member(struct emit_ctx *e)
{
    if (e->n++ == 0) {
        ch_jw_key(e->w, e->member);
        ch_jw_arr_open(e->w);
    }
}

static int write_object_row(void *ctx, const struct ch_share_row *r, struct ch_err *err)
{
    (void)err;
    struct emit_ctx *e = ctx;
    open_member(e);
    ch_stix_write_object(e->w, r->type, r->stix_id, r->created_ms, r->modified_ms, r->body,
                         r->body_len);
    return CH_OK;
}

static int write_manifest_row(void *ctx, const struct ch_share_row *r, struct ch_err *err)
{
    (void)err;
    struct emit_ctx *e = ctx;
    char t[CH_STIX_TIME_MAX];
    open_member(e);
    ch_jw_obj_open(e->w);
    ch_jw_kstr(e->w, "id", r->stix_id);
    ch_jw_kstr(e->w, "date_added", ch_stix_time(r->added_ms, t));
    ch_jw_kstr(e->w, "version", ch_stix_time(r->version_ms, t));
    ch_jw_kstr(e->w, "media_type", CH_STIX_MEDIA_TYPE);
    ch_jw_obj_close(e->w);
    return CH_OK;
}

static int write_version_row(void *ctx, const struct ch_share_row *r, struct ch_err *err)
{
    (void)err;
    struct emit_ctx *e = ctx;
    char t[CH_STIX_TIME_MAX];
    open_member(e);
    ch_jw_cstr(e->w, ch_stix_time(r->version_ms, t));
    return CH_OK;
}

/* Runs q and writes the envelope {"more", "next"?, <member>: [...]} with the paging headers. */
static int envelope(struct ch_http_call *call, const struct ch_share_query *q, bool with_body,
                    ch_share_row_fn fn, const char *member, struct ch_share_page *ret_page)
{
    struct ch_jw w;
    respond_json(call, &w);
    ch_jw_obj_open(&w);
    struct emit_ctx e = {.w = &w, .member = member};
    struct ch_share_page pg;
    int rc = ch_share_query_run(call->store, q, with_body, fn, &e, &pg, &call->err);
    if (rc != CH_OK)
        return rc;
    if (e.n > 0)
        ch_jw_arr_close(&w);
    write_more_next(&w, &pg);
    ch_jw_obj_close(&w);
    rc = ch_jw_finish(&w, &call->err);
    if (rc == CH_OK)
        rc = page_headers(call, &pg);
    if (ret_page != NULL)
        *ret_page = pg;
    return rc;
}

static int count_row(void *ctx, const struct ch_share_row *r, struct ch_err *err)
{
    (void)ctx;
    (void)r;
    (void)err;
    return CH_OK;
}

/* Does the object exist for this viewer in the collection at all (any version, any time)? */
static int object_exists(struct ch_http_call *call, const char *collection, const char *id,
                         bool *ret)
{
    const char *ids[] = {id};
    struct ch_share_query q = {.collection = collection,
                               .viewer = viewer_of(call),
                               .added_after_ms = -1,
                               .ids = ids,
                               .n_ids = 1,
                               .versions = CH_SHARE_V_ALL,
                               .limit = 1};
    struct ch_share_page pg;
    int rc = ch_share_query_run(call->store, &q, false, count_row, NULL, &pg, &call->err);
    if (rc == CH_OK)
        *ret = pg.n > 0;
    return rc;
}

#define RETURN_IF_RESPONDED(expr)                                                                  \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != CH_OK)                                                                          \
            return rc_ > 0 ? CH_OK : rc_;                                                          \
    } while (0)

/* ---- handlers ---- */

int ch_h_taxii_discovery(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    struct ch_jw w;
    respond_json(call, &w);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "title", "Clearinghouse TAXII 2.1 server");
    ch_jw_kstr(&w, "description",
               "Vulnerabilities, KEV additions, notices and indicators of unauthorised scanning "
               "shared by the vulnerability clearinghouse");
    ch_jw_kstr(&w, "default", "/taxii2/api/");
    ch_jw_key(&w, "api_roots");
    ch_jw_arr_open(&w);
    ch_jw_cstr(&w, "/taxii2/api/");
    ch_jw_arr_close(&w);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_taxii_api_root(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    struct ch_jw w;
    respond_json(call, &w);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "title", "Clearinghouse");
    ch_jw_kstr(&w, "description", "Read-only collections of STIX 2.1 objects");
    ch_jw_key(&w, "versions");
    ch_jw_arr_open(&w);
    ch_jw_cstr(&w, CH_TAXII_MEDIA_TYPE);
    ch_jw_arr_close(&w);
    ch_jw_kint(&w, "max_content_length", (int64_t)CH_TAXII_MAX_BODY);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_taxii_status(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    /* collections are read-only: no request is ever pending, so no status exists */
    RETURN_IF_RESPONDED(taxii_error(call, 404, "Not Found", "no such status resource"));
    return CH_OK;
}

static void write_collection(struct ch_jw *w, const struct ch_share_collection_info *c)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "id", c->id);
    ch_jw_kstr(w, "title", c->title);
    ch_jw_kstr(w, "description", c->description);
    ch_jw_kstr(w, "alias", c->key);
    ch_jw_kbool(w, "can_read", true);
    ch_jw_kbool(w, "can_write", false);
    ch_jw_key(w, "media_types");
    ch_jw_arr_open(w);
    ch_jw_cstr(w, CH_STIX_MEDIA_TYPE);
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
}

int ch_h_taxii_collections(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    struct ch_jw w;
    respond_json(call, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "collections");
    ch_jw_arr_open(&w);
    for (size_t i = 0; ch_share_collection_at(i) != NULL; i++)
        write_collection(&w, ch_share_collection_at(i));
    ch_jw_arr_close(&w);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_taxii_collection(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    const struct ch_share_collection_info *c = NULL;
    RETURN_IF_RESPONDED(find_collection(call, &c));
    struct ch_jw w;
    respond_json(call, &w);
    write_collection(&w, c);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_taxii_objects(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    const struct ch_share_collection_info *c = NULL;
    RETURN_IF_RESPONDED(find_collection(call, &c));
    struct params p;
    RETURN_IF_RESPONDED(parse_params(
        call, P_ADDED_AFTER | P_LIMIT | P_NEXT | P_ID | P_TYPE | P_VERSION | P_SPEC, &p));
    struct ch_share_query q;
    query_from(call, c->key, &p, &q);
    return envelope(call, &q, true, write_object_row, "objects", NULL);
}

static bool is_taxii_type(struct ch_str ct)
{
    struct ch_str rest = ct, part;
    if (ct.ptr == NULL || !ch_str_split_next(&rest, ';', &part))
        return false;
    if (!ch_str_case_eq_c(ch_str_trim(part), "application/taxii+json"))
        return false;
    while (ch_str_split_next(&rest, ';', &part)) {
        struct ch_str p = ch_str_trim(part);
        if (ch_str_starts_with(p, "version=") && !ch_str_eq_c(ch_str_sub(p, 8, p.len - 8), "2.1"))
            return false;
    }
    return true;
}

int ch_h_taxii_objects_add(struct ch_http_call *call)
{
    if (!accept_ok(call->req.accept))
        RETURN_IF_RESPONDED(taxii_error(call, 406, "Not Acceptable",
                                        "this server answers application/taxii+json;version=2.1"));
    if (!is_taxii_type(call->req.content_type))
        RETURN_IF_RESPONDED(taxii_error(call, 415, "Unsupported Media Type",
                                        "objects are sent as application/taxii+json;version=2.1"));
    const struct ch_share_collection_info *c = NULL;
    RETURN_IF_RESPONDED(find_collection(call, &c));
    RETURN_IF_RESPONDED(taxii_error(call, 403, "Forbidden",
                                    "collections of this server are read-only (can_write false)"));
    return CH_OK;
}

int ch_h_taxii_object_delete(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    const struct ch_share_collection_info *c = NULL;
    RETURN_IF_RESPONDED(find_collection(call, &c));
    RETURN_IF_RESPONDED(taxii_error(call, 403, "Forbidden",
                                    "collections of this server are read-only (can_write false)"));
    return CH_OK;
}

/* The {object} path parameter, checked; 404 when it cannot name an object. */
static int object_param(struct ch_http_call *call, const char **ret)
{
    struct ch_str id = call->req.n_params > 1 ? call->req.params[1] : CH_STR_NULL;
    if (!valid_stix_id(id))
        return taxii_error(call, 404, "Not Found", "no such object");
    *ret = ch_arena_str(call->arena, id);
    return *ret != NULL ? CH_OK : ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
}

static int require_object(struct ch_http_call *call, const char *collection, const char *id)
{
    bool exists = false;
    int rc = object_exists(call, collection, id, &exists);
    if (rc != CH_OK)
        return rc;
    return exists ? CH_OK : taxii_error(call, 404, "Not Found", "no such object");
}

int ch_h_taxii_object(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    const struct ch_share_collection_info *c = NULL;
    RETURN_IF_RESPONDED(find_collection(call, &c));
    const char *id = NULL;
    RETURN_IF_RESPONDED(object_param(call, &id));
    struct params p;
    RETURN_IF_RESPONDED(
        parse_params(call, P_ADDED_AFTER | P_LIMIT | P_NEXT | P_VERSION | P_SPEC, &p));
    RETURN_IF_RESPONDED(require_object(call, c->key, id));
    p.ids[0] = id;
    p.n_ids = 1;
    struct ch_share_query q;
    query_from(call, c->key, &p, &q);
    return envelope(call, &q, true, write_object_row, "objects", NULL);
}

int ch_h_taxii_versions(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    const struct ch_share_collection_info *c = NULL;
    RETURN_IF_RESPONDED(find_collection(call, &c));
    const char *id = NULL;
    RETURN_IF_RESPONDED(object_param(call, &id));
    struct params p;
    RETURN_IF_RESPONDED(parse_params(call, P_ADDED_AFTER | P_LIMIT | P_NEXT | P_SPEC, &p));
    RETURN_IF_RESPONDED(require_object(call, c->key, id));
    p.ids[0] = id;
    p.n_ids = 1;
    p.versions = CH_SHARE_V_ALL;
    struct ch_share_query q;
    query_from(call, c->key, &p, &q);
    return envelope(call, &q, false, write_version_row, "versions", NULL);
}

int ch_h_taxii_manifest(struct ch_http_call *call)
{
    RETURN_IF_RESPONDED(prologue(call));
    const struct ch_share_collection_info *c = NULL;
    RETURN_IF_RESPONDED(find_collection(call, &c));
    struct params p;
    RETURN_IF_RESPONDED(parse_params(
        call, P_ADDED_AFTER | P_LIMIT | P_NEXT | P_ID | P_TYPE | P_VERSION | P_SPEC, &p));
    struct ch_share_query q;
    query_from(call, c->key, &p, &q);
    return envelope(call, &q, false, write_manifest_row, "objects", NULL);
}
