/* SPDX-License-Identifier: Apache-2.0
 *
 * api.h: what the /api/v1 handlers share: strict query parameters, JSON
 * bodies with limits, opaque cursors, the 422 mapping and audit entries.
 *
 * Conventions (docs/api.md):
 *  - Unknown query parameters and body fields are refused (400 / 422), so a
 *    misspelt filter never silently widens a result.
 *  - A body must be JSON (Content-Type application/json, else 415), at most
 *    the route's cap (413), parsed with depth and size limits; a syntax error
 *    names line and column (400). Well-formed but meaningless input is 422.
 *  - Lists are {"items": [...], "next_cursor": "..."|null}; `limit` is
 *    clamped to the route's maximum, `cursor` is opaque.
 *
 * Strings returned by the query helpers live in the call's arena.
 */
#ifndef CH_HTTP_API_H
#define CH_HTTP_API_H

#include <stdbool.h>
#include <stdint.h>

#include "core/json.h"
#include "http/http.h"

/* Nesting of a request body: our resources are flat; deeper is an attack. */
#define CH_API_MAX_DEPTH 16u
/* One string field of a request body. */
#define CH_API_MAX_STRING ((size_t)64 << 10)
/* Values in one request body. */
#define CH_API_MAX_NODES ((size_t)10000)
/* Longest query parameter value or path parameter, after decoding. */
#define CH_API_MAX_PARAM 512u
/* Cursor text: base64url of "c1:<id>". */
#define CH_API_CURSOR_MAX 48

/*
 * Refuses (400, naming it) any query parameter not in `allowed`
 * (NULL-terminated), and any that is repeated or malformed.
 */
int ch_api_check_query(struct ch_http_call *call, const char *const *allowed) CH_MUST_CHECK;

/*
 * Query parameter `name`, percent-decoded, valid UTF-8 without control
 * characters, at most CH_API_MAX_PARAM bytes: *ret is NULL when absent.
 * CH_E_INVALID (400, field = name) when malformed.
 */
int ch_api_query(struct ch_http_call *call, const char *name, const char **ret) CH_MUST_CHECK;
/* "true"/"false"/"1"/"0"; absent leaves *ret. */
int ch_api_query_bool(struct ch_http_call *call, const char *name, bool *ret) CH_MUST_CHECK;
/* RFC 3339 date or time; absent leaves *ret. */
int ch_api_query_time(struct ch_http_call *call, const char *name, int64_t *ret) CH_MUST_CHECK;

/* Path parameter i (0-based), percent-decoded and checked like a query value. */
int ch_api_param(struct ch_http_call *call, unsigned i, const char **ret) CH_MUST_CHECK;
/* Path parameter i as a positive integer id; anything else is CH_E_NOTFOUND "no <what>". */
int ch_api_param_id(struct ch_http_call *call, unsigned i, const char *what,
                    int64_t *ret) CH_MUST_CHECK;

struct ch_api_page {
    unsigned limit; /* 1..max */
    int64_t after;  /* keyset position from the cursor; 0: from the start */
};

/*
 * `limit` (default dflt, clamped to max; 0, negative or not a number → 400)
 * and `cursor` (opaque; one we did not issue → 400).
 */
int ch_api_page(struct ch_http_call *call, unsigned dflt, unsigned max,
                struct ch_api_page *ret) CH_MUST_CHECK;
/* Encodes a keyset position as an opaque cursor (NUL-terminated). */
void ch_api_cursor_encode(int64_t pos, char out[CH_API_CURSOR_MAX]);
/* Decodes a cursor; false when it is not one of ours. */
bool ch_api_cursor_decode(const char *cursor, int64_t *ret);
/* Writes "next_cursor": "<cursor>" or null (pos <= 0). */
void ch_api_next_cursor(struct ch_jw *w, int64_t pos);

/*
 * The request body as a JSON object. 415 unless Content-Type is
 * application/json; 400 for an empty body, a syntax error (line and column)
 * or a non-object; 422 for a field not in `allowed` (NULL-terminated; NULL
 * allows any). *ret is owned by the caller (cJSON_Delete).
 */
int ch_api_json_body(struct ch_http_call *call, const char *const *allowed,
                     cJSON **ret) CH_MUST_CHECK;
/*
 * Members of a request body: a string, an integer in [min, max], an
 * organisation slug (its id). Absent and not required leaves *ret (NULL or
 * 0 for the org); a value of the wrong type or out of range, or an unknown
 * organisation, is 422 naming the member.
 */
int ch_api_body_str(struct ch_http_call *call, const cJSON *doc, const char *key, bool required,
                    const char **ret) CH_MUST_CHECK;
int ch_api_body_int(struct ch_http_call *call, const cJSON *doc, const char *key, bool required,
                    int64_t min, int64_t max, int64_t *ret) CH_MUST_CHECK;
int ch_api_body_org(struct ch_http_call *call, const cJSON *doc, const char *key,
                    int64_t *ret) CH_MUST_CHECK;
/* As ch_api_json_body(), but an empty body is an empty object (optional bodies). */
int ch_api_json_body_opt(struct ch_http_call *call, const char *const *allowed,
                         cJSON **ret) CH_MUST_CHECK;
/* True when Content-Type names JSON (application/json, optionally with parameters). */
bool ch_api_is_json_type(struct ch_str content_type);

/*
 * Turns a CH_E_INVALID from validating a well-formed request (identity
 * rules, a scope wider than the caller's) into 422; returns the code.
 */
int ch_api_unprocessable(struct ch_http_call *call, int rc);
/* Sets a 422 error with a field and message. */
int ch_api_fail_422(struct ch_http_call *call, const char *field, const char *fmt, ...)
    CH_PRINTF(3, 4);

/*
 * Appends an audit entry for the caller (actor "user:<name>") at the app
 * clock's now. Must run inside the write transaction of the change.
 */
int ch_api_audit(struct ch_http_call *call, const char *action, const char *object,
                 const char *details) CH_MUST_CHECK;

/*
 * The organisation named by slug (a filter or a body field), when the
 * caller may see it; otherwise CH_E_NOTFOUND "no organisation" (field
 * "org"), the same answer whether it is missing or another's.
 */
int ch_api_visible_org(struct ch_http_call *call, const char *slug, int64_t *ret) CH_MUST_CHECK;

/* Starts the JSON response: status, writer over call->res.body. */
void ch_api_respond(struct ch_http_call *call, int status, struct ch_jw *w);

#endif
