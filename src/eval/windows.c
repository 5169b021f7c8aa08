/* SPDX-License-Identifier: Apache-2.0
 *
 * windows.c: pre-release evaluation windows (contract in windows.h).
 *
 * The stored state records what people did; whether a window gives access
 * is always recomputed from the state and the caller's clock
 * (ch_window_is_active), so nothing has to run at ends_at for access to end.
 */
#include "eval/windows.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store/store.h"

static const char *const state_names[CH_WINDOW_STATE_COUNT] = {
    "offered", "open", "report_delivered", "closed", "released"};

const char *ch_window_state_str(enum ch_window_state s)
{
    return (unsigned)s < CH_WINDOW_STATE_COUNT ? state_names[s] : "unknown";
}

int ch_window_state_parse(const char *s, enum ch_window_state *ret)
{
    for (unsigned i = 0; i < CH_WINDOW_STATE_COUNT; i++) {
        if (s != NULL && strcmp(s, state_names[i]) == 0) {
            *ret = (enum ch_window_state)i;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

bool ch_window_is_active(const struct ch_window *w, int64_t now)
{
    return (w->state == CH_WINDOW_OPEN || w->state == CH_WINDOW_REPORT_DELIVERED) &&
           w->starts_at <= now && now < w->ends_at;
}

static int read_window(struct ch_stmt *st, struct ch_window *ret, struct ch_err *err)
{
    struct ch_window w = {.id = ch_stmt_int(st, 0),
                          .model_id = ch_stmt_int(st, 1),
                          .org_id = ch_stmt_int(st, 2),
                          .starts_at = ch_stmt_int(st, 4),
                          .ends_at = ch_stmt_int(st, 5)};
    if (ch_window_state_parse(ch_stmt_cstr(st, 3), &w.state) != CH_OK)
        return ch_err_set(err, CH_E_INTERNAL, "window %lld has an unknown state", (long long)w.id);
    *ret = w;
    return CH_OK;
}

#define WINDOW_COLUMNS "id, model_id, org_id, state, starts_at, ends_at"

int ch_window_get(struct ch_store *s, int64_t id, struct ch_window *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT " WINDOW_COLUMNS " FROM eval_windows WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no window %lld", (long long)id);
    if (rc == 1)
        rc = read_window(st, ret, err);
    ch_stmt_reset(st);
    return rc;
}

static int add_event(struct ch_store *s, const struct ch_window *w, const char *kind,
                     int64_t due_at, int64_t now, bool *ret_new, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO eval_window_events (window_id, model_id, org_id, kind,"
                           " due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (window_id, kind) DO NOTHING",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, w->id);
    ch_stmt_bind_int(st, 2, w->model_id);
    ch_stmt_bind_int(st, 3, w->org_id);
    ch_stmt_bind_cstr(st, 4, kind);
    ch_stmt_bind_int(st, 5, due_at);
    ch_stmt_bind_int(st, 6, now);
    rc = ch_stmt_run(st, err);
    if (rc == CH_OK && ret_new != NULL)
        *ret_new = ch_store_changes(s) > 0;
    return rc;
}

static bool may_offer(const struct ch_eval_actor *a, const struct ch_models_model *m)
{
    if (ch_eval_actor_wide(a))
        return true;
    return (a->roles & CH_ROLE_DEVELOPER) != 0 && a->org_id == m->org_id;
}

int ch_window_offer(struct ch_store *s, const struct ch_eval_actor *a, const char *model_ref,
                    int64_t starts_at, int64_t ends_at, int64_t now, int64_t *ret_id,
                    struct ch_err *err)
{
    if (ends_at <= starts_at)
        return ch_err_setf(err, CH_E_INVALID, "ends_at", "a window ends after it starts");
    if (ends_at - starts_at > CH_WINDOW_MAX_SECONDS)
        return ch_err_setf(err, CH_E_INVALID, "ends_at",
                           "a window lasts at most %d days (this one: %.2f days)",
                           CH_WINDOW_MAX_DAYS, (double)(ends_at - starts_at) / CH_DAY_SECONDS);
    struct ch_models_model m = {0};
    int rc = ch_models_find(s, a, model_ref, &m, err);
    if (rc != CH_OK)
        return rc;
    if (!may_offer(a, &m)) {
        ch_models_release(&m);
        return ch_err_set(err, CH_E_PERM, "only the model's developer offers a window");
    }
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        ch_models_release(&m);
        return rc;
    }
    int64_t overlapping = 0;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "SELECT COUNT(*) FROM eval_windows WHERE model_id = ?"
                       " AND state IN ('offered', 'open', 'report_delivered')"
                       " AND starts_at < ? AND ? < ends_at",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, m.id);
        ch_stmt_bind_int(st, 2, ends_at);
        ch_stmt_bind_int(st, 3, starts_at);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            overlapping = ch_stmt_int(st, 0);
            rc = CH_OK;
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK && overlapping > 0)
        rc = ch_err_set(err, CH_E_CONFLICT, "model '%s@%s' already has a window then", m.name,
                        m.version);
    struct ch_window w = {.model_id = m.id,
                          .org_id = m.org_id,
                          .state = CH_WINDOW_OFFERED,
                          .starts_at = starts_at,
                          .ends_at = ends_at};
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "INSERT INTO eval_windows (model_id, org_id, state, starts_at, ends_at,"
                           " offered_at, created_by) VALUES (?, ?, 'offered', ?, ?, ?, ?)"
                           " RETURNING id",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, m.id);
        ch_stmt_bind_int(st, 2, m.org_id);
        ch_stmt_bind_int(st, 3, starts_at);
        ch_stmt_bind_int(st, 4, ends_at);
        ch_stmt_bind_int(st, 5, now);
        ch_stmt_bind_cstr(st, 6, a->name);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            w.id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_INTERNAL, "insert returned no id");
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK)
        rc = add_event(s, &w, "offered", now, now, NULL, err);
    if (rc == CH_OK) {
        char object[64];
        char details[160];
        snprintf(object, sizeof(object), "window:%lld", (long long)w.id);
        snprintf(details, sizeof(details), "{\"model\":%lld,\"starts_at\":%lld,\"ends_at\":%lld}",
                 (long long)m.id, (long long)starts_at, (long long)ends_at);
        rc = ch_eval_audit(s, a, "window.offer", object, details, now, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    ch_models_release(&m);
    if (rc == CH_OK && ret_id != NULL)
        *ret_id = w.id;
    return rc;
}

/* Whether the state machine has from → to. */
static bool edge(enum ch_window_state from, enum ch_window_state to)
{
    switch (to) {
    case CH_WINDOW_OPEN:
        return from == CH_WINDOW_OFFERED;
    case CH_WINDOW_REPORT_DELIVERED:
        return from == CH_WINDOW_OPEN;
    case CH_WINDOW_CLOSED:
        return from == CH_WINDOW_OFFERED || from == CH_WINDOW_OPEN ||
               from == CH_WINDOW_REPORT_DELIVERED;
    case CH_WINDOW_RELEASED:
        return from != CH_WINDOW_RELEASED;
    case CH_WINDOW_OFFERED:
    case CH_WINDOW_STATE_COUNT:
        break;
    }
    return false;
}

static bool may_move(const struct ch_eval_actor *a, const struct ch_window *w,
                     enum ch_window_state to)
{
    bool developer = (a->roles & CH_ROLE_DEVELOPER) != 0 && a->org_id == w->org_id;
    switch (to) {
    case CH_WINDOW_OPEN:
    case CH_WINDOW_REPORT_DELIVERED:
        return ch_eval_actor_evaluates(a);
    case CH_WINDOW_CLOSED:
        return ch_eval_actor_evaluates(a) || developer;
    case CH_WINDOW_RELEASED:
        return ch_eval_actor_wide(a) || developer;
    case CH_WINDOW_OFFERED:
    case CH_WINDOW_STATE_COUNT:
        break;
    }
    return false;
}

static const char *stamp_column(enum ch_window_state to)
{
    switch (to) {
    case CH_WINDOW_OPEN:
        return "UPDATE eval_windows SET state = ?, opened_at = ? WHERE id = ?"
               " AND state = ?";
    case CH_WINDOW_REPORT_DELIVERED:
        return "UPDATE eval_windows SET state = ?, delivered_at = ? WHERE id = ? AND state = ?";
    case CH_WINDOW_CLOSED:
        return "UPDATE eval_windows SET state = ?, closed_at = ? WHERE id = ? AND state = ?";
    case CH_WINDOW_RELEASED:
    case CH_WINDOW_OFFERED:
    case CH_WINDOW_STATE_COUNT:
        break;
    }
    return "UPDATE eval_windows SET state = ?, released_at = ? WHERE id = ? AND state = ?";
}

static bool visible(const struct ch_eval_actor *a, const struct ch_window *w)
{
    return ch_eval_actor_evaluates(a) ||
           ((a->roles & CH_ROLE_DEVELOPER) != 0 && a->org_id == w->org_id);
}

int ch_window_transition(struct ch_store *s, const struct ch_eval_actor *a, int64_t id,
                         enum ch_window_state to, int64_t now, struct ch_err *err)
{
    struct ch_window w;
    int rc = ch_window_get(s, id, &w, err);
    if (rc != CH_OK)
        return rc;
    if (!visible(a, &w))
        return ch_err_set(err, CH_E_NOTFOUND, "no window %lld", (long long)id);
    if (!may_move(a, &w, to))
        return ch_err_set(err, CH_E_PERM, "you may not move window %lld to %s", (long long)id,
                          ch_window_state_str(to));
    if (!edge(w.state, to))
        return ch_err_set(err, CH_E_CONFLICT, "window %lld is %s: it cannot become %s",
                          (long long)id, ch_window_state_str(w.state), ch_window_state_str(to));
    if (to == CH_WINDOW_OPEN && (now < w.starts_at || now >= w.ends_at))
        return ch_err_set(err, CH_E_CONFLICT, "window %lld opens only between its start and end",
                          (long long)id);
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s, stamp_column(to), &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, ch_window_state_str(to));
        ch_stmt_bind_int(st, 2, now);
        ch_stmt_bind_int(st, 3, id);
        ch_stmt_bind_cstr(st, 4, ch_window_state_str(w.state));
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK && ch_store_changes(s) == 0)
        rc = ch_err_set(err, CH_E_CONFLICT, "window %lld changed meanwhile", (long long)id);
    if (rc == CH_OK && to == CH_WINDOW_RELEASED) {
        rc = ch_store_stmt(s, "UPDATE eval_models SET prerelease = 0 WHERE id = ?", &st, err);
        if (rc == CH_OK) {
            ch_stmt_bind_int(st, 1, w.model_id);
            rc = ch_stmt_run(st, err);
        }
    }
    if (rc == CH_OK)
        rc = add_event(s, &w, ch_window_state_str(to), now, now, NULL, err);
    if (rc == CH_OK) {
        char object[64];
        char action[48];
        snprintf(object, sizeof(object), "window:%lld", (long long)id);
        snprintf(action, sizeof(action), "window.%s", ch_window_state_str(to));
        rc = ch_eval_audit(s, a, action, object, NULL, now, err);
    }
    if (rc == CH_OK)
        return ch_store_commit(s, err);
    ch_store_rollback(s);
    return rc;
}

int ch_window_active(struct ch_store *s, int64_t model_id, int64_t now, int64_t *ret_id,
                     struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id FROM eval_windows WHERE model_id = ?"
                           " AND state IN ('open', 'report_delivered')"
                           " AND starts_at <= ? AND ? < ends_at ORDER BY id LIMIT 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, model_id);
    ch_stmt_bind_int(st, 2, now);
    ch_stmt_bind_int(st, 3, now);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    *ret_id = rc == 1 ? ch_stmt_int(st, 0) : 0;
    ch_stmt_reset(st);
    return CH_OK;
}

int ch_window_attach_run(struct ch_store *s, const struct ch_eval_actor *a, int64_t id,
                         int64_t run_id, int64_t now, struct ch_err *err)
{
    if (!ch_eval_actor_evaluates(a))
        return ch_err_set(err, CH_E_PERM, "only evaluators tie runs to windows");
    struct ch_window w;
    int rc = ch_window_get(s, id, &w, err);
    if (rc != CH_OK)
        return rc;
    if (!ch_window_is_active(&w, now))
        return ch_err_set(err, CH_E_PERM, "window %lld is not open now", (long long)id);
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    rc = ch_models_attach_run(s, w.model_id, run_id, id, now, err);
    if (rc == CH_OK) {
        char object[64];
        char details[64];
        snprintf(object, sizeof(object), "window:%lld", (long long)id);
        snprintf(details, sizeof(details), "{\"run\":%lld}", (long long)run_id);
        rc = ch_eval_audit(s, a, "window.attach_run", object, details, now, err);
    }
    if (rc == CH_OK)
        return ch_store_commit(s, err);
    ch_store_rollback(s);
    return rc;
}

int ch_window_tick(struct ch_store *s, int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    /* Windows whose first notice may be due: ending within 7 days, or ended, not notified. */
    int rc = ch_store_prepare(s,
                              "SELECT " WINDOW_COLUMNS " FROM eval_windows"
                              " WHERE state IN ('offered', 'open', 'report_delivered')"
                              " AND ends_at - 604800 <= ? AND NOT EXISTS (SELECT 1 FROM"
                              " eval_window_events e WHERE e.window_id = eval_windows.id"
                              " AND e.kind = 'ended') ORDER BY id LIMIT 10000",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    struct ch_window due[64];
    size_t n = 0;
    while (n < sizeof(due) / sizeof(due[0]) && (rc = ch_stmt_step(st, err)) == 1) {
        rc = read_window(st, &due[n], err);
        if (rc != CH_OK)
            break;
        n++;
    }
    ch_stmt_free(st);
    if (rc < 0)
        return rc;
    int made = 0;
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    for (size_t i = 0; i < n && rc == CH_OK; i++) {
        const struct ch_window *w = &due[i];
        int64_t len = w->ends_at - w->starts_at;
        static const struct {
            const char *kind;
            int64_t before;
        } notices[] = {{"ends_in_7d", 7 * CH_DAY_SECONDS}, {"ends_in_1d", CH_DAY_SECONDS}};
        for (size_t k = 0; k < 2 && rc == CH_OK; k++) {
            int64_t due_at = w->ends_at - notices[k].before;
            bool is_new = false;
            if (len > notices[k].before && now >= due_at && now < w->ends_at)
                rc = add_event(s, w, notices[k].kind, due_at, now, &is_new, err);
            made += is_new ? 1 : 0;
        }
        bool is_new = false;
        if (rc == CH_OK && now >= w->ends_at)
            rc = add_event(s, w, "ended", w->ends_at, now, &is_new, err);
        made += is_new ? 1 : 0;
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    return rc == CH_OK ? made : rc;
}

int ch_window_list_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t model_id,
                        int64_t now, struct ch_jw *w, struct ch_err *err)
{
    int rc = ch_window_tick(s, now, err);
    if (rc < 0)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_prepare(s,
                          "SELECT w.id, w.model_id, w.org_id, w.state, w.starts_at, w.ends_at,"
                          " m.name, m.version FROM eval_windows w JOIN eval_models m"
                          " ON m.id = w.model_id WHERE (CAST(? AS BIGINT) = 0 OR w.model_id = ?)"
                          " ORDER BY w.id LIMIT 10000",
                          &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, model_id);
    ch_stmt_bind_int(st, 2, model_id);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct ch_window x;
        rc = read_window(st, &x, err);
        if (rc != CH_OK)
            break;
        if (!visible(a, &x))
            continue;
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", x.id);
        ch_jw_kint(w, "model_id", x.model_id);
        ch_jw_kstr(w, "model", ch_stmt_text(st, 6).ptr);
        ch_jw_kstr(w, "version", ch_stmt_text(st, 7).ptr);
        ch_jw_kstr(w, "state", ch_window_state_str(x.state));
        ch_jw_ktime(w, "starts_at", x.starts_at);
        ch_jw_ktime(w, "ends_at", x.ends_at);
        ch_jw_kbool(w, "active", ch_window_is_active(&x, now));
        ch_jw_kbool(w, "ended", now >= x.ends_at);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}

int ch_window_events_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t after_id,
                          struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_prepare(s,
                              "SELECT id, window_id, model_id, org_id, kind, due_at, created_at"
                              " FROM eval_window_events WHERE id > ? ORDER BY id LIMIT ?",
                              &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, after_id);
    ch_stmt_bind_int(st, 2, CH_WINDOW_MAX_EVENTS);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct ch_window x = {.org_id = ch_stmt_int(st, 3)};
        if (!visible(a, &x))
            continue;
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kint(w, "window_id", ch_stmt_int(st, 1));
        ch_jw_kint(w, "model_id", ch_stmt_int(st, 2));
        ch_jw_kstr(w, "kind", ch_stmt_text(st, 4).ptr);
        ch_jw_ktime(w, "due_at", ch_stmt_int(st, 5));
        ch_jw_ktime(w, "created_at", ch_stmt_int(st, 6));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    ch_stmt_free(st);
    return rc < 0 ? rc : CH_OK;
}
