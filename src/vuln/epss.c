/* SPDX-License-Identifier: Apache-2.0
 *
 * epss.c: the EPSS CSV into struct ch_epss_score (see epss.h and
 * docs/formats.md; format: https://www.first.org/epss/data_stats).
 *
 * A line-at-a-time scanner over (pointer, length) input: no line is copied
 * except the CVE id of a good row, so memory stays proportional to the rows
 * delivered. The file's shape is checked once (comment lines, then the
 * header); every later line stands alone and a bad one is reported to the
 * sink as "line N" without stopping the read. The CSV is the plain
 * three-column form FIRST publishes: no quoting is needed or accepted.
 */
#include "vuln/epss.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/num.h"

/* A day's file is ~10 MB for ~300,000 CVEs (2025); 1 GiB leaves a wide margin. */
#define CH_EPSS_MAX_BYTES ((size_t)1 << 30)
/* One row is ~35 bytes; longer lines are not EPSS rows. */
#define CH_EPSS_MAX_LINE 256
/* Rows in one file: ~300,000 today; every CVE id ever assigned is far below this. */
#define CH_EPSS_MAX_ROWS 20000000
/* Bad rows reported before giving up on the file (a wrong file must not flood the sink). */
#define CH_EPSS_MAX_REJECTS 1000
/* "CVE-" + 4 + "-" + up to 19 digits. */
#define CH_EPSS_MAX_CVE 28

struct ep {
    const char *source;
    struct ch_arena *arena;
    const struct ch_vuln_sink *sink;
    struct ch_err *err;
    int64_t score_date;
    size_t rejects;
};

/* Splits off the next line of *rest (without its "\n" or "\r\n"). */
static bool next_line(struct ch_str *rest, struct ch_str *ret)
{
    if (rest->len == 0)
        return false;
    const char *nl = memchr(rest->ptr, '\n', rest->len);
    size_t n = nl != NULL ? (size_t)(nl - rest->ptr) : rest->len;
    *ret = ch_str_make(rest->ptr, n);
    if (ret->len > 0 && ret->ptr[ret->len - 1] == '\r')
        ret->len--;
    size_t skip = nl != NULL ? n + 1 : n;
    rest->ptr += skip;
    rest->len -= skip;
    return true;
}

/* The score_date of a "#model_version:...,score_date:YYYY-MM-DD..." comment, if any. */
static int read_comment(struct ep *e, struct ch_str line, size_t line_no)
{
    struct ch_str rest = ch_str_sub(line, 1, line.len);
    struct ch_str field;
    while (ch_str_split_next(&rest, ',', &field)) {
        field = ch_str_trim(field);
        if (!ch_str_starts_with(field, "score_date:"))
            continue;
        struct ch_str v = ch_str_sub(field, 11, field.len);
        struct ch_err terr = CH_ERR_INIT;
        int64_t t;
        /* the zone is written "+0000", which is not RFC 3339: the day is what matters */
        if (v.len < 10 || ch_time_parse(ch_str_sub(v, 0, 10), &t, NULL, &terr) != CH_OK || t < 0) {
            char q[64];
            return ch_err_set(e->err, CH_E_INVALID, "%s: line %zu: invalid score_date '%s'",
                              e->source, line_no, ch_log_quote(q, sizeof(q), v.ptr, v.len));
        }
        e->score_date = t;
    }
    return CH_OK;
}

static bool is_header(struct ch_str line)
{
    static const char *const names[] = {"cve", "epss", "percentile"};
    struct ch_str rest = line;
    struct ch_str field;
    size_t i = 0;
    while (ch_str_split_next(&rest, ',', &field)) {
        if (i >= CH_ARRAY_SIZE(names) || !ch_str_case_eq_c(ch_str_trim(field), names[i]))
            return false;
        i++;
    }
    return i == CH_ARRAY_SIZE(names);
}

/* Reports "<what> '<value>'" for line_no (value quoted and bounded). */
static int reject(struct ep *e, size_t line_no, const char *what, struct ch_str value)
{
    if (++e->rejects > CH_EPSS_MAX_REJECTS)
        return ch_err_set(e->err, CH_E_LIMIT, "%s: more than %d bad lines", e->source,
                          CH_EPSS_MAX_REJECTS);
    char where[32];
    char q[64];
    char reason[160];
    snprintf(where, sizeof(where), "line %zu", line_no);
    snprintf(reason, sizeof(reason), "%s '%s'", what,
             ch_log_quote(q, sizeof(q), value.ptr, value.len));
    if (e->sink->reject == NULL)
        return CH_OK;
    return e->sink->reject(e->sink->ctx, e->source, where, reason, e->err);
}

/* A probability in [0, 1]. */
static bool parse_prob(struct ch_str s, double *ret)
{
    struct ch_err perr = CH_ERR_INIT;
    double d;
    if (ch_num_parse_double(s, &d, &perr) != CH_OK || !(d >= 0.0 && d <= 1.0))
        return false;
    *ret = d;
    return true;
}

/* One data row; 1 when delivered, 0 when rejected, or a negative error. */
static int read_row(struct ep *e, struct ch_str line, size_t line_no)
{
    if (line.len > CH_EPSS_MAX_LINE)
        return reject(e, line_no, "line longer than 256 bytes:", line);
    struct ch_str rest = line;
    struct ch_str f[4];
    size_t n = 0;
    while (n < 4 && ch_str_split_next(&rest, ',', &f[n]))
        n++;
    if (n != 3)
        return reject(e, line_no, "expected 3 fields (cve,epss,percentile) in", line);
    struct ch_str cve = ch_str_trim(f[0]);
    char id[CH_EPSS_MAX_CVE + 1];
    if (cve.len > CH_EPSS_MAX_CVE)
        return reject(e, line_no, "invalid CVE id", cve);
    memcpy(id, cve.ptr, cve.len);
    id[cve.len] = '\0';
    /* strlen: a NUL byte inside the field must not shorten the id */
    if (strlen(id) != cve.len || !ch_is_cve_id(id))
        return reject(e, line_no, "invalid CVE id", cve);
    struct ch_epss_score s = {.score_date = e->score_date};
    if (!parse_prob(ch_str_trim(f[1]), &s.epss))
        return reject(e, line_no, "epss is not a number in [0, 1]:", f[1]);
    if (!parse_prob(ch_str_trim(f[2]), &s.percentile))
        return reject(e, line_no, "percentile is not a number in [0, 1]:", f[2]);
    s.cve = ch_arena_strndup(e->arena, cve.ptr, cve.len);
    if (s.cve == NULL)
        return ch_err_set(e->err, CH_E_NOMEM, "out of memory reading EPSS scores");
    int rc = e->sink->epss != NULL ? e->sink->epss(e->sink->ctx, &s, e->err) : CH_OK;
    return rc != CH_OK ? rc : 1;
}

int ch_epss_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                 const struct ch_vuln_sink *sink, struct ch_err *err)
{
    struct ep e = {
        .source = source_name != NULL ? source_name : "input",
        .arena = arena,
        .sink = sink,
        .err = err,
        .score_date = -1,
    };
    if (len > CH_EPSS_MAX_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "%s: file of %zu bytes exceeds the limit of %zu",
                          e.source, len, CH_EPSS_MAX_BYTES);
    struct ch_str rest = ch_str_make(data, len);
    if (ch_str_starts_with(rest, "\xef\xbb\xbf"))
        rest = ch_str_sub(rest, 3, rest.len); /* UTF-8 byte order mark */
    struct ch_str line;
    size_t line_no = 0;
    bool header = false;
    int delivered = 0;
    while (next_line(&rest, &line)) {
        line_no++;
        int rc = CH_OK;
        if (ch_str_trim(line).len == 0)
            continue;
        if (!header && line.ptr[0] == '#') {
            rc = read_comment(&e, line, line_no);
        } else if (!header) {
            if (!is_header(line)) {
                char q[64];
                return ch_err_set(err, CH_E_INVALID,
                                  "%s: line %zu: expected the header 'cve,epss,percentile', "
                                  "found '%s'",
                                  e.source, line_no,
                                  ch_log_quote(q, sizeof(q), line.ptr, line.len));
            }
            header = true;
        } else if ((size_t)delivered >= CH_EPSS_MAX_ROWS) {
            return ch_err_set(err, CH_E_LIMIT, "%s: more than %d rows", e.source, CH_EPSS_MAX_ROWS);
        } else {
            rc = read_row(&e, line, line_no);
            if (rc > 0) {
                delivered++;
                rc = CH_OK;
            }
        }
        if (rc != CH_OK)
            return rc;
    }
    if (!header)
        return ch_err_set(err, CH_E_INVALID, "%s: no 'cve,epss,percentile' header", e.source);
    return delivered;
}
