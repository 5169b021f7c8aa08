/* SPDX-License-Identifier: Apache-2.0
 *
 * pg.c: the PostgreSQL backend, over libpq.
 *
 * Opened from a libpq URI (postgres://, postgresql://, with any libpq query
 * parameter, e.g. ?host=/run/dir for a Unix socket). One struct ch_store is
 * one connection, used by one thread at a time.
 *
 * Statements: the portable SQL uses `?` (and SQLite's `?NNN`) placeholders;
 * pg_rewrite() turns them into $n, skipping string literals, quoted
 * identifiers, dollar-quoted strings and comments. Each statement is
 * prepared server-side under a generated name (PQprepare) and run with
 * PQexecPrepared: parameters travel as text, except blobs, which travel in
 * binary so no escaping is involved. Results come back in text format; bytea
 * columns (hex output, forced at connect) are decoded on access.
 *
 * A statement's whole result is fetched at its first step (one PGresult),
 * then stepped through in memory. That keeps the connection free between
 * steps, so callers may interleave statements as they do on SQLite (read a
 * row, write something, read the next). The price is memory for very large
 * results: page them (LIMIT/keyset) rather than reading millions of rows.
 *
 * Reconnecting: before each operation outside a transaction the connection
 * is checked (PQconsumeInput notices a server that closed it, e.g. after
 * pg_terminate_backend or a restart); a dead one is reset with PQreset, the
 * session is set up again and the connection generation grows, so every
 * statement re-prepares itself lazily at its next step. A statement that
 * fails because the connection died is never retried (it may have run);
 * it reports CH_E_UNAVAILABLE and the next operation reconnects. Inside a
 * transaction nothing reconnects: the transaction is lost and the caller
 * must roll back.
 *
 * Errors: SQLSTATE codes become ch_rc here and nowhere else (map_sqlstate).
 * Messages carry the server's primary message and the SQLSTATE, never the
 * connection URI, and the password is scrubbed from connection errors.
 */
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/num.h"
#include "store/internal.h"

/* pg_advisory_lock key serialising migrations across processes ("chmigrat"). */
#define PG_MIGRATION_LOCK_KEY "7163411419788665204"
/* Largest blob decoded from a bytea column; PostgreSQL's own bytea limit is 1 GiB. */
#define PG_MAX_BLOB_BYTES ((size_t)1 << 30)
/* Most parameters one statement may have (the protocol's limit is 65535). */
#define PG_MAX_PARAMS 65535
/* Seconds to wait for a connection when the URI does not say (libpq default: forever). */
#define PG_CONNECT_TIMEOUT_S "10"
/* bytea's OID (pg_type.h), to decode blob columns. */
#define PG_BYTEA_OID 17
#define PG_BOOL_OID 16

struct pg_store {
    struct ch_store base;
    PGconn *conn;
    uint64_t generation; /* grows at each reconnect; statements re-prepare when behind */
    uint64_t next_id;    /* for statement names */
    int64_t changes;     /* rows changed by the last INSERT/UPDATE/DELETE/MERGE */
    bool read_only;
    int lock_timeout_ms; /* 0 = PostgreSQL's default (wait) */
};

/*
 * A prepared statement. `sql` is the rewritten text ($n), kept to re-prepare
 * after a reconnect. Parameters are owned copies (NULL = SQL NULL). `res` is
 * the whole result of the current execution, `row` the current row in it.
 */
struct pg_stmt {
    struct ch_stmt base;
    char *sql;
    char name[32];
    uint64_t generation; /* connection generation it was prepared in; 0 = not prepared */
    int n_params;
    char **values;
    int *lengths;
    int *formats;         /* 0 text, 1 binary (blobs) */
    PGresult *res;        /* NULL before the first step and after reset */
    int row;              /* current row in res */
    int n_cols;           /* -1 until known */
    struct ch_buf *blobs; /* decoded bytea per column, for the current row */
    int n_blobs;
};

static struct pg_store *pg_of(struct ch_store *s)
{
    return (struct pg_store *)s;
}

static struct pg_stmt *pst_of(struct ch_stmt *st)
{
    return (struct pg_stmt *)st;
}

/* ---- placeholder rewriting ---- */

static bool is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (unsigned char)c >= 0x80;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the quoted run starting at p[0] == q, doubled quotes inside; to the end if open. */
static size_t skip_quoted(const char *p, char q, bool backslash_escapes)
{
    size_t i = 1;
    while (p[i] != '\0') {
        if (backslash_escapes && p[i] == '\\' && p[i + 1] != '\0') {
            i += 2;
            continue;
        }
        if (p[i] == q) {
            if (p[i + 1] == q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    return i;
}

/* Block comments nest in PostgreSQL. */
static size_t skip_block_comment(const char *p)
{
    size_t i = 2;
    int depth = 1;
    while (p[i] != '\0' && depth > 0) {
        if (p[i] == '/' && p[i + 1] == '*') {
            depth++;
            i += 2;
        } else if (p[i] == '*' && p[i + 1] == '/') {
            depth--;
            i += 2;
        } else {
            i++;
        }
    }
    return i;
}

/* A dollar quote $tag$...$tag$ at p (p[0] == '$'), or 0 when p does not open one. */
static size_t skip_dollar_quote(const char *p)
{
    size_t t = 1;
    if (is_digit(p[1]))
        return 0; /* $1: a positional parameter */
    while (p[t] != '$') {
        if (p[t] == '\0' || !is_ident_char(p[t]))
            return 0;
        t++;
    }
    size_t tag_len = t + 1; /* "$tag$" */
    for (const char *q = p + tag_len; *q != '\0'; q++) {
        if (*q == '$' && strncmp(q, p, tag_len) == 0)
            return (size_t)(q - p) + tag_len;
    }
    return strlen(p); /* unterminated: the rest is the string */
}

/*
 * Rewrites `?` and `?NNN` placeholders to $n. A bare `?` takes one more than
 * the largest number assigned so far, as in SQLite. Literals ('...', E'...'),
 * quoted identifiers, dollar quotes and comments are copied untouched.
 * Returns an owned string (ch_free) and the number of parameters.
 */
CH_TESTABLE int ch_store__pg_rewrite(const char *sql, char **ret, int *ret_n_params,
                                     struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    int max_param = 0;
    size_t i = 0;
    while (sql[i] != '\0') {
        const char *p = sql + i;
        size_t n = 1;
        char c = p[0];
        if (c == '\'') {
            bool e = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                     (i == 1 || !is_ident_char(sql[i - 2]));
            n = skip_quoted(p, '\'', e);
        } else if (c == '"') {
            n = skip_quoted(p, '"', false);
        } else if (c == '-' && p[1] == '-') {
            n = strcspn(p, "\n");
        } else if (c == '/' && p[1] == '*') {
            n = skip_block_comment(p);
        } else if (c == '$' && (i == 0 || !is_ident_char(sql[i - 1]))) {
            size_t d = skip_dollar_quote(p);
            n = d > 0 ? d : 1;
        } else if (c == '?') {
            int64_t idx = max_param + 1;
            size_t digits = 0;
            while (is_digit(p[1 + digits]))
                digits++;
            if (digits > 0) {
                struct ch_err perr = CH_ERR_INIT;
                if (ch_num_parse_i64(ch_str_make(p + 1, digits), 1, PG_MAX_PARAMS, &idx, &perr) !=
                    CH_OK) {
                    ch_buf_release(&b);
                    return ch_err_set(err, CH_E_INVALID, "bad parameter number '?%.*s'",
                                      (int)(digits > 10 ? 10 : digits), p + 1);
                }
            }
            if (idx > PG_MAX_PARAMS) {
                ch_buf_release(&b);
                return ch_err_set(err, CH_E_LIMIT, "more than %d parameters", PG_MAX_PARAMS);
            }
            if (idx > max_param)
                max_param = (int)idx;
            (void)ch_buf_appendf(&b, "$%d", (int)idx);
            i += 1 + digits;
            continue;
        }
        (void)ch_buf_append(&b, p, n);
        i += n;
    }
    int rc = ch_buf_status(&b, "rewriting SQL", err);
    if (rc != CH_OK) {
        ch_buf_release(&b);
        return rc;
    }
    char *out = ch_buf_take(&b, NULL);
    ch_buf_release(&b);
    if (out == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory rewriting SQL");
    *ret = out;
    *ret_n_params = max_param;
    return CH_OK;
}

/* ---- errors ---- */

static bool starts_with(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

CH_TESTABLE int ch_store__pg_map_sqlstate(const char *state)
{
    if (state == NULL || strlen(state) != 5)
        return CH_E_DB;
    if (starts_with(state, "23"))
        return CH_E_CONFLICT; /* unique, foreign key, not null, check: as SQLITE_CONSTRAINT */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
        return CH_E_BUSY; /* serialization failure, deadlock, lock_timeout: retry */
    if (starts_with(state, "08") || strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
        strcmp(state, "57P03") == 0 || strcmp(state, "53300") == 0)
        return CH_E_UNAVAILABLE; /* connection lost, server shutting down or full */
    if (strcmp(state, "57014") == 0)
        return CH_E_TIMEOUT; /* statement_timeout */
    if (strcmp(state, "53100") == 0 || strcmp(state, "53200") == 0)
        return CH_E_IO; /* disk full, out of memory on the server */
    if (starts_with(state, "54"))
        return CH_E_LIMIT; /* program limit exceeded */
    if (strcmp(state, "42501") == 0 || strcmp(state, "25006") == 0)
        return CH_E_PERM; /* insufficient privilege, read-only transaction */
    return CH_E_DB;
}

/* Copies src into dst with newlines and tabs as spaces, trailing space cut. */
static void one_line(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (; src != NULL && *src != '\0' && n + 1 < cap; src++)
        dst[n++] = (*src == '\n' || *src == '\t' || *src == '\r') ? ' ' : *src;
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

/* Replaces every occurrence of secret in msg by "***" (in place; never grows). */
static void scrub(char *msg, const char *secret)
{
    if (secret == NULL || strlen(secret) < 1)
        return;
    size_t sl = strlen(secret);
    char *hit;
    while ((hit = strstr(msg, secret)) != NULL) {
        size_t keep = sl < 3 ? sl : 3;
        memcpy(hit, "***", keep);
        memmove(hit + keep, hit + sl, strlen(hit + sl) + 1);
    }
}

static int conn_error(struct pg_store *s, int rc, const char *what, struct ch_err *err)
{
    char msg[CH_ERR_MSG_MAX];
    one_line(msg, sizeof(msg), PQerrorMessage(s->conn));
    scrub(msg, PQpass(s->conn));
    return ch_err_set(err, rc, "%s: %s", what, msg[0] != '\0' ? msg : "connection failed");
}

/*
 * Reports a failed result (res may be NULL: out of memory or a lost
 * connection) and frees it.
 */
static int result_error(struct pg_store *s, PGresult *res, const char *what, struct ch_err *err)
{
    if (res == NULL) {
        if (PQstatus(s->conn) != CONNECTION_OK)
            return conn_error(s, CH_E_UNAVAILABLE, what, err);
        return ch_err_set(err, CH_E_NOMEM, "%s: out of memory", what);
    }
    /* copied out: both point into res, which is freed before reporting */
    const char *field = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    char state[6] = {0};
    if (field != NULL)
        snprintf(state, sizeof(state), "%s", field);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    char msg[CH_ERR_MSG_MAX];
    one_line(msg, sizeof(msg), primary != NULL ? primary : PQresultErrorMessage(res));
    scrub(msg, PQpass(s->conn));
    PQclear(res);
    int rc = ch_store__pg_map_sqlstate(field != NULL ? state : NULL);
    if (field == NULL && PQstatus(s->conn) != CONNECTION_OK)
        rc = CH_E_UNAVAILABLE;
    if (field != NULL)
        return ch_err_set(err, rc, "%s: %s (SQLSTATE %s)", what, msg, state);
    return ch_err_set(err, rc, "%s: %s", what, msg[0] != '\0' ? msg : "lost the connection");
}

/* ---- connection ---- */

static void ignore_notice(void *arg, const char *message)
{
    /* library code does not log; NOTICEs (e.g. "table does not exist, skipping") are dropped */
}

static int run_simple(struct pg_store *s, const char *sql, const char *what, struct ch_err *err)
{
    PGresult *res = PQexec(s->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (res == NULL || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK))
        return result_error(s, res, what, err);
    PQclear(res);
    return CH_OK;
}

/* Session settings every connection (and every reconnection) gets. */
static int session_setup(struct pg_store *s, struct ch_err *err)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SET TimeZone = 'UTC'; SET bytea_output = 'hex';"
             " SET standard_conforming_strings = on; SET default_transaction_read_only = %s;"
             " SET lock_timeout = %d",
             s->read_only ? "on" : "off", s->lock_timeout_ms);
    return run_simple(s, sql, "cannot set up the database session", err);
}

/*
 * Makes sure the connection is usable: notices a connection the server
 * closed, and outside a transaction resets it. CH_E_UNAVAILABLE when it
 * cannot.
 */
static int ensure_conn(struct pg_store *s, struct ch_err *err)
{
    /*
     * An idle connection has nothing to read unless the server spoke first:
     * a FATAL message (pg_terminate_backend, shutdown) then EOF, which takes
     * a second read to see. Reading it marks the connection bad.
     */
    for (int i = 0; i < 4 && PQstatus(s->conn) == CONNECTION_OK &&
                    PQtransactionStatus(s->conn) == PQTRANS_IDLE;
         i++) {
        struct pollfd pfd = {.fd = PQsocket(s->conn), .events = POLLIN};
        if (poll(&pfd, 1, 0) <= 0 || PQconsumeInput(s->conn) == 0)
            break;
    }
    if (PQstatus(s->conn) == CONNECTION_OK)
        return CH_OK;
    if (s->base.tx_depth > 0)
        return ch_err_set(err, CH_E_UNAVAILABLE,
                          "lost the database connection inside a transaction");
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK)
        return conn_error(s, CH_E_UNAVAILABLE, "cannot reconnect to the database", err);
    s->generation++;
    return session_setup(s, err);
}

static void pg_close(struct ch_store *s)
{
    PQfinish(pg_of(s)->conn);
    ch_free(s);
}

static void note_changes(struct pg_store *s, PGresult *res)
{
    const char *status = PQcmdStatus(res);
    if (!starts_with(status, "INSERT") && !starts_with(status, "UPDATE") &&
        !starts_with(status, "DELETE") && !starts_with(status, "MERGE"))
        return;
    int64_t n = 0;
    struct ch_err perr = CH_ERR_INIT;
    if (ch_num_parse_i64(ch_str_c(PQcmdTuples(res)), 0, INT64_MAX, &n, &perr) == CH_OK)
        s->changes = n;
}

static int pg_exec(struct ch_store *st, const char *sql, struct ch_err *err)
{
    struct pg_store *s = pg_of(st);
    int rc = ensure_conn(s, err);
    if (rc != CH_OK)
        return rc;
    PGresult *res = PQexec(s->conn, sql);
    ExecStatusType status = PQresultStatus(res);
    if (res == NULL ||
        (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY))
        return result_error(s, res, "database", err);
    note_changes(s, res);
    PQclear(res);
    return CH_OK;
}

/* ---- statements ---- */

static int prepare_on_server(struct pg_store *s, struct pg_stmt *st, struct ch_err *err)
{
    PGresult *res = PQprepare(s->conn, st->name, st->sql, 0, NULL);
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
        return result_error(s, res, "cannot prepare statement", err);
    PQclear(res);
    st->generation = s->generation;
    return CH_OK;
}

static void clear_params(struct pg_stmt *st)
{
    for (int i = 0; i < st->n_params; i++) {
        ch_free(st->values[i]);
        st->values[i] = NULL;
        st->lengths[i] = 0;
        st->formats[i] = 0;
    }
}

static void clear_result(struct pg_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    for (int i = 0; i < st->n_blobs; i++)
        ch_buf_reset(&st->blobs[i]);
}

static void free_stmt(struct pg_stmt *st)
{
    clear_result(st);
    clear_params(st);
    for (int i = 0; i < st->n_blobs; i++)
        ch_buf_release(&st->blobs[i]);
    ch_free(st->blobs);
    ch_free(st->values);
    ch_free(st->lengths);
    ch_free(st->formats);
    ch_free(st->sql);
    ch_free(st);
}

static int pg_prepare(struct ch_store *base, const char *sql, struct ch_stmt **ret,
                      struct ch_err *err)
{
    struct pg_store *s = pg_of(base);
    int rc = ensure_conn(s, err);
    if (rc != CH_OK)
        return rc;
    struct pg_stmt *st = ch_calloc(1, sizeof(*st));
    if (st == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory preparing a statement");
    st->row = -1;
    st->n_cols = -1;
    rc = ch_store__pg_rewrite(sql, &st->sql, &st->n_params, err);
    if (rc != CH_OK) {
        free_stmt(st);
        return rc;
    }
    if (st->n_params > 0) {
        st->values = ch_calloc((size_t)st->n_params, sizeof(*st->values));
        st->lengths = ch_calloc((size_t)st->n_params, sizeof(*st->lengths));
        st->formats = ch_calloc((size_t)st->n_params, sizeof(*st->formats));
        if (st->values == NULL || st->lengths == NULL || st->formats == NULL) {
            free_stmt(st);
            return ch_err_set(err, CH_E_NOMEM, "out of memory preparing a statement");
        }
    }
    snprintf(st->name, sizeof(st->name), "ch_%llu", (unsigned long long)++s->next_id);
    rc = prepare_on_server(s, st, err);
    if (rc != CH_OK) {
        free_stmt(st);
        return rc;
    }
    *ret = &st->base;
    return CH_OK;
}

static void pg_stmt_free(struct ch_stmt *base)
{
    struct pg_stmt *st = pst_of(base);
    struct pg_store *s = pg_of(base->store);
    /*
     * Release the server-side statement while the session lives on. Cached
     * statements are freed only when the store closes, which ends the session
     * (and its statements) anyway; in a failed transaction DEALLOCATE would
     * be refused, so the statement stays until the session ends.
     */
    if (!base->cached && st->generation == s->generation && PQstatus(s->conn) == CONNECTION_OK &&
        PQtransactionStatus(s->conn) != PQTRANS_INERROR) {
        char sql[64];
        snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
        PQclear(PQexec(s->conn, sql));
    }
    free_stmt(st);
}

/* The slot for parameter idx (1-based), its previous value freed; NULL (error set) if none. */
static bool param_slot(struct ch_stmt *base, int idx)
{
    struct pg_stmt *st = pst_of(base);
    if (idx < 1 || idx > st->n_params) {
        if (base->bind_error == 0)
            base->bind_error = CH_E_INTERNAL;
        return false;
    }
    ch_free(st->values[idx - 1]);
    st->values[idx - 1] = NULL;
    st->lengths[idx - 1] = 0;
    st->formats[idx - 1] = 0;
    return true;
}

static void set_param(struct ch_stmt *base, int idx, const void *p, size_t len, int format)
{
    struct pg_stmt *st = pst_of(base);
    if (!param_slot(base, idx))
        return;
    if (len > (size_t)INT32_MAX - 1) {
        if (base->bind_error == 0)
            base->bind_error = CH_E_LIMIT;
        return;
    }
    char *copy = ch_malloc(len + 1);
    if (copy == NULL) {
        if (base->bind_error == 0)
            base->bind_error = CH_E_NOMEM;
        return;
    }
    if (len > 0)
        memcpy(copy, p, len);
    copy[len] = '\0';
    st->values[idx - 1] = copy;
    st->lengths[idx - 1] = (int)len;
    st->formats[idx - 1] = format;
}

static void pg_bind_int(struct ch_stmt *st, int idx, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    set_param(st, idx, tmp, (size_t)n, 0);
}

static void pg_bind_double(struct ch_stmt *st, int idx, double v)
{
    char tmp[40];
    int n;
    if (isnan(v))
        n = snprintf(tmp, sizeof(tmp), "NaN");
    else if (isinf(v))
        n = snprintf(tmp, sizeof(tmp), "%s", v > 0 ? "Infinity" : "-Infinity");
    else
        n = snprintf(tmp, sizeof(tmp), "%.17g", v);
    set_param(st, idx, tmp, (size_t)n, 0);
}

static void pg_bind_text(struct ch_stmt *st, int idx, const char *p, size_t len)
{
    /* store.c has refused NUL bytes, which PostgreSQL text cannot hold */
    set_param(st, idx, p, len, 0);
}

static void pg_bind_blob(struct ch_stmt *st, int idx, const void *p, size_t len)
{
    set_param(st, idx, p, len, 1);
}

static void pg_bind_null(struct ch_stmt *st, int idx)
{
    (void)param_slot(st, idx);
}

static int pg_step(struct ch_stmt *base, struct ch_err *err)
{
    struct pg_stmt *st = pst_of(base);
    struct pg_store *s = pg_of(base->store);
    if (st->res == NULL) {
        int rc = ensure_conn(s, err);
        if (rc == CH_OK && st->generation != s->generation)
            rc = prepare_on_server(s, st, err);
        if (rc != CH_OK)
            return rc;
        PGresult *res =
            PQexecPrepared(s->conn, st->name, st->n_params, (const char *const *)st->values,
                           st->lengths, st->formats, 0);
        ExecStatusType status = PQresultStatus(res);
        if (res == NULL || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK))
            return result_error(s, res, "database", err);
        note_changes(s, res);
        st->res = res;
        st->row = -1;
        st->n_cols = PQnfields(res);
    }
    for (int i = 0; i < st->n_blobs; i++)
        ch_buf_reset(&st->blobs[i]);
    if (st->row < PQntuples(st->res))
        st->row++;
    return st->row < PQntuples(st->res) ? 1 : 0;
}

static void pg_reset(struct ch_stmt *base)
{
    struct pg_stmt *st = pst_of(base);
    clear_result(st);
    clear_params(st);
}

static int pg_column_count(struct ch_stmt *base)
{
    struct pg_stmt *st = pst_of(base);
    if (st->res != NULL)
        return PQnfields(st->res);
    if (st->n_cols >= 0)
        return st->n_cols;
    /* before the first step: ask the server once */
    struct pg_store *s = pg_of(base->store);
    if (st->generation != s->generation)
        return 0;
    PGresult *d = PQdescribePrepared(s->conn, st->name);
    if (d != NULL && PQresultStatus(d) == PGRES_COMMAND_OK)
        st->n_cols = PQnfields(d);
    PQclear(d);
    return st->n_cols >= 0 ? st->n_cols : 0;
}

/* True when the current row has column col. */
static bool has_cell(struct pg_stmt *st, int col)
{
    return st->res != NULL && st->row >= 0 && st->row < PQntuples(st->res) && col >= 0 &&
           col < PQnfields(st->res);
}

static bool pg_is_null(struct ch_stmt *base, int col)
{
    struct pg_stmt *st = pst_of(base);
    return !has_cell(st, col) || PQgetisnull(st->res, st->row, col);
}

static double parse_double(const char *v)
{
    if (strcmp(v, "NaN") == 0)
        return NAN;
    if (strcmp(v, "Infinity") == 0)
        return HUGE_VAL;
    if (strcmp(v, "-Infinity") == 0)
        return -HUGE_VAL;
    double d = 0;
    struct ch_err perr = CH_ERR_INIT;
    if (ch_num_parse_double(ch_str_c(v), &d, &perr) != CH_OK)
        return 0;
    return d;
}

static int64_t pg_col_int(struct ch_stmt *base, int col)
{
    struct pg_stmt *st = pst_of(base);
    if (pg_is_null(base, col))
        return 0;
    const char *v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) == PG_BOOL_OID)
        return v[0] == 't' ? 1 : 0;
    int64_t n = 0;
    struct ch_err perr = CH_ERR_INIT;
    if (ch_num_parse_i64(ch_str_c(v), INT64_MIN, INT64_MAX, &n, &perr) == CH_OK)
        return n;
    /* numeric or floating point: truncate toward zero and clamp, as SQLite does */
    double d = parse_double(v);
    if (isnan(d))
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

static double pg_col_double(struct ch_stmt *base, int col)
{
    struct pg_stmt *st = pst_of(base);
    if (pg_is_null(base, col))
        return 0;
    return parse_double(PQgetvalue(st->res, st->row, col));
}

static struct ch_str pg_col_text(struct ch_stmt *base, int col)
{
    struct pg_stmt *st = pst_of(base);
    if (pg_is_null(base, col))
        return ch_str_make("", 0);
    return ch_str_make(PQgetvalue(st->res, st->row, col),
                       (size_t)PQgetlength(st->res, st->row, col));
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes bytea hex output ("\x0aff") into b; false on malformed input or no memory. */
static bool decode_hex(struct ch_buf *b, const char *v, size_t len)
{
    if (len < 2 || v[0] != '\\' || v[1] != 'x' || (len - 2) % 2 != 0)
        return false;
    if (ch_buf_reserve(b, (len - 2) / 2) != CH_OK)
        return false;
    for (size_t i = 2; i < len; i += 2) {
        int hi = hex_val(v[i]);
        int lo = hex_val(v[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        (void)ch_buf_append_byte(b, (char)(hi << 4 | lo));
    }
    struct ch_err berr = CH_ERR_INIT;
    return ch_buf_status(b, "decoding a blob", &berr) == CH_OK;
}

static struct ch_str pg_col_blob(struct ch_stmt *base, int col)
{
    struct pg_stmt *st = pst_of(base);
    if (pg_is_null(base, col))
        return ch_str_make("", 0);
    if (PQftype(st->res, col) != PG_BYTEA_OID)
        return pg_col_text(base, col); /* like SQLite: a text value read as a blob */
    if (st->blobs == NULL) {
        int n = PQnfields(st->res);
        st->blobs = ch_calloc((size_t)n, sizeof(*st->blobs));
        if (st->blobs == NULL)
            return ch_str_make("", 0);
        st->n_blobs = n;
        for (int i = 0; i < n; i++)
            ch_buf_init(&st->blobs[i], PG_MAX_BLOB_BYTES);
    }
    if (col >= st->n_blobs)
        return ch_str_make("", 0);
    struct ch_buf *b = &st->blobs[col];
    const char *v = PQgetvalue(st->res, st->row, col);
    size_t len = (size_t)PQgetlength(st->res, st->row, col);
    if (ch_buf_len(b) == 0 && len > 2) {
        if (!decode_hex(b, v, len)) {
            ch_buf_reset(b);
            return ch_str_make("", 0);
        }
    }
    return ch_buf_str(b);
}

/* ---- transactions and migrations ---- */

static int pg_begin(struct ch_store *base, bool write, struct ch_err *err)
{
    struct pg_store *s = pg_of(base);
    int rc = ensure_conn(s, err);
    if (rc != CH_OK)
        return rc;
    /*
     * READ COMMITTED either way: PostgreSQL has no equivalent of SQLite's
     * BEGIN IMMEDIATE, and row locks (SELECT ... FOR UPDATE, ON CONFLICT)
     * are how read-then-write code stays correct here.
     */
    return run_simple(s, write ? "BEGIN ISOLATION LEVEL READ COMMITTED" : "BEGIN",
                      "cannot begin a transaction", err);
}

static int pg_commit(struct ch_store *base, struct ch_err *err)
{
    struct pg_store *s = pg_of(base);
    PGresult *res = PQexec(s->conn, "COMMIT");
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
        return result_error(s, res, "cannot commit", err);
    /* COMMIT of a transaction that saw an error answers ROLLBACK, without an error */
    bool rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
    PQclear(res);
    if (rolled_back)
        return ch_err_set(err, CH_E_CONFLICT,
                          "transaction was rolled back after an error inside it");
    return CH_OK;
}

static void pg_rollback(struct ch_store *base)
{
    struct pg_store *s = pg_of(base);
    if (PQstatus(s->conn) != CONNECTION_OK)
        return; /* the server rolled back when the connection died */
    /* fails only when no transaction is open, which is then the state we want */
    PQclear(PQexec(s->conn, "ROLLBACK"));
}

static int64_t pg_changes(struct ch_store *base)
{
    return pg_of(base)->changes;
}

static int pg_migration_lock(struct ch_store *base, bool lock, struct ch_err *err)
{
    struct pg_store *s = pg_of(base);
    int rc = ensure_conn(s, err);
    if (rc != CH_OK)
        return rc;
    /*
     * A session-level advisory lock, per database: several processes
     * starting at once queue here, and the first applies the migrations.
     * lock_timeout would cut a long wait short, so it is off while waiting.
     */
    if (lock)
        return run_simple(
            s, "SET lock_timeout = 0; SELECT pg_advisory_lock(" PG_MIGRATION_LOCK_KEY ")",
            "cannot take the migration lock", err);
    char sql[96];
    snprintf(sql, sizeof(sql),
             "SELECT pg_advisory_unlock(" PG_MIGRATION_LOCK_KEY "); SET lock_timeout = %d",
             s->lock_timeout_ms);
    return run_simple(s, sql, "cannot release the migration lock", err);
}

static const struct ch_store_ops pg_ops = {
    .name = "postgres",
    .backend = CH_STORE_POSTGRES,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .changes = pg_changes,
    .migration_lock = pg_migration_lock,
    .stmt_free = pg_stmt_free,
    .bind_int = pg_bind_int,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .reset = pg_reset,
    .column_count = pg_column_count,
    .is_null = pg_is_null,
    .col_int = pg_col_int,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
};

int ch_store__pg_open(const char *conninfo, const struct ch_store_options *opts,
                      struct ch_store **ret, struct ch_err *err)
{
    /* Check the URI first: libpq's parse errors quote pieces of it, which may hold a password. */
    char *perr = NULL;
    PQconninfoOption *parsed = PQconninfoParse(conninfo, &perr);
    PQfreemem(perr);
    if (parsed == NULL)
        return ch_err_set(err, CH_E_USAGE, "invalid PostgreSQL URL");
    PQconninfoFree(parsed);

    struct pg_store *s = ch_calloc(1, sizeof(*s));
    if (s == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory opening the database");
    s->base.ops = &pg_ops;
    s->generation = 1;
    s->read_only = opts->read_only;
    s->lock_timeout_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 0;
    /* Later keywords override earlier ones: the URI (dbname, expanded) may override the defaults.
     */
    const char *const keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                                NULL};
    const char *const values[] = {PG_CONNECT_TIMEOUT_S, "clearinghouse", "UTF8", conninfo, NULL};
    s->conn = PQconnectdbParams(keys, values, 1);
    if (s->conn == NULL) {
        ch_free(s);
        return ch_err_set(err, CH_E_NOMEM, "out of memory opening the database");
    }
    int rc = CH_OK;
    if (PQstatus(s->conn) != CONNECTION_OK)
        rc = conn_error(s, CH_E_UNAVAILABLE, "cannot connect to the database", err);
    if (rc == CH_OK) {
        PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
        rc = session_setup(s, err);
    }
    if (rc != CH_OK) {
        pg_close(&s->base);
        return rc;
    }
    *ret = &s->base;
    return CH_OK;
}
