/* SPDX-License-Identifier: Apache-2.0
 *
 * h_disclose.h: discovery intake and disclosure over HTTP
 * (docs/disclosure.md):
 *
 *  - the CSAF provider: /.well-known/csaf/provider-metadata.json, the ROLIE
 *    feed /.well-known/csaf/white/csaf-feed-tlp-white.json and each CSAF
 *    document /.well-known/csaf/white/{year}/{file} (public routes);
 *  - read-only views of findings and cases for authenticated users, scoped
 *    by organisation, participation and clearance as the library decides
 *    (what a caller may not see is 404);
 *  - /api/v1/published?after=N: published advisories after an id, for the
 *    notices of the remediation subsystem.
 *
 * The publisher (name, base URL) comes from app->publisher (`serve
 * --public-url`); without it documents name CH_DISCLOSE_DEFAULT_BASE_URL.
 */
#ifndef CH_HTTP_H_DISCLOSE_H
#define CH_HTTP_H_DISCLOSE_H

#include "disclose/finding.h"
#include "disclose/publish.h"
#include "http/http.h"

/* The disclosure library's actor for the caller (h_findings.c, h_cases.c share it). */
struct ch_h_disclose_actor {
    struct ch_disclose_actor a;
    char name[160]; /* "user:NAME", a.name points here */
};
void ch_h_disclose_actor(const struct ch_http_call *call, struct ch_h_disclose_actor *ret);

int ch_h_csaf_provider_metadata(struct ch_http_call *call);
int ch_h_csaf_rolie_feed(struct ch_http_call *call);
int ch_h_csaf_document(struct ch_http_call *call);

int ch_h_findings_list(struct ch_http_call *call);
int ch_h_findings_get(struct ch_http_call *call);
int ch_h_cases_list(struct ch_http_call *call);
int ch_h_cases_get(struct ch_http_call *call);
int ch_h_published_list(struct ch_http_call *call);

#endif
