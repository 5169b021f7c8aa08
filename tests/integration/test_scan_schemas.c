/* SPDX-License-Identifier: Apache-2.0
 *
 * `clearinghouse scan` output validated by published tooling: the CycloneDX
 * VEX report against the official CycloneDX 1.5 JSON schema (strict), via
 * the pinned @cyclonedx/cyclonedx-library that `scripts/setup --oracles`
 * installs in tests/schemas. A missing validator fails the test: CI must
 * check what it claims. SARIF and OpenVEX are checked structurally in
 * tests/unit/match.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

static int run_node(const char *script, const char *file, struct ch_buf *out)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        execlp("node", "node", script, file, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char tmp[4096];
    ssize_t n;
    while ((n = read(p[0], tmp, sizeof(tmp))) > 0)
        (void)ch_buf_append(out, tmp, (size_t)n);
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_cyclonedx_vex_validates(void **state)
{
    char *dir = ch_test_tmpdir();
    char db[600], keys[600], out[600];
    snprintf(db, sizeof(db), "sqlite:%s/s.db", dir);
    snprintf(keys, sizeof(keys), "%s/k", dir);
    snprintf(out, sizeof(out), "%s/vex.json", dir);
    char *osv = ch_test_fixture("osv/good");
    char *bom = ch_test_fixture("match/bom.cdx.json");
    char *status = ch_test_fixture("match/status");
    struct ch_buf o, e;
    ch_buf_init(&o, 16 << 20);
    ch_buf_init(&e, 16 << 20);
    const char *imp[] = {"--db", db, "--keys", keys, "import", osv, NULL};
    assert_int_equal(ch_test_run_cli(imp, NULL, &o, &e), 0);
    const char *scan[] = {"--db", db, "--keys", keys, "scan", "--format", "cyclonedx-vex",
                          "--distro", "debian", "--release", "12", bom, status, NULL};
    assert_int_equal(ch_test_run_cli(scan, NULL, &o, &e), 0);
    assert_true(ch_test_contains(ch_buf_cstr(&o), "\"vulnerabilities\""));
    ch_test_write_file(out, ch_buf_cstr(&o), ch_buf_len(&o));
    char *script = NULL;
    const char *src = getenv("CH_SOURCE_DIR");
    assert_non_null(src);
    size_t n = strlen(src) + 64;
    script = ch_malloc(n);
    snprintf(script, n, "%s/tests/schemas/validate-cyclonedx.js", src);
    struct ch_buf v;
    ch_buf_init(&v, 1 << 20);
    int rc = run_node(script, out, &v);
    if (rc != 0)
        fail_msg("CycloneDX validation failed (exit %d; run scripts/setup --oracles):\n%s", rc,
                 ch_buf_cstr(&v));
    assert_true(ch_test_contains(ch_buf_cstr(&v), "valid CycloneDX 1.5"));
    ch_buf_release(&v);
    ch_buf_release(&o);
    ch_buf_release(&e);
    ch_free(script);
    ch_free(osv);
    ch_free(bom);
    ch_free(status);
    ch_test_rmtree(dir);
    ch_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cyclonedx_vex_validates),
    };
    return cmocka_run_group_tests_name("scan schemas", tests, NULL, NULL);
}
