/* SPDX-License-Identifier: Apache-2.0
 *
 * Unit tests: CVSS v3.0/v3.1/v4.0 parsing, validation, canonical printing and
 * scoring. The data-driven test runs every vector of Red Hat's cvss test
 * suite (shared data set, cvss/redhat-cvss/tests) and requires all v3.x and
 * v4.0 ones to give the expected scores; the CVSS v2 files of that suite are
 * counted and skipped (v2 is not supported).
 */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/num.h"
#include "vuln/cvss.h"

double ch_cvss__roundup31(double x);
double ch_cvss__roundup30(double x);

static struct ch_cvss_score score_of(const char *vector)
{
    struct ch_cvss_score s;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_cvss_compute(ch_str_c(vector), &s, &err);
    if (rc != CH_OK)
        fail_msg("'%s': %s", vector, err.msg);
    return s;
}

static long tenths(double x)
{
    return lround(x * 10.0);
}

/* Asserts the vector is rejected with a message containing `needle` and field `field`. */
static void expect_invalid(const char *vector, const char *needle, const char *field)
{
    struct ch_cvss_vector v;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_cvss_parse(ch_str_c(vector), &v, &err);
    if (rc == CH_OK)
        fail_msg("'%s' accepted", vector);
    if (!ch_test_contains(err.msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", vector, err.msg, needle);
    if (field != NULL && strcmp(err.field, field) != 0)
        fail_msg("'%s': field '%s', expected '%s'", vector, err.field, field);
}

/* ---- the Red Hat test suite ------------------------------------------------ */

struct suite_counts {
    long passed;
    long failed;
    long skipped_v2;
};

/* Parses "(a, b, c)", "(a,)" or "a" into up to three numbers; returns how many. */
static int parse_expected(struct ch_str s, double out[3])
{
    s = ch_str_trim(s);
    if (s.len > 0 && s.ptr[0] == '(') {
        s = ch_str_sub(s, 1, s.len - 1);
        if (s.len > 0 && s.ptr[s.len - 1] == ')')
            s.len--;
    }
    int n = 0;
    struct ch_str tok;
    while (n < 3 && ch_str_split_next(&s, ',', &tok)) {
        tok = ch_str_trim(tok);
        if (tok.len == 0)
            continue;
        struct ch_err err = CH_ERR_INIT;
        if (ch_num_parse_double(tok, &out[n], &err) != CH_OK)
            return -1;
        n++;
    }
    return n;
}

static void check_line(const char *file, struct ch_str line, struct suite_counts *c)
{
    long sep = -1;
    for (size_t i = 0; i + 3 <= line.len; i++) {
        if (memcmp(line.ptr + i, " - ", 3) == 0) {
            sep = (long)i;
            break;
        }
    }
    if (sep < 0)
        fail_msg("%s: malformed line '%.*s'", file, CH_STR_FMT(line));
    struct ch_str vector = ch_str_sub(line, 0, (size_t)sep);
    if (!ch_str_starts_with(vector, "CVSS:")) {
        c->skipped_v2++;
        return;
    }
    double want[3];
    int n = parse_expected(ch_str_sub(line, (size_t)sep + 3, line.len), want);
    if (n <= 0)
        fail_msg("%s: malformed expectation in '%.*s'", file, CH_STR_FMT(line));
    struct ch_cvss_score s;
    struct ch_err err = CH_ERR_INIT;
    bool ok = ch_cvss_compute(vector, &s, &err) == CH_OK;
    if (ok && s.version == CH_CVSS_V4_0) {
        ok = n == 1 && tenths(s.score) == tenths(want[0]);
    } else if (ok) {
        ok = n == 3 && tenths(s.base_score) == tenths(want[0]) &&
             tenths(s.temporal_score) == tenths(want[1]) &&
             tenths(s.environmental_score) == tenths(want[2]);
    }
    if (ok) {
        c->passed++;
        return;
    }
    c->failed++;
    if (c->failed <= 20)
        print_message("MISMATCH %s: %.*s -> %s %.1f %.1f %.1f\n", file, CH_STR_FMT(line), err.msg,
                      s.version == CH_CVSS_V4_0 ? s.score : s.base_score, s.temporal_score,
                      s.environmental_score);
}

static void run_suite_file(const char *dir, const char *name, struct suite_counts *total)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = ch_malloc(len);
    assert_non_null(path);
    snprintf(path, len, "%s/%s", dir, name);
    struct ch_buf data;
    ch_buf_init(&data, 16u << 20);
    ch_test_read_file(path, &data);
    struct suite_counts c = {0};
    struct ch_str rest = ch_buf_str(&data);
    struct ch_str line;
    while (rest.len > 0 && ch_str_split_next(&rest, '\n', &line)) {
        line = ch_str_trim(line);
        if (line.len > 0)
            check_line(name, line, &c);
    }
    print_message("%-24s %5ld passed, %ld failed, %ld CVSS v2 skipped\n", name, c.passed, c.failed,
                  c.skipped_v2);
    total->passed += c.passed;
    total->failed += c.failed;
    total->skipped_v2 += c.skipped_v2;
    ch_buf_release(&data);
    ch_free(path);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_cvss_redhat_suite(void **state)
{
    char *dir = ch_test_shared("cvss/redhat-cvss/tests");
    if (dir == NULL)
        skip();
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "vectors_", 8) == 0 && n < CH_ARRAY_SIZE(names))
            names[n++] = ch_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_names);
    struct suite_counts total = {0};
    for (size_t i = 0; i < n; i++) {
        run_suite_file(dir, names[i], &total);
        ch_free(names[i]);
    }
    print_message("total: %ld / %ld v3.x+v4.0 vectors passed, %ld CVSS v2 vectors skipped\n",
                  total.passed, total.passed + total.failed, total.skipped_v2);
    ch_free(dir);
    assert_true(total.passed > 6000);
    assert_int_equal(total.failed, 0);
}

/* ---- v3.x ---------------------------------------------------------------- */

static void test_cvss_roundup(void **state)
{
    /* v3.1 Appendix A: Roundup(4.02) = 4.1, Roundup(4.00) = 4.0, float noise absorbed. */
    assert_int_equal(tenths(ch_cvss__roundup31(4.02)), 41);
    assert_int_equal(tenths(ch_cvss__roundup31(4.0)), 40);
    assert_int_equal(tenths(ch_cvss__roundup31(4.000000000000001)), 40);
    assert_int_equal(tenths(ch_cvss__roundup31(0.0)), 0);
    assert_int_equal(tenths(ch_cvss__roundup31(10.0)), 100);
    assert_int_equal(tenths(ch_cvss__roundup31(9.90001)), 100);
    assert_int_equal(tenths(ch_cvss__roundup30(4.02)), 41);
    assert_int_equal(tenths(ch_cvss__roundup30(4.000000000000001)), 40);
    assert_int_equal(tenths(ch_cvss__roundup30(3.9999999999999996)), 40);
    assert_int_equal(tenths(ch_cvss__roundup30(4.0000000001)), 41);
    /* where they differ: v3.1 first rounds to 5 decimals */
    assert_int_equal(tenths(ch_cvss__roundup31(4.000001)), 40);
    assert_int_equal(tenths(ch_cvss__roundup30(4.000001)), 41);
}

static void test_cvss_v3_base(void **state)
{
    struct ch_cvss_score s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_int_equal(s.version, CH_CVSS_V3_1);
    assert_int_equal(tenths(s.score), 98);
    assert_int_equal(s.severity, CH_CVSS_SEVERITY_CRITICAL);
    assert_int_equal(s.nomenclature, CH_CVSS_B);
    assert_int_equal(tenths(s.impact), 59);
    assert_int_equal(tenths(s.exploitability), 39);
    assert_string_equal(s.macrovector, "");
    s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H");
    assert_int_equal(tenths(s.score), 100);
    assert_int_equal(tenths(s.impact), 60);
    s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N");
    assert_int_equal(tenths(s.score), 0);
    assert_int_equal(s.severity, CH_CVSS_SEVERITY_NONE);
    assert_int_equal(tenths(s.impact), 0);
    /* metrics in any order, as v3.x allows */
    s = score_of("CVSS:3.0/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N");
    assert_int_equal(tenths(s.score), 38);
    assert_int_equal(s.severity, CH_CVSS_SEVERITY_LOW);
    /* NVD publishes impact 1.4 (ordinary rounding) for C:L only */
    s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N");
    assert_int_equal(tenths(s.score), 53);
    assert_int_equal(tenths(s.impact), 14);
    assert_int_equal(s.severity, CH_CVSS_SEVERITY_MEDIUM);
}

static void test_cvss_v3_temporal_and_environmental(void **state)
{
    struct ch_cvss_score s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U");
    assert_int_equal(s.nomenclature, CH_CVSS_BT);
    assert_int_equal(tenths(s.base_score), 98);
    assert_int_equal(tenths(s.temporal_score), 78);
    assert_int_equal(tenths(s.score), 78);
    assert_int_equal(s.severity, CH_CVSS_SEVERITY_HIGH);
    /* X values do not count as given */
    s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/RC:X/CR:X");
    assert_int_equal(s.nomenclature, CH_CVSS_B);
    assert_int_equal(tenths(s.score), 98);
    s = score_of("CVSS:3.0/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:N/A:H/E:H/RL:W/RC:U/CR:H/IR:H/AR:M/"
                 "MAV:L/MAC:L/MPR:H/MUI:N/MS:C/MC:N/MI:H/MA:L");
    assert_int_equal(s.nomenclature, CH_CVSS_BTE);
    assert_int_equal(tenths(s.base_score), 58);
    assert_int_equal(tenths(s.temporal_score), 52);
    assert_int_equal(tenths(s.environmental_score), 74);
    assert_int_equal(tenths(s.score), 74);
    s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAV:P");
    assert_int_equal(s.nomenclature, CH_CVSS_BE);
    assert_int_equal(tenths(s.score), tenths(s.environmental_score));
    assert_int_equal(tenths(s.score), 68);
}

static void test_cvss_v30_v31_differ(void **state)
{
    /* The modified impact of a changed scope differs between v3.0 and v3.1. */
    struct ch_cvss_score a =
        score_of("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MS:C/CR:H/IR:H/AR:H");
    struct ch_cvss_score b =
        score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MS:C/CR:H/IR:H/AR:H");
    assert_int_equal(tenths(a.base_score), tenths(b.base_score));
    assert_int_equal(tenths(a.score), 100);
    assert_int_equal(tenths(b.score), 100);
    a = score_of("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:L/MS:C");
    b = score_of("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:L/MS:C");
    assert_true(a.environmental_score >= 0.0 && b.environmental_score >= 0.0);
}

/* ---- v4.0 ---------------------------------------------------------------- */

static void test_cvss_v4_nomenclature(void **state)
{
    const char *base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    struct ch_cvss_score s = score_of(base);
    assert_int_equal(s.nomenclature, CH_CVSS_B);
    assert_string_equal(ch_cvss_nomenclature_str(s.nomenclature), "CVSS-B");
    assert_int_equal(tenths(s.score), 93);
    assert_string_equal(s.macrovector, "000200");
    assert_int_equal(s.severity, CH_CVSS_SEVERITY_CRITICAL);

    char buf[256];
    snprintf(buf, sizeof(buf), "%s/E:U", base);
    s = score_of(buf);
    assert_string_equal(ch_cvss_nomenclature_str(s.nomenclature), "CVSS-BT");
    assert_string_equal(s.macrovector, "000220");
    assert_int_equal(tenths(s.base_score), 93);
    assert_int_equal(tenths(s.score), 81);

    snprintf(buf, sizeof(buf), "%s/CR:L/IR:L/AR:L", base);
    s = score_of(buf);
    assert_string_equal(ch_cvss_nomenclature_str(s.nomenclature), "CVSS-BE");
    assert_string_equal(s.macrovector, "000201");
    assert_true(s.score < s.base_score);

    snprintf(buf, sizeof(buf), "%s/E:P/MAV:L/MSI:S", base);
    s = score_of(buf);
    assert_string_equal(ch_cvss_nomenclature_str(s.nomenclature), "CVSS-BTE");
    assert_int_equal(s.macrovector[0], '1');
    assert_int_equal(s.macrovector[3], '0');
    assert_int_equal(s.macrovector[4], '1');

    /* supplemental metrics and X values change nothing */
    snprintf(buf, sizeof(buf), "%s/E:X/CR:X/S:P/AU:Y/R:I/V:C/RE:H/U:Red", base);
    s = score_of(buf);
    assert_int_equal(s.nomenclature, CH_CVSS_B);
    assert_int_equal(tenths(s.score), 93);
}

static void test_cvss_v4_boundaries(void **state)
{
    /* highest and lowest */
    struct ch_cvss_score s =
        score_of("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H");
    assert_int_equal(tenths(s.score), 100);
    assert_string_equal(s.macrovector, "000100");
    s = score_of("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N");
    assert_int_equal(tenths(s.score), 0);
    assert_int_equal(s.severity, CH_CVSS_SEVERITY_NONE);
    /* modified impacts to N give 0 even with base impacts */
    s = score_of("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/"
                 "MVC:N/MVI:N/MVA:N/MSC:N/MSI:N/MSA:N");
    assert_int_equal(tenths(s.score), 0);
    assert_int_equal(tenths(s.base_score), 100);
    /* the least severe vector with an impact still scores above 0 */
    s = score_of("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N/E:U/"
                 "CR:L/IR:L/AR:L");
    assert_true(tenths(s.score) > 0);
    assert_int_equal(s.severity, CH_CVSS_SEVERITY_LOW);
    assert_string_equal(s.macrovector, "212221");
}

static void test_cvss_severity_bands(void **state)
{
    const struct {
        double score;
        enum ch_cvss_severity sev;
    } cases[] = {
        {0.0, CH_CVSS_SEVERITY_NONE},      {0.1, CH_CVSS_SEVERITY_LOW},
        {3.9, CH_CVSS_SEVERITY_LOW},       {4.0, CH_CVSS_SEVERITY_MEDIUM},
        {6.9, CH_CVSS_SEVERITY_MEDIUM},    {7.0, CH_CVSS_SEVERITY_HIGH},
        {8.9, CH_CVSS_SEVERITY_HIGH},      {9.0, CH_CVSS_SEVERITY_CRITICAL},
        {10.0, CH_CVSS_SEVERITY_CRITICAL},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++)
        assert_int_equal(ch_cvss_severity_of(cases[i].score), cases[i].sev);
    assert_string_equal(ch_cvss_severity_str(CH_CVSS_SEVERITY_MEDIUM), "MEDIUM");
    assert_string_equal(ch_cvss_severity_str(CH_CVSS_SEVERITY_COUNT), "?");
}

/* ---- parsing -------------------------------------------------------------- */

static void test_cvss_parse_errors_name_the_metric(void **state)
{
    expect_invalid("", "does not start with", "prefix");
    expect_invalid("AV:N/AC:L/Au:N/C:C/I:C/A:C", "does not start with", "prefix");
    expect_invalid("CVSS:2.0/AV:N", "unsupported version 'CVSS:2.0'", "prefix");
    expect_invalid("CVSS:3.1", "missing base metric 'AV'", "AV");
    expect_invalid("CVSS:3.10/AV:N", "unsupported version 'CVSS:3.10'", "prefix");
    expect_invalid("cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "does not start", "prefix");
    expect_invalid("CVSS:3.1/", "missing base metric 'AV'", "AV");
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "missing base metric 'A'", "A");
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L", "duplicate metric 'AV'",
                   "AV");
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:N", "duplicate", "AV");
    expect_invalid("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                   "invalid value 'Q' for metric 'AV' (expected N, A, L or P)", "AV");
    expect_invalid("CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metric 'AV'", "AV");
    expect_invalid("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metric 'AV'", "AV");
    expect_invalid("CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid value '' for", "AV");
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:X", "unknown metric 'ZZ'",
                   NULL);
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AT:N", "unknown metric 'AT'",
                   NULL);
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E", "metric 'E' has no value",
                   NULL);
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "trailing '/' after metric 'A'",
                   "A");
    expect_invalid("CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                   "empty metric after metric 'AV'", "AV");
    expect_invalid("CVSS:3.1//AV:N", "empty metric after the prefix", NULL);
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Q", "metric 'E'", "E");
    expect_invalid(" CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "does not start", "prefix");
    expect_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ", "metric 'A'", "A");
    expect_invalid("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
                   "missing base metric 'SA'", "SA");
    expect_invalid("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
                   "invalid value 'S' for metric 'SI'", "SI");
    expect_invalid("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:clear",
                   "metric 'U' (expected X, Clear, Green, Amber or Red)", "U");
    expect_invalid("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSC:S",
                   "metric 'MSC'", "MSC");
    expect_invalid("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/C:H/I:H/A:H",
                   "unknown metric 'C' for CVSS 4.0", NULL);
    expect_invalid("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:U",
                   "invalid value 'U' for metric 'S' (expected X, N or P)", "S");
    /* non-printable input is not echoed raw */
    struct ch_cvss_vector v;
    struct ch_err err = CH_ERR_INIT;
    const char bad[] = "CVSS:3.1/A\x01\x1b[31m:N";
    assert_int_equal(ch_cvss_parse(ch_str_make(bad, sizeof(bad) - 1), &v, &err), CH_E_INVALID);
    assert_null(strchr(err.msg, '\x1b'));
}

static void test_cvss_parse_limit(void **state)
{
    char big[CH_CVSS_MAX_VECTOR_LEN + 2];
    memset(big, 'A', sizeof(big));
    memcpy(big, "CVSS:3.1/", 9);
    struct ch_cvss_vector v;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_cvss_parse(ch_str_make(big, sizeof(big)), &v, &err), CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "longer than"));
    /* not NUL-terminated input: only len bytes are read */
    const char text[] = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:HXXXX";
    ch_err_clear(&err);
    assert_int_equal(ch_cvss_parse(ch_str_make(text, sizeof(text) - 5), &v, &err), CH_OK);
}

static void test_cvss_format_canonical(void **state)
{
    struct ch_cvss_vector v;
    struct ch_err err = CH_ERR_INIT;
    const char *in = "CVSS:3.0/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N/RL:X/E:F";
    assert_int_equal(ch_cvss_parse(ch_str_c(in), &v, &err), CH_OK);
    assert_string_equal(ch_cvss_get(&v, "S"), "U");
    assert_string_equal(ch_cvss_get(&v, "RL"), "X");
    assert_null(ch_cvss_get(&v, "RC"));
    assert_null(ch_cvss_get(&v, "NOPE"));
    struct ch_buf b;
    ch_buf_init(&b, 1024);
    assert_int_equal(ch_cvss_format(&v, &b), CH_OK);
    assert_string_equal(ch_buf_cstr(&b), "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N/E:F/RL:X");
    struct ch_cvss_vector v2;
    assert_int_equal(ch_cvss_parse(ch_buf_str(&b), &v2, &err), CH_OK);
    assert_memory_equal(&v, &v2, sizeof(v));

    ch_buf_reset(&b);
    const char *in4 = "CVSS:4.0/U:Amber/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N/"
                      "MSI:S/E:A";
    assert_int_equal(ch_cvss_parse(ch_str_c(in4), &v, &err), CH_OK);
    assert_int_equal(ch_cvss_format(&v, &b), CH_OK);
    assert_string_equal(ch_buf_cstr(&b), "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/"
                                         "SI:N/SA:N/E:A/MSI:S/U:Amber");
    assert_int_equal(ch_cvss_n_metrics(CH_CVSS_V4_0), 32);
    assert_int_equal(ch_cvss_n_metrics(CH_CVSS_V3_1), 22);
    assert_string_equal(ch_cvss_metric_name(CH_CVSS_V4_0, 31), "U");
    assert_null(ch_cvss_metric_name(CH_CVSS_V4_0, 32));
    assert_true(ch_cvss_metric_is_base(CH_CVSS_V4_0, 10));
    assert_false(ch_cvss_metric_is_base(CH_CVSS_V4_0, 11));
    assert_string_equal(ch_cvss_version_str(CH_CVSS_V3_0), "3.0");
    ch_buf_release(&b);

    /* a vector not made by the parser is refused */
    struct ch_cvss_vector junk = {.version = CH_CVSS_V4_0};
    struct ch_cvss_score s;
    assert_int_equal(ch_cvss_score(&junk, &s, &err), CH_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cvss_redhat_suite),
        cmocka_unit_test(test_cvss_roundup),
        cmocka_unit_test(test_cvss_v3_base),
        cmocka_unit_test(test_cvss_v3_temporal_and_environmental),
        cmocka_unit_test(test_cvss_v30_v31_differ),
        cmocka_unit_test(test_cvss_v4_nomenclature),
        cmocka_unit_test(test_cvss_v4_boundaries),
        cmocka_unit_test(test_cvss_severity_bands),
        cmocka_unit_test(test_cvss_parse_errors_name_the_metric),
        cmocka_unit_test(test_cvss_parse_limit),
        cmocka_unit_test(test_cvss_format_canonical),
    };
    return cmocka_run_group_tests_name("vuln cvss", tests, NULL, NULL);
}
