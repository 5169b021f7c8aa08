/* SPDX-License-Identifier: Apache-2.0
 *
 * version.c: the dispatch from ecosystem names to version schemes (see
 * version.h), and the helpers the scheme files share.
 *
 * The ecosystem table follows the OSV schema's list of ecosystems
 * (ossf/osv-schema: validation/ecosystems.json); an ecosystem is listed here
 * only when its version order is documented and implemented, never by
 * resemblance. Length limits are enforced once, here, before any scheme
 * sees a version.
 */
#include "version/version.h"

#include "version/internal.h"

struct eco_entry {
    const char *name;
    const struct ch_version_scheme *scheme;
};

/* OSV ecosystem base names (before any ':' suffix) → scheme. */
static const struct eco_entry ecosystems[] = {
    {"npm", &ch_version__semver},        {"crates.io", &ch_version__semver},
    {"Hex", &ch_version__semver},        {"Pub", &ch_version__semver},
    {"SwiftURL", &ch_version__semver},   {"GitHub Actions", &ch_version__semver},
    {"Bitnami", &ch_version__semver},    {"Go", &ch_version__go},
    {"Kubernetes", &ch_version__go},     {"PyPI", &ch_version__pep440},
    {"Maven", &ch_version__maven},       {"NuGet", &ch_version__nuget},
    {"RubyGems", &ch_version__rubygems}, {"Packagist", &ch_version__composer},
    {"Debian", &ch_version__dpkg},       {"Ubuntu", &ch_version__dpkg},
    {"Red Hat", &ch_version__rpm},       {"AlmaLinux", &ch_version__rpm},
    {"Rocky Linux", &ch_version__rpm},   {"SUSE", &ch_version__rpm},
    {"openSUSE", &ch_version__rpm},      {"Mageia", &ch_version__rpm},
    {"Azure Linux", &ch_version__rpm},   {"Photon OS", &ch_version__rpm},
    {"openEuler", &ch_version__rpm},     {"Alpine", &ch_version__apk},
    {"Wolfi", &ch_version__apk},         {"Chainguard", &ch_version__apk},
    {"CRAN", &ch_version__cran},         {"Bioconductor", &ch_version__cran},
    {"Hackage", &ch_version__pvp},       {"GHC", &ch_version__pvp},
};

/* Scheme names and CVE JSON 5 versionType spellings (matched case-insensitively). */
static const struct eco_entry scheme_names[] = {
    {"semver", &ch_version__semver},
    {"npm", &ch_version__semver},
    {"go", &ch_version__go},
    {"pep440", &ch_version__pep440},
    {"python", &ch_version__pep440},
    {"pypi", &ch_version__pep440},
    {"maven", &ch_version__maven},
    {"nuget", &ch_version__nuget},
    {"rubygems", &ch_version__rubygems},
    {"gem", &ch_version__rubygems},
    {"composer", &ch_version__composer},
    {"packagist", &ch_version__composer},
    {"dpkg", &ch_version__dpkg},
    {"deb", &ch_version__dpkg},
    {"debian", &ch_version__dpkg},
    {"rpm", &ch_version__rpm},
    {"apk", &ch_version__apk},
    {"alpine", &ch_version__apk},
    {"cran", &ch_version__cran},
    {"pvp", &ch_version__pvp},
    {"hackage", &ch_version__pvp},
};

static const struct ch_version_scheme *const all_schemes[] = {
    &ch_version__semver, &ch_version__go,       &ch_version__pep440,   &ch_version__maven,
    &ch_version__nuget,  &ch_version__rubygems, &ch_version__composer, &ch_version__dpkg,
    &ch_version__rpm,    &ch_version__apk,      &ch_version__cran,     &ch_version__pvp,
};

/* Copies up to 80 bytes of s into buf for a message, '?' for non-printable bytes. */
static const char *quote(char *buf, size_t size, struct ch_str s)
{
    size_t n = 0;
    size_t max = size - 4;
    for (size_t i = 0; i < s.len && n < max; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        buf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s.len > max) {
        buf[n++] = '.';
        buf[n++] = '.';
        buf[n++] = '.';
    }
    buf[n] = '\0';
    return buf;
}

int ch_version__invalid(struct ch_err *err, const struct ch_version_scheme *s, struct ch_str v,
                        const char *why)
{
    char q[84];
    return ch_err_set(err, CH_E_INVALID, "invalid %s version '%s': %s", s->label,
                      quote(q, sizeof(q), v), why);
}

int ch_version__numcmp(const char *a, size_t alen, const char *b, size_t blen)
{
    while (alen > 0 && *a == '0') {
        a++;
        alen--;
    }
    while (blen > 0 && *b == '0') {
        b++;
        blen--;
    }
    if (alen != blen)
        return alen < blen ? -1 : 1;
    int c = alen == 0 ? 0 : memcmp(a, b, alen);
    return (c > 0) - (c < 0);
}

int ch_version_scheme_for(struct ch_str ecosystem, const struct ch_version_scheme **ret,
                          struct ch_err *err)
{
    char q[84];
    if (ecosystem.len == 0)
        return ch_err_set(err, CH_E_INVALID, "empty ecosystem name");
    if (ecosystem.len > CH_VERSION_MAX_ECOSYSTEM_LEN)
        return ch_err_set(err, CH_E_INVALID, "ecosystem name '%s' is longer than %d bytes",
                          quote(q, sizeof(q), ecosystem), CH_VERSION_MAX_ECOSYSTEM_LEN);
    struct ch_str base = ecosystem;
    long colon = ch_str_find_char(ecosystem, ':');
    if (colon >= 0)
        base.len = (size_t)colon;
    for (size_t i = 0; i < CH_ARRAY_SIZE(ecosystems); i++) {
        if (ch_str_eq_c(base, ecosystems[i].name)) {
            *ret = ecosystems[i].scheme;
            return CH_OK;
        }
    }
    return ch_err_set(err, CH_E_UNSUPPORTED, "no version order known for ecosystem '%s'",
                      quote(q, sizeof(q), ecosystem));
}

int ch_version_scheme_by_name(struct ch_str name, const struct ch_version_scheme **ret,
                              struct ch_err *err)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(scheme_names); i++) {
        if (ch_str_case_eq_c(name, scheme_names[i].name)) {
            *ret = scheme_names[i].scheme;
            return CH_OK;
        }
    }
    char q[84];
    return ch_err_set(err, CH_E_UNSUPPORTED, "no version order known for version type '%s'",
                      quote(q, sizeof(q), name));
}

const char *ch_version_scheme_name(const struct ch_version_scheme *scheme)
{
    return scheme->name;
}

size_t ch_version_scheme_count(void)
{
    return CH_ARRAY_SIZE(all_schemes);
}

const struct ch_version_scheme *ch_version_scheme_at(size_t i)
{
    return i < CH_ARRAY_SIZE(all_schemes) ? all_schemes[i] : NULL;
}

static int check_len(const struct ch_version_scheme *s, struct ch_str v, struct ch_err *err)
{
    if (CH_UNLIKELY(v.len == 0))
        return ch_err_set(err, CH_E_INVALID, "empty %s version", s->label);
    if (CH_UNLIKELY(v.len > CH_VERSION_MAX_LEN)) {
        char q[84];
        return ch_err_set(err, CH_E_LIMIT, "%s version '%s' is longer than %d bytes", s->label,
                          quote(q, sizeof(q), v), CH_VERSION_MAX_LEN);
    }
    return CH_OK;
}

int ch_version_cmp(const struct ch_version_scheme *scheme, struct ch_str a, struct ch_str b,
                   int *ret_cmp, struct ch_err *err)
{
    int rc = check_len(scheme, a, err);
    if (rc == CH_OK)
        rc = check_len(scheme, b, err);
    if (rc != CH_OK)
        return rc;
    int cmp = 0;
    rc = scheme->cmp(a, b, &cmp, err);
    if (rc != CH_OK)
        return rc;
    *ret_cmp = cmp;
    return CH_OK;
}

int ch_version_validate(const struct ch_version_scheme *scheme, struct ch_str v, struct ch_err *err)
{
    int rc = check_len(scheme, v, err);
    if (rc != CH_OK)
        return rc;
    return scheme->validate(v, err);
}
