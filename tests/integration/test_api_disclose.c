/* SPDX-License-Identifier: Apache-2.0
 *
 * Discovery intake, case actions and webhooks over the HTTP API, over real
 * sockets (on SQLite, and PostgreSQL as the _pg twin):
 *
 *  - a partner submits a finding with its PoC as base64 files; the same PoC
 *    again is reported a duplicate (with the earlier id only to those who
 *    may see it); another partner cannot see the finding; an oversized file
 *    is 413 and bad base64 422, each naming the file;
 *  - with a sandbox: an analyst validates the finding, walks a case through
 *    fix verification to publication, and the advisory is then served by
 *    /v1/vulns/{id};
 *  - an operator registers a webhook to a loopback receiver (the server runs
 *    with --webhook-allow-private), the secret is shown once, a test ping
 *    arrives signed with it, another organisation's operator gets 404;
 *  - every change is in the audit log.
 */
#include "receiver.h"
#include "testhttp.h"
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "share/webhook.h"
#include "validate/repro.h"
#include "validate/sandbox.h"

#define TARGET "pkg:generic/recparse@1.0.0"

static struct ch_test_server srv;
static char *db_dir;
static char *root;
static char *alice; /* partner, acme-ai */
static char *bob;   /* partner, rival-ai */
static char *ana;   /* analyst */
static char *opa;   /* operator, libco */
static char *opb;   /* operator, rival-ai */

static void json_field(struct ch_test_response *r, const char *path, char *out, size_t n)
{
    cJSON *j = ch_test_response_json(r);
    const cJSON *v = j;
    char key[64];
    const char *p = path;
    while (v != NULL && *p != '\0') {
        size_t len = strcspn(p, ".");
        snprintf(key, sizeof(key), "%.*s", (int)len, p);
        v = cJSON_GetObjectItemCaseSensitive(v, key);
        p += len + (p[len] == '.' ? 1 : 0);
    }
    if (cJSON_IsString(v))
        snprintf(out, n, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, n, "%lld", (long long)v->valuedouble);
    else if (cJSON_IsNull(v))
        snprintf(out, n, "null");
    else
        fail_msg("no '%s' in %s", path, ch_buf_cstr(&r->body));
    cJSON_Delete(j);
}

static char *user(const char *name, const char *org, const char *role)
{
    char body[256];
    struct ch_test_response r;
    ch_test_response_init(&r);
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"org\":\"%s\",\"roles\":[\"%s\"]}", name, org,
             role);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root, body, 201, &r);
    snprintf(body, sizeof(body), "{\"user\":\"%s\"}", name);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root, body, 201, &r);
    char tok[128];
    json_field(&r, "token", tok, sizeof(tok));
    ch_test_response_release(&r);
    size_t n = strlen(tok) + 1;
    char *ret = ch_malloc(n);
    memcpy(ret, tok, n);
    return ret;
}

/* Appends {"path": path, "content": base64(data)} to b. */
static void append_file(struct ch_buf *b, const char *path, const void *data, size_t len)
{
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *enc = ch_malloc(cap);
    sodium_bin2base64(enc, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
    ch_buf_appendf(b, "{\"path\":\"%s\",\"content\":\"%s\"}", path, enc);
    ch_free(enc);
}

static void append_fixture(struct ch_buf *b, const char *path, const char *fixture)
{
    struct ch_buf f;
    ch_buf_init(&f, 1 << 20);
    char *src = ch_test_fixture(fixture);
    ch_test_read_file(src, &f);
    append_file(b, path, ch_buf_cstr(&f), ch_buf_len(&f));
    ch_free(src);
    ch_buf_release(&f);
}

/* A submission of the heap-overflow PoC against TARGET; files_json replaces the files. */
static void submission(struct ch_buf *b, const char *files_json)
{
    struct ch_buf recipe;
    ch_buf_init(&recipe, 1 << 16);
    char *rp = ch_test_fixture("disclose/recipe.json");
    ch_test_read_file(rp, &recipe);
    ch_free(rp);
    ch_buf_reset(b);
    ch_buf_appendf(b,
                   "{\"target\":\"" TARGET "\",\"component\":\"recparse\",\"ecosystem\":"
                   "\"OSS-Fuzz\",\"vendor\":\"Lib Co\",\"version\":\"1.0.0\",\"introduced\":"
                   "\"1.0.0\",\"title\":\"Heap overflow in parse_name\",\"cwe\":\"CWE-122\","
                   "\"recipe\":%s,\"files\":",
                   ch_buf_cstr(&recipe));
    if (files_json != NULL) {
        ch_buf_appendf(b, "%s}", files_json);
    } else {
        ch_buf_appendf(b, "[");
        append_fixture(b, "target.c", "disclose/target/target.c");
        ch_buf_appendf(b, ",");
        append_fixture(b, "poc.txt", "disclose/pocs/heap-overflow.txt");
        ch_buf_appendf(b, "]}");
    }
    ch_buf_release(&recipe);
}

static void submit(const char *token, int status, struct ch_test_response *r)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 22);
    submission(&b, NULL);
    ch_test_api_expect(srv.port, "POST", "/api/v1/findings", token, ch_buf_cstr(&b), status, r);
    ch_buf_release(&b);
}

static void test_submit_and_duplicates(void **state)
{
    (void)state;
    struct ch_test_response r;
    ch_test_response_init(&r);
    char first[32], v[64];
    submit(alice, 201, &r);
    json_field(&r, "finding.id", first, sizeof(first));
    json_field(&r, "dedup.verdict", v, sizeof(v));
    assert_string_equal(v, "new");
    json_field(&r, "finding.state", v, sizeof(v));
    assert_string_equal(v, "submitted");
    /* content hashes are stored and shown */
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"blake2b\""));

    /* the same PoC again: a duplicate of the first, which alice may see */
    submit(alice, 201, &r);
    json_field(&r, "dedup.verdict", v, sizeof(v));
    assert_string_equal(v, "duplicate");
    json_field(&r, "dedup.duplicate_of", v, sizeof(v));
    assert_string_equal(v, first);

    /* bob's identical PoC is a duplicate too, but alice's finding is not named to him */
    submit(bob, 201, &r);
    json_field(&r, "dedup.verdict", v, sizeof(v));
    assert_string_equal(v, "duplicate");
    json_field(&r, "dedup.duplicate_of", v, sizeof(v));
    assert_string_equal(v, "null");
    char path[64];
    snprintf(path, sizeof(path), "/api/v1/findings/%s", first);
    ch_test_api_expect(srv.port, "GET", path, bob, NULL, 404, &r);
    ch_test_api_expect(srv.port, "GET", path, alice, NULL, 200, &r);
    ch_test_api_expect(srv.port, "GET", path, ana, NULL, 200, &r);
    /* partners neither validate nor open cases; operators do not submit */
    snprintf(path, sizeof(path), "/api/v1/findings/%s/validate", first);
    ch_test_api_expect(srv.port, "POST", path, alice, NULL, 403, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/cases", alice, "{\"finding\":1}", 403, &r);
    submit(opa, 403, &r);
    /* a partner submits for its own organisation only */
    struct ch_buf b;
    ch_buf_init(&b, 1 << 22);
    submission(&b, "[]");
    ch_buf_truncate(&b, ch_buf_len(&b) - 1);
    ch_buf_appendf(&b, ",\"org\":\"rival-ai\"}");
    ch_test_api_expect(srv.port, "POST", "/api/v1/findings", alice, ch_buf_cstr(&b), 403, &r);
    ch_buf_release(&b);
    ch_test_response_release(&r);
}

static void test_submission_limits(void **state)
{
    (void)state;
    struct ch_test_response r;
    ch_test_response_init(&r);
    struct ch_buf files, b;
    ch_buf_init(&files, 1 << 24);
    ch_buf_init(&b, 1 << 24);

    /* one byte over the per-file limit: 413 naming the file */
    size_t big = CH_REPRO_MAX_FILE_BYTES + 1;
    unsigned char *data = ch_calloc(big, 1);
    ch_buf_appendf(&files, "[");
    append_file(&files, "big.bin", data, big);
    ch_buf_appendf(&files, "]");
    ch_free(data);
    submission(&b, ch_buf_cstr(&files));
    ch_test_api_expect(srv.port, "POST", "/api/v1/findings", alice, ch_buf_cstr(&b), 413, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "files[0].content"));

    /* bad base64: 422 naming the field */
    submission(&b, "[{\"path\":\"poc.txt\",\"content\":\"aGVsbG8=\"},"
                   "{\"path\":\"x.txt\",\"content\":\"not base64!\"}]");
    ch_test_api_expect(srv.port, "POST", "/api/v1/findings", alice, ch_buf_cstr(&b), 422, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"field\":\"files[1].content\""));

    /* a path escaping the PoC directory, and a repeated one */
    submission(&b, "[{\"path\":\"../etc/passwd\",\"content\":\"\"}]");
    ch_test_api_expect(srv.port, "POST", "/api/v1/findings", alice, ch_buf_cstr(&b), 422, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "files[0].path"));
    submission(&b, "[{\"path\":\"a\",\"content\":\"\"},{\"path\":\"a\",\"content\":\"\"}]");
    ch_test_api_expect(srv.port, "POST", "/api/v1/findings", alice, ch_buf_cstr(&b), 422, &r);
    ch_buf_release(&files);
    ch_buf_release(&b);
    ch_test_response_release(&r);
}

static bool have_sandbox(void)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_sandbox_probe(NULL, &err) == CH_E_UNAVAILABLE) {
        print_message("no sandbox here, skipping: %s\n", err.msg);
        return false;
    }
    return true;
}

static void test_validate_case_publish(void **state)
{
    (void)state;
    if (!have_sandbox())
        skip();
    struct ch_test_response r;
    ch_test_response_init(&r);
    char id[32], v[128], path[128], body[256];
    submit(alice, 201, &r);
    json_field(&r, "finding.id", id, sizeof(id));

    snprintf(path, sizeof(path), "/api/v1/findings/%s/validate", id);
    ch_test_api_expect(srv.port, "POST", path, ana, "{\"runs\":2}", 200, &r);
    json_field(&r, "outcome", v, sizeof(v));
    assert_string_equal(v, "reproduced");
    json_field(&r, "crash_class", v, sizeof(v));
    assert_string_equal(v, "heap-buffer-overflow");

    snprintf(body, sizeof(body), "{\"finding\":%s,\"vendor\":\"libco\"}", id);
    ch_test_api_expect(srv.port, "POST", "/api/v1/cases", ana, body, 201, &r);
    char c[32];
    json_field(&r, "id", c, sizeof(c));
    /* another partner does not see the case; the reporter does */
    snprintf(path, sizeof(path), "/api/v1/cases/%s", c);
    ch_test_api_expect(srv.port, "GET", path, bob, NULL, 404, &r);
    ch_test_api_expect(srv.port, "GET", path, alice, NULL, 200, &r);

    snprintf(path, sizeof(path), "/api/v1/cases/%s/transition", c);
    ch_test_api_expect(srv.port, "POST", path, ana, "{\"state\":\"validated\"}", 200, &r);
    ch_test_api_expect(srv.port, "POST", path, ana, "{\"state\":\"published\"}", 409, &r);
    ch_test_api_expect(srv.port, "POST", path, ana, "{\"state\":\"sideways\"}", 422, &r);
    ch_test_api_expect(srv.port, "POST", path, ana, "{\"state\":\"triaged\"}", 200, &r);
    ch_test_api_expect(srv.port, "POST", path, ana,
                       "{\"state\":\"vendor_notified\",\"note\":\"mailed\"}", 200, &r);
    snprintf(path, sizeof(path), "/api/v1/cases/%s/participants", c);
    ch_test_api_expect(srv.port, "POST", path, ana, "{\"org\":\"rival-ai\"}", 200, &r);
    snprintf(path, sizeof(path), "/api/v1/cases/%s", c);
    ch_test_api_expect(srv.port, "GET", path, bob, NULL, 200, &r); /* now a participant */

    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    ch_buf_appendf(&b, "{\"version\":\"1.0.1\",\"files\":[");
    append_fixture(&b, "target.c", "disclose/target-fixed/target.c");
    ch_buf_appendf(&b, "]}");
    snprintf(path, sizeof(path), "/api/v1/cases/%s/verify-fix", c);
    ch_test_api_expect(srv.port, "POST", path, ana, ch_buf_cstr(&b), 200, &r);
    ch_buf_release(&b);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"fixed\":true"));

    snprintf(path, sizeof(path), "/api/v1/cases/%s/publish", c);
    ch_test_api_expect(srv.port, "POST", path, alice, NULL, 403, &r);
    ch_test_api_expect(srv.port, "POST", path, ana, NULL, 200, &r);
    char adv[64], osv[64];
    json_field(&r, "advisory_id", adv, sizeof(adv));
    json_field(&r, "osv_id", osv, sizeof(osv));

    /* the advisory is in the knowledge base: the OSV API serves it at once */
    snprintf(path, sizeof(path), "/v1/vulns/%s", adv);
    ch_test_api_expect(srv.port, "GET", path, NULL, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), osv));
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "recparse"));
    ch_test_api_expect(srv.port, "GET", "/.well-known/csaf/white/csaf-feed-tlp-white.json", NULL,
                       NULL, 200, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log?limit=100", root, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "finding.validate"));
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "case.publish"));
    ch_test_response_release(&r);
}

static void test_webhooks(void **state)
{
    (void)state;
    struct receiver rc;
    recv_start(&rc, 204);
    struct ch_test_response r;
    ch_test_response_init(&r);
    char body[256], id[32], secret[CH_WEBHOOK_SECRET_MAX], path[96];
    snprintf(body, sizeof(body),
             "{\"url\":\"http://127.0.0.1:%d/hook\",\"events\":[\"notice\",\"case_state\"]}",
             rc.port);
    /* partners are not admins: they cannot register for another organisation */
    char other[320];
    snprintf(other, sizeof(other),
             "{\"url\":\"http://127.0.0.1:%d/hook\",\"events\":[\"notice\"],\"org\":\"libco\"}",
             rc.port);
    ch_test_api_expect(srv.port, "POST", "/api/v1/webhooks", opb, other, 422, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/webhooks", opa,
                       "{\"url\":\"ftp://hooks.example.com/x\",\"events\":[\"notice\"]}", 422, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/webhooks", ana, body, 403, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/webhooks", opa, body, 201, &r);
    json_field(&r, "webhook.id", id, sizeof(id));
    json_field(&r, "secret", secret, sizeof(secret));
    assert_true(strncmp(secret, "whsec_", 6) == 0);

    /* never returned again */
    snprintf(path, sizeof(path), "/api/v1/webhooks/%s", id);
    ch_test_api_expect(srv.port, "GET", path, opa, NULL, 200, &r);
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), "whsec_"));
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), "secret"));
    ch_test_api_expect(srv.port, "GET", "/api/v1/webhooks", opa, NULL, 200, &r);
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), "whsec_"));
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "/hook"));

    /* another organisation's operator: 404 everywhere, and an empty list */
    ch_test_api_expect(srv.port, "GET", path, opb, NULL, 404, &r);
    ch_test_api_expect(srv.port, "DELETE", path, opb, NULL, 404, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/webhooks", opb, NULL, 200, &r);
    assert_false(ch_test_contains(ch_buf_cstr(&r.body), "/hook"));
    snprintf(path, sizeof(path), "/api/v1/webhooks/%s/test", id);
    ch_test_api_expect(srv.port, "POST", path, opb, NULL, 404, &r);

    /* a signed ping arrives now; the receiver checks the signature with the secret */
    ch_test_api_expect(srv.port, "POST", path, opa, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"delivered\":true"));
    assert_int_equal(recv_wait(&rc, 1, 5000), 1);
    char sig[256], ev[64];
    assert_true(recv_header(&rc, 0, "X-Clearinghouse-Signature", sig, sizeof(sig)));
    assert_true(recv_header(&rc, 0, "X-Clearinghouse-Event", ev, sizeof(ev)));
    assert_string_equal(ev, "ping");
    struct ch_err err = CH_ERR_INIT;
    pthread_mutex_lock(&rc.mu);
    int vr =
        ch_webhook_verify(secret, strlen(secret), ch_str_c(sig), rc.req[0].body, rc.req[0].body_len,
                          (int64_t)time(NULL), CH_WEBHOOK_TOLERANCE_S, &err);
    int forged =
        ch_webhook_verify("whsec_wrong", 11, ch_str_c(sig), rc.req[0].body, rc.req[0].body_len,
                          (int64_t)time(NULL), CH_WEBHOOK_TOLERANCE_S, &err);
    pthread_mutex_unlock(&rc.mu);
    assert_int_equal(vr, CH_OK);
    assert_int_equal(forged, CH_E_AUTH);

    snprintf(path, sizeof(path), "/api/v1/webhooks/%s/deliveries", id);
    ch_test_api_expect(srv.port, "GET", path, opa, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "delivered"));
    snprintf(path, sizeof(path), "/api/v1/webhooks/%s/pause", id);
    ch_test_api_expect(srv.port, "POST", path, opa, "{\"reason\":\"maintenance\"}", 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "\"state\":\"paused\""));
    snprintf(path, sizeof(path), "/api/v1/webhooks/%s/resume", id);
    ch_test_api_expect(srv.port, "POST", path, opa, NULL, 200, &r);

    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log?limit=100", root, NULL, 200, &r);
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "webhook.add"));
    assert_true(ch_test_contains(ch_buf_cstr(&r.body), "webhook.test"));

    snprintf(path, sizeof(path), "/api/v1/webhooks/%s", id);
    ch_test_api_expect(srv.port, "DELETE", path, opa, NULL, 204, &r);
    ch_test_api_expect(srv.port, "GET", path, opa, NULL, 404, &r);
    ch_test_response_release(&r);
    recv_stop(&rc);
}

static int setup(void **state)
{
    (void)state;
    setenv("CLEARINGHOUSE_RATE_LIMIT", "off", 1);
    char *url = ch_test_store_url(&db_dir);
    static const char *const args[] = {"--webhook-allow-private", NULL};
    ch_test_server_start(&srv, url, args);
    ch_free(url);
    root = ch_test_server_admin(&srv, "root");
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"acme-ai\",\"name\":\"Acme AI\",\"category\":\"partner\"}", 201,
                       &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"rival-ai\",\"name\":\"Rival\",\"category\":\"partner\"}", 201,
                       &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root,
                       "{\"slug\":\"libco\",\"name\":\"Lib Co\",\"category\":\"partner\"}", 201, &r);
    ch_test_response_release(&r);
    alice = user("alice", "acme-ai", "partner");
    bob = user("bob", "rival-ai", "partner");
    ana = user("ana", "libco", "analyst");
    opa = user("opa", "libco", "operator");
    opb = user("opb", "rival-ai", "operator");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ch_test_server_stop(&srv);
    ch_test_rmtree(db_dir);
    ch_free(db_dir);
    ch_free(root);
    ch_free(alice);
    ch_free(bob);
    ch_free(ana);
    ch_free(opa);
    ch_free(opb);
    return 0;
}

int main(void)
{
    ch_json_global_init();
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_and_duplicates),
        cmocka_unit_test(test_submission_limits),
        cmocka_unit_test(test_validate_case_publish),
        cmocka_unit_test(test_webhooks),
    };
    return cmocka_run_group_tests_name("api_disclose", tests, setup, teardown);
}
