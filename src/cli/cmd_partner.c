/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_partner.c: `clearinghouse partner name|revoke|list|grant|ungrant|
 * grants` and `clearinghouse gateway kill|resume|log`: trusted partners of
 * a model, their time-boxed gateway grants (each with its own token, shown
 * once), the global kill switch and the call log (src/eval/gateway.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evalctx.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/num.h"
#include "eval/gateway.h"
#include "eval/models.h"
#include "store/store.h"

static int run_partner(struct ch_cli *cli, int argc, char **argv);
static int run_gateway(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(partner) = {
    .name = "partner",
    .summary = "trusted partners of a model and their gateway grants",
    .usage = "usage: clearinghouse partner name ORG --model M [--requests-per-day N]\n"
             "                              [--tokens-per-day N] [--requests-per-minute N]\n"
             "       clearinghouse partner revoke ORG --model M\n"
             "       clearinghouse partner list --model M\n"
             "       clearinghouse partner grant --model M --user U --days N [--start DATE]\n"
             "       clearinghouse partner ungrant GRANT_ID\n"
             "       clearinghouse partner grants [--model M]\n"
             "(every verb takes --as USER)\n"
             "\n"
             "A partnership is active once both the model's developer and the\n"
             "clearinghouse have named the organisation. grant prints a token scoped to\n"
             "that one model, valid for N days (at most 30); it is shown once.\n",
    .run = run_partner,
};

CH_CLI_COMMAND(gateway) = {
    .name = "gateway",
    .summary = "the partner gateway's kill switch and call log",
    .usage = "usage: clearinghouse gateway kill [--reason TEXT]\n"
             "       clearinghouse gateway resume\n"
             "       clearinghouse gateway log [--model M]\n"
             "(every verb takes --as USER; per-model: clearinghouse model kill M)\n",
    .run = run_gateway,
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

struct opts {
    const char *as;
    const char *model;
    const char *user;
    const char *reason;
    int64_t start;
    int64_t days;
    struct ch_gateway_limits limits;
    bool has_limits;
};

static int parse(struct ch_cli *cli, const struct ch_cli_command *cmd, int argc, char **argv,
                 struct opts *o, int *ret_code)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"model", required_argument, NULL, 'm'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"reason", required_argument, NULL, 'R'},
                                         {"start", required_argument, NULL, 's'},
                                         {"days", required_argument, NULL, 'd'},
                                         {"requests-per-day", required_argument, NULL, 'q'},
                                         {"tokens-per-day", required_argument, NULL, 't'},
                                         {"requests-per-minute", required_argument, NULL, 'p'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    *o = (struct opts){.start = -1};
    struct ch_err err = CH_ERR_INIT;
    int c;
    while ((c = ch_cli_getopt(cli, cmd, argc, argv, "h", opts, ret_code)) != -1) {
        int64_t *num = NULL;
        switch (c) {
        case -2:
            return -1;
        case 'A':
            o->as = optarg;
            break;
        case 'm':
            o->model = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'R':
            o->reason = optarg;
            break;
        case 's':
            if (ch_time_parse(ch_str_c(optarg), &o->start, NULL, &err) != CH_OK) {
                *ret_code = ch_cli_usage_error(cli, cmd->name, "--start: %s", err.msg);
                return -1;
            }
            break;
        case 'd':
            num = &o->days;
            break;
        case 'q':
            num = &o->limits.requests_per_day;
            break;
        case 't':
            num = &o->limits.tokens_per_day;
            break;
        case 'p':
            num = &o->limits.requests_per_minute;
            break;
        default:
            *ret_code = CH_EXIT_USAGE;
            return -1;
        }
        if (num != NULL) {
            if (ch_num_parse_i64(ch_str_c(optarg), 0, CH_GATEWAY_MAX_QUOTA, num, &err) != CH_OK) {
                *ret_code =
                    ch_cli_usage_error(cli, cmd->name, "expected a number, not '%s'", optarg);
                return -1;
            }
            o->has_limits = o->has_limits || num != &o->days;
        }
    }
    return 0;
}

static int partner_name_or_revoke(struct ch_cli *cli, int argc, char **argv, bool revoke)
{
    struct opts o;
    int code = 0;
    if (parse(cli, &ch_cli_cmd_partner, argc, argv, &o, &code) != 0)
        return code;
    if (optind + 1 != argc || o.model == NULL)
        return ch_cli_usage_error(cli, "partner", "expected ORG --model M");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, o.as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = revoke ? ch_gateway_partner_revoke(x.s, &x.actor, o.model, argv[optind], x.now, &err)
                    : ch_gateway_partner_name(x.s, &x.actor, o.model, argv[optind],
                                              o.has_limits ? &o.limits : NULL, x.now, &err);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"partner\": \"%s\", \"model\": \"%s\", \"%s\": true}\n", argv[optind],
            o.model, revoke ? "revoked" : "named");
    return CH_EXIT_OK;
}

static int partner_name(struct ch_cli *cli, int argc, char **argv)
{
    return partner_name_or_revoke(cli, argc, argv, false);
}

static int partner_revoke(struct ch_cli *cli, int argc, char **argv)
{
    return partner_name_or_revoke(cli, argc, argv, true);
}

static int partners_fn(struct ch_cli_evalctx *x, void *arg, struct ch_jw *w, struct ch_err *err)
{
    return ch_gateway_partner_list_json(x->s, &x->actor, arg, w, err);
}

static int partner_list(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o;
    int code = 0;
    if (parse(cli, &ch_cli_cmd_partner, argc, argv, &o, &code) != 0)
        return code;
    if (o.model == NULL || optind != argc)
        return ch_cli_usage_error(cli, "partner list", "expected --model M");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, o.as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json_of(cli, partners_fn, &x, (void *)o.model);
    ch_cli_evalctx_close(&x);
    return code;
}

static int partner_grant(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o;
    int code = 0;
    if (parse(cli, &ch_cli_cmd_partner, argc, argv, &o, &code) != 0)
        return code;
    if (o.model == NULL || o.user == NULL || o.days <= 0 || optind != argc)
        return ch_cli_usage_error(cli, "partner grant", "expected --model M --user U --days N");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, o.as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    int64_t start = o.start >= 0 ? o.start : x.now;
    struct ch_gateway_grant_new g = {.model = o.model,
                                     .user = o.user,
                                     .starts_at = start,
                                     .expires_at = start + o.days * CH_DAY_SECONDS};
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    char token[CH_TOKEN_MAX];
    int rc = ch_gateway_grant_create(x.s, &x.actor, &g, x.now, &id, token, &err);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->errout, "grant %lld for '%s' on '%s'; the token is shown once, store it now:\n",
            (long long)id, o.user, o.model);
    fprintf(cli->out, "%s\n", token);
    return CH_EXIT_OK;
}

static int partner_ungrant(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o;
    int code = 0;
    if (parse(cli, &ch_cli_cmd_partner, argc, argv, &o, &code) != 0)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (optind + 1 != argc ||
        ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, &id, &err) != CH_OK)
        return ch_cli_usage_error(cli, "partner ungrant", "expected a grant ID");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, o.as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    int rc = ch_gateway_grant_revoke(x.s, &x.actor, id, x.now, &err);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "grant %lld revoked\n", (long long)id);
    return CH_EXIT_OK;
}

static int model_id_of(struct ch_cli_evalctx *x, const char *ref, int64_t *ret, struct ch_err *err)
{
    *ret = 0;
    if (ref == NULL)
        return CH_OK;
    struct ch_models_model m = {0};
    int rc = ch_models_find(x->s, &x->actor, ref, &m, err);
    *ret = m.id;
    ch_models_release(&m);
    return rc;
}

static int grants_fn(struct ch_cli_evalctx *x, void *arg, struct ch_jw *w, struct ch_err *err)
{
    int64_t mid = 0;
    int rc = model_id_of(x, arg, &mid, err);
    return rc != CH_OK ? rc : ch_gateway_grant_list_json(x->s, &x->actor, mid, w, err);
}

static int log_fn(struct ch_cli_evalctx *x, void *arg, struct ch_jw *w, struct ch_err *err)
{
    int64_t mid = 0;
    int rc = model_id_of(x, arg, &mid, err);
    return rc != CH_OK ? rc : ch_gateway_log_json(x->s, &x->actor, mid, w, err);
}

static int list_with(struct ch_cli *cli, const struct ch_cli_command *cmd, int argc, char **argv,
                     int (*fn)(struct ch_cli_evalctx *, void *, struct ch_jw *, struct ch_err *))
{
    struct opts o;
    int code = 0;
    if (parse(cli, cmd, argc, argv, &o, &code) != 0)
        return code;
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, o.as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json_of(cli, fn, &x, (void *)o.model);
    ch_cli_evalctx_close(&x);
    return code;
}

static int partner_grants(struct ch_cli *cli, int argc, char **argv)
{
    return list_with(cli, &ch_cli_cmd_partner, argc, argv, grants_fn);
}

static int run_partner(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"name", partner_name},
                                               {"revoke", partner_revoke},
                                               {"list", partner_list},
                                               {"grant", partner_grant},
                                               {"ungrant", partner_ungrant},
                                               {"grants", partner_grants},
                                               {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_partner, verbs, argc, argv);
}

static int gateway_switch(struct ch_cli *cli, int argc, char **argv, bool engaged)
{
    struct opts o;
    int code = 0;
    if (parse(cli, &ch_cli_cmd_gateway, argc, argv, &o, &code) != 0)
        return code;
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, o.as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_gateway_set_global_kill(x.s, &x.actor, engaged, o.reason, x.now, &err);
    ch_cli_evalctx_close(&x);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "gateway %s\n", engaged ? "stopped" : "resumed");
    return CH_EXIT_OK;
}

static int gateway_kill(struct ch_cli *cli, int argc, char **argv)
{
    return gateway_switch(cli, argc, argv, true);
}

static int gateway_resume(struct ch_cli *cli, int argc, char **argv)
{
    return gateway_switch(cli, argc, argv, false);
}

static int gateway_log(struct ch_cli *cli, int argc, char **argv)
{
    return list_with(cli, &ch_cli_cmd_gateway, argc, argv, log_fn);
}

static int run_gateway(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"kill", gateway_kill}, {"resume", gateway_resume}, {"log", gateway_log}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_gateway, verbs, argc, argv);
}
