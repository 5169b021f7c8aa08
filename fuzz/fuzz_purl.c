/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_purl.c: package URL parsing. Invariants beyond "no crash": every
 * rejection names a message; an accepted purl's canonical form is bounded
 * (at most 3 bytes per input byte, from percent-encoding, plus the scheme),
 * re-parses in strict mode, and re-prints to the same bytes (canonical form
 * is a fixed point); the purl built from the parsed components prints the
 * same canonical form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "purl/ecosystem.h"
#include "purl/purl.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ch_arena *a = ch_arena_new(1 << 22);
    check(a != NULL);
    struct ch_err err = CH_ERR_INIT;
    struct ch_purl p;
    int rc = ch_purl_parse(ch_str_make((const char *)data, size), 0, a, &p, &err);
    if (rc != CH_OK) {
        check(err.msg[0] != '\0');
        ch_arena_free(a);
        return 0;
    }
    const char *c1 = ch_purl_to_string(&p, a);
    check(c1 != NULL);
    check(strlen(c1) <= size * 3 + 8);
    struct ch_purl p2;
    struct ch_err err2 = CH_ERR_INIT;
    check(ch_purl_parse(ch_str_c(c1), CH_PURL_STRICT, a, &p2, &err2) == CH_OK);
    const char *c2 = ch_purl_to_string(&p2, a);
    check(c2 != NULL && strcmp(c1, c2) == 0);
    struct ch_purl p3;
    check(ch_purl_build(&p, a, &p3, &err2) == CH_OK);
    const char *c3 = ch_purl_to_string(&p3, a);
    check(c3 != NULL && strcmp(c1, c3) == 0);
    struct ch_osv_package o;
    if (ch_purl_to_osv(&p, a, &o, &err2) == CH_OK)
        check(o.ecosystem != NULL && o.name != NULL && ch_osv_ecosystem_string(&o, a) != NULL);
    ch_arena_free(a);
    return 0;
}
