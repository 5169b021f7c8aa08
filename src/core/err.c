/* SPDX-License-Identifier: Apache-2.0
 *
 * err.c: error values. See err.h for the "first message wins" rule.
 */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ch_err_clear(struct ch_err *err)
{
    err->rc = CH_OK;
    err->msg[0] = '\0';
    err->field[0] = '\0';
}

static int err_vset(struct ch_err *err, int rc, const char *field, const char *fmt, va_list ap)
{
    if (err->rc != CH_OK)
        return err->rc;
    if (rc >= 0 || rc <= CH_E_MIN)
        rc = CH_E_INTERNAL;
    err->rc = rc;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    if (field != NULL)
        snprintf(err->field, sizeof(err->field), "%s", field);
    else
        err->field[0] = '\0';
    return rc;
}

int ch_err_set(struct ch_err *err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = err_vset(err, rc, NULL, fmt, ap);
    va_end(ap);
    return ret;
}

int ch_err_setf(struct ch_err *err, int rc, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = err_vset(err, rc, field, fmt, ap);
    va_end(ap);
    return ret;
}

int ch_err_prefix(struct ch_err *err, const char *fmt, ...)
{
    if (err->rc == CH_OK)
        return CH_OK;
    char ctx[CH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);
    /* ctx + ": " + msg, cut to the buffer; built by hand so truncation is deliberate */
    char joined[CH_ERR_MSG_MAX];
    size_t n = 0;
    const char *parts[3] = {ctx, ": ", err->msg};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(parts[i]);
        if (len > sizeof(joined) - 1 - n)
            len = sizeof(joined) - 1 - n;
        memcpy(joined + n, parts[i], len);
        n += len;
    }
    joined[n] = '\0';
    memcpy(err->msg, joined, n + 1);
    return err->rc;
}

void ch_err_copy(struct ch_err *dst, const struct ch_err *src)
{
    memcpy(dst, src, sizeof(*dst));
}

static const char *const rc_names[] = {
    [0] = "ok",
    [1] = "out of memory",
    [2] = "invalid",
    [3] = "limit exceeded",
    [4] = "not found",
    [5] = "conflict",
    [6] = "i/o error",
    [7] = "database error",
    [8] = "timeout",
    [9] = "internal error",
    [10] = "unsupported",
    [11] = "permission denied",
    [12] = "unauthenticated",
    [13] = "busy",
    [14] = "usage",
    [15] = "rate limited",
    [16] = "unavailable",
};

const char *ch_rc_str(int rc)
{
    if (rc > 0 || rc <= CH_E_MIN)
        return "unknown error";
    return rc_names[-rc];
}

void ch_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
