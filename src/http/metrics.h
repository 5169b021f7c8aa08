/* SPDX-License-Identifier: Apache-2.0
 *
 * metrics.h: process-wide request metrics, rendered for GET /metrics in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * Counters are plain 64-bit integers updated with relaxed atomic adds from
 * the event loops and workers; a scrape reads them without stopping anyone,
 * so one scrape may see a request counted in one series and not yet in
 * another. Series: requests by route and status, a latency histogram per
 * route (request start to response), the time handlers held a worker and
 * its database connection per route, open and refused connections.
 */
#ifndef CH_HTTP_METRICS_H
#define CH_HTTP_METRICS_H

#include <stdint.h>

#include "core/buf.h"

/* Routes tracked; the table has fewer (a unit test checks). */
#define CH_METRICS_MAX_ROUTES 160

/*
 * Records one answered request. route: index in ch_routes, or -1 when no
 * route matched. total_ns: from request start to response; worker_ns: time
 * spent on a worker (0 for in-loop answers).
 */
void ch_metrics_request(int route, int status, int64_t total_ns, int64_t worker_ns);
/* An accepted connection opened (+1) or closed (-1). */
void ch_metrics_connections(int delta);
/* A connection refused because the limit was reached. */
void ch_metrics_connection_refused(void);
/* Open connections now. */
int64_t ch_metrics_open_connections(void);

/* Appends the exposition text to out; CH_E_LIMIT/NOMEM when out cannot hold it. */
int ch_metrics_render(struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;

#endif
