/* SPDX-License-Identifier: Apache-2.0
 *
 * npm_lock.c: package-lock.json and npm-shrinkwrap.json, lockfileVersion 1
 * to 3 (https://docs.npmjs.com/cli/configuring-npm/package-lock-json).
 *
 * v2 and v3 list every installed package under `packages`, keyed by its path
 * ("node_modules/a/node_modules/@s/b"); the package name is what follows the
 * last "node_modules/" (or the entry's own `name`, for aliases). The root
 * ("") and workspace folders are the project itself, links point at them;
 * both are skipped. v1 nests `dependencies` objects (read recursively, up to
 * CH_SBOM_MAX_NESTING). Versions that are not registry versions (git, file,
 * tarball URLs) are skipped with the reason.
 */
#include "sbom/internal.h"

#include <string.h>

#include "core/json.h"

/* Registry versions only: "1.2.3", not "git+https://...", "file:..", "github:u/r". */
static bool registry_version(const char *v)
{
    return strchr(v, ':') == NULL && strchr(v, '/') == NULL && v[0] != '\0';
}

static int add_npm(struct sbom_ctx *ctx, const char *name, const char *version, const char *path,
                   struct ch_err *err)
{
    /* v1 aliases: "version": "npm:real-name@1.2.3" */
    if (strncmp(version, "npm:", 4) == 0) {
        const char *spec = version + 4, *at = strrchr(spec, '@');
        if (at == NULL || at == spec)
            return ch_sbom__skip(ctx, path, err, "alias '%s' without a version", version);
        name = ch_arena_strndup(ctx->tmp, spec, (size_t)(at - spec));
        version = at + 1;
        if (name == NULL)
            return ch_sbom__nomem(err);
    }
    if (!registry_version(version))
        return ch_sbom__skip(ctx, path, err, "'%s' is not from the registry ('%s')", name,
                             version);
    struct ch_purl parts = {.type = "npm", .name = name, .version = version};
    const char *slash = strchr(name, '/');
    if (name[0] == '@' && slash != NULL) {
        parts.ns = ch_arena_strndup(ctx->tmp, name, (size_t)(slash - name));
        if (parts.ns == NULL)
            return ch_sbom__nomem(err);
        parts.name = slash + 1;
    }
    struct sbom_found f = {.parts = &parts, .name = name, .version = version, .location = path};
    return ch_sbom__add(ctx, &f, err);
}

static int read_packages(struct sbom_ctx *ctx, const cJSON *pkgs, struct ch_err *err)
{
    static const char nm[] = "node_modules/";
    const cJSON *e;
    cJSON_ArrayForEach(e, pkgs)
    {
        const char *key = e->string;
        if (key[0] == '\0')
            continue; /* the project itself */
        const char *path = ch_arena_printf(ctx->tmp, "packages[\"%s\"]", key);
        if (path == NULL)
            return ch_sbom__nomem(err);
        int rc = CH_OK;
        const char *last = NULL;
        for (const char *s = strstr(key, nm); s != NULL; s = strstr(s + 1, nm))
            last = s + sizeof(nm) - 1;
        const char *version = NULL, *name = NULL;
        bool link = false;
        struct ch_err ferr = CH_ERR_INIT;
        if (!cJSON_IsObject(e)) {
            rc = ch_sbom__skip(ctx, path, err, "entry is not an object");
        } else if (last == NULL || last[0] == '\0') {
            rc = ch_sbom__skip(ctx, path, err, "workspace folder, not an installed package");
        } else if (ch_json_get_bool(e, "link", false, path, &link, &ferr) != CH_OK ||
                   ch_json_get_str(e, "version", false, path, &version, &ferr) != CH_OK ||
                   ch_json_get_str(e, "name", false, path, &name, &ferr) != CH_OK) {
            rc = ch_sbom__skip(ctx, path, err, "%s", ferr.msg);
        } else if (link) {
            rc = ch_sbom__skip(ctx, path, err, "link to a local folder");
        } else if (version == NULL) {
            rc = ch_sbom__skip(ctx, path, err, "package without a version");
        } else {
            rc = add_npm(ctx, name != NULL ? name : last, version, path, err);
        }
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

static int read_deps_v1(struct sbom_ctx *ctx, const cJSON *deps, const char *path,
                        unsigned depth, struct ch_err *err)
{
    if (depth > CH_SBOM_MAX_NESTING)
        return ch_err_set(err, CH_E_LIMIT, "%s: '%s' nests dependencies deeper than %u",
                          ctx->file, path, CH_SBOM_MAX_NESTING);
    const cJSON *e;
    cJSON_ArrayForEach(e, deps)
    {
        const char *p = ch_arena_printf(ctx->tmp, "%s[\"%s\"]", path, e->string);
        if (p == NULL)
            return ch_sbom__nomem(err);
        const char *version = NULL;
        struct ch_err ferr = CH_ERR_INIT;
        int rc;
        if (!cJSON_IsObject(e))
            rc = ch_sbom__skip(ctx, p, err, "entry is not an object");
        else if (ch_json_get_str(e, "version", false, p, &version, &ferr) != CH_OK)
            rc = ch_sbom__skip(ctx, p, err, "%s", ferr.msg);
        else if (version == NULL)
            rc = ch_sbom__skip(ctx, p, err, "dependency without a version");
        else
            rc = add_npm(ctx, e->string, version, p, err);
        const cJSON *sub = cJSON_IsObject(e) ? ch_json_obj(e, "dependencies") : NULL;
        if (rc == CH_OK && sub != NULL) {
            const char *sp = ch_arena_printf(ctx->tmp, "%s.dependencies", p);
            rc = sp == NULL ? ch_sbom__nomem(err) : read_deps_v1(ctx, sub, sp, depth + 1, err);
        }
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

int ch_sbom__read_npm_lock(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err)
{
    int64_t v = 0;
    const cJSON *pkgs = NULL, *deps = NULL;
    int rc = ch_json_get_int(doc, "lockfileVersion", true, "", 1, 1000, &v, err);
    if (rc == CH_OK)
        rc = ch_json_get_obj(doc, "packages", false, "", &pkgs, err);
    if (rc == CH_OK)
        rc = ch_json_get_obj(doc, "dependencies", false, "", &deps, err);
    if (rc != CH_OK)
        return ch_err_prefix(err, "%s", ctx->file);
    if (v > 3)
        return ch_err_setf(err, CH_E_UNSUPPORTED, "lockfileVersion",
                           "%s: lockfileVersion %lld is not supported (1 to 3)", ctx->file,
                           (long long)v);
    if (v >= 2 && pkgs != NULL)
        return read_packages(ctx, pkgs, err);
    if (deps == NULL)
        return CH_OK;
    return read_deps_v1(ctx, deps, "dependencies", 1, err);
}
