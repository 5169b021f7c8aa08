/* SPDX-License-Identifier: Apache-2.0
 *
 * h_health.c: liveness and readiness.
 *
 * /healthz answers from memory on the event loop (it is what load balancers
 * poll thousands of times a second); /readyz goes through a worker and asks
 * the database, so it fails when the database does.
 */
#include "http/handlers.h"

#include "core/json.h"
#include "store/store.h"

static void common(struct ch_http_call *call, struct ch_jw *w, const char *status)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "status", status);
    ch_jw_kstr(w, "version", call->app->version);
    ch_jw_kint(w, "schema_version", call->app->schema_version);
}

int ch_h_healthz(struct ch_http_call *call)
{
    struct ch_jw w;
    ch_jw_init(&w, &call->res.body, 0);
    common(call, &w, "ok");
    ch_jw_kint(&w, "uptime_seconds", ch_clock_now(&call->app->clock) - call->app->started_at);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_readyz(struct ch_http_call *call)
{
    int64_t version = 0;
    int rc = ch_store_schema_version(call->store, &version, &call->err);
    if (rc != CH_OK)
        return ch_err_set(&call->err, CH_E_UNAVAILABLE, "database unavailable");
    struct ch_jw w;
    ch_jw_init(&w, &call->res.body, 0);
    common(call, &w, "ready");
    ch_jw_kstr(&w, "database", ch_store_backend_name(call->store));
    ch_jw_kint(&w, "database_schema_version", version);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}
