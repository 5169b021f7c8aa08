/* SPDX-License-Identifier: Apache-2.0
 *
 * gateway.c: trusted partners, grants, quotas, kill switches and the call
 * record of the partner gateway (contract in gateway.h).
 *
 * Quotas are counters in eval_gateway_usage, one row per (model,
 * organisation, period); a reservation is a single conditional UPDATE
 * (used + n <= quota) whose row count says whether it fitted, so the
 * database, not the application, keeps concurrent callers within the quota.
 */
#include "eval/gateway.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "eval/designate.h"
#include "eval/seal.h"
#include "eval/windows.h"
#include "store/store.h"

/* ---- helpers ---- */

static int org_by_slug(struct ch_store *s, const char *slug, int64_t *ret_id, bool *ret_partner,
                       struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT id, category FROM orgs WHERE slug = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, slug);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no organisation '%s'", slug);
    *ret_id = ch_stmt_int(st, 0);
    *ret_partner = ch_str_eq_c(ch_stmt_text(st, 1), "partner");
    ch_stmt_reset(st);
    return CH_OK;
}

static bool is_developer_of(const struct ch_eval_actor *a, const struct ch_models_model *m)
{
    return (a->roles & CH_ROLE_DEVELOPER) != 0 && a->org_id != 0 && a->org_id == m->org_id;
}

static int finish_tx(struct ch_store *s, int rc, struct ch_err *err)
{
    if (rc == CH_OK)
        return ch_store_commit(s, err);
    ch_store_rollback(s);
    return rc;
}

static int check_limits(const struct ch_gateway_limits *l, struct ch_err *err)
{
    if (l == NULL)
        return CH_OK;
    if (l->requests_per_day < 0 || l->requests_per_day > CH_GATEWAY_MAX_QUOTA ||
        l->tokens_per_day < 0 || l->tokens_per_day > CH_GATEWAY_MAX_QUOTA ||
        l->requests_per_minute < 0 || l->requests_per_minute > CH_GATEWAY_MAX_QUOTA)
        return ch_err_set(err, CH_E_INVALID, "quotas are 0 (none) to %lld",
                          (long long)CH_GATEWAY_MAX_QUOTA);
    return CH_OK;
}

/* ---- partners ---- */

int ch_gateway_partner_name(struct ch_store *s, const struct ch_eval_actor *a,
                            const char *model_ref, const char *org_slug,
                            const struct ch_gateway_limits *limits, int64_t now, struct ch_err *err)
{
    int rc = check_limits(limits, err);
    if (rc != CH_OK)
        return rc;
    struct ch_models_model m = {0};
    rc = ch_models_find(s, a, model_ref, &m, err);
    if (rc != CH_OK)
        return rc;
    bool as_dev = is_developer_of(a, &m);
    bool as_ch = ch_eval_actor_wide(a);
    int64_t org_id = 0;
    bool partner_org = false;
    if (!as_dev && !as_ch)
        rc = ch_err_set(err, CH_E_PERM, "only the developer or the clearinghouse names partners");
    if (rc == CH_OK)
        rc = org_by_slug(s, org_slug, &org_id, &partner_org, err);
    if (rc == CH_OK && !partner_org)
        rc = ch_err_set(err, CH_E_INVALID, "'%s' is not a partner organisation", org_slug);
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        ch_models_release(&m);
        return rc;
    }
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO eval_partners (model_id, org_id, requests_per_day,"
                       " tokens_per_day, requests_per_minute) VALUES (?, ?, ?, ?, ?)"
                       " ON CONFLICT (model_id, org_id) DO NOTHING",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, m.id);
        ch_stmt_bind_int(st, 2, org_id);
        ch_stmt_bind_int(st, 3, limits != NULL ? limits->requests_per_day : 0);
        ch_stmt_bind_int(st, 4, limits != NULL ? limits->tokens_per_day : 0);
        ch_stmt_bind_int(st, 5, limits != NULL ? limits->requests_per_minute : 0);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE eval_partners SET"
                           " developer_named_at = CASE WHEN CAST(?1 AS BIGINT) = 1"
                           "   THEN CAST(?3 AS BIGINT) ELSE developer_named_at END,"
                           " clearinghouse_named_at = CASE WHEN CAST(?2 AS BIGINT) = 1"
                           "   THEN CAST(?3 AS BIGINT) ELSE clearinghouse_named_at END,"
                           " revoked_at = NULL,"
                           " requests_per_day = CASE WHEN CAST(?4 AS BIGINT) = 1"
                           "   THEN CAST(?5 AS BIGINT) ELSE requests_per_day END,"
                           " tokens_per_day = CASE WHEN CAST(?4 AS BIGINT) = 1"
                           "   THEN CAST(?6 AS BIGINT) ELSE tokens_per_day END,"
                           " requests_per_minute = CASE WHEN CAST(?4 AS BIGINT) = 1"
                           "   THEN CAST(?7 AS BIGINT) ELSE requests_per_minute END"
                           " WHERE model_id = ?8 AND org_id = ?9",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, as_dev ? 1 : 0);
        ch_stmt_bind_int(st, 2, as_ch ? 1 : 0);
        ch_stmt_bind_int(st, 3, now);
        ch_stmt_bind_int(st, 4, limits != NULL ? 1 : 0);
        ch_stmt_bind_int(st, 5, limits != NULL ? limits->requests_per_day : 0);
        ch_stmt_bind_int(st, 6, limits != NULL ? limits->tokens_per_day : 0);
        ch_stmt_bind_int(st, 7, limits != NULL ? limits->requests_per_minute : 0);
        ch_stmt_bind_int(st, 8, m.id);
        ch_stmt_bind_int(st, 9, org_id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK) {
        char object[64];
        char details[256];
        snprintf(object, sizeof(object), "model:%lld", (long long)m.id);
        snprintf(details, sizeof(details), "{\"partner\":\"%s\",\"as\":\"%s\"}", org_slug,
                 as_ch ? "clearinghouse" : "developer");
        rc = ch_eval_audit(s, a, "gateway.partner_name", object, details, now, err);
    }
    rc = finish_tx(s, rc, err);
    ch_models_release(&m);
    return rc;
}

static int revoke_grants_where(struct ch_store *s, const char *sql, int64_t x, int64_t y,
                               int64_t now, struct ch_err *err)
{
    /* The tokens first (they must stop authenticating), then the grants. */
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, sql, &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    ch_stmt_bind_int(st, 2, x);
    ch_stmt_bind_int(st, 3, y);
    return ch_stmt_run(st, err);
}

int ch_gateway_partner_revoke(struct ch_store *s, const struct ch_eval_actor *a,
                              const char *model_ref, const char *org_slug, int64_t now,
                              struct ch_err *err)
{
    struct ch_models_model m = {0};
    int rc = ch_models_find(s, a, model_ref, &m, err);
    if (rc != CH_OK)
        return rc;
    int64_t org_id = 0;
    bool partner_org = false;
    if (!is_developer_of(a, &m) && !ch_eval_actor_wide(a))
        rc = ch_err_set(err, CH_E_PERM, "only the developer or the clearinghouse revokes partners");
    if (rc == CH_OK)
        rc = org_by_slug(s, org_slug, &org_id, &partner_org, err);
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        ch_models_release(&m);
        return rc;
    }
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "UPDATE eval_partners SET revoked_at = ? WHERE model_id = ? AND org_id = ?"
                       " AND revoked_at IS NULL",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, now);
        ch_stmt_bind_int(st, 2, m.id);
        ch_stmt_bind_int(st, 3, org_id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK && ch_store_changes(s) == 0)
        rc =
            ch_err_set(err, CH_E_NOTFOUND, "'%s' is not an active partner of that model", org_slug);
    if (rc == CH_OK)
        rc = revoke_grants_where(s,
                                 "UPDATE tokens SET revoked_at = ?1 WHERE revoked_at IS NULL AND"
                                 " id IN (SELECT token_id FROM eval_grants WHERE model_id = ?2"
                                 " AND org_id = ?3)",
                                 m.id, org_id, now, err);
    if (rc == CH_OK)
        rc = revoke_grants_where(s,
                                 "UPDATE eval_grants SET revoked_at = ?1 WHERE model_id = ?2"
                                 " AND org_id = ?3 AND revoked_at IS NULL",
                                 m.id, org_id, now, err);
    if (rc == CH_OK) {
        char object[64];
        char details[160];
        snprintf(object, sizeof(object), "model:%lld", (long long)m.id);
        snprintf(details, sizeof(details), "{\"partner\":\"%s\"}", org_slug);
        rc = ch_eval_audit(s, a, "gateway.partner_revoke", object, details, now, err);
    }
    rc = finish_tx(s, rc, err);
    ch_models_release(&m);
    return rc;
}

int ch_gateway_partner_list_json(struct ch_store *s, const struct ch_eval_actor *a,
                                 const char *model_ref, struct ch_jw *w, struct ch_err *err)
{
    struct ch_models_model m = {0};
    int rc = ch_models_find(s, a, model_ref, &m, err);
    if (rc != CH_OK)
        return rc;
    if (!is_developer_of(a, &m) && !ch_eval_actor_evaluates(a)) {
        ch_models_release(&m);
        return ch_err_set(err, CH_E_PERM, "only the developer and the clearinghouse list partners");
    }
    struct ch_stmt *st = NULL;
    rc = ch_store_prepare(s,
                          "SELECT o.slug, p.developer_named_at, p.clearinghouse_named_at,"
                          " p.revoked_at, p.requests_per_day, p.tokens_per_day,"
                          " p.requests_per_minute FROM eval_partners p JOIN orgs o"
                          " ON o.id = p.org_id WHERE p.model_id = ? ORDER BY o.slug",
                          &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, m.id);
        ch_jw_arr_open(w);
        while ((rc = ch_stmt_step(st, err)) == 1) {
            bool dev = !ch_stmt_is_null(st, 1);
            bool chs = !ch_stmt_is_null(st, 2);
            bool revoked = !ch_stmt_is_null(st, 3);
            ch_jw_obj_open(w);
            ch_jw_kstr(w, "org", ch_stmt_text(st, 0).ptr);
            ch_jw_kbool(w, "named_by_developer", dev);
            ch_jw_kbool(w, "named_by_clearinghouse", chs);
            ch_jw_kbool(w, "revoked", revoked);
            ch_jw_kbool(w, "active", dev && chs && !revoked);
            ch_jw_kint(w, "requests_per_day", ch_stmt_int(st, 4));
            ch_jw_kint(w, "tokens_per_day", ch_stmt_int(st, 5));
            ch_jw_kint(w, "requests_per_minute", ch_stmt_int(st, 6));
            ch_jw_obj_close(w);
        }
        ch_jw_arr_close(w);
        ch_stmt_free(st);
    }
    ch_models_release(&m);
    return rc < 0 ? rc : CH_OK;
}

/* ---- grants ---- */

static int partner_active(struct ch_store *s, int64_t model_id, int64_t org_id, bool *ret,
                          struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT COUNT(*) FROM eval_partners WHERE model_id = ? AND org_id = ?"
                           " AND developer_named_at IS NOT NULL"
                           " AND clearinghouse_named_at IS NOT NULL AND revoked_at IS NULL",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, model_id);
    ch_stmt_bind_int(st, 2, org_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret = rc == 1 && ch_stmt_int(st, 0) > 0;
    ch_stmt_reset(st);
    return CH_OK;
}

int ch_gateway_grant_create(struct ch_store *s, const struct ch_eval_actor *a,
                            const struct ch_gateway_grant_new *g, int64_t now,
                            int64_t *ret_grant_id, char ret_token[CH_TOKEN_MAX], struct ch_err *err)
{
    if (g->expires_at <= g->starts_at)
        return ch_err_set(err, CH_E_INVALID, "a grant expires after it starts");
    if (g->expires_at - g->starts_at > (int64_t)CH_GATEWAY_MAX_GRANT_DAYS * CH_DAY_SECONDS)
        return ch_err_set(err, CH_E_INVALID, "a grant lasts at most %d days",
                          CH_GATEWAY_MAX_GRANT_DAYS);
    if (g->expires_at <= now)
        return ch_err_set(err, CH_E_INVALID, "that grant would already have expired");
    struct ch_models_model m = {0};
    int rc = ch_models_find(s, a, g->model, &m, err);
    if (rc != CH_OK)
        return rc;
    char uname[160];
    struct ch_eval_actor grantee;
    bool active = false;
    if (!is_developer_of(a, &m) && !ch_eval_actor_wide(a))
        rc = ch_err_set(err, CH_E_PERM, "only the developer or the clearinghouse issues grants");
    if (rc == CH_OK)
        rc = ch_eval_actor_for_user(s, g->user, uname, sizeof(uname), &grantee, err);
    if (rc == CH_OK && (grantee.roles & CH_ROLE_PARTNER) == 0)
        rc = ch_err_set(err, CH_E_INVALID, "user '%s' does not hold the partner role", g->user);
    if (rc == CH_OK)
        rc = partner_active(s, m.id, grantee.org_id, &active, err);
    if (rc == CH_OK && !active)
        rc = ch_err_set(err, CH_E_PERM,
                        "the organisation of '%s' is not an active trusted partner of '%s@%s'"
                        " (the developer and the clearinghouse must both name it)",
                        g->user, m.name, m.version);
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        ch_models_release(&m);
        return rc;
    }
    char label[CH_MODELS_MAX_NAME + CH_MODELS_MAX_VERSION + 16];
    snprintf(label, sizeof(label), "gateway:%s@%s", m.name, m.version);
    struct ch_token_new tn = {.user_id = grantee.user_id,
                              .name = label,
                              .scope = CH_ROLE_PARTNER,
                              .expires_at = g->expires_at};
    int64_t token_id = 0;
    int64_t grant_id = 0;
    char token[CH_TOKEN_MAX];
    rc = ch_token_create(s, &tn, now, &token_id, token, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc =
            ch_store_stmt(s,
                          "INSERT INTO eval_grants (token_id, model_id, org_id, user_id, starts_at,"
                          " expires_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                          " RETURNING id",
                          &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, token_id);
        ch_stmt_bind_int(st, 2, m.id);
        ch_stmt_bind_int(st, 3, grantee.org_id);
        ch_stmt_bind_int(st, 4, grantee.user_id);
        ch_stmt_bind_int(st, 5, g->starts_at);
        ch_stmt_bind_int(st, 6, g->expires_at);
        ch_stmt_bind_int(st, 7, now);
        ch_stmt_bind_cstr(st, 8, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            grant_id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK) {
        char object[64];
        char details[256];
        snprintf(object, sizeof(object), "grant:%lld", (long long)grant_id);
        snprintf(details, sizeof(details),
                 "{\"model\":%lld,\"user\":\"%s\",\"token\":%lld,\"starts_at\":%lld,"
                 "\"expires_at\":%lld}",
                 (long long)m.id, g->user, (long long)token_id, (long long)g->starts_at,
                 (long long)g->expires_at);
        rc = ch_eval_audit(s, a, "gateway.grant", object, details, now, err);
    }
    rc = finish_tx(s, rc, err);
    ch_models_release(&m);
    if (rc == CH_OK) {
        *ret_grant_id = grant_id;
        memcpy(ret_token, token, CH_TOKEN_MAX);
    }
    sodium_memzero(token, sizeof(token));
    return rc;
}

int ch_gateway_grant_revoke(struct ch_store *s, const struct ch_eval_actor *a, int64_t grant_id,
                            int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT model_id, token_id FROM eval_grants WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, grant_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no grant %lld", (long long)grant_id);
    int64_t model_id = ch_stmt_int(st, 0);
    int64_t token_id = ch_stmt_int(st, 1);
    ch_stmt_reset(st);
    struct ch_models_model m = {0};
    rc = ch_models_get(s, model_id, &m, err);
    if (rc != CH_OK)
        return rc;
    bool allowed = is_developer_of(a, &m) || ch_eval_actor_wide(a);
    ch_models_release(&m);
    if (!allowed)
        return ch_err_set(err, CH_E_NOTFOUND, "no grant %lld", (long long)grant_id);
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    rc = ch_store_stmt(
        s, "UPDATE eval_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, now);
        ch_stmt_bind_int(st, 2, grant_id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK && ch_store_changes(s) == 0)
        rc = ch_err_set(err, CH_E_CONFLICT, "grant %lld is already revoked", (long long)grant_id);
    if (rc == CH_OK)
        rc = ch_store_stmt(
            s, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, now);
        ch_stmt_bind_int(st, 2, token_id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK) {
        char object[64];
        snprintf(object, sizeof(object), "grant:%lld", (long long)grant_id);
        rc = ch_eval_audit(s, a, "gateway.grant_revoke", object, NULL, now, err);
    }
    return finish_tx(s, rc, err);
}

int ch_gateway_grant_list_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t model_id,
                               struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT g.id, g.model_id, m.name, m.version, m.org_id, g.org_id,"
                              " o.slug, u.name, g.starts_at, g.expires_at, g.revoked_at,"
                              " g.token_id FROM eval_grants g JOIN eval_models m"
                              " ON m.id = g.model_id JOIN orgs o ON o.id = g.org_id"
                              " JOIN users u ON u.id = g.user_id"
                              " WHERE (CAST(? AS BIGINT) = 0 OR g.model_id = ?)"
                              " ORDER BY g.id LIMIT 10000",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, model_id);
    ch_stmt_bind_int(st, 2, model_id);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        int64_t dev_org = ch_stmt_int(st, 4);
        int64_t partner_org = ch_stmt_int(st, 5);
        bool vis = ch_eval_actor_wide(a) || ch_eval_actor_evaluates(a) ||
                   ((a->roles & CH_ROLE_DEVELOPER) != 0 && a->org_id == dev_org) ||
                   ((a->roles & CH_ROLE_PARTNER) != 0 && a->org_id == partner_org);
        if (!vis)
            continue;
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kint(w, "model_id", ch_stmt_int(st, 1));
        ch_jw_kstr(w, "model", ch_stmt_text(st, 2).ptr);
        ch_jw_kstr(w, "version", ch_stmt_text(st, 3).ptr);
        ch_jw_kstr(w, "partner", ch_stmt_text(st, 6).ptr);
        ch_jw_kstr(w, "user", ch_stmt_text(st, 7).ptr);
        ch_jw_ktime(w, "starts_at", ch_stmt_int(st, 8));
        ch_jw_ktime(w, "expires_at", ch_stmt_int(st, 9));
        ch_jw_ktime(w, "revoked_at", ch_stmt_is_null(st, 10) ? -1 : ch_stmt_int(st, 10));
        ch_jw_kint(w, "token_id", ch_stmt_int(st, 11));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_gateway_set_global_kill(struct ch_store *s, const struct ch_eval_actor *a, bool engaged,
                               const char *reason, int64_t now, struct ch_err *err)
{
    if (!ch_eval_actor_wide(a))
        return ch_err_set(err, CH_E_PERM, "only the clearinghouse operates the kill switch");
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO eval_gateway_switch (scope, engaged, reason, changed_at,"
                       " changed_by) VALUES ('global', ?, ?, ?, ?) ON CONFLICT (scope) DO UPDATE"
                       " SET engaged = excluded.engaged, reason = excluded.reason,"
                       " changed_at = excluded.changed_at, changed_by = excluded.changed_by",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_bool(st, 1, engaged);
        ch_stmt_bind_cstr(st, 2, reason);
        ch_stmt_bind_int(st, 3, now);
        ch_stmt_bind_cstr(st, 4, a->name);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = ch_eval_audit(s, a, engaged ? "gateway.kill" : "gateway.unkill", "gateway:global",
                           NULL, now, err);
    return finish_tx(s, rc, err);
}

/* ---- one call ---- */

void ch_gateway_ticket_release(struct ch_gateway_ticket *t)
{
    if (t == NULL)
        return;
    ch_seal_buf_wipe(&t->credential);
}

static int global_killed(struct ch_store *s, bool *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT engaged FROM eval_gateway_switch WHERE scope = 'global'", &st,
                           err);
    if (rc != CH_OK)
        return rc;
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret = rc == 1 && ch_stmt_int(st, 0) != 0;
    ch_stmt_reset(st);
    return CH_OK;
}

/* Whether `ref` names the model (NAME or NAME@VERSION). */
static bool names_model(const char *ref, const char *name, const char *version)
{
    size_t n = strlen(name);
    if (strncmp(ref, name, n) != 0)
        return false;
    if (ref[n] == '\0')
        return true;
    return ref[n] == '@' && strcmp(ref + n + 1, version) == 0;
}

/* The state a grant is in, read in one query. */
struct grant_state {
    int64_t grant_id;
    int64_t model_id;
    int64_t org_id;
    int64_t user_id;
    int64_t starts_at;
    int64_t expires_at;
    bool revoked; /* the grant or its token */
    bool partner_active;
    bool model_killed;
    int64_t requests_per_day;
    int64_t tokens_per_day;
    int64_t requests_per_minute;
};

#define GRANT_SQL                                                                                  \
    "SELECT g.id, g.model_id, g.org_id, g.user_id, g.starts_at, g.expires_at,"                     \
    " (g.revoked_at IS NOT NULL OR t.revoked_at IS NOT NULL),"                                     \
    " (p.developer_named_at IS NOT NULL AND p.clearinghouse_named_at IS NOT NULL"                  \
    "  AND p.revoked_at IS NULL), m.gateway_killed,"                                               \
    " COALESCE(p.requests_per_day, 0), COALESCE(p.tokens_per_day, 0),"                             \
    " COALESCE(p.requests_per_minute, 0), m.name, m.version, m.endpoint, m.upstream_model"         \
    " FROM eval_grants g JOIN tokens t ON t.id = g.token_id"                                       \
    " JOIN eval_models m ON m.id = g.model_id"                                                     \
    " LEFT JOIN eval_partners p ON p.model_id = g.model_id AND p.org_id = g.org_id"

static void read_grant(struct ch_stmt *st, struct grant_state *g)
{
    *g = (struct grant_state){.grant_id = ch_stmt_int(st, 0),
                              .model_id = ch_stmt_int(st, 1),
                              .org_id = ch_stmt_int(st, 2),
                              .user_id = ch_stmt_int(st, 3),
                              .starts_at = ch_stmt_int(st, 4),
                              .expires_at = ch_stmt_int(st, 5),
                              .revoked = ch_stmt_int(st, 6) != 0,
                              .partner_active = ch_stmt_int(st, 7) != 0,
                              .model_killed = ch_stmt_int(st, 8) != 0,
                              .requests_per_day = ch_stmt_int(st, 9),
                              .tokens_per_day = ch_stmt_int(st, 10),
                              .requests_per_minute = ch_stmt_int(st, 11)};
}

/* Checks a grant's own state at now: time box, revocation, partnership, kill switches. */
static int grant_usable(struct ch_store *s, const struct grant_state *g, int64_t now,
                        struct ch_err *err)
{
    if (g->revoked)
        return ch_err_set(err, CH_E_PERM, "this grant was revoked");
    if (now < g->starts_at)
        return ch_err_set(err, CH_E_PERM, "this grant has not started");
    if (now >= g->expires_at)
        return ch_err_set(err, CH_E_PERM, "this grant has expired");
    if (!g->partner_active)
        return ch_err_set(err, CH_E_PERM, "your organisation is not an active trusted partner");
    if (g->model_killed)
        return ch_err_set(err, CH_E_UNAVAILABLE, "the gateway is stopped for this model");
    bool killed = false;
    int rc = global_killed(s, &killed, err);
    if (rc != CH_OK)
        return rc;
    if (killed)
        return ch_err_set(err, CH_E_UNAVAILABLE, "the gateway is stopped");
    return CH_OK;
}

/* Access through an active window or a designation. */
static int model_open(struct ch_store *s, int64_t model_id, int64_t now, int64_t *ret_window,
                      struct ch_err *err)
{
    int rc = ch_window_active(s, model_id, now, ret_window, err);
    if (rc != CH_OK || *ret_window > 0)
        return rc;
    bool covered = false;
    rc = ch_designate_is_covered(s, model_id, &covered, err);
    if (rc != CH_OK)
        return rc;
    if (!covered)
        return ch_err_set(err, CH_E_PERM,
                          "the model is open to partners only within its evaluation window or"
                          " after designation");
    return CH_OK;
}

/* One conditional increment; *ret_fit false when it would exceed the quota. */
static int bump(struct ch_store *s, const struct grant_state *g, const char *period,
                int64_t period_start, int64_t requests_quota, int64_t tokens_quota, int64_t tokens,
                bool *ret_fit, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO eval_gateway_usage (model_id, org_id, period, period_start,"
                           " requests, tokens) VALUES (?, ?, ?, ?, 0, 0)"
                           " ON CONFLICT (model_id, org_id, period, period_start) DO NOTHING",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, g->model_id);
    ch_stmt_bind_int(st, 2, g->org_id);
    ch_stmt_bind_cstr(st, 3, period);
    ch_stmt_bind_int(st, 4, period_start);
    rc = ch_stmt_run(st, err);
    if (rc != CH_OK)
        return rc;
    rc = ch_store_stmt(s,
                       "UPDATE eval_gateway_usage SET requests = requests + 1,"
                       " tokens = tokens + ?1 WHERE model_id = ?2 AND org_id = ?3 AND period = ?4"
                       " AND period_start = ?5"
                       " AND (CAST(?6 AS BIGINT) = 0 OR requests + 1 <= ?6)"
                       " AND (CAST(?7 AS BIGINT) = 0 OR tokens + ?1 <= ?7) RETURNING requests",
                       &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, tokens);
    ch_stmt_bind_int(st, 2, g->model_id);
    ch_stmt_bind_int(st, 3, g->org_id);
    ch_stmt_bind_cstr(st, 4, period);
    ch_stmt_bind_int(st, 5, period_start);
    ch_stmt_bind_int(st, 6, requests_quota);
    ch_stmt_bind_int(st, 7, tokens_quota);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret_fit = rc == 1;
    if (rc == 1) {
        /* Drain the statement so the UPDATE is complete on every backend. */
        rc = ch_stmt_step(st, err);
        if (rc < 0)
            return rc;
    }
    ch_stmt_reset(st);
    return CH_OK;
}

static int reserve_once(struct ch_store *s, const struct grant_state *g, int64_t now,
                        int64_t tokens, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    bool fit = true;
    rc = bump(s, g, "d", ch_time_day_start(now), g->requests_per_day, g->tokens_per_day, tokens,
              &fit, err);
    if (rc == CH_OK && !fit)
        rc =
            ch_err_set(err, CH_E_RATE, "your organisation's daily quota for this model is used up");
    if (rc == CH_OK && g->requests_per_minute > 0) {
        rc = bump(s, g, "m", now - now % 60, g->requests_per_minute, 0, 0, &fit, err);
        if (rc == CH_OK && !fit)
            rc = ch_err_set(err, CH_E_RATE, "rate limit: %lld requests per minute",
                            (long long)g->requests_per_minute);
    }
    return finish_tx(s, rc, err);
}

static int reserve(struct ch_store *s, const struct grant_state *g, int64_t now, int64_t tokens,
                   struct ch_err *err)
{
    int rc = CH_E_BUSY;
    for (int i = 0; i < CH_GATEWAY_BUSY_RETRIES && rc == CH_E_BUSY; i++) {
        if (i > 0)
            ch_err_clear(err);
        rc = reserve_once(s, g, now, tokens, err);
    }
    return rc;
}

int ch_gateway_authorize(struct ch_store *s, const struct ch_keys *keys,
                         const struct ch_principal *p, const char *model_ref,
                         int64_t reserve_tokens, int64_t now, struct ch_gateway_ticket *ret,
                         struct ch_err *err)
{
    if (model_ref == NULL || model_ref[0] == '\0')
        return ch_err_setf(err, CH_E_INVALID, "model", "name the model");
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, GRANT_SQL " WHERE g.token_id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, p->token_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    struct grant_state g = {0};
    struct ch_gateway_ticket t = {0};
    bool named = false;
    if (rc == 1) {
        read_grant(st, &g);
        named = g.user_id == p->user_id &&
                names_model(model_ref, ch_stmt_text(st, 12).ptr, ch_stmt_text(st, 13).ptr);
        snprintf(t.endpoint, sizeof(t.endpoint), "%s", ch_stmt_text(st, 14).ptr);
        snprintf(t.upstream_model, sizeof(t.upstream_model), "%s", ch_stmt_text(st, 15).ptr);
    }
    ch_stmt_reset(st);
    /* A token reaches its one model; any other name is a model that does not exist. */
    if (!named)
        return ch_err_setf(err, CH_E_NOTFOUND, "model", "no model '%s'", model_ref);
    rc = grant_usable(s, &g, now, err);
    int64_t window_id = 0;
    if (rc == CH_OK)
        rc = model_open(s, g.model_id, now, &window_id, err);
    if (rc == CH_OK)
        rc = reserve(s, &g, now, reserve_tokens > 0 ? reserve_tokens : 0, err);
    if (rc != CH_OK)
        return rc;
    t.grant_id = g.grant_id;
    t.token_id = p->token_id;
    t.model_id = g.model_id;
    t.org_id = g.org_id;
    t.user_id = g.user_id;
    t.window_id = window_id;
    t.day_start = ch_time_day_start(now);
    t.reserved_tokens = reserve_tokens > 0 ? reserve_tokens : 0;
    ch_buf_init(&t.credential, CH_MODELS_MAX_CREDENTIAL + 1);
    rc = ch_models_credentials(s, keys, g.model_id, &t.credential, err);
    if (rc != CH_OK) {
        ch_gateway_ticket_release(&t);
        return rc;
    }
    *ret = t;
    return CH_OK;
}

int ch_gateway_still_allowed(struct ch_store *s, const struct ch_gateway_ticket *t, int64_t now,
                             struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, GRANT_SQL " WHERE g.id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, t->grant_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_PERM, "this grant no longer exists");
    struct grant_state g;
    read_grant(st, &g);
    ch_stmt_reset(st);
    rc = grant_usable(s, &g, now, err);
    if (rc != CH_OK || t->window_id == 0)
        return rc;
    struct ch_window w;
    rc = ch_window_get(s, t->window_id, &w, err);
    if (rc != CH_OK)
        return rc;
    if (!ch_window_is_active(&w, now)) {
        /* The window ended or closed; a designation may still open the model. */
        int64_t other = 0;
        return model_open(s, t->model_id, now, &other, err);
    }
    return CH_OK;
}

static int seal_part(const struct ch_seal_key *k, const char *what, int64_t grant_id,
                     const char *digest, const char *data, size_t len, struct ch_buf *out,
                     struct ch_err *err)
{
    char ctx[160];
    snprintf(ctx, sizeof(ctx), "gateway:%s:%lld:%s", what, (long long)grant_id, digest);
    return ch_seal(k, ctx, data != NULL ? data : "", len, out, err);
}

static int record_tx(struct ch_store *s, const struct ch_gateway_ticket *t,
                     const struct ch_gateway_record *r, const char *req_digest,
                     const char *resp_digest, const struct ch_buf *req_sealed,
                     const struct ch_buf *resp_sealed, int64_t now, int64_t *ret_log_id,
                     struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    int64_t used = r->prompt_tokens + r->completion_tokens;
    rc = ch_store_stmt(s,
                       "UPDATE eval_gateway_usage SET tokens = tokens - ? + ? WHERE model_id = ?"
                       " AND org_id = ? AND period = 'd' AND period_start = ?",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, t->reserved_tokens);
        ch_stmt_bind_int(st, 2, used > 0 ? used : 0);
        ch_stmt_bind_int(st, 3, t->model_id);
        ch_stmt_bind_int(st, 4, t->org_id);
        ch_stmt_bind_int(st, 5, t->day_start);
        rc = ch_stmt_run(st, err);
    }
    int64_t log_id = 0;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO eval_gateway_log (grant_id, model_id, org_id, user_id, at,"
                           " status, outcome, request_digest, response_digest, request_sealed,"
                           " response_sealed, prompt_tokens, completion_tokens, upstream_ms)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, t->grant_id);
        ch_stmt_bind_int(st, 2, t->model_id);
        ch_stmt_bind_int(st, 3, t->org_id);
        ch_stmt_bind_int(st, 4, t->user_id);
        ch_stmt_bind_int(st, 5, now);
        ch_stmt_bind_int(st, 6, r->status);
        ch_stmt_bind_cstr(st, 7, r->outcome);
        ch_stmt_bind_cstr(st, 8, req_digest);
        if (r->response != NULL) {
            ch_stmt_bind_cstr(st, 9, resp_digest);
            ch_stmt_bind_blob(st, 11, resp_sealed->ptr, ch_buf_len(resp_sealed));
        }
        ch_stmt_bind_blob(st, 10, req_sealed->ptr, ch_buf_len(req_sealed));
        ch_stmt_bind_int(st, 12, r->prompt_tokens);
        ch_stmt_bind_int(st, 13, r->completion_tokens);
        ch_stmt_bind_int(st, 14, r->upstream_ms);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            log_id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK) {
        char object[64];
        char details[512];
        struct ch_eval_actor a = {.name = r->actor};
        snprintf(object, sizeof(object), "model:%lld", (long long)t->model_id);
        snprintf(details, sizeof(details),
                 "{\"log\":%lld,\"grant\":%lld,\"status\":%d,\"outcome\":\"%s\","
                 "\"request_blake2b\":\"%s\",\"response_blake2b\":%s%s%s,"
                 "\"prompt_tokens\":%lld,\"completion_tokens\":%lld}",
                 (long long)log_id, (long long)t->grant_id, r->status, r->outcome, req_digest,
                 r->response != NULL ? "\"" : "", r->response != NULL ? resp_digest : "null",
                 r->response != NULL ? "\"" : "", (long long)r->prompt_tokens,
                 (long long)r->completion_tokens);
        rc = ch_eval_audit(s, &a, "gateway.call", object, details, now, err);
    }
    rc = finish_tx(s, rc, err);
    if (rc == CH_OK)
        *ret_log_id = log_id;
    return rc;
}

int ch_gateway_record(struct ch_store *s, const struct ch_keys *keys,
                      const struct ch_gateway_ticket *t, const struct ch_gateway_record *r,
                      int64_t now, int64_t *ret_log_id, struct ch_err *err)
{
    char req_digest[65];
    char resp_digest[65] = "";
    ch_seal_digest_hex(r->request != NULL ? r->request : "", r->request_len, req_digest);
    if (r->response != NULL)
        ch_seal_digest_hex(r->response, r->response_len, resp_digest);
    struct ch_seal_key k;
    ch_seal_key_derive(keys, CH_SEAL_CONTENT, &k);
    struct ch_buf req_sealed;
    struct ch_buf resp_sealed;
    ch_buf_init(&req_sealed, CH_SEAL_MAX_BYTES + CH_SEAL_MAX_CONTEXT + CH_SEAL_OVERHEAD);
    ch_buf_init(&resp_sealed, CH_SEAL_MAX_BYTES + CH_SEAL_MAX_CONTEXT + CH_SEAL_OVERHEAD);
    int rc = seal_part(&k, "request", t->grant_id, req_digest, r->request, r->request_len,
                       &req_sealed, err);
    if (rc == CH_OK && r->response != NULL)
        rc = seal_part(&k, "response", t->grant_id, req_digest, r->response, r->response_len,
                       &resp_sealed, err);
    ch_seal_key_wipe(&k);
    for (int i = 0; rc == CH_OK || rc == CH_E_BUSY; i++) {
        if (rc == CH_E_BUSY) {
            if (i >= CH_GATEWAY_BUSY_RETRIES)
                break;
            ch_err_clear(err);
        }
        rc = record_tx(s, t, r, req_digest, resp_digest, &req_sealed, &resp_sealed, now, ret_log_id,
                       err);
        if (rc == CH_OK)
            break;
    }
    ch_buf_release(&req_sealed);
    ch_buf_release(&resp_sealed);
    return rc;
}

int ch_gateway_log_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t model_id,
                        struct ch_jw *w, struct ch_err *err)
{
    if (!ch_eval_actor_wide(a))
        return ch_err_set(err, CH_E_PERM, "the gateway log is for the clearinghouse");
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT l.id, l.grant_id, l.model_id, o.slug, u.name, l.at, l.status,"
                              " l.outcome, l.request_digest, l.response_digest, l.prompt_tokens,"
                              " l.completion_tokens, l.upstream_ms FROM eval_gateway_log l"
                              " JOIN orgs o ON o.id = l.org_id JOIN users u ON u.id = l.user_id"
                              " WHERE (CAST(? AS BIGINT) = 0 OR l.model_id = ?)"
                              " ORDER BY l.id DESC LIMIT 10000",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, model_id);
    ch_stmt_bind_int(st, 2, model_id);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kint(w, "grant_id", ch_stmt_int(st, 1));
        ch_jw_kint(w, "model_id", ch_stmt_int(st, 2));
        ch_jw_kstr(w, "partner", ch_stmt_text(st, 3).ptr);
        ch_jw_kstr(w, "user", ch_stmt_text(st, 4).ptr);
        ch_jw_ktime(w, "at", ch_stmt_int(st, 5));
        ch_jw_kint(w, "status", ch_stmt_int(st, 6));
        ch_jw_kstr(w, "outcome", ch_stmt_text(st, 7).ptr);
        ch_jw_kstr(w, "request_blake2b", ch_stmt_text(st, 8).ptr);
        ch_jw_kstr(w, "response_blake2b", ch_stmt_cstr(st, 9));
        ch_jw_kint(w, "prompt_tokens", ch_stmt_int(st, 10));
        ch_jw_kint(w, "completion_tokens", ch_stmt_int(st, 11));
        ch_jw_kint(w, "upstream_ms", ch_stmt_int(st, 12));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_gateway_log_open(struct ch_store *s, const struct ch_keys *keys,
                        const struct ch_eval_actor *a, int64_t log_id, int64_t now,
                        struct ch_buf *ret_request, struct ch_buf *ret_response, struct ch_err *err)
{
    if (!ch_eval_actor_wide(a))
        return ch_err_set(err, CH_E_PERM, "the gateway log is for the clearinghouse");
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT grant_id, request_digest, request_sealed, response_sealed"
                              " FROM eval_gateway_log WHERE id = ?",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, log_id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no gateway log entry %lld", (long long)log_id);
    if (rc == 1) {
        int64_t grant_id = ch_stmt_int(st, 0);
        char digest[65];
        snprintf(digest, sizeof(digest), "%s", ch_stmt_text(st, 1).ptr);
        struct ch_seal_key k;
        ch_seal_key_derive(keys, CH_SEAL_CONTENT, &k);
        char ctx[160];
        snprintf(ctx, sizeof(ctx), "gateway:request:%lld:%s", (long long)grant_id, digest);
        struct ch_str b = ch_stmt_blob(st, 2);
        rc = ch_seal_open(&k, ctx, b.ptr, b.len, ret_request, err);
        ch_buf_reset(ret_response);
        if (rc == CH_OK && !ch_stmt_is_null(st, 3)) {
            snprintf(ctx, sizeof(ctx), "gateway:response:%lld:%s", (long long)grant_id, digest);
            b = ch_stmt_blob(st, 3);
            rc = ch_seal_open(&k, ctx, b.ptr, b.len, ret_response, err);
        }
        ch_seal_key_wipe(&k);
    }
    ch_stmt_free(st);
    if (rc != CH_OK)
        return rc;
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    char object[64];
    snprintf(object, sizeof(object), "gateway_log:%lld", (long long)log_id);
    rc = ch_eval_audit(s, a, "gateway.log_read", object, NULL, now, err);
    return finish_tx(s, rc, err);
}

int ch_gateway_usage(struct ch_store *s, int64_t model_id, int64_t org_id, int64_t now,
                     int64_t *ret_requests, int64_t *ret_tokens, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT requests, tokens FROM eval_gateway_usage WHERE model_id = ?"
                           " AND org_id = ? AND period = 'd' AND period_start = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, model_id);
    ch_stmt_bind_int(st, 2, org_id);
    ch_stmt_bind_int(st, 3, ch_time_day_start(now));
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret_requests = rc == 1 ? ch_stmt_int(st, 0) : 0;
    *ret_tokens = rc == 1 ? ch_stmt_int(st, 1) : 0;
    ch_stmt_reset(st);
    return CH_OK;
}
