/* SPDX-License-Identifier: Apache-2.0
 *
 * sanreport.c: sanitizer-report parser and crash signatures (see
 * sanreport.h for the contract, docs/internals/sandbox.md for the algorithm).
 *
 * The text is scanned once, line by line, for the first report header; the
 * header's kind decides how the following lines are read (access line,
 * hints, leak blocks) and where the interesting stack starts. Every output
 * field is a fixed-size array, so hostile text can make the parse neither
 * allocate nor overrun: long names are cut, extra frames ignored.
 *
 * Sanitizer report formats: compiler-rt's sanitizer_common report printing
 * (https://github.com/llvm/llvm-project/tree/main/compiler-rt/lib/asan,
 * asan_errors.cpp; ubsan_diag.cpp) and gcc's copy of it in libsanitizer.
 */
#include "validate/sanreport.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "validate/sandbox.h"

/* Lines inspected after a header before its stack must have begun. */
#define MAX_LINES_BEFORE_STACK 12
/* Lines of a UBSan "note: pointer points here" block that may precede its stack. */
#define UBSAN_NOTE_LINES 4
/* Addresses below this are "near NULL": a null pointer plus a small field offset. */
#define NULL_PAGE_LIMIT 4096
/* Frames read from one stack (a stack overflow prints hundreds). */
#define MAX_FRAMES_SCANNED 512
/* Version tag hashed into every signature; change it only with a migration plan. */
#define SIGNATURE_TAG "clearinghouse-crash-v1\n"

static const char *const class_names[CH_CRASH_COUNT] = {
    [CH_CRASH_NONE] = "none",
    [CH_CRASH_HEAP_BUFFER_OVERFLOW] = "heap-buffer-overflow",
    [CH_CRASH_STACK_BUFFER_OVERFLOW] = "stack-buffer-overflow",
    [CH_CRASH_STACK_BUFFER_UNDERFLOW] = "stack-buffer-underflow",
    [CH_CRASH_GLOBAL_BUFFER_OVERFLOW] = "global-buffer-overflow",
    [CH_CRASH_HEAP_USE_AFTER_FREE] = "heap-use-after-free",
    [CH_CRASH_STACK_USE_AFTER_RETURN] = "stack-use-after-return",
    [CH_CRASH_STACK_USE_AFTER_SCOPE] = "stack-use-after-scope",
    [CH_CRASH_DOUBLE_FREE] = "double-free",
    [CH_CRASH_BAD_FREE] = "bad-free",
    [CH_CRASH_ALLOC_DEALLOC_MISMATCH] = "alloc-dealloc-mismatch",
    [CH_CRASH_SEGV] = "segv",
    [CH_CRASH_NULL_DEREF] = "null-deref",
    [CH_CRASH_STACK_OVERFLOW] = "stack-overflow",
    [CH_CRASH_MEMORY_LEAK] = "memory-leak",
    [CH_CRASH_UNINITIALIZED_VALUE] = "use-of-uninitialized-value",
    [CH_CRASH_SIGNED_INTEGER_OVERFLOW] = "signed-integer-overflow",
    [CH_CRASH_DIVISION_BY_ZERO] = "division-by-zero",
    [CH_CRASH_MISALIGNED_ADDRESS] = "misaligned-address",
    [CH_CRASH_NULL_POINTER_ARGUMENT] = "null-pointer-argument",
    [CH_CRASH_SHIFT_OUT_OF_BOUNDS] = "shift-out-of-bounds",
    [CH_CRASH_INDEX_OUT_OF_BOUNDS] = "index-out-of-bounds",
    [CH_CRASH_UNDEFINED_BEHAVIOR] = "undefined-behavior",
    [CH_CRASH_MEMORY_ERROR] = "memory-error",
    [CH_CRASH_BAD_ALLOCATION_SIZE] = "bad-allocation-size",
    [CH_CRASH_HEAP_CORRUPTION] = "heap-corruption",
    [CH_CRASH_ABORT] = "abort",
    [CH_CRASH_SIGNAL] = "signal",
    [CH_CRASH_TIMEOUT] = "timeout",
    [CH_CRASH_OUT_OF_MEMORY] = "out-of-memory",
};

const char *ch_crash_class_str(enum ch_crash_class c)
{
    if ((unsigned)c >= CH_CRASH_COUNT)
        return "unknown";
    return class_names[c];
}

const char *ch_sanitizer_str(enum ch_sanitizer s)
{
    switch (s) {
    case CH_SANITIZER_ASAN:
        return "asan";
    case CH_SANITIZER_UBSAN:
        return "ubsan";
    case CH_SANITIZER_MSAN:
        return "msan";
    case CH_SANITIZER_LSAN:
        return "lsan";
    case CH_SANITIZER_LIBC:
        return "libc";
    case CH_SANITIZER_LIBFUZZER:
        return "libfuzzer";
    case CH_SANITIZER_NONE:
        break;
    }
    return "none";
}

/* ---- small string helpers ------------------------------------------------------------ */

static long find(struct ch_str s, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || n > s.len)
        return n == 0 ? 0 : -1;
    const char *p = memmem(s.ptr, s.len, needle, n);
    return p == NULL ? -1 : (long)(p - s.ptr);
}

/* Index of the last occurrence of needle in s, or -1. */
static long rfind(struct ch_str s, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = s.len; n > 0 && i >= n; i--) {
        if (memcmp(s.ptr + i - n, needle, n) == 0)
            return (long)(i - n);
    }
    return -1;
}

static bool has(struct ch_str s, const char *needle)
{
    return find(s, needle) >= 0;
}

static struct ch_str after(struct ch_str s, size_t off)
{
    if (s.ptr == NULL) /* the empty view: NULL + 0 is undefined in C */
        return s;
    return off >= s.len ? ch_str_make(s.ptr + s.len, 0) : ch_str_make(s.ptr + off, s.len - off);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_value(char c)
{
    if (is_digit(c))
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    return (unsigned)(c - 'A' + 10);
}

/* Parses "0x<hex>" at the start of s (at most 16 digits); false if absent. */
static bool parse_hex(struct ch_str s, uint64_t *ret)
{
    if (s.len < 3 || s.ptr[0] != '0' || (s.ptr[1] != 'x' && s.ptr[1] != 'X') || !is_hex(s.ptr[2]))
        return false;
    uint64_t v = 0;
    size_t i = 2;
    for (; i < s.len && is_hex(s.ptr[i]); i++) {
        if (i >= 18)
            return false;
        v = v << 4 | hex_value(s.ptr[i]);
    }
    *ret = v;
    return true;
}

/* Parses decimal digits at the start of s, saturating at UINT32_MAX; false if none. */
static bool parse_dec(struct ch_str s, uint64_t *ret)
{
    if (s.len == 0 || !is_digit(s.ptr[0]))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len && is_digit(s.ptr[i]); i++) {
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
        if (v > UINT32_MAX)
            v = UINT32_MAX;
    }
    *ret = v;
    return true;
}

/* Copies s into out (size cap, cap > 0), cutting it to fit; always NUL-terminated. */
static void copy_out(char *out, size_t cap, struct ch_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n > 0)
        memcpy(out, s.ptr, n);
    out[n] = '\0';
}

static struct ch_str basename_of(struct ch_str path)
{
    size_t i = path.len;
    while (i > 0 && path.ptr[i - 1] != '/')
        i--;
    return after(path, i);
}

/* ---- lines --------------------------------------------------------------------------- */

struct lines {
    const char *p;
    const char *end;
};

static bool next_line(struct lines *it, struct ch_str *ret)
{
    if (it->p >= it->end)
        return false;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const char *stop = nl == NULL ? it->end : nl;
    size_t len = (size_t)(stop - it->p);
    if (len > 0 && it->p[len - 1] == '\r')
        len--;
    *ret = ch_str_make(it->p, len);
    it->p = nl == NULL ? it->end : nl + 1;
    return true;
}

/* ---- normalisation ------------------------------------------------------------------- */

/*
 * Message normalisation: numbers (decimal, 0x-hex, with a leading minus) become
 * "N" and whitespace runs one space, so messages differing only in values
 * compare equal.
 */
CH_TESTABLE void ch_sanreport__normalize_detail(struct ch_str in, char *out, size_t cap);
CH_TESTABLE void ch_sanreport__normalize_detail(struct ch_str in, char *out, size_t cap)
{
    size_t o = 0;
    size_t i = 0;
    in = ch_str_trim(in);
    while (i < in.len && o + 1 < cap) {
        char c = in.ptr[i];
        bool neg = c == '-' && i + 1 < in.len && is_digit(in.ptr[i + 1]) &&
                   (i == 0 || in.ptr[i - 1] == ' ' || in.ptr[i - 1] == '(');
        if (is_digit(c) || neg) {
            i += neg ? 1 : 0;
            bool hex = i + 1 < in.len && in.ptr[i] == '0' &&
                       (in.ptr[i + 1] == 'x' || in.ptr[i + 1] == 'X');
            i += hex ? 2 : 0;
            while (i < in.len &&
                   (hex ? is_hex(in.ptr[i]) : is_digit(in.ptr[i]) || in.ptr[i] == '.'))
                i++;
            out[o++] = 'N';
            continue;
        }
        if (c == ' ' || c == '\t') {
            while (i < in.len && (in.ptr[i] == ' ' || in.ptr[i] == '\t'))
                i++;
            out[o++] = ' ';
            continue;
        }
        out[o++] = (unsigned char)c < 0x20 ? '?' : c;
        i++;
    }
    out[o] = '\0';
}

/* Removes balanced <...> template arguments, keeping the '<' of operator<, operator<<, ... */
static size_t strip_templates(const char *in, size_t len, char *out)
{
    size_t o = 0;
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        bool op = c == '<' && depth == 0 && o >= 8 && memcmp(out + o - 8, "operator", 8) == 0;
        if (op) {
            while (i < len && (in[i] == '<' || in[i] == '='))
                out[o++] = in[i++];
            i--;
            continue;
        }
        if (c == '<') {
            depth++;
        } else if (c == '>' && depth > 0) {
            depth--;
        } else if (depth == 0) {
            out[o++] = c;
        }
    }
    return o;
}

/* Strips a trailing parameter list "(...)" and cv/ref qualifiers after it. */
static size_t strip_params(const char *s, size_t len)
{
    static const char *const quals[] = {" const", " volatile", " &&", " &", "&&", "&"};
    for (bool again = true; again;) {
        again = false;
        for (size_t q = 0; q < CH_ARRAY_SIZE(quals); q++) {
            size_t n = strlen(quals[q]);
            if (len >= n && memcmp(s + len - n, quals[q], n) == 0) {
                len -= n;
                again = true;
            }
        }
    }
    if (len == 0 || s[len - 1] != ')')
        return len;
    int depth = 0;
    for (size_t i = len; i > 0; i--) {
        if (s[i - 1] == ')')
            depth++;
        else if (s[i - 1] == '(' && --depth == 0)
            return i - 1 == 0 ? len : i - 1; /* "(anonymous namespace)" alone stays */
    }
    return len;
}

/*
 * Drops a leading return type ("long ns::pick" from a demangled template
 * function): keeps what follows the last space outside parentheses, unless
 * the name is an operator ("operator new[]").
 */
static size_t strip_return_type(char *s, size_t len)
{
    if (memmem(s, len, "operator", 8) != NULL)
        return len;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '(')
            depth++;
        else if (s[i] == ')' && depth > 0)
            depth--;
        else if (s[i] == ' ' && depth == 0)
            start = i + 1;
    }
    if (start > 0)
        memmove(s, s + start, len - start);
    return len - start;
}

/*
 * Function-name normalisation: no " [clone ...]", no template arguments, no
 * parameter list, no return type, no compiler suffix (.cold, .part.N,
 * .isra.N, .constprop.N, .lto_priv.N, .llvm.N), no Rust hash (::h + 16 hex).
 */
CH_TESTABLE void ch_sanreport__normalize_function(struct ch_str in, char *out, size_t cap);
CH_TESTABLE void ch_sanreport__normalize_function(struct ch_str in, char *out, size_t cap)
{
    char tmp[CH_SANREPORT_FUNC_MAX * 4];
    in = ch_str_trim(in);
    long clone = find(in, " [clone");
    if (clone >= 0)
        in.len = (size_t)clone;
    if (in.len > sizeof(tmp))
        in.len = sizeof(tmp);
    size_t n = strip_templates(in.ptr, in.len, tmp);
    n = strip_params(tmp, n);
    n = strip_return_type(tmp, n);
    for (size_t i = 1; i < n; i++) {
        if (tmp[i] == '.') {
            n = i;
            break;
        }
    }
    if (n >= 19 && memcmp(tmp + n - 19, "::h", 3) == 0) {
        bool hash = true;
        for (size_t i = n - 16; i < n; i++)
            hash = hash && is_hex(tmp[i]);
        if (hash)
            n -= 19;
    }
    copy_out(out, cap, ch_str_trim(ch_str_make(tmp, n)));
}

/* ---- frames -------------------------------------------------------------------------- */

/* Frames of the sanitizer runtimes, the allocator and libc: never the bug's location. */
static const char *const skip_prefixes[] = {
    "__asan_",       "__interceptor_", "___interceptor_",
    "__sanitizer_",  "__ubsan_",       "__msan_",
    "__lsan_",       "__tsan_",        "__hwasan_",
    "__sanitizer::", "__asan::",       "__ubsan::",
    "__msan::",      "__lsan::",       "__libc_start",
    "__GI_",         "__libc_",        "__interceptor_trampoline_",
};
static const char *const skip_exact[] = {
    "_start",
    "malloc",
    "calloc",
    "realloc",
    "reallocarray",
    "free",
    "cfree",
    "valloc",
    "pvalloc",
    "memalign",
    "aligned_alloc",
    "posix_memalign",
    "strdup",
    "strndup",
    "operator new",
    "operator new[]",
    "operator delete",
    "operator delete[]",
    "raise",
    "abort",
    "__assert_fail",
    "__assert_fail_base",
    "__stack_chk_fail",
    "__fortify_fail",
    "__chk_fail",
    "__pthread_kill_implementation",
    "__pthread_kill_internal",
    "pthread_kill",
    "gsignal",
    "__restore_rt",
    "start_thread",
    "clone",
    "clone3",
};
/*
 * libc functions that sanitizers intercept: clang links the interceptor into
 * the program, where it appears as plain "strcpy (prog+0x...)" with no source.
 */
static const char *const intercepted[] = {
    "memcpy",     "memmove",   "memset",     "memcmp",      "bcmp",     "memchr",  "memrchr",
    "strcpy",     "strncpy",   "stpcpy",     "strcat",      "strncat",  "strlen",  "strnlen",
    "strcmp",     "strncmp",   "strcasecmp", "strncasecmp", "strchr",   "strrchr", "strstr",
    "strcasestr", "strspn",    "strcspn",    "strpbrk",     "strtok",   "sprintf", "snprintf",
    "vsprintf",   "vsnprintf", "printf",     "fprintf",     "vfprintf", "puts",    "fputs",
    "fwrite",     "fread",     "fgets",      "read",        "write",    "sscanf",  "vsscanf",
    "atoi",       "atol",      "strtol",     "strtoul",     "wcslen",   "wcscpy",  "wcsnlen",
};
/* Source paths and modules that belong to the runtimes or libc. */
static const char *const skip_paths[] = {
    "libsanitizer/", "compiler-rt/", "/sanitizer_common/", "../sysdeps/",     "csu/",
    "/glibc-",       "nptl/",        "stdlib/abort.c",     "assert/assert.c", "signal/../",
};
static const char *const skip_modules[] = {"libc.so",      "libasan.so", "libubsan.so",
                                           "libclang_rt.", "ld-linux",   "libpthread.so",
                                           "liblsan.so",   "libtsan.so", "libmsan"};

struct raw_frame {
    struct ch_str function; /* as printed, may be empty */
    struct ch_str path;     /* source path or module path, may be empty */
    bool is_module;         /* path is "(module+0xoff)" */
    uint32_t line;
};

static bool starts_any(struct ch_str s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ch_str_starts_with(s, list[i]))
            return true;
    }
    return false;
}

static bool skip_frame(const struct raw_frame *f, const char *norm)
{
    if (starts_any(f->function, skip_prefixes, CH_ARRAY_SIZE(skip_prefixes)))
        return true;
    for (size_t i = 0; i < CH_ARRAY_SIZE(skip_exact); i++) {
        if (strcmp(norm, skip_exact[i]) == 0)
            return true;
    }
    for (size_t i = 0; i < CH_ARRAY_SIZE(skip_paths); i++) {
        if (has(f->path, skip_paths[i]))
            return true;
    }
    if (f->is_module) {
        for (size_t i = 0; i < CH_ARRAY_SIZE(intercepted); i++) {
            if (strcmp(norm, intercepted[i]) == 0)
                return true;
        }
        struct ch_str base = basename_of(f->path);
        return starts_any(base, skip_modules, CH_ARRAY_SIZE(skip_modules));
    }
    return false;
}

/* "path:line[:col]" → path and line (0 when absent). */
static void split_location(struct ch_str loc, struct raw_frame *f)
{
    f->path = loc;
    for (int round = 0; round < 2; round++) {
        long colon = -1;
        for (size_t i = f->path.len; i > 0; i--) {
            if (f->path.ptr[i - 1] == ':') {
                colon = (long)i - 1;
                break;
            }
        }
        uint64_t v;
        struct ch_str num = after(f->path, (size_t)colon + 1);
        if (colon <= 0 || !parse_dec(num, &v))
            return;
        for (size_t i = 0; i < num.len; i++) {
            if (!is_digit(num.ptr[i]))
                return;
        }
        f->line = (uint32_t)v; /* the last number seen first is the column, then the line */
        f->path.len = (size_t)colon;
    }
}

/* "(module+0xoff)" → module path; false when s is not of that shape. */
static bool parse_module(struct ch_str s, struct raw_frame *f)
{
    if (s.len < 2 || s.ptr[0] != '(' || s.ptr[s.len - 1] != ')')
        return false;
    struct ch_str in = ch_str_sub(s, 1, s.len - 2);
    long plus = find(in, "+0x");
    f->path = plus >= 0 ? ch_str_sub(in, 0, (size_t)plus) : in;
    f->is_module = true;
    if (ch_str_eq_c(f->path, "<unknown module>"))
        f->path = CH_STR_NULL;
    return true;
}

static bool looks_like_location(struct ch_str tok)
{
    return has(tok, "/") || has(tok, ":") || ch_str_ends_with(tok, ".c") ||
           ch_str_ends_with(tok, ".cc") || ch_str_ends_with(tok, ".cpp") ||
           ch_str_ends_with(tok, ".h");
}

/* Parses "#N 0xADDR [in FUNC] [LOCATION] [(BuildId: ...)]"; false if not a frame line. */
static bool parse_frame_line(struct ch_str line, struct raw_frame *f)
{
    *f = (struct raw_frame){.function = CH_STR_NULL, .path = CH_STR_NULL};
    struct ch_str s = ch_str_trim(line);
    uint64_t num;
    uint64_t pc;
    if (s.len < 2 || s.ptr[0] != '#' || !parse_dec(after(s, 1), &num))
        return false;
    long sp = ch_str_find_char(s, ' ');
    if (sp < 0)
        return false;
    s = ch_str_trim(after(s, (size_t)sp));
    if (!parse_hex(s, &pc))
        return false;
    sp = ch_str_find_char(s, ' ');
    s = sp < 0 ? ch_str_make(s.ptr + s.len, 0) : ch_str_trim(after(s, (size_t)sp));
    long bid = find(s, " (BuildId: ");
    if (bid >= 0)
        s = ch_str_trim(ch_str_sub(s, 0, (size_t)bid));
    bool named = ch_str_starts_with(s, "in ");
    if (named)
        s = ch_str_trim(after(s, 3));
    long open = -1;
    if (s.len > 0 && s.ptr[s.len - 1] == ')') {
        long p = rfind(s, " (");
        open = s.ptr[0] == '(' ? 0 : (p >= 0 ? p + 1 : -1);
    }
    if (open >= 0 && parse_module(after(s, (size_t)open), f)) {
        if (named)
            f->function = ch_str_trim(ch_str_sub(s, 0, (size_t)open));
        return true;
    }
    if (!named) {
        split_location(s, f);
        return true;
    }
    long last_sp = -1;
    for (size_t i = s.len; i > 0; i--) {
        if (s.ptr[i - 1] == ' ') {
            last_sp = (long)i - 1;
            break;
        }
    }
    struct ch_str tail = last_sp < 0 ? s : after(s, (size_t)last_sp + 1);
    if (last_sp >= 0 && looks_like_location(tail)) {
        f->function = ch_str_trim(ch_str_sub(s, 0, (size_t)last_sp));
        split_location(tail, f);
    } else {
        f->function = s;
    }
    return true;
}

static void frame_key(const struct ch_crash_frame *f, char *out, size_t cap)
{
    if (f->function[0] != '\0')
        snprintf(out, cap, "%s", f->function);
    else if (f->file[0] != '\0')
        snprintf(out, cap, "%s:%u", f->file, (unsigned)f->line);
    else
        snprintf(out, cap, "?");
}

static bool same_frame(const struct ch_crash_frame *a, const struct ch_crash_frame *b)
{
    char ka[CH_SANREPORT_FUNC_MAX + CH_SANREPORT_FILE_MAX + 16];
    char kb[sizeof(ka)];
    frame_key(a, ka, sizeof(ka));
    frame_key(b, kb, sizeof(kb));
    return strcmp(ka, kb) == 0;
}

/* Adds a frame unless it repeats the previous one (inlined copies, recursion). */
static void add_frame(struct ch_sanreport *r, const struct ch_crash_frame *f)
{
    if (r->n_frames > 0 && same_frame(&r->frames[r->n_frames - 1], f))
        return;
    if (r->n_frames < CH_SANREPORT_MAX_FRAMES)
        r->frames[r->n_frames++] = *f;
}

/*
 * Reads the stack starting at or after *it: skips up to max_preamble lines
 * before it, then takes frame lines until the first other line. Returns
 * whether a stack was found.
 */
static bool read_stack(struct lines *it, int max_preamble, struct ch_sanreport *r)
{
    struct ch_str line;
    int preamble = 0;
    int scanned = 0;
    bool in_stack = false;
    while (next_line(it, &line)) {
        struct raw_frame raw;
        if (!parse_frame_line(line, &raw)) {
            /* a stack ends at its first other line; another report's header ends the search */
            if (in_stack || ++preamble > max_preamble || has(line, "ERROR: ") ||
                has(line, ": runtime error: "))
                break;
            continue;
        }
        in_stack = true;
        if (++scanned > MAX_FRAMES_SCANNED || r->n_frames >= CH_SANREPORT_MAX_FRAMES)
            continue;
        struct ch_crash_frame f = {.line = raw.line};
        ch_sanreport__normalize_function(raw.function, f.function, sizeof(f.function));
        if (skip_frame(&raw, f.function))
            continue;
        copy_out(f.file, sizeof(f.file), basename_of(raw.path));
        if (raw.is_module)
            f.line = 0;
        if (f.function[0] == '\0' && f.file[0] == '\0')
            continue;
        add_frame(r, &f);
    }
    return in_stack;
}

/* ---- report kinds -------------------------------------------------------------------- */

struct type_map {
    const char *name;
    enum ch_crash_class cls;
};

/* AddressSanitizer bug types (the word after "AddressSanitizer: "). */
static const struct type_map asan_types[] = {
    {"heap-buffer-overflow", CH_CRASH_HEAP_BUFFER_OVERFLOW},
    {"stack-buffer-overflow", CH_CRASH_STACK_BUFFER_OVERFLOW},
    {"dynamic-stack-buffer-overflow", CH_CRASH_STACK_BUFFER_OVERFLOW},
    {"stack-buffer-underflow", CH_CRASH_STACK_BUFFER_UNDERFLOW},
    {"global-buffer-overflow", CH_CRASH_GLOBAL_BUFFER_OVERFLOW},
    {"heap-use-after-free", CH_CRASH_HEAP_USE_AFTER_FREE},
    {"stack-use-after-return", CH_CRASH_STACK_USE_AFTER_RETURN},
    {"stack-use-after-scope", CH_CRASH_STACK_USE_AFTER_SCOPE},
    {"alloc-dealloc-mismatch", CH_CRASH_ALLOC_DEALLOC_MISMATCH},
    {"SEGV", CH_CRASH_SEGV},
    {"stack-overflow", CH_CRASH_STACK_OVERFLOW},
    {"FPE", CH_CRASH_DIVISION_BY_ZERO},
    {"allocation-size-too-big", CH_CRASH_BAD_ALLOCATION_SIZE},
    {"requested", CH_CRASH_BAD_ALLOCATION_SIZE}, /* requested allocation size ... exceeds */
    {"calloc-overflow", CH_CRASH_BAD_ALLOCATION_SIZE},
    {"reallocarray-overflow", CH_CRASH_BAD_ALLOCATION_SIZE},
    {"pvalloc-overflow", CH_CRASH_BAD_ALLOCATION_SIZE},
    {"invalid-allocation-alignment", CH_CRASH_BAD_ALLOCATION_SIZE},
    {"invalid-aligned-alloc-alignment", CH_CRASH_BAD_ALLOCATION_SIZE},
    {"invalid-posix-memalign-alignment", CH_CRASH_BAD_ALLOCATION_SIZE},
    {"out", CH_CRASH_OUT_OF_MEMORY},       /* out of memory: allocator is trying ... */
    {"allocator", CH_CRASH_OUT_OF_MEMORY}, /* allocator is out of memory trying ... */
    {"rss-limit-exceeded", CH_CRASH_OUT_OF_MEMORY},
    {"malloc-limit-exceeded", CH_CRASH_OUT_OF_MEMORY},
    {"ABRT", CH_CRASH_ABORT},
    {"BUS", CH_CRASH_SIGNAL},
    {"ILL", CH_CRASH_SIGNAL},
    {"TRAP", CH_CRASH_SIGNAL},
};

/* UndefinedBehaviorSanitizer messages (after "runtime error: "), by substring. */
static const struct type_map ubsan_messages[] = {
    {"signed integer overflow", CH_CRASH_SIGNED_INTEGER_OVERFLOW},
    {"negation of", CH_CRASH_SIGNED_INTEGER_OVERFLOW},
    {"division by zero", CH_CRASH_DIVISION_BY_ZERO},
    {"division of", CH_CRASH_SIGNED_INTEGER_OVERFLOW}, /* INT_MIN / -1 */
    {"misaligned address", CH_CRASH_MISALIGNED_ADDRESS},
    {"null pointer passed as argument", CH_CRASH_NULL_POINTER_ARGUMENT},
    {"null pointer returned from function", CH_CRASH_NULL_POINTER_ARGUMENT},
    {"load of null pointer", CH_CRASH_NULL_DEREF},
    {"store to null pointer", CH_CRASH_NULL_DEREF},
    {"member access within null pointer", CH_CRASH_NULL_DEREF},
    {"member call on null pointer", CH_CRASH_NULL_DEREF},
    {"reference binding to null pointer", CH_CRASH_NULL_DEREF},
    {"shift exponent", CH_CRASH_SHIFT_OUT_OF_BOUNDS},
    {"left shift of", CH_CRASH_SHIFT_OUT_OF_BOUNDS},
    {"out of bounds for type", CH_CRASH_INDEX_OUT_OF_BOUNDS},
};

/* glibc's fatal messages (printed before it aborts). */
static const struct type_map libc_messages[] = {
    {"free(): double free detected", CH_CRASH_DOUBLE_FREE},
    {"double free or corruption", CH_CRASH_DOUBLE_FREE},
    {"*** stack smashing detected ***", CH_CRASH_STACK_BUFFER_OVERFLOW},
    {"*** buffer overflow detected ***", CH_CRASH_MEMORY_ERROR},
    {"free(): invalid pointer", CH_CRASH_BAD_FREE},
    {"munmap_chunk(): invalid pointer", CH_CRASH_BAD_FREE},
    {"free(): invalid size", CH_CRASH_HEAP_CORRUPTION},
    {"malloc(): corrupted", CH_CRASH_HEAP_CORRUPTION},
    {"malloc(): memory corruption", CH_CRASH_HEAP_CORRUPTION},
    {"corrupted size vs. prev_size", CH_CRASH_HEAP_CORRUPTION},
    {"corrupted double-linked list", CH_CRASH_HEAP_CORRUPTION},
    {"malloc_consolidate(): ", CH_CRASH_HEAP_CORRUPTION},
    {"free(): corrupted unsorted chunks", CH_CRASH_HEAP_CORRUPTION},
    {"realloc(): invalid", CH_CRASH_HEAP_CORRUPTION},
};

enum header_kind { H_ASAN, H_LSAN, H_MSAN, H_UBSAN, H_LIBFUZZER };

struct header {
    const char *needle;
    enum header_kind kind;
    enum ch_sanitizer tool;
};

static const struct header headers[] = {
    {"ERROR: AddressSanitizer: ", H_ASAN, CH_SANITIZER_ASAN},
    {"ERROR: LeakSanitizer: ", H_LSAN, CH_SANITIZER_LSAN},
    {"WARNING: MemorySanitizer: ", H_MSAN, CH_SANITIZER_MSAN},
    {"ERROR: MemorySanitizer: ", H_ASAN, CH_SANITIZER_MSAN},
    {"ERROR: UndefinedBehaviorSanitizer: ", H_ASAN, CH_SANITIZER_UBSAN},
    {": runtime error: ", H_UBSAN, CH_SANITIZER_UBSAN},
    {"ERROR: libFuzzer: ", H_LIBFUZZER, CH_SANITIZER_LIBFUZZER},
};

static enum ch_crash_class lookup_prefix(const struct type_map *map, size_t n, struct ch_str word)
{
    for (size_t i = 0; i < n; i++) {
        if (ch_str_eq_c(word, map[i].name))
            return map[i].cls;
    }
    return CH_CRASH_NONE;
}

static enum ch_crash_class lookup_substring(const struct type_map *map, size_t n,
                                            struct ch_str text)
{
    for (size_t i = 0; i < n; i++) {
        if (has(text, map[i].name))
            return map[i].cls;
    }
    return CH_CRASH_NONE;
}

static void set_signal_detail(struct ch_sanreport *r, int sig)
{
    const char *abbrev = sig > 0 && sig < NSIG ? sigabbrev_np(sig) : NULL;
    if (abbrev != NULL)
        snprintf(r->detail, sizeof(r->detail), "SIG%s", abbrev);
    else
        snprintf(r->detail, sizeof(r->detail), "signal %d", sig);
}

/* The lines between an ASan header and its stack: access, SEGV cause, zero-page hint. */
static void read_asan_preamble(struct lines it, struct ch_sanreport *r, bool *ret_zero_page)
{
    struct ch_str line;
    for (int i = 0; i < MAX_LINES_BEFORE_STACK && next_line(&it, &line); i++) {
        struct raw_frame raw;
        if (parse_frame_line(line, &raw))
            break;
        long rd = find(line, "READ of size ");
        long wr = find(line, "WRITE of size ");
        uint64_t v;
        if (rd >= 0 && parse_dec(after(line, (size_t)rd + 13), &v)) {
            r->access = CH_ACCESS_READ;
            r->access_size = v;
        } else if (wr >= 0 && parse_dec(after(line, (size_t)wr + 14), &v)) {
            r->access = CH_ACCESS_WRITE;
            r->access_size = v;
        } else if (has(line, "caused by a READ memory access")) {
            r->access = CH_ACCESS_READ;
        } else if (has(line, "caused by a WRITE memory access")) {
            r->access = CH_ACCESS_WRITE;
        }
        if (has(line, "address points to the zero page"))
            *ret_zero_page = true;
    }
}

static void parse_asan(struct ch_str rest, struct lines *it, struct ch_sanreport *r)
{
    size_t w = 0;
    while (w < rest.len && rest.ptr[w] != ' ' && rest.ptr[w] != ':' && rest.ptr[w] != '(')
        w++;
    struct ch_str word = ch_str_sub(rest, 0, w);
    if (ch_str_eq_c(word, "attempting"))
        r->cls = has(rest, "double-free") ? CH_CRASH_DOUBLE_FREE : CH_CRASH_BAD_FREE;
    else if (ch_str_eq_c(word, "use-of-uninitialized-value"))
        r->cls = CH_CRASH_UNINITIALIZED_VALUE;
    else
        r->cls = lookup_prefix(asan_types, CH_ARRAY_SIZE(asan_types), word);
    ch_sanreport__normalize_detail(rest, r->detail, sizeof(r->detail));
    if (r->cls == CH_CRASH_NONE) {
        r->cls = CH_CRASH_MEMORY_ERROR;
        copy_out(r->detail, sizeof(r->detail), word);
    }
    long at = find(rest, "address 0x");
    long on = find(rest, " on 0x");
    if (at >= 0)
        r->has_address = parse_hex(after(rest, (size_t)at + 8), &r->address);
    else if (on >= 0)
        r->has_address = parse_hex(after(rest, (size_t)on + 4), &r->address);
    bool zero_page = false;
    read_asan_preamble(*it, r, &zero_page);
    if (r->cls == CH_CRASH_SEGV && (zero_page || (r->has_address && r->address < NULL_PAGE_LIMIT)))
        r->cls = CH_CRASH_NULL_DEREF;
    if (r->cls == CH_CRASH_SIGNAL)
        snprintf(r->detail, sizeof(r->detail), "SIG%.*s", CH_STR_FMT(word));
    (void)read_stack(it, MAX_LINES_BEFORE_STACK, r);
}

static void parse_lsan(struct lines *it, struct ch_sanreport *r)
{
    r->cls = CH_CRASH_MEMORY_LEAK;
    snprintf(r->detail, sizeof(r->detail), "detected memory leaks");
    /* the first direct leak (LeakSanitizer prints the largest first), else an indirect one */
    struct lines scan = *it;
    struct lines found = {0};
    struct ch_str line;
    while (next_line(&scan, &line)) {
        bool direct = has(line, "Direct leak of ");
        if (!direct && (!has(line, "Indirect leak of ") || found.p != NULL))
            continue;
        found = scan;
        long of = find(line, "leak of ");
        uint64_t v;
        if (parse_dec(after(line, (size_t)of + 8), &v))
            r->access_size = v;
        if (direct)
            break;
    }
    if (found.p != NULL)
        (void)read_stack(&found, 0, r);
}

static void parse_ubsan(struct ch_str line, long at, struct lines *it, struct ch_sanreport *r)
{
    struct ch_str msg = after(line, (size_t)at + strlen(": runtime error: "));
    struct ch_str loc = ch_str_sub(line, 0, (size_t)at);
    for (size_t i = loc.len; i > 0; i--) {
        if (loc.ptr[i - 1] == ' ') {
            loc = after(loc, i);
            break;
        }
    }
    r->cls = lookup_substring(ubsan_messages, CH_ARRAY_SIZE(ubsan_messages), msg);
    if (r->cls == CH_CRASH_NONE)
        r->cls = CH_CRASH_UNDEFINED_BEHAVIOR;
    ch_sanreport__normalize_detail(msg, r->detail, sizeof(r->detail));
    if (read_stack(it, UBSAN_NOTE_LINES, r) && r->n_frames > 0)
        return;
    /* no stack printed (print_stacktrace=0): the location is the one frame */
    struct raw_frame raw = {.function = CH_STR_NULL};
    split_location(loc, &raw);
    struct ch_crash_frame f = {.line = raw.line};
    copy_out(f.file, sizeof(f.file), basename_of(raw.path));
    if (f.file[0] != '\0' && !ch_str_eq_c(raw.path, "<unknown>"))
        add_frame(r, &f);
}

static bool parse_libfuzzer(struct ch_str rest, struct lines *it, struct ch_sanreport *r)
{
    if (ch_str_starts_with(rest, "timeout"))
        r->cls = CH_CRASH_TIMEOUT;
    else if (ch_str_starts_with(rest, "out-of-memory"))
        r->cls = CH_CRASH_OUT_OF_MEMORY;
    else
        return false; /* "deadly signal" and the like follow a sanitizer report */
    ch_sanreport__normalize_detail(rest, r->detail, sizeof(r->detail));
    (void)read_stack(it, MAX_LINES_BEFORE_STACK, r);
    return true;
}

/* Finds and parses the first report; false when the text holds none. */
static bool parse_text(const struct ch_sanreport_input *in, struct ch_sanreport *r)
{
    struct lines it = {.p = in->text.ptr, .end = in->text.ptr + in->text.len};
    struct ch_str line;
    while (next_line(&it, &line)) {
        for (size_t h = 0; h < CH_ARRAY_SIZE(headers); h++) {
            long at = find(line, headers[h].needle);
            if (at < 0)
                continue;
            r->tool = headers[h].tool;
            struct ch_str rest = after(line, (size_t)at + strlen(headers[h].needle));
            switch (headers[h].kind) {
            case H_ASAN:
                parse_asan(rest, &it, r);
                return true;
            case H_MSAN:
                parse_asan(rest, &it, r);
                return true;
            case H_LSAN:
                parse_lsan(&it, r);
                return true;
            case H_UBSAN:
                parse_ubsan(line, at, &it, r);
                return true;
            case H_LIBFUZZER:
                if (parse_libfuzzer(rest, &it, r))
                    return true;
                break;
            }
            r->tool = CH_SANITIZER_NONE;
        }
        /* glibc's messages count only when the program then died of SIGABRT */
        enum ch_crash_class c =
            in->signal == SIGABRT
                ? lookup_substring(libc_messages, CH_ARRAY_SIZE(libc_messages), line)
                : CH_CRASH_NONE;
        if (c != CH_CRASH_NONE) {
            r->cls = c;
            r->tool = CH_SANITIZER_LIBC;
            ch_sanreport__normalize_detail(line, r->detail, sizeof(r->detail));
            (void)read_stack(&it, MAX_LINES_BEFORE_STACK, r);
            return true;
        }
    }
    return false;
}

/* Without a report: the way the program ended. */
static void classify_exit(const struct ch_sanreport_input *in, struct ch_sanreport *r)
{
    if (in->timed_out || in->signal == SIGXCPU) {
        r->cls = CH_CRASH_TIMEOUT;
        return;
    }
    if (in->out_of_memory) {
        r->cls = CH_CRASH_OUT_OF_MEMORY;
        return;
    }
    switch (in->signal) {
    case 0:
        r->cls = CH_CRASH_NONE;
        return;
    case SIGSEGV:
        r->cls = CH_CRASH_SEGV;
        break;
    case SIGFPE:
        r->cls = CH_CRASH_DIVISION_BY_ZERO;
        break;
    case SIGABRT:
        r->cls = CH_CRASH_ABORT;
        break;
    default:
        r->cls = CH_CRASH_SIGNAL;
        break;
    }
    set_signal_detail(r, in->signal);
}

/* ---- signatures ---------------------------------------------------------------------- */

static bool detail_in_signature(enum ch_crash_class c)
{
    return c == CH_CRASH_UNDEFINED_BEHAVIOR || c == CH_CRASH_MEMORY_ERROR || c == CH_CRASH_SIGNAL;
}

static void compute_signature(struct ch_sanreport *r)
{
    if (r->cls == CH_CRASH_NONE) {
        r->signature[0] = '\0';
        return;
    }
    crypto_generichash_state st;
    unsigned char h[CH_SANREPORT_SIG_HEX / 2];
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)SIGNATURE_TAG, strlen(SIGNATURE_TAG));
    char piece[CH_SANREPORT_FUNC_MAX + CH_SANREPORT_FILE_MAX + 16];
    int n = snprintf(piece, sizeof(piece), "%s\n", ch_crash_class_str(r->cls));
    crypto_generichash_update(&st, (const unsigned char *)piece, (size_t)n);
    if (detail_in_signature(r->cls)) {
        n = snprintf(piece, sizeof(piece), "%s\n", r->detail);
        crypto_generichash_update(&st, (const unsigned char *)piece, (size_t)n);
    }
    for (size_t i = 0; i < r->n_frames && i < CH_SANREPORT_SIG_FRAMES; i++) {
        frame_key(&r->frames[i], piece, sizeof(piece) - 1);
        size_t len = strlen(piece);
        piece[len] = '\n';
        crypto_generichash_update(&st, (const unsigned char *)piece, len + 1);
    }
    crypto_generichash_final(&st, h, sizeof(h));
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(h); i++) {
        r->signature[2 * i] = digits[h[i] >> 4];
        r->signature[2 * i + 1] = digits[h[i] & 15];
    }
    r->signature[CH_SANREPORT_SIG_HEX] = '\0';
}

int ch_sanreport_parse(const struct ch_sanreport_input *in, struct ch_sanreport *ret,
                       struct ch_err *err)
{
    if (in->text.len > CH_SANREPORT_MAX_TEXT)
        return ch_err_set(err, CH_E_LIMIT, "sanitizer output of %zu bytes exceeds %zu",
                          in->text.len, CH_SANREPORT_MAX_TEXT);
    struct ch_sanreport r = {.cls = CH_CRASH_NONE, .signal = in->signal};
    if (in->text.len == 0 || in->text.ptr == NULL || !parse_text(in, &r))
        classify_exit(in, &r);
    compute_signature(&r);
    *ret = r;
    return CH_OK;
}

bool ch_sanreport_similar(const struct ch_sanreport *a, const struct ch_sanreport *b)
{
    size_t na = a->n_frames < CH_SANREPORT_SIG_FRAMES ? a->n_frames : CH_SANREPORT_SIG_FRAMES;
    size_t nb = b->n_frames < CH_SANREPORT_SIG_FRAMES ? b->n_frames : CH_SANREPORT_SIG_FRAMES;
    bool used[CH_SANREPORT_SIG_FRAMES] = {false};
    int shared = 0;
    for (size_t i = 0; i < na; i++) {
        for (size_t j = 0; j < nb; j++) {
            if (!used[j] && same_frame(&a->frames[i], &b->frames[j])) {
                used[j] = true;
                shared++;
                break;
            }
        }
    }
    return shared >= 2;
}

void ch_sanreport_input_from_sandbox(const struct ch_sandbox_result *res,
                                     struct ch_sanreport_input *ret)
{
    *ret = (struct ch_sanreport_input){
        .text = ch_buf_str(&res->err),
        .exited = res->exited,
        .exit_code = res->exit_code,
        .signal = res->signal,
        .timed_out =
            res->killed_by == CH_SANDBOX_KILL_TIMEOUT || res->killed_by == CH_SANDBOX_KILL_CPU,
        .out_of_memory = res->killed_by == CH_SANDBOX_KILL_MEMORY,
    };
}
