/* SPDX-License-Identifier: Apache-2.0
 *
 * evalctx.c: store, keys and actor of the evaluation commands (evalctx.h).
 */
#include "cli/evalctx.h"

#include "core/clock.h"
#include "store/store.h"

static int load_keys(struct ch_cli *cli, struct ch_cli_evalctx *x, struct ch_err *err)
{
    char kbuf[4096];
    int rc = ch_keys_load(ch_cli_keys_dir(cli, kbuf, sizeof(kbuf)), &x->keys, err);
    if (rc != CH_OK)
        ch_err_prefix(err, "server keys (clearinghouse init creates them)");
    x->have_keys = rc == CH_OK;
    return rc;
}

int ch_cli_evalctx_open(struct ch_cli *cli, const char *as_user, bool need_keys,
                        struct ch_cli_evalctx *x)
{
    *x = (struct ch_cli_evalctx){.actor = CH_EVAL_ACTOR_LOCAL, .now = ch_clock_now(&cli->clock)};
    int code = ch_cli_open_store(cli, &x->s);
    if (code != CH_EXIT_OK)
        return code;
    struct ch_err err = CH_ERR_INIT;
    int rc = CH_OK;
    if (as_user != NULL)
        rc = ch_eval_actor_for_user(x->s, as_user, x->actor_name, sizeof(x->actor_name), &x->actor,
                                    &err);
    if (rc == CH_OK && need_keys)
        rc = load_keys(cli, x, &err);
    if (rc != CH_OK) {
        ch_store_free(x->s);
        x->s = NULL;
        return ch_cli_fail(cli, &err);
    }
    return CH_EXIT_OK;
}

void ch_cli_evalctx_close(struct ch_cli_evalctx *x)
{
    if (x->have_keys)
        ch_keys_wipe(&x->keys);
    ch_store_free(x->s);
    x->s = NULL;
    x->have_keys = false;
}
