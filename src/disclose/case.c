/* SPDX-License-Identifier: Apache-2.0
 *
 * case.c: disclosure cases, their embargo, fix verification and
 * publication (see case.h).
 */
#include "disclose/case.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "disclose/internal.h"
#include "vuln/csaf.h"
#include "vuln/kb.h"
#include "vuln/osv.h"

/* Arena for reading back what we publish (one OSV record, one CSAF document). */
#define PUBLISH_ARENA_MAX ((size_t)16 << 20)
/* Cases a list returns at most. */
#define CASE_LIST_MAX 1000
/* Advisory numbers per year: CH-YYYY-NNNN has room for more, but a bound catches a runaway. */
#define MAX_ADVISORIES_PER_YEAR 9999999

static const char *const state_names[CH_CASE_STATE_COUNT] = {
    "new",           "validated", "triaged",  "vendor_notified",
    "fix_available", "published", "rejected", "duplicate",
};

#define BIT(s) (1u << (s))
/* Edges ch_case_transition() takes; fix_available and published have their own functions. */
static const unsigned edges[CH_CASE_STATE_COUNT] = {
    [CH_CASE_NEW] = BIT(CH_CASE_VALIDATED) | BIT(CH_CASE_REJECTED) | BIT(CH_CASE_DUPLICATE),
    [CH_CASE_VALIDATED] = BIT(CH_CASE_TRIAGED) | BIT(CH_CASE_REJECTED) | BIT(CH_CASE_DUPLICATE),
    [CH_CASE_TRIAGED] =
        BIT(CH_CASE_VENDOR_NOTIFIED) | BIT(CH_CASE_REJECTED) | BIT(CH_CASE_DUPLICATE),
    [CH_CASE_VENDOR_NOTIFIED] = BIT(CH_CASE_REJECTED) | BIT(CH_CASE_DUPLICATE),
    [CH_CASE_FIX_AVAILABLE] = 0,
    [CH_CASE_PUBLISHED] = 0,
    [CH_CASE_REJECTED] = 0,
    [CH_CASE_DUPLICATE] = 0,
};
/* States from which a fix may be verified. */
static const unsigned fixable =
    BIT(CH_CASE_VALIDATED) | BIT(CH_CASE_TRIAGED) | BIT(CH_CASE_VENDOR_NOTIFIED);

const char *ch_case_state_name(enum ch_case_state s)
{
    return (unsigned)s < CH_CASE_STATE_COUNT ? state_names[s] : NULL;
}

int ch_case_state_parse(const char *s, enum ch_case_state *ret)
{
    for (unsigned i = 0; s != NULL && i < CH_CASE_STATE_COUNT; i++) {
        if (strcmp(s, state_names[i]) == 0) {
            *ret = (enum ch_case_state)i;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

/* ---- loading --------------------------------------------------------------------------- */

struct case_row {
    int64_t id;
    int64_t finding_id;
    enum ch_case_state state;
    bool exploited;
    int64_t embargo_days;
    int64_t embargo_until; /* -1: not started */
    char fix_version[130];
    char finding_state[32];
    struct ch_disclose__scope scope;
};

static int case_load(struct ch_store *s, const struct ch_disclose_actor *a, int64_t id,
                     struct case_row *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT c.finding_id, c.state, c.exploited, c.embargo_days,"
                           " c.embargo_until, c.fix_version, f.org_id, f.classification, f.state"
                           " FROM disclose_cases c JOIN disclose_findings f ON f.id = c.finding_id"
                           " WHERE c.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no case %lld", (long long)id);
    struct case_row r = {
        .id = id,
        .finding_id = ch_stmt_int(st, 0),
        .exploited = ch_stmt_int(st, 2) != 0,
        .embargo_days = ch_stmt_int(st, 3),
        .embargo_until = ch_stmt_is_null(st, 4) ? -1 : ch_stmt_int(st, 4),
        .scope = {.org_id = ch_stmt_int(st, 6), .case_id = id},
    };
    bool ok = ch_case_state_parse(ch_stmt_cstr(st, 1), &r.state) == CH_OK;
    snprintf(r.fix_version, sizeof(r.fix_version), "%s",
             ch_stmt_cstr(st, 5) != NULL ? ch_stmt_cstr(st, 5) : "");
    if (ch_clearance_parse(ch_stmt_cstr(st, 7), &r.scope.classification) != CH_OK)
        r.scope.classification = CH_CLEAR_TOP_SECRET;
    snprintf(r.finding_state, sizeof(r.finding_state), "%s", ch_stmt_cstr(st, 8));
    ch_stmt_reset(st);
    if (!ok)
        return ch_err_set(err, CH_E_INTERNAL, "case %lld has an unknown state", (long long)id);
    bool vis = false;
    rc = ch_disclose__visible(s, a, &r.scope, &vis, err);
    if (rc != CH_OK)
        return rc;
    if (!vis)
        return ch_err_set(err, CH_E_NOTFOUND, "no case %lld", (long long)id);
    *ret = r;
    return CH_OK;
}

static int need_wide(const struct ch_disclose_actor *a, struct ch_err *err)
{
    if (!ch_disclose__wide(a))
        return ch_err_set(err, CH_E_PERM, "managing disclosure cases needs the analyst role");
    return CH_OK;
}

/*
 * Appends a row to the case's history: every change of a case passes here,
 * so this is also where its case_state webhook event is queued.
 */
static int add_event(struct ch_store *s, const struct ch_disclose_actor *a, int64_t id,
                     const char *from, const char *to, const char *note, int64_t now,
                     struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO disclose_case_events (case_id, at, actor, from_state,"
                           " to_state, note) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_stmt_bind_int(st, 2, now);
    ch_stmt_bind_cstr(st, 3, a->name != NULL ? a->name : "cli");
    ch_stmt_bind_cstr(st, 4, from);
    ch_stmt_bind_cstr(st, 5, to);
    ch_stmt_bind_cstr(st, 6, note);
    rc = ch_stmt_step(st, err);
    int64_t event_id = rc == 1 ? ch_stmt_int(st, 0) : 0;
    ch_stmt_reset(st);
    if (rc == 0)
        return ch_err_set(err, CH_E_DB, "insert returned no id");
    if (rc < 0)
        return rc;
    return ch_disclose__case_event(s, id, event_id, from, to, now, err);
}

/* Audit entry "case.<verb>" for case id with details; inside the transaction. */
static int audit_case(struct ch_store *s, const struct ch_disclose_actor *a, const char *action,
                      int64_t id, const char *details, int64_t now, struct ch_err *err)
{
    char object[48];
    snprintf(object, sizeof(object), "case:%lld", (long long)id);
    return ch_disclose__audit(s, a, action, object, details, now, err);
}

/* UPDATE ... WHERE state = from: a concurrent change makes it CH_E_CONFLICT. */
static int set_state(struct ch_store *s, int64_t id, enum ch_case_state from, enum ch_case_state to,
                     int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "UPDATE disclose_cases SET state = ?, updated_at = ?"
                           " WHERE id = ? AND state = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, state_names[to]);
    ch_stmt_bind_int(st, 2, now);
    ch_stmt_bind_int(st, 3, id);
    ch_stmt_bind_cstr(st, 4, state_names[from]);
    rc = ch_stmt_run(st, err);
    if (rc == CH_OK && ch_store_changes(s) != 1)
        rc =
            ch_err_set(err, CH_E_CONFLICT, "case %lld changed meanwhile; try again", (long long)id);
    return rc;
}

static int finish_tx(struct ch_store *s, int rc, struct ch_err *err)
{
    if (rc == CH_OK)
        return ch_store_commit(s, err);
    ch_store_rollback(s);
    return rc;
}

/* ---- opening and moving ---------------------------------------------------------------- */

static int add_participant_row(struct ch_store *s, int64_t id, int64_t org, const char *role,
                               int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO disclose_participants (case_id, org_id, role, added_at)"
                           " VALUES (?, ?, ?, ?) ON CONFLICT (case_id, org_id) DO NOTHING",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_stmt_bind_int(st, 2, org);
    ch_stmt_bind_cstr(st, 3, role);
    ch_stmt_bind_int(st, 4, now);
    return ch_stmt_run(st, err);
}

int ch_case_open(struct ch_store *s, const struct ch_disclose_actor *actor,
                 const struct ch_case_open *o, int64_t now, int64_t *ret_id, struct ch_err *err)
{
    int rc = need_wide(actor, err);
    if (rc != CH_OK)
        return rc;
    struct ch_disclose__scope sc;
    rc = ch_disclose__finding_scope(s, actor, o->finding_id, &sc, err);
    if (rc != CH_OK)
        return rc;
    int64_t days = o->embargo_days;
    int64_t xdays = o->exploited_embargo_days > 0 ? o->exploited_embargo_days
                                                  : CH_CASE_DEFAULT_EXPLOITED_EMBARGO_DAYS;
    if (days < 0 || days > CH_CASE_MAX_EMBARGO_DAYS || xdays > CH_CASE_MAX_EMBARGO_DAYS)
        return ch_err_setf(err, CH_E_INVALID, "embargo_days", "embargo: 1 to %d days",
                           CH_CASE_MAX_EMBARGO_DAYS);
    if (days == 0)
        days = CH_CASE_DEFAULT_EMBARGO_DAYS;
    if (o->exploited && xdays < days)
        days = xdays;
    if (o->n_participants > CH_CASE_MAX_PARTICIPANTS)
        return ch_err_setf(err, CH_E_LIMIT, "participants", "more than %d participants",
                           CH_CASE_MAX_PARTICIPANTS);
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    int64_t id = 0;
    rc = ch_store_stmt(s,
                       "INSERT INTO disclose_cases (finding_id, state, exploited, embargo_days,"
                       " opened_at, opened_by, updated_at) VALUES (?, 'new', ?, ?, ?, ?, ?)"
                       " RETURNING id",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, o->finding_id);
        ch_stmt_bind_int(st, 2, o->exploited ? 1 : 0);
        ch_stmt_bind_int(st, 3, days);
        ch_stmt_bind_int(st, 4, now);
        ch_stmt_bind_cstr(st, 5, actor->name != NULL ? actor->name : "cli");
        ch_stmt_bind_int(st, 6, now);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            id = ch_stmt_int(st, 0);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_DB, "insert returned no id");
        }
        ch_stmt_reset(st);
        if (rc == CH_E_CONFLICT) {
            ch_err_clear(err);
            rc = ch_err_set(err, CH_E_CONFLICT, "finding %lld already has a case",
                            (long long)o->finding_id);
        }
    }
    if (rc == CH_OK)
        rc = add_participant_row(s, id, sc.org_id, "reporter", now, err);
    if (rc == CH_OK && o->vendor_org_id != 0)
        rc = add_participant_row(s, id, o->vendor_org_id, "vendor", now, err);
    for (size_t i = 0; i < o->n_participants && rc == CH_OK; i++)
        rc = add_participant_row(s, id, o->participant_orgs[i], "coordinator", now, err);
    if (rc == CH_OK)
        rc = add_event(s, actor, id, NULL, "new", NULL, now, err);
    if (rc == CH_OK) {
        char details[160];
        snprintf(details, sizeof(details),
                 "{\"finding\": %lld, \"embargo_days\": %lld, \"exploited\": %s}",
                 (long long)o->finding_id, (long long)days, o->exploited ? "true" : "false");
        rc = audit_case(s, actor, "case.open", id, details, now, err);
    }
    rc = finish_tx(s, rc, err);
    if (rc == CH_OK)
        *ret_id = id;
    return rc;
}

static void allowed_list(unsigned bits, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < CH_CASE_STATE_COUNT; i++) {
        if ((bits & BIT(i)) == 0)
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used > 0 ? ", " : "", state_names[i]);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(out, size, "none");
}

int ch_case_transition(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                       enum ch_case_state to, const char *note, int64_t now, struct ch_err *err)
{
    int rc = need_wide(actor, err);
    if (rc != CH_OK)
        return rc;
    if ((unsigned)to >= CH_CASE_STATE_COUNT)
        return ch_err_set(err, CH_E_INVALID, "unknown case state");
    if (note != NULL && strlen(note) > CH_CASE_MAX_NOTE)
        return ch_err_setf(err, CH_E_LIMIT, "note", "note longer than %d bytes", CH_CASE_MAX_NOTE);
    if (to == CH_CASE_FIX_AVAILABLE)
        return ch_err_set(err, CH_E_CONFLICT,
                          "fix_available needs a fix verification (case verify-fix)");
    if (to == CH_CASE_PUBLISHED)
        return ch_err_set(err, CH_E_CONFLICT, "publishing is done by case publish");
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct case_row c = {0};
    rc = case_load(s, actor, id, &c, err);
    if (rc == CH_OK && (edges[c.state] & BIT(to)) == 0) {
        char allowed[160];
        allowed_list(edges[c.state], allowed, sizeof(allowed));
        rc = ch_err_set(err, CH_E_CONFLICT, "case %lld is %s: it may move to %s, not %s",
                        (long long)id, state_names[c.state], allowed, state_names[to]);
    }
    if (rc == CH_OK && to == CH_CASE_VALIDATED && strcmp(c.finding_state, "reproduced") != 0 &&
        strcmp(c.finding_state, "flaky") != 0)
        rc = ch_err_set(err, CH_E_CONFLICT,
                        "finding %lld is %s: validate it (finding validate) until it reproduces",
                        (long long)c.finding_id, c.finding_state);
    if (rc == CH_OK)
        rc = set_state(s, id, c.state, to, now, err);
    int64_t until = c.embargo_until;
    if (rc == CH_OK && to == CH_CASE_VALIDATED) {
        /* the embargo runs from validation */
        until = now + c.embargo_days * CH_DAY_SECONDS;
        struct ch_stmt *st = NULL;
        rc = ch_store_stmt(s,
                           "UPDATE disclose_cases SET validated_at = ?, embargo_until = ?"
                           " WHERE id = ?",
                           &st, err);
        if (rc == CH_OK) {
            ch_stmt_bind_int(st, 1, now);
            ch_stmt_bind_int(st, 2, until);
            ch_stmt_bind_int(st, 3, id);
            rc = ch_stmt_run(st, err);
        }
    }
    if (rc == CH_OK)
        rc = add_event(s, actor, id, state_names[c.state], state_names[to], note, now, err);
    if (rc == CH_OK) {
        char t[CH_TIME_STR_MAX];
        char details[192];
        snprintf(details, sizeof(details),
                 "{\"from\": \"%s\", \"to\": \"%s\", \"embargo_until\": %s%s%s}",
                 state_names[c.state], state_names[to], until >= 0 ? "\"" : "",
                 until >= 0 ? ch_time_format(until, t) : "null", until >= 0 ? "\"" : "");
        rc = audit_case(s, actor, "case.transition", id, details, now, err);
    }
    return finish_tx(s, rc, err);
}

int ch_case_mark_exploited(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                           int64_t exploited_embargo_days, int64_t now, struct ch_err *err)
{
    int rc = need_wide(actor, err);
    if (rc != CH_OK)
        return rc;
    int64_t xdays = exploited_embargo_days > 0 ? exploited_embargo_days
                                               : CH_CASE_DEFAULT_EXPLOITED_EMBARGO_DAYS;
    if (xdays > CH_CASE_MAX_EMBARGO_DAYS)
        return ch_err_setf(err, CH_E_INVALID, "embargo_days", "embargo: 1 to %d days",
                           CH_CASE_MAX_EMBARGO_DAYS);
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct case_row c = {0};
    rc = case_load(s, actor, id, &c, err);
    int64_t days = c.embargo_days < xdays ? c.embargo_days : xdays;
    int64_t until = c.embargo_until;
    if (rc == CH_OK && until >= 0 && until > now + xdays * CH_DAY_SECONDS)
        until = now + xdays * CH_DAY_SECONDS;
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE disclose_cases SET exploited = 1, embargo_days = ?,"
                           " embargo_until = ?, updated_at = ? WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, days);
        if (until >= 0)
            ch_stmt_bind_int(st, 2, until);
        else
            ch_stmt_bind_null(st, 2);
        ch_stmt_bind_int(st, 3, now);
        ch_stmt_bind_int(st, 4, id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = add_event(s, actor, id, state_names[c.state], state_names[c.state],
                       "exploited in the wild: embargo shortened", now, err);
    if (rc == CH_OK) {
        char details[96];
        snprintf(details, sizeof(details), "{\"embargo_days\": %lld, \"embargo_until\": %lld}",
                 (long long)days, (long long)until);
        rc = audit_case(s, actor, "case.exploited", id, details, now, err);
    }
    return finish_tx(s, rc, err);
}

int ch_case_add_participant(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                            int64_t org_id, const char *role, int64_t now, struct ch_err *err)
{
    int rc = need_wide(actor, err);
    if (rc != CH_OK)
        return rc;
    if (role == NULL || (strcmp(role, "vendor") != 0 && strcmp(role, "coordinator") != 0 &&
                         strcmp(role, "reporter") != 0))
        return ch_err_setf(err, CH_E_INVALID, "role", "role: vendor, coordinator or reporter");
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct case_row c = {0};
    rc = case_load(s, actor, id, &c, err);
    if (rc == CH_OK)
        rc = add_participant_row(s, id, org_id, role, now, err);
    if (rc == CH_OK) {
        char details[96];
        snprintf(details, sizeof(details), "{\"org_id\": %lld, \"role\": \"%s\"}",
                 (long long)org_id, role);
        rc = audit_case(s, actor, "case.participant", id, details, now, err);
    }
    return finish_tx(s, rc, err);
}

/* ---- fix verification ------------------------------------------------------------------ */

/* The PoC's files with the fix's files laid over them (same path: the fix's wins). */
static int overlay(const struct ch_finding_poc *poc, const struct ch_case_fix *fix,
                   struct ch_repro_file **ret, size_t *ret_n, struct ch_err *err)
{
    size_t cap = poc->n_files + fix->n_files;
    struct ch_repro_file *all = ch_calloc(cap + 1, sizeof(*all));
    if (all == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < poc->n_files; i++) {
        bool replaced = false;
        for (size_t j = 0; j < fix->n_files && !replaced; j++)
            replaced = strcmp(poc->files[i].path, fix->files[j].path) == 0;
        if (!replaced)
            all[n++] = poc->files[i];
    }
    for (size_t j = 0; j < fix->n_files; j++)
        all[n++] = fix->files[j];
    *ret = all;
    *ret_n = n;
    return CH_OK;
}

int ch_case_verify_fix(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                       const struct ch_case_fix *fix, const struct ch_repro_options *opts,
                       int64_t now, struct ch_case_fix_result *ret, struct ch_err *err)
{
    int rc = need_wide(actor, err);
    if (rc != CH_OK)
        return rc;
    if (fix->fixed_version == NULL || fix->fixed_version[0] == '\0' ||
        strlen(fix->fixed_version) > 128 || strchr(fix->fixed_version, ' ') != NULL)
        return ch_err_setf(err, CH_E_INVALID, "fixed_version",
                           "the fixed version is required (no spaces, at most 128 bytes)");
    struct case_row c = {0};
    rc = case_load(s, actor, id, &c, err);
    if (rc != CH_OK)
        return rc;
    if ((fixable & BIT(c.state)) == 0)
        return ch_err_set(err, CH_E_CONFLICT,
                          "case %lld is %s: a fix is verified from validated, triaged or "
                          "vendor_notified",
                          (long long)id, state_names[c.state]);
    struct ch_finding_poc poc = {0};
    rc = ch_finding_poc_load(s, actor, c.finding_id, &poc, err);
    if (rc != CH_OK)
        return rc;
    struct ch_buf merged;
    ch_buf_init(&merged, CH_REPRO_MAX_RECIPE_BYTES * 2);
    struct ch_repro_file *files = NULL;
    size_t n_files = 0;
    struct ch_recipe *recipe = NULL;
    struct ch_repro_result r;
    bool have_result = false;
    if (fix->recipe != NULL && fix->recipe_len > 0)
        rc =
            ch_recipe_merge(poc.recipe, poc.recipe_len, fix->recipe, fix->recipe_len, &merged, err);
    else
        rc = ch_buf_append(&merged, poc.recipe, poc.recipe_len) == CH_OK
                 ? CH_OK
                 : ch_buf_status(&merged, "recipe", err);
    for (size_t i = 0; i < fix->n_files && rc == CH_OK; i++)
        rc = ch_repro_check_path(fix->files[i].path, err);
    if (rc == CH_OK)
        rc = overlay(&poc, fix, &files, &n_files, err);
    if (rc == CH_OK)
        rc = ch_recipe_parse(ch_buf_cstr(&merged), ch_buf_len(&merged), &recipe, err);
    if (rc == CH_OK) {
        rc = ch_repro_run(recipe, files, n_files, opts, &r, err);
        have_result = true;
    }
    struct ch_case_fix_result res = {0};
    if (rc == CH_OK) {
        res.outcome = r.outcome;
        res.n_runs = r.n_runs;
        res.n_matched = r.n_matched;
        res.fixed = r.outcome == CH_REPRO_NOT_REPRODUCED;
        rc = ch_store_begin_write(s, err);
        if (rc == CH_OK) {
            struct case_row again;
            rc = case_load(s, actor, id, &again, err);
            if (rc == CH_OK && again.state != c.state)
                rc = ch_err_set(err, CH_E_CONFLICT, "case %lld changed meanwhile; try again",
                                (long long)id);
            if (rc == CH_OK)
                rc =
                    ch_disclose__insert_run(s, actor, c.finding_id, "fix", &r, ch_buf_cstr(&merged),
                                            fix->fixed_version, now, &res.run_id, err);
            if (rc == CH_OK && res.fixed) {
                rc = set_state(s, id, c.state, CH_CASE_FIX_AVAILABLE, now, err);
                struct ch_stmt *st = NULL;
                if (rc == CH_OK)
                    rc = ch_store_stmt(s,
                                       "UPDATE disclose_cases SET fix_version = ?, fix_run_id = ?"
                                       " WHERE id = ?",
                                       &st, err);
                if (rc == CH_OK) {
                    ch_stmt_bind_cstr(st, 1, fix->fixed_version);
                    ch_stmt_bind_int(st, 2, res.run_id);
                    ch_stmt_bind_int(st, 3, id);
                    rc = ch_stmt_run(st, err);
                }
                if (rc == CH_OK)
                    rc = add_event(s, actor, id, state_names[c.state],
                                   state_names[CH_CASE_FIX_AVAILABLE],
                                   "fix verified: the PoC no longer reproduces", now, err);
            }
            if (rc == CH_OK) {
                char details[256];
                snprintf(details, sizeof(details),
                         "{\"run\": %lld, \"fixed_version\": \"%.128s\", \"outcome\": \"%s\","
                         " \"fixed\": %s}",
                         (long long)res.run_id, fix->fixed_version, ch_repro_outcome_str(r.outcome),
                         res.fixed ? "true" : "false");
                rc = audit_case(s, actor, "case.verify_fix", id, details, now, err);
            }
            rc = finish_tx(s, rc, err);
        }
    }
    if (have_result)
        ch_repro_result_release(&r);
    ch_recipe_free(recipe);
    ch_free(files);
    ch_buf_release(&merged);
    ch_finding_poc_release(&poc);
    if (rc == CH_OK)
        *ret = res;
    return rc;
}

/* ---- publication ----------------------------------------------------------------------- */

/* What the advisory is made of, read from the finding (strings in the arena). */
struct pub_data {
    struct ch_disclose_advisory adv;
    const char *aliases[CH_FINDING_MAX_ALIASES];
};

static const char *arena_col(struct ch_arena *a, struct ch_stmt *st, int col)
{
    const char *v = ch_stmt_cstr(st, col);
    return v != NULL ? ch_arena_strdup(a, v) : NULL;
}

static int load_pub_data(struct ch_store *s, const struct case_row *c, struct ch_arena *a,
                         struct pub_data *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT f.title, f.description, f.cwe, f.ecosystem, f.component,"
                           " f.vendor, f.introduced, f.fixed, f.aliases, o.name, f.crash_class,"
                           " f.signature, f.created_at FROM disclose_findings f"
                           " JOIN orgs o ON o.id = f.org_id WHERE f.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, c->finding_id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no finding %lld", (long long)c->finding_id);
    if (rc < 0)
        return rc;
    struct ch_disclose_advisory *adv = &ret->adv;
    adv->title = arena_col(a, st, 0);
    adv->description = arena_col(a, st, 1);
    adv->cwe = arena_col(a, st, 2);
    adv->ecosystem = arena_col(a, st, 3);
    adv->component = arena_col(a, st, 4);
    adv->vendor = arena_col(a, st, 5);
    adv->introduced = arena_col(a, st, 6);
    adv->fixed =
        c->fix_version[0] != '\0' ? ch_arena_strdup(a, c->fix_version) : arena_col(a, st, 7);
    const char *aliases = arena_col(a, st, 8);
    adv->credit = arena_col(a, st, 9);
    adv->crash_class = arena_col(a, st, 10);
    adv->signature = arena_col(a, st, 11);
    adv->discovered = ch_stmt_int(st, 12);
    adv->exploited = c->exploited;
    ch_stmt_reset(st);
    if (adv->title == NULL || adv->description == NULL || adv->component == NULL ||
        adv->credit == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    struct ch_str rest = ch_str_c(aliases);
    struct ch_str part;
    while (aliases != NULL && ch_str_split_next(&rest, '\n', &part) &&
           adv->n_aliases < CH_FINDING_MAX_ALIASES) {
        if (part.len == 0)
            continue;
        ret->aliases[adv->n_aliases] = ch_arena_str(a, part);
        if (ret->aliases[adv->n_aliases] == NULL)
            return ch_err_set(err, CH_E_NOMEM, "out of memory");
        adv->n_aliases++;
    }
    adv->aliases = ret->aliases;
    return CH_OK;
}

static int next_number(struct ch_store *s, int64_t year, int64_t *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO disclose_counters (year, last) VALUES (?, 1)"
                           " ON CONFLICT (year) DO UPDATE SET last = disclose_counters.last + 1"
                           " RETURNING last",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, year);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        *ret = ch_stmt_int(st, 0);
        rc = *ret <= MAX_ADVISORIES_PER_YEAR
                 ? CH_OK
                 : ch_err_set(err, CH_E_LIMIT, "advisory numbers of %lld exhausted",
                              (long long)year);
    } else if (rc == 0) {
        rc = ch_err_set(err, CH_E_DB, "advisory counter returned no row");
    }
    ch_stmt_reset(st);
    return rc;
}

struct kb_sink {
    struct ch_kb_writer *w;
    char reject[256];
};

static int sink_advisory(void *ctx, const struct ch_advisory *a, struct ch_err *err)
{
    struct kb_sink *k = ctx;
    enum ch_kb_outcome o;
    return ch_kb_put_advisory(k->w, a, &o, err);
}

static int sink_reject(void *ctx, const char *file, const char *location, const char *reason,
                       struct ch_err *err)
{
    struct kb_sink *k = ctx;
    (void)file;
    snprintf(k->reject, sizeof(k->reject), "%s: %s", location != NULL ? location : "", reason);
    return ch_err_set(err, CH_E_INTERNAL, "the published CSAF document does not read back: %s",
                      k->reject);
}

/* Stores both documents in the knowledge base through their readers: what is published round-trips.
 */
static int put_in_kb(struct ch_store *s, const struct ch_buf *osv, const struct ch_buf *csaf,
                     int64_t now, struct ch_err *err)
{
    struct ch_arena *arena = ch_arena_new(PUBLISH_ARENA_MAX);
    if (arena == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    struct ch_kb_writer w;
    ch_kb_writer_init(&w, s, now, ch_kb_score_cvss);
    struct ch_advisory adv;
    int rc =
        ch_osv_read(ch_buf_cstr(osv), ch_buf_len(osv), "published OSV record", arena, &adv, err);
    if (rc == CH_E_INVALID || rc == CH_E_LIMIT)
        ch_err_prefix(err, "the published OSV record does not read back");
    enum ch_kb_outcome o;
    if (rc == CH_OK)
        rc = ch_kb_put_advisory(&w, &adv, &o, err);
    if (rc == CH_OK) {
        struct kb_sink k = {.w = &w};
        struct ch_vuln_sink sink = {.advisory = sink_advisory, .reject = sink_reject, .ctx = &k};
        rc = ch_csaf_read(ch_buf_cstr(csaf), ch_buf_len(csaf), "published CSAF document", arena,
                          &sink, err);
        if (rc == 0)
            rc = ch_err_set(err, CH_E_INTERNAL, "the published CSAF document has no vulnerability");
        else if (rc > 0)
            rc = CH_OK;
    }
    ch_kb_writer_release(&w);
    ch_arena_free(arena);
    return rc;
}

static int insert_published(struct ch_store *s, int64_t case_id, const struct ch_case_published *p,
                            const char *title, const struct ch_buf *csaf, const struct ch_buf *osv,
                            int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO published_advisories (case_id, vuln_key, osv_id,"
                           " kb_vuln_id, title, csaf_path, csaf, osv, published_at, updated_at)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, case_id);
    ch_stmt_bind_cstr(st, 2, p->advisory_id);
    ch_stmt_bind_cstr(st, 3, p->osv_id);
    ch_stmt_bind_int(st, 4, p->kb_vuln_id);
    ch_stmt_bind_cstr(st, 5, title);
    ch_stmt_bind_cstr(st, 6, p->csaf_path);
    ch_stmt_bind_text(st, 7, ch_buf_cstr(csaf), ch_buf_len(csaf));
    ch_stmt_bind_text(st, 8, ch_buf_cstr(osv), ch_buf_len(osv));
    ch_stmt_bind_int(st, 9, now);
    ch_stmt_bind_int(st, 10, now);
    return ch_stmt_run(st, err);
}

static int publish_tx(struct ch_store *s, const struct ch_disclose_actor *actor,
                      const struct case_row *c, const struct ch_disclose_publisher *pub,
                      int64_t now, struct ch_case_published *out, struct ch_err *err)
{
    struct ch_arena *a = ch_arena_new(PUBLISH_ARENA_MAX);
    if (a == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    struct pub_data d = {0};
    struct ch_buf osv;
    struct ch_buf csaf;
    ch_buf_init(&osv, CH_OSV_MAX_RECORD_BYTES);
    ch_buf_init(&csaf, CH_OSV_MAX_RECORD_BYTES);
    int64_t y = 0;
    unsigned m = 0;
    unsigned day = 0;
    ch_civil_from_days(now / CH_DAY_SECONDS, &y, &m, &day);
    int64_t n = 0;
    int rc = load_pub_data(s, c, a, &d, err);
    if (rc == CH_OK)
        rc = next_number(s, y, &n, err);
    if (rc == CH_OK) {
        snprintf(out->advisory_id, sizeof(out->advisory_id), "CH-%04lld-%04lld", (long long)y,
                 (long long)n);
        snprintf(out->osv_id, sizeof(out->osv_id), "%s%s", CH_DISCLOSE_OSV_PREFIX,
                 out->advisory_id);
        ch_disclose_csaf_path(out->advisory_id, now, out->csaf_path);
        d.adv.id = out->advisory_id;
        d.adv.published = now;
        d.adv.modified = now;
        rc = ch_disclose_osv_json(&d.adv, pub, &osv, err);
    }
    if (rc == CH_OK)
        rc = ch_disclose_csaf_json(&d.adv, pub, &csaf, err);
    if (rc == CH_OK)
        rc = put_in_kb(s, &osv, &csaf, now, err);
    if (rc == CH_OK)
        rc = ch_kb_find_vuln(s, out->advisory_id, &out->kb_vuln_id, err);
    if (rc == CH_OK)
        rc = insert_published(s, c->id, out, d.adv.title, &csaf, &osv, now, err);
    if (rc == CH_OK)
        rc = set_state(s, c->id, c->state, CH_CASE_PUBLISHED, now, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s, "UPDATE disclose_cases SET advisory_id = ? WHERE id = ?", &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, out->advisory_id);
        ch_stmt_bind_int(st, 2, c->id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK)
        rc = add_event(s, actor, c->id, state_names[c->state], state_names[CH_CASE_PUBLISHED],
                       out->advisory_id, now, err);
    if (rc == CH_OK) {
        char details[256];
        snprintf(details, sizeof(details),
                 "{\"advisory\": \"%s\", \"osv\": \"%s\", \"csaf\": \"%s\", \"vuln\": %lld}",
                 out->advisory_id, out->osv_id, out->csaf_path, (long long)out->kb_vuln_id);
        rc = audit_case(s, actor, "case.publish", c->id, details, now, err);
    }
    ch_buf_release(&osv);
    ch_buf_release(&csaf);
    ch_arena_free(a);
    return rc;
}

int ch_case_publish(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                    const struct ch_disclose_publisher *pub, int64_t now,
                    struct ch_case_published *ret, struct ch_err *err)
{
    int rc = need_wide(actor, err);
    if (rc != CH_OK)
        return rc;
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct case_row c = {0};
    rc = case_load(s, actor, id, &c, err);
    if (rc == CH_OK && c.state != CH_CASE_FIX_AVAILABLE) {
        bool embargo_over =
            (fixable & BIT(c.state)) != 0 && c.embargo_until >= 0 && c.embargo_until <= now;
        if (!embargo_over) {
            char t[CH_TIME_STR_MAX];
            rc = ch_err_set(err, CH_E_CONFLICT,
                            "case %lld is %s: it is published once a fix is verified, or "
                            "without one after the embargo (%s)",
                            (long long)id, state_names[c.state],
                            c.embargo_until >= 0 ? ch_time_format(c.embargo_until, t)
                                                 : "not started");
        }
    }
    struct ch_case_published out = {0};
    if (rc == CH_OK)
        rc = publish_tx(s, actor, &c, pub, now, &out, err);
    rc = finish_tx(s, rc, err);
    if (rc == CH_OK)
        *ret = out;
    return rc;
}

/* ---- reading --------------------------------------------------------------------------- */

static int write_participants(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT o.slug, p.role, p.added_at FROM disclose_participants p"
                           " JOIN orgs o ON o.id = p.org_id WHERE p.case_id = ? ORDER BY o.slug",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_key(w, "participants");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "org", ch_stmt_cstr(st, 0));
        ch_jw_kstr(w, "role", ch_stmt_cstr(st, 1));
        ch_jw_ktime(w, "added_at", ch_stmt_int(st, 2));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

static int write_events(struct ch_store *s, int64_t id, struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT at, actor, from_state, to_state, note FROM disclose_case_events"
                           " WHERE case_id = ? ORDER BY id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    ch_jw_key(w, "history");
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_ktime(w, "at", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "actor", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "from", ch_stmt_cstr(st, 2));
        ch_jw_kstr(w, "to", ch_stmt_cstr(st, 3));
        ch_jw_kstr(w, "note", ch_stmt_cstr(st, 4));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

#define CASE_COLUMNS                                                                               \
    "c.id, c.finding_id, c.state, c.exploited, c.embargo_days, c.embargo_until,"                   \
    " c.validated_at, c.fix_version, c.fix_run_id, c.advisory_id, c.opened_at, c.opened_by,"       \
    " c.updated_at, f.title, f.target, f.component, f.state, f.signature, f.classification,"       \
    " f.org_id"

static void write_case_row(struct ch_stmt *st, struct ch_jw *w)
{
    ch_jw_kint(w, "id", ch_stmt_int(st, 0));
    ch_jw_kint(w, "finding", ch_stmt_int(st, 1));
    ch_jw_kstr(w, "state", ch_stmt_cstr(st, 2));
    ch_jw_kbool(w, "exploited", ch_stmt_int(st, 3) != 0);
    ch_jw_kint(w, "embargo_days", ch_stmt_int(st, 4));
    ch_jw_ktime(w, "embargo_until", ch_stmt_is_null(st, 5) ? -1 : ch_stmt_int(st, 5));
    ch_jw_ktime(w, "validated_at", ch_stmt_is_null(st, 6) ? -1 : ch_stmt_int(st, 6));
    ch_jw_kstr(w, "fix_version", ch_stmt_cstr(st, 7));
    if (ch_stmt_is_null(st, 8))
        ch_jw_kstr(w, "fix_run", NULL);
    else
        ch_jw_kint(w, "fix_run", ch_stmt_int(st, 8));
    ch_jw_kstr(w, "advisory_id", ch_stmt_cstr(st, 9));
    ch_jw_ktime(w, "opened_at", ch_stmt_int(st, 10));
    ch_jw_kstr(w, "opened_by", ch_stmt_cstr(st, 11));
    ch_jw_ktime(w, "updated_at", ch_stmt_int(st, 12));
    ch_jw_kstr(w, "title", ch_stmt_cstr(st, 13));
    ch_jw_kstr(w, "target", ch_stmt_cstr(st, 14));
    ch_jw_kstr(w, "component", ch_stmt_cstr(st, 15));
    ch_jw_kstr(w, "finding_state", ch_stmt_cstr(st, 16));
    ch_jw_kstr(w, "signature", ch_stmt_cstr(st, 17));
    ch_jw_kstr(w, "classification", ch_stmt_cstr(st, 18));
}

int ch_case_show_json(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                      struct ch_jw *w, struct ch_err *err)
{
    struct case_row c = {0};
    int rc = case_load(s, actor, id, &c, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "SELECT " CASE_COLUMNS " FROM disclose_cases c JOIN disclose_findings f"
                       " ON f.id = c.finding_id WHERE c.id = ?",
                       &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no case %lld", (long long)id);
    if (rc < 0)
        return rc;
    ch_jw_obj_open(w);
    write_case_row(st, w);
    ch_stmt_reset(st);
    rc = write_participants(s, id, w, err);
    if (rc == CH_OK)
        rc = write_events(s, id, w, err);
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "SELECT vuln_key, osv_id, csaf_path, kb_vuln_id, published_at"
                           " FROM published_advisories WHERE case_id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, id);
        rc = ch_stmt_step(st, err);
        ch_jw_key(w, "published");
        if (rc == 1) {
            ch_jw_obj_open(w);
            ch_jw_kstr(w, "advisory_id", ch_stmt_cstr(st, 0));
            ch_jw_kstr(w, "osv_id", ch_stmt_cstr(st, 1));
            ch_jw_kstr(w, "csaf_path", ch_stmt_cstr(st, 2));
            ch_jw_kint(w, "kb_vuln_id", ch_stmt_int(st, 3));
            ch_jw_ktime(w, "published_at", ch_stmt_int(st, 4));
            ch_jw_obj_close(w);
            rc = CH_OK;
        } else if (rc == 0) {
            ch_jw_null(w);
        }
        ch_stmt_reset(st);
    }
    ch_jw_obj_close(w);
    return rc < 0 ? rc : CH_OK;
}

int ch_case_list_json(struct ch_store *s, const struct ch_disclose_actor *actor, const char *state,
                      struct ch_jw *w, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(
        s,
        "SELECT " CASE_COLUMNS " FROM disclose_cases c JOIN disclose_findings f"
        " ON f.id = c.finding_id"
        " WHERE (? = 1 OR f.org_id = ? OR EXISTS (SELECT 1 FROM disclose_participants p"
        "  WHERE p.case_id = c.id AND p.org_id = ?))"
        " AND (CAST(? AS TEXT) IS NULL OR c.state = ?)"
        " ORDER BY c.id DESC LIMIT " CH_STRINGIFY(CASE_LIST_MAX),
        &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, ch_disclose__wide(actor) ? 1 : 0);
    ch_stmt_bind_int(st, 2, actor->org_id);
    ch_stmt_bind_int(st, 3, actor->org_id);
    ch_stmt_bind_cstr(st, 4, state);
    ch_stmt_bind_cstr(st, 5, state);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        enum ch_clearance cl = CH_CLEAR_TOP_SECRET;
        if (ch_clearance_parse(ch_stmt_cstr(st, 18), &cl) != CH_OK || cl > actor->clearance)
            continue;
        ch_jw_obj_open(w);
        write_case_row(st, w);
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}

int ch_published_since_json(struct ch_store *s, int64_t after_id, unsigned limit, struct ch_jw *w,
                            struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT id, vuln_key, osv_id, kb_vuln_id, title, published_at"
                           " FROM published_advisories WHERE id > ? ORDER BY id LIMIT ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, after_id);
    ch_stmt_bind_int(st, 2, limit == 0 || limit > 10000 ? 10000 : limit);
    ch_jw_arr_open(w);
    while ((rc = ch_stmt_step(st, err)) == 1) {
        ch_jw_obj_open(w);
        ch_jw_kint(w, "id", ch_stmt_int(st, 0));
        ch_jw_kstr(w, "vuln_key", ch_stmt_cstr(st, 1));
        ch_jw_kstr(w, "osv_id", ch_stmt_cstr(st, 2));
        ch_jw_kint(w, "kb_vuln_id", ch_stmt_int(st, 3));
        ch_jw_kstr(w, "title", ch_stmt_cstr(st, 4));
        ch_jw_ktime(w, "published_at", ch_stmt_int(st, 5));
        ch_jw_obj_close(w);
    }
    ch_jw_arr_close(w);
    return rc < 0 ? rc : CH_OK;
}
