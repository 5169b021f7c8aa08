/* SPDX-License-Identifier: Apache-2.0
 *
 * spdx.c: SPDX 2.2/2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/) and
 * SPDX 3.0 JSON-LD (https://spdx.github.io/spdx-spec/v3.0.1/serializations/).
 *
 * 2.x: every element of `packages` is a component: name, versionInfo,
 * SPDXID, and from externalRefs the first referenceType "purl" and the first
 * "cpe23Type"/"cpe22Type". 3.0: every `software_Package` element of `@graph`:
 * name, software_packageVersion, spdxId, software_packageUrl or an
 * externalIdentifier of type packageUrl, and cpe23/cpe22 identifiers.
 * Packages without a purl are kept with their name and no ecosystem.
 */
#include "sbom/internal.h"

#include <string.h>

#include "core/json.h"

/* Reads an optional string member; a mistyped one becomes the skip reason. */
struct fields {
    struct ch_err ferr;
    int rc;
};

static const char *opt_str(struct fields *fs, const cJSON *o, const char *key, const char *path)
{
    const char *v = NULL;
    if (fs->rc == CH_OK)
        fs->rc = ch_json_get_str(o, key, false, path, &v, &fs->ferr);
    return v;
}

static int finish(struct sbom_ctx *ctx, struct fields *fs, struct sbom_found *f,
                  struct ch_err *err)
{
    if (fs->rc == CH_E_NOMEM)
        return ch_sbom__nomem(err);
    if (fs->rc != CH_OK)
        return ch_sbom__skip(ctx, f->location, err, "%s", fs->ferr.msg);
    if (f->name == NULL)
        return ch_sbom__skip(ctx, f->location, err, "package without a name");
    if (f->purl != NULL && f->purl[0] == '\0')
        f->purl = NULL;
    if (f->version != NULL && strcmp(f->version, "NOASSERTION") == 0)
        f->version = NULL;
    return ch_sbom__add(ctx, f, err);
}

static int read_spdx2_package(struct sbom_ctx *ctx, const cJSON *p, const char *path,
                              struct ch_err *err)
{
    if (!cJSON_IsObject(p))
        return ch_sbom__skip(ctx, path, err, "package is not an object");
    struct fields fs = {.ferr = CH_ERR_INIT};
    struct sbom_found f = {.location = path};
    f.name = opt_str(&fs, p, "name", path);
    f.version = opt_str(&fs, p, "versionInfo", path);
    f.ref = opt_str(&fs, p, "SPDXID", path);
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(p, "externalRefs");
    const cJSON *r;
    size_t i = 0;
    const cJSON *refs_arr = cJSON_IsArray(refs) ? refs : NULL;
    cJSON_ArrayForEach(r, refs_arr)
    {
        const char *rp = ch_arena_printf(ctx->tmp, "%s.externalRefs[%zu]", path, i++);
        if (rp == NULL)
            return ch_sbom__nomem(err);
        const char *type = opt_str(&fs, r, "referenceType", rp);
        const char *loc = opt_str(&fs, r, "referenceLocator", rp);
        if (type == NULL || loc == NULL)
            continue;
        if (strcmp(type, "purl") == 0 && f.purl == NULL)
            f.purl = loc;
        else if ((strcmp(type, "cpe23Type") == 0 || strcmp(type, "cpe22Type") == 0) &&
                 f.cpe == NULL)
            f.cpe = loc;
    }
    return finish(ctx, &fs, &f, err);
}

int ch_sbom__read_spdx2(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err)
{
    const char *version = NULL;
    const cJSON *pkgs = NULL;
    int rc = ch_json_get_str(doc, "spdxVersion", true, "", &version, err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(doc, "packages", false, "", &pkgs, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "%s", ctx->file);
    if (strncmp(version, "SPDX-2.", 7) != 0)
        return ch_err_setf(err, CH_E_UNSUPPORTED, "spdxVersion",
                           "%s: spdxVersion '%s' is not supported (SPDX-2.2, SPDX-2.3)",
                           ctx->file, version);
    const cJSON *p;
    size_t i = 0;
    cJSON_ArrayForEach(p, pkgs)
    {
        const char *path = ch_arena_printf(ctx->tmp, "packages[%zu]", i++);
        rc = path == NULL ? ch_sbom__nomem(err) : read_spdx2_package(ctx, p, path, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

static int read_spdx3_package(struct sbom_ctx *ctx, const cJSON *e, const char *path,
                              struct ch_err *err)
{
    struct fields fs = {.ferr = CH_ERR_INIT};
    struct sbom_found f = {.location = path};
    f.name = opt_str(&fs, e, "name", path);
    f.version = opt_str(&fs, e, "software_packageVersion", path);
    f.ref = opt_str(&fs, e, "spdxId", path);
    if (f.ref == NULL)
        f.ref = opt_str(&fs, e, "@id", path);
    f.purl = opt_str(&fs, e, "software_packageUrl", path);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(e, "externalIdentifier");
    const cJSON *x;
    size_t i = 0;
    const cJSON *ids_arr = cJSON_IsArray(ids) ? ids : NULL;
    cJSON_ArrayForEach(x, ids_arr)
    {
        const char *xp = ch_arena_printf(ctx->tmp, "%s.externalIdentifier[%zu]", path, i++);
        if (xp == NULL)
            return ch_sbom__nomem(err);
        const char *type = opt_str(&fs, x, "externalIdentifierType", xp);
        const char *id = opt_str(&fs, x, "identifier", xp);
        if (type == NULL || id == NULL)
            continue;
        if (strcmp(type, "packageUrl") == 0 && f.purl == NULL)
            f.purl = id;
        else if ((strcmp(type, "cpe23") == 0 || strcmp(type, "cpe22") == 0) && f.cpe == NULL)
            f.cpe = id;
    }
    return finish(ctx, &fs, &f, err);
}

static bool spdx3_context(const cJSON *ctxv)
{
    if (cJSON_IsString(ctxv))
        return strstr(ctxv->valuestring, "spdx.org/rdf/3") != NULL;
    const cJSON *c;
    const cJSON *arr = cJSON_IsArray(ctxv) ? ctxv : NULL;
    cJSON_ArrayForEach(c, arr)
    {
        if (cJSON_IsString(c) && strstr(c->valuestring, "spdx.org/rdf/3") != NULL)
            return true;
    }
    return false;
}

int ch_sbom__read_spdx3(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err)
{
    const cJSON *graph = NULL;
    int rc = ch_json_get_arr(doc, "@graph", true, "", &graph, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "%s", ctx->file);
    if (!spdx3_context(cJSON_GetObjectItemCaseSensitive(doc, "@context")))
        return ch_err_setf(err, CH_E_UNSUPPORTED, "@context",
                           "%s: '@context' is not the SPDX 3 context", ctx->file);
    const cJSON *e;
    size_t i = 0;
    cJSON_ArrayForEach(e, graph)
    {
        size_t idx = i++;
        const char *type = cJSON_IsObject(e) ? ch_json_str(e, "type") : NULL;
        if (type == NULL || (strcmp(type, "software_Package") != 0 &&
                             strcmp(type, "software:Package") != 0))
            continue;
        const char *path = ch_arena_printf(ctx->tmp, "@graph[%zu]", idx);
        rc = path == NULL ? ch_sbom__nomem(err) : read_spdx3_package(ctx, e, path, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}
