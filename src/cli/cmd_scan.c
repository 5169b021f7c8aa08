/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_scan.c: `clearinghouse scan PATH...` matches inventories (SBOMs,
 * lockfiles, dpkg status files, or directories holding them) against the
 * knowledge base.
 */
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "config.h"
#include "match/scan.h"
#include "sbom/sbom.h"
#include "store/store.h"

static int run_scan(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(scan) = {
    .name = "scan",
    .summary = "find known vulnerabilities in SBOMs, lockfiles and package lists",
    .usage =
        "usage: clearinghouse scan [--format FORMAT] [--fail-on LEVEL] [--distro ID]\n"
        "                          [--release VERSION] [--stats] PATH...\n"
        "\n"
        "Reads each PATH (CycloneDX or SPDX JSON, dpkg status, package-lock.json,\n"
        "requirements.txt, go.mod, Cargo.lock, Gemfile.lock, composer.lock; a\n"
        "directory is walked for those names) and prints every affected component\n"
        "with the vulnerability, its aliases, severity, KEV flag and due date, EPSS,\n"
        "and the smallest version that fixes everything found in it.\n"
        "\n"
        "  --format FORMAT   table (default), json, sarif, cyclonedx-vex, openvex\n"
        "  --fail-on LEVEL   exit 1 when a finding is at least low, medium, high or\n"
        "                    critical, or (kev) is a known exploited vulnerability\n"
        "  --distro ID       distribution of dpkg status files (debian, ubuntu);\n"
        "  --release VERSION and its release (12, 22.04); default: from os-release\n"
        "  --stats           timings and counts on stderr\n"
        "\n"
        "Exit status: 0 no finding at the --fail-on level, 1 findings at that level,\n"
        "3 unreadable input.\n",
    .run = run_scan,
};

static bool fails(const struct ch_scan_report *r, const char *level)
{
    if (level == NULL)
        return false;
    bool kev = strcmp(level, "kev") == 0;
    int min = kev ? -1 : ch_severity_rank(level);
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct ch_scan_finding *f = &r->findings[i];
        if (kev ? f->kev : ch_severity_rank(f->severity) >= min)
            return true;
    }
    return false;
}

static int read_inputs(struct ch_cli *cli, struct ch_inventory *inv, char **paths, int n,
                       const struct ch_sbom_options *so)
{
    for (int i = 0; i < n; i++) {
        struct ch_err err = CH_ERR_INIT;
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            ch_err_set(&err, CH_E_IO, "cannot read '%s'", paths[i]);
            return ch_cli_fail(cli, &err);
        }
        int rc = S_ISDIR(st.st_mode) ? ch_sbom_scan_dir(inv, paths[i], so, &err)
                                      : ch_sbom_read_file(inv, paths[i], CH_SBOM_UNKNOWN, so, &err);
        if (rc < 0)
            return ch_cli_fail(cli, &err);
    }
    return CH_EXIT_OK;
}

static int run_scan(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"fail-on", required_argument, NULL, 'F'},
        {"distro", required_argument, NULL, 'd'}, {"release", required_argument, NULL, 'r'},
        {"stats", no_argument, NULL, 's'},        CH_CLI_OPT_HELP,
        {0}};
    enum ch_scan_format fmt = CH_SCAN_TABLE;
    const char *fail_on = NULL;
    bool stats = false;
    struct ch_sbom_options so = {0};
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_scan, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2: return exit_code;
        case 'f':
            if (ch_scan_format_parse(optarg, &fmt) != CH_OK)
                return ch_cli_usage_error(cli, "scan", "unknown format '%s'", optarg);
            break;
        case 'F':
            if (strcmp(optarg, "kev") != 0 && ch_severity_rank(optarg) < 1)
                return ch_cli_usage_error(cli, "scan", "--fail-on: low, medium, high, critical "
                                                       "or kev");
            fail_on = optarg;
            break;
        case 'd': so.distro = optarg; break;
        case 'r': so.distro_release = optarg; break;
        case 's': stats = true; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return ch_cli_usage_error(cli, "scan", "name at least one PATH");
    int64_t t0 = ch_clock_mono_ns();
    struct ch_err err = CH_ERR_INIT;
    struct ch_inventory *inv = NULL;
    if (ch_inventory_new(NULL, &inv, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    int code = read_inputs(cli, inv, argv + optind, argc - optind, &so);
    int64_t t_read = ch_clock_mono_ns();
    struct ch_store *s = NULL;
    struct ch_match_index *ix = NULL;
    struct ch_match_build_stats bs = {0};
    struct ch_scan_report rep = {0};
    struct ch_buf out;
    ch_buf_init(&out, (size_t)512 << 20);
    if (code == CH_EXIT_OK)
        code = ch_cli_open_store(cli, &s);
    if (code == CH_EXIT_OK && ch_match_index_build(s, &ix, &bs, &err) != CH_OK)
        code = ch_cli_fail(cli, &err);
    if (code == CH_EXIT_OK && ch_scan_run(s, ix, inv, &rep, &err) != CH_OK)
        code = ch_cli_fail(cli, &err);
    if (code == CH_EXIT_OK &&
        ch_scan_render(&rep, fmt, ch_clock_now(&cli->clock), CH_VERSION, &out, &err) != CH_OK)
        code = ch_cli_fail(cli, &err);
    if (code == CH_EXIT_OK) {
        fwrite(ch_buf_cstr(&out), 1, ch_buf_len(&out), cli->out);
        size_t skipped = ch_inventory_n_skipped_total(inv);
        if (skipped > 0)
            fprintf(cli->errout, "%zu inventory entries skipped (see --format json)\n", skipped);
        if (stats)
            fprintf(cli->errout,
                    "read %zu components in %.1f ms; index %zu entries / %zu packages built in "
                    "%.1f ms (%.1f MB); match %.2f ms; total %.1f ms\n",
                    ch_inventory_count(inv), (double)(t_read - t0) / 1e6, bs.entries, bs.packages,
                    bs.seconds * 1e3, (double)bs.bytes / 1048576.0, rep.match_seconds * 1e3,
                    (double)(ch_clock_mono_ns() - t0) / 1e6);
        if (fails(&rep, fail_on))
            code = CH_EXIT_FINDINGS;
    }
    ch_buf_release(&out);
    ch_scan_report_release(&rep);
    ch_match_index_free(ix);
    ch_store_free(s);
    ch_inventory_free(inv);
    return code;
}
