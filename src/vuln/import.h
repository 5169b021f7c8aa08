/* SPDX-License-Identifier: Apache-2.0
 *
 * import.h: filling the knowledge base from feeds on disk.
 *
 * Paths may be files (.json, .csv, optionally .gz/.zst compressed),
 * archives (.zip, .tar, .tar.gz, .tgz, .tar.zst) or directories (walked
 * recursively, in name order). Each record's format is the one asked for
 * or detected from its name and first bytes.
 *
 * Failure rules: a bad record is rejected (file, place, reason), recorded
 * in import_rejects and skipped; the import goes on. An unreadable file or
 * a corrupt or truncated archive is reported the same way after the good
 * records read before the damage are kept. Records are committed in batches;
 * a database error rolls back the current batch and stops the import (what
 * earlier batches committed stays, and re-running the import is safe).
 */
#ifndef CH_VULN_IMPORT_H
#define CH_VULN_IMPORT_H

#include <stdint.h>

#include "store/store.h"
#include "vuln/detect.h"
#include "vuln/kb.h"

/* Records per transaction: large enough to amortise commits, small enough to bound a rollback. */
#define CH_IMPORT_DEFAULT_BATCH 5000
/* Directory walks stop here: feeds are shallow, loops of links are not. */
#define CH_IMPORT_MAX_DEPTH 16
#define CH_IMPORT_MAX_FILES 2000000
/* A single plain (not archived) input file, e.g. the KEV catalog or an EPSS CSV. */
#define CH_IMPORT_MAX_FILE_BYTES ((size_t)1 << 30)

struct ch_import_options {
    enum ch_feed_format format;   /* CH_FEED_UNKNOWN: detect per record */
    int64_t now;
    ch_kb_score_fn score;         /* NULL: ch_kb_score_cvss */
    size_t batch;                 /* 0: default */
    /* called for each rejected record or damaged file (may be NULL) */
    void (*on_reject)(void *ctx, const char *file, const char *location, const char *reason);
    /* called about every thousand records and at the end of each file (may be NULL) */
    void (*on_progress)(void *ctx, uint64_t records, const char *file, uint64_t file_done,
                        uint64_t file_total);
    void *ctx;
};

struct ch_import_stats {
    uint64_t added, updated, unchanged, withdrawn, rejected;
    uint64_t files, records;
    int64_t import_id;
    double seconds;
};

int ch_import_paths(struct ch_store *s, const char *const *paths, size_t n_paths,
                    const struct ch_import_options *opts, struct ch_import_stats *ret,
                    struct ch_err *err) CH_MUST_CHECK;

#endif
