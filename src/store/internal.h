/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h: what the store dispatcher shares with its backends and no one
 * else. Each backend fills one struct ch_store_ops; callers see only store.h.
 * Backend handles embed struct ch_store / struct ch_stmt as their first
 * member so the dispatcher can hold them by the common type.
 */
#ifndef CH_STORE_INTERNAL_H
#define CH_STORE_INTERNAL_H

#include "store/store.h"

struct ch_map;

struct ch_store_ops {
    const char *name;
    enum ch_store_backend backend;
    void (*close)(struct ch_store *s);
    int (*exec)(struct ch_store *s, const char *sql, struct ch_err *err);
    int (*prepare)(struct ch_store *s, const char *sql, struct ch_stmt **ret, struct ch_err *err);
    /* write: take the write lock now (SQLite IMMEDIATE) */
    int (*begin)(struct ch_store *s, bool write, struct ch_err *err);
    int (*commit)(struct ch_store *s, struct ch_err *err);
    void (*rollback)(struct ch_store *s);
    int64_t (*changes)(struct ch_store *s);
    /* Serialises migrations between processes (PostgreSQL advisory lock). */
    int (*migration_lock)(struct ch_store *s, bool lock, struct ch_err *err);
    /* ch_store_map_reads; NULL: nothing to change */
    int (*map_reads)(struct ch_store *s, bool on, struct ch_err *err);

    void (*stmt_free)(struct ch_stmt *st);
    void (*bind_int)(struct ch_stmt *st, int idx, int64_t v);
    void (*bind_double)(struct ch_stmt *st, int idx, double v);
    void (*bind_text)(struct ch_stmt *st, int idx, const char *p, size_t len);
    /* ch_stmt_bind_cstr_ref; NULL: bind_text (a copy) */
    void (*bind_text_ref)(struct ch_stmt *st, int idx, const char *p, size_t len);
    void (*bind_blob)(struct ch_stmt *st, int idx, const void *p, size_t len);
    void (*bind_null)(struct ch_stmt *st, int idx);
    int (*step)(struct ch_stmt *st, struct ch_err *err);
    void (*reset)(struct ch_stmt *st);
    int (*column_count)(struct ch_stmt *st);
    bool (*is_null)(struct ch_stmt *st, int col);
    int64_t (*col_int)(struct ch_stmt *st, int col);
    double (*col_double)(struct ch_stmt *st, int col);
    struct ch_str (*col_text)(struct ch_stmt *st, int col);
    struct ch_str (*col_blob)(struct ch_stmt *st, int col);
};

struct ch_store {
    const struct ch_store_ops *ops;
    struct ch_map *cache;   /* SQL text -> cached struct ch_stmt */
    int tx_depth;
    bool tx_failed;         /* an inner rollback happened */
    long fault_countdown;   /* -1 off */
};

struct ch_stmt {
    struct ch_store *store;
    int bind_error;         /* sticky, reported by step */
    bool cached;
};

/* Backend constructors: parse their part of the URL and connect. */
void ch_store__sqlite_global_init(void);
int ch_store__sqlite_open(const char *path, const struct ch_store_options *opts,
                          struct ch_store **ret, struct ch_err *err);
int ch_store__pg_open(const char *conninfo, const struct ch_store_options *opts,
                      struct ch_store **ret, struct ch_err *err);

#ifdef CH_UNIT_TEST
/*
 * PostgreSQL helpers (pg.c), visible to the store's own unit tests:
 * `?`/`?NNN` -> `$n` outside literals, identifiers and comments (owned
 * result, parameter count), and SQLSTATE -> ch_rc.
 */
int ch_store__pg_rewrite(const char *sql, char **ret, int *ret_n_params, struct ch_err *err);
int ch_store__pg_map_sqlstate(const char *state);
/*
 * SQLite (sqlite.c): the length of an "INSERT ... VALUES (...) RETURNING id"
 * without its clause when the id can be read back as the rowid, else 0.
 */
struct sqlite3;
size_t ch_store__sqlite_rowid_insert(struct sqlite3 *db, const char *sql);
#endif

/* Migrations compiled into the binary, in version order (generated). */
struct ch_migration {
    int64_t version;
    const char *name;
    const char *sql;
};
extern const struct ch_migration ch_store__migrations[];
extern const size_t ch_store__n_migrations;

/*
 * Rewrites portable migration SQL for a backend: @ID@, @BLOB@, @REAL@ tokens.
 * Returns an owned string (ch_free) or NULL on OOM.
 */
char *ch_store__dialect(const char *sql, enum ch_store_backend backend);

#endif
