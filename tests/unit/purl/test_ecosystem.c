/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: purl type <-> OSV ecosystem and OSV package-name conventions. */
#include "testutil.h"

#include <string.h>

#include "core/arena.h"
#include "purl/ecosystem.h"
#include "purl/purl.h"

static void expect_osv(const char *purl, const char *eco, const char *name, const char *version)
{
    struct ch_arena *a = ch_arena_new(1 << 16);
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl p;
    struct ch_osv_package o;
    assert_int_equal(ch_purl_parse(ch_str_c(purl), 0, a, &p, &err), CH_OK);
    if (ch_purl_to_osv(&p, a, &o, &err) != CH_OK)
        fail_msg("%s: %s", purl, err.msg);
    assert_string_equal(ch_osv_ecosystem_string(&o, a), eco);
    assert_string_equal(o.name, name);
    if (version == NULL)
        assert_null(o.version);
    else
        assert_string_equal(o.version, version);
    ch_arena_free(a);
}

static void test_ecosystem_to_osv(void **state)
{
    expect_osv("pkg:npm/%40angular/core@12.0.0", "npm", "@angular/core", "12.0.0");
    expect_osv("pkg:npm/lodash@4.17.21", "npm", "lodash", "4.17.21");
    expect_osv("pkg:pypi/Django_Rest@3.0", "PyPI", "django-rest", "3.0");
    expect_osv("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "Maven",
               "org.apache.logging.log4j:log4j-core", "2.14.1");
    expect_osv("pkg:golang/github.com/gorilla/mux@v1.8.0", "Go", "github.com/gorilla/mux",
               "v1.8.0");
    expect_osv("pkg:cargo/serde@1.0.0", "crates.io", "serde", "1.0.0");
    expect_osv("pkg:gem/rails@7.0.0", "RubyGems", "rails", "7.0.0");
    expect_osv("pkg:nuget/Newtonsoft.Json@13.0.1", "NuGet", "Newtonsoft.Json", "13.0.1");
    expect_osv("pkg:composer/Laravel/Framework@9.0.0", "Packagist", "laravel/framework", "9.0.0");
    expect_osv("pkg:hex/Phoenix@1.7.0", "Hex", "phoenix", "1.7.0");
    expect_osv("pkg:pub/http@1.0.0", "Pub", "http", "1.0.0");
    expect_osv("pkg:cran/ggplot2@3.4.0", "CRAN", "ggplot2", "3.4.0");
    expect_osv("pkg:swift/github.com/apple/swift-nio@2.0.0", "SwiftURL",
               "github.com/apple/swift-nio", "2.0.0");
    expect_osv("pkg:githubactions/actions/checkout@v4", "GitHub Actions", "actions/checkout",
               "v4");
    expect_osv("pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12.4", "Debian:12",
               "openssl", "3.0.11-1~deb12u2");
    expect_osv("pkg:deb/debian/openssl@1", "Debian", "openssl", "1");
    expect_osv("pkg:deb/ubuntu/openssl@3.0.2?distro=jammy", "Ubuntu:22.04", "openssl", "3.0.2");
    expect_osv("pkg:apk/alpine/zlib@1.2.11-r3?distro=alpine-3.16.2", "Alpine:v3.16", "zlib",
               "1.2.11-r3");
    expect_osv("pkg:rpm/redhat/openssl@1.1.1k-7.el8", "Red Hat", "openssl", "1.1.1k-7.el8");
    expect_osv("pkg:cargo/rand", "crates.io", "rand", NULL);
}

static void test_ecosystem_unknown_is_reported(void **state)
{
    struct ch_arena *a = ch_arena_new(1 << 16);
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl p;
    struct ch_osv_package o;
    assert_int_equal(ch_purl_parse(ch_str_c("pkg:rpm/fedora/curl@1"), 0, a, &p, &err), CH_OK);
    assert_int_equal(ch_purl_to_osv(&p, a, &o, &err), CH_E_UNSUPPORTED);
    assert_true(ch_test_contains(err.msg, "'fedora'"));
    ch_err_clear(&err);
    assert_int_equal(ch_purl_parse(ch_str_c("pkg:docker/nginx@1"), 0, a, &p, &err), CH_OK);
    assert_int_equal(ch_purl_to_osv(&p, a, &o, &err), CH_E_UNSUPPORTED);
    assert_true(ch_test_contains(err.msg, "'docker'"));
    ch_err_clear(&err);
    assert_int_equal(ch_purl_from_osv("Linux", "kernel", NULL, a, &p, &err), CH_E_UNSUPPORTED);
    assert_false(ch_osv_ecosystem_known(ch_str_c("Linux")));
    assert_true(ch_osv_ecosystem_known(ch_str_c("crates.io")));
    ch_arena_free(a);
}

static void expect_from_osv(const char *eco, const char *name, const char *version,
                            const char *want)
{
    struct ch_arena *a = ch_arena_new(1 << 16);
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl p;
    if (ch_purl_from_osv(eco, name, version, a, &p, &err) != CH_OK)
        fail_msg("%s %s: %s", eco, name, err.msg);
    assert_string_equal(ch_purl_to_string(&p, a), want);
    /* and back again */
    struct ch_osv_package o;
    assert_int_equal(ch_purl_to_osv(&p, a, &o, &err), CH_OK);
    assert_string_equal(ch_osv_ecosystem_string(&o, a), eco);
    ch_arena_free(a);
}

static void test_ecosystem_from_osv(void **state)
{
    expect_from_osv("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1",
                    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
    expect_from_osv("npm", "@babel/core", "7.0.0", "pkg:npm/%40babel/core@7.0.0");
    expect_from_osv("npm", "lodash", NULL, "pkg:npm/lodash");
    expect_from_osv("Go", "golang.org/x/net", "0.1.0", "pkg:golang/golang.org/x/net@0.1.0");
    expect_from_osv("Packagist", "symfony/http-kernel", "5.0.0",
                    "pkg:composer/symfony/http-kernel@5.0.0");
    expect_from_osv("PyPI", "Jinja2", "2.0", "pkg:pypi/jinja2@2.0");
    expect_from_osv("Debian:12", "openssl", "3.0.11-1~deb12u2",
                    "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12");
    expect_from_osv("Alpine:v3.18", "zlib", "1.2.13-r1",
                    "pkg:apk/alpine/zlib@1.2.13-r1?distro=alpine-3.18");
    expect_from_osv("SwiftURL", "github.com/apple/swift-nio", "2.0.0",
                    "pkg:swift/github.com/apple/swift-nio@2.0.0");
    expect_from_osv("GitHub Actions", "actions/checkout", "v4",
                    "pkg:githubactions/actions/checkout@v4");
}

static void test_ecosystem_from_osv_bad_names(void **state)
{
    struct ch_arena *a = ch_arena_new(1 << 16);
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl p;
    assert_int_equal(ch_purl_from_osv("Maven", "log4j-core", NULL, a, &p, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "lacks ':'"));
    ch_err_clear(&err);
    assert_int_equal(ch_purl_from_osv("Packagist", "monolog", NULL, a, &p, &err), CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_purl_from_osv("npm", "", NULL, a, &p, &err), CH_E_INVALID);
    ch_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecosystem_to_osv),
        cmocka_unit_test(test_ecosystem_unknown_is_reported),
        cmocka_unit_test(test_ecosystem_from_osv),
        cmocka_unit_test(test_ecosystem_from_osv_bad_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
