/* SPDX-License-Identifier: Apache-2.0
 *
 * model.h: a client for OpenAI-compatible chat-completions endpoints
 * (POST {endpoint}/chat/completions, "stream": false, tool calling).
 *
 * One client owns one thread that drives libcurl's multi interface: every
 * request of a run, from any thread, is multiplexed there over a shared
 * connection pool, with at most `concurrency` HTTP requests in flight (more
 * wait in a queue). Callers either submit a request with a completion
 * callback (called on the client's thread) or call ch_model_call(), which
 * blocks the calling thread until the answer, after all retries.
 *
 * Retries: connection failures, timeouts, cut or malformed responses, 408,
 * 409, 429 and 5xx are retried up to max_retries times, after a delay that is
 * the server's Retry-After (seconds, HTTP date, or retry-after-ms), capped by
 * retry_after_max_ms, or otherwise "full jitter" exponential backoff: uniform
 * in [0, min(backoff_max_ms, backoff_base_ms * 2^attempt)]. Other 4xx are
 * final (a configuration problem: retrying would not help). A refusal by the
 * provider's content filter (finish_reason "content_filter", or an error
 * whose code is "content_filter") is reported as CH_MODEL_FILTERED, never as
 * an error.
 *
 * Accounting: the client sums prompt and completion tokens, their cost
 * (prices per million tokens), requests and retries. When a run cap (tokens
 * or cost) has been reached, requests not yet sent end as CH_MODEL_BUDGET.
 *
 * Secrets: the API key is copied at creation, sent only in the
 * Authorization header, never logged or put in an error message, and wiped
 * when the client is freed. Callers read it from the environment.
 */
#ifndef CH_EVAL_MODEL_H
#define CH_EVAL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/err.h"

/* A response body: long completions are a few hundred kB. */
#define CH_MODEL_DEFAULT_MAX_RESPONSE ((size_t)8 << 20)
#define CH_MODEL_DEFAULT_CONCURRENCY 8u
#define CH_MODEL_MAX_CONCURRENCY 4096u
#define CH_MODEL_DEFAULT_TIMEOUT_MS 120000
#define CH_MODEL_DEFAULT_CONNECT_MS 10000
#define CH_MODEL_DEFAULT_RETRIES 6u
#define CH_MODEL_DEFAULT_BACKOFF_BASE_MS 500
#define CH_MODEL_DEFAULT_BACKOFF_MAX_MS 30000
#define CH_MODEL_DEFAULT_RETRY_AFTER_MAX_MS 120000
/* Bytes of the model name and endpoint URL. */
#define CH_MODEL_MAX_NAME 256u
#define CH_MODEL_MAX_URL 2048u

struct ch_model_options {
    const char *endpoint; /* base URL, e.g. "http://127.0.0.1:8080/v1" */
    const char *model;    /* the "model" member of each request */
    const char *api_key;  /* NULL: no Authorization header; copied */
    unsigned concurrency; /* HTTP requests in flight; 0 = default */
    int64_t timeout_ms;   /* one attempt, whole transfer; 0 = default */
    int64_t connect_timeout_ms;
    unsigned max_retries; /* 0 = default; use no_retries for none */
    bool no_retries;
    int64_t backoff_base_ms;
    int64_t backoff_max_ms;
    int64_t retry_after_max_ms;
    uint64_t max_total_tokens; /* run cap; 0 = none */
    double max_cost;           /* run cap in the price unit; 0 = none */
    double price_in_per_mtok;  /* price of a million prompt tokens */
    double price_out_per_mtok; /* price of a million completion tokens */
    double temperature;        /* sent when has_temperature */
    bool has_temperature;
    uint64_t seed;             /* jitter randomness (tests pass a fixed one) */
    size_t max_response_bytes; /* 0 = default */
};

enum ch_model_status {
    CH_MODEL_OK = 0,
    CH_MODEL_FILTERED,  /* the provider's content filter stopped the answer */
    CH_MODEL_ERROR,     /* infrastructure: retries exhausted, or a final HTTP error */
    CH_MODEL_BUDGET,    /* the run's token or cost cap was reached before sending */
    CH_MODEL_CANCELLED, /* the client was freed with the request pending */
};

const char *ch_model_status_str(enum ch_model_status s);

/* One call. Pointers are borrowed for ch_model_submit()/ch_model_call() only (copied). */
struct ch_model_request {
    const char *messages_json; /* a JSON array of chat messages */
    const char *tools_json;    /* a JSON array of tool definitions, or NULL */
    uint64_t max_tokens;       /* completion cap sent as max_tokens; 0 = none */
    const char *sample_key;    /* sent as X-Eval-Sample (counting, not secret); may be NULL */
    unsigned turn;             /* sent as X-Eval-Turn */
};

/*
 * An answer. Owns `json`; the borrowed pointers point into it and stay valid
 * until ch_model_response_release().
 */
struct ch_model_response {
    enum ch_model_status status;
    long http_status;        /* of the last attempt, 0 if none answered */
    cJSON *json;             /* the parsed body of a 200 answer */
    const char *content;     /* choices[0].message.content, NULL if none */
    const cJSON *tool_calls; /* choices[0].message.tool_calls, NULL if none */
    const cJSON *message;    /* choices[0].message */
    const char *finish_reason;
    uint64_t prompt_tokens;
    uint64_t completion_tokens;
    double cost;
    unsigned retries;   /* attempts after the first */
    int64_t latency_ms; /* from submission to the answer, retries included */
    struct ch_err err;  /* why, for every status but OK */
};

void ch_model_response_release(struct ch_model_response *r);

/* Totals since creation; safe to read from any thread. */
struct ch_model_stats {
    uint64_t requests; /* answered calls (after retries) */
    uint64_t attempts; /* HTTP attempts */
    uint64_t retries;
    uint64_t prompt_tokens;
    uint64_t completion_tokens;
    double cost;
    uint64_t in_flight;     /* HTTP requests on the wire now */
    uint64_t queued;        /* calls waiting for a slot or a retry */
    uint64_t client_cpu_ns; /* CPU time spent by the client's thread */
};

struct ch_model_client;

/*
 * Starts the client thread. Errors: CH_E_USAGE (no endpoint or model, or a
 * URL or name beyond the limits), CH_E_NOMEM, CH_E_INTERNAL (libcurl).
 */
int ch_model_client_new(const struct ch_model_options *opts, struct ch_model_client **ret,
                        struct ch_err *err) CH_MUST_CHECK;
/* Cancels what is pending (callbacks get CH_MODEL_CANCELLED), joins the thread, frees. */
void ch_model_client_free(struct ch_model_client *c);

/*
 * Called once per submitted request, on the client's thread, with a response
 * the callee now owns (release it with ch_model_response_release).
 */
typedef void (*ch_model_done_fn)(void *arg, struct ch_model_response *resp);

/* Queues a request. CH_E_NOMEM, or CH_E_CONFLICT after the client began shutting down. */
int ch_model_submit(struct ch_model_client *c, const struct ch_model_request *req,
                    ch_model_done_fn done, void *arg, struct ch_err *err) CH_MUST_CHECK;

/*
 * Sends a request and waits for the answer. *ret is initialised in every
 * case (release it). Returns CH_OK when a response arrived, whatever its
 * status (see ret->status), or an error when the request could not be queued.
 */
int ch_model_call(struct ch_model_client *c, const struct ch_model_request *req,
                  struct ch_model_response *ret, struct ch_err *err) CH_MUST_CHECK;

void ch_model_stats(struct ch_model_client *c, struct ch_model_stats *ret);

/* Whether the run's cap has been reached. */
bool ch_model_budget_exhausted(struct ch_model_client *c);

/*
 * The delay before retry number `attempt` (0-based): Retry-After when the
 * server sent one (retry_after_ms >= 0, capped), else full-jitter backoff
 * drawn with rand01 in [0, 1). Exposed for tests.
 */
int64_t ch_model_backoff_ms(const struct ch_model_options *o, unsigned attempt,
                            int64_t retry_after_ms, double rand01);

/*
 * Parses a Retry-After value: delta seconds or an HTTP date (relative to
 * now_secs). Returns milliseconds, or -1 when unparseable.
 */
int64_t ch_model_parse_retry_after(const char *value, int64_t now_secs);

#endif
