/* SPDX-License-Identifier: Apache-2.0
 *
 * kev.h: reader of the CISA Known Exploited Vulnerabilities catalog
 * (https://www.cisa.gov/known-exploited-vulnerabilities-catalog, JSON form
 * known_exploited_vulnerabilities.json and its schema) into struct
 * ch_kev_entry records. Field mapping and limits: docs/formats.md.
 */
#ifndef CH_VULN_KEV_H
#define CH_VULN_KEV_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "vuln/advisory.h"

/*
 * Parses the catalog in data[0..len) and delivers one struct ch_kev_entry
 * per element of `vulnerabilities` through sink->kev. A bad entry goes to
 * sink->reject with the path of the bad field ("vulnerabilities[12].dueDate")
 * and the reader continues. A due date before the date added occurs in the
 * real catalog and is accepted. `source_name` names the input (NULL means
 * "input").
 *
 * The entry is valid only during the callback; its strings live in `arena`.
 * Returns the number of entries delivered (>= 0), or CH_E_INVALID when the
 * catalog itself is malformed (not JSON, not an object, no `vulnerabilities`
 * array, a mistyped catalogVersion or dateReleased), CH_E_LIMIT, CH_E_NOMEM,
 * or a callback's error.
 */
int ch_kev_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                const struct ch_vuln_sink *sink, struct ch_err *err) CH_MUST_CHECK;

#endif
