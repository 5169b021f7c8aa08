/* SPDX-License-Identifier: Apache-2.0
 *
 * recompute.c: what to recompute when (exposure.h).
 *
 * Incremental work goes from changed advisories to their packages (the
 * matching index's keys), from packages to assets through the reverse
 * index asset_packages, and re-matches only those assets' components of
 * those packages; changed vulnerabilities (KEV, scores) re-decide only their
 * exposures. The periodic run finds the changes itself from two watermarks
 * in remediate_state: "kb_seen" (advisories and KEV entries imported at or
 * after it are re-checked; a run sets it to its own time, and re-checking is
 * idempotent, so the boundary second may be seen twice) and "last_run" (a directive issued or
 * revoked since then re-decides every active exposure).
 */
#include "remediate/exposure.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/map.h"
#include "remediate/internal.h"

int ch_rem__ids_add(struct ch_rem_ids *x, int64_t id, struct ch_err *err)
{
    if (x->n == x->cap) {
        size_t cap = x->cap == 0 ? 64 : x->cap * 2;
        int64_t *nv = ch_reallocarray(x->v, cap, sizeof(*nv));
        if (nv == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        x->v = nv;
        x->cap = cap;
    }
    x->v[x->n++] = id;
    return CH_OK;
}

static int ids_query(struct ch_store *s, const char *sql, int64_t p1, bool bind,
                     struct ch_rem_ids *out, int64_t *ret_max_col1, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, sql, &st, err);
    if (rc != CH_OK)
        return rc;
    if (bind)
        ch_stmt_bind_int(st, 1, p1);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        rc = ch_rem__ids_add(out, ch_stmt_int(st, 0), err);
        if (rc != CH_OK)
            break;
        if (ret_max_col1 != NULL && ch_stmt_int(st, 1) > *ret_max_col1)
            *ret_max_col1 = ch_stmt_int(st, 1);
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_rem__cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Package keys → assets; pairs of (asset, key index). */
struct pair {
    int64_t asset_id;
    size_t key;
};

struct keys {
    struct ch_map *seen; /* "eco\x1fnorm" → marker */
    char **eco;
    char **norm;
    size_t n, cap;
};

static void no_free(void *p)
{
    (void)p;
}

static void keys_release(struct keys *k)
{
    for (size_t i = 0; i < k->n; i++) {
        ch_free(k->eco[i]);
        ch_free(k->norm[i]);
    }
    ch_free(k->eco);
    ch_free(k->norm);
    ch_map_free(k->seen);
}

static int keys_add(struct keys *k, const char *eco, const char *norm, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, 2 * CH_REM_KEY_MAX);
    (void)ch_buf_appendf(&b, "%s\x1f%s", eco, norm);
    int rc = ch_buf_status(&b, "package key", err);
    if (rc != CH_OK || ch_map_has(k->seen, ch_buf_str(&b))) {
        ch_buf_release(&b);
        return rc;
    }
    if (k->n == k->cap) {
        size_t cap = k->cap == 0 ? 16 : k->cap * 2;
        char **ne = ch_reallocarray(k->eco, cap, sizeof(*ne));
        if (ne != NULL)
            k->eco = ne;
        char **nn = ne != NULL ? ch_reallocarray(k->norm, cap, sizeof(*nn)) : NULL;
        if (nn == NULL) {
            ch_buf_release(&b);
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        }
        k->norm = nn;
        k->cap = cap;
    }
    k->eco[k->n] = ch_strdup(eco);
    k->norm[k->n] = ch_strdup(norm);
    k->n++;
    rc = k->eco[k->n - 1] == NULL || k->norm[k->n - 1] == NULL ||
                 ch_map_put(k->seen, ch_buf_str(&b), k) != CH_OK
             ? ch_err_set(err, CH_E_NOMEM, "out of memory")
             : CH_OK;
    ch_buf_release(&b);
    return rc;
}

/* The packages and the vulnerability of a changed advisory. */
static int advisory_keys(struct ch_store *s, int64_t adv, struct keys *k, struct ch_rem_ids *vulns,
                         struct ch_err *err)
{
    struct ch_rem_ids one = {0};
    int rc =
        ids_query(s, "SELECT vuln_id FROM advisories WHERE id = ?", adv, true, &one, NULL, err);
    for (size_t i = 0; rc == CH_OK && i < one.n; i++)
        rc = ch_rem__ids_add(vulns, one.v[i], err);
    ch_free(one.v);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "SELECT DISTINCT ecosystem, norm_name FROM affected"
                           " WHERE advisory_id = ? AND ecosystem IS NOT NULL"
                           " AND norm_name IS NOT NULL",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, adv);
    struct ch_buf eco;
    ch_buf_init(&eco, CH_REM_KEY_MAX);
    /* gather first: keys_add must not run while the cached statement is live on PostgreSQL */
    struct keys tmp = {.seen = ch_map_new(0x746d706b, no_free)};
    if (tmp.seen == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    while (rc == CH_OK && (rc = ch_stmt_step(st, err)) == 1) {
        ch_buf_reset(&eco);
        ch_match_key_index(&eco, ch_stmt_cstr(st, 0));
        rc = keys_add(&tmp, ch_buf_cstr(&eco), ch_stmt_cstr(st, 1), err);
    }
    ch_stmt_reset(st);
    ch_buf_release(&eco);
    for (size_t i = 0; rc >= 0 && i < tmp.n; i++)
        rc = keys_add(k, tmp.eco[i], tmp.norm[i], err);
    keys_release(&tmp);
    return rc < 0 ? rc : CH_OK;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->asset_id != y->asset_id)
        return x->asset_id < y->asset_id ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

/* Re-matches the assets holding the keys, each with its own keys only. */
static int run_keys(struct ch_rem_run *r, struct ch_store *s, const struct keys *k,
                    struct ch_err *err)
{
    struct pair *pairs = NULL;
    size_t n = 0, cap = 0;
    int rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < k->n; i++) {
        struct ch_rem_ids assets = {0};
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(
            s, "SELECT asset_id FROM asset_packages WHERE eco_key = ? AND norm_name = ?", &st, err);
        if (rc != CH_OK)
            break;
        ch_stmt_bind_cstr(st, 1, k->eco[i]);
        ch_stmt_bind_cstr(st, 2, k->norm[i]);
        while ((rc = ch_stmt_step(st, err)) == 1) {
            rc = ch_rem__ids_add(&assets, ch_stmt_int(st, 0), err);
            if (rc != CH_OK)
                break;
        }
        ch_stmt_reset(st);
        for (size_t j = 0; rc >= 0 && j < assets.n; j++) {
            if (n == cap) {
                size_t ncap = cap == 0 ? 64 : cap * 2;
                struct pair *np = ch_reallocarray(pairs, ncap, sizeof(*np));
                if (np == NULL) {
                    rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                    break;
                }
                pairs = np;
                cap = ncap;
            }
            pairs[n++] = (struct pair){.asset_id = assets.v[j], .key = i};
        }
        ch_free(assets.v);
        if (rc > 0)
            rc = CH_OK;
    }
    if (rc == CH_OK && n > 0)
        qsort(pairs, n, sizeof(*pairs), cmp_pair);
    const char **eco = rc == CH_OK && n > 0 ? ch_calloc(n, sizeof(*eco)) : NULL;
    const char **norm = eco != NULL ? ch_calloc(n, sizeof(*norm)) : NULL;
    if (rc == CH_OK && n > 0 && norm == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    for (size_t i = 0; rc == CH_OK && i < n;) {
        size_t j = i, m = 0;
        while (j < n && pairs[j].asset_id == pairs[i].asset_id) {
            eco[m] = k->eco[pairs[j].key];
            norm[m] = k->norm[pairs[j].key];
            m++;
            j++;
        }
        rc = ch_rem__run_asset(r, pairs[i].asset_id, eco, norm, m, err);
        i = j;
    }
    ch_free(eco);
    ch_free(norm);
    ch_free(pairs);
    return rc;
}

/* Re-decides the active exposures of the vulnerabilities. */
static int run_vulns(struct ch_rem_run *r, struct ch_store *s, struct ch_rem_ids *vulns,
                     struct ch_err *err)
{
    if (vulns->n > 1)
        qsort(vulns->v, vulns->n, sizeof(*vulns->v), ch_rem__cmp_id);
    struct ch_rem_ids ex = {0};
    int rc = CH_OK;
    for (size_t i = 0; rc == CH_OK && i < vulns->n; i++) {
        if (i > 0 && vulns->v[i] == vulns->v[i - 1])
            continue;
        rc = ids_query(s, "SELECT id FROM exposures WHERE vuln_id = ? AND status <> 'remediated'",
                       vulns->v[i], true, &ex, NULL, err);
    }
    for (size_t i = 0; rc == CH_OK && i < ex.n; i++)
        rc = ch_rem__run_decide(r, ex.v[i], err);
    ch_free(ex.v);
    return rc;
}

static int expire_acceptances(struct ch_rem_run *r, const struct ch_rem_ctx *ctx,
                              struct ch_exposure_stats *stats, struct ch_err *err)
{
    struct ch_rem_ids ex = {0};
    int rc = ids_query(ctx->store,
                       "SELECT id FROM exposures WHERE status = 'risk_accepted'"
                       " AND risk_expires_at <= ?",
                       ctx->now, true, &ex, NULL, err);
    for (size_t i = 0; rc == CH_OK && i < ex.n; i++) {
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(ctx->store,
                           "UPDATE exposures SET status = 'open', status_at = ?,"
                           " risk_justification = NULL, risk_approver = NULL,"
                           " risk_expires_at = NULL, updated_at = ? WHERE id = ?",
                           &st, err);
        if (rc != CH_OK)
            break;
        ch_stmt_bind_int(st, 1, ctx->now);
        ch_stmt_bind_int(st, 2, ctx->now);
        ch_stmt_bind_int(st, 3, ex.v[i]);
        rc = ch_stmt_run(st, err);
        if (rc == CH_OK)
            rc = ch_rem__write_transition(ctx, ex.v[i], "risk_accepted", "open",
                                          "risk acceptance expired", err);
        if (rc == CH_OK)
            rc = ch_rem__run_decide(r, ex.v[i], err);
        stats->expired++;
    }
    ch_free(ex.v);
    return rc;
}

static int audit_run(const struct ch_rem_ctx *ctx, const char *kind,
                     const struct ch_exposure_stats *st, struct ch_err *err)
{
    char details[400];
    snprintf(details, sizeof(details),
             "{\"kind\":\"%s\",\"assets\":%zu,\"opened\":%zu,\"reopened\":%zu,"
             "\"remediated\":%zu,\"expired\":%zu,\"decided\":%zu,\"notices\":%zu}",
             kind, st->assets, st->opened, st->reopened, st->remediated, st->expired, st->decided,
             st->notices);
    return ch_rem__audit(ctx, "exposure.recompute", "exposures", details, err);
}

static int changes_in_run(struct ch_rem_run *r, const struct ch_rem_ctx *ctx,
                          const struct ch_kb_changes *ch, struct ch_err *err)
{
    struct keys k = {.seen = ch_map_new(0x6b657973, no_free)};
    struct ch_rem_ids vulns = {0};
    int rc = k.seen == NULL ? ch_err_set(err, CH_E_NOMEM, "out of memory") : CH_OK;
    for (size_t i = 0; rc == CH_OK && i < ch->n_advisories; i++)
        rc = advisory_keys(ctx->store, ch->advisory_ids[i], &k, &vulns, err);
    for (size_t i = 0; rc == CH_OK && i < ch->n_packages; i++)
        rc = keys_add(&k, ch->packages[i].eco_key, ch->packages[i].norm_name, err);
    for (size_t i = 0; rc == CH_OK && i < ch->n_vulns; i++)
        rc = ch_rem__ids_add(&vulns, ch->vuln_ids[i], err);
    /* Changed advisories alone: their packages need re-checking only for
     * their own vulnerabilities (packages named without an advisory need all). */
    if (rc == CH_OK && ch->n_packages == 0 && vulns.n > 0) {
        qsort(vulns.v, vulns.n, sizeof(*vulns.v), ch_rem__cmp_id);
        size_t u = 0;
        for (size_t i = 0; i < vulns.n; i++) {
            if (u == 0 || vulns.v[u - 1] != vulns.v[i])
                vulns.v[u++] = vulns.v[i];
        }
        vulns.n = u;
        rc = ch_rem__run_only_vulns(r, vulns.v, vulns.n, err);
    }
    if (rc == CH_OK)
        rc = run_keys(r, ctx->store, &k, err);
    CH_IGNORE(ch_rem__run_only_vulns(r, NULL, 0, err)); /* clearing asks nothing of the store */
    if (rc == CH_OK)
        rc = run_vulns(r, ctx->store, &vulns, err);
    keys_release(&k);
    ch_free(vulns.v);
    return rc;
}

static int finish(struct ch_rem_run *r, const struct ch_rem_ctx *ctx, const char *kind,
                  struct ch_exposure_stats *stats, int rc, struct ch_err *err)
{
    if (rc == CH_OK)
        rc = ch_rem__run_finish(r, err);
    if (rc == CH_OK)
        rc = audit_run(ctx, kind, stats, err);
    if (rc == CH_OK)
        rc = ch_store_commit(ctx->store, err);
    else
        ch_store_rollback(ctx->store);
    ch_rem__run_free(r);
    return rc;
}

int ch_exposure_recompute_changes(const struct ch_rem_ctx *ctx, const struct ch_kb_changes *ch,
                                  struct ch_exposure_stats *ret_stats, struct ch_err *err)
{
    *ret_stats = (struct ch_exposure_stats){0};
    int rc = ch_store_begin_write(ctx->store, err);
    if (rc != CH_OK)
        return rc;
    struct ch_rem_run *r = NULL;
    rc = ch_rem__run_new(ctx, NULL, true, ret_stats, &r, err);
    if (rc != CH_OK) {
        ch_store_rollback(ctx->store);
        return rc;
    }
    rc = changes_in_run(r, ctx, ch, err);
    return finish(r, ctx, "changes", ret_stats, rc, err);
}

/* True when a directive was issued or revoked in (from, to]. */
static bool boundary_passed(const struct ch_directive_set *set, int64_t from, int64_t to)
{
    for (size_t i = 0; set != NULL && i < ch_directive_set_count(set); i++) {
        const struct ch_directive *d = ch_directive_set_get(set, i);
        int64_t is = ch_directive_issued(d), rv = ch_directive_revoked(d);
        if ((is > from && is <= to) || (rv >= 0 && rv > from && rv <= to))
            return true;
    }
    return false;
}

static int active_exposures(struct ch_store *s, struct ch_rem_ids *out, struct ch_err *err)
{
    return ids_query(s, "SELECT id FROM exposures WHERE status <> 'remediated' ORDER BY id", 0,
                     false, out, NULL, err);
}

int ch_exposure_recompute_pending(const struct ch_rem_ctx *ctx, struct ch_exposure_stats *ret_stats,
                                  struct ch_err *err)
{
    *ret_stats = (struct ch_exposure_stats){0};
    struct ch_store *s = ctx->store;
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_rem_run *r = NULL;
    rc = ch_rem__run_new(ctx, NULL, true, ret_stats, &r, err);
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    /* before the first run: every inventory was matched against the knowledge base of its day */
    int64_t first = 0, seen = 0, last = 0;
    rc = ch_store_query_int(s, "SELECT MIN(attached_at) FROM asset_inventories", NULL, ctx->now,
                            &first, err);
    if (rc == CH_OK)
        rc = ch_rem__state_get(s, "kb_seen", first, &seen, err);
    if (rc == CH_OK)
        rc = ch_rem__state_get(s, "last_run", first, &last, err);
    struct ch_rem_ids adv = {0}, vulns = {0}, all = {0};
    int64_t max_seen = seen;
    if (rc == CH_OK)
        rc = ids_query(s, "SELECT id, imported_at FROM advisories WHERE imported_at >= ?", seen,
                       true, &adv, &max_seen, err);
    if (rc == CH_OK)
        rc = ids_query(s,
                       "SELECT kk.vuln_id, k.imported_at FROM kev k JOIN vuln_keys kk"
                       " ON kk.key = k.cve WHERE k.imported_at >= ?",
                       seen, true, &vulns, &max_seen, err);
    if (rc == CH_OK && boundary_passed(ctx->directives, last, ctx->now))
        rc = active_exposures(s, &all, err);
    struct ch_kb_changes ch = {
        .advisory_ids = adv.v, .n_advisories = adv.n, .vuln_ids = vulns.v, .n_vulns = vulns.n};
    if (rc == CH_OK)
        rc = changes_in_run(r, ctx, &ch, err);
    for (size_t i = 0; rc == CH_OK && i < all.n; i++)
        rc = ch_rem__run_decide(r, all.v[i], err);
    if (rc == CH_OK)
        rc = expire_acceptances(r, ctx, ret_stats, err);
    /* everything imported before now is done; the second of now may still see imports */
    if (rc == CH_OK)
        rc = ch_rem__state_set(s, "kb_seen", ctx->now > seen ? ctx->now : seen, err);
    if (rc == CH_OK && ctx->now > last)
        rc = ch_rem__state_set(s, "last_run", ctx->now, err);
    ch_free(adv.v);
    ch_free(vulns.v);
    ch_free(all.v);
    return finish(r, ctx, "pending", ret_stats, rc, err);
}

int ch_exposure_recompute_all(const struct ch_rem_ctx *ctx, struct ch_exposure_stats *ret_stats,
                              struct ch_err *err)
{
    *ret_stats = (struct ch_exposure_stats){0};
    struct ch_store *s = ctx->store;
    /* With a reading thread, that thread loads each package's advisories the
     * first time an inventory names it (a lazy index over its own connection):
     * the whole index would otherwise be built here, before either thread
     * starts, and most of it never asked for. */
    struct ch_match_index *ix = NULL;
    int rc = ctx->reader != NULL ? CH_OK : ch_match_index_build(s, &ix, NULL, err);
    if (rc != CH_OK)
        return rc;
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        ch_match_index_free(ix);
        return rc;
    }
    struct ch_rem_run *r = NULL;
    rc = ch_rem__run_new(ctx, ix, true, ret_stats, &r, err);
    if (rc != CH_OK) {
        ch_store_rollback(s);
        ch_match_index_free(ix);
        return rc;
    }
    struct ch_rem_ids assets = {0}, all = {0};
    rc = ids_query(s, "SELECT id FROM assets WHERE inventory_id IS NOT NULL ORDER BY id", 0, false,
                   &assets, NULL, err);
    /* exposures this run creates are decided as they are written: only older ones need it */
    int64_t before = 0, stored = 0;
    if (rc == CH_OK)
        rc = ch_store_query_int(s, "SELECT COALESCE(MAX(id), 0) FROM exposures", NULL, 0, &before,
                                err);
    /* Fewer exposures than assets: most assets were never computed (an estate
     * loaded in bulk, a first run), so this run inserts nearly every row. The
     * (organisation, status) and (vulnerability, organisation) indexes then
     * cost more to maintain, entry by entry in random order, than to build
     * once afterwards; they are dropped while the assets are applied and
     * built again before anything reads through them (notices, re-decisions).
     * The unique index, which the run's own lookups use, stays. */
    struct ch_buf deferred;
    ch_buf_init(&deferred, CH_BUF_DEFAULT_MAX);
    if (rc == CH_OK)
        rc = ch_store_query_int(s, "SELECT COUNT(*) FROM exposures", NULL, 0, &stored, err);
    bool defer = ctx->defer_indexes > 0 || (ctx->defer_indexes == 0 && stored < (int64_t)assets.n);
    if (rc == CH_OK && defer)
        rc = ch_store_indexes_defer(s, "exposures", &deferred, err);
    if (rc == CH_OK)
        rc = ch_rem__run_all_assets(r, assets.v, assets.n, err);
    if (rc == CH_OK)
        rc = ch_store_indexes_restore(s, &deferred, err);
    ch_buf_release(&deferred);
    if (rc == CH_OK)
        rc = ids_query(s,
                       "SELECT id FROM exposures WHERE status <> 'remediated' AND id <= ?"
                       " ORDER BY id",
                       before, true, &all, NULL, err);
    for (size_t i = 0; rc == CH_OK && i < all.n; i++)
        rc = ch_rem__run_decide(r, all.v[i], err);
    if (rc == CH_OK)
        rc = expire_acceptances(r, ctx, ret_stats, err);
    if (rc == CH_OK)
        rc = ch_rem__state_set(s, "kb_seen", ctx->now, err);
    if (rc == CH_OK)
        rc = ch_rem__state_set(s, "last_run", ctx->now, err);
    ch_free(assets.v);
    ch_free(all.v);
    rc = finish(r, ctx, "all", ret_stats, rc, err);
    ch_match_index_free(ix);
    return rc;
}
