/* SPDX-License-Identifier: Apache-2.0
 *
 * h_directives.h: what the remediation directives decide, over HTTP
 * (docs/api.md, docs/directives.md), as `clearinghouse directive`,
 * `priority --json` and `compliance --json` answer:
 *
 *   GET  /api/v1/directives                 the loaded set (paged), status at now
 *   GET  /api/v1/directives/{id}            one directive, normalised
 *   POST /api/v1/directives/{id}/decide     body {"NAME": "VALUE", ...}: one decision
 *   GET  /api/v1/priority   (?org=SLUG&limit=N)
 *   GET  /api/v1/compliance (?org=SLUG&as_of=DATE|TIME)
 *
 * The directive set and the priority table are the ones `serve` loaded at
 * start (struct ch_app); without them these routes answer 503. Priority and
 * compliance are scoped like exposures: the caller's organisation unless
 * the role is clearinghouse-wide; naming an organisation the caller cannot
 * see is 404.
 */
#ifndef CH_HTTP_H_DIRECTIVES_H
#define CH_HTTP_H_DIRECTIVES_H

#include "http/http.h"

/* Inputs one decision takes (NAME=VALUE pairs besides the three clock dates). */
#define CH_H_DECIDE_MAX_INPUTS 32

int ch_h_directives_list(struct ch_http_call *call);
int ch_h_directives_get(struct ch_http_call *call);
int ch_h_directives_decide(struct ch_http_call *call);
int ch_h_priority(struct ch_http_call *call);
int ch_h_compliance(struct ch_http_call *call);

#endif
