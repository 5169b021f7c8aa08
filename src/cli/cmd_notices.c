/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_notices.c: `clearinghouse notices`: patch-distribution notices that
 * knowledge-base changes produced for organisations (docs/remediation.md).
 */
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/json.h"
#include "identity/identity.h"
#include "remediate/report.h"
#include "store/store.h"

static int run_notices(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(notices) = {
    .name = "notices",
    .summary = "patch-distribution notices sent to organisations",
    .usage = "usage: clearinghouse notices [--org ORG] [--since DATE] [--json]\n"
             "\n"
             "One notice per organisation and vulnerability whenever the knowledge base\n"
             "gains or changes an advisory, a KEV entry or a fixed version that affects\n"
             "the organisation's assets: the assets, packages, versions, fixed versions\n"
             "and the due date. Notices are written by `exposure recompute`.\n",
    .run = run_notices,
};

static void print_text(struct ch_cli *cli, const char *json)
{
    cJSON *j = cJSON_Parse(json);
    for (const cJSON *n = j != NULL ? j->child : NULL; n != NULL; n = n->next) {
        const char *due = ch_json_str(n, "due");
        fprintf(cli->out, "#%d %s  %s  %s  [%s]  due %s\n",
                cJSON_GetObjectItemCaseSensitive(n, "id")->valueint, ch_json_str(n, "created_at"),
                ch_json_str(n, "org"), ch_json_str(n, "vulnerability"), ch_json_str(n, "reasons"),
                due != NULL ? due : "-");
        const cJSON *body = ch_json_obj(n, "body");
        const cJSON *groups = body != NULL ? ch_json_arr(body, "affected") : NULL;
        for (const cJSON *g = groups != NULL ? groups->child : NULL; g != NULL; g = g->next) {
            const char *fixed = ch_json_str(g, "fixed");
            const char *gdue = ch_json_str(g, "due");
            fprintf(cli->out, "  %s %s %s -> %s  due %s\n", ch_json_str(g, "ecosystem"),
                    ch_json_str(g, "package"), ch_json_str(g, "version"),
                    fixed != NULL ? fixed : "(no fix yet)", gdue != NULL ? gdue : "-");
            const cJSON *assets = ch_json_arr(g, "assets");
            for (const cJSON *a = assets != NULL ? assets->child : NULL; a != NULL; a = a->next)
                fprintf(cli->out, "    %-28s %s\n", ch_json_str(a, "asset"),
                        ch_json_str(a, "status"));
        }
    }
    cJSON_Delete(j);
}

static int run_notices(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option lo[] = {{"org", required_argument, NULL, 'o'},
                                       {"since", required_argument, NULL, 's'},
                                       {"json", no_argument, NULL, 'j'},
                                       CH_CLI_OPT_HELP,
                                       {0}};
    const char *org = NULL;
    bool json = false;
    int64_t since = -1;
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_notices, argc, argv, "h", lo, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'o':
            org = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 's':
            if (ch_time_parse(ch_str_c(optarg), &since, NULL, &err) != CH_OK)
                return ch_cli_usage_error(cli, "notices", "--since: %s", err.msg);
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "notices", "unexpected argument");
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    int64_t org_id = 0;
    struct ch_buf b;
    ch_buf_init(&b, (size_t)64 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = org != NULL ? ch_org_find(s, org, &org_id, &err) : CH_OK;
    if (rc == CH_OK)
        rc = ch_notices_json(s, org_id, since, &w, &err);
    if (json) {
        code = ch_cli_print_json(cli, &w, rc, &err);
    } else if (rc == CH_OK && ch_jw_finish(&w, &err) == CH_OK) {
        print_text(cli, ch_buf_cstr(&b));
        code = CH_EXIT_OK;
    } else {
        code = ch_cli_fail(cli, &err);
    }
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}
