/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_kev.c: the CISA KEV catalog reader. Invariants beyond "no crash": a
 * failed catalog carries a message; the return value counts the entries the
 * sink received; every entry has a CVE id and both dates; every reject names
 * a path below "vulnerabilities[" and a reason; entries plus rejects are
 * bounded by the input size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "vuln/kev.h"

struct seen {
    size_t entries;
    size_t rejects;
};

static void check(int cond)
{
    if (!cond)
        abort();
}

static int on_kev(void *ctx, const struct ch_kev_entry *k, struct ch_err *err)
{
    (void)err;
    struct seen *s = ctx;
    check(ch_is_cve_id(k->cve));
    check(k->vendor != NULL && k->product != NULL && k->name != NULL);
    check(k->date_added != -1 && k->due_date != -1);
    s->entries++;
    return CH_OK;
}

static int on_reject(void *ctx, const char *file, const char *location, const char *reason,
                     struct ch_err *err)
{
    (void)err;
    struct seen *s = ctx;
    check(file != NULL && strncmp(location, "vulnerabilities[", 16) == 0);
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
    struct ch_vuln_sink sink = {.kev = on_kev, .reject = on_reject, .ctx = &s};
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_kev_read((const char *)data, size, "fuzz", arena, &sink, &err);
    if (rc < 0)
        check(err.msg[0] != '\0');
    else
        check((size_t)rc == s.entries);
    check(s.entries + s.rejects <= size);
    ch_arena_free(arena);
    return 0;
}
