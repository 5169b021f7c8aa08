/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_org.c: `clearinghouse org create|list`, `user create|list` and
 * `token create|list|revoke`: organisations, their users and API tokens.
 */
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/num.h"
#include "identity/identity.h"
#include "store/store.h"

static int run_org(struct ch_cli *cli, int argc, char **argv);
static int run_user(struct ch_cli *cli, int argc, char **argv);
static int run_token(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(org) = {
    .name = "org",
    .summary = "create and list organisations",
    .usage = "usage: clearinghouse org create SLUG --name NAME --category CATEGORY [--sector S]\n"
             "       clearinghouse org list\n"
             "\n"
             "Categories: nss (national-security system owner), dod, fceb (civilian\n"
             "federal), sltt (state, local, tribal, territorial), ci (critical\n"
             "infrastructure; needs --sector, one of the 16 CISA sectors such as water,\n"
             "energy, healthcare-and-public-health), partner (AI-industry partner),\n"
             "developer (model developer), clearinghouse.\n"
             "Output is JSON.\n",
    .run = run_org,
};

CH_CLI_COMMAND(user) = {
    .name = "user",
    .summary = "create and list users",
    .usage = "usage: clearinghouse user create NAME --org SLUG --roles ROLES [--clearance C]\n"
             "       clearinghouse user list [--org SLUG]\n"
             "\n"
             "ROLES is a comma list of admin, analyst, operator, partner, developer,\n"
             "evaluator. Clearance: unclassified (default), cui, secret, top_secret.\n",
    .run = run_user,
};

CH_CLI_COMMAND(token) = {
    .name = "token",
    .summary = "create, list and revoke API tokens",
    .usage = "usage: clearinghouse token create --user NAME [--name LABEL] [--scope ROLES]\n"
             "                                  [--expires-days N]\n"
             "       clearinghouse token list [--user NAME]\n"
             "       clearinghouse token revoke ID\n"
             "\n"
             "create prints the token once; only a hash of it is stored. A scoped token\n"
             "carries only the roles named (and held by its user).\n",
    .run = run_token,
};

static int org_create(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {"category", required_argument, NULL, 'c'},
                                         {"sector", required_argument, NULL, 's'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_org_new o = {0};
    const char *category = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_org, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2: return exit_code;
        case 'n': o.name = optarg; break;
        case 'c': category = optarg; break;
        case 's': o.sector = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "org create", "name one SLUG");
    o.slug = argv[optind];
    if (o.name == NULL || category == NULL)
        return ch_cli_usage_error(cli, "org create", "--name and --category are required");
    struct ch_err cerr = CH_ERR_INIT;
    if (ch_org_category_parse(ch_str_c(category), &o.category, &cerr) != CH_OK)
        return ch_cli_usage_error(cli, "org create", "%s", cerr.msg);
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    int rc = ch_org_create(s, &o, ch_clock_now(&cli->clock), &id, &err);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"id\": %lld, \"slug\": \"%s\"}\n", (long long)id, o.slug);
    return CH_EXIT_OK;
}

static int org_list(struct ch_cli *cli, int argc, char **argv)
{
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_org_list_json(s, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int run_org(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"create", org_create}, {"list", org_list}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_org, verbs, argc, argv);
}

static int user_create(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"org", required_argument, NULL, 'o'},
                                         {"roles", required_argument, NULL, 'r'},
                                         {"clearance", required_argument, NULL, 'c'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *org = NULL, *roles = NULL, *clearance = "unclassified";
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_user, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2: return exit_code;
        case 'o': org = optarg; break;
        case 'r': roles = optarg; break;
        case 'c': clearance = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || org == NULL || roles == NULL)
        return ch_cli_usage_error(cli, "user create", "expected NAME --org SLUG --roles ROLES");
    struct ch_user_new u = {.name = argv[optind]};
    struct ch_err err = CH_ERR_INIT;
    if (ch_roles_parse(roles, &u.roles, &err) != CH_OK)
        return ch_cli_usage_error(cli, "user create", "%s", err.msg);
    if (ch_clearance_parse(clearance, &u.clearance) != CH_OK)
        return ch_cli_usage_error(cli, "user create", "unknown clearance '%s'", clearance);
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    int64_t id = 0;
    int rc = ch_org_find(s, org, &u.org_id, &err);
    if (rc == CH_OK)
        rc = ch_user_create(s, &u, ch_clock_now(&cli->clock), &id, &err);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"id\": %lld, \"name\": \"%s\"}\n", (long long)id, u.name);
    return CH_EXIT_OK;
}

static int user_list(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"org", required_argument, NULL, 'o'}, CH_CLI_OPT_HELP,
                                         {0}};
    const char *org = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_user, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 'o')
            org = optarg;
        else
            return CH_EXIT_USAGE;
    }
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t org_id = 0;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = org != NULL ? ch_org_find(s, org, &org_id, &err) : CH_OK;
    if (rc == CH_OK)
        rc = ch_user_list_json(s, org_id, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int run_user(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"create", user_create}, {"list", user_list}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_user, verbs, argc, argv);
}

static int token_create(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"user", required_argument, NULL, 'u'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"scope", required_argument, NULL, 's'},
                                         {"expires-days", required_argument, NULL, 'e'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *user = NULL;
    struct ch_token_new t = {.expires_at = -1};
    struct ch_err err = CH_ERR_INIT;
    uint64_t days = 0;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_token, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2: return exit_code;
        case 'u': user = optarg; break;
        case 'n': t.name = optarg; break;
        case 's':
            if (ch_roles_parse(optarg, &t.scope, &err) != CH_OK)
                return ch_cli_usage_error(cli, "token create", "%s", err.msg);
            break;
        case 'e':
            if (ch_num_parse_u64(ch_str_c(optarg), 36500, &days, &err) != CH_OK || days == 0)
                return ch_cli_usage_error(cli, "token create", "--expires-days: 1 to 36500");
            break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (user == NULL || optind != argc)
        return ch_cli_usage_error(cli, "token create", "expected --user NAME");
    int64_t now = ch_clock_now(&cli->clock);
    if (days > 0)
        t.expires_at = now + (int64_t)days * CH_DAY_SECONDS;
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    int64_t id = 0;
    char token[CH_TOKEN_MAX];
    int rc = ch_user_find(s, user, &t.user_id, &err);
    if (rc == CH_OK)
        rc = ch_token_create(s, &t, now, &id, token, &err);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->errout, "token %lld created for '%s'; it is shown once, store it now:\n",
            (long long)id, user);
    fprintf(cli->out, "%s\n", token);
    return CH_EXIT_OK;
}

static int token_list(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"user", required_argument, NULL, 'u'}, CH_CLI_OPT_HELP,
                                         {0}};
    const char *user = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_token, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 'u')
            user = optarg;
        else
            return CH_EXIT_USAGE;
    }
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t uid = 0;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = user != NULL ? ch_user_find(s, user, &uid, &err) : CH_OK;
    if (rc == CH_OK)
        rc = ch_token_list_json(s, uid, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int token_revoke(struct ch_cli *cli, int argc, char **argv)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (argc != 2 || ch_num_parse_i64(ch_str_c(argv[1]), 1, INT64_MAX, &id, &err) != CH_OK)
        return ch_cli_usage_error(cli, "token revoke", "expected a token ID");
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    int rc = ch_token_revoke(s, id, ch_clock_now(&cli->clock), &err);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "token %lld revoked\n", (long long)id);
    return CH_EXIT_OK;
}

static int run_token(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"create", token_create}, {"list", token_list}, {"revoke", token_revoke}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_token, verbs, argc, argv);
}
