/* SPDX-License-Identifier: Apache-2.0
 *
 * Unit tests of http/pocfiles (base64 PoC files in a JSON body) and of the
 * webhook destination check of http/h_share.h: shapes, limits, the field
 * each error names, a full arena, and which hosts count as internal.
 */
#include "testutil.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/json.h"
#include "http/h_share.h"
#include "http/pocfiles.h"

static int decode(const char *json, size_t arena_max, struct ch_repro_file **files, size_t *n,
                  struct ch_arena **arena, struct ch_err *err)
{
    cJSON *j = NULL;
    struct ch_json_limits lim = {.max_bytes = 64u << 20, .max_depth = 8, .max_string = 64u << 20};
    assert_int_equal(ch_json_parse(json, strlen(json), &lim, "test", &j, err), CH_OK);
    *arena = ch_arena_new(arena_max);
    assert_non_null(*arena);
    int rc = ch_pocfiles_decode(j, "files", *arena, files, n, err);
    cJSON_Delete(j);
    return rc;
}

static void test_decode_files(void **state)
{
    struct ch_repro_file *f = NULL;
    size_t n = 0;
    struct ch_arena *a = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(decode("[{\"path\":\"src/poc.c\",\"content\":\"aGVsbG8=\"},"
                            "{\"path\":\"empty\",\"content\":\"\"}]",
                            1 << 20, &f, &n, &a, &err),
                     CH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].path, "src/poc.c");
    assert_int_equal(f[0].len, 5);
    assert_memory_equal(f[0].data, "hello", 5);
    assert_int_equal(f[1].len, 0);
    ch_arena_free(a);
    assert_int_equal(decode("[]", 1 << 20, &f, &n, &a, &err), CH_OK);
    assert_int_equal(n, 0);
    ch_arena_free(a);
}

/* Each bad input fails with rc and names `field`. */
static void expect_fail(const char *json, int rc, const char *field)
{
    struct ch_repro_file *f = NULL;
    size_t n = 0;
    struct ch_arena *a = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(decode(json, 64u << 20, &f, &n, &a, &err), rc);
    assert_string_equal(err.field, field);
    assert_true(err.msg[0] != '\0');
    ch_arena_free(a);
}

static void test_decode_refusals(void **state)
{
    expect_fail("{}", CH_E_INVALID, "files");
    expect_fail("[1]", CH_E_INVALID, "files");
    expect_fail("[{\"path\":\"a\",\"content\":\"aGk=\",\"mode\":7}]", CH_E_INVALID, "files");
    expect_fail("[{\"content\":\"aGk=\"}]", CH_E_INVALID, "files[0].path");
    expect_fail("[{\"path\":\"/etc/passwd\",\"content\":\"aGk=\"}]", CH_E_INVALID, "files[0].path");
    expect_fail("[{\"path\":\"a/../b\",\"content\":\"aGk=\"}]", CH_E_INVALID, "files[0].path");
    expect_fail("[{\"path\":\"a\"}]", CH_E_INVALID, "files[0].content");
    expect_fail("[{\"path\":\"a\",\"content\":\"aGk\"}]", CH_E_INVALID, "files[0].content");
    expect_fail("[{\"path\":\"a\",\"content\":\"aG k=\"}]", CH_E_INVALID, "files[0].content");
    expect_fail("[{\"path\":\"a\",\"content\":\"aGk=\\n\"}]", CH_E_INVALID, "files[0].content");
    expect_fail("[{\"path\":\"a\",\"content\":\"aGk-\"}]", CH_E_INVALID, "files[0].content");
    /* bytes outside the alphabet that libsodium decodes anyway (found by fuzz_pocfiles) */
    expect_fail("[{\"path\":\"a\",\"content\":\"\xed\x8a\x80"
                "4\"}]",
                CH_E_INVALID, "files[0].content");
    expect_fail("[{\"path\":\"a\",\"content\":\"a=Gk\"}]", CH_E_INVALID, "files[0].content");
    expect_fail("[{\"path\":\"a\",\"content\":\"\"},{\"path\":\"a\",\"content\":\"\"}]",
                CH_E_INVALID, "files");
}

static void test_decode_limits(void **state)
{
    /* CH_REPRO_MAX_FILES + 1 files */
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    ch_buf_appendf(&b, "[");
    for (int i = 0; i <= CH_REPRO_MAX_FILES; i++)
        ch_buf_appendf(&b, "%s{\"path\":\"f%d\",\"content\":\"\"}", i > 0 ? "," : "", i);
    ch_buf_appendf(&b, "]");
    expect_fail(ch_buf_cstr(&b), CH_E_LIMIT, "files");
    ch_buf_release(&b);

    /* one byte over a file's limit, and exactly at it */
    for (size_t extra = 0; extra <= 1; extra++) {
        size_t len = CH_REPRO_MAX_FILE_BYTES + extra;
        unsigned char *raw = ch_calloc(len, 1);
        size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
        char *enc = ch_malloc(cap);
        sodium_bin2base64(enc, cap, raw, len, sodium_base64_VARIANT_ORIGINAL);
        ch_buf_init(&b, 16u << 20);
        ch_buf_appendf(&b, "[{\"path\":\"big\",\"content\":\"%s\"}]", enc);
        if (extra == 1) {
            expect_fail(ch_buf_cstr(&b), CH_E_LIMIT, "files[0].content");
        } else {
            struct ch_repro_file *f = NULL;
            size_t n = 0;
            struct ch_arena *a = NULL;
            struct ch_err err = CH_ERR_INIT;
            assert_int_equal(decode(ch_buf_cstr(&b), 64u << 20, &f, &n, &a, &err), CH_OK);
            assert_int_equal(f[0].len, CH_REPRO_MAX_FILE_BYTES);
            ch_arena_free(a);
        }
        ch_buf_release(&b);
        ch_free(enc);
        ch_free(raw);
    }
}

/* A full arena is CH_E_NOMEM at every size until the files fit. */
static void test_decode_arena_full(void **state)
{
    const char *json = "[{\"path\":\"a/b/c.txt\",\"content\":\"aGVsbG8gd29ybGQ=\"},"
                       "{\"path\":\"d\",\"content\":\"AAECAw==\"}]";
    int ok = 0;
    for (size_t max = 16; max < 4096 && !ok; max += 16) {
        struct ch_repro_file *f = NULL;
        size_t n = 0;
        struct ch_arena *a = NULL;
        struct ch_err err = CH_ERR_INIT;
        int rc = decode(json, max, &f, &n, &a, &err);
        if (rc == CH_OK) {
            assert_int_equal(n, 2);
            ok = 1;
        } else {
            assert_int_equal(rc, CH_E_NOMEM);
        }
        ch_arena_free(a);
    }
    assert_true(ok);
}

static void test_webhook_private_hosts(void **state)
{
    static const char *const internal[] = {
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "https://LOCALHOST:1/",
        "https://a.localhost/",
        "http://[::1]:9/",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.1.1/h",
        "https://169.254.169.254/latest",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://2130706433/",
        "https://0x7f.1/",
        "https://127.1/",
        "https:///path",
    };
    static const char *const external[] = {
        "https://hooks.example.com/ch",   "https://8.8.8.8/",
        "https://[2001:db8::1]:8443/x",   "https://172.32.0.1/",
        "https://localhost.example.com/", "https://example.com:8443/a?b#c",
    };
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
        if (!ch_h_webhook_url_private(internal[i]))
            fail_msg("'%s' should count as internal", internal[i]);
    }
    for (size_t i = 0; i < sizeof(external) / sizeof(external[0]); i++) {
        if (ch_h_webhook_url_private(external[i]))
            fail_msg("'%s' should not count as internal", external[i]);
    }
}

int main(void)
{
    ch_json_global_init();
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_files),          cmocka_unit_test(test_decode_refusals),
        cmocka_unit_test(test_decode_limits),         cmocka_unit_test(test_decode_arena_full),
        cmocka_unit_test(test_webhook_private_hosts),
    };
    return cmocka_run_group_tests_name("http/pocfiles", tests, NULL, NULL);
}
