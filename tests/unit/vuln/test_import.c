/* SPDX-License-Identifier: Apache-2.0
 * Import into the knowledge base: grouping by alias, idempotent re-import,
 * newer records replace older ones, withdrawn records kept and marked, bad
 * records rejected and recorded without touching what is stored, and the
 * merged view. Runs on SQLite, and on PostgreSQL when the suite provides one. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "vuln/import.h"
#include "vuln/query.h"

struct fx {
    struct ch_store *s;
    char *dir;
    int rejects;
    char last_reject[512];
};

static int setup(void **state)
{
    struct fx *f = ch_calloc(1, sizeof(*f));
    f->s = ch_test_store(&f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f);
    return 0;
}

static void on_reject(void *ctx, const char *file, const char *location, const char *reason)
{
    struct fx *f = ctx;
    f->rejects++;
    snprintf(f->last_reject, sizeof(f->last_reject), "%s", reason);
}

static struct ch_import_stats import(struct fx *f, const char *rel, int64_t now)
{
    char *path = ch_test_fixture(rel);
    const char *paths[] = {path};
    struct ch_import_options o = {.now = now, .on_reject = on_reject, .ctx = f};
    struct ch_import_stats st;
    struct ch_err err = CH_ERR_INIT;
    if (ch_import_paths(f->s, paths, 1, &o, &st, &err) != CH_OK)
        fail_msg("import %s: %s", rel, err.msg);
    ch_free(path);
    return st;
}

static int64_t q(struct fx *f, const char *sql, const char *param)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t v = -1;
    if (ch_store_query_int(f->s, sql, param, -1, &v, &err) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

static void test_import_groups_by_alias(void **state)
{
    struct fx *f = *state;
    struct ch_import_stats st = import(f, "osv/good", 1000);
    assert_int_equal(st.files, 5);
    assert_int_equal(st.records, 5);
    assert_int_equal(st.added, 4);
    assert_int_equal(st.withdrawn, 1);
    assert_int_equal(st.rejected, 0);
    /* GHSA-test-0001, PYSEC-test-0001 and CVE-2024-0001 are one vulnerability */
    int64_t g1 = q(f, "SELECT vuln_id FROM vuln_keys WHERE key = ?", "GHSA-test-0001");
    assert_true(g1 > 0);
    assert_true(q(f, "SELECT vuln_id FROM vuln_keys WHERE key = ?", "PYSEC-test-0001") == g1);
    assert_true(q(f, "SELECT vuln_id FROM vuln_keys WHERE key = ?", "CVE-2024-0001") == g1);
    /* related is not an alias */
    assert_true(q(f, "SELECT vuln_id FROM vuln_keys WHERE key = ?", "DSA-test-0004") != g1);
    assert_int_equal(q(f, "SELECT COUNT(*) FROM vulns", NULL), 4);
    /* display id prefers the CVE */
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *stm = NULL;
    assert_int_equal(ch_store_prepare(f->s, "SELECT display_id FROM vulns WHERE id = ?", &stm, &err),
                     CH_OK);
    ch_stmt_bind_int(stm, 1, g1);
    assert_int_equal(ch_stmt_step(stm, &err), 1);
    assert_string_equal(ch_stmt_cstr(stm, 0), "CVE-2024-0001");
    ch_stmt_free(stm);
    /* names normalised per ecosystem: Example_Lib (PyPI) → example-lib */
    assert_int_equal(q(f, "SELECT COUNT(*) FROM affected WHERE ecosystem = 'PyPI' AND norm_name = ?",
                       "example-lib"),
                     2);
    assert_int_equal(q(f, "SELECT COUNT(*) FROM advisories WHERE withdrawn IS NOT NULL", NULL), 1);
    /* the CVSS base score was computed */
    assert_true(q(f, "SELECT CAST(cvss_score * 10 AS BIGINT) FROM advisories WHERE source_id = ?",
                  "GHSA-test-0001") == 98);
}

static void test_reimport_changes_nothing(void **state)
{
    struct fx *f = *state;
    (void)import(f, "osv/good", 1000);
    int64_t rows = q(f, "SELECT COUNT(*) FROM affected", NULL);
    struct ch_import_stats st = import(f, "osv/good", 2000);
    assert_int_equal(st.unchanged, 5);
    assert_int_equal(st.added + st.updated + st.withdrawn, 0);
    assert_true(q(f, "SELECT COUNT(*) FROM affected", NULL) == rows);
    assert_int_equal(q(f, "SELECT MAX(imported_at) FROM advisories", NULL), 1000);
}

static void test_newer_replaces_older_is_ignored(void **state)
{
    struct fx *f = *state;
    (void)import(f, "osv/good", 1000);
    char *dir = ch_test_tmpdir();
    char p[600];
    snprintf(p, sizeof(p), "%s/new.json", dir);
    const char *newer = "{\"id\": \"GHSA-test-0001\", \"modified\": \"2025-01-01T00:00:00Z\","
                        " \"aliases\": [\"CVE-2024-0001\"], \"summary\": \"updated\","
                        " \"affected\": []}";
    ch_test_write_file(p, newer, strlen(newer));
    const char *paths[] = {p};
    struct ch_import_options o = {.now = 3000};
    struct ch_import_stats st;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_import_paths(f->s, paths, 1, &o, &st, &err), CH_OK);
    assert_int_equal(st.updated, 1);
    struct ch_stmt *stm = NULL;
    assert_int_equal(ch_store_prepare(f->s, "SELECT summary FROM advisories WHERE source_id = ?",
                                      &stm, &err),
                     CH_OK);
    ch_stmt_bind_cstr(stm, 1, "GHSA-test-0001");
    assert_int_equal(ch_stmt_step(stm, &err), 1);
    assert_string_equal(ch_stmt_cstr(stm, 0), "updated");
    ch_stmt_free(stm);
    /* its affected rows were replaced (none now) */
    assert_int_equal(q(f, "SELECT COUNT(*) FROM affected f JOIN advisories a ON a.id = f.advisory_id"
                          " WHERE a.source_id = ?",
                       "GHSA-test-0001"),
                     0);
    /* an older version of the record is ignored */
    const char *older = "{\"id\": \"GHSA-test-0001\", \"modified\": \"2020-01-01T00:00:00Z\","
                        " \"summary\": \"old\"}";
    ch_test_write_file(p, older, strlen(older));
    assert_int_equal(ch_import_paths(f->s, paths, 1, &o, &st, &err), CH_OK);
    assert_int_equal(st.unchanged, 1);
    ch_test_rmtree(dir);
    ch_free(dir);
}

static void test_bad_records_rejected_and_recorded(void **state)
{
    struct fx *f = *state;
    (void)import(f, "osv/good", 1000);
    int64_t before = q(f, "SELECT COUNT(*) FROM advisories", NULL);
    struct ch_import_stats st = import(f, "osv/bad", 2000);
    assert_int_equal(st.rejected, 11);
    assert_int_equal(f->rejects, 11);
    assert_int_equal(st.added + st.updated, 0);
    assert_true(q(f, "SELECT COUNT(*) FROM advisories", NULL) == before);
    assert_int_equal(q(f, "SELECT COUNT(*) FROM import_rejects WHERE import_id = "
                          "(SELECT MAX(id) FROM imports)",
                       NULL),
                     11);
    assert_int_equal(q(f, "SELECT COUNT(*) FROM import_rejects WHERE file LIKE ?",
                       "%two-keys-event.json"),
                     1);
}

static void test_missing_path_is_rejected_not_fatal(void **state)
{
    struct fx *f = *state;
    const char *paths[] = {"/nonexistent/feed.zip"};
    struct ch_import_options o = {.now = 1};
    struct ch_import_stats st;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_import_paths(f->s, paths, 1, &o, &st, &err), CH_OK);
    assert_int_equal(st.rejected, 1);
}

static void test_show_merged_view(void **state)
{
    struct fx *f = *state;
    (void)import(f, "osv/good", 1000);
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    struct ch_err err = CH_ERR_INIT;
    if (ch_vuln_show_json(f->s, "PYSEC-test-0001", &w, &err) != CH_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    cJSON *j = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "v", &j, &err), CH_OK);
    assert_string_equal(ch_json_str(j, "id"), "CVE-2024-0001");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "records")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "aliases")), 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "affected")), 3);
    assert_true(cJSON_GetObjectItem(j, "cvss_score")->valuedouble == 9.8);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "references")), 2);
    cJSON_Delete(j);
    ch_err_clear(&err);
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_vuln_show_json(f->s, "CVE-1999-0000", &w, &err), CH_E_NOTFOUND);
    /* search by package, normalised */
    ch_err_clear(&err);
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    struct ch_vuln_filter flt = {.ecosystem = "PyPI", .name = "EXAMPLE.lib", .modified_since = -1,
                                 .limit = 10};
    assert_int_equal(ch_vuln_search_json(f->s, &flt, &w, &err), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"id\":\"CVE-2024-0001\""));
    ch_buf_release(&b);
}

/* Imports one OSV record given as JSON text. */
static void import_json(struct fx *f, const char *name, const char *json, int64_t now)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    ch_test_write_file(path, json, strlen(json));
    const char *paths[] = {path};
    struct ch_import_options o = {.now = now, .on_reject = on_reject, .ctx = f};
    struct ch_import_stats st;
    struct ch_err err = CH_ERR_INIT;
    if (ch_import_paths(f->s, paths, 1, &o, &st, &err) != CH_OK)
        fail_msg("import %s: %s", name, err.msg);
}

/*
 * A vulnerability merged into an older one is recorded, and its id is never
 * given to a new vulnerability (exposures may still name it).
 */
static void test_merged_id_not_reused(void **state)
{
    struct fx *f = *state;
    import_json(f, "a.json",
                "{\"id\":\"GHSA-aaaa-aaaa-aaaa\",\"modified\":\"2026-01-01T00:00:00Z\"}", 10);
    import_json(f, "b.json",
                "{\"id\":\"GHSA-bbbb-bbbb-bbbb\",\"modified\":\"2026-01-01T00:00:00Z\"}", 20);
    int64_t va = q(f, "SELECT vuln_id FROM vuln_keys WHERE key = ?", "GHSA-aaaa-aaaa-aaaa");
    int64_t vb = q(f, "SELECT vuln_id FROM vuln_keys WHERE key = ?", "GHSA-bbbb-bbbb-bbbb");
    assert_true(vb > va);
    /* one record naming both joins them: the newer (largest) id is merged away */
    import_json(f, "c.json",
                "{\"id\":\"GHSA-cccc-cccc-cccc\",\"modified\":\"2026-01-01T00:00:00Z\","
                "\"aliases\":[\"GHSA-aaaa-aaaa-aaaa\",\"GHSA-bbbb-bbbb-bbbb\"]}",
                30);
    assert_int_equal(q(f, "SELECT vuln_id FROM vuln_keys WHERE key = ?", "GHSA-bbbb-bbbb-bbbb"),
                     va);
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)vb);
    assert_int_equal(q(f, "SELECT COUNT(*) FROM vulns WHERE id = CAST(? AS BIGINT)", id), 0);
    assert_int_equal(
        q(f, "SELECT kept FROM vuln_merges WHERE gone = CAST(? AS BIGINT) AND merged_at = 30", id),
        va);
    import_json(f, "d.json",
                "{\"id\":\"GHSA-dddd-dddd-dddd\",\"modified\":\"2026-01-01T00:00:00Z\"}", 40);
    int64_t vd = q(f, "SELECT vuln_id FROM vuln_keys WHERE key = ?", "GHSA-dddd-dddd-dddd");
    assert_true(vd > vb);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_groups_by_alias, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reimport_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_replaces_older_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_records_rejected_and_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_path_is_rejected_not_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_merged_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merged_id_not_reused, setup, teardown),
    };
    return cmocka_run_group_tests_name("import", tests, NULL, NULL);
}
