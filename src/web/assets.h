/* SPDX-License-Identifier: Apache-2.0
 *
 * assets.h: the files of web/ (layout template, stylesheet, script),
 * embedded in the binary at build time by src/web/embed_assets.cmake so the
 * server needs no files at run time and no build step needs the network.
 */
#ifndef CH_WEB_ASSETS_H
#define CH_WEB_ASSETS_H

#include <stddef.h>

#include "core/str.h"

struct ch_web_asset {
    const char *name; /* "style.css" */
    const char *data; /* NUL-terminated, len bytes */
    size_t len;
};

/* The table, terminated by an entry with name NULL (generated). */
extern const struct ch_web_asset ch_web_assets[];

/* The asset called `name`, or NULL. */
const struct ch_web_asset *ch_web_asset_find(struct ch_str name);
/* Content type by extension ("text/css; charset=utf-8", ...). */
const char *ch_web_asset_type(const char *name);

#endif
