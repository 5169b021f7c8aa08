/* SPDX-License-Identifier: Apache-2.0
 *
 * archive.h: reading feeds packed as zip, tar, tar.gz, tar.zst, or a single
 * gzip/zstd-compressed file, over libarchive.
 *
 * Entries are read one at a time into a caller's buffer, so memory stays
 * bounded whatever the archive's size. Limits protect against archive bombs:
 * bytes per entry, entries, total bytes unpacked, and the ratio of unpacked
 * to packed bytes. Hitting one is CH_E_LIMIT with the entry named.
 */
#ifndef CH_CORE_ARCHIVE_H
#define CH_CORE_ARCHIVE_H

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct ch_archive;

struct ch_archive_limits {
    size_t max_entry_bytes;  /* one entry, unpacked */
    uint64_t max_total_bytes;/* all entries, unpacked */
    size_t max_entries;      /* entries, directories excluded */
    unsigned max_ratio;      /* unpacked/packed bytes, checked once 1 MiB is unpacked */
};

/* The largest OSV record seen is ~5 MB, the largest CVE record ~3 MB. */
#define CH_ARCHIVE_DEFAULT_MAX_ENTRY ((size_t)64 << 20)
#define CH_ARCHIVE_DEFAULT_MAX_TOTAL ((uint64_t)16 << 30)
#define CH_ARCHIVE_DEFAULT_MAX_ENTRIES ((size_t)2000000)
/* Text feeds compress about 10:1; 1000:1 is a bomb. */
#define CH_ARCHIVE_DEFAULT_MAX_RATIO 1000u

enum ch_archive_flags {
    /* Also accept a lone compressed (or plain) file as one entry named after it. */
    CH_ARCHIVE_ALLOW_RAW = 1 << 0,
};

/* Opens path; limits may be NULL for the defaults. */
int ch_archive_open(const char *path, const struct ch_archive_limits *limits, unsigned flags,
                    struct ch_archive **ret, struct ch_err *err) CH_MUST_CHECK;
/* Same over memory the caller keeps alive until ch_archive_free(). */
int ch_archive_open_memory(const void *data, size_t len, const struct ch_archive_limits *limits,
                           unsigned flags, struct ch_archive **ret,
                           struct ch_err *err) CH_MUST_CHECK;
void ch_archive_free(struct ch_archive *a);

/*
 * Advances to the next regular-file entry. Returns 1 and sets *ret_name
 * (valid until the next call) or 0 at the end, or a negative code.
 */
int ch_archive_next(struct ch_archive *a, const char **ret_name, struct ch_err *err) CH_MUST_CHECK;
/* Reads the current entry whole into out (reset first). */
int ch_archive_read(struct ch_archive *a, struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;

/* Packed bytes consumed so far (for progress bars), and the packed total if known (else 0). */
uint64_t ch_archive_packed_pos(const struct ch_archive *a);
uint64_t ch_archive_packed_size(const struct ch_archive *a);

#endif
