/* SPDX-License-Identifier: Apache-2.0
 * Tests of the CVE JSON 5 reader: field mapping on fixtures of our own,
 * malformed and hostile records, limits, allocation failure, and the whole
 * vulnrichment corpus of the shared data set. */
#include "testutil.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/archive.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "vuln/cve5.h"

/* CH_TESTABLE in cve5.c */
char *ch_cve5__summary(struct ch_arena *arena, const char *text);

#define ARENA_MAX ((size_t)64 << 20)

static int64_t t(const char *s)
{
    int64_t v = -1;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_time_parse(ch_str_c(s), &v, NULL, &err), CH_OK);
    return v;
}

/* Reads fixture `name` into buf and parses it into *a with arena. */
static int read_fixture(const char *name, struct ch_buf *buf, struct ch_arena *arena,
                        struct ch_advisory *a, struct ch_err *err)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "cve5/%s", name);
    char *path = ch_test_fixture(rel);
    ch_test_read_file(path, buf);
    ch_free(path);
    return ch_cve5_read(ch_buf_cstr(buf), ch_buf_len(buf), name, arena, a, err);
}

static void test_cve5_read_full(void **state)
{
    (void)state;
    struct ch_buf buf;
    ch_buf_init(&buf, ARENA_MAX);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct ch_advisory a;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("full.json", &buf, arena, &a, &err), CH_OK);
    assert_int_equal(a.source, CH_ADV_CVE5);
    assert_string_equal(a.id, "CVE-2024-99901");
    assert_int_equal(a.n_aliases, 0);
    assert_int_equal(a.published, t("2024-02-03T04:05:06Z"));
    assert_int_equal(a.modified, t("2024-09-17T19:27:50Z"));
    assert_int_equal(a.modified_nsec, 484000000);
    assert_int_equal(a.withdrawn, -1);
    /* English description chosen; summary stops at the first sentence, not at "e.g." */
    assert_true(ch_test_contains(a.details, "This allows remote attackers"));
    assert_string_equal(a.summary,
                        "The parser in exampleproj before 2.3.1 mishandles e.g. nested lists.");
    /* affected: two from the CNA, one from the CISA ADP */
    assert_int_equal(a.n_affected, 3);
    assert_string_equal(a.affected[0].vendor, "exampleorg");
    assert_string_equal(a.affected[0].product, "exampleproj");
    assert_string_equal(a.affected[0].ecosystem, "PyPI");
    assert_string_equal(a.affected[0].name, "exampleproj");
    assert_string_equal(a.affected[0].status, "unaffected");
    assert_int_equal(a.affected[0].n_cpes, 1); /* the duplicate is dropped */
    assert_true(ch_test_contains(a.affected[0].cve_versions_json, "\"lessThan\":\"2.3.1\""));
    assert_null(a.affected[1].ecosystem); /* unknown registry */
    assert_string_equal(a.affected[1].name, "exampleproj-web");
    assert_null(a.affected[1].cve_versions_json);
    assert_int_equal(a.affected[2].n_cpes, 1);
    /* severity: CNA v3.1 and v4.0; v2 not modelled; the ADP's ignored as the CNA has some */
    assert_int_equal(a.n_severity, 2);
    assert_string_equal(a.severity[0].type, "CVSS_V3");
    assert_string_equal(a.severity[0].score, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
    assert_string_equal(a.severity[1].type, "CVSS_V4");
    /* CWEs: by id and by text; the ADP's ignored */
    assert_int_equal(a.n_cwes, 2);
    assert_string_equal(a.cwes[0], "CWE-674");
    assert_string_equal(a.cwes[1], "CWE-400");
    assert_int_equal(a.n_references, 3);
    assert_string_equal(a.references[0].type, "FIX");
    assert_string_equal(a.references[1].type, "ADVISORY");
    assert_string_equal(a.references[2].type, "WEB");
    assert_int_equal(a.n_credits, 2);
    assert_string_equal(a.credits[0].type, "FINDER");
    assert_string_equal(a.credits[1].type, "REMEDIATION_DEVELOPER");
    /* CISA ADP */
    assert_true(a.has_ssvc);
    assert_string_equal(a.ssvc.exploitation, "active");
    assert_string_equal(a.ssvc.automatable, "yes");
    assert_string_equal(a.ssvc.technical_impact, "partial");
    assert_int_equal(a.ssvc.timestamp, t("2024-09-17T19:26:57Z"));
    assert_true(a.kev);
    assert_int_equal(a.kev_date_added, t("2024-09-18"));
    assert_ptr_equal(a.raw.ptr, ch_buf_cstr(&buf));
    assert_int_equal(a.raw.len, ch_buf_len(&buf));
    ch_arena_free(arena);
    ch_buf_release(&buf);
}

static void test_cve5_read_adp_fallback(void **state)
{
    (void)state;
    struct ch_buf buf;
    ch_buf_init(&buf, ARENA_MAX);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct ch_advisory a;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("adp-only-cvss.json", &buf, arena, &a, &err), CH_OK);
    assert_int_equal(a.n_severity, 1);
    assert_string_equal(a.severity[0].score, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_int_equal(a.n_cwes, 1);
    assert_string_equal(a.cwes[0], "CWE-787");
    assert_false(a.kev);
    assert_int_equal(a.kev_date_added, -1);
    assert_true(a.has_ssvc);
    assert_string_equal(a.ssvc.technical_impact, "total");
    assert_true(strlen(a.summary) <= 200);
    assert_true(strlen(a.summary) >= 100);
    assert_true(ch_str_starts_with(ch_str_c(a.details), a.summary));
    assert_int_equal(a.published, t("2023-05-01T00:00:00Z"));
    ch_arena_free(arena);
    ch_buf_release(&buf);
}

static void test_cve5_read_rejected(void **state)
{
    (void)state;
    struct ch_buf buf;
    ch_buf_init(&buf, ARENA_MAX);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct ch_advisory a;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("rejected.json", &buf, arena, &a, &err), CH_OK);
    assert_int_equal(a.withdrawn, t("2023-03-04T05:06:07Z"));
    assert_int_equal(a.modified, t("2023-03-04T05:06:08Z"));
    assert_int_equal(a.published, -1);
    assert_true(ch_test_contains(a.details, "REJECT"));
    assert_int_equal(a.n_affected, 0);
    ch_arena_free(arena);
    ch_buf_release(&buf);
}

static void test_cve5_summary_cuts(void **state)
{
    (void)state;
    struct ch_arena *arena = ch_arena_new(1 << 20);
    assert_string_equal(ch_cve5__summary(arena, "  One. Two."), "One.");
    assert_string_equal(ch_cve5__summary(arena, "No end"), "No end");
    assert_string_equal(ch_cve5__summary(arena, "Line\nbreak. x"), "Line break.");
    assert_string_equal(ch_cve5__summary(arena, "v1.2.3 is bad"), "v1.2.3 is bad");
    char long_text[600];
    memset(long_text, 'a', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    assert_int_equal(strlen(ch_cve5__summary(arena, long_text)), 200);
    /* a 2-byte character across the 200-byte mark is not split */
    char utf[400];
    memset(utf, 'b', sizeof(utf));
    utf[199] = '\xc3';
    utf[200] = '\xa9';
    utf[399] = '\0';
    assert_int_equal(strlen(ch_cve5__summary(arena, utf)), 199);
    ch_arena_free(arena);
}

static void test_cve5_ecosystem_of_url(void **state)
{
    (void)state;
    assert_string_equal(ch_cve5_ecosystem_of_url("https://pypi.org"), "PyPI");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://pypi.org/project/pip"), "PyPI");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://pypi.python.org/"), "PyPI");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://www.npmjs.com"), "npm");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://repo.maven.apache.org/maven2/"), "Maven");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://crates.io"), "crates.io");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://rubygems.org"), "RubyGems");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://packagist.org"), "Packagist");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://www.nuget.org"), "NuGet");
    assert_string_equal(ch_cve5_ecosystem_of_url("https://pkg.go.dev"), "Go");
    assert_null(ch_cve5_ecosystem_of_url("https://pypi.org.evil.example"));
    assert_null(ch_cve5_ecosystem_of_url("https://wordpress.org/plugins"));
    assert_null(ch_cve5_ecosystem_of_url(NULL));
}

/* Each malformed fixture fails with the given code and a message naming the place. */
static void test_cve5_read_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int rc;
        const char *where;
    } cases[] = {
        {"bad-versions-type.json", CH_E_INVALID, "containers.cna.affected[0].versions"},
        {"dup-key.json", CH_E_INVALID, "duplicate key 'cveMetadata.state'"},
        {"bad-utf8.json", CH_E_INVALID, "bad-utf8.json:3:"},
        {"deep.json", CH_E_LIMIT, "nesting deeper"},
        {"bad-id.json", CH_E_INVALID, "cveMetadata.cveId"},
        {"bad-date.json", CH_E_INVALID, "cveMetadata.dateUpdated"},
        {"cvss-no-vector.json", CH_E_INVALID, "containers.cna.metrics[0].cvssV3_1.vectorString"},
        {"wrong-version.json", CH_E_INVALID, "dataVersion"},
        {"truncated.json", CH_E_INVALID, "truncated.json:1:"},
        {"not-object.json", CH_E_INVALID, "expected an object"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_buf buf;
        ch_buf_init(&buf, ARENA_MAX);
        struct ch_arena *arena = ch_arena_new(ARENA_MAX);
        struct ch_advisory a = {.id = "untouched"};
        struct ch_err err = CH_ERR_INIT;
        int rc = read_fixture(cases[i].file, &buf, arena, &a, &err);
        if (rc != cases[i].rc || !ch_test_contains(err.msg, cases[i].where))
            fail_msg("%s: rc %d, message '%s'", cases[i].file, rc, err.msg);
        assert_string_equal(a.id, "untouched"); /* written only on success */
        ch_arena_free(arena);
        ch_buf_release(&buf);
    }
}

static const char record_head[] =
    "{\"dataType\":\"CVE_RECORD\",\"dataVersion\":\"5.1\",\"cveMetadata\":{\"cveId\":"
    "\"CVE-2024-10000\",\"state\":\"PUBLISHED\",\"dateUpdated\":\"2024-01-01T00:00:00Z\"},"
    "\"containers\":{\"cna\":{";

static int read_generated(struct ch_buf *doc, struct ch_err *err)
{
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct ch_advisory a;
    int rc = ch_cve5_read(ch_buf_cstr(doc), ch_buf_len(doc), "gen", arena, &a, err);
    ch_arena_free(arena);
    return rc;
}

static void test_cve5_read_limits(void **state)
{
    (void)state;
    struct ch_buf doc;
    ch_buf_init(&doc, (size_t)64 << 20);
    struct ch_err err = CH_ERR_INIT;
    /* a 2 MiB description */
    ch_buf_append_c(&doc, record_head);
    ch_buf_append_c(&doc, "\"descriptions\":[{\"lang\":\"en\",\"value\":\"");
    for (int i = 0; i < (2 << 20) / 64; i++)
        ch_buf_append_c(&doc, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    ch_buf_append_c(&doc, "\"}]}}}");
    assert_int_equal(read_generated(&doc, &err), CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "string longer than"));
    /* 9,000 affected entries */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    ch_buf_append_c(&doc, record_head);
    ch_buf_append_c(&doc, "\"affected\":[");
    for (int i = 0; i < 9000; i++)
        ch_buf_append_c(&doc, i == 0 ? "{}" : ",{}");
    ch_buf_append_c(&doc, "]}}}");
    assert_int_equal(read_generated(&doc, &err), CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "containers.cna.affected"));
    /* an affected entry of the wrong type after good ones names its index */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    ch_buf_append_c(&doc, record_head);
    ch_buf_append_c(&doc, "\"affected\":[{},{},7]}}}");
    assert_int_equal(read_generated(&doc, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "containers.cna.affected[2]"));
    assert_string_equal(err.field, "containers.cna.affected[2]");
    /* a date before 1970 would collide with -1, "absent" */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    ch_buf_append_c(&doc, "{\"dataType\":\"CVE_RECORD\",\"dataVersion\":\"5.1\",\"cveMetadata\":"
                          "{\"cveId\":\"CVE-2024-10000\",\"state\":\"PUBLISHED\","
                          "\"dateUpdated\":\"1969-12-31T23:59:59Z\"},\"containers\":{\"cna\":{}}}");
    assert_int_equal(read_generated(&doc, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "cveMetadata.dateUpdated': date before 1970"));
    /* a record over the size limit is refused before parsing */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    assert_int_equal(ch_buf_reserve(&doc, (size_t)17 << 20), CH_OK);
    ch_buf_append_c(&doc, "{\"a\":\"");
    while (ch_buf_len(&doc) < ((size_t)17 << 20))
        ch_buf_append_c(&doc, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ch_buf_append_c(&doc, "\"}");
    assert_int_equal(read_generated(&doc, &err), CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "exceeds the limit"));
    ch_buf_release(&doc);
}

static size_t read_sample_dir(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            n += read_sample_dir(path);
            continue;
        }
        struct ch_buf buf;
        ch_buf_init(&buf, ARENA_MAX);
        ch_test_read_file(path, &buf);
        struct ch_arena *arena = ch_arena_new(ARENA_MAX);
        struct ch_advisory a;
        struct ch_err err = CH_ERR_INIT;
        int rc = ch_cve5_read(ch_buf_cstr(&buf), ch_buf_len(&buf), e->d_name, arena, &a, &err);
        if (rc != CH_OK)
            fail_msg("%s: %s", path, err.msg);
        assert_true(ch_is_cve_id(a.id));
        if (strstr(path, "rejected") != NULL)
            assert_true(a.withdrawn >= 0);
        if (strstr(path, "adp-cvss31") != NULL)
            assert_int_equal(a.n_severity, 1); /* the CNA has none: the ADP's is taken */
        ch_arena_free(arena);
        ch_buf_release(&buf);
        n++;
    }
    closedir(d);
    return n;
}

/* The loose records of the shared data set: 5 vulnrichment samples, 24 osv.dev test records. */
static void test_cve5_read_shared_samples(void **state)
{
    (void)state;
    char *samples = ch_test_shared("cve5/samples");
    char *osv = ch_test_shared("cve5/osv-dev-testdata");
    if (samples != NULL)
        assert_int_equal(read_sample_dir(samples), 5);
    if (osv != NULL)
        assert_int_equal(read_sample_dir(osv), 24);
    ch_free(samples);
    ch_free(osv);
}

/*
 * Every record of the vulnrichment snapshot: 44,130 files (44,102 of data
 * version 5.1 and 28 of 5.0, counted with tar and a JSON tool), all valid, so
 * all must be accepted. Prints the rejections and the speed.
 */
#define CVE5_CORPUS_RECORDS 44130
#define CVE5_CORPUS_REJECTED 104
#define CVE5_CORPUS_KEV 224
#define CVE5_CORPUS_SSVC 44026

static void test_cve5_corpus_vulnrichment(void **state)
{
    (void)state;
    char *path = ch_test_shared("cve5/vulnrichment-cve5.tar.zst");
    if (path == NULL)
        return;
    struct ch_archive *ar = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_archive_open(path, NULL, 0, &ar, &err), CH_OK);
    struct ch_buf buf;
    ch_buf_init(&buf, (size_t)64 << 20);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    size_t accepted = 0, rejected = 0, withdrawn = 0, kev = 0, ssvc = 0, eco = 0;
    size_t bytes = 0;
    int64_t parse_ns = 0;
    const char *name = NULL;
    int rc;
    while ((rc = ch_archive_next(ar, &name, &err)) == 1) {
        assert_int_equal(ch_archive_read(ar, &buf, &err), CH_OK);
        struct ch_advisory a;
        struct ch_err rerr = CH_ERR_INIT;
        int64_t t0 = ch_clock_mono_ns();
        int prc = ch_cve5_read(ch_buf_cstr(&buf), ch_buf_len(&buf), name, arena, &a, &rerr);
        parse_ns += ch_clock_mono_ns() - t0;
        bytes += ch_buf_len(&buf);
        if (prc != CH_OK) {
            rejected++;
            print_message("rejected %s: %s\n", name, rerr.msg);
        } else {
            accepted++;
            withdrawn += a.withdrawn >= 0;
            kev += a.kev;
            ssvc += a.has_ssvc;
            for (size_t i = 0; i < a.n_affected; i++)
                eco += a.affected[i].ecosystem != NULL;
        }
        ch_arena_reset(arena);
    }
    assert_int_equal(rc, 0);
    double secs = (double)parse_ns / 1e9;
    print_message("cve5 corpus: %zu accepted, %zu rejected, %zu withdrawn, %zu KEV, %zu SSVC, "
                  "%zu affected with an ecosystem; %.2f s parsing %.0f MB: %.0f records/s\n",
                  accepted, rejected, withdrawn, kev, ssvc, eco, secs, (double)bytes / 1e6,
                  secs > 0 ? (double)accepted / secs : 0.0);
    assert_int_equal(rejected, 0);
    assert_int_equal(accepted, CVE5_CORPUS_RECORDS);
    assert_int_equal(withdrawn, CVE5_CORPUS_REJECTED);
    assert_int_equal(kev, CVE5_CORPUS_KEV);
    assert_int_equal(ssvc, CVE5_CORPUS_SSVC);
    ch_arena_free(arena);
    ch_buf_release(&buf);
    ch_archive_free(ar);
    ch_free(path);
}

/* ---- allocation failure ---- */

static struct ch_buf oom_doc;

static int body_read(void)
{
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    if (arena == NULL)
        return CH_E_NOMEM;
    struct ch_advisory a;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_cve5_read(ch_buf_cstr(&oom_doc), ch_buf_len(&oom_doc), "oom", arena, &a, &err);
    if (rc != CH_OK && err.msg[0] == '\0')
        rc = CH_E_INTERNAL; /* every failure must say why */
    ch_arena_free(arena);
    return rc;
}

static void test_cve5_read_oom(void **state)
{
    (void)state;
    char *path = ch_test_fixture("cve5/full.json");
    ch_buf_init(&oom_doc, ARENA_MAX);
    ch_test_read_file(path, &oom_doc);
    ch_free(path);
    for (long n = 0; n < 100000; n++) {
        ch_alloc_fault_enable(n);
        int rc = body_read();
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        if (rc == CH_OK && hits == 0)
            break;
        if (rc == CH_OK)
            fail_msg("succeeded although allocation %ld failed", n);
        if (rc != CH_E_NOMEM)
            fail_msg("allocation %ld failed with rc %d, want NOMEM", n, rc);
    }
    ch_buf_release(&oom_doc);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cve5_read_full),
        cmocka_unit_test(test_cve5_read_adp_fallback),
        cmocka_unit_test(test_cve5_read_rejected),
        cmocka_unit_test(test_cve5_summary_cuts),
        cmocka_unit_test(test_cve5_ecosystem_of_url),
        cmocka_unit_test(test_cve5_read_malformed),
        cmocka_unit_test(test_cve5_read_limits),
        cmocka_unit_test(test_cve5_read_shared_samples),
        cmocka_unit_test(test_cve5_read_oom),
        cmocka_unit_test(test_cve5_corpus_vulnrichment),
    };
    return cmocka_run_group_tests_name("vuln cve5", tests, NULL, NULL);
}
