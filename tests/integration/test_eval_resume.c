/* SPDX-License-Identifier: Apache-2.0
 *
 * Integration test: a run killed with SIGKILL at random points and resumed
 * (`eval run --resume 1`) ends with the same report as an uninterrupted
 * run, and no sample that was complete when a kill happened is ever asked
 * again: the reference endpoint logs every request with its sample, and
 * the test snapshots the journal's done samples at each kill.
 */
#include "eval_helpers.h"

#include <spawn.h>
#include <time.h>

#include "core/map.h"
#include "store/store.h"

extern char **environ;

#define KILLS 4
#define SUBSET "mc-*,flag-0[1-6],ctf-0[1-4]"

static char *tmp;

struct kill_point {
    size_t log_lines;    /* requests logged before the kill */
    struct ch_map *done; /* sample keys done at the kill */
};

static size_t count_lines(const char *path)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    FILE *f = fopen(path, "re");
    size_t n = 0;
    if (f != NULL) {
        int c;
        while ((c = fgetc(f)) != EOF)
            n += c == '\n';
        fclose(f);
    }
    ch_buf_release(&b);
    return n;
}

static struct ch_map *done_samples(const char *db)
{
    struct ch_store *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    struct ch_map *m = ch_map_new(3, NULL);
    if (ch_store_open(db, NULL, &s, &err) != CH_OK)
        return m; /* not created yet: nothing done */
    struct ch_stmt *st = NULL;
    if (ch_store_prepare(s, "SELECT run_id, task_id, epoch FROM eval_sample WHERE state = 'done'",
                         &st, &err) == CH_OK) {
        while (ch_stmt_step(st, &err) == 1) {
            char key[300];
            snprintf(key, sizeof(key), "%lld/%s/%lld", (long long)ch_stmt_int(st, 0),
                     ch_stmt_cstr(st, 1), (long long)ch_stmt_int(st, 2));
            assert_int_equal(ch_map_put(m, ch_str_c(key), (void *)1), CH_OK);
        }
        ch_stmt_free(st);
    }
    ch_store_free(s);
    return m;
}

static pid_t spawn_run(const char *db, const char *endpoint, bool resume)
{
    const char *bin = getenv("CH_BINARY");
    char suite[4096];
    et_suite_path(suite, sizeof(suite));
    const char *argv[] = {
        bin,    "--db",     db,         "eval",          "run",    "--suite",
        suite,  "--model",  "refmodel", "--endpoint",    endpoint, "--tasks",
        SUBSET, "--epochs", "2",        "--concurrency", "3",      resume ? "--resume" : NULL,
        "1",    NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static void compare_reports(const cJSON *a, const cJSON *b)
{
    const cJSON *ta = cJSON_GetObjectItemCaseSensitive(a, "tasks");
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(b, "tasks");
    assert_int_equal(cJSON_GetArraySize(ta), cJSON_GetArraySize(tb));
    for (const cJSON *x = ta->child, *y = tb->child; x != NULL; x = x->next, y = y->next) {
        assert_string_equal(ch_json_str(x, "task"), ch_json_str(y, "task"));
        assert_int_equal((int)et_num(x, "samples"), (int)et_num(y, "samples"));
        assert_int_equal((int)et_num(x, "successes"), (int)et_num(y, "successes"));
    }
    const cJSON *oa = cJSON_GetObjectItemCaseSensitive(a, "overall");
    const cJSON *ob = cJSON_GetObjectItemCaseSensitive(b, "overall");
    const char *keys[] = {"tasks",       "samples", "successes", "success_rate",
                          "pooled_rate", "tokens",  "pending"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(keys); i++) {
        if (et_num(oa, keys[i]) != et_num(ob, keys[i]))
            fail_msg("overall.%s differs: %f vs %f", keys[i], et_num(oa, keys[i]),
                     et_num(ob, keys[i]));
    }
    char *ca = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(oa, "ci95"));
    char *cb = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(ob, "ci95"));
    assert_string_equal(ca, cb);
    cJSON_free(ca);
    cJSON_free(cb);
    ca = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(oa, "outcomes"));
    cb = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(ob, "outcomes"));
    assert_string_equal(ca, cb);
    cJSON_free(ca);
    cJSON_free(cb);
}

static void test_eval_killed_run_resumes_without_asking_again(void **state)
{
    (void)state;
    char log[4096];
    snprintf(log, sizeof(log), "%s/requests.log", tmp);
    const char *ropts[] = {"--log", log, "--latency-ms", "60", NULL};
    struct et_ref r;
    et_ref_start(&r, "oracle", ropts);
    char *db = et_db(tmp, "killed.db");
    struct kill_point kills[KILLS];
    unsigned seed = (unsigned)time(NULL);
    fprintf(stderr, "kill seed %u\n", seed);
    srand(seed);
    for (int k = 0; k < KILLS; k++) {
        pid_t pid = spawn_run(db, r.endpoint, k > 0);
        usleep((useconds_t)(150000 + rand() % 300000));
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        kills[k].log_lines = count_lines(log);
        kills[k].done = done_samples(db);
    }
    struct ch_buf out, err;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    ch_buf_init(&err, CH_BUF_DEFAULT_MAX);
    const char *extra[] = {"--tasks", SUBSET,     "--epochs", "2", "--concurrency",
                           "3",       "--resume", "1",        NULL};
    int code = 0;
    if (ch_map_count(kills[KILLS - 1].done) < 44)
        code = et_run(db, &r, extra, &out, &err);
    else
        ch_buf_append_c(&out, "\"complete\": true");
    if (code != 0)
        fail_msg("resumed run exited %d: %s%s", code, ch_buf_cstr(&out), ch_buf_cstr(&err));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"complete\": true"));

    /* No request after a kill for a sample done at that kill. */
    FILE *f = fopen(log, "re");
    assert_non_null(f);
    char line[512];
    size_t idx = 0, reasked = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *sp = strchr(line, ' ');
        if (sp != NULL)
            *sp = '\0';
        for (int k = 0; k < KILLS; k++) {
            if (idx >= kills[k].log_lines && ch_map_has(kills[k].done, ch_str_c(line))) {
                fprintf(stderr, "sample %s asked again after kill %d\n", line, k);
                reasked++;
            }
        }
        idx++;
    }
    fclose(f);
    assert_int_equal(reasked, 0);
    size_t done_before = ch_map_count(kills[KILLS - 1].done);
    fprintf(stderr, "%zu of 44 samples were done before the last kill\n", done_before);

    /* The same report as an uninterrupted run. */
    char *db2 = et_db(tmp, "straight.db");
    const char *extra2[] = {"--tasks", SUBSET, "--epochs", "2", "--concurrency", "3", NULL};
    code = et_run(db2, &r, extra2, &out, &err);
    assert_int_equal(code, 0);
    cJSON *a = et_report(db, 1);
    cJSON *b = et_report(db2, 1);
    compare_reports(a, b);
    assert_int_equal((int)et_num(cJSON_GetObjectItemCaseSensitive(a, "overall"), "samples"), 44);
    assert_true(et_num(a, "sessions") >= 2);
    cJSON_Delete(a);
    cJSON_Delete(b);
    for (int k = 0; k < KILLS; k++)
        ch_map_free(kills[k].done);
    ch_buf_release(&out);
    ch_buf_release(&err);
    ch_free(db);
    ch_free(db2);
    et_ref_stop(&r);
}

static void test_eval_resume_refuses_another_suite_or_model(void **state)
{
    (void)state;
    struct et_ref r;
    et_ref_start(&r, "oracle", NULL);
    char *db = et_db(tmp, "refuse.db");
    struct ch_buf out, err;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    ch_buf_init(&err, CH_BUF_DEFAULT_MAX);
    const char *first[] = {"--tasks", "mc-01", NULL};
    assert_int_equal(et_run(db, &r, first, &out, &err), 0);
    /* complete: nothing to resume */
    const char *again[] = {"--tasks", "mc-01", "--resume", "1", NULL};
    assert_int_equal(et_run(db, &r, again, &out, &err), 3);
    assert_true(ch_test_contains(ch_buf_cstr(&err), "already complete"));
    const char *missing[] = {"--resume", "99", NULL};
    assert_int_equal(et_run(db, &r, missing, &out, &err), 3);
    ch_buf_release(&out);
    ch_buf_release(&err);
    ch_free(db);
    et_ref_stop(&r);
}

static int setup(void **state)
{
    (void)state;
    tmp = ch_test_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ch_test_rmtree(tmp);
    ch_free(tmp);
    return 0;
}

int main(void)
{
    ch_json_global_init();
    et_require_sandbox();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_eval_killed_run_resumes_without_asking_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_eval_resume_refuses_another_suite_or_model, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
