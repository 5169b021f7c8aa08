/* SPDX-License-Identifier: Apache-2.0
 *
 * The OpenAPI document (src/http/openapi.json, embedded) and the route
 * table describe the same operations: every route's method and path
 * template is in the document with the route's name as operationId, its
 * roles as x-roles and no security when public; every operation of the
 * document is a route. Also checks the table's own invariants.
 */
#include "testutil.h"

#include <string.h>

#include "core/json.h"
#include "http/metrics.h"
#include "http/openapi.h"
#include "http/router.h"
#include "identity/identity.h"

static const struct {
    unsigned bit;
    const char *key;
} methods[] = {{CH_HTTP_GET, "get"},        {CH_HTTP_POST, "post"},     {CH_HTTP_PUT, "put"},
               {CH_HTTP_PATCH, "patch"},    {CH_HTTP_DELETE, "delete"}, {CH_HTTP_HEAD, "head"},
               {CH_HTTP_OPTIONS, "options"}};

static cJSON *load(void)
{
    struct ch_err err = CH_ERR_INIT;
    cJSON *doc = NULL;
    if (ch_json_parse(ch_openapi_json, ch_openapi_json_len, NULL, "openapi.json", &doc, &err) !=
        CH_OK)
        fail_msg("openapi.json does not parse: %s", err.msg);
    return doc;
}

static unsigned roles_of(const cJSON *arr)
{
    unsigned roles = 0;
    for (const cJSON *r = arr != NULL ? arr->child : NULL; r != NULL; r = r->next) {
        unsigned one = 0;
        struct ch_err err = CH_ERR_INIT;
        if (!cJSON_IsString(r) || ch_roles_parse(r->valuestring, &one, &err) != CH_OK)
            fail_msg("x-roles holds an unknown role");
        roles |= one;
    }
    return roles;
}

static void test_every_route_is_documented(void **state)
{
    cJSON *doc = load();
    assert_string_equal(ch_json_str(doc, "openapi"), "3.1.0");
    const cJSON *paths = ch_json_obj(doc, "paths");
    assert_non_null(paths);
    for (const struct ch_route *r = ch_routes; r->pattern != NULL; r++) {
        const cJSON *item = ch_json_obj(paths, r->pattern);
        if (item == NULL)
            fail_msg("route %s (%s) is missing from openapi.json", r->name, r->pattern);
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
            if (!(r->methods & methods[i].bit))
                continue;
            const cJSON *op = ch_json_obj(item, methods[i].key);
            if (op == NULL)
                fail_msg("%s %s is missing from openapi.json", methods[i].key, r->pattern);
            const char *opid = ch_json_str(op, "operationId");
            if (opid == NULL || strcmp(opid, r->name) != 0)
                fail_msg("%s %s: operationId '%s', route name '%s'", methods[i].key, r->pattern,
                         opid ? opid : "(none)", r->name);
            const cJSON *sec = ch_json_arr(op, "security");
            assert_non_null(sec);
            bool is_public = (r->flags & CH_ROUTE_PUBLIC) != 0;
            if (is_public != (cJSON_GetArraySize(sec) == 0))
                fail_msg("%s %s: security does not match the route's public flag", methods[i].key,
                         r->pattern);
            if (roles_of(ch_json_arr(op, "x-roles")) != (is_public ? 0u : r->roles))
                fail_msg("%s %s: x-roles differ from the route's roles", methods[i].key,
                         r->pattern);
        }
    }
    cJSON_Delete(doc);
}

static void test_every_documented_operation_is_a_route(void **state)
{
    cJSON *doc = load();
    const cJSON *paths = ch_json_obj(doc, "paths");
    int n_ops = 0;
    for (const cJSON *item = paths->child; item != NULL; item = item->next) {
        for (const cJSON *op = item->child; op != NULL; op = op->next) {
            unsigned bit = 0;
            for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
                if (strcmp(op->string, methods[i].key) == 0)
                    bit = methods[i].bit;
            }
            if (bit == 0)
                continue; /* parameters, summary, ... */
            n_ops++;
            bool found = false;
            for (const struct ch_route *r = ch_routes; r->pattern != NULL; r++) {
                if (strcmp(r->pattern, item->string) == 0 && (r->methods & bit))
                    found = true;
            }
            if (!found)
                fail_msg("openapi.json documents %s %s, which no route serves", op->string,
                         item->string);
        }
    }
    assert_true(n_ops > 0);
    cJSON_Delete(doc);
}

static void test_route_table_invariants(void **state)
{
    unsigned n = ch_routes_count();
    assert_true(n > 0);
    assert_true(n < CH_METRICS_MAX_ROUTES);
    for (unsigned i = 0; i < n; i++) {
        const struct ch_route *r = &ch_routes[i];
        assert_non_null(r->name);
        assert_non_null(r->handler);
        assert_true(r->methods != 0);
        assert_true((r->roles & ~CH_ROLE_ALL) == 0);
        /* in-loop routes cannot reach the database, so they cannot check a token */
        if (r->flags & CH_ROUTE_INLOOP)
            assert_true(r->flags & CH_ROUTE_PUBLIC);
        if (!(r->flags & CH_ROUTE_PUBLIC) && r->roles == 0)
            fail_msg("route %s is unreachable (no roles, not public)", r->name);
        for (unsigned k = i + 1; k < n; k++) {
            if (strcmp(r->name, ch_routes[k].name) == 0)
                fail_msg("route name %s is used twice", r->name);
            if (strcmp(r->pattern, ch_routes[k].pattern) == 0 &&
                (r->methods & ch_routes[k].methods))
                fail_msg("%s is routed twice for one method", r->pattern);
        }
    }
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_is_documented),
        cmocka_unit_test(test_every_documented_operation_is_a_route),
        cmocka_unit_test(test_route_table_invariants),
    };
    return cmocka_run_group_tests_name("http_openapi", tests, NULL, NULL);
}
