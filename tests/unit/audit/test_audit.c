/* SPDX-License-Identifier: Apache-2.0
 *
 * The audit chain: appends, verification, tampering (edited, deleted,
 * reordered and truncated entries, forged checkpoints), transactions, and
 * concurrent appenders in several processes keeping one valid chain. Runs on
 * SQLite and (as test_audit_pg) PostgreSQL.
 */
#include "testutil.h"

#include <sodium.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/keys.h"

#define N_PROCS 4
#define PER_PROC 40

struct fixture {
    char *dir;
    char *url;
    struct ch_store *s;
};

static int setup(void **state)
{
    struct fixture *f = ch_calloc(1, sizeof(*f));
    f->url = ch_test_store_url(&f->dir);
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_open(f->url, NULL, &f->s, &err) != CH_OK)
        fail_msg("open: %s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f->url);
    ch_free(f);
    return 0;
}

static void append_n(struct ch_store *s, int n, const char *actor)
{
    for (int i = 0; i < n; i++) {
        char object[32];
        snprintf(object, sizeof(object), "thing:%d", i);
        struct ch_audit_entry e = {.actor = actor,
                                   .action = "thing.create",
                                   .object = object,
                                   .details = i % 2 ? "{\"k\":1}" : NULL};
        struct ch_err err = CH_ERR_INIT;
        int64_t seq = 0;
        if (ch_audit_append(s, &e, 1700000000 + i, &seq, &err) != CH_OK)
            fail_msg("append: %s", err.msg);
        assert_true(seq > 0);
    }
}

static struct ch_audit_report verify(struct ch_store *s, const unsigned char *pk)
{
    struct ch_audit_report r;
    struct ch_err err = CH_ERR_INIT;
    if (ch_audit_verify(s, pk, &r, &err) != CH_OK)
        fail_msg("verify: %s", err.msg);
    return r;
}

static void exec(struct ch_store *s, const char *sql)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_exec(s, sql, &err) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
}

static void test_append_and_verify(void **state)
{
    struct fixture *f = *state;
    struct ch_audit_report r = verify(f->s, NULL);
    assert_true(r.ok);
    assert_int_equal(r.entries, 0);
    append_n(f->s, 10, "user:alice");
    r = verify(f->s, NULL);
    assert_true(r.ok);
    assert_int_equal(r.entries, 10);
    assert_int_equal(r.first_bad_seq, 0);
}

static void test_missing_fields_are_refused(void **state)
{
    struct fixture *f = *state;
    struct ch_audit_entry e = {.actor = "cli", .action = NULL, .object = "x"};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_audit_append(f->s, &e, 1, NULL, &err), CH_E_INTERNAL);
}

static void expect_broken(struct ch_store *s, int64_t seq, const char *word)
{
    struct ch_audit_report r = verify(s, NULL);
    assert_false(r.ok);
    if (r.first_bad_seq != seq)
        fail_msg("first bad entry %lld, expected %lld (%s)", (long long)r.first_bad_seq,
                 (long long)seq, r.problem);
    if (word != NULL && !ch_test_contains(r.problem, word))
        fail_msg("problem '%s' does not say '%s'", r.problem, word);
}

static void test_edited_actor_is_detected(void **state)
{
    struct fixture *f = *state;
    append_n(f->s, 6, "user:alice");
    exec(f->s, "UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 4");
    expect_broken(f->s, 4, "changed");
}

static void test_edited_details_are_detected(void **state)
{
    struct fixture *f = *state;
    append_n(f->s, 6, "user:alice");
    exec(f->s, "UPDATE audit_log SET details = '{\"k\":2}' WHERE seq = 2");
    expect_broken(f->s, 2, "changed");
}

static void test_recomputed_hash_still_breaks_the_next_link(void **state)
{
    struct fixture *f = *state;
    append_n(f->s, 6, "user:alice");
    /* an editor who also rewrites the hash of entry 3 breaks entry 4's link */
    exec(f->s, "UPDATE audit_log SET hash = 'ffff' WHERE seq = 3");
    struct ch_audit_report r = verify(f->s, NULL);
    assert_false(r.ok);
    assert_int_equal(r.first_bad_seq, 3);
}

static void test_deleted_entry_is_detected(void **state)
{
    struct fixture *f = *state;
    append_n(f->s, 6, "user:alice");
    exec(f->s, "DELETE FROM audit_log WHERE seq = 3");
    expect_broken(f->s, 3, "missing");
}

static void test_truncated_tail_is_detected(void **state)
{
    struct fixture *f = *state;
    append_n(f->s, 6, "user:alice");
    exec(f->s, "DELETE FROM audit_log WHERE seq >= 5");
    expect_broken(f->s, 5, "removed");
}

static void test_reordered_entries_are_detected(void **state)
{
    struct fixture *f = *state;
    append_n(f->s, 6, "user:alice");
    /* swap entries 2 and 3 (their sequence numbers) */
    exec(f->s, "UPDATE audit_log SET seq = 100 WHERE seq = 2");
    exec(f->s, "UPDATE audit_log SET seq = 2 WHERE seq = 3");
    exec(f->s, "UPDATE audit_log SET seq = 3 WHERE seq = 100");
    expect_broken(f->s, 2, NULL);
}

static void test_rolled_back_change_leaves_no_entry(void **state)
{
    struct fixture *f = *state;
    append_n(f->s, 2, "user:alice");
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
    struct ch_audit_entry e = {.actor = "user:bob", .action = "x", .object = "y"};
    assert_int_equal(ch_audit_append(f->s, &e, 5, NULL, &err), CH_OK);
    ch_store_rollback(f->s);
    struct ch_audit_report r = verify(f->s, NULL);
    assert_true(r.ok);
    assert_int_equal(r.entries, 2);
    append_n(f->s, 1, "user:alice");
    r = verify(f->s, NULL);
    assert_true(r.ok);
    assert_int_equal(r.entries, 3);
}

static void keys_new(struct ch_keys *k)
{
    assert_int_equal(sodium_init() >= 0, 1);
    crypto_sign_keypair(k->sign_pk, k->sign_sk);
    snprintf(k->key_id, sizeof(k->key_id), "ed25519:test");
}

static void test_checkpoints_sign_and_verify(void **state)
{
    struct fixture *f = *state;
    struct ch_keys k, other;
    keys_new(&k);
    keys_new(&other);
    struct ch_err err = CH_ERR_INIT;
    int64_t seq = -5;
    assert_int_equal(ch_audit_checkpoint(f->s, &k, 10, &seq, &err), CH_OK);
    assert_true(seq <= 0); /* empty chain: nothing to sign */
    append_n(f->s, 5, "user:alice");
    assert_int_equal(ch_audit_checkpoint(f->s, &k, 11, &seq, &err), CH_OK);
    assert_int_equal(seq, 5);
    /* signing again without new entries is a no-op */
    assert_int_equal(ch_audit_checkpoint(f->s, &k, 12, &seq, &err), CH_OK);
    assert_int_equal(seq, 5);
    append_n(f->s, 3, "user:alice");
    assert_int_equal(ch_audit_checkpoint(f->s, &k, 13, &seq, &err), CH_OK);
    assert_int_equal(seq, 8);
    struct ch_audit_report r = verify(f->s, k.sign_pk);
    assert_true(r.ok);
    assert_int_equal(r.checkpoints, 2);
    /* the wrong public key fails every checkpoint */
    r = verify(f->s, other.sign_pk);
    assert_false(r.ok);
    assert_int_equal(r.first_bad_seq, 5);
}

static void test_forged_checkpoint_is_detected(void **state)
{
    struct fixture *f = *state;
    struct ch_keys k;
    keys_new(&k);
    struct ch_err err = CH_ERR_INIT;
    append_n(f->s, 4, "user:alice");
    int64_t seq = 0;
    assert_int_equal(ch_audit_checkpoint(f->s, &k, 11, &seq, &err), CH_OK);
    exec(f->s, "UPDATE audit_checkpoints SET at = at + 1");
    struct ch_audit_report r = verify(f->s, k.sign_pk);
    assert_false(r.ok);
    assert_int_equal(r.first_bad_seq, 4);
    assert_true(ch_test_contains(r.problem, "signature"));
}

static void test_rewritten_chain_contradicts_its_checkpoint(void **state)
{
    struct fixture *f = *state;
    struct ch_keys k;
    keys_new(&k);
    struct ch_err err = CH_ERR_INIT;
    append_n(f->s, 4, "user:alice");
    int64_t seq = 0;
    assert_int_equal(ch_audit_checkpoint(f->s, &k, 11, &seq, &err), CH_OK);
    /* an attacker rewrites the whole chain consistently: only the checkpoint catches it */
    exec(f->s, "UPDATE audit_log SET hash = 'x' WHERE seq = 4");
    struct ch_audit_report r = verify(f->s, k.sign_pk);
    assert_false(r.ok);
    assert_int_equal(r.first_bad_seq, 4);
}

static void test_concurrent_appenders_keep_one_chain(void **state)
{
    struct fixture *f = *state;
    pid_t pids[N_PROCS];
    for (int p = 0; p < N_PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            struct ch_store *s = NULL;
            struct ch_err err = CH_ERR_INIT;
            if (ch_store_open(f->url, NULL, &s, &err) != CH_OK)
                _exit(2);
            char actor[32];
            snprintf(actor, sizeof(actor), "proc:%d", p);
            for (int i = 0; i < PER_PROC; i++) {
                struct ch_audit_entry e = {.actor = actor, .action = "tick", .object = "x"};
                int rc;
                int tries = 0;
                do {
                    ch_err_clear(&err);
                    rc = ch_audit_append(s, &e, 1700000000 + i, NULL, &err);
                } while (rc == CH_E_BUSY && ++tries < 50);
                if (rc != CH_OK) {
                    fprintf(stderr, "append in process %d: %s\n", p, err.msg);
                    _exit(3);
                }
            }
            ch_store_free(s);
            _exit(0);
        }
    }
    for (int p = 0; p < N_PROCS; p++) {
        int status = 0;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    struct ch_audit_report r = verify(f->s, NULL);
    if (!r.ok)
        fail_msg("chain broken at %lld: %s", (long long)r.first_bad_seq, r.problem);
    assert_int_equal(r.entries, N_PROCS * PER_PROC);
}

static void test_log_json_is_newest_first(void **state)
{
    struct fixture *f = *state;
    append_n(f->s, 3, "user:alice");
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_audit_log_json(f->s, 2, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    cJSON *j = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "log", &j, &err), CH_OK);
    assert_int_equal(cJSON_GetArraySize(j), 2);
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "seq")->valuedouble, 3);
    cJSON_Delete(j);
    ch_buf_release(&b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        T(test_append_and_verify),
        T(test_missing_fields_are_refused),
        T(test_edited_actor_is_detected),
        T(test_edited_details_are_detected),
        T(test_recomputed_hash_still_breaks_the_next_link),
        T(test_deleted_entry_is_detected),
        T(test_truncated_tail_is_detected),
        T(test_reordered_entries_are_detected),
        T(test_rolled_back_change_leaves_no_entry),
        T(test_checkpoints_sign_and_verify),
        T(test_forged_checkpoint_is_detected),
        T(test_rewritten_chain_contradicts_its_checkpoint),
        T(test_concurrent_appenders_keep_one_chain),
        T(test_log_json_is_newest_first),
    };
    return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
