/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: strict JSON parsing with located errors, getters, writer. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"

static int parse(const char *text, cJSON **ret, struct ch_err *err)
{
    ch_err_clear(err);
    return ch_json_parse(text, strlen(text), NULL, "doc.json", ret, err);
}

static void expect_error(const char *text, int rc, const char *msg)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    int got = ch_json_parse(text, strlen(text), NULL, "doc.json", &j, &err);
    if (got != rc)
        fail_msg("'%s': rc %d, want %d (%s)", text, got, rc, err.msg);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, msg);
    assert_null(j);
}

static void test_json_parse_ok(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    assert_int_equal(parse("{\"a\": [1, 2, {\"b\": \"\\u00e9\"}], \"c\": null}\n", &j, &err),
                     CH_OK);
    assert_non_null(j);
    cJSON_Delete(j);
}

static void test_json_errors_have_line_and_column(void **state)
{
    expect_error("{\n  \"a\": 1,\n  \"b\": tru\n}", CH_E_INVALID, "doc.json:3:");
    expect_error("{\"a\": \"x\xff\"}", CH_E_INVALID, "doc.json:1:9: invalid UTF-8");
    expect_error("{\"a\": \"\xc3\xa9\xc3\"}", CH_E_INVALID, "invalid UTF-8");
    expect_error("{\"a\": \"x\ty\"}", CH_E_INVALID, "1:9: control character");
    expect_error("{\"a\": \"x\\u0000y\"}", CH_E_INVALID, "\\u0000");
    expect_error("{\"a\": 1} x", CH_E_INVALID, "1:10: trailing data");
    expect_error("{\"a\": \"unterminated", CH_E_INVALID, "unterminated string");
    expect_error("", CH_E_INVALID, "doc.json:1:1");
    expect_error("[1,2", CH_E_INVALID, "doc.json");
}

static void test_json_duplicate_keys_named_by_path(void **state)
{
    expect_error("{\"a\": {\"b\": 1, \"b\": 2}}", CH_E_INVALID, "duplicate key 'a.b'");
    expect_error("{\"x\": [{}, {\"id\": 1, \"id\": 1}]}", CH_E_INVALID,
                 "duplicate key 'x[1].id'");
    /* a large object takes the hashed path */
    char big[4096];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "{");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k%d\":%d,", i, i);
    snprintf(big + n, sizeof(big) - n, "\"k57\":0}");
    expect_error(big, CH_E_INVALID, "duplicate key 'k57'");
}

static void test_json_limits(void **state)
{
    struct ch_json_limits lim = {.max_depth = 8};
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    const char *deep = "[[[[[[[[[1]]]]]]]]]";
    assert_int_equal(ch_json_parse(deep, strlen(deep), &lim, "d", &j, &err), CH_E_LIMIT);
    assert_non_null(strstr(err.msg, "d:1:9: nesting deeper than 8"));
    /* the default limit stops hostile nesting long before cJSON's recursion */
    char *hostile = ch_malloc(200001);
    memset(hostile, '[', 200000);
    hostile[200000] = '\0';
    ch_err_clear(&err);
    assert_int_equal(ch_json_parse(hostile, 200000, NULL, "h", &j, &err), CH_E_LIMIT);
    ch_free(hostile);
    struct ch_json_limits small = {.max_string = 4, .max_bytes = 100, .max_nodes = 5};
    ch_err_clear(&err);
    assert_int_equal(ch_json_parse("[\"12345\"]", 9, &small, "s", &j, &err), CH_E_LIMIT);
    assert_non_null(strstr(err.msg, "string longer than 4"));
    ch_err_clear(&err);
    assert_int_equal(ch_json_parse("[1,2,3,4,5,6,7]", 15, &small, "n", &j, &err), CH_E_LIMIT);
    char over[128];
    memset(over, ' ', sizeof(over));
    ch_err_clear(&err);
    assert_int_equal(ch_json_parse(over, sizeof(over), &small, "b", &j, &err), CH_E_LIMIT);
    assert_non_null(strstr(err.msg, "exceeds the limit of 100"));
}

static void test_json_getters_name_the_path(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    assert_int_equal(parse("{\"s\": \"v\", \"n\": 3, \"f\": 1.5, \"b\": true, \"a\": [], "
                           "\"o\": {}, \"z\": null, \"big\": 1e300}",
                           &j, &err),
                     CH_OK);
    const char *s = NULL;
    assert_int_equal(ch_json_get_str(j, "s", true, "", &s, &err), CH_OK);
    assert_string_equal(s, "v");
    int64_t n = 0;
    assert_int_equal(ch_json_get_int(j, "n", true, "", 0, 10, &n, &err), CH_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ch_json_get_int(j, "f", true, "rec", 0, 10, &n, &err), CH_E_INVALID);
    assert_string_equal(err.field, "rec.f");
    ch_err_clear(&err);
    assert_int_equal(ch_json_get_int(j, "big", true, "", INT64_MIN, INT64_MAX, &n, &err),
                     CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_json_get_str(j, "n", true, "affected[0]", &s, &err), CH_E_INVALID);
    assert_string_equal(err.msg, "field 'affected[0].n': expected a string");
    ch_err_clear(&err);
    assert_int_equal(ch_json_get_str(j, "missing", true, "", &s, &err), CH_E_INVALID);
    assert_string_equal(err.msg, "field 'missing': missing (expected a string)");
    ch_err_clear(&err);
    s = "untouched";
    assert_int_equal(ch_json_get_str(j, "z", false, "", &s, &err), CH_OK); /* null = absent */
    assert_string_equal(s, "untouched");
    bool b = false;
    assert_int_equal(ch_json_get_bool(j, "b", true, "", &b, &err), CH_OK);
    assert_true(b);
    const cJSON *a = NULL, *o = NULL;
    assert_int_equal(ch_json_get_arr(j, "a", true, "", &a, &err), CH_OK);
    assert_int_equal(ch_json_get_obj(j, "o", true, "", &o, &err), CH_OK);
    assert_int_equal(ch_json_get_obj(j, "a", true, "", &o, &err), CH_E_INVALID);
    assert_null(ch_json_str(j, "n"));
    assert_non_null(ch_json_arr(j, "a"));
    assert_null(ch_json_obj(j, "a"));
    cJSON_Delete(j);
}

static void test_json_writer_escapes_and_roundtrips(void **state)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "s", "q\"\\\n\x01\x7f");
    ch_jw_kstrn(&w, "bad", "a\xff" "b", 3);
    ch_jw_kint(&w, "i", -9007199254740991LL);
    ch_jw_kdouble(&w, "d", 0.1);
    ch_jw_kbool(&w, "t", true);
    ch_jw_key(&w, "n");
    ch_jw_null(&w);
    ch_jw_key(&w, "arr");
    ch_jw_arr_open(&w);
    ch_jw_int(&w, 1);
    ch_jw_cstr(&w, "\xc3\xa9");
    ch_jw_arr_close(&w);
    ch_jw_ktime(&w, "when", 1781049600);
    ch_jw_obj_close(&w);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_string_equal(ch_buf_cstr(&b),
                        "{\"s\":\"q\\\"\\\\\\n\\u0001\\u007f\",\"bad\":\"a\\ufffdb\","
                        "\"i\":-9007199254740991,\"d\":0.1,\"t\":true,\"n\":null,"
                        "\"arr\":[1,\"\xc3\xa9\"],\"when\":\"2026-06-10T00:00:00Z\"}");
    cJSON *j = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "w", &j, &err), CH_OK);
    assert_string_equal(ch_json_str(j, "s"), "q\"\\\n\x01\x7f");
    /* re-serialise the tree: identical bytes, but for U+FFFD now stored as UTF-8 */
    struct ch_buf b2;
    ch_buf_init(&b2, 1 << 20);
    ch_jw_init(&w, &b2, 0);
    ch_jw_cjson(&w, j);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    const char *want = strstr(ch_buf_cstr(&b), "\\ufffd");
    assert_non_null(want);
    size_t head = (size_t)(want - ch_buf_cstr(&b));
    assert_memory_equal(ch_buf_cstr(&b2), ch_buf_cstr(&b), head);
    assert_memory_equal(ch_buf_cstr(&b2) + head, "\xef\xbf\xbd", 3);
    assert_string_equal(ch_buf_cstr(&b2) + head + 3, want + 6);
    cJSON_Delete(j);
    ch_buf_release(&b);
    ch_buf_release(&b2);
}

static void test_json_writer_pretty_and_misuse(void **state)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "a", 1);
    ch_jw_key(&w, "b");
    ch_jw_arr_open(&w);
    ch_jw_arr_close(&w);
    ch_jw_obj_close(&w);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_string_equal(ch_buf_cstr(&b), "{\n  \"a\": 1,\n  \"b\": []\n}");
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    ch_jw_obj_open(&w);
    assert_int_equal(ch_jw_finish(&w, &err), CH_E_INTERNAL);
    ch_buf_release(&b);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse_ok),
        cmocka_unit_test(test_json_errors_have_line_and_column),
        cmocka_unit_test(test_json_duplicate_keys_named_by_path),
        cmocka_unit_test(test_json_limits),
        cmocka_unit_test(test_json_getters_name_the_path),
        cmocka_unit_test(test_json_writer_escapes_and_roundtrips),
        cmocka_unit_test(test_json_writer_pretty_and_misuse),
    };
    return cmocka_run_group_tests_name("core json", tests, NULL, NULL);
}
