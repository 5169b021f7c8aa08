/* SPDX-License-Identifier: Apache-2.0
 *
 * cargo_lock.c: Cargo.lock (https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html),
 * the TOML subset Cargo writes: `[[package]]` tables of `key = "value"` lines.
 *
 * A package from crates.io (source "registry+https://github.com/rust-lang/
 * crates.io-index" or "sparse+https://index.crates.io/") is a component.
 * Packages without a source are the workspace's own crates; git and other
 * registries are not crates.io versions; both are skipped with the reason.
 */
#include "sbom/internal.h"

#include <string.h>

struct pkg {
    struct ch_str name, version, source;
    size_t line;
    bool open;
};

static bool crates_io(struct ch_str s)
{
    return ch_str_eq_c(s, "registry+https://github.com/rust-lang/crates.io-index") ||
           ch_str_eq_c(s, "sparse+https://index.crates.io/");
}

static int flush(struct sbom_ctx *ctx, struct pkg *p, struct ch_err *err)
{
    if (!p->open)
        return CH_OK;
    p->open = false;
    const char *loc = ch_sbom__line_loc(ctx, p->line);
    if (loc == NULL)
        return ch_sbom__nomem(err);
    if (p->name.len == 0 || p->version.len == 0)
        return ch_sbom__skip(ctx, loc, err, "package without name or version");
    if (p->source.len == 0)
        return ch_sbom__skip(ctx, loc, err, "'%.*s' is a local crate (no source)",
                             CH_STR_FMT(p->name));
    if (!crates_io(p->source))
        return ch_sbom__skip(ctx, loc, err, "'%.*s' is not from crates.io ('%.*s')",
                             CH_STR_FMT(p->name), CH_STR_FMT(p->source));
    const char *n = ch_arena_str(ctx->tmp, p->name), *v = ch_arena_str(ctx->tmp, p->version);
    if (n == NULL || v == NULL)
        return ch_sbom__nomem(err);
    struct ch_purl parts = {.type = "cargo", .name = n, .version = v};
    struct sbom_found f = {.parts = &parts, .name = n, .version = v, .location = loc};
    return ch_sbom__add(ctx, &f, err);
}

int ch_sbom__read_cargo_lock(struct sbom_ctx *ctx, const char *data, size_t len,
                             struct ch_err *err)
{
    struct sbom_lines it;
    struct ch_str line;
    struct pkg p = {0};
    int r, rc;
    ch_sbom__lines_init(&it, data, len);
    while ((r = ch_sbom__lines_next(&it, ctx, &line, err)) == 1) {
        struct ch_str l = ch_str_trim(line);
        if (l.len == 0 || l.ptr[0] == '#')
            continue;
        if (l.ptr[0] == '[') {
            rc = flush(ctx, &p, err);
            if (rc != CH_OK)
                return rc;
            if (ch_str_eq_c(l, "[[package]]"))
                p = (struct pkg){.line = it.line, .open = true};
            continue;
        }
        if (!p.open)
            continue;
        long eq = ch_str_find_char(l, '=');
        if (eq <= 0)
            continue; /* continuation of a multi-line array (dependencies) */
        struct ch_str key = ch_str_trim(ch_str_sub(l, 0, (size_t)eq));
        struct ch_str val = ch_str_trim(ch_str_sub(l, (size_t)eq + 1, l.len));
        if (val.len < 2 || val.ptr[0] != '"' || val.ptr[val.len - 1] != '"')
            continue; /* arrays and tables are not needed */
        val = ch_str_sub(val, 1, val.len - 2);
        if (ch_str_eq_c(key, "name"))
            p.name = val;
        else if (ch_str_eq_c(key, "version"))
            p.version = val;
        else if (ch_str_eq_c(key, "source"))
            p.source = val;
    }
    if (r < 0)
        return r;
    return flush(ctx, &p, err);
}
