/* SPDX-License-Identifier: Apache-2.0
 *
 * assets.c: lookup in the embedded file table (see assets.h).
 */
#include "web/assets.h"

#include <string.h>

const struct ch_web_asset *ch_web_asset_find(struct ch_str name)
{
    for (const struct ch_web_asset *a = ch_web_assets; a->name != NULL; a++) {
        if (ch_str_eq_c(name, a->name))
            return a;
    }
    return NULL;
}

const char *ch_web_asset_type(const char *name)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {{".css", "text/css; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".html", "text/html; charset=utf-8"},
                 {".svg", "image/svg+xml"},
                 {".txt", "text/plain; charset=utf-8"}};
    struct ch_str n = ch_str_c(name);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (ch_str_ends_with(n, types[i].ext))
            return types[i].type;
    }
    return "application/octet-stream";
}
