/* SPDX-License-Identifier: Apache-2.0
 *
 * The generated authorisation matrix: every route × every role (and no
 * token, and a bad token) × clearance (lowest, highest) × an object of the
 * caller's own organisation or of another, each with the status the rules
 * of docs/api.md predict:
 *
 *   no token     → public route: success; else 401
 *   bad token    → 401, also on public routes
 *   public route → success for any valid token
 *   role not in the route's roles → 403
 *   another organisation's object without a clearinghouse-wide role → 404
 *   object classified above the caller's clearance → 404
 *   else → the route's success status
 *
 * The table below says, per route, which roles the route allows, which may
 * reach other organisations' objects, and how to build the request. The
 * test iterates ch_routes: a route added without an entry here fails it, as
 * does an entry for a route that no longer exists. Runs on SQLite and (as
 * the _pg twin) with the server on PostgreSQL.
 */
#include "testhttp.h"
#include "testutil.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "http/router.h"
#include "identity/identity.h"

#define WIDE (CH_ROLE_ADMIN | CH_ROLE_ANALYST)
#define ANY CH_ROLE_ALL
#define ADMIN CH_ROLE_ADMIN
#define COORD (CH_ROLE_OPERATOR | CH_ROLE_PARTNER | WIDE)
#define REM (CH_ROLE_OPERATOR | WIDE)
#define HOOKS (CH_ROLE_OPERATOR | CH_ROLE_PARTNER | ADMIN)

struct spec {
    const char *name; /* route name in ch_routes */
    const char *method;
    const char *own;      /* path for an object of the caller's organisation */
    const char *other;    /* path for another organisation's object; NULL: no such axis */
    const char *body_own; /* JSON body, or NULL */
    const char *body_other;
    unsigned roles;       /* may call the route (ignored when public) */
    unsigned other_roles; /* may reach another organisation's object */
    int other_denied;     /* status for the others (404: existence does not leak) */
    int ok;               /* success status */
    int is_public;
    int min_clearance; /* classification of the object (all unclassified so far) */
};

static const struct spec specs[] = {
    {"healthz", "GET", "/healthz", NULL, NULL, NULL, 0, 0, 0, 200, 1, 0},
    {"readyz", "GET", "/readyz", NULL, NULL, NULL, 0, 0, 0, 200, 1, 0},
    {"metrics", "GET", "/metrics", NULL, NULL, NULL, WIDE, 0, 0, 200, 0, 0},
    {"openapi", "GET", "/api/v1/openapi.json", NULL, NULL, NULL, 0, 0, 0, 200, 1, 0},
    {"me", "GET", "/api/v1/me", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    {"orgs.list", "GET", "/api/v1/orgs", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    {"orgs.create", "POST", "/api/v1/orgs", NULL,
     "{\"slug\":\"m-{n}\",\"name\":\"M\",\"category\":\"fceb\"}", NULL, ADMIN, 0, 0, 201, 0, 0},
    {"orgs.get", "GET", "/api/v1/orgs/alpha", "/api/v1/orgs/beta", NULL, NULL, ANY, WIDE, 404, 200,
     0, 0},
    {"users.list", "GET", "/api/v1/users?org=alpha", "/api/v1/users?org=beta", NULL, NULL, ANY,
     WIDE, 404, 200, 0, 0},
    {"users.create", "POST", "/api/v1/users", "/api/v1/users",
     "{\"name\":\"u-{n}\",\"org\":\"alpha\",\"roles\":[\"operator\"]}",
     "{\"name\":\"u-{n}\",\"org\":\"beta\",\"roles\":[\"operator\"]}", ADMIN, ADMIN, 404, 201, 0,
     0},
    {"users.get", "GET", "/api/v1/users/alpha-peer", "/api/v1/users/beta-user", NULL, NULL, ANY,
     WIDE, 404, 200, 0, 0},
    {"tokens.list", "GET", "/api/v1/tokens", "/api/v1/tokens?user=beta-user", NULL, NULL, ANY,
     ADMIN, 404, 200, 0, 0},
    {"tokens.create", "POST", "/api/v1/tokens", "/api/v1/tokens", "{\"name\":\"m-{n}\"}",
     "{\"user\":\"beta-user\"}", ANY, ADMIN, 403, 201, 0, 0},
    {"tokens.revoke", "DELETE", "/api/v1/tokens/{own_token}", "/api/v1/tokens/{other_token}", NULL,
     NULL, ANY, ADMIN, 404, 204, 0, 0},
    {"vulns.search", "GET", "/api/v1/vulns?ecosystem=PyPI&name=example-lib", NULL, NULL, NULL, ANY,
     0, 0, 200, 0, 0},
    {"vulns.get", "GET", "/api/v1/vulns/CVE-2024-0001", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    {"osv.vulns.get", "GET", "/v1/vulns/CVE-2024-0001", NULL, NULL, NULL, 0, 0, 0, 200, 1, 0},
    {"osv.query", "POST", "/v1/query", NULL,
     "{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"example-lib\"},\"version\":\"1.4.1\"}", NULL,
     0, 0, 0, 200, 1, 0},
    {"osv.querybatch", "POST", "/v1/querybatch", NULL,
     "{\"queries\":[{\"package\":{\"purl\":\"pkg:pypi/example-lib@1.4.1\"}}]}", NULL, 0, 0, 0, 200,
     1, 0},
    {"deconflict", "POST", "/api/v1/deconflict", NULL,
     "{\"source\":\"198.51.100.7\",\"target\":\"192.0.2.9\",\"time\":\"2026-06-01T00:00:00Z\"}",
     NULL, CH_ROLE_OPERATOR | CH_ROLE_PARTNER | WIDE, 0, 0, 200, 0, 0},
    {"coord.targets.list", "GET", "/api/v1/coord/targets", NULL, NULL, NULL,
     CH_ROLE_OPERATOR | CH_ROLE_PARTNER | WIDE, 0, 0, 200, 0, 0},
    {"coord.uncovered", "GET", "/api/v1/coord/uncovered", NULL, NULL, NULL,
     CH_ROLE_OPERATOR | CH_ROLE_PARTNER | WIDE, 0, 0, 200, 0, 0},
    {"coord.leases.list", "GET", "/api/v1/coord/leases", NULL, NULL, NULL,
     CH_ROLE_OPERATOR | CH_ROLE_PARTNER | WIDE, 0, 0, 200, 0, 0},
    {"coord.incidents.list", "GET", "/api/v1/coord/incidents", NULL, NULL, NULL,
     CH_ROLE_OPERATOR | WIDE, 0, 0, 200, 0, 0},
    /* writes and single objects: unknown ids are 404 and bodies that break the
     * rules 422 for every admitted role; ownership is the service's (tested in
     * test_coord_cli and test_api_resources) */
    {"coord.targets.create", "POST", "/api/v1/coord/targets", NULL,
     "{\"name\":\"t-{n}\",\"kind\":\"bogus\"}", NULL, COORD, 0, 0, 422, 0, 0},
    {"coord.targets.get", "GET", "/api/v1/coord/targets/999999", NULL, NULL, NULL, COORD, 0, 0, 404,
     0, 0},
    {"coord.auth.list", "GET", "/api/v1/coord/authorizations", NULL, NULL, NULL, COORD, 0, 0, 200,
     0, 0},
    {"coord.auth.grant", "POST", "/api/v1/coord/targets/999999/authorizations", NULL, "{}", NULL,
     COORD, 0, 0, 422, 0, 0},
    {"coord.auth.revoke", "DELETE", "/api/v1/coord/authorizations/999999", NULL, NULL, NULL, COORD,
     0, 0, 404, 0, 0},
    {"coord.leases.request", "POST", "/api/v1/coord/leases", NULL, "{}", NULL, COORD, 0, 0, 422, 0,
     0},
    {"coord.leases.get", "GET", "/api/v1/coord/leases/999999", NULL, NULL, NULL, COORD, 0, 0, 404,
     0, 0},
    {"coord.leases.extend", "POST", "/api/v1/coord/leases/999999/extend", NULL,
     "{\"end\":\"2030-01-01T00:00:00Z\"}", NULL, COORD, 0, 0, 404, 0, 0},
    {"coord.leases.release", "POST", "/api/v1/coord/leases/999999/release", NULL, NULL, NULL, COORD,
     0, 0, 404, 0, 0},
    {"coord.leases.revoke", "POST", "/api/v1/coord/leases/999999/revoke", NULL, NULL, NULL, COORD,
     0, 0, 404, 0, 0},
    {"coord.leases.report", "POST", "/api/v1/coord/leases/999999/reports", NULL,
     "{\"scanned\":\"192.0.2.0/24\",\"tool\":\"nmap\",\"findings\":0}", NULL, COORD, 0, 0, 404, 0,
     0},
    {"coord.incidents.open", "POST", "/api/v1/coord/incidents", NULL, "{}", NULL,
     CH_ROLE_OPERATOR | WIDE, 0, 0, 422, 0, 0},
    {"coord.incidents.get", "GET", "/api/v1/coord/incidents/999999", NULL, NULL, NULL,
     CH_ROLE_OPERATOR | WIDE, 0, 0, 404, 0, 0},
    {"coord.incidents.evidence", "POST", "/api/v1/coord/incidents/999999/evidence", NULL,
     "{\"kind\":\"log\",\"name\":\"x\",\"content\":\"y\"}", NULL, CH_ROLE_OPERATOR | WIDE, 0, 0,
     404, 0, 0},
    {"csaf.metadata", "GET", "/.well-known/csaf/provider-metadata.json", NULL, NULL, NULL, 0, 0, 0,
     200, 1, 0},
    {"csaf.rolie", "GET", "/.well-known/csaf/white/csaf-feed-tlp-white.json", NULL, NULL, NULL, 0,
     0, 0, 200, 1, 0},
    {"csaf.document", "GET", "/.well-known/csaf/white/2026/ch-2026-9999.json", NULL, NULL, NULL, 0,
     0, 0, 404, 1, 0},
    {"assets.list", "GET", "/api/v1/assets", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    {"assets.get", "GET", "/api/v1/assets/999999", NULL, NULL, NULL, ANY, 0, 0, 404, 0, 0},
    {"exposures.list", "GET", "/api/v1/exposures?status=all", NULL, NULL, NULL, ANY, 0, 0, 200, 0,
     0},
    {"exposures.get", "GET", "/api/v1/exposures/999999", NULL, NULL, NULL, ANY, 0, 0, 404, 0, 0},
    {"notices.list", "GET", "/api/v1/notices", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    /* remediation changes and reports: operators and clearinghouse-wide roles; an asset
     * created in another organisation is 404 for an operator; single objects are unknown
     * ids (ownership is the service's, tested in test_api_resources) */
    {"assets.create", "POST", "/api/v1/assets", "/api/v1/assets", "{\"name\":\"m-{n}\"}",
     "{\"name\":\"m-{n}\",\"org\":\"beta\"}", REM, WIDE, 404, 201, 0, 0},
    {"assets.update", "PATCH", "/api/v1/assets/999999", NULL, "{\"internet_facing\":\"yes\"}", NULL,
     REM, 0, 0, 404, 0, 0},
    {"assets.inventory.put", "PUT", "/api/v1/assets/999999/inventory?format=requirements", NULL,
     "example-lib==1.4.1\n", NULL, REM, 0, 0, 404, 0, 0},
    {"assets.inventories", "GET", "/api/v1/assets/999999/inventories", NULL, NULL, NULL, REM, 0, 0,
     404, 0, 0},
    {"exposures.transitions.create", "POST", "/api/v1/exposures/999999/transitions", NULL,
     "{\"status\":\"in_progress\",\"reason\":\"patching\"}", NULL, REM, 0, 0, 404, 0, 0},
    {"exposures.transitions.list", "GET", "/api/v1/exposures/999999/transitions", NULL, NULL, NULL,
     REM, 0, 0, 404, 0, 0},
    {"directives.list", "GET", "/api/v1/directives", NULL, NULL, NULL, REM, 0, 0, 200, 0, 0},
    {"directives.get", "GET", "/api/v1/directives/BOD-26-04", NULL, NULL, NULL, REM, 0, 0, 200, 0,
     0},
    {"directives.decide", "POST", "/api/v1/directives/BOD-19-02/decide", NULL,
     "{\"severity\":\"critical\"}", NULL, REM, 0, 0, 200, 0, 0},
    {"priority", "GET", "/api/v1/priority", "/api/v1/priority?org=beta", NULL, NULL, REM, WIDE, 404,
     200, 0, 0},
    {"compliance", "GET", "/api/v1/compliance", "/api/v1/compliance?org=beta", NULL, NULL, REM,
     WIDE, 404, 200, 0, 0},
    {"findings.list", "GET", "/api/v1/findings", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    {"findings.get", "GET", "/api/v1/findings/999999", NULL, NULL, NULL, ANY, 0, 0, 404, 0, 0},
    {"cases.list", "GET", "/api/v1/cases", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    {"cases.get", "GET", "/api/v1/cases/999999", NULL, NULL, NULL, ANY, 0, 0, 404, 0, 0},
    /* intake and case actions: unknown ids are 404 and bodies that break the rules
     * 422 for every admitted role; tenancy is tested in test_api_disclose */
    {"findings.submit", "POST", "/api/v1/findings", NULL, "{}", NULL, CH_ROLE_PARTNER | WIDE, 0, 0,
     422, 0, 0},
    {"findings.validate", "POST", "/api/v1/findings/999999/validate", NULL, NULL, NULL, WIDE, 0, 0,
     404, 0, 0},
    {"findings.resolve", "POST", "/api/v1/findings/999999/resolve", NULL,
     "{\"match\":1,\"decision\":\"dismiss\"}", NULL, WIDE, 0, 0, 404, 0, 0},
    {"cases.open", "POST", "/api/v1/cases", NULL, "{}", NULL, WIDE, 0, 0, 422, 0, 0},
    {"cases.transition", "POST", "/api/v1/cases/999999/transition", NULL, "{\"state\":\"triaged\"}",
     NULL, WIDE, 0, 0, 404, 0, 0},
    {"cases.exploited", "POST", "/api/v1/cases/999999/exploited", NULL, NULL, NULL, WIDE, 0, 0, 404,
     0, 0},
    {"cases.participants.add", "POST", "/api/v1/cases/999999/participants", NULL,
     "{\"org\":\"alpha\"}", NULL, WIDE, 0, 0, 404, 0, 0},
    {"cases.verify_fix", "POST", "/api/v1/cases/999999/verify-fix", NULL, "{\"version\":\"1.0.1\"}",
     NULL, WIDE, 0, 0, 404, 0, 0},
    {"cases.publish", "POST", "/api/v1/cases/999999/publish", NULL, NULL, NULL, WIDE, 0, 0, 404, 0,
     0},
    /* webhooks: another organisation's endpoint is 404 (test_api_disclose) */
    {"webhooks.list", "GET", "/api/v1/webhooks", NULL, NULL, NULL, HOOKS, 0, 0, 200, 0, 0},
    {"webhooks.create", "POST", "/api/v1/webhooks", NULL,
     "{\"url\":\"https://hooks.example.com/ch\",\"events\":[\"bogus\"]}", NULL, HOOKS, 0, 0, 422, 0,
     0},
    {"webhooks.get", "GET", "/api/v1/webhooks/999999", NULL, NULL, NULL, HOOKS, 0, 0, 404, 0, 0},
    {"webhooks.delete", "DELETE", "/api/v1/webhooks/999999", NULL, NULL, NULL, HOOKS, 0, 0, 404, 0,
     0},
    {"webhooks.pause", "POST", "/api/v1/webhooks/999999/pause", NULL, NULL, NULL, HOOKS, 0, 0, 404,
     0, 0},
    {"webhooks.resume", "POST", "/api/v1/webhooks/999999/resume", NULL, NULL, NULL, HOOKS, 0, 0,
     404, 0, 0},
    {"webhooks.test", "POST", "/api/v1/webhooks/999999/test", NULL, NULL, NULL, HOOKS, 0, 0, 404, 0,
     0},
    {"webhooks.deliveries", "GET", "/api/v1/webhooks/999999/deliveries", NULL, NULL, NULL, HOOKS, 0,
     0, 404, 0, 0},
    {"published.list", "GET", "/api/v1/published", NULL, NULL, NULL, WIDE, 0, 0, 200, 0, 0},
    {"taxii.discovery", "GET", "/taxii2/", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    {"taxii.root", "GET", "/taxii2/api/", NULL, NULL, NULL, ANY, 0, 0, 200, 0, 0},
    {"taxii.status", "GET", "/taxii2/api/status/00000000-0000-4000-8000-000000000000/", NULL, NULL,
     NULL, ANY, 0, 0, 404, 0, 0},
    {"taxii.collections", "GET", "/taxii2/api/collections/", NULL, NULL, NULL, ANY, 0, 0, 200, 0,
     0},
    {"taxii.collection", "GET", "/taxii2/api/collections/no-such-collection/", NULL, NULL, NULL,
     ANY, 0, 0, 404, 0, 0},
    {"taxii.objects", "GET", "/taxii2/api/collections/no-such-collection/objects/", NULL, NULL,
     NULL, ANY, 0, 0, 404, 0, 0},
    {"taxii.objects.add", "POST", "/taxii2/api/collections/no-such-collection/objects/", NULL, "{}",
     NULL, ANY, 0, 0, 415, 0, 0},
    {"taxii.object", "GET",
     "/taxii2/api/collections/no-such-collection/objects/"
     "vulnerability--00000000-0000-5000-8000-000000000000/",
     NULL, NULL, NULL, ANY, 0, 0, 404, 0, 0},
    {"taxii.object.delete", "DELETE",
     "/taxii2/api/collections/no-such-collection/objects/"
     "vulnerability--00000000-0000-5000-8000-000000000000/",
     NULL, NULL, NULL, ANY, 0, 0, 404, 0, 0},
    {"taxii.versions", "GET",
     "/taxii2/api/collections/no-such-collection/objects/"
     "vulnerability--00000000-0000-5000-8000-000000000000/versions/",
     NULL, NULL, NULL, ANY, 0, 0, 404, 0, 0},
    {"taxii.manifest", "GET", "/taxii2/api/collections/no-such-collection/manifest/", NULL, NULL,
     NULL, ANY, 0, 0, 404, 0, 0},
    {"gateway.chat", "POST", "/v1/chat/completions", NULL,
     "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", NULL,
     CH_ROLE_PARTNER, 0, 0, 404, 0, 0},
    {"audit.checkpoints", "GET", "/api/v1/audit/checkpoints", NULL, NULL, NULL, 0, 0, 0, 200, 1, 0},
    {"audit.log", "GET", "/api/v1/audit/log?limit=5", NULL, NULL, NULL, WIDE, 0, 0, 200, 0, 0},
    {"audit.verify", "POST", "/api/v1/audit/verify", NULL, NULL, NULL, ADMIN, 0, 0, 200, 0, 0},
};

#define N_ROLES 6
#define N_CLEAR 2
static const char *const role_names[N_ROLES] = {"admin",   "analyst",   "operator",
                                                "partner", "developer", "evaluator"};
static const char *const clear_names[N_CLEAR] = {"unclassified", "top_secret"};

enum kind { ANON, BAD, USER };

struct principal {
    enum kind kind;
    unsigned role;
    int clearance; /* 0 or 3 */
    char name[64];
    char *token;
};

#define N_PRINCIPALS (N_ROLES * N_CLEAR + 2)

static struct ch_test_server srv;
static char *db_dir;
static char *root_token;
static char *beta_token;
static struct principal principals[N_PRINCIPALS];
static int counter;

static void json_get_str(struct ch_test_response *r, const char *key, char *out, size_t n)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    if (ch_json_parse(ch_buf_cstr(&r->body), ch_buf_len(&r->body), NULL, "body", &j, &err) != CH_OK)
        fail_msg("not JSON: %s", ch_buf_cstr(&r->body));
    const cJSON *v = cJSON_GetObjectItem(j, key);
    if (cJSON_IsString(v))
        snprintf(out, n, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, n, "%lld", (long long)v->valuedouble);
    else
        fail_msg("no '%s' in %s", key, ch_buf_cstr(&r->body));
    cJSON_Delete(j);
}

static char *make_user(const char *name, const char *org, const char *role, const char *clearance)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"org\":\"%s\",\"roles\":[\"%s\"],"
             "\"clearance\":\"%s\"}",
             name, org, role, clearance);
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root_token, body, 201, &r);
    snprintf(body, sizeof(body), "{\"user\":\"%s\"}", name);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root_token, body, 201, &r);
    char tok[128];
    json_get_str(&r, "token", tok, sizeof(tok));
    ch_test_response_release(&r);
    char *ret = ch_malloc(strlen(tok) + 1);
    memcpy(ret, tok, strlen(tok) + 1);
    return ret;
}

/* The server loads the shipped directives, as an installation would. */
static void use_shipped_directives(void)
{
    const char *src = getenv("CH_SOURCE_DIR");
    assert_non_null(src);
    char dirs[1100];
    snprintf(dirs, sizeof(dirs), "%s/directives", src);
    setenv("CLEARINGHOUSE_DIRECTIVES", dirs, 1);
}

static int setup(void **state)
{
    setenv("CLEARINGHOUSE_RATE_LIMIT", "off", 1);
    use_shipped_directives();
    char *url = ch_test_store_url(&db_dir);
    static const char *const args[] = {"--loops", "2", "--workers", "4", NULL};
    ch_test_server_start(&srv, url, args);
    ch_free(url);
    root_token = ch_test_server_admin(&srv, "root");
    char *fixtures = ch_test_fixture("osv/good");
    const char *imp[] = {"import", fixtures, NULL};
    int rc = ch_test_server_cli(&srv, imp, NULL, NULL);
    assert_true(rc == 0 || rc == 3);
    ch_free(fixtures);
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root_token,
                       "{\"slug\":\"alpha\",\"name\":\"Alpha agency\",\"category\":\"fceb\"}", 201,
                       &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/orgs", root_token,
                       "{\"slug\":\"beta\",\"name\":\"Beta AI\",\"category\":\"partner\"}", 201,
                       &r);
    ch_test_response_release(&r);
    ch_free(make_user("alpha-peer", "alpha", "operator", "unclassified"));
    beta_token = make_user("beta-user", "beta", "operator", "unclassified");
    size_t n = 0;
    for (int ro = 0; ro < N_ROLES; ro++) {
        for (int c = 0; c < N_CLEAR; c++) {
            struct principal *p = &principals[n++];
            p->kind = USER;
            p->role = 1u << ro;
            p->clearance = c == 0 ? 0 : 3;
            snprintf(p->name, sizeof(p->name), "%s-%s", role_names[ro], clear_names[c]);
            p->token = make_user(p->name, "alpha", role_names[ro], clear_names[c]);
        }
    }
    principals[n++] = (struct principal){.kind = ANON, .name = "anonymous"};
    principals[n] = (struct principal){.kind = BAD, .name = "bad-token"};
    principals[n].token = ch_malloc(64);
    snprintf(principals[n].token, 64, "chk_AAAAAAAAAAAA_%s",
             "forgedforgedforgedforgedforgedforged12345");
    return 0;
}

static int teardown(void **state)
{
    ch_test_server_stop(&srv);
    ch_test_rmtree(db_dir);
    ch_free(db_dir);
    ch_free(root_token);
    ch_free(beta_token);
    for (size_t i = 0; i < N_PRINCIPALS; i++)
        ch_free(principals[i].token);
    return 0;
}

static const struct spec *spec_for(const char *name)
{
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        if (strcmp(specs[i].name, name) == 0)
            return &specs[i];
    }
    return NULL;
}

static int expected(const struct spec *s, const struct principal *p, int other)
{
    if (p->kind == ANON)
        return s->is_public ? s->ok : 401;
    if (p->kind == BAD)
        return 401;
    if (s->is_public)
        return s->ok;
    if (!(p->role & s->roles))
        return 403;
    if (other && s->other != NULL && !(p->role & s->other_roles))
        return s->other_denied;
    if (p->clearance < s->min_clearance)
        return 404;
    return s->ok;
}

/* A fresh token id: of the principal itself (own) or of beta-user (other). */
static void fresh_token(const struct principal *p, int other, char *out, size_t n)
{
    const char *tok = other ? beta_token : p->token;
    const char *body = "{\"name\":\"victim\"}";
    if (p->kind != USER && !other) {
        tok = root_token; /* any existing token will do: the caller cannot touch it */
    }
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", tok, body, 201, &r);
    json_get_str(&r, "id", out, n);
    ch_test_response_release(&r);
}

/* Replaces {n}, {own_token}, {other_token} in a template. */
static void expand(const char *tpl, const struct principal *p, int other, char *out, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    while (*tpl != '\0' && o + 1 < n) {
        char rep[64] = "";
        size_t skip = 0;
        if (strncmp(tpl, "{n}", 3) == 0) {
            snprintf(rep, sizeof(rep), "%d", ++counter);
            skip = 3;
        } else if (strncmp(tpl, "{own_token}", 11) == 0) {
            fresh_token(p, 0, rep, sizeof(rep));
            skip = 11;
        } else if (strncmp(tpl, "{other_token}", 13) == 0) {
            fresh_token(p, 1, rep, sizeof(rep));
            skip = 13;
        }
        if (skip > 0) {
            o += (size_t)snprintf(out + o, n - o, "%s", rep);
            tpl += skip;
        } else {
            out[o++] = *tpl++;
            out[o] = '\0';
        }
    }
}

static void test_every_route_has_a_matrix_entry(void **state)
{
    for (const struct ch_route *r = ch_routes; r->pattern != NULL; r++) {
        const struct spec *s = spec_for(r->name);
        if (s == NULL)
            fail_msg("route %s (%s) has no entry in the authorisation matrix", r->name, r->pattern);
        if (((r->flags & CH_ROUTE_PUBLIC) != 0) != (s->is_public != 0) ||
            (!s->is_public && s->roles != r->roles))
            fail_msg("route %s: the matrix's roles or public flag differ from the route "
                     "table's; decide which is right",
                     r->name);
    }
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        bool found = false;
        for (const struct ch_route *r = ch_routes; r->pattern != NULL; r++)
            found = found || strcmp(r->name, specs[i].name) == 0;
        if (!found)
            fail_msg("matrix entry %s names no route", specs[i].name);
    }
}

static void test_matrix(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    int failures = 0, cases = 0;
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        const struct spec *s = &specs[i];
        for (size_t k = 0; k < N_PRINCIPALS; k++) {
            const struct principal *p = &principals[k];
            for (int other = 0; other <= (s->other != NULL ? 1 : 0); other++) {
                char path[512], body[512];
                expand(other ? s->other : s->own, p, other, path, sizeof(path));
                const char *btpl = other ? s->body_other : s->body_own;
                if (btpl != NULL)
                    expand(btpl, p, other, body, sizeof(body));
                ch_test_api(srv.port, s->method, path, p->kind == ANON ? NULL : p->token,
                            btpl != NULL ? body : NULL, &r);
                int want = expected(s, p, other);
                cases++;
                if (r.status != want) {
                    failures++;
                    print_error("%s %s as %s (%s): got %d, expected %d: %s\n", s->method, path,
                                p->name, other ? "other org" : "own org", r.status, want,
                                ch_buf_cstr(&r.body));
                }
                char h[160];
                if (r.status == 401 &&
                    !ch_test_response_header(&r, "www-authenticate", h, sizeof(h))) {
                    failures++;
                    print_error("%s %s: 401 without WWW-Authenticate\n", s->method, path);
                }
                /* TAXII answers its own errors with the TAXII 2.1 error body */
                bool taxii = strncmp(path, "/taxii2/", 8) == 0 &&
                             ch_test_contains(ch_buf_cstr(&r.body), "\"http_status\"");
                if (r.status >= 400 && !taxii &&
                    !ch_test_contains(ch_buf_cstr(&r.body), "\"error\"")) {
                    failures++;
                    print_error("%s %s: error without a JSON error body\n", s->method, path);
                }
            }
        }
    }
    ch_test_response_release(&r);
    print_message("%d authorisation cases\n", cases);
    if (failures > 0)
        fail_msg("%d of %d authorisation cases differ from the matrix", failures, cases);
}

/* A token scoped to fewer roles acts with those roles only, and cannot mint a wider one. */
static void test_scoped_token_narrows_roles(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    char *admin_tok = make_user("two-roles", "alpha", "admin", "unclassified");
    ch_test_api_expect(srv.port, "POST", "/api/v1/users", root_token,
                       "{\"name\":\"multi\",\"org\":\"alpha\",\"roles\":[\"admin\",\"operator\"]}",
                       201, &r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", root_token,
                       "{\"user\":\"multi\",\"scope\":[\"operator\"]}", 201, &r);
    char scoped[128];
    json_get_str(&r, "token", scoped, sizeof(scoped));
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log", scoped, NULL, 403, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/orgs/beta", scoped, NULL, 404, &r);
    /* minting a token with the admin role through an operator-scoped token is refused */
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", scoped, "{\"scope\":[\"admin\"]}", 422,
                       &r);
    /* an unscoped request from a scoped token inherits the narrow scope */
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", scoped, "{}", 201, &r);
    char child[128];
    json_get_str(&r, "token", child, sizeof(child));
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log", child, NULL, 403, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/audit/log", admin_tok, NULL, 200, &r);
    ch_free(admin_tok);
    ch_test_response_release(&r);
}

/* A revoked token stops working at once. */
static void test_revoked_token_is_401(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "POST", "/api/v1/tokens", principals[4].token, "{}", 201, &r);
    char tok[128], id[32], path[64];
    json_get_str(&r, "token", tok, sizeof(tok));
    json_get_str(&r, "id", id, sizeof(id));
    ch_test_api_expect(srv.port, "GET", "/api/v1/me", tok, NULL, 200, &r);
    snprintf(path, sizeof(path), "/api/v1/tokens/%s", id);
    ch_test_api_expect(srv.port, "DELETE", path, tok, NULL, 204, &r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/me", tok, NULL, 401, &r);
    ch_test_api_expect(srv.port, "DELETE", path, principals[4].token, NULL, 404, &r);
    ch_test_response_release(&r);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_has_a_matrix_entry),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_scoped_token_narrows_roles),
        cmocka_unit_test(test_revoked_token_is_401),
    };
    return cmocka_run_group_tests_name("api_authz", tests, setup, teardown);
}
