/* SPDX-License-Identifier: Apache-2.0
 *
 * advisory.h: the one advisory model every reader produces (OSV, CVE JSON 5,
 * CSAF 2.0) and the records of the side feeds (CISA KEV, EPSS).
 *
 * The model follows OSV's shape, the richest of the three, and keeps what
 * the others add (CVE 5 version ranges, vendor/product, CPEs; CSAF product
 * status; CISA's ADP SSVC decision points and KEV flag).
 *
 * Ownership: every pointer in these structs points into the arena the reader
 * was given; the whole advisory dies with that arena. Arrays are (pointer,
 * count) pairs; an absent optional string is NULL; an absent time is -1.
 */
#ifndef CH_VULN_ADVISORY_H
#define CH_VULN_ADVISORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

enum ch_adv_source {
    CH_ADV_OSV = 1,
    CH_ADV_CVE5 = 2,
    CH_ADV_CSAF = 3,
};

/* "osv", "cve5", "csaf" */
const char *ch_adv_source_name(enum ch_adv_source s);

struct ch_adv_severity {
    const char *type;   /* OSV: CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu; CVE5/CSAF: CVSS_V3/CVSS_V4 */
    const char *score;  /* a vector (CVSS:3.1/AV:N/...) or a label ("high") */
};

enum ch_adv_event_kind {
    CH_ADV_INTRODUCED = 1,
    CH_ADV_FIXED = 2,
    CH_ADV_LAST_AFFECTED = 3,
    CH_ADV_LIMIT = 4,
};

struct ch_adv_event {
    enum ch_adv_event_kind kind;
    const char *value;
};

struct ch_adv_range {
    const char *type;   /* SEMVER, ECOSYSTEM, GIT */
    const char *repo;   /* GIT ranges */
    struct ch_adv_event *events;
    size_t n_events;
};

struct ch_adv_affected {
    /* package identity: OSV's package, or what a CVE/CSAF record names */
    const char *ecosystem;        /* OSV ecosystem ("PyPI", "Debian:12"); NULL if none */
    const char *name;             /* package name in that ecosystem */
    const char *purl;
    const char *vendor;           /* CVE 5 vendor, CSAF vendor branch */
    const char *product;          /* CVE 5 product, CSAF product name */
    const char **cpes;
    size_t n_cpes;
    /* what is affected */
    struct ch_adv_range *ranges;  /* OSV ranges */
    size_t n_ranges;
    const char **versions;        /* OSV explicit versions; CSAF product versions */
    size_t n_versions;
    const char *cve_versions_json;/* CVE 5 versions[] array, verbatim JSON */
    const char *status;           /* CVE 5 defaultStatus; CSAF product status */
    struct ch_adv_severity *severity; /* OSV per-affected severity */
    size_t n_severity;
    const char *ecosystem_specific_json; /* verbatim JSON or NULL */
    const char *database_specific_json;
};

struct ch_adv_reference {
    const char *type;   /* ADVISORY, FIX, WEB, REPORT, PACKAGE, ARTICLE, EVIDENCE, ... */
    const char *url;
};

struct ch_adv_credit {
    const char *name;
    const char *type;   /* FINDER, REPORTER, ... or NULL */
};

/* CISA's ADP decision points ("Vulnrichment") carried in CVE 5 records. */
struct ch_adv_ssvc {
    const char *exploitation;     /* none | poc | active */
    const char *automatable;      /* yes | no */
    const char *technical_impact; /* partial | total */
    int64_t timestamp;            /* -1 if absent */
};

struct ch_advisory {
    enum ch_adv_source source;
    const char *id;               /* the record's own id: GHSA-..., CVE-..., CSAF tracking id */
    const char **aliases;         /* ids naming the same vulnerability */
    size_t n_aliases;
    const char **related;         /* related but distinct */
    size_t n_related;
    const char *summary;
    const char *details;
    int64_t published;            /* seconds, -1 if absent */
    int64_t modified;             /* seconds; required */
    int32_t modified_nsec;
    int64_t withdrawn;            /* -1 unless withdrawn (CVE 5 REJECTED counts as withdrawn) */
    struct ch_adv_severity *severity;
    size_t n_severity;
    struct ch_adv_affected *affected;
    size_t n_affected;
    struct ch_adv_reference *references;
    size_t n_references;
    struct ch_adv_credit *credits;
    size_t n_credits;
    const char **cwes;            /* "CWE-79" */
    size_t n_cwes;
    bool kev;                     /* a CVE record's ADP says it is in KEV */
    int64_t kev_date_added;       /* -1 if unknown */
    bool has_ssvc;
    struct ch_adv_ssvc ssvc;
    struct ch_str raw;            /* the original record (borrowed from the input buffer) */
};

/* One CISA Known Exploited Vulnerabilities catalog entry. */
struct ch_kev_entry {
    const char *cve;
    const char *vendor;
    const char *product;
    const char *name;
    const char *description;
    int64_t date_added;           /* day start, UTC */
    int64_t due_date;             /* may precede date_added in the real catalog: accepted */
    const char *required_action;
    const char *ransomware;       /* "Known" | "Unknown" */
    const char *notes;
    const char **cwes;
    size_t n_cwes;
};

/* One EPSS score. */
struct ch_epss_score {
    const char *cve;
    double epss;                  /* probability in [0, 1] */
    double percentile;            /* [0, 1] */
    int64_t score_date;           /* day the model scored it, -1 if unknown */
};

/*
 * Where readers deliver what they read. A reader calls exactly one of the
 * record callbacks per good record and `reject` per bad one (file, location
 * such as "line 12" or a JSON path, reason); it continues after a reject.
 * A callback returning an error stops the reader, which returns that error.
 */
struct ch_vuln_sink {
    int (*advisory)(void *ctx, const struct ch_advisory *a, struct ch_err *err);
    int (*kev)(void *ctx, const struct ch_kev_entry *k, struct ch_err *err);
    int (*epss)(void *ctx, const struct ch_epss_score *e, struct ch_err *err);
    int (*reject)(void *ctx, const char *file, const char *location, const char *reason,
                  struct ch_err *err);
    void *ctx;
};

/* Empty advisory with times set to -1. */
void ch_advisory_init(struct ch_advisory *a, enum ch_adv_source source);

/* Whether a string looks like a CVE id (CVE-YYYY-NNNN+). */
bool ch_is_cve_id(const char *s);

#endif
