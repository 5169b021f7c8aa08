/* SPDX-License-Identifier: Apache-2.0
 *
 * run.c: the run scheduler and its journal (tables of migration 0006).
 *
 * Threads: the calling thread owns the store; `concurrency` workers take
 * (task, epoch) items from a queue, run them, and post results back under
 * one mutex. The calling thread writes each result in its own transaction
 * (sample row + journal entry), then re-queues harness failures that have
 * attempts left. Nothing but the queue and the counters is shared.
 */
#include "eval/run.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "eval/seal.h"
#include "eval/sealsuite.h"
#include "store/store.h"

/* "sealed:" names a sealed transcript in eval_sample.transcript. */
#define SEALED_REF "sealed:"
/* "run:N/TASK.eEPOCH" */
#define TRANSCRIPT_NAME_MAX (32 + CH_SUITE_MAX_ID + 16)

struct item {
    size_t task; /* index into suite->tasks */
    unsigned epoch;
    unsigned attempts; /* harness attempts already made */
};

struct result {
    struct item it;
    int rc;
    struct ch_err err;
    struct ch_sample_result res;
    char transcript[1024];
    struct result *next;
};

struct sched {
    const struct ch_eval_run_options *o;
    int64_t run_id;
    char run_dir[1024];
    bool sealed;             /* transcripts are sealed (run_dir is private, then removed) */
    bool made_private_dir;   /* run_dir was created by this session */
    enum ch_clearance level; /* of sealed transcripts */
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* workers wait for items */
    pthread_cond_t done_cv; /* the caller waits for results */
    unsigned next_slot;     /* worker slots handed out (host uid per slot) */
    struct item *queue;     /* ring of pending items */
    size_t q_cap, q_head, q_len;
    size_t running;
    bool stop;              /* no more dispatching */
    struct result *results; /* posted, not yet recorded */
};

/* ---- store helpers ---------------------------------------------------------------------- */

static int journal(struct ch_store *s, int64_t run_id, int64_t at, int64_t session,
                   const char *event, const char *task, int64_t epoch, const char *detail,
                   struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "INSERT INTO eval_journal (run_id, at, session, event, task_id, epoch, "
                           "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, run_id);
    ch_stmt_bind_int(st, 2, at);
    ch_stmt_bind_int(st, 3, session);
    ch_stmt_bind_cstr(st, 4, event);
    ch_stmt_bind_cstr(st, 5, task);
    if (epoch > 0)
        ch_stmt_bind_int(st, 6, epoch);
    else
        ch_stmt_bind_null(st, 6);
    ch_stmt_bind_cstr(st, 7, detail);
    return ch_stmt_run(st, err);
}

static int create_run(struct ch_store *s, const struct ch_eval_run_options *o, int64_t now,
                      int64_t *ret_id, uint64_t *ret_total, struct ch_err *err)
{
    const struct ch_suite *su = o->suite;
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "INSERT INTO eval_run (suite_id, suite_version, suite_sha256, suite_path, "
                       "classification, model, endpoint, epochs, guided, task_glob, seed, "
                       "transcript_dir, status, created_at, updated_at, n_sessions) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, 1) RETURNING id",
                       &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, su->id);
        ch_stmt_bind_cstr(st, 2, su->version);
        ch_stmt_bind_cstr(st, 3, su->sha256);
        ch_stmt_bind_cstr(st, 4, su->path);
        ch_stmt_bind_cstr(st, 5, su->classification);
        ch_stmt_bind_cstr(st, 6, o->model);
        ch_stmt_bind_cstr(st, 7, o->endpoint);
        ch_stmt_bind_int(st, 8, o->epochs);
        ch_stmt_bind_bool(st, 9, o->guided);
        ch_stmt_bind_cstr(st, 10, o->task_glob != NULL ? o->task_glob : "");
        ch_stmt_bind_int(st, 11, (int64_t)(o->seed & 0x7fffffffffffffffULL));
        ch_stmt_bind_cstr(st, 12, o->transcript_dir);
        ch_stmt_bind_int(st, 13, now);
        ch_stmt_bind_int(st, 14, now);
        rc = ch_stmt_step(st, err);
        if (rc == 1) {
            *ret_id = ch_stmt_int(st, 0);
            rc = ch_stmt_step(st, err) < 0 ? CH_E_DB : CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(err, CH_E_DB, "inserting the run returned no id");
        }
    }
    uint64_t total = 0;
    for (size_t i = 0; rc == CH_OK && i < su->n_tasks; i++) {
        const struct ch_task *t = &su->tasks[i];
        if (!t->runnable || !ch_suite_glob_match(o->task_glob, t->id))
            continue;
        for (unsigned e = 1; rc == CH_OK && e <= o->epochs; e++) {
            rc = ch_store_stmt(s,
                               "INSERT INTO eval_sample (run_id, task_id, epoch, category, kind, "
                               "state, attempts, turns, prompt_tokens, completion_tokens, cost, "
                               "model_ms, tool_ms, wall_ms, http_retries, submissions) VALUES "
                               "(?, ?, ?, ?, ?, 'pending', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
                               &st, err);
            if (rc != CH_OK)
                break;
            ch_stmt_bind_int(st, 1, *ret_id);
            ch_stmt_bind_cstr(st, 2, t->id);
            ch_stmt_bind_int(st, 3, e);
            ch_stmt_bind_cstr(st, 4, t->category);
            ch_stmt_bind_cstr(st, 5, ch_task_kind_str(t->kind));
            rc = ch_stmt_run(st, err);
            total++;
        }
    }
    if (rc == CH_OK && total == 0)
        rc = ch_err_set(err, CH_E_INVALID, "no runnable task of suite '%s' matches '%s'", su->id,
                        o->task_glob != NULL ? o->task_glob : "*");
    if (rc == CH_OK && total > CH_EVAL_MAX_SAMPLES)
        rc = ch_err_set(err, CH_E_LIMIT, "more than %u samples", CH_EVAL_MAX_SAMPLES);
    if (rc == CH_OK) {
        char d[128];
        snprintf(d, sizeof(d), "%llu samples", (unsigned long long)total);
        rc = journal(s, *ret_id, now, 1, "created", NULL, 0, d, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    *ret_total = total;
    return rc;
}

/* The rule of ch_eval_run_seals() on what a run row recorded. */
static bool run_sealed(const char *suite_path, const char *classification)
{
    return ch_sealsuite_ref(suite_path) != NULL ||
           (classification != NULL && strcmp(classification, "unclassified") != 0);
}

bool ch_eval_run_seals(const struct ch_suite *suite)
{
    return run_sealed(suite->path, suite->classification);
}

static int resume_run(struct ch_store *s, const struct ch_eval_run_options *o, int64_t now,
                      int64_t *ret_session, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    struct ch_stmt *st = NULL;
    rc = ch_store_stmt(s,
                       "SELECT suite_sha256, model, endpoint, status, n_sessions, epochs, guided, "
                       "suite_path, classification FROM eval_run WHERE id = ?",
                       &st, err);
    int64_t session = 0;
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, o->resume_run_id);
        rc = ch_stmt_step(st, err);
        if (rc == 0) {
            rc = ch_err_set(err, CH_E_NOTFOUND, "no evaluation run %lld",
                            (long long)o->resume_run_id);
        } else if (rc == 1) {
            rc = CH_OK;
            if (strcmp(ch_stmt_cstr(st, 0), o->suite->sha256) != 0)
                rc =
                    ch_err_set(err, CH_E_CONFLICT,
                               "run %lld used another version of the suite file (SHA-256 %.16s...)",
                               (long long)o->resume_run_id, ch_stmt_cstr(st, 0));
            else if (strcmp(ch_stmt_cstr(st, 1), o->model) != 0 ||
                     strcmp(ch_stmt_cstr(st, 2), o->endpoint) != 0)
                rc = ch_err_set(err, CH_E_CONFLICT,
                                "run %lld was made with model '%s' at another endpoint or name",
                                (long long)o->resume_run_id, ch_stmt_cstr(st, 1));
            else if (o->seal_keys == NULL && run_sealed(ch_stmt_cstr(st, 7), ch_stmt_cstr(st, 8)))
                rc = ch_err_set(err, CH_E_CONFLICT,
                                "run %lld seals its transcripts: resume it with the sealed suite",
                                (long long)o->resume_run_id);
            else if (strcmp(ch_stmt_cstr(st, 3), "complete") == 0)
                rc = ch_err_set(err, CH_E_CONFLICT, "run %lld is already complete",
                                (long long)o->resume_run_id);
            session = ch_stmt_int(st, 4) + 1;
        }
        ch_stmt_reset(st);
    }
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE eval_run SET n_sessions = ?, status = 'running', "
                           "updated_at = ? WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, session);
        ch_stmt_bind_int(st, 2, now);
        ch_stmt_bind_int(st, 3, o->resume_run_id);
        rc = ch_stmt_run(st, err);
    }
    /* Samples that were running when the process died were not finished: ask them again. */
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE eval_sample SET state = 'pending' WHERE run_id = ? AND "
                           "state = 'running'",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, o->resume_run_id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK) {
        char d[64];
        snprintf(d, sizeof(d), "%lld interrupted samples re-queued",
                 (long long)ch_store_changes(s));
        rc = journal(s, o->resume_run_id, now, session, "resumed", NULL, 0, d, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    if (rc == CH_OK)
        *ret_session = session;
    return rc;
}

/* Loads the pending samples of the run into the queue, in suite order. */
static int load_pending(struct ch_store *s, struct sched *sc, uint64_t *ret_total,
                        uint64_t *ret_done, uint64_t *ret_success, struct ch_err *err)
{
    const struct ch_suite *su = sc->o->suite;
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT task_id, epoch, state, attempts, outcome FROM eval_sample "
                           "WHERE run_id = ? ORDER BY task_id, epoch",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, sc->run_id);
    uint64_t total = 0, done = 0, success = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        total++;
        const char *state = ch_stmt_cstr(st, 2);
        if (strcmp(state, "done") == 0) {
            done++;
            const char *out = ch_stmt_cstr(st, 4);
            if (out != NULL && strcmp(out, "success") == 0)
                success++;
            continue;
        }
        const char *task = ch_stmt_cstr(st, 0);
        size_t idx = SIZE_MAX;
        for (size_t i = 0; i < su->n_tasks && idx == SIZE_MAX; i++) {
            if (strcmp(su->tasks[i].id, task) == 0)
                idx = i;
        }
        if (idx == SIZE_MAX) {
            ch_stmt_reset(st);
            return ch_err_set(err, CH_E_CONFLICT, "run %lld names task '%s', not in the suite",
                              (long long)sc->run_id, task);
        }
        if (sc->q_len == sc->q_cap) {
            size_t cap = sc->q_cap == 0 ? 64 : sc->q_cap * 2;
            struct item *q = ch_reallocarray(sc->queue, cap, sizeof(*q));
            if (q == NULL) {
                ch_stmt_reset(st);
                return ch_err_set(err, CH_E_NOMEM, "out of memory");
            }
            sc->queue = q;
            sc->q_cap = cap;
        }
        sc->queue[sc->q_len++] = (struct item){.task = idx,
                                               .epoch = (unsigned)ch_stmt_int(st, 1),
                                               .attempts = (unsigned)ch_stmt_int(st, 3)};
    }
    if (rc < 0)
        return rc;
    *ret_total = total;
    *ret_done = done;
    *ret_success = success;
    return CH_OK;
}

static int mark_running(struct ch_store *s, int64_t run_id, const char *task, unsigned epoch,
                        int64_t now, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "UPDATE eval_sample SET state = 'running', started_at = ? WHERE "
                           "run_id = ? AND task_id = ? AND epoch = ? AND state = 'pending'",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, now);
    ch_stmt_bind_int(st, 2, run_id);
    ch_stmt_bind_cstr(st, 3, task);
    ch_stmt_bind_int(st, 4, epoch);
    return ch_stmt_run(st, err);
}

/*
 * Seals a sample's transcript file into the store (inside the caller's
 * transaction) and writes its reference into ref (size TRANSCRIPT_NAME_MAX
 * + 8). A retried sample replaces the transcript of the attempt before.
 */
static int seal_transcript(struct ch_store *s, const struct sched *sc, const struct result *r,
                           int64_t now, char *ref, size_t ref_size, struct ch_err *err)
{
    const struct ch_task *t = &sc->o->suite->tasks[r->it.task];
    char name[TRANSCRIPT_NAME_MAX];
    snprintf(name, sizeof(name), "run:%lld/%s.e%u", (long long)sc->run_id, t->id, r->it.epoch);
    snprintf(ref, ref_size, "%s%s", SEALED_REF, name);
    struct ch_buf b;
    ch_buf_init(&b, CH_SEAL_MAX_BYTES);
    int rc = ch_file_read(r->transcript, CH_SEAL_MAX_BYTES, &b, err);
    if (rc == CH_OK) {
        struct ch_sealed_new o = {.kind = CH_SEALED_TRANSCRIPT,
                                  .name = name,
                                  .classification = sc->level,
                                  .run_id = sc->run_id,
                                  .data = b.ptr,
                                  .len = ch_buf_len(&b),
                                  .replace = true};
        rc = ch_sealed_put(s, sc->o->seal_keys, sc->o->actor, &o, now, NULL, err);
    }
    ch_seal_buf_wipe(&b);
    return rc;
}

static int record(struct ch_store *s, struct sched *sc, const struct result *r, bool final,
                  int64_t now, int64_t session, struct ch_err *err)
{
    const struct ch_task *t = &sc->o->suite->tasks[r->it.task];
    const struct ch_sample_result *x = &r->res;
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    const char *transcript = r->transcript;
    char ref[TRANSCRIPT_NAME_MAX + 8];
    /* A transcript the agent could not create is recorded as none. */
    if (sc->sealed && r->transcript[0] != '\0' && access(r->transcript, F_OK) == 0) {
        rc = seal_transcript(s, sc, r, now, ref, sizeof(ref), err);
        transcript = ref;
    } else if (sc->sealed) {
        transcript = NULL;
    }
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(
            s,
            "UPDATE eval_sample SET state = ?, outcome = ?, detail = ?, attempts = ?, "
            "turns = ?, prompt_tokens = ?, completion_tokens = ?, cost = ?, "
            "model_ms = ?, tool_ms = ?, wall_ms = ?, http_retries = http_retries + ?, "
            "submissions = ?, transcript = ?, transcript_sha256 = ?, finished_at = ? "
            "WHERE run_id = ? AND task_id = ? AND epoch = ?",
            &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, final ? "done" : "pending");
        ch_stmt_bind_cstr(st, 2, ch_outcome_str(x->outcome));
        ch_stmt_bind_cstr(st, 3, x->detail);
        ch_stmt_bind_int(st, 4, r->it.attempts + 1);
        ch_stmt_bind_int(st, 5, x->turns);
        ch_stmt_bind_int(st, 6, (int64_t)x->prompt_tokens);
        ch_stmt_bind_int(st, 7, (int64_t)x->completion_tokens);
        ch_stmt_bind_double(st, 8, x->cost);
        ch_stmt_bind_int(st, 9, x->model_ms);
        ch_stmt_bind_int(st, 10, x->tool_ms);
        ch_stmt_bind_int(st, 11, x->wall_ms);
        ch_stmt_bind_int(st, 12, x->retries);
        ch_stmt_bind_int(st, 13, x->submissions);
        ch_stmt_bind_cstr(st, 14, transcript);
        ch_stmt_bind_cstr(st, 15, x->transcript_sha256);
        ch_stmt_bind_int(st, 16, now);
        ch_stmt_bind_int(st, 17, sc->run_id);
        ch_stmt_bind_cstr(st, 18, t->id);
        ch_stmt_bind_int(st, 19, r->it.epoch);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK) {
        char d[300];
        snprintf(d, sizeof(d), "%s: %.200s", ch_outcome_str(x->outcome), x->detail);
        rc = journal(s, sc->run_id, now, session, final ? "done" : "retry", t->id, r->it.epoch, d,
                     err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    /* Sealed or not (the run then stops), the plaintext goes. */
    if (sc->sealed && r->transcript[0] != '\0')
        unlink(r->transcript);
    return rc;
}

/* ---- workers ---------------------------------------------------------------------------- */

static void *worker(void *arg)
{
    struct sched *sc = arg;
    const struct ch_eval_run_options *o = sc->o;
    /*
     * Processes of one host uid share one RLIMIT_NPROC budget (sandbox.h): a
     * fork bomb in one sample would starve the sandboxes of the others. As
     * root, each worker's sandboxes therefore run under their own uid.
     */
    struct ch_agent_env env = *o->env;
    pthread_mutex_lock(&sc->mu);
    unsigned slot = sc->next_slot++;
    pthread_mutex_unlock(&sc->mu);
    if (env.host_uid == 0 && geteuid() == 0) {
        env.host_uid = CH_EVAL_SANDBOX_UID_BASE + slot;
        env.host_gid = CH_EVAL_SANDBOX_UID_BASE + slot;
    }
    for (;;) {
        pthread_mutex_lock(&sc->mu);
        while (!sc->stop && sc->q_len == 0 && sc->running > 0)
            pthread_cond_wait(&sc->work_cv, &sc->mu);
        if (sc->stop || sc->q_len == 0) {
            pthread_mutex_unlock(&sc->mu);
            return NULL;
        }
        struct item it = sc->queue[sc->q_head];
        sc->q_head = (sc->q_head + 1) % sc->q_cap;
        sc->q_len--;
        sc->running++;
        pthread_mutex_unlock(&sc->mu);

        struct result *r = ch_calloc(1, sizeof(*r));
        const struct ch_task *t = &o->suite->tasks[it.task];
        char key[300];
        snprintf(key, sizeof(key), "%lld/%s/%u", (long long)sc->run_id, t->id, it.epoch);
        if (r != NULL) {
            r->it = it;
            int n = snprintf(r->transcript, sizeof(r->transcript), "%s/%s.e%u.jsonl", sc->run_dir,
                             t->id, it.epoch);
            if (n < 0 || (size_t)n >= sizeof(r->transcript))
                r->transcript[0] = '\0'; /* the agent then fails to open it: an I/O outcome */
            struct ch_sample_spec spec = {.suite = o->suite,
                                          .task = t,
                                          .epoch = it.epoch,
                                          .guided = o->guided,
                                          .sample_key = key,
                                          .transcript_path = r->transcript,
                                          .model = o->client,
                                          .env = &env};
            r->err = (struct ch_err)CH_ERR_INIT;
            r->rc = ch_agent_run_sample(&spec, &r->res, &r->err);
        }
        pthread_mutex_lock(&sc->mu);
        /* `running` drops when the caller has recorded (and maybe re-queued) the result. */
        if (r != NULL) {
            r->next = sc->results;
            sc->results = r;
        } else {
            sc->running--;
            sc->stop = true;
        }
        pthread_cond_signal(&sc->done_cv);
        pthread_cond_broadcast(&sc->work_cv);
        pthread_mutex_unlock(&sc->mu);
    }
}

static void push_item(struct sched *sc, struct item it)
{
    /* The ring never needs to grow: an item is re-queued only after it was taken. */
    size_t tail = (sc->q_head + sc->q_len) % sc->q_cap;
    sc->queue[tail] = it;
    sc->q_len++;
}

static void report_progress(const struct sched *sc, struct ch_eval_progress *p, int64_t t0,
                            uint64_t done_here)
{
    if (sc->o->progress == NULL)
        return;
    int64_t el = ch_clock_mono_ms() - t0;
    uint64_t left = p->total - p->done;
    p->eta_s =
        done_here == 0 ? -1 : (int64_t)((double)el / (double)done_here * (double)left / 1000.0);
    p->running = sc->running;
    sc->o->progress(sc->o->progress_arg, p);
}

/* The caller's loop: records results until no work is left. */
static int drive(struct ch_store *s, struct sched *sc, int64_t session, struct ch_eval_progress *p,
                 struct ch_eval_run_summary *sum, struct ch_err *err)
{
    const struct ch_eval_run_options *o = sc->o;
    unsigned max_attempts = o->max_attempts > 0 ? o->max_attempts : CH_EVAL_DEFAULT_ATTEMPTS;
    int64_t t0 = ch_clock_mono_ms();
    uint64_t done_here = 0;
    int rc = CH_OK;
    pthread_mutex_lock(&sc->mu);
    for (;;) {
        if (o->stop != NULL && *o->stop)
            sc->stop = true;
        if (sc->results == NULL && (sc->running == 0 && (sc->q_len == 0 || sc->stop)))
            break;
        if (sc->results == NULL) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&sc->done_cv, &sc->mu, &ts);
            continue;
        }
        struct result *r = sc->results;
        sc->results = r->next;
        pthread_mutex_unlock(&sc->mu);
        int64_t now = ch_clock_now(&o->clock);
        bool requeue = false;
        if (r->rc == CH_E_RATE) {
            sum->budget_exhausted = true;
            pthread_mutex_lock(&sc->mu);
            sc->stop = true;
            pthread_mutex_unlock(&sc->mu);
        } else if (r->rc != CH_OK) {
            /* The transcript could not be written: an infrastructure failure of this sample. */
            r->res = (struct ch_sample_result){.outcome = CH_OUTCOME_INFRA};
            snprintf(r->res.detail, sizeof(r->res.detail), "%.250s", r->err.msg);
            requeue = r->it.attempts + 1 < max_attempts;
        } else {
            requeue = ch_outcome_retryable(r->res.outcome) && r->it.attempts + 1 < max_attempts;
        }
        if (r->rc != CH_E_RATE && rc == CH_OK) {
            rc = record(s, sc, r, !requeue, now, session, err);
            p->prompt_tokens += r->res.prompt_tokens;
            p->completion_tokens += r->res.completion_tokens;
            p->cost += r->res.cost;
            p->http_retries += r->res.retries;
            if (!requeue) {
                p->done++;
                done_here++;
                sum->done++;
                if (r->res.outcome == CH_OUTCOME_SUCCESS)
                    p->success++;
            }
        }
        pthread_mutex_lock(&sc->mu);
        sc->running--;
        if (rc != CH_OK)
            sc->stop = true;
        if (requeue && rc == CH_OK && !sc->stop) {
            r->it.attempts++;
            push_item(sc, r->it);
        }
        pthread_cond_broadcast(&sc->work_cv);
        ch_free(r);
        report_progress(sc, p, t0, done_here);
    }
    pthread_mutex_unlock(&sc->mu);
    return rc;
}

/* Marks the first `concurrency` queued samples running (informational: see the file banner). */
static int mark_batch(struct ch_store *s, struct sched *sc, int64_t now, struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    for (size_t i = 0; rc == CH_OK && i < sc->q_len; i++) {
        const struct item *it = &sc->queue[(sc->q_head + i) % sc->q_cap];
        rc = mark_running(s, sc->run_id, sc->o->suite->tasks[it->task].id, it->epoch, now, err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    return rc;
}

static int finish_run(struct ch_store *s, struct sched *sc, int64_t session, bool complete,
                      const struct ch_eval_run_summary *sum, struct ch_err *err)
{
    int64_t now = ch_clock_now(&sc->o->clock);
    int rc = ch_store_begin_write(s, err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(s,
                           "UPDATE eval_run SET status = ?, updated_at = ?, finished_at = ? "
                           "WHERE id = ?",
                           &st, err);
    if (rc == CH_OK) {
        ch_stmt_bind_cstr(st, 1, complete ? "complete" : "stopped");
        ch_stmt_bind_int(st, 2, now);
        if (complete)
            ch_stmt_bind_int(st, 3, now);
        else
            ch_stmt_bind_null(st, 3);
        ch_stmt_bind_int(st, 4, sc->run_id);
        rc = ch_stmt_run(st, err);
    }
    if (rc == CH_OK) {
        char d[128];
        snprintf(d, sizeof(d), "%llu of %llu samples done%s", (unsigned long long)sum->done,
                 (unsigned long long)sum->total, sum->budget_exhausted ? "; budget exhausted" : "");
        rc = journal(s, sc->run_id, now, session, complete ? "complete" : "stopped", NULL, 0, d,
                     err);
    }
    if (rc == CH_OK)
        rc = ch_store_commit(s, err);
    else
        ch_store_rollback(s);
    return rc;
}

/* Plaintext transcripts of a sealed run live only here, below the work root, until sealed. */
static int make_private_dir(struct sched *sc, struct ch_err *err)
{
    const char *root = sc->o->env->work_root != NULL ? sc->o->env->work_root : "/tmp";
    int n = snprintf(sc->run_dir, sizeof(sc->run_dir), "%s/ch-run-%lld-XXXXXX", root,
                     (long long)sc->run_id);
    if (n < 0 || (size_t)n >= sizeof(sc->run_dir))
        return ch_err_set(err, CH_E_LIMIT, "work directory path too long");
    if (mkdtemp(sc->run_dir) == NULL)
        return ch_err_set(err, CH_E_IO, "cannot create a directory in '%s': %s", root,
                          strerror(errno));
    sc->made_private_dir = true;
    return CH_OK;
}

static int make_run_dir(struct sched *sc, struct ch_err *err)
{
    if (sc->sealed)
        return make_private_dir(sc, err);
    const char *base = sc->o->transcript_dir;
    if (mkdir(base, 0700) != 0 && errno != EEXIST)
        return ch_err_set(err, CH_E_IO, "cannot create '%s': %s", base, strerror(errno));
    int n = snprintf(sc->run_dir, sizeof(sc->run_dir), "%s/run-%lld", base, (long long)sc->run_id);
    if (n < 0 || (size_t)n >= sizeof(sc->run_dir))
        return ch_err_set(err, CH_E_LIMIT, "transcript directory path too long");
    if (mkdir(sc->run_dir, 0700) != 0 && errno != EEXIST)
        return ch_err_set(err, CH_E_IO, "cannot create '%s': %s", sc->run_dir, strerror(errno));
    return CH_OK;
}

int ch_eval_run(struct ch_store *s, const struct ch_eval_run_options *o,
                struct ch_eval_run_summary *ret, struct ch_err *err)
{
    if (o->epochs < 1 || o->epochs > CH_EVAL_MAX_EPOCHS)
        return ch_err_set(err, CH_E_USAGE, "epochs must be in [1, %u]", CH_EVAL_MAX_EPOCHS);
    if (o->concurrency < 1 || o->concurrency > CH_EVAL_MAX_CONCURRENCY)
        return ch_err_set(err, CH_E_USAGE, "concurrency must be in [1, %u]",
                          CH_EVAL_MAX_CONCURRENCY);
    struct sched sc = {.o = o, .sealed = ch_eval_run_seals(o->suite)};
    if (sc.sealed && (o->seal_keys == NULL || o->actor == NULL))
        return ch_err_set(err, CH_E_INVALID,
                          "suite '%s' (%s) needs sealed transcripts: the server keys and who "
                          "seals them",
                          o->suite->id, o->suite->classification);
    if (sc.sealed && ch_clearance_parse(o->suite->classification, &sc.level) != CH_OK)
        sc.level = CH_CLEAR_TOP_SECRET;
    struct ch_eval_run_summary sum = {0};
    int64_t now = ch_clock_now(&o->clock);
    int64_t session = 1;
    uint64_t total = 0;
    int rc;
    if (o->resume_run_id > 0) {
        sc.run_id = o->resume_run_id;
        sum.resumed = true;
        rc = resume_run(s, o, now, &session, err);
    } else {
        rc = create_run(s, o, now, &sc.run_id, &total, err);
    }
    if (rc != CH_OK)
        return rc;
    sum.run_id = sc.run_id;
    struct ch_eval_progress p = {0};
    rc = make_run_dir(&sc, err);
    if (rc == CH_OK)
        rc = load_pending(s, &sc, &p.total, &p.done, &p.success, err);
    if (rc == CH_OK)
        rc = mark_batch(s, &sc, now, err);
    sum.total = p.total;
    sum.done = p.done;
    sum.asked = sc.q_len;
    pthread_t *threads = NULL;
    size_t n_threads = 0;
    if (rc == CH_OK && sc.q_len > 0) {
        pthread_mutex_init(&sc.mu, NULL);
        pthread_cond_init(&sc.work_cv, NULL);
        pthread_cond_init(&sc.done_cv, NULL);
        size_t want = o->concurrency < sc.q_len ? o->concurrency : sc.q_len;
        threads = ch_calloc(want, sizeof(*threads));
        if (threads == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
        pthread_mutex_lock(&sc.mu);
        sc.running = 1; /* keeps early workers from exiting while others start */
        pthread_mutex_unlock(&sc.mu);
        for (size_t i = 0; rc == CH_OK && i < want; i++) {
            if (pthread_create(&threads[i], NULL, worker, &sc) != 0)
                break;
            n_threads++;
        }
        pthread_mutex_lock(&sc.mu);
        sc.running--;
        pthread_cond_broadcast(&sc.work_cv);
        pthread_mutex_unlock(&sc.mu);
        if (rc == CH_OK && n_threads == 0)
            rc = ch_err_set(err, CH_E_INTERNAL, "cannot start worker threads");
        int drc = CH_OK;
        if (n_threads > 0)
            drc = drive(s, &sc, session, &p, &sum, err);
        pthread_mutex_lock(&sc.mu);
        sc.stop = true;
        pthread_cond_broadcast(&sc.work_cv);
        pthread_mutex_unlock(&sc.mu);
        for (size_t i = 0; i < n_threads; i++)
            pthread_join(threads[i], NULL);
        /* Results posted after drive() stopped are left pending: freed here. */
        while (sc.results != NULL) {
            struct result *r = sc.results;
            sc.results = r->next;
            ch_free(r);
        }
        if (rc == CH_OK)
            rc = drc;
        pthread_cond_destroy(&sc.done_cv);
        pthread_cond_destroy(&sc.work_cv);
        pthread_mutex_destroy(&sc.mu);
    }
    ch_free(threads);
    ch_free(sc.queue);
    if (sc.made_private_dir)
        ch_eval_rmtree(sc.run_dir);
    sum.complete = rc == CH_OK && sum.done == sum.total;
    if (rc == CH_OK)
        rc = finish_run(s, &sc, session, sum.complete, &sum, err);
    if (rc == CH_OK)
        *ret = sum;
    else
        ret->run_id = sc.run_id;
    return rc;
}

/* ---- reading transcripts ---------------------------------------------------------------- */

struct transcript_row {
    char ref[1024];
    char sha256[65];
    enum ch_clearance level;
};

static int find_transcript(struct ch_store *s, int64_t run_id, const char *task, unsigned epoch,
                           struct transcript_row *ret, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT s.transcript, s.transcript_sha256, r.classification"
                           " FROM eval_sample s JOIN eval_run r ON r.id = s.run_id"
                           " WHERE s.run_id = ? AND s.task_id = ? AND s.epoch = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, run_id);
    ch_stmt_bind_cstr(st, 2, task);
    ch_stmt_bind_int(st, 3, epoch);
    rc = ch_stmt_step(st, err);
    const char *ref = rc == 1 ? ch_stmt_cstr(st, 0) : NULL;
    const char *sha = rc == 1 ? ch_stmt_cstr(st, 1) : NULL;
    if (rc == 1 && ref != NULL && ref[0] != '\0' && sha != NULL && strlen(ref) < sizeof(ret->ref)) {
        snprintf(ret->ref, sizeof(ret->ref), "%s", ref);
        snprintf(ret->sha256, sizeof(ret->sha256), "%s", sha);
        if (ch_clearance_parse(ch_stmt_cstr(st, 2), &ret->level) != CH_OK)
            ret->level = CH_CLEAR_TOP_SECRET;
        rc = CH_OK;
    } else if (rc >= 0) {
        rc = CH_E_NOTFOUND;
    }
    ch_stmt_reset(st);
    return rc;
}

int ch_eval_transcript_open(struct ch_store *s, const struct ch_keys *keys,
                            const struct ch_eval_actor *a, int64_t run_id, const char *task,
                            unsigned epoch, int64_t now, struct ch_buf *out, struct ch_err *err)
{
    ch_buf_reset(out);
    struct transcript_row row;
    struct ch_err ferr = CH_ERR_INIT;
    int rc = find_transcript(s, run_id, task, epoch, &row, &ferr);
    if (rc == CH_OK && strncmp(row.ref, SEALED_REF, strlen(SEALED_REF)) == 0)
        rc = ch_sealed_open(s, keys, a, CH_SEALED_TRANSCRIPT, row.ref + strlen(SEALED_REF),
                            CH_SEALED_FOR_READER, now, out, &ferr);
    else if (rc == CH_OK && !ch_sealed_may_read(a, row.level))
        rc = CH_E_NOTFOUND;
    else if (rc == CH_OK)
        rc = ch_file_read(row.ref, CH_SEAL_MAX_BYTES, out, &ferr);
    /* Absent, or not for this reader: one answer, which says nothing of which. */
    if (rc == CH_E_NOTFOUND)
        return ch_err_set(err, CH_E_NOTFOUND, "no transcript of run %lld task '%s' epoch %u",
                          (long long)run_id, task, epoch);
    if (rc != CH_OK) {
        *err = ferr;
        return rc;
    }
    char got[65];
    ch_sha256_hex(out->ptr != NULL ? out->ptr : "", ch_buf_len(out), got);
    if (strcmp(got, row.sha256) != 0) {
        ch_seal_buf_wipe(out);
        return ch_err_set(err, CH_E_INVALID,
                          "transcript of run %lld task '%s' epoch %u does not match the digest "
                          "the journal recorded",
                          (long long)run_id, task, epoch);
    }
    return CH_OK;
}
