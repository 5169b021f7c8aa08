/* SPDX-License-Identifier: Apache-2.0
 *
 * validate_bench: how many findings the clearinghouse can validate per
 * minute, and what the sandbox costs per start.
 *
 *  1. start-up: /usr/bin/true in the sandbox against posix_spawn (median, p90);
 *  2. one typical reproduction (validate/repro.h) at a time: the fixture
 *     target of tests/fixtures/disclose built with gcc -fsanitize=address,
 *     undefined inside the sandbox, then 3 runs of a heap-overflow PoC:
 *     median build, runs and total;
 *  3. two reproductions at once (2 worker threads, 2 cores): validations
 *     per minute.
 *
 * usage: validate_bench [FIXTURES_DIR] [REPETITIONS]
 * (FIXTURES_DIR defaults to $CH_FIXTURES, else tests/fixtures)
 */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/num.h"
#include "validate/repro.h"
#include "validate/sandbox.h"

#define STARTUP_RUNS 40
#define MAX_REPS 50

extern char **environ;

static const char recipe_json[] =
    "{\"build\": [[\"gcc\", \"-g\", \"-O0\", \"-fno-omit-frame-pointer\","
    " \"-fsanitize=address,undefined\", \"-fno-sanitize-recover=all\", \"-o\", \"target\","
    " \"target.c\"]], \"run\": [\"./target\"], \"stdin\": \"poc.txt\","
    " \"expect\": {\"crash\": \"heap-buffer-overflow\"}}";

static struct ch_recipe *recipe;
static struct ch_repro_file files[2];
static struct ch_buf src;
static struct ch_buf poc;
static char work_root[] = "/tmp/validate-bench-XXXXXX";

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t pct(int64_t *v, size_t n, unsigned p)
{
    qsort(v, n, sizeof(*v), cmp_i64);
    size_t i = (n - 1) * p / 100;
    return v[i];
}

static void read_all(const char *path, struct ch_buf *b)
{
    FILE *f = fopen(path, "rbe");
    if (f == NULL) {
        fprintf(stderr, "validate_bench: cannot open %s\n", path);
        exit(1);
    }
    ch_buf_init(b, 1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ch_buf_append(b, chunk, n);
    fclose(f);
}

static void startup(void)
{
    int64_t sb[STARTUP_RUNS];
    int64_t sp[STARTUP_RUNS];
    const char *argv[] = {"/usr/bin/true", NULL};
    for (int i = 0; i < STARTUP_RUNS; i++) {
        struct ch_sandbox_options o = {.argv = argv};
        struct ch_sandbox_result r;
        struct ch_err err = CH_ERR_INIT;
        int64_t t0 = ch_clock_mono_ns();
        if (ch_sandbox_run(&o, &r, &err) != CH_OK) {
            fprintf(stderr, "validate_bench: sandbox: %s\n", err.msg);
            exit(1);
        }
        sb[i] = ch_clock_mono_ns() - t0;
        ch_sandbox_result_release(&r);
        pid_t pid;
        t0 = ch_clock_mono_ns();
        if (posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0)
            exit(1);
        int status;
        waitpid(pid, &status, 0);
        sp[i] = ch_clock_mono_ns() - t0;
    }
    int64_t sb50 = pct(sb, STARTUP_RUNS, 50);
    int64_t sp50 = pct(sp, STARTUP_RUNS, 50);
    printf("sandbox start-up (/usr/bin/true, %d runs): median %.1f ms, p90 %.1f ms;"
           " posix_spawn median %.1f ms; overhead %.1f ms\n",
           STARTUP_RUNS, sb50 / 1e6, pct(sb, STARTUP_RUNS, 90) / 1e6, sp50 / 1e6,
           (sb50 - sp50) / 1e6);
}

struct job {
    unsigned reps;
    int64_t total_ns[MAX_REPS];
    int64_t build_ms[MAX_REPS];
    int64_t run_ms[MAX_REPS];
    int failed;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    for (unsigned i = 0; i < j->reps; i++) {
        struct ch_repro_options o = {.runs = 3, .work_root = work_root};
        struct ch_repro_result r;
        struct ch_err err = CH_ERR_INIT;
        int64_t t0 = ch_clock_mono_ns();
        int rc = ch_repro_run(recipe, files, 2, &o, &r, &err);
        j->total_ns[i] = ch_clock_mono_ns() - t0;
        if (rc != CH_OK || r.outcome != CH_REPRO_REPRODUCED) {
            fprintf(stderr, "validate_bench: reproduction failed: %s %s\n", err.msg,
                    ch_buf_cstr(&r.log));
            j->failed = 1;
        }
        j->build_ms[i] = r.build_ms;
        j->run_ms[i] = r.run_ms;
        ch_repro_result_release(&r);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *fx = argc > 1 ? argv[1] : getenv("CH_FIXTURES");
    if (fx == NULL)
        fx = "tests/fixtures";
    unsigned reps = 5;
    if (argc > 2) {
        uint64_t v = 0;
        struct ch_err err = CH_ERR_INIT;
        if (ch_num_parse_u64(ch_str_c(argv[2]), MAX_REPS, &v, &err) != CH_OK || v == 0) {
            fprintf(stderr, "usage: validate_bench [FIXTURES_DIR] [REPETITIONS 1-%d]\n", MAX_REPS);
            return 2;
        }
        reps = (unsigned)v;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/disclose/target/target.c", fx);
    read_all(path, &src);
    snprintf(path, sizeof(path), "%s/disclose/pocs/heap-overflow.txt", fx);
    read_all(path, &poc);
    files[0] = (struct ch_repro_file){"target.c", (const unsigned char *)ch_buf_cstr(&src),
                                      ch_buf_len(&src)};
    files[1] = (struct ch_repro_file){"poc.txt", (const unsigned char *)ch_buf_cstr(&poc),
                                      ch_buf_len(&poc)};
    struct ch_err err = CH_ERR_INIT;
    if (ch_recipe_parse(recipe_json, sizeof(recipe_json) - 1, &recipe, &err) != CH_OK ||
        mkdtemp(work_root) == NULL || chmod(work_root, 0755) != 0) {
        fprintf(stderr, "validate_bench: setup: %s\n", err.msg);
        return 1;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("validate_bench: %ld cores online, %u repetitions\n", cores, reps);
    startup();

    struct job one = {.reps = reps};
    worker(&one);
    int64_t med = pct(one.total_ns, reps, 50);
    printf("one reproduction at a time (build + 3 runs): median %.2f s (build %lld ms, 3 runs"
           " %lld ms) = %.1f validations/min\n",
           med / 1e9, (long long)pct(one.build_ms, reps, 50), (long long)pct(one.run_ms, reps, 50),
           60e9 / (double)med);

    struct job two[2] = {{.reps = reps}, {.reps = reps}};
    pthread_t t[2];
    int64_t t0 = ch_clock_mono_ns();
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, &two[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    int64_t wall = ch_clock_mono_ns() - t0;
    printf("two reproductions at once (2 workers): %u validations in %.2f s = %.1f"
           " validations/min\n",
           2 * reps, wall / 1e9, 2.0 * reps * 60e9 / (double)wall);
    ch_recipe_free(recipe);
    rmdir(work_root);
    return one.failed || two[0].failed || two[1].failed;
}
