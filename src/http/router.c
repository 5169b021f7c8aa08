/* SPDX-License-Identifier: Apache-2.0
 *
 * router.c: segment-wise matching over the route table (see router.h). The
 * table is small (tens of routes), so a linear scan with early rejection by
 * segment count is faster than building a trie.
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

static bool next_segment(struct ch_str *rest, struct ch_str *ret)
{
    if (rest->len == 0 || rest->ptr[0] != '/')
        return false;
    rest->ptr++;
    rest->len--;
    long slash = ch_str_find_char(*rest, '/');
    size_t n = slash < 0 ? rest->len : (size_t)slash;
    *ret = ch_str_make(rest->ptr, n);
    rest->ptr += n;
    rest->len -= n;
    return true;
}

/* Matches path against pattern, capturing parameters into req. */
static bool match(const char *pattern, struct ch_str path, struct ch_http_request *req)
{
    struct ch_str pat = ch_str_c(pattern);
    struct ch_str p = path;
    unsigned n_params = 0;
    for (;;) {
        struct ch_str ps, seg;
        bool more_pat = next_segment(&pat, &ps);
        bool more_path = next_segment(&p, &seg);
        if (!more_pat && !more_path)
            break;
        if (more_pat != more_path)
            return false;
        if (ps.len >= 2 && ps.ptr[0] == '{' && ps.ptr[ps.len - 1] == '}') {
            if (seg.len == 0 || n_params >= CH_HTTP_MAX_PARAMS)
                return false;
            if (req != NULL)
                req->params[n_params] = seg;
            n_params++;
        } else if (!ch_str_eq(ps, seg)) {
            return false;
        }
    }
    if (p.len != 0)
        return false;
    if (req != NULL)
        req->n_params = n_params;
    return true;
}

enum ch_route_match ch_router_match(enum ch_http_method method, struct ch_str path,
                                    struct ch_http_request *req, const struct ch_route **ret,
                                    unsigned *ret_allowed)
{
    return ch_router_match_in(ch_routes, method, path, req, ret, ret_allowed);
}

enum ch_route_match ch_router_match_in(const struct ch_route *table, enum ch_http_method method,
                                       struct ch_str path, struct ch_http_request *req,
                                       const struct ch_route **ret, unsigned *ret_allowed)
{
    unsigned allowed = 0;
    const struct ch_route *found = NULL;
    for (const struct ch_route *r = table; r->pattern != NULL; r++) {
        if (!match(r->pattern, path, NULL))
            continue;
        allowed |= r->methods;
        /* HEAD is served by GET routes */
        unsigned want = method == CH_HTTP_HEAD ? (CH_HTTP_HEAD | CH_HTTP_GET) : method;
        if (found == NULL && (r->methods & want))
            found = r;
    }
    *ret_allowed = allowed;
    if (found != NULL) {
        match(found->pattern, path, req);
        *ret = found;
        return CH_ROUTE_FOUND;
    }
    return allowed != 0 ? CH_ROUTE_NO_METHOD : CH_ROUTE_NO_PATH;
}

unsigned ch_routes_count(void)
{
    unsigned n = 0;
    while (ch_routes[n].pattern != NULL)
        n++;
    return n;
}

void ch_router_methods_str(unsigned methods, char *out, size_t out_size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{CH_HTTP_GET, "GET"},        {CH_HTTP_HEAD, "HEAD"},   {CH_HTTP_POST, "POST"},
                 {CH_HTTP_PUT, "PUT"},        {CH_HTTP_PATCH, "PATCH"}, {CH_HTTP_DELETE, "DELETE"},
                 {CH_HTTP_OPTIONS, "OPTIONS"}};
    size_t n = 0;
    out[0] = '\0';
    if (methods & CH_HTTP_GET)
        methods |= CH_HTTP_HEAD;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(methods & names[i].bit))
            continue;
        int k = snprintf(out + n, out_size - n, "%s%s", n ? ", " : "", names[i].name);
        if (k < 0 || (size_t)k >= out_size - n)
            break;
        n += (size_t)k;
    }
}
