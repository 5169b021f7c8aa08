/* SPDX-License-Identifier: Apache-2.0
 *
 * collection.c: the TAXII collections, their object index, the sync that
 * fills it and the queries that page through it (see collection.h).
 *
 * Paging is keyset on (added_ms, id): both are fixed when a row is written
 * and never change, so a page boundary is exact however many rows share a
 * date_added. The only column that changes later is `latest` (a newer
 * version supersedes a row), which moves an object to the newer version's
 * place in the order, never back before a consumer's position.
 */
#include "share/collection.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/num.h"
#include "share/sources.h"

/* The SQL of one query stays well below this (64 ids × "?," and the rest). */
#define QUERY_SQL_MAX 4096

static const struct ch_share_collection_info collections[] = {
    {"vulnerabilities", "a2098163-9c23-5201-8635-f04575f5c107", "Published vulnerabilities",
     "Every vulnerability in the clearinghouse's knowledge base (public advisories from OSV, "
     "CVE and CSAF, merged by alias), with affected software, severity and KEV status. "
     "TLP:CLEAR."},
    {"kev", "64c72bb9-8494-5ce1-bf92-5b84581c5d98", "Known exploited vulnerabilities",
     "Vulnerabilities in CISA's Known Exploited Vulnerabilities catalog, added as they join "
     "it, with date added, due date and required action. TLP:CLEAR."},
    {"notices", "47aa2e3d-c068-5fea-9d69-e7b29e6224e5", "Notices for your organisation",
     "Patch-distribution notices for the caller's organisation only: which vulnerability "
     "affects which of its assets, fixed versions and due date. TLP:AMBER+STRICT."},
    {"indicators", "6820586f-a29b-5bcf-b1f0-d5591b2db101", "Unauthorised scanning",
     "Indicators and observations of scanning sources that operators reported as "
     "unauthorised and released for sharing, marked with the TLP level they chose."},
};

const struct ch_share_collection_info *ch_share_collection_at(size_t i)
{
    return i < CH_ARRAY_SIZE(collections) ? &collections[i] : NULL;
}

const struct ch_share_collection_info *ch_share_collection_find(struct ch_str id_or_key)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(collections); i++) {
        if (ch_str_eq_c(id_or_key, collections[i].id) || ch_str_eq_c(id_or_key, collections[i].key))
            return &collections[i];
    }
    return NULL;
}

/* ---- next tokens ---- */

void ch_share_next_encode(int64_t added_ms, int64_t id, char out[CH_SHARE_NEXT_MAX])
{
    char raw[48];
    int n = snprintf(raw, sizeof(raw), "%lld.%lld", (long long)added_ms, (long long)id);
    sodium_bin2base64(out, CH_SHARE_NEXT_MAX, (const unsigned char *)raw, (size_t)n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool ch_share_next_decode(struct ch_str token, int64_t *ret_added_ms, int64_t *ret_id)
{
    unsigned char raw[48];
    size_t len = 0;
    if (token.len == 0 || token.len >= CH_SHARE_NEXT_MAX)
        return false;
    if (sodium_base642bin(raw, sizeof(raw) - 1, token.ptr, token.len, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    struct ch_str s = ch_str_make((const char *)raw, len);
    long dot = ch_str_find_char(s, '.');
    if (dot <= 0)
        return false;
    struct ch_err err = CH_ERR_INIT;
    int64_t added = 0, id = 0;
    if (ch_num_parse_i64(ch_str_sub(s, 0, (size_t)dot), 0, INT64_MAX, &added, &err) != CH_OK ||
        ch_num_parse_i64(ch_str_sub(s, (size_t)dot + 1, len - (size_t)dot - 1), 1, INT64_MAX, &id,
                         &err) != CH_OK)
        return false;
    *ret_added_ms = added;
    *ret_id = id;
    return true;
}

/* ---- sync ---- */

struct sync_ctx {
    struct ch_store *store;
    const char *collection;
    int64_t added_ms;
    struct ch_share_sync_stats stats;
};

static void body_hash(const char *body, size_t len, char out[33])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof(h), (const unsigned char *)body, len, NULL, 0);
    sodium_bin2hex(out, 33, h, sizeof(h));
}

struct prev_version {
    bool found;
    int64_t id;
    int64_t created_ms; /* -1: NULL */
    int64_t version_ms;
    char hash[33];
};

static int find_latest(struct sync_ctx *c, const struct ch_share_obj *o, struct prev_version *ret,
                       struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(c->store,
                           "SELECT id, created_ms, version_ms, hash FROM share_objects"
                           " WHERE collection = ? AND stix_id = ? AND scope_org = ? AND level = ?"
                           " AND latest = 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, c->collection);
    ch_stmt_bind_cstr(st, 2, o->stix_id);
    ch_stmt_bind_int(st, 3, o->scope_org);
    ch_stmt_bind_int(st, 4, (int64_t)o->level);
    *ret = (struct prev_version){.found = false, .created_ms = -1};
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        ret->found = true;
        ret->id = ch_stmt_int(st, 0);
        ret->created_ms = ch_stmt_is_null(st, 1) ? -1 : ch_stmt_int(st, 1);
        ret->version_ms = ch_stmt_int(st, 2);
        snprintf(ret->hash, sizeof(ret->hash), "%s", ch_stmt_text(st, 3).ptr);
        rc = CH_OK;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static void bind_opt_ms(struct ch_stmt *st, int idx, int64_t v)
{
    if (v < 0)
        ch_stmt_bind_null(st, idx);
    else
        ch_stmt_bind_int(st, idx, v);
}

/* Versions one emitted object: nothing when unchanged, else a new latest row. */
static int emit_into_index(void *ctx, const struct ch_share_obj *o, struct ch_err *err)
{
    struct sync_ctx *c = ctx;
    c->stats.emitted++;
    char hash[33];
    body_hash(o->body, o->body_len, hash);
    struct prev_version prev;
    int rc = find_latest(c, o, &prev, err);
    if (rc != CH_OK)
        return rc;
    if (prev.found && strcmp(prev.hash, hash) == 0) {
        c->stats.unchanged++;
        return CH_OK;
    }
    int64_t created = o->created_ms;
    int64_t modified = o->modified_ms;
    int64_t version = 0;
    if (created >= 0 && modified < 0) {
        /* marking definitions cannot be versioned (STIX §7.2.1): keep the first */
        if (prev.found) {
            c->stats.unchanged++;
            return CH_OK;
        }
        version = created;
    } else if (created >= 0) {
        if (prev.found && prev.created_ms >= 0)
            created = prev.created_ms; /* created never changes across versions */
        if (modified < created)
            modified = created;
        if (prev.found && modified <= prev.version_ms)
            modified = prev.version_ms + 1; /* each version strictly later */
        version = modified;
    } else {
        version = c->added_ms; /* observables: the version is when it was added */
        if (prev.found && version <= prev.version_ms)
            version = prev.version_ms + 1;
    }
    struct ch_stmt *st = NULL;
    if (prev.found) {
        rc = ch_store_stmt(c->store, "UPDATE share_objects SET latest = 0 WHERE id = ?", &st, err);
        if (rc != CH_OK)
            return rc;
        ch_stmt_bind_int(st, 1, prev.id);
        rc = ch_stmt_run(st, err);
        if (rc != CH_OK)
            return rc;
    }
    rc = ch_store_stmt(c->store,
                       "INSERT INTO share_objects (collection, scope_org, level, stix_id,"
                       " stix_type, created_ms, modified_ms, version_ms, added_ms, latest, first,"
                       " hash, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                       &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, c->collection);
    ch_stmt_bind_int(st, 2, o->scope_org);
    ch_stmt_bind_int(st, 3, (int64_t)o->level);
    ch_stmt_bind_cstr(st, 4, o->stix_id);
    ch_stmt_bind_cstr(st, 5, o->type);
    bind_opt_ms(st, 6, created);
    bind_opt_ms(st, 7, o->created_ms >= 0 && o->modified_ms >= 0 ? modified : -1);
    ch_stmt_bind_int(st, 8, version);
    ch_stmt_bind_int(st, 9, c->added_ms);
    ch_stmt_bind_bool(st, 10, !prev.found);
    ch_stmt_bind_cstr(st, 11, hash);
    ch_stmt_bind_text(st, 12, o->body, o->body_len);
    rc = ch_stmt_run(st, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "indexing '%s'", o->stix_id);
    c->stats.added++;
    return CH_OK;
}

/* Marking definitions and the clearinghouse's identity, in every collection. */
static int emit_base(struct sync_ctx *c, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, (size_t)64 << 10);
    int rc = CH_OK;
    for (int t = 0; rc == CH_OK && t < CH_TLP_COUNT; t++) {
        ch_buf_reset(&b);
        struct ch_jw w;
        ch_jw_init(&w, &b, 0);
        ch_stix_write_tlp_marking(&w, (enum ch_tlp)t);
        rc = ch_jw_finish(&w, err);
        if (rc != CH_OK)
            break;
        /* keep only the members after id and created: name and extensions */
        const char *full = ch_buf_cstr(&b);
        const char *name = strstr(full, ",\"name\":");
        if (name == NULL) {
            rc = ch_err_set(err, CH_E_INTERNAL, "marking definition without a name");
            break;
        }
        size_t body_len = ch_buf_len(&b) - (size_t)(name + 1 - full) - 1;
        struct ch_share_obj o = {
            .stix_id = ch_stix_tlp_marking_id((enum ch_tlp)t),
            .type = "marking-definition",
            .created_ms = INT64_C(1664582400000),
            .modified_ms = -1,
            .body = name + 1,
            .body_len = body_len,
        };
        rc = emit_into_index(c, &o, err);
    }
    if (rc == CH_OK) {
        struct ch_stix_identity id = {.name = "Clearinghouse",
                                      .identity_class = "organization",
                                      .description = "The vulnerability clearinghouse that "
                                                     "produced these objects",
                                      .self = true,
                                      .tlp = CH_TLP_CLEAR};
        rc = ch_stix_body_identity(&b, &id, err);
        if (rc == CH_OK) {
            struct ch_share_obj o = {
                .stix_id = ch_stix_clearinghouse_identity(),
                .type = "identity",
                .created_ms = INT64_C(1767225600000), /* 2026-01-01 */
                .modified_ms = INT64_C(1767225600000),
                .body = ch_buf_cstr(&b),
                .body_len = ch_buf_len(&b),
            };
            rc = emit_into_index(c, &o, err);
        }
    }
    ch_buf_release(&b);
    return rc;
}

static int state_get(struct ch_store *s, const char *name, int64_t *ret, struct ch_err *err)
{
    return ch_store_query_int(s, "SELECT value FROM share_state WHERE name = ?", name, 0, ret, err);
}

static int state_set(struct ch_store *s, const char *name, int64_t v, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO share_state (name, value) VALUES (?, ?)"
                           " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, name);
    ch_stmt_bind_int(st, 2, v);
    return ch_stmt_run(st, err);
}

/* Takes the index lock and the batch's date_added: strictly after every earlier batch. */
static int batch_begin(struct ch_store *s, int64_t now, int64_t *ret_added, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s, "UPDATE share_head SET seq = seq + 1 WHERE id = 1", &st, err);
    if (rc == CH_OK)
        rc = ch_stmt_run(st, err);
    int64_t last = 0;
    if (rc == CH_OK)
        rc = ch_store_query_int(s, "SELECT last_added_ms FROM share_head WHERE id = 1", NULL, 0,
                                &last, err);
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    int64_t added = now * 1000;
    *ret_added = added > last ? added : last + 1;
    return CH_OK;
}

static int batch_commit(struct ch_store *s, const struct sync_ctx *c, struct ch_err *err)
{
    int rc = CH_OK;
    if (c->stats.added > 0) {
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(s, "UPDATE share_head SET last_added_ms = ? WHERE id = 1", &st, err);
        if (rc == CH_OK) {
            ch_stmt_bind_int(st, 1, c->added_ms);
            rc = ch_stmt_run(st, err);
        }
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    return rc;
}

static void stats_add(struct ch_share_sync_stats *to, const struct ch_share_sync_stats *from)
{
    to->emitted += from->emitted;
    to->added += from->added;
    to->unchanged += from->unchanged;
}

static int sync_base(struct ch_store *s, int64_t now, struct ch_share_sync_stats *total,
                     struct ch_err *err)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(collections); i++) {
        struct sync_ctx c = {.store = s, .collection = collections[i].key};
        int rc = batch_begin(s, now, &c.added_ms, err);
        if (rc != CH_OK)
            return rc;
        rc = emit_base(&c, err);
        if (rc != CH_OK) {
            ch_store_rollback(s);
            return rc;
        }
        rc = batch_commit(s, &c, err);
        if (rc != CH_OK)
            return rc;
        stats_add(total, &c.stats);
    }
    return CH_OK;
}

static int sync_one(struct ch_store *s, const struct ch_share_source *src, int64_t now, bool full,
                    struct ch_share_sync_stats *total, struct ch_err *err)
{
    char key[128];
    snprintf(key, sizeof(key), "taxii.%s", src->name);
    struct sync_ctx c = {.store = s, .collection = src->collection};
    int rc = batch_begin(s, now, &c.added_ms, err);
    if (rc != CH_OK)
        return rc;
    int64_t since = 0;
    if (!full)
        rc = state_get(s, key, &since, err);
    int64_t mark = since;
    if (rc == CH_OK)
        rc = src->scan(src, s, since, emit_into_index, &c, &mark, err);
    if (rc == CH_OK) {
        /* hold the watermark back: see CH_SHARE_WATERMARK_SLACK_S */
        int64_t limit = now - CH_SHARE_WATERMARK_SLACK_S;
        if (mark > limit)
            mark = limit;
        if (mark < since)
            mark = since;
        rc = state_set(s, key, mark, err);
    }
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return ch_err_prefix(err, "source '%s'", src->name);
    }
    rc = batch_commit(s, &c, err);
    if (rc == CH_OK)
        stats_add(total, &c.stats);
    return rc;
}

int ch_share_sync(struct ch_store *s, const struct ch_share_source *const *sources, size_t n,
                  int64_t now, bool full, struct ch_share_sync_stats *ret, struct ch_err *err)
{
    struct ch_share_sync_stats total = {0};
    int rc = sync_base(s, now, &total, err);
    for (size_t i = 0; rc == CH_OK && i < n; i++)
        rc = sync_one(s, sources[i], now, full, &total, err);
    if (rc == CH_OK && ret != NULL)
        *ret = total;
    return rc;
}

int ch_share_sync_builtin(struct ch_store *s, int64_t now, bool full,
                          struct ch_share_sync_stats *ret, struct ch_err *err)
{
    size_t n = 0;
    const struct ch_share_source *const *src = ch_share_builtin_sources(&n);
    return ch_share_sync(s, src, n, now, full, ret, err);
}

/* ---- reading ---- */

static int append_in(struct ch_buf *sql, const char *column, size_t n)
{
    int rc = ch_buf_appendf(sql, " AND %s IN (", column);
    for (size_t i = 0; rc == CH_OK && i < n; i++)
        rc = ch_buf_append_c(sql, i == 0 ? "?" : ", ?");
    if (rc == CH_OK)
        rc = ch_buf_append_byte(sql, ')');
    return rc;
}

static int build_sql(const struct ch_share_query *q, bool with_body, struct ch_buf *sql)
{
    unsigned v = q->versions == 0 ? CH_SHARE_V_LAST : q->versions;
    int rc = ch_buf_appendf(sql,
                            "SELECT id, stix_id, stix_type, created_ms, modified_ms, version_ms,"
                            " added_ms%s FROM share_objects WHERE collection = ?"
                            " AND (scope_org = 0 OR scope_org = ?) AND level <= ?"
                            " AND added_ms >= ? AND (added_ms, id) > (?, ?)",
                            with_body ? ", body" : "");
    if (rc == CH_OK && q->n_ids > 0)
        rc = append_in(sql, "stix_id", q->n_ids);
    if (rc == CH_OK && q->n_types > 0)
        rc = append_in(sql, "stix_type", q->n_types);
    if (rc == CH_OK && !(v & CH_SHARE_V_ALL)) {
        rc = ch_buf_append_c(sql, " AND (1 = 0");
        if (rc == CH_OK && (v & CH_SHARE_V_LAST))
            rc = ch_buf_append_c(sql, " OR latest = 1");
        if (rc == CH_OK && (v & CH_SHARE_V_FIRST))
            rc = ch_buf_append_c(sql, " OR first = 1");
        if (rc == CH_OK && (v & CH_SHARE_V_LIST) && q->n_version_ms > 0) {
            rc = ch_buf_append_c(sql, " OR version_ms IN (");
            for (size_t i = 0; rc == CH_OK && i < q->n_version_ms; i++)
                rc = ch_buf_append_c(sql, i == 0 ? "?" : ", ?");
            if (rc == CH_OK)
                rc = ch_buf_append_byte(sql, ')');
        }
        if (rc == CH_OK)
            rc = ch_buf_append_byte(sql, ')');
    }
    if (rc == CH_OK)
        rc = ch_buf_append_c(sql, " ORDER BY added_ms, id LIMIT ?");
    return rc;
}

static void bind_query(struct ch_stmt *st, const struct ch_share_query *q)
{
    int i = 1;
    unsigned v = q->versions == 0 ? CH_SHARE_V_LAST : q->versions;
    ch_stmt_bind_cstr(st, i++, q->collection);
    ch_stmt_bind_int(st, i++, q->viewer.org_id > 0 ? q->viewer.org_id : -1);
    ch_stmt_bind_int(st, i++, (int64_t)q->viewer.clearance);
    /* the lower bound of the index range: after added_after (exclusive) and the keyset */
    int64_t from = q->added_after_ms + 1;
    if (q->after_id > 0 && q->after_added_ms > from)
        from = q->after_added_ms;
    ch_stmt_bind_int(st, i++, from);
    /* keyset: row values compare lexicographically on both backends */
    ch_stmt_bind_int(st, i++, q->after_id > 0 ? q->after_added_ms : -1);
    ch_stmt_bind_int(st, i++, q->after_id > 0 ? q->after_id : 0);
    for (size_t k = 0; k < q->n_ids; k++)
        ch_stmt_bind_cstr(st, i++, q->ids[k]);
    for (size_t k = 0; k < q->n_types; k++)
        ch_stmt_bind_cstr(st, i++, q->types[k]);
    if (!(v & CH_SHARE_V_ALL) && (v & CH_SHARE_V_LIST)) {
        for (size_t k = 0; k < q->n_version_ms; k++)
            ch_stmt_bind_int(st, i++, q->version_ms[k]);
    }
    ch_stmt_bind_int(st, i, (int64_t)q->limit + 1);
}

int ch_share_query_run(struct ch_store *s, const struct ch_share_query *q, bool with_body,
                       ch_share_row_fn fn, void *ctx, struct ch_share_page *ret, struct ch_err *err)
{
    if (q->limit == 0 || q->limit > CH_SHARE_MAX_LIMIT)
        return ch_err_set(err, CH_E_INVALID, "limit must be 1 to %u", CH_SHARE_MAX_LIMIT);
    if (q->n_ids > CH_SHARE_MAX_MATCH || q->n_types > CH_SHARE_MAX_MATCH ||
        q->n_version_ms > CH_SHARE_MAX_MATCH)
        return ch_err_set(err, CH_E_INVALID, "at most %u values per filter", CH_SHARE_MAX_MATCH);
    struct ch_share_page page = {.first_added_ms = -1, .last_added_ms = -1};
    if (q->no_spec_match) {
        *ret = page;
        return CH_OK;
    }
    struct ch_buf sql;
    ch_buf_init(&sql, QUERY_SQL_MAX);
    int rc = build_sql(q, with_body, &sql);
    if (rc != CH_OK) {
        rc = ch_buf_status(&sql, "query", err);
        ch_buf_release(&sql);
        return rc;
    }
    struct ch_stmt *st = NULL;
    /* cached: the SQL text varies only with the number of filter values */
    rc = ch_store_stmt(s, ch_buf_cstr(&sql), &st, err);
    ch_buf_release(&sql);
    if (rc != CH_OK)
        return rc;
    bind_query(st, q);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (page.n == q->limit) {
            page.more = true;
            break;
        }
        struct ch_share_row r = {
            .id = ch_stmt_int(st, 0),
            .stix_id = ch_stmt_cstr(st, 1),
            .type = ch_stmt_cstr(st, 2),
            .created_ms = ch_stmt_is_null(st, 3) ? -1 : ch_stmt_int(st, 3),
            .modified_ms = ch_stmt_is_null(st, 4) ? -1 : ch_stmt_int(st, 4),
            .version_ms = ch_stmt_int(st, 5),
            .added_ms = ch_stmt_int(st, 6),
        };
        if (with_body) {
            struct ch_str b = ch_stmt_text(st, 7);
            r.body = b.ptr;
            r.body_len = b.len;
        }
        rc = fn(ctx, &r, err);
        if (rc != CH_OK)
            break;
        if (page.n == 0)
            page.first_added_ms = r.added_ms;
        page.last_added_ms = r.added_ms;
        page.last_id = r.id;
        page.n++;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    *ret = page;
    return CH_OK;
}

int ch_share_collection_count(struct ch_store *s, const char *collection,
                              const struct ch_share_viewer *v, int64_t *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT COUNT(*) FROM share_objects WHERE collection = ?"
                           " AND (scope_org = 0 OR scope_org = ?) AND level <= ? AND latest = 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, collection);
    ch_stmt_bind_int(st, 2, v->org_id > 0 ? v->org_id : -1);
    ch_stmt_bind_int(st, 3, (int64_t)v->clearance);
    rc = ch_stmt_step(st, err);
    if (rc == 1)
        *ret = ch_stmt_int(st, 0);
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}
