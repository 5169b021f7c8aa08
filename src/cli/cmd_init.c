/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_init.c: `clearinghouse init` creates or migrates the database and
 * creates the server's keys (mode 0600) if they do not exist yet.
 */
#include "cli/cli.h"
#include "core/keys.h"
#include "store/store.h"

static int run_init(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(init) = {
    .name = "init",
    .summary = "create or migrate the database and create the server keys",
    .usage = "usage: clearinghouse [--db URL] [--keys DIR] init\n"
             "\n"
             "Creates the database (or applies pending migrations to it) and creates\n"
             "the server's Ed25519 signing key and secret encryption key in the key\n"
             "directory (files of mode 0600). Existing keys are never replaced.\n"
             "Safe to run again.\n",
    .run = run_init,
};

static int run_init(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CH_CLI_OPT_HELP, {0}};
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_init, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
    }
    if (optind < argc)
        return ch_cli_usage_error(cli, "init", "unexpected argument '%s'", argv[optind]);
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    if (ch_store_open(ch_cli_db_url(cli), NULL, &s, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    int64_t version = 0;
    int rc = ch_store_schema_version(s, &version, &err);
    const char *backend = ch_store_backend_name(s);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    char kbuf[1024];
    const char *keys = ch_cli_keys_dir(cli, kbuf, sizeof(kbuf));
    bool created = false;
    if (ch_keys_create(keys, &created, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    struct ch_keys k;
    if (ch_keys_load(keys, &k, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "database ready (%s, schema version %lld)\n", backend, (long long)version);
    fprintf(cli->out, "keys %s in %s (signing key %s)\n", created ? "created" : "present", keys,
            k.key_id);
    ch_keys_wipe(&k);
    return CH_EXIT_OK;
}
