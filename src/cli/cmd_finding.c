/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_finding.c: `clearinghouse finding submit|show|list|validate|resolve`:
 * discovery intake and validation (docs/disclosure.md).
 *
 * The command line acts as a local administrator (it has the database),
 * unless `--as USER` makes it act as that user, with the user's
 * organisation, roles and clearance. Every change is audited.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/num.h"
#include "disclose/finding.h"
#include "identity/identity.h"
#include "store/store.h"
#include "validate/repro.h"

/* A description file: the library caps the text at CH_FINDING_MAX_DESCRIPTION. */
#define DESCRIPTION_FILE_MAX (CH_FINDING_MAX_DESCRIPTION + 1)

static int run_finding(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(finding) = {
    .name = "finding",
    .summary = "submit, show, list and validate findings (proofs of concept)",
    .usage = "usage: clearinghouse finding submit --target T --title T --cwe CWE-N --poc DIR\n"
             "                  --recipe FILE [--component C] [--ecosystem E] [--vendor V]\n"
             "                  [--version V] [--introduced V] [--fixed V]\n"
             "                  [--description TEXT | --description-file FILE]\n"
             "                  [--classification C] [--alias ID]... [--org SLUG] [--json]\n"
             "       clearinghouse finding show ID [--log RUN] [--json]\n"
             "       clearinghouse finding list [--state S] [--json]\n"
             "       clearinghouse finding validate ID [--runs N] [--json]\n"
             "       clearinghouse finding resolve MATCH (--confirm | --dismiss)\n"
             "\n"
             "submit stores every file under DIR (BLAKE2b digests) and the recipe: build\n"
             "commands, the run command and the expected outcome, as JSON (docs/disclosure.md).\n"
             "validate copies the PoC into a fresh directory, builds and runs it N times\n"
             "(default 3) in the sandbox, classifies each run, computes the crash signature\n"
             "and looks for duplicates; exit 1 when it does not reproduce. resolve confirms\n"
             "or dismisses a probable duplicate. All verbs take --as USER.\n",
    .run = run_finding,
};

struct ctx {
    struct ch_store *s;
    struct ch_disclose_actor actor;
    char actor_name[160];
    int64_t now;
};

static int ctx_open(struct ch_cli *cli, const char *as_user, struct ctx *x)
{
    *x = (struct ctx){.actor = CH_DISCLOSE_ACTOR_LOCAL, .now = ch_clock_now(&cli->clock)};
    int code = ch_cli_open_store(cli, &x->s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    if (as_user != NULL &&
        ch_disclose_actor_for_user(x->s, as_user, x->actor_name, sizeof(x->actor_name), &x->actor,
                                   &err) != CH_OK) {
        ch_store_free(x->s);
        x->s = NULL;
        return ch_cli_fail(cli, &err);
    }
    return CH_EXIT_OK;
}

static int parse_id(struct ch_cli *cli, const char *cmd, const char *s, int64_t *ret)
{
    struct ch_err err = CH_ERR_INIT;
    if (s == NULL || ch_num_parse_i64(ch_str_c(s), 1, INT64_MAX, ret, &err) != CH_OK)
        return ch_cli_usage_error(cli, cmd, "expected an ID, not '%s'", s != NULL ? s : "");
    return CH_EXIT_OK;
}

static int read_file(const char *path, size_t max, struct ch_buf *out, struct ch_err *err)
{
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    ch_buf_init(out, max);
    char chunk[8192];
    size_t n;
    int rc = CH_OK;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (ch_buf_append(out, chunk, n) != CH_OK) {
            rc = ch_buf_status(out, path, err);
            break;
        }
    }
    if (rc == CH_OK && ferror(f))
        rc = ch_err_set(err, CH_E_IO, "cannot read '%s'", path);
    fclose(f);
    return rc;
}

/* Runs fn(ctx, w) into a JSON buffer and prints it (pretty) or the error. */
static int print_json(struct ch_cli *cli, int rc, struct ch_jw *w, struct ch_err *err)
{
    return ch_cli_print_json(cli, w, rc, err);
}

static int print_submitted_json(struct ch_cli *cli, int64_t id, size_t n_files,
                                const struct ch_finding_intake *v)
{
    struct ch_buf b;
    ch_buf_init(&b, 4096);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_finding_intake_json(v, &w);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_jw_finish(&w, &err);
    if (rc == CH_OK)
        fprintf(cli->out, "{\"id\": %lld, \"files\": %zu, \"dedup\": %s}\n", (long long)id, n_files,
                ch_buf_cstr(&b));
    ch_buf_release(&b);
    return rc == CH_OK ? CH_EXIT_OK : ch_cli_fail(cli, &err);
}

static void print_submitted(struct ch_cli *cli, int64_t id, size_t n_files,
                            const struct ch_finding_intake *v)
{
    fprintf(cli->out, "finding %lld submitted (%zu files): %s", (long long)id, n_files, v->verdict);
    if (v->duplicate_of != 0)
        fprintf(cli->out, " of finding %lld", (long long)v->duplicate_of);
    if (v->known_vuln[0] != '\0')
        fprintf(cli->out, " (%s)", v->known_vuln);
    if (v->n_probable > 0)
        fprintf(cli->out, ", %u with the same component, versions and CWE", v->n_probable);
    fprintf(cli->out, "\n");
}

static int finding_submit(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"target", required_argument, NULL, 't'},
                                         {"title", required_argument, NULL, 'T'},
                                         {"cwe", required_argument, NULL, 'c'},
                                         {"poc", required_argument, NULL, 'p'},
                                         {"recipe", required_argument, NULL, 'r'},
                                         {"component", required_argument, NULL, 'C'},
                                         {"ecosystem", required_argument, NULL, 'e'},
                                         {"vendor", required_argument, NULL, 'v'},
                                         {"version", required_argument, NULL, 'V'},
                                         {"introduced", required_argument, NULL, 'i'},
                                         {"fixed", required_argument, NULL, 'f'},
                                         {"description", required_argument, NULL, 'd'},
                                         {"description-file", required_argument, NULL, 'D'},
                                         {"classification", required_argument, NULL, 'L'},
                                         {"alias", required_argument, NULL, 'a'},
                                         {"org", required_argument, NULL, 'o'},
                                         {"as", required_argument, NULL, 'A'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_finding_new f = {.classification = CH_CLEAR_UNCLASSIFIED};
    const char *poc_dir = NULL;
    const char *recipe_path = NULL;
    const char *description_file = NULL;
    const char *org = NULL;
    const char *as_user = NULL;
    const char *aliases[CH_FINDING_MAX_ALIASES];
    bool json = false;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_finding, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 't':
            f.target = optarg;
            break;
        case 'T':
            f.title = optarg;
            break;
        case 'c':
            f.cwe = optarg;
            break;
        case 'p':
            poc_dir = optarg;
            break;
        case 'r':
            recipe_path = optarg;
            break;
        case 'C':
            f.component = optarg;
            break;
        case 'e':
            f.ecosystem = optarg;
            break;
        case 'v':
            f.vendor = optarg;
            break;
        case 'V':
            f.version = optarg;
            break;
        case 'i':
            f.introduced = optarg;
            break;
        case 'f':
            f.fixed = optarg;
            break;
        case 'd':
            f.description = optarg;
            break;
        case 'D':
            description_file = optarg;
            break;
        case 'L':
            if (ch_clearance_parse(optarg, &f.classification) != CH_OK)
                return ch_cli_usage_error(cli, "finding submit", "unknown classification '%s'",
                                          optarg);
            break;
        case 'a':
            if (f.n_aliases >= CH_FINDING_MAX_ALIASES)
                return ch_cli_usage_error(cli, "finding submit", "at most %d --alias",
                                          CH_FINDING_MAX_ALIASES);
            aliases[f.n_aliases++] = optarg;
            break;
        case 'o':
            org = optarg;
            break;
        case 'A':
            as_user = optarg;
            break;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind != argc || f.target == NULL || f.title == NULL || f.cwe == NULL || poc_dir == NULL ||
        recipe_path == NULL)
        return ch_cli_usage_error(cli, "finding submit",
                                  "--target, --title, --cwe, --poc and --recipe are required");
    if (f.component == NULL)
        f.component = f.target;
    if (f.version == NULL)
        f.version = f.introduced != NULL ? f.introduced : "unspecified";
    f.aliases = aliases;
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf recipe;
    struct ch_buf desc;
    ch_buf_init(&desc, DESCRIPTION_FILE_MAX);
    int rc = read_file(recipe_path, CH_REPRO_MAX_RECIPE_BYTES + 1, &recipe, &err);
    if (rc == CH_OK && description_file != NULL) {
        ch_buf_release(&desc);
        rc = read_file(description_file, DESCRIPTION_FILE_MAX, &desc, &err);
        f.description = ch_buf_cstr(&desc);
    }
    if (f.description == NULL)
        f.description = f.title;
    struct ch_finding_poc poc = {0};
    if (rc == CH_OK)
        rc = ch_finding_poc_read_dir(poc_dir, &poc, &err);
    if (rc != CH_OK) {
        ch_buf_release(&recipe);
        ch_buf_release(&desc);
        return ch_cli_fail(cli, &err);
    }
    f.recipe = ch_buf_cstr(&recipe);
    f.recipe_len = ch_buf_len(&recipe);
    f.files = poc.files;
    f.n_files = poc.n_files;
    struct ctx x;
    int code = ctx_open(cli, as_user, &x);
    int64_t id = 0;
    if (code == CH_EXIT_OK) {
        rc = org != NULL ? ch_org_find(x.s, org, &f.org_id, &err) : CH_OK;
        if (rc == CH_OK)
            rc = ch_finding_submit(x.s, &x.actor, &f, x.now, &id, &err);
        /* the verdict at submission, as the API reports it */
        struct ch_finding_intake v;
        if (rc == CH_OK)
            rc = ch_finding_intake_check(x.s, &x.actor, id, &v, &err);
        ch_store_free(x.s);
        if (rc != CH_OK)
            code = ch_cli_fail(cli, &err);
        else if (json)
            code = print_submitted_json(cli, id, poc.n_files, &v);
        else
            print_submitted(cli, id, poc.n_files, &v);
    }
    ch_finding_poc_release(&poc);
    ch_buf_release(&recipe);
    ch_buf_release(&desc);
    return code;
}

/* Prints a run's log (bytes as the programs wrote them). */
static int show_log(struct ch_cli *cli, struct ctx *x, int64_t finding, int64_t run)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    /* visibility first: the finding's JSON is only produced for those who may see it */
    int rc = ch_finding_show_json(x->s, &x->actor, finding, &w, &err);
    ch_buf_release(&b);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK)
        rc = ch_store_stmt(x->s, "SELECT log FROM disclose_runs WHERE id = ? AND finding_id = ?",
                           &st, &err);
    if (rc == CH_OK) {
        ch_stmt_bind_int(st, 1, run);
        ch_stmt_bind_int(st, 2, finding);
        rc = ch_stmt_step(st, &err);
        if (rc == 1) {
            struct ch_str log = ch_stmt_blob(st, 0);
            fwrite(log.ptr, 1, log.len, cli->out);
            rc = CH_OK;
        } else if (rc == 0) {
            rc = ch_err_set(&err, CH_E_NOTFOUND, "no run %lld of finding %lld", (long long)run,
                            (long long)finding);
        }
        ch_stmt_reset(st);
    }
    return rc == CH_OK ? CH_EXIT_OK : ch_cli_fail(cli, &err);
}

static void print_text_finding(struct ch_cli *cli, const cJSON *f)
{
    static const char *const keys[] = {
        "id",         "title",   "target",      "component",      "version",
        "cwe",        "state",   "crash_class", "signature",      "duplicate_of",
        "known_vuln", "case_id", "org",         "classification", NULL};
    for (size_t i = 0; keys[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, keys[i]);
        int64_t n;
        if (cJSON_IsString(v))
            fprintf(cli->out, "%-15s %s\n", keys[i], v->valuestring);
        else if (ch_json_int_value(v, &n))
            fprintf(cli->out, "%-15s %lld\n", keys[i], (long long)n);
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(f, "files");
    for (const cJSON *e = files != NULL ? files->child : NULL; e != NULL; e = e->next)
        fprintf(cli->out, "file            %s %s\n", ch_json_str(e, "blake2b"),
                ch_json_str(e, "path"));
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(f, "runs");
    for (const cJSON *e = runs != NULL ? runs->child : NULL; e != NULL; e = e->next)
        fprintf(cli->out, "run %-11lld %s %s %lld/%lld\n",
                (long long)cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble,
                ch_json_str(e, "kind"), ch_json_str(e, "outcome"),
                (long long)cJSON_GetObjectItemCaseSensitive(e, "matched")->valuedouble,
                (long long)cJSON_GetObjectItemCaseSensitive(e, "runs")->valuedouble);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(f, "matches");
    for (const cJSON *e = m != NULL ? m->child : NULL; e != NULL; e = e->next) {
        const cJSON *other = cJSON_GetObjectItemCaseSensitive(e, "finding");
        fprintf(cli->out, "match %-9lld %s %s %s (%s)\n",
                (long long)cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble,
                ch_json_str(e, "kind"), ch_json_str(e, "status"),
                cJSON_IsNumber(other) ? "finding" : ch_json_str(e, "known_vuln"),
                ch_json_str(e, "reason"));
    }
}

/* Prints a JSON document as JSON (--json) or as text through `text`. */
static int print_doc(struct ch_cli *cli, bool json, int rc, struct ch_jw *w, struct ch_err *err,
                     void (*text)(struct ch_cli *, const cJSON *))
{
    if (json || rc != CH_OK)
        return print_json(cli, rc, w, err);
    rc = ch_jw_finish(w, err);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(w->out), ch_buf_len(w->out), NULL, "output", &doc, err);
    if (rc != CH_OK)
        return ch_cli_fail(cli, err);
    if (cJSON_IsArray(doc)) {
        for (const cJSON *e = doc->child; e != NULL; e = e->next) {
            text(cli, e);
            if (e->next != NULL)
                fputc('\n', cli->out);
        }
    } else {
        text(cli, doc);
    }
    cJSON_Delete(doc);
    return CH_EXIT_OK;
}

static void print_text_row(struct ch_cli *cli, const cJSON *f)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
    const char *cls = ch_json_str(f, "crash_class");
    fprintf(cli->out, "%-6lld %-15s %-22s %s (%s)", (long long)(id != NULL ? id->valuedouble : 0),
            ch_json_str(f, "state"), cls != NULL ? cls : "-", ch_json_str(f, "title"),
            ch_json_str(f, "target"));
}

static void print_list_text(struct ch_cli *cli, const cJSON *f)
{
    print_text_row(cli, f);
}

static int finding_show(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"log", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    const char *log = NULL;
    bool json = false;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_finding, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'l':
            log = optarg;
            break;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    int64_t id = 0;
    int64_t run = 0;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "finding show", "name one finding ID");
    int code = parse_id(cli, "finding show", argv[optind], &id);
    if (code == CH_EXIT_OK && log != NULL)
        code = parse_id(cli, "finding show", log, &run);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    if (log != NULL) {
        code = show_log(cli, &x, id, run);
        ch_store_free(x.s);
        return code;
    }
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_finding_show_json(x.s, &x.actor, id, &w, &err);
    code = print_doc(cli, json, rc, &w, &err, print_text_finding);
    ch_buf_release(&b);
    ch_store_free(x.s);
    return code;
}

static int finding_list(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"state", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    const char *state = NULL;
    bool json = false;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_finding, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 's':
            state = optarg;
            break;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "finding list", "unexpected argument '%s'", argv[optind]);
    struct ctx x;
    int code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_finding_list_json(x.s, &x.actor, state, &w, &err);
    code = print_doc(cli, json, rc, &w, &err, print_list_text);
    ch_buf_release(&b);
    ch_store_free(x.s);
    return code;
}

static int finding_validate(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"runs", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    bool json = false;
    uint64_t runs = 0;
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_finding, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'n':
            if (ch_num_parse_u64(ch_str_c(optarg), CH_REPRO_MAX_RUNS, &runs, &err) != CH_OK ||
                runs == 0)
                return ch_cli_usage_error(cli, "finding validate", "--runs: 1 to %d",
                                          CH_REPRO_MAX_RUNS);
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    int64_t id = 0;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "finding validate", "name one finding ID");
    int code = parse_id(cli, "finding validate", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_repro_options o = {.runs = (unsigned)runs};
    struct ch_finding_validation v;
    int rc = ch_finding_validate(x.s, &x.actor, id, &o, x.now, &v, &err);
    ch_store_free(x.s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    if (json) {
        struct ch_buf b;
        ch_buf_init(&b, 1 << 20);
        struct ch_jw w;
        ch_jw_init(&w, &b, 1);
        ch_finding_validation_json(&v, id, &w);
        code = print_json(cli, CH_OK, &w, &err);
        ch_buf_release(&b);
    } else {
        fprintf(cli->out, "finding %lld: %s (%u of %u runs", (long long)id,
                ch_repro_outcome_str(v.outcome), v.n_matched, v.n_runs);
        if (v.n_runs > 0)
            fprintf(cli->out, ", %s", ch_crash_class_str(v.cls));
        fprintf(cli->out, "), state %s\n", v.state);
        if (v.signature[0] != '\0')
            fprintf(cli->out, "signature %s\n", v.signature);
        if (v.duplicate_of != 0)
            fprintf(cli->out, "duplicate of finding %lld\n", (long long)v.duplicate_of);
        if (v.n_probable > 0)
            fprintf(cli->out, "%u probable duplicate(s) to review (finding show %lld)\n",
                    v.n_probable, (long long)id);
        if (v.known_vuln[0] != '\0')
            fprintf(cli->out, "already known: %s\n", v.known_vuln);
        fprintf(cli->out, "log: clearinghouse finding show %lld --log %lld\n", (long long)id,
                (long long)v.run_id);
    }
    if (code != CH_EXIT_OK)
        return code;
    return v.outcome == CH_REPRO_REPRODUCED || v.outcome == CH_REPRO_FLAKY ? CH_EXIT_OK
                                                                           : CH_EXIT_FINDINGS;
}

static int finding_resolve(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"confirm", no_argument, NULL, 'c'},
                                         {"dismiss", no_argument, NULL, 'd'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    int decision = -1;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_finding, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'c':
            decision = 1;
            break;
        case 'd':
            decision = 0;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    int64_t id = 0;
    if (optind + 1 != argc || decision < 0)
        return ch_cli_usage_error(cli, "finding resolve", "expected MATCH --confirm|--dismiss");
    int code = parse_id(cli, "finding resolve", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_finding_match_resolve(x.s, &x.actor, 0, id, decision == 1, x.now, &err);
    ch_store_free(x.s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "match %lld %s\n", (long long)id, decision == 1 ? "confirmed" : "dismissed");
    return CH_EXIT_OK;
}

static int run_finding(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"submit", finding_submit},     {"show", finding_show},       {"list", finding_list},
        {"validate", finding_validate}, {"resolve", finding_resolve}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_finding, verbs, argc, argv);
}
