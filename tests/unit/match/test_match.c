/* SPDX-License-Identifier: Apache-2.0
 * The matching index and scan reports over the fixture knowledge base:
 * ranges of every kind, last_affected and limit, withdrawn records ignored,
 * Debian source packages, one finding per vulnerability with all its
 * advisories, the fix that clears them all, and every output format. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "match/scan.h"
#include "sbom/sbom.h"
#include "vuln/import.h"

struct fx {
    struct ch_store *s;
    char *dir;
    struct ch_match_index *ix;
};

static int setup(void **state)
{
    struct fx *f = ch_calloc(1, sizeof(*f));
    f->s = ch_test_store(&f->dir);
    char *path = ch_test_fixture("osv/good");
    const char *paths[] = {path};
    struct ch_import_options o = {.now = 1000};
    struct ch_import_stats st;
    struct ch_err err = CH_ERR_INIT;
    if (ch_import_paths(f->s, paths, 1, &o, &st, &err) != CH_OK)
        fail_msg("%s", err.msg);
    ch_free(path);
    struct ch_match_build_stats bs;
    if (ch_match_index_build(f->s, &f->ix, &bs, &err) != CH_OK)
        fail_msg("%s", err.msg);
    assert_true(bs.entries >= 4);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ch_match_index_free(f->ix);
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f);
    return 0;
}

static size_t match(struct fx *f, const char *eco, const char *name, const char *version,
                    struct ch_match_hit **hits, struct ch_arena *a)
{
    struct ch_match_component c = {.ecosystem = eco, .name = name, .version = version};
    size_t n = 0;
    struct ch_err err = CH_ERR_INIT;
    if (ch_match_component(f->ix, &c, a, hits, &n, NULL, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return n;
}

static void test_match_ranges(void **state)
{
    struct fx *f = *state;
    struct ch_arena *a = ch_arena_new(1 << 20);
    struct ch_match_hit *h = NULL;
    /* both advisories of CVE-2024-0001 (GHSA and PYSEC), names normalised */
    assert_int_equal(match(f, "PyPI", "EXAMPLE.lib", "1.4.1", &h, a), 2);
    assert_true(h[0].vuln_id == h[1].vuln_id);
    assert_string_equal(h[0].fixed, "1.4.2");
    assert_int_equal(match(f, "PyPI", "example-lib", "1.4.2", &h, a), 0);
    /* last_affected is inclusive, and no fix clears it */
    assert_int_equal(match(f, "PyPI", "example-lib", "2.1.0", &h, a), 1);
    assert_null(h[0].fixed);
    assert_int_equal(match(f, "PyPI", "example-lib", "2.1.1", &h, a), 0);
    /* SEMVER with a limit: 1.2.0 affected, fixed at 1.2.3 */
    assert_int_equal(match(f, "npm", "example-lib", "1.2.0", &h, a), 1);
    assert_string_equal(h[0].fixed, "1.2.3");
    assert_int_equal(match(f, "npm", "example-lib", "1.2.3", &h, a), 0);
    assert_int_equal(match(f, "npm", "example-lib", "0.9.0", &h, a), 0);
    /* withdrawn records match nothing */
    assert_int_equal(match(f, "Go", "example.com/mod", "1.0.0", &h, a), 0);
    /* a version the order cannot read matches nothing and is counted */
    struct ch_match_component bad = {.ecosystem = "PyPI", .name = "example-lib",
                                     .version = "not a version!"};
    size_t n = 0, unreadable = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_match_component(f->ix, &bad, a, &h, &n, &unreadable, &err), CH_OK);
    assert_int_equal(n, 0);
    assert_true(unreadable > 0);
    ch_arena_free(a);
}

static void test_match_debian_source_package(void **state)
{
    struct fx *f = *state;
    struct ch_arena *a = ch_arena_new(1 << 20);
    struct ch_match_hit *h = NULL;
    struct ch_match_component c = {.ecosystem = "Debian", .release = "12", .name = "libssl3",
                                   .version = "3.0.11-1~deb12u2", .source_name = "openssl",
                                   .source_version = "3.0.11-1~deb12u2"};
    size_t n = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_match_component(f->ix, &c, a, &h, &n, NULL, &err), CH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].advisory, "DSA-test-0004");
    assert_string_equal(h[0].fixed, "3.0.13-1~deb12u1");
    c.source_version = "3.0.13-1~deb12u1";
    assert_int_equal(ch_match_component(f->ix, &c, a, &h, &n, NULL, &err), CH_OK);
    assert_int_equal(n, 0);
    ch_arena_free(a);
}

/*
 * A lazy index (packages loaded on first use) answers exactly as the built
 * one, hit for hit and in the same order, including Ubuntu's folded
 * release markers, Debian source packages and the bare-ecosystem fallback.
 */
static void test_lazy_index_equals_built(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    /* an Ubuntu advisory under a marked release, next to the fixture's */
    char path[4096];
    snprintf(path, sizeof(path), "%s/ubuntu.json", f->dir);
    const char *adv =
        "{\"schema_version\":\"1.6.0\",\"id\":\"UBUNTU-TEST-1\",\"modified\":\"2026-01-01T00:00:00Z\","
        "\"affected\":[{\"package\":{\"ecosystem\":\"Ubuntu:Pro:22.04:LTS\",\"name\":\"demo\"},"
        "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
        "{\"fixed\":\"1.2-1\"}]}]},"
        "{\"package\":{\"ecosystem\":\"Ubuntu\",\"name\":\"demo\"},"
        "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
        "{\"fixed\":\"0.5-1\"}]}]}]}";
    ch_test_write_file(path, adv, strlen(adv));
    const char *paths[] = {path};
    struct ch_import_options o = {.now = 2000};
    struct ch_import_stats st;
    assert_int_equal(ch_import_paths(f->s, paths, 1, &o, &st, &err), CH_OK);
    struct ch_match_index *built = NULL, *lazy = NULL;
    assert_int_equal(ch_match_index_build(f->s, &built, NULL, &err), CH_OK);
    assert_int_equal(ch_match_index_new_lazy(f->s, &lazy, &err), CH_OK);
    static const struct ch_match_component cs[] = {
        {.ecosystem = "PyPI", .name = "EXAMPLE.lib", .version = "1.4.1"},
        {.ecosystem = "PyPI", .name = "example_lib", .version = "1.4.2"},
        {.ecosystem = "PyPI", .name = "example-lib", .version = "2.1.0"},
        {.ecosystem = "PyPI", .name = "example-lib", .version = "not a version!"},
        {.ecosystem = "npm", .name = "example-lib", .version = "1.2.0"},
        {.ecosystem = "Go", .name = "example.com/mod", .version = "1.0.0"},
        {.ecosystem = "Debian", .release = "12", .name = "libssl3", .version = "3.0.11-1~deb12u2",
         .source_name = "openssl", .source_version = "3.0.11-1~deb12u2"},
        {.ecosystem = "Ubuntu", .release = "22.04", .name = "demo", .version = "1.0-1"},
        {.ecosystem = "Ubuntu", .release = "24.04", .name = "demo", .version = "0.4-1"},
        {.ecosystem = "Ubuntu", .release = "22.04", .name = "demo", .version = "1.2-1"},
        {.ecosystem = "PyPI", .name = "nothing-here", .version = "1.0"},
    };
    struct ch_arena *a = ch_arena_new(1 << 20);
    size_t total = 0;
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        struct ch_match_hit *hb = NULL, *hl = NULL;
        size_t nb = 0, nl = 0;
        assert_int_equal(ch_match_component(built, &cs[i], a, &hb, &nb, NULL, &err), CH_OK);
        assert_int_equal(ch_match_index_load(lazy, &cs[i], &err), CH_OK);
        assert_int_equal(ch_match_component(lazy, &cs[i], a, &hl, &nl, NULL, &err), CH_OK);
        if (nb != nl)
            fail_msg("%s %s %s: built %zu hits, lazy %zu", cs[i].ecosystem, cs[i].name,
                     cs[i].version, nb, nl);
        for (size_t k = 0; k < nb; k++) {
            assert_int_equal(hb[k].vuln_id, hl[k].vuln_id);
            assert_string_equal(hb[k].advisory, hl[k].advisory);
            if (hb[k].fixed == NULL)
                assert_null(hl[k].fixed);
            else
                assert_string_equal(hb[k].fixed, hl[k].fixed);
        }
        total += nb;
    }
    /* the Ubuntu entry under "Pro:...:LTS" is found for 22.04; 24.04 falls back to "Ubuntu" */
    struct ch_match_hit *h = NULL;
    size_t n = 0;
    assert_int_equal(ch_match_component(lazy, &cs[7], a, &h, &n, NULL, &err), CH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].fixed, "1.2-1");
    assert_int_equal(ch_match_component(lazy, &cs[8], a, &h, &n, NULL, &err), CH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].fixed, "0.5-1");
    assert_true(total >= 6);
    ch_arena_free(a);
    ch_match_index_free(lazy);
    ch_match_index_free(built);
}

static cJSON *render(struct ch_scan_report *r, enum ch_scan_format fmt)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 24);
    struct ch_err err = CH_ERR_INIT;
    if (ch_scan_render(r, fmt, 1781049600, "test", &b, &err) != CH_OK)
        fail_msg("%s", err.msg);
    cJSON *j = NULL;
    if (ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "report", &j, &err) != CH_OK)
        fail_msg("%s", err.msg);
    ch_buf_release(&b);
    return j;
}

static void test_scan_report_formats(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_inventory *inv = NULL;
    assert_int_equal(ch_inventory_new(NULL, &inv, &err), CH_OK);
    char *bom = ch_test_fixture("match/bom.cdx.json");
    char *status = ch_test_fixture("match/status");
    struct ch_sbom_options so = {.distro = "debian", .distro_release = "12"};
    assert_true(ch_sbom_read_file(inv, bom, CH_SBOM_UNKNOWN, &so, &err) >= 0);
    assert_true(ch_sbom_read_file(inv, status, CH_SBOM_DPKG, &so, &err) >= 0);
    ch_free(bom);
    ch_free(status);
    struct ch_scan_report r;
    if (ch_scan_run(f->s, f->ix, inv, &r, &err) != CH_OK)
        fail_msg("%s", err.msg);
    /* pypi 1.4.1, pypi 2.1.0, npm 1.2.0, libssl3: four findings, one per vulnerability */
    assert_int_equal(r.n_findings, 4);
    const struct ch_scan_finding *first = &r.findings[0];
    assert_string_equal(first->id, "CVE-2024-0001");
    assert_int_equal(first->n_advisories, 2);
    assert_string_equal(first->fixed, "1.4.2");
    assert_true(first->cvss == 9.8);
    assert_string_equal(first->severity, "critical");

    cJSON *j = render(&r, CH_SCAN_JSON);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "findings")), 4);
    cJSON_Delete(j);

    j = render(&r, CH_SCAN_SARIF);
    assert_string_equal(ch_json_str(j, "version"), "2.1.0");
    const cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(run, "results")), 4);
    const cJSON *rules = cJSON_GetObjectItem(ch_json_obj(ch_json_obj(run, "tool"), "driver"), "rules");
    /* CVE-2024-0001 three times (two PyPI versions, npm) and the DSA: two rules */
    assert_int_equal(cJSON_GetArraySize(rules), 2);
    const cJSON *res0 = cJSON_GetArrayItem(cJSON_GetObjectItem(run, "results"), 0);
    assert_string_equal(ch_json_str(res0, "level"), "error");
    cJSON_Delete(j);

    j = render(&r, CH_SCAN_CYCLONEDX_VEX);
    assert_string_equal(ch_json_str(j, "bomFormat"), "CycloneDX");
    const cJSON *comps = cJSON_GetObjectItem(j, "components");
    const cJSON *vulns = cJSON_GetObjectItem(j, "vulnerabilities");
    assert_int_equal(cJSON_GetArraySize(vulns), 4);
    /* every affects.ref names a component of the document */
    for (const cJSON *v = vulns->child; v != NULL; v = v->next) {
        const char *ref = ch_json_str(cJSON_GetArrayItem(cJSON_GetObjectItem(v, "affects"), 0), "ref");
        int found = 0;
        for (const cJSON *c = comps->child; c != NULL; c = c->next)
            found |= strcmp(ch_json_str(c, "bom-ref"), ref) == 0;
        assert_true(found);
    }
    cJSON_Delete(j);

    j = render(&r, CH_SCAN_OPENVEX);
    assert_string_equal(ch_json_str(j, "@context"), "https://openvex.dev/ns/v0.2.0");
    const cJSON *stmts = cJSON_GetObjectItem(j, "statements");
    assert_int_equal(cJSON_GetArraySize(stmts), 4);
    for (const cJSON *s = stmts->child; s != NULL; s = s->next) {
        assert_string_equal(ch_json_str(s, "status"), "affected");
        assert_non_null(ch_json_str(s, "action_statement"));
    }
    cJSON_Delete(j);
    ch_scan_report_release(&r);
    ch_inventory_free(inv);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_ranges),
        cmocka_unit_test(test_match_debian_source_package),
        cmocka_unit_test(test_lazy_index_equals_built),
        cmocka_unit_test(test_scan_report_formats),
    };
    return cmocka_run_group_tests_name("match", tests, setup, teardown);
}
