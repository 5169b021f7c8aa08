/* SPDX-License-Identifier: Apache-2.0
 *
 * What publication writes (disclose/publish.h): the OSV record and the CSAF
 * 2.0 document of an advisory read back through the project's own OSV and
 * CSAF readers with the same content, pass the OSV JSON schema and the CSAF
 * 2.0 schema plus every mandatory test of the BSI csaf-validator-lib
 * (tests/csaf-validator), and the provider metadata and ROLIE feed have the
 * members CSAF 2.0 §7 asks for.
 */
#include "helpers.h"

#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "disclose/publish.h"
#include "vuln/csaf.h"
#include "vuln/osv.h"

static int64_t at(const char *iso)
{
    int64_t t = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_time_parse(ch_str_c(iso), &t, NULL, &err), CH_OK);
    return t;
}

static const char *const aliases[] = {"CVE-2026-31337", "GHSA-abcd-efgh-ijkl"};

static struct ch_disclose_advisory sample(bool fixed, bool exploited)
{
    return (struct ch_disclose_advisory){
        .id = "CH-2026-0042",
        .title = "Heap overflow in parse_name of recparse",
        .description = "parse_name copies a record name into an 8-byte heap buffer without a "
                       "bound check; a long name overflows it.",
        .cwe = "CWE-122",
        .ecosystem = "OSS-Fuzz",
        .component = "recparse",
        .vendor = "Lib Co",
        .introduced = "1.0.0",
        .fixed = fixed ? "1.0.1" : NULL,
        .aliases = aliases,
        .n_aliases = 2,
        .credit = "Acme AI",
        .crash_class = "heap-buffer-overflow",
        .signature = "0571776f392e9cb5f570c792444c005faec268888214db1cfda4eef603d65f59",
        .exploited = exploited,
        .discovered = at("2026-02-01T10:00:00Z"),
        .published = at("2026-05-02T12:30:00Z"),
        .modified = at("2026-05-02T12:30:00Z"),
    };
}

static const struct ch_disclose_publisher pub = {
    .name = "Clearinghouse",
    .base_url = "https://ch.example.gov",
    .contact_details = "disclosure@ch.example.gov",
};

static void test_csaf_path_and_cwe_names(void **state)
{
    (void)state;
    char path[CH_DISCLOSE_PATH_MAX];
    ch_disclose_csaf_path("CH-2026-0042", at("2026-05-02T00:00:00Z"), path);
    assert_string_equal(path, "white/2026/ch-2026-0042.json");
    ch_disclose_csaf_path("Odd id:/x", at("2027-01-01T00:00:00Z"), path);
    assert_string_equal(path, "white/2027/odd_id_x.json");
    assert_string_equal(ch_disclose_cwe_name("CWE-122"), "Heap-based Buffer Overflow");
    assert_string_equal(ch_disclose_cwe_name("CWE-416"), "Use After Free");
    assert_null(ch_disclose_cwe_name("CWE-99999"));
    assert_null(ch_disclose_cwe_name("122"));
}

static void test_osv_record_reads_back(void **state)
{
    (void)state;
    struct ch_disclose_advisory a = sample(true, false);
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_disclose_osv_json(&a, &pub, &out, &err), CH_OK);
    struct ch_arena *arena = ch_arena_new(1 << 20);
    struct ch_advisory adv;
    if (ch_osv_read(ch_buf_cstr(&out), ch_buf_len(&out), "osv", arena, &adv, &err) != CH_OK)
        fail_msg("%s\n%s", err.msg, ch_buf_cstr(&out));
    assert_string_equal(adv.id, "x_CH-2026-0042");
    assert_int_equal(adv.n_aliases, 3);
    assert_string_equal(adv.aliases[0], "CH-2026-0042");
    assert_string_equal(adv.aliases[1], "CVE-2026-31337");
    assert_int_equal(adv.n_affected, 1);
    assert_string_equal(adv.affected[0].ecosystem, "OSS-Fuzz");
    assert_string_equal(adv.affected[0].name, "recparse");
    assert_int_equal(adv.affected[0].n_ranges, 1);
    assert_int_equal(adv.affected[0].ranges[0].n_events, 2);
    assert_string_equal(adv.affected[0].ranges[0].events[0].value, "1.0.0");
    assert_int_equal(adv.affected[0].ranges[0].events[1].kind, CH_ADV_FIXED);
    assert_string_equal(adv.affected[0].ranges[0].events[1].value, "1.0.1");
    assert_int_equal(adv.published, a.published);
    ch_arena_free(arena);
    ch_buf_release(&out);
}

struct seen {
    int n;
    bool has_cve;
    bool has_ch;
    size_t n_affected;
};

static int on_advisory(void *ctx, const struct ch_advisory *a, struct ch_err *err)
{
    (void)err;
    struct seen *s = ctx;
    s->n++;
    for (size_t i = 0; i < a->n_aliases; i++) {
        s->has_cve = s->has_cve || strcmp(a->aliases[i], "CVE-2026-31337") == 0;
        s->has_ch = s->has_ch || strcmp(a->aliases[i], "CH-2026-0042") == 0;
    }
    s->n_affected = a->n_affected;
    return CH_OK;
}

static int on_reject(void *ctx, const char *file, const char *loc, const char *reason,
                     struct ch_err *err)
{
    (void)ctx;
    (void)file;
    return ch_err_set(err, CH_E_INVALID, "rejected at %s: %s", loc, reason);
}

static void test_csaf_document_reads_back(void **state)
{
    (void)state;
    struct ch_disclose_advisory a = sample(true, true);
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_disclose_csaf_json(&a, &pub, &out, &err), CH_OK);
    struct ch_arena *arena = ch_arena_new(1 << 20);
    struct seen s = {0};
    struct ch_vuln_sink sink = {.advisory = on_advisory, .reject = on_reject, .ctx = &s};
    int rc = ch_csaf_read(ch_buf_cstr(&out), ch_buf_len(&out), "csaf", arena, &sink, &err);
    if (rc != 1)
        fail_msg("ch_csaf_read: %d %s\n%s", rc, err.msg, ch_buf_cstr(&out));
    assert_true(s.has_cve);
    assert_true(s.has_ch);
    assert_int_equal(s.n_affected, 2); /* the affected range and the fixed version */
    cJSON *doc = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&out), ch_buf_len(&out), NULL, "csaf", &doc, &err),
                     CH_OK);
    const cJSON *v =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "vulnerabilities"), 0);
    assert_string_equal(ch_json_str(v, "cve"), "CVE-2026-31337");
    assert_string_equal(ch_json_str(ch_json_obj(v, "cwe"), "name"), "Heap-based Buffer Overflow");
    const cJSON *rem = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "remediations"), 0);
    assert_string_equal(ch_json_str(rem, "category"), "vendor_fix");
    const cJSON *tracking = ch_json_obj(ch_json_obj(doc, "document"), "tracking");
    assert_string_equal(ch_json_str(tracking, "id"), "CH-2026-0042");
    assert_string_equal(ch_json_str(tracking, "status"), "final");
    cJSON_Delete(doc);
    ch_arena_free(arena);
    ch_buf_release(&out);
}

/* Both documents, with and without a fix, through the standard validators. */
static void test_documents_pass_the_validators(void **state)
{
    (void)state;
    char *dir = ch_test_tmpdir();
    struct ch_buf doc;
    ch_buf_init(&doc, 1 << 20);
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    struct ch_err err = CH_ERR_INIT;
    char *csaf[2];
    char *osv[2];
    for (int i = 0; i < 2; i++) {
        struct ch_disclose_advisory a = sample(i == 0, i == 1);
        if (i == 1) {
            a.n_aliases = 0;    /* no CVE yet */
            a.cwe = "CWE-1333"; /* a CWE we cannot name: goes to a note */
            a.ecosystem = NULL; /* not a package of a known ecosystem */
        }
        assert_int_equal(ch_disclose_csaf_json(&a, &pub, &doc, &err), CH_OK);
        csaf[i] = dt_write(dir, i == 0 ? "fixed.csaf.json" : "unfixed.csaf.json", ch_buf_cstr(&doc),
                           ch_buf_len(&doc));
        assert_int_equal(ch_disclose_osv_json(&a, &pub, &doc, &err), CH_OK);
        osv[i] = dt_write(dir, i == 0 ? "fixed.osv.json" : "unfixed.osv.json", ch_buf_cstr(&doc),
                          ch_buf_len(&doc));
    }
    const char *cargs[] = {csaf[0], csaf[1], NULL};
    if (dt_validate("csaf", cargs, &out) != 0)
        fail_msg("CSAF validation failed:\n%s", ch_buf_cstr(&out));
    char *schema = ch_test_shared("osv/schema/validation/schema.json");
    if (schema != NULL) {
        const char *oargs[] = {schema, osv[0], osv[1], NULL};
        if (dt_validate("osv", oargs, &out) != 0)
            fail_msg("OSV schema validation failed:\n%s", ch_buf_cstr(&out));
        ch_free(schema);
    }
    for (int i = 0; i < 2; i++) {
        ch_free(csaf[i]);
        ch_free(osv[i]);
    }
    ch_buf_release(&doc);
    ch_buf_release(&out);
    ch_test_rmtree(dir);
    ch_free(dir);
}

static void test_validator_catches_a_broken_document(void **state)
{
    (void)state;
    /* the validator must say no, or the tests above prove nothing */
    char *dir = ch_test_tmpdir();
    static const char broken[] =
        "{\"document\": {\"category\": \"csaf_security_advisory\", \"csaf_version\": \"2.0\","
        " \"title\": \"x\"}}";
    char *path = dt_write(dir, "broken.json", broken, sizeof(broken) - 1);
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    const char *args[] = {path, NULL};
    assert_int_equal(dt_validate("csaf", args, &out), 1);
    ch_buf_release(&out);
    ch_free(path);
    ch_test_rmtree(dir);
    ch_free(dir);
}

static void test_provider_metadata_and_empty_feed(void **state)
{
    (void)state;
    char *dir = NULL;
    struct ch_store *s = ch_test_store(&dir);
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    struct ch_err err = CH_ERR_INIT;
    int64_t now = at("2026-05-02T12:30:00Z");
    assert_int_equal(ch_disclose_provider_metadata_json(s, &pub, now, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    cJSON *m = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "m", &m, &err), CH_OK);
    assert_string_equal(ch_json_str(m, "canonical_url"),
                        "https://ch.example.gov/.well-known/csaf/provider-metadata.json");
    assert_string_equal(ch_json_str(m, "metadata_version"), "2.0");
    assert_string_equal(ch_json_str(m, "role"), "csaf_provider");
    assert_string_equal(ch_json_str(m, "last_updated"), "2026-05-02T12:30:00Z");
    assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(m, "list_on_CSAF_aggregators")));
    assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(m, "mirror_on_CSAF_aggregators")));
    assert_string_equal(ch_json_str(ch_json_obj(m, "publisher"), "category"), "coordinator");
    const cJSON *feed = cJSON_GetArrayItem(
        ch_json_arr(ch_json_obj(cJSON_GetArrayItem(ch_json_arr(m, "distributions"), 0), "rolie"),
                    "feeds"),
        0);
    assert_string_equal(ch_json_str(feed, "url"),
                        "https://ch.example.gov/.well-known/csaf/white/csaf-feed-tlp-white.json");
    assert_string_equal(ch_json_str(feed, "tlp_label"), "WHITE");
    cJSON_Delete(m);
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_disclose_rolie_feed_json(s, &pub, now, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "f", &m, &err), CH_OK);
    const cJSON *f = ch_json_obj(m, "feed");
    assert_non_null(f);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(f, "entry")), 0);
    cJSON_Delete(m);
    assert_int_equal(ch_disclose_csaf_get(s, "white/2026/ch-2026-0001.json", &b, NULL, &err),
                     CH_E_NOTFOUND);
    ch_buf_release(&b);
    ch_store_free(s);
    ch_test_rmtree(dir);
    ch_free(dir);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csaf_path_and_cwe_names),
        cmocka_unit_test(test_osv_record_reads_back),
        cmocka_unit_test(test_csaf_document_reads_back),
        cmocka_unit_test(test_documents_pass_the_validators),
        cmocka_unit_test(test_validator_catches_a_broken_document),
        cmocka_unit_test(test_provider_metadata_and_empty_feed),
    };
    return cmocka_run_group_tests_name("disclose/publish", tests, NULL, NULL);
}
