/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_model.c: `clearinghouse model add|list|show|kill|unkill`: the registry
 * of models offered for evaluation (src/eval/models.h). Credentials are read
 * from an environment variable named by --credential-env (never from the
 * command line, where other users could see them) and sealed before they are
 * stored. --as USER acts as that user (tenancy and roles apply).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evalctx.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/num.h"
#include "eval/models.h"
#include "store/store.h"

static int run_model(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(model) = {
    .name = "model",
    .summary = "register and list models offered for evaluation",
    .usage = "usage: clearinghouse model add NAME --version V --org SLUG --endpoint URL\n"
             "                                [--upstream-model M] [--credential-env VAR]\n"
             "                                [--prerelease] [--release-date DATE]\n"
             "                                [--classification C] [--as USER]\n"
             "       clearinghouse model list [--as USER]\n"
             "       clearinghouse model show NAME[@VERSION] [--as USER]\n"
             "       clearinghouse model kill|unkill NAME[@VERSION] [--reason TEXT]\n"
             "\n"
             "The endpoint is an OpenAI-compatible base URL; its API key is read from the\n"
             "environment variable named by --credential-env and stored sealed. kill stops\n"
             "the partner gateway for the model. Output is JSON.\n",
    .run = run_model,
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

static int model_add(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"version", required_argument, NULL, 'v'},
                                         {"org", required_argument, NULL, 'o'},
                                         {"endpoint", required_argument, NULL, 'e'},
                                         {"upstream-model", required_argument, NULL, 'u'},
                                         {"credential-env", required_argument, NULL, 'c'},
                                         {"prerelease", no_argument, NULL, 'p'},
                                         {"release-date", required_argument, NULL, 'r'},
                                         {"classification", required_argument, NULL, 'C'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_models_new m = {.planned_release_at = -1, .classification = CH_CLEAR_CUI};
    const char *org = NULL;
    const char *cred_env = NULL;
    const char *as = NULL;
    struct ch_err err = CH_ERR_INIT;
    int c;
    int code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_model, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2:
            return code;
        case 'v':
            m.version = optarg;
            break;
        case 'o':
            org = optarg;
            break;
        case 'e':
            m.endpoint = optarg;
            break;
        case 'u':
            m.upstream_model = optarg;
            break;
        case 'c':
            cred_env = optarg;
            break;
        case 'p':
            m.prerelease = true;
            break;
        case 'r':
            if (ch_time_parse(ch_str_c(optarg), &m.planned_release_at, NULL, &err) != CH_OK)
                return ch_cli_usage_error(cli, "model add", "--release-date: %s", err.msg);
            break;
        case 'C':
            if (ch_clearance_parse(optarg, &m.classification) != CH_OK)
                return ch_cli_usage_error(cli, "model add", "unknown classification '%s'", optarg);
            break;
        case 'A':
            as = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || m.version == NULL || org == NULL || m.endpoint == NULL)
        return ch_cli_usage_error(cli, "model add",
                                  "expected NAME --version V --org SLUG --endpoint URL");
    m.name = argv[optind];
    if (cred_env != NULL) {
        m.credential = getenv(cred_env);
        if (m.credential == NULL || m.credential[0] == '\0')
            return ch_cli_usage_error(cli, "model add", "environment variable '%s' is empty",
                                      cred_env);
    }
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    int64_t id = 0;
    int rc = ch_org_find(x.s, org, &m.org_id, &err);
    if (rc == CH_OK)
        rc = ch_models_add(x.s, &x.keys, &x.actor, &m, x.now, &id, &err);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"id\": %lld, \"model\": \"%s@%s\"}\n", (long long)id, m.name, m.version);
    return CH_EXIT_OK;
}

static int as_only(struct ch_cli *cli, int argc, char **argv, const char **ret_as,
                   const char **ret_reason, int *ret_code)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"reason", required_argument, NULL, 'R'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    int c;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_model, argc, argv, "h", opts, ret_code)) != -1) {
        if (c == -2)
            return -1;
        if (c == 'A') {
            *ret_as = optarg;
        } else if (c == 'R') {
            *ret_reason = optarg;
        } else {
            *ret_code = CH_EXIT_USAGE;
            return -1;
        }
    }
    return 0;
}

static int list_fn(struct ch_cli_evalctx *x, void *arg, struct ch_jw *w, struct ch_err *err)
{
    (void)arg;
    return ch_models_list_json(x->s, &x->actor, w, err);
}

static int model_list(struct ch_cli *cli, int argc, char **argv)
{
    const char *as = NULL;
    const char *reason = NULL;
    int code = 0;
    if (as_only(cli, argc, argv, &as, &reason, &code) != 0)
        return code;
    if (optind != argc)
        return ch_cli_usage_error(cli, "model list", "no arguments expected");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json_of(cli, list_fn, &x, NULL);
    ch_cli_evalctx_close(&x);
    return code;
}

static int show_fn(struct ch_cli_evalctx *x, void *arg, struct ch_jw *w, struct ch_err *err)
{
    struct ch_models_model m = {0};
    int rc = ch_models_find(x->s, &x->actor, arg, &m, err);
    if (rc == CH_OK)
        ch_models_write_json(&m, w);
    ch_models_release(&m);
    return rc;
}

static int model_show(struct ch_cli *cli, int argc, char **argv)
{
    const char *as = NULL;
    const char *reason = NULL;
    int code = 0;
    if (as_only(cli, argc, argv, &as, &reason, &code) != 0)
        return code;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "model show", "name one model");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json_of(cli, show_fn, &x, argv[optind]);
    ch_cli_evalctx_close(&x);
    return code;
}

static int set_killed(struct ch_cli *cli, int argc, char **argv, bool killed)
{
    const char *as = NULL;
    const char *reason = NULL;
    int code = 0;
    if (as_only(cli, argc, argv, &as, &reason, &code) != 0)
        return code;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, killed ? "model kill" : "model unkill", "name one model");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    struct ch_models_model m = {0};
    int rc = ch_models_find(x.s, &x.actor, argv[optind], &m, &err);
    if (rc == CH_OK)
        rc = ch_models_set_killed(x.s, &x.actor, m.id, killed, reason, x.now, &err);
    ch_models_release(&m);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "gateway %s for '%s'\n", killed ? "stopped" : "resumed", argv[optind]);
    return CH_EXIT_OK;
}

static int model_kill(struct ch_cli *cli, int argc, char **argv)
{
    return set_killed(cli, argc, argv, true);
}

static int model_unkill(struct ch_cli *cli, int argc, char **argv)
{
    return set_killed(cli, argc, argv, false);
}

static int run_model(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"add", model_add},       {"list", model_list},
                                               {"show", model_show},     {"kill", model_kill},
                                               {"unkill", model_unkill}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_model, verbs, argc, argv);
}
