/* SPDX-License-Identifier: Apache-2.0
 *
 * handlers.h: what each job kind does, in one table (kind -> handler).
 *
 * A handler validates its payload when the job is queued (so a bad payload
 * is refused at enqueue, not discovered by a worker) and runs it when a
 * worker claims the job. Handlers are idempotent: a job may run again after
 * its worker died mid-way, so running twice must leave the same state as
 * running once. Handlers flagged CH_JOB_IN_TX run inside the write
 * transaction that marks the job done (jobs.h, fencing): their database
 * effects commit exactly once. The others (a large import commits in
 * batches) are idempotent by construction and are completed afterwards.
 *
 * Kinds shipped:
 *   import       {"paths": ["/abs/path", ...], "format": "auto"|"osv"|...}
 *                -> ch_import_paths; result: the import's counts. An import
 *                that added, changed or withdrew anything queues an
 *                exposure.recompute (key "exposure.recompute:after-job:ID"),
 *                so knowledge-base changes reach the exposures with no one
 *                having to ask.
 *   exposure.recompute  {"all": false}
 *                -> ch_exposure_recompute_pending (the changes since the last
 *                run), or with "all": true ch_exposure_recompute_all (every
 *                asset re-matched, reading on a second connection); result:
 *                the run's counts. Needs the worker's directives (without
 *                them exposures are matched but no due date is decided).
 *                Re-running is safe: a run writes only what differs.
 *   test.record  {"note": "...", "audit": bool, "sleep_ms": N, "fail_attempts": N}
 *                -> one row in job_test_records (and an audit entry with
 *                "audit"), then a sleep of sleep_ms before the transaction
 *                commits (so a killed worker dies between effects and
 *                commit); attempts <= fail_attempts fail with a retryable
 *                error. Used by the tests to prove exactly-once effects.
 */
#ifndef CH_JOBS_HANDLERS_H
#define CH_JOBS_HANDLERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/json.h"
#include "jobs/jobs.h"
#include "remediate/directive.h"
#include "store/store.h"

/* Import payloads name files, not data. */
#define CH_JOB_IMPORT_MAX_PATHS 1000
#define CH_JOB_PATH_MAX 4096
/* test.record may hold its transaction open this long, no longer. */
#define CH_JOB_TEST_MAX_SLEEP_MS 10000
#define CH_JOB_NOTE_MAX 1000

enum ch_job_handler_flags {
    CH_JOB_IN_TX = 1 << 0, /* runs inside the transaction that completes the job */
};

/* What a running handler gets; all borrowed for the duration of the run. */
struct ch_job_ctx {
    const struct ch_job *job;
    struct ch_store *store;  /* the worker thread's connection */
    const char *db_url;      /* its database, for a handler that needs a second connection */
    /* the directives the worker loaded (exposure.recompute decides due dates with them);
     * NULL: none */
    const struct ch_directive_set *directives;
    int64_t now;             /* when the run started */
    const atomic_bool *stop; /* set on graceful stop or lost lease: finish early if possible */
    struct ch_buf *result;   /* the handler may write a JSON result here */
};

typedef int (*ch_job_validate_fn)(const cJSON *payload, struct ch_err *err);
typedef int (*ch_job_run_fn)(struct ch_job_ctx *ctx, const cJSON *payload, struct ch_err *err);

struct ch_job_handler {
    const char *kind;
    const char *summary; /* one line for `jobs --help` */
    ch_job_validate_fn validate;
    ch_job_run_fn run;
    unsigned flags; /* enum ch_job_handler_flags */
};

/* The handler of a kind, or NULL. */
const struct ch_job_handler *ch_job_handler_find(const char *kind);
/* The i-th registered handler (for listing), NULL past the end. */
const struct ch_job_handler *ch_job_handler_at(size_t i);

/*
 * Parses a payload (a JSON object, at most CH_JOBS_PAYLOAD_MAX bytes) and
 * runs the kind's validation. On success *ret is an owned tree
 * (cJSON_Delete). CH_E_UNSUPPORTED for an unknown kind.
 */
int ch_job_payload_parse(const char *kind, const char *payload, cJSON **ret,
                         struct ch_err *err) CH_MUST_CHECK;

#endif
