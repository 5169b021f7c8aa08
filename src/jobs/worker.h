/* SPDX-License-Identifier: Apache-2.0
 *
 * worker.h: the job runner behind `clearinghouse worker`.
 *
 * A worker is `concurrency` threads, each with its own database connection,
 * claiming jobs (jobs.h) and running their handlers (handlers.h), plus one
 * heartbeat thread with a connection of its own that extends the leases of
 * the jobs running in this process every third of a lease. A heartbeat that
 * finds its lease gone (expired and claimed elsewhere, or cancelled) asks the
 * handler to stop; the job's completion is then refused by the fence and its
 * transactional effects roll back.
 *
 * Any number of worker processes (and servers) may share one database. The
 * runner logs (it is the layer that decides what a failure means): one line
 * per finished, retried, failed or released job, with the job id.
 *
 * Stopping: ch_worker_stop() (async-signal-safe) makes every thread finish
 * its current job, or release it if the handler gives up early, and exit.
 * With `once`, each thread exits as soon as no job is ready.
 */
#ifndef CH_JOBS_WORKER_H
#define CH_JOBS_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/err.h"

/* Threads per worker process; beyond this, run more processes. */
#define CH_WORKER_MAX_THREADS 64
/* Wait between claims while the queue is empty. */
#define CH_WORKER_DEFAULT_POLL_MS 500u
/* Wait after a database error before trying again. */
#define CH_WORKER_ERROR_PAUSE_MS 1000u

struct ch_worker;
struct ch_directive_set;

struct ch_worker_options {
    const char *db_url;
    unsigned concurrency;     /* 1..CH_WORKER_MAX_THREADS */
    const char *const *kinds; /* kinds to run; NULL: every registered kind */
    size_t n_kinds;
    bool once;         /* exit when no job is ready */
    int lease_seconds; /* 0: CH_JOBS_DEFAULT_LEASE_S */
    unsigned poll_ms;  /* 0: CH_WORKER_DEFAULT_POLL_MS */
    struct ch_clock clock;
    /* handed to handlers (exposure.recompute); borrowed, must outlive the worker; NULL: none */
    const struct ch_directive_set *directives;
};

struct ch_worker_stats {
    uint64_t done;     /* completed */
    uint64_t retried;  /* failed attempts queued again */
    uint64_t failed;   /* failed for good */
    uint64_t released; /* given back on stop */
    uint64_t lost;     /* leases lost while running (work discarded) */
};

/*
 * Opens the connections (migrating the database if needed), checks the
 * kinds, and starts the threads. CH_E_UNSUPPORTED names an unknown kind.
 */
int ch_worker_start(const struct ch_worker_options *o, struct ch_worker **ret,
                    struct ch_err *err) CH_MUST_CHECK;
/* Asks every thread to stop after its current job. Async-signal-safe; NULL-safe. */
void ch_worker_stop(struct ch_worker *w);
/* True once every job thread has exited (after a stop, or `once` with nothing left). */
bool ch_worker_finished(struct ch_worker *w);
/* Stops if needed, joins every thread, closes the connections, frees w; NULL-safe. */
void ch_worker_free(struct ch_worker *w, struct ch_worker_stats *ret_stats);

#endif
