/* SPDX-License-Identifier: Apache-2.0
 *
 * csaf.h: reader of CSAF 2.0 documents (OASIS Common Security Advisory
 * Framework, https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html)
 * into the advisory model: one advisory per entry of `vulnerabilities`.
 *
 * The product tree (branches, full_product_names, relationships) is resolved
 * first, so that every product id named in a vulnerability's product_status
 * becomes an affected entry with its vendor, product name, version, purl and
 * CPE. The field mapping, the limits and what is rejected are described in
 * docs/formats.md.
 */
#ifndef CH_VULN_CSAF_H
#define CH_VULN_CSAF_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "vuln/advisory.h"

/*
 * Parses the CSAF document in data[0..len) and delivers one advisory (source
 * CH_ADV_CSAF, id "<tracking id>#<CVE id>" or "<tracking id>#<1-based
 * index>" when the entry names no CVE) per vulnerability through
 * sink->advisory. An entry that cannot be read goes to sink->reject with its
 * JSON path ("vulnerabilities[3].product_status.fixed[0]") and the reader
 * continues. `source_name` names the input in messages and rejects (NULL
 * means "input").
 *
 * Every string of a delivered advisory lives in `arena` (raw borrows data);
 * the advisory itself is valid only during the callback, its strings as long
 * as the arena. A callback returning an error stops the reader, which then
 * returns that error.
 *
 * Returns the number of advisories delivered (>= 0), or CH_E_INVALID when the
 * document itself is malformed (not JSON, no document.tracking.id, wrong
 * types at the top, a bad product tree; err names the JSON path),
 * CH_E_LIMIT, CH_E_NOMEM, or a callback's error.
 */
int ch_csaf_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                 const struct ch_vuln_sink *sink, struct ch_err *err) CH_MUST_CHECK;

#endif
