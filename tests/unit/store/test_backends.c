/* SPDX-License-Identifier: Apache-2.0
 *
 * Backend behaviour that the portable store API promises on SQLite and
 * PostgreSQL alike (this file runs as test_store_backends on SQLite and as
 * test_store_backends_pg on the throwaway PostgreSQL server), plus what is
 * PostgreSQL's own: placeholder rewriting, SQLSTATE mapping, reconnecting
 * after the server ends the session, aborted transactions.
 *
 * White-box: includes store/internal.h for the rewriter and the migration table.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/alloc.h"
#include "store/internal.h"
#include "store/store.h"

struct fixture {
    struct ch_store *s;
    char *dir;
};

static void exec_ok(struct ch_store *s, const char *sql)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_exec(s, sql, &err) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
}

static int setup(void **state)
{
    struct fixture *f = ch_calloc(1, sizeof(*f));
    f->s = ch_test_store(&f->dir);
    exec_ok(f->s, "CREATE TABLE parent (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                  " qty BIGINT CHECK (qty >= 0), score DOUBLE PRECISION, data BYTEA)");
    exec_ok(f->s, "CREATE TABLE child (id BIGINT PRIMARY KEY,"
                  " parent_id BIGINT NOT NULL REFERENCES parent (id))");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f);
    return 0;
}

static bool is_pg(struct ch_store *s)
{
    return ch_store_backend(s) == CH_STORE_POSTGRES;
}

static int64_t query_int(struct ch_store *s, const char *sql)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t n = -1;
    if (ch_store_query_int(s, sql, NULL, -1, &n, &err) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
    return n;
}

static int insert_parent(struct ch_store *s, int64_t id, const char *name, int64_t qty,
                         struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "INSERT INTO parent (id, name, qty) VALUES (?, ?, ?)", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_stmt_bind_cstr(st, 2, name);
    ch_stmt_bind_int(st, 3, qty);
    return ch_stmt_run(st, err);
}

/* ---- PostgreSQL helpers that need no server ---- */

static void check_rewrite(const char *in, const char *want, int want_n)
{
    struct ch_err err = CH_ERR_INIT;
    char *out = NULL;
    int n = -1;
    if (ch_store__pg_rewrite(in, &out, &n, &err) != CH_OK)
        fail_msg("rewrite '%s': %s", in, err.msg);
    assert_string_equal(out, want);
    assert_int_equal(n, want_n);
    ch_free(out);
}

static void test_pg_rewrite_placeholders(void **state)
{
    check_rewrite("SELECT 1", "SELECT 1", 0);
    check_rewrite("SELECT ?, ?", "SELECT $1, $2", 2);
    check_rewrite("SELECT '?' || ?", "SELECT '?' || $1", 1);
    check_rewrite("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1);
    check_rewrite("SELECT \"a?\"\"b\" FROM t WHERE x = ?", "SELECT \"a?\"\"b\" FROM t WHERE x = $1",
                  1);
    check_rewrite("SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2", 2);
    check_rewrite("SELECT ? -- ? at the end", "SELECT $1 -- ? at the end", 1);
    check_rewrite("SELECT /* ? /* nested ? */ still ? */ ?",
                  "SELECT /* ? /* nested ? */ still ? */ $1", 1);
    check_rewrite("SELECT E'\\' ?', ?", "SELECT E'\\' ?', $1", 1);
    check_rewrite("SELECT '\\', ?", "SELECT '\\', $1", 1); /* standard strings: no escapes */
    check_rewrite("SELECT $$ ? $$, $f$ ?$ $f$, ?", "SELECT $$ ? $$, $f$ ?$ $f$, $1", 1);
    check_rewrite("SELECT ?2, ?1, ?", "SELECT $2, $1, $3", 3);
    check_rewrite("SELECT ?1 || ?1", "SELECT $1 || $1", 1);
    check_rewrite("SELECT x FROM t WHERE a=?", "SELECT x FROM t WHERE a=$1", 1);
    check_rewrite("SELECT 'open ?", "SELECT 'open ?", 0);
    check_rewrite("SELECT \"open ?", "SELECT \"open ?", 0);
    check_rewrite("SELECT 1 /* open ?", "SELECT 1 /* open ?", 0);
    check_rewrite("SELECT a$b, ?", "SELECT a$b, $1", 1);

    struct ch_err err = CH_ERR_INIT;
    char *out = NULL;
    int n = 0;
    assert_int_equal(ch_store__pg_rewrite("SELECT ?0", &out, &n, &err), CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_store__pg_rewrite("SELECT ?70000", &out, &n, &err), CH_E_INVALID);
    assert_null(out);
}

static void test_pg_sqlstate_mapping(void **state)
{
    assert_int_equal(ch_store__pg_map_sqlstate("23505"), CH_E_CONFLICT);
    assert_int_equal(ch_store__pg_map_sqlstate("23503"), CH_E_CONFLICT);
    assert_int_equal(ch_store__pg_map_sqlstate("23502"), CH_E_CONFLICT);
    assert_int_equal(ch_store__pg_map_sqlstate("40001"), CH_E_BUSY);
    assert_int_equal(ch_store__pg_map_sqlstate("40P01"), CH_E_BUSY);
    assert_int_equal(ch_store__pg_map_sqlstate("08006"), CH_E_UNAVAILABLE);
    assert_int_equal(ch_store__pg_map_sqlstate("57P01"), CH_E_UNAVAILABLE);
    assert_int_equal(ch_store__pg_map_sqlstate("42601"), CH_E_DB);
    assert_int_equal(ch_store__pg_map_sqlstate(NULL), CH_E_DB);
    assert_int_equal(ch_store__pg_map_sqlstate("2350"), CH_E_DB);
}

static void test_pg_url_never_in_errors(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    /* nothing listens on port 1: the connection is refused at once */
    assert_int_equal(ch_store_open("postgresql://chuser:s3cr3tpw@127.0.0.1:1/db?connect_timeout=5",
                                   NULL, &s, &err),
                     CH_E_UNAVAILABLE);
    assert_null(strstr(err.msg, "s3cr3tpw"));
    assert_null(strstr(err.msg, "postgresql://"));
    ch_err_clear(&err);
    assert_int_equal(
        ch_store_open("postgres://chuser:s3cr3tpw@host/db?no_such_option=s3cr3tpw", NULL, &s, &err),
        CH_E_USAGE);
    assert_null(strstr(err.msg, "s3cr3tpw"));
    ch_err_clear(&err);
    assert_int_equal(ch_store_open("postgres://chuser:%zz@host/db", NULL, &s, &err), CH_E_USAGE);
    assert_null(strstr(err.msg, "%zz"));
}

/* ---- SQLite's RETURNING id from the rowid (no server needed) ---- */

static void test_sqlite_rowid_insert_detection(void **state)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE);"
                                  "CREATE TABLE b (id BIGINT PRIMARY KEY, a TEXT);"
                                  "CREATE TABLE w (id INTEGER PRIMARY KEY, a TEXT) WITHOUT ROWID;"
                                  "CREATE TABLE c (id TEXT PRIMARY KEY, a TEXT);"
                                  "CREATE TABLE n (k INTEGER PRIMARY KEY, id BIGINT, a TEXT);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    const char *yes = "INSERT INTO t (a) VALUES (?) RETURNING id";
    assert_int_equal(ch_store__sqlite_rowid_insert(db, yes), strlen(yes) - strlen(" RETURNING id"));
    /* an explicit id is the rowid too */
    const char *own = "INSERT INTO t (a, id) VALUES (?, 7) RETURNING id";
    assert_int_equal(ch_store__sqlite_rowid_insert(db, own), strlen(own) - strlen(" RETURNING id"));
    static const char *const no[] = {
        "INSERT INTO t (a) VALUES (?)",                                     /* nothing to return */
        "INSERT INTO t (a) VALUES (?) RETURNING id, a",                     /* more than the id */
        "INSERT INTO t (a) VALUES (?) RETURNING a",                         /* not the id */
        "INSERT INTO t (a) VALUES (?), (?) RETURNING id",                   /* two rows */
        "INSERT INTO t (a) SELECT a FROM b RETURNING id",                   /* any number of rows */
        "INSERT INTO t (a) VALUES ((SELECT a FROM b)) RETURNING id",        /* a subquery */
        "INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING RETURNING id", /* maybe none */
        "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET a = 'y' RETURNING id",
        "INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id",
        "INSERT INTO t (a) VALUES ('x)') RETURNING id",       /* a literal: not parsed here */
        "INSERT INTO t (id, a) VALUES (?, 'x') RETURNING id", /* any quote */
        "INSERT INTO t (a) VALUES (lower(?)) RETURNING id",   /* a call */
        "INSERT INTO b (id, a) VALUES (?, ?) RETURNING id",   /* BIGINT: not the rowid */
        "INSERT INTO w (id, a) VALUES (?, ?) RETURNING id",   /* WITHOUT ROWID */
        "INSERT INTO c (id, a) VALUES (?, ?) RETURNING id",   /* TEXT key */
        "INSERT INTO n (id, a) VALUES (?, ?) RETURNING id",   /* id is not the key */
        "INSERT INTO nosuch (a) VALUES (?) RETURNING id",
        "UPDATE t SET a = ? RETURNING id",
        "INSERT INTO t (a) VALUES (?) RETURNING id ",
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (ch_store__sqlite_rowid_insert(db, no[i]) != 0)
            fail_msg("taken as a one-row rowid insert: %s", no[i]);
    sqlite3_close(db);
}

/* ---- portable behaviour, both backends ---- */

static void test_backend_question_marks_in_literals(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_prepare(f->s,
                                      "SELECT '?' || ? || 'it''s ?' AS \"what?\" /* ? */ -- ?\n",
                                      &st, &err),
                     CH_OK);
    ch_stmt_bind_cstr(st, 1, "x");
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_string_equal(ch_stmt_cstr(st, 0), "?xit's ?");
    assert_int_equal(ch_stmt_step(st, &err), 0);
    ch_stmt_free(st);

    /* numbered parameters, SQLite's ?NNN: reused and out of order */
    assert_int_equal(ch_store_prepare(f->s, "SELECT ?2 || ?1 || ?2", &st, &err), CH_OK);
    ch_stmt_bind_cstr(st, 1, "a");
    ch_stmt_bind_cstr(st, 2, "b");
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_string_equal(ch_stmt_cstr(st, 0), "bab");
    ch_stmt_free(st);

    /* a literal that looks like a parameter is data, whatever is bound */
    assert_int_equal(insert_parent(f->s, 1, "?", 0, &err), CH_OK);
    assert_int_equal(ch_store_query_int(f->s, "SELECT COUNT(*) FROM parent WHERE name = '?'", NULL,
                                        -1, &(int64_t){0}, &err),
                     CH_OK);
    int64_t n = -1;
    assert_int_equal(ch_store_query_int(f->s, "SELECT id FROM parent WHERE name = ? AND '?' = '?'",
                                        "?", -1, &n, &err),
                     CH_OK);
    assert_int_equal(n, 1);
}

/*
 * INSERT ... RETURNING id gives the new row's id, once, on both backends
 * (SQLite answers it from the rowid: test_sqlite_rowid_insert_detection);
 * a failed insert gives no row and leaves the statement usable.
 */
static void test_backend_insert_returning_id(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    char *ddl = ch_store__dialect("CREATE TABLE items (id @ID@, name TEXT NOT NULL UNIQUE)",
                                  ch_store_backend(f->s));
    exec_ok(f->s, ddl);
    ch_free(ddl);
    exec_ok(f->s, "INSERT INTO items (id, name) VALUES (40, 'seed')");
    struct ch_stmt *st = NULL;
    assert_int_equal(
        ch_store_prepare(f->s, "INSERT INTO items (name) VALUES (?) RETURNING id", &st, &err),
        CH_OK);
    static const char *const names[] = {"a", "b", "c"};
    int64_t prev = 0;
    for (size_t i = 0; i < 3; i++) {
        ch_stmt_bind_cstr(st, 1, names[i]);
        assert_int_equal(ch_stmt_step(st, &err), 1);
        assert_int_equal(ch_stmt_column_count(st), 1);
        assert_false(ch_stmt_is_null(st, 0));
        int64_t id = ch_stmt_int(st, 0);
        char text[32];
        snprintf(text, sizeof(text), "%lld", (long long)id);
        assert_string_equal(ch_stmt_cstr(st, 0), text);
        assert_int_equal(ch_stmt_step(st, &err), 0);
        ch_stmt_reset(st);
        int64_t want = -1;
        assert_int_equal(ch_store_query_int(f->s, "SELECT id FROM items WHERE name = ?", names[i],
                                            -1, &want, &err),
                         CH_OK);
        assert_int_equal(id, want);
        assert_true(id > prev);
        prev = id;
    }
    /* a duplicate fails: no row, nothing stored, and the statement runs again */
    ch_stmt_bind_cstr(st, 1, "a");
    assert_int_equal(ch_stmt_step(st, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    ch_stmt_reset(st);
    ch_stmt_bind_cstr(st, 1, "d");
    assert_int_equal(ch_stmt_step(st, &err), 1);
    int64_t d = ch_stmt_int(st, 0);
    ch_stmt_reset(st);
    assert_int_equal(query_int(f->s, "SELECT id FROM items WHERE name = 'd'"), d);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM items"), 5);
    ch_stmt_free(st);

    /* ON CONFLICT DO NOTHING: a row only when one was inserted */
    assert_int_equal(ch_store_prepare(f->s,
                                      "INSERT INTO items (name) VALUES (?)"
                                      " ON CONFLICT (name) DO NOTHING RETURNING id",
                                      &st, &err),
                     CH_OK);
    ch_stmt_bind_cstr(st, 1, "a");
    assert_int_equal(ch_stmt_step(st, &err), 0);
    ch_stmt_reset(st);
    ch_stmt_bind_cstr(st, 1, "e");
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_int_equal(ch_stmt_int(st, 0), query_int(f->s, "SELECT id FROM items WHERE name = 'e'"));
    ch_stmt_free(st);
}

/* Text bound by reference is stored as given, and a rebinding after the buffer changed
 * stores the new value: the statement keeps nothing of the old one. */
static void test_backend_bind_by_reference(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(
        ch_store_stmt(f->s, "INSERT INTO parent (id, name, qty) VALUES (?, ?, 0)", &st, &err),
        CH_OK);
    char buf[32];
    for (int i = 1; i <= 3; i++) {
        snprintf(buf, sizeof(buf), "name-%d", i);
        ch_stmt_bind_int(st, 1, i);
        ch_stmt_bind_cstr_ref(st, 2, buf);
        assert_int_equal(ch_stmt_run(st, &err), CH_OK);
        memset(buf, 'x', sizeof(buf) - 1); /* the caller's buffer is its own again */
        buf[sizeof(buf) - 1] = '\0';
        ch_stmt_reset(st);
    }
    ch_stmt_bind_int(st, 1, 4);
    ch_stmt_bind_cstr_ref(st, 2, NULL); /* NULL binds NULL: the NOT NULL column refuses it */
    assert_int_equal(ch_stmt_run(st, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    ch_stmt_reset(st);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM parent"), 3);
    int64_t n = -1;
    assert_int_equal(
        ch_store_query_int(f->s, "SELECT id FROM parent WHERE name = ?", "name-2", -1, &n, &err),
        CH_OK);
    assert_int_equal(n, 2);
}

/* The memory-map hint: off and on again outside a transaction, refused inside one. */
static void test_backend_map_reads(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_map_reads(f->s, false, &err), CH_OK);
    if (!is_pg(f->s))
        assert_int_equal(query_int(f->s, "PRAGMA mmap_size"), 0);
    assert_int_equal(ch_store_map_reads(f->s, true, &err), CH_OK);
    if (!is_pg(f->s))
        assert_true(query_int(f->s, "PRAGMA mmap_size") > 0);
    assert_int_equal(ch_store_begin(f->s, &err), CH_OK);
    assert_int_equal(ch_store_map_reads(f->s, false, &err), CH_E_INTERNAL);
    ch_err_clear(&err);
    ch_store_rollback(f->s);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM parent"), 0);
}

/* The definitions of the exposures table's own indexes, in name order ("" for none). */
static void exposure_index_sql(struct ch_store *s, char *out, size_t size)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_prepare(s,
                                      "SELECT sql FROM sqlite_master WHERE type = 'index' AND"
                                      " tbl_name = 'exposures' AND sql IS NOT NULL ORDER BY name",
                                      &st, &err),
                     CH_OK);
    size_t n = 0;
    out[0] = '\0';
    while (ch_stmt_step(st, &err) == 1) {
        int w = snprintf(out + n, size - n, "%s;", ch_stmt_cstr(st, 0));
        assert_true(w > 0 && (size_t)w < size - n);
        n += (size_t)w;
    }
    ch_stmt_free(st);
}

/*
 * Deferred indexes (bulk inserts): on SQLite the table's own secondary
 * indexes are dropped inside the transaction and created again, with the
 * same definitions, by restore or by a rollback; the constraint's index
 * stays. On PostgreSQL nothing is dropped. Outside a transaction: refused.
 */
static void test_backend_indexes_defer(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf saved;
    ch_buf_init(&saved, 1 << 20);
    assert_int_equal(ch_store_indexes_defer(f->s, "exposures", &saved, &err), CH_E_INTERNAL);
    ch_err_clear(&err);
    if (is_pg(f->s)) {
        int64_t before = query_int(f->s, "SELECT COUNT(*) FROM pg_indexes WHERE tablename = "
                                         "'exposures'");
        assert_true(before >= 4);
        assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
        assert_int_equal(ch_store_indexes_defer(f->s, "exposures", &saved, &err), CH_OK);
        assert_int_equal(ch_buf_len(&saved), 0);
        assert_int_equal(
            query_int(f->s, "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'exposures'"),
            before);
        assert_int_equal(ch_store_indexes_restore(f->s, &saved, &err), CH_OK);
        assert_int_equal(ch_store_commit(f->s, &err), CH_OK);
        ch_buf_release(&saved);
        return;
    }
    char want[4096], got[4096];
    exposure_index_sql(f->s, want, sizeof(want));
    assert_true(strstr(want, "exposures_vuln") != NULL && strstr(want, "exposures_org") != NULL);
    const char *const own = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND"
                            " tbl_name = 'exposures' AND sql IS NOT NULL";
    const char *const unique = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND"
                               " tbl_name = 'exposures' AND sql IS NULL";
    int64_t n_unique = query_int(f->s, unique);
    assert_true(n_unique >= 1);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
        assert_int_equal(ch_store_indexes_defer(f->s, "exposures", &saved, &err), CH_OK);
        assert_true(ch_buf_len(&saved) > 0);
        assert_int_equal(query_int(f->s, own), 0);
        assert_int_equal(query_int(f->s, unique), n_unique);
        if (round == 0) {
            assert_int_equal(ch_store_indexes_restore(f->s, &saved, &err), CH_OK);
            assert_int_equal(ch_buf_len(&saved), 0);
            assert_int_equal(ch_store_commit(f->s, &err), CH_OK);
        } else {
            ch_store_rollback(f->s); /* a failed run: the rollback brings them back */
            ch_buf_reset(&saved);
        }
        exposure_index_sql(f->s, got, sizeof(got));
        assert_string_equal(got, want);
    }
    ch_buf_release(&saved);
}

static void test_backend_blob_round_trip(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    enum { BIG = 1 << 20 };
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    unsigned char *big = ch_malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    struct {
        int64_t id;
        const void *p;
        size_t len;
    } cases[] = {{1, all, sizeof(all)}, {2, "", 0}, {3, big, BIG}, {4, "\0", 1}};
    struct ch_stmt *st = NULL;
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        assert_int_equal(
            ch_store_stmt(f->s, "INSERT INTO parent (id, name, data) VALUES (?, ?, ?)", &st, &err),
            CH_OK);
        char name[16];
        snprintf(name, sizeof(name), "b%d", (int)cases[i].id);
        ch_stmt_bind_int(st, 1, cases[i].id);
        ch_stmt_bind_cstr(st, 2, name);
        ch_stmt_bind_blob(st, 3, cases[i].p, cases[i].len);
        if (ch_stmt_run(st, &err) != CH_OK)
            fail_msg("insert blob %d: %s", (int)cases[i].id, err.msg);
    }
    assert_int_equal(insert_parent(f->s, 5, "no blob", 0, &err), CH_OK);
    assert_int_equal(ch_store_prepare(f->s, "SELECT id, data FROM parent ORDER BY id", &st, &err),
                     CH_OK);
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        assert_int_equal(ch_stmt_step(st, &err), 1);
        assert_int_equal(ch_stmt_int(st, 0), cases[i].id);
        assert_false(ch_stmt_is_null(st, 1));
        struct ch_str b = ch_stmt_blob(st, 1);
        assert_int_equal(b.len, cases[i].len);
        if (b.len > 0)
            assert_memory_equal(b.ptr, cases[i].p, b.len);
        /* asking twice gives the same bytes */
        assert_int_equal(ch_stmt_blob(st, 1).len, cases[i].len);
    }
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_true(ch_stmt_is_null(st, 1));
    assert_int_equal(ch_stmt_blob(st, 1).len, 0);
    assert_int_equal(ch_stmt_step(st, &err), 0);
    ch_stmt_free(st);

    /* a blob parameter compares with a stored blob */
    int64_t n = -1;
    assert_int_equal(ch_store_prepare(f->s, "SELECT id FROM parent WHERE data = ?", &st, &err),
                     CH_OK);
    ch_stmt_bind_blob(st, 1, all, sizeof(all));
    assert_int_equal(ch_stmt_step(st, &err), 1);
    n = ch_stmt_int(st, 0);
    ch_stmt_free(st);
    assert_int_equal(n, 1);
    ch_free(big);
}

static void test_backend_numbers_round_trip(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    const int64_t ints[] = {INT64_MIN, -1, 0, 1, (int64_t)1 << 53, INT64_MAX};
    const double dbls[] = {0.1, -2.5e-300, 1.7976931348623157e308, 123456789.123456789, 0.0};
    struct ch_stmt *st = NULL;
    for (size_t i = 0; i < CH_ARRAY_SIZE(ints); i++) {
        assert_int_equal(ch_store_prepare(f->s,
                                          "INSERT INTO parent (id, name, score) VALUES (?, ?, ?)"
                                          " RETURNING id, score",
                                          &st, &err),
                         CH_OK);
        ch_stmt_bind_int(st, 1, ints[i]);
        char name[24];
        snprintf(name, sizeof(name), "n%zu", i);
        ch_stmt_bind_cstr(st, 2, name);
        ch_stmt_bind_double(st, 3, dbls[i % CH_ARRAY_SIZE(dbls)]);
        assert_int_equal(ch_stmt_step(st, &err), 1);
        assert_true(ch_stmt_int(st, 0) == ints[i]);
        assert_true(ch_stmt_double(st, 1) == dbls[i % CH_ARRAY_SIZE(dbls)]);
        assert_int_equal(ch_stmt_step(st, &err), 0);
        ch_stmt_free(st);
    }
    assert_int_equal(query_int(f->s, "SELECT MIN(id) FROM parent") == INT64_MIN, 1);
    assert_int_equal(query_int(f->s, "SELECT MAX(id) FROM parent") == INT64_MAX, 1);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM parent"), CH_ARRAY_SIZE(ints));
    /* a fractional value read as an integer truncates toward zero, as SQLite does */
    assert_int_equal(ch_store_prepare(f->s, "SELECT CAST(? AS DOUBLE PRECISION)", &st, &err),
                     CH_OK);
    ch_stmt_bind_double(st, 1, -7.75);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_int_equal(ch_stmt_int(st, 0), -7);
    assert_true(ch_stmt_double(st, 0) == -7.75);
    ch_stmt_free(st);
}

static void test_backend_conflicts(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(insert_parent(f->s, 1, "a", 1, &err), CH_OK);
    /* unique: primary key and a UNIQUE column */
    assert_int_equal(insert_parent(f->s, 1, "b", 1, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    assert_int_equal(insert_parent(f->s, 2, "a", 1, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    /* check constraint */
    assert_int_equal(insert_parent(f->s, 3, "c", -1, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    /* not null */
    assert_int_equal(insert_parent(f->s, 4, NULL, 1, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    /* foreign key */
    struct ch_stmt *st = NULL;
    assert_int_equal(
        ch_store_prepare(f->s, "INSERT INTO child (id, parent_id) VALUES (?, ?)", &st, &err),
        CH_OK);
    ch_stmt_bind_int(st, 1, 1);
    ch_stmt_bind_int(st, 2, 99);
    assert_int_equal(ch_stmt_run(st, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    ch_stmt_reset(st);
    ch_stmt_bind_int(st, 1, 1);
    ch_stmt_bind_int(st, 2, 1);
    assert_int_equal(ch_stmt_run(st, &err), CH_OK);
    ch_stmt_free(st);
    ch_err_clear(&err);
    assert_int_equal(ch_store_exec(f->s, "DELETE FROM parent WHERE id = 1", &err), CH_E_CONFLICT);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM parent"), 1);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM child"), 1);
}

static void test_backend_text_with_nul_is_refused(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(
        ch_store_prepare(f->s, "INSERT INTO parent (id, name) VALUES (?, ?)", &st, &err), CH_OK);
    ch_stmt_bind_int(st, 1, 1);
    ch_stmt_bind_text(st, 2, "a\0b", 3);
    assert_int_equal(ch_stmt_run(st, &err), CH_E_INVALID);
    ch_stmt_free(st);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM parent"), 0);
}

static void test_backend_changes_and_interleaving(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
    for (int i = 0; i < 2000; i++) {
        char name[16];
        snprintf(name, sizeof(name), "r%d", i);
        assert_int_equal(insert_parent(f->s, i, name, i, &err), CH_OK);
    }
    assert_int_equal(ch_store_commit(f->s, &err), CH_OK);
    assert_int_equal(ch_store_exec(f->s, "UPDATE parent SET qty = qty + 1 WHERE id < 100", &err),
                     CH_OK);
    assert_int_equal(ch_store_changes(f->s), 100);
    /* a SELECT does not change the count of changed rows */
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM parent"), 2000);
    assert_int_equal(ch_store_changes(f->s), 100);

    /* write while reading a result on the same connection */
    struct ch_stmt *rd = NULL;
    assert_int_equal(ch_store_prepare(f->s, "SELECT id, qty FROM parent ORDER BY id", &rd, &err),
                     CH_OK);
    assert_int_equal(ch_stmt_column_count(rd), 2); /* known before the first step */
    int64_t sum = 0;
    int rows = 0;
    int rc;
    while ((rc = ch_stmt_step(rd, &err)) == 1) {
        sum += ch_stmt_int(rd, 1);
        if (rows++ % 500 == 0) {
            struct ch_stmt *wr = NULL;
            assert_int_equal(
                ch_store_stmt(f->s, "INSERT INTO child (id, parent_id) VALUES (?, ?)", &wr, &err),
                CH_OK);
            ch_stmt_bind_int(wr, 1, rows);
            ch_stmt_bind_int(wr, 2, ch_stmt_int(rd, 0));
            assert_int_equal(ch_stmt_run(wr, &err), CH_OK);
        }
    }
    assert_int_equal(rc, 0);
    ch_stmt_free(rd);
    assert_int_equal(rows, 2000);
    assert_int_equal(sum, 1999 * 2000 / 2 + 100);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM child"), 4);
}

static void test_backend_error_inside_transaction(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
    assert_int_equal(insert_parent(f->s, 1, "a", 1, &err), CH_OK);
    assert_int_equal(insert_parent(f->s, 2, "a", 1, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    if (is_pg(f->s)) {
        /* PostgreSQL aborts the whole transaction at the first error: commit reports it */
        assert_int_equal(insert_parent(f->s, 3, "c", 1, &err), CH_E_DB);
        ch_err_clear(&err);
        assert_int_equal(ch_store_commit(f->s, &err), CH_E_CONFLICT);
        assert_non_null(strstr(err.msg, "rolled back"));
        assert_false(ch_store_in_tx(f->s));
        assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM parent"), 0);
    } else {
        /* SQLite undoes only the failed statement */
        assert_int_equal(ch_store_commit(f->s, &err), CH_OK);
        assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM parent"), 1);
    }
    /* either way the connection is usable afterwards */
    ch_err_clear(&err);
    assert_int_equal(insert_parent(f->s, 10, "z", 1, &err), CH_OK);
}

/* Children open the same fresh database at once; the schema must be applied exactly once. */
static void test_backend_concurrent_migration(void **state)
{
    enum { N_PROCS = 4 };
    char *dir = NULL;
    char *url = ch_test_store_url(&dir);
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pids[N_PROCS];
    for (int i = 0; i < N_PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(gate[1]);
            char c;
            /* wait until the parent closes the gate, so all start together */
            while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                ;
            struct ch_err err = CH_ERR_INIT;
            struct ch_store *s = NULL;
            int rc = ch_store_open(url, NULL, &s, &err);
            if (rc != CH_OK)
                fprintf(stderr, "child %d: %s\n", i, err.msg);
            ch_store_free(s);
            _exit(rc == CH_OK ? 0 : 1);
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (int i = 0; i < N_PROCS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    if (ch_store_open(url, NULL, &s, &err) != CH_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(query_int(s, "SELECT COUNT(*) FROM schema_migrations"),
                     (int64_t)ch_store__n_migrations);
    assert_int_equal(query_int(s, "SELECT COUNT(DISTINCT version) FROM schema_migrations"),
                     (int64_t)ch_store__n_migrations);
    /* 0001 inserts one row: it ran once */
    assert_int_equal(query_int(s, "SELECT COUNT(*) FROM meta"), 1);
    ch_store_free(s);
    ch_free(url);
    ch_test_rmtree(dir);
    ch_free(dir);
}

static void test_backend_read_only(void **state)
{
    char *dir = NULL;
    char *url = ch_test_store_url(&dir);
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    assert_int_equal(ch_store_open(url, NULL, &s, &err), CH_OK); /* migrates */
    ch_store_free(s);
    const struct ch_store_options ro = {.read_only = true};
    assert_int_equal(ch_store_open(url, &ro, &s, &err), CH_OK);
    assert_int_equal(query_int(s, "SELECT COUNT(*) FROM meta"), 1);
    assert_int_equal(ch_store_exec(s, "INSERT INTO meta (key, value) VALUES ('k', 'v')", &err),
                     CH_E_PERM);
    ch_store_free(s);
    ch_free(url);
    ch_test_rmtree(dir);
    ch_free(dir);
}

/* ---- PostgreSQL only ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Ends pid's session from another connection and waits until it is gone. */
static void terminate_backend(struct ch_store *admin, int64_t pid)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(
        ch_store_prepare(admin, "SELECT pg_terminate_backend(CAST(? AS INTEGER))", &st, &err),
        CH_OK);
    ch_stmt_bind_int(st, 1, pid);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_int_equal(ch_stmt_int(st, 0), 1);
    ch_stmt_free(st);
    assert_int_equal(ch_store_prepare(admin,
                                      "SELECT COUNT(*) FROM pg_stat_activity"
                                      " WHERE pid = CAST(? AS INTEGER)",
                                      &st, &err),
                     CH_OK);
    for (int i = 0;; i++) {
        ch_stmt_reset(st);
        ch_stmt_bind_int(st, 1, pid);
        assert_int_equal(ch_stmt_step(st, &err), 1);
        if (ch_stmt_int(st, 0) == 0)
            break;
        if (i > 500)
            fail_msg("backend %lld did not exit", (long long)pid);
        sleep_ms(10);
    }
    ch_stmt_free(st);
    sleep_ms(20); /* let the FATAL message and the EOF reach our socket */
}

static void test_pg_reconnect_after_terminate(void **state)
{
    char *dir = NULL;
    char *url = ch_test_store_url(&dir);
    if (ch_test_pg_dsn() == NULL) {
        ch_free(url);
        ch_test_rmtree(dir);
        ch_free(dir);
        skip();
    }
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    struct ch_store *admin = NULL;
    assert_int_equal(ch_store_open(url, NULL, &s, &err), CH_OK);
    assert_int_equal(ch_store_open(url, NULL, &admin, &err), CH_OK);
    const char *pid_sql = "SELECT pg_backend_pid()";
    int64_t pid1 = query_int(s, pid_sql); /* a cached statement, prepared on the first session */
    struct ch_stmt *own = NULL;
    assert_int_equal(ch_store_prepare(s, "SELECT COUNT(*) FROM meta WHERE key = ?", &own, &err),
                     CH_OK);

    /* outside a transaction: the next operation reconnects and statements re-prepare */
    terminate_backend(admin, pid1);
    int64_t pid2 = query_int(s, pid_sql);
    assert_true(pid2 != pid1);
    ch_stmt_bind_cstr(own, 1, "created_by");
    assert_int_equal(ch_stmt_step(own, &err), 1);
    assert_int_equal(ch_stmt_int(own, 0), 1);
    ch_stmt_free(own);
    exec_ok(s, "CREATE TABLE after_reconnect (id BIGINT)");

    /* inside a transaction: the transaction is lost, reported, never silently replaced */
    assert_int_equal(ch_store_begin_write(s, &err), CH_OK);
    exec_ok(s, "INSERT INTO after_reconnect (id) VALUES (1)");
    terminate_backend(admin, pid2);
    assert_int_equal(ch_store_exec(s, "INSERT INTO after_reconnect (id) VALUES (2)", &err),
                     CH_E_UNAVAILABLE);
    assert_true(ch_store_in_tx(s));
    ch_store_rollback(s);
    assert_false(ch_store_in_tx(s));
    int64_t pid3 = query_int(s, pid_sql);
    assert_true(pid3 != pid2);
    assert_int_equal(query_int(s, "SELECT COUNT(*) FROM after_reconnect"), 0);

    ch_store_free(admin);
    ch_store_free(s);
    ch_free(url);
    ch_test_rmtree(dir);
    ch_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pg_rewrite_placeholders),
        cmocka_unit_test(test_pg_sqlstate_mapping),
        cmocka_unit_test(test_pg_url_never_in_errors),
        cmocka_unit_test(test_sqlite_rowid_insert_detection),
        cmocka_unit_test_setup_teardown(test_backend_insert_returning_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_map_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_indexes_defer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_bind_by_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_question_marks_in_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_blob_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_numbers_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_text_with_nul_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_changes_and_interleaving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_error_inside_transaction, setup, teardown),
        cmocka_unit_test(test_backend_concurrent_migration),
        cmocka_unit_test(test_backend_read_only),
        cmocka_unit_test(test_pg_reconnect_after_terminate),
    };
    return cmocka_run_group_tests_name("store_backends", tests, NULL, NULL);
}
