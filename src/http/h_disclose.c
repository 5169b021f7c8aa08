/* SPDX-License-Identifier: Apache-2.0
 *
 * h_disclose.c: the CSAF provider feed and views of findings and cases
 * (see h_disclose.h).
 */
#include "http/h_disclose.h"

#include <stdio.h>
#include <string.h>

#include "disclose/case.h"
#include "disclose/finding.h"
#include "http/api.h"
#include "store/store.h"

/* Advisories per page of /api/v1/published. */
#define PUBLISHED_DEFAULT_LIMIT 100u
#define PUBLISHED_MAX_LIMIT 1000u
/* Longest file name of a CSAF document: a lowercased tracking id + ".json". */
#define CSAF_FILE_MAX 64

static const struct ch_disclose_publisher *publisher(const struct ch_http_call *call)
{
    static const struct ch_disclose_publisher defaults = {0};
    return call->app->publisher != NULL ? call->app->publisher : &defaults;
}

static void actor_of(struct ch_http_call *call, char *name, size_t size,
                     struct ch_disclose_actor *ret)
{
    ch_disclose_actor_from_principal(&call->principal, name, size, ret);
}

void ch_h_disclose_actor(const struct ch_http_call *call, struct ch_h_disclose_actor *ret)
{
    ch_disclose_actor_from_principal(&call->principal, ret->name, sizeof(ret->name), &ret->a);
}

int ch_h_csaf_provider_metadata(struct ch_http_call *call)
{
    int rc = ch_api_check_query(call, NULL);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_disclose_provider_metadata_json(call->store, publisher(call),
                                            ch_clock_now(&call->app->clock), &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

int ch_h_csaf_rolie_feed(struct ch_http_call *call)
{
    int rc = ch_api_check_query(call, NULL);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_disclose_rolie_feed_json(call->store, publisher(call), ch_clock_now(&call->app->clock),
                                     &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

static bool year_ok(const char *s)
{
    if (strlen(s) != 4)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* CSAF file names are lowercase letters, digits, '+', '-' and '_' with ".json" (CSAF §5.1). */
static bool file_ok(const char *s)
{
    size_t n = strlen(s);
    if (n <= 5 || n > CSAF_FILE_MAX || strcmp(s + n - 5, ".json") != 0)
        return false;
    for (size_t i = 0; i < n - 5; i++) {
        char c = s[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

int ch_h_csaf_document(struct ch_http_call *call)
{
    const char *year = NULL;
    const char *file = NULL;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param(call, 0, &year);
    if (rc == CH_OK)
        rc = ch_api_param(call, 1, &file);
    if (rc != CH_OK)
        return rc;
    if (!year_ok(year) || !file_ok(file))
        return ch_err_set(&call->err, CH_E_NOTFOUND, "no such CSAF document");
    char path[CH_DISCLOSE_PATH_MAX];
    int n = snprintf(path, sizeof(path), "white/%s/%s", year, file);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ch_err_set(&call->err, CH_E_NOTFOUND, "no such CSAF document");
    call->res.status = 200;
    return ch_disclose_csaf_get(call->store, path, &call->res.body, NULL, &call->err);
}

int ch_h_findings_list(struct ch_http_call *call)
{
    static const char *const params[] = {"state", NULL};
    const char *state = NULL;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_query(call, "state", &state);
    if (rc != CH_OK)
        return rc;
    char name[160];
    struct ch_disclose_actor a;
    actor_of(call, name, sizeof(name), &a);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    rc = ch_finding_list_json(call->store, &a, state, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_api_next_cursor(&w, 0);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_findings_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "finding", &id);
    if (rc != CH_OK)
        return rc;
    char name[160];
    struct ch_disclose_actor a;
    actor_of(call, name, sizeof(name), &a);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_finding_show_json(call->store, &a, id, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

int ch_h_cases_list(struct ch_http_call *call)
{
    static const char *const params[] = {"state", NULL};
    const char *state = NULL;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_query(call, "state", &state);
    if (rc != CH_OK)
        return rc;
    char name[160];
    struct ch_disclose_actor a;
    actor_of(call, name, sizeof(name), &a);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    rc = ch_case_list_json(call->store, &a, state, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_api_next_cursor(&w, 0);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_cases_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_check_query(call, NULL);
    if (rc == CH_OK)
        rc = ch_api_param_id(call, 0, "case", &id);
    if (rc != CH_OK)
        return rc;
    char name[160];
    struct ch_disclose_actor a;
    actor_of(call, name, sizeof(name), &a);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_case_show_json(call->store, &a, id, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

/* Keyset pages over published_advisories.id: the cursor is the last id seen. */
int ch_h_published_list(struct ch_http_call *call)
{
    static const char *const params[] = {"limit", "cursor", NULL};
    struct ch_api_page page;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, PUBLISHED_DEFAULT_LIMIT, PUBLISHED_MAX_LIMIT, &page);
    if (rc != CH_OK)
        return rc;
    struct ch_buf tmp;
    ch_buf_init(&tmp, CH_HTTP_MAX_RESPONSE);
    struct ch_jw tw;
    ch_jw_init(&tw, &tmp, 0);
    rc = ch_published_since_json(call->store, page.after, page.limit, &tw, &call->err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&tw, &call->err);
    cJSON *items = NULL;
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(&tmp), ch_buf_len(&tmp), NULL, "published", &items,
                           &call->err);
    ch_buf_release(&tmp);
    if (rc != CH_OK)
        return rc;
    int64_t last = 0;
    int count = cJSON_GetArraySize(items);
    const cJSON *tail = count > 0 ? cJSON_GetArrayItem(items, count - 1) : NULL;
    const cJSON *tid = tail != NULL ? cJSON_GetObjectItemCaseSensitive(tail, "id") : NULL;
    if ((unsigned)count >= page.limit && !ch_json_int_value(tid, &last))
        last = 0;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    ch_jw_cjson(&w, items);
    ch_api_next_cursor(&w, last);
    ch_jw_obj_close(&w);
    cJSON_Delete(items);
    return ch_jw_finish(&w, &call->err);
}
