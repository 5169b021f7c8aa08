/* SPDX-License-Identifier: Apache-2.0
 *
 * Every /api/v1 resource over real sockets: create, read, list with cursor
 * pagination and filters, conflicts and semantic errors, ETag and
 * If-None-Match, the OSV-compatible endpoint, the OpenAPI document, public
 * checkpoints verifiable with the server's key, and audit entries for every
 * change. Runs on SQLite and (as the _pg twin) with the server on
 * PostgreSQL.
 */
#include "testhttp.h"
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "http/openapi.h"

static struct ch_test_server srv;
static char *db_dir;
static char *root;

static int setup(void **state)
{
    setenv("CLEARINGHOUSE_RATE_LIMIT", "off", 1);
    /* the server and the CLI decide deadlines with the shipped directives */
    const char *src = getenv("CH_SOURCE_DIR");
    assert_non_null(src);
    char dirs[1100];
    snprintf(dirs, sizeof(dirs), "%s/directives", src);
    setenv("CLEARINGHOUSE_DIRECTIVES", dirs, 1);
    char *url = ch_test_store_url(&db_dir);
    static const char *const args[] = {"--loops", "2", "--workers", "2", NULL};
    ch_test_server_start(&srv, url, args);
    ch_free(url);
    root = ch_test_server_admin(&srv, "root");
    char *fixtures = ch_test_fixture("osv/good");
    const char *imp[] = {"import", fixtures, NULL};
    int rc = ch_test_server_cli(&srv, imp, NULL, NULL);
    assert_true(rc == 0 || rc == 3);
    ch_free(fixtures);
    return 0;
}

static int teardown(void **state)
{
    ch_test_server_stop(&srv);
    ch_test_rmtree(db_dir);
    ch_free(db_dir);
    ch_free(root);
    return 0;
}

static const char *error_code(const cJSON *j)
{
    return ch_json_str(ch_json_obj(j, "error"), "code");
}

static void test_ready_on_the_expected_backend(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", "/readyz", NULL, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "database"),
                        ch_test_pg_dsn() != NULL ? "postgres" : "sqlite");
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

static void test_orgs_create_get_conflict_and_validation(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"water-co\",\"name\":\"Water Co\",\"category\":\"ci\","
                       "\"sector\":\"water\"}",
                       201, &r);
    char loc[128];
    assert_true(ch_test_response_header(&r, "location", loc, sizeof(loc)));
    assert_string_equal(loc, "/api/v1/orgs/water-co");
    cJSON *j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "sector"), "water");
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", loc, root, NULL, 200, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"water-co\",\"name\":\"Again\",\"category\":\"fceb\"}", 409, &r);
    static const struct {
        const char *body;
        const char *field;
    } bad[] = {
        {"{\"slug\":\"Bad Slug\",\"name\":\"x\",\"category\":\"fceb\"}", "slug"},
        {"{\"slug\":\"ok-slug\",\"name\":\"x\",\"category\":\"martian\"}", "category"},
        {"{\"slug\":\"ok-slug\",\"name\":\"x\",\"category\":\"ci\"}", "sector"},
        {"{\"slug\":\"ok-slug\",\"name\":\"x\"}", "category"},
        {"{\"slug\":\"ok-slug\",\"name\":\"x\",\"category\":\"fceb\",\"extra\":1}", "extra"},
        {"{\"slug\":7,\"name\":\"x\",\"category\":\"fceb\"}", "slug"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root, bad[i].body, 422, &r);
        j = ch_test_response_json(&r);
        assert_string_equal(error_code(j), "unprocessable");
        const char *field = ch_json_str(ch_json_obj(j, "error"), "field");
        if (field == NULL || strcmp(field, bad[i].field) != 0)
            fail_msg("%s: field %s, expected %s", bad[i].body, field ? field : "(none)",
                     bad[i].field);
        cJSON_Delete(j);
    }
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs/ok-slug", root, NULL, 404, &r);
    ch_test_response_release(&r);
}

/* Follows next_cursor through a list; returns the number of items, checking ids increase. */
static int walk(const char *first, const char *key, int limit_seen_max)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    char path[512];
    snprintf(path, sizeof(path), "%s", first);
    int total = 0, pages = 0;
    double last = -1;
    for (;;) {
        ch_test_api_expect(srv.port, "GET", path, root, NULL, 200, &r);
        cJSON *j = ch_test_response_json(&r);
        const cJSON *items = ch_json_arr(j, "items");
        assert_non_null(items);
        assert_true(cJSON_GetArraySize(items) <= limit_seen_max);
        for (const cJSON *it = items->child; it != NULL; it = it->next) {
            const cJSON *id = cJSON_GetObjectItem(it, key);
            if (cJSON_IsNumber(id)) {
                assert_true(id->valuedouble > last);
                last = id->valuedouble;
            }
            total++;
        }
        pages++;
        const cJSON *next = cJSON_GetObjectItem(j, "next_cursor");
        if (!cJSON_IsString(next)) {
            cJSON_Delete(j);
            break;
        }
        const char *sep = strchr(first, '?') != NULL ? "&" : "?";
        snprintf(path, sizeof(path), "%s%scursor=%s", first, sep, next->valuestring);
        cJSON_Delete(j);
        assert_true(pages < 1000);
    }
    ch_test_response_release(&r);
    return total;
}

static void test_cursor_pagination_visits_everything_once(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    for (int i = 0; i < 7; i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"slug\":\"page-%d\",\"name\":\"P\",\"category\":\"sltt\"}",
                 i);
        ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root, body, 201, &r);
    }
    ch_test_response_release(&r);
    int all = walk("/api/v1/orgs?limit=500", "id", 500);
    assert_int_equal(walk("/api/v1/orgs?limit=2", "id", 2), all);
    assert_int_equal(walk("/api/v1/orgs?limit=3&category=sltt", "id", 3), 7);
    /* a limit beyond the maximum is clamped, not refused */
    assert_int_equal(walk("/api/v1/orgs?limit=100000000", "id", 500), all);
}

static void test_users_and_tokens(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"gamma\",\"name\":\"G\",\"category\":\"dod\"}", 201, &r);
    ch_test_api_expect(
        srv.port, "POST", "/api/v1/users", root,
        "{\"name\":\"gina\",\"org\":\"gamma\",\"roles\":[\"operator\",\"evaluator\"],"
        "\"clearance\":\"secret\"}",
        201, &r);
    cJSON *j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "clearance"), "secret");
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(j, "roles")), 2);
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root,
                       "{\"name\":\"gina\",\"org\":\"gamma\",\"roles\":[\"operator\"]}", 409, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root,
                       "{\"name\":\"g2\",\"org\":\"gamma\",\"roles\":[\"wizard\"]}", 422, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root,
                       "{\"name\":\"g2\",\"org\":\"nowhere\",\"roles\":[\"operator\"]}", 422, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root,
                       "{\"name\":\"g2\",\"org\":\"gamma\",\"roles\":[]}", 422, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root,
                       "{\"name\":\"g2\",\"org\":\"gamma\",\"roles\":[\"operator\"],"
                       "\"clearance\":\"cosmic\"}",
                       422, &r);
    /* a token for gina, with an expiry; she lists her tokens and sees no secret */
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root,
                       "{\"user\":\"gina\",\"name\":\"ci\",\"expires_in_days\":30}", 201, &r);
    j = ch_test_response_json(&r);
    char *tok = strdup(ch_json_str(j, "token"));
    assert_non_null(ch_json_str(j, "expires_at"));
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/me", tok, NULL, 200, &r);
    j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "org"), "gamma");
    assert_string_equal(ch_json_str(j, "clearance"), "secret");
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/tokens", tok, NULL, 200, &r);
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), tok));
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"prefix\":\"chk_"));
    ch_test_api_expect(srv.port, "GET", "/api/v1/tokens?user=gina", root, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"user\":\"gina\""));
    ch_test_api_expect(srv.port, "GET", "/api/v1/tokens?user=nobody", root, NULL, 404, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root, "{\"user\":\"nobody\"}", 422, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root, "{\"expires_in_days\":0}", 422,
                       &r);
    /* users of gamma see gamma's users, not others' */
    ch_test_api_expect(srv.port, "GET", "/api/v1/users", tok, NULL, 200, &r);
    j = ch_test_response_json(&r);
    for (const cJSON *u = ch_json_arr(j, "items")->child; u != NULL; u = u->next)
        assert_string_equal(ch_json_str(u, "org"), "gamma");
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/users/gina", tok, NULL, 200, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/users/root", tok, NULL, 404, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs", tok, NULL, 200, &r);
    j = ch_test_response_json(&r);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(j, "items")), 1);
    cJSON_Delete(j);
    free(tok);
    ch_test_response_release(&r);
}

/* Assets and exposures are scoped: another organisation's are 404, not 403. */
static void test_assets_and_exposures_are_scoped(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"rem-a\",\"name\":\"A\",\"category\":\"fceb\"}", 201, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"rem-b\",\"name\":\"B\",\"category\":\"sltt\"}", 201, &r);
    /* the CLI computes exposures against the shipped directives */
    const char *src = getenv("CH_SOURCE_DIR");
    assert_non_null(src);
    char dirs[1100];
    snprintf(dirs, sizeof(dirs), "%s/directives", src);
    setenv("CLEARINGHOUSE_DIRECTIVES", dirs, 1);
    const char *add[] = {"asset", "add", "web1", "--org", "rem-a", NULL};
    assert_int_equal(ch_test_server_cli(&srv, add, NULL, NULL), 0);
    char path[1200];
    snprintf(path, sizeof(path), "%s/requirements.txt", db_dir);
    static const char req[] = "example-lib==1.4.1\n";
    ch_test_write_file(path, req, sizeof(req) - 1);
    const char *inv[] = {"asset", "inventory", "web1", "--org", "rem-a", path, NULL};
    assert_int_equal(ch_test_server_cli(&srv, inv, NULL, NULL), 0);

    /* a clearinghouse-wide admin sees the asset and its exposure */
    ch_test_api_expect(srv.port, "GET", "/api/v1/assets", root, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    int64_t asset_id = 0;
    for (const cJSON *a = ch_json_arr(j, "items")->child; a != NULL; a = a->next)
        if (strcmp(ch_json_str(a, "name"), "web1") == 0)
            asset_id = (int64_t)cJSON_GetObjectItem(a, "id")->valuedouble;
    cJSON_Delete(j);
    assert_true(asset_id > 0);
    ch_test_api_expect(srv.port, "GET", "/api/v1/exposures?status=active", root, NULL, 200, &r);
    j = ch_test_response_json(&r);
    const cJSON *first = ch_json_arr(j, "items")->child;
    assert_non_null(first);
    int64_t exposure_id = (int64_t)cJSON_GetObjectItem(first, "id")->valuedouble;
    cJSON_Delete(j);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "example-lib"));
    char url[128];
    snprintf(url, sizeof(url), "/api/v1/assets/%lld", (long long)asset_id);
    ch_test_api_expect(srv.port, "GET", url, root, NULL, 200, &r);
    char eurl[128];
    snprintf(eurl, sizeof(eurl), "/api/v1/exposures/%lld", (long long)exposure_id);
    ch_test_api_expect(srv.port, "GET", eurl, root, NULL, 200, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/exposures?status=cosmic", root, NULL, 422, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/exposures?limit=0", root, NULL, 422, &r);

    /* an operator of the other organisation sees neither */
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root,
                       "{\"name\":\"bob-b\",\"org\":\"rem-b\",\"roles\":[\"operator\"]}", 201, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root, "{\"user\":\"bob-b\"}", 201, &r);
    j = ch_test_response_json(&r);
    char *tok = strdup(ch_json_str(j, "token"));
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/assets", tok, NULL, 200, &r);
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), "web1"));
    ch_test_api_expect(srv.port, "GET", "/api/v1/exposures?status=all", tok, NULL, 200, &r);
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), "example-lib"));
    ch_test_api_expect(srv.port, "GET", url, tok, NULL, 404, &r);
    ch_test_api_expect(srv.port, "GET", eurl, tok, NULL, 404, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/notices", tok, NULL, 200, &r);
    free(tok);
    ch_test_response_release(&r);
}

/* Scan coordination over HTTP: an operator registers a network target and
 * authorises a partner, the partner leases it, the operator's deconfliction
 * question says "authorised" until the lease is released. */
static void test_coordination_lease_lifecycle(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(
        srv.port, "POST", "/api/v1/orgs", root,
        "{\"slug\":\"grid\",\"name\":\"Grid\",\"category\":\"ci\",\"sector\":\"energy\"}", 201, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"acme\",\"name\":\"Acme\",\"category\":\"partner\"}", 201, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root,
                       "{\"name\":\"grid-op\",\"org\":\"grid\",\"roles\":[\"operator\"]}", 201, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root,
                       "{\"name\":\"acme-p\",\"org\":\"acme\",\"roles\":[\"partner\"]}", 201, &r);
    char *op = NULL, *partner = NULL;
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root, "{\"user\":\"grid-op\"}", 201, &r);
    cJSON *j = ch_test_response_json(&r);
    op = strdup(ch_json_str(j, "token"));
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root, "{\"user\":\"acme-p\"}", 201, &r);
    j = ch_test_response_json(&r);
    partner = strdup(ch_json_str(j, "token"));
    cJSON_Delete(j);

    ch_test_api_expect(srv.port, "POST", "/api/v1/coord/targets", op,
                       "{\"name\":\"grid-net\",\"kind\":\"network\",\"scope\":\"192.0.2.0/24\"}",
                       201, &r);
    j = ch_test_response_json(&r);
    long long target = (long long)cJSON_GetObjectItem(j, "id")->valuedouble;
    cJSON_Delete(j);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/coord/targets/%lld", target);
    /* a network target is invisible to a partner until authorised */
    ch_test_api_expect(srv.port, "GET", path, partner, NULL, 404, &r);
    ch_test_api_expect(srv.port, "GET", path, op, NULL, 200, &r);
    /* no authorisation, no lease: and the request answers as if the target did not exist */
    /* leases last at most 90 days from now (the server's real clock) */
    time_t end_at = time(NULL) + 30 * 86400;
    time_t from_at = time(NULL) - 86400, until_at = time(NULL) + 60 * 86400;
    char end[32], from[32], until[32], grant[512];
    struct tm tm;
    strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&end_at, &tm));
    strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&from_at, &tm));
    strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&until_at, &tm));
    char body[512];
    snprintf(body, sizeof(body), "{\"target\":%lld,\"end\":\"%s\",\"sources\":\"198.51.100.0/24\"}",
             target, end);
    ch_test_api_expect(srv.port, "POST", "/api/v1/coord/leases", partner, body, 404, &r);
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), "grid-net"));
    snprintf(path, sizeof(path), "/api/v1/coord/targets/%lld/authorizations", target);
    snprintf(grant, sizeof(grant),
             "{\"partner\":\"acme\",\"start\":\"%s\",\"end\":\"%s\","
             "\"rules\":{\"contacts\":[\"soc@grid.example\"]}}",
             from, until);
    ch_test_api_expect(srv.port, "POST", path, op, grant, 201, &r);
    /* the partner may not grant itself more */
    ch_test_api_expect(srv.port, "POST", path, partner, grant, 403, &r);
    /* a window longer than 90 days is an unprocessable field, not an oversized body */
    time_t far_at = time(NULL) + 91 * 86400;
    char far[32], longer[512];
    strftime(far, sizeof(far), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&far_at, &tm));
    snprintf(longer, sizeof(longer),
             "{\"target\":%lld,\"end\":\"%s\",\"sources\":\"198.51.100.0/24\"}", target, far);
    ch_test_api_expect(srv.port, "POST", "/api/v1/coord/leases", partner, longer, 422, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"field\":\"end\""));
    ch_test_api_expect(srv.port, "POST", "/api/v1/coord/leases", partner, body, 201, &r);
    j = ch_test_response_json(&r);
    long long lease = (long long)cJSON_GetObjectItem(j, "id")->valuedouble;
    cJSON_Delete(j);

    static const char q[] = "{\"source\":\"198.51.100.7\",\"target\":\"192.0.2.9\"}";
    ch_test_api_expect(srv.port, "POST", "/api/v1/deconflict", op, q, 200, &r);
    j = ch_test_response_json(&r);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "authorised")));
    cJSON_Delete(j);
    /* a source outside the lease's declared sources is not covered */
    ch_test_api_expect(srv.port, "POST", "/api/v1/deconflict", op,
                       "{\"source\":\"203.0.113.5\",\"target\":\"192.0.2.9\"}", 200, &r);
    j = ch_test_response_json(&r);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "authorised")));
    cJSON_Delete(j);

    snprintf(path, sizeof(path), "/api/v1/coord/leases/%lld/release", lease);
    ch_test_api_expect(srv.port, "POST", path, partner, NULL, 200, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/deconflict", op, q, 200, &r);
    j = ch_test_response_json(&r);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "authorised")));
    cJSON_Delete(j);
    snprintf(path, sizeof(path), "/api/v1/coord/leases/%lld", lease);
    ch_test_api_expect(srv.port, "GET", path, partner, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "released"));
    free(op);
    free(partner);
    ch_test_response_release(&r);
}

/* ---- remediation over HTTP: the CLI's asset, exposure, directive, priority, compliance ---- */

/* A user of an organisation with one role, and a token for it (owned: free()). */
static char *user_token(const char *name, const char *org, const char *role)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    char body[256];
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"org\":\"%s\",\"roles\":[\"%s\"]}", name, org,
             role);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root, body, 201, &r);
    snprintf(body, sizeof(body), "{\"user\":\"%s\"}", name);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root, body, 201, &r);
    cJSON *j = ch_test_response_json(&r);
    char *tok = strdup(ch_json_str(j, "token"));
    cJSON_Delete(j);
    ch_test_response_release(&r);
    return tok;
}

/* A request with a body of any media type (ch_test_api always says JSON). */
static void send_typed(const char *method, const char *path, const char *token, const char *type,
                       const char *body, int status, struct ch_test_response *r)
{
    char hdr[512];
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\nContent-Type: %s\r\n", token, type);
    assert_int_equal(ch_test_http(srv.port, method, path, hdr, body, strlen(body), r), 0);
    if (r->status != status)
        fail_msg("%s %s: %d, expected %d: %s", method, path, r->status, status,
                 ch_buf_cstr(&r->body));
}

/* The number member `key` of a response body. */
static long long body_int(const struct ch_test_response *r, const char *key)
{
    cJSON *j = ch_test_response_json(r);
    const cJSON *v = cJSON_GetObjectItem(j, key);
    if (!cJSON_IsNumber(v))
        fail_msg("no number '%s' in %s", key, ch_buf_cstr(&r->body));
    long long n = (long long)v->valuedouble;
    cJSON_Delete(j);
    return n;
}

/* Asserts a 422 whose error names `field`. */
static void expect_422(const char *method, const char *path, const char *token, const char *body,
                       const char *field)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, method, path, token, body, 422, &r);
    cJSON *j = ch_test_response_json(&r);
    const char *got = ch_json_str(ch_json_obj(j, "error"), "field");
    if (got == NULL || strcmp(got, field) != 0)
        fail_msg("%s %s %s: field %s, expected %s", method, path, body != NULL ? body : "",
                 got != NULL ? got : "(none)", field);
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

/* A GET answered 200 with an ETag is 304 with that tag in If-None-Match. */
static void expect_not_modified(const char *path, const char *token)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", path, token, NULL, 200, &r);
    char tag[64], hdr[400];
    assert_true(ch_test_response_header(&r, "etag", tag, sizeof(tag)));
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\nIf-None-Match: %s\r\n", token, tag);
    assert_int_equal(ch_test_http(srv.port, "GET", path, hdr, NULL, 0, &r), 0);
    assert_int_equal(r.status, 304);
    assert_int_equal(ch_buf_len(&r.body), 0);
    ch_test_response_release(&r);
}

/* Status of an exposure as its owner sees it. */
static void expect_exposure_status(const char *token, long long id, const char *status)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/exposures/%lld", id);
    ch_test_api_expect(srv.port, "GET", path, token, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "status"), status);
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

static char *op_c, *op_d; /* operators of rem-c and rem-d */
static long long asset_c, asset_d, exposure_c;

static void remediation_orgs(void)
{
    if (op_c != NULL)
        return;
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"rem-c\",\"name\":\"C\",\"category\":\"fceb\"}", 201, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"rem-d\",\"name\":\"D\",\"category\":\"sltt\"}", 201, &r);
    ch_test_response_release(&r);
    op_c = user_token("op-c", "rem-c", "operator");
    op_d = user_token("op-d", "rem-d", "operator");
}

static void test_assets_create_update_and_scope(void **state)
{
    remediation_orgs();
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(
        srv.port, "POST", "/api/v1/assets", op_c,
        "{\"name\":\"api-web\",\"internet_facing\":\"yes\",\"mission_impact\":\"high\","
        "\"tags\":\"web,public\"}",
        201, &r);
    asset_c = body_int(&r, "id");
    char loc[128], path[128];
    assert_true(ch_test_response_header(&r, "location", loc, sizeof(loc)));
    snprintf(path, sizeof(path), "/api/v1/assets/%lld", asset_c);
    assert_string_equal(loc, path);
    cJSON *j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "org"), "rem-c");
    assert_string_equal(ch_json_str(j, "internet_facing"), "yes");
    assert_string_equal(ch_json_str(j, "mission_impact"), "high");
    assert_string_equal(ch_json_str(j, "wellbeing_impact"), "medium");
    assert_string_equal(ch_json_str(j, "environment"), "production");
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "POST", "/api/v1/assets", op_c, "{\"name\":\"api-web\"}", 409, &r);
    expect_422("POST", "/api/v1/assets", op_c, "{\"environment\":\"prod\"}", "name");
    expect_422("POST", "/api/v1/assets", op_c, "{\"name\":7}", "name");
    expect_422("POST", "/api/v1/assets", op_c, "{\"name\":\"x\",\"internet_facing\":\"maybe\"}",
               "internet_facing");
    expect_422("POST", "/api/v1/assets", op_c, "{\"name\":\"x\",\"mission_impact\":\"huge\"}",
               "mission_impact");
    expect_422("POST", "/api/v1/assets", op_c, "{\"name\":\"x\",\"colour\":\"red\"}", "colour");
    expect_422("POST", "/api/v1/assets", op_c, "{\"name\":\"bad\\u0001name\"}", "name");
    expect_422("POST", "/api/v1/assets", root, "{\"name\":\"x\",\"org\":\"nowhere\"}", "org");
    /* an operator cannot place an asset in another organisation; it does not exist for them */
    ch_test_api_expect(srv.port, "POST", "/api/v1/assets", op_c,
                       "{\"name\":\"x\",\"org\":\"rem-d\"}", 404, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/assets", root,
                       "{\"name\":\"d-web\",\"org\":\"rem-d\"}", 201, &r);
    asset_d = body_int(&r, "id");

    /* PATCH re-decides internet exposure, as `asset set` */
    ch_test_api_expect(srv.port, "PATCH", path, op_c, "{\"internet_facing\":\"no\"}", 200, &r);
    j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "internet_facing"), "no");
    cJSON_Delete(j);
    expect_422("PATCH", path, op_c, "{\"internet_facing\":\"sometimes\"}", "internet_facing");
    expect_422("PATCH", path, op_c, "{}", "internet_facing");
    expect_422("PATCH", path, op_c, "{\"name\":\"renamed\"}", "name");
    ch_test_api_expect(srv.port, "PATCH", path, op_d, "{\"internet_facing\":\"yes\"}", 404, &r);
    ch_test_api_expect(srv.port, "GET", path, op_d, NULL, 404, &r);
    /* partners and others are refused by role */
    char *partner = user_token("rem-partner", "rem-c", "partner");
    ch_test_api_expect(srv.port, "POST", "/api/v1/assets", partner, "{\"name\":\"p\"}", 403, &r);
    free(partner);
    /* the change is in the audit log under the caller's name */
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log?action=asset.exposure&limit=1", root,
                       NULL, 200, &r);
    j = ch_test_response_json(&r);
    const cJSON *e = ch_json_arr(j, "items")->child;
    assert_non_null(e);
    assert_string_equal(ch_json_str(e, "actor"), "user:op-c");
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

static const char cdx_vulnerable[] =
    "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":[{\"type\":\"library\","
    "\"name\":\"example-lib\",\"version\":\"1.4.1\",\"purl\":\"pkg:pypi/example-lib@1.4.1\"}]}";

static void test_inventory_upload_recomputes_exposures(void **state)
{
    remediation_orgs();
    assert_true(asset_c > 0);
    struct ch_test_response r;
    ch_test_response_init(&r);
    char path[160], list[160];
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?name=requirements.txt", asset_c);
    send_typed("PUT", path, op_c, "text/plain", "example-lib==1.4.1\n", 200, &r);
    assert_int_equal(body_int(&r, "inventory_version"), 1);
    assert_true(body_int(&r, "opened") >= 1);
    /* the vulnerable component is now an open exposure of the asset */
    snprintf(list, sizeof(list), "/api/v1/exposures?asset=%lld", asset_c);
    ch_test_api_expect(srv.port, "GET", list, op_c, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    const cJSON *first = ch_json_arr(j, "items")->child;
    assert_non_null(first);
    assert_string_equal(ch_json_str(first, "package"), "example-lib");
    assert_string_equal(ch_json_str(first, "status"), "open");
    exposure_c = (long long)cJSON_GetObjectItem(first, "id")->valuedouble;
    cJSON_Delete(j);
    /* a fixed version remediates it without anyone saying so */
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?format=requirements", asset_c);
    send_typed("PUT", path, op_c, "text/plain", "example-lib==1.4.2\n", 200, &r);
    assert_int_equal(body_int(&r, "inventory_version"), 2);
    assert_true(body_int(&r, "remediated") >= 1);
    expect_exposure_status(op_c, exposure_c, "remediated");
    /* the media type names CycloneDX; the vulnerable version comes back */
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory", asset_c);
    send_typed("PUT", path, op_c, "application/vnd.cyclonedx+json", cdx_vulnerable, 200, &r);
    assert_true(body_int(&r, "reopened") >= 1);
    expect_exposure_status(op_c, exposure_c, "open");

    /* what cannot be an inventory */
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?format=cyclonedx", asset_c);
    send_typed("PUT", path, op_c, "application/json", "{\"not\":\"a bom\"", 422, &r);
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?format=floppy", asset_c);
    send_typed("PUT", path, op_c, "text/plain", "x", 422, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"field\":\"format\""));
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory", asset_c);
    send_typed("PUT", path, op_c, "text/plain", "hello, world\n", 415, &r);
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?colour=red", asset_c);
    send_typed("PUT", path, op_c, "text/plain", "x", 400, &r);
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?format=requirements", asset_c);
    send_typed("PUT", path, op_c, "text/plain", "", 400, &r);
    /* another organisation's asset does not exist for an operator */
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?format=requirements", asset_d);
    send_typed("PUT", path, op_c, "text/plain", "example-lib==1.4.1\n", 404, &r);
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventories", asset_d);
    ch_test_api_expect(srv.port, "GET", path, op_c, NULL, 404, &r);

    /* an inventory may be far larger than a JSON resource's 1 MiB, up to the server's cap */
    size_t big = 3000000; /* whole 1000-byte comment lines, then the component */
    char *doc = ch_malloc(big + 1);
    for (size_t i = 0; i + 1000 <= big; i += 1000) {
        memset(doc + i, ' ', 999);
        doc[i] = '#';
        doc[i + 999] = '\n';
    }
    static const char tail[] = "example-lib==1.4.1\n";
    memcpy(doc + big - 1000, tail, sizeof(tail));
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?format=requirements", asset_c);
    send_typed("PUT", path, op_c, "text/plain", doc, 200, &r);
    assert_int_equal(body_int(&r, "inventory_version"), 4);
    ch_free(doc);
    doc = ch_malloc(((size_t)17 << 20) + 1);
    memset(doc, '#', (size_t)17 << 20);
    doc[(size_t)17 << 20] = '\0';
    send_typed("PUT", path, op_c, "text/plain", doc, 413, &r);
    ch_free(doc);

    /* the history: four versions, paged one at a time, cacheable */
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventories", asset_c);
    ch_test_api_expect(srv.port, "GET", path, op_c, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"attached_by\":\"user:op-c\""));
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"format\":\"cyclonedx\""));
    assert_int_equal(walk(path, "version", 50), 4);
    snprintf(list, sizeof(list), "%s?limit=1", path);
    assert_int_equal(walk(list, "version", 1), 4);
    expect_not_modified(path, op_c);
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log?action=asset.inventory&limit=1", root,
                       NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"actor\":\"user:op-c\""));
    ch_test_response_release(&r);
}

static void test_exposure_transitions(void **state)
{
    remediation_orgs();
    assert_true(exposure_c > 0);
    struct ch_test_response r;
    ch_test_response_init(&r);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/exposures/%lld/transitions", exposure_c);
    ch_test_api_expect(srv.port, "POST", path, op_c,
                       "{\"status\":\"in_progress\",\"reason\":\"patch scheduled\"}", 201, &r);
    char loc[160];
    assert_true(ch_test_response_header(&r, "location", loc, sizeof(loc)));
    assert_string_equal(loc, path);
    cJSON *j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "status"), "in_progress");
    cJSON_Delete(j);
    /* the CLI's rules, each refusal naming its field */
    expect_422("POST", path, op_c, "{\"status\":\"open\"}", "reason");
    expect_422("POST", path, op_c, "{\"status\":\"remediated\",\"reason\":\"x\"}", "status");
    expect_422("POST", path, op_c, "{\"status\":\"sleeping\",\"reason\":\"x\"}", "status");
    expect_422("POST", path, op_c, "{\"reason\":\"x\"}", "status");
    expect_422("POST", path, op_c, "{\"status\":\"risk_accepted\",\"reason\":\"x\"}",
               "justification");
    expect_422("POST", path, op_c,
               "{\"status\":\"risk_accepted\",\"reason\":\"x\",\"justification\":\"legacy\"}",
               "approver");
    expect_422("POST", path, op_c,
               "{\"status\":\"risk_accepted\",\"reason\":\"x\",\"justification\":\"legacy\","
               "\"approver\":\"ciso\",\"expires\":\"2001-01-01\"}",
               "expires");
    expect_422("POST", path, op_c,
               "{\"status\":\"risk_accepted\",\"reason\":\"x\",\"justification\":\"legacy\","
               "\"approver\":\"ciso\",\"expires\":\"soon\"}",
               "expires");
    expect_422("POST", path, op_c, "{\"status\":\"not_affected\",\"reason\":\"x\"}",
               "vex_justification");
    expect_422("POST", path, op_c,
               "{\"status\":\"not_affected\",\"reason\":\"x\",\"vex_justification\":\"trust me\"}",
               "vex_justification");
    expect_422("POST", path, op_c, "{\"status\":\"open\",\"reason\":\"x\",\"mood\":\"ok\"}",
               "mood");
    /* a change the lifecycle does not allow from the current status */
    ch_test_api_expect(srv.port, "POST", path, op_c,
                       "{\"status\":\"in_progress\",\"reason\":\"again\"}", 409, &r);
    ch_test_api_expect(srv.port, "POST", path, op_c,
                       "{\"status\":\"risk_accepted\",\"reason\":\"compensating control\","
                       "\"justification\":\"isolated network\",\"approver\":\"ciso\","
                       "\"expires\":\"2099-01-01\"}",
                       201, &r);
    j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(ch_json_obj(j, "risk_acceptance"), "approver"), "ciso");
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "POST", path, op_c, "{\"status\":\"open\",\"reason\":\"review\"}",
                       201, &r);
    ch_test_api_expect(srv.port, "POST", path, op_c,
                       "{\"status\":\"not_affected\",\"reason\":\"not loaded\","
                       "\"vex_justification\":\"vulnerable_code_not_in_execute_path\"}",
                       201, &r);
    expect_exposure_status(op_c, exposure_c, "not_affected");
    /* another organisation's operator: neither the change nor the history */
    ch_test_api_expect(srv.port, "POST", path, op_d, "{\"status\":\"open\",\"reason\":\"x\"}", 404,
                       &r);
    ch_test_api_expect(srv.port, "GET", path, op_d, NULL, 404, &r);
    /* the history pages and caches like every list */
    ch_test_api_expect(srv.port, "GET", path, op_c, NULL, 200, &r);
    j = ch_test_response_json(&r);
    int n = cJSON_GetArraySize(ch_json_arr(j, "items"));
    cJSON_Delete(j);
    assert_true(n >= 4);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"actor\":\"user:op-c\""));
    char paged[160];
    snprintf(paged, sizeof(paged), "%s?limit=1", path);
    assert_int_equal(walk(paged, "id", 1), n);
    expect_not_modified(path, op_c);
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log?action=exposure.transition&limit=1",
                       root, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"actor\":\"user:op-c\""));
    ch_test_response_release(&r);
}

/* The CLI's JSON for the same question, parsed (owned). */
static cJSON *cli_json(const char *const *args)
{
    struct ch_buf out;
    ch_buf_init(&out, (size_t)16 << 20);
    int rc = ch_test_server_cli(&srv, args, &out, NULL);
    if (rc != 0)
        fail_msg("%s %s: exit %d", args[0], args[1] != NULL ? args[1] : "", rc);
    cJSON *j = cJSON_Parse(ch_buf_cstr(&out));
    assert_non_null(j);
    ch_buf_release(&out);
    return j;
}

static void expect_same_json(const cJSON *http, const cJSON *cli, const char *what)
{
    if (!cJSON_Compare(http, cli, 1)) {
        char *a = cJSON_PrintUnformatted(http), *b = cJSON_PrintUnformatted(cli);
        print_error("http: %s\ncli:  %s\n", a, b);
        cJSON_free(a);
        cJSON_free(b);
        fail_msg("%s over HTTP differs from the CLI's", what);
    }
}

static void test_directives_decide_like_the_cli(void **state)
{
    remediation_orgs();
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/directives", op_c, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    int n = cJSON_GetArraySize(ch_json_arr(j, "items"));
    cJSON_Delete(j);
    assert_int_equal(n, 3);
    assert_int_equal(walk("/api/v1/directives?limit=1", "no-number-ids", 1), n);
    expect_not_modified("/api/v1/directives", op_c);
    ch_test_api_expect(srv.port, "GET", "/api/v1/directives/bod-26-04", op_c, NULL, 200, &r);
    j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "id"), "BOD-26-04");
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/directives/BOD-99-01", op_c, NULL, 404, &r);

    ch_test_api_expect(srv.port, "POST", "/api/v1/directives/BOD-19-02/decide", op_c,
                       "{\"severity\":\"critical\",\"detected\":\"2026-01-10\"}", 200, &r);
    j = ch_test_response_json(&r);
    static const char *const decide[] = {
        "directive",           "decide", "BOD-19-02", "severity=critical",
        "detected=2026-01-10", "--json", NULL};
    cJSON *c = cli_json(decide);
    expect_same_json(j, c, "directive decide");
    cJSON_Delete(c);
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "POST", "/api/v1/directives/BOD-19-02/decide", op_c,
                       "{\"cvss\":9.8}", 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"days\":15"));
    expect_422("POST", "/api/v1/directives/BOD-19-02/decide", op_c,
               "{\"severity\":\"critical\",\"detected\":\"last week\"}", "detected");
    expect_422("POST", "/api/v1/directives/BOD-19-02/decide", op_c, "{\"severity\":[\"high\"]}",
               "severity");
    ch_test_api_expect(srv.port, "POST", "/api/v1/directives/BOD-19-02/decide", op_c,
                       "{\"colour\":\"red\"}", 422, &r);
    ch_test_response_release(&r);
}

static void test_priority_and_compliance_match_the_cli(void **state)
{
    remediation_orgs();
    struct ch_test_response r;
    ch_test_response_init(&r);
    /* an open exposure in each organisation */
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/assets/%lld/inventory?name=requirements.txt", asset_d);
    send_typed("PUT", path, root, "text/plain", "example-lib==1.4.1\n", 200, &r);

    /* priority: the ranked items are the CLI's (as_of is each one's now) */
    ch_test_api_expect(srv.port, "GET", "/api/v1/priority?limit=5", root, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    static const char *const prio[] = {"priority", "--limit", "5", "--json", NULL};
    cJSON *c = cli_json(prio);
    assert_true(cJSON_GetArraySize(ch_json_arr(j, "items")) >= 1);
    expect_same_json(ch_json_arr(j, "items"), ch_json_arr(c, "items"), "priority");
    cJSON_Delete(c);
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/priority?org=rem-d", op_c, NULL, 404, &r);
    expect_422("GET", "/api/v1/priority?limit=0", op_c, NULL, "limit");

    /* compliance as of a fixed date: the same document as the CLI's, whole */
    ch_test_api_expect(srv.port, "GET", "/api/v1/compliance?as_of=2030-01-01", root, NULL, 200, &r);
    j = ch_test_response_json(&r);
    static const char *const comp[] = {"compliance", "--as-of", "2030-01-01", "--json", NULL};
    c = cli_json(comp);
    expect_same_json(j, c, "compliance");
    cJSON_Delete(c);
    cJSON_Delete(j);
    /* an operator's report is their organisation's, as `--org` gives it */
    ch_test_api_expect(srv.port, "GET", "/api/v1/compliance?as_of=2030-01-01", op_c, NULL, 200, &r);
    j = ch_test_response_json(&r);
    static const char *const comp_c[] = {"compliance", "--org",  "rem-c", "--as-of",
                                         "2030-01-01", "--json", NULL};
    c = cli_json(comp_c);
    expect_same_json(j, c, "compliance of one organisation");
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"org\":\"rem-c\""));
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), "rem-d"));
    cJSON_Delete(c);
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/compliance?org=rem-d", op_c, NULL, 404, &r);
    expect_422("GET", "/api/v1/compliance?as_of=someday", op_c, NULL, "as_of");
    expect_not_modified("/api/v1/compliance?as_of=2030-01-01", op_c);
    ch_test_response_release(&r);
    free(op_c);
    free(op_d);
    op_c = op_d = NULL;
}

static void test_vulns_search_and_show(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns?ecosystem=PyPI&name=example_lib", root, NULL,
                       200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "CVE-2024-0001"));
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns?alias=GHSA-test-0001", root, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(j, "items")), 1);
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns?severity=critical&modified_since=2020-01-01",
                       root, NULL, 200, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns?severity=apocalyptic", root, NULL, 400, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns?ecosystem=PyPI", root, NULL, 400, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns?modified_since=yesterday", root, NULL, 400,
                       &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns?kev=maybe", root, NULL, 400, &r);
    int all = walk("/api/v1/vulns?limit=500", "no-number-ids", 500);
    assert_true(all >= 3);
    assert_int_equal(walk("/api/v1/vulns?limit=1", "no-number-ids", 1), all);
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns/GHSA-test-0001", root, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "CVE-2024-0001"));
    ch_test_api_expect(srv.port, "GET", "/api/v1/vulns/CVE-1999-99999", root, NULL, 404, &r);
    ch_test_response_release(&r);
}

static void test_osv_endpoint_returns_the_record_verbatim(void **state)
{
    char *path = ch_test_fixture("osv/good/GHSA-test-0001.json");
    struct ch_buf file;
    ch_buf_init(&file, 1 << 20);
    ch_test_read_file(path, &file);
    struct ch_test_response r;
    ch_test_response_init(&r);
    const char *ids[] = {"/v1/vulns/GHSA-test-0001", "/v1/vulns/CVE-2024-0001"};
    for (size_t i = 0; i < 2; i++) {
        ch_test_api_expect(srv.port, "GET", ids[i], NULL, NULL, 200, &r);
        cJSON *a = ch_test_response_json(&r);
        assert_string_equal(ch_json_str(a, "id"), "GHSA-test-0001");
        cJSON_Delete(a);
        if (i == 0 && (ch_buf_len(&r.body) != ch_buf_len(&file) ||
                       memcmp(ch_buf_cstr(&r.body), ch_buf_cstr(&file), ch_buf_len(&file)) != 0))
            fail_msg("the OSV record differs from the imported file");
    }
    ch_test_api_expect(srv.port, "GET", "/v1/vulns/GHSA-none-0000", NULL, NULL, 404, &r);
    ch_test_response_release(&r);
    ch_buf_release(&file);
    ch_free(path);
}

static void test_etag_and_if_none_match(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", "/v1/vulns/GHSA-test-0001", NULL, NULL, 200, &r);
    char tag[64], tag2[64];
    assert_true(ch_test_response_header(&r, "etag", tag, sizeof(tag)));
    assert_true(tag[0] == '"');
    ch_test_api_expect(srv.port, "GET", "/v1/vulns/GHSA-test-0001", NULL, NULL, 200, &r);
    assert_true(ch_test_response_header(&r, "etag", tag2, sizeof(tag2)));
    assert_string_equal(tag, tag2);
    char hdr[160];
    const char *forms[] = {"%s", "W/%s", "\"nope\", %s", "*"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char v[100];
        snprintf(v, sizeof(v), forms[i], tag);
        snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", v);
        assert_int_equal(
            ch_test_http(srv.port, "GET", "/v1/vulns/GHSA-test-0001", hdr, NULL, 0, &r), 0);
        assert_int_equal(r.status, 304);
        assert_int_equal(ch_buf_len(&r.body), 0);
    }
    snprintf(hdr, sizeof(hdr), "If-None-Match: \"0000\"\r\n");
    assert_int_equal(ch_test_http(srv.port, "GET", "/v1/vulns/GHSA-test-0001", hdr, NULL, 0, &r),
                     0);
    assert_int_equal(r.status, 200);
    /* authenticated resources too; a change makes a new tag */
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?limit=500", root, NULL, 200, &r);
    assert_true(ch_test_response_header(&r, "etag", tag, sizeof(tag)));
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"etag-org\",\"name\":\"E\",\"category\":\"fceb\"}", 201, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?limit=500", root, NULL, 200, &r);
    assert_true(ch_test_response_header(&r, "etag", tag2, sizeof(tag2)));
    assert_string_not_equal(tag, tag2);
    /* HEAD answers like GET, without a body */
    assert_int_equal(ch_test_http(srv.port, "HEAD", "/v1/vulns/GHSA-test-0001", NULL, NULL, 0, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(ch_buf_len(&r.body), 0);
    ch_test_response_release(&r);
}

static void test_openapi_is_served(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/openapi.json", NULL, NULL, 200, &r);
    assert_int_equal(ch_buf_len(&r.body), ch_openapi_json_len);
    cJSON *j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(j, "openapi"), "3.1.0");
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

/* Without serve --webhook-allow-private the API refuses internal destinations. */
static void test_webhooks_refuse_internal_destinations(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    static const char *const internal[] = {"http://127.0.0.1:9/hook", "https://10.0.0.7/hook",
                                           "https://169.254.169.254/latest",
                                           "https://[::ffff:192.168.0.1]/", "http://localhost/"};
    char body[256];
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
        snprintf(body, sizeof(body), "{\"url\":\"%s\",\"events\":[\"notice\"]}", internal[i]);
        ch_test_api_expect(srv.port, "POST", "/api/v1/webhooks", root, body, 422, &r);
        assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"field\":\"url\""));
    }
    ch_test_api_expect(srv.port, "POST", "/api/v1/webhooks", root,
                       "{\"url\":\"https://hooks.example.com/ch\",\"events\":[\"notice\"]}", 201,
                       &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"secret\":\"whsec_"));
    ch_test_response_release(&r);
}

static void test_changes_are_audited_and_checkpoints_verify(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"audited\",\"name\":\"A\",\"category\":\"fceb\"}", 201, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log?action=org.create&limit=1", root, NULL,
                       200, &r);
    cJSON *j = ch_test_response_json(&r);
    const cJSON *e = ch_json_arr(j, "items")->child;
    assert_non_null(e);
    assert_string_equal(ch_json_str(e, "actor"), "user:root");
    assert_string_equal(ch_json_str(e, "object"), "org:audited");
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log?actor=user:root&limit=1000", root, NULL,
                       200, &r);
    j = ch_test_response_json(&r);
    int n_root = cJSON_GetArraySize(ch_json_arr(j, "items"));
    cJSON_Delete(j);
    assert_true(n_root >= 10);
    /* sign, then verify the checkpoint as an outsider would: public key + message format */
    const char *cp[] = {"audit", "checkpoint", NULL};
    assert_int_equal(ch_test_server_cli(&srv, cp, NULL, NULL), 0);
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/checkpoints", NULL, NULL, 200, &r);
    j = ch_test_response_json(&r);
    const cJSON *key = ch_json_obj(j, "server_key");
    assert_non_null(key);
    const cJSON *c = ch_json_arr(j, "items")->child;
    assert_non_null(c);
    unsigned char pk[32], sig[64];
    assert_int_equal(sodium_hex2bin(pk, 32, ch_json_str(key, "public_key"), 64, NULL, NULL, NULL),
                     0);
    assert_int_equal(sodium_hex2bin(sig, 64, ch_json_str(c, "signature"), 128, NULL, NULL, NULL),
                     0);
    char msg[256];
    snprintf(msg, sizeof(msg), "ch-audit-checkpoint-v1\n%lld\n%s\n%lld\n",
             (long long)cJSON_GetObjectItem(c, "seq")->valuedouble, ch_json_str(c, "hash"),
             (long long)cJSON_GetObjectItem(c, "at_unix")->valuedouble);
    assert_int_equal(crypto_sign_verify_detached(sig, (const unsigned char *)msg, strlen(msg), pk),
                     0);
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "POST", "/api/v1/audit/verify", root, NULL, 200, &r);
    j = ch_test_response_json(&r);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "checked_with_server_key")));
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_on_the_expected_backend),
        cmocka_unit_test(test_orgs_create_get_conflict_and_validation),
        cmocka_unit_test(test_cursor_pagination_visits_everything_once),
        cmocka_unit_test(test_users_and_tokens),
        cmocka_unit_test(test_assets_and_exposures_are_scoped),
        cmocka_unit_test(test_coordination_lease_lifecycle),
        cmocka_unit_test(test_assets_create_update_and_scope),
        cmocka_unit_test(test_inventory_upload_recomputes_exposures),
        cmocka_unit_test(test_exposure_transitions),
        cmocka_unit_test(test_directives_decide_like_the_cli),
        cmocka_unit_test(test_priority_and_compliance_match_the_cli),
        cmocka_unit_test(test_vulns_search_and_show),
        cmocka_unit_test(test_osv_endpoint_returns_the_record_verbatim),
        cmocka_unit_test(test_etag_and_if_none_match),
        cmocka_unit_test(test_openapi_is_served),
        cmocka_unit_test(test_webhooks_refuse_internal_destinations),
        cmocka_unit_test(test_changes_are_audited_and_checkpoints_verify),
    };
    return cmocka_run_group_tests_name("api_resources", tests, setup, teardown);
}
