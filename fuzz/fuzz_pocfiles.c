/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_pocfiles.c: the base64 PoC files of an API body (http/pocfiles.h)
 * and the webhook destination check of http/h_share.h. The input is parsed
 * as JSON; an array, or an object's "files" member, goes to the decoder.
 * Invariants beyond "no crash": a decoded set respects every limit (count,
 * bytes per file, total), its paths are acceptable and distinct, and it
 * re-encodes to exactly the base64 text it came from; a rejection carries
 * a message and names a field. The whole input, as a URL, must not crash
 * the destination check.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "http/h_share.h"
#include "http/pocfiles.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_files(const cJSON *arr, const struct ch_repro_file *f, size_t n)
{
    check(n <= CH_REPRO_MAX_FILES);
    size_t total = 0;
    const cJSON *e = arr->child;
    for (size_t i = 0; i < n; i++, e = e->next) {
        struct ch_err err = CH_ERR_INIT;
        check(ch_repro_check_path(f[i].path, &err) == CH_OK);
        check(f[i].len <= CH_REPRO_MAX_FILE_BYTES);
        total += f[i].len;
        for (size_t k = 0; k < i; k++)
            check(strcmp(f[k].path, f[i].path) != 0);
        const char *text = cJSON_GetObjectItemCaseSensitive(e, "content")->valuestring;
        size_t cap = sodium_base64_encoded_len(f[i].len, sodium_base64_VARIANT_ORIGINAL);
        char *again = malloc(cap);
        check(again != NULL);
        sodium_bin2base64(again, cap, f[i].data, f[i].len, sodium_base64_VARIANT_ORIGINAL);
        check(strcmp(again, text) == 0);
        free(again);
    }
    check(e == NULL);
    check(total <= CH_REPRO_MAX_TOTAL_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        ch_json_global_init();
        check(sodium_init() >= 0);
        inited = 1;
    }
    char url[512];
    size_t ulen = size < sizeof(url) - 1 ? size : sizeof(url) - 1;
    memcpy(url, data, ulen);
    url[ulen] = '\0';
    (void)ch_h_webhook_url_private(url); /* either answer is fine; it must not crash */

    struct ch_json_limits lim = {.max_bytes = 1 << 20, .max_depth = 16, .max_string = 1 << 20};
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    if (ch_json_parse((const char *)data, size, &lim, "fuzz", &j, &err) != CH_OK)
        return 0;
    const cJSON *arr = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "files") : j;
    struct ch_arena *a = ch_arena_new(64u << 20);
    check(a != NULL);
    struct ch_repro_file *files = NULL;
    size_t n = 0;
    struct ch_err derr = CH_ERR_INIT;
    if (ch_pocfiles_decode(arr, "files", a, &files, &n, &derr) == CH_OK)
        check_files(arr, files, n);
    else
        check(derr.msg[0] != '\0' && derr.field[0] != '\0');
    ch_arena_free(a);
    cJSON_Delete(j);
    return 0;
}
