/* SPDX-License-Identifier: Apache-2.0
 *
 * semver.c: Semantic Versioning 2.0.0 precedence (https://semver.org, §11),
 * for npm, crates.io, Hex, Pub, SwiftURL, GitHub Actions and Bitnami, and
 * its Go dialect (golang.org/x/mod/semver) for Go modules.
 *
 * Grammar is the spec's (the regular expression of semver.org, as
 * node-semver applies it without its "loose" mode): numeric identifiers
 * without leading zeros, non-empty dot-separated pre-release and build
 * identifiers of [0-9A-Za-z-]. A leading 'v' is accepted, as node-semver
 * and Go accept it. Build metadata is validated and then ignored, so
 * `+incompatible` of Go modules does not change the order, and Go
 * pseudo-versions (v0.0.0-20191109021931-daa7c04131f5) order as the
 * pre-releases they are. The Go dialect also accepts the shorthands
 * vMAJOR and vMAJOR.MINOR (= .0.0 / .0), as x/mod/semver does.
 *
 * Numbers of any length compare by value (digit count, then digits), where
 * node-semver converts to doubles and loses precision past 2^53; see
 * docs/matching.md.
 */
#include "version/internal.h"

struct span {
    const char *p;
    size_t len;
};

struct semver {
    struct span num[3]; /* major, minor, patch; len 0 = implied "0" (Go shorthand) */
    struct span pre;    /* dot-separated identifiers, without the '-'; len 0 = none */
};

static bool ident_char(char c)
{
    return ch_version__alnum(c) || c == '-';
}

/* A numeric identifier at s[*i]: 0 or [1-9][0-9]*. */
static const char *scan_num(struct ch_str s, size_t *i, struct span *out)
{
    size_t start = *i;
    while (*i < s.len && ch_version__digit(s.ptr[*i]))
        (*i)++;
    if (*i == start)
        return "expected a number";
    if (s.ptr[start] == '0' && *i - start > 1)
        return "number with a leading zero";
    out->p = s.ptr + start;
    out->len = *i - start;
    return NULL;
}

/* Dot-separated identifiers at s[*i] up to '+' or the end; numeric ones without leading zeros. */
static const char *scan_idents(struct ch_str s, size_t *i, bool check_zero, struct span *out)
{
    size_t start = *i;
    for (;;) {
        size_t id = *i;
        bool all_digits = true;
        while (*i < s.len && ident_char(s.ptr[*i])) {
            if (!ch_version__digit(s.ptr[*i]))
                all_digits = false;
            (*i)++;
        }
        if (*i == id)
            return "empty identifier";
        if (check_zero && all_digits && s.ptr[id] == '0' && *i - id > 1)
            return "numeric identifier with a leading zero";
        if (*i < s.len && s.ptr[*i] == '.') {
            (*i)++;
            continue;
        }
        break;
    }
    out->p = s.ptr + start;
    out->len = *i - start;
    return NULL;
}

static const char *parse(struct ch_str s, bool go, struct semver *v)
{
    size_t i = 0;
    if (i < s.len && s.ptr[i] == 'v')
        i++;
    *v = (struct semver){0};
    const char *why = NULL;
    int parts = 0;
    for (; parts < 3; parts++) {
        if (parts > 0) {
            if (i >= s.len || s.ptr[i] != '.')
                break;
            i++;
        }
        why = scan_num(s, &i, &v->num[parts]);
        if (why != NULL)
            return why;
    }
    if (parts < 3 && !(go && i == s.len))
        return "expected MAJOR.MINOR.PATCH";
    if (i < s.len && s.ptr[i] == '-') {
        i++;
        why = scan_idents(s, &i, true, &v->pre);
        if (why != NULL)
            return why;
    }
    if (i < s.len && s.ptr[i] == '+') {
        i++;
        struct span build;
        why = scan_idents(s, &i, false, &build);
        if (why != NULL)
            return why;
    }
    if (i != s.len)
        return "unexpected character";
    return NULL;
}

static int span_numcmp(struct span a, struct span b)
{
    return ch_version__numcmp(a.p, a.len, b.p, b.len);
}

/* Next identifier of a pre-release list; false at the end. */
static bool next_ident(struct span *rest, struct span *id, bool *numeric)
{
    if (rest->len == 0)
        return false;
    size_t n = 0;
    bool num = true;
    while (n < rest->len && rest->p[n] != '.') {
        if (!ch_version__digit(rest->p[n]))
            num = false;
        n++;
    }
    id->p = rest->p;
    id->len = n;
    *numeric = num;
    if (n < rest->len)
        n++;
    rest->p += n;
    rest->len -= n;
    return true;
}

static int pre_cmp(struct span a, struct span b)
{
    if (a.len == 0 || b.len == 0)
        return (a.len == 0) - (b.len == 0); /* a release sorts after its pre-releases */
    for (;;) {
        struct span ia, ib;
        bool na = false;
        bool nb = false;
        bool ha = next_ident(&a, &ia, &na);
        bool hb = next_ident(&b, &ib, &nb);
        if (!ha || !hb)
            return ha - hb;
        int c;
        if (na && nb) {
            c = span_numcmp(ia, ib);
        } else if (na || nb) {
            c = na ? -1 : 1;
        } else {
            size_t n = ia.len < ib.len ? ia.len : ib.len;
            c = memcmp(ia.p, ib.p, n);
            if (c == 0)
                c = (ia.len > ib.len) - (ia.len < ib.len);
        }
        if (c != 0)
            return c < 0 ? -1 : 1;
    }
}

static int semver_cmp(const struct semver *a, const struct semver *b)
{
    for (int i = 0; i < 3; i++) {
        int c = span_numcmp(a->num[i], b->num[i]);
        if (c != 0)
            return c;
    }
    return pre_cmp(a->pre, b->pre);
}

static int do_validate(const struct ch_version_scheme *s, bool go, struct ch_str v,
                       struct ch_err *err)
{
    struct semver p;
    const char *why = parse(v, go, &p);
    return why == NULL ? CH_OK : ch_version__invalid(err, s, v, why);
}

static int do_cmp(const struct ch_version_scheme *s, bool go, struct ch_str a, struct ch_str b,
                  int *ret, struct ch_err *err)
{
    struct semver pa, pb;
    const char *why = parse(a, go, &pa);
    if (why != NULL)
        return ch_version__invalid(err, s, a, why);
    why = parse(b, go, &pb);
    if (why != NULL)
        return ch_version__invalid(err, s, b, why);
    *ret = semver_cmp(&pa, &pb);
    return CH_OK;
}

static int semver_validate(struct ch_str v, struct ch_err *err)
{
    return do_validate(&ch_version__semver, false, v, err);
}

static int semver_cmp_op(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    return do_cmp(&ch_version__semver, false, a, b, ret, err);
}

static int go_validate(struct ch_str v, struct ch_err *err)
{
    return do_validate(&ch_version__go, true, v, err);
}

static int go_cmp_op(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    return do_cmp(&ch_version__go, true, a, b, ret, err);
}

const struct ch_version_scheme ch_version__semver = {
    .name = "semver",
    .label = "SemVer",
    .validate = semver_validate,
    .cmp = semver_cmp_op,
};

const struct ch_version_scheme ch_version__go = {
    .name = "go",
    .label = "Go module",
    .validate = go_validate,
    .cmp = go_cmp_op,
};
