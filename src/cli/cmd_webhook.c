/* SPDX-License-Identifier: Apache-2.0
 *
 * cmd_webhook.c: `clearinghouse webhook add|list|pause|resume|remove|test|
 * deliveries|deliver`: an organisation's signed webhook endpoints and the
 * delivery loop (docs/sharing.md).
 *
 * `webhook deliver` collects notice and KEV events, sends what is due and
 * sleeps --interval seconds, until SIGINT or SIGTERM (taken with
 * sigtimedwait() between passes, so a pass in progress always finishes and
 * records its outcomes); --once runs one pass.
 */
#include <curl/curl.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/log.h"
#include "core/num.h"
#include "identity/identity.h"
#include "share/webhook.h"
#include "store/store.h"

/* Longest pause between passes a user may ask for. */
#define WEBHOOK_MAX_INTERVAL_S 3600

static int run_webhook(struct ch_cli *cli, int argc, char **argv);

CH_CLI_COMMAND(webhook) = {
    .name = "webhook",
    .summary = "signed webhooks: endpoints, test deliveries and the delivery loop",
    .usage = "usage: clearinghouse webhook add --org SLUG --url URL --events LIST\n"
             "       clearinghouse webhook list [--org SLUG]\n"
             "       clearinghouse webhook pause ID [--reason TEXT]\n"
             "       clearinghouse webhook resume ID\n"
             "       clearinghouse webhook remove ID\n"
             "       clearinghouse webhook test ID\n"
             "       clearinghouse webhook deliveries ID [--limit N]\n"
             "       clearinghouse webhook deliver [--once] [--interval SECONDS]\n"
             "\n"
             "Events: notice, kev_addition, case_state, lease_conflict, or all. URLs are\n"
             "https (plain http only to a loopback address). add prints the signing\n"
             "secret once; only an encrypted copy is kept. Deliveries are POSTs signed\n"
             "with X-Clearinghouse-Signature: t=UNIX,v1=HMAC-SHA256(secret, t.body),\n"
             "retried with backoff; an endpoint failing 8 times in a row is paused\n"
             "until resumed. test sends a ping now and exits 1 if it was not accepted.\n",
    .run = run_webhook,
};

static int load_keys(struct ch_cli *cli, struct ch_keys *keys)
{
    char kbuf[4096];
    struct ch_err err = CH_ERR_INIT;
    if (ch_keys_load(ch_cli_keys_dir(cli, kbuf, sizeof(kbuf)), keys, &err) != CH_OK) {
        ch_err_prefix(&err, "loading the server's keys");
        return ch_cli_fail(cli, &err);
    }
    return CH_EXIT_OK;
}

static int parse_id(struct ch_cli *cli, const char *verb, int argc, char **argv, int64_t *ret)
{
    struct ch_err err = CH_ERR_INIT;
    if (optind + 1 != argc ||
        ch_num_parse_i64(ch_str_c(argv[optind]), 1, INT64_MAX, ret, &err) != CH_OK)
        return ch_cli_usage_error(cli, verb, "expected a webhook ID");
    return CH_EXIT_OK;
}

static int add(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"org", required_argument, NULL, 'o'},
                                         {"url", required_argument, NULL, 'u'},
                                         {"events", required_argument, NULL, 'e'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    const char *org = NULL, *events = NULL;
    struct ch_webhook_new w = {.actor = "cli"};
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_webhook, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case 'o':
            org = optarg;
            break;
        case 'u':
            w.url = optarg;
            break;
        case 'e':
            events = optarg;
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    struct ch_err err = CH_ERR_INIT;
    if (org == NULL || w.url == NULL || events == NULL || optind != argc)
        return ch_cli_usage_error(cli, "webhook add", "--org, --url and --events are required");
    if (ch_webhook_events_parse(events, &w.events, &err) != CH_OK ||
        ch_webhook_url_check(w.url, &err) != CH_OK)
        return ch_cli_usage_error(cli, "webhook add", "%s", err.msg);
    struct ch_keys keys;
    int code = load_keys(cli, &keys);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK) {
        ch_keys_wipe(&keys);
        return code;
    }
    int64_t id = 0;
    char secret[CH_WEBHOOK_SECRET_MAX];
    int rc = ch_org_find(s, org, &w.org_id, &err);
    if (rc == CH_OK)
        rc = ch_webhook_add(s, &keys, &w, ch_clock_now(&cli->clock), &id, secret, &err);
    ch_store_free(s);
    ch_keys_wipe(&keys);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->errout, "webhook %lld created for '%s'; its secret is shown once, store it now\n",
            (long long)id, org);
    fprintf(cli->out, "{\"id\": %lld, \"org\": \"%s\", \"secret\": \"%s\"}\n", (long long)id, org,
            secret);
    return CH_EXIT_OK;
}

static int list(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"org", required_argument, NULL, 'o'}, CH_CLI_OPT_HELP, {0}};
    const char *org = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_webhook, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 'o')
            org = optarg;
        else
            return CH_EXIT_USAGE;
    }
    struct ch_store *s = NULL;
    int code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t org_id = 0;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = org != NULL ? ch_org_find(s, org, &org_id, &err) : CH_OK;
    if (rc == CH_OK)
        rc = ch_webhook_list_json(s, org_id, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int set_state(struct ch_cli *cli, int argc, char **argv, const char *verb, int what)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'}, CH_CLI_OPT_HELP, {0}};
    const char *reason = NULL;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_webhook, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c == 'r')
            reason = optarg;
        else
            return CH_EXIT_USAGE;
    }
    int64_t id = 0;
    int code = parse_id(cli, verb, argc, argv, &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int64_t now = ch_clock_now(&cli->clock);
    int rc = what == 2 ? ch_webhook_remove(s, id, 0, "cli", now, &err)
                       : ch_webhook_set_paused(s, id, 0, what == 1, reason, "cli", now, &err);
    ch_store_free(s);
    if (rc != CH_OK)
        return ch_cli_fail(cli, &err);
    fprintf(cli->out, "{\"id\": %lld, \"state\": \"%s\"}\n", (long long)id,
            what == 2 ? "removed" : (what == 1 ? "paused" : "active"));
    return CH_EXIT_OK;
}

static int pause_cmd(struct ch_cli *cli, int argc, char **argv)
{
    return set_state(cli, argc, argv, "webhook pause", 1);
}

static int resume_cmd(struct ch_cli *cli, int argc, char **argv)
{
    return set_state(cli, argc, argv, "webhook resume", 0);
}

static int remove_cmd(struct ch_cli *cli, int argc, char **argv)
{
    return set_state(cli, argc, argv, "webhook remove", 2);
}

static int deliveries(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"limit", required_argument, NULL, 'l'}, CH_CLI_OPT_HELP, {0}};
    uint64_t limit = 50;
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_webhook, argc, argv, "h", opts, &exit_code)) != -1) {
        if (c == -2)
            return exit_code;
        if (c != 'l' || ch_num_parse_u64(ch_str_c(optarg), 10000, &limit, &err) != CH_OK ||
            limit == 0)
            return ch_cli_usage_error(cli, "webhook deliveries", "--limit: 1 to 10000");
    }
    int64_t id = 0;
    int code = parse_id(cli, "webhook deliveries", argc, argv, &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    int rc = ch_webhook_deliveries_json(s, id, 0, (unsigned)limit, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    return code;
}

static int test_cmd(struct ch_cli *cli, int argc, char **argv)
{
    int64_t id = 0;
    optind = 1;
    int code = parse_id(cli, "webhook test", argc, argv, &id);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_keys keys;
    code = load_keys(cli, &keys);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK) {
        ch_keys_wipe(&keys);
        return code;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ch_store_free(s);
        ch_keys_wipe(&keys);
        struct ch_err cerr = CH_ERR_INIT;
        ch_err_set(&cerr, CH_E_INTERNAL, "cannot initialise libcurl");
        return ch_cli_fail(cli, &cerr);
    }
    struct ch_err err = CH_ERR_INIT;
    int64_t now = ch_clock_now(&cli->clock);
    int64_t delivery = 0;
    struct ch_webhook_deliver_stats st = {0};
    int rc = ch_webhook_ping(s, id, 0, now, &delivery, &err);
    struct ch_webhook_deliver_options o = {.only_delivery = delivery};
    if (rc == CH_OK)
        rc = ch_webhook_deliver_due(s, &keys, &o, now, &st, &err);
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    struct ch_jw w;
    ch_jw_init(&w, &b, 1);
    if (rc == CH_OK)
        rc = ch_webhook_deliveries_json(s, id, 0, 1, &w, &err);
    code = ch_cli_print_json(cli, &w, rc, &err);
    ch_buf_release(&b);
    ch_store_free(s);
    ch_keys_wipe(&keys);
    curl_global_cleanup();
    if (code == CH_EXIT_OK && st.delivered == 0) {
        fprintf(cli->errout, "the endpoint did not accept the test delivery (paused endpoints "
                             "are not tried)\n");
        return CH_EXIT_FINDINGS;
    }
    return code;
}

static int one_pass(struct ch_cli *cli, struct ch_store *s, const struct ch_keys *keys)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t now = ch_clock_now(&cli->clock);
    size_t queued = 0;
    struct ch_webhook_deliver_stats st = {0};
    int rc = ch_webhook_collect(s, now, &queued, &err);
    if (rc == CH_OK)
        rc = ch_webhook_deliver_due(s, keys, NULL, now, &st, &err);
    if (rc != CH_OK) {
        ch_log_error("webhook deliver: %s", err.msg);
        return rc;
    }
    if (queued > 0 || st.attempted > 0)
        ch_log_info("webhook deliver: %zu queued, %zu sent: %zu delivered, %zu to retry, "
                    "%zu failed, %zu endpoints paused",
                    queued, st.attempted, st.delivered, st.retrying, st.failed, st.paused);
    return CH_OK;
}

static int deliver(struct ch_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"once", no_argument, NULL, '1'},
                                         {"interval", required_argument, NULL, 'i'},
                                         CH_CLI_OPT_HELP,
                                         {0}};
    bool once = false;
    uint64_t interval = 5;
    struct ch_err err = CH_ERR_INIT;
    int c, exit_code = 0;
    while ((c = ch_cli_getopt(cli, &ch_cli_cmd_webhook, argc, argv, "h", opts, &exit_code)) != -1) {
        switch (c) {
        case -2:
            return exit_code;
        case '1':
            once = true;
            break;
        case 'i':
            if (ch_num_parse_u64(ch_str_c(optarg), WEBHOOK_MAX_INTERVAL_S, &interval, &err) !=
                    CH_OK ||
                interval == 0)
                return ch_cli_usage_error(cli, "webhook deliver", "--interval: 1 to %d seconds",
                                          WEBHOOK_MAX_INTERVAL_S);
            break;
        default:
            return CH_EXIT_USAGE;
        }
    }
    struct ch_keys keys;
    int code = load_keys(cli, &keys);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_store *s = NULL;
    code = ch_cli_open_store(cli, &s);
    if (code != CH_EXIT_OK) {
        ch_keys_wipe(&keys);
        return code;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ch_err_set(&err, CH_E_INTERNAL, "cannot initialise libcurl");
        ch_store_free(s);
        ch_keys_wipe(&keys);
        return ch_cli_fail(cli, &err);
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int rc = CH_OK;
    for (;;) {
        rc = one_pass(cli, s, &keys);
        if (once)
            break;
        struct timespec ts = {.tv_sec = (time_t)interval};
        if (sigtimedwait(&set, NULL, &ts) > 0)
            break; /* stop between passes */
    }
    curl_global_cleanup();
    ch_store_free(s);
    ch_keys_wipe(&keys);
    return rc == CH_OK ? CH_EXIT_OK : ch_cli_exit_code(rc);
}

static int run_webhook(struct ch_cli *cli, int argc, char **argv)
{
    static const struct ch_cli_verb verbs[] = {{"add", add},
                                               {"list", list},
                                               {"pause", pause_cmd},
                                               {"resume", resume_cmd},
                                               {"remove", remove_cmd},
                                               {"test", test_cmd},
                                               {"deliveries", deliveries},
                                               {"deliver", deliver},
                                               {0}};
    return ch_cli_dispatch(cli, &ch_cli_cmd_webhook, verbs, argc, argv);
}
