/* SPDX-License-Identifier: Apache-2.0
 *
 * stix.h: STIX 2.1 objects as the clearinghouse shares them
 * (https://docs.oasis-open.org/cti/stix/v2.1/stix-v2.1.html).
 *
 * Identifiers are deterministic: "<type>--" + UUIDv5 (RFC 9562 §5.5, SHA-1)
 * over a name built from the clearinghouse's own ids ("vuln:CVE-2024-1234",
 * "notice:42", "org:water-co", ...) in CH_STIX_NAMESPACE, so exporting the
 * same thing twice gives the same id and a consumer updates its copy instead
 * of gaining a duplicate. Cyber-observables (software, ipv4-addr, ...) follow
 * the specification's own rule instead (§2.9): UUIDv5 in the OASIS SCO
 * namespace over the canonical JSON (RFC 8785) of their id-contributing
 * properties, so our ids equal those of any other conforming producer.
 *
 * An object is written in two parts: its "body" (every member other than
 * type, spec_version, id, created and modified) is rendered once by the
 * builders below and stored; ch_stix_write_object() wraps a body with the
 * version-dependent members when it is served. Timestamps have millisecond
 * precision ("2024-05-01T12:00:00.000Z"); spec_version is always "2.1".
 *
 * Markings use TLP 2.0 as published by OASIS (cti-stix-common-objects,
 * extension-definition-specifications/tlp-2.0): the fixed marking-definition
 * ids of ch_stix_tlp_marking_id() and the objects ch_stix_write_tlp_marking()
 * writes. Every object we share carries exactly one of them.
 *
 * Everything here is pure (no store, no clock) and thread-safe.
 */
#ifndef CH_SHARE_STIX_H
#define CH_SHARE_STIX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

/* "type--xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx": longest type we emit + 2 + 36 + NUL. */
#define CH_STIX_ID_MAX 96
/* "2024-05-01T12:00:00.000Z" + NUL */
#define CH_STIX_TIME_MAX 32
#define CH_STIX_UUID_STR 37

/* Our namespace for UUIDv5 names of the clearinghouse's own objects. */
#define CH_STIX_NAMESPACE "1f6f3c0e-9d44-4f37-8e2a-5b7c2d9a6e10"
/* The STIX 2.1 namespace for cyber-observable ids (§2.9). */
#define CH_STIX_SCO_NAMESPACE "00abedb4-aa42-466c-9c01-fed23315a9b7"
/* TLP 2.0 extension definition (property-extension on the marking definitions). */
#define CH_STIX_TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

enum ch_tlp {
    CH_TLP_CLEAR,
    CH_TLP_GREEN,
    CH_TLP_AMBER,
    CH_TLP_AMBER_STRICT,
    CH_TLP_RED,
    CH_TLP_COUNT
};

/* "clear", "green", "amber", "amber+strict", "red"; NULL when out of range. */
const char *ch_tlp_name(enum ch_tlp t);
/* Parses those names (case-insensitive, "TLP:" prefix allowed); CH_E_INVALID otherwise. */
int ch_tlp_parse(const char *s, enum ch_tlp *ret, struct ch_err *err) CH_MUST_CHECK;
/* The OASIS marking-definition id of a TLP 2.0 level (static string). */
const char *ch_stix_tlp_marking_id(enum ch_tlp t);
/* Writes the full marking-definition object of a level. */
void ch_stix_write_tlp_marking(struct ch_jw *w, enum ch_tlp t);

/*
 * UUIDv5 of `name` (len bytes) in namespace `ns` (canonical text form) into
 * out as lower-case canonical text. CH_E_INVALID when ns is not a UUID,
 * CH_E_INTERNAL when the digest cannot be computed.
 */
int ch_stix_uuid5(const char *ns, const char *name, size_t len, char out[CH_STIX_UUID_STR],
                  struct ch_err *err) CH_MUST_CHECK;
/* "<type>--" + UUIDv5(CH_STIX_NAMESPACE, name). */
int ch_stix_id(const char *type, const char *name, char out[CH_STIX_ID_MAX],
               struct ch_err *err) CH_MUST_CHECK;
/* A random (v4) UUID, for ids that must not repeat (webhook deliveries). */
void ch_stix_uuid4(char out[CH_STIX_UUID_STR]);

/*
 * Id of a cyber-observable per STIX §2.9: UUIDv5 in CH_STIX_SCO_NAMESPACE
 * over the RFC 8785 canonical JSON of the contributing properties, given as
 * n pairs of (key, value) with NULL values skipped. Keys must be given in
 * ascending byte order (the canonical order).
 */
int ch_stix_sco_id(const char *type, const char *const *keys, const char *const *values, size_t n,
                   char out[CH_STIX_ID_MAX], struct ch_err *err) CH_MUST_CHECK;

/* Milliseconds since the epoch → "YYYY-MM-DDTHH:MM:SS.mmmZ". */
char *ch_stix_time(int64_t ms, char out[CH_STIX_TIME_MAX]);
/*
 * Parses an RFC 3339 timestamp (UTC, 'Z' or offset; fractional seconds of
 * any precision) into milliseconds, rounding down. CH_E_INVALID otherwise.
 */
int ch_stix_time_parse(struct ch_str s, int64_t *ret_ms, struct ch_err *err) CH_MUST_CHECK;

/* The identity of the clearinghouse itself: created_by_ref of every object. */
const char *ch_stix_clearinghouse_identity(void);

/*
 * Writes one object: {"type", "spec_version": "2.1", "id", "created"?,
 * "modified"?, <body>}. created_ms / modified_ms < 0 leave the member out
 * (cyber-observables have neither, marking definitions no "modified").
 * body is the stored member list (no braces; may be empty).
 */
void ch_stix_write_object(struct ch_jw *w, const char *type, const char *id, int64_t created_ms,
                          int64_t modified_ms, const char *body, size_t body_len);

/*
 * Body builders. Each writes the members of one object type into `out`
 * (reset first) as a comma-separated member list, ready for
 * ch_stix_write_object(). Strings are borrowed for the call; NULL optional
 * strings are left out. They return CH_OK or the buffer's error.
 */

/* One entry of external_references. */
struct ch_stix_extref {
    const char *source_name; /* "cve", "osv", "github", "cisa-kev" */
    const char *external_id;
    const char *url;
};

struct ch_stix_vulnerability {
    const char *name;        /* display id: the CVE id when there is one */
    const char *description; /* may be NULL */
    const struct ch_stix_extref *refs;
    size_t n_refs;
    bool revoked;         /* every source record withdrawn */
    const char *severity; /* x_clearinghouse_severity; NULL: none */
    double cvss_score;    /* < 0: none */
    bool kev;
    int64_t kev_added;      /* Unix seconds, with kev */
    int64_t kev_due;        /* -1: none */
    const char *kev_action; /* may be NULL */
    enum ch_tlp tlp;
};
int ch_stix_body_vulnerability(struct ch_buf *out, const struct ch_stix_vulnerability *v,
                               struct ch_err *err) CH_MUST_CHECK;

struct ch_stix_software {
    const char *name;
    const char *vendor;  /* may be NULL */
    const char *version; /* may be NULL */
    const char *purl;    /* x_clearinghouse_purl; may be NULL */
    enum ch_tlp tlp;
};
/* Also computes the SCO id (name, vendor, version contribute) into ret_id. */
int ch_stix_body_software(struct ch_buf *out, const struct ch_stix_software *s,
                          char ret_id[CH_STIX_ID_MAX], struct ch_err *err) CH_MUST_CHECK;

struct ch_stix_relationship {
    const char *relationship_type; /* "has", "based-on", ... */
    const char *source_ref;
    const char *target_ref;
    const char *description; /* may be NULL */
    enum ch_tlp tlp;
};
int ch_stix_body_relationship(struct ch_buf *out, const struct ch_stix_relationship *r,
                              struct ch_err *err) CH_MUST_CHECK;

struct ch_stix_identity {
    const char *name;
    const char *identity_class; /* "organization" */
    const char *description;    /* may be NULL */
    const char *sector;         /* STIX industry-sector value; may be NULL */
    bool self;                  /* the clearinghouse itself: no created_by_ref */
    enum ch_tlp tlp;
};
int ch_stix_body_identity(struct ch_buf *out, const struct ch_stix_identity *i,
                          struct ch_err *err) CH_MUST_CHECK;

/* Kinds of scanning source an indicator can name (coord/deconflict.h sources). */
enum ch_stix_source_kind {
    CH_STIX_SRC_IPV4,
    CH_STIX_SRC_IPV6,
    CH_STIX_SRC_USER_AGENT,
};

/*
 * Classifies a deconfliction source ("203.0.113.7", "2001:db8::1",
 * "ua:Scanner/1.0") and returns the value to match in *ret_value (a view
 * into source). CH_E_INVALID for "-" and anything else.
 */
int ch_stix_source_classify(struct ch_str source, enum ch_stix_source_kind *ret_kind,
                            struct ch_str *ret_value, struct ch_err *err) CH_MUST_CHECK;

/* The STIX pattern matching a scanning source, e.g. "[ipv4-addr:value = '203.0.113.7']". */
int ch_stix_source_pattern(enum ch_stix_source_kind kind, struct ch_str value, struct ch_buf *out,
                           struct ch_err *err) CH_MUST_CHECK;

struct ch_stix_indicator {
    const char *name;
    const char *description; /* may be NULL */
    const char *pattern;
    int64_t valid_from_ms;
    enum ch_tlp tlp;
};
int ch_stix_body_indicator(struct ch_buf *out, const struct ch_stix_indicator *i,
                           struct ch_err *err) CH_MUST_CHECK;

/* The address SCO of an IP source ("ipv4-addr" / "ipv6-addr"): id and body. */
int ch_stix_body_address(struct ch_buf *out, enum ch_stix_source_kind kind, struct ch_str value,
                         enum ch_tlp tlp, char ret_id[CH_STIX_ID_MAX],
                         struct ch_err *err) CH_MUST_CHECK;

struct ch_stix_observed_data {
    int64_t first_observed_ms;
    int64_t last_observed_ms;
    int64_t number_observed; /* 1..999999999 */
    const char *const *object_refs;
    size_t n_object_refs; /* >= 1 */
    enum ch_tlp tlp;
};
int ch_stix_body_observed_data(struct ch_buf *out, const struct ch_stix_observed_data *o,
                               struct ch_err *err) CH_MUST_CHECK;

/* A report (notices: patch distribution to one organisation). */
struct ch_stix_report {
    const char *name;
    const char *description; /* may be NULL */
    int64_t published_ms;
    const char *const *object_refs;
    size_t n_object_refs;   /* >= 1 */
    const char *extra_json; /* members appended as is (trusted JSON); may be NULL */
    enum ch_tlp tlp;
};
int ch_stix_body_report(struct ch_buf *out, const struct ch_stix_report *r,
                        struct ch_err *err) CH_MUST_CHECK;

#endif
