/* SPDX-License-Identifier: Apache-2.0
 *
 * helpers.h: shared by the validate tests (header-only, so that each test file
 * stays one auto-registered executable): compiling small hostile or
 * vulnerable C programs at test time with the system compiler, and skipping
 * (exit 77) when bubblewrap cannot create namespaces on this machine.
 */
#ifndef CH_TESTS_VALIDATE_HELPERS_H
#define CH_TESTS_VALIDATE_HELPERS_H

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "validate/sandbox.h"

extern char **environ;

/* Exits 77 (skipped) when no sandbox can be created here; any other failure fails. */
static inline void vt_require_sandbox(void)
{
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_sandbox_probe(NULL, &err);
    if (rc == CH_E_UNAVAILABLE) {
        fprintf(stderr, "skipped: bubblewrap cannot create a sandbox here: %s\n", err.msg);
        exit(CH_TEST_SKIP);
    }
    if (rc != CH_OK) {
        fprintf(stderr, "sandbox probe failed: %s\n", err.msg);
        exit(1);
    }
}

/*
 * Writes `src` to dir/name.c and compiles it with `cc` (or $CC) plus the
 * given flags (NULL-terminated) into dir/name. Fails the test on error.
 */
static inline void vt_compile(const char *dir, const char *name, const char *src,
                              const char *const *flags)
{
    char c_path[1024];
    char out_path[1024];
    snprintf(c_path, sizeof(c_path), "%s/%s.c", dir, name);
    snprintf(out_path, sizeof(out_path), "%s/%s", dir, name);
    ch_test_write_file(c_path, src, strlen(src));
    const char *cc = getenv("CC");
    if (cc == NULL || cc[0] == '\0')
        cc = "cc";
    const char *argv[32];
    size_t n = 0;
    argv[n++] = cc;
    for (size_t i = 0; flags != NULL && flags[i] != NULL && n < 26; i++)
        argv[n++] = flags[i];
    argv[n++] = "-o";
    argv[n++] = out_path;
    argv[n++] = c_path;
    argv[n] = NULL;
    pid_t pid;
    int rc = posix_spawnp(&pid, cc, NULL, NULL, (char *const *)argv, environ);
    if (rc != 0)
        fail_msg("cannot run the C compiler '%s': %s", cc, strerror(rc));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("compiling %s failed", c_path);
    assert_int_equal(chmod(out_path, 0755), 0);
}

/* A fresh work directory; the caller frees it with ch_test_rmtree() + ch_free(). */
static inline char *vt_workdir(void)
{
    char *d = ch_test_tmpdir();
    assert_int_equal(chmod(d, 0755), 0);
    return d;
}

/* Runs opts, asserting ch_sandbox_run() itself succeeded. */
static inline void vt_run(const struct ch_sandbox_options *o, struct ch_sandbox_result *r)
{
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_sandbox_run(o, r, &err);
    if (rc != CH_OK)
        fail_msg("ch_sandbox_run: %s (%s)", err.msg, ch_rc_str(rc));
}

#endif
