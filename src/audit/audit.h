/* SPDX-License-Identifier: Apache-2.0
 *
 * audit.h: the hash-chained audit log.
 *
 * Every state change appends an entry (sequence, time, actor, action,
 * object, digest of the details, previous hash, hash) inside the same
 * transaction as the change, so an entry exists exactly when the change
 * does. hash = BLAKE2b-256 over the previous hash and the entry's fields;
 * the chain starts from 64 zeros. Appends are serialised by the row of
 * audit_head (locked by UPDATE until commit), so concurrent writers, also
 * from several processes on PostgreSQL, always extend one linear chain.
 *
 * Checkpoints sign (seq, hash) with the server's Ed25519 key; anyone with
 * the public key can verify them (GET /api/v1/audit/checkpoints).
 * ch_audit_verify() recomputes the whole chain and reports the first entry
 * that was changed, removed or reordered.
 */
#ifndef CH_AUDIT_AUDIT_H
#define CH_AUDIT_AUDIT_H

#include <stdint.h>

#include "core/json.h"
#include "core/keys.h"
#include "store/store.h"

#define CH_AUDIT_HASH_HEX 65
/* Sign a checkpoint after this many entries (the server also signs at shutdown). */
#define CH_AUDIT_CHECKPOINT_EVERY 1000

struct ch_audit_entry {
    const char *actor;      /* "user:alice", "cli", "system" */
    const char *action;     /* "org.create", "exposure.transition", ... */
    const char *object;     /* "org:water-co", "exposure:42" */
    const char *details;    /* JSON text or NULL; its digest is chained */
};

/* Appends e at time `at`; run inside the transaction of the change it records. */
int ch_audit_append(struct ch_store *s, const struct ch_audit_entry *e, int64_t at,
                    int64_t *ret_seq, struct ch_err *err) CH_MUST_CHECK;

/* Signs the chain's current end (no-op when it is already signed). */
int ch_audit_checkpoint(struct ch_store *s, const struct ch_keys *keys, int64_t at,
                        int64_t *ret_seq, struct ch_err *err) CH_MUST_CHECK;

struct ch_audit_report {
    int ok;                 /* 1 when the chain and every checkpoint verify */
    int64_t entries;
    int64_t checkpoints;
    int64_t first_bad_seq;  /* 0 when ok */
    char problem[256];      /* what is wrong with first_bad_seq */
};

/*
 * Recomputes the chain. public_key (32 bytes) verifies the checkpoints; NULL
 * uses the key stored with each checkpoint (detects edits, not forgery by
 * someone holding a key). Returns CH_OK whether or not the chain is intact
 * (see report->ok); errors are database errors only.
 */
int ch_audit_verify(struct ch_store *s, const unsigned char *public_key,
                    struct ch_audit_report *report, struct ch_err *err) CH_MUST_CHECK;

/* Checkpoints as a JSON array: seq, hash, at, key_id, public_key, signature. */
int ch_audit_checkpoints_json(struct ch_store *s, struct ch_jw *w,
                              struct ch_err *err) CH_MUST_CHECK;
/* The last `limit` entries, newest first, as a JSON array. */
int ch_audit_log_json(struct ch_store *s, unsigned limit, struct ch_jw *w,
                      struct ch_err *err) CH_MUST_CHECK;

#endif
