/* SPDX-License-Identifier: Apache-2.0
 *
 * Unit tests: the bubblewrap sandbox. Each containment property is its own
 * test and is attacked by a real program: small hostile C programs compiled
 * here with the system compiler, or /bin/sh one-liners run inside. The tests
 * skip (exit 77) only when bubblewrap cannot create namespaces here.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include "core/clock.h"

static const char *const no_flags[] = {"-O1", NULL};

static int64_t now_ms(void)
{
    return ch_clock_mono_ms();
}

static bool out_has(const struct ch_sandbox_result *r, const char *s)
{
    return ch_test_contains(ch_buf_cstr(&r->out), s);
}

static bool err_has(const struct ch_sandbox_result *r, const char *s)
{
    return ch_test_contains(ch_buf_cstr(&r->err), s);
}

/* Number of processes on the host whose command line contains marker. */
static int count_marked_processes(const char *marker)
{
    DIR *d = opendir("/proc");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        char buf[4096];
        ssize_t len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (len <= 0)
            continue;
        for (ssize_t i = 0; i < len; i++) {
            if (buf[i] == '\0')
                buf[i] = ' ';
        }
        buf[len] = '\0';
        if (strstr(buf, marker) != NULL)
            n++;
    }
    closedir(d);
    return n;
}

/* Waits up to 2 s for every process carrying marker to be gone. */
static void assert_no_leftovers(const char *marker)
{
    int64_t until = now_ms() + 2000;
    int n;
    while ((n = count_marked_processes(marker)) > 0 && now_ms() < until)
        usleep(20000);
    if (n > 0)
        fail_msg("%d sandboxed processes survived the run", n);
}

/* ---- a well-behaved program ------------------------------------------------------------ */

static void test_sandbox_run_propagates_output_and_status(void **state)
{
    (void)state;
    char *work = vt_workdir();
    const char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; echo $FOO; exit 42", NULL};
    const char *env[] = {"FOO=bar baz", NULL};
    struct ch_sandbox_options o = {.argv = argv, .work_dir = work, .env = env};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(r.exited);
    assert_int_equal(r.exit_code, 42);
    assert_int_equal(r.signal, 0);
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_NONE);
    assert_string_equal(ch_buf_cstr(&r.out), "out\nbar baz\n");
    assert_string_equal(ch_buf_cstr(&r.err), "err\n");
    assert_false(r.out_truncated);
    assert_true(r.wall_us > 0);
    ch_sandbox_result_release(&r);

    const char *ok[] = {"/usr/bin/true", NULL};
    o = (struct ch_sandbox_options){.argv = ok};
    vt_run(&o, &r);
    assert_true(r.exited);
    assert_int_equal(r.exit_code, 0);
    ch_sandbox_result_release(&r);
    ch_test_rmtree(work);
    ch_free(work);
}

static void test_sandbox_run_feeds_stdin(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/cat", NULL};
    static const char input[] = "line one\nline\0two\n";
    struct ch_sandbox_options o = {
        .argv = argv, .stdin_data = input, .stdin_len = sizeof(input) - 1};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(r.exited);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(ch_buf_len(&r.out), sizeof(input) - 1);
    assert_memory_equal(ch_buf_cstr(&r.out), input, sizeof(input) - 1);
    ch_sandbox_result_release(&r);
}

static void test_sandbox_run_reports_signal(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/sh", "-c", "kill -SEGV $$", NULL};
    struct ch_sandbox_options o = {.argv = argv};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_false(r.exited);
    assert_int_equal(r.signal, SIGSEGV);
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_NONE);
    ch_sandbox_result_release(&r);
}

static void test_sandbox_run_identity_is_unprivileged(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/sh", "-c",
                          "id -u; id -g; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status; "
                          "unshare -U true && echo USERNS-ALLOWED; hostname; "
                          "ls /proc | grep -c '^[0-9]'",
                          NULL};
    struct ch_sandbox_options o = {.argv = argv};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(r.exited);
    const char *out = ch_buf_cstr(&r.out);
    assert_true(ch_test_contains(out, "65534\n65534\n"));
    assert_true(ch_test_contains(out, "CapEff:\t0000000000000000"));
    assert_true(ch_test_contains(out, "CapPrm:\t0000000000000000"));
    assert_true(ch_test_contains(out, "CapBnd:\t0000000000000000"));
    assert_false(ch_test_contains(out, "USERNS-ALLOWED"));
    assert_true(ch_test_contains(out, "sandbox\n"));
    ch_sandbox_result_release(&r);
}

static void test_sandbox_run_binds_read_only_extras(void **state)
{
    (void)state;
    char *tool = vt_workdir();
    char path[1024];
    snprintf(path, sizeof(path), "%s/version.txt", tool);
    ch_test_write_file(path, "tool 1.0\n", 9);
    assert_int_equal(chmod(path, 0644), 0);
    struct ch_sandbox_bind binds[] = {{.src = tool, .dst = "/opt/tool"}};
    const char *argv[] = {"/bin/sh", "-c",
                          "cat /opt/tool/version.txt; echo x > /opt/tool/new && echo WROTE", NULL};
    struct ch_sandbox_options o = {.argv = argv, .ro_binds = binds, .n_ro_binds = 1};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(out_has(&r, "tool 1.0"));
    assert_false(out_has(&r, "WROTE"));
    snprintf(path, sizeof(path), "%s/new", tool);
    assert_int_equal(access(path, F_OK), -1);
    ch_sandbox_result_release(&r);
    ch_test_rmtree(tool);
    ch_free(tool);
}

/* ---- containment ------------------------------------------------------------------------ */

static const char net_src[] =
    "#include <arpa/inet.h>\n#include <errno.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
    "#include <string.h>\n#include <sys/socket.h>\n#include <unistd.h>\n"
    "static int port_of(const char *s) { int p = 0; while (*s >= '0' && *s <= '9') p = p * 10 + "
    "*s++ - '0'; return p; }\n"
    "int main(int argc, char **argv) {\n"
    "  int sv[2];\n"
    "  printf(\"unix=%d\\n\", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));\n"
    "  int s = socket(AF_INET, SOCK_STREAM, 0);\n"
    "  if (s < 0) { printf(\"socket: %s\\n\", strerror(errno)); }\n"
    "  int s6 = socket(AF_INET6, SOCK_DGRAM, 0);\n"
    "  if (s6 < 0) { printf(\"socket6: %s\\n\", strerror(errno)); }\n"
    "  int nl = socket(AF_NETLINK, SOCK_RAW, 0);\n"
    "  if (nl < 0) { printf(\"netlink: %s\\n\", strerror(errno)); }\n"
    "  if (s < 0) return 2;\n"
    "  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port_of(argv[1]))};\n"
    "  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);\n"
    "  if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) { puts(\"CONNECTED\"); return 0; }\n"
    "  printf(\"connect: %s\\n\", strerror(errno));\n"
    "  return 1;\n"
    "}\n";

static void test_sandbox_blocks_network(void **state)
{
    (void)state;
    int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(srv >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv, 8), 0);
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(srv, (struct sockaddr *)&a, &alen), 0);
    char port[16];
    snprintf(port, sizeof(port), "%u", (unsigned)ntohs(a.sin_port));

    char *work = vt_workdir();
    vt_compile(work, "net", net_src, no_flags);
    const char *argv[] = {"/job/net", port, NULL};
    struct ch_sandbox_options o = {.argv = argv, .work_dir = work};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_false(out_has(&r, "CONNECTED"));
    assert_true(r.exited);
    assert_int_not_equal(r.exit_code, 0);
    /* seccomp: only AF_UNIX sockets may be created, and those still work */
    assert_true(out_has(&r, "unix=0"));
    assert_true(out_has(&r, "socket: Operation not permitted"));
    assert_true(out_has(&r, "socket6: Operation not permitted"));
    assert_true(out_has(&r, "netlink: Operation not permitted"));
    /* nothing reached the listening server */
    int c = accept(srv, NULL, NULL);
    assert_int_equal(c, -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    close(srv);
    ch_sandbox_result_release(&r);
    ch_test_rmtree(work);
    ch_free(work);
}

static void test_sandbox_hides_files_outside_work_dir(void **state)
{
    (void)state;
    char *secret_dir = ch_test_tmpdir();
    char secret[1024];
    snprintf(secret, sizeof(secret), "%s/key.pem", secret_dir);
    static const char key[] = "TOP-SECRET-KEY-MATERIAL";
    ch_test_write_file(secret, key, sizeof(key) - 1);
    char *work = vt_workdir();
    char cmd[3000];
    snprintf(cmd, sizeof(cmd),
             "cat '%s'; cat /etc/shadow; cat /etc/passwd; ls /root; cat /proc/1/root%s; "
             "ls -d '%s' && echo DIR-VISIBLE; exit 0",
             secret, secret, secret_dir);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    struct ch_sandbox_options o = {.argv = argv, .work_dir = work};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(r.exited);
    assert_false(out_has(&r, key));
    assert_false(err_has(&r, key));
    assert_false(out_has(&r, "DIR-VISIBLE"));
    assert_false(out_has(&r, "root:"));
    assert_true(err_has(&r, "/etc/shadow: No such file or directory"));
    assert_true(err_has(&r, "key.pem: No such file or directory"));
    ch_sandbox_result_release(&r);
    ch_test_rmtree(work);
    ch_free(work);
    ch_test_rmtree(secret_dir);
    ch_free(secret_dir);
}

static void test_sandbox_prevents_writes_outside_work_dir(void **state)
{
    (void)state;
    char *work = vt_workdir();
    char *outside = ch_test_tmpdir();
    assert_int_equal(chmod(outside, 0777), 0);
    char cmd[3000];
    snprintf(cmd, sizeof(cmd),
             "for f in /usr/evil /evil /lib/evil /proc/evil '%s/evil'; do "
             "echo x > $f 2>/dev/null && echo WROTE $f; done; "
             "echo tmp > /tmp/t && cat /tmp/t; echo job > /job/result; exit 0",
             outside);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    struct ch_sandbox_options o = {.argv = argv, .work_dir = work};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(r.exited);
    assert_false(out_has(&r, "WROTE"));
    assert_true(out_has(&r, "tmp\n"));
    char path[1024];
    snprintf(path, sizeof(path), "%s/evil", outside);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access("/usr/evil", F_OK), -1);
    assert_int_equal(access("/evil", F_OK), -1);
    /* the work directory is the one writable place, and the host sees the result */
    struct ch_buf b;
    ch_buf_init(&b, 1024);
    snprintf(path, sizeof(path), "%s/result", work);
    ch_test_read_file(path, &b);
    assert_string_equal(ch_buf_cstr(&b), "job\n");
    ch_buf_release(&b);
    ch_sandbox_result_release(&r);
    ch_test_rmtree(work);
    ch_free(work);
    ch_test_rmtree(outside);
    ch_free(outside);
}

static void test_sandbox_caps_tmp_size(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/sh", "-c",
                          "head -c 3000000 /dev/zero > /tmp/big || echo FULL; exit 0", NULL};
    struct ch_sandbox_options o = {.argv = argv, .limits = {.tmp_bytes = 1 << 20}};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(out_has(&r, "FULL"));
    assert_true(err_has(&r, "No space left on device"));
    ch_sandbox_result_release(&r);
}

static const char forkbomb_src[] =
    "#include <unistd.h>\n"
    "int main(int argc, char **argv) { (void)argc; (void)argv; for (;;) fork(); }\n";

static void test_sandbox_contains_fork_bomb(void **state)
{
    (void)state;
    char *work = vt_workdir();
    vt_compile(work, "forkbomb", forkbomb_src, no_flags);
    char marker[64];
    snprintf(marker, sizeof(marker), "ch-forkbomb-%d", (int)getpid());
    const char *argv[] = {"/job/forkbomb", marker, NULL};
    /* a host uid of its own, so the bomb cannot eat other sandboxes' process budget */
    uint32_t uid = 61000u + (uint32_t)(getpid() % 1000);
    struct ch_sandbox_options o = {.argv = argv,
                                   .work_dir = work,
                                   .host_uid = uid,
                                   .host_gid = uid,
                                   .limits = {.wall_ms = 2000, .n_procs = 32, .cpu_seconds = 2}};
    struct ch_sandbox_result r;
    int64_t t0 = now_ms();
    vt_run(&o, &r);
    int64_t took = now_ms() - t0;
    assert_true(took < 6000);
    assert_false(r.exited && r.exit_code == 0);
    assert_true(r.killed_by == CH_SANDBOX_KILL_TIMEOUT || r.killed_by == CH_SANDBOX_KILL_CPU);
    assert_no_leftovers(marker);
    /* the host can still fork */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    ch_sandbox_result_release(&r);
    ch_test_rmtree(work);
    ch_free(work);
}

static const char hog_src[] =
    "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
    "int main(void) {\n"
    "  size_t mib = 0;\n"
    "  for (;;) {\n"
    "    char *p = malloc(1 << 20);\n"
    "    if (p == NULL) { fprintf(stderr, \"out of memory after %zu MiB\\n\", mib); return 3; }\n"
    "    memset(p, 1, 1 << 20);\n"
    "    mib++;\n"
    "    if (mib > 4096) { puts(\"UNBOUNDED\"); return 0; }\n"
    "  }\n"
    "}\n";

static const char hog_unchecked_src[] =
    "#include <stdlib.h>\n#include <string.h>\n"
    "int main(void) { for (;;) { char *p = malloc(1 << 20); memset(p, 1, 1 << 20); } }\n";

static void test_sandbox_limits_memory(void **state)
{
    (void)state;
    char *work = vt_workdir();
    vt_compile(work, "hog", hog_src, no_flags);
    vt_compile(work, "hog2", hog_unchecked_src, no_flags);
    const char *argv[] = {"/job/hog", NULL};
    struct ch_sandbox_options o = {
        .argv = argv, .work_dir = work, .limits = {.as_bytes = 128u << 20}};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(r.exited);
    assert_int_equal(r.exit_code, 3);
    assert_true(err_has(&r, "out of memory after"));
    assert_false(out_has(&r, "UNBOUNDED"));
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_MEMORY);
    assert_true(r.max_rss_kb < 128 * 1024);
    ch_sandbox_result_release(&r);

    /* a hog that does not check malloc dies on the NULL it gets */
    const char *argv2[] = {"/job/hog2", NULL};
    o.argv = argv2;
    vt_run(&o, &r);
    assert_false(r.exited);
    assert_int_equal(r.signal, SIGSEGV);
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_MEMORY);
    ch_sandbox_result_release(&r);
    ch_test_rmtree(work);
    ch_free(work);
}

static const char flood_src[] =
    "#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n"
    "int main(int argc, char **argv) {\n"
    "  static char block[1 << 20];\n"
    "  memset(block, 'x', sizeof(block));\n"
    "  long n = argc > 1 ? 64 : 4096; /* 64 MiB, or 4 GiB */\n"
    "  for (long i = 0; i < n; i++) {\n"
    "    if (write(1, block, sizeof(block)) < 0 || write(2, block, 4096) < 0) return 9;\n"
    "  }\n"
    "  fputs(\"\\nEND-OF-REPORT\\n\", stderr);\n"
    "  return 0;\n"
    "}\n";

static void test_sandbox_caps_output(void **state)
{
    (void)state;
    char *work = vt_workdir();
    vt_compile(work, "flood", flood_src, no_flags);
    const char *argv[] = {"/job/flood", NULL};
    struct ch_sandbox_options o = {
        .argv = argv,
        .work_dir = work,
        .limits = {.stdout_max_bytes = 256 << 10, .stderr_max_bytes = 64 << 10}};
    struct ch_sandbox_result r;
    int64_t t0 = now_ms();
    vt_run(&o, &r);
    assert_true(now_ms() - t0 < 5000);
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_OUTPUT);
    assert_true(r.out_truncated);
    assert_true(ch_buf_len(&r.out) <= 256 << 10);
    assert_true(ch_buf_len(&r.err) <= 64 << 10);
    assert_false(r.exited && r.exit_code == 0);
    ch_sandbox_result_release(&r);

    /* keep-running mode: the excess is discarded, the tail (a late report) is kept */
    const char *argv2[] = {"/job/flood", "short", NULL};
    o.argv = argv2;
    o.flags = CH_SANDBOX_KEEP_RUNNING_ON_OUTPUT_LIMIT;
    vt_run(&o, &r);
    assert_true(r.exited);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_NONE);
    assert_true(r.out_truncated);
    assert_true(r.err_truncated);
    assert_true(ch_buf_len(&r.out) <= 256 << 10);
    assert_true(ch_buf_len(&r.err) <= 64 << 10);
    assert_true(r.out_discarded + ch_buf_len(&r.out) == (uint64_t)64 << 20);
    assert_true(err_has(&r, "END-OF-REPORT"));
    ch_sandbox_result_release(&r);
    ch_test_rmtree(work);
    ch_free(work);
}

static void test_sandbox_kills_on_wall_clock(void **state)
{
    (void)state;
    char marker[64];
    snprintf(marker, sizeof(marker), "ch-sleeper-%d", (int)getpid());
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "sleep 1000 & sleep 1000; : %s", marker);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    struct ch_sandbox_options o = {.argv = argv, .limits = {.wall_ms = 700}};
    struct ch_sandbox_result r;
    int64_t t0 = now_ms();
    vt_run(&o, &r);
    int64_t took = now_ms() - t0;
    assert_true(took >= 700 && took < 3000);
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_TIMEOUT);
    assert_false(r.exited);
    assert_int_equal(r.signal, SIGKILL);
    assert_no_leftovers(marker);
    ch_sandbox_result_release(&r);
}

static void test_sandbox_limits_cpu(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
    struct ch_sandbox_options o = {.argv = argv, .limits = {.cpu_seconds = 1, .wall_ms = 8000}};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_CPU);
    assert_true(r.signal == SIGXCPU || r.signal == SIGKILL);
    /*
     * No bound on r.cpu_us: the kernel reaps a killed PID namespace without
     * accounting its CPU to the supervisor, so the figure can fall short of
     * the second actually spent (docs/internals/sandbox.md). The signal and
     * killed_by above prove the CPU limit acted.
     */
    assert_true(r.wall_us < 6000000);
    ch_sandbox_result_release(&r);
}

static void test_sandbox_limits_file_size(void **state)
{
    (void)state;
    char *work = vt_workdir();
    const char *argv[] = {"/usr/bin/dd", "if=/dev/zero", "of=/job/big",
                          "bs=65536",    "count=64",     NULL};
    struct ch_sandbox_options o = {
        .argv = argv, .work_dir = work, .limits = {.fsize_bytes = 1 << 20}};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_int_equal(r.signal, SIGXFSZ);
    assert_int_equal(r.killed_by, CH_SANDBOX_KILL_FSIZE);
    char path[1024];
    snprintf(path, sizeof(path), "%s/big", work);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size <= 1 << 20);
    ch_sandbox_result_release(&r);
    ch_test_rmtree(work);
    ch_free(work);
}

static void test_sandbox_limits_open_files(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/sh", "-c",
                          "grep -E 'Max (open files|processes)' /proc/self/limits | tr -s ' '",
                          NULL};
    struct ch_sandbox_options o = {.argv = argv, .limits = {.n_files = 20, .n_procs = 17}};
    struct ch_sandbox_result r;
    vt_run(&o, &r);
    assert_true(out_has(&r, "Max processes 17 17 processes"));
    assert_true(out_has(&r, "Max open files 20 20 files"));
    ch_sandbox_result_release(&r);
}

/* ---- errors and overhead ------------------------------------------------------------------ */

static void test_sandbox_run_rejects_bad_options(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_sandbox_result r;
    const char *empty[] = {NULL};
    struct ch_sandbox_options o = {.argv = empty};
    assert_int_equal(ch_sandbox_run(&o, &r, &err), CH_E_USAGE);
    ch_sandbox_result_release(&r);

    const char *argv[] = {"/usr/bin/true", NULL};
    const char *env[] = {"BAD NAME=1", NULL};
    o = (struct ch_sandbox_options){.argv = argv, .env = env};
    ch_err_clear(&err);
    assert_int_equal(ch_sandbox_run(&o, &r, &err), CH_E_USAGE);
    ch_sandbox_result_release(&r);

    o = (struct ch_sandbox_options){.argv = argv, .work_dir = "/nonexistent/ch-work"};
    ch_err_clear(&err);
    assert_int_equal(ch_sandbox_run(&o, &r, &err), CH_E_NOTFOUND);
    ch_sandbox_result_release(&r);

    struct ch_sandbox_bind rel[] = {{.src = "/usr", .dst = "relative"}};
    o = (struct ch_sandbox_options){.argv = argv, .ro_binds = rel, .n_ro_binds = 1};
    ch_err_clear(&err);
    assert_int_equal(ch_sandbox_run(&o, &r, &err), CH_E_USAGE);
    ch_sandbox_result_release(&r);

    o = (struct ch_sandbox_options){.argv = argv, .bwrap_path = "/nonexistent/bwrap"};
    ch_err_clear(&err);
    assert_int_equal(ch_sandbox_run(&o, &r, &err), CH_E_UNAVAILABLE);
    assert_true(ch_test_contains(err.msg, "bubblewrap"));
    ch_sandbox_result_release(&r);

    const char *missing[] = {"/job/does-not-exist", NULL};
    o = (struct ch_sandbox_options){.argv = missing};
    ch_err_clear(&err);
    assert_int_equal(ch_sandbox_run(&o, &r, &err), CH_E_NOTFOUND);
    ch_sandbox_result_release(&r);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_sandbox_startup_overhead(void **state)
{
    (void)state;
    enum { RUNS = 15 };
    int64_t us[RUNS];
    const char *argv[] = {"/usr/bin/true", NULL};
    struct ch_sandbox_options o = {.argv = argv};
    for (int i = 0; i < RUNS; i++) {
        struct ch_sandbox_result r;
        vt_run(&o, &r);
        assert_true(r.exited && r.exit_code == 0);
        us[i] = r.wall_us;
        ch_sandbox_result_release(&r);
    }
    qsort(us, RUNS, sizeof(us[0]), cmp_i64);
    printf("sandbox start-up (/usr/bin/true, %d runs): min %.1f ms, median %.1f ms, max %.1f ms\n",
           RUNS, (double)us[0] / 1000, (double)us[RUNS / 2] / 1000, (double)us[RUNS - 1] / 1000);
    /* the target is 20 ms; allow for loaded CI machines and sanitizer builds */
    assert_true(us[RUNS / 2] < 200000);
}

int main(void)
{
    vt_require_sandbox();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox_run_propagates_output_and_status),
        cmocka_unit_test(test_sandbox_run_feeds_stdin),
        cmocka_unit_test(test_sandbox_run_reports_signal),
        cmocka_unit_test(test_sandbox_run_identity_is_unprivileged),
        cmocka_unit_test(test_sandbox_run_binds_read_only_extras),
        cmocka_unit_test(test_sandbox_blocks_network),
        cmocka_unit_test(test_sandbox_hides_files_outside_work_dir),
        cmocka_unit_test(test_sandbox_prevents_writes_outside_work_dir),
        cmocka_unit_test(test_sandbox_caps_tmp_size),
        cmocka_unit_test(test_sandbox_contains_fork_bomb),
        cmocka_unit_test(test_sandbox_limits_memory),
        cmocka_unit_test(test_sandbox_caps_output),
        cmocka_unit_test(test_sandbox_kills_on_wall_clock),
        cmocka_unit_test(test_sandbox_limits_cpu),
        cmocka_unit_test(test_sandbox_limits_file_size),
        cmocka_unit_test(test_sandbox_limits_open_files),
        cmocka_unit_test(test_sandbox_run_rejects_bad_options),
        cmocka_unit_test(test_sandbox_startup_overhead),
    };
    return cmocka_run_group_tests_name("validate/sandbox", tests, NULL, NULL);
}
