/* SPDX-License-Identifier: Apache-2.0
 *
 * store.c: the dispatcher over the backends (see store.h). It owns what is
 * common to both: URL parsing, the statement cache, transaction nesting,
 * migrations and fault injection. Everything backend-specific is reached
 * through the ops table.
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/map.h"
#include "store/internal.h"

const char *ch_store_url_resolve(const char *flag)
{
    if (flag != NULL && flag[0] != '\0')
        return flag;
    const char *env = getenv("CLEARINGHOUSE_DB");
    if (env != NULL && env[0] != '\0')
        return env;
    return CH_STORE_DEFAULT_URL;
}

static void free_cached(void *v)
{
    struct ch_stmt *st = v;
    st->store->ops->stmt_free(st);
}

/* Counts one operation against the fault injector; true when it must fail. */
static bool fault(struct ch_store *s, struct ch_err *err, const char *what)
{
    if (s->fault_countdown < 0)
        return false;
    if (s->fault_countdown == 0) {
        ch_err_set(err, CH_E_DB, "injected fault in %s", what);
        return true;
    }
    s->fault_countdown--;
    return false;
}

void ch_store_fault_after(struct ch_store *s, long n)
{
    s->fault_countdown = n;
}

static int migrate(struct ch_store *s, struct ch_err *err);

void ch_store_global_init(void)
{
    ch_store__sqlite_global_init();
}

int ch_store_open(const char *url, const struct ch_store_options *opts, struct ch_store **ret,
                  struct ch_err *err)
{
    static const struct ch_store_options defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    struct ch_store *s = NULL;
    int rc;
    if (strncmp(url, "sqlite:", 7) == 0) {
        rc = ch_store__sqlite_open(url + 7, opts, &s, err);
    } else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        rc = ch_store__pg_open(url, opts, &s, err);
    } else {
        /* never echo a URL: it may hold a password */
        return ch_err_set(err, CH_E_USAGE,
                          "unsupported database URL (expected sqlite:PATH or postgres://...)");
    }
    if (rc != CH_OK)
        return rc;
    s->fault_countdown = -1;
    s->cache = ch_map_new(0x73746d74, free_cached);
    if (s->cache == NULL) {
        ch_store_free(s);
        return ch_err_set(err, CH_E_NOMEM, "out of memory opening the database");
    }
    if (!opts->no_migrate && !opts->read_only) {
        rc = migrate(s, err);
        if (rc != CH_OK) {
            ch_store_free(s);
            return rc;
        }
    }
    *ret = s;
    return CH_OK;
}

void ch_store_free(struct ch_store *s)
{
    if (s == NULL)
        return;
    if (s->tx_depth > 0)
        s->ops->rollback(s);
    ch_map_free(s->cache);
    s->ops->close(s);
}

enum ch_store_backend ch_store_backend(const struct ch_store *s)
{
    return s->ops->backend;
}

const char *ch_store_backend_name(const struct ch_store *s)
{
    return s->ops->name;
}

int ch_store_exec(struct ch_store *s, const char *sql, struct ch_err *err)
{
    if (fault(s, err, "exec"))
        return CH_E_DB;
    return s->ops->exec(s, sql, err);
}

static int begin(struct ch_store *s, bool write, struct ch_err *err)
{
    if (s->tx_depth > 0) {
        s->tx_depth++;
        return CH_OK;
    }
    if (fault(s, err, "begin"))
        return CH_E_DB;
    int rc = s->ops->begin(s, write, err);
    if (rc == CH_OK) {
        s->tx_depth = 1;
        s->tx_failed = false;
    }
    return rc;
}

int ch_store_begin(struct ch_store *s, struct ch_err *err)
{
    return begin(s, false, err);
}

int ch_store_begin_write(struct ch_store *s, struct ch_err *err)
{
    return begin(s, true, err);
}

int ch_store_commit(struct ch_store *s, struct ch_err *err)
{
    if (s->tx_depth == 0)
        return ch_err_set(err, CH_E_INTERNAL, "commit without a transaction");
    if (s->tx_failed) {
        if (--s->tx_depth == 0)
            s->tx_failed = false;
        return ch_err_set(err, CH_E_CONFLICT, "transaction was rolled back");
    }
    if (s->tx_depth > 1) {
        s->tx_depth--;
        return CH_OK;
    }
    if (fault(s, err, "commit")) {
        s->ops->rollback(s);
        s->tx_depth = 0;
        return CH_E_DB;
    }
    int rc = s->ops->commit(s, err);
    if (rc != CH_OK)
        s->ops->rollback(s);
    s->tx_depth = 0;
    return rc;
}

void ch_store_rollback(struct ch_store *s)
{
    if (s->tx_depth == 0)
        return;
    if (!s->tx_failed)
        s->ops->rollback(s);
    if (--s->tx_depth > 0)
        s->tx_failed = true;
    else
        s->tx_failed = false;
}

bool ch_store_in_tx(const struct ch_store *s)
{
    return s->tx_depth > 0;
}

int ch_store_prepare(struct ch_store *s, const char *sql, struct ch_stmt **ret, struct ch_err *err)
{
    if (fault(s, err, "prepare"))
        return CH_E_DB;
    struct ch_stmt *st = NULL;
    int rc = s->ops->prepare(s, sql, &st, err);
    if (rc != CH_OK)
        return rc;
    st->store = s;
    st->bind_error = 0;
    st->cached = false;
    *ret = st;
    return CH_OK;
}

int ch_store_stmt(struct ch_store *s, const char *sql, struct ch_stmt **ret, struct ch_err *err)
{
    struct ch_str key = ch_str_c(sql);
    struct ch_stmt *st = ch_map_get(s->cache, key);
    if (st != NULL) {
        ch_stmt_reset(st);
        *ret = st;
        return CH_OK;
    }
    int rc = ch_store_prepare(s, sql, &st, err);
    if (rc != CH_OK)
        return rc;
    if (ch_map_put(s->cache, key, st) != CH_OK) {
        s->ops->stmt_free(st);
        return ch_err_set(err, CH_E_NOMEM, "out of memory caching a statement");
    }
    st->cached = true;
    *ret = st;
    return CH_OK;
}

void ch_stmt_free(struct ch_stmt *st)
{
    if (st == NULL || st->cached)
        return;
    st->store->ops->stmt_free(st);
}

void ch_stmt_bind_int(struct ch_stmt *st, int idx, int64_t v)
{
    st->store->ops->bind_int(st, idx, v);
}

void ch_stmt_bind_double(struct ch_stmt *st, int idx, double v)
{
    st->store->ops->bind_double(st, idx, v);
}

void ch_stmt_bind_text(struct ch_stmt *st, int idx, const char *p, size_t len)
{
    if (p == NULL) {
        st->store->ops->bind_null(st, idx);
    } else if (memchr(p, '\0', len) != NULL) {
        /* PostgreSQL text cannot hold NUL; refused on both backends alike (blobs can) */
        st->store->ops->bind_null(st, idx);
        if (st->bind_error == 0)
            st->bind_error = CH_E_INVALID;
    } else {
        st->store->ops->bind_text(st, idx, p, len);
    }
}

void ch_stmt_bind_cstr(struct ch_stmt *st, int idx, const char *s)
{
    ch_stmt_bind_text(st, idx, s, s == NULL ? 0 : strlen(s));
}

void ch_stmt_bind_cstr_ref(struct ch_stmt *st, int idx, const char *s)
{
    if (s == NULL || st->store->ops->bind_text_ref == NULL) {
        ch_stmt_bind_cstr(st, idx, s);
        return;
    }
    size_t len = strlen(s); /* a C string holds no NUL, which PostgreSQL text could not */
    st->store->ops->bind_text_ref(st, idx, s, len);
}

void ch_stmt_bind_str(struct ch_stmt *st, int idx, struct ch_str s)
{
    ch_stmt_bind_text(st, idx, s.ptr, s.len);
}

void ch_stmt_bind_blob(struct ch_stmt *st, int idx, const void *p, size_t len)
{
    st->store->ops->bind_blob(st, idx, p, len);
}

void ch_stmt_bind_null(struct ch_stmt *st, int idx)
{
    st->store->ops->bind_null(st, idx);
}

void ch_stmt_bind_bool(struct ch_stmt *st, int idx, bool v)
{
    st->store->ops->bind_int(st, idx, v ? 1 : 0);
}

int ch_stmt_step(struct ch_stmt *st, struct ch_err *err)
{
    if (st->bind_error != 0)
        return ch_err_set(err, st->bind_error, "cannot bind statement parameters");
    if (fault(st->store, err, "step"))
        return CH_E_DB;
    return st->store->ops->step(st, err);
}

int ch_stmt_run(struct ch_stmt *st, struct ch_err *err)
{
    int rc;
    do {
        rc = ch_stmt_step(st, err);
    } while (rc == 1);
    return rc;
}

void ch_stmt_reset(struct ch_stmt *st)
{
    st->bind_error = 0;
    st->store->ops->reset(st);
}

int ch_stmt_column_count(struct ch_stmt *st)
{
    return st->store->ops->column_count(st);
}

bool ch_stmt_is_null(struct ch_stmt *st, int col)
{
    return st->store->ops->is_null(st, col);
}

int64_t ch_stmt_int(struct ch_stmt *st, int col)
{
    return st->store->ops->col_int(st, col);
}

double ch_stmt_double(struct ch_stmt *st, int col)
{
    return st->store->ops->col_double(st, col);
}

struct ch_str ch_stmt_text(struct ch_stmt *st, int col)
{
    return st->store->ops->col_text(st, col);
}

const char *ch_stmt_cstr(struct ch_stmt *st, int col)
{
    if (ch_stmt_is_null(st, col))
        return NULL;
    return ch_stmt_text(st, col).ptr;
}

struct ch_str ch_stmt_blob(struct ch_stmt *st, int col)
{
    return st->store->ops->col_blob(st, col);
}

int ch_store_map_reads(struct ch_store *s, bool on, struct ch_err *err)
{
    if (s->tx_depth > 0)
        return ch_err_set(err, CH_E_INTERNAL, "memory-map setting inside a transaction");
    return s->ops->map_reads != NULL ? s->ops->map_reads(s, on, err) : CH_OK;
}

int ch_store_indexes_defer(struct ch_store *s, const char *table, struct ch_buf *saved,
                           struct ch_err *err)
{
    if (s->tx_depth == 0)
        return ch_err_set(err, CH_E_INTERNAL, "deferring indexes outside a transaction");
    if (ch_store_backend(s) != CH_STORE_SQLITE)
        return CH_OK;
    /* sql IS NULL: the automatic indexes of UNIQUE and PRIMARY KEY constraints */
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                              " AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, table);
    struct ch_buf names;
    ch_buf_init(&names, CH_BUF_DEFAULT_MAX);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        /* "name\0" into names, "CREATE INDEX ...\0" into saved */
        (void)ch_buf_append_c(&names, ch_stmt_cstr(st, 0));
        (void)ch_buf_append_byte(&names, '\0');
        (void)ch_buf_append_c(saved, ch_stmt_cstr(st, 1));
        (void)ch_buf_append_byte(saved, '\0');
    }
    ch_stmt_free(st);
    if (rc == 0)
        rc = ch_buf_status(&names, "index names", err);
    if (rc == 0)
        rc = ch_buf_status(saved, "index definitions", err);
    for (size_t off = 0; rc == CH_OK && off < ch_buf_len(&names);) {
        const char *name = ch_buf_cstr(&names) + off;
        struct ch_buf sql;
        ch_buf_init(&sql, CH_BUF_DEFAULT_MAX);
        (void)ch_buf_append_c(&sql, "DROP INDEX \"");
        for (const char *p = name; *p != '\0'; p++) { /* a quoted identifier doubles its quotes */
            (void)ch_buf_append_byte(&sql, *p);
            if (*p == '"')
                (void)ch_buf_append_byte(&sql, '"');
        }
        (void)ch_buf_append_byte(&sql, '"');
        rc = ch_buf_status(&sql, "index name", err);
        if (rc == CH_OK)
            rc = ch_store_exec(s, ch_buf_cstr(&sql), err);
        ch_buf_release(&sql);
        off += strlen(name) + 1;
    }
    ch_buf_release(&names);
    return rc < 0 ? rc : CH_OK;
}

int ch_store_indexes_restore(struct ch_store *s, struct ch_buf *saved, struct ch_err *err)
{
    int rc = CH_OK;
    for (size_t off = 0; rc == CH_OK && off < ch_buf_len(saved);) {
        const char *sql = ch_buf_cstr(saved) + off;
        rc = ch_store_exec(s, sql, err);
        off += strlen(sql) + 1;
    }
    ch_buf_reset(saved);
    return rc;
}

int64_t ch_store_changes(struct ch_store *s)
{
    return s->ops->changes(s);
}

int ch_store_query_int(struct ch_store *s, const char *sql, const char *param, int64_t dflt,
                       int64_t *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, sql, &st, err);
    if (rc != CH_OK)
        return rc;
    if (param != NULL)
        ch_stmt_bind_cstr(st, 1, param);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret = (rc == 1 && !ch_stmt_is_null(st, 0)) ? ch_stmt_int(st, 0) : dflt;
    ch_stmt_reset(st);
    return CH_OK;
}

/* ---- migrations ---- */

int64_t ch_store_schema_target(void)
{
    return ch_store__n_migrations == 0 ? 0
                                       : ch_store__migrations[ch_store__n_migrations - 1].version;
}

char *ch_store__dialect(const char *sql, enum ch_store_backend backend)
{
    static const struct {
        const char *token;
        const char *sqlite;
        const char *pg;
    } tokens[] = {
        {"@ID@", "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
        {"@BLOB@", "BLOB", "BYTEA"},
        {"@REAL@", "REAL", "DOUBLE PRECISION"},
    };
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    const char *p = sql;
    while (*p != '\0') {
        const char *at = strchr(p, '@');
        if (at == NULL) {
            (void)ch_buf_append_c(&b, p);
            break;
        }
        (void)ch_buf_append(&b, p, (size_t)(at - p));
        size_t i;
        for (i = 0; i < CH_ARRAY_SIZE(tokens); i++) {
            size_t n = strlen(tokens[i].token);
            if (strncmp(at, tokens[i].token, n) == 0) {
                (void)ch_buf_append_c(&b, backend == CH_STORE_SQLITE ? tokens[i].sqlite
                                                                     : tokens[i].pg);
                p = at + n;
                break;
            }
        }
        if (i == CH_ARRAY_SIZE(tokens)) {
            (void)ch_buf_append_byte(&b, '@');
            p = at + 1;
        }
    }
    char *out = ch_buf_take(&b, NULL);
    ch_buf_release(&b);
    return out;
}

int ch_store_schema_version(struct ch_store *s, int64_t *ret, struct ch_err *err)
{
    return ch_store_query_int(s, "SELECT MAX(version) FROM schema_migrations", NULL, 0, ret, err);
}

static int apply_one(struct ch_store *s, const struct ch_migration *m, struct ch_err *err)
{
    char *sql = ch_store__dialect(m->sql, s->ops->backend);
    if (sql == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory preparing migration %lld",
                          (long long)m->version);
    int rc = ch_store_begin_write(s, err);
    /*
     * Another process may have applied it since we looked: SQLite serialises
     * writers only at BEGIN IMMEDIATE, so look again inside the transaction
     * (PostgreSQL's advisory lock already prevents this; the check is cheap).
     */
    int64_t current = 0;
    if (rc == CH_OK)
        rc = ch_store_schema_version(s, &current, err);
    if (rc == CH_OK && current >= m->version) {
        ch_free(sql);
        return ch_store_commit(s, err);
    }
    if (rc == CH_OK)
        rc = ch_store_exec(s, sql, err);
    ch_free(sql);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_prepare(
            s, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", &st,
            err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, m->version);
        ch_stmt_bind_cstr(st, 2, m->name);
        ch_stmt_bind_int(st, 3, ch_clock_now(NULL));
        rc = ch_stmt_run(st, err);
        ch_stmt_free(st);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc != CH_OK)
        ch_err_prefix(err, "migration %lld (%s)", (long long)m->version, m->name);
    return rc;
}

static int migrate(struct ch_store *s, struct ch_err *err)
{
    int rc = s->ops->migration_lock(s, true, err);
    if (rc != CH_OK)
        return rc;
    rc = ch_store_exec(s,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
                       " applied_at BIGINT NOT NULL)",
                       err);
    int64_t current = 0;
    if (rc == CH_OK)
        rc = ch_store_schema_version(s, &current, err);
    if (rc == CH_OK && current > ch_store_schema_target())
        rc = ch_err_set(err, CH_E_UNSUPPORTED,
                        "database schema version %lld is newer than this program's %lld; "
                        "upgrade clearinghouse",
                        (long long)current, (long long)ch_store_schema_target());
    for (size_t i = 0; rc == CH_OK && i < ch_store__n_migrations; i++) {
        if (ch_store__migrations[i].version > current)
            rc = apply_one(s, &ch_store__migrations[i], err);
    }
    struct ch_err unlock_err = CH_ERR_INIT;
    CH_IGNORE(s->ops->migration_lock(s, false, &unlock_err)); /* closing the session releases it too */
    return rc;
}
