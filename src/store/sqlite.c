/* SPDX-License-Identifier: Apache-2.0
 *
 * sqlite.c: the embedded SQLite backend.
 *
 * Opened in WAL mode (readers never block the writer), with a busy timeout so
 * several processes (server, CLI, workers) can share one file, foreign keys
 * on, and synchronous=NORMAL, which in WAL mode is durable across process
 * crashes and loses at most the last transactions on power loss.
 * SQLite result codes become ch_rc here and nowhere else.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "store/internal.h"

/* Bytes of the file read through a memory map (ch_store_map_reads). */
#define SQ_MMAP_SIZE "1073741824"

struct sq_store {
    struct ch_store base;
    sqlite3 *db;
};

struct sq_stmt {
    struct ch_stmt base;
    sqlite3_stmt *st;
    /* an INSERT whose RETURNING id is answered from the rowid (ch_store__sqlite_rowid_insert) */
    bool rowid_returning;
    int phase; /* 0: not run; 1: the id row is current; 2: done */
    int64_t rowid;
    char rowid_text[24]; /* formatted when the id is read as text */
};

static sqlite3 *db_of(struct ch_store *s)
{
    return ((struct sq_store *)s)->db;
}

static sqlite3_stmt *st_of(struct ch_stmt *st)
{
    return ((struct sq_stmt *)st)->st;
}

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return CH_E_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return CH_E_BUSY;
    case SQLITE_CONSTRAINT: return CH_E_CONFLICT;
    case SQLITE_TOOBIG: return CH_E_LIMIT;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return CH_E_PERM;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL: return CH_E_IO;
    default: return CH_E_DB;
    }
}

static int db_error(sqlite3 *db, int rc, const char *what, struct ch_err *err)
{
    return ch_err_set(err, map_rc(rc), "%s: %s", what, db != NULL ? sqlite3_errmsg(db)
                                                                   : sqlite3_errstr(rc));
}

static void sq_close(struct ch_store *s)
{
    sqlite3_close_v2(db_of(s));
    ch_free(s);
}

static int sq_exec(struct ch_store *s, const char *sql, struct ch_err *err)
{
    int rc = sqlite3_exec(db_of(s), sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_error(db_of(s), rc, "database", err);
    return CH_OK;
}

/*
 * SQLite runs a RETURNING clause by collecting the rows in a temporary
 * table and stepping through it after the statement, which costs about as
 * much again as a one-row insert (measured: 9-11 µs per row with it, 5-6
 * without, on the exposure tables). The portable SQL says
 * "INSERT INTO t (...) VALUES (...) RETURNING id" because PostgreSQL needs
 * it; when that is exactly the statement (one row of values, no SELECT, no
 * ON CONFLICT or OR clause, so it inserts one row or fails) and id is t's
 * rowid (INTEGER PRIMARY KEY of a rowid table), the clause is left out here
 * and the step answers with sqlite3_last_insert_rowid(), which is the same
 * value. Returns the length of sql without the clause, or 0.
 */
#define RETURNING_ID " RETURNING id"
CH_TESTABLE size_t ch_store__sqlite_rowid_insert(sqlite3 *db, const char *sql)
{
    static const char prefix[] = "INSERT INTO ";
    size_t len = strlen(sql), rl = sizeof(RETURNING_ID) - 1;
    if (strncmp(sql, prefix, sizeof(prefix) - 1) != 0 || len <= rl + sizeof(prefix) ||
        strcmp(sql + len - rl, RETURNING_ID) != 0 || strstr(sql, "SELECT") != NULL ||
        strstr(sql, "select") != NULL || strstr(sql, "ON CONFLICT") != NULL)
        return 0;
    const char *values = strstr(sql, " VALUES (");
    if (values == NULL)
        return 0;
    /* the one tuple of values must end right before the clause: placeholders,
       literals without parentheses or quotes, commas */
    const char *p = values + sizeof(" VALUES (") - 1;
    while (*p != '\0' && *p != ')' && *p != '(' && *p != '\'' && *p != '"')
        p++;
    if (*p != ')' || p + 1 != sql + len - rl)
        return 0;
    char table[128];
    const char *t = sql + sizeof(prefix) - 1;
    size_t tl = strcspn(t, " (");
    if (tl == 0 || tl >= sizeof(table))
        return 0;
    memcpy(table, t, tl);
    table[tl] = '\0';
    const char *type = NULL;
    int pk = 0;
    if (sqlite3_table_column_metadata(db, NULL, table, "id", &type, NULL, NULL, &pk, NULL) !=
            SQLITE_OK ||
        !pk || type == NULL || sqlite3_stricmp(type, "INTEGER") != 0)
        return 0;
    /* a WITHOUT ROWID table has no rowid to read back */
    char probe[200];
    snprintf(probe, sizeof(probe), "SELECT rowid FROM \"%s\"", table);
    sqlite3_stmt *ps = NULL;
    int rc = sqlite3_prepare_v2(db, probe, -1, &ps, NULL);
    sqlite3_finalize(ps);
    return rc == SQLITE_OK ? len - rl : 0;
}

static int sq_prepare(struct ch_store *s, const char *sql, struct ch_stmt **ret,
                      struct ch_err *err)
{
    struct sq_stmt *st = ch_calloc(1, sizeof(*st));
    if (st == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory preparing a statement");
    size_t n = ch_store__sqlite_rowid_insert(db_of(s), sql);
    st->rowid_returning = n > 0;
    int rc = sqlite3_prepare_v3(db_of(s), sql, n > 0 ? (int)n : -1, SQLITE_PREPARE_PERSISTENT,
                                &st->st, NULL);
    if (rc != SQLITE_OK) {
        ch_free(st);
        return db_error(db_of(s), rc, "cannot prepare statement", err);
    }
    *ret = &st->base;
    return CH_OK;
}

static int sq_begin(struct ch_store *s, bool write, struct ch_err *err)
{
    return sq_exec(s, write ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

static int sq_commit(struct ch_store *s, struct ch_err *err)
{
    return sq_exec(s, "COMMIT", err);
}

static void sq_rollback(struct ch_store *s)
{
    /* fails only when no transaction is open, which is then the state we want */
    (void)sqlite3_exec(db_of(s), "ROLLBACK", NULL, NULL, NULL);
}

static int64_t sq_changes(struct ch_store *s)
{
    return sqlite3_changes64(db_of(s));
}

static int sq_map_reads(struct ch_store *s, bool on, struct ch_err *err)
{
    return sq_exec(s, on ? "PRAGMA mmap_size=" SQ_MMAP_SIZE : "PRAGMA mmap_size=0", err);
}

static int sq_migration_lock(struct ch_store *s, bool lock, struct ch_err *err)
{
    /* migrations run inside BEGIN IMMEDIATE, which already serialises writers */
    return CH_OK;
}

static void sq_stmt_free(struct ch_stmt *st)
{
    sqlite3_finalize(st_of(st));
    ch_free(st);
}

static void bind_check(struct ch_stmt *st, int rc)
{
    if (rc != SQLITE_OK && st->bind_error == 0)
        st->bind_error = rc == SQLITE_RANGE ? CH_E_INTERNAL : map_rc(rc);
}

static void sq_bind_int(struct ch_stmt *st, int idx, int64_t v)
{
    bind_check(st, sqlite3_bind_int64(st_of(st), idx, v));
}

static void sq_bind_double(struct ch_stmt *st, int idx, double v)
{
    bind_check(st, sqlite3_bind_double(st_of(st), idx, v));
}

static void sq_bind_text(struct ch_stmt *st, int idx, const char *p, size_t len)
{
    bind_check(st, sqlite3_bind_text64(st_of(st), idx, p, len, SQLITE_TRANSIENT, SQLITE_UTF8));
}

static void sq_bind_text_ref(struct ch_stmt *st, int idx, const char *p, size_t len)
{
    bind_check(st, sqlite3_bind_text64(st_of(st), idx, p, len, SQLITE_STATIC, SQLITE_UTF8));
}

static void sq_bind_blob(struct ch_stmt *st, int idx, const void *p, size_t len)
{
    bind_check(st, sqlite3_bind_blob64(st_of(st), idx, len == 0 ? "" : p, len, SQLITE_TRANSIENT));
}

static void sq_bind_null(struct ch_stmt *st, int idx)
{
    bind_check(st, sqlite3_bind_null(st_of(st), idx));
}

static struct sq_stmt *sq(struct ch_stmt *st)
{
    return (struct sq_stmt *)st;
}

/* The emulated RETURNING row is current. */
static bool id_row(struct ch_stmt *st)
{
    return sq(st)->rowid_returning && sq(st)->phase == 1;
}

static int sq_step(struct ch_stmt *st, struct ch_err *err)
{
    struct sq_stmt *q = sq(st);
    if (q->rowid_returning && q->phase > 0) {
        q->phase = 2;
        return 0;
    }
    int rc = sqlite3_step(st_of(st));
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        sqlite3 *db = sqlite3_db_handle(st_of(st));
        if (!q->rowid_returning || sqlite3_changes64(db) != 1)
            return 0;
        q->phase = 1;
        q->rowid = sqlite3_last_insert_rowid(db);
        return 1;
    }
    sqlite3 *db = sqlite3_db_handle(st_of(st));
    int ret = db_error(db, rc, "database", err);
    sqlite3_reset(st_of(st));
    return ret;
}

static void sq_reset(struct ch_stmt *st)
{
    sq(st)->phase = 0;
    sqlite3_reset(st_of(st));
    sqlite3_clear_bindings(st_of(st));
}

static int sq_column_count(struct ch_stmt *st)
{
    if (sq(st)->rowid_returning)
        return 1;
    return sqlite3_column_count(st_of(st));
}

static bool sq_is_null(struct ch_stmt *st, int col)
{
    if (id_row(st))
        return col != 0;
    return sqlite3_column_type(st_of(st), col) == SQLITE_NULL;
}

static int64_t sq_col_int(struct ch_stmt *st, int col)
{
    if (id_row(st))
        return col == 0 ? sq(st)->rowid : 0;
    return sqlite3_column_int64(st_of(st), col);
}

static double sq_col_double(struct ch_stmt *st, int col)
{
    if (id_row(st))
        return col == 0 ? (double)sq(st)->rowid : 0.0;
    return sqlite3_column_double(st_of(st), col);
}

/* The emulated id as text (column 0), or empty. */
static struct ch_str id_text(struct ch_stmt *st, int col)
{
    if (col != 0)
        return ch_str_make("", 0);
    struct sq_stmt *q = sq(st);
    snprintf(q->rowid_text, sizeof(q->rowid_text), "%lld", (long long)q->rowid);
    return ch_str_c(q->rowid_text);
}

static struct ch_str sq_col_text(struct ch_stmt *st, int col)
{
    if (id_row(st))
        return id_text(st, col);
    const unsigned char *p = sqlite3_column_text(st_of(st), col);
    if (p == NULL)
        return ch_str_make("", 0);
    return ch_str_make((const char *)p, (size_t)sqlite3_column_bytes(st_of(st), col));
}

static struct ch_str sq_col_blob(struct ch_stmt *st, int col)
{
    if (id_row(st))
        return id_text(st, col);
    const void *p = sqlite3_column_blob(st_of(st), col);
    if (p == NULL)
        return ch_str_make("", 0);
    return ch_str_make(p, (size_t)sqlite3_column_bytes(st_of(st), col));
}

static const struct ch_store_ops sqlite_ops = {
    .name = "sqlite",
    .backend = CH_STORE_SQLITE,
    .close = sq_close,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .changes = sq_changes,
    .migration_lock = sq_migration_lock,
    .map_reads = sq_map_reads,
    .stmt_free = sq_stmt_free,
    .bind_int = sq_bind_int,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_text_ref = sq_bind_text_ref,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .reset = sq_reset,
    .column_count = sq_column_count,
    .is_null = sq_is_null,
    .col_int = sq_col_int,
    .col_double = sq_col_double,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
};

void ch_store__sqlite_global_init(void)
{
    /* fails (SQLITE_MISUSE) only once the library is initialised, when the
     * setting can no longer change: the default then stays, correct as well */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int ch_store__sqlite_open(const char *path, const struct ch_store_options *opts,
                          struct ch_store **ret, struct ch_err *err)
{
    if (path[0] == '\0')
        return ch_err_set(err, CH_E_USAGE, "sqlite: URL needs a file path");
    struct sq_store *s = ch_calloc(1, sizeof(*s));
    if (s == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory opening the database");
    s->base.ops = &sqlite_ops;
    int flags = opts->read_only ? SQLITE_OPEN_READONLY
                                : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        int ret_rc = ch_err_set(err, map_rc(rc), "cannot open database '%s': %s", path,
                                s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        sqlite3_close_v2(s->db);
        ch_free(s);
        return ret_rc;
    }
    sqlite3_busy_timeout(s->db, opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms
                                                          : CH_STORE_DEFAULT_BUSY_MS);
    /* defensive: untrusted SQL never reaches us, but keep the attack surface small */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    /*
     * Lookaside: SQLite's own small allocations (statement memory, cursors)
     * come from this connection's 2.4 MB instead of malloc; with the default
     * 100 slots a run writing hundreds of thousands of rows spent 8% of its
     * time in malloc (full exposure computation: 5% faster with 2,000).
     */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 1200, 2000);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    const char *pragmas = opts->read_only
                              ? "PRAGMA foreign_keys=ON; PRAGMA query_only=ON;"
                              : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
                                /* 64 MiB of page cache: imports touch many index pages */
                                " PRAGMA cache_size=-65536;"
                                " PRAGMA mmap_size=" SQ_MMAP_SIZE ";"
                                /* checkpoint every ~64 MiB of WAL rather than 4 MiB */
                                " PRAGMA wal_autocheckpoint=16384;";
    /*
     * Switching a new file to WAL needs an exclusive lock, and SQLite does not
     * always call the busy handler for it: processes opening one fresh file at
     * once get SQLITE_BUSY. Retry for as long as the busy timeout allows.
     */
    int busy_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : CH_STORE_DEFAULT_BUSY_MS;
    for (int waited_ms = 0;; waited_ms += 10) {
        rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= busy_ms)
            break;
        sqlite3_sleep(10);
    }
    if (rc != SQLITE_OK) {
        int ret_rc = db_error(s->db, rc, "cannot configure database", err);
        ch_err_prefix(err, "'%s'", path);
        sqlite3_close_v2(s->db);
        ch_free(s);
        return ret_rc;
    }
    *ret = &s->base;
    return CH_OK;
}
