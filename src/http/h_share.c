/* SPDX-License-Identifier: Apache-2.0
 *
 * h_share.c: webhook endpoints over HTTP (see h_share.h). The handlers are
 * thin: share/webhook.h owns the rows, the secret box, the deliveries and
 * the audit entries; this file adds the caller's organisation scope and the
 * refusal of internal destinations.
 */
#include "http/h_share.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "coord/netaddr.h"
#include "core/buf.h"
#include "core/json.h"
#include "http/api.h"
#include "share/webhook.h"

/* Deliveries per page of /deliveries. */
#define DELIVERIES_DEFAULT_LIMIT 50u
#define DELIVERIES_MAX_LIMIT 500u
/* Longest events list text: every event name once, comma-separated. */
#define EVENTS_TEXT_MAX 128

/* Networks a webhook may not reach without the opt-in (RFC 6890 special-purpose blocks). */
static const char *const private_nets[] = {
    "0.0.0.0/8",      "10.0.0.0/8",    "100.64.0.0/10",  "127.0.0.0/8",
    "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "::/128",
    "::1/128",        "fc00::/7",      "fe80::/10",
};

static bool ip_private(const struct ch_ipaddr *ip)
{
    struct ch_ipaddr a = ch_ip_is_v4mapped(ip) ? ch_ip_unmap(ip) : *ip;
    for (size_t i = 0; i < sizeof(private_nets) / sizeof(private_nets[0]); i++) {
        struct ch_prefix p;
        struct ch_err ignore = CH_ERR_INIT;
        if (ch_prefix_parse(ch_str_c(private_nets[i]), &p, &ignore) == CH_OK &&
            ch_prefix_contains_ip(&p, &a))
            return true;
    }
    return false;
}

/* The host of an http(s) URL: the bracketed IPv6 literal without brackets, or up to the port. */
static struct ch_str url_host(struct ch_str u)
{
    size_t skip = ch_str_starts_with(u, "https://") ? 8 : ch_str_starts_with(u, "http://") ? 7 : 0;
    struct ch_str rest = ch_str_sub(u, skip, u.len - skip);
    size_t end = 0;
    while (end < rest.len && rest.ptr[end] != '/' && rest.ptr[end] != '?' && rest.ptr[end] != '#')
        end++;
    struct ch_str auth = ch_str_sub(rest, 0, end);
    if (auth.len > 0 && auth.ptr[0] == '[') {
        long close = ch_str_find_char(auth, ']');
        return close > 0 ? ch_str_sub(auth, 1, (size_t)close - 1) : auth;
    }
    long colon = ch_str_find_char(auth, ':');
    return colon >= 0 ? ch_str_sub(auth, 0, (size_t)colon) : auth;
}

/*
 * A last label of digits or 0x...: an address in a form resolvers accept
 * and we do not parse ("2130706433", "0x7f.1"): not a DNS name, refused.
 */
static bool numeric_name(struct ch_str host)
{
    size_t start = host.len;
    while (start > 0 && host.ptr[start - 1] != '.')
        start--;
    struct ch_str last = ch_str_sub(host, start, host.len - start);
    if (last.len == 0)
        return false;
    if (last.len > 2 && last.ptr[0] == '0' && (last.ptr[1] == 'x' || last.ptr[1] == 'X'))
        return true;
    for (size_t i = 0; i < last.len; i++)
        if (last.ptr[i] < '0' || last.ptr[i] > '9')
            return false;
    return true;
}

bool ch_h_webhook_url_private(const char *url)
{
    struct ch_str host = url_host(ch_str_c(url));
    if (host.len == 0)
        return true;
    struct ch_ipaddr ip;
    struct ch_err ignore = CH_ERR_INIT;
    if (ch_ip_parse(host, &ip, &ignore) == CH_OK)
        return ip_private(&ip);
    if (numeric_name(host))
        return true;
    char lower[CH_WEBHOOK_URL_MAX + 1];
    size_t n = host.len < sizeof(lower) - 1 ? host.len : sizeof(lower) - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] =
            (char)(host.ptr[i] >= 'A' && host.ptr[i] <= 'Z' ? host.ptr[i] + 32 : host.ptr[i]);
    lower[n] = '\0';
    struct ch_str l = ch_str_make(lower, n);
    return ch_str_eq_c(l, "localhost") || ch_str_ends_with(l, ".localhost");
}

/* Endpoints the caller manages: an admin any organisation's (0), others their own. */
static int64_t scope_of(const struct ch_http_call *call)
{
    return (call->principal.roles & CH_ROLE_ADMIN) != 0 ? 0 : call->principal.org_id;
}

static void actor_of(const struct ch_http_call *call, char *out, size_t size)
{
    snprintf(out, size, "user:%s", call->principal.user_name);
}

int ch_h_webhooks_list(struct ch_http_call *call)
{
    int rc = ch_api_check_query(call, NULL);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    rc = ch_webhook_list_json(call->store, scope_of(call), &w, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_api_next_cursor(&w, 0);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

/* ["notice", "kev_addition"] (or ["all"]) → event bits; 422 naming `events` otherwise. */
static int parse_events(struct ch_http_call *call, const cJSON *doc, unsigned *ret)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(doc, "events", true, "", &arr, &call->err);
    if (rc != CH_OK)
        return ch_api_unprocessable(call, rc);
    char text[EVENTS_TEXT_MAX];
    size_t used = 0;
    text[0] = '\0';
    for (const cJSON *e = arr->child; e != NULL; e = e->next) {
        if (!cJSON_IsString(e))
            return ch_api_fail_422(call, "events", "events are names (notice, kev_addition, ...)");
        int n =
            snprintf(text + used, sizeof(text) - used, "%s%s", used > 0 ? "," : "", e->valuestring);
        if (n < 0 || (size_t)n >= sizeof(text) - used)
            return ch_api_fail_422(call, "events", "too many events");
        used += (size_t)n;
    }
    struct ch_err perr = CH_ERR_INIT;
    if (used == 0 || ch_webhook_events_parse(text, ret, &perr) != CH_OK)
        return ch_api_fail_422(call, "events", "%s",
                               used == 0 ? "name at least one event" : perr.msg);
    return CH_OK;
}

/* The organisation of a new endpoint: the caller's, or any for an admin naming one. */
static int parse_org(struct ch_http_call *call, const cJSON *doc, int64_t *ret)
{
    const char *slug = NULL;
    int rc = ch_api_body_str(call, doc, "org", false, &slug);
    if (rc != CH_OK)
        return rc;
    if (slug == NULL) {
        *ret = call->principal.org_id;
        return CH_OK;
    }
    if (scope_of(call) != 0 && strcmp(slug, call->principal.org_slug) != 0)
        return ch_api_fail_422(call, "org", "no organisation '%.64s'", slug);
    return ch_api_body_org(call, doc, "org", ret);
}

static int check_url(struct ch_http_call *call, const char *url)
{
    struct ch_err uerr = CH_ERR_INIT;
    if (ch_webhook_url_check(url, &uerr) != CH_OK)
        return ch_api_fail_422(call, "url", "%s", uerr.msg);
    if (!call->app->webhook_allow_private && ch_h_webhook_url_private(url))
        return ch_api_fail_422(call, "url",
                               "URL names a loopback, private or link-local destination, which "
                               "this server does not allow");
    return CH_OK;
}

int ch_h_webhooks_create(struct ch_http_call *call)
{
    static const char *const allowed[] = {"url", "events", "org", NULL};
    if (!call->app->have_keys)
        return ch_err_set(&call->err, CH_E_UNAVAILABLE, "webhooks need the server's keys");
    cJSON *doc = NULL;
    int rc = ch_api_json_body(call, allowed, &doc);
    if (rc != CH_OK)
        return rc;
    struct ch_webhook_new n = {0};
    char actor[160];
    actor_of(call, actor, sizeof(actor));
    n.actor = actor;
    rc = ch_api_body_str(call, doc, "url", true, &n.url);
    if (rc == CH_OK)
        rc = check_url(call, n.url);
    if (rc == CH_OK)
        rc = parse_events(call, doc, &n.events);
    if (rc == CH_OK)
        rc = parse_org(call, doc, &n.org_id);
    int64_t id = 0;
    char secret[CH_WEBHOOK_SECRET_MAX];
    if (rc == CH_OK)
        rc = ch_api_unprocessable(call, ch_webhook_add(call->store, &call->app->keys, &n,
                                                       ch_clock_now(&call->app->clock), &id, secret,
                                                       &call->err));
    cJSON_Delete(doc);
    if (rc != CH_OK)
        return rc;
    /* the endpoint as listed, plus the secret: the only time it leaves the store */
    struct ch_jw w;
    ch_api_respond(call, 201, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "webhook");
    rc = ch_webhook_get_json(call->store, id, 0, &w, &call->err);
    ch_jw_kstr(&w, "secret", secret);
    ch_jw_obj_close(&w);
    sodium_memzero(secret, sizeof(secret));
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

int ch_h_webhooks_get(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "webhook", &id);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    rc = ch_webhook_get_json(call->store, id, scope_of(call), &w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_jw_finish(&w, &call->err);
}

int ch_h_webhooks_delete(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "webhook", &id);
    if (rc != CH_OK)
        return rc;
    char actor[160];
    actor_of(call, actor, sizeof(actor));
    rc = ch_webhook_remove(call->store, id, scope_of(call), actor, ch_clock_now(&call->app->clock),
                           &call->err);
    if (rc != CH_OK)
        return rc;
    call->res.status = 204;
    return CH_OK;
}

static int set_paused(struct ch_http_call *call, bool paused)
{
    static const char *const allowed[] = {"reason", NULL};
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "webhook", &id);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_api_json_body_opt(call, allowed, &doc);
    const char *reason = NULL;
    if (rc == CH_OK)
        rc = ch_api_body_str(call, doc, "reason", false, &reason);
    char actor[160];
    actor_of(call, actor, sizeof(actor));
    if (rc == CH_OK)
        rc = ch_webhook_set_paused(call->store, id, scope_of(call), paused,
                                   paused && reason == NULL ? "paused over the API" : reason, actor,
                                   ch_clock_now(&call->app->clock), &call->err);
    cJSON_Delete(doc);
    if (rc != CH_OK)
        return rc;
    return ch_h_webhooks_get(call);
}

int ch_h_webhooks_pause(struct ch_http_call *call)
{
    return set_paused(call, true);
}

int ch_h_webhooks_resume(struct ch_http_call *call)
{
    return set_paused(call, false);
}

/* The test ping is a change (a delivery row and an attempt): audited like the others. */
static int audit_test(struct ch_http_call *call, int64_t id, int64_t delivery)
{
    char object[48];
    char details[64];
    snprintf(object, sizeof(object), "webhook:%lld", (long long)id);
    snprintf(details, sizeof(details), "{\"delivery\":%lld}", (long long)delivery);
    int rc = ch_store_begin_write(call->store, &call->err);
    if (rc != CH_OK)
        return rc;
    rc = ch_api_audit(call, "webhook.test", object, details);
    if (rc != CH_OK) {
        ch_store_rollback(call->store);
        return rc;
    }
    return ch_store_commit(call->store, &call->err);
}

int ch_h_webhooks_test(struct ch_http_call *call)
{
    int64_t id = 0;
    int rc = ch_api_param_id(call, 0, "webhook", &id);
    if (rc != CH_OK)
        return rc;
    if (!call->app->have_keys)
        return ch_err_set(&call->err, CH_E_UNAVAILABLE, "webhooks need the server's keys");
    int64_t now = ch_clock_now(&call->app->clock);
    int64_t delivery = 0;
    rc = ch_webhook_ping(call->store, id, scope_of(call), now, &delivery, &call->err);
    if (rc == CH_OK)
        rc = audit_test(call, id, delivery);
    /* sent now, on this worker thread, under the delivery timeouts (10 s at most) */
    struct ch_webhook_deliver_options o = {.only_delivery = delivery};
    struct ch_webhook_deliver_stats st = {0};
    if (rc == CH_OK)
        rc = ch_webhook_deliver_due(call->store, &call->app->keys, &o, now, &st, &call->err);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "webhook", id);
    ch_jw_kint(&w, "delivery", delivery);
    ch_jw_kbool(&w, "delivered", st.delivered > 0);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}

int ch_h_webhooks_deliveries(struct ch_http_call *call)
{
    static const char *const params[] = {"limit", NULL};
    int64_t id = 0;
    struct ch_api_page page;
    int rc = ch_api_param_id(call, 0, "webhook", &id);
    if (rc == CH_OK)
        rc = ch_api_check_query(call, params);
    if (rc == CH_OK)
        rc = ch_api_page(call, DELIVERIES_DEFAULT_LIMIT, DELIVERIES_MAX_LIMIT, &page);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    ch_api_respond(call, 200, &w);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    rc = ch_webhook_deliveries_json(call->store, id, scope_of(call), page.limit, &w, &call->err);
    if (rc != CH_OK)
        return rc;
    ch_api_next_cursor(&w, 0);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, &call->err);
}
