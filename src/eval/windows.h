/* SPDX-License-Identifier: Apache-2.0
 *
 * windows.h: pre-release evaluation windows (DESIGN.md §1 item 6: a
 * developer's pre-release model gets an evaluation window of at most 30
 * days).
 *
 * A developer (or the clearinghouse) offers a model for [starts_at,
 * ends_at); the window lasts at most CH_WINDOW_MAX_DAYS days. States:
 *
 *     offered ──open──▶ open ──deliver──▶ report_delivered
 *        │                │                     │
 *        └──────close─────┴────────close────────┴──▶ closed
 *     any state but released ──release──▶ released (the model is public)
 *
 * Access (evaluation runs, gateway calls) is allowed only while a window is
 * open or report_delivered AND starts_at <= now < ends_at, checked against
 * the caller's clock at every use, so access stops at ends_at by itself
 * whatever the stored state says. Runs are tied to the window they ran in.
 *
 * Events: every transition and the notices "ends_in_7d" (at ends_at - 7
 * days, for windows longer than 7 days), "ends_in_1d" (at ends_at - 1 day,
 * for windows longer than a day) and "ended" are rows of
 * eval_window_events, read by the UI and webhooks. Notices are produced by
 * ch_window_tick(), which is idempotent and cheap; the list functions and
 * the CLI call it, the server's scheduler calls it periodically.
 */
#ifndef CH_EVAL_WINDOWS_H
#define CH_EVAL_WINDOWS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "eval/models.h"

struct ch_store;

#define CH_WINDOW_MAX_DAYS 30
#define CH_WINDOW_MAX_SECONDS ((int64_t)CH_WINDOW_MAX_DAYS * 86400)
/* Events listed at once. */
#define CH_WINDOW_MAX_EVENTS 10000u

enum ch_window_state {
    CH_WINDOW_OFFERED = 0,
    CH_WINDOW_OPEN,
    CH_WINDOW_REPORT_DELIVERED,
    CH_WINDOW_CLOSED,
    CH_WINDOW_RELEASED,
    CH_WINDOW_STATE_COUNT
};

/* "offered", "open", "report_delivered", "closed", "released". */
const char *ch_window_state_str(enum ch_window_state s);
int ch_window_state_parse(const char *s, enum ch_window_state *ret);

struct ch_window {
    int64_t id;
    int64_t model_id;
    int64_t org_id;
    enum ch_window_state state;
    int64_t starts_at;
    int64_t ends_at;
};

/*
 * Offers a window for a model the actor may offer (its developer, or a wide
 * role). CH_E_INVALID when ends_at <= starts_at or the window is longer than
 * CH_WINDOW_MAX_DAYS days; CH_E_CONFLICT when another unfinished window of
 * the model overlaps it; CH_E_NOTFOUND for a model the actor cannot see.
 */
int ch_window_offer(struct ch_store *s, const struct ch_eval_actor *a, const char *model_ref,
                    int64_t starts_at, int64_t ends_at, int64_t now, int64_t *ret_id,
                    struct ch_err *err) CH_MUST_CHECK;

/*
 * Moves window `id` to state `to`. Who may: open and deliver: evaluators
 * and wide roles (open only from starts_at until ends_at); close: those or
 * the developer; release: the developer or a wide role (also clears the
 * model's pre-release flag). CH_E_CONFLICT for a transition the state
 * machine does not have.
 */
int ch_window_transition(struct ch_store *s, const struct ch_eval_actor *a, int64_t id,
                         enum ch_window_state to, int64_t now, struct ch_err *err) CH_MUST_CHECK;

/* The window with that id (no visibility check). */
int ch_window_get(struct ch_store *s, int64_t id, struct ch_window *ret,
                  struct ch_err *err) CH_MUST_CHECK;

/* Whether w gives access at `now` (state open/report_delivered and starts_at <= now < ends_at). */
bool ch_window_is_active(const struct ch_window *w, int64_t now);

/* The window of model_id active at `now`: *ret_id 0 when none. */
int ch_window_active(struct ch_store *s, int64_t model_id, int64_t now, int64_t *ret_id,
                     struct ch_err *err) CH_MUST_CHECK;

/*
 * Ties evaluation run run_id to window `id`, which must be active at `now`
 * (CH_E_PERM "window is not open" otherwise). Evaluators and wide roles.
 */
int ch_window_attach_run(struct ch_store *s, const struct ch_eval_actor *a, int64_t id,
                         int64_t run_id, int64_t now, struct ch_err *err) CH_MUST_CHECK;

/* Writes the notices due at `now`; returns how many were new (>= 0). */
int ch_window_tick(struct ch_store *s, int64_t now, struct ch_err *err) CH_MUST_CHECK;

/* Windows visible to the actor (its models; evaluators: all), with "active" at now. */
int ch_window_list_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t model_id,
                        int64_t now, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
/* Events of windows visible to the actor with id > after_id, oldest first. */
int ch_window_events_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t after_id,
                          struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

#endif
