/* SPDX-License-Identifier: Apache-2.0
 *
 * errmap.c: ch_rc → HTTP status and error body (see errmap.h). This is the
 * only place that makes that decision.
 */
#include "http/errmap.h"

#include "core/json.h"

static const struct {
    int rc;
    int status;
    const char *code;
    int public_message;
} table[] = {
    {CH_E_NOMEM, 503, "unavailable", 0},
    {CH_E_INVALID, 400, "invalid", 1},
    {CH_E_LIMIT, 413, "too_large", 1},
    {CH_E_NOTFOUND, 404, "not_found", 1},
    {CH_E_CONFLICT, 409, "conflict", 1},
    {CH_E_IO, 500, "internal", 0},
    {CH_E_DB, 500, "internal", 0},
    {CH_E_TIMEOUT, 504, "timeout", 1},
    {CH_E_INTERNAL, 500, "internal", 0},
    {CH_E_UNSUPPORTED, 415, "unsupported", 1},
    {CH_E_PERM, 403, "forbidden", 1},
    {CH_E_AUTH, 401, "unauthenticated", 1},
    {CH_E_BUSY, 503, "busy", 1},
    {CH_E_USAGE, 400, "invalid", 1},
    {CH_E_RATE, 429, "rate_limited", 1},
    {CH_E_UNAVAILABLE, 503, "unavailable", 0},
    {CH_HTTP_E_UNPROCESSABLE, 422, "unprocessable", 1},
};

static int find(int rc)
{
    for (int i = 0; i < (int)(sizeof(table) / sizeof(table[0])); i++) {
        if (table[i].rc == rc)
            return i;
    }
    return -1;
}

int ch_http_status_for(int rc)
{
    int i = find(rc);
    return i < 0 ? 500 : table[i].status;
}

const char *ch_http_code_for(int rc)
{
    int i = find(rc);
    return i < 0 ? "internal" : table[i].code;
}

int ch_http_message_is_public(int rc)
{
    int i = find(rc);
    return i >= 0 && table[i].public_message;
}

void ch_http_error_body(struct ch_buf *out, int rc, const char *message, const char *field)
{
    ch_buf_reset(out);
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "error");
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "code", ch_http_code_for(rc));
    if (!ch_http_message_is_public(rc) || message == NULL || message[0] == '\0')
        message = rc == CH_HTTP_E_UNPROCESSABLE ? "unprocessable" : ch_rc_str(rc);
    ch_jw_kstr(&w, "message", message);
    if (field != NULL && field[0] != '\0')
        ch_jw_kstr(&w, "field", field);
    ch_jw_obj_close(&w);
    ch_jw_obj_close(&w);
    (void)ch_buf_append_byte(out, '\n');
}
