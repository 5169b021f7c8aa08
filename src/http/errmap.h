/* SPDX-License-Identifier: Apache-2.0
 *
 * errmap.h: the single table from ch_rc to HTTP status, and the JSON error
 * body {"error": {"code": "...", "message": "...", "field": "..."}}.
 * Messages from the database layer are never shown to clients (they may name
 * SQL or paths); they are logged with the request id instead.
 */
#ifndef CH_HTTP_ERRMAP_H
#define CH_HTTP_ERRMAP_H

#include "core/buf.h"
#include "core/err.h"

/*
 * HTTP-layer code for a request that is well-formed but semantically
 * invalid (422): a JSON body that parses but names an unknown role, a bad
 * slug, a scope wider than the caller's. Set only by http/api.c
 * (ch_api_unprocessable); outside the ch_rc range so it can never collide.
 */
#define CH_HTTP_E_UNPROCESSABLE (-1001)

/* HTTP status for an error code. */
int ch_http_status_for(int rc);
/* Short machine-readable code: "invalid", "not_found", ... */
const char *ch_http_code_for(int rc);
/* True when err's message may be shown to the client. */
int ch_http_message_is_public(int rc);
/* Renders the JSON error body into out (reset first). */
void ch_http_error_body(struct ch_buf *out, int rc, const char *message, const char *field);

#endif
