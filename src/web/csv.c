/* SPDX-License-Identifier: Apache-2.0
 *
 * csv.c: RFC 4180 cells with formula neutralisation (see csv.h).
 */
#include "web/csv.h"

#include <string.h>

static bool looks_like_formula(const char *s)
{
    return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
}

void ch_csv_cell(struct ch_buf *b, const char *s, bool first)
{
    if (!first)
        ch_buf_append_byte(b, ',');
    if (s == NULL || s[0] == '\0')
        return;
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        ch_buf_append_byte(b, '"');
    if (looks_like_formula(s))
        ch_buf_append_byte(b, '\'');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            ch_buf_append_byte(b, '"');
        ch_buf_append_byte(b, *p);
    }
    if (quote)
        ch_buf_append_byte(b, '"');
}

void ch_csv_end(struct ch_buf *b)
{
    ch_buf_append(b, "\r\n", 2);
}
