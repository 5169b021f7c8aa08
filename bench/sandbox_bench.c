/* SPDX-License-Identifier: Apache-2.0
 *
 * sandbox_bench: start-up overhead of the bubblewrap sandbox (src/validate).
 * Runs /usr/bin/true N times (default 50) three ways and prints min, median,
 * p90 and max wall time of each: a plain posix_spawn + waitpid (baseline),
 * ch_sandbox_run() with default options, and ch_sandbox_run() with a work
 * directory, an extra read-only bind and two environment variables. The
 * overhead is the difference of the medians.
 *
 *   sandbox_bench [N]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/num.h"
#include "validate/sandbox.h"

extern char **environ;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t report(const char *what, int64_t *us, size_t n)
{
    qsort(us, n, sizeof(us[0]), cmp_i64);
    printf("%-34s min %6.2f  median %6.2f  p90 %6.2f  max %6.2f ms\n", what, (double)us[0] / 1000,
           (double)us[n / 2] / 1000, (double)us[n * 9 / 10] / 1000, (double)us[n - 1] / 1000);
    return us[n / 2];
}

static int64_t spawn_true(void)
{
    int64_t t0 = ch_clock_mono_ns();
    char *const argv[] = {"/usr/bin/true", NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/usr/bin/true", NULL, NULL, argv, environ) != 0)
        return -1;
    int st;
    waitpid(pid, &st, 0);
    return (ch_clock_mono_ns() - t0) / 1000;
}

static int64_t sandbox_true(const struct ch_sandbox_options *o)
{
    struct ch_sandbox_result r;
    struct ch_err err = CH_ERR_INIT;
    int64_t t0 = ch_clock_mono_ns();
    int rc = ch_sandbox_run(o, &r, &err);
    int64_t us = (ch_clock_mono_ns() - t0) / 1000;
    if (rc != CH_OK || !r.exited || r.exit_code != 0) {
        fprintf(stderr, "sandbox run failed: %s\n", rc != CH_OK ? err.msg : ch_buf_cstr(&r.err));
        us = -1;
    }
    ch_sandbox_result_release(&r);
    return us;
}

int main(int argc, char **argv)
{
    uint64_t n = 50;
    struct ch_err err = CH_ERR_INIT;
    if (argc > 1 && ch_num_parse_u64(ch_str_c(argv[1]), 100000, &n, &err) != CH_OK) {
        fprintf(stderr, "usage: sandbox_bench [N]: %s\n", err.msg);
        return 2;
    }
    if (n < 2)
        n = 2;
    int64_t *us = calloc(n, sizeof(*us));
    char work[] = "/tmp/ch-sandbox-bench.XXXXXX";
    if (us == NULL || mkdtemp(work) == NULL)
        return 1;
    const char *true_argv[] = {"/usr/bin/true", NULL};
    const char *env[] = {"LANG=C", "ASAN_OPTIONS=detect_leaks=0", NULL};
    struct ch_sandbox_bind binds[] = {{.src = "/usr/share/zoneinfo", .dst = "/opt/tool"}};
    struct ch_sandbox_options plain = {.argv = true_argv};
    struct ch_sandbox_options full = {
        .argv = true_argv, .work_dir = work, .env = env, .ro_binds = binds, .n_ro_binds = 1};
    for (size_t i = 0; i < n; i++)
        us[i] = spawn_true();
    int64_t base = report("posix_spawn /usr/bin/true", us, n);
    for (size_t i = 0; i < n; i++)
        us[i] = sandbox_true(&plain);
    int64_t sb = report("sandbox /usr/bin/true", us, n);
    for (size_t i = 0; i < n; i++)
        us[i] = sandbox_true(&full);
    int64_t sbf = report("sandbox + work dir, bind, env", us, n);
    printf("start-up overhead (median): %.2f ms, %.2f ms with work dir, bind and env\n",
           (double)(sb - base) / 1000, (double)(sbf - base) / 1000);
    rmdir(work);
    free(us);
    return 0;
}
