/* SPDX-License-Identifier: Apache-2.0
 *
 * metrics.c: counters and their Prometheus rendering (see metrics.h).
 * State is static: one server per process. The arrays are sized at compile
 * time so that recording never allocates.
 */
#include "http/metrics.h"

#include "http/router.h"

static const int statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405,
                               409, 413, 415, 422, 429, 500, 503, 504};
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* last: any other */

/* Latency bucket upper bounds in seconds (the +Inf bucket is the count). */
static const double bounds_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                  0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_BUCKETS (sizeof(bounds_s) / sizeof(bounds_s[0]))

/* Slot CH_METRICS_MAX_ROUTES counts requests that matched no route. */
#define SLOTS (CH_METRICS_MAX_ROUTES + 1)

static uint64_t requests[SLOTS][N_STATUS];
static uint64_t buckets[SLOTS][N_BUCKETS];
static uint64_t latency_ns[SLOTS];
static uint64_t worker_ns_total[SLOTS];
static int64_t open_connections;
static uint64_t refused_connections;

static unsigned status_index(int status)
{
    for (unsigned i = 0; i < N_STATUS - 1; i++) {
        if (statuses[i] == status)
            return i;
    }
    return N_STATUS - 1;
}

static void add(uint64_t *p, uint64_t v)
{
    __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void ch_metrics_request(int route, int status, int64_t total_ns, int64_t worker_ns)
{
    unsigned slot =
        route < 0 || route >= CH_METRICS_MAX_ROUTES ? CH_METRICS_MAX_ROUTES : (unsigned)route;
    if (total_ns < 0)
        total_ns = 0;
    add(&requests[slot][status_index(status)], 1);
    double s = (double)total_ns / 1e9;
    for (unsigned b = 0; b < N_BUCKETS; b++) {
        if (s <= bounds_s[b]) {
            add(&buckets[slot][b], 1);
            break;
        }
    }
    add(&latency_ns[slot], (uint64_t)total_ns);
    if (worker_ns > 0)
        add(&worker_ns_total[slot], (uint64_t)worker_ns);
}

void ch_metrics_connections(int delta)
{
    __atomic_fetch_add(&open_connections, delta, __ATOMIC_RELAXED);
}

void ch_metrics_connection_refused(void)
{
    add(&refused_connections, 1);
}

int64_t ch_metrics_open_connections(void)
{
    return __atomic_load_n(&open_connections, __ATOMIC_RELAXED);
}

static const char *slot_name(unsigned slot, unsigned n_routes)
{
    if (slot == CH_METRICS_MAX_ROUTES)
        return "unmatched";
    return slot < n_routes ? ch_routes[slot].name : "unknown";
}

static void render_requests(struct ch_buf *out, unsigned n_routes)
{
    (void)ch_buf_append_c(out, "# HELP clearinghouse_http_requests_total HTTP requests answered, "
                               "by route and status.\n"
                               "# TYPE clearinghouse_http_requests_total counter\n");
    for (unsigned r = 0; r < SLOTS; r++) {
        if (r >= n_routes && r != CH_METRICS_MAX_ROUTES)
            continue;
        for (unsigned st = 0; st < N_STATUS; st++) {
            uint64_t v = get(&requests[r][st]);
            if (v == 0)
                continue;
            if (st == N_STATUS - 1)
                (void)ch_buf_appendf(out,
                                     "clearinghouse_http_requests_total{route=\"%s\","
                                     "status=\"other\"} %llu\n",
                                     slot_name(r, n_routes), (unsigned long long)v);
            else
                (void)ch_buf_appendf(out,
                                     "clearinghouse_http_requests_total{route=\"%s\","
                                     "status=\"%d\"} %llu\n",
                                     slot_name(r, n_routes), statuses[st], (unsigned long long)v);
        }
    }
}

static void render_latency(struct ch_buf *out, unsigned n_routes)
{
    (void)ch_buf_append_c(out, "# HELP clearinghouse_http_request_duration_seconds Time from "
                               "request start to response, by route.\n"
                               "# TYPE clearinghouse_http_request_duration_seconds histogram\n");
    for (unsigned r = 0; r < SLOTS; r++) {
        if (r >= n_routes && r != CH_METRICS_MAX_ROUTES)
            continue;
        uint64_t total = 0;
        for (unsigned st = 0; st < N_STATUS; st++)
            total += get(&requests[r][st]);
        if (total == 0)
            continue;
        const char *name = slot_name(r, n_routes);
        uint64_t cum = 0;
        for (unsigned b = 0; b < N_BUCKETS; b++) {
            cum += get(&buckets[r][b]);
            (void)ch_buf_appendf(out,
                                 "clearinghouse_http_request_duration_seconds_bucket{route=\"%s\","
                                 "le=\"%g\"} %llu\n",
                                 name, bounds_s[b], (unsigned long long)cum);
        }
        (void)ch_buf_appendf(out,
                             "clearinghouse_http_request_duration_seconds_bucket{route=\"%s\","
                             "le=\"+Inf\"} %llu\n"
                             "clearinghouse_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                             "clearinghouse_http_request_duration_seconds_count{route=\"%s\"} "
                             "%llu\n",
                             name, (unsigned long long)total, name,
                             (double)get(&latency_ns[r]) / 1e9, name, (unsigned long long)total);
    }
}

int ch_metrics_render(struct ch_buf *out, struct ch_err *err)
{
    unsigned n_routes = ch_routes_count();
    render_requests(out, n_routes);
    render_latency(out, n_routes);
    (void)ch_buf_append_c(out, "# HELP clearinghouse_http_db_seconds_total Time handlers held a "
                               "worker and its database connection, by route.\n"
                               "# TYPE clearinghouse_http_db_seconds_total counter\n");
    for (unsigned r = 0; r < n_routes && r < CH_METRICS_MAX_ROUTES; r++) {
        uint64_t v = get(&worker_ns_total[r]);
        if (v != 0)
            (void)ch_buf_appendf(out, "clearinghouse_http_db_seconds_total{route=\"%s\"} %.6f\n",
                                 ch_routes[r].name, (double)v / 1e9);
    }
    (void)ch_buf_appendf(out,
                         "# HELP clearinghouse_http_open_connections Client connections open.\n"
                         "# TYPE clearinghouse_http_open_connections gauge\n"
                         "clearinghouse_http_open_connections %lld\n"
                         "# HELP clearinghouse_http_refused_connections_total Connections "
                         "closed at once because the connection limit was reached.\n"
                         "# TYPE clearinghouse_http_refused_connections_total counter\n"
                         "clearinghouse_http_refused_connections_total %llu\n",
                         (long long)ch_metrics_open_connections(),
                         (unsigned long long)get(&refused_connections));
    return ch_buf_status(out, "metrics", err);
}
