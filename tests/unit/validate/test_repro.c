/* SPDX-License-Identifier: Apache-2.0
 *
 * Reproduction end to end: a small vulnerable C program is compiled here with
 * `cc -g -fsanitize=address,undefined`, bound read-only into the sandbox as a
 * "built target", and fed triggering and harmless inputs on stdin. The
 * captured stderr and exit status go through the report parser: harmless runs
 * must be clean, each bug classified, two inputs reaching one bug must share a
 * signature, and different bugs must not.
 */
#include "helpers.h"

#include <signal.h>

#include "validate/sanreport.h"

static const char target_src[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "\n"
    "struct entry { const char *key; int value; };\n"
    "static struct entry table[] = {{\"alpha\", 1}, {\"beta\", 2}};\n"
    "\n"
    "static void store_name(const char *in, size_t len)\n"
    "{\n"
    "    char *name = malloc(8);\n"
    "    memcpy(name, in, len); /* BUG: no bound check */\n"
    "    printf(\"name %c\\n\", name[0]);\n"
    "    free(name);\n"
    "}\n"
    "\n"
    "static int session_use(const char *in)\n"
    "{\n"
    "    char *s = malloc(32);\n"
    "    strcpy(s, \"session\");\n"
    "    if (in[0] == '!')\n"
    "        free(s); /* BUG: freed on the error path, then used */\n"
    "    int c = s[0];\n"
    "    if (in[0] != '!')\n"
    "        free(s);\n"
    "    return c;\n"
    "}\n"
    "\n"
    "static int number(const char *s)\n"
    "{\n"
    "    int n = 0;\n"
    "    while (*s >= '0' && *s <= '9' && n < 100000000)\n"
    "        n = n * 10 + (*s++ - '0');\n"
    "    return n;\n"
    "}\n"
    "\n"
    "static int add_credit(int balance, const char *in)\n"
    "{\n"
    "    int amount = number(in);\n"
    "    return balance + amount; /* BUG: signed overflow */\n"
    "}\n"
    "\n"
    "static struct entry *lookup(const char *key)\n"
    "{\n"
    "    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)\n"
    "        if (strcmp(table[i].key, key) == 0)\n"
    "            return &table[i];\n"
    "    return NULL;\n"
    "}\n"
    "\n"
    "static int value_of(const char *key)\n"
    "{\n"
    "    return lookup(key)->value; /* BUG: NULL when the key is unknown */\n"
    "}\n"
    "\n"
    "static unsigned spin(unsigned n)\n"
    "{\n"
    "    unsigned i = 0;\n"
    "    while (i != n) /* BUG: never ends for odd n */\n"
    "        i += 2;\n"
    "    return i;\n"
    "}\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "    char in[4096];\n"
    "    size_t len = fread(in, 1, sizeof(in) - 1, stdin);\n"
    "    in[len] = '\\0';\n"
    "    if (len > 0 && in[len - 1] == '\\n')\n"
    "        in[--len] = '\\0';\n"
    "    if (len < 1)\n"
    "        return 2;\n"
    "    switch (in[0]) {\n"
    "    case 'N': store_name(in + 1, len - 1); break;\n"
    "    case 'S': printf(\"%d\\n\", session_use(in + 1)); break;\n"
    "    case 'C': printf(\"%d\\n\", add_credit(2147483000, in + 1)); break;\n"
    "    case 'K': printf(\"%d\\n\", value_of(in + 1)); break;\n"
    "    case 'L': printf(\"%u\\n\", spin((unsigned)number(in + 1))); break;\n"
    "    default: return 2;\n"
    "    }\n"
    "    return 0;\n"
    "}\n";

static char *bin_dir;

static int setup(void **state)
{
    (void)state;
    bin_dir = vt_workdir();
    static const char *const flags[] = {"-g",
                                        "-O0",
                                        "-fno-omit-frame-pointer",
                                        "-fsanitize=address,undefined",
                                        "-fno-sanitize-recover=all",
                                        NULL};
    vt_compile(bin_dir, "target", target_src, flags);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ch_test_rmtree(bin_dir);
    ch_free(bin_dir);
    return 0;
}

/* Runs the target on input in a fresh sandbox and parses what it printed. */
static void repro(const char *input, struct ch_sanreport *ret, struct ch_sandbox_result *ret_run)
{
    const char *argv[] = {"/target/target", NULL};
    /*
     * ASan reserves terabytes of shadow address space: no RLIMIT_AS, its own
     * RSS limit instead. LeakSanitizer needs ptrace, which the filter denies.
     */
    const char *env[] = {
        "ASAN_OPTIONS=detect_leaks=0:hard_rss_limit_mb=512:allocator_may_return_null=0",
        "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1", NULL};
    struct ch_sandbox_bind binds[] = {{.src = bin_dir, .dst = "/target"}};
    struct ch_sandbox_options o = {
        .argv = argv,
        .env = env,
        .ro_binds = binds,
        .n_ro_binds = 1,
        .stdin_data = input,
        .stdin_len = strlen(input),
        .limits = {.as_bytes = CH_SANDBOX_UNLIMITED, .wall_ms = 3000, .cpu_seconds = 3}};
    struct ch_sandbox_result run;
    vt_run(&o, &run);
    struct ch_sanreport_input in;
    ch_sanreport_input_from_sandbox(&run, &in);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_sanreport_parse(&in, ret, &err), CH_OK);
    if (ret_run != NULL)
        *ret_run = run;
    else
        ch_sandbox_result_release(&run);
}

static void assert_clean(const char *input)
{
    struct ch_sanreport r;
    struct ch_sandbox_result run;
    repro(input, &r, &run);
    if (r.cls != CH_CRASH_NONE || !run.exited || run.exit_code != 0)
        fail_msg("harmless input '%s' gave %s (exit %d, signal %d): %s", input,
                 ch_crash_class_str(r.cls), run.exit_code, run.signal, ch_buf_cstr(&run.err));
    ch_sandbox_result_release(&run);
}

static void assert_crash(const char *input, enum ch_crash_class cls, const char *top,
                         struct ch_sanreport *ret)
{
    struct ch_sandbox_result run;
    repro(input, ret, &run);
    if (ret->cls != cls)
        fail_msg("input '%s' gave %s, want %s; stderr:\n%s", input, ch_crash_class_str(ret->cls),
                 ch_crash_class_str(cls), ch_buf_cstr(&run.err));
    assert_true(ret->n_frames >= 1);
    assert_string_equal(ret->frames[0].function, top);
    assert_int_equal(strlen(ret->signature), CH_SANREPORT_SIG_HEX);
    ch_sandbox_result_release(&run);
}

static void test_repro_heap_overflow(void **state)
{
    (void)state;
    assert_clean("Nbob");
    struct ch_sanreport a;
    struct ch_sanreport b;
    assert_crash("Nalexander-the-great", CH_CRASH_HEAP_BUFFER_OVERFLOW, "store_name", &a);
    assert_int_equal(a.access, CH_ACCESS_WRITE);
    assert_int_equal(a.access_size, 19);
    assert_string_equal(a.frames[1].function, "main");
    assert_string_equal(a.frames[0].file, "target.c");
    assert_int_equal(a.frames[0].line, 11);
    assert_crash("N0123456789abcdefghijklmnopqrstuvwxyz", CH_CRASH_HEAP_BUFFER_OVERFLOW,
                 "store_name", &b);
    assert_string_equal(a.signature, b.signature);
    assert_true(ch_sanreport_similar(&a, &b));
}

static void test_repro_use_after_free(void **state)
{
    (void)state;
    assert_clean("Sok");
    struct ch_sanreport a;
    struct ch_sanreport b;
    assert_crash("S!", CH_CRASH_HEAP_USE_AFTER_FREE, "session_use", &a);
    assert_int_equal(a.access, CH_ACCESS_READ);
    assert_crash("S!again", CH_CRASH_HEAP_USE_AFTER_FREE, "session_use", &b);
    assert_string_equal(a.signature, b.signature);
}

static void test_repro_signed_overflow(void **state)
{
    (void)state;
    assert_clean("C10");
    struct ch_sanreport a;
    struct ch_sanreport b;
    assert_crash("C1000", CH_CRASH_SIGNED_INTEGER_OVERFLOW, "add_credit", &a);
    assert_crash("C2000000", CH_CRASH_SIGNED_INTEGER_OVERFLOW, "add_credit", &b);
    assert_string_equal(a.signature, b.signature);
}

static void test_repro_null_deref(void **state)
{
    (void)state;
    assert_clean("Kalpha");
    struct ch_sanreport a;
    struct ch_sanreport b;
    /* UBSan reports the member access within a null pointer before ASan sees a SEGV */
    assert_crash("Kgamma", CH_CRASH_NULL_DEREF, "value_of", &a);
    assert_crash("Kdelta", CH_CRASH_NULL_DEREF, "value_of", &b);
    assert_string_equal(a.signature, b.signature);
}

static void test_repro_infinite_loop(void **state)
{
    (void)state;
    assert_clean("L10");
    struct ch_sanreport r;
    struct ch_sandbox_result run;
    repro("L7", &r, &run);
    assert_true(run.killed_by == CH_SANDBOX_KILL_TIMEOUT || run.killed_by == CH_SANDBOX_KILL_CPU);
    assert_int_equal(r.cls, CH_CRASH_TIMEOUT);
    ch_sandbox_result_release(&run);
}

static void test_repro_signatures_distinguish_bugs(void **state)
{
    (void)state;
    const char *inputs[] = {"Nalexander-the-great", "S!", "C1000", "Kgamma"};
    char sigs[CH_ARRAY_SIZE(inputs)][CH_SANREPORT_SIG_HEX + 1];
    for (size_t i = 0; i < CH_ARRAY_SIZE(inputs); i++) {
        struct ch_sanreport r;
        repro(inputs[i], &r, NULL);
        assert_true(ch_sanreport_is_crash(&r));
        memcpy(sigs[i], r.signature, sizeof(sigs[i]));
        for (size_t j = 0; j < i; j++) {
            if (strcmp(sigs[i], sigs[j]) == 0)
                fail_msg("'%s' and '%s' share a signature", inputs[i], inputs[j]);
        }
    }
}

int main(void)
{
    vt_require_sandbox();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repro_heap_overflow),
        cmocka_unit_test(test_repro_use_after_free),
        cmocka_unit_test(test_repro_signed_overflow),
        cmocka_unit_test(test_repro_null_deref),
        cmocka_unit_test(test_repro_infinite_loop),
        cmocka_unit_test(test_repro_signatures_distinguish_bugs),
    };
    return cmocka_run_group_tests_name("validate/repro", tests, setup, teardown);
}
