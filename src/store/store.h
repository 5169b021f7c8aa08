/* SPDX-License-Identifier: Apache-2.0
 *
 * store.h: the backend-neutral database API.
 *
 * A store is opened from a URL: "sqlite:PATH" (the embedded default,
 * "sqlite::memory:" for tests) or a libpq URI "postgres://..." /
 * "postgresql://...". Opening applies the numbered migrations compiled into
 * the binary, so every process sees the schema it was built for.
 *
 * SQL is written once, in a portable subset, with `?` placeholders; backends
 * translate where needed (PostgreSQL's $n). Values travel only as bound
 * parameters, never spliced into SQL text.
 *
 * Threading: a struct ch_store is one connection and is used by one thread at
 * a time. Each server worker thread opens its own.
 *
 * Ownership: ch_store_prepare() returns a statement the caller frees with
 * ch_stmt_free(); ch_store_stmt() returns a cached statement owned by the
 * store (do not free; valid until the store is freed; not re-entrant for the
 * same SQL). Column text is borrowed and valid until the next step or reset.
 */
#ifndef CH_STORE_STORE_H
#define CH_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct ch_buf;
struct ch_store;
struct ch_stmt;

enum ch_store_backend {
    CH_STORE_SQLITE = 1,
    CH_STORE_POSTGRES = 2,
};

struct ch_store_options {
    bool no_migrate;          /* open without applying migrations (diagnostics) */
    bool read_only;           /* refuse writes (SQLite: open read-only) */
    int busy_timeout_ms;      /* SQLite lock wait; 0 = default */
};

#define CH_STORE_DEFAULT_URL "sqlite:clearinghouse.db"
#define CH_STORE_DEFAULT_BUSY_MS 10000

/*
 * The database URL to use: `flag` if set, else $CLEARINGHOUSE_DB, else the
 * default. Never NULL; borrowed (from argv, environ or a literal).
 */
const char *ch_store_url_resolve(const char *flag);

/*
 * Process-wide settings of the embedded engine, for main() to call once before
 * any store is opened and before a second thread starts (it is not
 * thread-safe; opening a store without it is correct, only slower). SQLite
 * keeps no allocation statistics then: keeping them takes one process-wide
 * mutex on every allocation, which connections used on two threads (a
 * full exposure run) contend for.
 */
void ch_store_global_init(void);

int ch_store_open(const char *url, const struct ch_store_options *opts, struct ch_store **ret,
                  struct ch_err *err) CH_MUST_CHECK;
void ch_store_free(struct ch_store *s);

enum ch_store_backend ch_store_backend(const struct ch_store *s);
/* "sqlite" or "postgres". */
const char *ch_store_backend_name(const struct ch_store *s);
/* Highest migration applied, and the highest this binary knows. */
int ch_store_schema_version(struct ch_store *s, int64_t *ret, struct ch_err *err) CH_MUST_CHECK;
int64_t ch_store_schema_target(void);

/* Runs SQL without parameters (may hold several statements). */
int ch_store_exec(struct ch_store *s, const char *sql, struct ch_err *err) CH_MUST_CHECK;

/*
 * Transactions nest by counting: only the outermost begin/commit reach the
 * database. ch_store_begin_write() takes the write lock at once (SQLite
 * BEGIN IMMEDIATE) so a read-then-write transaction cannot fail to upgrade.
 * A rollback at any depth rolls back the whole transaction and makes the
 * enclosing commits fail with CH_E_CONFLICT.
 */
int ch_store_begin(struct ch_store *s, struct ch_err *err) CH_MUST_CHECK;
int ch_store_begin_write(struct ch_store *s, struct ch_err *err) CH_MUST_CHECK;
int ch_store_commit(struct ch_store *s, struct ch_err *err) CH_MUST_CHECK;
void ch_store_rollback(struct ch_store *s);
bool ch_store_in_tx(const struct ch_store *s);

/*
 * Whether SQLite reads the file through a memory map (on by default: fewer
 * copies for work that reads much, e.g. an incremental exposure run). Work
 * that writes much and reads little, an import, turns it off while it
 * runs: the mapped pages it touches count in the process's resident memory
 * (the CVE 5 import: 368 MB with them, 227 MB without) and buy it nothing.
 * Outside a transaction only (CH_E_INTERNAL otherwise); PostgreSQL has
 * nothing to change.
 */
int ch_store_map_reads(struct ch_store *s, bool on, struct ch_err *err) CH_MUST_CHECK;

/*
 * For a bulk insert into `table` inside the caller's write transaction:
 * drops the table's own secondary indexes (not the ones behind its UNIQUE
 * and PRIMARY KEY constraints, which the caller's lookups use) and keeps
 * their definitions in *saved (the caller's buffer), for
 * ch_store_indexes_restore() to create again, in the same transaction,
 * before anything reads through them. Entries inserted in random key order
 * cost an index more than building it once from sorted data (SQLite:
 * 294k exposure rows, 1.3 s of maintenance against 0.3 s of building).
 * SQLite only: on PostgreSQL DROP INDEX would lock readers out of the table
 * until the commit, so nothing is dropped (and *saved stays empty).
 */
int ch_store_indexes_defer(struct ch_store *s, const char *table, struct ch_buf *saved,
                           struct ch_err *err) CH_MUST_CHECK;
/* Creates the indexes ch_store_indexes_defer() dropped; empties *saved. */
int ch_store_indexes_restore(struct ch_store *s, struct ch_buf *saved,
                             struct ch_err *err) CH_MUST_CHECK;

int ch_store_prepare(struct ch_store *s, const char *sql, struct ch_stmt **ret,
                     struct ch_err *err) CH_MUST_CHECK;
/* Cached statement keyed by the SQL text, reset and unbound; owned by the store. */
int ch_store_stmt(struct ch_store *s, const char *sql, struct ch_stmt **ret,
                  struct ch_err *err) CH_MUST_CHECK;
void ch_stmt_free(struct ch_stmt *st);

/*
 * Binding: idx is 1-based. Binding errors (index out of range, out of
 * memory) are sticky and reported by the next ch_stmt_step().
 * Text and blobs are copied. Text must not contain NUL bytes (PostgreSQL
 * cannot store them): such a binding fails with CH_E_INVALID on every
 * backend; binary data goes in blobs.
 */
void ch_stmt_bind_int(struct ch_stmt *st, int idx, int64_t v);
void ch_stmt_bind_double(struct ch_stmt *st, int idx, double v);
void ch_stmt_bind_text(struct ch_stmt *st, int idx, const char *p, size_t len);
void ch_stmt_bind_cstr(struct ch_stmt *st, int idx, const char *s); /* NULL binds NULL */
void ch_stmt_bind_str(struct ch_stmt *st, int idx, struct ch_str s); /* ptr NULL binds NULL */
/*
 * ch_stmt_bind_cstr without the copy where the backend can avoid it
 * (SQLite): s must stay valid and unchanged until the statement has run
 * (ch_stmt_run returned, or its rows are read) and is not stepped again
 * before it is reset or bound anew. For rows written many times a second,
 * where the copies cost 5% of the writer's time.
 */
void ch_stmt_bind_cstr_ref(struct ch_stmt *st, int idx, const char *s);
void ch_stmt_bind_blob(struct ch_stmt *st, int idx, const void *p, size_t len);
void ch_stmt_bind_null(struct ch_stmt *st, int idx);
void ch_stmt_bind_bool(struct ch_stmt *st, int idx, bool v);

/* 1 = a row is ready, 0 = done, negative = error (err set). */
int ch_stmt_step(struct ch_stmt *st, struct ch_err *err) CH_MUST_CHECK;
/* Runs a statement that returns no rows (or ignores them) to completion. */
int ch_stmt_run(struct ch_stmt *st, struct ch_err *err) CH_MUST_CHECK;
/* Rewinds and clears bindings so the statement can run again. */
void ch_stmt_reset(struct ch_stmt *st);

int ch_stmt_column_count(struct ch_stmt *st);
bool ch_stmt_is_null(struct ch_stmt *st, int col);
int64_t ch_stmt_int(struct ch_stmt *st, int col);
double ch_stmt_double(struct ch_stmt *st, int col);
/* Borrowed until the next step/reset; empty view for NULL. Always NUL-terminated. */
struct ch_str ch_stmt_text(struct ch_stmt *st, int col);
const char *ch_stmt_cstr(struct ch_stmt *st, int col); /* NULL for SQL NULL */
struct ch_str ch_stmt_blob(struct ch_stmt *st, int col);

/* Rows changed by the last INSERT/UPDATE/DELETE on this connection. */
int64_t ch_store_changes(struct ch_store *s);

/*
 * Fault injection for tests: the Nth store operation (exec, prepare, step,
 * begin, commit) from now fails with CH_E_DB, like SQLite's I/O-error tests.
 * n < 0 disables.
 */
void ch_store_fault_after(struct ch_store *s, long n);

/* Convenience: run one statement with one text parameter and read an int64 (default if no row). */
int ch_store_query_int(struct ch_store *s, const char *sql, const char *param, int64_t dflt,
                       int64_t *ret, struct ch_err *err) CH_MUST_CHECK;

#endif
