/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_window.c: `clearinghouse window offer|open|deliver|close|release|list|
 * events|tick`: pre-release evaluation windows (src/eval/windows.h). A
 * window lasts at most 30 days; access ends at its end by the clock alone.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evalctx.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/num.h"
#include "eval/models.h"
#include "eval/windows.h"
#include "store/store.h"

static int run_window(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(window) = {
    .name = "window",
    .summary = "pre-release evaluation windows (at most 30 days)",
    .usage = "usage: clearinghouse window offer --model M --start DATE (--days N | --end DATE)\n"
             "                                  [--as USER]\n"
             "       clearinghouse window open|deliver|close|release ID [--as USER]\n"
             "       clearinghouse window attach ID --run RUN_ID [--as USER]\n"
             "       clearinghouse window list [--model M] [--as USER]\n"
             "       clearinghouse window events [--after ID] [--as USER]\n"
             "       clearinghouse window tick\n"
             "\n"
             "A developer offers a model from DATE for N days (1 to 30; 31 is refused).\n"
             "Evaluators open it and deliver the report; the developer or an evaluator\n"
             "closes it; release marks the model public. Notices 7 days and 1 day before\n"
             "the end, and at the end, appear in `window events` (tick writes them).\n",
    .run = run_window,
};

/* Runs a JSON-writing library call and prints its result. */
static int print_json_of(struct ch_cli *cli,
                         int (*fn)(struct ch_cli_evalctx *, void *, struct ch_jw *,
                                   struct ch_err *),
                         struct ch_cli_evalctx *x, void *arg)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    struct ch_err err = CH_ERR_INIT;
    int rc = fn(x, arg, &w, &err);
    int code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    return code;
}

static int window_offer(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"start", required_argument, NULL, 's'},
                                         {"days", required_argument, NULL, 'd'},
                                         {"end", required_argument, NULL, 'e'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *model = NULL;
    const char *as = NULL;
    int64_t start = -1;
    int64_t end = -1;
    int64_t days = 0;
    struct ch_err err = CH_ERR_INIT;
    int c;
    int code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_window, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2:
            return code;
        case 'm':
            model = optarg;
            break;
        case 's':
            if (ch_time_parse(ch_str_c(optarg), &start, NULL, &err) != CH_OK)
                return ch_cli_usage_error(cli, "window offer", "--start: %s", err.msg);
            break;
        case 'e':
            if (ch_time_parse(ch_str_c(optarg), &end, NULL, &err) != CH_OK)
                return ch_cli_usage_error(cli, "window offer", "--end: %s", err.msg);
            break;
        case 'd':
            if (ch_num_parse_i64(ch_str_c(optarg), 1, 36500, &days, &err) != CH_OK)
                return ch_cli_usage_error(cli, "window offer", "--days: a number of days");
            break;
        case 'A':
            as = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (model == NULL || start < 0 || (days == 0) == (end < 0) || optind != argc)
        return ch_cli_usage_error(cli, "window offer",
                                  "expected --model M --start DATE and one of --days, --end");
    if (days > 0)
        end = start + days * CH_DAY_SECONDS;
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    int64_t id = 0;
    int rc = ch_window_offer(x.s, &x.actor, model, start, end, x.now, &id, &err);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    char a[CH_TIME_STR_MAX];
    char b[CH_TIME_STR_MAX];
    fprintf(cli->out,
            "{\"id\": %lld, \"state\": \"offered\", \"starts_at\": \"%s\", \"ends_at\": \"%s\"}\n",
            (long long)id, ch_time_format(start, a), ch_time_format(end, b));
    return CH_EXIT_OK;
}

static int parse_as(struct ch_cli *cli, int argc, char **argv, const char **ret_as,
                    int64_t *ret_run, int64_t *ret_after, char **ret_model, int *ret_code)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"run", required_argument, NULL, 'r'},
                                         {"after", required_argument, NULL, 'a'},
                                         {"model", required_argument, NULL, 'm'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_err err = CH_ERR_INIT;
    int c;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_window, argc, argv, "h", opts, ret_code)) != -1) {
        switch (c) {
        case -2:
            return -1;
        case 'A':
            *ret_as = optarg;
            break;
        case 'm':
            *ret_model = optarg;
            break;
        case 'r':
        case 'a':
            if (ch_num_parse_i64(ch_str_c(optarg), 0, INT64_MAX, c == 'r' ? ret_run : ret_after,
                                 &err) != CH_OK) {
                *ret_code =
                    ch_cli_usage_error(cli, "window", "expected a number, not '%s'", optarg);
                return -1;
            }
            break;
        default:
            *ret_code = CH_EXIT_USAGE;
            return -1;
        }
    }
    return 0;
}

static int move(struct ch_cli *cli, int argc, char **argv, enum ch_window_state to)
{
    const char *as = NULL;
    int64_t run = 0;
    int64_t after = 0;
    char *model = NULL;
    int code = 0;
    if (parse_as(cli, argc, argv, &as, &run, &after, &model, &code) != 0)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (optind + 1 != argc ||
        ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, &id, &err) != CH_OK)
        return ch_cli_usage_error(cli, "window", "expected a window ID");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    int rc = ch_window_transition(x.s, &x.actor, id, to, x.now, &err);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"id\": %lld, \"state\": \"%s\"}\n", (long long)id,
            ch_window_state_str(to));
    return CH_EXIT_OK;
}

static int window_open(struct ch_cli *cli, int argc, char **argv)
{
    return move(cli, argc, argv, CH_WINDOW_OPEN);
}

static int window_deliver(struct ch_cli *cli, int argc, char **argv)
{
    return move(cli, argc, argv, CH_WINDOW_REPORT_DELIVERED);
}

static int window_close(struct ch_cli *cli, int argc, char **argv)
{
    return move(cli, argc, argv, CH_WINDOW_CLOSED);
}

static int window_release(struct ch_cli *cli, int argc, char **argv)
{
    return move(cli, argc, argv, CH_WINDOW_RELEASED);
}

static int window_attach(struct ch_cli *cli, int argc, char **argv)
{
    const char *as = NULL;
    int64_t run = 0;
    int64_t after = 0;
    char *model = NULL;
    int code = 0;
    if (parse_as(cli, argc, argv, &as, &run, &after, &model, &code) != 0)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (optind + 1 != argc || run <= 0 ||
        ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, &id, &err) != CH_OK)
        return ch_cli_usage_error(cli, "window attach", "expected ID --run RUN_ID");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    int rc = ch_window_attach_run(x.s, &x.actor, id, run, x.now, &err);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"window\": %lld, \"run\": %lld}\n", (long long)id, (long long)run);
    return CH_EXIT_OK;
}

struct list_arg {
    const char *model;
    int64_t after;
    bool events;
};

static int list_fn(struct ch_cli_evalctx *x, void *arg, struct ch_jw *w, struct ch_err *err)
{
    struct list_arg *l = arg;
    if (l->events) {
        int rc = ch_window_tick(x->s, x->now, err);
        return rc < 0 ? rc : ch_window_events_json(x->s, &x->actor, l->after, w, err);
    }
    int64_t model_id = 0;
    if (l->model != NULL) {
        struct ch_models_model m = {0};
        int rc = ch_models_find(x->s, &x->actor, l->model, &m, err);
        model_id = m.id;
        ch_models_release(&m);
        if (rc != CH_OK)
            return rc;
    }
    return ch_window_list_json(x->s, &x->actor, model_id, x->now, w, err);
}

static int list_or_events(struct ch_cli *cli, int argc, char **argv, bool events)
{
    const char *as = NULL;
    int64_t run = 0;
    struct list_arg l = {.events = events};
    char *model = NULL;
    int code = 0;
    if (parse_as(cli, argc, argv, &as, &run, &l.after, &model, &code) != 0)
        return code;
    l.model = model;
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json_of(cli, list_fn, &x, &l);
    ch_cli_evalctx_close(&x);
    return code;
}

static int window_list(struct ch_cli *cli, int argc, char **argv)
{
    return list_or_events(cli, argc, argv, false);
}

static int window_events(struct ch_cli *cli, int argc, char **argv)
{
    return list_or_events(cli, argc, argv, true);
}

static int window_tick(struct ch_cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct ch_cli_evalctx x;
    int code = ch_cli_evalctx_open(cli, NULL, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int n = ch_window_tick(x.s, x.now, &err);
    ch_cli_evalctx_close(&x);
    if (n < 0)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"notices\": %d}\n", n);
    return CH_EXIT_OK;
}

static int run_window(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"offer", window_offer},     {"open", window_open},
        {"deliver", window_deliver}, {"close", window_close},
        {"release", window_release}, {"attach", window_attach},
        {"list", window_list},       {"events", window_events},
        {"tick", window_tick},       {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_window, verbs, argc, argv);
}
