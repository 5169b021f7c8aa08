/* SPDX-License-Identifier: Apache-2.0
 *
 * Hostile input against the API: malformed JSON (the error names line and
 * column), invalid UTF-8, deep nesting, oversized bodies (413), wrong
 * content types (415), path traversal, SQL metacharacters and control
 * bytes in every path parameter and query value, huge or nonsensical
 * pagination, forged cursors and malformed Authorization headers. Nothing
 * may answer 500, and the database must be intact afterwards. Runs on
 * SQLite and (as the _pg twin) PostgreSQL.
 */
#include "testhttp.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "http/router.h"

static struct ch_test_server srv;
static char *db_dir;
static char *root;

static int setup(void **state)
{
    setenv("CLEARINGHOUSE_RATE_LIMIT", "off", 1);
    char *url = ch_test_store_url(&db_dir);
    /* every route answers, the directive ones included (so none is a blanket 503) */
    const char *src = getenv("CH_SOURCE_DIR");
    assert_non_null(src);
    char dirs[1100];
    snprintf(dirs, sizeof(dirs), "%s/directives", src);
    const char *const args[] = {"--loops", "2", "--workers", "2", "--directives", dirs, NULL};
    ch_test_server_start(&srv, url, args);
    ch_free(url);
    root = ch_test_server_admin(&srv, "root");
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

static void post_raw(const char *path, const char *ctype, const char *body, size_t len,
                     struct ch_test_response *r)
{
    char headers[512];
    snprintf(headers, sizeof(headers), "Authorization: Bearer %s\r\n%s%s%s", root,
             ctype != NULL ? "Content-Type: " : "", ctype != NULL ? ctype : "",
             ctype != NULL ? "\r\n" : "");
    if (ch_test_http(srv.port, "POST", path, headers, body, len, r) != 0)
        fail_msg("POST %s: no answer", path);
}

static void test_malformed_json_names_line_and_column(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    const char *body = "{\n  \"slug\": \"x-y\",\n  \"name\": ,\n}";
    post_raw("/api/v1/orgs", "application/json", body, strlen(body), &r);
    assert_int_equal(r.status, 400);
    cJSON *j = ch_test_response_json(&r);
    const char *msg = ch_json_str(ch_json_obj(j, "error"), "message");
    assert_non_null(msg);
    if (!ch_test_contains(msg, "3:11") && !ch_test_contains(msg, "line 3"))
        fail_msg("message does not name line 3 and its column: %s", msg);
    cJSON_Delete(j);
    const char *bad[] = {"",
                         "{",
                         "[1,2]",
                         "\"str\"",
                         "{\"a\":1}{",
                         "{\"a\":1,\"a\":2}",
                         "{\"slug\":\"\\u0000\"}",
                         "{'slug':'x'}",
                         "nul"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        post_raw("/api/v1/orgs", "application/json", bad[i], strlen(bad[i]), &r);
        if (r.status != 400)
            fail_msg("'%s': status %d: %s", bad[i], r.status, ch_buf_cstr(&r.body));
    }
    ch_test_response_release(&r);
}

static void test_invalid_utf8_and_deep_nesting_are_400(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    const char utf8[] = "{\"slug\":\"a\xff\xfe\",\"name\":\"x\",\"category\":\"fceb\"}";
    post_raw("/api/v1/orgs", "application/json", utf8, sizeof(utf8) - 1, &r);
    assert_int_equal(r.status, 400);
    const char overlong[] = "{\"slug\":\"\xc0\xaf\",\"name\":\"x\",\"category\":\"fceb\"}";
    post_raw("/api/v1/orgs", "application/json", overlong, sizeof(overlong) - 1, &r);
    assert_int_equal(r.status, 400);
    struct ch_buf deep;
    ch_buf_init(&deep, 1 << 20);
    (void)ch_buf_append_c(&deep, "{\"slug\":");
    for (int i = 0; i < 5000; i++)
        (void)ch_buf_append_byte(&deep, '[');
    for (int i = 0; i < 5000; i++)
        (void)ch_buf_append_byte(&deep, ']');
    (void)ch_buf_append_byte(&deep, '}');
    post_raw("/api/v1/orgs", "application/json", ch_buf_cstr(&deep), ch_buf_len(&deep), &r);
    assert_int_equal(r.status, 400);
    ch_buf_release(&deep);
    ch_test_response_release(&r);
}

static void test_oversized_bodies_are_413_json(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    /* over the route's 1 MiB cap, under the server's 16 MiB: our JSON 413 */
    size_t len = (1u << 20) + 10;
    char *big = ch_malloc(len);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    post_raw("/api/v1/orgs", "application/json", big, len, &r);
    assert_int_equal(r.status, 413);
    cJSON *j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(ch_json_obj(j, "error"), "code"), "too_large");
    cJSON_Delete(j);
    /* exactly at the cap is parsed (and refused for its content, not its size) */
    post_raw("/api/v1/orgs", "application/json", big, 1u << 20, &r);
    assert_int_equal(r.status, 400);
    ch_free(big);
    ch_test_response_release(&r);
}

static void test_wrong_content_types_are_415(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    const char *body = "{\"slug\":\"ct-org\",\"name\":\"x\",\"category\":\"fceb\"}";
    const char *types[] = {"text/plain", "application/x-www-form-urlencoded", "application/jsonp",
                           "multipart/form-data; boundary=x", NULL};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        post_raw("/api/v1/orgs", types[i], body, strlen(body), &r);
        if (r.status != 415)
            fail_msg("%s: status %d", types[i] ? types[i] : "(none)", r.status);
    }
    post_raw("/api/v1/orgs", "application/json; charset=utf-8", body, strlen(body), &r);
    assert_int_equal(r.status, 201);
    ch_test_response_release(&r);
}

/* Values no parameter may turn into anything but 400 or 404. */
static const char *const hostile[] = {
    "..%2F..%2Fetc%2Fpasswd",
    "..",
    "%2e%2e",
    "%27%20OR%20%271%27%3D%271",
    "x%27%3B%20DROP%20TABLE%20orgs%3B--",
    "%22%29%20UNION%20SELECT%20hash%20FROM%20tokens--",
    "%00",
    "a%00b",
    "%ff%fe",
    "%c0%af",
    "%0d%0aSet-Cookie:%20x=1",
    "%",
    "%zz",
    "*",
    "%25",
    "1e309",
    "-1",
    "99999999999999999999999999",
};

static void test_hostile_path_parameters(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    char longv[6000];
    memset(longv, 'a', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    for (const struct ch_route *rt = ch_routes; rt->pattern != NULL; rt++) {
        const char *brace = strchr(rt->pattern, '{');
        /* POST-only routes take their parameters in bodies (tested elsewhere) */
        if (brace == NULL || !(rt->methods & (CH_HTTP_GET | CH_HTTP_DELETE)))
            continue;
        const char *close = strchr(brace, '}');
        for (size_t i = 0; i <= sizeof(hostile) / sizeof(hostile[0]); i++) {
            const char *v = i < sizeof(hostile) / sizeof(hostile[0]) ? hostile[i] : longv;
            char path[8000];
            snprintf(path, sizeof(path), "%.*s%s%s", (int)(brace - rt->pattern), rt->pattern, v,
                     close + 1);
            const char *method = (rt->methods & CH_HTTP_GET) ? "GET" : "DELETE";
            ch_test_api(srv.port, method, path, root, NULL, &r);
            if (r.status != 400 && r.status != 404)
                fail_msg("%s %.200s: status %d: %s", method, path, r.status, ch_buf_cstr(&r.body));
            assert_false(ch_test_contains(ch_buf_cstr(&r.headers), "set-cookie"));
        }
    }
    ch_test_response_release(&r);
}

static void test_hostile_query_values(void **state)
{
    static const char *const targets[] = {
        "/api/v1/orgs?category=",
        "/api/v1/users?org=",
        "/api/v1/tokens?user=",
        "/api/v1/vulns?alias=",
        "/api/v1/vulns?ecosystem=PyPI&name=",
        "/api/v1/vulns?severity=",
        "/api/v1/vulns?modified_since=",
        "/api/v1/vulns?kev=",
        "/api/v1/audit/log?actor=",
        "/api/v1/audit/log?action=",
        "/api/v1/orgs?limit=",
        "/api/v1/orgs?cursor=",
        "/api/v1/audit/checkpoints?cursor=",
        "/api/v1/vulns?limit=",
    };
    struct ch_test_response r;
    ch_test_response_init(&r);
    for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
            char path[1024];
            snprintf(path, sizeof(path), "%s%s", targets[t], hostile[i]);
            ch_test_api(srv.port, "GET", path, root, NULL, &r);
            if (r.status != 200 && r.status != 400 && r.status != 404)
                fail_msg("GET %s: status %d: %s", path, r.status, ch_buf_cstr(&r.body));
            /* a 200 for an injection attempt must be an empty result, not a leak */
            if (r.status == 200 && strstr(targets[t], "limit=") == NULL)
                assert_false(ch_test_contains(ch_buf_cstr(&r.body), "\"hash\":\""));
        }
    }
    /* the tables are all still there */
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs", root, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "clearinghouse"));
    ch_test_response_release(&r);
}

static void test_pagination_and_parameters_are_checked(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?limit=4294967297", root, NULL, 400, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?limit=1000000000", root, NULL, 200, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?limit=0", root, NULL, 400, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?limit=1&limit=2", root, NULL, 400, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?bogus=1", root, NULL, 400, &r);
    cJSON *j = ch_test_response_json(&r);
    assert_true(ch_test_contains(ch_json_str(ch_json_obj(j, "error"), "message"), "bogus"));
    cJSON_Delete(j);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?cursor=YzE6OTk5OTk5OTk5", root, NULL, 200,
                       &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs?cursor=eDo5", root, NULL, 400, &r);
    ch_test_response_release(&r);
}

static void test_malformed_authorization_is_401(void **state)
{
    static const char *const headers[] = {
        "Authorization: Basic cm9vdDpyb290\r\n", "Authorization: Bearer\r\n",
        "Authorization: Bearer chk_\r\n",        "Authorization: Bearer chk_AAAAAAAAAAAA_\r\n",
        "Authorization: Bearer ' OR 1=1 --\r\n", "Authorization: bearer chk_\xff\xfe\r\n",
        "Authorization: Token abc\r\n",
    };
    struct ch_test_response r;
    ch_test_response_init(&r);
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        assert_int_equal(ch_test_http(srv.port, "GET", "/api/v1/me", headers[i], NULL, 0, &r), 0);
        if (r.status != 401)
            fail_msg("%s: status %d", headers[i], r.status);
    }
    char big[2048];
    int n = snprintf(big, sizeof(big), "Authorization: Bearer chk_");
    memset(big + n, 'A', 1500);
    memcpy(big + n + 1500, "\r\n", 3);
    assert_int_equal(ch_test_http(srv.port, "GET", "/api/v1/me", big, NULL, 0, &r), 0);
    assert_int_equal(r.status, 401);
    /* a bad token is refused on public routes too */
    assert_int_equal(ch_test_http(srv.port, "GET", "/healthz", headers[3], NULL, 0, &r), 0);
    assert_int_equal(r.status, 401);
    ch_test_response_release(&r);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_json_names_line_and_column),
        cmocka_unit_test(test_invalid_utf8_and_deep_nesting_are_400),
        cmocka_unit_test(test_oversized_bodies_are_413_json),
        cmocka_unit_test(test_wrong_content_types_are_415),
        cmocka_unit_test(test_hostile_path_parameters),
        cmocka_unit_test(test_hostile_query_values),
        cmocka_unit_test(test_pagination_and_parameters_are_checked),
        cmocka_unit_test(test_malformed_authorization_is_401),
    };
    return cmocka_run_group_tests_name("api_hostile", tests, setup, teardown);
}
