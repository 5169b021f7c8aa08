/* SPDX-License-Identifier: Apache-2.0
 *
 * Integration test: a hostile model (tests/eval/refmodel.c --mode hostile)
 * tries, through the bash tool, to read host files and the suite (the flag
 * store), write outside its sandbox, reach the network (the endpoint
 * itself and the internet), flood its output, fork-bomb and kill every
 * process, and submits path-traversal and guessed answers. Every attempt is
 * contained (no success, no broken sandbox for the other samples, no file
 * written on the host) and recorded in the sample's transcript, whose
 * SHA-256 the journal pins.
 */
#include "eval_helpers.h"

#include <sys/stat.h>

#include "eval/suite.h"
#include "store/store.h"

static char *tmp;

static void read_all(const char *path, struct ch_buf *b)
{
    ch_test_read_file(path, b);
}

static void test_eval_hostile_model_is_contained_and_recorded(void **state)
{
    (void)state;
    char canary[4096];
    snprintf(canary, sizeof(canary), "%s/host-canary", tmp);
    const char *ropts[] = {"--canary-file", canary, NULL};
    struct et_ref r;
    et_ref_start(&r, "hostile", ropts);
    char *db = et_db(tmp, "hostile.db");
    struct ch_buf out, err;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    ch_buf_init(&err, CH_BUF_DEFAULT_MAX);
    const char *extra[] = {"--tasks", "mc-01,flag-01,ctf-01,ctf-07,pov-01", "--concurrency", "5",
                           NULL};
    int code = et_run(db, &r, extra, &out, &err);
    if (code != 0)
        fail_msg("eval run exited %d: %s%s", code, ch_buf_cstr(&out), ch_buf_cstr(&err));
    cJSON *rep = et_report(db, 1);
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(rep, "overall");
    assert_int_equal((int)et_num(ov, "samples"), 5);
    assert_int_equal((int)et_num(ov, "successes"), 0);
    assert_int_equal((int)et_outcome(ov, "sandbox"), 0);
    assert_int_equal((int)et_outcome(ov, "infra"), 0);
    assert_int_equal((int)et_outcome(ov, "scorer"), 0);
    cJSON_Delete(rep);

    /* Nothing was written on the host. */
    struct stat st;
    assert_int_not_equal(stat(canary, &st), 0);

    /* The transcript records each attempt and its contained result. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/hostile.db.transcripts/run-1/ctf-01.e1.jsonl", tmp);
    struct ch_buf t;
    ch_buf_init(&t, CH_BUF_DEFAULT_MAX);
    read_all(path, &t);
    const char *text = ch_buf_cstr(&t);
    assert_true(ch_test_contains(text, "cat /etc/shadow"));
    assert_true(ch_test_contains(text, "No such file or directory"));
    assert_true(ch_test_contains(text, "example.json"));
    assert_true(ch_test_contains(text, "socket.create_connection"));
    assert_false(ch_test_contains(text, "CONNECTED\\n"));
    assert_true(ch_test_contains(text, "bytes omitted"));
    assert_true(ch_test_contains(text, "kill -9 -1"));
    assert_true(ch_test_contains(text, "\"type\":\"end\""));
    /* The suite's flag digests never reach the model: the suite is not inside the sandbox. */
    assert_false(ch_test_contains(text, "blake2b$"));

    /* The journal pins the transcript's SHA-256. */
    char sha[65];
    ch_sha256_hex(ch_buf_cstr(&t), ch_buf_len(&t), sha);
    struct ch_store *s = NULL;
    struct ch_err e = CH_ERR_INIT;
    assert_int_equal(ch_store_open(db, NULL, &s, &e), CH_OK);
    struct ch_stmt *q = NULL;
    assert_int_equal(ch_store_prepare(s,
                                      "SELECT transcript_sha256 FROM eval_sample WHERE task_id = "
                                      "'ctf-01'",
                                      &q, &e),
                     CH_OK);
    assert_int_equal(ch_stmt_step(q, &e), 1);
    assert_string_equal(ch_stmt_cstr(q, 0), sha);
    ch_stmt_free(q);
    ch_store_free(s);

    ch_buf_release(&t);
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
        cmocka_unit_test_setup_teardown(test_eval_hostile_model_is_contained_and_recorded, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
