/* SPDX-License-Identifier: Apache-2.0
 * OSV reader: every field of the schema kept; malformed and hostile records
 * rejected with the place named; allocation failure handled. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "vuln/osv.h"

static int read_fixture(const char *rel, struct ch_buf *data, struct ch_arena *arena,
                        struct ch_advisory *a, struct ch_err *err)
{
    char *path = ch_test_fixture(rel);
    ch_test_read_file(path, data);
    ch_free(path);
    return ch_osv_read(ch_buf_cstr(data), ch_buf_len(data), rel, arena, a, err);
}

static void test_osv_reads_every_field(void **state)
{
    struct ch_buf data;
    ch_buf_init(&data, 1 << 20);
    struct ch_arena *arena = ch_arena_new(1 << 20);
    struct ch_advisory a;
    struct ch_err err = CH_ERR_INIT;
    if (read_fixture("osv/good/GHSA-test-0001.json", &data, arena, &a, &err) != CH_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(a.source, CH_ADV_OSV);
    assert_string_equal(a.id, "GHSA-test-0001");
    assert_int_equal(a.n_aliases, 1);
    assert_string_equal(a.aliases[0], "CVE-2024-0001");
    assert_true(a.modified == 1709287200);
    assert_int_equal(a.modified_nsec, 123456000);
    assert_true(a.published == 1706745600);
    assert_true(a.withdrawn == -1);
    assert_string_equal(a.summary, "Path traversal in examplelib");
    assert_int_equal(a.n_severity, 1);
    assert_string_equal(a.severity[0].type, "CVSS_V3");
    assert_int_equal(a.n_affected, 2);
    const struct ch_adv_affected *p = &a.affected[0];
    assert_string_equal(p->ecosystem, "PyPI");
    assert_string_equal(p->name, "Example_Lib");
    assert_string_equal(p->purl, "pkg:pypi/example-lib");
    assert_int_equal(p->n_ranges, 2);
    assert_string_equal(p->ranges[1].type, "ECOSYSTEM");
    assert_int_equal(p->ranges[1].events[1].kind, CH_ADV_LAST_AFFECTED);
    assert_string_equal(p->ranges[1].events[1].value, "2.1.0");
    assert_int_equal(p->n_versions, 4);
    assert_string_equal(p->database_specific_json, "{\"source\":\"test\"}");
    const struct ch_adv_affected *n = &a.affected[1];
    assert_int_equal(n->ranges[0].n_events, 3);
    assert_int_equal(n->ranges[0].events[1].kind, CH_ADV_LIMIT);
    assert_int_equal(n->n_severity, 1);
    assert_int_equal(a.n_references, 2);
    assert_string_equal(a.references[1].type, "FIX");
    assert_int_equal(a.n_credits, 1);
    assert_string_equal(a.credits[0].type, "FINDER");
    assert_int_equal(a.n_cwes, 1);
    assert_string_equal(a.cwes[0], "CWE-22");
    assert_int_equal(a.raw.len, ch_buf_len(&data));
    ch_arena_free(arena);
    ch_buf_release(&data);
}

static void test_osv_git_withdrawn_and_packageless(void **state)
{
    struct ch_buf data;
    ch_buf_init(&data, 1 << 20);
    struct ch_arena *arena = ch_arena_new(1 << 20);
    struct ch_advisory a;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("osv/good/PYSEC-test-0001.json", &data, arena, &a, &err), CH_OK);
    assert_string_equal(a.affected[0].ranges[0].type, "GIT");
    assert_string_equal(a.affected[0].ranges[0].repo, "https://github.com/example/examplelib");
    assert_int_equal(read_fixture("osv/good/GO-test-0002.json", &data, arena, &a, &err), CH_OK);
    assert_true(a.withdrawn == 1704931200);
    assert_int_equal(read_fixture("osv/good/OSV-test-0003.json", &data, arena, &a, &err), CH_OK);
    assert_null(a.affected[0].ecosystem);
    assert_null(a.affected[0].name);
    assert_int_equal(read_fixture("osv/good/DSA-test-0004.json", &data, arena, &a, &err), CH_OK);
    assert_int_equal(a.n_related, 1);
    ch_arena_free(arena);
    ch_buf_release(&data);
}

static void test_osv_rejects_with_place(void **state)
{
    static const struct {
        const char *file;
        const char *want;
    } cases[] = {
        {"missing-id.json", "field 'id': missing"},
        {"bad-modified.json", "field 'modified'"},
        {"two-keys-event.json", "affected[0].ranges[0].events[0]"},
        {"git-without-repo.json", "affected[0].ranges[0].repo"},
        {"id-not-string.json", "field 'id': expected a string"},
        {"aliases-not-array.json", "field 'aliases': expected an array"},
        {"duplicate-key.json", "duplicate key 'id'"},
        {"invalid-utf8.json", ":1:12: invalid UTF-8"},
        {"deep-nesting.json", "nesting deeper than"},
        {"bad-range-type.json", "affected[0].ranges[0].type"},
        {"truncated.json", "osv/bad/truncated.json:1:"},
    };
    struct ch_buf data;
    ch_buf_init(&data, 1 << 20);
    struct ch_arena *arena = ch_arena_new(1 << 20);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "osv/bad/%s", cases[i].file);
        struct ch_advisory a;
        struct ch_err err = CH_ERR_INIT;
        int rc = read_fixture(rel, &data, arena, &a, &err);
        if (rc != CH_E_INVALID && rc != CH_E_LIMIT)
            fail_msg("%s: rc %d", cases[i].file, rc);
        if (strstr(err.msg, cases[i].want) == NULL)
            fail_msg("%s: '%s' lacks '%s'", cases[i].file, err.msg, cases[i].want);
        ch_arena_reset(arena);
    }
    ch_arena_free(arena);
    ch_buf_release(&data);
}

static void test_osv_oom(void **state)
{
    struct ch_buf data;
    ch_buf_init(&data, 1 << 20);
    char *path = ch_test_fixture("osv/good/GHSA-test-0001.json");
    ch_test_read_file(path, &data);
    ch_free(path);
    for (long n = 0;; n++) {
        ch_alloc_fault_enable(n);
        struct ch_arena *arena = ch_arena_new(1 << 20);
        struct ch_advisory a;
        struct ch_err err = CH_ERR_INIT;
        int rc = arena == NULL ? CH_E_NOMEM
                               : ch_osv_read(ch_buf_cstr(&data), ch_buf_len(&data), "r", arena, &a,
                                             &err);
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        ch_arena_free(arena);
        if (rc == CH_OK) {
            assert_int_equal(hits, 0);
            break;
        }
        assert_int_equal(rc, CH_E_NOMEM);
        assert_true(n < 10000);
    }
    ch_buf_release(&data);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_osv_reads_every_field),
        cmocka_unit_test(test_osv_git_withdrawn_and_packageless),
        cmocka_unit_test(test_osv_rejects_with_place),
        cmocka_unit_test(test_osv_oom),
    };
    return cmocka_run_group_tests_name("osv", tests, NULL, NULL);
}
