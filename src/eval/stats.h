/* SPDX-License-Identifier: Apache-2.0
 *
 * stats.h: the statistics behind evaluation scores and designation decisions
 * (DESIGN.md §4 "Designation": a decision uses a confidence bound, not a
 * point estimate). Documented in docs/internals/statistics.md.
 *
 *   - binomial confidence intervals: Wilson score, Clopper-Pearson exact
 *     (through the regularised incomplete beta function and its inverse),
 *     and the normal approximation (Wald), for reference only;
 *   - the unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large
 *     Language Models Trained on Code", eq. 1), computed as a product;
 *   - a cluster bootstrap that resamples tasks (not attempts), because
 *     attempts on one task are correlated;
 *   - Bonferroni and Holm splitting of alpha across several measures;
 *   - how many more samples would let a bound clear a threshold, for
 *     "undetermined: continue testing".
 *
 * Randomness comes only from a struct ch_rng the caller seeds and passes in
 * (xoshiro256** seeded through splitmix64): the same seed gives the same
 * bootstrap on every machine. No global state; every function is
 * thread-safe given distinct rng states.
 *
 * Confidence levels are two-sided, in (0, 1) (0.95 for 95 %).
 */
#ifndef CH_EVAL_STATS_H
#define CH_EVAL_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Trials of one estimate: beyond 2^40 rounding, not sampling, dominates. */
#define CH_STATS_MAX_TRIALS ((uint64_t)1 << 40)
/* Bootstrap resamples (each costs one pass over the tasks and 8 bytes). */
#define CH_STATS_MAX_RESAMPLES 1000000u
/* Tasks in one bootstrap. */
#define CH_STATS_MAX_TASKS 10000000u
/* Largest number of extra samples ch_stats_samples_needed() searches. */
#define CH_STATS_MAX_EXTRA ((uint64_t)1 << 32)

struct ch_interval {
    double lo;
    double hi;
};

/* ---- special functions ------------------------------------------------- */

/* Quantile of the standard normal distribution, p in (0, 1) (|error| < 1e-14). */
double ch_stats_normal_quantile(double p);
/* Regularised incomplete beta I_x(a, b), a, b > 0, x in [0, 1] (NaN otherwise). */
double ch_stats_betainc(double a, double b, double x);
/* The x in [0, 1] with I_x(a, b) = p (|error| < 1e-12), p in [0, 1]. */
double ch_stats_betainc_inv(double a, double b, double p);

/* ---- intervals --------------------------------------------------------- */

/*
 * Each writes the two-sided interval for `successes` out of `n` trials.
 * CH_E_INVALID (with a message) when n is 0, successes > n, n exceeds
 * CH_STATS_MAX_TRIALS, or confidence is not in (0, 1).
 */
int ch_stats_wilson(uint64_t successes, uint64_t n, double confidence, struct ch_interval *ret,
                    struct ch_err *err) CH_MUST_CHECK;
int ch_stats_clopper_pearson(uint64_t successes, uint64_t n, double confidence,
                             struct ch_interval *ret, struct ch_err *err) CH_MUST_CHECK;
/* Wald interval p ± z sqrt(p(1-p)/n), clipped to [0, 1]; poor near 0 and 1. */
int ch_stats_normal_interval(uint64_t successes, uint64_t n, double confidence,
                             struct ch_interval *ret, struct ch_err *err) CH_MUST_CHECK;

enum ch_stats_method {
    CH_STATS_WILSON,
    CH_STATS_CLOPPER_PEARSON,
    CH_STATS_NORMAL,
};

/* Dispatches to one of the three above. */
int ch_stats_interval(enum ch_stats_method m, uint64_t successes, uint64_t n, double confidence,
                      struct ch_interval *ret, struct ch_err *err) CH_MUST_CHECK;

/* ---- pass@k ------------------------------------------------------------ */

/*
 * Unbiased pass@k from n samples of which c passed: 1 - C(n-c, k) / C(n, k),
 * computed as 1 - prod_{i=n-c+1..n} (1 - k/i) (no binomials, no overflow).
 * CH_E_INVALID unless 1 <= k <= n and c <= n.
 */
int ch_stats_pass_at_k(uint64_t n, uint64_t c, uint64_t k, double *ret,
                       struct ch_err *err) CH_MUST_CHECK;

/* ---- random numbers ---------------------------------------------------- */

/* xoshiro256** state (https://prng.di.unimi.it/); seed it before use. */
struct ch_rng {
    uint64_t s[4];
};

/* Seeds through splitmix64, so any seed (0 included) gives a good state. */
void ch_rng_seed(struct ch_rng *r, uint64_t seed);
uint64_t ch_rng_next(struct ch_rng *r);
/* Uniform in [0, bound), bound > 0, without modulo bias (rejection sampling). */
uint64_t ch_rng_below(struct ch_rng *r, uint64_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double ch_rng_unit(struct ch_rng *r);

/* ---- cluster bootstrap ------------------------------------------------- */

/* One task (cluster): its attempts and how many succeeded. */
struct ch_stats_task {
    uint64_t successes;
    uint64_t trials;
};

enum ch_stats_aggregate {
    CH_STATS_POOLED,    /* total successes / total attempts */
    CH_STATS_TASK_MEAN, /* mean over tasks of each task's success rate */
};

struct ch_stats_bootstrap {
    double estimate;       /* the aggregate on the data as given */
    struct ch_interval ci; /* percentile interval of the resampled aggregates */
    double std_error;      /* standard deviation of the resampled aggregates */
    size_t n_resamples;
};

/*
 * Cluster bootstrap: each resample draws n_tasks tasks with replacement
 * (whole tasks, all their attempts), computes the aggregate, and the
 * interval is the (1-confidence)/2 and (1+confidence)/2 quantiles of the
 * resampled aggregates (linear interpolation, Hyndman-Fan type 7). Uses
 * exactly n_resamples * n_tasks draws from rng, so a given seed always gives
 * the same result. Errors: CH_E_INVALID (no tasks, a task with no attempts
 * or more successes than attempts, bad confidence, zero resamples),
 * CH_E_LIMIT past the limits above, CH_E_NOMEM.
 */
int ch_stats_cluster_bootstrap(const struct ch_stats_task *tasks, size_t n_tasks,
                               enum ch_stats_aggregate agg, size_t n_resamples, double confidence,
                               struct ch_rng *rng, struct ch_stats_bootstrap *ret,
                               struct ch_err *err) CH_MUST_CHECK;

/* ---- multiple measures ------------------------------------------------- */

/* Bonferroni: the per-measure alpha alpha/m (m >= 1). */
double ch_stats_bonferroni_alpha(double alpha, size_t m);
/* The per-measure two-sided confidence level when m intervals share 1 - confidence. */
double ch_stats_bonferroni_confidence(double confidence, size_t m);

/*
 * Holm's step-down procedure on m p-values at family-wise level alpha: sorts
 * the p-values, rejects the i-th smallest (0-based) while p <= alpha/(m-i),
 * and stops at the first that is not. Writes ret_reject[j] for the j-th
 * input and, when ret_alpha is not NULL, the threshold each p-value was
 * compared with (alpha/(m-rank); for p-values after the first acceptance,
 * the threshold they would have needed). Returns the number rejected, or
 * CH_E_INVALID (m = 0, alpha not in (0,1), a p-value outside [0,1]),
 * CH_E_LIMIT, CH_E_NOMEM.
 */
int ch_stats_holm(const double *p, size_t m, double alpha, bool *ret_reject, double *ret_alpha,
                  struct ch_err *err) CH_MUST_CHECK;

/* ---- how much more testing --------------------------------------------- */

enum ch_stats_bound {
    CH_STATS_LOWER_ABOVE, /* want the lower bound > threshold ("capability shown") */
    CH_STATS_UPPER_BELOW, /* want the upper bound < threshold ("capability ruled out") */
};

enum ch_stats_assume {
    CH_STATS_ASSUME_RATE, /* new samples succeed at the observed rate (rounded) */
    CH_STATS_ASSUME_BEST, /* every new sample goes the wanted way: a lower limit */
};

/*
 * The smallest number m of extra samples after which the bound, computed
 * with `method` at `confidence` from successes + s out of n + m, clears the
 * threshold, where s follows `assume`. 0 when it already does. Found by
 * doubling then bisection (the bound is monotone in m up to the rounding of
 * s). CH_E_NOTFOUND when no m up to CH_STATS_MAX_EXTRA suffices (e.g. the
 * observed rate is on the wrong side of the threshold); CH_E_INVALID for bad
 * arguments (threshold must be in (0, 1)). n may be 0 (no data yet) for
 * CH_STATS_ASSUME_BEST.
 */
int ch_stats_samples_needed(enum ch_stats_method method, uint64_t successes, uint64_t n,
                            double confidence, double threshold, enum ch_stats_bound bound,
                            enum ch_stats_assume assume, uint64_t *ret_extra,
                            struct ch_err *err) CH_MUST_CHECK;

#endif
