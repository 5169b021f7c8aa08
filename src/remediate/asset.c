/* SPDX-License-Identifier: Apache-2.0
 *
 * asset.c: assets, their inventory versions and the reverse index package
 * → assets (exposure.h).
 *
 * An attached inventory is kept whole (the file bytes and their SHA-256)
 * next to its parsed components, so that any version can be looked at
 * again; the asset points at its newest version. Each component is stored
 * with the matching index's key of the name it is matched under (Debian:
 * the source package), plus the bare-ecosystem key it falls back to, and
 * asset_packages holds both keys for the current version only.
 */
#include "remediate/exposure.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "remediate/internal.h"
#include "vuln/pkgname.h"

static const char *const exposure_names[] = {"no", "yes", "unknown"};
static const char *const impact_names[] = {"low", "medium", "high"};

int64_t ch_rem_scope(const struct ch_principal *p)
{
    return (p->roles & CH_ROLE_WIDE) != 0 ? 0 : p->org_id;
}

int ch_asset_exposure_parse(const char *s, enum ch_asset_exposure *ret)
{
    struct ch_str v = ch_str_c(s != NULL ? s : "");
    if (ch_str_case_eq_c(v, "no") || ch_str_case_eq_c(v, "false"))
        *ret = CH_ASSET_EXPOSED_NO;
    else if (ch_str_case_eq_c(v, "yes") || ch_str_case_eq_c(v, "true"))
        *ret = CH_ASSET_EXPOSED_YES;
    else if (ch_str_case_eq_c(v, "unknown"))
        *ret = CH_ASSET_EXPOSED_UNKNOWN;
    else
        return CH_E_INVALID;
    return CH_OK;
}

const char *ch_asset_exposure_name(enum ch_asset_exposure e)
{
    return (unsigned)e < CH_ARRAY_SIZE(exposure_names) ? exposure_names[e] : "unknown";
}

int ch_impact_parse(const char *s, enum ch_impact *ret)
{
    for (size_t i = 0; s != NULL && i < CH_ARRAY_SIZE(impact_names); i++) {
        if (ch_str_case_eq_c(ch_str_c(s), impact_names[i])) {
            *ret = (enum ch_impact)i;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

const char *ch_impact_name(enum ch_impact i)
{
    return (unsigned)i < CH_ARRAY_SIZE(impact_names) ? impact_names[i] : "medium";
}

static bool printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    }
    return true;
}

int ch_asset_create(const struct ch_rem_ctx *ctx, const struct ch_asset_new *a, int64_t *ret_id,
                    struct ch_err *err)
{
    const char *env = a->environment != NULL ? a->environment : "production";
    const char *tags = a->tags != NULL ? a->tags : "";
    if (a->name == NULL || !printable(a->name, CH_ASSET_MAX_NAME))
        return ch_err_setf(err, CH_E_INVALID, "name", "asset name: 1-%d printable bytes",
                           CH_ASSET_MAX_NAME);
    if (!printable(env, CH_ASSET_MAX_NAME))
        return ch_err_setf(err, CH_E_INVALID, "environment", "environment: 1-%d printable bytes",
                           CH_ASSET_MAX_NAME);
    if (tags[0] != '\0' && !printable(tags, CH_ASSET_MAX_TAGS))
        return ch_err_setf(err, CH_E_INVALID, "tags", "tags: at most %d printable bytes",
                           CH_ASSET_MAX_TAGS);
    struct ch_store *s = ctx->store;
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO assets (org_id, name, environment, internet_facing,"
                       " exposed_since, mission_impact, wellbeing_impact, tags, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       &st, err);
    int64_t id = 0;
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, a->org_id);
        ch_stmt_bind_cstr(st, 2, a->name);
        ch_stmt_bind_cstr(st, 3, env);
        ch_stmt_bind_cstr(st, 4, ch_asset_exposure_name(a->internet_facing));
        if (a->internet_facing == CH_ASSET_EXPOSED_NO)
            ch_stmt_bind_null(st, 5);
        else
            ch_stmt_bind_int(st, 5, ctx->now);
        ch_stmt_bind_cstr(st, 6, ch_impact_name(a->mission));
        ch_stmt_bind_cstr(st, 7, ch_impact_name(a->wellbeing));
        ch_stmt_bind_cstr(st, 8, tags);
        ch_stmt_bind_int(st, 9, ctx->now);
        rc = ch_stmt_step(st, err);
        if (rc == 1)
            id = ch_stmt_int(st, 0);
        ch_stmt_reset(st);
        if (rc == CH_E_CONFLICT)
            ch_err_prefix(err,
                          "asset '%s' exists in this organisation or the organisation"
                          " does not",
                          a->name);
        rc = rc < 0 ? rc : CH_OK;
    }
    char object[48];
    snprintf(object, sizeof(object), "asset:%lld", (long long)id);
    if (rc == CH_OK)
        rc = ch_rem__audit(ctx, "asset.create", object, NULL, err);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK)
        *ret_id = id;
    return rc;
}

int ch_asset_find(struct ch_store *s, int64_t org_id, const char *name, int64_t *ret_id,
                  struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT id FROM assets WHERE org_id = ? AND name = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, org_id);
    ch_stmt_bind_cstr(st, 2, name);
    rc = ch_stmt_step(st, err);
    if (rc == 1)
        *ret_id = ch_stmt_int(st, 0);
    ch_stmt_reset(st);
    if (rc == 0)
        return ch_err_setf(err, CH_E_NOTFOUND, "asset", "no asset '%s' in this organisation", name);
    return rc < 0 ? rc : CH_OK;
}

/* The organisation of an asset visible in scope; CH_E_NOTFOUND otherwise. */
static int asset_in_scope(struct ch_store *s, int64_t scope_org, int64_t asset_id, int64_t *ret_org,
                          struct ch_err *err)
{
    int64_t org = -1;
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)asset_id);
    int rc = ch_store_query_int(s, "SELECT org_id FROM assets WHERE id = CAST(? AS BIGINT)", id, -1,
                                &org, err);
    if (rc != CH_OK)
        return rc;
    if (org < 0 || (scope_org != 0 && org != scope_org))
        return ch_err_setf(err, CH_E_NOTFOUND, "asset", "asset %lld not found",
                           (long long)asset_id);
    if (ret_org != NULL)
        *ret_org = org;
    return CH_OK;
}

int ch_asset_set_exposure(const struct ch_rem_ctx *ctx, int64_t scope_org, int64_t asset_id,
                          enum ch_asset_exposure e, struct ch_err *err)
{
    struct ch_store *s = ctx->store;
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    rc = asset_in_scope(s, scope_org, asset_id, NULL, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE assets SET internet_facing = ?, exposed_since = CASE"
                           " WHEN ? = 'no' THEN NULL"
                           " WHEN internet_facing = 'no' THEN ? ELSE exposed_since END"
                           " WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, ch_asset_exposure_name(e));
        ch_stmt_bind_cstr(st, 2, ch_asset_exposure_name(e));
        ch_stmt_bind_int(st, 3, ctx->now);
        ch_stmt_bind_int(st, 4, asset_id);
        rc = ch_stmt_run(st, err);
    }
    char object[48], details[64];
    snprintf(object, sizeof(object), "asset:%lld", (long long)asset_id);
    snprintf(details, sizeof(details), "{\"internet_facing\":\"%s\"}", ch_asset_exposure_name(e));
    if (rc == CH_OK)
        rc = ch_rem__audit(ctx, "asset.exposure", object, details, err);
    struct ch_exposure_stats stats = {0};
    struct ch_rem_run *r = NULL;
    if (rc == CH_OK)
        rc = ch_rem__run_new(ctx, NULL, false, &stats, &r, err);
    struct ch_stmt *q = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    if (rc == CH_OK)
        rc = ch_store_prepare(s,
                              "SELECT id FROM exposures WHERE asset_id = ?"
                              " AND status <> 'remediated'",
                              &q, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(q, 1, asset_id);
        size_t cap = 0;
        while ((rc = ch_stmt_step(q, err)) == 1) {
            if (n == cap) {
                cap = cap == 0 ? 64 : cap * 2;
                int64_t *ni = ch_reallocarray(ids, cap, sizeof(*ni));
                if (ni == NULL) {
                    rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                    break;
                }
                ids = ni;
            }
            ids[n++] = ch_stmt_int(q, 0);
        }
        rc = rc < 0 ? rc : CH_OK;
    }
    ch_stmt_free(q);
    for (size_t i = 0; rc == CH_OK && i < n; i++)
        rc = ch_rem__run_decide(r, ids[i], err);
    ch_free(ids);
    if (rc == CH_OK && r != NULL)
        rc = ch_rem__run_finish(r, err);
    ch_rem__run_free(r);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    return rc;
}

/* ---- inventories ------------------------------------------------------ */

static int insert_component(struct ch_store *s, int64_t inv_id, const struct ch_component *c,
                            struct ch_buf *eco, struct ch_buf *alt, struct ch_buf *norm,
                            struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO inventory_components (inventory_id, ecosystem, release,"
                           " name, version, purl, source_name, source_version, eco_key,"
                           " alt_eco_key, norm_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_buf_reset(eco);
    ch_buf_reset(alt);
    ch_buf_reset(norm);
    bool keyed = c->ecosystem != NULL;
    if (keyed) {
        const char *name = NULL, *version = NULL;
        ch_rem__match_name(c->ecosystem, c->name, c->version, c->source_name, c->source_version,
                           &name, &version);
        ch_match_key_component(eco, c->ecosystem, c->release);
        if (c->release != NULL)
            ch_match_key_component(alt, c->ecosystem, NULL);
        (void)ch_pkgname_normalize(ch_str_c(c->ecosystem), ch_str_c(name), norm);
        if (eco->failed || alt->failed || norm->failed)
            keyed = false; /* a name past the key limit cannot be in the index either */
    }
    ch_stmt_bind_int(st, 1, inv_id);
    ch_stmt_bind_cstr(st, 2, c->ecosystem);
    ch_stmt_bind_cstr(st, 3, c->release);
    ch_stmt_bind_cstr(st, 4, c->name);
    ch_stmt_bind_cstr(st, 5, c->version);
    ch_stmt_bind_cstr(st, 6, c->purl);
    ch_stmt_bind_cstr(st, 7, c->source_name);
    ch_stmt_bind_cstr(st, 8, c->source_version);
    ch_stmt_bind_cstr(st, 9, keyed ? ch_buf_cstr(eco) : NULL);
    ch_stmt_bind_cstr(st, 10, keyed && c->release != NULL ? ch_buf_cstr(alt) : NULL);
    ch_stmt_bind_cstr(st, 11, keyed ? ch_buf_cstr(norm) : NULL);
    return ch_stmt_run(st, err);
}

static int index_packages(struct ch_store *s, int64_t asset_id, int64_t inv_id, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "DELETE FROM asset_packages WHERE asset_id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, asset_id);
    rc = ch_stmt_run(st, err);
    static const char *const sql[] = {
        "INSERT INTO asset_packages (eco_key, norm_name, asset_id)"
        " SELECT DISTINCT eco_key, norm_name, CAST(? AS BIGINT) FROM inventory_components"
        " WHERE inventory_id = ? AND eco_key IS NOT NULL"
        " ON CONFLICT (eco_key, norm_name, asset_id) DO NOTHING",
        "INSERT INTO asset_packages (eco_key, norm_name, asset_id)"
        " SELECT DISTINCT alt_eco_key, norm_name, CAST(? AS BIGINT) FROM inventory_components"
        " WHERE inventory_id = ? AND alt_eco_key IS NOT NULL"
        " ON CONFLICT (eco_key, norm_name, asset_id) DO NOTHING",
    };
    for (size_t i = 0; rc == CH_OK && i < CH_ARRAY_SIZE(sql); i++) {
        rc = ch_store_stmt(s, sql[i], &st, err);
        if (rc != CH_OK)
            break;
        ch_stmt_bind_int(st, 1, asset_id);
        ch_stmt_bind_int(st, 2, inv_id);
        rc = ch_stmt_run(st, err);
    }
    return rc;
}

static int store_inventory(const struct ch_rem_ctx *ctx, const struct ch_inventory_attach *in,
                           enum ch_sbom_format fmt, const struct ch_inventory *inv,
                           int64_t *ret_version, int64_t *ret_inv_id, struct ch_err *err)
{
    struct ch_store *s = ctx->store;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256(digest, (const unsigned char *)in->data, in->len);
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    int64_t version = 0;
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)in->asset_id);
    int rc = ch_store_query_int(s,
                                "SELECT COALESCE(MAX(version), 0) + 1 FROM asset_inventories"
                                " WHERE asset_id = CAST(? AS BIGINT)",
                                id, 1, &version, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO asset_inventories (asset_id, version, file_name, format,"
                           " sha256, content, n_components, attached_at, attached_by)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    size_t n = ch_inventory_count(inv);
    ch_stmt_bind_int(st, 1, in->asset_id);
    ch_stmt_bind_int(st, 2, version);
    ch_stmt_bind_cstr(st, 3, in->file_name);
    ch_stmt_bind_cstr(st, 4, ch_sbom_format_name(fmt));
    ch_stmt_bind_cstr(st, 5, hex);
    ch_stmt_bind_blob(st, 6, in->data, in->len);
    ch_stmt_bind_int(st, 7, (int64_t)n);
    ch_stmt_bind_int(st, 8, ctx->now);
    ch_stmt_bind_cstr(st, 9, ctx->actor != NULL ? ctx->actor : "system");
    rc = ch_stmt_step(st, err);
    int64_t inv_id = rc == 1 ? ch_stmt_int(st, 0) : 0;
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    struct ch_buf eco, alt, norm;
    ch_buf_init(&eco, CH_REM_KEY_MAX);
    ch_buf_init(&alt, CH_REM_KEY_MAX);
    ch_buf_init(&norm, CH_REM_KEY_MAX);
    rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < n; i++)
        rc = insert_component(s, inv_id, ch_inventory_get(inv, i), &eco, &alt, &norm, err);
    ch_buf_release(&eco);
    ch_buf_release(&alt);
    ch_buf_release(&norm);
    if (rc == CH_OK)
        rc = index_packages(s, in->asset_id, inv_id, err);
    if (rc == CH_OK)
        rc = ch_store_stmt(s, "UPDATE assets SET inventory_id = ? WHERE id = ?", &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, inv_id);
        ch_stmt_bind_int(st, 2, in->asset_id);
        rc = ch_stmt_run(st, err);
    }
    char object[48], details[400];
    snprintf(object, sizeof(object), "asset:%lld", (long long)in->asset_id);
    snprintf(details, sizeof(details),
             "{\"version\":%lld,\"format\":\"%s\",\"sha256\":\"%s\",\"components\":%zu}",
             (long long)version, ch_sbom_format_name(fmt), hex, n);
    if (rc == CH_OK)
        rc = ch_rem__audit(ctx, "asset.inventory", object, details, err);
    *ret_version = version;
    *ret_inv_id = inv_id;
    return rc;
}

int ch_asset_attach_inventory(const struct ch_rem_ctx *ctx, int64_t scope_org,
                              const struct ch_inventory_attach *in, int64_t *ret_version,
                              struct ch_exposure_stats *ret_stats, struct ch_err *err)
{
    *ret_stats = (struct ch_exposure_stats){0};
    struct ch_store *s = ctx->store;
    int rc = asset_in_scope(s, scope_org, in->asset_id, NULL, err);
    if (rc != CH_OK)
        return rc;
    enum ch_sbom_format fmt = in->format != CH_SBOM_UNKNOWN
                                  ? in->format
                                  : ch_sbom_detect(in->file_name, in->data, in->len);
    if (fmt == CH_SBOM_UNKNOWN)
        return ch_err_setf(err, CH_E_UNSUPPORTED, "format",
                           "cannot tell the format of '%s'; name it", in->file_name);
    struct ch_inventory *inv = NULL;
    rc = ch_inventory_new(NULL, &inv, err);
    if (rc == CH_OK)
        rc = ch_sbom_read(inv, in->file_name, in->data, in->len, fmt, in->sbom, err);
    if (rc != CH_OK) {
        ch_inventory_free(inv);
        return rc;
    }
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        ch_inventory_free(inv);
        return rc;
    }
    int64_t version = 0, inv_id = 0;
    rc = store_inventory(ctx, in, fmt, inv, &version, &inv_id, err);
    ch_inventory_free(inv);
    struct ch_rem_run *r = NULL;
    if (rc == CH_OK)
        rc = ch_rem__run_new(ctx, NULL, false, ret_stats, &r, err);
    if (rc == CH_OK)
        rc = ch_rem__run_asset(r, in->asset_id, NULL, NULL, 0, err);
    if (rc == CH_OK)
        rc = ch_rem__run_finish(r, err);
    ch_rem__run_free(r);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK)
        *ret_version = version;
    return rc;
}

void ch_exposure_stats_json(const struct ch_exposure_stats *st, struct ch_jw *w)
{
    ch_jw_kint(w, "assets", (int64_t)st->assets);
    ch_jw_kint(w, "components", (int64_t)st->components);
    ch_jw_kint(w, "opened", (int64_t)st->opened);
    ch_jw_kint(w, "reopened", (int64_t)st->reopened);
    ch_jw_kint(w, "remediated", (int64_t)st->remediated);
    ch_jw_kint(w, "expired", (int64_t)st->expired);
    ch_jw_kint(w, "decided", (int64_t)st->decided);
    ch_jw_kint(w, "notices", (int64_t)st->notices);
    ch_jw_kdouble(w, "seconds", st->seconds);
}

/* ---- listing ---------------------------------------------------------- */

static void asset_row_json(struct ch_stmt *st, struct ch_jw *w)
{
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kstr(w, "org", ch_stmt_cstr(st, 1));
    ch_jw_kstr(w, "name", ch_stmt_cstr(st, 2));
    ch_jw_kstr(w, "environment", ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "internet_facing", ch_stmt_cstr(st, 4));
    ch_jw_kstr(w, "mission_impact", ch_stmt_cstr(st, 5));
    ch_jw_kstr(w, "wellbeing_impact", ch_stmt_cstr(st, 6));
    ch_jw_kstr(w, "tags", ch_stmt_cstr(st, 7));
    ch_jw_ktime(w, "created_at", ch_stmt_int(st, 8));
    if (ch_stmt_is_null(st, 9)) {
        ch_jw_key(w, "inventory_version");
        ch_jw_null(w);
    } else {
        ch_jw_kint(w, "inventory_version", ch_stmt_int(st, 9));
    }
    ch_jw_kint(w, "open_exposures", ch_stmt_int(st, 10));
}

#define ASSET_COLUMNS                                                                              \
    "SELECT a.id, o.slug, a.name, a.environment, a.internet_facing, a.mission_impact,"             \
    " a.wellbeing_impact, a.tags, a.created_at,"                                                   \
    " (SELECT version FROM asset_inventories i WHERE i.id = a.inventory_id),"                      \
    " (SELECT COUNT(*) FROM exposures x WHERE x.asset_id = a.id"                                   \
    "  AND x.status IN ('open', 'in_progress'))"                                                   \
    " FROM assets a JOIN orgs o ON o.id = a.org_id"

int ch_asset_list_json(struct ch_store *s, int64_t scope_org, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s, ASSET_COLUMNS " WHERE (CAST(? AS BIGINT) = 0 OR a.org_id = ?) ORDER BY o.slug, a.name",
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, scope_org);
    ch_stmt_bind_int(st, 2, scope_org);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        asset_row_json(st, w);
        ch_jw_obj_close(w);
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

/*
 * Versions above `after`, at most `limit` (one more row is read to tell
 * whether another page follows); *ret_next: the last version written when
 * it does, else 0.
 */
static int inventories_json(struct ch_store *s, int64_t asset_id, int64_t after, size_t limit,
                            struct ch_jw *w, int64_t *ret_next, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT version, file_name, format, sha256, n_components, attached_at,"
                           " attached_by FROM asset_inventories WHERE asset_id = ? AND version > ?"
                           " ORDER BY version LIMIT ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, asset_id);
    ch_stmt_bind_int(st, 2, after);
    ch_stmt_bind_int(st, 3, limit >= (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit + 1);
    int64_t last = 0;
    size_t n = 0;
    *ret_next = 0;
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (n == limit) {
            *ret_next = last;
            break;
        }
        last = ch_stmt_int(st, 0);
        ch_jw_obj_open(w);
        ch_jw_kint(w, "version", last);
        ch_jw_kstr(w, "file", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "format", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "sha256", ch_stmt_cstr(st, 3));
        ch_jw_kint(w, "components", ch_stmt_int(st, 4));
        ch_jw_ktime(w, "attached_at", ch_stmt_int(st, 5));
        ch_jw_kstr(w, "attached_by", ch_stmt_cstr(st, 6));
        ch_jw_obj_close(w);
        n++;
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

int ch_asset_show_json(struct ch_store *s, int64_t scope_org, int64_t asset_id, struct ch_jw *w,
                       struct ch_err *err)
{
    int rc = asset_in_scope(s, scope_org, asset_id, NULL, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s, ASSET_COLUMNS " WHERE a.id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, asset_id);
    rc = ch_stmt_step(st, err);
    if (rc != 1) {
        ch_stmt_reset(st);
        return rc < 0 ? rc : ch_err_set(err, CH_E_NOTFOUND, "asset not found");
    }
    ch_jw_obj_open(w);
    asset_row_json(st, w);
    ch_stmt_reset(st);
    ch_jw_key(w, "inventories");
    int64_t next = 0;
    rc = inventories_json(s, asset_id, 0, SIZE_MAX - 1, w, &next, err);
    ch_jw_obj_close(w);
    return rc;
}

int ch_asset_inventories_json(struct ch_store *s, int64_t scope_org, int64_t asset_id,
                              int64_t after, size_t limit, struct ch_jw *w, int64_t *ret_next,
                              struct ch_err *err)
{
    int rc = asset_in_scope(s, scope_org, asset_id, NULL, err);
    if (rc != CH_OK)
        return rc;
    int64_t next = 0;
    rc = inventories_json(s, asset_id, after, limit, w, &next, err);
    if (rc == CH_OK)
        *ret_next = next;
    return rc;
}
