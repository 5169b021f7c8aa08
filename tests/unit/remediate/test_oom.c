/* SPDX-License-Identifier: Apache-2.0
 * Allocation-failure tests of the remediate parsers: each SSVC table form,
 * a directive and a directive folder, loaded with allocation N failing for
 * N = 0, 1, 2, ... until they load. Every failure must be CH_E_NOMEM and
 * leak nothing (LeakSanitizer checks in the sanitizer build). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "remediate/directive.h"
#include "remediate/ssvc.h"

static char path[4096];

static void set_path(const char *rel)
{
    const char *root = getenv("CH_SOURCE_DIR");
    assert_non_null(root);
    snprintf(path, sizeof(path), "%s/%s", root, rel);
}

static void oom_loop(int (*body)(struct ch_err *), const char *what)
{
    for (long n = 0; n < 100000; n++) {
        struct ch_err err = CH_ERR_INIT;
        ch_alloc_fault_enable(n);
        int rc = body(&err);
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        if (rc == CH_OK) {
            if (hits == 0)
                return;
            fail_msg("%s: succeeded although allocation %ld failed", what, n);
        }
        if (rc != CH_E_NOMEM)
            fail_msg("%s: allocation %ld failed with rc %d (%s), want NOMEM", what, n, rc, err.msg);
    }
    fail_msg("%s: never succeeded", what);
}

static int body_table(struct ch_err *err)
{
    struct ch_ssvc_table *t = NULL;
    int rc = ch_ssvc_table_load(path, &t, err);
    ch_ssvc_table_free(t);
    return rc;
}

static int body_directive(struct ch_err *err)
{
    struct ch_directive *d = NULL;
    int rc = ch_directive_load(path, &d, err);
    ch_directive_free(d);
    return rc;
}

static int body_set(struct ch_err *err)
{
    struct ch_directive_set *s = NULL;
    int rc = ch_directive_set_load(path, &s, err);
    ch_directive_set_free(s);
    return rc;
}

static void test_oom_ssvc_json(void **state)
{
    set_path("directives/ssvc/cisa_coordinator_2_0_3.json");
    oom_loop(body_table, "json table");
}

static void test_oom_ssvc_csv(void **state)
{
    set_path("directives/ssvc/cisa_bod_26_04_1_0_0.csv");
    oom_loop(body_table, "csv table");
}

static void test_oom_directive(void **state)
{
    set_path("directives/BOD-26-04.json");
    oom_loop(body_directive, "directive");
}

static void test_oom_directive_set(void **state)
{
    set_path("directives");
    oom_loop(body_set, "directive set");
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_ssvc_json),
        cmocka_unit_test(test_oom_ssvc_csv),
        cmocka_unit_test(test_oom_directive),
        cmocka_unit_test(test_oom_directive_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
