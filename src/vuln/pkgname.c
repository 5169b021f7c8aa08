/* SPDX-License-Identifier: Apache-2.0
 *
 * pkgname.c: per-ecosystem package-name normalisation (see pkgname.h).
 */
#include "vuln/pkgname.h"

struct ch_str ch_ecosystem_base(struct ch_str ecosystem)
{
    long colon = ch_str_find_char(ecosystem, ':');
    return colon < 0 ? ecosystem : ch_str_make(ecosystem.ptr, (size_t)colon);
}

static const char *const case_insensitive[] = {
    "NuGet", "Packagist", "crates.io", "Hex", "Pub", "Debian", "Ubuntu", "Alpine",
    "Wolfi", "Chainguard", "Red Hat", "AlmaLinux", "Rocky Linux", "SUSE", "openSUSE",
    "Mageia", "Photon OS", "Azure Linux", "CRAN", "Bioconductor", "Hackage",
};

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

int ch_pkgname_normalize(struct ch_str ecosystem, struct ch_str name, struct ch_buf *out)
{
    struct ch_str base = ch_ecosystem_base(ecosystem);
    if (ch_str_eq_c(base, "PyPI")) {
        int in_sep = 0;
        for (size_t i = 0; i < name.len; i++) {
            char c = name.ptr[i];
            if (c == '-' || c == '_' || c == '.') {
                if (!in_sep)
                    (void)ch_buf_append_byte(out, '-');
                in_sep = 1;
                continue;
            }
            in_sep = 0;
            (void)ch_buf_append_byte(out, lower(c));
        }
        return out->failed;
    }
    for (size_t i = 0; i < CH_ARRAY_SIZE(case_insensitive); i++) {
        if (ch_str_eq_c(base, case_insensitive[i])) {
            for (size_t k = 0; k < name.len; k++)
                (void)ch_buf_append_byte(out, lower(name.ptr[k]));
            return out->failed;
        }
    }
    return ch_buf_append_str(out, name);
}
