/* SPDX-License-Identifier: Apache-2.0
 *
 * inventory.h: the component list that inventory readers (sbom.h) fill and
 * the matching engine reads: what software a system runs, each entry named
 * the way OSV names it, with where it was found.
 *
 * An inventory is owned by the caller (ch_inventory_new / ch_inventory_free).
 * It owns an arena for every string of its components and skipped entries,
 * so adding copies the strings in and nothing is freed one by one. Entries
 * are kept in insertion order; pointers returned by the getters stay valid
 * until ch_inventory_free() (the component array may move when it grows, so
 * do not keep a `const struct ch_component *` across ch_inventory_add()).
 *
 * Limits (components, skipped entries, string bytes) are fixed at creation;
 * reaching one gives CH_E_LIMIT, never a silent truncation. Not thread-safe.
 */
#ifndef CH_SBOM_INVENTORY_H
#define CH_SBOM_INVENTORY_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

/* A large container image lists ~5,000 packages, a monorepo lockfile ~20,000. */
#define CH_INVENTORY_DEFAULT_MAX_COMPONENTS ((size_t)200000)
/* Skipped lines are reported, but a hostile file must not make the report huge. */
#define CH_INVENTORY_DEFAULT_MAX_SKIPPED ((size_t)10000)
/* Strings of all components: ~200 bytes each at the component limit. */
#define CH_INVENTORY_DEFAULT_MAX_BYTES ((size_t)256 << 20)

struct ch_inventory_limits {
    size_t max_components;
    size_t max_skipped;
    size_t max_bytes;
};

/*
 * One piece of software found. Every string is NUL-terminated and owned by
 * the inventory; optional ones are NULL when absent.
 */
struct ch_component {
    const char *ecosystem;   /* OSV ecosystem ("npm", "PyPI", "Debian"), NULL if unknown */
    const char *release;     /* distribution release ("12" for Debian:12), or NULL */
    const char *name;        /* OSV name convention when ecosystem is set, else as found */
    const char *version;     /* as found, or NULL */
    const char *purl;        /* canonical package URL, or NULL */
    const char *cpe;         /* CPE 2.2 or 2.3 string, or NULL */
    const char *ref;         /* bom-ref / SPDX id within the document, or NULL */
    const char *source_name;    /* dpkg source package, or NULL */
    const char *source_version; /* dpkg source version, or NULL */
    const char *file;        /* the input it came from (file name or label) */
    const char *location;    /* JSON path ("components[2].components[0]") or "line 12" */
};

/* Something a reader saw and did not turn into a component, and why. */
struct ch_inventory_skip {
    const char *file;
    const char *location;    /* or NULL */
    const char *reason;
};

struct ch_inventory;

/* limits may be NULL (defaults); zero members take the defaults. */
int ch_inventory_new(const struct ch_inventory_limits *limits, struct ch_inventory **ret,
                     struct ch_err *err) CH_MUST_CHECK;
void ch_inventory_free(struct ch_inventory *inv);

/* Copies c (all strings) into the inventory. c->name is required. */
int ch_inventory_add(struct ch_inventory *inv, const struct ch_component *c,
                     struct ch_err *err) CH_MUST_CHECK;

/*
 * Records a skipped entry. Past max_skipped entries only the count grows
 * (ch_inventory_n_skipped_total), so skipping never fails on a limit; it
 * fails only when out of memory.
 */
int ch_inventory_skip(struct ch_inventory *inv, const char *file, const char *location,
                      const char *reason, struct ch_err *err) CH_MUST_CHECK;

size_t ch_inventory_count(const struct ch_inventory *inv);
/* The i-th component (i < count); valid until the next add or free. */
const struct ch_component *ch_inventory_get(const struct ch_inventory *inv, size_t i);

/* Stored skipped entries, and the total including those past the limit. */
size_t ch_inventory_n_skipped(const struct ch_inventory *inv);
size_t ch_inventory_n_skipped_total(const struct ch_inventory *inv);
const struct ch_inventory_skip *ch_inventory_skipped(const struct ch_inventory *inv, size_t i);

/*
 * The inventory's arena, for readers that build strings which the inventory
 * keeps anyway (they are copied by add, so scratch use is also fine).
 */
struct ch_arena *ch_inventory_arena(struct ch_inventory *inv);

#endif
