/* SPDX-License-Identifier: Apache-2.0
 *
 * json.h: JSON in and out, over cJSON.
 *
 * Reading: ch_json_parse() runs a strict pre-scan before handing the text to
 * cJSON, because cJSON alone accepts invalid UTF-8, raw control characters in
 * strings, duplicate keys and \u0000 (which would silently truncate a C
 * string), and reports errors only as a byte offset. The pre-scan enforces
 * size, depth and string-length limits and turns every error into
 * "SOURCE:LINE:COLUMN: reason" (or a JSON path for structural errors such as
 * duplicate keys). Getters report the JSON path of a missing or mistyped
 * field.
 *
 * Writing: struct ch_jw streams JSON into a ch_buf, escaping every byte below
 * 0x20, '"' and '\\', and replacing invalid UTF-8 with U+FFFD so that the
 * output is always valid JSON whatever the stored bytes were.
 *
 * ch_json_global_init() points cJSON at the project's allocator; main() and
 * tests call it once before threads start.
 */
#ifndef CH_CORE_JSON_H
#define CH_CORE_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* Limits of one parsed document. Zero members take the defaults below. */
struct ch_json_limits {
    size_t max_bytes;     /* whole document */
    unsigned max_depth;   /* nesting of arrays and objects */
    size_t max_string;    /* bytes of one string (key or value), after escapes */
    size_t max_nodes;     /* values in the whole document */
};

/* One OSV record is a few kB; the largest seen in real feeds is ~5 MB. */
#define CH_JSON_DEFAULT_MAX_BYTES ((size_t)32 << 20)
/* Deep enough for every real format (CSAF product trees nest ~10 levels). */
#define CH_JSON_DEFAULT_MAX_DEPTH 64u
#define CH_JSON_DEFAULT_MAX_STRING ((size_t)4 << 20)
#define CH_JSON_DEFAULT_MAX_NODES ((size_t)4 << 20)

void ch_json_global_init(void);

/*
 * Parses len bytes of data. `source` names the input in messages (a file
 * name, "request body"); NULL means "input". On success *ret is an owned tree
 * (free with cJSON_Delete). On failure err says where: line and column for
 * syntax, UTF-8 and limit errors, JSON path for duplicate keys.
 */
int ch_json_parse(const char *data, size_t len, const struct ch_json_limits *limits,
                  const char *source, cJSON **ret, struct ch_err *err) CH_MUST_CHECK;

/* 1-based line and column (in characters) of byte offset `off` in data. */
void ch_json_line_col(const char *data, size_t len, size_t off, size_t *ret_line,
                      size_t *ret_col);

/* Type-tolerant lookups: the value when present with the right type, else NULL/false. */
const char *ch_json_str(const cJSON *obj, const char *key);
const cJSON *ch_json_arr(const cJSON *obj, const char *key);
const cJSON *ch_json_obj(const cJSON *obj, const char *key);
/* True when v is a number holding an integer within +-2^53 (every such integer
 * is exact in a double), stored in *ret. Converting any other double to an
 * integer type is undefined behaviour in C, so outside numbers go through here. */
bool ch_json_int_value(const cJSON *v, int64_t *ret);

/*
 * Strict lookups for readers of outside formats. `path` is the JSON path of
 * obj ("" for the root) and is used in messages: "field 'affected[0].package.name':
 * expected a string". With required=false an absent (or null) member gives
 * CH_OK and leaves *ret untouched.
 */
int ch_json_get_str(const cJSON *obj, const char *key, bool required, const char *path,
                    const char **ret, struct ch_err *err) CH_MUST_CHECK;
int ch_json_get_num(const cJSON *obj, const char *key, bool required, const char *path,
                    double *ret, struct ch_err *err) CH_MUST_CHECK;
/* An integral number in [min, max]; JSON numbers beyond 2^53 are refused. */
int ch_json_get_int(const cJSON *obj, const char *key, bool required, const char *path,
                    int64_t min, int64_t max, int64_t *ret, struct ch_err *err) CH_MUST_CHECK;
int ch_json_get_bool(const cJSON *obj, const char *key, bool required, const char *path,
                     bool *ret, struct ch_err *err) CH_MUST_CHECK;
int ch_json_get_arr(const cJSON *obj, const char *key, bool required, const char *path,
                    const cJSON **ret, struct ch_err *err) CH_MUST_CHECK;
int ch_json_get_obj(const cJSON *obj, const char *key, bool required, const char *path,
                    const cJSON **ret, struct ch_err *err) CH_MUST_CHECK;

/* Streaming writer. */
#define CH_JW_MAX_DEPTH 64

struct ch_jw {
    struct ch_buf *out;           /* borrowed */
    unsigned depth;
    unsigned char need_comma[CH_JW_MAX_DEPTH];
    unsigned char after_key;
    int pretty;                   /* indent with two spaces */
    int failed;                   /* CH_E_LIMIT on nesting overflow or misuse */
};

void ch_jw_init(struct ch_jw *w, struct ch_buf *out, int pretty);
void ch_jw_obj_open(struct ch_jw *w);
void ch_jw_obj_close(struct ch_jw *w);
void ch_jw_arr_open(struct ch_jw *w);
void ch_jw_arr_close(struct ch_jw *w);
void ch_jw_key(struct ch_jw *w, const char *key);
void ch_jw_str(struct ch_jw *w, const char *s, size_t len);
void ch_jw_cstr(struct ch_jw *w, const char *s); /* NULL writes null */
void ch_jw_int(struct ch_jw *w, int64_t v);
void ch_jw_double(struct ch_jw *w, double v);    /* shortest round-trip form; non-finite → null */
void ch_jw_bool(struct ch_jw *w, bool v);
void ch_jw_null(struct ch_jw *w);
/* Inserts already-encoded JSON (trusted: produced by this writer or cJSON). */
void ch_jw_raw(struct ch_jw *w, const char *json, size_t len);
/* Writes a cJSON tree. */
void ch_jw_cjson(struct ch_jw *w, const cJSON *v);
/* key + value shorthands */
void ch_jw_kstr(struct ch_jw *w, const char *key, const char *s);
void ch_jw_kstrn(struct ch_jw *w, const char *key, const char *s, size_t len);
void ch_jw_kint(struct ch_jw *w, const char *key, int64_t v);
void ch_jw_kdouble(struct ch_jw *w, const char *key, double v);
void ch_jw_kbool(struct ch_jw *w, const char *key, bool v);
void ch_jw_ktime(struct ch_jw *w, const char *key, int64_t secs); /* RFC 3339, <0 → null */
/* CH_OK, or what went wrong (buffer limit, nesting) described in err. */
int ch_jw_finish(struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/* Appends s as a JSON string literal (quotes included) to b. */
int ch_json_append_string(struct ch_buf *b, const char *s, size_t len);

#endif
