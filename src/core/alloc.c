/* SPDX-License-Identifier: Apache-2.0
 *
 * alloc.c: allocation wrapper with a replaceable backend and a fault
 * injector for out-of-memory tests (see alloc.h).
 */
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

/* Process-wide by design, like malloc: see alloc.h. */
static struct ch_allocator current = {malloc, realloc, free};
static long fault_countdown = -1; /* -1: injection off */
static long fault_hits;

void ch_alloc_set(const struct ch_allocator *a)
{
    if (a == NULL) {
        current = (struct ch_allocator){malloc, realloc, free};
        return;
    }
    current = *a;
}

void ch_alloc_fault_enable(long n)
{
    fault_countdown = n;
    fault_hits = 0;
}

void ch_alloc_fault_disable(void)
{
    fault_countdown = -1;
}

long ch_alloc_fault_hits(void)
{
    return fault_hits;
}

static int fault_now(void)
{
    if (fault_countdown < 0)
        return 0;
    if (fault_countdown == 0) {
        fault_hits++;
        return 1;
    }
    fault_countdown--;
    return 0;
}

void *ch_malloc(size_t size)
{
    if (fault_now())
        return NULL;
    return current.malloc_fn(size == 0 ? 1 : size);
}

void *ch_calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    void *p = ch_malloc(total);
    if (p != NULL)
        memset(p, 0, total);
    return p;
}

void *ch_realloc(void *ptr, size_t size)
{
    if (fault_now())
        return NULL;
    return current.realloc_fn(ptr, size == 0 ? 1 : size);
}

void *ch_reallocarray(void *ptr, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    return ch_realloc(ptr, total);
}

void ch_free(void *ptr)
{
    if (ptr != NULL)
        current.free_fn(ptr);
}

char *ch_strndup(const char *s, size_t len)
{
    if (len == (size_t)-1)
        return NULL;
    char *p = ch_malloc(len + 1);
    if (p == NULL)
        return NULL;
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *ch_strdup(const char *s)
{
    return ch_strndup(s, strlen(s));
}

void *ch_memdup(const void *src, size_t len)
{
    void *p = ch_malloc(len);
    if (p != NULL && len > 0)
        memcpy(p, src, len);
    return p;
}
