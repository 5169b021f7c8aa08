/* SPDX-License-Identifier: Apache-2.0
 *
 * epss.h: reader of the FIRST EPSS score file (https://www.first.org/epss/data_stats,
 * daily epss_scores-YYYY-MM-DD.csv) into struct ch_epss_score records.
 *
 * The file is CSV text: an optional comment line
 * "#model_version:v2025.03.14,score_date:2025-03-16T00:00:00+0000", the
 * header "cve,epss,percentile", then one row per CVE. The import driver
 * decompresses .csv.gz; this reader sees plain text. Details: docs/formats.md.
 */
#ifndef CH_VULN_EPSS_H
#define CH_VULN_EPSS_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "vuln/advisory.h"

/*
 * Reads data[0..len) and delivers one struct ch_epss_score per good row
 * through sink->epss, with score_date taken from the comment line (-1 when
 * there is none). A bad row goes to sink->reject with location "line N"
 * and the reader continues; empty lines are skipped. `source_name` names the
 * input (NULL means "input").
 *
 * The score is valid only during the callback; its cve string lives in
 * `arena` (about 24 bytes per row). Returns the number of scores delivered
 * (>= 0), or CH_E_INVALID when the file has no "cve,epss,percentile" header
 * or a malformed score_date, CH_E_LIMIT (file size, rows, too many bad
 * rows), CH_E_NOMEM, or a callback's error.
 */
int ch_epss_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                 const struct ch_vuln_sink *sink, struct ch_err *err) CH_MUST_CHECK;

#endif
