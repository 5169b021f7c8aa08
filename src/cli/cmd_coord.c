/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_coord.c: scan coordination on the command line (docs/coordination.md):
 * `target add|list|show`, `targets --uncovered`, `authorize
 * grant|list|revoke`, `lease request|extend|release|revoke|list|show|report`
 * and `incident open|evidence|list|show|export|verify`.
 *
 * The command line acts as a local administrator (it has the database),
 * unless `--as USER` makes it act as that user, with the user's organisation,
 * roles and clearance: what that user would see and be allowed through the
 * API. Every change is audited under the actor's name.
 */
#include <sodium.h>
#include <string.h>

#include "cli/cli.h"
#include "coord/deconflict.h"
#include "coord/incident.h"
#include "coord/service.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/num.h"
#include "identity/identity.h"
#include "store/store.h"

/* Largest file read for evidence or rules (the library applies its own limits). */
#define CLI_FILE_MAX ((size_t)64 << 20)

static int run_target(struct ch_cli *cli, int argc, char **argv);
static int run_targets(struct ch_cli *cli, int argc, char **argv);
static int run_authorize(struct ch_cli *cli, int argc, char **argv);
static int run_lease(struct ch_cli *cli, int argc, char **argv);
static int run_incident(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(target) = {
    .name = "target",
    .summary = "add, list and show scan targets",
    .usage =
        "usage: clearinghouse target add NAME --kind repo --repo URL --ref REF [options]\n"
        "       clearinghouse target add NAME --kind package --purl PURL [--range VERS] [options]\n"
        "       clearinghouse target add NAME --kind network --scope 'CIDR|NAME ...' [options]\n"
        "       clearinghouse target list [--as USER]\n"
        "       clearinghouse target show TARGET [--as USER]\n"
        "\n"
        "Options: --org SLUG (owner; default the acting user's), --description TEXT,\n"
        "--as USER (act as that user). TARGET is an id or ORG/NAME. A repository target\n"
        "is a URL at a commit or tag; a package target a purl with a version, or a\n"
        "versionless purl with --range vers:...; a network target a list of IPv4/IPv6\n"
        "CIDR blocks and DNS names (*.example.com covers the names below it).\n",
    .run = run_target,
};

CH_CLI_COMMAND(targets) = {
    .name = "targets",
    .summary = "scheduling help: targets no lease covered lately",
    .usage = "usage: clearinghouse targets --uncovered [--days N] [--as USER]\n"
             "\n"
             "Lists the targets no lease covered in the last N days (default 30), ranked by\n"
             "how many exposed assets depend on them when an `exposures` table exists,\n"
             "else by the number of leases the target ever had. Output is JSON.\n",
    .run = run_targets,
};

CH_CLI_COMMAND(authorize) = {
    .name = "authorize",
    .summary = "grant, list and revoke authorisations to scan network targets",
    .usage = "usage: clearinghouse authorize grant TARGET --partner SLUG --start TIME --end TIME\n"
             "                  (--rules FILE | --contact C [--contact C...] [--technique T...]\n"
             "                   [--max-pps N] [--max-rps N] [--hours HH:MM-HH:MM] [--notes T])\n"
             "       clearinghouse authorize list [--target TARGET]\n"
             "       clearinghouse authorize revoke ID [--reason TEXT]\n"
             "\n"
             "An operator of a network target's organisation lets a partner organisation\n"
             "lease it during [start, end), under rules of engagement (techniques, rate\n"
             "limits, UTC hours, contacts). Revoking also revokes the leases resting on it.\n"
             "All verbs take --as USER. TIME is RFC 3339 or Unix seconds.\n",
    .run = run_authorize,
};

CH_CLI_COMMAND(lease) = {
    .name = "lease",
    .summary = "request, extend, release, revoke, list and report scan leases",
    .usage =
        "usage: clearinghouse lease request TARGET --end TIME [--start TIME]\n"
        "                  [--mode exclusive|shared] [--scope LIST] [--sources CIDRS]\n"
        "                  [--ua TOKENS] [--org SLUG]\n"
        "       clearinghouse lease extend ID --end TIME\n"
        "       clearinghouse lease release ID\n"
        "       clearinghouse lease revoke ID [--reason TEXT]\n"
        "       clearinghouse lease list [--target TARGET] [--active]\n"
        "       clearinghouse lease show ID\n"
        "       clearinghouse lease report ID --scanned TEXT --tool TEXT --findings N\n"
        "                  [--notes TEXT]\n"
        "\n"
        "Overlapping exclusive leases are refused, naming the conflicting lease (exit 3).\n"
        "Network targets need an authorisation covering the window. --sources and --ua\n"
        "declare the scanner (required for network targets). Default mode: exclusive;\n"
        "default start: now. All verbs take --as USER.\n",
    .run = run_lease,
};

CH_CLI_COMMAND(incident) = {
    .name = "incident",
    .summary = "incidents of unauthorised scanning and their evidence packages",
    .usage =
        "usage: clearinghouse incident open --title T --source S --target T --at TIME\n"
        "                  [--classification C] [--org SLUG] [--log FILE...] [--pcap FILE...]\n"
        "       clearinghouse incident evidence ID --kind log|pcap|other --name N\n"
        "                  (--file FILE | --sha256 HEX)\n"
        "       clearinghouse incident list\n"
        "       clearinghouse incident show ID\n"
        "       clearinghouse incident export ID -o DIR\n"
        "       clearinghouse incident verify DIR [--key FILE|HEX]\n"
        "\n"
        "open asks the deconfliction question again and refuses when the scanning is\n"
        "authorised. Logs are kept; captures only by SHA-256. export writes a package\n"
        "signed with the server's Ed25519 key (manifest.json, manifest.sig, evidence/)\n"
        "and marks the incident referred. verify checks the signature (with --key: the\n"
        "server's signing.pub or its hex; without: the key named in the manifest, which\n"
        "proves integrity only) and every evidence file; exit 1 when it fails.\n"
        "All verbs but verify take --as USER.\n",
    .run = run_incident,
};

/* What every verb needs: the store, the service and who acts. */
struct ctx {
    struct ch_store *s;
    struct ch_coord *c;
    struct ch_coord_actor actor;
    char actor_name[160];
    int64_t now;
};

static int ctx_open(struct ch_cli *cli, const char *as_user, bool with_service, struct ctx *x)
{
    *x = (struct ctx){.actor = CH_COORD_ACTOR_LOCAL, .now = ch_clock_now(&cli->clock)};
    int code = ch_cli_open_store(cli, &x->s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = CH_OK;
    if (as_user != NULL)
        rc = ch_coord_actor_for_user(x->s, as_user, x->actor_name, sizeof(x->actor_name),
                                     &x->actor, &err);
    if (rc == CH_OK && with_service)
        rc = ch_coord_new(x->s, NULL, x->now, &x->c, &err);
    if (rc != CH_OK) {
        ch_store_free(x->s);
        x->s = NULL;
        return ch_cli_fail(cli, &err);
    }
    return CH_EXIT_OK;
}

static void ctx_close(struct ctx *x)
{
    ch_coord_free(x->c);
    ch_store_free(x->s);
}

static int parse_id(struct ch_cli *cli, const char *cmd, const char *s, int64_t *ret)
{
    struct ch_err err = CH_ERR_INIT;
    if (s == NULL || ch_num_parse_i64(ch_str_c(s), 1, INT64_MAX, ret, &err) != CH_OK)
        return ch_cli_usage_error(cli, cmd, "expected an ID, not '%s'", s != NULL ? s : "");
    return CH_EXIT_OK;
}

static int parse_time(struct ch_cli *cli, const char *cmd, const char *opt, const char *s,
                      int64_t *ret)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_coord_time_parse(ch_str_c(s), ret, &err) != CH_OK)
        return ch_cli_usage_error(cli, cmd, "%s: %s", opt, err.msg);
    return CH_EXIT_OK;
}

static int org_id(struct ch_cli *cli, struct ctx *x, const char *slug, int64_t *ret)
{
    *ret = 0;
    if (slug == NULL)
        return CH_EXIT_OK;
    struct ch_err err = CH_ERR_INIT;
    if (ch_org_find(x->s, slug, ret, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    return CH_EXIT_OK;
}

/* Prints {"id": N, "KEY": "VALUE"} or the error. */
static int print_id(struct ch_cli *cli, int rc, const struct ch_err *err, const char *what,
                    int64_t id)
{
    if (rc != CH_OK)
        return ch_cli_fail(cli, err);
    fprintf(cli->out, "{\"%s\": %lld}\n", what, (long long)id);
    return CH_EXIT_OK;
}

typedef int (*json_fn)(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err);

static int print_json(struct ch_cli *cli, struct ctx *x, json_fn fn, void *arg)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    struct ch_err err = CH_ERR_INIT;
    int rc = fn(x, &w, arg, &err);
    int code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    return code;
}

static int read_whole(struct ch_cli *cli, const char *path, struct ch_buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rbe");
    if (f == NULL) {
        fprintf(cli->errout, "clearinghouse: error: cannot open '%s'\n", path);
        return CH_EXIT_INPUT;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ch_buf_append(out, chunk, n);
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    struct ch_err err = CH_ERR_INIT;
    if (bad)
        return ch_cli_fail(cli, &(struct ch_err){.rc = CH_E_IO, .msg = "read error"});
    if (ch_buf_status(out, path, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    return CH_EXIT_OK;
}

/* ---- target ---- */

static int target_add(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"kind", required_argument, NULL, 'k'},
                                         {"org", required_argument, NULL, 'o'},
                                         {"repo", required_argument, NULL, 'r'},
                                         {"ref", required_argument, NULL, 'R'},
                                         {"purl", required_argument, NULL, 'p'},
                                         {"range", required_argument, NULL, 'g'},
                                         {"scope", required_argument, NULL, 's'},
                                         {"description", required_argument, NULL, 'd'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_coord_target_new t = {0};
    const char *kind = NULL, *org = NULL, *as = NULL;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_target, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 'k': kind = optarg; break;
        case 'o': org = optarg; break;
        case 'r': t.repo_url = optarg; break;
        case 'R': t.repo_ref = optarg; break;
        case 'p': t.purl = optarg; break;
        case 'g': t.range = optarg; break;
        case 's': t.scope = optarg; break;
        case 'd': t.description = optarg; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || kind == NULL)
        return ch_cli_usage_error(cli, "target add", "expected NAME --kind KIND");
    if (ch_coord_target_kind_parse(kind, &t.kind) != CH_OK)
        return ch_cli_usage_error(cli, "target add", "--kind: repo, package or network");
    t.name = argv[optind];
    struct ctx x;
    code = ctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = org_id(cli, &x, org, &t.org_id);
    if (code == CH_EXIT_OK) {
        struct ch_err err = CH_ERR_INIT;
        int64_t id = 0;
        int rc = ch_coord_target_add(x.c, x.s, &x.actor, &t, x.now, &id, &err);
        code = print_id(cli, rc, &err, "id", id);
    }
    ctx_close(&x);
    return code;
}

static int as_only(struct ch_cli *cli, const struct ch_cli_command *cmd, int argc, char **argv,
                   const char **ret_as, int *ret_code)
{
    static const struct option opts[] = {{"as", required_argument, NULL, 'A'}, CH_CLI_OPT_HELP,
                                         {0}};
    int c;
    *ret_as = NULL;
    while ((c = ch_cli_getopt(cli, cmd, argc, argv, "h", opts, ret_code)) != -1) {
        if (c == -2)
            return -1;
        if (c != 'A') {
            *ret_code = CH_EXIT_USAGE;
            return -1;
        }
        *ret_as = optarg;
    }
    return 0;
}

static int list_targets(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err)
{
    (void)arg;
    return ch_coord_target_list_json(x->s, &x->actor, w, err);
}

static int show_target(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err)
{
    int64_t id = 0;
    int rc = ch_coord_target_find(x->s, &x->actor, arg, &id, err);
    if (rc == CH_OK)
        rc = ch_coord_target_show_json(x->s, &x->actor, id, x->now, w, err);
    return rc;
}

static int target_list_or_show(struct ch_cli *cli, int argc, char **argv, bool show)
{
    const char *as = NULL;
    int code = 0;
    if (as_only(cli, &ch_cli_cmd_target, argc, argv, &as, &code) != 0)
        return code;
    if (optind + (show ? 1 : 0) != argc)
        return ch_cli_usage_error(cli, show ? "target show" : "target list",
                                  show ? "name one TARGET" : "unexpected argument");
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json(cli, &x, show ? show_target : list_targets, show ? argv[optind] : NULL);
    ctx_close(&x);
    return code;
}

static int target_list(struct ch_cli *cli, int argc, char **argv)
{
    return target_list_or_show(cli, argc, argv, false);
}

static int target_show(struct ch_cli *cli, int argc, char **argv)
{
    return target_list_or_show(cli, argc, argv, true);
}

static int run_target(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"add", target_add}, {"list", target_list}, {"show", target_show}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_target, verbs, argc, argv);
}

struct uncovered_arg {
    int64_t days;
};

static int uncovered(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err)
{
    const struct uncovered_arg *u = arg;
    return ch_coord_uncovered_json(x->s, &x->actor, u->days, NULL, x->now, w, err);
}

static int run_targets(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"uncovered", no_argument, NULL, 'u'},
                                         {"days", required_argument, NULL, 'd'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct uncovered_arg u = {.days = 30};
    bool unc = false;
    const char *as = NULL;
    int c, code = 0;
    struct ch_err err = CH_ERR_INIT;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_targets, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 'u': unc = true; break;
        case 'd':
            if (ch_num_parse_i64(ch_str_c(optarg), 1, 3660, &u.days, &err) != CH_OK)
                return ch_cli_usage_error(cli, "targets", "--days: 1 to 3660");
            break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (!unc || optind != argc)
        return ch_cli_usage_error(cli, "targets", "expected --uncovered [--days N]");
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json(cli, &x, uncovered, &u);
    ctx_close(&x);
    return code;
}

/* ---- authorize ---- */

/* Builds a rules-of-engagement object from the options. */
struct rules_opts {
    struct ch_buf techniques, contacts; /* JSON array members, comma-separated */
    const char *hours, *notes;
    int64_t pps, rps;
};

static void json_list_add(struct ch_buf *list, const char *s)
{
    if (list->len > 0)
        ch_buf_append_byte(list, ',');
    ch_json_append_string(list, s, strlen(s));
}

static int rules_build(const struct rules_opts *r, struct ch_buf *out, struct ch_err *err)
{
    ch_buf_append_c(out, "{\"contacts\":[");
    ch_buf_append_str(out, ch_buf_str(&r->contacts));
    ch_buf_append_c(out, "]");
    if (r->techniques.len > 0) {
        ch_buf_append_c(out, ",\"techniques\":[");
        ch_buf_append_str(out, ch_buf_str(&r->techniques));
        ch_buf_append_c(out, "]");
    }
    if (r->pps > 0)
        ch_buf_appendf(out, ",\"max_rate_pps\":%lld", (long long)r->pps);
    if (r->rps > 0)
        ch_buf_appendf(out, ",\"max_rate_rps\":%lld", (long long)r->rps);
    if (r->hours != NULL) {
        ch_buf_append_c(out, ",\"hours\":");
        ch_json_append_string(out, r->hours, strlen(r->hours));
    }
    if (r->notes != NULL) {
        ch_buf_append_c(out, ",\"notes\":");
        ch_json_append_string(out, r->notes, strlen(r->notes));
    }
    ch_buf_append_byte(out, '}');
    return ch_buf_status(out, "rules", err);
}

static int authorize_grant(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"partner", required_argument, NULL, 'p'},
                                         {"start", required_argument, NULL, 's'},
                                         {"end", required_argument, NULL, 'e'},
                                         {"rules", required_argument, NULL, 'r'},
                                         {"contact", required_argument, NULL, 'c'},
                                         {"technique", required_argument, NULL, 't'},
                                         {"max-pps", required_argument, NULL, 'P'},
                                         {"max-rps", required_argument, NULL, 'Q'},
                                         {"hours", required_argument, NULL, 'H'},
                                         {"notes", required_argument, NULL, 'n'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *partner = NULL, *rules_file = NULL, *as = NULL, *start = NULL, *end = NULL;
    struct rules_opts r = {0};
    ch_buf_init(&r.techniques, 1 << 20);
    ch_buf_init(&r.contacts, 1 << 20);
    struct ch_buf rules;
    ch_buf_init(&rules, 1 << 20);
    struct ch_err err = CH_ERR_INIT;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_authorize, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: goto out;
        case 'p': partner = optarg; break;
        case 's': start = optarg; break;
        case 'e': end = optarg; break;
        case 'r': rules_file = optarg; break;
        case 'c': json_list_add(&r.contacts, optarg); break;
        case 't': json_list_add(&r.techniques, optarg); break;
        case 'P':
        case 'Q':
            if (ch_num_parse_i64(ch_str_c(optarg), 1, 1000000000, c == 'P' ? &r.pps : &r.rps,
                                 &err) != CH_OK) {
                code = ch_cli_usage_error(cli, "authorize grant", "rates: 1 to 1000000000");
                goto out;
            }
            break;
        case 'H': r.hours = optarg; break;
        case 'n': r.notes = optarg; break;
        case 'A': as = optarg; break;
        default: code = CH_EXIT_USAGE; goto out;
        }
    }
    struct ch_coord_auth_new g = {0};
    if (optind + 1 != argc || partner == NULL || start == NULL || end == NULL) {
        code = ch_cli_usage_error(cli, "authorize grant",
                                  "expected TARGET --partner SLUG --start TIME --end TIME");
        goto out;
    }
    code = parse_time(cli, "authorize grant", "--start", start, &g.start);
    if (code == CH_EXIT_OK)
        code = parse_time(cli, "authorize grant", "--end", end, &g.end);
    if (code != CH_EXIT_OK)
        goto out;
    if (rules_file != NULL)
        code = read_whole(cli, rules_file, &rules);
    else if (r.contacts.len == 0)
        code = ch_cli_usage_error(cli, "authorize grant", "give --rules FILE or --contact");
    else if (rules_build(&r, &rules, &err) != CH_OK)
        code = ch_cli_fail(cli, &err);
    if (code != CH_EXIT_OK)
        goto out;
    g.rules_json = ch_buf_cstr(&rules);
    struct ctx x;
    code = ctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        goto out;
    code = org_id(cli, &x, partner, &g.partner_org_id);
    int rc = CH_OK;
    if (code == CH_EXIT_OK)
        rc = ch_coord_target_find(x.s, &x.actor, argv[optind], &g.target_id, &err);
    int64_t id = 0;
    if (code == CH_EXIT_OK && rc == CH_OK)
        rc = ch_coord_auth_grant(x.c, x.s, &x.actor, &g, x.now, &id, &err);
    if (code == CH_EXIT_OK)
        code = print_id(cli, rc, &err, "id", id);
    ctx_close(&x);
out:
    ch_buf_release(&r.techniques);
    ch_buf_release(&r.contacts);
    ch_buf_release(&rules);
    return code;
}

static int list_auths(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err)
{
    int64_t target = 0;
    if (arg != NULL) {
        int rc = ch_coord_target_find(x->s, &x->actor, arg, &target, err);
        if (rc != CH_OK)
            return rc;
    }
    return ch_coord_auth_list_json(x->s, &x->actor, target, x->now, w, err);
}

static int authorize_list(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"target", required_argument, NULL, 't'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *as = NULL;
    char *target = NULL;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_authorize, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 't': target = optarg; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "authorize list", "unexpected argument");
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json(cli, &x, list_auths, target);
    ctx_close(&x);
    return code;
}

/* "VERB ID [--reason TEXT] [--as USER]" for revocations and releases. */
static int id_reason_verb(struct ch_cli *cli, const struct ch_cli_command *cmd, const char *name,
                          int argc, char **argv, int64_t *ret_id, const char **ret_reason,
                          const char **ret_as)
{
    static const struct option opts[] = {{"reason", required_argument, NULL, 'r'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, cmd, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code == 0 ? -1 : code;
        case 'r': *ret_reason = optarg; break;
        case 'A': *ret_as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, name, "name one ID");
    return parse_id(cli, name, argv[optind], ret_id);
}

static int authorize_revoke(struct ch_cli *cli, int argc, char **argv)
{
    int64_t id = 0;
    const char *reason = NULL, *as = NULL;
    int code = id_reason_verb(cli, &ch_cli_cmd_authorize, "authorize revoke", argc, argv, &id,
                              &reason, &as);
    if (code != CH_EXIT_OK)
        return code < 0 ? CH_EXIT_OK : code;
    struct ctx x;
    code = ctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_coord_auth_revoke(x.c, x.s, &x.actor, id, reason, x.now, &err);
    code = print_id(cli, rc, &err, "revoked", id);
    ctx_close(&x);
    return code;
}

static int run_authorize(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"grant", authorize_grant}, {"list", authorize_list}, {"revoke", authorize_revoke}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_authorize, verbs, argc, argv);
}

/* ---- lease ---- */

static int lease_request(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"start", required_argument, NULL, 's'},
                                         {"end", required_argument, NULL, 'e'},
                                         {"mode", required_argument, NULL, 'm'},
                                         {"scope", required_argument, NULL, 'S'},
                                         {"sources", required_argument, NULL, 'r'},
                                         {"ua", required_argument, NULL, 'u'},
                                         {"org", required_argument, NULL, 'o'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_coord_lease_new l = {.mode = CH_LEASE_EXCLUSIVE};
    const char *start = NULL, *end = NULL, *org = NULL, *as = NULL;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_lease, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 's': start = optarg; break;
        case 'e': end = optarg; break;
        case 'm':
            if (strcmp(optarg, "exclusive") == 0)
                l.mode = CH_LEASE_EXCLUSIVE;
            else if (strcmp(optarg, "shared") == 0)
                l.mode = CH_LEASE_SHARED;
            else
                return ch_cli_usage_error(cli, "lease request", "--mode: exclusive or shared");
            break;
        case 'S': l.scope = optarg; break;
        case 'r': l.sources = optarg; break;
        case 'u': l.ua_tokens = optarg; break;
        case 'o': org = optarg; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || end == NULL)
        return ch_cli_usage_error(cli, "lease request", "expected TARGET --end TIME");
    l.start = ch_clock_now(&cli->clock);
    if (start != NULL)
        code = parse_time(cli, "lease request", "--start", start, &l.start);
    if (code == CH_EXIT_OK)
        code = parse_time(cli, "lease request", "--end", end, &l.end);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = org_id(cli, &x, org, &l.org_id);
    struct ch_err err = CH_ERR_INIT;
    int rc = CH_OK;
    if (code == CH_EXIT_OK)
        rc = ch_coord_target_find(x.s, &x.actor, argv[optind], &l.target_id, &err);
    int64_t id = 0;
    if (code == CH_EXIT_OK && rc == CH_OK)
        rc = ch_coord_lease_request(x.c, x.s, &x.actor, &l, x.now, &id, &err);
    if (code == CH_EXIT_OK)
        code = print_id(cli, rc, &err, "id", id);
    ctx_close(&x);
    return code;
}

static int lease_extend(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"end", required_argument, NULL, 'e'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *end = NULL, *as = NULL;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_lease, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 'e': end = optarg; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    int64_t id = 0, new_end = 0;
    if (optind + 1 != argc || end == NULL)
        return ch_cli_usage_error(cli, "lease extend", "expected ID --end TIME");
    code = parse_id(cli, "lease extend", argv[optind], &id);
    if (code == CH_EXIT_OK)
        code = parse_time(cli, "lease extend", "--end", end, &new_end);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_coord_lease_extend(x.c, x.s, &x.actor, id, new_end, x.now, &err);
    code = print_id(cli, rc, &err, "extended", id);
    ctx_close(&x);
    return code;
}

static int lease_end_verb(struct ch_cli *cli, int argc, char **argv, bool revoke)
{
    int64_t id = 0;
    const char *reason = NULL, *as = NULL;
    const char *name = revoke ? "lease revoke" : "lease release";
    int code = id_reason_verb(cli, &ch_cli_cmd_lease, name, argc, argv, &id, &reason, &as);
    if (code != CH_EXIT_OK)
        return code < 0 ? CH_EXIT_OK : code;
    struct ctx x;
    code = ctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = revoke ? ch_coord_lease_revoke(x.c, x.s, &x.actor, id, reason, x.now, &err)
                    : ch_coord_lease_release(x.c, x.s, &x.actor, id, x.now, &err);
    code = print_id(cli, rc, &err, revoke ? "revoked" : "released", id);
    ctx_close(&x);
    return code;
}

static int lease_release(struct ch_cli *cli, int argc, char **argv)
{
    return lease_end_verb(cli, argc, argv, false);
}

static int lease_revoke(struct ch_cli *cli, int argc, char **argv)
{
    return lease_end_verb(cli, argc, argv, true);
}

struct lease_list_arg {
    const char *target;
    bool active;
};

static int list_leases(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err)
{
    const struct lease_list_arg *l = arg;
    struct ch_coord_lease_filter f = {.active_only = l->active};
    if (l->target != NULL) {
        int rc = ch_coord_target_find(x->s, &x->actor, l->target, &f.target_id, err);
        if (rc != CH_OK)
            return rc;
    }
    return ch_coord_lease_list_json(x->s, &x->actor, &f, x->now, w, err);
}

static int lease_list(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"target", required_argument, NULL, 't'},
                                         {"active", no_argument, NULL, 'a'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct lease_list_arg l = {0};
    const char *as = NULL;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_lease, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 't': l.target = optarg; break;
        case 'a': l.active = true; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ch_cli_usage_error(cli, "lease list", "unexpected argument");
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json(cli, &x, list_leases, &l);
    ctx_close(&x);
    return code;
}

static int show_lease(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err)
{
    return ch_coord_lease_show_json(x->s, &x->actor, *(int64_t *)arg, x->now, w, err);
}

static int lease_show(struct ch_cli *cli, int argc, char **argv)
{
    const char *as = NULL;
    int code = 0;
    if (as_only(cli, &ch_cli_cmd_lease, argc, argv, &as, &code) != 0)
        return code;
    int64_t id = 0;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "lease show", "name one ID");
    code = parse_id(cli, "lease show", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json(cli, &x, show_lease, &id);
    ctx_close(&x);
    return code;
}

static int lease_report(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"scanned", required_argument, NULL, 's'},
                                         {"tool", required_argument, NULL, 't'},
                                         {"findings", required_argument, NULL, 'f'},
                                         {"notes", required_argument, NULL, 'n'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_coord_report_new r = {.findings = -1};
    const char *as = NULL;
    struct ch_err err = CH_ERR_INIT;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_lease, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 's': r.scanned = optarg; break;
        case 't': r.tool = optarg; break;
        case 'f':
            if (ch_num_parse_i64(ch_str_c(optarg), 0, 100000000, &r.findings, &err) != CH_OK)
                return ch_cli_usage_error(cli, "lease report", "--findings: 0 to 100000000");
            break;
        case 'n': r.notes = optarg; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || r.scanned == NULL || r.tool == NULL || r.findings < 0)
        return ch_cli_usage_error(cli, "lease report",
                                  "expected ID --scanned TEXT --tool TEXT --findings N");
    code = parse_id(cli, "lease report", argv[optind], &r.lease_id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    int64_t id = 0;
    int rc = ch_coord_lease_report(x.c, x.s, &x.actor, &r, x.now, &id, &err);
    code = print_id(cli, rc, &err, "report", id);
    ctx_close(&x);
    return code;
}

static int run_lease(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"request", lease_request}, {"extend", lease_extend}, {"release", lease_release},
        {"revoke", lease_revoke},   {"list", lease_list},     {"show", lease_show},
        {"report", lease_report},   {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_lease, verbs, argc, argv);
}

/* ---- incident ---- */

static int add_file_evidence(struct ch_cli *cli, struct ctx *x, int64_t incident,
                             const char *kind, const char *path, const char *name)
{
    struct ch_buf data;
    ch_buf_init(&data, CLI_FILE_MAX);
    int code = read_whole(cli, path, &data);
    if (code == CH_EXIT_OK) {
        struct ch_err err = CH_ERR_INIT;
        struct ch_coord_evidence_new e = {.incident_id = incident,
                                          .kind = kind,
                                          .name = name != NULL ? name : path,
                                          .data = ch_buf_cstr(&data),
                                          .len = data.len};
        int64_t id = 0;
        if (ch_coord_incident_evidence_add(x->s, &x->actor, &e, x->now, &id, &err) != CH_OK)
            code = ch_cli_fail(cli, &err);
    }
    ch_buf_release(&data);
    return code;
}

#define INCIDENT_FILES_MAX 64

static int incident_open(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"title", required_argument, NULL, 't'},
                                         {"source", required_argument, NULL, 's'},
                                         {"target", required_argument, NULL, 'T'},
                                         {"at", required_argument, NULL, 'a'},
                                         {"classification", required_argument, NULL, 'c'},
                                         {"org", required_argument, NULL, 'o'},
                                         {"log", required_argument, NULL, 'l'},
                                         {"pcap", required_argument, NULL, 'p'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_coord_incident_new n = {.classification = CH_CLEAR_UNCLASSIFIED};
    const char *at = NULL, *org = NULL, *as = NULL;
    const char *logs[INCIDENT_FILES_MAX], *pcaps[INCIDENT_FILES_MAX];
    size_t n_logs = 0, n_pcaps = 0;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_incident, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 't': n.title = optarg; break;
        case 's': n.source = optarg; break;
        case 'T': n.target = optarg; break;
        case 'a': at = optarg; break;
        case 'c':
            if (ch_clearance_parse(optarg, &n.classification) != CH_OK)
                return ch_cli_usage_error(cli, "incident open",
                                          "--classification: unclassified, cui, secret or"
                                          " top_secret");
            break;
        case 'o': org = optarg; break;
        case 'l':
        case 'p':
            if ((c == 'l' ? n_logs : n_pcaps) >= INCIDENT_FILES_MAX)
                return ch_cli_usage_error(cli, "incident open", "at most %d files of a kind",
                                          INCIDENT_FILES_MAX);
            if (c == 'l')
                logs[n_logs++] = optarg;
            else
                pcaps[n_pcaps++] = optarg;
            break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind != argc || n.title == NULL || n.source == NULL || n.target == NULL || at == NULL)
        return ch_cli_usage_error(cli, "incident open",
                                  "expected --title T --source S --target T --at TIME");
    code = parse_time(cli, "incident open", "--at", at, &n.observed_at);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = org_id(cli, &x, org, &n.org_id);
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (code == CH_EXIT_OK &&
        ch_coord_incident_open(x.c, x.s, &x.actor, &n, x.now, &id, &err) != CH_OK)
        code = ch_cli_fail(cli, &err);
    for (size_t i = 0; code == CH_EXIT_OK && i < n_logs; i++)
        code = add_file_evidence(cli, &x, id, "log", logs[i], NULL);
    for (size_t i = 0; code == CH_EXIT_OK && i < n_pcaps; i++)
        code = add_file_evidence(cli, &x, id, "pcap", pcaps[i], NULL);
    if (code == CH_EXIT_OK)
        fprintf(cli->out, "{\"id\": %lld}\n", (long long)id);
    ctx_close(&x);
    return code;
}

static int incident_evidence(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"kind", required_argument, NULL, 'k'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"file", required_argument, NULL, 'f'},
                                         {"sha256", required_argument, NULL, 's'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *kind = NULL, *name = NULL, *file = NULL, *sha = NULL, *as = NULL;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_incident, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 'k': kind = optarg; break;
        case 'n': name = optarg; break;
        case 'f': file = optarg; break;
        case 's': sha = optarg; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    int64_t id = 0;
    if (optind + 1 != argc || kind == NULL || (file == NULL) == (sha == NULL))
        return ch_cli_usage_error(cli, "incident evidence",
                                  "expected ID --kind K (--file FILE | --sha256 HEX --name N)");
    code = parse_id(cli, "incident evidence", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    if (file != NULL) {
        code = add_file_evidence(cli, &x, id, kind, file, name);
    } else {
        struct ch_err err = CH_ERR_INIT;
        struct ch_coord_evidence_new e = {
            .incident_id = id, .kind = kind, .name = name, .sha256_hex = sha};
        int64_t eid = 0;
        if (ch_coord_incident_evidence_add(x.s, &x.actor, &e, x.now, &eid, &err) != CH_OK)
            code = ch_cli_fail(cli, &err);
    }
    if (code == CH_EXIT_OK)
        fprintf(cli->out, "{\"incident\": %lld}\n", (long long)id);
    ctx_close(&x);
    return code;
}

static int list_incidents(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err)
{
    (void)arg;
    return ch_coord_incident_list_json(x->s, &x->actor, w, err);
}

static int show_incident(struct ctx *x, struct ch_jw *w, void *arg, struct ch_err *err)
{
    return ch_coord_incident_show_json(x->s, &x->actor, *(int64_t *)arg, w, err);
}

static int incident_list(struct ch_cli *cli, int argc, char **argv)
{
    const char *as = NULL;
    int code = 0;
    if (as_only(cli, &ch_cli_cmd_incident, argc, argv, &as, &code) != 0)
        return code;
    if (optind != argc)
        return ch_cli_usage_error(cli, "incident list", "unexpected argument");
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json(cli, &x, list_incidents, NULL);
    ctx_close(&x);
    return code;
}

static int incident_show(struct ch_cli *cli, int argc, char **argv)
{
    const char *as = NULL;
    int code = 0;
    if (as_only(cli, &ch_cli_cmd_incident, argc, argv, &as, &code) != 0)
        return code;
    int64_t id = 0;
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "incident show", "name one ID");
    code = parse_id(cli, "incident show", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code != CH_EXIT_OK)
        return code;
    code = print_json(cli, &x, show_incident, &id);
    ctx_close(&x);
    return code;
}

static int incident_export(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *dir = NULL, *as = NULL;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_incident, argc, argv, "ho:", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 'o': dir = optarg; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    int64_t id = 0;
    if (optind + 1 != argc || dir == NULL)
        return ch_cli_usage_error(cli, "incident export", "expected ID -o DIR");
    code = parse_id(cli, "incident export", argv[optind], &id);
    if (code != CH_EXIT_OK)
        return code;
    char kbuf[4096];
    struct ch_keys keys;
    struct ch_err err = CH_ERR_INIT;
    if (ch_keys_load(ch_cli_keys_dir(cli, kbuf, sizeof(kbuf)), &keys, &err) != CH_OK) {
        ch_err_prefix(&err, "loading the server's keys (run `clearinghouse init`)");
        return ch_cli_fail(cli, &err);
    }
    struct ctx x;
    code = ctx_open(cli, as, false, &x);
    if (code == CH_EXIT_OK) {
        if (ch_coord_incident_export(x.s, &x.actor, id, &keys, dir, x.now, &err) != CH_OK)
            code = ch_cli_fail(cli, &err);
        else
            fprintf(cli->out, "{\"incident\": %lld, \"package\": \"%s\", \"key_id\": \"%s\"}\n",
                    (long long)id, dir, keys.key_id);
        ctx_close(&x);
    }
    ch_keys_wipe(&keys);
    return code;
}

static int load_public_key(struct ch_cli *cli, const char *arg, unsigned char pk[32])
{
    size_t n = 0;
    if (strlen(arg) == 64 &&
        sodium_hex2bin(pk, 32, arg, 64, NULL, &n, NULL) == 0 && n == 32)
        return CH_EXIT_OK;
    struct ch_buf b;
    ch_buf_init(&b, 4096);
    int code = read_whole(cli, arg, &b);
    struct ch_str t = ch_str_trim(ch_buf_str(&b));
    if (code == CH_EXIT_OK && b.len == 32) {
        memcpy(pk, ch_buf_cstr(&b), 32);
    } else if (code == CH_EXIT_OK &&
               !(t.len == 64 && sodium_hex2bin(pk, 32, t.ptr, 64, NULL, &n, NULL) == 0 &&
                 n == 32)) {
        code = ch_cli_usage_error(cli, "incident verify",
                                  "--key: a 32-byte signing.pub or 64 hex digits");
    }
    ch_buf_release(&b);
    return code;
}

static int incident_verify(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'}, CH_CLI_OPT_HELP,
                                         {0}};
    const char *key = NULL;
    int c, code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_incident, argc, argv, "h", opts, &code)) != -1) {
        if (c == -2)
            return code;
        if (c != 'k')
            return CH_EXIT_USAGE;
        key = optarg;
    }
    if (optind + 1 != argc)
        return ch_cli_usage_error(cli, "incident verify", "name one package DIR");
    unsigned char pk[32];
    if (key != NULL) {
        code = load_public_key(cli, key, pk);
        if (code != CH_EXIT_OK)
            return code;
    }
    struct ch_coord_package_report r;
    struct ch_err err = CH_ERR_INIT;
    if (ch_coord_package_verify(argv[optind], key != NULL ? pk : NULL, &r, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    struct ch_buf b;
    ch_buf_init(&b, 1 << 16);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    ch_jw_obj_open(&w);
    ch_jw_kbool(&w, "ok", r.ok);
    ch_jw_kint(&w, "incident", r.incident);
    ch_jw_kstr(&w, "key_id", r.key_id);
    ch_jw_kbool(&w, "key_from_manifest", r.key_from_manifest);
    ch_jw_kint(&w, "evidence_files", (int64_t)r.evidence_files);
    if (!r.ok)
        ch_jw_kstr(&w, "problem", r.problem);
    ch_jw_obj_close(&w);
    code = ch_cli_print_json(cli, &w, CH_OK, &err);
    ch_buf_release(&b);
    if (code == CH_EXIT_OK && !r.ok)
        code = CH_EXIT_FINDINGS;
    return code;
}

static int run_incident(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"open", incident_open}, {"evidence", incident_evidence}, {"list", incident_list},
        {"show", incident_show}, {"export", incident_export},     {"verify", incident_verify},
        {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_incident, verbs, argc, argv);
}
