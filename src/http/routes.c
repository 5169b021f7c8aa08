/* SPDX-License-Identifier: Apache-2.0
 *
 * routes.c: the route table. Every route declares its methods, handler,
 * flags and the roles allowed to call it here, in one place, so that the
 * API's surface can be read (and tested against the OpenAPI document and the
 * authorisation matrix, tests/unit/http/test_openapi.c and
 * tests/integration/test_api_authz.c) at a glance.
 *
 * Deny by default: a route that is not CH_ROUTE_PUBLIC and names no roles
 * cannot be called by anyone.
 */
#include "http/handlers.h"
#include "http/router.h"

#define GET CH_HTTP_GET
#define POST CH_HTTP_POST
#define DELETE CH_HTTP_DELETE
#define PUBLIC CH_ROUTE_PUBLIC
#define INLOOP CH_ROUTE_INLOOP
#define ANYONE CH_ROLE_ALL /* any authenticated user */
#define ADMIN CH_ROLE_ADMIN
#define WIDE CH_ROLE_WIDE /* admin, analyst */
/* scan coordination: the service decides ownership and tenancy within these roles */
#define COORD (CH_ROLE_OPERATOR | CH_ROLE_PARTNER | WIDE)
/* webhooks: an organisation's operators and partners for their own; admins for any */
#define HOOKS (CH_ROLE_OPERATOR | CH_ROLE_PARTNER | ADMIN)

#define ROUTE(m, p, h, f, r, n)                                                                    \
    {                                                                                              \
        .methods = (m), .pattern = (p), .handler = (h), .flags = (f), .roles = (r), .name = (n)    \
    }

const struct ch_route ch_routes[] = {
    ROUTE(GET, "/healthz", ch_h_healthz, INLOOP | PUBLIC, 0, "healthz"),
    ROUTE(GET, "/readyz", ch_h_readyz, PUBLIC, 0, "readyz"),
    ROUTE(GET, "/metrics", ch_h_metrics, 0, WIDE, "metrics"),
    ROUTE(GET, "/api/v1/openapi.json", ch_h_openapi, INLOOP | PUBLIC, 0, "openapi"),
    ROUTE(GET, "/api/v1/me", ch_h_me, 0, ANYONE, "me"),

    ROUTE(GET, "/api/v1/orgs", ch_h_orgs_list, 0, ANYONE, "orgs.list"),
    ROUTE(POST, "/api/v1/orgs", ch_h_orgs_create, 0, ADMIN, "orgs.create"),
    ROUTE(GET, "/api/v1/orgs/{slug}", ch_h_orgs_get, 0, ANYONE, "orgs.get"),

    ROUTE(GET, "/api/v1/users", ch_h_users_list, 0, ANYONE, "users.list"),
    ROUTE(POST, "/api/v1/users", ch_h_users_create, 0, ADMIN, "users.create"),
    ROUTE(GET, "/api/v1/users/{name}", ch_h_users_get, 0, ANYONE, "users.get"),

    ROUTE(GET, "/api/v1/tokens", ch_h_tokens_list, 0, ANYONE, "tokens.list"),
    ROUTE(POST, "/api/v1/tokens", ch_h_tokens_create, 0, ANYONE, "tokens.create"),
    ROUTE(DELETE, "/api/v1/tokens/{id}", ch_h_tokens_revoke, 0, ANYONE, "tokens.revoke"),

    ROUTE(GET, "/api/v1/vulns", ch_h_vulns_search, 0, ANYONE, "vulns.search"),
    ROUTE(GET, "/api/v1/vulns/{id}", ch_h_vulns_get, 0, ANYONE, "vulns.get"),
    ROUTE(GET, "/v1/vulns/{id}", ch_h_osv_vuln, PUBLIC, 0, "osv.vulns.get"),
    ROUTE(POST, "/v1/query", ch_h_osv_query, PUBLIC, 0, "osv.query"),
    /* a batch holds up to 1,000 queries of a few values each, as osv.dev allows */
    {.methods = POST,
     .pattern = "/v1/querybatch",
     .handler = ch_h_osv_querybatch,
     .flags = PUBLIC,
     .name = "osv.querybatch",
     .max_nodes = CH_H_OSV_BATCH_MAX_NODES},

    /* scan coordination: the deconfliction question and the lists (src/http/h_coord.c) */
    {.methods = POST,
     .pattern = "/api/v1/deconflict",
     .handler = ch_h_deconflict,
     .roles = CH_ROLE_OPERATOR | CH_ROLE_PARTNER | WIDE,
     .name = "deconflict",
     .max_body = CH_H_DECONFLICT_MAX_BODY},
    ROUTE(GET, "/api/v1/coord/targets", ch_h_coord_targets_list, 0, COORD, "coord.targets.list"),
    ROUTE(POST, "/api/v1/coord/targets", ch_h_coord_targets_create, 0, COORD,
          "coord.targets.create"),
    ROUTE(GET, "/api/v1/coord/targets/{id}", ch_h_coord_targets_get, 0, COORD, "coord.targets.get"),
    ROUTE(GET, "/api/v1/coord/uncovered", ch_h_coord_targets_uncovered, 0, COORD,
          "coord.uncovered"),
    ROUTE(GET, "/api/v1/coord/authorizations", ch_h_coord_auth_list, 0, COORD, "coord.auth.list"),
    ROUTE(POST, "/api/v1/coord/targets/{id}/authorizations", ch_h_coord_auth_grant, 0, COORD,
          "coord.auth.grant"),
    ROUTE(DELETE, "/api/v1/coord/authorizations/{id}", ch_h_coord_auth_revoke, 0, COORD,
          "coord.auth.revoke"),
    ROUTE(GET, "/api/v1/coord/leases", ch_h_coord_leases_list, 0, COORD, "coord.leases.list"),
    ROUTE(POST, "/api/v1/coord/leases", ch_h_coord_leases_request, 0, COORD,
          "coord.leases.request"),
    ROUTE(GET, "/api/v1/coord/leases/{id}", ch_h_coord_leases_get, 0, COORD, "coord.leases.get"),
    ROUTE(POST, "/api/v1/coord/leases/{id}/extend", ch_h_coord_leases_extend, 0, COORD,
          "coord.leases.extend"),
    ROUTE(POST, "/api/v1/coord/leases/{id}/release", ch_h_coord_leases_release, 0, COORD,
          "coord.leases.release"),
    ROUTE(POST, "/api/v1/coord/leases/{id}/revoke", ch_h_coord_leases_revoke, 0, COORD,
          "coord.leases.revoke"),
    ROUTE(POST, "/api/v1/coord/leases/{id}/reports", ch_h_coord_leases_report, 0, COORD,
          "coord.leases.report"),
    ROUTE(GET, "/api/v1/coord/incidents", ch_h_coord_incidents_list, 0, CH_ROLE_OPERATOR | WIDE,
          "coord.incidents.list"),
    ROUTE(POST, "/api/v1/coord/incidents", ch_h_coord_incidents_open, 0, CH_ROLE_OPERATOR | WIDE,
          "coord.incidents.open"),
    ROUTE(GET, "/api/v1/coord/incidents/{id}", ch_h_coord_incidents_get, 0, CH_ROLE_OPERATOR | WIDE,
          "coord.incidents.get"),
    ROUTE(POST, "/api/v1/coord/incidents/{id}/evidence", ch_h_coord_incidents_evidence, 0,
          CH_ROLE_OPERATOR | WIDE, "coord.incidents.evidence"),

    /* remediation: read-only views scoped by organisation (src/http/h_remediate.c) */
    ROUTE(GET, "/api/v1/assets", ch_h_assets_list, 0, ANYONE, "assets.list"),
    ROUTE(GET, "/api/v1/assets/{id}", ch_h_assets_get, 0, ANYONE, "assets.get"),
    ROUTE(GET, "/api/v1/exposures", ch_h_exposures_list, 0, ANYONE, "exposures.list"),
    ROUTE(GET, "/api/v1/exposures/{id}", ch_h_exposures_get, 0, ANYONE, "exposures.get"),
    ROUTE(GET, "/api/v1/notices", ch_h_notices_list, 0, ANYONE, "notices.list"),
/* remediation changes and reports, as the CLI's asset, exposure, directive, priority and
 * compliance commands (src/http/h_remediate.c, h_directives.c); the service scopes operators
 * to their own organisation */
#define REMEDIATE (CH_ROLE_OPERATOR | WIDE)
    ROUTE(POST, "/api/v1/assets", ch_h_assets_create, 0, REMEDIATE, "assets.create"),
    ROUTE(CH_HTTP_PATCH, "/api/v1/assets/{id}", ch_h_assets_update, 0, REMEDIATE, "assets.update"),
    /* an inventory is any document the SBOM readers accept, up to the server's body cap */
    {.methods = CH_HTTP_PUT,
     .pattern = "/api/v1/assets/{id}/inventory",
     .handler = ch_h_assets_inventory_put,
     .flags = CH_ROUTE_ANY_BODY,
     .roles = REMEDIATE,
     .name = "assets.inventory.put",
     .max_body = CH_HTTP_MAX_BODY},
    ROUTE(GET, "/api/v1/assets/{id}/inventories", ch_h_assets_inventories, 0, REMEDIATE,
          "assets.inventories"),
    ROUTE(POST, "/api/v1/exposures/{id}/transitions", ch_h_exposures_transition, 0, REMEDIATE,
          "exposures.transitions.create"),
    ROUTE(GET, "/api/v1/exposures/{id}/transitions", ch_h_exposures_transitions, 0, REMEDIATE,
          "exposures.transitions.list"),
    ROUTE(GET, "/api/v1/directives", ch_h_directives_list, 0, REMEDIATE, "directives.list"),
    ROUTE(GET, "/api/v1/directives/{id}", ch_h_directives_get, 0, REMEDIATE, "directives.get"),
    ROUTE(POST, "/api/v1/directives/{id}/decide", ch_h_directives_decide, 0, REMEDIATE,
          "directives.decide"),
    ROUTE(GET, "/api/v1/priority", ch_h_priority, 0, REMEDIATE, "priority"),
    ROUTE(GET, "/api/v1/compliance", ch_h_compliance, 0, REMEDIATE, "compliance"),
#undef REMEDIATE

    /* discovery and disclosure: CSAF provider feed and read-only views (src/http/h_disclose.c) */
    ROUTE(GET, "/.well-known/csaf/provider-metadata.json", ch_h_csaf_provider_metadata, PUBLIC, 0,
          "csaf.metadata"),
    ROUTE(GET, "/.well-known/csaf/white/csaf-feed-tlp-white.json", ch_h_csaf_rolie_feed, PUBLIC, 0,
          "csaf.rolie"),
    ROUTE(GET, "/.well-known/csaf/white/{year}/{file}", ch_h_csaf_document, PUBLIC, 0,
          "csaf.document"),
    ROUTE(GET, "/api/v1/findings", ch_h_findings_list, 0, ANYONE, "findings.list"),
    ROUTE(GET, "/api/v1/findings/{id}", ch_h_findings_get, 0, ANYONE, "findings.get"),
    ROUTE(GET, "/api/v1/cases", ch_h_cases_list, 0, ANYONE, "cases.list"),
    ROUTE(GET, "/api/v1/cases/{id}", ch_h_cases_get, 0, ANYONE, "cases.get"),
    ROUTE(GET, "/api/v1/published", ch_h_published_list, 0, WIDE, "published.list"),
    /* discovery intake and case actions (src/http/h_findings.c, src/http/h_cases.c) */
    {.methods = POST,
     .pattern = "/api/v1/findings",
     .handler = ch_h_findings_submit,
     .roles = CH_ROLE_PARTNER | WIDE,
     .name = "findings.submit",
     .max_body = CH_H_FINDINGS_MAX_BODY,
     .max_nodes = CH_H_FINDINGS_MAX_NODES,
     .max_string = CH_H_FINDINGS_MAX_STRING},
    ROUTE(POST, "/api/v1/findings/{id}/validate", ch_h_findings_validate, 0, WIDE,
          "findings.validate"),
    ROUTE(POST, "/api/v1/findings/{id}/resolve", ch_h_findings_resolve, 0, WIDE,
          "findings.resolve"),
    ROUTE(POST, "/api/v1/cases", ch_h_cases_open, 0, WIDE, "cases.open"),
    ROUTE(POST, "/api/v1/cases/{id}/transition", ch_h_cases_transition, 0, WIDE,
          "cases.transition"),
    ROUTE(POST, "/api/v1/cases/{id}/exploited", ch_h_cases_exploited, 0, WIDE, "cases.exploited"),
    ROUTE(POST, "/api/v1/cases/{id}/participants", ch_h_cases_participant, 0, WIDE,
          "cases.participants.add"),
    {.methods = POST,
     .pattern = "/api/v1/cases/{id}/verify-fix",
     .handler = ch_h_cases_verify_fix,
     .roles = WIDE,
     .name = "cases.verify_fix",
     .max_body = CH_H_FINDINGS_MAX_BODY,
     .max_nodes = CH_H_FINDINGS_MAX_NODES,
     .max_string = CH_H_FINDINGS_MAX_STRING},
    ROUTE(POST, "/api/v1/cases/{id}/publish", ch_h_cases_publish, 0, WIDE, "cases.publish"),

    /* signed webhooks of an organisation (src/http/h_share.c) */
    ROUTE(GET, "/api/v1/webhooks", ch_h_webhooks_list, 0, HOOKS, "webhooks.list"),
    ROUTE(POST, "/api/v1/webhooks", ch_h_webhooks_create, 0, HOOKS, "webhooks.create"),
    ROUTE(GET, "/api/v1/webhooks/{id}", ch_h_webhooks_get, 0, HOOKS, "webhooks.get"),
    ROUTE(DELETE, "/api/v1/webhooks/{id}", ch_h_webhooks_delete, 0, HOOKS, "webhooks.delete"),
    ROUTE(POST, "/api/v1/webhooks/{id}/pause", ch_h_webhooks_pause, 0, HOOKS, "webhooks.pause"),
    ROUTE(POST, "/api/v1/webhooks/{id}/resume", ch_h_webhooks_resume, 0, HOOKS, "webhooks.resume"),
    ROUTE(POST, "/api/v1/webhooks/{id}/test", ch_h_webhooks_test, 0, HOOKS, "webhooks.test"),
    ROUTE(GET, "/api/v1/webhooks/{id}/deliveries", ch_h_webhooks_deliveries, 0, HOOKS,
          "webhooks.deliveries"),

    /* TAXII 2.1 (src/http/h_taxii.c): read-only collections of STIX 2.1 objects */
    ROUTE(GET, "/taxii2/", ch_h_taxii_discovery, 0, ANYONE, "taxii.discovery"),
    ROUTE(GET, "/taxii2/api/", ch_h_taxii_api_root, 0, ANYONE, "taxii.root"),
    ROUTE(GET, "/taxii2/api/status/{status}/", ch_h_taxii_status, 0, ANYONE, "taxii.status"),
    ROUTE(GET, "/taxii2/api/collections/", ch_h_taxii_collections, 0, ANYONE, "taxii.collections"),
    ROUTE(GET, "/taxii2/api/collections/{c}/", ch_h_taxii_collection, 0, ANYONE,
          "taxii.collection"),
    ROUTE(GET, "/taxii2/api/collections/{c}/objects/", ch_h_taxii_objects, 0, ANYONE,
          "taxii.objects"),
    ROUTE(POST, "/taxii2/api/collections/{c}/objects/", ch_h_taxii_objects_add, CH_ROUTE_ANY_BODY,
          ANYONE, "taxii.objects.add"),
    ROUTE(GET, "/taxii2/api/collections/{c}/objects/{o}/", ch_h_taxii_object, 0, ANYONE,
          "taxii.object"),
    ROUTE(DELETE, "/taxii2/api/collections/{c}/objects/{o}/", ch_h_taxii_object_delete, 0, ANYONE,
          "taxii.object.delete"),
    ROUTE(GET, "/taxii2/api/collections/{c}/objects/{o}/versions/", ch_h_taxii_versions, 0, ANYONE,
          "taxii.versions"),
    ROUTE(GET, "/taxii2/api/collections/{c}/manifest/", ch_h_taxii_manifest, 0, ANYONE,
          "taxii.manifest"),

    /* the trusted-partner gateway to covered and pre-release models (src/http/h_gateway.c) */
    {.methods = POST,
     .pattern = "/v1/chat/completions",
     .handler = ch_h_gateway_chat,
     .roles = CH_ROLE_PARTNER,
     .name = "gateway.chat",
     .max_body = CH_GATEWAY_MAX_REQUEST},

    ROUTE(GET, "/api/v1/audit/checkpoints", ch_h_audit_checkpoints, PUBLIC, 0, "audit.checkpoints"),
    ROUTE(GET, "/api/v1/audit/log", ch_h_audit_log, 0, WIDE, "audit.log"),
    ROUTE(POST, "/api/v1/audit/verify", ch_h_audit_verify, 0, ADMIN, "audit.verify"),

    {0},
};
