/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: SSVC decision tables (JSON and CSV forms of CERT/CC's files),
 * completeness checks, lookups by name, key and synonym. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "remediate/ssvc.h"

static struct ch_ssvc_table *load_rel(const char *rel)
{
    char *path = NULL;
    if (strncmp(rel, "fixtures:", 9) == 0) {
        path = ch_test_fixture(rel + 9);
    } else {
        const char *root = getenv("CH_SOURCE_DIR");
        assert_non_null(root);
        size_t n = strlen(root) + strlen(rel) + 2;
        path = ch_malloc(n);
        snprintf(path, n, "%s/%s", root, rel);
    }
    struct ch_err err = CH_ERR_INIT;
    struct ch_ssvc_table *t = NULL;
    if (ch_ssvc_table_load(path, &t, &err) != CH_OK)
        fail_msg("%s: %s", path, err.msg);
    ch_free(path);
    return t;
}

static int load_error(const char *fixture, struct ch_err *err)
{
    char *path = ch_test_fixture(fixture);
    struct ch_ssvc_table *t = NULL;
    int rc = ch_ssvc_table_load(path, &t, err);
    ch_free(path);
    assert_null(t);
    return rc;
}

static const char *lookup4(const struct ch_ssvc_table *t, const char *n1, const char *v1,
                           const char *n2, const char *v2, const char *n3, const char *v3,
                           const char *n4, const char *v4)
{
    struct ch_ssvc_input in[] = {{ch_str_c(n1), ch_str_c(v1)},
                                 {ch_str_c(n2), ch_str_c(v2)},
                                 {ch_str_c(n3), ch_str_c(v3)},
                                 {ch_str_c(n4), ch_str_c(v4)}};
    struct ch_err err = CH_ERR_INIT;
    size_t o = 0;
    if (ch_ssvc_table_lookup(t, in, 4, &o, &err) != CH_OK)
        fail_msg("lookup: %s", err.msg);
    return ch_ssvc_table_outcome(t)->values[o].name;
}

/* BOD 26-04 Table 1 as published by CERT/CC (data/csv/cisa/cisa_bod_26_04_1_0_0.csv). */
static const struct {
    const char *kev, *exposed, *automatable, *impact, *outcome;
} bod2604[16] = {
    {"no", "no", "no", "partial", "fix on system upgrade"},
    {"yes", "no", "no", "partial", "14 days"},
    {"no", "yes", "no", "partial", "60 days"},
    {"no", "no", "yes", "partial", "60 days"},
    {"no", "no", "no", "total", "fix on system upgrade"},
    {"yes", "yes", "no", "partial", "14 days"},
    {"yes", "no", "yes", "partial", "14 days"},
    {"no", "yes", "yes", "partial", "14 days"},
    {"yes", "no", "no", "total", "14 days"},
    {"no", "yes", "no", "total", "14 days"},
    {"no", "no", "yes", "total", "60 days"},
    {"yes", "yes", "yes", "partial", "3 days"},
    {"yes", "yes", "no", "total", "3 days & forensic investigation"},
    {"yes", "no", "yes", "total", "3 days & forensic investigation"},
    {"no", "yes", "yes", "total", "3 days"},
    {"yes", "yes", "yes", "total", "3 days & forensic investigation"},
};

static void check_bod2604(const struct ch_ssvc_table *t)
{
    assert_int_equal(ch_ssvc_table_n_points(t), 4);
    assert_int_equal(ch_ssvc_table_n_rows(t), 16);
    for (size_t i = 0; i < 16; i++) {
        const char *got =
            lookup4(t, "In KEV", bod2604[i].kev, "Publicly Exposed", bod2604[i].exposed,
                    "Automatable", bod2604[i].automatable, "technical impact", bod2604[i].impact);
        if (strcasecmp(got, bod2604[i].outcome) != 0)
            fail_msg("row %zu: got '%s', want '%s'", i, got, bod2604[i].outcome);
    }
}

static void test_ssvc_bod2604_json_all_rows(void **state)
{
    struct ch_ssvc_table *t = load_rel("directives/ssvc/cisa_bod_26_04_1_0_0.json");
    assert_string_equal(ch_ssvc_table_id(t), "cisa:DT_BOD2604:1.0.0");
    assert_string_equal(ch_ssvc_table_name(t), "CISA BOD 26-04");
    /* columns in the mapping's order, as in the CSV */
    assert_string_equal(ch_ssvc_table_point(t, 0)->id, "cisa:KEV:1.0.0");
    assert_string_equal(ch_ssvc_table_point(t, 1)->id, "cisa:PE:1.0.0");
    const struct ch_ssvc_point *o = ch_ssvc_table_outcome(t);
    assert_int_equal(o->n_values, 5);
    assert_string_equal(o->values[0].key, "FSU");
    assert_string_equal(o->values[4].key, "3DF");
    check_bod2604(t);
    ch_ssvc_table_free(t);
}

static void test_ssvc_bod2604_csv_same_as_json(void **state)
{
    struct ch_ssvc_table *j = load_rel("directives/ssvc/cisa_bod_26_04_1_0_0.json");
    struct ch_ssvc_table *c = load_rel("directives/ssvc/cisa_bod_26_04_1_0_0.csv");
    check_bod2604(c);
    const struct ch_ssvc_point *pc = ch_ssvc_table_point(c, 0);
    assert_string_equal(pc->name, "In KEV");
    assert_string_equal(pc->ns, "cisa");
    assert_string_equal(pc->version, "1.0.0");
    assert_string_equal(ch_ssvc_table_point(c, 2)->ns, "ssvc");
    /* the outcome order recovered from the CSV equals the JSON's */
    const struct ch_ssvc_point *oj = ch_ssvc_table_outcome(j);
    const struct ch_ssvc_point *oc = ch_ssvc_table_outcome(c);
    assert_int_equal(oj->n_values, oc->n_values);
    for (size_t i = 0; i < oj->n_values; i++)
        assert_true(strcasecmp(oj->values[i].name, oc->values[i].name) == 0);
    /* and every row agrees */
    for (size_t r = 0; r < 16; r++) {
        size_t vj[CH_SSVC_MAX_POINTS], vc[CH_SSVC_MAX_POINTS];
        size_t a = ch_ssvc_table_row(j, r, vj);
        size_t b = ch_ssvc_table_row(c, r, vc);
        assert_int_equal(a, b);
        assert_memory_equal(vj, vc, 4 * sizeof(size_t));
    }
    ch_ssvc_table_free(j);
    ch_ssvc_table_free(c);
}

static void test_ssvc_lookup_names_keys_synonyms(void **state)
{
    struct ch_ssvc_table *t = load_rel("directives/ssvc/cisa_bod_26_04_1_0_0.json");
    /* keys, ids, ids without version, normalised names; true/false/Y/1 */
    assert_string_equal(
        lookup4(t, "KEV", "Y", "cisa:PE", "true", "ssvc:A:2.0.0", "1", "technical_impact", "T"),
        "3 days & forensic investigation");
    assert_string_equal(
        lookup4(t, "in-kev", "FALSE", "publicly exposed", "no", "a", "n", "TI", "Partial"),
        "Fix on system upgrade");
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_ssvc_table_add_alias(t, "exposure", 1, &err), CH_OK);
    assert_int_equal(ch_ssvc_table_add_alias(t, "exposure", 1, &err), CH_OK);
    assert_int_equal(ch_ssvc_table_add_alias(t, "exposure", 2, &err), CH_E_CONFLICT);
    assert_true(ch_test_contains(err.msg, "already names"));
    assert_string_equal(
        lookup4(t, "kev", "no", "Exposure", "yes", "automatable", "yes", "ti", "total"), "3 days");
    ch_ssvc_table_free(t);
}

static void test_ssvc_lookup_errors_name_the_problem(void **state)
{
    struct ch_ssvc_table *t = load_rel("directives/ssvc/cisa_bod_26_04_1_0_0.json");
    struct ch_err err = CH_ERR_INIT;
    size_t o = 0;
    struct ch_ssvc_input bad_point[] = {{CH_STR_LIT("weather"), CH_STR_LIT("sunny")}};
    assert_int_equal(ch_ssvc_table_lookup(t, bad_point, 1, &o, &err), CH_E_NOTFOUND);
    assert_true(ch_test_contains(err.msg, "unknown decision point 'weather'"));
    assert_true(ch_test_contains(err.msg, "'In KEV'"));
    assert_string_equal(err.field, "point");

    ch_err_clear(&err);
    struct ch_ssvc_input bad_value[] = {{CH_STR_LIT("KEV"), CH_STR_LIT("maybe")}};
    assert_int_equal(ch_ssvc_table_lookup(t, bad_value, 1, &o, &err), CH_E_NOTFOUND);
    assert_true(ch_test_contains(err.msg, "unknown value 'maybe' for 'In KEV'"));
    assert_true(ch_test_contains(err.msg, "'No' or 'Yes'"));

    ch_err_clear(&err);
    struct ch_ssvc_input twice[] = {{CH_STR_LIT("KEV"), CH_STR_LIT("yes")},
                                    {CH_STR_LIT("In KEV"), CH_STR_LIT("no")}};
    assert_int_equal(ch_ssvc_table_lookup(t, twice, 2, &o, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "'In KEV' given twice"));

    ch_err_clear(&err);
    struct ch_ssvc_input partial[] = {{CH_STR_LIT("KEV"), CH_STR_LIT("yes")},
                                      {CH_STR_LIT("TI"), CH_STR_LIT("total")}};
    assert_int_equal(ch_ssvc_table_lookup(t, partial, 2, &o, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "no value given for 'Publicly Exposed', 'Automatable'"));

    ch_err_clear(&err);
    size_t idx[4] = {0, 0, 2, 0};
    assert_int_equal(ch_ssvc_table_lookup_index(t, idx, &o, &err), CH_E_INVALID);
    ch_ssvc_table_free(t);
}

/* CISA SSVC guide 2.0.3 (CERT/CC data/csv/cisa/cisa_coordinator_2_0_3.csv). */
static void test_ssvc_cisa_coordinator_table(void **state)
{
    struct ch_ssvc_table *t = load_rel("directives/ssvc/cisa_coordinator_2_0_3.json");
    assert_int_equal(ch_ssvc_table_n_rows(t), 36);
    const struct ch_ssvc_point *o = ch_ssvc_table_outcome(t);
    const char *levels[] = {"Track", "Track*", "Attend", "Act"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(o->values[i].name, levels[i]);
    struct {
        const char *e, *a, *ti, *mwi, *want;
    } cases[] = {
        {"none", "no", "partial", "low", "Track"},
        {"none", "no", "total", "high", "Track*"},
        {"none", "yes", "partial", "high", "Attend"},
        {"public poc", "no", "partial", "high", "Track*"},
        {"poc", "yes", "total", "medium", "Track*"}, /* CISA ADP's spelling */
        {"PoC", "no", "total", "high", "Attend"},
        {"active", "no", "total", "medium", "Attend"},
        {"active", "no", "total", "high", "Act"},
        {"A", "Y", "P", "L", "Attend"},
        {"Active", "yes", "total", "Medium", "Act"},
        {"active", "yes", "partial", "high", "Act"},
        {"active", "no", "partial", "medium", "Track"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        const char *got =
            lookup4(t, "Exploitation", cases[i].e, "Automatable", cases[i].a, "Technical Impact",
                    cases[i].ti, "Mission and Well-Being Impact", cases[i].mwi);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
    }
    /* the CSV form agrees on all 36 rows, and recovers the level order */
    struct ch_ssvc_table *c = load_rel("directives/ssvc/cisa_coordinator_2_0_3.csv");
    const struct ch_ssvc_point *oc = ch_ssvc_table_outcome(c);
    for (size_t i = 0; i < 4; i++)
        assert_true(strcasecmp(oc->values[i].name, levels[i]) == 0);
    for (size_t r = 0; r < 36; r++) {
        size_t v1[CH_SSVC_MAX_POINTS], v2[CH_SSVC_MAX_POINTS];
        assert_int_equal(ch_ssvc_table_row(t, r, v1), ch_ssvc_table_row(c, r, v2));
    }
    ch_ssvc_table_free(c);
    ch_ssvc_table_free(t);
}

static void test_ssvc_malformed_tables_rejected(void **state)
{
    struct {
        const char *file;
        int rc;
        const char *msg;
    } cases[] = {
        {"ssvc/bod2604_missing_row.csv", CH_E_INVALID,
         "missing combination (In KEV=no, Publicly Exposed=yes, Automatable=yes, Technical "
         "Impact=partial)"},
        {"ssvc/bod2604_duplicate_row.csv", CH_E_INVALID,
         ":18: duplicate combination (In KEV=no, Publicly Exposed=yes, Automatable=no, "
         "Technical Impact=total), already given at line 11"},
        {"ssvc/bod2604_unknown_value.csv", CH_E_INVALID,
         "missing combination (In KEV=no, Publicly Exposed=no, Automatable=maybe, Technical "
         "Impact=total)"},
        {"ssvc/bod2604_short_row.csv", CH_E_INVALID, ":7: expected 6 fields, found 5"},
        {"ssvc/bod2604_missing_row.json", CH_E_INVALID,
         "missing combination (In KEV=No, Publicly Exposed=Yes, Automatable=No, Technical "
         "Impact=Total)"},
        {"ssvc/bod2604_duplicate_row.json", CH_E_INVALID,
         "mapping[16]: duplicate combination (In KEV=No, Publicly Exposed=Yes, Automatable=No, "
         "Technical Impact=Partial), already given at mapping[2]"},
        {"ssvc/bod2604_unknown_value.json", CH_E_INVALID,
         "mapping[6]: unknown value 'X' for 'Automatable'"},
        {"ssvc/bod2604_bad_outcome.json", CH_E_INVALID,
         "outcome 'cisa:NOPE:1.0.0' is not one of the decision_points"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_err err = CH_ERR_INIT;
        int rc = load_error(cases[i].file, &err);
        if (rc != cases[i].rc || !ch_test_contains(err.msg, cases[i].msg))
            fail_msg("%s: rc %d, message '%s'; want '%s'", cases[i].file, rc, err.msg,
                     cases[i].msg);
        /* every message names the file */
        assert_true(ch_test_contains(err.msg, cases[i].file));
    }
}

static void test_ssvc_parse_inline_errors(void **state)
{
    struct {
        const char *data;
        int rc;
        const char *msg;
    } cases[] = {
        {"", CH_E_INVALID, "empty decision table"},
        {"row,Only v1.0.0\n0,x\n", CH_E_INVALID, "expected a header"},
        {"A,B\n\"x,y\n", CH_E_INVALID, "unterminated quoted field"},
        {"A,B\n\"x\"y,z\n", CH_E_INVALID, "text after a closing quote"},
        {"A,A,Out\nx,x,o\n", CH_E_INVALID, "named twice"},
        {"A,Out\n,o\n", CH_E_INVALID, "empty value for 'A'"},
        {"[1]", CH_E_INVALID, "expected"},
        /* found by fuzzing: 13 input columns without a row column overflowed the points */
        {"a,b,c,d,e,f,g,h,i,j,k,l,m,out\n", CH_E_LIMIT, "more than 12 decision points"},
        {"q,ssvc:q,Out\na,b,o\n", CH_E_INVALID,
         "decision points 'q' and 'ssvc:q' have clashing names"},
        {"{\"decision_points\":{\"p\":{\"key\":\"P\",\"name\":\"P\",\"values\":[{\"key\":"
         "\"B\",\"name\":\"a\"},{\"key\":\"C\",\"name\":\"b\"}]},\"o\":{\"key\":\"O\","
         "\"name\":\"O\",\"values\":[{\"key\":\"o\",\"name\":\"o\"}]}},\"outcome\":\"o\","
         "\"mapping\":[{\"p\":\"B\",\"o\":\"o\"},{\"p\":\"C\",\"o\":\"o\"}]}",
         CH_E_INVALID, "values of decision point 'P' have clashing names or keys ('b')"},
        {"{\"decision_points\":{},\"outcome\":\"o\",\"mapping\":[]}", CH_E_INVALID,
         "outcome 'o' is not one of"},
        {"{\"decision_points\":{\"o\":{\"key\":\"O\",\"name\":\"Out\",\"values\":[{\"key\":\"A\","
         "\"name\":\"a\"}]}},\"outcome\":\"o\",\"mapping\":[]}",
         CH_E_INVALID, "no input decision points"},
        {"{\"decision_points\":{\"p\":{\"key\":\"P\",\"name\":\"P\",\"values\":[{\"key\":\"A\","
         "\"name\":\"a\"},{\"key\":\"A\",\"name\":\"b\"}]}},\"outcome\":\"p\",\"mapping\":[]}",
         CH_E_INVALID, "duplicate value 'b'"},
        {"{\"decision_points\":{\"p\":{\"key\":\"P\",\"name\":\"P\",\"values\":[]}},"
         "\"outcome\":\"p\",\"mapping\":[]}",
         CH_E_INVALID, "expected 1 to 32 values"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_err err = CH_ERR_INIT;
        struct ch_ssvc_table *t = NULL;
        int rc = ch_ssvc_table_parse(cases[i].data, strlen(cases[i].data), "inline", &t, &err);
        if (rc == CH_OK)
            ch_ssvc_table_free(t);
        if (rc != cases[i].rc || !ch_test_contains(err.msg, cases[i].msg))
            fail_msg("case %zu: rc %d, message '%s'; want '%s'", i, rc, err.msg, cases[i].msg);
        assert_null(t);
    }
}

/* Found by fuzzing: NUL bytes in CSV names made two points' ids look equal. */
static void test_ssvc_csv_nul_rejected(void **state)
{
    static const char data[] = "A,B\0x,Out\nx,y,o\n";
    struct ch_err err = CH_ERR_INIT;
    struct ch_ssvc_table *t = NULL;
    assert_int_equal(ch_ssvc_table_parse(data, sizeof(data) - 1, "nul", &t, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "nul:1: NUL byte in a field"));
    assert_null(t);
}

/* Found by fuzzing: a namespace written "( ns )" gave an id no lookup could match. */
static void test_ssvc_names_with_spaces(void **state)
{
    static const char csv[] = "row,\"X v1.0.0 ( ns )\",Out\n0,a,o\n";
    struct ch_err err = CH_ERR_INIT;
    struct ch_ssvc_table *t = NULL;
    assert_int_equal(ch_ssvc_table_parse(csv, sizeof(csv) - 1, "sp", &t, &err), CH_OK);
    assert_string_equal(ch_ssvc_table_point(t, 0)->id, "ns:X:1.0.0");
    ch_ssvc_table_free(t);
    static const char json[] =
        "{\"decision_points\":{\"pp\":{\"key\":\"P \",\"name\":\"Q\",\"values\":[{\"key\":"
        "\"a\",\"name\":\"a\"}]},\"o\":{\"key\":\"O\",\"name\":\"O\",\"values\":[{\"key\":"
        "\"o\",\"name\":\"o\"}]}},\"outcome\":\"o\",\"mapping\":[{\"pp\":\"a\",\"o\":\"o\"}]}";
    assert_int_equal(ch_ssvc_table_parse(json, sizeof(json) - 1, "sp", &t, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "cannot be named by 'P '"));
}

static void test_ssvc_csv_quoting_and_crlf(void **state)
{
    struct ch_ssvc_table *t = load_rel("fixtures:ssvc/quoted_crlf.csv");
    assert_int_equal(ch_ssvc_table_n_points(t), 2);
    const struct ch_ssvc_point *p = ch_ssvc_table_point(t, 0);
    assert_string_equal(p->name, "Exposure, as seen");
    assert_string_equal(p->ns, "x_test");
    assert_string_equal(p->id, "x_test:Exposure, as seen:1.0.0");
    assert_string_equal(ch_ssvc_table_outcome(t)->name, "Decision, \"quoted\"");
    struct ch_ssvc_input in[] = {{CH_STR_LIT("exposure, as seen"), CH_STR_LIT("OPEN")},
                                 {CH_STR_LIT("automatable"), CH_STR_LIT("true")}};
    struct ch_err err = CH_ERR_INIT;
    size_t o = 0;
    assert_int_equal(ch_ssvc_table_lookup(t, in, 2, &o, &err), CH_OK);
    assert_string_equal(ch_ssvc_table_outcome(t)->values[o].name, "immediate");
    /* mean-rank order: defer < scheduled < immediate */
    assert_string_equal(ch_ssvc_table_outcome(t)->values[0].name, "defer");
    assert_string_equal(ch_ssvc_table_outcome(t)->values[2].name, "immediate");
    ch_ssvc_table_free(t);
}

/* Every CERT/CC decision table in the shared data set loads and is complete. */
static void test_ssvc_shared_certcc_tables(void **state)
{
    const char *files[] = {
        "ssvc/certcc-ssvc/csv/ssvc/deployer_patch_application_priority_1_0_0.csv",
        "ssvc/certcc-ssvc/csv/ssvc/supplier_patch_development_priority_1_0_0.csv",
        "ssvc/certcc-ssvc/csv/ssvc/coordinator_triage_1_0_0.csv",
        "ssvc/certcc-ssvc/csv/ssvc/coordinator_publish_decision_table_1_0_0.csv",
        "ssvc/certcc-ssvc/csv/ssvc/human_impact_1_0_0.csv",
        "ssvc/certcc-ssvc/csv/cvss/cvss_v4_equivalence_set_3_1_0_0.csv",
        "ssvc/certcc-ssvc/json/decision_tables/ssvc/deployer_patch_application_priority_1_0_0.json",
        "ssvc/certcc-ssvc/json/decision_tables/ssvc/coordinator_triage_1_0_0.json",
        "ssvc/certcc-ssvc/json/decision_tables/cisa/cisa_bod_26_04_1_0_0.json",
        "ssvc/certcc-ssvc/json/decision_tables/cisa/cisa_coordinator_2_0_3.json",
        "ssvc/certcc-ssvc/json/decision_tables/cvss/cvss_v4_equivalence_set_3_1_0_0.json",
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(files); i++) {
        char *path = ch_test_shared(files[i]);
        if (path == NULL)
            return;
        struct ch_err err = CH_ERR_INIT;
        struct ch_ssvc_table *t = NULL;
        if (ch_ssvc_table_load(path, &t, &err) != CH_OK)
            fail_msg("%s: %s", files[i], err.msg);
        assert_true(ch_ssvc_table_n_rows(t) > 1);
        ch_ssvc_table_free(t);
        ch_free(path);
    }
}

/* The CISA ADP SSVC records of the shared data: every value spelling is accepted. */
static void test_ssvc_shared_adp_values(void **state)
{
    char *path = ch_test_shared("ssvc/cisa-adp-ssvc-decision-points.csv");
    if (path == NULL)
        return;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    ch_test_read_file(path, &b);
    ch_free(path);
    struct ch_ssvc_table *t = load_rel("directives/ssvc/cisa_coordinator_2_0_3.json");
    const struct ch_ssvc_point *e = ch_ssvc_table_point(t, 0);
    const struct ch_ssvc_point *a = ch_ssvc_table_point(t, 1);
    const struct ch_ssvc_point *ti = ch_ssvc_table_point(t, 2);
    struct ch_str rest = ch_buf_str(&b);
    struct ch_str line;
    size_t n = 0;
    assert_true(ch_str_split_next(&rest, '\n', &line)); /* header */
    while (ch_str_split_next(&rest, '\n', &line)) {
        if (line.len == 0)
            continue;
        struct ch_str f[6];
        struct ch_str r = line;
        for (size_t i = 0; i < 6; i++)
            assert_true(ch_str_split_next(&r, ',', &f[i]));
        struct ch_err err = CH_ERR_INIT;
        size_t v = 0;
        if (ch_ssvc_point_find_value(e, f[3], &v, &err) != CH_OK ||
            ch_ssvc_point_find_value(a, f[4], &v, &err) != CH_OK ||
            ch_ssvc_point_find_value(ti, f[5], &v, &err) != CH_OK)
            fail_msg("%.*s: %s", CH_STR_FMT(line), err.msg);
        n++;
    }
    assert_true(n > 40000);
    ch_ssvc_table_free(t);
    ch_buf_release(&b);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssvc_bod2604_json_all_rows),
        cmocka_unit_test(test_ssvc_bod2604_csv_same_as_json),
        cmocka_unit_test(test_ssvc_lookup_names_keys_synonyms),
        cmocka_unit_test(test_ssvc_lookup_errors_name_the_problem),
        cmocka_unit_test(test_ssvc_cisa_coordinator_table),
        cmocka_unit_test(test_ssvc_malformed_tables_rejected),
        cmocka_unit_test(test_ssvc_parse_inline_errors),
        cmocka_unit_test(test_ssvc_csv_nul_rejected),
        cmocka_unit_test(test_ssvc_names_with_spaces),
        cmocka_unit_test(test_ssvc_csv_quoting_and_crlf),
        cmocka_unit_test(test_ssvc_shared_certcc_tables),
        cmocka_unit_test(test_ssvc_shared_adp_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
