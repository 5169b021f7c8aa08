/* SPDX-License-Identifier: Apache-2.0
 *
 * h_remediate.h: read-only HTTP views of the remediation subsystem
 * (docs/remediation.md): GET /api/v1/assets, /api/v1/assets/{id},
 * /api/v1/exposures (?status=active|all|open|...&overdue=true&asset=ID
 * &limit=N), /api/v1/exposures/{id} and /api/v1/notices (?since=TIME).
 * Scoped to the caller's organisation unless the role is clearinghouse-wide.
 * Changes (assets, inventories, transitions) go through the CLI for now.
 */
#ifndef CH_HTTP_H_REMEDIATE_H
#define CH_HTTP_H_REMEDIATE_H

#include "http/http.h"

int ch_h_assets_list(struct ch_http_call *call);
int ch_h_assets_get(struct ch_http_call *call);
int ch_h_exposures_list(struct ch_http_call *call);
int ch_h_exposures_get(struct ch_http_call *call);
int ch_h_notices_list(struct ch_http_call *call);

#endif
