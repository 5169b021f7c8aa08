/* SPDX-License-Identifier: Apache-2.0
 *
 * identity.h: organisations, users, roles, clearances and API tokens.
 *
 * Every user belongs to one organisation and holds roles and a clearance.
 * An API token is "chk_" + 12 characters of lookup + "_" + 43 characters of
 * secret (32 random bytes, base64url). The secret is shown once, when the
 * token is created; the store keeps only a BLAKE2b hash of it, compared in
 * constant time. Tokens expire, can be revoked, and may be scoped to fewer
 * roles than their user holds.
 *
 * Organisation categories follow the executive order and BOD scopes:
 * national-security system owners, DoD, civilian federal (FCEB), state/
 * local/tribal/territorial (SLTT), critical infrastructure (with one of the
 * 16 CISA sectors), AI-industry partners, model developers, and the
 * clearinghouse itself.
 */
#ifndef CH_IDENTITY_IDENTITY_H
#define CH_IDENTITY_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "store/store.h"

enum ch_org_category {
    CH_ORG_NSS,           /* national security systems */
    CH_ORG_DOD,
    CH_ORG_FCEB,
    CH_ORG_SLTT,
    CH_ORG_CI,
    CH_ORG_PARTNER,
    CH_ORG_DEVELOPER,
    CH_ORG_CLEARINGHOUSE,
    CH_ORG_CATEGORY_COUNT
};

enum ch_role {
    CH_ROLE_ADMIN = 1 << 0,
    CH_ROLE_ANALYST = 1 << 1,
    CH_ROLE_OPERATOR = 1 << 2,
    CH_ROLE_PARTNER = 1 << 3,
    CH_ROLE_DEVELOPER = 1 << 4,
    CH_ROLE_EVALUATOR = 1 << 5,
};
#define CH_ROLE_ALL 0x3fu
/* Roles that see every organisation's objects (clearinghouse-wide). */
#define CH_ROLE_WIDE (CH_ROLE_ADMIN | CH_ROLE_ANALYST)

enum ch_clearance {
    CH_CLEAR_UNCLASSIFIED = 0,
    CH_CLEAR_CUI = 1,
    CH_CLEAR_SECRET = 2,
    CH_CLEAR_TOP_SECRET = 3,
};

/* Who is calling: the result of authenticating a token. */
struct ch_principal {
    int64_t user_id;
    int64_t org_id;
    int64_t token_id;
    enum ch_org_category org_category;
    unsigned roles;                /* effective: user roles ∩ token scope */
    enum ch_clearance clearance;
    char user_name[128];
    char org_slug[64];
};

/* "nss", "dod", ...; NULL for an out-of-range value. */
const char *ch_org_category_name(enum ch_org_category c);
/* Parses a category name (case-insensitive); CH_E_INVALID naming the accepted ones. */
int ch_org_category_parse(struct ch_str s, enum ch_org_category *ret,
                          struct ch_err *err) CH_MUST_CHECK;
/* Names: "unclassified", "cui", ... */
const char *ch_clearance_name(enum ch_clearance c);
int ch_clearance_parse(const char *s, enum ch_clearance *ret);
/* "admin,operator" → bits; CH_E_INVALID naming the unknown role. */
int ch_roles_parse(const char *s, unsigned *ret, struct ch_err *err) CH_MUST_CHECK;
/* bits → "admin,operator" into out. */
void ch_roles_format(unsigned roles, char *out, size_t out_size);
/* One of the 16 CISA critical-infrastructure sectors (slug form, e.g. "water"). */
bool ch_ci_sector_valid(const char *s);

struct ch_org_new {
    const char *slug;      /* [a-z0-9-]{2,63} */
    const char *name;
    enum ch_org_category category;
    const char *sector;    /* required for CH_ORG_CI, else NULL */
};

int ch_org_create(struct ch_store *s, const struct ch_org_new *o, int64_t now, int64_t *ret_id,
                  struct ch_err *err) CH_MUST_CHECK;
int ch_org_find(struct ch_store *s, const char *slug, int64_t *ret_id,
                struct ch_err *err) CH_MUST_CHECK;
/* Writes a JSON array of organisations. */
int ch_org_list_json(struct ch_store *s, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

struct ch_user_new {
    int64_t org_id;
    const char *name;      /* unique; [A-Za-z0-9._@-]{1,127} */
    unsigned roles;
    enum ch_clearance clearance;
};

int ch_user_create(struct ch_store *s, const struct ch_user_new *u, int64_t now, int64_t *ret_id,
                   struct ch_err *err) CH_MUST_CHECK;
int ch_user_find(struct ch_store *s, const char *name, int64_t *ret_id,
                 struct ch_err *err) CH_MUST_CHECK;
int ch_user_list_json(struct ch_store *s, int64_t org_id /* 0: all */, struct ch_jw *w,
                      struct ch_err *err) CH_MUST_CHECK;

#define CH_TOKEN_MAX 96

struct ch_token_new {
    int64_t user_id;
    const char *name;      /* label, may be NULL */
    unsigned scope;        /* 0: all of the user's roles */
    int64_t expires_at;    /* -1: never */
};

/* Creates a token; writes the full secret token (shown once) into ret_token. */
int ch_token_create(struct ch_store *s, const struct ch_token_new *t, int64_t now,
                    int64_t *ret_id, char ret_token[CH_TOKEN_MAX],
                    struct ch_err *err) CH_MUST_CHECK;
int ch_token_revoke(struct ch_store *s, int64_t token_id, int64_t now,
                    struct ch_err *err) CH_MUST_CHECK;
int ch_token_list_json(struct ch_store *s, int64_t user_id /* 0: all */, struct ch_jw *w,
                       struct ch_err *err) CH_MUST_CHECK;

/*
 * Resolves a presented token (the value after "Bearer "). CH_E_AUTH for any
 * unknown, malformed, expired or revoked token, or a disabled user, with one
 * message for all so a caller learns nothing about which.
 */
int ch_token_authenticate(struct ch_store *s, struct ch_str token, int64_t now,
                          struct ch_principal *ret, struct ch_err *err) CH_MUST_CHECK;

#endif
