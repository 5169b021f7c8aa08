/* SPDX-License-Identifier: Apache-2.0
 *
 * The job queue (src/jobs): enqueue and its validation, idempotency keys,
 * claiming, leases and their expiry, heartbeats, fencing, retries with
 * backoff, cancel/retry, and concurrent claimers (threads with their own
 * connections) never running one job twice. Runs as test_jobs on SQLite and
 * test_jobs_pg on PostgreSQL (it calls ch_test_store).
 *
 * Time is passed in: T0 is an arbitrary instant and leases are measured from it.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/json.h"
#include "jobs/handlers.h"
#include "jobs/jobs.h"
#include "jobs/worker.h"
#include "remediate/directive.h"
#include "remediate/exposure.h"
#include "store/store.h"

#define T0 ((int64_t)1800000000)
/* Errors keep their first message: clear before each call that may fail. */
#define CLR(e) (ch_err_clear(&(e)), &(e))

struct fixture {
    struct ch_store *s;
    char *dir;
    char *url;
};

static int setup(void **state)
{
    struct fixture *f = ch_calloc(1, sizeof(*f));
    struct ch_err err = CH_ERR_INIT;
    f->url = ch_test_store_url(&f->dir);
    if (ch_store_open(f->url, NULL, &f->s, CLR(err)) != CH_OK)
        fail_msg("cannot open test store: %s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f->url);
    ch_free(f);
    return 0;
}

static int64_t query_int(struct ch_store *s, const char *sql, const char *param)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t v = -1;
    if (ch_store_query_int(s, sql, param, -1, &v, CLR(err)) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

static int64_t enqueue_full(struct ch_store *s, const char *kind, const char *payload,
                            const char *key, int max_attempts, int64_t run_after)
{
    struct ch_err err = CH_ERR_INIT;
    const struct ch_job_new j = {.kind = kind,
                                 .payload = payload,
                                 .idempotency_key = key,
                                 .max_attempts = max_attempts,
                                 .run_after = run_after,
                                 .actor = "test"};
    int64_t id = 0;
    if (ch_jobs_enqueue(s, &j, T0, &id, NULL, CLR(err)) != CH_OK)
        fail_msg("enqueue %s: %s", kind, err.msg);
    assert_true(id > 0);
    return id;
}

static int64_t enqueue(struct ch_store *s, const char *payload)
{
    return enqueue_full(s, "test.record", payload, NULL, 0, 0);
}

/* Claims as owner at now with a lease; returns the job or NULL when nothing is ready. */
static struct ch_job *claim(struct ch_store *s, const char *owner, int64_t now, int lease)
{
    struct ch_err err = CH_ERR_INIT;
    const struct ch_jobs_claim_options o = {.owner = owner, .lease_seconds = lease};
    struct ch_job *job = NULL;
    int rc = ch_jobs_claim(s, &o, now, &job, CLR(err));
    if (rc < 0)
        fail_msg("claim: %s", err.msg);
    assert_true(rc == 0 || job != NULL);
    return rc == 1 ? job : NULL;
}

static const char *state_of(struct ch_store *s, int64_t id)
{
    static char buf[32];
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(s, "SELECT state FROM jobs WHERE id = ?", &st, CLR(err)), CH_OK);
    ch_stmt_bind_int(st, 1, id);
    assert_int_equal(ch_stmt_step(st, CLR(err)), 1);
    snprintf(buf, sizeof(buf), "%s", ch_stmt_text(st, 0).ptr);
    ch_stmt_reset(st);
    return buf;
}

static int64_t job_int(struct ch_store *s, const char *column, int64_t id)
{
    char sql[128];
    char param[32];
    snprintf(sql, sizeof(sql), "SELECT %s FROM jobs WHERE CAST(id AS TEXT) = ?", column);
    snprintf(param, sizeof(param), "%lld", (long long)id);
    return query_int(s, sql, param);
}

static void test_enqueue_claim_complete(void **state)
{
    struct fixture *f = *state;
    int64_t a = enqueue(f->s, "{\"note\": \"a\"}");
    int64_t b = enqueue(f->s, "{\"note\": \"b\"}");
    struct ch_job *j1 = claim(f->s, "w1", T0, 30);
    assert_non_null(j1);
    assert_int_equal(j1->id, a);
    assert_string_equal(j1->kind, "test.record");
    assert_string_equal(j1->payload, "{\"note\":\"a\"}"); /* stored canonical */
    assert_int_equal(j1->attempts, 1);
    assert_int_equal(j1->lease_expires_at, T0 + 30);
    assert_string_equal(state_of(f->s, a), "running");
    struct ch_job *j2 = claim(f->s, "w2", T0, 30);
    assert_non_null(j2);
    assert_int_equal(j2->id, b);
    assert_null(claim(f->s, "w3", T0, 30));
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_jobs_complete(f->s, j1, "{\"ok\": true}", T0 + 1, CLR(err)), CH_OK);
    assert_string_equal(state_of(f->s, a), "done");
    assert_int_equal(job_int(f->s, "finished_at", a), T0 + 1);
    /* completing twice is refused by the fence */
    assert_int_equal(ch_jobs_complete(f->s, j1, NULL, T0 + 2, CLR(err)), CH_E_CONFLICT);
    int64_t counts[CH_JOB_STATE_COUNT];
    assert_int_equal(ch_jobs_counts(f->s, counts, CLR(err)), CH_OK);
    assert_int_equal(counts[CH_JOB_DONE], 1);
    assert_int_equal(counts[CH_JOB_RUNNING], 1);
    assert_int_equal(counts[CH_JOB_QUEUED], 0);
    ch_job_free(j1);
    ch_job_free(j2);
}

static void test_enqueue_validates(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *kind, *payload;
        int rc;
    } bad[] = {
        {"no.such.kind", "{}", CH_E_UNSUPPORTED},
        {"test.record", "[1]", CH_E_INVALID},
        {"test.record", "{\"note\": 1}", CH_E_INVALID},
        {"test.record", "{\"typo\": 1}", CH_E_INVALID},
        {"test.record", "{\"sleep_ms\": 999999}", CH_E_INVALID},
        {"test.record", "{not json", CH_E_INVALID},
        {"import", "{}", CH_E_INVALID},
        {"import", "{\"paths\": []}", CH_E_INVALID},
        {"import", "{\"paths\": [1]}", CH_E_INVALID},
        {"import", "{\"paths\": [\"/x\"], \"format\": \"yaml\"}", CH_E_INVALID},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(bad); i++) {
        struct ch_err err = CH_ERR_INIT;
        const struct ch_job_new j = {.kind = bad[i].kind, .payload = bad[i].payload};
        int64_t id = 0;
        int rc = ch_jobs_enqueue(f->s, &j, T0, &id, NULL, CLR(err));
        if (rc != bad[i].rc)
            fail_msg("%s %s: got %d (%s), want %d", bad[i].kind, bad[i].payload, rc, err.msg,
                     bad[i].rc);
    }
    struct ch_err err = CH_ERR_INIT;
    const struct ch_job_new bad_attempts = {.kind = "test.record", .max_attempts = 1000};
    int64_t id = 0;
    assert_int_equal(ch_jobs_enqueue(f->s, &bad_attempts, T0, &id, NULL, CLR(err)), CH_E_INVALID);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM jobs", NULL), 0);
    /* good ones */
    enqueue_full(f->s, "import", "{\"paths\": [\"/data/osv\"], \"format\": \"osv\"}", NULL, 0, 0);
    enqueue_full(f->s, "test.record", NULL, NULL, 0, 0);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM jobs", NULL), 2);
}

static void test_enqueue_idempotency_key(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    const struct ch_job_new j = {
        .kind = "test.record", .payload = "{\"note\": \"x\"}", .idempotency_key = "req-1"};
    int64_t id1 = 0, id2 = 0;
    bool created = false;
    assert_int_equal(ch_jobs_enqueue(f->s, &j, T0, &id1, &created, CLR(err)), CH_OK);
    assert_true(created);
    /* the same request again, differently formatted: the same job */
    const struct ch_job_new again = {
        .kind = "test.record", .payload = "{ \"note\" : \"x\" }", .idempotency_key = "req-1"};
    assert_int_equal(ch_jobs_enqueue(f->s, &again, T0 + 5, &id2, &created, CLR(err)), CH_OK);
    assert_false(created);
    assert_int_equal(id1, id2);
    /* the key with another payload is a conflict */
    const struct ch_job_new other = {
        .kind = "test.record", .payload = "{\"note\": \"y\"}", .idempotency_key = "req-1"};
    assert_int_equal(ch_jobs_enqueue(f->s, &other, T0, &id2, &created, CLR(err)), CH_E_CONFLICT);
    assert_true(ch_test_contains(err.msg, "idempotency key"));
    /* jobs without keys never collide */
    enqueue(f->s, "{\"note\": \"x\"}");
    enqueue(f->s, "{\"note\": \"x\"}");
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM jobs", NULL), 3);
    /* one audit entry per job created, none for the repeat */
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "job.enqueue"), 3);
}

static void test_claim_respects_run_after_and_kinds(void **state)
{
    struct fixture *f = *state;
    int64_t later = enqueue_full(f->s, "test.record", "{}", NULL, 0, T0 + 100);
    int64_t imp = enqueue_full(f->s, "import", "{\"paths\": [\"/nonexistent\"]}", NULL, 0, 0);
    const char *kinds[] = {"test.record"};
    const struct ch_jobs_claim_options o = {
        .owner = "w1", .kinds = kinds, .n_kinds = 1, .lease_seconds = 10};
    struct ch_err err = CH_ERR_INIT;
    struct ch_job *job = NULL;
    /* the import is ready but not of our kind; ours is not ready yet */
    assert_int_equal(ch_jobs_claim(f->s, &o, T0, &job, CLR(err)), 0);
    assert_int_equal(ch_jobs_claim(f->s, &o, T0 + 100, &job, CLR(err)), 1);
    assert_int_equal(job->id, later);
    ch_job_free(job);
    job = claim(f->s, "w2", T0, 10);
    assert_non_null(job);
    assert_int_equal(job->id, imp);
    ch_job_free(job);
}

static void test_lease_expiry_and_fencing(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = enqueue(f->s, "{}");
    struct ch_job *old = claim(f->s, "w-old", T0, 10);
    assert_non_null(old);
    /* still leased */
    assert_null(claim(f->s, "w-new", T0 + 9, 10));
    /* the heartbeat extends the lease */
    assert_int_equal(ch_jobs_heartbeat(f->s, old, T0 + 8, 10, CLR(err)), CH_OK);
    assert_int_equal(old->lease_expires_at, T0 + 18);
    assert_int_equal(job_int(f->s, "lease_expires_at", id), T0 + 18);
    assert_null(claim(f->s, "w-new", T0 + 17, 10));
    /* the worker died: at expiry another worker takes the job, as attempt 2 */
    struct ch_job *fresh = claim(f->s, "w-new", T0 + 18, 10);
    assert_non_null(fresh);
    assert_int_equal(fresh->id, id);
    assert_int_equal(fresh->attempts, 2);
    char sql[] = "SELECT COUNT(*) FROM jobs WHERE last_error LIKE ?";
    assert_int_equal(query_int(f->s, sql, "lease of 'w-old' expired%"), 1);
    /* the old holder can no longer heartbeat, complete, fail or release */
    assert_int_equal(ch_jobs_heartbeat(f->s, old, T0 + 19, 10, CLR(err)), CH_E_CONFLICT);
    assert_int_equal(ch_jobs_complete(f->s, old, NULL, T0 + 19, CLR(err)), CH_E_CONFLICT);
    assert_true(ch_test_contains(err.msg, "lost"));
    assert_int_equal(ch_jobs_fail(f->s, old, "x", false, T0 + 19, 0, NULL, CLR(err)),
                     CH_E_CONFLICT);
    assert_int_equal(ch_jobs_release(f->s, old, T0 + 19, CLR(err)), CH_E_CONFLICT);
    assert_string_equal(state_of(f->s, id), "running");
    assert_int_equal(ch_jobs_complete(f->s, fresh, NULL, T0 + 20, CLR(err)), CH_OK);
    assert_string_equal(state_of(f->s, id), "done");
    ch_job_free(old);
    ch_job_free(fresh);
}

static void test_expired_without_attempts_left_fails(void **state)
{
    struct fixture *f = *state;
    int64_t id = enqueue_full(f->s, "test.record", "{}", NULL, 2, 0);
    struct ch_job *j = claim(f->s, "a", T0, 5);
    ch_job_free(j);
    j = claim(f->s, "b", T0 + 5, 5);
    assert_non_null(j);
    assert_int_equal(j->attempts, 2);
    ch_job_free(j);
    /* the second holder dies too: no attempt left, the job fails instead of running a third time */
    assert_null(claim(f->s, "c", T0 + 10, 5));
    assert_string_equal(state_of(f->s, id), "failed");
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM jobs WHERE last_error LIKE ?", "lease of 'b'%"), 1);
    assert_int_equal(job_int(f->s, "finished_at", id), T0 + 10);
}

static void test_fail_retries_with_backoff(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = enqueue_full(f->s, "test.record", "{}", NULL, 3, 0);
    enum ch_job_state next = CH_JOB_DONE;
    int64_t now = T0;
    for (int attempt = 1; attempt <= 3; attempt++) {
        struct ch_job *j = claim(f->s, "w", now, 30);
        assert_non_null(j);
        assert_int_equal(j->attempts, attempt);
        assert_int_equal(ch_jobs_fail(f->s, j, "boom", false, now, 0xffffffffu, &next, CLR(err)),
                         CH_OK);
        ch_job_free(j);
        if (attempt < 3) {
            assert_int_equal(next, CH_JOB_QUEUED);
            int64_t run_after = job_int(f->s, "run_after", id);
            int64_t full = (int64_t)CH_JOBS_BACKOFF_BASE_S << (attempt - 1);
            assert_true(run_after >= now + full / 2 && run_after <= now + full);
            /* not before its time */
            assert_null(claim(f->s, "w", run_after - 1, 30));
            now = run_after;
        } else {
            assert_int_equal(next, CH_JOB_FAILED);
        }
    }
    assert_string_equal(state_of(f->s, id), "failed");
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM jobs WHERE last_error = ?", "boom"), 1);
    /* a permanent error fails at once */
    int64_t p = enqueue(f->s, "{}");
    struct ch_job *j = claim(f->s, "w", now, 30);
    assert_int_equal(j->id, p);
    assert_int_equal(ch_jobs_fail(f->s, j, "bad input", true, now, 0, &next, CLR(err)), CH_OK);
    assert_int_equal(next, CH_JOB_FAILED);
    ch_job_free(j);
}

static void test_backoff(void **state)
{
    (void)state;
    /* equal jitter: [d/2, d] with d = 2, 4, 8, ... capped */
    assert_int_equal(ch_jobs_backoff(1, 0), 1);
    assert_int_equal(ch_jobs_backoff(1, 1), 2);
    assert_int_equal(ch_jobs_backoff(2, 0), 2);
    assert_int_equal(ch_jobs_backoff(3, 0), 4);
    assert_int_equal(ch_jobs_backoff(3, 4), 8);
    for (uint32_t r = 0; r < 1000; r += 7) {
        int64_t d = ch_jobs_backoff(5, r);
        assert_true(d >= 16 && d <= 32);
    }
    /* no overflow, whatever the attempt count */
    assert_true(ch_jobs_backoff(1000, 0) >= CH_JOBS_BACKOFF_MAX_S / 2);
    assert_true(ch_jobs_backoff(INT64_MAX, 0xffffffffu) <= CH_JOBS_BACKOFF_MAX_S);
    assert_true(ch_jobs_error_is_permanent(CH_E_INVALID));
    assert_false(ch_jobs_error_is_permanent(CH_E_BUSY));
    assert_false(ch_jobs_error_is_permanent(CH_E_UNAVAILABLE));
}

static void test_cancel_and_retry(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t q = enqueue(f->s, "{}");
    assert_int_equal(ch_jobs_cancel(f->s, q, "test", T0, CLR(err)), CH_OK);
    assert_string_equal(state_of(f->s, q), "cancelled");
    assert_null(claim(f->s, "w", T0, 10));
    assert_int_equal(ch_jobs_cancel(f->s, q, "test", T0, CLR(err)), CH_E_CONFLICT);
    assert_true(ch_test_contains(err.msg, "cancelled"));
    assert_int_equal(ch_jobs_cancel(f->s, 999999, "test", T0, CLR(err)), CH_E_NOTFOUND);
    assert_int_equal(ch_jobs_retry(f->s, 999999, "test", T0, CLR(err)), CH_E_NOTFOUND);
    /* cancelling a running job makes its completion fail: its result is discarded */
    int64_t r = enqueue(f->s, "{}");
    struct ch_job *j = claim(f->s, "w", T0, 10);
    assert_int_equal(j->id, r);
    assert_int_equal(ch_jobs_cancel(f->s, r, "test", T0 + 1, CLR(err)), CH_OK);
    assert_int_equal(ch_jobs_heartbeat(f->s, j, T0 + 2, 10, CLR(err)), CH_E_CONFLICT);
    assert_int_equal(ch_jobs_complete(f->s, j, NULL, T0 + 2, CLR(err)), CH_E_CONFLICT);
    assert_string_equal(state_of(f->s, r), "cancelled");
    ch_job_free(j);
    /* retry puts it back with fresh attempts */
    assert_int_equal(ch_jobs_retry(f->s, r, "test", T0 + 3, CLR(err)), CH_OK);
    assert_string_equal(state_of(f->s, r), "queued");
    assert_int_equal(job_int(f->s, "attempts", r), 0);
    j = claim(f->s, "w", T0 + 3, 10);
    assert_int_equal(j->id, r); /* q stays cancelled: only r is queued */
    assert_int_equal(ch_jobs_complete(f->s, j, NULL, T0 + 4, CLR(err)), CH_OK);
    ch_job_free(j);
    /* a done job can be neither retried nor cancelled */
    assert_int_equal(ch_jobs_retry(f->s, r, "test", T0, CLR(err)), CH_E_CONFLICT);
    assert_int_equal(ch_jobs_cancel(f->s, r, "test", T0, CLR(err)), CH_E_CONFLICT);
    /* every operator action is in the audit chain, and the chain verifies */
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "job.cancel"), 2);
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "job.retry"), 1);
    struct ch_audit_report rep;
    assert_int_equal(ch_audit_verify(f->s, NULL, &rep, CLR(err)), CH_OK);
    assert_int_equal(rep.ok, 1);
}

static void test_release_gives_the_attempt_back(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = enqueue(f->s, "{}");
    struct ch_job *j = claim(f->s, "w", T0, 10);
    assert_int_equal(ch_jobs_release(f->s, j, T0 + 1, CLR(err)), CH_OK);
    ch_job_free(j);
    assert_string_equal(state_of(f->s, id), "queued");
    assert_int_equal(job_int(f->s, "attempts", id), 0);
    j = claim(f->s, "w2", T0 + 1, 10);
    assert_non_null(j);
    assert_int_equal(j->attempts, 1);
    ch_job_free(j);
}

/* The effects of a job written in the completing transaction vanish when the fence refuses. */
static void test_effects_roll_back_with_a_lost_lease(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = enqueue(f->s, "{}");
    struct ch_job *old = claim(f->s, "old", T0, 5);
    struct ch_job *fresh = claim(f->s, "new", T0 + 5, 5);
    assert_non_null(fresh);
    assert_int_equal(ch_store_begin_write(f->s, CLR(err)), CH_OK);
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(f->s,
                                   "INSERT INTO job_test_records (job_id, attempt, worker, at)"
                                   " VALUES (?, 1, 'old', 0)",
                                   &st, CLR(err)),
                     CH_OK);
    ch_stmt_bind_int(st, 1, id);
    assert_int_equal(ch_stmt_run(st, CLR(err)), CH_OK);
    assert_int_equal(ch_jobs_complete(f->s, old, NULL, T0 + 6, CLR(err)), CH_E_CONFLICT);
    ch_store_rollback(f->s);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM job_test_records", NULL), 0);
    ch_job_free(old);
    ch_job_free(fresh);
}

/* --- concurrency ---------------------------------------------------------- */

enum { N_THREADS = 4, N_CONCURRENT_JOBS = 200 };

struct claimer {
    const char *url;
    char owner[32];
    int64_t ids[N_CONCURRENT_JOBS];
    size_t n;
    char error[CH_ERR_MSG_MAX];
};

/* Claims until the queue is empty; records each job's effect in the completing transaction. */
static void *claimer_main(void *arg)
{
    struct claimer *c = arg;
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    if (ch_store_open(c->url, NULL, &s, CLR(err)) != CH_OK) {
        snprintf(c->error, sizeof(c->error), "open: %s", err.msg);
        return NULL;
    }
    const struct ch_jobs_claim_options o = {.owner = c->owner, .lease_seconds = 60};
    for (;;) {
        struct ch_job *job = NULL;
        int rc = ch_jobs_claim(s, &o, T0, &job, CLR(err));
        if (rc == CH_E_BUSY)
            continue;
        if (rc < 0) {
            snprintf(c->error, sizeof(c->error), "claim: %s", err.msg);
            break;
        }
        if (rc == 0)
            break;
        c->ids[c->n++] = job->id;
        struct ch_stmt *st = NULL;
        rc = ch_store_begin_write(s, CLR(err));
        if (rc == CH_OK)
            rc = ch_store_stmt(s,
                               "INSERT INTO job_test_records (job_id, attempt, worker, at)"
                               " VALUES (?, ?, ?, ?)",
                               &st, CLR(err));
        if (rc == CH_OK) {
            ch_stmt_bind_int(st, 1, job->id);
            ch_stmt_bind_int(st, 2, job->attempts);
            ch_stmt_bind_cstr(st, 3, c->owner);
            ch_stmt_bind_int(st, 4, T0);
            rc = ch_stmt_run(st, CLR(err));
        }
        if (rc == CH_OK)
            rc = ch_jobs_complete(s, job, NULL, T0, CLR(err));
        if (rc == CH_OK)
            rc = ch_store_commit(s, CLR(err));
        else
            ch_store_rollback(s);
        ch_job_free(job);
        if (rc != CH_OK) {
            snprintf(c->error, sizeof(c->error), "complete: %s", err.msg);
            break;
        }
    }
    ch_store_free(s);
    return NULL;
}

static void test_concurrent_claimers_never_share_a_job(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_begin_write(f->s, CLR(err)), CH_OK);
    for (int i = 0; i < N_CONCURRENT_JOBS; i++)
        enqueue(f->s, "{}");
    assert_int_equal(ch_store_commit(f->s, CLR(err)), CH_OK);
    struct claimer *c = ch_calloc(N_THREADS, sizeof(*c));
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        c[i].url = f->url;
        snprintf(c[i].owner, sizeof(c[i].owner), "claimer-%d", i);
        assert_int_equal(pthread_create(&th[i], NULL, claimer_main, &c[i]), 0);
    }
    size_t total = 0;
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        if (c[i].error[0] != '\0')
            fail_msg("%s: %s", c[i].owner, c[i].error);
        total += c[i].n;
    }
    /* every job claimed exactly once across the threads */
    assert_int_equal(total, N_CONCURRENT_JOBS);
    char *seen = ch_calloc(N_CONCURRENT_JOBS + 1, 1);
    for (int i = 0; i < N_THREADS; i++) {
        for (size_t k = 0; k < c[i].n; k++) {
            int64_t id = c[i].ids[k];
            assert_true(id >= 1 && id <= N_CONCURRENT_JOBS);
            assert_int_equal(seen[id], 0);
            seen[id] = 1;
        }
    }
    ch_free(seen);
    ch_free(c);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM job_test_records", NULL),
                     N_CONCURRENT_JOBS);
    assert_int_equal(query_int(f->s, "SELECT COUNT(DISTINCT job_id) FROM job_test_records", NULL),
                     N_CONCURRENT_JOBS);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM jobs WHERE state = ?", "done"),
                     N_CONCURRENT_JOBS);
}

/* The runner: three threads drain the queue; a failing job is retried, a bad one fails. */
/* Runs a --once worker (directives may be NULL) at a fixed time until the queue is empty. */
static struct ch_worker_stats run_worker_once(struct fixture *f,
                                              const struct ch_directive_set *directives,
                                              int64_t now, unsigned concurrency)
{
    struct ch_err err = CH_ERR_INIT;
    const struct ch_worker_options o = {.db_url = f->url,
                                        .concurrency = concurrency,
                                        .once = true,
                                        .clock = CH_CLOCK_FIXED(now),
                                        .directives = directives};
    struct ch_worker *w = NULL;
    if (ch_worker_start(&o, &w, CLR(err)) != CH_OK)
        fail_msg("worker: %s", err.msg);
    while (!ch_worker_finished(w)) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    struct ch_worker_stats st;
    ch_worker_free(w, &st);
    return st;
}

static void test_worker_runs_the_queue(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 40; i++)
        enqueue(f->s, i % 10 == 0 ? "{\"audit\": true}" : "{}");
    int64_t flaky = enqueue_full(f->s, "test.record", "{\"fail_attempts\": 1}", NULL, 3, 0);
    int64_t missing =
        enqueue_full(f->s, "import", "{\"paths\": [\"/nonexistent/ch-test\"]}", NULL, 2, 0);
    struct ch_err err = CH_ERR_INIT;
    struct ch_worker_stats st = run_worker_once(f, NULL, T0, 3);
    /* the clock is frozen, so the flaky job waits for its backoff: still queued */
    assert_string_equal(state_of(f->s, flaky), "queued");
    assert_int_equal(st.retried, 1);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM job_test_records", NULL), 40);
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "job.test_record"), 4);
    /* an import of a missing path: the importer reports it as a rejected file, and the job is done
     */
    const char *s_missing = state_of(f->s, missing);
    assert_true(strcmp(s_missing, "done") == 0 || strcmp(s_missing, "failed") == 0);
    assert_int_equal(st.done + st.failed, 41);
    /* a later run (time has passed) finishes the flaky one on its second attempt */
    st = run_worker_once(f, NULL, T0 + 60, 1);
    assert_int_equal(st.done, 1);
    assert_string_equal(state_of(f->s, flaky), "done");
    assert_int_equal(job_int(f->s, "attempts", flaky), 2);
    struct ch_audit_report rep;
    assert_int_equal(ch_audit_verify(f->s, NULL, &rep, CLR(err)), CH_OK);
    assert_int_equal(rep.ok, 1);
}

/*
 * The loop from the knowledge base to the exposures through jobs alone: an
 * import job that adds an advisory queues an exposure.recompute, which the
 * same worker runs, opening the exposure (with its due date: the worker's
 * directives) and the organisation's notice. A full run as a job re-matches
 * every asset and changes nothing more. Payloads are validated at enqueue.
 */
static void test_import_job_queues_exposure_recompute(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    const char *root = getenv("CH_SOURCE_DIR");
    assert_non_null(root);
    char path[4096];
    snprintf(path, sizeof(path), "%s/directives", root);
    struct ch_directive_set *set = NULL;
    assert_int_equal(ch_directive_set_load(path, &set, CLR(err)), CH_OK);
    const struct ch_org_new org = {.slug = "agency", .name = "Agency", .category = CH_ORG_FCEB};
    int64_t org_id = 0, asset_id = 0, version = 0;
    assert_int_equal(ch_org_create(f->s, &org, T0, &org_id, CLR(err)), CH_OK);
    const struct ch_rem_ctx ctx = {.store = f->s, .directives = set, .now = T0, .actor = "test"};
    const struct ch_asset_new asset = {.org_id = org_id,
                                       .name = "billing",
                                       .internet_facing = CH_ASSET_EXPOSED_YES,
                                       .mission = CH_IMPACT_MEDIUM,
                                       .wellbeing = CH_IMPACT_MEDIUM};
    assert_int_equal(ch_asset_create(&ctx, &asset, &asset_id, CLR(err)), CH_OK);
    const char *reqs = "jobfoo==1.0\nunrelated==3.1\n";
    const struct ch_inventory_attach in = {
        .asset_id = asset_id, .file_name = "requirements.txt", .data = reqs, .len = strlen(reqs)};
    struct ch_exposure_stats est;
    if (ch_asset_attach_inventory(&ctx, 0, &in, &version, &est, CLR(err)) != CH_OK)
        fail_msg("attach: %s", err.msg);
    assert_int_equal(est.opened, 0); /* nothing is known about jobfoo yet */

    /* an advisory for it, imported by a job */
    char osv[4096];
    snprintf(osv, sizeof(osv), "%s/PYSEC-JOB-1.json", f->dir);
    const char *doc =
        "{\"schema_version\": \"1.6.0\", \"id\": \"PYSEC-JOB-1\", \"modified\":"
        " \"2027-01-01T00:00:00Z\", \"aliases\": [\"CVE-2026-7001\"], \"affected\": [{"
        "\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"jobfoo\"}, \"ranges\": [{\"type\":"
        " \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"2.0\"}]}]}]}";
    ch_test_write_file(osv, doc, strlen(doc));
    char payload[4200];
    snprintf(payload, sizeof(payload), "{\"paths\": [\"%s\"]}", osv);
    int64_t import_job = enqueue_full(f->s, "import", payload, NULL, 0, 0);
    struct ch_worker_stats ws = run_worker_once(f, set, T0 + 10, 1);
    assert_int_equal(ws.failed, 0);
    assert_string_equal(state_of(f->s, import_job), "done");
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM jobs WHERE kind = ?", "exposure.recompute"), 1);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM jobs WHERE state <> 'done'", NULL), 0);
    assert_int_equal(ws.done, 2);
    /* the exposure, decided (BOD 26-04 applies to an FCEB asset), and its notice */
    assert_int_equal(query_int(f->s,
                               "SELECT COUNT(*) FROM exposures WHERE package = ? AND status ="
                               " 'open' AND due_at IS NOT NULL",
                               "jobfoo"),
                     1);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM exposures", NULL), 1);
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM notices WHERE vuln = ?", "CVE-2026-7001"), 1);
    assert_int_equal(query_int(f->s,
                               "SELECT COUNT(*) FROM jobs WHERE kind = 'exposure.recompute'"
                               " AND result LIKE ?",
                               "%\"opened\":1%"),
                     1);

    /* the same file again: unchanged, so nothing is queued */
    enqueue_full(f->s, "import", payload, NULL, 0, 0);
    ws = run_worker_once(f, set, T0 + 20, 1);
    assert_int_equal(ws.done, 1);
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM jobs WHERE kind = ?", "exposure.recompute"), 1);

    /* a full run as a job: every asset re-matched, nothing new */
    int64_t all = enqueue_full(f->s, "exposure.recompute", "{\"all\": true}", NULL, 0, 0);
    ws = run_worker_once(f, set, T0 + 30, 1);
    assert_string_equal(state_of(f->s, all), "done");
    assert_int_equal(query_int(f->s,
                               "SELECT COUNT(*) FROM jobs WHERE kind = 'exposure.recompute'"
                               " AND result LIKE ?",
                               "%\"mode\":\"all\",\"assets\":1,%\"opened\":0%"),
                     1);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM exposures", NULL), 1);

    /* payloads are checked when queued */
    static const char *const bad[] = {"{\"all\": \"yes\"}", "{\"everything\": true}"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(bad); i++) {
        const struct ch_job_new j = {.kind = "exposure.recompute", .payload = bad[i]};
        int64_t id = 0;
        assert_int_equal(ch_jobs_enqueue(f->s, &j, T0, &id, NULL, CLR(err)), CH_E_INVALID);
    }
    ch_directive_set_free(set);
}

static void test_worker_rejects_bad_options(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_worker *w = NULL;
    const char *kinds[] = {"nope"};
    const struct ch_worker_options bad_kind = {
        .db_url = f->url, .concurrency = 1, .kinds = kinds, .n_kinds = 1};
    assert_int_equal(ch_worker_start(&bad_kind, &w, CLR(err)), CH_E_UNSUPPORTED);
    const struct ch_worker_options zero = {.db_url = f->url, .concurrency = 0};
    assert_int_equal(ch_worker_start(&zero, &w, CLR(err)), CH_E_INVALID);
    assert_null(w);
}

static int to_json(void *ctx, const struct ch_job_info *j, struct ch_err *err)
{
    ch_job_info_json(ctx, j);
    return CH_OK;
}

static void test_list_and_show(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t a = enqueue_full(f->s, "test.record", "{\"note\": \"n\"}", "key-a", 0, 0);
    int64_t b = enqueue(f->s, "{}");
    struct ch_job *j = claim(f->s, "w", T0, 10);
    assert_int_equal(j->id, a);
    assert_int_equal(ch_jobs_complete(f->s, j, "{\"attempt\": 1}", T0, CLR(err)), CH_OK);
    ch_job_free(j);
    struct ch_buf b_all;
    ch_buf_init(&b_all, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b_all, 0);
    ch_jw_arr_open(&w);
    assert_int_equal(ch_jobs_list(f->s, false, CH_JOB_QUEUED, 10, to_json, &w, CLR(err)), CH_OK);
    ch_jw_arr_close(&w);
    assert_int_equal(ch_jw_finish(&w, CLR(err)), CH_OK);
    cJSON *tree = NULL;
    assert_int_equal(
        ch_json_parse(ch_buf_cstr(&b_all), ch_buf_len(&b_all), NULL, "list", &tree, CLR(err)),
        CH_OK);
    assert_int_equal(cJSON_GetArraySize(tree), 2);
    const cJSON *first = cJSON_GetArrayItem(tree, 0); /* newest first */
    assert_int_equal((int64_t)cJSON_GetObjectItem(first, "id")->valuedouble, b);
    const cJSON *second = cJSON_GetArrayItem(tree, 1);
    assert_string_equal(ch_json_str(second, "state"), "done");
    assert_string_equal(ch_json_str(second, "idempotency_key"), "key-a");
    assert_string_equal(ch_json_str(ch_json_obj(second, "payload"), "note"), "n");
    assert_non_null(ch_json_obj(second, "result"));
    cJSON_Delete(tree);
    /* filtered by state */
    ch_buf_reset(&b_all);
    ch_jw_init(&w, &b_all, 0);
    ch_jw_arr_open(&w);
    assert_int_equal(ch_jobs_list(f->s, true, CH_JOB_QUEUED, 10, to_json, &w, CLR(err)), CH_OK);
    ch_jw_arr_close(&w);
    assert_true(ch_test_contains(ch_buf_cstr(&b_all), "\"queued\""));
    assert_false(ch_test_contains(ch_buf_cstr(&b_all), "\"done\""));
    ch_buf_release(&b_all);
    /* show: one, or not found */
    struct ch_buf one;
    ch_buf_init(&one, 1 << 20);
    ch_jw_init(&w, &one, 0);
    assert_int_equal(ch_jobs_get(f->s, a, to_json, &w, CLR(err)), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&one), "\"lease_owner\":\"w\""));
    assert_int_equal(ch_jobs_get(f->s, 424242, to_json, &w, CLR(err)), CH_E_NOTFOUND);
    ch_buf_release(&one);
    assert_int_equal(ch_jobs_list(f->s, false, CH_JOB_QUEUED, 0, to_json, &w, CLR(err)),
                     CH_E_LIMIT);
    enum ch_job_state st;
    assert_int_equal(ch_job_state_parse("cancelled", &st, CLR(err)), CH_OK);
    assert_int_equal(st, CH_JOB_CANCELLED);
    assert_int_equal(ch_job_state_parse("bogus", &st, CLR(err)), CH_E_INVALID);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_claim_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enqueue_validates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enqueue_idempotency_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_respects_run_after_and_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_expiry_and_fencing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_without_attempts_left_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_retries_with_backoff, setup, teardown),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test_setup_teardown(test_cancel_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_gives_the_attempt_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_effects_roll_back_with_a_lost_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_claimers_never_share_a_job, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_worker_runs_the_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_job_queues_exposure_recompute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_rejects_bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_and_show, setup, teardown),
    };
    return cmocka_run_group_tests_name("jobs", tests, NULL, NULL);
}
