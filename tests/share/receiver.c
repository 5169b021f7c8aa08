/* SPDX-License-Identifier: Apache-2.0
 *
 * receiver.c: see receiver.h. Test code: plain POSIX sockets, bounded reads.
 */
#include "receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_MAX_BYTES (1 << 20)

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static size_t content_length(const char *headers)
{
    const char *p = headers;
    while ((p = strchr(p, '\n')) != NULL) {
        p++;
        if (strncasecmp(p, "content-length:", 15) == 0) {
            size_t n = 0;
            for (const char *q = p + 15; *q == ' ' || (*q >= '0' && *q <= '9'); q++) {
                if (*q != ' ')
                    n = n * 10 + (size_t)(*q - '0');
            }
            return n;
        }
    }
    return 0;
}

static void serve(struct receiver *r, int c)
{
    char *buf = malloc(RECV_MAX_BYTES + 1);
    size_t len = 0;
    char *end = NULL;
    while (len < RECV_MAX_BYTES) {
        struct pollfd pfd = {.fd = c, .events = POLLIN};
        if (poll(&pfd, 1, 5000) <= 0)
            break;
        ssize_t k = read(c, buf + len, RECV_MAX_BYTES - len);
        if (k <= 0)
            break;
        len += (size_t)k;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL && len >= (size_t)(end + 4 - buf) + content_length(buf))
            break;
    }
    if (end == NULL) {
        free(buf);
        return;
    }
    size_t hlen = (size_t)(end - buf);
    size_t blen = len - hlen - 4;
    struct recv_step step = {.status = r->dflt_status};
    pthread_mutex_lock(&r->mu);
    if (r->n_req < RECV_MAX_REQUESTS) {
        struct recv_request *q = &r->req[r->n_req++];
        q->headers = strndup(buf, hlen);
        q->body = strndup(end + 4, blen);
        q->body_len = blen;
    }
    if (r->next_step < r->n_script)
        step = r->script[r->next_step++];
    pthread_mutex_unlock(&r->mu);
    free(buf);
    if (step.delay_ms > 0)
        sleep_ms(step.delay_ms);
    char resp[128];
    int n =
        snprintf(resp, sizeof(resp),
                 "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", step.status);
    ssize_t w = send(c, resp, (size_t)n, MSG_NOSIGNAL);
    (void)w;
}

static void *loop(void *arg)
{
    struct receiver *r = arg;
    for (;;) {
        struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, 50);
        pthread_mutex_lock(&r->mu);
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
        if (pr <= 0)
            continue;
        int c = accept(r->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve(r, c);
        close(c);
    }
    return NULL;
}

void recv_start(struct receiver *r, int dflt_status)
{
    memset(r, 0, sizeof(*r));
    r->dflt_status = dflt_status;
    pthread_mutex_init(&r->mu, NULL);
    r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->fd < 0)
        abort();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    if (bind(r->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(r->fd, 16) != 0 ||
        getsockname(r->fd, (struct sockaddr *)&a, &al) != 0)
        abort();
    r->port = ntohs(a.sin_port);
    if (pthread_create(&r->thread, NULL, loop, r) != 0)
        abort();
}

void recv_script(struct receiver *r, int status, int delay_ms)
{
    pthread_mutex_lock(&r->mu);
    if (r->n_script < RECV_MAX_SCRIPT)
        r->script[r->n_script++] = (struct recv_step){status, delay_ms};
    pthread_mutex_unlock(&r->mu);
}

size_t recv_count(struct receiver *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->n_req;
    pthread_mutex_unlock(&r->mu);
    return n;
}

size_t recv_wait(struct receiver *r, size_t n, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (recv_count(r) >= n)
            break;
        sleep_ms(10);
    }
    return recv_count(r);
}

int recv_header(struct receiver *r, size_t i, const char *name, char *out, size_t out_size)
{
    int found = 0;
    pthread_mutex_lock(&r->mu);
    if (i < r->n_req) {
        size_t nl = strlen(name);
        const char *p = r->req[i].headers;
        while (p != NULL && *p != '\0') {
            const char *eol = strstr(p, "\r\n");
            size_t ll = eol != NULL ? (size_t)(eol - p) : strlen(p);
            if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
                const char *v = p + nl + 1;
                while (*v == ' ')
                    v++;
                size_t vl = ll - (size_t)(v - p);
                if (vl >= out_size)
                    vl = out_size - 1;
                memcpy(out, v, vl);
                out[vl] = '\0';
                found = 1;
                break;
            }
            p = eol != NULL ? eol + 2 : NULL;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return found;
}

void recv_stop(struct receiver *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    close(r->fd);
    for (size_t i = 0; i < r->n_req; i++) {
        free(r->req[i].headers);
        free(r->req[i].body);
    }
    pthread_mutex_destroy(&r->mu);
}
