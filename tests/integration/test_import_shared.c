/* SPDX-License-Identifier: Apache-2.0
 *
 * The whole shared public data set through `clearinghouse import`: every
 * OSV record of the ten source zips, the CISA KEV catalog, the CISA CSAF
 * advisories zip and the CVE 5 records with CISA's ADP containers. The
 * counts in the store must equal the counts of valid records, and nothing
 * may be rejected. Skipped (with a message) when the data is absent.
 */
#include "testutil.h"

#include <glob.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"

struct env {
    char *dir;
    char db[700];
    char keys[700];
};

static struct env E;

static int setup(void **state)
{
    E.dir = ch_test_tmpdir();
    snprintf(E.db, sizeof(E.db), "sqlite:%s/kb.db", E.dir);
    snprintf(E.keys, sizeof(E.keys), "%s/keys", E.dir);
    return 0;
}

static int teardown(void **state)
{
    ch_test_rmtree(E.dir);
    ch_free(E.dir);
    return 0;
}

/* Runs import --json on paths; returns the parsed summary. */
static cJSON *import(const char *const *paths, size_t n, int want_exit)
{
    const char *argv[64] = {"--db", E.db, "--keys", E.keys, "import", "--json"};
    size_t k = 6;
    for (size_t i = 0; i < n && k < 63; i++)
        argv[k++] = paths[i];
    argv[k] = NULL;
    struct ch_buf out, err;
    ch_buf_init(&out, 64u << 20);
    ch_buf_init(&err, 64u << 20);
    int rc = ch_test_run_cli(argv, NULL, &out, &err);
    if (rc != want_exit)
        fail_msg("import exited %d: %.2000s", rc, ch_buf_cstr(&err));
    struct ch_err jerr = CH_ERR_INIT;
    cJSON *j = NULL;
    if (ch_json_parse(ch_buf_cstr(&out), ch_buf_len(&out), NULL, "summary", &j, &jerr) != CH_OK)
        fail_msg("%s", jerr.msg);
    ch_buf_release(&out);
    ch_buf_release(&err);
    return j;
}

static double num(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(j, key);
    assert_non_null(v);
    return v->valuedouble;
}

static int64_t count(const char *sql)
{
    struct ch_store *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_open(E.db, NULL, &s, &err) != CH_OK)
        fail_msg("%s", err.msg);
    int64_t n = -1;
    assert_int_equal(ch_store_query_int(s, sql, NULL, -1, &n, &err), CH_OK);
    ch_store_free(s);
    return n;
}

static void test_import_all_shared_data(void **state)
{
    char *osv = ch_test_shared("osv");
    char *kev = ch_test_shared("kev/known_exploited_vulnerabilities.json");
    char *csaf = ch_test_shared("csaf/cisa-csaf-advisories.zip");
    char *cve5 = ch_test_shared("cve5/vulnrichment-cve5.tar.zst");
    if (osv == NULL || kev == NULL || csaf == NULL || cve5 == NULL) {
        ch_free(osv);
        ch_free(kev);
        ch_free(csaf);
        ch_free(cve5);
        skip();
    }
    char pattern[800];
    snprintf(pattern, sizeof(pattern), "%s/*.zip", osv);
    glob_t g;
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, 10);
    cJSON *s = import((const char *const *)g.gl_pathv, g.gl_pathc, 0);
    assert_true(num(s, "records") == 25441);
    assert_true(num(s, "rejected") == 0);
    assert_true(num(s, "withdrawn") > 0);
    cJSON_Delete(s);
    /* the same data again changes nothing */
    s = import((const char *const *)g.gl_pathv, g.gl_pathc, 0);
    assert_true(num(s, "unchanged") == 25441);
    assert_true(num(s, "added") + num(s, "updated") == 0);
    cJSON_Delete(s);
    globfree(&g);
    assert_int_equal(count("SELECT COUNT(*) FROM advisories WHERE source = 'osv'"), 25441);
    /* GIT ranges, last_affected and records without a package all arrive */
    assert_true(count("SELECT COUNT(*) FROM affected WHERE ranges LIKE '%\"GIT\"%'") > 0);
    assert_true(count("SELECT COUNT(*) FROM affected WHERE ranges LIKE '%last_affected%'") > 0);
    assert_true(count("SELECT COUNT(*) FROM affected WHERE ecosystem IS NULL") > 0);

    const char *k[] = {kev};
    s = import(k, 1, 0);
    assert_true(num(s, "records") == 1404);
    cJSON_Delete(s);
    assert_int_equal(count("SELECT COUNT(*) FROM kev"), 1404);
    /*
     * Entries due before they were added are accepted as published: this
     * catalog has 15 (counted independently from its JSON).
     */
    assert_int_equal(count("SELECT COUNT(*) FROM kev WHERE due_date < date_added"), 15);

    const char *c[] = {csaf};
    s = import(c, 1, 0);
    assert_true(num(s, "rejected") == 0);
    cJSON_Delete(s);
    assert_int_equal(count("SELECT COUNT(DISTINCT SUBSTR(source_id, 1, INSTR(source_id, '#') - 1))"
                           " FROM advisories WHERE source = 'csaf'"),
                     2383);

    const char *v[] = {cve5};
    s = import(v, 1, 0);
    assert_true(num(s, "records") == 44130);
    assert_true(num(s, "rejected") == 0);
    cJSON_Delete(s);
    assert_int_equal(count("SELECT COUNT(*) FROM advisories WHERE source = 'cve5'"), 44130);
    /* CISA's ADP decision points were read */
    assert_true(count("SELECT COUNT(*) FROM advisories WHERE ssvc_exploitation IS NOT NULL") > 1000);
    ch_free(osv);
    ch_free(kev);
    ch_free(csaf);
    ch_free(cve5);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_all_shared_data),
    };
    return cmocka_run_group_tests_name("import shared data", tests, setup, teardown);
}
