/* SPDX-License-Identifier: Apache-2.0
 *
 * seal.c: secretbox sealing of evaluation content (contract in seal.h).
 *
 * Design: one blob format for files, rows and credentials, bound to a
 * context string inside the authenticated plaintext, so that libsodium's
 * secretbox (which has no associated data) still refuses a blob moved to
 * another object. Nonces are random (24 bytes: collisions are negligible).
 */
#include "eval/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/json.h"
#include "store/store.h"

/* crypto_kdf context: exactly 8 bytes. */
#define KDF_CONTEXT "chseal01"

void ch_seal_key_derive(const struct ch_keys *keys, enum ch_seal_purpose p, struct ch_seal_key *ret)
{
    /* crypto_kdf_KEYBYTES == 32 == CH_KEYS_SECRET_BYTES */
    crypto_kdf_derive_from_key(ret->k, sizeof(ret->k), (uint64_t)p, KDF_CONTEXT, keys->secret);
}

void ch_seal_key_wipe(struct ch_seal_key *k)
{
    sodium_memzero(k->k, sizeof(k->k));
}

void ch_seal_buf_wipe(struct ch_buf *b)
{
    if (b->ptr != NULL)
        sodium_memzero(b->ptr, b->cap);
    ch_buf_release(b);
}

bool ch_seal_is_sealed(const void *data, size_t len)
{
    return len >= CH_SEAL_OVERHEAD && memcmp(data, CH_SEAL_MAGIC, CH_SEAL_MAGIC_BYTES) == 0;
}

int ch_seal(const struct ch_seal_key *k, const char *context, const void *data, size_t len,
            struct ch_buf *out, struct ch_err *err)
{
    size_t clen = strlen(context);
    if (clen > CH_SEAL_MAX_CONTEXT)
        return ch_err_set(err, CH_E_LIMIT, "seal context exceeds %u bytes", CH_SEAL_MAX_CONTEXT);
    if (len > CH_SEAL_MAX_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "sealed data exceeds %zu bytes", CH_SEAL_MAX_BYTES);
    size_t plen = 2 + clen + len;
    unsigned char *plain = ch_malloc(plen);
    if (plain == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory sealing %zu bytes", len);
    plain[0] = (unsigned char)(clen >> 8);
    plain[1] = (unsigned char)(clen & 0xff);
    memcpy(plain + 2, context, clen);
    if (len > 0)
        memcpy(plain + 2 + clen, data, len);
    size_t clen_box = CH_SEAL_MAC_BYTES + plen;
    unsigned char *box = ch_malloc(clen_box);
    int rc = CH_OK;
    if (box == NULL) {
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory sealing %zu bytes", len);
    } else {
        unsigned char nonce[CH_SEAL_NONCE_BYTES];
        randombytes_buf(nonce, sizeof(nonce));
        crypto_secretbox_easy(box, plain, plen, nonce, k->k);
        ch_buf_append(out, CH_SEAL_MAGIC, CH_SEAL_MAGIC_BYTES);
        ch_buf_append(out, nonce, sizeof(nonce));
        ch_buf_append(out, box, clen_box);
        rc = ch_buf_status(out, "sealed blob", err);
        ch_free(box);
    }
    sodium_memzero(plain, plen);
    ch_free(plain);
    return rc;
}

int ch_seal_open(const struct ch_seal_key *k, const char *context, const void *sealed, size_t len,
                 struct ch_buf *out, struct ch_err *err)
{
    ch_buf_reset(out);
    if (!ch_seal_is_sealed(sealed, len))
        return ch_err_set(err, CH_E_INVALID, "not a sealed object");
    const unsigned char *p = sealed;
    const unsigned char *nonce = p + CH_SEAL_MAGIC_BYTES;
    const unsigned char *c = nonce + CH_SEAL_NONCE_BYTES;
    size_t clen_box = len - CH_SEAL_MAGIC_BYTES - CH_SEAL_NONCE_BYTES;
    size_t plen = clen_box - CH_SEAL_MAC_BYTES;
    if (plen > CH_SEAL_MAX_BYTES + CH_SEAL_MAX_CONTEXT + 2)
        return ch_err_set(err, CH_E_LIMIT, "sealed object exceeds %zu bytes", CH_SEAL_MAX_BYTES);
    unsigned char *plain = ch_malloc(plen > 0 ? plen : 1);
    if (plain == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory opening %zu bytes", plen);
    int rc = CH_OK;
    if (crypto_secretbox_open_easy(plain, c, clen_box, nonce, k->k) != 0) {
        rc = ch_err_set(err, CH_E_INVALID, "sealed object does not open: altered or another key");
        goto out;
    }
    size_t want = strlen(context);
    size_t got = plen >= 2 ? ((size_t)plain[0] << 8) | plain[1] : SIZE_MAX;
    if (got == SIZE_MAX || got > plen - 2 || got != want || memcmp(plain + 2, context, want) != 0) {
        rc = ch_err_set(err, CH_E_INVALID, "sealed object belongs to another context");
        goto out;
    }
    ch_buf_append(out, plain + 2 + got, plen - 2 - got);
    rc = ch_buf_status(out, "opened object", err);
out:
    sodium_memzero(plain, plen > 0 ? plen : 1);
    ch_free(plain);
    return rc;
}

int ch_seal_file(const struct ch_seal_key *k, const char *context, const char *in_path,
                 const char *out_path, struct ch_err *err)
{
    struct ch_buf plain;
    struct ch_buf sealed;
    ch_buf_init(&plain, CH_SEAL_MAX_BYTES);
    ch_buf_init(&sealed, CH_SEAL_MAX_BYTES + CH_SEAL_MAX_CONTEXT + CH_SEAL_OVERHEAD);
    char tmp[4096];
    int fd = -1;
    int rc = CH_OK;
    FILE *f = fopen(in_path, "rbe");
    if (f == NULL) {
        rc = ch_err_set(err, CH_E_IO, "cannot open '%s': %s", in_path, strerror(errno));
        goto out;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ch_buf_append(&plain, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        rc = ch_err_set(err, CH_E_IO, "cannot read '%s'", in_path);
        goto out;
    }
    rc = ch_buf_status(&plain, in_path, err);
    if (rc == CH_OK)
        rc = ch_seal(k, context, plain.ptr != NULL ? plain.ptr : "", ch_buf_len(&plain), &sealed,
                     err);
    if (rc != CH_OK)
        goto out;
    int w = snprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
    if (w < 0 || (size_t)w >= sizeof(tmp)) {
        rc = ch_err_set(err, CH_E_LIMIT, "path too long");
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = ch_err_set(err, CH_E_IO, "cannot create '%s': %s", tmp, strerror(errno));
        goto out;
    }
    const char *p = sealed.ptr;
    size_t left = ch_buf_len(&sealed);
    while (left > 0) {
        ssize_t wr = write(fd, p, left);
        if (wr < 0 && errno == EINTR)
            continue;
        if (wr <= 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
            goto out;
        }
        p += wr;
        left -= (size_t)wr;
    }
    if (fdatasync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        rc = ch_err_set(err, CH_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, out_path) != 0)
        rc = ch_err_set(err, CH_E_IO, "cannot rename to '%s': %s", out_path, strerror(errno));
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    ch_seal_buf_wipe(&plain);
    ch_buf_release(&sealed);
    return rc;
}

int ch_seal_file_open(const struct ch_seal_key *k, const char *context, const char *path,
                      struct ch_buf *out, struct ch_err *err)
{
    struct ch_buf sealed;
    ch_buf_init(&sealed, CH_SEAL_MAX_BYTES + CH_SEAL_MAX_CONTEXT + CH_SEAL_OVERHEAD);
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ch_buf_append(&sealed, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    int rc = bad ? ch_err_set(err, CH_E_IO, "cannot read '%s'", path)
                 : ch_buf_status(&sealed, path, err);
    if (rc == CH_OK)
        rc = ch_seal_open(k, context, sealed.ptr != NULL ? sealed.ptr : "", ch_buf_len(&sealed),
                          out, err);
    if (rc != CH_OK)
        ch_err_prefix(err, "'%s'", path);
    ch_buf_release(&sealed);
    return rc;
}

/* ---- sealed objects in the store ---- */

static const char *const kind_names[CH_SEALED_KIND_COUNT] = {"suite", "transcript"};

const char *ch_sealed_kind_str(enum ch_sealed_kind k)
{
    return (unsigned)k < CH_SEALED_KIND_COUNT ? kind_names[k] : "unknown";
}

void ch_seal_digest_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), data, len, NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static int object_context(enum ch_sealed_kind kind, const char *name, char *buf, size_t size,
                          struct ch_err *err)
{
    if (name == NULL || name[0] == '\0' || strlen(name) > CH_SEAL_MAX_NAME)
        return ch_err_set(err, CH_E_INVALID, "a sealed object needs a name of 1 to %u bytes",
                          CH_SEAL_MAX_NAME);
    if ((unsigned)kind >= CH_SEALED_KIND_COUNT)
        return ch_err_set(err, CH_E_INVALID, "unknown sealed kind");
    int n = snprintf(buf, size, "%s:%s", kind_names[kind], name);
    if (n < 0 || (size_t)n >= size)
        return ch_err_set(err, CH_E_LIMIT, "sealed object name too long");
    return CH_OK;
}

#define SEALED_INSERT                                                                              \
    "INSERT INTO eval_sealed (kind, name, classification, owner_org_id, run_id, size,"             \
    " ciphertext, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
static const char *const sql_insert = SEALED_INSERT " RETURNING id";
/* A retried sample's transcript replaces the attempt before it, as its file would. */
static const char *const sql_replace = SEALED_INSERT
    " ON CONFLICT (kind, name) DO UPDATE SET classification = excluded.classification,"
    " owner_org_id = excluded.owner_org_id, run_id = excluded.run_id,"
    " size = excluded.size, ciphertext = excluded.ciphertext,"
    " created_at = excluded.created_at, created_by = excluded.created_by RETURNING id";

int ch_sealed_put(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                  const struct ch_sealed_new *o, int64_t now, int64_t *ret_id, struct ch_err *err)
{
    if (!ch_eval_actor_evaluates(a))
        return ch_err_set(err, CH_E_PERM, "only evaluators and analysts store sealed content");
    char ctx[CH_SEAL_MAX_NAME + 32];
    int rc = object_context(o->kind, o->name, ctx, sizeof(ctx), err);
    if (rc != CH_OK)
        return rc;
    struct ch_seal_key k;
    ch_seal_key_derive(keys, CH_SEAL_CONTENT, &k);
    struct ch_buf sealed;
    ch_buf_init(&sealed, CH_SEAL_MAX_BYTES + CH_SEAL_MAX_CONTEXT + CH_SEAL_OVERHEAD);
    rc = ch_seal(&k, ctx, o->data != NULL ? o->data : "", o->len, &sealed, err);
    ch_seal_key_wipe(&k);
    struct ch_stmt *st = NULL;
    int64_t id = 0;
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        goto out;
    rc = ch_store_stmt(s, o->replace ? sql_replace : sql_insert, &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, kind_names[o->kind]);
        ch_stmt_bind_cstr(st, 2, o->name);
        ch_stmt_bind_cstr(st, 3, ch_clearance_name(o->classification));
        if (o->owner_org_id > 0)
            ch_stmt_bind_int(st, 4, o->owner_org_id);
        if (o->run_id > 0)
            ch_stmt_bind_int(st, 5, o->run_id);
        ch_stmt_bind_int(st, 6, (int64_t)o->len);
        ch_stmt_bind_blob(st, 7, sealed.ptr, ch_buf_len(&sealed));
        ch_stmt_bind_int(st, 8, now);
        ch_stmt_bind_cstr(st, 9, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_E_CONFLICT) {
        ch_err_clear(err);
        rc = ch_err_set(err, CH_E_CONFLICT, "sealed %s '%s' exists", kind_names[o->kind], o->name);
    }
    if (rc == CH_OK) {
        char details[160];
        snprintf(details, sizeof(details), "{\"size\":%zu,\"classification\":\"%s\"}", o->len,
                 ch_clearance_name(o->classification));
        rc = ch_eval_audit(s, a, "sealed.put", ctx, details, now, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK && ret_id != NULL)
        *ret_id = id;
out:
    ch_buf_release(&sealed);
    return rc;
}

int ch_sealed_put_file(struct ch_store *s, const struct ch_keys *keys,
                       const struct ch_eval_actor *a, const struct ch_sealed_new *o,
                       const char *path, int64_t now, int64_t *ret_id, struct ch_err *err)
{
    struct ch_buf plain;
    ch_buf_init(&plain, CH_SEAL_MAX_BYTES);
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ch_buf_append(&plain, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    int rc =
        bad ? ch_err_set(err, CH_E_IO, "cannot read '%s'", path) : ch_buf_status(&plain, path, err);
    if (rc == CH_OK) {
        struct ch_sealed_new copy = *o;
        copy.data = plain.ptr;
        copy.len = ch_buf_len(&plain);
        rc = ch_sealed_put(s, keys, a, &copy, now, ret_id, err);
    }
    ch_seal_buf_wipe(&plain);
    return rc;
}

bool ch_sealed_may_read(const struct ch_eval_actor *a, enum ch_clearance level)
{
    return ch_eval_actor_evaluates(a) && a->clearance >= level;
}

static int audit_read(struct ch_store *s, const struct ch_eval_actor *a, const char *action,
                      const char *object, enum ch_sealed_purpose purpose, int64_t now,
                      struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    const char *details =
        purpose == CH_SEALED_FOR_RUN ? "{\"purpose\":\"run\"}" : "{\"purpose\":\"reader\"}";
    rc = ch_eval_audit(s, a, action, object, details, now, err);
    if (rc == CH_OK)
        return ch_store_commit(s, err);
    ch_store_rollback(s);
    return rc;
}

int ch_sealed_open(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                   enum ch_sealed_kind kind, const char *name, enum ch_sealed_purpose purpose,
                   int64_t now, struct ch_buf *out, struct ch_err *err)
{
    char ctx[CH_SEAL_MAX_NAME + 32];
    int rc = object_context(kind, name, ctx, sizeof(ctx), err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_prepare(s,
                          "SELECT classification, ciphertext FROM eval_sealed"
                          " WHERE kind = ? AND name = ?",
                          &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, kind_names[kind]);
    ch_stmt_bind_cstr(st, 2, name);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        rc = ch_err_set(err, CH_E_NOTFOUND, "no sealed %s '%s'", kind_names[kind], name);
        goto out;
    }
    enum ch_clearance level = CH_CLEAR_TOP_SECRET;
    if (ch_clearance_parse(ch_stmt_cstr(st, 0), &level) != CH_OK)
        level = CH_CLEAR_TOP_SECRET; /* unreadable: treat as the highest level */
    if (!ch_sealed_may_read(a, level)) {
        struct ch_err aerr = CH_ERR_INIT;
        ch_stmt_free(st);
        st = NULL;
        rc = audit_read(s, a, "sealed.read_refused", ctx, purpose, now, &aerr);
        if (rc != CH_OK) {
            *err = aerr;
            return rc;
        }
        return ch_err_set(err, CH_E_NOTFOUND, "no sealed %s '%s'", kind_names[kind], name);
    }
    struct ch_str blob = ch_stmt_blob(st, 1);
    struct ch_seal_key k;
    ch_seal_key_derive(keys, CH_SEAL_CONTENT, &k);
    rc = ch_seal_open(&k, ctx, blob.ptr, blob.len, out, err);
    ch_seal_key_wipe(&k);
    ch_stmt_free(st);
    st = NULL;
    if (rc == CH_OK)
        rc = audit_read(s, a, "sealed.read", ctx, purpose, now, err);
    if (rc != CH_OK)
        ch_seal_buf_wipe(out);
out:
    ch_stmt_free(st);
    return rc;
}
