/* SPDX-License-Identifier: Apache-2.0
 *
 * buf.c: growable buffers (see buf.h). Growth doubles the capacity, capped at
 * max + 1 (the NUL), so a buffer never holds more than its limit allows.
 */
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

#define BUF_MIN_CAP 64

void ch_buf_init(struct ch_buf *b, size_t max)
{
    *b = (struct ch_buf){.ptr = NULL, .len = 0, .cap = 0, .max = max, .failed = 0};
}

void ch_buf_release(struct ch_buf *b)
{
    ch_free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

void ch_buf_reset(struct ch_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->ptr != NULL)
        b->ptr[0] = '\0';
}

static int grow(struct ch_buf *b, size_t extra)
{
    if (b->failed)
        return b->failed;
    if (extra > b->max || b->len > b->max - extra) {
        b->failed = CH_E_LIMIT;
        return CH_E_LIMIT;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return CH_OK;
    size_t cap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = ch_realloc(b->ptr, cap);
    if (p == NULL) {
        b->failed = CH_E_NOMEM;
        return CH_E_NOMEM;
    }
    b->ptr = p;
    b->cap = cap;
    return CH_OK;
}

int ch_buf_reserve(struct ch_buf *b, size_t extra)
{
    return grow(b, extra);
}

int ch_buf_append(struct ch_buf *b, const void *data, size_t len)
{
    int rc = grow(b, len);
    if (rc != CH_OK)
        return rc;
    if (len > 0)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return CH_OK;
}

int ch_buf_append_str(struct ch_buf *b, struct ch_str s)
{
    return ch_buf_append(b, s.ptr, s.len);
}

int ch_buf_append_c(struct ch_buf *b, const char *s)
{
    return ch_buf_append(b, s, strlen(s));
}

int ch_buf_append_byte(struct ch_buf *b, char c)
{
    return ch_buf_append(b, &c, 1);
}

int ch_buf_vappendf(struct ch_buf *b, const char *fmt, va_list ap)
{
    if (b->failed)
        return b->failed;
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->failed = CH_E_INVALID;
        return CH_E_INVALID;
    }
    if ((size_t)n < sizeof(small))
        return ch_buf_append(b, small, (size_t)n);
    int rc = grow(b, (size_t)n);
    if (rc != CH_OK)
        return rc;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return CH_OK;
}

int ch_buf_appendf(struct ch_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ch_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void ch_buf_truncate(struct ch_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->ptr[len] = '\0';
    }
}

const char *ch_buf_cstr(const struct ch_buf *b)
{
    return b->ptr == NULL ? "" : b->ptr;
}

char *ch_buf_take(struct ch_buf *b, size_t *ret_len)
{
    if (b->failed)
        return NULL;
    if (b->ptr == NULL && grow(b, 0) != CH_OK)
        return NULL;
    b->ptr[b->len] = '\0';
    char *p = b->ptr;
    if (ret_len != NULL)
        *ret_len = b->len;
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

int ch_buf_status(const struct ch_buf *b, const char *what, struct ch_err *err)
{
    if (b->failed == CH_OK)
        return CH_OK;
    if (b->failed == CH_E_LIMIT)
        return ch_err_set(err, CH_E_LIMIT, "%s exceeds %zu bytes", what, b->max);
    if (b->failed == CH_E_NOMEM)
        return ch_err_set(err, CH_E_NOMEM, "out of memory building %s", what);
    return ch_err_set(err, b->failed, "cannot build %s", what);
}
