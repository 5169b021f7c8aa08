/* SPDX-License-Identifier: Apache-2.0
 *
 * size.h: overflow-checked size arithmetic, as git's st_add()/st_mult().
 * Each returns CH_OK and writes *ret, or CH_E_LIMIT without touching *ret.
 */
#ifndef CH_CORE_SIZE_H
#define CH_CORE_SIZE_H

#include <stddef.h>

#include "core/err.h"

CH_MUST_CHECK static inline int ch_size_add(size_t a, size_t b, size_t *ret)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        return CH_E_LIMIT;
    *ret = r;
    return CH_OK;
}

CH_MUST_CHECK static inline int ch_size_mul(size_t a, size_t b, size_t *ret)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return CH_E_LIMIT;
    *ret = r;
    return CH_OK;
}

#endif
