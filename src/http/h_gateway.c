/* SPDX-License-Identifier: Apache-2.0
 *
 * h_gateway.c: POST /v1/chat/completions for trusted partners (contract in
 * h_gateway.h): parse → authorise and reserve (eval/gateway.h) → forward
 * with libcurl, re-checking access while the answer arrives → record
 * (sealed, audited) → answer.
 */
#include "http/h_gateway.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "eval/gateway.h"
#include "eval/seal.h"
#include "http/api.h"

/* ---- one share handle: connections to endpoints are reused by every worker ---- */

static pthread_once_t share_once = PTHREAD_ONCE_INIT;
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
    (void)h;
    (void)access;
    (void)arg;
    pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
    (void)h;
    (void)arg;
    pthread_mutex_unlock(&share_locks[data]);
}

static void share_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&share_locks[i], NULL);
    share = curl_share_init();
    if (share == NULL)
        return;
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

/* ---- parse ---- */

struct chat_req {
    cJSON *root;            /* owned */
    const char *model;      /* borrowed from root */
    int64_t reserve_tokens; /* max_tokens x n + prompt estimate */
};

static int parse(struct ch_http_call *call, struct chat_req *r)
{
    if (!ch_api_is_json_type(call->req.content_type))
        return ch_err_set(&call->err, CH_E_UNSUPPORTED,
                          "the request body must be JSON (Content-Type: application/json)");
    if (call->req.body.len > CH_GATEWAY_MAX_REQUEST)
        return ch_err_set(&call->err, CH_E_LIMIT, "request exceeds %zu bytes",
                          CH_GATEWAY_MAX_REQUEST);
    struct ch_json_limits lim = {.max_bytes = CH_GATEWAY_MAX_REQUEST,
                                 .max_depth = 32,
                                 .max_string = CH_GATEWAY_MAX_REQUEST,
                                 .max_nodes = 100000};
    struct ch_err perr = CH_ERR_INIT;
    int rc = ch_json_parse(call->req.body.ptr != NULL ? call->req.body.ptr : "", call->req.body.len,
                           &lim, "request body", &r->root, &perr);
    if (rc != CH_OK)
        return ch_err_set(&call->err, rc == CH_E_NOMEM ? CH_E_NOMEM : CH_E_INVALID, "%s", perr.msg);
    if (!cJSON_IsObject(r->root))
        return ch_err_set(&call->err, CH_E_INVALID, "the request body must be a JSON object");
    r->model = ch_json_str(r->root, "model");
    if (r->model == NULL)
        return ch_err_setf(&call->err, CH_E_INVALID, "model",
                           "field 'model': a string is required");
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r->root, "messages")))
        return ch_err_setf(&call->err, CH_E_INVALID, "messages",
                           "field 'messages': an array is required");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->root, "stream")))
        return ch_err_setf(&call->err, CH_E_INVALID, "stream",
                           "streaming is not offered by the gateway in this version;"
                           " send \"stream\": false");
    int64_t max_tokens = CH_GATEWAY_DEFAULT_MAX_TOKENS;
    int64_t n = 1;
    struct ch_err jerr = CH_ERR_INIT;
    if (ch_json_get_int(r->root, "max_tokens", false, "", 1, CH_GATEWAY_MAX_TOKENS, &max_tokens,
                        &jerr) != CH_OK ||
        ch_json_get_int(r->root, "n", false, "", 1, CH_GATEWAY_MAX_CHOICES, &n, &jerr) != CH_OK)
        return ch_err_setf(&call->err, CH_E_INVALID, jerr.field, "%s", jerr.msg);
    /* The forwarded request always carries the max_tokens the reservation assumed. */
    cJSON_DeleteItemFromObjectCaseSensitive(r->root, "max_tokens");
    if (cJSON_AddNumberToObject(r->root, "max_tokens", (double)max_tokens) == NULL)
        return ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
    r->reserve_tokens = max_tokens * n + (int64_t)(call->req.body.len / 4) + 1;
    return CH_OK;
}

/* ---- forward ---- */

struct fwd {
    struct ch_http_call *call;
    const struct ch_gateway_ticket *t;
    struct ch_buf body; /* the upstream answer */
    int64_t last_check_ms;
    int cut_rc; /* CH_OK, or why the call was cut */
    struct ch_err cut_err;
};

/* True when the call must stop now. */
static bool must_stop(struct fwd *f)
{
    if (f->cut_rc != CH_OK)
        return true;
    int64_t ms = ch_clock_mono_ms();
    if (ms - f->last_check_ms < CH_GATEWAY_RECHECK_MS)
        return false;
    f->last_check_ms = ms;
    int rc = ch_gateway_still_allowed(f->call->store, f->t, ch_clock_now(&f->call->app->clock),
                                      &f->cut_err);
    if (rc == CH_OK)
        return false;
    f->cut_rc = rc;
    return true;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct fwd *f = arg;
    size_t n = size * nmemb;
    if (ch_buf_append(&f->body, ptr, n) != CH_OK)
        return 0; /* too large: abort (the buffer's status says why) */
    if (must_stop(f))
        return 0;
    return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return must_stop(arg) ? 1 : 0;
}

struct upstream {
    CURLcode code;
    long status;
    int64_t ms;
};

static int forward(struct fwd *f, const char *payload, size_t len, struct upstream *ret)
{
    struct ch_http_call *call = f->call;
    pthread_once(&share_once, share_init);
    CURL *h = curl_easy_init();
    if (h == NULL)
        return ch_err_set(&call->err, CH_E_NOMEM, "cannot start an upstream request");
    const char *ep = f->t->endpoint;
    size_t eplen = strlen(ep);
    while (eplen > 0 && ep[eplen - 1] == '/')
        eplen--;
    char *url = ch_arena_printf(call->arena, "%.*s/chat/completions", (int)eplen, ep);
    struct curl_slist *hdrs = NULL;
    struct curl_slist *tmp = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = tmp;
    if (hdrs != NULL)
        tmp = curl_slist_append(hdrs, "Expect:");
    char *auth = NULL;
    if (tmp != NULL && ch_buf_len(&f->t->credential) > 0) {
        auth = ch_arena_printf(call->arena, "Authorization: Bearer %s",
                               ch_buf_cstr(&f->t->credential));
        tmp = auth != NULL ? curl_slist_append(hdrs, auth) : NULL;
    }
    int rc = CH_OK;
    if (url == NULL || tmp == NULL) {
        rc = ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
        goto out;
    }
    if (share != NULL)
        curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, f);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, CH_GATEWAY_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CH_GATEWAY_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    int64_t t0 = ch_clock_mono_ms();
    f->last_check_ms = t0;
    ret->code = curl_easy_perform(h);
    ret->ms = ch_clock_mono_ms() - t0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ret->status);
out:
    if (auth != NULL)
        sodium_memzero(auth, strlen(auth));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

/* Prompt and completion tokens of a 200 answer (0 when it does not say). */
static void usage_of(const struct ch_buf *body, int64_t *ret_prompt, int64_t *ret_completion)
{
    *ret_prompt = 0;
    *ret_completion = 0;
    cJSON *root = NULL;
    struct ch_err ignore = CH_ERR_INIT;
    struct ch_json_limits lim = {.max_bytes = CH_GATEWAY_MAX_RESPONSE};
    if (ch_json_parse(body->ptr != NULL ? body->ptr : "", ch_buf_len(body), &lim, "answer", &root,
                      &ignore) != CH_OK)
        return;
    const cJSON *u = ch_json_obj(root, "usage");
    if (u != NULL) {
        CH_IGNORE(ch_json_get_int(u, "prompt_tokens", false, "usage", 0, INT32_MAX, ret_prompt,
                                  &ignore)); /* absent or odd: counted as 0 */
        CH_IGNORE(ch_json_get_int(u, "completion_tokens", false, "usage", 0, INT32_MAX,
                                  ret_completion, &ignore));
    }
    cJSON_Delete(root);
}

/* ---- the handler ---- */

static int record(struct ch_http_call *call, const struct ch_gateway_ticket *t, int status,
                  const char *outcome, const struct fwd *f, const struct upstream *u,
                  int64_t *ret_log)
{
    int64_t prompt = 0;
    int64_t completion = 0;
    if (status >= 200 && status < 300)
        usage_of(&f->body, &prompt, &completion);
    char actor[160];
    snprintf(actor, sizeof(actor), "user:%s", call->principal.user_name);
    struct ch_gateway_record r = {
        .actor = actor,
        .status = status,
        .outcome = outcome,
        .request = call->req.body.ptr,
        .request_len = call->req.body.len,
        .response = u->code == CURLE_OK || ch_buf_len(&f->body) > 0
                        ? (f->body.ptr != NULL ? f->body.ptr : "")
                        : NULL,
        .response_len = ch_buf_len(&f->body),
        .prompt_tokens = prompt,
        .completion_tokens = completion,
        .upstream_ms = u->ms,
    };
    struct ch_err rerr = CH_ERR_INIT;
    int rc = ch_gateway_record(call->store, &call->app->keys, t, &r,
                               ch_clock_now(&call->app->clock), ret_log, &rerr);
    if (rc != CH_OK) {
        ch_err_clear(&call->err);
        return ch_err_set(&call->err, rc, "the call could not be recorded, so it is not answered");
    }
    return CH_OK;
}

int ch_h_gateway_chat(struct ch_http_call *call)
{
    if (!call->authenticated)
        return ch_err_set(&call->err, CH_E_AUTH, "a gateway token is required");
    if (!call->app->have_keys || call->store == NULL)
        return ch_err_set(&call->err, CH_E_UNAVAILABLE, "the gateway is not configured");
    struct chat_req r = {0};
    struct ch_gateway_ticket t = {0};
    struct fwd f = {.call = call, .t = &t, .cut_rc = CH_OK, .cut_err = CH_ERR_INIT};
    ch_buf_init(&f.body, CH_GATEWAY_MAX_RESPONSE);
    char *payload = NULL;
    bool have_ticket = false;
    int rc = parse(call, &r);
    if (rc == CH_OK)
        rc =
            ch_gateway_authorize(call->store, &call->app->keys, &call->principal, r.model,
                                 r.reserve_tokens, ch_clock_now(&call->app->clock), &t, &call->err);
    if (rc != CH_OK)
        goto out;
    have_ticket = true;
    cJSON_ReplaceItemInObjectCaseSensitive(r.root, "model", cJSON_CreateString(t.upstream_model));
    payload = cJSON_PrintUnformatted(r.root);
    if (payload == NULL) {
        rc = ch_err_set(&call->err, CH_E_NOMEM, "out of memory");
        goto out;
    }
    struct upstream u = {0};
    rc = forward(&f, payload, strlen(payload), &u);
    if (rc != CH_OK)
        goto out;
    int64_t log_id = 0;
    if (f.cut_rc != CH_OK) {
        /* Access ended during the call: cut, record what came, answer why. */
        int status = f.cut_rc == CH_E_UNAVAILABLE ? 503 : 403;
        rc = record(call, &t, status, "cut", &f, &u, &log_id);
        if (rc == CH_OK) {
            call->err = f.cut_err;
            ch_err_prefix(&call->err, "call cut");
            rc = f.cut_rc;
        }
        goto out;
    }
    if (u.code != CURLE_OK) {
        bool too_big = f.body.failed != 0;
        rc = record(call, &t, too_big ? 502 : 503, "unreachable", &f, &u, &log_id);
        if (rc == CH_OK)
            rc =
                too_big ? ch_err_set(&call->err, CH_E_LIMIT, "the model's answer exceeds %zu bytes",
                                     CH_GATEWAY_MAX_RESPONSE)
                : u.code == CURLE_OPERATION_TIMEDOUT
                    ? ch_err_set(&call->err, CH_E_TIMEOUT,
                                 "the model endpoint did not answer in time")
                    : ch_err_set(&call->err, CH_E_UNAVAILABLE, "the model endpoint is unreachable");
        goto out;
    }
    int status = (int)u.status;
    rc = record(call, &t, status, status >= 200 && status < 300 ? "ok" : "upstream_error", &f, &u,
                &log_id);
    if (rc != CH_OK)
        goto out;
    call->res.status = status;
    call->res.content_type = "application/json";
    ch_buf_reset(&call->res.body);
    ch_buf_append(&call->res.body, f.body.ptr != NULL ? f.body.ptr : "", ch_buf_len(&f.body));
    rc = ch_buf_status(&call->res.body, "response", &call->err);
    if (rc == CH_OK) {
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)log_id);
        rc = ch_http_add_header(call, "X-Gateway-Log", id);
    }
out:
    if (payload != NULL)
        cJSON_free(payload);
    cJSON_Delete(r.root);
    if (have_ticket)
        ch_gateway_ticket_release(&t);
    ch_seal_buf_wipe(&f.body);
    return rc;
}
