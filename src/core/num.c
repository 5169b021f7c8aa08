/* SPDX-License-Identifier: Apache-2.0
 *
 * num.c: checked number parsing. Integers are parsed by hand (no locale, no
 * errno); doubles are validated against the JSON number grammar first and
 * only then handed to strtod on a bounded local copy.
 */
#include "core/num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A double literal longer than this is not a number anyone sends honestly. */
#define NUM_DOUBLE_MAX_LEN 64

static int parse_digits(struct ch_str s, uint64_t max, uint64_t *ret, struct ch_err *err)
{
    if (s.len == 0)
        return ch_err_set(err, CH_E_INVALID, "empty number");
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < '0' || c > '9')
            return ch_err_set(err, CH_E_INVALID, "invalid digit in number '%.*s'", CH_STR_FMT(s));
        unsigned d = c - '0';
        if (v > (max - d) / 10)
            return ch_err_set(err, CH_E_LIMIT, "number '%.*s' out of range", CH_STR_FMT(s));
        v = v * 10 + d;
    }
    *ret = v;
    return CH_OK;
}

int ch_num_parse_u64(struct ch_str s, uint64_t max, uint64_t *ret, struct ch_err *err)
{
    uint64_t v;
    int rc = parse_digits(s, max, &v, err);
    if (rc != CH_OK)
        return rc;
    *ret = v;
    return CH_OK;
}

int ch_num_parse_i64(struct ch_str s, int64_t min, int64_t max, int64_t *ret, struct ch_err *err)
{
    int neg = s.len > 0 && s.ptr[0] == '-';
    struct ch_str digits = neg ? ch_str_sub(s, 1, s.len - 1) : s;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag;
    int rc = parse_digits(digits, limit, &mag, err);
    if (rc != CH_OK)
        return rc;
    int64_t v;
    if (neg)
        v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        v = (int64_t)mag;
    if (v < min || v > max)
        return ch_err_set(err, CH_E_LIMIT, "number %lld out of range [%lld, %lld]", (long long)v,
                          (long long)min, (long long)max);
    *ret = v;
    return CH_OK;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* JSON number grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? with leading zeros allowed. */
static int valid_double(struct ch_str s)
{
    size_t i = 0;
    if (i < s.len && s.ptr[i] == '-')
        i++;
    size_t start = i;
    while (i < s.len && is_digit(s.ptr[i]))
        i++;
    if (i == start)
        return 0;
    if (i < s.len && s.ptr[i] == '.') {
        i++;
        size_t f = i;
        while (i < s.len && is_digit(s.ptr[i]))
            i++;
        if (i == f)
            return 0;
    }
    if (i < s.len && (s.ptr[i] == 'e' || s.ptr[i] == 'E')) {
        i++;
        if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-'))
            i++;
        size_t e = i;
        while (i < s.len && is_digit(s.ptr[i]))
            i++;
        if (i == e)
            return 0;
    }
    return i == s.len;
}

int ch_num_parse_double(struct ch_str s, double *ret, struct ch_err *err)
{
    if (s.len == 0 || s.len > NUM_DOUBLE_MAX_LEN || !valid_double(s))
        return ch_err_set(err, CH_E_INVALID, "invalid number '%.*s'",
                          CH_STR_FMT(ch_str_sub(s, 0, NUM_DOUBLE_MAX_LEN)));
    char tmp[NUM_DOUBLE_MAX_LEN + 1];
    memcpy(tmp, s.ptr, s.len);
    tmp[s.len] = '\0';
    double v = strtod(tmp, NULL);
    if (!isfinite(v))
        return ch_err_set(err, CH_E_LIMIT, "number '%s' out of range", tmp);
    *ret = v;
    return CH_OK;
}

long ch_num_scan_digits(struct ch_str s, uint64_t *ret)
{
    uint64_t v = 0;
    size_t i = 0;
    int overflow = 0;
    while (i < s.len && is_digit(s.ptr[i])) {
        unsigned d = (unsigned)(s.ptr[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = 1;
        else
            v = v * 10 + d;
        i++;
    }
    if (overflow)
        return -1;
    *ret = v;
    return (long)i;
}
