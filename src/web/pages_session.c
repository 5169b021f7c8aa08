/* SPDX-License-Identifier: Apache-2.0
 *
 * pages_session.c: signing in and out, the root redirect and the static
 * files. Signing in checks the token with ch_token_authenticate(), as the
 * API does for a bearer token, then seals it into the session cookie
 * (session.h); the sign-in form is protected against login CSRF by a
 * pre-session cookie.
 */
#include <string.h>

#include "http/api.h"
#include "identity/identity.h"
#include "web/assets.h"
#include "web/html.h"
#include "web/internal.h"

/* Cookie attributes: see session.h for why there is no Secure. */
#define COOKIE_ATTRS "; Path=/; HttpOnly; SameSite=Strict"

int ch_web_root(struct ch_http_call *call)
{
    return web__redirect(call, "/ui/");
}

int ch_web_static(struct ch_http_call *call)
{
    const char *name = NULL;
    int rc = ch_api_param(call, 0, &name);
    if (rc != CH_OK)
        return rc;
    const struct ch_web_asset *a = ch_web_asset_find(ch_str_c(name));
    if (a == NULL || ch_str_ends_with(ch_str_c(name), ".html"))
        return ch_err_set(&call->err, CH_E_NOTFOUND, "no such file");
    call->res.content_type = ch_web_asset_type(a->name);
    web__security_headers(call);
    ch_buf_append(&call->res.body, a->data, a->len);
    return ch_buf_status(&call->res.body, "static file", &call->err);
}

/* Only our own pages are places to return to: a path under /ui/, nothing else. */
static bool next_ok(const char *next)
{
    if (next == NULL || strncmp(next, "/ui/", 4) != 0 || strlen(next) > 1024)
        return false;
    for (const char *c = next; *c != '\0'; c++) {
        if (*c == '\\' || (unsigned char)*c < 0x21 || (c[0] == '/' && c[1] == '/'))
            return false;
    }
    return true;
}

static int signin_page(struct page *p, struct ch_str pre, const char *next, const char *error)
{
    struct ch_buf *b = &p->main;
    char csrf[CH_CSRF_LEN + 1];
    ch_session_csrf(&p->web->keys, pre, csrf);
    ch_buf_append_c(b, "<section class=\"signin\"><p>Sign in with an API token. Your "
                       "administrator creates one with <code>clearinghouse token create --user "
                       "NAME</code>; <code>make demo</code> prints one per role.</p>");
    if (error != NULL) {
        ch_buf_append_c(b, "<p class=\"error\" role=\"alert\" id=\"signin-error\">");
        ch_html_esc(b, error);
        ch_buf_append_c(b, "</p>");
    }
    ch_buf_appendf(b,
                   "<form method=\"post\" action=\"/ui/signin\"><input type=\"hidden\" "
                   "name=\"csrf\" value=\"%s\">",
                   csrf);
    if (next_ok(next)) {
        ch_buf_append_c(b, "<input type=\"hidden\" name=\"next\" value=\"");
        ch_html_esc(b, next);
        ch_buf_append_c(b, "\">");
    }
    ch_buf_appendf(b,
                   "<label for=\"token\">Token</label> <input id=\"token\" name=\"token\" "
                   "type=\"password\" autocomplete=\"off\" required%s> "
                   "<button type=\"submit\">Sign in</button></form></section>",
                   error != NULL ? " aria-describedby=\"signin-error\" aria-invalid=\"true\"" : "");
    return web__finish(p);
}

int ch_web_signin_form(struct ch_http_call *call)
{
    struct page p;
    web__begin_public(call, &p, "Sign in");
    if (p.web == NULL)
        return web__fail(&p, CH_E_UNAVAILABLE, "the dashboard is not enabled");
    struct ch_str pre = CH_STR_NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_cookie_find(call->req.cookie, CH_SESSION_PRE_COOKIE, &pre, &err) != CH_OK ||
        pre.len == 0 || pre.len > CH_SESSION_COOKIE_MAX) {
        char fresh[CH_SESSION_COOKIE_MAX + 1];
        ch_session_pre_new(fresh);
        char *v = ch_arena_printf(call->arena, "%s", fresh);
        int rc = v == NULL
                     ? CH_E_NOMEM
                     : ch_http_add_header(call, "set-cookie",
                                          ch_arena_printf(call->arena, "%s=%s%s",
                                                          CH_SESSION_PRE_COOKIE, v, COOKIE_ATTRS));
        if (rc != CH_OK)
            return web__fail(&p, rc, "out of memory");
        pre = ch_str_c(v);
    }
    return signin_page(&p, pre, web__q(&p, "next"), NULL);
}

int ch_web_signin(struct ch_http_call *call)
{
    struct page p;
    web__begin_public(call, &p, "Sign in");
    if (p.web == NULL)
        return web__fail(&p, CH_E_UNAVAILABLE, "the dashboard is not enabled");
    struct ch_err err = CH_ERR_INIT;
    struct ch_form form;
    struct ch_str pre = CH_STR_NULL;
    if (ch_form_parse(call->arena, call->req.body, &form, &err) != CH_OK)
        return web__fail(&p, err.rc, err.msg);
    if (ch_cookie_find(call->req.cookie, CH_SESSION_PRE_COOKIE, &pre, &err) != CH_OK ||
        !ch_session_csrf_ok(&p.web->keys, pre, ch_form_get(&form, "csrf")))
        return web__fail(&p, CH_E_PERM,
                         "this form has expired or did not come from this site; reload the page");
    const char *token = ch_form_get(&form, "token");
    const char *next = ch_form_get(&form, "next");
    struct ch_principal who;
    int64_t now = ch_clock_now(&call->app->clock);
    char sealed[CH_SESSION_COOKIE_MAX + 1];
    int rc = token == NULL ? CH_E_AUTH : CH_OK;
    if (rc == CH_OK)
        rc = ch_token_authenticate(call->store, ch_str_trim(ch_str_c(token)), now, &who, &err);
    if (rc == CH_OK)
        rc = ch_session_seal(&p.web->keys, ch_str_trim(ch_str_c(token)), now, sealed, &err);
    if (rc == CH_E_AUTH || rc == CH_E_INVALID || rc == CH_E_NOTFOUND) {
        call->res.status = 401;
        return signin_page(&p, pre, next, "That token is not valid (unknown, revoked or expired).");
    }
    if (rc != CH_OK)
        return web__fail(&p, rc, err.msg);
    web__end(&p);
    rc = ch_http_add_header(call, "set-cookie",
                            ch_arena_printf(call->arena, "%s=%s; Max-Age=%d%s", CH_SESSION_COOKIE,
                                            sealed, CH_SESSION_MAX_AGE_S, COOKIE_ATTRS));
    if (rc == CH_OK)
        rc = web__redirect(call, next_ok(next) ? next : "/ui/");
    return rc;
}

int ch_web_signout(struct ch_http_call *call)
{
    struct page p;
    if (!web__begin(call, &p, "Sign out"))
        return CH_OK;
    struct ch_err err = CH_ERR_INIT;
    struct ch_form form;
    if (ch_form_parse(call->arena, call->req.body, &form, &err) != CH_OK)
        return web__fail(&p, err.rc, err.msg);
    if (!web__csrf_ok(&p, &form))
        return CH_OK;
    web__end(&p);
    int rc = ch_http_add_header(call, "set-cookie", CH_SESSION_COOKIE "=; Max-Age=0" COOKIE_ATTRS);
    if (rc == CH_OK)
        rc = web__redirect(call, "/ui/signin");
    return rc;
}
