/* SPDX-License-Identifier: Apache-2.0
 *
 * query.h: reading the knowledge base: the merged view of one vulnerability
 * (every source record, affected packages, severity, KEV, EPSS, SSVC,
 * references) and searches. Both render JSON (for the CLI's --json and the
 * API) through struct ch_jw; the CLI's text form is rendered from the same
 * JSON so the two never disagree.
 */
#ifndef CH_VULN_QUERY_H
#define CH_VULN_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/json.h"
#include "store/store.h"

/*
 * Writes the merged view of the vulnerability that `id` (any alias) belongs
 * to as one JSON object. CH_E_NOTFOUND when no record names it.
 */
int ch_vuln_show_json(struct ch_store *s, const char *id, struct ch_jw *w,
                      struct ch_err *err) CH_MUST_CHECK;

struct ch_vuln_filter {
    const char *ecosystem;        /* with name: affected package */
    const char *name;
    const char *alias;            /* any identifier */
    bool kev_only;
    const char *min_severity;     /* low | medium | high | critical */
    int64_t modified_since;       /* -1: no bound */
    bool include_withdrawn;
    int64_t after_vuln_id;        /* cursor: results with a larger vuln id */
    unsigned limit;               /* 1..CH_VULN_SEARCH_MAX_LIMIT */
};

#define CH_VULN_SEARCH_MAX_LIMIT 1000u

/*
 * Writes {"results": [{id, aliases, summary, severity, cvss_score, kev,
 * modified, sources}], "next_cursor": N|null}. Results are vulnerabilities
 * ordered by internal id.
 */
int ch_vuln_search_json(struct ch_store *s, const struct ch_vuln_filter *f, struct ch_jw *w,
                        struct ch_err *err) CH_MUST_CHECK;

#endif
