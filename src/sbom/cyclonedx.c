/* SPDX-License-Identifier: Apache-2.0
 *
 * cyclonedx.c: CycloneDX JSON 1.2-1.6 (https://cyclonedx.org/specification/overview/).
 * Reads `components`, recursing into nested `components` (assemblies) up to
 * CH_SBOM_MAX_NESTING; each gives name, version, purl, cpe and bom-ref. The
 * BOM's subject (`metadata.component`) is not an installed component and is
 * not read. A component with a mistyped field is skipped with the message.
 */
#include "sbom/internal.h"

#include <string.h>

#include "core/json.h"

static int read_component(struct sbom_ctx *ctx, const cJSON *c, const char *path,
                          struct ch_err *err)
{
    const char *name = NULL, *version = NULL, *purl = NULL, *cpe = NULL, *ref = NULL;
    struct ch_err ferr = CH_ERR_INIT;
    if (!cJSON_IsObject(c))
        return ch_sbom__skip(ctx, path, err, "component is not an object");
    int rc = ch_json_get_str(c, "name", true, path, &name, &ferr);
    if (rc == CH_OK)
        rc = ch_json_get_str(c, "version", false, path, &version, &ferr);
    if (rc == CH_OK)
        rc = ch_json_get_str(c, "purl", false, path, &purl, &ferr);
    if (rc == CH_OK)
        rc = ch_json_get_str(c, "cpe", false, path, &cpe, &ferr);
    if (rc == CH_OK)
        rc = ch_json_get_str(c, "bom-ref", false, path, &ref, &ferr);
    if (rc == CH_E_NOMEM)
        return ch_sbom__nomem(err);
    if (rc != CH_OK)
        return ch_sbom__skip(ctx, path, err, "%s", ferr.msg);
    struct sbom_found f = {.purl = purl != NULL && purl[0] != '\0' ? purl : NULL,
                           .name = name, .version = version, .cpe = cpe, .ref = ref,
                           .location = path};
    return ch_sbom__add(ctx, &f, err);
}

static int read_components(struct sbom_ctx *ctx, const cJSON *arr, const char *path,
                           unsigned depth, struct ch_err *err)
{
    if (depth > CH_SBOM_MAX_NESTING)
        return ch_err_set(err, CH_E_LIMIT, "%s: '%s' nests components deeper than %u",
                          ctx->file, path, CH_SBOM_MAX_NESTING);
    if (!cJSON_IsArray(arr))
        return ch_err_setf(err, CH_E_INVALID, path, "%s: field '%s': expected an array",
                           ctx->file, path);
    const cJSON *c;
    size_t i = 0;
    cJSON_ArrayForEach(c, arr)
    {
        const char *p = ch_arena_printf(ctx->tmp, "%s[%zu]", path, i++);
        if (p == NULL)
            return ch_sbom__nomem(err);
        int rc = read_component(ctx, c, p, err);
        const cJSON *sub = cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, "components")
                                             : NULL;
        if (rc == CH_OK && sub != NULL && !cJSON_IsNull(sub)) {
            const char *sp = ch_arena_printf(ctx->tmp, "%s.components", p);
            rc = sp == NULL ? ch_sbom__nomem(err) : read_components(ctx, sub, sp, depth + 1, err);
        }
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

int ch_sbom__read_cyclonedx(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err)
{
    const char *format = NULL, *spec = NULL;
    int rc = ch_json_get_str(doc, "bomFormat", true, "", &format, err);
    if (rc == CH_OK)
        rc = ch_json_get_str(doc, "specVersion", true, "", &spec, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "%s", ctx->file);
    if (strcmp(format, "CycloneDX") != 0)
        return ch_err_setf(err, CH_E_INVALID, "bomFormat", "%s: bomFormat '%s' is not CycloneDX",
                           ctx->file, format);
    static const char *const versions[] = {"1.2", "1.3", "1.4", "1.5", "1.6"};
    bool known = false;
    for (size_t i = 0; i < CH_ARRAY_SIZE(versions); i++)
        known = known || strcmp(spec, versions[i]) == 0;
    if (!known)
        return ch_err_setf(err, CH_E_UNSUPPORTED, "specVersion",
                           "%s: CycloneDX specVersion '%s' is not supported (1.2 to 1.6)",
                           ctx->file, spec);
    const cJSON *comps = cJSON_GetObjectItemCaseSensitive(doc, "components");
    if (comps == NULL || cJSON_IsNull(comps))
        return CH_OK;
    return read_components(ctx, comps, "components", 1, err);
}
