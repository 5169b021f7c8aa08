/* SPDX-License-Identifier: Apache-2.0
 *
 * cve5.h: reader of CVE JSON 5.x records (CVE Record Format 5.0 and 5.1,
 * https://github.com/CVEProject/cve-schema) into the advisory model.
 *
 * One call reads one record (one cvelistV5 / vulnrichment file). What is
 * read: cveMetadata (id, state, dates), the CNA container (descriptions,
 * affected products, CVSS v3/v4 metrics, CWEs, references, credits) and the
 * ADP container of CISA ("CISA-ADP", the Vulnrichment project): its SSVC
 * decision points, its KEV flag, and the CVSS metrics, CWEs and affected
 * entries it adds. The field mapping, the limits and what is rejected are
 * described in docs/formats.md.
 */
#ifndef CH_VULN_CVE5_H
#define CH_VULN_CVE5_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "vuln/advisory.h"

/*
 * Parses the CVE JSON 5.x record in data[0..len) and fills *ret (source
 * CH_ADV_CVE5). `source_name` names the input in messages (a file or entry
 * name; NULL means "input"). Every string of *ret is copied into `arena`
 * (ret->raw borrows data, which must outlive the use of ret->raw); nothing
 * else is kept. *ret is written only on success.
 *
 * Errors: CH_E_INVALID (syntax, UTF-8, duplicate keys, a missing or mistyped
 * field; the message names the line and column or the JSON path, and
 * err->field holds the path), CH_E_LIMIT (a limit of cve5.c), CH_E_NOMEM
 * (including an exhausted arena). Thread-safe for distinct arenas.
 */
int ch_cve5_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                 struct ch_advisory *ret, struct ch_err *err) CH_MUST_CHECK;

/*
 * The OSV ecosystem of a CVE 5 `collectionURL` naming a known package
 * registry ("https://pypi.org" → "PyPI"), or NULL. Scheme, a leading "www."
 * and trailing slashes are ignored; further path components are allowed
 * (https://pypi.org/project/pip). Returns a static string.
 */
const char *ch_cve5_ecosystem_of_url(const char *url);

#endif
