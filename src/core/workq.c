/* SPDX-License-Identifier: Apache-2.0
 *
 * workq.c: worker pool (see workq.h). One mutex and condition variable
 * guard a ring of queued jobs; simple and fast enough for request-sized work.
 */
#include "core/workq.h"

#include <pthread.h>

#include "core/alloc.h"

struct job {
    ch_workq_job_fn fn;
    void *arg;
};

struct ch_workq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *ring;
    size_t cap, head, count;
    int stopping;
    pthread_t *threads;
    unsigned n_threads;
    struct ch_workq_options opts;
    /* start-up handshake: each thread reports its init result */
    unsigned n_ready;
    int init_failed;
    struct ch_err init_err;
};

struct start_arg {
    struct ch_workq *q;
};

static void *worker_main(void *arg)
{
    struct ch_workq *q = arg;
    void *ctx = NULL;
    struct ch_err err = CH_ERR_INIT;
    int rc = q->opts.thread_init != NULL ? q->opts.thread_init(q->opts.pool_arg, &ctx, &err) : 0;
    pthread_mutex_lock(&q->mu);
    q->n_ready++;
    if (rc != CH_OK && !q->init_failed) {
        q->init_failed = 1;
        ch_err_copy(&q->init_err, &err);
    }
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    if (rc != CH_OK)
        return NULL;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->count == 0 && !q->stopping)
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->count == 0 && q->stopping) {
            pthread_mutex_unlock(&q->mu);
            break;
        }
        struct job j = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_mutex_unlock(&q->mu);
        j.fn(ctx, j.arg);
    }
    if (q->opts.thread_release != NULL)
        q->opts.thread_release(q->opts.pool_arg, ctx);
    return NULL;
}

static void stop_and_join(struct ch_workq *q, unsigned started)
{
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(q->threads[i], NULL);
}

int ch_workq_new(const struct ch_workq_options *opts, struct ch_workq **ret, struct ch_err *err)
{
    if (opts->threads == 0 || opts->max_queued == 0)
        return ch_err_set(err, CH_E_USAGE, "worker pool needs at least one thread and slot");
    struct ch_workq *q = ch_calloc(1, sizeof(*q));
    if (q == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory creating the worker pool");
    q->opts = *opts;
    q->cap = opts->max_queued;
    q->ring = ch_calloc(q->cap, sizeof(*q->ring));
    q->threads = ch_calloc(opts->threads, sizeof(*q->threads));
    if (q->ring == NULL || q->threads == NULL) {
        ch_free(q->ring);
        ch_free(q->threads);
        ch_free(q);
        return ch_err_set(err, CH_E_NOMEM, "out of memory creating the worker pool");
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    unsigned started = 0;
    for (; started < opts->threads; started++) {
        if (pthread_create(&q->threads[started], NULL, worker_main, q) != 0)
            break;
    }
    pthread_mutex_lock(&q->mu);
    while (q->n_ready < started)
        pthread_cond_wait(&q->cv, &q->mu);
    int failed = q->init_failed || started < opts->threads;
    pthread_mutex_unlock(&q->mu);
    if (failed) {
        if (q->init_failed)
            ch_err_copy(err, &q->init_err);
        else
            ch_err_set(err, CH_E_INTERNAL, "cannot start worker threads");
        stop_and_join(q, started);
        int rc = err->rc;
        pthread_mutex_destroy(&q->mu);
        pthread_cond_destroy(&q->cv);
        ch_free(q->ring);
        ch_free(q->threads);
        ch_free(q);
        return rc;
    }
    q->n_threads = started;
    *ret = q;
    return CH_OK;
}

int ch_workq_submit(struct ch_workq *q, ch_workq_job_fn fn, void *arg)
{
    pthread_mutex_lock(&q->mu);
    if (q->stopping) {
        pthread_mutex_unlock(&q->mu);
        return CH_E_CONFLICT;
    }
    if (q->count == q->cap) {
        pthread_mutex_unlock(&q->mu);
        return CH_E_BUSY;
    }
    q->ring[(q->head + q->count) % q->cap] = (struct job){fn, arg};
    q->count++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return CH_OK;
}

size_t ch_workq_pending(struct ch_workq *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->count;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void ch_workq_free(struct ch_workq *q)
{
    if (q == NULL)
        return;
    stop_and_join(q, q->n_threads);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    ch_free(q->ring);
    ch_free(q->threads);
    ch_free(q);
}
