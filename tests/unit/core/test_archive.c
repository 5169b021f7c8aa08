/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: archive reading (zip, tar.gz, tar.zst, raw gzip), limits, corruption. */
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "core/alloc.h"
#include "core/archive.h"

/* Builds an archive in memory: format "zip" | "tar", filter "none" | "gzip" | "zstd". */
static size_t build(const char *format, const char *filter, const char *const *names,
                    const char *const *bodies, size_t n, char *out, size_t cap)
{
    struct archive *a = archive_write_new();
    if (strcmp(format, "zip") == 0)
        archive_write_set_format_zip(a);
    else if (strcmp(format, "raw") == 0)
        archive_write_set_format_raw(a);
    else
        archive_write_set_format_pax_restricted(a);
    if (strcmp(filter, "gzip") == 0)
        archive_write_add_filter_gzip(a);
    else if (strcmp(filter, "zstd") == 0)
        archive_write_add_filter_zstd(a);
    size_t used = 0;
    assert_int_equal(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_size(e, (la_int64_t)strlen(bodies[i]));
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, bodies[i], strlen(bodies[i])),
                         (la_ssize_t)strlen(bodies[i]));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return used;
}

static void read_all(const char *data, size_t len, unsigned flags, const char *expect_names,
                     const char *expect_bodies)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_archive *ar = NULL;
    assert_int_equal(ch_archive_open_memory(data, len, NULL, flags, &ar, &err), CH_OK);
    struct ch_buf names, bodies, body;
    ch_buf_init(&names, 1 << 20);
    ch_buf_init(&bodies, 1 << 20);
    ch_buf_init(&body, 1 << 20);
    const char *name;
    int rc;
    while ((rc = ch_archive_next(ar, &name, &err)) == 1) {
        assert_int_equal(ch_archive_read(ar, &body, &err), CH_OK);
        (void)ch_buf_appendf(&names, "%s;", name);
        (void)ch_buf_appendf(&bodies, "%s;", ch_buf_cstr(&body));
    }
    assert_int_equal(rc, 0);
    assert_string_equal(ch_buf_cstr(&names), expect_names);
    assert_string_equal(ch_buf_cstr(&bodies), expect_bodies);
    ch_buf_release(&names);
    ch_buf_release(&bodies);
    ch_buf_release(&body);
    ch_archive_free(ar);
}

static void test_archive_formats(void **state)
{
    const char *names[] = {"a/1.json", "b.json"};
    const char *bodies[] = {"{\"id\":1}", "{\"id\":2}"};
    static char buf[1 << 16];
    size_t n = build("zip", "none", names, bodies, 2, buf, sizeof(buf));
    read_all(buf, n, 0, "a/1.json;b.json;", "{\"id\":1};{\"id\":2};");
    n = build("tar", "gzip", names, bodies, 2, buf, sizeof(buf));
    read_all(buf, n, 0, "a/1.json;b.json;", "{\"id\":1};{\"id\":2};");
    n = build("tar", "zstd", names, bodies, 2, buf, sizeof(buf));
    read_all(buf, n, 0, "a/1.json;b.json;", "{\"id\":1};{\"id\":2};");
    const char *one[] = {"x"};
    const char *csv[] = {"cve,epss\nCVE-1,0.5\n"};
    n = build("raw", "gzip", one, csv, 1, buf, sizeof(buf));
    read_all(buf, n, CH_ARCHIVE_ALLOW_RAW, "memory;", "cve,epss\nCVE-1,0.5\n;");
}

static void test_archive_truncated_is_an_error(void **state)
{
    const char *names[] = {"big.json"};
    static char body[200000];
    for (size_t i = 0; i < sizeof(body) - 1; i++)
        body[i] = (char)('a' + (i * 7919) % 26);
    body[sizeof(body) - 1] = '\0';
    const char *bodies[] = {body};
    static char buf[1 << 19];
    size_t n = build("tar", "gzip", names, bodies, 1, buf, sizeof(buf));
    struct ch_err err = CH_ERR_INIT;
    struct ch_archive *ar = NULL;
    assert_int_equal(ch_archive_open_memory(buf, n / 2, NULL, 0, &ar, &err), CH_OK);
    const char *name;
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    int rc = ch_archive_next(ar, &name, &err);
    if (rc == 1)
        rc = ch_archive_read(ar, &out, &err);
    assert_true(rc < 0);
    assert_true(strlen(err.msg) > 0);
    ch_buf_release(&out);
    ch_archive_free(ar);
}

static void test_archive_bomb_and_limits(void **state)
{
    static char zeros[3 << 20];
    memset(zeros, '0', sizeof(zeros) - 1);
    zeros[sizeof(zeros) - 1] = '\0';
    const char *names[] = {"bomb.json"};
    const char *bodies[] = {zeros};
    static char buf[1 << 20];
    size_t n = build("zip", "none", names, bodies, 1, buf, sizeof(buf));
    struct ch_archive_limits lim = {.max_ratio = 100};
    struct ch_err err = CH_ERR_INIT;
    struct ch_archive *ar = NULL;
    assert_int_equal(ch_archive_open_memory(buf, n, &lim, 0, &ar, &err), CH_OK);
    const char *name;
    struct ch_buf out;
    ch_buf_init(&out, 8 << 20);
    assert_int_equal(ch_archive_next(ar, &name, &err), 1);
    assert_int_equal(ch_archive_read(ar, &out, &err), CH_E_LIMIT);
    assert_non_null(strstr(err.msg, "archive bomb"));
    ch_archive_free(ar);

    struct ch_archive_limits small = {.max_entry_bytes = 1000};
    ch_err_clear(&err);
    assert_int_equal(ch_archive_open_memory(buf, n, &small, 0, &ar, &err), CH_OK);
    assert_int_equal(ch_archive_next(ar, &name, &err), 1);
    assert_int_equal(ch_archive_read(ar, &out, &err), CH_E_LIMIT);
    assert_non_null(strstr(err.msg, "more than 1000 bytes"));
    ch_archive_free(ar);

    const char *many_names[] = {"1", "2", "3"};
    const char *many_bodies[] = {"a", "b", "c"};
    n = build("zip", "none", many_names, many_bodies, 3, buf, sizeof(buf));
    struct ch_archive_limits two = {.max_entries = 2};
    ch_err_clear(&err);
    assert_int_equal(ch_archive_open_memory(buf, n, &two, 0, &ar, &err), CH_OK);
    assert_int_equal(ch_archive_next(ar, &name, &err), 1);
    assert_int_equal(ch_archive_next(ar, &name, &err), 1);
    assert_int_equal(ch_archive_next(ar, &name, &err), CH_E_LIMIT);
    ch_archive_free(ar);
    ch_buf_release(&out);
}

static void test_archive_missing_file(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_archive *ar = NULL;
    assert_int_equal(ch_archive_open("/nonexistent/x.zip", NULL, 0, &ar, &err), CH_E_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.zip"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_archive_formats),
        cmocka_unit_test(test_archive_truncated_is_an_error),
        cmocka_unit_test(test_archive_bomb_and_limits),
        cmocka_unit_test(test_archive_missing_file),
    };
    return cmocka_run_group_tests_name("core archive", tests, NULL, NULL);
}
