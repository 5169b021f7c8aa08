/* SPDX-License-Identifier: Apache-2.0
 *
 * eval_helpers.h: shared by tests/integration/test_eval*.c (header-only, so
 * each test file stays one auto-registered executable): starting the
 * reference endpoint (tests/eval/refmodel.c) on an ephemeral port, running
 * `clearinghouse eval run|report` against the example suite, and reading
 * reports. Tests skip (exit 77) when no sandbox can be created here.
 */
#ifndef CH_TESTS_EVAL_HELPERS_H
#define CH_TESTS_EVAL_HELPERS_H

#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/num.h"
#include "validate/sandbox.h"

struct et_ref {
    pid_t pid;
    int port;
    char endpoint[64];
};

static inline void et_require_sandbox(void)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_sandbox_probe(NULL, &err) != CH_OK) {
        fprintf(stderr, "skipped: no sandbox here: %s\n", err.msg);
        exit(CH_TEST_SKIP);
    }
}

/* $CH_REFMODEL, or tests/eval/refmodel next to the CLI's build tree. */
static inline void et_refmodel_path(char *out, size_t cap)
{
    const char *env = getenv("CH_REFMODEL");
    if (env != NULL && env[0] != '\0') {
        snprintf(out, cap, "%s", env);
        return;
    }
    const char *bin = getenv("CH_BINARY");
    assert_non_null(bin);
    snprintf(out, cap, "%s/../../tests/eval/refmodel", bin);
    char *cli = strstr(out, "/clearinghouse/../../");
    if (cli != NULL)
        memmove(cli, cli + strlen("/clearinghouse"), strlen(cli + strlen("/clearinghouse")) + 1);
}

static inline void et_suite_path(char *out, size_t cap)
{
    const char *src = getenv("CH_SOURCE_DIR");
    assert_non_null(src);
    snprintf(out, cap, "%s/suites/example.json", src);
}

/* Starts refmodel with extra "--opt value" pairs (NULL-terminated). */
static inline void et_ref_start(struct et_ref *r, const char *mode, const char *const *extra)
{
    char path[4096], suite[4096];
    et_refmodel_path(path, sizeof(path));
    et_suite_path(suite, sizeof(suite));
    const char *argv[32] = {path, "--mode", mode, "--suite", suite};
    size_t n = 5;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 30; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Dies with the test, even when an assertion ends it early. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(p[1], 1);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    char line[128] = {0};
    size_t got = 0;
    while (got < sizeof(line) - 1) {
        ssize_t k = read(p[0], line + got, 1);
        if (k <= 0 || line[got] == '\n')
            break;
        got++;
    }
    close(p[0]);
    line[got] = '\0';
    if (strncmp(line, "listening on ", 13) != 0)
        fail_msg("refmodel did not start ('%s' from %s)", line, path);
    r->pid = pid;
    int64_t port = 0;
    struct ch_err e = CH_ERR_INIT;
    assert_int_equal(ch_num_parse_i64(ch_str_c(line + 13), 1, 65535, &port, &e), CH_OK);
    r->port = (int)port;
    snprintf(r->endpoint, sizeof(r->endpoint), "http://127.0.0.1:%d/v1", r->port);
}

static inline void et_ref_stop(struct et_ref *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
}

/* Runs `clearinghouse --db URL eval run ...` with extra args; returns the exit code. */
static inline int et_run(const char *db, const struct et_ref *r, const char *const *extra,
                         struct ch_buf *out, struct ch_buf *errout)
{
    char suite[4096];
    et_suite_path(suite, sizeof(suite));
    const char *argv[48] = {"--db", db,        "eval",     "run",        "--suite",
                            suite,  "--model", "refmodel", "--endpoint", r->endpoint};
    size_t n = 10;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 46; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return ch_test_run_cli(argv, NULL, out, errout);
}

/* The JSON report of run 1; owned tree (cJSON_Delete). */
static inline cJSON *et_report(const char *db, int64_t run)
{
    char rs[32];
    snprintf(rs, sizeof(rs), "%lld", (long long)run);
    const char *argv[] = {"--db", db, "eval", "report", rs, "--json", NULL};
    struct ch_buf out, err;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    ch_buf_init(&err, CH_BUF_DEFAULT_MAX);
    int code = ch_test_run_cli(argv, NULL, &out, &err);
    if (code != 0)
        fail_msg("eval report failed (%d): %s", code, ch_buf_cstr(&err));
    cJSON *root = NULL;
    struct ch_err e = CH_ERR_INIT;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&out), ch_buf_len(&out), NULL, "report", &root, &e),
                     CH_OK);
    ch_buf_release(&out);
    ch_buf_release(&err);
    return root;
}

static inline double et_num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        fail_msg("report member '%s' is not a number", key);
    return v->valuedouble;
}

static inline double et_outcome(const cJSON *obj, const char *name)
{
    return et_num(cJSON_GetObjectItemCaseSensitive(obj, "outcomes"), name);
}

/* A fresh sqlite URL in dir (owned). */
static inline char *et_db(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 16;
    char *u = ch_malloc(n);
    snprintf(u, n, "sqlite:%s/%s", dir, name);
    return u;
}

#endif
