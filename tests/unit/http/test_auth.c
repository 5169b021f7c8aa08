/* SPDX-License-Identifier: Apache-2.0
 *
 * Unit tests of the HTTP layer's pure parts: bearer parsing, tenancy,
 * clearance and need-to-know, opaque cursors, strict query decoding, the
 * per-token rate limiter and the error map.
 */
#include "testutil.h"

#include <string.h>

#include "core/arena.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/errmap.h"
#include "http/ratelimit.h"
#include "http/router.h"

static void test_bearer_parse(void **state)
{
    struct ch_str t;
    assert_true(ch_auth_bearer(ch_str_c("Bearer chk_abc_def"), &t));
    assert_true(ch_str_eq_c(t, "chk_abc_def"));
    assert_true(ch_auth_bearer(ch_str_c("bearer   tok  "), &t));
    assert_true(ch_str_eq_c(t, "tok"));
    assert_false(ch_auth_bearer(ch_str_c("Basic dXNlcjpwYXNz"), &t));
    assert_false(ch_auth_bearer(ch_str_c("Bearer"), &t));
    assert_false(ch_auth_bearer(ch_str_c("Bearer "), &t));
    assert_false(ch_auth_bearer(ch_str_c("Bearertok"), &t));
    assert_false(ch_auth_bearer(ch_str_c("Bearer a b"), &t));
    assert_false(ch_auth_bearer(ch_str_c("Bearer a\x01"), &t));
    assert_false(ch_auth_bearer(CH_STR_NULL, &t));
    char big[400];
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "Bearer ", 7);
    big[sizeof(big) - 1] = '\0';
    assert_false(ch_auth_bearer(ch_str_c(big), &t));
}

static const struct ch_principal operator_p = {
    .user_id = 10, .org_id = 2, .roles = CH_ROLE_OPERATOR, .clearance = CH_CLEAR_CUI};
static const struct ch_principal analyst_p = {
    .user_id = 11, .org_id = 1, .roles = CH_ROLE_ANALYST, .clearance = CH_CLEAR_UNCLASSIFIED};

static void test_tenancy(void **state)
{
    assert_true(ch_auth_sees_org(&operator_p, 2));
    assert_false(ch_auth_sees_org(&operator_p, 3));
    assert_true(ch_auth_sees_org(&analyst_p, 3));
    assert_true(ch_auth_is_wide(&analyst_p));
    assert_false(ch_auth_is_wide(&operator_p));
    struct ch_principal nobody = {0};
    assert_false(ch_auth_sees_org(&nobody, 0));
}

static void test_clearance_and_need_to_know(void **state)
{
    assert_true(ch_auth_cleared(&operator_p, CH_CLEAR_UNCLASSIFIED));
    assert_true(ch_auth_cleared(&operator_p, CH_CLEAR_CUI));
    assert_false(ch_auth_cleared(&operator_p, CH_CLEAR_SECRET));
    const struct ch_acl_entry by_user[] = {{.user_id = 10}};
    const struct ch_acl_entry by_org[] = {{.org_id = 7}, {.org_id = 2}};
    const struct ch_acl_entry other[] = {{.user_id = 99}, {.org_id = 98}};
    assert_true(ch_auth_need_to_know(&operator_p, NULL, 0));
    assert_true(ch_auth_need_to_know(&operator_p, by_user, 1));
    assert_true(ch_auth_need_to_know(&operator_p, by_org, 2));
    assert_false(ch_auth_need_to_know(&operator_p, other, 2));
    /* wide roles bypass tenancy, never clearance or need-to-know */
    struct ch_object_access o = {.org_id = 5, .level = CH_CLEAR_UNCLASSIFIED};
    assert_true(ch_auth_may_see(&analyst_p, &o));
    assert_false(ch_auth_may_see(&operator_p, &o));
    o.level = CH_CLEAR_CUI;
    assert_false(ch_auth_may_see(&analyst_p, &o));
    o = (struct ch_object_access){.org_id = 0, .level = CH_CLEAR_CUI, .acl = other, .n_acl = 2};
    assert_false(ch_auth_may_see(&operator_p, &o));
    o.acl = by_org;
    assert_true(ch_auth_may_see(&operator_p, &o));
}

static void test_cursor_round_trip_and_tampering(void **state)
{
    char c[CH_API_CURSOR_MAX];
    int64_t v = 0;
    const int64_t values[] = {1, 42, 1000000007, INT64_MAX};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        ch_api_cursor_encode(values[i], c);
        assert_true(ch_api_cursor_decode(c, &v));
        assert_true(v == values[i]);
        for (const char *p = c; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_');
    }
    const char *bad[] = {"",     "42",   "YzE6",       "YzE6MA",     "YzE6LTE",
                         "eDox", "!!!!", "YzE6MTIzYQ", "' OR 1=1--", "../../etc/passwd"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ch_api_cursor_decode(bad[i], &v))
            fail_msg("cursor '%s' was accepted", bad[i]);
    }
}

static const struct ch_route dummy_route = {.methods = CH_HTTP_GET, .pattern = "/x", .name = "x"};

static void call_init(struct ch_http_call *call, const char *query)
{
    memset(call, 0, sizeof(*call));
    call->arena = ch_arena_new(1 << 20);
    call->route = &dummy_route;
    call->req.query = query != NULL ? ch_str_c(query) : CH_STR_NULL;
}

static void test_query_decoding_is_strict(void **state)
{
    static const char *const allowed[] = {"name", "limit", "cursor", NULL};
    struct ch_http_call call;
    const char *v = NULL;

    call_init(&call, "name=a%20b+c&limit=5");
    assert_int_equal(ch_api_check_query(&call, allowed), CH_OK);
    assert_int_equal(ch_api_query(&call, "name", &v), CH_OK);
    assert_string_equal(v, "a b c");
    assert_int_equal(ch_api_query(&call, "cursor", &v), CH_OK);
    assert_null(v);
    ch_arena_free(call.arena);

    const char *bad_values[] = {"name=%",      "name=%4",     "name=%zz",   "name=%00",
                                "name=%ff%fe", "name=%c3%28", "name=a%0ab", "name=%7f"};
    for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
        call_init(&call, bad_values[i]);
        if (ch_api_query(&call, "name", &v) != CH_E_INVALID)
            fail_msg("'%s' was accepted", bad_values[i]);
        assert_string_equal(call.err.field, "name");
        ch_arena_free(call.arena);
    }
    const char *bad_sets[] = {"nope=1", "name=a&name=b", "limit=1&drop%20table=1", "NAME=x"};
    for (size_t i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
        call_init(&call, bad_sets[i]);
        if (ch_api_check_query(&call, allowed) != CH_E_INVALID)
            fail_msg("'%s' was accepted", bad_sets[i]);
        ch_arena_free(call.arena);
    }
    /* traversal and SQL metacharacters are just text: accepted, bound as parameters later */
    call_init(&call, "name=..%2F..%2Fetc%2Fpasswd%27%3B--");
    assert_int_equal(ch_api_query(&call, "name", &v), CH_OK);
    assert_string_equal(v, "../../etc/passwd';--");
    ch_arena_free(call.arena);
}

static void test_page_limits(void **state)
{
    struct ch_http_call call;
    struct ch_api_page p;
    call_init(&call, "limit=999999999");
    assert_int_equal(ch_api_page(&call, 50, 500, &p), CH_OK);
    assert_int_equal(p.limit, 500);
    ch_arena_free(call.arena);
    const char *bad[] = {"limit=0", "limit=-1",  "limit=1e3", "limit=99999999999999999999",
                         "limit=",  "cursor=abc"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        call_init(&call, bad[i]);
        if (ch_api_page(&call, 50, 500, &p) != CH_E_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
        ch_arena_free(call.arena);
    }
    call_init(&call, NULL);
    assert_int_equal(ch_api_page(&call, 50, 500, &p), CH_OK);
    assert_int_equal(p.limit, 50);
    assert_true(p.after == 0);
    ch_arena_free(call.arena);
}

static void test_json_content_types(void **state)
{
    assert_true(ch_api_is_json_type(ch_str_c("application/json")));
    assert_true(ch_api_is_json_type(ch_str_c("Application/JSON; charset=utf-8")));
    assert_false(ch_api_is_json_type(ch_str_c("application/jsonp")));
    assert_false(ch_api_is_json_type(ch_str_c("text/plain")));
    assert_false(ch_api_is_json_type(ch_str_c("application/x-www-form-urlencoded")));
    assert_false(ch_api_is_json_type(CH_STR_NULL));
}

static void test_ratelimit_bucket(void **state)
{
    struct ch_ratelimit *rl = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_ratelimit_new(2, 3, &rl, &err), CH_OK);
    unsigned retry = 0;
    int64_t t = 1000000000;
    for (int i = 0; i < 3; i++)
        assert_true(ch_ratelimit_take(rl, 7, t, &retry));
    assert_false(ch_ratelimit_take(rl, 7, t, &retry));
    assert_int_equal(retry, 1);
    /* another token has its own bucket */
    assert_true(ch_ratelimit_take(rl, 8, t, &retry));
    /* half a second refills one request at 2/s */
    assert_true(ch_ratelimit_take(rl, 7, t + 500000000, &retry));
    assert_false(ch_ratelimit_take(rl, 7, t + 500000000, &retry));
    /* many keys: the table recycles slots and never refuses a fresh key */
    for (int64_t k = 100; k < 100 + 3 * (int64_t)CH_RATELIMIT_SLOTS; k++)
        assert_true(ch_ratelimit_take(rl, k, t, &retry));
    ch_ratelimit_free(rl);
    assert_int_equal(ch_ratelimit_new(0, 1, &rl, &err), CH_E_INVALID);
}

static void test_ratelimit_parse(void **state)
{
    double r = 0, b = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_ratelimit_parse("10", &r, &b, &err), CH_OK);
    assert_true(r == 10 && b == 20);
    assert_int_equal(ch_ratelimit_parse("10:3", &r, &b, &err), CH_OK);
    assert_true(r == 10 && b == 3);
    const char *bad[] = {"", "0", "x", "10:", "10:0", "-1", "1:2:3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ch_err_clear(&err);
        if (ch_ratelimit_parse(bad[i], &r, &b, &err) != CH_E_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
    }
}

static void test_errmap(void **state)
{
    assert_int_equal(ch_http_status_for(CH_E_AUTH), 401);
    assert_int_equal(ch_http_status_for(CH_E_PERM), 403);
    assert_int_equal(ch_http_status_for(CH_E_NOTFOUND), 404);
    assert_int_equal(ch_http_status_for(CH_E_CONFLICT), 409);
    assert_int_equal(ch_http_status_for(CH_E_LIMIT), 413);
    assert_int_equal(ch_http_status_for(CH_E_UNSUPPORTED), 415);
    assert_int_equal(ch_http_status_for(CH_HTTP_E_UNPROCESSABLE), 422);
    assert_int_equal(ch_http_status_for(CH_E_RATE), 429);
    assert_int_equal(ch_http_status_for(CH_E_DB), 500);
    struct ch_buf b;
    ch_buf_init(&b, 4096);
    ch_http_error_body(&b, CH_E_DB, "SELECT secret FROM tokens", NULL);
    assert_false(ch_test_contains(ch_buf_cstr(&b), "SELECT"));
    ch_http_error_body(&b, CH_HTTP_E_UNPROCESSABLE, "bad role", "roles");
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"field\":\"roles\""));
    ch_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearer_parse),
        cmocka_unit_test(test_tenancy),
        cmocka_unit_test(test_clearance_and_need_to_know),
        cmocka_unit_test(test_cursor_round_trip_and_tampering),
        cmocka_unit_test(test_query_decoding_is_strict),
        cmocka_unit_test(test_page_limits),
        cmocka_unit_test(test_json_content_types),
        cmocka_unit_test(test_ratelimit_bucket),
        cmocka_unit_test(test_ratelimit_parse),
        cmocka_unit_test(test_errmap),
    };
    return cmocka_run_group_tests_name("http_auth", tests, NULL, NULL);
}
