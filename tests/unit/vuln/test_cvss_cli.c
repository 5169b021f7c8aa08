/* SPDX-License-Identifier: Apache-2.0
 *
 * CLI tests of `clearinghouse cvss`: the first line is "SCORE SEVERITY",
 * --json gives the data, a malformed vector exits 3 naming the metric, a
 * missing argument is a usage error (exit 2).
 */
#include "testutil.h"

#include <string.h>

#include "core/json.h"

static int run(const char *const *argv, struct ch_buf *out, struct ch_buf *errout)
{
    ch_buf_reset(out);
    ch_buf_reset(errout);
    return ch_test_run_cli(argv, NULL, out, errout);
}

static void test_cvss_cli_first_line(void **state)
{
    struct ch_buf out;
    struct ch_buf errout;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&errout, 1 << 20);
    const char *v31[] = {"cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", NULL};
    assert_int_equal(run(v31, &out, &errout), 0);
    assert_memory_equal(ch_buf_cstr(&out), "9.8 CRITICAL\n", 13);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "exploitability: 3.9\n"));
    /* the overall score when temporal metrics are given */
    const char *t31[] = {"cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U",
                         NULL};
    assert_int_equal(run(t31, &out, &errout), 0);
    assert_memory_equal(ch_buf_cstr(&out), "7.8 HIGH\n", 9);
    const char *v40[] = {"cvss", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                         NULL};
    assert_int_equal(run(v40, &out, &errout), 0);
    assert_memory_equal(ch_buf_cstr(&out), "9.3 CRITICAL\n", 13);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "macrovector: 000200\n"));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "nomenclature: CVSS-B\n"));
    ch_buf_release(&out);
    ch_buf_release(&errout);
}

static void test_cvss_cli_json(void **state)
{
    struct ch_buf out;
    struct ch_buf errout;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&errout, 1 << 20);
    const char *argv[] = {"cvss", "--json",
                          "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P",
                          NULL};
    assert_int_equal(run(argv, &out, &errout), 0);
    cJSON *j = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&out), ch_buf_len(&out), NULL, "out", &j, &err),
                     CH_OK);
    assert_string_equal(ch_json_str(j, "severity"), "HIGH");
    assert_string_equal(ch_json_str(j, "nomenclature"), "CVSS-BT");
    assert_string_equal(ch_json_str(j, "macrovector"), "000210");
    double score = 0;
    assert_int_equal(ch_json_get_num(j, "score", true, "", &score, &err), CH_OK);
    assert_true(score > 8.85 && score < 8.95);
    assert_int_equal(ch_json_get_num(j, "base_score", true, "", &score, &err), CH_OK);
    assert_true(score > 9.25 && score < 9.35);
    assert_string_equal(ch_json_str(ch_json_obj(j, "metrics"), "E"), "P");
    cJSON_Delete(j);
    ch_buf_release(&out);
    ch_buf_release(&errout);
}

static void test_cvss_cli_errors(void **state)
{
    struct ch_buf out;
    struct ch_buf errout;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&errout, 1 << 20);
    const char *bad[] = {"cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q", NULL};
    assert_int_equal(run(bad, &out, &errout), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&errout), "metric 'A'"));
    assert_int_equal(ch_buf_len(&out), 0);
    const char *dup[] = {"cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/C:L", NULL};
    assert_int_equal(run(dup, &out, &errout), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&errout), "duplicate metric 'C'"));
    const char *none[] = {"cvss", NULL};
    assert_int_equal(run(none, &out, &errout), 2);
    const char *two[] = {"cvss", "CVSS:3.1/AV:N", "x", NULL};
    assert_int_equal(run(two, &out, &errout), 2);
    ch_buf_release(&out);
    ch_buf_release(&errout);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cvss_cli_first_line),
        cmocka_unit_test(test_cvss_cli_json),
        cmocka_unit_test(test_cvss_cli_errors),
    };
    return cmocka_run_group_tests_name("vuln cvss cli", tests, NULL, NULL);
}
