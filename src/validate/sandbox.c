/* SPDX-License-Identifier: Apache-2.0
 *
 * sandbox.c: the bubblewrap runner (see sandbox.h for the contract and
 * docs/internals/sandbox.md for the isolation model).
 *
 * Shape of a run: the parent prepares everything that allocates (bubblewrap's
 * argv, the seccomp program in a sealed memfd, stdin in another sealed memfd,
 * capture pipes), then forks. The child only makes async-signal-safe system
 * calls: new process group, descriptors moved into place (stdin 0, stdout 1,
 * stderr 2, seccomp 3, the rest closed), default signal dispositions,
 * rlimits, a drop to an unprivileged uid when root, parent-death signal,
 * execve of bubblewrap with an empty environment. A failure before execve is
 * reported through a close-on-exec pipe as (stage, errno). The parent then
 * polls the two capture pipes and a pidfd of the child against the wall-clock
 * deadline, killing the process group (which takes bubblewrap's PID
 * namespace, and so every process of the sandbox, with it) on timeout or on
 * output overflow. wait4() gives the status and the rusage.
 *
 * No shell ever parses anything: argv and the environment are passed as
 * separate strings, after bubblewrap's "--".
 */
#include "validate/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "validate/internal.h"

/* Upper bounds on the options, so a caller bug cannot build an unbounded argv. */
#define MAX_ARGS 4096
#define MAX_ENV 256
#define MAX_BINDS 64
/* A string option longer than this is a mistake (PATH_MAX-sized paths plus room). */
#define MAX_ARG_BYTES 8192
/* Once the command has ended, how long leftover output may take to arrive. */
#define DRAIN_GRACE_MS 500
/* After a kill, how long to wait for the pipes before giving up on them. */
#define KILL_GRACE_MS 2000
/* Poll tick when no pidfd is available (old kernels). */
#define POLL_TICK_MS 10
/* Read chunk for the capture pipes. */
#define READ_CHUNK 65536

static const char *const bwrap_locations[] = {"/usr/bin/bwrap", "/usr/local/bin/bwrap",
                                              "/bin/bwrap"};

/* Top-level system directories: bound read-only, or recreated as symlinks. */
static const char *const system_dirs[] = {"/usr",   "/bin",   "/sbin",  "/lib",
                                          "/lib64", "/lib32", "/libx32"};

const char *ch_sandbox_kill_str(enum ch_sandbox_kill k)
{
    static const char *const names[CH_SANDBOX_KILL_COUNT] = {
        [CH_SANDBOX_KILL_NONE] = "none",     [CH_SANDBOX_KILL_TIMEOUT] = "timeout",
        [CH_SANDBOX_KILL_CPU] = "cpu",       [CH_SANDBOX_KILL_MEMORY] = "memory",
        [CH_SANDBOX_KILL_OUTPUT] = "output", [CH_SANDBOX_KILL_FSIZE] = "fsize",
    };
    if ((unsigned)k >= CH_SANDBOX_KILL_COUNT)
        return "unknown";
    return names[k];
}

int ch_sandbox_find_bwrap(const char *path, const char **ret_path, struct ch_err *err)
{
    if (path != NULL) {
        if (access(path, X_OK) != 0)
            return ch_err_set(err, CH_E_UNAVAILABLE, "bubblewrap '%s' is not executable: %s", path,
                              strerror(errno));
        *ret_path = path;
        return CH_OK;
    }
    for (size_t i = 0; i < CH_ARRAY_SIZE(bwrap_locations); i++) {
        if (access(bwrap_locations[i], X_OK) == 0) {
            *ret_path = bwrap_locations[i];
            return CH_OK;
        }
    }
    return ch_err_set(err, CH_E_UNAVAILABLE,
                      "bubblewrap (bwrap) not found in /usr/bin, /usr/local/bin or /bin: "
                      "install the 'bubblewrap' package");
}

/* ---- limits and options -------------------------------------------------------------- */

struct limits {
    int64_t wall_ms;
    uint64_t cpu, as, fsize, nproc, nofile, tmp;
    size_t out_max, err_max;
};

static uint64_t or_default(uint64_t v, uint64_t dflt)
{
    return v == 0 ? dflt : v;
}

static int resolve_limits(const struct ch_sandbox_limits *in, struct limits *l, struct ch_err *err)
{
    *l = (struct limits){
        .wall_ms = in->wall_ms == 0 ? CH_SANDBOX_DEFAULT_WALL_MS : in->wall_ms,
        .cpu = or_default(in->cpu_seconds, CH_SANDBOX_DEFAULT_CPU_SECONDS),
        .as = or_default(in->as_bytes, CH_SANDBOX_DEFAULT_AS_BYTES),
        .fsize = or_default(in->fsize_bytes, CH_SANDBOX_DEFAULT_FSIZE_BYTES),
        .nproc = or_default(in->n_procs, CH_SANDBOX_DEFAULT_NPROC),
        .nofile = or_default(in->n_files, CH_SANDBOX_DEFAULT_NOFILE),
        .tmp = or_default(in->tmp_bytes, CH_SANDBOX_DEFAULT_TMP_BYTES),
        .out_max =
            in->stdout_max_bytes == 0 ? CH_SANDBOX_DEFAULT_OUTPUT_BYTES : in->stdout_max_bytes,
        .err_max =
            in->stderr_max_bytes == 0 ? CH_SANDBOX_DEFAULT_OUTPUT_BYTES : in->stderr_max_bytes,
    };
    if (l->wall_ms < 0 || l->wall_ms > INT64_MAX / 1000)
        return ch_err_set(err, CH_E_USAGE, "sandbox wall-clock limit %lld ms is out of range",
                          (long long)l->wall_ms);
    if (l->nproc == CH_SANDBOX_UNLIMITED || l->out_max == SIZE_MAX || l->err_max == SIZE_MAX)
        return ch_err_set(err, CH_E_USAGE, "sandbox process and output limits cannot be lifted");
    if (l->nofile < 8)
        return ch_err_set(err, CH_E_USAGE, "sandbox open-file limit %llu is below 8",
                          (unsigned long long)l->nofile);
    if (l->tmp == CH_SANDBOX_UNLIMITED)
        return ch_err_set(err, CH_E_USAGE, "sandbox tmpfs size cannot be lifted");
    return CH_OK;
}

static int valid_env_entry(const char *e)
{
    const char *eq = strchr(e, '=');
    if (eq == NULL || eq == e)
        return 0;
    for (const char *p = e; p < eq; p++) {
        int ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
                 (p > e && *p >= '0' && *p <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static int valid_sandbox_path(const char *p)
{
    if (p == NULL || p[0] != '/' || strlen(p) > MAX_ARG_BYTES)
        return 0;
    return strstr(p, "/../") == NULL && !ch_str_ends_with(ch_str_c(p), "/..");
}

static int check_options(const struct ch_sandbox_options *o, struct ch_err *err)
{
    if (o->argv == NULL || o->argv[0] == NULL || o->argv[0][0] == '\0')
        return ch_err_set(err, CH_E_USAGE, "sandbox command is empty");
    size_t n = 0;
    for (; o->argv[n] != NULL; n++) {
        if (n >= MAX_ARGS || strlen(o->argv[n]) > MAX_ARG_BYTES * 16)
            return ch_err_set(err, CH_E_LIMIT, "sandbox command line is too long");
    }
    for (size_t i = 0; o->env != NULL && o->env[i] != NULL; i++) {
        if (i >= MAX_ENV)
            return ch_err_set(err, CH_E_LIMIT, "more than %d sandbox environment variables",
                              MAX_ENV);
        if (!valid_env_entry(o->env[i]))
            return ch_err_set(err, CH_E_USAGE, "sandbox environment entry #%zu is not NAME=value",
                              i);
    }
    if (o->n_ro_binds > MAX_BINDS)
        return ch_err_set(err, CH_E_LIMIT, "more than %d sandbox binds", MAX_BINDS);
    for (size_t i = 0; i < o->n_ro_binds; i++) {
        const struct ch_sandbox_bind *b = &o->ro_binds[i];
        if (!valid_sandbox_path(b->dst) || strcmp(b->dst, "/") == 0)
            return ch_err_set(err, CH_E_USAGE, "sandbox bind target '%s' is not an absolute path",
                              b->dst == NULL ? "" : b->dst);
        struct stat st;
        if (b->src == NULL || stat(b->src, &st) != 0)
            return ch_err_set(err, CH_E_NOTFOUND, "sandbox bind source '%s' does not exist",
                              b->src == NULL ? "" : b->src);
    }
    if (o->work_dir != NULL) {
        struct stat st;
        if (stat(o->work_dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return ch_err_set(err, CH_E_NOTFOUND, "sandbox work directory '%s' does not exist",
                              o->work_dir);
    }
    return CH_OK;
}

/* ---- bubblewrap's command line ------------------------------------------------------ */

struct argv_vec {
    const char **v;
    size_t n, cap;
    int failed;
};

static void push(struct argv_vec *a, const char *s)
{
    if (a->failed)
        return;
    if (a->n + 1 >= a->cap) {
        size_t cap = a->cap == 0 ? 128 : a->cap * 2;
        const char **v = ch_reallocarray(a->v, cap, sizeof(*v));
        if (v == NULL) {
            a->failed = CH_E_NOMEM;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static void push3(struct argv_vec *a, const char *x, const char *y, const char *z)
{
    push(a, x);
    push(a, y);
    if (z != NULL)
        push(a, z);
}

/*
 * Everything the child needs, prepared by the parent (which may allocate) so
 * that the child after fork only makes system calls.
 */
struct plan {
    struct limits lim;
    const char *bwrap;
    struct argv_vec args;
    char *env_names[MAX_ENV];                         /* owned copies of the NAME parts */
    char links[CH_ARRAY_SIZE(system_dirs)][PATH_MAX]; /* symlink targets of system dirs */
    char tmp_size[24];
    char uid_str[16];
    int drop_privileges; /* caller is root: drop to host_uid/host_gid */
    uid_t host_uid;
    gid_t host_gid;
    /* descriptors (parent side: read ends; child side: what to install) */
    int stdin_fd, seccomp_fd, out_r, out_w, err_r, err_w, report_r, report_w, result_r, result_w;
};

static void add_system_dirs(struct plan *p)
{
    for (size_t i = 0; i < CH_ARRAY_SIZE(system_dirs); i++) {
        struct stat st;
        const char *d = system_dirs[i];
        if (lstat(d, &st) != 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(d, p->links[i], sizeof(p->links[i]) - 1);
            if (n <= 0)
                continue;
            p->links[i][n] = '\0';
            push3(&p->args, "--symlink", p->links[i], d);
        } else if (S_ISDIR(st.st_mode)) {
            push3(&p->args, "--ro-bind", d, d);
        }
    }
}

static int add_env(struct plan *p, const char *const *env)
{
    push3(&p->args, "--clearenv", "--setenv", "PATH");
    push(&p->args, "/usr/local/bin:/usr/bin:/bin");
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        const char *eq = strchr(env[i], '=');
        p->env_names[i] = ch_strndup(env[i], (size_t)(eq - env[i]));
        if (p->env_names[i] == NULL)
            return CH_E_NOMEM;
        push3(&p->args, "--setenv", p->env_names[i], eq + 1);
    }
    return CH_OK;
}

static int build_args(struct plan *p, const struct ch_sandbox_options *o, struct ch_err *err)
{
    struct argv_vec *a = &p->args;
    push(a, p->bwrap);
    add_system_dirs(p);
    push3(a, "--proc", "/proc", NULL);
    push3(a, "--dev", "/dev", NULL);
    snprintf(p->tmp_size, sizeof(p->tmp_size), "%llu", (unsigned long long)p->lim.tmp);
    push3(a, "--size", p->tmp_size, NULL);
    push3(a, "--tmpfs", "/tmp", NULL);
    if (o->work_dir != NULL) {
        push3(a, "--bind", o->work_dir, "/job");
    } else {
        push3(a, "--size", p->tmp_size, NULL);
        push3(a, "--tmpfs", "/job", NULL);
    }
    for (size_t i = 0; i < o->n_ro_binds; i++)
        push3(a, "--ro-bind", o->ro_binds[i].src, o->ro_binds[i].dst);
    push3(a, "--remount-ro", "/", NULL);
    push3(a, "--chdir", "/job", NULL);
    snprintf(p->uid_str, sizeof(p->uid_str), "%u", CH_SANDBOX_UID);
    push3(a, "--unshare-all", "--unshare-user", NULL);
    push3(a, "--uid", p->uid_str, NULL);
    push3(a, "--gid", p->uid_str, NULL);
    push3(a, "--disable-userns", "--cap-drop", "ALL");
    push3(a, "--die-with-parent", "--new-session", NULL);
    push3(a, "--hostname", "sandbox", NULL);
    /* the seccomp program is installed on descriptor 3 by the child */
    push3(a, "--seccomp", "3", NULL);
    int rc = add_env(p, o->env);
    push(a, "--");
    for (size_t i = 0; o->argv[i] != NULL; i++)
        push(a, o->argv[i]);
    if (rc != CH_OK || a->failed)
        return ch_err_set(err, CH_E_NOMEM, "out of memory building the sandbox command line");
    return CH_OK;
}

/* ---- descriptors --------------------------------------------------------------------- */

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void plan_release(struct plan *p)
{
    ch_free(p->args.v);
    for (size_t i = 0; i < MAX_ENV; i++)
        ch_free(p->env_names[i]);
    close_fd(&p->stdin_fd);
    close_fd(&p->seccomp_fd);
    close_fd(&p->out_r);
    close_fd(&p->out_w);
    close_fd(&p->err_r);
    close_fd(&p->err_w);
    close_fd(&p->report_r);
    close_fd(&p->report_w);
    close_fd(&p->result_r);
    close_fd(&p->result_w);
}

static int make_stdin(struct plan *p, const char *data, size_t len, struct ch_err *err)
{
    if (data == NULL) {
        p->stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (p->stdin_fd < 0)
            return ch_err_set(err, CH_E_IO, "cannot open /dev/null: %s", strerror(errno));
        return CH_OK;
    }
    p->stdin_fd = memfd_create("ch-sandbox-stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (p->stdin_fd < 0)
        return ch_err_set(err, CH_E_IO, "memfd_create: %s", strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(p->stdin_fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ch_err_set(err, CH_E_IO, "cannot stage sandbox stdin: %s", strerror(errno));
        done += (size_t)n;
    }
    /* sealed: the sandbox reads its stdin but cannot change it for anyone else */
    if (fcntl(p->stdin_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) !=
            0 ||
        lseek(p->stdin_fd, 0, SEEK_SET) != 0)
        return ch_err_set(err, CH_E_IO, "cannot seal sandbox stdin: %s", strerror(errno));
    return CH_OK;
}

static int make_pipe(int *ret_r, int *ret_w, struct ch_err *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return ch_err_set(err, CH_E_IO, "pipe2: %s", strerror(errno));
    *ret_r = fds[0];
    *ret_w = fds[1];
    return CH_OK;
}

/* ---- work directory ownership --------------------------------------------------------- */

/* Deepest work-directory tree handed over to the sandbox uid (a sane job has a few levels). */
#define MAX_WORK_DEPTH 32

/*
 * Hands a directory tree to uid/gid without following symlinks. dirfd is
 * borrowed. Returns 0, or -1 with errno set (ELOOP when too deep).
 */
static int chown_tree(int dirfd, uid_t uid, gid_t gid, int depth)
{
    if (fchown(dirfd, uid, gid) != 0)
        return -1;
    int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
    if (d == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = -1;
            break;
        }
        if (!S_ISDIR(st.st_mode)) {
            if ((st.st_uid != uid || st.st_gid != gid) &&
                fchownat(dirfd, e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
                rc = -1;
            continue;
        }
        if (depth >= MAX_WORK_DEPTH) {
            errno = ELOOP;
            rc = -1;
            break;
        }
        int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            rc = -1;
            break;
        }
        rc = chown_tree(sub, uid, gid, depth + 1);
        close(sub);
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return rc;
}

/*
 * When root runs the sandbox, the job writes as the unprivileged host uid, so
 * its private work directory (and what the caller put there) must belong to
 * that uid.
 */
static int chown_work_dir(const char *dir, uid_t uid, gid_t gid, struct ch_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || chown_tree(fd, uid, gid, 0) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ch_err_set(err, e == ELOOP ? CH_E_LIMIT : CH_E_IO,
                          "cannot hand work directory '%s' to uid %u: %s", dir, (unsigned)uid,
                          strerror(e));
    }
    close(fd);
    return CH_OK;
}

/* ---- the supervisor and the child ---------------------------------------------------- */

/*
 * Why a supervisor: bubblewrap's outer process exits as soon as the sandbox's
 * PID-namespace init reports the command's status, before that init has been
 * reaped, so wait4() on bubblewrap alone would miss the CPU time and memory of
 * the command. The supervisor is a child subreaper: the orphaned init is
 * reparented to it, and it reaps everything, summing the rusage, then reports
 * (bubblewrap's status, CPU, max RSS) on a pipe. It runs no code but system
 * calls, as everything after fork() must.
 */

enum child_stage {
    STAGE_DUP = 1,
    STAGE_SUPERVISE,
    STAGE_FORK,
    STAGE_RLIMIT,
    STAGE_SETGROUPS,
    STAGE_SETGID,
    STAGE_SETUID,
    STAGE_PDEATHSIG,
    STAGE_EXEC,
};

static const char *stage_str(int s)
{
    static const char *const names[] = {
        [STAGE_DUP] = "moving descriptors",
        [STAGE_SUPERVISE] = "becoming a subreaper",
        [STAGE_FORK] = "forking",
        [STAGE_RLIMIT] = "setting resource limits",
        [STAGE_SETGROUPS] = "clearing supplementary groups",
        [STAGE_SETGID] = "dropping to the sandbox gid",
        [STAGE_SETUID] = "dropping to the sandbox uid",
        [STAGE_PDEATHSIG] = "setting the parent-death signal",
        [STAGE_EXEC] = "executing bubblewrap",
    };
    if (s <= 0 || (size_t)s >= CH_ARRAY_SIZE(names))
        return "preparing the sandbox";
    return names[s];
}

/* Descriptor numbers inside the supervisor and the child. */
enum { FD_SECCOMP = 3, FD_REPORT = 4, FD_RESULT = 5 };

/* What the supervisor sends on the result pipe: first the child's pid, then this. */
struct supervisor_record {
    int status;         /* bubblewrap's wait status */
    int64_t cpu_us;     /* user+system CPU of every reaped process */
    int64_t max_rss_kb; /* largest resident set among them */
};

CH_NORETURN static void child_fail(int report_fd, int stage)
{
    int msg[2] = {stage, errno};
    ssize_t n = write(report_fd, msg, sizeof(msg));
    (void)n; /* nothing more can be done: the parent sees EOF and the exit code */
    _exit(127);
}

static int set_limit(int resource, uint64_t soft, uint64_t hard)
{
    struct rlimit rl = {
        .rlim_cur = soft == CH_SANDBOX_UNLIMITED ? RLIM_INFINITY : (rlim_t)soft,
        .rlim_max = hard == CH_SANDBOX_UNLIMITED ? RLIM_INFINITY : (rlim_t)hard,
    };
    return setrlimit(resource, &rl);
}

static int set_limits(const struct limits *l)
{
    uint64_t cpu_hard = l->cpu == CH_SANDBOX_UNLIMITED ? l->cpu : l->cpu + 1;
    /* RLIMIT_CORE 1 stops both core files (smaller than a page) and pipe handlers */
    if (set_limit(RLIMIT_CPU, l->cpu, cpu_hard) != 0 || set_limit(RLIMIT_AS, l->as, l->as) != 0 ||
        set_limit(RLIMIT_FSIZE, l->fsize, l->fsize) != 0 ||
        set_limit(RLIMIT_NPROC, l->nproc, l->nproc) != 0 ||
        set_limit(RLIMIT_NOFILE, l->nofile, l->nofile) != 0 || set_limit(RLIMIT_CORE, 1, 1) != 0)
        return -1;
    return 0;
}

/* Moves fd to 10 or above so that installing 0..5 cannot clobber it. */
static int lift(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* Installs stdin 0, stdout 1, stderr 2, seccomp 3, report 4, result 5; closes the rest. */
static void install_fds(const struct plan *p)
{
    int report = lift(p->report_w);
    if (report < 0)
        child_fail(p->report_w, STAGE_DUP);
    int in = lift(p->stdin_fd);
    int out = lift(p->out_w);
    int errw = lift(p->err_w);
    int sc = lift(p->seccomp_fd);
    int res = lift(p->result_w);
    if (in < 0 || out < 0 || errw < 0 || sc < 0 || res < 0 || dup2(in, 0) != 0 ||
        dup2(out, 1) != 1 || dup2(errw, 2) != 2 || dup2(sc, FD_SECCOMP) != FD_SECCOMP ||
        dup3(report, FD_REPORT, O_CLOEXEC) != FD_REPORT ||
        dup3(res, FD_RESULT, O_CLOEXEC) != FD_RESULT)
        child_fail(report, STAGE_DUP);
    if (close_range(FD_RESULT + 1, ~0U, 0) != 0) {
        for (int fd = FD_RESULT + 1; fd < 65536; fd++)
            close(fd);
    }
}

/* The grandchild: limits, identity, then bubblewrap. */
CH_NORETURN static void exec_bwrap(const struct plan *p, pid_t supervisor)
{
    (void)setpgid(0, 0);
    if (set_limits(&p->lim) != 0)
        child_fail(FD_REPORT, STAGE_RLIMIT);
    if (p->drop_privileges) {
        if (setgroups(0, NULL) != 0)
            child_fail(FD_REPORT, STAGE_SETGROUPS);
        if (setresgid(p->host_gid, p->host_gid, p->host_gid) != 0)
            child_fail(FD_REPORT, STAGE_SETGID);
        if (setresuid(p->host_uid, p->host_uid, p->host_uid) != 0)
            child_fail(FD_REPORT, STAGE_SETUID);
    }
    /* after the uid change, which clears it: the sandbox ends if the supervisor dies */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        child_fail(FD_REPORT, STAGE_PDEATHSIG);
    if (getppid() != supervisor)
        _exit(127);
    char *const envp[] = {NULL};
    execve(p->bwrap, (char *const *)p->args.v, envp);
    child_fail(FD_REPORT, STAGE_EXEC);
}

static void write_all(int fd, const void *data, size_t len)
{
    const char *d = data;
    while (len > 0) {
        ssize_t n = write(fd, d, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        d += n;
        len -= (size_t)n;
    }
}

CH_NORETURN static void supervise(const struct plan *p, pid_t parent)
{
    /* a group of its own: killing the sandbox's group must spare the supervisor */
    (void)setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        child_fail(p->report_w, STAGE_PDEATHSIG);
    if (getppid() != parent)
        _exit(127);
    install_fds(p);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        child_fail(FD_REPORT, STAGE_SUPERVISE);
    pid_t self = getpid();
    pid_t child = fork();
    if (child < 0)
        child_fail(FD_REPORT, STAGE_FORK);
    if (child == 0)
        exec_bwrap(p, self);
    (void)setpgid(child, child);
    write_all(FD_RESULT, &child, sizeof(child));
    for (int fd = 0; fd <= FD_REPORT; fd++)
        close(fd);
    struct supervisor_record rec = {.status = 0};
    for (;;) {
        int st;
        struct rusage ru;
        pid_t w = wait4(-1, &st, 0, &ru);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        if (w == child)
            rec.status = st;
        rec.cpu_us += (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                      (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
        if (ru.ru_maxrss > rec.max_rss_kb)
            rec.max_rss_kb = ru.ru_maxrss;
    }
    write_all(FD_RESULT, &rec, sizeof(rec));
    _exit(0);
}

/* ---- output capture ------------------------------------------------------------------ */

/*
 * One captured stream. The first head_max bytes go to buf; in keep-running
 * mode the last ring_cap bytes are kept in a ring and appended at the end, so
 * the report a sanitizer prints last survives a flood of earlier output.
 */
struct capture {
    int fd;
    struct ch_buf *buf;
    size_t head_max;
    char *ring;
    size_t ring_cap, ring_len, ring_start;
    uint64_t discarded;
    bool overflow;
};

static void capture_init(struct capture *c, int fd, struct ch_buf *buf, size_t max, bool keep)
{
    *c = (struct capture){.fd = fd, .buf = buf, .head_max = max};
    if (keep) {
        c->ring_cap = max / 4;
        c->head_max = max - c->ring_cap;
    }
    ch_buf_init(buf, max);
}

static void ring_push(struct capture *c, const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t pos = (c->ring_start + c->ring_len) % c->ring_cap;
        c->ring[pos] = d[i];
        if (c->ring_len < c->ring_cap) {
            c->ring_len++;
        } else {
            c->ring_start = (c->ring_start + 1) % c->ring_cap;
            c->discarded++;
        }
    }
}

/* Takes n new bytes; returns CH_E_NOMEM if the buffer could not grow. */
static int capture_take(struct capture *c, const char *d, size_t n)
{
    size_t room = c->head_max - ch_buf_len(c->buf);
    size_t take = n < room ? n : room;
    if (take > 0 && ch_buf_append(c->buf, d, take) != CH_OK)
        return CH_E_NOMEM;
    d += take;
    n -= take;
    if (n == 0)
        return CH_OK;
    c->overflow = true;
    if (c->ring_cap == 0) {
        c->discarded += n;
        return CH_OK;
    }
    if (c->ring == NULL) {
        c->ring = ch_malloc(c->ring_cap);
        if (c->ring == NULL)
            return CH_E_NOMEM;
    }
    ring_push(c, d, n);
    return CH_OK;
}

static int capture_finish(struct capture *c)
{
    int rc = CH_OK;
    if (c->ring != NULL) {
        size_t first = c->ring_cap - c->ring_start;
        if (first > c->ring_len)
            first = c->ring_len;
        (void)ch_buf_append(c->buf, c->ring + c->ring_start, first);
        (void)ch_buf_append(c->buf, c->ring, c->ring_len - first);
        rc = c->buf->failed;
    }
    ch_free(c->ring);
    c->ring = NULL;
    return rc;
}

/* Reads what is available; returns 1 on EOF, 0 otherwise, <0 on a local failure. */
static int capture_read(struct capture *c, char *chunk)
{
    ssize_t n = read(c->fd, chunk, READ_CHUNK);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : 1;
    if (n == 0)
        return 1;
    return capture_take(c, chunk, (size_t)n);
}

/* ---- the parent's wait loop ----------------------------------------------------------- */

struct run {
    pid_t pid;          /* the supervisor */
    pid_t sandbox_pgid; /* bubblewrap's process group (its pid) */
    int pidfd;          /* of the supervisor, -1 if unavailable */
    bool reaped;        /* the supervisor was reaped */
    int supervisor_status;
    struct supervisor_record rec;
    bool have_rec;
    int64_t start_ns;
    int64_t deadline_ms;    /* wall-clock limit (monotonic ms) */
    int64_t drain_until_ms; /* once reaped: end of the grace for leftover output */
    int64_t kill_until_ms;  /* once killed: end of the grace for the pipes */
    bool killed;
    enum ch_sandbox_kill kill_reason;
    bool keep_running;
};

/*
 * Kills the sandbox's process group. Its id cannot have been recycled while
 * the supervisor is unreaped and still reaping group members; the remaining
 * window (group gone, supervisor not yet exited) lasts microseconds, far too
 * short for the PID space to wrap.
 */
static void kill_sandbox(struct run *r, enum ch_sandbox_kill why)
{
    if (r->reaped || r->killed)
        return;
    /* the group holds bubblewrap and its PID-namespace init: killing them ends the sandbox */
    if (r->sandbox_pgid > 0)
        (void)kill(-r->sandbox_pgid, SIGKILL);
    r->killed = true;
    r->kill_reason = why;
    r->kill_until_ms = ch_clock_mono_ms() + KILL_GRACE_MS;
}

static void try_reap(struct run *r)
{
    if (r->reaped)
        return;
    pid_t w = waitpid(r->pid, &r->supervisor_status, WNOHANG);
    if (w == r->pid) {
        r->reaped = true;
        r->drain_until_ms = ch_clock_mono_ms() + DRAIN_GRACE_MS;
    }
}

static int poll_timeout(const struct run *r, int64_t now)
{
    if (r->pidfd < 0 || r->reaped || r->killed)
        return POLL_TICK_MS;
    int64_t left = r->deadline_ms - now;
    if (left < 0)
        return 0;
    return left > 1000 ? 1000 : (int)left;
}

/*
 * Captures output until both pipes reach EOF and the child is reaped. Bounded
 * in time: the wall clock kills the sandbox; after that (or after the child
 * ended) leftover output gets a short grace period, then the loop gives up.
 */
static int wait_loop(struct run *r, struct capture caps[2], struct ch_err *err)
{
    char *chunk = ch_malloc(READ_CHUNK);
    if (chunk == NULL) {
        kill_sandbox(r, CH_SANDBOX_KILL_NONE);
        return ch_err_set(err, CH_E_NOMEM, "out of memory capturing sandbox output");
    }
    bool open[2] = {true, true};
    int rc = CH_OK;
    while (open[0] || open[1] || !r->reaped) {
        int64_t now = ch_clock_mono_ms();
        if (!r->killed && now >= r->deadline_ms)
            kill_sandbox(r, CH_SANDBOX_KILL_TIMEOUT);
        if ((r->reaped && now >= r->drain_until_ms) || (r->killed && now >= r->kill_until_ms))
            break;
        struct pollfd pfd[3];
        nfds_t n = 0;
        int idx[2] = {-1, -1};
        for (int i = 0; i < 2; i++) {
            if (open[i]) {
                idx[i] = (int)n;
                pfd[n++] = (struct pollfd){.fd = caps[i].fd, .events = POLLIN};
            }
        }
        if (r->pidfd >= 0 && !r->reaped)
            pfd[n++] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
        if (poll(pfd, n, poll_timeout(r, now)) < 0 && errno != EINTR) {
            rc = ch_err_set(err, CH_E_IO, "poll: %s", strerror(errno));
            kill_sandbox(r, CH_SANDBOX_KILL_NONE);
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (idx[i] < 0 || (pfd[idx[i]].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
                continue;
            int st = capture_read(&caps[i], chunk);
            if (st < 0 && rc == CH_OK) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory capturing sandbox output");
                kill_sandbox(r, CH_SANDBOX_KILL_NONE);
            }
            if (st != 0)
                open[i] = false;
            if (caps[i].overflow && !r->keep_running)
                kill_sandbox(r, CH_SANDBOX_KILL_OUTPUT);
        }
        try_reap(r);
    }
    ch_free(chunk);
    return rc;
}

/* ---- results ------------------------------------------------------------------------- */

void ch_sandbox_result_release(struct ch_sandbox_result *r)
{
    ch_buf_release(&r->out);
    ch_buf_release(&r->err);
}

static bool contains_ci(struct ch_str hay, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= hay.len && i <= hay.len - n; i++) {
        if (ch_str_case_eq_c(ch_str_make(hay.ptr + i, n), needle))
            return true;
    }
    return false;
}

/* Messages programs and runtimes print when an allocation fails. */
static const char *const oom_messages[] = {"out of memory", "cannot allocate memory", "bad_alloc",
                                           "memory exhausted", "failed to allocate"};

static bool looks_out_of_memory(const struct ch_sandbox_result *res, const struct limits *l)
{
    if (l->as == CH_SANDBOX_UNLIMITED)
        return false;
    if ((uint64_t)res->max_rss_kb * 1024 >= l->as / 4 * 3)
        return true;
    struct ch_str e = ch_buf_str(&res->err);
    for (size_t i = 0; i < CH_ARRAY_SIZE(oom_messages); i++) {
        if (contains_ci(e, oom_messages[i]))
            return true;
    }
    return false;
}

static void decode_status(const struct run *r, const struct limits *l,
                          struct ch_sandbox_result *res)
{
    /* without the supervisor's record (it was killed), its own status stands in */
    int status = r->have_rec ? r->rec.status : r->supervisor_status;
    res->cpu_us = r->rec.cpu_us;
    res->max_rss_kb = r->rec.max_rss_kb;
    if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
    } else {
        int code = WEXITSTATUS(status);
        /* bubblewrap reports "killed by signal N" as 128+N */
        if (code > 128 && code < 128 + NSIG) {
            res->signal = code - 128;
        } else {
            res->exited = true;
            res->exit_code = code;
        }
    }
    res->killed_by = r->killed ? r->kill_reason : CH_SANDBOX_KILL_NONE;
    if (res->killed_by != CH_SANDBOX_KILL_NONE)
        return;
    if (res->signal == SIGXCPU || (res->signal == SIGKILL && l->cpu != CH_SANDBOX_UNLIMITED &&
                                   (uint64_t)res->cpu_us >= l->cpu * 1000000))
        res->killed_by = CH_SANDBOX_KILL_CPU;
    else if (res->signal == SIGXFSZ)
        res->killed_by = CH_SANDBOX_KILL_FSIZE;
    else if ((res->signal != 0 || res->exit_code != 0) && looks_out_of_memory(res, l))
        res->killed_by = CH_SANDBOX_KILL_MEMORY;
}

/*
 * bubblewrap itself failing (namespaces refused, command not found) exits 1
 * with "bwrap: ..." on stderr. A hostile command could print the same; it
 * then only turns its own run into an error.
 */
static int check_bwrap_failure(const struct ch_sandbox_result *res, struct ch_err *err)
{
    struct ch_str e = ch_buf_str(&res->err);
    if (!res->exited || res->exit_code != 1 || !ch_str_starts_with(e, "bwrap: "))
        return CH_OK;
    long nl = ch_str_find_char(e, '\n');
    struct ch_str line = nl < 0 ? e : ch_str_sub(e, 0, (size_t)nl);
    if (line.len > 300)
        line.len = 300;
    if (contains_ci(line, "execvp"))
        return ch_err_set(err, CH_E_NOTFOUND, "sandbox cannot execute the command: %.*s",
                          CH_STR_FMT(line));
    return ch_err_set(err, CH_E_UNAVAILABLE, "sandbox could not start: %.*s", CH_STR_FMT(line));
}

/* ---- the run ------------------------------------------------------------------------- */

static int prepare(struct plan *p, const struct ch_sandbox_options *o, struct ch_err *err)
{
    int rc = resolve_limits(&o->limits, &p->lim, err);
    if (rc == CH_OK)
        rc = check_options(o, err);
    if (rc == CH_OK)
        rc = ch_sandbox_find_bwrap(o->bwrap_path, &p->bwrap, err);
    if (rc != CH_OK)
        return rc;
    p->drop_privileges = geteuid() == 0;
    p->host_uid = o->host_uid == 0 ? CH_SANDBOX_DEFAULT_HOST_ID : o->host_uid;
    p->host_gid = o->host_gid == 0 ? CH_SANDBOX_DEFAULT_HOST_ID : o->host_gid;
    if (p->drop_privileges && o->work_dir != NULL)
        rc = chown_work_dir(o->work_dir, p->host_uid, p->host_gid, err);
    if (rc == CH_OK)
        rc = build_args(p, o, err);
    unsigned sflags = (o->flags & CH_SANDBOX_ALLOW_PTRACE) ? CH_VALIDATE__SECCOMP_ALLOW_PTRACE : 0;
    if (rc == CH_OK)
        rc = ch_validate__seccomp_fd(sflags, &p->seccomp_fd, err);
    if (rc == CH_OK)
        rc = make_stdin(p, o->stdin_data, o->stdin_len, err);
    if (rc == CH_OK)
        rc = make_pipe(&p->out_r, &p->out_w, err);
    if (rc == CH_OK)
        rc = make_pipe(&p->err_r, &p->err_w, err);
    if (rc == CH_OK)
        rc = make_pipe(&p->report_r, &p->report_w, err);
    if (rc == CH_OK)
        rc = make_pipe(&p->result_r, &p->result_w, err);
    if (rc == CH_OK &&
        (fcntl(p->out_r, F_SETFL, O_NONBLOCK) != 0 || fcntl(p->err_r, F_SETFL, O_NONBLOCK) != 0))
        rc = ch_err_set(err, CH_E_IO, "fcntl: %s", strerror(errno));
    return rc;
}

static int read_full(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

/*
 * Learns the sandbox's process group from the supervisor, then reads the
 * pre-exec report: EOF (nothing) means bubblewrap was executed.
 */
static int read_child_report(struct plan *p, struct run *r, struct ch_err *err)
{
    close_fd(&p->report_w);
    close_fd(&p->result_w);
    pid_t child = -1;
    int got_pid = read_full(p->result_r, &child, sizeof(child)) == 0;
    if (got_pid && child > 0)
        r->sandbox_pgid = child;
    int msg[2] = {0, 0};
    if (read_full(p->report_r, msg, sizeof(msg)) != 0 && got_pid)
        return CH_OK;
    /* the child failed before execve and is gone: the supervisor reaps it and exits */
    (void)waitpid(r->pid, &r->supervisor_status, 0);
    r->reaped = true;
    if (msg[0] == 0)
        return ch_err_set(err, CH_E_INTERNAL, "sandbox supervisor ended before starting");
    int code = msg[1] == ENOENT || msg[1] == EACCES ? CH_E_UNAVAILABLE : CH_E_IO;
    return ch_err_set(err, code, "sandbox child failed %s: %s", stage_str(msg[0]),
                      strerror(msg[1]));
}

static int start(struct plan *p, struct run *r, struct ch_err *err)
{
    pid_t parent = getpid();
    r->start_ns = ch_clock_mono_ns();
    r->deadline_ms = r->start_ns / 1000000 + p->lim.wall_ms;
    r->pid = fork();
    if (r->pid < 0)
        return ch_err_set(err, CH_E_IO, "fork: %s", strerror(errno));
    if (r->pid == 0)
        supervise(p, parent);
    r->pidfd = pidfd_open(r->pid, 0);
    close_fd(&p->out_w);
    close_fd(&p->err_w);
    close_fd(&p->stdin_fd);
    close_fd(&p->seccomp_fd);
    return read_child_report(p, r, err);
}

/* Ends the run for sure: kills what is left and reaps the supervisor. */
static void finish(struct plan *p, struct run *r)
{
    if (!r->reaped) {
        kill_sandbox(r, r->killed ? r->kill_reason : CH_SANDBOX_KILL_NONE);
        (void)kill(r->pid, SIGKILL);
        while (waitpid(r->pid, &r->supervisor_status, 0) < 0 && errno == EINTR) {
        }
        r->reaped = true;
    }
    /* the supervisor wrote its record before exiting; it is in the pipe now */
    r->have_rec = read_full(p->result_r, &r->rec, sizeof(r->rec)) == 0;
}

int ch_sandbox_run(const struct ch_sandbox_options *opts, struct ch_sandbox_result *ret,
                   struct ch_err *err)
{
    *ret = (struct ch_sandbox_result){0};
    struct plan *p = ch_calloc(1, sizeof(*p));
    if (p == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory preparing the sandbox");
    p->stdin_fd = p->seccomp_fd = p->out_r = p->out_w = -1;
    p->err_r = p->err_w = p->report_r = p->report_w = p->result_r = p->result_w = -1;
    struct run r = {.pid = -1,
                    .sandbox_pgid = -1,
                    .pidfd = -1,
                    .keep_running = (opts->flags & CH_SANDBOX_KEEP_RUNNING_ON_OUTPUT_LIMIT) != 0};
    struct capture caps[2];
    capture_init(&caps[0], -1, &ret->out, CH_SANDBOX_DEFAULT_OUTPUT_BYTES, false);
    capture_init(&caps[1], -1, &ret->err, CH_SANDBOX_DEFAULT_OUTPUT_BYTES, false);
    int rc = prepare(p, opts, err);
    if (rc == CH_OK)
        rc = start(p, &r, err);
    if (rc != CH_OK)
        goto out;
    capture_init(&caps[0], p->out_r, &ret->out, p->lim.out_max, r.keep_running);
    capture_init(&caps[1], p->err_r, &ret->err, p->lim.err_max, r.keep_running);
    rc = wait_loop(&r, caps, err);
    finish(p, &r);
    ret->wall_us = (ch_clock_mono_ns() - r.start_ns) / 1000;
    for (int i = 0; i < 2; i++) {
        if (capture_finish(&caps[i]) != CH_OK && rc == CH_OK)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory capturing sandbox output");
    }
    ret->out_truncated = caps[0].overflow;
    ret->err_truncated = caps[1].overflow;
    ret->out_discarded = caps[0].discarded;
    ret->err_discarded = caps[1].discarded;
    if (rc == CH_OK) {
        decode_status(&r, &p->lim, ret);
        rc = check_bwrap_failure(ret, err);
    }
out:
    for (int i = 0; i < 2; i++)
        ch_free(caps[i].ring);
    close_fd(&r.pidfd);
    plan_release(p);
    ch_free(p);
    return rc;
}

int ch_sandbox_probe(const char *bwrap_path, struct ch_err *err)
{
    static const char *const argv[] = {"/usr/bin/true", NULL};
    struct ch_sandbox_options o = {
        .argv = argv, .bwrap_path = bwrap_path, .limits = {.wall_ms = 5000}};
    struct ch_sandbox_result res;
    int rc = ch_sandbox_run(&o, &res, err);
    if (rc == CH_OK && !(res.exited && res.exit_code == 0)) {
        struct ch_str e = ch_buf_str(&res.err);
        rc = ch_err_set(err, CH_E_UNAVAILABLE, "sandbox probe failed (exit %d, signal %d): %.*s",
                        res.exit_code, res.signal, CH_STR_FMT(ch_str_sub(e, 0, 300)));
    }
    if (rc == CH_E_NOTFOUND)
        rc = CH_E_UNAVAILABLE;
    ch_sandbox_result_release(&res);
    return rc;
}
