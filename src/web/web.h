/* SPDX-License-Identifier: Apache-2.0
 *
 * web.h: the dashboard served by `clearinghouse serve` (docs/dashboard.md).
 *
 * Pages are server-rendered HTML over the same code paths as the API: a
 * page authenticates its session cookie with ch_auth_request() (the token
 * sealed in the cookie, see session.h), is admitted by the roles of its row
 * in ch_web_pages (as an API route is), and reads its data by calling the
 * API's own handlers in-process with the caller's identity, so it shows
 * exactly what the API would answer and is refused whatever the API would
 * refuse (404 for another organisation's object). Views that have no API
 * route yet (compliance, evaluation) call the library with the scope the
 * API uses (ch_rem_scope, the eval actor of the principal).
 *
 * The server matches ch_web_pages when no API route matches (server.h
 * `pages`) and hands the handlers the state below through app->web.
 */
#ifndef CH_WEB_WEB_H
#define CH_WEB_WEB_H

#include "core/err.h"
#include "http/router.h"

struct ch_web;
struct ch_directive_set;

struct ch_web_options {
    /* the server's directive set for the compliance views (borrowed, must
     * outlive the state); NULL: those views say that none was loaded */
    const struct ch_directive_set *directives;
};

/*
 * Creates the dashboard's state: random session keys and the directive set
 * the server loaded (`serve --directives`). *ret is owned (ch_web_free).
 */
int ch_web_new(const struct ch_web_options *o, struct ch_web **ret,
               struct ch_err *err) CH_MUST_CHECK;
void ch_web_free(struct ch_web *w);

/* The page table, terminated by an entry with pattern NULL. */
extern const struct ch_route ch_web_pages[];

#endif
