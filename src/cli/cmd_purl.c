/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_purl.c: `clearinghouse purl PURL... [--json] [--strict]` prints the
 * canonical form of each package URL, or its parsed parts (and OSV package,
 * when the type maps to an OSV ecosystem) as JSON. An invalid purl is
 * reported naming the bad part and gives exit 3; the others are still printed.
 */
#include "cli/cli.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "purl/ecosystem.h"
#include "purl/purl.h"

static int run_purl(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(purl) = {
    .name = "purl",
    .summary = "validate package URLs and print their canonical form",
    .usage = "usage: clearinghouse purl [--json] [--strict] PURL...\n"
             "\n"
             "Parses each package URL (https://github.com/package-url/purl-spec) and\n"
             "prints its canonical form, one per line. With --json, prints an array of\n"
             "objects with the parsed parts (type, namespace, name, version, qualifiers,\n"
             "subpath), the canonical form, and the OSV ecosystem and package name when\n"
             "there is one. --strict rejects qualifier keys that are not lowercase.\n"
             "\n"
             "Exit status: 0 all valid, 2 usage, 3 at least one invalid purl (each is\n"
             "reported on stderr naming the bad part).\n",
    .run = run_purl,
};

static void write_json(struct ch_jw *w, const struct ch_purl *p, struct ch_arena *a)
{
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "purl", ch_purl_to_string(p, a));
    ch_jw_kstr(w, "type", p->type);
    ch_jw_kstr(w, "namespace", p->ns);
    ch_jw_kstr(w, "name", p->name);
    ch_jw_kstr(w, "version", p->version);
    ch_jw_key(w, "qualifiers");
    ch_jw_obj_open(w);
    for (size_t i = 0; i < p->n_qualifiers; i++)
        ch_jw_kstr(w, p->qualifiers[i].key, p->qualifiers[i].value);
    ch_jw_obj_close(w);
    ch_jw_kstr(w, "subpath", p->subpath);
    struct ch_osv_package osv;
    struct ch_err err = CH_ERR_INIT;
    if (ch_purl_to_osv(p, a, &osv, &err) == CH_OK) {
        ch_jw_key(w, "osv");
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "ecosystem", ch_osv_ecosystem_string(&osv, a));
        ch_jw_kstr(w, "name", osv.name);
        ch_jw_kstr(w, "version", osv.version);
        ch_jw_obj_close(w);
    } else {
        ch_jw_key(w, "osv");
        ch_jw_null(w);
    }
    ch_jw_obj_close(w);
}

static int run_purl(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CH_CLI_OPT_HELP, {"json", no_argument, NULL, 'j'}, {"strict", no_argument, NULL, 's'},
        {0}};
    int c, exit_code = 0;
    bool json = false;
    unsigned flags = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_purl, argc, argv, "hjs", opts, &exit_code)) !=
           -1) {
        if (c == -2)
            return exit_code;
        if (c == 'j')
            json = true;
        else if (c == 's')
            flags |= CH_PURL_STRICT;
    }
    if (optind >= argc)
        return ch_cli_usage_error(cli, "purl", "expected at least one PURL");
    struct ch_arena *a = ch_arena_new((size_t)64 << 20);
    struct ch_buf out;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &out, 1);
    if (a == NULL) {
        struct ch_err err = CH_ERR_INIT;
        ch_err_set(&err, CH_E_NOMEM, "out of memory");
        return ch_cli_fail(cli, &err);
    }
    if (json)
        ch_jw_arr_open(&w);
    int status = CH_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        struct ch_err err = CH_ERR_INIT;
        struct ch_purl p;
        if (ch_purl_parse(ch_str_c(argv[i]), flags, a, &p, &err) != CH_OK) {
            ch_err_prefix(&err, "invalid purl '%s' (%s)", argv[i],
                          err.field[0] != '\0' ? err.field : "syntax");
            int code = ch_cli_fail(cli, &err);
            if (status == CH_EXIT_OK || code > status)
                status = code;
            continue;
        }
        if (json) {
            write_json(&w, &p, a);
        } else {
            ch_purl_format(&p, &out);
            ch_buf_append_byte(&out, '\n');
        }
    }
    if (json) {
        ch_jw_arr_close(&w);
        ch_buf_append_byte(&out, '\n');
    }
    struct ch_err err = CH_ERR_INIT;
    int rc = json ? ch_jw_finish(&w, &err) : ch_buf_status(&out, "output", &err);
    if (rc == CH_OK)
        fwrite(ch_buf_cstr(&out), 1, ch_buf_len(&out), cli->out);
    ch_buf_release(&out);
    ch_arena_free(a);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    return status;
}
