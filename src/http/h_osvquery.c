/* SPDX-License-Identifier: Apache-2.0
 *
 * h_osvquery.c: POST /v1/query and POST /v1/querybatch with the request and
 * response shapes of OSV.dev's API (https://google.github.io/osv.dev/api/),
 * so existing OSV clients can point at a clearinghouse. Answers come from
 * the server's matching index (built at start, read-only, shared by the
 * workers) and the stored OSV records.
 *
 * A query names a package by ecosystem and name, or by purl (whose version,
 * if any, is the query's version), plus a version. Commit queries are not
 * supported (400). /v1/query returns whole OSV records; /v1/querybatch
 * returns ids and modification times per query, as OSV.dev does.
 */
#include "http/handlers.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"
#include "match/index.h"
#include "purl/ecosystem.h"
#include "purl/purl.h"
#include "store/store.h"

/* OSV.dev accepts up to 1000 queries per batch. */
#define OSV_MAX_BATCH CH_H_OSV_MAX_BATCH

struct q {
    const char *ecosystem;
    const char *name;
    const char *version;
};

static int bad(struct ch_http_call *call, const char *field, const char *msg)
{
    return ch_err_setf(&call->err, CH_E_INVALID, field, "%s", msg);
}

/* Reads one query object into q (strings borrowed from j or the call's arena). */
static int read_query(struct ch_http_call *call, const cJSON *j, const char *path, struct q *ret)
{
    struct q q = {0};
    if (!cJSON_IsObject(j))
        return bad(call, path, "a query is a JSON object");
    if (cJSON_GetObjectItemCaseSensitive(j, "commit") != NULL)
        return ch_err_setf(&call->err, CH_E_INVALID, "commit",
                           "commit queries are not supported; query by package and version");
    q.version = ch_json_str(j, "version");
    const cJSON *pkg = ch_json_obj(j, "package");
    if (pkg == NULL)
        return bad(call, "package", "a query needs a package");
    const char *purl = ch_json_str(pkg, "purl");
    if (purl != NULL) {
        struct ch_purl p;
        struct ch_osv_package op;
        struct ch_err perr = CH_ERR_INIT;
        if (ch_purl_parse(ch_str_c(purl), 0, call->arena, &p, &perr) != CH_OK ||
            ch_purl_to_osv(&p, call->arena, &op, &perr) != CH_OK)
            return ch_err_setf(&call->err, CH_E_INVALID, "package.purl", "%s", perr.msg);
        q.ecosystem = op.release != NULL ? ch_osv_ecosystem_string(&op, call->arena) : op.ecosystem;
        q.name = op.name;
        if (op.version != NULL) {
            if (q.version != NULL)
                return bad(call, "version", "give the version in the purl or in version, not both");
            q.version = op.version;
        }
    } else {
        q.ecosystem = ch_json_str(pkg, "ecosystem");
        q.name = ch_json_str(pkg, "name");
    }
    if (q.ecosystem == NULL || q.name == NULL)
        return bad(call, "package", "a package needs ecosystem and name, or purl");
    if (q.version == NULL)
        return bad(call, "version", "a query needs a version");
    *ret = q;
    return CH_OK;
}

/* Matches q; hits into the arena. */
static int run_query(struct ch_http_call *call, const struct q *q, struct ch_match_hit **hits,
                     size_t *n)
{
    if (call->app->match == NULL)
        return ch_err_set(&call->err, CH_E_UNAVAILABLE, "the matching index is not loaded");
    /* "Debian:12" → ecosystem Debian, release 12, as inventories name them */
    char eco[64];
    snprintf(eco, sizeof(eco), "%s", q->ecosystem);
    char *colon = strchr(eco, ':');
    const char *release = NULL;
    if (colon != NULL) {
        *colon = '\0';
        release = colon + 1;
    }
    struct ch_match_component c = {.ecosystem = eco, .release = release, .name = q->name,
                                   .version = q->version, .source_name = q->name,
                                   .source_version = q->version};
    return ch_match_component(call->app->match, &c, call->arena, hits, n, NULL, &call->err);
}

int ch_h_osv_query(struct ch_http_call *call)
{
    static const char *const allowed[] = {"version", "package", "commit", "page_token", NULL};
    cJSON *body = NULL;
    int rc = ch_api_json_body(call, allowed, &body);
    if (rc != CH_OK)
        return rc;
    struct q q;
    struct ch_match_hit *hits = NULL;
    size_t n = 0;
    rc = read_query(call, body, "", &q);
    if (rc == CH_OK)
        rc = run_query(call, &q, &hits, &n);
    if (rc == CH_OK) {
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(call->store, "SELECT record FROM advisories WHERE id = ?", &st,
                           &call->err);
        struct ch_buf *out = &call->res.body;
        (void)ch_buf_append_c(out, "{\"vulns\":[");
        for (size_t i = 0; rc == CH_OK && i < n; i++) {
            ch_stmt_reset(st);
            ch_stmt_bind_int(st, 1, hits[i].advisory_id);
            int s = ch_stmt_step(st, &call->err);
            if (s < 0) {
                rc = s;
                break;
            }
            if (s == 1) {
                if (i > 0)
                    (void)ch_buf_append_byte(out, ',');
                (void)ch_buf_append_str(out, ch_stmt_text(st, 0)); /* stored records are JSON */
            }
        }
        if (st != NULL)
            ch_stmt_reset(st);
        (void)ch_buf_append_c(out, "]}");
    }
    cJSON_Delete(body);
    return rc;
}

int ch_h_osv_querybatch(struct ch_http_call *call)
{
    static const char *const allowed[] = {"queries", NULL};
    cJSON *body = NULL;
    int rc = ch_api_json_body(call, allowed, &body);
    if (rc != CH_OK)
        return rc;
    const cJSON *queries = ch_json_arr(body, "queries");
    if (queries == NULL) {
        cJSON_Delete(body);
        return bad(call, "queries", "expected {\"queries\": [...]}");
    }
    if (cJSON_GetArraySize(queries) > OSV_MAX_BATCH) {
        cJSON_Delete(body);
        return ch_err_setf(&call->err, CH_E_LIMIT, "queries", "at most %d queries per batch",
                           OSV_MAX_BATCH);
    }
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(call->store, "SELECT source_id, modified FROM advisories WHERE id = ?", &st,
                       &call->err);
    struct ch_jw w;
    ch_jw_init(&w, &call->res.body, 0);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "results");
    ch_jw_arr_open(&w);
    size_t qi = 0;
    for (const cJSON *qj = queries->child; rc == CH_OK && qj != NULL; qj = qj->next, qi++) {
        char path[32];
        snprintf(path, sizeof(path), "queries[%zu]", qi);
        struct q q;
        struct ch_match_hit *hits = NULL;
        size_t n = 0;
        rc = read_query(call, qj, path, &q);
        if (rc == CH_OK)
            rc = run_query(call, &q, &hits, &n);
        if (rc != CH_OK)
            break;
        ch_jw_obj_open(&w);
        if (n > 0) {
            ch_jw_key(&w, "vulns");
            ch_jw_arr_open(&w);
            for (size_t i = 0; rc == CH_OK && i < n; i++) {
                ch_stmt_reset(st);
                ch_stmt_bind_int(st, 1, hits[i].advisory_id);
                int s = ch_stmt_step(st, &call->err);
                if (s < 0) {
                    rc = s;
                    break;
                }
                if (s == 1) {
                    ch_jw_obj_open(&w);
                    ch_jw_kstr(&w, "id", ch_stmt_cstr(st, 0));
                    ch_jw_ktime(&w, "modified", ch_stmt_int(st, 1));
                    ch_jw_obj_close(&w);
                }
            }
            ch_jw_arr_close(&w);
        }
        ch_jw_obj_close(&w);
    }
    if (st != NULL)
        ch_stmt_reset(st);
    ch_jw_arr_close(&w);
    ch_jw_obj_close(&w);
    cJSON_Delete(body);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}
