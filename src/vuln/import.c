/* SPDX-License-Identifier: Apache-2.0
 *
 * import.c: the import driver (see import.h). It walks inputs, unpacks
 * archives entry by entry with bounded memory, hands each record to its
 * reader, and writes what the readers deliver through the knowledge-base
 * writer, committing in batches.
 */
#include "vuln/import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/archive.h"
#include "core/arena.h"
#include "core/clock.h"
#include "vuln/csaf.h"
#include "vuln/cve5.h"
#include "vuln/epss.h"
#include "vuln/kev.h"
#include "vuln/osv.h"

/* Per-record arena: a record's strings; reset after each record. */
#define IMPORT_ARENA_MAX ((size_t)256 << 20)
#define PROGRESS_EVERY 1000

struct imp {
    struct ch_store *store;
    const struct ch_import_options *o;
    struct ch_import_stats *st;
    struct ch_kb_writer w;
    struct ch_arena *arena;
    struct ch_buf entry;          /* the current record's bytes */
    size_t in_batch;
    const char *file;             /* for rejects and progress */
    char entry_name[1024];
    uint64_t file_done, file_total;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int record_reject(struct imp *im, const char *file, const char *location,
                         const char *reason, struct ch_err *err)
{
    im->st->rejected++;
    if (im->o->on_reject != NULL)
        im->o->on_reject(im->o->ctx, file, location, reason);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(im->store,
                           "INSERT INTO import_rejects (import_id, file, location, reason)"
                           " VALUES (?, ?, ?, ?)",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, im->st->import_id);
    ch_stmt_bind_cstr(st, 2, file);
    ch_stmt_bind_cstr(st, 3, location);
    ch_stmt_bind_cstr(st, 4, reason);
    return ch_stmt_run(st, err);
}

static void count(struct imp *im, enum ch_kb_outcome o)
{
    switch (o) {
    case CH_KB_ADDED: im->st->added++; break;
    case CH_KB_UPDATED: im->st->updated++; break;
    case CH_KB_UNCHANGED: im->st->unchanged++; break;
    case CH_KB_WITHDRAWN: im->st->withdrawn++; break;
    }
}

static int batch_tick(struct imp *im, struct ch_err *err)
{
    im->st->records++;
    if (im->o->on_progress != NULL && im->st->records % PROGRESS_EVERY == 0)
        im->o->on_progress(im->o->ctx, im->st->records, im->file, im->file_done, im->file_total);
    if (++im->in_batch < im->o->batch)
        return CH_OK;
    im->in_batch = 0;
    int rc = ch_store_commit(im->store, err);
    if (rc == CH_OK)
        rc = ch_store_begin_write(im->store, err);
    return rc;
}

/* ---- sink ---- */

static int sink_advisory(void *ctx, const struct ch_advisory *a, struct ch_err *err)
{
    struct imp *im = ctx;
    enum ch_kb_outcome o;
    int rc = ch_kb_put_advisory(&im->w, a, &o, err);
    if (rc != CH_OK)
        return rc;
    count(im, o);
    return batch_tick(im, err);
}

static int sink_kev(void *ctx, const struct ch_kev_entry *k, struct ch_err *err)
{
    struct imp *im = ctx;
    enum ch_kb_outcome o;
    int rc = ch_kb_put_kev(&im->w, k, &o, err);
    if (rc != CH_OK)
        return rc;
    count(im, o);
    return batch_tick(im, err);
}

static int sink_epss(void *ctx, const struct ch_epss_score *e, struct ch_err *err)
{
    struct imp *im = ctx;
    enum ch_kb_outcome o;
    int rc = ch_kb_put_epss(&im->w, e, &o, err);
    if (rc != CH_OK)
        return rc;
    count(im, o);
    return batch_tick(im, err);
}

static int sink_reject(void *ctx, const char *file, const char *location, const char *reason,
                       struct ch_err *err)
{
    return record_reject(ctx, file, location, reason, err);
}

/* ---- records ---- */

/* Is this error about the input (reject and go on) rather than the database or memory? */
static bool input_error(int rc)
{
    return rc == CH_E_INVALID || rc == CH_E_LIMIT || rc == CH_E_UNSUPPORTED;
}

static int one_record(struct imp *im, const char *label, struct ch_err *fatal)
{
    struct ch_err err = CH_ERR_INIT;
    const char *data = ch_buf_cstr(&im->entry);
    size_t len = ch_buf_len(&im->entry);
    enum ch_feed_format f = im->o->format;
    if (f == CH_FEED_UNKNOWN)
        f = ch_feed_detect(label, data, len < 4096 ? len : 4096);
    struct ch_vuln_sink sink = {sink_advisory, sink_kev, sink_epss, sink_reject, im};
    struct ch_advisory a;
    int rc;
    switch (f) {
    case CH_FEED_OSV:
        rc = ch_osv_read(data, len, label, im->arena, &a, &err);
        if (rc == CH_OK)
            rc = sink_advisory(im, &a, &err);
        break;
    case CH_FEED_CVE5:
        rc = ch_cve5_read(data, len, label, im->arena, &a, &err);
        if (rc == CH_OK)
            rc = sink_advisory(im, &a, &err);
        break;
    case CH_FEED_CSAF:
        rc = ch_csaf_read(data, len, label, im->arena, &sink, &err);
        break;
    case CH_FEED_KEV:
        rc = ch_kev_read(data, len, label, im->arena, &sink, &err);
        break;
    case CH_FEED_EPSS:
        rc = ch_epss_read(data, len, label, im->arena, &sink, &err);
        break;
    default:
        rc = ch_err_set(&err, CH_E_UNSUPPORTED, "%s: not a recognised feed format", label);
        break;
    }
    ch_arena_reset(im->arena);
    if (rc == CH_OK)
        return CH_OK;
    if (!input_error(rc)) {
        ch_err_copy(fatal, &err); /* the database or memory failed: stop */
        return rc;
    }
    return record_reject(im, label, err.field[0] ? err.field : NULL, err.msg, fatal);
}

/* ---- files ---- */

static bool record_name(const char *name)
{
    return ends_with(name, ".json") || ends_with(name, ".csv");
}

static bool archive_name(const char *name)
{
    return ends_with(name, ".zip") || ends_with(name, ".tar") || ends_with(name, ".tar.gz") ||
           ends_with(name, ".tgz") || ends_with(name, ".tar.zst") || ends_with(name, ".tzst");
}

static bool compressed_name(const char *name)
{
    return ends_with(name, ".gz") || ends_with(name, ".zst");
}

static int read_plain(const char *path, struct ch_buf *out, struct ch_err *err)
{
    ch_buf_reset(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    char tmp[65536];
    int rc = CH_OK;
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n < 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (ch_buf_append(out, tmp, (size_t)n) != CH_OK) {
            rc = ch_buf_status(out, path, err);
            break;
        }
    }
    close(fd);
    return rc;
}

/* Reports a damaged file as a reject; returns non-zero only for fatal (store) errors. */
static int file_problem(struct imp *im, const char *path, const struct ch_err *ferr,
                        struct ch_err *err)
{
    return record_reject(im, path, "file", ferr->msg, err);
}

static int do_archive(struct imp *im, const char *path, unsigned flags, struct ch_err *err)
{
    struct ch_err ferr = CH_ERR_INIT;
    struct ch_archive *ar = NULL;
    if (ch_archive_open(path, NULL, flags, &ar, &ferr) != CH_OK)
        return file_problem(im, path, &ferr, err);
    im->file_total = ch_archive_packed_size(ar);
    int rc = CH_OK;
    for (;;) {
        const char *name = NULL;
        int n = ch_archive_next(ar, &name, &ferr);
        if (n < 0) {
            rc = file_problem(im, path, &ferr, err);
            break;
        }
        if (n == 0)
            break;
        bool raw = (flags & CH_ARCHIVE_ALLOW_RAW) != 0;
        if (!raw && !record_name(name))
            continue;
        if (ch_archive_read(ar, &im->entry, &ferr) != CH_OK) {
            rc = file_problem(im, path, &ferr, err);
            break;
        }
        im->file_done = ch_archive_packed_pos(ar);
        if (raw)
            snprintf(im->entry_name, sizeof(im->entry_name), "%s", path);
        else
            snprintf(im->entry_name, sizeof(im->entry_name), "%s:%s", path, name);
        rc = one_record(im, im->entry_name, err);
        if (rc != CH_OK)
            break;
    }
    ch_archive_free(ar);
    return rc;
}

static int do_file(struct imp *im, const char *path, struct ch_err *err)
{
    im->st->files++;
    im->file = path;
    im->file_done = 0;
    im->file_total = 0;
    int rc;
    if (archive_name(path)) {
        rc = do_archive(im, path, 0, err);
    } else if (compressed_name(path)) {
        rc = do_archive(im, path, CH_ARCHIVE_ALLOW_RAW, err);
    } else {
        struct ch_err ferr = CH_ERR_INIT;
        if (read_plain(path, &im->entry, &ferr) != CH_OK)
            return file_problem(im, path, &ferr, err);
        rc = one_record(im, path, err);
    }
    if (rc == CH_OK && im->o->on_progress != NULL)
        im->o->on_progress(im->o->ctx, im->st->records, path, im->file_total, im->file_total);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_path(struct imp *im, const char *path, unsigned depth, struct ch_err *err);

static int do_dir(struct imp *im, const char *path, unsigned depth, struct ch_err *err)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        struct ch_err ferr = CH_ERR_INIT;
        ch_err_set(&ferr, CH_E_IO, "cannot open directory '%s': %s", path, strerror(errno));
        return file_problem(im, path, &ferr, err);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = CH_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2;
            char **nn = ch_reallocarray(names, ncap, sizeof(*names));
            if (nn == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory walking '%s'", path);
                break;
            }
            names = nn;
            cap = ncap;
        }
        names[n] = ch_strdup(e->d_name);
        if (names[n] == NULL) {
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory walking '%s'", path);
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == CH_OK && n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *child = ch_malloc(len);
        if (child == NULL) {
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory walking '%s'", path);
            break;
        }
        snprintf(child, len, "%s/%s", path, names[i]);
        rc = do_path(im, child, depth + 1, err);
        ch_free(child);
    }
    for (size_t i = 0; i < n; i++)
        ch_free(names[i]);
    ch_free(names);
    return rc;
}

static int do_path(struct imp *im, const char *path, unsigned depth, struct ch_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        struct ch_err ferr = CH_ERR_INIT;
        ch_err_set(&ferr, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
        return file_problem(im, path, &ferr, err);
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= CH_IMPORT_MAX_DEPTH) {
            struct ch_err ferr = CH_ERR_INIT;
            ch_err_set(&ferr, CH_E_LIMIT, "'%s': deeper than %d directories", path,
                       CH_IMPORT_MAX_DEPTH);
            return file_problem(im, path, &ferr, err);
        }
        return do_dir(im, path, depth, err);
    }
    if (!S_ISREG(st.st_mode))
        return CH_OK;
    /* inside a walked directory only known file types count; named files always do */
    if (depth > 0 && !record_name(path) && !archive_name(path) && !compressed_name(path))
        return CH_OK;
    if (im->st->files >= CH_IMPORT_MAX_FILES) {
        struct ch_err ferr = CH_ERR_INIT;
        ch_err_set(&ferr, CH_E_LIMIT, "more than %d files", CH_IMPORT_MAX_FILES);
        return file_problem(im, path, &ferr, err);
    }
    return do_file(im, path, err);
}

/* ---- run ---- */

static int start_run(struct imp *im, const char *const *paths, size_t n, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < n; i++)
        (void)ch_buf_appendf(&b, "%s%s", i ? " " : "", paths[i]);
    struct ch_stmt *st = NULL;
    int rc = ch_buf_status(&b, "path list", err);
    if (rc == CH_OK)
        rc = ch_store_prepare(im->store,
                              "INSERT INTO imports (started_at, paths) VALUES (?, ?) RETURNING id",
                              &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, im->o->now);
        ch_stmt_bind_str(st, 2, ch_buf_str(&b));
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            im->st->import_id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_DB, "cannot record the import");
        }
        ch_stmt_free(st);
    }
    ch_buf_release(&b);
    return rc;
}

static int finish_run(struct imp *im, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(im->store,
                              "UPDATE imports SET finished_at = ?, added = ?, updated = ?,"
                              " unchanged = ?, withdrawn = ?, rejected = ? WHERE id = ?",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, im->o->now);
    ch_stmt_bind_int(st, 2, (int64_t)im->st->added);
    ch_stmt_bind_int(st, 3, (int64_t)im->st->updated);
    ch_stmt_bind_int(st, 4, (int64_t)im->st->unchanged);
    ch_stmt_bind_int(st, 5, (int64_t)im->st->withdrawn);
    ch_stmt_bind_int(st, 6, (int64_t)im->st->rejected);
    ch_stmt_bind_int(st, 7, im->st->import_id);
    rc = ch_stmt_run(st, err);
    ch_stmt_free(st);
    return rc;
}

int ch_import_paths(struct ch_store *s, const char *const *paths, size_t n_paths,
                    const struct ch_import_options *opts, struct ch_import_stats *ret,
                    struct ch_err *err)
{
    struct ch_import_options o = *opts;
    if (o.batch == 0)
        o.batch = CH_IMPORT_DEFAULT_BATCH;
    if (o.score == NULL)
        o.score = ch_kb_score_cvss;
    struct ch_import_stats st = {0};
    struct imp im = {.store = s, .o = &o, .st = &st};
    int64_t t0 = ch_clock_mono_ns();
    im.arena = ch_arena_new(IMPORT_ARENA_MAX);
    if (im.arena == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory starting the import");
    ch_buf_init(&im.entry, CH_ARCHIVE_DEFAULT_MAX_ENTRY > CH_IMPORT_MAX_FILE_BYTES
                               ? CH_ARCHIVE_DEFAULT_MAX_ENTRY
                               : CH_IMPORT_MAX_FILE_BYTES);
    ch_kb_writer_init(&im.w, s, o.now, o.score);
    int rc = start_run(&im, paths, n_paths, err);
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    for (size_t i = 0; rc == CH_OK && i < n_paths; i++)
        rc = do_path(&im, paths[i], 0, err);
    if (rc == CH_OK)
        rc = finish_run(&im, err);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else if (ch_store_in_tx(s))
        ch_store_rollback(s);
    ch_kb_writer_release(&im.w);
    ch_buf_release(&im.entry);
    ch_arena_free(im.arena);
    st.seconds = (double)(ch_clock_mono_ns() - t0) / 1e9;
    *ret = st;
    return rc;
}
