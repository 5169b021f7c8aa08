/* SPDX-License-Identifier: Apache-2.0
 *
 * stats.c: confidence intervals, pass@k, cluster bootstrap, multiple-measure
 * corrections and sample-size search (see stats.h and
 * docs/internals/statistics.md).
 *
 * The regularised incomplete beta function is evaluated by its continued
 * fraction (modified Lentz; Numerical Recipes 3rd ed. §6.4), using the
 * symmetry I_x(a,b) = 1 - I_{1-x}(b,a) so that the fraction is always taken
 * where it converges fast. Its inverse is Newton's method kept inside a
 * bisection bracket, so it cannot diverge. The normal quantile is Acklam's
 * rational approximation refined by one Halley step on erfc, which brings
 * it to double precision.
 */
#include "eval/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* Continued-fraction terms before giving up: convergence needs O(sqrt(max(a, b))). */
#define BETACF_MAX_ITER 10000000
#define BETACF_EPS 1e-16
#define BETACF_TINY 1e-300
/* Newton/bisection steps of the inverse: bisection alone needs at most ~1100. */
#define BETAINV_MAX_ITER 2000

/* ---- special functions ------------------------------------------------- */

double ch_stats_normal_quantile(double p)
{
    /* Acklam's coefficients
     * (https://web.archive.org/web/2015/http://home.online.no/~pjacklam/notes/invnorm/) */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (!(p > 0.0 && p < 1.0))
        return p == 0.0 ? -INFINITY : (p == 1.0 ? INFINITY : NAN);
    double x;
    if (p < 0.02425) {
        double q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p > 1.0 - 0.02425) {
        double q = sqrt(-2.0 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else {
        double q = p - 0.5;
        double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    /* one Halley step: e = Phi(x) - p */
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

static double lbeta(double a, double b)
{
    int sign = 0;
    return lgamma_r(a, &sign) + lgamma_r(b, &sign) - lgamma_r(a + b, &sign);
}

/* Continued fraction for I_x(a, b), valid where x < (a + 1) / (a + b + 2). */
static double betacf(double a, double b, double x)
{
    double qab = a + b;
    double qap = a + 1.0;
    double qam = a - 1.0;
    double c = 1.0;
    double d = 1.0 - qab * x / qap;
    if (fabs(d) < BETACF_TINY)
        d = BETACF_TINY;
    d = 1.0 / d;
    double h = d;
    for (long m = 1; m <= BETACF_MAX_ITER; m++) {
        double dm = (double)m;
        double m2 = 2.0 * dm;
        double aa = dm * (b - dm) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < BETACF_TINY)
            d = BETACF_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < BETACF_TINY)
            c = BETACF_TINY;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + dm) * (qab + dm) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < BETACF_TINY)
            d = BETACF_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < BETACF_TINY)
            c = BETACF_TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < BETACF_EPS)
            break;
    }
    return h;
}

double ch_stats_betainc(double a, double b, double x)
{
    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0))
        return NAN;
    if (x == 0.0)
        return 0.0;
    if (x == 1.0)
        return 1.0;
    double lfront = a * log(x) + b * log1p(-x) - lbeta(a, b);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(lfront) * betacf(a, b, x) / a;
    return 1.0 - exp(lfront) * betacf(b, a, 1.0 - x) / b;
}

double ch_stats_betainc_inv(double a, double b, double p)
{
    if (!(a > 0.0) || !(b > 0.0) || !(p >= 0.0 && p <= 1.0))
        return NAN;
    if (p == 0.0)
        return 0.0;
    if (p == 1.0)
        return 1.0;
    double lo = 0.0;
    double hi = 1.0;
    double x = a / (a + b);
    double lb = lbeta(a, b);
    for (int i = 0; i < BETAINV_MAX_ITER; i++) {
        double f = ch_stats_betainc(a, b, x) - p;
        if (f == 0.0)
            return x;
        if (f < 0.0)
            lo = x;
        else
            hi = x;
        double dens = exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - lb);
        double next = x - f / dens;
        if (!(dens > 0.0) || !isfinite(next) || next <= lo || next >= hi)
            next = 0.5 * (lo + hi); /* Newton left the bracket: bisect */
        if (fabs(next - x) <= 1e-15 * fmax(x, 1e-300) || hi - lo <= DBL_MIN)
            return next;
        x = next;
    }
    return x;
}

/* ---- intervals --------------------------------------------------------- */

static int check_binomial(uint64_t k, uint64_t n, double confidence, struct ch_err *err)
{
    if (n == 0)
        return ch_err_set(err, CH_E_INVALID, "no trials: an interval needs n > 0");
    if (k > n)
        return ch_err_set(err, CH_E_INVALID, "%llu successes out of %llu trials",
                          (unsigned long long)k, (unsigned long long)n);
    if (n > CH_STATS_MAX_TRIALS)
        return ch_err_set(err, CH_E_INVALID, "more than 2^40 trials");
    if (!(confidence > 0.0 && confidence < 1.0))
        return ch_err_set(err, CH_E_INVALID, "confidence %g is not in (0, 1)", confidence);
    return CH_OK;
}

static double clamp01(double v)
{
    return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
}

int ch_stats_wilson(uint64_t successes, uint64_t n, double confidence, struct ch_interval *ret,
                    struct ch_err *err)
{
    int rc = check_binomial(successes, n, confidence, err);
    if (rc != CH_OK)
        return rc;
    double z = ch_stats_normal_quantile(0.5 + confidence / 2.0);
    double dn = (double)n;
    double p = (double)successes / dn;
    double z2 = z * z;
    double denom = 1.0 + z2 / dn;
    double centre = (p + z2 / (2.0 * dn)) / denom;
    double half = z / denom * sqrt(p * (1.0 - p) / dn + z2 / (4.0 * dn * dn));
    ret->lo = successes == 0 ? 0.0 : clamp01(centre - half);
    ret->hi = successes == n ? 1.0 : clamp01(centre + half);
    return CH_OK;
}

int ch_stats_clopper_pearson(uint64_t successes, uint64_t n, double confidence,
                             struct ch_interval *ret, struct ch_err *err)
{
    int rc = check_binomial(successes, n, confidence, err);
    if (rc != CH_OK)
        return rc;
    double alpha = 1.0 - confidence;
    double k = (double)successes;
    double dn = (double)n;
    /* lower: the p with P(X >= k) = alpha/2, i.e. the alpha/2 quantile of Beta(k, n-k+1) */
    ret->lo = successes == 0 ? 0.0 : ch_stats_betainc_inv(k, dn - k + 1.0, alpha / 2.0);
    ret->hi = successes == n ? 1.0 : ch_stats_betainc_inv(k + 1.0, dn - k, 1.0 - alpha / 2.0);
    return CH_OK;
}

int ch_stats_normal_interval(uint64_t successes, uint64_t n, double confidence,
                             struct ch_interval *ret, struct ch_err *err)
{
    int rc = check_binomial(successes, n, confidence, err);
    if (rc != CH_OK)
        return rc;
    double z = ch_stats_normal_quantile(0.5 + confidence / 2.0);
    double p = (double)successes / (double)n;
    double half = z * sqrt(p * (1.0 - p) / (double)n);
    ret->lo = clamp01(p - half);
    ret->hi = clamp01(p + half);
    return CH_OK;
}

int ch_stats_interval(enum ch_stats_method m, uint64_t successes, uint64_t n, double confidence,
                      struct ch_interval *ret, struct ch_err *err)
{
    switch (m) {
    case CH_STATS_WILSON:
        return ch_stats_wilson(successes, n, confidence, ret, err);
    case CH_STATS_CLOPPER_PEARSON:
        return ch_stats_clopper_pearson(successes, n, confidence, ret, err);
    case CH_STATS_NORMAL:
        return ch_stats_normal_interval(successes, n, confidence, ret, err);
    }
    return ch_err_set(err, CH_E_INVALID, "unknown interval method %d", (int)m);
}

/* ---- pass@k ------------------------------------------------------------ */

int ch_stats_pass_at_k(uint64_t n, uint64_t c, uint64_t k, double *ret, struct ch_err *err)
{
    if (k == 0 || k > n || c > n)
        return ch_err_set(err, CH_E_INVALID,
                          "pass@k needs 1 <= k <= n and c <= n (n=%llu, c=%llu, k=%llu)",
                          (unsigned long long)n, (unsigned long long)c, (unsigned long long)k);
    if (n - c < k) {
        *ret = 1.0; /* every k-subset contains a passing sample */
        return CH_OK;
    }
    /* C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k/i) */
    double prod = 1.0;
    for (uint64_t i = n - c + 1; i <= n; i++)
        prod *= 1.0 - (double)k / (double)i;
    *ret = 1.0 - prod;
    return CH_OK;
}

/* ---- random numbers ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ch_rng_seed(struct ch_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t ch_rng_next(struct ch_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t ch_rng_below(struct ch_rng *r, uint64_t bound)
{
    CH_ASSERT(bound > 0);
    /* rejection sampling: accept only draws from the largest multiple of bound */
    uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
    for (;;) {
        uint64_t x = ch_rng_next(r);
        if (x >= threshold)
            return x % bound;
    }
}

double ch_rng_unit(struct ch_rng *r)
{
    return (double)(ch_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- cluster bootstrap ------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Hyndman-Fan type 7 quantile of sorted v[0..n). */
static double quantile_sorted(const double *v, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

static int check_tasks(const struct ch_stats_task *tasks, size_t n_tasks, struct ch_err *err)
{
    if (n_tasks == 0)
        return ch_err_set(err, CH_E_INVALID, "no tasks to bootstrap");
    if (n_tasks > CH_STATS_MAX_TASKS)
        return ch_err_set(err, CH_E_LIMIT, "more than %u tasks", CH_STATS_MAX_TASKS);
    uint64_t total = 0;
    for (size_t i = 0; i < n_tasks; i++) {
        if (tasks[i].trials == 0 || tasks[i].successes > tasks[i].trials)
            return ch_err_set(err, CH_E_INVALID, "task %zu: %llu successes out of %llu attempts", i,
                              (unsigned long long)tasks[i].successes,
                              (unsigned long long)tasks[i].trials);
        total += tasks[i].trials;
        if (tasks[i].trials > CH_STATS_MAX_TRIALS || total > CH_STATS_MAX_TRIALS)
            return ch_err_set(err, CH_E_LIMIT, "more than 2^40 attempts");
    }
    return CH_OK;
}

int ch_stats_cluster_bootstrap(const struct ch_stats_task *tasks, size_t n_tasks,
                               enum ch_stats_aggregate agg, size_t n_resamples, double confidence,
                               struct ch_rng *rng, struct ch_stats_bootstrap *ret,
                               struct ch_err *err)
{
    int rc = check_tasks(tasks, n_tasks, err);
    if (rc != CH_OK)
        return rc;
    if (n_resamples == 0 || n_resamples > CH_STATS_MAX_RESAMPLES)
        return ch_err_set(err, n_resamples == 0 ? CH_E_INVALID : CH_E_LIMIT,
                          "resamples must be 1 to %u", CH_STATS_MAX_RESAMPLES);
    if (!(confidence > 0.0 && confidence < 1.0))
        return ch_err_set(err, CH_E_INVALID, "confidence %g is not in (0, 1)", confidence);
    if (agg != CH_STATS_POOLED && agg != CH_STATS_TASK_MEAN)
        return ch_err_set(err, CH_E_INVALID, "unknown aggregate %d", (int)agg);
    double *est = ch_calloc(n_resamples, sizeof(double));
    if (est == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory for %zu resamples", n_resamples);
    double s_all = 0.0;
    double n_all = 0.0;
    double rate_all = 0.0;
    for (size_t i = 0; i < n_tasks; i++) {
        s_all += (double)tasks[i].successes;
        n_all += (double)tasks[i].trials;
        rate_all += (double)tasks[i].successes / (double)tasks[i].trials;
    }
    double sum = 0.0;
    for (size_t r = 0; r < n_resamples; r++) {
        double s = 0.0;
        double t = 0.0;
        for (size_t i = 0; i < n_tasks; i++) {
            const struct ch_stats_task *task = &tasks[ch_rng_below(rng, n_tasks)];
            if (agg == CH_STATS_POOLED) {
                s += (double)task->successes;
                t += (double)task->trials;
            } else {
                s += (double)task->successes / (double)task->trials;
                t += 1.0;
            }
        }
        est[r] = s / t;
        sum += est[r];
    }
    double mean = sum / (double)n_resamples;
    double ss = 0.0;
    for (size_t r = 0; r < n_resamples; r++)
        ss += (est[r] - mean) * (est[r] - mean);
    qsort(est, n_resamples, sizeof(double), cmp_double);
    double alpha = 1.0 - confidence;
    *ret = (struct ch_stats_bootstrap){
        .estimate = agg == CH_STATS_POOLED ? s_all / n_all : rate_all / (double)n_tasks,
        .ci = {.lo = quantile_sorted(est, n_resamples, alpha / 2.0),
               .hi = quantile_sorted(est, n_resamples, 1.0 - alpha / 2.0)},
        .std_error = n_resamples > 1 ? sqrt(ss / (double)(n_resamples - 1)) : 0.0,
        .n_resamples = n_resamples,
    };
    ch_free(est);
    return CH_OK;
}

/* ---- multiple measures ------------------------------------------------- */

double ch_stats_bonferroni_alpha(double alpha, size_t m)
{
    return m == 0 ? alpha : alpha / (double)m;
}

double ch_stats_bonferroni_confidence(double confidence, size_t m)
{
    return 1.0 - ch_stats_bonferroni_alpha(1.0 - confidence, m);
}

struct ranked {
    double p;
    size_t index;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a;
    const struct ranked *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index); /* stable */
}

int ch_stats_holm(const double *p, size_t m, double alpha, bool *ret_reject, double *ret_alpha,
                  struct ch_err *err)
{
    if (m == 0)
        return ch_err_set(err, CH_E_INVALID, "no p-values");
    if (m > CH_STATS_MAX_TASKS)
        return ch_err_set(err, CH_E_LIMIT, "more than %u p-values", CH_STATS_MAX_TASKS);
    if (!(alpha > 0.0 && alpha < 1.0))
        return ch_err_set(err, CH_E_INVALID, "alpha %g is not in (0, 1)", alpha);
    for (size_t i = 0; i < m; i++) {
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return ch_err_set(err, CH_E_INVALID, "p-value %zu (%g) is not in [0, 1]", i, p[i]);
    }
    struct ranked *r = ch_calloc(m, sizeof(*r));
    if (r == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    for (size_t i = 0; i < m; i++)
        r[i] = (struct ranked){.p = p[i], .index = i};
    qsort(r, m, sizeof(*r), cmp_ranked);
    bool stopped = false;
    int n_rejected = 0;
    for (size_t i = 0; i < m; i++) {
        double threshold = alpha / (double)(m - i);
        bool reject = !stopped && r[i].p <= threshold;
        if (!reject)
            stopped = true;
        else
            n_rejected++;
        ret_reject[r[i].index] = reject;
        if (ret_alpha != NULL)
            ret_alpha[r[i].index] = threshold;
    }
    ch_free(r);
    return n_rejected;
}

/* ---- how much more testing --------------------------------------------- */

struct need {
    enum ch_stats_method method;
    uint64_t k;
    uint64_t n;
    double confidence;
    double threshold;
    enum ch_stats_bound bound;
    enum ch_stats_assume assume;
};

/* 1 when m extra samples clear the threshold, 0 when not, negative on error. */
static int clears(const struct need *q, uint64_t m, struct ch_err *err)
{
    uint64_t s;
    if (q->assume == CH_STATS_ASSUME_BEST)
        s = q->bound == CH_STATS_LOWER_ABOVE ? m : 0;
    else
        s = (uint64_t)llround((double)q->k / (double)q->n * (double)m);
    if (q->n + m == 0)
        return 0;
    struct ch_interval ci;
    int rc = ch_stats_interval(q->method, q->k + s, q->n + m, q->confidence, &ci, err);
    if (rc != CH_OK)
        return rc;
    return q->bound == CH_STATS_LOWER_ABOVE ? ci.lo > q->threshold : ci.hi < q->threshold;
}

int ch_stats_samples_needed(enum ch_stats_method method, uint64_t successes, uint64_t n,
                            double confidence, double threshold, enum ch_stats_bound bound,
                            enum ch_stats_assume assume, uint64_t *ret_extra, struct ch_err *err)
{
    if (!(threshold > 0.0 && threshold < 1.0))
        return ch_err_set(err, CH_E_INVALID, "threshold %g is not in (0, 1)", threshold);
    if (successes > n || n > CH_STATS_MAX_TRIALS)
        return ch_err_set(err, CH_E_INVALID, "%llu successes out of %llu trials",
                          (unsigned long long)successes, (unsigned long long)n);
    if (assume == CH_STATS_ASSUME_RATE) {
        if (n == 0)
            return ch_err_set(err, CH_E_INVALID, "no observed rate yet (n = 0)");
        double p = (double)successes / (double)n;
        bool hopeless = bound == CH_STATS_LOWER_ABOVE ? p <= threshold : p >= threshold;
        if (hopeless)
            return ch_err_set(err, CH_E_NOTFOUND,
                              "the observed rate %.4f is not %s the threshold %.4f: more samples "
                              "at this rate never clear it",
                              p, bound == CH_STATS_LOWER_ABOVE ? "above" : "below", threshold);
    }
    struct need q = {.method = method,
                     .k = successes,
                     .n = n,
                     .confidence = confidence,
                     .threshold = threshold,
                     .bound = bound,
                     .assume = assume};
    int c = clears(&q, 0, err);
    if (c < 0)
        return c;
    if (c == 1) {
        *ret_extra = 0;
        return CH_OK;
    }
    uint64_t fail = 0;
    uint64_t ok = 1;
    for (;;) {
        c = clears(&q, ok, err);
        if (c < 0)
            return c;
        if (c == 1)
            break;
        fail = ok;
        if (ok >= CH_STATS_MAX_EXTRA)
            return ch_err_set(err, CH_E_NOTFOUND, "no number of extra samples up to 2^32 suffices");
        ok *= 2;
    }
    while (ok - fail > 1) {
        uint64_t mid = fail + (ok - fail) / 2;
        c = clears(&q, mid, err);
        if (c < 0)
            return c;
        if (c == 1)
            ok = mid;
        else
            fail = mid;
    }
    *ret_extra = ok;
    return CH_OK;
}
