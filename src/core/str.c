/* SPDX-License-Identifier: Apache-2.0
 *
 * str.c: string view helpers (see str.h).
 */
#include "core/str.h"

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool ch_str_eq(struct ch_str a, struct ch_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool ch_str_eq_c(struct ch_str a, const char *b)
{
    return ch_str_eq(a, ch_str_c(b));
}

bool ch_str_case_eq(struct ch_str a, struct ch_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        if (lower((unsigned char)a.ptr[i]) != lower((unsigned char)b.ptr[i]))
            return false;
    }
    return true;
}

bool ch_str_case_eq_c(struct ch_str a, const char *b)
{
    return ch_str_case_eq(a, ch_str_c(b));
}

bool ch_str_starts_with(struct ch_str s, const char *prefix)
{
    size_t n = strlen(prefix);
    /* memcmp on the empty view's NULL pointer is undefined even for 0 bytes */
    return n == 0 || (s.len >= n && memcmp(s.ptr, prefix, n) == 0);
}

bool ch_str_ends_with(struct ch_str s, const char *suffix)
{
    size_t n = strlen(suffix);
    return n == 0 || (s.len >= n && memcmp(s.ptr + s.len - n, suffix, n) == 0);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct ch_str ch_str_trim(struct ch_str s)
{
    while (s.len > 0 && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

long ch_str_find_char(struct ch_str s, char c)
{
    if (s.len == 0)
        return -1;
    const char *p = memchr(s.ptr, c, s.len);
    return p == NULL ? -1 : (long)(p - s.ptr);
}

struct ch_str ch_str_sub(struct ch_str s, size_t from, size_t len)
{
    if (from > s.len)
        from = s.len;
    if (len > s.len - from)
        len = s.len - from;
    if (s.ptr == NULL) /* the empty view: NULL + 0 is undefined in C */
        return s;
    return ch_str_make(s.ptr + from, len);
}

bool ch_str_split_next(struct ch_str *rest, char sep, struct ch_str *ret_tok)
{
    if (rest->ptr == NULL)
        return false;
    long i = ch_str_find_char(*rest, sep);
    if (i < 0) {
        *ret_tok = *rest;
        *rest = CH_STR_NULL;
        return true;
    }
    *ret_tok = ch_str_make(rest->ptr, (size_t)i);
    rest->ptr += i + 1;
    rest->len -= (size_t)i + 1;
    return true;
}

int ch_str_cmp(struct ch_str a, struct ch_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n == 0 ? 0 : memcmp(a.ptr, b.ptr, n);
    if (c != 0)
        return c;
    return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}
