/* SPDX-License-Identifier: Apache-2.0
 * Unit and property tests of coord/leaseindex: queries and conflict checks
 * on every target kind, window boundaries, nesting, wildcards, removal,
 * exclusive/shared rules, invalid input; and a property test comparing the
 * index with a brute-force scan over random leases, queries, inserts and
 * removes (fixed seed). */
#include "testutil.h"

#include <inttypes.h>
#include <string.h>

#include "coord/leaseindex.h"
#include "coord/netaddr.h"

#define T_MAX 24

/* A lease spec with its own storage, built from text. */
struct tspec {
    struct ch_lease_spec s;
    struct ch_prefix tgt[T_MAX], src[T_MAX];
    struct ch_dnsname names[T_MAX];
    struct ch_str ua[T_MAX];
    char ua_text[T_MAX][32];
    bool live;
};

/* Rebinds the spec's pointers after a struct copy. */
static void tspec_bind(struct tspec *t)
{
    t->s.targets = t->tgt;
    t->s.sources = t->src;
    t->s.names = t->names;
    t->s.ua_tokens = t->ua;
    for (size_t i = 0; i < t->s.n_ua_tokens; i++)
        t->ua[i].ptr = t->ua_text[i];
}

static void add_ua(struct tspec *t, const char *tok)
{
    size_t i = t->s.n_ua_tokens++;
    size_t len = strlen(tok);
    assert_true(len < sizeof(t->ua_text[i]));
    memcpy(t->ua_text[i], tok, len + 1);
    t->ua[i] = ch_str_make(t->ua_text[i], len);
}

/* targets: space-separated prefixes or names; sources: prefixes or ua=TOKEN. */
static void tspec_make(struct tspec *t, int64_t id, enum ch_lease_mode mode, int64_t start,
                       int64_t end, const char *targets, const char *sources)
{
    memset(t, 0, sizeof(*t));
    t->s.id = id;
    t->s.mode = mode;
    t->s.start = start;
    t->s.end = end;
    struct ch_str rest = ch_str_c(targets), tok;
    while (rest.ptr != NULL && ch_str_split_next(&rest, ' ', &tok)) {
        if (tok.len == 0)
            continue;
        struct ch_err err = CH_ERR_INIT;
        if (ch_prefix_parse(tok, &t->tgt[t->s.n_targets], &err) == CH_OK) {
            t->s.n_targets++;
            continue;
        }
        struct ch_err err2 = CH_ERR_INIT;
        if (ch_dnsname_parse(tok, &t->names[t->s.n_names], &err2) != CH_OK)
            fail_msg("bad target '%.*s': %s / %s", CH_STR_FMT(tok), err.msg, err2.msg);
        t->s.n_names++;
    }
    rest = ch_str_c(sources);
    while (rest.ptr != NULL && ch_str_split_next(&rest, ' ', &tok)) {
        if (tok.len == 0)
            continue;
        if (ch_str_starts_with(tok, "ua=")) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%.*s", (int)tok.len - 3, tok.ptr + 3);
            add_ua(t, buf);
            continue;
        }
        struct ch_err err = CH_ERR_INIT;
        if (ch_prefix_parse(tok, &t->src[t->s.n_sources], &err) != CH_OK)
            fail_msg("bad source: %s", err.msg);
        t->s.n_sources++;
    }
    tspec_bind(t);
}

static void insert_ok(struct ch_leaseindex *ix, struct tspec *t)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_leaseindex_insert(ix, &t->s, &err) != CH_OK)
        fail_msg("insert %" PRId64 ": %s", t->s.id, err.msg);
}

static void lease(struct ch_leaseindex *ix, int64_t id, enum ch_lease_mode mode, int64_t start,
                  int64_t end, const char *targets, const char *sources)
{
    struct tspec t;
    tspec_make(&t, id, mode, start, end, targets, sources);
    insert_ok(ix, &t);
}

/* Ids as "1,2,3" for easy comparison. */
static const char *ids_str(const struct ch_lease_hits *h, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < h->n && o + 24 < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%" PRId64, i > 0 ? "," : "", h->ids[i]);
    return buf;
}

/* Query by "src" (address, ua=..., or "-" for any) and "tgt" (address or name). */
static const char *q(struct ch_leaseindex *ix, const char *src, const char *tgt, int64_t t)
{
    static char buf[512];
    struct ch_coord_query qq;
    memset(&qq, 0, sizeof(qq));
    qq.t = t;
    struct ch_err err = CH_ERR_INIT;
    if (strcmp(src, "-") == 0) {
        qq.src_kind = CH_COORD_SRC_ANY;
    } else if (strncmp(src, "ua=", 3) == 0) {
        qq.src_kind = CH_COORD_SRC_UA;
        qq.src_ua = ch_str_c(src + 3);
    } else {
        qq.src_kind = CH_COORD_SRC_ADDR;
        if (ch_ip_parse(ch_str_c(src), &qq.src_addr, &err) != CH_OK)
            fail_msg("%s", err.msg);
    }
    struct ch_dnsname name;
    if (ch_ip_parse(ch_str_c(tgt), &qq.tgt_addr, &err) == CH_OK) {
        qq.tgt_kind = CH_COORD_TGT_ADDR;
    } else {
        ch_err_clear(&err);
        if (ch_dnsname_parse(ch_str_c(tgt), &name, &err) != CH_OK)
            fail_msg("%s", err.msg);
        qq.tgt_kind = CH_COORD_TGT_NAME;
        qq.tgt_name = &name;
    }
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    if (ch_leaseindex_query(ix, &qq, &h, &err) != CH_OK)
        fail_msg("query: %s", err.msg);
    ids_str(&h, buf, sizeof(buf));
    ch_lease_hits_release(&h);
    return buf;
}

static const char *conflicts(struct ch_leaseindex *ix, enum ch_lease_mode mode, int64_t start,
                             int64_t end, const char *targets)
{
    static char buf[512];
    struct tspec t;
    tspec_make(&t, 999999, mode, start, end, targets, "198.51.100.0/24");
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    struct ch_err err = CH_ERR_INIT;
    if (ch_leaseindex_conflicts(ix, &t.s, &h, &err) != CH_OK)
        fail_msg("conflicts: %s", err.msg);
    ids_str(&h, buf, sizeof(buf));
    ch_lease_hits_release(&h);
    return buf;
}

#define EX CH_LEASE_EXCLUSIVE
#define SH CH_LEASE_SHARED
#define SRC "198.51.100.0/24 ua=AcmeScan/1.0"

static void test_query_nested_v4(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    assert_non_null(ix);
    lease(ix, 1, SH, 100, 200, "10.1.0.0/16", SRC);
    lease(ix, 2, SH, 100, 200, "10.1.2.0/24", SRC);
    lease(ix, 3, SH, 100, 200, "10.1.2.7", SRC);
    lease(ix, 4, SH, 100, 200, "10.0.0.0/8 10.1.0.0/16", SRC); /* twice on one path */
    assert_string_equal(q(ix, "198.51.100.9", "10.1.2.7", 150), "1,2,3,4");
    assert_string_equal(q(ix, "198.51.100.9", "10.1.2.8", 150), "1,2,4");
    assert_string_equal(q(ix, "198.51.100.9", "10.1.3.1", 150), "1,4");
    assert_string_equal(q(ix, "198.51.100.9", "10.2.0.0", 150), "4");
    assert_string_equal(q(ix, "198.51.100.9", "11.0.0.0", 150), "");
    /* wrong source: unauthorised */
    assert_string_equal(q(ix, "198.51.101.9", "10.1.2.7", 150), "");
    /* IPv4-mapped target and source count as IPv4 */
    assert_string_equal(q(ix, "::ffff:198.51.100.9", "::ffff:10.1.2.8", 150), "1,2,4");
    ch_leaseindex_free(ix);
}

static void test_query_boundaries(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    lease(ix, 1, EX, 100, 200, "192.0.2.0/24", SRC);
    lease(ix, 2, EX, 200, 300, "192.0.2.0/24", SRC);
    assert_string_equal(q(ix, "-", "192.0.2.1", 99), "");
    assert_string_equal(q(ix, "-", "192.0.2.1", 100), "1");
    assert_string_equal(q(ix, "-", "192.0.2.1", 199), "1");
    assert_string_equal(q(ix, "-", "192.0.2.1", 200), "2"); /* end is exclusive */
    assert_string_equal(q(ix, "-", "192.0.2.1", 299), "2");
    assert_string_equal(q(ix, "-", "192.0.2.1", 300), "");
    /* adjacent exclusive windows do not conflict; one second of overlap does */
    assert_string_equal(conflicts(ix, EX, 300, 400, "192.0.2.0/24"), "");
    assert_string_equal(conflicts(ix, EX, 0, 100, "192.0.2.0/24"), "");
    assert_string_equal(conflicts(ix, EX, 299, 400, "192.0.2.0/24"), "2");
    assert_string_equal(conflicts(ix, EX, 199, 201, "192.0.2.128/25"), "1,2");
    assert_string_equal(conflicts(ix, EX, 0, 101, "192.0.2.5"), "1");
    ch_leaseindex_free(ix);
}

static void test_query_v6(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    lease(ix, 1, SH, 0, 1000, "2001:db8::/32", "2001:db8:ffff::/48");
    lease(ix, 2, SH, 0, 1000, "2001:db8:1::/48", "2001:db8:ffff::/48");
    lease(ix, 3, SH, 0, 1000, "2001:db8:1::5", "2001:db8:ffff::/48");
    lease(ix, 4, SH, 0, 1000, "10.0.0.0/8", "2001:db8:ffff::/48");
    assert_string_equal(q(ix, "2001:db8:ffff::1", "2001:db8:1::5", 10), "1,2,3");
    assert_string_equal(q(ix, "2001:db8:ffff::1", "2001:db8:1::6", 10), "1,2");
    assert_string_equal(q(ix, "2001:db8:ffff::1", "2001:db8:2::", 10), "1");
    assert_string_equal(q(ix, "2001:db8:ffff::1", "2001:db9::", 10), "");
    assert_string_equal(q(ix, "2001:db8:fffe::1", "2001:db8:1::5", 10), "");
    /* families never mix: an IPv6 source does not match an IPv4 target's lease wrongly */
    assert_string_equal(q(ix, "2001:db8:ffff::1", "10.0.0.1", 10), "4");
    assert_string_equal(q(ix, "10.0.0.1", "10.0.0.1", 10), "");
    assert_string_equal(conflicts(ix, SH, 0, 10, "2001:db8:1:2::/64"), "");
    assert_string_equal(conflicts(ix, EX, 0, 10, "2001:db8:1:2::/64"), "1,2");
    assert_string_equal(conflicts(ix, EX, 0, 10, "2001::/16"), "1,2,3");
    ch_leaseindex_free(ix);
}

static void test_query_names(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    lease(ix, 1, SH, 0, 100, "www.example.com", SRC);
    lease(ix, 2, SH, 0, 100, "*.example.com", SRC);
    lease(ix, 3, SH, 0, 100, "example.com", SRC);
    lease(ix, 4, SH, 0, 100, "*.a.example.com", SRC);
    lease(ix, 5, SH, 0, 100, "192.0.2.10", SRC);
    assert_string_equal(q(ix, "-", "www.example.com", 5), "1,2");
    assert_string_equal(q(ix, "-", "WWW.Example.com.", 5), "1,2");
    assert_string_equal(q(ix, "-", "example.com", 5), "3");
    assert_string_equal(q(ix, "-", "a.example.com", 5), "2");
    assert_string_equal(q(ix, "-", "x.a.example.com", 5), "2,4");
    assert_string_equal(q(ix, "-", "y.x.a.example.com", 5), "2,4");
    assert_string_equal(q(ix, "-", "example.org", 5), "");
    assert_string_equal(q(ix, "-", "com", 5), "");
    assert_string_equal(q(ix, "-", "badexample.com", 5), "");
    /* a name lease does not cover an address, nor the reverse */
    assert_string_equal(q(ix, "-", "192.0.2.11", 5), "");
    assert_string_equal(q(ix, "-", "192.0.2.10", 5), "5");
    assert_string_equal(conflicts(ix, EX, 0, 10, "192.0.2.0/24"), "5");
    /* conflicts on names */
    assert_string_equal(conflicts(ix, EX, 0, 10, "www.example.com"), "1,2");
    assert_string_equal(conflicts(ix, EX, 0, 10, "example.com"), "3");
    assert_string_equal(conflicts(ix, EX, 0, 10, "q.example.com"), "2");
    assert_string_equal(conflicts(ix, EX, 0, 10, "*.example.com"), "1,2,4");
    assert_string_equal(conflicts(ix, EX, 0, 10, "*.x.a.example.com"), "2,4");
    assert_string_equal(conflicts(ix, EX, 0, 10, "*.b.example.com"), "2");
    assert_string_equal(conflicts(ix, EX, 0, 10, "*.example.org"), "");
    assert_string_equal(conflicts(ix, EX, 100, 200, "*.example.com"), "");
    assert_string_equal(conflicts(ix, SH, 0, 10, "*.example.com"), "");
    ch_leaseindex_free(ix);
}

static void test_sources_ua(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    lease(ix, 1, SH, 0, 100, "192.0.2.0/24", "ua=AcmeScan/1.0");
    lease(ix, 2, SH, 0, 100, "192.0.2.0/24", "ua=lease=42 203.0.113.0/24");
    assert_string_equal(q(ix, "ua=Mozilla/5.0 (compatible; AcmeScan/1.0)", "192.0.2.1", 5), "1");
    assert_string_equal(q(ix, "ua=AcmeScan/1.0", "192.0.2.1", 5), "1");
    assert_string_equal(q(ix, "ua=AcmeScan/1.01", "192.0.2.1", 5), "");
    assert_string_equal(q(ix, "ua=xAcmeScan/1.0", "192.0.2.1", 5), "");
    assert_string_equal(q(ix, "ua=acmescan/1.0", "192.0.2.1", 5), ""); /* case-sensitive */
    assert_string_equal(q(ix, "ua=probe (lease=42; AcmeScan/1.0)", "192.0.2.1", 5), "1,2");
    assert_string_equal(q(ix, "203.0.113.7", "192.0.2.1", 5), "2");
    assert_string_equal(q(ix, "-", "192.0.2.1", 5), "1,2");
    ch_leaseindex_free(ix);
}

static void test_remove(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    lease(ix, 1, EX, 0, 100, "10.0.0.0/16 *.example.com", SRC);
    lease(ix, 2, SH, 0, 100, "10.0.0.0/24 www.example.com", SRC);
    lease(ix, 3, SH, 0, 100, "10.0.0.0/24", SRC);
    assert_int_equal(ch_leaseindex_count(ix), 3);
    assert_string_equal(q(ix, "-", "10.0.0.1", 5), "1,2,3");
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_leaseindex_remove(ix, 1, &err), CH_OK); /* revoked */
    assert_false(ch_leaseindex_has(ix, 1));
    assert_string_equal(q(ix, "-", "10.0.0.1", 5), "2,3");
    assert_string_equal(q(ix, "-", "www.example.com", 5), "2");
    assert_string_equal(q(ix, "-", "a.example.com", 5), "");
    assert_string_equal(conflicts(ix, EX, 0, 10, "10.0.0.0/8"), "2,3");
    assert_int_equal(ch_leaseindex_remove(ix, 1, &err), CH_E_NOTFOUND);
    assert_true(ch_test_contains(err.msg, "lease 1 is not indexed"));
    ch_err_clear(&err);
    assert_int_equal(ch_leaseindex_remove(ix, 2, &err), CH_OK);
    assert_int_equal(ch_leaseindex_remove(ix, 3, &err), CH_OK);
    assert_string_equal(q(ix, "-", "10.0.0.1", 5), "");
    struct ch_leaseindex_stats st;
    ch_leaseindex_stats(ix, &st);
    assert_int_equal(st.leases, 0);
    assert_int_equal(st.trie_nodes, 0);
    assert_int_equal(st.name_nodes, 0);
    assert_int_equal(st.prefixes, 0);
    /* a removed id can come back */
    lease(ix, 1, EX, 0, 100, "10.0.0.0/16", SRC);
    assert_string_equal(q(ix, "-", "10.0.0.1", 5), "1");
    ch_leaseindex_free(ix);
}

static void test_exclusive_shared(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    lease(ix, 1, SH, 0, 100, "10.0.0.0/16", SRC);
    lease(ix, 2, SH, 0, 100, "10.0.1.0/24", SRC);
    lease(ix, 3, EX, 0, 100, "10.9.0.0/16", SRC);
    /* shared with shared: fine; exclusive with anything: conflict */
    assert_string_equal(conflicts(ix, SH, 50, 60, "10.0.1.5"), "");
    assert_string_equal(conflicts(ix, EX, 50, 60, "10.0.1.5"), "1,2");
    assert_string_equal(conflicts(ix, SH, 50, 60, "10.9.9.9"), "3");
    assert_string_equal(conflicts(ix, SH, 50, 60, "10.0.0.0/8"), "3");
    assert_string_equal(conflicts(ix, EX, 50, 60, "10.0.0.0/8"), "1,2,3");
    /* disjoint targets never conflict */
    assert_string_equal(conflicts(ix, EX, 50, 60, "10.1.0.0/16 10.10.0.0/16"), "");
    /* the lease itself is ignored (checking a change to lease 3) */
    struct tspec t;
    tspec_make(&t, 3, EX, 0, 200, "10.9.0.0/16", SRC);
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_leaseindex_conflicts(ix, &t.s, &h, &err), CH_OK);
    assert_int_equal(h.n, 0);
    ch_lease_hits_release(&h);
    ch_leaseindex_free(ix);
}

static void expect_insert_error(struct ch_leaseindex *ix, struct tspec *t, int want,
                                const char *msg_part)
{
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_leaseindex_insert(ix, &t->s, &err);
    if (rc != want)
        fail_msg("insert: rc %d, want %d (%s)", rc, want, err.msg);
    if (!ch_test_contains(err.msg, msg_part))
        fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    ch_err_clear(&err);
    if (want != CH_E_CONFLICT) {
        assert_int_equal(ch_leaseindex_conflicts(ix, &t->s, &h, &err), want);
        assert_true(ch_test_contains(err.msg, msg_part));
    }
    ch_lease_hits_release(&h);
}

/* The answer of q() through the batch API, which starts its walks from the
 * jump table too. */
static const char *qb(struct ch_leaseindex *ix, const char *tgt, int64_t t)
{
    static char buf[512];
    struct ch_coord_query qq;
    memset(&qq, 0, sizeof(qq));
    qq.t = t;
    qq.src_kind = CH_COORD_SRC_ANY;
    qq.tgt_kind = CH_COORD_TGT_ADDR;
    struct ch_err err = CH_ERR_INIT;
    if (ch_ip_parse(ch_str_c(tgt), &qq.tgt_addr, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    if (ch_leaseindex_query_batch(ix, &qq, 1, &h, &err) != CH_OK)
        fail_msg("batch: %s", err.msg);
    ids_str(&h, buf, sizeof(buf));
    ch_lease_hits_release(&h);
    return buf;
}

#define ASSERT_BOTH(ix, tgt, want)                                                                 \
    do {                                                                                           \
        assert_string_equal(q(ix, "-", tgt, 150), want);                                           \
        assert_string_equal(qb(ix, tgt, 150), want);                                               \
    } while (0)

/* Changes after the jump table was built must refresh it: a new node above
 * a bucket's start, a new ancestor with leases, a new root, removals back to
 * the old shape. Background leases (outside the queried time) make the
 * tries big enough for a table. */
static void test_jump_table_changes(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    assert_non_null(ix);
    ch_leaseindex_set_jump_threshold(ix, 16);
    int64_t id = 1000;
    for (int a = 0; a < 4; a++) {
        for (int b = 0; b < 16; b++) {
            char t[128];
            snprintf(t, sizeof(t), "10.%d.%d.1 2001:db8:%x:%x::/64", a, b * 16, a, b);
            lease(ix, id++, SH, 1000, 2000, t, SRC);
        }
    }
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_leaseindex_compact(ix, &err), CH_OK);
    ASSERT_BOTH(ix, "10.1.32.3", "");
    lease(ix, 1, SH, 100, 200, "10.1.0.0/16", SRC); /* new ancestor with a lease */
    ASSERT_BOTH(ix, "10.1.32.3", "1");
    lease(ix, 2, SH, 100, 200, "10.1.32.0/23", SRC); /* new node above the start */
    ASSERT_BOTH(ix, "10.1.32.3", "1,2");
    ASSERT_BOTH(ix, "10.1.33.200", "1,2");
    ASSERT_BOTH(ix, "10.1.34.1", "1");
    lease(ix, 3, SH, 100, 200, "10.1.32.3", SRC); /* a new leaf */
    ASSERT_BOTH(ix, "10.1.32.3", "1,2,3");
    lease(ix, 4, SH, 100, 200, "11.0.0.0/8 2001:db9::/32", SRC); /* new roots above both */
    ASSERT_BOTH(ix, "10.1.32.3", "1,2,3");
    ASSERT_BOTH(ix, "11.2.3.4", "4");
    ASSERT_BOTH(ix, "2001:db9::1", "4");
    lease(ix, 5, SH, 100, 200, "2001:db8:1::/48", SRC);
    ASSERT_BOTH(ix, "2001:db8:1:5::1", "5");
    ASSERT_BOTH(ix, "2001:db8:2:5::1", "");
    assert_int_equal(ch_leaseindex_remove(ix, 1, &err), CH_OK);
    ASSERT_BOTH(ix, "10.1.32.3", "2,3");
    assert_int_equal(ch_leaseindex_remove(ix, 4, &err), CH_OK); /* the old roots return */
    ASSERT_BOTH(ix, "10.1.32.3", "2,3");
    ASSERT_BOTH(ix, "11.2.3.4", "");
    ASSERT_BOTH(ix, "2001:db8:1:5::1", "5");
    assert_int_equal(ch_leaseindex_remove(ix, 2, &err), CH_OK);
    ASSERT_BOTH(ix, "10.1.32.3", "3");
    ASSERT_BOTH(ix, "10.1.33.200", "");
    assert_int_equal(ch_leaseindex_remove(ix, 3, &err), CH_OK);
    assert_int_equal(ch_leaseindex_remove(ix, 5, &err), CH_OK);
    ASSERT_BOTH(ix, "10.1.32.3", "");
    ASSERT_BOTH(ix, "2001:db8:1:5::1", "");
    ch_leaseindex_free(ix);
}

static void test_invalid(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    struct tspec t;
    lease(ix, 7, SH, 0, 100, "10.0.0.0/16", SRC);
    tspec_make(&t, 7, SH, 0, 100, "10.0.0.0/16", SRC);
    expect_insert_error(ix, &t, CH_E_CONFLICT, "already indexed");
    tspec_make(&t, 8, SH, 100, 100, "10.0.0.0/16", SRC);
    expect_insert_error(ix, &t, CH_E_INVALID, "not after start");
    tspec_make(&t, 8, SH, -5, 100, "10.0.0.0/16", SRC);
    expect_insert_error(ix, &t, CH_E_INVALID, "window");
    tspec_make(&t, 8, SH, 0, 100, "10.0.0.0/16", SRC);
    t.s.mode = (enum ch_lease_mode)9;
    expect_insert_error(ix, &t, CH_E_INVALID, "mode");
    tspec_make(&t, 8, SH, 0, 100, "", SRC);
    expect_insert_error(ix, &t, CH_E_INVALID, "no target");
    tspec_make(&t, 8, SH, 0, 100, "10.0.0.0/16", "");
    expect_insert_error(ix, &t, CH_E_INVALID, "no source");
    tspec_make(&t, 8, SH, 0, 100, "10.0.0.0/7", SRC);
    expect_insert_error(ix, &t, CH_E_INVALID, "targets[0]: prefix '10.0.0.0/7' is wider than /8");
    tspec_make(&t, 8, SH, 0, 100, "2000::/15", SRC);
    expect_insert_error(ix, &t, CH_E_INVALID, "wider than /16");
    tspec_make(&t, 8, SH, 0, 100, "10.0.0.0/16 ::ffff:10.0.0.0/104", SRC);
    expect_insert_error(ix, &t, CH_E_INVALID, "targets[1]: IPv4-mapped");
    tspec_make(&t, 8, SH, 0, 100, "10.0.0.0/16", SRC);
    t.tgt[0].addr.b[3] = 1; /* host bits set by hand */
    expect_insert_error(ix, &t, CH_E_INVALID, "host bits");
    tspec_make(&t, 8, SH, 0, 100, "10.0.0.0/16", SRC);
    t.src[0].addr.family = 5;
    expect_insert_error(ix, &t, CH_E_INVALID, "sources[0]: unknown address family");
    tspec_make(&t, 8, SH, 0, 100, "example.com", SRC);
    t.names[0].text[2] = 'A';
    expect_insert_error(ix, &t, CH_E_INVALID, "names[0]");
    tspec_make(&t, 8, SH, 0, 100, "10.0.0.0/16", "ua=bad;token");
    expect_insert_error(ix, &t, CH_E_INVALID, "ua_tokens[0]");
    tspec_make(&t, 8, SH, 0, 100, "10.0.0.0/16", SRC);
    t.s.n_targets = CH_LEASE_PREFIXES_MAX + 1;
    expect_insert_error(ix, &t, CH_E_LIMIT, "too many");
    assert_int_equal(ch_leaseindex_count(ix), 1);

    /* queries */
    struct ch_coord_query qq;
    memset(&qq, 0, sizeof(qq));
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    struct ch_err err = CH_ERR_INIT;
    qq.tgt_kind = CH_COORD_TGT_ADDR;
    qq.tgt_addr.family = CH_IP_V4;
    qq.t = -1;
    assert_int_equal(ch_leaseindex_query(ix, &qq, &h, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "query time"));
    qq.t = 5;
    qq.tgt_kind = (enum ch_coord_target_kind)0;
    ch_err_clear(&err);
    assert_int_equal(ch_leaseindex_query(ix, &qq, &h, &err), CH_E_INVALID);
    struct ch_dnsname w;
    assert_int_equal(ch_dnsname_parse(ch_str_c("*.example.com"), &w, &err), CH_OK);
    qq.tgt_kind = CH_COORD_TGT_NAME;
    qq.tgt_name = &w;
    ch_err_clear(&err);
    assert_int_equal(ch_leaseindex_query(ix, &qq, &h, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "not a wildcard"));
    qq.tgt_name = NULL;
    ch_err_clear(&err);
    assert_int_equal(ch_leaseindex_query(ix, &qq, &h, &err), CH_E_INVALID);
    char longua[CH_COORD_UA_MAX + 2];
    memset(longua, 'a', sizeof(longua));
    qq.tgt_kind = CH_COORD_TGT_ADDR;
    qq.src_kind = CH_COORD_SRC_UA;
    qq.src_ua = ch_str_make(longua, sizeof(longua));
    ch_err_clear(&err);
    assert_int_equal(ch_leaseindex_query(ix, &qq, &h, &err), CH_E_LIMIT);
    ch_lease_hits_release(&h);
    ch_leaseindex_free(ix);
}

/* Many leases on one prefix and one name: the interval-tree path. */
static void test_many_on_one_node(void **state)
{
    (void)state;
    struct ch_leaseindex *ix = ch_leaseindex_new();
    for (int i = 0; i < 200; i++)
        lease(ix, i, SH, i * 10, i * 10 + 25, "10.0.0.0/16 *.example.com", SRC);
    /* t = 1000 is inside windows of leases 98 (980..1005), 99 and 100 */
    assert_string_equal(q(ix, "-", "10.0.3.3", 1000), "98,99,100");
    assert_string_equal(q(ix, "-", "a.example.com", 1005), "99,100");
    assert_string_equal(q(ix, "-", "a.example.com", 0), "0");
    assert_string_equal(q(ix, "-", "a.example.com", 2014), "199");
    assert_string_equal(q(ix, "-", "a.example.com", 2015), "");
    assert_string_equal(conflicts(ix, EX, 1000, 1011, "10.0.0.0/24"), "98,99,100,101");
    for (int i = 0; i < 200; i += 2) {
        struct ch_err err = CH_ERR_INIT;
        assert_int_equal(ch_leaseindex_remove(ix, i, &err), CH_OK);
    }
    assert_string_equal(q(ix, "-", "10.0.3.3", 1000), "99");
    ch_leaseindex_free(ix);
}

/* ---- property test: index == brute force ---------------------------------- */

#define P_LEASES 2000
#define P_QUERIES 20000
#define P_CONFLICTS 2000
#define P_MAX_IDS (P_LEASES * 2)

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned rn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* Random addresses from small spaces so that leases nest and collide. */
static struct ch_ipaddr rand_v4(void)
{
    struct ch_ipaddr a;
    memset(&a, 0, sizeof(a));
    a.family = CH_IP_V4;
    a.b[0] = rn(10) == 0 ? 11 : 10;
    a.b[1] = (uint8_t)rn(4);
    a.b[2] = (uint8_t)rn(8);
    a.b[3] = (uint8_t)rn(256);
    return a;
}

static struct ch_ipaddr rand_v6(void)
{
    struct ch_ipaddr a;
    memset(&a, 0, sizeof(a));
    a.family = CH_IP_V6;
    a.b[0] = 0x20;
    a.b[1] = 0x01;
    a.b[2] = 0x0d;
    a.b[3] = rn(10) == 0 ? 0xb9 : 0xb8;
    a.b[4] = (uint8_t)rn(4);
    a.b[7] = (uint8_t)rn(4);
    a.b[15] = (uint8_t)rn(8);
    return a;
}

static struct ch_prefix rand_prefix(void)
{
    static const unsigned v4len[] = {8, 12, 15, 16, 20, 24, 26, 30, 32, 32};
    static const unsigned v6len[] = {16, 32, 33, 40, 48, 64, 100, 127, 128, 128};
    bool v4 = rn(2) == 0;
    struct ch_ipaddr a = v4 ? rand_v4() : rand_v6();
    unsigned len = v4 ? v4len[rn(10)] : v6len[rn(10)];
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_prefix_make(&a, len, &p, &err), CH_OK);
    return p;
}

static const char *const name_pool[] = {
    "example.com", "a.example.com", "b.example.com", "x.a.example.com", "y.x.a.example.com",
    "example.org", "a.example.org", "c.b.example.com", "deep.c.b.example.com", "other.net",
};

static struct ch_dnsname rand_name(bool allow_wild)
{
    char buf[80];
    snprintf(buf, sizeof(buf), "%s%s", allow_wild && rn(3) == 0 ? "*." : "",
             name_pool[rn(CH_ARRAY_SIZE(name_pool))]);
    struct ch_dnsname n;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_dnsname_parse(ch_str_c(buf), &n, &err), CH_OK);
    return n;
}

static const char *const ua_pool[] = {"ScanA", "ScanB/1.0", "lease=7", "Zeta"};

static struct ch_prefix rand_source(void)
{
    struct ch_ipaddr a;
    memset(&a, 0, sizeof(a));
    a.family = CH_IP_V4;
    a.b[0] = 192;
    a.b[1] = 168;
    a.b[2] = (uint8_t)rn(4);
    a.b[3] = (uint8_t)rn(256);
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_prefix_make(&a, rn(2) == 0 ? 16 : 24, &p, &err), CH_OK);
    return p;
}

static void rand_spec(struct tspec *t, int64_t id)
{
    memset(t, 0, sizeof(*t));
    t->s.id = id;
    t->s.mode = rn(3) == 0 ? EX : SH;
    t->s.start = rn(1000);
    t->s.end = t->s.start + 1 + rn(300);
    unsigned np = rn(5), nn = rn(3);
    if (np + nn == 0)
        np = 1;
    for (unsigned i = 0; i < np; i++)
        t->tgt[t->s.n_targets++] = rand_prefix();
    for (unsigned i = 0; i < nn; i++)
        t->names[t->s.n_names++] = rand_name(true);
    unsigned ns = rn(3), nu = rn(2);
    if (ns + nu == 0)
        ns = 1;
    for (unsigned i = 0; i < ns; i++)
        t->src[t->s.n_sources++] = rand_source();
    for (unsigned i = 0; i < nu; i++)
        add_ua(t, ua_pool[rn(CH_ARRAY_SIZE(ua_pool))]);
    tspec_bind(t);
}

static bool bf_ua_match(struct ch_str ua, struct ch_str tok)
{
    for (size_t i = 0; i + tok.len <= ua.len; i++) {
        bool left = i == 0 || strchr(" \t();,", ua.ptr[i - 1]) != NULL;
        bool right = i + tok.len == ua.len || strchr(" \t();,", ua.ptr[i + tok.len]) != NULL;
        if (left && right && memcmp(ua.ptr + i, tok.ptr, tok.len) == 0)
            return true;
    }
    return false;
}

static bool bf_query_match(const struct tspec *t, const struct ch_coord_query *qq)
{
    const struct ch_lease_spec *s = &t->s;
    if (!(s->start <= qq->t && qq->t < s->end))
        return false;
    bool tgt = false;
    if (qq->tgt_kind == CH_COORD_TGT_ADDR) {
        struct ch_ipaddr a = ch_ip_unmap(&qq->tgt_addr);
        for (size_t i = 0; i < s->n_targets && !tgt; i++)
            tgt = ch_prefix_contains_ip(&s->targets[i], &a);
    } else {
        for (size_t i = 0; i < s->n_names && !tgt; i++)
            tgt = ch_dnsname_covers(&s->names[i], qq->tgt_name);
    }
    if (!tgt)
        return false;
    if (qq->src_kind == CH_COORD_SRC_ANY)
        return true;
    if (qq->src_kind == CH_COORD_SRC_ADDR) {
        struct ch_ipaddr a = ch_ip_unmap(&qq->src_addr);
        for (size_t i = 0; i < s->n_sources; i++) {
            if (ch_prefix_contains_ip(&s->sources[i], &a))
                return true;
        }
        return false;
    }
    for (size_t i = 0; i < s->n_ua_tokens; i++) {
        if (bf_ua_match(qq->src_ua, s->ua_tokens[i]))
            return true;
    }
    return false;
}

static bool bf_conflict(const struct tspec *t, const struct ch_lease_spec *n)
{
    const struct ch_lease_spec *s = &t->s;
    if (s->id == n->id || !(s->start < n->end && n->start < s->end))
        return false;
    if (s->mode == SH && n->mode == SH)
        return false;
    for (size_t i = 0; i < s->n_targets; i++) {
        for (size_t j = 0; j < n->n_targets; j++) {
            if (ch_prefix_intersects(&s->targets[i], &n->targets[j]))
                return true;
        }
    }
    for (size_t i = 0; i < s->n_names; i++) {
        for (size_t j = 0; j < n->n_names; j++) {
            if (ch_dnsname_intersects(&s->names[i], &n->names[j]))
                return true;
        }
    }
    return false;
}

static void compare(const struct ch_lease_hits *h, const int64_t *want, size_t nwant,
                    const char *what, unsigned iter)
{
    bool same = h->n == nwant;
    for (size_t i = 0; same && i < nwant; i++)
        same = h->ids[i] == want[i];
    if (!same) {
        char a[512], b[512];
        struct ch_lease_hits w = {.ids = (int64_t *)want, .n = nwant, .cap = nwant};
        fail_msg("%s %u: index says [%s], brute force [%s]", what, iter,
                 ids_str(h, a, sizeof(a)), ids_str(&w, b, sizeof(b)));
    }
}

/* The batch API answers exactly as single queries do, names and IPv4-mapped
 * addresses included, over batches of every width. */
static void check_batch(struct ch_leaseindex *ix)
{
    enum { NQ = 997 };
    static struct ch_coord_query qs[NQ];
    static struct ch_dnsname names[NQ];
    static struct ch_lease_hits outs[NQ];
    for (size_t i = 0; i < NQ; i++) {
        struct ch_coord_query *qq = &qs[i];
        memset(qq, 0, sizeof(*qq));
        qq->t = (int64_t)rn(1400);
        qq->src_kind = rn(2) == 0 ? CH_COORD_SRC_ANY : CH_COORD_SRC_ADDR;
        qq->src_addr = rand_source().addr;
        unsigned k = rn(4);
        if (k == 3) {
            names[i] = rand_name(false);
            qq->tgt_kind = CH_COORD_TGT_NAME;
            qq->tgt_name = &names[i];
        } else {
            qq->tgt_kind = CH_COORD_TGT_ADDR;
            qq->tgt_addr = k == 0 ? rand_v6() : rand_v4();
        }
        outs[i] = (struct ch_lease_hits)CH_LEASE_HITS_INIT;
    }
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    for (size_t width = 1; width <= 64; width = width * 3 + 1) {
        for (size_t i = 0; i < NQ; i += width) {
            struct ch_err err = CH_ERR_INIT;
            size_t m = NQ - i < width ? NQ - i : width;
            assert_int_equal(ch_leaseindex_query_batch(ix, qs + i, m, outs + i, &err), CH_OK);
        }
        for (size_t i = 0; i < NQ; i++) {
            struct ch_err err = CH_ERR_INIT;
            assert_int_equal(ch_leaseindex_query(ix, &qs[i], &h, &err), CH_OK);
            compare(&outs[i], h.ids, h.n, "batch", (unsigned)i);
        }
    }
    /* an invalid query stops the batch and is named */
    qs[5].t = -1;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_leaseindex_query_batch(ix, qs, 10, outs, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "query 5 of the batch"));
    for (size_t i = 0; i < NQ; i++)
        ch_lease_hits_release(&outs[i]);
    ch_lease_hits_release(&h);
}

/* jump_threshold: 0 keeps the index's default (no jump table at this size). */
static void property_matches_brute_force(uint32_t jump_threshold)
{
    static struct tspec leases[P_MAX_IDS];
    static int64_t want[P_MAX_IDS];
    struct ch_leaseindex *ix = ch_leaseindex_new();
    assert_non_null(ix);
    if (jump_threshold > 0)
        ch_leaseindex_set_jump_threshold(ix, jump_threshold);
    size_t nids = 0;
    for (; nids < P_LEASES; nids++) {
        rand_spec(&leases[nids], (int64_t)nids);
        insert_ok(ix, &leases[nids]);
        leases[nids].live = true;
    }
    struct ch_err cerr = CH_ERR_INIT;
    assert_int_equal(ch_leaseindex_compact(ix, &cerr), CH_OK); /* then keep changing it */
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    size_t nonempty = 0;
    for (unsigned it = 0; it < P_QUERIES; it++) {
        /* every 10th step mutates: remove a random live lease or add a new one */
        if (it == P_QUERIES / 2) {
            struct ch_err err = CH_ERR_INIT;
            assert_int_equal(ch_leaseindex_compact(ix, &err), CH_OK);
        }
        if (it % 10 == 0) {
            size_t victim = rn((unsigned)nids);
            struct ch_err err = CH_ERR_INIT;
            if (leases[victim].live) {
                assert_int_equal(ch_leaseindex_remove(ix, (int64_t)victim, &err), CH_OK);
                leases[victim].live = false;
            } else if (nids < P_MAX_IDS) {
                rand_spec(&leases[nids], (int64_t)nids);
                insert_ok(ix, &leases[nids]);
                leases[nids].live = true;
                nids++;
            }
        }
        struct ch_coord_query qq;
        memset(&qq, 0, sizeof(qq));
        struct ch_dnsname name;
        qq.t = rn(10) == 0 ? leases[rn((unsigned)nids)].s.end : (int64_t)rn(1400);
        switch (rn(3)) {
        case 0:
            qq.tgt_kind = CH_COORD_TGT_ADDR;
            qq.tgt_addr = rand_v4();
            if (rn(20) == 0) { /* the IPv4-mapped form */
                struct ch_ipaddr m;
                memset(&m, 0, sizeof(m));
                m.family = CH_IP_V6;
                m.b[10] = m.b[11] = 0xff;
                memcpy(m.b + 12, qq.tgt_addr.b, 4);
                qq.tgt_addr = m;
            }
            break;
        case 1:
            qq.tgt_kind = CH_COORD_TGT_ADDR;
            qq.tgt_addr = rand_v6();
            break;
        default:
            name = rand_name(false);
            qq.tgt_kind = CH_COORD_TGT_NAME;
            qq.tgt_name = &name;
            break;
        }
        char ua[64];
        switch (rn(3)) {
        case 0:
            qq.src_kind = CH_COORD_SRC_ANY;
            break;
        case 1: {
            qq.src_kind = CH_COORD_SRC_ADDR;
            struct ch_prefix sp = rand_source();
            qq.src_addr = sp.addr;
            qq.src_addr.b[3] = (uint8_t)rn(256);
            break;
        }
        default:
            qq.src_kind = CH_COORD_SRC_UA;
            snprintf(ua, sizeof(ua), "Mozilla/5.0 (%s; x)", ua_pool[rn(CH_ARRAY_SIZE(ua_pool))]);
            qq.src_ua = ch_str_c(ua);
            break;
        }
        struct ch_err err = CH_ERR_INIT;
        assert_int_equal(ch_leaseindex_query(ix, &qq, &h, &err), CH_OK);
        size_t nwant = 0;
        for (size_t i = 0; i < nids; i++) {
            if (leases[i].live && bf_query_match(&leases[i], &qq))
                want[nwant++] = (int64_t)i;
        }
        compare(&h, want, nwant, "query", it);
        nonempty += nwant > 0;
    }
    /* the test means something only if many queries hit */
    assert_true(nonempty > P_QUERIES / 10);
    check_batch(ix);
    size_t nconf = 0;
    for (unsigned it = 0; it < P_CONFLICTS; it++) {
        struct tspec cand;
        rand_spec(&cand, rn(4) == 0 ? (int64_t)rn((unsigned)nids) : -1);
        struct ch_err err = CH_ERR_INIT;
        assert_int_equal(ch_leaseindex_conflicts(ix, &cand.s, &h, &err), CH_OK);
        size_t nwant = 0;
        for (size_t i = 0; i < nids; i++) {
            if (leases[i].live && bf_conflict(&leases[i], &cand.s))
                want[nwant++] = (int64_t)i;
        }
        compare(&h, want, nwant, "conflicts", it);
        nconf += nwant > 0;
    }
    assert_true(nconf > P_CONFLICTS / 10);
    /* everything removed leaves an empty index */
    for (size_t i = 0; i < nids; i++) {
        struct ch_err err = CH_ERR_INIT;
        if (leases[i].live)
            assert_int_equal(ch_leaseindex_remove(ix, (int64_t)i, &err), CH_OK);
    }
    struct ch_leaseindex_stats st;
    ch_leaseindex_stats(ix, &st);
    assert_int_equal(st.leases, 0);
    assert_int_equal(st.trie_nodes, 0);
    assert_int_equal(st.name_nodes, 0);
    ch_lease_hits_release(&h);
    ch_leaseindex_free(ix);
}

static void test_property_matches_brute_force(void **state)
{
    (void)state;
    property_matches_brute_force(0);
}

/* The same with the jump table built from 64 trie nodes on, so that it is
 * refreshed by inserts and removes, rebuilt by compaction and by root
 * changes, and read by single and batched queries. */
static void test_property_with_jump_table(void **state)
{
    (void)state;
    property_matches_brute_force(64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_nested_v4),
        cmocka_unit_test(test_query_boundaries),
        cmocka_unit_test(test_query_v6),
        cmocka_unit_test(test_query_names),
        cmocka_unit_test(test_sources_ua),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_exclusive_shared),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_jump_table_changes),
        cmocka_unit_test(test_many_on_one_node),
        cmocka_unit_test(test_property_matches_brute_force),
        cmocka_unit_test(test_property_with_jump_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
