/* SPDX-License-Identifier: Apache-2.0
 *
 * publish.h: what a disclosure case publishes and how it is distributed
 * (docs/disclosure.md, "Publication" and "Feeds"):
 *
 *  - an OSV record (https://ossf.github.io/osv-schema/) for the affected
 *    package and range; its id is the clearinghouse id with the OSV prefix
 *    CH_DISCLOSE_OSV_PREFIX (the schema accepts only registered database
 *    prefixes and "x_"; "CH" is not registered), and the clearinghouse id
 *    itself is its first alias;
 *  - a CSAF 2.0 security advisory (document with tracking and publisher, a
 *    product tree of vendor / product / version range and fixed version,
 *    one vulnerability with its CVE and ids, CWE, notes, product status,
 *    vendor_fix remediation), which passes the CSAF 2.0 schema and the
 *    mandatory tests (tests/csaf-validator);
 *  - the CSAF provider's metadata (/.well-known/csaf/provider-metadata.json)
 *    and ROLIE feed (/.well-known/csaf/white/csaf-feed-tlp-white.json) over
 *    the published_advisories table, and each document by its path
 *    (/.well-known/csaf/white/YYYY/ch-yyyy-nnnn.json).
 *
 * Every document is written with the project's JSON writer into a ch_buf;
 * times are RFC 3339 UTC.
 */
#ifndef CH_DISCLOSE_PUBLISH_H
#define CH_DISCLOSE_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "store/store.h"

/* Prefix of OSV ids: "x_" is the schema's namespace for unregistered databases. */
#define CH_DISCLOSE_OSV_PREFIX "x_"
/* Where feeds say documents live when no base URL is configured. */
#define CH_DISCLOSE_DEFAULT_BASE_URL "https://clearinghouse.invalid"
/* Path of the provider metadata and of the one (TLP:WHITE) ROLIE feed below the base URL. */
#define CH_DISCLOSE_METADATA_PATH "/.well-known/csaf/provider-metadata.json"
#define CH_DISCLOSE_FEED_PATH "/.well-known/csaf/white/csaf-feed-tlp-white.json"
#define CH_DISCLOSE_CSAF_DIR "/.well-known/csaf/"
/* Entries of one ROLIE feed document (newest first); older ones remain reachable by path. */
#define CH_DISCLOSE_FEED_MAX 10000
/* Longest CSAF path: "white/" + year + "/" + lowercased id + ".json". */
#define CH_DISCLOSE_PATH_MAX 96

/* The publisher named in documents and metadata. Borrowed strings; NULL fields take defaults. */
struct ch_disclose_publisher {
    const char *name;          /* default "Clearinghouse" */
    const char *namespace_url; /* default: base_url */
    const char *base_url; /* e.g. "https://ch.example.gov"; default CH_DISCLOSE_DEFAULT_BASE_URL */
    const char *contact_details;   /* default none */
    const char *issuing_authority; /* default none */
};

/* What one advisory says. Borrowed strings. */
struct ch_disclose_advisory {
    const char *id; /* CH-YYYY-NNNN */
    const char *title;
    const char *description;
    const char *cwe;       /* CWE-122 */
    const char *ecosystem; /* OSV ecosystem or NULL */
    const char *component;
    const char *vendor;         /* NULL: the component */
    const char *introduced;     /* NULL: "0" (every version before the fix) */
    const char *fixed;          /* NULL: no fixed version */
    const char *const *aliases; /* CVE-..., GHSA-... */
    size_t n_aliases;
    const char *credit;      /* the finder (organisation name) or NULL */
    const char *crash_class; /* or NULL */
    const char *signature;   /* or NULL */
    bool exploited;
    int64_t discovered; /* submission time */
    int64_t published;
    int64_t modified;
};

/* "white/2026/ch-2026-0001.json" for id and the publication time (CSAF file-name rules). */
void ch_disclose_csaf_path(const char *id, int64_t published, char out[CH_DISCLOSE_PATH_MAX]);

/* The OSV record (id CH_DISCLOSE_OSV_PREFIX + id). out is reset first. */
int ch_disclose_osv_json(const struct ch_disclose_advisory *a,
                         const struct ch_disclose_publisher *p, struct ch_buf *out,
                         struct ch_err *err) CH_MUST_CHECK;
/* The CSAF 2.0 document. out is reset first. */
int ch_disclose_csaf_json(const struct ch_disclose_advisory *a,
                          const struct ch_disclose_publisher *p, struct ch_buf *out,
                          struct ch_err *err) CH_MUST_CHECK;

/* The CWE catalogue's name of a weakness we know ("CWE-122" → "Heap-based Buffer Overflow"), or
 * NULL. */
const char *ch_disclose_cwe_name(const char *cwe);

/* CSAF 2.0 provider metadata (role csaf_provider) as one JSON object. */
int ch_disclose_provider_metadata_json(struct ch_store *s, const struct ch_disclose_publisher *p,
                                       int64_t now, struct ch_jw *w,
                                       struct ch_err *err) CH_MUST_CHECK;
/* The ROLIE feed of every published CSAF document, newest first. */
int ch_disclose_rolie_feed_json(struct ch_store *s, const struct ch_disclose_publisher *p,
                                int64_t now, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
/*
 * The stored CSAF document at `path` ("white/2026/ch-2026-0001.json") into
 * out (reset first); *ret_updated (may be NULL) its last change.
 * CH_E_NOTFOUND when there is none.
 */
int ch_disclose_csaf_get(struct ch_store *s, const char *path, struct ch_buf *out,
                         int64_t *ret_updated, struct ch_err *err) CH_MUST_CHECK;

#endif
