/* SPDX-License-Identifier: Apache-2.0
 *
 * form.c: form-urlencoded and Cookie parsing with limits (see form.h).
 * The decoder writes into a buffer as long as the encoded text, which is
 * always enough: decoding never lengthens a string.
 */
#include "web/form.h"

#include <sodium.h>
#include <string.h>

#include "core/utf8.h"

/* Decodes one name or value into the arena; *ret is NUL-terminated. */
static int decode(struct ch_arena *a, struct ch_str s, size_t max, const char *what, char **ret,
                  struct ch_err *err)
{
    char *out = ch_arena_alloc(a, s.len + 1);
    if (out == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory decoding a form");
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (s.len - i < 3)
                return ch_err_set(err, CH_E_INVALID, "form %s: bad %% escape", what);
            unsigned char byte = 0;
            size_t n = 0;
            if (sodium_hex2bin(&byte, 1, s.ptr + i + 1, 2, NULL, &n, NULL) != 0 || n != 1)
                return ch_err_set(err, CH_E_INVALID, "form %s: bad %% escape", what);
            c = (char)byte;
            i += 2;
        }
        unsigned char u = (unsigned char)c;
        if ((u < 0x20 && c != '\t' && c != '\r' && c != '\n') || u == 0x7f)
            return ch_err_set(err, CH_E_INVALID, "form %s: control character", what);
        out[o++] = c;
    }
    out[o] = '\0';
    if (o > max)
        return ch_err_set(err, CH_E_LIMIT, "form %s longer than %zu bytes", what, max);
    if (!ch_utf8_valid(out, o, NULL))
        return ch_err_set(err, CH_E_INVALID, "form %s: invalid UTF-8", what);
    *ret = out;
    return CH_OK;
}

int ch_form_parse(struct ch_arena *a, struct ch_str text, struct ch_form *ret, struct ch_err *err)
{
    if (text.len > CH_FORM_MAX_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "form longer than %zu bytes", CH_FORM_MAX_BYTES);
    struct ch_form f = {.n_fields = 0};
    struct ch_str rest = text.ptr != NULL ? text : ch_str_make("", 0);
    struct ch_str pair;
    while (ch_str_split_next(&rest, '&', &pair)) {
        if (pair.len == 0)
            continue;
        if (f.n_fields >= CH_FORM_MAX_FIELDS)
            return ch_err_set(err, CH_E_LIMIT, "form has more than %u fields", CH_FORM_MAX_FIELDS);
        long eq = ch_str_find_char(pair, '=');
        struct ch_str k = eq < 0 ? pair : ch_str_make(pair.ptr, (size_t)eq);
        struct ch_str v =
            eq < 0 ? ch_str_make("", 0) : ch_str_make(pair.ptr + eq + 1, pair.len - (size_t)eq - 1);
        char *name = NULL;
        char *value = NULL;
        int rc = decode(a, k, CH_FORM_MAX_NAME, "field name", &name, err);
        if (rc == CH_OK)
            rc = decode(a, v, CH_FORM_MAX_VALUE, "field value", &value, err);
        if (rc != CH_OK)
            return rc;
        if (name[0] == '\0')
            return ch_err_set(err, CH_E_INVALID, "form field without a name");
        if (ch_form_get(&f, name) != NULL)
            return ch_err_set(err, CH_E_INVALID, "form field '%s' given twice", name);
        f.fields[f.n_fields++] = (struct ch_form_field){name, value};
    }
    *ret = f;
    return CH_OK;
}

const char *ch_form_get(const struct ch_form *f, const char *name)
{
    for (unsigned i = 0; i < f->n_fields; i++) {
        if (strcmp(f->fields[i].name, name) == 0)
            return f->fields[i].value;
    }
    return NULL;
}

int ch_cookie_find(struct ch_str header, const char *name, struct ch_str *ret_value,
                   struct ch_err *err)
{
    if (header.ptr == NULL)
        return CH_E_NOTFOUND;
    if (header.len > CH_COOKIE_MAX_HEADER)
        return ch_err_set(err, CH_E_LIMIT, "Cookie header longer than %zu bytes",
                          CH_COOKIE_MAX_HEADER);
    struct ch_str rest = header;
    struct ch_str pair;
    unsigned n = 0;
    while (ch_str_split_next(&rest, ';', &pair)) {
        if (++n > CH_COOKIE_MAX_PAIRS)
            return ch_err_set(err, CH_E_LIMIT, "more than %u cookies", CH_COOKIE_MAX_PAIRS);
        pair = ch_str_trim(pair);
        long eq = ch_str_find_char(pair, '=');
        if (eq <= 0)
            continue; /* RFC 6265 §5.2: a pair without a name is ignored */
        if (!ch_str_eq_c(ch_str_trim(ch_str_make(pair.ptr, (size_t)eq)), name))
            continue;
        struct ch_str v = ch_str_trim(ch_str_make(pair.ptr + eq + 1, pair.len - (size_t)eq - 1));
        if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
            v = ch_str_make(v.ptr + 1, v.len - 2);
        *ret_value = v;
        return CH_OK;
    }
    return CH_E_NOTFOUND;
}
