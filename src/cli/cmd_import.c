/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_import.c: `clearinghouse import` fills the knowledge base from feeds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/num.h"
#include "core/progress.h"
#include "jobs/jobs.h"
#include "store/store.h"
#include "vuln/import.h"

/* Rejections echoed to the terminal; all of them are kept in the database. */
#define IMPORT_MAX_PRINTED_REJECTS 50
#define IMPORT_MAX_JSON_REJECTS 1000

static int run_import(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(import) = {
    .name = "import",
    .summary = "import vulnerability feeds (OSV, CVE 5, CSAF, KEV, EPSS)",
    .usage =
        "usage: clearinghouse import [--format FORMAT] [--json] [--async] PATH...\n"
        "\n"
        "Imports advisories into the knowledge base. A PATH is a record file\n"
        "(.json, .csv, also .gz or .zst), an archive (.zip, .tar, .tar.gz, .tar.zst)\n"
        "or a directory, walked recursively. Each record's format is detected unless\n"
        "--format names it.\n"
        "\n"
        "Re-importing the same data changes nothing; a record with a newer 'modified'\n"
        "replaces the older one; withdrawn records are kept, marked, and not matched.\n"
        "Bad records are reported with their file and place, skipped, and kept in the\n"
        "import's reject list; the import goes on.\n"
        "\n"
        "  --format FORMAT  auto (default), osv, cve5, csaf, kev or epss\n"
        "  --json           print the summary (and the rejections) as JSON\n"
        "  --async          queue an import job for `clearinghouse worker` instead\n"
        "                   (paths are made absolute; the worker must see them);\n"
        "                   prints the job as JSON: `clearinghouse jobs show ID`\n"
        "\n"
        "Exposures follow the knowledge base through `clearinghouse exposure\n"
        "recompute`: run it after an import. An --async import that changed anything\n"
        "queues that run as an exposure.recompute job itself.\n"
        "\n"
        "Exit status: 0 when every record was accepted, 3 when any was rejected\n"
        "(the good ones are stored), 4 when the database failed.\n",
    .run = run_import,
};

struct import_ui {
    struct ch_cli *cli;
    struct ch_progress *bar;
    bool json;
    size_t printed;
    struct ch_buf rejects;   /* JSON array items, for --json */
    size_t n_json;
};

static void on_reject(void *ctx, const char *file, const char *location, const char *reason)
{
    struct import_ui *ui = ctx;
    if (ui->json) {
        if (ui->n_json++ >= IMPORT_MAX_JSON_REJECTS)
            return;
        struct ch_jw w;
        ch_jw_init(&w, &ui->rejects, 0);
        if (ui->n_json > 1)
            (void)ch_buf_append_byte(&ui->rejects, ',');
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "file", file);
        ch_jw_kstr(&w, "location", location);
        ch_jw_kstr(&w, "reason", reason);
        ch_jw_obj_close(&w);
        return;
    }
    if (ui->printed++ >= IMPORT_MAX_PRINTED_REJECTS)
        return;
    if (ch_progress_active(ui->bar))
        fputs("\r\033[K", ui->cli->errout);
    fprintf(ui->cli->errout, "rejected: %s\n", reason);
}

static void on_progress(void *ctx, uint64_t records, const char *file, uint64_t done,
                        uint64_t total)
{
    struct import_ui *ui = ctx;
    char status[64];
    const char *base = strrchr(file, '/');
    snprintf(status, sizeof(status), "%llu records %.30s", (unsigned long long)records,
             base != NULL ? base + 1 : file);
    ch_progress_set_total(ui->bar, total);
    ch_progress_update(ui->bar, done, status);
}

static int parse_format(const char *s, enum ch_feed_format *ret)
{
    if (strcmp(s, "auto") == 0) {
        *ret = CH_FEED_UNKNOWN;
        return 0;
    }
    static const struct {
        const char *name;
        enum ch_feed_format f;
    } names[] = {{"osv", CH_FEED_OSV}, {"cve5", CH_FEED_CVE5}, {"csaf", CH_FEED_CSAF},
                 {"kev", CH_FEED_KEV}, {"epss", CH_FEED_EPSS}};
    for (size_t i = 0; i < CH_ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *ret = names[i].f;
            return 0;
        }
    }
    return -1;
}

static void print_summary(struct import_ui *ui, const struct ch_import_stats *st)
{
    double rate = st->seconds > 0 ? (double)st->records / st->seconds : 0;
    if (!ui->json) {
        fprintf(ui->cli->out,
                "imported %llu records from %llu files in %.2f s (%.0f records/s): %llu added, "
                "%llu updated, %llu unchanged, %llu withdrawn, %llu rejected\n",
                (unsigned long long)st->records, (unsigned long long)st->files, st->seconds, rate,
                (unsigned long long)st->added, (unsigned long long)st->updated,
                (unsigned long long)st->unchanged, (unsigned long long)st->withdrawn,
                (unsigned long long)st->rejected);
        if (ui->printed > IMPORT_MAX_PRINTED_REJECTS)
            fprintf(ui->cli->errout, "(%zu more rejections not shown; all are in import %lld)\n",
                    ui->printed - IMPORT_MAX_PRINTED_REJECTS, (long long)st->import_id);
        return;
    }
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "import_id", st->import_id);
    ch_jw_kint(&w, "files", (int64_t)st->files);
    ch_jw_kint(&w, "records", (int64_t)st->records);
    ch_jw_kint(&w, "added", (int64_t)st->added);
    ch_jw_kint(&w, "updated", (int64_t)st->updated);
    ch_jw_kint(&w, "unchanged", (int64_t)st->unchanged);
    ch_jw_kint(&w, "withdrawn", (int64_t)st->withdrawn);
    ch_jw_kint(&w, "rejected", (int64_t)st->rejected);
    ch_jw_kdouble(&w, "seconds", st->seconds);
    ch_jw_kdouble(&w, "records_per_second", rate);
    ch_jw_key(&w, "rejects");
    ch_jw_raw(&w, "[", 1);
    (void)ch_buf_append_str(&b, ch_buf_str(&ui->rejects));
    (void)ch_buf_append_byte(&b, ']');
    ch_jw_obj_close(&w);
    fprintf(ui->cli->out, "%s\n", ch_buf_cstr(&b));
    ch_buf_release(&b);
}

/* --async: the paths (made absolute) and format become an "import" job's payload. */
static int enqueue_import(struct ch_cli *cli, enum ch_feed_format format, char **paths,
                          size_t n_paths)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_buf b;
    ch_buf_init(&b, CH_JOBS_PAYLOAD_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "paths");
    ch_jw_arr_open(&w);
    int rc = CH_OK;
    for (size_t i = 0; i < n_paths && rc == CH_OK; i++) {
        char *abs = realpath(paths[i], NULL);
        if (abs == NULL) {
            rc = ch_err_set(&err, CH_E_IO, "cannot resolve '%s': %s", paths[i], strerror(errno));
            break;
        }
        ch_jw_cstr(&w, abs);
        free(abs); /* from libc's realpath */
    }
    ch_jw_arr_close(&w);
    ch_jw_kstr(&w, "format", format == CH_FEED_UNKNOWN ? "auto" : ch_feed_format_name(format));
    ch_jw_obj_close(&w);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, &err);
    struct ch_store *s = NULL;
    if (rc == CH_OK)
        rc = ch_store_open(ch_cli_db_url(cli), NULL, &s, &err);
    int64_t id = 0;
    if (rc == CH_OK) {
        const struct ch_job_new j = {.kind = "import", .payload = ch_buf_cstr(&b), .actor = "cli"};
        rc = ch_jobs_enqueue(s, &j, ch_clock_now(&cli->clock), &id, NULL, &err);
    }
    ch_store_free(s);
    ch_buf_release(&b);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"job_id\": %lld, \"kind\": \"import\", \"state\": \"queued\"}\n",
            (long long)id);
    return CH_EXIT_OK;
}

static int run_import(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"async", no_argument, NULL, 'a'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    struct ch_import_options io = {.format = CH_FEED_UNKNOWN};
    struct import_ui ui = {.cli = cli};
    bool async = false;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_import, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2: return exit_code;
        case 'f':
            if (parse_format(optarg, &io.format) != 0)
                return ch_cli_usage_error(cli, "import", "unknown format '%s'", optarg);
            break;
        case 'j': ui.json = true; break;
        case 'a': async = true; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return ch_cli_usage_error(cli, "import", "name at least one PATH");
    if (async)
        return enqueue_import(cli, io.format, argv + optind, (size_t)(argc - optind));
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    if (ch_store_open(ch_cli_db_url(cli), NULL, &s, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    ch_buf_init(&ui.rejects, (size_t)16 << 20);
    ui.bar = ch_progress_new(cli->errout, "import", 0);
    io.now = ch_clock_now(&cli->clock);
    io.on_reject = on_reject;
    io.on_progress = on_progress;
    io.ctx = &ui;
    struct ch_import_stats st;
    int rc = ch_import_paths(s, (const char *const *)argv + optind, (size_t)(argc - optind), &io,
                             &st, &err);
    ch_progress_free(ui.bar);
    ch_store_free(s);
    if (rc != CH_OK) {
        ch_buf_release(&ui.rejects);
        return ch_cli_fail(cli, &err);
    }
    print_summary(&ui, &st);
    ch_buf_release(&ui.rejects);
    return st.rejected > 0 ? CH_EXIT_INPUT : CH_EXIT_OK;
}
