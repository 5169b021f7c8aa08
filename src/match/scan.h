/* SPDX-License-Identifier: Apache-2.0
 *
 * scan.h: an inventory against the knowledge base. Every affected component
 * becomes a finding (component × vulnerability) carrying the vulnerability's
 * ids and aliases, severity, KEV flag and due date, EPSS, the advisories that
 * matched, and the smallest fixed version that clears all of them.
 *
 * Reports render as a table, JSON, SARIF 2.1.0, CycloneDX 1.5 VEX or
 * OpenVEX 0.2.0.
 */
#ifndef CH_MATCH_SCAN_H
#define CH_MATCH_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "match/index.h"
#include "sbom/inventory.h"

struct ch_scan_finding {
    size_t component;            /* index in the inventory */
    int64_t vuln_id;
    const char *id;              /* display id (the CVE when there is one) */
    const char **aliases;        /* every other id of the vulnerability */
    size_t n_aliases;
    const char **advisories;     /* the advisories that matched */
    size_t n_advisories;
    double cvss;                 /* highest base score, -1 if none */
    const char *severity;        /* none|low|medium|high|critical, or NULL */
    bool kev;
    int64_t kev_due;             /* -1 if not in KEV or no due date */
    double epss;                 /* -1 if unknown */
    const char *fixed;           /* smallest version clearing every matched advisory, or NULL */
    const char *summary;
};

struct ch_scan_report {
    struct ch_arena *arena;
    const struct ch_inventory *inv;  /* borrowed */
    struct ch_scan_finding *findings;
    size_t n_findings;
    size_t components;           /* scanned */
    size_t unreadable_versions;  /* versions an ecosystem's order could not read */
    double match_seconds;        /* the matching phase alone */
};

/*
 * Matches every component of inv; reads vulnerability details from s.
 * `now` dates the report. Free with ch_scan_report_release.
 */
int ch_scan_run(struct ch_store *s, const struct ch_match_index *ix,
                const struct ch_inventory *inv, struct ch_scan_report *ret,
                struct ch_err *err) CH_MUST_CHECK;
void ch_scan_report_release(struct ch_scan_report *r);

enum ch_scan_format {
    CH_SCAN_TABLE,
    CH_SCAN_JSON,
    CH_SCAN_SARIF,
    CH_SCAN_CYCLONEDX_VEX,
    CH_SCAN_OPENVEX,
};

int ch_scan_format_parse(const char *s, enum ch_scan_format *ret);
int ch_scan_render(const struct ch_scan_report *r, enum ch_scan_format f, int64_t now,
                   const char *tool_version, struct ch_buf *out,
                   struct ch_err *err) CH_MUST_CHECK;

/* Rank of a severity name (none 0 .. critical 4), -1 if unknown. */
int ch_severity_rank(const char *s);

#endif
