/* SPDX-License-Identifier: Apache-2.0
 *
 * jobs.c: the durable job queue (see jobs.h for the states and the fencing
 * rule).
 *
 * The SQL is the portable subset of docs/internals/store.md with one
 * backend-specific clause: on PostgreSQL the claim's SELECT ends in
 * FOR UPDATE SKIP LOCKED, so each claimer locks the row it picked and the
 * others skip it; READ COMMITTED re-checks the row's WHERE clause when the
 * lock is taken, so a row claimed and committed meanwhile is not picked
 * twice. On SQLite the claim runs under BEGIN IMMEDIATE (one writer at a
 * time), where select-then-update needs nothing more. Every state change of
 * a claimed job is one UPDATE whose WHERE clause is the fence
 * (id, state = 'running', lease_owner, attempts); the number of rows it
 * changed says whether the claim still held.
 */
#include "jobs/jobs.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "jobs/handlers.h"

static const char *const state_names[CH_JOB_STATE_COUNT] = {
    [CH_JOB_QUEUED] = "queued", [CH_JOB_RUNNING] = "running",     [CH_JOB_DONE] = "done",
    [CH_JOB_FAILED] = "failed", [CH_JOB_CANCELLED] = "cancelled",
};

const char *ch_job_state_name(enum ch_job_state s)
{
    if ((unsigned)s >= CH_JOB_STATE_COUNT)
        return NULL;
    return state_names[s];
}

int ch_job_state_parse(const char *s, enum ch_job_state *ret, struct ch_err *err)
{
    for (size_t i = 0; i < CH_JOB_STATE_COUNT; i++) {
        if (strcmp(s, state_names[i]) == 0) {
            *ret = (enum ch_job_state)i;
            return CH_OK;
        }
    }
    return ch_err_set(err, CH_E_INVALID,
                      "unknown job state '%s' (expected queued, running, done, failed or "
                      "cancelled)",
                      s);
}

static enum ch_job_state state_from_text(const char *s)
{
    for (size_t i = 0; s != NULL && i < CH_JOB_STATE_COUNT; i++) {
        if (strcmp(s, state_names[i]) == 0)
            return (enum ch_job_state)i;
    }
    return CH_JOB_FAILED; /* the CHECK constraint makes this unreachable */
}

void ch_job_free(struct ch_job *job)
{
    if (job == NULL)
        return;
    ch_free(job->kind);
    ch_free(job->payload);
    ch_free(job);
}

int64_t ch_jobs_backoff(int64_t attempts, uint32_t jitter)
{
    int64_t d = CH_JOBS_BACKOFF_BASE_S;
    for (int64_t i = 1; i < attempts && d < CH_JOBS_BACKOFF_MAX_S; i++)
        d *= 2;
    if (d > CH_JOBS_BACKOFF_MAX_S)
        d = CH_JOBS_BACKOFF_MAX_S;
    /* "equal jitter": half the delay is fixed, half random, so retries of
     * jobs that failed together spread out but never come back at once */
    int64_t half = d / 2;
    return d - half + (int64_t)(jitter % (uint32_t)(half + 1));
}

bool ch_jobs_error_is_permanent(int rc)
{
    switch (rc) {
    case CH_E_INVALID:
    case CH_E_NOTFOUND:
    case CH_E_UNSUPPORTED:
    case CH_E_PERM:
    case CH_E_AUTH:
    case CH_E_USAGE:
    case CH_E_LIMIT:
        return true;
    default:
        return false;
    }
}

/* Runs one cached statement to completion; its changed-row count in *ret_changes. */
static int run_changes(struct ch_store *s, struct ch_stmt *st, int64_t *ret_changes,
                       struct ch_err *err)
{
    int rc = ch_stmt_run(st, err);
    if (rc == CH_OK && ret_changes != NULL)
        *ret_changes = ch_store_changes(s);
    return rc;
}

static int audit(struct ch_store *s, const char *actor, const char *action, int64_t id,
                 const char *details, int64_t now, struct ch_err *err)
{
    char object[48];
    snprintf(object, sizeof(object), "job:%lld", (long long)id);
    const struct ch_audit_entry e = {
        .actor = actor != NULL ? actor : "system",
        .action = action,
        .object = object,
        .details = details,
    };
    return ch_audit_append(s, &e, now, NULL, err);
}

/* --- enqueue ------------------------------------------------------------ */

static int check_new(const struct ch_job_new *j, struct ch_err *err)
{
    if (j->kind == NULL || j->kind[0] == '\0' || strlen(j->kind) > CH_JOBS_KIND_MAX)
        return ch_err_set(err, CH_E_INVALID, "a job kind of 1 to %d characters is required",
                          CH_JOBS_KIND_MAX);
    if (j->idempotency_key != NULL &&
        (j->idempotency_key[0] == '\0' || strlen(j->idempotency_key) > CH_JOBS_KEY_MAX))
        return ch_err_set(err, CH_E_INVALID, "an idempotency key has 1 to %d characters",
                          CH_JOBS_KEY_MAX);
    if (j->max_attempts < 0 || j->max_attempts > CH_JOBS_MAX_ATTEMPTS)
        return ch_err_set(err, CH_E_INVALID, "max attempts must be 1 to %d", CH_JOBS_MAX_ATTEMPTS);
    return CH_OK;
}

/* The job holding `key`: its id, and whether it has this kind and payload. */
static int find_by_key(struct ch_store *s, const char *key, const char *kind, const char *payload,
                       int64_t *ret_id, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc =
        ch_store_stmt(s, "SELECT id, kind, payload FROM jobs WHERE idempotency_key = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, key);
    rc = ch_stmt_step(st, err);
    if (rc == 0) {
        rc = ch_err_set(err, CH_E_INTERNAL, "idempotency key conflict without a job");
    } else if (rc == 1) {
        int64_t id = ch_stmt_int(st, 0);
        if (strcmp(ch_stmt_text(st, 1).ptr, kind) != 0 ||
            strcmp(ch_stmt_text(st, 2).ptr, payload) != 0) {
            rc = ch_err_set(err, CH_E_CONFLICT,
                            "idempotency key is already used by job %lld with another kind or "
                            "payload",
                            (long long)id);
        } else {
            *ret_id = id;
            rc = CH_OK;
        }
    }
    ch_stmt_reset(st);
    return rc;
}

static int insert_job(struct ch_store *s, const struct ch_job_new *j, const char *payload,
                      int64_t now, int64_t *ret_id, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO jobs (kind, payload, state, attempts, max_attempts,"
                           " run_after, idempotency_key, created_at)"
                           " VALUES (?, ?, 'queued', 0, ?, ?, ?, ?)"
                           " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, j->kind);
    ch_stmt_bind_cstr(st, 2, payload);
    ch_stmt_bind_int(st, 3, j->max_attempts > 0 ? j->max_attempts : CH_JOBS_DEFAULT_MAX_ATTEMPTS);
    ch_stmt_bind_int(st, 4, j->run_after > 0 ? j->run_after : now);
    ch_stmt_bind_cstr(st, 5, j->idempotency_key);
    ch_stmt_bind_int(st, 6, now);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        *ret_id = ch_stmt_int(st, 0);
        rc = 1;
    }
    ch_stmt_reset(st);
    return rc; /* 1 inserted, 0 the key was taken */
}

int ch_jobs_enqueue(struct ch_store *s, const struct ch_job_new *j, int64_t now, int64_t *ret_id,
                    bool *ret_created, struct ch_err *err)
{
    int rc = check_new(j, err);
    if (rc != CH_OK)
        return rc;
    cJSON *tree = NULL;
    rc = ch_job_payload_parse(j->kind, j->payload != NULL ? j->payload : "{}", &tree, err);
    if (rc != CH_OK)
        return rc;
    /* stored in one canonical form, so an idempotent re-send compares equal */
    char *payload = cJSON_PrintUnformatted(tree);
    cJSON_Delete(tree);
    if (payload == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory printing a job payload");
    rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        cJSON_free(payload);
        return rc;
    }
    int64_t id = 0;
    rc = insert_job(s, j, payload, now, &id, err);
    bool created = rc == 1;
    if (rc == 0)
        rc = find_by_key(s, j->idempotency_key, j->kind, payload, &id, err);
    else if (rc == 1)
        rc = CH_OK;
    if (rc == CH_OK && created) {
        struct ch_buf d;
        ch_buf_init(&d, CH_JOBS_KEY_MAX * 8);
        struct ch_jw w;
        ch_jw_init(&w, &d, 0);
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "kind", j->kind);
        if (j->idempotency_key != NULL)
            ch_jw_kstr(&w, "idempotency_key", j->idempotency_key);
        ch_jw_obj_close(&w);
        rc = ch_jw_finish(&w, err);
        if (rc == CH_OK)
            rc = audit(s, j->actor, "job.enqueue", id, ch_buf_cstr(&d), now, err);
        ch_buf_release(&d);
    }
    cJSON_free(payload);
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc != CH_OK)
        return rc;
    *ret_id = id;
    if (ret_created != NULL)
        *ret_created = created;
    return CH_OK;
}

/* --- claim ------------------------------------------------------------- */

static int claim_sql(struct ch_store *s, size_t n_kinds, struct ch_buf *b, struct ch_err *err)
{
    (void)ch_buf_append_c(b, "SELECT id, state, attempts, max_attempts, lease_owner FROM jobs"
                             " WHERE ((state = 'queued' AND run_after <= ?)"
                             " OR (state = 'running' AND lease_expires_at <= ?))");
    if (n_kinds > 0) {
        (void)ch_buf_append_c(b, " AND kind IN (");
        for (size_t i = 0; i < n_kinds; i++)
            (void)ch_buf_append_c(b, i == 0 ? "?" : ", ?");
        (void)ch_buf_append_byte(b, ')');
    }
    (void)ch_buf_append_c(b, " ORDER BY run_after, id LIMIT 1");
    if (ch_store_backend(s) == CH_STORE_POSTGRES)
        (void)ch_buf_append_c(b, " FOR UPDATE SKIP LOCKED");
    return ch_buf_status(b, "claim query", err);
}

struct candidate {
    int64_t id;
    bool expired; /* running with a lease past its end */
    int64_t attempts, max_attempts;
    char prev_owner[CH_JOBS_OWNER_MAX];
};

/* Picks (and on PostgreSQL locks) the next ready row: 1, 0 none, or an error. */
static int pick(struct ch_store *s, const char *sql, const struct ch_jobs_claim_options *o,
                int64_t now, struct candidate *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, sql, &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    ch_stmt_bind_int(st, 2, now);
    for (size_t i = 0; i < o->n_kinds; i++)
        ch_stmt_bind_cstr(st, (int)i + 3, o->kinds[i]);
    rc = ch_stmt_step(st, err);
    if (rc == 1) {
        ret->id = ch_stmt_int(st, 0);
        ret->expired = strcmp(ch_stmt_text(st, 1).ptr, "running") == 0;
        ret->attempts = ch_stmt_int(st, 2);
        ret->max_attempts = ch_stmt_int(st, 3);
        snprintf(ret->prev_owner, sizeof(ret->prev_owner), "%s", ch_stmt_text(st, 4).ptr);
    }
    ch_stmt_reset(st);
    return rc;
}

/* An expired lease with no attempts left: the job fails. */
static int fail_expired(struct ch_store *s, const struct candidate *c, int64_t now,
                        struct ch_err *err)
{
    char msg[CH_JOBS_OWNER_MAX + 96];
    snprintf(msg, sizeof(msg), "lease of '%s' expired on attempt %lld of %lld", c->prev_owner,
             (long long)c->attempts, (long long)c->max_attempts);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "UPDATE jobs SET state = 'failed', finished_at = ?,"
                           " lease_expires_at = NULL, last_error = ? WHERE id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    ch_stmt_bind_cstr(st, 2, msg);
    ch_stmt_bind_int(st, 3, c->id);
    return ch_stmt_run(st, err);
}

static int take_lease(struct ch_store *s, const struct candidate *c,
                      const struct ch_jobs_claim_options *o, int64_t now, struct ch_job **ret,
                      struct ch_err *err)
{
    int lease = o->lease_seconds > 0 ? o->lease_seconds : CH_JOBS_DEFAULT_LEASE_S;
    char msg[CH_JOBS_OWNER_MAX + 64];
    snprintf(msg, sizeof(msg), "lease of '%s' expired", c->prev_owner);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "UPDATE jobs SET state = 'running', attempts = attempts + 1,"
                           " lease_owner = ?, lease_expires_at = ?, started_at = ?,"
                           " last_error = CASE WHEN state = 'running' THEN CAST(? AS TEXT)"
                           " ELSE last_error END"
                           " WHERE id = ? RETURNING kind, payload, attempts, max_attempts",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_cstr(st, 1, o->owner);
    ch_stmt_bind_int(st, 2, now + lease);
    ch_stmt_bind_int(st, 3, now);
    ch_stmt_bind_cstr(st, 4, msg);
    ch_stmt_bind_int(st, 5, c->id);
    rc = ch_stmt_step(st, err);
    struct ch_job *job = NULL;
    if (rc == 1) {
        job = ch_calloc(1, sizeof(*job));
        if (job != NULL) {
            job->id = c->id;
            job->kind = ch_strdup(ch_stmt_text(st, 0).ptr);
            job->payload = ch_strdup(ch_stmt_text(st, 1).ptr);
            job->attempts = ch_stmt_int(st, 2);
            job->max_attempts = ch_stmt_int(st, 3);
            job->lease_expires_at = now + lease;
            snprintf(job->owner, sizeof(job->owner), "%s", o->owner);
        }
        if (job == NULL || job->kind == NULL || job->payload == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory claiming job %lld", (long long)c->id);
        else
            rc = CH_OK;
    } else if (rc == 0) {
        rc = ch_err_set(err, CH_E_INTERNAL, "job %lld vanished while locked", (long long)c->id);
    }
    ch_stmt_reset(st);
    if (rc != CH_OK) {
        ch_job_free(job);
        return rc;
    }
    *ret = job;
    return CH_OK;
}

int ch_jobs_claim(struct ch_store *s, const struct ch_jobs_claim_options *o, int64_t now,
                  struct ch_job **ret, struct ch_err *err)
{
    if (o->owner == NULL || o->owner[0] == '\0' || strlen(o->owner) >= CH_JOBS_OWNER_MAX)
        return ch_err_set(err, CH_E_INVALID, "a lease owner of 1 to %d characters is required",
                          CH_JOBS_OWNER_MAX - 1);
    if (o->n_kinds > CH_JOBS_MAX_KINDS)
        return ch_err_set(err, CH_E_LIMIT, "at most %d job kinds per worker", CH_JOBS_MAX_KINDS);
    if (o->lease_seconds < 0 || o->lease_seconds > CH_JOBS_MAX_LEASE_S)
        return ch_err_set(err, CH_E_INVALID, "a lease lasts 1 to %d seconds", CH_JOBS_MAX_LEASE_S);
    if (ch_store_in_tx(s))
        return ch_err_set(err, CH_E_INTERNAL, "a job is claimed in a transaction of its own");
    struct ch_buf sql;
    ch_buf_init(&sql, 4096);
    int rc = claim_sql(s, o->kinds != NULL ? o->n_kinds : 0, &sql, err);
    if (rc == CH_OK)
        rc = ch_store_begin_write(s, err);
    if (rc != CH_OK) {
        ch_buf_release(&sql);
        return rc;
    }
    struct ch_job *job = NULL;
    struct ch_jobs_claim_options eff = *o;
    if (o->kinds == NULL)
        eff.n_kinds = 0;
    for (int i = 0; i < CH_JOBS_CLAIM_SCAN; i++) {
        struct candidate c = {0};
        rc = pick(s, ch_buf_cstr(&sql), &eff, now, &c, err);
        if (rc != 1)
            break;
        if (c.expired && c.attempts >= c.max_attempts) {
            rc = fail_expired(s, &c, now, err);
            if (rc != CH_OK)
                break;
            rc = 0;
            continue;
        }
        rc = take_lease(s, &c, &eff, now, &job, err);
        if (rc == CH_OK)
            rc = 1;
        break;
    }
    ch_buf_release(&sql);
    if (rc >= 0) {
        int crc = ch_store_commit(s, err);
        if (crc != CH_OK) {
            ch_job_free(job);
            return crc;
        }
    } else {
        ch_store_rollback(s);
        ch_job_free(job);
        return rc;
    }
    if (rc == 1)
        *ret = job;
    return rc == 1 ? 1 : 0;
}

/* --- fenced transitions ------------------------------------------------- */

#define FENCE " WHERE id = ? AND state = 'running' AND lease_owner = ? AND attempts = ?"

static void bind_fence(struct ch_stmt *st, int first, const struct ch_job *job)
{
    ch_stmt_bind_int(st, first, job->id);
    ch_stmt_bind_cstr(st, first + 1, job->owner);
    ch_stmt_bind_int(st, first + 2, job->attempts);
}

static int lost(const struct ch_job *job, struct ch_err *err)
{
    return ch_err_set(err, CH_E_CONFLICT,
                      "lease of job %lld lost (expired and claimed again, or cancelled)",
                      (long long)job->id);
}

int ch_jobs_heartbeat(struct ch_store *s, struct ch_job *job, int64_t now, int lease_seconds,
                      struct ch_err *err)
{
    int lease = lease_seconds > 0 ? lease_seconds : CH_JOBS_DEFAULT_LEASE_S;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "UPDATE jobs SET lease_expires_at = ?" FENCE, &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now + lease);
    bind_fence(st, 2, job);
    int64_t n = 0;
    rc = run_changes(s, st, &n, err);
    if (rc != CH_OK)
        return rc;
    if (n != 1)
        return lost(job, err);
    job->lease_expires_at = now + lease;
    return CH_OK;
}

int ch_jobs_complete(struct ch_store *s, const struct ch_job *job, const char *result, int64_t now,
                     struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "UPDATE jobs SET state = 'done', finished_at = ?, result = ?,"
                           " lease_expires_at = NULL" FENCE,
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    ch_stmt_bind_cstr(st, 2, result);
    bind_fence(st, 3, job);
    int64_t n = 0;
    rc = run_changes(s, st, &n, err);
    if (rc != CH_OK)
        return rc;
    return n == 1 ? CH_OK : lost(job, err);
}

int ch_jobs_fail(struct ch_store *s, const struct ch_job *job, const char *message, bool permanent,
                 int64_t now, uint32_t jitter, enum ch_job_state *ret_state, struct ch_err *err)
{
    bool again = !permanent && job->attempts < job->max_attempts;
    struct ch_stmt *st = NULL;
    int rc;
    if (again)
        rc = ch_store_stmt(s,
                           "UPDATE jobs SET state = 'queued', run_after = ?,"
                           " lease_expires_at = NULL, last_error = ?" FENCE,
                           &st, err);
    else
        rc = ch_store_stmt(s,
                           "UPDATE jobs SET state = 'failed', finished_at = ?,"
                           " lease_expires_at = NULL, last_error = ?" FENCE,
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, again ? now + ch_jobs_backoff(job->attempts, jitter) : now);
    ch_stmt_bind_cstr(st, 2, message != NULL ? message : "failed");
    bind_fence(st, 3, job);
    int64_t n = 0;
    rc = run_changes(s, st, &n, err);
    if (rc != CH_OK)
        return rc;
    if (n != 1)
        return lost(job, err);
    if (ret_state != NULL)
        *ret_state = again ? CH_JOB_QUEUED : CH_JOB_FAILED;
    return CH_OK;
}

int ch_jobs_release(struct ch_store *s, const struct ch_job *job, int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "UPDATE jobs SET state = 'queued', attempts = attempts - 1,"
                           " run_after = ?, lease_expires_at = NULL" FENCE,
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    bind_fence(st, 2, job);
    int64_t n = 0;
    rc = run_changes(s, st, &n, err);
    if (rc != CH_OK)
        return rc;
    return n == 1 ? CH_OK : lost(job, err);
}

/* --- operator actions --------------------------------------------------- */

/* Why an operator transition matched no row: unknown id, or the state it is in. */
static int explain_refusal(struct ch_store *s, int64_t id, const char *what, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT state FROM jobs WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    rc = ch_stmt_step(st, err);
    if (rc == 0)
        rc = ch_err_set(err, CH_E_NOTFOUND, "no job %lld", (long long)id);
    else if (rc == 1)
        rc = ch_err_set(err, CH_E_CONFLICT, "job %lld is %s: cannot %s it", (long long)id,
                        ch_stmt_text(st, 0).ptr, what);
    ch_stmt_reset(st);
    return rc;
}

static int operator_action(struct ch_store *s, int64_t id, const char *sql, const char *what,
                           const char *action, const char *actor, int64_t now, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s, sql, &st, err);
    int64_t n = 0;
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, now);
        ch_stmt_bind_int(st, 2, id);
        rc = run_changes(s, st, &n, err);
    }
    if (rc == CH_OK && n != 1)
        rc = explain_refusal(s, id, what, err);
    if (rc == CH_OK)
        rc = audit(s, actor, action, id, NULL, now, err);
    if (rc == CH_OK)
        return ch_store_commit(s, err);
    ch_store_rollback(s);
    return rc;
}

int ch_jobs_cancel(struct ch_store *s, int64_t id, const char *actor, int64_t now,
                   struct ch_err *err)
{
    return operator_action(s, id,
                           "UPDATE jobs SET state = 'cancelled', finished_at = ?,"
                           " lease_expires_at = NULL"
                           " WHERE id = ? AND state IN ('queued', 'running')",
                           "cancel", "job.cancel", actor, now, err);
}

int ch_jobs_retry(struct ch_store *s, int64_t id, const char *actor, int64_t now,
                  struct ch_err *err)
{
    return operator_action(s, id,
                           "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?,"
                           " finished_at = NULL, lease_expires_at = NULL"
                           " WHERE id = ? AND state IN ('failed', 'cancelled')",
                           "retry", "job.retry", actor, now, err);
}

/* --- reading ------------------------------------------------------------ */

#define INFO_COLUMNS                                                                               \
    "SELECT id, kind, payload, state, attempts, max_attempts, run_after, lease_owner,"             \
    " lease_expires_at, last_error, result, idempotency_key, created_at, started_at,"              \
    " finished_at FROM jobs"

static int64_t int_or(struct ch_stmt *st, int col, int64_t dflt)
{
    return ch_stmt_is_null(st, col) ? dflt : ch_stmt_int(st, col);
}

static void read_info(struct ch_stmt *st, struct ch_job_info *j)
{
    *j = (struct ch_job_info){
        .id = ch_stmt_int(st, 0),
        .kind = ch_stmt_text(st, 1).ptr,
        .payload = ch_stmt_text(st, 2).ptr,
        .state = state_from_text(ch_stmt_cstr(st, 3)),
        .attempts = ch_stmt_int(st, 4),
        .max_attempts = ch_stmt_int(st, 5),
        .run_after = ch_stmt_int(st, 6),
        .lease_owner = ch_stmt_cstr(st, 7),
        .lease_expires_at = int_or(st, 8, -1),
        .last_error = ch_stmt_cstr(st, 9),
        .result = ch_stmt_cstr(st, 10),
        .idempotency_key = ch_stmt_cstr(st, 11),
        .created_at = ch_stmt_int(st, 12),
        .started_at = int_or(st, 13, -1),
        .finished_at = int_or(st, 14, -1),
    };
}

static int each_row(struct ch_stmt *st, ch_job_info_fn fn, void *ctx, int64_t *ret_rows,
                    struct ch_err *err)
{
    int rc;
    int64_t rows = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        struct ch_job_info j;
        read_info(st, &j);
        rows++;
        rc = fn(ctx, &j, err);
        if (rc != CH_OK)
            break;
    }
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    *ret_rows = rows;
    return CH_OK;
}

int ch_jobs_list(struct ch_store *s, bool state_filter, enum ch_job_state state, unsigned limit,
                 ch_job_info_fn fn, void *ctx, struct ch_err *err)
{
    if (limit == 0 || limit > CH_JOBS_LIST_MAX)
        return ch_err_set(err, CH_E_LIMIT, "list 1 to %d jobs at a time", CH_JOBS_LIST_MAX);
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           INFO_COLUMNS " WHERE (CAST(? AS BIGINT) = 0 OR state = ?)"
                                        " ORDER BY id DESC LIMIT ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, state_filter ? 1 : 0);
    ch_stmt_bind_cstr(st, 2, state_filter ? ch_job_state_name(state) : "");
    ch_stmt_bind_int(st, 3, limit);
    int64_t rows = 0;
    return each_row(st, fn, ctx, &rows, err);
}

int ch_jobs_get(struct ch_store *s, int64_t id, ch_job_info_fn fn, void *ctx, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, INFO_COLUMNS " WHERE id = ?", &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, id);
    int64_t rows = 0;
    rc = each_row(st, fn, ctx, &rows, err);
    if (rc == CH_OK && rows == 0)
        return ch_err_set(err, CH_E_NOTFOUND, "no job %lld", (long long)id);
    return rc;
}

/* Stored JSON inline when it parses (it was written by us), else as a string. */
static void json_member(struct ch_jw *w, const char *key, const char *text)
{
    ch_jw_key(w, key);
    if (text == NULL) {
        ch_jw_null(w);
        return;
    }
    cJSON *tree = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_json_parse(text, strlen(text), NULL, key, &tree, &err) == CH_OK) {
        ch_jw_cjson(w, tree);
        cJSON_Delete(tree);
    } else {
        ch_jw_cstr(w, text);
    }
}

void ch_job_info_json(struct ch_jw *w, const struct ch_job_info *j)
{
    ch_jw_obj_open(w);
    ch_jw_kint(w, "id", j->id);
    ch_jw_kstr(w, "kind", j->kind);
    ch_jw_kstr(w, "state", ch_job_state_name(j->state));
    ch_jw_kint(w, "attempts", j->attempts);
    ch_jw_kint(w, "max_attempts", j->max_attempts);
    ch_jw_ktime(w, "run_after", j->run_after);
    ch_jw_kstr(w, "lease_owner", j->lease_owner);
    ch_jw_ktime(w, "lease_expires_at", j->lease_expires_at);
    ch_jw_kstr(w, "last_error", j->last_error);
    ch_jw_kstr(w, "idempotency_key", j->idempotency_key);
    ch_jw_ktime(w, "created_at", j->created_at);
    ch_jw_ktime(w, "started_at", j->started_at);
    ch_jw_ktime(w, "finished_at", j->finished_at);
    json_member(w, "payload", j->payload);
    json_member(w, "result", j->result);
    ch_jw_obj_close(w);
}

int ch_jobs_counts(struct ch_store *s, int64_t ret[CH_JOB_STATE_COUNT], struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s, "SELECT state, COUNT(*) FROM jobs GROUP BY state", &st, err);
    if (rc != CH_OK)
        return rc;
    int64_t counts[CH_JOB_STATE_COUNT] = {0};
    while ((rc = ch_stmt_step(st, err)) == 1)
        counts[state_from_text(ch_stmt_cstr(st, 0))] += ch_stmt_int(st, 1);
    ch_stmt_reset(st);
    if (rc < 0)
        return rc;
    memcpy(ret, counts, sizeof(counts));
    return CH_OK;
}
