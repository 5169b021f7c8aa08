/* SPDX-License-Identifier: Apache-2.0
 *
 * lifecycle.c: manual status changes of exposures and their listings
 * (exposure.h). The engine (engine.c) sets "remediated" and reopens; people
 * move exposures between open, in_progress, risk_accepted and not_affected.
 */
#include "remediate/exposure.h"

#include <stdio.h>
#include <string.h>

#include "remediate/internal.h"

static const char *const status_names[] = {"open", "in_progress", "remediated", "risk_accepted",
                                           "not_affected"};

/* OpenVEX 0.2.0 status justifications. */
static const char *const vex_justifications[] = {
    "component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"};

const char *ch_exposure_status_name(enum ch_exposure_status s)
{
    return (unsigned)s < CH_ARRAY_SIZE(status_names) ? status_names[s] : NULL;
}

int ch_exposure_status_parse(const char *s, enum ch_exposure_status *ret)
{
    for (size_t i = 0; s != NULL && i < CH_ARRAY_SIZE(status_names); i++) {
        if (strcmp(s, status_names[i]) == 0) {
            *ret = (enum ch_exposure_status)i;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

bool ch_vex_justification_valid(const char *s)
{
    for (size_t i = 0; s != NULL && i < CH_ARRAY_SIZE(vex_justifications); i++) {
        if (strcmp(s, vex_justifications[i]) == 0)
            return true;
    }
    return false;
}

/* Whether people may move an exposure from one status to another. */
static bool allowed(enum ch_exposure_status from, enum ch_exposure_status to)
{
    switch (from) {
    case CH_EXPOSURE_OPEN:
        return to == CH_EXPOSURE_IN_PROGRESS || to == CH_EXPOSURE_RISK_ACCEPTED ||
               to == CH_EXPOSURE_NOT_AFFECTED;
    case CH_EXPOSURE_IN_PROGRESS:
        return to == CH_EXPOSURE_OPEN || to == CH_EXPOSURE_RISK_ACCEPTED ||
               to == CH_EXPOSURE_NOT_AFFECTED;
    case CH_EXPOSURE_RISK_ACCEPTED:
    case CH_EXPOSURE_NOT_AFFECTED:
        return to == CH_EXPOSURE_OPEN || to == CH_EXPOSURE_IN_PROGRESS;
    case CH_EXPOSURE_REMEDIATED:
    case CH_EXPOSURE_STATUS_COUNT:
        break;
    }
    return false;
}

static bool text_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) <= CH_EXPOSURE_MAX_TEXT;
}

static int validate(const struct ch_rem_ctx *ctx, const struct ch_exposure_transition *t,
                    struct ch_err *err)
{
    if (!text_ok(t->reason))
        return ch_err_setf(err, CH_E_INVALID, "reason", "a reason (1-%d bytes) is required",
                           CH_EXPOSURE_MAX_TEXT);
    if (t->to == CH_EXPOSURE_RISK_ACCEPTED) {
        if (!text_ok(t->justification))
            return ch_err_setf(err, CH_E_INVALID, "justification",
                               "risk acceptance needs a justification");
        if (!text_ok(t->approver))
            return ch_err_setf(err, CH_E_INVALID, "approver", "risk acceptance needs an approver");
        if (t->expires_at <= ctx->now)
            return ch_err_setf(err, CH_E_INVALID, "expires",
                               "risk acceptance needs an expiry in the future");
    }
    if (t->to == CH_EXPOSURE_NOT_AFFECTED && !ch_vex_justification_valid(t->vex_justification))
        return ch_err_setf(err, CH_E_INVALID, "justification",
                           "not_affected needs a VEX justification: component_not_present,"
                           " vulnerable_code_not_present, vulnerable_code_not_in_execute_path,"
                           " vulnerable_code_cannot_be_controlled_by_adversary or"
                           " inline_mitigations_already_exist");
    return CH_OK;
}

static int current_status(struct ch_store *s, int64_t scope_org, int64_t id,
                          enum ch_exposure_status *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT org_id, status FROM exposures WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    bool visible = rc == 1 && (scope_org == 0 || ch_stmt_int(st, 0) == scope_org);
    if (visible && ch_exposure_status_parse(ch_stmt_cstr(st, 1), ret) != CH_OK)
        rc = ch_err_set(err, CH_E_INTERNAL, "exposure %lld has an unknown status", (long long)id);
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    if (!visible)
        return ch_err_setf(err, CH_E_NOTFOUND, "exposure", "exposure %lld not found",
                           (long long)id);
    return CH_OK;
}

int ch_exposure_transition(const struct ch_rem_ctx *ctx, int64_t scope_org, int64_t exposure_id,
                           const struct ch_exposure_transition *t, struct ch_err *err)
{
    int rc = validate(ctx, t, err);
    if (rc != CH_OK)
        return rc;
    struct ch_store *s = ctx->store;
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    enum ch_exposure_status from = CH_EXPOSURE_OPEN;
    rc = current_status(s, scope_org, exposure_id, &from, err);
    if (rc == CH_OK && !allowed(from, t->to))
        rc = ch_err_setf(err, CH_E_CONFLICT, "status", "an exposure cannot go from %s to %s%s",
                         ch_exposure_status_name(from), ch_exposure_status_name(t->to),
                         t->to == CH_EXPOSURE_REMEDIATED
                             ? " by hand (attach an inventory without the affected version)"
                             : "");
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE exposures SET status = ?, status_at = ?, risk_justification = ?,"
                           " risk_approver = ?, risk_expires_at = ?, vex_justification = ?,"
                           " updated_at = ? WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        bool risk = t->to == CH_EXPOSURE_RISK_ACCEPTED;
        ch_stmt_bind_cstr(st, 1, ch_exposure_status_name(t->to));
        ch_stmt_bind_int(st, 2, ctx->now);
        ch_stmt_bind_cstr(st, 3, risk ? t->justification : NULL);
        ch_stmt_bind_cstr(st, 4, risk ? t->approver : NULL);
        if (risk)
            ch_stmt_bind_int(st, 5, t->expires_at);
        else
            ch_stmt_bind_null(st, 5);
        ch_stmt_bind_cstr(st, 6, t->to == CH_EXPOSURE_NOT_AFFECTED ? t->vex_justification : NULL);
        ch_stmt_bind_int(st, 7, ctx->now);
        ch_stmt_bind_int(st, 8, exposure_id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = ch_rem__write_transition(ctx, exposure_id, ch_exposure_status_name(from),
                                      ch_exposure_status_name(t->to), t->reason, err);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    return rc;
}

/* ---- listings --------------------------------------------------------- */

#define EXPOSURE_COLUMNS                                                                           \
    "SELECT x.id, o.slug, a.name, v.display_id, x.ecosystem, x.package, x.version, x.fixed,"       \
    " x.status, x.detected_at, x.due_at, x.directives, x.outcome, x.kev, x.cvss,"                  \
    " x.exploitation, x.automatable, x.technical_impact, x.ssvc_source, x.advisories,"             \
    " x.forensic, x.risk_justification, x.risk_approver, x.risk_expires_at,"                       \
    " x.vex_justification, x.remediated_at, x.asset_id, x.kev_due"                                 \
    " FROM exposures x JOIN assets a ON a.id = x.asset_id JOIN orgs o ON o.id = x.org_id"          \
    " JOIN vulns v ON v.id = x.vuln_id"

static void opt_time(struct ch_jw *w, const char *key, struct ch_stmt *st, int col)
{
    ch_jw_ktime(w, key, ch_stmt_is_null(st, col) ? -1 : ch_stmt_int(st, col));
}

static void exposure_row_json(struct ch_stmt *st, int64_t now, struct ch_jw *w)
{
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kstr(w, "org", ch_stmt_cstr(st, 1));
    ch_jw_kint(w, "asset_id", ch_stmt_int(st, 26));
    ch_jw_kstr(w, "asset", ch_stmt_cstr(st, 2));
    ch_jw_kstr(w, "vulnerability", ch_stmt_cstr(st, 3));
    ch_jw_kstr(w, "ecosystem", ch_stmt_cstr(st, 4));
    ch_jw_kstr(w, "package", ch_stmt_cstr(st, 5));
    ch_jw_kstr(w, "version", ch_stmt_cstr(st, 6));
    ch_jw_kstr(w, "fixed", ch_stmt_cstr(st, 7));
    const char *status = ch_stmt_cstr(st, 8);
    ch_jw_kstr(w, "status", status);
    ch_jw_ktime(w, "detected_at", ch_stmt_int(st, 9));
    opt_time(w, "due", st, 10);
    bool active = strcmp(status, "open") == 0 || strcmp(status, "in_progress") == 0;
    ch_jw_kbool(w, "overdue", active && !ch_stmt_is_null(st, 10) && now > ch_stmt_int(st, 10));
    ch_jw_kstr(w, "directives", ch_stmt_cstr(st, 11));
    ch_jw_kstr(w, "outcome", ch_stmt_cstr(st, 12));
    ch_jw_kbool(w, "kev", ch_stmt_int(st, 13) != 0);
    opt_time(w, "kev_due", st, 27);
    if (ch_stmt_is_null(st, 14)) {
        ch_jw_key(w, "cvss");
        ch_jw_null(w);
    } else {
        ch_jw_kdouble(w, "cvss", ch_stmt_double(st, 14));
    }
    ch_jw_key(w, "ssvc");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "exploitation", ch_stmt_cstr(st, 15));
    ch_jw_kstr(w, "automatable", ch_stmt_cstr(st, 16));
    ch_jw_kstr(w, "technical_impact", ch_stmt_cstr(st, 17));
    ch_jw_kstr(w, "source", ch_stmt_cstr(st, 18));
    ch_jw_obj_close(w);
    ch_jw_kstr(w, "advisories", ch_stmt_cstr(st, 19));
    ch_jw_kbool(w, "forensic_triage", ch_stmt_int(st, 20) != 0);
    if (!ch_stmt_is_null(st, 21)) {
        ch_jw_key(w, "risk_acceptance");
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "justification", ch_stmt_cstr(st, 21));
        ch_jw_kstr(w, "approver", ch_stmt_cstr(st, 22));
        opt_time(w, "expires", st, 23);
        ch_jw_obj_close(w);
    }
    if (!ch_stmt_is_null(st, 24))
        ch_jw_kstr(w, "vex_justification", ch_stmt_cstr(st, 24));
    opt_time(w, "remediated_at", st, 25);
}

int ch_exposure_list_json(struct ch_store *s, const struct ch_exposure_filter *f, int64_t now,
                          struct ch_jw *w, struct ch_err *err)
{
    size_t limit =
        f->limit == 0 || f->limit > CH_EXPOSURE_MAX_LIST ? CH_EXPOSURE_MAX_LIST : f->limit;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s,
        EXPOSURE_COLUMNS
        " WHERE (CAST(? AS BIGINT) = 0 OR x.org_id = ?) AND (CAST(? AS BIGINT) = 0 OR x.asset_id = "
        "?)"
        " AND (CAST(? AS TEXT) IS NULL OR x.status = ?)"
        " AND (CAST(? AS BIGINT) = 0 OR x.status IN ('open', 'in_progress'))"
        " AND (CAST(? AS BIGINT) = 0 OR (x.due_at IS NOT NULL AND x.due_at < ?))"
        " ORDER BY CASE WHEN x.due_at IS NULL THEN 1 ELSE 0 END, x.due_at, x.id LIMIT ?",
        &st, err);
    if (rc != CH_OK)
        return rc;
    const char *status = f->status >= 0 ? ch_exposure_status_name(f->status) : NULL;
    bool active = f->status == -2 || f->overdue_only;
    ch_stmt_bind_int(st, 1, f->scope_org);
    ch_stmt_bind_int(st, 2, f->scope_org);
    ch_stmt_bind_int(st, 3, f->asset_id);
    ch_stmt_bind_int(st, 4, f->asset_id);
    ch_stmt_bind_cstr(st, 5, status);
    ch_stmt_bind_cstr(st, 6, status);
    ch_stmt_bind_int(st, 7, active ? 1 : 0);
    ch_stmt_bind_int(st, 8, f->overdue_only ? 1 : 0);
    ch_stmt_bind_int(st, 9, now);
    ch_stmt_bind_int(st, 10, (int64_t)limit);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        exposure_row_json(st, now, w);
        ch_jw_obj_close(w);
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

#define TRANSITION_COLUMNS "SELECT id, from_status, to_status, at, actor, reason"

/* The members of one transition row (columns of TRANSITION_COLUMNS after the id). */
static void transition_row_json(struct ch_stmt *st, struct ch_jw *w)
{
    ch_jw_kstr(w, "from", ch_stmt_cstr(st, 1));
    ch_jw_kstr(w, "to", ch_stmt_cstr(st, 2));
    ch_jw_ktime(w, "at", ch_stmt_int(st, 3));
    ch_jw_kstr(w, "actor", ch_stmt_cstr(st, 4));
    ch_jw_kstr(w, "reason", ch_stmt_cstr(st, 5));
}

static int transitions_json(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s, TRANSITION_COLUMNS " FROM exposure_transitions WHERE exposure_id = ? ORDER BY at, id",
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_key(w, "transitions");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        transition_row_json(st, w);
        ch_jw_obj_close(w);
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

int ch_exposure_transitions_json(struct ch_store *s, int64_t scope_org, int64_t exposure_id,
                                 int64_t after, size_t limit, struct ch_jw *w, int64_t *ret_next,
                                 struct ch_err *err)
{
    enum ch_exposure_status status = CH_EXPOSURE_OPEN;
    int rc = current_status(s, scope_org, exposure_id, &status, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           TRANSITION_COLUMNS " FROM exposure_transitions WHERE exposure_id = ?"
                                              " AND id > ? ORDER BY id LIMIT ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, exposure_id);
    ch_stmt_bind_int(st, 2, after);
    /* one row more than asked says whether another page follows */
    ch_stmt_bind_int(st, 3, (int64_t)limit + 1);
    int64_t last = 0, next = 0;
    size_t n = 0;
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (n == limit) {
            next = last;
            break;
        }
        last = ch_stmt_int(st, 0);
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", last);
        transition_row_json(st, w);
        ch_jw_obj_close(w);
        n++;
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(w);
    if (rc < 0)
        return rc;
    *ret_next = next;
    return CH_OK;
}

static int deadlines_json(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT directive, computed_at, applies, inputs, outcome, action,"
                           " clock_start, tier_met, due, forensic FROM exposure_deadlines"
                           " WHERE exposure_id = ? ORDER BY computed_at, id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_key(w, "deadlines");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "directive", ch_stmt_cstr(st, 0));
        ch_jw_ktime(w, "decided_at", ch_stmt_int(st, 1));
        ch_jw_kbool(w, "applies", ch_stmt_int(st, 2) != 0);
        ch_jw_kstr(w, "inputs", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "outcome", ch_stmt_cstr(st, 4));
        ch_jw_kstr(w, "action", ch_stmt_cstr(st, 5));
        opt_time(w, "clock_start", st, 6);
        opt_time(w, "tier_met", st, 7);
        opt_time(w, "due", st, 8);
        ch_jw_kbool(w, "forensic_triage", ch_stmt_int(st, 9) != 0);
        ch_jw_obj_close(w);
    }
    ch_stmt_reset(st);
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

int ch_exposure_show_json(struct ch_store *s, int64_t scope_org, int64_t exposure_id, int64_t now,
                          struct ch_jw *w, struct ch_err *err)
{
    enum ch_exposure_status status = CH_EXPOSURE_OPEN;
    int rc = current_status(s, scope_org, exposure_id, &status, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s, EXPOSURE_COLUMNS " WHERE x.id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, exposure_id);
    rc = ch_stmt_step(st, err);
    if (rc != 1) {
        ch_stmt_reset(st);
        return rc < 0 ? rc
                      : ch_err_setf(err, CH_E_NOTFOUND, "exposure", "exposure %lld not found",
                                    (long long)exposure_id);
    }
    ch_jw_obj_open(w);
    exposure_row_json(st, now, w);
    ch_stmt_reset(st);
    rc = transitions_json(s, exposure_id, w, err);
    if (rc == CH_OK)
        rc = deadlines_json(s, exposure_id, w, err);
    ch_jw_obj_close(w);
    return rc;
}
