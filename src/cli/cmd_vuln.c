/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_vuln.c: `clearinghouse vuln show ID` (the merged view of a
 * vulnerability by any of its ids) and `clearinghouse vuln search`.
 * The text form is rendered from the same JSON the --json form prints.
 */
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/num.h"
#include "store/store.h"
#include "vuln/query.h"

static int run_vuln(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(vuln) = {
    .name = "vuln",
    .summary = "show or search vulnerabilities in the knowledge base",
    .usage =
        "usage: clearinghouse vuln show ID [--json]\n"
        "       clearinghouse vuln search [--ecosystem E --name N] [--alias ID] [--kev]\n"
        "                                 [--severity low|medium|high|critical]\n"
        "                                 [--modified-since DATE] [--withdrawn]\n"
        "                                 [--limit N] [--after CURSOR] [--json]\n"
        "\n"
        "show: the merged view of the vulnerability named by ID, which may be any\n"
        "of its ids (CVE, GHSA, PYSEC, GO-, RUSTSEC-, ...): every source record,\n"
        "aliases, severity vectors and scores, KEV, EPSS, CISA's SSVC points,\n"
        "affected packages and ranges, references.\n"
        "\n"
        "search: vulnerabilities matching every filter given; --severity is a\n"
        "minimum; withdrawn ones are left out unless --withdrawn. Prints a cursor\n"
        "for the next page when there is one.\n",
    .run = run_vuln,
};

static const char *s_or(const cJSON *o, const char *key, const char *dflt)
{
    const char *s = ch_json_str(o, key);
    return s != NULL ? s : dflt;
}

static void print_ranges(FILE *out, const cJSON *ranges)
{
    for (const cJSON *r = ranges != NULL ? ranges->child : NULL; r != NULL; r = r->next) {
        fprintf(out, " [%s", s_or(r, "type", "?"));
        const cJSON *ev = ch_json_arr(r, "events");
        for (const cJSON *e = ev != NULL ? ev->child : NULL; e != NULL; e = e->next) {
            const cJSON *m = e->child;
            if (m != NULL && cJSON_IsString(m))
                fprintf(out, " %s %s", m->string, m->valuestring);
        }
        fputc(']', out);
    }
}

static void print_show(FILE *out, const cJSON *v)
{
    fprintf(out, "%s%s\n", s_or(v, "id", "?"),
            cJSON_IsTrue(cJSON_GetObjectItem(v, "withdrawn")) ? "  (withdrawn)" : "");
    fprintf(out, "  summary:   %s\n", s_or(v, "summary", "-"));
    fputs("  aliases:  ", out);
    const cJSON *al = ch_json_arr(v, "aliases");
    for (const cJSON *a = al != NULL ? al->child : NULL; a != NULL; a = a->next)
        fprintf(out, " %s", a->valuestring);
    fputc('\n', out);
    const cJSON *score = cJSON_GetObjectItem(v, "cvss_score");
    if (cJSON_IsNumber(score))
        fprintf(out, "  cvss:      %.1f (highest base score)\n", score->valuedouble);
    const cJSON *sev = ch_json_arr(v, "severity");
    for (const cJSON *s = sev != NULL ? sev->child : NULL; s != NULL; s = s->next)
        fprintf(out, "             %s %s (%s)\n", s_or(s, "type", "?"), s_or(s, "score", "?"),
                s_or(s, "source", "?"));
    const cJSON *kev = ch_json_obj(v, "kev");
    if (kev != NULL)
        fprintf(out, "  kev:       added %.10s, due %.10s, ransomware %s\n             %s\n",
                s_or(kev, "date_added", "?"), s_or(kev, "due_date", "-"),
                s_or(kev, "ransomware", "?"), s_or(kev, "required_action", ""));
    else
        fputs("  kev:       no\n", out);
    const cJSON *epss = ch_json_obj(v, "epss");
    if (epss != NULL)
        fprintf(out, "  epss:      %.5f (percentile %.5f) on %.10s\n",
                cJSON_GetObjectItem(epss, "epss")->valuedouble,
                cJSON_GetObjectItem(epss, "percentile")->valuedouble,
                s_or(epss, "score_date", "?"));
    fputs("  records:\n", out);
    const cJSON *recs = ch_json_arr(v, "records");
    for (const cJSON *r = recs != NULL ? recs->child : NULL; r != NULL; r = r->next) {
        fprintf(out, "    %-5s %s  modified %.10s%s\n", s_or(r, "source", "?"), s_or(r, "id", "?"),
                s_or(r, "modified", "?"), ch_json_str(r, "withdrawn") ? "  withdrawn" : "");
        const cJSON *ssvc = ch_json_obj(r, "ssvc");
        if (ssvc != NULL)
            fprintf(out, "          SSVC: exploitation %s, automatable %s, technical impact %s\n",
                    s_or(ssvc, "exploitation", "?"), s_or(ssvc, "automatable", "?"),
                    s_or(ssvc, "technical_impact", "?"));
    }
    fputs("  affected:\n", out);
    const cJSON *aff = ch_json_arr(v, "affected");
    for (const cJSON *a = aff != NULL ? aff->child : NULL; a != NULL; a = a->next) {
        if (ch_json_str(a, "ecosystem") != NULL)
            fprintf(out, "    %s %s", s_or(a, "ecosystem", ""), s_or(a, "name", ""));
        else
            fprintf(out, "    %s %s", s_or(a, "vendor", "?"), s_or(a, "product", "?"));
        print_ranges(out, ch_json_arr(a, "ranges"));
        const cJSON *vers = ch_json_arr(a, "versions");
        int nv = vers != NULL ? cJSON_GetArraySize(vers) : 0;
        if (nv > 0)
            fprintf(out, " (%d listed versions)", nv);
        if (ch_json_str(a, "status") != NULL)
            fprintf(out, " %s", ch_json_str(a, "status"));
        fprintf(out, "  <%s>\n", s_or(a, "record", "?"));
    }
    const cJSON *refs = ch_json_arr(v, "references");
    if (refs != NULL && refs->child != NULL) {
        fputs("  references:\n", out);
        for (const cJSON *r = refs->child; r != NULL; r = r->next)
            fprintf(out, "    %-8s %s\n", s_or(r, "type", ""), s_or(r, "url", ""));
    }
}

static int emit(struct ch_cli *cli, struct ch_buf *b, bool json,
                void (*text)(FILE *out, const cJSON *v))
{
    if (json) {
        fprintf(cli->out, "%s\n", ch_buf_cstr(b));
        return CH_EXIT_OK;
    }
    cJSON *j = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_json_parse(ch_buf_cstr(b), ch_buf_len(b), NULL, "view", &j, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    text(cli->out, j);
    cJSON_Delete(j);
    return CH_EXIT_OK;
}

static int show(struct ch_cli *cli, struct ch_store *s, const char *id, bool json)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, json);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_vuln_show_json(s, id, &w, &err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, &err);
    int exit_code = rc == CH_OK ? emit(cli, &b, json, print_show) : ch_cli_fail(cli, &err);
    ch_buf_release(&b);
    return exit_code;
}

static void print_search(FILE *out, const cJSON *v)
{
    const cJSON *res = ch_json_arr(v, "results");
    for (const cJSON *r = res != NULL ? res->child : NULL; r != NULL; r = r->next) {
        const cJSON *score = cJSON_GetObjectItem(r, "cvss_score");
        char sc[16] = "  - ";
        if (cJSON_IsNumber(score))
            snprintf(sc, sizeof(sc), "%4.1f", score->valuedouble);
        fprintf(out, "%-24s %s %s %.10s  %.70s\n", s_or(r, "id", "?"), sc,
                cJSON_IsTrue(cJSON_GetObjectItem(r, "kev")) ? "KEV" : "   ",
                s_or(r, "modified", ""), s_or(r, "summary", ""));
    }
    const cJSON *next = cJSON_GetObjectItem(v, "next_cursor");
    if (cJSON_IsNumber(next))
        fprintf(out, "(more: --after %.0f)\n", next->valuedouble);
}

static int search(struct ch_cli *cli, struct ch_store *s, int argc, char **argv)
{
    static const struct option opts[] = {
        {"ecosystem", required_argument, NULL, 'e'}, {"name", required_argument, NULL, 'n'},
        {"alias", required_argument, NULL, 'a'},     {"kev", no_argument, NULL, 'k'},
        {"severity", required_argument, NULL, 's'},  {"modified-since", required_argument, NULL, 'm'},
        {"withdrawn", no_argument, NULL, 'W'},       {"limit", required_argument, NULL, 'l'},
        {"after", required_argument, NULL, 'A'},     {"json", no_argument, NULL, 'j'},
        CH_CLI_OPT_HELP,                             {0}};
    struct ch_vuln_filter f = {.modified_since = -1, .limit = 50};
    bool json = false;
    int c, exit_code = 0;
    struct ch_err err = CH_ERR_INIT;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_vuln, argc, argv, "h", opts, &exit_code)) != -1) {
        uint64_t n;
        switch (c) {
        case -2: return exit_code;
        case 'e': f.ecosystem = optarg; break;
        case 'n': f.name = optarg; break;
        case 'a': f.alias = optarg; break;
        case 'k': f.kev_only = true; break;
        case 's': f.min_severity = optarg; break;
        case 'W': f.include_withdrawn = true; break;
        case 'j': json = true; break;
        case 'm':
            if (ch_time_parse(ch_str_c(optarg), &f.modified_since, NULL, &err) != CH_OK)
                return ch_cli_usage_error(cli, "vuln search", "--modified-since: %s", err.msg);
            break;
        case 'l':
            if (ch_num_parse_u64(ch_str_c(optarg), CH_VULN_SEARCH_MAX_LIMIT, &n, &err) != CH_OK ||
                n == 0)
                return ch_cli_usage_error(cli, "vuln search", "--limit: 1 to %u",
                                          CH_VULN_SEARCH_MAX_LIMIT);
            f.limit = (unsigned)n;
            break;
        case 'A':
            if (ch_num_parse_u64(ch_str_c(optarg), INT64_MAX, &n, &err) != CH_OK)
                return ch_cli_usage_error(cli, "vuln search", "--after: a cursor number");
            f.after_vuln_id = (int64_t)n;
            break;
        default: return CH_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return ch_cli_usage_error(cli, "vuln search", "unexpected argument '%s'", argv[optind]);
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, json);
    int rc = ch_vuln_search_json(s, &f, &w, &err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, &err);
    int code = rc == CH_OK ? emit(cli, &b, json, print_search) : ch_cli_fail(cli, &err);
    ch_buf_release(&b);
    return code;
}

static int run_vuln(struct ch_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (argc >= 2)
            return ch_cli_help(cli, &ch_cli_cmd_vuln);
        return ch_cli_usage_error(cli, "vuln", "expected 'show ID' or 'search'");
    }
    const char *verb = argv[1];
    if (strcmp(verb, "show") != 0 && strcmp(verb, "search") != 0)
        return ch_cli_usage_error(cli, "vuln", "unknown verb '%s'", verb);
    bool json = false;
    const char *id = NULL;
    if (strcmp(verb, "show") == 0) {
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--json") == 0)
                json = true;
            else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                return ch_cli_help(cli, &ch_cli_cmd_vuln);
            else if (argv[i][0] == '-')
                return ch_cli_usage_error(cli, "vuln show", "unknown option '%s'", argv[i]);
            else if (id == NULL)
                id = argv[i];
            else
                return ch_cli_usage_error(cli, "vuln show", "unexpected argument '%s'", argv[i]);
        }
        if (id == NULL)
            return ch_cli_usage_error(cli, "vuln show", "name a vulnerability ID");
    }
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    if (ch_store_open(ch_cli_db_url(cli), NULL, &s, &err) != CH_OK)
        return ch_cli_fail(cli, &err);
    int code = id != NULL ? show(cli, s, id, json) : search(cli, s, argc - 1, argv + 1);
    ch_store_free(s);
    return code;
}
