/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_designate.c: `clearinghouse designate --model M [--policy P] [--json]`:
 * decides whether a model is a covered frontier model under a designation
 * policy (src/eval/designate.h), from the evaluation runs tied to it, and
 * records the signed decision. Exit 0 whatever the outcome (the record says
 * it); 3 for a bad policy or model, 4 for internal errors.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evalctx.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/keys.h"
#include "eval/designate.h"
#include "eval/models.h"
#include "store/store.h"

static int run_designate(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(designate) = {
    .name = "designate",
    .summary = "decide and sign a covered-frontier-model designation",
    .usage = "usage: clearinghouse designate --model NAME[@VERSION] [--policy P] [--json]\n"
             "                               [--out FILE] [--as USER]\n"
             "\n"
             "P is a policy file, or a name looked up as $CLEARINGHOUSE_POLICY_DIR/P.json\n"
             "(default directory: policies; default policy: default-v1). The decision\n"
             "record is signed with the server's Ed25519 key and stored; --out also writes\n"
             "it to FILE, --json prints it. Verify it with `clearinghouse decision verify`.\n",
    .run = run_designate,
};

static void print_summary(struct ch_cli *cli, const struct ch_policy *p,
                          const struct ch_designate_decision *d, int64_t id)
{
    fprintf(cli->out, "decision %lld: %s (policy %s v%lld, %s, %.4g%% family-wise)\n",
            (long long)id, ch_designate_outcome_str(d->outcome), p->id, (long long)p->version,
            p->multiplicity == CH_POLICY_HOLM ? "holm" : "bonferroni", p->confidence * 100);
    for (size_t i = 0; i < d->n_results; i++) {
        const struct ch_designate_measure_result *r = &d->results[i];
        fprintf(cli->out,
                "  %-34s %6llu/%-6llu rate %.3f  bounds [%.4f, %.4f]  threshold %.3g alert %.3g"
                "%s%s\n",
                p->measures[i].id, (unsigned long long)r->counts.successes,
                (unsigned long long)r->counts.trials, r->estimate, r->lower, r->upper,
                p->measures[i].threshold, p->measures[i].alert, r->shown ? "  SHOWN" : "",
                r->ruled_out ? "  ruled out" : "");
    }
    if (d->outcome == CH_DESIGNATE_UNDETERMINED) {
        if (d->to_clear >= 0)
            fprintf(cli->out,
                    "continue testing: about %lld more samples per unsettled measure"
                    " would clear it at the observed rates\n",
                    (long long)d->to_clear);
        if (d->to_designate >= 0)
            fprintf(cli->out,
                    "continue testing: about %lld more samples of one measure would"
                    " designate it at its observed rate\n",
                    (long long)d->to_designate);
    }
}

static int run_designate(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"policy", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"as", required_argument, NULL, 'A'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *model = NULL;
    const char *policy = "default-v1";
    const char *out = NULL;
    const char *as = NULL;
    bool json = false;
    optind = 0;
    int c;
    int code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_designate, argc, argv, "h", opts, &code)) != -1) {
        switch (c) {
        case -2:
            return code;
        case 'm':
            model = optarg;
            break;
        case 'p':
            policy = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'o':
            out = optarg;
            break;
        case 'A':
            as = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    if (model == NULL || optind != argc)
        return ch_cli_usage_error(cli, "designate", "expected --model NAME");
    struct ch_err err = CH_ERR_INIT;
    char path[4096];
    struct ch_policy *p = ch_calloc(1, sizeof(*p));
    struct ch_designate_decision *d = ch_calloc(1, sizeof(*d));
    if (p == NULL || d == NULL) {
        ch_free(p);
        ch_free(d);
        return ch_cli_fail(cli, &(struct ch_err){.rc = CH_E_NOMEM, .msg = "out of memory"});
    }
    int rc = ch_policy_resolve(policy, path, sizeof(path), &err);
    if (rc == CH_OK)
        rc = ch_policy_load(path, p, &err);
    if (rc != CH_OK) {
        ch_free(p);
        ch_free(d);
        return ch_cli_fail(cli, &err);
    }
    struct ch_cli_evalctx x;
    code = ch_cli_evalctx_open(cli, as, true, &x);
    if (code != CH_EXIT_OK) {
        ch_free(p);
        ch_free(d);
        return code;
    }
    struct ch_buf rec;
    ch_buf_init(&rec, CH_DECISION_MAX_BYTES + 1);
    struct ch_designate_request r = {
        .model = model, .policy = p, .source = ch_designate_store_source(x.s)};
    int64_t id = 0;
    rc = ch_designate_run(x.s, &x.keys, &x.actor, &r, x.now, &id, d, &rec, &err);
    ch_cli_evalctx_close(&x);
    if (rc == CH_OK && out != NULL) {
        FILE *f = fopen(out, "wbe");
        bool bad = f == NULL || fwrite(rec.ptr, 1, ch_buf_len(&rec), f) != ch_buf_len(&rec);
        if (f != NULL && fclose(f) != 0)
            bad = true;
        if (bad)
            rc = ch_err_set(&err, CH_E_IO, "cannot write '%s'", out);
    }
    if (rc == CH_OK) {
        if (json)
            fputs(rec.ptr, cli->out);
        else
            print_summary(cli, p, d, id);
    }
    ch_buf_release(&rec);
    ch_free(p);
    ch_free(d);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    return CH_EXIT_OK;
}
