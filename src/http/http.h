/* SPDX-License-Identifier: Apache-2.0
 *
 * http.h: what a request handler sees. Handlers are plain functions over a
 * struct ch_http_call: the request (copied out of h2o, so safe to read on a
 * worker thread), a response to fill, the worker's database connection and
 * the application context. They never touch h2o directly; server.c turns the
 * response into bytes on the event loop.
 *
 * Handler shape (STYLE.md §9): parse → validate → execute → render. A handler
 * returns CH_OK with the response filled, or an error code with call->err
 * set; errmap.c turns that into the JSON error body and status.
 */
#ifndef CH_HTTP_HTTP_H
#define CH_HTTP_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/keys.h"
#include "core/str.h"
#include "identity/identity.h"

struct ch_store;
struct ch_route;

/* Largest request body accepted by any route; routes may set smaller caps. */
#define CH_HTTP_MAX_BODY ((size_t)16 << 20)
/* Largest response body a handler may build. */
#define CH_HTTP_MAX_RESPONSE ((size_t)256 << 20)
/* Per-request arena: parsed JSON, strings, route parameters. */
#define CH_HTTP_ARENA_MAX ((size_t)64 << 20)
#define CH_HTTP_MAX_PARAMS 8
#define CH_HTTP_MAX_RESPONSE_HEADERS 8

enum ch_http_method {
    CH_HTTP_GET = 1 << 0,
    CH_HTTP_POST = 1 << 1,
    CH_HTTP_PUT = 1 << 2,
    CH_HTTP_PATCH = 1 << 3,
    CH_HTTP_DELETE = 1 << 4,
    CH_HTTP_HEAD = 1 << 5,
    CH_HTTP_OPTIONS = 1 << 6,
};

/* Application-wide state, read-only while serving. Owned by the server. */
struct ch_match_index;
struct ch_disclose_publisher;
struct ch_coord;
struct ch_directive_set;
struct ch_ssvc_table;
struct ch_web;

struct ch_app {
    const struct ch_match_index *match; /* read-only, built at start; NULL: no OSV queries */
    const char *db_url;
    struct ch_keys keys;
    bool have_keys;
    struct ch_clock clock;
    int64_t started_at;
    int64_t schema_version;
    bool private_mode; /* --private: public routes need a token too */
    const char *version;
    /* who the CSAF provider feed names and where it says documents live; NULL: defaults */
    const struct ch_disclose_publisher *publisher;
    /* scan coordination: locks itself, so handlers share it; NULL: routes answer 503 */
    struct ch_coord *coord;
    /* remediation directives and the SSVC priority table, loaded at start like the CLI's
     * (immutable, shared by the workers); NULL: the routes that need them answer 503 */
    const struct ch_directive_set *directives;
    const struct ch_ssvc_table *priority_table;
    /* `serve --webhook-allow-private`: webhooks may post to loopback and private networks */
    bool webhook_allow_private;
    /* the dashboard's state (src/web: session keys, directives); NULL: no dashboard */
    const struct ch_web *web;
};

struct ch_http_request {
    enum ch_http_method method;
    struct ch_str path;  /* decoded? no: raw path without the query */
    struct ch_str query; /* raw query string without '?' */
    struct ch_str body;
    struct ch_str content_type;
    struct ch_str authorization;
    struct ch_str if_none_match;
    struct ch_str accept;
    struct ch_str cookie;                     /* raw Cookie header (the dashboard's session) */
    struct ch_str params[CH_HTTP_MAX_PARAMS]; /* route parameters, in pattern order */
    unsigned n_params;
    char request_id[24];
    char peer[64]; /* numeric address of the client */
};

struct ch_http_header {
    const char *name;  /* static string */
    const char *value; /* arena string */
};

struct ch_http_response {
    int status;
    const char *content_type; /* static string; default application/json */
    struct ch_buf body;
    struct ch_http_header headers[CH_HTTP_MAX_RESPONSE_HEADERS];
    unsigned n_headers;
};

/*
 * One request in flight. `principal` is filled by the server before the
 * handler runs when the request carried a valid token (authenticated true);
 * on public routes it may be empty. Handlers that append to the audit log
 * go through ch_api_audit() (api.h), which records the sequence number here
 * so the server can sign a checkpoint when one is due.
 */
struct ch_http_call {
    const struct ch_app *app;
    const struct ch_route *route;
    struct ch_store *store; /* the worker's connection; NULL for in-loop routes */
    struct ch_arena *arena; /* lives as long as the call */
    struct ch_http_request req;
    struct ch_http_response res;
    struct ch_principal principal;
    bool authenticated;
    int64_t audit_seq;      /* last audit entry this call appended; 0: none */
    unsigned retry_after_s; /* Retry-After of a 429 */
    struct ch_err err;
};

typedef int (*ch_http_handler_fn)(struct ch_http_call *call);

/* Adds a response header (name must be static; value is copied into the arena). */
int ch_http_add_header(struct ch_http_call *call, const char *name, const char *value);
/* Value of query parameter `name` (percent-decoded into the arena), or NULL. */
const char *ch_http_query(struct ch_http_call *call, const char *name);

#endif
