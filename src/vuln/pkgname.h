/* SPDX-License-Identifier: Apache-2.0
 *
 * pkgname.h: package names as each ecosystem compares them, so that the
 * same package named by an advisory and by an SBOM meets in one index key.
 * PyPI follows PEP 503 (lower case, runs of '-', '_', '.' become '-');
 * ecosystems whose registries are case-insensitive are lower-cased; the
 * others (Go, Maven, RubyGems, npm) are kept as written.
 */
#ifndef CH_VULN_PKGNAME_H
#define CH_VULN_PKGNAME_H

#include "core/buf.h"
#include "core/str.h"

/* Base ecosystem of "Debian:12" is "Debian"; of "PyPI" is "PyPI". */
struct ch_str ch_ecosystem_base(struct ch_str ecosystem);

/* Appends the normalised name to out (not reset). */
int ch_pkgname_normalize(struct ch_str ecosystem, struct ch_str name, struct ch_buf *out);

#endif
