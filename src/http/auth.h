/* SPDX-License-Identifier: Apache-2.0
 *
 * auth.h: who may call what, and who may see which object (DESIGN.md §7).
 *
 * Three layers, checked in this order:
 *  1. Authentication (server, before the handler): "Authorization: Bearer
 *     <token>" → ch_token_authenticate() → call->principal. A missing token
 *     on a non-public route, or any invalid token, is 401.
 *  2. Route authorisation (server): the route's declared roles (router.h)
 *     must intersect the principal's effective roles, else 403. Deny by
 *     default: roles 0 on a non-public route lets nobody in.
 *  3. Object visibility (handlers, through the helpers below): tenancy
 *     (clearinghouse-wide roles see every organisation, others only their
 *     own), clearance (object level ≤ principal clearance) and need-to-know
 *     (the object's access list, when it has one, names the principal's user
 *     or organisation). An object that fails any of these is answered 404,
 *     never 403, so that its existence does not leak.
 *
 * Thread-safety: every function here is reentrant; ch_auth_request() uses
 * the call's store (the worker's connection).
 */
#ifndef CH_HTTP_AUTH_H
#define CH_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "identity/identity.h"

/* Longest Authorization header value considered; longer ones are refused (401). */
#define CH_AUTH_MAX_HEADER 256

/*
 * Extracts the token from an Authorization header value ("Bearer <token>",
 * scheme case-insensitive). Returns false for any other shape.
 */
bool ch_auth_bearer(struct ch_str header, struct ch_str *ret_token);

/*
 * Steps 1 and 2 for call->route: fills call->principal and
 * call->authenticated, or returns CH_E_AUTH (401) / CH_E_PERM (403) with
 * call->err set. A token presented on a public route is still checked (a bad
 * one is 401), but public routes need no particular role.
 */
int ch_auth_request(struct ch_http_call *call) CH_MUST_CHECK;

/* True when the principal holds a clearinghouse-wide role (CH_ROLE_WIDE). */
bool ch_auth_is_wide(const struct ch_principal *p);
/* Tenancy: wide roles see every organisation, others only their own. */
bool ch_auth_sees_org(const struct ch_principal *p, int64_t org_id);
/* Clearance: the principal may see objects classified at `level`. */
bool ch_auth_cleared(const struct ch_principal *p, enum ch_clearance level);

/* One member of an object's access list: an organisation or a user (the other 0). */
struct ch_acl_entry {
    int64_t org_id;
    int64_t user_id;
};

/*
 * What visibility of one object depends on. An access list (table of later
 * subsystems: suites, runs, submissions) is borrowed for the call.
 */
struct ch_object_access {
    int64_t org_id;                 /* owning organisation; 0: not org-scoped */
    enum ch_clearance level;        /* classification */
    const struct ch_acl_entry *acl; /* need-to-know list; NULL/0 entries: none */
    size_t n_acl;
};

/* Need-to-know: no access list, or the principal's user or organisation is on it. */
bool ch_auth_need_to_know(const struct ch_principal *p, const struct ch_acl_entry *acl,
                          size_t n_acl);
/* Tenancy, clearance and need-to-know together. */
bool ch_auth_may_see(const struct ch_principal *p, const struct ch_object_access *o);

/*
 * For handlers: CH_OK when call->principal may see the object, else
 * CH_E_NOTFOUND "no <what> '<name>'" (the same answer as for an object that
 * does not exist).
 */
int ch_auth_require_visible(struct ch_http_call *call, const struct ch_object_access *o,
                            const char *what, const char *name) CH_MUST_CHECK;
/* Tenancy only (shorthand of the above for unclassified org-scoped objects). */
int ch_auth_require_org(struct ch_http_call *call, int64_t org_id, const char *what,
                        const char *name) CH_MUST_CHECK;

#endif
