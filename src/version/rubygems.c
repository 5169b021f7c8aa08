/* SPDX-License-Identifier: Apache-2.0
 *
 * rubygems.c: RubyGems versions, as Gem::Version (rubygems/version.rb)
 * validates and orders them.
 *
 * Valid: ANCHORED_VERSION_PATTERN, a number, dot-separated alphanumeric
 * segments, then optionally '-' and dot-separated [0-9A-Za-z-] segments,
 * surrounded by optional whitespace. Every '-' reads as ".pre.", then the
 * version is cut into runs of digits (numbers) and runs of letters
 * (strings). Canonical segments drop trailing zeros from the leading
 * numeric part and from the rest. Comparison pads the shorter side with 0;
 * a string sorts before a number; strings compare bytewise (case-sensitive),
 * numbers by value.
 */
#include "version/internal.h"

#include <stdint.h>

struct seg {
    const char *p;
    size_t len;
    bool num;
};

#define GEM_MAX_SEGS (2 * CH_VERSION_MAX_LEN)

struct gem {
    struct seg segs[GEM_MAX_SEGS]; /* canonical segments */
    size_t n;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool valid(struct ch_str s)
{
    size_t i = 0;
    size_t start = i;
    while (i < s.len && ch_version__digit(s.ptr[i]))
        i++;
    if (i == start)
        return false;
    while (i < s.len && s.ptr[i] == '.') {
        i++;
        start = i;
        while (i < s.len && ch_version__alnum(s.ptr[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i < s.len && s.ptr[i] == '-') {
        i++;
        for (;;) {
            start = i;
            while (i < s.len && (ch_version__alnum(s.ptr[i]) || s.ptr[i] == '-'))
                i++;
            if (i == start)
                return false;
            if (i < s.len && s.ptr[i] == '.') {
                i++;
                continue;
            }
            break;
        }
    }
    return i == s.len;
}

static bool seg_zero(const struct seg *g)
{
    if (!g->num)
        return false;
    for (size_t i = 0; i < g->len; i++) {
        if (g->p[i] != '0')
            return false;
    }
    return true;
}

static const char *parse(struct ch_str s, struct gem *g)
{
    while (s.len > 0 && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_space(s.ptr[s.len - 1]))
        s.len--;
    if (s.len == 0 || !valid(s))
        return "malformed version number string";
    g->n = 0;
    size_t first_str = SIZE_MAX;
    for (size_t i = 0; i < s.len;) {
        char c = s.ptr[i];
        if (c == '-') {
            if (first_str == SIZE_MAX)
                first_str = g->n;
            g->segs[g->n++] = (struct seg){.p = "pre", .len = 3, .num = false};
            i++;
            continue;
        }
        if (!ch_version__alnum(c)) {
            i++;
            continue;
        }
        bool num = ch_version__digit(c);
        size_t start = i;
        while (i < s.len && (num ? ch_version__digit(s.ptr[i]) : ch_version__alpha(s.ptr[i])))
            i++;
        if (!num && first_str == SIZE_MAX)
            first_str = g->n;
        g->segs[g->n++] = (struct seg){.p = s.ptr + start, .len = i - start, .num = num};
    }
    /* Drop trailing zeros of the numeric prefix and of the rest. */
    size_t split = first_str == SIZE_MAX ? g->n : first_str;
    size_t end1 = split;
    while (end1 > 0 && seg_zero(&g->segs[end1 - 1]))
        end1--;
    size_t end2 = g->n;
    while (end2 > split && seg_zero(&g->segs[end2 - 1]))
        end2--;
    if (end1 < split)
        memmove(&g->segs[end1], &g->segs[split], (end2 - split) * sizeof(g->segs[0]));
    g->n = end1 + (end2 - split);
    return NULL;
}

static int seg_cmp(const struct seg *a, const struct seg *b)
{
    if (a->num && b->num)
        return ch_version__numcmp(a->p, a->len, b->p, b->len);
    if (a->num != b->num)
        return a->num ? 1 : -1;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->p, b->p, n);
    if (c == 0)
        return (a->len > b->len) - (a->len < b->len);
    return c < 0 ? -1 : 1;
}

static int gem_order(const struct gem *a, const struct gem *b)
{
    static const struct seg zero = {.p = "0", .len = 1, .num = true};
    size_t n = a->n > b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        const struct seg *x = i < a->n ? &a->segs[i] : &zero;
        const struct seg *y = i < b->n ? &b->segs[i] : &zero;
        int c = seg_cmp(x, y);
        if (c != 0)
            return c;
    }
    return 0;
}

static int gem_validate(struct ch_str v, struct ch_err *err)
{
    struct gem g;
    const char *why = parse(v, &g);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__rubygems, v, why);
}

static int gem_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    struct gem ga, gb;
    const char *why = parse(a, &ga);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__rubygems, a, why);
    why = parse(b, &gb);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__rubygems, b, why);
    *ret = gem_order(&ga, &gb);
    return CH_OK;
}

const struct ch_version_scheme ch_version__rubygems = {
    .name = "rubygems",
    .label = "RubyGems",
    .validate = gem_validate,
    .cmp = gem_cmp,
};
