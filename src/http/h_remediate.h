/* SPDX-License-Identifier: Apache-2.0
 *
 * h_remediate.h: the remediation subsystem over HTTP (docs/remediation.md,
 * docs/api.md), the same operations as `clearinghouse asset` and
 * `clearinghouse exposure`:
 *
 *   GET   /api/v1/assets, /api/v1/assets/{id}
 *   POST  /api/v1/assets                         create (201, Location)
 *   PATCH /api/v1/assets/{id}                    internet_facing (deadlines re-decided)
 *   PUT   /api/v1/assets/{id}/inventory          body: an SBOM or lockfile; exposures recomputed
 *   GET   /api/v1/assets/{id}/inventories        inventory history (paged)
 *   GET   /api/v1/exposures (?status=active|all|open|...&overdue=true&asset=ID&limit=N),
 *         /api/v1/exposures/{id}
 *   POST  /api/v1/exposures/{id}/transitions     a manual status change (201)
 *   GET   /api/v1/exposures/{id}/transitions     (paged)
 *   GET   /api/v1/notices (?since=TIME)
 *
 * Scoped to the caller's organisation unless the role is clearinghouse-wide;
 * another organisation's asset or exposure is 404. Changes that decide
 * deadlines answer 503 when the server started without directives.
 */
#ifndef CH_HTTP_H_REMEDIATE_H
#define CH_HTTP_H_REMEDIATE_H

#include "http/http.h"

int ch_h_assets_list(struct ch_http_call *call);
int ch_h_assets_get(struct ch_http_call *call);
int ch_h_exposures_list(struct ch_http_call *call);
int ch_h_exposures_get(struct ch_http_call *call);
int ch_h_notices_list(struct ch_http_call *call);
int ch_h_assets_create(struct ch_http_call *call);
int ch_h_assets_update(struct ch_http_call *call);
int ch_h_assets_inventory_put(struct ch_http_call *call);
int ch_h_assets_inventories(struct ch_http_call *call);
int ch_h_exposures_transition(struct ch_http_call *call);
int ch_h_exposures_transitions(struct ch_http_call *call);

#endif
