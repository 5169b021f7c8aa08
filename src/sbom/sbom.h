/* SPDX-License-Identifier: Apache-2.0
 *
 * sbom.h: inventory readers. Each turns one document (an SBOM, a dpkg status
 * file or a lockfile) into components added to a caller-owned
 * struct ch_inventory (inventory.h):
 *
 *   CycloneDX JSON 1.2-1.6     components (nested), purl, cpe, bom-ref
 *   SPDX 2.2 / 2.3 JSON        packages, purl and cpe externalRefs, SPDXID
 *   SPDX 3.0 JSON-LD           software_Package elements, software_packageUrl
 *                              or packageUrl/cpe external identifiers, spdxId
 *   dpkg status                installed packages, Source: name (version)
 *   package-lock.json v1-v3    npm packages (also npm-shrinkwrap.json)
 *   requirements.txt           "name==version" pins; other lines are skipped
 *   go.mod                     require lines and blocks, replace directives
 *   Cargo.lock                 [[package]] entries with a source
 *   Gemfile.lock               specs of GEM, GIT and PATH sections
 *   composer.lock              packages and packages-dev
 *
 * Components are named the way OSV names them (ecosystem.h), so the matching
 * engine can look them up directly; each carries the file and the JSON path
 * or line it came from. A bad entry (an invalid purl, an unpinned
 * requirement) is recorded with ch_inventory_skip() and reading goes on; a
 * document that cannot be read at all (syntax error, limit reached) is an
 * error naming the file and the line:column or JSON path. On error, the
 * components added before it stay in the inventory.
 *
 * Formats: docs/inventories.md. Library code: never logs; thread-safe as
 * long as each inventory has one user.
 */
#ifndef CH_SBOM_SBOM_H
#define CH_SBOM_SBOM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "sbom/inventory.h"

/* One input document: SBOMs of large images are ~20 MB. */
#define CH_SBOM_MAX_FILE_BYTES ((size_t)64 << 20)
/* Nesting of CycloneDX components and npm v1 dependencies (recursion depth). */
#define CH_SBOM_MAX_NESTING 32u
/* One line of a text format (dpkg descriptions are the longest, ~10 kB). */
#define CH_SBOM_MAX_LINE_BYTES ((size_t)64 << 10)
/* The directory walker: how deep it descends and how many entries it looks at. */
#define CH_SBOM_WALK_MAX_DEPTH 16u
#define CH_SBOM_WALK_MAX_ENTRIES ((size_t)100000)
/* Inventory files the walker reads at most. */
#define CH_SBOM_WALK_MAX_FILES ((size_t)1000)

enum ch_sbom_format {
    CH_SBOM_UNKNOWN = 0,
    CH_SBOM_CYCLONEDX,
    CH_SBOM_SPDX2,
    CH_SBOM_SPDX3,
    CH_SBOM_DPKG,
    CH_SBOM_NPM_LOCK,
    CH_SBOM_REQUIREMENTS,
    CH_SBOM_GOMOD,
    CH_SBOM_CARGO_LOCK,
    CH_SBOM_GEMFILE_LOCK,
    CH_SBOM_COMPOSER_LOCK,
};

/* "cyclonedx", "spdx2", ... (the names --format accepts); "unknown" for others. */
const char *ch_sbom_format_name(enum ch_sbom_format f);
/* The format named s, or CH_SBOM_UNKNOWN. */
enum ch_sbom_format ch_sbom_format_from_name(const char *s);

struct ch_sbom_options {
    /*
     * Distribution of a dpkg status file: os-release ID ("debian", "ubuntu")
     * and VERSION_ID ("12", "22.04"). NULL: taken from an os-release file
     * (os_release_path, or the etc/os-release of the root the status file is
     * under); failing that, namespace "debian" without a release.
     */
    const char *distro;
    const char *distro_release;
    const char *os_release_path;
};

/*
 * The format of a document from its name (base name or path; may be NULL)
 * and its first bytes. Names win when they are specific (package-lock.json,
 * go.mod, *.cdx.json, ...); otherwise the content decides.
 */
enum ch_sbom_format ch_sbom_detect(const char *name, const char *data, size_t len);

/*
 * Reads one document of `len` bytes. `file` names it in components and
 * messages. fmt CH_SBOM_UNKNOWN means detect (CH_E_UNSUPPORTED when that
 * fails). opt may be NULL.
 */
int ch_sbom_read(struct ch_inventory *inv, const char *file, const char *data, size_t len,
                 enum ch_sbom_format fmt, const struct ch_sbom_options *opt,
                 struct ch_err *err) CH_MUST_CHECK;

/* Reads the file at path (at most CH_SBOM_MAX_FILE_BYTES). */
int ch_sbom_read_file(struct ch_inventory *inv, const char *path, enum ch_sbom_format fmt,
                      const struct ch_sbom_options *opt, struct ch_err *err) CH_MUST_CHECK;

/*
 * Walks dir (not following symbolic links, skipping node_modules, .git and
 * vendor directories) and reads every file whose name is a known inventory
 * name, in sorted path order. A file that fails to read is recorded as
 * skipped with its error and the walk goes on. Returns the number of files
 * read, or an error (unreadable dir, limits).
 */
int ch_sbom_scan_dir(struct ch_inventory *inv, const char *dir,
                     const struct ch_sbom_options *opt, struct ch_err *err) CH_MUST_CHECK;

/*
 * Parses os-release text (KEY=value lines, values optionally quoted) for ID
 * and VERSION_ID (falling back to VERSION_CODENAME). Results are arena strings
 * (NULL when absent).
 */
int ch_sbom_parse_os_release(const char *data, size_t len, struct ch_arena *arena,
                             const char **ret_id, const char **ret_version,
                             struct ch_err *err) CH_MUST_CHECK;

#endif
