/* SPDX-License-Identifier: Apache-2.0
 *
 * test_version.c: the version schemes and their dispatch (src/version/version.h).
 * Tricky cases per scheme, from each ecosystem's documentation and reference
 * code; the bulk comparison against the reference tools is
 * test_differential.c.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "version/version.h"

struct cmp_case {
    const char *scheme;
    const char *a;
    const char *b;
    int want; /* -1, 0, 1 */
};

static const struct ch_version_scheme *scheme(const char *name)
{
    const struct ch_version_scheme *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_version_scheme_by_name(ch_str_c(name), &s, &err) != CH_OK)
        fail_msg("no scheme %s: %s", name, err.msg);
    return s;
}

static void check_cases(const struct cmp_case *cases, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cmp_case *c = &cases[i];
        const struct ch_version_scheme *s = scheme(c->scheme);
        for (int swap = 0; swap < 2; swap++) {
            const char *x = swap ? c->b : c->a;
            const char *y = swap ? c->a : c->b;
            int want = swap ? -c->want : c->want;
            struct ch_err err = CH_ERR_INIT;
            int got = 99;
            int rc = ch_version_cmp(s, ch_str_c(x), ch_str_c(y), &got, &err);
            if (rc != CH_OK || got != want) {
                fprintf(stderr, "%s: '%s' vs '%s': want %d, got %d (%s)\n", c->scheme, x, y, want,
                        rc == CH_OK ? got : 99, err.msg);
                bad++;
            }
        }
        /* reflexive */
        struct ch_err err = CH_ERR_INIT;
        int self = 99;
        assert_int_equal(ch_version_cmp(s, ch_str_c(c->a), ch_str_c(c->a), &self, &err), CH_OK);
        assert_int_equal(self, 0);
    }
    assert_int_equal(bad, 0);
}

/* Each list is strictly increasing: every pair compares by position. */
static void check_chain(const char *name, const char *const *chain, size_t n)
{
    const struct ch_version_scheme *s = scheme(name);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            struct ch_err err = CH_ERR_INIT;
            int got = 99;
            int want = (i > j) - (i < j);
            if (ch_version_cmp(s, ch_str_c(chain[i]), ch_str_c(chain[j]), &got, &err) != CH_OK ||
                got != want) {
                fprintf(stderr, "%s chain: '%s' vs '%s': want %d, got %d (%s)\n", name, chain[i],
                        chain[j], want, got, err.msg);
                bad++;
            }
        }
    }
    assert_int_equal(bad, 0);
}

static void check_invalid(const char *name, const char *const *list, size_t n)
{
    const struct ch_version_scheme *s = scheme(name);
    for (size_t i = 0; i < n; i++) {
        struct ch_err err = CH_ERR_INIT;
        int rc = ch_version_validate(s, ch_str_c(list[i]), &err);
        if (rc != CH_E_INVALID)
            fail_msg("%s: '%s' should be invalid (rc %d)", name, list[i], rc);
        /* the message names the version */
        if (list[i][0] != '\0' && strchr(list[i], '\t') == NULL && strlen(list[i]) < 60 &&
            !ch_test_contains(err.msg, list[i]))
            fail_msg("%s: message '%s' does not name '%s'", name, err.msg, list[i]);
        int c = 0;
        ch_err_clear(&err);
        assert_int_equal(ch_version_cmp(s, CH_STR_LIT("1.0.0"), ch_str_c(list[i]), &c, &err),
                         CH_E_INVALID);
    }
}

#define CHAIN(name, ...)                                                                           \
    do {                                                                                           \
        static const char *const chain_[] = {__VA_ARGS__};                                         \
        check_chain(name, chain_, CH_ARRAY_SIZE(chain_));                                          \
    } while (0)
#define INVALID(name, ...)                                                                         \
    do {                                                                                           \
        static const char *const inv_[] = {__VA_ARGS__};                                           \
        check_invalid(name, inv_, CH_ARRAY_SIZE(inv_));                                            \
    } while (0)

static void test_semver_precedence(void **state)
{
    (void)state;
    /* semver.org §11 example, then long numbers beyond double precision */
    CHAIN("semver", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
          "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1",
          "10.0.0", "9007199254740992.0.0", "9007199254740993.0.0");
    static const struct cmp_case cases[] = {
        {"semver", "1.0.0+build.1", "1.0.0+build.2", 0},
        {"semver", "v1.2.3", "1.2.3", 0},
        {"semver", "1.0.0-9007199254740993", "1.0.0-9007199254740992", 1},
        {"semver", "1.0.0-1", "1.0.0--", -1},
        {"semver", "1.0.0-a-b", "1.0.0-a", 1},
        {"semver", "1.0.0-0a", "1.0.0-1", 1}, /* "0a" is alphanumeric */
        {"semver", "1.0.0-Z", "1.0.0-a", -1}, /* ASCII order */
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("semver", "1.0", "1.0.0.0", "01.0.0", "1.0.0-01", "1.0.0-", "1.0.0+", "1.0.0-a..b",
            "1.0.0 ", "=1.0.0", "1.0.0-a_b");
}

static void test_go_versions(void **state)
{
    (void)state;
    CHAIN("go", "v0.0.0-20191109021931-daa7c04131f5", "v0.0.1", "v1.2.3",
          "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", "v1.10.0", "v2.0.0-rc.1");
    static const struct cmp_case cases[] = {
        {"go", "v2.0.0+incompatible", "v2.0.0", 0},
        {"go", "v1", "v1.0.0", 0},
        {"go", "v1.2", "v1.2.0", 0},
        {"go", "1.2.3", "v1.2.3", 0},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("go", "v1.2.3.4", "v01.2.3", "v1.2-pre", "vx");
}

static void test_pep440_order(void **state)
{
    (void)state;
    /* PEP 440 "Summary of permitted suffixes and relative ordering", with epochs */
    CHAIN("pep440", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
          "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456",
          "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456",
          "1.1.dev1", "1!0.1");
    static const struct cmp_case cases[] = {
        {"pep440", "1.0", "1.0.0", 0},
        {"pep440", "1.0-1", "1.0.post1", 0},
        {"pep440", "1.0RC1", "1.0rc1", 0},
        {"pep440", "1.0c1", "1.0rc1", 0},
        {"pep440", "1.0-pre-1", "1.0rc1", 0},
        {"pep440", "1.0preview2", "1.0rc2", 0},
        {"pep440", "1.0alpha", "1.0a0", 0},
        {"pep440", "v1.0", "1.0", 0},
        {"pep440", " 1.0 ", "1.0", 0},
        {"pep440", "1.0a.", "1.0a0", 0},
        {"pep440", "1.0.r4", "1.0.post4", 0},
        {"pep440", "1.0+ubuntu-1", "1.0+ubuntu.1", 0},
        {"pep440", "1.0+07", "1.0+7", 0},
        {"pep440", "1.0+a", "1.0+1", -1},
        {"pep440", "00000000000000000000000000001", "1", 0},
        {"pep440", "1.0.dev1", "1.0a1.dev1", -1},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("pep440", "1.0-", "1.0+", "1.0+a..b", "1.0.x", "a1", "1!", "1.0a1a2", "1.0 1", "1.0_1");
}

static void test_maven_order(void **state)
{
    (void)state;
    CHAIN("maven", "1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp", "1-abc",
          "1-1", "1.1", "1.1.1", "2");
    static const struct cmp_case cases[] = {
        {"maven", "1-cr", "1-rc", 0},
        {"maven", "1-ga", "1", 0},
        {"maven", "1-final", "1.0.0", 0},
        {"maven", "1-release", "1", 0},
        {"maven", "1.0-alpha", "1-alpha", 0},
        {"maven", "1.0.0.RC1", "1.0.0-RC2", -1}, /* MNG-7644 */
        {"maven", "2.0.x", "2-x", 0},
        {"maven", "1-0.1", "1", 1}, /* MNG-6964 */
        {"maven", "1a1", "1-alpha-1", 0},
        {"maven", "1.0-SNAPSHOT", "1.0-snapshot", 0},
        {"maven", "1.0.12345678901234567890", "1.0.12345678901234567889", 1},
        {"maven", "1..1", "1.0.1", 0},
        /* not transitive, exactly as maven-artifact 3.8.7 answers (fuzz corpus) */
        {"maven", "1.0.0.Rp2.1.0.0-.0.0-RC:", "1-0RC2", -1},
        {"maven", "1-0RC2", "1-0.-", -1},
        {"maven", "1.0.0.Rp2.1.0.0-.0.0-RC:", "1-0.-", 1},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("maven", "1.0 beta", "1.0\tx");
}

static void test_nuget_order(void **state)
{
    (void)state;
    CHAIN("nuget", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-alpha", "1.0.0-alpha.2",
          "1.0.0-alpha.10", "1.0.0-beta", "1.0.0", "1.0.0.1", "1.0.1", "1.1");
    static const struct cmp_case cases[] = {
        {"nuget", "1.0", "1.0.0.0", 0},
        {"nuget", "1", "1.0.0", 0},
        {"nuget", "1.01", "1.1", 0},
        {"nuget", "1.0.0-Alpha", "1.0.0-alpha", 0},
        {"nuget", "1.0.0+meta", "1.0.0", 0},
        {"nuget", "1.0.0-2147483648", "1.0.0-9", 1}, /* not an Int32: a word */
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("nuget", "1.0.0.0.0", "1.a", "v1.0", "1.0-", "1.0+", "1..0", "2147483648.0");
}

static void test_rubygems_order(void **state)
{
    (void)state;
    CHAIN("rubygems", "1.0.a", "1.0.a2", "1.0.b1", "1.0-rc1", "1.0", "1.0.1", "1.9", "1.10", "2");
    static const struct cmp_case cases[] = {
        {"rubygems", "1.0.0", "1", 0},      {"rubygems", "1.a.0", "1.a", 0},
        {"rubygems", "1.0.A", "1.0.a", -1}, {"rubygems", "1.0-rc1", "1.0.pre.rc1", 0},
        {"rubygems", " 1.0 ", "1.0", 0},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("rubygems", "1..0", "a1", "1.0-", "1a", "1.0 2", "1.0_1");
}

static void test_composer_order(void **state)
{
    (void)state;
    CHAIN("composer", "1.0.0-foo", "1.0.0-dev", "1.0.0-alpha", "1.0.0-beta", "1.0.0-RC1", "1.0.0",
          "1.0.0-pl1", "1.0.1", "1.10", "2");
    static const struct cmp_case cases[] = {
        {"composer", "1.0", "1.0.0", -1},         {"composer", "v1.2.3", "1.2.3", 0},
        {"composer", "1.0rc1", "1.0-rc1", 0},     {"composer", "1.0-rc1", "1.0.rc.1", 0},
        {"composer", "1.0a", "1.0alpha", 0},      {"composer", "1.0-foo", "1.0-xyz", 0},
        {"composer", "1.0-foo", "1.0-bar", -1}, /* "bar" reads as b(eta) */
        {"composer", "1.0-patch1", "1.0-pl1", 0}, {"composer", "1.0_RC1", "1.0+RC1", 0},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("composer", "1.0-", ".1", "1.0 ", "-1");
}

static void test_dpkg_order(void **state)
{
    (void)state;
    CHAIN("dpkg", "1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a", "1.0+", "1.0.1", "1.1", "2.30-1",
          "2.30-1ubuntu1", "1:0.1");
    static const struct cmp_case cases[] = {
        {"dpkg", "1.0", "1.0-0", 0},        {"dpkg", "0:1.0", "1.0", 0},
        {"dpkg", "1.001", "1.1", 0},        {"dpkg", "1:2:3-4", "1:2:3-4", 0},
        {"dpkg", "1.0-1-1", "1.0-1-2", -1},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("dpkg", "a1.0", "1.0-", ":1", "1:", "1 0", "x:1.0", "1.0_1", "1.0-a_b",
            "99999999999:1");
}

static void test_rpm_order(void **state)
{
    (void)state;
    CHAIN("rpm", "1.0~rc1", "1.0", "1.0^post", "1.0a", "1.0.0", "1.0.1", "1.0.1-1.el8",
          "1.0.1-1.el9", "1:0.1");
    static const struct cmp_case cases[] = {
        {"rpm", "1.01", "1.1", 0},      {"rpm", "1_0", "1.0", 0},
        {"rpm", "1.0-1", "1.0", 1},     {"rpm", "1.0-~1", "1.0", 1}, /* any release is above none */
        {"rpm", "0:1.0-1", "1.0-1", 0},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("rpm", "1.0-", ":1.0", "1.0 1", "-1");
}

static void test_apk_order(void **state)
{
    (void)state;
    CHAIN("apk", "1.0_alpha1", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0", "1.0-r1", "1.0-r2",
          "1.0_p1", "1.0_p1-r1", "1.0.1", "1.1", "1.2", "1.2a", "1.2b", "2.0");
    static const struct cmp_case cases[] = {
        {"apk", "1.0", "1.00", 1}, /* fewer leading zeros sort higher in apk-tools 2 */
        {"apk", "1.0_git20200101", "1.0", 1},
        {"apk", "1.0_cvs1", "1.0_p1", -1},
        {"apk", "1.0_alpha", "1.0", -1},
        {"apk", "3.0.0_alpha17", "3.0.0", -1},
        {"apk", "1.0a", "1.0", 1},
        {"apk", "123456789012345678901234567890", "123456789012345678901234567891", -1},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("apk", "1.0-beta", "1.0_foo", "1.0a.1", "1.0_rc1.1", "1.0A", "1.0 ");
}

static void test_numeric_orders(void **state)
{
    (void)state;
    CHAIN("cran", "0.9-1", "1.0.0", "1.0-1", "1.0-2", "1.0-2.1", "1.9", "1.10", "2.0");
    CHAIN("pvp", "0", "1", "1.0", "1.0.1", "1.2", "1.10");
    static const struct cmp_case cases[] = {
        {"cran", "1.01", "1.1", 0},
        {"cran", "1-1", "1.1", 0},
    };
    check_cases(cases, CH_ARRAY_SIZE(cases));
    INVALID("cran", "1", "1.0a", "1..0", "1.0-");
    INVALID("pvp", "1-0", "1.", "v1");
}

static void test_scheme_for_ecosystems(void **state)
{
    (void)state;
    static const struct {
        const char *eco;
        const char *scheme;
    } map[] = {
        {"npm", "semver"},
        {"crates.io", "semver"},
        {"Hex", "semver"},
        {"Pub", "semver"},
        {"SwiftURL", "semver"},
        {"GitHub Actions", "semver"},
        {"Go", "go"},
        {"PyPI", "pep440"},
        {"Maven", "maven"},
        {"Maven:https://maven.google.com", "maven"},
        {"NuGet", "nuget"},
        {"RubyGems", "rubygems"},
        {"Packagist", "composer"},
        {"Debian", "dpkg"},
        {"Debian:12", "dpkg"},
        {"Ubuntu:22.04:LTS", "dpkg"},
        {"Ubuntu:Pro:18.04:LTS", "dpkg"},
        {"Red Hat:rhel_aus:8.4::appstream", "rpm"},
        {"AlmaLinux:9", "rpm"},
        {"Rocky Linux:8", "rpm"},
        {"SUSE:Linux Enterprise Server 15 SP5", "rpm"},
        {"openSUSE:Tumbleweed", "rpm"},
        {"Mageia:9", "rpm"},
        {"Azure Linux:3", "rpm"},
        {"Photon OS:5.0", "rpm"},
        {"Alpine:v3.19", "apk"},
        {"Wolfi", "apk"},
        {"Chainguard", "apk"},
        {"CRAN", "cran"},
        {"Bioconductor", "cran"},
        {"Hackage", "pvp"},
        {"GHC", "pvp"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(map); i++) {
        const struct ch_version_scheme *s = NULL;
        struct ch_err err = CH_ERR_INIT;
        if (ch_version_scheme_for(ch_str_c(map[i].eco), &s, &err) != CH_OK)
            fail_msg("%s: %s", map[i].eco, err.msg);
        assert_string_equal(ch_version_scheme_name(s), map[i].scheme);
    }
    static const char *const unknown[] = {"OSS-Fuzz", "Linux", "Android", "debian",
                                          "NPM",      "Foo:1", "GIT"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(unknown); i++) {
        const struct ch_version_scheme *s = NULL;
        struct ch_err err = CH_ERR_INIT;
        assert_int_equal(ch_version_scheme_for(ch_str_c(unknown[i]), &s, &err), CH_E_UNSUPPORTED);
        assert_true(ch_test_contains(err.msg, unknown[i]));
    }
    const struct ch_version_scheme *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_version_scheme_for(CH_STR_LIT(""), &s, &err), CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_version_scheme_by_name(CH_STR_LIT("custom"), &s, &err), CH_E_UNSUPPORTED);
    ch_err_clear(&err);
    assert_int_equal(ch_version_scheme_by_name(CH_STR_LIT("Python"), &s, &err), CH_OK);
    assert_string_equal(ch_version_scheme_name(s), "pep440");
}

static void test_limits_and_empty(void **state)
{
    (void)state;
    char big[CH_VERSION_MAX_LEN + 2];
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (size_t i = 0; i < ch_version_scheme_count(); i++) {
        const struct ch_version_scheme *s = ch_version_scheme_at(i);
        struct ch_err err = CH_ERR_INIT;
        int c = 0;
        assert_int_equal(ch_version_cmp(s, ch_str_c(big), CH_STR_LIT("1"), &c, &err), CH_E_LIMIT);
        ch_err_clear(&err);
        assert_int_equal(ch_version_validate(s, CH_STR_LIT(""), &err), CH_E_INVALID);
        ch_err_clear(&err);
        /* exactly at the limit is fine where the grammar allows a long number */
        struct ch_str at = ch_str_make(big, CH_VERSION_MAX_LEN);
        int rc = ch_version_validate(s, at, &err);
        assert_true(rc == CH_OK || rc == CH_E_INVALID);
    }
    assert_null(ch_version_scheme_at(ch_version_scheme_count()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_semver_precedence), cmocka_unit_test(test_go_versions),
        cmocka_unit_test(test_pep440_order),      cmocka_unit_test(test_maven_order),
        cmocka_unit_test(test_nuget_order),       cmocka_unit_test(test_rubygems_order),
        cmocka_unit_test(test_composer_order),    cmocka_unit_test(test_dpkg_order),
        cmocka_unit_test(test_rpm_order),         cmocka_unit_test(test_apk_order),
        cmocka_unit_test(test_numeric_orders),    cmocka_unit_test(test_scheme_for_ecosystems),
        cmocka_unit_test(test_limits_and_empty),
    };
    return cmocka_run_group_tests_name("version", tests, NULL, NULL);
}
