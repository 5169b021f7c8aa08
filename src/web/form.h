/* SPDX-License-Identifier: Apache-2.0
 *
 * form.h: the two pieces of browser input the dashboard reads besides the
 * path: application/x-www-form-urlencoded text (a POSTed form, and the query
 * string of a page, which has the same syntax) and the Cookie header
 * (RFC 6265 §4.2: "name=value" pairs separated by "; ").
 *
 * Both are hostile input: every size and count is capped by a named limit,
 * and anything malformed is refused with CH_E_INVALID or CH_E_LIMIT rather
 * than guessed at. Decoded names and values are valid UTF-8 without NUL or
 * control characters other than tab, CR and LF (a textarea's line breaks).
 *
 * Thread-safety: reentrant; results live in the arena passed in.
 */
#ifndef CH_WEB_FORM_H
#define CH_WEB_FORM_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

/* A dashboard form or query has a handful of fields; more is not a browser. */
#define CH_FORM_MAX_FIELDS 32u
/* Longest encoded form (request body cap of the dashboard's POST routes). */
#define CH_FORM_MAX_BYTES ((size_t)16 << 10)
/* Longest decoded name. */
#define CH_FORM_MAX_NAME 64u
/* Longest decoded value: the free-text reason of a status change fits. */
#define CH_FORM_MAX_VALUE ((size_t)4 << 10)
/* Longest Cookie header considered: ours is one short cookie; browsers cap at 4 KiB each. */
#define CH_COOKIE_MAX_HEADER ((size_t)8 << 10)
/* Cookie pairs examined at most. */
#define CH_COOKIE_MAX_PAIRS 64u

struct ch_form_field {
    const char *name;  /* arena, NUL-terminated */
    const char *value; /* arena, NUL-terminated */
};

/* Parsed fields in input order; names are unique. */
struct ch_form {
    struct ch_form_field fields[CH_FORM_MAX_FIELDS];
    unsigned n_fields;
};

/*
 * Parses form-urlencoded text ('+' is a space, %XX escapes) into *ret,
 * copying into `a`. Empty pairs ("a=1&&b=2") are skipped; a pair without
 * '=' has an empty value. CH_E_LIMIT past a limit above; CH_E_INVALID for a
 * bad escape, invalid UTF-8, a control character, an empty or repeated name.
 */
int ch_form_parse(struct ch_arena *a, struct ch_str text, struct ch_form *ret,
                  struct ch_err *err) CH_MUST_CHECK;

/* The value of field `name`, or NULL (borrowed from the form). */
const char *ch_form_get(const struct ch_form *f, const char *name);

/*
 * Finds cookie `name` in a Cookie header value. CH_OK with *ret_value (a
 * view into header, not decoded) when present, CH_E_NOTFOUND when absent,
 * CH_E_LIMIT for a header or pair count over the limits. When a name
 * appears twice the first wins, as browsers send the most specific first.
 */
int ch_cookie_find(struct ch_str header, const char *name, struct ch_str *ret_value,
                   struct ch_err *err) CH_MUST_CHECK;

#endif
