/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_priority.c: `clearinghouse priority`: vulnerabilities with active
 * exposures ranked by CISA SSVC decision, KEV, EPSS and who is exposed
 * (docs/remediation.md "Priority").
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/num.h"
#include "identity/identity.h"
#include "remediate/report.h"
#include "store/store.h"

static int run_priority(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(priority) = {
    .name = "priority",
    .summary = "rank vulnerabilities by SSVC decision and exposure",
    .usage = "usage: clearinghouse priority [--org ORG] [--limit N] [--json]\n"
             "\n"
             "Ranks vulnerabilities with open exposures: CISA SSVC (Act, Attend, Track*,\n"
             "Track) from Exploitation, Automatable, Technical Impact and the assets'\n"
             "Mission and Well-being, then KEV, EPSS, and the numbers of national-\n"
             "security, DoD, FCEB, SLTT and critical-infrastructure assets exposed.\n"
             "The table is ssvc/cisa_coordinator_2_0_3.json in $CLEARINGHOUSE_DIRECTIVES\n"
             "or ./directives.\n",
    .run = run_priority,
};

static void print_table(struct ch_cli *cli, const char *json)
{
    cJSON *j = cJSON_Parse(json);
    const cJSON *items = j != NULL ? ch_json_arr(j, "items") : NULL;
    fprintf(cli->out, "%-4s %-20s %-8s %-4s %-7s %4s %4s %4s %4s %4s %5s  %s\n", "#",
            "VULNERABILITY", "PRIORITY", "KEV", "EPSS", "NSS", "DOD", "FCEB", "SLTT", "CI", "ALL",
            "EARLIEST DUE");
    int i = 0;
    for (const cJSON *it = items != NULL ? items->child : NULL; it != NULL; it = it->next) {
        const cJSON *c = ch_json_obj(it, "exposed_assets");
        const cJSON *epss = cJSON_GetObjectItemCaseSensitive(it, "epss");
        const char *due = ch_json_str(it, "earliest_due");
        char e[16] = "-";
        if (cJSON_IsNumber(epss))
            snprintf(e, sizeof(e), "%.3f", epss->valuedouble);
        fprintf(cli->out, "%-4d %-20s %-8s %-4s %-7s %4d %4d %4d %4d %4d %5d  %s\n", ++i,
                ch_json_str(it, "vulnerability"), ch_json_str(it, "priority"),
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "kev")) ? "yes" : "no", e,
                cJSON_GetObjectItemCaseSensitive(c, "nss")->valueint,
                cJSON_GetObjectItemCaseSensitive(c, "dod")->valueint,
                cJSON_GetObjectItemCaseSensitive(c, "fceb")->valueint,
                cJSON_GetObjectItemCaseSensitive(c, "sltt")->valueint,
                cJSON_GetObjectItemCaseSensitive(c, "ci")->valueint,
                cJSON_GetObjectItemCaseSensitive(c, "all")->valueint, due != NULL ? due : "-");
    }
    cJSON_Delete(j);
}

static int run_priority(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option lo[] = {{"org", required_argument, NULL, 'o'},
                                       {"limit", required_argument, NULL, 'l'},
                                       {"json", no_argument, NULL, 'j'},
                                       CH_CLI_OPT_HELP,
                                       {0}};
    const char *org = NULL;
    bool json = false;
    uint64_t limit = 50;
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_priority, argc, argv, "h", lo, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'o':
            org = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'l':
            if (ch_num_parse_u64(ch_str_c(optarg), CH_PRIORITY_MAX_LIMIT, &limit, &err) != CH_OK ||
                limit == 0)
                return ch_cli_usage_error(cli, "priority", "--limit: 1 to %d",
                                          CH_PRIORITY_MAX_LIMIT);
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "priority", "unexpected argument");
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", ch_cli_directives_dir(NULL), CH_PRIORITY_TABLE);
    struct ch_ssvc_table *table = NULL;
    if (ch_ssvc_table_load(path, &table, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK) {
        ch_ssvc_table_free(table);
        return code;
    }
    int64_t org_id = 0;
    struct ch_buf b;
    ch_buf_init(&b, (size_t)64 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = org != NULL ? ch_org_find(s, org, &org_id, &err) : CH_OK;
    if (rc == CH_OK)
        rc = ch_priority_json(s, table, org_id, (size_t)limit, ch_clock_now(&cli->clock), &w, &err);
    if (json) {
        code = ch_cli_print_json(cli, &w, rc, &err);
    } else if (rc == CH_OK && ch_jw_finish(&w, &err) == CH_OK) {
        print_table(cli, ch_buf_cstr(&b));
        code = CH_EXIT_OK;
    } else {
        code = ch_cli_fail(cli, &err);
    }
    ch_buf_release(&b);
    ch_store_free(s);
    ch_ssvc_table_free(table);
    return code;
}
