/* SPDX-License-Identifier: Apache-2.0
 * Organisations, users and tokens: validation, uniqueness, tokens shown once
 * and stored hashed, scoping, expiry, revocation and constant answers for
 * every kind of bad token. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "identity/identity.h"

struct fx {
    struct ch_store *s;
    char *dir;
    int64_t org, user;
};

static int setup(void **state)
{
    struct fx *f = ch_calloc(1, sizeof(*f));
    f->s = ch_test_store(&f->dir);
    struct ch_err err = CH_ERR_INIT;
    struct ch_org_new o = {.slug = "water-co", .name = "Water Co", .category = CH_ORG_CI,
                           .sector = "water"};
    if (ch_org_create(f->s, &o, 100, &f->org, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_user_new u = {.org_id = f->org, .name = "op@water", .roles =
                            CH_ROLE_OPERATOR | CH_ROLE_ANALYST, .clearance = CH_CLEAR_CUI};
    if (ch_user_create(f->s, &u, 100, &f->user, &err) != CH_OK)
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f);
    return 0;
}

static void test_org_validation(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id;
    struct ch_org_new dup = {.slug = "water-co", .name = "x", .category = CH_ORG_FCEB};
    assert_int_equal(ch_org_create(f->s, &dup, 1, &id, &err), CH_E_CONFLICT);
    assert_true(ch_test_contains(err.msg, "already exists"));
    struct ch_org_new nosector = {.slug = "grid", .name = "Grid", .category = CH_ORG_CI};
    ch_err_clear(&err);
    assert_int_equal(ch_org_create(f->s, &nosector, 1, &id, &err), CH_E_INVALID);
    assert_string_equal(err.field, "sector");
    struct ch_org_new badslug = {.slug = "Bad Slug", .name = "x", .category = CH_ORG_DOD};
    ch_err_clear(&err);
    assert_int_equal(ch_org_create(f->s, &badslug, 1, &id, &err), CH_E_INVALID);
    struct ch_org_new sql = {.slug = "x'; drop table orgs; --", .name = "x",
                             .category = CH_ORG_DOD};
    ch_err_clear(&err);
    assert_int_equal(ch_org_create(f->s, &sql, 1, &id, &err), CH_E_INVALID);
    enum ch_org_category c;
    ch_err_clear(&err);
    assert_int_equal(ch_org_category_parse(ch_str_c("fceb"), &c, &err), CH_OK);
    assert_int_equal(c, CH_ORG_FCEB);
    assert_int_equal(ch_org_category_parse(ch_str_c("nope"), &c, &err), CH_E_INVALID);
    assert_true(ch_ci_sector_valid("healthcare-and-public-health"));
    assert_false(ch_ci_sector_valid("space"));
    unsigned roles;
    ch_err_clear(&err);
    assert_int_equal(ch_roles_parse("admin, evaluator", &roles, &err), CH_OK);
    assert_int_equal(roles, CH_ROLE_ADMIN | CH_ROLE_EVALUATOR);
    assert_int_equal(ch_roles_parse("admin,root", &roles, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "'root'"));
    char out[64];
    ch_roles_format(CH_ROLE_OPERATOR | CH_ROLE_ADMIN, out, sizeof(out));
    assert_string_equal(out, "admin,operator");
}

static void test_token_roundtrip_and_hash_only(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_token_new t = {.user_id = f->user, .name = "ci", .expires_at = -1};
    int64_t id;
    char tok[CH_TOKEN_MAX];
    assert_int_equal(ch_token_create(f->s, &t, 200, &id, tok, &err), CH_OK);
    assert_true(strncmp(tok, "chk_", 4) == 0);
    assert_int_equal(strlen(tok), 4 + 12 + 1 + 43);
    struct ch_principal p;
    assert_int_equal(ch_token_authenticate(f->s, ch_str_c(tok), 300, &p, &err), CH_OK);
    assert_true(p.user_id == f->user);
    assert_true(p.org_id == f->org);
    assert_int_equal(p.roles, CH_ROLE_OPERATOR | CH_ROLE_ANALYST);
    assert_int_equal(p.clearance, CH_CLEAR_CUI);
    assert_int_equal(p.org_category, CH_ORG_CI);
    assert_string_equal(p.org_slug, "water-co");
    /* the secret appears nowhere in the database */
    const char *secret = tok + 17;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_prepare(f->s, "SELECT hash, lookup FROM tokens", &st, &err), CH_OK);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    assert_null(strstr(ch_stmt_cstr(st, 0), secret));
    assert_int_equal(strlen(ch_stmt_cstr(st, 0)), 64);
    ch_stmt_free(st);
}

static void test_bad_tokens_all_look_alike(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_token_new t = {.user_id = f->user, .expires_at = 1000};
    int64_t id;
    char tok[CH_TOKEN_MAX];
    assert_int_equal(ch_token_create(f->s, &t, 200, &id, tok, &err), CH_OK);
    char wrong[CH_TOKEN_MAX];
    snprintf(wrong, sizeof(wrong), "%s", tok);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == 'A' ? 'B' : 'A';
    const char *bad[] = {wrong, "", "chk_", "Bearer x", "chk_abcdefghijkl_secret", tok};
    int64_t when[] = {300, 300, 300, 300, 300, 1000 /* expired at 1000 */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ch_principal p;
        ch_err_clear(&err);
        assert_int_equal(ch_token_authenticate(f->s, ch_str_c(bad[i]), when[i], &p, &err),
                         CH_E_AUTH);
        assert_string_equal(err.msg, "invalid or expired token");
    }
    ch_err_clear(&err);
    struct ch_principal p;
    assert_int_equal(ch_token_authenticate(f->s, ch_str_c(tok), 999, &p, &err), CH_OK);
    assert_int_equal(ch_token_revoke(f->s, id, 500, &err), CH_OK);
    assert_int_equal(ch_token_authenticate(f->s, ch_str_c(tok), 600, &p, &err), CH_E_AUTH);
    ch_err_clear(&err);
    assert_int_equal(ch_token_revoke(f->s, id, 500, &err), CH_E_NOTFOUND);
}

static void test_token_scope_narrows_roles(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_token_new t = {.user_id = f->user, .scope = CH_ROLE_OPERATOR | CH_ROLE_ADMIN,
                             .expires_at = -1};
    int64_t id;
    char tok[CH_TOKEN_MAX];
    assert_int_equal(ch_token_create(f->s, &t, 200, &id, tok, &err), CH_OK);
    struct ch_principal p;
    assert_int_equal(ch_token_authenticate(f->s, ch_str_c(tok), 300, &p, &err), CH_OK);
    /* scope cannot add admin: roles = user's ∩ scope */
    assert_int_equal(p.roles, CH_ROLE_OPERATOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_org_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_roundtrip_and_hash_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_tokens_all_look_alike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_scope_narrows_roles, setup, teardown),
    };
    return cmocka_run_group_tests_name("identity", tests, NULL, NULL);
}
