/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: err, buf, str, num, size, arena, map, log quoting. */
#include "testutil.h"

#include <limits.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/map.h"
#include "core/num.h"
#include "core/size.h"
#include "core/utf8.h"

static void test_err_set_first_message_wins(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_err_set(&err, CH_E_LIMIT, "inner %d", 1), CH_E_LIMIT);
    assert_int_equal(ch_err_set(&err, CH_E_IO, "outer"), CH_E_LIMIT);
    assert_string_equal(err.msg, "inner 1");
    ch_err_prefix(&err, "loading '%s'", "x.json");
    assert_string_equal(err.msg, "loading 'x.json': inner 1");
    assert_string_equal(ch_rc_str(CH_E_NOTFOUND), "not found");
    assert_string_equal(ch_rc_str(42), "unknown error");
    ch_err_clear(&err);
    assert_int_equal(err.rc, CH_OK);
    ch_err_setf(&err, CH_E_INVALID, "a.b", "bad");
    assert_string_equal(err.field, "a.b");
}

static void test_err_prefix_truncates(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ch_err_set(&err, CH_E_INVALID, "%s", big);
    ch_err_prefix(&err, "ctx");
    assert_int_equal(strlen(err.msg), CH_ERR_MSG_MAX - 1);
    assert_memory_equal(err.msg, "ctx: xx", 7);
}

static void test_buf_append_and_limit(void **state)
{
    struct ch_buf b;
    ch_buf_init(&b, 10);
    assert_string_equal(ch_buf_cstr(&b), "");
    assert_int_equal(ch_buf_append_c(&b, "hello"), CH_OK);
    assert_int_equal(ch_buf_appendf(&b, "%d", 12345), CH_OK);
    assert_string_equal(ch_buf_cstr(&b), "hello12345");
    assert_int_equal(ch_buf_append_byte(&b, '!'), CH_E_LIMIT);
    /* sticky */
    assert_int_equal(ch_buf_append_c(&b, ""), CH_E_LIMIT);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_buf_status(&b, "reply", &err), CH_E_LIMIT);
    assert_string_equal(err.msg, "reply exceeds 10 bytes");
    ch_buf_reset(&b);
    assert_int_equal(ch_buf_append(&b, "a\0b", 3), CH_OK);
    assert_int_equal(ch_buf_len(&b), 3);
    size_t n;
    char *p = ch_buf_take(&b, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "a\0b", 4);
    ch_free(p);
    ch_buf_release(&b);
}

static void test_buf_appendf_long(void **state)
{
    struct ch_buf b;
    ch_buf_init(&b, 100000);
    char s[1000];
    memset(s, 'q', sizeof(s) - 1);
    s[sizeof(s) - 1] = '\0';
    assert_int_equal(ch_buf_appendf(&b, "<%s>", s), CH_OK);
    assert_int_equal(ch_buf_len(&b), 1001);
    assert_int_equal(ch_buf_cstr(&b)[1000], '>');
    ch_buf_truncate(&b, 1);
    assert_string_equal(ch_buf_cstr(&b), "<");
    ch_buf_release(&b);
}

static void test_str_helpers(void **state)
{
    struct ch_str s = ch_str_c("  a,b,,c \n");
    struct ch_str t = ch_str_trim(s);
    assert_true(ch_str_eq_c(t, "a,b,,c"));
    const char *want[] = {"a", "b", "", "c"};
    struct ch_str tok;
    int i = 0;
    while (ch_str_split_next(&t, ',', &tok)) {
        assert_true(i < 4);
        assert_true(ch_str_eq_c(tok, want[i]));
        i++;
    }
    assert_int_equal(i, 4);
    assert_true(ch_str_case_eq_c(ch_str_c("PyPI"), "pypi"));
    assert_true(ch_str_starts_with(ch_str_c("pkg:npm/x"), "pkg:"));
    assert_true(ch_str_ends_with(ch_str_c("a.json"), ".json"));
    assert_int_equal(ch_str_find_char(ch_str_c("abc"), 'c'), 2);
    assert_int_equal(ch_str_find_char(ch_str_c("abc"), 'z'), -1);
    assert_true(ch_str_cmp(ch_str_c("ab"), ch_str_c("abc")) < 0);
    assert_true(ch_str_cmp(ch_str_c("b"), ch_str_c("abc")) > 0);
    assert_true(ch_str_eq_c(ch_str_sub(ch_str_c("hello"), 3, 10), "lo"));
}

static void test_num_parse(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t v;
    assert_int_equal(ch_num_parse_i64(ch_str_c("-42"), -100, 100, &v, &err), CH_OK);
    assert_int_equal(v, -42);
    assert_int_equal(ch_num_parse_i64(ch_str_c("9223372036854775807"), INT64_MIN, INT64_MAX, &v,
                                      &err),
                     CH_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(ch_num_parse_i64(ch_str_c("-9223372036854775808"), INT64_MIN, INT64_MAX, &v,
                                      &err),
                     CH_OK);
    assert_true(v == INT64_MIN);
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_i64(ch_str_c("9223372036854775808"), INT64_MIN, INT64_MAX, &v,
                                      &err),
                     CH_E_LIMIT);
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_i64(ch_str_c("101"), 0, 100, &v, &err), CH_E_LIMIT);
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_i64(ch_str_c("1x"), 0, 100, &v, &err), CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_i64(ch_str_c(""), 0, 100, &v, &err), CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_i64(ch_str_c("+1"), 0, 100, &v, &err), CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_i64(ch_str_c(" 1"), 0, 100, &v, &err), CH_E_INVALID);
    uint64_t u;
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_u64(ch_str_c("18446744073709551615"), UINT64_MAX, &u, &err),
                     CH_OK);
    assert_true(u == UINT64_MAX);
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_u64(ch_str_c("18446744073709551616"), UINT64_MAX, &u, &err),
                     CH_E_LIMIT);
    double d;
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_double(ch_str_c("-1.5e3"), &d, &err), CH_OK);
    assert_true(d == -1500.0);
    ch_err_clear(&err);
    assert_int_equal(ch_num_parse_double(ch_str_c("0.94"), &d, &err), CH_OK);
    assert_true(d == 0.94);
    const char *bad[] = {"nan", "inf", "0x10", "1.", ".5", "1e", "--1", "1e999", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ch_err_clear(&err);
        assert_true(ch_num_parse_double(ch_str_c(bad[i]), &d, &err) < 0);
    }
    uint64_t dig;
    assert_int_equal(ch_num_scan_digits(ch_str_c("123abc"), &dig), 3);
    assert_true(dig == 123);
    assert_int_equal(ch_num_scan_digits(ch_str_c("99999999999999999999999"), &dig), -1);
}

static void test_size_checked(void **state)
{
    size_t r;
    assert_int_equal(ch_size_add(SIZE_MAX, 1, &r), CH_E_LIMIT);
    assert_int_equal(ch_size_mul(SIZE_MAX / 2, 3, &r), CH_E_LIMIT);
    assert_int_equal(ch_size_mul(1000, 1000, &r), CH_OK);
    assert_int_equal(r, 1000000);
}

static void test_arena_alloc_and_limit(void **state)
{
    struct ch_arena *a = ch_arena_new(100000);
    assert_non_null(a);
    char *s = ch_arena_strdup(a, "hello");
    assert_string_equal(s, "hello");
    assert_true(((uintptr_t)ch_arena_alloc(a, 3) % 16) == 0);
    void *big = ch_arena_alloc(a, 50000);
    assert_non_null(big);
    memset(big, 1, 50000);
    assert_null(ch_arena_alloc(a, 60000)); /* over the limit */
    char *p = ch_arena_printf(a, "%s-%d", "x", 7);
    assert_string_equal(p, "x-7");
    assert_string_equal(s, "hello"); /* earlier allocations intact */
    ch_arena_reset(a);
    assert_int_equal(ch_arena_used(a), 0);
    for (int i = 0; i < 1000; i++)
        assert_non_null(ch_arena_alloc(a, 50));
    ch_arena_free(a);
    ch_arena_free(NULL);
}

static void test_map_put_get_del(void **state)
{
    struct ch_map *m = ch_map_new(1, NULL);
    assert_non_null(m);
    char keys[2000][16];
    for (int i = 0; i < 2000; i++) {
        snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
        assert_int_equal(ch_map_put(m, ch_str_c(keys[i]), (void *)(intptr_t)(i + 1)), CH_OK);
    }
    assert_int_equal(ch_map_count(m), 2000);
    for (int i = 0; i < 2000; i++)
        assert_int_equal((intptr_t)ch_map_get(m, ch_str_c(keys[i])), i + 1);
    assert_null(ch_map_get(m, ch_str_c("nope")));
    for (int i = 0; i < 2000; i += 2)
        assert_true(ch_map_del(m, ch_str_c(keys[i])));
    assert_false(ch_map_del(m, ch_str_c(keys[0])));
    assert_int_equal(ch_map_count(m), 1000);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(ch_map_has(m, ch_str_c(keys[i])), i % 2 == 1);
    /* churn through tombstones */
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 2000; i += 2)
            assert_int_equal(ch_map_put(m, ch_str_c(keys[i]), (void *)1), CH_OK);
        for (int i = 0; i < 2000; i += 2)
            assert_true(ch_map_del(m, ch_str_c(keys[i])));
    }
    size_t it = 0, seen = 0;
    struct ch_str k;
    void *v;
    while (ch_map_next(m, &it, &k, &v))
        seen++;
    assert_int_equal(seen, 1000);
    /* binary keys and the empty key */
    assert_int_equal(ch_map_put(m, ch_str_make("a\0b", 3), (void *)7), CH_OK);
    assert_int_equal(ch_map_put(m, ch_str_make("", 0), (void *)8), CH_OK);
    assert_int_equal((intptr_t)ch_map_get(m, ch_str_make("a\0b", 3)), 7);
    assert_null(ch_map_get(m, ch_str_make("a", 1)));
    assert_int_equal((intptr_t)ch_map_get(m, ch_str_make("", 0)), 8);
    ch_map_free(m);
}

static void test_map_owned_values(void **state)
{
    struct ch_map *m = ch_map_new(1, ch_free);
    assert_int_equal(ch_map_put(m, ch_str_c("a"), ch_strdup("one")), CH_OK);
    assert_int_equal(ch_map_put(m, ch_str_c("a"), ch_strdup("two")), CH_OK); /* frees "one" */
    assert_string_equal(ch_map_get(m, ch_str_c("a")), "two");
    ch_map_free(m); /* frees "two"; leak checker proves it */
}

static void test_hash_seeded(void **state)
{
    assert_true(ch_hash64("abc", 3, 1) != ch_hash64("abc", 3, 2));
    assert_true(ch_hash64("abc", 3, 1) == ch_hash64("abc", 3, 1));
    assert_true(ch_hash64("abcdefgh1", 9, 1) != ch_hash64("abcdefgh2", 9, 1));
}

static void test_log_quote(void **state)
{
    char out[64];
    assert_string_equal(ch_log_quote(out, sizeof(out), "a\nb\\", 4), "a\\x0ab\\x5c");
    char big[500];
    memset(big, 'z', sizeof(big));
    big[0] = 'A';
    big[499] = 'B';
    ch_log_quote(out, sizeof(out), big, sizeof(big));
    assert_true(strlen(out) < sizeof(out));
    assert_true(out[0] == 'A');
    assert_true(out[strlen(out) - 1] == 'B');
    assert_non_null(strstr(out, "..."));
}

static void test_utf8_valid(void **state)
{
    size_t off;
    assert_true(ch_utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15, &off));
    assert_false(ch_utf8_valid("ab\xc0\xaf", 4, &off)); /* overlong */
    assert_int_equal(off, 2);
    assert_false(ch_utf8_valid("\xed\xa0\x80", 3, &off)); /* surrogate */
    assert_false(ch_utf8_valid("\xf4\x90\x80\x80", 4, &off)); /* > U+10FFFF */
    assert_false(ch_utf8_valid("abcdefghij\xe2\x82", 12, &off)); /* truncated */
    assert_int_equal(off, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_set_first_message_wins),
        cmocka_unit_test(test_err_prefix_truncates),
        cmocka_unit_test(test_buf_append_and_limit),
        cmocka_unit_test(test_buf_appendf_long),
        cmocka_unit_test(test_str_helpers),
        cmocka_unit_test(test_num_parse),
        cmocka_unit_test(test_size_checked),
        cmocka_unit_test(test_arena_alloc_and_limit),
        cmocka_unit_test(test_map_put_get_del),
        cmocka_unit_test(test_map_owned_values),
        cmocka_unit_test(test_hash_seeded),
        cmocka_unit_test(test_log_quote),
        cmocka_unit_test(test_utf8_valid),
    };
    return cmocka_run_group_tests_name("core basics", tests, NULL, NULL);
}
