/* SPDX-License-Identifier: Apache-2.0
 *
 * version.h: ecosystem version orders behind one dispatch.
 *
 * Every package ecosystem orders its versions by its own rules (DESIGN.md
 * §4). Each rule set is a "scheme" (SemVer 2.0, PEP 440, Maven
 * ComparableVersion, NuGet, RubyGems, Composer/PHP, dpkg, rpmvercmp, apk,
 * R package versions, Haskell PVP) implemented in its own file behind one
 * table of function pointers; callers see only this header. An OSV
 * ecosystem name ("PyPI", "Debian:12", "Alpine:v3.19", "Ubuntu:22.04:LTS")
 * selects its scheme; the part after the first ':' is a release suffix and
 * does not change the order. Unknown ecosystems are CH_E_UNSUPPORTED: a
 * version order is never guessed.
 *
 * Comparisons are exact re-implementations of each ecosystem's reference
 * code (dpkg's verrevcmp, rpm's rpmvercmp, python-packaging, node-semver,
 * maven-artifact's ComparableVersion, apk-tools, ...); the differential tests
 * in tests/unit/version/ hold them to the reference tools where those run on
 * Debian. Where a reference has a defect that would break the order itself
 * (rpm equating a missing release with any release, PHP's precision loss
 * on huge numbers) the deviation is documented in docs/matching.md.
 *
 * Versions are untrusted input: (pointer, length), never NUL-terminated,
 * at most CH_VERSION_MAX_LEN bytes. A string the scheme does not accept is
 * CH_E_INVALID with a message quoting it. Comparison allocates nothing and
 * parses both sides on every call; the schemes are written to do that in
 * well under a microsecond.
 *
 * Thread-safety: schemes are immutable static tables; every function here
 * may be called from any thread.
 */
#ifndef CH_VERSION_VERSION_H
#define CH_VERSION_VERSION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

/*
 * Longest version string accepted, in bytes. node-semver refuses more than
 * 256 and no real registry publishes longer versions; the bound also keeps
 * the fixed-size parse buffers of the schemes on the stack.
 */
#define CH_VERSION_MAX_LEN 256
/* Longest ecosystem name accepted ("Red Hat:rhel_aus:8.4::appstream" style). */
#define CH_VERSION_MAX_ECOSYSTEM_LEN 256

/* A version order. Static and immutable: never freed. */
struct ch_version_scheme;

/*
 * The scheme of an OSV ecosystem name. The name is matched exactly
 * (ecosystem names are case-sensitive in OSV) up to the first ':'; what
 * follows it is a release or repository suffix. *ret is set on success.
 * Errors: CH_E_UNSUPPORTED for an ecosystem without a known order (including
 * OSS-Fuzz, Linux, Android, whose ranges are GIT-only); CH_E_INVALID for an
 * empty or over-long name.
 */
int ch_version_scheme_for(struct ch_str ecosystem, const struct ch_version_scheme **ret,
                          struct ch_err *err) CH_MUST_CHECK;

/*
 * A scheme by its own name: "semver", "go", "pep440", "maven", "nuget",
 * "rubygems", "composer", "dpkg", "rpm", "apk", "cran", "pvp". Also accepts
 * the CVE JSON 5 `versionType` values that name an order ("semver",
 * "python", "maven", "rpm", "deb", "npm", ...); "custom" and "git" are
 * CH_E_UNSUPPORTED like any unknown name.
 */
int ch_version_scheme_by_name(struct ch_str name, const struct ch_version_scheme **ret,
                              struct ch_err *err) CH_MUST_CHECK;

/* The scheme's own name ("pep440", ...); static, never NULL. */
const char *ch_version_scheme_name(const struct ch_version_scheme *scheme);

/*
 * Compares a and b under the scheme: *ret_cmp is -1, 0 or 1. Equality is
 * the scheme's (PEP 440 "1.0" equals "1.0.0"; SemVer ignores build
 * metadata). Errors: CH_E_INVALID naming the first version the scheme does
 * not accept (or CH_E_LIMIT when it is longer than CH_VERSION_MAX_LEN).
 */
int ch_version_cmp(const struct ch_version_scheme *scheme, struct ch_str a, struct ch_str b,
                   int *ret_cmp, struct ch_err *err) CH_MUST_CHECK;

/* CH_OK when v is a valid version of the scheme, else as ch_version_cmp(). */
int ch_version_validate(const struct ch_version_scheme *scheme, struct ch_str v,
                        struct ch_err *err) CH_MUST_CHECK;

/* Number of schemes and the i-th one (for tests, benchmarks, fuzzing). */
size_t ch_version_scheme_count(void);
const struct ch_version_scheme *ch_version_scheme_at(size_t i);

#endif
