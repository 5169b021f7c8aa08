/* SPDX-License-Identifier: Apache-2.0
 *
 * leaseindex.c: the deconfliction index (contract and rules in leaseindex.h;
 * pictures and measurements in docs/internals/deconfliction.md).
 *
 * Structure:
 *  - Leases live in slots (31-bit numbers). Their windows sit in one dense
 *    array `win` (16 bytes a lease, so 100,000 leases are 1.6 MB and stay in
 *    cache); everything else about a lease is one allocation (struct lease).
 *  - Target prefixes go into two path-compressed binary tries (IPv4, IPv6)
 *    whose nodes live in one array and refer to each other by 32-bit index.
 *    A node holding one lease stores its slot inline; a node holding more
 *    points to an entry list.
 *  - An entry list is the slots of the leases on one trie node or name, kept
 *    sorted by window start. Past LINEAR_MAX entries it carries the max-end
 *    augmentation of an implicit interval tree over that sorted array (Heng
 *    Li's cgranges layout), so finding the windows that overlap a time is
 *    O(log n + hits) however many leases share a prefix.
 *  - Target names go into a hash map from the name to a node; nodes exist for
 *    every name and each of its ancestors, linked parent/children, so a query
 *    walks up the labels for wildcards and a wildcard conflict check walks the
 *    subtree below its base.
 *
 * Invariants: every trie node has entries or two children; every name node
 * has entries or children; a list with n entries has n > 1 (one entry is
 * inlined, on trie nodes); a list's slots are sorted by (start, slot); its
 * maxend array is valid whenever n > LINEAR_MAX. Removal never allocates, so
 * a failed insert can always be rolled back.
 */
#include "coord/leaseindex.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/map.h"
#include "core/size.h"

/* Entry lists up to this length are scanned linearly (they fit a cache line
 * or two); longer ones use the implicit interval tree. Must be 2^k - 1 with
 * k <= 4 so that the tree query's own linear cut-off covers them. */
#define LINEAR_MAX 15
/* Marks a trie node's `ent` as one inline slot rather than a list index. */
#define ENT_INLINE 0x80000000u
/* Trie node and list indices are 32-bit with 0 meaning "none". */
#define INDEX_MAX 0x7fffffffu
/* Deepest trie path (129 nodes for /0../128), doubled for DFS siblings. */
#define TRIE_STACK (2 * 130)
/* Implicit interval tree stack: two entries per level of a 32-level tree. */
#define ITREE_STACK 64
/* Labels in a name of CH_DNS_NAME_MAX bytes: "a.a.a...". */
#define NAME_LABELS_MAX ((CH_DNS_NAME_MAX + 1) / 2)

struct win {
    int64_t start, end; /* [start, end); a free slot has start = INT64_MAX */
};

struct elist {
    uint32_t n, cap; /* entries, capacity of slot */
    uint32_t mcap;   /* capacity of maxend (0 while never needed) */
    uint32_t *slot;  /* sorted by (win.start, slot) */
    int64_t *maxend; /* implicit-tree augmentation, valid when n > LINEAR_MAX */
};

struct tnode {
    uint64_t hi, lo;   /* key bits, big-endian; bits past len are zero */
    uint32_t child[2]; /* node indices, 0 = none */
    uint32_t ent;      /* 0, ENT_INLINE | slot, or an index into ix->lists */
    uint8_t len;       /* prefix length in bits */
};

/*
 * The jump table: a lookup visits about twenty trie levels, and the first
 * sixteen below the root are the same for every address that shares those
 * bits. For each value of the JUMP_BITS bits after the root's prefix, the
 * table holds the first node deeper than them on that path and the nodes
 * above it that carry leases, so a lookup starts there. Inserts and removals
 * refresh only the buckets their prefix covers; compaction rebuilds it.
 */
#define JUMP_BITS 16
#define JUMP_SIZE (1u << JUMP_BITS)
/* Below this many nodes the walk is short and the table not worth 512 KiB
 * (ch_leaseindex_set_jump_threshold changes it). */
#define JUMP_MIN_NODES 4096u
/* Stale ancestor lists kept before a full rebuild reclaims them. */
#define JUMP_ANC_MAX (1u << 20)

struct jump {
    uint32_t start; /* first node of length >= base + JUMP_BITS, or 0 */
    uint32_t anc;   /* offset in trie.anc of a 0-terminated node list; 0 = none */
};

struct trie {
    struct tnode *nodes; /* [0] unused so that 0 means "none" */
    uint32_t cap, top;   /* allocated, first never-used index */
    uint32_t free_head;  /* chain through child[0] */
    uint32_t root;
    uint32_t live;
    unsigned bits;     /* 32 or 128 */
    struct jump *jump; /* JUMP_SIZE buckets, or NULL: walk from the root */
    uint32_t *anc;     /* ancestor lists; [0] = 0 is the empty list */
    uint32_t n_anc, cap_anc;
    uint32_t jump_root; /* root the table was built for */
    unsigned jump_base; /* its prefix length */
};

struct nnode {
    struct nnode *parent, *child, *prev, *next; /* name tree, siblings doubly linked */
    struct elist exact;                         /* leases naming exactly this name */
    struct elist wild;                          /* leases naming "*.<this name>" */
    uint16_t len;
    char name[]; /* NUL-terminated map key */
};

struct lname {
    const char *text; /* inside the lease's allocation */
    uint8_t len;
    bool wild;
};

/* One allocation: this header, then names, ua, targets, sources, text. */
struct lease {
    int64_t id;
    struct lname *names;
    struct ch_str *ua;
    struct ch_prefix *tgt;
    struct ch_prefix *src;
    uint32_t n_names, n_ua, n_tgt, n_src;
    uint8_t mode;
    size_t bytes;
};

struct ch_leaseindex {
    struct lease **lease; /* by slot; NULL for a free slot */
    struct win *win;      /* by slot */
    uint32_t nslots, capslots;
    uint32_t free_slot;   /* chain through win[].end, INDEX_MAX+1 = none */
    struct ch_map *by_id; /* 8-byte id -> slot + 1 */
    struct trie v4, v6;
    struct elist *lists;                  /* [0] unused */
    uint32_t nlists, caplists, free_list; /* free chain through cap */
    struct ch_map *names;                 /* name -> struct nnode (owned, freed by hand) */
    size_t count, n_prefixes, n_names, n_name_nodes;
    size_t name_text;  /* bytes of the names of all name nodes */
    size_t bytes;      /* everything but the two maps, which are estimated */
    uint32_t jump_min; /* trie nodes before a jump table is built */
};

#define NO_SLOT (INDEX_MAX + 1u)

void ch_lease_hits_release(struct ch_lease_hits *h)
{
    if (h == NULL)
        return;
    ch_free(h->ids);
    *h = (struct ch_lease_hits)CH_LEASE_HITS_INIT;
}

/* ---- keys ---------------------------------------------------------------- */

struct key {
    uint64_t hi, lo;
};

static struct key key_of(const struct ch_ipaddr *a)
{
    struct key k = {0, 0};
    for (int i = 0; i < 8; i++) {
        k.hi = k.hi << 8 | a->b[i];
        k.lo = k.lo << 8 | a->b[8 + i];
    }
    return k;
}

static unsigned key_bit(struct key k, unsigned pos)
{
    if (pos < 64)
        return (unsigned)(k.hi >> (63 - pos)) & 1u;
    return (unsigned)(k.lo >> (127 - pos)) & 1u;
}

/* Length of the common prefix of k and node n's key, at most max. */
static unsigned key_cpl(struct key k, const struct tnode *n, unsigned max)
{
    uint64_t x = k.hi ^ n->hi;
    unsigned c;
    if (x != 0) {
        c = (unsigned)__builtin_clzll(x);
    } else {
        x = k.lo ^ n->lo;
        c = x != 0 ? 64u + (unsigned)__builtin_clzll(x) : 128u;
    }
    return c < max ? c : max;
}

static struct key key_mask(struct key k, unsigned len)
{
    if (len == 0)
        return (struct key){0, 0};
    if (len < 64)
        return (struct key){k.hi & ~(~0ULL >> len), 0};
    if (len == 64)
        return (struct key){k.hi, 0};
    if (len < 128)
        return (struct key){k.hi, k.lo & ~(~0ULL >> (len - 64))};
    return k;
}

/* ---- visiting leases ----------------------------------------------------- */

enum walk_kind {
    WALK_QUERY,
    WALK_CONFLICT,
};

/* What to do with each lease found: filter it and append its id to out. */
struct walk {
    const struct ch_leaseindex *ix;
    enum walk_kind kind;
    enum ch_coord_source_kind src_kind; /* WALK_QUERY */
    struct ch_ipaddr src;               /* unmapped */
    struct ch_str ua;
    int64_t self_id; /* WALK_CONFLICT */
    uint8_t mode;
    struct ch_lease_hits *out;
    int rc; /* sticky CH_E_NOMEM */
};

/* The user-agent delimiters of leaseindex.h (RFC 9110 product and comment
 * separators). */
static bool ua_delim(char c)
{
    return c == ' ' || c == '\t' || c == '(' || c == ')' || c == ';' || c == ',';
}

static bool ua_has_token(struct ch_str ua, struct ch_str tok)
{
    if (tok.len == 0 || tok.len > ua.len)
        return false;
    for (size_t i = 0; i + tok.len <= ua.len; i++) {
        if (i > 0 && !ua_delim(ua.ptr[i - 1]))
            continue;
        if (i + tok.len < ua.len && !ua_delim(ua.ptr[i + tok.len]))
            continue;
        if (memcmp(ua.ptr + i, tok.ptr, tok.len) == 0)
            return true;
    }
    return false;
}

static bool source_matches(const struct walk *w, const struct lease *l)
{
    switch (w->src_kind) {
    case CH_COORD_SRC_ANY:
        return true;
    case CH_COORD_SRC_ADDR:
        for (uint32_t i = 0; i < l->n_src; i++) {
            if (ch_prefix_contains_ip(&l->src[i], &w->src))
                return true;
        }
        return false;
    case CH_COORD_SRC_UA:
        for (uint32_t i = 0; i < l->n_ua; i++) {
            if (ua_has_token(w->ua, l->ua[i]))
                return true;
        }
        return false;
    }
    return false;
}

static void hits_push(struct walk *w, int64_t id)
{
    struct ch_lease_hits *h = w->out;
    if (h->n == h->cap) {
        size_t cap = h->cap < 16 ? 16 : h->cap * 2;
        int64_t *ids = ch_reallocarray(h->ids, cap, sizeof(*ids));
        if (ids == NULL) {
            w->rc = CH_E_NOMEM;
            return;
        }
        h->ids = ids;
        h->cap = cap;
    }
    h->ids[h->n++] = id;
}

static void visit(struct walk *w, uint32_t slot)
{
    if (w->rc != CH_OK)
        return;
    const struct lease *l = w->ix->lease[slot];
    if (w->kind == WALK_QUERY) {
        if (!source_matches(w, l))
            return;
    } else {
        if (l->id == w->self_id)
            return;
        if (l->mode == CH_LEASE_SHARED && w->mode == CH_LEASE_SHARED)
            return;
    }
    hits_push(w, l->id);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts out's ids and drops duplicates (a lease found through two of its
 * prefixes or names). */
static void hits_finish(struct ch_lease_hits *h)
{
    if (h->n < 2)
        return;
    if (h->n <= 8) {
        for (size_t i = 1; i < h->n; i++) {
            int64_t v = h->ids[i];
            size_t j = i;
            while (j > 0 && h->ids[j - 1] > v) {
                h->ids[j] = h->ids[j - 1];
                j--;
            }
            h->ids[j] = v;
        }
    } else {
        qsort(h->ids, h->n, sizeof(h->ids[0]), cmp_i64);
    }
    size_t o = 1;
    for (size_t i = 1; i < h->n; i++) {
        if (h->ids[i] != h->ids[o - 1])
            h->ids[o++] = h->ids[i];
    }
    h->n = o;
}

/* ---- entry lists --------------------------------------------------------- */

/* Rebuilds the max-end augmentation (cgranges' cr_index1). */
static void el_reindex(const struct win *win, struct elist *l)
{
    int64_t n = l->n;
    if (n <= LINEAR_MAX)
        return;
    int64_t last_i = 0, last = 0;
    for (int64_t i = 0; i < n; i += 2) {
        last_i = i;
        last = l->maxend[i] = win[l->slot[i]].end;
    }
    for (int k = 1; (int64_t)1 << k <= n; k++) {
        int64_t x = (int64_t)1 << (k - 1), i0 = (x << 1) - 1, step = x << 2;
        for (int64_t i = i0; i < n; i += step) {
            int64_t el = l->maxend[i - x];
            int64_t er = i + x < n ? l->maxend[i + x] : last;
            int64_t e = win[l->slot[i]].end;
            e = e > el ? e : el;
            e = e > er ? e : er;
            l->maxend[i] = e;
        }
        last_i = (last_i >> k & 1) != 0 ? last_i - x : last_i + x;
        if (last_i < n && l->maxend[last_i] > last)
            last = l->maxend[last_i];
    }
}

static int el_root_level(uint32_t n)
{
    int k = 0;
    while (((uint64_t)1 << (k + 1)) <= n)
        k++;
    return k;
}

/* Visits the slots whose window overlaps [qs, qe) (cgranges' cr_overlap). */
static void el_overlap(const struct win *win, const struct elist *l, int64_t qs, int64_t qe,
                       struct walk *w)
{
    int64_t n = l->n;
    if (n <= LINEAR_MAX) {
        for (int64_t i = 0; i < n; i++) {
            uint32_t s = l->slot[i];
            if (win[s].start >= qe)
                break;
            if (win[s].end > qs)
                visit(w, s);
        }
        return;
    }
    struct {
        int64_t x;
        int k, w;
    } stack[ITREE_STACK];
    int t = 0;
    int rk = el_root_level(l->n);
    stack[t].x = ((int64_t)1 << rk) - 1;
    stack[t].k = rk;
    stack[t++].w = 0;
    while (t > 0) {
        int64_t x = stack[t - 1].x;
        int k = stack[t - 1].k, wdone = stack[t - 1].w;
        t--;
        if (k <= 3) {
            int64_t i0 = x >> k << k, i1 = i0 + ((int64_t)1 << (k + 1)) - 1;
            if (i1 > n)
                i1 = n;
            for (int64_t i = i0; i < i1 && win[l->slot[i]].start < qe; i++) {
                if (win[l->slot[i]].end > qs)
                    visit(w, l->slot[i]);
            }
        } else if (wdone == 0) {
            int64_t y = x - ((int64_t)1 << (k - 1));
            stack[t].x = x;
            stack[t].k = k;
            stack[t++].w = 1;
            if (y >= n || l->maxend[y] > qs) {
                stack[t].x = y;
                stack[t].k = k - 1;
                stack[t++].w = 0;
            }
        } else if (x < n && win[l->slot[x]].start < qe) {
            if (win[l->slot[x]].end > qs)
                visit(w, l->slot[x]);
            stack[t].x = x + ((int64_t)1 << (k - 1));
            stack[t].k = k - 1;
            stack[t++].w = 0;
        }
    }
}

static void ix_account(struct ch_leaseindex *ix, size_t old_bytes, size_t new_bytes)
{
    ix->bytes = ix->bytes - old_bytes + new_bytes;
}

/* Makes room for `need` entries (and their augmentation). */
static int el_reserve(struct ch_leaseindex *ix, struct elist *l, uint32_t need)
{
    if (need > l->cap) {
        uint32_t cap = l->cap < 2 ? 2 : l->cap;
        while (cap < need)
            cap *= 2;
        uint32_t *s = ch_reallocarray(l->slot, cap, sizeof(*s));
        if (s == NULL)
            return CH_E_NOMEM;
        ix_account(ix, (size_t)l->cap * sizeof(*s), (size_t)cap * sizeof(*s));
        l->slot = s;
        l->cap = cap;
    }
    if (need > LINEAR_MAX && need > l->mcap) {
        int64_t *m = ch_reallocarray(l->maxend, l->cap, sizeof(*m));
        if (m == NULL)
            return CH_E_NOMEM;
        ix_account(ix, (size_t)l->mcap * sizeof(*m), (size_t)l->cap * sizeof(*m));
        l->maxend = m;
        l->mcap = l->cap;
    }
    return CH_OK;
}

static uint32_t el_lower(const struct win *win, const struct elist *l, uint32_t slot)
{
    int64_t st = win[slot].start;
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t s = l->slot[mid];
        if (win[s].start < st || (win[s].start == st && s < slot))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Inserts slot; room must have been reserved. */
static void el_insert(const struct win *win, struct elist *l, uint32_t slot)
{
    uint32_t pos = el_lower(win, l, slot);
    memmove(l->slot + pos + 1, l->slot + pos, (size_t)(l->n - pos) * sizeof(l->slot[0]));
    l->slot[pos] = slot;
    l->n++;
    el_reindex(win, l);
}

static int el_add(struct ch_leaseindex *ix, struct elist *l, uint32_t slot)
{
    int rc = el_reserve(ix, l, l->n + 1);
    if (rc != CH_OK)
        return rc;
    el_insert(ix->win, l, slot);
    return CH_OK;
}

/* Removes one occurrence of slot; false when absent. Never allocates. */
static bool el_del(const struct win *win, struct elist *l, uint32_t slot)
{
    uint32_t pos = el_lower(win, l, slot);
    if (pos >= l->n || l->slot[pos] != slot)
        return false;
    memmove(l->slot + pos, l->slot + pos + 1, (size_t)(l->n - pos - 1) * sizeof(l->slot[0]));
    l->n--;
    el_reindex(win, l);
    return true;
}

static void el_release(struct ch_leaseindex *ix, struct elist *l)
{
    ix_account(ix, (size_t)l->cap * sizeof(l->slot[0]) + (size_t)l->mcap * sizeof(int64_t), 0);
    ch_free(l->slot);
    ch_free(l->maxend);
    memset(l, 0, sizeof(*l));
}

/* ---- list pool and trie node entries ------------------------------------- */

static int list_alloc(struct ch_leaseindex *ix, uint32_t *ret)
{
    if (ix->free_list != 0) {
        uint32_t i = ix->free_list;
        ix->free_list = ix->lists[i].cap;
        memset(&ix->lists[i], 0, sizeof(ix->lists[i]));
        *ret = i;
        return CH_OK;
    }
    if (ix->nlists == ix->caplists) {
        if (ix->caplists >= INDEX_MAX / 2)
            return CH_E_LIMIT;
        uint32_t cap = ix->caplists < 16 ? 16 : ix->caplists * 2;
        struct elist *a = ch_reallocarray(ix->lists, cap, sizeof(*a));
        if (a == NULL)
            return CH_E_NOMEM;
        ix_account(ix, (size_t)ix->caplists * sizeof(*a), (size_t)cap * sizeof(*a));
        ix->lists = a;
        ix->caplists = cap;
        if (ix->nlists == 0)
            ix->nlists = 1; /* index 0 means "none" */
    }
    uint32_t i = ix->nlists++;
    memset(&ix->lists[i], 0, sizeof(ix->lists[i]));
    *ret = i;
    return CH_OK;
}

static void list_free(struct ch_leaseindex *ix, uint32_t i)
{
    el_release(ix, &ix->lists[i]);
    ix->lists[i].cap = ix->free_list;
    ix->free_list = i;
}

static int ent_add(struct ch_leaseindex *ix, uint32_t *ent, uint32_t slot)
{
    if (*ent == 0) {
        *ent = ENT_INLINE | slot;
        return CH_OK;
    }
    if ((*ent & ENT_INLINE) == 0)
        return el_add(ix, &ix->lists[*ent], slot);
    uint32_t li;
    int rc = list_alloc(ix, &li);
    if (rc != CH_OK)
        return rc;
    struct elist *l = &ix->lists[li];
    rc = el_reserve(ix, l, 2);
    if (rc != CH_OK) {
        list_free(ix, li);
        return rc;
    }
    el_insert(ix->win, l, *ent & ~ENT_INLINE);
    el_insert(ix->win, l, slot);
    *ent = li;
    return CH_OK;
}

static bool ent_del(struct ch_leaseindex *ix, uint32_t *ent, uint32_t slot)
{
    if (*ent == 0)
        return false;
    if ((*ent & ENT_INLINE) != 0) {
        if ((*ent & ~ENT_INLINE) != slot)
            return false;
        *ent = 0;
        return true;
    }
    struct elist *l = &ix->lists[*ent];
    if (!el_del(ix->win, l, slot))
        return false;
    if (l->n == 1) {
        uint32_t last = l->slot[0];
        list_free(ix, *ent);
        *ent = ENT_INLINE | last;
    }
    return true;
}

static void ent_overlap(const struct ch_leaseindex *ix, uint32_t ent, int64_t qs, int64_t qe,
                        struct walk *w)
{
    if ((ent & ENT_INLINE) != 0) {
        uint32_t s = ent & ~ENT_INLINE;
        if (ix->win[s].start < qe && ix->win[s].end > qs)
            visit(w, s);
        return;
    }
    el_overlap(ix->win, &ix->lists[ent], qs, qe, w);
}

/* ---- tries --------------------------------------------------------------- */

static int trie_reserve(struct ch_leaseindex *ix, struct trie *t, uint32_t need)
{
    if (t->top + need <= t->cap)
        return CH_OK;
    if (t->cap >= INDEX_MAX / 2)
        return CH_E_LIMIT;
    uint32_t cap = t->cap < 64 ? 64 : t->cap * 2;
    struct tnode *a = ch_reallocarray(t->nodes, cap, sizeof(*a));
    if (a == NULL)
        return CH_E_NOMEM;
    ix_account(ix, (size_t)t->cap * sizeof(*a), (size_t)cap * sizeof(*a));
    t->nodes = a;
    t->cap = cap;
    if (t->top == 0)
        t->top = 1; /* index 0 means "none" */
    return CH_OK;
}

static uint32_t node_new(struct trie *t, struct key k, unsigned len, uint32_t ent)
{
    uint32_t i;
    if (t->free_head != 0) {
        i = t->free_head;
        t->free_head = t->nodes[i].child[0];
    } else {
        i = t->top++;
    }
    struct key m = key_mask(k, len);
    t->nodes[i] = (struct tnode){.hi = m.hi, .lo = m.lo, .len = (uint8_t)len, .ent = ent};
    t->live++;
    return i;
}

static void node_free(struct trie *t, uint32_t i)
{
    t->nodes[i].child[0] = t->free_head;
    t->nodes[i].child[1] = 0;
    t->nodes[i].ent = 0;
    t->free_head = i;
    t->live--;
}

static int trie_insert(struct ch_leaseindex *ix, struct trie *t, struct key k, unsigned plen,
                       uint32_t slot)
{
    int rc = trie_reserve(ix, t, 2); /* no reallocation below: `link` stays valid */
    if (rc != CH_OK)
        return rc;
    uint32_t *link = &t->root;
    for (;;) {
        uint32_t i = *link;
        if (i == 0) {
            *link = node_new(t, k, plen, ENT_INLINE | slot);
            return CH_OK;
        }
        struct tnode *n = &t->nodes[i];
        unsigned c = key_cpl(k, n, plen < n->len ? plen : n->len);
        if (c == n->len && c == plen)
            return ent_add(ix, &n->ent, slot);
        if (c == n->len) {
            link = &n->child[key_bit(k, c)];
            continue;
        }
        struct key nk = {n->hi, n->lo};
        if (c == plen) {
            uint32_t j = node_new(t, k, plen, ENT_INLINE | slot);
            t->nodes[j].child[key_bit(nk, plen)] = i;
            *link = j;
            return CH_OK;
        }
        uint32_t mid = node_new(t, k, c, 0);
        uint32_t leaf = node_new(t, k, plen, ENT_INLINE | slot);
        t->nodes[mid].child[key_bit(k, c)] = leaf;
        t->nodes[mid].child[key_bit(nk, c)] = i;
        *link = mid;
        return CH_OK;
    }
}

/* After node *link lost entries or a child: drops it if it has neither
 * entries nor two children, then does the same for its parent. */
static void trie_prune(struct trie *t, uint32_t **path, int depth)
{
    while (depth >= 0) {
        uint32_t *link = path[depth];
        uint32_t i = *link;
        struct tnode *n = &t->nodes[i];
        if (n->ent != 0)
            return;
        uint32_t c0 = n->child[0], c1 = n->child[1];
        if (c0 != 0 && c1 != 0)
            return;
        *link = c0 != 0 ? c0 : c1;
        node_free(t, i);
        if (c0 != 0 || c1 != 0)
            return; /* the parent keeps the same number of children */
        depth--;
    }
}

static bool trie_remove(struct ch_leaseindex *ix, struct trie *t, struct key k, unsigned plen,
                        uint32_t slot)
{
    uint32_t *path[130];
    int depth = 0;
    path[0] = &t->root;
    for (;;) {
        uint32_t i = *path[depth];
        if (i == 0)
            return false;
        struct tnode *n = &t->nodes[i];
        if (n->len > plen || key_cpl(k, n, n->len) < n->len)
            return false;
        if (n->len == plen)
            break;
        path[depth + 1] = &n->child[key_bit(k, n->len)];
        depth++;
    }
    struct tnode *n = &t->nodes[*path[depth]];
    if (!ent_del(ix, &n->ent, slot))
        return false;
    trie_prune(t, path, depth);
    return true;
}

/* ---- jump table (see struct trie) ---------------------------------------- */

/* The JUMP_BITS bits of k from bit pos (pos + JUMP_BITS <= 128). */
static unsigned key_bits16(struct key k, unsigned pos)
{
    if (pos + JUMP_BITS <= 64)
        return (unsigned)(k.hi >> (64 - JUMP_BITS - pos)) & (JUMP_SIZE - 1);
    if (pos >= 64)
        return (unsigned)(k.lo >> (128 - JUMP_BITS - pos)) & (JUMP_SIZE - 1);
    unsigned lo_bits = pos + JUMP_BITS - 64;
    return (unsigned)((k.hi << lo_bits | k.lo >> (64 - lo_bits)) & (JUMP_SIZE - 1));
}

/* k with its JUMP_BITS bits from pos replaced by v. */
static struct key key_with16(struct key k, unsigned pos, unsigned v)
{
    for (unsigned b = 0; b < JUMP_BITS; b++) {
        unsigned at = pos + b;
        uint64_t bit = (uint64_t)(v >> (JUMP_BITS - 1 - b) & 1u);
        if (at < 64) {
            k.hi = (k.hi & ~(1ULL << (63 - at))) | bit << (63 - at);
        } else {
            k.lo = (k.lo & ~(1ULL << (127 - at))) | bit << (127 - at);
        }
    }
    return k;
}

static void jump_drop(struct ch_leaseindex *ix, struct trie *t)
{
    if (t->jump != NULL)
        ix_account(ix, (size_t)JUMP_SIZE * sizeof(*t->jump), 0);
    ix_account(ix, (size_t)t->cap_anc * sizeof(*t->anc), 0);
    ch_free(t->jump);
    ch_free(t->anc);
    t->jump = NULL;
    t->anc = NULL;
    t->n_anc = t->cap_anc = 0;
}

/* Walks bucket v from the root and records where its lookups start. When
 * `prev` is given and the bucket's ancestor list equals the one at *prev, the
 * list is shared (consecutive buckets usually have the same ancestors). */
static int jump_fill(struct ch_leaseindex *ix, struct trie *t, unsigned v, uint32_t *prev)
{
    const struct tnode *r = &t->nodes[t->root];
    unsigned depth = t->jump_base + JUMP_BITS;
    struct key k = key_with16((struct key){r->hi, r->lo}, t->jump_base, v);
    uint32_t list[JUMP_BITS + 1];
    unsigned n = 0;
    uint32_t i = t->root, start = 0;
    while (i != 0) {
        const struct tnode *nd = &t->nodes[i];
        if (nd->len >= depth) {
            start = i;
            break;
        }
        if (key_cpl(k, nd, nd->len) < nd->len)
            break;
        if (nd->ent != 0 && CH_ALWAYS(n < JUMP_BITS))
            list[n++] = i;
        i = nd->child[key_bit(k, nd->len)];
    }
    t->jump[v].start = start;
    if (n == 0) {
        t->jump[v].anc = 0;
        return CH_OK;
    }
    if (prev != NULL && *prev != 0 && memcmp(&t->anc[*prev], list, n * sizeof(*list)) == 0 &&
        t->anc[*prev + n] == 0) {
        t->jump[v].anc = *prev;
        return CH_OK;
    }
    if (t->n_anc + n + 1 > JUMP_ANC_MAX)
        return CH_E_LIMIT;
    if (t->n_anc + n + 1 > t->cap_anc) {
        uint32_t cap = t->cap_anc * 2 > t->n_anc + n + 1 ? t->cap_anc * 2 : t->n_anc + n + 1;
        uint32_t *a = ch_reallocarray(t->anc, cap, sizeof(*a));
        if (a == NULL)
            return CH_E_NOMEM;
        ix_account(ix, (size_t)t->cap_anc * sizeof(*a), (size_t)cap * sizeof(*a));
        t->anc = a;
        t->cap_anc = cap;
    }
    uint32_t off = t->n_anc;
    memcpy(&t->anc[off], list, n * sizeof(*list));
    t->anc[off + n] = 0;
    t->n_anc = off + n + 1;
    t->jump[v].anc = off;
    if (prev != NULL)
        *prev = off;
    return CH_OK;
}

/* Builds the table from scratch, or leaves none when the trie is small or
 * memory short: lookups are then correct, only slower. */
static void jump_build(struct ch_leaseindex *ix, struct trie *t)
{
    jump_drop(ix, t);
    if (t->live < ix->jump_min || t->root == 0)
        return;
    unsigned base = t->nodes[t->root].len;
    if (base + JUMP_BITS > t->bits)
        return;
    t->jump = ch_reallocarray(NULL, JUMP_SIZE, sizeof(*t->jump));
    t->cap_anc = 1024;
    t->anc = ch_reallocarray(NULL, t->cap_anc, sizeof(*t->anc));
    if (t->jump == NULL || t->anc == NULL) {
        ch_free(t->jump);
        ch_free(t->anc);
        t->jump = NULL;
        t->anc = NULL;
        t->cap_anc = 0;
        return;
    }
    ix_account(ix, 0, (size_t)JUMP_SIZE * sizeof(*t->jump) + t->cap_anc * sizeof(*t->anc));
    t->anc[0] = 0;
    t->n_anc = 1;
    t->jump_root = t->root;
    t->jump_base = base;
    uint32_t prev = 0;
    for (unsigned v = 0; v < JUMP_SIZE; v++) {
        if (jump_fill(ix, t, v, &prev) != CH_OK) {
            jump_drop(ix, t);
            return;
        }
    }
}

/* After inserting or removing prefix k/plen: only the buckets that prefix
 * covers can have changed their start node or ancestors (a node split off
 * above it has no leases of its own and is shorter than plen). A new root
 * moves every bucket. */
static void jump_refresh(struct ch_leaseindex *ix, struct trie *t, struct key k, unsigned plen)
{
    if (t->jump == NULL) {
        if (t->live >= ix->jump_min && t->live % ix->jump_min == 0)
            jump_build(ix, t); /* grown past the threshold since the last compaction */
        return;
    }
    if (t->root != t->jump_root || t->root == 0 || t->nodes[t->root].len != t->jump_base ||
        t->live < ix->jump_min) {
        jump_build(ix, t);
        return;
    }
    unsigned base = t->jump_base;
    const struct tnode *r = &t->nodes[t->root];
    if (plen < base || key_cpl(k, r, base) < base)
        return; /* outside the root's prefix: the root would have changed */
    unsigned v0 = key_bits16(k, base), n = 1;
    if (plen < base + JUMP_BITS) {
        unsigned free_bits = base + JUMP_BITS - plen;
        v0 &= ~((1u << free_bits) - 1u);
        n = 1u << free_bits;
    }
    for (unsigned v = v0; v < v0 + n; v++) {
        if (jump_fill(ix, t, v, NULL) != CH_OK) {
            jump_build(ix, t); /* reclaims stale lists, or drops the table */
            return;
        }
    }
}

/* Where a lookup of k starts: the bucket's first deep node, with *anc set to
 * the nodes above it that carry leases (or NULL). 0 when nothing contains k. */
static uint32_t jump_start(const struct trie *t, struct key k, const uint32_t **anc)
{
    *anc = NULL;
    if (t->jump == NULL)
        return t->root;
    const struct tnode *r = &t->nodes[t->root];
    if (key_cpl(k, r, t->jump_base) < t->jump_base)
        return 0;
    const struct jump *j = &t->jump[key_bits16(k, t->jump_base)];
    if (j->anc != 0)
        *anc = &t->anc[j->anc];
    return j->start;
}

/* Every node whose prefix contains address k. */
static void trie_point(const struct ch_leaseindex *ix, const struct trie *t, struct key k,
                       int64_t tm, struct walk *w)
{
    const uint32_t *anc;
    uint32_t i = jump_start(t, k, &anc);
    for (; anc != NULL && *anc != 0; anc++)
        ent_overlap(ix, t->nodes[*anc].ent, tm, tm + 1, w);
    while (i != 0) {
        const struct tnode *n = &t->nodes[i];
        if (key_cpl(k, n, n->len) < n->len)
            return;
        if (n->ent != 0)
            ent_overlap(ix, n->ent, tm, tm + 1, w);
        if (n->len >= t->bits)
            return;
        i = n->child[key_bit(k, n->len)];
    }
}

/* Every node whose prefix intersects k/plen: ancestors and the subtree. */
static void trie_intersect(const struct ch_leaseindex *ix, const struct trie *t, struct key k,
                           unsigned plen, int64_t qs, int64_t qe, struct walk *w)
{
    uint32_t i = t->root;
    while (i != 0) {
        const struct tnode *n = &t->nodes[i];
        unsigned m = plen < n->len ? plen : n->len;
        if (key_cpl(k, n, m) < m)
            return;
        if (n->len >= plen)
            break; /* n lies inside k/plen: so does its whole subtree */
        if (n->ent != 0)
            ent_overlap(ix, n->ent, qs, qe, w);
        i = n->child[key_bit(k, n->len)];
    }
    uint32_t stack[TRIE_STACK];
    int sp = 0;
    if (i != 0)
        stack[sp++] = i;
    while (sp > 0) {
        const struct tnode *n = &t->nodes[stack[--sp]];
        if (n->ent != 0)
            ent_overlap(ix, n->ent, qs, qe, w);
        for (int c = 0; c < 2; c++) {
            if (n->child[c] != 0 && CH_ALWAYS(sp < TRIE_STACK))
                stack[sp++] = n->child[c];
        }
    }
}

/* Renumbers t's nodes in depth-first preorder into a fresh array, so that a
 * node's first child shares its cache line or the next one and each subtree
 * is contiguous: about half the steps of a lookup then hit memory already
 * fetched. Leaves t unchanged when allocation fails. */
static int trie_compact(struct ch_leaseindex *ix, struct trie *t)
{
    if (t->live == 0)
        return CH_OK;
    uint32_t cap = t->live + 1 + 2; /* room for the next insert without growth */
    struct tnode *a = ch_reallocarray(NULL, cap, sizeof(*a));
    if (a == NULL)
        return CH_E_NOMEM;
    /* stack of (old index, place in the new array that must point to it) */
    struct {
        uint32_t old;
        uint32_t *link;
    } stack[TRIE_STACK];
    int sp = 0;
    uint32_t next = 1, root = 0;
    stack[sp].old = t->root;
    stack[sp++].link = &root;
    while (sp > 0) {
        sp--;
        uint32_t old = stack[sp].old, i = next++;
        *stack[sp].link = i;
        a[i] = t->nodes[old];
        /* push child 1 first so that child 0 is laid out right after i */
        for (int c = 1; c >= 0; c--) {
            if (a[i].child[c] != 0 && CH_ALWAYS(sp < TRIE_STACK)) {
                stack[sp].old = a[i].child[c];
                stack[sp++].link = &a[i].child[c];
            }
        }
    }
    ix_account(ix, (size_t)t->cap * sizeof(*a), (size_t)cap * sizeof(*a));
    ch_free(t->nodes);
    t->nodes = a;
    t->cap = cap;
    t->top = next;
    t->free_head = 0;
    t->root = root;
    jump_build(ix, t);
    return CH_OK;
}

static struct trie *trie_for(struct ch_leaseindex *ix, uint8_t family)
{
    return family == CH_IP_V4 ? &ix->v4 : &ix->v6;
}

/* ---- names --------------------------------------------------------------- */

static struct nnode *name_get(const struct ch_leaseindex *ix, struct ch_str s)
{
    return ch_map_get(ix->names, s);
}

/* The nearest indexed strict ancestor of s, or NULL. */
static struct nnode *name_ancestor(const struct ch_leaseindex *ix, struct ch_str s)
{
    for (;;) {
        long dot = ch_str_find_char(s, '.');
        if (dot < 0)
            return NULL;
        s = ch_str_make(s.ptr + dot + 1, s.len - (size_t)dot - 1);
        struct nnode *n = name_get(ix, s);
        if (n != NULL)
            return n;
    }
}

/* Frees n and its empty ancestors, as far as they have no entries and no
 * children. */
static void name_prune(struct ch_leaseindex *ix, struct nnode *n)
{
    while (n != NULL && n->exact.n == 0 && n->wild.n == 0 && n->child == NULL) {
        struct nnode *p = n->parent;
        if (n->prev != NULL)
            n->prev->next = n->next;
        else if (p != NULL)
            p->child = n->next;
        if (n->next != NULL)
            n->next->prev = n->prev;
        (void)CH_ALWAYS(ch_map_del(ix->names, ch_str_make(n->name, n->len)));
        el_release(ix, &n->exact);
        el_release(ix, &n->wild);
        ix_account(ix, sizeof(*n) + n->len + 1u, 0);
        ix->name_text -= n->len;
        ch_free(n);
        ix->n_name_nodes--;
        n = p;
    }
}

/* The node of s, creating it and its missing ancestors. */
static int name_ensure(struct ch_leaseindex *ix, struct ch_str s, struct nnode **ret)
{
    struct nnode *n = name_get(ix, s);
    if (n != NULL) {
        *ret = n;
        return CH_OK;
    }
    size_t starts[NAME_LABELS_MAX + 1];
    int nl = 0;
    starts[nl++] = 0;
    for (size_t i = 0; i < s.len && nl <= NAME_LABELS_MAX; i++) {
        if (s.ptr[i] == '.')
            starts[nl++] = i + 1;
    }
    struct nnode *parent = NULL;
    for (int j = nl - 1; j >= 0; j--) {
        struct ch_str suf = ch_str_make(s.ptr + starts[j], s.len - starts[j]);
        n = name_get(ix, suf);
        if (n == NULL) {
            n = ch_calloc(1, sizeof(*n) + suf.len + 1);
            if (n == NULL) {
                name_prune(ix, parent);
                return CH_E_NOMEM;
            }
            memcpy(n->name, suf.ptr, suf.len);
            n->len = (uint16_t)suf.len;
            if (ch_map_put(ix->names, suf, n) != CH_OK) {
                ch_free(n);
                name_prune(ix, parent);
                return CH_E_NOMEM;
            }
            ix_account(ix, 0, sizeof(*n) + suf.len + 1);
            ix->n_name_nodes++;
            ix->name_text += suf.len;
            n->parent = parent;
            if (parent != NULL) {
                n->next = parent->child;
                if (parent->child != NULL)
                    parent->child->prev = n;
                parent->child = n;
            }
        }
        parent = n;
    }
    *ret = n;
    return CH_OK;
}

static int name_insert(struct ch_leaseindex *ix, const struct lname *ln, uint32_t slot)
{
    struct nnode *n = NULL;
    int rc = name_ensure(ix, ch_str_make(ln->text, ln->len), &n);
    if (rc != CH_OK)
        return rc;
    rc = el_add(ix, ln->wild ? &n->wild : &n->exact, slot);
    if (rc != CH_OK)
        name_prune(ix, n);
    return rc;
}

static bool name_remove(struct ch_leaseindex *ix, const struct lname *ln, uint32_t slot)
{
    struct nnode *n = name_get(ix, ch_str_make(ln->text, ln->len));
    if (n == NULL)
        return false;
    bool found = el_del(ix->win, ln->wild ? &n->wild : &n->exact, slot);
    name_prune(ix, n);
    return found;
}

/* Leases covering concrete name s at [qs, qe). */
static void name_point(const struct ch_leaseindex *ix, struct ch_str s, int64_t qs, int64_t qe,
                       struct walk *w)
{
    struct nnode *n = name_get(ix, s);
    if (n != NULL) {
        el_overlap(ix->win, &n->exact, qs, qe, w);
        n = n->parent;
    } else {
        n = name_ancestor(ix, s);
    }
    for (; n != NULL; n = n->parent)
        el_overlap(ix->win, &n->wild, qs, qe, w);
}

/* Leases whose names intersect the lease name ln at [qs, qe). */
static void name_intersect(const struct ch_leaseindex *ix, const struct lname *ln, int64_t qs,
                           int64_t qe, struct walk *w)
{
    struct ch_str s = ch_str_make(ln->text, ln->len);
    if (!ln->wild) {
        name_point(ix, s, qs, qe, w);
        return;
    }
    struct nnode *base = name_get(ix, s);
    struct nnode *anc = base != NULL ? base->parent : name_ancestor(ix, s);
    for (; anc != NULL; anc = anc->parent)
        el_overlap(ix->win, &anc->wild, qs, qe, w);
    if (base == NULL)
        return;
    el_overlap(ix->win, &base->wild, qs, qe, w);
    /* every name strictly below the base, depth first without a stack */
    struct nnode *d = base->child;
    while (d != NULL) {
        el_overlap(ix->win, &d->exact, qs, qe, w);
        el_overlap(ix->win, &d->wild, qs, qe, w);
        if (d->child != NULL) {
            d = d->child;
            continue;
        }
        while (d != NULL && d->next == NULL) {
            d = d->parent;
            if (d == base)
                d = NULL;
        }
        if (d != NULL)
            d = d->next;
    }
}

/* ---- validation ---------------------------------------------------------- */

static int check_prefix(const struct ch_prefix *p, const char *what, size_t i, struct ch_err *err)
{
    char field[64];
    snprintf(field, sizeof(field), "%s[%zu]", what, i);
    if (p->addr.family != CH_IP_V4 && p->addr.family != CH_IP_V6)
        return ch_err_setf(err, CH_E_INVALID, field, "%s: unknown address family %u", field,
                           p->addr.family);
    unsigned bits = ch_ip_bits(p->addr.family);
    if (p->len > bits)
        return ch_err_setf(err, CH_E_INVALID, field, "%s: prefix length %u exceeds %u", field,
                           p->len, bits);
    struct ch_prefix norm;
    struct ch_err ignored = CH_ERR_INIT;
    CH_IGNORE(ch_prefix_make(&p->addr, p->len, &norm, &ignored)); /* length checked above */
    char text[CH_IP_STR_MAX];
    if (!ch_prefix_eq(&norm, p))
        return ch_err_setf(err, CH_E_INVALID, field, "%s: host bits set in '%s'", field,
                           ch_prefix_format(&norm, text));
    unsigned min = p->addr.family == CH_IP_V4 ? CH_LEASE_V4_MIN_LEN : CH_LEASE_V6_MIN_LEN;
    if (p->len < min)
        return ch_err_setf(err, CH_E_INVALID, field,
                           "%s: prefix '%s' is wider than /%u, the widest a lease may name", field,
                           ch_prefix_format(p, text), min);
    if (p->len >= 96 && ch_ip_is_v4mapped(&p->addr))
        return ch_err_setf(err, CH_E_INVALID, field,
                           "%s: IPv4-mapped prefix '%s': give the IPv4 form", field,
                           ch_prefix_format(p, text));
    return CH_OK;
}

static bool ua_token_char(char c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && !ua_delim(c);
}

static int check_name(const struct ch_dnsname *n, size_t i, struct ch_err *err)
{
    char field[64];
    snprintf(field, sizeof(field), "names[%zu]", i);
    bool ok = n->len >= 1 && n->len <= CH_DNS_NAME_MAX && n->text[n->len] == '\0' &&
              n->text[0] != '.' && n->text[n->len - 1] != '.';
    for (size_t j = 0; ok && j < n->len; j++) {
        char c = n->text[j];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    }
    if (!ok)
        return ch_err_setf(err, CH_E_INVALID, field,
                           "%s: not a normalised DNS name (use ch_dnsname_parse)", field);
    return CH_OK;
}

static int check_spec(const struct ch_lease_spec *s, struct ch_err *err)
{
    if (s->mode != CH_LEASE_EXCLUSIVE && s->mode != CH_LEASE_SHARED)
        return ch_err_setf(err, CH_E_INVALID, "mode", "lease %lld: unknown mode %d",
                           (long long)s->id, (int)s->mode);
    if (s->start < CH_COORD_TIME_MIN || s->end > CH_COORD_TIME_MAX)
        return ch_err_setf(err, CH_E_INVALID, "start", "lease %lld: window outside 1970..9999",
                           (long long)s->id);
    if (s->start >= s->end)
        return ch_err_setf(err, CH_E_INVALID, "end",
                           "lease %lld: window end %lld is not after start %lld", (long long)s->id,
                           (long long)s->end, (long long)s->start);
    if (s->n_targets > CH_LEASE_PREFIXES_MAX || s->n_names > CH_LEASE_NAMES_MAX ||
        s->n_sources > CH_LEASE_SOURCES_MAX || s->n_ua_tokens > CH_LEASE_UA_MAX)
        return ch_err_set(err, CH_E_LIMIT,
                          "lease %lld: too many targets (max %d prefixes, %d names) or sources "
                          "(max %d prefixes, %d user-agent tokens)",
                          (long long)s->id, CH_LEASE_PREFIXES_MAX, CH_LEASE_NAMES_MAX,
                          CH_LEASE_SOURCES_MAX, CH_LEASE_UA_MAX);
    if ((s->n_targets > 0 && s->targets == NULL) || (s->n_names > 0 && s->names == NULL) ||
        (s->n_sources > 0 && s->sources == NULL) || (s->n_ua_tokens > 0 && s->ua_tokens == NULL))
        return ch_err_set(err, CH_E_INVALID, "lease %lld: a count without its array",
                          (long long)s->id);
    if (s->n_targets + s->n_names == 0)
        return ch_err_setf(err, CH_E_INVALID, "targets", "lease %lld: no target", (long long)s->id);
    if (s->n_sources + s->n_ua_tokens == 0)
        return ch_err_setf(err, CH_E_INVALID, "sources", "lease %lld: no source", (long long)s->id);
    for (size_t i = 0; i < s->n_targets; i++) {
        int rc = check_prefix(&s->targets[i], "targets", i, err);
        if (rc != CH_OK)
            return rc;
    }
    for (size_t i = 0; i < s->n_sources; i++) {
        int rc = check_prefix(&s->sources[i], "sources", i, err);
        if (rc != CH_OK)
            return rc;
    }
    for (size_t i = 0; i < s->n_names; i++) {
        int rc = check_name(&s->names[i], i, err);
        if (rc != CH_OK)
            return rc;
    }
    for (size_t i = 0; i < s->n_ua_tokens; i++) {
        struct ch_str t = s->ua_tokens[i];
        bool ok = t.len >= 1 && t.len <= CH_LEASE_UA_TOKEN_MAX && t.ptr != NULL;
        for (size_t j = 0; ok && j < t.len; j++)
            ok = ua_token_char(t.ptr[j]);
        if (!ok) {
            char field[64];
            snprintf(field, sizeof(field), "ua_tokens[%zu]", i);
            return ch_err_setf(err, CH_E_INVALID, field,
                               "%s: a user-agent token is 1..%d printable ASCII bytes without "
                               "space, tab, quotes, backslash, '(', ')', ';' or ','",
                               field, CH_LEASE_UA_TOKEN_MAX);
        }
    }
    return CH_OK;
}

/* ---- leases and slots ---------------------------------------------------- */

/* Copies spec into one allocation. */
static int lease_build(const struct ch_lease_spec *s, struct lease **ret)
{
    size_t text = 0;
    for (size_t i = 0; i < s->n_names; i++)
        text += s->names[i].len;
    for (size_t i = 0; i < s->n_ua_tokens; i++)
        text += s->ua_tokens[i].len;
    size_t sz = sizeof(struct lease) + s->n_names * sizeof(struct lname) +
                s->n_ua_tokens * sizeof(struct ch_str) +
                (s->n_targets + s->n_sources) * sizeof(struct ch_prefix) + text;
    /* counts are bounded by the limits, so sz cannot overflow */
    struct lease *l = ch_malloc(sz);
    if (l == NULL)
        return CH_E_NOMEM;
    char *p = (char *)(l + 1);
    l->id = s->id;
    l->mode = (uint8_t)s->mode;
    l->bytes = sz;
    l->n_names = (uint32_t)s->n_names;
    l->n_ua = (uint32_t)s->n_ua_tokens;
    l->n_tgt = (uint32_t)s->n_targets;
    l->n_src = (uint32_t)s->n_sources;
    l->names = (struct lname *)(void *)p;
    p += s->n_names * sizeof(struct lname);
    l->ua = (struct ch_str *)(void *)p;
    p += s->n_ua_tokens * sizeof(struct ch_str);
    l->tgt = (struct ch_prefix *)(void *)p;
    if (s->n_targets > 0)
        memcpy(l->tgt, s->targets, s->n_targets * sizeof(struct ch_prefix));
    p += s->n_targets * sizeof(struct ch_prefix);
    l->src = (struct ch_prefix *)(void *)p;
    if (s->n_sources > 0)
        memcpy(l->src, s->sources, s->n_sources * sizeof(struct ch_prefix));
    p += s->n_sources * sizeof(struct ch_prefix);
    for (size_t i = 0; i < s->n_names; i++) {
        memcpy(p, s->names[i].text, s->names[i].len);
        l->names[i] =
            (struct lname){.text = p, .len = s->names[i].len, .wild = s->names[i].wildcard};
        p += s->names[i].len;
    }
    for (size_t i = 0; i < s->n_ua_tokens; i++) {
        memcpy(p, s->ua_tokens[i].ptr, s->ua_tokens[i].len);
        l->ua[i] = ch_str_make(p, s->ua_tokens[i].len);
        p += s->ua_tokens[i].len;
    }
    *ret = l;
    return CH_OK;
}

static int slot_alloc(struct ch_leaseindex *ix, uint32_t *ret)
{
    if (ix->free_slot != NO_SLOT) {
        uint32_t s = ix->free_slot;
        ix->free_slot = (uint32_t)ix->win[s].end;
        *ret = s;
        return CH_OK;
    }
    if (ix->nslots == ix->capslots) {
        if (ix->capslots >= CH_LEASEINDEX_LEASES_MAX)
            return CH_E_LIMIT;
        uint32_t cap = ix->capslots < 64 ? 64 : ix->capslots * 2;
        struct lease **a = ch_reallocarray(ix->lease, cap, sizeof(*a));
        if (a == NULL)
            return CH_E_NOMEM;
        ix->lease = a;
        struct win *w = ch_reallocarray(ix->win, cap, sizeof(*w));
        if (w == NULL)
            return CH_E_NOMEM; /* the larger lease array is harmless */
        ix->win = w;
        ix_account(ix, (size_t)ix->capslots * (sizeof(*a) + sizeof(*w)),
                   (size_t)cap * (sizeof(*a) + sizeof(*w)));
        ix->capslots = cap;
    }
    *ret = ix->nslots++;
    return CH_OK;
}

static void slot_free(struct ch_leaseindex *ix, uint32_t s)
{
    ix->lease[s] = NULL;
    ix->win[s].start = INT64_MAX;
    ix->win[s].end = ix->free_slot;
    ix->free_slot = s;
}

static int64_t slot_of(const struct ch_leaseindex *ix, int64_t id)
{
    void *v = ch_map_get(ix->by_id, ch_str_make((const char *)&id, sizeof(id)));
    return v == NULL ? -1 : (int64_t)((uintptr_t)v - 1);
}

/* Removes the first n_tgt prefixes and n_names names of lease l (in slot). */
static void unindex(struct ch_leaseindex *ix, const struct lease *l, uint32_t slot, uint32_t n_tgt,
                    uint32_t n_names)
{
    for (uint32_t i = 0; i < n_tgt; i++) {
        const struct ch_prefix *p = &l->tgt[i];
        struct trie *t = trie_for(ix, p->addr.family);
        bool ok = trie_remove(ix, t, key_of(&p->addr), p->len, slot);
        if (ok)
            jump_refresh(ix, t, key_of(&p->addr), p->len);
        (void)CH_ALWAYS(ok);
    }
    for (uint32_t i = 0; i < n_names; i++) {
        bool ok = name_remove(ix, &l->names[i], slot);
        (void)CH_ALWAYS(ok);
    }
    ix->n_prefixes -= n_tgt;
    ix->n_names -= n_names;
}

/* ---- public API ---------------------------------------------------------- */

struct ch_leaseindex *ch_leaseindex_new(void)
{
    struct ch_leaseindex *ix = ch_calloc(1, sizeof(*ix));
    if (ix == NULL)
        return NULL;
    ix->v4.bits = 32;
    ix->v6.bits = 128;
    ix->free_slot = NO_SLOT;
    ix->jump_min = JUMP_MIN_NODES;
    /* Names come from partners: seed the hash from this allocation's address
     * (randomised by ASLR) so that colliding names cannot be precomputed. */
    uint64_t seed = 0x636f6f7264696e78ULL ^ (uint64_t)(uintptr_t)ix;
    ix->by_id = ch_map_new(seed, NULL);
    ix->names = ch_map_new(seed * 0x9e3779b97f4a7c15ULL, NULL);
    if (ix->by_id == NULL || ix->names == NULL) {
        ch_leaseindex_free(ix);
        return NULL;
    }
    ix->bytes = sizeof(*ix);
    return ix;
}

void ch_leaseindex_free(struct ch_leaseindex *ix)
{
    if (ix == NULL)
        return;
    for (uint32_t s = 0; s < ix->nslots; s++)
        ch_free(ix->lease[s]);
    ch_free(ix->lease);
    ch_free(ix->win);
    for (uint32_t i = 1; i < ix->nlists; i++) {
        ch_free(ix->lists[i].slot);
        ch_free(ix->lists[i].maxend);
    }
    ch_free(ix->lists);
    ch_free(ix->v4.nodes);
    ch_free(ix->v6.nodes);
    ch_free(ix->v4.jump);
    ch_free(ix->v6.jump);
    ch_free(ix->v4.anc);
    ch_free(ix->v6.anc);
    if (ix->names != NULL) {
        size_t it = 0;
        struct ch_str k;
        void *v;
        while (ch_map_next(ix->names, &it, &k, &v)) {
            struct nnode *n = v;
            ch_free(n->exact.slot);
            ch_free(n->exact.maxend);
            ch_free(n->wild.slot);
            ch_free(n->wild.maxend);
            ch_free(n);
        }
    }
    ch_map_free(ix->names);
    ch_map_free(ix->by_id);
    ch_free(ix);
}

int ch_leaseindex_insert(struct ch_leaseindex *ix, const struct ch_lease_spec *spec,
                         struct ch_err *err)
{
    int rc = check_spec(spec, err);
    if (rc != CH_OK)
        return rc;
    if (slot_of(ix, spec->id) >= 0)
        return ch_err_setf(err, CH_E_CONFLICT, "id", "lease %lld is already indexed",
                           (long long)spec->id);
    struct lease *l = NULL;
    uint32_t slot = 0, done_tgt = 0, done_names = 0;
    bool have_slot = false, have_id = false;
    rc = lease_build(spec, &l);
    if (rc != CH_OK)
        goto out;
    rc = slot_alloc(ix, &slot);
    if (rc != CH_OK)
        goto out;
    have_slot = true;
    ix->lease[slot] = l;
    ix->win[slot] = (struct win){.start = spec->start, .end = spec->end};
    rc = ch_map_put(ix->by_id, ch_str_make((const char *)&spec->id, sizeof(spec->id)),
                    (void *)(uintptr_t)(slot + 1u));
    if (rc != CH_OK)
        goto out;
    have_id = true;
    for (; done_tgt < l->n_tgt; done_tgt++) {
        const struct ch_prefix *p = &l->tgt[done_tgt];
        struct trie *t = trie_for(ix, p->addr.family);
        rc = trie_insert(ix, t, key_of(&p->addr), p->len, slot);
        jump_refresh(ix, t, key_of(&p->addr), p->len);
        if (rc != CH_OK)
            goto out;
        ix->n_prefixes++;
    }
    for (; done_names < l->n_names; done_names++) {
        rc = name_insert(ix, &l->names[done_names], slot);
        if (rc != CH_OK)
            goto out;
        ix->n_names++;
    }
    ix_account(ix, 0, l->bytes);
    ix->count++;
    return CH_OK;
out:
    if (have_slot) {
        unindex(ix, l, slot, done_tgt, done_names);
        if (have_id)
            (void)CH_ALWAYS(
                ch_map_del(ix->by_id, ch_str_make((const char *)&spec->id, sizeof(spec->id))));
        slot_free(ix, slot);
    }
    ch_free(l);
    if (rc == CH_E_LIMIT)
        return ch_err_set(err, rc, "lease %lld: the index is full", (long long)spec->id);
    return ch_err_set(err, rc, "lease %lld: out of memory", (long long)spec->id);
}

int ch_leaseindex_remove(struct ch_leaseindex *ix, int64_t id, struct ch_err *err)
{
    int64_t s = slot_of(ix, id);
    if (s < 0)
        return ch_err_setf(err, CH_E_NOTFOUND, "id", "lease %lld is not indexed", (long long)id);
    uint32_t slot = (uint32_t)s;
    struct lease *l = ix->lease[slot];
    unindex(ix, l, slot, l->n_tgt, l->n_names);
    (void)CH_ALWAYS(ch_map_del(ix->by_id, ch_str_make((const char *)&id, sizeof(id))));
    ix_account(ix, l->bytes, 0);
    ch_free(l);
    slot_free(ix, slot);
    ix->count--;
    return CH_OK;
}

int ch_leaseindex_has(const struct ch_leaseindex *ix, int64_t id)
{
    return slot_of(ix, id) >= 0;
}

/* Validates q and sets up the walk that collects its answer into out. */
static int query_begin(const struct ch_leaseindex *ix, const struct ch_coord_query *q,
                       struct ch_lease_hits *out, struct walk *w, struct ch_err *err)
{
    out->n = 0;
    if (q->t < CH_COORD_TIME_MIN || q->t >= CH_COORD_TIME_MAX)
        return ch_err_setf(err, CH_E_INVALID, "t", "query time %lld outside 1970..9999",
                           (long long)q->t);
    *w = (struct walk){.ix = ix, .kind = WALK_QUERY, .src_kind = q->src_kind, .out = out};
    switch (q->src_kind) {
    case CH_COORD_SRC_ANY:
        break;
    case CH_COORD_SRC_ADDR:
        if (q->src_addr.family != CH_IP_V4 && q->src_addr.family != CH_IP_V6)
            return ch_err_setf(err, CH_E_INVALID, "source", "query source: unknown family");
        w->src = ch_ip_unmap(&q->src_addr);
        break;
    case CH_COORD_SRC_UA:
        if (q->src_ua.len > CH_COORD_UA_MAX)
            return ch_err_setf(err, CH_E_LIMIT, "source", "query user agent longer than %d bytes",
                               CH_COORD_UA_MAX);
        if (q->src_ua.len > 0 && q->src_ua.ptr == NULL)
            return ch_err_setf(err, CH_E_INVALID, "source", "query user agent without bytes");
        w->ua = q->src_ua;
        break;
    default:
        return ch_err_setf(err, CH_E_INVALID, "source", "query: unknown source kind %d",
                           (int)q->src_kind);
    }
    if (q->tgt_kind == CH_COORD_TGT_ADDR) {
        if (q->tgt_addr.family != CH_IP_V4 && q->tgt_addr.family != CH_IP_V6)
            return ch_err_setf(err, CH_E_INVALID, "target", "query target: unknown family");
    } else if (q->tgt_kind == CH_COORD_TGT_NAME) {
        const struct ch_dnsname *n = q->tgt_name;
        if (n == NULL || n->wildcard || n->len == 0 || n->len > CH_DNS_NAME_MAX)
            return ch_err_setf(err, CH_E_INVALID, "target",
                               "query target: a concrete DNS name is needed, not a wildcard");
    } else {
        return ch_err_setf(err, CH_E_INVALID, "target", "query: unknown target kind %d",
                           (int)q->tgt_kind);
    }
    return CH_OK;
}

static int query_end(struct walk *w, struct ch_err *err)
{
    if (w->rc != CH_OK) {
        w->out->n = 0;
        return ch_err_set(err, w->rc, "query: out of memory");
    }
    hits_finish(w->out);
    return CH_OK;
}

int ch_leaseindex_query(const struct ch_leaseindex *ix, const struct ch_coord_query *q,
                        struct ch_lease_hits *out, struct ch_err *err)
{
    struct walk w;
    int rc = query_begin(ix, q, out, &w, err);
    if (rc != CH_OK)
        return rc;
    if (q->tgt_kind == CH_COORD_TGT_ADDR) {
        struct ch_ipaddr a = ch_ip_unmap(&q->tgt_addr);
        const struct trie *t = a.family == CH_IP_V4 ? &ix->v4 : &ix->v6;
        trie_point(ix, t, key_of(&a), q->t, &w);
    } else {
        const struct ch_dnsname *n = q->tgt_name;
        name_point(ix, ch_str_make(n->text, n->len), q->t, q->t + 1, &w);
    }
    return query_end(&w, err);
}

/* Queries walked side by side, and trie nodes with entries remembered per
 * query before falling back to a plain walk. */
#define BATCH_WIDTH 16
#define BATCH_NODES 8

struct lane {
    const struct trie *t;
    struct key k;
    uint32_t i;                /* next node, 0 when done */
    uint32_t ent[BATCH_NODES]; /* entries of matching nodes, root first */
    int n_ent;                 /* > BATCH_NODES: overflowed, walk again */
};

/* Advances every lane one node per round, prefetching the next node of each:
 * the lanes' cache misses overlap instead of following one another. */
static void batch_descend(struct lane *ln, size_t m)
{
    size_t active = m;
    while (active > 0) {
        active = 0;
        for (size_t j = 0; j < m; j++) {
            struct lane *l = &ln[j];
            if (l->i == 0)
                continue;
            const struct tnode *n = &l->t->nodes[l->i];
            if (key_cpl(l->k, n, n->len) < n->len) {
                l->i = 0;
                continue;
            }
            if (n->ent != 0) {
                if (l->n_ent < BATCH_NODES)
                    l->ent[l->n_ent] = n->ent;
                l->n_ent++;
            }
            l->i = n->len >= l->t->bits ? 0 : n->child[key_bit(l->k, n->len)];
            if (l->i != 0) {
                __builtin_prefetch(&l->t->nodes[l->i]);
                active++;
            }
        }
    }
}

int ch_leaseindex_query_batch(const struct ch_leaseindex *ix, const struct ch_coord_query *qs,
                              size_t n, struct ch_lease_hits *outs, struct ch_err *err)
{
    for (size_t base = 0; base < n; base += BATCH_WIDTH) {
        size_t m = n - base < BATCH_WIDTH ? n - base : BATCH_WIDTH;
        struct lane ln[BATCH_WIDTH];
        for (size_t j = 0; j < m; j++) {
            const struct ch_coord_query *q = &qs[base + j];
            ln[j] = (struct lane){.i = 0};
            if (q->tgt_kind != CH_COORD_TGT_ADDR ||
                (q->tgt_addr.family != CH_IP_V4 && q->tgt_addr.family != CH_IP_V6))
                continue; /* answered by ch_leaseindex_query() below */
            struct ch_ipaddr a = ch_ip_unmap(&q->tgt_addr);
            ln[j].t = a.family == CH_IP_V4 ? &ix->v4 : &ix->v6;
            ln[j].k = key_of(&a);
            const uint32_t *anc;
            ln[j].i = jump_start(ln[j].t, ln[j].k, &anc);
            for (; anc != NULL && *anc != 0; anc++) {
                if (ln[j].n_ent < BATCH_NODES)
                    ln[j].ent[ln[j].n_ent] = ln[j].t->nodes[*anc].ent;
                ln[j].n_ent++;
            }
            if (ln[j].i != 0)
                __builtin_prefetch(&ln[j].t->nodes[ln[j].i]);
        }
        batch_descend(ln, m);
        for (size_t j = 0; j < m; j++) {
            const struct ch_coord_query *q = &qs[base + j];
            int rc;
            if (q->tgt_kind != CH_COORD_TGT_ADDR || ln[j].n_ent > BATCH_NODES) {
                rc = ch_leaseindex_query(ix, q, &outs[base + j], err);
            } else {
                struct walk w;
                rc = query_begin(ix, q, &outs[base + j], &w, err);
                for (int e = 0; rc == CH_OK && e < ln[j].n_ent; e++)
                    ent_overlap(ix, ln[j].ent[e], q->t, q->t + 1, &w);
                if (rc == CH_OK)
                    rc = query_end(&w, err);
            }
            if (rc != CH_OK)
                return ch_err_prefix(err, "query %zu of the batch", base + j);
        }
    }
    return CH_OK;
}

int ch_leaseindex_conflicts(const struct ch_leaseindex *ix, const struct ch_lease_spec *spec,
                            struct ch_lease_hits *out, struct ch_err *err)
{
    out->n = 0;
    int rc = check_spec(spec, err);
    if (rc != CH_OK)
        return rc;
    struct walk w = {.ix = ix,
                     .kind = WALK_CONFLICT,
                     .self_id = spec->id,
                     .mode = (uint8_t)spec->mode,
                     .out = out};
    for (size_t i = 0; i < spec->n_targets && w.rc == CH_OK; i++) {
        const struct ch_prefix *p = &spec->targets[i];
        const struct trie *t = p->addr.family == CH_IP_V4 ? &ix->v4 : &ix->v6;
        trie_intersect(ix, t, key_of(&p->addr), p->len, spec->start, spec->end, &w);
    }
    for (size_t i = 0; i < spec->n_names && w.rc == CH_OK; i++) {
        const struct ch_dnsname *n = &spec->names[i];
        struct lname ln = {.text = n->text, .len = n->len, .wild = n->wildcard};
        name_intersect(ix, &ln, spec->start, spec->end, &w);
    }
    if (w.rc != CH_OK) {
        out->n = 0;
        return ch_err_set(err, w.rc, "lease %lld: conflict check out of memory",
                          (long long)spec->id);
    }
    hits_finish(out);
    return CH_OK;
}

int ch_leaseindex_compact(struct ch_leaseindex *ix, struct ch_err *err)
{
    int rc = trie_compact(ix, &ix->v4);
    if (rc == CH_OK)
        rc = trie_compact(ix, &ix->v6);
    if (rc != CH_OK)
        return ch_err_set(err, rc, "compacting the lease index: out of memory");
    return CH_OK;
}

void ch_leaseindex_set_jump_threshold(struct ch_leaseindex *ix, uint32_t nodes)
{
    ix->jump_min = nodes > 0 ? nodes : 1;
}

size_t ch_leaseindex_count(const struct ch_leaseindex *ix)
{
    return ix->count;
}

/* Bytes of a ch_map with n keys of key_len bytes: slots of 32 bytes at a
 * load of 1/2..1/4 after growth, and one small allocation per key. An
 * estimate: map.h does not expose its capacity. */
static size_t map_bytes(size_t n, size_t key_len)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    return cap * 32 + n * ((key_len + 1 + 15) / 16 * 16 + 16);
}

void ch_leaseindex_stats(const struct ch_leaseindex *ix, struct ch_leaseindex_stats *ret)
{
    size_t name_key = ix->n_name_nodes == 0 ? 0 : ix->name_text / ix->n_name_nodes;
    *ret = (struct ch_leaseindex_stats){
        .leases = ix->count,
        .prefixes = ix->n_prefixes,
        .names = ix->n_names,
        .trie_nodes = ix->v4.live + ix->v6.live,
        .name_nodes = ix->n_name_nodes,
        .bytes = ix->bytes + map_bytes(ix->count, sizeof(int64_t)) +
                 map_bytes(ix->n_name_nodes, name_key),
    };
}
