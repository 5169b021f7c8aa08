/* SPDX-License-Identifier: Apache-2.0
 *
 * arena.h: bump allocator for memory that lives exactly as long as one request,
 * one job or one parsed document. Everything allocated from an arena is freed
 * at once by ch_arena_free() or ch_arena_reset(); never ch_free() arena memory.
 *
 * An arena has a byte limit so that a hostile input cannot make one request
 * consume the machine: allocation past it returns NULL (callers report
 * CH_E_LIMIT or CH_E_NOMEM). Not thread-safe: one owner at a time.
 */
#ifndef CH_CORE_ARENA_H
#define CH_CORE_ARENA_H

#include <stddef.h>

#include "core/str.h"

struct ch_arena;

/* New arena that may hand out at most max_bytes in total. NULL on OOM. */
struct ch_arena *ch_arena_new(size_t max_bytes);
void ch_arena_free(struct ch_arena *a);
/* Releases every allocation but keeps the first block for reuse. */
void ch_arena_reset(struct ch_arena *a);

/* Memory aligned for any scalar type; NULL when out of memory or over the limit. */
void *ch_arena_alloc(struct ch_arena *a, size_t size);
void *ch_arena_calloc(struct ch_arena *a, size_t n, size_t size);
char *ch_arena_strndup(struct ch_arena *a, const char *s, size_t len);
char *ch_arena_strdup(struct ch_arena *a, const char *s);
/* NUL-terminated arena copy of a view. */
char *ch_arena_str(struct ch_arena *a, struct ch_str s);
char *ch_arena_printf(struct ch_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes handed out so far. */
size_t ch_arena_used(const struct ch_arena *a);

#endif
