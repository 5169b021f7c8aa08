/* SPDX-License-Identifier: Apache-2.0
 *
 * handlers.h: every request handler, one file per resource family
 * (h_<family>.c). The route table in routes.c binds them to paths and
 * declares who may call them; handlers check object visibility themselves
 * (http/auth.h).
 */
#ifndef CH_HTTP_HANDLERS_H
#define CH_HTTP_HANDLERS_H

#include "core/json.h"
#include "http/h_cases.h"
#include "http/h_coord.h"
#include "http/h_directives.h"
#include "http/h_disclose.h"
#include "http/h_findings.h"
#include "http/h_gateway.h"
#include "http/h_remediate.h"
#include "http/h_share.h"
#include "http/h_taxii.h"
#include "http/http.h"

/* h_health.c */
int ch_h_healthz(struct ch_http_call *call);
int ch_h_readyz(struct ch_http_call *call);

/* h_meta.c */
int ch_h_openapi(struct ch_http_call *call);
int ch_h_metrics(struct ch_http_call *call);
int ch_h_me(struct ch_http_call *call);

/* h_orgs.c */
int ch_h_orgs_list(struct ch_http_call *call);
int ch_h_orgs_get(struct ch_http_call *call);
int ch_h_orgs_create(struct ch_http_call *call);

/* h_users.c */
int ch_h_users_list(struct ch_http_call *call);
int ch_h_users_get(struct ch_http_call *call);
int ch_h_users_create(struct ch_http_call *call);
/*
 * Shared with h_tokens.c: a JSON array of role names → bits; 422 naming
 * `field` for anything else (unknown role, not strings, empty).
 */
int ch_h_roles_from_json(struct ch_http_call *call, const cJSON *arr, const char *field,
                         unsigned *ret);

/* h_tokens.c */
int ch_h_tokens_list(struct ch_http_call *call);
int ch_h_tokens_create(struct ch_http_call *call);
int ch_h_tokens_revoke(struct ch_http_call *call);

/* h_vulns.c */
int ch_h_vulns_search(struct ch_http_call *call);
int ch_h_vulns_get(struct ch_http_call *call);
int ch_h_osv_vuln(struct ch_http_call *call);
/* h_osvquery.c: OSV.dev's query API over the matching index */
int ch_h_osv_query(struct ch_http_call *call);
int ch_h_osv_querybatch(struct ch_http_call *call);
/* Queries in one /v1/querybatch (osv.dev's limit), and the JSON values its
 * body may hold: a query is at most about ten values (package with
 * ecosystem, name, purl; version; commit; page_token). */
#define CH_H_OSV_MAX_BATCH 1000
#define CH_H_OSV_BATCH_MAX_NODES ((size_t)CH_H_OSV_MAX_BATCH * 16 + 64)

/* h_audit.c */
int ch_h_audit_checkpoints(struct ch_http_call *call);
int ch_h_audit_log(struct ch_http_call *call);
int ch_h_audit_verify(struct ch_http_call *call);

#endif
