/* SPDX-License-Identifier: Apache-2.0
 *
 * leaseindex.h: the in-memory deconfliction index of scan leases.
 *
 * A lease lets one partner scan some targets (IPv4/IPv6 prefixes and DNS
 * names or wildcard scopes) from some sources (prefixes and/or user-agent
 * tokens) during a window [start, end) of UTC seconds. The index answers two
 * questions without scanning all leases:
 *
 *  - query: which leases authorise traffic from source S to target T at
 *    time t? (none means "unauthorised");
 *  - conflicts: which indexed leases would a new lease collide with?
 *
 * Rules (docs/internals/deconfliction.md has the full picture):
 *
 *  - Windows are half-open: [s1, e1) and [s2, e2) overlap iff s1 < e2 and
 *    s2 < e1, so a lease ending at t and one starting at t do not overlap;
 *    a query at t matches start <= t < end.
 *  - Targets intersect when two prefixes share an address (one contains the
 *    other), two names are equal, a wildcard covers a name, or two wildcard
 *    bases are nested. Names and addresses never intersect: a name lease
 *    does not cover the addresses the name resolves to unless they are
 *    listed, because DNS answers change and are not the operator's to trust.
 *  - Two leases conflict when their targets intersect, their windows overlap
 *    and at least one of them is exclusive. Shared leases coexist with shared
 *    leases only.
 *  - A query source matches a lease when the address lies in one of the
 *    lease's source prefixes, or when one of its user-agent tokens appears in
 *    the user-agent string as a whole token (delimited by the string's ends,
 *    space, tab, '(', ')', ';' or ','), compared case-sensitively. A user
 *    agent is a claim anyone can make; callers should say so when it is the
 *    only evidence.
 *  - IPv4-mapped IPv6 query addresses (::ffff:a.b.c.d) are treated as IPv4.
 *    Lease prefixes inside ::ffff:0:0/96 are refused: list the IPv4 form.
 *
 * Revoked, released or expired leases are simply removed by the caller.
 * ch_leaseindex_insert() does not check conflicts: call
 * ch_leaseindex_conflicts() first (under the same lock) when the lease is new.
 *
 * Thread-safety: query and conflicts only read the index and may run
 * concurrently; insert and remove need exclusive access.
 */
#ifndef CH_COORD_LEASEINDEX_H
#define CH_COORD_LEASEINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "coord/netaddr.h"
#include "core/err.h"
#include "core/str.h"

/* Limits on one lease. They bound the work of one insert or conflict check
 * and the size of one stored lease; a lease needing more is split. */
#define CH_LEASE_PREFIXES_MAX 65536 /* target prefixes */
#define CH_LEASE_NAMES_MAX 4096     /* target names and wildcard scopes */
#define CH_LEASE_SOURCES_MAX 1024   /* source prefixes, checked linearly per match */
#define CH_LEASE_UA_MAX 16          /* user-agent tokens, checked linearly per match */
#define CH_LEASE_UA_TOKEN_MAX 128   /* bytes of one user-agent token */
/* Shortest prefixes a lease may name, as target or source: nothing wider than
 * a /8 of IPv4 or a /16 of IPv6 is a plausible authorisation, and the bound
 * keeps one conflict check from walking a large share of the index. */
#define CH_LEASE_V4_MIN_LEN 8
#define CH_LEASE_V6_MIN_LEN 16
/* Longest user-agent string a query may carry (web servers cap headers near
 * 8 KiB; a user agent longer than this is not a scanner's self-description). */
#define CH_COORD_UA_MAX 2048
/* Leases in one index: slots are 31-bit, and 16M leases is far above need. */
#define CH_LEASEINDEX_LEASES_MAX ((size_t)1 << 24)
/* Accepted times, UTC seconds: 1970-01-01 to 10000-01-01 (exclusive), the
 * range core/clock.h formats. */
#define CH_COORD_TIME_MIN ((int64_t)0)
#define CH_COORD_TIME_MAX ((int64_t)253402300800)

enum ch_lease_mode {
    CH_LEASE_EXCLUSIVE = 1, /* conflicts with every other lease on its targets */
    CH_LEASE_SHARED = 2,    /* coexists with other shared leases */
};

/*
 * A lease as given to insert or conflicts. Every pointer is borrowed for the
 * call; the index copies what it keeps. Counts may be zero when the pointer
 * is NULL, but a lease needs at least one target (prefix or name) and one
 * source (prefix or user-agent token).
 */
struct ch_lease_spec {
    int64_t id;              /* the lease's identity (store row id) */
    enum ch_lease_mode mode;
    int64_t start, end;      /* window [start, end), UTC seconds, start < end */
    const struct ch_prefix *targets;
    size_t n_targets;
    const struct ch_dnsname *names; /* from ch_dnsname_parse() */
    size_t n_names;
    const struct ch_prefix *sources;
    size_t n_sources;
    const struct ch_str *ua_tokens; /* printable ASCII without the delimiters above */
    size_t n_ua_tokens;
};

enum ch_coord_source_kind {
    CH_COORD_SRC_ANY = 0, /* no source filter: every lease covering the target */
    CH_COORD_SRC_ADDR = 1,
    CH_COORD_SRC_UA = 2,
};

enum ch_coord_target_kind {
    CH_COORD_TGT_ADDR = 1,
    CH_COORD_TGT_NAME = 2,
};

/* "Is traffic from src to tgt at time t authorised?" Pointers borrowed. */
struct ch_coord_query {
    enum ch_coord_source_kind src_kind;
    struct ch_ipaddr src_addr;         /* with CH_COORD_SRC_ADDR */
    struct ch_str src_ua;              /* with CH_COORD_SRC_UA: the whole User-Agent */
    enum ch_coord_target_kind tgt_kind;
    struct ch_ipaddr tgt_addr;         /* with CH_COORD_TGT_ADDR */
    const struct ch_dnsname *tgt_name; /* with CH_COORD_TGT_NAME; not a wildcard */
    int64_t t;                         /* UTC seconds */
};

/*
 * A list of lease ids, ascending and without duplicates. Caller-owned and
 * meant to be reused across calls (each call empties it first and grows it
 * as needed); release with ch_lease_hits_release().
 */
struct ch_lease_hits {
    int64_t *ids;
    size_t n;
    size_t cap;
};

#define CH_LEASE_HITS_INIT {.ids = NULL, .n = 0, .cap = 0}

void ch_lease_hits_release(struct ch_lease_hits *h);

struct ch_leaseindex;

/* An empty index; NULL on OOM. Free with ch_leaseindex_free(). */
struct ch_leaseindex *ch_leaseindex_new(void);
/* NULL-safe. */
void ch_leaseindex_free(struct ch_leaseindex *ix);

/*
 * Adds a lease (copying what it needs). All or nothing: on failure the index
 * is unchanged. Errors: CH_E_INVALID (bad spec, message names the field),
 * CH_E_LIMIT (a limit above), CH_E_CONFLICT (the id is already indexed),
 * CH_E_NOMEM.
 */
int ch_leaseindex_insert(struct ch_leaseindex *ix, const struct ch_lease_spec *spec,
                         struct ch_err *err) CH_MUST_CHECK;

/* Removes the lease with this id (revoked, released, expired). Never
 * allocates. CH_E_NOTFOUND when absent. */
int ch_leaseindex_remove(struct ch_leaseindex *ix, int64_t id, struct ch_err *err) CH_MUST_CHECK;

/* True when a lease with this id is indexed. */
int ch_leaseindex_has(const struct ch_leaseindex *ix, int64_t id);

/*
 * The leases that authorise q, into out (emptied first; ids ascending).
 * out->n == 0 means "unauthorised". Errors: CH_E_INVALID (bad query),
 * CH_E_LIMIT (user agent too long), CH_E_NOMEM (growing out).
 */
int ch_leaseindex_query(const struct ch_leaseindex *ix, const struct ch_coord_query *q,
                        struct ch_lease_hits *out, struct ch_err *err) CH_MUST_CHECK;

/*
 * Answers n queries at once, qs[i] into outs[i] (each as by
 * ch_leaseindex_query()). The prefix-trie walks of up to 16 queries advance
 * side by side with prefetching, so their cache misses overlap: on an index
 * larger than the CPU caches this is several times the throughput of single
 * queries (docs/internals/deconfliction.md). Meant for bulk checks (flow
 * logs, web server logs). Stops at the first failing query, whose index the
 * message names; outs before it are complete.
 */
int ch_leaseindex_query_batch(const struct ch_leaseindex *ix, const struct ch_coord_query *qs,
                              size_t n, struct ch_lease_hits *outs,
                              struct ch_err *err) CH_MUST_CHECK;

/*
 * The indexed leases that spec would conflict with (rules above), into out
 * (emptied first; ids ascending). An indexed lease with spec->id is ignored,
 * so a change to a lease can be checked before it is applied. The spec is
 * validated as by insert.
 */
int ch_leaseindex_conflicts(const struct ch_leaseindex *ix, const struct ch_lease_spec *spec,
                            struct ch_lease_hits *out, struct ch_err *err) CH_MUST_CHECK;

/*
 * Lays the prefix tries out again in depth-first order, which makes queries
 * on a large index markedly faster (fewer cache misses; see
 * docs/internals/deconfliction.md). Call it after a bulk load and, for an
 * index that changes, now and then (e.g. after inserts reach a fraction of
 * the index size). O(nodes), needs memory for a second copy of the tries for
 * a moment. On CH_E_NOMEM the index is unchanged and still correct.
 */
int ch_leaseindex_compact(struct ch_leaseindex *ix, struct ch_err *err) CH_MUST_CHECK;

/* Number of indexed leases. */
size_t ch_leaseindex_count(const struct ch_leaseindex *ix);

/*
 * Lookups skip the top sixteen levels below a trie's root through a jump
 * table once the trie holds this many nodes (default 4096; smaller tries are
 * walked from the root). Tests lower it to exercise the table on small
 * indexes. Takes effect at the next change or compaction.
 */
void ch_leaseindex_set_jump_threshold(struct ch_leaseindex *ix, uint32_t nodes);

/* Statistics, for monitoring and the benchmark. */
struct ch_leaseindex_stats {
    size_t leases;
    size_t prefixes;     /* target prefix entries */
    size_t names;        /* target name entries */
    size_t trie_nodes;   /* live nodes, IPv4 + IPv6 */
    size_t name_nodes;   /* live name nodes (names and their ancestors) */
    size_t bytes;        /* memory held, from the index's own accounting */
};
void ch_leaseindex_stats(const struct ch_leaseindex *ix, struct ch_leaseindex_stats *ret);

#endif
