/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: evaluation statistics. Reference values were computed
 * independently with Python 3's standard library: Wilson and Wald from
 * statistics.NormalDist; Clopper-Pearson by bisection on exact binomial tail
 * sums (math.comb), not through the beta function; pass@k by
 * 1 - comb(n-c, k) / comb(n, k). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/stats.h"

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            fail_msg("%s = %.12g, want %.12g (tol %g)", #a, a_, b_, (double)(tol));                \
    } while (0)

static struct ch_interval iv(enum ch_stats_method m, uint64_t k, uint64_t n, double conf)
{
    struct ch_interval ci;
    struct ch_err err = CH_ERR_INIT;
    if (ch_stats_interval(m, k, n, conf, &ci, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return ci;
}

static void test_stats_normal_quantile(void **state)
{
    assert_near(ch_stats_normal_quantile(0.975), 1.959963984540054, 1e-13);
    assert_near(ch_stats_normal_quantile(0.5), 0.0, 1e-15);
    assert_near(ch_stats_normal_quantile(1e-10), -6.361340902404, 1e-9);
    assert_near(ch_stats_normal_quantile(0.025), -1.959963984540054, 1e-13);
    assert_true(isinf(ch_stats_normal_quantile(0.0)));
    assert_true(isnan(ch_stats_normal_quantile(1.5)));
}

static void test_stats_betainc(void **state)
{
    /* closed forms: I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1-x)^b */
    for (double x = 0.05; x < 1.0; x += 0.1) {
        assert_near(ch_stats_betainc(1, 1, x), x, 1e-14);
        assert_near(ch_stats_betainc(3, 1, x), pow(x, 3), 1e-14);
        assert_near(ch_stats_betainc(1, 4, x), 1 - pow(1 - x, 4), 1e-14);
        /* symmetry I_x(a, b) = 1 - I_{1-x}(b, a) */
        assert_near(ch_stats_betainc(2.5, 7, x), 1 - ch_stats_betainc(7, 2.5, 1 - x), 1e-14);
    }
    /* binomial identity: P(X >= k) = I_p(k, n-k+1); n=10, p=0.3, k=4 */
    double tail = 0;
    double c = 1;
    for (int i = 0; i <= 10; i++) {
        if (i >= 4)
            tail += c * pow(0.3, i) * pow(0.7, 10 - i);
        c = c * (10 - i) / (i + 1);
    }
    assert_near(ch_stats_betainc(4, 7, 0.3), tail, 1e-14);
    /* the inverse inverts, also far in the tails and for large parameters */
    const double ab[][2] = {{0.5, 0.5}, {1, 30}, {8, 3}, {500, 500}, {1, 1e6}, {2e5, 3}};
    const double ps[] = {1e-12, 0.001, 0.025, 0.5, 0.975, 0.999999};
    for (size_t i = 0; i < CH_ARRAY_SIZE(ab); i++) {
        for (size_t j = 0; j < CH_ARRAY_SIZE(ps); j++) {
            double x = ch_stats_betainc_inv(ab[i][0], ab[i][1], ps[j]);
            double back = ch_stats_betainc(ab[i][0], ab[i][1], x);
            if (fabs(back - ps[j]) > 1e-9 * fmax(ps[j], 1e-3))
                fail_msg("a=%g b=%g p=%g: x=%.17g gives %.17g", ab[i][0], ab[i][1], ps[j], x, back);
        }
    }
    assert_true(isnan(ch_stats_betainc(0, 1, 0.5)));
    assert_true(ch_stats_betainc_inv(2, 3, 0) == 0.0 && ch_stats_betainc_inv(2, 3, 1) == 1.0);
}

static void test_stats_wilson_known_values(void **state)
{
    struct ch_interval ci = iv(CH_STATS_WILSON, 8, 10, 0.95);
    assert_near(ci.lo, 0.4901624715, 1e-9);
    assert_near(ci.hi, 0.9433178485, 1e-9);
    ci = iv(CH_STATS_WILSON, 0, 10, 0.95);
    assert_true(ci.lo == 0.0);
    assert_near(ci.hi, 0.2775327999, 1e-9);
    ci = iv(CH_STATS_WILSON, 10, 10, 0.95);
    assert_near(ci.lo, 0.7224672001, 1e-9);
    assert_true(ci.hi == 1.0);
    ci = iv(CH_STATS_WILSON, 50, 100, 0.99);
    assert_near(ci.lo, 0.3752796250, 1e-9);
    assert_near(ci.hi, 0.6247203750, 1e-9);
    ci = iv(CH_STATS_WILSON, 3, 1000, 0.95);
    assert_near(ci.lo, 0.0010207839, 1e-9);
    assert_near(ci.hi, 0.0087830141, 1e-9);
}

static void test_stats_clopper_pearson_known_values(void **state)
{
    const struct {
        uint64_t k, n;
        double conf, lo, hi;
    } cases[] = {
        {8, 10, 0.95, 0.4439045377, 0.9747892737},
        {0, 10, 0.95, 0.0, 0.3084971078},
        {10, 10, 0.95, 0.6915028922, 1.0},
        {1, 20, 0.95, 0.0012650895, 0.2487327628},
        {50, 100, 0.99, 0.3688614374, 0.6311385626},
        {3, 1000, 0.95, 0.0006190999, 0.0087420232},
        {997, 1000, 0.90, 0.9922647553, 0.9991818246},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_interval ci = iv(CH_STATS_CLOPPER_PEARSON, cases[i].k, cases[i].n, cases[i].conf);
        assert_near(ci.lo, cases[i].lo, 1e-9);
        assert_near(ci.hi, cases[i].hi, 1e-9);
    }
    /* 0/n and n/n: closed forms 1 - (alpha/2)^(1/n) and (alpha/2)^(1/n) */
    struct ch_interval ci = iv(CH_STATS_CLOPPER_PEARSON, 0, 37, 0.9);
    assert_near(ci.hi, 1 - pow(0.05, 1.0 / 37), 1e-12);
    ci = iv(CH_STATS_CLOPPER_PEARSON, 37, 37, 0.9);
    assert_near(ci.lo, pow(0.05, 1.0 / 37), 1e-12);
    /* exact intervals are wider than Wilson's */
    for (uint64_t k = 0; k <= 20; k++) {
        struct ch_interval e = iv(CH_STATS_CLOPPER_PEARSON, k, 20, 0.95);
        struct ch_interval w = iv(CH_STATS_WILSON, k, 20, 0.95);
        assert_true(e.lo <= w.lo + 1e-12 && e.hi >= w.hi - 1e-12);
    }
    /* large n stays accurate: compare with the normal approximation */
    ci = iv(CH_STATS_CLOPPER_PEARSON, 500000, 1000000, 0.95);
    assert_near(ci.lo, 0.5 - 1.959963984540054 * 0.0005, 2e-6);
    assert_near(ci.hi, 0.5 + 1.959963984540054 * 0.0005, 2e-6);
}

static void test_stats_normal_interval_and_errors(void **state)
{
    struct ch_interval ci = iv(CH_STATS_NORMAL, 8, 10, 0.95);
    assert_near(ci.lo, 0.5520819871, 1e-9);
    assert_true(ci.hi == 1.0); /* clipped */
    ci = iv(CH_STATS_NORMAL, 50, 100, 0.95);
    assert_near(ci.lo, 0.4020018008, 1e-9);
    assert_near(ci.hi, 0.5979981992, 1e-9);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_stats_wilson(1, 0, 0.95, &ci, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "n > 0"));
    ch_err_clear(&err);
    assert_int_equal(ch_stats_clopper_pearson(11, 10, 0.95, &ci, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "11 successes out of 10"));
    ch_err_clear(&err);
    assert_int_equal(ch_stats_normal_interval(1, 10, 1.0, &ci, &err), CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_stats_interval((enum ch_stats_method)9, 1, 10, 0.9, &ci, &err),
                     CH_E_INVALID);
}

static double pass_at_k(uint64_t n, uint64_t c, uint64_t k)
{
    double r = -1;
    struct ch_err err = CH_ERR_INIT;
    if (ch_stats_pass_at_k(n, c, k, &r, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return r;
}

/* C(n, k) exactly for small n, to check the product form against combinatorics. */
static double binom_exact(unsigned n, unsigned k)
{
    if (k > n)
        return 0;
    uint64_t r = 1;
    for (unsigned i = 1; i <= k; i++)
        r = r * (n - k + i) / i; /* exact at every step */
    return (double)r;
}

static void test_stats_pass_at_k(void **state)
{
    assert_near(pass_at_k(10, 3, 1), 0.3, 1e-15);
    assert_near(pass_at_k(10, 3, 5), 0.916666666666667, 1e-14);
    assert_near(pass_at_k(10, 3, 8), 1.0, 0);
    assert_near(pass_at_k(20, 1, 10), 0.5, 1e-15);
    assert_near(pass_at_k(100, 7, 10), 0.533259585682786, 1e-13);
    assert_near(pass_at_k(5, 0, 3), 0.0, 0);
    assert_near(pass_at_k(5, 5, 5), 1.0, 0);
    /* against exact binomials for every n <= 30 */
    for (unsigned n = 1; n <= 30; n++) {
        for (unsigned c = 0; c <= n; c++) {
            for (unsigned k = 1; k <= n; k++) {
                double want = 1.0 - binom_exact(n - c, k) / binom_exact(n, k);
                assert_near(pass_at_k(n, c, k), want, 1e-12);
            }
        }
    }
    /* pass@1 is the plain success rate; stable for huge n */
    assert_near(pass_at_k(1000000, 123456, 1), 0.123456, 1e-12);
    struct ch_err err = CH_ERR_INIT;
    double r;
    assert_int_equal(ch_stats_pass_at_k(10, 3, 0, &r, &err), CH_E_INVALID);
    assert_int_equal(ch_stats_pass_at_k(10, 11, 1, &r, &err), CH_E_INVALID);
    assert_int_equal(ch_stats_pass_at_k(10, 3, 11, &r, &err), CH_E_INVALID);
}

static void test_stats_rng(void **state)
{
    /* xoshiro256** reference: state {1, 2, 3, 4} gives 11520, 0, 1509978240, 1215971899390074240 */
    struct ch_rng r = {.s = {1, 2, 3, 4}};
    assert_true(ch_rng_next(&r) == 11520u);
    assert_true(ch_rng_next(&r) == 0u);
    assert_true(ch_rng_next(&r) == 1509978240u);
    assert_true(ch_rng_next(&r) == 1215971899390074240u);
    struct ch_rng a, b;
    ch_rng_seed(&a, 42);
    ch_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(ch_rng_next(&a) == ch_rng_next(&b));
    /* below(): uniform enough, always in range */
    size_t counts[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t v = ch_rng_below(&a, 7);
        assert_true(v < 7);
        counts[v]++;
    }
    for (int i = 0; i < 7; i++)
        assert_true(counts[i] > 9500 && counts[i] < 10500);
    double u = ch_rng_unit(&a);
    assert_true(u >= 0.0 && u < 1.0);
}

static void test_stats_bootstrap_reproducible(void **state)
{
    struct ch_stats_task tasks[] = {{3, 5}, {0, 5}, {5, 5}, {2, 5}, {4, 5},
                                    {1, 5}, {5, 5}, {0, 5}, {3, 5}, {2, 5}};
    struct ch_rng r1, r2, r3;
    ch_rng_seed(&r1, 7);
    ch_rng_seed(&r2, 7);
    ch_rng_seed(&r3, 8);
    struct ch_stats_bootstrap a, b, c;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(
        ch_stats_cluster_bootstrap(tasks, 10, CH_STATS_POOLED, 2000, 0.95, &r1, &a, &err), CH_OK);
    assert_int_equal(
        ch_stats_cluster_bootstrap(tasks, 10, CH_STATS_POOLED, 2000, 0.95, &r2, &b, &err), CH_OK);
    assert_int_equal(
        ch_stats_cluster_bootstrap(tasks, 10, CH_STATS_POOLED, 2000, 0.95, &r3, &c, &err), CH_OK);
    assert_true(a.ci.lo == b.ci.lo && a.ci.hi == b.ci.hi && a.std_error == b.std_error);
    assert_true(a.ci.lo != c.ci.lo || a.ci.hi != c.ci.hi);
    assert_near(a.estimate, 25.0 / 50.0, 1e-15);
    assert_true(a.ci.lo < a.estimate && a.estimate < a.ci.hi);
    /* tasks are heterogeneous, so the cluster interval is wider than the binomial one
     * that wrongly treats the 50 attempts as independent */
    struct ch_interval w = iv(CH_STATS_WILSON, 25, 50, 0.95);
    assert_true(a.ci.hi - a.ci.lo > 0.8 * (w.hi - w.lo));
    /* equal task sizes: the pooled and task-mean estimates agree */
    assert_int_equal(
        ch_stats_cluster_bootstrap(tasks, 10, CH_STATS_TASK_MEAN, 500, 0.9, &r1, &c, &err), CH_OK);
    assert_near(c.estimate, 0.5, 1e-15);
    /* errors */
    struct ch_stats_task bad[] = {{3, 2}};
    assert_int_equal(ch_stats_cluster_bootstrap(bad, 1, CH_STATS_POOLED, 10, 0.95, &r1, &c, &err),
                     CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "task 0: 3 successes out of 2"));
    ch_err_clear(&err);
    assert_int_equal(ch_stats_cluster_bootstrap(tasks, 0, CH_STATS_POOLED, 10, 0.95, &r1, &c, &err),
                     CH_E_INVALID);
    ch_err_clear(&err);
    assert_int_equal(ch_stats_cluster_bootstrap(tasks, 10, CH_STATS_POOLED, 0, 0.95, &r1, &c, &err),
                     CH_E_INVALID);
}

/* Coverage sanity: simulated clustered data with a known mean rate of 0.4. */
static void test_stats_bootstrap_coverage(void **state)
{
    struct ch_rng gen, boot;
    ch_rng_seed(&gen, 2024);
    ch_rng_seed(&boot, 99);
    const size_t n_tasks = 40;
    const int experiments = 200;
    int covered = 0;
    for (int e = 0; e < experiments; e++) {
        struct ch_stats_task tasks[40];
        for (size_t i = 0; i < n_tasks; i++) {
            /* task difficulty: rate 0.1 or 0.7 with equal chance, so mean rate 0.4 */
            double p = ch_rng_below(&gen, 2) == 0 ? 0.1 : 0.7;
            tasks[i] = (struct ch_stats_task){0, 10};
            for (int j = 0; j < 10; j++)
                tasks[i].successes += ch_rng_unit(&gen) < p;
        }
        struct ch_stats_bootstrap b;
        struct ch_err err = CH_ERR_INIT;
        assert_int_equal(
            ch_stats_cluster_bootstrap(tasks, n_tasks, CH_STATS_POOLED, 400, 0.95, &boot, &b, &err),
            CH_OK);
        if (b.ci.lo <= 0.4 && 0.4 <= b.ci.hi)
            covered++;
    }
    /* nominal 95 %; percentile bootstrap with 40 clusters runs a little low */
    if (covered < 170 || covered > 200)
        fail_msg("covered %d of %d", covered, experiments);
}

static void test_stats_bonferroni_holm(void **state)
{
    assert_near(ch_stats_bonferroni_alpha(0.05, 5), 0.01, 1e-17);
    assert_near(ch_stats_bonferroni_confidence(0.95, 5), 0.99, 1e-15);
    assert_near(ch_stats_bonferroni_confidence(0.95, 1), 0.95, 1e-15);
    /* Holm at 0.05: sorted 0.01 <= 0.05/4, 0.012 <= 0.05/3? 0.0125 < 0.0167 yes,
     * 0.03 <= 0.025? no: stop; so only the first two are rejected */
    const double p[] = {0.03, 0.01, 0.04, 0.012};
    bool rej[4];
    double thr[4];
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_stats_holm(p, 4, 0.05, rej, thr, &err), 2);
    assert_false(rej[0]);
    assert_true(rej[1]);
    assert_false(rej[2]);
    assert_true(rej[3]);
    assert_near(thr[1], 0.0125, 1e-17);
    assert_near(thr[3], 0.05 / 3, 1e-17);
    assert_near(thr[0], 0.025, 1e-17);
    assert_near(thr[2], 0.05, 1e-17);
    /* step-down stops: 0.04 would pass at alpha/1 but comes after a failure */
    const double q[] = {0.001, 0.04, 0.049};
    assert_int_equal(ch_stats_holm(q, 3, 0.05, rej, NULL, &err), 1);
    assert_int_equal(ch_stats_holm(q, 0, 0.05, rej, NULL, &err), CH_E_INVALID);
    const double bad[] = {1.5};
    ch_err_clear(&err);
    assert_int_equal(ch_stats_holm(bad, 1, 0.05, rej, NULL, &err), CH_E_INVALID);
}

static void test_stats_samples_needed(void **state)
{
    struct ch_err err = CH_ERR_INIT;
    uint64_t m = 0;
    /* 8/10 at 95 %: the Wilson lower bound 0.490 does not clear 0.5 yet */
    assert_int_equal(ch_stats_samples_needed(CH_STATS_WILSON, 8, 10, 0.95, 0.5,
                                             CH_STATS_LOWER_ABOVE, CH_STATS_ASSUME_RATE, &m, &err),
                     CH_OK);
    assert_true(m > 0);
    /* minimal: m clears, m-1 does not */
    uint64_t s = (uint64_t)llround(0.8 * (double)m);
    assert_true(iv(CH_STATS_WILSON, 8 + s, 10 + m, 0.95).lo > 0.5);
    uint64_t s1 = (uint64_t)llround(0.8 * (double)(m - 1));
    assert_false(iv(CH_STATS_WILSON, 8 + s1, 9 + m, 0.95).lo > 0.5);
    /* already clear: 0 */
    assert_int_equal(ch_stats_samples_needed(CH_STATS_WILSON, 8, 10, 0.95, 0.4,
                                             CH_STATS_LOWER_ABOVE, CH_STATS_ASSUME_RATE, &m, &err),
                     CH_OK);
    assert_true(m == 0);
    /* best case from nothing: n successes in a row until the exact lower bound
     * (alpha/2)^(1/n) clears 0.5 at 95 %: n = 6 (0.025^(1/6) = 0.541; n=5 gives 0.478) */
    assert_int_equal(ch_stats_samples_needed(CH_STATS_CLOPPER_PEARSON, 0, 0, 0.95, 0.5,
                                             CH_STATS_LOWER_ABOVE, CH_STATS_ASSUME_BEST, &m, &err),
                     CH_OK);
    assert_true(m == 6);
    /* upper bound below 0.1 with no successes: 1-(0.025)^(1/n) < 0.1 first at n = 36 */
    assert_int_equal(ch_stats_samples_needed(CH_STATS_CLOPPER_PEARSON, 0, 0, 0.95, 0.1,
                                             CH_STATS_UPPER_BELOW, CH_STATS_ASSUME_BEST, &m, &err),
                     CH_OK);
    assert_true(m == 36);
    /* the observed rate on the wrong side: never */
    assert_int_equal(ch_stats_samples_needed(CH_STATS_WILSON, 3, 10, 0.95, 0.5,
                                             CH_STATS_LOWER_ABOVE, CH_STATS_ASSUME_RATE, &m, &err),
                     CH_E_NOTFOUND);
    assert_true(ch_test_contains(err.msg, "never clear"));
    ch_err_clear(&err);
    assert_int_equal(ch_stats_samples_needed(CH_STATS_WILSON, 3, 10, 0.95, 1.5,
                                             CH_STATS_LOWER_ABOVE, CH_STATS_ASSUME_RATE, &m, &err),
                     CH_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_normal_quantile),
        cmocka_unit_test(test_stats_betainc),
        cmocka_unit_test(test_stats_wilson_known_values),
        cmocka_unit_test(test_stats_clopper_pearson_known_values),
        cmocka_unit_test(test_stats_normal_interval_and_errors),
        cmocka_unit_test(test_stats_pass_at_k),
        cmocka_unit_test(test_stats_rng),
        cmocka_unit_test(test_stats_bootstrap_reproducible),
        cmocka_unit_test(test_stats_bootstrap_coverage),
        cmocka_unit_test(test_stats_bonferroni_holm),
        cmocka_unit_test(test_stats_samples_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
