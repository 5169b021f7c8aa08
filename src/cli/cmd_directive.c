/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_directive.c: `clearinghouse directive list | show | decide` over the
 * directive files of a folder (docs/directives.md). The folder is --dir,
 * else $CLEARINGHOUSE_DIRECTIVES, else ./directives: an installed binary
 * never guesses a source tree.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "remediate/directive.h"

/* NAME=VALUE arguments of one decision. */
#define MAX_DECIDE_ARGS 32

static int run_directive(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(directive) = {
    .name = "directive",
    .summary = "list, show and apply remediation directives (BOD 26-04, 22-01, 19-02)",
    .usage = "usage: clearinghouse directive [--dir DIR] list [--json]\n"
             "       clearinghouse directive [--dir DIR] show ID [--json]\n"
             "       clearinghouse directive [--dir DIR] decide ID NAME=VALUE... [--json]\n"
             "\n"
             "Directives are JSON files (docs/directives.md) in DIR: --dir, else\n"
             "$CLEARINGHOUSE_DIRECTIVES, else ./directives.\n"
             "\n"
             "list     every directive, with its dates and whether it is in force now\n"
             "         (--now DATE moves \"now\")\n"
             "show     one directive: scope, rule (with its SSVC table), clock, reporting\n"
             "decide   the outcome for one exposure. NAME=VALUE gives the rule's inputs:\n"
             "           BOD-26-04 kev=yes exposure=yes automatable=no impact=total\n"
             "           BOD-19-02 severity=critical   (or cvss=9.8)\n"
             "           BOD-22-01 kev_due=2021-11-17\n"
             "         and optionally the clock: detected=DATE (first detection),\n"
             "         tier=DATE (the day the exposure first met its tier), which give\n"
             "         the due date: the end (23:59:59 UTC) of the last day.\n"
             "\n"
             "Options:\n"
             "  --dir DIR   folder of directive files\n"
             "  --json      print JSON\n"
             "\n"
             "Exit status: 0 ok, 2 usage, 3 unknown directive or bad input.\n",
    .run = run_directive,
};

static int print_buf(struct ch_cli *cli, struct ch_buf *b)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_buf_status(b, "output", &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    fwrite(ch_buf_cstr(b), 1, ch_buf_len(b), cli->out);
    return CH_EXIT_OK;
}

static int finish_json(struct ch_cli *cli, struct ch_jw *w, struct ch_buf *b)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_jw_finish(w, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    ch_buf_append_byte(b, '\n');
    return print_buf(cli, b);
}

static int cmd_list(struct ch_cli *cli, const struct ch_directive_set *set, bool json,
                    struct ch_buf *b)
{
    int64_t now = ch_clock_now(&cli->clock);
    char t1[CH_TIME_STR_MAX];
    char t2[CH_TIME_STR_MAX];
    struct ch_jw w;
    ch_jw_init(&w, b, 1);
    if (json)
        ch_jw_arr_open(&w);
    for (size_t i = 0; i < ch_directive_set_count(set); i++) {
        const struct ch_directive *d = ch_directive_set_get(set, i);
        int64_t rev = ch_directive_revoked(d);
        if (json) {
            ch_directive_write_summary_json(d, now, &w);
            continue;
        }
        ch_buf_appendf(b, "%-10s %s  %-10s  %-14s %s\n", ch_directive_id(d),
                       ch_time_format_date(ch_directive_issued(d), t1),
                       rev < 0 ? "-" : ch_time_format_date(rev, t2), ch_directive_status_at(d, now),
                       ch_directive_title(d));
    }
    if (json) {
        ch_jw_arr_close(&w);
        return finish_json(cli, &w, b);
    }
    return print_buf(cli, b);
}

static int cmd_show(struct ch_cli *cli, const struct ch_directive *d, bool json, struct ch_buf *b)
{
    if (!json) {
        ch_directive_describe(d, b);
        return print_buf(cli, b);
    }
    struct ch_jw w;
    ch_jw_init(&w, b, 1);
    ch_directive_write_json(d, &w);
    return finish_json(cli, &w, b);
}

/* Splits NAME=VALUE arguments into rule inputs and clock dates. */
static int parse_pairs(struct ch_cli *cli, char **args, int n, struct ch_ssvc_input *vals,
                       struct ch_directive_inputs *in)
{
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(args[i], '=');
        if (eq == NULL || eq == args[i])
            return ch_cli_usage_error(cli, "directive", "expected NAME=VALUE, not '%s'", args[i]);
        struct ch_str name = ch_str_make(args[i], (size_t)(eq - args[i]));
        struct ch_err err = CH_ERR_INIT;
        int rc = ch_directive_inputs_add(in, vals, MAX_DECIDE_ARGS, name, ch_str_c(eq + 1), &err);
        if (rc == CH_E_LIMIT)
            return ch_cli_usage_error(cli, "directive", "more than %d inputs", MAX_DECIDE_ARGS);
        if (rc != CH_OK)
            return ch_cli_fail(cli, &err);
    }
    return CH_EXIT_OK;
}

static const char *action_text(const struct ch_directive_decision *dec, char *buf, size_t size)
{
    switch (dec->action) {
    case CH_ACTION_DAYS:
        snprintf(buf, size, "remediate within %d days", dec->days);
        return buf;
    case CH_ACTION_DATE:
        return "remediate by the KEV due date";
    case CH_ACTION_NEXT_UPGRADE:
        return "remediate at the next scheduled system upgrade or rebuild";
    case CH_ACTION_NONE:
        break;
    }
    return "no remediation deadline under this directive";
}

static void print_decision(const struct ch_directive *d, const struct ch_directive_decision *dec,
                           bool json, struct ch_buf *b, struct ch_jw *w)
{
    char t[CH_TIME_STR_MAX];
    char act[64];
    if (json) {
        ch_directive_decision_write_json(d, dec, w);
        return;
    }
    ch_buf_appendf(b, "%s: %s\n", ch_directive_id(d), dec->outcome);
    ch_buf_appendf(b, "action: %s%s\n", action_text(dec, act, sizeof(act)),
                   dec->forensic_triage ? "; forensic triage of the asset" : "");
    if (dec->clock_start >= 0)
        ch_buf_appendf(b, "clock:  from %s\n", ch_time_format_date(dec->clock_start, t));
    if (dec->due >= 0)
        ch_buf_appendf(b, "due:    %s\n", ch_time_format(dec->due, t));
}

static int cmd_decide(struct ch_cli *cli, const struct ch_directive *d, char **args, int n,
                      bool json, struct ch_buf *b)
{
    struct ch_ssvc_input vals[MAX_DECIDE_ARGS];
    struct ch_directive_inputs in = CH_DIRECTIVE_INPUTS_INIT;
    int ex = parse_pairs(cli, args, n, vals, &in);
    if (ex != CH_EXIT_OK)
        return ex;
    struct ch_directive_decision dec;
    struct ch_err err = CH_ERR_INIT;
    if (ch_directive_decide(d, &in, &dec, &err) != CH_OK) {
        ch_err_prefix(&err, "%s", ch_directive_id(d));
        return ch_cli_fail(cli, &err);
    }
    int64_t now = ch_clock_now(&cli->clock);
    if (!ch_directive_in_force(d, now)) {
        char t[CH_TIME_STR_MAX];
        fprintf(cli->errout, "%s: note: %s is %s on %s\n", cli->prog, ch_directive_id(d),
                ch_directive_status_at(d, now), ch_time_format_date(now, t));
    }
    struct ch_jw w;
    ch_jw_init(&w, b, 1);
    print_decision(d, &dec, json, b, &w);
    return json ? finish_json(cli, &w, b) : print_buf(cli, b);
}

static int dispatch(struct ch_cli *cli, const struct ch_directive_set *set, int argc, char **argv,
                    bool json)
{
    const char *verb = argv[0];
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    int ex = CH_EXIT_OK;
    if (strcmp(verb, "list") == 0) {
        ex = argc == 1 ? cmd_list(cli, set, json, &b)
                       : ch_cli_usage_error(cli, "directive", "list takes no arguments");
        goto out;
    }
    if (argc < 2) {
        ex = ch_cli_usage_error(cli, "directive", "%s needs a directive id", verb);
        goto out;
    }
    const struct ch_directive *d = ch_directive_set_find(set, ch_str_c(argv[1]));
    if (d == NULL) {
        struct ch_err err = CH_ERR_INIT;
        ch_err_set(&err, CH_E_NOTFOUND, "no directive '%s' in the directive folder", argv[1]);
        ex = ch_cli_fail(cli, &err);
        goto out;
    }
    if (strcmp(verb, "show") == 0 && argc == 2)
        ex = cmd_show(cli, d, json, &b);
    else if (strcmp(verb, "show") == 0)
        ex = ch_cli_usage_error(cli, "directive", "show takes one directive id");
    else
        ex = cmd_decide(cli, d, argv + 2, argc - 2, json, &b);
out:
    ch_buf_release(&b);
    return ex;
}

static int run_directive(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CH_CLI_OPT_HELP,
                                         {"dir", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {0}};
    const char *dir_flag = NULL;
    bool json = false;
    int c = 0;
    int exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_directive, argc, argv, "h", opts, &exit_code)) !=
           -1) {
        if (c == -2)
            return exit_code;
        if (c == 'd')
            dir_flag = optarg;
        else if (c == 'j')
            json = true;
    }
    if (optind >= argc)
        return ch_cli_usage_error(cli, "directive", "expected list, show or decide");
    const char *verb = argv[optind];
    if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0 && strcmp(verb, "decide") != 0)
        return ch_cli_usage_error(cli, "directive", "unknown verb '%s'", verb);
    struct ch_err err = CH_ERR_INIT;
    struct ch_directive_set *set = NULL;
    if (ch_directive_set_load(ch_cli_directives_dir(dir_flag), &set, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    int ex = dispatch(cli, set, argc - optind, argv + optind, json);
    ch_directive_set_free(set);
    return ex;
}
