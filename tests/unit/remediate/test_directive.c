/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: directives as data (the shipped BOD 26-04, 22-01 and 19-02 and
 * test fixtures): decisions, due dates at the end of the last day, the
 * regime change of 2026-06-10, scope, malformed files, and the CLI. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"
#include "remediate/directive.h"

static char *source_path(const char *rel)
{
    const char *root = getenv("CH_SOURCE_DIR");
    assert_non_null(root);
    size_t n = strlen(root) + strlen(rel) + 2;
    char *p = ch_malloc(n);
    snprintf(p, n, "%s/%s", root, rel);
    return p;
}

static struct ch_directive *load(const char *rel)
{
    char *path = source_path(rel);
    struct ch_err err = CH_ERR_INIT;
    struct ch_directive *d = NULL;
    if (ch_directive_load(path, &d, &err) != CH_OK)
        fail_msg("%s: %s", path, err.msg);
    ch_free(path);
    return d;
}

static int64_t T(const char *s)
{
    int64_t t = 0;
    struct ch_err err = CH_ERR_INIT;
    if (ch_time_parse(ch_str_c(s), &t, NULL, &err) != CH_OK)
        fail_msg("%s: %s", s, err.msg);
    return t;
}

static struct ch_directive_decision decide(const struct ch_directive *d, const char *const *pairs,
                                           size_t n, int64_t detected)
{
    struct ch_ssvc_input in[8];
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(pairs[i], '=');
        in[i].point = ch_str_make(pairs[i], (size_t)(eq - pairs[i]));
        in[i].value = ch_str_c(eq + 1);
    }
    struct ch_directive_inputs inputs = CH_DIRECTIVE_INPUTS_INIT;
    inputs.values = in;
    inputs.n_values = n;
    inputs.detected = detected;
    struct ch_directive_decision dec;
    struct ch_err err = CH_ERR_INIT;
    if (ch_directive_decide(d, &inputs, &dec, &err) != CH_OK)
        fail_msg("decide: %s", err.msg);
    return dec;
}

/* All 16 rows of BOD 26-04, with the directive's clocks (CERT/CC's table + the BOD's text). */
static void test_directive_bod2604_all_rows(void **state)
{
    struct ch_directive *d = load("directives/BOD-26-04.json");
    assert_string_equal(ch_directive_id(d), "BOD-26-04");
    assert_int_equal(ch_directive_rule_kind(d), CH_RULE_SSVC);
    static const struct {
        const char *kev, *exp, *aut, *imp;
        enum ch_directive_action action;
        int days;
        bool forensic;
    } rows[16] = {
        {"no", "no", "no", "partial", CH_ACTION_NEXT_UPGRADE, -1, false},
        {"yes", "no", "no", "partial", CH_ACTION_DAYS, 14, false},
        {"no", "yes", "no", "partial", CH_ACTION_DAYS, 60, false},
        {"no", "no", "yes", "partial", CH_ACTION_DAYS, 60, false},
        {"no", "no", "no", "total", CH_ACTION_NEXT_UPGRADE, -1, false},
        {"yes", "yes", "no", "partial", CH_ACTION_DAYS, 14, false},
        {"yes", "no", "yes", "partial", CH_ACTION_DAYS, 14, false},
        {"no", "yes", "yes", "partial", CH_ACTION_DAYS, 14, false},
        {"yes", "no", "no", "total", CH_ACTION_DAYS, 14, false},
        {"no", "yes", "no", "total", CH_ACTION_DAYS, 14, false},
        {"no", "no", "yes", "total", CH_ACTION_DAYS, 60, false},
        {"yes", "yes", "yes", "partial", CH_ACTION_DAYS, 3, false},
        {"yes", "yes", "no", "total", CH_ACTION_DAYS, 3, true},
        {"yes", "no", "yes", "total", CH_ACTION_DAYS, 3, true},
        {"no", "yes", "yes", "total", CH_ACTION_DAYS, 3, false},
        {"yes", "yes", "yes", "total", CH_ACTION_DAYS, 3, true},
    };
    int64_t detected = T("2026-07-01T08:30:00Z");
    for (size_t i = 0; i < 16; i++) {
        char a[32], b[32], c[32], e[32];
        snprintf(a, sizeof(a), "kev=%s", rows[i].kev);
        snprintf(b, sizeof(b), "exposure=%s", rows[i].exp);
        snprintf(c, sizeof(c), "automatable=%s", rows[i].aut);
        snprintf(e, sizeof(e), "impact=%s", rows[i].imp);
        const char *pairs[] = {a, b, c, e};
        struct ch_directive_decision dec = decide(d, pairs, 4, detected);
        if (dec.action != rows[i].action || dec.days != rows[i].days ||
            dec.forensic_triage != rows[i].forensic)
            fail_msg("row %zu: %s action %d days %d forensic %d", i, dec.outcome, dec.action,
                     dec.days, dec.forensic_triage);
        if (rows[i].action == CH_ACTION_DAYS) {
            assert_true(dec.clock_start == T("2026-07-01"));
            assert_true(dec.due == T("2026-07-01") + (rows[i].days + 1) * 86400 - 1);
        } else {
            assert_true(dec.due == -1);
        }
    }
    const char *example[] = {"kev=yes", "exposure=yes", "automatable=no", "impact=total"};
    struct ch_directive_decision dec = decide(d, example, 4, -1);
    assert_string_equal(dec.outcome, "3 days & forensic investigation");
    assert_string_equal(dec.outcome_key, "3DF");
    assert_true(dec.due == -1 && dec.clock_start == -1); /* no detection date, no due date */
    ch_directive_free(d);
}

static void test_directive_due_end_of_last_day(void **state)
{
    /* detected at 15:00 on 10 June, 3 days: on time until 13 June 23:59:59 UTC */
    int64_t due = ch_directive_due(T("2026-06-10T15:00:00Z"), 3);
    assert_true(due == T("2026-06-13T23:59:59Z"));
    assert_false(ch_directive_is_late(due, T("2026-06-13T23:59:59Z")));
    assert_true(ch_directive_is_late(due, T("2026-06-14T00:00:59Z")));
    assert_true(ch_directive_is_late(due, T("2026-06-14T00:00:00Z")));
    /* detected in the last second of a day: the day still counts as day 0 */
    assert_true(ch_directive_due(T("2026-06-10T23:59:59Z"), 3) == due);
    assert_true(ch_directive_due(T("2026-06-11T00:00:00Z"), 3) == T("2026-06-14T23:59:59Z"));
    /* 0 days: the end of the detection day */
    assert_true(ch_directive_due(T("2026-06-10T00:00:00Z"), 0) == T("2026-06-10T23:59:59Z"));
    /* across a month and a leap day */
    assert_true(ch_directive_due(T("2028-02-15"), 15) == T("2028-03-01T23:59:59Z"));
    assert_false(ch_directive_is_late(-1, T("2030-01-01")));
}

static void test_directive_clock_tier(void **state)
{
    struct ch_directive *d = load("directives/BOD-26-04.json");
    assert_int_equal(ch_directive_clock_kind(d), CH_CLOCK_DETECTION_OR_TIER);
    const char *pairs[] = {"kev=no", "exposure=yes", "automatable=yes", "impact=total"};
    struct ch_ssvc_input in[4];
    for (size_t i = 0; i < 4; i++) {
        const char *eq = strchr(pairs[i], '=');
        in[i] = (struct ch_ssvc_input){ch_str_make(pairs[i], (size_t)(eq - pairs[i])),
                                       ch_str_c(eq + 1)};
    }
    struct ch_directive_inputs inputs = CH_DIRECTIVE_INPUTS_INIT;
    inputs.values = in;
    inputs.n_values = 4;
    inputs.detected = T("2026-07-01T10:00:00Z");
    inputs.tier_met = T("2026-07-20T09:00:00Z"); /* became internet-facing later */
    struct ch_directive_decision dec;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_directive_decide(d, &inputs, &dec, &err), CH_OK);
    assert_int_equal(dec.days, 3);
    assert_true(dec.clock_start == T("2026-07-20"));
    assert_true(dec.due == T("2026-07-23T23:59:59Z"));
    inputs.tier_met = T("2026-06-01"); /* tier met before detection: detection counts */
    assert_int_equal(ch_directive_decide(d, &inputs, &dec, &err), CH_OK);
    assert_true(dec.due == T("2026-07-04T23:59:59Z"));
    ch_directive_free(d);
}

static void test_directive_regime_change(void **state)
{
    struct ch_directive *b2604 = load("directives/BOD-26-04.json");
    struct ch_directive *b2201 = load("directives/BOD-22-01.json");
    struct ch_directive *b1902 = load("directives/BOD-19-02.json");
    int64_t before = T("2026-06-09T23:59:59Z");
    int64_t on = T("2026-06-10T00:00:00Z");
    assert_false(ch_directive_in_force(b2604, before));
    assert_true(ch_directive_in_force(b2201, before));
    assert_true(ch_directive_in_force(b1902, before));
    assert_true(ch_directive_in_force(b2604, on));
    assert_false(ch_directive_in_force(b2201, on));
    assert_false(ch_directive_in_force(b1902, on));
    assert_true(ch_directive_in_force(b2604, T("2030-01-01")));
    /* before their own issue dates */
    assert_false(ch_directive_in_force(b2201, T("2021-11-02T23:59:59Z")));
    assert_true(ch_directive_in_force(b2201, T("2021-11-03")));
    assert_false(ch_directive_in_force(b1902, T("2019-04-28")));
    assert_true(ch_directive_revoked(b2201) == T("2026-06-10"));
    assert_string_equal(ch_directive_revoked_by(b2201), "BOD-26-04");
    assert_true(ch_directive_revoked(b2604) == -1);
    assert_null(ch_directive_revoked_by(b2604));
    ch_directive_free(b2604);
    ch_directive_free(b2201);
    ch_directive_free(b1902);
}

static void test_directive_scope(void **state)
{
    struct ch_directive *b2604 = load("directives/BOD-26-04.json");
    struct ch_directive *b1902 = load("directives/BOD-19-02.json");
    assert_true(ch_directive_applies_to(b2604, CH_ORG_FCEB, false));
    assert_true(ch_directive_applies_to(b2604, CH_ORG_FCEB, true));
    for (int c = 0; c < CH_ORG_CATEGORY_COUNT; c++) {
        if (c != CH_ORG_FCEB) {
            assert_false(ch_directive_applies_to(b2604, (enum ch_org_category)c, true));
            assert_false(ch_directive_applies_to(b1902, (enum ch_org_category)c, true));
        }
    }
    assert_false(ch_directive_applies_to(b1902, CH_ORG_FCEB, false)); /* internal systems */
    assert_true(ch_directive_applies_to(b1902, CH_ORG_FCEB, true));
    assert_false(ch_directive_applies_to(b2604, CH_ORG_CATEGORY_COUNT, true));
    enum ch_org_category cat;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_org_category_parse(CH_STR_LIT("NSS"), &cat, &err), CH_OK);
    assert_int_equal(cat, CH_ORG_NSS);
    assert_string_equal(ch_org_category_name(CH_ORG_CLEARINGHOUSE), "clearinghouse");
    assert_int_equal(ch_org_category_parse(CH_STR_LIT("ic"), &cat, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "unknown organisation category 'ic'"));
    ch_directive_free(b2604);
    ch_directive_free(b1902);
}

static void test_directive_bod1902_severity(void **state)
{
    struct ch_directive *d = load("directives/BOD-19-02.json");
    int64_t det = T("2026-01-01T12:00:00Z");
    const char *crit[] = {"severity=critical"};
    struct ch_directive_decision dec = decide(d, crit, 1, det);
    assert_int_equal(dec.days, 15);
    assert_true(dec.due == T("2026-01-16T23:59:59Z"));
    const char *high[] = {"severity=HIGH"};
    dec = decide(d, high, 1, det);
    assert_int_equal(dec.days, 30);
    assert_true(dec.due == T("2026-01-31T23:59:59Z"));
    const char *s89[] = {"cvss=8.9"};
    assert_int_equal(decide(d, s89, 1, det).days, 30);
    const char *s90[] = {"cvss=9.0"};
    assert_int_equal(decide(d, s90, 1, det).days, 15);
    const char *s69[] = {"cvss=6.9"};
    dec = decide(d, s69, 1, det);
    assert_int_equal(dec.action, CH_ACTION_NONE);
    assert_string_equal(dec.outcome, "medium");
    assert_true(dec.due == -1);
    /* errors */
    struct ch_ssvc_input bad[] = {{CH_STR_LIT("cvss"), CH_STR_LIT("11")}};
    struct ch_directive_inputs in = CH_DIRECTIVE_INPUTS_INIT;
    in.values = bad;
    in.n_values = 1;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_directive_decide(d, &in, &dec, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "0.0 to 10.0"));
    struct ch_ssvc_input bad2[] = {{CH_STR_LIT("kev"), CH_STR_LIT("yes")}};
    in.values = bad2;
    ch_err_clear(&err);
    assert_int_equal(ch_directive_decide(d, &in, &dec, &err), CH_E_NOTFOUND);
    assert_true(ch_test_contains(err.msg, "unknown input 'kev'"));
    in.n_values = 0;
    ch_err_clear(&err);
    assert_int_equal(ch_directive_decide(d, &in, &dec, &err), CH_E_INVALID);
    ch_directive_free(d);
}

static void test_directive_bod2201_kev_due_dates(void **state)
{
    struct ch_directive *d = load("directives/BOD-22-01.json");
    struct ch_directive_inputs in = CH_DIRECTIVE_INPUTS_INIT;
    in.kev_due = T("2021-11-17");
    in.detected = T("2021-11-03T10:00:00Z");
    struct ch_directive_decision dec;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_directive_decide(d, &in, &dec, &err), CH_OK);
    assert_int_equal(dec.action, CH_ACTION_DATE);
    assert_true(dec.due == T("2021-11-17T23:59:59Z"));
    assert_false(ch_directive_is_late(dec.due, T("2021-11-17T23:59:59Z")));
    assert_true(ch_directive_is_late(dec.due, T("2021-11-18T00:00:59Z")));
    /* CVE-2021-34527: dateAdded 2021-11-03, dueDate 2021-07-20 (an earlier emergency
     * directive's deadline): accepted as written, and already past when added */
    in.kev_due = T("2021-07-20");
    assert_int_equal(ch_directive_decide(d, &in, &dec, &err), CH_OK);
    assert_true(dec.due == T("2021-07-20T23:59:59Z"));
    assert_true(ch_directive_is_late(dec.due, in.detected));
    /* not in KEV: nothing asked */
    in.kev_due = -1;
    assert_int_equal(ch_directive_decide(d, &in, &dec, &err), CH_OK);
    assert_int_equal(dec.action, CH_ACTION_NONE);
    assert_string_equal(dec.outcome, "not in KEV");
    /* in KEV without a due date: an error naming what is missing */
    struct ch_ssvc_input yes[] = {{CH_STR_LIT("kev"), CH_STR_LIT("yes")}};
    in.values = yes;
    in.n_values = 1;
    assert_int_equal(ch_directive_decide(d, &in, &dec, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "KEV due date is needed"));
    assert_string_equal(err.field, "kev_due");
    ch_directive_free(d);
}

/* The shared KEV catalogue: every entry, due dates before dateAdded included, decides. */
static void test_directive_shared_kev_catalogue(void **state)
{
    char *path = ch_test_shared("kev/known_exploited_vulnerabilities.json");
    if (path == NULL)
        return;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    ch_test_read_file(path, &b);
    ch_free(path);
    cJSON *root = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "kev", &root, &err),
                     CH_OK);
    struct ch_directive *d = load("directives/BOD-22-01.json");
    const cJSON *v = NULL;
    size_t n = 0;
    size_t early = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vulnerabilities"))
    {
        struct ch_directive_inputs in = CH_DIRECTIVE_INPUTS_INIT;
        in.kev_due = T(ch_json_str(v, "dueDate"));
        in.detected = T(ch_json_str(v, "dateAdded"));
        struct ch_directive_decision dec;
        assert_int_equal(ch_directive_decide(d, &in, &dec, &err), CH_OK);
        assert_true(dec.due == in.kev_due + 86399);
        if (dec.due < in.detected)
            early++;
        n++;
    }
    assert_true(n > 1000);
    assert_true(early > 0);
    ch_directive_free(d);
    cJSON_Delete(root);
    ch_buf_release(&b);
}

static void test_directive_set_and_fixture(void **state)
{
    char *dir = source_path("directives");
    struct ch_err err = CH_ERR_INIT;
    struct ch_directive_set *s = NULL;
    if (ch_directive_set_load(dir, &s, &err) != CH_OK)
        fail_msg("%s", err.msg);
    ch_free(dir);
    assert_int_equal(ch_directive_set_count(s), 3);
    assert_string_equal(ch_directive_id(ch_directive_set_get(s, 0)), "BOD-19-02");
    assert_string_equal(ch_directive_id(ch_directive_set_get(s, 1)), "BOD-22-01");
    assert_string_equal(ch_directive_id(ch_directive_set_get(s, 2)), "BOD-26-04");
    assert_non_null(ch_directive_set_find(s, CH_STR_LIT("bod-26-04")));
    assert_null(ch_directive_set_find(s, CH_STR_LIT("BOD-18-01")));
    ch_directive_set_free(s);

    char *fx = ch_test_fixture("ssvc/directives/CI-TEST-1.json");
    struct ch_directive *d = NULL;
    if (ch_directive_load(fx, &d, &err) != CH_OK)
        fail_msg("%s", err.msg);
    ch_free(fx);
    assert_true(ch_directive_applies_to_sector(d, CH_ORG_CI, "Energy", false));
    assert_false(ch_directive_applies_to_sector(d, CH_ORG_CI, "finance", false));
    assert_false(ch_directive_applies_to_sector(d, CH_ORG_CI, NULL, false));
    assert_true(ch_directive_applies_to(d, CH_ORG_SLTT, false));
    assert_false(ch_directive_applies_to(d, CH_ORG_FCEB, true));
    const char *act[] = {"exploitation=active", "automatable=yes", "technical impact=total",
                         "mwi=high"};
    struct ch_directive_decision dec = decide(d, act, 4, T("2026-03-01"));
    assert_string_equal(dec.outcome, "act");
    assert_int_equal(dec.days, 7);
    assert_true(dec.forensic_triage);
    const char *track[] = {"exploitation=none", "automatable=no", "technical impact=partial",
                           "mwi=low"};
    dec = decide(d, track, 4, T("2026-03-01"));
    assert_int_equal(dec.action, CH_ACTION_NONE);
    assert_true(dec.due == -1);
    ch_directive_free(d);
}

static void test_directive_malformed_rejected(void **state)
{
    char *base = ch_test_fixture("ssvc/directives");
    const char *head = "{\"format\":\"clearinghouse-directive/1\",\"id\":\"X\",\"title\":\"t\","
                       "\"issued\":\"2026-01-01\",";
    const char *good_scope = "\"scope\":{\"categories\":[\"fceb\"]},";
    const char *tail = "\"clock\":{\"start\":\"detection\"},\"reporting\":{\"cadence\":\"none\"}}";
    const char *rule_ok = "\"rule\":{\"type\":\"severity\",\"days\":{\"critical\":15}},";
    const char *ssvc =
        "\"rule\":{\"type\":\"ssvc\",\"table\":\"tables/cisa_coordinator_2_0_3.csv\","
        "\"outcomes\":{\"track\":{\"action\":\"none\"},\"track*\":{\"days\":90},"
        "\"attend\":{\"days\":30}%s}},";
    struct {
        const char *scope, *rule, *extra, *msg;
    } cases[] = {
        {NULL, NULL, ",\"act\":{\"days\":1}", NULL}, /* the valid base case */
        {NULL, NULL, "", "no entry for outcome 'act'"},
        {NULL, NULL, ",\"act\":{\"days\":1},\"acted\":{\"days\":2}", "unknown value 'acted'"},
        {NULL, NULL, ",\"act\":{\"days\":1},\"Act\":{\"days\":2}", "mapped twice"},
        {NULL, NULL, ",\"act\":{}", "expected either \"days\" or \"action\""},
        {NULL, NULL, ",\"act\":{\"days\":99999}", "act"},
        {NULL,
         "\"rule\":{\"type\":\"ssvc\",\"table\":\"../directives/tables/x.csv\","
         "\"outcomes\":{}},",
         NULL, "may not leave"},
        {NULL, "\"rule\":{\"type\":\"ssvc\",\"table\":\"/etc/passwd\",\"outcomes\":{}},", NULL,
         "relative to the directive"},
        {NULL, "\"rule\":{\"type\":\"ssvc\",\"table\":\"tables/nope.csv\",\"outcomes\":{}},", NULL,
         "cannot open"},
        {NULL,
         "\"rule\":{\"type\":\"ssvc\",\"table\":\"tables/cisa_coordinator_2_0_3.csv\","
         "\"inputs\":{\"automatable\":\"Exploitation\"},\"outcomes\":{}},",
         NULL, "already names"},
        {NULL, "\"rule\":{\"type\":\"magic\"},", NULL, "unknown rule 'magic'"},
        {NULL, "\"rule\":{\"type\":\"severity\",\"days\":{\"severe\":3}},", NULL,
         "unknown severity"},
        {"\"scope\":{\"categories\":[\"fceb\",\"ic\"]},", NULL, NULL,
         "scope.categories[1]': unknown organisation category 'ic'"},
        {"\"scope\":{\"categories\":[]},", NULL, NULL, "at least one category"},
        {"\"scope\":{\"categories\":[\"fceb\"],\"sectors\":[\"energy\"]},", NULL, NULL,
         "sectors need the category 'ci'"},
        {"\"scope\":{\"categories\":[\"fceb\"],\"internet_facing\":\"yes\"},", NULL, NULL,
         "\"any\" or \"required\""},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_buf b;
        ch_buf_init(&b, 1 << 16);
        ch_buf_append_c(&b, head);
        ch_buf_append_c(&b, cases[i].scope != NULL ? cases[i].scope : good_scope);
        if (cases[i].rule != NULL)
            ch_buf_append_c(&b, cases[i].rule);
        else if (cases[i].extra != NULL)
            ch_buf_appendf(&b, ssvc, cases[i].extra);
        else
            ch_buf_append_c(&b, rule_ok);
        ch_buf_append_c(&b, tail);
        struct ch_err err = CH_ERR_INIT;
        struct ch_directive *d = NULL;
        int rc = ch_directive_parse(ch_buf_cstr(&b), ch_buf_len(&b), "case", base, &d, &err);
        if (cases[i].msg == NULL) {
            if (rc != CH_OK)
                fail_msg("case %zu: %s", i, err.msg);
            ch_directive_free(d);
        } else if (rc == CH_OK || !ch_test_contains(err.msg, cases[i].msg)) {
            fail_msg("case %zu: rc %d '%s'; want '%s'", i, rc, err.msg, cases[i].msg);
        }
        ch_buf_release(&b);
    }
    /* header fields */
    const char *bad_docs[][2] = {
        {"{\"format\":\"other/2\"}", "is not \"clearinghouse-directive/1\""},
        {"{\"format\":\"clearinghouse-directive/1\",\"id\":\"X\",\"title\":\"t\","
         "\"issued\":\"2026-13-01\"}",
         "field 'issued': expected a date"},
        {"{\"format\":\"clearinghouse-directive/1\",\"id\":\"X\",\"title\":\"t\","
         "\"issued\":\"2026-06-10\",\"revoked\":\"2026-06-10\"}",
         "must be later than 'issued'"},
        {"{\"format\":\"clearinghouse-directive/1\",\"id\":\"X\",\"title\":\"t\","
         "\"issued\":\"2026-06-10\",\"revoked_by\":\"Y\"}",
         "needs a 'revoked' date"},
        {"{\"format\":\"clearinghouse-directive/1\",\"id\":\"X\",\"title\":\"t\","
         "\"issued\":\"2026-01-01\",\"scope\":{\"categories\":[\"fceb\"]},"
         "\"rule\":{\"type\":\"kev_due_date\"},\"reporting\":{\"cadence\":\"hourly\"}}",
         "unknown cadence 'hourly'"},
        {"{\"format\":\"clearinghouse-directive/1\",\"title\":\"t\"}", "'id'"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(bad_docs); i++) {
        struct ch_err err = CH_ERR_INIT;
        struct ch_directive *d = NULL;
        int rc = ch_directive_parse(bad_docs[i][0], strlen(bad_docs[i][0]), "doc", base, &d, &err);
        if (rc == CH_OK || !ch_test_contains(err.msg, bad_docs[i][1]))
            fail_msg("doc %zu: rc %d '%s'; want '%s'", i, rc, err.msg, bad_docs[i][1]);
        assert_true(ch_test_contains(err.msg, "doc"));
    }
    ch_free(base);
}

static void test_directive_json_output(void **state)
{
    struct ch_directive *d = load("directives/BOD-26-04.json");
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_directive_write_json(d, &w);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    cJSON *j = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "out", &j, &err), CH_OK);
    assert_string_equal(ch_json_str(j, "id"), "BOD-26-04");
    assert_string_equal(ch_json_str(j, "issued"), "2026-06-10");
    const cJSON *rule = ch_json_obj(j, "rule");
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(rule, "rows")), 16);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(rule, "outcomes")), 5);
    cJSON_Delete(j);
    ch_buf_reset(&b);
    ch_directive_describe(d, &b);
    assert_true(ch_test_contains(ch_buf_cstr(&b), "BOD-26-04: Prioritizing Security Updates"));
    assert_true(ch_test_contains(ch_buf_cstr(&b), "3 days + forensic triage"));
    ch_buf_release(&b);
    ch_directive_free(d);
}

static void test_directive_cli(void **state)
{
    char *dir = source_path("directives");
    struct ch_buf out, errout;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&errout, 1 << 20);
    const char *decide_argv[] = {"directive",
                                 "--dir",
                                 dir,
                                 "decide",
                                 "BOD-26-04",
                                 "kev=yes",
                                 "exposure=yes",
                                 "automatable=no",
                                 "impact=total",
                                 "detected=2026-07-01T10:00:00Z",
                                 NULL};
    assert_int_equal(ch_test_run_cli(decide_argv, NULL, &out, &errout), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "BOD-26-04: 3 days & forensic investigation"));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "due:    2026-07-04T23:59:59Z"));

    const char *bad_argv[] = {
        "directive",      "--dir",        dir, "decide", "BOD-26-04", "kev=perhaps", "exposure=yes",
        "automatable=no", "impact=total", NULL};
    assert_int_equal(ch_test_run_cli(bad_argv, NULL, &out, &errout), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&errout), "unknown value 'perhaps' for 'In KEV'"));

    const char *pt_argv[] = {"directive", "--dir", dir, "decide", "BOD-26-04", "weather=yes", NULL};
    assert_int_equal(ch_test_run_cli(pt_argv, NULL, &out, &errout), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&errout), "unknown decision point 'weather'"));

    const char *list_argv[] = {"--now", "2026-01-01", "directive", "--dir", dir, "list", NULL};
    assert_int_equal(ch_test_run_cli(list_argv, NULL, &out, &errout), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "BOD-22-01"));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "not yet issued"));

    const char *show_argv[] = {"directive", "show", "bod-19-02", "--json", "--dir", dir, NULL};
    assert_int_equal(ch_test_run_cli(show_argv, NULL, &out, &errout), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"critical\": 15"));

    const char *missing_argv[] = {"directive", "--dir", dir, "show", "BOD-99-01", NULL};
    assert_int_equal(ch_test_run_cli(missing_argv, NULL, &out, &errout), 3);

    /* $CLEARINGHOUSE_DIRECTIVES when there is no --dir */
    setenv("CLEARINGHOUSE_DIRECTIVES", dir, 1);
    const char *env_argv[] = {"directive",           "decide", "BOD-19-02", "cvss=9.8",
                              "detected=2026-01-01", "--json", NULL};
    assert_int_equal(ch_test_run_cli(env_argv, NULL, &out, &errout), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"due\": \"2026-01-16T23:59:59Z\""));
    unsetenv("CLEARINGHOUSE_DIRECTIVES");
    ch_free(dir);
    ch_buf_release(&out);
    ch_buf_release(&errout);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directive_bod2604_all_rows),
        cmocka_unit_test(test_directive_due_end_of_last_day),
        cmocka_unit_test(test_directive_clock_tier),
        cmocka_unit_test(test_directive_regime_change),
        cmocka_unit_test(test_directive_scope),
        cmocka_unit_test(test_directive_bod1902_severity),
        cmocka_unit_test(test_directive_bod2201_kev_due_dates),
        cmocka_unit_test(test_directive_shared_kev_catalogue),
        cmocka_unit_test(test_directive_set_and_fixture),
        cmocka_unit_test(test_directive_malformed_rejected),
        cmocka_unit_test(test_directive_json_output),
        cmocka_unit_test(test_directive_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
