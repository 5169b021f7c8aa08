/* SPDX-License-Identifier: Apache-2.0
 *
 * Reproduction (validate/repro.h) end to end: the vulnerable target of
 * tests/fixtures/disclose is built with sanitizers by the recipe inside the
 * sandbox, then run with triggering and harmless PoCs. Also the recipe
 * parser, file-name rules, PoC digests and fix-recipe merging.
 */
#include "helpers.h"

static char *root;

static int setup(void **state)
{
    (void)state;
    root = dt_workroot();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ch_test_rmtree(root);
    ch_free(root);
    return 0;
}

/* Reproduces poc against target_dir with the given expectation. */
static void repro(const char *target_dir, const char *poc, const char *expect, int run_seconds,
                  unsigned runs, struct ch_repro_result *ret)
{
    char *json = dt_recipe(expect, run_seconds);
    struct ch_recipe *r = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_recipe_parse(json, strlen(json), &r, &err) != CH_OK)
        fail_msg("recipe: %s", err.msg);
    struct dt_poc p;
    dt_poc_load(&p, target_dir, poc);
    struct ch_repro_options o = {.runs = runs, .work_root = root};
    int rc = ch_repro_run(r, p.files, 2, &o, ret, &err);
    if (rc != CH_OK)
        fail_msg("ch_repro_run: %s (%s)", err.msg, ch_rc_str(rc));
    dt_poc_release(&p);
    ch_recipe_free(r);
    ch_free(json);
}

static void test_repro_heap_overflow_reproduces(void **state)
{
    (void)state;
    struct ch_repro_result a;
    repro("target", "heap-overflow", "{\"crash\": \"heap-buffer-overflow\"}", 10, 3, &a);
    if (a.outcome != CH_REPRO_REPRODUCED)
        fail_msg("outcome %s; log:\n%s", ch_repro_outcome_str(a.outcome), ch_buf_cstr(&a.log));
    assert_int_equal(a.n_runs, 3);
    assert_int_equal(a.n_matched, 3);
    assert_int_equal(a.report.cls, CH_CRASH_HEAP_BUFFER_OVERFLOW);
    assert_string_equal(a.report.frames[0].function, "parse_name");
    assert_int_equal(strlen(a.report.signature), CH_SANREPORT_SIG_HEX);
    assert_true(ch_test_contains(ch_buf_cstr(&a.log), "== build: gcc"));
    assert_true(ch_test_contains(ch_buf_cstr(&a.log), "AddressSanitizer"));
    /* another input reaching the same bug: the same signature */
    struct ch_repro_result b;
    repro("target", "heap-overflow-2", "{\"crash\": \"any\"}", 10, 1, &b);
    assert_int_equal(b.outcome, CH_REPRO_REPRODUCED);
    assert_string_equal(a.report.signature, b.report.signature);
    ch_repro_result_release(&a);
    ch_repro_result_release(&b);
}

static void test_repro_harmless_not_reproduced(void **state)
{
    (void)state;
    struct ch_repro_result r;
    repro("target", "heap-overflow-ok", "{\"crash\": \"any\"}", 10, 2, &r);
    assert_int_equal(r.outcome, CH_REPRO_NOT_REPRODUCED);
    assert_int_equal(r.n_runs, 2);
    assert_int_equal(r.n_matched, 0);
    assert_int_equal(r.report.cls, CH_CRASH_NONE);
    ch_repro_result_release(&r);
}

static void test_repro_bug_classes_and_distinct_signatures(void **state)
{
    (void)state;
    static const struct {
        const char *poc;
        enum ch_crash_class cls;
        const char *top;
    } cases[] = {
        {"heap-overflow", CH_CRASH_HEAP_BUFFER_OVERFLOW, "parse_name"},
        {"use-after-free", CH_CRASH_HEAP_USE_AFTER_FREE, "close_session"},
        {"integer-overflow", CH_CRASH_SIGNED_INTEGER_OVERFLOW, "add_credit"},
        {"null-deref", CH_CRASH_NULL_DEREF, "field_width"},
    };
    char sigs[CH_ARRAY_SIZE(cases)][CH_SANREPORT_SIG_HEX + 1];
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_repro_result r;
        char expect[96];
        snprintf(expect, sizeof(expect), "{\"crash\": \"%s\"}", ch_crash_class_str(cases[i].cls));
        repro("target", cases[i].poc, expect, 10, 1, &r);
        if (r.outcome != CH_REPRO_REPRODUCED)
            fail_msg("%s: %s; log:\n%s", cases[i].poc, ch_repro_outcome_str(r.outcome),
                     ch_buf_cstr(&r.log));
        assert_string_equal(r.report.frames[0].function, cases[i].top);
        memcpy(sigs[i], r.report.signature, sizeof(sigs[i]));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(sigs[i], sigs[j]);
        ch_repro_result_release(&r);
        /* its harmless twin does not crash */
        char ok[64];
        snprintf(ok, sizeof(ok), "%s-ok", cases[i].poc);
        repro("target", ok, "{\"crash\": \"any\"}", 10, 1, &r);
        if (r.outcome != CH_REPRO_NOT_REPRODUCED)
            fail_msg("%s: %s; log:\n%s", ok, ch_repro_outcome_str(r.outcome), ch_buf_cstr(&r.log));
        ch_repro_result_release(&r);
    }
}

static void test_repro_infinite_loop_times_out(void **state)
{
    (void)state;
    struct ch_repro_result r;
    repro("target", "infinite-loop", "{\"crash\": \"timeout\"}", 1, 1, &r);
    if (r.outcome != CH_REPRO_REPRODUCED)
        fail_msg("outcome %s; log:\n%s", ch_repro_outcome_str(r.outcome), ch_buf_cstr(&r.log));
    assert_int_equal(r.report.cls, CH_CRASH_TIMEOUT);
    assert_true(r.runs[0].killed_by == CH_SANDBOX_KILL_TIMEOUT ||
                r.runs[0].killed_by == CH_SANDBOX_KILL_CPU);
    ch_repro_result_release(&r);
    repro("target", "infinite-loop-ok", "{\"crash\": \"timeout\"}", 1, 1, &r);
    assert_int_equal(r.outcome, CH_REPRO_NOT_REPRODUCED);
    ch_repro_result_release(&r);
}

static void test_repro_fixed_build_does_not_crash(void **state)
{
    (void)state;
    struct ch_repro_result r;
    repro("target-fixed", "heap-overflow", "{\"crash\": \"any\"}", 10, 1, &r);
    if (r.outcome != CH_REPRO_NOT_REPRODUCED)
        fail_msg("outcome %s; log:\n%s", ch_repro_outcome_str(r.outcome), ch_buf_cstr(&r.log));
    ch_repro_result_release(&r);
}

static void test_repro_exit_and_output_expectations(void **state)
{
    (void)state;
    struct ch_repro_result r;
    /* the target exits 2 on an unknown command; "Nbob" prints "name b" */
    repro("target", "heap-overflow-ok", "{\"output\": \"name b\"}", 10, 1, &r);
    assert_int_equal(r.outcome, CH_REPRO_REPRODUCED);
    ch_repro_result_release(&r);
    repro("target", "heap-overflow-ok", "{\"exit_code\": 0}", 10, 1, &r);
    assert_int_equal(r.outcome, CH_REPRO_REPRODUCED);
    ch_repro_result_release(&r);
    repro("target", "heap-overflow-ok", "{\"exit_code\": 7}", 10, 1, &r);
    assert_int_equal(r.outcome, CH_REPRO_NOT_REPRODUCED);
    ch_repro_result_release(&r);
}

static void test_repro_invalid_recipe(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_repro_options o = {.runs = 1, .work_root = root};
    struct dt_poc p;
    dt_poc_load(&p, "target", "heap-overflow");
    /* a build that fails: the compiler rejects the source */
    static const char broken[] = "int main(void) { return nope; }\n";
    struct ch_repro_file files[2] = {
        {.path = "target.c", .data = (const unsigned char *)broken, .len = sizeof(broken) - 1},
        p.files[1]};
    char *json = dt_recipe("{\"crash\": \"any\"}", 5);
    struct ch_recipe *r = NULL;
    assert_int_equal(ch_recipe_parse(json, strlen(json), &r, &err), CH_OK);
    struct ch_repro_result res;
    assert_int_equal(ch_repro_run(r, files, 2, &o, &res, &err), CH_OK);
    assert_int_equal(res.outcome, CH_REPRO_INVALID_RECIPE);
    assert_int_equal(res.n_runs, 0);
    assert_true(ch_test_contains(ch_buf_cstr(&res.log), "nope"));
    ch_repro_result_release(&res);
    ch_recipe_free(r);
    ch_free(json);
    /* a run command that does not exist */
    static const char missing[] =
        "{\"run\": [\"./no-such-program\"], \"expect\": {\"crash\": \"any\"}}";
    assert_int_equal(ch_recipe_parse(missing, strlen(missing), &r, &err), CH_OK);
    assert_int_equal(ch_repro_run(r, p.files, 2, &o, &res, &err), CH_OK);
    assert_int_equal(res.outcome, CH_REPRO_INVALID_RECIPE);
    ch_repro_result_release(&res);
    ch_recipe_free(r);
    dt_poc_release(&p);
}

static void test_recipe_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "{\"expect\": {\"crash\": \"any\"}}",
        "{\"run\": [], \"expect\": {\"crash\": \"any\"}}",
        "{\"run\": [\"x\"]}",
        "{\"run\": [\"x\"], \"expect\": {\"crash\": \"sparkles\"}}",
        "{\"run\": [\"x\"], \"expect\": {\"crash\": \"none\"}}",
        "{\"run\": [\"x\"], \"expect\": {\"exit_code\": 300}}",
        "{\"run\": [\"x\"], \"expect\": {\"crash\": \"any\", \"exit_code\": 1}}",
        "{\"run\": [\"x\"], \"expect\": {\"crash\": \"any\"}, \"shell\": \"rm -rf /\"}",
        "{\"run\": [\"x\"], \"expect\": {\"crash\": \"any\"}, \"env\": [\"1X=y\"]}",
        "{\"run\": [\"x\"], \"expect\": {\"crash\": \"any\"}, \"stdin\": \"../etc/passwd\"}",
        "{\"run\": [\"x\"], \"expect\": {\"crash\": \"any\"}, \"timeout_seconds\": {\"run\": 0}}",
        "{\"run\": [\"x\"], \"expect\": {\"crash\": \"any\"}, \"build\": [[1]]}",
        "{\"run\": [\"x\"",
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(bad); i++) {
        struct ch_recipe *r = NULL;
        struct ch_err err = CH_ERR_INIT;
        int rc = ch_recipe_parse(bad[i], strlen(bad[i]), &r, &err);
        if (rc == CH_OK)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err.msg[0] != '\0');
    }
    static const char good[] =
        "{\"build\": [[\"make\"]], \"run\": [\"./t\", \"a\"], \"stdin\": \"in/a.bin\","
        " \"env\": [\"ASAN_OPTIONS=x=1\"], \"expect\": {\"crash\": \"any\"},"
        " \"timeout_seconds\": {\"build\": 30, \"run\": 5}}";
    struct ch_recipe *r = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_recipe_parse(good, sizeof(good) - 1, &r, &err), CH_OK);
    assert_int_equal(r->n_build, 1);
    assert_string_equal(r->build[0][0], "make");
    assert_null(r->build[0][1]);
    assert_string_equal(r->run[1], "a");
    assert_string_equal(r->stdin_file, "in/a.bin");
    assert_int_equal(r->crash, CH_CRASH_COUNT);
    assert_int_equal(r->build_seconds, 30);
    assert_int_equal(r->run_seconds, 5);
    ch_recipe_free(r);
}

static void test_repro_paths_and_digests(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    static const char *const bad[] = {"",    "/etc/passwd", "../x", "a/../b",           "a//b",
                                      "./a", "a/",          "a\\b", "a/b/c/d/e/f/g/h/i"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(bad); i++) {
        ch_err_clear(&err);
        if (ch_repro_check_path(bad[i], &err) == CH_OK)
            fail_msg("accepted path '%s'", bad[i]);
    }
    assert_int_equal(ch_repro_check_path("src/poc.bin", &err), CH_OK);
    struct ch_repro_file a[2] = {{.path = "x", .data = (const unsigned char *)"1", .len = 1},
                                 {.path = "y", .data = (const unsigned char *)"2", .len = 1}};
    struct ch_repro_file b[2] = {a[1], a[0]};
    char da[CH_REPRO_DIGEST_HEX];
    char db[CH_REPRO_DIGEST_HEX];
    assert_int_equal(ch_repro_poc_digest(a, 2, da, &err), CH_OK);
    assert_int_equal(ch_repro_poc_digest(b, 2, db, &err), CH_OK);
    assert_string_equal(da, db);
    b[0].data = (const unsigned char *)"3";
    assert_int_equal(ch_repro_poc_digest(b, 2, db, &err), CH_OK);
    assert_string_not_equal(da, db);
    b[0] = a[0];
    assert_int_equal(ch_repro_poc_digest(b, 2, db, &err), CH_E_INVALID);
}

static void test_recipe_merge_keeps_the_original_run(void **state)
{
    (void)state;
    static const char base[] = "{\"build\": [[\"cc\", \"a.c\"]], \"run\": [\"./a\"],"
                               " \"expect\": {\"crash\": \"any\"}}";
    static const char fix[] = "{\"build\": [[\"cc\", \"-DFIX\", \"a.c\"]]}";
    struct ch_buf out;
    ch_buf_init(&out, 1 << 16);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_recipe_merge(base, sizeof(base) - 1, fix, sizeof(fix) - 1, &out, &err),
                     CH_OK);
    struct ch_recipe *r = NULL;
    assert_int_equal(ch_recipe_parse(ch_buf_cstr(&out), ch_buf_len(&out), &r, &err), CH_OK);
    assert_string_equal(r->build[0][1], "-DFIX");
    assert_string_equal(r->run[0], "./a");
    ch_recipe_free(r);
    ch_buf_release(&out);
}

int main(void)
{
    dt_require_sandbox();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipe_parse_errors),
        cmocka_unit_test(test_repro_paths_and_digests),
        cmocka_unit_test(test_recipe_merge_keeps_the_original_run),
        cmocka_unit_test(test_repro_heap_overflow_reproduces),
        cmocka_unit_test(test_repro_harmless_not_reproduced),
        cmocka_unit_test(test_repro_bug_classes_and_distinct_signatures),
        cmocka_unit_test(test_repro_infinite_loop_times_out),
        cmocka_unit_test(test_repro_fixed_build_does_not_crash),
        cmocka_unit_test(test_repro_exit_and_output_expectations),
        cmocka_unit_test(test_repro_invalid_recipe),
    };
    return cmocka_run_group_tests_name("disclose/repro", tests, setup, teardown);
}
