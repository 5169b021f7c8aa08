/* SPDX-License-Identifier: Apache-2.0
 *
 * osv.h: reader of OSV 1.x records (https://ossf.github.io/osv-schema/).
 *
 * One JSON document is one record. Everything the schema defines is kept:
 * ids, aliases, related, texts, times, severity, every affected entry with
 * its package, ranges and events, explicit versions, per-affected severity,
 * ecosystem_specific and database_specific (as JSON text), references and
 * credits. A record that breaks the schema is rejected as a whole, with the
 * JSON path of the first problem; nothing is half-read.
 */
#ifndef CH_VULN_OSV_H
#define CH_VULN_OSV_H

#include "vuln/advisory.h"

/* Larger than any real record (the largest OSV record seen is ~5 MB). */
#define CH_OSV_MAX_RECORD_BYTES ((size_t)16 << 20)
#define CH_OSV_MAX_AFFECTED 20000
#define CH_OSV_MAX_VERSIONS 100000
#define CH_OSV_MAX_EVENTS 10000
#define CH_OSV_MAX_ID_BYTES 256

/*
 * Parses one record from data (len bytes). source_name names the input in
 * messages ("pypi.zip:PYSEC-2021-1.json"). Strings are copied into arena;
 * ret->raw borrows data. Errors: CH_E_INVALID or CH_E_LIMIT with the place,
 * CH_E_NOMEM.
 */
int ch_osv_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                struct ch_advisory *ret, struct ch_err *err) CH_MUST_CHECK;

#endif
