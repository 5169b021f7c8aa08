/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h: what the files of src/version/ share and no one else sees.
 *
 * Each scheme file defines one `struct ch_version_scheme` (an ops table) and
 * version.c dispatches to it. A scheme's cmp parses both sides, reports the
 * first invalid one through ch_version__invalid(), and compares; it never
 * allocates. Lengths were already checked against CH_VERSION_MAX_LEN by the
 * dispatcher, so schemes may size stack arrays from it.
 */
#ifndef CH_VERSION_INTERNAL_H
#define CH_VERSION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "version/version.h"

typedef int ch_version_validate_fn(struct ch_str v, struct ch_err *err);
typedef int ch_version_cmp_fn(struct ch_str a, struct ch_str b, int *ret_cmp, struct ch_err *err);

struct ch_version_scheme {
    const char *name;  /* "pep440": ch_version_scheme_by_name() key */
    const char *label; /* "PEP 440": used in error messages */
    ch_version_validate_fn *validate;
    ch_version_cmp_fn *cmp; /* *ret_cmp in {-1, 0, 1} */
};

extern const struct ch_version_scheme ch_version__semver;
extern const struct ch_version_scheme ch_version__go;
extern const struct ch_version_scheme ch_version__pep440;
extern const struct ch_version_scheme ch_version__maven;
extern const struct ch_version_scheme ch_version__nuget;
extern const struct ch_version_scheme ch_version__rubygems;
extern const struct ch_version_scheme ch_version__composer;
extern const struct ch_version_scheme ch_version__dpkg;
extern const struct ch_version_scheme ch_version__rpm;
extern const struct ch_version_scheme ch_version__apk;
extern const struct ch_version_scheme ch_version__cran;
extern const struct ch_version_scheme ch_version__pvp;

/*
 * Reports "invalid <label> version '<v>': <why>" as CH_E_INVALID and
 * returns it. Non-printable bytes of v are shown as '?', long values cut.
 */
int ch_version__invalid(struct ch_err *err, const struct ch_version_scheme *s, struct ch_str v,
                        const char *why);

/*
 * Compares two runs of ASCII digits by numeric value, any length (leading
 * zeros ignored): -1, 0 or 1.
 */
int ch_version__numcmp(const char *a, size_t alen, const char *b, size_t blen);

static inline bool ch_version__digit(char c)
{
    return c >= '0' && c <= '9';
}
static inline bool ch_version__alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool ch_version__alnum(char c)
{
    return ch_version__digit(c) || ch_version__alpha(c);
}
static inline char ch_version__lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}
static inline int ch_version__sign(long v)
{
    return (v > 0) - (v < 0);
}

#endif
