/* SPDX-License-Identifier: Apache-2.0
 *
 * h_coord.h: the scan-coordination API (docs/coordination.md):
 * /api/v1/coord/... for targets, authorisations, leases, reports and
 * incidents, and POST /api/v1/deconflict (one question or a batch).
 *
 * The handlers share the server's coordination service (app->coord,
 * coord/service.h), built by `serve` at start. Before answering, each
 * request catches up with lease changes made by other processes (one small
 * query). Tenancy and roles are the service's; the
 * route table only admits the roles listed in docs/coordination.md.
 */
#ifndef CH_HTTP_H_COORD_H
#define CH_HTTP_H_COORD_H

#include "coord/service.h"
#include "http/http.h"

/* Questions in one POST /api/v1/deconflict (bounded also by the route's body cap). */
#define CH_H_DECONFLICT_MAX_QUERIES 1000000
/* Body cap for POST /api/v1/deconflict: about 60 bytes a question. */
#define CH_H_DECONFLICT_MAX_BODY ((size_t)64 << 20)

/* The handlers use app->coord, built by the server before it starts (the
 * service locks itself; each request first catches up with the store). */

int ch_h_deconflict(struct ch_http_call *call);

int ch_h_coord_targets_list(struct ch_http_call *call);
int ch_h_coord_targets_create(struct ch_http_call *call);
int ch_h_coord_targets_get(struct ch_http_call *call);
int ch_h_coord_targets_uncovered(struct ch_http_call *call);

int ch_h_coord_auth_list(struct ch_http_call *call);
int ch_h_coord_auth_grant(struct ch_http_call *call);
int ch_h_coord_auth_revoke(struct ch_http_call *call);

int ch_h_coord_leases_list(struct ch_http_call *call);
int ch_h_coord_leases_request(struct ch_http_call *call);
int ch_h_coord_leases_get(struct ch_http_call *call);
int ch_h_coord_leases_extend(struct ch_http_call *call);
int ch_h_coord_leases_release(struct ch_http_call *call);
int ch_h_coord_leases_revoke(struct ch_http_call *call);
int ch_h_coord_leases_report(struct ch_http_call *call);

int ch_h_coord_incidents_list(struct ch_http_call *call);
int ch_h_coord_incidents_open(struct ch_http_call *call);
int ch_h_coord_incidents_get(struct ch_http_call *call);
int ch_h_coord_incidents_evidence(struct ch_http_call *call);

#endif
