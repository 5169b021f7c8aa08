/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_sanreport.c: the sanitizer-report parser. The first input byte picks
 * how the run ended (signal, timeout, memory); the rest is the captured
 * stderr. Invariants checked beyond "no crash": parsing is deterministic
 * (same input, same report and signature); every string field is
 * NUL-terminated within its array; the frame count is bounded; a crash
 * always has a 64-digit lowercase hex signature and a clean run none;
 * similarity is reflexive for reports with two or more frames and symmetric.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate/sanreport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static const int signals[] = {0, SIGSEGV, SIGABRT, SIGFPE, SIGBUS, SIGILL, SIGKILL, SIGXCPU};

static void check_report(const struct ch_sanreport *r)
{
    check((unsigned)r->cls < CH_CRASH_COUNT);
    check(r->n_frames <= CH_SANREPORT_MAX_FRAMES);
    check(memchr(r->detail, '\0', sizeof(r->detail)) != NULL);
    for (size_t i = 0; i < r->n_frames; i++) {
        check(memchr(r->frames[i].function, '\0', sizeof(r->frames[i].function)) != NULL);
        check(memchr(r->frames[i].file, '\0', sizeof(r->frames[i].file)) != NULL);
    }
    size_t n = strlen(r->signature);
    if (r->cls == CH_CRASH_NONE) {
        check(n == 0);
        return;
    }
    check(n == CH_SANREPORT_SIG_HEX);
    for (size_t i = 0; i < n; i++)
        check((r->signature[i] >= '0' && r->signature[i] <= '9') ||
              (r->signature[i] >= 'a' && r->signature[i] <= 'f'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t mode = data[0];
    struct ch_sanreport_input in = {
        .text = ch_str_make((const char *)data + 1, size - 1),
        .signal = signals[mode % (sizeof(signals) / sizeof(signals[0]))],
        .timed_out = (mode & 0x10) != 0,
        .out_of_memory = (mode & 0x20) != 0,
    };
    in.exited = in.signal == 0;
    struct ch_sanreport a;
    struct ch_sanreport b;
    struct ch_err err = CH_ERR_INIT;
    check(ch_sanreport_parse(&in, &a, &err) == CH_OK);
    check(ch_sanreport_parse(&in, &b, &err) == CH_OK);
    check_report(&a);
    check(a.cls == b.cls && a.n_frames == b.n_frames && strcmp(a.signature, b.signature) == 0);
    for (size_t i = 0; i < a.n_frames; i++)
        check(strcmp(a.frames[i].function, b.frames[i].function) == 0 &&
              strcmp(a.frames[i].file, b.frames[i].file) == 0 &&
              a.frames[i].line == b.frames[i].line);
    if (a.n_frames >= 2)
        check(ch_sanreport_similar(&a, &b));
    /* the same text read as a clean exit: a different view, still well-formed */
    struct ch_sanreport_input clean = {.text = in.text, .exited = true};
    struct ch_sanreport c;
    check(ch_sanreport_parse(&clean, &c, &err) == CH_OK);
    check_report(&c);
    check(ch_sanreport_similar(&a, &c) == ch_sanreport_similar(&c, &a));
    return 0;
}
