/* SPDX-License-Identifier: Apache-2.0
 *
 * test_webhook.c: signed webhooks against a receiver on loopback
 * (tests/share/receiver.h): signature and replay checks, idempotent event
 * collection, retries on 500 and on timeout with the same delivery id,
 * pausing a dead endpoint, and no duplicate delivery when the delivery
 * process is killed and restarted (only the delivery in flight at the kill
 * is sent again, with its delivery id, so the receiver can drop it).
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/keys.h"
#include "receiver.h"
#include "share/webhook.h"
#include "testutil.h"

#define T0 INT64_C(1767225600)

static struct ch_store *g_store;
static char *g_dir;
static char *g_url;
static struct ch_keys g_keys;

static int setup(void **state)
{
    (void)state;
    ch_json_global_init();
    struct ch_err err = CH_ERR_INIT;
    if (ch_crypto_init(&err) != CH_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    g_url = ch_test_store_url(&g_dir);
    if (ch_store_open(g_url, NULL, &g_store, &err) != CH_OK)
        fail_msg("open: %s", err.msg);
    char kd[1200];
    snprintf(kd, sizeof(kd), "%s/keys", g_dir);
    bool created = false;
    if (ch_keys_create(kd, &created, &err) != CH_OK || ch_keys_load(kd, &g_keys, &err) != CH_OK)
        fail_msg("keys: %s", err.msg);
    if (ch_store_exec(g_store,
                      "INSERT INTO orgs (slug, name, category, sector, created_at) VALUES"
                      " ('water-a', 'Water A', 'ci', 'water', 1767000000),"
                      " ('power-b', 'Power B', 'ci', 'energy', 1767000000)",
                      &err) != CH_OK)
        fail_msg("%s", err.msg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ch_store_free(g_store);
    ch_test_rmtree(g_dir);
    ch_free(g_dir);
    ch_free(g_url);
    ch_keys_wipe(&g_keys);
    curl_global_cleanup();
    return 0;
}

static int64_t add_endpoint(struct receiver *r, int64_t org, unsigned events, int64_t now,
                            char secret[CH_WEBHOOK_SECRET_MAX])
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", r->port);
    struct ch_webhook_new w = {.org_id = org, .url = url, .events = events, .actor = "test"};
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (ch_webhook_add(g_store, &g_keys, &w, now, &id, secret, &err) != CH_OK)
        fail_msg("add: %s", err.msg);
    return id;
}

static void emit(int64_t org, const char *key, int64_t at)
{
    struct ch_err err = CH_ERR_INIT;
    size_t queued = 0;
    if (ch_webhook_emit(g_store, org, CH_WEBHOOK_CASE_STATE, key,
                        "{\"case\":1,\"state\":\"triage\"}", at, at, &queued, &err) != CH_OK)
        fail_msg("emit: %s", err.msg);
}

static struct ch_webhook_deliver_stats deliver(int64_t now, long timeout_ms)
{
    struct ch_webhook_deliver_options o = {
        .owner = "test", .timeout_ms = timeout_ms, .connect_timeout_ms = 2000};
    struct ch_webhook_deliver_stats st;
    struct ch_err err = CH_ERR_INIT;
    if (ch_webhook_deliver_due(g_store, &g_keys, &o, now, &st, &err) != CH_OK)
        fail_msg("deliver: %s", err.msg);
    return st;
}

static void test_sign_verify(void **state)
{
    (void)state;
    char sig[65];
    ch_webhook_sign("whsec_test", 10, 1700000000, "{\"a\":1}", 7, sig);
    /* python3: hmac.new(b"whsec_test", b"1700000000.{\"a\":1}", hashlib.sha256).hexdigest() */
    assert_string_equal(sig, "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
    char header[128];
    snprintf(header, sizeof(header), "t=1700000000,v1=%s", sig);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_webhook_verify("whsec_test", 10, ch_str_c(header), "{\"a\":1}", 7,
                                       1700000100, 300, &err),
                     CH_OK);
    ch_err_clear(&err);
    assert_int_equal(ch_webhook_verify("whsec_test", 10, ch_str_c(header), "{\"a\":2}", 7,
                                       1700000100, 300, &err),
                     CH_E_AUTH);
    ch_err_clear(&err);
    assert_int_equal(ch_webhook_verify("whsec_test", 10, ch_str_c(header), "{\"a\":1}", 7,
                                       1700000400, 300, &err),
                     CH_E_TIMEOUT);
    ch_err_clear(&err);
    assert_int_equal(ch_webhook_verify("whsec_other", 11, ch_str_c(header), "{\"a\":1}", 7,
                                       1700000100, 300, &err),
                     CH_E_AUTH);
    ch_err_clear(&err);
    assert_int_equal(ch_webhook_verify("whsec_test", 10, ch_str_c("v1=abc"), "{\"a\":1}", 7,
                                       1700000100, 300, &err),
                     CH_E_AUTH);
}

static void test_url_and_events(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_webhook_url_check("https://hooks.example.org/x", &err), CH_OK);
    assert_int_equal(ch_webhook_url_check("http://127.0.0.1:8080/x", &err), CH_OK);
    const char *bad[] = {"http://hooks.example.org/x", "ftp://x", "https://user@host/x",
                         "https://host/a b",           "",        "https://"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(bad); i++) {
        ch_err_clear(&err);
        assert_int_equal(ch_webhook_url_check(bad[i], &err), CH_E_INVALID);
    }
    unsigned ev = 0;
    ch_err_clear(&err);
    assert_int_equal(ch_webhook_events_parse("notice, kev_addition", &ev, &err), CH_OK);
    assert_int_equal(ev, CH_WEBHOOK_NOTICE | CH_WEBHOOK_KEV_ADDITION);
    assert_int_equal(ch_webhook_events_parse("all", &ev, &err), CH_OK);
    assert_int_equal(ev, CH_WEBHOOK_EVENTS_ALL);
    assert_int_equal(ch_webhook_events_parse("notice,bogus", &ev, &err), CH_E_INVALID);
}

static void test_deliver_signed_once(void **state)
{
    (void)state;
    struct receiver r;
    recv_start(&r, 200);
    char secret[CH_WEBHOOK_SECRET_MAX];
    int64_t now = T0 + 100;
    int64_t id = add_endpoint(&r, 1, CH_WEBHOOK_NOTICE | CH_WEBHOOK_KEV_ADDITION, now, secret);
    assert_true(strncmp(secret, "whsec_", 6) == 0);
    /* the secret is not stored in the clear */
    struct ch_err err = CH_ERR_INIT;
    int64_t found = 0;
    assert_int_equal(ch_store_query_int(g_store, "SELECT COUNT(*) FROM webhooks WHERE url LIKE ?",
                                        secret, 0, &found, &err),
                     CH_OK);
    assert_int_equal(found, 0);
    /* a notice for this organisation, one for another, and a KEV addition */
    assert_int_equal(
        ch_store_exec(g_store,
                      "INSERT INTO notices (org_id, vuln_id, vuln, created_at, reasons,"
                      " due_at, body) VALUES (1, 1, 'CVE-2024-0001', 1767225700,"
                      " 'advisory', NULL, '{\"assets\":[\"pump-1\"]}'),"
                      " (2, 2, 'CVE-2024-0002', 1767225700, 'kev', NULL, '{}');"
                      " INSERT INTO kev (cve, date_added, imported_at) VALUES"
                      " ('CVE-2024-0009', 1767225600, 1767225700)",
                      &err),
        CH_OK);
    size_t queued = 0;
    assert_int_equal(ch_webhook_collect(g_store, now + 10, &queued, &err), CH_OK);
    assert_int_equal(queued, 2);
    /* collecting again queues nothing new */
    assert_int_equal(ch_webhook_collect(g_store, now + 20, &queued, &err), CH_OK);
    assert_int_equal(queued, 0);
    struct ch_webhook_deliver_stats st = deliver(now + 30, 5000);
    assert_int_equal(st.delivered, 2);
    assert_int_equal(recv_wait(&r, 2, 2000), 2);
    for (size_t i = 0; i < 2; i++) {
        char sig[200], event[64], did[64];
        assert_true(recv_header(&r, i, "X-Clearinghouse-Signature", sig, sizeof(sig)));
        assert_true(recv_header(&r, i, "X-Clearinghouse-Event", event, sizeof(event)));
        assert_true(recv_header(&r, i, "X-Clearinghouse-Delivery", did, sizeof(did)));
        assert_int_equal(strlen(did), 36);
        assert_int_equal(ch_webhook_verify(secret, strlen(secret), ch_str_c(sig), r.req[i].body,
                                           r.req[i].body_len, now + 31, CH_WEBHOOK_TOLERANCE_S,
                                           &err),
                         CH_OK);
        cJSON *body = NULL;
        assert_int_equal(ch_json_parse(r.req[i].body, r.req[i].body_len, NULL, "b", &body, &err),
                         CH_OK);
        assert_string_equal(ch_json_str(body, "type"), event);
        assert_string_equal(ch_json_str(body, "id"), did);
        cJSON_Delete(body);
        /* the other organisation's notice never reaches this endpoint */
        assert_null(strstr(r.req[i].body, "CVE-2024-0002"));
    }
    /* nothing is sent twice */
    st = deliver(now + 10000, 5000);
    assert_int_equal(st.attempted, 0);
    assert_int_equal(recv_count(&r), 2);
    /* an endpoint registered later does not get earlier events */
    char s2[CH_WEBHOOK_SECRET_MAX];
    add_endpoint(&r, 1, CH_WEBHOOK_NOTICE, now + 20000, s2);
    assert_int_equal(ch_webhook_collect(g_store, now + 20001, &queued, &err), CH_OK);
    assert_int_equal(queued, 0);
    /* the listing shows the counts and never the secret */
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_webhook_list_json(g_store, 1, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_null(strstr(ch_buf_cstr(&b), "whsec_"));
    assert_non_null(strstr(ch_buf_cstr(&b), "\"delivered\":2"));
    ch_buf_release(&b);
    assert_int_equal(ch_webhook_remove(g_store, id, 2, "test", now, &err), CH_E_NOTFOUND);
    ch_err_clear(&err);
    recv_stop(&r);
}

static void test_retry_500_and_timeout(void **state)
{
    (void)state;
    struct receiver r;
    recv_start(&r, 200);
    recv_script(&r, 500, 0);
    recv_script(&r, 200, 1500); /* answers after the client's 300 ms timeout */
    recv_script(&r, 200, 0);
    char secret[CH_WEBHOOK_SECRET_MAX];
    int64_t now = T0 + 50000;
    add_endpoint(&r, 2, CH_WEBHOOK_CASE_STATE, now, secret);
    emit(2, "case:7:triage", now);
    struct ch_webhook_deliver_stats st = deliver(now, 300);
    assert_int_equal(st.retrying, 1);
    /* not due again before its backoff */
    st = deliver(now + 1, 300);
    assert_int_equal(st.attempted, 0);
    now += CH_WEBHOOK_BACKOFF_BASE_S;
    st = deliver(now, 300);
    assert_int_equal(st.retrying, 1); /* the timeout */
    now += 2 * CH_WEBHOOK_BACKOFF_BASE_S;
    /* the receiver is still busy with the request that timed out: wait longer now */
    st = deliver(now, 5000);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(recv_wait(&r, 3, 3000), 3);
    char d0[64], d1[64], d2[64];
    assert_true(recv_header(&r, 0, "X-Clearinghouse-Delivery", d0, sizeof(d0)));
    assert_true(recv_header(&r, 1, "X-Clearinghouse-Delivery", d1, sizeof(d1)));
    assert_true(recv_header(&r, 2, "X-Clearinghouse-Delivery", d2, sizeof(d2)));
    assert_string_equal(d0, d1);
    assert_string_equal(d1, d2);
    /* every attempt was recorded with its outcome */
    struct ch_err err = CH_ERR_INIT;
    int64_t n = 0;
    assert_int_equal(ch_store_query_int(g_store,
                                        "SELECT COUNT(*) FROM webhook_attempts a JOIN"
                                        " webhook_deliveries d ON d.id = a.delivery_id"
                                        " WHERE d.event_key = ?",
                                        "case:7:triage", 0, &n, &err),
                     CH_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ch_store_query_int(g_store,
                                        "SELECT COUNT(*) FROM webhook_attempts a JOIN"
                                        " webhook_deliveries d ON d.id = a.delivery_id"
                                        " WHERE d.event_key = ? AND a.status IS NULL",
                                        "case:7:triage", 0, &n, &err),
                     CH_OK);
    assert_int_equal(n, 1); /* the timeout got no HTTP status */
    recv_stop(&r);
}

static void test_pause_after_failures(void **state)
{
    (void)state;
    struct receiver r;
    recv_start(&r, 500);
    char secret[CH_WEBHOOK_SECRET_MAX];
    int64_t now = T0 + 100000;
    int64_t id = add_endpoint(&r, 2, CH_WEBHOOK_LEASE_CONFLICT, now, secret);
    struct ch_err err = CH_ERR_INIT;
    size_t q = 0;
    assert_int_equal(
        ch_webhook_emit(g_store, 2, CH_WEBHOOK_LEASE_CONFLICT, "lease:1", "{}", now, now, &q, &err),
        CH_OK);
    size_t paused = 0;
    for (int i = 0; i < CH_WEBHOOK_PAUSE_AFTER; i++) {
        now += CH_WEBHOOK_BACKOFF_MAX_S + 1;
        struct ch_webhook_deliver_stats st = deliver(now, 2000);
        assert_int_equal(st.attempted, 1);
        paused += st.paused;
    }
    assert_int_equal(paused, 1);
    /* paused: nothing more is tried, however long we wait */
    now += 10 * CH_WEBHOOK_BACKOFF_MAX_S;
    struct ch_webhook_deliver_stats st = deliver(now, 2000);
    assert_int_equal(st.attempted, 0);
    assert_int_equal(recv_count(&r), CH_WEBHOOK_PAUSE_AFTER);
    /* resumed, the waiting delivery is due at once */
    r.dflt_status = 204;
    assert_int_equal(ch_webhook_set_paused(g_store, id, 2, false, NULL, "test", now, &err), CH_OK);
    st = deliver(now, 2000);
    assert_int_equal(st.delivered, 1);
    recv_stop(&r);
}

static void test_restart_no_duplicate(void **state)
{
    (void)state;
    struct receiver r;
    recv_start(&r, 200);
    recv_script(&r, 200, 0);
    recv_script(&r, 200, 0);
    recv_script(&r, 200, 3000); /* the third is in flight when the process dies */
    char secret[CH_WEBHOOK_SECRET_MAX];
    int64_t now = T0 + 200000;
    add_endpoint(&r, 1, CH_WEBHOOK_CASE_STATE, now, secret);
    char key[32];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof(key), "restart:%d", i);
        emit(1, key, now);
    }
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the delivery process: its own connection, killed mid-way */
        struct ch_store *s = NULL;
        struct ch_err err = CH_ERR_INIT;
        if (ch_store_open(g_url, NULL, &s, &err) != CH_OK)
            _exit(3);
        struct ch_webhook_deliver_options o = {.owner = "child", .timeout_ms = 10000};
        struct ch_webhook_deliver_stats st;
        CH_IGNORE(ch_webhook_deliver_due(s, &g_keys, &o, now, &st, &err));
        _exit(0);
    }
    assert_int_equal(recv_wait(&r, 3, 10000), 3);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    /* restarted before the lease ran out: the dead process's batch is still leased */
    struct ch_webhook_deliver_stats st = deliver(now + 1, 5000);
    assert_int_equal(st.attempted, 0);
    /* after the lease: the one in flight is sent again (same delivery id), the rest once */
    st = deliver(now + 100000, 5000);
    assert_int_equal(st.delivered, 3);
    st = deliver(now + 200000, 5000);
    assert_int_equal(st.attempted, 0);
    size_t n = recv_wait(&r, 6, 5000);
    assert_int_equal(n, 6);
    char ids[6][64];
    for (size_t i = 0; i < n; i++)
        assert_true(recv_header(&r, i, "X-Clearinghouse-Delivery", ids[i], sizeof(ids[i])));
    size_t dup = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (strcmp(ids[i], ids[j]) == 0) {
                dup++;
                assert_int_equal(i, 2); /* only the delivery in flight at the kill */
            }
        }
    }
    assert_int_equal(dup, 1);
    recv_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify),          cmocka_unit_test(test_url_and_events),
        cmocka_unit_test(test_deliver_signed_once),  cmocka_unit_test(test_retry_500_and_timeout),
        cmocka_unit_test(test_pause_after_failures), cmocka_unit_test(test_restart_no_duplicate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
