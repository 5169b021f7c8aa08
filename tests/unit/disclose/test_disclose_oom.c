/* SPDX-License-Identifier: Apache-2.0
 *
 * Allocation failure in the recipe parser, the fix-recipe merge and the OSV
 * and CSAF writers: every allocation fails in turn; each failure is
 * CH_E_NOMEM and nothing leaks (LeakSanitizer in the sanitizer build).
 */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "disclose/publish.h"
#include "validate/repro.h"

static const char recipe[] =
    "{\"build\": [[\"gcc\", \"-o\", \"t\", \"t.c\"], [\"strip\", \"t\"]], \"run\": [\"./t\", "
    "\"x\"],"
    " \"stdin\": \"in.txt\", \"env\": [\"A=1\", \"B=2\"], \"expect\": {\"output\": \"boom\"},"
    " \"timeout_seconds\": {\"build\": 30, \"run\": 5}}";

static void test_recipe_parse_oom(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        struct ch_err err = CH_ERR_INIT;
        struct ch_recipe *r = NULL;
        ch_alloc_fault_enable(n);
        int rc = ch_recipe_parse(recipe, sizeof(recipe) - 1, &r, &err);
        ch_alloc_fault_disable();
        if (rc == CH_OK) {
            assert_string_equal(r->output, "boom");
            ch_recipe_free(r);
            break;
        }
        assert_int_equal(rc, CH_E_NOMEM);
    }
}

static void test_recipe_merge_oom(void **state)
{
    (void)state;
    static const char fix[] = "{\"build\": [[\"gcc\", \"-DFIX\", \"-o\", \"t\", \"t.c\"]]}";
    for (long n = 0;; n++) {
        struct ch_err err = CH_ERR_INIT;
        struct ch_buf out;
        ch_buf_init(&out, 1 << 16);
        ch_alloc_fault_enable(n);
        int rc = ch_recipe_merge(recipe, sizeof(recipe) - 1, fix, sizeof(fix) - 1, &out, &err);
        ch_alloc_fault_disable();
        ch_buf_release(&out);
        if (rc == CH_OK)
            break;
        assert_true(rc == CH_E_NOMEM || rc == CH_E_LIMIT);
    }
}

static void test_documents_oom(void **state)
{
    (void)state;
    static const char *const aliases[] = {"CVE-2026-1"};
    struct ch_disclose_advisory a = {.id = "CH-2026-0001",
                                     .title = "t",
                                     .description = "d",
                                     .cwe = "CWE-416",
                                     .ecosystem = "OSS-Fuzz",
                                     .component = "c",
                                     .introduced = "1",
                                     .fixed = "2",
                                     .aliases = aliases,
                                     .n_aliases = 1,
                                     .credit = "o",
                                     .published = 1767225600,
                                     .modified = 1767225600,
                                     .discovered = 1767225600};
    for (int which = 0; which < 2; which++) {
        for (long n = 0;; n++) {
            struct ch_err err = CH_ERR_INIT;
            struct ch_buf out;
            ch_buf_init(&out, 1 << 20);
            ch_alloc_fault_enable(n);
            int rc = which == 0 ? ch_disclose_osv_json(&a, NULL, &out, &err)
                                : ch_disclose_csaf_json(&a, NULL, &out, &err);
            ch_alloc_fault_disable();
            ch_buf_release(&out);
            if (rc == CH_OK)
                break;
            assert_int_equal(rc, CH_E_NOMEM);
        }
    }
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipe_parse_oom),
        cmocka_unit_test(test_recipe_merge_oom),
        cmocka_unit_test(test_documents_oom),
    };
    return cmocka_run_group_tests_name("disclose/oom", tests, NULL, NULL);
}
