/* SPDX-License-Identifier: Apache-2.0
 *
 * jobs.h: the durable job queue, shared by every `clearinghouse serve` and
 * `clearinghouse worker` process on one database.
 *
 * A job is a row of `jobs` (migration 0005): a kind (the name of a handler,
 * jobs/handlers.h), a JSON payload and a state:
 *
 *     queued --claim--> running --complete--> done
 *        ^                 |  \--fail (no attempts left, or permanent)--> failed
 *        |                 |--fail (attempts left): run_after = now + backoff
 *        +-----------------+--release (graceful stop) / lease expired
 *     queued | running --cancel--> cancelled;  failed | cancelled --retry--> queued
 *
 * Claiming takes a lease (owner, expiry). A worker extends it while the job
 * runs (ch_jobs_heartbeat); when the worker dies the lease runs out and the
 * job becomes claimable again, counting as an attempt. On PostgreSQL a claim
 * is SELECT ... FOR UPDATE SKIP LOCKED inside a transaction followed by the
 * UPDATE that takes the lease, so concurrent claimers never wait on each
 * other and never get the same job; on SQLite the same statements run under
 * BEGIN IMMEDIATE, which makes the claim single-writer.
 *
 * Fencing: a claim is identified by (id, lease_owner, attempts). Completing,
 * failing, releasing and heartbeats change the row only while it still
 * belongs to that claim, and report CH_E_CONFLICT ("lease lost") otherwise.
 * A handler's side effects written in the transaction that completes the
 * job therefore commit exactly once, however often the job was claimed.
 *
 * Times are Unix seconds from the caller (struct ch_clock), never the
 * database's clock: leases compare the claimer's clock with the holder's, so
 * machines sharing a database need synchronised clocks (skew well below the
 * lease). Operator actions (enqueue, cancel, retry) append to the audit chain
 * in the same transaction.
 *
 * Threading: every function uses the store it is given (one thread at a
 * time per store); the queue itself is safe for any number of processes.
 */
#ifndef CH_JOBS_JOBS_H
#define CH_JOBS_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "store/store.h"

/* A kind is a handler name, short and printable. */
#define CH_JOBS_KIND_MAX 64
/* Payloads name files and options, never data: 64 KiB is generous. */
#define CH_JOBS_PAYLOAD_MAX ((size_t)64 << 10)
/* Idempotency keys are client-chosen identifiers (UUIDs, request ids). */
#define CH_JOBS_KEY_MAX 200
#define CH_JOBS_DEFAULT_MAX_ATTEMPTS 5
/* More attempts than this is a misconfiguration, not persistence. */
#define CH_JOBS_MAX_ATTEMPTS 100
/* A lease long enough to survive a slow heartbeat, short enough to recover a dead worker. */
#define CH_JOBS_DEFAULT_LEASE_S 30
#define CH_JOBS_MAX_LEASE_S 3600
/* Retry delay: base * 2^(attempt-1), capped, then jittered into [d/2, d]. */
#define CH_JOBS_BACKOFF_BASE_S 2
#define CH_JOBS_BACKOFF_MAX_S 3600
/* A worker filters on at most this many kinds. */
#define CH_JOBS_MAX_KINDS 16
/* Rows one list call returns. */
#define CH_JOBS_LIST_MAX 10000
/* "host:pid:tN" */
#define CH_JOBS_OWNER_MAX 128
/* Expired leases of jobs with no attempts left that one claim call may turn to failed. */
#define CH_JOBS_CLAIM_SCAN 32

enum ch_job_state {
    CH_JOB_QUEUED,
    CH_JOB_RUNNING,
    CH_JOB_DONE,
    CH_JOB_FAILED,
    CH_JOB_CANCELLED,
    CH_JOB_STATE_COUNT
};

/* "queued", "running", ...; NULL for an out-of-range value. */
const char *ch_job_state_name(enum ch_job_state s);
/* CH_E_INVALID naming the accepted states. */
int ch_job_state_parse(const char *s, enum ch_job_state *ret, struct ch_err *err) CH_MUST_CHECK;

struct ch_job_new {
    const char *kind;            /* a registered handler (jobs/handlers.h) */
    const char *payload;         /* JSON object text; NULL means "{}" */
    const char *idempotency_key; /* NULL: none */
    int64_t run_after;           /* not before (Unix seconds); 0: now */
    int max_attempts;            /* 0: CH_JOBS_DEFAULT_MAX_ATTEMPTS */
    const char *actor;           /* audit actor ("cli", "user:alice"); NULL: "system" */
};

/*
 * Queues a job after the kind's handler has validated the payload
 * (CH_E_INVALID naming the problem; CH_E_UNSUPPORTED for an unknown kind).
 * With an idempotency key that is already taken, nothing is inserted: the
 * existing job's id is returned and *ret_created is false, or CH_E_CONFLICT
 * when that job has another kind or payload. Runs inside the caller's
 * transaction when there is one. ret_created may be NULL.
 */
int ch_jobs_enqueue(struct ch_store *s, const struct ch_job_new *j, int64_t now, int64_t *ret_id,
                    bool *ret_created, struct ch_err *err) CH_MUST_CHECK;

/*
 * A claimed job: owned by the caller, freed with ch_job_free(). Identifies
 * the claim for fencing (id, owner, attempts).
 */
struct ch_job {
    int64_t id;
    char *kind;
    char *payload;    /* JSON object text */
    int64_t attempts; /* claims so far, this one included (1-based) */
    int64_t max_attempts;
    int64_t lease_expires_at;
    char owner[CH_JOBS_OWNER_MAX];
};

void ch_job_free(struct ch_job *job);

struct ch_jobs_claim_options {
    const char *owner;        /* lease owner, unique per worker thread */
    const char *const *kinds; /* claim only these kinds; NULL: any */
    size_t n_kinds;           /* <= CH_JOBS_MAX_KINDS */
    int lease_seconds;        /* 0: CH_JOBS_DEFAULT_LEASE_S */
};

/*
 * Claims the next ready job: queued with run_after <= now, or running with
 * an expired lease, oldest run_after first. An expired job with no attempts
 * left becomes failed instead ("lease expired"). Returns 1 and the owned job
 * in *ret, 0 when nothing is ready, or an error (CH_E_BUSY: contention,
 * try again). Must not be called inside a transaction.
 */
int ch_jobs_claim(struct ch_store *s, const struct ch_jobs_claim_options *o, int64_t now,
                  struct ch_job **ret, struct ch_err *err) CH_MUST_CHECK;

/*
 * Extends the lease to now + lease_seconds (fenced). CH_E_CONFLICT when the
 * claim is no longer the job's (expired and claimed again, or cancelled):
 * the worker must stop the handler and let its work be discarded.
 */
int ch_jobs_heartbeat(struct ch_store *s, struct ch_job *job, int64_t now, int lease_seconds,
                      struct ch_err *err) CH_MUST_CHECK;

/*
 * Marks the claimed job done with an optional JSON result (NULL: none),
 * fenced: CH_E_CONFLICT when the lease was lost. Runs inside the caller's
 * transaction when there is one, so a handler's side effects and the done
 * mark commit together or not at all.
 */
int ch_jobs_complete(struct ch_store *s, const struct ch_job *job, const char *result, int64_t now,
                     struct ch_err *err) CH_MUST_CHECK;

/*
 * Records a failed attempt (fenced). With attempts left and !permanent the
 * job is queued again after ch_jobs_backoff(attempts, jitter); otherwise it
 * is failed. *ret_state (may be NULL) tells which. jitter is any random
 * 32-bit value (tests pass fixed ones).
 */
int ch_jobs_fail(struct ch_store *s, const struct ch_job *job, const char *message, bool permanent,
                 int64_t now, uint32_t jitter, enum ch_job_state *ret_state,
                 struct ch_err *err) CH_MUST_CHECK;

/*
 * Gives a claimed job back without counting the attempt (a worker stopping
 * gracefully before the handler finished): queued, claimable at once.
 */
int ch_jobs_release(struct ch_store *s, const struct ch_job *job, int64_t now,
                    struct ch_err *err) CH_MUST_CHECK;

/* Seconds to wait before attempt `attempts` + 1: full backoff d, jittered into [d/2, d]. */
int64_t ch_jobs_backoff(int64_t attempts, uint32_t jitter);

/* True for errors that retrying cannot fix (bad payload, missing file, unsupported). */
bool ch_jobs_error_is_permanent(int rc);

/*
 * Operator actions, audited as "job.cancel" / "job.retry" by actor.
 * cancel: a queued or running job becomes cancelled (a running handler's
 * completion is then refused by the fence); CH_E_CONFLICT for a finished
 * job. retry: a failed or cancelled job is queued again with its attempts
 * reset; CH_E_CONFLICT otherwise. CH_E_NOTFOUND for an unknown id.
 */
int ch_jobs_cancel(struct ch_store *s, int64_t id, const char *actor, int64_t now,
                   struct ch_err *err) CH_MUST_CHECK;
int ch_jobs_retry(struct ch_store *s, int64_t id, const char *actor, int64_t now,
                  struct ch_err *err) CH_MUST_CHECK;

/* One row, as read; strings borrowed for the duration of the callback. */
struct ch_job_info {
    int64_t id;
    const char *kind;
    const char *payload;
    enum ch_job_state state;
    int64_t attempts;
    int64_t max_attempts;
    int64_t run_after;
    const char *lease_owner;     /* the latest claimer (kept after it ends); NULL: never claimed */
    int64_t lease_expires_at;    /* -1 when not leased (not running) */
    const char *last_error;      /* NULL when none */
    const char *result;          /* JSON text or NULL */
    const char *idempotency_key; /* NULL when none */
    int64_t created_at;
    int64_t started_at;  /* -1 when never claimed */
    int64_t finished_at; /* -1 when not finished */
};

typedef int (*ch_job_info_fn)(void *ctx, const struct ch_job_info *job, struct ch_err *err);

/*
 * Calls fn for jobs newest first, only in `state` when state_filter is true,
 * at most `limit` (<= CH_JOBS_LIST_MAX) rows. Stops at fn's first error and
 * returns it.
 */
int ch_jobs_list(struct ch_store *s, bool state_filter, enum ch_job_state state, unsigned limit,
                 ch_job_info_fn fn, void *ctx, struct ch_err *err) CH_MUST_CHECK;
/* One job by id; CH_E_NOTFOUND when absent. */
int ch_jobs_get(struct ch_store *s, int64_t id, ch_job_info_fn fn, void *ctx,
                struct ch_err *err) CH_MUST_CHECK;
/* Writes one job as a JSON object (payload and result inline as JSON). */
void ch_job_info_json(struct ch_jw *w, const struct ch_job_info *job);

/* Number of jobs in each state. */
int ch_jobs_counts(struct ch_store *s, int64_t ret[CH_JOB_STATE_COUNT],
                   struct ch_err *err) CH_MUST_CHECK;

#endif
