/* SPDX-License-Identifier: Apache-2.0
 *
 * workq.h: a fixed pool of worker threads with a bounded queue.
 *
 * The HTTP event loops never block: work that may wait on the database, the
 * sandbox or a model endpoint is submitted here and its answer travels back
 * to the loop (DESIGN.md §5b). Each worker thread gets its own context from
 * thread_init (for example its own database connection) and releases it with
 * thread_release. The queue is bounded: when it is full, submit fails with
 * CH_E_BUSY so the caller can shed load (HTTP 503) instead of queueing
 * without limit.
 */
#ifndef CH_CORE_WORKQ_H
#define CH_CORE_WORKQ_H

#include <stddef.h>

#include "core/err.h"

struct ch_workq;

/* A job runs on a worker with that worker's context. */
typedef void (*ch_workq_job_fn)(void *thread_ctx, void *arg);
/* Creates a worker's context; non-zero return stops the pool from starting. */
typedef int (*ch_workq_init_fn)(void *pool_arg, void **ret_thread_ctx, struct ch_err *err);
typedef void (*ch_workq_release_fn)(void *pool_arg, void *thread_ctx);

struct ch_workq_options {
    unsigned threads;        /* >= 1 */
    size_t max_queued;       /* jobs waiting; >= 1 */
    ch_workq_init_fn thread_init;       /* may be NULL */
    ch_workq_release_fn thread_release; /* may be NULL */
    void *pool_arg;
};

/* Starts the threads; fails (joining any started) if a thread_init fails. */
int ch_workq_new(const struct ch_workq_options *opts, struct ch_workq **ret,
                 struct ch_err *err) CH_MUST_CHECK;
/* Queues fn(arg); CH_E_BUSY when the queue is full, CH_E_NOMEM, or CH_E_CONFLICT after stop. */
int ch_workq_submit(struct ch_workq *q, ch_workq_job_fn fn, void *arg) CH_MUST_CHECK;
/* Finishes queued jobs, stops and joins the threads, frees q. NULL-safe. */
void ch_workq_free(struct ch_workq *q);
/* Jobs waiting (not yet running). */
size_t ch_workq_pending(struct ch_workq *q);

#endif
