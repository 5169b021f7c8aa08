/* SPDX-License-Identifier: Apache-2.0
 *
 * Integration tests of the evaluation harness against the reference
 * endpoints on the example suite (suites/example.json): the oracle scores
 * 100 %, the null model 0 %, random choices land in the interval around 1/k,
 * and a flaky endpoint (429 with Retry-After, 500, 503, slow and cut
 * responses) gives the oracle's scores with the retries counted.
 */
#include "eval_helpers.h"

static char *tmp;

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

static void run_ok(const char *db, const struct et_ref *r, const char *const *extra)
{
    struct ch_buf out, err;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    ch_buf_init(&err, CH_BUF_DEFAULT_MAX);
    int code = et_run(db, r, extra, &out, &err);
    if (code != 0)
        fail_msg("eval run exited %d: %s%s", code, ch_buf_cstr(&out), ch_buf_cstr(&err));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"complete\": true"));
    ch_buf_release(&out);
    ch_buf_release(&err);
}

static void test_eval_oracle_scores_everything(void **state)
{
    (void)state;
    struct et_ref r;
    et_ref_start(&r, "oracle", NULL);
    char *db = et_db(tmp, "oracle.db");
    const char *extra[] = {"--concurrency", "4", NULL};
    run_ok(db, &r, extra);
    cJSON *rep = et_report(db, 1);
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(rep, "overall");
    assert_int_equal((int)et_num(ov, "tasks"), 48);
    assert_int_equal((int)et_num(ov, "successes"), 48);
    assert_true(et_num(ov, "success_rate") == 1.0);
    assert_int_equal((int)et_outcome(ov, "infra"), 0);
    /* every kind is represented and solved */
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(rep, "tasks");
    int kinds[4] = {0};
    for (const cJSON *t = tasks->child; t != NULL; t = t->next) {
        const char *k = ch_json_str(t, "kind");
        kinds[0] += strcmp(k, "multiple_choice") == 0;
        kinds[1] += strcmp(k, "flag") == 0;
        kinds[2] += strcmp(k, "ctf") == 0;
        kinds[3] += strcmp(k, "pov") == 0;
        assert_true(et_num(t, "success_rate") == 1.0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(kinds[i], 12);
    cJSON_Delete(rep);
    ch_free(db);
    et_ref_stop(&r);
}

static void test_eval_null_scores_nothing(void **state)
{
    (void)state;
    struct et_ref r;
    et_ref_start(&r, "null", NULL);
    char *db = et_db(tmp, "null.db");
    const char *extra[] = {"--concurrency", "4", NULL};
    run_ok(db, &r, extra);
    cJSON *rep = et_report(db, 1);
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(rep, "overall");
    assert_int_equal((int)et_num(ov, "samples"), 48);
    assert_int_equal((int)et_num(ov, "successes"), 0);
    assert_int_equal((int)et_outcome(ov, "fail"), 48);
    cJSON_Delete(rep);
    ch_free(db);
    et_ref_stop(&r);
}

static void test_eval_random_lands_near_one_in_k(void **state)
{
    (void)state;
    struct et_ref r;
    const char *ropts[] = {"--seed", "12345", NULL};
    et_ref_start(&r, "random", ropts);
    char *db = et_db(tmp, "random.db");
    const char *extra[] = {"--concurrency", "8", "--tasks", "mc-*", "--epochs", "25", NULL};
    run_ok(db, &r, extra);
    cJSON *rep = et_report(db, 1);
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(rep, "overall");
    assert_int_equal((int)et_num(ov, "samples"), 12 * 25);
    /* every example question has four choices: chance is 1/4 */
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(ov, "ci95");
    double lo = cJSON_GetArrayItem(ci, 0)->valuedouble;
    double hi = cJSON_GetArrayItem(ci, 1)->valuedouble;
    if (!(lo <= 0.25 && 0.25 <= hi))
        fail_msg("random: interval [%f, %f] misses 1/4", lo, hi);
    assert_true(hi - lo < 0.2);
    /* pass@k grows with k and the per-task Wilson intervals are proper */
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(ov, "pass_at_k");
    assert_true(et_num(pk, "25") >= et_num(pk, "1"));
    for (const cJSON *t = cJSON_GetObjectItemCaseSensitive(rep, "tasks")->child; t != NULL;
         t = t->next) {
        const cJSON *tci = cJSON_GetObjectItemCaseSensitive(t, "ci95");
        double rate = et_num(t, "success_rate");
        assert_true(cJSON_GetArrayItem(tci, 0)->valuedouble <= rate);
        assert_true(rate <= cJSON_GetArrayItem(tci, 1)->valuedouble);
    }
    cJSON_Delete(rep);
    ch_free(db);
    et_ref_stop(&r);
}

static void test_eval_flaky_endpoint_gives_oracle_scores(void **state)
{
    (void)state;
    const char *subset = "mc-*,flag-*,ctf-0[1-6],pov-0[12]";
    struct et_ref o, f;
    et_ref_start(&o, "oracle", NULL);
    const char *fopts[] = {"--seed", "7", NULL};
    et_ref_start(&f, "flaky", fopts);
    char *db_o = et_db(tmp, "flaky-oracle.db");
    char *db_f = et_db(tmp, "flaky.db");
    /* the request timeout is well above the slow fault (300 ms): the test
     * is about faults being retried, not about a loaded machine's latency */
    const char *extra[] = {"--concurrency", "6", "--tasks", subset, "--timeout-ms", "30000", NULL};
    run_ok(db_o, &o, extra);
    run_ok(db_f, &f, extra);
    cJSON *ro = et_report(db_o, 1);
    cJSON *rf = et_report(db_f, 1);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(ro, "overall");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(rf, "overall");
    assert_int_equal((int)et_num(a, "samples"), (int)et_num(b, "samples"));
    if ((int)et_num(a, "successes") != (int)et_num(b, "successes")) {
        /* which tasks failed under the flaky endpoint */
        const cJSON *t = NULL;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(rf, "tasks"))
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "task");
            if (et_num(t, "successes") < et_num(t, "samples"))
                print_error("flaky: task %s failed\n", cJSON_IsString(id) ? id->valuestring : "?");
        }
    }
    assert_int_equal((int)et_num(a, "successes"), (int)et_num(b, "successes"));
    assert_int_equal((int)et_num(b, "successes"), (int)et_num(b, "samples"));
    assert_true(et_num(a, "tokens") == et_num(b, "tokens"));
    assert_int_equal((int)et_outcome(b, "infra"), 0);
    assert_true(et_num(b, "http_retries") > 10);
    assert_int_equal((int)et_num(a, "http_retries"), 0);
    cJSON_Delete(ro);
    cJSON_Delete(rf);
    ch_free(db_o);
    ch_free(db_f);
    et_ref_stop(&o);
    et_ref_stop(&f);
}

int main(void)
{
    ch_json_global_init();
    et_require_sandbox();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_eval_oracle_scores_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_null_scores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_random_lands_near_one_in_k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_flaky_endpoint_gives_oracle_scores, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
