/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: which measure of a designation policy a run's score chart is
 * drawn against (ch_eval_runs_measure): the measure counting the run's
 * suite, else the lowest threshold for reference, else none. Visibility of
 * runs is tested over the dashboard (tests/integration/test_web.c), with
 * real runs. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "eval/runs.h"

static const char *const two_measures =
    "{\"format\":\"clearinghouse-designation-policy/1\",\"id\":\"t\",\"version\":1,"
    "\"confidence\":0.95,\"method\":\"clopper_pearson\",\"multiplicity\":\"holm\","
    "\"measures\":[{\"id\":\"high\",\"suites\":[\"a\",\"b\"],\"threshold\":0.5,\"alert\":0.2},"
    "{\"id\":\"low\",\"suites\":[\"c\"],\"threshold\":0.25,\"alert\":0.05}]}";

static void test_runs_measure_counting_the_suite_else_lowest(void **state)
{
    struct ch_policy *p = ch_calloc(1, sizeof(*p));
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_policy_parse(two_measures, strlen(two_measures), "t", p, &err), CH_OK);
    bool counts = false;
    const struct ch_policy_measure *m = ch_eval_runs_measure(p, "b", &counts);
    assert_non_null(m);
    assert_string_equal(m->id, "high");
    assert_true(counts);
    m = ch_eval_runs_measure(p, "c", &counts);
    assert_string_equal(m->id, "low");
    assert_true(counts);
    /* a suite no measure counts: the lowest threshold, marked as reference only */
    m = ch_eval_runs_measure(p, "example", &counts);
    assert_string_equal(m->id, "low");
    assert_false(counts);
    p->n_measures = 0;
    counts = true;
    assert_null(ch_eval_runs_measure(p, "a", &counts));
    assert_false(counts);
    ch_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_measure_counting_the_suite_else_lowest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
