/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_case.c: `clearinghouse case open|show|list|transition|exploited|
 * participant|verify-fix|publish|feed|published`: coordinated-disclosure
 * cases, their embargo, fix verification, publication and the CSAF provider
 * feed (docs/disclosure.md).
 *
 * The command line acts as a local administrator unless `--as USER` makes it
 * act as that user. Every change is audited in the same transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/num.h"
#include "disclose/case.h"
#include "disclose/finding.h"
#include "disclose/publish.h"
#include "identity/identity.h"
#include "store/store.h"

static int run_case(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(case) = {
    .name = "case",
    .summary = "coordinated-disclosure cases: embargo, fix verification, publication, feeds",
    .usage =
        "usage: clearinghouse case open FINDING [--exploited] [--embargo-days N]\n"
        "                  [--vendor ORG] [--participant ORG]... [--json]\n"
        "       clearinghouse case show ID [--json]\n"
        "       clearinghouse case list [--state S] [--json]\n"
        "       clearinghouse case transition ID STATE [--note TEXT]\n"
        "       clearinghouse case exploited ID [--days N]\n"
        "       clearinghouse case participant ID ORG [--role vendor|coordinator]\n"
        "       clearinghouse case verify-fix ID --version V [--recipe FILE] [--files DIR]\n"
        "                  [--runs N] [--json]\n"
        "       clearinghouse case publish ID [--base-url URL] [--publisher NAME]\n"
        "                  [--out-dir DIR] [--json]\n"
        "       clearinghouse case feed (--metadata | --rolie | --csaf PATH) [--base-url URL]\n"
        "       clearinghouse case published [--after ID] [--limit N]\n"
        "\n"
        "States: new, validated, triaged, vendor_notified, fix_available, published,\n"
        "rejected, duplicate. validated starts the embargo (90 days; 7 when exploited in\n"
        "the wild). verify-fix runs the finding's PoC against the fixed build (the fix\n"
        "recipe's members replace the original's, --files are laid over the PoC files)\n"
        "and moves the case to fix_available when it no longer reproduces (exit 1 when\n"
        "it still does). publish writes the OSV record and the CSAF 2.0 advisory into\n"
        "the knowledge base (--out-dir also writes them as files). feed prints the CSAF\n"
        "provider metadata, the ROLIE feed or one CSAF document. published lists the\n"
        "published advisories after an id (what notices are made from). All verbs but\n"
        "feed and published take --as USER.\n",
    .run = run_case,
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

static int parse_days(struct ch_cli *cli, const char *cmd, const char *s, int64_t *ret)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_num_parse_i64(ch_str_c(s), 1, CH_CASE_MAX_EMBARGO_DAYS, ret, &err) != CH_OK)
        return ch_cli_usage_error(cli, cmd, "days: 1 to %d", CH_CASE_MAX_EMBARGO_DAYS);
    return CH_EXIT_OK;
}

static int read_file(const char *path, size_t max, struct ch_buf *out, struct ch_err *err)
{
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    char chunk[8192];
    size_t n;
    int rc = CH_OK;
    ch_buf_init(out, max);
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

static int write_file(const char *dir, const char *name, const struct ch_str data,
                      struct ch_err *err)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ch_err_set(err, CH_E_LIMIT, "output path too long");
    FILE *f = fopen(path, "we");
    if (f == NULL)
        return ch_err_set(err, CH_E_IO, "cannot create '%s': %s", path, strerror(errno));
    size_t w = fwrite(data.ptr, 1, data.len, f);
    int closed = fclose(f);
    if (w != data.len || closed != 0)
        return ch_err_set(err, CH_E_IO, "cannot write '%s'", path);
    return CH_OK;
}

/* A JSON document built by fn, printed pretty or as the error. */
static int json_out(struct ch_cli *cli, struct ch_jw *w, int rc, struct ch_err *err)
{
    return ch_cli_print_json(cli, w, rc, err);
}

static void text_case(struct ch_cli *cli, const cJSON *c)
{
    static const char *const keys[] = {
        "id",          "state",       "finding",   "title", "target", "component", "embargo_until",
        "fix_version", "advisory_id", "signature", NULL};
    for (size_t i = 0; keys[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, keys[i]);
        int64_t n;
        if (cJSON_IsString(v))
            fprintf(cli->out, "%-14s %s\n", keys[i], v->valuestring);
        else if (ch_json_int_value(v, &n))
            fprintf(cli->out, "%-14s %lld\n", keys[i], (long long)n);
    }
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(c, "exploited");
    if (cJSON_IsTrue(ex))
        fprintf(cli->out, "%-14s yes\n", "exploited");
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(c, "participants");
    for (const cJSON *p = parts != NULL ? parts->child : NULL; p != NULL; p = p->next)
        fprintf(cli->out, "participant    %s (%s)\n", ch_json_str(p, "org"),
                ch_json_str(p, "role"));
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(c, "history");
    for (const cJSON *h = hist != NULL ? hist->child : NULL; h != NULL; h = h->next) {
        const char *note = ch_json_str(h, "note");
        fprintf(cli->out, "history        %s %s -> %s by %s%s%s\n", ch_json_str(h, "at"),
                ch_json_str(h, "from") != NULL ? ch_json_str(h, "from") : "-", ch_json_str(h, "to"),
                ch_json_str(h, "actor"), note != NULL ? ": " : "", note != NULL ? note : "");
    }
}

static void text_case_row(struct ch_cli *cli, const cJSON *c)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
    const char *adv = ch_json_str(c, "advisory_id");
    fprintf(cli->out, "%-6lld %-16s %-14s %s", (long long)(id != NULL ? id->valuedouble : 0),
            ch_json_str(c, "state"), adv != NULL ? adv : "-", ch_json_str(c, "title"));
}

static int print_doc(struct ch_cli *cli, bool json, int rc, struct ch_jw *w, struct ch_err *err,
                     void (*text)(struct ch_cli *, const cJSON *))
{
    if (json || rc != CH_OK)
        return json_out(cli, w, rc, err);
    rc = ch_jw_finish(w, err);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        rc = ch_json_parse(ch_buf_cstr(w->out), ch_buf_len(w->out), NULL, "output", &doc, err);
    if (rc != CH_OK)
        return ch_cli_fail(cli, err);
    if (cJSON_IsArray(doc)) {
        for (const cJSON *e = doc->child; e != NULL; e = e->next) {
            text(cli, e);
            fputc('\n', cli->out);
        }
    } else {
        text(cli, doc);
    }
    cJSON_Delete(doc);
    return CH_EXIT_OK;
}

static int case_open(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"exploited", no_argument, NULL, 'x'},
                                         {"embargo-days", required_argument, NULL, 'e'},
                                         {"vendor", required_argument, NULL, 'v'},
                                         {"participant", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    const char *vendor = NULL;
    const char *parts[CH_CASE_MAX_PARTICIPANTS];
    size_t n_parts = 0;
    bool json = false;
    struct ch_case_open o = {0};
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
        int code = CH_EXIT_OK;
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'x':
            o.exploited = true;
            break;
        case 'e':
            code = parse_days(cli, "case open", optarg, &o.embargo_days);
            break;
        case 'v':
            vendor = optarg;
            break;
        case 'p':
            if (n_parts >= CH_CASE_MAX_PARTICIPANTS)
                return ch_cli_usage_error(cli, "case open", "at most %d --participant",
                                          CH_CASE_MAX_PARTICIPANTS);
            parts[n_parts++] = optarg;
            break;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
        if (code != CH_EXIT_OK)
            return code;
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "case open", "name one FINDING id");
    int code = parse_id(cli, "case open", argv[optind], &o.finding_id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t org_ids[CH_CASE_MAX_PARTICIPANTS];
    int rc = vendor != NULL ? ch_org_find(x.s, vendor, &o.vendor_org_id, &err) : CH_OK;
    for (size_t i = 0; i < n_parts && rc == CH_OK; i++)
        rc = ch_org_find(x.s, parts[i], &org_ids[i], &err);
    o.participant_orgs = org_ids;
    o.n_participants = n_parts;
    int64_t id = 0;
    if (rc == CH_OK)
        rc = ch_case_open(x.s, &x.actor, &o, x.now, &id, &err);
    ch_store_free(x.s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    if (json)
        fprintf(cli->out, "{\"id\": %lld, \"finding\": %lld}\n", (long long)id,
                (long long)o.finding_id);
    else
        fprintf(cli->out, "case %lld opened for finding %lld\n", (long long)id,
                (long long)o.finding_id);
    return CH_EXIT_OK;
}

static int case_show_list(struct ch_cli *cli, int argc, char **argv, bool list)
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
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
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
    const char *cmd = list ? "case list" : "case show";
    int64_t id = 0;
    if (list && optind != argc)
        return ch_cli_usage_error(cli, cmd, "unexpected argument '%s'", argv[optind]);
    if (!list && optind + 1 != argc)
        return ch_cli_usage_error(cli, cmd, "name one case ID");
    int code = list ? CH_EXIT_OK : parse_id(cli, cmd, argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    struct ch_err err = CH_ERR_INIT;
    int rc = list ? ch_case_list_json(x.s, &x.actor, state, &w, &err)
                  : ch_case_show_json(x.s, &x.actor, id, &w, &err);
    code = print_doc(cli, json, rc, &w, &err, list ? text_case_row : text_case);
    ch_buf_release(&b);
    ch_store_free(x.s);
    return code;
}

static int case_show(struct ch_cli *cli, int argc, char **argv)
{
    return case_show_list(cli, argc, argv, false);
}

static int case_list(struct ch_cli *cli, int argc, char **argv)
{
    return case_show_list(cli, argc, argv, true);
}

static int case_transition(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"note", required_argument, NULL, 'n'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    const char *note = NULL;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'n':
            note = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 2 != argc)
        return ch_cli_usage_error(cli, "case transition", "expected ID STATE");
    int64_t id = 0;
    enum ch_case_state to;
    int code = parse_id(cli, "case transition", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    if (ch_case_state_parse(argv[optind + 1], &to) != CH_OK)
        return ch_cli_usage_error(cli, "case transition", "unknown state '%s'", argv[optind + 1]);
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_case_transition(x.s, &x.actor, id, to, note, x.now, &err);
    ch_store_free(x.s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "case %lld is %s\n", (long long)id, ch_case_state_name(to));
    return CH_EXIT_OK;
}

static int case_exploited(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"days", required_argument, NULL, 'd'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    int64_t days = 0;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
        int code = CH_EXIT_OK;
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'd':
            code = parse_days(cli, "case exploited", optarg, &days);
            break;
        default:
            return CH_EXIT_USAGE;
        }
        if (code != CH_EXIT_OK)
            return code;
    }
    int64_t id = 0;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "case exploited", "name one case ID");
    int code = parse_id(cli, "case exploited", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_case_mark_exploited(x.s, &x.actor, id, days, x.now, &err);
    ch_store_free(x.s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "case %lld marked exploited in the wild\n", (long long)id);
    return CH_EXIT_OK;
}

static int case_participant(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"role", required_argument, NULL, 'r'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    const char *role = "vendor";
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (optind + 2 != argc)
        return ch_cli_usage_error(cli, "case participant", "expected ID ORG");
    int64_t id = 0;
    int code = parse_id(cli, "case participant", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t org = 0;
    int rc = ch_org_find(x.s, argv[optind + 1], &org, &err);
    if (rc == CH_OK)
        rc = ch_case_add_participant(x.s, &x.actor, id, org, role, x.now, &err);
    ch_store_free(x.s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "%s takes part in case %lld as %s\n", argv[optind + 1], (long long)id, role);
    return CH_EXIT_OK;
}

static int case_verify_fix(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"version", required_argument, NULL, 'V'},
                                         {"recipe", required_argument, NULL, 'r'},
                                         {"files", required_argument, NULL, 'f'},
                                         {"runs", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    const char *recipe_path = NULL;
    const char *files_dir = NULL;
    bool json = false;
    uint64_t runs = 0;
    struct ch_case_fix fix = {0};
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'V':
            fix.fixed_version = optarg;
            break;
        case 'r':
            recipe_path = optarg;
            break;
        case 'f':
            files_dir = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'n':
            if (ch_num_parse_u64(ch_str_c(optarg), CH_REPRO_MAX_RUNS, &runs, &err) != CH_OK ||
                runs == 0)
                return ch_cli_usage_error(cli, "case verify-fix", "--runs: 1 to %d",
                                          CH_REPRO_MAX_RUNS);
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    int64_t id = 0;
    if (optind + 1 != argc || fix.fixed_version == NULL)
        return ch_cli_usage_error(cli, "case verify-fix", "expected ID --version V");
    int code = parse_id(cli, "case verify-fix", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf recipe;
    ch_buf_init(&recipe, CH_REPRO_MAX_RECIPE_BYTES + 1);
    struct ch_finding_poc files = {0};
    int rc = recipe_path != NULL
                 ? read_file(recipe_path, CH_REPRO_MAX_RECIPE_BYTES + 1, &recipe, &err)
                 : CH_OK;
    if (rc == CH_OK && files_dir != NULL)
        rc = ch_finding_poc_read_dir(files_dir, &files, &err);
    if (rc != CH_OK) {
        ch_buf_release(&recipe);
        return ch_cli_fail(cli, &err);
    }
    fix.recipe = ch_buf_len(&recipe) > 0 ? ch_buf_cstr(&recipe) : NULL;
    fix.recipe_len = ch_buf_len(&recipe);
    fix.files = files.files;
    fix.n_files = files.n_files;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    struct ch_case_fix_result res = {0};
    if (code == CH_EXIT_OK) {
        struct ch_repro_options o = {.runs = (unsigned)runs};
        rc = ch_case_verify_fix(x.s, &x.actor, id, &fix, &o, x.now, &res, &err);
        ch_store_free(x.s);
        if (rc != CH_OK) {
            code = ch_cli_fail(cli, &err);
        } else if (json) {
            fprintf(cli->out,
                    "{\"case\": %lld, \"run\": %lld, \"fixed\": %s, \"outcome\": \"%s\","
                    " \"runs\": %u, \"matched\": %u}\n",
                    (long long)id, (long long)res.run_id, res.fixed ? "true" : "false",
                    ch_repro_outcome_str(res.outcome), res.n_runs, res.n_matched);
        } else {
            fprintf(cli->out, "case %lld: the fixed build %s (%s, %u of %u runs matched)\n",
                    (long long)id,
                    res.fixed ? "no longer reproduces: fix_available" : "does not fix it",
                    ch_repro_outcome_str(res.outcome), res.n_matched, res.n_runs);
        }
        if (code == CH_EXIT_OK && !res.fixed)
            code = CH_EXIT_FINDINGS;
    }
    ch_finding_poc_release(&files);
    ch_buf_release(&recipe);
    return code;
}

static int case_publish(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'},
                                         {"base-url", required_argument, NULL, 'b'},
                                         {"publisher", required_argument, NULL, 'p'},
                                         {"out-dir", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as_user = NULL;
    const char *out_dir = NULL;
    struct ch_disclose_publisher pub = {0};
    bool json = false;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'A':
            as_user = optarg;
            break;
        case 'b':
            pub.base_url = optarg;
            break;
        case 'p':
            pub.name = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'j':
            json = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    int64_t id = 0;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "case publish", "name one case ID");
    int code = parse_id(cli, "case publish", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as_user, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    struct ch_case_published p;
    int rc = ch_case_publish(x.s, &x.actor, id, &pub, x.now, &p, &err);
    struct ch_stmt *st = NULL;
    if (rc == CH_OK && out_dir != NULL)
        rc = ch_store_stmt(x.s, "SELECT csaf, osv FROM published_advisories WHERE vuln_key = ?",
                           &st, &err);
    if (rc == CH_OK && out_dir != NULL) {
        ch_stmt_bind_cstr(st, 1, p.advisory_id);
        rc = ch_stmt_step(st, &err);
        if (rc == 1) {
            char name[64];
            snprintf(name, sizeof(name), "%s.csaf.json", p.advisory_id);
            rc = write_file(out_dir, name, ch_stmt_text(st, 0), &err);
            snprintf(name, sizeof(name), "%s.osv.json", p.osv_id);
            if (rc == CH_OK)
                rc = write_file(out_dir, name, ch_stmt_text(st, 1), &err);
        } else if (rc == 0) {
            rc = ch_err_set(&err, CH_E_INTERNAL, "published advisory not found");
        }
        ch_stmt_reset(st);
    }
    ch_store_free(x.s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    if (json)
        fprintf(cli->out,
                "{\"case\": %lld, \"advisory_id\": \"%s\", \"osv_id\": \"%s\", \"csaf_path\":"
                " \"%s\", \"kb_vuln_id\": %lld}\n",
                (long long)id, p.advisory_id, p.osv_id, p.csaf_path, (long long)p.kb_vuln_id);
    else
        fprintf(cli->out, "case %lld published as %s (OSV %s, CSAF %s)\n", (long long)id,
                p.advisory_id, p.osv_id, p.csaf_path);
    return CH_EXIT_OK;
}

static int case_feed(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"metadata", no_argument, NULL, 'm'},
                                         {"rolie", no_argument, NULL, 'r'},
                                         {"csaf", required_argument, NULL, 'c'},
                                         {"base-url", required_argument, NULL, 'b'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_disclose_publisher pub = {0};
    int what = 0;
    const char *path = NULL;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'm':
            what = 'm';
            break;
        case 'r':
            what = 'r';
            break;
        case 'c':
            what = 'c';
            path = optarg;
            break;
        case 'b':
            pub.base_url = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (what == 0 || optind != argc)
        return ch_cli_usage_error(cli, "case feed", "expected --metadata, --rolie or --csaf PATH");
    struct ctx x;
    int code = ctx_open(cli, NULL, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    struct ch_err err = CH_ERR_INIT;
    int rc;
    if (what == 'c') {
        rc = ch_disclose_csaf_get(x.s, path, &b, NULL, &err);
        if (rc == CH_OK)
            fprintf(cli->out, "%s\n", ch_buf_cstr(&b));
        code = rc == CH_OK ? CH_EXIT_OK : ch_cli_fail(cli, &err);
    } else {
        rc = what == 'm' ? ch_disclose_provider_metadata_json(x.s, &pub, x.now, &w, &err)
                         : ch_disclose_rolie_feed_json(x.s, &pub, x.now, &w, &err);
        code = json_out(cli, &w, rc, &err);
    }
    ch_buf_release(&b);
    ch_store_free(x.s);
    return code;
}

static int case_published(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"after", required_argument, NULL, 'a'},
                                         {"limit", required_argument, NULL, 'l'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    int64_t after = 0;
    uint64_t limit = 100;
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_case, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'a':
            if (ch_num_parse_i64(ch_str_c(optarg), 0, INT64_MAX, &after, &err) != CH_OK)
                return ch_cli_usage_error(cli, "case published", "--after: an id");
            break;
        case 'l':
            if (ch_num_parse_u64(ch_str_c(optarg), 10000, &limit, &err) != CH_OK || limit == 0)
                return ch_cli_usage_error(cli, "case published", "--limit: 1 to 10000");
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    struct ctx x;
    int code = ctx_open(cli, NULL, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = ch_published_since_json(x.s, after, (unsigned)limit, &w, &err);
    code = json_out(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(x.s);
    return code;
}

static int run_case(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"open", case_open},
        {"show", case_show},
        {"list", case_list},
        {"transition", case_transition},
        {"exploited", case_exploited},
        {"participant", case_participant},
        {"verify-fix", case_verify_fix},
        {"publish", case_publish},
        {"feed", case_feed},
        {"published", case_published},
        {0},
    };
    return ch_cli_dispatch(cli, &ch_cli_cmd_case, verbs, argc, argv);
}
