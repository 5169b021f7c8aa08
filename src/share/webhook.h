/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook.h: signed webhooks (docs/sharing.md).
 *
 * An organisation registers an endpoint (https URL; plain http only to a
 * loopback address, for development) for a set of event types. The signing
 * secret ("whsec_" + 43 base64url characters, 256 random bits) is returned
 * once; the store keeps it only inside a libsodium secretbox under the
 * server's secret key (core/keys.h), because signing needs the secret itself.
 *
 * Events become deliveries: one row per (endpoint, event) in
 * webhook_deliveries, queued in the database (so they survive restarts) and
 * unique per (endpoint, event key), so re-collecting an event never queues
 * it twice. A delivery is an HTTP POST of a JSON body with
 *
 *   Content-Type: application/json
 *   X-Clearinghouse-Event: notice
 *   X-Clearinghouse-Delivery: <uuid, the same on every retry>
 *   X-Clearinghouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
 *
 * Receivers recompute the HMAC, compare in constant time, reject a t more
 * than CH_WEBHOOK_TOLERANCE_S away from their clock (replay) and drop a
 * delivery id they have already processed (ch_webhook_verify() does the
 * first two).
 *
 * Delivery is at least once: a delivery process claims due rows with a lease
 * (state "delivering", fenced by owner), sends with libcurl under connect
 * and total timeouts, and records the outcome and the attempt. 2xx is
 * delivered; anything else (status, timeout, refused connection) is retried
 * after a jittered exponential backoff, up to CH_WEBHOOK_MAX_ATTEMPTS, then
 * "failed". An endpoint that fails CH_WEBHOOK_PAUSE_AFTER times in a row is
 * paused (its deliveries wait) until an operator resumes it. A process that
 * dies mid-send leaves its lease to expire; the next process sends that one
 * delivery again with the same delivery id, and nothing else twice.
 *
 * Event types: notice (a notice for the endpoint's organisation),
 * kev_addition (a CVE joins CISA KEV), case_state (a disclosure case changes
 * state), lease_conflict (a lease request was refused for overlap), ping
 * (`webhook test`). notice and kev_addition are collected from the store by
 * ch_webhook_collect(); the others are queued by their producers through
 * ch_webhook_emit().
 */
#ifndef CH_SHARE_WEBHOOK_H
#define CH_SHARE_WEBHOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "core/keys.h"
#include "outbox/outbox.h"
#include "store/store.h"

/* "whsec_" + base64url(32 bytes) + NUL */
#define CH_WEBHOOK_SECRET_MAX 64
#define CH_WEBHOOK_URL_MAX 2048
/* Receivers reject signatures older (or newer) than this. */
#define CH_WEBHOOK_TOLERANCE_S 300
/* Attempts of one delivery before it is given up as failed. */
#define CH_WEBHOOK_MAX_ATTEMPTS 12
/* Consecutive failures after which an endpoint is paused. */
#define CH_WEBHOOK_PAUSE_AFTER 8
/* Retry delay: base * 2^(attempts-1), capped, jittered into [d/2, d]. */
#define CH_WEBHOOK_BACKOFF_BASE_S 30
#define CH_WEBHOOK_BACKOFF_MAX_S (6 * 3600)
/* Answer bytes read from a receiver (kept for the attempt record, then dropped). */
#define CH_WEBHOOK_RESPONSE_MAX ((size_t)4 << 10)
#define CH_WEBHOOK_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define CH_WEBHOOK_DEFAULT_TIMEOUT_MS 10000
/* Deliveries claimed per pass. */
#define CH_WEBHOOK_BATCH 100
#define CH_WEBHOOK_LEASE_S 120

/* "notice", ...; NULL for anything but one bit. */
const char *ch_webhook_event_name(enum ch_webhook_event e);
/* "notice,kev_addition" (or "all") → bits; CH_E_INVALID naming the unknown one. */
int ch_webhook_events_parse(const char *csv, unsigned *ret, struct ch_err *err) CH_MUST_CHECK;

/* https URL, or http to 127.0.0.0/8, [::1] or localhost; no user info. */
int ch_webhook_url_check(const char *url, struct ch_err *err) CH_MUST_CHECK;

struct ch_webhook_new {
    int64_t org_id;
    const char *url;
    unsigned events;   /* enum ch_webhook_event bits */
    const char *actor; /* audit actor */
};

/*
 * Registers an endpoint; writes the secret (shown once) into ret_secret.
 * Audited as "webhook.add". Needs keys (the secret key seals the secret).
 */
int ch_webhook_add(struct ch_store *s, const struct ch_keys *keys, const struct ch_webhook_new *w,
                   int64_t now, int64_t *ret_id, char ret_secret[CH_WEBHOOK_SECRET_MAX],
                   struct ch_err *err) CH_MUST_CHECK;

/*
 * Pause or resume (resuming clears the failure count and makes waiting
 * deliveries due now), or remove. org_scope 0: any endpoint (clearinghouse
 * admin), else only that organisation's (CH_E_NOTFOUND otherwise). Audited.
 */
int ch_webhook_set_paused(struct ch_store *s, int64_t id, int64_t org_scope, bool paused,
                          const char *reason, const char *actor, int64_t now,
                          struct ch_err *err) CH_MUST_CHECK;
int ch_webhook_remove(struct ch_store *s, int64_t id, int64_t org_scope, const char *actor,
                      int64_t now, struct ch_err *err) CH_MUST_CHECK;

/* JSON arrays: endpoints (no secrets) and an endpoint's latest deliveries. */
int ch_webhook_list_json(struct ch_store *s, int64_t org_scope, struct ch_jw *w,
                         struct ch_err *err) CH_MUST_CHECK;
int ch_webhook_deliveries_json(struct ch_store *s, int64_t id, int64_t org_scope, unsigned limit,
                               struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
/* One endpoint as the listing shows it (no secret); CH_E_NOTFOUND outside org_scope or removed. */
int ch_webhook_get_json(struct ch_store *s, int64_t id, int64_t org_scope, struct ch_jw *w,
                        struct ch_err *err) CH_MUST_CHECK;

/* ch_outbox_emit() (outbox/outbox.h), for callers that already use this module. */
int ch_webhook_emit(struct ch_store *s, int64_t org_id, enum ch_webhook_event e, const char *key,
                    const char *data_json, int64_t at, int64_t now, size_t *ret_queued,
                    struct ch_err *err) CH_MUST_CHECK;

/* Collects notice and kev_addition events from the store since the last collection. */
int ch_webhook_collect(struct ch_store *s, int64_t now, size_t *ret_queued,
                       struct ch_err *err) CH_MUST_CHECK;

/* Queues a ping to one endpoint (`webhook test`); *ret_delivery gets its row id. */
int ch_webhook_ping(struct ch_store *s, int64_t id, int64_t org_scope, int64_t now,
                    int64_t *ret_delivery, struct ch_err *err) CH_MUST_CHECK;

struct ch_webhook_deliver_options {
    const char *owner;       /* lease owner ("host:pid"); NULL: derived from the pid */
    long connect_timeout_ms; /* 0: default */
    long timeout_ms;         /* 0: default */
    int lease_s;             /* 0: CH_WEBHOOK_LEASE_S */
    unsigned max_batch;      /* 0: CH_WEBHOOK_BATCH */
    int64_t only_delivery;   /* > 0: only this delivery row (webhook test) */
};

struct ch_webhook_deliver_stats {
    size_t attempted;
    size_t delivered;
    size_t retrying; /* failed, will be retried */
    size_t failed;   /* attempts exhausted */
    size_t paused;   /* endpoints paused by this pass */
};

/*
 * One pass: claims the due deliveries of active endpoints, sends them and
 * records each outcome. `now` is the clock for due times and signatures.
 * Must not be called inside a transaction. stats may be NULL.
 */
int ch_webhook_deliver_due(struct ch_store *s, const struct ch_keys *keys,
                           const struct ch_webhook_deliver_options *o, int64_t now,
                           struct ch_webhook_deliver_stats *stats,
                           struct ch_err *err) CH_MUST_CHECK;

/* Seconds before attempt attempts+1: full backoff d jittered into [d/2, d]. */
int64_t ch_webhook_backoff(int64_t attempts, uint32_t jitter);

/* hex HMAC-SHA256(secret, "<t>." + body) into out (65 bytes). */
void ch_webhook_sign(const char *secret, size_t secret_len, int64_t t, const char *body,
                     size_t body_len, char out[65]);
/*
 * Verifies an X-Clearinghouse-Signature value for body at `now`: CH_OK, or
 * CH_E_AUTH (bad signature or format) / CH_E_TIMEOUT (t outside tolerance_s).
 */
int ch_webhook_verify(const char *secret, size_t secret_len, struct ch_str header, const char *body,
                      size_t body_len, int64_t now, int64_t tolerance_s,
                      struct ch_err *err) CH_MUST_CHECK;

#endif
