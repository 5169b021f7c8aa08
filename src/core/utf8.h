/* SPDX-License-Identifier: Apache-2.0
 *
 * utf8.h: strict UTF-8 validation (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
#ifndef CH_CORE_UTF8_H
#define CH_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length (1-4) of the valid UTF-8 sequence starting at p (n bytes available),
 * or 0 when the bytes there are not valid UTF-8.
 */
size_t ch_utf8_seq_len(const unsigned char *p, size_t n);

/* True when all of data is valid UTF-8; else *ret_bad_offset (if not NULL) is the first bad byte. */
bool ch_utf8_valid(const char *data, size_t len, size_t *ret_bad_offset);

#endif
