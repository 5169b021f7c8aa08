/* SPDX-License-Identifier: Apache-2.0
 *
 * gemfile_lock.c: Bundler's Gemfile.lock (https://bundler.io/guides/gemfile.html).
 *
 * Sections start at column 0 ("GEM", "GIT", "PATH", "PLATFORMS", ...). In a
 * GEM section, the lines under "  specs:" indented by exactly four spaces are
 * the installed gems, "name (version)" or "name (version-platform)"; deeper
 * lines are their dependencies. Gems of GIT and PATH sections are not
 * rubygems.org releases and are skipped with the reason.
 */
#include "sbom/internal.h"

#include <string.h>

enum section { SEC_OTHER, SEC_GEM, SEC_GIT, SEC_PATH };

static int spec_line(struct sbom_ctx *ctx, enum section sec, struct ch_str l, size_t line,
                     struct ch_err *err)
{
    const char *loc = ch_sbom__line_loc(ctx, line);
    if (loc == NULL)
        return ch_sbom__nomem(err);
    long open = ch_str_find_char(l, '(');
    if (open <= 0 || l.ptr[l.len - 1] != ')')
        return ch_err_set(err, CH_E_INVALID, "%s:%zu: expected 'name (version)'", ctx->file,
                          line);
    struct ch_str name = ch_str_trim(ch_str_sub(l, 0, (size_t)open));
    struct ch_str ver = ch_str_sub(l, (size_t)open + 1, l.len - (size_t)open - 2);
    if (sec != SEC_GEM)
        return ch_sbom__skip(ctx, loc, err, "'%.*s' comes from a %s source", CH_STR_FMT(name),
                             sec == SEC_GIT ? "git" : "local path");
    struct ch_str platform = CH_STR_NULL;
    long dash = ch_str_find_char(ver, '-');
    if (dash >= 0) {
        platform = ch_str_sub(ver, (size_t)dash + 1, ver.len);
        ver = ch_str_sub(ver, 0, (size_t)dash);
    }
    const char *n = ch_arena_str(ctx->tmp, name), *v = ch_arena_str(ctx->tmp, ver);
    struct ch_purl_qualifier q = {"platform", ch_arena_str(ctx->tmp, platform)};
    if (n == NULL || v == NULL || q.value == NULL)
        return ch_sbom__nomem(err);
    struct ch_purl parts = {.type = "gem", .name = n, .version = v, .qualifiers = &q,
                            .n_qualifiers = platform.len > 0 ? 1 : 0};
    struct sbom_found f = {.parts = &parts, .name = n, .version = v, .location = loc};
    return ch_sbom__add(ctx, &f, err);
}

static size_t indent(struct ch_str l)
{
    size_t n = 0;
    while (n < l.len && l.ptr[n] == ' ')
        n++;
    return n;
}

int ch_sbom__read_gemfile_lock(struct sbom_ctx *ctx, const char *data, size_t len,
                               struct ch_err *err)
{
    struct sbom_lines it;
    struct ch_str line;
    enum section sec = SEC_OTHER;
    bool in_specs = false;
    int r;
    ch_sbom__lines_init(&it, data, len);
    while ((r = ch_sbom__lines_next(&it, ctx, &line, err)) == 1) {
        struct ch_str l = ch_str_trim(line);
        if (l.len == 0)
            continue;
        size_t ind = indent(line);
        if (ind == 0) {
            sec = ch_str_eq_c(l, "GEM")    ? SEC_GEM
                  : ch_str_eq_c(l, "GIT")  ? SEC_GIT
                  : ch_str_eq_c(l, "PATH") ? SEC_PATH
                                           : SEC_OTHER;
            in_specs = false;
            continue;
        }
        if (sec == SEC_OTHER)
            continue;
        if (ind == 2) {
            in_specs = ch_str_eq_c(l, "specs:");
            continue;
        }
        if (ind == 4 && in_specs) {
            int rc = spec_line(ctx, sec, l, it.line, err);
            if (rc != CH_OK)
                return rc;
        }
    }
    return r < 0 ? r : CH_OK;
}
