/* SPDX-License-Identifier: Apache-2.0
 *
 * alloc.h: the only way project code allocates memory.
 *
 * The allocator is swappable, as libuv's uv_replace_allocator() is, so that
 * tests can fail the Nth allocation and prove every constructor returns
 * CH_E_NOMEM without leaking. The hooks are process-wide by nature (like
 * malloc itself); replace them only before other threads start.
 *
 * Failure is an ordinary value: these return NULL and callers report
 * CH_E_NOMEM. Only main() may decide to exit on it.
 */
#ifndef CH_CORE_ALLOC_H
#define CH_CORE_ALLOC_H

#include <stddef.h>

struct ch_allocator {
    void *(*malloc_fn)(size_t size);
    void *(*realloc_fn)(void *ptr, size_t size);
    void (*free_fn)(void *ptr);
};

/* Replaces the allocator; NULL restores libc's. Call before threads start. */
void ch_alloc_set(const struct ch_allocator *a);

void *ch_malloc(size_t size);
void *ch_calloc(size_t n, size_t size);     /* NULL also on n*size overflow */
void *ch_realloc(void *ptr, size_t size);
void *ch_reallocarray(void *ptr, size_t n, size_t size); /* NULL on overflow */
void ch_free(void *ptr);                    /* NULL-safe */

/* Owned NUL-terminated copy of s / of the first len bytes of s (+NUL). */
char *ch_strdup(const char *s);
char *ch_strndup(const char *s, size_t len);
void *ch_memdup(const void *p, size_t len);

/*
 * Fault injection for tests: after `n` more successful allocations, every
 * allocation fails until ch_alloc_fault_disable(). Counts only allocations
 * made through this module. Not thread-safe; for single-threaded tests.
 */
void ch_alloc_fault_enable(long n);
void ch_alloc_fault_disable(void);
/* Number of allocations that failed because of fault injection so far. */
long ch_alloc_fault_hits(void);

#endif
