/* SPDX-License-Identifier: Apache-2.0
 *
 * compiler.h: attributes and assertion macros shared by every module.
 *
 * CH_MUST_CHECK marks fallible functions so a dropped error is a compile
 * warning (an error under -Werror). CH_ASSERT is for programmer errors only;
 * CH_ALWAYS/CH_NEVER wrap "impossible" conditions that are still tested in
 * release builds, as SQLite's ALWAYS/NEVER do.
 */
#ifndef CH_CORE_COMPILER_H
#define CH_CORE_COMPILER_H

#include <stddef.h>

#define CH_MUST_CHECK __attribute__((warn_unused_result))
#define CH_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#define CH_UNUSED __attribute__((unused))
#define CH_NORETURN __attribute__((noreturn))
#define CH_LIKELY(x) __builtin_expect(!!(x), 1)
#define CH_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/*
 * A deliberate ignore of a CH_MUST_CHECK result (gcc does not accept a (void)
 * cast for warn_unused_result). Always with a comment saying why.
 */
#define CH_IGNORE(expr)                                                                \
    do {                                                                               \
        if (expr) {                                                                    \
        }                                                                              \
    } while (0)

/* Static helpers worth a unit test are visible in test builds only. */
#ifdef CH_UNIT_TEST
#define CH_TESTABLE
#else
#define CH_TESTABLE static
#endif

CH_NORETURN void ch_assert_fail(const char *expr, const char *file, int line);

#define CH_ASSERT(x)                                                                   \
    do {                                                                               \
        if (CH_UNLIKELY(!(x)))                                                         \
            ch_assert_fail(#x, __FILE__, __LINE__);                                    \
    } while (0)

#ifdef NDEBUG
#define CH_ALWAYS(x) (x)
#define CH_NEVER(x) (x)
#else
#define CH_ALWAYS(x) ((x) ? 1 : (ch_assert_fail(#x, __FILE__, __LINE__), 0))
#define CH_NEVER(x) ((x) ? (ch_assert_fail(#x, __FILE__, __LINE__), 1) : 0)
#endif

#endif
