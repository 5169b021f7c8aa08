/* SPDX-License-Identifier: Apache-2.0
 *
 * h_gateway.h: the trusted-partner gateway, POST /v1/chat/completions
 * (OpenAI-compatible), forwarding to the granted model's endpoint with
 * libcurl. Access rules, quotas, kill switches and the call record are
 * eval/gateway.h's; this handler parses, authorises, forwards and records.
 *
 * The request must be a JSON object with "model" (the granted model, NAME
 * or NAME@VERSION) and "messages". The handler replaces "model" by the
 * endpoint's own model name and sets "max_tokens" when absent
 * (CH_GATEWAY_DEFAULT_MAX_TOKENS), because the token quota is reserved from
 * it. "stream": true is refused with 400 in this version: a struct
 * ch_http_call answers with one body, so a stream could not reach the
 * partner as a stream (docs/designation.md). The upstream answer (status and
 * JSON body) is passed through; X-Gateway-Log names the log entry.
 *
 * Cutting: while the upstream answer is read, every CH_GATEWAY_RECHECK_MS
 * (between received chunks and from libcurl's progress callback, which
 * also runs while nothing arrives) the grant, the partnership, the kill
 * switches and the window are checked again at the app clock's now; a
 * revoked partner's call is aborted at once and answered 403 (503 for a
 * kill switch), and what was received is recorded.
 *
 * Runs on a worker thread (it blocks on the upstream); uses call->store.
 * Connections to endpoints are reused across calls and threads through one
 * libcurl share handle.
 */
#ifndef CH_HTTP_H_GATEWAY_H
#define CH_HTTP_H_GATEWAY_H

#include "http/http.h"

/* A chat request: long prompts are a few hundred kB. */
#define CH_GATEWAY_MAX_REQUEST ((size_t)4 << 20)
/* An upstream answer. */
#define CH_GATEWAY_MAX_RESPONSE ((size_t)8 << 20)
/* max_tokens when the request has none, and the largest accepted. */
#define CH_GATEWAY_DEFAULT_MAX_TOKENS 4096
#define CH_GATEWAY_MAX_TOKENS 1048576
/* "n" (choices per request) accepted. */
#define CH_GATEWAY_MAX_CHOICES 16
/* How often an in-flight call re-checks that it may go on. */
#define CH_GATEWAY_RECHECK_MS 50
/* Upstream limits. */
#define CH_GATEWAY_TIMEOUT_MS 600000L
#define CH_GATEWAY_CONNECT_TIMEOUT_MS 10000L

/* POST /v1/chat/completions. */
int ch_h_gateway_chat(struct ch_http_call *call);

#endif
