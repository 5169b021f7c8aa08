/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_version.c: `clearinghouse version compare`, the ecosystem version
 * orders of src/version/ on the command line.
 *
 *   clearinghouse version compare ECOSYSTEM A B     prints <, = or >
 *   clearinghouse version compare --batch ECOSYSTEM reads "A<TAB>B" lines
 *
 * Batch mode is built for millions of pairs: stdin is read in large blocks
 * and split in place, answers go out through one large stdio buffer, and a
 * bad line is answered with "error: ..." without stopping the run.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "version/version.h"

/* Input block for batch mode; a line longer than this (two versions at the limit
 * and then some) is answered with an error. */
#define BATCH_BLOCK_BYTES ((size_t)1 << 20)
#define BATCH_OUT_BUFFER_BYTES ((size_t)1 << 16)

static int run_version(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(version) = {
    .name = "version",
    .summary = "compare package versions by their ecosystem's rules",
    .usage = "usage: clearinghouse version compare ECOSYSTEM A B\n"
             "       clearinghouse version compare --batch ECOSYSTEM < pairs\n"
             "\n"
             "Compares versions as the OSV ecosystem ECOSYSTEM orders them (npm,\n"
             "PyPI, Maven, Go, Debian:12, Alpine:v3.19, Red Hat, ...) and prints\n"
             "'<', '=' or '>'.\n"
             "\n"
             "  --batch    read lines 'A<TAB>B' from standard input and print one\n"
             "             answer per line, or 'error: MESSAGE' for a bad line\n"
             "\n"
             "Exit status: 0 ok; 2 usage; 3 invalid version or unknown ecosystem\n"
             "(in batch mode: when any line was answered with an error).\n",
    .run = run_version,
};

static const char *cmp_symbol(int c)
{
    return c < 0 ? "<" : (c > 0 ? ">" : "=");
}

/* Answers one batch line on out; returns false when the answer was an error. */
static bool answer_line(FILE *out, const struct ch_version_scheme *s, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    const char *tab = memchr(line, '\t', len);
    if (tab == NULL) {
        fputs("error: expected 'A<TAB>B'\n", out);
        return false;
    }
    struct ch_str a = ch_str_make(line, (size_t)(tab - line));
    struct ch_str b = ch_str_make(tab + 1, len - (size_t)(tab - line) - 1);
    struct ch_err err = CH_ERR_INIT;
    int c = 0;
    if (ch_version_cmp(s, a, b, &c, &err) != CH_OK) {
        fprintf(out, "error: %s\n", err.msg);
        return false;
    }
    fputs(cmp_symbol(c), out);
    fputc('\n', out);
    return true;
}

static int run_batch(struct ch_cli *cli, const struct ch_version_scheme *s)
{
    char *block = ch_malloc(BATCH_BLOCK_BYTES);
    if (block == NULL) {
        fprintf(cli->errout, "%s: error: out of memory\n", cli->prog);
        return CH_EXIT_INTERNAL;
    }
    static char outbuf[BATCH_OUT_BUFFER_BYTES];
    setvbuf(cli->out, outbuf, _IOFBF, sizeof(outbuf));
    size_t have = 0;
    bool all_ok = true;
    bool skipping = false; /* inside an over-long line, already answered */
    for (;;) {
        size_t n = fread(block + have, 1, BATCH_BLOCK_BYTES - have, stdin);
        bool eof = n == 0;
        have += n;
        size_t pos = 0;
        for (;;) {
            char *nl = memchr(block + pos, '\n', have - pos);
            if (nl == NULL)
                break;
            size_t len = (size_t)(nl - (block + pos));
            if (!skipping && !answer_line(cli->out, s, block + pos, len))
                all_ok = false;
            skipping = false;
            pos += len + 1;
        }
        memmove(block, block + pos, have - pos);
        have -= pos;
        if (eof) {
            if (have > 0 && !skipping && !answer_line(cli->out, s, block, have))
                all_ok = false;
            break;
        }
        if (have == BATCH_BLOCK_BYTES) {
            if (!skipping) {
                fputs("error: line too long\n", cli->out);
                all_ok = false;
            }
            skipping = true;
            have = 0;
        }
    }
    ch_free(block);
    if (fflush(cli->out) != 0 || ferror(stdin)) {
        fprintf(cli->errout, "%s: error: i/o error in batch mode\n", cli->prog);
        return CH_EXIT_INPUT;
    }
    setvbuf(cli->out, NULL, _IOLBF, 0);
    return all_ok ? CH_EXIT_OK : CH_EXIT_INPUT;
}

static int run_compare(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"batch", no_argument, NULL, 'b'}, CH_CLI_OPT_HELP, {0}};
    bool batch = false;
    int c, exit_code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_version, argc, argv, "hb", opts, &exit_code)) !=
           -1) {
        if (c == -2)
            return exit_code;
        if (c == 'b')
            batch = true;
    }
    int want = batch ? 1 : 3;
    if (argc - optind != want)
        return ch_cli_usage_error(cli, "version",
                                  batch ? "compare --batch needs ECOSYSTEM"
                                        : "compare needs ECOSYSTEM A B");
    struct ch_err err = CH_ERR_INIT;
    const struct ch_version_scheme *s = NULL;
    if (ch_version_scheme_for(ch_str_c(argv[optind]), &s, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    if (batch)
        return run_batch(cli, s);
    int cmp = 0;
    if (ch_version_cmp(s, ch_str_c(argv[optind + 1]), ch_str_c(argv[optind + 2]), &cmp, &err) !=
        CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "%s\n", cmp_symbol(cmp));
    return CH_EXIT_OK;
}

static int run_version(struct ch_cli *cli, int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return ch_cli_help(cli, &ch_cli_cmd_version);
    if (argc < 2)
        return ch_cli_usage_error(cli, "version", "missing sub-command (compare)");
    if (strcmp(argv[1], "compare") == 0)
        return run_compare(cli, argc - 1, argv + 1);
    return ch_cli_usage_error(cli, "version", "unknown sub-command '%s'", argv[1]);
}
