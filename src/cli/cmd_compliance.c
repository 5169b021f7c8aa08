/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_compliance.c: `clearinghouse compliance`: per organisation and
 * directive, as of any date, reconstructed from the exposures' history
 * (docs/remediation.md "Compliance").
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/json.h"
#include "identity/identity.h"
#include "remediate/report.h"
#include "store/store.h"

static int run_compliance(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(compliance) = {
    .name = "compliance",
    .summary = "compliance with remediation directives, as of any date",
    .usage = "usage: clearinghouse compliance [--org ORG] [--as-of DATE] [--json]\n"
             "\n"
             "Per organisation and directive: exposures in scope, remediated on time,\n"
             "remediated late, open within the deadline, overdue, under risk acceptance,\n"
             "and the median days to remediate. --as-of (default: now) reconstructs the\n"
             "report from the recorded history, so it is what the report said that day.\n",
    .run = run_compliance,
};

static void print_table(struct ch_cli *cli, const char *json)
{
    cJSON *j = cJSON_Parse(json);
    const cJSON *orgs = j != NULL ? ch_json_arr(j, "organisations") : NULL;
    fprintf(cli->out, "as of %s\n", j != NULL ? ch_json_str(j, "as_of") : "?");
    fprintf(cli->out, "%-22s %-10s %6s %8s %6s %8s %8s %6s %8s\n", "ORGANISATION", "DIRECTIVE",
            "SCOPE", "ON TIME", "LATE", "OPEN OK", "OVERDUE", "RISK", "MEDIAN D");
    for (const cJSON *o = orgs != NULL ? orgs->child : NULL; o != NULL; o = o->next) {
        const cJSON *ds = ch_json_arr(o, "directives");
        for (const cJSON *d = ds != NULL ? ds->child : NULL; d != NULL; d = d->next) {
            const cJSON *med = cJSON_GetObjectItemCaseSensitive(d, "median_days_to_remediate");
            char m[16] = "-";
            if (cJSON_IsNumber(med))
                snprintf(m, sizeof(m), "%.1f", med->valuedouble);
            fprintf(cli->out, "%-22s %-10s %6d %8d %6d %8d %8d %6d %8s\n", ch_json_str(o, "org"),
                    ch_json_str(d, "directive"),
                    cJSON_GetObjectItemCaseSensitive(d, "in_scope")->valueint,
                    cJSON_GetObjectItemCaseSensitive(d, "remediated_on_time")->valueint,
                    cJSON_GetObjectItemCaseSensitive(d, "remediated_late")->valueint,
                    cJSON_GetObjectItemCaseSensitive(d, "open_within_deadline")->valueint,
                    cJSON_GetObjectItemCaseSensitive(d, "overdue")->valueint,
                    cJSON_GetObjectItemCaseSensitive(d, "risk_accepted")->valueint, m);
        }
    }
    cJSON_Delete(j);
}

static int run_compliance(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option lo[] = {{"org", required_argument, NULL, 'o'},
                                       {"as-of", required_argument, NULL, 'a'},
                                       {"json", no_argument, NULL, 'j'},
                                       CH_CLI_OPT_HELP,
                                       {0}};
    const char *org = NULL;
    bool json = false;
    int64_t as_of = ch_clock_now(&cli->clock);
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_compliance, argc, argv, "h", lo, &exit_code)) !=
           -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'o':
            org = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'a':
            if (ch_time_parse(ch_str_c(optarg), &as_of, NULL, &err) != CH_OK)
                return ch_cli_usage_error(cli, "compliance", "--as-of: %s", err.msg);
            if (strlen(optarg) == 10)
                as_of += CH_DAY_SECONDS - 1; /* a day means its end */
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "compliance", "unexpected argument");
    struct ch_directive_set *set = NULL;
    if (ch_directive_set_load(ch_cli_directives_dir(NULL), &set, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK) {
        ch_directive_set_free(set);
        return code;
    }
    int64_t org_id = 0;
    struct ch_buf b;
    ch_buf_init(&b, (size_t)64 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = org != NULL ? ch_org_find(s, org, &org_id, &err) : CH_OK;
    if (rc == CH_OK)
        rc = ch_compliance_json(s, set, org_id, as_of, &w, &err);
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
    ch_directive_set_free(set);
    return code;
}
