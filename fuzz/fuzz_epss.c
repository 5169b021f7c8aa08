/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_epss.c: the EPSS CSV reader. Invariants beyond "no crash": a failed
 * file carries a message; the return value counts the scores the sink
 * received; every score has a CVE id and probabilities in [0, 1]; every
 * reject is located "line N" with N no greater than the number of lines and
 * has a reason; scores plus rejects are bounded by the number of lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "vuln/epss.h"

struct seen {
    size_t scores;
    size_t rejects;
};

static void check(int cond)
{
    if (!cond)
        abort();
}

static int on_epss(void *ctx, const struct ch_epss_score *e, struct ch_err *err)
{
    (void)err;
    struct seen *s = ctx;
    check(ch_is_cve_id(e->cve));
    check(e->epss >= 0.0 && e->epss <= 1.0 && e->percentile >= 0.0 && e->percentile <= 1.0);
    s->scores++;
    return CH_OK;
}

static int on_reject(void *ctx, const char *file, const char *location, const char *reason,
                     struct ch_err *err)
{
    (void)err;
    struct seen *s = ctx;
    check(file != NULL && strncmp(location, "line ", 5) == 0);
    check(reason != NULL && reason[0] != '\0');
    s->rejects++;
    return CH_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ch_arena *arena = ch_arena_new((size_t)256 << 20);
    if (arena == NULL)
        return 0;
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    struct seen s = {0};
    struct ch_vuln_sink sink = {.epss = on_epss, .reject = on_reject, .ctx = &s};
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_epss_read((const char *)data, size, "fuzz", arena, &sink, &err);
    if (rc < 0)
        check(err.msg[0] != '\0');
    else
        check((size_t)rc == s.scores);
    check(s.scores + s.rejects <= lines);
    ch_arena_free(arena);
    return 0;
}
