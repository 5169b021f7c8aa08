/* SPDX-License-Identifier: Apache-2.0
 *
 * repro.h: reproduces a submitted finding. The proof-of-concept files are
 * copied into a fresh work directory, the recipe's build commands run there
 * in the sandbox (sandbox.h), then its run command N times (default 3); each
 * run is classified by the sanitizer-report parser (sanreport.h) and checked
 * against the recipe's expected outcome: a crash class (or any crash), an
 * exit code, or a text the program prints.
 *
 * Outcome: reproduced (every run matched), flaky (some did: the rate says
 * how many), not reproduced (none did), or invalid recipe (a build command
 * failed or the run command could not start). The log holds each build
 * command with its output and each run with its classification and the tail
 * of its stderr.
 *
 * The recipe is JSON, untrusted (a partner wrote it), and never reaches a
 * shell on the host: every command is an argv array executed by bubblewrap
 * inside the sandbox (a recipe may of course run `sh -c` in there):
 *
 *   {
 *     "build": [["cc", "-g", "-fsanitize=address", "-o", "target", "target.c"]],
 *     "run": ["./target", "poc.bin"],
 *     "stdin": "poc.bin",                       optional: a PoC file fed on stdin
 *     "env": ["ASAN_OPTIONS=detect_leaks=0"],   optional, NAME=value
 *     "expect": {"crash": "heap-buffer-overflow"}   or "any", or
 *               {"exit_code": 3}, or {"output": "text printed"},
 *     "timeout_seconds": {"build": 120, "run": 10}  optional
 *   }
 *
 * Files are named by relative paths ("src/a.c"): no absolute paths, no "..",
 * no empty or dot components, at most CH_REPRO_MAX_DEPTH levels.
 *
 * Thread-safety: reentrant; several reproductions may run at once (each has
 * its own work directory).
 */
#ifndef CH_VALIDATE_REPRO_H
#define CH_VALIDATE_REPRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "validate/sandbox.h"
#include "validate/sanreport.h"

/* A recipe is a few commands; 64 KiB is generous and bounds the parse. */
#define CH_REPRO_MAX_RECIPE_BYTES ((size_t)64 << 10)
/* Build steps and arguments: a recipe is a build script, not a build system. */
#define CH_REPRO_MAX_COMMANDS 16
#define CH_REPRO_MAX_ARGS 64
#define CH_REPRO_MAX_ARG_BYTES 4096
#define CH_REPRO_MAX_ENV 16
/* PoC files: enough for a small project's sources and inputs, small enough to store as blobs. */
#define CH_REPRO_MAX_FILES 256
#define CH_REPRO_MAX_FILE_BYTES ((size_t)4 << 20)
#define CH_REPRO_MAX_TOTAL_BYTES ((size_t)32 << 20)
#define CH_REPRO_MAX_PATH 255
#define CH_REPRO_MAX_DEPTH 8
/* Runs per reproduction: a flakiness estimate, not a fuzzing campaign. */
#define CH_REPRO_DEFAULT_RUNS 3
#define CH_REPRO_MAX_RUNS 20
/* Time limits: the recipe may ask for less or up to these. */
#define CH_REPRO_DEFAULT_BUILD_SECONDS 120
#define CH_REPRO_MAX_BUILD_SECONDS 600
#define CH_REPRO_DEFAULT_RUN_SECONDS 10
#define CH_REPRO_MAX_RUN_SECONDS 120
/* The log: whole build output and run stderr are capped, keeping their tail. */
#define CH_REPRO_LOG_MAX ((size_t)1 << 20)
#define CH_REPRO_LOG_TAIL ((size_t)16 << 10)
/* BLAKE2b-256 as lowercase hex, NUL included. */
#define CH_REPRO_DIGEST_HEX 65

enum ch_repro_expect {
    CH_REPRO_EXPECT_CRASH = 1, /* a crash of class `crash` (CH_CRASH_COUNT: any crash) */
    CH_REPRO_EXPECT_EXIT,      /* the program exits with `exit_code` */
    CH_REPRO_EXPECT_OUTPUT,    /* stdout or stderr contains `output` */
};

/* A parsed recipe. Every pointer lives in `arena`; ch_recipe_free() frees it all. */
struct ch_recipe {
    struct ch_arena *arena;
    const char *const *const *build; /* n_build NULL-terminated argv arrays */
    size_t n_build;
    const char *const *run; /* NULL-terminated argv */
    const char *stdin_file; /* PoC file fed on stdin, or NULL */
    const char *const *env; /* NULL-terminated, n_env entries */
    size_t n_env;
    enum ch_repro_expect expect;
    enum ch_crash_class crash; /* CH_REPRO_EXPECT_CRASH; CH_CRASH_COUNT = any */
    int exit_code;             /* CH_REPRO_EXPECT_EXIT */
    const char *output;        /* CH_REPRO_EXPECT_OUTPUT */
    int64_t build_seconds;
    int64_t run_seconds;
};

/*
 * Parses a recipe. *ret is owned (ch_recipe_free). Errors: CH_E_INVALID or
 * CH_E_LIMIT naming the field ("recipe: field 'build[1][0]': ..."), CH_E_NOMEM.
 */
int ch_recipe_parse(const char *json, size_t len, struct ch_recipe **ret,
                    struct ch_err *err) CH_MUST_CHECK;
void ch_recipe_free(struct ch_recipe *r);

/*
 * A fix recipe names what changes for the fixed build (usually "build"); the
 * members it leaves out ("run", "stdin", "env", "expect", "timeout_seconds")
 * are the original's. Writes the merged recipe JSON into out (reset first).
 */
int ch_recipe_merge(const char *base_json, size_t base_len, const char *fix_json, size_t fix_len,
                    struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;

/* One PoC file; data is borrowed. */
struct ch_repro_file {
    const char *path;
    const unsigned char *data;
    size_t len;
};

/* CH_OK when path is an acceptable relative file name (see above), else CH_E_INVALID. */
int ch_repro_check_path(const char *path, struct ch_err *err) CH_MUST_CHECK;
/* BLAKE2b-256 of data as hex. */
void ch_repro_digest(const void *data, size_t len, char out[CH_REPRO_DIGEST_HEX]);
/*
 * The digest of a whole PoC: BLAKE2b-256 over "path\0digest\n" of each file
 * in path order (the caller's order does not matter). Files must have
 * distinct paths (CH_E_INVALID otherwise).
 */
int ch_repro_poc_digest(const struct ch_repro_file *files, size_t n_files,
                        char out[CH_REPRO_DIGEST_HEX], struct ch_err *err) CH_MUST_CHECK;

enum ch_repro_outcome {
    CH_REPRO_REPRODUCED = 1,
    CH_REPRO_FLAKY,
    CH_REPRO_NOT_REPRODUCED,
    CH_REPRO_INVALID_RECIPE,
};

/* "reproduced", "flaky", "not_reproduced", "invalid_recipe". */
const char *ch_repro_outcome_str(enum ch_repro_outcome o);

struct ch_repro_options {
    unsigned runs;          /* 0: CH_REPRO_DEFAULT_RUNS; at most CH_REPRO_MAX_RUNS */
    const char *work_root;  /* where work directories are made; NULL: "/tmp" */
    const char *bwrap_path; /* NULL: ch_sandbox_find_bwrap's search */
    uint32_t host_uid;      /* for root callers (sandbox.h); 0: the default */
    uint32_t host_gid;
    bool keep_work_dir; /* leave the work directory (debugging) */
};

struct ch_repro_run {
    bool matched;
    bool exited;
    int exit_code;
    int signal;
    enum ch_sandbox_kill killed_by;
    int64_t wall_us;
    struct ch_sanreport report;
};

/* Initialised by ch_repro_run(); owns `log` (ch_repro_result_release). */
struct ch_repro_result {
    enum ch_repro_outcome outcome;
    unsigned n_runs; /* runs made (0 when the build failed) */
    unsigned n_matched;
    /* The report of the first matching run, else of the first run. */
    struct ch_sanreport report;
    struct ch_repro_run runs[CH_REPRO_MAX_RUNS];
    struct ch_buf log;
    int64_t build_ms;
    int64_t run_ms;
};

/*
 * Reproduces: work directory, files, build, runs, classification, cleanup.
 * Initialises *ret first (release it whatever the return). Returns CH_OK
 * whenever the recipe was tried, whatever the outcome. Errors: CH_E_INVALID
 * for bad file paths or a stdin file that is not among the files,
 * CH_E_LIMIT for too many or too large files, CH_E_UNAVAILABLE when no
 * sandbox can be made here, CH_E_IO, CH_E_NOMEM.
 */
int ch_repro_run(const struct ch_recipe *recipe, const struct ch_repro_file *files, size_t n_files,
                 const struct ch_repro_options *opts, struct ch_repro_result *ret,
                 struct ch_err *err) CH_MUST_CHECK;
void ch_repro_result_release(struct ch_repro_result *r);

/* Crash class by name ("heap-buffer-overflow"); CH_E_INVALID for an unknown name. */
int ch_crash_class_parse(const char *name, enum ch_crash_class *ret) CH_MUST_CHECK;

#endif
