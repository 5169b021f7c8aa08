/* SPDX-License-Identifier: Apache-2.0
 *
 * numeric.c: versions that are plain sequences of numbers.
 *
 * CRAN and Bioconductor: R's package_version (base R, valid_package_version
 * "([0-9]+[.-]){1,}[0-9]+"): at least two numbers separated by '.' or '-',
 * compared as in utils::compareVersion, number by number, a longer version
 * above its prefix ("1.0" < "1.0.0").
 *
 * Hackage and GHC: the Haskell Package Versioning Policy (Data.Version):
 * one or more numbers separated by '.', compared as lists, a prefix first.
 *
 * Numbers compare by value at any length.
 */
#include "version/internal.h"

static const char *parse(struct ch_str s, bool dash_ok, size_t min_parts)
{
    size_t parts = 0;
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < s.len && ch_version__digit(s.ptr[i]))
            i++;
        if (i == start)
            return "expected a number";
        parts++;
        if (i == s.len)
            break;
        if (!(s.ptr[i] == '.' || (dash_ok && s.ptr[i] == '-')))
            return "unexpected character";
        i++;
    }
    return parts < min_parts ? "too few numbers" : NULL;
}

static bool next_num(struct ch_str s, size_t *i, struct ch_str *out)
{
    if (*i >= s.len)
        return false;
    size_t start = *i;
    while (*i < s.len && ch_version__digit(s.ptr[*i]))
        (*i)++;
    *out = ch_str_sub(s, start, *i - start);
    if (*i < s.len)
        (*i)++;
    return true;
}

static int seq_order(struct ch_str a, struct ch_str b)
{
    size_t i = 0;
    size_t j = 0;
    for (;;) {
        struct ch_str x, y;
        bool hx = next_num(a, &i, &x);
        bool hy = next_num(b, &j, &y);
        if (!hx || !hy)
            return (int)hx - (int)hy;
        int c = ch_version__numcmp(x.ptr, x.len, y.ptr, y.len);
        if (c != 0)
            return c;
    }
}

static int do_cmp(const struct ch_version_scheme *s, bool dash_ok, size_t min_parts,
                  struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    const char *why = parse(a, dash_ok, min_parts);
    if (why != NULL)
        return ch_version__invalid(err, s, a, why);
    why = parse(b, dash_ok, min_parts);
    if (why != NULL)
        return ch_version__invalid(err, s, b, why);
    *ret = seq_order(a, b);
    return CH_OK;
}

static int cran_validate(struct ch_str v, struct ch_err *err)
{
    const char *why = parse(v, true, 2);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__cran, v, why);
}

static int cran_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    return do_cmp(&ch_version__cran, true, 2, a, b, ret, err);
}

static int pvp_validate(struct ch_str v, struct ch_err *err)
{
    const char *why = parse(v, false, 1);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__pvp, v, why);
}

static int pvp_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    return do_cmp(&ch_version__pvp, false, 1, a, b, ret, err);
}

const struct ch_version_scheme ch_version__cran = {
    .name = "cran",
    .label = "R package",
    .validate = cran_validate,
    .cmp = cran_cmp,
};

const struct ch_version_scheme ch_version__pvp = {
    .name = "pvp",
    .label = "Haskell PVP",
    .validate = pvp_validate,
    .cmp = pvp_cmp,
};
