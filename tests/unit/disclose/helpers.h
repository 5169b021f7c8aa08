/* SPDX-License-Identifier: Apache-2.0
 *
 * helpers.h: shared by the disclosure tests (header-only, so each test file
 * stays one auto-registered executable): the vulnerable target of
 * tests/fixtures/disclose as PoC files, recipes that build it with
 * sanitizers inside the sandbox, and skipping (exit 77) when bubblewrap
 * cannot create namespaces here.
 */
#ifndef CH_TESTS_DISCLOSE_HELPERS_H
#define CH_TESTS_DISCLOSE_HELPERS_H

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
#include "validate/repro.h"
#include "validate/sandbox.h"

/* Exits 77 (skipped) when no sandbox can be created here; any other failure fails. */
static inline void dt_require_sandbox(void)
{
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_sandbox_probe(NULL, &err);
    if (rc == CH_E_UNAVAILABLE) {
        fprintf(stderr, "skipped: bubblewrap cannot create a sandbox here: %s\n", err.msg);
        exit(CH_TEST_SKIP);
    }
    if (rc != CH_OK) {
        fprintf(stderr, "sandbox probe failed: %s\n", err.msg);
        exit(1);
    }
}

/* A recipe building target.c with ASan+UBSan and feeding poc.txt on stdin. */
static inline char *dt_recipe(const char *expect_json, int run_seconds)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 16);
    ch_buf_appendf(&b,
                   "{\"build\": [[\"gcc\", \"-g\", \"-O0\", \"-fno-omit-frame-pointer\","
                   " \"-fsanitize=address,undefined\", \"-fno-sanitize-recover=all\","
                   " \"-o\", \"target\", \"target.c\"]],"
                   " \"run\": [\"./target\"], \"stdin\": \"poc.txt\","
                   " \"expect\": %s, \"timeout_seconds\": {\"build\": 120, \"run\": %d}}",
                   expect_json, run_seconds);
    char *s = ch_buf_take(&b, NULL);
    assert_non_null(s);
    return s;
}

/* The PoC of a submission: the target's source and one input, owned by the struct. */
struct dt_poc {
    struct ch_buf src;
    struct ch_buf input;
    struct ch_repro_file files[2];
};

/* Loads fixtures target_dir/target.c ("target" or "target-fixed") and pocs/<poc>.txt. */
static inline void dt_poc_load(struct dt_poc *p, const char *target_dir, const char *poc)
{
    char rel[256];
    ch_buf_init(&p->src, 1 << 20);
    ch_buf_init(&p->input, 1 << 20);
    snprintf(rel, sizeof(rel), "disclose/%s/target.c", target_dir);
    char *path = ch_test_fixture(rel);
    ch_test_read_file(path, &p->src);
    ch_free(path);
    snprintf(rel, sizeof(rel), "disclose/pocs/%s.txt", poc);
    path = ch_test_fixture(rel);
    ch_test_read_file(path, &p->input);
    ch_free(path);
    p->files[0] = (struct ch_repro_file){.path = "target.c",
                                         .data = (const unsigned char *)ch_buf_cstr(&p->src),
                                         .len = ch_buf_len(&p->src)};
    p->files[1] = (struct ch_repro_file){.path = "poc.txt",
                                         .data = (const unsigned char *)ch_buf_cstr(&p->input),
                                         .len = ch_buf_len(&p->input)};
}

static inline void dt_poc_release(struct dt_poc *p)
{
    ch_buf_release(&p->src);
    ch_buf_release(&p->input);
}

/* A temporary directory the sandbox's unprivileged user can reach. */
static inline char *dt_workroot(void)
{
    char *d = ch_test_tmpdir();
    assert_int_equal(chmod(d, 0755), 0);
    return d;
}

extern char **environ;

/*
 * Runs tests/csaf-validator/validate.mjs with node: `kind` is "csaf" or
 * "osv"; args are the files (and, for osv, the schema first). A missing
 * node or validator fails the test loudly: CI installs them with
 * scripts/setup --oracles. Returns the validator's exit code; its output
 * (one line per problem) goes to *out.
 */
static inline int dt_validate(const char *kind, const char *const *args, struct ch_buf *out)
{
    const char *src = getenv("CH_SOURCE_DIR");
    if (src == NULL)
        fail_msg("CH_SOURCE_DIR is not set (run the test through ctest)");
    char script[1024];
    char lib[1024];
    snprintf(script, sizeof(script), "%s/tests/csaf-validator/validate.mjs", src);
    snprintf(lib, sizeof(lib),
             "%s/tests/csaf-validator/node_modules/@secvisogram/csaf-validator-lib/package.json",
             src);
    if (access(lib, R_OK) != 0)
        fail_msg("the CSAF validator is not installed (%s): run scripts/setup --oracles "
                 "(tests/csaf-validator/setup)",
                 lib);
    const char *argv[16];
    size_t n = 0;
    argv[n++] = "node";
    argv[n++] = script;
    argv[n++] = kind;
    for (size_t i = 0; args[i] != NULL && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
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
        fail_msg("cannot run node (%s): run scripts/setup --oracles", strerror(rc));
    ch_buf_reset(out);
    char chunk[4096];
    ssize_t got;
    while ((got = read(p[0], chunk, sizeof(chunk))) > 0)
        ch_buf_append(out, chunk, (size_t)got);
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("node died: %s", ch_buf_cstr(out));
    int code = WEXITSTATUS(status);
    if (code == 2)
        fail_msg("the validator could not run: %s", ch_buf_cstr(out));
    return code;
}

/* Writes data to dir/name and returns the owned path. */
static inline char *dt_write(const char *dir, const char *name, const char *data, size_t len)
{
    struct ch_buf p;
    ch_buf_init(&p, 4096);
    ch_buf_appendf(&p, "%s/%s", dir, name);
    char *path = ch_buf_take(&p, NULL);
    assert_non_null(path);
    ch_test_write_file(path, data, len);
    return path;
}

#endif
