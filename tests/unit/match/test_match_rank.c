/* SPDX-License-Identifier: Apache-2.0
 * The matching index's fast path (versions ranked once at build, ranges
 * evaluated with integer comparisons) must agree with the reference range
 * evaluation on every version every entry names, over real OSV data.
 * Skipped when the shared data set is absent. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "match/index.h"
#include "vuln/import.h"

static void test_fast_path_equals_reference_on_real_data(void **state)
{
    const char *zips[] = {"osv/pypi-pypa.zip", "osv/crates-rustsec.zip", "osv/go-vulndb.zip",
                          "osv/almalinux.zip", "osv/cran-rsec.zip", "osv/psf.zip"};
    char *paths[6];
    for (size_t i = 0; i < 6; i++) {
        paths[i] = ch_test_shared(zips[i]);
        if (paths[i] == NULL) {
            for (size_t k = 0; k < i; k++)
                ch_free(paths[k]);
            skip();
        }
    }
    /* SQLite only: the fast path is independent of the backend, and this
     * imports tens of thousands of records */
    char *dir = ch_test_tmpdir();
    char url[600];
    snprintf(url, sizeof(url), "sqlite:%s/rank.db", dir);
    struct ch_store *s = NULL;
    struct ch_err oerr = CH_ERR_INIT;
    if (ch_store_open(url, NULL, &s, &oerr) != CH_OK)
        fail_msg("%s", oerr.msg);
    struct ch_import_options o = {.now = 1};
    struct ch_import_stats st;
    struct ch_err err = CH_ERR_INIT;
    if (ch_import_paths(s, (const char *const *)paths, 6, &o, &st, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_match_index *ix = NULL;
    struct ch_match_build_stats bs;
    assert_int_equal(ch_match_index_build(s, &ix, &bs, &err), CH_OK);
    size_t checked = 0, bad = 0;
    char first[512] = "";
    assert_int_equal(ch_match_index_check(ix, &checked, &bad, first, sizeof(first), &err), CH_OK);
    fprintf(stderr, "fast path checked on %zu (entry, version) pairs: %zu disagreements %s\n",
            checked, bad, first);
    assert_true(checked > 100000);
    assert_int_equal(bad, 0);
    ch_match_index_free(ix);
    ch_store_free(s);
    ch_test_rmtree(dir);
    ch_free(dir);
    for (size_t i = 0; i < 6; i++)
        ch_free(paths[i]);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_path_equals_reference_on_real_data),
    };
    return cmocka_run_group_tests_name("match fast path", tests, NULL, NULL);
}
