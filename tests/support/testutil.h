/* SPDX-License-Identifier: Apache-2.0
 *
 * testutil.h: helpers shared by the test executables: temporary directories,
 * paths of fixtures and of the shared public data (tests skip with exit 77
 * when it is absent), files, a throwaway store, and running the CLI binary.
 */
#ifndef CH_TESTS_TESTUTIL_H
#define CH_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "store/store.h"

#define CH_TEST_SKIP 77

/* Creates a fresh temporary directory (removed by ch_test_rmtree); returns an owned path. */
char *ch_test_tmpdir(void);
void ch_test_rmtree(const char *path);

/* Owned "$CH_FIXTURES/rel" */
char *ch_test_fixture(const char *rel);
/* Owned "$CH_SHARED_DATA/rel", or NULL (after printing why) when it does not exist. */
char *ch_test_shared(const char *rel);

/* Reads a whole file into out (reset first); asserts on failure. */
void ch_test_read_file(const char *path, struct ch_buf *out);
void ch_test_write_file(const char *path, const char *data, size_t len);

/*
 * The PostgreSQL server the test must use, or NULL for SQLite: the DSN in the
 * file $CH_TEST_PG_DSN_FILE (written by tests/pg/pg-server; CTest sets it for
 * the `<name>_pg` twin of a test), else $CH_TEST_PG_DSN. A DSN file that
 * cannot be read fails the test: the PostgreSQL run must never pass quietly.
 * Borrowed, valid for the whole process.
 */
const char *ch_test_pg_dsn(void);

/*
 * A URL for a fresh, empty database that no other test sees: a SQLite file
 * in a new temporary directory, or (see ch_test_pg_dsn) a new PostgreSQL
 * database with a random name. Returns the owned URL (ch_free) and the owned
 * temporary directory in *ret_dir; ch_test_rmtree(dir) also drops the
 * PostgreSQL database (close the stores first).
 */
char *ch_test_store_url(char **ret_dir);

/* Opens a migrated store on ch_test_store_url(); free it, then ch_test_rmtree(*ret_dir). */
struct ch_store *ch_test_store(char **ret_dir);

/*
 * Runs the clearinghouse binary ($CH_BINARY) with argv (NULL-terminated, not
 * including the program name), feeding `input` (may be NULL) on stdin.
 * Captures stdout and stderr; returns the exit code (or 128+signal).
 */
int ch_test_run_cli(const char *const *argv, const char *input, struct ch_buf *out,
                    struct ch_buf *errout);

/* True when haystack contains needle. */
int ch_test_contains(const char *haystack, const char *needle);

#endif
