/* SPDX-License-Identifier: Apache-2.0
 *
 * composer_lock.c: composer.lock (https://getcomposer.org/doc/01-basic-usage.md
 * #commit-your-composer-lock-file-to-version-control). Every element of
 * `packages` and `packages-dev` is a Packagist package "vendor/name" at
 * `version`.
 */
#include "sbom/internal.h"

#include <string.h>

#include "core/json.h"

static int read_list(struct sbom_ctx *ctx, const cJSON *doc, const char *key,
                     struct ch_err *err)
{
    const cJSON *arr = NULL;
    int rc = ch_json_get_arr(doc, key, false, "", &arr, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "%s", ctx->file);
    const cJSON *p;
    size_t i = 0;
    cJSON_ArrayForEach(p, arr)
    {
        const char *path = ch_arena_printf(ctx->tmp, "%s[%zu]", key, i++);
        if (path == NULL)
            return ch_sbom__nomem(err);
        const char *name = NULL, *version = NULL;
        struct ch_err ferr = CH_ERR_INIT;
        if (!cJSON_IsObject(p) || ch_json_get_str(p, "name", true, path, &name, &ferr) != CH_OK ||
            ch_json_get_str(p, "version", true, path, &version, &ferr) != CH_OK) {
            rc = ch_sbom__skip(ctx, path, err, "%s",
                               ferr.msg[0] != '\0' ? ferr.msg : "package is not an object");
            if (rc != CH_OK)
                return rc;
            continue;
        }
        const char *slash = strchr(name, '/');
        struct ch_purl parts = {.type = "composer", .name = name, .version = version};
        if (slash != NULL) {
            parts.ns = ch_arena_strndup(ctx->tmp, name, (size_t)(slash - name));
            if (parts.ns == NULL)
                return ch_sbom__nomem(err);
            parts.name = slash + 1;
        }
        struct sbom_found f = {.parts = &parts, .name = name, .version = version,
                               .location = path};
        rc = ch_sbom__add(ctx, &f, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

int ch_sbom__read_composer_lock(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err)
{
    int rc = read_list(ctx, doc, "packages", err);
    if (rc == CH_OK)
        rc = read_list(ctx, doc, "packages-dev", err);
    return rc;
}
