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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

#endif
