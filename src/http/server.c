/* SPDX-License-Identifier: Apache-2.0
 *
 * server.c: h2o event loops, request dispatch to the route table, the worker
 * pool hand-off and graceful shutdown (see server.h).
 *
 * Request lifecycle: on_req() matches the route and copies what the handler
 * needs (method, path, query, a few headers, the body) into a heap "job"
 * with its own arena, because h2o frees the request's memory when the client
 * goes away, which may happen while a worker is still running. A small link
 * object attached to the request's pool connects the two: when h2o disposes
 * of the request first, the link tells the job there is nobody to answer;
 * when the job finishes first, the loop sends the response and unhooks the
 * link. Both sides run on the loop thread, so no lock is needed.
 *
 * Thread ownership: every h2o object of a loop (its evloop, context,
 * listening socket and multithread queue) is created, used and disposed of
 * on that loop's thread. h2o recycles socket buffers through a per-thread
 * free list (h2o_socket_buffer_prototype is thread-local) and a buffer
 * remembers the list of the thread that created its socket; a socket
 * created on another thread would make two loops share one list without a
 * lock. Workers touch no h2o object: they only post finished jobs to the
 * loop's queue, and a loop outlives every job it handed out.
 */
#include "http/server.h"

#define H2O_USE_LIBUV 0
#include <errno.h>
#include <fcntl.h>
#include <h2o.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/num.h"
#include "core/workq.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/errmap.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/router.h"
#include "store/store.h"

#define LISTEN_BACKLOG 1024
/* File descriptors kept free for the database, keys and logs under the connection limit. */
#define RESERVED_FDS 64u
/* Upper bound of the default connection limit (the fd limit may be lower). */
#define DEFAULT_MAX_CONNECTIONS 4096u
/* Name under which on_req leaves the link in req->env for the access logger. */
#define LINK_ENV "ch.link"

struct server;

/*
 * One event loop. Created by ch_server_run (srv, index, listen_fd); everything
 * from evloop down is set up and torn down by the loop's own thread (see the
 * file comment), and only that thread touches it, except stop_receiver, which
 * h2o_multithread_send_message() may be given from any thread once the loop
 * reported ready.
 */
struct loop {
    h2o_context_t ctx; /* first: on_req finds its loop from req->conn->ctx */
    struct server *srv;
    unsigned index;
    pthread_t thread;
    int listen_fd; /* dup of the shared socket; the loop's listener owns it once started */
    h2o_loop_t *evloop;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t done_receiver;
    h2o_multithread_receiver_t stop_receiver;
    h2o_multithread_message_t stop_msg;
    int stopping;
    int abandoned;      /* shutdown deadline passed with connections or jobs still open */
    size_t inflight;    /* requests h2o has not disposed of yet */
    size_t outstanding; /* jobs given to the workers and not yet back through the queue */
    uint64_t next_id;
};

struct server {
    const struct ch_server_options *opts;
    struct ch_app *app;
    h2o_globalconf_t config;
    int listen_fd;
    struct loop *loops;
    unsigned n_loops;
    struct ch_workq *workq;
    struct ch_ratelimit *ratelimit;
    int64_t max_connections;
    int64_t checkpointed_seq; /* highest signed audit entry known; atomic */
    /* Start-up latch: each loop thread counts itself in once its h2o objects exist. */
    pthread_mutex_t ready_mu;
    pthread_cond_t ready_cv;
    unsigned n_ready;
};

struct job;

/* Lives in the request's pool; see the file comment. Also carries what the access log needs. */
struct link {
    struct job *job;
    struct loop *loop;
    const char *route_name; /* static; "-" until a route matched */
    char principal[136];    /* "user:<name>" or "-" */
    char request_id[24];
};

struct job {
    h2o_multithread_message_t msg; /* first: the receiver gets jobs as messages */
    struct loop *loop;
    h2o_req_t *req; /* NULL once h2o disposed of the request */
    struct link *link;
    const struct ch_route *route;
    struct ch_http_call call;
    char *body_copy;
    int64_t worker_ns; /* time the handler held a worker */
};

struct my_handler {
    h2o_handler_t super;
    struct server *srv;
};

struct my_logger {
    h2o_logger_t super;
};

/* ---- jobs ---- */

static void job_free(struct job *j)
{
    if (j == NULL)
        return;
    ch_buf_release(&j->call.res.body);
    ch_arena_free(j->call.arena);
    ch_free(j->body_copy);
    ch_free(j);
}

/* Strong ETag over the response body: a hash, so equal bodies get equal tags. */
static void etag_of(const struct ch_buf *body, char out[36])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof(h), (const unsigned char *)ch_buf_cstr(body), ch_buf_len(body),
                       NULL, 0);
    out[0] = '"';
    sodium_bin2hex(out + 1, 33, h, sizeof(h));
    out[33] = '"';
    out[34] = '\0';
}

/* If-None-Match: a comma list of tags (weak ones compare equal, RFC 9110 §13.1.2) or "*". */
static bool etag_matches(struct ch_str inm, const char *tag)
{
    struct ch_str rest = inm, item;
    while (ch_str_split_next(&rest, ',', &item)) {
        item = ch_str_trim(item);
        if (ch_str_eq_c(item, "*"))
            return true;
        if (ch_str_starts_with(item, "W/"))
            item = ch_str_make(item.ptr + 2, item.len - 2);
        if (ch_str_eq_c(item, tag))
            return true;
    }
    return false;
}

static void conditional_get(struct ch_http_call *call)
{
    if (!(call->req.method & (CH_HTTP_GET | CH_HTTP_HEAD)) || call->res.status != 200)
        return;
    char tag[36];
    etag_of(&call->res.body, tag);
    CH_IGNORE(ch_http_add_header(call, "etag", tag)); /* best effort: only a cache hint */
    if (call->req.if_none_match.ptr != NULL && etag_matches(call->req.if_none_match, tag)) {
        call->res.status = 304;
        ch_buf_reset(&call->res.body);
    }
}

/* Signs a checkpoint when this call's append put the chain CH_AUDIT_CHECKPOINT_EVERY past the last.
 */
static void maybe_checkpoint(struct server *srv, struct ch_http_call *call)
{
    if (call->audit_seq <= 0 || !srv->app->have_keys)
        return;
    int64_t last = __atomic_load_n(&srv->checkpointed_seq, __ATOMIC_RELAXED);
    if (call->audit_seq - last < CH_AUDIT_CHECKPOINT_EVERY)
        return;
    if (!__atomic_compare_exchange_n(&srv->checkpointed_seq, &last, call->audit_seq, false,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return; /* another worker is signing */
    struct ch_err err = CH_ERR_INIT;
    int64_t seq = 0;
    if (ch_audit_checkpoint(call->store, &srv->app->keys, ch_clock_now(&srv->app->clock), &seq,
                            &err) != CH_OK) {
        ch_log_warn("request %s: cannot sign an audit checkpoint: %s, retrying later",
                    call->req.request_id, err.msg);
        __atomic_store_n(&srv->checkpointed_seq, last, __ATOMIC_RELAXED);
        return;
    }
    ch_log_info("signed audit checkpoint at entry %lld", (long long)seq);
}

/* Authentication, route roles and the per-token rate limit (worker side). */
static int admit(struct server *srv, struct ch_http_call *call)
{
    if (call->route->flags & CH_ROUTE_SESSION)
        return CH_OK; /* the page authenticates its session cookie with ch_auth_request() */
    int rc = ch_auth_request(call);
    if (rc != CH_OK || !call->authenticated || srv->ratelimit == NULL)
        return rc;
    unsigned retry = 0;
    if (!ch_ratelimit_take(srv->ratelimit, call->principal.token_id, ch_clock_mono_ns(), &retry)) {
        call->retry_after_s = retry;
        return ch_err_set(&call->err, CH_E_RATE,
                          "rate limit exceeded for this token; retry in %u s", retry);
    }
    return CH_OK;
}

static void render_error(struct ch_http_call *call, const char *route_name)
{
    if (call->err.rc == CH_OK)
        ch_err_set(&call->err, CH_E_INTERNAL, "handler failed without a message");
    if (!ch_http_message_is_public(call->err.rc))
        ch_log_error("request %s %s: %s", call->req.request_id, route_name, call->err.msg);
    call->res.status = ch_http_status_for(call->err.rc);
    call->res.content_type = "application/json";
    call->res.n_headers = 0;
    ch_http_error_body(&call->res.body, call->err.rc, call->err.msg, call->err.field);
    if (call->err.rc == CH_E_AUTH) {
        const char *v = call->req.authorization.ptr != NULL
                            ? "Bearer realm=\"clearinghouse\", error=\"invalid_token\""
                            : "Bearer realm=\"clearinghouse\"";
        CH_IGNORE(ch_http_add_header(call, "www-authenticate", v)); /* best effort */
    } else if (call->err.rc == CH_E_RATE) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%u", call->retry_after_s > 0 ? call->retry_after_s : 1u);
        CH_IGNORE(ch_http_add_header(call, "retry-after", secs)); /* best effort */
    }
}

static void run_handler(struct job *j, struct ch_store *store)
{
    struct ch_http_call *call = &j->call;
    struct server *srv = j->loop->srv;
    int64_t t0 = store != NULL ? ch_clock_mono_ns() : 0;
    call->store = store;
    call->route = j->route;
    int rc = store != NULL ? admit(srv, call) : CH_OK;
    if (rc == CH_OK)
        rc = j->route->handler(call);
    if (rc != CH_OK) {
        if (call->store != NULL && ch_store_in_tx(call->store))
            ch_store_rollback(call->store); /* a handler bug must not leak a transaction */
        if (call->err.rc == CH_OK)
            ch_err_set(&call->err, rc, "%s", ch_rc_str(rc));
        render_error(call, j->route->name);
    } else if (call->res.body.failed) {
        struct ch_err berr = CH_ERR_INIT;
        ch_buf_status(&call->res.body, "response", &berr);
        call->res.status = ch_http_status_for(berr.rc);
        ch_http_error_body(&call->res.body, berr.rc, berr.msg, NULL);
    }
    if (call->res.status == 0)
        call->res.status = 200;
    if (rc == CH_OK)
        conditional_get(call);
    if (store != NULL) {
        maybe_checkpoint(srv, call);
        j->worker_ns = ch_clock_mono_ns() - t0;
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

static void send_response(h2o_req_t *req, struct ch_http_call *call)
{
    struct ch_http_response *res = &call->res;
    req->res.status = res->status;
    req->res.reason = reason(res->status);
    const char *ct = res->content_type != NULL ? res->content_type : "application/json";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct, strlen(ct));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
                          call->req.request_id, strlen(call->req.request_id));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0,
                          NULL, H2O_STRLIT("nosniff"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    for (unsigned i = 0; i < res->n_headers; i++) {
        h2o_add_header_by_str(&req->pool, &req->res.headers, res->headers[i].name,
                              strlen(res->headers[i].name), 0, NULL, res->headers[i].value,
                              strlen(res->headers[i].value));
    }
    if (res->status == 204 || res->status == 304) {
        req->res.content_length = 0;
        h2o_send_inline(req, NULL, 0);
        return;
    }
    req->res.content_length = ch_buf_len(&res->body);
    h2o_send_inline(req, ch_buf_cstr(&res->body), ch_buf_len(&res->body));
}

static int64_t since_ns(const struct timeval *t0)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return (int64_t)(now.tv_sec - t0->tv_sec) * 1000000000 +
           (int64_t)(now.tv_usec - t0->tv_usec) * 1000;
}

/* Sends the job's response and records it for /metrics and the access log. */
static void respond(h2o_req_t *req, struct job *j)
{
    struct link *lk = j->link;
    struct ch_http_call *call = &j->call;
    if (call->authenticated)
        snprintf(lk->principal, sizeof(lk->principal), "user:%s", call->principal.user_name);
    /* dashboard pages are not in ch_routes: they count with the unmatched requests */
    int route = j->route != NULL && !(j->route->flags & CH_ROUTE_SESSION)
                    ? (int)(j->route - ch_routes)
                    : -1;
    send_response(req, call);
    ch_metrics_request(route, call->res.status, since_ns(&req->timestamps.request_begin_at),
                       j->worker_ns);
}

/* Worker side. */
static void job_run(void *thread_ctx, void *arg)
{
    struct job *j = arg;
    run_handler(j, thread_ctx);
    h2o_multithread_send_message(&j->loop->done_receiver, &j->msg);
}

/* Loop side: answers for finished jobs. */
static void on_jobs_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        struct job *j = (struct job *)m;
        j->loop->outstanding--;
        if (j->req != NULL) {
            j->link->job = NULL;
            respond(j->req, j);
        }
        job_free(j);
    }
}

static void link_dispose(void *p)
{
    struct link *l = p;
    if (l->job != NULL)
        l->job->req = NULL; /* the worker's answer will be dropped */
    l->loop->inflight--;
}

/* ---- request intake ---- */

static enum ch_http_method parse_method(h2o_iovec_t m)
{
    static const struct {
        const char *name;
        enum ch_http_method method;
    } methods[] = {{"GET", CH_HTTP_GET},        {"POST", CH_HTTP_POST},     {"PUT", CH_HTTP_PUT},
                   {"PATCH", CH_HTTP_PATCH},    {"DELETE", CH_HTTP_DELETE}, {"HEAD", CH_HTTP_HEAD},
                   {"OPTIONS", CH_HTTP_OPTIONS}};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (h2o_memis(m.base, m.len, methods[i].name, strlen(methods[i].name)))
            return methods[i].method;
    }
    return 0;
}

static struct ch_str header(h2o_req_t *req, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);
    if (i < 0)
        return CH_STR_NULL;
    h2o_iovec_t v = req->headers.entries[i].value;
    return ch_str_make(v.base, v.len);
}

/* Copies a header value into the job's arena (h2o's memory may vanish). */
static struct ch_str keep(struct ch_arena *a, struct ch_str s)
{
    if (s.ptr == NULL)
        return s;
    char *p = ch_arena_strndup(a, s.ptr, s.len);
    return p == NULL ? CH_STR_NULL : ch_str_make(p, s.len);
}

static void send_error_inline(h2o_req_t *req, struct job *j, int rc, const char *msg)
{
    j->call.res.status = ch_http_status_for(rc);
    ch_http_error_body(&j->call.res.body, rc, msg, NULL);
    respond(req, j);
}

/* Leaves the link where the access logger finds it (req->env, a name/value list). */
static void publish_link(h2o_req_t *req, struct link *lk)
{
    h2o_vector_reserve(&req->pool, &req->env, req->env.size + 2);
    req->env.entries[req->env.size++] = h2o_iovec_init(H2O_STRLIT(LINK_ENV));
    req->env.entries[req->env.size++] = h2o_iovec_init((const char *)lk, sizeof(*lk));
}

static const struct link *find_link(h2o_req_t *req)
{
    for (size_t i = 0; i + 1 < req->env.size; i += 2) {
        if (h2o_memis(req->env.entries[i].base, req->env.entries[i].len, H2O_STRLIT(LINK_ENV)))
            return (const struct link *)req->env.entries[i + 1].base;
    }
    return NULL;
}

/* 413 or 415 before any work: the route's body cap and media type. */
static int check_body(h2o_req_t *req, struct job *j)
{
    const struct ch_route *route = j->route;
    size_t cap = route->max_body != 0 ? route->max_body : CH_ROUTE_DEFAULT_MAX_BODY;
    if (req->entity.base != NULL && req->entity.len > cap) {
        char msg[96];
        snprintf(msg, sizeof(msg), "request body exceeds %zu bytes", cap);
        send_error_inline(req, j, CH_E_LIMIT, msg);
        return -1;
    }
    bool has_body =
        (req->entity.base != NULL && req->entity.len > 0) || j->call.req.content_type.ptr != NULL;
    if (has_body && (j->call.req.method & (CH_HTTP_POST | CH_HTTP_PUT | CH_HTTP_PATCH)) &&
        !(route->flags & CH_ROUTE_ANY_BODY) && !ch_api_is_json_type(j->call.req.content_type)) {
        send_error_inline(req, j, CH_E_UNSUPPORTED,
                          "the request body must be JSON (Content-Type: application/json)");
        return -1;
    }
    return 0;
}

/* In-loop routes run on the loop only when they need no database (no token to check). */
static bool runs_in_loop(const struct server *srv, const struct job *j)
{
    const struct ch_route *r = j->route;
    return (r->flags & CH_ROUTE_INLOOP) && (r->flags & CH_ROUTE_PUBLIC) &&
           !srv->app->private_mode && j->call.req.authorization.ptr == NULL;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct server *srv = ((struct my_handler *)self)->srv;
    struct loop *lp = (struct loop *)req->conn->ctx;
    struct job *j = ch_calloc(1, sizeof(*j));
    struct link *lk = h2o_mem_alloc_shared(&req->pool, sizeof(*lk), link_dispose);
    lk->job = NULL;
    lk->loop = lp;
    lk->route_name = "-";
    snprintf(lk->principal, sizeof(lk->principal), "-");
    lk->request_id[0] = '\0';
    lp->inflight++;
    publish_link(req, lk);
    if (j == NULL) {
        h2o_send_error_503(req, "Service Unavailable", "out of memory", 0);
        return 0;
    }
    j->loop = lp;
    j->req = req;
    j->link = lk;
    j->call.app = srv->app;
    j->call.arena = ch_arena_new(CH_HTTP_ARENA_MAX);
    ch_buf_init(&j->call.res.body, CH_HTTP_MAX_RESPONSE);
    snprintf(j->call.req.request_id, sizeof(j->call.req.request_id), "%x-%llx", lp->index,
             (unsigned long long)++lp->next_id);
    memcpy(lk->request_id, j->call.req.request_id, sizeof(lk->request_id));
    if (j->call.arena == NULL) {
        send_error_inline(req, j, CH_E_NOMEM, NULL);
        job_free(j);
        return 0;
    }
    struct ch_http_request *r = &j->call.req;
    r->method = parse_method(req->method);
    size_t path_len = req->query_at == SIZE_MAX ? req->path.len : req->query_at;
    r->path = keep(j->call.arena, ch_str_make(req->path.base, path_len));
    if (req->query_at != SIZE_MAX)
        r->query = keep(j->call.arena, ch_str_make(req->path.base + req->query_at + 1,
                                                   req->path.len - req->query_at - 1));
    r->content_type = keep(j->call.arena, header(req, H2O_TOKEN_CONTENT_TYPE));
    r->authorization = keep(j->call.arena, header(req, H2O_TOKEN_AUTHORIZATION));
    r->if_none_match = keep(j->call.arena, header(req, H2O_TOKEN_IF_NONE_MATCH));
    r->accept = keep(j->call.arena, header(req, H2O_TOKEN_ACCEPT));
    r->cookie = keep(j->call.arena, header(req, H2O_TOKEN_COOKIE));
    if (r->method == 0) {
        send_error_inline(req, j, CH_E_INVALID, "unsupported method");
        job_free(j);
        return 0;
    }
    unsigned allowed = 0;
    enum ch_route_match m = ch_router_match(r->method, r->path, r, &j->route, &allowed);
    if (m == CH_ROUTE_NO_PATH && srv->opts->pages != NULL)
        m = ch_router_match_in(srv->opts->pages, r->method, r->path, r, &j->route, &allowed);
    if (m != CH_ROUTE_FOUND) {
        if (m == CH_ROUTE_NO_METHOD) {
            char allow[96];
            ch_router_methods_str(allowed, allow, sizeof(allow));
            CH_IGNORE(ch_http_add_header(&j->call, "allow", allow)); /* best effort */
            j->call.res.status = 405;
            ch_http_error_body(&j->call.res.body, CH_E_INVALID, "method not allowed", NULL);
            respond(req, j);
        } else {
            send_error_inline(req, j, CH_E_NOTFOUND, "no such resource");
        }
        job_free(j);
        return 0;
    }
    lk->route_name = j->route->name;
    j->call.route = j->route;
    if (check_body(req, j) != 0) {
        job_free(j);
        return 0;
    }
    if (req->entity.base != NULL && req->entity.len > 0) {
        j->body_copy = ch_memdup(req->entity.base, req->entity.len);
        if (j->body_copy == NULL) {
            send_error_inline(req, j, CH_E_NOMEM, NULL);
            job_free(j);
            return 0;
        }
        r->body = ch_str_make(j->body_copy, req->entity.len);
    }
    if (runs_in_loop(srv, j)) {
        run_handler(j, NULL);
        respond(req, j);
        job_free(j);
        return 0;
    }
    lk->job = j;
    int rc = ch_workq_submit(srv->workq, job_run, j);
    if (rc != CH_OK) {
        lk->job = NULL;
        send_error_inline(req, j, CH_E_BUSY, "server busy, retry later");
        job_free(j);
        return 0;
    }
    lp->outstanding++;
    return 0;
}

/* One line per request, written when h2o disposes of it. */
static void log_access(h2o_logger_t *self, h2o_req_t *req)
{
    if (CH_LOG_INFO > ch_log_get_level())
        return;
    struct timeval now;
    gettimeofday(&now, NULL);
    double ms = (double)(now.tv_sec - req->timestamps.request_begin_at.tv_sec) * 1e3 +
                (double)(now.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1e3;
    char path[256];
    ch_log_quote(path, sizeof(path), req->path.base, req->path.len);
    char method[16];
    ch_log_quote(method, sizeof(method), req->method.base, req->method.len);
    char peer[64] = "-";
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (sl > 0)
        h2o_socket_getnumerichost((struct sockaddr *)&ss, sl, peer);
    const struct link *lk = find_link(req);
    ch_log_info("%s \"%s %s\" %d %zu %.3fms route=%s principal=%s id=%s", peer, method, path,
                req->res.status, req->bytes_sent, ms, lk != NULL ? lk->route_name : "-",
                lk != NULL ? lk->principal : "-",
                lk != NULL && lk->request_id[0] != '\0' ? lk->request_id : "-");
}

/* ---- loops ---- */

static void on_socket_close(void *data)
{
    ch_metrics_connections(-1);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    struct loop *lp = listener->data;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return; /* another loop won the race */
    if (ch_metrics_open_connections() >= lp->srv->max_connections) {
        /* over the limit: close at once (the client sees a reset) rather than queue */
        ch_metrics_connection_refused();
        h2o_socket_close(sock);
        return;
    }
    ch_metrics_connections(1);
    sock->on_close.cb = on_socket_close;
    sock->on_close.data = NULL;
    h2o_accept(&lp->accept_ctx, sock);
}

static void on_stop(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct loop *lp = H2O_STRUCT_FROM_MEMBER(struct loop, stop_receiver, receiver);
    while (!h2o_linklist_is_empty(messages))
        h2o_linklist_unlink(messages->next);
    if (lp->stopping)
        return;
    lp->stopping = 1;
    if (lp->listener != NULL) {
        h2o_socket_read_stop(lp->listener);
        h2o_socket_close(lp->listener);
        lp->listener = NULL;
    }
    h2o_context_request_shutdown(&lp->ctx);
}

/* Creates the loop's h2o objects. Runs on the loop's thread: see the file comment. */
static void loop_open(struct loop *lp)
{
    struct server *srv = lp->srv;
    lp->evloop = h2o_evloop_create();
    h2o_context_init(&lp->ctx, lp->evloop, &srv->config);
    lp->accept_ctx.ctx = &lp->ctx;
    lp->accept_ctx.hosts = srv->config.hosts;
    lp->queue = h2o_multithread_create_queue(lp->evloop);
    h2o_multithread_register_receiver(lp->queue, &lp->done_receiver, on_jobs_done);
    h2o_multithread_register_receiver(lp->queue, &lp->stop_receiver, on_stop);
    lp->listener = h2o_evloop_socket_create(lp->evloop, lp->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    lp->listener->data = lp;
    h2o_socket_read_start(lp->listener, on_accept);
}

/* Disposes of what loop_open created, on the same thread. */
static void loop_close(struct loop *lp)
{
    if (lp->abandoned) {
        /* connections still reference the context, or a worker may still post a job to the
         * queue: leave it all to process exit */
        ch_log_warn("loop %u: connections or jobs still open at shutdown deadline", lp->index);
        return;
    }
    if (lp->listener != NULL)
        h2o_socket_close(lp->listener);
    /* request_shutdown arms HTTP/2's GOAWAY re-send timer even with no HTTP/2 connection */
    if (h2o_timeout_is_linked(&lp->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&lp->ctx.http2._graceful_shutdown_timeout);
    h2o_multithread_unregister_receiver(lp->queue, &lp->done_receiver);
    h2o_multithread_unregister_receiver(lp->queue, &lp->stop_receiver);
    h2o_multithread_destroy_queue(lp->queue);
    h2o_context_dispose(&lp->ctx);
    /* socket closes (the queue's pipe, the listener) are deferred to the next loop turn */
    for (int i = 0; i < 4; i++)
        h2o_evloop_run(lp->evloop, 0);
    h2o_evloop_destroy(lp->evloop);
    lp->evloop = NULL;
}

/* The start-up latch: ch_server_run may send a loop its stop message only once the loop's
 * queue exists. */
static void report_ready(struct server *srv)
{
    pthread_mutex_lock(&srv->ready_mu);
    srv->n_ready++;
    pthread_cond_broadcast(&srv->ready_cv);
    pthread_mutex_unlock(&srv->ready_mu);
}

static void wait_ready(struct server *srv, unsigned n)
{
    pthread_mutex_lock(&srv->ready_mu);
    while (srv->n_ready < n)
        pthread_cond_wait(&srv->ready_cv, &srv->ready_mu);
    pthread_mutex_unlock(&srv->ready_mu);
}

/* A stopping loop runs on while a request, a connection or a job of its own is open: the
 * job's answer comes back through this loop's queue, which must still exist. */
static bool loop_busy(struct loop *lp)
{
    return !lp->stopping || lp->inflight > 0 || lp->outstanding > 0 ||
           !h2o_linklist_is_empty(&lp->ctx.http1._conns) ||
           !h2o_linklist_is_empty(&lp->ctx.http2._conns);
}

static void *loop_main(void *arg)
{
    struct loop *lp = arg;
    struct server *srv = lp->srv;
    loop_open(lp);
    report_ready(srv);
    int64_t deadline = -1;
    while (loop_busy(lp)) {
        if (lp->stopping) {
            int64_t now = ch_clock_mono_ms();
            if (deadline < 0)
                deadline = now + srv->opts->shutdown_grace_ms;
            else if (now > deadline) {
                lp->abandoned = 1;
                break;
            }
        }
        h2o_evloop_run(lp->evloop, lp->stopping ? 50 : INT32_MAX);
    }
    /* let deferred socket closes and zero-delay timers run before disposal */
    for (int i = 0; i < 4 && !lp->abandoned; i++)
        h2o_evloop_run(lp->evloop, 0);
    loop_close(lp);
    return NULL;
}

/* ---- listening socket ---- */

static int listen_backlog(int fd)
{
    return listen(fd, LISTEN_BACKLOG);
}

static int split_host_port(const char *listen, char *host, size_t host_size, char *port,
                           size_t port_size, struct ch_err *err)
{
    const char *colon;
    const char *h = listen;
    size_t hlen;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':')
            return ch_err_set(err, CH_E_USAGE, "invalid listen address '%s'", listen);
        h = listen + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL)
            return ch_err_set(err, CH_E_USAGE, "listen address '%s' needs HOST:PORT", listen);
        hlen = (size_t)(colon - listen);
    }
    if (hlen == 0 || hlen >= host_size || strlen(colon + 1) == 0 || strlen(colon + 1) >= port_size)
        return ch_err_set(err, CH_E_USAGE, "invalid listen address '%s'", listen);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    snprintf(port, port_size, "%s", colon + 1);
    return CH_OK;
}

static int open_listener(const char *listen, int *ret_fd, char *bound, size_t bound_size,
                         struct ch_err *err)
{
    char host[256], port[16];
    int rc = split_host_port(listen, host, sizeof(host), port, sizeof(port), err);
    if (rc != CH_OK)
        return rc;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return ch_err_set(err, CH_E_USAGE, "cannot resolve '%s': %s", listen, gai_strerror(gai));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen_backlog(fd) != 0) {
        rc = ch_err_set(err, CH_E_IO, "cannot listen on '%s': %s", listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return rc;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    char num[64];
    int32_t p = h2o_socket_getport((struct sockaddr *)&ss);
    h2o_socket_getnumerichost((struct sockaddr *)&ss, sl, num);
    if (ss.ss_family == AF_INET6)
        snprintf(bound, bound_size, "[%s]:%d", num, (int)p);
    else
        snprintf(bound, bound_size, "%s:%d", num, (int)p);
    *ret_fd = fd;
    return CH_OK;
}

/* ---- workers ---- */

static int worker_init(void *pool_arg, void **ret_ctx, struct ch_err *err)
{
    struct server *srv = pool_arg;
    struct ch_store_options o = {.no_migrate = true};
    struct ch_store *s = NULL;
    int rc = ch_store_open(srv->app->db_url, &o, &s, err);
    if (rc != CH_OK)
        return rc;
    *ret_ctx = s;
    return CH_OK;
}

static void worker_release(void *pool_arg, void *ctx)
{
    ch_store_free(ctx);
}

/* ---- limits, checkpoints ---- */

/* The connection limit: the option, $CLEARINGHOUSE_MAX_CONNECTIONS, or what the fd limit allows. */
static int64_t connection_limit(const struct ch_server_options *o, struct ch_err *err)
{
    if (o->max_connections != 0)
        return (int64_t)o->max_connections;
    const char *env = getenv("CLEARINGHOUSE_MAX_CONNECTIONS");
    if (env != NULL && env[0] != '\0') {
        uint64_t n = 0;
        struct ch_err perr = CH_ERR_INIT;
        if (ch_num_parse_u64(ch_str_c(env), 1000000, &n, &perr) != CH_OK || n == 0)
            return ch_err_set(err, CH_E_USAGE,
                              "CLEARINGHOUSE_MAX_CONNECTIONS: expected 1 to 1000000");
        return (int64_t)n;
    }
    struct rlimit rl;
    uint64_t lim = DEFAULT_MAX_CONNECTIONS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        uint64_t reserve = RESERVED_FDS + o->workers * 2u;
        uint64_t avail = rl.rlim_cur > reserve + 16 ? rl.rlim_cur - reserve : 16;
        if (avail < lim)
            lim = avail;
    }
    return (int64_t)lim;
}

/* The per-token limiter: the options, $CLEARINGHOUSE_RATE_LIMIT ("RATE[:BURST]", "off"), or the
 * default. */
static int make_ratelimit(const struct ch_server_options *o, struct ch_ratelimit **ret,
                          struct ch_err *err)
{
    double rate = o->rate_per_sec, burst = o->rate_burst;
    const char *env = getenv("CLEARINGHOUSE_RATE_LIMIT");
    if (rate <= 0 && env != NULL && strcmp(env, "off") == 0) {
        *ret = NULL;
        return CH_OK;
    }
    if (rate <= 0 && env != NULL && env[0] != '\0') {
        int rc = ch_ratelimit_parse(env, &rate, &burst, err);
        if (rc != CH_OK)
            return ch_err_prefix(err, "CLEARINGHOUSE_RATE_LIMIT");
    }
    if (rate <= 0) {
        rate = CH_RATELIMIT_DEFAULT_RATE;
        burst = CH_RATELIMIT_DEFAULT_BURST;
    }
    if (burst < 1)
        burst = rate * 2;
    return ch_ratelimit_new(rate, burst, ret, err);
}

/* Reads the last signed audit entry, and at shutdown signs the chain's end. */
static void audit_start(struct server *srv)
{
    struct ch_store_options so = {.no_migrate = true};
    struct ch_store *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    int64_t seq = 0;
    if (ch_store_open(srv->app->db_url, &so, &s, &err) == CH_OK)
        CH_IGNORE(ch_store_query_int(s, "SELECT MAX(seq) FROM audit_checkpoints", NULL, 0, &seq,
                                     &err)); /* 0 on error: the first append past N signs */
    ch_store_free(s);
    srv->checkpointed_seq = seq;
}

static void audit_stop(struct server *srv)
{
    if (!srv->app->have_keys)
        return;
    struct ch_store_options so = {.no_migrate = true};
    struct ch_store *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    int64_t seq = 0;
    int rc = ch_store_open(srv->app->db_url, &so, &s, &err);
    if (rc == CH_OK)
        rc = ch_audit_checkpoint(s, &srv->app->keys, ch_clock_now(&srv->app->clock), &seq, &err);
    ch_store_free(s);
    if (rc != CH_OK)
        ch_log_warn("cannot sign the audit checkpoint at shutdown: %s", err.msg);
    else if (seq > 0)
        ch_log_info("audit chain signed at entry %lld", (long long)seq);
}

/* ---- run ---- */

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (unsigned)n;
}

/* One loop per core: a loop is one thread, and the workers do the blocking work. */
static unsigned default_loops(void)
{
    return cores();
}

/* Each loop accepts on its own descriptor of the one listening socket (the kernel hands
 * each connection to one of them). Done here, on the main thread, so that a loop thread's
 * start cannot fail. */
static int share_listener(struct server *srv, struct loop *lp, struct ch_err *err)
{
    int fd = fcntl(srv->listen_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot share the listening socket: %s", strerror(errno));
    lp->listen_fd = fd;
    return CH_OK;
}

static void configure(struct server *srv)
{
    h2o_config_init(&srv->config);
    srv->config.max_request_entity_size = CH_HTTP_MAX_BODY;
    srv->config.http1.req_timeout = srv->opts->request_timeout_ms;
    srv->config.http2.idle_timeout = srv->opts->request_timeout_ms;
    srv->config.server_name = h2o_iovec_init(H2O_STRLIT("clearinghouse"));
    h2o_hostconf_t *host =
        h2o_config_register_host(&srv->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    struct my_handler *h = (struct my_handler *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = on_req;
    h->srv = srv;
    struct my_logger *lg = (struct my_logger *)h2o_create_logger(path, sizeof(*lg));
    lg->super.log_access = log_access;
}

int ch_server_run(const struct ch_server_options *in, struct ch_app *app, struct ch_err *err)
{
    struct ch_server_options opts = *in;
    if (opts.listen == NULL)
        opts.listen = CH_SERVER_DEFAULT_LISTEN;
    if (opts.loops == 0)
        opts.loops = default_loops();
    if (opts.workers == 0)
        opts.workers = cores() * 2 < 4 ? 4 : cores() * 2;
    if (opts.max_queued == 0)
        opts.max_queued = CH_SERVER_DEFAULT_MAX_QUEUED;
    if (opts.request_timeout_ms == 0)
        opts.request_timeout_ms = CH_SERVER_DEFAULT_TIMEOUT_MS;
    if (opts.shutdown_grace_ms == 0)
        opts.shutdown_grace_ms = CH_SERVER_DEFAULT_GRACE_MS;

    struct server srv = {.opts = &opts,
                         .app = app,
                         .listen_fd = -1,
                         .ready_mu = PTHREAD_MUTEX_INITIALIZER,
                         .ready_cv = PTHREAD_COND_INITIALIZER};
    srv.max_connections = connection_limit(&opts, err);
    if (srv.max_connections < 0)
        return (int)srv.max_connections;
    int rc = make_ratelimit(&opts, &srv.ratelimit, err);
    if (rc != CH_OK)
        return rc;
    audit_start(&srv);
    char bound[300];
    rc = open_listener(opts.listen, &srv.listen_fd, bound, sizeof(bound), err);
    if (rc != CH_OK) {
        ch_ratelimit_free(srv.ratelimit);
        return rc;
    }

    /* signals are taken by sigwait() below; every thread created from here blocks them */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    signal(SIGPIPE, SIG_IGN);

    struct ch_workq_options wo = {.threads = opts.workers,
                                  .max_queued = opts.max_queued,
                                  .thread_init = worker_init,
                                  .thread_release = worker_release,
                                  .pool_arg = &srv};
    rc = ch_workq_new(&wo, &srv.workq, err);
    if (rc != CH_OK) {
        ch_ratelimit_free(srv.ratelimit);
        close(srv.listen_fd);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return rc;
    }
    configure(&srv);
    unsigned started = 0;
    srv.loops = ch_calloc(opts.loops, sizeof(*srv.loops));
    if (srv.loops == NULL) {
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory starting the server");
        goto out;
    }
    srv.n_loops = opts.loops;
    for (unsigned i = 0; i < srv.n_loops; i++)
        srv.loops[i] = (struct loop){.srv = &srv, .index = i, .listen_fd = -1};
    for (unsigned i = 0; i < srv.n_loops && rc == CH_OK; i++)
        rc = share_listener(&srv, &srv.loops[i], err);
    if (rc != CH_OK)
        goto out;
    for (; started < srv.n_loops; started++) {
        if (pthread_create(&srv.loops[started].thread, NULL, loop_main, &srv.loops[started]) != 0)
            break;
    }
    wait_ready(&srv, started);
    if (opts.announce != NULL) {
        fprintf(opts.announce, "listening on http://%s (%u loops, %u workers)\n", bound,
                srv.n_loops, opts.workers);
        fflush(opts.announce);
    }
    ch_log_info("listening on http://%s", bound);
    if (started == srv.n_loops) {
        int sig = 0;
        sigwait(&sigs, &sig);
        ch_log_info("received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    } else {
        rc = ch_err_set(err, CH_E_INTERNAL, "cannot start event loop threads");
    }
    for (unsigned i = 0; i < started; i++)
        h2o_multithread_send_message(&srv.loops[i].stop_receiver, &srv.loops[i].stop_msg);
    for (unsigned i = 0; i < started; i++)
        pthread_join(srv.loops[i].thread, NULL);
out:
    /* the loops are gone (each disposed of itself once its jobs were back), or abandoned
     * with their queues left open, so the workers' last answers have somewhere to go */
    ch_workq_free(srv.workq);
    audit_stop(&srv);
    ch_ratelimit_free(srv.ratelimit);
    for (unsigned i = started; i < srv.n_loops; i++) {
        if (srv.loops[i].listen_fd >= 0)
            close(srv.loops[i].listen_fd); /* never handed to a loop thread */
    }
    ch_free(srv.loops);
    pthread_mutex_destroy(&srv.ready_mu);
    pthread_cond_destroy(&srv.ready_cv);
    h2o_config_dispose(&srv.config);
    close(srv.listen_fd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* ---- handler helpers ---- */

int ch_http_add_header(struct ch_http_call *call, const char *name, const char *value)
{
    if (call->res.n_headers >= CH_HTTP_MAX_RESPONSE_HEADERS)
        return ch_err_set(&call->err, CH_E_INTERNAL, "too many response headers");
    char *v = ch_arena_strdup(call->arena, value);
    if (v == NULL)
        return ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
    call->res.headers[call->res.n_headers++] = (struct ch_http_header){name, v};
    return CH_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes (and '+' → space) into the arena; NULL on bad escapes or NUL bytes. */
static const char *decode(struct ch_arena *a, struct ch_str s)
{
    char *out = ch_arena_alloc(a, s.len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= s.len)
                return NULL;
            int hi = hexval(s.ptr[i + 1]);
            int lo = hexval(s.ptr[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return NULL;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

const char *ch_http_query(struct ch_http_call *call, const char *name)
{
    struct ch_str rest = call->req.query;
    if (rest.ptr == NULL)
        return NULL;
    struct ch_str pair;
    while (ch_str_split_next(&rest, '&', &pair)) {
        long eq = ch_str_find_char(pair, '=');
        struct ch_str k = eq < 0 ? pair : ch_str_make(pair.ptr, (size_t)eq);
        if (!ch_str_eq_c(k, name))
            continue;
        struct ch_str v =
            eq < 0 ? ch_str_make("", 0) : ch_str_make(pair.ptr + eq + 1, pair.len - (size_t)eq - 1);
        return decode(call->arena, v);
    }
    return NULL;
}
