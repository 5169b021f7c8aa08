/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_jobs.c: `clearinghouse jobs list|show|retry|cancel|enqueue`, the
 * operator's view of the job queue (src/jobs). Changes are audited with the
 * actor "cli".
 */
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/num.h"
#include "jobs/handlers.h"
#include "jobs/jobs.h"
#include "store/store.h"

/* Rows `jobs list` shows unless --limit says otherwise. */
#define JOBS_LIST_DEFAULT 100
/* --count: a load test, not a bulk loader. */
#define JOBS_ENQUEUE_MAX_COUNT 100000
/* Last error column width in the table. */
#define JOBS_TABLE_ERROR_WIDTH 60

static int run_jobs(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(jobs) = {
    .name = "jobs",
    .summary = "list, inspect, retry, cancel and enqueue background jobs",
    .usage = "usage: clearinghouse jobs list [--state STATE] [--limit N] [--json]\n"
             "       clearinghouse jobs show ID\n"
             "       clearinghouse jobs retry ID\n"
             "       clearinghouse jobs cancel ID\n"
             "       clearinghouse jobs enqueue KIND --payload JSON [--key KEY]\n"
             "                                  [--max-attempts N] [--delay SECONDS] [--count N]\n"
             "\n"
             "Jobs are run by `clearinghouse worker`. STATE is queued, running, done,\n"
             "failed or cancelled. list shows the newest first (default 100). retry\n"
             "queues a failed or cancelled job again with its attempts reset; cancel\n"
             "stops a queued or running job (a running one's result is discarded).\n"
             "enqueue validates the payload against the kind; with --key, enqueueing\n"
             "the same key again returns the first job instead of a new one. --count N\n"
             "queues N identical jobs in one transaction (load tests; not with --key)\n"
             "and prints the first and last id.\n"
             "\n"
             "Kinds: import {\"paths\": [\"/abs/path\"], \"format\": \"auto\"}\n"
             "         (queues an exposure.recompute when it changed anything)\n"
             "       exposure.recompute {\"all\": false}  the knowledge-base changes since\n"
             "         the last run; {\"all\": true} every asset re-matched\n"
             "       test.record {\"note\": \"...\", \"audit\": true} (tests)\n"
             "\n"
             "show, retry, cancel and enqueue print JSON. Exit status 3 for an unknown\n"
             "job, a refused transition or a bad payload.\n",
    .run = run_jobs,
};

static int open_store(struct ch_cli *cli, struct ch_store **ret)
{
    return ch_cli_open_store(cli, ret);
}

/* -1: *ret holds the id, go on; otherwise the exit status (after --help, 0). */
static int parse_id(struct ch_cli *cli, const char *verb, int argc, char **argv, int64_t *ret)
{
    int exit_code = 0;
    static const struct option opts[] = {CH_CLI_OPT_HELP, {0}};
    int c = ch_cli_getopt(cli, &ch_cli_cmd_jobs, argc, argv, "h", opts, &exit_code);
    if (c == -2)
        return exit_code;
    if (c != -1)
        return CH_EXIT_USAGE;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, verb, "name one job ID");
    struct ch_err err = CH_ERR_INIT;
    if (ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, ret, &err) != CH_OK)
        return ch_cli_usage_error(cli, verb, "a job ID is a positive number, got '%s'",
                                  argv[optind]);
    return -1;
}

struct table {
    struct ch_cli *cli;
    size_t rows;
};

static int print_row(void *ctx, const struct ch_job_info *j, struct ch_err *err)
{
    struct table *t = ctx;
    if (t->rows++ == 0)
        fprintf(t->cli->out, "%-8s %-10s %-14s %-9s %-20s %s\n", "ID", "STATE", "KIND", "ATTEMPTS",
                "UPDATED", "LAST ERROR");
    char when[CH_TIME_STR_MAX];
    int64_t at = j->finished_at >= 0  ? j->finished_at
                 : j->started_at >= 0 ? j->started_at
                                      : j->created_at;
    char attempts[32];
    snprintf(attempts, sizeof(attempts), "%lld/%lld", (long long)j->attempts,
             (long long)j->max_attempts);
    fprintf(t->cli->out, "%-8lld %-10s %-14.14s %-9s %-20s %.*s\n", (long long)j->id,
            ch_job_state_name(j->state), j->kind, attempts, ch_time_format(at, when),
            JOBS_TABLE_ERROR_WIDTH, j->last_error != NULL ? j->last_error : "");
    return CH_OK;
}

static int json_row(void *ctx, const struct ch_job_info *j, struct ch_err *err)
{
    ch_job_info_json(ctx, j);
    return CH_OK;
}

static int jobs_list(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 's'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_err err = CH_ERR_INIT;
    bool filter = false, json = false;
    enum ch_job_state state = CH_JOB_QUEUED;
    uint64_t limit = JOBS_LIST_DEFAULT;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_jobs, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 's':
            if (ch_job_state_parse(optarg, &state, &err) != CH_OK)
                return ch_cli_usage_error(cli, "jobs list", "%s", err.msg);
            filter = true;
            break;
        case 'n':
            if (ch_num_parse_u64(ch_str_c(optarg), CH_JOBS_LIST_MAX, &limit, &err) != CH_OK ||
                limit == 0)
                return ch_cli_usage_error(cli, "jobs list", "--limit: 1 to %d", CH_JOBS_LIST_MAX);
            break;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "jobs list", "unexpected argument '%s'", argv[optind]);
    struct ch_store *s = NULL;
    int code = open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    int rc;
    if (json) {
        struct ch_buf b;
        ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
        struct ch_jw w;
        ch_jw_init(&w, &b, 1);
        ch_jw_arr_open(&w);
        rc = ch_jobs_list(s, filter, state, (unsigned)limit, json_row, &w, &err);
        ch_jw_arr_close(&w);
        code = ch_cli_print_json(cli, &w, rc, &err);
        ch_buf_release(&b);
    } else {
        struct table t = {.cli = cli};
        rc = ch_jobs_list(s, filter, state, (unsigned)limit, print_row, &t, &err);
        code = rc == CH_OK ? CH_EXIT_OK : ch_cli_fail(cli, &err);
        if (rc == CH_OK && t.rows == 0)
            fprintf(cli->errout, "no jobs\n");
    }
    ch_store_free(s);
    return code;
}

static int jobs_show(struct ch_cli *cli, int argc, char **argv)
{
    int64_t id = 0;
    int code = parse_id(cli, "jobs show", argc, argv, &id);
    if (code >= 0)
        return code;
    struct ch_store *s = NULL;
    code = open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = ch_jobs_get(s, id, json_row, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

typedef int (*transition_fn)(struct ch_store *s, int64_t id, const char *actor, int64_t now,
                             struct ch_err *err);

static int transition(struct ch_cli *cli, const char *verb, transition_fn fn, const char *state,
                      int argc, char **argv)
{
    int64_t id = 0;
    int code = parse_id(cli, verb, argc, argv, &id);
    if (code >= 0)
        return code;
    struct ch_store *s = NULL;
    code = open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = fn(s, id, "cli", ch_clock_now(&cli->clock), &err);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"id\": %lld, \"state\": \"%s\"}\n", (long long)id, state);
    return CH_EXIT_OK;
}

static int jobs_retry(struct ch_cli *cli, int argc, char **argv)
{
    return transition(cli, "jobs retry", ch_jobs_retry, "queued", argc, argv);
}

static int jobs_cancel(struct ch_cli *cli, int argc, char **argv)
{
    return transition(cli, "jobs cancel", ch_jobs_cancel, "cancelled", argc, argv);
}

static int jobs_enqueue(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"payload", required_argument, NULL, 'p'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"max-attempts", required_argument, NULL, 'm'},
                                         {"delay", required_argument, NULL, 'd'},
                                         {"count", required_argument, NULL, 'n'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_job_new j = {.payload = "{}", .actor = "cli"};
    struct ch_err err = CH_ERR_INIT;
    uint64_t n = 0, delay = 0, count = 1;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_jobs, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'p':
            j.payload = optarg;
            break;
        case 'k':
            j.idempotency_key = optarg;
            break;
        case 'm':
            if (ch_num_parse_u64(ch_str_c(optarg), CH_JOBS_MAX_ATTEMPTS, &n, &err) != CH_OK ||
                n == 0)
                return ch_cli_usage_error(cli, "jobs enqueue", "--max-attempts: 1 to %d",
                                          CH_JOBS_MAX_ATTEMPTS);
            j.max_attempts = (int)n;
            break;
        case 'd':
            if (ch_num_parse_u64(ch_str_c(optarg), 366 * (uint64_t)CH_DAY_SECONDS, &delay, &err) !=
                CH_OK)
                return ch_cli_usage_error(cli, "jobs enqueue", "--delay: 0 to 366 days in seconds");
            break;
        case 'n':
            if (ch_num_parse_u64(ch_str_c(optarg), JOBS_ENQUEUE_MAX_COUNT, &count, &err) != CH_OK ||
                count == 0)
                return ch_cli_usage_error(cli, "jobs enqueue", "--count: 1 to %d",
                                          JOBS_ENQUEUE_MAX_COUNT);
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "jobs enqueue", "name one KIND");
    if (count > 1 && j.idempotency_key != NULL)
        return ch_cli_usage_error(cli, "jobs enqueue", "--count and --key exclude each other");
    j.kind = argv[optind];
    if (ch_job_handler_find(j.kind) == NULL)
        return ch_cli_usage_error(cli, "jobs enqueue", "unknown job kind '%s'", j.kind);
    struct ch_store *s = NULL;
    int code = open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    int64_t now = ch_clock_now(&cli->clock);
    if (delay > 0)
        j.run_after = now + (int64_t)delay;
    int64_t id = 0, first = 0;
    bool created = false;
    int rc = count > 1 ? ch_store_begin_write(s, &err) : CH_OK;
    for (uint64_t i = 0; i < count && rc == CH_OK; i++) {
        rc = ch_jobs_enqueue(s, &j, now, &id, &created, &err);
        if (i == 0)
            first = id;
    }
    if (count > 1) {
        if (rc == CH_OK)
            rc = ch_store_commit(s, &err);
        else
            ch_store_rollback(s);
    }
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    if (count > 1) {
        fprintf(cli->out,
                "{\"first_id\": %lld, \"last_id\": %lld, \"kind\": \"%s\", \"count\": %llu}\n",
                (long long)first, (long long)id, j.kind, (unsigned long long)count);
        return CH_EXIT_OK;
    }
    fprintf(cli->out, "{\"id\": %lld, \"kind\": \"%s\", \"created\": %s}\n", (long long)id, j.kind,
            created ? "true" : "false");
    return CH_EXIT_OK;
}

static int run_jobs(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"list", jobs_list},       {"show", jobs_show},
                                               {"retry", jobs_retry},     {"cancel", jobs_cancel},
                                               {"enqueue", jobs_enqueue}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_jobs, verbs, argc, argv);
}
