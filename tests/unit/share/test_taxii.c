/* SPDX-License-Identifier: Apache-2.0
 *
 * test_taxii.c: TAXII 2.1 conformance of the handlers (called directly on a
 * struct ch_http_call, the way the server calls them), the collection index
 * (sync, versions, exact added_after and next paging), tenancy and
 * clearance over every collection, and every served object checked against
 * the STIX 2.1 structural rules (tests/share/stix_check.h).
 */
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/json.h"
#include "http/h_taxii.h"
#include "share/collection.h"
#include "share/sources.h"
#include "share/stix.h"
#include "stix_check.h"
#include "testutil.h"

#define T0 INT64_C(1767225600) /* 2026-01-01 */
#define NOW (T0 + 3600)

/* ---- calling handlers ---- */

struct result {
    int status;
    char content_type[64];
    char first[CH_STIX_TIME_MAX], last[CH_STIX_TIME_MAX];
    cJSON *json;
};

struct req {
    enum ch_http_method method;
    const char *p0, *p1;
    const char *query;
    const char *accept;
    const char *content_type;
    const struct ch_principal *who;
};

static struct ch_store *g_store;

static void result_release(struct result *r)
{
    cJSON_Delete(r->json);
    memset(r, 0, sizeof(*r));
}

static void call_handler(ch_http_handler_fn h, const struct req *q, struct result *out)
{
    struct ch_app app = {.clock = CH_CLOCK_FIXED(NOW), .version = "test"};
    struct ch_http_call call = {.app = &app, .store = g_store};
    call.arena = ch_arena_new(CH_HTTP_ARENA_MAX);
    assert_non_null(call.arena);
    ch_buf_init(&call.res.body, CH_HTTP_MAX_RESPONSE);
    call.req.method = q->method != 0 ? q->method : CH_HTTP_GET;
    call.req.query = q->query != NULL ? ch_str_c(q->query) : CH_STR_NULL;
    call.req.accept = q->accept != NULL ? ch_str_c(q->accept) : CH_STR_NULL;
    call.req.content_type = q->content_type != NULL ? ch_str_c(q->content_type) : CH_STR_NULL;
    if (q->p0 != NULL)
        call.req.params[call.req.n_params++] = ch_str_c(q->p0);
    if (q->p1 != NULL)
        call.req.params[call.req.n_params++] = ch_str_c(q->p1);
    if (q->who != NULL) {
        call.principal = *q->who;
        call.authenticated = true;
    }
    int rc = h(&call);
    if (rc != CH_OK)
        fail_msg("handler failed: %s", call.err.msg);
    memset(out, 0, sizeof(*out));
    out->status = call.res.status == 0 ? 200 : call.res.status;
    snprintf(out->content_type, sizeof(out->content_type), "%s",
             call.res.content_type != NULL ? call.res.content_type : "");
    for (unsigned i = 0; i < call.res.n_headers; i++) {
        if (strcmp(call.res.headers[i].name, "x-taxii-date-added-first") == 0)
            snprintf(out->first, sizeof(out->first), "%s", call.res.headers[i].value);
        if (strcmp(call.res.headers[i].name, "x-taxii-date-added-last") == 0)
            snprintf(out->last, sizeof(out->last), "%s", call.res.headers[i].value);
    }
    struct ch_err err = CH_ERR_INIT;
    if (ch_json_parse(ch_buf_cstr(&call.res.body), ch_buf_len(&call.res.body), NULL, "response",
                      &out->json, &err) != CH_OK)
        fail_msg("response is not JSON: %s", err.msg);
    ch_buf_release(&call.res.body);
    ch_arena_free(call.arena);
}

static void expect_status(ch_http_handler_fn h, const struct req *q, int status)
{
    struct result r;
    call_handler(h, q, &r);
    if (r.status != status) {
        char *text = cJSON_PrintUnformatted(r.json);
        fail_msg("expected %d, got %d: %s", status, r.status, text);
    }
    assert_string_equal(r.content_type, CH_TAXII_MEDIA_TYPE);
    if (status >= 400) {
        /* the TAXII error message */
        assert_non_null(ch_json_str(r.json, "title"));
        char code[8];
        snprintf(code, sizeof(code), "%d", status);
        assert_string_equal(ch_json_str(r.json, "http_status"), code);
    }
    result_release(&r);
}

/* ---- fixture ---- */

static void exec(const char *sql)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_exec(g_store, sql, &err) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
}

static int64_t add_vuln(const char *cve, const char *alias, int64_t imported, bool withdrawn)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_prepare(g_store,
                                      "INSERT INTO vulns (display_id, created_at) VALUES (?, ?)"
                                      " RETURNING id",
                                      &st, &err),
                     CH_OK);
    ch_stmt_bind_cstr(st, 1, cve);
    ch_stmt_bind_int(st, 2, imported);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    int64_t vid = ch_stmt_int(st, 0);
    ch_stmt_free(st);
    const char *keys[] = {cve, alias};
    for (int i = 0; i < 2 && keys[i] != NULL; i++) {
        assert_int_equal(ch_store_prepare(g_store,
                                          "INSERT INTO vuln_keys (key, vuln_id) VALUES (?, ?)", &st,
                                          &err),
                         CH_OK);
        ch_stmt_bind_cstr(st, 1, keys[i]);
        ch_stmt_bind_int(st, 2, vid);
        assert_int_equal(ch_stmt_run(st, &err), CH_OK);
        ch_stmt_free(st);
    }
    assert_int_equal(
        ch_store_prepare(g_store,
                         "INSERT INTO advisories (source, source_id, vuln_id, summary,"
                         " published, modified, withdrawn, severity, cvss_score,"
                         " content_hash, record, imported_at)"
                         " VALUES ('cve5', ?, ?, ?, ?, ?, ?, 'high', 7.5, 'h', '{}', ?)"
                         " RETURNING id",
                         &st, &err),
        CH_OK);
    ch_stmt_bind_cstr(st, 1, cve);
    ch_stmt_bind_int(st, 2, vid);
    ch_stmt_bind_cstr(st, 3, "A flaw in something");
    ch_stmt_bind_int(st, 4, imported - 86400);
    ch_stmt_bind_int(st, 5, imported - 3600);
    if (withdrawn)
        ch_stmt_bind_int(st, 6, imported);
    ch_stmt_bind_int(st, 7, imported);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    int64_t aid = ch_stmt_int(st, 0);
    ch_stmt_free(st);
    assert_int_equal(ch_store_prepare(g_store,
                                      "INSERT INTO affected (advisory_id, ecosystem, name, purl)"
                                      " VALUES (?, 'npm', 'lodash', 'pkg:npm/lodash')",
                                      &st, &err),
                     CH_OK);
    ch_stmt_bind_int(st, 1, aid);
    assert_int_equal(ch_stmt_run(st, &err), CH_OK);
    ch_stmt_free(st);
    return vid;
}

static const struct ch_principal A_UNCL = {
    .user_id = 1, .org_id = 1, .roles = CH_ROLE_OPERATOR, .clearance = CH_CLEAR_UNCLASSIFIED};
static const struct ch_principal A_SECRET = {
    .user_id = 2, .org_id = 1, .roles = CH_ROLE_OPERATOR, .clearance = CH_CLEAR_SECRET};
static const struct ch_principal A_TOP = {
    .user_id = 5, .org_id = 1, .roles = CH_ROLE_OPERATOR, .clearance = CH_CLEAR_TOP_SECRET};
static const struct ch_principal B_UNCL = {
    .user_id = 3, .org_id = 2, .roles = CH_ROLE_OPERATOR, .clearance = CH_CLEAR_UNCLASSIFIED};
static const struct ch_principal C_WIDE = {
    .user_id = 4, .org_id = 3, .roles = CH_ROLE_ADMIN, .clearance = CH_CLEAR_TOP_SECRET};

static void fixture(void)
{
    exec("INSERT INTO orgs (slug, name, category, sector, created_at) VALUES"
         " ('water-a', 'Water A', 'ci', 'water', 1767000000),"
         " ('power-b', 'Power B', 'ci', 'energy', 1767000000),"
         " ('ch', 'Clearinghouse', 'clearinghouse', NULL, 1767000000)");
    int64_t v1 = add_vuln("CVE-2024-0001", "GHSA-aaaa-bbbb-cccc", T0, false);
    int64_t v2 = add_vuln("CVE-2024-0002", NULL, T0, false);
    add_vuln("CVE-2024-0003", NULL, T0, true);
    (void)v1;
    (void)v2;
    exec("INSERT INTO kev (cve, vendor, product, name, description, date_added, due_date,"
         " required_action, imported_at) VALUES"
         " ('CVE-2024-0002', 'acme', 'widget', 'Acme Widget flaw', 'exploited', 1767139200,"
         " 1768348800, 'Apply updates', 1767225600),"
         " ('CVE-2023-9999', 'acme', 'gadget', 'Acme Gadget flaw', '', 1767139200, NULL,"
         " 'Apply updates', 1767225600)");
    exec(
        "INSERT INTO notices (org_id, vuln_id, vuln, created_at, reasons, due_at, body) VALUES"
        " (1, 1, 'CVE-2024-0001', 1767225600, 'advisory', 1768435200, '{\"assets\":[\"pump-1\"]}'),"
        " (2, 2, 'CVE-2024-0002', 1767225600, 'kev', NULL, '{\"assets\":[\"grid-7\"]}')");
    exec("INSERT INTO coord_incidents (org_id, title, source, target, observed_at, classification,"
         " status, created_at, created_by) VALUES"
         " (1, 'scan 1', '203.0.113.7', '192.0.2.10', 1767200000, 'unclassified', 'open', "
         "1767200000,"
         " 'user:a'),"
         " (1, 'scan 2', '198.51.100.9', '192.0.2.11', 1767200000, 'secret', 'open', 1767200000,"
         " 'user:a'),"
         " (2, 'scan 3', '2001:db8::5', '192.0.2.12', 1767200000, 'unclassified', 'open', "
         "1767200000,"
         " 'user:b'),"
         " (2, 'scan 4', 'ua:BadBot/1', '192.0.2.13', 1767200000, 'cui', 'open', 1767200000,"
         " 'user:b')");
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(
        ch_share_incident_release(g_store, 1, CH_TLP_GREEN, 1, false, "user:a", T0, &err), CH_OK);
    assert_int_equal(
        ch_share_incident_release(g_store, 2, CH_TLP_GREEN, 1, false, "user:a", T0, &err), CH_OK);
    assert_int_equal(
        ch_share_incident_release(g_store, 3, CH_TLP_AMBER_STRICT, 2, false, "user:b", T0, &err),
        CH_OK);
    assert_int_equal(
        ch_share_incident_release(g_store, 4, CH_TLP_CLEAR, 2, false, "user:b", T0, &err), CH_OK);
    /* another organisation cannot release an incident; TLP:RED never leaves */
    assert_int_equal(
        ch_share_incident_release(g_store, 1, CH_TLP_GREEN, 2, false, "user:b", T0, &err),
        CH_E_NOTFOUND);
    ch_err_clear(&err);
    assert_int_equal(
        ch_share_incident_release(g_store, 1, CH_TLP_RED, 1, false, "user:a", T0, &err),
        CH_E_INVALID);
    ch_err_clear(&err);
    struct ch_share_sync_stats st;
    if (ch_share_sync_builtin(g_store, NOW, false, &st, &err) != CH_OK)
        fail_msg("sync: %s", err.msg);
    assert_true(st.added > 0);
}

static char *g_dir;

static int setup(void **state)
{
    (void)state;
    ch_json_global_init();
    ch_h_taxii_set_sync_interval(-1);
    g_store = ch_test_store(&g_dir);
    assert_non_null(g_store);
    fixture();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ch_store_free(g_store);
    g_store = NULL;
    ch_test_rmtree(g_dir);
    ch_free(g_dir);
    return 0;
}

#define C_VULNS "a2098163-9c23-5201-8635-f04575f5c107"
#define C_KEV "64c72bb9-8494-5ce1-bf92-5b84581c5d98"
#define C_NOTICES "47aa2e3d-c068-5fea-9d69-e7b29e6224e5"
#define C_IND "6820586f-a29b-5bcf-b1f0-d5591b2db101"

/* Every object of a collection the principal sees (following next), as one array (owned). */
static cJSON *all_objects(const char *collection, const struct ch_principal *who, const char *extra,
                          unsigned limit)
{
    cJSON *all = cJSON_CreateArray();
    char next[CH_SHARE_NEXT_MAX + 8] = "";
    for (int page = 0; page < 10000; page++) {
        char query[512];
        snprintf(query, sizeof(query), "limit=%u%s%s%s%s", limit, next[0] ? "&next=" : "", next,
                 extra != NULL ? "&" : "", extra != NULL ? extra : "");
        struct result r;
        call_handler(ch_h_taxii_objects,
                     &(struct req){.p0 = collection, .query = query, .who = who}, &r);
        assert_int_equal(r.status, 200);
        const cJSON *objs = ch_json_arr(r.json, "objects");
        const cJSON *o;
        cJSON_ArrayForEach(o, objs) cJSON_AddItemToArray(all, cJSON_Duplicate(o, 1));
        assert_true((size_t)cJSON_GetArraySize(objs) <= limit);
        bool more = cJSON_IsTrue(cJSON_GetObjectItem(r.json, "more"));
        if (more) {
            assert_non_null(ch_json_str(r.json, "next"));
            snprintf(next, sizeof(next), "%s", ch_json_str(r.json, "next"));
        }
        result_release(&r);
        if (!more)
            return all;
    }
    fail_msg("paging did not end");
    return all;
}

static bool has_id(const cJSON *arr, const char *id)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        if (strcmp(ch_json_str(o, "id"), id) == 0)
            return true;
    }
    return false;
}

static void stix_id(const char *type, const char *name, char out[CH_STIX_ID_MAX])
{
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_stix_id(type, name, out, &err), CH_OK);
}

/* ---- tests ---- */

static void test_discovery_root_collections(void **state)
{
    (void)state;
    struct result r;
    call_handler(ch_h_taxii_discovery, &(struct req){.who = &A_UNCL}, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, CH_TAXII_MEDIA_TYPE);
    assert_non_null(ch_json_str(r.json, "title"));
    assert_string_equal(ch_json_str(r.json, "default"), "/taxii2/api/");
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(r.json, "api_roots")), 1);
    result_release(&r);

    call_handler(ch_h_taxii_api_root, &(struct req){.who = &A_UNCL}, &r);
    assert_string_equal(cJSON_GetArrayItem(ch_json_arr(r.json, "versions"), 0)->valuestring,
                        CH_TAXII_MEDIA_TYPE);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(r.json, "max_content_length")));
    result_release(&r);

    call_handler(ch_h_taxii_collections, &(struct req){.who = &A_UNCL}, &r);
    const cJSON *cols = ch_json_arr(r.json, "collections");
    assert_int_equal(cJSON_GetArraySize(cols), 4);
    const cJSON *c;
    cJSON_ArrayForEach(c, cols)
    {
        assert_non_null(ch_json_str(c, "id"));
        assert_non_null(ch_json_str(c, "title"));
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c, "can_read")));
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(c, "can_write")));
        assert_string_equal(cJSON_GetArrayItem(ch_json_arr(c, "media_types"), 0)->valuestring,
                            "application/stix+json;version=2.1");
    }
    result_release(&r);

    call_handler(ch_h_taxii_collection, &(struct req){.p0 = C_KEV, .who = &A_UNCL}, &r);
    assert_string_equal(ch_json_str(r.json, "id"), C_KEV);
    result_release(&r);
    expect_status(ch_h_taxii_collection,
                  &(struct req){.p0 = "00000000-0000-4000-8000-000000000000", .who = &A_UNCL}, 404);
    expect_status(ch_h_taxii_objects, &(struct req){.p0 = "nope", .who = &A_UNCL}, 404);
    expect_status(ch_h_taxii_manifest, &(struct req){.p0 = "nope", .who = &A_UNCL}, 404);
    expect_status(ch_h_taxii_status, &(struct req){.p0 = "x", .who = &A_UNCL}, 404);
}

static void test_media_types(void **state)
{
    (void)state;
    const char *ok[] = {NULL,
                        "*/*",
                        "application/*",
                        "application/taxii+json",
                        "application/taxii+json;version=2.1",
                        "text/html, application/taxii+json; version=2.1;q=0.9"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(ok); i++)
        expect_status(ch_h_taxii_objects,
                      &(struct req){.p0 = C_VULNS, .accept = ok[i], .who = &A_UNCL}, 200);
    const char *bad[] = {"text/html", "application/json", "application/taxii+json;version=2.0",
                         "application/stix+json;version=2.1"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(bad); i++) {
        expect_status(ch_h_taxii_objects,
                      &(struct req){.p0 = C_VULNS, .accept = bad[i], .who = &A_UNCL}, 406);
        expect_status(ch_h_taxii_discovery, &(struct req){.accept = bad[i], .who = &A_UNCL}, 406);
    }
    /* POST: 415 for the wrong Content-Type, then 403: the collections are read-only */
    expect_status(ch_h_taxii_objects_add,
                  &(struct req){.method = CH_HTTP_POST,
                                .p0 = C_VULNS,
                                .content_type = "application/json",
                                .who = &A_UNCL},
                  415);
    expect_status(ch_h_taxii_objects_add,
                  &(struct req){.method = CH_HTTP_POST, .p0 = C_VULNS, .who = &A_UNCL}, 415);
    expect_status(ch_h_taxii_objects_add,
                  &(struct req){.method = CH_HTTP_POST,
                                .p0 = C_VULNS,
                                .content_type = "application/taxii+json;version=2.1",
                                .who = &A_UNCL},
                  403);
    expect_status(ch_h_taxii_objects_add,
                  &(struct req){.method = CH_HTTP_POST,
                                .p0 = C_VULNS,
                                .content_type = "application/taxii+json;version=2.1",
                                .accept = "text/plain",
                                .who = &A_UNCL},
                  406);
    char vid[CH_STIX_ID_MAX];
    stix_id("vulnerability", "vuln:CVE-2024-0001", vid);
    expect_status(ch_h_taxii_object_delete,
                  &(struct req){.method = CH_HTTP_DELETE, .p0 = C_VULNS, .p1 = vid, .who = &A_UNCL},
                  403);
}

static void test_bad_filters(void **state)
{
    (void)state;
    const char *bad[] = {
        "added_after=yesterday",
        "added_after=2026-01-01",
        "limit=0",
        "limit=-3",
        "limit=abc",
        "limit=10&limit=20",
        "next=bm90IG91cnM",
        "next=%%%",
        "match[type]=NOT_A_TYPE",
        "match%5Btype%5D=a%20b",
        "match[id]=vulnerability--xyz",
        "match[id]=",
        "match[version]=yesterday",
        "match[spec_version]=two",
        "match[foo]=bar",
        "match[type]=a,,b",
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(bad); i++) {
        struct result r;
        call_handler(ch_h_taxii_objects,
                     &(struct req){.p0 = C_VULNS, .query = bad[i], .who = &A_UNCL}, &r);
        if (r.status != 400)
            fail_msg("'%s' gave %d", bad[i], r.status);
        result_release(&r);
        call_handler(ch_h_taxii_manifest,
                     &(struct req){.p0 = C_VULNS, .query = bad[i], .who = &A_UNCL}, &r);
        if (r.status != 400)
            fail_msg("manifest '%s' gave %d", bad[i], r.status);
        result_release(&r);
    }
    /* filters that do not apply to an endpoint are refused there */
    char vid[CH_STIX_ID_MAX];
    stix_id("vulnerability", "vuln:CVE-2024-0001", vid);
    expect_status(
        ch_h_taxii_versions,
        &(struct req){
            .p0 = C_VULNS, .p1 = vid, .query = "match[type]=vulnerability", .who = &A_UNCL},
        400);
    expect_status(ch_h_taxii_object,
                  &(struct req){.p0 = C_VULNS,
                                .p1 = vid,
                                .query = "match[id]="
                                         "x",
                                .who = &A_UNCL},
                  400);
    /* parameters TAXII does not define are ignored; a huge limit is clamped */
    expect_status(
        ch_h_taxii_objects,
        &(struct req){.p0 = C_VULNS, .query = "foo=1&_=123&limit=99999999", .who = &A_UNCL}, 200);
    /* spec_version 2.0 matches nothing here (every object is 2.1) */
    struct result r;
    call_handler(ch_h_taxii_objects,
                 &(struct req){.p0 = C_VULNS, .query = "match[spec_version]=2.0", .who = &A_UNCL},
                 &r);
    assert_int_equal(r.status, 200);
    assert_null(ch_json_arr(r.json, "objects"));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r.json, "more")));
    result_release(&r);
    call_handler(
        ch_h_taxii_objects,
        &(struct req){.p0 = C_VULNS, .query = "match[spec_version]=2.0,2.1", .who = &A_UNCL}, &r);
    assert_true(cJSON_GetArraySize(ch_json_arr(r.json, "objects")) > 0);
    result_release(&r);
}

static void test_every_object_valid_and_marked(void **state)
{
    (void)state;
    const char *cols[] = {C_VULNS, C_KEV, C_NOTICES, C_IND};
    const struct ch_principal *who[] = {&A_TOP, &B_UNCL, &C_WIDE};
    size_t checked = 0;
    for (size_t w = 0; w < CH_ARRAY_SIZE(who); w++) {
        for (size_t c = 0; c < CH_ARRAY_SIZE(cols); c++) {
            cJSON *all = all_objects(cols[c], who[w], "match[version]=all", 5);
            const cJSON *o;
            cJSON_ArrayForEach(o, all)
            {
                char msg[256];
                if (stix_check(o, msg, sizeof(msg)) != 0)
                    fail_msg("%s: %s", ch_json_str(o, "id"), msg);
                /* the markings an object carries are objects of the same collection */
                const cJSON *refs = ch_json_arr(o, "object_marking_refs");
                const cJSON *m;
                cJSON_ArrayForEach(m, refs) assert_true(has_id(all, m->valuestring));
                const char *cb = ch_json_str(o, "created_by_ref");
                if (cb != NULL)
                    assert_true(has_id(all, cb));
                checked++;
            }
            cJSON_Delete(all);
        }
    }
    assert_true(checked > 40);
    /* a withdrawn vulnerability is revoked; the KEV one carries its KEV facts */
    cJSON *vulns = all_objects(C_VULNS, &A_UNCL, "match[type]=vulnerability", 100);
    char id[CH_STIX_ID_MAX];
    const cJSON *o;
    stix_id("vulnerability", "vuln:CVE-2024-0003", id);
    cJSON_ArrayForEach(o, vulns)
    {
        if (strcmp(ch_json_str(o, "id"), id) == 0)
            assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "revoked")));
    }
    assert_int_equal(cJSON_GetArraySize(vulns), 3);
    cJSON_Delete(vulns);
    cJSON *kev = all_objects(C_KEV, &A_UNCL, "match[type]=vulnerability", 100);
    assert_int_equal(cJSON_GetArraySize(kev), 2); /* CVE-2024-0002 and the KEV-only CVE-2023-9999 */
    cJSON_ArrayForEach(o, kev) assert_non_null(ch_json_obj(o, "x_clearinghouse_kev"));
    cJSON_Delete(kev);
}

static void test_tenancy_and_clearance(void **state)
{
    (void)state;
    char n1[CH_STIX_ID_MAX], n2[CH_STIX_ID_MAX];
    stix_id("report", "notice:1", n1);
    stix_id("report", "notice:2", n2);
    char i1[CH_STIX_ID_MAX], i2[CH_STIX_ID_MAX], i3[CH_STIX_ID_MAX], i4[CH_STIX_ID_MAX];
    stix_id("indicator", "incident-indicator:1", i1);
    stix_id("indicator", "incident-indicator:2", i2);
    stix_id("indicator", "incident-indicator:3", i3);
    stix_id("indicator", "incident-indicator:4", i4);
    struct {
        const struct ch_principal *who;
        bool n1, n2, i1, i2, i3, i4;
    } cases[] = {
        {&A_UNCL, true, false, true, false, false, false},
        {&A_SECRET, true, false, true, true, false, true},
        {&B_UNCL, false, true, true, false, true, false},
        {&C_WIDE, false, false, true, true, false, true}, /* wide roles do not widen a collection */
    };
    const char *cols[] = {C_VULNS, C_KEV, C_NOTICES, C_IND};
    for (size_t k = 0; k < CH_ARRAY_SIZE(cases); k++) {
        cJSON *every = cJSON_CreateArray();
        for (size_t c = 0; c < CH_ARRAY_SIZE(cols); c++) {
            cJSON *all = all_objects(cols[c], cases[k].who, "match[version]=all", 3);
            const cJSON *o;
            cJSON_ArrayForEach(o, all) cJSON_AddItemToArray(every, cJSON_Duplicate(o, 1));
            cJSON_Delete(all);
        }
        assert_int_equal(has_id(every, n1), cases[k].n1);
        assert_int_equal(has_id(every, n2), cases[k].n2);
        assert_int_equal(has_id(every, i1), cases[k].i1);
        assert_int_equal(has_id(every, i2), cases[k].i2);
        assert_int_equal(has_id(every, i3), cases[k].i3);
        assert_int_equal(has_id(every, i4), cases[k].i4);
        /* nothing names the other organisation */
        char *text = cJSON_PrintUnformatted(every);
        if (cases[k].who->org_id != 1)
            assert_null(strstr(text, "pump-1"));
        if (cases[k].who->org_id != 2)
            assert_null(strstr(text, "grid-7"));
        ch_free(text);
        cJSON_Delete(every);
    }
    /* the object, versions and manifest endpoints answer 404 for an invisible object */
    expect_status(ch_h_taxii_object, &(struct req){.p0 = C_NOTICES, .p1 = n2, .who = &A_UNCL}, 404);
    expect_status(ch_h_taxii_versions, &(struct req){.p0 = C_NOTICES, .p1 = n2, .who = &A_UNCL},
                  404);
    expect_status(ch_h_taxii_object, &(struct req){.p0 = C_IND, .p1 = i2, .who = &A_UNCL}, 404);
    expect_status(ch_h_taxii_object, &(struct req){.p0 = C_NOTICES, .p1 = n1, .who = &A_UNCL}, 200);
    struct result r;
    call_handler(ch_h_taxii_manifest,
                 &(struct req){.p0 = C_NOTICES, .query = "match[type]=report", .who = &A_UNCL}, &r);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(r.json, "objects")), 1);
    result_release(&r);
    /* collection counts follow the same rules */
    struct ch_err err = CH_ERR_INIT;
    int64_t a = 0, b = 0;
    struct ch_share_viewer va = {1, CH_CLEAR_UNCLASSIFIED}, vs = {1, CH_CLEAR_SECRET};
    assert_int_equal(ch_share_collection_count(g_store, "indicators", &va, &a, &err), CH_OK);
    assert_int_equal(ch_share_collection_count(g_store, "indicators", &vs, &b, &err), CH_OK);
    assert_true(b > a);
}

static void test_paging_exact_boundaries(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    /* three more batches of vulnerabilities, synced at three times */
    int64_t times[3] = {NOW + 1000, NOW + 2000, NOW + 3000};
    int counts[3] = {10, 10, 5};
    char name[32];
    int k = 0;
    for (int b = 0; b < 3; b++) {
        for (int i = 0; i < counts[b]; i++) {
            snprintf(name, sizeof(name), "CVE-2025-%04d", k++);
            add_vuln(name, NULL, times[b] - 500, false);
        }
        assert_int_equal(ch_share_sync_builtin(g_store, times[b], false, NULL, &err), CH_OK);
    }
    /* every vulnerability exactly once, whatever the page size */
    for (unsigned limit = 1; limit <= 13; limit += 4) {
        cJSON *all = all_objects(C_VULNS, &A_UNCL, "match[type]=vulnerability", limit);
        assert_int_equal(cJSON_GetArraySize(all), 28);
        for (int i = 0; i < cJSON_GetArraySize(all); i++) {
            for (int j = i + 1; j < cJSON_GetArraySize(all); j++)
                assert_string_not_equal(ch_json_str(cJSON_GetArrayItem(all, i), "id"),
                                        ch_json_str(cJSON_GetArrayItem(all, j), "id"));
        }
        cJSON_Delete(all);
    }
    /* the date_added of the first added batch, from the paging headers */
    struct result r;
    char q[256];
    call_handler(
        ch_h_taxii_objects,
        &(struct req){.p0 = C_VULNS, .query = "match[type]=vulnerability&limit=3", .who = &A_UNCL},
        &r);
    assert_true(r.first[0] != '\0' && r.last[0] != '\0');
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "more")));
    result_release(&r);
    /* batch 1 of this test: its date_added, then the boundary is exclusive */
    snprintf(q, sizeof(q), "match[type]=vulnerability&limit=13");
    call_handler(ch_h_taxii_objects, &(struct req){.p0 = C_VULNS, .query = q, .who = &A_UNCL}, &r);
    /* 3 fixture vulns + 10 of batch 1: the last one's date_added is batch 1's */
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(r.json, "objects")), 13);
    char batch1[CH_STIX_TIME_MAX];
    snprintf(batch1, sizeof(batch1), "%s", r.last);
    result_release(&r);
    int64_t b1 = 0;
    assert_int_equal(ch_stix_time_parse(ch_str_c(batch1), &b1, &err), CH_OK);
    char t[CH_STIX_TIME_MAX];
    snprintf(q, sizeof(q), "match[type]=vulnerability&added_after=%s", batch1);
    call_handler(ch_h_taxii_objects, &(struct req){.p0 = C_VULNS, .query = q, .who = &A_UNCL}, &r);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(r.json, "objects")), 15);
    assert_true(strcmp(r.first, batch1) > 0);
    result_release(&r);
    snprintf(q, sizeof(q), "match[type]=vulnerability&added_after=%s", ch_stix_time(b1 - 1, t));
    call_handler(ch_h_taxii_objects, &(struct req){.p0 = C_VULNS, .query = q, .who = &A_UNCL}, &r);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(r.json, "objects")), 25);
    assert_string_equal(r.first, batch1);
    result_release(&r);
    /* sub-millisecond precision: just after the batch's instant excludes it */
    snprintf(q, sizeof(q), "match[type]=vulnerability&added_after=%.23s1Z", batch1);
    call_handler(ch_h_taxii_objects, &(struct req){.p0 = C_VULNS, .query = q, .who = &A_UNCL}, &r);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(r.json, "objects")), 15);
    result_release(&r);
    /* the manifest pages the same way and agrees */
    snprintf(q, sizeof(q), "match[type]=vulnerability&added_after=%s&limit=4", batch1);
    call_handler(ch_h_taxii_manifest, &(struct req){.p0 = C_VULNS, .query = q, .who = &A_UNCL}, &r);
    const cJSON *e = cJSON_GetArrayItem(ch_json_arr(r.json, "objects"), 0);
    assert_true(strcmp(ch_json_str(e, "date_added"), batch1) > 0);
    assert_string_equal(ch_json_str(e, "media_type"), "application/stix+json;version=2.1");
    assert_non_null(ch_json_str(e, "version"));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "more")));
    result_release(&r);
    /* nothing after the last date_added */
    cJSON *all = all_objects(C_VULNS, &A_UNCL, NULL, 1000);
    (void)all;
    call_handler(ch_h_taxii_objects,
                 &(struct req){.p0 = C_VULNS, .query = "limit=1000", .who = &A_UNCL}, &r);
    snprintf(q, sizeof(q), "added_after=%s", r.last);
    result_release(&r);
    cJSON_Delete(all);
    call_handler(ch_h_taxii_objects, &(struct req){.p0 = C_VULNS, .query = q, .who = &A_UNCL}, &r);
    assert_null(ch_json_arr(r.json, "objects"));
    assert_true(r.first[0] == '\0');
    result_release(&r);
}

static void test_versions(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    char vid[CH_STIX_ID_MAX];
    stix_id("vulnerability", "vuln:CVE-2024-0001", vid);
    exec("UPDATE advisories SET summary = 'A flaw, now understood', imported_at = 1767240000"
         " WHERE source_id = 'CVE-2024-0001'");
    assert_int_equal(ch_share_sync_builtin(g_store, NOW + 5000, false, NULL, &err), CH_OK);
    /* syncing again without a change adds no version */
    struct ch_share_sync_stats st;
    assert_int_equal(ch_share_sync_builtin(g_store, NOW + 6000, false, &st, &err), CH_OK);
    assert_int_equal(st.added, 0);
    struct result r;
    call_handler(ch_h_taxii_versions, &(struct req){.p0 = C_VULNS, .p1 = vid, .who = &A_UNCL}, &r);
    assert_int_equal(r.status, 200);
    const cJSON *versions = ch_json_arr(r.json, "versions");
    assert_int_equal(cJSON_GetArraySize(versions), 2);
    char v0[CH_STIX_TIME_MAX], v1[CH_STIX_TIME_MAX];
    snprintf(v0, sizeof(v0), "%s", cJSON_GetArrayItem(versions, 0)->valuestring);
    snprintf(v1, sizeof(v1), "%s", cJSON_GetArrayItem(versions, 1)->valuestring);
    assert_true(strcmp(v0, v1) < 0);
    result_release(&r);
    /* default: the latest version only */
    call_handler(ch_h_taxii_object, &(struct req){.p0 = C_VULNS, .p1 = vid, .who = &A_UNCL}, &r);
    const cJSON *objs = ch_json_arr(r.json, "objects");
    assert_int_equal(cJSON_GetArraySize(objs), 1);
    assert_string_equal(ch_json_str(cJSON_GetArrayItem(objs, 0), "modified"), v1);
    assert_string_equal(ch_json_str(cJSON_GetArrayItem(objs, 0), "description"),
                        "A flaw, now understood");
    char created[CH_STIX_TIME_MAX];
    snprintf(created, sizeof(created), "%s", ch_json_str(cJSON_GetArrayItem(objs, 0), "created"));
    result_release(&r);
    const char *filters[] = {"match[version]=first", "match[version]=all", "match[version]=last",
                             "match[version]=first,last"};
    int expect[] = {1, 2, 1, 2};
    for (size_t i = 0; i < CH_ARRAY_SIZE(filters); i++) {
        call_handler(ch_h_taxii_object,
                     &(struct req){.p0 = C_VULNS, .p1 = vid, .query = filters[i], .who = &A_UNCL},
                     &r);
        objs = ch_json_arr(r.json, "objects");
        assert_int_equal(cJSON_GetArraySize(objs), expect[i]);
        const cJSON *o;
        /* created never changes between versions */
        cJSON_ArrayForEach(o, objs) assert_string_equal(ch_json_str(o, "created"), created);
        result_release(&r);
    }
    char q[128];
    snprintf(q, sizeof(q), "match[version]=%s", v0);
    call_handler(ch_h_taxii_object,
                 &(struct req){.p0 = C_VULNS, .p1 = vid, .query = q, .who = &A_UNCL}, &r);
    objs = ch_json_arr(r.json, "objects");
    assert_int_equal(cJSON_GetArraySize(objs), 1);
    assert_string_equal(ch_json_str(cJSON_GetArrayItem(objs, 0), "modified"), v0);
    result_release(&r);
    /* the manifest names the latest version; match[id] with a version list */
    snprintf(q, sizeof(q), "match[id]=%s", vid);
    call_handler(ch_h_taxii_manifest, &(struct req){.p0 = C_VULNS, .query = q, .who = &A_UNCL}, &r);
    objs = ch_json_arr(r.json, "objects");
    assert_int_equal(cJSON_GetArraySize(objs), 1);
    assert_string_equal(ch_json_str(cJSON_GetArrayItem(objs, 0), "version"), v1);
    result_release(&r);
    /* an unknown object */
    expect_status(ch_h_taxii_object,
                  &(struct req){.p0 = C_VULNS,
                                .p1 = "vulnerability--00000000-0000-5000-8000-000000000000",
                                .who = &A_UNCL},
                  404);
    expect_status(ch_h_taxii_versions,
                  &(struct req){.p0 = C_VULNS, .p1 = "garbage", .who = &A_UNCL}, 404);
}

/* A source behind the function-pointer interface, as a future subsystem supplies one. */
static int g_fixture_rev;

static int fixture_scan(const struct ch_share_source *src, struct ch_store *s, int64_t since,
                        ch_share_emit_fn emit, void *ectx, int64_t *ret_mark, struct ch_err *err)
{
    (void)src;
    (void)s;
    (void)since;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    char id[CH_STIX_ID_MAX];
    int rc = ch_stix_id("identity", "org:fixture", id, err);
    struct ch_stix_identity ident = {.name = g_fixture_rev == 0 ? "Fixture" : "Fixture renamed",
                                     .identity_class = "organization",
                                     .tlp = CH_TLP_GREEN};
    if (rc == CH_OK)
        rc = ch_stix_body_identity(&b, &ident, err);
    struct ch_share_obj o = {.stix_id = id,
                             .type = "identity",
                             .created_ms = T0 * 1000,
                             .modified_ms = T0 * 1000, /* a source that forgets to move modified */
                             .body = ch_buf_cstr(&b),
                             .body_len = ch_buf_len(&b)};
    if (rc == CH_OK)
        rc = emit(ectx, &o, err);
    ch_buf_release(&b);
    *ret_mark = T0;
    return rc;
}

static void test_fixture_source(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    static const struct ch_share_source src = {"fixture", "kev", fixture_scan, NULL};
    const struct ch_share_source *list[] = {&src};
    struct ch_share_sync_stats st;
    g_fixture_rev = 0;
    assert_int_equal(ch_share_sync(g_store, list, 1, NOW + 7000, false, &st, &err), CH_OK);
    assert_int_equal(st.added, 1);
    assert_int_equal(ch_share_sync(g_store, list, 1, NOW + 7001, false, &st, &err), CH_OK);
    assert_int_equal(st.added, 0);
    g_fixture_rev = 1;
    assert_int_equal(ch_share_sync(g_store, list, 1, NOW + 7002, false, &st, &err), CH_OK);
    assert_int_equal(st.added, 1);
    char id[CH_STIX_ID_MAX];
    stix_id("identity", "org:fixture", id);
    struct result r;
    call_handler(
        ch_h_taxii_object,
        &(struct req){.p0 = C_KEV, .p1 = id, .query = "match[version]=all", .who = &A_UNCL}, &r);
    const cJSON *objs = ch_json_arr(r.json, "objects");
    assert_int_equal(cJSON_GetArraySize(objs), 2);
    const cJSON *a = cJSON_GetArrayItem(objs, 0), *b = cJSON_GetArrayItem(objs, 1);
    /* the second version is strictly later even though the source gave the same time */
    assert_true(strcmp(ch_json_str(a, "modified"), ch_json_str(b, "modified")) < 0);
    assert_string_equal(ch_json_str(a, "created"), ch_json_str(b, "created"));
    result_release(&r);
}

static void test_deterministic_reexport(void **state)
{
    (void)state;
    /* a full re-sync renders every object again and adds no version */
    struct ch_err err = CH_ERR_INIT;
    struct ch_share_sync_stats st;
    assert_int_equal(ch_share_sync_builtin(g_store, NOW + 9000, true, &st, &err), CH_OK);
    assert_true(st.emitted > 0);
    assert_int_equal(st.added, 0);
    assert_int_equal(st.unchanged, st.emitted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery_root_collections),
        cmocka_unit_test(test_media_types),
        cmocka_unit_test(test_bad_filters),
        cmocka_unit_test(test_every_object_valid_and_marked),
        cmocka_unit_test(test_tenancy_and_clearance),
        cmocka_unit_test(test_deterministic_reexport),
        cmocka_unit_test(test_paging_exact_boundaries),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_fixture_source),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
