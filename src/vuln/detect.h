/* SPDX-License-Identifier: Apache-2.0
 *
 * detect.h: which feed format a file holds, from its name and first bytes,
 * so that the import driver can pick a reader for files, directories and
 * archive entries without being told. Names of the formats for the CLI.
 */
#ifndef CH_VULN_DETECT_H
#define CH_VULN_DETECT_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

enum ch_feed_format {
    CH_FEED_UNKNOWN,
    CH_FEED_OSV,
    CH_FEED_CVE5,
    CH_FEED_CSAF,
    CH_FEED_KEV,
    CH_FEED_EPSS,
    CH_FEED_COUNT /* sentinel */
};

/*
 * How many leading bytes ch_feed_detect() looks at; callers may pass more
 * or fewer. JSON feeds put their telling keys in the first kilobytes, but
 * pretty-printed CSAF documents may come after a long `notes` array, hence
 * the margin.
 */
#define CH_FEED_DETECT_HEAD ((size_t)64 << 10)

/*
 * The format of a file named `name` (a path or archive entry name; may be
 * NULL) whose first head_len bytes are `head` (may be fewer than the file).
 * The content decides when it is telling:
 *   EPSS  starts with "#model_version" or "cve,epss";
 *   CVE5  "dataType": "CVE_RECORD";
 *   CSAF  a "csaf_version" member (inside "document");
 *   KEV   a "catalogVersion" member;
 *   OSV   a "schema_version" member, or an "id" with an OSV prefix (GHSA-,
 *         PYSEC-, GO-, RUSTSEC-, ...) together with "modified" or "affected".
 * Otherwise the name decides: "*epss*.csv[.gz]" is EPSS and
 * "known_exploited_vulnerabilities*.json" is KEV. Never fails: CH_FEED_UNKNOWN
 * when nothing matches. Pure function, thread-safe.
 */
enum ch_feed_format ch_feed_detect(const char *name, const char *head, size_t head_len);

/* "osv", "cve5", "csaf", "kev", "epss", or "unknown"; never NULL. */
const char *ch_feed_format_name(enum ch_feed_format f);

/*
 * The format named `name` (ASCII case-insensitive: "osv", "cve5", "csaf",
 * "kev", "epss") into *ret_format; CH_E_INVALID with the accepted names in
 * the message otherwise.
 */
int ch_feed_format_parse(struct ch_str name, enum ch_feed_format *ret_format,
                         struct ch_err *err) CH_MUST_CHECK;

#endif
