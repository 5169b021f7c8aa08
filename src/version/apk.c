/* SPDX-License-Identifier: Apache-2.0
 *
 * apk.c: Alpine, Wolfi and Chainguard package versions, ordered as
 * apk-tools 2 does (src/version.c: apk_version_validate and
 * apk_version_compare_blob).
 *
 * The grammar is Gentoo's: number{.number}...{letter}{_suffix{number}}...
 * {-r number}, with pre-release suffixes alpha < beta < pre < rc (below the
 * plain version) and post-release suffixes cvs, svn, git, hg, p. The
 * comparison is apk's token machine, ported statement by statement: a
 * component after a dot that starts with '0' is compared by its count of
 * leading zeros first (more zeros sort lower, so 1.01 < 1.1 and 1.0 > 1.00),
 * and when one version runs out, the longer one is newer unless what it has
 * next is a pre-release suffix. Token values that apk holds in an int
 * compare here at any length.
 *
 * One deliberate difference: after a zero component ("1.0_rc1"), apk-tools
 * 2's machine emits an empty digit token that makes the version compare as
 * longer than "1.0" before its suffix is seen, so 1.0_rc1 > 1.0. The
 * documented rule (and apk-tools 3) puts pre-release suffixes below the
 * release; we follow it (docs/matching.md).
 */
#include "version/internal.h"

enum tok {
    T_INVALID = -1,
    T_DIGIT_OR_ZERO,
    T_DIGIT,
    T_LETTER,
    T_SUFFIX,
    T_SUFFIX_NO,
    T_REVISION_NO,
    T_END,
};

/* A token's value: an integer, or a run of digits compared by value. */
struct val {
    long small; /* used when digits == NULL */
    const char *digits;
    size_t n_digits;
};

/* Value of a digit run when it fits 19 digits, else UINT64_MAX (larger than any small value). */
static unsigned long long digits_value(const struct val *v)
{
    size_t i = 0;
    while (i < v->n_digits && v->digits[i] == '0')
        i++;
    if (v->n_digits - i > 19)
        return ~0ULL;
    unsigned long long n = 0;
    for (; i < v->n_digits; i++)
        n = n * 10 + (unsigned long long)(v->digits[i] - '0');
    return n;
}

static int val_cmp(const struct val *a, const struct val *b)
{
    if (a->digits != NULL && b->digits != NULL)
        return ch_version__numcmp(a->digits, a->n_digits, b->digits, b->n_digits);
    if (a->digits == NULL && b->digits == NULL)
        return (a->small > b->small) - (a->small < b->small);
    if (b->digits != NULL)
        return -val_cmp(b, a);
    if (b->small < 0)
        return 1;
    unsigned long long x = digits_value(a);
    unsigned long long y = (unsigned long long)b->small;
    return (x > y) - (x < y);
}

struct blob {
    const char *p;
    size_t len;
};

static bool lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static void next_token(int *type, struct blob *b)
{
    int n = T_INVALID;
    if (b->len == 0 || b->p[0] == '\0') {
        n = T_END;
    } else if ((*type == T_DIGIT || *type == T_DIGIT_OR_ZERO) && lower(b->p[0])) {
        n = T_LETTER;
    } else if (*type == T_LETTER && ch_version__digit(b->p[0])) {
        n = T_DIGIT;
    } else if (*type == T_SUFFIX && ch_version__digit(b->p[0])) {
        n = T_SUFFIX_NO;
    } else {
        switch (b->p[0]) {
        case '.':
            n = T_DIGIT_OR_ZERO;
            break;
        case '_':
            n = T_SUFFIX;
            break;
        case '-':
            if (b->len > 1 && b->p[1] == 'r') {
                n = T_REVISION_NO;
                b->p++;
                b->len--;
            } else {
                n = T_INVALID;
            }
            break;
        default:
            break;
        }
        b->p++;
        b->len--;
    }
    if (n < *type) {
        if (!((n == T_DIGIT_OR_ZERO && *type == T_DIGIT) ||
              (n == T_SUFFIX && *type == T_SUFFIX_NO) || (n == T_DIGIT && *type == T_LETTER)))
            n = T_INVALID;
    }
    *type = n;
}

static bool prefix(const struct blob *b, const char *w, size_t *ret_len)
{
    size_t n = strlen(w);
    if (n <= b->len && memcmp(b->p, w, n) == 0) {
        *ret_len = n;
        return true;
    }
    return false;
}

static struct val get_token(int *type, struct blob *b)
{
    static const char *const pre_suffixes[] = {"alpha", "beta", "pre", "rc"};
    static const char *const post_suffixes[] = {"cvs", "svn", "git", "hg", "p"};
    struct val v = {0};
    size_t i = 0;
    int nt = T_INVALID;
    if (b->len == 0) {
        *type = T_END;
        return v;
    }
    switch (*type) {
    case T_DIGIT_OR_ZERO:
        if (b->p[0] == '0') {
            while (i < b->len && b->p[i] == '0')
                i++;
            /* apk-tools 2 continues with a DIGIT token even when no digit follows,
             * which makes 1.0_rc1 newer than 1.0; only real digits continue here. */
            if (i < b->len && ch_version__digit(b->p[i]))
                nt = T_DIGIT;
            v.small = -(long)i;
            break;
        }
        __attribute__((fallthrough));
    case T_DIGIT:
    case T_SUFFIX_NO:
    case T_REVISION_NO:
        while (i < b->len && ch_version__digit(b->p[i]))
            i++;
        v.digits = b->p;
        v.n_digits = i;
        break;
    case T_LETTER:
        v.small = (unsigned char)b->p[0];
        i = 1;
        break;
    case T_SUFFIX: {
        bool found = false;
        for (size_t k = 0; k < CH_ARRAY_SIZE(pre_suffixes) && !found; k++) {
            if (prefix(b, pre_suffixes[k], &i)) {
                v.small = (long)k - (long)CH_ARRAY_SIZE(pre_suffixes);
                found = true;
            }
        }
        for (size_t k = 0; k < CH_ARRAY_SIZE(post_suffixes) && !found; k++) {
            if (prefix(b, post_suffixes[k], &i)) {
                v.small = (long)k;
                found = true;
            }
        }
        if (found)
            break;
        *type = T_INVALID;
        v.small = -1;
        return v;
    }
    default:
        *type = T_INVALID;
        v.small = -1;
        return v;
    }
    b->p += i;
    b->len -= i;
    if (b->len == 0)
        *type = T_END;
    else if (nt != T_INVALID)
        *type = nt;
    else
        next_token(type, b);
    return v;
}

static const char *check(struct ch_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] <= 0x20 || s.ptr[i] >= 0x7f)
            return "not printable ASCII";
    }
    struct blob b = {.p = s.ptr, .len = s.len};
    int t = T_DIGIT;
    while (t != T_END && t != T_INVALID)
        (void)get_token(&t, &b);
    return t == T_END ? NULL : "not an apk version";
}

static int apk_order(struct ch_str sa, struct ch_str sb)
{
    struct blob a = {.p = sa.ptr, .len = sa.len};
    struct blob b = {.p = sb.ptr, .len = sb.len};
    int at = T_DIGIT;
    int bt = T_DIGIT;
    struct val av = {0};
    struct val bv = {0};
    while (at == bt && at != T_END && at != T_INVALID && val_cmp(&av, &bv) == 0) {
        av = get_token(&at, &a);
        bv = get_token(&bt, &b);
    }
    int c = val_cmp(&av, &bv);
    if (c != 0)
        return c;
    if (at == bt)
        return 0;
    int tt = at;
    if (at == T_SUFFIX && get_token(&tt, &a).small < 0)
        return -1;
    tt = bt;
    if (bt == T_SUFFIX && get_token(&tt, &b).small < 0)
        return 1;
    if (at > bt)
        return -1;
    if (bt > at)
        return 1;
    return 0;
}

static int apk_validate(struct ch_str v, struct ch_err *err)
{
    const char *why = check(v);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__apk, v, why);
}

static int apk_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    const char *why = check(a);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__apk, a, why);
    why = check(b);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__apk, b, why);
    *ret = apk_order(a, b);
    return CH_OK;
}

const struct ch_version_scheme ch_version__apk = {
    .name = "apk",
    .label = "Alpine",
    .validate = apk_validate,
    .cmp = apk_cmp,
};
