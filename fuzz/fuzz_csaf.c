/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_csaf.c: the CSAF 2.0 reader. Invariants beyond "no crash": a failed
 * document carries a message; the return value counts the advisories the
 * sink received; every advisory id starts with a tracking id and '#'; every
 * reject has a location and a reason; work is bounded (advisories and
 * rejects at most one per vulnerability entry, so at most the input size).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "vuln/csaf.h"

struct seen {
    size_t advisories;
    size_t rejects;
};

static void check(int cond)
{
    if (!cond)
        abort();
}

static int on_advisory(void *ctx, const struct ch_advisory *a, struct ch_err *err)
{
    (void)err;
    struct seen *s = ctx;
    check(a->source == CH_ADV_CSAF && a->id != NULL && strchr(a->id, '#') != NULL);
    check(a->modified >= 0);
    for (size_t i = 0; i < a->n_affected; i++)
        check(a->affected[i].status != NULL);
    s->advisories++;
    return CH_OK;
}

static int on_reject(void *ctx, const char *file, const char *location, const char *reason,
                     struct ch_err *err)
{
    (void)err;
    struct seen *s = ctx;
    check(file != NULL && location != NULL && location[0] != '\0');
    check(reason != NULL && reason[0] != '\0');
    s->rejects++;
    return CH_OK;
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
    struct seen s = {0};
    struct ch_vuln_sink sink = {.advisory = on_advisory, .reject = on_reject, .ctx = &s};
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_csaf_read((const char *)data, size, "fuzz", arena, &sink, &err);
    if (rc < 0)
        check(err.msg[0] != '\0');
    else
        check((size_t)rc == s.advisories);
    check(s.advisories + s.rejects <= size);
    ch_arena_free(arena);
    return 0;
}
