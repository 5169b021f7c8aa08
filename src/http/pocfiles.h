/* SPDX-License-Identifier: Apache-2.0
 *
 * pocfiles.h: proof-of-concept files sent over HTTP. A finding's PoC (and
 * a fix's files) arrive inside the JSON body as
 *
 *   "files": [{"path": "src/poc.c", "content": "<base64>"}, ...]
 *
 * with standard base64 (RFC 4648 §4, padded, no line breaks), because the
 * API speaks JSON only and the files are binary. The limits are those of a
 * PoC read from a directory (validate/repro.h: CH_REPRO_MAX_FILES files,
 * CH_REPRO_MAX_FILE_BYTES each, CH_REPRO_MAX_TOTAL_BYTES in all, paths by
 * ch_repro_check_path()); a file is checked against its limit from the
 * length of its text, before anything is decoded.
 */
#ifndef CH_HTTP_POCFILES_H
#define CH_HTTP_POCFILES_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "validate/repro.h"

/*
 * Decodes the array `files` (the body member named `field`) into
 * *ret_files / *ret_n. Paths and contents are allocated from arena and live
 * as long as it; nothing else is allocated. An empty array gives no files.
 *
 * Errors name the member ("files[2].content") in err->field:
 * CH_E_INVALID for a value of the wrong type, an unknown member, bad base64,
 * an unacceptable or repeated path; CH_E_LIMIT for too many files, a file
 * or a total above the limits; CH_E_NOMEM when the arena is full.
 */
int ch_pocfiles_decode(const cJSON *files, const char *field, struct ch_arena *arena,
                       struct ch_repro_file **ret_files, size_t *ret_n,
                       struct ch_err *err) CH_MUST_CHECK;

#endif
