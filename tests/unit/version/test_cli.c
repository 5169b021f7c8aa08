/* SPDX-License-Identifier: Apache-2.0
 *
 * test_cli.c: `clearinghouse version compare`, single and batch mode, and
 * its exit codes (0 ok, 2 usage, 3 invalid input).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "core/alloc.h"
#include "core/buf.h"

static int run(const char *const *argv, const char *input, struct ch_buf *out, struct ch_buf *err)
{
    ch_buf_reset(out);
    ch_buf_reset(err);
    return ch_test_run_cli(argv, input, out, err);
}

static void test_version_compare_single(void **state)
{
    (void)state;
    struct ch_buf out, err;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&err, 1 << 20);
    static const struct {
        const char *eco, *a, *b, *want;
    } cases[] = {
        {"PyPI", "1.0", "1.0.0", "=\n"},           {"Debian:12", "1.0~rc1", "1.0", "<\n"},
        {"npm", "1.0.0", "1.0.0-rc.1", ">\n"},     {"Alpine:v3.19", "1.0-r1", "1.0", ">\n"},
        {"Red Hat:rhel:9", "1:1.0", "2.0", ">\n"}, {"Maven", "1.0-SNAPSHOT", "1.0", "<\n"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        const char *argv[] = {"version", "compare", cases[i].eco, cases[i].a, cases[i].b, NULL};
        assert_int_equal(run(argv, NULL, &out, &err), 0);
        assert_string_equal(ch_buf_cstr(&out), cases[i].want);
    }
    const char *bad[] = {"version", "compare", "npm", "1.0", "1.0.0", NULL};
    assert_int_equal(run(bad, NULL, &out, &err), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&err), "'1.0'"));
    const char *unknown[] = {"version", "compare", "Nope", "1", "2", NULL};
    assert_int_equal(run(unknown, NULL, &out, &err), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&err), "Nope"));
    const char *usage[] = {"version", "compare", "npm", "1.0.0", NULL};
    assert_int_equal(run(usage, NULL, &out, &err), 2);
    const char *nosub[] = {"version", NULL};
    assert_int_equal(run(nosub, NULL, &out, &err), 2);
    const char *help[] = {"version", "--help", NULL};
    assert_int_equal(run(help, NULL, &out, &err), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "--batch"));
    ch_buf_release(&out);
    ch_buf_release(&err);
}

/* Runs the CLI with files for stdin and stdout (the pipe helper is for small inputs). */
static int run_files(const char *const *argv, const char *in_path, const char *out_path)
{
    const char *bin = getenv("CH_BINARY");
    assert_non_null(bin);
    const char *full[8] = {bin};
    for (int i = 0; argv[i] != NULL && i < 6; i++)
        full[i + 1] = argv[i];
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(in_path, O_RDONLY | O_CLOEXEC);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
            _exit(126);
        execv(bin, (char *const *)full);
        _exit(127);
    }
    int status = 0;
    assert_true(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_version_compare_batch(void **state)
{
    (void)state;
    struct ch_buf out, err, in, want;
    ch_buf_init(&out, 64 << 20);
    ch_buf_init(&err, 1 << 20);
    ch_buf_init(&in, 64 << 20);
    ch_buf_init(&want, 64 << 20);
    const char *argv[] = {"version", "compare", "--batch", "PyPI", NULL};
    assert_int_equal(
        run(argv, "1.0\t2.0\r\n2.0\t1.0\n1.0\t1.0.0\nnotab\n1.0\tx y\n1a1\t1", &out, &err), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "<\n>\n=\nerror: expected 'A<TAB>B'\n"
                                                    "error: invalid PEP 440 version 'x y'"));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\n<\n"));
    /* many lines, beyond one read block */
    for (int i = 0; i < 100000; i++) {
        ch_buf_appendf(&in, "1.%d\t1.%d\n", i, 50000);
        ch_buf_append_c(&want, i < 50000 ? "<\n" : (i == 50000 ? "=\n" : ">\n"));
    }
    char *dir = ch_test_tmpdir();
    struct ch_buf pin, pout;
    ch_buf_init(&pin, 4096);
    ch_buf_init(&pout, 4096);
    ch_buf_appendf(&pin, "%s/in", dir);
    ch_buf_appendf(&pout, "%s/out", dir);
    ch_test_write_file(ch_buf_cstr(&pin), ch_buf_cstr(&in), ch_buf_len(&in));
    assert_int_equal(run_files(argv, ch_buf_cstr(&pin), ch_buf_cstr(&pout)), 0);
    ch_test_read_file(ch_buf_cstr(&pout), &out);
    assert_string_equal(ch_buf_cstr(&out), ch_buf_cstr(&want));
    ch_test_rmtree(dir);
    ch_free(dir);
    ch_buf_release(&pin);
    ch_buf_release(&pout);
    ch_buf_release(&out);
    ch_buf_release(&err);
    ch_buf_release(&in);
    ch_buf_release(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_compare_single),
        cmocka_unit_test(test_version_compare_batch),
    };
    return cmocka_run_group_tests_name("version cli", tests, NULL, NULL);
}
