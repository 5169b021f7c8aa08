/* SPDX-License-Identifier: Apache-2.0
 *
 * pocfiles.c: base64 PoC files of a JSON body (see pocfiles.h). This file
 * checks the alphabet and shape of the text and bounds it; libsodium does
 * the decoding (no whitespace or trailing bytes are skipped).
 */
#include "http/pocfiles.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Base64 text of at most max bytes: 4 characters per 3 bytes, padded. */
static size_t encoded_max(size_t max)
{
    return (max + 2) / 3 * 4;
}

/*
 * Standard base64 text, checked here and not left to the decoder: libsodium
 * maps some bytes outside the alphabet (e.g. of UTF-8 sequences) to values
 * instead of refusing them, found by fuzz_pocfiles. Four-character groups,
 * padding only at the end.
 */
static bool base64_text_ok(const char *s, size_t len)
{
    if (len % 4 != 0)
        return false;
    size_t pad = 0;
    while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < len - pad; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

static int decode_one(const cJSON *item, const char *field, size_t i, struct ch_arena *arena,
                      struct ch_repro_file *ret, struct ch_err *err)
{
    if (!cJSON_IsObject(item))
        return ch_err_setf(err, CH_E_INVALID, field, "%s[%zu] must be an object", field, i);
    for (const cJSON *m = item->child; m != NULL; m = m->next) {
        if (strcmp(m->string, "path") != 0 && strcmp(m->string, "content") != 0)
            return ch_err_setf(err, CH_E_INVALID, field, "%s[%zu]: unknown member '%.64s'", field,
                               i, m->string);
    }
    char name[64];
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(item, "path");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
    snprintf(name, sizeof(name), "%s[%zu].path", field, i);
    if (!cJSON_IsString(path))
        return ch_err_setf(err, CH_E_INVALID, name, "%s must be a string", name);
    struct ch_err perr = CH_ERR_INIT;
    if (ch_repro_check_path(path->valuestring, &perr) != CH_OK)
        return ch_err_setf(err, CH_E_INVALID, name, "%s: %s", name, perr.msg);
    snprintf(name, sizeof(name), "%s[%zu].content", field, i);
    if (!cJSON_IsString(content))
        return ch_err_setf(err, CH_E_INVALID, name, "%s must be a base64 string", name);
    size_t len = strlen(content->valuestring);
    if (len > encoded_max(CH_REPRO_MAX_FILE_BYTES))
        return ch_err_setf(err, CH_E_LIMIT, name, "%s: a file holds at most %zu bytes", name,
                           CH_REPRO_MAX_FILE_BYTES);
    size_t cap = len / 4 * 3 + 3;
    unsigned char *data = ch_arena_alloc(arena, cap);
    char *p = ch_arena_strdup(arena, path->valuestring);
    if (data == NULL || p == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory decoding %s", name);
    size_t n = 0;
    if (!base64_text_ok(content->valuestring, len) ||
        sodium_base642bin(data, cap, content->valuestring, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return ch_err_setf(err, CH_E_INVALID, name, "%s is not valid base64 (RFC 4648, padded)",
                           name);
    if (n > CH_REPRO_MAX_FILE_BYTES)
        return ch_err_setf(err, CH_E_LIMIT, name, "%s: a file holds at most %zu bytes", name,
                           CH_REPRO_MAX_FILE_BYTES);
    *ret = (struct ch_repro_file){.path = p, .data = data, .len = n};
    return CH_OK;
}

int ch_pocfiles_decode(const cJSON *files, const char *field, struct ch_arena *arena,
                       struct ch_repro_file **ret_files, size_t *ret_n, struct ch_err *err)
{
    if (!cJSON_IsArray(files))
        return ch_err_setf(err, CH_E_INVALID, field, "%s must be an array", field);
    size_t count = 0;
    for (const cJSON *e = files->child; e != NULL; e = e->next) {
        if (++count > CH_REPRO_MAX_FILES)
            return ch_err_setf(err, CH_E_LIMIT, field, "%s: at most %d files", field,
                               CH_REPRO_MAX_FILES);
    }
    struct ch_repro_file *out = ch_arena_calloc(arena, count > 0 ? count : 1, sizeof(*out));
    if (out == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory decoding %s", field);
    size_t total = 0;
    size_t i = 0;
    for (const cJSON *e = files->child; e != NULL; e = e->next, i++) {
        int rc = decode_one(e, field, i, arena, &out[i], err);
        if (rc != CH_OK)
            return rc;
        total += out[i].len;
        if (total > CH_REPRO_MAX_TOTAL_BYTES)
            return ch_err_setf(err, CH_E_LIMIT, field, "%s: at most %zu bytes in all", field,
                               CH_REPRO_MAX_TOTAL_BYTES);
        for (size_t k = 0; k < i; k++) {
            if (strcmp(out[k].path, out[i].path) == 0)
                return ch_err_setf(err, CH_E_INVALID, field, "%s[%zu]: path '%.64s' repeats", field,
                                   i, out[i].path);
        }
    }
    *ret_files = out;
    *ret_n = count;
    return CH_OK;
}
