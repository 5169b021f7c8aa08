/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_asset.c: `clearinghouse asset add|list|show|inventory|set`: the
 * systems of organisations and their software inventories
 * (docs/remediation.md). Attaching an inventory computes the asset's
 * exposures at once.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/num.h"
#include "identity/identity.h"
#include "remediate/exposure.h"
#include "store/store.h"

static int run_asset(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(asset) = {
    .name = "asset",
    .summary = "register assets and attach their software inventories",
    .usage =
        "usage: clearinghouse asset add NAME --org ORG [--env ENV] [--internet-facing "
        "yes|no|unknown]\n"
        "                               [--mission low|medium|high] [--wellbeing low|medium|high]\n"
        "                               [--tags a,b]\n"
        "       clearinghouse asset list [--org ORG]\n"
        "       clearinghouse asset show NAME --org ORG\n"
        "       clearinghouse asset inventory NAME --org ORG FILE [--format F] [--distro ID]\n"
        "                               [--distro-release R]\n"
        "       clearinghouse asset set NAME --org ORG --internet-facing yes|no|unknown\n"
        "\n"
        "add        registers a system of an organisation; internet-facing defaults to\n"
        "           unknown (treated as exposed under BOD 26-04), impacts to medium\n"
        "inventory  attaches an SBOM (CycloneDX, SPDX), dpkg status file or lockfile;\n"
        "           the newest inventory replaces the previous one (history is kept)\n"
        "           and the asset's exposures are recomputed; prints a JSON summary\n"
        "set        changes whether the asset is internet-facing; deadlines are re-decided\n"
        "\n"
        "Directives come from $CLEARINGHOUSE_DIRECTIVES or ./directives.\n"
        "Output is JSON. Exit status: 0 ok, 2 usage, 3 bad input or unknown asset.\n",
    .run = run_asset,
};

/* Opens the store and the directives; on failure prints and returns the exit code. */
static int open_ctx(struct ch_cli *cli, struct ch_store **s, struct ch_directive_set **set,
                    struct ch_rem_ctx *ctx)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_directive_set_load(ch_cli_directives_dir(NULL), set, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    int code = ch_cli_open_store(cli, s);
    if (code != CH_EXIT_OK) {
        ch_directive_set_free(*set);
        *set = NULL;
        return code;
    }
    *ctx = (struct ch_rem_ctx){
        .store = *s, .directives = *set, .now = ch_clock_now(&cli->clock), .actor = "cli"};
    return CH_EXIT_OK;
}

struct opts {
    const char *org, *env, *facing, *mission, *wellbeing, *tags, *format, *distro, *release;
};

static int parse(struct ch_cli *cli, int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {{"org", required_argument, NULL, 'o'},
                                       {"env", required_argument, NULL, 'e'},
                                       {"internet-facing", required_argument, NULL, 'i'},
                                       {"mission", required_argument, NULL, 'm'},
                                       {"wellbeing", required_argument, NULL, 'w'},
                                       {"tags", required_argument, NULL, 't'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"distro", required_argument, NULL, 'd'},
                                       {"distro-release", required_argument, NULL, 'r'},
                                       CH_CLI_OPT_HELP,
                                       {0}};
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_asset, argc, argv, "h", lo, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'o':
            o->org = optarg;
            break;
        case 'e':
            o->env = optarg;
            break;
        case 'i':
            o->facing = optarg;
            break;
        case 'm':
            o->mission = optarg;
            break;
        case 'w':
            o->wellbeing = optarg;
            break;
        case 't':
            o->tags = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'd':
            o->distro = optarg;
            break;
        case 'r':
            o->release = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    return -1;
}

static int print(struct ch_cli *cli, struct ch_jw *w, int rc, struct ch_err *err)
{
    return ch_cli_print_json(cli, w, rc, err);
}

static int asset_add(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    if (optind + 1 != argc || o.org == NULL)
        return ch_cli_usage_error(cli, "asset add", "expected NAME --org ORG");
    struct ch_asset_new a = {.name = argv[optind],
                             .environment = o.env,
                             .tags = o.tags,
                             .internet_facing = CH_ASSET_EXPOSED_UNKNOWN,
                             .mission = CH_IMPACT_MEDIUM,
                             .wellbeing = CH_IMPACT_MEDIUM};
    if (o.facing != NULL && ch_asset_exposure_parse(o.facing, &a.internet_facing) != CH_OK)
        return ch_cli_usage_error(cli, "asset add", "--internet-facing: yes, no or unknown");
    if ((o.mission != NULL && ch_impact_parse(o.mission, &a.mission) != CH_OK) ||
        (o.wellbeing != NULL && ch_impact_parse(o.wellbeing, &a.wellbeing) != CH_OK))
        return ch_cli_usage_error(cli, "asset add", "impacts are low, medium or high");
    struct ch_store *s = NULL;
    struct ch_directive_set *set = NULL;
    struct ch_rem_ctx ctx;
    code = open_ctx(cli, &s, &set, &ctx);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    int rc = ch_org_find(s, o.org, &a.org_id, &err);
    if (rc == CH_OK)
        rc = ch_asset_create(&ctx, &a, &id, &err);
    ch_store_free(s);
    ch_directive_set_free(set);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"id\": %lld, \"org\": \"%s\", \"name\": ", (long long)id, o.org);
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    (void)ch_json_append_string(&b, a.name, strlen(a.name));
    fprintf(cli->out, "%s}\n", ch_buf_cstr(&b));
    ch_buf_release(&b);
    return CH_EXIT_OK;
}

static int asset_list(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t org = 0;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = o.org != NULL ? ch_org_find(s, o.org, &org, &err) : CH_OK;
    if (rc == CH_OK)
        rc = ch_asset_list_json(s, org, &w, &err);
    code = print(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

/* The asset named by NAME --org ORG. */
static int find_asset(struct ch_store *s, const char *org, const char *name, int64_t *ret_org,
                      int64_t *ret_id, struct ch_err *err)
{
    int rc = ch_org_find(s, org, ret_org, err);
    if (rc == CH_OK)
        rc = ch_asset_find(s, *ret_org, name, ret_id, err);
    return rc;
}

static int asset_show(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    if (optind + 1 != argc || o.org == NULL)
        return ch_cli_usage_error(cli, "asset show", "expected NAME --org ORG");
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t org = 0, id = 0;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = find_asset(s, o.org, argv[optind], &org, &id, &err);
    if (rc == CH_OK)
        rc = ch_asset_show_json(s, org, id, &w, &err);
    code = print(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int read_input(const char *path, struct ch_buf *out, struct ch_err *err)
{
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open '%s'", path);
    char chunk[65536];
    size_t n;
    int rc = CH_OK;
    while (rc == CH_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (ch_buf_append(out, chunk, n) != CH_OK)
            rc = ch_err_set(err, CH_E_LIMIT, "'%s' is larger than %zu bytes", path,
                            CH_SBOM_MAX_FILE_BYTES);
    }
    if (rc == CH_OK && ferror(f))
        rc = ch_err_set(err, CH_E_IO, "cannot read '%s'", path);
    fclose(f);
    return rc;
}

static int asset_inventory(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    if (optind + 2 != argc || o.org == NULL)
        return ch_cli_usage_error(cli, "asset inventory", "expected NAME --org ORG FILE");
    enum ch_sbom_format fmt = CH_SBOM_UNKNOWN;
    if (o.format != NULL && (fmt = ch_sbom_format_from_name(o.format)) == CH_SBOM_UNKNOWN)
        return ch_cli_usage_error(cli, "asset inventory", "unknown format '%s'", o.format);
    const char *path = argv[optind + 1];
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf data;
    ch_buf_init(&data, CH_SBOM_MAX_FILE_BYTES);
    int rc = read_input(path, &data, &err);
    if (rc != CH_OK) {
        ch_buf_release(&data);
        return ch_cli_fail(cli, &err);
    }
    struct ch_store *s = NULL;
    struct ch_directive_set *set = NULL;
    struct ch_rem_ctx ctx;
    code = open_ctx(cli, &s, &set, &ctx);
    if (code != CH_EXIT_OK) {
        ch_buf_release(&data);
        return code;
    }
    struct ch_sbom_options so = {.distro = o.distro, .distro_release = o.release};
    const char *base = strrchr(path, '/');
    struct ch_inventory_attach in = {.file_name = base != NULL ? base + 1 : path,
                                     .data = ch_buf_cstr(&data),
                                     .len = ch_buf_len(&data),
                                     .format = fmt,
                                     .sbom = &so};
    int64_t org = 0, version = 0;
    struct ch_exposure_stats st = {0};
    rc = find_asset(s, o.org, argv[optind], &org, &in.asset_id, &err);
    if (rc == CH_OK)
        rc = ch_asset_attach_inventory(&ctx, org, &in, &version, &st, &err);
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "asset", argv[optind]);
    ch_jw_kint(&w, "inventory_version", version);
    ch_exposure_stats_json(&st, &w);
    ch_jw_obj_close(&w);
    code = print(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_buf_release(&data);
    ch_store_free(s);
    ch_directive_set_free(set);
    return code;
}

static int asset_set(struct ch_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    int code = parse(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    enum ch_asset_exposure e = CH_ASSET_EXPOSED_UNKNOWN;
    if (optind + 1 != argc || o.org == NULL || o.facing == NULL ||
        ch_asset_exposure_parse(o.facing, &e) != CH_OK)
        return ch_cli_usage_error(cli, "asset set",
                                  "expected NAME --org ORG --internet-facing yes|no|unknown");
    struct ch_store *s = NULL;
    struct ch_directive_set *set = NULL;
    struct ch_rem_ctx ctx;
    code = open_ctx(cli, &s, &set, &ctx);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t org = 0, id = 0;
    int rc = find_asset(s, o.org, argv[optind], &org, &id, &err);
    if (rc == CH_OK)
        rc = ch_asset_set_exposure(&ctx, org, id, e, &err);
    ch_store_free(s);
    ch_directive_set_free(set);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"asset\": %lld, \"internet_facing\": \"%s\"}\n", (long long)id,
            ch_asset_exposure_name(e));
    return CH_EXIT_OK;
}

static int run_asset(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"add", asset_add},   {"list", asset_list},
                                               {"show", asset_show}, {"inventory", asset_inventory},
                                               {"set", asset_set},   {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_asset, verbs, argc, argv);
}
