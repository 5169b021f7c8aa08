/* SPDX-License-Identifier: Apache-2.0
 *
 * sanreport.h: reads what a crashing program printed (AddressSanitizer,
 * UndefinedBehaviorSanitizer, MemorySanitizer, LeakSanitizer, glibc's abort
 * messages) together with how it ended (exit status, signal, timeout, memory)
 * and reduces it to a crash class, the top frames and a crash signature used
 * to deduplicate findings.
 *
 * Both report dialects are understood: clang's (llvm-symbolizer,
 * "file.c:12:5", "(BuildId: ...)") and gcc's libasan/libubsan (libbacktrace,
 * "file.c:12", "__interceptor_malloc"). Frames of the sanitizer runtimes and
 * of libc (__asan_*, __interceptor_*, malloc/free, __libc_start_main, _start,
 * raise, abort, ...) are skipped; the rest are normalised: addresses, module
 * offsets, template arguments, parameter lists, compiler clone suffixes
 * (.cold, .isra.0, [clone ...]) and directories (build trees differ between
 * machines) are removed, and consecutive repeats (inlined or recursive
 * frames) are collapsed.
 *
 * Signature: BLAKE2b-256 (libsodium crypto_generichash) over a versioned
 * text made of the class name (plus the normalised message for the catch-all
 * classes) and the keys of the top three frames (the function, or file:line
 * when the function is unknown), printed as 64 lowercase hex digits. Lines,
 * access sizes and addresses are left out, so two inputs reaching the same
 * bug give the same signature. See docs/internals/sandbox.md.
 *
 * The text is untrusted: it is the output of the program under test. Parsing
 * is linear, never allocates, and bounds every field.
 * Thread-safety: the functions are reentrant.
 */
#ifndef CH_VALIDATE_SANREPORT_H
#define CH_VALIDATE_SANREPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

/* Frames kept per report (the signature uses the first three). */
#define CH_SANREPORT_MAX_FRAMES 8
#define CH_SANREPORT_SIG_FRAMES 3
/* Bytes kept of a normalised function name / file name / message, NUL included. */
#define CH_SANREPORT_FUNC_MAX 160
#define CH_SANREPORT_FILE_MAX 96
#define CH_SANREPORT_DETAIL_MAX 160
/* Largest text parsed: 64 MiB, far above the sandbox's default 1 MiB capture. */
#define CH_SANREPORT_MAX_TEXT ((size_t)64 << 20)
/* Hex digits of a signature (32-byte BLAKE2b). */
#define CH_SANREPORT_SIG_HEX 64

/* Crash classes. Their names (ch_crash_class_str) are part of signatures: append only. */
enum ch_crash_class {
    CH_CRASH_NONE = 0, /* clean run: no report, no fatal signal */
    CH_CRASH_HEAP_BUFFER_OVERFLOW,
    CH_CRASH_STACK_BUFFER_OVERFLOW, /* also dynamic-stack-buffer-overflow, stack smashing */
    CH_CRASH_STACK_BUFFER_UNDERFLOW,
    CH_CRASH_GLOBAL_BUFFER_OVERFLOW,
    CH_CRASH_HEAP_USE_AFTER_FREE,
    CH_CRASH_STACK_USE_AFTER_RETURN,
    CH_CRASH_STACK_USE_AFTER_SCOPE,
    CH_CRASH_DOUBLE_FREE,
    CH_CRASH_BAD_FREE, /* free of a pointer malloc never returned */
    CH_CRASH_ALLOC_DEALLOC_MISMATCH,
    CH_CRASH_SEGV,       /* SEGV on an unknown address (not near NULL) */
    CH_CRASH_NULL_DEREF, /* SEGV below 4096, or UBSan null load/store */
    CH_CRASH_STACK_OVERFLOW,
    CH_CRASH_MEMORY_LEAK,
    CH_CRASH_UNINITIALIZED_VALUE, /* MemorySanitizer use-of-uninitialized-value */
    CH_CRASH_SIGNED_INTEGER_OVERFLOW,
    CH_CRASH_DIVISION_BY_ZERO, /* UBSan, ASan FPE, or plain SIGFPE */
    CH_CRASH_MISALIGNED_ADDRESS,
    CH_CRASH_NULL_POINTER_ARGUMENT, /* null pointer passed as a nonnull argument */
    CH_CRASH_SHIFT_OUT_OF_BOUNDS,
    CH_CRASH_INDEX_OUT_OF_BOUNDS,
    CH_CRASH_UNDEFINED_BEHAVIOR,  /* another UBSan "runtime error: ..." */
    CH_CRASH_MEMORY_ERROR,        /* another AddressSanitizer bug type */
    CH_CRASH_BAD_ALLOCATION_SIZE, /* allocation-size-too-big, calloc-overflow, ... */
    CH_CRASH_HEAP_CORRUPTION,     /* glibc malloc consistency checks */
    CH_CRASH_ABORT,               /* SIGABRT without a report */
    CH_CRASH_SIGNAL,              /* another fatal signal without a report */
    CH_CRASH_TIMEOUT,
    CH_CRASH_OUT_OF_MEMORY,
    CH_CRASH_COUNT
};

enum ch_sanitizer {
    CH_SANITIZER_NONE = 0, /* no report: classified from the exit status */
    CH_SANITIZER_ASAN,
    CH_SANITIZER_UBSAN,
    CH_SANITIZER_MSAN,
    CH_SANITIZER_LSAN,
    CH_SANITIZER_LIBC, /* glibc's "free(): double free detected" and the like */
    CH_SANITIZER_LIBFUZZER,
};

enum ch_access {
    CH_ACCESS_UNKNOWN = 0,
    CH_ACCESS_READ,
    CH_ACCESS_WRITE,
};

/* One normalised stack frame. Empty strings mean unknown. */
struct ch_crash_frame {
    char function[CH_SANREPORT_FUNC_MAX]; /* "vuln", "ns::Parser::next" */
    char file[CH_SANREPORT_FILE_MAX];     /* base name of the source, or of the module */
    uint32_t line;                        /* 0 when unknown */
};

/* How the program ended; the text is borrowed for the call. */
struct ch_sanreport_input {
    struct ch_str text; /* captured stderr (sanitizers write there) */
    bool exited;        /* exited normally with exit_code */
    int exit_code;
    int signal;         /* terminating signal, 0 if none */
    bool timed_out;     /* killed for the wall clock or CPU limit */
    bool out_of_memory; /* ran out of its memory limit */
};

/*
 * A parsed report: a plain value (no pointers, nothing to free), so it can be
 * copied, compared and stored as is.
 */
struct ch_sanreport {
    enum ch_crash_class cls;
    enum ch_sanitizer tool;
    enum ch_access access; /* READ/WRITE of the faulting access */
    uint64_t access_size;  /* bytes (leak size for leaks), 0 unknown */
    bool has_address;
    uint64_t address;                     /* faulting address when reported */
    int signal;                           /* from the input */
    char detail[CH_SANREPORT_DETAIL_MAX]; /* normalised message, numbers replaced by N */
    size_t n_frames;
    struct ch_crash_frame frames[CH_SANREPORT_MAX_FRAMES];
    char signature[CH_SANREPORT_SIG_HEX + 1]; /* lowercase hex; "" when cls is NONE */
};

/*
 * Classifies a run. A sanitizer or libc report in the text wins (the first
 * one when there are several); otherwise a timeout, then running out of
 * memory, then a fatal signal; otherwise CH_CRASH_NONE. Writes *ret on
 * success. Errors: CH_E_LIMIT when the text exceeds CH_SANREPORT_MAX_TEXT.
 */
int ch_sanreport_parse(const struct ch_sanreport_input *in, struct ch_sanreport *ret,
                       struct ch_err *err) CH_MUST_CHECK;

/* True for every class but CH_CRASH_NONE. */
static inline bool ch_sanreport_is_crash(const struct ch_sanreport *r)
{
    return r->cls != CH_CRASH_NONE;
}

/*
 * Whether two reports share at least two of their top three frames (by
 * normalised function, or file:line when the function is unknown), in any
 * order: a looser match than equal signatures, for grouping variants of a bug
 * reached through different callers.
 */
bool ch_sanreport_similar(const struct ch_sanreport *a, const struct ch_sanreport *b);

struct ch_sandbox_result;
/*
 * Fills *ret from a sandbox run: its captured stderr (borrowed: valid while
 * res is), exit status, and its kills (timeout and CPU count as timed out).
 */
void ch_sanreport_input_from_sandbox(const struct ch_sandbox_result *res,
                                     struct ch_sanreport_input *ret);

/* "heap-buffer-overflow", "null-deref", ...; never NULL. */
const char *ch_crash_class_str(enum ch_crash_class c);
/* "asan", "ubsan", "msan", "lsan", "libc", "libfuzzer", "none". */
const char *ch_sanitizer_str(enum ch_sanitizer s);

#endif
