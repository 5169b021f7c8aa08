/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_cve5.c: the CVE JSON 5 reader. Invariants beyond "no crash": a
 * rejection carries a message; an accepted record has a CVE id, a modified
 * time, raw equal to the input, and counts bounded by the input size (no
 * element is invented); arena use is bounded by a multiple of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "vuln/cve5.h"

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
    struct ch_arena *arena = ch_arena_new((size_t)256 << 20);
    if (arena == NULL)
        return 0;
    struct ch_advisory a;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_cve5_read((const char *)data, size, "fuzz", arena, &a, &err);
    if (rc != CH_OK) {
        check(rc < 0 && err.msg[0] != '\0');
    } else {
        check(ch_is_cve_id(a.id));
        check(a.modified >= 0);
        check(a.raw.ptr == (const char *)data && a.raw.len == size);
        check(a.n_affected <= size && a.n_references <= size && a.n_severity <= size);
        check(a.summary == NULL || strlen(a.summary) <= 200);
        for (size_t i = 0; i < a.n_affected; i++)
            check(a.affected[i].n_cpes <= size);
        /* strings are copies, versions re-serialised, an entry "{}" becomes a struct: bounded */
        check(ch_arena_used(arena) <= 64 * size + 65536);
    }
    ch_arena_free(arena);
    return 0;
}
