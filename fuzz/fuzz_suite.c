/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_suite.c: the evaluation-suite loader (src/eval/suite.c) on arbitrary
 * bytes. Invariants: it never crashes or leaks; an error always carries a
 * message naming the source; a loaded suite is internally consistent (task
 * ids unique and valid, every multiple-choice answer inside its choices,
 * every runnable task has a scorer of its kind), and loading the same bytes
 * twice gives the same verdict and the same SHA-256.
 */
#include <stdint.h>
#include <string.h>

#include "core/json.h"
#include "eval/suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when path has an empty, "." or ".." component: a name such as "a..b" is
 * a plain file name, not a way out of the work directory. */
static int escapes(const char *path)
{
    if (path[0] == '/')
        return 1;
    for (const char *c = path;;) {
        const char *end = strchr(c, '/');
        size_t n = end != NULL ? (size_t)(end - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 1;
        if (end == NULL)
            return 0;
        c = end + 1;
    }
}

static void check(const struct ch_suite *s)
{
    for (size_t i = 0; i < s->n_tasks; i++) {
        const struct ch_task *t = &s->tasks[i];
        if (t->id == NULL || t->id[0] == '\0' || ch_suite_find(s, t->id) != t)
            __builtin_trap();
        if (t->kind == CH_TASK_CHOICE && t->runnable && t->scorer.answer >= t->n_choices)
            __builtin_trap();
        if (t->limits.turns == 0 || t->limits.tokens == 0 || t->limits.submissions == 0)
            __builtin_trap();
        for (size_t f = 0; f < t->env.n_files; f++) {
            if (escapes(t->env.files[f].path))
                __builtin_trap();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        ch_json_global_init();
        init = 1;
    }
    struct ch_suite *a = NULL, *b = NULL;
    struct ch_err e1 = CH_ERR_INIT, e2 = CH_ERR_INIT;
    int r1 = ch_suite_parse((const char *)data, size, "fuzz.json", "/nonexistent", NULL, &a, &e1);
    int r2 = ch_suite_parse((const char *)data, size, "fuzz.json", "/nonexistent", NULL, &b, &e2);
    if (r1 != r2)
        __builtin_trap();
    if (r1 != CH_OK && (e1.msg[0] == '\0' || strcmp(e1.msg, e2.msg) != 0))
        __builtin_trap();
    if (r1 == CH_OK) {
        if (strcmp(a->sha256, b->sha256) != 0 || a->n_tasks != b->n_tasks)
            __builtin_trap();
        check(a);
    }
    ch_suite_free(a);
    ch_suite_free(b);
    return 0;
}
