/* SPDX-License-Identifier: Apache-2.0
 * Tests of the EPSS CSV reader: rows, the comment line's score date, bad
 * lines rejected as "line N", malformed files, limits and allocation
 * failure. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "vuln/epss.h"

#define ARENA_MAX ((size_t)64 << 20)
#define KEEP_MAX 8
#define REJECT_KEEP 16

struct rec {
    size_t n_scores;
    size_t n_rej;
    struct ch_epss_score scores[KEEP_MAX];
    char rej_where[REJECT_KEEP][64];
    char rej_why[REJECT_KEEP][CH_ERR_MSG_MAX];
};

static int on_epss(void *ctx, const struct ch_epss_score *e, struct ch_err *err)
{
    (void)err;
    struct rec *r = ctx;
    if (r->n_scores < KEEP_MAX)
        r->scores[r->n_scores] = *e;
    r->n_scores++;
    return CH_OK;
}

static int on_reject(void *ctx, const char *file, const char *location, const char *reason,
                     struct ch_err *err)
{
    (void)err;
    struct rec *r = ctx;
    assert_true(file != NULL && location != NULL && reason != NULL && reason[0] != '\0');
    if (r->n_rej < REJECT_KEEP) {
        snprintf(r->rej_where[r->n_rej], sizeof(r->rej_where[0]), "%s", location);
        snprintf(r->rej_why[r->n_rej], sizeof(r->rej_why[0]), "%s", reason);
    }
    r->n_rej++;
    return CH_OK;
}

static int read_text(const char *text, size_t len, struct rec *r, struct ch_err *err)
{
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct ch_vuln_sink sink = {.epss = on_epss, .reject = on_reject, .ctx = r};
    int rc = ch_epss_read(text, len, "text", arena, &sink, err);
    ch_arena_free(arena);
    return rc;
}

static int read_fixture(const char *name, struct ch_arena *arena, struct rec *r, struct ch_err *err)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "epss/%s", name);
    char *path = ch_test_fixture(rel);
    struct ch_buf buf;
    ch_buf_init(&buf, ARENA_MAX);
    ch_test_read_file(path, &buf);
    ch_free(path);
    struct ch_vuln_sink sink = {.epss = on_epss, .reject = on_reject, .ctx = r};
    int rc = ch_epss_read(ch_buf_cstr(&buf), ch_buf_len(&buf), name, arena, &sink, err);
    ch_buf_release(&buf);
    return rc;
}

static int64_t day(const char *s)
{
    int64_t v = -1;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_time_parse(ch_str_c(s), &v, NULL, &err), CH_OK);
    return v;
}

static void test_epss_read_scores(void **state)
{
    (void)state;
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {0};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("scores.csv", arena, &r, &err), 4);
    assert_int_equal(r.n_rej, 0);
    assert_string_equal(r.scores[0].cve, "CVE-1999-0001");
    assert_true(fabs(r.scores[0].epss - 0.01141) < 1e-12);
    assert_true(fabs(r.scores[0].percentile - 0.77805) < 1e-12);
    assert_int_equal(r.scores[0].score_date, day("2025-03-16"));
    assert_string_equal(r.scores[1].cve, "CVE-2021-44228");
    assert_string_equal(r.scores[3].cve, "CVE-2025-0001");
    ch_arena_free(arena);
}

static void test_epss_read_crlf_without_comment(void **state)
{
    (void)state;
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {0};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("no-comment-crlf.csv", arena, &r, &err), 2);
    assert_int_equal(r.scores[0].score_date, -1);
    assert_true(r.scores[1].epss == 1.0);
    assert_true(fabs(r.scores[1].percentile - 1.0) < 1e-12);
    ch_arena_free(arena);
}

static void test_epss_read_bad_rows(void **state)
{
    (void)state;
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {0};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("bad-rows.csv", arena, &r, &err), 2);
    assert_string_equal(r.scores[1].cve, "CVE-2023-0009");
    static const struct {
        const char *where;
        const char *why;
    } want[] = {
        {"line 4", "epss is not a number in [0, 1]: '1.5'"},
        {"line 5", "expected 3 fields"},
        {"line 6", "invalid CVE id 'CVE-23-4'"},
        {"line 7", "epss is not a number in [0, 1]: 'abc'"},
        {"line 8", "percentile is not a number in [0, 1]: '-0.1'"},
        {"line 9", "expected 3 fields"},
    };
    assert_int_equal(r.n_rej, CH_ARRAY_SIZE(want));
    for (size_t i = 0; i < CH_ARRAY_SIZE(want); i++) {
        assert_string_equal(r.rej_where[i], want[i].where);
        if (!ch_test_contains(r.rej_why[i], want[i].why))
            fail_msg("reject %zu: '%s', want '%s'", i, r.rej_why[i], want[i].why);
    }
    ch_arena_free(arena);
}

static void test_epss_read_malformed(void **state)
{
    (void)state;
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {0};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("no-header.csv", arena, &r, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "line 1: expected the header"));
    ch_err_clear(&err);
    assert_int_equal(read_fixture("bad-score-date.csv", arena, &r, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "line 1: invalid score_date"));
    ch_err_clear(&err);
    r = (struct rec){0};
    assert_int_equal(read_fixture("bad-utf8.csv", arena, &r, &err), 1);
    assert_int_equal(r.n_rej, 1);
    assert_string_equal(r.rej_where[0], "line 3");
    assert_true(ch_test_contains(r.rej_why[0], "\\xff\\xfe")); /* quoted, not raw bytes */
    ch_err_clear(&err);
    assert_int_equal(read_text("", 0, &r, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "no 'cve,epss,percentile' header"));
    ch_arena_free(arena);
}

static void test_epss_read_hostile(void **state)
{
    (void)state;
    struct ch_buf doc;
    ch_buf_init(&doc, (size_t)64 << 20);
    struct rec r = {0};
    struct ch_err err = CH_ERR_INIT;
    /* one very long line: rejected, bounded message */
    ch_buf_append_c(&doc, "cve,epss,percentile\nCVE-2023-0001,0.1,");
    for (int i = 0; i < 10000; i++)
        ch_buf_append_c(&doc, "9999999999");
    ch_buf_append_c(&doc, "\nCVE-2023-0002,0.1,0.2\n");
    assert_int_equal(read_text(ch_buf_cstr(&doc), ch_buf_len(&doc), &r, &err), 1);
    assert_int_equal(r.n_rej, 1);
    assert_true(ch_test_contains(r.rej_why[0], "longer than 256 bytes"));
    assert_true(strlen(r.rej_why[0]) < 200);
    /* a binary blob: every line rejected until the reject limit */
    ch_buf_reset(&doc);
    r = (struct rec){0};
    ch_buf_append_c(&doc, "cve,epss,percentile\n");
    for (int i = 0; i < 3000; i++)
        ch_buf_append_c(&doc, "\x01\x02\xff\n");
    assert_int_equal(read_text(ch_buf_cstr(&doc), ch_buf_len(&doc), &r, &err), CH_E_LIMIT);
    assert_int_equal(r.n_rej, 1000);
    assert_true(ch_test_contains(err.msg, "more than 1000 bad lines"));
    /* NUL bytes inside a row do not end the data early */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    r = (struct rec){0};
    static const char nul[] =
        "cve,epss,percentile\nCVE-2023-0001\0,0.1,0.2\nCVE-2023-0002,0.1,0.2\n";
    assert_int_equal(read_text(nul, sizeof(nul) - 1, &r, &err), 1);
    assert_int_equal(r.n_rej, 1);
    ch_buf_release(&doc);
}

/* ---- allocation failure ---- */

static int body_read(void)
{
    static const char text[] = "#model_version:v2025.03.14,score_date:2025-03-16T00:00:00+0000\n"
                               "cve,epss,percentile\nCVE-2023-0001,0.1,0.2\nbad\n"
                               "CVE-2023-0002,0.3,0.4\n";
    struct ch_arena *arena = ch_arena_new(1 << 16);
    if (arena == NULL)
        return CH_E_NOMEM;
    struct rec r = {0};
    struct ch_vuln_sink sink = {.epss = on_epss, .reject = on_reject, .ctx = &r};
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_epss_read(text, sizeof(text) - 1, "oom", arena, &sink, &err);
    if (rc < 0 && err.msg[0] == '\0')
        rc = CH_E_INTERNAL;
    if (rc >= 0 && (rc != 2 || r.n_rej != 1))
        rc = CH_E_INTERNAL;
    ch_arena_free(arena);
    return rc < 0 ? rc : CH_OK;
}

static void test_epss_read_oom(void **state)
{
    (void)state;
    for (long n = 0; n < 100000; n++) {
        ch_alloc_fault_enable(n);
        int rc = body_read();
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        if (rc == CH_OK && hits == 0)
            return;
        if (rc == CH_OK)
            fail_msg("succeeded although allocation %ld failed", n);
        if (rc != CH_E_NOMEM)
            fail_msg("allocation %ld failed with rc %d, want NOMEM", n, rc);
    }
    fail_msg("never succeeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epss_read_scores),
        cmocka_unit_test(test_epss_read_crlf_without_comment),
        cmocka_unit_test(test_epss_read_bad_rows),
        cmocka_unit_test(test_epss_read_malformed),
        cmocka_unit_test(test_epss_read_hostile),
        cmocka_unit_test(test_epss_read_oom),
    };
    return cmocka_run_group_tests_name("vuln epss", tests, NULL, NULL);
}
