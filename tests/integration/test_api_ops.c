/* SPDX-License-Identifier: Apache-2.0
 *
 * Operations: /metrics in Prometheus text format, per-token rate limits
 * (429 with Retry-After), the connection limit, --private, and the request
 * log line carrying route, principal and request id. Each test starts its
 * own server because each needs different limits. Runs on SQLite and (as
 * the _pg twin) PostgreSQL.
 */
#include "testhttp.h"
#include "testutil.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"

struct env {
    struct ch_test_server srv;
    char *db_dir;
    char *root;
};

static void start(struct env *e, const char *rate, const char *maxconn, const char *const *extra)
{
    setenv("CLEARINGHOUSE_RATE_LIMIT", rate, 1);
    if (maxconn != NULL)
        setenv("CLEARINGHOUSE_MAX_CONNECTIONS", maxconn, 1);
    else
        unsetenv("CLEARINGHOUSE_MAX_CONNECTIONS");
    char *url = ch_test_store_url(&e->db_dir);
    ch_test_server_start(&e->srv, url, extra);
    ch_free(url);
    e->root = ch_test_server_admin(&e->srv, "root");
}

static void stop(struct env *e)
{
    ch_test_server_stop(&e->srv);
    ch_test_rmtree(e->db_dir);
    ch_free(e->db_dir);
    ch_free(e->root);
}

static void test_metrics_count_routes_statuses_and_latency(void **state)
{
    struct env e;
    start(&e, "off", NULL, NULL);
    struct ch_test_response r;
    ch_test_response_init(&r);
    for (int i = 0; i < 3; i++)
        ch_test_api_expect(e.srv.port, "GET", "/healthz", NULL, NULL, 200, &r);
    ch_test_api_expect(e.srv.port, "GET", "/api/v1/orgs", NULL, NULL, 401, &r);
    ch_test_api_expect(e.srv.port, "GET", "/nowhere", NULL, NULL, 404, &r);
    ch_test_api_expect(e.srv.port, "GET", "/api/v1/orgs", e.root, NULL, 200, &r);
    ch_test_api_expect(e.srv.port, "GET", "/metrics", e.root, NULL, 200, &r);
    char ct[128];
    assert_true(ch_test_response_header(&r, "content-type", ct, sizeof(ct)));
    assert_true(ch_test_contains(ct, "text/plain"));
    const char *m = ch_buf_cstr(&r.body);
    const char *want[] = {
        "# TYPE clearinghouse_http_requests_total counter",
        "clearinghouse_http_requests_total{route=\"healthz\",status=\"200\"} 3",
        "clearinghouse_http_requests_total{route=\"orgs.list\",status=\"401\"} 1",
        "clearinghouse_http_requests_total{route=\"orgs.list\",status=\"200\"} 1",
        "clearinghouse_http_requests_total{route=\"unmatched\",status=\"404\"} 1",
        "# TYPE clearinghouse_http_request_duration_seconds histogram",
        "clearinghouse_http_request_duration_seconds_bucket{route=\"healthz\",le=\"+Inf\"} 3",
        "clearinghouse_http_request_duration_seconds_count{route=\"orgs.list\"} 2",
        "clearinghouse_http_db_seconds_total{route=\"orgs.list\"}",
        "clearinghouse_http_open_connections ",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (!ch_test_contains(m, want[i]))
            fail_msg("metrics lack '%s':\n%s", want[i], m);
    }
    ch_test_response_release(&r);
    stop(&e);
}

static void test_rate_limit_is_per_token_with_retry_after(void **state)
{
    struct env e;
    start(&e, "1:3", NULL, NULL);
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(e.srv.port, "POST", "/api/v1/tokens", e.root, "{}", 201, &r);
    cJSON *j = ch_test_response_json(&r);
    char *other = strdup(ch_json_str(j, "token"));
    cJSON_Delete(j);
    /* root has spent one of its 3; two more pass, then 429 */
    int limited = 0;
    for (int i = 0; i < 6; i++) {
        ch_test_api(e.srv.port, "GET", "/api/v1/me", e.root, NULL, &r);
        if (r.status == 429) {
            limited = 1;
            break;
        }
        assert_int_equal(r.status, 200);
    }
    assert_true(limited);
    char ra[32];
    assert_true(ch_test_response_header(&r, "retry-after", ra, sizeof(ra)));
    assert_true(ra[0] >= '1' && ra[0] <= '9');
    j = ch_test_response_json(&r);
    assert_string_equal(ch_json_str(ch_json_obj(j, "error"), "code"), "rate_limited");
    cJSON_Delete(j);
    /* another token and anonymous public routes are not affected */
    ch_test_api_expect(e.srv.port, "GET", "/api/v1/me", other, NULL, 200, &r);
    ch_test_api_expect(e.srv.port, "GET", "/healthz", NULL, NULL, 200, &r);
    free(other);
    ch_test_response_release(&r);
    stop(&e);
}

static void test_connection_limit_refuses_extra_connections(void **state)
{
    struct env e;
    static const char *const args[] = {"--timeout", "5000", NULL};
    start(&e, "off", "3", args);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = ch_test_connect(e.srv.port);
        assert_true(fds[i] >= 0);
    }
    /* let the server accept all three */
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    int extra = ch_test_connect(e.srv.port);
    assert_true(extra >= 0);
    struct pollfd p = {extra, POLLIN, 0};
    assert_true(poll(&p, 1, 3000) > 0);
    char buf[16];
    assert_true(read(extra, buf, sizeof(buf)) <= 0); /* closed without an answer */
    close(extra);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    nanosleep(&ts, NULL);
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(e.srv.port, "GET", "/metrics", e.root, NULL, 200, &r);
    assert_false(
        ch_test_contains(ch_buf_cstr(&r.body), "clearinghouse_http_refused_connections_total 0"));
    ch_test_response_release(&r);
    stop(&e);
}

static void test_private_mode_needs_a_token_everywhere(void **state)
{
    struct env e;
    static const char *const args[] = {"--private", NULL};
    start(&e, "off", NULL, args);
    struct ch_test_response r;
    ch_test_response_init(&r);
    const char *paths[] = {"/healthz", "/readyz", "/api/v1/openapi.json",
                           "/api/v1/audit/checkpoints", "/v1/vulns/CVE-2024-0001"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        ch_test_api_expect(e.srv.port, "GET", paths[i], NULL, NULL, 401, &r);
    ch_test_api_expect(e.srv.port, "GET", "/healthz", e.root, NULL, 200, &r);
    ch_test_api_expect(e.srv.port, "GET", "/api/v1/openapi.json", e.root, NULL, 200, &r);
    ch_test_response_release(&r);
    stop(&e);
}

static void test_request_log_names_route_principal_and_id(void **state)
{
    struct env e;
    start(&e, "off", NULL, NULL);
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(e.srv.port, "GET", "/api/v1/me", e.root, NULL, 200, &r);
    char id[32];
    assert_true(ch_test_response_header(&r, "x-request-id", id, sizeof(id)));
    char want[64];
    snprintf(want, sizeof(want), "id=%s", id);
    /* the log line is written when h2o disposes of the request: read until it shows */
    struct ch_buf log;
    ch_buf_init(&log, 1 << 20);
    int64_t t0 = ch_clock_mono_ms();
    while (!ch_test_contains(ch_buf_cstr(&log), want) && ch_clock_mono_ms() - t0 < 5000) {
        struct pollfd p = {e.srv.stderr_fd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            char tmp[4096];
            ssize_t n = read(e.srv.stderr_fd, tmp, sizeof(tmp));
            if (n > 0)
                (void)ch_buf_append(&log, tmp, (size_t)n);
        }
    }
    const char *line = strstr(ch_buf_cstr(&log), "\"GET /api/v1/me\"");
    if (line == NULL || !ch_test_contains(line, "route=me") ||
        !ch_test_contains(line, "principal=user:root") || !ch_test_contains(line, want))
        fail_msg("no log line with route, principal and %s:\n%s", want, ch_buf_cstr(&log));
    /* the token itself is never logged */
    assert_false(ch_test_contains(ch_buf_cstr(&log), e.root));
    ch_buf_release(&log);
    ch_test_response_release(&r);
    stop(&e);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_count_routes_statuses_and_latency),
        cmocka_unit_test(test_rate_limit_is_per_token_with_retry_after),
        cmocka_unit_test(test_connection_limit_refuses_extra_connections),
        cmocka_unit_test(test_private_mode_needs_a_token_everywhere),
        cmocka_unit_test(test_request_log_names_route_principal_and_id),
    };
    return cmocka_run_group_tests_name("api_ops", tests, NULL, NULL);
}
