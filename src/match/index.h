/* SPDX-License-Identifier: Apache-2.0
 *
 * index.h: the matching index. Built once per process from the knowledge
 * base, it holds every affected entry of every advisory that is not
 * withdrawn, keyed by (ecosystem, normalised package name), with its ranges
 * parsed and its version order resolved. Matching a component is one hash
 * probe plus range checks: no SQL per component (DESIGN.md §6).
 *
 * Ecosystem keys: an advisory's "Debian:12" and a component of Debian with
 * release 12 meet as "Debian:12"; Ubuntu's ":LTS"/"Pro:" markers are
 * dropped; Alpine releases are "vMAJOR.MINOR". A component whose release
 * has no advisories is also looked up under the bare ecosystem.
 *
 * Lifetime: the index is immutable after build and may be shared by
 * threads; hits point into it (and into the caller's arena for fixes).
 */
#ifndef CH_MATCH_INDEX_H
#define CH_MATCH_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

struct ch_match_index;

struct ch_match_build_stats {
    size_t entries;         /* affected entries indexed */
    size_t packages;        /* distinct (ecosystem, name) keys */
    size_t skipped;         /* entries that could not be indexed (bad ranges) */
    size_t bytes;           /* memory held by the index */
    double seconds;
};

/*
 * The ecosystem part of an index key, appended to b: an advisory's
 * ecosystem with Ubuntu's release markers folded ("Ubuntu:Pro:22.04:LTS" →
 * "Ubuntu:22.04"), and a component's ecosystem with its release ("Debian",
 * "12" → "Debian:12"; Alpine "3.19.1" → "Alpine:v3.19"). The remediation
 * engine's reverse index uses the same keys.
 */
void ch_match_key_index(struct ch_buf *b, const char *eco);
void ch_match_key_component(struct ch_buf *b, const char *eco, const char *release);

int ch_match_index_build(struct ch_store *s, struct ch_match_index **ret,
                         struct ch_match_build_stats *ret_stats, struct ch_err *err) CH_MUST_CHECK;
void ch_match_index_free(struct ch_match_index *ix);

/*
 * An index that starts empty and takes a package's entries from the store
 * (one indexed query per package key) when ch_match_index_load() is first
 * asked about a component of it: for work that touches a few packages (a
 * new advisory, one inventory), where building the whole index would cost
 * more than the work. Matching is then the same as with a built index. A
 * lazy index grows, so it is not shared between threads; s must outlive it.
 */
int ch_match_index_new_lazy(struct ch_store *s, struct ch_match_index **ret,
                            struct ch_err *err) CH_MUST_CHECK;

struct ch_match_component {
    const char *ecosystem;       /* OSV ecosystem without release ("Debian", "PyPI") */
    const char *release;         /* "12", "3.19.1", or NULL */
    const char *name;
    const char *version;
    const char *source_name;     /* dpkg source package: Debian advisories name these */
    const char *source_version;
};

struct ch_match_hit {
    int64_t vuln_id;
    int64_t advisory_id;
    const char *advisory;        /* the advisory's own id (borrowed from the index) */
    const char *ecosystem;       /* as the advisory wrote it (borrowed) */
    const char *fixed;           /* smallest fixed version above the component's, or NULL */
};

/*
 * Matches one component. Hits (one per advisory whose ranges include the
 * version) are allocated in arena; *ret_n may be 0. Components without an
 * ecosystem, name or version match nothing. A version the ecosystem's order
 * cannot read is counted in *ret_unreadable (may be NULL) and matches nothing.
 */
int ch_match_component(const struct ch_match_index *ix, const struct ch_match_component *c,
                       struct ch_arena *arena, struct ch_match_hit **ret_hits, size_t *ret_n,
                       size_t *ret_unreadable, struct ch_err *err) CH_MUST_CHECK;

/*
 * Makes sure a lazy index holds the packages c may match (its key, and the
 * key without release); does nothing for a built index.
 */
int ch_match_index_load(struct ch_match_index *ix, const struct ch_match_component *c,
                        struct ch_err *err) CH_MUST_CHECK;

/*
 * Self-check of the fast path: for every package, every version any of its
 * entries names (and every such version's neighbours) is evaluated by the
 * fast path and by ch_osv_is_affected(); *ret_mismatches counts disagreements
 * (the first one is described in first, which may be NULL).
 */
int ch_match_index_check(const struct ch_match_index *ix, size_t *ret_checked,
                         size_t *ret_mismatches, char *first, size_t first_size,
                         struct ch_err *err) CH_MUST_CHECK;

/* Compares two versions in the ecosystem's order (for choosing the largest fix). */
int ch_match_version_cmp(const char *ecosystem, const char *a, const char *b, int *ret,
                         struct ch_err *err) CH_MUST_CHECK;

#endif
