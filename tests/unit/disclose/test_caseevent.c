/* SPDX-License-Identifier: Apache-2.0
 *
 * test_caseevent.c: the case_state webhook event on a store (SQLite, and
 * PostgreSQL as test_disclose_caseevent_pg). A case walked through its
 * states queues exactly one event per participating organisation per
 * change, none for an organisation outside the case or subscribed to other
 * events only, none for a refused or rolled-back change and none for a
 * classified case; the queued events are sent signed to a loopback receiver.
 * No sandbox is needed: the finding is marked reproduced directly.
 */
#include "helpers.h"

#include <curl/curl.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "disclose/case.h"
#include "disclose/finding.h"
#include "identity/identity.h"
#include "receiver.h"
#include "share/webhook.h"

struct fx {
    char *dir;
    char *url;
    struct ch_store *s;
    struct ch_keys keys;
    int64_t now;
    int64_t acme, libco, rival, watch;
    struct ch_disclose_actor ann, alice;
    char names[2][64];
    struct receiver r;
    char secrets[4][CH_WEBHOOK_SECRET_MAX]; /* acme, libco, rival, watch */
    size_t n_secrets;
};

static struct fx F;

static int64_t org(const char *slug)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_org_new o = {.slug = slug, .name = slug, .category = CH_ORG_PARTNER};
    int64_t id = 0;
    if (ch_org_create(F.s, &o, F.now, &id, &err) != CH_OK)
        fail_msg("org: %s", err.msg);
    return id;
}

static void user(int i, const char *name, int64_t org_id, unsigned roles,
                 struct ch_disclose_actor *ret)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_user_new u = {
        .org_id = org_id, .name = name, .roles = roles, .clearance = CH_CLEAR_TOP_SECRET};
    int64_t id = 0;
    if (ch_user_create(F.s, &u, F.now, &id, &err) != CH_OK)
        fail_msg("user: %s", err.msg);
    if (ch_disclose_actor_for_user(F.s, name, F.names[i], sizeof(F.names[i]), ret, &err) != CH_OK)
        fail_msg("actor: %s", err.msg);
}

static void endpoint(int64_t org_id, unsigned events)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", F.r.port);
    struct ch_webhook_new w = {.org_id = org_id, .url = url, .events = events, .actor = "test"};
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (ch_webhook_add(F.s, &F.keys, &w, F.now, &id, F.secrets[F.n_secrets++], &err) != CH_OK)
        fail_msg("webhook add: %s", err.msg);
}

static int setup(void **state)
{
    (void)state;
    ch_json_global_init();
    struct ch_err err = CH_ERR_INIT;
    if (ch_crypto_init(&err) != CH_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    F = (struct fx){.now = INT64_C(1772442000)}; /* 2026-03-02T09:00:00Z */
    F.url = ch_test_store_url(&F.dir);
    if (ch_store_open(F.url, NULL, &F.s, &err) != CH_OK)
        fail_msg("open: %s", err.msg);
    char kd[1200];
    snprintf(kd, sizeof(kd), "%s/keys", F.dir);
    bool created = false;
    if (ch_keys_create(kd, &created, &err) != CH_OK || ch_keys_load(kd, &F.keys, &err) != CH_OK)
        fail_msg("keys: %s", err.msg);
    recv_start(&F.r, 200);
    int64_t ch = org("clearinghouse");
    F.acme = org("acme-ai");   /* reporter */
    F.libco = org("libco");    /* vendor */
    F.rival = org("rival-ai"); /* not in the case */
    F.watch = org("watch");    /* coordinator, subscribed to notices only */
    user(0, "ann", ch, CH_ROLE_ANALYST, &F.ann);
    user(1, "alice", F.acme, CH_ROLE_PARTNER, &F.alice);
    endpoint(F.acme, CH_WEBHOOK_CASE_STATE);
    endpoint(F.libco, CH_WEBHOOK_CASE_STATE | CH_WEBHOOK_NOTICE);
    endpoint(F.rival, CH_WEBHOOK_EVENTS_ALL);
    endpoint(F.watch, CH_WEBHOOK_NOTICE);
    F.now += 60;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    recv_stop(&F.r);
    ch_store_free(F.s);
    ch_test_rmtree(F.dir);
    ch_free(F.dir);
    ch_free(F.url);
    ch_keys_wipe(&F.keys);
    curl_global_cleanup();
    return 0;
}

/* A finding of acme's at classification cls, marked reproduced, with a case open. */
static int64_t open_case(enum ch_clearance cls, const char *title)
{
    struct dt_poc p;
    dt_poc_load(&p, "target", "heap-overflow");
    char *recipe = dt_recipe("{\"crash\": \"any\"}", 5);
    struct ch_finding_new f = {
        .target = "pkg:generic/recparse@1.0.0",
        .ecosystem = "OSS-Fuzz",
        .component = "recparse",
        .vendor = "Lib Co",
        .version = "1.0.0",
        .introduced = "1.0.0",
        .title = title,
        .cwe = "CWE-122",
        .description = "secret details of the finding",
        .classification = cls,
        .recipe = recipe,
        .recipe_len = strlen(recipe),
        .files = p.files,
        .n_files = 2,
    };
    struct ch_err err = CH_ERR_INIT;
    int64_t fid = 0;
    if (ch_finding_submit(F.s, &F.alice, &f, F.now, &fid, &err) != CH_OK)
        fail_msg("submit: %s", err.msg);
    ch_free(recipe);
    dt_poc_release(&p);
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE disclose_findings SET state = 'reproduced' WHERE id = %lld",
             (long long)fid);
    assert_int_equal(ch_store_exec(F.s, sql, &err), CH_OK);
    int64_t coordinators[] = {F.watch};
    struct ch_case_open o = {.finding_id = fid,
                             .vendor_org_id = F.libco,
                             .participant_orgs = coordinators,
                             .n_participants = 1};
    int64_t id = 0;
    if (ch_case_open(F.s, &F.ann, &o, F.now, &id, &err) != CH_OK)
        fail_msg("open: %s", err.msg);
    F.now += 60;
    return id;
}

/* case_state deliveries queued for org's endpoints (all cases). */
static int64_t queued(int64_t org_id)
{
    struct ch_err err = CH_ERR_INIT;
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
             " WHERE d.event = 'case_state' AND w.org_id = %lld",
             (long long)org_id);
    int64_t n = 0;
    assert_int_equal(ch_store_query_int(F.s, sql, NULL, 0, &n, &err), CH_OK);
    return n;
}

static void expect_counts(int64_t acme, int64_t libco)
{
    assert_int_equal(queued(F.acme), acme);
    assert_int_equal(queued(F.libco), libco);
    assert_int_equal(queued(F.rival), 0);
    assert_int_equal(queued(F.watch), 0);
}

static void move(int64_t id, enum ch_case_state to)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_case_transition(F.s, &F.ann, id, to, "internal note", F.now, &err) != CH_OK)
        fail_msg("transition to %s: %s", ch_case_state_name(to), err.msg);
    F.now += 60;
}

/* The body of acme's delivery with key `key`, parsed. */
static cJSON *body_of(const char *key)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(F.s,
                                   "SELECT d.body FROM webhook_deliveries d JOIN webhooks w"
                                   " ON w.id = d.webhook_id WHERE d.event_key = ? AND w.org_id = ?",
                                   &st, &err),
                     CH_OK);
    ch_stmt_bind_cstr(st, 1, key);
    ch_stmt_bind_int(st, 2, F.acme);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    struct ch_str b = ch_stmt_text(st, 0);
    cJSON *doc = NULL;
    assert_int_equal(ch_json_parse(b.ptr, b.len, NULL, "body", &doc, &err), CH_OK);
    ch_stmt_reset(st);
    return doc;
}

static void test_walk_queues_one_per_participant(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = open_case(CH_CLEAR_UNCLASSIFIED, "walked");
    expect_counts(1, 1); /* opened: new */
    move(id, CH_CASE_VALIDATED);
    expect_counts(2, 2);
    /* a refused edge changes nothing and queues nothing */
    assert_int_equal(ch_case_transition(F.s, &F.ann, id, CH_CASE_NEW, NULL, F.now, &err),
                     CH_E_CONFLICT);
    ch_err_clear(&err);
    expect_counts(2, 2);
    move(id, CH_CASE_TRIAGED);
    assert_int_equal(ch_case_mark_exploited(F.s, &F.ann, id, 7, F.now, &err), CH_OK);
    expect_counts(4, 4);
    move(id, CH_CASE_VENDOR_NOTIFIED);
    /* the exploited embargo (7 days) has ended: publication without a fix */
    F.now += 8 * CH_DAY_SECONDS;
    struct ch_disclose_publisher who = {.base_url = "https://ch.example.gov"};
    struct ch_case_published pub;
    if (ch_case_publish(F.s, &F.ann, id, &who, F.now, &pub, &err) != CH_OK)
        fail_msg("publish: %s", err.msg);
    expect_counts(6, 6);

    /* the keys are the history rows: one per change, each queued once per endpoint */
    int64_t n = 0;
    assert_int_equal(ch_store_query_int(F.s,
                                        "SELECT COUNT(DISTINCT event_key) FROM webhook_deliveries"
                                        " WHERE event = 'case_state'",
                                        NULL, 0, &n, &err),
                     CH_OK);
    assert_int_equal(n, 6);
    int64_t last = 0;
    assert_int_equal(ch_store_query_int(F.s,
                                        "SELECT MAX(id) FROM disclose_case_events"
                                        " WHERE to_state = 'published'",
                                        NULL, 0, &last, &err),
                     CH_OK);
    char key[64];
    snprintf(key, sizeof(key), "case:%lld:%lld", (long long)id, (long long)last);
    cJSON *doc = body_of(key);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "type")), "case_state");
    const cJSON *data = cJSON_GetObjectItem(doc, "data");
    assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(data, "case_id")), id);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(data, "from")), "vendor_notified");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(data, "to")), "published");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(data, "advisory_id")),
                        pub.advisory_id);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(data, "exploited")));
    assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItem(data, "embargo_until")));
    /* nothing of the finding, nor the analyst's note */
    char *text = cJSON_PrintUnformatted(doc);
    assert_null(strstr(text, "walked"));
    assert_null(strstr(text, "secret details"));
    assert_null(strstr(text, "internal note"));
    assert_null(strstr(text, "recparse"));
    cJSON_free(text);
    cJSON_Delete(doc);
}

/* A change that fails after its history row rolls back, and its event with it. */
static void test_rolled_back_change_queues_nothing(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = open_case(CH_CLEAR_UNCLASSIFIED, "rolled back");
    int64_t acme = queued(F.acme), libco = queued(F.libco);
    /* the audit entry is written after the history row: make it fail */
    const char *sql =
        ch_store_backend(F.s) == CH_STORE_SQLITE
            ? "CREATE TRIGGER fail_transition BEFORE INSERT ON audit_log"
              " WHEN NEW.action = 'case.transition' BEGIN SELECT RAISE(ABORT, 'injected'); END"
            : "CREATE FUNCTION fail_transition() RETURNS trigger LANGUAGE plpgsql AS"
              " $$BEGIN IF NEW.action = 'case.transition' THEN RAISE EXCEPTION 'injected';"
              " END IF; RETURN NEW; END$$;"
              " CREATE TRIGGER fail_transition BEFORE INSERT ON audit_log FOR EACH ROW"
              " EXECUTE FUNCTION fail_transition()";
    assert_int_equal(ch_store_exec(F.s, sql, &err), CH_OK);
    assert_int_not_equal(ch_case_transition(F.s, &F.ann, id, CH_CASE_VALIDATED, NULL, F.now, &err),
                         CH_OK);
    ch_err_clear(&err);
    assert_int_equal(ch_store_exec(F.s,
                                   ch_store_backend(F.s) == CH_STORE_SQLITE
                                       ? "DROP TRIGGER fail_transition"
                                       : "DROP TRIGGER fail_transition ON audit_log",
                                   &err),
                     CH_OK);
    assert_int_equal(queued(F.acme), acme);
    assert_int_equal(queued(F.libco), libco);
    /* once it goes through, it queues once */
    move(id, CH_CASE_VALIDATED);
    assert_int_equal(queued(F.acme), acme + 1);
    assert_int_equal(queued(F.libco), libco + 1);
}

/* A webhook has no clearance: a classified case stays in the API. */
static void test_classified_case_queues_nothing(void **state)
{
    (void)state;
    int64_t acme = queued(F.acme), libco = queued(F.libco);
    int64_t id = open_case(CH_CLEAR_CUI, "classified");
    move(id, CH_CASE_VALIDATED);
    assert_int_equal(queued(F.acme), acme);
    assert_int_equal(queued(F.libco), libco);
}

/* The queued events go out signed; each verifies with its organisation's secret. */
static void test_sent_signed(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    int64_t want = queued(F.acme) + queued(F.libco);
    struct ch_webhook_deliver_options o = {.owner = "test", .connect_timeout_ms = 2000};
    struct ch_webhook_deliver_stats st;
    if (ch_webhook_deliver_due(F.s, &F.keys, &o, F.now, &st, &err) != CH_OK)
        fail_msg("deliver: %s", err.msg);
    assert_int_equal((int64_t)st.delivered, want);
    assert_int_equal((int64_t)recv_wait(&F.r, (size_t)want, 3000), want);
    size_t by_org[2] = {0, 0};
    for (size_t i = 0; i < (size_t)want; i++) {
        char ev[64], sig[256];
        assert_true(recv_header(&F.r, i, "X-Clearinghouse-Event", ev, sizeof(ev)));
        assert_string_equal(ev, "case_state");
        assert_true(recv_header(&F.r, i, "X-Clearinghouse-Signature", sig, sizeof(sig)));
        bool verified = false;
        for (size_t k = 0; k < 2 && !verified; k++) {
            ch_err_clear(&err);
            verified = ch_webhook_verify(F.secrets[k], strlen(F.secrets[k]), ch_str_c(sig),
                                         F.r.req[i].body, F.r.req[i].body_len, F.now,
                                         CH_WEBHOOK_TOLERANCE_S, &err) == CH_OK;
            if (verified)
                by_org[k]++;
        }
        assert_true(verified);
    }
    /* rival-ai's and watch's secrets sign nothing: they were sent nothing */
    assert_int_equal((int64_t)by_org[0], queued(F.acme));
    assert_int_equal((int64_t)by_org[1], queued(F.libco));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_queues_one_per_participant),
        cmocka_unit_test(test_rolled_back_change_queues_nothing),
        cmocka_unit_test(test_classified_case_queues_nothing),
        cmocka_unit_test(test_sent_signed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
