/* SPDX-License-Identifier: Apache-2.0
 *
 * auth.c: authentication, route authorisation and object visibility (see
 * auth.h). The answer for an invisible object is the same 404 as for a
 * missing one, with the same message, so a caller cannot tell them apart.
 */
#include "http/auth.h"

#include "http/router.h"

bool ch_auth_bearer(struct ch_str header, struct ch_str *ret_token)
{
    static const char scheme[] = "bearer";
    const size_t n = sizeof(scheme) - 1;
    if (header.ptr == NULL || header.len <= n + 1 || header.len > CH_AUTH_MAX_HEADER)
        return false;
    if (!ch_str_case_eq_c(ch_str_make(header.ptr, n), scheme) || header.ptr[n] != ' ')
        return false;
    struct ch_str t = ch_str_trim(ch_str_make(header.ptr + n, header.len - n));
    if (t.len == 0)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.ptr[i];
        if (c <= ' ' || c >= 0x7f)
            return false;
    }
    *ret_token = t;
    return true;
}

int ch_auth_request(struct ch_http_call *call)
{
    const struct ch_route *r = call->route;
    bool is_public = (r->flags & CH_ROUTE_PUBLIC) && !call->app->private_mode;
    struct ch_str header = call->req.authorization;
    call->authenticated = false;
    if (header.ptr == NULL) {
        if (is_public)
            return CH_OK;
        return ch_err_set(&call->err, CH_E_AUTH,
                          "authentication required: send "
                          "'Authorization: Bearer <token>'");
    }
    struct ch_str token;
    if (!ch_auth_bearer(header, &token))
        return ch_err_set(&call->err, CH_E_AUTH, "invalid or expired token");
    struct ch_principal p;
    int rc =
        ch_token_authenticate(call->store, token, ch_clock_now(&call->app->clock), &p, &call->err);
    if (rc != CH_OK)
        return rc;
    call->principal = p;
    call->authenticated = true;
    /* public routes (also under --private, once authenticated) need no particular role */
    if (r->flags & CH_ROUTE_PUBLIC)
        return CH_OK;
    if ((p.roles & r->roles) == 0)
        return ch_err_set(&call->err, CH_E_PERM, "your roles do not allow %s",
                          r->name != NULL ? r->name : "this request");
    return CH_OK;
}

bool ch_auth_is_wide(const struct ch_principal *p)
{
    return (p->roles & CH_ROLE_WIDE) != 0;
}

bool ch_auth_sees_org(const struct ch_principal *p, int64_t org_id)
{
    return ch_auth_is_wide(p) || (p->org_id != 0 && p->org_id == org_id);
}

bool ch_auth_cleared(const struct ch_principal *p, enum ch_clearance level)
{
    return (int)p->clearance >= (int)level;
}

bool ch_auth_need_to_know(const struct ch_principal *p, const struct ch_acl_entry *acl,
                          size_t n_acl)
{
    if (acl == NULL || n_acl == 0)
        return true;
    for (size_t i = 0; i < n_acl; i++) {
        if (acl[i].user_id != 0 && acl[i].user_id == p->user_id)
            return true;
        if (acl[i].org_id != 0 && acl[i].org_id == p->org_id)
            return true;
    }
    return false;
}

bool ch_auth_may_see(const struct ch_principal *p, const struct ch_object_access *o)
{
    if (o->org_id != 0 && !ch_auth_sees_org(p, o->org_id))
        return false;
    return ch_auth_cleared(p, o->level) && ch_auth_need_to_know(p, o->acl, o->n_acl);
}

int ch_auth_require_visible(struct ch_http_call *call, const struct ch_object_access *o,
                            const char *what, const char *name)
{
    if (call->authenticated && ch_auth_may_see(&call->principal, o))
        return CH_OK;
    return ch_err_set(&call->err, CH_E_NOTFOUND, "no %s '%s'", what, name);
}

int ch_auth_require_org(struct ch_http_call *call, int64_t org_id, const char *what,
                        const char *name)
{
    struct ch_object_access o = {.org_id = org_id, .level = CH_CLEAR_UNCLASSIFIED};
    return ch_auth_require_visible(call, &o, what, name);
}
