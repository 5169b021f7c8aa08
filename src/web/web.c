/* SPDX-License-Identifier: Apache-2.0
 *
 * web.c: the dashboard's state and page table (see web.h). The roles of
 * each page mirror those of the API routes it reads, so the page is never
 * reachable by a role the API would refuse; object-level checks happen in
 * the API handlers the pages call through to.
 */
#include "web/web.h"

#include <sodium.h>
#include <stdio.h>

#include "core/alloc.h"
#include "web/internal.h"

int ch_web_new(const struct ch_web_options *o, struct ch_web **ret, struct ch_err *err)
{
    if (sodium_init() < 0)
        return ch_err_set(err, CH_E_INTERNAL, "cannot initialise libsodium");
    struct ch_web *w = ch_calloc(1, sizeof(*w));
    if (w == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    ch_session_keys_init(&w->keys);
    w->directives = o != NULL ? o->directives : NULL;
    if (w->directives == NULL)
        snprintf(w->directives_error, sizeof(w->directives_error),
                 "the server found no directives (serve --directives DIR)");
    *ret = w;
    return CH_OK;
}

void ch_web_free(struct ch_web *w)
{
    if (w == NULL)
        return;
    sodium_memzero(&w->keys, sizeof(w->keys));
    ch_free(w);
}

#define GET CH_HTTP_GET
#define POST CH_HTTP_POST
#define S CH_ROUTE_SESSION
#define FORM (CH_ROUTE_SESSION | CH_ROUTE_ANY_BODY)
#define OPS (CH_ROLE_OPERATOR | CH_ROLE_WIDE)
#define COORD (CH_ROLE_OPERATOR | CH_ROLE_PARTNER | CH_ROLE_WIDE)
#define EVAL (CH_ROLE_EVALUATOR | CH_ROLE_DEVELOPER | CH_ROLE_WIDE)

#define PAGE(m, p, h, f, r, n)                                                                     \
    {                                                                                              \
        .methods = (m), .pattern = (p), .handler = (h), .flags = (f), .roles = (r), .name = (n),   \
        .max_body = CH_FORM_MAX_BYTES                                                              \
    }

const struct ch_route ch_web_pages[] = {
    PAGE(GET, "/", ch_web_root, S | CH_ROUTE_PUBLIC | CH_ROUTE_INLOOP, 0, "ui.root"),
    PAGE(GET, "/ui/static/{file}", ch_web_static, S | CH_ROUTE_PUBLIC | CH_ROUTE_INLOOP, 0,
         "ui.static"),
    PAGE(GET, "/ui/signin", ch_web_signin_form, S | CH_ROUTE_PUBLIC, 0, "ui.signin"),
    PAGE(POST, "/ui/signin", ch_web_signin, FORM | CH_ROUTE_PUBLIC, 0, "ui.signin.post"),
    PAGE(POST, "/ui/signout", ch_web_signout, FORM, CH_ROLE_ALL, "ui.signout"),
    PAGE(GET, "/ui/", ch_web_home, S, CH_ROLE_ALL, "ui.home"),
    /* remediation: the API's assets/exposures/notices routes admit anyone (scoped by org) */
    PAGE(GET, "/ui/compliance", ch_web_compliance, S, OPS, "ui.compliance"),
    PAGE(GET, "/ui/exposures", ch_web_exposures, S, CH_ROLE_ALL, "ui.exposures"),
    PAGE(GET, "/ui/exposures/{id}", ch_web_exposure, S, CH_ROLE_ALL, "ui.exposure"),
    PAGE(POST, "/ui/exposures/{id}/status", ch_web_exposure_status, FORM, OPS,
         "ui.exposure.status"),
    PAGE(GET, "/ui/assets", ch_web_asset_list, S, CH_ROLE_ALL, "ui.assets"),
    PAGE(GET, "/ui/assets/{id}", ch_web_asset_page, S, CH_ROLE_ALL, "ui.asset"),
    PAGE(GET, "/ui/notices", ch_web_notices, S, CH_ROLE_ALL, "ui.notices"),
    PAGE(GET, "/ui/national", ch_web_national, S, CH_ROLE_WIDE, "ui.national"),
    PAGE(GET, "/ui/leases", ch_web_leases, S, COORD, "ui.leases"),
    PAGE(GET, "/ui/deconflict", ch_web_deconflict, S, COORD, "ui.deconflict"),
    PAGE(GET, "/ui/findings", ch_web_findings, S, CH_ROLE_ALL, "ui.findings"),
    PAGE(GET, "/ui/cases", ch_web_cases, S, CH_ROLE_ALL, "ui.cases"),
    PAGE(GET, "/ui/models", ch_web_models, S, EVAL, "ui.models"),
    PAGE(GET, "/ui/runs", ch_web_runs, S, EVAL, "ui.runs"),
    PAGE(GET, "/ui/runs/{id}", ch_web_run, S, EVAL, "ui.run"),
    {0},
};
