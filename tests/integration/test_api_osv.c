/* SPDX-License-Identifier: Apache-2.0
 *
 * The OSV-compatible query API over a real server: /v1/query returns the
 * whole OSV records affecting a package version (by ecosystem and name, or
 * by purl), /v1/querybatch ids and modification times per query, in
 * OSV.dev's shapes; commit queries and oversized batches are refused.
 */
#include "testhttp.h"
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"

static struct ch_test_server srv;
static char *dir;

static int setup(void **state)
{
    dir = ch_test_tmpdir();
    char db[700], keys[700];
    snprintf(db, sizeof(db), "sqlite:%s/osv.db", dir);
    snprintf(keys, sizeof(keys), "%s/k", dir);
    char *fx = ch_test_fixture("osv/good");
    const char *imp[] = {"--db", db, "--keys", keys, "import", fx, NULL};
    struct ch_buf o, e;
    ch_buf_init(&o, 1 << 20);
    ch_buf_init(&e, 1 << 20);
    if (ch_test_run_cli(imp, NULL, &o, &e) != 0)
        fail_msg("import: %s", ch_buf_cstr(&e));
    ch_buf_release(&o);
    ch_buf_release(&e);
    ch_free(fx);
    ch_test_server_start(&srv, db, NULL);
    return 0;
}

static int teardown(void **state)
{
    ch_test_server_stop(&srv);
    ch_test_rmtree(dir);
    ch_free(dir);
    return 0;
}

static cJSON *post(const char *path, const char *body, int want)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    assert_int_equal(ch_test_http(srv.port, "POST", path, "Content-Type: application/json\r\n",
                                  body, strlen(body), &r),
                     0);
    if (r.status != want)
        fail_msg("%s: status %d, want %d: %s", path, r.status, want, ch_buf_cstr(&r.body));
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&r.body), ch_buf_len(&r.body), NULL, "r", &j, &err),
                     CH_OK);
    ch_test_response_release(&r);
    return j;
}

static void test_query_by_name_and_purl(void **state)
{
    cJSON *j = post("/v1/query",
                    "{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"Example_Lib\"},"
                    "\"version\":\"1.4.1\"}",
                    200);
    const cJSON *v = cJSON_GetObjectItem(j, "vulns");
    assert_int_equal(cJSON_GetArraySize(v), 2); /* GHSA and PYSEC records */
    assert_non_null(ch_json_str(cJSON_GetArrayItem(v, 0), "id"));
    assert_non_null(ch_json_arr(cJSON_GetArrayItem(v, 0), "affected"));
    cJSON_Delete(j);
    j = post("/v1/query", "{\"package\":{\"purl\":\"pkg:pypi/example-lib@1.4.2\"}}", 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "vulns")), 0);
    cJSON_Delete(j);
    j = post("/v1/query", "{\"commit\":\"abcdef\"}", 400);
    cJSON_Delete(j);
    j = post("/v1/query", "{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"x\"}}", 400);
    cJSON_Delete(j);
}

static void test_querybatch(void **state)
{
    cJSON *j = post("/v1/querybatch",
                    "{\"queries\":[{\"package\":{\"purl\":\"pkg:npm/example-lib@1.2.0\"}},"
                    "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"example-lib\"},"
                    "\"version\":\"1.2.3\"},"
                    "{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"openssl\"},"
                    "\"version\":\"3.0.11-1~deb12u2\"}]}",
                    200);
    const cJSON *res = cJSON_GetObjectItem(j, "results");
    assert_int_equal(cJSON_GetArraySize(res), 3);
    const cJSON *first = ch_json_arr(cJSON_GetArrayItem(res, 0), "vulns");
    assert_int_equal(cJSON_GetArraySize(first), 1);
    assert_string_equal(ch_json_str(cJSON_GetArrayItem(first, 0), "id"), "GHSA-test-0001");
    assert_non_null(ch_json_str(cJSON_GetArrayItem(first, 0), "modified"));
    assert_null(ch_json_arr(cJSON_GetArrayItem(res, 1), "vulns"));
    const cJSON *deb = ch_json_arr(cJSON_GetArrayItem(res, 2), "vulns");
    assert_string_equal(ch_json_str(cJSON_GetArrayItem(deb, 0), "id"), "DSA-test-0004");
    cJSON_Delete(j);
    /* more than 1000 queries is refused */
    struct ch_buf big;
    ch_buf_init(&big, 1 << 20);
    (void)ch_buf_append_c(&big, "{\"queries\":[");
    for (int i = 0; i < 1001; i++)
        (void)ch_buf_appendf(&big, "%s{\"package\":{\"purl\":\"pkg:npm/a@1.0.0\"}}", i ? "," : "");
    (void)ch_buf_append_c(&big, "]}");
    j = post("/v1/querybatch", ch_buf_cstr(&big), 413);
    cJSON_Delete(j);
    /* exactly 1000 queries naming everything a query may name are answered */
    ch_buf_reset(&big);
    (void)ch_buf_append_c(&big, "{\"queries\":[");
    for (int i = 0; i < 1000; i++)
        (void)ch_buf_appendf(&big,
                             "%s{\"package\":{\"ecosystem\":\"npm\",\"name\":\"example-lib\"},"
                             "\"version\":\"1.2.%d\",\"page_token\":\"\"}",
                             i ? "," : "", i % 4);
    (void)ch_buf_append_c(&big, "]}");
    j = post("/v1/querybatch", ch_buf_cstr(&big), 200);
    res = cJSON_GetObjectItem(j, "results");
    assert_int_equal(cJSON_GetArraySize(res), 1000);
    assert_string_equal(
        ch_json_str(cJSON_GetArrayItem(ch_json_arr(cJSON_GetArrayItem(res, 0), "vulns"), 0), "id"),
        "GHSA-test-0001");
    cJSON_Delete(j);
    ch_buf_release(&big);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_by_name_and_purl),
        cmocka_unit_test(test_querybatch),
    };
    return cmocka_run_group_tests_name("osv api", tests, setup, teardown);
}
