/* SPDX-License-Identifier: Apache-2.0
 *
 * The audit chain end to end: changes made through the API are entries;
 * editing, deleting or reordering a row of audit_log in the database makes
 * `clearinghouse audit verify` exit 1 naming the entry (text and --json) and
 * POST /api/v1/audit/verify report it; undoing the tampering makes the chain
 * verify again. The server signs a checkpoint once CH_AUDIT_CHECKPOINT_EVERY
 * entries have accumulated and again at shutdown. Runs on SQLite and (as the
 * _pg twin) PostgreSQL.
 */
#include "testhttp.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/alloc.h"

static struct ch_test_server srv;
static char *db_dir;
static char *db_url;
static char *root;

static int setup(void **state)
{
    setenv("CLEARINGHOUSE_RATE_LIMIT", "off", 1);
    db_url = ch_test_store_url(&db_dir);
    static const char *const args[] = {"--loops", "1", "--workers", "2", NULL};
    ch_test_server_start(&srv, db_url, args);
    root = ch_test_server_admin(&srv, "root");
    struct ch_test_response r;
    ch_test_response_init(&r);
    for (int i = 0; i < 5; i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"slug\":\"org-%d\",\"name\":\"O\",\"category\":\"fceb\"}",
                 i);
        ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root, body, 201, &r);
    }
    ch_test_response_release(&r);
    return 0;
}

static int teardown(void **state)
{
    ch_test_rmtree(db_dir);
    ch_free(db_dir);
    ch_free(db_url);
    ch_free(root);
    return 0;
}

static struct ch_store *db(void)
{
    struct ch_store *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_open(db_url, NULL, &s, &err) != CH_OK)
        fail_msg("open: %s", err.msg);
    return s;
}

static void sql(const char *q)
{
    struct ch_store *s = db();
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_exec(s, q, &err) != CH_OK)
        fail_msg("%s: %s", q, err.msg);
    ch_store_free(s);
}

/* Runs `audit verify`; checks the exit code and that the output names `entry` when broken. */
static void cli_verify(int want_exit, long entry)
{
    struct ch_buf out, err;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&err, 1 << 20);
    const char *text[] = {"audit", "verify", NULL};
    int rc = ch_test_server_cli(&srv, text, &out, &err);
    if (rc != want_exit)
        fail_msg("audit verify exited %d, expected %d: %s%s", rc, want_exit, ch_buf_cstr(&out),
                 ch_buf_cstr(&err));
    if (entry > 0) {
        char needle[64];
        snprintf(needle, sizeof(needle), "entry %ld", entry);
        if (!ch_test_contains(ch_buf_cstr(&out), needle))
            fail_msg("audit verify does not name %s: %s", needle, ch_buf_cstr(&out));
    }
    const char *json[] = {"audit", "verify", "--json", NULL};
    ch_buf_reset(&out);
    assert_int_equal(ch_test_server_cli(&srv, json, &out, &err), want_exit);
    struct ch_test_response fake;
    ch_test_response_init(&fake);
    (void)ch_buf_append(&fake.body, ch_buf_cstr(&out), ch_buf_len(&out));
    cJSON *j = ch_test_response_json(&fake);
    assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")), want_exit == 0);
    if (entry > 0)
        assert_int_equal((long)cJSON_GetObjectItem(j, "first_bad_seq")->valuedouble, entry);
    cJSON_Delete(j);
    ch_test_response_release(&fake);
    ch_buf_release(&out);
    ch_buf_release(&err);
}

static void api_verify(int ok, long entry)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/audit/verify", root, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")), ok);
    if (!ok)
        assert_int_equal((long)cJSON_GetObjectItem(j, "first_bad_seq")->valuedouble, entry);
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

static void test_intact_chain_verifies(void **state)
{
    cli_verify(0, 0);
    api_verify(1, 0);
}

static void test_edited_row_is_named_and_undo_restores(void **state)
{
    sql("UPDATE audit_log SET object = 'org:forged' WHERE seq = 5");
    cli_verify(1, 5);
    api_verify(0, 5);
    sql("UPDATE audit_log SET object = 'org:org-1' WHERE seq = 5");
    cli_verify(0, 0);
}

static void test_deleted_row_is_named(void **state)
{
    struct ch_store *s = db();
    struct ch_err err = CH_ERR_INIT;
    /* keep a copy to put back */
    assert_int_equal(
        ch_store_exec(s, "CREATE TABLE audit_saved AS SELECT * FROM audit_log WHERE seq = 6", &err),
        CH_OK);
    assert_int_equal(ch_store_exec(s, "DELETE FROM audit_log WHERE seq = 6", &err), CH_OK);
    ch_store_free(s);
    cli_verify(1, 6);
    api_verify(0, 6);
    sql("INSERT INTO audit_log SELECT * FROM audit_saved");
    sql("DROP TABLE audit_saved");
    cli_verify(0, 0);
}

static void test_reordered_rows_are_named(void **state)
{
    sql("UPDATE audit_log SET seq = 1000000 WHERE seq = 4");
    sql("UPDATE audit_log SET seq = 4 WHERE seq = 5");
    sql("UPDATE audit_log SET seq = 5 WHERE seq = 1000000");
    cli_verify(1, 4);
    api_verify(0, 4);
    sql("UPDATE audit_log SET seq = 1000000 WHERE seq = 4");
    sql("UPDATE audit_log SET seq = 4 WHERE seq = 5");
    sql("UPDATE audit_log SET seq = 5 WHERE seq = 1000000");
    cli_verify(0, 0);
}

static int64_t last_checkpoint(void)
{
    struct ch_store *s = db();
    struct ch_err err = CH_ERR_INIT;
    int64_t seq = 0;
    assert_int_equal(
        ch_store_query_int(s, "SELECT MAX(seq) FROM audit_checkpoints", NULL, 0, &seq, &err),
        CH_OK);
    ch_store_free(s);
    return seq;
}

static void test_server_signs_every_n_entries_and_at_shutdown(void **state)
{
    /* bring the chain just short of the threshold (as other writers would) */
    struct ch_store *s = db();
    struct ch_err err = CH_ERR_INIT;
    int64_t head = 0;
    assert_int_equal(
        ch_store_query_int(s, "SELECT seq FROM audit_head WHERE id = 1", NULL, 0, &head, &err),
        CH_OK);
    int64_t base = last_checkpoint();
    assert_int_equal(ch_store_begin_write(s, &err), CH_OK);
    for (int64_t i = head; i < base + CH_AUDIT_CHECKPOINT_EVERY - 1; i++) {
        struct ch_audit_entry e = {.actor = "system", .action = "test.fill", .object = "x"};
        assert_int_equal(ch_audit_append(s, &e, 1700000000, NULL, &err), CH_OK);
    }
    assert_int_equal(ch_store_commit(s, &err), CH_OK);
    ch_store_free(s);
    assert_int_equal(last_checkpoint(), base);
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"threshold\",\"name\":\"T\",\"category\":\"fceb\"}", 201, &r);
    int64_t signed_at = last_checkpoint();
    assert_true(signed_at >= base + CH_AUDIT_CHECKPOINT_EVERY);
    /* one more change, then shutdown signs the end */
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"after\",\"name\":\"A\",\"category\":\"fceb\"}", 201, &r);
    ch_test_response_release(&r);
    cli_verify(0, 0);
    ch_test_server_stop(&srv);
    assert_true(last_checkpoint() == signed_at + 1);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact_chain_verifies),
        cmocka_unit_test(test_edited_row_is_named_and_undo_restores),
        cmocka_unit_test(test_deleted_row_is_named),
        cmocka_unit_test(test_reordered_rows_are_named),
        cmocka_unit_test(test_server_signs_every_n_entries_and_at_shutdown),
    };
    return cmocka_run_group_tests_name("api_audit", tests, setup, teardown);
}
