/* SPDX-License-Identifier: Apache-2.0
 *
 * worker.c: claiming threads and the heartbeat thread (see worker.h).
 *
 * Each job thread owns one slot. The slot's current claim (id, owner,
 * attempts) is published under the worker's mutex with a generation number,
 * so the heartbeat thread can copy it, extend the lease without holding the
 * mutex (the UPDATE may wait on the job's row lock), and only then mark the
 * slot lost if the claim it extended is still the slot's current one.
 */
#include "jobs/worker.h"

#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "jobs/handlers.h"
#include "jobs/jobs.h"
#include "store/store.h"

/* A handler's JSON result is a summary, not data. */
#define WORKER_RESULT_MAX ((size_t)64 << 10)
/* The heartbeat thread checks for stop this often. */
#define WORKER_TICK_MS 100

struct slot {
    struct ch_worker *w;
    unsigned index;
    pthread_t thread;
    bool started;
    struct ch_store *store;
    char owner[CH_JOBS_OWNER_MAX];
    atomic_bool stop_job; /* the running job should stop: lost lease or worker stop */
    /* under w->mu: */
    struct ch_job fence; /* id, owner, attempts of the running job; id 0 when idle */
    uint64_t generation;
};

struct ch_worker {
    struct ch_worker_options o;
    const char *kinds[CH_JOBS_MAX_KINDS];
    size_t n_kinds;
    atomic_bool stop;
    atomic_uint running; /* job threads not yet exited */
    pthread_mutex_t mu;
    struct slot *slots;
    unsigned n_slots;
    struct ch_store *hb_store;
    pthread_t hb_thread;
    bool hb_started;
    atomic_uint_fast64_t done, retried, failed, released, lost;
};

static void pause_ms(const struct ch_worker *w, unsigned ms)
{
    /* in slices, so a stop request is noticed quickly */
    for (unsigned waited = 0; waited < ms && !atomic_load(&w->stop); waited += WORKER_TICK_MS) {
        unsigned step = ms - waited < WORKER_TICK_MS ? ms - waited : WORKER_TICK_MS;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void publish(struct slot *sl, const struct ch_job *job)
{
    pthread_mutex_lock(&sl->w->mu);
    if (job != NULL) {
        sl->fence.id = job->id;
        sl->fence.attempts = job->attempts;
        snprintf(sl->fence.owner, sizeof(sl->fence.owner), "%s", job->owner);
    } else {
        sl->fence.id = 0;
    }
    sl->generation++;
    pthread_mutex_unlock(&sl->w->mu);
}

/* What happened to a run, for the stats and the log. */
enum outcome { OUT_DONE, OUT_LOST, OUT_FAILED };

/* Runs the handler (inside the completing transaction for CH_JOB_IN_TX). */
static enum outcome execute(struct slot *sl, const struct ch_job_handler *h, struct ch_job *job,
                            const cJSON *payload, int64_t now, struct ch_err *err)
{
    struct ch_store *s = sl->store;
    struct ch_buf result;
    ch_buf_init(&result, WORKER_RESULT_MAX);
    struct ch_job_ctx ctx = {.job = job,
                             .store = s,
                             .db_url = sl->w->o.db_url,
                             .directives = sl->w->o.directives,
                             .now = now,
                             .stop = &sl->stop_job,
                             .result = &result};
    bool in_tx = (h->flags & CH_JOB_IN_TX) != 0;
    int rc = in_tx ? ch_store_begin_write(s, err) : CH_OK;
    if (rc == CH_OK)
        rc = h->run(&ctx, payload, err);
    bool ran = rc == CH_OK;
    int64_t end = ch_clock_now(&sl->w->o.clock);
    if (rc == CH_OK)
        rc = ch_jobs_complete(s, job, ch_buf_len(&result) > 0 ? ch_buf_cstr(&result) : NULL, end,
                              err);
    bool refused = ran && rc == CH_E_CONFLICT;
    if (in_tx) {
        if (rc == CH_OK)
            rc = ch_store_commit(s, err);
        else if (ch_store_in_tx(s))
            ch_store_rollback(s);
    }
    ch_buf_release(&result);
    if (rc == CH_OK)
        return OUT_DONE;
    return refused ? OUT_LOST : OUT_FAILED;
}

static void record_failure(struct slot *sl, struct ch_job *job, const struct ch_err *cause,
                           double ms)
{
    struct ch_worker *w = sl->w;
    int64_t now = ch_clock_now(&w->o.clock);
    struct ch_err err = CH_ERR_INIT;
    if (atomic_load(&w->stop) && !ch_jobs_error_is_permanent(cause->rc)) {
        /* stopping: the handler gave up early, so the attempt does not count */
        if (ch_jobs_release(sl->store, job, now, &err) == CH_OK) {
            atomic_fetch_add(&w->released, 1);
            ch_log_info("job %lld (%s) released on stop: %s", (long long)job->id, job->kind,
                        cause->msg);
            return;
        }
    } else {
        enum ch_job_state next = CH_JOB_FAILED;
        bool permanent = ch_jobs_error_is_permanent(cause->rc);
        if (ch_jobs_fail(sl->store, job, cause->msg, permanent, now, randombytes_random(), &next,
                         &err) == CH_OK) {
            if (next == CH_JOB_QUEUED) {
                atomic_fetch_add(&w->retried, 1);
                ch_log_warn("job %lld (%s) attempt %lld of %lld failed after %.0f ms, will "
                            "retry: %s",
                            (long long)job->id, job->kind, (long long)job->attempts,
                            (long long)job->max_attempts, ms, cause->msg);
            } else {
                atomic_fetch_add(&w->failed, 1);
                ch_log_error("job %lld (%s) failed on attempt %lld of %lld: %s", (long long)job->id,
                             job->kind, (long long)job->attempts, (long long)job->max_attempts,
                             cause->msg);
            }
            return;
        }
    }
    if (err.rc == CH_E_CONFLICT) {
        atomic_fetch_add(&w->lost, 1);
        ch_log_warn("job %lld (%s): %s", (long long)job->id, job->kind, err.msg);
        return;
    }
    /* the lease will expire and the job run again */
    ch_log_error("job %lld (%s) failed (%s) and recording it failed too, the lease will expire: "
                 "%s",
                 (long long)job->id, job->kind, cause->msg, err.msg);
}

static void run_job(struct slot *sl, struct ch_job *job)
{
    struct ch_worker *w = sl->w;
    int64_t t0 = ch_clock_mono_ns();
    int64_t now = ch_clock_now(&w->o.clock);
    struct ch_err err = CH_ERR_INIT;
    cJSON *payload = NULL;
    const struct ch_job_handler *h = ch_job_handler_find(job->kind);
    int rc = ch_job_payload_parse(job->kind, job->payload, &payload, &err);
    atomic_store(&sl->stop_job, atomic_load(&w->stop));
    publish(sl, job);
    enum outcome out = OUT_FAILED;
    if (rc == CH_OK && h != NULL)
        out = execute(sl, h, job, payload, now, &err);
    cJSON_Delete(payload);
    double ms = (double)(ch_clock_mono_ns() - t0) / 1e6;
    switch (out) {
    case OUT_DONE:
        atomic_fetch_add(&w->done, 1);
        ch_log_info("job %lld (%s) done in %.0f ms (attempt %lld)", (long long)job->id, job->kind,
                    ms, (long long)job->attempts);
        break;
    case OUT_LOST:
        atomic_fetch_add(&w->lost, 1);
        ch_log_warn("job %lld (%s): %s; its work was discarded", (long long)job->id, job->kind,
                    err.msg);
        break;
    case OUT_FAILED:
        record_failure(sl, job, &err, ms);
        break;
    }
    publish(sl, NULL);
}

static void *job_thread(void *arg)
{
    struct slot *sl = arg;
    struct ch_worker *w = sl->w;
    const struct ch_jobs_claim_options co = {
        .owner = sl->owner,
        .kinds = w->kinds,
        .n_kinds = w->n_kinds,
        .lease_seconds = w->o.lease_seconds,
    };
    while (!atomic_load(&w->stop)) {
        struct ch_err err = CH_ERR_INIT;
        struct ch_job *job = NULL;
        int rc = ch_jobs_claim(sl->store, &co, ch_clock_now(&w->o.clock), &job, &err);
        if (rc < 0) {
            if (rc == CH_E_BUSY)
                ch_log_debug("%s: claim: %s, retrying", sl->owner, err.msg);
            else
                ch_log_warn("%s: cannot claim a job, retrying: %s", sl->owner, err.msg);
            pause_ms(w, CH_WORKER_ERROR_PAUSE_MS);
            continue;
        }
        if (rc == 0) {
            if (w->o.once)
                break;
            pause_ms(w, w->o.poll_ms);
            continue;
        }
        run_job(sl, job);
        ch_job_free(job);
    }
    atomic_fetch_sub(&w->running, 1);
    return NULL;
}

static void heartbeat_once(struct ch_worker *w, int lease)
{
    for (unsigned i = 0; i < w->n_slots; i++) {
        struct slot *sl = &w->slots[i];
        pthread_mutex_lock(&w->mu);
        struct ch_job fence = sl->fence;
        uint64_t gen = sl->generation;
        pthread_mutex_unlock(&w->mu);
        if (fence.id == 0)
            continue;
        struct ch_err err = CH_ERR_INIT;
        int rc = ch_jobs_heartbeat(w->hb_store, &fence, ch_clock_now(&w->o.clock), lease, &err);
        if (rc == CH_OK)
            continue;
        pthread_mutex_lock(&w->mu);
        bool same = sl->generation == gen;
        pthread_mutex_unlock(&w->mu);
        if (!same)
            continue; /* the job finished meanwhile: nothing was lost */
        if (rc == CH_E_CONFLICT) {
            atomic_store(&sl->stop_job, true);
            ch_log_warn("job %lld: %s; asking its handler to stop", (long long)fence.id, err.msg);
        } else {
            ch_log_warn("job %lld: cannot extend the lease, will try again: %s",
                        (long long)fence.id, err.msg);
        }
    }
}

static void *heartbeat_thread(void *arg)
{
    struct ch_worker *w = arg;
    int lease = w->o.lease_seconds > 0 ? w->o.lease_seconds : CH_JOBS_DEFAULT_LEASE_S;
    /* a third of the lease: two beats may fail before another worker may take the job */
    int64_t interval_ms = (int64_t)lease * 1000 / 3;
    int64_t next = ch_clock_mono_ms() + interval_ms;
    while (atomic_load(&w->running) > 0) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = WORKER_TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        if (ch_clock_mono_ms() < next)
            continue;
        heartbeat_once(w, lease);
        next = ch_clock_mono_ms() + interval_ms;
    }
    return NULL;
}

static int check_kinds(struct ch_worker *w, const struct ch_worker_options *o, struct ch_err *err)
{
    if (o->kinds == NULL) {
        /* every kind this binary knows, so a newer binary's kinds are left to it */
        const struct ch_job_handler *h;
        for (size_t i = 0; (h = ch_job_handler_at(i)) != NULL; i++) {
            if (w->n_kinds == CH_JOBS_MAX_KINDS)
                return ch_err_set(err, CH_E_LIMIT, "more than %d job kinds", CH_JOBS_MAX_KINDS);
            w->kinds[w->n_kinds++] = h->kind;
        }
        return CH_OK;
    }
    if (o->n_kinds == 0 || o->n_kinds > CH_JOBS_MAX_KINDS)
        return ch_err_set(err, CH_E_LIMIT, "name 1 to %d job kinds", CH_JOBS_MAX_KINDS);
    for (size_t i = 0; i < o->n_kinds; i++) {
        const struct ch_job_handler *h = ch_job_handler_find(o->kinds[i]);
        if (h == NULL)
            return ch_err_set(err, CH_E_UNSUPPORTED, "unknown job kind '%.64s'", o->kinds[i]);
        w->kinds[w->n_kinds++] = h->kind;
    }
    return CH_OK;
}

static int open_connections(struct ch_worker *w, struct ch_err *err)
{
    char host[64] = "localhost";
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    int rc = ch_store_open(w->o.db_url, NULL, &w->hb_store, err);
    for (unsigned i = 0; rc == CH_OK && i < w->n_slots; i++) {
        struct slot *sl = &w->slots[i];
        sl->w = w;
        sl->index = i;
        snprintf(sl->owner, sizeof(sl->owner), "%s:%ld:t%u", host, (long)getpid(), i);
        rc = ch_store_open(w->o.db_url, NULL, &sl->store, err);
    }
    return rc;
}

int ch_worker_start(const struct ch_worker_options *o, struct ch_worker **ret, struct ch_err *err)
{
    if (o->concurrency == 0 || o->concurrency > CH_WORKER_MAX_THREADS)
        return ch_err_set(err, CH_E_INVALID, "concurrency must be 1 to %d", CH_WORKER_MAX_THREADS);
    if (o->lease_seconds < 0 || o->lease_seconds > CH_JOBS_MAX_LEASE_S)
        return ch_err_set(err, CH_E_INVALID, "a lease lasts 1 to %d seconds", CH_JOBS_MAX_LEASE_S);
    if (sodium_init() < 0)
        return ch_err_set(err, CH_E_INTERNAL, "libsodium failed to initialise");
    struct ch_worker *w = ch_calloc(1, sizeof(*w));
    if (w == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    w->o = *o;
    if (w->o.poll_ms == 0)
        w->o.poll_ms = CH_WORKER_DEFAULT_POLL_MS;
    pthread_mutex_init(&w->mu, NULL);
    int rc = check_kinds(w, o, err);
    if (rc == CH_OK) {
        w->slots = ch_calloc(o->concurrency, sizeof(*w->slots));
        if (w->slots == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        else
            w->n_slots = o->concurrency;
    }
    if (rc == CH_OK)
        rc = open_connections(w, err);
    atomic_store(&w->running, w->n_slots);
    for (unsigned i = 0; rc == CH_OK && i < w->n_slots; i++) {
        if (pthread_create(&w->slots[i].thread, NULL, job_thread, &w->slots[i]) != 0) {
            atomic_fetch_sub(&w->running, w->n_slots - i);
            rc = ch_err_set(err, CH_E_NOMEM, "cannot start worker thread %u", i);
            break;
        }
        w->slots[i].started = true;
    }
    if (rc == CH_OK) {
        if (pthread_create(&w->hb_thread, NULL, heartbeat_thread, w) != 0)
            rc = ch_err_set(err, CH_E_NOMEM, "cannot start the heartbeat thread");
        else
            w->hb_started = true;
    }
    if (rc != CH_OK) {
        if (w->slots == NULL)
            atomic_store(&w->running, 0);
        ch_worker_free(w, NULL);
        return rc;
    }
    *ret = w;
    return CH_OK;
}

void ch_worker_stop(struct ch_worker *w)
{
    if (w == NULL)
        return;
    atomic_store(&w->stop, true);
    for (unsigned i = 0; i < w->n_slots; i++)
        atomic_store(&w->slots[i].stop_job, true);
}

bool ch_worker_finished(struct ch_worker *w)
{
    return w == NULL || atomic_load(&w->running) == 0;
}

void ch_worker_free(struct ch_worker *w, struct ch_worker_stats *ret_stats)
{
    if (w == NULL)
        return;
    ch_worker_stop(w);
    for (unsigned i = 0; i < w->n_slots; i++) {
        if (w->slots[i].started)
            pthread_join(w->slots[i].thread, NULL);
    }
    if (w->hb_started)
        pthread_join(w->hb_thread, NULL);
    for (unsigned i = 0; i < w->n_slots; i++)
        ch_store_free(w->slots[i].store);
    ch_store_free(w->hb_store);
    if (ret_stats != NULL)
        *ret_stats = (struct ch_worker_stats){
            .done = atomic_load(&w->done),
            .retried = atomic_load(&w->retried),
            .failed = atomic_load(&w->failed),
            .released = atomic_load(&w->released),
            .lost = atomic_load(&w->lost),
        };
    pthread_mutex_destroy(&w->mu);
    ch_free(w->slots);
    ch_free(w);
}
