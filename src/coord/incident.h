/* SPDX-License-Identifier: Apache-2.0
 *
 * incident.h: unauthorised scanning turned into incidents, and incidents
 * referred for enforcement as signed evidence packages.
 *
 * An operator (or analyst) opens an incident from a deconfliction question
 * whose answer is "unauthorised": the question is asked again when the
 * incident is opened and recorded with its answer; an authorised answer
 * refuses the incident (CH_E_CONFLICT naming the lease). Evidence is added
 * to it: log lines (kept, as text) and packet captures or other files (kept
 * only as SHA-256 digests; the capture stays with the operator). Incidents
 * carry a classification (identity.h clearance levels): a caller sees one
 * only with clearance at or above it, and only its own organisation's unless
 * its role is clearinghouse-wide.
 *
 * A package is a directory:
 *
 *   manifest.json   the incident, its evidence (digests, and file names for
 *                   kept logs), the questions and answers, and the audit
 *                   entries about the incident (with their chain hashes, so
 *                   they can be checked against a signed audit checkpoint)
 *   manifest.sig    hex Ed25519 signature by the server's key over
 *                   "ch-incident-package-v1\n" followed by manifest.json's bytes
 *   evidence/N.log  the kept log lines of evidence N
 *
 * Verifying checks the signature (with a given public key, or else with the
 * key named in the manifest, which proves integrity but not origin) and
 * every evidence file's digest. Any change of a byte fails.
 */
#ifndef CH_COORD_INCIDENT_H
#define CH_COORD_INCIDENT_H

#include <stdbool.h>
#include <stdint.h>

#include "coord/service.h"
#include "core/keys.h"

/* Largest piece of evidence kept as text (log excerpts, not whole logs). */
#define CH_COORD_EVIDENCE_MAX ((size_t)4 << 20)
/* Largest manifest a verifier reads. */
#define CH_COORD_MANIFEST_MAX ((size_t)64 << 20)
/* Audit entries about an incident included in its package. */
#define CH_COORD_AUDIT_EXCERPT_MAX 1000

struct ch_coord_incident_new {
    int64_t org_id;                /* reporting organisation; 0: the actor's */
    const char *title;
    const char *source;            /* as for deconflict.h */
    const char *target;
    int64_t observed_at;
    enum ch_clearance classification;
};

int ch_coord_incident_open(struct ch_coord *c, struct ch_store *s, const struct ch_coord_actor *a,
                           const struct ch_coord_incident_new *n, int64_t now, int64_t *ret_id,
                           struct ch_err *err) CH_MUST_CHECK;

struct ch_coord_evidence_new {
    int64_t incident_id;
    const char *kind;              /* "log" (content kept), "pcap" or "other" (digest only) */
    const char *name;              /* file name or label */
    const void *data;              /* the bytes, or NULL with sha256_hex */
    size_t len;
    const char *sha256_hex;        /* with data NULL: the digest computed elsewhere */
};

int ch_coord_incident_evidence_add(struct ch_store *s, const struct ch_coord_actor *a,
                                   const struct ch_coord_evidence_new *e, int64_t now,
                                   int64_t *ret_id, struct ch_err *err) CH_MUST_CHECK;

int ch_coord_incident_list_json(struct ch_store *s, const struct ch_coord_actor *a,
                                struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
int ch_coord_incident_show_json(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                                struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/*
 * Builds the package of incident id, signs it, writes it into dir (created
 * if absent; an existing manifest there is never overwritten), and records
 * the referral (status "referred", audit entry). Errors: CH_E_NOTFOUND,
 * CH_E_PERM, CH_E_CONFLICT (dir already holds a package), CH_E_IO.
 */
int ch_coord_incident_export(struct ch_store *s, const struct ch_coord_actor *a, int64_t id,
                             const struct ch_keys *keys, const char *dir, int64_t now,
                             struct ch_err *err) CH_MUST_CHECK;

struct ch_coord_package_report {
    bool ok;                       /* signature and every digest verify */
    bool key_from_manifest;        /* no key given: integrity, not origin, was checked */
    int64_t incident;
    size_t evidence_files;
    char key_id[CH_KEYS_ID_MAX];
    char problem[256];             /* what failed, when !ok */
};

/*
 * Verifies a package directory. public_key (32 bytes) or NULL. Returns CH_OK
 * whether or not the package verifies (see report->ok); errors are for a
 * package that cannot be read at all (CH_E_IO, CH_E_INVALID).
 */
int ch_coord_package_verify(const char *dir, const unsigned char *public_key,
                            struct ch_coord_package_report *report,
                            struct ch_err *err) CH_MUST_CHECK;

#endif
