/* SPDX-License-Identifier: Apache-2.0
 *
 * router.h: the route table and path matching. A pattern is a path whose
 * segments are literals or {name} parameters: "/api/v1/orgs/{id}". Matching
 * is exact per segment (no prefix matches, no "..", no empty segments), so a
 * path either names one route or none.
 */
#ifndef CH_HTTP_ROUTER_H
#define CH_HTTP_ROUTER_H

#include "http/http.h"

enum ch_route_flags {
    /* Runs on the event loop: must not block (no database, no I/O). */
    CH_ROUTE_INLOOP = 1 << 0,
    /* Needs no token (public data), unless the server runs with --private. */
    CH_ROUTE_PUBLIC = 1 << 1,
    /* Takes a body other than JSON (no 415 for another Content-Type). */
    CH_ROUTE_ANY_BODY = 1 << 2,
    /* A dashboard page: the handler authenticates the session cookie itself
     * (src/web), through the same ch_auth_request() as a bearer token, so the
     * server does not ask for an Authorization header first. */
    CH_ROUTE_SESSION = 1 << 3,
};

/* Body cap of JSON resources unless a route sets its own (max_body). */
#define CH_ROUTE_DEFAULT_MAX_BODY ((size_t)1 << 20)

/*
 * One entry of the table. Authorisation is declared here and enforced by
 * the server before the handler runs (deny by default): a caller needs a
 * valid bearer token whose effective roles intersect `roles`, unless the
 * route is CH_ROUTE_PUBLIC (and the server is not --private). A route with
 * roles 0 that is not public is unreachable. Object-level checks (tenancy,
 * clearance, need-to-know) are the handler's, through http/auth.h.
 */
struct ch_route {
    unsigned methods; /* enum ch_http_method bits */
    const char *pattern;
    ch_http_handler_fn handler;
    unsigned flags;    /* enum ch_route_flags */
    const char *name;  /* for metrics and logs, e.g. "healthz" */
    unsigned roles;    /* enum ch_role bits allowed to call it */
    size_t max_body;   /* bytes; 0 = CH_ROUTE_DEFAULT_MAX_BODY */
    size_t max_nodes;  /* JSON values in a body; 0 = CH_API_MAX_NODES */
    size_t max_string; /* bytes of one JSON string in a body; 0 = CH_API_MAX_STRING */
};

/* The table (routes.c), terminated by an entry with pattern NULL. */
extern const struct ch_route ch_routes[];
/* Number of entries before the terminator. */
unsigned ch_routes_count(void);

enum ch_route_match {
    CH_ROUTE_FOUND = 0,
    CH_ROUTE_NO_PATH = 1,   /* 404 */
    CH_ROUTE_NO_METHOD = 2, /* 405: the path exists with other methods */
};

/*
 * Finds the route for method and path; fills req->params. *ret_allowed gets
 * the methods the path supports (for 405's Allow header).
 */
enum ch_route_match ch_router_match(enum ch_http_method method, struct ch_str path,
                                    struct ch_http_request *req, const struct ch_route **ret,
                                    unsigned *ret_allowed);

/* As ch_router_match() over another table (the dashboard's pages), terminated likewise. */
enum ch_route_match ch_router_match_in(const struct ch_route *table, enum ch_http_method method,
                                       struct ch_str path, struct ch_http_request *req,
                                       const struct ch_route **ret, unsigned *ret_allowed);

/* "GET, POST" for a method mask into out. */
void ch_router_methods_str(unsigned methods, char *out, size_t out_size);

#endif
