/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_eval.c: `clearinghouse eval run|report`: runs an evaluation suite
 * against a model behind an OpenAI-compatible endpoint, with a journal in
 * the store so a killed run resumes (--resume RUN) without asking a
 * completed sample again, and reports it (docs/evaluation.md).
 *
 * The API key comes only from the environment (--api-key-env names the
 * variable; default CLEARINGHOUSE_EVAL_API_KEY), never from the command line.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evalctx.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/num.h"
#include "core/progress.h"
#include "eval/model.h"
#include "eval/run.h"
#include "eval/seal.h"
#include "eval/sealsuite.h"
#include "eval/suite.h"
#include "store/store.h"

static int run_eval(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(eval) = {
    .name = "eval",
    .summary = "run evaluation suites against models and report scores",
    .usage = "usage: clearinghouse eval run --suite FILE --model NAME [--endpoint URL]\n"
             "                              [--epochs K] [--concurrency C] [--tasks GLOB]\n"
             "                              [--guided] [--resume RUN] [--transcripts DIR]\n"
             "                              [--work-dir DIR] [--timeout-ms MS] [--retries N]\n"
             "                              [--max-tokens N] [--max-cost X] [--price-in X]\n"
             "                              [--price-out X] [--api-key-env VAR] [--seed N]\n"
             "                              [--attempts N] [--as USER]\n"
             "       clearinghouse eval report RUN [--json]\n"
             "       clearinghouse eval transcript RUN TASK [--epoch E] [--as USER]\n"
             "\n"
             "run asks the model every runnable task of the suite K times (epochs), C\n"
             "samples at a time, and journals each outcome in the database; a run that was\n"
             "killed continues with --resume RUN and never asks a completed sample again.\n"
             "The endpoint defaults to $CLEARINGHOUSE_EVAL_ENDPOINT; the API key is read from\n"
             "the environment variable named by --api-key-env (CLEARINGHOUSE_EVAL_API_KEY).\n"
             "--max-tokens and --max-cost cap the whole run (prices per million tokens).\n"
             "Transcripts (one JSONL file per sample) go to DIR/run-N (default: the database\n"
             "file name + .transcripts). Exit 0 when the run is complete, 1 when it stopped\n"
             "early (budget, interrupt).\n"
             "--suite sealed:ID runs a suite sealed with `suite seal`: it is opened in memory\n"
             "(each read audited) and task files reach only the sample's work directory,\n"
             "under /dev/shm unless --work-dir says otherwise, removed after the sample.\n"
             "Transcripts of a sealed suite, or of one classified above unclassified, are\n"
             "sealed into the database after each sample and never kept as files. --as USER\n"
             "acts as that user (an evaluator with the clearance).\n"
             "report prints per-task, per-category and overall success rates with 95 %\n"
             "intervals, pass@k, tokens and time per success, and outcome counts.\n"
             "transcript prints the transcript of one sample (epoch 1 by default) to a\n"
             "cleared reader, audited; anyone else is told there is none.\n",
    .run = run_eval,
};

static volatile int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct run_args {
    const char *suite, *model, *endpoint, *glob, *transcripts, *work, *key_env, *as_user;
    unsigned epochs, concurrency, attempts;
    bool guided;
    int64_t resume;
    struct ch_model_options mo;
};

static int parse_u64(struct ch_cli *cli, const char *what, const char *s, uint64_t max,
                     uint64_t *ret)
{
    struct ch_err e = CH_ERR_INIT;
    if (ch_num_parse_u64(ch_str_c(s), max, ret, &e) != CH_OK)
        return ch_cli_usage_error(cli, "eval run", "%s: %s", what, e.msg);
    return CH_EXIT_OK;
}

static int parse_price(struct ch_cli *cli, const char *what, const char *s, double *ret)
{
    struct ch_err e = CH_ERR_INIT;
    if (ch_num_parse_double(ch_str_c(s), ret, &e) != CH_OK || *ret < 0)
        return ch_cli_usage_error(cli, "eval run", "%s: expected a non-negative number", what);
    return CH_EXIT_OK;
}

static int parse_run_args(struct ch_cli *cli, int argc, char **argv, struct run_args *a)
{
    static const struct option opts[] = {{"suite", required_argument, NULL, 's'},
                                         {"model", required_argument, NULL, 'm'},
                                         {"endpoint", required_argument, NULL, 'e'},
                                         {"epochs", required_argument, NULL, 'k'},
                                         {"concurrency", required_argument, NULL, 'c'},
                                         {"tasks", required_argument, NULL, 't'},
                                         {"guided", no_argument, NULL, 'g'},
                                         {"resume", required_argument, NULL, 'r'},
                                         {"transcripts", required_argument, NULL, 'T'},
                                         {"work-dir", required_argument, NULL, 'w'},
                                         {"timeout-ms", required_argument, NULL, 'o'},
                                         {"retries", required_argument, NULL, 'R'},
                                         {"max-tokens", required_argument, NULL, 'M'},
                                         {"max-cost", required_argument, NULL, 'C'},
                                         {"price-in", required_argument, NULL, 'i'},
                                         {"price-out", required_argument, NULL, 'O'},
                                         {"api-key-env", required_argument, NULL, 'K'},
                                         {"seed", required_argument, NULL, 'S'},
                                         {"attempts", required_argument, NULL, 'A'},
                                         {"as", required_argument, NULL, 'u'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    int c, exit_code = 0;
    uint64_t v = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_eval, argc, argv, "h", opts, &exit_code)) != -1) {
        int bad = CH_EXIT_OK;
        switch (c) {
        case -2:
            return exit_code;
        case 's':
            a->suite = optarg;
            break;
        case 'm':
            a->model = optarg;
            break;
        case 'e':
            a->endpoint = optarg;
            break;
        case 't':
            a->glob = optarg;
            break;
        case 'g':
            a->guided = true;
            break;
        case 'T':
            a->transcripts = optarg;
            break;
        case 'w':
            a->work = optarg;
            break;
        case 'K':
            a->key_env = optarg;
            break;
        case 'u':
            a->as_user = optarg;
            break;
        case 'k':
            bad = parse_u64(cli, "--epochs", optarg, CH_EVAL_MAX_EPOCHS, &v);
            a->epochs = (unsigned)v;
            break;
        case 'c':
            bad = parse_u64(cli, "--concurrency", optarg, CH_EVAL_MAX_CONCURRENCY, &v);
            a->concurrency = (unsigned)v;
            break;
        case 'A':
            bad = parse_u64(cli, "--attempts", optarg, 100, &v);
            a->attempts = (unsigned)v;
            break;
        case 'r':
            bad = parse_u64(cli, "--resume", optarg, INT64_MAX, &v);
            a->resume = (int64_t)v;
            break;
        case 'o':
            bad = parse_u64(cli, "--timeout-ms", optarg, 3600000, &v);
            a->mo.timeout_ms = (int64_t)v;
            break;
        case 'R':
            bad = parse_u64(cli, "--retries", optarg, 100, &v);
            a->mo.max_retries = (unsigned)v;
            a->mo.no_retries = v == 0;
            break;
        case 'M':
            bad = parse_u64(cli, "--max-tokens", optarg, UINT64_MAX / 2, &v);
            a->mo.max_total_tokens = v;
            break;
        case 'S':
            bad = parse_u64(cli, "--seed", optarg, UINT64_MAX, &v);
            a->mo.seed = v;
            break;
        case 'C':
            bad = parse_price(cli, "--max-cost", optarg, &a->mo.max_cost);
            break;
        case 'i':
            bad = parse_price(cli, "--price-in", optarg, &a->mo.price_in_per_mtok);
            break;
        case 'O':
            bad = parse_price(cli, "--price-out", optarg, &a->mo.price_out_per_mtok);
            break;
        default:
            return CH_EXIT_USAGE;
        }
        if (bad != CH_EXIT_OK)
            return bad;
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "eval run", "unexpected argument '%s'", argv[optind]);
    if (a->suite == NULL || a->model == NULL)
        return ch_cli_usage_error(cli, "eval run", "--suite and --model are required");
    if (a->endpoint == NULL)
        a->endpoint = getenv("CLEARINGHOUSE_EVAL_ENDPOINT");
    if (a->endpoint == NULL)
        return ch_cli_usage_error(cli, "eval run",
                                  "--endpoint (or $CLEARINGHOUSE_EVAL_ENDPOINT) is required");
    if (a->epochs == 0 || a->concurrency == 0)
        return ch_cli_usage_error(cli, "eval run", "--epochs and --concurrency must be >= 1");
    return -1; /* run: every other return (--help included) is the exit status */
}

struct prog {
    struct ch_progress *bar;
};

static void on_progress(void *arg, const struct ch_eval_progress *p)
{
    struct prog *pr = arg;
    char status[160];
    char eta[32] = "?";
    if (p->eta_s >= 0)
        snprintf(eta, sizeof(eta), "%llds", (long long)p->eta_s);
    snprintf(status, sizeof(status), "ok %llu, %llu running, %llu tok, $%.4f, %llu retries, eta %s",
             (unsigned long long)p->success, (unsigned long long)p->running,
             (unsigned long long)(p->prompt_tokens + p->completion_tokens), p->cost,
             (unsigned long long)p->http_retries, eta);
    ch_progress_set_total(pr->bar, p->total);
    ch_progress_update(pr->bar, p->done, status);
}

/* "sqlite:PATH" gives "PATH.transcripts"; other stores "eval-transcripts". */
static char *default_transcripts(const struct ch_cli *cli)
{
    const char *url = ch_cli_db_url(cli);
    struct ch_buf b;
    ch_buf_init(&b, 4096);
    if (strncmp(url, "sqlite:", 7) == 0 && strcmp(url, "sqlite::memory:") != 0)
        ch_buf_appendf(&b, "%s.transcripts", url + 7);
    else
        ch_buf_append_c(&b, "eval-transcripts");
    return ch_buf_take(&b, NULL);
}

/*
 * The suite of a run: "sealed:ID" from the store (opened as the actor), else
 * a file; and the store, with the keys when the run seals its transcripts.
 */
static int open_suite(struct ch_cli *cli, const struct run_args *a, struct ch_cli_evalctx *x,
                      struct ch_suite **ret)
{
    struct ch_err err = CH_ERR_INIT;
    const char *sealed_id = ch_sealsuite_ref(a->suite);
    if (sealed_id != NULL) {
        int code = ch_cli_evalctx_open(cli, a->as_user, true, x);
        if (code != CH_EXIT_OK)
            return code;
        if (ch_sealsuite_load(x->s, &x->keys, &x->actor, sealed_id, x->now, ret, &err) == CH_OK)
            return CH_EXIT_OK;
        ch_cli_evalctx_close(x);
        return ch_cli_fail(cli, &err);
    }
    struct ch_suite_load_options lo = {.check_files = true};
    if (ch_suite_load(a->suite, &lo, ret, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    int code = ch_cli_evalctx_open(cli, a->as_user, ch_eval_run_seals(*ret), x);
    if (code != CH_EXIT_OK) {
        ch_suite_free(*ret);
        *ret = NULL;
    }
    return code;
}

static int eval_run(struct ch_cli *cli, int argc, char **argv)
{
    struct run_args a = {.epochs = 1, .concurrency = 4, .key_env = "CLEARINGHOUSE_EVAL_API_KEY"};
    int code = parse_run_args(cli, argc, argv, &a);
    if (code >= 0)
        return code;
    struct ch_err err = CH_ERR_INIT;
    struct ch_suite *suite = NULL;
    struct ch_cli_evalctx x;
    code = open_suite(cli, &a, &x, &suite);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_store *s = x.s;
    bool seals = ch_eval_run_seals(suite);
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    char *tdir = a.transcripts != NULL ? ch_strdup(a.transcripts) : default_transcripts(cli);
    a.mo.endpoint = a.endpoint;
    a.mo.model = a.model;
    a.mo.api_key = getenv(a.key_env);
    a.mo.concurrency = a.concurrency;
    struct ch_model_client *client = NULL;
    int rc = tdir == NULL ? ch_err_set(&err, CH_E_NOMEM, "out of memory")
                          : ch_model_client_new(&a.mo, &client, &err);
    /* Sealed task files and transcripts stay in memory when the machine offers a place. */
    struct ch_agent_env env = {
        .work_root = a.work != NULL ? a.work : (seals ? ch_agent_memory_root(tmp) : tmp)};
    struct prog pr = {.bar = ch_progress_new(cli->errout, "eval", 0)};
    struct ch_eval_run_options ro = {.suite = suite,
                                     .model = a.model,
                                     .endpoint = a.endpoint,
                                     .epochs = a.epochs,
                                     .concurrency = a.concurrency,
                                     .task_glob = a.glob,
                                     .guided = a.guided,
                                     .seed = a.mo.seed,
                                     .transcript_dir = tdir,
                                     .max_attempts = a.attempts,
                                     .resume_run_id = a.resume,
                                     .client = client,
                                     .env = &env,
                                     .clock = cli->clock,
                                     .progress = on_progress,
                                     .progress_arg = &pr,
                                     .stop = &stop_flag,
                                     .seal_keys = seals ? &x.keys : NULL,
                                     .actor = &x.actor};
    struct ch_eval_run_summary sum = {0};
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (rc == CH_OK)
        rc = ch_eval_run(s, &ro, &sum, &err);
    ch_progress_free(pr.bar);
    struct ch_model_stats ms = {0};
    if (client != NULL)
        ch_model_stats(client, &ms);
    ch_model_client_free(client);
    ch_cli_evalctx_close(&x);
    ch_suite_free(suite);
    ch_free(tdir);
    if (rc != CH_OK) {
        if (sum.run_id > 0)
            fprintf(cli->errout, "%s: run %lld stopped; continue with --resume %lld\n", cli->prog,
                    (long long)sum.run_id, (long long)sum.run_id);
        return ch_cli_fail(cli, &err);
    }
    fprintf(cli->out,
            "{\"run\": %lld, \"resumed\": %s, \"complete\": %s, \"budget_exhausted\": %s, "
            "\"samples\": %llu, \"done\": %llu, \"asked\": %llu, \"requests\": %llu, "
            "\"http_retries\": %llu, \"prompt_tokens\": %llu, \"completion_tokens\": %llu, "
            "\"cost\": %.6f}\n",
            (long long)sum.run_id, sum.resumed ? "true" : "false", sum.complete ? "true" : "false",
            sum.budget_exhausted ? "true" : "false", (unsigned long long)sum.total,
            (unsigned long long)sum.done, (unsigned long long)sum.asked,
            (unsigned long long)ms.requests, (unsigned long long)ms.retries,
            (unsigned long long)ms.prompt_tokens, (unsigned long long)ms.completion_tokens,
            ms.cost);
    if (!sum.complete)
        fprintf(cli->errout, "%s: run %lld is not complete%s; continue with --resume %lld\n",
                cli->prog, (long long)sum.run_id,
                sum.budget_exhausted ? " (the token or cost cap was reached)" : "",
                (long long)sum.run_id);
    return sum.complete ? CH_EXIT_OK : CH_EXIT_FINDINGS;
}

static int eval_report(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, CH_CLI_OPT_HELP, {0}};
    bool json = false;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_eval, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "eval report", "name one RUN");
    int64_t run = 0;
    struct ch_err err = CH_ERR_INIT;
    if (ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, &run, &err) != CH_OK)
        return ch_cli_usage_error(cli, "eval report", "RUN: %s", err.msg);
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    if (json) {
        struct ch_jw w;
        ch_jw_init(&w, &b, 1);
        int rc = ch_eval_report_json(s, run, &w, &err);
        code = ch_cli_print_json(cli, &w, rc, &err);
    } else {
        int rc = ch_eval_report_text(s, run, &b, &err);
        if (rc == CH_OK)
            fputs(ch_buf_cstr(&b), cli->out);
        code = rc == CH_OK ? CH_EXIT_OK : ch_cli_fail(cli, &err);
    }
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int eval_transcript(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"epoch", required_argument, NULL, 'e'},
                                         {"as", required_argument, NULL, 'u'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    int64_t epoch = 1;
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_eval, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'e':
            if (ch_num_parse_i64(ch_str_c(optarg), 1, CH_EVAL_MAX_EPOCHS, &epoch, &err) != CH_OK)
                return ch_cli_usage_error(cli, "eval transcript", "--epoch: %s", err.msg);
            break;
        case 'u':
            as_user = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 2 != argc)
        return ch_cli_usage_error(cli, "eval transcript", "name one RUN and one TASK");
    int64_t run = 0;
    if (ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, &run, &err) != CH_OK)
        return ch_cli_usage_error(cli, "eval transcript", "RUN: %s", err.msg);
    struct ch_cli_evalctx x;
    int code = ch_cli_evalctx_open(cli, as_user, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_SEAL_MAX_BYTES);
    int rc = ch_eval_transcript_open(x.s, &x.keys, &x.actor, run, argv[optind + 1], (unsigned)epoch,
                                     x.now, &b, &err);
    if (rc == CH_OK && fwrite(b.ptr, 1, ch_buf_len(&b), cli->out) != ch_buf_len(&b))
        rc = ch_err_set(&err, CH_E_IO, "cannot write the transcript");
    ch_seal_buf_wipe(&b);
    ch_cli_evalctx_close(&x);
    return rc == CH_OK ? CH_EXIT_OK : ch_cli_fail(cli, &err);
}

static int run_eval(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"run", eval_run}, {"report", eval_report}, {"transcript", eval_transcript}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_eval, verbs, argc, argv);
}
