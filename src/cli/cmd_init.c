/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_init.c: `clearinghouse init` creates or migrates the database and
 * creates the server's keys (mode 0600) if they do not exist yet. With
 * --admin NAME it also bootstraps access: the organisation "clearinghouse"
 * (created when missing), an admin user NAME in it, and one token for that
 * user, printed once. The bootstrap is one transaction with its audit
 * entries (actor "cli").
 */
#include <sodium.h>
#include <stdio.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/keys.h"
#include "identity/identity.h"
#include "store/store.h"

#define BOOTSTRAP_ORG "clearinghouse"

static int run_init(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(init) = {
    .name = "init",
    .summary = "create or migrate the database and create the server keys",
    .usage = "usage: clearinghouse [--db URL] [--keys DIR] init [--admin NAME]\n"
             "\n"
             "Creates the database (or applies pending migrations to it) and creates\n"
             "the server's Ed25519 signing key and secret encryption key in the key\n"
             "directory (files of mode 0600). Existing keys are never replaced.\n"
             "Safe to run again.\n"
             "\n"
             "  --admin NAME  also create the organisation 'clearinghouse' (if missing)\n"
             "                and an admin user NAME in it, and print a token for NAME\n"
             "                on stdout. The token is shown only this once. Fails (exit 3)\n"
             "                when NAME already exists.\n",
    .run = run_init,
};

/* Org, admin user and token, with their audit entries, in one transaction. */
static int bootstrap(struct ch_store *s, const char *admin, int64_t now, char token[CH_TOKEN_MAX],
                     struct ch_err *err)
{
    int rc = ch_store_begin_write(s, err);
    if (rc != CH_OK)
        return rc;
    int64_t org = 0, user = 0, tok = 0;
    const struct ch_audit_entry org_entry = {
        .actor = "cli", .action = "org.create", .object = "org:" BOOTSTRAP_ORG};
    rc = ch_org_find(s, BOOTSTRAP_ORG, &org, err);
    if (rc == CH_E_NOTFOUND) {
        ch_err_clear(err);
        struct ch_org_new o = {
            .slug = BOOTSTRAP_ORG, .name = "Clearinghouse", .category = CH_ORG_CLEARINGHOUSE};
        rc = ch_org_create(s, &o, now, &org, err);
        if (rc == CH_OK)
            rc = ch_audit_append(s, &org_entry, now, NULL, err);
    }
    struct ch_user_new u = {
        .org_id = org, .name = admin, .roles = CH_ROLE_ADMIN, .clearance = CH_CLEAR_UNCLASSIFIED};
    if (rc == CH_OK)
        rc = ch_user_create(s, &u, now, &user, err);
    char object[160];
    snprintf(object, sizeof(object), "user:%s", admin);
    const struct ch_audit_entry user_entry = {.actor = "cli",
                                              .action = "user.create",
                                              .object = object,
                                              .details =
                                                  "{\"roles\":\"admin\",\"bootstrap\":true}"};
    if (rc == CH_OK)
        rc = ch_audit_append(s, &user_entry, now, NULL, err);
    struct ch_token_new t = {.user_id = user, .name = "bootstrap", .expires_at = -1};
    if (rc == CH_OK)
        rc = ch_token_create(s, &t, now, &tok, token, err);
    char tobject[48];
    snprintf(tobject, sizeof(tobject), "token:%lld", (long long)tok);
    const struct ch_audit_entry tok_entry = {
        .actor = "cli", .action = "token.create", .object = tobject};
    if (rc == CH_OK)
        rc = ch_audit_append(s, &tok_entry, now, NULL, err);
    if (rc == CH_OK)
        return ch_store_commit(s, err);
    ch_store_rollback(s);
    return rc;
}

static int run_init(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"admin", required_argument, NULL, 'a'}, CH_CLI_OPT_HELP, {0}};
    const char *admin = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_init, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 'a')
            admin = optarg;
        else
            return CH_EXIT_USAGE;
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
    char token[CH_TOKEN_MAX] = "";
    if (rc == CH_OK && admin != NULL)
        rc = bootstrap(s, admin, ch_clock_now(&cli->clock), token, &err);
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
    if (admin != NULL) {
        fprintf(cli->errout, "admin '%s' created; its token is shown once, store it now:\n", admin);
        fprintf(cli->out, "%s\n", token);
        sodium_memzero(token, sizeof(token));
    }
    return CH_EXIT_OK;
}
