/* SPDX-License-Identifier: Apache-2.0
 *
 * dpkg.c: Debian and Ubuntu versions, [epoch:]upstream[-revision], as dpkg
 * parses (lib/dpkg/parsehelp.c parseversion) and orders them
 * (lib/dpkg/version.c verrevcmp; Debian Policy §5.6.12).
 *
 * The epoch is a number up to INT_MAX compared by value; upstream version
 * and revision compare by verrevcmp: alternating non-digit and digit runs,
 * non-digits by a weight in which '~' sorts before everything, even the end
 * of the string, letters before other characters, and digit runs by value.
 * A missing revision equals "0" there, as in dpkg.
 *
 * dpkg only warns about an upstream version that does not start with a
 * digit or holds characters outside [A-Za-z0-9.+~:-] (and a revision
 * outside [A-Za-z0-9.+~]); we refuse those, like every other error of
 * parseversion, so an order is only ever computed for well-formed input.
 */
#include "version/internal.h"

struct dpkg {
    struct ch_str epoch; /* digits; len 0 = 0 */
    struct ch_str upstream;
    struct ch_str revision;
};

static bool upstream_char(char c)
{
    return ch_version__alnum(c) || c == '.' || c == '-' || c == '+' || c == '~' || c == ':';
}

static bool revision_char(char c)
{
    return ch_version__alnum(c) || c == '.' || c == '+' || c == '~';
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static const char *parse(struct ch_str s, struct dpkg *v)
{
    *v = (struct dpkg){0};
    /* dpkg trims leading and trailing blanks and refuses embedded ones. */
    while (s.len > 0 && blank(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && blank(s.ptr[s.len - 1]))
        s.len--;
    if (s.len == 0)
        return "version string is empty";
    for (size_t i = 0; i < s.len; i++) {
        if (blank(s.ptr[i]))
            return "version string has embedded spaces";
    }
    long colon = ch_str_find_char(s, ':');
    struct ch_str rest = s;
    if (colon >= 0) {
        struct ch_str e = ch_str_sub(s, 0, (size_t)colon);
        if (e.len == 0)
            return "epoch in version is empty";
        for (size_t i = 0; i < e.len; i++) {
            if (!ch_version__digit(e.ptr[i]))
                return "epoch in version is not number";
        }
        if (ch_version__numcmp(e.ptr, e.len, "2147483647", 10) > 0)
            return "epoch in version is too big";
        v->epoch = e;
        rest = ch_str_sub(s, (size_t)colon + 1, s.len);
        if (rest.len == 0)
            return "nothing after colon in version number";
    }
    size_t hyphen = rest.len;
    for (size_t i = rest.len; i > 0; i--) {
        if (rest.ptr[i - 1] == '-') {
            hyphen = i - 1;
            break;
        }
    }
    v->upstream = ch_str_sub(rest, 0, hyphen);
    if (hyphen < rest.len) {
        v->revision = ch_str_sub(rest, hyphen + 1, rest.len);
        if (v->revision.len == 0)
            return "revision number is empty";
    }
    if (v->upstream.len == 0)
        return "upstream version is empty";
    if (!ch_version__digit(v->upstream.ptr[0]))
        return "version number does not start with digit";
    for (size_t i = 0; i < v->upstream.len; i++) {
        if (!upstream_char(v->upstream.ptr[i]))
            return "invalid character in version number";
    }
    for (size_t i = 0; i < v->revision.len; i++) {
        if (!revision_char(v->revision.ptr[i]))
            return "invalid character in revision number";
    }
    return NULL;
}

/* dpkg's order(): weight of a non-digit character; 0 stands for the end. */
static int order(const struct ch_str *s, size_t i)
{
    if (i >= s->len)
        return 0;
    char c = s->ptr[i];
    if (ch_version__digit(c))
        return 0;
    if (ch_version__alpha(c))
        return (unsigned char)c;
    if (c == '~')
        return -1;
    return (unsigned char)c + 256;
}

static int verrevcmp(struct ch_str a, struct ch_str b)
{
    /* an absent part is the empty view, whose pointer may be NULL; the digit
     * runs below take ptr + offset even when they are empty */
    if (a.ptr == NULL)
        a = ch_str_make("", 0);
    if (b.ptr == NULL)
        b = ch_str_make("", 0);
    size_t i = 0;
    size_t j = 0;
    while (i < a.len || j < b.len) {
        while ((i < a.len && !ch_version__digit(a.ptr[i])) ||
               (j < b.len && !ch_version__digit(b.ptr[j]))) {
            int ac = order(&a, i);
            int bc = order(&b, j);
            if (ac != bc)
                return ac < bc ? -1 : 1;
            i++;
            j++;
        }
        size_t si = i;
        size_t sj = j;
        while (i < a.len && ch_version__digit(a.ptr[i]))
            i++;
        while (j < b.len && ch_version__digit(b.ptr[j]))
            j++;
        int c = ch_version__numcmp(a.ptr + si, i - si, b.ptr + sj, j - sj);
        if (c != 0)
            return c;
    }
    return 0;
}

static int dpkg_order(const struct dpkg *a, const struct dpkg *b)
{
    int c = ch_version__numcmp(a->epoch.ptr, a->epoch.len, b->epoch.ptr, b->epoch.len);
    if (c == 0)
        c = verrevcmp(a->upstream, b->upstream);
    if (c == 0)
        c = verrevcmp(a->revision, b->revision);
    return c;
}

static int dpkg_validate(struct ch_str v, struct ch_err *err)
{
    struct dpkg p;
    const char *why = parse(v, &p);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__dpkg, v, why);
}

static int dpkg_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    struct dpkg pa, pb;
    const char *why = parse(a, &pa);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__dpkg, a, why);
    why = parse(b, &pb);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__dpkg, b, why);
    *ret = dpkg_order(&pa, &pb);
    return CH_OK;
}

const struct ch_version_scheme ch_version__dpkg = {
    .name = "dpkg",
    .label = "Debian",
    .validate = dpkg_validate,
    .cmp = dpkg_cmp,
};
