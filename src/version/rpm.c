/* SPDX-License-Identifier: Apache-2.0
 *
 * rpm.c: RPM versions [epoch:]version[-release] (Red Hat, AlmaLinux, Rocky
 * Linux, SUSE, openSUSE, Mageia, Azure Linux, Photon OS, openEuler), ordered
 * by rpm 4.18's rpmvercmp (rpmio/rpmvercmp.c) applied to epoch (absent =
 * "0"), version and release.
 *
 * rpmvercmp walks alternating alphabetic and numeric segments, skipping any
 * other characters as separators: '~' sorts before everything (1.0~rc1 <
 * 1.0), '^' after the base version but before anything else that follows
 * (1.0 < 1.0^git1 < 1.0.1), a numeric segment is newer than an alphabetic
 * one, numbers compare by value, letters bytewise, and when all segments
 * agree the side with characters left over is newer.
 *
 * As rpm.vercmp (rpmverCmp) does, a version without a release sorts below
 * the same version with any release, so the order stays total.
 */
#include "version/internal.h"

struct evr {
    struct ch_str epoch; /* len 0 = "0" */
    struct ch_str version;
    struct ch_str release; /* ptr NULL = absent */
};

static const char *parse(struct ch_str s, struct evr *v)
{
    *v = (struct evr){0};
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] <= 0x20 || s.ptr[i] >= 0x7f)
            return "not printable ASCII";
    }
    size_t d = 0;
    while (d < s.len && ch_version__digit(s.ptr[d]))
        d++;
    struct ch_str rest = s;
    if (d < s.len && s.ptr[d] == ':') {
        if (d == 0)
            return "empty epoch";
        v->epoch = ch_str_sub(s, 0, d);
        rest = ch_str_sub(s, d + 1, s.len);
    }
    size_t hyphen = rest.len;
    for (size_t i = rest.len; i > 0; i--) {
        if (rest.ptr[i - 1] == '-') {
            hyphen = i - 1;
            break;
        }
    }
    v->version = ch_str_sub(rest, 0, hyphen);
    if (v->version.len == 0)
        return "empty version";
    if (hyphen < rest.len) {
        v->release = ch_str_sub(rest, hyphen + 1, rest.len);
        if (v->release.len == 0)
            return "empty release";
    }
    return NULL;
}

static bool sep(char c)
{
    return !ch_version__alnum(c) && c != '~' && c != '^';
}

/* rpmvercmp over (pointer, length); characters past the end read as NUL. */
static int rpmvercmp(struct ch_str a, struct ch_str b)
{
    if (a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0))
        return 0;
    size_t i = 0;
    size_t j = 0;
    while (i < a.len || j < b.len) {
        while (i < a.len && sep(a.ptr[i]))
            i++;
        while (j < b.len && sep(b.ptr[j]))
            j++;
        char one = i < a.len ? a.ptr[i] : '\0';
        char two = j < b.len ? b.ptr[j] : '\0';
        if (one == '~' || two == '~') {
            if (one != '~')
                return 1;
            if (two != '~')
                return -1;
            i++;
            j++;
            continue;
        }
        if (one == '^' || two == '^') {
            if (one == '\0')
                return -1;
            if (two == '\0')
                return 1;
            if (one != '^')
                return 1;
            if (two != '^')
                return -1;
            i++;
            j++;
            continue;
        }
        if (one == '\0' || two == '\0')
            break;
        size_t si = i;
        size_t sj = j;
        bool num = ch_version__digit(one);
        if (num) {
            while (i < a.len && ch_version__digit(a.ptr[i]))
                i++;
            while (j < b.len && ch_version__digit(b.ptr[j]))
                j++;
        } else {
            while (i < a.len && ch_version__alpha(a.ptr[i]))
                i++;
            while (j < b.len && ch_version__alpha(b.ptr[j]))
                j++;
        }
        if (j == sj)
            return num ? 1 : -1; /* numeric segments are newer than alphabetic ones */
        int c;
        if (num) {
            c = ch_version__numcmp(a.ptr + si, i - si, b.ptr + sj, j - sj);
        } else {
            size_t la = i - si;
            size_t lb = j - sj;
            c = memcmp(a.ptr + si, b.ptr + sj, la < lb ? la : lb);
            if (c == 0)
                c = (la > lb) - (la < lb);
        }
        if (c != 0)
            return c < 0 ? -1 : 1;
    }
    bool a_end = i >= a.len;
    bool b_end = j >= b.len;
    if (a_end && b_end)
        return 0;
    return a_end ? -1 : 1;
}

static int evr_order(const struct evr *a, const struct evr *b)
{
    struct ch_str ea = a->epoch.len > 0 ? a->epoch : CH_STR_LIT("0");
    struct ch_str eb = b->epoch.len > 0 ? b->epoch : CH_STR_LIT("0");
    int c = rpmvercmp(ea, eb);
    if (c == 0)
        c = rpmvercmp(a->version, b->version);
    if (c == 0) {
        bool ha = a->release.ptr != NULL;
        bool hb = b->release.ptr != NULL;
        c = ha && hb ? rpmvercmp(a->release, b->release) : (int)ha - (int)hb;
    }
    return c;
}

static int rpm_validate(struct ch_str v, struct ch_err *err)
{
    struct evr p;
    const char *why = parse(v, &p);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__rpm, v, why);
}

static int rpm_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    struct evr pa, pb;
    const char *why = parse(a, &pa);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__rpm, a, why);
    why = parse(b, &pb);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__rpm, b, why);
    *ret = evr_order(&pa, &pb);
    return CH_OK;
}

const struct ch_version_scheme ch_version__rpm = {
    .name = "rpm",
    .label = "RPM",
    .validate = rpm_validate,
    .cmp = rpm_cmp,
};
