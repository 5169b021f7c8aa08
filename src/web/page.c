/* SPDX-License-Identifier: Apache-2.0
 *
 * page.c: what every dashboard page does around its content: session and
 * admission (through the API's ch_auth_request), the layout template, the
 * security headers, error pages, CSRF and calls through to the API's
 * handlers (see internal.h).
 *
 * Why call the API's handlers rather than the library: the page then shows
 * the API's answer for the same caller, filters and scoping included, and
 * a refusal by the API (403, or 404 for another organisation's object) is
 * the page's refusal too; a page cannot drift into showing more.
 */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "http/auth.h"
#include "http/errmap.h"
#include "http/router.h"
#include "store/store.h"
#include "web/assets.h"
#include "web/html.h"
#include "web/internal.h"

/* No inline script or style anywhere; SVG charts are styled by class from style.css. */
#define CSP                                                                                        \
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "                    \
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

void web__security_headers(struct ch_http_call *call)
{
    /* best effort: a page without them is refused by the tests, not by the browser */
    CH_IGNORE(ch_http_add_header(call, "content-security-policy", CSP));
    CH_IGNORE(ch_http_add_header(call, "x-frame-options", "DENY"));
    CH_IGNORE(ch_http_add_header(call, "referrer-policy", "no-referrer"));
}

const char *web__q(const struct page *p, const char *name)
{
    const char *v = ch_form_get(&p->query, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static void page_init(struct ch_http_call *call, struct page *p, const char *title)
{
    *p = (struct page){.call = call, .web = call->app->web, .title = title};
    ch_buf_init(&p->main, CH_WEB_MAX_PAGE);
}

void web__begin_public(struct ch_http_call *call, struct page *p, const char *title)
{
    page_init(call, p, title);
    struct ch_err err = CH_ERR_INIT;
    if (ch_form_parse(call->arena, call->req.query, &p->query, &err) != CH_OK)
        p->query = (struct ch_form){.n_fields = 0}; /* a bad query on the sign-in page is moot */
}

/* "/ui/signin?next=<this page>" so that signing in comes back here. */
static int to_signin(struct ch_http_call *call)
{
    struct ch_buf b;
    ch_buf_init(&b, 4096);
    ch_buf_append_c(&b, "/ui/signin");
    if (call->req.method == CH_HTTP_GET && call->req.path.len < 1024) {
        char *path = ch_arena_str(call->arena, call->req.path);
        ch_buf_append_c(&b, "?next=");
        ch_url_esc(&b, path != NULL ? path : "/ui/");
    }
    int rc = ch_buf_status(&b, "redirect", &call->err);
    if (rc == CH_OK)
        rc = web__redirect(call, ch_buf_cstr(&b));
    ch_buf_release(&b);
    return rc;
}

bool web__begin(struct ch_http_call *call, struct page *p, const char *title)
{
    page_init(call, p, title);
    struct ch_err err = CH_ERR_INIT;
    if (p->web == NULL) {
        CH_IGNORE(web__fail(p, CH_E_UNAVAILABLE, "the dashboard is not enabled"));
        return false;
    }
    int rc = ch_cookie_find(call->req.cookie, CH_SESSION_COOKIE, &p->session, &err);
    char token[CH_SESSION_TOKEN_MAX + 1];
    if (rc == CH_OK)
        rc = ch_session_open(&p->web->keys, p->session, ch_clock_now(&call->app->clock), token,
                             &err);
    if (rc != CH_OK) {
        web__end(p);
        CH_IGNORE(to_signin(call));
        return false;
    }
    p->bearer = ch_arena_printf(call->arena, "Bearer %s", token);
    if (p->bearer == NULL) {
        CH_IGNORE(web__fail(p, CH_E_NOMEM, "out of memory"));
        return false;
    }
    call->req.authorization = ch_str_c(p->bearer);
    rc = ch_auth_request(call);
    if (rc == CH_E_AUTH) {
        web__end(p);
        CH_IGNORE(to_signin(call));
        return false;
    }
    if (rc != CH_OK) {
        CH_IGNORE(web__fail(p, rc, call->err.msg));
        return false;
    }
    ch_session_csrf(&p->web->keys, p->session, p->csrf);
    if (ch_form_parse(call->arena, call->req.query, &p->query, &err) != CH_OK) {
        CH_IGNORE(web__fail(p, err.rc, err.msg));
        return false;
    }
    return true;
}

void web__end(struct page *p)
{
    ch_buf_release(&p->main);
}

int web__redirect(struct ch_http_call *call, const char *location)
{
    call->res.status = 303;
    call->res.content_type = "text/html; charset=utf-8";
    ch_buf_reset(&call->res.body);
    web__security_headers(call);
    return ch_http_add_header(call, "location", location);
}

void web__link(struct ch_buf *b, const char *href, const char *text)
{
    ch_buf_append_c(b, "<a href=\"");
    ch_html_esc(b, href);
    ch_buf_append_c(b, "\">");
    ch_html_esc(b, text);
    ch_buf_append_c(b, "</a>");
}

void web__csrf_field(struct page *p, struct ch_buf *b)
{
    ch_buf_appendf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", p->csrf);
}

bool web__csrf_ok(struct page *p, const struct ch_form *form)
{
    if (ch_session_csrf_ok(&p->web->keys, p->session, ch_form_get(form, "csrf")))
        return true;
    CH_IGNORE(web__fail(p, CH_E_PERM,
                        "this form has expired or did not come from this site; reload the page"));
    return false;
}

/* ---- layout ---- */

struct nav_item {
    const char *href;
    const char *label;
    unsigned roles;
};

#define COORD_ROLES (CH_ROLE_OPERATOR | CH_ROLE_PARTNER | CH_ROLE_WIDE)
static const struct nav_item nav[] = {
    {"/ui/", "Overview", CH_ROLE_ALL},
    {"/ui/compliance", "Compliance", CH_ROLE_OPERATOR | CH_ROLE_WIDE},
    {"/ui/exposures", "Exposures", CH_ROLE_OPERATOR | CH_ROLE_WIDE},
    {"/ui/assets", "Assets", CH_ROLE_OPERATOR | CH_ROLE_WIDE},
    {"/ui/notices", "Notices", CH_ROLE_OPERATOR | CH_ROLE_WIDE},
    {"/ui/national", "National", CH_ROLE_WIDE},
    {"/ui/leases", "Leases", COORD_ROLES},
    {"/ui/findings", "Submissions", CH_ROLE_PARTNER | CH_ROLE_WIDE},
    {"/ui/cases", "Disclosure", CH_ROLE_WIDE | CH_ROLE_PARTNER},
    {"/ui/models", "Models", CH_ROLE_EVALUATOR | CH_ROLE_DEVELOPER | CH_ROLE_WIDE},
    {"/ui/runs", "Runs", CH_ROLE_EVALUATOR | CH_ROLE_DEVELOPER | CH_ROLE_WIDE},
};

static void render_nav(struct page *p, struct ch_buf *b)
{
    if (!p->call->authenticated)
        return;
    char *path = ch_arena_str(p->call->arena, p->call->req.path);
    ch_buf_append_c(b, "<ul>");
    for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
        if ((nav[i].roles & p->call->principal.roles) == 0)
            continue;
        bool here = path != NULL && strcmp(path, nav[i].href) == 0;
        ch_buf_appendf(b, "<li><a href=\"%s\"%s>%s</a></li>", nav[i].href,
                       here ? " aria-current=\"page\"" : "", nav[i].label);
    }
    ch_buf_append_c(b, "</ul>");
}

static void render_user(struct page *p, struct ch_buf *b)
{
    if (!p->call->authenticated)
        return;
    const struct ch_principal *pr = &p->call->principal;
    char roles[128];
    ch_roles_format(pr->roles, roles, sizeof(roles));
    ch_buf_append_c(b, "<div class=\"who\"><span>");
    ch_html_esc(b, pr->user_name);
    ch_buf_append_c(b, " · ");
    ch_html_esc(b, pr->org_slug);
    ch_buf_append_c(b, " · ");
    ch_html_esc(b, roles);
    ch_buf_append_c(b, "</span><form method=\"post\" action=\"/ui/signout\">");
    web__csrf_field(p, b);
    ch_buf_append_c(b, "<button type=\"submit\">Sign out</button></form></div>");
}

/* Fills {{name}} placeholders of the layout; unknown names become nothing. */
static void fill(struct page *p, struct ch_buf *out, const char *tpl)
{
    const char *s = tpl;
    for (;;) {
        const char *open = strstr(s, "{{");
        const char *close = open != NULL ? strstr(open, "}}") : NULL;
        if (close == NULL) {
            ch_buf_append_c(out, s);
            return;
        }
        ch_buf_append(out, s, (size_t)(open - s));
        struct ch_str name = ch_str_make(open + 2, (size_t)(close - open - 2));
        if (ch_str_eq_c(name, "title"))
            ch_html_esc(out, p->title);
        else if (ch_str_eq_c(name, "nav"))
            render_nav(p, out);
        else if (ch_str_eq_c(name, "user"))
            render_user(p, out);
        else if (ch_str_eq_c(name, "main"))
            ch_buf_append_str(out, ch_buf_str(&p->main));
        s = close + 2;
    }
}

int web__finish(struct page *p)
{
    struct ch_http_call *call = p->call;
    const struct ch_web_asset *layout = ch_web_asset_find(CH_STR_LIT("layout.html"));
    ch_buf_reset(&call->res.body);
    if (layout != NULL)
        fill(p, &call->res.body, layout->data);
    web__end(p);
    if (call->res.status == 0)
        call->res.status = 200;
    call->res.content_type = "text/html; charset=utf-8";
    web__security_headers(call);
    return ch_buf_status(&call->res.body, "page", &call->err);
}

int web__fail(struct page *p, int rc, const char *msg)
{
    struct ch_http_call *call = p->call;
    int status = ch_http_status_for(rc);
    if (!ch_http_message_is_public(rc)) {
        ch_log_error("request %s page %s: %s", call->req.request_id,
                     call->route != NULL ? call->route->name : "-", msg);
        msg = "internal error; the server log has the details";
    }
    ch_buf_reset(&p->main);
    p->title = status == 404 ? "Not found" : status == 403 ? "Not allowed" : "Something went wrong";
    call->res.n_headers = 0;
    ch_buf_appendf(&p->main, "<p class=\"error\" role=\"alert\">%d: ", status);
    ch_html_esc(&p->main, msg);
    ch_buf_append_c(&p->main, "</p><p><a href=\"/ui/\">Back to the overview</a></p>");
    call->res.status = status;
    call->err = (struct ch_err)CH_ERR_INIT;
    return web__finish(p);
}

/* ---- calls through to the API ---- */

int web__api(struct page *p, enum ch_http_method method, const char *path, const char *query,
             const char *json_body, cJSON **ret)
{
    struct ch_http_call *call = p->call;
    struct ch_http_call sub = {
        .app = call->app, .store = call->store, .arena = call->arena, .err = CH_ERR_INIT};
    sub.req.method = method;
    sub.req.path = ch_str_c(path);
    sub.req.query = query != NULL ? ch_str_c(query) : CH_STR_NULL;
    sub.req.authorization = ch_str_c(p->bearer);
    memcpy(sub.req.request_id, call->req.request_id, sizeof(sub.req.request_id));
    if (json_body != NULL) {
        sub.req.body = ch_str_c(json_body);
        sub.req.content_type = CH_STR_LIT("application/json");
    }
    const struct ch_route *route = NULL;
    unsigned allowed = 0;
    if (ch_router_match(method, sub.req.path, &sub.req, &route, &allowed) != CH_ROUTE_FOUND)
        return ch_err_set(&call->err, CH_E_NOTFOUND, "no such page");
    sub.route = route;
    ch_buf_init(&sub.res.body, CH_HTTP_MAX_RESPONSE);
    int rc = ch_auth_request(&sub);
    if (rc == CH_OK)
        rc = route->handler(&sub);
    if (rc == CH_OK)
        rc = ch_buf_status(&sub.res.body, "API answer", &sub.err);
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(&sub.res.body), ch_buf_len(&sub.res.body), NULL,
                           "API answer", ret, &sub.err);
    if (rc != CH_OK) {
        if (call->store != NULL && ch_store_in_tx(call->store))
            ch_store_rollback(call->store);
        call->err = sub.err;
        if (call->err.rc == CH_OK)
            ch_err_set(&call->err, rc, "%s", ch_rc_str(rc));
    }
    ch_buf_release(&sub.res.body);
    return rc;
}

int web__api_items(struct page *p, const char *path, const char *query, cJSON **ret)
{
    cJSON *doc = NULL;
    int rc = web__api(p, CH_HTTP_GET, path, query, NULL, &doc);
    if (rc != CH_OK)
        return rc;
    cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(doc, "items");
    cJSON_Delete(doc);
    if (!cJSON_IsArray(items)) {
        cJSON_Delete(items);
        return ch_err_set(&p->call->err, CH_E_INTERNAL, "%s: answer without items", path);
    }
    *ret = items;
    return CH_OK;
}

const char *web__text(struct page *p, const cJSON *row, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(int64_t)d && d > -9e15 && d < 9e15)
            return ch_arena_printf(p->call->arena, "%lld", (long long)(int64_t)d);
        return ch_arena_printf(p->call->arena, "%.4g", d);
    }
    return "";
}
