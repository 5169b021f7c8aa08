/* SPDX-License-Identifier: Apache-2.0
 *
 * html.h: writing text into HTML and URLs safely. Every value the dashboard
 * shows passes through ch_html_esc() (element content and quoted attribute
 * values alike: & < > " ' are replaced), and every value put into a link's
 * query through ch_url_esc(), so no stored string can become markup.
 *
 * Writers append to a struct ch_buf; a failed append leaves the buffer
 * marked failed (ch_buf_status reports it once at the end).
 */
#ifndef CH_WEB_HTML_H
#define CH_WEB_HTML_H

#include <stddef.h>

#include "core/buf.h"

/* Appends s (len bytes) with HTML's special characters replaced by entities. */
void ch_html_escn(struct ch_buf *b, const char *s, size_t len);
/* As ch_html_escn() for a NUL-terminated string; NULL appends nothing. */
void ch_html_esc(struct ch_buf *b, const char *s);
/* Appends s percent-encoded for a query value (unreserved characters kept). */
void ch_url_esc(struct ch_buf *b, const char *s);

#endif
