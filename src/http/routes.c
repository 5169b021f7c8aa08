/* SPDX-License-Identifier: Apache-2.0
 *
 * routes.c: the route table. Every route declares its methods, handler and
 * flags here, in one place, so that the API's surface can be read (and
 * tested against the OpenAPI document and the authorisation matrix) at a
 * glance.
 */
#include "http/handlers.h"
#include "http/router.h"

const struct ch_route ch_routes[] = {
    {CH_HTTP_GET, "/healthz", ch_h_healthz, CH_ROUTE_INLOOP | CH_ROUTE_PUBLIC, "healthz"},
    {CH_HTTP_GET, "/readyz", ch_h_readyz, CH_ROUTE_PUBLIC, "readyz"},
    {0, NULL, NULL, 0, NULL},
};
