/* SPDX-License-Identifier: Apache-2.0
 *
 * ecosystem.h: package URL type <-> OSV ecosystem and package-name
 * convention (https://ossf.github.io/osv-schema/#affectedpackage-field).
 *
 * One table maps each purl type (and, for Linux distributions, the purl
 * namespace) to the ecosystem name OSV uses; names follow OSV's conventions:
 * Maven "group:artifact", Go the full module path, npm "@scope/name",
 * Packagist "vendor/name", GitHub Actions "owner/repo", SwiftURL the
 * repository path. Distribution releases come from the "distro" qualifier
 * ("debian-12", "bookworm", "alpine-3.18.4", "ubuntu-22.04").
 *
 * Strings returned live in the arena passed in. Thread-safe.
 */
#ifndef CH_PURL_ECOSYSTEM_H
#define CH_PURL_ECOSYSTEM_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "purl/purl.h"

/*
 * OSV view of a package: the ecosystem as OSV names it ("npm", "PyPI",
 * "Maven", "Go", "crates.io", "Debian", ...), the distribution release when
 * the purl carries one ("12" for Debian 12, "3.18" for Alpine v3.18; OSV
 * writes these as "Debian:12", "Alpine:v3.18"), the package name in OSV's
 * convention (Maven "group:artifact", Go the full module path, npm
 * "@scope/name", Packagist "vendor/name", GitHub Actions "owner/repo") and
 * the version. Strings live in the arena that made them.
 */
struct ch_osv_package {
    const char *ecosystem;
    const char *release;   /* or NULL */
    const char *name;
    const char *version;   /* or NULL */
};

/*
 * Maps a purl to its OSV package. CH_E_UNSUPPORTED (message naming the type
 * or namespace) when OSV has no ecosystem for it: unknown ecosystems are
 * reported, never guessed.
 */
int ch_purl_to_osv(const struct ch_purl *p, struct ch_arena *arena, struct ch_osv_package *ret,
                   struct ch_err *err) CH_MUST_CHECK;

/*
 * The reverse: a purl for an OSV (ecosystem, name, version). The ecosystem may
 * carry a release suffix ("Debian:12" gives the qualifier distro=debian-12).
 * version may be NULL. CH_E_UNSUPPORTED for ecosystems without a purl type,
 * CH_E_INVALID for a name that does not fit the ecosystem's convention.
 */
int ch_purl_from_osv(const char *ecosystem, const char *name, const char *version,
                     struct ch_arena *arena, struct ch_purl *ret,
                     struct ch_err *err) CH_MUST_CHECK;

/* "Debian:12" style ecosystem string of pkg in arena (ecosystem alone without release). */
char *ch_osv_ecosystem_string(const struct ch_osv_package *pkg, struct ch_arena *arena);

/* True when ecosystem (without release suffix) is one this module maps. */
bool ch_osv_ecosystem_known(struct ch_str ecosystem);

#endif
