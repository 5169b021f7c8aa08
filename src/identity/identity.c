/* SPDX-License-Identifier: Apache-2.0
 *
 * identity.c: organisations, users and tokens (see identity.h).
 */
#include "identity/identity.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_PREFIX "chk_"
#define TOKEN_LOOKUP_LEN 12
#define TOKEN_SECRET_BYTES 32
#define MAX_NAME_LEN 127
#define MAX_ORG_NAME_LEN 200

static const char *const category_names[] = {
    [CH_ORG_NSS] = "nss",         [CH_ORG_DOD] = "dod",           [CH_ORG_FCEB] = "fceb",
    [CH_ORG_SLTT] = "sltt",       [CH_ORG_CI] = "ci",             [CH_ORG_PARTNER] = "partner",
    [CH_ORG_DEVELOPER] = "developer", [CH_ORG_CLEARINGHOUSE] = "clearinghouse",
};

static const char *const role_names[] = {"admin", "analyst", "operator",
                                         "partner", "developer", "evaluator"};

static const char *const clearance_names[] = {"unclassified", "cui", "secret", "top_secret"};

/* The 16 critical-infrastructure sectors of PPD-21, as slugs. */
static const char *const sectors[] = {
    "chemical", "commercial-facilities", "communications", "critical-manufacturing", "dams",
    "defense-industrial-base", "emergency-services", "energy", "financial-services",
    "food-and-agriculture", "government-facilities", "healthcare-and-public-health",
    "information-technology", "nuclear", "transportation", "water",
};

const char *ch_org_category_name(enum ch_org_category c)
{
    if ((unsigned)c >= CH_ORG_CATEGORY_COUNT)
        return NULL;
    return category_names[c];
}

int ch_org_category_parse(struct ch_str s, enum ch_org_category *ret, struct ch_err *err)
{
    for (size_t i = 0; i < CH_ORG_CATEGORY_COUNT; i++) {
        if (ch_str_case_eq_c(s, category_names[i])) {
            *ret = (enum ch_org_category)i;
            return CH_OK;
        }
    }
    return ch_err_setf(err, CH_E_INVALID, "category",
                       "unknown organisation category '%.*s' (expected nss, dod, fceb, sltt, ci, "
                       "partner, developer or clearinghouse)",
                       CH_STR_FMT(ch_str_sub(s, 0, 60)));
}

const char *ch_clearance_name(enum ch_clearance c)
{
    if ((int)c < 0 || (size_t)c >= CH_ARRAY_SIZE(clearance_names))
        return "unknown";
    return clearance_names[c];
}

int ch_clearance_parse(const char *s, enum ch_clearance *ret)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(clearance_names); i++) {
        if (strcmp(s, clearance_names[i]) == 0) {
            *ret = (enum ch_clearance)i;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

int ch_roles_parse(const char *s, unsigned *ret, struct ch_err *err)
{
    unsigned roles = 0;
    struct ch_str rest = ch_str_c(s), tok;
    while (ch_str_split_next(&rest, ',', &tok)) {
        tok = ch_str_trim(tok);
        size_t i;
        for (i = 0; i < CH_ARRAY_SIZE(role_names); i++) {
            if (ch_str_eq_c(tok, role_names[i]))
                break;
        }
        if (i == CH_ARRAY_SIZE(role_names))
            return ch_err_setf(err, CH_E_INVALID, "roles",
                               "unknown role '%.*s' (admin, analyst, operator, partner, "
                               "developer, evaluator)",
                               CH_STR_FMT(ch_str_sub(tok, 0, 40)));
        roles |= 1u << i;
    }
    if (roles == 0)
        return ch_err_setf(err, CH_E_INVALID, "roles", "name at least one role");
    *ret = roles;
    return CH_OK;
}

void ch_roles_format(unsigned roles, char *out, size_t out_size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < CH_ARRAY_SIZE(role_names); i++) {
        if (!(roles & (1u << i)))
            continue;
        int k = snprintf(out + n, out_size - n, "%s%s", n ? "," : "", role_names[i]);
        if (k < 0 || (size_t)k >= out_size - n)
            break;
        n += (size_t)k;
    }
}

bool ch_ci_sector_valid(const char *s)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(sectors); i++) {
        if (strcmp(s, sectors[i]) == 0)
            return true;
    }
    return false;
}

static bool valid_chars(const char *s, size_t min, size_t max, const char *extra, bool upper)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (upper && c >= 'A' && c <= 'Z') || strchr(extra, c) != NULL;
        if (!ok || c == '\0')
            return false;
    }
    return true;
}

/* Maps a unique-constraint conflict to a message about the named object. */
static int insert_returning(struct ch_store *s, struct ch_stmt *st, int64_t *ret_id,
                            const char *what, const char *name, struct ch_err *err)
{
    int rc = ch_stmt_step(st, err);
    if (rc == 1) {
        *ret_id = ch_stmt_int(st, 0);
        ch_stmt_reset(st);
        return CH_OK;
    }
    ch_stmt_reset(st);
    if (rc == CH_E_CONFLICT) {
        ch_err_clear(err);
        return ch_err_set(err, CH_E_CONFLICT, "%s '%s' already exists", what, name);
    }
    return rc < 0 ? rc : ch_err_set(err, CH_E_DB, "cannot create %s", what);
}

int ch_org_create(struct ch_store *s, const struct ch_org_new *o, int64_t now, int64_t *ret_id,
                  struct ch_err *err)
{
    if (o->slug == NULL || !valid_chars(o->slug, 2, 63, "-", false))
        return ch_err_setf(err, CH_E_INVALID, "slug",
                           "organisation slug must be 2-63 characters of a-z, 0-9 and '-'");
    if (o->name == NULL || o->name[0] == '\0' || strlen(o->name) > MAX_ORG_NAME_LEN)
        return ch_err_setf(err, CH_E_INVALID, "name", "organisation name must be 1-%d bytes",
                           MAX_ORG_NAME_LEN);
    if ((unsigned)o->category >= CH_ORG_CATEGORY_COUNT)
        return ch_err_setf(err, CH_E_INVALID, "category", "unknown organisation category");
    if (o->category == CH_ORG_CI && (o->sector == NULL || !ch_ci_sector_valid(o->sector)))
        return ch_err_setf(err, CH_E_INVALID, "sector",
                           "critical-infrastructure organisations need one of the 16 CISA "
                           "sectors (e.g. water, energy, healthcare-and-public-health)");
    if (o->category != CH_ORG_CI && o->sector != NULL)
        return ch_err_setf(err, CH_E_INVALID, "sector", "only category ci has a sector");
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO orgs (slug, name, category, sector, created_at)"
                           " VALUES (?, ?, ?, ?, ?) RETURNING id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, o->slug);
    ch_stmt_bind_cstr(st, 2, o->name);
    ch_stmt_bind_cstr(st, 3, ch_org_category_name(o->category));
    ch_stmt_bind_cstr(st, 4, o->sector);
    ch_stmt_bind_int(st, 5, now);
    return insert_returning(s, st, ret_id, "organisation", o->slug, err);
}

static int find_id(struct ch_store *s, const char *sql, const char *key, const char *what,
                   int64_t *ret_id, struct ch_err *err)
{
    int64_t id = 0;
    int rc = ch_store_query_int(s, sql, key, 0, &id, err);
    if (rc != CH_OK)
        return rc;
    if (id == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no %s '%s'", what, key);
    *ret_id = id;
    return CH_OK;
}

int ch_org_find(struct ch_store *s, const char *slug, int64_t *ret_id, struct ch_err *err)
{
    return find_id(s, "SELECT id FROM orgs WHERE slug = ?", slug, "organisation", ret_id, err);
}

int ch_org_list_json(struct ch_store *s, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, slug, name, category, sector, created_at FROM orgs"
                           " ORDER BY slug",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "slug", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "name", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "category", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "sector", ch_stmt_cstr(st, 4));
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 5));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_user_create(struct ch_store *s, const struct ch_user_new *u, int64_t now, int64_t *ret_id,
                   struct ch_err *err)
{
    if (u->name == NULL || !valid_chars(u->name, 1, MAX_NAME_LEN, "._@-", true))
        return ch_err_setf(err, CH_E_INVALID, "name",
                           "user name must be 1-%d characters of letters, digits and ._@-",
                           MAX_NAME_LEN);
    if (u->roles == 0 || (u->roles & ~CH_ROLE_ALL) != 0)
        return ch_err_setf(err, CH_E_INVALID, "roles", "invalid roles");
    char roles[128];
    ch_roles_format(u->roles, roles, sizeof(roles));
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO users (org_id, name, roles, clearance, created_at)"
                           " VALUES (?, ?, ?, ?, ?) RETURNING id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, u->org_id);
    ch_stmt_bind_cstr(st, 2, u->name);
    ch_stmt_bind_cstr(st, 3, roles);
    ch_stmt_bind_cstr(st, 4, ch_clearance_name(u->clearance));
    ch_stmt_bind_int(st, 5, now);
    return insert_returning(s, st, ret_id, "user", u->name, err);
}

int ch_user_find(struct ch_store *s, const char *name, int64_t *ret_id, struct ch_err *err)
{
    return find_id(s, "SELECT id FROM users WHERE name = ?", name, "user", ret_id, err);
}

int ch_user_list_json(struct ch_store *s, int64_t org_id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT u.id, u.name, o.slug, u.roles, u.clearance, u.created_at,"
                           " u.disabled_at FROM users u JOIN orgs o ON o.id = u.org_id"
                           " WHERE (? = 0 OR u.org_id = ?) ORDER BY u.name",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, org_id);
    ch_stmt_bind_int(st, 2, org_id);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "name", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "org", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "roles", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "clearance", ch_stmt_cstr(st, 4));
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 5));
        ch_jw_ktime(w, "disabled_at", ch_stmt_is_null(st, 6) ? -1 : ch_stmt_int(st, 6));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static void secret_hash(const char *secret, size_t len, char out[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)secret, len, NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

int ch_token_create(struct ch_store *s, const struct ch_token_new *t, int64_t now,
                    int64_t *ret_id, char ret_token[CH_TOKEN_MAX], struct ch_err *err)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char lookup[TOKEN_LOOKUP_LEN + 1];
    for (int i = 0; i < TOKEN_LOOKUP_LEN; i++)
        lookup[i] = alnum[randombytes_uniform(sizeof(alnum) - 1)];
    lookup[TOKEN_LOOKUP_LEN] = '\0';
    unsigned char raw[TOKEN_SECRET_BYTES];
    randombytes_buf(raw, sizeof(raw));
    char secret[sodium_base64_ENCODED_LEN(TOKEN_SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(secret, sizeof(secret), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    char hash[65];
    secret_hash(secret, strlen(secret), hash);
    char scope[128];
    if (t->scope != 0)
        ch_roles_format(t->scope, scope, sizeof(scope));
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO tokens (user_id, lookup, hash, name, scope, created_at,"
                           " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, t->user_id);
    ch_stmt_bind_cstr(st, 2, lookup);
    ch_stmt_bind_cstr(st, 3, hash);
    ch_stmt_bind_cstr(st, 4, t->name);
    ch_stmt_bind_cstr(st, 5, t->scope != 0 ? scope : NULL);
    ch_stmt_bind_int(st, 6, now);
    if (t->expires_at >= 0)
        ch_stmt_bind_int(st, 7, t->expires_at);
    else
        ch_stmt_bind_null(st, 7);
    rc = insert_returning(s, st, ret_id, "token", lookup, err);
    if (rc == CH_OK)
        snprintf(ret_token, CH_TOKEN_MAX, TOKEN_PREFIX "%s_%s", lookup, secret);
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

int ch_token_revoke(struct ch_store *s, int64_t token_id, int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    ch_stmt_bind_int(st, 2, token_id);
    rc = ch_stmt_run(st, err);
    if (rc != CH_OK)
        return rc;
    if (ch_store_changes(s) == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no active token %lld", (long long)token_id);
    return CH_OK;
}

int ch_token_list_json(struct ch_store *s, int64_t user_id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT t.id, u.name, t.name, t.lookup, t.scope, t.created_at,"
                           " t.expires_at, t.revoked_at, t.last_used_at FROM tokens t"
                           " JOIN users u ON u.id = t.user_id WHERE (? = 0 OR t.user_id = ?)"
                           " ORDER BY t.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, user_id);
    ch_stmt_bind_int(st, 2, user_id);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "user", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "name", ch_stmt_cstr(st, 2));
        char prefix[32];
        snprintf(prefix, sizeof(prefix), TOKEN_PREFIX "%s_...", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "prefix", prefix);
        ch_jw_kstr(w, "scope", ch_stmt_cstr(st, 4));
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 5));
        for (int c = 6; c <= 8; c++) {
            static const char *const keys[] = {"expires_at", "revoked_at", "last_used_at"};
            ch_jw_ktime(w, keys[c - 6], ch_stmt_is_null(st, c) ? -1 : ch_stmt_int(st, c));
        }
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_token_authenticate(struct ch_store *s, struct ch_str token, int64_t now,
                          struct ch_principal *ret, struct ch_err *err)
{
    const size_t plen = strlen(TOKEN_PREFIX);
    if (token.len < plen + TOKEN_LOOKUP_LEN + 2 || token.len > CH_TOKEN_MAX ||
        memcmp(token.ptr, TOKEN_PREFIX, plen) != 0 || token.ptr[plen + TOKEN_LOOKUP_LEN] != '_')
        return ch_err_set(err, CH_E_AUTH, "invalid or expired token");
    char lookup[TOKEN_LOOKUP_LEN + 1];
    memcpy(lookup, token.ptr + plen, TOKEN_LOOKUP_LEN);
    lookup[TOKEN_LOOKUP_LEN] = '\0';
    const char *secret = token.ptr + plen + TOKEN_LOOKUP_LEN + 1;
    size_t secret_len = token.len - plen - TOKEN_LOOKUP_LEN - 1;
    char hash[65];
    secret_hash(secret, secret_len, hash);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT t.id, t.hash, t.scope, t.expires_at, t.revoked_at, u.id,"
                           " u.roles, u.clearance, u.disabled_at, u.name, o.id, o.slug, o.category"
                           " FROM tokens t JOIN users u ON u.id = t.user_id"
                           " JOIN orgs o ON o.id = u.org_id WHERE t.lookup = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, lookup);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    bool ok = rc == 1;
    struct ch_principal p = {0};
    if (ok) {
        struct ch_str stored = ch_stmt_text(st, 1);
        ok = stored.len == 64 && sodium_memcmp(stored.ptr, hash, 64) == 0;
        ok = ok && ch_stmt_is_null(st, 4) && ch_stmt_is_null(st, 8);
        ok = ok && (ch_stmt_is_null(st, 3) || ch_stmt_int(st, 3) > now);
    }
    if (ok) {
        struct ch_err ignore = CH_ERR_INIT;
        unsigned roles = 0, scope = CH_ROLE_ALL;
        ok = ch_roles_parse(ch_stmt_cstr(st, 6), &roles, &ignore) == CH_OK;
        if (ok && !ch_stmt_is_null(st, 2))
            ok = ch_roles_parse(ch_stmt_cstr(st, 2), &scope, &ignore) == CH_OK;
        enum ch_clearance cl = CH_CLEAR_UNCLASSIFIED;
        enum ch_org_category cat = CH_ORG_PARTNER;
        ok = ok && ch_clearance_parse(ch_stmt_cstr(st, 7), &cl) == CH_OK &&
             ch_org_category_parse(ch_stmt_text(st, 12), &cat, &ignore) == CH_OK;
        p.token_id = ch_stmt_int(st, 0);
        p.user_id = ch_stmt_int(st, 5);
        p.org_id = ch_stmt_int(st, 10);
        p.roles = roles & scope;
        p.clearance = cl;
        p.org_category = cat;
        snprintf(p.user_name, sizeof(p.user_name), "%s", ch_stmt_cstr(st, 9));
        snprintf(p.org_slug, sizeof(p.org_slug), "%s", ch_stmt_cstr(st, 11));
    }
    ch_stmt_reset(st);
    sodium_memzero(hash, sizeof(hash));
    if (!ok)
        return ch_err_set(err, CH_E_AUTH, "invalid or expired token");
    *ret = p;
    return CH_OK;
}
