/* SPDX-License-Identifier: Apache-2.0
 *
 * The command line as a user meets it: help, version, unknown commands and
 * options (exit 2 naming them), init creating the database and 0600 keys,
 * and init being safe to run twice.
 */
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

static void test_help_lists_commands(void **state)
{
    struct ch_buf out, err;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&err, 1 << 20);
    const char *argv[] = {"--help", NULL};
    assert_int_equal(ch_test_run_cli(argv, NULL, &out, &err), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "usage: clearinghouse"));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "  init "));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "  serve "));
    const char *v[] = {"--version", NULL};
    assert_int_equal(ch_test_run_cli(v, NULL, &out, &err), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "clearinghouse "));
    const char *sh[] = {"serve", "--help", NULL};
    assert_int_equal(ch_test_run_cli(sh, NULL, &out, &err), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "--listen"));
    /* --help of a verb prints its usage and stops there: no database is opened
     * (this one cannot be), no worker started, no job looked up */
    static const char *const verbs[][5] = {
        {"--db", "sqlite:/nonexistent-dir/x.db", "worker", "--help", NULL},
        {"--db", "sqlite:/nonexistent-dir/x.db", "jobs", "show", "--help"},
        {"--db", "sqlite:/nonexistent-dir/x.db", "jobs", "retry", "--help"},
        {"--db", "sqlite:/nonexistent-dir/x.db", "eval", "run", "--help"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(verbs); i++) {
        const char *argv_v[6] = {0};
        memcpy(argv_v, verbs[i], sizeof(verbs[i]));
        ch_buf_reset(&out);
        ch_buf_reset(&err);
        if (ch_test_run_cli(argv_v, NULL, &out, &err) != 0)
            fail_msg("%s %s --help: %s", verbs[i][2], verbs[i][3], ch_buf_cstr(&err));
        assert_true(ch_test_contains(ch_buf_cstr(&out), "usage: clearinghouse"));
        assert_int_equal(ch_buf_len(&err), 0);
    }
    ch_buf_release(&out);
    ch_buf_release(&err);
}

static void test_unknown_command_and_option_exit_2(void **state)
{
    struct ch_buf out, err;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&err, 1 << 20);
    const char *a[] = {"frobnicate", NULL};
    assert_int_equal(ch_test_run_cli(a, NULL, &out, &err), 2);
    assert_true(ch_test_contains(ch_buf_cstr(&err), "'frobnicate'"));
    const char *b[] = {"--frob", NULL};
    assert_int_equal(ch_test_run_cli(b, NULL, &out, &err), 2);
    assert_true(ch_test_contains(ch_buf_cstr(&err), "'--frob'"));
    const char *c[] = {"init", "--frob", NULL};
    assert_int_equal(ch_test_run_cli(c, NULL, &out, &err), 2);
    assert_true(ch_test_contains(ch_buf_cstr(&err), "'--frob'"));
    const char *d[] = {NULL};
    assert_int_equal(ch_test_run_cli(d, NULL, &out, &err), 2);
    const char *e[] = {"--now", "yesterday", "init", NULL};
    assert_int_equal(ch_test_run_cli(e, NULL, &out, &err), 2);
    const char *f[] = {"--db", "mysql://x", "init", NULL};
    assert_int_equal(ch_test_run_cli(f, NULL, &out, &err), 2);
    ch_buf_release(&out);
    ch_buf_release(&err);
}

static void test_init_creates_database_and_private_keys(void **state)
{
    char *dir = ch_test_tmpdir();
    char db[600], keys[600];
    snprintf(db, sizeof(db), "sqlite:%s/x.db", dir);
    snprintf(keys, sizeof(keys), "%s/k", dir);
    struct ch_buf out, err;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&err, 1 << 20);
    const char *argv[] = {"--db", db, "--keys", keys, "init", NULL};
    assert_int_equal(ch_test_run_cli(argv, NULL, &out, &err), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "keys created"));
    const char *files[] = {"signing.key", "signing.pub", "secret.key"};
    for (size_t i = 0; i < 3; i++) {
        char p[700];
        snprintf(p, sizeof(p), "%s/%s", keys, files[i]);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    struct stat st;
    assert_int_equal(stat(keys, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* twice: nothing replaced */
    struct ch_buf before;
    ch_buf_init(&before, 1 << 20);
    char sk[700];
    snprintf(sk, sizeof(sk), "%s/signing.key", keys);
    ch_test_read_file(sk, &before);
    assert_int_equal(ch_test_run_cli(argv, NULL, &out, &err), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "keys present"));
    struct ch_buf after;
    ch_buf_init(&after, 1 << 20);
    ch_test_read_file(sk, &after);
    assert_int_equal(ch_buf_len(&before), 64);
    assert_memory_equal(ch_buf_cstr(&before), ch_buf_cstr(&after), 64);
    /* a key readable by others is refused */
    chmod(sk, 0644);
    const char *srv[] = {"--db", db, "--keys", keys, "serve", "--listen", "bad", NULL};
    assert_int_equal(ch_test_run_cli(srv, NULL, &out, &err), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&err), "readable by other users"));
    ch_buf_release(&before);
    ch_buf_release(&after);
    ch_buf_release(&out);
    ch_buf_release(&err);
    ch_test_rmtree(dir);
    ch_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_lists_commands),
        cmocka_unit_test(test_unknown_command_and_option_exit_2),
        cmocka_unit_test(test_init_creates_database_and_private_keys),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
