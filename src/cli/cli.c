/* SPDX-License-Identifier: Apache-2.0
 *
 * cli.c: helpers shared by the subcommands (see cli.h).
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "store/store.h"

const char *ch_cli_db_url(const struct ch_cli *cli)
{
    return ch_store_url_resolve(cli->db_flag);
}

const char *ch_cli_keys_dir(const struct ch_cli *cli, char *buf, size_t buf_size)
{
    if (cli->keys_flag != NULL)
        return cli->keys_flag;
    const char *env = getenv("CLEARINGHOUSE_KEYS");
    if (env != NULL && env[0] != '\0')
        return env;
    const char *url = ch_cli_db_url(cli);
    /* keys live beside an SQLite file; for a server database, in the working directory */
    if (strncmp(url, "sqlite:", 7) == 0 && strcmp(url + 7, ":memory:") != 0) {
        snprintf(buf, buf_size, "%s.keys", url + 7);
        return buf;
    }
    return "clearinghouse-keys";
}

const char *ch_cli_directives_dir(const char *flag)
{
    if (flag != NULL)
        return flag;
    const char *env = getenv("CLEARINGHOUSE_DIRECTIVES");
    return env != NULL && env[0] != '\0' ? env : "directives";
}

int ch_cli_exit_code(int rc)
{
    switch (rc) {
    case CH_OK:
        return CH_EXIT_OK;
    case CH_E_USAGE:
        return CH_EXIT_USAGE;
    case CH_E_INVALID:
    case CH_E_LIMIT:
    case CH_E_NOTFOUND:
    case CH_E_CONFLICT:
    case CH_E_IO:
    case CH_E_UNSUPPORTED:
    case CH_E_PERM:
    case CH_E_AUTH:
        return CH_EXIT_INPUT;
    default:
        return CH_EXIT_INTERNAL;
    }
}

int ch_cli_fail(const struct ch_cli *cli, const struct ch_err *err)
{
    fprintf(cli->errout, "%s: error: %s\n", cli->prog,
            err->msg[0] != '\0' ? err->msg : ch_rc_str(err->rc));
    return ch_cli_exit_code(err->rc);
}

int ch_cli_usage_error(const struct ch_cli *cli, const char *cmd, const char *fmt, ...)
{
    fprintf(cli->errout, "%s %s: ", cli->prog, cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(cli->errout, fmt, ap);
    va_end(ap);
    fprintf(cli->errout, "\nTry '%s %s --help'.\n", cli->prog, cmd);
    return CH_EXIT_USAGE;
}

int ch_cli_help(const struct ch_cli *cli, const struct ch_cli_command *cmd)
{
    fputs(cmd->usage, cli->out);
    return CH_EXIT_OK;
}

int ch_cli_getopt(const struct ch_cli *cli, const struct ch_cli_command *cmd, int argc,
                  char **argv, const char *shortopts, const struct option *longopts,
                  int *ret_exit)
{
    /* ':' first: report a missing argument as ':' rather than '?' */
    char shorts[64];
    snprintf(shorts, sizeof(shorts), ":%s", shortopts);
    opterr = 0;
    int longindex = -1;
    int c = getopt_long(argc, argv, shorts, longopts, &longindex);
    if (c == '?') {
        const char *bad = argv[optind - 1];
        if (optopt != 0)
            *ret_exit = ch_cli_usage_error(cli, cmd->name, "unknown option '-%c'", optopt);
        else
            *ret_exit = ch_cli_usage_error(cli, cmd->name, "unknown option '%s'", bad);
        return -2;
    }
    if (c == ':') {
        *ret_exit = ch_cli_usage_error(cli, cmd->name, "option '%s' needs a value",
                                       argv[optind - 1]);
        return -2;
    }
    if (c == 'h') {
        *ret_exit = ch_cli_help(cli, cmd);
        return -2;
    }
    return c;
}

int ch_cli_dispatch(struct ch_cli *cli, const struct ch_cli_command *cmd,
                    const struct ch_cli_verb *verbs, int argc, char **argv)
{
    if (argc < 2)
        return ch_cli_usage_error(cli, cmd->name, "expected a verb");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return ch_cli_help(cli, cmd);
    for (const struct ch_cli_verb *v = verbs; v->name != NULL; v++) {
        if (strcmp(argv[1], v->name) == 0) {
            optind = 0;
            return v->run(cli, argc - 1, argv + 1);
        }
    }
    return ch_cli_usage_error(cli, cmd->name, "unknown verb '%s'", argv[1]);
}

int ch_cli_open_store(struct ch_cli *cli, struct ch_store **ret)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_open(ch_cli_db_url(cli), NULL, ret, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    return CH_EXIT_OK;
}

int ch_cli_print_json(struct ch_cli *cli, struct ch_jw *w, int rc, struct ch_err *err)
{
    if (rc == CH_OK)
        rc = ch_jw_finish(w, err);
    if (rc != CH_OK)
        return ch_cli_fail(cli, err);
    fprintf(cli->out, "%s\n", ch_buf_cstr(w->out));
    return CH_EXIT_OK;
}
