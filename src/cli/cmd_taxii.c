/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_taxii.c: `clearinghouse taxii collections|sync|release`: the TAXII
 * collections with their object counts as a given organisation and
 * clearance see them, bringing the object index up to date, and releasing
 * an incident of unauthorised scanning to the indicators collection
 * (docs/sharing.md).
 */
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/num.h"
#include "identity/identity.h"
#include "share/collection.h"
#include "share/sources.h"
#include "share/stix.h"
#include "store/store.h"

static int run_taxii(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(taxii) = {
    .name = "taxii",
    .summary = "TAXII 2.1 collections: counts, index sync, releasing incidents",
    .usage = "usage: clearinghouse taxii collections [--org SLUG] [--clearance C]\n"
             "       clearinghouse taxii sync [--full]\n"
             "       clearinghouse taxii release INCIDENT --tlp LEVEL\n"
             "\n"
             "collections lists the four collections (id, title, objects) as seen by a\n"
             "member of --org with --clearance (default: no organisation, unclassified).\n"
             "sync renders what changed in the knowledge base, KEV, notices and released\n"
             "incidents into the object index (--full: everything again; unchanged\n"
             "objects get no new version). The server also syncs before answering when\n"
             "its last sync is older than a minute.\n"
             "release shares an incident's scanning source as an indicator under a TLP\n"
             "2.0 level: clear, green, amber or amber+strict (red is never shared).\n"
             "Output is JSON.\n",
    .run = run_taxii,
};

static int collections(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"org", required_argument, NULL, 'o'},
                                         {"clearance", required_argument, NULL, 'c'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *org = NULL;
    struct ch_share_viewer v = {.org_id = 0, .clearance = CH_CLEAR_UNCLASSIFIED};
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_taxii, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'o':
            org = optarg;
            break;
        case 'c':
            if (ch_clearance_parse(optarg, &v.clearance) != CH_OK)
                return ch_cli_usage_error(cli, "taxii collections", "unknown clearance '%s'",
                                          optarg);
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = org != NULL ? ch_org_find(s, org, &v.org_id, &err) : CH_OK;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    ch_jw_arr_open(&w);
    for (size_t i = 0; rc == CH_OK && ch_share_collection_at(i) != NULL; i++) {
        const struct ch_share_collection_info *ci = ch_share_collection_at(i);
        int64_t n = 0;
        rc = ch_share_collection_count(s, ci->key, &v, &n, &err);
        if (rc != CH_OK)
            break;
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "id", ci->id);
        ch_jw_kstr(&w, "alias", ci->key);
        ch_jw_kstr(&w, "title", ci->title);
        ch_jw_kint(&w, "objects", n);
        ch_jw_obj_close(&w);
    }
    ch_jw_arr_close(&w);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int sync_cmd(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"full", no_argument, NULL, 'f'}, CH_CLI_OPT_HELP, {0}};
    bool full = false;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_taxii, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 'f')
            full = true;
        else
            return CH_EXIT_USAGE;
    }
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    struct ch_share_sync_stats st = {0};
    int rc = ch_share_sync_builtin(s, ch_clock_now(&cli->clock), full, &st, &err);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"rendered\": %zu, \"new_versions\": %zu, \"unchanged\": %zu}\n",
            st.emitted, st.added, st.unchanged);
    return CH_EXIT_OK;
}

static int release(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"tlp", required_argument, NULL, 't'}, CH_CLI_OPT_HELP, {0}};
    const char *tlp_name = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_taxii, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 't')
            tlp_name = optarg;
        else
            return CH_EXIT_USAGE;
    }
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    enum ch_tlp tlp;
    if (optind + 1 != argc ||
        ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, &id, &err) != CH_OK)
        return ch_cli_usage_error(cli, "taxii release", "expected an INCIDENT id");
    if (tlp_name == NULL || ch_tlp_parse(tlp_name, &tlp, &err) != CH_OK)
        return ch_cli_usage_error(cli, "taxii release", "--tlp: clear, green, amber, amber+strict");
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    /* the command line is the local administrator: a clearinghouse-wide actor */
    int rc = ch_share_incident_release(s, id, tlp, 0, true, "cli", ch_clock_now(&cli->clock), &err);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"incident\": %lld, \"tlp\": \"%s\"}\n", (long long)id, ch_tlp_name(tlp));
    return CH_EXIT_OK;
}

static int run_taxii(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {
        {"collections", collections}, {"sync", sync_cmd}, {"release", release}, {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_taxii, verbs, argc, argv);
}
