/* SPDX-License-Identifier: Apache-2.0
 *
 * taxii_bench: objects served per second by the TAXII objects endpoint over
 * a collection of 100,000 vulnerabilities (bench/README.md).
 *
 * Builds a throwaway SQLite database (or uses --db URL, e.g. PostgreSQL)
 * with N vulnerabilities (one CVE record and one alias each) imported in 10
 * batches, syncs the index after each batch (timed: rendering + indexing),
 * then pages through the collection the way a TAXII client does, calling
 * the real handler (ch_h_taxii_objects) on a struct ch_http_call:
 *   1. after each batch, an incremental poll with added_after = the last
 *      X-TAXII-Date-Added-Last seen, following `next` (must return exactly
 *      that batch);
 *   2. a full read with limit=L, then with the server's maximum limit.
 * Reports objects per second and bytes of JSON per second for each.
 *
 *   taxii_bench [--count N] [--limit L] [--db URL]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/num.h"
#include "http/h_taxii.h"
#include "share/collection.h"
#include "share/stix.h"
#include "store/store.h"

#define BATCHES 10
#define T0 INT64_C(1767225600)

static void die(const char *what, const struct ch_err *err)
{
    fprintf(stderr, "taxii_bench: %s: %s\n", what, err != NULL ? err->msg : "");
    exit(1);
}

static void load(struct ch_store *s, int from, int to, int64_t imported)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_store_begin_write(s, &err) != CH_OK)
        die("begin", &err);
    for (int i = from; i < to; i++) {
        char cve[32], ghsa[32];
        snprintf(cve, sizeof(cve), "CVE-2025-%06d", i);
        snprintf(ghsa, sizeof(ghsa), "GHSA-%04x-%04x-bench", i & 0xffff, (unsigned)i >> 16);
        struct ch_stmt *st = NULL;
        if (ch_store_stmt(s,
                          "INSERT INTO vulns (display_id, created_at) VALUES (?, ?) RETURNING id",
                          &st, &err) != CH_OK)
            die("insert", &err);
        ch_stmt_bind_cstr(st, 1, cve);
        ch_stmt_bind_int(st, 2, imported);
        if (ch_stmt_step(st, &err) != 1)
            die("insert vuln", &err);
        int64_t vid = ch_stmt_int(st, 0);
        ch_stmt_reset(st);
        const char *keys[] = {cve, ghsa};
        for (int k = 0; k < 2; k++) {
            if (ch_store_stmt(s, "INSERT INTO vuln_keys (key, vuln_id) VALUES (?, ?)", &st, &err) !=
                CH_OK)
                die("insert", &err);
            ch_stmt_bind_cstr(st, 1, keys[k]);
            ch_stmt_bind_int(st, 2, vid);
            if (ch_stmt_run(st, &err) != CH_OK)
                die("insert key", &err);
        }
        if (ch_store_stmt(s,
                          "INSERT INTO advisories (source, source_id, vuln_id, summary, published,"
                          " modified, severity, cvss_score, content_hash, record, imported_at)"
                          " VALUES ('cve5', ?, ?, 'Buffer overflow in the parser of a widely"
                          " used library allows remote code execution', ?, ?, 'high', 8.1, 'h',"
                          " '{}', ?)",
                          &st, &err) != CH_OK)
            die("insert", &err);
        ch_stmt_bind_cstr(st, 1, cve);
        ch_stmt_bind_int(st, 2, vid);
        ch_stmt_bind_int(st, 3, imported - 86400);
        ch_stmt_bind_int(st, 4, imported - 3600);
        ch_stmt_bind_int(st, 5, imported);
        if (ch_stmt_run(st, &err) != CH_OK)
            die("insert advisory", &err);
    }
    if (ch_store_commit(s, &err) != CH_OK)
        die("commit", &err);
}

struct page {
    size_t objects;
    size_t bytes;
    bool more;
    char next[CH_SHARE_NEXT_MAX];
    char last[CH_STIX_TIME_MAX];
};

static void get_page(struct ch_store *s, const char *query, struct page *p)
{
    static const struct ch_principal who = {
        .user_id = 1, .org_id = 1, .clearance = CH_CLEAR_UNCLASSIFIED};
    struct ch_app app = {.clock = CH_CLOCK_FIXED(T0 + 100000), .version = "bench"};
    struct ch_http_call call = {.app = &app, .store = s, .principal = who, .authenticated = true};
    call.arena = ch_arena_new(CH_HTTP_ARENA_MAX);
    ch_buf_init(&call.res.body, CH_HTTP_MAX_RESPONSE);
    call.req.method = CH_HTTP_GET;
    call.req.query = ch_str_c(query);
    call.req.params[0] = ch_str_c("vulnerabilities");
    call.req.n_params = 1;
    if (ch_h_taxii_objects(&call) != CH_OK || call.res.status != 200)
        die("objects", &call.err);
    p->bytes += ch_buf_len(&call.res.body);
    /* count objects without a full parse: every object starts with {"type": */
    const char *b = ch_buf_cstr(&call.res.body);
    size_t n = 0;
    for (const char *q = strstr(b, "{\"type\":"); q != NULL; q = strstr(q + 1, "{\"type\":"))
        n++;
    p->objects += n;
    p->more = strstr(b, "\"more\":true") != NULL;
    p->next[0] = '\0';
    const char *nx = strstr(b, "\"next\":\"");
    if (nx != NULL) {
        nx += 8;
        size_t len = strcspn(nx, "\"");
        if (len < sizeof(p->next)) {
            memcpy(p->next, nx, len);
            p->next[len] = '\0';
        }
    }
    for (unsigned i = 0; i < call.res.n_headers; i++) {
        if (strcmp(call.res.headers[i].name, "x-taxii-date-added-last") == 0)
            snprintf(p->last, sizeof(p->last), "%s", call.res.headers[i].value);
    }
    ch_buf_release(&call.res.body);
    ch_arena_free(call.arena);
}

/* Follows `next` from a first query; returns totals. */
static struct page read_all(struct ch_store *s, const char *first_query, unsigned limit)
{
    struct page total = {0}, p = {0};
    char q[256];
    snprintf(q, sizeof(q), "%s%slimit=%u", first_query, first_query[0] ? "&" : "", limit);
    for (;;) {
        struct page one = {0};
        get_page(s, q, &one);
        total.objects += one.objects;
        total.bytes += one.bytes;
        if (one.last[0] != '\0')
            memcpy(total.last, one.last, sizeof(total.last));
        p = one;
        if (!p.more)
            break;
        snprintf(q, sizeof(q), "%s%slimit=%u&next=%s", first_query, first_query[0] ? "&" : "",
                 limit, p.next);
    }
    return total;
}

int main(int argc, char **argv)
{
    uint64_t count = 100000, limit = 1000;
    const char *url = NULL;
    struct ch_err err = CH_ERR_INIT;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--count") == 0)
            CH_IGNORE(ch_num_parse_u64(ch_str_c(argv[i + 1]), 10000000, &count, &err));
        else if (strcmp(argv[i], "--limit") == 0)
            CH_IGNORE(ch_num_parse_u64(ch_str_c(argv[i + 1]), CH_SHARE_MAX_LIMIT, &limit, &err));
        else if (strcmp(argv[i], "--db") == 0)
            url = argv[i + 1];
    }
    ch_json_global_init();
    ch_h_taxii_set_sync_interval(-1);
    char dir[] = "/tmp/taxii-bench.XXXXXX";
    char dburl[128];
    if (url == NULL) {
        if (mkdtemp(dir) == NULL)
            die("mkdtemp", NULL);
        snprintf(dburl, sizeof(dburl), "sqlite:%s/bench.db", dir);
        url = dburl;
    }
    struct ch_store *s = NULL;
    if (ch_store_open(url, NULL, &s, &err) != CH_OK)
        die("open", &err);
    int per = (int)(count / BATCHES);
    double sync_s = 0, load_s = 0, poll_s = 0;
    size_t polled = 0;
    bool exact = true;
    char after[CH_STIX_TIME_MAX] = "";
    /* a consumer polls after each batch with added_after = the last date_added it saw */
    for (int b = 0; b < BATCHES; b++) {
        int64_t t = ch_clock_mono_ns();
        load(s, b * per, (b + 1) * per, T0 + b * 1000);
        load_s += (double)(ch_clock_mono_ns() - t) / 1e9;
        t = ch_clock_mono_ns();
        struct ch_share_sync_stats st;
        if (ch_share_sync_builtin(s, T0 + b * 1000 + 500, false, &st, &err) != CH_OK)
            die("sync", &err);
        sync_s += (double)(ch_clock_mono_ns() - t) / 1e9;
        char q[128];
        snprintf(q, sizeof(q), "match[type]=vulnerability%s%s", after[0] ? "&added_after=" : "",
                 after);
        t = ch_clock_mono_ns();
        struct page p = read_all(s, q, (unsigned)limit);
        poll_s += (double)(ch_clock_mono_ns() - t) / 1e9;
        polled += p.objects;
        exact = exact && p.objects == (size_t)per;
        memcpy(after, p.last, sizeof(after));
    }
    printf("backend %s, %d vulnerabilities in %d batches; load %.2f s; index sync %.2f s "
           "(%.0f vulnerabilities/s rendered and indexed)\n",
           ch_store_backend_name(s), per * BATCHES, BATCHES, load_s, sync_s,
           (double)(per * BATCHES) / sync_s);
    printf("added_after polling after each batch, limit=%u with next: %zu objects in %.2f s = "
           "%.0f objects/s (each poll returned exactly its batch: %s)\n",
           (unsigned)limit, polled, poll_s, (double)polled / poll_s, exact ? "yes" : "NO");
    int64_t t = ch_clock_mono_ns();
    struct page all = read_all(s, "match[type]=vulnerability", (unsigned)limit);
    double secs = (double)(ch_clock_mono_ns() - t) / 1e9;
    printf("full read, limit=%u with next: %zu objects in %.2f s = %.0f objects/s, %.1f MB/s\n",
           (unsigned)limit, all.objects, secs, (double)all.objects / secs,
           (double)all.bytes / secs / 1e6);
    t = ch_clock_mono_ns();
    struct page big = read_all(s, "match[type]=vulnerability", CH_SHARE_MAX_LIMIT);
    secs = (double)(ch_clock_mono_ns() - t) / 1e9;
    printf("full read, limit=%u with next: %zu objects in %.2f s = %.0f objects/s\n",
           CH_SHARE_MAX_LIMIT, big.objects, secs, (double)big.objects / secs);
    ch_store_free(s);
    if (url == dburl) {
        char path[200];
        snprintf(path, sizeof(path), "%s/bench.db", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/bench.db-wal", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/bench.db-shm", dir);
        unlink(path);
        rmdir(dir);
    }
    return exact && polled == all.objects ? 0 : 1;
}
