/* SPDX-License-Identifier: Apache-2.0
 *
 * inventory.c: the component list. Components live in one growable array
 * (doubling, bounded by max_components); their strings in an arena bounded
 * by max_bytes, so freeing the inventory is two frees.
 */
#include "sbom/inventory.h"

#include "core/alloc.h"

struct ch_inventory {
    struct ch_arena *arena;
    struct ch_component *items;
    size_t n_items;
    size_t cap_items;
    struct ch_inventory_skip *skips;
    size_t n_skips;
    size_t cap_skips;
    size_t n_skips_total;
    struct ch_inventory_limits limits;
};

int ch_inventory_new(const struct ch_inventory_limits *limits, struct ch_inventory **ret,
                     struct ch_err *err)
{
    struct ch_inventory_limits l = limits == NULL ? (struct ch_inventory_limits){0} : *limits;
    if (l.max_components == 0)
        l.max_components = CH_INVENTORY_DEFAULT_MAX_COMPONENTS;
    if (l.max_skipped == 0)
        l.max_skipped = CH_INVENTORY_DEFAULT_MAX_SKIPPED;
    if (l.max_bytes == 0)
        l.max_bytes = CH_INVENTORY_DEFAULT_MAX_BYTES;
    struct ch_inventory *inv = ch_calloc(1, sizeof(*inv));
    if (inv == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    inv->limits = l;
    inv->arena = ch_arena_new(l.max_bytes);
    if (inv->arena == NULL) {
        ch_free(inv);
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    }
    *ret = inv;
    return CH_OK;
}

void ch_inventory_free(struct ch_inventory *inv)
{
    if (inv == NULL)
        return;
    ch_arena_free(inv->arena);
    ch_free(inv->items);
    ch_free(inv->skips);
    ch_free(inv);
}

/* Arena copy of an optional string; false when the copy failed. */
static bool copy_opt(struct ch_arena *a, const char *s, const char **ret)
{
    if (s == NULL) {
        *ret = NULL;
        return true;
    }
    *ret = ch_arena_strdup(a, s);
    return *ret != NULL;
}

static int arena_full(const struct ch_inventory *inv, struct ch_err *err)
{
    /* The arena fails on its byte limit or on a failed block allocation; the
     * limit is far above what one more string needs, so tell them apart by use. */
    if (ch_arena_used(inv->arena) + 65536 >= inv->limits.max_bytes)
        return ch_err_set(err, CH_E_LIMIT, "inventory strings exceed %zu bytes",
                          inv->limits.max_bytes);
    return ch_err_set(err, CH_E_NOMEM, "out of memory");
}

static int grow(void **items, size_t *cap, size_t elem, struct ch_err *err)
{
    size_t ncap = *cap == 0 ? 64 : *cap * 2;
    void *n = ch_reallocarray(*items, ncap, elem);
    if (n == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    *items = n;
    *cap = ncap;
    return CH_OK;
}

int ch_inventory_add(struct ch_inventory *inv, const struct ch_component *c, struct ch_err *err)
{
    if (c->name == NULL || c->name[0] == '\0')
        return ch_err_set(err, CH_E_INVALID, "component without a name");
    if (inv->n_items >= inv->limits.max_components)
        return ch_err_set(err, CH_E_LIMIT, "inventory has more than %zu components",
                          inv->limits.max_components);
    if (inv->n_items == inv->cap_items) {
        int rc = grow((void **)&inv->items, &inv->cap_items, sizeof(*inv->items), err);
        if (rc != CH_OK)
            return rc;
    }
    struct ch_component d;
    struct ch_arena *a = inv->arena;
    bool ok = copy_opt(a, c->ecosystem, &d.ecosystem) && copy_opt(a, c->release, &d.release) &&
              copy_opt(a, c->name, &d.name) && copy_opt(a, c->version, &d.version) &&
              copy_opt(a, c->purl, &d.purl) && copy_opt(a, c->cpe, &d.cpe) &&
              copy_opt(a, c->ref, &d.ref) && copy_opt(a, c->source_name, &d.source_name) &&
              copy_opt(a, c->source_version, &d.source_version) &&
              copy_opt(a, c->file, &d.file) && copy_opt(a, c->location, &d.location);
    if (!ok)
        return arena_full(inv, err);
    inv->items[inv->n_items++] = d;
    return CH_OK;
}

int ch_inventory_skip(struct ch_inventory *inv, const char *file, const char *location,
                      const char *reason, struct ch_err *err)
{
    if (inv->n_skips >= inv->limits.max_skipped) {
        inv->n_skips_total++;
        return CH_OK;
    }
    if (inv->n_skips == inv->cap_skips) {
        int rc = grow((void **)&inv->skips, &inv->cap_skips, sizeof(*inv->skips), err);
        if (rc != CH_OK)
            return rc;
    }
    struct ch_inventory_skip s;
    if (!copy_opt(inv->arena, file, &s.file) || !copy_opt(inv->arena, location, &s.location) ||
        !copy_opt(inv->arena, reason, &s.reason))
        return arena_full(inv, err);
    inv->skips[inv->n_skips++] = s;
    inv->n_skips_total++;
    return CH_OK;
}

size_t ch_inventory_count(const struct ch_inventory *inv)
{
    return inv->n_items;
}

const struct ch_component *ch_inventory_get(const struct ch_inventory *inv, size_t i)
{
    return i < inv->n_items ? &inv->items[i] : NULL;
}

size_t ch_inventory_n_skipped(const struct ch_inventory *inv)
{
    return inv->n_skips;
}

size_t ch_inventory_n_skipped_total(const struct ch_inventory *inv)
{
    return inv->n_skips_total;
}

const struct ch_inventory_skip *ch_inventory_skipped(const struct ch_inventory *inv, size_t i)
{
    return i < inv->n_skips ? &inv->skips[i] : NULL;
}

struct ch_arena *ch_inventory_arena(struct ch_inventory *inv)
{
    return inv->arena;
}
