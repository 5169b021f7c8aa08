/* SPDX-License-Identifier: Apache-2.0
 *
 * server.h: `clearinghouse serve`. h2o event loops (one per core by default), all
 * accepting on one listening socket; a worker pool, each worker with its own
 * database connection, for every handler that may block; answers return to
 * the loop through h2o's multithread queue (DESIGN.md §5b).
 *
 * ch_server_run() blocks until SIGINT or SIGTERM, then stops accepting,
 * lets requests in flight finish (bounded by a deadline) and returns.
 * The caller must block those signals in every thread before calling it
 * (ch_server_run does it for threads it creates).
 */
#ifndef CH_HTTP_SERVER_H
#define CH_HTTP_SERVER_H

#include <stdio.h>

#include "http/http.h"

struct ch_server_options {
    const char *listen;          /* "127.0.0.1:8080", "[::1]:0", "0.0.0.0:8080" */
    unsigned loops;              /* event loops; 0 = one per core */
    unsigned workers;            /* worker threads; 0 = 2 per core, at least 4 */
    size_t max_queued;           /* jobs waiting before 503; 0 = default */
    unsigned request_timeout_ms; /* to receive a request, and idle keep-alive */
    unsigned shutdown_grace_ms;  /* wait for requests in flight at shutdown */
    FILE *announce;              /* "listening on http://HOST:PORT" goes here (may be NULL) */
    unsigned max_connections;    /* open client connections; 0 = $CLEARINGHOUSE_MAX_CONNECTIONS,
                                    else min(4096, fd limit - reserve) */
    double rate_per_sec;         /* per-token requests/s; 0 = $CLEARINGHOUSE_RATE_LIMIT, else 100 */
    double rate_burst;           /* per-token bucket; 0 = twice the rate (200 by default) */
    /* The dashboard's pages (src/web), matched when no API route does; NULL: none.
     * Their handlers find their state in app->web. */
    const struct ch_route *pages;
};

#define CH_SERVER_DEFAULT_LISTEN "127.0.0.1:8080"
#define CH_SERVER_DEFAULT_TIMEOUT_MS 10000u
#define CH_SERVER_DEFAULT_GRACE_MS 10000u
#define CH_SERVER_DEFAULT_MAX_QUEUED 4096u

int ch_server_run(const struct ch_server_options *opts, struct ch_app *app,
                  struct ch_err *err) CH_MUST_CHECK;

#endif
