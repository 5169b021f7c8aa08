/* SPDX-License-Identifier: Apache-2.0
 *
 * str.h: borrowed string views, (pointer, length) pairs into memory owned by
 * someone else. Never assumed NUL-terminated. A view is valid only as long as
 * the memory it points into.
 */
#ifndef CH_CORE_STR_H
#define CH_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct ch_str {
    const char *ptr;
    size_t len;
};

#define CH_STR_LIT(s) ((struct ch_str){.ptr = (s), .len = sizeof(s) - 1})
#define CH_STR_NULL ((struct ch_str){.ptr = NULL, .len = 0})
/* printf("%.*s", CH_STR_FMT(s)) */
#define CH_STR_FMT(s) (int)((s).len > 0x7fffffff ? 0x7fffffff : (s).len), (s).ptr

static inline struct ch_str ch_str_make(const char *ptr, size_t len)
{
    return (struct ch_str){.ptr = ptr, .len = len};
}

/* View of a NUL-terminated string; NULL gives the empty view. */
static inline struct ch_str ch_str_c(const char *s)
{
    return (struct ch_str){.ptr = s, .len = s == NULL ? 0 : strlen(s)};
}

bool ch_str_eq(struct ch_str a, struct ch_str b);
bool ch_str_eq_c(struct ch_str a, const char *b);
/* ASCII case-insensitive equality. */
bool ch_str_case_eq(struct ch_str a, struct ch_str b);
bool ch_str_case_eq_c(struct ch_str a, const char *b);
bool ch_str_starts_with(struct ch_str s, const char *prefix);
bool ch_str_ends_with(struct ch_str s, const char *suffix);
/* Strips ASCII spaces, tabs, CR and LF at both ends. */
struct ch_str ch_str_trim(struct ch_str s);
/* Index of the first c in s, or -1. */
long ch_str_find_char(struct ch_str s, char c);
/* Sub-view [from, from+len) clamped to s. */
struct ch_str ch_str_sub(struct ch_str s, size_t from, size_t len);

/*
 * Splits off the next token before `sep` from *rest, advancing *rest past the
 * separator. Returns false when *rest was already exhausted (rest->ptr NULL).
 * "a,,b" yields "a", "", "b".
 */
bool ch_str_split_next(struct ch_str *rest, char sep, struct ch_str *ret_tok);

/* Lexicographic byte compare: <0, 0, >0. */
int ch_str_cmp(struct ch_str a, struct ch_str b);

#endif
