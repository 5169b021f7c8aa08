/* SPDX-License-Identifier: Apache-2.0
 * Tests of the CSAF 2.0 reader: field mapping and per-vulnerability rejects
 * on a fixture of our own, malformed documents, limits, allocation failure,
 * and every document of the shared data set (CISA's 2,383 advisories, Red
 * Hat, LoopBack, the OASIS examples and validator test cases). */
#include "testutil.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/archive.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "vuln/csaf.h"
#include "vuln/detect.h"

#define ARENA_MAX ((size_t)256 << 20)
#define KEEP_MAX 8
#define REJECT_KEEP 8

/* A sink that counts and keeps the first few advisories and rejects. */
struct rec {
    size_t n_adv;
    size_t n_rej;
    size_t n_affected;
    struct ch_advisory adv[KEEP_MAX];
    char rej_where[REJECT_KEEP][128];
    char rej_why[REJECT_KEEP][CH_ERR_MSG_MAX];
    int print_rejects;
    int fail_at; /* advisory callback fails at this count (0: never) */
};

static int on_advisory(void *ctx, const struct ch_advisory *a, struct ch_err *err)
{
    struct rec *r = ctx;
    if (r->n_adv < KEEP_MAX)
        r->adv[r->n_adv] = *a;
    r->n_adv++;
    r->n_affected += a->n_affected;
    if (r->fail_at > 0 && (size_t)r->fail_at == r->n_adv)
        return ch_err_set(err, CH_E_CONFLICT, "sink refuses %s", a->id);
    return CH_OK;
}

static int on_reject(void *ctx, const char *file, const char *location, const char *reason,
                     struct ch_err *err)
{
    (void)err;
    struct rec *r = ctx;
    assert_non_null(file);
    assert_true(location != NULL && location[0] != '\0');
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

static struct ch_vuln_sink sink_of(struct rec *r)
{
    return (struct ch_vuln_sink){.advisory = on_advisory, .reject = on_reject, .ctx = r};
}

static int64_t t(const char *s)
{
    int64_t v = -1;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_time_parse(ch_str_c(s), &v, NULL, &err), CH_OK);
    return v;
}

static int read_fixture(const char *name, struct ch_buf *buf, struct ch_arena *arena, struct rec *r,
                        struct ch_err *err)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "csaf/%s", name);
    char *path = ch_test_fixture(rel);
    ch_test_read_file(path, buf);
    ch_free(path);
    struct ch_vuln_sink sink = sink_of(r);
    return ch_csaf_read(ch_buf_cstr(buf), ch_buf_len(buf), name, arena, &sink, err);
}

static const struct ch_adv_affected *find_affected(const struct ch_advisory *a, const char *status,
                                                   size_t nth)
{
    for (size_t i = 0; i < a->n_affected; i++) {
        if (strcmp(a->affected[i].status, status) == 0 && nth-- == 0)
            return &a->affected[i];
    }
    fail_msg("no affected entry %zu with status %s", nth, status);
    return NULL;
}

static void test_csaf_read_full(void **state)
{
    (void)state;
    struct ch_buf buf;
    ch_buf_init(&buf, ARENA_MAX);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {0};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("full.json", &buf, arena, &r, &err), 2);
    assert_int_equal(r.n_adv, 2);
    const struct ch_advisory *a = &r.adv[0];
    assert_int_equal(a->source, CH_ADV_CSAF);
    assert_string_equal(a->id, "EX-2024-001#CVE-2024-99911");
    assert_int_equal(a->n_aliases, 2);
    assert_string_equal(a->aliases[0], "CVE-2024-99911");
    assert_string_equal(a->aliases[1], "GHSA-abcd-efgh-ijkl");
    assert_string_equal(a->summary, "Stack overflow in the parser");
    assert_string_equal(a->details, "A stack overflow in the parser allows remote code execution.");
    assert_int_equal(a->published, t("2024-02-28T00:00:00Z"));
    assert_int_equal(a->modified, t("2024-04-02T11:30:00Z"));
    assert_int_equal(a->withdrawn, -1);
    assert_int_equal(a->n_affected, 5);
    const struct ch_adv_affected *old = find_affected(a, "known_affected", 0);
    assert_string_equal(old->vendor, "Example Corp");
    assert_string_equal(old->product, "Example Controller");
    assert_int_equal(old->n_versions, 1);
    assert_string_equal(old->versions[0], "<4.1.0");
    assert_null(old->purl);
    const struct ch_adv_affected *rel = find_affected(a, "known_affected", 1);
    assert_string_equal(rel->purl, "pkg:pypi/libexample@1.2.3");
    assert_string_equal(rel->product, "Example Libraries");
    assert_string_equal(rel->versions[0], "1.2.3");
    assert_int_equal(rel->n_cpes, 1); /* the platform's CPE, the component has none */
    assert_string_equal(rel->cpes[0], "cpe:2.3:h:example:controller:4.1.0:*:*:*:*:*:*:*");
    const struct ch_adv_affected *first =
        find_affected(a, "known_affected", 2); /* first_affected */
    assert_string_equal(first->versions[0], "4.1.0");
    assert_string_equal(find_affected(a, "fixed", 0)->versions[0], "4.2.0");
    const struct ch_adv_affected *cloud = find_affected(a, "known_not_affected", 0);
    assert_string_equal(cloud->product, "Example Cloud");
    assert_null(cloud->vendor);
    assert_int_equal(cloud->n_versions, 0);
    assert_int_equal(a->n_severity, 2); /* the repeated v3.1 vector is kept once */
    assert_string_equal(a->severity[0].type, "CVSS_V3");
    assert_string_equal(a->severity[1].type, "CVSS_V4");
    assert_int_equal(a->n_cwes, 1);
    assert_string_equal(a->cwes[0], "CWE-121");
    /* vulnerability reference, vendor_fix URL, the document's self reference */
    assert_int_equal(a->n_references, 3);
    assert_string_equal(a->references[0].type, "WEB");
    assert_string_equal(a->references[1].type, "FIX");
    assert_string_equal(a->references[1].url, "https://example.com/download/4.2.0");
    assert_string_equal(a->references[2].type, "ADVISORY");
    /* the record kept is the document section and this vulnerability, not the product tree */
    assert_true(a->raw.len > 0 && a->raw.len < ch_buf_len(&buf));
    assert_non_null(strstr(a->raw.ptr, "\"vulnerability\""));
    assert_null(strstr(a->raw.ptr, "\"product_tree\""));
    /* second: no CVE, so the 1-based index; texts from the document */
    const struct ch_advisory *b = &r.adv[1];
    assert_string_equal(b->id, "EX-2024-001#2");
    assert_int_equal(b->n_aliases, 0);
    assert_string_equal(b->summary, "Weak default password");
    assert_string_equal(b->details, "Several flaws in Example Controller.");
    assert_int_equal(b->published, t("2024-03-01T10:00:00Z"));
    assert_string_equal(b->affected[0].status, "under_investigation");
    /* the four bad entries, each with its path */
    assert_int_equal(r.n_rej, 4);
    assert_string_equal(r.rej_where[0], "vulnerabilities[2].product_status.known_affected[0]");
    assert_true(ch_test_contains(r.rej_why[0], "'NO-SUCH-PRODUCT' is not defined"));
    assert_string_equal(r.rej_where[1], "vulnerabilities[3]");
    assert_string_equal(r.rej_where[2], "vulnerabilities[4].cve");
    assert_string_equal(r.rej_where[3], "vulnerabilities[5].scores[0].cvss_v3.vectorString");
    ch_arena_free(arena);
    ch_buf_release(&buf);
}

static void test_csaf_read_sink_error_stops(void **state)
{
    (void)state;
    struct ch_buf buf;
    ch_buf_init(&buf, ARENA_MAX);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct rec r = {.fail_at = 1};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(read_fixture("full.json", &buf, arena, &r, &err), CH_E_CONFLICT);
    assert_int_equal(r.n_adv, 1);
    assert_int_equal(r.n_rej, 0);
    assert_true(ch_test_contains(err.msg, "sink refuses"));
    ch_arena_free(arena);
    ch_buf_release(&buf);
}

static void test_csaf_read_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int rc;
        const char *where;
    } cases[] = {
        {"no-tracking-id.json", CH_E_INVALID, "document.tracking.id': missing"},
        {"tracking-id-number.json", CH_E_INVALID, "document.tracking.id': expected a string"},
        {"vulns-not-array.json", CH_E_INVALID, "'vulnerabilities': expected an array"},
        {"bad-branch.json", CH_E_INVALID, "product_tree.branches[0].branches[0].category"},
        {"dup-key.json", CH_E_INVALID, "duplicate key 'document.tracking.id'"},
        {"bad-utf8.json", CH_E_INVALID, "bad-utf8.json:2:"},
        {"not-csaf.json", CH_E_INVALID, "'document': missing"},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_buf buf;
        ch_buf_init(&buf, ARENA_MAX);
        struct ch_arena *arena = ch_arena_new(ARENA_MAX);
        struct rec r = {0};
        struct ch_err err = CH_ERR_INIT;
        int rc = read_fixture(cases[i].file, &buf, arena, &r, &err);
        if (rc != cases[i].rc || !ch_test_contains(err.msg, cases[i].where))
            fail_msg("%s: rc %d, message '%s'", cases[i].file, rc, err.msg);
        assert_int_equal(r.n_adv, 0);
        ch_arena_free(arena);
        ch_buf_release(&buf);
    }
}

static const char doc_head[] =
    "{\"document\":{\"csaf_version\":\"2.0\",\"tracking\":{\"id\":\"G-1\","
    "\"current_release_date\":\"2024-01-01T00:00:00Z\"}},";

static int read_generated(struct ch_buf *doc, struct rec *r, struct ch_err *err)
{
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct ch_vuln_sink sink = sink_of(r);
    int rc = ch_csaf_read(ch_buf_cstr(doc), ch_buf_len(doc), "gen", arena, &sink, err);
    ch_arena_free(arena);
    return rc;
}

static void test_csaf_read_limits(void **state)
{
    (void)state;
    struct ch_buf doc;
    ch_buf_init(&doc, (size_t)64 << 20);
    struct ch_err err = CH_ERR_INIT;
    struct rec r = {0};
    /* branches nested 40 deep */
    ch_buf_append_c(&doc, doc_head);
    ch_buf_append_c(&doc, "\"product_tree\":{\"branches\":");
    for (int i = 0; i < 40; i++)
        ch_buf_append_c(&doc, "[{\"category\":\"vendor\",\"name\":\"v\",\"branches\":");
    ch_buf_append_c(&doc, "[]");
    for (int i = 0; i < 40; i++)
        ch_buf_append_c(&doc, "}]");
    ch_buf_append_c(&doc, "}}");
    assert_int_equal(read_generated(&doc, &r, &err), CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "deeper"));
    /* 2,000 bad vulnerabilities: 1,000 rejects, then the document is given up */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    r = (struct rec){0};
    ch_buf_append_c(&doc, doc_head);
    ch_buf_append_c(&doc, "\"vulnerabilities\":[");
    for (int i = 0; i < 2000; i++)
        ch_buf_append_c(&doc, i == 0 ? "1" : ",1");
    ch_buf_append_c(&doc, "]}");
    assert_int_equal(read_generated(&doc, &r, &err), CH_E_LIMIT);
    assert_int_equal(r.n_rej, 1000);
    assert_true(ch_test_contains(err.msg, "bad vulnerabilities"));
    /* a 5 MiB note */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    ch_buf_append_c(&doc, doc_head);
    ch_buf_append_c(&doc, "\"vulnerabilities\":[{\"notes\":[{\"category\":\"summary\",\"text\":\"");
    for (int i = 0; i < (5 << 20) / 32; i++)
        ch_buf_append_c(&doc, "0123456789abcdef0123456789abcdef");
    ch_buf_append_c(&doc, "\"}]}]}");
    assert_int_equal(read_generated(&doc, &r, &err), CH_E_LIMIT);
    assert_true(ch_test_contains(err.msg, "string longer than"));
    /* a release date before 1970 would collide with -1, "absent" (found by fuzz_csaf) */
    ch_buf_reset(&doc);
    ch_err_clear(&err);
    ch_buf_append_c(&doc, "{\"document\":{\"csaf_version\":\"2.0\",\"tracking\":{\"id\":\"G-2\","
                          "\"current_release_date\":\"1012-04-02T11:30:00Z\"}}}");
    assert_int_equal(read_generated(&doc, &r, &err), CH_E_INVALID);
    assert_true(ch_test_contains(err.msg, "document.tracking.current_release_date"));
    assert_true(ch_test_contains(err.msg, "before 1970"));
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
    struct ch_vuln_sink sink = sink_of(&r);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_csaf_read(ch_buf_cstr(&oom_doc), ch_buf_len(&oom_doc), "oom", arena, &sink, &err);
    if (rc < 0 && err.msg[0] == '\0')
        rc = CH_E_INTERNAL;
    if (rc >= 0 && (rc != 2 || r.n_rej != 4))
        rc = CH_E_INTERNAL; /* a failed allocation must not turn into a reject */
    ch_arena_free(arena);
    return rc < 0 ? rc : CH_OK;
}

static void test_csaf_read_oom(void **state)
{
    (void)state;
    char *path = ch_test_fixture("csaf/full.json");
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

/* ---- the shared data set ---- */

struct tally {
    size_t docs;
    size_t failed;
    size_t skipped;
    struct rec r;
};

static void read_one(const char *name, const struct ch_buf *buf, struct ch_arena *arena,
                     struct tally *t, int expect_ok)
{
    if (ch_feed_detect(name, ch_buf_cstr(buf), ch_buf_len(buf)) != CH_FEED_CSAF) {
        t->skipped++;
        return;
    }
    struct ch_vuln_sink sink = sink_of(&t->r);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_csaf_read(ch_buf_cstr(buf), ch_buf_len(buf), name, arena, &sink, &err);
    if (rc < 0) {
        t->failed++;
        assert_true(err.msg[0] != '\0');
        if (expect_ok)
            print_message("failed %s: %s\n", name, err.msg);
    } else {
        t->docs++;
    }
    ch_arena_reset(arena);
}

static void read_dir(const char *dir, struct ch_arena *arena, struct tally *t, int expect_ok)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            read_dir(path, arena, t, expect_ok);
            continue;
        }
        if (!ch_str_ends_with(ch_str_c(e->d_name), ".json"))
            continue;
        struct ch_buf buf;
        ch_buf_init(&buf, (size_t)64 << 20);
        ch_test_read_file(path, &buf);
        read_one(e->d_name, &buf, arena, t, expect_ok);
        ch_buf_release(&buf);
    }
    closedir(d);
}

/*
 * CISA's CSAF repository snapshot: 2,385 JSON files, of which 2 are ROLIE
 * feeds (not CSAF, skipped by detection) and 2,383 CSAF documents holding
 * 7,916 vulnerabilities (counted with a JSON tool). All are valid.
 */
#define CISA_DOCS 2383
#define CISA_VULNS 7916

static void test_csaf_corpus_cisa(void **state)
{
    (void)state;
    char *path = ch_test_shared("csaf/cisa-csaf-advisories.zip");
    if (path == NULL)
        return;
    struct ch_archive *ar = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_archive_open(path, NULL, 0, &ar, &err), CH_OK);
    struct ch_buf buf;
    ch_buf_init(&buf, (size_t)64 << 20);
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct tally t = {.r.print_rejects = 1};
    const char *name = NULL;
    int rc;
    int64_t t0 = ch_clock_mono_ns();
    while ((rc = ch_archive_next(ar, &name, &err)) == 1) {
        assert_int_equal(ch_archive_read(ar, &buf, &err), CH_OK);
        read_one(name, &buf, arena, &t, 1);
    }
    double secs = (double)(ch_clock_mono_ns() - t0) / 1e9;
    assert_int_equal(rc, 0);
    print_message("csaf cisa: %zu documents, %zu failed, %zu not CSAF; %zu advisories, "
                  "%zu rejected, %zu affected entries; %.2f s\n",
                  t.docs, t.failed, t.skipped, t.r.n_adv, t.r.n_rej, t.r.n_affected, secs);
    assert_int_equal(t.failed, 0);
    assert_int_equal(t.skipped, 2);
    assert_int_equal(t.docs, CISA_DOCS);
    assert_int_equal(t.r.n_rej, 0);
    assert_int_equal(t.r.n_adv, CISA_VULNS);
    ch_arena_free(arena);
    ch_buf_release(&buf);
    ch_archive_free(ar);
    ch_free(path);
}

/* Red Hat (5 documents, 5 vulnerabilities), LoopBack (1), OASIS examples (19 CSAF documents). */
static void test_csaf_corpus_small(void **state)
{
    (void)state;
    static const struct {
        const char *dir;
        size_t docs;
        size_t vulns;
    } sets[] = {
        {"csaf/redhat-from-osv-schema", 5, 5},
        {"csaf/loopback", 1, 1},
        {"csaf/oasis-csaf/csaf_2.0/examples", 19, 59},
    };
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    for (size_t i = 0; i < CH_ARRAY_SIZE(sets); i++) {
        char *dir = ch_test_shared(sets[i].dir);
        if (dir == NULL)
            continue;
        struct tally t = {.r.print_rejects = 1};
        read_dir(dir, arena, &t, 1);
        print_message("%s: %zu documents, %zu failed, %zu advisories, %zu rejected, "
                      "%zu affected entries\n",
                      sets[i].dir, t.docs, t.failed, t.r.n_adv, t.r.n_rej, t.r.n_affected);
        assert_int_equal(t.failed, 0);
        assert_int_equal(t.docs, sets[i].docs);
        assert_int_equal(t.r.n_adv, sets[i].vulns);
        assert_int_equal(t.r.n_rej, 0);
        ch_free(dir);
    }
    ch_arena_free(arena);
}

/* The OASIS validator cases include deliberately invalid documents: no crash, every failure
 * explained. */
static void test_csaf_corpus_oasis_testcases(void **state)
{
    (void)state;
    char *dir = ch_test_shared("csaf/oasis-csaf/csaf_2.0/test");
    if (dir == NULL)
        return;
    struct ch_arena *arena = ch_arena_new(ARENA_MAX);
    struct tally t = {0};
    read_dir(dir, arena, &t, 0);
    print_message("oasis test cases: %zu read, %zu failed, %zu not CSAF; %zu advisories, "
                  "%zu rejected\n",
                  t.docs, t.failed, t.skipped, t.r.n_adv, t.r.n_rej);
    assert_true(t.docs > 100);
    ch_arena_free(arena);
    ch_free(dir);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csaf_read_full),
        cmocka_unit_test(test_csaf_read_sink_error_stops),
        cmocka_unit_test(test_csaf_read_malformed),
        cmocka_unit_test(test_csaf_read_limits),
        cmocka_unit_test(test_csaf_read_oom),
        cmocka_unit_test(test_csaf_corpus_cisa),
        cmocka_unit_test(test_csaf_corpus_small),
        cmocka_unit_test(test_csaf_corpus_oasis_testcases),
    };
    return cmocka_run_group_tests_name("vuln csaf", tests, NULL, NULL);
}
