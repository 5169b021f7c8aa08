/* SPDX-License-Identifier: Apache-2.0
 *
 * num.h: the only number parsers of the project (strtol and friends are
 * banned elsewhere). Each consumes the whole input or fails; ranges are
 * explicit; overflow is an error, never a wrap or a clamp.
 */
#ifndef CH_CORE_NUM_H
#define CH_CORE_NUM_H

#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

/* Decimal integer with optional leading '-' (no '+', no spaces) in [min, max]. */
int ch_num_parse_i64(struct ch_str s, int64_t min, int64_t max, int64_t *ret,
                     struct ch_err *err) CH_MUST_CHECK;
/* Decimal unsigned integer in [0, max]. */
int ch_num_parse_u64(struct ch_str s, uint64_t max, uint64_t *ret,
                     struct ch_err *err) CH_MUST_CHECK;
/* Finite decimal floating-point number (JSON/CSV style: -1.5e3), no hex, inf or nan. */
int ch_num_parse_double(struct ch_str s, double *ret, struct ch_err *err) CH_MUST_CHECK;

/*
 * Parses a run of ASCII digits at the start of s into *ret (no sign), saturating
 * detection: returns the number of digits consumed, or -1 on overflow of
 * UINT64_MAX. Used by version comparators that walk numeric fields.
 */
long ch_num_scan_digits(struct ch_str s, uint64_t *ret);

#endif
