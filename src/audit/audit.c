/* SPDX-License-Identifier: Apache-2.0
 *
 * audit.c: the hash chain (see audit.h).
 *
 * Hash input, in this order, each field followed by a newline:
 *   "ch-audit-v1", prev_hash, seq, at, actor, action, object, details_digest
 * Fields are length-prefixed ("<len>:<bytes>") so no choice of texts can make
 * two different entries hash alike. The checkpoint message is
 *   "ch-audit-checkpoint-v1\n<seq>\n<hash>\n<at>\n".
 */
#include "audit/audit.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static void digest_hex(const void *data, size_t len, char out[CH_AUDIT_HASH_HEX])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), data, len, NULL, 0);
    sodium_bin2hex(out, CH_AUDIT_HASH_HEX, h, sizeof(h));
}

static void field(crypto_generichash_state *st, const char *s)
{
    char len[24];
    size_t n = strlen(s);
    int k = snprintf(len, sizeof(len), "%zu:", n);
    crypto_generichash_update(st, (const unsigned char *)len, (unsigned long long)k);
    crypto_generichash_update(st, (const unsigned char *)s, n);
    crypto_generichash_update(st, (const unsigned char *)"\n", 1);
}

static void entry_hash(const char *prev, int64_t seq, int64_t at, const char *actor,
                       const char *action, const char *object, const char *digest,
                       char out[CH_AUDIT_HASH_HEX])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    char num[32];
    field(&st, "ch-audit-v1");
    field(&st, prev);
    snprintf(num, sizeof(num), "%lld", (long long)seq);
    field(&st, num);
    snprintf(num, sizeof(num), "%lld", (long long)at);
    field(&st, num);
    field(&st, actor);
    field(&st, action);
    field(&st, object);
    field(&st, digest);
    unsigned char h[32];
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(out, CH_AUDIT_HASH_HEX, h, sizeof(h));
}

int ch_audit_append(struct ch_store *s, const struct ch_audit_entry *e, int64_t at,
                    int64_t *ret_seq, struct ch_err *err)
{
    if (e->actor == NULL || e->action == NULL || e->object == NULL)
        return ch_err_set(err, CH_E_INTERNAL, "audit entry without actor, action or object");
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    /* the UPDATE locks the head row until commit: appenders queue here */
    rc = ch_store_stmt(s, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
                       &st, err);
    int64_t seq = 0;
    char prev[CH_AUDIT_HASH_HEX] = "";
    if (rc == CH_OK) {
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            seq = ch_stmt_int(st, 0);
            snprintf(prev, sizeof(prev), "%s", ch_stmt_cstr(st, 1));
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "audit head row is missing");
        }
        ch_stmt_reset(st);
    }
    char digest[CH_AUDIT_HASH_HEX], hash[CH_AUDIT_HASH_HEX];
    const char *details = e->details != NULL ? e->details : "";
    digest_hex(details, strlen(details), digest);
    entry_hash(prev, seq, at, e->actor, e->action, e->object, digest, hash);
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO audit_log (seq, at, actor, action, object, details_digest,"
                           " details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, seq);
        ch_stmt_bind_int(st, 2, at);
        ch_stmt_bind_cstr(st, 3, e->actor);
        ch_stmt_bind_cstr(st, 4, e->action);
        ch_stmt_bind_cstr(st, 5, e->object);
        ch_stmt_bind_cstr(st, 6, digest);
        ch_stmt_bind_cstr(st, 7, e->details);
        ch_stmt_bind_cstr(st, 8, prev);
        ch_stmt_bind_cstr(st, 9, hash);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = ch_store_stmt(s, "UPDATE audit_head SET hash = ? WHERE id = 1", &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, hash);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK && ret_seq != NULL)
        *ret_seq = seq;
    return rc;
}

static void checkpoint_message(int64_t seq, const char *hash, int64_t at, char *out, size_t n)
{
    snprintf(out, n, "ch-audit-checkpoint-v1\n%lld\n%s\n%lld\n", (long long)seq, hash,
             (long long)at);
}

int ch_audit_checkpoint(struct ch_store *s, const struct ch_keys *keys, int64_t at,
                        int64_t *ret_seq, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    int64_t seq = 0;
    char hash[CH_AUDIT_HASH_HEX] = "";
    int64_t signed_seq = -1;
    rc = ch_store_stmt(s,
                       "SELECT h.seq, h.hash, (SELECT MAX(seq) FROM audit_checkpoints)"
                       " FROM audit_head h WHERE h.id = 1",
                       &st, err);
    if (rc == CH_OK && (rc = ch_stmt_step(st, err)) == 1) {
        seq = ch_stmt_int(st, 0);
        snprintf(hash, sizeof(hash), "%s", ch_stmt_cstr(st, 1));
        signed_seq = ch_stmt_is_null(st, 2) ? -1 : ch_stmt_int(st, 2);
        rc = CH_OK;
    } else if (rc == 0) {
        rc = ch_err_set(err, CH_E_INTERNAL, "audit head row is missing");
    }
    if (st != NULL)
        ch_stmt_reset(st);
    if (rc == CH_OK && (seq == 0 || signed_seq == seq)) {
        ch_store_rollback(s);
        if (ret_seq != NULL)
            *ret_seq = signed_seq;
        return CH_OK;
    }
    char msg[256];
    checkpoint_message(seq, hash, at, msg, sizeof(msg));
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg), keys->sign_sk);
    char sig_hex[crypto_sign_BYTES * 2 + 1], pk_hex[crypto_sign_PUBLICKEYBYTES * 2 + 1];
    sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
    sodium_bin2hex(pk_hex, sizeof(pk_hex), keys->sign_pk, sizeof(keys->sign_pk));
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO audit_checkpoints (seq, hash, at, key_id, public_key,"
                           " signature) VALUES (?, ?, ?, ?, ?, ?)",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, seq);
        ch_stmt_bind_cstr(st, 2, hash);
        ch_stmt_bind_int(st, 3, at);
        ch_stmt_bind_cstr(st, 4, keys->key_id);
        ch_stmt_bind_cstr(st, 5, pk_hex);
        ch_stmt_bind_cstr(st, 6, sig_hex);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK && ret_seq != NULL)
        *ret_seq = seq;
    return rc;
}

static void fail(struct ch_audit_report *r, int64_t seq, const char *fmt, ...) CH_PRINTF(3, 4);
static void fail(struct ch_audit_report *r, int64_t seq, const char *fmt, ...)
{
    if (!r->ok)
        return;
    r->ok = 0;
    r->first_bad_seq = seq;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
    va_end(ap);
}

static int verify_chain(struct ch_store *s, struct ch_audit_report *r, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT seq, at, actor, action, object, details_digest, details,"
                              " prev_hash, hash FROM audit_log ORDER BY seq",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    char prev[CH_AUDIT_HASH_HEX] = ZERO_HASH;
    int64_t expect = 1;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        int64_t seq = ch_stmt_int(st, 0);
        r->entries++;
        if (seq != expect) {
            fail(r, expect, "entry %lld is missing (the sequence jumps past it)", (long long)expect);
            expect = seq;
        }
        const char *details = ch_stmt_cstr(st, 6);
        char digest[CH_AUDIT_HASH_HEX], hash[CH_AUDIT_HASH_HEX];
        digest_hex(details != NULL ? details : "", details != NULL ? strlen(details) : 0, digest);
        if (strcmp(digest, ch_stmt_cstr(st, 5)) != 0)
            fail(r, seq, "entry %lld was changed (its details do not match their digest)", (long long)seq);
        if (strcmp(prev, ch_stmt_cstr(st, 7)) != 0)
            fail(r, seq, "entry %lld does not follow its predecessor (removed or reordered)",
                 (long long)seq);
        entry_hash(ch_stmt_cstr(st, 7), seq, ch_stmt_int(st, 1), ch_stmt_cstr(st, 2),
                   ch_stmt_cstr(st, 3), ch_stmt_cstr(st, 4), ch_stmt_cstr(st, 5), hash);
        if (strcmp(hash, ch_stmt_cstr(st, 8)) != 0)
            fail(r, seq, "entry %lld was changed (its hash does not match its fields)", (long long)seq);
        snprintf(prev, sizeof(prev), "%s", ch_stmt_cstr(st, 8));
        expect = seq + 1;
    }
    ch_stmt_free(st);
    if (rc < 0)
        return rc;
    int64_t head_seq = 0;
    rc = ch_store_query_int(s, "SELECT seq FROM audit_head WHERE id = 1", NULL, -1, &head_seq,
                            err);
    if (rc != CH_OK)
        return rc;
    if (head_seq != expect - 1)
        fail(r, expect, "entries from %lld on were removed (the chain's head says otherwise)",
             (long long)expect);
    return CH_OK;
}

static int verify_checkpoints(struct ch_store *s, const unsigned char *public_key,
                              struct ch_audit_report *r, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT c.seq, c.hash, c.at, c.public_key, c.signature, l.hash"
                              " FROM audit_checkpoints c LEFT JOIN audit_log l ON l.seq = c.seq"
                              " ORDER BY c.seq",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        int64_t seq = ch_stmt_int(st, 0);
        r->checkpoints++;
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
        const char *pkh = ch_stmt_cstr(st, 3), *sigh = ch_stmt_cstr(st, 4);
        bool decoded =
            sodium_hex2bin(pk, sizeof(pk), pkh, strlen(pkh), NULL, NULL, NULL) == 0 &&
            sodium_hex2bin(sig, sizeof(sig), sigh, strlen(sigh), NULL, NULL, NULL) == 0;
        char msg[256];
        checkpoint_message(seq, ch_stmt_cstr(st, 1), ch_stmt_int(st, 2), msg, sizeof(msg));
        const unsigned char *key = public_key != NULL ? public_key : pk;
        if (!decoded || crypto_sign_verify_detached(sig, (const unsigned char *)msg, strlen(msg),
                                                    key) != 0)
            fail(r, seq, "checkpoint at entry %lld has a bad signature", (long long)seq);
        else if (ch_stmt_is_null(st, 5) || strcmp(ch_stmt_cstr(st, 5), ch_stmt_cstr(st, 1)) != 0)
            fail(r, seq, "entry %lld differs from what its signed checkpoint says", (long long)seq);
    }
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_audit_verify(struct ch_store *s, const unsigned char *public_key,
                    struct ch_audit_report *report, struct ch_err *err)
{
    struct ch_audit_report r = {.ok = 1};
    int rc = ch_store_begin(s, err);
    if (rc != CH_OK)
        return rc;
    rc = verify_chain(s, &r, err);
    if (rc == CH_OK)
        rc = verify_checkpoints(s, public_key, &r, err);
    ch_store_rollback(s); /* read-only */
    if (rc == CH_OK)
        *report = r;
    return rc;
}

int ch_audit_checkpoints_json(struct ch_store *s, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT seq, hash, at, key_id, public_key, signature"
                           " FROM audit_checkpoints ORDER BY seq",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "seq", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "hash", ch_stmt_cstr(st, 1));
        ch_jw_ktime(w, "at", ch_stmt_int(st, 2));
        ch_jw_kint(w, "at_unix", ch_stmt_int(st, 2));
        ch_jw_kstr(w, "key_id", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "public_key", ch_stmt_cstr(st, 4));
        ch_jw_kstr(w, "signature", ch_stmt_cstr(st, 5));
        ch_jw_kstr(w, "message_format", "ch-audit-checkpoint-v1\\n<seq>\\n<hash>\\n<at_unix>\\n");
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_audit_log_json(struct ch_store *s, unsigned limit, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT seq, at, actor, action, object, details, hash FROM audit_log"
                           " ORDER BY seq DESC LIMIT ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, limit);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "seq", ch_stmt_int(st, 0));
        ch_jw_ktime(w, "at", ch_stmt_int(st, 1));
        ch_jw_kstr(w, "actor", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "action", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "object", ch_stmt_cstr(st, 4));
        ch_jw_kstr(w, "details", ch_stmt_cstr(st, 5));
        ch_jw_kstr(w, "hash", ch_stmt_cstr(st, 6));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}
