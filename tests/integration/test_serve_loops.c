/* SPDX-License-Identifier: Apache-2.0
 *
 * Two event loops under concurrent load: keep-alive clients alternating a
 * route answered on the loop (/healthz) with one answered by a worker
 * (/readyz), while other clients send a request and reset the connection at
 * once, so that h2o disposes of requests whose job a worker still runs.
 * Regression test for loops that shared one thread's h2o buffer recycler
 * (their queues' sockets were created on the main thread): the server
 * aborted or corrupted memory within seconds of such load. It must answer
 * every request, on both loops, and shut down cleanly, also when SIGTERM
 * arrives while workers still run jobs of vanished clients.
 */
#include "testhttp.h"
#include "testutil.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/clock.h"

/* Long enough for thousands of queue hand-offs on each loop, short enough for CI under ASan. */
#define LOAD_MS 3000
#define N_KEEPALIVE 6
/* requests on one keep-alive connection before the client opens another */
#define KEEPALIVE_REQUESTS 64
#define N_ABANDON 2
/* A response of ours is small; a larger one means the client lost track of framing. */
#define RESPONSE_MAX 16384
#define IO_TIMEOUT_MS 5000

struct load {
    int port;
    int64_t until_ms;
    atomic_long answered;   /* complete 200 responses */
    atomic_long failed;     /* requests that got no complete 200 response */
    atomic_long abandoned;  /* requests sent on a connection reset right after */
    atomic_long by_loop[2]; /* answers by the x-request-id's loop prefix */
};

static void set_timeouts(int fd)
{
    struct timeval tv = {.tv_sec = IO_TIMEOUT_MS / 1000};
    /* best effort: without them a hung server still fails the test, at ctest's timeout */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int send_str(int fd, const char *s)
{
    return ch_test_send_all(fd, s, strlen(s));
}

/* Value of a header in a NUL-terminated header block (name without the colon), or NULL. */
static const char *find_header(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, n) == 0 && line[2 + n] == ':') {
            const char *v = line + 3 + n;
            while (*v == ' ')
                v++;
            return v;
        }
    }
    return NULL;
}

/* Reads one response on a keep-alive connection; 0 when it is a complete 200. */
static int read_response(int fd, struct load *ld)
{
    char buf[RESPONSE_MAX + 1];
    size_t have = 0;
    char *end = NULL;
    while (end == NULL) {
        if (have == RESPONSE_MAX)
            return -1;
        ssize_t n = recv(fd, buf + have, RESPONSE_MAX - have, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    end[2] = '\0'; /* the header block, each line ending in CRLF */
    const char *cl = find_header(buf, "content-length");
    if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0 || cl == NULL)
        return -1;
    size_t body = 0;
    while (*cl >= '0' && *cl <= '9' && body < RESPONSE_MAX)
        body = body * 10 + (size_t)(*cl++ - '0');
    size_t want = (size_t)(end + 4 - buf) + body;
    while (have < want) {
        if (want > RESPONSE_MAX)
            return -1;
        ssize_t n = recv(fd, buf + have, want - have, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    const char *id = find_header(buf, "x-request-id");
    if (id != NULL && (id[0] == '0' || id[0] == '1') && id[1] == '-')
        atomic_fetch_add(&ld->by_loop[id[0] - '0'], 1);
    return have == want ? 0 : -1;
}

static void *keepalive_client(void *arg)
{
    struct load *ld = arg;
    int fd = -1;
    for (unsigned i = 0; ch_clock_mono_ms() < ld->until_ms; i++) {
        if (fd < 0) {
            fd = ch_test_connect(ld->port);
            if (fd < 0) {
                atomic_fetch_add(&ld->failed, 1);
                continue;
            }
            set_timeouts(fd);
        }
        const char *req = i % 2 ? "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n"
                                : "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
        if (send_str(fd, req) != 0 || read_response(fd, ld) != 0) {
            atomic_fetch_add(&ld->failed, 1);
            close(fd);
            fd = -1;
            continue;
        }
        atomic_fetch_add(&ld->answered, 1);
        /* A new connection now and then: both loops wait on the one listening socket
         * and the first to wake takes a connection, so six connections made at once
         * could all go to one loop (it happened under load), and the test would show
         * nothing about the other. Dozens of connections each make that vanishingly
         * unlikely. */
        if (i % KEEPALIVE_REQUESTS == KEEPALIVE_REQUESTS - 1) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* Sends a request that goes to a worker and resets the connection without reading. */
static void abandon_one(struct load *ld)
{
    int fd = ch_test_connect(ld->port);
    if (fd < 0)
        return;
    if (send_str(fd, "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n") == 0)
        atomic_fetch_add(&ld->abandoned, 1);
    /* let the loop read the request and hand it to a worker, then reset */
    struct pollfd p = {fd, POLLIN, 0};
    (void)poll(&p, 1, 1); /* only a pause: whether an answer came does not matter */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)); /* else a plain close */
    close(fd);
}

static void *abandoning_client(void *arg)
{
    struct load *ld = arg;
    while (ch_clock_mono_ms() < ld->until_ms)
        abandon_one(ld);
    return NULL;
}

static void run_load(struct load *ld, int port, int64_t ms)
{
    ld->port = port;
    ld->until_ms = ch_clock_mono_ms() + ms;
    pthread_t th[N_KEEPALIVE + N_ABANDON];
    for (int i = 0; i < N_KEEPALIVE + N_ABANDON; i++) {
        void *(*fn)(void *) = i < N_KEEPALIVE ? keepalive_client : abandoning_client;
        assert_int_equal(pthread_create(&th[i], NULL, fn, ld), 0);
    }
    for (int i = 0; i < N_KEEPALIVE + N_ABANDON; i++)
        pthread_join(th[i], NULL);
}

static void test_two_loops_answer_every_request_under_load(void **state)
{
    static const char *const args[] = {"--loops", "2", "--workers", "4", NULL};
    struct ch_test_server srv;
    ch_test_server_start(&srv, NULL, args);
    struct load ld = {0};
    run_load(&ld, srv.port, LOAD_MS);
    long answered = atomic_load(&ld.answered);
    long failed = atomic_load(&ld.failed);
    print_message("%ld answered (loop 0: %ld, loop 1: %ld), %ld failed, %ld abandoned\n", answered,
                  atomic_load(&ld.by_loop[0]), atomic_load(&ld.by_loop[1]), failed,
                  atomic_load(&ld.abandoned));
    if (failed != 0 || answered < 200)
        fail_msg("%ld answered, %ld failed", answered, failed);
    assert_true(atomic_load(&ld.abandoned) > 0);
    /* connections spread over both loops, or the test proves nothing */
    assert_true(atomic_load(&ld.by_loop[0]) > 0);
    assert_true(atomic_load(&ld.by_loop[1]) > 0);
    /* still serving after the load */
    struct ch_test_response r;
    ch_test_response_init(&r);
    assert_int_equal(ch_test_http(srv.port, "GET", "/readyz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    ch_test_response_release(&r);
    ch_test_server_stop(&srv); /* asserts a clean exit: no abort, no sanitizer report */
}

/* Each loop outlives the jobs it handed out: their answers come back through its queue. */
static void test_two_loops_stop_while_workers_run_abandoned_jobs(void **state)
{
    static const char *const args[] = {"--loops", "2", "--workers", "2", NULL};
    struct ch_test_server srv;
    ch_test_server_start(&srv, NULL, args);
    struct load ld = {.port = srv.port};
    for (int i = 0; i < 64; i++)
        abandon_one(&ld);
    ch_test_server_stop(&srv);
    assert_true(atomic_load(&ld.abandoned) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_loops_answer_every_request_under_load),
        cmocka_unit_test(test_two_loops_stop_while_workers_run_abandoned_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
