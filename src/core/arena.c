/* SPDX-License-Identifier: Apache-2.0
 *
 * arena.c: a list of blocks; allocations bump a pointer in the newest block.
 * Requests larger than a quarter block get a block of their own so that the
 * tail of the current block is not wasted.
 */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

#define ARENA_BLOCK_SIZE 8192
#define ARENA_ALIGN 16

struct block {
    struct block *next;
    size_t cap;
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct ch_arena {
    struct block *head;
    size_t used_total;
    size_t max_bytes;
};

struct ch_arena *ch_arena_new(size_t max_bytes)
{
    struct ch_arena *a = ch_calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->max_bytes = max_bytes;
    return a;
}

static void free_blocks(struct block *b)
{
    while (b != NULL) {
        struct block *next = b->next;
        ch_free(b);
        b = next;
    }
}

void ch_arena_free(struct ch_arena *a)
{
    if (a == NULL)
        return;
    free_blocks(a->head);
    ch_free(a);
}

void ch_arena_reset(struct ch_arena *a)
{
    if (a->head == NULL)
        return;
    /* keep the last block of the list: it is the oldest, of standard size */
    struct block *keep = a->head;
    struct block *prev = NULL;
    while (keep->next != NULL) {
        prev = keep;
        keep = keep->next;
    }
    if (prev != NULL) {
        prev->next = NULL;
        free_blocks(a->head);
    }
    keep->used = 0;
    a->head = keep;
    a->used_total = 0;
}

static struct block *new_block(size_t cap)
{
    if (cap > SIZE_MAX - sizeof(struct block))
        return NULL;
    struct block *b = ch_malloc(sizeof(struct block) + cap);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

void *ch_arena_alloc(struct ch_arena *a, size_t size)
{
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded < size || rounded > a->max_bytes - a->used_total || a->used_total > a->max_bytes)
        return NULL;
    struct block *b = a->head;
    if (b == NULL || b->cap - b->used < rounded) {
        if (rounded > ARENA_BLOCK_SIZE / 4) {
            struct block *big = new_block(rounded);
            if (big == NULL)
                return NULL;
            /* insert behind the head so the head's free tail stays usable */
            if (b == NULL) {
                a->head = big;
            } else {
                big->next = b->next;
                b->next = big;
            }
            big->used = rounded;
            a->used_total += rounded;
            return big->data;
        }
        b = new_block(ARENA_BLOCK_SIZE);
        if (b == NULL)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    a->used_total += rounded;
    return p;
}

void *ch_arena_calloc(struct ch_arena *a, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    void *p = ch_arena_alloc(a, total);
    if (p != NULL)
        memset(p, 0, total);
    return p;
}

char *ch_arena_strndup(struct ch_arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = ch_arena_alloc(a, len + 1);
    if (p == NULL)
        return NULL;
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *ch_arena_strdup(struct ch_arena *a, const char *s)
{
    return ch_arena_strndup(a, s, strlen(s));
}

char *ch_arena_str(struct ch_arena *a, struct ch_str s)
{
    return ch_arena_strndup(a, s.ptr, s.len);
}

char *ch_arena_printf(struct ch_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = ch_arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t ch_arena_used(const struct ch_arena *a)
{
    return a->used_total;
}
