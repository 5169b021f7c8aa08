/* SPDX-License-Identifier: Apache-2.0
 * Allocation-failure tests of coord/leaseindex: index creation, inserts (trie
 * splits, inline-to-list conversion, interval-tree augmentation, name nodes
 * and their ancestors), queries and conflict checks, failed at allocation N
 * for N = 0, 1, 2, ... until they succeed. Every failure must be CH_E_NOMEM,
 * leave the index exactly as before the failed call, and leak nothing
 * (LeakSanitizer checks in the sanitizer build). */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "coord/leaseindex.h"
#include "coord/netaddr.h"

#define N_LEASES 40

static struct ch_prefix P(const char *s)
{
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    if (ch_prefix_parse(ch_str_c(s), &p, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return p;
}

static struct ch_dnsname N(const char *s)
{
    struct ch_dnsname n;
    struct ch_err err = CH_ERR_INIT;
    if (ch_dnsname_parse(ch_str_c(s), &n, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return n;
}

struct fixture {
    struct ch_prefix tgt[N_LEASES][3];
    struct ch_dnsname names[N_LEASES][2];
    struct ch_prefix src;
    struct ch_str ua;
    struct ch_lease_spec spec[N_LEASES];
};

static struct fixture fx;

static void fixture_init(void)
{
    static const char *const v4[] = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3"};
    static const char *const v6[] = {"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::7"};
    static const char *const nm[] = {"*.example.com", "www.example.com", "a.b.c.example.org",
                                     "*.b.c.example.org"};
    char buf[64];
    fx.src = P("198.51.100.0/24");
    fx.ua = ch_str_c("AcmeScan/1.0");
    for (int i = 0; i < N_LEASES; i++) {
        fx.tgt[i][0] = P(v4[i % 4]);
        fx.tgt[i][1] = P(v6[i % 3]);
        snprintf(buf, sizeof(buf), "172.16.%d.0/24", i);
        fx.tgt[i][2] = P(buf);
        fx.names[i][0] = N(nm[i % 4]);
        snprintf(buf, sizeof(buf), "h%d.example.net", i);
        fx.names[i][1] = N(buf);
        fx.spec[i] = (struct ch_lease_spec){
            .id = 100 + i,
            .mode = i % 5 == 0 ? CH_LEASE_EXCLUSIVE : CH_LEASE_SHARED,
            .start = i * 10,
            .end = i * 10 + 100,
            .targets = fx.tgt[i],
            .n_targets = 3,
            .names = fx.names[i],
            .n_names = 2,
            .sources = &fx.src,
            .n_sources = 1,
            .ua_tokens = &fx.ua,
            .n_ua_tokens = 1,
        };
    }
}

/* How many leases of the first `inserted` cover 10.1.2.3 at t, by brute force. */
static size_t expect_hits(int inserted, int64_t t)
{
    struct ch_ipaddr a;
    struct ch_err err = CH_ERR_INIT;
    CH_IGNORE(ch_ip_parse(ch_str_c("10.1.2.3"), &a, &err));
    size_t n = 0;
    for (int i = 0; i < inserted; i++) {
        if (fx.spec[i].start <= t && t < fx.spec[i].end &&
            ch_prefix_contains_ip(&fx.tgt[i][0], &a))
            n++;
    }
    return n;
}

/* With injection off: the index holds exactly the first `inserted` leases. */
static void check_state(struct ch_leaseindex *ix, int inserted)
{
    assert_int_equal(ch_leaseindex_count(ix), inserted);
    for (int i = 0; i < N_LEASES; i++)
        assert_int_equal(ch_leaseindex_has(ix, fx.spec[i].id), i < inserted);
    struct ch_coord_query q = {.src_kind = CH_COORD_SRC_ANY, .tgt_kind = CH_COORD_TGT_ADDR};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_ip_parse(ch_str_c("10.1.2.3"), &q.tgt_addr, &err), CH_OK);
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    for (int64_t t = 0; t < N_LEASES * 10 + 100; t += 7) {
        q.t = t;
        assert_int_equal(ch_leaseindex_query(ix, &q, &h, &err), CH_OK);
        assert_int_equal(h.n, expect_hits(inserted, t));
    }
    ch_lease_hits_release(&h);
}

/* Builds an index of every lease, then queries and checks conflicts. */
static int body(void)
{
    struct ch_leaseindex *ix = ch_leaseindex_new();
    if (ix == NULL)
        return CH_E_NOMEM;
    int rc = CH_OK;
    int inserted = 0;
    for (; inserted < N_LEASES; inserted++) {
        struct ch_err err = CH_ERR_INIT;
        rc = ch_leaseindex_insert(ix, &fx.spec[inserted], &err);
        if (rc != CH_OK) {
            assert_int_equal(rc, CH_E_NOMEM);
            assert_true(err.msg[0] != '\0');
            break;
        }
    }
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    if (rc == CH_OK) {
        struct ch_coord_query q = {.src_kind = CH_COORD_SRC_UA,
                                   .src_ua = ch_str_c("x (AcmeScan/1.0)"),
                                   .tgt_kind = CH_COORD_TGT_ADDR,
                                   .t = 150};
        struct ch_err err = CH_ERR_INIT;
        CH_IGNORE(ch_ip_parse(ch_str_c("10.1.2.3"), &q.tgt_addr, &err));
        rc = ch_leaseindex_query(ix, &q, &h, &err);
        if (rc == CH_OK) {
            struct ch_lease_spec c = fx.spec[0];
            c.id = 1;
            c.mode = CH_LEASE_EXCLUSIVE;
            c.start = 0;
            c.end = 1000;
            rc = ch_leaseindex_conflicts(ix, &c, &h, &err);
            if (rc == CH_OK && h.n != N_LEASES)
                fail_msg("conflicts: %zu, want %d", h.n, N_LEASES);
            if (rc == CH_OK)
                rc = ch_leaseindex_compact(ix, &err);
        }
    }
    /* whatever failed, the index must hold exactly what was inserted */
    ch_alloc_fault_disable();
    check_state(ix, inserted);
    ch_lease_hits_release(&h);
    ch_leaseindex_free(ix);
    return rc;
}

static void test_leaseindex_oom(void **state)
{
    (void)state;
    fixture_init();
    for (long n = 0; n < 100000; n++) {
        ch_alloc_fault_enable(n);
        int rc = body();
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        if (rc == CH_OK) {
            if (hits == 0) {
                print_message("index built after %ld injected failures\n", n);
                return;
            }
            fail_msg("succeeded although allocation %ld failed", n);
        }
        if (rc != CH_E_NOMEM)
            fail_msg("allocation %ld failed with rc %d, want NOMEM", n, rc);
    }
    fail_msg("never succeeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaseindex_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
