/* SPDX-License-Identifier: Apache-2.0
 * Integration tests: the trusted-partner gateway end to end against a real
 * OpenAI-compatible upstream on loopback (tests/gateway/upstream.c).
 *
 * The route is not wired into the server's table yet (routes.c belongs to
 * the HTTP engineer), so these tests call the handler ch_h_gateway_chat()
 * with a constructed struct ch_http_call, exactly as a server worker would:
 * own database connection, principal from ch_token_authenticate(), the
 * app's keys and (fixed) clock. */
#include "testutil.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "eval/gateway.h"
#include "eval/models.h"
#include "eval/windows.h"
#include "http/h_gateway.h"
#include "http/http.h"
#include "store/store.h"

#include "../gateway/upstream.c"

#define T0 1780000000
#define DAY CH_DAY_SECONDS
#define END (T0 + 10 * DAY)

struct fx {
    char *dir;
    char *url;
    struct ch_store *s;
    struct ch_app app;
    struct upstream up;
    int64_t model_a;
    int64_t model_b;
    int64_t grant_a;
    int64_t grant_b;
    int64_t redteam;
    char token_a[CH_TOKEN_MAX];
    char token_b[CH_TOKEN_MAX];
};

static struct ch_store *open_store(struct fx *f)
{
    struct ch_store *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_open(f->url, NULL, &s, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return s;
}

static void must(int rc, const struct ch_err *err)
{
    if (rc != CH_OK)
        fail_msg("%s", err->msg);
}

static int setup(void **state)
{
    struct fx *f = ch_calloc(1, sizeof(*f));
    struct ch_err err = CH_ERR_INIT;
    must(ch_crypto_init(&err), &err);
    f->url = ch_test_store_url(&f->dir);
    f->s = open_store(f);
    char kd[1024];
    snprintf(kd, sizeof(kd), "%s/keys", f->dir);
    bool created = false;
    must(ch_keys_create(kd, &created, &err), &err);
    must(ch_keys_load(kd, &f->app.keys, &err), &err);
    f->app.have_keys = true;
    f->app.clock = CH_CLOCK_FIXED(T0 + DAY);
    assert_int_equal(upstream_start(&f->up), 0);

    int64_t acme = 0;
    int64_t other = 0;
    struct ch_org_new o1 = {.slug = "acme-ai", .name = "Acme AI", .category = CH_ORG_DEVELOPER};
    struct ch_org_new o2 = {.slug = "redteam", .name = "Red Team", .category = CH_ORG_PARTNER};
    struct ch_org_new o3 = {.slug = "other", .name = "Other", .category = CH_ORG_PARTNER};
    must(ch_org_create(f->s, &o1, T0, &acme, &err), &err);
    must(ch_org_create(f->s, &o2, T0, &f->redteam, &err), &err);
    must(ch_org_create(f->s, &o3, T0, &other, &err), &err);
    int64_t uid = 0;
    struct ch_user_new u1 = {.org_id = acme, .name = "dev", .roles = CH_ROLE_DEVELOPER};
    struct ch_user_new u2 = {.org_id = f->redteam, .name = "rt", .roles = CH_ROLE_PARTNER};
    must(ch_user_create(f->s, &u1, T0, &uid, &err), &err);
    must(ch_user_create(f->s, &u2, T0, &uid, &err), &err);
    char namebuf[160];
    struct ch_eval_actor dev;
    must(ch_eval_actor_for_user(f->s, "dev", namebuf, sizeof(namebuf), &dev, &err), &err);
    struct ch_eval_actor admin = CH_EVAL_ACTOR_LOCAL;
    char endpoint[128];
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/v1/", f->up.port);
    struct ch_models_new a = {.org_id = acme,
                              .name = "frontier-a",
                              .version = "1",
                              .endpoint = endpoint,
                              .upstream_model = "acme-internal-a",
                              .credential = "sk-upstream-a",
                              .prerelease = true,
                              .planned_release_at = -1};
    struct ch_models_new b = a;
    b.name = "frontier-b";
    b.upstream_model = "acme-internal-b";
    must(ch_models_add(f->s, &f->app.keys, &dev, &a, T0, &f->model_a, &err), &err);
    must(ch_models_add(f->s, &f->app.keys, &dev, &b, T0, &f->model_b, &err), &err);
    struct ch_gateway_limits lim = {.requests_per_day = 1000};
    for (int i = 0; i < 2; i++) {
        const char *m = i == 0 ? "frontier-a" : "frontier-b";
        must(ch_gateway_partner_name(f->s, &dev, m, "redteam", NULL, T0, &err), &err);
        must(ch_gateway_partner_name(f->s, &admin, m, "redteam", &lim, T0, &err), &err);
    }
    int64_t w = 0;
    must(ch_window_offer(f->s, &dev, "frontier-a", T0, END, T0, &w, &err), &err);
    must(ch_window_transition(f->s, &admin, w, CH_WINDOW_OPEN, T0, &err), &err);
    struct ch_gateway_grant_new g = {
        .model = "frontier-a", .user = "rt", .starts_at = T0, .expires_at = T0 + 20 * DAY};
    must(ch_gateway_grant_create(f->s, &dev, &g, T0, &f->grant_a, f->token_a, &err), &err);
    g.model = "frontier-b";
    must(ch_gateway_grant_create(f->s, &admin, &g, T0, &f->grant_b, f->token_b, &err), &err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    upstream_stop(&f->up);
    ch_store_free(f->s);
    ch_keys_wipe(&f->app.keys);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f->url);
    ch_free(f);
    return 0;
}

/* One call as a server worker makes it, on its own connection. */
struct call_result {
    int rc;
    int status;
    char body[4096];
    char err[512];
};

static void do_call(struct fx *f, struct ch_store *s, const struct ch_clock *clock,
                    const char *token, const char *body, struct call_result *ret)
{
    struct ch_app app = f->app;
    app.clock = *clock;
    struct ch_http_call call = {.app = &app, .store = s, .err = CH_ERR_INIT};
    call.arena = ch_arena_new(CH_HTTP_ARENA_MAX);
    call.req.method = CH_HTTP_POST;
    call.req.path = ch_str_c("/v1/chat/completions");
    call.req.body = ch_str_c(body);
    call.req.content_type = ch_str_c("application/json");
    ch_buf_init(&call.res.body, CH_HTTP_MAX_RESPONSE);
    struct ch_err err = CH_ERR_INIT;
    if (ch_token_authenticate(s, ch_str_c(token), ch_clock_now(clock), &call.principal, &err) ==
        CH_OK) {
        call.authenticated = true;
        ret->rc = ch_h_gateway_chat(&call);
    } else {
        ret->rc = err.rc;
        call.err = err;
    }
    ret->status = call.res.status;
    snprintf(ret->body, sizeof(ret->body), "%s", ch_buf_cstr(&call.res.body));
    snprintf(ret->err, sizeof(ret->err), "%s", call.err.msg);
    ch_buf_release(&call.res.body);
    ch_arena_free(call.arena);
}

static const char *const chat_a =
    "{\"model\":\"frontier-a\",\"messages\":[{\"role\":\"user\",\"content\":"
    "\"insider-canary-7731: say pong\"}]}";
static const char *const chat_b =
    "{\"model\":\"frontier-b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

static void test_gateway_forwards_and_records(void **state)
{
    struct fx *f = *state;
    struct call_result r;
    do_call(f, f->s, &f->app.clock, f->token_a, chat_a, &r);
    if (r.rc != CH_OK)
        fail_msg("%s", r.err);
    assert_int_equal(r.status, 200);
    assert_true(ch_test_contains(r.body, "pong"));
    /* Upstream saw its own model name, the sealed credential, and a max_tokens. */
    assert_true(ch_test_contains(f->up.last_body, "\"model\":\"acme-internal-a\""));
    assert_true(ch_test_contains(f->up.last_body, "\"max_tokens\":4096"));
    assert_true(ch_test_contains(f->up.last_auth, "Bearer sk-upstream-a"));
    /* Recorded: sealed content (no plaintext), digests in the audit chain. */
    struct ch_err err = CH_ERR_INIT;
    int64_t n = 0;
    must(ch_store_query_int(f->s, "SELECT COUNT(*) FROM eval_gateway_log WHERE outcome = ?", "ok",
                            0, &n, &err),
         &err);
    assert_int_equal(n, 1);
    must(ch_store_query_int(f->s, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "gateway.call",
                            0, &n, &err),
         &err);
    assert_int_equal(n, 1);
    struct ch_stmt *st = NULL;
    must(ch_store_prepare(f->s, "SELECT request_sealed, response_sealed FROM eval_gateway_log", &st,
                          &err),
         &err);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    struct ch_str req = ch_stmt_blob(st, 0);
    assert_null(memmem(req.ptr, req.len, "insider-canary-7731", 19));
    ch_stmt_free(st);
    /* Usage settled to the real 15 tokens. */
    int64_t reqs = 0;
    int64_t toks = 0;
    must(ch_gateway_usage(f->s, f->model_a, f->redteam, T0 + DAY, &reqs, &toks, &err), &err);
    assert_int_equal(reqs, 1);
    assert_int_equal(toks, 15);
    /* A clearinghouse reviewer opens the record (audited). */
    struct ch_eval_actor admin = CH_EVAL_ACTOR_LOCAL;
    struct ch_buf q;
    struct ch_buf a;
    ch_buf_init(&q, 1 << 20);
    ch_buf_init(&a, 1 << 20);
    must(ch_gateway_log_open(f->s, &f->app.keys, &admin, 1, T0 + DAY, &q, &a, &err), &err);
    assert_true(ch_test_contains(q.ptr, "insider-canary-7731"));
    assert_true(ch_test_contains(a.ptr, "pong"));
    ch_buf_release(&q);
    ch_buf_release(&a);
    struct ch_audit_report rep;
    must(ch_audit_verify(f->s, NULL, &rep, &err), &err);
    assert_true(rep.ok);
}

static void test_token_for_a_cannot_reach_b(void **state)
{
    struct fx *f = *state;
    struct call_result r;
    do_call(f, f->s, &f->app.clock, f->token_a, chat_b, &r);
    assert_int_equal(r.rc, CH_E_NOTFOUND);
    assert_int_equal(f->up.requests, 0);
    do_call(f, f->s, &f->app.clock, f->token_b, chat_a, &r);
    assert_int_equal(r.rc, CH_E_NOTFOUND);
    /* B has a grant but neither a window nor a designation: refused. */
    do_call(f, f->s, &f->app.clock, f->token_b, chat_b, &r);
    assert_int_equal(r.rc, CH_E_PERM);
    assert_int_equal(f->up.requests, 0);
    /* Once B is designated covered, its grant works. */
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    must(ch_store_prepare(f->s,
                          "INSERT INTO eval_decisions (model_id, policy_id, policy_version,"
                          " outcome, record, key_id, created_at, created_by)"
                          " VALUES (?, 'default', 1, 'designated', '{}', 'k', ?, 'test')",
                          &st, &err),
         &err);
    ch_stmt_bind_int(st, 1, f->model_b);
    ch_stmt_bind_int(st, 2, T0);
    must(ch_stmt_run(st, &err), &err);
    ch_stmt_free(st);
    do_call(f, f->s, &f->app.clock, f->token_b, chat_b, &r);
    if (r.rc != CH_OK)
        fail_msg("%s", r.err);
    assert_true(ch_test_contains(f->up.last_body, "acme-internal-b"));
}

static void test_call_after_window_end_refused(void **state)
{
    struct fx *f = *state;
    struct call_result r;
    struct ch_clock before = CH_CLOCK_FIXED(END - 1);
    struct ch_clock after = CH_CLOCK_FIXED(END + 1);
    do_call(f, f->s, &before, f->token_a, chat_a, &r);
    if (r.rc != CH_OK)
        fail_msg("%s", r.err);
    do_call(f, f->s, &after, f->token_a, chat_a, &r);
    assert_int_equal(r.rc, CH_E_PERM);
    assert_true(ch_test_contains(r.err, "window"));
    assert_int_equal(f->up.requests, 1);
}

static void test_stream_refused_and_kill_switches(void **state)
{
    struct fx *f = *state;
    struct call_result r;
    do_call(f, f->s, &f->app.clock, f->token_a,
            "{\"model\":\"frontier-a\",\"stream\":true,\"messages\":[]}", &r);
    assert_int_equal(r.rc, CH_E_INVALID);
    assert_true(ch_test_contains(r.err, "stream"));
    struct ch_eval_actor admin = CH_EVAL_ACTOR_LOCAL;
    struct ch_err err = CH_ERR_INIT;
    must(ch_models_set_killed(f->s, &admin, f->model_a, true, "incident 12", T0, &err), &err);
    do_call(f, f->s, &f->app.clock, f->token_a, chat_a, &r);
    assert_int_equal(r.rc, CH_E_UNAVAILABLE);
    must(ch_models_set_killed(f->s, &admin, f->model_a, false, NULL, T0, &err), &err);
    must(ch_gateway_set_global_kill(f->s, &admin, true, "drill", T0, &err), &err);
    do_call(f, f->s, &f->app.clock, f->token_a, chat_a, &r);
    assert_int_equal(r.rc, CH_E_UNAVAILABLE);
    must(ch_gateway_set_global_kill(f->s, &admin, false, NULL, T0, &err), &err);
    do_call(f, f->s, &f->app.clock, f->token_a, chat_a, &r);
    assert_int_equal(r.rc, CH_OK);
    assert_int_equal(f->up.requests, 1);
}

struct bg_call {
    struct fx *f;
    const char *token;
    struct call_result r;
    int64_t ms;
};

static void *bg_main(void *arg)
{
    struct bg_call *b = arg;
    struct ch_store *s = open_store(b->f);
    int64_t t0 = ch_clock_mono_ms();
    do_call(b->f, s, &b->f->app.clock, b->token, chat_a, &b->r);
    b->ms = ch_clock_mono_ms() - t0;
    ch_store_free(s);
    return NULL;
}

static void test_revoked_partner_in_flight_call_is_cut(void **state)
{
    struct fx *f = *state;
    /* The upstream dribbles its answer for 5 s (50 chunks, 100 ms apart). */
    atomic_store(&f->up.slow_chunks, 50);
    struct bg_call b = {.f = f, .token = f->token_a};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, bg_main, &b), 0);
    while (atomic_load(&f->up.requests) == 0)
        usleep(10000);
    usleep(300000);
    struct ch_err err = CH_ERR_INIT;
    char namebuf[160];
    struct ch_eval_actor dev;
    must(ch_eval_actor_for_user(f->s, "dev", namebuf, sizeof(namebuf), &dev, &err), &err);
    must(ch_gateway_partner_revoke(f->s, &dev, "frontier-a", "redteam", T0 + DAY, &err), &err);
    int64_t revoked_at = ch_clock_mono_ms();
    pthread_join(th, NULL);
    int64_t lag = ch_clock_mono_ms() - revoked_at;
    assert_int_equal(b.r.rc, CH_E_PERM);
    assert_true(ch_test_contains(b.r.err, "cut"));
    if (lag > 1500)
        fail_msg("the call ended %lld ms after the revocation", (long long)lag);
    assert_true(b.ms < 3000);
    /* The upstream saw the client go away before its answer was complete. */
    for (int i = 0; i < 100 && atomic_load(&f->up.cut_by_client) == 0; i++)
        usleep(20000);
    assert_int_equal(atomic_load(&f->up.cut_by_client), 1);
    int64_t n = 0;
    must(ch_store_query_int(f->s, "SELECT COUNT(*) FROM eval_gateway_log WHERE outcome = ?", "cut",
                            0, &n, &err),
         &err);
    assert_int_equal(n, 1);
    atomic_store(&f->up.slow_chunks, 0);
    /* And the revoked token no longer authenticates at all. */
    struct call_result r;
    do_call(f, f->s, &f->app.clock, f->token_a, chat_a, &r);
    assert_int_equal(r.rc, CH_E_AUTH);
}

#define QUOTA 10
#define THREADS 8
#define PER_THREAD 5

struct quota_worker {
    struct fx *f;
    int ok;
    int rate;
    int other;
};

static void *quota_main(void *arg)
{
    struct quota_worker *q = arg;
    struct ch_store *s = open_store(q->f);
    for (int i = 0; i < PER_THREAD; i++) {
        struct call_result r;
        do_call(q->f, s, &q->f->app.clock, q->f->token_a, chat_a, &r);
        if (r.rc == CH_OK)
            q->ok++;
        else if (r.rc == CH_E_RATE)
            q->rate++;
        else
            q->other++;
    }
    ch_store_free(s);
    return NULL;
}

static void test_quota_holds_under_concurrent_calls(void **state)
{
    struct fx *f = *state;
    struct ch_eval_actor admin = CH_EVAL_ACTOR_LOCAL;
    struct ch_err err = CH_ERR_INIT;
    struct ch_gateway_limits lim = {.requests_per_day = QUOTA};
    must(ch_gateway_partner_name(f->s, &admin, "frontier-a", "redteam", &lim, T0, &err), &err);
    struct quota_worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct quota_worker){.f = f};
        assert_int_equal(pthread_create(&th[i], NULL, quota_main, &w[i]), 0);
    }
    int ok = 0;
    int rate = 0;
    int other = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].ok;
        rate += w[i].rate;
        other += w[i].other;
    }
    assert_int_equal(other, 0);
    assert_int_equal(ok, QUOTA);
    assert_int_equal(rate, THREADS * PER_THREAD - QUOTA);
    assert_int_equal(atomic_load(&f->up.requests), QUOTA);
    int64_t reqs = 0;
    int64_t toks = 0;
    must(ch_gateway_usage(f->s, f->model_a, f->redteam, T0 + DAY, &reqs, &toks, &err), &err);
    assert_int_equal(reqs, QUOTA);
    assert_int_equal(toks, 15 * QUOTA);
    /* Tokens per day: the reservation (max_tokens + prompt estimate) must fit. */
    lim = (struct ch_gateway_limits){.tokens_per_day = 15 * QUOTA + 100};
    must(ch_gateway_partner_name(f->s, &admin, "frontier-a", "redteam", &lim, T0, &err), &err);
    struct call_result r;
    do_call(f, f->s, &f->app.clock, f->token_a,
            "{\"model\":\"frontier-a\",\"max_tokens\":50,\"messages\":[]}", &r);
    if (r.rc != CH_OK)
        fail_msg("%s", r.err);
    do_call(f, f->s, &f->app.clock, f->token_a,
            "{\"model\":\"frontier-a\",\"max_tokens\":500,\"messages\":[]}", &r);
    assert_int_equal(r.rc, CH_E_RATE);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gateway_forwards_and_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_for_a_cannot_reach_b, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_after_window_end_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_refused_and_kill_switches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_partner_in_flight_call_is_cut, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_quota_holds_under_concurrent_calls, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
