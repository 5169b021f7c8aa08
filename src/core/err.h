/* SPDX-License-Identifier: Apache-2.0
 *
 * err.h: the one error type of the project.
 *
 * Every fallible function returns int: zero (or a non-negative count) on
 * success, a negative CH_E_* code on failure. Functions at a module boundary
 * also take a `struct ch_err *err` as their last parameter and describe the
 * failure there. The message buffer is fixed-size so that reporting
 * out-of-memory cannot itself fail.
 *
 * The first message wins: ch_err_set() writes only into a clear error, so the
 * innermost layer, which knows most, is the one heard. Outer layers add
 * context with ch_err_prefix().
 *
 * Codes are append-only: never renumber or reuse one.
 */
#ifndef CH_CORE_ERR_H
#define CH_CORE_ERR_H

#include <stddef.h>

#include "core/compiler.h"

enum ch_rc {
    CH_OK = 0,
    CH_E_NOMEM = -1,       /* an allocation failed */
    CH_E_INVALID = -2,     /* input does not follow its grammar or rules */
    CH_E_LIMIT = -3,       /* a size, depth, count or time limit was reached */
    CH_E_NOTFOUND = -4,    /* the named object does not exist (or is not visible) */
    CH_E_CONFLICT = -5,    /* the request conflicts with the current state */
    CH_E_IO = -6,          /* reading or writing a file or socket failed */
    CH_E_DB = -7,          /* the database reported an error */
    CH_E_TIMEOUT = -8,     /* an operation took longer than allowed */
    CH_E_INTERNAL = -9,    /* a bug: an invariant did not hold */
    CH_E_UNSUPPORTED = -10,/* valid but not supported (unknown ecosystem, format) */
    CH_E_PERM = -11,       /* the caller may not do this */
    CH_E_AUTH = -12,       /* the caller is not authenticated */
    CH_E_BUSY = -13,       /* a resource is busy; retrying later may succeed */
    CH_E_USAGE = -14,      /* a command line or call was malformed */
    CH_E_RATE = -15,       /* a rate limit or quota was exceeded */
    CH_E_UNAVAILABLE = -16,/* a dependency (database, endpoint) is unreachable */
    CH_E_MIN = -17         /* sentinel: one below the lowest code */
};

#define CH_ERR_MSG_MAX 512
#define CH_ERR_FIELD_MAX 128

/*
 * A reported failure. Caller-owned, usually on the stack, initialised with
 * CH_ERR_INIT or ch_err_clear(). `field` optionally names the input field
 * (JSON path, parameter name) the message is about; it becomes the "field"
 * member of the HTTP error body.
 */
struct ch_err {
    int rc;
    char msg[CH_ERR_MSG_MAX];
    char field[CH_ERR_FIELD_MAX];
};

#define CH_ERR_INIT {.rc = CH_OK, .msg = {0}, .field = {0}}

/* Resets err to "no error". */
void ch_err_clear(struct ch_err *err);

/*
 * Records rc and a printf-style message unless err already holds an error,
 * in which case the first one is kept. Returns err->rc afterwards, so that
 * `return ch_err_set(err, CH_E_LIMIT, "...")` reports and returns at once.
 */
int ch_err_set(struct ch_err *err, int rc, const char *fmt, ...) CH_PRINTF(3, 4);

/* As ch_err_set(), also naming the input field the error is about. */
int ch_err_setf(struct ch_err *err, int rc, const char *field, const char *fmt, ...)
    CH_PRINTF(4, 5);

/*
 * Prepends "<context>: " to the message of an error already set (truncating
 * the tail if the buffer is full). Does nothing when err is clear.
 * Returns err->rc.
 */
int ch_err_prefix(struct ch_err *err, const char *fmt, ...) CH_PRINTF(2, 3);

/* Copies src into dst (used when an error crosses a thread). */
void ch_err_copy(struct ch_err *dst, const struct ch_err *src);

/* The name of a code, e.g. "invalid" for CH_E_INVALID; never NULL. */
const char *ch_rc_str(int rc);

#endif
