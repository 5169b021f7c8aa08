/* SPDX-License-Identifier: Apache-2.0
 *
 * openapi.h: the OpenAPI 3.1 document of the API, src/http/openapi.json,
 * embedded at build time (src/http/embed_openapi.cmake). A unit test checks
 * that it and the route table describe the same operations.
 */
#ifndef CH_HTTP_OPENAPI_H
#define CH_HTTP_OPENAPI_H

#include <stddef.h>

extern const char *const ch_openapi_json; /* NUL-terminated */
extern const size_t ch_openapi_json_len;

#endif
