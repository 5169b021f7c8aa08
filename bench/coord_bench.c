/* SPDX-License-Identifier: Apache-2.0
 *
 * coord_bench.c: the deconfliction index (src/coord/leaseindex.h) at scale.
 *
 * Builds an index of 100,000 active leases holding 1,000,000 target prefixes
 * in all (a random mix of IPv4 /16../32 and IPv6 /32../128, windows of an
 * hour to a week starting anywhere in one month, one to three source
 * prefixes and a user-agent token each), then measures on one thread:
 * build time, memory (the index's own accounting and the growth of the
 * process's resident set), authorisation queries per second (half aimed at
 * a random lease's target, source and window, half random), and conflict
 * checks per second for new ten-prefix leases.
 *
 * Usage: coord_bench [leases [prefixes [queries]]]   (fixed seed)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord/leaseindex.h"
#include "coord/netaddr.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/num.h"

#define MONTH (30 * (int64_t)CH_DAY_SECONDS)
#define T0 ((int64_t)1780272000) /* 2026-06-01T00:00:00Z */
#define MAX_PER_LEASE 64

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned rn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static void rand_bytes(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd();
}

/* A realistic prefix: IPv4 mostly /24../32, IPv6 mostly /48, /56, /64, /128. */
static struct ch_prefix rand_target(void)
{
    static const unsigned v4len[] = {16, 20, 22, 23, 24, 24, 24, 25,
                                     26, 27, 28, 29, 30, 32, 32, 32};
    static const unsigned v6len[] = {32, 36, 40, 44, 48, 48,  48,  56,
                                     56, 60, 64, 64, 64, 112, 128, 128};
    struct ch_ipaddr a;
    memset(&a, 0, sizeof(a));
    unsigned len;
    if (rn(10) < 6) {
        a.family = CH_IP_V4;
        rand_bytes(a.b, 4);
        a.b[0] = (uint8_t)(1 + rn(223)); /* unicast-looking first octet */
        len = v4len[rn(16)];
    } else {
        a.family = CH_IP_V6;
        rand_bytes(a.b, 16);
        a.b[0] = 0x20;
        a.b[1] = (uint8_t)(rn(4)); /* 2000::/14 keeps the space dense like real allocations */
        len = v6len[rn(16)];
    }
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    if (ch_prefix_make(&a, len, &p, &err) != CH_OK)
        abort();
    return p;
}

static struct ch_prefix rand_source(void)
{
    struct ch_ipaddr a;
    memset(&a, 0, sizeof(a));
    a.family = CH_IP_V4;
    rand_bytes(a.b, 4);
    struct ch_prefix p;
    struct ch_err err = CH_ERR_INIT;
    if (ch_prefix_make(&a, 24 + rn(9), &p, &err) != CH_OK)
        abort();
    return p;
}

/* A random address inside p. */
static struct ch_ipaddr addr_in(const struct ch_prefix *p)
{
    struct ch_ipaddr a = p->addr;
    unsigned bits = ch_ip_bits(a.family);
    for (unsigned i = p->len; i < bits; i++) {
        if ((rnd() & 1) != 0)
            a.b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    }
    return a;
}

struct blease {
    struct ch_lease_spec s;
    struct ch_prefix *tgt;
    struct ch_prefix src[3];
};

/* Resident set in KiB: the second field of /proc/self/statm, in pages. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    if (f == NULL)
        return -1;
    char buf[128];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    struct ch_str rest = ch_str_make(buf, n), tok = CH_STR_NULL;
    uint64_t pages = 0;
    struct ch_err err = CH_ERR_INIT;
    if (!ch_str_split_next(&rest, ' ', &tok) || !ch_str_split_next(&rest, ' ', &tok) ||
        ch_num_parse_u64(tok, UINT64_MAX / 4096, &pages, &err) != CH_OK)
        return -1;
    return (long)(pages * (uint64_t)sysconf(_SC_PAGESIZE) / 1024);
}

static uint64_t arg_u64(int argc, char **argv, int i, uint64_t def)
{
    if (argc <= i)
        return def;
    uint64_t v;
    struct ch_err err = CH_ERR_INIT;
    if (ch_num_parse_u64(ch_str_c(argv[i]), 100000000, &v, &err) != CH_OK || v == 0) {
        fprintf(stderr, "coord_bench: bad argument '%s': %s\n", argv[i], err.msg);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    size_t n_leases = (size_t)arg_u64(argc, argv, 1, 100000);
    size_t n_prefixes = (size_t)arg_u64(argc, argv, 2, 1000000);
    size_t n_queries = (size_t)arg_u64(argc, argv, 3, 4000000);
    static const struct ch_str ua = {"AcmeScan/1.0", 12};

    /* generate everything first, so the timings measure the index only */
    struct blease *ls = ch_calloc(n_leases, sizeof(*ls));
    struct ch_prefix *pool = ch_calloc(n_prefixes, sizeof(*pool));
    if (ls == NULL || pool == NULL)
        return 4;
    size_t used = 0;
    for (size_t i = 0; i < n_leases; i++) {
        size_t left = n_leases - i;
        size_t avg = (n_prefixes - used) / left;
        size_t k =
            left == 1 ? n_prefixes - used : 1 + rn((unsigned)(2 * avg > 1 ? 2 * avg - 1 : 1));
        if (k > MAX_PER_LEASE)
            k = MAX_PER_LEASE;
        if (used + k > n_prefixes)
            k = n_prefixes - used;
        struct blease *b = &ls[i];
        b->tgt = pool + used;
        for (size_t j = 0; j < k; j++)
            b->tgt[j] = rand_target();
        used += k;
        unsigned ns = 1 + rn(3);
        for (unsigned j = 0; j < ns; j++)
            b->src[j] = rand_source();
        int64_t start = T0 + (int64_t)(rnd() % (uint64_t)MONTH);
        int64_t len = 3600 + (int64_t)(rnd() % (uint64_t)(7 * CH_DAY_SECONDS));
        b->s = (struct ch_lease_spec){
            .id = (int64_t)i + 1,
            .mode = rn(5) == 0 ? CH_LEASE_EXCLUSIVE : CH_LEASE_SHARED,
            .start = start,
            .end = start + len,
            .targets = b->tgt,
            .n_targets = k,
            .sources = b->src,
            .n_sources = ns,
            .ua_tokens = &ua,
            .n_ua_tokens = 1,
        };
    }

    long rss0 = rss_kib();
    int64_t t0 = ch_clock_mono_ns();
    struct ch_leaseindex *ix = ch_leaseindex_new();
    if (ix == NULL)
        return 4;
    size_t total_prefixes = 0;
    for (size_t i = 0; i < n_leases; i++) {
        struct ch_err err = CH_ERR_INIT;
        if (ch_leaseindex_insert(ix, &ls[i].s, &err) != CH_OK) {
            fprintf(stderr, "coord_bench: insert: %s\n", err.msg);
            return 4;
        }
        total_prefixes += ls[i].s.n_targets;
    }
    int64_t t1 = ch_clock_mono_ns();
    struct ch_leaseindex_stats st0;
    ch_leaseindex_stats(ix, &st0);
    struct ch_err cerr = CH_ERR_INIT;
    if (ch_leaseindex_compact(ix, &cerr) != CH_OK) {
        fprintf(stderr, "coord_bench: %s\n", cerr.msg);
        return 4;
    }
    int64_t t2 = ch_clock_mono_ns();
    long rss1 = rss_kib();
    struct ch_leaseindex_stats st;
    ch_leaseindex_stats(ix, &st);

    /* queries: half aimed at a lease (hit), half random (mostly unauthorised) */
    struct ch_coord_query *qs = ch_calloc(n_queries, sizeof(*qs));
    if (qs == NULL)
        return 4;
    for (size_t i = 0; i < n_queries; i++) {
        struct ch_coord_query *q = &qs[i];
        q->tgt_kind = CH_COORD_TGT_ADDR;
        q->src_kind = CH_COORD_SRC_ADDR;
        if ((i & 1) == 0) {
            const struct blease *b = &ls[rn((unsigned)n_leases)];
            q->tgt_addr = addr_in(&b->tgt[rn((unsigned)b->s.n_targets)]);
            q->src_addr = addr_in(&b->src[0]);
            q->t = b->s.start + (int64_t)(rnd() % (uint64_t)(b->s.end - b->s.start));
        } else {
            struct ch_prefix p = rand_target();
            q->tgt_addr = addr_in(&p);
            struct ch_prefix s = rand_source();
            q->src_addr = addr_in(&s);
            q->t = T0 + (int64_t)(rnd() % (uint64_t)MONTH);
        }
    }
    struct ch_lease_hits h = CH_LEASE_HITS_INIT;
    size_t authorised = 0, ids = 0;
    int64_t q0 = ch_clock_mono_ns();
    for (size_t i = 0; i < n_queries; i++) {
        struct ch_err err = CH_ERR_INIT;
        if (ch_leaseindex_query(ix, &qs[i], &h, &err) != CH_OK) {
            fprintf(stderr, "coord_bench: query: %s\n", err.msg);
            return 4;
        }
        authorised += h.n > 0;
        ids += h.n;
    }
    int64_t q1 = ch_clock_mono_ns();

    /* the same queries through the batch API */
    enum { B = 64 };
    struct ch_lease_hits bh[B];
    for (int i = 0; i < B; i++)
        bh[i] = (struct ch_lease_hits)CH_LEASE_HITS_INIT;
    size_t bauthorised = 0;
    int64_t b0 = ch_clock_mono_ns();
    for (size_t i = 0; i < n_queries; i += B) {
        size_t m = n_queries - i < B ? n_queries - i : B;
        struct ch_err err = CH_ERR_INIT;
        if (ch_leaseindex_query_batch(ix, qs + i, m, bh, &err) != CH_OK) {
            fprintf(stderr, "coord_bench: batch: %s\n", err.msg);
            return 4;
        }
        for (size_t j = 0; j < m; j++)
            bauthorised += bh[j].n > 0;
    }
    int64_t b1 = ch_clock_mono_ns();
    for (int i = 0; i < B; i++)
        ch_lease_hits_release(&bh[i]);
    if (bauthorised != authorised) {
        fprintf(stderr, "coord_bench: batch answers differ from single queries\n");
        return 4;
    }

    /* the single queries again without the jump table, for the ratio */
    ch_leaseindex_set_jump_threshold(ix, UINT32_MAX);
    struct ch_err jerr = CH_ERR_INIT;
    if (ch_leaseindex_compact(ix, &jerr) != CH_OK) {
        fprintf(stderr, "coord_bench: compact: %s\n", jerr.msg);
        return 4;
    }
    size_t nauthorised = 0;
    int64_t n0 = ch_clock_mono_ns();
    for (size_t i = 0; i < n_queries; i++) {
        struct ch_err err = CH_ERR_INIT;
        if (ch_leaseindex_query(ix, &qs[i], &h, &err) != CH_OK)
            return 4;
        nauthorised += h.n > 0;
    }
    int64_t n1 = ch_clock_mono_ns();
    if (nauthorised != authorised) {
        fprintf(stderr, "coord_bench: answers without the jump table differ\n");
        return 4;
    }

    /* conflict checks of new 10-prefix exclusive leases */
    size_t n_checks = 20000, conflicting = 0;
    struct ch_prefix ct[10];
    int64_t c0 = ch_clock_mono_ns();
    for (size_t i = 0; i < n_checks; i++) {
        for (int j = 0; j < 10; j++)
            ct[j] = rand_target();
        int64_t start = T0 + (int64_t)(rnd() % (uint64_t)MONTH);
        struct ch_lease_spec c = {.id = -1,
                                  .mode = CH_LEASE_EXCLUSIVE,
                                  .start = start,
                                  .end = start + 86400,
                                  .targets = ct,
                                  .n_targets = 10,
                                  .sources = ls[0].src,
                                  .n_sources = 1};
        struct ch_err err = CH_ERR_INIT;
        if (ch_leaseindex_conflicts(ix, &c, &h, &err) != CH_OK) {
            fprintf(stderr, "coord_bench: conflicts: %s\n", err.msg);
            return 4;
        }
        conflicting += h.n > 0;
    }
    int64_t c1 = ch_clock_mono_ns();

    /* removal of every lease (revocation path) */
    int64_t r0 = ch_clock_mono_ns();
    for (size_t i = 0; i < n_leases; i++) {
        struct ch_err err = CH_ERR_INIT;
        if (ch_leaseindex_remove(ix, ls[i].s.id, &err) != CH_OK)
            return 4;
    }
    int64_t r1 = ch_clock_mono_ns();

    double build_s = (double)(t1 - t0) / 1e9;
    double qps = (double)n_queries / ((double)(q1 - q0) / 1e9);
    printf("leases            %zu\n", st.leases);
    printf("target prefixes   %zu\n", total_prefixes);
    printf("trie nodes        %zu\n", st.trie_nodes);
    printf("build             %.3f s (%.0f leases/s, %.0f prefixes/s)\n", build_s,
           (double)n_leases / build_s, (double)total_prefixes / build_s);
    printf("compact           %.3f s\n", (double)(t2 - t1) / 1e9);
    printf("memory (pre-compaction) %.1f MiB\n", (double)st0.bytes / 1048576.0);
    printf("memory (index)    %.1f MiB (%.1f bytes/prefix)\n", (double)st.bytes / 1048576.0,
           (double)st.bytes / (double)total_prefixes);
    printf("memory (RSS grow) %.1f MiB\n", (double)(rss1 - rss0) / 1024.0);
    printf("queries           %zu in %.3f s: %.0f q/s on one core (%.0f ns/query)\n", n_queries,
           (double)(q1 - q0) / 1e9, qps, (double)(q1 - q0) / (double)n_queries);
    printf("batched queries   %.0f q/s on one core (%.0f ns/query, batches of %d)\n",
           (double)n_queries / ((double)(b1 - b0) / 1e9), (double)(b1 - b0) / (double)n_queries,
           (int)B);
    printf("without jump table %.0f q/s single (%.2fx slower)\n",
           (double)n_queries / ((double)(n1 - n0) / 1e9), (double)(n1 - n0) / (double)(q1 - q0));
    printf("  authorised      %.1f%% (%.2f leases per query)\n",
           100.0 * (double)authorised / (double)n_queries, (double)ids / (double)n_queries);
    printf("conflict checks   %.0f/s (10 prefixes each, %.1f%% conflicting)\n",
           (double)n_checks / ((double)(c1 - c0) / 1e9),
           100.0 * (double)conflicting / (double)n_checks);
    printf("remove all        %.3f s\n", (double)(r1 - r0) / 1e9);
    ch_lease_hits_release(&h);
    ch_leaseindex_free(ix);
    ch_free(qs);
    ch_free(pool);
    ch_free(ls);
    return 0;
}
