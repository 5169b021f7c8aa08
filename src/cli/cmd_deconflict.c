/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_deconflict.c: `clearinghouse deconflict SOURCE TARGET [--at TIME]` and
 * its batch form, `deconflict --batch [FILE]`: is the scanning seen from
 * SOURCE against TARGET at TIME authorised (exit 0), or not (exit 1)?
 *
 * The batch form reads lines "SOURCE TARGET [TIME]" (fields separated by a
 * tab when the line holds one, so a User-Agent may contain spaces; else by
 * spaces), from stdin or a file, and writes one answer per line in input
 * order, as text or JSON lines. Input is read in blocks; complete lines of a
 * block are answered in batches of CH_COORD_BATCH_MAX through the batched
 * index walk, with no allocation per line.
 */
#include <string.h>

#include "cli/cli.h"
#include "coord/deconflict.h"
#include "coord/service.h"
#include "core/buf.h"
#include "core/json.h"
#include "identity/identity.h"
#include "store/store.h"

/* Bytes read per block; a longer line is refused (it cannot be a question). */
#define BLOCK_BYTES ((size_t)1 << 20)
#define LINE_MAX_BYTES (2 * CH_COORD_ASK_TEXT_MAX + 64)

static int run_deconflict(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(deconflict) = {
    .name = "deconflict",
    .summary = "is this scanning authorised? (by lease, or unauthorised)",
    .usage =
        "usage: clearinghouse deconflict SOURCE TARGET [--at TIME] [--json] [--as USER]\n"
        "       clearinghouse deconflict --batch [FILE|-] [--at TIME] [--json] [--as USER]\n"
        "\n"
        "SOURCE: an IPv4/IPv6 address, ua:USER-AGENT (matched against declared tokens;\n"
        "a claim anyone can make), or - (any source). TARGET: an address, a DNS name,\n"
        "pkg:PURL@VERSION or repo:URL@REF. TIME: RFC 3339 or Unix seconds (default now).\n"
        "Exit 0 when authorised, 1 when not (batch: 1 when any line is not).\n"
        "\n"
        "Batch lines are \"SOURCE TARGET [TIME]\", tab-separated when a tab is present\n"
        "(so a User-Agent may hold spaces), else space-separated; blank lines and lines\n"
        "starting with '#' are skipped. One answer per line:\n"
        "  SOURCE TARGET TIME authorised lease=3,7 | unauthorised | error MESSAGE\n"
        "or, with --json, one JSON object per line.\n",
    .run = run_deconflict,
};

struct batch_run {
    struct ch_cli *cli;
    struct ch_coord *c;
    const struct ch_coord_actor *actor;
    struct ch_coord_batch b;
    struct ch_buf out;
    enum ch_coord_out fmt;
    int64_t default_t;
    size_t answered, authorised;
    int failed_rc;
    struct ch_err err;
};

static int flush(struct batch_run *r)
{
    if (r->b.n == 0)
        return CH_OK;
    ch_buf_reset(&r->out);
    int n = ch_coord_batch_answer_lines(r->c, r->actor, &r->b, r->fmt, &r->out, &r->err);
    if (n < 0)
        return n;
    r->answered += r->b.n;
    r->authorised += (size_t)n;
    if (fwrite(ch_buf_cstr(&r->out), 1, r->out.len, r->cli->out) != r->out.len)
        return ch_err_set(&r->err, CH_E_IO, "cannot write answers");
    ch_coord_batch_reset(&r->b);
    return CH_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Splits a line into up to three fields. */
static size_t split_fields(struct ch_str line, struct ch_str f[3])
{
    bool tabs = memchr(line.ptr, '\t', line.len) != NULL;
    size_t n = 0, i = 0;
    while (i < line.len && n < 3) {
        if (!tabs) {
            while (i < line.len && is_space(line.ptr[i]))
                i++;
            if (i >= line.len)
                break;
        }
        size_t j = i;
        while (j < line.len && (tabs ? line.ptr[j] != '\t' : !is_space(line.ptr[j])))
            j++;
        f[n++] = ch_str_trim(ch_str_make(line.ptr + i, j - i));
        i = j + (tabs ? 1 : 0);
    }
    /* anything after a third field makes the line malformed */
    if (n == 3) {
        while (i < line.len && is_space(line.ptr[i]))
            i++;
        if (i < line.len)
            return 4;
    }
    return n;
}

static int add_line(struct batch_run *r, struct ch_str line)
{
    if (line.len > 0 && line.ptr[line.len - 1] == '\r')
        line.len--;
    struct ch_str t = ch_str_trim(line);
    if (t.len == 0 || t.ptr[0] == '#')
        return CH_OK;
    struct ch_str f[3] = {CH_STR_NULL, CH_STR_NULL, CH_STR_NULL};
    size_t n = split_fields(line, f);
    int64_t when = r->default_t;
    if (n == 3) {
        struct ch_err terr = CH_ERR_INIT;
        if (ch_coord_time_parse(f[2], &when, &terr) != CH_OK)
            when = -1; /* answered as an error by the batch */
    }
    if (n < 2 || n > 3) {
        /* keep one answer per line: a question that cannot parse says so */
        f[0] = t;
        f[1] = CH_STR_LIT("?");
    }
    if (ch_coord_batch_full(&r->b)) {
        int rc = flush(r);
        if (rc != CH_OK)
            return rc;
    }
    return ch_coord_batch_add(&r->b, f[0], f[1], when, &r->err);
}

static int run_batch(struct batch_run *r, const char *path)
{
    FILE *in = path == NULL || strcmp(path, "-") == 0 ? stdin : fopen(path, "rbe");
    if (in == NULL)
        return ch_err_set(&r->err, CH_E_IO, "cannot open '%s'", path);
    struct ch_buf block;
    ch_buf_init(&block, BLOCK_BYTES + LINE_MAX_BYTES + 1);
    int rc = ch_buf_reserve(&block, BLOCK_BYTES + LINE_MAX_BYTES);
    if (rc == CH_OK) {
        for (;;) {
            char tmp[65536];
            size_t got = fread(tmp, 1, sizeof(tmp), in);
            if (got > 0)
                ch_buf_append(&block, tmp, got);
            bool eof = got == 0;
            if (!eof && block.len < BLOCK_BYTES)
                continue;
            /* answer every complete line of the block (all of it at EOF) */
            const char *p = ch_buf_cstr(&block);
            size_t start = 0, end = block.len;
            if (!eof) {
                while (end > 0 && p[end - 1] != '\n')
                    end--;
            }
            for (size_t i = start; rc == CH_OK && i < end; i++) {
                if (p[i] != '\n' && i + 1 != end)
                    continue;
                size_t stop = p[i] == '\n' ? i : i + 1;
                rc = add_line(r, ch_str_make(p + start, stop - start));
                start = i + 1;
            }
            if (rc == CH_OK)
                rc = flush(r);
            if (rc != CH_OK || eof)
                break;
            size_t tail = block.len - end;
            if (tail > LINE_MAX_BYTES) {
                rc = ch_err_set(&r->err, CH_E_LIMIT, "a line exceeds %d bytes", LINE_MAX_BYTES);
                break;
            }
            /* keep the partial last line; the buffer's capacity is reserved, so
             * this neither allocates nor moves the buffer */
            memmove(block.ptr, block.ptr + end, tail);
            ch_buf_truncate(&block, tail);
        }
    }
    if (rc == CH_OK && ferror(in))
        rc = ch_err_set(&r->err, CH_E_IO, "read error on '%s'", path != NULL ? path : "-");
    if (rc == CH_OK)
        rc = ch_buf_status(&block, "input", &r->err);
    if (in != stdin)
        fclose(in);
    ch_buf_release(&block);
    return rc;
}

static int run_deconflict(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"at", required_argument, NULL, 't'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"batch", no_argument, NULL, 'b'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *at = NULL, *as = NULL;
    bool json = false, batch = false;
    int c, code = 0;
    optind = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_deconflict, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2: return code;
        case 't': at = optarg; break;
        case 'j': json = true; break;
        case 'b': batch = true; break;
        case 'A': as = optarg; break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (batch ? argc - optind > 1 : argc - optind != 2)
        return ch_cli_usage_error(cli, "deconflict",
                                  batch ? "--batch takes at most one FILE" : "expected SOURCE TARGET");
    struct ch_err err = CH_ERR_INIT;
    int64_t now = ch_clock_now(&cli->clock), t = now;
    if (at != NULL && ch_coord_time_parse(ch_str_c(at), &t, &err) != CH_OK)
        return ch_cli_usage_error(cli, "deconflict", "--at: %s", err.msg);
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_coord_actor actor = CH_COORD_ACTOR_LOCAL;
    char name[160];
    struct ch_coord *coord = NULL;
    int rc = as != NULL ? ch_coord_actor_for_user(s, as, name, sizeof(name), &actor, &err) : CH_OK;
    if (rc == CH_OK)
        rc = ch_coord_new(s, NULL, now, &coord, &err);
    if (rc != CH_OK) {
        ch_store_free(s);
        return ch_cli_fail(cli, &err);
    }
    if (batch) {
        struct batch_run r = {.cli = cli, .c = coord, .actor = &actor,
                              .fmt = json ? CH_COORD_OUT_JSONL : CH_COORD_OUT_TEXT,
                              .default_t = t, .err = CH_ERR_INIT};
        ch_buf_init(&r.out, (size_t)256 << 20);
        rc = ch_coord_batch_init(&r.b, CH_COORD_BATCH_MAX, &r.err);
        if (rc == CH_OK)
            rc = run_batch(&r, optind < argc ? argv[optind] : NULL);
        fflush(cli->out);
        if (rc != CH_OK)
            code = ch_cli_fail(cli, &r.err);
        else
            code = r.authorised == r.answered ? CH_EXIT_OK : CH_EXIT_FINDINGS;
        ch_coord_batch_release(&r.b);
        ch_buf_release(&r.out);
    } else {
        struct ch_buf b;
        ch_buf_init(&b, (size_t)16 << 20);
        struct ch_jw w;
        ch_jw_init(&w, &b, json ? 1 : 0);
        bool ok = false;
        rc = ch_coord_deconflict_json(coord, &actor, ch_str_c(argv[optind]),
                                      ch_str_c(argv[optind + 1]), t, &w, &ok, &err);
        if (rc == CH_OK)
            rc = ch_jw_finish(&w, &err);
        if (rc != CH_OK) {
            code = ch_cli_fail(cli, &err);
        } else if (json) {
            fprintf(cli->out, "%s\n", ch_buf_cstr(&b));
            code = ok ? CH_EXIT_OK : CH_EXIT_FINDINGS;
        } else {
            /* the same answer as a batch line */
            struct ch_coord_batch one;
            struct ch_buf line;
            ch_buf_init(&line, (size_t)1 << 20);
            rc = ch_coord_batch_init(&one, 1, &err);
            if (rc == CH_OK)
                rc = ch_coord_batch_add(&one, ch_str_c(argv[optind]), ch_str_c(argv[optind + 1]),
                                        t, &err);
            if (rc == CH_OK)
                rc = ch_coord_batch_answer_lines(coord, &actor, &one, CH_COORD_OUT_TEXT, &line,
                                                 &err);
            if (rc >= 0)
                fputs(ch_buf_cstr(&line), cli->out);
            code = rc < 0 ? ch_cli_fail(cli, &err) : ok ? CH_EXIT_OK : CH_EXIT_FINDINGS;
            ch_coord_batch_release(&one);
            ch_buf_release(&line);
        }
        ch_buf_release(&b);
    }
    ch_coord_free(coord);
    ch_store_free(s);
    return code;
}
