/* SPDX-License-Identifier: Apache-2.0
 *
 * nuget.c: NuGet versions, as NuGet.Versioning's NuGetVersion parses them
 * and VersionComparer.Default orders them
 * (https://learn.microsoft.com/nuget/concepts/package-versioning).
 *
 * A version is 1 to 4 dot-separated numbers (System.Version: each fits an
 * Int32, leading zeros allowed, missing parts are 0, so "1.0" = "1.0.0.0"),
 * optional pre-release labels after '-' and metadata after '+'. Order:
 * the four numbers; a release after its pre-releases; labels one by one,
 * numeric (Int32.TryParse) below alphanumeric, numbers by value, text by
 * ordinal case-insensitive comparison; fewer labels first. Metadata is
 * ignored.
 */
#include "version/internal.h"

#include <stdint.h>

struct nuget {
    struct ch_str parts[4];
    int n_parts;
    struct ch_str labels; /* after '-', len 0 = release */
};

static bool label_char(char c)
{
    return ch_version__alnum(c) || c == '-';
}

/* Dot-separated non-empty identifiers of label characters (plus '.' splits). */
static bool idents_ok(struct ch_str s)
{
    size_t run = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '.') {
            if (run == 0)
                return false;
            run = 0;
        } else if (label_char(s.ptr[i])) {
            run++;
        } else {
            return false;
        }
    }
    return run > 0;
}

static const char *parse(struct ch_str s, struct nuget *v)
{
    *v = (struct nuget){0};
    size_t end = s.len;
    long plus = ch_str_find_char(s, '+');
    if (plus >= 0) {
        if (!idents_ok(ch_str_sub(s, (size_t)plus + 1, s.len)))
            return "invalid metadata";
        end = (size_t)plus;
    }
    struct ch_str head = ch_str_sub(s, 0, end);
    long dash = ch_str_find_char(head, '-');
    if (dash >= 0) {
        v->labels = ch_str_sub(head, (size_t)dash + 1, head.len);
        if (!idents_ok(v->labels))
            return "invalid pre-release label";
        head.len = (size_t)dash;
    }
    size_t i = 0;
    for (;;) {
        if (v->n_parts == 4)
            return "more than four version numbers";
        size_t start = i;
        while (i < head.len && ch_version__digit(head.ptr[i]))
            i++;
        if (i == start)
            return "expected a number";
        struct ch_str n = ch_str_sub(head, start, i - start);
        if (ch_version__numcmp(n.ptr, n.len, "2147483647", 10) > 0)
            return "version number above 2147483647";
        v->parts[v->n_parts++] = n;
        if (i == head.len)
            break;
        if (head.ptr[i] != '.')
            return "unexpected character";
        i++;
    }
    return NULL;
}

/* Int32.TryParse of a label: optional '-' and digits within the Int32 range. */
static bool label_int(struct ch_str l, int64_t *ret)
{
    size_t i = 0;
    bool neg = false;
    if (l.len > 0 && l.ptr[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == l.len)
        return false;
    int64_t v = 0;
    for (; i < l.len; i++) {
        if (!ch_version__digit(l.ptr[i]))
            return false;
        v = v * 10 + (l.ptr[i] - '0');
        if (v > ((int64_t)1 << 31))
            return false;
    }
    if (neg)
        v = -v;
    if (v > INT32_MAX || v < INT32_MIN)
        return false;
    *ret = v;
    return true;
}

static int upper_cmp(struct ch_str a, struct ch_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    for (size_t i = 0; i < n; i++) {
        char x = a.ptr[i];
        char y = b.ptr[i];
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 'a' + 'A');
        if (y >= 'a' && y <= 'z')
            y = (char)(y - 'a' + 'A');
        if (x != y)
            return (unsigned char)x < (unsigned char)y ? -1 : 1;
    }
    return (a.len > b.len) - (a.len < b.len);
}

static int labels_cmp(struct ch_str a, struct ch_str b)
{
    if (a.len == 0 || b.len == 0)
        return (a.len == 0) - (b.len == 0);
    struct ch_str ra = a;
    struct ch_str rb = b;
    for (;;) {
        struct ch_str x, y;
        bool hx = ch_str_split_next(&ra, '.', &x);
        bool hy = ch_str_split_next(&rb, '.', &y);
        if (!hx || !hy)
            return (int)hx - (int)hy;
        int64_t nx = 0;
        int64_t ny = 0;
        bool ix = label_int(x, &nx);
        bool iy = label_int(y, &ny);
        int c;
        if (ix && iy)
            c = (nx > ny) - (nx < ny);
        else if (ix || iy)
            c = ix ? -1 : 1;
        else
            c = upper_cmp(x, y);
        if (c != 0)
            return c;
    }
}

static int nuget_order(const struct nuget *a, const struct nuget *b)
{
    for (int i = 0; i < 4; i++) {
        struct ch_str x = i < a->n_parts ? a->parts[i] : CH_STR_LIT("0");
        struct ch_str y = i < b->n_parts ? b->parts[i] : CH_STR_LIT("0");
        int c = ch_version__numcmp(x.ptr, x.len, y.ptr, y.len);
        if (c != 0)
            return c;
    }
    return labels_cmp(a->labels, b->labels);
}

static int nuget_validate(struct ch_str v, struct ch_err *err)
{
    struct nuget p;
    const char *why = parse(v, &p);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__nuget, v, why);
}

static int nuget_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    struct nuget pa, pb;
    const char *why = parse(a, &pa);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__nuget, a, why);
    why = parse(b, &pb);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__nuget, b, why);
    *ret = nuget_order(&pa, &pb);
    return CH_OK;
}

const struct ch_version_scheme ch_version__nuget = {
    .name = "nuget",
    .label = "NuGet",
    .validate = nuget_validate,
    .cmp = nuget_cmp,
};
