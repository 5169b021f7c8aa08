/* SPDX-License-Identifier: Apache-2.0
 * Tests of feed format detection: content heads of each format (our
 * fixtures and the shared data set), name fallbacks, format names. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/archive.h"
#include "vuln/detect.h"

static enum ch_feed_format detect_c(const char *name, const char *head)
{
    return ch_feed_detect(name, head, strlen(head));
}

static void test_feed_detect_content(void **state)
{
    (void)state;
    assert_int_equal(detect_c(NULL,
                              "#model_version:v2025.03.14,score_date:2025-03-16T00:00:00+0000\n"
                              "cve,epss,percentile\n"),
                     CH_FEED_EPSS);
    assert_int_equal(detect_c(NULL, "cve,epss,percentile\nCVE-1999-0001,0.1,0.2\n"), CH_FEED_EPSS);
    assert_int_equal(detect_c(NULL, "{\"dataType\": \"CVE_RECORD\", \"dataVersion\": \"5.1\"}"),
                     CH_FEED_CVE5);
    assert_int_equal(detect_c(NULL, "{\n  \"containers\": {},\n  \"dataType\"\t:\"CVE_RECORD\""),
                     CH_FEED_CVE5);
    assert_int_equal(
        detect_c(NULL, "{\"document\": {\"category\": \"csaf_vex\", \"csaf_version\": \"2.0\""),
        CH_FEED_CSAF);
    assert_int_equal(
        detect_c(NULL, "{\"title\": \"CISA Catalog\", \"catalogVersion\": \"2025.08.25\""),
        CH_FEED_KEV);
    assert_int_equal(detect_c(NULL, "{\"schema_version\": \"1.6.0\", \"id\": \"X-1\"}"),
                     CH_FEED_OSV);
    assert_int_equal(
        detect_c(NULL, "{\"id\": \"GHSA-aaaa-bbbb-cccc\", \"modified\": \"2024-01-01T00:00:00Z\""),
        CH_FEED_OSV);
    assert_int_equal(detect_c(NULL, "{\"id\":\"PYSEC-2021-1\",\"affected\":[]}"), CH_FEED_OSV);
    assert_int_equal(detect_c(NULL, "{\"id\":\"RUSTSEC-2021-0001\",\"modified\":\"x\"}"),
                     CH_FEED_OSV);
    /* an unknown id prefix with only "modified" is not enough */
    assert_int_equal(detect_c(NULL, "{\"id\": \"TICKET-1\", \"modified\": \"2024\"}"),
                     CH_FEED_UNKNOWN);
    /* a value mentioning a key, not a key */
    assert_int_equal(detect_c(NULL, "{\"text\": \"see catalogVersion and csaf_version\"}"),
                     CH_FEED_UNKNOWN);
    assert_int_equal(detect_c(NULL, "{\"dataType\": \"CVE_RECORD_X\"}"), CH_FEED_UNKNOWN);
    assert_int_equal(detect_c(NULL, "\xef\xbb\xbf{\"catalogVersion\":\"1\"}"), CH_FEED_KEV);
    assert_int_equal(detect_c(NULL, "PK\x03\x04"), CH_FEED_UNKNOWN);
    assert_int_equal(detect_c(NULL, ""), CH_FEED_UNKNOWN);
    assert_int_equal(ch_feed_detect(NULL, NULL, 0), CH_FEED_UNKNOWN);
    /* a truncated head still works: the telling key comes early */
    static const char cut[] =
        "{\"dataType\": \"CVE_RECORD\", \"cveMetadata\": {\"cveId\": \"CVE-20";
    assert_int_equal(ch_feed_detect(NULL, cut, sizeof(cut) - 1), CH_FEED_CVE5);
    assert_int_equal(ch_feed_detect(NULL, cut, 20), CH_FEED_UNKNOWN);
}

static void test_feed_detect_name(void **state)
{
    (void)state;
    assert_int_equal(ch_feed_detect("data/epss_scores-2025-03-16.csv.gz", NULL, 0), CH_FEED_EPSS);
    assert_int_equal(ch_feed_detect("EPSS.csv", "", 0), CH_FEED_EPSS);
    assert_int_equal(ch_feed_detect("kev/known_exploited_vulnerabilities.json", "", 0),
                     CH_FEED_KEV);
    assert_int_equal(ch_feed_detect("scores.csv", "", 0), CH_FEED_UNKNOWN);
    assert_int_equal(ch_feed_detect("epss/readme.txt", "", 0), CH_FEED_UNKNOWN);
    /* the content wins over the name */
    assert_int_equal(
        detect_c("known_exploited_vulnerabilities.json", "{\"dataType\":\"CVE_RECORD\"}"),
        CH_FEED_CVE5);
}

static void check_file(const char *path, enum ch_feed_format want)
{
    if (path == NULL)
        return;
    struct ch_buf buf;
    ch_buf_init(&buf, (size_t)64 << 20);
    ch_test_read_file(path, &buf);
    size_t n = ch_buf_len(&buf) < CH_FEED_DETECT_HEAD ? ch_buf_len(&buf) : CH_FEED_DETECT_HEAD;
    enum ch_feed_format got = ch_feed_detect(path, ch_buf_cstr(&buf), n);
    if (got != want)
        fail_msg("%s: detected %s, want %s", path, ch_feed_format_name(got),
                 ch_feed_format_name(want));
    ch_buf_release(&buf);
}

static void test_feed_detect_files(void **state)
{
    (void)state;
    static const struct {
        const char *rel;
        enum ch_feed_format want;
    } fixtures[] = {
        {"cve5/full.json", CH_FEED_CVE5},           {"cve5/rejected.json", CH_FEED_CVE5},
        {"csaf/full.json", CH_FEED_CSAF},           {"csaf/not-csaf.json", CH_FEED_UNKNOWN},
        {"kev/catalog.json", CH_FEED_KEV},          {"epss/scores.csv", CH_FEED_EPSS},
        {"epss/no-comment-crlf.csv", CH_FEED_EPSS},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(fixtures); i++) {
        char *path = ch_test_fixture(fixtures[i].rel);
        check_file(path, fixtures[i].want);
        ch_free(path);
    }
    static const struct {
        const char *rel;
        enum ch_feed_format want;
    } shared[] = {
        {"cve5/samples/dv50/CVE-2023-47691.json", CH_FEED_CVE5},
        {"cve5/osv-dev-testdata/cve5/CVE-2024-3094.json", CH_FEED_CVE5},
        {"csaf/loopback/lbsa-20201130.csaf.json", CH_FEED_CSAF},
        {"csaf/redhat-from-osv-schema/rhsa-2024_4420.json", CH_FEED_CSAF},
        {"kev/known_exploited_vulnerabilities.json", CH_FEED_KEV},
        {"osv/samples/loopback-npm/lbsa-20201130.osv.json", CH_FEED_OSV},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(shared); i++) {
        char *path = ch_test_shared(shared[i].rel);
        check_file(path, shared[i].want);
        ch_free(path);
    }
}

/* Every entry of the shared feed archives is detected as its format. */
static void test_feed_detect_corpora(void **state)
{
    (void)state;
    static const struct {
        const char *rel;
        enum ch_feed_format want;
        size_t other; /* entries of another kind (feeds, indexes) */
    } sets[] = {
        {"cve5/vulnrichment-cve5.tar.zst", CH_FEED_CVE5, 0},
        {"csaf/cisa-csaf-advisories.zip", CH_FEED_CSAF, 2},
        {"osv/go-vulndb.zip", CH_FEED_OSV, 0},
        {"osv/pypi-pypa.zip", CH_FEED_OSV, 0},
        {"osv/crates-rustsec.zip", CH_FEED_OSV, 0},
        {"osv/almalinux.zip", CH_FEED_OSV, 0},
        {"osv/oss-fuzz.zip", CH_FEED_OSV, 0},
        {"osv/bitnami.zip", CH_FEED_OSV, 0},
        {"osv/psf.zip", CH_FEED_OSV, 0},
        {"osv/hackage-hsec.zip", CH_FEED_OSV, 0},
        {"osv/cran-rsec.zip", CH_FEED_OSV, 0},
    };
    struct ch_buf buf;
    ch_buf_init(&buf, (size_t)64 << 20);
    for (size_t i = 0; i < CH_ARRAY_SIZE(sets); i++) {
        char *path = ch_test_shared(sets[i].rel);
        if (path == NULL)
            continue;
        struct ch_archive *ar = NULL;
        struct ch_err err = CH_ERR_INIT;
        assert_int_equal(ch_archive_open(path, NULL, 0, &ar, &err), CH_OK);
        const char *name = NULL;
        size_t n = 0, other = 0;
        int rc;
        while ((rc = ch_archive_next(ar, &name, &err)) == 1) {
            assert_int_equal(ch_archive_read(ar, &buf, &err), CH_OK);
            size_t len =
                ch_buf_len(&buf) < CH_FEED_DETECT_HEAD ? ch_buf_len(&buf) : CH_FEED_DETECT_HEAD;
            enum ch_feed_format got = ch_feed_detect(name, ch_buf_cstr(&buf), len);
            n++;
            if (got != sets[i].want) {
                other++;
                print_message("%s: %s detected as %s\n", sets[i].rel, name,
                              ch_feed_format_name(got));
            }
        }
        assert_int_equal(rc, 0);
        print_message("%s: %zu entries, %zu of another kind\n", sets[i].rel, n, other);
        assert_int_equal(other, sets[i].other);
        ch_archive_free(ar);
        ch_free(path);
    }
    ch_buf_release(&buf);
}

static void test_feed_format_names(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    for (int f = CH_FEED_OSV; f < CH_FEED_COUNT; f++) {
        enum ch_feed_format back = CH_FEED_UNKNOWN;
        const char *name = ch_feed_format_name((enum ch_feed_format)f);
        assert_int_equal(ch_feed_format_parse(ch_str_c(name), &back, &err), CH_OK);
        assert_int_equal(back, f);
    }
    assert_string_equal(ch_feed_format_name(CH_FEED_UNKNOWN), "unknown");
    assert_string_equal(ch_feed_format_name(CH_FEED_COUNT), "unknown");
    assert_string_equal(ch_feed_format_name(CH_FEED_CVE5), "cve5");
    enum ch_feed_format f = CH_FEED_UNKNOWN;
    assert_int_equal(ch_feed_format_parse(ch_str_c("CSAF"), &f, &err), CH_OK);
    assert_int_equal(f, CH_FEED_CSAF);
    f = CH_FEED_OSV;
    assert_int_equal(ch_feed_format_parse(ch_str_c("unknown"), &f, &err), CH_E_INVALID);
    assert_int_equal(f, CH_FEED_OSV); /* untouched on failure */
    assert_true(ch_test_contains(err.msg, "'unknown'"));
    assert_true(ch_test_contains(err.msg, "osv, cve5, csaf, kev or epss"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_detect_content), cmocka_unit_test(test_feed_detect_name),
        cmocka_unit_test(test_feed_detect_files),   cmocka_unit_test(test_feed_detect_corpora),
        cmocka_unit_test(test_feed_format_names),
    };
    return cmocka_run_group_tests_name("vuln detect", tests, NULL, NULL);
}
