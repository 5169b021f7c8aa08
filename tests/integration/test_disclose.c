/* SPDX-License-Identifier: Apache-2.0
 *
 * The disclosure commands end to end through the clearinghouse binary (on
 * SQLite, and PostgreSQL as test_integration_disclose_pg): a partner submits
 * a heap overflow with its PoC directory and recipe, an analyst validates it
 * in the sandbox, another partner cannot see it, a case runs to fix
 * verification against the patched build and publication, the provider feed
 * serves the document, the published CSAF and OSV files pass the standard
 * validators, and the audit chain verifies.
 */
#include "testutil.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "validate/sandbox.h"

extern char **environ;

static char *dir;
static char *url;
static struct ch_buf out;
static struct ch_buf errout;

/* Runs `clearinghouse --db URL --now NOW args...`; returns the exit code. */
static int cli(const char *const *args)
{
    const char *argv[48];
    size_t n = 0;
    argv[n++] = "--db";
    argv[n++] = url;
    argv[n++] = "--now";
    argv[n++] = "2026-03-02T09:00:00Z";
    for (size_t i = 0; args[i] != NULL && n < 47; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return ch_test_run_cli(argv, NULL, &out, &errout);
}

static void ok(const char *const *args)
{
    int code = cli(args);
    if (code != 0)
        fail_msg("clearinghouse %s %s: exit %d\n%s%s", args[0], args[1] != NULL ? args[1] : "",
                 code, ch_buf_cstr(&out), ch_buf_cstr(&errout));
}

static char *path(const char *rel)
{
    struct ch_buf b;
    ch_buf_init(&b, 4096);
    ch_buf_appendf(&b, "%s/%s", dir, rel);
    return ch_buf_take(&b, NULL);
}

static void copy_fixture(const char *rel, const char *to)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    char *src = ch_test_fixture(rel);
    ch_test_read_file(src, &b);
    char *dst = path(to);
    ch_test_write_file(dst, ch_buf_cstr(&b), ch_buf_len(&b));
    ch_free(src);
    ch_free(dst);
    ch_buf_release(&b);
}

/* node tests/csaf-validator/validate.mjs KIND ARGS...; a missing validator fails loudly. */
static int validator(const char *kind, const char *a, const char *b, struct ch_buf *res)
{
    const char *src = getenv("CH_SOURCE_DIR");
    assert_non_null(src);
    char script[1024];
    char lib[1024];
    snprintf(script, sizeof(script), "%s/tests/csaf-validator/validate.mjs", src);
    snprintf(lib, sizeof(lib),
             "%s/tests/csaf-validator/node_modules/@secvisogram/csaf-validator-lib/package.json",
             src);
    if (access(lib, R_OK) != 0)
        fail_msg("the CSAF validator is not installed: run scripts/setup --oracles");
    const char *argv[] = {"node", script, kind, a, b, NULL};
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, "node", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0)
        fail_msg("cannot run node: %s (run scripts/setup --oracles)", strerror(rc));
    ch_buf_reset(res);
    char chunk[4096];
    ssize_t got;
    while ((got = read(p[0], chunk, sizeof(chunk))) > 0)
        ch_buf_append(res, chunk, (size_t)got);
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2)
        fail_msg("the validator could not run: %s", ch_buf_cstr(res));
    return WEXITSTATUS(status);
}

static void test_disclosure_commands(void **state)
{
    (void)state;
    ok((const char *[]){"org", "create", "acme-ai", "--name", "Acme AI", "--category", "partner",
                        NULL});
    ok((const char *[]){"org", "create", "rival-ai", "--name", "Rival", "--category", "partner",
                        NULL});
    ok((const char *[]){"org", "create", "libco", "--name", "Lib Co", "--category", "partner",
                        NULL});
    ok((const char *[]){"user", "create", "alice", "--org", "acme-ai", "--roles", "partner", NULL});
    ok((const char *[]){"user", "create", "bob", "--org", "rival-ai", "--roles", "partner", NULL});
    char *poc = path("poc");
    char *fix = path("fix");
    assert_int_equal(mkdir(poc, 0755), 0);
    assert_int_equal(mkdir(fix, 0755), 0);
    copy_fixture("disclose/target/target.c", "poc/target.c");
    copy_fixture("disclose/pocs/heap-overflow.txt", "poc/poc.txt");
    copy_fixture("disclose/target-fixed/target.c", "fix/target.c");
    char *recipe = ch_test_fixture("disclose/recipe.json");

    ok((const char *[]){"finding",     "submit",   "--as",
                        "alice",       "--target", "pkg:generic/recparse@1.0.0",
                        "--component", "recparse", "--ecosystem",
                        "OSS-Fuzz",    "--vendor", "Lib Co",
                        "--version",   "1.0.0",    "--introduced",
                        "1.0.0",       "--title",  "Heap overflow in parse_name",
                        "--cwe",       "CWE-122",  "--poc",
                        poc,           "--recipe", recipe,
                        "--json",      NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"id\": 1"));
    /* a partner may not validate; another partner does not see the finding */
    assert_int_equal(cli((const char *[]){"finding", "validate", "1", "--as", "alice", NULL}), 3);
    assert_int_equal(cli((const char *[]){"finding", "show", "1", "--as", "bob", NULL}), 3);
    ok((const char *[]){"finding", "list", "--as", "bob", "--json", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "[]"));

    ok((const char *[]){"finding", "validate", "1", "--json", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"outcome\": \"reproduced\""));
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"crash_class\": \"heap-buffer-overflow\""));
    ok((const char *[]){"finding", "show", "1", "--as", "alice", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "state           reproduced"));
    ok((const char *[]){"finding", "show", "1", "--log", "1", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "AddressSanitizer"));

    ok((const char *[]){"case", "open", "1", "--vendor", "libco", "--json", NULL});
    ok((const char *[]){"case", "transition", "1", "validated", NULL});
    assert_int_equal(cli((const char *[]){"case", "transition", "1", "published", NULL}), 3);
    ok((const char *[]){"case", "transition", "1", "triaged", NULL});
    ok((const char *[]){"case", "transition", "1", "vendor_notified", "--note", "mailed", NULL});
    ok((const char *[]){"case", "verify-fix", "1", "--version", "1.0.1", "--files", fix, "--json",
                        NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"fixed\": true"));
    ok((const char *[]){"case", "publish", "1", "--base-url", "https://ch.example.gov", "--out-dir",
                        dir, "--json", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"advisory_id\": \"CH-2026-0001\""));
    ok((const char *[]){"case", "show", "1", "--json", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"state\": \"published\""));
    ok((const char *[]){"case", "list", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "CH-2026-0001"));

    ok((const char *[]){"case", "feed", "--rolie", "--base-url", "https://ch.example.gov", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "white/2026/ch-2026-0001.json"));
    ok((const char *[]){"case", "feed", "--metadata", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"role\": \"csaf_provider\""));
    ok((const char *[]){"case", "feed", "--csaf", "white/2026/ch-2026-0001.json", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"csaf_version\": \"2.0\""));
    ok((const char *[]){"case", "published", NULL});
    assert_true(ch_test_contains(ch_buf_cstr(&out), "\"vuln_key\": \"CH-2026-0001\""));
    ok((const char *[]){"vuln", "show", "CH-2026-0001", NULL});

    struct ch_buf res;
    ch_buf_init(&res, 1 << 20);
    char *csaf = path("CH-2026-0001.csaf.json");
    char *osv = path("x_CH-2026-0001.osv.json");
    if (validator("csaf", csaf, NULL, &res) != 0)
        fail_msg("CSAF validation failed:\n%s", ch_buf_cstr(&res));
    char *schema = ch_test_shared("osv/schema/validation/schema.json");
    if (schema != NULL) {
        if (validator("osv", schema, osv, &res) != 0)
            fail_msg("OSV schema validation failed:\n%s", ch_buf_cstr(&res));
        ch_free(schema);
    }
    ok((const char *[]){"audit", "verify", NULL});
    ch_buf_release(&res);
    ch_free(csaf);
    ch_free(osv);
    ch_free(recipe);
    ch_free(poc);
    ch_free(fix);
}

static int setup(void **state)
{
    (void)state;
    url = ch_test_store_url(&dir);
    assert_int_equal(chmod(dir, 0755), 0);
    ch_buf_init(&out, 1 << 24);
    ch_buf_init(&errout, 1 << 24);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ch_buf_release(&out);
    ch_buf_release(&errout);
    ch_test_rmtree(dir);
    ch_free(dir);
    ch_free(url);
    return 0;
}

int main(void)
{
    struct ch_err err = CH_ERR_INIT;
    if (ch_sandbox_probe(NULL, &err) == CH_E_UNAVAILABLE) {
        fprintf(stderr, "skipped: no sandbox here: %s\n", err.msg);
        return CH_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disclosure_commands),
    };
    return cmocka_run_group_tests_name("integration/disclose", tests, setup, teardown);
}
