/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: models and pre-release windows. 30 days accepted, 31 refused;
 * the state machine and who may move it; access ends at ends_at by the
 * clock alone; notices 7 days and 1 day before the end, once each; runs
 * tied to windows; tenancy of models (a developer sees only its own). */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "eval/models.h"
#include "eval/windows.h"
#include "store/store.h"

#define T0 1780000000
#define DAY CH_DAY_SECONDS

struct fx {
    char *dir;
    struct ch_store *s;
    struct ch_keys keys;
    int64_t acme;
    int64_t beta;
    int64_t model;
    struct ch_eval_actor dev;
    struct ch_eval_actor other_dev;
    struct ch_eval_actor eval;
};

static int setup(void **state)
{
    struct fx *f = ch_calloc(1, sizeof(*f));
    struct ch_err err = CH_ERR_INIT;
    if (ch_crypto_init(&err) != CH_OK)
        fail_msg("%s", err.msg);
    f->s = ch_test_store(&f->dir);
    char kd[1024];
    snprintf(kd, sizeof(kd), "%s/keys", f->dir);
    bool created = false;
    if (ch_keys_create(kd, &created, &err) != CH_OK || ch_keys_load(kd, &f->keys, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_org_new a = {.slug = "acme-ai", .name = "Acme AI", .category = CH_ORG_DEVELOPER};
    struct ch_org_new b = {.slug = "beta-ai", .name = "Beta AI", .category = CH_ORG_DEVELOPER};
    if (ch_org_create(f->s, &a, T0, &f->acme, &err) != CH_OK ||
        ch_org_create(f->s, &b, T0, &f->beta, &err) != CH_OK)
        fail_msg("%s", err.msg);
    f->dev = (struct ch_eval_actor){.user_id = 1,
                                    .org_id = f->acme,
                                    .org_category = CH_ORG_DEVELOPER,
                                    .roles = CH_ROLE_DEVELOPER,
                                    .name = "user:dev"};
    f->other_dev = (struct ch_eval_actor){.user_id = 2,
                                          .org_id = f->beta,
                                          .org_category = CH_ORG_DEVELOPER,
                                          .roles = CH_ROLE_DEVELOPER,
                                          .name = "user:beta"};
    f->eval = (struct ch_eval_actor){.user_id = 3,
                                     .org_category = CH_ORG_CLEARINGHOUSE,
                                     .roles = CH_ROLE_EVALUATOR,
                                     .clearance = CH_CLEAR_SECRET,
                                     .name = "user:eve"};
    struct ch_models_new m = {.org_id = f->acme,
                              .name = "frontier",
                              .version = "2026-06",
                              .endpoint = "http://127.0.0.1:9/v1",
                              .credential = "sk-test",
                              .prerelease = true,
                              .planned_release_at = T0 + 60 * DAY,
                              .classification = CH_CLEAR_CUI};
    if (ch_models_add(f->s, &f->keys, &f->dev, &m, T0, &f->model, &err) != CH_OK)
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

static void test_models_tenancy(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_models_model m = {0};
    assert_int_equal(ch_models_find(f->s, &f->dev, "frontier@2026-06", &m, &err), CH_OK);
    assert_string_equal(m.org_slug, "acme-ai");
    assert_true(m.has_credential);
    ch_models_release(&m);
    assert_int_equal(ch_models_find(f->s, &f->eval, "frontier", &m, &err), CH_OK);
    ch_models_release(&m);
    ch_err_clear(&err);
    assert_int_equal(ch_models_find(f->s, &f->other_dev, "frontier", &m, &err), CH_E_NOTFOUND);
    /* An evaluator below the model's classification does not see it either. */
    struct ch_eval_actor low = f->eval;
    low.clearance = CH_CLEAR_UNCLASSIFIED;
    ch_err_clear(&err);
    assert_int_equal(ch_models_find(f->s, &low, "frontier", &m, &err), CH_E_NOTFOUND);
    /* Listing: the other developer's list is empty; credentials are never listed. */
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_models_list_json(f->s, &f->other_dev, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_string_equal(b.ptr, "[]");
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_models_list_json(f->s, &f->dev, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(b.ptr, "\"frontier\""));
    assert_false(ch_test_contains(b.ptr, "sk-test"));
    ch_buf_release(&b);
    /* A developer cannot register a model for another organisation. */
    struct ch_models_new n = {.org_id = f->acme,
                              .name = "x",
                              .version = "1",
                              .endpoint = "http://127.0.0.1:9/v1",
                              .planned_release_at = -1};
    int64_t id = 0;
    ch_err_clear(&err);
    assert_int_equal(ch_models_add(f->s, &f->keys, &f->other_dev, &n, T0, &id, &err), CH_E_PERM);
    n.endpoint = "file:///etc/passwd";
    n.org_id = f->beta;
    ch_err_clear(&err);
    assert_int_equal(ch_models_add(f->s, &f->keys, &f->other_dev, &n, T0, &id, &err), CH_E_INVALID);
}

static void test_window_30_days_ok_31_refused(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    assert_int_equal(ch_window_offer(f->s, &f->dev, "frontier", T0, T0 + 31 * DAY, T0, &id, &err),
                     CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "at most 30 days"));
    ch_err_clear(&err);
    assert_int_equal(
        ch_window_offer(f->s, &f->dev, "frontier", T0, T0 + 30 * DAY + 1, T0, &id, &err),
        CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_window_offer(f->s, &f->dev, "frontier", T0, T0 + 30 * DAY, T0, &id, &err),
                     CH_OK);
    assert_true(id > 0);
    /* Overlapping second window refused; another developer cannot offer this model. */
    int64_t id2 = 0;
    ch_err_clear(&err);
    assert_int_equal(
        ch_window_offer(f->s, &f->dev, "frontier", T0 + DAY, T0 + 2 * DAY, T0, &id2, &err),
        CH_E_CONFLICT);
    ch_err_clear(&err);
    assert_int_equal(ch_window_offer(f->s, &f->other_dev, "frontier", T0 + 40 * DAY, T0 + 41 * DAY,
                                     T0, &id2, &err),
                     CH_E_NOTFOUND);
}

static void test_window_lifecycle_and_access_by_clock(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    int64_t end = T0 + 10 * DAY;
    assert_int_equal(ch_window_offer(f->s, &f->dev, "frontier", T0, end, T0, &id, &err), CH_OK);
    /* The developer cannot open its own window; an evaluator can, from its start. */
    assert_int_equal(ch_window_transition(f->s, &f->dev, id, CH_WINDOW_OPEN, T0, &err), CH_E_PERM);
    ch_err_clear(&err);
    assert_int_equal(ch_window_transition(f->s, &f->eval, id, CH_WINDOW_OPEN, T0 - 1, &err),
                     CH_E_CONFLICT);
    ch_err_clear(&err);
    assert_int_equal(ch_window_transition(f->s, &f->eval, id, CH_WINDOW_OPEN, T0, &err), CH_OK);
    int64_t active = 0;
    assert_int_equal(ch_window_active(f->s, f->model, end - 1, &active, &err), CH_OK);
    assert_int_equal(active, id);
    /* At ends_at, and one second after, access has stopped by itself: state is still "open". */
    assert_int_equal(ch_window_active(f->s, f->model, end, &active, &err), CH_OK);
    assert_int_equal(active, 0);
    assert_int_equal(ch_window_active(f->s, f->model, end + 1, &active, &err), CH_OK);
    assert_int_equal(active, 0);
    struct ch_window w;
    assert_int_equal(ch_window_get(f->s, id, &w, &err), CH_OK);
    assert_int_equal(w.state, CH_WINDOW_OPEN);
    assert_true(ch_window_is_active(&w, end - 1));
    assert_false(ch_window_is_active(&w, end + 1));
    /* Runs are tied to the window only while it is active. */
    assert_int_equal(ch_window_attach_run(f->s, &f->eval, id, 77, T0 + DAY, &err), CH_OK);
    ch_err_clear(&err);
    assert_int_equal(ch_window_attach_run(f->s, &f->eval, id, 78, end + 1, &err), CH_E_PERM);
    /* deliver → close; no way back; release by the developer clears pre-release. */
    ch_err_clear(&err);
    assert_int_equal(
        ch_window_transition(f->s, &f->eval, id, CH_WINDOW_REPORT_DELIVERED, T0 + 5 * DAY, &err),
        CH_OK);
    assert_int_equal(ch_window_transition(f->s, &f->dev, id, CH_WINDOW_CLOSED, T0 + 6 * DAY, &err),
                     CH_OK);
    ch_err_clear(&err);
    assert_int_equal(ch_window_transition(f->s, &f->eval, id, CH_WINDOW_OPEN, T0 + 6 * DAY, &err),
                     CH_E_CONFLICT);
    ch_err_clear(&err);
    assert_int_equal(
        ch_window_transition(f->s, &f->dev, id, CH_WINDOW_RELEASED, T0 + 7 * DAY, &err), CH_OK);
    struct ch_models_model m = {0};
    assert_int_equal(ch_models_get(f->s, f->model, &m, &err), CH_OK);
    assert_false(m.prerelease);
    ch_models_release(&m);
}

static int64_t count_events(struct ch_store *s, const char *kind)
{
    int64_t n = 0;
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_query_int(s, "SELECT COUNT(*) FROM eval_window_events WHERE kind = ?", kind, 0, &n,
                           &err) != CH_OK)
        fail_msg("%s", err.msg);
    return n;
}

static void test_window_notices_7d_1d_once(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    int64_t end = T0 + 20 * DAY;
    assert_int_equal(ch_window_offer(f->s, &f->dev, "frontier", T0, end, T0, &id, &err), CH_OK);
    assert_int_equal(ch_window_transition(f->s, &f->eval, id, CH_WINDOW_OPEN, T0, &err), CH_OK);
    assert_int_equal(ch_window_tick(f->s, end - 7 * DAY - 1, &err), 0);
    assert_int_equal(count_events(f->s, "ends_in_7d"), 0);
    assert_int_equal(ch_window_tick(f->s, end - 7 * DAY, &err), 1);
    assert_int_equal(ch_window_tick(f->s, end - 7 * DAY + 5, &err), 0); /* idempotent */
    assert_int_equal(count_events(f->s, "ends_in_7d"), 1);
    assert_int_equal(count_events(f->s, "ends_in_1d"), 0);
    assert_int_equal(ch_window_tick(f->s, end - DAY, &err), 1);
    assert_int_equal(count_events(f->s, "ends_in_1d"), 1);
    assert_int_equal(ch_window_tick(f->s, end, &err), 1);
    assert_int_equal(count_events(f->s, "ended"), 1);
    assert_int_equal(ch_window_tick(f->s, end + DAY, &err), 0);
    /* The developer reads them; the other developer does not. */
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_window_events_json(f->s, &f->dev, 0, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(b.ptr, "ends_in_7d"));
    assert_true(ch_test_contains(b.ptr, "ends_in_1d"));
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_window_events_json(f->s, &f->other_dev, 0, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_string_equal(b.ptr, "[]");
    ch_buf_release(&b);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_models_tenancy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_30_days_ok_31_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_lifecycle_and_access_by_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_notices_7d_1d_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
