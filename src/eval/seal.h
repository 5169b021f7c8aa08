/* SPDX-License-Identifier: Apache-2.0
 *
 * seal.h: encryption at rest of evaluation content: suite files (tasks,
 * flags, solutions), transcripts, gateway requests and responses, and model
 * credentials (DESIGN.md §1 item 6, §7: "encrypted at rest, visible only
 * with clearance and need-to-know").
 *
 * Format of a sealed blob: "CHS1" || nonce (24 random bytes) ||
 * crypto_secretbox_easy(plaintext) (XSalsa20-Poly1305, 16-byte tag), where
 * plaintext = u16 big-endian length of a context string || context || data.
 * The context ("suite:cybench-1/suite.json", "credential:model:7") names
 * what the blob is; opening checks it, so a blob copied onto another row or
 * file does not open as that object. The key is derived from the server's
 * secret key per purpose (crypto_kdf, context "chseal01"): content and
 * credentials never share a key.
 *
 * Sealed objects in the store (table eval_sealed) are opened only in memory:
 * for a run (the harness) or for a cleared reader. A reader must hold an
 * evaluating role (evaluator, analyst, admin) and a clearance at or above
 * the object's classification; a model developer never opens task content
 * (it sees outcomes through decisions and reports). Every open, allowed or
 * refused, is audited ("sealed.read" / "sealed.read_refused").
 *
 * Memory: plaintext buffers should be released with ch_seal_buf_wipe(),
 * which zeroes them first. Thread-safety: stateless; libsodium must have
 * been initialised (ch_crypto_init).
 */
#ifndef CH_EVAL_SEAL_H
#define CH_EVAL_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/keys.h"
#include "eval/models.h"

struct ch_store;

#define CH_SEAL_MAGIC "CHS1"
#define CH_SEAL_MAGIC_BYTES 4u
#define CH_SEAL_NONCE_BYTES 24u
#define CH_SEAL_MAC_BYTES 16u
#define CH_SEAL_KEY_BYTES 32u
/* Bytes a sealed blob adds to its data (context aside). */
#define CH_SEAL_OVERHEAD (CH_SEAL_MAGIC_BYTES + CH_SEAL_NONCE_BYTES + CH_SEAL_MAC_BYTES + 2u)
/* Largest context string: names, not content. */
#define CH_SEAL_MAX_CONTEXT 1024u
/* Largest sealed plaintext: a suite file (CH_SUITE_MAX_FILE_BYTES is 256 MiB). */
#define CH_SEAL_MAX_BYTES ((size_t)256 << 20)
/* Largest name of a sealed object in the store. */
#define CH_SEAL_MAX_NAME 512u

enum ch_seal_purpose {
    CH_SEAL_CONTENT = 1,     /* suites, transcripts, gateway records */
    CH_SEAL_CREDENTIALS = 2, /* model endpoint API keys */
};

struct ch_seal_key {
    unsigned char k[CH_SEAL_KEY_BYTES];
};

/* Derives the key of a purpose from the server's secret key. */
void ch_seal_key_derive(const struct ch_keys *keys, enum ch_seal_purpose p,
                        struct ch_seal_key *ret);
void ch_seal_key_wipe(struct ch_seal_key *k);

/*
 * Appends the sealed form of data to out. CH_E_LIMIT past CH_SEAL_MAX_BYTES
 * or CH_SEAL_MAX_CONTEXT, CH_E_NOMEM.
 */
int ch_seal(const struct ch_seal_key *k, const char *context, const void *data, size_t len,
            struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;
/*
 * Opens a sealed blob into out (reset first). CH_E_INVALID when it is not a
 * sealed blob, was altered, was sealed under another key, or names another
 * context; CH_E_NOMEM.
 */
int ch_seal_open(const struct ch_seal_key *k, const char *context, const void *sealed, size_t len,
                 struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;
/* Whether bytes look like a sealed blob (magic only; no key needed). */
bool ch_seal_is_sealed(const void *data, size_t len);
/* Zeroes the buffer's memory, then releases it. */
void ch_seal_buf_wipe(struct ch_buf *b);

/* Seals the file at in_path to out_path (mode 0600, written then renamed). */
int ch_seal_file(const struct ch_seal_key *k, const char *context, const char *in_path,
                 const char *out_path, struct ch_err *err) CH_MUST_CHECK;
/* Opens a sealed file into out (memory only). */
int ch_seal_file_open(const struct ch_seal_key *k, const char *context, const char *path,
                      struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;

/* ---- sealed objects in the store -------------------------------------------------------- */

enum ch_sealed_kind {
    CH_SEALED_SUITE = 0,  /* a suite document or task file; name "SUITE_ID/relative/path" */
    CH_SEALED_TRANSCRIPT, /* a sample's transcript; name "run:N/TASK.eEPOCH" */
    CH_SEALED_KIND_COUNT
};

/* "suite", "transcript". */
const char *ch_sealed_kind_str(enum ch_sealed_kind k);

struct ch_sealed_new {
    enum ch_sealed_kind kind;
    const char *name; /* unique per kind, at most CH_SEAL_MAX_NAME bytes */
    enum ch_clearance classification;
    int64_t owner_org_id; /* 0: none */
    int64_t run_id;       /* 0: none */
    const void *data;
    size_t len;
    bool replace; /* overwrite an object of that name (a retried sample's transcript) */
};

/*
 * Seals and stores one object. Only evaluating roles may store content
 * (CH_E_PERM). CH_E_CONFLICT when the name is taken (unless o->replace).
 * Audited "sealed.put" (name and size, never content). Runs in its own
 * write transaction, or in the caller's when one is open.
 */
int ch_sealed_put(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                  const struct ch_sealed_new *o, int64_t now, int64_t *ret_id,
                  struct ch_err *err) CH_MUST_CHECK;
/* As ch_sealed_put() with the data of a file (at most CH_SEAL_MAX_BYTES). */
int ch_sealed_put_file(struct ch_store *s, const struct ch_keys *keys,
                       const struct ch_eval_actor *a, const struct ch_sealed_new *o,
                       const char *path, int64_t now, int64_t *ret_id,
                       struct ch_err *err) CH_MUST_CHECK;

/* Whether the actor may open content of that marking: an evaluating role, clearance at or above. */
bool ch_sealed_may_read(const struct ch_eval_actor *a, enum ch_clearance level);

enum ch_sealed_purpose {
    CH_SEALED_FOR_RUN = 0, /* the harness, to run an evaluation */
    CH_SEALED_FOR_READER,  /* a cleared person reading it */
};

/*
 * Opens a stored object into out (memory only; reset first) when the actor
 * may read it: an evaluating role and clearance at or above its
 * classification; otherwise CH_E_NOTFOUND, as for an absent object. Audits
 * the read (or the refusal) in its own write transaction, so call it
 * outside one. Wipe out with ch_seal_buf_wipe().
 */
int ch_sealed_open(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                   enum ch_sealed_kind kind, const char *name, enum ch_sealed_purpose purpose,
                   int64_t now, struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;

/* BLAKE2b-256 of data as 64 lowercase hex digits plus NUL. */
void ch_seal_digest_hex(const void *data, size_t len, char out[65]);

#endif
