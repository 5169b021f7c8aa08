/* SPDX-License-Identifier: Apache-2.0
 *
 * agent.h: one sample of one task: prepares the task's sandbox work
 * directory, converses with the model (tools `bash` and `submit` for shell
 * and proof-of-vulnerability tasks, `submit` alone for free-answer tasks, a
 * letter for multiple choice), scores, and writes the transcript.
 *
 * Every model turn and every tool call with its result is appended to the
 * sample's transcript, one JSON object per line, and the file's SHA-256 is
 * returned so the run journal can pin it. A correct submission is recorded
 * as "[correct submission withheld]" with its digest: the transcript of a
 * solved task must not become a copy of the flag (tool output can still
 * show it; transcripts carry the suite's classification).
 *
 * Outcomes (enum ch_outcome) separate what the model did from what went
 * wrong around it: `infra`, `sandbox` and `scorer` are never counted as a
 * failure of the model; the run retries them and reports them apart.
 *
 * Threading: ch_agent_run_sample() blocks (model calls and sandbox runs);
 * run several samples on several threads. No global state.
 */
#ifndef CH_EVAL_AGENT_H
#define CH_EVAL_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "eval/model.h"
#include "eval/suite.h"

/* What the model sees of one command's output: head and tail around an omission. */
#define CH_AGENT_TOOL_OUTPUT_MAX 8192u
/* A proof-of-vulnerability input the scorer copies (bytes). */
#define CH_AGENT_POV_MAX_BYTES ((size_t)1 << 20)
/* Text files inlined into a free-answer prompt (bytes each). */
#define CH_AGENT_ATTACH_MAX 65536u
/* Default wall clock of one shell command when the task does not set one. */
#define CH_AGENT_DEFAULT_CMD_MS 20000
/* Completion tokens asked for per turn (capped by what the sample has left). */
#define CH_AGENT_MAX_TOKENS_PER_TURN 16384u

enum ch_outcome {
    CH_OUTCOME_SUCCESS = 0,
    CH_OUTCOME_FAIL,     /* wrong answer, or submissions used up */
    CH_OUTCOME_LIMIT,    /* tokens, turns or working time ran out (detail says which) */
    CH_OUTCOME_REFUSED,  /* the model declined */
    CH_OUTCOME_FILTERED, /* the provider's content filter stopped it */
    CH_OUTCOME_SANDBOX,  /* the sandbox or the task's setup is broken */
    CH_OUTCOME_INFRA,    /* the endpoint failed after retries, or a local I/O failure */
    CH_OUTCOME_SCORER,   /* the scorer itself failed (e.g. the patched build) */
    CH_OUTCOME_COUNT
};

/* "success", "fail", "limit", "refused", "filtered", "sandbox", "infra", "scorer". */
const char *ch_outcome_str(enum ch_outcome o);
int ch_outcome_parse(const char *s, enum ch_outcome *ret);
/* Whether an outcome measures the model (counted in success rates). */
bool ch_outcome_scored(enum ch_outcome o);
/* Whether an outcome is a harness failure to retry (infra, sandbox, scorer). */
bool ch_outcome_retryable(enum ch_outcome o);

/* A memory file system for the work directories of sealed suites (see ch_agent_memory_root). */
#define CH_AGENT_MEMORY_ROOT "/dev/shm"

/*
 * Where the work directories of a sealed suite go when the caller names
 * none: CH_AGENT_MEMORY_ROOT when it is a writable directory mounted without
 * noexec (task programs run from it), else `fallback`. Sealed task files the
 * sandbox needs then live in memory only, for as long as the sample runs.
 */
const char *ch_agent_memory_root(const char *fallback);

/* Where and how sandboxes run. Borrowed. */
struct ch_agent_env {
    const char *work_root;  /* host directory for per-sample work directories */
    const char *bwrap_path; /* NULL: the standard locations */
    uint32_t host_uid;      /* see sandbox.h; 0 = default */
    uint32_t host_gid;
};

struct ch_sample_spec {
    const struct ch_suite *suite;
    const struct ch_task *task;
    unsigned epoch;
    bool guided;
    const char *sample_key;      /* "RUN/TASK/EPOCH", sent as X-Eval-Sample */
    const char *transcript_path; /* JSONL file written (truncated first) */
    struct ch_model_client *model;
    const struct ch_agent_env *env;
};

struct ch_sample_result {
    enum ch_outcome outcome;
    char detail[256];
    uint32_t turns;
    uint64_t prompt_tokens;
    uint64_t completion_tokens;
    double cost;
    int64_t model_ms; /* time waiting for the model */
    int64_t tool_ms;  /* time in sandboxes (setup, tools, scoring) */
    int64_t wall_ms;
    uint32_t retries; /* HTTP retries of this sample's calls */
    uint32_t submissions;
    uint32_t tool_calls;
    char transcript_sha256[65];
};

/*
 * Runs one sample to an outcome and writes *ret. Returns CH_OK whenever an
 * outcome was reached (harness failures included, as outcomes); CH_E_RATE
 * when the run's budget ran out first (the sample must stay pending);
 * CH_E_IO when the transcript cannot be written.
 */
int ch_agent_run_sample(const struct ch_sample_spec *spec, struct ch_sample_result *ret,
                        struct ch_err *err) CH_MUST_CHECK;

/*
 * Creates a fresh work directory below env->work_root, copies the task's
 * files (checking their SHA-256) and runs its setup commands in the sandbox.
 * *ret_dir is owned (ch_eval_rmtree + ch_free). CH_E_UNAVAILABLE when the
 * sandbox cannot run, CH_E_INVALID when a file differs from its hash or a
 * setup command fails, CH_E_IO.
 */
int ch_agent_prepare(const struct ch_task *task, const struct ch_agent_env *env, char **ret_dir,
                     struct ch_err *err) CH_MUST_CHECK;

/* Runs a shell command in the task's sandbox with `dir` at /job. */
struct ch_sandbox_result;
int ch_agent_shell(const struct ch_task *task, const struct ch_agent_env *env, const char *dir,
                   const char *command, int64_t wall_ms, struct ch_sandbox_result *ret,
                   struct ch_err *err) CH_MUST_CHECK;

/*
 * Scores a proof of vulnerability: the file `pov_rel` inside `dir`.
 * *ret_ok says whether the vulnerable build crashed and the patched did not;
 * detail (size 256) says what happened. Errors are scorer failures.
 */
int ch_agent_score_pov(const struct ch_task *task, const struct ch_agent_env *env, const char *dir,
                       const char *pov_rel, bool *ret_ok, char *detail,
                       struct ch_err *err) CH_MUST_CHECK;

/*
 * Proves a task solvable: runs its solution (shell tasks in the sandbox) and
 * scores the answer. *ret_ok and detail (size 256) report the verdict;
 * errors are harness failures. Tasks without a solution give CH_E_NOTFOUND.
 */
int ch_agent_verify_task(const struct ch_task *task, const struct ch_agent_env *env, bool *ret_ok,
                         char *detail, struct ch_err *err) CH_MUST_CHECK;

/* The last non-empty line of text, trimmed. */
struct ch_str ch_agent_last_line(struct ch_str text);

/* Removes a directory tree (best effort, never follows symlinks). */
void ch_eval_rmtree(const char *path);

#endif
