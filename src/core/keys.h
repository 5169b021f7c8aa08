/* SPDX-License-Identifier: Apache-2.0
 *
 * keys.h: the server's long-term keys, kept as files in a key directory
 * (mode 0700, files 0600): an Ed25519 signing key pair (audit checkpoints,
 * designation decisions, enforcement packages) and a 256-bit secret key for
 * encryption at rest (libsodium secretbox). Created once by
 * `clearinghouse init`, never overwritten; loading refuses key files that
 * other users could read.
 */
#ifndef CH_CORE_KEYS_H
#define CH_CORE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define CH_KEYS_SIGN_PK_BYTES 32
#define CH_KEYS_SIGN_SK_BYTES 64
#define CH_KEYS_SECRET_BYTES 32
#define CH_KEYS_ID_MAX 32

struct ch_keys {
    unsigned char sign_pk[CH_KEYS_SIGN_PK_BYTES];
    unsigned char sign_sk[CH_KEYS_SIGN_SK_BYTES];
    unsigned char secret[CH_KEYS_SECRET_BYTES];
    char key_id[CH_KEYS_ID_MAX]; /* "ed25519:" + 16 hex digits of the public key's hash */
};

/* Initialises libsodium; call once from main() (idempotent). */
int ch_crypto_init(struct ch_err *err) CH_MUST_CHECK;

/*
 * Creates the directory and any missing key file. Existing keys are kept.
 * *ret_created says whether anything new was written.
 */
int ch_keys_create(const char *dir, bool *ret_created, struct ch_err *err) CH_MUST_CHECK;
/* Loads all keys; CH_E_NOTFOUND if missing, CH_E_PERM if readable by others. */
int ch_keys_load(const char *dir, struct ch_keys *ret, struct ch_err *err) CH_MUST_CHECK;
/* Zeroes the secrets in k. */
void ch_keys_wipe(struct ch_keys *k);

#endif
