/* SPDX-License-Identifier: Apache-2.0
 * The coordination service over a real store (SQLite and PostgreSQL):
 * overlap on every target kind, boundary times, IPv4 and IPv6, nested
 * prefixes, names against addresses, authorisation required for network
 * leases, extension conflicts, revoked and expired leases, tenancy, catching
 * up with another process, and rebuilding from the store. */
#include "testutil.h"

#include <string.h>

#include "coord/deconflict.h"
#include "coord/service.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/keys.h"
#include "identity/identity.h"
#include "share/webhook.h"

#define T0 ((int64_t)1780000000) /* 2026-05-28 */
#define HOUR 3600

/* Like assert_int_equal, printing the error message on a mismatch. */
#define assert_rc(expr, want, e)                                                                   \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != (want))                                                                         \
            fail_msg("%s: got %d, want %d: %s", #expr, rc_, (int)(want), (e)->msg);                \
    } while (0)

struct fx {
    struct ch_store *s;
    char *dir;
    struct ch_coord *c;
    int64_t grid, acme, beta; /* orgs: operator, two partners */
    int64_t net, repo, pkg;   /* targets */
    int64_t auth_acme, auth_beta;
    struct ch_coord_actor admin, op, pa, pb;
};

static int64_t org(struct fx *f, const char *slug, enum ch_org_category cat)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_org_new o = {.slug = slug, .name = slug, .category = cat};
    int64_t id = 0;
    if (ch_org_create(f->s, &o, T0 - 1000, &id, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return id;
}

static int64_t grant(struct fx *f, int64_t target, int64_t partner, int64_t start, int64_t end)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_coord_auth_new g = {.target_id = target,
                                  .partner_org_id = partner,
                                  .start = start,
                                  .end = end,
                                  .rules_json = "{\"contacts\":[\"soc@grid.example\"],"
                                                "\"techniques\":[\"tcp-syn\"],\"hours\":"
                                                "\"00:00-12:00\"}"};
    int64_t id = 0;
    if (ch_coord_auth_grant(f->c, f->s, &f->op, &g, T0, &id, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return id;
}

static int setup(void **state)
{
    struct fx *f = ch_calloc(1, sizeof(*f));
    f->s = ch_test_store(&f->dir);
    f->grid = org(f, "grid", CH_ORG_FCEB);
    f->acme = org(f, "acme", CH_ORG_PARTNER);
    f->beta = org(f, "beta", CH_ORG_PARTNER);
    f->admin = CH_COORD_ACTOR_LOCAL;
    f->op = (struct ch_coord_actor){.org_id = f->grid,
                                    .roles = CH_ROLE_OPERATOR,
                                    .clearance = CH_CLEAR_SECRET,
                                    .name = "user:op"};
    f->pa = (struct ch_coord_actor){.org_id = f->acme,
                                    .roles = CH_ROLE_PARTNER,
                                    .clearance = CH_CLEAR_UNCLASSIFIED,
                                    .name = "user:pa"};
    f->pb = (struct ch_coord_actor){.org_id = f->beta,
                                    .roles = CH_ROLE_PARTNER,
                                    .clearance = CH_CLEAR_UNCLASSIFIED,
                                    .name = "user:pb"};
    struct ch_err err = CH_ERR_INIT;
    if (ch_coord_new(f->s, NULL, T0, &f->c, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_coord_target_new net = {
        .kind = CH_TARGET_NETWORK,
        .name = "grid-net",
        .scope = "192.0.2.0/24, 2001:db8::/48 example.com *.svc.example.com 10.0.0.0/8"};
    if (ch_coord_target_add(f->c, f->s, &f->op, &net, T0, &f->net, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_coord_target_new repo = {.kind = CH_TARGET_REPO,
                                       .name = "scada-fw",
                                       .repo_url = "https://Git.Example.com/grid/fw.git",
                                       .repo_ref = "v1.2.0"};
    if (ch_coord_target_add(f->c, f->s, &f->op, &repo, T0, &f->repo, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_coord_target_new pkg = {
        .kind = CH_TARGET_PACKAGE, .name = "modbus-lib", .purl = "pkg:pypi/PyModbus@3.6.0"};
    if (ch_coord_target_add(f->c, f->s, &f->op, &pkg, T0, &f->pkg, &err) != CH_OK)
        fail_msg("%s", err.msg);
    f->auth_acme = grant(f, f->net, f->acme, T0, T0 + 30 * 86400);
    f->auth_beta = grant(f, f->net, f->beta, T0, T0 + 30 * 86400);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ch_coord_free(f->c);
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f);
    return 0;
}

struct lreq {
    int64_t target;
    const struct ch_coord_actor *who;
    enum ch_lease_mode mode;
    int64_t start, end;
    const char *scope, *sources, *ua;
};

static int lease(struct fx *f, const struct lreq *r, int64_t *ret_id, struct ch_err *err)
{
    ch_err_clear(err);
    struct ch_coord_lease_new l = {.target_id = r->target,
                                   .mode = r->mode,
                                   .start = r->start,
                                   .end = r->end,
                                   .scope = r->scope,
                                   .sources = r->sources != NULL ? r->sources : "198.51.100.0/24",
                                   .ua_tokens = r->ua};
    int64_t id = 0;
    int rc = ch_coord_lease_request(f->c, f->s, r->who, &l, T0, &id, err);
    if (ret_id != NULL)
        *ret_id = rc == CH_OK ? id : 0;
    return rc;
}

static int64_t must_lease(struct fx *f, const struct lreq *r)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (lease(f, r, &id, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return id;
}

/* Authorised lease ids for one question, as "3,7" ("" when unauthorised). */
static void ask(struct fx *f, const char *src, const char *tgt, int64_t t, char *out, size_t n)
{
    struct ch_coord_batch b;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_coord_batch_init(&b, 4, &err), CH_OK);
    assert_int_equal(ch_coord_batch_add(&b, ch_str_c(src), ch_str_c(tgt), t, &err), CH_OK);
    assert_int_equal(ch_coord_batch_run(f->c, &b, &err), CH_OK);
    if (b.kind[0] == CH_COORD_ASK_BAD)
        fail_msg("bad question: %s", ch_coord_batch_error(&b, 0).ptr);
    out[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < b.outs[0].n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%lld", i ? "," : "",
                                (long long)b.outs[0].ids[i]);
    ch_coord_batch_release(&b);
}

static void test_network_overlap_prefixes_and_boundaries(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t a = must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_EXCLUSIVE, T0 + 100 * HOUR,
                                             T0 + 200 * HOUR, "192.0.2.0/25", NULL, NULL});
    /* disjoint half: fine, even exclusive */
    must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 100 * HOUR,
                                 T0 + 200 * HOUR, "192.0.2.128/25", "203.0.113.0/24", NULL});
    /* the enclosing /24 collides, and the message names the lease */
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0 + 150 * HOUR,
                                          T0 + 160 * HOUR, "192.0.2.0/24", NULL, NULL},
                           NULL, &err),
                     CH_E_CONFLICT);
    char want[64];
    snprintf(want, sizeof(want), "conflicts with lease %lld", (long long)a);
    assert_true(ch_test_contains(err.msg, want));
    assert_true(ch_test_contains(err.msg, "'acme'"));
    /* a nested /26 too */
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 199 * HOUR,
                                          T0 + 250 * HOUR, "192.0.2.64/26", NULL, NULL},
                           NULL, &err),
                     CH_E_CONFLICT);
    /* boundaries: ending when it starts, starting when it ends: no overlap */
    must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 200 * HOUR,
                                 T0 + 300 * HOUR, "192.0.2.64/26", NULL, NULL});
    must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 50 * HOUR,
                                 T0 + 100 * HOUR, "192.0.2.0/24", NULL, NULL});
    /* IPv6: /64 inside the /48 leased exclusively */
    int64_t v6 = must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_EXCLUSIVE, T0 + HOUR,
                                              T0 + 2 * HOUR, "2001:db8::/48", NULL, NULL});
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0 + HOUR, T0 + 3 * HOUR,
                                          "2001:db8:0:1::/64", NULL, NULL},
                           NULL, &err),
                     CH_E_CONFLICT);
    snprintf(want, sizeof(want), "lease %lld", (long long)v6);
    assert_true(ch_test_contains(err.msg, want));
    /* shared with shared coexist */
    must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_SHARED, T0 + 400 * HOUR, T0 + 410 * HOUR,
                                 "10.1.0.0/16", NULL, NULL});
    must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0 + 400 * HOUR, T0 + 410 * HOUR,
                                 "10.0.0.0/8", NULL, NULL});
    /* outside the target's scope */
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &f->pa, CH_LEASE_SHARED, T0 + HOUR, T0 + 2 * HOUR,
                                          "192.0.3.0/24", NULL, NULL},
                           NULL, &err),
                     CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "outside the scope"));
}

static void test_names_wildcards_and_addresses(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t w = must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_EXCLUSIVE, T0 + HOUR,
                                             T0 + 10 * HOUR, "*.svc.example.com", NULL, NULL});
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0 + 2 * HOUR,
                                          T0 + 3 * HOUR, "api.svc.example.com", NULL, NULL},
                           NULL, &err),
                     CH_E_CONFLICT);
    /* the base name itself is not under the wildcard; addresses never meet names */
    must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 2 * HOUR, T0 + 3 * HOUR,
                                 "example.com 192.0.2.0/24", NULL, NULL});
    char got[128], want[32];
    snprintf(want, sizeof(want), "%lld", (long long)w);
    ask(f, "198.51.100.9", "db.svc.example.com", T0 + 5 * HOUR, got, sizeof(got));
    assert_string_equal(got, want);
    ask(f, "198.51.100.9", "svc.example.com", T0 + 5 * HOUR, got, sizeof(got));
    assert_string_equal(got, "");
    /* source outside the declared prefix */
    ask(f, "203.0.113.9", "db.svc.example.com", T0 + 5 * HOUR, got, sizeof(got));
    assert_string_equal(got, "");
}

static void test_authorisation_required_and_revocation_cascades(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t gamma = org(f, "gamma", CH_ORG_PARTNER);
    struct ch_coord_actor pg = {.org_id = gamma, .roles = CH_ROLE_PARTNER, .name = "user:pg"};
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &pg, CH_LEASE_SHARED, T0 + HOUR, T0 + 2 * HOUR,
                                          NULL, NULL, NULL},
                           NULL, &err),
                     CH_E_NOTFOUND);
    /* never authorised: the target is invisible, so the answer is "not found" without its name */
    assert_true(ch_test_contains(err.msg, "no target"));
    assert_false(ch_test_contains(err.msg, "grid-net"));
    /* beyond the authorisation's window */
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &f->pa, CH_LEASE_SHARED, T0 + 29 * 86400,
                                          T0 + 31 * 86400, NULL, NULL, NULL},
                           NULL, &err),
                     CH_E_PERM);
    /* a partner cannot grant itself one, nor lease for another org */
    struct ch_coord_auth_new g = {.target_id = f->net,
                                  .partner_org_id = f->acme,
                                  .start = T0,
                                  .end = T0 + 86400,
                                  .rules_json = "{\"contacts\":[\"x\"]}"};
    int64_t id;
    assert_int_equal(ch_coord_auth_grant(f->c, f->s, &f->pa, &g, T0, &id, &err), CH_E_PERM);
    ch_err_clear(&err);
    g.rules_json = "{\"contacts\":[\"x\"],\"exploit\":true}";
    assert_int_equal(ch_coord_auth_grant(f->c, f->s, &f->op, &g, T0, &id, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "exploit"));
    /* revoking the authorisation revokes its leases: later traffic unauthorised */
    int64_t l = must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_SHARED, T0, T0 + 10 * HOUR,
                                             "192.0.2.10", NULL, NULL});
    char got[64];
    ask(f, "198.51.100.1", "192.0.2.10", T0 + HOUR, got, sizeof(got));
    assert_true(strlen(got) > 0);
    ch_err_clear(&err);
    assert_rc(ch_coord_auth_revoke(f->c, f->s, &f->op, f->auth_acme, "abuse", T0 + 2 * HOUR, &err),
              CH_OK, &err);
    ask(f, "198.51.100.1", "192.0.2.10", T0 + 3 * HOUR, got, sizeof(got));
    assert_string_equal(got, "");
    /* before the revocation it was authorised, and still says so */
    ask(f, "198.51.100.1", "192.0.2.10", T0 + HOUR, got, sizeof(got));
    char want[32];
    snprintf(want, sizeof(want), "%lld", (long long)l);
    assert_string_equal(got, want);
    /* with its only authorisation revoked, the target is invisible to acme again */
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &f->pa, CH_LEASE_SHARED, T0 + 5 * HOUR,
                                          T0 + 6 * HOUR, NULL, NULL, NULL},
                           NULL, &err),
                     CH_E_NOTFOUND);
}

static void test_repo_and_package_exact_match(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t r = must_lease(f, &(struct lreq){f->repo, &f->pa, CH_LEASE_EXCLUSIVE, T0 + HOUR,
                                             T0 + 5 * HOUR, NULL, "", "AcmeFuzz/2"});
    assert_int_equal(lease(f,
                           &(struct lreq){f->repo, &f->pb, CH_LEASE_SHARED, T0 + 4 * HOUR,
                                          T0 + 6 * HOUR, NULL, NULL, NULL},
                           NULL, &err),
                     CH_E_CONFLICT);
    /* the same repository and ref under another owner's target: same key */
    struct ch_coord_target_new same = {.kind = CH_TARGET_REPO,
                                       .name = "fw-mirror",
                                       .org_id = f->beta,
                                       .repo_url = "https://git.example.com/grid/fw/",
                                       .repo_ref = "v1.2.0"};
    int64_t mirror, other;
    assert_int_equal(ch_coord_target_add(f->c, f->s, &f->admin, &same, T0, &mirror, &err), CH_OK);
    assert_int_equal(lease(f,
                           &(struct lreq){mirror, &f->pb, CH_LEASE_SHARED, T0 + 2 * HOUR,
                                          T0 + 3 * HOUR, NULL, NULL, NULL},
                           NULL, &err),
                     CH_E_CONFLICT);
    /* another ref is another target */
    same.name = "fw-next";
    same.repo_ref = "v1.3.0";
    assert_int_equal(ch_coord_target_add(f->c, f->s, &f->admin, &same, T0, &other, &err), CH_OK);
    must_lease(f, &(struct lreq){other, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 2 * HOUR, T0 + 3 * HOUR,
                                 NULL, NULL, NULL});
    /* package: shared + shared fine, exclusive refused; boundary fine */
    must_lease(f, &(struct lreq){f->pkg, &f->pa, CH_LEASE_SHARED, T0 + HOUR, T0 + 2 * HOUR, NULL,
                                 NULL, NULL});
    must_lease(f, &(struct lreq){f->pkg, &f->pb, CH_LEASE_SHARED, T0 + HOUR, T0 + 2 * HOUR, NULL,
                                 NULL, NULL});
    assert_int_equal(lease(f,
                           &(struct lreq){f->pkg, &f->pb, CH_LEASE_EXCLUSIVE, T0 + HOUR,
                                          T0 + 2 * HOUR, NULL, NULL, NULL},
                           NULL, &err),
                     CH_E_CONFLICT);
    must_lease(f, &(struct lreq){f->pkg, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 2 * HOUR, T0 + 3 * HOUR,
                                 NULL, NULL, NULL});
    /* deconfliction on keys: purl case-folded, repo URL normalised */
    char got[64], want[32];
    snprintf(want, sizeof(want), "%lld", (long long)r);
    ask(f, "ua:Mozilla/5.0 (AcmeFuzz/2)", "repo:https://git.example.com/grid/fw@v1.2.0",
        T0 + 2 * HOUR, got, sizeof(got));
    assert_string_equal(got, want);
    ask(f, "-", "pkg:pypi/pymodbus@3.6.0", T0 + 2 * HOUR + 1, got, sizeof(got));
    assert_true(strlen(got) > 0);
    ask(f, "-", "pkg:pypi/pymodbus@3.6.1", T0 + 2 * HOUR + 1, got, sizeof(got));
    assert_string_equal(got, "");
}

static void test_extension_conflicts_and_release(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t a = must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_EXCLUSIVE, T0 + 100, T0 + 200,
                                             "192.0.2.0/24", NULL, NULL});
    int64_t b = must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 300, T0 + 400,
                                             "192.0.2.128/25", NULL, NULL});
    assert_int_equal(ch_coord_lease_extend(f->c, f->s, &f->pa, a, T0 + 301, T0, &err),
                     CH_E_CONFLICT);
    char want[32];
    snprintf(want, sizeof(want), "lease %lld", (long long)b);
    assert_true(ch_test_contains(err.msg, want));
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_extend(f->c, f->s, &f->pa, a, T0 + 300, T0, &err), CH_OK);
    /* only the holder extends */
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_extend(f->c, f->s, &f->pb, a, T0 + 300, T0, &err),
                     CH_E_NOTFOUND);
    char got[64];
    ask(f, "198.51.100.7", "192.0.2.1", T0 + 250, got, sizeof(got));
    snprintf(want, sizeof(want), "%lld", (long long)a);
    assert_string_equal(got, want);
    /* release early: the target is free from then on */
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_release(f->c, f->s, &f->pa, a, T0 + 150, &err), CH_OK);
    ask(f, "198.51.100.7", "192.0.2.1", T0 + 160, got, sizeof(got));
    assert_string_equal(got, "");
    ask(f, "198.51.100.7", "192.0.2.1", T0 + 149, got, sizeof(got));
    assert_string_equal(got, want);
    assert_int_equal(ch_coord_lease_release(f->c, f->s, &f->pa, a, T0 + 160, &err), CH_E_CONFLICT);
    /* the operator revokes; the partner cannot */
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_revoke(f->c, f->s, &f->pb, b, "no", T0 + 10, &err), CH_E_PERM);
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_revoke(f->c, f->s, &f->op, b, "maintenance", T0 + 10, &err),
                     CH_OK);
    ask(f, "198.51.100.7", "192.0.2.200", T0 + 350, got, sizeof(got));
    assert_string_equal(got, "");
    /* a revoked-before-start lease frees its window for others */
    must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_EXCLUSIVE, T0 + 300, T0 + 400,
                                 "192.0.2.0/24", NULL, NULL});
}

static void test_expired_and_window_rules(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t a = must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_EXCLUSIVE, T0, T0 + 100,
                                             "192.0.2.0/24", NULL, NULL});
    char got[64], want[32];
    snprintf(want, sizeof(want), "%lld", (long long)a);
    ask(f, "198.51.100.1", "192.0.2.1", T0, got, sizeof(got));
    assert_string_equal(got, want);
    ask(f, "198.51.100.1", "192.0.2.1", T0 + 99, got, sizeof(got));
    assert_string_equal(got, want);
    ask(f, "198.51.100.1", "192.0.2.1", T0 + 100, got, sizeof(got));
    assert_string_equal(got, "");
    ask(f, "198.51.100.1", "192.0.2.1", T0 - 1, got, sizeof(got));
    assert_string_equal(got, "");
    /* IPv4-mapped source is the IPv4 address */
    ask(f, "::ffff:198.51.100.1", "192.0.2.1", T0 + 1, got, sizeof(got));
    assert_string_equal(got, want);
    /* past start refused; too long refused; after expiry a new lease fits */
    assert_int_equal(
        lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0 - 1, T0 + 10, NULL, NULL, NULL},
              NULL, &err),
        CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(lease(f,
                           &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0, T0 + 91 * 86400,
                                          NULL, NULL, NULL},
                           NULL, &err),
                     CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "exceeds 90 days"));
    assert_int_equal(
        lease(f,
              &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0 + 100, T0 + 100, NULL, NULL, NULL},
              NULL, &err),
        CH_E_INVALID);
    must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 100, T0 + 200,
                                 "192.0.2.0/24", NULL, NULL});
    /* network leases need declared sources */
    assert_int_equal(
        lease(f,
              &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0 + 1000, T0 + 2000, NULL, "", NULL},
              NULL, &err),
        CH_E_INVALID);
    /* extending an expired lease is refused */
    ch_err_clear(&err);
    assert_rc(ch_coord_lease_extend(f->c, f->s, &f->pa, a, T0 + 300, T0 + 150, &err), CH_E_CONFLICT,
              &err);
}

static int list_count(struct fx *f, const struct ch_coord_actor *a, int64_t *ret_first)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_coord_lease_list_json(f->s, a, NULL, T0, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    cJSON *doc = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), b.len, NULL, NULL, &doc, &err), CH_OK);
    int n = cJSON_GetArraySize(doc);
    if (ret_first != NULL && n > 0)
        *ret_first = (int64_t)cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "id")->valuedouble;
    cJSON_Delete(doc);
    ch_buf_release(&b);
    return n;
}

static void test_tenancy(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t a = must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_SHARED, T0, T0 + 100,
                                             "192.0.2.0/24", NULL, NULL});
    int64_t b = must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0, T0 + 100,
                                             "192.0.2.0/24", "203.0.113.0/24", NULL});
    int64_t first = 0;
    assert_int_equal(list_count(f, &f->pa, &first), 1);
    assert_int_equal(first, a);
    assert_int_equal(list_count(f, &f->pb, &first), 1);
    assert_int_equal(first, b);
    assert_int_equal(list_count(f, &f->op, NULL), 2);
    assert_int_equal(list_count(f, &f->admin, NULL), 2);
    /* an operator of another organisation sees none */
    struct ch_coord_actor stranger = {
        .org_id = f->acme, .roles = CH_ROLE_OPERATOR, .name = "user:x"};
    assert_int_equal(list_count(f, &stranger, NULL), 1); /* acme's own lease only */
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &out, 0);
    assert_int_equal(ch_coord_lease_show_json(f->s, &f->pb, a, T0, &w, &err), CH_E_NOTFOUND);
    /* a partner may not act on another's lease as if it existed */
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_release(f->c, f->s, &f->pb, a, T0 + 1, &err), CH_E_NOTFOUND);
    /* deconfliction: both answer "authorised", each partner sees only its own lease */
    ch_buf_reset(&out);
    ch_jw_init(&w, &out, 0);
    bool authorised = false;
    ch_err_clear(&err);
    assert_int_equal(ch_coord_deconflict_json(f->c, &f->pb, ch_str_c("-"), ch_str_c("192.0.2.5"),
                                              T0 + 1, &w, &authorised, &err),
                     CH_OK);
    assert_true(authorised);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"other_leases\":1"));
    assert_false(ch_test_contains(ch_buf_cstr(&out), "\"acme\""));
    /* reports: only the holder */
    struct ch_coord_report_new r = {
        .lease_id = a, .scanned = "192.0.2.0/24 tcp/1-1024", .tool = "zmap 4.1", .findings = 3};
    int64_t rid;
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_report(f->c, f->s, &f->pb, &r, T0 + 50, &rid, &err),
                     CH_E_NOTFOUND);
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_report(f->c, f->s, &f->pa, &r, T0 + 50, &rid, &err), CH_OK);
    ch_buf_reset(&out);
    ch_jw_init(&w, &out, 0);
    assert_int_equal(ch_coord_lease_show_json(f->s, &f->op, a, T0, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&out), "zmap 4.1"));
    ch_buf_release(&out);
}

static void test_batch_equals_single_and_rebuild(void **state)
{
    struct fx *f = *state;
    must_lease(f, &(struct lreq){f->net, &f->pa, CH_LEASE_SHARED, T0, T0 + 1000,
                                 "192.0.2.0/25 2001:db8::/56 *.svc.example.com", "198.51.100.0/24",
                                 "AcmeScan"});
    must_lease(f, &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0 + 500, T0 + 1500,
                                 "192.0.2.0/24 example.com", "203.0.113.0/24", NULL});
    must_lease(f, &(struct lreq){f->pkg, &f->pb, CH_LEASE_SHARED, T0, T0 + 800, NULL,
                                 "203.0.113.0/24", NULL});
    const char *srcs[] = {"198.51.100.4",       "203.0.113.77",   "-",
                          "ua:x AcmeScan (y)",  "ua:AcmeScanner", "2001:db8:ffff::1",
                          "::ffff:203.0.113.1", "bogus"};
    const char *tgts[] = {"192.0.2.1",         "192.0.2.200",  "2001:db8:0:ff::9",
                          "a.svc.example.com", "example.com",  "pkg:pypi/pymodbus@3.6.0",
                          "10.9.9.9",          "nope..example"};
    const int64_t times[] = {T0 - 1, T0, T0 + 499, T0 + 500, T0 + 999, T0 + 1000, T0 + 1499};
    struct ch_coord_batch b;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_coord_batch_init(&b, CH_COORD_BATCH_MAX, &err), CH_OK);
    for (size_t i = 0; i < CH_ARRAY_SIZE(srcs); i++)
        for (size_t j = 0; j < CH_ARRAY_SIZE(tgts); j++)
            for (size_t k = 0; k < CH_ARRAY_SIZE(times); k++)
                assert_int_equal(
                    ch_coord_batch_add(&b, ch_str_c(srcs[i]), ch_str_c(tgts[j]), times[k], &err),
                    CH_OK);
    assert_int_equal(ch_coord_batch_run(f->c, &b, &err), CH_OK);
    size_t n = 0, authorised = 0;
    /* a second service, loaded from the store, answers the same */
    struct ch_coord *c2 = NULL;
    assert_int_equal(ch_coord_new(f->s, NULL, T0, &c2, &err), CH_OK);
    struct ch_coord_batch b2;
    assert_int_equal(ch_coord_batch_init(&b2, 1, &err), CH_OK);
    for (size_t i = 0; i < CH_ARRAY_SIZE(srcs); i++) {
        for (size_t j = 0; j < CH_ARRAY_SIZE(tgts); j++) {
            for (size_t k = 0; k < CH_ARRAY_SIZE(times); k++, n++) {
                ch_coord_batch_reset(&b2);
                assert_int_equal(
                    ch_coord_batch_add(&b2, ch_str_c(srcs[i]), ch_str_c(tgts[j]), times[k], &err),
                    CH_OK);
                assert_int_equal(ch_coord_batch_run(c2, &b2, &err), CH_OK);
                assert_int_equal(b2.kind[0], b.kind[n]);
                assert_int_equal(b2.outs[0].n, b.outs[n].n);
                for (size_t h = 0; h < b.outs[n].n; h++)
                    assert_int_equal(b2.outs[0].ids[h], b.outs[n].ids[h]);
                authorised += b.outs[n].n > 0;
            }
        }
    }
    assert_true(authorised > 10);
    ch_coord_batch_release(&b);
    ch_coord_batch_release(&b2);
    ch_coord_free(c2);
}

static void test_second_process_catches_up(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_coord *other = NULL;
    assert_int_equal(ch_coord_new(f->s, NULL, T0, &other, &err), CH_OK);
    /* a lease granted through the other service instance */
    struct ch_coord_lease_new l = {.target_id = f->net,
                                   .mode = CH_LEASE_EXCLUSIVE,
                                   .start = T0,
                                   .end = T0 + 100,
                                   .scope = "192.0.2.0/24",
                                   .sources = "198.51.100.0/24"};
    int64_t id;
    assert_int_equal(ch_coord_lease_request(other, f->s, &f->pa, &l, T0, &id, &err), CH_OK);
    /* our service has not seen it yet, but a change catches up first */
    assert_int_equal(
        lease(f,
              &(struct lreq){f->net, &f->pb, CH_LEASE_SHARED, T0, T0 + 50, "192.0.2.7", NULL, NULL},
              NULL, &err),
        CH_E_CONFLICT);
    ch_err_clear(&err);
    assert_int_equal(ch_coord_lease_release(other, f->s, &f->pa, id, T0 + 10, &err), CH_OK);
    assert_int_equal(ch_coord_sync(f->c, f->s, &err), CH_OK);
    char got[32];
    ask(f, "198.51.100.1", "192.0.2.7", T0 + 20, got, sizeof(got));
    assert_string_equal(got, "");
    ch_coord_free(other);
}

static void test_uncovered_targets(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    must_lease(f, &(struct lreq){f->pkg, &f->pa, CH_LEASE_SHARED, T0, T0 + 100, NULL, NULL, NULL});
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    /* at T0 + 1000: the package was covered in the last day, the others not */
    assert_int_equal(ch_coord_uncovered_json(f->s, &f->op, 1, NULL, T0 + 1000, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    /* the exposure tables (migration 0007) exist: they rank by default */
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"rank_by\":\"exposures\""));
    assert_false(ch_test_contains(ch_buf_cstr(&b), "\"note\""));
    assert_true(ch_test_contains(ch_buf_cstr(&b), "grid-net"));
    assert_false(ch_test_contains(ch_buf_cstr(&b), "modbus-lib"));
    /* much later nothing covers it: by lease count it ranks first */
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(
        ch_coord_uncovered_json(f->s, &f->op, 1, &ch_coord_rank_leases, T0 + 5 * 86400, &w, &err),
        CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    const char *txt = ch_buf_cstr(&b);
    const char *pkg = strstr(txt, "modbus-lib");
    const char *net = strstr(txt, "grid-net");
    assert_non_null(pkg);
    assert_non_null(net);
    assert_true(pkg < net);
    ch_buf_release(&b);
}

/* An endpoint of org subscribed to events (its URL is never called here). */
static void endpoint(struct fx *f, const struct ch_keys *keys, int64_t org_id, unsigned events)
{
    struct ch_webhook_new w = {
        .org_id = org_id, .url = "http://127.0.0.1:9/hook", .events = events, .actor = "test"};
    struct ch_err err = CH_ERR_INIT;
    char secret[CH_WEBHOOK_SECRET_MAX];
    int64_t id = 0;
    if (ch_webhook_add(f->s, keys, &w, T0 - 10, &id, secret, &err) != CH_OK)
        fail_msg("webhook add: %s", err.msg);
}

/* lease_conflict deliveries of org's endpoints, and the body of the last one. */
static int64_t conflict_events(struct fx *f, int64_t org_id, cJSON **ret_last)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(f->s,
                                   "SELECT d.body FROM webhook_deliveries d JOIN webhooks w"
                                   " ON w.id = d.webhook_id WHERE d.event = 'lease_conflict'"
                                   " AND w.org_id = ? ORDER BY d.id",
                                   &st, &err),
                     CH_OK);
    ch_stmt_bind_int(st, 1, org_id);
    int64_t n = 0;
    while (ch_stmt_step(st, &err) == 1) {
        n++;
        if (ret_last == NULL)
            continue;
        cJSON_Delete(*ret_last);
        struct ch_str b = ch_stmt_text(st, 0);
        assert_int_equal(ch_json_parse(b.ptr, b.len, NULL, "body", ret_last, &err), CH_OK);
    }
    ch_stmt_reset(st);
    return n;
}

static int64_t num(const cJSON *doc, const char *key)
{
    return (int64_t)cJSON_GetNumberValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "data"), key));
}

static const char *text(const cJSON *doc, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "data"), key));
}

/*
 * A refusal for overlap queues lease_conflict for the requester (what the 409
 * says) and for the conflicting lease's holder (without the requester), once
 * however often the same request is retried; nothing for an organisation
 * subscribed to other events.
 */
static void test_refusal_queues_lease_conflict(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    ch_json_global_init();
    assert_int_equal(ch_crypto_init(&err), CH_OK);
    char kd[1200];
    snprintf(kd, sizeof(kd), "%s/keys", f->dir);
    bool created = false;
    struct ch_keys keys;
    assert_int_equal(ch_keys_create(kd, &created, &err), CH_OK);
    assert_int_equal(ch_keys_load(kd, &keys, &err), CH_OK);
    endpoint(f, &keys, f->acme, CH_WEBHOOK_LEASE_CONFLICT);
    endpoint(f, &keys, f->beta, CH_WEBHOOK_LEASE_CONFLICT | CH_WEBHOOK_CASE_STATE);
    endpoint(f, &keys, f->grid, CH_WEBHOOK_NOTICE);
    ch_keys_wipe(&keys);

    int64_t held = must_lease(f, &(struct lreq){f->repo, &f->pa, CH_LEASE_EXCLUSIVE, T0 + HOUR,
                                                T0 + 5 * HOUR, NULL, NULL, NULL});
    struct lreq refused = {f->repo, &f->pb, CH_LEASE_SHARED, T0 + 4 * HOUR, T0 + 6 * HOUR, NULL,
                           NULL,    NULL};
    for (int attempt = 0; attempt < 2; attempt++)
        assert_int_equal(lease(f, &refused, NULL, &err), CH_E_CONFLICT);
    cJSON *doc = NULL;
    assert_int_equal(conflict_events(f, f->beta, &doc), 1);
    assert_string_equal(text(doc, "role"), "requester");
    assert_int_equal(num(doc, "target_id"), f->repo);
    assert_int_equal(num(doc, "conflicting_lease"), held);
    assert_int_equal(num(doc, "more_conflicts"), 0);
    assert_string_equal(text(doc, "mode"), "shared");
    assert_non_null(text(doc, "start"));
    assert_int_equal(conflict_events(f, f->acme, &doc), 1);
    assert_string_equal(text(doc, "role"), "holder");
    assert_int_equal(num(doc, "lease_id"), held);
    char *body = cJSON_PrintUnformatted(doc);
    assert_null(strstr(body, "beta"));
    assert_null(strstr(body, "pb"));
    cJSON_free(body);
    assert_int_equal(conflict_events(f, f->grid, NULL), 0);

    /* a holder refused against its own lease is told once, as the requester */
    assert_int_equal(lease(f,
                           &(struct lreq){f->repo, &f->pa, CH_LEASE_SHARED, T0 + 2 * HOUR,
                                          T0 + 3 * HOUR, NULL, NULL, NULL},
                           NULL, &err),
                     CH_E_CONFLICT);
    assert_int_equal(conflict_events(f, f->acme, &doc), 2);
    assert_string_equal(text(doc, "role"), "requester");
    assert_int_equal(conflict_events(f, f->beta, NULL), 1);

    /* an extension refused for overlap: the same, with the lease it would have extended */
    int64_t later = must_lease(f, &(struct lreq){f->repo, &f->pb, CH_LEASE_EXCLUSIVE, T0 + 6 * HOUR,
                                                 T0 + 7 * HOUR, NULL, NULL, NULL});
    assert_rc(ch_coord_lease_extend(f->c, f->s, &f->pa, held, T0 + 6 * HOUR + 1, T0, &err),
              CH_E_CONFLICT, &err);
    assert_int_equal(conflict_events(f, f->acme, &doc), 3);
    assert_string_equal(text(doc, "role"), "requester");
    assert_int_equal(num(doc, "extending"), held);
    assert_int_equal(num(doc, "conflicting_lease"), later);
    assert_int_equal(conflict_events(f, f->beta, &doc), 2);
    assert_string_equal(text(doc, "role"), "holder");
    assert_int_equal(num(doc, "lease_id"), later);
    cJSON_Delete(doc);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_network_overlap_prefixes_and_boundaries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_names_wildcards_and_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorisation_required_and_revocation_cascades, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_repo_and_package_exact_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extension_conflicts_and_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_and_window_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenancy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_equals_single_and_rebuild, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_process_catches_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncovered_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_queues_lease_conflict, setup, teardown),
    };
    return cmocka_run_group_tests_name("coord_service", tests, NULL, NULL);
}
