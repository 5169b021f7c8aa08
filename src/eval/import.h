/* SPDX-License-Identifier: Apache-2.0
 *
 * import.h: converts public cyber-evaluation datasets into the suite format
 * (docs/eval-suites.md, "Importers").
 *
 *   intercode    princeton-nlp/intercode data/ctf/ic_ctf.json (a file)
 *   cybench      a folder with metadata/NAME.json, index.json and
 *                ctf_fastest_solve_times.json (first-solve times become the
 *                human difficulty; subtasks become the guided variant)
 *   nyuctf       a folder with test_dataset.json, development_dataset.json,
 *                challenges/<id>.json and mitre_attack_test_mapping.json
 *   cyberseceval a folder with PurpleLlama's prompt_injection, mitre_frr and
 *                interpreter datasets
 *
 * None of these ships its task files (binaries, services, containers), so
 * every imported task is metadata only: "runnable": false with the reason.
 * Flags and subtask answers are hashed on import, never written in clear.
 * A record that cannot be converted is skipped and counted, never fatal.
 * The output is checked by loading it back with the strict loader.
 */
#ifndef CH_EVAL_IMPORT_H
#define CH_EVAL_IMPORT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Records read from one dataset. */
#define CH_IMPORT_MAX_RECORDS 100000u

enum ch_import_source {
    CH_IMPORT_INTERCODE,
    CH_IMPORT_CYBENCH,
    CH_IMPORT_NYUCTF,
    CH_IMPORT_CYBERSECEVAL,
};

/* "intercode", "cybench", "nyuctf", "cyberseceval". CH_E_INVALID otherwise. */
int ch_import_source_parse(const char *name, enum ch_import_source *ret) CH_MUST_CHECK;

struct ch_import_stats {
    size_t imported;
    size_t skipped;
    char first_skip[256]; /* why the first skipped record was skipped */
};

/*
 * Reads the dataset at `path` and writes a suite document into out (pretty
 * JSON). `suite_id` names the suite (NULL: the source name). Errors:
 * CH_E_IO, CH_E_INVALID (not that dataset), CH_E_LIMIT, CH_E_NOMEM.
 */
int ch_import_run(enum ch_import_source src, const char *path, const char *suite_id,
                  struct ch_buf *out, struct ch_import_stats *ret_stats,
                  struct ch_err *err) CH_MUST_CHECK;

#endif
