/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_sbom.c: the inventory readers. The first byte selects the reader
 * (byte % 11: 0 detects the format from the content, 1..10 are the
 * enum ch_sbom_format values); the rest is the document. Invariants beyond
 * "no crash": every failure carries a message; output is bounded by input
 * (each component and each skipped entry needs at least one input byte of
 * its own); every component has a non-empty name and file; a canonical purl
 * in the output parses again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "purl/purl.h"
#include "sbom/inventory.h"
#include "sbom/sbom.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        ch_json_global_init();
        inited = 1;
    }
    if (size == 0)
        return 0;
    enum ch_sbom_format fmt = (enum ch_sbom_format)(data[0] % 11);
    const char *doc = (const char *)data + 1;
    size_t len = size - 1;
    struct ch_inventory_limits lim = {.max_components = 100000, .max_skipped = 100000,
                                      .max_bytes = 64u << 20};
    struct ch_inventory *inv = NULL;
    struct ch_err err = CH_ERR_INIT;
    check(ch_inventory_new(&lim, &inv, &err) == CH_OK);
    struct ch_sbom_options opt = {.distro = "debian", .distro_release = "12"};
    int rc = ch_sbom_read(inv, "fuzz", doc, len, fmt, data[0] & 0x80 ? &opt : NULL, &err);
    if (rc != CH_OK)
        check(err.msg[0] != '\0');
    size_t n = ch_inventory_count(inv);
    check(n <= len + 1);
    check(ch_inventory_n_skipped_total(inv) <= len + 1);
    struct ch_arena *a = ch_arena_new(1 << 20);
    check(a != NULL);
    for (size_t i = 0; i < n; i++) {
        const struct ch_component *c = ch_inventory_get(inv, i);
        check(c->name != NULL && c->name[0] != '\0' && c->file != NULL);
        if (c->purl != NULL) {
            struct ch_purl p;
            struct ch_err perr = CH_ERR_INIT;
            check(ch_purl_parse(ch_str_c(c->purl), CH_PURL_STRICT, a, &p, &perr) == CH_OK);
        }
        if (i % 64 == 63)
            ch_arena_reset(a);
    }
    ch_arena_free(a);
    ch_inventory_free(inv);
    return 0;
}
