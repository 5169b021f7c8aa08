/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: designation policies, decisions on constructed result sets
 * (both sides of each threshold, at the boundary, the undetermined band),
 * and signed decision records (a change of any one byte fails). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/keys.h"
#include "eval/designate.h"

#define T0 1780000000 /* 2026-05-28 */

static const char *const one_measure =
    "{\"format\":\"clearinghouse-designation-policy/1\",\"id\":\"t\",\"version\":3,"
    "\"confidence\":0.95,\"method\":\"clopper_pearson\",\"multiplicity\":\"%s\","
    "\"measures\":[{\"id\":\"m\",\"suites\":[\"s\"],\"threshold\":%s,\"alert\":%s}]}";

static struct ch_policy *policy_one(const char *mult, const char *threshold, const char *alert)
{
    char doc[1024];
    snprintf(doc, sizeof(doc), one_measure, mult, threshold, alert);
    struct ch_policy *p = ch_calloc(1, sizeof(*p));
    struct ch_err err = CH_ERR_INIT;
    if (ch_policy_parse(doc, strlen(doc), "test", p, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return p;
}

static struct ch_designate_decision *decide(const struct ch_policy *p,
                                            const struct ch_designate_counts *c)
{
    struct ch_designate_decision *d = ch_calloc(1, sizeof(*d));
    struct ch_err err = CH_ERR_INIT;
    if (ch_designate_decide(p, c, d, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return d;
}

static void test_policy_default_loads(void **state)
{
    (void)state;
    const char *src = getenv("CH_SOURCE_DIR");
    char path[2048];
    snprintf(path, sizeof(path), "%s/policies/default-v1.json", src != NULL ? src : ".");
    struct ch_policy *p = ch_calloc(1, sizeof(*p));
    struct ch_err err = CH_ERR_INIT;
    if (ch_policy_load(path, p, &err) != CH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(p->id, "default");
    assert_int_equal(p->version, 1);
    assert_int_equal(p->multiplicity, CH_POLICY_HOLM);
    assert_int_equal(p->method, CH_STATS_CLOPPER_PEARSON);
    assert_true(p->n_measures >= 2);
    assert_int_equal(strlen(p->sha256), 64);
    ch_free(p);
}

static void expect_invalid(const char *doc, const char *needle)
{
    struct ch_policy *p = ch_calloc(1, sizeof(*p));
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_policy_parse(doc, strlen(doc), "p.json", p, &err);
    if (rc == CH_OK)
        fail_msg("accepted: %s", doc);
    if (!ch_test_contains(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    ch_free(p);
}

static void test_policy_parse_rejects(void **state)
{
    (void)state;
    expect_invalid("{\"format\":\"x\"}", "format");
    expect_invalid("{\"format\":\"clearinghouse-designation-policy/1\",\"id\":\"a\",\"version\":1,"
                   "\"confidence\":0.95,\"measures\":[],\"extra\":1}",
                   "extra");
    expect_invalid("{\"format\":\"clearinghouse-designation-policy/1\",\"id\":\"a\",\"version\":1,"
                   "\"confidence\":0.95,\"measures\":[]}",
                   "at least one");
    expect_invalid("{\"format\":\"clearinghouse-designation-policy/1\",\"id\":\"a\",\"version\":1,"
                   "\"confidence\":0.95,\"measures\":[{\"id\":\"m\",\"suites\":[\"s\"],"
                   "\"threshold\":0.2,\"alert\":0.3}]}",
                   "alert");
    expect_invalid("{\"format\":\"clearinghouse-designation-policy/1\",\"id\":\"a\",\"version\":1,"
                   "\"confidence\":0.95,\"method\":\"wilson\",\"multiplicity\":\"holm\","
                   "\"measures\":[{\"id\":\"m\",\"suites\":[\"s\"],\"threshold\":0.5,"
                   "\"alert\":0.1}]}",
                   "clopper_pearson");
    expect_invalid("{\"format\":\"clearinghouse-designation-policy/1\",\"id\":\"a\",\"version\":1,"
                   "\"confidence\":0.95,\"measures\":[{\"id\":\"m\",\"suites\":[\"s\"],"
                   "\"threshold\":0.5,\"alert\":0.1},{\"id\":\"m\",\"suites\":[\"s\"],"
                   "\"threshold\":0.5,\"alert\":0.1}]}",
                   "twice");
}

/* 40/50 vs threshold 0.5: CP 95 % lower bound 0.6628 > 0.5: designated. */
static void test_decide_above_threshold_designates(void **state)
{
    (void)state;
    const char *mults[] = {"bonferroni", "holm"};
    for (size_t i = 0; i < 2; i++) {
        struct ch_policy *p = policy_one(mults[i], "0.5", "0.1");
        struct ch_designate_counts c = {.successes = 40, .trials = 50};
        struct ch_designate_decision *d = decide(p, &c);
        assert_int_equal(d->outcome, CH_DESIGNATE_DESIGNATED);
        assert_true(d->results[0].shown);
        assert_true(d->results[0].lower > 0.5);
        ch_free(d);
        ch_free(p);
    }
}

/* 0/60 vs alert 0.1: CP 95 % upper bound 0.0596 < 0.1: cleared. */
static void test_decide_below_alert_clears(void **state)
{
    (void)state;
    const char *mults[] = {"bonferroni", "holm"};
    for (size_t i = 0; i < 2; i++) {
        struct ch_policy *p = policy_one(mults[i], "0.5", "0.1");
        struct ch_designate_counts c = {.successes = 0, .trials = 60};
        struct ch_designate_decision *d = decide(p, &c);
        assert_int_equal(d->outcome, CH_DESIGNATE_CLEARED);
        assert_true(d->results[0].ruled_out);
        assert_true(d->results[0].upper < 0.1);
        ch_free(d);
        ch_free(p);
    }
}

/* Just on the other side: 0/30 has upper bound 0.1157 > 0.1: not cleared. */
static void test_decide_undetermined_reports_samples(void **state)
{
    (void)state;
    struct ch_policy *p = policy_one("holm", "0.5", "0.1");
    struct ch_designate_counts c = {.successes = 0, .trials = 30};
    struct ch_designate_decision *d = decide(p, &c);
    assert_int_equal(d->outcome, CH_DESIGNATE_UNDETERMINED);
    assert_false(d->results[0].ruled_out);
    assert_false(d->results[0].shown);
    /* 36 failures in a row are needed (docs/internals/statistics.md): 6 more. */
    assert_int_equal(d->results[0].more_to_rule_out, 6);
    assert_int_equal(d->to_clear, 6);
    /* At a 0 % observed rate no number of samples shows the capability. */
    assert_int_equal(d->results[0].more_to_show, -1);
    ch_free(d);

    /* 10/20 sits between alert and threshold: undetermined both ways. */
    c = (struct ch_designate_counts){.successes = 10, .trials = 20};
    d = decide(p, &c);
    assert_int_equal(d->outcome, CH_DESIGNATE_UNDETERMINED);
    ch_free(d);

    /* No data at all: undetermined, best case 6 successes in a row to show 0.5. */
    c = (struct ch_designate_counts){0};
    d = decide(p, &c);
    assert_int_equal(d->outcome, CH_DESIGNATE_UNDETERMINED);
    assert_int_equal(d->results[0].more_to_show, 6);
    ch_free(d);
    ch_free(p);
}

/* A lower bound exactly equal to the threshold does not clear it. */
static void test_decide_boundary_is_strict(void **state)
{
    (void)state;
    struct ch_interval ci;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_stats_clopper_pearson(30, 40, 0.95, &ci, &err), CH_OK);
    char thr[64];
    char alert[64];
    snprintf(thr, sizeof(thr), "%.17g", ci.lo);
    snprintf(alert, sizeof(alert), "%.17g", ci.lo / 2);
    struct ch_policy *p = policy_one("bonferroni", thr, alert);
    assert_true(p->measures[0].threshold == ci.lo);
    struct ch_designate_counts c = {.successes = 30, .trials = 40};
    struct ch_designate_decision *d = decide(p, &c);
    assert_true(d->results[0].lower == p->measures[0].threshold);
    assert_false(d->results[0].shown);
    assert_int_equal(d->outcome, CH_DESIGNATE_UNDETERMINED);
    ch_free(d);
    ch_free(p);
    /* One ulp below the bound: designated. */
    snprintf(thr, sizeof(thr), "%.17g", nextafter(ci.lo, 0));
    p = policy_one("bonferroni", thr, alert);
    d = decide(p, &c);
    assert_int_equal(d->outcome, CH_DESIGNATE_DESIGNATED);
    ch_free(d);
    ch_free(p);
    /* Same for the upper bound against the alert level. */
    assert_int_equal(ch_stats_clopper_pearson(1, 80, 0.95, &ci, &err), CH_OK);
    snprintf(alert, sizeof(alert), "%.17g", ci.hi);
    p = policy_one("bonferroni", "0.9", alert);
    c = (struct ch_designate_counts){.successes = 1, .trials = 80};
    d = decide(p, &c);
    assert_false(d->results[0].ruled_out);
    assert_int_equal(d->outcome, CH_DESIGNATE_UNDETERMINED);
    ch_free(d);
    ch_free(p);
    snprintf(alert, sizeof(alert), "%.17g", nextafter(ci.hi, 1));
    p = policy_one("bonferroni", "0.9", alert);
    d = decide(p, &c);
    assert_int_equal(d->outcome, CH_DESIGNATE_CLEARED);
    ch_free(d);
    ch_free(p);
}

static const char *const three_measures =
    "{\"format\":\"clearinghouse-designation-policy/1\",\"id\":\"t3\",\"version\":1,"
    "\"confidence\":0.95,\"method\":\"clopper_pearson\",\"multiplicity\":\"%s\","
    "\"measures\":[{\"id\":\"a\",\"suites\":[\"s\"],\"threshold\":0.5,\"alert\":0.1},"
    "{\"id\":\"b\",\"suites\":[\"s\"],\"threshold\":0.5,\"alert\":0.1},"
    "{\"id\":\"c\",\"suites\":[\"s\"],\"threshold\":0.5,\"alert\":0.1}]}";

/*
 * The family-wise split matters: 24/32 has a 95 % lower bound of 0.566 (> 0.5)
 * alone, but 0.510 at Bonferroni's 98.33 % (still > 0.5), and 22/32 has
 * 0.500 alone (< 0.5 by a hair) ... use a case where one measure alone would
 * designate at 95 % but not with three measures.
 */
static void test_decide_multiplicity_split(void **state)
{
    (void)state;
    /* 21/30: CP 95 % lower bound = 0.5060 (> 0.5); at 98.33 % it is 0.4706. */
    struct ch_interval ci;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_stats_clopper_pearson(21, 30, 0.95, &ci, &err), CH_OK);
    assert_true(ci.lo > 0.5);
    assert_int_equal(
        ch_stats_clopper_pearson(21, 30, ch_stats_bonferroni_confidence(0.95, 3), &ci, &err),
        CH_OK);
    assert_true(ci.lo < 0.5);
    struct ch_designate_counts c[3] = {{.successes = 21, .trials = 30},
                                       {.successes = 5, .trials = 30},
                                       {.successes = 5, .trials = 30}};
    char doc[2048];
    const char *mults[] = {"bonferroni", "holm"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(doc, sizeof(doc), three_measures, mults[i]);
        struct ch_policy *p = ch_calloc(1, sizeof(*p));
        if (ch_policy_parse(doc, strlen(doc), "t3", p, &err) != CH_OK)
            fail_msg("%s", err.msg);
        struct ch_designate_decision *d = decide(p, c);
        assert_int_equal(d->outcome, CH_DESIGNATE_UNDETERMINED);
        assert_false(d->results[0].shown);
        assert_true(d->results[0].conf_show > 0.95);
        ch_free(d);
        /* Stronger evidence on one measure designates under either correction. */
        struct ch_designate_counts c2[3] = {c[0], c[1], c[2]};
        c2[0] = (struct ch_designate_counts){.successes = 27, .trials = 30};
        d = decide(p, c2);
        assert_int_equal(d->outcome, CH_DESIGNATE_DESIGNATED);
        ch_free(d);
        /* Clearing needs every measure ruled out. */
        struct ch_designate_counts c3[3] = {{.successes = 0, .trials = 80},
                                            {.successes = 0, .trials = 80},
                                            {.successes = 5, .trials = 30}};
        d = decide(p, c3);
        assert_int_equal(d->outcome, CH_DESIGNATE_UNDETERMINED);
        assert_true(d->results[0].ruled_out);
        assert_false(d->results[2].ruled_out);
        ch_free(d);
        c3[2] = (struct ch_designate_counts){.successes = 0, .trials = 80};
        d = decide(p, c3);
        assert_int_equal(d->outcome, CH_DESIGNATE_CLEARED);
        ch_free(d);
        ch_free(p);
    }
}

static void test_decide_rejects_bad_counts(void **state)
{
    (void)state;
    struct ch_policy *p = policy_one("holm", "0.5", "0.1");
    struct ch_designate_counts c = {.successes = 5, .trials = 4};
    struct ch_designate_decision *d = ch_calloc(1, sizeof(*d));
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_designate_decide(p, &c, d, &err), CH_E_INVALID);
    ch_free(d);
    ch_free(p);
}

/* ---- records ---- */

struct keyfx {
    char *dir;
    struct ch_keys keys;
    struct ch_keys other;
};

static void load_keys(struct keyfx *k)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_crypto_init(&err) != CH_OK)
        fail_msg("%s", err.msg);
    k->dir = ch_test_tmpdir();
    char a[1024];
    char b[1024];
    snprintf(a, sizeof(a), "%s/k1", k->dir);
    snprintf(b, sizeof(b), "%s/k2", k->dir);
    bool created = false;
    if (ch_keys_create(a, &created, &err) != CH_OK || ch_keys_load(a, &k->keys, &err) != CH_OK ||
        ch_keys_create(b, &created, &err) != CH_OK || ch_keys_load(b, &k->other, &err) != CH_OK)
        fail_msg("%s", err.msg);
}

static void build_record(const struct ch_keys *keys, struct ch_buf *out)
{
    struct ch_policy *p = policy_one("holm", "0.5", "0.1");
    struct ch_designate_counts c = {.successes = 40, .trials = 50, .run_ids = {3, 7}, .n_runs = 2};
    struct ch_designate_decision *d = decide(p, &c);
    struct ch_models_model m = {
        .id = 9, .name = "frontier-x", .version = "2026-05", .org_slug = "acme-ai"};
    struct ch_err err = CH_ERR_INIT;
    if (ch_decision_build(keys, &m, p, d, T0, out, &err) != CH_OK)
        fail_msg("%s", err.msg);
    ch_free(d);
    ch_free(p);
}

static void test_record_verifies_and_any_byte_change_fails(void **state)
{
    (void)state;
    struct keyfx k = {0};
    load_keys(&k);
    struct ch_buf rec;
    ch_buf_init(&rec, CH_BUF_DEFAULT_MAX);
    build_record(&k.keys, &rec);
    assert_true(ch_test_contains(rec.ptr, "\"outcome\":\"designated\""));
    assert_true(ch_test_contains(rec.ptr, "\"run_ids\":[3,7]"));
    assert_true(ch_test_contains(rec.ptr, "\"policy\":{"));
    struct ch_decision_check chk;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_decision_verify(rec.ptr, ch_buf_len(&rec), k.keys.sign_pk, &chk, &err),
                     CH_OK);
    if (!chk.ok)
        fail_msg("%s", chk.problem);
    assert_string_equal(chk.outcome, "designated");
    /* Every single-byte change anywhere fails: flip each byte in turn. */
    size_t n = ch_buf_len(&rec);
    char *copy = ch_malloc(n);
    for (size_t i = 0; i < n; i++) {
        memcpy(copy, rec.ptr, n);
        copy[i] = (char)(copy[i] ^ 0x01);
        assert_int_equal(ch_decision_verify(copy, n, k.keys.sign_pk, &chk, &err), CH_OK);
        if (chk.ok)
            fail_msg("a change at byte %zu ('%c') still verifies", i, rec.ptr[i]);
        /* Also a byte replaced by a space (white space is not free either). */
        memcpy(copy, rec.ptr, n);
        if (copy[i] != ' ') {
            copy[i] = ' ';
            assert_int_equal(ch_decision_verify(copy, n, NULL, &chk, &err), CH_OK);
            if (chk.ok)
                fail_msg("a space at byte %zu still verifies", i);
        }
    }
    /* A byte added or removed. */
    assert_int_equal(ch_decision_verify(rec.ptr, n - 1, NULL, &chk, &err), CH_OK);
    assert_false(chk.ok);
    ch_free(copy);
    /* Signed by another key than the one trusted. */
    assert_int_equal(ch_decision_verify(rec.ptr, n, k.other.sign_pk, &chk, &err), CH_OK);
    assert_false(chk.ok);
    assert_true(ch_test_contains(chk.problem, "another key"));
    ch_buf_release(&rec);
    ch_keys_wipe(&k.keys);
    ch_keys_wipe(&k.other);
    ch_test_rmtree(k.dir);
    ch_free(k.dir);
}

/* A record re-signed after an edit with another key does not verify against the server's. */
static void test_record_forgery_with_embedded_key(void **state)
{
    (void)state;
    struct keyfx k = {0};
    load_keys(&k);
    struct ch_buf rec;
    ch_buf_init(&rec, CH_BUF_DEFAULT_MAX);
    build_record(&k.other, &rec);
    struct ch_decision_check chk;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_decision_verify(rec.ptr, ch_buf_len(&rec), NULL, &chk, &err), CH_OK);
    assert_true(chk.ok); /* self-consistent */
    assert_int_equal(ch_decision_verify(rec.ptr, ch_buf_len(&rec), k.keys.sign_pk, &chk, &err),
                     CH_OK);
    assert_false(chk.ok);
    ch_buf_release(&rec);
    ch_test_rmtree(k.dir);
    ch_free(k.dir);
}

static void test_canonical_round_trip(void **state)
{
    (void)state;
    const char *doc =
        "{\"b\":[1,2.5,-0.125,1e-300,true,null],\"a\":{\"z\":\"\\u00e9\\n\",\"y\":3}}";
    cJSON *v = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_json_parse(doc, strlen(doc), NULL, "t", &v, &err), CH_OK);
    struct ch_buf a;
    struct ch_buf b;
    ch_buf_init(&a, 4096);
    ch_buf_init(&b, 4096);
    assert_int_equal(ch_decision_canonical(v, NULL, &a, &err), CH_OK);
    cJSON_Delete(v);
    assert_int_equal(ch_json_parse(a.ptr, ch_buf_len(&a), NULL, "t", &v, &err), CH_OK);
    assert_int_equal(ch_decision_canonical(v, NULL, &b, &err), CH_OK);
    assert_string_equal(a.ptr, b.ptr);
    assert_true(strncmp(a.ptr, "{\"a\":{\"y\":3,\"z\":", 16) == 0);
    cJSON_Delete(v);
    ch_buf_release(&a);
    ch_buf_release(&b);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_default_loads),
        cmocka_unit_test(test_policy_parse_rejects),
        cmocka_unit_test(test_decide_above_threshold_designates),
        cmocka_unit_test(test_decide_below_alert_clears),
        cmocka_unit_test(test_decide_undetermined_reports_samples),
        cmocka_unit_test(test_decide_boundary_is_strict),
        cmocka_unit_test(test_decide_multiplicity_split),
        cmocka_unit_test(test_decide_rejects_bad_counts),
        cmocka_unit_test(test_record_verifies_and_any_byte_change_fails),
        cmocka_unit_test(test_record_forgery_with_embedded_key),
        cmocka_unit_test(test_canonical_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
