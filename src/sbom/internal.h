/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h: what the readers of src/sbom share and nobody else sees: the
 * reading context, the one function that turns what a reader found into a
 * component (purl parsing, OSV naming), a line iterator for the text formats
 * and the reader entry points that sbom.c dispatches to.
 */
#ifndef CH_SBOM_INTERNAL_H
#define CH_SBOM_INTERNAL_H

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "purl/purl.h"
#include "sbom/inventory.h"
#include "sbom/sbom.h"

/* One read of one document. */
struct sbom_ctx {
    struct ch_inventory *inv;
    const char *file;                    /* name in components and messages */
    const struct ch_sbom_options *opt;   /* never NULL */
    struct ch_arena *tmp;                /* scratch for this document */
};

/*
 * What a reader found. With purl set, the purl is parsed (leniently) and
 * gives ecosystem, OSV name and version; with parts set, a purl is built from
 * them. An invalid purl is recorded as skipped and the component kept with
 * name and version as found. Strings are borrowed.
 */
struct sbom_found {
    const char *purl;
    const struct ch_purl *parts;
    const char *name;
    const char *version;
    const char *cpe;
    const char *ref;
    const char *release;
    const char *source_name;
    const char *source_version;
    const char *location;
};

int ch_sbom__add(struct sbom_ctx *ctx, const struct sbom_found *f, struct ch_err *err)
    CH_MUST_CHECK;
/* ch_inventory_skip() with a printf-style reason (err is not last: varargs). */
int ch_sbom__skip(struct sbom_ctx *ctx, const char *location, struct ch_err *err,
                  const char *fmt, ...) CH_PRINTF(4, 5) CH_MUST_CHECK;
/* Arena string "line N" (NULL on allocation failure). */
const char *ch_sbom__line_loc(struct sbom_ctx *ctx, size_t line);
int ch_sbom__nomem(struct ch_err *err);

/* Lines of a text document; CR before LF is dropped. */
struct sbom_lines {
    struct ch_str rest;
    size_t line;         /* number of the line last returned, 1-based */
};

void ch_sbom__lines_init(struct sbom_lines *it, const char *data, size_t len);
/* Next line into *ret; 0 at the end, 1 with a line, CH_E_LIMIT (err set) if too long. */
int ch_sbom__lines_next(struct sbom_lines *it, struct sbom_ctx *ctx, struct ch_str *ret,
                        struct ch_err *err);

/* Readers. JSON ones take the parsed document. */
int ch_sbom__read_cyclonedx(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err);
int ch_sbom__read_spdx2(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err);
int ch_sbom__read_spdx3(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err);
int ch_sbom__read_npm_lock(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err);
int ch_sbom__read_composer_lock(struct sbom_ctx *ctx, const cJSON *doc, struct ch_err *err);
int ch_sbom__read_dpkg(struct sbom_ctx *ctx, const char *data, size_t len, struct ch_err *err);
int ch_sbom__read_requirements(struct sbom_ctx *ctx, const char *data, size_t len,
                               struct ch_err *err);
int ch_sbom__read_gomod(struct sbom_ctx *ctx, const char *data, size_t len, struct ch_err *err);
int ch_sbom__read_cargo_lock(struct sbom_ctx *ctx, const char *data, size_t len,
                             struct ch_err *err);
int ch_sbom__read_gemfile_lock(struct sbom_ctx *ctx, const char *data, size_t len,
                               struct ch_err *err);

#endif
