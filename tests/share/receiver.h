/* SPDX-License-Identifier: Apache-2.0
 *
 * receiver.h: a tiny HTTP/1.1 server on 127.0.0.1 for the webhook tests.
 * It records every request (headers and body) and answers each with the next
 * scripted behaviour: a status code, optionally after a delay (a delay longer
 * than the client's timeout makes the client time out). When the script is
 * used up it answers `dflt_status`. One thread accepts and serves
 * connections one at a time (the delivery process sends sequentially).
 */
#ifndef CH_TESTS_SHARE_RECEIVER_H
#define CH_TESTS_SHARE_RECEIVER_H

#include <pthread.h>
#include <stddef.h>

#define RECV_MAX_REQUESTS 256
#define RECV_MAX_SCRIPT 64

struct recv_request {
    char *headers; /* raw header block, names as sent */
    char *body;
    size_t body_len;
};

struct recv_step {
    int status;
    int delay_ms;
};

struct receiver {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t mu;
    int stop;
    struct recv_step script[RECV_MAX_SCRIPT];
    size_t n_script, next_step;
    int dflt_status;
    struct recv_request req[RECV_MAX_REQUESTS];
    size_t n_req;
};

/* Starts listening on an ephemeral loopback port; asserts on failure. */
void recv_start(struct receiver *r, int dflt_status);
/* Appends a scripted answer. */
void recv_script(struct receiver *r, int status, int delay_ms);
/* Number of requests received so far (thread-safe). */
size_t recv_count(struct receiver *r);
/* Waits until at least n requests arrived or timeout_ms passed; returns the count. */
size_t recv_wait(struct receiver *r, size_t n, int timeout_ms);
/* Value of header `name` (case-insensitive) of request i into out; 0 when absent. */
int recv_header(struct receiver *r, size_t i, const char *name, char *out, size_t out_size);
void recv_stop(struct receiver *r);

#endif
