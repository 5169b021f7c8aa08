/* SPDX-License-Identifier: Apache-2.0
 *
 * pep440.c: PEP 440 versions (PyPI), as python-packaging's Version parses
 * and orders them (https://peps.python.org/pep-0440/; packaging/version.py
 * VERSION_PATTERN and _cmpkey).
 *
 * The grammar is the permissive one packaging accepts and normalises:
 * case-insensitive, optional leading 'v', surrounding whitespace, epoch
 * `N!`, pre-release spellings a/alpha, b/beta, c/rc/pre/preview with
 * optional separators [-_.] and implicit number 0, post-releases `-N`,
 * post/rev/r, dev releases, and local versions `+abc.1`. A hand-written
 * parser replaces the regular expression: every optional separator is taken
 * greedily, which picks the same parse as the regex's backtracking order
 * (no label is a prefix of another that could also complete the match).
 *
 * Order (_cmpkey): epoch; release with trailing zeros ignored; pre-release
 * (a dev-only release sorts before every pre-release of its release, a final
 * after them); post (absent lowest); dev (absent highest); local (absent
 * lowest; numeric segments above alphanumeric ones, then by value or text).
 * All numbers are arbitrary-precision, as Python's ints are.
 */
#include "version/internal.h"

struct span {
    const char *p;
    size_t len;
};

enum { PRE_DEV_ONLY = -1, PRE_A = 0, PRE_B = 1, PRE_RC = 2, PRE_NONE = 3 };

struct pep440 {
    struct span epoch;   /* digits; len 0 = 0 */
    struct span release; /* "1.2.3" */
    int pre;             /* PRE_* */
    struct span pre_n;
    bool post;
    struct span post_n;
    bool dev;
    struct span dev_n;
    bool local;
    struct span local_s; /* after '+' */
};

struct cursor {
    const char *p;
    size_t len;
    size_t i;
};

static bool at_sep(const struct cursor *c)
{
    if (c->i >= c->len)
        return false;
    char ch = c->p[c->i];
    return ch == '-' || ch == '_' || ch == '.';
}

/* Case-insensitive match of word at the cursor; advances on success. */
static bool take_word(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    if (c->len - c->i < n)
        return false;
    for (size_t k = 0; k < n; k++) {
        if (ch_version__lower(c->p[c->i + k]) != word[k])
            return false;
    }
    c->i += n;
    return true;
}

static struct span take_digits(struct cursor *c)
{
    size_t start = c->i;
    while (c->i < c->len && ch_version__digit(c->p[c->i]))
        c->i++;
    return (struct span){.p = c->p + start, .len = c->i - start};
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

struct label {
    const char *word;
    int kind;
};

/* Longest spelling first, so that "alpha" is not read as "a" + "lpha". */
static const struct label pre_labels[] = {
    {"preview", PRE_RC}, {"alpha", PRE_A}, {"beta", PRE_B}, {"pre", PRE_RC},
    {"rc", PRE_RC},      {"a", PRE_A},     {"b", PRE_B},    {"c", PRE_RC},
};

static bool parse_pre(struct cursor *c, struct pep440 *v)
{
    size_t save = c->i;
    if (at_sep(c))
        c->i++;
    for (size_t k = 0; k < CH_ARRAY_SIZE(pre_labels); k++) {
        if (take_word(c, pre_labels[k].word)) {
            v->pre = pre_labels[k].kind;
            if (at_sep(c))
                c->i++;
            v->pre_n = take_digits(c);
            return true;
        }
    }
    c->i = save;
    return false;
}

static void parse_post(struct cursor *c, struct pep440 *v)
{
    size_t save = c->i;
    if (c->i < c->len && c->p[c->i] == '-') {
        c->i++;
        struct span n = take_digits(c);
        if (n.len > 0) {
            v->post = true;
            v->post_n = n;
            return;
        }
        c->i = save;
    }
    if (at_sep(c))
        c->i++;
    if (take_word(c, "post") || take_word(c, "rev") || take_word(c, "r")) {
        v->post = true;
        if (at_sep(c))
            c->i++;
        v->post_n = take_digits(c);
        return;
    }
    c->i = save;
}

static void parse_dev(struct cursor *c, struct pep440 *v)
{
    size_t save = c->i;
    if (at_sep(c))
        c->i++;
    if (take_word(c, "dev")) {
        v->dev = true;
        if (at_sep(c))
            c->i++;
        v->dev_n = take_digits(c);
        return;
    }
    c->i = save;
}

static const char *parse_local(struct cursor *c, struct pep440 *v)
{
    size_t start = c->i;
    for (;;) {
        size_t seg = c->i;
        while (c->i < c->len && ch_version__alnum(c->p[c->i]))
            c->i++;
        if (c->i == seg)
            return "empty local version segment";
        if (at_sep(c) && c->i + 1 < c->len && ch_version__alnum(c->p[c->i + 1])) {
            c->i++;
            continue;
        }
        break;
    }
    v->local = true;
    v->local_s = (struct span){.p = c->p + start, .len = c->i - start};
    return NULL;
}

static const char *parse(struct ch_str s, struct pep440 *v)
{
    struct cursor c = {.p = s.ptr, .len = s.len, .i = 0};
    *v = (struct pep440){.pre = PRE_NONE};
    while (c.i < c.len && is_space(c.p[c.i]))
        c.i++;
    while (c.len > c.i && is_space(c.p[c.len - 1]))
        c.len--;
    if (c.i < c.len && ch_version__lower(c.p[c.i]) == 'v')
        c.i++;
    size_t save = c.i;
    struct span n = take_digits(&c);
    if (n.len > 0 && c.i < c.len && c.p[c.i] == '!') {
        v->epoch = n;
        c.i++;
    } else {
        c.i = save;
    }
    size_t rel = c.i;
    for (;;) {
        if (take_digits(&c).len == 0)
            return "expected a release number";
        if (c.i + 1 < c.len && c.p[c.i] == '.' && ch_version__digit(c.p[c.i + 1])) {
            c.i++;
            continue;
        }
        break;
    }
    v->release = (struct span){.p = c.p + rel, .len = c.i - rel};
    parse_pre(&c, v);
    parse_post(&c, v);
    parse_dev(&c, v);
    if (c.i < c.len && c.p[c.i] == '+') {
        c.i++;
        const char *why = parse_local(&c, v);
        if (why != NULL)
            return why;
    }
    if (c.i != c.len)
        return "unexpected text";
    if (v->pre == PRE_NONE && !v->post && v->dev)
        v->pre = PRE_DEV_ONLY;
    return NULL;
}

/* Next dot-separated number of a release; an exhausted release yields 0. */
static struct span next_num(struct span *rest)
{
    size_t n = 0;
    while (n < rest->len && rest->p[n] != '.')
        n++;
    struct span out = {.p = rest->p, .len = n};
    if (n < rest->len)
        n++;
    rest->p += n;
    rest->len -= n;
    return out;
}

static int release_cmp(struct span a, struct span b)
{
    while (a.len > 0 || b.len > 0) {
        struct span x = next_num(&a);
        struct span y = next_num(&b);
        int c = ch_version__numcmp(x.p, x.len, y.p, y.len);
        if (c != 0)
            return c;
    }
    return 0;
}

static bool local_sep(char ch)
{
    return ch == '-' || ch == '_' || ch == '.';
}

static struct span next_local(struct span *rest, bool *numeric)
{
    size_t n = 0;
    bool num = true;
    while (n < rest->len && !local_sep(rest->p[n])) {
        if (!ch_version__digit(rest->p[n]))
            num = false;
        n++;
    }
    struct span out = {.p = rest->p, .len = n};
    *numeric = num;
    if (n < rest->len)
        n++;
    rest->p += n;
    rest->len -= n;
    return out;
}

static int text_cmp_lower(struct span a, struct span b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)ch_version__lower(a.p[i]);
        unsigned char y = (unsigned char)ch_version__lower(b.p[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return (a.len > b.len) - (a.len < b.len);
}

static int local_cmp(const struct pep440 *a, const struct pep440 *b)
{
    if (!a->local || !b->local)
        return (int)a->local - (int)b->local;
    struct span ra = a->local_s;
    struct span rb = b->local_s;
    for (;;) {
        if (ra.len == 0 || rb.len == 0)
            return (ra.len > 0) - (rb.len > 0);
        bool na = false;
        bool nb = false;
        struct span x = next_local(&ra, &na);
        struct span y = next_local(&rb, &nb);
        int c;
        if (na && nb)
            c = ch_version__numcmp(x.p, x.len, y.p, y.len);
        else if (na || nb)
            c = na ? 1 : -1;
        else
            c = text_cmp_lower(x, y);
        if (c != 0)
            return c;
    }
}

static int num_cmp(struct span a, struct span b)
{
    return ch_version__numcmp(a.p, a.len, b.p, b.len);
}

static int pep440_order(const struct pep440 *a, const struct pep440 *b)
{
    int c = num_cmp(a->epoch, b->epoch);
    if (c == 0)
        c = release_cmp(a->release, b->release);
    if (c == 0) {
        c = ch_version__sign((long)a->pre - (long)b->pre);
        if (c == 0 && a->pre >= PRE_A && a->pre <= PRE_RC)
            c = num_cmp(a->pre_n, b->pre_n);
    }
    if (c == 0) {
        c = (int)a->post - (int)b->post;
        if (c == 0 && a->post)
            c = num_cmp(a->post_n, b->post_n);
    }
    if (c == 0) {
        c = (int)b->dev - (int)a->dev; /* no dev release sorts last */
        if (c == 0 && a->dev)
            c = num_cmp(a->dev_n, b->dev_n);
    }
    if (c == 0)
        c = local_cmp(a, b);
    return c;
}

static int pep440_validate(struct ch_str v, struct ch_err *err)
{
    struct pep440 p;
    const char *why = parse(v, &p);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__pep440, v, why);
}

static int pep440_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    struct pep440 pa, pb;
    const char *why = parse(a, &pa);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__pep440, a, why);
    why = parse(b, &pb);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__pep440, b, why);
    *ret = pep440_order(&pa, &pb);
    return CH_OK;
}

const struct ch_version_scheme ch_version__pep440 = {
    .name = "pep440",
    .label = "PEP 440",
    .validate = pep440_validate,
    .cmp = pep440_cmp,
};
