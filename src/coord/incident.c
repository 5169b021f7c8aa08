/* SPDX-License-Identifier: Apache-2.0
 *
 * incident.c: incidents of unauthorised scanning, their evidence, and the
 * signed packages that refer them for enforcement (contract and package
 * layout in incident.h).
 *
 * The signature covers the manifest's exact bytes (with a context prefix, so
 * a signature over a package can never be replayed as another kind of
 * signed object); no canonical JSON form is needed because the verifier
 * checks the bytes, not a re-serialisation.
 */
#include "coord/incident.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coord/deconflict.h"
#include "coord/internal.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"

#define PACKAGE_CONTEXT "ch-incident-package-v1\n"
#define PACKAGE_FORMAT "clearinghouse-incident-package/1"
#define SHA256_HEX (crypto_hash_sha256_BYTES * 2 + 1)
/* Bytes of a path inside a package directory. */
#define PATH_MAX_BYTES 4096

static void sha256_hex(const void *p, size_t len, char out[SHA256_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, p, len);
    sodium_bin2hex(out, SHA256_HEX, h, sizeof(h));
}

static bool is_wide(const struct ch_coord_actor *a)
{
    return ch_coord__has_role(a, CH_ROLE_WIDE);
}

int ch_coord_incident_open(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                           const struct ch_coord_incident_new *n, int64_t now, int64_t *ret_id,
                           struct ch_err *err)
{
    int64_t org = n->org_id != 0 ? n->org_id : a->org_id;
    if (org == 0)
        return ch_err_setf(err, CH_E_INVALID, "org", "name the reporting organisation");
    if (!is_wide(a) && !(org == a->org_id && ch_coord__has_role(a, CH_ROLE_OPERATOR)))
        return ch_err_set(err, CH_E_PERM, "only operators and analysts may open incidents");
    if (n->title == NULL || n->title[0] == '\0' || strlen(n->title) > CH_COORD_NAME_MAX * 2)
        return ch_err_setf(err, CH_E_INVALID, "title", "title must be 1 to %d bytes",
                           CH_COORD_NAME_MAX * 2);
    if (n->source == NULL || n->target == NULL)
        return ch_err_setf(err, CH_E_INVALID, "source", "source and target are required");
    if (n->classification > a->clearance)
        return ch_err_setf(err, CH_E_PERM, "classification",
                           "cannot classify above your own clearance");
    if ((unsigned)n->classification > CH_CLEAR_TOP_SECRET)
        return ch_err_setf(err, CH_E_INVALID, "classification", "unknown classification");
    struct ch_buf answer, query;
    ch_buf_init(&answer, (size_t)1 << 20);
    ch_buf_init(&query, (size_t)16 << 10);
    struct ch_jw w;
    ch_jw_init(&w, &answer, 0);
    bool authorised = false;
    int64_t id = 0;
    /* every lease counts here, visible or not: authorised is authorised */
    struct ch_coord_actor all = CH_COORD_ACTOR_LOCAL;
    int rc = ch_coord_deconflict_json(c, &all, ch_str_c(n->source), ch_str_c(n->target),
                                      n->observed_at, &w, &authorised, err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, err);
    if (rc == CH_OK && authorised)
        rc = ch_err_set(err, CH_E_CONFLICT,
                        "the scanning is authorised by a lease (ask `deconflict`); no incident"
                        " opened");
    if (rc != CH_OK)
        goto out;
    /* the answer kept is the one the reporter may see */
    ch_buf_reset(&answer);
    ch_jw_init(&w, &answer, 0);
    rc = ch_coord_deconflict_json(c, a, ch_str_c(n->source), ch_str_c(n->target), n->observed_at,
                                  &w, &authorised, err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, err);
    struct ch_jw q;
    ch_jw_init(&q, &query, 0);
    ch_jw_obj_open(&q);
    ch_jw_kstr(&q, "source", n->source);
    ch_jw_kstr(&q, "target", n->target);
    ch_jw_ktime(&q, "time", n->observed_at);
    ch_jw_obj_close(&q);
    if (rc == CH_OK)
        rc = ch_jw_finish(&q, err);
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        goto out;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO coord_incidents (org_id, title, source, target, observed_at,"
                       " classification, status, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?,"
                       " 'open', ?, ?) RETURNING id",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, org);
        ch_stmt_bind_cstr(st, 2, n->title);
        ch_stmt_bind_cstr(st, 3, n->source);
        ch_stmt_bind_cstr(st, 4, n->target);
        ch_stmt_bind_int(st, 5, n->observed_at);
        ch_stmt_bind_cstr(st, 6, ch_clearance_name(n->classification));
        ch_stmt_bind_int(st, 7, now);
        ch_stmt_bind_cstr(st, 8, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO coord_incident_queries (incident_id, query, answer,"
                           " asked_at) VALUES (?, ?, ?, ?)",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, id);
        ch_stmt_bind_str(st, 2, ch_buf_str(&query));
        ch_stmt_bind_str(st, 3, ch_buf_str(&answer));
        ch_stmt_bind_int(st, 4, now);
        rc = ch_stmt_run(st, err);
    }
    char object[64];
    snprintf(object, sizeof(object), "incident:%lld", (long long)id);
    if (rc == CH_OK)
        rc = ch_coord__audit(s, a, "coord.incident.open", object, ch_buf_cstr(&query), now, err);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK)
        *ret_id = id;
out:
    ch_buf_release(&answer);
    ch_buf_release(&query);
    return rc;
}

/* Loads what decides who may see an incident; CH_E_NOTFOUND when a may not. */
static int incident_access(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                           struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT org_id, classification FROM coord_incidents WHERE id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    bool visible = false;
    if (rc == 1) {
        enum ch_clearance level = CH_CLEAR_TOP_SECRET;
        CH_IGNORE(ch_clearance_parse(ch_stmt_cstr(st, 1), &level)); /* unknown: most secret */
        visible = (is_wide(a) || ch_stmt_int(st, 0) == a->org_id) && a->clearance >= level;
        rc = CH_OK;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    if (!visible)
        return ch_err_set(err, CH_E_NOTFOUND, "no incident %lld", (long long)id);
    return CH_OK;
}

static bool kind_valid(const char *k)
{
    return k != NULL && (strcmp(k, "log") == 0 || strcmp(k, "pcap") == 0 || strcmp(k, "other") == 0);
}

static bool hex64_valid(const char *h)
{
    if (h == NULL || strlen(h) != 64)
        return false;
    for (size_t i = 0; i < 64; i++) {
        char ch = h[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return true;
}

int ch_coord_incident_evidence_add(struct ch_store *s, const struct ch_coord_actor *a,
                                   const struct ch_coord_evidence_new *e, int64_t now,
                                   int64_t *ret_id, struct ch_err *err)
{
    if (!kind_valid(e->kind))
        return ch_err_setf(err, CH_E_INVALID, "kind", "evidence kind must be log, pcap or other");
    if (e->name == NULL || e->name[0] == '\0' || strlen(e->name) > CH_COORD_NAME_MAX * 2)
        return ch_err_setf(err, CH_E_INVALID, "name", "evidence needs a name of at most %d bytes",
                           CH_COORD_NAME_MAX * 2);
    bool keep = strcmp(e->kind, "log") == 0;
    char digest[SHA256_HEX];
    if (e->data != NULL) {
        if (keep && e->len > CH_COORD_EVIDENCE_MAX)
            return ch_err_setf(err, CH_E_LIMIT, "data",
                               "log evidence exceeds %zu bytes: keep an excerpt, or add the whole"
                               " file as 'other' (digest only)",
                               CH_COORD_EVIDENCE_MAX);
        if (keep && (memchr(e->data, 0, e->len) != NULL))
            return ch_err_setf(err, CH_E_INVALID, "data",
                               "log evidence contains NUL bytes: add it as 'other' (digest only)");
        sha256_hex(e->data, e->len, digest);
    } else {
        if (keep)
            return ch_err_setf(err, CH_E_INVALID, "data", "log evidence needs its lines");
        if (!hex64_valid(e->sha256_hex))
            return ch_err_setf(err, CH_E_INVALID, "sha256",
                               "give the file or its SHA-256 as 64 lower-case hex digits");
        snprintf(digest, sizeof(digest), "%s", e->sha256_hex);
    }
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    rc = incident_access(s, a, e->incident_id, err);
    if (rc == CH_OK && !is_wide(a) && !ch_coord__has_role(a, CH_ROLE_OPERATOR))
        rc = ch_err_set(err, CH_E_PERM, "only operators and analysts may add evidence");
    struct ch_stmt *st = NULL;
    int64_t id = 0;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO coord_incident_evidence (incident_id, kind, name, sha256,"
                           " bytes, content, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?,"
                           " ?) RETURNING id",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, e->incident_id);
        ch_stmt_bind_cstr(st, 2, e->kind);
        ch_stmt_bind_cstr(st, 3, e->name);
        ch_stmt_bind_cstr(st, 4, digest);
        ch_stmt_bind_int(st, 5, e->data != NULL ? (int64_t)e->len : -1);
        if (keep)
            ch_stmt_bind_text(st, 6, e->data, e->len);
        ch_stmt_bind_int(st, 7, now);
        ch_stmt_bind_cstr(st, 8, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    char object[64], details[256];
    snprintf(object, sizeof(object), "incident:%lld", (long long)e->incident_id);
    snprintf(details, sizeof(details), "{\"evidence\":%lld,\"kind\":\"%s\",\"sha256\":\"%s\"}",
             (long long)id, e->kind, digest);
    if (rc == CH_OK)
        rc = ch_coord__audit(s, a, "coord.incident.evidence", object, details, now, err);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK)
        *ret_id = id;
    return rc;
}

#define INCIDENT_COLS                                                                            \
    "i.id, o.slug, i.title, i.source, i.target, i.observed_at, i.classification, i.status,"       \
    " i.created_at, i.created_by, COALESCE(i.referred_at, -1)"

static void incident_json(struct ch_stmt *st, struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kstr(w, "org", ch_stmt_cstr(st, 1));
    ch_jw_kstr(w, "title", ch_stmt_cstr(st, 2));
    ch_jw_kstr(w, "source", ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "target", ch_stmt_cstr(st, 4));
    ch_jw_ktime(w, "observed_at", ch_stmt_int(st, 5));
    ch_jw_kstr(w, "classification", ch_stmt_cstr(st, 6));
    ch_jw_kstr(w, "status", ch_stmt_cstr(st, 7));
    ch_jw_ktime(w, "created_at", ch_stmt_int(st, 8));
    ch_jw_kstr(w, "created_by", ch_stmt_cstr(st, 9));
    if (ch_stmt_int(st, 10) >= 0)
        ch_jw_ktime(w, "referred_at", ch_stmt_int(st, 10));
    ch_jw_obj_close(w);
}

static bool incident_row_visible(struct ch_stmt *st, int org_col, int class_col,
                                 const struct ch_coord_actor *a, int64_t org_id)
{
    enum ch_clearance level = CH_CLEAR_TOP_SECRET;
    CH_IGNORE(ch_clearance_parse(ch_stmt_cstr(st, class_col), &level)); /* unknown: most secret */
    return (is_wide(a) || org_id == a->org_id) && a->clearance >= level && org_col >= 0;
}

int ch_coord_incident_list_json(struct ch_store *s, const struct ch_coord_actor *a,
                                struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT " INCIDENT_COLS ", i.org_id FROM coord_incidents i JOIN orgs o"
                           " ON o.id = i.org_id ORDER BY i.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (incident_row_visible(st, 11, 6, a, ch_stmt_int(st, 11)))
            incident_json(st, w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

static int evidence_json(struct ch_store *s, int64_t id, bool files, struct ch_jw *w,
                         struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, kind, name, sha256, bytes, content IS NOT NULL, created_at,"
                           " created_by FROM coord_incident_evidence WHERE incident_id = ?"
                           " ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "kind", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "name", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "sha256", ch_stmt_cstr(st, 3));
        if (ch_stmt_int(st, 4) >= 0)
            ch_jw_kint(w, "bytes", ch_stmt_int(st, 4));
        if (files && ch_stmt_int(st, 5) != 0) {
            char file[64];
            snprintf(file, sizeof(file), "evidence/%lld.log", (long long)ch_stmt_int(st, 0));
            ch_jw_kstr(w, "file", file);
        }
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 6));
        ch_jw_kstr(w, "created_by", ch_stmt_cstr(st, 7));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

static int queries_json(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT query, answer, asked_at FROM coord_incident_queries"
                           " WHERE incident_id = ? ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct ch_str q = ch_stmt_text(st, 0), an = ch_stmt_text(st, 1);
        ch_jw_obj_open(w);
        ch_jw_key(w, "query");
        ch_jw_raw(w, q.ptr, q.len);
        ch_jw_key(w, "answer");
        ch_jw_raw(w, an.ptr, an.len);
        ch_jw_ktime(w, "asked_at", ch_stmt_int(st, 2));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

static int incident_head_json(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT " INCIDENT_COLS " FROM coord_incidents i JOIN orgs o"
                           " ON o.id = i.org_id WHERE i.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 1)
        incident_json(st, w);
    ch_stmt_reset(st);
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no incident %lld", (long long)id);
    return rc < 0 ? rc : CH_OK;
}

int ch_coord_incident_show_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                                struct ch_jw *w, struct ch_err *err)
{
    int rc = incident_access(s, a, id, err);
    if (rc != CH_OK)
        return rc;
    ch_jw_obj_open(w);
    ch_jw_key(w, "incident");
    rc = incident_head_json(s, id, w, err);
    if (rc == CH_OK) {
        ch_jw_key(w, "evidence");
        rc = evidence_json(s, id, false, w, err);
    }
    if (rc == CH_OK) {
        ch_jw_key(w, "queries");
        rc = queries_json(s, id, w, err);
    }
    ch_jw_obj_close(w);
    return rc;
}

static int audit_excerpt_json(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    char object[64];
    snprintf(object, sizeof(object), "incident:%lld", (long long)id);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT seq, at, actor, action, object, details_digest, details,"
                           " prev_hash, hash FROM audit_log WHERE object = ? ORDER BY seq LIMIT ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, object);
    ch_stmt_bind_int(st, 2, CH_COORD_AUDIT_EXCERPT_MAX);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "seq", ch_stmt_int(st, 0));
        ch_jw_kint(w, "at", ch_stmt_int(st, 1));
        ch_jw_kstr(w, "actor", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "action", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "object", ch_stmt_cstr(st, 4));
        ch_jw_kstr(w, "details_digest", ch_stmt_cstr(st, 5));
        ch_jw_kstr(w, "details", ch_stmt_cstr(st, 6));
        ch_jw_kstr(w, "prev_hash", ch_stmt_cstr(st, 7));
        ch_jw_kstr(w, "hash", ch_stmt_cstr(st, 8));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

static int write_file(const char *path, const void *data, size_t len, struct ch_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return ch_err_set(err, errno == EEXIST ? CH_E_CONFLICT : CH_E_IO,
                          "cannot create '%s': %s", path, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            return ch_err_set(err, CH_E_IO, "cannot write '%s': %s", path, strerror(e));
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return ch_err_set(err, CH_E_IO, "cannot write '%s': %s", path, strerror(errno));
    return CH_OK;
}

static int read_file(const char *path, size_t max, struct ch_buf *out, struct ch_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    ch_buf_reset(out);
    char chunk[65536];
    int rc = CH_OK;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > max) {
            rc = ch_err_set(err, CH_E_LIMIT, "'%s' exceeds %zu bytes", path, max);
            break;
        }
        ch_buf_append(out, chunk, (size_t)n);
    }
    close(fd);
    if (rc == CH_OK)
        rc = ch_buf_status(out, path, err);
    return rc;
}

static int make_dir(const char *path, struct ch_err *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ch_err_set(err, CH_E_IO, "cannot create directory '%s': %s", path,
                          strerror(errno));
    return CH_OK;
}

/* Writes evidence/N.log for every kept log of the incident. */
static int write_evidence(struct ch_store *s, int64_t id, const char *dir, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, content FROM coord_incident_evidence WHERE incident_id = ?"
                           " AND content IS NOT NULL ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        char path[PATH_MAX_BYTES];
        snprintf(path, sizeof(path), "%s/evidence/%lld.log", dir, (long long)ch_stmt_int(st, 0));
        struct ch_str content = ch_stmt_text(st, 1);
        rc = write_file(path, content.ptr, content.len, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_coord_incident_export(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                             const struct ch_keys *keys, const char *dir, int64_t now,
                             struct ch_err *err)
{
    if (dir == NULL || strlen(dir) > PATH_MAX_BYTES - 64)
        return ch_err_set(err, CH_E_INVALID, "package directory path too long");
    int rc = incident_access(s, a, id, err);
    if (rc == CH_OK && !is_wide(a) && !ch_coord__has_role(a, CH_ROLE_OPERATOR))
        rc = ch_err_set(err, CH_E_PERM, "only operators and analysts may refer incidents");
    if (rc != CH_OK)
        return rc;
    struct ch_buf manifest;
    ch_buf_init(&manifest, CH_COORD_MANIFEST_MAX);
    char path[PATH_MAX_BYTES];
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        goto out;
    /* the referral's own audit entry goes first, so the package shows it */
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "UPDATE coord_incidents SET status = 'referred', referred_at = ?"
                       " WHERE id = ?",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, now);
        ch_stmt_bind_int(st, 2, id);
        rc = ch_stmt_run(st, err);
    }
    char object[64], details[160];
    snprintf(object, sizeof(object), "incident:%lld", (long long)id);
    snprintf(details, sizeof(details), "{\"package_signer\":\"%s\"}", keys->key_id);
    if (rc == CH_OK)
        rc = ch_coord__audit(s, a, "coord.incident.refer", object, details, now, err);
    char pk[CH_KEYS_SIGN_PK_BYTES * 2 + 1];
    sodium_bin2hex(pk, sizeof(pk), keys->sign_pk, sizeof(keys->sign_pk));
    struct ch_jw w;
    ch_jw_init(&w, &manifest, 1);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "format", PACKAGE_FORMAT);
    ch_jw_ktime(&w, "created_at", now);
    ch_jw_key(&w, "signer");
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "key_id", keys->key_id);
    ch_jw_kstr(&w, "public_key", pk);
    ch_jw_kstr(&w, "algorithm", "ed25519");
    ch_jw_obj_close(&w);
    ch_jw_key(&w, "incident");
    if (rc == CH_OK)
        rc = incident_head_json(s, id, &w, err);
    ch_jw_key(&w, "evidence");
    if (rc == CH_OK)
        rc = evidence_json(s, id, true, &w, err);
    ch_jw_key(&w, "queries");
    if (rc == CH_OK)
        rc = queries_json(s, id, &w, err);
    ch_jw_key(&w, "audit");
    if (rc == CH_OK)
        rc = audit_excerpt_json(s, id, &w, err);
    ch_jw_obj_close(&w);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, err);
    if (rc == CH_OK)
        ch_buf_append_byte(&manifest, '\n');
    if (rc == CH_OK)
        rc = ch_buf_status(&manifest, "manifest", err);
    /* files before the commit: a package on disk always has its referral */
    if (rc == CH_OK)
        rc = make_dir(dir, err);
    snprintf(path, sizeof(path), "%s/evidence", dir);
    if (rc == CH_OK)
        rc = make_dir(path, err);
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    if (rc == CH_OK && access(path, F_OK) == 0)
        rc = ch_err_set(err, CH_E_CONFLICT, "'%s' already holds a package", dir);
    if (rc == CH_OK)
        rc = write_evidence(s, id, dir, err);
    if (rc == CH_OK) {
        struct ch_buf msg;
        ch_buf_init(&msg, CH_COORD_MANIFEST_MAX + 64);
        ch_buf_append_c(&msg, PACKAGE_CONTEXT);
        ch_buf_append_str(&msg, ch_buf_str(&manifest));
        rc = ch_buf_status(&msg, "manifest", err);
        unsigned char sig[crypto_sign_BYTES];
        char sighex[crypto_sign_BYTES * 2 + 2];
        if (rc == CH_OK) {
            crypto_sign_detached(sig, NULL, (const unsigned char *)ch_buf_cstr(&msg), msg.len,
                                 keys->sign_sk);
            sodium_bin2hex(sighex, sizeof(sighex) - 1, sig, sizeof(sig));
            size_t l = strlen(sighex);
            sighex[l] = '\n';
            sighex[l + 1] = '\0';
        }
        ch_buf_release(&msg);
        if (rc == CH_OK)
            rc = write_file(path, ch_buf_cstr(&manifest), manifest.len, err);
        snprintf(path, sizeof(path), "%s/manifest.sig", dir);
        if (rc == CH_OK)
            rc = write_file(path, sighex, strlen(sighex), err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
out:
    ch_buf_release(&manifest);
    return rc;
}

static void problem(struct ch_coord_package_report *r, const char *what, const char *arg)
{
    r->ok = false;
    if (arg != NULL)
        snprintf(r->problem, sizeof(r->problem), "%s '%s'", what, arg);
    else
        snprintf(r->problem, sizeof(r->problem), "%s", what);
}

/* Checks the evidence files named in the manifest. */
static void verify_evidence(const char *dir, const cJSON *doc, struct ch_coord_package_report *r)
{
    const cJSON *ev = ch_json_arr(doc, "evidence");
    const cJSON *e;
    struct ch_buf data;
    ch_buf_init(&data, CH_COORD_EVIDENCE_MAX);
    cJSON_ArrayForEach(e, ev)
    {
        const char *file = ch_json_str(e, "file");
        const char *want = ch_json_str(e, "sha256");
        if (file == NULL)
            continue;
        /* only files this format writes: evidence/<digits>.log */
        bool ok = strncmp(file, "evidence/", 9) == 0 && strlen(file) < 64;
        for (const char *p = file + 9; ok && *p != '.' && *p != '\0'; p++)
            ok = *p >= '0' && *p <= '9';
        ok = ok && strchr(file, '.') != NULL && strcmp(strchr(file, '.'), ".log") == 0;
        if (!ok || want == NULL) {
            problem(r, "manifest names an unexpected evidence file", file);
            break;
        }
        char path[PATH_MAX_BYTES];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        struct ch_err ferr = CH_ERR_INIT;
        if (read_file(path, CH_COORD_EVIDENCE_MAX, &data, &ferr) != CH_OK) {
            problem(r, "cannot read evidence file", file);
            break;
        }
        char got[SHA256_HEX];
        sha256_hex(ch_buf_cstr(&data), data.len, got);
        if (strcmp(got, want) != 0) {
            problem(r, "SHA-256 in the manifest does not match evidence file", file);
            break;
        }
        r->evidence_files++;
    }
    ch_buf_release(&data);
}

int ch_coord_package_verify(const char *dir, const unsigned char *public_key,
                            struct ch_coord_package_report *report, struct ch_err *err)
{
    *report = (struct ch_coord_package_report){.ok = true};
    char path[PATH_MAX_BYTES];
    if (dir == NULL || strlen(dir) > PATH_MAX_BYTES - 64)
        return ch_err_set(err, CH_E_INVALID, "package directory path too long");
    struct ch_buf manifest, sig;
    ch_buf_init(&manifest, CH_COORD_MANIFEST_MAX);
    ch_buf_init(&sig, 1024);
    cJSON *doc = NULL;
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    int rc = read_file(path, CH_COORD_MANIFEST_MAX, &manifest, err);
    snprintf(path, sizeof(path), "%s/manifest.sig", dir);
    if (rc == CH_OK)
        rc = read_file(path, 1024, &sig, err);
    if (rc != CH_OK)
        goto out;
    unsigned char sigbin[crypto_sign_BYTES];
    size_t siglen = 0;
    struct ch_str sigtext = ch_str_trim(ch_buf_str(&sig));
    if (sodium_hex2bin(sigbin, sizeof(sigbin), sigtext.ptr, sigtext.len, NULL, &siglen, NULL) !=
            0 ||
        siglen != sizeof(sigbin)) {
        problem(report, "manifest.sig is not a hex Ed25519 signature", NULL);
        goto out;
    }
    /* the signature is checked over the bytes before anything is parsed */
    struct ch_json_limits lim = {.max_bytes = CH_COORD_MANIFEST_MAX};
    struct ch_err perr = CH_ERR_INIT;
    bool parsed = ch_json_parse(ch_buf_cstr(&manifest), manifest.len, &lim, "manifest.json", &doc,
                                &perr) == CH_OK;
    unsigned char pk[CH_KEYS_SIGN_PK_BYTES];
    const cJSON *signer = parsed ? ch_json_obj(doc, "signer") : NULL;
    const char *pkhex = ch_json_str(signer, "public_key");
    const char *key_id = ch_json_str(signer, "key_id");
    if (key_id != NULL)
        snprintf(report->key_id, sizeof(report->key_id), "%s", key_id);
    if (public_key != NULL) {
        memcpy(pk, public_key, sizeof(pk));
    } else {
        size_t pklen = 0;
        report->key_from_manifest = true;
        if (pkhex == NULL ||
            sodium_hex2bin(pk, sizeof(pk), pkhex, strlen(pkhex), NULL, &pklen, NULL) != 0 ||
            pklen != sizeof(pk)) {
            problem(report, "the manifest names no usable public key (give one)", NULL);
            goto out;
        }
    }
    struct ch_buf msg;
    ch_buf_init(&msg, CH_COORD_MANIFEST_MAX + 64);
    ch_buf_append_c(&msg, PACKAGE_CONTEXT);
    ch_buf_append_str(&msg, ch_buf_str(&manifest));
    rc = ch_buf_status(&msg, "manifest", err);
    bool good = rc == CH_OK &&
                crypto_sign_verify_detached(sigbin, (const unsigned char *)ch_buf_cstr(&msg),
                                            msg.len, pk) == 0;
    ch_buf_release(&msg);
    if (rc != CH_OK)
        goto out;
    if (!good) {
        problem(report, "the signature does not verify: the manifest was changed or signed with"
                         " another key", NULL);
        goto out;
    }
    if (!parsed) {
        problem(report, "the signed manifest is not valid JSON", NULL);
        goto out;
    }
    const cJSON *inc = ch_json_obj(doc, "incident");
    const cJSON *idv = inc != NULL ? cJSON_GetObjectItemCaseSensitive(inc, "id") : NULL;
    if (!ch_json_int_value(idv, &report->incident))
        report->incident = 0;
    verify_evidence(dir, doc, report);
out:
    cJSON_Delete(doc);
    ch_buf_release(&manifest);
    ch_buf_release(&sig);
    return rc;
}
