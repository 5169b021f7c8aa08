/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: UTC clock, RFC 3339 parsing and formatting. */
#include "testutil.h"

#include <string.h>
#include <time.h>

#include "core/clock.h"

static int64_t parse_ok(const char *s)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t t = 0;
    int32_t ns = 0;
    if (ch_time_parse(ch_str_c(s), &t, &ns, &err) != CH_OK)
        fail_msg("'%s': %s", s, err.msg);
    return t;
}

static void test_time_parse_forms(void **state)
{
    assert_true(parse_ok("1970-01-01") == 0);
    assert_true(parse_ok("2026-06-10") == 1781049600);
    assert_true(parse_ok("2026-06-10T00:00:00Z") == 1781049600);
    assert_true(parse_ok("2026-06-10T02:00:00+02:00") == 1781049600);
    assert_true(parse_ok("2026-06-09T22:00:00-02:00") == 1781049600);
    assert_true(parse_ok("2026-06-10 00:00:00") == 1781049600);
    assert_true(parse_ok("2026-06-10T00:00Z") == 1781049600);
    assert_true(parse_ok("2000-02-29T23:59:59Z") == 951868799);
    struct ch_err err = CH_ERR_INIT;
    int64_t t;
    int32_t ns;
    assert_int_equal(ch_time_parse(ch_str_c("2023-01-01T00:00:00.123456Z"), &t, &ns, &err), CH_OK);
    assert_int_equal(ns, 123456000);
    const char *bad[] = {"2023-02-29", "2023-13-01", "2023-00-10", "2023-1-1", "20230101",
                         "2023-01-01T25:00:00Z", "2023-01-01T00:00:00+0200", "2023-01-01T",
                         "2023-01-01T00:00:00Zjunk", "", "0000-01-01", "2023-01-01T00:00:00."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ch_err_clear(&err);
        if (ch_time_parse(ch_str_c(bad[i]), &t, &ns, &err) != CH_E_INVALID)
            fail_msg("accepted '%s'", bad[i]);
    }
}

static void test_time_roundtrip_against_libc(void **state)
{
    /* every 7919 seconds across 1900..2200: our civil conversion equals gmtime_r */
    for (int64_t t = -2208988800LL; t < 7258118400LL; t += 7919 * 97) {
        char ours[CH_TIME_STR_MAX], theirs[64];
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(theirs, sizeof(theirs), "%Y-%m-%dT%H:%M:%SZ", &tm);
        ch_time_format(t, ours);
        assert_string_equal(ours, theirs);
        assert_true(parse_ok(ours) == t);
    }
}

static void test_clock_fixed_and_day(void **state)
{
    struct ch_clock c = CH_CLOCK_FIXED(1781049600 + 3600);
    assert_true(ch_clock_now(&c) == 1781053200);
    assert_true(ch_time_day_start(ch_clock_now(&c)) == 1781049600);
    assert_true(ch_time_day_start(-1) == -86400);
    char d[CH_TIME_STR_MAX];
    assert_string_equal(ch_time_format_date(1781053200, d), "2026-06-10");
    struct ch_clock sys = CH_CLOCK_SYSTEM;
    assert_true(ch_clock_now(&sys) > 1700000000);
    assert_true(ch_clock_mono_ns() > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse_forms),
        cmocka_unit_test(test_time_roundtrip_against_libc),
        cmocka_unit_test(test_clock_fixed_and_day),
    };
    return cmocka_run_group_tests_name("core time", tests, NULL, NULL);
}
