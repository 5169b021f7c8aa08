/* SPDX-License-Identifier: Apache-2.0
 *
 * composer.c: Packagist (Composer) versions, ordered as Composer's
 * Comparator does it: PHP's version_compare() (php-src
 * ext/standard/versioning.c), after dropping a leading 'v' as Composer's
 * version normaliser and the OSV tools do.
 *
 * PHP canonicalises a version by turning '-', '_', '+' and every other
 * non-alphanumeric character into '.', and by splitting digit/non-digit
 * transitions; the elements are therefore the maximal runs of digits and
 * of letters. Elements compare pairwise: two numbers by value, two words by
 * their "special form" (the first of dev < alpha = a < beta = b < RC = rc
 * < # < pl = p that the word starts with, case-sensitively; any other word
 * sorts below dev), and a number counts as the form '#'. When one side runs
 * out, a following number makes the longer side greater, and a following
 * word compares its form against '#'.
 *
 * PHP compares a version with a leading or trailing separator ("1.") as
 * smaller than itself; such strings are refused here so that the order is
 * an order. PHP also saturates numbers at LONG_MAX, where we compare any
 * length exactly (docs/matching.md).
 */
#include "version/internal.h"

#define FORM_NUMBER 4

/* Special-form rank of a word element (php's compare_special_version_forms). */
static int form_rank(const char *p, size_t len)
{
    static const struct {
        const char *name;
        int order;
    } forms[] = {
        {"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2},
        {"RC", 3},  {"rc", 3},    {"#", 4}, {"pl", 5},   {"p", 5},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(forms); i++) {
        size_t n = strlen(forms[i].name);
        if (len >= n && memcmp(p, forms[i].name, n) == 0)
            return forms[i].order;
    }
    return -1;
}

static struct ch_str strip_v(struct ch_str s)
{
    if (s.len > 1 && (s.ptr[0] == 'v' || s.ptr[0] == 'V') && ch_version__digit(s.ptr[1]))
        return ch_str_sub(s, 1, s.len - 1);
    return s;
}

static const char *check(struct ch_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] <= 0x20 || s.ptr[i] >= 0x7f)
            return "not printable ASCII";
    }
    if (!ch_version__alnum(s.ptr[0]) || !ch_version__alnum(s.ptr[s.len - 1]))
        return "leading or trailing separator";
    return NULL;
}

struct elem {
    const char *p;
    size_t len;
    bool num;
};

/* Next element at *i, skipping separators; false at the end. */
static bool next_elem(struct ch_str s, size_t *i, struct elem *e)
{
    while (*i < s.len && !ch_version__alnum(s.ptr[*i]))
        (*i)++;
    if (*i >= s.len)
        return false;
    size_t start = *i;
    bool num = ch_version__digit(s.ptr[start]);
    while (*i < s.len && (num ? ch_version__digit(s.ptr[*i]) : ch_version__alpha(s.ptr[*i])))
        (*i)++;
    *e = (struct elem){.p = s.ptr + start, .len = *i - start, .num = num};
    return true;
}

static int elem_cmp(const struct elem *a, const struct elem *b)
{
    if (a->num && b->num)
        return ch_version__numcmp(a->p, a->len, b->p, b->len);
    int ra = a->num ? FORM_NUMBER : form_rank(a->p, a->len);
    int rb = b->num ? FORM_NUMBER : form_rank(b->p, b->len);
    return ch_version__sign((long)ra - rb);
}

/* What the remainder starting with e weighs against the end of the other side. */
static int tail_sign(const struct elem *e)
{
    if (e->num)
        return 1;
    return ch_version__sign((long)form_rank(e->p, e->len) - FORM_NUMBER);
}

static int composer_order(struct ch_str a, struct ch_str b)
{
    size_t i = 0;
    size_t j = 0;
    for (;;) {
        struct elem x, y;
        bool hx = next_elem(a, &i, &x);
        bool hy = next_elem(b, &j, &y);
        if (!hx && !hy)
            return 0;
        if (!hy)
            return tail_sign(&x);
        if (!hx)
            return -tail_sign(&y);
        int c = elem_cmp(&x, &y);
        if (c != 0)
            return c;
    }
}

static int composer_validate(struct ch_str v, struct ch_err *err)
{
    const char *why = check(strip_v(v));
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__composer, v, why);
}

static int composer_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    struct ch_str sa = strip_v(a);
    struct ch_str sb = strip_v(b);
    const char *why = check(sa);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__composer, a, why);
    why = check(sb);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__composer, b, why);
    *ret = composer_order(sa, sb);
    return CH_OK;
}

const struct ch_version_scheme ch_version__composer = {
    .name = "composer",
    .label = "Packagist",
    .validate = composer_validate,
    .cmp = composer_cmp,
};
