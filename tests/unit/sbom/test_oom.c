/* SPDX-License-Identifier: Apache-2.0
 * Allocation-failure tests for the inventory and every reader: allocation N
 * fails for N = 0, 1, 2, ... until the read succeeds; every failure must be
 * CH_E_NOMEM and leak nothing (LeakSanitizer checks). The inputs are the
 * fixtures of tests/fixtures/sbom. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "sbom/inventory.h"
#include "sbom/sbom.h"

static struct ch_buf input;
static const char *input_name;
static enum ch_sbom_format input_fmt;

static void oom_loop(int (*body)(void), const char *what)
{
    for (long n = 0; n < 1000000; n++) {
        ch_alloc_fault_enable(n);
        int rc = body();
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        if (rc == CH_OK) {
            if (hits == 0)
                return;
            fail_msg("%s: succeeded although allocation %ld failed", what, n);
        }
        if (rc != CH_E_NOMEM)
            fail_msg("%s: allocation %ld failed with rc %d, want NOMEM", what, n, rc);
    }
    fail_msg("%s: never succeeded", what);
}

static int body_read(void)
{
    struct ch_inventory *inv = NULL;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_inventory_new(NULL, &inv, &err);
    if (rc != CH_OK)
        return rc;
    struct ch_sbom_options opt = {.distro = "debian", .distro_release = "12"};
    rc = ch_sbom_read(inv, input_name, ch_buf_cstr(&input), ch_buf_len(&input), input_fmt, &opt,
                      &err);
    if (rc == CH_OK && ch_inventory_count(inv) == 0)
        rc = CH_E_INTERNAL;
    ch_inventory_free(inv);
    return rc;
}

static void oom_fixture(const char *rel, enum ch_sbom_format fmt)
{
    char *path = ch_test_fixture(rel);
    ch_buf_init(&input, 1 << 20);
    ch_test_read_file(path, &input);
    input_name = rel;
    input_fmt = fmt;
    oom_loop(body_read, rel);
    ch_buf_release(&input);
    ch_free(path);
}

static void test_oom_sbom_json_readers(void **state)
{
    oom_fixture("sbom/cyclonedx-1.5.cdx.json", CH_SBOM_UNKNOWN);
    oom_fixture("sbom/spdx-2.3.spdx.json", CH_SBOM_UNKNOWN);
    oom_fixture("sbom/spdx-3.0.spdx3.json", CH_SBOM_UNKNOWN);
    oom_fixture("sbom/package-lock-v3.json", CH_SBOM_UNKNOWN);
    oom_fixture("sbom/package-lock-v1.json", CH_SBOM_UNKNOWN);
    oom_fixture("sbom/composer.lock", CH_SBOM_UNKNOWN);
}

static void test_oom_sbom_text_readers(void **state)
{
    oom_fixture("sbom/status", CH_SBOM_DPKG);
    oom_fixture("sbom/requirements.txt", CH_SBOM_UNKNOWN);
    oom_fixture("sbom/go.mod", CH_SBOM_UNKNOWN);
    oom_fixture("sbom/Cargo.lock", CH_SBOM_UNKNOWN);
    oom_fixture("sbom/Gemfile.lock", CH_SBOM_UNKNOWN);
}

static char *scan_root;

static int body_scan(void)
{
    struct ch_inventory *inv = NULL;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_inventory_new(NULL, &inv, &err);
    if (rc != CH_OK)
        return rc;
    rc = ch_sbom_scan_dir(inv, scan_root, NULL, &err);
    /* A failed read of one file is recorded as skipped, not returned. */
    if (rc >= 0 && ch_inventory_n_skipped(inv) > 0)
        rc = strstr(ch_inventory_skipped(inv, 0)->reason, "out of memory") ? CH_E_NOMEM : rc;
    ch_inventory_free(inv);
    return rc > 0 ? CH_OK : rc;
}

static void test_oom_sbom_scan_dir(void **state)
{
    scan_root = ch_test_fixture("sbom/rootfs");
    oom_loop(body_scan, "scan dir");
    ch_free(scan_root);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_sbom_json_readers),
        cmocka_unit_test(test_oom_sbom_text_readers),
        cmocka_unit_test(test_oom_sbom_scan_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
