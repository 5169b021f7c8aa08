/* SPDX-License-Identifier: Apache-2.0
 *
 * model.c: the chat-completions client over libcurl's multi interface.
 *
 * One thread owns the CURLM handle and every transfer; other threads only
 * append to the `incoming` list under the mutex and wake the loop with
 * curl_multi_wakeup(). A transfer waiting for a retry sits in `waiting` with
 * the monotonic time it becomes due; the loop starts due transfers while
 * fewer than `concurrency` are active, so the limit holds across retries.
 * Completion callbacks run on the loop thread, outside the mutex.
 *
 * The request body is composed once per call (model, messages, tools,
 * max_tokens) and reused by every attempt; an easy handle lives for one
 * attempt, while connections are kept by the multi handle's pool.
 */
#include "eval/model.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/num.h"
#include "eval/stats.h"

/* The longest the loop sleeps without a reason to wake (it re-checks shutdown). */
#define LOOP_MAX_SLEEP_MS 1000
/* A request body: a long transcript of a 100-turn sample stays below this. */
#define MAX_REQUEST_BYTES ((size_t)32 << 20)

struct xfer {
    struct ch_model_client *c;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t body_len;
    struct ch_buf resp;
    unsigned attempt;
    int64_t due_ms;
    int64_t submitted_ms;
    int64_t retry_after_ms;
    long http_status;
    ch_model_done_fn done;
    void *arg;
    char sample_hdr[192];
    char turn_hdr[48];
    struct ch_model_response *out; /* allocated at submission, handed to the callback */
    struct xfer *next;             /* in incoming or waiting */
    struct xfer *aprev, *anext;    /* in the active list */
};

struct ch_model_client {
    struct ch_model_options o;
    char *endpoint_url;
    char *model_json;  /* the model name as a JSON string literal */
    char *auth_header; /* "Authorization: Bearer ..." or NULL; wiped at free */
    CURLM *multi;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    struct xfer *incoming;    /* guarded by mu */
    bool stopping;            /* guarded by mu */
    struct xfer *waiting;     /* loop thread only */
    unsigned active;          /* loop thread only */
    struct xfer *active_list; /* loop thread only */
    struct ch_rng rng;        /* loop thread only */
    /* statistics, guarded by mu */
    struct ch_model_stats st;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *ch_model_status_str(enum ch_model_status s)
{
    switch (s) {
    case CH_MODEL_OK:
        return "ok";
    case CH_MODEL_FILTERED:
        return "filtered";
    case CH_MODEL_ERROR:
        return "error";
    case CH_MODEL_BUDGET:
        return "budget";
    case CH_MODEL_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

void ch_model_response_release(struct ch_model_response *r)
{
    if (r == NULL)
        return;
    cJSON_Delete(r->json);
    r->json = NULL;
    r->content = NULL;
    r->tool_calls = NULL;
    r->message = NULL;
    r->finish_reason = NULL;
}

int64_t ch_model_backoff_ms(const struct ch_model_options *o, unsigned attempt,
                            int64_t retry_after_ms, double rand01)
{
    int64_t cap_ra =
        o->retry_after_max_ms > 0 ? o->retry_after_max_ms : CH_MODEL_DEFAULT_RETRY_AFTER_MAX_MS;
    if (retry_after_ms >= 0)
        return retry_after_ms < cap_ra ? retry_after_ms : cap_ra;
    int64_t base = o->backoff_base_ms > 0 ? o->backoff_base_ms : CH_MODEL_DEFAULT_BACKOFF_BASE_MS;
    int64_t max = o->backoff_max_ms > 0 ? o->backoff_max_ms : CH_MODEL_DEFAULT_BACKOFF_MAX_MS;
    int64_t ceil = base;
    for (unsigned i = 0; i < attempt && ceil < max; i++)
        ceil *= 2;
    if (ceil > max)
        ceil = max;
    return (int64_t)(rand01 * (double)ceil);
}

int64_t ch_model_parse_retry_after(const char *value, int64_t now_secs)
{
    struct ch_str s = ch_str_trim(ch_str_c(value));
    if (s.len == 0 || s.len > 64)
        return -1;
    uint64_t secs = 0;
    struct ch_err e = CH_ERR_INIT;
    if (ch_num_parse_u64(s, 86400, &secs, &e) == CH_OK)
        return (int64_t)secs * 1000;
    char tmp[65];
    memcpy(tmp, s.ptr, s.len);
    tmp[s.len] = '\0';
    time_t t = curl_getdate(tmp, NULL);
    if (t < 0)
        return -1;
    int64_t d = (int64_t)t - now_secs;
    return d < 0 ? 0 : d * 1000;
}

/* ---- creation --------------------------------------------------------------------------- */

static void *loop_main(void *arg);

int ch_model_client_new(const struct ch_model_options *opts, struct ch_model_client **ret,
                        struct ch_err *err)
{
    if (opts->endpoint == NULL || opts->endpoint[0] == '\0' || opts->model == NULL ||
        opts->model[0] == '\0')
        return ch_err_set(err, CH_E_USAGE, "a model endpoint and a model name are required");
    if (strlen(opts->endpoint) > CH_MODEL_MAX_URL || strlen(opts->model) > CH_MODEL_MAX_NAME)
        return ch_err_set(err, CH_E_USAGE, "endpoint or model name too long");
    if (strncmp(opts->endpoint, "http://", 7) != 0 && strncmp(opts->endpoint, "https://", 8) != 0)
        return ch_err_set(err, CH_E_USAGE, "the endpoint must be an http:// or https:// URL");
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return ch_err_set(err, CH_E_INTERNAL, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    struct ch_model_client *c = ch_calloc(1, sizeof(*c));
    if (c == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory creating the model client");
    c->o = *opts;
    c->o.api_key = NULL;
    if (c->o.concurrency == 0)
        c->o.concurrency = CH_MODEL_DEFAULT_CONCURRENCY;
    if (c->o.concurrency > CH_MODEL_MAX_CONCURRENCY)
        c->o.concurrency = CH_MODEL_MAX_CONCURRENCY;
    if (c->o.timeout_ms <= 0)
        c->o.timeout_ms = CH_MODEL_DEFAULT_TIMEOUT_MS;
    if (c->o.connect_timeout_ms <= 0)
        c->o.connect_timeout_ms = CH_MODEL_DEFAULT_CONNECT_MS;
    if (c->o.no_retries)
        c->o.max_retries = 0;
    else if (c->o.max_retries == 0)
        c->o.max_retries = CH_MODEL_DEFAULT_RETRIES;
    if (c->o.max_response_bytes == 0)
        c->o.max_response_bytes = CH_MODEL_DEFAULT_MAX_RESPONSE;
    ch_rng_seed(&c->rng, opts->seed);
    pthread_mutex_init(&c->mu, NULL);
    struct ch_buf b;
    ch_buf_init(&b, CH_MODEL_MAX_URL + 64);
    size_t el = strlen(opts->endpoint);
    while (el > 0 && opts->endpoint[el - 1] == '/')
        el--;
    ch_buf_append(&b, opts->endpoint, el);
    ch_buf_append_c(&b, "/chat/completions");
    c->endpoint_url = ch_buf_take(&b, NULL);
    ch_buf_init(&b, CH_MODEL_MAX_NAME * 6 + 8);
    ch_json_append_string(&b, opts->model, strlen(opts->model));
    c->model_json = ch_buf_take(&b, NULL);
    if (opts->api_key != NULL && opts->api_key[0] != '\0') {
        ch_buf_init(&b, 16384);
        ch_buf_append_c(&b, "Authorization: Bearer ");
        ch_buf_append_c(&b, opts->api_key);
        c->auth_header = ch_buf_take(&b, NULL);
        if (c->auth_header == NULL) {
            ch_model_client_free(c);
            return ch_err_set(err, CH_E_NOMEM, "out of memory creating the model client");
        }
    }
    c->multi = curl_multi_init();
    if (c->endpoint_url == NULL || c->model_json == NULL || c->multi == NULL) {
        ch_model_client_free(c);
        return ch_err_set(err, CH_E_NOMEM, "out of memory creating the model client");
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->o.concurrency);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->o.concurrency);
    if (pthread_create(&c->thread, NULL, loop_main, c) != 0) {
        ch_model_client_free(c);
        return ch_err_set(err, CH_E_INTERNAL, "cannot start the model client thread");
    }
    c->thread_started = true;
    *ret = c;
    return CH_OK;
}

static void xfer_free(struct xfer *x)
{
    if (x == NULL)
        return;
    if (x->easy != NULL) {
        curl_multi_remove_handle(x->c->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->headers);
    ch_free(x->body);
    ch_buf_release(&x->resp);
    ch_free(x->out);
    ch_free(x);
}

static void finish(struct xfer *x, struct ch_model_response *r)
{
    r->latency_ms = ch_clock_mono_ms() - x->submitted_ms;
    r->retries = x->attempt;
    ch_model_done_fn done = x->done;
    void *arg = x->arg;
    x->out = NULL;
    xfer_free(x);
    done(arg, r);
}

static void finish_status(struct xfer *x, enum ch_model_status st, int rc, const char *msg)
{
    struct ch_model_response *r = x->out;
    cJSON_Delete(r->json);
    *r = (struct ch_model_response){.status = st, .http_status = x->http_status};
    ch_err_set(&r->err, rc, "%s", msg);
    finish(x, r);
}

void ch_model_client_free(struct ch_model_client *c)
{
    if (c == NULL)
        return;
    if (c->thread_started) {
        pthread_mutex_lock(&c->mu);
        c->stopping = true;
        pthread_mutex_unlock(&c->mu);
        curl_multi_wakeup(c->multi);
        pthread_join(c->thread, NULL);
    }
    if (c->multi != NULL)
        curl_multi_cleanup(c->multi);
    ch_free(c->endpoint_url);
    ch_free(c->model_json);
    if (c->auth_header != NULL) {
        sodium_memzero(c->auth_header, strlen(c->auth_header));
        ch_free(c->auth_header);
    }
    pthread_mutex_destroy(&c->mu);
    ch_free(c);
}

/* ---- submission ------------------------------------------------------------------------- */

static int compose_body(const struct ch_model_client *c, const struct ch_model_request *req,
                        struct ch_buf *b)
{
    ch_buf_append_c(b, "{\"model\":");
    ch_buf_append_c(b, c->model_json);
    ch_buf_append_c(b, ",\"stream\":false,\"messages\":");
    ch_buf_append_c(b, req->messages_json);
    if (req->tools_json != NULL) {
        ch_buf_append_c(b, ",\"tools\":");
        ch_buf_append_c(b, req->tools_json);
    }
    if (req->max_tokens > 0)
        ch_buf_appendf(b, ",\"max_tokens\":%llu", (unsigned long long)req->max_tokens);
    if (c->o.has_temperature)
        ch_buf_appendf(b, ",\"temperature\":%.3f", c->o.temperature);
    return ch_buf_append_byte(b, '}');
}

int ch_model_submit(struct ch_model_client *c, const struct ch_model_request *req,
                    ch_model_done_fn done, void *arg, struct ch_err *err)
{
    struct xfer *x = ch_calloc(1, sizeof(*x));
    if (x == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory queueing a model request");
    x->c = c;
    x->out = ch_calloc(1, sizeof(*x->out));
    if (x->out == NULL) {
        ch_free(x);
        return ch_err_set(err, CH_E_NOMEM, "out of memory queueing a model request");
    }
    x->done = done;
    x->arg = arg;
    x->retry_after_ms = -1;
    x->submitted_ms = ch_clock_mono_ms();
    x->due_ms = x->submitted_ms;
    ch_buf_init(&x->resp, c->o.max_response_bytes);
    struct ch_buf b;
    ch_buf_init(&b, MAX_REQUEST_BYTES);
    if (req->messages_json == NULL) {
        ch_free(x->out);
        ch_free(x);
        return ch_err_set(err, CH_E_USAGE, "a model request needs messages");
    }
    int rc = compose_body(c, req, &b);
    if (rc != CH_OK) {
        ch_buf_release(&b);
        ch_free(x->out);
        ch_free(x);
        return ch_err_set(err, rc, "model request body: %s", ch_rc_str(rc));
    }
    x->body = ch_buf_take(&b, &x->body_len);
    if (x->body == NULL) {
        ch_free(x->out);
        ch_free(x);
        return ch_err_set(err, CH_E_NOMEM, "out of memory queueing a model request");
    }
    /* Header values are ours or the caller's plain identifiers; strip CR/LF all the same. */
    snprintf(x->sample_hdr, sizeof(x->sample_hdr), "X-Eval-Sample: %s",
             req->sample_key != NULL ? req->sample_key : "-");
    for (char *p = x->sample_hdr; *p != '\0'; p++) {
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    }
    snprintf(x->turn_hdr, sizeof(x->turn_hdr), "X-Eval-Turn: %u", req->turn);
    pthread_mutex_lock(&c->mu);
    if (c->stopping) {
        pthread_mutex_unlock(&c->mu);
        ch_free(x->body);
        ch_free(x->out);
        ch_free(x);
        return ch_err_set(err, CH_E_CONFLICT, "the model client is shutting down");
    }
    x->next = c->incoming;
    c->incoming = x;
    c->st.queued++;
    pthread_mutex_unlock(&c->mu);
    curl_multi_wakeup(c->multi);
    return CH_OK;
}

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    struct ch_model_response *resp;
};

static void waiter_done(void *arg, struct ch_model_response *resp)
{
    struct waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->resp = resp;
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int ch_model_call(struct ch_model_client *c, const struct ch_model_request *req,
                  struct ch_model_response *ret, struct ch_err *err)
{
    *ret = (struct ch_model_response){.status = CH_MODEL_ERROR};
    struct waiter w = {.done = false};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    int rc = ch_model_submit(c, req, waiter_done, &w, err);
    if (rc == CH_OK) {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        *ret = *w.resp;
        ch_free(w.resp);
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return rc;
}

void ch_model_stats(struct ch_model_client *c, struct ch_model_stats *ret)
{
    pthread_mutex_lock(&c->mu);
    *ret = c->st;
    pthread_mutex_unlock(&c->mu);
}

static bool budget_exhausted_locked(const struct ch_model_client *c)
{
    if (c->o.max_total_tokens > 0 &&
        c->st.prompt_tokens + c->st.completion_tokens >= c->o.max_total_tokens)
        return true;
    return c->o.max_cost > 0 && c->st.cost >= c->o.max_cost;
}

bool ch_model_budget_exhausted(struct ch_model_client *c)
{
    pthread_mutex_lock(&c->mu);
    bool b = budget_exhausted_locked(c);
    pthread_mutex_unlock(&c->mu);
    return b;
}

/* ---- the loop --------------------------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;
    if (ch_buf_append(&x->resp, ptr, n) != CH_OK)
        return 0; /* over the limit: curl aborts with CURLE_WRITE_ERROR */
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nitems;
    struct ch_str line = ch_str_make(ptr, n);
    long colon = ch_str_find_char(line, ':');
    if (colon <= 0)
        return n;
    struct ch_str name = ch_str_make(ptr, (size_t)colon);
    struct ch_str value = ch_str_trim(ch_str_sub(line, (size_t)colon + 1, n));
    char v[80];
    if (value.len >= sizeof(v))
        return n;
    memcpy(v, value.ptr, value.len);
    v[value.len] = '\0';
    if (ch_str_case_eq_c(name, "retry-after-ms")) {
        uint64_t ms = 0;
        struct ch_err e = CH_ERR_INIT;
        if (ch_num_parse_u64(value, 86400000, &ms, &e) == CH_OK)
            x->retry_after_ms = (int64_t)ms;
    } else if (ch_str_case_eq_c(name, "retry-after") && x->retry_after_ms < 0) {
        x->retry_after_ms = ch_model_parse_retry_after(v, (int64_t)time(NULL));
    }
    return n;
}

static int start(struct ch_model_client *c, struct xfer *x)
{
    x->easy = curl_easy_init();
    if (x->easy == NULL)
        return CH_E_NOMEM;
    ch_buf_reset(&x->resp);
    x->retry_after_ms = -1;
    x->http_status = 0;
    if (x->headers == NULL) {
        struct curl_slist *h = NULL;
        const char *hdrs[] = {"Content-Type: application/json",
                              "Accept: application/json",
                              "Expect:",
                              x->sample_hdr,
                              x->turn_hdr,
                              c->auth_header};
        for (size_t i = 0; i < CH_ARRAY_SIZE(hdrs); i++) {
            if (hdrs[i] == NULL)
                continue;
            struct curl_slist *n = curl_slist_append(h, hdrs[i]);
            if (n == NULL) {
                curl_slist_free_all(h);
                return CH_E_NOMEM;
            }
            h = n;
        }
        x->headers = h;
    }
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, c->endpoint_url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->o.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->o.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "clearinghouse-eval/1");
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        x->easy = NULL;
        return CH_E_INTERNAL;
    }
    c->active++;
    x->aprev = NULL;
    x->anext = c->active_list;
    if (c->active_list != NULL)
        c->active_list->aprev = x;
    c->active_list = x;
    pthread_mutex_lock(&c->mu);
    c->st.in_flight++;
    c->st.attempts++;
    pthread_mutex_unlock(&c->mu);
    return CH_OK;
}

static bool retryable_status(long code)
{
    return code == 408 || code == 409 || code == 425 || code == 429 || code >= 500;
}

/* Whether an error body says the provider's content filter refused. */
static bool is_filter_error(const cJSON *root)
{
    const cJSON *e = ch_json_obj(root, "error");
    const char *code = ch_json_str(e, "code");
    return code != NULL && strcmp(code, "content_filter") == 0;
}

/* Schedules another attempt, or ends the call when none are left. */
static void retry_or_fail(struct ch_model_client *c, struct xfer *x, const char *why)
{
    if (x->attempt >= c->o.max_retries) {
        char msg[300];
        snprintf(msg, sizeof(msg), "model endpoint: %s (after %u attempts)", why, x->attempt + 1);
        finish_status(x, CH_MODEL_ERROR, CH_E_UNAVAILABLE, msg);
        return;
    }
    int64_t delay = ch_model_backoff_ms(&c->o, x->attempt, x->retry_after_ms, ch_rng_unit(&c->rng));
    x->attempt++;
    x->due_ms = ch_clock_mono_ms() + delay;
    x->next = c->waiting;
    c->waiting = x;
    pthread_mutex_lock(&c->mu);
    c->st.retries++;
    c->st.queued++;
    pthread_mutex_unlock(&c->mu);
}

static void parse_ok(struct ch_model_client *c, struct xfer *x)
{
    struct ch_model_response *r = x->out;
    r->http_status = x->http_status;
    struct ch_json_limits jl = {.max_bytes = c->o.max_response_bytes};
    struct ch_err perr = CH_ERR_INIT;
    if (ch_json_parse(ch_buf_cstr(&x->resp), ch_buf_len(&x->resp), &jl, "model response", &r->json,
                      &perr) != CH_OK) {
        r->json = NULL;
        retry_or_fail(c, x, "malformed or cut response");
        return;
    }
    const cJSON *choices = ch_json_arr(r->json, "choices");
    const cJSON *first = choices != NULL ? cJSON_GetArrayItem(choices, 0) : NULL;
    const cJSON *msg = ch_json_obj(first, "message");
    if (msg == NULL) {
        bool filtered = is_filter_error(r->json);
        cJSON_Delete(r->json);
        r->json = NULL;
        if (filtered)
            finish_status(x, CH_MODEL_FILTERED, CH_E_PERM, "the provider's content filter refused");
        else
            retry_or_fail(c, x, "response without choices[0].message");
        return;
    }
    r->message = msg;
    r->content = ch_json_str(msg, "content");
    r->tool_calls = ch_json_arr(msg, "tool_calls");
    r->finish_reason = ch_json_str(first, "finish_reason");
    const cJSON *usage = ch_json_obj(r->json, "usage");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
    if (cJSON_IsNumber(pt) && pt->valuedouble >= 0 && pt->valuedouble < 1e12)
        r->prompt_tokens = (uint64_t)pt->valuedouble;
    if (cJSON_IsNumber(ct) && ct->valuedouble >= 0 && ct->valuedouble < 1e12)
        r->completion_tokens = (uint64_t)ct->valuedouble;
    r->cost = ((double)r->prompt_tokens * c->o.price_in_per_mtok +
               (double)r->completion_tokens * c->o.price_out_per_mtok) /
              1e6;
    r->status = CH_MODEL_OK;
    if (r->finish_reason != NULL && strcmp(r->finish_reason, "content_filter") == 0) {
        r->status = CH_MODEL_FILTERED;
        ch_err_set(&r->err, CH_E_PERM, "the provider's content filter stopped the answer");
    }
    pthread_mutex_lock(&c->mu);
    c->st.requests++;
    c->st.prompt_tokens += r->prompt_tokens;
    c->st.completion_tokens += r->completion_tokens;
    c->st.cost += r->cost;
    pthread_mutex_unlock(&c->mu);
    finish(x, r);
}

static void on_done(struct ch_model_client *c, struct xfer *x, CURLcode res)
{
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->http_status);
    curl_multi_remove_handle(c->multi, x->easy);
    curl_easy_cleanup(x->easy);
    x->easy = NULL;
    c->active--;
    if (x->aprev != NULL)
        x->aprev->anext = x->anext;
    else
        c->active_list = x->anext;
    if (x->anext != NULL)
        x->anext->aprev = x->aprev;
    x->aprev = x->anext = NULL;
    pthread_mutex_lock(&c->mu);
    c->st.in_flight--;
    pthread_mutex_unlock(&c->mu);
    char why[200];
    if (res == CURLE_WRITE_ERROR) {
        snprintf(why, sizeof(why), "response larger than %zu bytes", c->o.max_response_bytes);
        finish_status(x, CH_MODEL_ERROR, CH_E_LIMIT, why);
        return;
    }
    if (res != CURLE_OK) {
        snprintf(why, sizeof(why), "%s", curl_easy_strerror(res));
        retry_or_fail(c, x, why);
        return;
    }
    if (x->http_status == 200) {
        parse_ok(c, x);
        return;
    }
    if (retryable_status(x->http_status)) {
        snprintf(why, sizeof(why), "HTTP %ld", x->http_status);
        retry_or_fail(c, x, why);
        return;
    }
    cJSON *root = NULL;
    struct ch_err perr = CH_ERR_INIT;
    struct ch_json_limits jl = {.max_bytes = c->o.max_response_bytes};
    bool filtered = ch_json_parse(ch_buf_cstr(&x->resp), ch_buf_len(&x->resp), &jl, "error body",
                                  &root, &perr) == CH_OK &&
                    is_filter_error(root);
    cJSON_Delete(root);
    if (filtered) {
        finish_status(x, CH_MODEL_FILTERED, CH_E_PERM, "the provider's content filter refused");
        return;
    }
    snprintf(why, sizeof(why), "model endpoint answered HTTP %ld (not retried)", x->http_status);
    finish_status(x, CH_MODEL_ERROR,
                  x->http_status == 401 || x->http_status == 403 ? CH_E_AUTH : CH_E_UNAVAILABLE,
                  why);
}

/* Starts due transfers while slots are free; returns ms until the next due one (or -1). */
static int64_t start_due(struct ch_model_client *c)
{
    int64_t now = ch_clock_mono_ms();
    int64_t next = -1;
    struct xfer **pp = &c->waiting;
    /* The list is LIFO; walk it all so older requests are not starved by a long queue. */
    struct xfer *due = NULL;
    while (*pp != NULL) {
        struct xfer *x = *pp;
        if (x->due_ms <= now) {
            *pp = x->next;
            x->next = due;
            due = x;
        } else {
            if (next < 0 || x->due_ms - now < next)
                next = x->due_ms - now;
            pp = &x->next;
        }
    }
    /* `due` is now in submission order (the reversal of a reversal). */
    while (due != NULL) {
        struct xfer *x = due;
        if (c->active >= c->o.concurrency) {
            /* No slot: put the rest back and wake when a transfer ends. */
            struct xfer *last = due;
            while (last->next != NULL)
                last = last->next;
            last->next = c->waiting;
            c->waiting = due;
            return next;
        }
        due = x->next;
        pthread_mutex_lock(&c->mu);
        c->st.queued--;
        bool broke = budget_exhausted_locked(c);
        pthread_mutex_unlock(&c->mu);
        if (broke) {
            finish_status(x, CH_MODEL_BUDGET, CH_E_LIMIT, "the run's token or cost cap is reached");
            continue;
        }
        int rc = start(c, x);
        if (rc != CH_OK)
            finish_status(x, CH_MODEL_ERROR, rc, "cannot start an HTTP transfer");
    }
    return next;
}

static void cancel_list(struct xfer *x)
{
    while (x != NULL) {
        struct xfer *n = x->next;
        finish_status(x, CH_MODEL_CANCELLED, CH_E_CONFLICT, "the model client was shut down");
        x = n;
    }
}

static void *loop_main(void *arg)
{
    struct ch_model_client *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        struct xfer *in = c->incoming;
        c->incoming = NULL;
        bool stop = c->stopping;
        pthread_mutex_unlock(&c->mu);
        /* incoming is LIFO; reversing keeps submission order when appended to waiting. */
        struct xfer *rev = NULL;
        while (in != NULL) {
            struct xfer *n = in->next;
            in->next = rev;
            rev = in;
            in = n;
        }
        while (rev != NULL) {
            struct xfer *n = rev->next;
            rev->next = c->waiting;
            c->waiting = rev;
            rev = n;
        }
        if (stop) {
            cancel_list(c->waiting);
            c->waiting = NULL;
            while (c->active_list != NULL) {
                struct xfer *x = c->active_list;
                c->active_list = x->anext;
                finish_status(x, CH_MODEL_CANCELLED, CH_E_CONFLICT,
                              "the model client was shut down");
            }
            break;
        }
        int64_t next = start_due(c);
        int running = 0;
        curl_multi_perform(c->multi, &running);
        int left = 0;
        CURLMsg *m;
        bool any = false;
        while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct xfer *x = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            on_done(c, x, m->data.result);
            any = true;
        }
        if (any)
            continue; /* slots freed or retries queued: start them before sleeping */
        int timeout = LOOP_MAX_SLEEP_MS;
        if (next >= 0 && next < timeout)
            timeout = (int)next;
        curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
    }
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    pthread_mutex_lock(&c->mu);
    c->st.client_cpu_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    pthread_mutex_unlock(&c->mu);
    return NULL;
}
