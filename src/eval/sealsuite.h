/* SPDX-License-Identifier: Apache-2.0
 *
 * sealsuite.h: evaluation suites kept sealed in the store (seal.h) instead
 * of in a directory: sealing a verified suite, loading one into memory for
 * a run, listing them.
 *
 * A sealed suite SUITE_ID is the set of CH_SEALED_SUITE objects named
 * "SUITE_ID/suite.json" (the document, whatever its file was called) and
 * "SUITE_ID/SRC" for each file the document ships (its "src" path). All of
 * them carry one marking: the suite's classification, or a higher one
 * given when sealing. Sealing takes one write transaction, so a suite is
 * sealed whole or not at all; the same document sealed again is a no-op.
 *
 * Loading opens every object for the run (CH_SEALED_FOR_RUN, each read
 * audited) and hands the files to the suite loader (suite.h,
 * ch_suite_load_options.read_file): the same parser and the same SHA-256
 * checks as for a directory, with the files kept in memory. The loaded
 * suite's path is "sealed:SUITE_ID" (CH_SEALSUITE_PREFIX) and its
 * classification the marking it was sealed with.
 *
 * Thread-safety: uses the store it is given (one connection per thread).
 */
#ifndef CH_EVAL_SEALSUITE_H
#define CH_EVAL_SEALSUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "core/keys.h"
#include "eval/models.h"
#include "eval/suite.h"

struct ch_store;

/* How a sealed suite is named where a suite file could be ("sealed:SUITE_ID"). */
#define CH_SEALSUITE_PREFIX "sealed:"
/* The name of the document among a sealed suite's objects. */
#define CH_SEALSUITE_DOCUMENT "suite.json"

/* The SUITE_ID of "sealed:SUITE_ID" (borrowed from ref), or NULL for anything else. */
const char *ch_sealsuite_ref(const char *ref);

struct ch_sealsuite_info {
    size_t n_objects; /* the document and the distinct files */
    uint64_t bytes;   /* plaintext bytes sealed */
    enum ch_clearance classification;
    bool already; /* the same document was sealed before: nothing stored */
};

/*
 * Seals a suite loaded from a directory (with its files checked): the
 * document at suite->path (which must still hash to suite->sha256) and
 * every shipped file (each checked against its SHA-256 again). `marking`
 * NULL keeps the suite's classification; a name ("secret") raises it,
 * never lowers it (CH_E_INVALID). Only evaluating roles (CH_E_PERM).
 * CH_E_CONFLICT when another document is sealed under that id.
 */
int ch_sealsuite_put(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                     const struct ch_suite *suite, const char *marking, int64_t now,
                     struct ch_sealsuite_info *ret, struct ch_err *err) CH_MUST_CHECK;

/*
 * Loads the sealed suite `suite_id` into memory for a run; *ret is owned
 * (ch_suite_free, which zeroes the files). CH_E_NOTFOUND when there is none
 * or the actor may not read it (the same answer); loader errors as
 * ch_suite_parse(). Call outside a transaction (reads are audited).
 */
int ch_sealsuite_load(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                      const char *suite_id, int64_t now, struct ch_suite **ret,
                      struct ch_err *err) CH_MUST_CHECK;

/*
 * Writes the sealed suites the actor may read as a JSON array of
 * {"id", "classification", "objects", "bytes", "sealed_at", "sealed_by"};
 * metadata only, nothing is opened.
 */
int ch_sealsuite_list_json(struct ch_store *s, const struct ch_eval_actor *a, struct ch_jw *w,
                           struct ch_err *err) CH_MUST_CHECK;

#endif
