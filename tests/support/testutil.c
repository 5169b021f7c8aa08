/* SPDX-License-Identifier: Apache-2.0
 *
 * testutil.c: see testutil.h.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

char *ch_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof(tmpl), "%s/chtest.XXXXXX", base != NULL ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return ch_strdup(d);
}

void ch_test_rmtree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir != NULL) {
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[1024];
            snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                ch_test_rmtree(p);
            else
                unlink(p);
        }
        closedir(dir);
    }
    rmdir(path);
}

static char *join_env(const char *var, const char *dflt, const char *rel)
{
    const char *base = getenv(var);
    if (base == NULL)
        base = dflt;
    size_t n = strlen(base) + strlen(rel) + 2;
    char *p = ch_malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", base, rel);
    return p;
}

char *ch_test_fixture(const char *rel)
{
    return join_env("CH_FIXTURES", "tests/fixtures", rel);
}

char *ch_test_shared(const char *rel)
{
    char *p = join_env("CH_SHARED_DATA", "../shared/data", rel);
    if (access(p, R_OK) != 0) {
        fprintf(stderr, "skipped: shared data '%s' is absent\n", rel);
        ch_free(p);
        return NULL;
    }
    return p;
}

void ch_test_read_file(const char *path, struct ch_buf *out)
{
    ch_buf_reset(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("cannot open '%s': %s", path, strerror(errno));
    char tmp[65536];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        assert_true(n >= 0);
        if (n == 0)
            break;
        assert_int_equal(ch_buf_append(out, tmp, (size_t)n), CH_OK);
    }
    close(fd);
}

void ch_test_write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fail_msg("cannot create '%s': %s", path, strerror(errno));
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

struct ch_store *ch_test_store(char **ret_dir)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    const char *pg = getenv("CH_TEST_PG_DSN");
    char *dir = ch_test_tmpdir();
    char url[1100];
    if (pg != NULL && pg[0] != '\0')
        snprintf(url, sizeof(url), "%s", pg);
    else
        snprintf(url, sizeof(url), "sqlite:%s/test.db", dir);
    if (ch_store_open(url, NULL, &s, &err) != CH_OK)
        fail_msg("cannot open test store: %s", err.msg);
    *ret_dir = dir;
    return s;
}

static void drain(int fd, struct ch_buf *b, int *open_flag)
{
    char tmp[16384];
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n <= 0) {
        *open_flag = 0;
        return;
    }
    if (b != NULL)
        (void)ch_buf_append(b, tmp, (size_t)n);
}

int ch_test_run_cli(const char *const *argv, const char *input, struct ch_buf *out,
                    struct ch_buf *errout)
{
    const char *bin = getenv("CH_BINARY");
    assert_non_null(bin);
    int in_p[2], out_p[2], err_p[2];
    assert_int_equal(pipe2(in_p, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out_p, O_CLOEXEC), 0);
    assert_int_equal(pipe2(err_p, O_CLOEXEC), 0);
    size_t argc = 0;
    while (argv[argc] != NULL)
        argc++;
    const char **full = ch_calloc(argc + 2, sizeof(char *));
    full[0] = bin;
    for (size_t i = 0; i < argc; i++)
        full[i + 1] = argv[i];
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in_p[0], 0);
        dup2(out_p[1], 1);
        dup2(err_p[1], 2);
        execv(bin, (char *const *)full);
        _exit(127);
    }
    ch_free(full);
    close(in_p[0]);
    close(out_p[1]);
    close(err_p[1]);
    if (out != NULL)
        ch_buf_reset(out);
    if (errout != NULL)
        ch_buf_reset(errout);
    signal(SIGPIPE, SIG_IGN);
    if (input != NULL) {
        size_t len = strlen(input), off = 0;
        /* small inputs only: larger ones would need interleaving with reads */
        while (off < len) {
            ssize_t n = write(in_p[1], input + off, len - off);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
    }
    close(in_p[1]);
    int out_open = 1, err_open = 1;
    while (out_open || err_open) {
        struct pollfd fds[2] = {{out_p[0], POLLIN, 0}, {err_p[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0)
            break;
        if (out_open && (fds[0].revents & (POLLIN | POLLHUP)))
            drain(out_p[0], out, &out_open);
        if (err_open && (fds[1].revents & (POLLIN | POLLHUP)))
            drain(err_p[0], errout, &err_open);
    }
    close(out_p[0]);
    close(err_p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int ch_test_contains(const char *haystack, const char *needle)
{
    return haystack != NULL && strstr(haystack, needle) != NULL;
}
