/* SPDX-License-Identifier: Apache-2.0
 *
 * report.h: what the exposures add up to: priorities (CISA SSVC and who is
 * exposed), compliance with each directive as of any date, and notices
 * (docs/remediation.md).
 *
 * All three are read-only and scoped like exposure.h (scope_org 0 = every
 * organisation). Compliance is reconstructed from exposure_transitions and
 * exposure_deadlines rows dated at or before the date asked, never from
 * the current state, so a report as of a past date is the report that was
 * (or would have been) made on that date.
 */
#ifndef CH_REMEDIATE_REPORT_H
#define CH_REMEDIATE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "remediate/directive.h"
#include "remediate/ssvc.h"
#include "store/store.h"

/* The CISA coordinator decision table that priorities use, relative to the directives folder. */
#define CH_PRIORITY_TABLE "ssvc/cisa_coordinator_2_0_3.json"
/* Rows a priority list holds at most. */
#define CH_PRIORITY_MAX_LIMIT 10000

/*
 * The CISA SSVC decision for one exposure: Exploitation (none|poc|active),
 * Automatable (yes|no), Technical Impact (partial|total), Mission and
 * Well-being (low|medium|high) looked up in `table` (the coordinator table
 * shipped as directives/ssvc/cisa_coordinator_2_0_3.json). Writes the
 * outcome's index (0 Track .. 3 Act) and name.
 */
int ch_priority_decide(const struct ch_ssvc_table *table, const char *exploitation,
                       const char *automatable, const char *technical_impact, const char *mwi,
                       size_t *ret_rank, const char **ret_name, struct ch_err *err) CH_MUST_CHECK;

/*
 * Vulnerabilities with active exposures, highest priority first: by SSVC
 * outcome (the highest over the vulnerability's exposures), KEV, EPSS, then
 * the numbers of national-security, DoD, FCEB, SLTT and critical-
 * infrastructure assets exposed (in that order), then all assets.
 * Writes {"as_of", "items": [...]} with at most `limit` items.
 */
int ch_priority_json(struct ch_store *s, const struct ch_ssvc_table *table, int64_t scope_org,
                     size_t limit, int64_t now, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/*
 * Per organisation and directive as of `as_of`: exposures in scope,
 * remediated on time, remediated late, open within the deadline, overdue,
 * under risk acceptance, and the median days to remediate.
 */
int ch_compliance_json(struct ch_store *s, const struct ch_directive_set *set, int64_t scope_org,
                       int64_t as_of, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/* Notices created at or after `since` (-1: all), oldest first. */
int ch_notices_json(struct ch_store *s, int64_t scope_org, int64_t since, struct ch_jw *w,
                    struct ch_err *err) CH_MUST_CHECK;

#endif
