/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox.h: the webhook event queue that producers write to
 * (docs/sharing.md, "Webhooks").
 *
 * An event becomes one row of webhook_deliveries per endpoint subscribed to
 * it, unique per (endpoint, event key). This module only inserts those rows;
 * signing, sending and retrying are share/webhook.h's. It sits below the
 * producers (disclose, coord) and below share, so a producer can queue its
 * events inside the transaction that makes the change, and a rolled-back
 * change queues nothing, without the producers depending on the sharing
 * subsystem (which reads their tables) or on its HTTP client.
 *
 * Nothing here decides who may see an event: the producer chooses the
 * organisation and writes only data that organisation may read. An org_id of
 * 0 (every organisation) is for public events only (kev_addition).
 */
#ifndef CH_OUTBOX_OUTBOX_H
#define CH_OUTBOX_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* Event types, one bit each: an endpoint subscribes to a set of them. */
enum ch_webhook_event {
    CH_WEBHOOK_NOTICE = 1 << 0,
    CH_WEBHOOK_KEV_ADDITION = 1 << 1,
    CH_WEBHOOK_CASE_STATE = 1 << 2,
    CH_WEBHOOK_LEASE_CONFLICT = 1 << 3,
    CH_WEBHOOK_PING = 1 << 4,
};
/* Number of event types (bits 0 .. CH_WEBHOOK_EVENT_COUNT - 1). */
#define CH_WEBHOOK_EVENT_COUNT 5
#define CH_WEBHOOK_EVENTS_ALL 0x0fu /* ping is implied */

/* One event body: notices are a few kB. */
#define CH_WEBHOOK_BODY_MAX ((size_t)256 << 10)
/* Longest event key ("case:17:42", "lease_conflict:..."). */
#define CH_OUTBOX_KEY_MAX 256

/* "notice", ...; NULL for anything but one bit. */
const char *ch_outbox_event_name(enum ch_webhook_event e);

/*
 * Queues event `e` for every endpoint (not removed) subscribed to it: of
 * organisation org_id, or of every organisation when org_id is 0. `key`
 * identifies the event (idempotency: the same key is queued once per
 * endpoint); data_json is the event's JSON object (trusted, produced by our
 * writer; NULL: {}). Endpoints registered after `at` (the event's time) do
 * not get it. Runs in the caller's transaction, if any. *ret_queued (may be
 * NULL) is increased by the number of new deliveries.
 */
int ch_outbox_emit(struct ch_store *s, int64_t org_id, enum ch_webhook_event e, const char *key,
                   const char *data_json, int64_t at, int64_t now, size_t *ret_queued,
                   struct ch_err *err) CH_MUST_CHECK;

/*
 * Queues event `e` for the one endpoint webhook_id, subscribed or not (the
 * ping of `webhook test`); the caller has checked the endpoint. Same key
 * rule and *ret_queued as ch_outbox_emit().
 */
int ch_outbox_queue(struct ch_store *s, int64_t webhook_id, enum ch_webhook_event e,
                    const char *key, const char *data_json, int64_t at, int64_t now,
                    size_t *ret_queued, struct ch_err *err) CH_MUST_CHECK;

#endif
