/* SPDX-License-Identifier: Apache-2.0
 *
 * handlers.h: every request handler, one file per resource family
 * (h_<family>.c). The route table in routes.c binds them to paths.
 */
#ifndef CH_HTTP_HANDLERS_H
#define CH_HTTP_HANDLERS_H

#include "http/http.h"

/* h_health.c */
int ch_h_healthz(struct ch_http_call *call);
int ch_h_readyz(struct ch_http_call *call);

#endif
