/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_serve.c: `clearinghouse serve` runs the HTTP server until SIGINT or
 * SIGTERM.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "coord/service.h"
#include "core/num.h"
#include "disclose/publish.h"
#include "http/server.h"
#include "match/index.h"
#include "remediate/directive.h"
#include "remediate/report.h"
#include "store/store.h"
#include "web/web.h"

static int run_serve(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(serve) = {
    .name = "serve",
    .summary = "run the HTTP API server",
    .usage =
        "usage: clearinghouse [--db URL] serve [--listen HOST:PORT] [--loops N] [--workers N]\n"
        "                                      [--timeout MS] [--private]\n"
        "                                      [--base-url URL] [--publisher NAME]\n"
        "                                      [--directives DIR]\n"
        "                                      [--webhook-allow-private]\n"
        "\n"
        "Serves the HTTP API until SIGINT or SIGTERM, then finishes the requests in\n"
        "flight and exits. Prints 'listening on http://HOST:PORT' once ready (with\n"
        "port 0 the kernel picks a free port, and the line names it).\n"
        "\n"
        "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080;\n"
        "                      [::1]:8080 for IPv6)\n"
        "  --loops N           event loops (default: one per core)\n"
        "  --workers N         worker threads for database work (default: 2 per core)\n"
        "  --timeout MS        time allowed to send a request, and idle keep-alive\n"
        "                      (default 10000)\n"
        "  --private           require a token on public routes too\n"
        "  --base-url URL      public address of this server, named by the CSAF\n"
        "                      provider feed (default https://clearinghouse.invalid)\n"
        "  --publisher NAME    publisher named by the CSAF documents (default\n"
        "                      Clearinghouse)\n"
        "  --directives DIR    folder of remediation directives and SSVC tables\n"
        "                      (default $CLEARINGHOUSE_DIRECTIVES, else ./directives);\n"
        "                      named here, it must load; found by default, a folder\n"
        "                      that does not load leaves the directive, priority,\n"
        "                      compliance and remediation-change routes answering 503\n"
        "  --webhook-allow-private  let webhooks registered over the API post to\n"
        "                      loopback and private addresses (development, tests)\n"
        "\n"
        "The dashboard is served at /ui/ (sign in with a token; docs/dashboard.md);\n"
        "its compliance views use the directives above.\n",
    .run = run_serve,
};

static int parse_uint(struct ch_cli *cli, const char *opt, const char *v, unsigned max,
                      unsigned *ret)
{
    struct ch_err err = CH_ERR_INIT;
    uint64_t n;
    if (ch_num_parse_u64(ch_str_c(v), max, &n, &err) != CH_OK || n == 0)
        return ch_cli_usage_error(cli, "serve", "%s: expected a number from 1 to %u, got '%s'", opt,
                                  max, v);
    *ret = (unsigned)n;
    return CH_EXIT_OK;
}

/* The feed appends paths such as "/.well-known/csaf/..." to the base URL. */
static bool base_url_ok(const char *u)
{
    size_t skip = strncmp(u, "https://", 8) == 0 ? 8 : strncmp(u, "http://", 7) == 0 ? 7 : 0;
    size_t n = strlen(u);
    if (skip == 0 || n == skip || u[n - 1] == '/')
        return false;
    for (const char *p = u; *p != '\0'; p++)
        if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == 0x7f)
            return false;
    return true;
}

/* What the remediation routes decide with, loaded once and shared read-only by the workers. */
struct rem_data {
    struct ch_directive_set *set;
    struct ch_ssvc_table *table;
};

/*
 * Loads the directives and the priority table from the folder the CLI uses.
 * A folder named with --directives must load; the default one may be absent
 * (a server that only serves the knowledge base needs none), which is said
 * once and leaves the routes that need it answering 503.
 */
static int load_remediation(struct ch_cli *cli, const char *flag, struct rem_data *ret)
{
    const char *dir = ch_cli_directives_dir(flag);
    struct ch_err err = CH_ERR_INIT;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, CH_PRIORITY_TABLE);
    int rc = ch_directive_set_load(dir, &ret->set, &err);
    if (rc == CH_OK)
        rc = ch_ssvc_table_load(path, &ret->table, &err);
    if (rc == CH_OK)
        return CH_EXIT_OK;
    ch_directive_set_free(ret->set);
    ret->set = NULL;
    if (flag != NULL)
        return ch_cli_fail(cli, &err);
    fprintf(cli->errout,
            "%s: warning: %s; remediation directives are disabled (see --directives)\n", cli->prog,
            err.msg);
    return CH_EXIT_OK;
}

static void free_remediation(struct rem_data *d)
{
    ch_directive_set_free(d->set);
    ch_ssvc_table_free(d->table);
}

static int run_serve(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"loops", required_argument, NULL, 'L'},
                                         {"workers", required_argument, NULL, 'w'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"private", no_argument, NULL, 'p'},
                                         {"base-url", required_argument, NULL, 'b'},
                                         {"publisher", required_argument, NULL, 'P'},
                                         {"directives", required_argument, NULL, 'D'},
                                         {"webhook-allow-private", no_argument, NULL, 'W'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_disclose_publisher pub = {0};
    struct ch_server_options so = {.listen = CH_SERVER_DEFAULT_LISTEN, .announce = stdout};
    struct ch_app app = {.clock = cli->clock, .version = CH_VERSION};
    const char *directives_flag = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_serve, argc, argv, "h", opts, &exit_code)) != -1) {
        int r = CH_EXIT_OK;
        switch (c) {
        case -2:
            return exit_code;
        case 'l':
            so.listen = optarg;
            break;
        case 'L':
            r = parse_uint(cli, "--loops", optarg, 256, &so.loops);
            break;
        case 'w':
            r = parse_uint(cli, "--workers", optarg, 1024, &so.workers);
            break;
        case 't':
            r = parse_uint(cli, "--timeout", optarg, 3600000, &so.request_timeout_ms);
            break;
        case 'p':
            app.private_mode = true;
            break;
        case 'b':
            pub.base_url = optarg;
            break;
        case 'P':
            pub.name = optarg;
            break;
        case 'D':
            directives_flag = optarg;
            break;
        case 'W':
            app.webhook_allow_private = true;
            break;
        default:
            return CH_EXIT_USAGE;
        }
        if (r != CH_EXIT_OK)
            return r;
    }
    if (optind < argc)
        return ch_cli_usage_error(cli, "serve", "unexpected argument '%s'", argv[optind]);
    if (pub.base_url != NULL && !base_url_ok(pub.base_url))
        return ch_cli_usage_error(cli, "serve",
                                  "--base-url: expected http:// or https:// and a host, with no"
                                  " trailing '/', got '%s'",
                                  pub.base_url);
    app.publisher = &pub;
    struct rem_data rem = {0};
    int code = load_remediation(cli, directives_flag, &rem);
    if (code != CH_EXIT_OK)
        return code;
    app.directives = rem.set;
    app.priority_table = rem.table;

    struct ch_err err = CH_ERR_INIT;
    app.db_url = ch_cli_db_url(cli);
    struct ch_store *s = NULL;
    if (ch_store_open(app.db_url, NULL, &s, &err) != CH_OK) {
        free_remediation(&rem);
        return ch_cli_fail(cli, &err);
    }
    int rc = ch_store_schema_version(s, &app.schema_version, &err);
    /* the OSV query API matches against an index of the knowledge base as it is at start */
    struct ch_match_index *ix = NULL;
    struct ch_match_build_stats bs;
    if (rc == CH_OK)
        rc = ch_match_index_build(s, &ix, &bs, &err);
    /* the deconfliction index of current leases, kept in step by each request */
    struct ch_coord *coord = NULL;
    if (rc == CH_OK)
        rc = ch_coord_new(s, NULL, ch_clock_now(&cli->clock), &coord, &err);
    ch_store_free(s);
    if (rc != CH_OK) {
        ch_match_index_free(ix);
        free_remediation(&rem);
        return ch_cli_fail(cli, &err);
    }
    app.match = ix;
    app.coord = coord;
    fprintf(cli->errout, "matching index: %zu affected entries of %zu packages (%.0f ms)\n",
            bs.entries, bs.packages, bs.seconds * 1e3);
    char kbuf[1024];
    const char *keys = ch_cli_keys_dir(cli, kbuf, sizeof(kbuf));
    struct ch_err kerr = CH_ERR_INIT;
    if (ch_keys_load(keys, &app.keys, &kerr) == CH_OK) {
        app.have_keys = true;
    } else if (kerr.rc != CH_E_NOTFOUND) {
        ch_match_index_free(ix);
        ch_coord_free(coord);
        free_remediation(&rem);
        return ch_cli_fail(cli, &kerr); /* present but unsafe or damaged: do not serve */
    } else {
        /* serving works without keys; signing (audit checkpoints) needs them */
        fprintf(cli->errout, "%s: warning: %s; signing is disabled\n", cli->prog, kerr.msg);
    }
    /* the dashboard: session keys drawn now, the directives loaded above */
    struct ch_web_options wo = {.directives = rem.set};
    struct ch_web *web = NULL;
    if (ch_web_new(&wo, &web, &err) != CH_OK) {
        ch_keys_wipe(&app.keys);
        ch_match_index_free(ix);
        ch_coord_free(coord);
        free_remediation(&rem);
        return ch_cli_fail(cli, &err);
    }
    app.web = web;
    so.pages = ch_web_pages;
    app.started_at = ch_clock_now(&app.clock);
    rc = ch_server_run(&so, &app, &err);
    ch_web_free(web);
    ch_keys_wipe(&app.keys);
    ch_match_index_free(ix);
    ch_coord_free(coord);
    free_remediation(&rem);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    return CH_EXIT_OK;
}
