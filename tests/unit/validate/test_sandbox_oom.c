/* SPDX-License-Identifier: Apache-2.0
 *
 * Allocation-failure test of the sandbox runner: ch_sandbox_run() with
 * allocation N failing, for N = 0, 1, 2, ... until it succeeds. Every failure
 * must be CH_E_NOMEM, leave no sandbox process behind (the run kills and
 * reaps what it started) and leak nothing (LeakSanitizer checks).
 */
#include "helpers.h"

static int run_once(void)
{
    const char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; echo $A$B", NULL};
    const char *env[] = {"A=1", "B=2", NULL};
    static const char input[] = "stdin";
    struct ch_sandbox_options o = {.argv = argv,
                                   .env = env,
                                   .stdin_data = input,
                                   .stdin_len = sizeof(input) - 1,
                                   .flags = CH_SANDBOX_KEEP_RUNNING_ON_OUTPUT_LIMIT,
                                   .limits = {.stdout_max_bytes = 8}};
    struct ch_sandbox_result r;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_sandbox_run(&o, &r, &err);
    if (rc == CH_OK) {
        assert_true(r.exited);
        assert_int_equal(r.exit_code, 0);
        assert_string_equal(ch_buf_cstr(&r.out), "out\n12\n");
    } else {
        assert_true(err.msg[0] != '\0');
    }
    ch_sandbox_result_release(&r);
    return rc;
}

static void test_sandbox_run_survives_allocation_failures(void **state)
{
    (void)state;
    for (long n = 0; n < 1000; n++) {
        ch_alloc_fault_enable(n);
        int rc = run_once();
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        if (rc == CH_OK) {
            if (hits == 0)
                return;
            fail_msg("succeeded although allocation %ld failed", n);
        }
        if (rc != CH_E_NOMEM)
            fail_msg("allocation %ld failed with rc %d (%s), want NOMEM", n, rc, ch_rc_str(rc));
    }
    fail_msg("never succeeded");
}

int main(void)
{
    vt_require_sandbox();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox_run_survives_allocation_failures),
    };
    return cmocka_run_group_tests_name("validate/sandbox_oom", tests, NULL, NULL);
}
