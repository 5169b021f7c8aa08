/* SPDX-License-Identifier: Apache-2.0
 *
 * session.h: the dashboard's session cookie and CSRF tokens.
 *
 * Design: the cookie carries the user's API token, sealed (encrypted and
 * authenticated with libsodium's crypto_secretbox) under a key drawn at
 * random when the server starts, together with the time of sign-in. No
 * session table is kept: every page opens the cookie and authenticates the
 * token exactly as the API authenticates a bearer token, so a revoked or
 * expired token ends its sessions at once, and several server processes
 * need no shared state beyond the database. A restart (new key) signs
 * everyone out, and a session lasts at most CH_SESSION_MAX_AGE_S.
 *
 * The cookie is HttpOnly and SameSite=Strict. It cannot be Secure: the
 * server speaks plain HTTP (behind a TLS proxy in production, where the
 * proxy should add Secure); browsers refuse Secure cookies from http://
 * origins other than localhost.
 *
 * CSRF: every form carries a token derived from the cookie value with a
 * keyed hash (a second random key), checked in constant time on every POST.
 * Before sign-in a random pre-session cookie plays the same role for the
 * sign-in form.
 *
 * Thread-safety: the keys are read-only after ch_session_keys_init().
 */
#ifndef CH_WEB_SESSION_H
#define CH_WEB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

#define CH_SESSION_COOKIE "ch_session"
#define CH_SESSION_PRE_COOKIE "ch_pre"
/* A working day: long enough not to annoy, short enough to bound a stolen cookie. */
#define CH_SESSION_MAX_AGE_S (8 * 3600)
/* Longest sealed cookie value (base64url of nonce, MAC, time and a token). */
#define CH_SESSION_COOKIE_MAX 256
/* Longest token a session holds (identity.h CH_TOKEN_MAX). */
#define CH_SESSION_TOKEN_MAX 96
/* CSRF token text: 32 hex digits. */
#define CH_CSRF_LEN 32

struct ch_session_keys {
    unsigned char seal[32]; /* crypto_secretbox key */
    unsigned char csrf[32]; /* crypto_generichash key */
};

/* Draws both keys at random (sodium_init() must have run). */
void ch_session_keys_init(struct ch_session_keys *k);

/*
 * Seals token (at most CH_SESSION_TOKEN_MAX printable bytes) with the time
 * of sign-in into out (NUL-terminated base64url, at most
 * CH_SESSION_COOKIE_MAX bytes). CH_E_INVALID for a token of another shape.
 */
int ch_session_seal(const struct ch_session_keys *k, struct ch_str token, int64_t now,
                    char out[CH_SESSION_COOKIE_MAX + 1], struct ch_err *err) CH_MUST_CHECK;

/*
 * Opens a cookie value: writes the token (NUL-terminated) into ret_token.
 * CH_E_AUTH when it was not sealed by these keys, is damaged, or is older
 * than CH_SESSION_MAX_AGE_S at `now`.
 */
int ch_session_open(const struct ch_session_keys *k, struct ch_str value, int64_t now,
                    char ret_token[CH_SESSION_TOKEN_MAX + 1], struct ch_err *err) CH_MUST_CHECK;

/* A fresh random pre-session value (sign-in form), NUL-terminated base64url. */
void ch_session_pre_new(char out[CH_SESSION_COOKIE_MAX + 1]);

/* The CSRF token of a cookie value (session or pre-session). */
void ch_session_csrf(const struct ch_session_keys *k, struct ch_str value,
                     char out[CH_CSRF_LEN + 1]);
/* True when `given` is the CSRF token of `value` (constant-time comparison). */
bool ch_session_csrf_ok(const struct ch_session_keys *k, struct ch_str value, const char *given);

#endif
