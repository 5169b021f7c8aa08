/* SPDX-License-Identifier: Apache-2.0
 *
 * runs.h: evaluation runs as a principal may see them (the dashboard's run
 * list and run pages; docs/dashboard.md "Evaluation runs").
 *
 * A run (eval_run, journal in run.h) may be tied to a registered model
 * (eval_model_runs, through a window). Who sees what, decided in one place
 * (run_view() in runs.c), following docs/designation.md "Who sees what":
 *
 *   - evaluators and the clearinghouse-wide roles (admin, analyst) see a run
 *     whose suite classification, and whose model's classification when it
 *     is tied to one, are at or below their clearance: the whole report
 *     (tasks included);
 *   - a developer sees the runs tied to its own organisation's models, as
 *     outcomes only: the overall aggregate, and the per-category aggregates
 *     when its clearance reaches the suite's classification; never tasks,
 *     as designation decisions show it statistics and not task content;
 *   - everyone else (partners, operators) sees none.
 *
 * A run the actor may not see is answered CH_E_NOTFOUND, as a missing one.
 * Rates and intervals are those of ch_eval_report_json() (the run's seeded
 * cluster bootstrap), so a list row, a run page and `clearinghouse eval
 * report RUN --json` always agree.
 *
 * Thread-safety: functions use the store they are given; no global state.
 */
#ifndef CH_EVAL_RUNS_H
#define CH_EVAL_RUNS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "eval/designate.h"
#include "eval/models.h"

struct ch_store;

/* Runs listed at once, newest first: each row costs a report (a bootstrap over its tasks). */
#define CH_EVAL_RUNS_MAX_LIST 1000u

/*
 * The runs visible to the actor as a JSON array, newest first, at most
 * CH_EVAL_RUNS_MAX_LIST. Each item: id, suite, suite_version,
 * classification, model (the registered "NAME@VERSION" when tied, else the
 * name the run was started with), model_id and org (null when not tied),
 * status, started_at, finished_at, epochs, samples (scored), successes,
 * pending, success_rate, ci95_low, ci95_high (null until a sample is
 * scored) and view ("full" or "outcomes"). Errors: CH_E_DB, CH_E_NOMEM.
 */
int ch_eval_runs_list_json(struct ch_store *s, const struct ch_eval_actor *a, struct ch_jw *w,
                           struct ch_err *err) CH_MUST_CHECK;

/*
 * One run as the actor may see it: the report of ch_eval_report_json() with
 * model_id, model, org, started_at, finished_at and view added; for the
 * "outcomes" view without "tasks" (and without "categories" below the
 * suite's classification). CH_E_NOTFOUND "no evaluation run N" when it does
 * not exist or is not visible.
 */
int ch_eval_runs_get_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t run_id,
                          struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/*
 * The measure of policy p to draw a run of suite `suite_id` against: the
 * first measure counting that suite (*ret_counts = true), else the measure
 * with the lowest threshold, for reference (*ret_counts = false). NULL when
 * the policy has no measure. The pointer borrows p.
 */
const struct ch_policy_measure *ch_eval_runs_measure(const struct ch_policy *p,
                                                     const char *suite_id, bool *ret_counts);

#endif
