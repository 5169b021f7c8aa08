/* SPDX-License-Identifier: Apache-2.0
 *
 * The real server on an ephemeral loopback port, exercised over sockets:
 * health, routing errors as JSON, limits on bodies and slow clients,
 * malformed requests, and graceful shutdown.
 */
#include "testhttp.h"
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"

static struct ch_test_server srv;

static int start(void **state)
{
    static const char *const args[] = {"--timeout",   "700",
                                       "--loops",     "2",
                                       "--workers",   "2",
                                       "--base-url",  "https://ch.example.gov",
                                       "--publisher", "Example Agency",
                                       NULL};
    /* no directives: neither from the caller's environment nor in the working directory */
    unsetenv("CLEARINGHOUSE_DIRECTIVES");
    ch_test_server_start(&srv, NULL, args);
    return 0;
}

static int stop(void **state)
{
    ch_test_server_stop(&srv);
    return 0;
}

static cJSON *json_body(struct ch_test_response *r)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    if (ch_json_parse(ch_buf_cstr(&r->body), ch_buf_len(&r->body), NULL, "response", &j, &err) !=
        CH_OK)
        fail_msg("response is not JSON: %s: %s", err.msg, ch_buf_cstr(&r->body));
    return j;
}

static void test_healthz_answers_json(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    assert_int_equal(ch_test_http(srv.port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    char ct[128];
    assert_true(ch_test_response_header(&r, "content-type", ct, sizeof(ct)));
    assert_string_equal(ct, "application/json");
    assert_true(ch_test_response_header(&r, "x-request-id", ct, sizeof(ct)));
    cJSON *j = json_body(&r);
    assert_string_equal(ch_json_str(j, "status"), "ok");
    assert_non_null(ch_json_str(j, "version"));
    assert_true(cJSON_GetObjectItem(j, "schema_version")->valuedouble >= 1);
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

static void test_readyz_reaches_database(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    assert_int_equal(ch_test_http(srv.port, "GET", "/readyz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    cJSON *j = json_body(&r);
    assert_string_equal(ch_json_str(j, "status"), "ready");
    assert_non_null(ch_json_str(j, "database"));
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

static void test_unknown_route_is_json_404(void **state)
{
    const char *paths[] = {"/nope", "/healthz/extra", "/../etc/passwd", "/healthz%00",
                           "/api/v1/'%20OR%201=1--"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct ch_test_response r;
        ch_test_response_init(&r);
        assert_int_equal(ch_test_http(srv.port, "GET", paths[i], NULL, NULL, 0, &r), 0);
        if (r.status != 404 && r.status != 400)
            fail_msg("%s: status %d", paths[i], r.status);
        if (r.status == 404) {
            cJSON *j = json_body(&r);
            const cJSON *e = ch_json_obj(j, "error");
            assert_non_null(e);
            assert_string_equal(ch_json_str(e, "code"), "not_found");
            cJSON_Delete(j);
        }
        ch_test_response_release(&r);
    }
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    assert_int_equal(ch_test_http(srv.port, "DELETE", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 405);
    char allow[64];
    assert_true(ch_test_response_header(&r, "allow", allow, sizeof(allow)));
    assert_string_equal(allow, "GET, HEAD");
    ch_test_response_release(&r);
}

static void test_oversized_body_is_413(void **state)
{
    size_t len = (16u << 20) + 1;
    struct ch_buf big;
    ch_buf_init(&big, 32u << 20);
    char chunk[4096];
    memset(chunk, 'a', sizeof(chunk));
    while (ch_buf_len(&big) < len)
        (void)ch_buf_append(&big, chunk, sizeof(chunk));
    struct ch_test_response r;
    ch_test_response_init(&r);
    int rc = ch_test_http(srv.port, "POST", "/healthz", NULL, ch_buf_cstr(&big), len, &r);
    /* the server may close while we still send; either way nothing is accepted */
    if (rc == 0)
        assert_int_equal(r.status, 413);
    ch_test_response_release(&r);
    ch_buf_release(&big);
}

static void test_malformed_request_is_rejected(void **state)
{
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    const char bad[] = "GARBAGE\r\n\r\n";
    ch_test_http_raw(srv.port, bad, sizeof(bad) - 1, &out);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "HTTP/1.1 400"));
    ch_buf_reset(&out);
    const char nul[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: \x01\x02\r\n\r\n";
    ch_test_http_raw(srv.port, nul, sizeof(nul) - 1, &out);
    ch_buf_release(&out);
}

static void test_slow_client_is_closed_after_timeout(void **state)
{
    int fd = ch_test_connect(srv.port);
    assert_true(fd >= 0);
    const char partial[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal(write(fd, partial, sizeof(partial) - 1), (ssize_t)(sizeof(partial) - 1));
    /* never finish the headers: the server must hang up within a few seconds */
    struct pollfd p = {fd, POLLIN, 0};
    int64_t t0 = ch_clock_mono_ms();
    int closed = 0;
    while (ch_clock_mono_ms() - t0 < 5000) {
        if (poll(&p, 1, 100) > 0) {
            char tmp[512];
            ssize_t n = read(fd, tmp, sizeof(tmp));
            if (n <= 0) {
                closed = 1;
                break;
            }
        }
    }
    close(fd);
    assert_true(closed);
}

static void test_concurrent_requests(void **state)
{
    /* many requests through both loops and the worker pool */
    for (int i = 0; i < 200; i++) {
        struct ch_test_response r;
        ch_test_response_init(&r);
        assert_int_equal(
            ch_test_http(srv.port, "GET", i % 2 ? "/readyz" : "/healthz", NULL, NULL, 0, &r), 0);
        assert_int_equal(r.status, 200);
        ch_test_response_release(&r);
    }
}

static void test_csaf_feed_names_the_configured_publisher(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    assert_int_equal(ch_test_http(srv.port, "GET", "/.well-known/csaf/provider-metadata.json", NULL,
                                  NULL, 0, &r),
                     0);
    assert_int_equal(r.status, 200);
    cJSON *j = json_body(&r);
    assert_string_equal(ch_json_str(j, "canonical_url"),
                        "https://ch.example.gov/.well-known/csaf/provider-metadata.json");
    assert_string_equal(ch_json_str(ch_json_obj(j, "publisher"), "name"), "Example Agency");
    cJSON_Delete(j);
    ch_test_response_release(&r);
}

static void test_serve_rejects_a_bad_base_url(void **state)
{
    /* usage errors exit 2 before anything is opened */
    static const char *const bad[] = {"ftp://x", "https://", "https://x/", "https://a b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *bin = getenv("CH_BINARY");
        assert_non_null(bin);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int null_fd = open("/dev/null", O_WRONLY);
            dup2(null_fd, 2);
            execl(bin, bin, "serve", "--base-url", bad[i], (char *)NULL);
            _exit(127);
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 2);
    }
}

/* Started without directives, the server serves everything else and says why it cannot decide. */
static void test_without_directives_remediation_changes_are_503(void **state)
{
    char *tok = ch_test_server_admin(&srv, "rem-admin");
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/assets", tok, NULL, 200, &r);
    static const char *const paths[] = {"/api/v1/directives", "/api/v1/priority",
                                        "/api/v1/compliance"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        ch_test_api_expect(srv.port, "GET", paths[i], tok, NULL, 503, &r);
        assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"code\":\"unavailable\""));
    }
    ch_test_api_expect(srv.port, "PATCH", "/api/v1/assets/1", tok, "{\"internet_facing\":\"no\"}",
                       503, &r);
    ch_test_response_release(&r);
    ch_free(tok);
}

/* A folder named with --directives must load: the server does not start without it. */
static void test_serve_refuses_directives_that_do_not_load(void **state)
{
    const char *bin = getenv("CH_BINARY");
    assert_non_null(bin);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        execl(bin, bin, "serve", "--listen", "127.0.0.1:0", "--directives",
              "/nonexistent/directives", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_true(WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 127);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz_answers_json),
        cmocka_unit_test(test_readyz_reaches_database),
        cmocka_unit_test(test_unknown_route_is_json_404),
        cmocka_unit_test(test_wrong_method_is_405_with_allow),
        cmocka_unit_test(test_oversized_body_is_413),
        cmocka_unit_test(test_malformed_request_is_rejected),
        cmocka_unit_test(test_slow_client_is_closed_after_timeout),
        cmocka_unit_test(test_concurrent_requests),
        cmocka_unit_test(test_csaf_feed_names_the_configured_publisher),
        cmocka_unit_test(test_serve_rejects_a_bad_base_url),
        cmocka_unit_test(test_without_directives_remediation_changes_are_503),
        cmocka_unit_test(test_serve_refuses_directives_that_do_not_load),
    };
    return cmocka_run_group_tests_name("serve", tests, start, stop);
}
