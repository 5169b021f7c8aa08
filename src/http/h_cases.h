/* SPDX-License-Identifier: Apache-2.0
 *
 * h_cases.h: coordinated-disclosure cases over HTTP (docs/api.md,
 * docs/disclosure.md), one route per verb of `clearinghouse case`:
 *
 *   POST /api/v1/cases                      open   {finding, exploited?, embargo_days?,
 *                                                   vendor?, participants?}
 *   POST /api/v1/cases/{id}/transition      transition {state, note?}
 *   POST /api/v1/cases/{id}/exploited       exploited {days?}
 *   POST /api/v1/cases/{id}/participants    participant {org, role?}
 *   POST /api/v1/cases/{id}/verify-fix      verify-fix {version, recipe?, files?, runs?}
 *   POST /api/v1/cases/{id}/publish         publish
 *
 * Managing a case needs a clearinghouse-wide role (the route table says so,
 * and disclose/case.h checks again); a case the caller may not see is 404.
 * Publication names the server's publisher (`serve --base-url`) and, as
 * the command does, writes the OSV record and the CSAF advisory into the
 * knowledge base: /v1/vulns/{id} and the CSAF provider feed serve them at
 * once. verify-fix runs the sandbox on the worker thread.
 */
#ifndef CH_HTTP_H_CASES_H
#define CH_HTTP_H_CASES_H

#include "http/http.h"

int ch_h_cases_open(struct ch_http_call *call);
int ch_h_cases_transition(struct ch_http_call *call);
int ch_h_cases_exploited(struct ch_http_call *call);
int ch_h_cases_participant(struct ch_http_call *call);
int ch_h_cases_verify_fix(struct ch_http_call *call);
int ch_h_cases_publish(struct ch_http_call *call);

#endif
