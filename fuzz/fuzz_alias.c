/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_alias.c: the alias merger of the knowledge base. The input is read as
 * a list of small records: each byte pair gives a record id and an alias from
 * a pool of 16 ids. They are written through the knowledge-base writer into
 * an in-memory SQLite store; then the invariant is checked: every record and
 * every alias it names belong to one vulnerability, and two identifiers are
 * in the same vulnerability exactly when a chain of records links them
 * (compared with a union-find computed here).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "store/store.h"
#include "vuln/kb.h"

#define POOL 16

static void check(int cond)
{
    if (!cond)
        abort();
}

static int uf_find(int *p, int x)
{
    while (p[x] != x)
        x = p[x] = p[p[x]];
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        ch_json_global_init();
        inited = 1;
    }
    if (size > 200)
        size = 200;
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    if (ch_store_open("sqlite::memory:", NULL, &s, &err) != CH_OK)
        return 0;
    struct ch_kb_writer w;
    ch_kb_writer_init(&w, s, 1, NULL);
    int parent[POOL];
    int seen[POOL] = {0};
    for (int i = 0; i < POOL; i++)
        parent[i] = i;
    char ids[POOL][16];
    for (int i = 0; i < POOL; i++)
        snprintf(ids[i], sizeof(ids[i]), "ID-%02d", i);
    for (size_t i = 0; i + 1 < size; i += 2) {
        int rec = data[i] % POOL, al = data[i + 1] % POOL;
        const char *aliases[1] = {ids[al]};
        struct ch_advisory a;
        ch_advisory_init(&a, CH_ADV_OSV);
        a.id = ids[rec];
        a.modified = (int64_t)i; /* each write newer than the last */
        a.aliases = aliases;
        a.n_aliases = rec == al ? 0 : 1;
        char raw[64];
        int n = snprintf(raw, sizeof(raw), "{\"id\":\"%s\",\"n\":%zu}", a.id, i);
        a.raw = ch_str_make(raw, (size_t)n);
        enum ch_kb_outcome o;
        check(ch_kb_put_advisory(&w, &a, &o, &err) == CH_OK);
        seen[rec] = seen[al] = 1;
        parent[uf_find(parent, rec)] = uf_find(parent, al);
    }
    /* same vulnerability exactly when linked */
    for (int x = 0; x < POOL; x++) {
        for (int y = 0; y < POOL; y++) {
            if (!seen[x] || !seen[y])
                continue;
            int64_t vx = 0, vy = 0;
            check(ch_kb_find_vuln(s, ids[x], &vx, &err) == CH_OK);
            check(ch_kb_find_vuln(s, ids[y], &vy, &err) == CH_OK);
            check((vx == vy) == (uf_find(parent, x) == uf_find(parent, y)));
        }
    }
    ch_kb_writer_release(&w);
    ch_store_free(s);
    return 0;
}
