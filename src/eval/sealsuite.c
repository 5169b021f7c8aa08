/* SPDX-License-Identifier: Apache-2.0
 *
 * sealsuite.c: suites sealed in the store (contract in sealsuite.h).
 *
 * Design: sealing reuses the directory loader's verdict (the caller loads
 * with check_files) and re-checks each file's SHA-256 as it reads it, so
 * what is sealed is exactly what was verified. Loading is the directory
 * loader again with a read callback that opens sealed objects: there is one
 * parser and one set of checks for both. A file shared by several tasks is
 * sealed once (a set of the "src" paths already stored).
 */
#include "eval/sealsuite.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/map.h"
#include "eval/seal.h"
#include "store/store.h"

/* "SUITE_ID/" + a relative path. */
#define NAME_MAX_BYTES (CH_SUITE_MAX_ID + 1 + CH_SUITE_MAX_PATH + 1)

const char *ch_sealsuite_ref(const char *ref)
{
    size_t n = strlen(CH_SEALSUITE_PREFIX);
    if (ref == NULL || strncmp(ref, CH_SEALSUITE_PREFIX, n) != 0)
        return NULL;
    return ref + n;
}

static int object_name(const char *id, const char *rel, char *buf, struct ch_err *err)
{
    int n = snprintf(buf, NAME_MAX_BYTES, "%s/%s", id, rel);
    if (n < 0 || (size_t)n >= NAME_MAX_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "sealed suite object name too long");
    return CH_OK;
}

/* ---- sealing ---------------------------------------------------------------------------- */

struct put_ctx {
    struct ch_store *s;
    const struct ch_keys *keys;
    const struct ch_eval_actor *a;
    const struct ch_suite *suite;
    int64_t now;
    struct ch_map *done; /* src paths sealed so far */
    struct ch_sealsuite_info info;
};

static int put_object(struct put_ctx *c, const char *rel, const struct ch_buf *data,
                      struct ch_err *err)
{
    char name[NAME_MAX_BYTES];
    int rc = object_name(c->suite->id, rel, name, err);
    if (rc != CH_OK)
        return rc;
    struct ch_sealed_new o = {.kind = CH_SEALED_SUITE,
                              .name = name,
                              .classification = c->info.classification,
                              .data = data->ptr,
                              .len = ch_buf_len(data)};
    rc = ch_sealed_put(c->s, c->keys, c->a, &o, c->now, NULL, err);
    if (rc == CH_OK) {
        c->info.n_objects++;
        c->info.bytes += ch_buf_len(data);
    }
    return rc;
}

/* Reads a file, checks it against the hash the document records, seals it. */
static int put_files(struct put_ctx *c, const struct ch_task_file *files, size_t n,
                     struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, (size_t)CH_SUITE_MAX_FILE_BYTES);
    int rc = CH_OK;
    for (size_t i = 0; i < n && rc == CH_OK; i++) {
        const struct ch_task_file *f = &files[i];
        if (f->src == NULL || ch_map_has(c->done, ch_str_c(f->src)))
            continue;
        if (strcmp(f->src, CH_SEALSUITE_DOCUMENT) == 0) {
            rc = ch_err_set(err, CH_E_INVALID,
                            "task file '%s' has the name the suite document takes when sealed",
                            f->src);
            break;
        }
        if (f->host_path == NULL) {
            rc = ch_err_set(err, CH_E_INVALID, "task file '%s' is not on disk", f->src);
            break;
        }
        rc = ch_file_read(f->host_path, (size_t)CH_SUITE_MAX_FILE_BYTES, &b, err);
        char got[65];
        if (rc == CH_OK) {
            ch_sha256_hex(b.ptr != NULL ? b.ptr : "", ch_buf_len(&b), got);
            if (strcmp(got, f->sha256) != 0)
                rc = ch_err_set(err, CH_E_CONFLICT, "'%s' changed since the suite was checked",
                                f->src);
        }
        if (rc == CH_OK)
            rc = put_object(c, f->src, &b, err);
        if (rc == CH_OK && ch_map_put(c->done, ch_str_c(f->src), NULL) != CH_OK)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        ch_seal_buf_wipe(&b);
        ch_buf_init(&b, (size_t)CH_SUITE_MAX_FILE_BYTES);
    }
    ch_buf_release(&b);
    return rc;
}

static int put_all(struct put_ctx *c, const struct ch_buf *doc, struct ch_err *err)
{
    const struct ch_suite *su = c->suite;
    int rc = put_object(c, CH_SEALSUITE_DOCUMENT, doc, err);
    for (size_t i = 0; i < su->n_tasks && rc == CH_OK; i++) {
        const struct ch_task *t = &su->tasks[i];
        rc = put_files(c, t->env.files, t->env.n_files, err);
        if (rc == CH_OK && t->scorer.kind == CH_SCORER_POV)
            rc = put_files(c, t->scorer.pov.files, t->scorer.pov.n_files, err);
    }
    if (rc == CH_OK)
        rc = put_files(c, su->provenance.files, su->provenance.n_files, err);
    return rc;
}

/*
 * Whether this document is sealed under the suite's id already (*ret_already),
 * CH_E_CONFLICT when another one is. Comparing means opening it: audited.
 */
static int check_sealed(struct put_ctx *c, bool *ret_already, struct ch_err *err)
{
    char name[NAME_MAX_BYTES];
    int rc = object_name(c->suite->id, CH_SEALSUITE_DOCUMENT, name, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(
            c->s, "SELECT classification FROM eval_sealed WHERE kind = 'suite' AND name = ?", &st,
            err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, name);
    rc = ch_stmt_step(st, err);
    enum ch_clearance sealed_as = CH_CLEAR_TOP_SECRET;
    if (rc == 1 && ch_clearance_parse(ch_stmt_cstr(st, 0), &sealed_as) != CH_OK)
        sealed_as = CH_CLEAR_TOP_SECRET;
    ch_stmt_reset(st);
    if (rc <= 0) {
        *ret_already = false;
        return rc;
    }
    struct ch_buf doc;
    ch_buf_init(&doc, CH_SUITE_MAX_BYTES);
    struct ch_err oerr = CH_ERR_INIT;
    rc = ch_sealed_open(c->s, c->keys, c->a, CH_SEALED_SUITE, name, CH_SEALED_FOR_READER, c->now,
                        &doc, &oerr);
    bool same = false;
    if (rc == CH_OK) {
        char got[65];
        ch_sha256_hex(doc.ptr != NULL ? doc.ptr : "", ch_buf_len(&doc), got);
        same = strcmp(got, c->suite->sha256) == 0;
    }
    ch_seal_buf_wipe(&doc);
    if (rc != CH_OK && rc != CH_E_NOTFOUND) {
        *err = oerr;
        return rc;
    }
    if (!same)
        return ch_err_set(err, CH_E_CONFLICT,
                          "suite '%s' is sealed already with another document (seal a new "
                          "version under another id)",
                          c->suite->id);
    if (sealed_as != c->info.classification)
        return ch_err_set(err, CH_E_CONFLICT, "suite '%s' is sealed already, marked %s",
                          c->suite->id, ch_clearance_name(sealed_as));
    *ret_already = true;
    return CH_OK;
}

static int marking_of(const struct ch_suite *su, const char *marking, enum ch_clearance *ret,
                      struct ch_err *err)
{
    enum ch_clearance own = CH_CLEAR_TOP_SECRET;
    if (ch_clearance_parse(su->classification, &own) != CH_OK)
        return ch_err_set(err, CH_E_INVALID, "unknown classification '%s'", su->classification);
    enum ch_clearance want = own;
    if (marking != NULL && ch_clearance_parse(marking, &want) != CH_OK)
        return ch_err_set(err, CH_E_INVALID,
                          "unknown classification '%s' (unclassified, cui, secret, top_secret)",
                          marking);
    if (want < own)
        return ch_err_set(err, CH_E_INVALID,
                          "suite '%s' is %s: a seal may raise its marking, never lower it to %s",
                          su->id, su->classification, marking);
    *ret = want;
    return CH_OK;
}

int ch_sealsuite_put(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                     const struct ch_suite *suite, const char *marking, int64_t now,
                     struct ch_sealsuite_info *ret, struct ch_err *err)
{
    if (!ch_eval_actor_evaluates(a))
        return ch_err_set(err, CH_E_PERM, "only evaluators and analysts seal suites");
    struct put_ctx c = {.s = s, .keys = keys, .a = a, .suite = suite, .now = now};
    int rc = marking_of(suite, marking, &c.info.classification, err);
    if (rc == CH_OK)
        rc = check_sealed(&c, &c.info.already, err);
    if (rc != CH_OK || c.info.already) {
        if (rc == CH_OK)
            *ret = c.info;
        return rc;
    }
    /* The document as verified: its bytes must still hash to what the loader saw. */
    struct ch_buf doc;
    ch_buf_init(&doc, CH_SUITE_MAX_BYTES);
    rc = ch_file_read(suite->path, CH_SUITE_MAX_BYTES, &doc, err);
    char got[65];
    if (rc == CH_OK) {
        ch_sha256_hex(doc.ptr != NULL ? doc.ptr : "", ch_buf_len(&doc), got);
        if (strcmp(got, suite->sha256) != 0)
            rc = ch_err_set(err, CH_E_CONFLICT, "'%s' changed since it was checked", suite->path);
    }
    c.done = ch_map_new(0, NULL);
    if (rc == CH_OK && c.done == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    if (rc == CH_OK) {
        /* One transaction: a suite is sealed whole or not at all. */
        rc = put_all(&c, &doc, err);
        if (rc == CH_OK)
            rc = ch_store_commit(s, err);
        else
            ch_store_rollback(s);
    }
    ch_map_free(c.done);
    ch_seal_buf_wipe(&doc);
    if (rc == CH_OK)
        *ret = c.info;
    return rc;
}

/* ---- loading ---------------------------------------------------------------------------- */

struct load_ctx {
    struct ch_store *s;
    const struct ch_keys *keys;
    const struct ch_eval_actor *a;
    const char *id;
    int64_t now;
};

static int read_sealed(void *arg, const char *src, struct ch_buf *out, struct ch_err *err)
{
    const struct load_ctx *c = arg;
    char name[NAME_MAX_BYTES];
    int rc = object_name(c->id, src, name, err);
    if (rc == CH_OK)
        rc = ch_sealed_open(c->s, c->keys, c->a, CH_SEALED_SUITE, name, CH_SEALED_FOR_RUN, c->now,
                            out, err);
    return rc;
}

int ch_sealsuite_load(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                      const char *suite_id, int64_t now, struct ch_suite **ret, struct ch_err *err)
{
    struct load_ctx c = {.s = s, .keys = keys, .a = a, .id = suite_id, .now = now};
    char name[NAME_MAX_BYTES];
    int rc = object_name(suite_id, CH_SEALSUITE_DOCUMENT, name, err);
    if (rc != CH_OK)
        return rc;
    struct ch_buf doc;
    ch_buf_init(&doc, CH_SUITE_MAX_BYTES);
    rc = ch_sealed_open(s, keys, a, CH_SEALED_SUITE, name, CH_SEALED_FOR_RUN, now, &doc, err);
    if (rc == CH_E_NOTFOUND) {
        ch_err_clear(err);
        rc = ch_err_set(err, CH_E_NOTFOUND, "no sealed suite '%s'", suite_id);
    }
    /* The marking it was sealed with (readable: the open above succeeded). */
    struct ch_stmt *st = NULL;
    enum ch_clearance level = CH_CLEAR_TOP_SECRET;
    if (rc == CH_OK)
        rc = ch_store_stmt(
            s, "SELECT classification FROM eval_sealed WHERE kind = 'suite' AND name = ?", &st,
            err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, name);
        rc = ch_stmt_step(st, err);
        if (rc == 1 && ch_clearance_parse(ch_stmt_cstr(st, 0), &level) != CH_OK)
            level = CH_CLEAR_TOP_SECRET;
        rc = rc < 0 ? rc : CH_OK;
        ch_stmt_reset(st);
    }
    char source[NAME_MAX_BYTES + 16];
    snprintf(source, sizeof(source), "%s%s", CH_SEALSUITE_PREFIX, suite_id);
    struct ch_suite_load_options lo = {
        .check_files = true, .read_file = read_sealed, .read_arg = &c};
    struct ch_suite *su = NULL;
    if (rc == CH_OK)
        rc = ch_suite_parse(doc.ptr, ch_buf_len(&doc), source, source, &lo, &su, err);
    ch_seal_buf_wipe(&doc);
    if (rc == CH_OK && strcmp(su->id, suite_id) != 0)
        rc = ch_err_set(err, CH_E_INVALID, "sealed suite '%s' holds a document of suite '%s'",
                        suite_id, su->id);
    if (rc != CH_OK) {
        ch_suite_free(su);
        return rc;
    }
    /* Transcripts of the run carry the marking the suite was sealed with. */
    su->classification = ch_clearance_name(level);
    *ret = su;
    return CH_OK;
}

/* ---- listing ---------------------------------------------------------------------------- */

struct listed {
    char id[CH_SUITE_MAX_ID + 1];
    bool has_document;
    enum ch_clearance level;
    int64_t objects;
    int64_t bytes;
    int64_t sealed_at;
    char sealed_by[160];
};

static void write_listed(const struct listed *l, const struct ch_eval_actor *a, struct ch_jw *w)
{
    if (l->id[0] == '\0' || !l->has_document || !ch_sealed_may_read(a, l->level))
        return;
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "id", l->id);
    ch_jw_kstr(w, "classification", ch_clearance_name(l->level));
    ch_jw_kint(w, "objects", l->objects);
    ch_jw_kint(w, "bytes", l->bytes);
    ch_jw_ktime(w, "sealed_at", l->sealed_at);
    ch_jw_kstr(w, "sealed_by", l->sealed_by);
    ch_jw_obj_close(w);
}

int ch_sealsuite_list_json(struct ch_store *s, const struct ch_eval_actor *a, struct ch_jw *w,
                           struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT name, classification, size, created_at, created_by"
                              " FROM eval_sealed WHERE kind = 'suite' ORDER BY name",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    struct listed cur = {0};
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        const char *name = ch_stmt_cstr(st, 0);
        const char *slash = strchr(name, '/');
        size_t idlen = slash != NULL ? (size_t)(slash - name) : strlen(name);
        if (idlen > CH_SUITE_MAX_ID)
            continue;
        if (strlen(cur.id) != idlen || strncmp(cur.id, name, idlen) != 0) {
            write_listed(&cur, a, w);
            cur = (struct listed){.objects = 0};
            memcpy(cur.id, name, idlen);
            cur.id[idlen] = '\0';
        }
        cur.objects++;
        cur.bytes += ch_stmt_int(st, 2);
        if (slash != NULL && strcmp(slash + 1, CH_SEALSUITE_DOCUMENT) == 0) {
            cur.has_document = true;
            if (ch_clearance_parse(ch_stmt_cstr(st, 1), &cur.level) != CH_OK)
                cur.level = CH_CLEAR_TOP_SECRET;
            cur.sealed_at = ch_stmt_int(st, 3);
            snprintf(cur.sealed_by, sizeof(cur.sealed_by), "%s", ch_stmt_cstr(st, 4));
        }
    }
    if (rc == 0) {
        write_listed(&cur, a, w);
        rc = CH_OK;
    }
    ch_jw_arr_close(w);
    ch_stmt_free(st);
    return rc;
}
