/* SPDX-License-Identifier: Apache-2.0
 *
 * h_audit.c: /api/v1/audit. Checkpoints are public: anyone holding the
 * server's public key can check that the log they are shown was signed.
 * The log itself is for admins and analysts; verifying the whole chain
 * (expensive) is for admins.
 */
#include "http/handlers.h"

#include <sodium.h>
#include <stdio.h>

#include "audit/audit.h"
#include "http/api.h"
#include "store/store.h"

#define AUDIT_DEFAULT_LIMIT 100u
#define AUDIT_MAX_LIMIT 1000u
#define CHECKPOINTS_DEFAULT_LIMIT 100u
#define CHECKPOINTS_MAX_LIMIT 1000u

static void write_server_key(struct ch_http_call *call, struct ch_jw *w)
{
    ch_jw_key(w, "server_key");
    if (!call->app->have_keys) {
        ch_jw_null(w);
        return;
    }
    char pk[CH_KEYS_SIGN_PK_BYTES * 2 + 1];
    sodium_bin2hex(pk, sizeof(pk), call->app->keys.sign_pk, sizeof(call->app->keys.sign_pk));
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "key_id", call->app->keys.key_id);
    ch_jw_kstr(w, "public_key", pk);
    ch_jw_obj_close(w);
}

int ch_h_audit_checkpoints(struct ch_http_call *call)
{
    static const char *const params[] = {"limit", "cursor", NULL};
    struct ch_api_page page;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, CHECKPOINTS_DEFAULT_LIMIT, CHECKPOINTS_MAX_LIMIT, &page);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(call->store,
                       "SELECT seq, hash, at, key_id, public_key, signature FROM audit_checkpoints"
                       " WHERE seq > ? ORDER BY seq LIMIT ?",
                       &st, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, page.after);
    ch_stmt_bind_int(st, 2, (int64_t)page.limit + 1);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "message_format", "ch-audit-checkpoint-v1\\n<seq>\\n<hash>\\n<at_unix>\\n");
    write_server_key(call, &w);
    ch_jw_key(&w, "items");
    ch_jw_arr_open(&w);
    unsigned n = 0;
    int64_t last = 0, next = 0;
    while ((rc = ch_stmt_step(st, &call->err)) == 1) {
        if (n == page.limit) {
            next = last;
            break;
        }
        ch_jw_obj_open(&w);
        ch_jw_kint(&w, "seq", ch_stmt_int(st, 0));
        ch_jw_kstr(&w, "hash", ch_stmt_cstr(st, 1));
        ch_jw_ktime(&w, "at", ch_stmt_int(st, 2));
        ch_jw_kint(&w, "at_unix", ch_stmt_int(st, 2));
        ch_jw_kstr(&w, "key_id", ch_stmt_cstr(st, 3));
        ch_jw_kstr(&w, "public_key", ch_stmt_cstr(st, 4));
        ch_jw_kstr(&w, "signature", ch_stmt_cstr(st, 5));
        ch_jw_obj_close(&w);
        last = ch_stmt_int(st, 0);
        n++;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    ch_jw_arr_close(&w);
    ch_api_next_cursor(&w, next);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

/* Newest first; the cursor is the sequence number below which to continue. */
int ch_h_audit_log(struct ch_http_call *call)
{
    static const char *const params[] = {"limit", "cursor", "actor", "action", NULL};
    struct ch_api_page page;
    const char *actor = NULL, *action = NULL;
    int rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, &page);
    if (rc == CH_OK)
        rc = ch_api_query(call, "actor", &actor);
    if (rc == CH_OK)
        rc = ch_api_query(call, "action", &action);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(call->store,
                       "SELECT seq, at, actor, action, object, details, prev_hash, hash"
                       " FROM audit_log WHERE (? = 0 OR seq < ?)"
                       " AND (CAST(? AS TEXT) IS NULL OR actor = ?)"
                       " AND (CAST(? AS TEXT) IS NULL OR action = ?) ORDER BY seq DESC LIMIT ?",
                       &st, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, page.after);
    ch_stmt_bind_int(st, 2, page.after);
    ch_stmt_bind_cstr(st, 3, actor);
    ch_stmt_bind_cstr(st, 4, actor);
    ch_stmt_bind_cstr(st, 5, action);
    ch_stmt_bind_cstr(st, 6, action);
    ch_stmt_bind_int(st, 7, (int64_t)page.limit + 1);
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    ch_jw_arr_open(&w);
    unsigned n = 0;
    int64_t last = 0, next = 0;
    while ((rc = ch_stmt_step(st, &call->err)) == 1) {
        if (n == page.limit) {
            next = last;
            break;
        }
        ch_jw_obj_open(&w);
        ch_jw_kint(&w, "seq", ch_stmt_int(st, 0));
        ch_jw_ktime(&w, "at", ch_stmt_int(st, 1));
        ch_jw_kstr(&w, "actor", ch_stmt_cstr(st, 2));
        ch_jw_kstr(&w, "action", ch_stmt_cstr(st, 3));
        ch_jw_kstr(&w, "object", ch_stmt_cstr(st, 4));
        ch_jw_kstr(&w, "details", ch_stmt_cstr(st, 5));
        ch_jw_kstr(&w, "prev_hash", ch_stmt_cstr(st, 6));
        ch_jw_kstr(&w, "hash", ch_stmt_cstr(st, 7));
        ch_jw_obj_close(&w);
        last = ch_stmt_int(st, 0);
        n++;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    ch_jw_arr_close(&w);
    ch_api_next_cursor(&w, next);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_audit_verify(struct ch_http_call *call)
{
    int rc = ch_api_check_query(call, NULL);
    if (rc != CH_OK)
        return rc;
    if (call->req.body.len > 0) {
        cJSON *body = NULL;
        static const char *const none[] = {NULL};
        rc = ch_api_json_body(call, none, &body);
        cJSON_Delete(body);
        if (rc != CH_OK)
            return rc;
    }
    struct ch_audit_report r;
    const unsigned char *pk = call->app->have_keys ? call->app->keys.sign_pk : NULL;
    rc = ch_audit_verify(call->store, pk, &r, &call->err);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_kbool(&w, "ok", r.ok != 0);
    ch_jw_kint(&w, "entries", r.entries);
    ch_jw_kint(&w, "checkpoints", r.checkpoints);
    ch_jw_key(&w, "first_bad_seq");
    if (r.ok)
        ch_jw_null(&w);
    else
        ch_jw_int(&w, r.first_bad_seq);
    ch_jw_kstr(&w, "problem", r.ok ? NULL : r.problem);
    ch_jw_kbool(&w, "checked_with_server_key", pk != NULL);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}
