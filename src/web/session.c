/* SPDX-License-Identifier: Apache-2.0
 *
 * session.c: sealed session cookies and CSRF tokens (see session.h).
 * Layout of a sealed value before base64url: nonce (24 bytes) then the
 * secretbox of [sign-in time, 8 bytes little-endian][token].
 */
#include "web/session.h"

#include <sodium.h>
#include <string.h>

#define NONCE_LEN crypto_secretbox_NONCEBYTES
#define MAC_LEN crypto_secretbox_MACBYTES
#define TIME_LEN 8u
#define SEALED_MAX (NONCE_LEN + MAC_LEN + TIME_LEN + CH_SESSION_TOKEN_MAX)
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

void ch_session_keys_init(struct ch_session_keys *k)
{
    randombytes_buf(k->seal, sizeof(k->seal));
    randombytes_buf(k->csrf, sizeof(k->csrf));
}

int ch_session_seal(const struct ch_session_keys *k, struct ch_str token, int64_t now,
                    char out[CH_SESSION_COOKIE_MAX + 1], struct ch_err *err)
{
    if (token.len == 0 || token.len > CH_SESSION_TOKEN_MAX)
        return ch_err_set(err, CH_E_INVALID, "a token has 1 to %d characters",
                          CH_SESSION_TOKEN_MAX);
    for (size_t i = 0; i < token.len; i++) {
        unsigned char c = (unsigned char)token.ptr[i];
        if (c <= ' ' || c >= 0x7f)
            return ch_err_set(err, CH_E_INVALID, "a token has printable characters only");
    }
    unsigned char plain[TIME_LEN + CH_SESSION_TOKEN_MAX];
    uint64_t t = (uint64_t)now;
    for (unsigned i = 0; i < TIME_LEN; i++)
        plain[i] = (unsigned char)(t >> (8 * i));
    memcpy(plain + TIME_LEN, token.ptr, token.len);
    unsigned char sealed[SEALED_MAX];
    randombytes_buf(sealed, NONCE_LEN);
    crypto_secretbox_easy(sealed + NONCE_LEN, plain, TIME_LEN + token.len, sealed, k->seal);
    sodium_memzero(plain, sizeof(plain));
    size_t n = NONCE_LEN + MAC_LEN + TIME_LEN + token.len;
    sodium_bin2base64(out, CH_SESSION_COOKIE_MAX + 1, sealed, n, B64);
    return CH_OK;
}

int ch_session_open(const struct ch_session_keys *k, struct ch_str value, int64_t now,
                    char ret_token[CH_SESSION_TOKEN_MAX + 1], struct ch_err *err)
{
    unsigned char sealed[SEALED_MAX];
    size_t n = 0;
    if (value.len == 0 || value.len > CH_SESSION_COOKIE_MAX ||
        sodium_base642bin(sealed, sizeof(sealed), value.ptr, value.len, NULL, &n, NULL, B64) != 0 ||
        n <= NONCE_LEN + MAC_LEN + TIME_LEN)
        return ch_err_set(err, CH_E_AUTH, "session expired or invalid; sign in again");
    unsigned char plain[TIME_LEN + CH_SESSION_TOKEN_MAX];
    size_t plain_len = n - NONCE_LEN - MAC_LEN;
    if (crypto_secretbox_open_easy(plain, sealed + NONCE_LEN, n - NONCE_LEN, sealed, k->seal) != 0)
        return ch_err_set(err, CH_E_AUTH, "session expired or invalid; sign in again");
    uint64_t t = 0;
    for (unsigned i = 0; i < TIME_LEN; i++)
        t |= (uint64_t)plain[i] << (8 * i);
    int64_t signed_in = (int64_t)t;
    if (signed_in > now + 300 || now - signed_in > CH_SESSION_MAX_AGE_S) {
        sodium_memzero(plain, sizeof(plain));
        return ch_err_set(err, CH_E_AUTH, "session expired or invalid; sign in again");
    }
    memcpy(ret_token, plain + TIME_LEN, plain_len - TIME_LEN);
    ret_token[plain_len - TIME_LEN] = '\0';
    sodium_memzero(plain, sizeof(plain));
    return CH_OK;
}

void ch_session_pre_new(char out[CH_SESSION_COOKIE_MAX + 1])
{
    unsigned char r[24];
    randombytes_buf(r, sizeof(r));
    sodium_bin2base64(out, CH_SESSION_COOKIE_MAX + 1, r, sizeof(r), B64);
}

void ch_session_csrf(const struct ch_session_keys *k, struct ch_str value,
                     char out[CH_CSRF_LEN + 1])
{
    unsigned char h[CH_CSRF_LEN / 2];
    crypto_generichash(h, sizeof(h), (const unsigned char *)value.ptr, value.len, k->csrf,
                       sizeof(k->csrf));
    sodium_bin2hex(out, CH_CSRF_LEN + 1, h, sizeof(h));
}

bool ch_session_csrf_ok(const struct ch_session_keys *k, struct ch_str value, const char *given)
{
    if (value.len == 0 || given == NULL || strlen(given) != CH_CSRF_LEN)
        return false;
    char want[CH_CSRF_LEN + 1];
    ch_session_csrf(k, value, want);
    return sodium_memcmp(want, given, CH_CSRF_LEN) == 0;
}
