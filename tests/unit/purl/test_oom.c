/* SPDX-License-Identifier: Apache-2.0
 * Allocation-failure tests for purl parsing, building and the OSV mapping:
 * allocation N fails for N = 0, 1, 2, ... until the call succeeds; every
 * failure must be CH_E_NOMEM and leak nothing (LeakSanitizer checks). */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "purl/ecosystem.h"
#include "purl/purl.h"

static void oom_loop(int (*body)(void), const char *what)
{
    for (long n = 0; n < 100000; n++) {
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

/* A small arena block size forces many block allocations during one parse. */
static int body_parse(void)
{
    struct ch_arena *a = ch_arena_new(1 << 20);
    if (a == NULL)
        return CH_E_NOMEM;
    struct ch_err err = CH_ERR_INIT;
    int rc = CH_OK;
    static const char *const in[] = {
        "pkg:deb/Debian/curl@7.50.3-1%2Bb1?Arch=i386&distro=jessie#a/b/%2E%2E/c",
        "pkg:git/github.com/Foo/Bar@abc",
        "pkg:pypi/Foo_Bar@1.0?checksum=SHA1:AB,sha256:cd",
        "pkg:mlflow/M@1?repository_url=https://x.azuredatabricks.net/",
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(in) && rc == CH_OK; i++) {
        const char *out = NULL;
        for (int k = 0; k < 50 && rc == CH_OK; k++)
            rc = ch_purl_canonicalize(ch_str_c(in[i]), 0, a, &out, &err);
    }
    ch_arena_free(a);
    return rc;
}

static int body_osv(void)
{
    struct ch_arena *a = ch_arena_new(1 << 20);
    if (a == NULL)
        return CH_E_NOMEM;
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl p;
    struct ch_osv_package o;
    int rc = CH_OK;
    for (int k = 0; k < 100 && rc == CH_OK; k++) {
        rc = ch_purl_from_osv("Alpine:v3.18", "zlib", "1.2.13-r1", a, &p, &err);
        if (rc == CH_OK)
            rc = ch_purl_to_osv(&p, a, &o, &err);
        if (rc == CH_OK)
            rc = ch_purl_from_osv("Maven", "g:a", "1", a, &p, &err);
        if (rc == CH_OK)
            rc = ch_purl_to_osv(&p, a, &o, &err);
        if (rc == CH_OK && ch_osv_ecosystem_string(&o, a) == NULL)
            rc = CH_E_NOMEM;
    }
    ch_arena_free(a);
    return rc;
}

static void test_oom_purl_parse(void **state)
{
    oom_loop(body_parse, "purl parse");
}

static void test_oom_purl_osv(void **state)
{
    oom_loop(body_osv, "purl osv");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_purl_parse),
        cmocka_unit_test(test_oom_purl_osv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
