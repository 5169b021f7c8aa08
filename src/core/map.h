/* SPDX-License-Identifier: Apache-2.0
 *
 * map.h: hash map from byte-string keys to pointers.
 *
 * Open addressing with linear probing and tombstones; capacity is a power of
 * two and the load factor stays at or below 3/4. The map copies keys (it owns
 * them); values are borrowed unless a free function is given at creation, in
 * which case the map owns them and frees them on replace, delete and free.
 *
 * The hash is seeded so that keys chosen by an attacker cannot be crafted to
 * collide without knowing the seed; tests pass a fixed seed for determinism.
 * Not thread-safe; a map that is only read may be shared.
 */
#ifndef CH_CORE_MAP_H
#define CH_CORE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct ch_map;

typedef void (*ch_map_free_fn)(void *value);

/* NULL on OOM. value_free may be NULL (values borrowed). */
struct ch_map *ch_map_new(uint64_t seed, ch_map_free_fn value_free);
void ch_map_free(struct ch_map *m);

/*
 * Inserts or replaces. On replace, the old value is freed if the map owns
 * values. Returns CH_OK or CH_E_NOMEM (map unchanged; an owned value is NOT
 * freed on failure, it stays the caller's).
 */
int ch_map_put(struct ch_map *m, struct ch_str key, void *value) CH_MUST_CHECK;
/* The value for key, or NULL. Pointer valid until the entry changes. */
void *ch_map_get(const struct ch_map *m, struct ch_str key);
bool ch_map_has(const struct ch_map *m, struct ch_str key);
/* Removes key (freeing an owned value); returns true if it was present. */
bool ch_map_del(struct ch_map *m, struct ch_str key);
size_t ch_map_count(const struct ch_map *m);

/*
 * Iteration: `size_t it = 0; while (ch_map_next(m, &it, &k, &v)) ...`.
 * Order is unspecified. The map must not change during iteration.
 */
bool ch_map_next(const struct ch_map *m, size_t *it, struct ch_str *ret_key, void **ret_value);

/* The seeded 64-bit hash the map uses; also handy for other tables. */
uint64_t ch_hash64(const void *data, size_t len, uint64_t seed);

#endif
