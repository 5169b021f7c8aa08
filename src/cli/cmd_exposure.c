/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_exposure.c: `clearinghouse exposure list|show|transition|recompute`
 * (docs/remediation.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/num.h"
#include "identity/identity.h"
#include "remediate/exposure.h"
#include "store/store.h"

static int run_exposure(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(exposure) = {
    .name = "exposure",
    .summary = "list exposures, change their status, recompute them",
    .usage = "usage: clearinghouse exposure list [--org ORG] [--asset NAME] [--status S|active]\n"
             "                                   [--overdue] [--limit N]\n"
             "       clearinghouse exposure show ID\n"
             "       clearinghouse exposure transition ID STATUS --reason TEXT\n"
             "                   [--justification TEXT --approver NAME --expires DATE]\n"
             "                   [--vex JUSTIFICATION]\n"
             "       clearinghouse exposure recompute [--all]\n"
             "\n"
             "STATUS: open, in_progress, risk_accepted (needs --justification, --approver\n"
             "and --expires), not_affected (needs --vex: component_not_present,\n"
             "vulnerable_code_not_present, vulnerable_code_not_in_execute_path,\n"
             "vulnerable_code_cannot_be_controlled_by_adversary,\n"
             "inline_mitigations_already_exist). remediated is set automatically when an\n"
             "inventory no longer holds an affected version.\n"
             "\n"
             "recompute re-checks what changed in the knowledge base since the last run\n"
             "(new or modified advisories, KEV entries), expires risk acceptances, applies\n"
             "directives that came into or out of force, and writes notices; --all\n"
             "re-matches every asset with the full matching index, reading and matching\n"
             "on a second thread over a second, read-only connection to the database.\n"
             "\n"
             "Output is JSON. Exit status: 0 ok, 2 usage, 3 bad input or unknown object.\n",
    .run = run_exposure,
};

static int open_ctx(struct ch_cli *cli, struct ch_store **s, struct ch_directive_set **set,
                    struct ch_rem_ctx *ctx)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_directive_set_load(ch_cli_directives_dir(NULL), set, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    int code = ch_cli_open_store(cli, s);
    if (code != CH_EXIT_OK) {
        ch_directive_set_free(*set);
        *set = NULL;
        return code;
    }
    *ctx = (struct ch_rem_ctx){
        .store = *s, .directives = *set, .now = ch_clock_now(&cli->clock), .actor = "cli"};
    return CH_EXIT_OK;
}

struct opts {
    const char *org, *asset, *status, *reason, *justification, *approver, *expires, *vex;
    bool overdue, all;
    size_t limit;
};

static int parse(struct ch_cli *cli, int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {{"org", required_argument, NULL, 'o'},
                                       {"asset", required_argument, NULL, 'a'},
                                       {"status", required_argument, NULL, 's'},
                                       {"overdue", no_argument, NULL, 'D'},
                                       {"limit", required_argument, NULL, 'l'},
                                       {"reason", required_argument, NULL, 'r'},
                                       {"justification", required_argument, NULL, 'j'},
                                       {"approver", required_argument, NULL, 'p'},
                                       {"expires", required_argument, NULL, 'e'},
                                       {"vex", required_argument, NULL, 'v'},
                                       {"all", no_argument, NULL, 'A'},
                                       CH_CLI_OPT_HELP,
                                       {0}};
    int c, exit_code = 0;
    struct ch_err err = CH_ERR_INIT;
    uint64_t n = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_exposure, argc, argv, "h", lo, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'o':
            o->org = optarg;
            break;
        case 'a':
            o->asset = optarg;
            break;
        case 's':
            o->status = optarg;
            break;
        case 'D':
            o->overdue = true;
            break;
        case 'r':
            o->reason = optarg;
            break;
        case 'j':
            o->justification = optarg;
            break;
        case 'p':
            o->approver = optarg;
            break;
        case 'e':
            o->expires = optarg;
            break;
        case 'v':
            o->vex = optarg;
            break;
        case 'A':
            o->all = true;
            break;
        case 'l':
            if (ch_num_parse_u64(ch_str_c(optarg), CH_EXPOSURE_MAX_LIST, &n, &err) != CH_OK ||
                n == 0)
                return ch_cli_usage_error(cli, "exposure", "--limit: 1 to %d",
                                          CH_EXPOSURE_MAX_LIST);
            o->limit = (size_t)n;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    return -1;
}

static int exposure_list(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    struct ch_exposure_filter f = {.status = -1, .overdue_only = o.overdue, .limit = o.limit};
    if (o.status != NULL) {
        enum ch_exposure_status st;
        if (strcmp(o.status, "active") == 0)
            f.status = -2;
        else if (ch_exposure_status_parse(o.status, &st) == CH_OK)
            f.status = (int)st;
        else
            return ch_cli_usage_error(cli, "exposure list", "unknown status '%s'", o.status);
    }
    if (o.asset != NULL && o.org == NULL)
        return ch_cli_usage_error(cli, "exposure list", "--asset needs --org");
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = o.org != NULL ? ch_org_find(s, o.org, &f.scope_org, &err) : CH_OK;
    if (rc == CH_OK && o.asset != NULL)
        rc = ch_asset_find(s, f.scope_org, o.asset, &f.asset_id, &err);
    struct ch_buf b;
    ch_buf_init(&b, (size_t)256 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    if (rc == CH_OK)
        rc = ch_exposure_list_json(s, &f, ch_clock_now(&cli->clock), &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int parse_id(const char *s, int64_t *ret)
{
    struct ch_err err = CH_ERR_INIT;
    return ch_num_parse_i64(ch_str_c(s), 1, INT64_MAX, ret, &err);
}

static int exposure_show(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    int64_t id = 0;
    if (optind + 1 != argc || parse_id(argv[optind], &id) != CH_OK)
        return ch_cli_usage_error(cli, "exposure show", "expected an exposure ID");
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = ch_exposure_show_json(s, 0, id, ch_clock_now(&cli->clock), &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int exposure_transition(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    int64_t id = 0;
    struct ch_exposure_transition t = {.reason = o.reason,
                                       .justification = o.justification,
                                       .approver = o.approver,
                                       .vex_justification = o.vex,
                                       .expires_at = -1};
    if (optind + 2 != argc || parse_id(argv[optind], &id) != CH_OK ||
        ch_exposure_status_parse(argv[optind + 1], &t.to) != CH_OK)
        return ch_cli_usage_error(cli, "exposure transition", "expected ID STATUS --reason TEXT");
    struct ch_err err = CH_ERR_INIT;
    if (o.expires != NULL && ch_time_parse(ch_str_c(o.expires), &t.expires_at, NULL, &err) != CH_OK)
        return ch_cli_usage_error(cli, "exposure transition", "--expires: %s", err.msg);
    struct ch_store *s = NULL;
    struct ch_directive_set *set = NULL;
    struct ch_rem_ctx ctx;
    code = open_ctx(cli, &s, &set, &ctx);
    if (code != CH_EXIT_OK)
        return code;
    int rc = ch_exposure_transition(&ctx, 0, id, &t, &err);
    ch_store_free(s);
    ch_directive_set_free(set);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"exposure\": %lld, \"status\": \"%s\"}\n", (long long)id,
            ch_exposure_status_name(t.to));
    return CH_EXIT_OK;
}

static int exposure_recompute(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    if (optind != argc)
        return ch_cli_usage_error(cli, "exposure recompute", "unexpected argument");
    struct ch_store *s = NULL;
    struct ch_directive_set *set = NULL;
    struct ch_rem_ctx ctx;
    code = open_ctx(cli, &s, &set, &ctx);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    struct ch_exposure_stats st = {0};
    /* the full run reads inventories on a second thread, over a connection of its own; without
     * one (e.g. the file cannot be opened twice) it reads them on this thread */
    struct ch_store *reader = NULL;
    const struct ch_store_options ro = {.read_only = true};
    if (o.all && ch_store_open(ch_cli_db_url(cli), &ro, &reader, &err) != CH_OK) {
        ch_log_info("exposure recompute on one thread: %s", err.msg);
        ch_err_clear(&err);
        reader = NULL;
    }
    ctx.reader = reader;
    int rc = o.all ? ch_exposure_recompute_all(&ctx, &st, &err)
                   : ch_exposure_recompute_pending(&ctx, &st, &err);
    ch_store_free(reader);
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "mode", o.all ? "all" : "pending");
    ch_exposure_stats_json(&st, &w);
    ch_jw_obj_close(&w);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    ch_directive_set_free(set);
    return code;
}

static int run_exposure(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"list", exposure_list},
                                               {"show", exposure_show},
                                               {"transition", exposure_transition},
                                               {"recompute", exposure_recompute},
                                               {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_exposure, verbs, argc, argv);
}
