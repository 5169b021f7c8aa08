/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_suite.c: `clearinghouse suite check|verify|import|hash-flag|seal|sealed`:
 * evaluation suites (docs/eval-suites.md). `seal` stores a checked suite
 * encrypted in the database (src/eval/sealsuite.h) so that runs need no
 * copy of it on disk.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/evalctx.h"
#include "core/alloc.h"
#include "core/json.h"
#include "eval/agent.h"
#include "eval/import.h"
#include "eval/sealsuite.h"
#include "eval/suite.h"
#include "validate/sandbox.h"

/* A flag read on stdin by hash-flag. */
#define MAX_FLAG_BYTES 4096u

static int run_suite(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(suite) = {
    .name = "suite",
    .summary = "check, verify, import and seal evaluation suites",
    .usage = "usage: clearinghouse suite check FILE [--json]\n"
             "       clearinghouse suite verify FILE [--tasks GLOB] [--work-dir DIR] [--json]\n"
             "       clearinghouse suite import --from intercode|cybench|nyuctf|cyberseceval PATH\n"
             "                                  -o SUITE.json [--id ID]\n"
             "       clearinghouse suite hash-flag < FLAG\n"
             "       clearinghouse suite seal FILE|DIR [--classification C] [--as USER]\n"
             "       clearinghouse suite sealed [--as USER]\n"
             "\n"
             "check loads FILE with the strict loader and checks every task file's SHA-256.\n"
             "verify proves every runnable task solvable: it runs the task's solution (shell\n"
             "tasks in the sandbox) and scores the answer; exit 1 when one fails.\n"
             "import converts a public dataset (metadata only: tasks whose files are not\n"
             "shipped are marked not runnable). hash-flag prints the salted digest of a flag\n"
             "read on stdin, for suite authors.\n"
             "seal checks the suite as check does (FILE, or DIR/suite.json), then stores the\n"
             "document and every task file encrypted in the database, marked with the suite's\n"
             "classification or the higher one given; run it with `eval run --suite\n"
             "sealed:ID`, after which the directory may be removed. Sealing the same document\n"
             "again changes nothing; another document under a sealed id is a conflict.\n"
             "sealed lists the sealed suites the acting user may read (evaluators, analysts\n"
             "and admins with the clearance). Both act as --as USER when given.\n",
    .run = run_suite,
};

static int suite_check(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, CH_CLI_OPT_HELP, {0}};
    bool json = false;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_suite, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "suite check", "name one FILE");
    struct ch_err err = CH_ERR_INIT;
    struct ch_suite *s = NULL;
    struct ch_suite_load_options lo = {.check_files = true};
    if (ch_suite_load(argv[optind], &lo, &s, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    size_t kinds[CH_TASK_KIND_COUNT] = {0};
    size_t runnable = 0;
    for (size_t i = 0; i < s->n_tasks; i++) {
        kinds[s->tasks[i].kind]++;
        runnable += s->tasks[i].runnable;
    }
    if (json) {
        fprintf(cli->out,
                "{\"suite\": \"%s\", \"version\": \"%s\", \"sha256\": \"%s\", "
                "\"tasks\": %zu, \"runnable\": %zu}\n",
                s->id, s->version, s->sha256, s->n_tasks, runnable);
    } else {
        fprintf(cli->out,
                "%s %s (%s): %zu tasks (%zu runnable): %zu multiple choice, %zu flag, "
                "%zu ctf, %zu pov\n",
                s->id, s->version, s->classification, s->n_tasks, runnable, kinds[CH_TASK_CHOICE],
                kinds[CH_TASK_FLAG], kinds[CH_TASK_SHELL], kinds[CH_TASK_POV]);
    }
    ch_suite_free(s);
    return CH_EXIT_OK;
}

static int suite_verify(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"tasks", required_argument, NULL, 't'},
                                         {"work-dir", required_argument, NULL, 'w'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *glob = NULL;
    const char *work = NULL;
    bool json = false;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_suite, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 't':
            glob = optarg;
            break;
        case 'w':
            work = optarg;
            break;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "suite verify", "name one FILE");
    struct ch_err err = CH_ERR_INIT;
    struct ch_suite *s = NULL;
    struct ch_suite_load_options lo = {.check_files = true};
    if (ch_suite_load(argv[optind], &lo, &s, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    if (work == NULL)
        work = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    struct ch_agent_env env = {.work_root = work};
    size_t ok = 0, failed = 0, skipped = 0;
    int rc = CH_OK;
    if (json)
        fprintf(cli->out, "{\"suite\": \"%s\", \"tasks\": [\n", s->id);
    for (size_t i = 0; i < s->n_tasks && rc == CH_OK; i++) {
        const struct ch_task *t = &s->tasks[i];
        if (!ch_suite_glob_match(glob, t->id))
            continue;
        bool pass = false;
        char detail[256] = "";
        const char *verdict = "skipped";
        if (!t->runnable) {
            snprintf(detail, sizeof(detail), "not runnable offline: %.200s",
                     t->not_runnable_reason);
            skipped++;
        } else if (!t->has_solution) {
            snprintf(detail, sizeof(detail), "no solution");
            failed++;
            verdict = "fail";
        } else {
            rc = ch_agent_verify_task(t, &env, &pass, detail, &err);
            if (rc == CH_E_UNAVAILABLE)
                break;
            if (rc != CH_OK) {
                snprintf(detail, sizeof(detail), "%.250s", err.msg);
                ch_err_clear(&err);
                rc = CH_OK;
                pass = false;
            }
            verdict = pass ? "ok" : "fail";
            if (pass)
                ok++;
            else
                failed++;
        }
        if (json) {
            struct ch_buf b;
            ch_buf_init(&b, 4096);
            struct ch_jw w;
            ch_jw_init(&w, &b, 0);
            ch_jw_obj_open(&w);
            ch_jw_kstr(&w, "task", t->id);
            ch_jw_kstr(&w, "verdict", verdict);
            ch_jw_kstr(&w, "detail", detail);
            ch_jw_obj_close(&w);
            fprintf(cli->out, "%s  %s", ok + failed + skipped > 1 ? ",\n" : "", ch_buf_cstr(&b));
            ch_buf_release(&b);
        } else {
            fprintf(cli->out, "%-8s %-32s %s\n", verdict, t->id, detail);
        }
    }
    if (json && rc == CH_OK)
        fprintf(cli->out, "\n], \"ok\": %zu, \"failed\": %zu, \"skipped\": %zu}\n", ok, failed,
                skipped);
    else if (rc == CH_OK)
        fprintf(cli->out, "%zu ok, %zu failed, %zu skipped\n", ok, failed, skipped);
    ch_suite_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    return failed > 0 ? CH_EXIT_FINDINGS : CH_EXIT_OK;
}

static int suite_import(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"id", required_argument, NULL, 'i'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *from = NULL, *out_path = NULL, *id = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_suite, argc, argv, "ho:", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'f':
            from = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'i':
            id = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || from == NULL || out_path == NULL)
        return ch_cli_usage_error(cli, "suite import", "expected --from SOURCE PATH -o FILE");
    enum ch_import_source src;
    if (ch_import_source_parse(from, &src) != CH_OK)
        return ch_cli_usage_error(cli, "suite import",
                                  "unknown source '%s' (intercode, cybench, nyuctf, cyberseceval)",
                                  from);
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf b;
    ch_buf_init(&b, CH_SUITE_MAX_BYTES);
    struct ch_import_stats st;
    int rc = ch_import_run(src, argv[optind], id, &b, &st, &err);
    if (rc == CH_OK) {
        FILE *f = fopen(out_path, "we");
        if (f == NULL) {
            rc = ch_err_set(&err, CH_E_IO, "cannot create '%s'", out_path);
        } else {
            size_t w = fwrite(ch_buf_cstr(&b), 1, ch_buf_len(&b), f);
            if (fclose(f) != 0 || w != ch_buf_len(&b))
                rc = ch_err_set(&err, CH_E_IO, "cannot write '%s'", out_path);
        }
    }
    ch_buf_release(&b);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"imported\": %zu, \"skipped\": %zu, \"runnable\": 0}\n", st.imported,
            st.skipped);
    if (st.skipped > 0)
        fprintf(cli->errout, "%s: %zu records skipped; first: %s\n", cli->prog, st.skipped,
                st.first_skip);
    return CH_EXIT_OK;
}

static int suite_hash_flag(struct ch_cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char buf[MAX_FLAG_BYTES + 1];
    size_t n = fread(buf, 1, MAX_FLAG_BYTES + 1, stdin);
    if (n > MAX_FLAG_BYTES)
        return ch_cli_usage_error(cli, "suite hash-flag", "flag longer than %u bytes",
                                  MAX_FLAG_BYTES);
    char h[CH_FLAG_HASH_STR_MAX];
    struct ch_err err = CH_ERR_INIT;
    if (ch_flag_hash_new(ch_str_make(buf, n), h, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "%s\n", h);
    return CH_EXIT_OK;
}

/* FILE, or DIR/suite.json; owned. */
static char *document_path(const char *arg)
{
    struct stat st;
    struct ch_buf b;
    ch_buf_init(&b, 8192);
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        ch_buf_appendf(&b, "%s/%s", arg, CH_SEALSUITE_DOCUMENT);
    else
        ch_buf_append_c(&b, arg);
    return ch_buf_take(&b, NULL);
}

static int suite_seal(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"classification", required_argument, NULL, 'c'},
                                         {"as", required_argument, NULL, 'u'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *marking = NULL, *as_user = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_suite, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'c':
            marking = optarg;
            break;
        case 'u':
            as_user = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "suite seal", "name one FILE or DIR");
    struct ch_err err = CH_ERR_INIT;
    char *path = document_path(argv[optind]);
    if (path == NULL) {
        ch_err_set(&err, CH_E_NOMEM, "out of memory");
        return ch_cli_fail(cli, &err);
    }
    struct ch_suite *s = NULL;
    struct ch_suite_load_options lo = {.check_files = true};
    int rc = ch_suite_load(path, &lo, &s, &err);
    ch_free(path);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    struct ch_cli_evalctx x;
    int code = ch_cli_evalctx_open(cli, as_user, true, &x);
    if (code != CH_EXIT_OK) {
        ch_suite_free(s);
        return code;
    }
    struct ch_sealsuite_info info = {0};
    rc = ch_sealsuite_put(x.s, &x.keys, &x.actor, s, marking, x.now, &info, &err);
    if (rc == CH_OK)
        fprintf(cli->out,
                "{\"suite\": \"%s\", \"sealed\": \"%s%s\", \"classification\": \"%s\", "
                "\"already\": %s, \"objects\": %zu, \"bytes\": %llu}\n",
                s->id, CH_SEALSUITE_PREFIX, s->id, ch_clearance_name(info.classification),
                info.already ? "true" : "false", info.n_objects, (unsigned long long)info.bytes);
    ch_cli_evalctx_close(&x);
    ch_suite_free(s);
    return rc == CH_OK ? CH_EXIT_OK : ch_cli_fail(cli, &err);
}

static int suite_sealed(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"as", required_argument, NULL, 'u'}, CH_CLI_OPT_HELP, {0}};
    const char *as_user = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_suite, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'u':
            as_user = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "suite sealed", "unexpected argument '%s'", argv[optind]);
    struct ch_cli_evalctx x;
    int code = ch_cli_evalctx_open(cli, as_user, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_sealsuite_list_json(x.s, &x.actor, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_cli_evalctx_close(&x);
    return code;
}

static int run_suite(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"check", suite_check},
                                               {"verify", suite_verify},
                                               {"import", suite_import},
                                               {"hash-flag", suite_hash_flag},
                                               {"seal", suite_seal},
                                               {"sealed", suite_sealed},
                                               {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_suite, verbs, argc, argv);
}
