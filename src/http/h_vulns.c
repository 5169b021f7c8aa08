/* SPDX-License-Identifier: Apache-2.0
 *
 * h_vulns.c: the knowledge base over HTTP. /api/v1/vulns searches and shows
 * merged vulnerabilities (vuln/query.h); /v1/vulns/{id} is OSV.dev's
 * endpoint: the stored OSV record, verbatim, for its id or any alias.
 * Advisories are public knowledge: the OSV endpoint needs no token, the
 * /api/v1 views any authenticated user.
 */
#include "http/handlers.h"

#include <string.h>
#include <stdio.h>

#include "http/api.h"
#include "store/store.h"
#include "vuln/query.h"

#define VULNS_DEFAULT_LIMIT 50u
#define VULNS_MAX_LIMIT 500u
/* The search's own rendering, before it is re-shaped with an opaque cursor. */
#define SEARCH_BUF_MAX ((size_t)64 << 20)

static int search_filter(struct ch_http_call *call, struct ch_vuln_filter *f)
{
    static const char *const params[] = {
        "ecosystem",         "name",  "alias",  "kev", "severity", "modified_since",
        "include_withdrawn", "limit", "cursor", NULL};
    struct ch_api_page page;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, VULNS_DEFAULT_LIMIT, VULNS_MAX_LIMIT, &page);
    if (rc == CH_OK)
        rc = ch_api_query(call, "ecosystem", &f->ecosystem);
    if (rc == CH_OK)
        rc = ch_api_query(call, "name", &f->name);
    if (rc == CH_OK)
        rc = ch_api_query(call, "alias", &f->alias);
    if (rc == CH_OK)
        rc = ch_api_query_bool(call, "kev", &f->kev_only);
    if (rc == CH_OK)
        rc = ch_api_query(call, "severity", &f->min_severity);
    if (rc == CH_OK)
        rc = ch_api_query_time(call, "modified_since", &f->modified_since);
    if (rc == CH_OK)
        rc = ch_api_query_bool(call, "include_withdrawn", &f->include_withdrawn);
    f->limit = page.limit;
    f->after_vuln_id = page.after;
    return rc;
}

int ch_h_vulns_search(struct ch_http_call *call)
{
    struct ch_vuln_filter f = {.modified_since = -1};
    int rc = search_filter(call, &f);
    if (rc != CH_OK)
        return rc;
    struct ch_buf tmp;
    ch_buf_init(&tmp, SEARCH_BUF_MAX);
    struct ch_jw tw;
    ch_jw_init(&tw, &tmp, 0);
    rc = ch_vuln_search_json(call->store, &f, &tw, &call->err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&tw, &call->err);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(&tmp), ch_buf_len(&tmp), NULL, "search results", &doc,
                           &call->err);
    ch_buf_release(&tmp);
    if (rc != CH_OK)
        return rc;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(doc, "next_cursor");
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    ch_jw_cjson(&w, cJSON_GetObjectItemCaseSensitive(doc, "results"));
    int64_t cursor;
    ch_api_next_cursor(&w, ch_json_int_value(next, &cursor) ? cursor : 0);
    ch_jw_obj_close(&w);
    cJSON_Delete(doc);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_vulns_get(struct ch_http_call *call)
{
    const char *id = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param(call, 0, &id);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_vuln_show_json(call->store, id, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

/*
 * The OSV record for `id`: its own record when one has that id, else the
 * first OSV record (by id) of the vulnerability the alias belongs to.
 */
int ch_h_osv_vuln(struct ch_http_call *call)
{
    const char *id = NULL;
    int rc = ch_api_param(call, 0, &id);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(call->store,
                       /* two index lookups: an OR across the columns scanned every
                          OSV advisory (26 ms a request with 2,600 records) */
                       "SELECT record, 0, source_id FROM advisories WHERE source = 'osv'"
                       " AND source_id = ? UNION ALL SELECT record, 1, source_id FROM advisories"
                       " WHERE source = 'osv' AND vuln_id = (SELECT vuln_id FROM vuln_keys"
                       " WHERE key = ?) ORDER BY 2, 3 LIMIT 1",
                       &st, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, id);
    ch_stmt_bind_cstr(st, 2, id);
    rc = ch_stmt_step(st, &call->err);
    if (rc == 1) {
        struct ch_str rec = ch_stmt_text(st, 0);
        call->res.status = 200;
        ch_buf_reset(&call->res.body);
        (void)ch_buf_append(&call->res.body, rec.ptr, rec.len); /* checked by the server */
        rc = CH_OK;
    } else if (rc == 0) {
        rc = ch_err_set(&call->err, CH_E_NOTFOUND, "Bug not found");
    }
    ch_stmt_reset(st);
    return rc;
}
