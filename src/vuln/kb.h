/* SPDX-License-Identifier: Apache-2.0
 *
 * kb.h: the knowledge base in the store: advisories grouped into
 * vulnerabilities by alias, their affected packages, CISA KEV and EPSS.
 *
 * Writing rules (issue "Knowledge base"):
 * - re-importing an identical record changes nothing (content hash);
 * - a record with a newer `modified` replaces the stored one whole;
 *   an older one is ignored (counted as unchanged);
 * - a withdrawn record is kept, marked, and excluded from matching;
 * - records that name each other (id or alias) join one vulnerability;
 *   when a record links two vulnerabilities, they are merged.
 *
 * All writes happen inside the caller's transaction when one is open (the
 * import driver batches thousands of records per transaction).
 */
#ifndef CH_VULN_KB_H
#define CH_VULN_KB_H

#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"
#include "vuln/advisory.h"

enum ch_kb_outcome {
    CH_KB_ADDED = 1,
    CH_KB_UPDATED = 2,
    CH_KB_UNCHANGED = 3,
    CH_KB_WITHDRAWN = 4,  /* newly stored or updated as withdrawn */
};

/*
 * Optional scorer: fills the highest CVSS base score (0-10) and severity
 * name of a vector, or returns non-zero when it cannot score it. The CVSS
 * module provides it; the knowledge base only stores the result.
 */
typedef int (*ch_kb_score_fn)(const char *vector, double *ret_score, const char **ret_severity);

/* The scorer the CLI and server use: CVSS v3.x/v4.0 base score via vuln/cvss.h. */
int ch_kb_score_cvss(const char *vector, double *ret_score, const char **ret_severity);

struct ch_kb_writer {
    struct ch_store *store;
    int64_t now;
    ch_kb_score_fn score;        /* may be NULL */
    struct ch_buf scratch;       /* reused between records */
};

void ch_kb_writer_init(struct ch_kb_writer *w, struct ch_store *s, int64_t now,
                       ch_kb_score_fn score);
void ch_kb_writer_release(struct ch_kb_writer *w);

int ch_kb_put_advisory(struct ch_kb_writer *w, const struct ch_advisory *a,
                       enum ch_kb_outcome *ret, struct ch_err *err) CH_MUST_CHECK;

/*
 * What the store needs besides the advisory itself, computed without the
 * store: content hash, best CVSS score and severity, normalised package names
 * and the JSON text of ranges, versions and per-affected severity. The import
 * driver prepares records on its reading thread, so the writing thread only
 * binds values. All strings live in the arena given to ch_kb_prepare().
 */
struct ch_kb_prepared_affected {
    const char *norm_name;
    const char *ranges_json;
    const char *versions_json;
    const char *severity_json;
};

struct ch_kb_prepared {
    char hash[33];
    double score;                  /* -1 if none */
    const char *severity;
    struct ch_kb_prepared_affected *affected; /* one per a->affected */
};

int ch_kb_prepare(const struct ch_advisory *a, ch_kb_score_fn score, struct ch_arena *arena,
                  struct ch_kb_prepared *ret, struct ch_err *err) CH_MUST_CHECK;
int ch_kb_put_prepared(struct ch_kb_writer *w, const struct ch_advisory *a,
                       const struct ch_kb_prepared *p, enum ch_kb_outcome *ret,
                       struct ch_err *err) CH_MUST_CHECK;
int ch_kb_put_kev(struct ch_kb_writer *w, const struct ch_kev_entry *k, enum ch_kb_outcome *ret,
                  struct ch_err *err) CH_MUST_CHECK;
int ch_kb_put_epss(struct ch_kb_writer *w, const struct ch_epss_score *e,
                   enum ch_kb_outcome *ret, struct ch_err *err) CH_MUST_CHECK;

/* The vulnerability an id or alias belongs to: *ret_vuln_id, or CH_E_NOTFOUND. */
int ch_kb_find_vuln(struct ch_store *s, const char *id, int64_t *ret_vuln_id,
                    struct ch_err *err) CH_MUST_CHECK;

#endif
