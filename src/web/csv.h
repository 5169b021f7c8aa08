/* SPDX-License-Identifier: Apache-2.0
 *
 * csv.h: CSV export cells (RFC 4180). A cell holding a comma, a quote, CR
 * or LF is quoted with quotes doubled; records end with CRLF. A cell that a
 * spreadsheet would read as a formula (starting with = + - @, or a tab or
 * CR that some programs skip first) gets a leading apostrophe, so exported
 * data (names and free text chosen by other organisations) cannot run as a
 * formula in the analyst's spreadsheet (OWASP "CSV injection").
 */
#ifndef CH_WEB_CSV_H
#define CH_WEB_CSV_H

#include <stdbool.h>

#include "core/buf.h"

/* Appends one cell; `first` omits the separating comma. NULL is an empty cell. */
void ch_csv_cell(struct ch_buf *b, const char *s, bool first);
/* Ends a record (CRLF). */
void ch_csv_end(struct ch_buf *b);

#endif
