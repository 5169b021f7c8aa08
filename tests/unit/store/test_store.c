/* SPDX-License-Identifier: Apache-2.0
 * Store API tests. They run against SQLite, and against PostgreSQL when
 * CH_TEST_PG_DSN names a server (the test scripts start one). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store.h"

struct fixture {
    struct ch_store *s;
    char *dir;
};

static int setup(void **state)
{
    struct fixture *f = ch_calloc(1, sizeof(*f));
    f->s = ch_test_store(&f->dir);
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_exec(f->s, "DROP TABLE IF EXISTS t_items", &err) != CH_OK ||
        ch_store_exec(f->s,
                      "CREATE TABLE t_items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                      " score DOUBLE PRECISION, data BYTEA)",
                      &err) != CH_OK)
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    CH_IGNORE(ch_store_exec(f->s, "DROP TABLE IF EXISTS t_items", &err)); /* best effort */
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f);
    return 0;
}

static void insert(struct ch_store *s, int64_t id, const char *name, double score)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(s, "INSERT INTO t_items (id, name, score) VALUES (?, ?, ?)",
                                   &st, &err),
                     CH_OK);
    ch_stmt_bind_int(st, 1, id);
    ch_stmt_bind_cstr(st, 2, name);
    ch_stmt_bind_double(st, 3, score);
    if (ch_stmt_run(st, &err) != CH_OK)
        fail_msg("insert: %s", err.msg);
}

static int64_t count(struct ch_store *s)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t n = -1;
    assert_int_equal(ch_store_query_int(s, "SELECT COUNT(*) FROM t_items", NULL, 0, &n, &err),
                     CH_OK);
    return n;
}

static void test_store_migrated(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t v = 0;
    assert_int_equal(ch_store_schema_version(f->s, &v, &err), CH_OK);
    assert_true(v >= 1);
    assert_true(v == ch_store_schema_target());
    int64_t n = 0;
    assert_int_equal(ch_store_query_int(f->s, "SELECT COUNT(*) FROM meta WHERE key = ?",
                                        "created_by", -1, &n, &err),
                     CH_OK);
    assert_int_equal(n, 1);
}

static void test_store_bind_and_read_types(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_prepare(f->s,
                                      "INSERT INTO t_items (id, name, score, data) VALUES (?, ?, ?, ?)"
                                      " RETURNING id",
                                      &st, &err),
                     CH_OK);
    ch_stmt_bind_int(st, 1, INT64_MAX);
    static const char tricky[] = "it's; DROP TABLE t_items; --\xc3\xa9";
    ch_stmt_bind_text(st, 2, tricky, sizeof(tricky) - 1);
    ch_stmt_bind_null(st, 3);
    ch_stmt_bind_blob(st, 4, "\0\1\2", 3);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_true(ch_stmt_int(st, 0) == INT64_MAX);
    assert_int_equal(ch_stmt_step(st, &err), 0);
    ch_stmt_free(st);

    assert_int_equal(ch_store_prepare(f->s, "SELECT id, name, score, data FROM t_items", &st, &err),
                     CH_OK);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_int_equal(ch_stmt_column_count(st), 4);
    struct ch_str name = ch_stmt_text(st, 1);
    assert_int_equal(name.len, sizeof(tricky) - 1);
    assert_memory_equal(name.ptr, tricky, sizeof(tricky)); /* and NUL-terminated */
    assert_true(ch_stmt_is_null(st, 2));
    assert_null(ch_stmt_cstr(st, 2));
    struct ch_str blob = ch_stmt_blob(st, 3);
    assert_int_equal(blob.len, 3);
    assert_memory_equal(blob.ptr, "\0\1\2", 3);
    assert_int_equal(ch_stmt_step(st, &err), 0);
    ch_stmt_free(st);
    assert_int_equal(count(f->s), 1);
}

static void test_store_constraint_is_conflict(void **state)
{
    struct fixture *f = *state;
    insert(f->s, 1, "a", 1.5);
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(f->s, "INSERT INTO t_items (id, name, score) VALUES (?, ?, ?)",
                                   &st, &err),
                     CH_OK);
    ch_stmt_bind_int(st, 1, 2);
    ch_stmt_bind_cstr(st, 2, "a");
    ch_stmt_bind_double(st, 3, 0);
    assert_int_equal(ch_stmt_run(st, &err), CH_E_CONFLICT);
    assert_int_equal(count(f->s), 1);
}

static void test_store_transactions_nest(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
    insert(f->s, 1, "a", 1);
    assert_int_equal(ch_store_begin(f->s, &err), CH_OK);
    insert(f->s, 2, "b", 2);
    assert_int_equal(ch_store_commit(f->s, &err), CH_OK); /* inner: nothing yet */
    assert_true(ch_store_in_tx(f->s));
    ch_store_rollback(f->s);
    assert_false(ch_store_in_tx(f->s));
    assert_int_equal(count(f->s), 0);

    /* an inner rollback dooms the outer transaction */
    assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
    insert(f->s, 1, "a", 1);
    assert_int_equal(ch_store_begin(f->s, &err), CH_OK);
    ch_store_rollback(f->s);
    assert_int_equal(ch_store_commit(f->s, &err), CH_E_CONFLICT);
    assert_false(ch_store_in_tx(f->s));
    assert_int_equal(count(f->s), 0);

    ch_err_clear(&err);
    assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
    insert(f->s, 1, "a", 1);
    assert_int_equal(ch_store_commit(f->s, &err), CH_OK);
    assert_int_equal(count(f->s), 1);
    assert_int_equal(ch_store_commit(f->s, &err), CH_E_INTERNAL);
}

static void test_store_changes_and_cache(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof(name), "n%d", i);
        insert(f->s, i, name, i);
    }
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(f->s, "UPDATE t_items SET score = score + 1 WHERE id < ?", &st,
                                   &err),
                     CH_OK);
    ch_stmt_bind_int(st, 1, 10);
    assert_int_equal(ch_stmt_run(st, &err), CH_OK);
    assert_int_equal(ch_store_changes(f->s), 10);
    ch_stmt_free(st); /* a cached statement is not freed */
    struct ch_stmt *again = NULL;
    assert_int_equal(ch_store_stmt(f->s, "UPDATE t_items SET score = score + 1 WHERE id < ?",
                                   &again, &err),
                     CH_OK);
    assert_ptr_equal(st, again);
}

static void test_store_fault_injection(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    /* fail each operation of a transaction in turn: nothing half-written remains */
    for (long n = 0; n < 10; n++) {
        ch_err_clear(&err);
        ch_store_fault_after(f->s, n);
        int rc = ch_store_begin_write(f->s, &err);
        struct ch_stmt *st = NULL;
        if (rc == CH_OK)
            rc = ch_store_prepare(f->s, "INSERT INTO t_items (id, name) VALUES (?, ?)", &st, &err);
        if (rc == CH_OK) {
            ch_stmt_bind_int(st, 1, 100 + n);
            ch_stmt_bind_cstr(st, 2, "x");
            rc = ch_stmt_run(st, &err);
            ch_stmt_free(st);
        }
        if (rc == CH_OK)
            rc = ch_store_commit(f->s, &err);
        else
            ch_store_rollback(f->s);
        ch_store_fault_after(f->s, -1);
        if (rc == CH_OK) {
            assert_int_equal(count(f->s), 1);
            return;
        }
        assert_int_equal(rc, CH_E_DB);
        assert_non_null(strstr(err.msg, "injected fault"));
        assert_false(ch_store_in_tx(f->s));
        assert_int_equal(count(f->s), 0);
    }
    fail_msg("never succeeded");
}

static void test_store_bad_sql_and_binding(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_prepare(f->s, "SELEC nonsense", &st, &err), CH_E_DB);
    ch_err_clear(&err);
    assert_int_equal(ch_store_prepare(f->s, "SELECT id FROM t_items WHERE id = ?", &st, &err),
                     CH_OK);
    ch_stmt_bind_int(st, 2, 1); /* no such parameter */
    assert_true(ch_stmt_step(st, &err) < 0);
    ch_stmt_free(st);
}

static void test_store_url_errors(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    assert_int_equal(ch_store_open("mysql://secret@host/db", NULL, &s, &err), CH_E_USAGE);
    assert_null(strstr(err.msg, "secret"));
    ch_err_clear(&err);
    assert_int_equal(ch_store_open("sqlite:", NULL, &s, &err), CH_E_USAGE);
    ch_err_clear(&err);
    assert_int_equal(ch_store_open("sqlite:/nonexistent-dir/x/y.db", NULL, &s, &err), CH_E_IO);
    unsetenv("CLEARINGHOUSE_DB");
    assert_string_equal(ch_store_url_resolve(NULL), "sqlite:clearinghouse.db");
    setenv("CLEARINGHOUSE_DB", "sqlite:env.db", 1);
    assert_string_equal(ch_store_url_resolve(NULL), "sqlite:env.db");
    assert_string_equal(ch_store_url_resolve("sqlite:flag.db"), "sqlite:flag.db");
    unsetenv("CLEARINGHOUSE_DB");
}

static void test_store_refuses_newer_schema(void **state)
{
    char *dir = ch_test_tmpdir();
    char url[600];
    snprintf(url, sizeof(url), "sqlite:%s/n.db", dir);
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    assert_int_equal(ch_store_open(url, NULL, &s, &err), CH_OK);
    assert_int_equal(ch_store_exec(s,
                                   "INSERT INTO schema_migrations VALUES (999999, 'future', 0)",
                                   &err),
                     CH_OK);
    ch_store_free(s);
    /* reopening an up-to-date database applies nothing */
    assert_int_equal(ch_store_open(url, NULL, &s, &err), CH_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "newer than this program"));
    ch_test_rmtree(dir);
    ch_free(dir);
}

static void test_store_dialect(void **state)
{
    extern char *ch_store__dialect(const char *sql, int backend);
    char *a = ch_store__dialect("CREATE TABLE x (id @ID@, b @BLOB@, r @REAL@, e TEXT DEFAULT '@')",
                                CH_STORE_SQLITE);
    assert_string_equal(a, "CREATE TABLE x (id INTEGER PRIMARY KEY, b BLOB, r REAL, e TEXT "
                           "DEFAULT '@')");
    ch_free(a);
    char *b = ch_store__dialect("x @ID@", CH_STORE_POSTGRES);
    assert_string_equal(b, "x BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    ch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_migrated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_bind_and_read_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_constraint_is_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_transactions_nest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_changes_and_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_fault_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_bad_sql_and_binding, setup, teardown),
        cmocka_unit_test(test_store_url_errors),
        cmocka_unit_test(test_store_refuses_newer_schema),
        cmocka_unit_test(test_store_dialect),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
