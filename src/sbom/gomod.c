/* SPDX-License-Identifier: Apache-2.0
 *
 * gomod.c: go.mod files (https://go.dev/ref/mod#go-mod-file).
 *
 * Every `require` (single line or block) is a Go module at a version; a
 * `replace` directive (single line or block) that matches it, by path and,
 * when given, by version, substitutes the replacement module and version.
 * A replacement by a local directory ("./x", "../x", "/x") is not a module
 * version OSV knows: that requirement is skipped with the reason. Versions
 * keep their "v" prefix, as in go.mod and Go purls.
 */
#include "sbom/internal.h"

#include <string.h>

enum block { BLOCK_NONE, BLOCK_REQUIRE, BLOCK_REPLACE, BLOCK_OTHER };

struct req {
    struct ch_str path, version;
    size_t line;
};

struct repl {
    struct ch_str old_path, old_version, new_path, new_version;
};

/* Splits a line into at most max tokens (quoted strings unquoted). */
static size_t tokens(struct ch_str l, struct ch_str *tok, size_t max)
{
    size_t n = 0, i = 0;
    while (i < l.len && n < max) {
        while (i < l.len && (l.ptr[i] == ' ' || l.ptr[i] == '\t'))
            i++;
        if (i >= l.len)
            break;
        char q = l.ptr[i] == '"' || l.ptr[i] == '`' ? l.ptr[i] : 0;
        size_t start = q != 0 ? ++i : i;
        while (i < l.len && (q != 0 ? l.ptr[i] != q : (l.ptr[i] != ' ' && l.ptr[i] != '\t')))
            i++;
        tok[n++] = ch_str_sub(l, start, i - start);
        if (q != 0 && i < l.len)
            i++;
    }
    return n;
}

static struct ch_str strip_comment(struct ch_str l)
{
    for (size_t i = 0; i + 1 < l.len; i++) {
        if (l.ptr[i] == '/' && l.ptr[i + 1] == '/')
            return ch_str_sub(l, 0, i);
    }
    return l;
}

static bool local_path(struct ch_str p)
{
    return ch_str_starts_with(p, "./") || ch_str_starts_with(p, "../") ||
           ch_str_starts_with(p, "/") || ch_str_eq_c(p, ".") || ch_str_eq_c(p, "..");
}

static int add_require(struct sbom_ctx *ctx, const struct req *r, const struct repl *rp,
                       size_t n_rp, struct ch_err *err)
{
    struct ch_str path = r->path, version = r->version;
    const char *loc = ch_sbom__line_loc(ctx, r->line);
    if (loc == NULL)
        return ch_sbom__nomem(err);
    for (size_t i = 0; i < n_rp; i++) {
        if (!ch_str_eq(rp[i].old_path, path))
            continue;
        if (rp[i].old_version.len > 0 && !ch_str_eq(rp[i].old_version, version))
            continue;
        if (local_path(rp[i].new_path))
            return ch_sbom__skip(ctx, loc, err, "'%.*s' is replaced by local directory '%.*s'",
                                 CH_STR_FMT(path), CH_STR_FMT(rp[i].new_path));
        path = rp[i].new_path;
        version = rp[i].new_version;
    }
    const char *p = ch_arena_str(ctx->tmp, path), *v = ch_arena_str(ctx->tmp, version);
    if (p == NULL || v == NULL)
        return ch_sbom__nomem(err);
    const char *slash = strrchr(p, '/');
    struct ch_purl parts = {.type = "golang", .name = p, .version = v};
    if (slash != NULL) {
        parts.ns = ch_arena_strndup(ctx->tmp, p, (size_t)(slash - p));
        if (parts.ns == NULL)
            return ch_sbom__nomem(err);
        parts.name = slash + 1;
    }
    struct sbom_found f = {.parts = &parts, .name = p, .version = v, .location = loc};
    return ch_sbom__add(ctx, &f, err);
}

/* Parses "old [v] => new [v]" from tokens. */
static bool parse_replace(const struct ch_str *t, size_t n, struct repl *r)
{
    size_t arrow = 0;
    while (arrow < n && !ch_str_eq_c(t[arrow], "=>"))
        arrow++;
    if (arrow == 0 || arrow > 2 || arrow + 1 >= n || n - arrow - 1 > 2)
        return false;
    *r = (struct repl){.old_path = t[0], .new_path = t[arrow + 1]};
    if (arrow == 2)
        r->old_version = t[1];
    if (n - arrow - 1 == 2)
        r->new_version = t[arrow + 2];
    return local_path(r->new_path) || r->new_version.len > 0;
}

int ch_sbom__read_gomod(struct sbom_ctx *ctx, const char *data, size_t len, struct ch_err *err)
{
    /* Lines bound both lists: at most one entry per line. */
    size_t max = 1;
    for (size_t i = 0; i < len; i++)
        max += data[i] == '\n';
    struct req *reqs = ch_arena_calloc(ctx->tmp, max, sizeof(*reqs));
    struct repl *repls = ch_arena_calloc(ctx->tmp, max, sizeof(*repls));
    if (reqs == NULL || repls == NULL)
        return ch_sbom__nomem(err);
    size_t n_req = 0, n_repl = 0;
    enum block block = BLOCK_NONE;
    struct sbom_lines it;
    struct ch_str line, t[8];
    int r;
    ch_sbom__lines_init(&it, data, len);
    while ((r = ch_sbom__lines_next(&it, ctx, &line, err)) == 1) {
        size_t n = tokens(strip_comment(line), t, CH_ARRAY_SIZE(t));
        if (n == 0)
            continue;
        enum block kind = block;
        size_t first = 0;
        if (block == BLOCK_NONE) {
            if (ch_str_eq_c(t[0], "require"))
                kind = BLOCK_REQUIRE;
            else if (ch_str_eq_c(t[0], "replace"))
                kind = BLOCK_REPLACE;
            else
                kind = BLOCK_OTHER;
            first = 1;
            if (n == 2 && ch_str_eq_c(t[1], "(")) {
                block = kind;
                continue;
            }
        } else if (ch_str_eq_c(t[0], ")")) {
            block = BLOCK_NONE;
            continue;
        }
        const struct ch_str *a = t + first;
        size_t na = n - first;
        if (kind == BLOCK_REQUIRE) {
            if (na != 2)
                return ch_err_set(err, CH_E_INVALID, "%s:%zu: expected 'module/path version'",
                                  ctx->file, it.line);
            reqs[n_req++] = (struct req){.path = a[0], .version = a[1], .line = it.line};
        } else if (kind == BLOCK_REPLACE) {
            if (!parse_replace(a, na, &repls[n_repl]))
                return ch_err_set(err, CH_E_INVALID,
                                  "%s:%zu: expected 'path [version] => path [version]'",
                                  ctx->file, it.line);
            n_repl++;
        }
    }
    if (r < 0)
        return r;
    if (block != BLOCK_NONE)
        return ch_err_set(err, CH_E_INVALID, "%s:%zu: unterminated block", ctx->file, it.line);
    for (size_t i = 0; i < n_req; i++) {
        int rc = add_require(ctx, &reqs[i], repls, n_repl, err);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}
