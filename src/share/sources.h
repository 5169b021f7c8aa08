/* SPDX-License-Identifier: Apache-2.0
 *
 * sources.h: the built-in sources of the TAXII collections (collection.h)
 * and the release of incidents to the indicators collection.
 *
 *   vulnerabilities  vulns + advisories + vuln_keys + affected + kev
 *                    (migration 0002): one `vulnerability` per vulnerability
 *                    (external_references to its CVE/GHSA/OSV ids, severity,
 *                    KEV status; revoked when every record is withdrawn), a
 *                    `software` observable per affected package (at most
 *                    CH_SHARE_MAX_AFFECTED) and a `has` relationship from it.
 *                    Changed = an advisory imported, or its KEV row, at or
 *                    after the watermark. TLP:CLEAR.
 *   kev              the same vulnerability objects for CVEs in KEV (and a
 *                    minimal one for KEV entries not in the knowledge base).
 *   notices          notices (0007) joined with orgs: per notice a `report`
 *                    (object_refs: the vulnerability and the organisation's
 *                    `identity`) plus those two objects, all scoped to the
 *                    notice's organisation, TLP:AMBER+STRICT (vulnerability
 *                    objects keep TLP:CLEAR: they are the public objects).
 *   indicators       coord_incidents (0008) released in
 *                    share_incident_releases: per incident an `indicator`
 *                    (pattern on the scanning source), and for an address
 *                    source an `ipv4-addr`/`ipv6-addr`, an `observed-data`
 *                    and a `based-on` relationship. Level = the incident's
 *                    classification; scope = the reporting organisation for
 *                    TLP:AMBER+STRICT, else everyone. The target is never
 *                    shared (it names the victim).
 *
 * What a replacement source must provide: for every object, a stable STIX id
 * (ch_stix_id over its own id), created/modified in milliseconds that do not
 * go backwards, its scope and level, and a body from the stix.h builders.
 */
#ifndef CH_SHARE_SOURCES_H
#define CH_SHARE_SOURCES_H

#include "share/collection.h"

/* Affected packages shared per vulnerability (software objects and relationships). */
#define CH_SHARE_MAX_AFFECTED 32

/* The built-in sources, in sync order. */
const struct ch_share_source *const *ch_share_builtin_sources(size_t *ret_n);

/*
 * Releases incident `incident_id` to the indicators collection at TLP `tlp`
 * (TLP:RED is refused: it cannot leave the room). Only the reporting
 * organisation (actor_org) or a clearinghouse-wide role (wide) may release;
 * others get CH_E_NOTFOUND like for an incident that does not exist. A second
 * release changes the level. Audited as "share.incident.release" by actor.
 */
int ch_share_incident_release(struct ch_store *s, int64_t incident_id, enum ch_tlp tlp,
                              int64_t actor_org, bool wide, const char *actor, int64_t now,
                              struct ch_err *err) CH_MUST_CHECK;

#endif
