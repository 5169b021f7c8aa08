/* SPDX-License-Identifier: Apache-2.0
 * Scan coordination through the command line: targets, an authorisation, a
 * lease refused for overlap (naming the lease), deconflict exit codes, the
 * batch form answering line for line, tenancy with --as, and an incident
 * exported as a signed package that `incident verify` accepts and, after a
 * one-byte change, rejects. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

struct env {
    char *dir;
    char db[700], keys[700];
    struct ch_buf out, err;
};

static int run(struct env *e, const char *const *args, const char *input)
{
    const char *argv[40];
    size_t n = 0;
    argv[n++] = "--db";
    argv[n++] = e->db;
    argv[n++] = "--keys";
    argv[n++] = e->keys;
    argv[n++] = "--now";
    argv[n++] = "2026-06-01T00:00:00Z";
    for (size_t i = 0; args[i] != NULL && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    ch_buf_reset(&e->out);
    ch_buf_reset(&e->err);
    return ch_test_run_cli(argv, input, &e->out, &e->err);
}

#define RUN(e, input, ...) run((e), (const char *const[]){__VA_ARGS__, NULL}, (input))

static void must(struct env *e, int code, int want)
{
    if (code != want)
        fail_msg("exit %d, want %d; stdout: %s; stderr: %s", code, want, ch_buf_cstr(&e->out),
                 ch_buf_cstr(&e->err));
}

static void test_coord_cli_end_to_end(void **state)
{
    struct env e = {0};
    e.dir = ch_test_tmpdir();
    snprintf(e.db, sizeof(e.db), "sqlite:%s/c.db", e.dir);
    snprintf(e.keys, sizeof(e.keys), "%s/keys", e.dir);
    ch_buf_init(&e.out, 1 << 22);
    ch_buf_init(&e.err, 1 << 22);
    must(&e, RUN(&e, NULL, "init"), 0);
    must(&e, RUN(&e, NULL, "org", "create", "grid", "--name", "Grid", "--category", "fceb"), 0);
    must(&e, RUN(&e, NULL, "org", "create", "acme", "--name", "Acme", "--category", "partner"),
         0);
    must(&e, RUN(&e, NULL, "org", "create", "beta", "--name", "Beta", "--category", "partner"),
         0);
    must(&e, RUN(&e, NULL, "user", "create", "op", "--org", "grid", "--roles", "operator"), 0);
    must(&e, RUN(&e, NULL, "user", "create", "pa", "--org", "acme", "--roles", "partner"), 0);
    must(&e, RUN(&e, NULL, "user", "create", "pb", "--org", "beta", "--roles", "partner"), 0);
    must(&e, RUN(&e, NULL, "target", "add", "net", "--kind", "network", "--scope",
                 "192.0.2.0/24 2001:db8::/48 example.com", "--as", "op"),
         0);
    /* a partner may not add targets */
    must(&e, RUN(&e, NULL, "target", "add", "x", "--kind", "network", "--scope", "10.0.0.0/8",
                 "--as", "pa"),
         3);
    /* no authorisation, no lease: the partner does not even see the network target */
    must(&e, RUN(&e, NULL, "lease", "request", "grid/net", "--end", "2026-06-02", "--sources",
                 "198.51.100.0/24", "--as", "pa"),
         3);
    assert_true(ch_test_contains(ch_buf_cstr(&e.err), "no target 'grid/net'"));
    must(&e, RUN(&e, NULL, "authorize", "grant", "grid/net", "--partner", "acme", "--start",
                 "2026-06-01", "--end", "2026-07-01", "--contact", "soc@grid", "--as", "op"),
         0);
    must(&e, RUN(&e, NULL, "authorize", "grant", "grid/net", "--partner", "beta", "--start",
                 "2026-06-01", "--end", "2026-07-01", "--contact", "soc@grid", "--as", "op"),
         0);
    must(&e, RUN(&e, NULL, "lease", "request", "grid/net", "--end", "2026-06-02", "--sources",
                 "198.51.100.0/24", "--ua", "AcmeScan", "--scope", "192.0.2.0/25", "--as", "pa"),
         0);
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "{\"id\": 1}"));
    /* overlap refused, naming lease 1 */
    must(&e, RUN(&e, NULL, "lease", "request", "grid/net", "--end", "2026-06-01T12:00:00Z",
                 "--sources", "203.0.113.0/24", "--scope", "192.0.2.0/24", "--as", "pb"),
         3);
    assert_true(ch_test_contains(ch_buf_cstr(&e.err), "conflicts with lease 1"));
    /* beta takes the other half */
    must(&e, RUN(&e, NULL, "lease", "request", "grid/net", "--end", "2026-06-01T12:00:00Z",
                 "--sources", "203.0.113.0/24", "--scope", "192.0.2.128/25", "--mode", "shared",
                 "--as", "pb"),
         0);
    /* deconflict: exit 0 authorised, 1 not */
    must(&e, RUN(&e, NULL, "deconflict", "198.51.100.7", "192.0.2.9", "--at",
                 "2026-06-01T06:00:00Z"),
         0);
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "authorised lease=1"));
    must(&e, RUN(&e, NULL, "deconflict", "203.0.113.9", "192.0.2.9", "--json"), 1);
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "\"authorised\": false"));
    /* batch: one answer per line, in order */
    const char *batch = "198.51.100.7 192.0.2.9 2026-06-01T06:00:00Z\n"
                        "# comment\n"
                        "ua:Mozilla/5.0 (AcmeScan)\t192.0.2.10\t2026-06-01T06:00:00Z\n"
                        "203.0.113.9 192.0.2.200 2026-06-01T06:00:00Z\n"
                        "203.0.113.9 192.0.2.200 2026-06-01T13:00:00Z\n"
                        "not-an-address 192.0.2.1\n";
    must(&e, RUN(&e, batch, "deconflict", "--batch"), 1);
    const char *o = ch_buf_cstr(&e.out);
    assert_true(ch_test_contains(o, "198.51.100.7 192.0.2.9 2026-06-01T06:00:00Z authorised "
                                    "lease=1\n"));
    assert_true(ch_test_contains(o, "authorised lease=1 evidence=user-agent-only\n"));
    assert_true(ch_test_contains(o, "192.0.2.200 2026-06-01T06:00:00Z authorised lease=2\n"));
    assert_true(ch_test_contains(o, "192.0.2.200 2026-06-01T13:00:00Z unauthorised\n"));
    assert_true(ch_test_contains(o, "not-an-address 192.0.2.1 2026-06-01T00:00:00Z error "));
    size_t lines = 0;
    for (const char *p = o; *p != '\0'; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 5);
    /* tenancy: beta does not see acme's lease */
    must(&e, RUN(&e, NULL, "lease", "list", "--as", "pb"), 0);
    assert_false(ch_test_contains(ch_buf_cstr(&e.out), "\"holder\": \"acme\""));
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "\"holder\": \"beta\""));
    must(&e, RUN(&e, NULL, "lease", "show", "1", "--as", "pb"), 3);
    must(&e, RUN(&e, NULL, "lease", "list", "--as", "op"), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "\"holder\": \"acme\""));
    /* report, extend, release */
    must(&e, RUN(&e, NULL, "lease", "report", "1", "--scanned", "192.0.2.0/25 tcp", "--tool",
                 "zmap", "--findings", "2", "--as", "pa"),
         0);
    must(&e, RUN(&e, NULL, "lease", "extend", "1", "--end", "2026-06-03", "--as", "pa"), 0);
    must(&e, RUN(&e, NULL, "lease", "release", "2", "--as", "pb"), 0);
    must(&e, RUN(&e, NULL, "targets", "--uncovered", "--days", "7"), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "\"rank_by\": \"exposures\""));
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "\"name\": \"net\""));
    /* an incident from an unauthorised answer, exported and verified */
    char logf[800], pkg[800], pub[800];
    snprintf(logf, sizeof(logf), "%s/fw.log", e.dir);
    snprintf(pkg, sizeof(pkg), "%s/pkg", e.dir);
    snprintf(pub, sizeof(pub), "%s/signing.pub", e.keys);
    const char *line = "DROP SRC=203.0.113.9 DST=192.0.2.200\n";
    ch_test_write_file(logf, line, strlen(line));
    must(&e, RUN(&e, NULL, "incident", "open", "--title", "sweep", "--source", "203.0.113.9",
                 "--target", "192.0.2.200", "--at", "2026-06-01T13:00:00Z", "--log", logf, "--as",
                 "op"),
         0);
    must(&e, RUN(&e, NULL, "incident", "open", "--title", "x", "--source", "198.51.100.7",
                 "--target", "192.0.2.9", "--at", "2026-06-01T06:00:00Z", "--as", "op"),
         3);
    must(&e, RUN(&e, NULL, "incident", "export", "1", "-o", pkg, "--as", "op"), 0);
    must(&e, RUN(&e, NULL, "incident", "verify", pkg, "--key", pub), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "\"ok\": true"));
    char ev[900];
    snprintf(ev, sizeof(ev), "%s/evidence/1.log", pkg);
    const char *bad = "DROP SRC=203.0.113.8 DST=192.0.2.200\n";
    ch_test_write_file(ev, bad, strlen(bad));
    must(&e, RUN(&e, NULL, "incident", "verify", pkg, "--key", pub), 1);
    assert_true(ch_test_contains(ch_buf_cstr(&e.out), "\"ok\": false"));
    /* every change was audited */
    must(&e, RUN(&e, NULL, "audit", "verify"), 0);
    ch_buf_release(&e.out);
    ch_buf_release(&e.err);
    ch_test_rmtree(e.dir);
    ch_free(e.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coord_cli_end_to_end),
    };
    return cmocka_run_group_tests_name("coord_cli", tests, NULL, NULL);
}
