/* SPDX-License-Identifier: Apache-2.0
 *
 * map.c: open-addressing hash map (see map.h). The hash is a 64-bit
 * multiply-xorshift mix over 8-byte words with a seed, in the style of
 * wyhash/murmur finalisers: fast on short keys (package names, ids) and with
 * good avalanche so linear probing stays short.
 */
#include "core/map.h"

#include <string.h>

#include "core/alloc.h"

#define MAP_MIN_CAP 16

struct slot {
    char *key;      /* owned; NULL = empty; TOMBSTONE = deleted */
    size_t key_len;
    uint64_t hash;
    void *value;
};

struct ch_map {
    struct slot *slots;
    size_t cap;       /* power of two, or 0 before first insert */
    size_t count;     /* live entries */
    size_t used;      /* live + tombstones */
    uint64_t seed;
    ch_map_free_fn value_free;
};

static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

static uint64_t mix(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

uint64_t ch_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (len + 1));
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    return mix(h ^ tail ^ ((uint64_t)len << 56));
}

struct ch_map *ch_map_new(uint64_t seed, ch_map_free_fn value_free)
{
    struct ch_map *m = ch_calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->seed = seed;
    m->value_free = value_free;
    return m;
}

void ch_map_free(struct ch_map *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        struct slot *s = &m->slots[i];
        if (s->key == NULL || s->key == TOMBSTONE)
            continue;
        ch_free(s->key);
        if (m->value_free != NULL)
            m->value_free(s->value);
    }
    ch_free(m->slots);
    ch_free(m);
}

/* Slot holding key, or NULL. */
static struct slot *find(const struct ch_map *m, struct ch_str key, uint64_t h)
{
    if (m->cap == 0)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct slot *s = &m->slots[i];
        if (s->key == NULL)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == h && s->key_len == key.len &&
            (key.len == 0 || memcmp(s->key, key.ptr, key.len) == 0))
            return s;
    }
}

static int resize(struct ch_map *m, size_t cap)
{
    struct slot *slots = ch_calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return CH_E_NOMEM;
    size_t mask = cap - 1;
    for (size_t i = 0; i < m->cap; i++) {
        struct slot *s = &m->slots[i];
        if (s->key == NULL || s->key == TOMBSTONE)
            continue;
        size_t j = s->hash & mask;
        while (slots[j].key != NULL)
            j = (j + 1) & mask;
        slots[j] = *s;
    }
    ch_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->count;
    return CH_OK;
}

int ch_map_put(struct ch_map *m, struct ch_str key, void *value)
{
    uint64_t h = ch_hash64(key.ptr, key.len, m->seed);
    struct slot *s = find(m, key, h);
    if (s != NULL) {
        if (m->value_free != NULL && s->value != value)
            m->value_free(s->value);
        s->value = value;
        return CH_OK;
    }
    if (m->cap == 0 || (m->used + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap == 0 ? MAP_MIN_CAP : m->cap;
        /* grow only when live entries need it; otherwise rehash away tombstones */
        if ((m->count + 1) * 2 > cap)
            cap *= 2;
        if (cap == 0 || resize(m, cap) != CH_OK)
            return CH_E_NOMEM;
    }
    char *k = ch_strndup(key.len == 0 ? "" : key.ptr, key.len);
    if (k == NULL)
        return CH_E_NOMEM;
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (m->slots[i].key != NULL && m->slots[i].key != TOMBSTONE)
        i = (i + 1) & mask;
    if (m->slots[i].key == NULL)
        m->used++;
    m->slots[i] = (struct slot){.key = k, .key_len = key.len, .hash = h, .value = value};
    m->count++;
    return CH_OK;
}

void *ch_map_get(const struct ch_map *m, struct ch_str key)
{
    struct slot *s = find(m, key, ch_hash64(key.ptr, key.len, m->seed));
    return s == NULL ? NULL : s->value;
}

bool ch_map_has(const struct ch_map *m, struct ch_str key)
{
    return find(m, key, ch_hash64(key.ptr, key.len, m->seed)) != NULL;
}

bool ch_map_del(struct ch_map *m, struct ch_str key)
{
    struct slot *s = find(m, key, ch_hash64(key.ptr, key.len, m->seed));
    if (s == NULL)
        return false;
    ch_free(s->key);
    if (m->value_free != NULL)
        m->value_free(s->value);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->count--;
    return true;
}

size_t ch_map_count(const struct ch_map *m)
{
    return m->count;
}

bool ch_map_next(const struct ch_map *m, size_t *it, struct ch_str *ret_key, void **ret_value)
{
    while (*it < m->cap) {
        struct slot *s = &m->slots[(*it)++];
        if (s->key == NULL || s->key == TOMBSTONE)
            continue;
        *ret_key = ch_str_make(s->key, s->key_len);
        *ret_value = s->value;
        return true;
    }
    return false;
}
