/* SPDX-License-Identifier: Apache-2.0
 *
 * maven.c: Maven's version order, a port of maven-artifact's
 * ComparableVersion as shipped in Maven 3.8.7/3.9 (MNG-6964: a sub-list is
 * compared with "nothing" item by item; MNG-7644: a qualifier after a dot
 * reads as after a hyphen, "1.0.0.RC1" < "1.0.0-RC2"; "release" aliases the
 * empty qualifier). Spec: https://maven.apache.org/pom.html#version-order-specification
 *
 * ComparableVersion turns a version into nested lists: '.' separates items,
 * '-' and every digit/letter transition open a sub-list, and trailing
 * "null" items (0, "", ga, final, release, empty lists) are dropped. A new
 * list is always appended as the last item of the current one, so the
 * nesting is a chain: level L holds scalar items and, optionally, level L+1
 * as its last item. We keep that chain flat, in arrays on the stack sized
 * from CH_VERSION_MAX_LEN, and compare without allocating.
 *
 * Maven accepts any string as a version; we accept printable ASCII without
 * spaces (Java's Unicode digits and case rules would otherwise leak in).
 */
#include "version/internal.h"

#include <stdint.h>

enum { IT_INT, IT_STR };
enum { Q_ALPHA, Q_BETA, Q_MILESTONE, Q_RC, Q_SNAPSHOT, Q_RELEASE, Q_SP, Q_UNKNOWN };

struct mitem {
    uint8_t kind;  /* IT_* */
    uint8_t qrank; /* IT_STR: Q_* */
    uint16_t len;  /* IT_INT: digits without leading zeros (0 = zero); IT_STR: text */
    const char *p;
};

struct mlevel {
    uint16_t start;
    uint16_t end; /* scalars [start, end) after dropping trailing nulls */
    bool sub;     /* level+1 exists and is not empty */
};

#define MAVEN_MAX_ITEMS (CH_VERSION_MAX_LEN + 2)

struct maven {
    struct mitem items[MAVEN_MAX_ITEMS];
    struct mlevel levels[MAVEN_MAX_ITEMS];
    uint16_t n_items;
    uint16_t n_levels;
};

static bool word_is(const char *p, size_t len, const char *w)
{
    size_t n = strlen(w);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (ch_version__lower(p[i]) != w[i])
            return false;
    }
    return true;
}

static uint8_t qualifier_rank(const char *p, size_t len, bool followed_by_digit)
{
    if (followed_by_digit && len == 1) {
        switch (ch_version__lower(p[0])) {
        case 'a':
            return Q_ALPHA;
        case 'b':
            return Q_BETA;
        case 'm':
            return Q_MILESTONE;
        default:
            break;
        }
    }
    static const struct {
        const char *word;
        uint8_t rank;
    } words[] = {
        {"alpha", Q_ALPHA}, {"beta", Q_BETA},     {"milestone", Q_MILESTONE},
        {"rc", Q_RC},       {"cr", Q_RC},         {"snapshot", Q_SNAPSHOT},
        {"ga", Q_RELEASE},  {"final", Q_RELEASE}, {"release", Q_RELEASE},
        {"sp", Q_SP},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(words); i++) {
        if (word_is(p, len, words[i].word))
            return words[i].rank;
    }
    return Q_UNKNOWN;
}

static void add_int(struct maven *m, const char *p, size_t len)
{
    while (len > 0 && *p == '0') {
        p++;
        len--;
    }
    m->items[m->n_items++] = (struct mitem){.kind = IT_INT, .len = (uint16_t)len, .p = p};
}

static void add_str(struct maven *m, const char *p, size_t len, bool followed_by_digit)
{
    m->items[m->n_items++] = (struct mitem){.kind = IT_STR,
                                            .qrank = qualifier_rank(p, len, followed_by_digit),
                                            .len = (uint16_t)len,
                                            .p = p};
}

static void add_item(struct maven *m, bool digit, const char *p, size_t len)
{
    if (digit)
        add_int(m, p, len);
    else
        add_str(m, p, len, false);
}

static void open_list(struct maven *m)
{
    m->levels[m->n_levels++] = (struct mlevel){.start = m->n_items};
}

static bool current_empty(const struct maven *m)
{
    /* The current list also holds nothing yet when only its sub-list was opened. */
    return m->levels[m->n_levels - 1].start == m->n_items;
}

static bool item_null(const struct mitem *it)
{
    return it->kind == IT_INT ? it->len == 0 : it->qrank == Q_RELEASE;
}

static void normalize(struct maven *m)
{
    for (int l = m->n_levels - 1; l >= 0; l--) {
        struct mlevel *lv = &m->levels[l];
        lv->end = (uint16_t)(l + 1 < m->n_levels ? m->levels[l + 1].start : m->n_items);
        lv->sub = l + 1 < m->n_levels &&
                  (m->levels[l + 1].end > m->levels[l + 1].start || m->levels[l + 1].sub);
        while (lv->end > lv->start && item_null(&m->items[lv->end - 1]))
            lv->end--;
    }
}

static const char *parse(struct ch_str s, struct maven *m)
{
    m->n_items = 0;
    m->n_levels = 0;
    open_list(m);
    bool digit = false;
    size_t start = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c <= 0x20 || c >= 0x7f)
            return "not printable ASCII";
        if (c == '.' || c == '-') {
            if (i == start)
                add_int(m, "0", 1);
            else
                add_item(m, digit, s.ptr + start, i - start);
            start = i + 1;
            if (c == '-')
                open_list(m);
        } else if (ch_version__digit(c)) {
            if (!digit && i > start) {
                if (!current_empty(m))
                    open_list(m);
                add_str(m, s.ptr + start, i - start, true);
                start = i;
                open_list(m);
            }
            digit = true;
        } else {
            if (digit && i > start) {
                add_int(m, s.ptr + start, i - start);
                start = i;
                open_list(m);
            }
            digit = false;
        }
    }
    if (s.len > start) {
        if (!digit && !current_empty(m))
            open_list(m);
        add_item(m, digit, s.ptr + start, s.len - start);
    }
    normalize(m);
    return NULL;
}

/* One position of a list: a scalar, the sub-list, or nothing. */
struct ref {
    enum { R_NONE, R_SCALAR, R_LIST } kind;
    const struct mitem *it;
    int level;
};

static struct ref item_at(const struct maven *m, int level, size_t k)
{
    const struct mlevel *lv = &m->levels[level];
    size_t n = (size_t)(lv->end - lv->start);
    if (k < n)
        return (struct ref){.kind = R_SCALAR, .it = &m->items[lv->start + k]};
    if (k == n && lv->sub)
        return (struct ref){.kind = R_LIST, .level = level + 1};
    return (struct ref){.kind = R_NONE};
}

static int text_cmp(const struct mitem *a, const struct mitem *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)ch_version__lower(a->p[i]);
        unsigned char y = (unsigned char)ch_version__lower(b->p[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return (a->len > b->len) - (a->len < b->len);
}

static int scalar_vs_none(const struct mitem *it)
{
    if (it->kind == IT_INT)
        return it->len == 0 ? 0 : 1;
    return ch_version__sign((long)it->qrank - Q_RELEASE);
}

static int list_vs_none(const struct maven *m, int level);

static int ref_vs_none(const struct maven *m, struct ref r)
{
    if (r.kind == R_SCALAR)
        return scalar_vs_none(r.it);
    if (r.kind == R_LIST)
        return list_vs_none(m, r.level);
    return 0;
}

static int list_vs_none(const struct maven *m, int level)
{
    for (size_t k = 0;; k++) {
        struct ref r = item_at(m, level, k);
        if (r.kind == R_NONE)
            return 0;
        int c = ref_vs_none(m, r);
        if (c != 0)
            return c;
    }
}

static int list_cmp(const struct maven *a, int la, const struct maven *b, int lb);

/* x is not R_NONE. */
static int ref_cmp(const struct maven *a, struct ref x, const struct maven *b, struct ref y)
{
    if (y.kind == R_NONE)
        return ref_vs_none(a, x);
    if (x.kind == R_LIST) {
        if (y.kind == R_LIST)
            return list_cmp(a, x.level, b, y.level);
        return y.it->kind == IT_INT ? -1 : 1;
    }
    if (x.it->kind == IT_INT) {
        if (y.kind == R_SCALAR && y.it->kind == IT_INT)
            return ch_version__numcmp(x.it->p, x.it->len, y.it->p, y.it->len);
        return 1;
    }
    if (y.kind == R_LIST || y.it->kind == IT_INT)
        return -1;
    if (x.it->qrank != y.it->qrank)
        return x.it->qrank < y.it->qrank ? -1 : 1;
    return x.it->qrank == Q_UNKNOWN ? text_cmp(x.it, y.it) : 0;
}

static int list_cmp(const struct maven *a, int la, const struct maven *b, int lb)
{
    for (size_t k = 0;; k++) {
        struct ref x = item_at(a, la, k);
        struct ref y = item_at(b, lb, k);
        int c;
        if (x.kind == R_NONE && y.kind == R_NONE)
            return 0;
        if (x.kind == R_NONE)
            c = -ref_vs_none(b, y);
        else
            c = ref_cmp(a, x, b, y);
        if (c != 0)
            return c;
    }
}

static int maven_validate(struct ch_str v, struct ch_err *err)
{
    struct maven m;
    const char *why = parse(v, &m);
    return why == NULL ? CH_OK : ch_version__invalid(err, &ch_version__maven, v, why);
}

static int maven_cmp(struct ch_str a, struct ch_str b, int *ret, struct ch_err *err)
{
    struct maven ma, mb;
    const char *why = parse(a, &ma);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__maven, a, why);
    why = parse(b, &mb);
    if (why != NULL)
        return ch_version__invalid(err, &ch_version__maven, b, why);
    *ret = list_cmp(&ma, 0, &mb, 0);
    return CH_OK;
}

const struct ch_version_scheme ch_version__maven = {
    .name = "maven",
    .label = "Maven",
    .validate = maven_validate,
    .cmp = maven_cmp,
};
