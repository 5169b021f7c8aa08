/* SPDX-License-Identifier: Apache-2.0
 *
 * evalctx.h: what the evaluation commands that touch sealed content share:
 * the store, the server's keys, and who is acting (the CLI's local
 * administrator, CH_EVAL_ACTOR_LOCAL, or the user named by `--as USER`,
 * whose roles and clearance then apply and whose name the audit records).
 */
#ifndef CH_CLI_EVALCTX_H
#define CH_CLI_EVALCTX_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "core/keys.h"
#include "eval/models.h"

/* Owned by the command for its run; release with ch_cli_evalctx_close(). */
struct ch_cli_evalctx {
    struct ch_store *s;
    struct ch_keys keys;
    bool have_keys;
    struct ch_eval_actor actor;
    char actor_name[160];
    int64_t now;
};

/*
 * Opens the store, loads the keys when need_keys, and resolves as_user
 * (NULL: the local administrator). On failure prints the error and returns
 * its exit code, leaving nothing to close.
 */
int ch_cli_evalctx_open(struct ch_cli *cli, const char *as_user, bool need_keys,
                        struct ch_cli_evalctx *x);
void ch_cli_evalctx_close(struct ch_cli_evalctx *x);

#endif
