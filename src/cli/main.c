/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: `clearinghouse [GLOBAL OPTIONS] COMMAND [ARGS]`.
 *
 * Parses the global options (which must come before the command, as git's
 * do), sets up the process-wide pieces (allocator hooks for cJSON, libsodium,
 * the logger) and dispatches to the command table. This is the only place
 * that decides the process's exit code from an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/log.h"
#include "store/store.h"

static const char global_usage[] =
    "usage: clearinghouse [--db URL] [--keys DIR] [--now TIME] [--log-level LEVEL]\n"
    "                     COMMAND [ARGS]\n"
    "\n"
    "The AI cybersecurity clearinghouse: vulnerability knowledge base, exposure\n"
    "matching, directives and remediation, scan coordination, discovery validation,\n"
    "and frontier-model evaluation.\n"
    "\n"
    "Global options:\n"
    "  --db URL           database: sqlite:PATH (default sqlite:clearinghouse.db)\n"
    "                     or postgres://...; also $CLEARINGHOUSE_DB\n"
    "  --keys DIR         server key directory (default: beside the SQLite file,\n"
    "                     PATH.keys); also $CLEARINGHOUSE_KEYS\n"
    "  --now TIME         act as if the time were TIME (RFC 3339 or YYYY-MM-DD);\n"
    "                     also $CLEARINGHOUSE_NOW\n"
    "  --log-level LEVEL  error, warn, info (default) or debug\n"
    "  --version          print the version and exit\n"
    "  -h, --help         print this help, or a command's with COMMAND --help\n"
    "\n"
    "Exit codes: 0 ok, 1 findings or failed check, 2 usage, 3 bad input, 4 internal.\n"
    "\n"
    "Commands:\n";

static void print_commands(FILE *out)
{
    for (size_t i = 0; ch_cli_commands[i] != NULL; i++)
        fprintf(out, "  %-14s %s\n", ch_cli_commands[i]->name, ch_cli_commands[i]->summary);
    fprintf(out, "\nRun 'clearinghouse COMMAND --help' for a command's options.\n");
}

static const struct ch_cli_command *find_command(const char *name)
{
    for (size_t i = 0; ch_cli_commands[i] != NULL; i++) {
        if (strcmp(ch_cli_commands[i]->name, name) == 0)
            return ch_cli_commands[i];
    }
    return NULL;
}

static int set_now(struct ch_cli *cli, const char *value)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t t;
    if (ch_time_parse(ch_str_c(value), &t, NULL, &err) != CH_OK) {
        fprintf(stderr, "clearinghouse: --now: %s\n", err.msg);
        return CH_EXIT_USAGE;
    }
    cli->clock = CH_CLOCK_FIXED(t);
    return CH_EXIT_OK;
}

/* Value of "--opt VALUE" or "--opt=VALUE" at argv[*i]; NULL when argv[*i] is not --opt. */
static const char *global_value(int argc, char **argv, int *i, const char *opt, int *missing)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int main(int argc, char **argv)
{
    struct ch_cli cli = {
        .prog = "clearinghouse",
        .clock = CH_CLOCK_SYSTEM,
        .out = stdout,
        .errout = stderr,
    };
    ch_json_global_init();
    ch_store_global_init();
    struct ch_err err = CH_ERR_INIT;
    if (ch_crypto_init(&err) != CH_OK)
        return ch_cli_fail(&cli, &err);
    enum ch_log_level level = CH_LOG_INFO;
    const char *env_now = getenv("CLEARINGHOUSE_NOW");
    if (env_now != NULL && env_now[0] != '\0' && set_now(&cli, env_now) != CH_EXIT_OK)
        return CH_EXIT_USAGE;

    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(global_usage, stdout);
            print_commands(stdout);
            return CH_EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("clearinghouse %s\n", CH_VERSION);
            return CH_EXIT_OK;
        } else if ((v = global_value(argc, argv, &i, "--db", &missing)) != NULL) {
            cli.db_flag = v;
        } else if ((v = global_value(argc, argv, &i, "--keys", &missing)) != NULL) {
            cli.keys_flag = v;
        } else if ((v = global_value(argc, argv, &i, "--now", &missing)) != NULL) {
            if (set_now(&cli, v) != CH_EXIT_OK)
                return CH_EXIT_USAGE;
        } else if ((v = global_value(argc, argv, &i, "--log-level", &missing)) != NULL) {
            int l = ch_log_level_parse(v);
            if (l < 0) {
                fprintf(stderr, "clearinghouse: unknown log level '%s'\n", v);
                return CH_EXIT_USAGE;
            }
            level = (enum ch_log_level)l;
        } else if (missing) {
            fprintf(stderr, "clearinghouse: option '%s' needs a value\n", argv[i]);
            return CH_EXIT_USAGE;
        } else {
            fprintf(stderr, "clearinghouse: unknown option '%s'\nTry 'clearinghouse --help'.\n",
                    argv[i]);
            return CH_EXIT_USAGE;
        }
    }
    ch_log_setup(2, level, 0);
    if (i >= argc) {
        fputs(global_usage, stderr);
        print_commands(stderr);
        return CH_EXIT_USAGE;
    }
    const char *name = argv[i];
    if (strcmp(name, "help") == 0) {
        if (i + 1 < argc && find_command(argv[i + 1]) != NULL)
            return ch_cli_help(&cli, find_command(argv[i + 1]));
        fputs(global_usage, stdout);
        print_commands(stdout);
        return CH_EXIT_OK;
    }
    const struct ch_cli_command *cmd = find_command(name);
    if (cmd == NULL) {
        fprintf(stderr,
                "clearinghouse: '%s' is not a clearinghouse command. See 'clearinghouse --help'.\n",
                name);
        return CH_EXIT_USAGE;
    }
    optind = 0; /* fresh getopt state for the command */
    return cmd->run(&cli, argc - i, argv + i);
}
