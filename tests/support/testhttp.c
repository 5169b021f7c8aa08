/* SPDX-License-Identifier: Apache-2.0
 *
 * testhttp.c: see testhttp.h.
 */
#include "testhttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "testutil.h"

/* Leading decimal digits of s (test helper; the input is the server's own output). */
static int leading_int(const char *s)
{
    int v = 0;
    while (*s >= '0' && *s <= '9' && v < 100000000)
        v = v * 10 + (*s++ - '0');
    return v;
}

void ch_test_server_start(struct ch_test_server *s, const char *db_url,
                          const char *const *extra_args)
{
    memset(s, 0, sizeof(*s));
    s->dir = ch_test_tmpdir();
    if (db_url != NULL)
        snprintf(s->db_url, sizeof(s->db_url), "%s", db_url);
    else
        snprintf(s->db_url, sizeof(s->db_url), "sqlite:%s/ch.db", s->dir);
    char keys[600];
    snprintf(keys, sizeof(keys), "%s/keys", s->dir);
    const char *init[] = {"--db", s->db_url, "--keys", keys, "init", NULL};
    struct ch_buf out, err;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&err, 1 << 20);
    int rc = ch_test_run_cli(init, NULL, &out, &err);
    if (rc != 0)
        fail_msg("init failed (%d): %s", rc, ch_buf_cstr(&err));
    ch_buf_release(&out);
    ch_buf_release(&err);

    /*
     * The server's log goes to a file, not a pipe: a pipe nobody drains fills
     * up after a few hundred access-log lines and then blocks the server.
     */
    int out_p[2];
    assert_int_equal(pipe2(out_p, O_CLOEXEC), 0);
    char log_path[700];
    snprintf(log_path, sizeof(log_path), "%s/server.log", s->dir);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    assert_true(log_fd >= 0);
    const char *bin = getenv("CH_BINARY");
    assert_non_null(bin);
    const char *argv[64];
    size_t n = 0;
    argv[n++] = bin;
    argv[n++] = "--db";
    argv[n++] = s->db_url;
    argv[n++] = "--keys";
    argv[n++] = keys;
    argv[n++] = "serve";
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL && n < 62; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(out_p[1], 1);
        dup2(log_fd, 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(out_p[1]);
    close(log_fd);
    s->stderr_fd = open(log_path, O_RDONLY | O_CLOEXEC);
    assert_true(s->stderr_fd >= 0);
    char line[512];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {out_p[0], POLLIN, 0};
        if (poll(&p, 1, 20000) <= 0)
            fail_msg("server did not announce itself");
        ssize_t k = read(out_p[0], line + len, sizeof(line) - 1 - len);
        if (k <= 0)
            fail_msg("server exited before listening");
        len += (size_t)k;
        line[len] = '\0';
        char *at = strstr(line, "127.0.0.1:");
        if (at != NULL && strchr(at, ' ') != NULL) {
            s->port = leading_int(at + 10);
            break;
        }
    }
    close(out_p[0]);
    assert_true(s->port > 0);
}

void ch_test_server_stop(struct ch_test_server *s)
{
    kill(s->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300; i++) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (i == 299) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            fail_msg("server did not stop within 15 s of SIGTERM");
        }
    }
    /* the last 64 KiB of the server's log, shown when it did not exit cleanly */
    char log[65536];
    off_t size = lseek(s->stderr_fd, 0, SEEK_END);
    (void)lseek(s->stderr_fd, size > (off_t)sizeof(log) - 1 ? size - (off_t)sizeof(log) + 1 : 0,
                SEEK_SET);
    ssize_t n = read(s->stderr_fd, log, sizeof(log) - 1);
    close(s->stderr_fd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (n > 0) {
            log[n] = '\0';
            fprintf(stderr, "server log:\n%s\n", log);
        }
        fail_msg("server exited abnormally (status %d)", status);
    }
    ch_test_rmtree(s->dir);
    ch_free(s->dir);
    s->dir = NULL;
}

void ch_test_response_init(struct ch_test_response *r)
{
    r->status = 0;
    ch_buf_init(&r->headers, 1 << 20);
    ch_buf_init(&r->body, 512u << 20);
}

void ch_test_response_release(struct ch_test_response *r)
{
    ch_buf_release(&r->headers);
    ch_buf_release(&r->body);
}

int ch_test_response_header(const struct ch_test_response *r, const char *name, char *out,
                            size_t out_size)
{
    const char *h = ch_buf_cstr(&r->headers);
    size_t n = strlen(name);
    for (const char *line = h; *line != '\0';) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);
        if (len > n + 1 && strncmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t vlen = len - (size_t)(v - line);
            snprintf(out, out_size, "%.*s", (int)vlen, v);
            return 1;
        }
        if (eol == NULL)
            break;
        line = eol + 2;
    }
    return 0;
}

int ch_test_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int ch_test_send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ch_test_http_raw(int port, const char *data, size_t len, struct ch_buf *ret)
{
    int fd = ch_test_connect(port);
    if (fd < 0)
        return -1;
    int rc = ch_test_send_all(fd, data, len);
    ch_buf_reset(ret);
    char tmp[65536];
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 30000) <= 0)
            break;
        ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
        if (n <= 0)
            break;
        (void)ch_buf_append(ret, tmp, (size_t)n);
    }
    close(fd);
    return rc;
}

/* Decodes a chunked body in place into out. */
static void dechunk(const char *p, size_t len, struct ch_buf *out)
{
    size_t i = 0;
    while (i < len) {
        size_t size = 0;
        while (i < len && p[i] != '\r') {
            char c = p[i++];
            size = size * 16 + (size_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
        }
        i += 2;
        if (size == 0 || i + size > len)
            break;
        (void)ch_buf_append(out, p + i, size);
        i += size + 2;
    }
}

int ch_test_http(int port, const char *method, const char *path, const char *extra_headers,
                 const char *body, size_t body_len, struct ch_test_response *ret)
{
    struct ch_buf req, raw;
    ch_buf_init(&req, 600u << 20);
    ch_buf_init(&raw, 600u << 20);
    (void)ch_buf_appendf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", method,
                         path);
    if (body != NULL)
        (void)ch_buf_appendf(&req, "Content-Length: %zu\r\n", body_len);
    if (extra_headers != NULL)
        (void)ch_buf_append_c(&req, extra_headers);
    (void)ch_buf_append_c(&req, "\r\n");
    if (body != NULL)
        (void)ch_buf_append(&req, body, body_len);
    int rc = ch_test_http_raw(port, ch_buf_cstr(&req), ch_buf_len(&req), &raw);
    ch_buf_release(&req);
    ch_buf_reset(&ret->headers);
    ch_buf_reset(&ret->body);
    const char *r = ch_buf_cstr(&raw);
    const char *end = strstr(r, "\r\n\r\n");
    if (rc != 0 && end == NULL) {
        ch_buf_release(&raw);
        return -1;
    }
    if (end == NULL || strncmp(r, "HTTP/1.1 ", 9) != 0) {
        ch_buf_release(&raw);
        return -1;
    }
    ret->status = leading_int(r + 9);
    const char *hstart = strstr(r, "\r\n") + 2;
    /* lower-case header names, keep values as sent */
    int in_name = 1;
    for (const char *c = hstart; c < end + 2; c++) {
        char ch = *c;
        if (ch == ':')
            in_name = 0;
        if (ch == '\n')
            in_name = 1;
        if (in_name && ch >= 'A' && ch <= 'Z')
            ch = (char)(ch + 32);
        (void)ch_buf_append_byte(&ret->headers, ch);
    }
    const char *b = end + 4;
    size_t blen = ch_buf_len(&raw) - (size_t)(b - r);
    char te[64];
    if (ch_test_response_header(ret, "transfer-encoding", te, sizeof(te)) &&
        strstr(te, "chunked") != NULL)
        dechunk(b, blen, &ret->body);
    else
        (void)ch_buf_append(&ret->body, b, blen);
    ch_buf_release(&raw);
    return 0;
}

void ch_test_api(int port, const char *method, const char *path, const char *token,
                 const char *json, struct ch_test_response *ret)
{
    char headers[512] = "";
    size_t n = 0;
    if (token != NULL)
        n += (size_t)snprintf(headers + n, sizeof(headers) - n, "Authorization: Bearer %s\r\n",
                              token);
    if (json != NULL)
        snprintf(headers + n, sizeof(headers) - n, "Content-Type: application/json\r\n");
    if (ch_test_http(port, method, path, headers[0] ? headers : NULL, json,
                     json != NULL ? strlen(json) : 0, ret) != 0)
        fail_msg("%s %s: no answer", method, path);
}

void ch_test_api_expect(int port, const char *method, const char *path, const char *token,
                        const char *json, int status, struct ch_test_response *ret)
{
    ch_test_api(port, method, path, token, json, ret);
    if (ret->status != status)
        fail_msg("%s %s: status %d, expected %d: %s", method, path, ret->status, status,
                 ch_buf_cstr(&ret->body));
}

int ch_test_server_cli(const struct ch_test_server *s, const char *const *args, struct ch_buf *out,
                       struct ch_buf *errout)
{
    char keys[600];
    snprintf(keys, sizeof(keys), "%s/keys", s->dir);
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "--db";
    argv[n++] = s->db_url;
    argv[n++] = "--keys";
    argv[n++] = keys;
    for (size_t i = 0; args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct ch_buf o, e;
    ch_buf_init(&o, 64u << 20);
    ch_buf_init(&e, 64u << 20);
    int rc = ch_test_run_cli(argv, NULL, out != NULL ? out : &o, errout != NULL ? errout : &e);
    ch_buf_release(&o);
    ch_buf_release(&e);
    return rc;
}

char *ch_test_server_admin(const struct ch_test_server *s, const char *name)
{
    const char *args[] = {"init", "--admin", name, NULL};
    struct ch_buf out, err;
    ch_buf_init(&out, 1 << 20);
    ch_buf_init(&err, 1 << 20);
    int rc = ch_test_server_cli(s, args, &out, &err);
    if (rc != 0)
        fail_msg("init --admin %s failed (%d): %s", name, rc, ch_buf_cstr(&err));
    /* the token is the last line of stdout */
    const char *all = ch_buf_cstr(&out);
    const char *tok = strstr(all, "chk_");
    assert_non_null(tok);
    size_t len = strcspn(tok, "\r\n");
    char *ret = ch_malloc(len + 1);
    memcpy(ret, tok, len);
    ret[len] = '\0';
    ch_buf_release(&out);
    ch_buf_release(&err);
    return ret;
}

cJSON *ch_test_response_json(const struct ch_test_response *r)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    if (ch_json_parse(ch_buf_cstr(&r->body), ch_buf_len(&r->body), NULL, "response", &j, &err) !=
        CH_OK)
        fail_msg("response is not JSON: %s: %s", err.msg, ch_buf_cstr(&r->body));
    return j;
}
