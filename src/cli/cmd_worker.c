/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_worker.c: `clearinghouse worker` runs queued jobs until SIGINT or
 * SIGTERM (or, with --once, until none is ready).
 *
 * The signals are blocked in every thread and taken by this thread with
 * sigtimedwait(), so no handler runs in signal context: the first signal
 * asks the worker to finish its running jobs and stop, a second one leaves
 * at once (the running jobs' leases then expire and other workers retry
 * them).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/num.h"
#include "jobs/handlers.h"
#include "jobs/jobs.h"
#include "jobs/worker.h"
#include "remediate/directive.h"

/* How often the waiting thread looks whether a --once worker has finished. */
#define WORKER_WAIT_MS 200
/* --kinds is a short list */
#define WORKER_KINDS_ARG_MAX 1024

static int run_worker(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(worker) = {
    .name = "worker",
    .summary = "run queued jobs (imports and other background work)",
    .usage = "usage: clearinghouse [--db URL] worker [--concurrency N] [--kinds K1,K2] [--once]\n"
             "                                       [--lease SECONDS] [--poll MS]\n"
             "                                       [--directives DIR]\n"
             "\n"
             "Claims jobs from the database's queue and runs them, N at a time. Any\n"
             "number of workers (and servers) may share one database: on PostgreSQL\n"
             "jobs are claimed with FOR UPDATE SKIP LOCKED, on SQLite one claim at a\n"
             "time. A claim is a lease that the worker extends while the job runs; the\n"
             "job of a worker that died is claimed again when its lease expires.\n"
             "SIGINT or SIGTERM: finish the running jobs (or give them back) and exit;\n"
             "a second signal exits at once.\n"
             "\n"
             "  --concurrency N  jobs run at once, one thread and connection each\n"
             "                   (default 1, at most 64)\n"
             "  --kinds K1,K2    run only these kinds (default: every kind this binary\n"
             "                   knows: import, exposure.recompute, test.record)\n"
             "  --once           exit when no job is ready instead of waiting for more\n"
             "  --lease SECONDS  lease length (default 30); a dead worker's job waits\n"
             "                   this long before another worker takes it\n"
             "  --poll MS        wait between looks at an empty queue (default 500)\n"
             "  --directives DIR the directives exposure.recompute decides due dates with\n"
             "                   (default $CLEARINGHOUSE_DIRECTIVES, else ./directives; a\n"
             "                   folder named here must load, the default may be absent)\n"
             "\n"
             "An import that changed the knowledge base queues an exposure.recompute,\n"
             "so exposures, due dates and notices follow imports made through jobs.\n"
             "\n"
             "Prints a summary line when it exits. Exit status 0, or 4 when the\n"
             "database cannot be opened.\n",
    .run = run_worker,
};

struct worker_args {
    struct ch_worker_options o;
    const char *directives_dir; /* --directives, NULL: the default folder */
    char kinds_buf[WORKER_KINDS_ARG_MAX];
    const char *kinds[CH_JOBS_MAX_KINDS];
};

static int parse_kinds(struct ch_cli *cli, struct worker_args *a, const char *arg)
{
    if (strlen(arg) >= sizeof(a->kinds_buf))
        return ch_cli_usage_error(cli, "worker", "--kinds is too long");
    snprintf(a->kinds_buf, sizeof(a->kinds_buf), "%s", arg);
    size_t n = 0;
    for (char *p = a->kinds_buf; *p != '\0';) {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        if (*p == '\0')
            return ch_cli_usage_error(cli, "worker", "--kinds: empty kind in '%s'", arg);
        if (ch_job_handler_find(p) == NULL)
            return ch_cli_usage_error(cli, "worker", "--kinds: unknown job kind '%s'", p);
        if (n == CH_JOBS_MAX_KINDS)
            return ch_cli_usage_error(cli, "worker", "--kinds: at most %d kinds",
                                      CH_JOBS_MAX_KINDS);
        a->kinds[n++] = p;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    if (n == 0)
        return ch_cli_usage_error(cli, "worker", "--kinds: name at least one kind");
    a->o.kinds = a->kinds;
    a->o.n_kinds = n;
    return CH_EXIT_OK;
}

static int parse_num(struct ch_cli *cli, const char *opt, const char *v, uint64_t max,
                     uint64_t *ret)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_num_parse_u64(ch_str_c(v), max, ret, &err) != CH_OK || *ret == 0)
        return ch_cli_usage_error(cli, "worker", "%s: expected a number from 1 to %llu, got '%s'",
                                  opt, (unsigned long long)max, v);
    return CH_EXIT_OK;
}

/* -1: run the worker; otherwise the exit status (after --help, 0). */
static int parse_args(struct ch_cli *cli, int argc, char **argv, struct worker_args *a)
{
    static const struct option opts[] = {{"concurrency", required_argument, NULL, 'c'},
                                         {"kinds", required_argument, NULL, 'k'},
                                         {"once", no_argument, NULL, 'o'},
                                         {"lease", required_argument, NULL, 'l'},
                                         {"poll", required_argument, NULL, 'p'},
                                         {"directives", required_argument, NULL, 'd'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_worker, argc, argv, "h", opts, &exit_code)) != -1) {
        uint64_t n = 0;
        int r = CH_EXIT_OK;
        switch (c) {
        case -2:
            return exit_code;
        case 'c':
            r = parse_num(cli, "--concurrency", optarg, CH_WORKER_MAX_THREADS, &n);
            a->o.concurrency = (unsigned)n;
            break;
        case 'k':
            r = parse_kinds(cli, a, optarg);
            break;
        case 'o':
            a->o.once = true;
            break;
        case 'l':
            r = parse_num(cli, "--lease", optarg, CH_JOBS_MAX_LEASE_S, &n);
            a->o.lease_seconds = (int)n;
            break;
        case 'p':
            r = parse_num(cli, "--poll", optarg, 60000, &n);
            a->o.poll_ms = (unsigned)n;
            break;
        case 'd':
            a->directives_dir = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
        if (r != CH_EXIT_OK)
            return r;
    }
    if (optind < argc)
        return ch_cli_usage_error(cli, "worker", "unexpected argument '%s'", argv[optind]);
    return -1; /* run: every other return (--help included) is the command's exit status */
}

/* Waits for the end: 0 after a clean stop or --once, 1 when a second signal asks to leave now. */
static int wait_for_end(struct ch_cli *cli, struct ch_worker *w, const sigset_t *set)
{
    int signals = 0;
    const struct timespec tick = {.tv_sec = 0, .tv_nsec = WORKER_WAIT_MS * 1000000L};
    while (!ch_worker_finished(w)) {
        siginfo_t info;
        int sig = sigtimedwait(set, &info, &tick);
        if (sig < 0)
            continue; /* EAGAIN (tick) or EINTR */
        if (++signals == 1) {
            ch_log_info("worker: %s received, finishing the running jobs", strsignal(sig));
            ch_worker_stop(w);
            continue;
        }
        fprintf(cli->errout,
                "%s: worker: stopping now; running jobs are retried when their leases "
                "expire\n",
                cli->prog);
        return 1;
    }
    return 0;
}

static int run_worker(struct ch_cli *cli, int argc, char **argv)
{
    struct worker_args a = {.o = {.concurrency = 1}};
    int code = parse_args(cli, argc, argv, &a);
    if (code >= 0)
        return code;
    a.o.db_url = ch_cli_db_url(cli);
    a.o.clock = cli->clock;
    /* As serve: a folder named with --directives must load; the default one
     * may be absent (a worker that only imports needs none). */
    struct ch_directive_set *directives = NULL;
    struct ch_err derr = CH_ERR_INIT;
    if (ch_directive_set_load(ch_cli_directives_dir(a.directives_dir), &directives, &derr) !=
        CH_OK) {
        if (a.directives_dir != NULL)
            return ch_cli_fail(cli, &derr);
        ch_log_warn("worker: %s; exposure.recompute jobs decide no due dates (see --directives)",
                    derr.msg);
        directives = NULL;
    }
    a.o.directives = directives;
    /* block before any thread starts, so only sigtimedwait() sees them */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    struct ch_err err = CH_ERR_INIT;
    struct ch_worker *w = NULL;
    if (ch_worker_start(&a.o, &w, &err) != CH_OK) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        ch_directive_set_free(directives);
        return ch_cli_fail(cli, &err);
    }
    ch_log_info("worker: %u thread%s, lease %d s%s", a.o.concurrency,
                a.o.concurrency == 1 ? "" : "s",
                a.o.lease_seconds > 0 ? a.o.lease_seconds : CH_JOBS_DEFAULT_LEASE_S,
                a.o.once ? ", until the queue is empty" : "");
    if (wait_for_end(cli, w, &set) != 0)
        return 130; /* like a shell after SIGINT; threads end with the process */
    struct ch_worker_stats st;
    ch_worker_free(w, &st);
    ch_directive_set_free(directives); /* after the threads that borrowed it */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    fprintf(cli->out, "worker: %llu done, %llu retried, %llu failed, %llu released, %llu lost\n",
            (unsigned long long)st.done, (unsigned long long)st.retried,
            (unsigned long long)st.failed, (unsigned long long)st.released,
            (unsigned long long)st.lost);
    return CH_EXIT_OK;
}
