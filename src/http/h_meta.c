/* SPDX-License-Identifier: Apache-2.0
 *
 * h_meta.c: the API describing itself and the server: the OpenAPI document
 * (embedded at build time from src/http/openapi.json), Prometheus metrics
 * and "who am I".
 */
#include "http/handlers.h"

#include "http/metrics.h"
#include "http/openapi.h"

int ch_h_openapi(struct ch_http_call *call)
{
    call->res.status = 200;
    ch_buf_reset(&call->res.body);
    (void)ch_buf_append(&call->res.body, ch_openapi_json, ch_openapi_json_len); /* checked later */
    return CH_OK;
}

int ch_h_metrics(struct ch_http_call *call)
{
    call->res.status = 200;
    call->res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    ch_buf_reset(&call->res.body);
    return ch_metrics_render(&call->res.body, &call->err);
}

int ch_h_me(struct ch_http_call *call)
{
    const struct ch_principal *p = &call->principal;
    char roles[128];
    ch_roles_format(p->roles, roles, sizeof(roles));
    struct ch_jw w;
    ch_jw_init(&w, &call->res.body, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "user", p->user_name);
    ch_jw_kint(&w, "user_id", p->user_id);
    ch_jw_kstr(&w, "org", p->org_slug);
    ch_jw_kstr(&w, "org_category", ch_org_category_name(p->org_category));
    ch_jw_key(&w, "roles");
    ch_jw_arr_open(&w);
    struct ch_str rest = ch_str_c(roles), tok;
    while (ch_str_split_next(&rest, ',', &tok)) {
        if (tok.len > 0)
            ch_jw_str(&w, tok.ptr, tok.len);
    }
    ch_jw_arr_close(&w);
    ch_jw_kstr(&w, "clearance", ch_clearance_name(p->clearance));
    ch_jw_kint(&w, "token_id", p->token_id);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}
