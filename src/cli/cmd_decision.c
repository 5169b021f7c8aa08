/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_decision.c: `clearinghouse decision verify|show|list`: signed
 * designation decisions (src/eval/designate.h). verify checks a record file
 * or a stored decision against the server's public key (or, with no key
 * directory, against the key embedded in the record, which detects
 * alteration but not forgery). Exit 0 when it verifies, 1 when it does not.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/evalctx.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/num.h"
#include "eval/designate.h"
#include "eval/models.h"
#include "store/store.h"

static int run_decision(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(decision) = {
    .name = "decision",
    .summary = "verify, show and list signed designation decisions",
    .usage = "usage: clearinghouse decision verify FILE|ID [--embedded-key]\n"
             "       clearinghouse decision show ID [--as USER]\n"
             "       clearinghouse decision list [--model M] [--as USER]\n"
             "\n"
             "verify exits 0 when the record's signature holds and 1 when it does not\n"
             "(any change of any byte). It uses the server's public key from the key\n"
             "directory; --embedded-key trusts the key in the record instead.\n",
    .run = run_decision,
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

static int read_file(const char *path, struct ch_buf *out, struct ch_err *err)
{
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open '%s'", path);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ch_buf_append(out, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad)
        return ch_err_set(err, CH_E_IO, "cannot read '%s'", path);
    return ch_buf_status(out, path, err);
}

static int decision_verify(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"embedded-key", no_argument, NULL, 'e'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    bool embedded = false;
    const char *as = NULL;
    int c;
    int code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_decision, argc, argv, "h", opts, &code)) != -1) {
        if (c == -2)
            return code;
        if (c == 'e')
            embedded = true;
        else if (c == 'A')
            as = optarg;
        else
            return CH_EXIT_USAGE;
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "decision verify", "name one FILE or ID");
    const char *arg = argv[optind];
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf rec;
    ch_buf_init(&rec, CH_DECISION_MAX_BYTES + 1);
    struct stat sb;
    int64_t id = 0;
    struct ch_err ignore = CH_ERR_INIT;
    bool by_id =
        stat(arg, &sb) != 0 && ch_num_parse_i64(ch_str_c(arg), 1, INT64_MAX, &id, &ignore) == CH_OK;
    struct ch_keys keys;
    bool have_keys = false;
    int rc = CH_OK;
    if (by_id) {
        struct ch_cli_evalctx x;
        code = ch_cli_evalctx_open(cli, as, false, &x);
        if (code != CH_EXIT_OK) {
            ch_buf_release(&rec);
            return code;
        }
        rc = ch_decision_get(x.s, &x.actor, id, &rec, &err);
        ch_cli_evalctx_close(&x);
    } else {
        rc = read_file(arg, &rec, &err);
    }
    if (rc == CH_OK && !embedded) {
        char kbuf[4096];
        rc = ch_keys_load(ch_cli_keys_dir(cli, kbuf, sizeof(kbuf)), &keys, &err);
        if (rc != CH_OK)
            ch_err_prefix(&err, "server public key (or use --embedded-key)");
        have_keys = rc == CH_OK;
    }
    struct ch_decision_check chk;
    if (rc == CH_OK)
        rc = ch_decision_verify(rec.ptr != NULL ? rec.ptr : "", ch_buf_len(&rec),
                                have_keys ? keys.sign_pk : NULL, &chk, &err);
    if (have_keys)
        ch_keys_wipe(&keys);
    ch_buf_release(&rec);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    if (!chk.ok) {
        fprintf(cli->out, "FAILED: %s\n", chk.problem);
        return CH_EXIT_FINDINGS;
    }
    fprintf(cli->out, "OK: signed by %s%s; outcome %s\n", chk.key_id,
            embedded ? " (embedded key)" : "", chk.outcome);
    return CH_EXIT_OK;
}

static int decision_show(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"as", required_argument, NULL, 'A'}, CH_CLI_OPT_HELP, {0}};
    const char *as = NULL;
    int c;
    int code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_decision, argc, argv, "h", opts, &code)) != -1) {
        if (c == -2)
            return code;
        if (c != 'A')
            return CH_EXIT_USAGE;
        as = optarg;
    }
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (optind + 1 != argc ||
        ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, &id, &err) != CH_OK)
        return ch_cli_usage_error(cli, "decision show", "expected a decision ID");
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf rec;
    ch_buf_init(&rec, CH_DECISION_MAX_BYTES + 1);
    int rc = ch_decision_get(x.s, &x.actor, id, &rec, &err);
    ch_cli_evalctx_close(&x);
    if (rc == CH_OK)
        fputs(rec.ptr, cli->out);
    ch_buf_release(&rec);
    return rc == CH_OK ? CH_EXIT_OK : ch_cli_fail(cli, &err);
}

static int list_fn(struct ch_cli_evalctx *x, void *arg, struct ch_jw *w, struct ch_err *err)
{
    int64_t model_id = 0;
    if (arg != NULL) {
        struct ch_models_model m = {0};
        int rc = ch_models_find(x->s, &x->actor, arg, &m, err);
        model_id = m.id;
        ch_models_release(&m);
        if (rc != CH_OK)
            return rc;
    }
    return ch_decision_list_json(x->s, &x->actor, model_id, w, err);
}

static int decision_list(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as = NULL;
    char *model = NULL;
    int c;
    int code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_decision, argc, argv, "h", opts, &code)) != -1) {
        if (c == -2)
            return code;
        if (c == 'A')
            as = optarg;
        else if (c == 'm')
            model = optarg;
        else
            return CH_EXIT_USAGE;
    }
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json_of(cli, list_fn, &x, model);
    ch_cli_evalctx_close(&x);
    return code;
}

static int run_decision(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"verify", decision_verify}, {"show", decision_show}, {"list", decision_list}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_decision, verbs, argc, argv);
}
