/* SPDX-License-Identifier: Apache-2.0
 *
 * archive.c: bounded entry-by-entry reading over libarchive (see archive.h).
 */
#include "core/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

#define RATIO_MIN_BYTES ((uint64_t)1 << 20)
#define READ_CHUNK 65536

struct ch_archive {
    struct archive *ar;
    struct ch_archive_limits lim;
    char *label;            /* path or "memory", for messages */
    uint64_t packed_size;
    uint64_t total;         /* bytes unpacked so far */
    size_t entries;
    char name[512];         /* current entry */
    int raw;                /* reading a lone compressed file */
};

static void apply_defaults(struct ch_archive_limits *l, const struct ch_archive_limits *in)
{
    *l = (struct ch_archive_limits){
        .max_entry_bytes = CH_ARCHIVE_DEFAULT_MAX_ENTRY,
        .max_total_bytes = CH_ARCHIVE_DEFAULT_MAX_TOTAL,
        .max_entries = CH_ARCHIVE_DEFAULT_MAX_ENTRIES,
        .max_ratio = CH_ARCHIVE_DEFAULT_MAX_RATIO,
    };
    if (in == NULL)
        return;
    if (in->max_entry_bytes)
        l->max_entry_bytes = in->max_entry_bytes;
    if (in->max_total_bytes)
        l->max_total_bytes = in->max_total_bytes;
    if (in->max_entries)
        l->max_entries = in->max_entries;
    if (in->max_ratio)
        l->max_ratio = in->max_ratio;
}

static int new_archive(const char *label, const struct ch_archive_limits *limits, unsigned flags,
                       struct ch_archive **ret, struct ch_err *err)
{
    struct ch_archive *a = ch_calloc(1, sizeof(*a));
    if (a == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory opening '%s'", label);
    apply_defaults(&a->lim, limits);
    a->label = ch_strdup(label);
    a->ar = archive_read_new();
    if (a->label == NULL || a->ar == NULL) {
        ch_archive_free(a);
        return ch_err_set(err, CH_E_NOMEM, "out of memory opening '%s'", label);
    }
    archive_read_support_filter_all(a->ar);
    archive_read_support_format_zip(a->ar);
    archive_read_support_format_tar(a->ar);
    archive_read_support_format_gnutar(a->ar);
    if (flags & CH_ARCHIVE_ALLOW_RAW) {
        archive_read_support_format_raw(a->ar);
        a->raw = 1;
    }
    *ret = a;
    return CH_OK;
}

int ch_archive_open(const char *path, const struct ch_archive_limits *limits, unsigned flags,
                    struct ch_archive **ret, struct ch_err *err)
{
    struct ch_archive *a = NULL;
    int rc = new_archive(path, limits, flags, &a, err);
    if (rc != CH_OK)
        return rc;
    struct stat st;
    if (stat(path, &st) == 0)
        a->packed_size = (uint64_t)st.st_size;
    if (archive_read_open_filename(a->ar, path, READ_CHUNK) != ARCHIVE_OK) {
        rc = ch_err_set(err, CH_E_IO, "cannot open archive '%s': %s", path,
                        archive_error_string(a->ar));
        ch_archive_free(a);
        return rc;
    }
    *ret = a;
    return CH_OK;
}

int ch_archive_open_memory(const void *data, size_t len, const struct ch_archive_limits *limits,
                           unsigned flags, struct ch_archive **ret, struct ch_err *err)
{
    struct ch_archive *a = NULL;
    int rc = new_archive("memory", limits, flags, &a, err);
    if (rc != CH_OK)
        return rc;
    a->packed_size = len;
    if (archive_read_open_memory(a->ar, data, len) != ARCHIVE_OK) {
        rc = ch_err_set(err, CH_E_INVALID, "cannot open archive: %s", archive_error_string(a->ar));
        ch_archive_free(a);
        return rc;
    }
    *ret = a;
    return CH_OK;
}

void ch_archive_free(struct ch_archive *a)
{
    if (a == NULL)
        return;
    if (a->ar != NULL)
        archive_read_free(a->ar);
    ch_free(a->label);
    ch_free(a);
}

int ch_archive_next(struct ch_archive *a, const char **ret_name, struct ch_err *err)
{
    for (;;) {
        struct archive_entry *e = NULL;
        int r = archive_read_next_header(a->ar, &e);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return ch_err_set(err, CH_E_INVALID, "'%s': cannot read archive: %s", a->label,
                              archive_error_string(a->ar));
        if (archive_entry_filetype(e) != AE_IFREG && archive_entry_filetype(e) != 0)
            continue;
        if (++a->entries > a->lim.max_entries)
            return ch_err_set(err, CH_E_LIMIT, "'%s': more than %zu entries", a->label,
                              a->lim.max_entries);
        const char *name = archive_entry_pathname(e);
        if (name == NULL || a->raw)
            name = (name == NULL || strcmp(name, "data") == 0) ? a->label : name;
        snprintf(a->name, sizeof(a->name), "%s", name);
        *ret_name = a->name;
        return 1;
    }
}

int ch_archive_read(struct ch_archive *a, struct ch_buf *out, struct ch_err *err)
{
    ch_buf_reset(out);
    char chunk[READ_CHUNK];
    size_t entry = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(a->ar, chunk, sizeof(chunk));
        if (n == 0)
            break;
        if (n < 0)
            return ch_err_set(err, CH_E_INVALID, "'%s': entry '%s' is corrupt or truncated: %s",
                              a->label, a->name, archive_error_string(a->ar));
        entry += (size_t)n;
        a->total += (uint64_t)n;
        if (entry > a->lim.max_entry_bytes)
            return ch_err_set(err, CH_E_LIMIT, "'%s': entry '%s' unpacks to more than %zu bytes",
                              a->label, a->name, a->lim.max_entry_bytes);
        if (a->total > a->lim.max_total_bytes)
            return ch_err_set(err, CH_E_LIMIT, "'%s': unpacks to more than %llu bytes", a->label,
                              (unsigned long long)a->lim.max_total_bytes);
        uint64_t packed = ch_archive_packed_pos(a);
        if (a->total > RATIO_MIN_BYTES && packed > 0 && a->total / packed > a->lim.max_ratio)
            return ch_err_set(err, CH_E_LIMIT,
                              "'%s': entry '%s' expands more than %u:1 (archive bomb?)", a->label,
                              a->name, a->lim.max_ratio);
        int rc = ch_buf_append(out, chunk, (size_t)n);
        if (rc != CH_OK)
            return ch_buf_status(out, "archive entry", err);
    }
    return CH_OK;
}

uint64_t ch_archive_packed_pos(const struct ch_archive *a)
{
    la_int64_t n = archive_filter_bytes(a->ar, -1);
    return n < 0 ? 0 : (uint64_t)n;
}

uint64_t ch_archive_packed_size(const struct ch_archive *a)
{
    return a->packed_size;
}
