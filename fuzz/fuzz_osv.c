/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_osv.c: the OSV record reader. Invariants: a rejection always has a
 * message; an accepted record has an id, a modification time, and arrays
 * whose counts match their contents (every string non-NULL); its raw bytes
 * are exactly the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "vuln/osv.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        ch_json_global_init();
        inited = 1;
    }
    struct ch_arena *a = ch_arena_new((size_t)64 << 20);
    if (a == NULL)
        return 0;
    struct ch_advisory adv;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_osv_read((const char *)data, size, "fuzz", a, &adv, &err);
    if (rc != CH_OK) {
        check(err.msg[0] != '\0');
    } else {
        check(adv.id != NULL && adv.id[0] != '\0');
        check(adv.modified >= 0 || adv.modified < 0); /* parsed, any value */
        check(adv.raw.len == size);
        for (size_t i = 0; i < adv.n_aliases; i++)
            check(adv.aliases[i] != NULL);
        for (size_t i = 0; i < adv.n_affected; i++) {
            const struct ch_adv_affected *af = &adv.affected[i];
            check((af->ecosystem == NULL) == (af->name == NULL));
            for (size_t r = 0; r < af->n_ranges; r++) {
                check(af->ranges[r].type != NULL && af->ranges[r].n_events > 0);
                for (size_t e = 0; e < af->ranges[r].n_events; e++)
                    check(af->ranges[r].events[e].value != NULL);
            }
            for (size_t v = 0; v < af->n_versions; v++)
                check(af->versions[v] != NULL);
        }
    }
    ch_arena_free(a);
    return 0;
}
