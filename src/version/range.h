/* SPDX-License-Identifier: Apache-2.0
 *
 * range.h: is a version affected? The OSV schema's range evaluation and the
 * CVE JSON 5 version-status algorithm, over the orders of version.h.
 *
 * The structs here are plain views filled by the caller (an importer, the
 * matching index, a test) from whatever it parsed; every string is borrowed
 * and lives as long as the caller keeps it. Evaluation allocates nothing
 * and never sorts: the OSV loop over events sorted by version ends in the
 * state set by the last event that applies, so it is enough to find that
 * event, the greatest applicable one by (version, position in the list).
 * Ties between equal versions therefore keep the record's own order, which
 * is what a stable sort would do.
 *
 * OSV: https://ossf.github.io/osv-schema/#evaluation (affected[].ranges,
 * affected[].versions). CVE: cve-schema docs/versions.md ("Version Status
 * Decisions", "Version Status Changes").
 *
 * Thread-safety: pure functions of their arguments.
 */
#ifndef CH_VERSION_RANGE_H
#define CH_VERSION_RANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "version/version.h"

/* Events in one OSV range, ranges per affected entry, entries of CVE versions[]:
 * more than any real record holds, few enough to bound evaluation time. */
#define CH_RANGE_MAX_EVENTS 10000
#define CH_RANGE_MAX_RANGES 1000
#define CH_RANGE_MAX_VERSIONS 100000
#define CH_RANGE_MAX_CHANGES 10000

enum ch_osv_range_type {
    CH_OSV_RANGE_SEMVER,    /* SemVer 2.0 precedence whatever the ecosystem */
    CH_OSV_RANGE_ECOSYSTEM, /* the ecosystem's own order */
    CH_OSV_RANGE_GIT,       /* commit hashes: only the versions[] list can answer */
};

enum ch_osv_event_kind {
    CH_OSV_INTRODUCED, /* "0" means from the beginning */
    CH_OSV_FIXED,
    CH_OSV_LAST_AFFECTED, /* inclusive */
    CH_OSV_LIMIT,         /* a version containing '*' means infinity */
};

struct ch_osv_event {
    enum ch_osv_event_kind kind;
    struct ch_str version;
};

struct ch_osv_range {
    enum ch_osv_range_type type;
    const struct ch_osv_event *events; /* in the record's order */
    size_t n_events;
};

/* One affected[] entry of an OSV record. */
struct ch_osv_affected {
    /* The package ecosystem's order, for ECOSYSTEM ranges and for matching
     * versions[] by equality; NULL when the ecosystem has none (its ECOSYSTEM
     * ranges then fail with CH_E_UNSUPPORTED, versions[] match exactly). */
    const struct ch_version_scheme *scheme;
    const struct ch_osv_range *ranges;
    size_t n_ranges;
    const struct ch_str *versions; /* affected[].versions */
    size_t n_versions;
};

/*
 * OSV IncludedInRanges for one range, with `scheme` the order of its
 * versions (for a SEMVER range pass the "semver" scheme). GIT ranges never
 * include anything. Errors: CH_E_INVALID when v or an event version is not
 * a valid version of the scheme (the message names it), CH_E_LIMIT past
 * CH_RANGE_MAX_EVENTS.
 */
int ch_osv_range_includes(const struct ch_osv_range *range, const struct ch_version_scheme *scheme,
                          struct ch_str v, bool *ret_included, struct ch_err *err) CH_MUST_CHECK;

/*
 * OSV evaluation of one affected[] entry: v is affected when it is listed
 * in versions[] (the same string, or equal under the ecosystem's order when
 * both parse) or lies in any SEMVER or ECOSYSTEM range. Ranges are ORed:
 * an error in one range does not hide a match in another; when nothing
 * matches and some range could not be evaluated, its error is returned.
 */
int ch_osv_is_affected(const struct ch_osv_affected *affected, struct ch_str v, bool *ret_affected,
                       struct ch_err *err) CH_MUST_CHECK;

/*
 * The smallest `fixed` event above v among the SEMVER and ECOSYSTEM ranges of
 * `affected` that include v, or NULL (none, or v unreadable). Borrowed from
 * the range's event. Used by the matching index (built or lazy) where its
 * ranked evaluation does not apply, so that both paths name the same fix.
 */
const char *ch_osv_smallest_fix(const struct ch_osv_affected *affected, struct ch_str v);

enum ch_cve_status {
    CH_CVE_UNKNOWN,
    CH_CVE_AFFECTED,
    CH_CVE_UNAFFECTED,
};

struct ch_cve_change {
    struct ch_str at;
    enum ch_cve_status status;
};

/* One entry of a CVE JSON 5 product's versions[]. Absent strings have ptr NULL. */
struct ch_cve_version {
    struct ch_str version;
    enum ch_cve_status status;
    struct ch_str version_type;       /* "semver", "maven", "python", "rpm", "custom", ... */
    struct ch_str less_than;          /* exclusive upper bound; "*" or "P.*" allowed */
    struct ch_str less_than_or_equal; /* inclusive upper bound */
    const struct ch_cve_change *changes;
    size_t n_changes;
};

struct ch_cve_product {
    const struct ch_cve_version *versions;
    size_t n_versions;
    enum ch_cve_status default_status; /* CH_CVE_UNKNOWN when absent */
};

/*
 * The CVE JSON 5 status of v: the first entry that matches decides (a
 * single version by equality; a range version <= v < lessThan or
 * version <= v <= lessThanOrEqual, "0" meaning no lower bound, "*" no upper
 * one and "P.*" the end of the P series), refined by the entry's changes[]
 * (the greatest `at` <= v wins); otherwise defaultStatus. Ranges compare by
 * their versionType's order (version.h ch_version_scheme_by_name), else by
 * `scheme` (the product's ecosystem, may be NULL). Errors: CH_E_UNSUPPORTED
 * for a range with neither; CH_E_INVALID for a version that does not parse.
 */
int ch_cve_version_status(const struct ch_cve_product *product,
                          const struct ch_version_scheme *scheme, struct ch_str v,
                          enum ch_cve_status *ret_status, struct ch_err *err) CH_MUST_CHECK;

/* "affected", "unaffected", "unknown" */
const char *ch_cve_status_str(enum ch_cve_status s);
/* Parses those three words; CH_E_INVALID otherwise. */
int ch_cve_status_parse(struct ch_str s, enum ch_cve_status *ret, struct ch_err *err) CH_MUST_CHECK;

#endif
