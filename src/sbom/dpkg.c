/* SPDX-License-Identifier: Apache-2.0
 *
 * dpkg.c: the dpkg status database (/var/lib/dpkg/status, deb822 paragraphs;
 * https://manpages.debian.org/dpkg/dpkg.1.en.html#INFORMATION_ABOUT_PACKAGES).
 *
 * A paragraph is a component when its Status says "installed" (config-files,
 * half-installed and the like are skipped). Package, Version and
 * Architecture give name, version and the arch qualifier; Source gives the
 * source package, either "name" or "name (version)" (the source version
 * defaults to the binary one). Debian and Ubuntu advisories name source
 * packages, so matching uses source_name/source_version. The distribution
 * (purl namespace and distro qualifier) comes from the options, which
 * ch_sbom_read_file() fills from an os-release file.
 */
#include "sbom/internal.h"

#include <string.h>

struct para {
    size_t start_line;
    struct ch_str package, status, version, source, arch;
    bool any;
};

static struct ch_str word(struct ch_str *rest)
{
    struct ch_str s = ch_str_trim(*rest);
    size_t n = 0;
    while (n < s.len && s.ptr[n] != ' ' && s.ptr[n] != '\t')
        n++;
    *rest = ch_str_sub(s, n, s.len);
    return ch_str_sub(s, 0, n);
}

/* "installed" is the third word of "install ok installed". */
static bool is_installed(struct ch_str status)
{
    struct ch_str rest = status, w = CH_STR_NULL;
    for (int i = 0; i < 3; i++)
        w = word(&rest);
    return ch_str_eq_c(w, "installed");
}

static int flush(struct sbom_ctx *ctx, const struct para *p, struct ch_err *err)
{
    if (!p->any)
        return CH_OK;
    const char *loc = ch_sbom__line_loc(ctx, p->start_line);
    if (loc == NULL)
        return ch_sbom__nomem(err);
    if (p->package.len == 0)
        return ch_sbom__skip(ctx, loc, err, "paragraph without a Package field");
    if (!is_installed(p->status))
        return ch_sbom__skip(ctx, loc, err, "'%.*s' is not installed (Status: %.*s)",
                             CH_STR_FMT(p->package), CH_STR_FMT(p->status));
    if (p->version.len == 0)
        return ch_sbom__skip(ctx, loc, err, "'%.*s' has no Version", CH_STR_FMT(p->package));
    struct ch_arena *a = ctx->tmp;
    const char *name = ch_arena_str(a, p->package), *version = ch_arena_str(a, p->version);
    struct ch_str src = p->source, srcv = p->version;
    long paren = ch_str_find_char(src, '(');
    if (paren >= 0) {
        srcv = ch_str_trim(ch_str_sub(src, (size_t)paren + 1, src.len));
        if (srcv.len > 0 && srcv.ptr[srcv.len - 1] == ')')
            srcv.len--;
        src = ch_str_trim(ch_str_sub(src, 0, (size_t)paren));
    }
    if (src.len == 0)
        src = p->package;
    const char *distro = ctx->opt->distro != NULL ? ctx->opt->distro : "debian";
    const char *release = ctx->opt->distro_release;
    struct ch_purl_qualifier q[2];
    size_t nq = 0;
    if (p->arch.len > 0)
        q[nq++] = (struct ch_purl_qualifier){"arch", ch_arena_str(a, p->arch)};
    if (release != NULL)
        q[nq++] = (struct ch_purl_qualifier){"distro",
                                             ch_arena_printf(a, "%s-%s", distro, release)};
    struct sbom_found f = {.name = name, .version = version, .location = loc,
                           .source_name = ch_arena_str(a, src),
                           .source_version = ch_arena_str(a, srcv), .release = release};
    for (size_t i = 0; i < nq; i++) {
        if (q[i].value == NULL)
            return ch_sbom__nomem(err);
    }
    if (name == NULL || version == NULL || f.source_name == NULL || f.source_version == NULL)
        return ch_sbom__nomem(err);
    struct ch_purl parts = {.type = "deb", .ns = distro, .name = name, .version = version,
                            .qualifiers = q, .n_qualifiers = nq};
    f.parts = &parts;
    return ch_sbom__add(ctx, &f, err);
}

int ch_sbom__read_dpkg(struct sbom_ctx *ctx, const char *data, size_t len, struct ch_err *err)
{
    struct sbom_lines it;
    struct ch_str line;
    struct para p = {0};
    int r;
    ch_sbom__lines_init(&it, data, len);
    while ((r = ch_sbom__lines_next(&it, ctx, &line, err)) == 1) {
        if (ch_str_trim(line).len == 0) {
            int rc = flush(ctx, &p, err);
            if (rc != CH_OK)
                return rc;
            p = (struct para){0};
            continue;
        }
        if (line.ptr[0] == ' ' || line.ptr[0] == '\t')
            continue; /* continuation of a multi-line field */
        long colon = ch_str_find_char(line, ':');
        if (colon <= 0)
            return ch_err_set(err, CH_E_INVALID, "%s:%zu: expected 'Field: value'", ctx->file,
                              it.line);
        if (!p.any)
            p.start_line = it.line;
        p.any = true;
        struct ch_str key = ch_str_sub(line, 0, (size_t)colon);
        struct ch_str val = ch_str_trim(ch_str_sub(line, (size_t)colon + 1, line.len));
        if (ch_str_case_eq_c(key, "Package"))
            p.package = val;
        else if (ch_str_case_eq_c(key, "Status"))
            p.status = val;
        else if (ch_str_case_eq_c(key, "Version"))
            p.version = val;
        else if (ch_str_case_eq_c(key, "Source"))
            p.source = val;
        else if (ch_str_case_eq_c(key, "Architecture"))
            p.arch = val;
    }
    if (r < 0)
        return r;
    return flush(ctx, &p, err);
}
