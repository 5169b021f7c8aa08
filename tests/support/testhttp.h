/* SPDX-License-Identifier: Apache-2.0
 *
 * testhttp.h: start the real `clearinghouse serve` on an ephemeral loopback
 * port and talk HTTP/1.1 to it over real sockets (no client library, so
 * tests control every byte: malformed requests, slow clients, huge bodies).
 */
#ifndef CH_TESTS_TESTHTTP_H
#define CH_TESTS_TESTHTTP_H

#include <sys/types.h>

#include "core/buf.h"
#include "core/json.h"

struct ch_test_server {
    pid_t pid;
    int port;
    char db_url[1100];
    char *dir;     /* temporary directory holding the database and keys */
    int stderr_fd; /* the server's log, readable by the test */
};

/*
 * Initialises a fresh database in a temp dir (clearinghouse init) unless
 * db_url is given, starts the server with extra serve arguments (NULL-
 * terminated, may be NULL) and waits for its "listening on" line.
 */
void ch_test_server_start(struct ch_test_server *s, const char *db_url,
                          const char *const *extra_args);
/* SIGTERM, wait for exit; asserts the server exited 0 within the timeout. */
void ch_test_server_stop(struct ch_test_server *s);

struct ch_test_response {
    int status;
    struct ch_buf headers; /* raw header block, lower-cased names */
    struct ch_buf body;
};

void ch_test_response_init(struct ch_test_response *r);
void ch_test_response_release(struct ch_test_response *r);
/* Value of a response header (lower-case name) into out, or 0 when absent. */
int ch_test_response_header(const struct ch_test_response *r, const char *name, char *out,
                            size_t out_size);

/*
 * Sends one request (Connection: close) and reads the whole answer.
 * extra_headers: "Name: value\r\n" lines or NULL. body may be NULL.
 * Returns 0, or -1 if the connection failed or closed without a response.
 */
int ch_test_http(int port, const char *method, const char *path, const char *extra_headers,
                 const char *body, size_t body_len, struct ch_test_response *ret);

/* Sends raw bytes and returns whatever the server answers before closing (test of malformed input).
 */
int ch_test_http_raw(int port, const char *data, size_t len, struct ch_buf *ret);

/* Connects and returns the socket fd (for slow-client tests). */
int ch_test_connect(int port);
/* Writes all of p to the socket (no SIGPIPE); 0, or -1 when the connection failed. */
int ch_test_send_all(int fd, const char *p, size_t len);

/*
 * An API call: as ch_test_http() with "Authorization: Bearer <token>" when
 * token is not NULL and "Content-Type: application/json" when json is not
 * NULL. Asserts that an answer came.
 */
void ch_test_api(int port, const char *method, const char *path, const char *token,
                 const char *json, struct ch_test_response *ret);
/* ch_test_api() and the status; fails the test naming the body when it differs. */
void ch_test_api_expect(int port, const char *method, const char *path, const char *token,
                        const char *json, int status, struct ch_test_response *ret);

/*
 * Runs the CLI on the server's database and keys ("--db URL --keys DIR" are
 * prepended to args). Returns the exit code; out/errout may be NULL.
 */
int ch_test_server_cli(const struct ch_test_server *s, const char *const *args, struct ch_buf *out,
                       struct ch_buf *errout);

/* The response body parsed as JSON (owned: cJSON_Delete); fails the test when it is not. */
cJSON *ch_test_response_json(const struct ch_test_response *r);

/* `init --admin NAME` on the server's database; returns the owned token (ch_free). */
char *ch_test_server_admin(const struct ch_test_server *s, const char *name);

#endif
