/* SPDX-License-Identifier: Apache-2.0
 *
 * h_taxii.h: the TAXII 2.1 server (https://docs.oasis-open.org/cti/taxii/
 * v2.1/taxii-v2.1.html) over the collections of share/collection.h.
 *
 *   GET  /taxii2/                                        discovery
 *   GET  /taxii2/api/                                    API root
 *   GET  /taxii2/api/status/{status}/                    status (404: nothing is ever pending)
 *   GET  /taxii2/api/collections/                        collections
 *   GET  /taxii2/api/collections/{c}/                    one collection
 *   GET  /taxii2/api/collections/{c}/objects/            objects (envelope)
 *   POST /taxii2/api/collections/{c}/objects/            refused: 403 (read-only collections)
 *   GET  /taxii2/api/collections/{c}/objects/{o}/        one object
 *   DELETE /taxii2/api/collections/{c}/objects/{o}/      refused: 403
 *   GET  /taxii2/api/collections/{c}/objects/{o}/versions/
 *   GET  /taxii2/api/collections/{c}/manifest/
 *
 * Every route needs a clearinghouse bearer token (any role); what a caller
 * sees is decided per object by collection.h (its organisation, its
 * clearance). Responses are application/taxii+json;version=2.1; an Accept
 * header that allows neither that nor a wildcard is 406; a POST whose
 * Content-Type is not application/taxii+json is 415 (before the 403). TAXII
 * errors use the TAXII error message ({"title", "description",
 * "http_status"}); 401/403/429 raised by the server before a handler runs
 * use the API's JSON error body.
 *
 * Filters: added_after (exclusive, millisecond precision), limit (clamped
 * to CH_SHARE_MAX_LIMIT), next (opaque keyset token), match[id],
 * match[type], match[version] (first, last, all or timestamps),
 * match[spec_version]. A malformed value or an unsupported match[...]
 * field is 400; other unknown parameters are ignored, as TAXII clients add
 * their own. Paging responses carry X-TAXII-Date-Added-First/-Last.
 *
 * Freshness: before answering, a handler brings the index up to date with
 * ch_share_sync_builtin() when the last sync of this process is older than
 * the sync interval (default CH_TAXII_SYNC_INTERVAL_S; `clearinghouse taxii
 * sync` does the same from the command line).
 */
#ifndef CH_HTTP_H_TAXII_H
#define CH_HTTP_H_TAXII_H

#include "http/http.h"

#define CH_TAXII_MEDIA_TYPE "application/taxii+json;version=2.1"
#define CH_STIX_MEDIA_TYPE "application/stix+json;version=2.1"
#define CH_TAXII_SYNC_INTERVAL_S 60
/* Body cap of the (refused) POST: enough to read the Content-Type and refuse. */
#define CH_TAXII_MAX_BODY ((size_t)1 << 20)

/* Seconds between syncs triggered by requests; < 0 never syncs (tests, read-only replicas). */
void ch_h_taxii_set_sync_interval(int seconds);

int ch_h_taxii_discovery(struct ch_http_call *call);
int ch_h_taxii_api_root(struct ch_http_call *call);
int ch_h_taxii_status(struct ch_http_call *call);
int ch_h_taxii_collections(struct ch_http_call *call);
int ch_h_taxii_collection(struct ch_http_call *call);
int ch_h_taxii_objects(struct ch_http_call *call);
int ch_h_taxii_objects_add(struct ch_http_call *call);
int ch_h_taxii_object(struct ch_http_call *call);
int ch_h_taxii_object_delete(struct ch_http_call *call);
int ch_h_taxii_versions(struct ch_http_call *call);
int ch_h_taxii_manifest(struct ch_http_call *call);

#endif
