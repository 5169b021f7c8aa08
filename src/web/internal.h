/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h: what the files of src/web share and nobody else sees: the
 * dashboard's state, the page being built, the API call-through and the
 * generic list view.
 */
#ifndef CH_WEB_INTERNAL_H
#define CH_WEB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/json.h"
#include "http/http.h"
#include "remediate/directive.h"
#include "web/form.h"
#include "web/session.h"
#include "web/web.h"

/* Read-only while serving; owned by the caller of ch_web_new(). */
struct ch_web {
    struct ch_session_keys keys;
    const struct ch_directive_set *directives; /* the server's (borrowed); NULL: none */
    char directives_error[CH_ERR_MSG_MAX];
};

/* Largest HTML page or export (the response cap applies too). */
#define CH_WEB_MAX_PAGE ((size_t)32 << 20)
/* Rows a list page shows by default and at most. */
#define CH_WEB_PER_PAGE 25u
#define CH_WEB_MAX_PER_PAGE 200u

/*
 * The page in construction. web__begin() fills it or answers the request
 * itself (redirect to sign-in, refusal); web__finish() puts `main` into the
 * layout template. `main` is owned and released by web__finish/web__end.
 */
struct page {
    struct ch_http_call *call;
    const struct ch_web *web;
    struct ch_form query;
    struct ch_str session; /* the session cookie's value; empty when signed out */
    char csrf[CH_CSRF_LEN + 1];
    char *bearer; /* "Bearer <token>" (arena) for calls through to the API */
    struct ch_buf main;
    const char *title;
};

/*
 * Starts a page that needs a signed-in user: parses the query, opens the
 * session and admits it with ch_auth_request() against the page's roles.
 * Returns false when the response is already made (303 to sign-in, 403
 * page, 400 for a malformed query); the handler then returns CH_OK.
 */
bool web__begin(struct ch_http_call *call, struct page *p, const char *title);
/* Starts a page for a visitor who is not signed in (sign-in form). */
void web__begin_public(struct ch_http_call *call, struct page *p, const char *title);
/* Renders the layout with p->main as the content (200 unless a status was set). */
int web__finish(struct page *p);
/* Releases the page without rendering (the response was made otherwise). */
void web__end(struct page *p);
/* Answers with an HTML error page for rc (status from the API's error map) and message. */
int web__fail(struct page *p, int rc, const char *msg);
/* 303 See Other to `location` (a path of ours). */
int web__redirect(struct ch_http_call *call, const char *location);
/* The security headers of every dashboard answer (CSP, framing, referrer). */
void web__security_headers(struct ch_http_call *call);
/* Checks the form's CSRF token against the session; false → 403 already answered. */
bool web__csrf_ok(struct page *p, const struct ch_form *form);
/* The hidden CSRF field of a form. */
void web__csrf_field(struct page *p, struct ch_buf *b);

/*
 * Calls API route `path` (method GET or POST; query may be NULL; json_body
 * NULL for none) in-process as the signed-in user: route match, the API's
 * authentication and role check, the handler. CH_OK with the parsed answer
 * in *ret (owned: cJSON_Delete); otherwise the API's error code with
 * p->call->err holding its message.
 */
int web__api(struct page *p, enum ch_http_method method, const char *path, const char *query,
             const char *json_body, cJSON **ret) CH_MUST_CHECK;
/* web__api() GET of a list route: *ret is its "items" array, detached (owned). */
int web__api_items(struct page *p, const char *path, const char *query, cJSON **ret) CH_MUST_CHECK;

/* The text of a scalar JSON member (numbers without a fraction print as integers). */
const char *web__text(struct page *p, const cJSON *row, const char *key);
/* Query parameter of the page, or NULL. */
const char *web__q(const struct page *p, const char *name);

/* One column of a list: the JSON member, its heading and an optional link. */
struct web_col {
    const char *key;
    const char *label;
    const char *link; /* "/ui/assets/{asset_id}": {member} replaced by the row's value */
};

/* One filter: a query parameter matched against a JSON member. */
struct web_filter {
    const char *param; /* query parameter and JSON member */
    const char *label;
};

struct web_list {
    const char *id;    /* export file name and element ids */
    const char *title; /* table caption */
    const struct web_col *cols;
    size_t n_cols;
    const struct web_filter *filters;
    size_t n_filters;
    const char *const *keep; /* query parameters passed through unchanged (API filters) */
};

/*
 * The list view of `items` (a JSON array): rows filtered by the query
 * (each filter: equal, or one of the member's comma-separated values; `q`:
 * any column contains it, ignoring case), then either exported whole
 * (?format=csv|json: the response is the file) or shown as a page of
 * `per` rows with the filter form, export links and page links.
 */
int web__list(struct page *p, const struct web_list *spec, const cJSON *items);

/*
 * A whole list page: the API list route api_path (query parameters named in
 * `pass`, NULL-terminated, handed on to the API), an intro paragraph (HTML,
 * may be NULL) and web__list() of the answer.
 */
int web__list_page(struct ch_http_call *call, const char *title, const char *api_path,
                   const char *const *pass, const struct web_list *spec, const char *intro);

/*
 * The API's exposure list (every row the caller may see) for `status`
 * (NULL: active); with `facts`, each row also gets its organisation's
 * "category" and "sector" (from the API's organisation list). Owned array.
 */
int web__exposure_rows(struct page *p, const char *status, bool facts, cJSON **ret) CH_MUST_CHECK;

struct ch_eval_actor;

/* Writes an evaluation list for actor a: a JSON array, or an object with "items". */
typedef int (*web_eval_list_fn)(struct page *p, const struct ch_eval_actor *a, struct ch_jw *w);

/*
 * Rows of an evaluation view, read from the eval library (no API route yet)
 * with the eval actor of the signed-in principal, which fn receives: fn's
 * answer parsed, *ret the array (owned).
 */
int web__eval_rows(struct page *p, web_eval_list_fn fn, cJSON **ret) CH_MUST_CHECK;

/* Appends link pattern `pattern` with each {member} replaced by the row's value, URL-escaped. */
void web__expand_link(struct page *p, struct ch_buf *b, const char *pattern, const cJSON *row);

/* Appends "<a href=\"LINK\">TEXT</a>" with both escaped. */
void web__link(struct ch_buf *b, const char *href, const char *text);

/* Page handlers (pages_*.c). */
int ch_web_home(struct ch_http_call *call);
int ch_web_root(struct ch_http_call *call);
int ch_web_static(struct ch_http_call *call);
int ch_web_signin_form(struct ch_http_call *call);
int ch_web_signin(struct ch_http_call *call);
int ch_web_signout(struct ch_http_call *call);
int ch_web_compliance(struct ch_http_call *call);
int ch_web_exposures(struct ch_http_call *call);
int ch_web_exposure(struct ch_http_call *call);
int ch_web_exposure_status(struct ch_http_call *call);
int ch_web_asset_list(struct ch_http_call *call);
int ch_web_asset_page(struct ch_http_call *call);
int ch_web_notices(struct ch_http_call *call);
int ch_web_leases(struct ch_http_call *call);
int ch_web_deconflict(struct ch_http_call *call);
int ch_web_national(struct ch_http_call *call);
int ch_web_findings(struct ch_http_call *call);
int ch_web_cases(struct ch_http_call *call);
int ch_web_models(struct ch_http_call *call);
int ch_web_runs(struct ch_http_call *call);
int ch_web_run(struct ch_http_call *call);

#endif
