/* SPDX-License-Identifier: Apache-2.0
 * Tests of the CISA KEV catalog reader: mapping, per-entry rejects with
 * their paths, malformed catalogs, allocation failure, and the whole
 * published catalog of the shared data set. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "vuln/kev.h"

#define ARENA_MAX ((size_t)64 << 20)
#define KEEP_MAX 4
#define REJECT_KEEP 16

struct rec {
    size_t n_kev;
    size_t n_rej;
    size_t n_due_before_added;
    struct ch_kev_entry kev[KEEP_MAX];
    char rej_where[REJECT_KEEP][128];
    char rej_why[REJECT_KEEP][CH_ERR_MSG_MAX];
    int print_rejects;
};

static int on_kev(void *ctx, const struct ch_kev_entry *k, struct ch_err *err)
{
    (void)err;
    struct rec *r = ctx;
    if (r->n_kev < KEEP_MAX)
        r->kev[r->n_kev] = *k;
    r->n_kev++;
    r->n_due_before_added += k->due_date < k->date_added;
    return CH_OK;
}

static int on_reject(void *ctx, const char *file, const char *location, const char *reason,
                     struct ch_err *err)
{
    (void)err;
    struct rec *r = ctx;
    assert_true(file != NULL && location != NULL && location[0] != '\0');
    assert_true(reason != NULL && reason[0] != '\0');
    if (r->n_rej < REJECT_KEEP) {
        snprintf(r->rej_where[r->n_rej], sizeof(r->rej_where[0]), "%s", location);
        snprintf(r->rej_why[r->n_rej], sizeof(r->rej_why[0]), "%s", reason);
    }
    if (r->print_rejects)
        print_message("reject %s %s: %s\n", file, location, reason);
    r->n_rej++;
    return CH_OK;
}

static int64_t day(const char *s)
{
    int64_t v = -1;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_time_parse(ch_str_c(s), &v, NULL, &err), CH_OK);
    return v;
}

static int read_file(const char *path, const char *name, struct ch_buf *buf, struct ch_arena *arena,
                     struct rec *r, struct ch_err *err)
{
    ch_test_read_file(path, buf);
    struct ch_vuln_sink sink = {.kev = on_kev, .reject = on_reject, .ctx = r};
    return ch_kev_read(ch_buf_cstr(buf), ch_buf_len(buf), name, arena, &sink, err);
}

static int read_fixture(const char *name, struct ch_buf *buf, struct ch_arena *arena, struct rec *r,
                        struct ch_err *err)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "kev/%s", name);
    char *path = ch_test_fixture(rel);
    int rc = read_file(path, name, buf, arena, r, err);
    ch_free(path);
    return rc;
}

static void test_kev_read_catalog(void **state)
{
    (void)state;
    struct ch_buf buf;
    ch_buf_init(&buf, ARENA_MAX);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {0};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("catalog.json", &buf, arena, &r, &err), 2);
    const struct ch_kev_entry *k = &r.kev[0];
    assert_string_equal(k->cve, "CVE-2025-48384");
    assert_string_equal(k->vendor, "Git");
    assert_string_equal(k->product, "Git");
    assert_string_equal(k->name, "Git Link Following Vulnerability");
    assert_true(ch_test_contains(k->description, "Git\xe2\x80\x99s inconsistent"));
    assert_true(ch_test_contains(k->required_action, "BOD 22-01"));
    assert_int_equal(k->date_added, day("2025-08-25"));
    assert_int_equal(k->due_date, day("2025-09-15"));
    assert_string_equal(k->ransomware, "Unknown");
    assert_true(ch_test_contains(k->notes, "https://github.com/git/git/security"));
    assert_int_equal(k->n_cwes, 2);
    assert_string_equal(k->cwes[1], "CWE-436");
    /* due before added: accepted as published */
    k = &r.kev[1];
    assert_string_equal(k->cve, "CVE-2021-34527");
    assert_true(k->due_date < k->date_added);
    assert_string_equal(k->ransomware, "Known");
    assert_string_equal(k->notes, "");
    assert_int_equal(k->n_cwes, 0);
    assert_int_equal(r.n_rej, 6);
    static const char *const where[] = {
        "vulnerabilities[2].dueDate", "vulnerabilities[3].dateAdded",
        "vulnerabilities[4].cveID",   "vulnerabilities[5].vendorProject",
        "vulnerabilities[6].cwes[0]", "vulnerabilities[7]",
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(where); i++) {
        if (strcmp(r.rej_where[i], where[i]) != 0)
            fail_msg("reject %zu at '%s' (%s), want '%s'", i, r.rej_where[i], r.rej_why[i],
                     where[i]);
        assert_true(ch_test_contains(r.rej_why[i], where[i]));
    }
    ch_arena_free(arena);
    ch_buf_release(&buf);
}

static void test_kev_read_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *where;
    } cases[] = {
        {"vulns-not-array.json", "'vulnerabilities': expected an array"},
        {"dup-key.json", "duplicate key 'catalogVersion'"},
        {"bad-utf8.json", "bad-utf8.json:2:"},
        {"bad-released.json", "'dateReleased'"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_buf buf;
        ch_buf_init(&buf, ARENA_MAX);
        struct ch_arena *arena = ch_arena_new(ARENA_MAX);
        struct rec r = {0};
        struct ch_err err = CH_ERR_INIT;
        int rc = read_fixture(cases[i].file, &buf, arena, &r, &err);
        if (rc != CH_E_INVALID || !ch_test_contains(err.msg, cases[i].where))
            fail_msg("%s: rc %d, message '%s'", cases[i].file, rc, err.msg);
        assert_int_equal(r.n_kev, 0);
        ch_arena_free(arena);
        ch_buf_release(&buf);
    }
}

static void test_kev_read_hostile(void **state)
{
    (void)state;
    struct ch_buf doc;
    ch_buf_init(&doc, (size_t)64 << 20);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {0};
    struct ch_vuln_sink sink = {.kev = on_kev, .reject = on_reject, .ctx = &r};
    struct ch_err err = CH_ERR_INIT;
    /* deep nesting */
    ch_buf_append_c(&doc, "{\"vulnerabilities\":[");
    for (int i = 0; i < 100; i++)
        ch_buf_append_c(&doc, "[");
    assert_int_equal(ch_kev_read(ch_buf_cstr(&doc), ch_buf_len(&doc), "deep", arena, &sink, &err),
                     CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "deep:1:"));
    /* a 100 kB description */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    ch_buf_append_c(&doc, "{\"vulnerabilities\":[{\"shortDescription\":\"");
    for (int i = 0; i < 100000 / 50; i++)
        ch_buf_append_c(&doc, "01234567890123456789012345678901234567890123456789");
    ch_buf_append_c(&doc, "\"}]}");
    assert_int_equal(ch_kev_read(ch_buf_cstr(&doc), ch_buf_len(&doc), "huge", arena, &sink, &err),
                     CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "string longer than"));
    /* 1,500 bad entries: 1,000 rejects, then the catalog is given up */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    ch_buf_append_c(&doc, "{\"vulnerabilities\":[");
    for (int i = 0; i < 1500; i++)
        ch_buf_append_c(&doc, i == 0 ? "{}" : ",{}");
    ch_buf_append_c(&doc, "]}");
    assert_int_equal(ch_kev_read(ch_buf_cstr(&doc), ch_buf_len(&doc), "bad", arena, &sink, &err),
                     CH_E_LIMIT);
    assert_int_equal(r.n_rej, 1000);
    ch_arena_free(arena);
    ch_buf_release(&doc);
}

/* ---- allocation failure ---- */

static struct ch_buf oom_doc;

static int body_read(void)
{
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    if (arena == NULL)
        return CH_E_NOMEM;
    struct rec r = {0};
    struct ch_vuln_sink sink = {.kev = on_kev, .reject = on_reject, .ctx = &r};
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_kev_read(ch_buf_cstr(&oom_doc), ch_buf_len(&oom_doc), "oom", arena, &sink, &err);
    if (rc < 0 && err.msg[0] == '\0')
        rc = CH_E_INTERNAL;
    if (rc >= 0 && (rc != 2 || r.n_rej != 6))
        rc = CH_E_INTERNAL; /* a failed allocation must not turn into a reject */
    ch_arena_free(arena);
    return rc < 0 ? rc : CH_OK;
}

static void test_kev_read_oom(void **state)
{
    (void)state;
    char *path = ch_test_fixture("kev/catalog.json");
    ch_buf_init(&oom_doc, ARENA_MAX);
    ch_test_read_file(path, &oom_doc);
    ch_free(path);
    for (long n = 0; n < 100000; n++) {
        ch_alloc_fault_enable(n);
        int rc = body_read();
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        if (rc == CH_OK && hits == 0)
            break;
        if (rc == CH_OK)
            fail_msg("succeeded although allocation %ld failed", n);
        if (rc != CH_E_NOMEM)
            fail_msg("allocation %ld failed with rc %d, want NOMEM", n, rc);
    }
    ch_buf_release(&oom_doc);
}

/*
 * The published catalog (2025.08.25): 1,404 entries, all valid. 15 of them
 * have a due date before their date added (all added on 2021-11-03, the
 * catalog's first day, with the due dates of earlier directives), counted
 * with a JSON tool; all are accepted.
 */
#define KEV_ENTRIES 1404
#define KEV_DUE_BEFORE_ADDED 15

static void test_kev_corpus(void **state)
{
    (void)state;
    char *path = ch_test_shared("kev/known_exploited_vulnerabilities.json");
    if (path == NULL)
        return;
    struct ch_buf buf;
    ch_buf_init(&buf, ARENA_MAX);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {.print_rejects = 1};
    struct ch_err err = CH_ERR_INIT;
    int rc = read_file(path, "known_exploited_vulnerabilities.json", &buf, arena, &r, &err);
    print_message("kev: %d delivered, %zu rejected, %zu due before added\n", rc, r.n_rej,
                  r.n_due_before_added);
    assert_int_equal(rc, KEV_ENTRIES);
    assert_int_equal(r.n_rej, 0);
    assert_int_equal(r.n_due_before_added, KEV_DUE_BEFORE_ADDED);
    ch_arena_free(arena);
    ch_buf_release(&buf);
    ch_free(path);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kev_read_catalog), cmocka_unit_test(test_kev_read_malformed),
        cmocka_unit_test(test_kev_read_hostile), cmocka_unit_test(test_kev_read_oom),
        cmocka_unit_test(test_kev_corpus),
    };
    return cmocka_run_group_tests_name("vuln kev", tests, NULL, NULL);
}
