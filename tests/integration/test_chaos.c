/* SPDX-License-Identifier: Apache-2.0
 *
 * Chaos test of the scale-out setup (PostgreSQL only; on SQLite it reports
 * skipped): two `clearinghouse serve` and three `clearinghouse worker`
 * processes on loopback share one fresh PostgreSQL database. While a few
 * hundred test.record jobs run (each writing its side-effect row and, for
 * some, an audit entry in the transaction that completes it, then sleeping
 * before the commit), the test keeps writing: organisations through the
 * HTTP API (a thread of its own, so kills cut requests in flight) and
 * through the CLI, jobs through `jobs enqueue` with idempotency keys; it
 * asks both servers /healthz, and
 * kill -9s a random worker or server every CHAOS_PERIOD_MS, restarting it.
 *
 * At the end: every job is done, exactly once (one side-effect row per
 * test.record job, one job.test_record audit entry per audited job), every
 * accepted write is there, and the audit chain verifies. Bounded in time
 * (well under the CTest timeout). CH_CHAOS_SEED picks another random
 * schedule; the seed in use is printed.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/num.h"
#include "jobs/jobs.h"
#include "store/store.h"
#include "testhttp.h"

#define CH_TOKEN_MAX_LEN 128

enum {
    N_SERVERS = 2,
    N_WORKERS = 3,
    N_JOBS = 300,           /* queued by the test through the library */
    MAX_WRITES = 400,       /* CLI writes during the chaos phase, at most */
    MAX_HTTP_WRITES = 3000, /* API writes, paced so that they last the whole phase */
    HTTP_PAUSE_MS = 5,
    CHAOS_MS = 20000,       /* length of the chaos phase */
    CHAOS_PERIOD_MS = 1200, /* one kill -9 this often */
    DRAIN_MS = 45000,       /* time allowed afterwards for the queue to empty */
    LEASE_S = 2,            /* short leases: a killed worker's job comes back quickly */
};

struct proc {
    pid_t pid;
    int port; /* servers */
    int restarts;
};

struct chaos {
    char *dir;
    char *url;
    char keys[1024];
    char log[1024];
    struct proc servers[N_SERVERS];
    struct proc workers[N_WORKERS];
    uint64_t rng;
    /* accepted writes */
    char *org_slugs[MAX_WRITES];
    size_t n_orgs;
    int64_t cli_jobs[MAX_WRITES];
    size_t n_cli_jobs;
    size_t n_audited;                  /* jobs whose payload asks for an audit entry */
    char token[CH_TOKEN_MAX_LEN];      /* admin token for the HTTP writes */
    char *http_slugs[MAX_HTTP_WRITES]; /* organisations created through the API (201) */
    size_t n_http;
    int http_refused; /* a server died under the request, or 5xx */
    bool http_stop;
    char http_error[512];
    int n_queued;           /* of the N_JOBS */
    struct ch_store *store; /* the test\'s own connection */
    int kills_server, kills_worker, kills_mid_job, health_ok, health_fail;
};

static uint32_t rnd(struct chaos *c)
{
    /* xorshift64*: a reproducible schedule from the seed */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (uint32_t)((c->rng * 2685821657736338717ULL) >> 32);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* fork + exec of the binary with "--db URL --keys DIR" and args; stdout to out_fd (-1: log). */
static pid_t spawn(struct chaos *c, const char *const *args, int out_fd)
{
    const char *bin = getenv("CH_BINARY");
    assert_non_null(bin);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = bin;
    argv[n++] = "--db";
    argv[n++] = c->url;
    argv[n++] = "--keys";
    argv[n++] = c->keys;
    argv[n++] = "--log-level";
    argv[n++] = "warn";
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int log = open(c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    assert_true(log >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out_fd >= 0 ? out_fd : log, 1);
        dup2(log, 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(log);
    return pid;
}

static void start_server(struct chaos *c, struct proc *p)
{
    int out[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    const char *args[] = {"serve", "--listen",  "127.0.0.1:0", "--loops",
                          "1",     "--workers", "2",           NULL};
    p->pid = spawn(c, args, out[1]);
    close(out[1]);
    char line[512];
    size_t len = 0;
    int found = 0;
    while (found == 0) {
        struct pollfd pf = {out[0], POLLIN, 0};
        if (poll(&pf, 1, 20000) <= 0)
            fail_msg("server did not announce itself (log: %s)", c->log);
        ssize_t k = read(out[0], line + len, sizeof(line) - 1 - len);
        if (k <= 0)
            fail_msg("server exited before listening (log: %s)", c->log);
        len += (size_t)k;
        line[len] = '\0';
        const char *at = strstr(line, "127.0.0.1:");
        if (at != NULL && strpbrk(at, " \n") != NULL) {
            uint64_t port = 0;
            if (ch_num_scan_digits(ch_str_c(at + 10), &port) > 0)
                found = (int)port;
        }
    }
    close(out[0]);
    __atomic_store_n(&p->port, found, __ATOMIC_RELEASE);
}

static void start_worker(struct chaos *c, struct proc *p)
{
    char lease[16];
    snprintf(lease, sizeof(lease), "%d", LEASE_S);
    const char *args[] = {"worker", "--concurrency", "2", "--lease", lease, "--poll", "50", NULL};
    p->pid = spawn(c, args, -1);
}

static void kill9(struct proc *p)
{
    kill(p->pid, SIGKILL);
    int status = 0;
    waitpid(p->pid, &status, 0);
    p->restarts++;
}

/* SIGTERM and wait; returns the exit status (or 128 + signal). */
static int stop(struct proc *p)
{
    kill(p->pid, SIGTERM);
    for (int i = 0; i < 400; i++) {
        int status = 0;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        sleep_ms(50);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    return -1;
}

static int cli(struct chaos *c, const char *const *args, struct ch_buf *out)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = "--db";
    argv[n++] = c->url;
    argv[n++] = "--keys";
    argv[n++] = c->keys;
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct ch_buf err;
    ch_buf_init(&err, 1 << 20);
    int rc = ch_test_run_cli(argv, NULL, out, &err);
    if (rc != 0)
        fprintf(stderr, "chaos: cli %s %s: exit %d: %s", args[0], args[1], rc, ch_buf_cstr(&err));
    ch_buf_release(&err);
    return rc;
}

/*
 * POST /api/v1/orgs on one of the servers; 201 means accepted. Runs on its
 * own thread so the kills land on requests in flight; the ports change as
 * servers restart (read atomically).
 */
static void http_write(struct chaos *c, size_t i)
{
    char slug[64], body[160], headers[256];
    snprintf(slug, sizeof(slug), "chaos-http-%zu", i);
    snprintf(body, sizeof(body), "{\"slug\": \"%s\", \"name\": \"Chaos\", \"category\": \"sltt\"}",
             slug);
    snprintf(headers, sizeof(headers),
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n", c->token);
    struct ch_test_response r;
    ch_test_response_init(&r);
    int port = __atomic_load_n(&c->servers[i % N_SERVERS].port, __ATOMIC_ACQUIRE);
    if (ch_test_http(port, "POST", "/api/v1/orgs", headers, body, strlen(body), &r) == 0 &&
        r.status == 201) {
        c->http_slugs[c->n_http++] = ch_strdup(slug);
    } else {
        if (r.status >= 400 && r.status < 500 && c->http_error[0] == '\0')
            snprintf(c->http_error, sizeof(c->http_error), "POST /api/v1/orgs: %d %s", r.status,
                     ch_buf_cstr(&r.body));
        c->http_refused++;
    }
    ch_test_response_release(&r);
}

static void *http_writer(void *arg)
{
    struct chaos *c = arg;
    for (size_t i = 0; !__atomic_load_n(&c->http_stop, __ATOMIC_ACQUIRE); i++) {
        if (c->n_http >= MAX_HTTP_WRITES) {
            sleep_ms(20);
            continue;
        }
        http_write(c, i);
        sleep_ms(HTTP_PAUSE_MS);
    }
    return NULL;
}

/* One write through the API or the CLI; the accepted ones are remembered. */
static void write_once(struct chaos *c, size_t i)
{
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    if (i % 2 == 0 && c->n_orgs < MAX_WRITES) {
        char slug[64];
        snprintf(slug, sizeof(slug), "chaos-org-%zu", i);
        const char *args[] = {"org",       "create",     slug,   "--name",
                              "Chaos Org", "--category", "sltt", NULL};
        if (cli(c, args, &out) == 0)
            c->org_slugs[c->n_orgs++] = ch_strdup(slug);
    } else if (i % 2 == 1 && c->n_cli_jobs < MAX_WRITES) {
        char key[64], payload[128];
        snprintf(key, sizeof(key), "chaos-key-%zu", i);
        snprintf(payload, sizeof(payload), "{\"note\": \"cli-%zu\", \"audit\": true}", i);
        const char *args[] = {"jobs",  "enqueue", "test.record",    "--payload", payload,
                              "--key", key,       "--max-attempts", "50",        NULL};
        if (cli(c, args, &out) == 0) {
            /* {"id": N, ...}: the id follows the first ": " */
            const char *p = strstr(ch_buf_cstr(&out), "\"id\": ");
            uint64_t id = 0;
            assert_non_null(p);
            assert_true(ch_num_scan_digits(ch_str_c(p + 6), &id) > 0);
            c->cli_jobs[c->n_cli_jobs++] = (int64_t)id;
            c->n_audited++;
        }
    }
    ch_buf_release(&out);
}

static void health(struct chaos *c)
{
    for (int i = 0; i < N_SERVERS; i++) {
        struct ch_test_response r;
        ch_test_response_init(&r);
        if (ch_test_http(c->servers[i].port, "GET", "/healthz", NULL, NULL, 0, &r) == 0 &&
            r.status == 200)
            c->health_ok++;
        else
            c->health_fail++;
        ch_test_response_release(&r);
    }
}

/* A worker holding a running job (so the kill lands mid-job), else any. */
static struct proc *pick_worker(struct chaos *c)
{
    unsigned first = rnd(c) % N_WORKERS;
    for (unsigned k = 0; k < N_WORKERS; k++) {
        struct proc *p = &c->workers[(first + k) % N_WORKERS];
        char like[64];
        snprintf(like, sizeof(like), "%%:%ld:t%%", (long)p->pid);
        struct ch_err err = CH_ERR_INIT;
        int64_t n = 0;
        if (ch_store_query_int(c->store,
                               "SELECT COUNT(*) FROM jobs WHERE state = 'running'"
                               " AND lease_owner LIKE ?",
                               like, 0, &n, &err) != CH_OK)
            fail_msg("%s", err.msg);
        if (n > 0) {
            c->kills_mid_job++;
            return p;
        }
    }
    return &c->workers[first];
}

static void chaos_step(struct chaos *c)
{
    /* workers twice as often: they hold the interesting state (leases, open transactions) */
    if (rnd(c) % 3 != 0) {
        struct proc *p = pick_worker(c);
        kill9(p);
        c->kills_worker++;
        start_worker(c, p);
    } else {
        struct proc *p = &c->servers[rnd(c) % N_SERVERS];
        kill9(p);
        c->kills_server++;
        start_server(c, p);
    }
}

/* Queues test.record jobs up to `upto` (a third of them audited). */
static void enqueue_jobs(struct chaos *c, struct ch_store *s, int upto)
{
    struct ch_err err = CH_ERR_INIT;
    for (; c->n_queued < upto && c->n_queued < N_JOBS; c->n_queued++) {
        char payload[128];
        bool audited = c->n_queued % 3 == 0;
        snprintf(payload, sizeof(payload),
                 "{\"note\": \"job-%d\", \"audit\": %s, \"sleep_ms\": %u}", c->n_queued,
                 audited ? "true" : "false", rnd(c) % 80);
        const struct ch_job_new j = {
            .kind = "test.record", .payload = payload, .max_attempts = 50, .actor = "test"};
        int64_t id = 0;
        ch_err_clear(&err);
        if (ch_jobs_enqueue(s, &j, ch_clock_now(&CH_CLOCK_SYSTEM), &id, NULL, &err) != CH_OK)
            fail_msg("enqueue: %s", err.msg);
        if (audited)
            c->n_audited++;
    }
}

static int64_t q(struct ch_store *s, const char *sql)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t v = -1;
    if (ch_store_query_int(s, sql, NULL, -1, &v, &err) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

static int64_t q1(struct ch_store *s, const char *sql, const char *param)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t v = -1;
    if (ch_store_query_int(s, sql, param, -1, &v, &err) != CH_OK)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

static void drain(struct ch_store *s)
{
    int64_t t0 = ch_clock_mono_ms();
    for (;;) {
        int64_t left = q(s, "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')");
        if (left == 0)
            return;
        if (ch_clock_mono_ms() - t0 > DRAIN_MS)
            fail_msg("%lld jobs still queued or running after %d ms", (long long)left, DRAIN_MS);
        sleep_ms(200);
    }
}

static void verify(struct chaos *c, struct ch_store *s)
{
    int64_t total = (int64_t)N_JOBS + (int64_t)c->n_cli_jobs;
    /* every job done, none failed */
    assert_int_equal(q(s, "SELECT COUNT(*) FROM jobs"), total);
    assert_int_equal(q(s, "SELECT COUNT(*) FROM jobs WHERE state = 'done'"), total);
    /* exactly once: one side-effect row per job, and none missing */
    assert_int_equal(q(s, "SELECT COUNT(*) FROM job_test_records"), total);
    assert_int_equal(q(s, "SELECT COUNT(DISTINCT job_id) FROM job_test_records"), total);
    assert_int_equal(q(s, "SELECT COUNT(*) FROM jobs j WHERE NOT EXISTS"
                          " (SELECT 1 FROM job_test_records r WHERE r.job_id = j.id)"),
                     0);
    /* the recorded attempt is the one that committed */
    assert_int_equal(q(s, "SELECT COUNT(*) FROM job_test_records r JOIN jobs j ON j.id = r.job_id"
                          " WHERE r.attempt <> j.attempts"),
                     0);
    /* effects in the audit chain: exactly once as well */
    assert_int_equal(q1(s, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "job.test_record"),
                     (int64_t)c->n_audited);
    assert_int_equal(
        q(s, "SELECT COUNT(DISTINCT object) FROM audit_log WHERE action = 'job.test_record'"),
        (int64_t)c->n_audited);
    assert_int_equal(q1(s, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "job.enqueue"),
                     total);
    /* no accepted write lost */
    for (size_t i = 0; i < c->n_orgs; i++)
        assert_int_equal(q1(s, "SELECT COUNT(*) FROM orgs WHERE slug = ?", c->org_slugs[i]), 1);
    for (size_t i = 0; i < c->n_cli_jobs; i++) {
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)c->cli_jobs[i]);
        assert_int_equal(
            q1(s, "SELECT COUNT(*) FROM jobs WHERE CAST(id AS TEXT) = ? AND state = 'done'", id),
            1);
    }
    for (size_t i = 0; i < c->n_http; i++)
        assert_int_equal(q1(s, "SELECT COUNT(*) FROM orgs WHERE slug = ?", c->http_slugs[i]), 1);
    /* an organisation created through the API exists exactly when its audit entry does
     * (a request cut short by a kill may have committed without its answer arriving) */
    assert_int_equal(q(s, "SELECT COUNT(*) FROM orgs WHERE slug LIKE 'chaos-http-%'"),
                     q(s, "SELECT COUNT(*) FROM audit_log WHERE action = 'org.create'"
                          " AND object LIKE 'org:chaos-http-%'"));
    /* the chain is one valid chain */
    struct ch_err err = CH_ERR_INIT;
    struct ch_audit_report rep;
    assert_int_equal(ch_audit_verify(s, NULL, &rep, &err), CH_OK);
    if (!rep.ok)
        fail_msg("audit chain broken at %lld: %s", (long long)rep.first_bad_seq, rep.problem);
    assert_int_equal(rep.entries, q(s, "SELECT COUNT(*) FROM audit_log"));
    /* and the operator's command agrees, checkpoints signed by the servers included */
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    const char *args[] = {"audit", "verify", NULL};
    assert_int_equal(cli(c, args, &out), 0);
    ch_buf_release(&out);
}

static uint64_t seed(void)
{
    const char *env = getenv("CH_CHAOS_SEED");
    uint64_t v = 0x9e3779b97f4a7c15ULL;
    struct ch_err err = CH_ERR_INIT;
    if (env != NULL && env[0] != '\0' &&
        (ch_num_parse_u64(ch_str_c(env), UINT64_MAX, &v, &err) != CH_OK || v == 0))
        fail_msg("CH_CHAOS_SEED must be a positive number");
    return v;
}

static void test_chaos_servers_and_workers(void **state)
{
    (void)state;
    struct chaos *c = ch_calloc(1, sizeof(*c));
    c->rng = seed();
    fprintf(stderr, "chaos: seed %llu\n", (unsigned long long)c->rng);
    c->url = ch_test_store_url(&c->dir);
    snprintf(c->keys, sizeof(c->keys), "%s/keys", c->dir);
    snprintf(c->log, sizeof(c->log), "%s/processes.log", c->dir);
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    const char *init[] = {"init", "--admin", "chaos-admin", NULL};
    assert_int_equal(cli(c, init, &out), 0);
    /* the token is the line starting "chk_" */
    const char *tok = strstr(ch_buf_cstr(&out), "chk_");
    assert_non_null(tok);
    snprintf(c->token, sizeof(c->token), "%s", tok);
    c->token[strcspn(c->token, "\r\n")] = '\0';
    assert_true(strlen(c->token) > 10);
    ch_buf_release(&out);

    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    if (ch_store_open(c->url, NULL, &s, &err) != CH_OK)
        fail_msg("open: %s", err.msg);
    for (int i = 0; i < N_SERVERS; i++)
        start_server(c, &c->servers[i]);
    for (int i = 0; i < N_WORKERS; i++)
        start_worker(c, &c->workers[i]);
    c->store = s;

    pthread_t writer;
    assert_int_equal(pthread_create(&writer, NULL, http_writer, c), 0);
    int64_t t0 = ch_clock_mono_ms();
    int64_t next_kill = t0 + CHAOS_PERIOD_MS;
    size_t writes = 0;
    while (ch_clock_mono_ms() - t0 < CHAOS_MS) {
        /* the jobs arrive over the first three quarters, so kills find busy workers */
        int64_t elapsed = ch_clock_mono_ms() - t0;
        enqueue_jobs(c, s, (int)(N_JOBS * elapsed / (CHAOS_MS * 3 / 4)) + 1);
        write_once(c, writes++);
        if (writes % 10 == 0)
            health(c);
        if (c->n_orgs >= MAX_WRITES && c->n_cli_jobs >= MAX_WRITES)
            sleep_ms(20); /* every write made: keep killing, stop hammering */
        if (ch_clock_mono_ms() >= next_kill) {
            chaos_step(c);
            next_kill += CHAOS_PERIOD_MS;
        }
    }
    __atomic_store_n(&c->http_stop, true, __ATOMIC_RELEASE);
    pthread_join(writer, NULL);
    if (c->http_error[0] != '\0')
        fail_msg("%s", c->http_error);
    enqueue_jobs(c, s, N_JOBS);
    health(c);
    fprintf(stderr,
            "chaos: %d worker kills (%d mid-job), %d server kills; accepted writes: %zu orgs "
            "through the API (%d refused by dying servers), %zu orgs and %zu jobs through the "
            "CLI; healthz %d ok / %d failed\n",
            c->kills_worker, c->kills_mid_job, c->kills_server, c->n_http, c->http_refused,
            c->n_orgs, c->n_cli_jobs, c->health_ok, c->health_fail);
    assert_true(c->kills_worker >= 3);
    assert_true(c->kills_server >= 1);
    /* a restarted server answers (the last check ran after every restart) */
    assert_true(c->health_ok > 0);

    drain(s);
    for (int i = 0; i < N_WORKERS; i++)
        assert_int_equal(stop(&c->workers[i]), 0); /* graceful stop */
    for (int i = 0; i < N_SERVERS; i++) {
        /* the servers' own exit status is test_integration_serve's business (under
         * ASan it reports h2o's allocations at exit): here they must only stop */
        int rc = stop(&c->servers[i]);
        if (rc != 0)
            fprintf(stderr, "chaos: warning: server %d exited with %d (log: %s)\n", i, rc, c->log);
        assert_true(rc >= 0);
    }
    verify(c, s);
    int64_t again = q(s, "SELECT COUNT(*) FROM jobs WHERE attempts > 1");
    fprintf(stderr,
            "chaos: %d jobs done exactly once (%lld of them claimed again after a lost "
            "lease), audit chain valid\n",
            N_JOBS + (int)c->n_cli_jobs, (long long)again);
    /* the recovery path ran: killed workers' jobs were claimed again */
    if (c->kills_mid_job > 0)
        assert_true(again > 0);

    ch_store_free(s);
    for (size_t i = 0; i < c->n_orgs; i++)
        ch_free(c->org_slugs[i]);
    for (size_t i = 0; i < c->n_http; i++)
        ch_free(c->http_slugs[i]);
    ch_test_rmtree(c->dir);
    ch_free(c->dir);
    ch_free(c->url);
    ch_free(c);
}

int main(void)
{
    ch_json_global_init();
    if (ch_test_pg_dsn() == NULL) {
        fprintf(stderr, "skipped: the chaos test needs PostgreSQL (it runs as "
                        "test_integration_chaos_pg)\n");
        return CH_TEST_SKIP;
    }
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chaos_servers_and_workers),
    };
    return cmocka_run_group_tests_name("chaos", tests, NULL, NULL);
}
