/* SPDX-License-Identifier: Apache-2.0
 *
 * run.h: evaluation runs with a journal in the store, and their reports.
 *
 * A run is a suite x model x epochs. Creating it writes one eval_sample row
 * per (task, epoch) in state "pending"; `concurrency` worker threads then
 * run samples (ch_agent_run_sample) while the calling thread, the only one
 * touching the store, records each outcome as it arrives. A sample becomes
 * "done" only after its transcript is on disk (fdatasync) and its row is
 * committed, so a run killed at any point resumes (ch_eval_run with
 * resume_run_id) by asking again only samples that were not done: no
 * completed sample is ever asked twice. Harness failures (infra, sandbox,
 * scorer) are retried up to max_attempts times, then recorded as such and
 * excluded from success rates, never counted as a failure of the model.
 *
 * Reports (ch_eval_report_json) compute, per task, per category and
 * overall: success rates with 95 % intervals (Wilson per task; cluster
 * bootstrap over tasks for aggregates, seeded by the run so a report is
 * reproducible), unbiased pass@k, tokens and time per success, and outcome
 * counts. See docs/evaluation.md.
 */
#ifndef CH_EVAL_RUN_H
#define CH_EVAL_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/keys.h"
#include "eval/agent.h"
#include "eval/model.h"
#include "eval/models.h"
#include "eval/suite.h"

struct ch_store;

/* Epochs per task, samples in parallel, harness attempts per sample. */
#define CH_EVAL_MAX_EPOCHS 1000u
#define CH_EVAL_MAX_CONCURRENCY 1024u
#define CH_EVAL_DEFAULT_ATTEMPTS 3u
/* Samples in one run. */
#define CH_EVAL_MAX_SAMPLES 10000000u
/* As root, worker i's sandboxes run as host uid/gid BASE + i (no account needed). */
#define CH_EVAL_SANDBOX_UID_BASE 0x30000u
/* Bootstrap resamples of a report. */
#define CH_EVAL_REPORT_RESAMPLES 2000u

struct ch_eval_progress {
    uint64_t total;
    uint64_t done; /* done samples, this session and before */
    uint64_t running;
    uint64_t success;
    uint64_t prompt_tokens; /* this session */
    uint64_t completion_tokens;
    double cost;
    uint64_t http_retries;
    int64_t eta_s; /* -1 until something finished this session */
};

typedef void (*ch_eval_progress_fn)(void *arg, const struct ch_eval_progress *p);

struct ch_eval_run_options {
    const struct ch_suite *suite;
    const char *model;
    const char *endpoint;
    unsigned epochs;       /* >= 1 */
    unsigned concurrency;  /* samples in parallel, >= 1 */
    const char *task_glob; /* NULL: every runnable task */
    bool guided;
    uint64_t seed;              /* report bootstrap seed; 0 = derived from the run id */
    const char *transcript_dir; /* run-N/ is created below it */
    unsigned max_attempts;      /* 0 = CH_EVAL_DEFAULT_ATTEMPTS */
    int64_t resume_run_id;      /* 0: a new run */
    struct ch_model_client *client;
    const struct ch_agent_env *env;
    struct ch_clock clock;
    ch_eval_progress_fn progress;
    void *progress_arg;
    const volatile int *stop; /* set non-zero (e.g. by SIGINT) to stop dispatching */
    /*
     * Sealed transcripts, for suites where ch_eval_run_seals() holds: each
     * sample's transcript is written into a private directory (mode 0700,
     * removed at the end) below env->work_root instead of transcript_dir,
     * sealed into the store by the recording thread in the sample's own
     * transaction (CH_SEALED_TRANSCRIPT "run:N/TASK.eEPOCH", the suite's
     * classification, the run id), then deleted. eval_sample.transcript then
     * reads "sealed:run:N/TASK.eEPOCH"; transcript_sha256 is kept as ever.
     */
    const struct ch_keys *seal_keys;
    const struct ch_eval_actor *actor; /* who seals (an evaluating role) */
};

struct ch_eval_run_summary {
    int64_t run_id;
    bool resumed;
    bool complete; /* every sample done */
    bool budget_exhausted;
    uint64_t total;
    uint64_t done;
    uint64_t asked; /* samples run in this session */
};

/*
 * Whether the transcripts of runs of the suite are sealed: a suite loaded
 * from the sealed store (path "sealed:ID") or classified above unclassified.
 */
bool ch_eval_run_seals(const struct ch_suite *suite);

/*
 * Creates or resumes a run and works until every sample is done, the
 * budget runs out or *stop is set. Errors: CH_E_NOTFOUND (no such run),
 * CH_E_CONFLICT (resuming with another suite file, model or endpoint, or a
 * run already complete, or a run with sealed transcripts without sealing),
 * CH_E_INVALID (no task matches; sealing needed without seal_keys and
 * actor), CH_E_DB, CH_E_IO.
 */
int ch_eval_run(struct ch_store *s, const struct ch_eval_run_options *o,
                struct ch_eval_run_summary *ret, struct ch_err *err) CH_MUST_CHECK;

/*
 * Opens the transcript of one sample (run, task, epoch) into out (reset
 * first) for a cleared reader: a sealed transcript through ch_sealed_open()
 * (CH_SEALED_FOR_READER, audited), a plain one from its file; either way it
 * must match the digest the journal recorded (CH_E_INVALID). CH_E_NOTFOUND
 * when there is no such sample or transcript, or the actor may not read it
 * (an evaluating role and clearance at or above the run's classification):
 * the same answer. Wipe out with ch_seal_buf_wipe(). Call outside a transaction.
 */
int ch_eval_transcript_open(struct ch_store *s, const struct ch_keys *keys,
                            const struct ch_eval_actor *a, int64_t run_id, const char *task,
                            unsigned epoch, int64_t now, struct ch_buf *out,
                            struct ch_err *err) CH_MUST_CHECK;

/* Writes the report of a run as a JSON object. CH_E_NOTFOUND when there is no such run. */
int ch_eval_report_json(struct ch_store *s, int64_t run_id, struct ch_jw *w,
                        struct ch_err *err) CH_MUST_CHECK;

/* Writes the report as text tables. */
int ch_eval_report_text(struct ch_store *s, int64_t run_id, struct ch_buf *out,
                        struct ch_err *err) CH_MUST_CHECK;

#endif
