/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_audit.c: `clearinghouse audit verify|log|checkpoint`: check the
 * hash-chained audit log, read it, and sign its current end with the
 * server's key (audit/audit.h).
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/num.h"
#include "store/store.h"

/* Entries `audit log` prints by default, and at most. */
#define LOG_DEFAULT_LIMIT 50
#define LOG_MAX_LIMIT 100000

static int run_audit(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(audit) = {
    .name = "audit",
    .summary = "verify, read and sign the tamper-evident audit log",
    .usage = "usage: clearinghouse audit verify [--json]\n"
             "       clearinghouse audit log [--limit N]\n"
             "       clearinghouse audit checkpoint\n"
             "\n"
             "verify recomputes the whole hash chain and checks every signed checkpoint\n"
             "(with the server's public key when the key directory has one). It exits 0\n"
             "when the chain is intact and 1 naming the first entry that was changed,\n"
             "removed or reordered.\n"
             "log prints the newest N entries (default 50) as JSON.\n"
             "checkpoint signs the chain's current end with the server's Ed25519 key\n"
             "(--keys DIR); the server also signs every 1000 entries and at shutdown.\n",
    .run = run_audit,
};

static int audit_verify(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, CH_CLI_OPT_HELP, {0}};
    bool json = false;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_audit, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 'j')
            json = true;
        else
            return CH_EXIT_USAGE;
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "audit verify", "unexpected argument '%s'", argv[optind]);
    char kbuf[1024];
    struct ch_keys keys;
    struct ch_err kerr = CH_ERR_INIT;
    bool have_key = ch_keys_load(ch_cli_keys_dir(cli, kbuf, sizeof(kbuf)), &keys, &kerr) == CH_OK;
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK) {
        ch_keys_wipe(&keys);
        return code;
    }
    struct ch_err err = CH_ERR_INIT;
    struct ch_audit_report r;
    int rc = ch_audit_verify(s, have_key ? keys.sign_pk : NULL, &r, &err);
    ch_store_free(s);
    ch_keys_wipe(&keys);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    if (json) {
        struct ch_buf b;
        ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
        struct ch_jw w;
        ch_jw_init(&w, &b, 1);
        ch_jw_obj_open(&w);
        ch_jw_kbool(&w, "ok", r.ok != 0);
        ch_jw_kint(&w, "entries", r.entries);
        ch_jw_kint(&w, "checkpoints", r.checkpoints);
        ch_jw_key(&w, "first_bad_seq");
        if (r.ok)
            ch_jw_null(&w);
        else
            ch_jw_int(&w, r.first_bad_seq);
        ch_jw_kstr(&w, "problem", r.ok ? NULL : r.problem);
        ch_jw_kbool(&w, "checked_with_server_key", have_key);
        ch_jw_obj_close(&w);
        code = ch_cli_print_json(cli, &w, CH_OK, &err);
        ch_buf_release(&b);
        if (code != CH_EXIT_OK)
            return code;
    } else if (r.ok) {
        fprintf(cli->out, "audit chain intact: %lld entries, %lld signed checkpoints%s\n",
                (long long)r.entries, (long long)r.checkpoints,
                have_key ? "" : " (no server key: signatures checked against their own keys)");
    } else {
        fprintf(cli->out, "audit chain BROKEN at entry %lld: %s\n", (long long)r.first_bad_seq,
                r.problem);
    }
    return r.ok ? CH_EXIT_OK : CH_EXIT_FINDINGS;
}

static int audit_log(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"limit", required_argument, NULL, 'n'}, CH_CLI_OPT_HELP, {0}};
    uint64_t limit = LOG_DEFAULT_LIMIT;
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_audit, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c != 'n')
            return CH_EXIT_USAGE;
        if (ch_num_parse_u64(ch_str_c(optarg), LOG_MAX_LIMIT, &limit, &err) != CH_OK || limit == 0)
            return ch_cli_usage_error(cli, "audit log", "--limit: expected 1 to %d", LOG_MAX_LIMIT);
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "audit log", "unexpected argument '%s'", argv[optind]);
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = ch_audit_log_json(s, (unsigned)limit, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int audit_checkpoint(struct ch_cli *cli, int argc, char **argv)
{
    if (argc != 1)
        return ch_cli_usage_error(cli, "audit checkpoint", "unexpected argument '%s'", argv[1]);
    char kbuf[1024];
    struct ch_keys keys;
    struct ch_err err = CH_ERR_INIT;
    if (ch_keys_load(ch_cli_keys_dir(cli, kbuf, sizeof(kbuf)), &keys, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK) {
        ch_keys_wipe(&keys);
        return code;
    }
    int64_t seq = 0;
    char key_id[CH_KEYS_ID_MAX];
    snprintf(key_id, sizeof(key_id), "%s", keys.key_id);
    int rc = ch_audit_checkpoint(s, &keys, ch_clock_now(&cli->clock), &seq, &err);
    ch_store_free(s);
    ch_keys_wipe(&keys);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    if (seq <= 0)
        fprintf(cli->out, "audit log is empty: nothing to sign\n");
    else
        fprintf(cli->out, "audit chain signed at entry %lld (key %s)\n", (long long)seq, key_id);
    return CH_EXIT_OK;
}

static int run_audit(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"verify", audit_verify}, {"log", audit_log}, {"checkpoint", audit_checkpoint}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_audit, verbs, argc, argv);
}
