/* SPDX-License-Identifier: Apache-2.0
 *
 * buf.h: growable byte buffers with a maximum size, after curl's dynbuf.
 *
 * A buffer is always NUL-terminated yet binary-safe. It is given a maximum
 * size at init: growing past it fails with CH_E_LIMIT instead of eating
 * memory an attacker chose. Failures are sticky: after the first failed
 * append, later appends do nothing and return the same code, so a writer can
 * emit many pieces and check once with ch_buf_status(). That is why the
 * append functions are not CH_MUST_CHECK: ignoring one is safe as long as
 * ch_buf_status() (or ch_buf_take()) is checked at the end.
 *
 * Fields are touched only through this API. Ownership: the buffer owns ptr;
 * ch_buf_release() frees it; ch_buf_take() hands it to the caller.
 */
#ifndef CH_CORE_BUF_H
#define CH_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct ch_buf {
    char *ptr;       /* NULL until the first append */
    size_t len;      /* bytes of data, excluding the terminating NUL */
    size_t cap;      /* bytes allocated */
    size_t max;      /* largest len allowed */
    int failed;      /* sticky error code, 0 while healthy */
};

#define CH_BUF_DEFAULT_MAX ((size_t)64 << 20)

void ch_buf_init(struct ch_buf *b, size_t max);
void ch_buf_release(struct ch_buf *b);
/* Empties the buffer (keeps its memory) and clears a sticky failure. */
void ch_buf_reset(struct ch_buf *b);

int ch_buf_append(struct ch_buf *b, const void *data, size_t len);
int ch_buf_append_str(struct ch_buf *b, struct ch_str s);
int ch_buf_append_c(struct ch_buf *b, const char *s);
int ch_buf_append_byte(struct ch_buf *b, char c);
int ch_buf_appendf(struct ch_buf *b, const char *fmt, ...) CH_PRINTF(2, 3);
int ch_buf_vappendf(struct ch_buf *b, const char *fmt, va_list ap);
/* Ensures room for `extra` more bytes without reallocating. */
int ch_buf_reserve(struct ch_buf *b, size_t extra);
/* Shortens to len bytes (no-op if already shorter). */
void ch_buf_truncate(struct ch_buf *b, size_t len);

/* Contents; never NULL (an empty buffer gives ""). Valid until the next change. */
const char *ch_buf_cstr(const struct ch_buf *b);
static inline size_t ch_buf_len(const struct ch_buf *b)
{
    return b->len;
}
static inline struct ch_str ch_buf_str(const struct ch_buf *b)
{
    return ch_str_make(ch_buf_cstr(b), b->len);
}

/*
 * Hands the NUL-terminated contents to the caller (free with ch_free()) and
 * resets the buffer. Returns NULL on allocation failure or sticky failure.
 */
char *ch_buf_take(struct ch_buf *b, size_t *ret_len);

/* CH_OK or the sticky failure, described in err with `what` as context. */
int ch_buf_status(const struct ch_buf *b, const char *what, struct ch_err *err);

#endif
