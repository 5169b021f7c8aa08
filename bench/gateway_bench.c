/* SPDX-License-Identifier: Apache-2.0
 *
 * gateway_bench: overhead the partner gateway adds to one proxied chat call.
 *
 * A local OpenAI-compatible endpoint (tests/gateway/upstream.c) answers at
 * once. For N calls we time (a) the same request sent straight to the
 * endpoint with libcurl, reusing the connection, and (b) the gateway
 * handler ch_h_gateway_chat() on a constructed call, as a server worker runs
 * it: token lookup, grant/window/kill-switch checks, the atomic quota
 * reservation, forwarding, sealing request and response, the log row, the
 * audit entry and the settlement. Added latency = (b) - (a) at each
 * percentile. The token is authenticated once per call too (as the server
 * does before the handler) and is included.
 *
 * usage: gateway_bench [N] [DB_URL]   (default 2000 calls, a temporary SQLite file)
 * Linked like the other benchmarks (bench/CMakeLists.txt, CH_BENCH=ON).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/num.h"
#include "eval/gateway.h"
#include "eval/models.h"
#include "eval/windows.h"
#include "http/h_gateway.h"
#include "http/http.h"
#include "identity/identity.h"
#include "store/store.h"

#include "../tests/gateway/upstream.c"

#define T0 1780000000

static const char body[] = "{\"model\":\"bench-model\",\"max_tokens\":64,\"messages\":"
                           "[{\"role\":\"user\",\"content\":\"ping\"}]}";

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const int64_t *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0; /* microseconds */
}

static size_t sink(char *p, size_t s, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return s * n;
}

static void die(const char *what, const struct ch_err *err)
{
    fprintf(stderr, "gateway_bench: %s: %s\n", what, err != NULL ? err->msg : "");
    exit(1);
}

int main(int argc, char **argv)
{
    uint64_t n64 = 2000;
    struct ch_err aerr = CH_ERR_INIT;
    if (argc > 1 && ch_num_parse_u64(ch_str_c(argv[1]), 10000000, &n64, &aerr) != CH_OK) {
        fprintf(stderr, "usage: gateway_bench [N] [DB_URL]\n");
        return 2;
    }
    size_t n = n64 < 10 ? 10 : (size_t)n64;
    char dir[] = "/tmp/gwbench.XXXXXX";
    if (mkdtemp(dir) == NULL)
        die("mkdtemp", NULL);
    char url[512];
    snprintf(url, sizeof(url), "sqlite:%s/bench.db", dir);
    const char *db = argc > 2 ? argv[2] : url;
    struct ch_err err = CH_ERR_INIT;
    ch_json_global_init();
    if (ch_crypto_init(&err) != CH_OK)
        die("crypto", &err);
    struct ch_store *s = NULL;
    if (ch_store_open(db, NULL, &s, &err) != CH_OK)
        die("store", &err);
    struct ch_app app = {.have_keys = true, .clock = CH_CLOCK_FIXED(T0 + 3600)};
    char kd[600];
    snprintf(kd, sizeof(kd), "%s/keys", dir);
    bool created = false;
    if (ch_keys_create(kd, &created, &err) != CH_OK || ch_keys_load(kd, &app.keys, &err) != CH_OK)
        die("keys", &err);
    struct upstream up;
    if (upstream_start(&up) != 0)
        die("upstream", NULL);
    char endpoint[128];
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/v1", up.port);

    int64_t dev_org = 0;
    int64_t partner_org = 0;
    int64_t uid = 0;
    int64_t model = 0;
    int64_t w = 0;
    int64_t grant = 0;
    char token[CH_TOKEN_MAX];
    struct ch_org_new o1 = {.slug = "dev", .name = "Dev", .category = CH_ORG_DEVELOPER};
    struct ch_org_new o2 = {.slug = "partner", .name = "Partner", .category = CH_ORG_PARTNER};
    struct ch_user_new u = {.name = "p", .roles = CH_ROLE_PARTNER};
    struct ch_eval_actor admin = CH_EVAL_ACTOR_LOCAL;
    if (ch_org_create(s, &o1, T0, &dev_org, &err) != CH_OK ||
        ch_org_create(s, &o2, T0, &partner_org, &err) != CH_OK)
        die("orgs", &err);
    u.org_id = partner_org;
    struct ch_models_new m = {.org_id = dev_org,
                              .name = "bench-model",
                              .version = "1",
                              .endpoint = endpoint,
                              .credential = "sk-bench",
                              .planned_release_at = -1};
    if (ch_user_create(s, &u, T0, &uid, &err) != CH_OK ||
        ch_models_add(s, &app.keys, &admin, &m, T0, &model, &err) != CH_OK)
        die("model", &err);
    struct ch_eval_actor dev = {.org_id = dev_org, .roles = CH_ROLE_DEVELOPER, .name = "dev"};
    struct ch_gateway_grant_new g = {
        .model = "bench-model", .user = "p", .starts_at = T0, .expires_at = T0 + 86400 * 7};
    if (ch_gateway_partner_name(s, &dev, "bench-model", "partner", NULL, T0, &err) != CH_OK ||
        ch_gateway_partner_name(s, &admin, "bench-model", "partner", NULL, T0, &err) != CH_OK ||
        ch_window_offer(s, &admin, "bench-model", T0, T0 + 86400 * 7, T0, &w, &err) != CH_OK ||
        ch_window_transition(s, &admin, w, CH_WINDOW_OPEN, T0, &err) != CH_OK ||
        ch_gateway_grant_create(s, &admin, &g, T0, &grant, token, &err) != CH_OK)
        die("setup", &err);

    int64_t *direct = calloc(n, sizeof(int64_t));
    int64_t *via = calloc(n, sizeof(int64_t));
    if (direct == NULL || via == NULL)
        die("memory", NULL);

    /* (a) straight to the endpoint, connection reused. */
    CURL *h = curl_easy_init();
    char target[160];
    snprintf(target, sizeof(target), "%s/chat/completions", endpoint);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, target);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    for (size_t i = 0; i < n + 50; i++) {
        int64_t t0 = ch_clock_mono_ns();
        if (curl_easy_perform(h) != CURLE_OK)
            die("direct call", NULL);
        if (i >= 50)
            direct[i - 50] = ch_clock_mono_ns() - t0;
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);

    /* (b) through the gateway handler. */
    for (size_t i = 0; i < n + 50; i++) {
        struct ch_http_call call = {.app = &app, .store = s, .err = CH_ERR_INIT};
        call.arena = ch_arena_new(CH_HTTP_ARENA_MAX);
        call.req.method = CH_HTTP_POST;
        call.req.body = ch_str_make(body, sizeof(body) - 1);
        call.req.content_type = ch_str_c("application/json");
        ch_buf_init(&call.res.body, CH_HTTP_MAX_RESPONSE);
        int64_t t0 = ch_clock_mono_ns();
        if (ch_token_authenticate(s, ch_str_c(token), T0 + 3600, &call.principal, &err) != CH_OK)
            die("authenticate", &err);
        call.authenticated = true;
        if (ch_h_gateway_chat(&call) != CH_OK || call.res.status != 200)
            die("gateway call", &call.err);
        if (i >= 50)
            via[i - 50] = ch_clock_mono_ns() - t0;
        ch_buf_release(&call.res.body);
        ch_arena_free(call.arena);
    }
    qsort(direct, n, sizeof(int64_t), cmp_i64);
    qsort(via, n, sizeof(int64_t), cmp_i64);
    printf("gateway_bench: %zu calls, backend %s\n", n, ch_store_backend_name(s));
    printf("%-22s %10s %10s %10s\n", "microseconds", "p50", "p90", "p99");
    printf("%-22s %10.1f %10.1f %10.1f\n", "direct to endpoint", pct(direct, n, 0.5),
           pct(direct, n, 0.9), pct(direct, n, 0.99));
    printf("%-22s %10.1f %10.1f %10.1f\n", "through the gateway", pct(via, n, 0.5),
           pct(via, n, 0.9), pct(via, n, 0.99));
    printf("%-22s %10.1f %10.1f %10.1f\n", "added by the gateway",
           pct(via, n, 0.5) - pct(direct, n, 0.5), pct(via, n, 0.9) - pct(direct, n, 0.9),
           pct(via, n, 0.99) - pct(direct, n, 0.99));
    free(direct);
    free(via);
    upstream_stop(&up);
    ch_store_free(s);
    ch_keys_wipe(&app.keys);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "%s/bench.db", dir);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s/bench.db-wal", dir);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s/bench.db-shm", dir);
    unlink(cmd);
    return 0;
}
