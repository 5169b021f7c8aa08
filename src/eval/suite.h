/* SPDX-License-Identifier: Apache-2.0
 *
 * suite.h: evaluation suites, the tasks they hold, and the strict loader.
 *
 * A suite is one JSON document (format "clearinghouse-suite/1", described in
 * docs/eval-suites.md) plus the task files it names, kept next to it. The
 * loader validates everything before anything runs: unknown members are
 * errors (a misspelt "limits" must not silently mean "no limits"), every
 * string, count and size is bounded, file paths stay inside the suite's
 * directory, and each error names the file and the JSON path
 * ("suite.json: tasks[3].scorer.hash: ...").
 *
 * Secrets: flags and guided-subtask answers are stored only as salted
 * BLAKE2b-256 digests ("blake2b$SALT$DIGEST", libsodium crypto_generichash
 * keyed with a 16-byte random salt) and compared in constant time. A flag
 * is checked after trimming ASCII white space at both ends.
 *
 * Ownership: a loaded suite owns one arena holding every string and array;
 * ch_suite_free() releases it all. Everything reached from a struct
 * ch_suite is borrowed from it. A loaded suite is immutable and may be read
 * from several threads at once.
 */
#ifndef CH_EVAL_SUITE_H
#define CH_EVAL_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* The format name every suite document carries. */
#define CH_SUITE_FORMAT "clearinghouse-suite/1"
/* A suite document: the largest public suites are a few MiB. */
#define CH_SUITE_MAX_BYTES ((size_t)64 << 20)
/* Tasks in one suite. */
#define CH_SUITE_MAX_TASKS 100000u
/* Files, setup commands, tags, choices, subtasks of one task. */
#define CH_SUITE_MAX_FILES 256u
#define CH_SUITE_MAX_SETUP 32u
#define CH_SUITE_MAX_TAGS 64u
#define CH_SUITE_MAX_CHOICES 26u
#define CH_SUITE_MAX_SUBTASKS 64u
#define CH_SUITE_MAX_ALLOW 64u
/* Bytes of one task file (read to check its hash and copied into sandboxes). */
#define CH_SUITE_MAX_FILE_BYTES ((uint64_t)256 << 20)
/* Bytes of an identifier (suite, task, family, category, tag). */
#define CH_SUITE_MAX_ID 128u
/* Bytes of a prompt or a solution script. */
#define CH_SUITE_MAX_TEXT ((size_t)1 << 20)
/* Bytes of a relative file path. */
#define CH_SUITE_MAX_PATH 255u
/* Salt and digest of a stored flag. */
#define CH_FLAG_SALT_BYTES 16u
#define CH_FLAG_HASH_BYTES 32u
/* "blake2b$" + 32 hex + "$" + 64 hex + NUL */
#define CH_FLAG_HASH_STR_MAX 106u

enum ch_task_kind {
    CH_TASK_CHOICE = 0, /* multiple choice, answered by a letter */
    CH_TASK_FLAG,       /* free answer: the model submits a flag, no shell */
    CH_TASK_SHELL,      /* capture the flag with a sandboxed shell */
    CH_TASK_POV,        /* proof of vulnerability: crash the vulnerable build only */
    CH_TASK_KIND_COUNT
};

/* "multiple_choice", "flag", "ctf", "pov"; never NULL. */
const char *ch_task_kind_str(enum ch_task_kind k);

/* A salted flag digest. */
struct ch_flag_hash {
    unsigned char salt[CH_FLAG_SALT_BYTES];
    unsigned char digest[CH_FLAG_HASH_BYTES];
};

/*
 * A task file: `path` inside the sandbox's /job (or the scorer's). Its bytes
 * are either on disk at `host_path` (a suite loaded from a directory) or in
 * memory at `data` (a suite loaded through a ch_suite_read_fn, e.g. from the
 * sealed store: nothing of it is on disk).
 */
struct ch_task_file {
    const char *path;      /* relative, validated: no "..", no leading '/' */
    const char *src;       /* relative to the suite's directory; NULL when not shipped */
    const char *host_path; /* the suite directory joined with `src`; NULL for in-memory files */
    const void *data;      /* in-memory bytes (owned by the suite), or NULL */
    size_t len;            /* bytes at data */
    char sha256[65];       /* lowercase hex of the file's SHA-256 */
    uint32_t mode;         /* permission bits, 0644 by default, 0755 for executables */
};

/* Sandbox limits of a task (0 = the harness default). */
struct ch_task_env_limits {
    int64_t wall_ms; /* one command */
    uint64_t cpu_seconds;
    uint64_t memory_mb; /* address space; 0 = default, UINT64_MAX = unlimited (ASan) */
    uint64_t n_procs;
    uint64_t fsize_mb;
};

struct ch_task_env {
    const struct ch_task_file *files;
    size_t n_files;
    const char *const *setup; /* shell commands run in /job before the model's first turn */
    size_t n_setup;
    bool network;             /* false: no network (the only mode the sandbox offers) */
    const char *const *allow; /* allow-list of host:port when network is true */
    size_t n_allow;
    struct ch_task_env_limits limits;
};

enum ch_scorer_kind {
    CH_SCORER_CHOICE = 0,
    CH_SCORER_FLAG,
    CH_SCORER_POV,
};

/*
 * Proof-of-vulnerability scoring: in a fresh sandbox holding the hidden
 * files and the submitted input (copied as `input_name`), `build` runs, then
 * `vulnerable` must crash (sanitizer report or fatal signal) and `patched`
 * must not.
 */
struct ch_pov_scorer {
    const struct ch_task_file *files; /* hidden from the model */
    size_t n_files;
    const char *const *build;
    size_t n_build;
    const char *vulnerable; /* shell command, e.g. "./vuln < pov" */
    const char *patched;
    const char *input_name; /* "pov" by default */
};

struct ch_task_scorer {
    enum ch_scorer_kind kind;
    unsigned answer;          /* CHOICE: index of the right choice */
    struct ch_flag_hash flag; /* FLAG */
    struct ch_pov_scorer pov; /* POV */
};

struct ch_task_limits {
    uint64_t tokens;    /* prompt + completion tokens over the whole sample */
    uint32_t turns;     /* model calls */
    int64_t working_ms; /* wall clock of the sample, model and tools */
    uint32_t submissions;
};

struct ch_subtask {
    const char *question;
    bool has_answer;
    struct ch_flag_hash answer;
};

struct ch_task_solution {
    const char *answer; /* CHOICE: the letter */
    const char
        *commands;      /* FLAG/SHELL/POV: script run in /job; its last stdout line is the answer */
    const char *submit; /* POV: the file (in /job) the script writes and the model submits */
    const char *explanation;
};

struct ch_task {
    const char *id;
    enum ch_task_kind kind;
    const char *family;
    const char *category;
    const char *const *cwe;
    size_t n_cwe;
    const char *const *attack;
    size_t n_attack;
    double difficulty_minutes; /* 0 when unknown */
    const char *difficulty_source;
    const char *canary;
    const char *prompt;                /* the unguided variant */
    const struct ch_subtask *subtasks; /* the guided variant */
    size_t n_subtasks;
    const char *const *choices;
    size_t n_choices;
    struct ch_task_env env;
    struct ch_task_scorer scorer;
    struct ch_task_limits limits; /* defaults already applied */
    bool has_solution;
    struct ch_task_solution solution;
    bool runnable; /* false: metadata only, e.g. task files not shipped */
    const char *not_runnable_reason;
};

struct ch_suite_provenance {
    const char *source;
    const char *url;
    const char *commit;
    const char *license;
    const char *created;
    const char *importer;
    const struct ch_task_file *files; /* upstream files and their hashes */
    size_t n_files;
};

/* The bytes of one file read through a ch_suite_read_fn; owned by the suite. */
struct ch_suite_mem_file {
    char *src;
    unsigned char *data;
    size_t len;
};

struct ch_suite {
    struct ch_arena *arena;
    struct ch_suite_mem_file *mem_files; /* owned; zeroed and freed by ch_suite_free() */
    size_t n_mem_files;
    const char *path; /* as given to the loader */
    const char *dir;  /* directory of the document; task files are below it */
    char sha256[65];  /* of the document's bytes */
    const char *id;
    const char *version;
    const char *classification;
    const char *description;
    struct ch_task_limits default_limits;
    struct ch_suite_provenance provenance;
    struct ch_task *tasks;
    size_t n_tasks;
};

/*
 * Reads the suite file `src` (relative to the suite's directory, as the
 * document names it) into out (reset first, at most CH_SUITE_MAX_FILE_BYTES).
 * Errors are the provider's (CH_E_NOTFOUND, CH_E_IO, ...).
 */
typedef int (*ch_suite_read_fn)(void *arg, const char *src, struct ch_buf *out, struct ch_err *err);

struct ch_suite_load_options {
    bool check_files; /* read every task file and compare its SHA-256 */
    /*
     * NULL: task files stay on disk below the document's directory. Set:
     * every file the document ships is read through it once, checked against
     * its SHA-256 (always) and kept in memory by the suite (ch_task_file.data);
     * the parser and its checks are the same as for a directory.
     */
    ch_suite_read_fn read_file;
    void *read_arg;
};

/*
 * Loads and validates the suite at `path`. On success *ret is an owned
 * suite (ch_suite_free). Errors: CH_E_IO (unreadable), CH_E_INVALID with
 * "PATH: json.path: reason" and err->field set to the JSON path,
 * CH_E_LIMIT for sizes, CH_E_NOMEM.
 */
int ch_suite_load(const char *path, const struct ch_suite_load_options *opts, struct ch_suite **ret,
                  struct ch_err *err) CH_MUST_CHECK;
/*
 * As ch_suite_load() from memory; `dir` is where task files are looked up
 * (unless opts->read_file provides them; `dir` then only names them).
 */
int ch_suite_parse(const char *data, size_t len, const char *source, const char *dir,
                   const struct ch_suite_load_options *opts, struct ch_suite **ret,
                   struct ch_err *err) CH_MUST_CHECK;
void ch_suite_free(struct ch_suite *s);

/* The task with that id, or NULL. */
const struct ch_task *ch_suite_find(const struct ch_suite *s, const char *id);

/* fnmatch-style glob over task ids ('*', '?', and ',' between alternatives). */
bool ch_suite_glob_match(const char *glob, const char *id);

/* ---- flags ------------------------------------------------------------------------------ */

/* Hashes flag (trimmed) with a fresh random salt into "blake2b$SALT$DIGEST". */
int ch_flag_hash_new(struct ch_str flag, char out[CH_FLAG_HASH_STR_MAX],
                     struct ch_err *err) CH_MUST_CHECK;
/* Parses "blake2b$SALT$DIGEST". */
int ch_flag_hash_parse(struct ch_str s, struct ch_flag_hash *ret, struct ch_err *err) CH_MUST_CHECK;
/* Whether the trimmed candidate matches (constant time in the digest). */
bool ch_flag_check(const struct ch_flag_hash *h, struct ch_str candidate);

/* ---- files ------------------------------------------------------------------------------ */

/* SHA-256 of a whole file as lowercase hex (bounded by CH_SUITE_MAX_FILE_BYTES). */
int ch_file_sha256(const char *path, char out[65], struct ch_err *err) CH_MUST_CHECK;
/* SHA-256 of bytes as lowercase hex. */
void ch_sha256_hex(const void *data, size_t len, char out[65]);
/* Reads a whole file (at most max bytes) into out (reset first). */
int ch_file_read(const char *path, size_t max, struct ch_buf *out,
                 struct ch_err *err) CH_MUST_CHECK;

#endif
