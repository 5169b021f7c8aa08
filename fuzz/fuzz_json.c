/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_json.c: the strict JSON reader. Invariants checked beyond "no crash":
 * an accepted document re-serialises to JSON that is accepted again and
 * re-serialises to the same bytes; every rejection carries a message; the
 * output is bounded by a small multiple of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

static void serialise(const cJSON *j, struct ch_buf *out)
{
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_cjson(&w, j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        ch_json_global_init();
        inited = 1;
    }
    struct ch_json_limits lim = {.max_bytes = 1 << 20, .max_depth = 32};
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    int rc = ch_json_parse((const char *)data, size, &lim, "fuzz", &j, &err);
    if (rc != CH_OK) {
        check(j == NULL && err.msg[0] != '\0');
        return 0;
    }
    struct ch_buf a, b;
    ch_buf_init(&a, 16u << 20);
    ch_buf_init(&b, 16u << 20);
    serialise(j, &a);
    check(a.failed == 0);
    /* numbers may grow when printed (1e5 -> 100000), strings at most 6x (\u00XX) */
    check(ch_buf_len(&a) <= size * 8 + 64);
    cJSON *j2 = NULL;
    struct ch_err err2 = CH_ERR_INIT;
    check(ch_json_parse(ch_buf_cstr(&a), ch_buf_len(&a), NULL, "again", &j2, &err2) == CH_OK);
    serialise(j2, &b);
    check(ch_buf_len(&a) == ch_buf_len(&b) && memcmp(ch_buf_cstr(&a), ch_buf_cstr(&b), ch_buf_len(&a)) == 0);
    cJSON_Delete(j);
    cJSON_Delete(j2);
    ch_buf_release(&a);
    ch_buf_release(&b);
    return 0;
}
