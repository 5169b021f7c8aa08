/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox.c: queueing webhook events (see outbox.h).
 *
 * A delivery's body is written once, here, and sent unchanged on every
 * attempt: {"id": <delivery uuid>, "type", "created", "data"}. The uuid is
 * random (version 4) because the X-Clearinghouse-Delivery header that
 * receivers deduplicate on must differ between endpoints and events, and
 * must not let a receiver guess another organisation's deliveries.
 */
#include "outbox/outbox.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/str.h"

/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */
#define UUID_STR 37
/* A formatted time with ".000" inserted before its "Z". */
#define CREATED_MAX (CH_TIME_STR_MAX + 8)

static const char *const event_names[CH_WEBHOOK_EVENT_COUNT] = {
    "notice", "kev_addition", "case_state", "lease_conflict", "ping"};

const char *ch_outbox_event_name(enum ch_webhook_event e)
{
    for (size_t i = 0; i < CH_WEBHOOK_EVENT_COUNT; i++) {
        if ((unsigned)e == 1u << i)
            return event_names[i];
    }
    return NULL;
}

static void uuid4(char out[UUID_STR])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char u[16];
    randombytes_buf(u, sizeof(u));
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    size_t o = 0;
    for (size_t i = 0; i < sizeof(u); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 15];
    }
    out[o] = '\0';
}

/*
 * "2026-06-10T00:00:00.000Z": the STIX timestamp form the bodies have always
 * carried, so receivers see one format whichever producer queued the event.
 */
static const char *created_text(int64_t at, char out[CREATED_MAX])
{
    char t[CH_TIME_STR_MAX];
    size_t n = strlen(ch_time_format(at, t));
    if (n > 0 && t[n - 1] == 'Z')
        t[n - 1] = '\0';
    snprintf(out, CREATED_MAX, "%s.000Z", t);
    return out;
}

/* Whether the space-separated subscription list `text` names `name`. */
static bool events_has(const char *text, const char *name)
{
    struct ch_str rest = ch_str_c(text), item;
    while (ch_str_split_next(&rest, ' ', &item)) {
        if (ch_str_eq_c(item, name))
            return true;
    }
    return false;
}

static int insert_delivery(struct ch_store *s, int64_t webhook_id, const char *event,
                           const char *key, const char *data_json, int64_t at, int64_t now,
                           struct ch_buf *body, size_t *queued, struct ch_err *err)
{
    char uuid[UUID_STR], t[CREATED_MAX];
    uuid4(uuid);
    ch_buf_reset(body);
    struct ch_jw w;
    ch_jw_init(&w, body, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "id", uuid);
    ch_jw_kstr(&w, "type", event);
    ch_jw_kstr(&w, "created", created_text(at, t));
    ch_jw_key(&w, "data");
    ch_jw_raw(&w, data_json, strlen(data_json));
    ch_jw_obj_close(&w);
    int rc = ch_jw_finish(&w, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO webhook_deliveries (webhook_id, delivery_id, event, event_key,"
                       " body, state, attempts, next_attempt_at, created_at)"
                       " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
                       " ON CONFLICT (webhook_id, event_key) DO NOTHING",
                       &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, webhook_id);
    ch_stmt_bind_cstr(st, 2, uuid);
    ch_stmt_bind_cstr(st, 3, event);
    ch_stmt_bind_cstr(st, 4, key);
    ch_stmt_bind_text(st, 5, ch_buf_cstr(body), ch_buf_len(body));
    ch_stmt_bind_int(st, 6, now);
    ch_stmt_bind_int(st, 7, now);
    rc = ch_stmt_run(st, err);
    if (rc == CH_OK && ch_store_changes(s) > 0)
        (*queued)++;
    return rc;
}

/* The ids of the endpoints that may receive an event at `at`. */
static int subscribers(struct ch_store *s, int64_t org_id, const char *event, int64_t at,
                       int64_t **ret_ids, size_t *ret_n, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, events FROM webhooks WHERE removed_at IS NULL"
                           " AND created_at <= ? AND (? = 0 OR org_id = ?) ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, at);
    ch_stmt_bind_int(st, 2, org_id);
    ch_stmt_bind_int(st, 3, org_id);
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (!events_has(ch_stmt_cstr(st, 1), event))
            continue;
        if (n == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            int64_t *v = ch_reallocarray(ids, cap, sizeof(*v));
            if (v == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                break;
            }
            ids = v;
        }
        ids[n++] = ch_stmt_int(st, 0);
    }
    ch_stmt_reset(st);
    if (rc < 0) {
        ch_free(ids);
        return rc;
    }
    *ret_ids = ids;
    *ret_n = n;
    return CH_OK;
}

static int check_event(enum ch_webhook_event e, const char *key, const char **ret_name,
                       struct ch_err *err)
{
    const char *event = ch_outbox_event_name(e);
    if (event == NULL || key == NULL || key[0] == '\0')
        return ch_err_set(err, CH_E_INVALID, "an event needs a type and a key");
    if (strlen(key) > CH_OUTBOX_KEY_MAX)
        return ch_err_set(err, CH_E_LIMIT, "event key longer than %d bytes", CH_OUTBOX_KEY_MAX);
    *ret_name = event;
    return CH_OK;
}

int ch_outbox_emit(struct ch_store *s, int64_t org_id, enum ch_webhook_event e, const char *key,
                   const char *data_json, int64_t at, int64_t now, size_t *ret_queued,
                   struct ch_err *err)
{
    const char *event = NULL;
    int rc = check_event(e, key, &event, err);
    if (rc != CH_OK)
        return rc;
    int64_t *ids = NULL;
    size_t n = 0, queued = 0;
    rc = subscribers(s, org_id, event, at, &ids, &n, err);
    struct ch_buf body;
    ch_buf_init(&body, CH_WEBHOOK_BODY_MAX);
    for (size_t i = 0; rc == CH_OK && i < n; i++)
        rc = insert_delivery(s, ids[i], event, key, data_json != NULL ? data_json : "{}", at, now,
                             &body, &queued, err);
    ch_buf_release(&body);
    ch_free(ids);
    if (rc == CH_OK && ret_queued != NULL)
        *ret_queued += queued;
    return rc;
}

int ch_outbox_queue(struct ch_store *s, int64_t webhook_id, enum ch_webhook_event e,
                    const char *key, const char *data_json, int64_t at, int64_t now,
                    size_t *ret_queued, struct ch_err *err)
{
    const char *event = NULL;
    int rc = check_event(e, key, &event, err);
    if (rc != CH_OK)
        return rc;
    size_t queued = 0;
    struct ch_buf body;
    ch_buf_init(&body, CH_WEBHOOK_BODY_MAX);
    rc = insert_delivery(s, webhook_id, event, key, data_json != NULL ? data_json : "{}", at, now,
                         &body, &queued, err);
    ch_buf_release(&body);
    if (rc == CH_OK && ret_queued != NULL)
        *ret_queued += queued;
    return rc;
}
