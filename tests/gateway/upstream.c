/* SPDX-License-Identifier: Apache-2.0
 *
 * upstream.c: a tiny OpenAI-compatible chat-completions server on loopback
 * for the gateway's tests and benchmark (not part of the product).
 *
 * POST .../chat/completions answers a fixed completion with usage. HTTP/1.1
 * keep-alive, one thread per connection. In slow mode the answer is sent
 * with chunked transfer encoding, one small chunk every `slow_chunk_ms`, for
 * `slow_chunks` chunks, so a test can revoke access while the answer is on
 * the wire; the server notes when the client went away before the end.
 * The last request's body and Authorization header are kept for checks.
 *
 * Included as source (#include "../gateway/upstream.c") by
 * tests/integration/test_gateway.c and bench/gateway_bench.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UP_MAX_CONNS 256
#define UP_MAX_REQUEST (1 << 20)

struct upstream {
    int listen_fd;
    int port;
    pthread_t accept_thread;
    atomic_bool stopping;
    pthread_mutex_t mu;
    int conn_fds[UP_MAX_CONNS];
    pthread_t conn_threads[UP_MAX_CONNS];
    int n_conns;
    /* behaviour */
    atomic_int slow_chunks; /* 0: answer at once */
    atomic_int slow_chunk_ms;
    /* observations */
    atomic_int requests;
    atomic_int cut_by_client; /* slow answers the client abandoned */
    char last_body[8192];
    char last_auth[256];
};

struct up_conn {
    struct upstream *u;
    int fd;
};

static bool up_send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The decimal number after optional spaces (the Content-Length value). */
static size_t up_digits(const char *p)
{
    size_t v = 0;
    while (*p == ' ')
        p++;
    while (*p >= '0' && *p <= '9' && v < UP_MAX_REQUEST)
        v = v * 10 + (size_t)(*p++ - '0');
    return v;
}

static const char up_answer[] =
    "{\"id\":\"chatcmpl-test\",\"object\":\"chat.completion\",\"model\":\"upstream\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"pong\"},"
    "\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}";

static bool up_reply(struct upstream *u, int fd)
{
    char head[256];
    int chunks = atomic_load(&u->slow_chunks);
    if (chunks <= 0) {
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         sizeof(up_answer) - 1);
        return up_send_all(fd, head, (size_t)n) &&
               up_send_all(fd, up_answer, sizeof(up_answer) - 1);
    }
    static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n";
    if (!up_send_all(fd, h, sizeof(h) - 1))
        return false;
    /* White space before the JSON document: valid JSON once complete. */
    for (int i = 0; i < chunks; i++) {
        if (!up_send_all(fd, "1\r\n \r\n", 6)) {
            atomic_fetch_add(&u->cut_by_client, 1);
            return false;
        }
        usleep((useconds_t)atomic_load(&u->slow_chunk_ms) * 1000u);
        if (atomic_load(&u->stopping))
            return false;
    }
    int n = snprintf(head, sizeof(head), "%zx\r\n", sizeof(up_answer) - 1);
    return up_send_all(fd, head, (size_t)n) && up_send_all(fd, up_answer, sizeof(up_answer) - 1) &&
           up_send_all(fd, "\r\n0\r\n\r\n", 7);
}

static void *up_conn_main(void *arg)
{
    struct up_conn *c = arg;
    struct upstream *u = c->u;
    char *buf = malloc(UP_MAX_REQUEST + 1);
    size_t have = 0;
    while (buf != NULL && !atomic_load(&u->stopping)) {
        char *end = NULL;
        while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
            if (have == UP_MAX_REQUEST)
                goto out;
            ssize_t r = recv(c->fd, buf + have, UP_MAX_REQUEST - have, 0);
            if (r <= 0)
                goto out;
            have += (size_t)r;
        }
        buf[have] = '\0';
        size_t head_len = (size_t)(end - buf) + 4;
        size_t clen = 0;
        for (char *p = buf; p < end; p++) {
            if (strncasecmp(p, "\r\ncontent-length:", 17) == 0)
                clen = up_digits(p + 17);
            if (strncasecmp(p, "\r\nauthorization:", 16) == 0) {
                char *e = strstr(p + 2, "\r\n");
                size_t n = e != NULL ? (size_t)(e - (p + 16)) : 0;
                pthread_mutex_lock(&u->mu);
                snprintf(u->last_auth, sizeof(u->last_auth), "%.*s", (int)n, p + 16);
                pthread_mutex_unlock(&u->mu);
            }
        }
        if (head_len + clen > UP_MAX_REQUEST)
            goto out;
        while (have < head_len + clen) {
            ssize_t r = recv(c->fd, buf + have, UP_MAX_REQUEST - have, 0);
            if (r <= 0)
                goto out;
            have += (size_t)r;
        }
        pthread_mutex_lock(&u->mu);
        snprintf(u->last_body, sizeof(u->last_body), "%.*s", (int)clen, buf + head_len);
        pthread_mutex_unlock(&u->mu);
        atomic_fetch_add(&u->requests, 1);
        if (!up_reply(u, c->fd))
            goto out;
        memmove(buf, buf + head_len + clen, have - head_len - clen);
        have -= head_len + clen;
    }
out:
    free(buf);
    free(c);
    return NULL;
}

static void *up_accept_main(void *arg)
{
    struct upstream *u = arg;
    while (!atomic_load(&u->stopping)) {
        int fd = accept4(u->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct up_conn *c = malloc(sizeof(*c));
        pthread_mutex_lock(&u->mu);
        if (c == NULL || u->n_conns == UP_MAX_CONNS || atomic_load(&u->stopping)) {
            pthread_mutex_unlock(&u->mu);
            free(c);
            close(fd);
            continue;
        }
        c->u = u;
        c->fd = fd;
        int i = u->n_conns++;
        u->conn_fds[i] = fd;
        if (pthread_create(&u->conn_threads[i], NULL, up_conn_main, c) != 0) {
            u->n_conns--;
            close(fd);
            free(c);
        }
        pthread_mutex_unlock(&u->mu);
    }
    return NULL;
}

/* Starts the server on 127.0.0.1 and an ephemeral port; 0 on success. */
static int upstream_start(struct upstream *u)
{
    memset(u, 0, sizeof(*u));
    pthread_mutex_init(&u->mu, NULL);
    u->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (u->listen_fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (bind(u->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(u->listen_fd, 128) != 0 ||
        getsockname(u->listen_fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    u->port = ntohs(a.sin_port);
    atomic_store(&u->slow_chunk_ms, 100);
    return pthread_create(&u->accept_thread, NULL, up_accept_main, u) == 0 ? 0 : -1;
}

static void upstream_stop(struct upstream *u)
{
    atomic_store(&u->stopping, true);
    shutdown(u->listen_fd, SHUT_RDWR);
    close(u->listen_fd);
    pthread_join(u->accept_thread, NULL);
    pthread_mutex_lock(&u->mu);
    int n = u->n_conns;
    for (int i = 0; i < n; i++)
        shutdown(u->conn_fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&u->mu);
    for (int i = 0; i < n; i++) {
        pthread_join(u->conn_threads[i], NULL);
        close(u->conn_fds[i]);
    }
    pthread_mutex_destroy(&u->mu);
}
