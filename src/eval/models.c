/* SPDX-License-Identifier: Apache-2.0
 *
 * models.c: the model registry (contract in models.h).
 *
 * Visibility is decided in one place, row_visible(), from the model's
 * owner, classification and whether the actor's organisation is an active
 * trusted partner of it; every reader goes through it, so a developer never
 * learns of another developer's model.
 */
#include "eval/models.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/num.h"
#include "eval/seal.h"
#include "store/store.h"

#define MODEL_COLUMNS                                                                              \
    "m.id, m.org_id, o.slug, m.name, m.version, m.endpoint, m.upstream_model,"                     \
    " m.credentials IS NOT NULL, m.prerelease, m.planned_release_at, m.classification,"            \
    " m.gateway_killed, m.created_at,"                                                             \
    " EXISTS (SELECT 1 FROM eval_partners p WHERE p.model_id = m.id AND p.org_id = ?"              \
    "   AND p.developer_named_at IS NOT NULL AND p.clearinghouse_named_at IS NOT NULL"             \
    "   AND p.revoked_at IS NULL)"

#define MODEL_FROM " FROM eval_models m JOIN orgs o ON o.id = m.org_id"

/* ---- actors ---- */

void ch_eval_actor_from_principal(const struct ch_principal *p, char *name_buf,
                                  size_t name_buf_size, struct ch_eval_actor *ret)
{
    snprintf(name_buf, name_buf_size, "user:%s", p->user_name);
    *ret = (struct ch_eval_actor){.user_id = p->user_id,
                                  .org_id = p->org_id,
                                  .org_category = p->org_category,
                                  .roles = p->roles,
                                  .clearance = p->clearance,
                                  .name = name_buf};
}

int ch_eval_actor_for_user(struct ch_store *s, const char *user, char *name_buf,
                           size_t name_buf_size, struct ch_eval_actor *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT u.id, u.org_id, u.roles, u.clearance, o.category FROM users u"
                           " JOIN orgs o ON o.id = u.org_id"
                           " WHERE u.name = ? AND u.disabled_at IS NULL",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, user);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no user '%s'", user);
    struct ch_eval_actor a = {
        .user_id = ch_stmt_int(st, 0), .org_id = ch_stmt_int(st, 1), .name = name_buf};
    struct ch_err ignore = CH_ERR_INIT;
    bool bad = ch_roles_parse(ch_stmt_cstr(st, 2), &a.roles, &ignore) != CH_OK ||
               ch_clearance_parse(ch_stmt_cstr(st, 3), &a.clearance) != CH_OK ||
               ch_org_category_parse(ch_stmt_text(st, 4), &a.org_category, &ignore) != CH_OK;
    ch_stmt_reset(st);
    if (bad)
        return ch_err_set(err, CH_E_INTERNAL, "user '%s' has unreadable roles or clearance", user);
    snprintf(name_buf, name_buf_size, "user:%s", user);
    *ret = a;
    return CH_OK;
}

bool ch_eval_actor_wide(const struct ch_eval_actor *a)
{
    return (a->roles & CH_ROLE_WIDE) != 0;
}

bool ch_eval_actor_evaluates(const struct ch_eval_actor *a)
{
    return (a->roles & (CH_ROLE_WIDE | CH_ROLE_EVALUATOR)) != 0;
}

int ch_eval_audit(struct ch_store *s, const struct ch_eval_actor *a, const char *action,
                  const char *object, const char *details, int64_t now, struct ch_err *err)
{
    struct ch_audit_entry e = {.actor = a->name != NULL ? a->name : "unknown",
                               .action = action,
                               .object = object,
                               .details = details};
    return ch_audit_append(s, &e, now, NULL, err);
}

/* ---- validation ---- */

static bool ident_ok(const char *s, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static bool url_ok(const char *u)
{
    size_t n = u != NULL ? strlen(u) : 0;
    if (n == 0 || n > CH_MODELS_MAX_URL)
        return false;
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    return true;
}

/* ---- reading ---- */

void ch_models_release(struct ch_models_model *m)
{
    if (m == NULL)
        return;
    ch_free(m->org_slug);
    ch_free(m->name);
    ch_free(m->version);
    ch_free(m->endpoint);
    ch_free(m->upstream_model);
    *m = (struct ch_models_model){0};
}

/* Reads the MODEL_COLUMNS row into ret; *ret_partner says whether the actor's org is a partner. */
static int read_row(struct ch_stmt *st, struct ch_models_model *ret, bool *ret_partner,
                    struct ch_err *err)
{
    struct ch_models_model m = {
        .id = ch_stmt_int(st, 0),
        .org_id = ch_stmt_int(st, 1),
        .org_slug = ch_strdup(ch_stmt_text(st, 2).ptr),
        .name = ch_strdup(ch_stmt_text(st, 3).ptr),
        .version = ch_strdup(ch_stmt_text(st, 4).ptr),
        .endpoint = ch_strdup(ch_stmt_text(st, 5).ptr),
        .upstream_model = ch_strdup(ch_stmt_text(st, 6).ptr),
        .has_credential = ch_stmt_int(st, 7) != 0,
        .prerelease = ch_stmt_int(st, 8) != 0,
        .planned_release_at = ch_stmt_is_null(st, 9) ? -1 : ch_stmt_int(st, 9),
        .classification = CH_CLEAR_TOP_SECRET,
        .gateway_killed = ch_stmt_int(st, 11) != 0,
        .created_at = ch_stmt_int(st, 12),
    };
    if (ch_clearance_parse(ch_stmt_cstr(st, 10), &m.classification) != CH_OK)
        m.classification = CH_CLEAR_TOP_SECRET;
    *ret_partner = ch_stmt_int(st, 13) != 0;
    if (m.org_slug == NULL || m.name == NULL || m.version == NULL || m.endpoint == NULL ||
        m.upstream_model == NULL) {
        ch_models_release(&m);
        return ch_err_set(err, CH_E_NOMEM, "out of memory reading a model");
    }
    *ret = m;
    return CH_OK;
}

static bool row_visible(const struct ch_eval_actor *a, const struct ch_models_model *m,
                        bool partner)
{
    if (ch_eval_actor_evaluates(a) && a->clearance >= m->classification)
        return true;
    if ((a->roles & CH_ROLE_DEVELOPER) != 0 && a->org_id != 0 && a->org_id == m->org_id)
        return true;
    return (a->roles & CH_ROLE_PARTNER) != 0 && partner;
}

int ch_models_visible(struct ch_store *s, const struct ch_eval_actor *a,
                      const struct ch_models_model *m, bool *ret, struct ch_err *err)
{
    int64_t partner = 0;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT COUNT(*) FROM eval_partners WHERE model_id = ? AND org_id = ?"
                           " AND developer_named_at IS NOT NULL"
                           " AND clearinghouse_named_at IS NOT NULL AND revoked_at IS NULL",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, m->id);
    ch_stmt_bind_int(st, 2, a->org_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    partner = rc == 1 ? ch_stmt_int(st, 0) : 0;
    ch_stmt_reset(st);
    *ret = row_visible(a, m, partner > 0);
    return CH_OK;
}

int ch_models_get(struct ch_store *s, int64_t id, struct ch_models_model *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT " MODEL_COLUMNS MODEL_FROM " WHERE m.id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, 0);
    ch_stmt_bind_int(st, 2, id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no model %lld", (long long)id);
    bool partner = false;
    if (rc == 1)
        rc = read_row(st, ret, &partner, err);
    ch_stmt_reset(st);
    return rc;
}

int ch_models_find(struct ch_store *s, const struct ch_eval_actor *a, const char *ref,
                   struct ch_models_model *ret, struct ch_err *err)
{
    if (ref == NULL || ref[0] == '\0' ||
        strlen(ref) > CH_MODELS_MAX_NAME + CH_MODELS_MAX_VERSION + 1)
        return ch_err_set(err, CH_E_NOTFOUND, "no model '%s'", ref != NULL ? ref : "");
    char name[CH_MODELS_MAX_NAME + CH_MODELS_MAX_VERSION + 2];
    snprintf(name, sizeof(name), "%s", ref);
    const char *version = NULL;
    char *at = strchr(name, '@');
    if (at != NULL) {
        *at = '\0';
        version = at + 1;
    }
    int64_t id = 0;
    struct ch_err ignore = CH_ERR_INIT;
    bool by_id = ch_num_parse_i64(ch_str_c(ref), 1, INT64_MAX, &id, &ignore) == CH_OK;
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT " MODEL_COLUMNS MODEL_FROM
                              " WHERE (m.id = ? OR (m.name = ? AND (CAST(? AS TEXT) IS NULL"
                              " OR m.version = ?))) ORDER BY m.id",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, a->org_id);
    ch_stmt_bind_int(st, 2, by_id ? id : 0);
    ch_stmt_bind_cstr(st, 3, name);
    ch_stmt_bind_cstr(st, 4, version);
    ch_stmt_bind_cstr(st, 5, version);
    struct ch_models_model found = {0};
    size_t n_found = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct ch_models_model m;
        bool partner = false;
        rc = read_row(st, &m, &partner, err);
        if (rc != CH_OK)
            break;
        if (!row_visible(a, &m, partner)) {
            ch_models_release(&m);
            continue;
        }
        n_found++;
        ch_models_release(&found);
        found = m;
    }
    ch_stmt_free(st);
    if (rc < 0) {
        ch_models_release(&found);
        return rc;
    }
    if (n_found == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no model '%s'", ref);
    if (n_found > 1) {
        ch_models_release(&found);
        return ch_err_set(err, CH_E_INVALID,
                          "model '%s' has several versions: name one as NAME@VERSION", ref);
    }
    *ret = found;
    return CH_OK;
}

void ch_models_write_json(const struct ch_models_model *m, struct ch_jw *w)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "id", m->id);
    ch_jw_kstr(w, "org", m->org_slug);
    ch_jw_kstr(w, "name", m->name);
    ch_jw_kstr(w, "version", m->version);
    ch_jw_kstr(w, "endpoint", m->endpoint);
    ch_jw_kstr(w, "upstream_model", m->upstream_model);
    ch_jw_kbool(w, "has_credentials", m->has_credential);
    ch_jw_kbool(w, "prerelease", m->prerelease);
    ch_jw_ktime(w, "planned_release_at", m->planned_release_at);
    ch_jw_kstr(w, "classification", ch_clearance_name(m->classification));
    ch_jw_kbool(w, "gateway_killed", m->gateway_killed);
    ch_jw_ktime(w, "created_at", m->created_at);
    ch_jw_obj_close(w);
}

int ch_models_list_json(struct ch_store *s, const struct ch_eval_actor *a, struct ch_jw *w,
                        struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc =
        ch_store_prepare(s, "SELECT " MODEL_COLUMNS MODEL_FROM " ORDER BY m.id LIMIT ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, a->org_id);
    ch_stmt_bind_int(st, 2, CH_MODELS_MAX_LIST);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct ch_models_model m;
        bool partner = false;
        rc = read_row(st, &m, &partner, err);
        if (rc != CH_OK)
            break;
        if (row_visible(a, &m, partner))
            ch_models_write_json(&m, w);
        ch_models_release(&m);
    }
    ch_jw_arr_close(w);
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}

/* ---- writing ---- */

static int check_new(struct ch_store *s, const struct ch_eval_actor *a,
                     const struct ch_models_new *m, struct ch_err *err)
{
    if (!ident_ok(m->name, CH_MODELS_MAX_NAME))
        return ch_err_setf(err, CH_E_INVALID, "name",
                           "model name: 1 to %u letters, digits, '.', '_' or '-'",
                           CH_MODELS_MAX_NAME);
    if (!ident_ok(m->version, CH_MODELS_MAX_VERSION))
        return ch_err_setf(err, CH_E_INVALID, "version",
                           "model version: 1 to %u letters, digits, '.', '_' or '-'",
                           CH_MODELS_MAX_VERSION);
    if (!url_ok(m->endpoint))
        return ch_err_setf(err, CH_E_INVALID, "endpoint",
                           "endpoint: an http:// or https:// URL of at most %u bytes",
                           CH_MODELS_MAX_URL);
    if (m->upstream_model != NULL &&
        (m->upstream_model[0] == '\0' || strlen(m->upstream_model) > CH_MODELS_MAX_NAME))
        return ch_err_setf(err, CH_E_INVALID, "upstream_model", "upstream model: 1 to %u bytes",
                           CH_MODELS_MAX_NAME);
    if (m->credential != NULL && strlen(m->credential) > CH_MODELS_MAX_CREDENTIAL)
        return ch_err_setf(err, CH_E_LIMIT, "credential", "credential exceeds %u bytes",
                           CH_MODELS_MAX_CREDENTIAL);
    bool own = (a->roles & CH_ROLE_DEVELOPER) != 0 && a->org_id == m->org_id;
    if (!own && !ch_eval_actor_wide(a))
        return ch_err_set(err, CH_E_PERM, "only the developer or the clearinghouse adds a model");
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT category FROM orgs WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, m->org_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    bool dev = rc == 1 && ch_str_eq_c(ch_stmt_text(st, 0), "developer");
    ch_stmt_reset(st);
    if (!dev)
        return ch_err_setf(err, CH_E_INVALID, "org", "a model belongs to a developer organisation");
    return CH_OK;
}

int ch_models_add(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                  const struct ch_models_new *m, int64_t now, int64_t *ret_id, struct ch_err *err)
{
    int rc = check_new(s, a, m, err);
    if (rc != CH_OK)
        return rc;
    struct ch_buf sealed;
    ch_buf_init(&sealed, CH_MODELS_MAX_CREDENTIAL + CH_SEAL_OVERHEAD + CH_SEAL_MAX_CONTEXT);
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        goto out;
    struct ch_stmt *st = NULL;
    int64_t id = 0;
    rc = ch_store_stmt(s,
                       "INSERT INTO eval_models (org_id, name, version, endpoint, upstream_model,"
                       " prerelease, planned_release_at, classification, created_at, created_by)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, m->org_id);
        ch_stmt_bind_cstr(st, 2, m->name);
        ch_stmt_bind_cstr(st, 3, m->version);
        ch_stmt_bind_cstr(st, 4, m->endpoint);
        ch_stmt_bind_cstr(st, 5, m->upstream_model != NULL ? m->upstream_model : m->name);
        ch_stmt_bind_bool(st, 6, m->prerelease);
        if (m->planned_release_at >= 0)
            ch_stmt_bind_int(st, 7, m->planned_release_at);
        ch_stmt_bind_cstr(st, 8, ch_clearance_name(m->classification));
        ch_stmt_bind_int(st, 9, now);
        ch_stmt_bind_cstr(st, 10, a->name);
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
        rc = ch_err_set(err, CH_E_CONFLICT, "model '%s@%s' exists", m->name, m->version);
    }
    /* The credential is bound to the model's id, so it cannot be moved to another row. */
    if (rc == CH_OK && m->credential != NULL) {
        char ctx[64];
        snprintf(ctx, sizeof(ctx), "credential:model:%lld", (long long)id);
        struct ch_seal_key k;
        ch_seal_key_derive(keys, CH_SEAL_CREDENTIALS, &k);
        rc = ch_seal(&k, ctx, m->credential, strlen(m->credential), &sealed, err);
        ch_seal_key_wipe(&k);
        if (rc == CH_OK)
            rc = ch_store_stmt(s, "UPDATE eval_models SET credentials = ? WHERE id = ?", &st, err);
        if (rc == CH_OK) {
            ch_stmt_bind_blob(st, 1, sealed.ptr, ch_buf_len(&sealed));
            ch_stmt_bind_int(st, 2, id);
            rc = ch_stmt_run(st, err);
        }
    }
    if (rc == CH_OK) {
        char object[64];
        char details[512];
        snprintf(object, sizeof(object), "model:%lld", (long long)id);
        snprintf(details, sizeof(details), "{\"name\":\"%s\",\"version\":\"%s\",\"prerelease\":%s}",
                 m->name, m->version, m->prerelease ? "true" : "false");
        rc = ch_eval_audit(s, a, "model.add", object, details, now, err);
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

int ch_models_credentials(struct ch_store *s, const struct ch_keys *keys, int64_t id,
                          struct ch_buf *out, struct ch_err *err)
{
    ch_buf_reset(out);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT credentials FROM eval_models WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no model %lld", (long long)id);
    if (ch_stmt_is_null(st, 0)) {
        ch_stmt_reset(st);
        return CH_OK;
    }
    char ctx[64];
    snprintf(ctx, sizeof(ctx), "credential:model:%lld", (long long)id);
    struct ch_str blob = ch_stmt_blob(st, 0);
    struct ch_seal_key k;
    ch_seal_key_derive(keys, CH_SEAL_CREDENTIALS, &k);
    rc = ch_seal_open(&k, ctx, blob.ptr, blob.len, out, err);
    ch_seal_key_wipe(&k);
    ch_stmt_reset(st);
    return rc;
}

int ch_models_attach_run(struct ch_store *s, int64_t model_id, int64_t run_id, int64_t window_id,
                         int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO eval_model_runs (run_id, model_id, window_id, attached_at)"
                           " VALUES (?, ?, ?, ?)",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, run_id);
    ch_stmt_bind_int(st, 2, model_id);
    if (window_id > 0)
        ch_stmt_bind_int(st, 3, window_id);
    ch_stmt_bind_int(st, 4, now);
    rc = ch_stmt_run(st, err);
    if (rc == CH_E_CONFLICT) {
        ch_err_clear(err);
        return ch_err_set(err, CH_E_CONFLICT, "run %lld is already tied to a model, or unknown",
                          (long long)run_id);
    }
    return rc;
}

int ch_models_set_killed(struct ch_store *s, const struct ch_eval_actor *a, int64_t id, bool killed,
                         const char *reason, int64_t now, struct ch_err *err)
{
    if (!ch_eval_actor_wide(a))
        return ch_err_set(err, CH_E_PERM, "only the clearinghouse operates the kill switch");
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s, "UPDATE eval_models SET gateway_killed = ?, kill_reason = ? WHERE id = ?",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_bool(st, 1, killed);
        ch_stmt_bind_cstr(st, 2, reason);
        ch_stmt_bind_int(st, 3, id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK && ch_store_changes(s) == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no model %lld", (long long)id);
    if (rc == CH_OK) {
        char object[64];
        snprintf(object, sizeof(object), "model:%lld", (long long)id);
        rc =
            ch_eval_audit(s, a, killed ? "gateway.kill" : "gateway.unkill", object, NULL, now, err);
    }
    if (rc == CH_OK)
        return ch_store_commit(s, err);
    ch_store_rollback(s);
    return rc;
}
