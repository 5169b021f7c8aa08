/* SPDX-License-Identifier: Apache-2.0
 *
 * test_stix.c: UUIDv5 (RFC 9562 test vector), deterministic object and
 * observable ids, STIX timestamps, TLP 2.0 markings and every body builder,
 * each object checked structurally (tests/share/stix_check.h).
 */
#include <string.h>

#include "core/json.h"
#include "share/stix.h"
#include "stix_check.h"
#include "testutil.h"

static cJSON *wrap(const char *type, const char *id, int64_t created, int64_t modified,
                   const struct ch_buf *body)
{
    struct ch_buf out;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &out, 0);
    ch_stix_write_object(&w, type, id, created, modified, ch_buf_cstr(body), ch_buf_len(body));
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    cJSON *obj = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&out), ch_buf_len(&out), NULL, "stix", &obj, &err),
                     CH_OK);
    ch_buf_release(&out);
    return obj;
}

static void assert_valid(const cJSON *obj)
{
    char msg[256];
    if (stix_check(obj, msg, sizeof(msg)) != 0)
        fail_msg("invalid STIX object: %s", msg);
}

static void test_uuid5_vector(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    char u[CH_STIX_UUID_STR];
    /* RFC 9562 / Python's uuid5(NAMESPACE_DNS, "python.org") */
    assert_int_equal(
        ch_stix_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org", 10, u, &err), CH_OK);
    assert_string_equal(u, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    assert_int_equal(ch_stix_uuid5("not-a-uuid", "x", 1, u, &err), CH_E_INVALID);
}

static void test_ids_deterministic(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    char a[CH_STIX_ID_MAX], b[CH_STIX_ID_MAX], c[CH_STIX_ID_MAX];
    assert_int_equal(ch_stix_id("vulnerability", "vuln:CVE-2024-1234", a, &err), CH_OK);
    assert_int_equal(ch_stix_id("vulnerability", "vuln:CVE-2024-1234", b, &err), CH_OK);
    assert_int_equal(ch_stix_id("vulnerability", "vuln:CVE-2024-1235", c, &err), CH_OK);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_true(strncmp(a, "vulnerability--", 15) == 0);
    assert_int_equal(a[15 + 14], '5');
    /* the clearinghouse identity constant is ch_stix_id("identity", "clearinghouse") */
    assert_int_equal(ch_stix_id("identity", "clearinghouse", a, &err), CH_OK);
    assert_string_equal(a, ch_stix_clearinghouse_identity());
    /* observables: canonical JSON of the contributing properties in the OASIS namespace */
    const char *keys[] = {"value"};
    const char *vals[] = {"198.51.100.3"};
    assert_int_equal(ch_stix_sco_id("ipv4-addr", keys, vals, 1, a, &err), CH_OK);
    assert_string_equal(a, "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4");
    struct ch_buf body;
    ch_buf_init(&body, CH_BUF_DEFAULT_MAX);
    struct ch_stix_software sw = {.name = "Word", .vendor = "Microsoft", .version = "2002"};
    assert_int_equal(ch_stix_body_software(&body, &sw, b, &err), CH_OK);
    assert_string_equal(b, "software--c616478f-891e-5ddb-bb5c-f6d497d2a513");
    ch_buf_release(&body);
}

static void test_time_format_parse(void **state)
{
    (void)state;
    char t[CH_STIX_TIME_MAX];
    assert_string_equal(ch_stix_time(0, t), "1970-01-01T00:00:00.000Z");
    assert_string_equal(ch_stix_time(INT64_C(1715601234567), t), "2024-05-13T11:53:54.567Z");
    struct ch_err err = CH_ERR_INIT;
    int64_t ms = 0;
    assert_int_equal(ch_stix_time_parse(ch_str_c("2024-05-13T11:53:54.567Z"), &ms, &err), CH_OK);
    assert_int_equal(ms, INT64_C(1715601234567));
    /* finer precision rounds down to the millisecond */
    assert_int_equal(ch_stix_time_parse(ch_str_c("2024-05-13T11:53:54.5679Z"), &ms, &err), CH_OK);
    assert_int_equal(ms, INT64_C(1715601234567));
    assert_int_equal(ch_stix_time_parse(ch_str_c("2024-05-13T11:53:54Z"), &ms, &err), CH_OK);
    assert_int_equal(ms, INT64_C(1715601234000));
    assert_int_equal(ch_stix_time_parse(ch_str_c("2024-05-13"), &ms, &err), CH_E_INVALID);
    assert_int_equal(ch_stix_time_parse(ch_str_c("yesterday"), &ms, &err), CH_E_INVALID);
}

static void test_tlp_markings(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    enum ch_tlp t;
    assert_int_equal(ch_tlp_parse("TLP:AMBER+STRICT", &t, &err), CH_OK);
    assert_int_equal(t, CH_TLP_AMBER_STRICT);
    assert_int_equal(ch_tlp_parse("white", &t, &err), CH_E_INVALID);
    for (int i = 0; i < CH_TLP_COUNT; i++) {
        struct ch_buf out;
        ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
        struct ch_jw w;
        ch_jw_init(&w, &out, 0);
        ch_stix_write_tlp_marking(&w, (enum ch_tlp)i);
        assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
        cJSON *o = NULL;
        assert_int_equal(ch_json_parse(ch_buf_cstr(&out), ch_buf_len(&out), NULL, "m", &o, &err),
                         CH_OK);
        assert_valid(o);
        assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring,
                            ch_stix_tlp_marking_id((enum ch_tlp)i));
        assert_string_equal(cJSON_GetObjectItem(o, "created")->valuestring,
                            "2022-10-01T00:00:00.000Z");
        cJSON_Delete(o);
        ch_buf_release(&out);
    }
    assert_string_equal(ch_stix_tlp_marking_id(CH_TLP_CLEAR),
                        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487");
}

static void test_bodies_valid(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    char id[CH_STIX_ID_MAX], sw_id[CH_STIX_ID_MAX], addr_id[CH_STIX_ID_MAX];
    int64_t t0 = INT64_C(1715601234000);

    struct ch_stix_extref refs[] = {
        {"cve", "CVE-2024-1234", "https://www.cve.org/CVERecord?id=CVE-2024-1234"},
        {"github", "GHSA-aaaa-bbbb-cccc", "https://github.com/advisories/GHSA-aaaa-bbbb-cccc"}};
    struct ch_stix_vulnerability v = {.name = "CVE-2024-1234",
                                      .description = "quote \" backslash \\ newline \n",
                                      .refs = refs,
                                      .n_refs = 2,
                                      .severity = "high",
                                      .cvss_score = 8.1,
                                      .kev = true,
                                      .kev_added = 1715558400,
                                      .kev_due = -1,
                                      .tlp = CH_TLP_CLEAR};
    assert_int_equal(ch_stix_id("vulnerability", "vuln:CVE-2024-1234", id, &err), CH_OK);
    assert_int_equal(ch_stix_body_vulnerability(&b, &v, &err), CH_OK);
    cJSON *o = wrap("vulnerability", id, t0, t0 + 5, &b);
    assert_valid(o);
    assert_string_equal(cJSON_GetObjectItem(o, "spec_version")->valuestring, "2.1");
    assert_string_equal(cJSON_GetObjectItem(o, "modified")->valuestring,
                        "2024-05-13T11:53:54.005Z");
    cJSON_Delete(o);

    struct ch_stix_software sw = {.name = "lodash", .vendor = "npm", .purl = "pkg:npm/lodash"};
    assert_int_equal(ch_stix_body_software(&b, &sw, sw_id, &err), CH_OK);
    o = wrap("software", sw_id, -1, -1, &b);
    assert_valid(o);
    cJSON_Delete(o);

    struct ch_stix_relationship r = {"has", sw_id, id, NULL, CH_TLP_CLEAR};
    assert_int_equal(ch_stix_body_relationship(&b, &r, &err), CH_OK);
    assert_int_equal(ch_stix_id("relationship", "has|x|y", id, &err), CH_OK);
    o = wrap("relationship", id, t0, t0, &b);
    assert_valid(o);
    cJSON_Delete(o);

    struct ch_stix_identity ident = {
        .name = "Water Co", .identity_class = "organization", .tlp = CH_TLP_AMBER_STRICT};
    assert_int_equal(ch_stix_body_identity(&b, &ident, &err), CH_OK);
    assert_int_equal(ch_stix_id("identity", "org:water-co", id, &err), CH_OK);
    o = wrap("identity", id, t0, t0, &b);
    assert_valid(o);
    cJSON_Delete(o);

    enum ch_stix_source_kind kind;
    struct ch_str value;
    struct ch_buf pattern;
    ch_buf_init(&pattern, CH_BUF_DEFAULT_MAX);
    assert_int_equal(ch_stix_source_classify(ch_str_c("203.0.113.7"), &kind, &value, &err), CH_OK);
    assert_int_equal(kind, CH_STIX_SRC_IPV4);
    assert_int_equal(ch_stix_source_pattern(kind, value, &pattern, &err), CH_OK);
    assert_string_equal(ch_buf_cstr(&pattern), "[ipv4-addr:value = '203.0.113.7']");
    struct ch_stix_indicator ind = {
        .name = "scan", .pattern = ch_buf_cstr(&pattern), .valid_from_ms = t0, .tlp = CH_TLP_GREEN};
    assert_int_equal(ch_stix_body_indicator(&b, &ind, &err), CH_OK);
    assert_int_equal(ch_stix_id("indicator", "incident-indicator:1", id, &err), CH_OK);
    o = wrap("indicator", id, t0, t0, &b);
    assert_valid(o);
    cJSON_Delete(o);

    assert_int_equal(ch_stix_body_address(&b, kind, value, CH_TLP_GREEN, addr_id, &err), CH_OK);
    o = wrap("ipv4-addr", addr_id, -1, -1, &b);
    assert_valid(o);
    cJSON_Delete(o);

    const char *refs_od[] = {addr_id};
    struct ch_stix_observed_data od = {t0, t0, 1, refs_od, 1, CH_TLP_GREEN};
    assert_int_equal(ch_stix_body_observed_data(&b, &od, &err), CH_OK);
    assert_int_equal(ch_stix_id("observed-data", "incident-observed:1", id, &err), CH_OK);
    o = wrap("observed-data", id, t0, t0, &b);
    assert_valid(o);
    cJSON_Delete(o);

    const char *rep_refs[] = {id};
    struct ch_stix_report rep = {.name = "Notice",
                                 .published_ms = t0,
                                 .object_refs = rep_refs,
                                 .n_object_refs = 1,
                                 .extra_json = "\"x_clearinghouse_notice\":{\"id\":1}",
                                 .tlp = CH_TLP_AMBER_STRICT};
    assert_int_equal(ch_stix_body_report(&b, &rep, &err), CH_OK);
    assert_int_equal(ch_stix_id("report", "notice:1", id, &err), CH_OK);
    o = wrap("report", id, t0, t0, &b);
    assert_valid(o);
    cJSON_Delete(o);

    /* user agents: pattern literal escapes quotes and backslashes; IPv6 and CIDR */
    assert_int_equal(ch_stix_source_classify(ch_str_c("ua:Evil'Scan\\1"), &kind, &value, &err),
                     CH_OK);
    assert_int_equal(kind, CH_STIX_SRC_USER_AGENT);
    assert_int_equal(ch_stix_source_pattern(kind, value, &pattern, &err), CH_OK);
    assert_true(strstr(ch_buf_cstr(&pattern), "'Evil\\'Scan\\\\1'") != NULL);
    assert_int_equal(ch_stix_source_classify(ch_str_c("2001:db8::/32"), &kind, &value, &err),
                     CH_OK);
    assert_int_equal(ch_stix_source_pattern(kind, value, &pattern, &err), CH_OK);
    assert_string_equal(ch_buf_cstr(&pattern), "[ipv6-addr:value ISSUBSET '2001:db8::/32']");
    assert_int_equal(ch_stix_source_classify(ch_str_c("-"), &kind, &value, &err), CH_E_INVALID);
    assert_int_equal(ch_stix_source_classify(ch_str_c("host; drop"), &kind, &value, &err),
                     CH_E_INVALID);
    ch_buf_release(&pattern);
    ch_buf_release(&b);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid5_vector),      cmocka_unit_test(test_ids_deterministic),
        cmocka_unit_test(test_time_format_parse), cmocka_unit_test(test_tlp_markings),
        cmocka_unit_test(test_bodies_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
