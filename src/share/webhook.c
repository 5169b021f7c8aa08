/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook.c: endpoints, the delivery queue, signing and the libcurl sender
 * (see webhook.h).
 *
 * Claiming is a conditional UPDATE per row (state and due time re-checked in
 * its WHERE), counted with ch_store_changes(): on PostgreSQL two processes
 * that pick the same row both try, and only one changes it, so a delivery is
 * never sent by two processes at once. Outcomes are recorded under the same
 * fence (lease_owner), so a process whose lease ran out cannot overwrite the
 * outcome of the process that took the delivery over.
 */
#include "share/webhook.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/num.h"
#include "share/stix.h"

/* secretbox nonce + MAC + the secret text */
#define BOX_MAX (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + CH_WEBHOOK_SECRET_MAX)
/* Watermarks of the event collectors are held back like the TAXII sources'. */
#define COLLECT_SLACK_S 300
/* Length of a lease owner name. */
#define OWNER_MAX 128

const char *ch_webhook_event_name(enum ch_webhook_event e)
{
    return ch_outbox_event_name(e);
}

int ch_webhook_events_parse(const char *csv, unsigned *ret, struct ch_err *err)
{
    struct ch_str rest = ch_str_c(csv != NULL ? csv : ""), item;
    unsigned bits = 0;
    while (ch_str_split_next(&rest, ',', &item)) {
        item = ch_str_trim(item);
        if (ch_str_eq_c(item, "all")) {
            bits |= CH_WEBHOOK_EVENTS_ALL;
            continue;
        }
        unsigned found = 0;
        for (size_t i = 0; i + 1 < CH_WEBHOOK_EVENT_COUNT; i++) {
            if (ch_str_eq_c(item, ch_outbox_event_name((enum ch_webhook_event)(1u << i))))
                found = 1u << i;
        }
        if (found == 0)
            return ch_err_set(err, CH_E_INVALID,
                              "unknown event '%.*s' (notice, kev_addition, case_state, "
                              "lease_conflict, all)",
                              CH_STR_FMT(ch_str_sub(item, 0, item.len > 64 ? 64 : item.len)));
        bits |= found;
    }
    if (bits == 0)
        return ch_err_set(err, CH_E_INVALID, "name at least one event");
    *ret = bits;
    return CH_OK;
}

/* "notice kev_addition" */
static void events_text(unsigned bits, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < CH_WEBHOOK_EVENT_COUNT; i++) {
        if (!(bits & (1u << i)))
            continue;
        int k = snprintf(out + n, size - n, "%s%s", n > 0 ? " " : "",
                         ch_outbox_event_name((enum ch_webhook_event)(1u << i)));
        if (k < 0 || (size_t)k >= size - n)
            break;
        n += (size_t)k;
    }
}

int ch_webhook_url_check(const char *url, struct ch_err *err)
{
    struct ch_str u = ch_str_c(url != NULL ? url : "");
    if (u.len == 0 || u.len > CH_WEBHOOK_URL_MAX)
        return ch_err_set(err, CH_E_INVALID, "URL must be 1 to %d bytes", CH_WEBHOOK_URL_MAX);
    for (size_t i = 0; i < u.len; i++) {
        unsigned char c = (unsigned char)u.ptr[i];
        if (c <= 0x20 || c >= 0x7f)
            return ch_err_set(err, CH_E_INVALID, "URL contains a space or a non-ASCII byte");
    }
    bool https = ch_str_starts_with(u, "https://");
    if (!https && !ch_str_starts_with(u, "http://"))
        return ch_err_set(err, CH_E_INVALID, "URL must start with https://");
    struct ch_str rest = ch_str_sub(u, https ? 8 : 7, u.len - (https ? 8 : 7));
    size_t end = 0;
    while (end < rest.len && rest.ptr[end] != '/' && rest.ptr[end] != '?' && rest.ptr[end] != '#')
        end++;
    struct ch_str authority = ch_str_sub(rest, 0, end);
    if (authority.len == 0 || ch_str_find_char(authority, '@') >= 0)
        return ch_err_set(err, CH_E_INVALID, "URL needs a host and no user information");
    if (https)
        return CH_OK;
    bool loopback = ch_str_starts_with(authority, "127.") ||
                    ch_str_starts_with(authority, "[::1]") || ch_str_eq_c(authority, "localhost") ||
                    ch_str_starts_with(authority, "localhost:");
    if (!loopback)
        return ch_err_set(err, CH_E_INVALID, "plain http is allowed only to a loopback address");
    return CH_OK;
}

static int audit(struct ch_store *s, const char *actor, const char *action, int64_t id,
                 const char *details, int64_t now, struct ch_err *err)
{
    char object[48];
    snprintf(object, sizeof(object), "webhook:%lld", (long long)id);
    struct ch_audit_entry e = {.actor = actor != NULL ? actor : "system",
                               .action = action,
                               .object = object,
                               .details = details};
    int64_t seq = 0;
    return ch_audit_append(s, &e, now, &seq, err);
}

int ch_webhook_add(struct ch_store *s, const struct ch_keys *keys, const struct ch_webhook_new *w,
                   int64_t now, int64_t *ret_id, char ret_secret[CH_WEBHOOK_SECRET_MAX],
                   struct ch_err *err)
{
    if (keys == NULL)
        return ch_err_set(err, CH_E_UNAVAILABLE, "webhooks need the server's keys (init)");
    int rc = ch_webhook_url_check(w->url, err);
    if (rc != CH_OK)
        return rc;
    if ((w->events & CH_WEBHOOK_EVENTS_ALL) == 0)
        return ch_err_set(err, CH_E_INVALID, "name at least one event");
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    char secret[CH_WEBHOOK_SECRET_MAX];
    memcpy(secret, "whsec_", 6);
    sodium_bin2base64(secret + 6, sizeof(secret) - 6, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    size_t slen = strlen(secret);
    unsigned char box[BOX_MAX];
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)secret, slen,
                          box, keys->secret);
    size_t box_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + slen;
    char events[128];
    events_text(w->events & CH_WEBHOOK_EVENTS_ALL, events, sizeof(events));
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO webhooks (org_id, url, events, secret_box, state,"
                       " consecutive_failures, created_at, created_by, updated_at)"
                       " VALUES (?, ?, ?, ?, 'active', 0, ?, ?, ?) RETURNING id",
                       &st, err);
    int64_t id = 0;
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, w->org_id);
        ch_stmt_bind_cstr(st, 2, w->url);
        ch_stmt_bind_cstr(st, 3, events);
        ch_stmt_bind_blob(st, 4, box, box_len);
        ch_stmt_bind_int(st, 5, now);
        ch_stmt_bind_cstr(st, 6, w->actor != NULL ? w->actor : "system");
        ch_stmt_bind_int(st, 7, now);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_DB, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK) {
        char details[256];
        snprintf(details, sizeof(details), "{\"org_id\":%lld,\"events\":\"%s\"}",
                 (long long)w->org_id, events);
        rc = audit(s, w->actor, "webhook.add", id, details, now, err);
    }
    if (rc != CH_OK) {
        ch_store_rollback(s);
        sodium_memzero(secret, sizeof(secret));
        return rc == CH_E_CONFLICT ? ch_err_prefix(err, "organisation %lld", (long long)w->org_id)
                                   : rc;
    }
    rc = ch_store_commit(s, err);
    if (rc == CH_OK) {
        memcpy(ret_secret, secret, slen + 1);
        *ret_id = id;
    }
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

/* Checks that endpoint id exists, is not removed and is in org_scope (0: any). */
static int endpoint_visible(struct ch_store *s, int64_t id, int64_t org_scope, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT org_id FROM webhooks WHERE id = ? AND removed_at IS NULL",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    bool ok = rc == 1 && (org_scope == 0 || ch_stmt_int(st, 0) == org_scope);
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    return ok ? CH_OK : ch_err_set(err, CH_E_NOTFOUND, "no webhook %lld", (long long)id);
}

int ch_webhook_set_paused(struct ch_store *s, int64_t id, int64_t org_scope, bool paused,
                          const char *reason, const char *actor, int64_t now, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    rc = endpoint_visible(s, id, org_scope, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE webhooks SET state = ?, paused_reason = ?,"
                           " consecutive_failures = CASE WHEN ? = 1 THEN consecutive_failures"
                           " ELSE 0 END, updated_at = ? WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, paused ? "paused" : "active");
        ch_stmt_bind_cstr(st, 2,
                          paused ? (reason != NULL ? reason : "paused by an operator") : NULL);
        ch_stmt_bind_int(st, 3, paused ? 1 : 0);
        ch_stmt_bind_int(st, 4, now);
        ch_stmt_bind_int(st, 5, id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK && !paused) {
        rc = ch_store_stmt(s,
                           "UPDATE webhook_deliveries SET next_attempt_at = ?"
                           " WHERE webhook_id = ? AND state = 'pending' AND next_attempt_at > ?",
                           &st, err);
        if (rc == CH_OK) {
            ch_stmt_bind_int(st, 1, now);
            ch_stmt_bind_int(st, 2, id);
            ch_stmt_bind_int(st, 3, now);
            rc = ch_stmt_run(st, err);
        }
    }
    if (rc == CH_OK)
        rc = audit(s, actor, paused ? "webhook.pause" : "webhook.resume", id, NULL, now, err);
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    return ch_store_commit(s, err);
}

int ch_webhook_remove(struct ch_store *s, int64_t id, int64_t org_scope, const char *actor,
                      int64_t now, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    rc = endpoint_visible(s, id, org_scope, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE webhooks SET removed_at = ?, updated_at = ?, state = 'paused',"
                           " paused_reason = 'removed' WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, now);
        ch_stmt_bind_int(st, 2, now);
        ch_stmt_bind_int(st, 3, id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = audit(s, actor, "webhook.remove", id, NULL, now, err);
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    return ch_store_commit(s, err);
}

/* Endpoints of org_scope (0: all), only endpoint `id` when id > 0; *ret_n counts them. */
static int write_endpoints(struct ch_store *s, int64_t org_scope, int64_t id, struct ch_jw *w,
                           size_t *ret_n, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s,
        "SELECT w.id, o.slug, w.url, w.events, w.state, w.paused_reason, w.consecutive_failures,"
        " w.created_at, (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id"
        " AND d.state IN ('pending', 'delivering')),"
        " (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id"
        " AND d.state = 'delivered'),"
        " (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id"
        " AND d.state = 'failed')"
        " FROM webhooks w JOIN orgs o ON o.id = w.org_id"
        " WHERE w.removed_at IS NULL AND (? = 0 OR w.org_id = ?) AND (? = 0 OR w.id = ?)"
        " ORDER BY w.id",
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, org_scope);
    ch_stmt_bind_int(st, 2, org_scope);
    ch_stmt_bind_int(st, 3, id);
    ch_stmt_bind_int(st, 4, id);
    size_t n = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        n++;
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "org", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "url", ch_stmt_cstr(st, 2));
        ch_jw_key(w, "events");
        ch_jw_arr_open(w);
        struct ch_str rest = ch_stmt_text(st, 3), item;
        while (ch_str_split_next(&rest, ' ', &item))
            ch_jw_str(w, item.ptr, item.len);
        ch_jw_arr_close(w);
        ch_jw_kstr(w, "state", ch_stmt_cstr(st, 4));
        ch_jw_kstr(w, "paused_reason", ch_stmt_cstr(st, 5));
        ch_jw_kint(w, "consecutive_failures", ch_stmt_int(st, 6));
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 7));
        ch_jw_kint(w, "queued", ch_stmt_int(st, 8));
        ch_jw_kint(w, "delivered", ch_stmt_int(st, 9));
        ch_jw_kint(w, "failed", ch_stmt_int(st, 10));
        ch_jw_obj_close(w);
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    *ret_n = n;
    return CH_OK;
}

int ch_webhook_list_json(struct ch_store *s, int64_t org_scope, struct ch_jw *w, struct ch_err *err)
{
    size_t n = 0;
    ch_jw_arr_open(w);
    int rc = write_endpoints(s, org_scope, 0, w, &n, err);
    ch_jw_arr_close(w);
    return rc;
}

int ch_webhook_get_json(struct ch_store *s, int64_t id, int64_t org_scope, struct ch_jw *w,
                        struct ch_err *err)
{
    int rc = endpoint_visible(s, id, org_scope, err);
    size_t n = 0;
    if (rc == CH_OK)
        rc = write_endpoints(s, org_scope, id, w, &n, err);
    if (rc == CH_OK && n != 1)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no webhook %lld", (long long)id);
    return rc;
}

int ch_webhook_deliveries_json(struct ch_store *s, int64_t id, int64_t org_scope, unsigned limit,
                               struct ch_jw *w, struct ch_err *err)
{
    int rc = endpoint_visible(s, id, org_scope, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "SELECT delivery_id, event, event_key, state, attempts, next_attempt_at,"
                       " last_status, last_error, created_at, delivered_at FROM webhook_deliveries"
                       " WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
                       &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_stmt_bind_int(st, 2, limit == 0 ? 100 : limit);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "delivery_id", ch_stmt_cstr(st, 0));
        ch_jw_kstr(w, "event", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "key", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "state", ch_stmt_cstr(st, 3));
        ch_jw_kint(w, "attempts", ch_stmt_int(st, 4));
        ch_jw_ktime(w, "next_attempt_at", ch_stmt_int(st, 5));
        ch_jw_key(w, "last_status");
        if (ch_stmt_is_null(st, 6))
            ch_jw_null(w);
        else
            ch_jw_int(w, ch_stmt_int(st, 6));
        ch_jw_kstr(w, "last_error", ch_stmt_cstr(st, 7));
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 8));
        ch_jw_ktime(w, "delivered_at", ch_stmt_is_null(st, 9) ? -1 : ch_stmt_int(st, 9));
        ch_jw_obj_close(w);
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

/* ---- events ---- */

int ch_webhook_emit(struct ch_store *s, int64_t org_id, enum ch_webhook_event e, const char *key,
                    const char *data_json, int64_t at, int64_t now, size_t *ret_queued,
                    struct ch_err *err)
{
    return ch_outbox_emit(s, org_id, e, key, data_json, at, now, ret_queued, err);
}

static int watermark(struct ch_store *s, const char *name, int64_t *ret, struct ch_err *err)
{
    return ch_store_query_int(s, "SELECT value FROM share_state WHERE name = ?", name, 0, ret, err);
}

static int set_watermark(struct ch_store *s, const char *name, int64_t v, struct ch_err *err)
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

struct pending_event {
    int64_t org_id;
    int64_t at;
    char key[300];
    char *data; /* owned */
};

static void pending_free(struct pending_event *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ch_free(v[i].data);
    ch_free(v);
}

static int push_event(struct pending_event **v, size_t *n, size_t *cap, struct pending_event *e,
                      struct ch_err *err)
{
    if (*n == *cap) {
        size_t c = *cap == 0 ? 64 : *cap * 2;
        struct pending_event *nv = ch_reallocarray(*v, c, sizeof(*nv));
        if (nv == NULL) {
            ch_free(e->data);
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        }
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = *e;
    return CH_OK;
}

static int notice_data(struct ch_stmt *st, struct pending_event *e, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_WEBHOOK_BODY_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "notice_id", ch_stmt_int(st, 0));
    ch_jw_kstr(&w, "org", ch_stmt_cstr(st, 6));
    ch_jw_kstr(&w, "vulnerability", ch_stmt_cstr(st, 2));
    ch_jw_kstr(&w, "reasons", ch_stmt_cstr(st, 4));
    ch_jw_ktime(&w, "due_at", ch_stmt_is_null(st, 5) ? -1 : ch_stmt_int(st, 5));
    ch_jw_key(&w, "details");
    cJSON *body = NULL;
    struct ch_err perr = CH_ERR_INIT;
    struct ch_str text = ch_stmt_text(st, 7);
    if (ch_json_parse(text.ptr, text.len, NULL, "notice", &body, &perr) == CH_OK) {
        ch_jw_cjson(&w, body);
        cJSON_Delete(body);
    } else {
        ch_jw_str(&w, text.ptr, text.len);
    }
    ch_jw_obj_close(&w);
    int rc = ch_jw_finish(&w, err);
    if (rc == CH_OK)
        e->data = ch_buf_take(&b, NULL);
    ch_buf_release(&b);
    if (rc == CH_OK && e->data == NULL)
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
    return rc;
}

static int collect_notices(struct ch_store *s, int64_t since, int64_t *mark,
                           struct pending_event **v, size_t *n, size_t *cap, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT n.id, n.org_id, n.vuln, n.created_at, n.reasons, n.due_at,"
                           " o.slug, n.body FROM notices n JOIN orgs o ON o.id = n.org_id"
                           " WHERE n.created_at >= ? ORDER BY n.id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, since);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct pending_event e = {.org_id = ch_stmt_int(st, 1), .at = ch_stmt_int(st, 3)};
        snprintf(e.key, sizeof(e.key), "notice:%lld", (long long)ch_stmt_int(st, 0));
        if (e.at > *mark)
            *mark = e.at;
        rc = notice_data(st, &e, err);
        if (rc == CH_OK)
            rc = push_event(v, n, cap, &e, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static int collect_kev(struct ch_store *s, int64_t since, int64_t *mark, struct pending_event **v,
                       size_t *n, size_t *cap, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT cve, vendor, product, name, date_added, due_date,"
                           " required_action, imported_at FROM kev WHERE imported_at >= ?"
                           " ORDER BY cve",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, since);
    struct ch_buf b;
    ch_buf_init(&b, CH_WEBHOOK_BODY_MAX);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        /* an addition belongs to the day CISA added it: endpoints created that day get it */
        struct pending_event e = {.org_id = 0, .at = ch_stmt_int(st, 4) + CH_DAY_SECONDS - 1};
        snprintf(e.key, sizeof(e.key), "kev:%s", ch_stmt_cstr(st, 0));
        if (ch_stmt_int(st, 7) > *mark)
            *mark = ch_stmt_int(st, 7);
        ch_buf_reset(&b);
        struct ch_jw w;
        ch_jw_init(&w, &b, 0);
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "cve", ch_stmt_cstr(st, 0));
        ch_jw_kstr(&w, "vendor", ch_stmt_cstr(st, 1));
        ch_jw_kstr(&w, "product", ch_stmt_cstr(st, 2));
        ch_jw_kstr(&w, "name", ch_stmt_cstr(st, 3));
        ch_jw_ktime(&w, "date_added", ch_stmt_int(st, 4));
        ch_jw_ktime(&w, "due_date", ch_stmt_is_null(st, 5) ? -1 : ch_stmt_int(st, 5));
        ch_jw_kstr(&w, "required_action", ch_stmt_cstr(st, 6));
        ch_jw_obj_close(&w);
        rc = ch_jw_finish(&w, err);
        if (rc != CH_OK)
            break;
        e.data = ch_strdup(ch_buf_cstr(&b));
        if (e.data == NULL) {
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
            break;
        }
        rc = push_event(v, n, cap, &e, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    ch_buf_release(&b);
    return rc < 0 ? rc : CH_OK;
}

static int collect_one(struct ch_store *s, const char *name, enum ch_webhook_event ev, int64_t now,
                       size_t *queued, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    int64_t since = 0;
    rc = watermark(s, name, &since, err);
    int64_t mark = since;
    struct pending_event *v = NULL;
    size_t n = 0, cap = 0;
    if (rc == CH_OK)
        rc = ev == CH_WEBHOOK_NOTICE ? collect_notices(s, since, &mark, &v, &n, &cap, err)
                                     : collect_kev(s, since, &mark, &v, &n, &cap, err);
    for (size_t i = 0; rc == CH_OK && i < n; i++)
        rc = ch_webhook_emit(s, v[i].org_id, ev, v[i].key, v[i].data, v[i].at, now, queued, err);
    pending_free(v, n);
    if (rc == CH_OK) {
        if (mark > now - COLLECT_SLACK_S)
            mark = now - COLLECT_SLACK_S;
        if (mark < since)
            mark = since;
        rc = set_watermark(s, name, mark, err);
    }
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    return ch_store_commit(s, err);
}

int ch_webhook_collect(struct ch_store *s, int64_t now, size_t *ret_queued, struct ch_err *err)
{
    size_t queued = 0;
    int rc = collect_one(s, "webhook.notice", CH_WEBHOOK_NOTICE, now, &queued, err);
    if (rc == CH_OK)
        rc = collect_one(s, "webhook.kev", CH_WEBHOOK_KEV_ADDITION, now, &queued, err);
    if (rc == CH_OK && ret_queued != NULL)
        *ret_queued = queued;
    return rc;
}

int ch_webhook_ping(struct ch_store *s, int64_t id, int64_t org_scope, int64_t now,
                    int64_t *ret_delivery, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    rc = endpoint_visible(s, id, org_scope, err);
    char key[64], uuid[CH_STIX_UUID_STR];
    ch_stix_uuid4(uuid);
    snprintf(key, sizeof(key), "ping:%s", uuid);
    size_t queued = 0;
    if (rc == CH_OK)
        rc = ch_outbox_queue(s, id, CH_WEBHOOK_PING, key, "{\"message\":\"test delivery\"}", now,
                             now, &queued, err);
    int64_t row = 0;
    if (rc == CH_OK) {
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(
            s, "SELECT id FROM webhook_deliveries WHERE webhook_id = ? AND event_key = ?", &st,
            err);
        if (rc == CH_OK) {
            ch_stmt_bind_int(st, 1, id);
            ch_stmt_bind_cstr(st, 2, key);
            rc = ch_stmt_step(st, err);
            if (rc == 1)
                row = ch_stmt_int(st, 0);
            rc = rc < 0 ? rc : CH_OK;
            ch_stmt_reset(st);
        }
    }
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    rc = ch_store_commit(s, err);
    if (rc == CH_OK)
        *ret_delivery = row;
    return rc;
}

/* ---- signing ---- */

void ch_webhook_sign(const char *secret, size_t secret_len, int64_t t, const char *body,
                     size_t body_len, char out[65])
{
    char ts[24];
    int n = snprintf(ts, sizeof(ts), "%lld.", (long long)t);
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof(mac));
}

int ch_webhook_verify(const char *secret, size_t secret_len, struct ch_str header, const char *body,
                      size_t body_len, int64_t now, int64_t tolerance_s, struct ch_err *err)
{
    struct ch_str rest = header, item;
    int64_t t = -1;
    struct ch_str sigs[8];
    size_t n_sigs = 0;
    while (ch_str_split_next(&rest, ',', &item)) {
        item = ch_str_trim(item);
        if (ch_str_starts_with(item, "t=")) {
            if (ch_num_parse_i64(ch_str_sub(item, 2, item.len - 2), 0, INT64_MAX / 2, &t, err) !=
                CH_OK)
                return ch_err_set(err, CH_E_AUTH, "malformed signature timestamp");
        } else if (ch_str_starts_with(item, "v1=") && n_sigs < CH_ARRAY_SIZE(sigs)) {
            sigs[n_sigs++] = ch_str_sub(item, 3, item.len - 3);
        }
    }
    if (t < 0 || n_sigs == 0)
        return ch_err_set(err, CH_E_AUTH, "signature header lacks t= or v1=");
    if (t < now - tolerance_s || t > now + tolerance_s)
        return ch_err_set(err, CH_E_TIMEOUT, "signature timestamp outside %lld s of now",
                          (long long)tolerance_s);
    char want[65];
    ch_webhook_sign(secret, secret_len, t, body, body_len, want);
    for (size_t i = 0; i < n_sigs; i++) {
        if (sigs[i].len == 64 && sodium_memcmp(sigs[i].ptr, want, 64) == 0)
            return CH_OK;
    }
    return ch_err_set(err, CH_E_AUTH, "signature does not match");
}

int64_t ch_webhook_backoff(int64_t attempts, uint32_t jitter)
{
    int64_t d = CH_WEBHOOK_BACKOFF_BASE_S;
    for (int64_t i = 1; i < attempts && d < CH_WEBHOOK_BACKOFF_MAX_S; i++)
        d *= 2;
    if (d > CH_WEBHOOK_BACKOFF_MAX_S)
        d = CH_WEBHOOK_BACKOFF_MAX_S;
    int64_t half = d / 2;
    return half + (int64_t)(jitter % (uint32_t)(d - half + 1));
}

/* ---- delivery ---- */

struct claimed {
    int64_t row;
    int64_t webhook_id;
    int64_t attempts;
    char delivery_id[CH_STIX_UUID_STR];
    char event[32];
    char *url;  /* owned */
    char *body; /* owned */
    size_t body_len;
    unsigned char box[BOX_MAX];
    size_t box_len;
};

static void claimed_free(struct claimed *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ch_free(c[i].url);
        ch_free(c[i].body);
    }
    ch_free(c);
}

static int claim(struct ch_store *s, const struct ch_webhook_deliver_options *o, const char *owner,
                 int64_t now, struct claimed **ret, size_t *ret_n, struct ch_err *err)
{
    unsigned batch = o->max_batch != 0 ? o->max_batch : CH_WEBHOOK_BATCH;
    long per_ms = (o->timeout_ms != 0 ? o->timeout_ms : CH_WEBHOOK_DEFAULT_TIMEOUT_MS) +
                  (o->connect_timeout_ms != 0 ? o->connect_timeout_ms
                                              : CH_WEBHOOK_DEFAULT_CONNECT_TIMEOUT_MS);
    /* the lease outlasts sending the whole batch, so nobody takes a row still being sent */
    int64_t lease =
        (o->lease_s != 0 ? o->lease_s : CH_WEBHOOK_LEASE_S) + (int64_t)batch * per_ms / 1000;
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "SELECT d.id, d.webhook_id, d.attempts, d.delivery_id, d.event, w.url,"
                       " d.body, w.secret_box FROM webhook_deliveries d"
                       " JOIN webhooks w ON w.id = d.webhook_id"
                       " WHERE w.state = 'active' AND w.removed_at IS NULL"
                       " AND ((d.state = 'pending' AND d.next_attempt_at <= ?)"
                       " OR (d.state = 'delivering' AND d.lease_expires_at <= ?))"
                       " AND (? = 0 OR d.id = ?)"
                       " ORDER BY d.next_attempt_at, d.id LIMIT ?",
                       &st, err);
    struct claimed *v = NULL;
    size_t n = 0;
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, now);
        ch_stmt_bind_int(st, 2, now);
        ch_stmt_bind_int(st, 3, o->only_delivery);
        ch_stmt_bind_int(st, 4, o->only_delivery);
        ch_stmt_bind_int(st, 5, batch);
        v = ch_calloc(batch, sizeof(*v));
        if (v == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        while (rc == CH_OK && (rc = ch_stmt_step(st, err)) == 1) {
            struct claimed *c = &v[n];
            c->row = ch_stmt_int(st, 0);
            c->webhook_id = ch_stmt_int(st, 1);
            c->attempts = ch_stmt_int(st, 2) + 1;
            snprintf(c->delivery_id, sizeof(c->delivery_id), "%s", ch_stmt_cstr(st, 3));
            snprintf(c->event, sizeof(c->event), "%s", ch_stmt_cstr(st, 4));
            c->url = ch_strdup(ch_stmt_cstr(st, 5));
            struct ch_str b = ch_stmt_text(st, 6);
            c->body = ch_strndup(b.ptr, b.len);
            c->body_len = b.len;
            struct ch_str box = ch_stmt_blob(st, 7);
            c->box_len = box.len <= BOX_MAX ? box.len : 0;
            memcpy(c->box, box.ptr, c->box_len);
            n++;
            rc = c->url == NULL || c->body == NULL ? ch_err_set(err, CH_E_NOMEM, "out of memory")
                                                   : CH_OK;
        }
        if (rc == 0)
            rc = CH_OK;
        ch_stmt_reset(st);
    }
    /* take each row only if it is still due: another process may have won it */
    size_t kept = 0;
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        rc = ch_store_stmt(s,
                           "UPDATE webhook_deliveries SET state = 'delivering', lease_owner = ?,"
                           " lease_expires_at = ?, attempts = attempts + 1 WHERE id = ?"
                           " AND ((state = 'pending' AND next_attempt_at <= ?)"
                           " OR (state = 'delivering' AND lease_expires_at <= ?))",
                           &st, err);
        if (rc != CH_OK)
            break;
        ch_stmt_bind_cstr(st, 1, owner);
        ch_stmt_bind_int(st, 2, now + lease);
        ch_stmt_bind_int(st, 3, v[i].row);
        ch_stmt_bind_int(st, 4, now);
        ch_stmt_bind_int(st, 5, now);
        rc = ch_stmt_run(st, err);
        if (rc == CH_OK && ch_store_changes(s) == 1) {
            struct claimed tmp = v[kept];
            v[kept] = v[i];
            v[i] = tmp;
            kept++;
        }
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc != CH_OK) {
        claimed_free(v, n);
        return rc;
    }
    for (size_t i = kept; i < n; i++) {
        ch_free(v[i].url);
        ch_free(v[i].body);
        v[i].url = v[i].body = NULL;
    }
    *ret = v;
    *ret_n = kept;
    return CH_OK;
}

struct response_sink {
    size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    struct response_sink *r = ud;
    size_t n = size * nmemb;
    r->len += n;
    /* a receiver that keeps talking is cut off: we only need its status */
    return r->len > CH_WEBHOOK_RESPONSE_MAX ? 0 : n;
}

struct outcome {
    long status; /* 0: no HTTP answer */
    char error[256];
    int64_t duration_ms;
};

static int send_one(const struct claimed *c, const char *secret, size_t secret_len, int64_t now,
                    const struct ch_webhook_deliver_options *o, struct outcome *out)
{
    char sig[65], h_sig[128], h_event[64], h_id[80];
    ch_webhook_sign(secret, secret_len, now, c->body, c->body_len, sig);
    snprintf(h_sig, sizeof(h_sig), "X-Clearinghouse-Signature: t=%lld,v1=%s", (long long)now, sig);
    snprintf(h_event, sizeof(h_event), "X-Clearinghouse-Event: %s", c->event);
    snprintf(h_id, sizeof(h_id), "X-Clearinghouse-Delivery: %s", c->delivery_id);
    const char *lines[] = {"Content-Type: application/json", "Expect:", h_sig, h_event, h_id};
    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; i < CH_ARRAY_SIZE(lines); i++) {
        struct curl_slist *nh = curl_slist_append(hdrs, lines[i]);
        if (nh == NULL) {
            curl_slist_free_all(hdrs);
            return CH_E_NOMEM;
        }
        hdrs = nh;
    }
    CURL *e = curl_easy_init();
    if (e == NULL) {
        curl_slist_free_all(hdrs);
        return CH_E_NOMEM;
    }
    struct response_sink sink = {0};
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     o->timeout_ms != 0 ? o->timeout_ms : (long)CH_WEBHOOK_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     o->connect_timeout_ms != 0 ? o->connect_timeout_ms
                                                : (long)CH_WEBHOOK_DEFAULT_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "clearinghouse-webhook/1");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    int64_t t0 = ch_clock_mono_ms();
    CURLcode cc = curl_easy_perform(e);
    out->duration_ms = ch_clock_mono_ms() - t0;
    out->status = 0;
    if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
    if (cc != CURLE_OK && out->status == 0)
        snprintf(out->error, sizeof(out->error), "%s",
                 errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
    else if (out->status < 200 || out->status > 299)
        snprintf(out->error, sizeof(out->error), "HTTP %ld", out->status);
    curl_easy_cleanup(e);
    curl_slist_free_all(hdrs);
    return CH_OK;
}

static int record(struct ch_store *s, const struct claimed *c, const char *owner,
                  const struct outcome *out, int64_t now, struct ch_webhook_deliver_stats *stats,
                  struct ch_err *err)
{
    bool ok = out->status >= 200 && out->status <= 299;
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error,"
                       " duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, c->row);
        ch_stmt_bind_int(st, 2, c->attempts);
        ch_stmt_bind_int(st, 3, now);
        if (out->status > 0)
            ch_stmt_bind_int(st, 4, out->status);
        ch_stmt_bind_cstr(st, 5, ok ? NULL : out->error);
        ch_stmt_bind_int(st, 6, out->duration_ms);
        rc = ch_stmt_run(st, err);
    }
    const char *state =
        ok ? "delivered" : (c->attempts >= CH_WEBHOOK_MAX_ATTEMPTS ? "failed" : "pending");
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?,"
                           " delivered_at = ?, last_status = ?, last_error = ?,"
                           " lease_owner = NULL, lease_expires_at = NULL"
                           " WHERE id = ? AND state = 'delivering' AND lease_owner = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, state);
        ch_stmt_bind_int(st, 2,
                         ok ? now : now + ch_webhook_backoff(c->attempts, randombytes_random()));
        if (ok)
            ch_stmt_bind_int(st, 3, now);
        if (out->status > 0)
            ch_stmt_bind_int(st, 4, out->status);
        ch_stmt_bind_cstr(st, 5, ok ? NULL : out->error);
        ch_stmt_bind_int(st, 6, c->row);
        ch_stmt_bind_cstr(st, 7, owner);
        rc = ch_stmt_run(st, err);
    }
    bool fenced = rc == CH_OK && ch_store_changes(s) == 1;
    if (rc == CH_OK && fenced)
        rc = ch_store_stmt(s,
                           ok ? "UPDATE webhooks SET consecutive_failures = 0 WHERE id = ?"
                              : "UPDATE webhooks SET consecutive_failures ="
                                " consecutive_failures + 1 WHERE id = ?",
                           &st, err);
    if (rc == CH_OK && fenced) {
        ch_stmt_bind_int(st, 1, c->webhook_id);
        rc = ch_stmt_run(st, err);
    }
    bool paused = false;
    if (rc == CH_OK && fenced && !ok) {
        rc = ch_store_stmt(s,
                           "UPDATE webhooks SET state = 'paused', paused_reason = ?, updated_at = ?"
                           " WHERE id = ? AND state = 'active' AND consecutive_failures >= ?",
                           &st, err);
        if (rc == CH_OK) {
            char reason[96];
            snprintf(reason, sizeof(reason), "%d consecutive failed deliveries",
                     CH_WEBHOOK_PAUSE_AFTER);
            ch_stmt_bind_cstr(st, 1, reason);
            ch_stmt_bind_int(st, 2, now);
            ch_stmt_bind_int(st, 3, c->webhook_id);
            ch_stmt_bind_int(st, 4, CH_WEBHOOK_PAUSE_AFTER);
            rc = ch_stmt_run(st, err);
            paused = rc == CH_OK && ch_store_changes(s) == 1;
        }
    }
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    rc = ch_store_commit(s, err);
    if (rc == CH_OK && fenced) {
        if (ok)
            stats->delivered++;
        else if (strcmp(state, "failed") == 0)
            stats->failed++;
        else
            stats->retrying++;
        if (paused)
            stats->paused++;
    }
    return rc;
}

static bool open_secret(const struct ch_keys *keys, const struct claimed *c, char *out,
                        size_t *ret_len)
{
    if (c->box_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 1)
        return false;
    size_t clen = c->box_len - crypto_secretbox_NONCEBYTES;
    size_t mlen = clen - crypto_secretbox_MACBYTES;
    if (mlen >= CH_WEBHOOK_SECRET_MAX)
        return false;
    if (crypto_secretbox_open_easy((unsigned char *)out, c->box + crypto_secretbox_NONCEBYTES, clen,
                                   c->box, keys->secret) != 0)
        return false;
    out[mlen] = '\0';
    *ret_len = mlen;
    return true;
}

int ch_webhook_deliver_due(struct ch_store *s, const struct ch_keys *keys,
                           const struct ch_webhook_deliver_options *o, int64_t now,
                           struct ch_webhook_deliver_stats *stats, struct ch_err *err)
{
    if (keys == NULL)
        return ch_err_set(err, CH_E_UNAVAILABLE, "delivering webhooks needs the server's keys");
    static const struct ch_webhook_deliver_options defaults = {0};
    if (o == NULL)
        o = &defaults;
    char owner[OWNER_MAX];
    if (o->owner != NULL) {
        snprintf(owner, sizeof(owner), "%s", o->owner);
    } else {
        char host[64] = "host";
        CH_IGNORE(gethostname(host, sizeof(host) - 1)); /* only a label */
        host[sizeof(host) - 1] = '\0';
        snprintf(owner, sizeof(owner), "%s:%ld", host, (long)getpid());
    }
    struct ch_webhook_deliver_stats local = {0};
    struct claimed *v = NULL;
    size_t n = 0;
    int rc = claim(s, o, owner, now, &v, &n, err);
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        char secret[CH_WEBHOOK_SECRET_MAX];
        size_t slen = 0;
        struct outcome out = {0};
        local.attempted++;
        if (!open_secret(keys, &v[i], secret, &slen)) {
            snprintf(out.error, sizeof(out.error),
                     "cannot open the endpoint's secret "
                     "(server keys changed?)");
        } else {
            rc = send_one(&v[i], secret, slen, now, o, &out);
            sodium_memzero(secret, sizeof(secret));
            if (rc != CH_OK) {
                rc = ch_err_set(err, rc, "cannot prepare a webhook request");
                break;
            }
        }
        rc = record(s, &v[i], owner, &out, now, &local, err);
    }
    claimed_free(v, n);
    if (stats != NULL)
        *stats = local;
    return rc;
}
