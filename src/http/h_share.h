/* SPDX-License-Identifier: Apache-2.0
 *
 * h_share.h: an organisation's signed webhooks over HTTP (docs/api.md,
 * docs/sharing.md), the API twin of `clearinghouse webhook`:
 *
 *   GET    /api/v1/webhooks                  list (no secrets)
 *   POST   /api/v1/webhooks                  add {url, events, org?}: 201 with the
 *                                            signing secret, shown this once only
 *   GET    /api/v1/webhooks/{id}             one endpoint (no secret)
 *   DELETE /api/v1/webhooks/{id}             remove: 204
 *   POST   /api/v1/webhooks/{id}/pause       pause {reason?}
 *   POST   /api/v1/webhooks/{id}/resume      resume
 *   POST   /api/v1/webhooks/{id}/test        queue a ping and send it now
 *   GET    /api/v1/webhooks/{id}/deliveries  latest deliveries and their attempts
 *
 * Tenancy: operators and partners manage their own organisation's
 * endpoints; admins any organisation's. Another organisation's endpoint is
 * 404. Changes are audited (share/webhook.h; the test ping here).
 *
 * Destinations: the API registers endpoints for callers outside the
 * machine, so besides share/webhook.h's rules (https, or http to loopback)
 * it refuses loopback, private, link-local, shared and unspecified
 * addresses and "localhost" names, unless the server runs with
 * `serve --webhook-allow-private` (app->webhook_allow_private): otherwise a
 * caller could make the server post to its own internal network. Names are
 * not resolved here; see docs/sharing.md for that limit.
 */
#ifndef CH_HTTP_H_SHARE_H
#define CH_HTTP_H_SHARE_H

#include <stdbool.h>

#include "http/http.h"

/* Whether url's host is an address or name the API refuses without the opt-in. */
bool ch_h_webhook_url_private(const char *url);

int ch_h_webhooks_list(struct ch_http_call *call);
int ch_h_webhooks_create(struct ch_http_call *call);
int ch_h_webhooks_get(struct ch_http_call *call);
int ch_h_webhooks_delete(struct ch_http_call *call);
int ch_h_webhooks_pause(struct ch_http_call *call);
int ch_h_webhooks_resume(struct ch_http_call *call);
int ch_h_webhooks_test(struct ch_http_call *call);
int ch_h_webhooks_deliveries(struct ch_http_call *call);

#endif
