/* SPDX-License-Identifier: Apache-2.0
 *
 * conflictevent.c: the lease_conflict webhook event (docs/coordination.md,
 * docs/sharing.md), queued when a lease request, or the extension of a
 * lease, is refused for overlap.
 *
 * The refusal writes nothing: the request's transaction is rolled back. So
 * the events go in a short transaction of their own, after it, and are
 * queued whether or not anyone reads the 409.
 *
 * Two kinds of recipients, told no more than they can already learn:
 *
 * - The requesting organisation (the holder the request named) gets the
 *   target, the mode and window it asked for (for an extension, its lease's
 *   start to the new end, and the lease as "extending"), the first
 *   conflicting lease's id and how many more conflict: what the 409's
 *   message says, less the other holder's name.
 * - The organisation holding each conflicting lease gets its own lease's id
 *   and the window and mode asked for, never who asked (no answer of the API
 *   names a refused requester to a holder). A holder that is the requester
 *   itself is told once, as the requester.
 *
 * Keys repeat for a repeated identical request, so a client that retries
 * the same refused request queues nothing more.
 */
#include <stdio.h>

#include "coord/internal.h"
#include "core/buf.h"
#include "core/json.h"
#include "outbox/outbox.h"

static int request_data(const struct ch_coord__conflict *k, struct ch_buf *out, struct ch_err *err)
{
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "role", "requester");
    ch_jw_kint(&w, "target_id", k->target_id);
    ch_jw_kstr(&w, "mode", k->mode);
    ch_jw_ktime(&w, "start", k->start);
    ch_jw_ktime(&w, "end", k->end);
    ch_jw_kint(&w, "conflicting_lease", k->leases[0]);
    ch_jw_kint(&w, "more_conflicts", (int64_t)(k->n_leases - 1));
    if (k->extending != 0)
        ch_jw_kint(&w, "extending", k->extending);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, err);
}

static int holder_data(const struct ch_coord__conflict *k, int64_t lease, struct ch_buf *out,
                       struct ch_err *err)
{
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "role", "holder");
    ch_jw_kint(&w, "target_id", k->target_id);
    ch_jw_kint(&w, "lease_id", lease);
    ch_jw_kstr(&w, "mode", k->mode);
    ch_jw_ktime(&w, "start", k->start);
    ch_jw_ktime(&w, "end", k->end);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, err);
}

/* The organisation holding lease id (0 when the row is gone). */
static int lease_holder(struct ch_store *s, int64_t id, int64_t *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT org_id FROM coord_leases WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    *ret = rc == 1 ? ch_stmt_int(st, 0) : 0;
    ch_stmt_reset(st);
    return rc < 0 ? rc : CH_OK;
}

static int emit_all(struct ch_store *s, const struct ch_coord__conflict *k, int64_t now,
                    struct ch_buf *data, struct ch_err *err)
{
    char key[CH_OUTBOX_KEY_MAX];
    snprintf(key, sizeof(key), "lease_conflict:request:%lld:%lld:%s:%lld:%lld:%lld",
             (long long)k->extending, (long long)k->target_id, k->mode, (long long)k->start,
             (long long)k->end, (long long)k->leases[0]);
    int rc = request_data(k, data, err);
    if (rc == CH_OK)
        rc = ch_outbox_emit(s, k->requester_org, CH_WEBHOOK_LEASE_CONFLICT, key, ch_buf_cstr(data),
                            now, now, NULL, err);
    for (size_t i = 0; rc == CH_OK && i < k->n_leases; i++) {
        int64_t org = 0;
        rc = lease_holder(s, k->leases[i], &org, err);
        if (rc != CH_OK || org == 0 || org == k->requester_org)
            continue;
        snprintf(key, sizeof(key), "lease_conflict:held:%lld:%s:%lld:%lld", (long long)k->leases[i],
                 k->mode, (long long)k->start, (long long)k->end);
        ch_buf_reset(data);
        rc = holder_data(k, k->leases[i], data, err);
        if (rc == CH_OK)
            rc = ch_outbox_emit(s, org, CH_WEBHOOK_LEASE_CONFLICT, key, ch_buf_cstr(data), now, now,
                                NULL, err);
    }
    return rc;
}

int ch_coord__conflict_event(struct ch_store *s, const struct ch_coord__conflict *k, int64_t now,
                             struct ch_err *err)
{
    if (k->n_leases == 0)
        return CH_OK;
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_buf data;
    ch_buf_init(&data, 4096);
    rc = emit_all(s, k, now, &data, err);
    ch_buf_release(&data);
    if (rc != CH_OK) {
        ch_store_rollback(s);
        return rc;
    }
    return ch_store_commit(s, err);
}
