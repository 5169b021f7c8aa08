/* SPDX-License-Identifier: Apache-2.0
 *
 * requirements.c: pip requirements files
 * (https://pip.pypa.io/en/stable/reference/requirements-file-format/).
 *
 * Only exact pins name what is installed: "name==version" (also "===",
 * extras "name[x]==1", environment markers after ';', hash options after the
 * version). Everything else is recorded as skipped with its line: ranges,
 * unpinned names, wildcard pins ("==1.*"), URLs and direct references, and
 * option lines ("-r other.txt", "-e ."), which are not followed. Lines ending
 * in '\' continue on the next line; '#' starts a comment at the beginning of
 * a line or after whitespace.
 */
#include "sbom/internal.h"

#include <string.h>

#include "core/buf.h"

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

static struct ch_str strip_comment(struct ch_str l)
{
    for (size_t i = 0; i < l.len; i++) {
        if (l.ptr[i] == '#' && (i == 0 || l.ptr[i - 1] == ' ' || l.ptr[i - 1] == '\t'))
            return ch_str_sub(l, 0, i);
    }
    return l;
}

static int one_requirement(struct sbom_ctx *ctx, struct ch_str l, size_t line,
                           struct ch_err *err)
{
    const char *loc = ch_sbom__line_loc(ctx, line);
    if (loc == NULL)
        return ch_sbom__nomem(err);
    l = ch_str_trim(strip_comment(l));
    if (l.len == 0)
        return CH_OK;
    if (l.ptr[0] == '-')
        return ch_sbom__skip(ctx, loc, err, "option line '%.*s' not followed", CH_STR_FMT(l));
    long semi = ch_str_find_char(l, ';');
    if (semi >= 0)
        l = ch_str_trim(ch_str_sub(l, 0, (size_t)semi));
    size_t n = 0;
    while (n < l.len && name_char(l.ptr[n]))
        n++;
    struct ch_str name = ch_str_sub(l, 0, n), rest = ch_str_sub(l, n, l.len);
    if (rest.len > 0 && rest.ptr[0] == '[') {
        long close = ch_str_find_char(rest, ']');
        rest = close < 0 ? CH_STR_LIT("?") : ch_str_sub(rest, (size_t)close + 1, rest.len);
    }
    rest = ch_str_trim(rest);
    if (name.len == 0)
        return ch_sbom__skip(ctx, loc, err, "not a requirement: '%.*s'", CH_STR_FMT(l));
    size_t op = ch_str_starts_with(rest, "===") ? 3 : ch_str_starts_with(rest, "==") ? 2 : 0;
    if (op == 0)
        return ch_sbom__skip(ctx, loc, err, "'%.*s' is not pinned with '=='", CH_STR_FMT(l));
    struct ch_str ver = ch_str_trim(ch_str_sub(rest, op, rest.len));
    size_t vn = 0;
    while (vn < ver.len && ver.ptr[vn] != ' ' && ver.ptr[vn] != '\t')
        vn++;
    struct ch_str tail = ch_str_trim(ch_str_sub(ver, vn, ver.len));
    ver = ch_str_sub(ver, 0, vn);
    if (ver.len == 0 || ch_str_find_char(ver, '*') >= 0 || ch_str_find_char(ver, ',') >= 0 ||
        (tail.len > 0 && !ch_str_starts_with(tail, "--hash")))
        return ch_sbom__skip(ctx, loc, err, "'%.*s' is not an exact pin", CH_STR_FMT(l));
    const char *nm = ch_arena_str(ctx->tmp, name), *vs = ch_arena_str(ctx->tmp, ver);
    if (nm == NULL || vs == NULL)
        return ch_sbom__nomem(err);
    struct ch_purl parts = {.type = "pypi", .name = nm, .version = vs};
    struct sbom_found f = {.parts = &parts, .name = nm, .version = vs, .location = loc};
    return ch_sbom__add(ctx, &f, err);
}

int ch_sbom__read_requirements(struct sbom_ctx *ctx, const char *data, size_t len,
                               struct ch_err *err)
{
    struct sbom_lines it;
    struct ch_str line;
    struct ch_buf logical;
    ch_buf_init(&logical, CH_SBOM_MAX_LINE_BYTES);
    size_t first = 0;
    int r = 0, rc = CH_OK;
    ch_sbom__lines_init(&it, data, len);
    while (rc == CH_OK && (r = ch_sbom__lines_next(&it, ctx, &line, err)) == 1) {
        if (ch_buf_len(&logical) == 0)
            first = it.line;
        bool cont = line.len > 0 && line.ptr[line.len - 1] == '\\';
        ch_buf_append(&logical, line.ptr, cont ? line.len - 1 : line.len);
        if (logical.failed == CH_E_NOMEM) {
            rc = ch_sbom__nomem(err);
            break;
        }
        if (logical.failed != 0) {
            rc = ch_err_set(err, CH_E_LIMIT, "%s:%zu: continued line longer than %zu bytes",
                            ctx->file, first, CH_SBOM_MAX_LINE_BYTES);
            break;
        }
        if (cont)
            continue;
        rc = one_requirement(ctx, ch_buf_str(&logical), first, err);
        ch_buf_reset(&logical);
    }
    if (rc == CH_OK && r < 0)
        rc = r;
    if (rc == CH_OK && ch_buf_len(&logical) > 0)
        rc = one_requirement(ctx, ch_buf_str(&logical), first, err);
    ch_buf_release(&logical);
    return rc;
}
