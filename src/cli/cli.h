/* SPDX-License-Identifier: Apache-2.0
 *
 * cli.h: what every subcommand of `clearinghouse` shares.
 *
 * A command is one file src/cli/cmd_<name>.c that defines
 *
 *     CH_CLI_COMMAND(name) = { .name = "name", .summary = "...", .usage = "...",
 *                              .run = run_name };
 *
 * The build scans those files and generates the command table, so adding a
 * command touches no shared file. Commands with sub-verbs ("org create")
 * dispatch inside their own file.
 *
 * Exit codes (DESIGN.md §5): 0 ok, 1 findings or a failed check, 2 usage,
 * 3 bad input, 4 internal. ch_cli_exit_code() is the single table from
 * ch_rc to exit code.
 */
#ifndef CH_CLI_CLI_H
#define CH_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/err.h"

enum ch_exit {
    CH_EXIT_OK = 0,
    CH_EXIT_FINDINGS = 1,
    CH_EXIT_USAGE = 2,
    CH_EXIT_INPUT = 3,
    CH_EXIT_INTERNAL = 4,
};

/* Parsed global options, owned by main(); commands read them. */
struct ch_cli {
    const char *prog;        /* "clearinghouse" */
    const char *db_flag;     /* --db, or NULL: use ch_cli_db_url() */
    const char *keys_flag;   /* --keys DIR, or NULL */
    struct ch_clock clock;   /* --now DATE freezes it; system clock otherwise */
    FILE *out;               /* results (stdout) */
    FILE *errout;            /* diagnostics (stderr) */
};

struct ch_cli_command {
    const char *name;
    const char *summary;     /* one line for `clearinghouse --help` */
    const char *usage;       /* full text for `clearinghouse NAME --help` */
    /* argv[0] is the command name; returns an exit code */
    int (*run)(struct ch_cli *cli, int argc, char **argv);
};

#define CH_CLI_COMMAND(ident) const struct ch_cli_command ch_cli_cmd_##ident

/* Generated table, sorted by name, NULL-terminated. */
extern const struct ch_cli_command *const ch_cli_commands[];

/* The database URL: --db, $CLEARINGHOUSE_DB, or the default. */
const char *ch_cli_db_url(const struct ch_cli *cli);
/* The key directory: --keys, $CLEARINGHOUSE_KEYS, or "<db file>.keys" / "clearinghouse-keys". */
const char *ch_cli_keys_dir(const struct ch_cli *cli, char *buf, size_t buf_size);
/*
 * The folder of directive files: `flag` (a command's --dir/--directives)
 * when not NULL, else $CLEARINGHOUSE_DIRECTIVES, else ./directives. An
 * installed binary never guesses a source tree. Borrowed (flag, the
 * environment or a static string).
 */
const char *ch_cli_directives_dir(const char *flag);

/* Exit code for an error code. */
int ch_cli_exit_code(int rc);
/* Prints "clearinghouse: error: MSG" to stderr; returns the exit code for err->rc. */
int ch_cli_fail(const struct ch_cli *cli, const struct ch_err *err);
/* Prints a usage error for a command and returns CH_EXIT_USAGE. */
int ch_cli_usage_error(const struct ch_cli *cli, const char *cmd, const char *fmt, ...)
    CH_PRINTF(3, 4);
/* Prints the command's usage to stdout and returns 0. */
int ch_cli_help(const struct ch_cli *cli, const struct ch_cli_command *cmd);

/*
 * getopt_long wrapper for commands. Include CH_CLI_OPT_HELP in longopts and
 * "h" in shortopts. Returns the option character, -1 at the end of options,
 * or -2 when the command must stop and return *ret_exit: after printing its
 * usage for --help (exit 0), or after a message naming an unknown option or
 * a missing value (exit 2). Call with optind = 0 before the first call.
 */
#define CH_CLI_OPT_HELP {"help", no_argument, NULL, 'h'}
int ch_cli_getopt(const struct ch_cli *cli, const struct ch_cli_command *cmd, int argc,
                  char **argv, const char *shortopts, const struct option *longopts,
                  int *ret_exit);

/* A sub-verb of a command ("org create"): argv[0] is the verb. */
struct ch_cli_verb {
    const char *name;
    int (*run)(struct ch_cli *cli, int argc, char **argv);
};

/*
 * Dispatches argv[1] among verbs (NULL-terminated table). Prints the
 * command's usage for --help or no verb; exit 2 naming an unknown verb.
 */
int ch_cli_dispatch(struct ch_cli *cli, const struct ch_cli_command *cmd,
                    const struct ch_cli_verb *verbs, int argc, char **argv);

/* Opens the store named by the global options; on failure prints and returns the exit code. */
struct ch_store;
int ch_cli_open_store(struct ch_cli *cli, struct ch_store **ret);

/* Prints a finished JSON buffer (pretty) to cli->out, or the error. */
struct ch_jw;
int ch_cli_print_json(struct ch_cli *cli, struct ch_jw *w, int rc, struct ch_err *err);

#endif
