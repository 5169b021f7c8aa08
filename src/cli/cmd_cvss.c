/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_cvss.c: `clearinghouse cvss VECTOR [--json]` scores a CVSS v3.0, v3.1
 * or v4.0 vector (vuln/cvss.h). The first line of the text output is always
 * "SCORE SEVERITY", so scripts can take it with `head -1`; details follow as
 * "key: value" lines. A malformed vector exits 3 with a message naming the
 * offending metric.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/json.h"
#include "vuln/cvss.h"

static int run_cvss(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(cvss) = {
    .name = "cvss",
    .summary = "score a CVSS v3.0, v3.1 or v4.0 vector",
    .usage = "usage: clearinghouse cvss VECTOR [--json]\n"
             "\n"
             "Validates and scores a CVSS vector such as\n"
             "  CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n"
             "  CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\n"
             "\n"
             "The first line is \"SCORE SEVERITY\" (e.g. \"9.8 CRITICAL\"): the base score\n"
             "for a base vector, the overall score when temporal/threat or environmental\n"
             "metrics are given. Details follow: the canonical vector, the nomenclature\n"
             "(CVSS-B, -BT, -BE, -BTE), the v3 sub-scores or the v4 macrovector.\n"
             "\n"
             "  --json   print the scores and metrics as one JSON object instead\n"
             "\n"
             "Exit status: 0 scored, 2 usage error, 3 malformed vector.\n",
    .run = run_cvss,
};

/* Scores are multiples of 0.1; print them with exactly one decimal. */
static void jw_score(struct ch_jw *w, const char *key, double score)
{
    char tmp[16];
    int n = snprintf(tmp, sizeof(tmp), "%.1f", score);
    ch_jw_key(w, key);
    ch_jw_raw(w, tmp, n > 0 ? (size_t)n : 0);
}

static int print_json(struct ch_cli *cli, const struct ch_cvss_vector *v,
                      const struct ch_cvss_score *s, const char *canonical)
{
    struct ch_buf b;
    ch_buf_init(&b, 64 * 1024);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    ch_jw_obj_open(&w);
    ch_jw_kstr(&w, "version", ch_cvss_version_str(s->version));
    ch_jw_kstr(&w, "vector", canonical);
    jw_score(&w, "score", s->score);
    ch_jw_kstr(&w, "severity", ch_cvss_severity_str(s->severity));
    ch_jw_kstr(&w, "nomenclature", ch_cvss_nomenclature_str(s->nomenclature));
    jw_score(&w, "base_score", s->base_score);
    if (s->version == CH_CVSS_V4_0) {
        ch_jw_kstr(&w, "macrovector", s->macrovector);
    } else {
        jw_score(&w, "temporal_score", s->temporal_score);
        jw_score(&w, "environmental_score", s->environmental_score);
        jw_score(&w, "impact", s->impact);
        jw_score(&w, "exploitability", s->exploitability);
        jw_score(&w, "modified_impact", s->modified_impact);
    }
    ch_jw_key(&w, "metrics");
    ch_jw_obj_open(&w);
    for (size_t i = 0; i < ch_cvss_n_metrics(v->version); i++) {
        const char *value = ch_cvss_metric_value(v, i);
        if (value != NULL)
            ch_jw_kstr(&w, ch_cvss_metric_name(v->version, i), value);
    }
    ch_jw_obj_close(&w);
    ch_jw_obj_close(&w);
    struct ch_err err = CH_ERR_INIT;
    if (ch_jw_finish(&w, &err) != CH_OK) {
        ch_buf_release(&b);
        return ch_cli_fail(cli, &err);
    }
    fprintf(cli->out, "%s\n", ch_buf_cstr(&b));
    ch_buf_release(&b);
    return CH_EXIT_OK;
}

static void print_text(struct ch_cli *cli, const struct ch_cvss_score *s, const char *canonical)
{
    FILE *o = cli->out;
    fprintf(o, "%.1f %s\n", s->score, ch_cvss_severity_str(s->severity));
    fprintf(o, "version: CVSS %s\n", ch_cvss_version_str(s->version));
    fprintf(o, "vector: %s\n", canonical);
    fprintf(o, "nomenclature: %s\n", ch_cvss_nomenclature_str(s->nomenclature));
    fprintf(o, "base score: %.1f\n", s->base_score);
    if (s->version == CH_CVSS_V4_0) {
        fprintf(o, "macrovector: %s\n", s->macrovector);
        return;
    }
    fprintf(o, "temporal score: %.1f\n", s->temporal_score);
    fprintf(o, "environmental score: %.1f\n", s->environmental_score);
    fprintf(o, "impact: %.1f\n", s->impact);
    fprintf(o, "exploitability: %.1f\n", s->exploitability);
    fprintf(o, "modified impact: %.1f\n", s->modified_impact);
}

static int run_cvss(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CH_CLI_OPT_HELP,
        {"json", no_argument, NULL, 'j'},
        {0},
    };
    bool arg_json = false;
    int c;
    int exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_cvss, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 'j')
            arg_json = true;
    }
    if (optind >= argc)
        return ch_cli_usage_error(cli, "cvss", "missing VECTOR");
    if (optind + 1 < argc)
        return ch_cli_usage_error(cli, "cvss", "unexpected argument '%s'", argv[optind + 1]);

    struct ch_err err = CH_ERR_INIT;
    struct ch_cvss_vector v;
    if (ch_cvss_parse(ch_str_c(argv[optind]), &v, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    struct ch_cvss_score s;
    if (ch_cvss_score(&v, &s, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    struct ch_buf canonical;
    ch_buf_init(&canonical, CH_CVSS_VECTOR_TEXT_MAX);
    int rc = ch_cvss_format(&v, &canonical);
    if (rc != CH_OK) {
        /* cannot happen: every valid vector fits in CH_CVSS_VECTOR_TEXT_MAX */
        ch_err_set(&err, rc, "cannot print the CVSS vector");
        ch_buf_release(&canonical);
        return ch_cli_fail(cli, &err);
    }
    rc = CH_EXIT_OK;
    if (arg_json)
        rc = print_json(cli, &v, &s, ch_buf_cstr(&canonical));
    else
        print_text(cli, &s, ch_buf_cstr(&canonical));
    ch_buf_release(&canonical);
    return rc;
}
