/* SPDX-License-Identifier: Apache-2.0
 *
 * purl.h: package URLs (https://github.com/package-url/purl-spec): parse,
 * validate, build and print the canonical form.
 *
 *     pkg:type/namespace/name@version?qualifiers#subpath
 *
 * A parsed purl holds decoded components; the canonical form is produced from
 * them, so "parse then print" is the canonicalisation, and printing the
 * canonical form parses back to the same components (the fuzz invariant).
 *
 * Canonical form: scheme and type lowercase; namespace segments, name,
 * version, qualifier values and subpath segments percent-encoded except for
 * ASCII letters, digits, '.', '-', '_', '~' and ':' (upper-case hex);
 * qualifier keys lowercase, sorted, empty values dropped; subpath without
 * empty, '.' and '..' segments. Type-specific rules come from the purl type
 * definitions (purl-spec types/TYPE-definition.json): case folding of namespace,
 * name and version (pypi also maps '_' to '-'), required or prohibited
 * namespaces, required qualifiers (julia uuid), permitted characters
 * (chrome-extension, cpan) and checksum qualifiers ("alg:hex,..." lowercased).
 *
 * Where the current specification and the legacy test-suite-data.json
 * disagree (cpan '::' names, conan channel, cran and swift versions), the
 * current specification wins; docs/inventories.md lists the differences.
 *
 * Memory: every string of a struct ch_purl lives in the arena passed to the
 * function that produced it; nothing is freed separately. Thread-safe
 * (no global state).
 */
#ifndef CH_PURL_PURL_H
#define CH_PURL_PURL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* A purl's content (its decoded components together): real ones are < 300
 * bytes; a limit keeps hostile input cheap. */
#define CH_PURL_MAX_LEN 4096
/* Qualifiers per purl: the richest real ones (conan) carry ~10. */
#define CH_PURL_MAX_QUALIFIERS 32
/* A purl's text: percent-encoding takes up to three bytes per byte of content,
 * plus the separators. It is as large as the canonical form of the largest
 * content can be, so every purl this library prints, it also parses. */
#define CH_PURL_MAX_TEXT (CH_PURL_MAX_LEN * 3 + 2 * CH_PURL_MAX_QUALIFIERS + 16)
/* Segments of a namespace or a subpath. */
#define CH_PURL_MAX_SEGMENTS 64

/* Parse flags. */
enum {
    /* Reject qualifier keys that are not lowercase (the "required" test group);
     * without it they are folded to lowercase. */
    CH_PURL_STRICT = 1u << 0,
};

struct ch_purl_qualifier {
    const char *key;   /* lowercase, [a-z0-9.-_], not starting with a digit */
    const char *value; /* decoded, never empty */
};

/*
 * A package URL as decoded components. Strings are NUL-terminated, owned by
 * the arena they were made in. Absent optional parts are NULL. Qualifiers
 * are sorted by key, keys unique.
 */
struct ch_purl {
    const char *type;      /* lowercase */
    const char *ns;        /* decoded segments joined by '/', or NULL */
    const char *name;      /* decoded, never empty */
    const char *version;   /* decoded, or NULL */
    const struct ch_purl_qualifier *qualifiers;
    size_t n_qualifiers;
    const char *subpath;   /* decoded segments joined by '/', or NULL */
};

/*
 * Parses text (not NUL-terminated) into *ret, normalised per type. On error
 * returns CH_E_INVALID (or CH_E_LIMIT, CH_E_NOMEM) and err->field names the
 * bad part: "scheme", "type", "namespace", "name", "version", "qualifiers"
 * or "subpath".
 */
int ch_purl_parse(struct ch_str text, unsigned flags, struct ch_arena *arena,
                  struct ch_purl *ret, struct ch_err *err) CH_MUST_CHECK;

/*
 * Validates and normalises decoded components (as a purl builder does): the
 * type must be valid, the name present, qualifier keys valid; the same type
 * rules as ch_purl_parse() apply. `in` is borrowed (its strings may live
 * anywhere); *ret is made in arena. `in` and `ret` may be the same object.
 */
int ch_purl_build(const struct ch_purl *in, struct ch_arena *arena, struct ch_purl *ret,
                  struct ch_err *err) CH_MUST_CHECK;

/* Appends the canonical form of p (which came from parse or build) to out. */
int ch_purl_format(const struct ch_purl *p, struct ch_buf *out);

/* The canonical form as an arena string, or NULL on allocation failure. */
char *ch_purl_to_string(const struct ch_purl *p, struct ch_arena *arena);

/*
 * Parse + format in one call: *ret is the canonical form in arena. Same
 * errors as ch_purl_parse().
 */
int ch_purl_canonicalize(struct ch_str text, unsigned flags, struct ch_arena *arena,
                         const char **ret, struct ch_err *err) CH_MUST_CHECK;

/* The value of qualifier `key`, or NULL. Borrowed from p. */
const char *ch_purl_qualifier(const struct ch_purl *p, const char *key);

#endif
