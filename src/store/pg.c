/* SPDX-License-Identifier: Apache-2.0
 *
 * pg.c: the PostgreSQL backend (issue: PostgreSQL backend and scale-out).
 * Until it lands, postgres:// URLs are refused with a clear message.
 */
#include "store/internal.h"

int ch_store__pg_open(const char *conninfo, const struct ch_store_options *opts,
                      struct ch_store **ret, struct ch_err *err)
{
    return ch_err_set(err, CH_E_UNSUPPORTED, "the PostgreSQL backend is not available yet");
}
