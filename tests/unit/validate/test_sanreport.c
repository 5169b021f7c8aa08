/* SPDX-License-Identifier: Apache-2.0
 *
 * Unit tests: the sanitizer-report parser on captured reports
 * (tests/fixtures/validate, gcc 12 and clang 14 dialects), normalisation of
 * frames, signatures and their similarity helper.
 */
#include "testutil.h"

#include <signal.h>
#include <string.h>

#include "core/alloc.h"
#include "validate/sandbox.h"
#include "validate/sanreport.h"

void ch_sanreport__normalize_function(struct ch_str in, char *out, size_t cap);
void ch_sanreport__normalize_detail(struct ch_str in, char *out, size_t cap);

struct expect {
    const char *fixture;
    int signal; /* how the run ended (libc reports need SIGABRT) */
    enum ch_crash_class cls;
    enum ch_sanitizer tool;
    enum ch_access access;
    uint64_t size;
    const char *f0; /* first two frames ("" = none expected) */
    const char *f1;
};

static const struct expect cases[] = {
    {"heap_write", 0, CH_CRASH_HEAP_BUFFER_OVERFLOW, CH_SANITIZER_ASAN, CH_ACCESS_WRITE, 17,
     "heap_write", "main"},
    {"heap_read", 0, CH_CRASH_HEAP_BUFFER_OVERFLOW, CH_SANITIZER_ASAN, CH_ACCESS_READ, 4,
     "heap_read", "main"},
    {"uaf", 0, CH_CRASH_HEAP_USE_AFTER_FREE, CH_SANITIZER_ASAN, CH_ACCESS_READ, 1, "use_after_free",
     "main"},
    {"double_free", 0, CH_CRASH_DOUBLE_FREE, CH_SANITIZER_ASAN, CH_ACCESS_UNKNOWN, 0, "double_free",
     "main"},
    {"asan_stack", 0, CH_CRASH_STACK_BUFFER_OVERFLOW, CH_SANITIZER_ASAN, CH_ACCESS_READ, 4,
     "stack_over", "main"},
    {"asan_global", 0, CH_CRASH_GLOBAL_BUFFER_OVERFLOW, CH_SANITIZER_ASAN, CH_ACCESS_READ, 1,
     "global_over", "main"},
    {"segv_null", 0, CH_CRASH_NULL_DEREF, CH_SANITIZER_ASAN, CH_ACCESS_READ, 0, "null_deref",
     "main"},
    {"segv_wild", 0, CH_CRASH_SEGV, CH_SANITIZER_ASAN, CH_ACCESS_READ, 0, "wild", "main"},
    {"recurse", 0, CH_CRASH_STACK_OVERFLOW, CH_SANITIZER_ASAN, CH_ACCESS_UNKNOWN, 0, "recurse", ""},
    {"huge", 0, CH_CRASH_BAD_ALLOCATION_SIZE, CH_SANITIZER_ASAN, CH_ACCESS_UNKNOWN, 0, "huge",
     "main"},
    {"leak", 0, CH_CRASH_MEMORY_LEAK, CH_SANITIZER_LSAN, CH_ACCESS_UNKNOWN, 77, "leak", "main"},
    {"overflow", 0, CH_CRASH_SIGNED_INTEGER_OVERFLOW, CH_SANITIZER_UBSAN, CH_ACCESS_UNKNOWN, 0,
     "add", "main"},
    {"div", 0, CH_CRASH_DIVISION_BY_ZERO, CH_SANITIZER_UBSAN, CH_ACCESS_UNKNOWN, 0, "divide",
     "main"},
    {"shift", 0, CH_CRASH_SHIFT_OUT_OF_BOUNDS, CH_SANITIZER_UBSAN, CH_ACCESS_UNKNOWN, 0, "shift",
     "main"},
    {"null", 0, CH_CRASH_NULL_DEREF, CH_SANITIZER_UBSAN, CH_ACCESS_UNKNOWN, 0, "null_deref",
     "main"},
    {"ubsan_bounds_stack", 0, CH_CRASH_INDEX_OUT_OF_BOUNDS, CH_SANITIZER_UBSAN, CH_ACCESS_UNKNOWN,
     0, "stack_over", "main"},
    {"ubsan_bounds_global", 0, CH_CRASH_INDEX_OUT_OF_BOUNDS, CH_SANITIZER_UBSAN, CH_ACCESS_UNKNOWN,
     0, "global_over", "main"},
    {"cxx_template", 0, CH_CRASH_HEAP_BUFFER_OVERFLOW, CH_SANITIZER_ASAN, CH_ACCESS_READ, 8,
     "ns::Box::get", "ns::pick"},
};

/* Fixtures only one compiler produced. */
static const struct expect single[] = {
    {"misaligned.clang", 0, CH_CRASH_MISALIGNED_ADDRESS, CH_SANITIZER_UBSAN, CH_ACCESS_UNKNOWN, 0,
     "misaligned", "main"},
    {"msan.clang", 0, CH_CRASH_UNINITIALIZED_VALUE, CH_SANITIZER_MSAN, CH_ACCESS_UNKNOWN, 0,
     "check", "main"},
    {"overflow_nostack.clang", 0, CH_CRASH_SIGNED_INTEGER_OVERFLOW, CH_SANITIZER_UBSAN,
     CH_ACCESS_UNKNOWN, 0, "", ""},
    {"libc_double_free.gcc", SIGABRT, CH_CRASH_DOUBLE_FREE, CH_SANITIZER_LIBC, CH_ACCESS_UNKNOWN, 0,
     "", ""},
    {"libc_stack_smash.gcc", SIGABRT, CH_CRASH_STACK_BUFFER_OVERFLOW, CH_SANITIZER_LIBC,
     CH_ACCESS_UNKNOWN, 0, "", ""},
};

static void parse_fixture(const char *name, int sig, struct ch_sanreport *r)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "validate/%s.txt", name);
    char *path = ch_test_fixture(rel);
    struct ch_buf text;
    ch_buf_init(&text, 1 << 20);
    ch_test_read_file(path, &text);
    struct ch_sanreport_input in = {.text = ch_buf_str(&text),
                                    .exited = sig == 0,
                                    .exit_code = sig == 0 ? 1 : 0,
                                    .signal = sig};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_sanreport_parse(&in, r, &err), CH_OK);
    ch_buf_release(&text);
    ch_free(path);
}

static void check(const struct expect *e, const struct ch_sanreport *r, const char *name)
{
    if (r->cls != e->cls || r->tool != e->tool)
        fail_msg("%s: got %s/%s, want %s/%s", name, ch_crash_class_str(r->cls),
                 ch_sanitizer_str(r->tool), ch_crash_class_str(e->cls), ch_sanitizer_str(e->tool));
    assert_int_equal(r->access, e->access);
    assert_int_equal(r->access_size, e->size);
    if (e->f0[0] != '\0') {
        assert_true(r->n_frames >= 1);
        assert_string_equal(r->frames[0].function, e->f0);
    }
    if (e->f1[0] != '\0') {
        assert_true(r->n_frames >= 2);
        assert_string_equal(r->frames[1].function, e->f1);
    }
    assert_int_equal(strlen(r->signature), CH_SANREPORT_SIG_HEX);
    for (size_t i = 0; i < CH_SANREPORT_SIG_HEX; i++)
        assert_non_null(strchr("0123456789abcdef", r->signature[i]));
}

static void test_sanreport_parse_classifies_both_dialects(void **state)
{
    (void)state;
    for (size_t i = 0; i < CH_ARRAY_SIZE(cases); i++) {
        struct ch_sanreport g;
        struct ch_sanreport c;
        char name[128];
        snprintf(name, sizeof(name), "%s.gcc", cases[i].fixture);
        parse_fixture(name, cases[i].signal, &g);
        check(&cases[i], &g, name);
        snprintf(name, sizeof(name), "%s.clang", cases[i].fixture);
        parse_fixture(name, cases[i].signal, &c);
        check(&cases[i], &c, name);
        /* the same bug built by either compiler has the same signature */
        if (strcmp(g.signature, c.signature) != 0)
            fail_msg("%s: gcc and clang signatures differ", cases[i].fixture);
    }
    for (size_t i = 0; i < CH_ARRAY_SIZE(single); i++) {
        struct ch_sanreport r;
        parse_fixture(single[i].fixture, single[i].signal, &r);
        check(&single[i], &r, single[i].fixture);
    }
}

static void test_sanreport_parse_keeps_source_locations(void **state)
{
    (void)state;
    struct ch_sanreport r;
    parse_fixture("heap_write.clang", 0, &r);
    assert_string_equal(r.frames[0].file, "vuln.c");
    assert_int_equal(r.frames[0].line, 8);
    assert_string_equal(r.frames[1].file, "vuln.c");
    assert_int_equal(r.frames[1].line, 28);
    assert_true(r.has_address);
    assert_int_equal(r.address, 0x602000000018);
    assert_int_equal(r.n_frames, 2); /* interceptor, libc and _start frames skipped */

    parse_fixture("overflow_nostack.clang", 0, &r);
    assert_int_equal(r.n_frames, 1);
    assert_string_equal(r.frames[0].function, "");
    assert_string_equal(r.frames[0].file, "vuln.c");
    assert_int_equal(r.frames[0].line, 17);
    assert_string_equal(r.detail,
                        "signed integer overflow: N + N cannot be represented in type 'int'");
}

static void test_sanreport_signatures_separate_bugs(void **state)
{
    (void)state;
    const char *names[] = {
        "heap_write.gcc", "heap_read.gcc",    "uaf.gcc",       "double_free.gcc",
        "asan_stack.gcc", "asan_global.gcc",  "segv_wild.gcc", "recurse.gcc",
        "leak.gcc",       "overflow.gcc",     "div.gcc",       "shift.gcc",
        "null.gcc",       "misaligned.clang", "msan.clang",    "libc_double_free.gcc"};
    char sigs[CH_ARRAY_SIZE(names)][CH_SANREPORT_SIG_HEX + 1];
    for (size_t i = 0; i < CH_ARRAY_SIZE(names); i++) {
        struct ch_sanreport r;
        parse_fixture(names[i], strstr(names[i], "libc") != NULL ? SIGABRT : 0, &r);
        memcpy(sigs[i], r.signature, sizeof(sigs[i]));
        for (size_t j = 0; j < i; j++) {
            if (strcmp(sigs[i], sigs[j]) == 0)
                fail_msg("%s and %s share a signature", names[i], names[j]);
        }
    }
    /* ASan's SEGV at NULL and UBSan's null load in the same function are one bug */
    struct ch_sanreport a;
    struct ch_sanreport b;
    parse_fixture("segv_null.clang", 0, &a);
    parse_fixture("null.gcc", 0, &b);
    assert_string_equal(a.signature, b.signature);
}

static void test_sanreport_similar_needs_two_shared_frames(void **state)
{
    (void)state;
    struct ch_sanreport a = {.cls = CH_CRASH_HEAP_BUFFER_OVERFLOW, .n_frames = 3};
    struct ch_sanreport b = a;
    snprintf(a.frames[0].function, CH_SANREPORT_FUNC_MAX, "parse_chunk");
    snprintf(a.frames[1].function, CH_SANREPORT_FUNC_MAX, "read_header");
    snprintf(a.frames[2].function, CH_SANREPORT_FUNC_MAX, "main");
    snprintf(b.frames[0].function, CH_SANREPORT_FUNC_MAX, "memcpy_checked");
    snprintf(b.frames[1].function, CH_SANREPORT_FUNC_MAX, "parse_chunk");
    snprintf(b.frames[2].function, CH_SANREPORT_FUNC_MAX, "read_header");
    assert_true(ch_sanreport_similar(&a, &b));
    assert_true(ch_sanreport_similar(&b, &a));
    snprintf(b.frames[2].function, CH_SANREPORT_FUNC_MAX, "other");
    assert_false(ch_sanreport_similar(&a, &b));
    /* a frame counts once even when repeated on the other side */
    snprintf(b.frames[0].function, CH_SANREPORT_FUNC_MAX, "parse_chunk");
    assert_false(ch_sanreport_similar(&a, &b));
    /* real reports: the same bug through gcc and clang */
    struct ch_sanreport g;
    struct ch_sanreport c;
    parse_fixture("uaf.gcc", 0, &g);
    parse_fixture("uaf.clang", 0, &c);
    assert_true(ch_sanreport_similar(&g, &c));
    parse_fixture("heap_read.gcc", 0, &c);
    assert_false(ch_sanreport_similar(&g, &c)); /* only main is shared */
}

static void norm_fn(const char *in, const char *want)
{
    char out[CH_SANREPORT_FUNC_MAX];
    ch_sanreport__normalize_function(ch_str_c(in), out, sizeof(out));
    if (strcmp(out, want) != 0)
        fail_msg("normalize_function('%s') = '%s', want '%s'", in, out, want);
}

static void test_sanreport_normalize_function(void **state)
{
    (void)state;
    norm_fn("vuln", "vuln");
    norm_fn("ns::Box<long>::get(int) const", "ns::Box::get");
    norm_fn("long ns::pick<long>(ns::Box<long> const&, int)", "ns::pick");
    norm_fn("std::vector<int, std::allocator<int> >::at(unsigned long)", "std::vector::at");
    norm_fn("(anonymous namespace)::Parser::next()", "(anonymous namespace)::Parser::next");
    norm_fn("parse_header.cold", "parse_header");
    norm_fn("parse_header.isra.0", "parse_header");
    norm_fn("decode.constprop.0.lto_priv.0", "decode");
    norm_fn("inflate [clone .part.0]", "inflate");
    norm_fn("operator new[](unsigned long)", "operator new[]");
    norm_fn("std::operator<< <char>(std::ostream&, char const*)", "std::operator<<");
    norm_fn("bool operator< <int>(Foo<int> const&, Foo<int> const&)", "bool operator<");
    norm_fn("core::panicking::panic::h0123456789abcdef", "core::panicking::panic");
    norm_fn("  spaced  ", "spaced");
    norm_fn("", "");
    /* a name longer than the output is cut, never overrun */
    char longname[1000];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    char out[16];
    ch_sanreport__normalize_function(ch_str_c(longname), out, sizeof(out));
    assert_int_equal(strlen(out), sizeof(out) - 1);
}

static void test_sanreport_normalize_detail(void **state)
{
    (void)state;
    char out[CH_SANREPORT_DETAIL_MAX];
    ch_sanreport__normalize_detail(
        ch_str_c("heap-buffer-overflow on address 0x602000000018 at pc 0x55 bp 0x7ffc sp 0x7ffc"),
        out, sizeof(out));
    assert_string_equal(out, "heap-buffer-overflow on address N at pc N bp N sp N");
    ch_sanreport__normalize_detail(ch_str_c("negation of -2147483648 cannot be represented"), out,
                                   sizeof(out));
    assert_string_equal(out, "negation of N cannot be represented");
    ch_sanreport__normalize_detail(ch_str_c("a\tb   c\x01"), out, sizeof(out));
    assert_string_equal(out, "a b c?");
}

static void parse_text(const char *text, int sig, bool timed_out, bool oom, struct ch_sanreport *r)
{
    struct ch_sanreport_input in = {.text = ch_str_c(text),
                                    .exited = sig == 0,
                                    .signal = sig,
                                    .timed_out = timed_out,
                                    .out_of_memory = oom};
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_sanreport_parse(&in, r, &err), CH_OK);
}

static void test_sanreport_parse_without_report(void **state)
{
    (void)state;
    struct ch_sanreport r;
    parse_text("all good\n", 0, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_NONE);
    assert_false(ch_sanreport_is_crash(&r));
    assert_string_equal(r.signature, "");
    parse_text("", SIGSEGV, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_SEGV);
    assert_string_equal(r.detail, "SIGSEGV");
    assert_int_equal(strlen(r.signature), CH_SANREPORT_SIG_HEX);
    parse_text("", SIGABRT, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_ABORT);
    parse_text("", SIGFPE, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_DIVISION_BY_ZERO);
    struct ch_sanreport bus;
    parse_text("", SIGBUS, false, false, &bus);
    assert_int_equal(bus.cls, CH_CRASH_SIGNAL);
    parse_text("", SIGILL, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_SIGNAL);
    assert_string_not_equal(r.signature, bus.signature); /* the signal is part of it */
    parse_text("", SIGKILL, true, false, &r);
    assert_int_equal(r.cls, CH_CRASH_TIMEOUT);
    parse_text("", SIGXCPU, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_TIMEOUT);
    parse_text("out of memory\n", 0, false, true, &r);
    assert_int_equal(r.cls, CH_CRASH_OUT_OF_MEMORY);
    /* glibc's message alone, without the abort, is only text */
    parse_text("free(): double free detected in tcache 2\n", 0, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_NONE);
}

static void test_sanreport_parse_odd_text(void **state)
{
    (void)state;
    struct ch_sanreport r;
    /* a report after program output on the same line, CRLF line ends */
    parse_text("progress...==7==ERROR: AddressSanitizer: heap-use-after-free on address "
               "0x602000000013 at pc 0x1 bp 0x2 sp 0x3\r\nREAD of size 1 at 0x602000000013 "
               "thread T0\r\n    #0 0x55 in f /src/a.c:3:5\r\n    #1 0x56 in main /src/a.c:9\r\n",
               0, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_HEAP_USE_AFTER_FREE);
    assert_int_equal(r.n_frames, 2);
    assert_string_equal(r.frames[0].function, "f");
    assert_int_equal(r.frames[0].line, 3);
    /* unknown ASan bug types and UBSan checks fall into catch-all classes keyed by message */
    parse_text("==1==ERROR: AddressSanitizer: container-overflow on address 0x1\n", 0, false, false,
               &r);
    assert_int_equal(r.cls, CH_CRASH_MEMORY_ERROR);
    assert_string_equal(r.detail, "container-overflow");
    struct ch_sanreport u1;
    struct ch_sanreport u2;
    parse_text("a.c:1:2: runtime error: load of value 7, which is not a valid value for type "
               "'bool'\n",
               0, false, false, &u1);
    parse_text("a.c:1:2: runtime error: load of value 9, which is not a valid value for type "
               "'bool'\n",
               0, false, false, &u2);
    assert_int_equal(u1.cls, CH_CRASH_UNDEFINED_BEHAVIOR);
    assert_string_equal(u1.signature, u2.signature);
    /* frames: unsymbolised, module-only, hostile */
    parse_text("==1==ERROR: AddressSanitizer: SEGV on unknown address (pc 0x1 bp 0x2 sp 0x3 T0)\n"
               "==1==Hint: address points to the zero page.\n"
               "    #0 0x4011  (/opt/app/bin/server+0x4011)\n"
               "    #1 0x4022 in handler (/opt/app/bin/server+0x4022) (BuildId: abc)\n"
               "    #2 0x7f in __libc_start_main (/lib/x86_64-linux-gnu/libc.so.6+0x29d90)\n"
               "    #3 garbage\n",
               0, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_NULL_DEREF);
    assert_false(r.has_address);
    assert_int_equal(r.n_frames, 2);
    assert_string_equal(r.frames[0].function, "");
    assert_string_equal(r.frames[0].file, "server");
    assert_string_equal(r.frames[1].function, "handler");
    /* only the first report counts */
    parse_text("x.c:1:1: runtime error: division by zero\n"
               "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1\n",
               0, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_DIVISION_BY_ZERO);
    assert_int_equal(r.n_frames, 1);
    assert_string_equal(r.frames[0].file, "x.c");
    /* libFuzzer's own verdicts */
    parse_text("==1== ERROR: libFuzzer: timeout after 25 seconds\n", SIGKILL, false, false, &r);
    assert_int_equal(r.cls, CH_CRASH_TIMEOUT);
    assert_int_equal(r.tool, CH_SANITIZER_LIBFUZZER);
}

static void test_sanreport_parse_rejects_huge_text(void **state)
{
    (void)state;
    struct ch_sanreport_input in = {.text = ch_str_make("x", CH_SANREPORT_MAX_TEXT + 1)};
    struct ch_sanreport r;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_sanreport_parse(&in, &r, &err), CH_E_LIMIT);
    assert_true(err.msg[0] != '\0');
}

static void test_sanreport_input_from_sandbox(void **state)
{
    (void)state;
    struct ch_sandbox_result res = {
        .exited = false, .signal = SIGKILL, .killed_by = CH_SANDBOX_KILL_TIMEOUT};
    ch_buf_init(&res.out, 16);
    ch_buf_init(&res.err, 64);
    assert_int_equal(ch_buf_append_c(&res.err, "hello"), CH_OK);
    struct ch_sanreport_input in;
    ch_sanreport_input_from_sandbox(&res, &in);
    assert_true(in.timed_out);
    assert_false(in.out_of_memory);
    assert_int_equal(in.signal, SIGKILL);
    assert_true(ch_str_eq_c(in.text, "hello"));
    res.killed_by = CH_SANDBOX_KILL_MEMORY;
    ch_sanreport_input_from_sandbox(&res, &in);
    assert_true(in.out_of_memory);
    ch_sandbox_result_release(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanreport_parse_classifies_both_dialects),
        cmocka_unit_test(test_sanreport_parse_keeps_source_locations),
        cmocka_unit_test(test_sanreport_signatures_separate_bugs),
        cmocka_unit_test(test_sanreport_similar_needs_two_shared_frames),
        cmocka_unit_test(test_sanreport_normalize_function),
        cmocka_unit_test(test_sanreport_normalize_detail),
        cmocka_unit_test(test_sanreport_parse_without_report),
        cmocka_unit_test(test_sanreport_parse_odd_text),
        cmocka_unit_test(test_sanreport_parse_rejects_huge_text),
        cmocka_unit_test(test_sanreport_input_from_sandbox),
    };
    return cmocka_run_group_tests_name("validate/sanreport", tests, NULL, NULL);
}
