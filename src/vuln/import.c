/* SPDX-License-Identifier: Apache-2.0
 *
 * import.c: the import driver (see import.h).
 *
 * Two threads share the work, so that both cores of a small machine are
 * busy: a reader thread walks the inputs, unpacks archives entry by entry
 * and parses each record; the calling thread writes what it parsed through
 * the knowledge-base writer, in order, committing in batches. They meet in
 * a bounded queue (by items and by bytes), so memory stays bounded whatever
 * the feed's size. Formats whose readers deliver several records per
 * document through a sink (CSAF, KEV, EPSS) are passed as raw documents and
 * parsed by the writer thread, which owns the sink.
 */
#include "vuln/import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/archive.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/map.h"
#include "vuln/csaf.h"
#include "vuln/cve5.h"
#include "vuln/epss.h"
#include "vuln/kev.h"
#include "vuln/osv.h"

/* Per-record arena: a record's strings (the largest real record needs a few MB). */
#define IMPORT_ARENA_MAX ((size_t)256 << 20)
#define PROGRESS_EVERY 1000
/* Records parsed ahead of the writer, and the bytes they may hold. */
#define QUEUE_ITEMS 512
#define QUEUE_BYTES ((size_t)32 << 20)

enum item_kind {
    IT_UNCHANGED,  /* byte-identical to a stored record: nothing to parse or write */
    IT_ADVISORY,   /* parsed: adv, arena, data */
    IT_RAW,        /* to parse on the writer: data, fmt */
    IT_REJECT,     /* label, location, reason */
};

struct item {
    enum item_kind kind;
    char *label;
    char *data;                /* the record's bytes; adv.raw points here */
    size_t len;
    enum ch_feed_format fmt;
    struct ch_arena *arena;
    struct ch_advisory adv;
    struct ch_kb_prepared prep;   /* derived values, computed on the reading thread */
    char *location;
    char *reason;
    const char *file;          /* borrowed from the walk (lives until the run ends) */
    uint64_t file_done, file_total;
};

struct queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct item *ring[QUEUE_ITEMS];
    size_t head, count, bytes;
    int closed;                /* the reader has finished */
    int cancelled;             /* the writer has failed: stop reading */
};

/* The reader thread's state. */
struct reader {
    const char *const *paths;
    size_t n_paths;
    const struct ch_import_options *o;
    struct queue *q;
    struct ch_buf entry;
    uint64_t files;
    const char *file;
    uint64_t file_done, file_total;
    const struct ch_map *known;    /* content hashes already stored (read-only here) */
    int rc;                    /* fatal error (memory), reported by the writer */
    struct ch_err err;
};

/* The writer's state. */
struct writer {
    struct ch_store *store;
    const struct ch_import_options *o;
    struct ch_import_stats *st;
    struct ch_kb_writer w;
    struct ch_arena *arena;    /* for records parsed on this thread */
    size_t in_batch;
    const char *file;
    uint64_t file_done, file_total;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool input_error(int rc)
{
    return rc == CH_E_INVALID || rc == CH_E_LIMIT || rc == CH_E_UNSUPPORTED;
}

static void item_free(struct item *it)
{
    if (it == NULL)
        return;
    ch_free(it->label);
    ch_free(it->data);
    ch_arena_free(it->arena);
    ch_free(it->location);
    ch_free(it->reason);
    ch_free(it);
}

/* ---- queue ---- */

static void queue_init(struct queue *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
}

static void queue_destroy(struct queue *q)
{
    while (q->count > 0) {
        item_free(q->ring[q->head]);
        q->head = (q->head + 1) % QUEUE_ITEMS;
        q->count--;
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
}

/* Takes ownership of it. CH_E_CONFLICT when the writer has given up. */
static int queue_push(struct queue *q, struct item *it)
{
    pthread_mutex_lock(&q->mu);
    while (!q->cancelled &&
           (q->count == QUEUE_ITEMS || (q->count > 0 && q->bytes + it->len > QUEUE_BYTES)))
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->cancelled) {
        pthread_mutex_unlock(&q->mu);
        item_free(it);
        return CH_E_CONFLICT;
    }
    q->ring[(q->head + q->count) % QUEUE_ITEMS] = it;
    q->count++;
    q->bytes += it->len;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return CH_OK;
}

/* The next item, or NULL when the reader has finished and the queue is empty. */
static struct item *queue_pop(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    struct item *it = NULL;
    if (q->count > 0) {
        it = q->ring[q->head];
        q->head = (q->head + 1) % QUEUE_ITEMS;
        q->count--;
        q->bytes -= it->len;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->mu);
    return it;
}

static void queue_close(struct queue *q, int cancel)
{
    pthread_mutex_lock(&q->mu);
    if (cancel)
        q->cancelled = 1;
    else
        q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

/* ---- reader thread ---- */

static int nomem(struct reader *r)
{
    r->rc = ch_err_set(&r->err, CH_E_NOMEM, "out of memory reading feeds");
    return r->rc;
}

static struct item *new_item(struct reader *r, enum item_kind kind, const char *label)
{
    struct item *it = ch_calloc(1, sizeof(*it));
    if (it == NULL)
        return NULL;
    it->kind = kind;
    it->label = ch_strdup(label);
    it->file = r->file;
    it->file_done = r->file_done;
    it->file_total = r->file_total;
    if (it->label == NULL) {
        ch_free(it);
        return NULL;
    }
    return it;
}

static int push_reject(struct reader *r, const char *label, const char *location,
                       const char *reason)
{
    struct item *it = new_item(r, IT_REJECT, label);
    if (it == NULL)
        return nomem(r);
    it->location = location != NULL ? ch_strdup(location) : NULL;
    it->reason = ch_strdup(reason);
    if (it->reason == NULL || (location != NULL && it->location == NULL)) {
        item_free(it);
        return nomem(r);
    }
    return queue_push(r->q, it);
}

/* Moves the current entry's bytes into the item. */
static int take_entry(struct reader *r, struct item *it)
{
    size_t len = 0;
    it->data = ch_buf_take(&r->entry, &len);
    if (it->data == NULL)
        return CH_E_NOMEM;
    it->len = len;
    return CH_OK;
}

static int parse_advisory(enum ch_feed_format f, struct item *it, struct ch_err *err)
{
    if (f == CH_FEED_CVE5)
        return ch_cve5_read(it->data, it->len, it->label, it->arena, &it->adv, err);
    return ch_osv_read(it->data, it->len, it->label, it->arena, &it->adv, err);
}

/* The content hash the knowledge base stores (kb.c computes it the same way). */
static void content_hash(const char *data, size_t len, char out[33])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof(h), (const unsigned char *)data, len, NULL, 0);
    sodium_bin2hex(out, 33, h, sizeof(h));
}

static int reader_record(struct reader *r, const char *label)
{
    const char *data = ch_buf_cstr(&r->entry);
    size_t len = ch_buf_len(&r->entry);
    if (r->known != NULL && ch_map_count(r->known) > 0) {
        /* re-imports of unchanged feeds skip parsing entirely */
        char hash[33];
        content_hash(data, len, hash);
        if (ch_map_has(r->known, ch_str_make(hash, 32))) {
            struct item *u = new_item(r, IT_UNCHANGED, label);
            if (u == NULL)
                return nomem(r);
            ch_buf_reset(&r->entry);
            return queue_push(r->q, u);
        }
    }
    enum ch_feed_format f = r->o->format;
    if (f == CH_FEED_UNKNOWN) {
        f = ch_feed_detect(label, data, len < 4096 ? len : 4096);
        /*
         * Detection reads only the head, and records with sorted keys put
         * their distinctive members late (a CVE record's cveMetadata comes
         * after its containers), so look for a CVE record's markers whole.
         */
        if ((f == CH_FEED_UNKNOWN || f == CH_FEED_OSV) &&
            memmem(data, len, "\"cveMetadata\"", 13) != NULL &&
            memmem(data, len, "\"CVE_RECORD\"", 12) != NULL)
            f = CH_FEED_CVE5;
        /* a ROLIE feed (an index of CSAF documents) is not a record: skip it */
        if (f == CH_FEED_UNKNOWN && memmem(data, len < 4096 ? len : 4096, "\"feed\"", 6) != NULL &&
            memmem(data, len, "\"entry\"", 7) != NULL) {
            ch_buf_reset(&r->entry);
            return CH_OK;
        }
    }
    bool advisory = f == CH_FEED_OSV || f == CH_FEED_CVE5 || f == CH_FEED_UNKNOWN;
    struct item *it = new_item(r, advisory ? IT_ADVISORY : IT_RAW, label);
    if (it == NULL || take_entry(r, it) != CH_OK) {
        item_free(it);
        return nomem(r);
    }
    it->fmt = f;
    if (!advisory)
        return queue_push(r->q, it);
    it->arena = ch_arena_new(IMPORT_ARENA_MAX);
    if (it->arena == NULL) {
        item_free(it);
        return nomem(r);
    }
    struct ch_err perr = CH_ERR_INIT;
    /*
     * Detection reads only the head of a record, and OSV records with sorted
     * keys can put "id" far down. OSV is the only format without a
     * distinctive marker, so an undetected record is tried as OSV.
     */
    int rc = parse_advisory(f, it, &perr);
    if (rc == CH_OK)
        rc = ch_kb_prepare(&it->adv, r->o->score, it->arena, &it->prep, &perr);
    if (rc == CH_OK)
        return queue_push(r->q, it);
    item_free(it);
    if (rc == CH_E_NOMEM)
        return nomem(r);
    if (f == CH_FEED_UNKNOWN) {
        ch_err_clear(&perr);
        ch_err_set(&perr, CH_E_UNSUPPORTED, "%s: not a recognised feed format", label);
    }
    return push_reject(r, label, perr.field[0] ? perr.field : NULL, perr.msg);
}

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

static int file_problem(struct reader *r, const char *path, const struct ch_err *ferr)
{
    if (ferr->rc == CH_E_NOMEM)
        return nomem(r);
    return push_reject(r, path, "file", ferr->msg);
}

static int reader_archive(struct reader *r, const char *path, unsigned flags)
{
    struct ch_err ferr = CH_ERR_INIT;
    struct ch_archive *ar = NULL;
    if (ch_archive_open(path, NULL, flags, &ar, &ferr) != CH_OK)
        return file_problem(r, path, &ferr);
    r->file_total = ch_archive_packed_size(ar);
    bool raw = (flags & CH_ARCHIVE_ALLOW_RAW) != 0;
    int rc = CH_OK;
    char label[1024];
    for (;;) {
        const char *name = NULL;
        int n = ch_archive_next(ar, &name, &ferr);
        if (n < 0) {
            rc = file_problem(r, path, &ferr);
            break;
        }
        if (n == 0)
            break;
        if (!raw && !record_name(name))
            continue;
        if (ch_archive_read(ar, &r->entry, &ferr) != CH_OK) {
            rc = file_problem(r, path, &ferr);
            break;
        }
        r->file_done = ch_archive_packed_pos(ar);
        if (raw)
            snprintf(label, sizeof(label), "%s", path);
        else
            snprintf(label, sizeof(label), "%s:%s", path, name);
        rc = reader_record(r, label);
        if (rc != CH_OK)
            break;
    }
    ch_archive_free(ar);
    return rc;
}

static int reader_file(struct reader *r, const char *path)
{
    r->files++;
    r->file = path;
    r->file_done = 0;
    r->file_total = 0;
    if (archive_name(path))
        return reader_archive(r, path, 0);
    if (compressed_name(path))
        return reader_archive(r, path, CH_ARCHIVE_ALLOW_RAW);
    struct ch_err ferr = CH_ERR_INIT;
    if (read_plain(path, &r->entry, &ferr) != CH_OK)
        return file_problem(r, path, &ferr);
    return reader_record(r, path);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int reader_path(struct reader *r, const char *path, unsigned depth);

/* Sorted names in a directory; *ret_names owned by the caller (ch_free each and the array). */
static int list_dir(const char *path, char ***ret_names, size_t *ret_n, struct ch_err *err)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open directory '%s': %s", path, strerror(errno));
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
                rc = CH_E_NOMEM;
                break;
            }
            names = nn;
            cap = ncap;
        }
        names[n] = ch_strdup(e->d_name);
        if (names[n] == NULL) {
            rc = CH_E_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == CH_OK && n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    if (rc != CH_OK) {
        for (size_t i = 0; i < n; i++)
            ch_free(names[i]);
        ch_free(names);
        return ch_err_set(err, CH_E_NOMEM, "out of memory walking '%s'", path);
    }
    *ret_names = names;
    *ret_n = n;
    return CH_OK;
}

static int reader_dir(struct reader *r, const char *path, unsigned depth)
{
    char **names = NULL;
    size_t n = 0;
    struct ch_err derr = CH_ERR_INIT;
    if (list_dir(path, &names, &n, &derr) != CH_OK)
        return file_problem(r, path, &derr);
    int rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *child = ch_malloc(len);
        if (child == NULL) {
            rc = nomem(r);
            break;
        }
        snprintf(child, len, "%s/%s", path, names[i]);
        rc = reader_path(r, child, depth + 1);
        ch_free(child);
    }
    for (size_t i = 0; i < n; i++)
        ch_free(names[i]);
    ch_free(names);
    return rc;
}

static int reader_path(struct reader *r, const char *path, unsigned depth)
{
    struct stat st;
    struct ch_err ferr = CH_ERR_INIT;
    if (stat(path, &st) != 0) {
        ch_err_set(&ferr, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
        return file_problem(r, path, &ferr);
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= CH_IMPORT_MAX_DEPTH) {
            ch_err_set(&ferr, CH_E_LIMIT, "'%s': deeper than %d directories", path,
                       CH_IMPORT_MAX_DEPTH);
            return file_problem(r, path, &ferr);
        }
        return reader_dir(r, path, depth);
    }
    if (!S_ISREG(st.st_mode))
        return CH_OK;
    /* inside a walked directory only known file types count; named files always do */
    if (depth > 0 && !record_name(path) && !archive_name(path) && !compressed_name(path))
        return CH_OK;
    if (r->files >= CH_IMPORT_MAX_FILES) {
        ch_err_set(&ferr, CH_E_LIMIT, "more than %d files", CH_IMPORT_MAX_FILES);
        return file_problem(r, path, &ferr);
    }
    return reader_file(r, path);
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    for (size_t i = 0; i < r->n_paths; i++) {
        if (reader_path(r, r->paths[i], 0) != CH_OK)
            break;
    }
    queue_close(r->q, 0);
    return NULL;
}

/* ---- writer (calling thread) ---- */

static int record_reject(struct writer *wr, const char *file, const char *location,
                         const char *reason, struct ch_err *err)
{
    wr->st->rejected++;
    if (wr->o->on_reject != NULL)
        wr->o->on_reject(wr->o->ctx, file, location, reason);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(wr->store,
                           "INSERT INTO import_rejects (import_id, file, location, reason)"
                           " VALUES (?, ?, ?, ?)",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, wr->st->import_id);
    ch_stmt_bind_cstr(st, 2, file);
    ch_stmt_bind_cstr(st, 3, location);
    ch_stmt_bind_cstr(st, 4, reason);
    return ch_stmt_run(st, err);
}

static void count(struct writer *wr, enum ch_kb_outcome o)
{
    switch (o) {
    case CH_KB_ADDED: wr->st->added++; break;
    case CH_KB_UPDATED: wr->st->updated++; break;
    case CH_KB_UNCHANGED: wr->st->unchanged++; break;
    case CH_KB_WITHDRAWN: wr->st->withdrawn++; break;
    }
}

static int batch_tick(struct writer *wr, struct ch_err *err)
{
    wr->st->records++;
    if (wr->o->on_progress != NULL && wr->st->records % PROGRESS_EVERY == 0)
        wr->o->on_progress(wr->o->ctx, wr->st->records, wr->file, wr->file_done, wr->file_total);
    if (++wr->in_batch < wr->o->batch)
        return CH_OK;
    wr->in_batch = 0;
    int rc = ch_store_commit(wr->store, err);
    if (rc == CH_OK)
        rc = ch_store_begin_write(wr->store, err);
    return rc;
}

static int sink_advisory(void *ctx, const struct ch_advisory *a, struct ch_err *err)
{
    struct writer *wr = ctx;
    enum ch_kb_outcome o;
    int rc = ch_kb_put_advisory(&wr->w, a, &o, err);
    if (rc != CH_OK)
        return rc;
    count(wr, o);
    return batch_tick(wr, err);
}

static int sink_kev(void *ctx, const struct ch_kev_entry *k, struct ch_err *err)
{
    struct writer *wr = ctx;
    enum ch_kb_outcome o;
    int rc = ch_kb_put_kev(&wr->w, k, &o, err);
    if (rc != CH_OK)
        return rc;
    count(wr, o);
    return batch_tick(wr, err);
}

static int sink_epss(void *ctx, const struct ch_epss_score *e, struct ch_err *err)
{
    struct writer *wr = ctx;
    enum ch_kb_outcome o;
    int rc = ch_kb_put_epss(&wr->w, e, &o, err);
    if (rc != CH_OK)
        return rc;
    count(wr, o);
    return batch_tick(wr, err);
}

static int sink_reject(void *ctx, const char *file, const char *location, const char *reason,
                       struct ch_err *err)
{
    return record_reject(ctx, file, location, reason, err);
}

/* A raw document (CSAF, KEV, EPSS): parsed here, records delivered through the sink. */
static int write_raw(struct writer *wr, struct item *it, struct ch_err *err)
{
    struct ch_vuln_sink sink = {sink_advisory, sink_kev, sink_epss, sink_reject, wr};
    struct ch_err perr = CH_ERR_INIT;
    int rc;
    switch (it->fmt) {
    case CH_FEED_CSAF:
        rc = ch_csaf_read(it->data, it->len, it->label, wr->arena, &sink, &perr);
        break;
    case CH_FEED_KEV:
        rc = ch_kev_read(it->data, it->len, it->label, wr->arena, &sink, &perr);
        break;
    case CH_FEED_EPSS:
        rc = ch_epss_read(it->data, it->len, it->label, wr->arena, &sink, &perr);
        break;
    default:
        rc = ch_err_set(&perr, CH_E_UNSUPPORTED, "%s: not a recognised feed format", it->label);
        break;
    }
    ch_arena_reset(wr->arena);
    if (rc >= 0)
        return CH_OK; /* readers return how many records they delivered */
    if (!input_error(rc)) {
        ch_err_copy(err, &perr);
        return rc;
    }
    return record_reject(wr, it->label, perr.field[0] ? perr.field : NULL, perr.msg, err);
}

static int write_item(struct writer *wr, struct item *it, struct ch_err *err)
{
    wr->file = it->file;
    wr->file_done = it->file_done;
    wr->file_total = it->file_total;
    switch (it->kind) {
    case IT_UNCHANGED:
        count(wr, CH_KB_UNCHANGED);
        return batch_tick(wr, err);
    case IT_ADVISORY: {
        enum ch_kb_outcome o;
        int rc = ch_kb_put_prepared(&wr->w, &it->adv, &it->prep, &o, err);
        if (rc != CH_OK)
            return rc;
        count(wr, o);
        return batch_tick(wr, err);
    }
    case IT_RAW: return write_raw(wr, it, err);
    case IT_REJECT: return record_reject(wr, it->label, it->location, it->reason, err);
    }
    return ch_err_set(err, CH_E_INTERNAL, "unknown import item");
}

static int start_run(struct writer *wr, const char *const *paths, size_t n, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < n; i++)
        (void)ch_buf_appendf(&b, "%s%s", i ? " " : "", paths[i]);
    struct ch_stmt *st = NULL;
    int rc = ch_buf_status(&b, "path list", err);
    if (rc == CH_OK)
        rc = ch_store_prepare(wr->store,
                              "INSERT INTO imports (started_at, paths) VALUES (?, ?) RETURNING id",
                              &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, wr->o->now);
        ch_stmt_bind_str(st, 2, ch_buf_str(&b));
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            wr->st->import_id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_DB, "cannot record the import");
        }
        ch_stmt_free(st);
    }
    ch_buf_release(&b);
    return rc;
}

static int finish_run(struct writer *wr, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(wr->store,
                              "UPDATE imports SET finished_at = ?, added = ?, updated = ?,"
                              " unchanged = ?, withdrawn = ?, rejected = ? WHERE id = ?",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, wr->o->now);
    ch_stmt_bind_int(st, 2, (int64_t)wr->st->added);
    ch_stmt_bind_int(st, 3, (int64_t)wr->st->updated);
    ch_stmt_bind_int(st, 4, (int64_t)wr->st->unchanged);
    ch_stmt_bind_int(st, 5, (int64_t)wr->st->withdrawn);
    ch_stmt_bind_int(st, 6, (int64_t)wr->st->rejected);
    ch_stmt_bind_int(st, 7, wr->st->import_id);
    rc = ch_stmt_run(st, err);
    ch_stmt_free(st);
    return rc;
}

static void no_free(void *p)
{
    (void)p;
}

/* Hashes of every stored record, so the reader can skip unchanged ones. */
static int load_known(struct ch_store *s, struct ch_map **ret, struct ch_err *err)
{
    struct ch_map *m = ch_map_new(0x6b6e6f77, no_free);
    if (m == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory loading record hashes");
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s, "SELECT content_hash FROM advisories", &st, err);
    while (rc == CH_OK && (rc = ch_stmt_step(st, err)) == 1) {
        rc = ch_map_put(m, ch_stmt_text(st, 0), NULL) == CH_OK
                 ? CH_OK
                 : ch_err_set(err, CH_E_NOMEM, "out of memory loading record hashes");
    }
    ch_stmt_free(st);
    if (rc < 0) {
        ch_map_free(m);
        return rc;
    }
    *ret = m;
    return CH_OK;
}

/* Drains the queue into the store; stops at the first database error. */
static int write_all(struct writer *wr, struct queue *q, struct ch_err *err)
{
    int rc = CH_OK;
    struct item *it;
    while ((it = queue_pop(q)) != NULL) {
        if (rc == CH_OK)
            rc = write_item(wr, it, err);
        item_free(it);
        if (rc != CH_OK)
            queue_close(q, 1); /* let the reader stop; keep draining to free items */
    }
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
    struct writer wr = {.store = s, .o = &o, .st = &st};
    int64_t t0 = ch_clock_mono_ns();
    wr.arena = ch_arena_new(IMPORT_ARENA_MAX);
    if (wr.arena == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory starting the import");
    ch_kb_writer_init(&wr.w, s, o.now, o.score);
    struct queue q;
    queue_init(&q);
    struct reader rd = {.paths = paths, .n_paths = n_paths, .o = &o, .q = &q};
    ch_buf_init(&rd.entry, CH_ARCHIVE_DEFAULT_MAX_ENTRY > CH_IMPORT_MAX_FILE_BYTES
                               ? CH_ARCHIVE_DEFAULT_MAX_ENTRY
                               : CH_IMPORT_MAX_FILE_BYTES);
    /* a hint: inside a caller's transaction it cannot be given, and the import runs as it is */
    struct ch_err merr = CH_ERR_INIT;
    bool unmapped = ch_store_map_reads(s, false, &merr) == CH_OK;
    struct ch_map *known = NULL;
    int rc = load_known(s, &known, err);
    rd.known = known;
    if (rc == CH_OK)
        rc = start_run(&wr, paths, n_paths, err);
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    pthread_t thread;
    bool started = false;
    if (rc == CH_OK) {
        started = pthread_create(&thread, NULL, reader_main, &rd) == 0;
        if (!started)
            rc = ch_err_set(err, CH_E_INTERNAL, "cannot start the reader thread");
    }
    if (rc == CH_OK)
        rc = write_all(&wr, &q, err);
    if (started) {
        if (rc != CH_OK)
            queue_close(&q, 1);
        pthread_join(thread, NULL);
    }
    if (rc == CH_OK && rd.rc != CH_OK) {
        ch_err_copy(err, &rd.err);
        rc = rd.rc;
    }
    st.files = rd.files;
    if (rc == CH_OK)
        rc = finish_run(&wr, err);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else if (ch_store_in_tx(s))
        ch_store_rollback(s);
    if (wr.o->on_progress != NULL && rc == CH_OK)
        wr.o->on_progress(wr.o->ctx, st.records, "", 1, 1);
    if (unmapped)
        CH_IGNORE(ch_store_map_reads(s, true, &merr));
    queue_destroy(&q);
    ch_map_free(known);
    ch_kb_writer_release(&wr.w);
    ch_buf_release(&rd.entry);
    ch_arena_free(wr.arena);
    st.seconds = (double)(ch_clock_mono_ns() - t0) / 1e9;
    *ret = st;
    return rc;
}
