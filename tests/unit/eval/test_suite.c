/* SPDX-License-Identifier: Apache-2.0
 *
 * Unit tests: the suite loader (errors name the file and the JSON path,
 * unknown members, unsafe paths and clear-text flags are refused), flag
 * digests, task globs, the agent's answer helpers, the model client's
 * backoff and Retry-After parsing, and allocation failure in the loader.
 */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/keys.h"
#include "eval/agent.h"
#include "eval/model.h"
#include "eval/suite.h"

static const char *const base =
    "{\"format\": \"clearinghouse-suite/1\", \"id\": \"t\", \"version\": \"1\", "
    "\"classification\": \"unclassified\", \"provenance\": {\"source\": \"test\", "
    "\"license\": \"Apache-2.0\"}, \"tasks\": [%s]}";

static int parse(const char *task, struct ch_suite **ret, struct ch_err *err)
{
    char doc[8192];
    snprintf(doc, sizeof(doc), base, task);
    return ch_suite_parse(doc, strlen(doc), "t.json", "/nonexistent", NULL, ret, err);
}

#define MC                                                                                         \
    "{\"id\": \"q1\", \"kind\": \"multiple_choice\", \"family\": \"f\", \"category\": \"c\", "     \
    "\"canary\": \"k\", \"variants\": {\"unguided\": {\"prompt\": \"?\"}, "                        \
    "\"solution\": {\"answer\": \"B\"}}, \"choices\": [\"a\", \"b\"], "                            \
    "\"scorer\": {\"type\": \"choice\", \"answer\": \"B\"}%s}"

static void test_suite_parse_multiple_choice(void **state)
{
    (void)state;
    char task[1024];
    snprintf(task, sizeof(task), MC, "");
    struct ch_suite *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(parse(task, &s, &err), CH_OK);
    assert_int_equal(s->n_tasks, 1);
    assert_int_equal(s->tasks[0].scorer.answer, 1);
    assert_true(s->tasks[0].runnable);
    assert_int_equal(s->tasks[0].limits.turns, 30); /* harness default */
    assert_non_null(ch_suite_find(s, "q1"));
    ch_suite_free(s);
}

static void test_suite_parse_errors_name_file_and_path(void **state)
{
    (void)state;
    struct {
        const char *extra;
        const char *want;
    } cases[] = {
        {", \"limitz\": {}", "t.json: tasks[0].limitz: unknown member"},
        {", \"limits\": {\"turns\": 0}", "tasks[0].limits.turns"},
        {", \"environment\": {\"files\": [{\"path\": \"../x\", \"src\": \"a\", \"sha256\": "
         "\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
         "tasks[0].environment.files[0].path"},
        {", \"tags\": {\"cwe\": [\"79\"]}", "tasks[0].tags.cwe"},
        {", \"runnable\": \"yes\"", "tasks[0].runnable"},
        /* numbers no integer type holds: refused, not converted (undefined in C) */
        {", \"limits\": {\"turns\": 3e122}", "tasks[0].limits.turns: expected an integer"},
        {", \"limits\": {\"tokens\": -1e300}", "tasks[0].limits.tokens: expected an integer"},
        {", \"limits\": {\"turns\": 2.5}", "tasks[0].limits.turns: expected an integer"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        char task[2048];
        snprintf(task, sizeof(task), MC, cases[i].extra);
        struct ch_suite *s = NULL;
        struct ch_err err = CH_ERR_INIT;
        assert_int_not_equal(parse(task, &s, &err), CH_OK);
        if (strstr(err.msg, cases[i].want) == NULL)
            fail_msg("case %zu: '%s' does not contain '%s'", i, err.msg, cases[i].want);
    }
}

static void test_suite_refuses_clear_flag(void **state)
{
    (void)state;
    const char *task =
        "{\"id\": \"f1\", \"kind\": \"flag\", \"family\": \"f\", \"category\": \"c\", \"canary\": "
        "\"k\", \"variants\": {\"unguided\": {\"prompt\": \"?\"}}, \"scorer\": {\"type\": "
        "\"flag\", \"hash\": \"flag{clear}\"}}";
    struct ch_suite *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(parse(task, &s, &err), CH_E_INVALID);
    assert_non_null(strstr(err.msg, "never stored in clear"));
}

static void test_flag_hash_round_trip(void **state)
{
    (void)state;
    char h[CH_FLAG_HASH_STR_MAX];
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_flag_hash_new(ch_str_c("flag{abc}"), h, &err), CH_OK);
    assert_null(strstr(h, "abc"));
    struct ch_flag_hash fh;
    assert_int_equal(ch_flag_hash_parse(ch_str_c(h), &fh, &err), CH_OK);
    assert_true(ch_flag_check(&fh, ch_str_c("flag{abc}")));
    assert_true(ch_flag_check(&fh, ch_str_c("  flag{abc}\n")));
    assert_false(ch_flag_check(&fh, ch_str_c("flag{abd}")));
    assert_false(ch_flag_check(&fh, ch_str_c("")));
    char h2[CH_FLAG_HASH_STR_MAX];
    assert_int_equal(ch_flag_hash_new(ch_str_c("flag{abc}"), h2, &err), CH_OK);
    assert_string_not_equal(h, h2); /* salted */
    assert_int_equal(ch_flag_hash_new(ch_str_c("  "), h2, &err), CH_E_INVALID);
}

static void test_glob_and_last_line(void **state)
{
    (void)state;
    assert_true(ch_suite_glob_match(NULL, "x"));
    assert_true(ch_suite_glob_match("mc-*,ctf-0[1-4]", "ctf-03"));
    assert_false(ch_suite_glob_match("mc-*,ctf-0[1-4]", "ctf-05"));
    struct ch_str l = ch_agent_last_line(ch_str_c("a\nflag{x} \n\n  \n"));
    assert_true(ch_str_eq_c(l, "flag{x}"));
    assert_int_equal(ch_agent_last_line(ch_str_c("\n\n")).len, 0);
    enum ch_outcome o;
    assert_int_equal(ch_outcome_parse("limit", &o), CH_OK);
    assert_int_equal(o, CH_OUTCOME_LIMIT);
    assert_true(ch_outcome_scored(CH_OUTCOME_REFUSED));
    assert_false(ch_outcome_scored(CH_OUTCOME_INFRA));
    assert_true(ch_outcome_retryable(CH_OUTCOME_SANDBOX));
}

static void test_model_backoff_and_retry_after(void **state)
{
    (void)state;
    struct ch_model_options o = {
        .backoff_base_ms = 100, .backoff_max_ms = 1000, .retry_after_max_ms = 5000};
    assert_int_equal(ch_model_backoff_ms(&o, 0, -1, 0.999999), 99);
    assert_int_equal(ch_model_backoff_ms(&o, 3, -1, 0.5), 400);
    assert_int_equal(ch_model_backoff_ms(&o, 20, -1, 0.5), 500);   /* capped */
    assert_int_equal(ch_model_backoff_ms(&o, 0, 2000, 0.5), 2000); /* Retry-After wins */
    assert_int_equal(ch_model_backoff_ms(&o, 0, 90000, 0.5), 5000);
    assert_int_equal(ch_model_parse_retry_after("3", 0), 3000);
    assert_int_equal(ch_model_parse_retry_after(" 0 ", 0), 0);
    assert_int_equal(ch_model_parse_retry_after("soon", 0), -1);
    /* 1994-11-06 08:49:37 UTC = 784111777 */
    assert_int_equal(ch_model_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000);
    assert_int_equal(ch_model_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111999), 0);
}

static void test_suite_parse_oom(void **state)
{
    (void)state;
    char task[1024];
    snprintf(task, sizeof(task), MC, "");
    for (long n = 0;; n++) {
        struct ch_suite *s = NULL;
        struct ch_err err = CH_ERR_INIT;
        ch_alloc_fault_enable(n);
        int rc = parse(task, &s, &err);
        ch_alloc_fault_disable();
        if (rc == CH_OK) {
            ch_suite_free(s);
            break;
        }
        assert_int_equal(rc, CH_E_NOMEM);
        assert_true(n < 10000);
    }
}

/* ---- files read through a callback (the sealed store's path) ---- */

#define FILE_BYTES "hello, sealed world"

struct provider {
    unsigned calls;
};

static int provide(void *arg, const char *src, struct ch_buf *out, struct ch_err *err)
{
    struct provider *p = arg;
    p->calls++;
    ch_buf_reset(out);
    if (strcmp(src, "d/a.txt") != 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no sealed file '%s'", src);
    ch_buf_append_c(out, FILE_BYTES);
    return ch_buf_status(out, src, err);
}

/* A metadata-only task shipping two files from `src1` and `src2` with the digest of `bytes`. */
static int parse_mem(const char *src1, const char *src2, const char *bytes, struct provider *p,
                     struct ch_suite **ret, struct ch_err *err)
{
    char sha[65];
    ch_sha256_hex(bytes, strlen(bytes), sha);
    char task[2048];
    snprintf(task, sizeof(task),
             "{\"id\": \"f1\", \"kind\": \"flag\", \"family\": \"f\", \"category\": \"c\", "
             "\"canary\": \"k\", \"variants\": {\"unguided\": {\"prompt\": \"?\"}}, "
             "\"environment\": {\"files\": [{\"path\": \"a.txt\", \"src\": \"%s\", "
             "\"sha256\": \"%s\"}, {\"path\": \"b.txt\", \"src\": \"%s\", \"sha256\": \"%s\"}]}, "
             "\"runnable\": false, \"not_runnable_reason\": \"test\"}",
             src1, sha, src2, sha);
    char doc[8192];
    snprintf(doc, sizeof(doc), base, task);
    struct ch_suite_load_options lo = {.check_files = true, .read_file = provide, .read_arg = p};
    return ch_suite_parse(doc, strlen(doc), "sealed:t", "sealed:t", &lo, ret, err);
}

static void test_suite_parse_reads_files_through_callback(void **state)
{
    (void)state;
    struct provider p = {0};
    struct ch_suite *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(parse_mem("d/a.txt", "d/a.txt", FILE_BYTES, &p, &s, &err), CH_OK);
    /* The same source is read once and shared; nothing points at the disk. */
    assert_int_equal(p.calls, 1);
    const struct ch_task_file *f = &s->tasks[0].env.files[0];
    assert_null(f->host_path);
    assert_string_equal(f->src, "d/a.txt");
    assert_int_equal(f->len, strlen(FILE_BYTES));
    assert_memory_equal(f->data, FILE_BYTES, f->len);
    assert_ptr_equal(s->tasks[0].env.files[1].data, f->data);
    ch_suite_free(s);
    /* Bytes that differ from the recorded digest, and a file the provider lacks. */
    s = NULL;
    assert_int_equal(parse_mem("d/a.txt", "d/a.txt", "other bytes", &p, &s, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "tasks[0].environment.files[0].sha256"));
    assert_null(s);
    ch_err_clear(&err);
    assert_int_equal(parse_mem("d/a.txt", "d/missing", FILE_BYTES, &p, &s, &err), CH_E_NOTFOUND);
    assert_true(ch_test_contains(err.msg, "tasks[0].environment.files[1].src: no sealed file"));
}

static void test_suite_parse_callback_oom(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        struct provider p = {0};
        struct ch_suite *s = NULL;
        struct ch_err err = CH_ERR_INIT;
        ch_alloc_fault_enable(n);
        int rc = parse_mem("d/a.txt", "d/a.txt", FILE_BYTES, &p, &s, &err);
        ch_alloc_fault_disable();
        if (rc == CH_OK) {
            ch_suite_free(s);
            break;
        }
        assert_int_equal(rc, CH_E_NOMEM);
        assert_true(n < 10000);
    }
}

int main(void)
{
    ch_json_global_init();
    struct ch_err err = CH_ERR_INIT;
    if (ch_crypto_init(&err) != CH_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_parse_multiple_choice),
        cmocka_unit_test(test_suite_parse_errors_name_file_and_path),
        cmocka_unit_test(test_suite_refuses_clear_flag),
        cmocka_unit_test(test_flag_hash_round_trip),
        cmocka_unit_test(test_glob_and_last_line),
        cmocka_unit_test(test_model_backoff_and_retry_after),
        cmocka_unit_test(test_suite_parse_oom),
        cmocka_unit_test(test_suite_parse_reads_files_through_callback),
        cmocka_unit_test(test_suite_parse_callback_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
