/* SPDX-License-Identifier: Apache-2.0
 *
 * Several processes on one database (DESIGN.md §6): the state that lives in
 * the database stays consistent when separate processes write it at once.
 * Four processes appending to the audit log make one valid chain (appends
 * are serialised by audit_head's row lock); four processes creating and
 * checking tokens see each other's; three worker processes draining one
 * queue run every job exactly once. Runs as test_jobs_scaleout on SQLite
 * (several processes on one WAL file) and test_jobs_scaleout_pg.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/json.h"
#include "identity/identity.h"
#include "jobs/jobs.h"
#include "jobs/worker.h"
#include "store/store.h"

#define T0 ((int64_t)1800000000)

enum { N_PROCS = 4, N_APPENDS = 50, N_TOKENS = 10, N_WORKER_PROCS = 3, N_QUEUE_JOBS = 120 };

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
    if (ch_store_open(f->url, NULL, &f->s, &err) != CH_OK)
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
    if (ch_store_query_int(s, sql, param, -1, &v, &err) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

typedef int (*child_fn)(const char *url, int index, int64_t arg);

/*
 * Forks n children that wait at a gate (so they really run together), each
 * running fn on its own connection; asserts that every one exits 0.
 */
static void run_children(int n, child_fn fn, const char *url, int64_t arg)
{
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pids[N_PROCS];
    assert_true(n <= N_PROCS);
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(gate[1]);
            char c;
            while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
            }
            _exit(fn(url, i, arg));
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (int i = 0; i < n; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("child %d failed (status %d)", i, status);
    }
}

static int open_child(const char *url, struct ch_store **ret)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_open(url, NULL, ret, &err) != CH_OK) {
        fprintf(stderr, "child: open: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int append_child(const char *url, int index, int64_t arg)
{
    struct ch_store *s = NULL;
    if (open_child(url, &s) != 0)
        return 1;
    int failed = 0;
    for (int i = 0; i < N_APPENDS && !failed; i++) {
        char object[64];
        snprintf(object, sizeof(object), "proc:%d:%d", index, i);
        const struct ch_audit_entry e = {
            .actor = "test", .action = "test.append", .object = object, .details = "{}"};
        struct ch_err err = CH_ERR_INIT;
        /* contention is reported as busy: the caller retries, as a server would */
        int rc;
        do {
            ch_err_clear(&err);
            rc = ch_audit_append(s, &e, T0 + i, NULL, &err);
        } while (rc == CH_E_BUSY);
        if (rc != CH_OK) {
            fprintf(stderr, "child %d: append: %s\n", index, err.msg);
            failed = 1;
        }
    }
    ch_store_free(s);
    return failed;
}

static void test_audit_chain_from_concurrent_processes(void **state)
{
    struct fixture *f = *state;
    run_children(N_PROCS, append_child, f->url, 0);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM audit_log", NULL), N_PROCS * N_APPENDS);
    /* one linear chain: sequence numbers 1..n without gaps or repeats */
    assert_int_equal(query_int(f->s, "SELECT COUNT(DISTINCT seq) FROM audit_log", NULL),
                     N_PROCS * N_APPENDS);
    assert_int_equal(query_int(f->s, "SELECT MAX(seq) FROM audit_log", NULL), N_PROCS * N_APPENDS);
    assert_int_equal(query_int(f->s, "SELECT COUNT(DISTINCT prev_hash) FROM audit_log", NULL),
                     N_PROCS * N_APPENDS);
    struct ch_err err = CH_ERR_INIT;
    struct ch_audit_report rep;
    assert_int_equal(ch_audit_verify(f->s, NULL, &rep, &err), CH_OK);
    if (!rep.ok)
        fail_msg("chain broken at %lld: %s", (long long)rep.first_bad_seq, rep.problem);
    assert_int_equal(rep.entries, N_PROCS * N_APPENDS);
}

/* Creates tokens on one connection and authenticates each on another. */
static int token_child(const char *url, int index, int64_t user_id)
{
    struct ch_store *a = NULL, *b = NULL;
    if (open_child(url, &a) != 0 || open_child(url, &b) != 0)
        return 1;
    int failed = 0;
    for (int i = 0; i < N_TOKENS && !failed; i++) {
        struct ch_err err = CH_ERR_INIT;
        const struct ch_token_new t = {.user_id = user_id, .name = "scale", .expires_at = -1};
        int64_t id = 0;
        char token[CH_TOKEN_MAX];
        struct ch_principal p;
        if (ch_token_create(a, &t, T0, &id, token, &err) != CH_OK ||
            ch_token_authenticate(b, ch_str_c(token), T0 + 1, &p, &err) != CH_OK ||
            p.token_id != id) {
            fprintf(stderr, "child %d: token: %s\n", index, err.msg);
            failed = 1;
        }
    }
    ch_store_free(a);
    ch_store_free(b);
    return failed;
}

static void test_tokens_from_concurrent_processes(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    const struct ch_org_new o = {.slug = "scale-org", .name = "Scale", .category = CH_ORG_SLTT};
    int64_t org = 0, user = 0;
    assert_int_equal(ch_org_create(f->s, &o, T0, &org, &err), CH_OK);
    const struct ch_user_new u = {.org_id = org, .name = "scaler", .roles = CH_ROLE_OPERATOR};
    assert_int_equal(ch_user_create(f->s, &u, T0, &user, &err), CH_OK);
    run_children(N_PROCS, token_child, f->url, user);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM tokens", NULL), N_PROCS * N_TOKENS);
    assert_int_equal(query_int(f->s, "SELECT COUNT(DISTINCT lookup) FROM tokens", NULL),
                     N_PROCS * N_TOKENS);
}

/* A whole worker (two threads) per process, draining the queue. */
static int worker_child(const char *url, int index, int64_t arg)
{
    struct ch_err err = CH_ERR_INIT;
    const struct ch_worker_options o = {
        .db_url = url, .concurrency = 2, .once = true, .poll_ms = 10, .clock = CH_CLOCK_SYSTEM};
    struct ch_worker *w = NULL;
    if (ch_worker_start(&o, &w, &err) != CH_OK) {
        fprintf(stderr, "child %d: worker: %s\n", index, err.msg);
        return 1;
    }
    while (!ch_worker_finished(w)) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    struct ch_worker_stats st;
    ch_worker_free(w, &st);
    return st.failed == 0 && st.lost == 0 ? 0 : 1;
}

static void test_worker_processes_share_one_queue(void **state)
{
    struct fixture *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t now = ch_clock_now(&CH_CLOCK_SYSTEM);
    assert_int_equal(ch_store_begin_write(f->s, &err), CH_OK);
    for (int i = 0; i < N_QUEUE_JOBS; i++) {
        const struct ch_job_new j = {.kind = "test.record",
                                     .payload = i % 4 == 0 ? "{\"audit\": true}" : "{}"};
        int64_t id = 0;
        assert_int_equal(ch_jobs_enqueue(f->s, &j, now, &id, NULL, &err), CH_OK);
    }
    assert_int_equal(ch_store_commit(f->s, &err), CH_OK);
    run_children(N_WORKER_PROCS, worker_child, f->url, 0);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM jobs WHERE state = ?", "done"),
                     N_QUEUE_JOBS);
    assert_int_equal(query_int(f->s, "SELECT COUNT(*) FROM job_test_records", NULL), N_QUEUE_JOBS);
    assert_int_equal(query_int(f->s, "SELECT COUNT(DISTINCT job_id) FROM job_test_records", NULL),
                     N_QUEUE_JOBS);
    assert_int_equal(
        query_int(f->s, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "job.test_record"),
        N_QUEUE_JOBS / 4);
    struct ch_audit_report rep;
    assert_int_equal(ch_audit_verify(f->s, NULL, &rep, &err), CH_OK);
    assert_int_equal(rep.ok, 1);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audit_chain_from_concurrent_processes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tokens_from_concurrent_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_processes_share_one_queue, setup, teardown),
    };
    return cmocka_run_group_tests_name("jobs_scaleout", tests, NULL, NULL);
}
