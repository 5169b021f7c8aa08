/* SPDX-License-Identifier: Apache-2.0
 *
 * ecosystem.c: purl type <-> OSV ecosystem. One table for the language
 * ecosystems (keyed by purl type), one for Linux distributions (keyed by
 * purl type and namespace); each row also says how the OSV package name is
 * made from namespace and name. Ecosystem names are those of the OSV schema
 * (https://ossf.github.io/osv-schema/#affectedpackage-field).
 */
#include "purl/ecosystem.h"

#include <string.h>

/* How OSV writes a package name from the purl namespace and name. */
enum name_style {
    NAME_PLAIN,      /* name only; a namespace is not expected */
    NAME_SLASH,      /* namespace "/" name (npm "@scope/name", Go, Packagist, SwiftURL) */
    NAME_COLON,      /* namespace ":" name (Maven group:artifact) */
};

struct eco_row {
    const char *type;       /* purl type */
    const char *ns;         /* purl namespace for distributions, else NULL */
    const char *ecosystem;  /* OSV ecosystem */
    enum name_style style;
    bool ns_required;       /* OSV name needs the namespace (Maven, Go, Packagist...) */
};

static const struct eco_row eco_rows[] = {
    {"npm", NULL, "npm", NAME_SLASH, false},
    {"pypi", NULL, "PyPI", NAME_PLAIN, false},
    {"maven", NULL, "Maven", NAME_COLON, true},
    {"golang", NULL, "Go", NAME_SLASH, true},
    {"cargo", NULL, "crates.io", NAME_PLAIN, false},
    {"gem", NULL, "RubyGems", NAME_PLAIN, false},
    {"nuget", NULL, "NuGet", NAME_PLAIN, false},
    {"composer", NULL, "Packagist", NAME_SLASH, true},
    {"hex", NULL, "Hex", NAME_PLAIN, false},
    {"pub", NULL, "Pub", NAME_PLAIN, false},
    {"cran", NULL, "CRAN", NAME_PLAIN, false},
    {"hackage", NULL, "Hackage", NAME_PLAIN, false},
    {"swift", NULL, "SwiftURL", NAME_SLASH, true},
    {"githubactions", NULL, "GitHub Actions", NAME_SLASH, true},
    {"conan", NULL, "ConanCenter", NAME_PLAIN, false},
    {"bitnami", NULL, "Bitnami", NAME_PLAIN, false},
    {"julia", NULL, "Julia", NAME_PLAIN, false},
    {"deb", "debian", "Debian", NAME_PLAIN, false},
    {"deb", "ubuntu", "Ubuntu", NAME_PLAIN, false},
    {"apk", "alpine", "Alpine", NAME_PLAIN, false},
    {"apk", "wolfi", "Wolfi", NAME_PLAIN, false},
    {"apk", "chainguard", "Chainguard", NAME_PLAIN, false},
    {"rpm", "redhat", "Red Hat", NAME_PLAIN, false},
    {"rpm", "rocky", "Rocky Linux", NAME_PLAIN, false},
    {"rpm", "almalinux", "AlmaLinux", NAME_PLAIN, false},
    {"rpm", "opensuse", "openSUSE", NAME_PLAIN, false},
    {"rpm", "suse", "SUSE", NAME_PLAIN, false},
    {"rpm", "mageia", "Mageia", NAME_PLAIN, false},
    {"rpm", "openeuler", "openEuler", NAME_PLAIN, false},
    {"rpm", "azurelinux", "Azure Linux", NAME_PLAIN, false},
    {"rpm", "photon", "Photon OS", NAME_PLAIN, false},
};

/* Release codenames found in "distro" qualifiers and os-release files. */
struct codename {
    const char *ns;
    const char *name;
    const char *release;
};

static const struct codename codenames[] = {
    {"debian", "wheezy", "7"},    {"debian", "jessie", "8"},    {"debian", "stretch", "9"},
    {"debian", "buster", "10"},   {"debian", "bullseye", "11"}, {"debian", "bookworm", "12"},
    {"debian", "trixie", "13"},   {"debian", "forky", "14"},    {"ubuntu", "xenial", "16.04"},
    {"ubuntu", "bionic", "18.04"}, {"ubuntu", "focal", "20.04"}, {"ubuntu", "jammy", "22.04"},
    {"ubuntu", "noble", "24.04"},
};

static int nomem(struct ch_err *err)
{
    return ch_err_set(err, CH_E_NOMEM, "out of memory");
}

static const struct eco_row *row_for_purl(const struct ch_purl *p)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(eco_rows); i++) {
        const struct eco_row *r = &eco_rows[i];
        if (strcmp(r->type, p->type) != 0)
            continue;
        if (r->ns == NULL || (p->ns != NULL && strcmp(r->ns, p->ns) == 0))
            return r;
    }
    return NULL;
}

static bool is_release_char(char c)
{
    return (c >= '0' && c <= '9') || c == '.';
}

/*
 * The release in a distro qualifier: "debian-12", "debian-12.5" (-> "12"),
 * "bookworm", "12", "alpine-3.18.4" (-> "3.18"), "ubuntu-22.04". NULL when
 * none is recognised.
 */
static int release_from_distro(const char *ns, const char *distro, struct ch_arena *a,
                               const char **ret, struct ch_err *err)
{
    *ret = NULL;
    if (distro == NULL)
        return CH_OK;
    for (size_t i = 0; i < CH_ARRAY_SIZE(codenames); i++) {
        if (strcmp(codenames[i].ns, ns) == 0 && strcmp(codenames[i].name, distro) == 0) {
            *ret = codenames[i].release;
            return CH_OK;
        }
    }
    const char *v = distro;
    size_t nlen = strlen(ns);
    if (strncmp(v, ns, nlen) == 0 && v[nlen] == '-')
        v += nlen + 1;
    for (size_t i = 0; i < CH_ARRAY_SIZE(codenames); i++) {
        if (strcmp(codenames[i].ns, ns) == 0 && strcmp(codenames[i].name, v) == 0) {
            *ret = codenames[i].release; /* "debian-bookworm" */
            return CH_OK;
        }
    }
    if (*v == 'v')
        v++;
    size_t len = 0;
    while (is_release_char(v[len]))
        len++;
    if (len == 0 || v[len] != '\0' || v[0] == '.')
        return CH_OK;
    /* Debian releases are majors, Alpine's major.minor; Ubuntu keeps YY.MM. */
    int keep_dots = strcmp(ns, "debian") == 0 ? 0 : 1;
    size_t cut = 0, dots = 0;
    while (cut < len && !(v[cut] == '.' && dots++ == (size_t)keep_dots))
        cut++;
    *ret = ch_arena_strndup(a, v, cut);
    return *ret == NULL ? nomem(err) : CH_OK;
}

int ch_purl_to_osv(const struct ch_purl *p, struct ch_arena *arena, struct ch_osv_package *ret,
                   struct ch_err *err)
{
    const struct eco_row *r = row_for_purl(p);
    if (r == NULL) {
        if (p->ns != NULL && (strcmp(p->type, "deb") == 0 || strcmp(p->type, "rpm") == 0 ||
                              strcmp(p->type, "apk") == 0))
            return ch_err_set(err, CH_E_UNSUPPORTED,
                              "no OSV ecosystem for purl type '%s' with namespace '%s'", p->type,
                              p->ns);
        return ch_err_set(err, CH_E_UNSUPPORTED, "no OSV ecosystem for purl type '%s'", p->type);
    }
    struct ch_osv_package pkg = {.ecosystem = r->ecosystem, .version = p->version};
    if (r->ns_required && p->ns == NULL)
        return ch_err_setf(err, CH_E_INVALID, "namespace",
                           "%s package '%s' needs a purl namespace", r->ecosystem, p->name);
    if (r->ns != NULL || p->ns == NULL || r->style == NAME_PLAIN)
        pkg.name = p->name;
    else if (r->style == NAME_COLON)
        pkg.name = ch_arena_printf(arena, "%s:%s", p->ns, p->name);
    else
        pkg.name = ch_arena_printf(arena, "%s/%s", p->ns, p->name);
    if (pkg.name == NULL)
        return nomem(err);
    if (r->ns != NULL) {
        const char *distro = ch_purl_qualifier(p, "distro");
        int rc = release_from_distro(r->ns, distro, arena, &pkg.release, err);
        if (rc != CH_OK)
            return rc;
    }
    *ret = pkg;
    return CH_OK;
}

char *ch_osv_ecosystem_string(const struct ch_osv_package *pkg, struct ch_arena *arena)
{
    if (pkg->release == NULL)
        return ch_arena_strdup(arena, pkg->ecosystem);
    bool alpine = strcmp(pkg->ecosystem, "Alpine") == 0;
    return ch_arena_printf(arena, "%s:%s%s", pkg->ecosystem, alpine ? "v" : "", pkg->release);
}

static const struct eco_row *row_for_ecosystem(struct ch_str eco)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(eco_rows); i++) {
        if (ch_str_eq_c(eco, eco_rows[i].ecosystem))
            return &eco_rows[i];
    }
    return NULL;
}

bool ch_osv_ecosystem_known(struct ch_str ecosystem)
{
    return row_for_ecosystem(ecosystem) != NULL;
}

/* Splits an OSV name into purl namespace and name at the last (or first) separator. */
static int split_name(const struct eco_row *r, const char *name, struct ch_arena *arena,
                      struct ch_purl *p, struct ch_err *err)
{
    if (r->style == NAME_PLAIN) {
        p->name = name;
        return CH_OK;
    }
    if (strcmp(r->ecosystem, "SwiftURL") == 0 && strstr(name, "://") != NULL)
        name = strstr(name, "://") + 3;
    const char *sep = strrchr(name, r->style == NAME_COLON ? ':' : '/');
    if (sep == NULL) {
        if (r->ns_required)
            return ch_err_setf(err, CH_E_INVALID, "name", "%s package name '%s' lacks '%c'",
                               r->ecosystem, name, r->style == NAME_COLON ? ':' : '/');
        p->name = name;
        return CH_OK;
    }
    char *ns = ch_arena_strndup(arena, name, (size_t)(sep - name));
    if (ns == NULL)
        return nomem(err);
    p->ns = ns;
    p->name = sep + 1;
    return CH_OK;
}

int ch_purl_from_osv(const char *ecosystem, const char *name, const char *version,
                     struct ch_arena *arena, struct ch_purl *ret, struct ch_err *err)
{
    struct ch_str eco = ch_str_c(ecosystem), release = CH_STR_NULL;
    long colon = ch_str_find_char(eco, ':');
    if (colon >= 0) {
        release = ch_str_sub(eco, (size_t)colon + 1, eco.len);
        eco = ch_str_sub(eco, 0, (size_t)colon);
        long c2 = ch_str_find_char(release, ':'); /* "Ubuntu:22.04:LTS" */
        if (c2 >= 0)
            release = ch_str_sub(release, 0, (size_t)c2);
    }
    const struct eco_row *r = row_for_ecosystem(eco);
    if (r == NULL)
        return ch_err_set(err, CH_E_UNSUPPORTED, "no purl type for OSV ecosystem '%.*s'",
                          CH_STR_FMT(eco));
    if (name == NULL || name[0] == '\0')
        return ch_err_setf(err, CH_E_INVALID, "name", "OSV package name is empty");
    struct ch_purl p = {.type = r->type, .ns = r->ns, .version = version};
    int rc = split_name(r, name, arena, &p, err);
    if (rc != CH_OK)
        return rc;
    struct ch_purl_qualifier q;
    if (r->ns != NULL && release.len > 0) {
        if (release.ptr[0] == 'v')
            release = ch_str_sub(release, 1, release.len);
        q.key = "distro";
        q.value = ch_arena_printf(arena, "%s-%.*s", r->ns, CH_STR_FMT(release));
        if (q.value == NULL)
            return nomem(err);
        p.qualifiers = &q;
        p.n_qualifiers = 1;
    }
    return ch_purl_build(&p, arena, ret, err);
}
