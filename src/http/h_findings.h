/* SPDX-License-Identifier: Apache-2.0
 *
 * h_findings.h: discovery intake over HTTP (docs/api.md, docs/disclosure.md),
 * the API twin of `clearinghouse finding submit|validate|resolve`:
 *
 *  - POST /api/v1/findings: a partner (or an analyst, for any organisation)
 *    submits a finding with its PoC files (base64 in JSON, http/pocfiles.h)
 *    and recipe; 201 with the finding and the verdict at submission
 *    (ch_finding_intake_check());
 *  - POST /api/v1/findings/{id}/validate: an analyst reproduces it in the
 *    sandbox on the worker thread, within the recipe's time limits (there
 *    is no job kind for validation); 200 with the validation result;
 *  - POST /api/v1/findings/{id}/resolve: an analyst confirms or dismisses a
 *    probable duplicate of that finding.
 *
 * Visibility and tenancy are the library's (disclose/finding.h): a finding
 * the caller may not see is 404. Every change is audited by the library in
 * the change's transaction.
 */
#ifndef CH_HTTP_H_FINDINGS_H
#define CH_HTTP_H_FINDINGS_H

#include "http/http.h"
#include "validate/repro.h"

/*
 * A submission body: the PoC's base64 text (a third more than its bytes),
 * the recipe and the text fields. The server's own cap, CH_HTTP_MAX_BODY,
 * is the binding one; one JSON string may be as long as the body, so that
 * a file above CH_REPRO_MAX_FILE_BYTES is refused by the decoder (413
 * naming it) rather than by the JSON parser.
 */
#define CH_H_FINDINGS_MAX_BODY CH_HTTP_MAX_BODY
#define CH_H_FINDINGS_MAX_STRING CH_HTTP_MAX_BODY
/* JSON values: three per file, the recipe (at most 16 commands of 64 arguments), the rest. */
#define CH_H_FINDINGS_MAX_NODES ((size_t)CH_REPRO_MAX_FILES * 4 + 4096)

int ch_h_findings_submit(struct ch_http_call *call);
int ch_h_findings_validate(struct ch_http_call *call);
int ch_h_findings_resolve(struct ch_http_call *call);

#endif
