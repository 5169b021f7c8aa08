/* SPDX-License-Identifier: Apache-2.0
 *
 * html.c: HTML and URL escaping (see html.h). The apostrophe is escaped too
 * so values are safe in single-quoted attributes, should a template use one.
 */
#include "web/html.h"

#include <stdbool.h>
#include <string.h>

void ch_html_escn(struct ch_buf *b, const char *s, size_t len)
{
    size_t run = 0; /* start of the pending run of ordinary bytes */
    for (size_t i = 0; i < len; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        ch_buf_append(b, s + run, i - run); /* a failure sticks to the buffer */
        ch_buf_append_c(b, ent);
        run = i + 1;
    }
    ch_buf_append(b, s + run, len - run);
}

void ch_html_esc(struct ch_buf *b, const char *s)
{
    if (s != NULL)
        ch_html_escn(b, s, strlen(s));
}

void ch_url_esc(struct ch_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p != '\0'; p++) {
        unsigned char c = *p;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.' || c == '~';
        if (plain) {
            ch_buf_append_byte(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            ch_buf_append(b, e, 3);
        }
    }
}
