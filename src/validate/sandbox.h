/* SPDX-License-Identifier: Apache-2.0
 *
 * sandbox.h: runs one untrusted command (a proof of concept, a model-issued
 * shell command) inside bubblewrap and reports how it ended.
 *
 * The command sees: a read-only /usr, /lib, /lib64 (with /bin and /sbin as
 * symlinks), a fresh /proc and a minimal /dev, a size-capped tmpfs at /tmp,
 * the caller's work directory read-write at /job (its working directory),
 * and any extra read-only binds the caller names. /etc and the rest of the
 * host file system do not exist. It runs in new user, PID, network, IPC, UTS,
 * mount and cgroup namespaces as uid/gid 65534 with no capabilities, cannot
 * create further user namespaces, has its own session, a cleared environment
 * and a seccomp filter (see seccomp.c and docs/internals/sandbox.md).
 *
 * Limits: CPU seconds, address space, file size, processes and open files are
 * rlimits set in the forked child before it executes bubblewrap; the wall
 * clock and the output sizes are enforced by the calling process, which kills
 * the whole sandbox (process group, bubblewrap's --die-with-parent and PID
 * namespace) when one is exceeded. The call always returns: a fork bomb, a
 * sleeper or a flood of output cannot block it past the wall-clock limit.
 *
 * Running as root: the kernel exempts uid 0 from RLIMIT_NPROC, so when the
 * caller is root the child drops to the unprivileged host uid/gid
 * (host_uid/host_gid, default 65534) before executing bubblewrap, which then
 * builds its namespaces unprivileged. The work directory is chowned to that
 * uid so the job can write there; every path the sandbox binds must be
 * reachable (searchable) by it. Processes of that host uid share one
 * RLIMIT_NPROC budget, so concurrent sandboxes that each need the full
 * process limit should be given distinct host uids.
 *
 * Threading: ch_sandbox_run() may be called from several threads at once; it
 * uses no global state. It forks, so the caller should not hold locks that a
 * fork would copy in a held state into code it then runs (it runs none: the
 * child only makes system calls and executes bubblewrap).
 */
#ifndef CH_VALIDATE_SANDBOX_H
#define CH_VALIDATE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Default limits (a limits field left 0 takes these). */
#define CH_SANDBOX_DEFAULT_WALL_MS 10000
#define CH_SANDBOX_DEFAULT_CPU_SECONDS 5
#define CH_SANDBOX_DEFAULT_AS_BYTES ((uint64_t)512 << 20)
#define CH_SANDBOX_DEFAULT_FSIZE_BYTES ((uint64_t)16 << 20)
#define CH_SANDBOX_DEFAULT_NPROC 64
#define CH_SANDBOX_DEFAULT_NOFILE 64
#define CH_SANDBOX_DEFAULT_TMP_BYTES ((uint64_t)64 << 20)
#define CH_SANDBOX_DEFAULT_OUTPUT_BYTES ((size_t)1 << 20)
/* A limits value meaning "no limit" (needed for the address space of ASan programs). */
#define CH_SANDBOX_UNLIMITED UINT64_MAX
/* The unprivileged host uid/gid a root caller drops to (Debian's nobody/nogroup). */
#define CH_SANDBOX_DEFAULT_HOST_ID 65534u
/* The uid/gid the command sees inside the sandbox. */
#define CH_SANDBOX_UID 65534u

/*
 * Resource limits. Zero means the default above; CH_SANDBOX_UNLIMITED lifts a
 * limit (not allowed for wall_ms, n_procs and output sizes). CPU seconds and
 * file size are per process, as rlimits are; the wall clock covers the whole
 * sandbox.
 */
struct ch_sandbox_limits {
    int64_t wall_ms;         /* wall-clock time from fork to the end */
    uint64_t cpu_seconds;    /* RLIMIT_CPU: SIGXCPU at the limit, SIGKILL a second later */
    uint64_t as_bytes;       /* RLIMIT_AS: allocation fails (ENOMEM) past it */
    uint64_t fsize_bytes;    /* RLIMIT_FSIZE: SIGXFSZ when a file would grow past it */
    uint64_t n_procs;        /* RLIMIT_NPROC: fork fails (EAGAIN) past it */
    uint64_t n_files;        /* RLIMIT_NOFILE: open descriptors per process */
    uint64_t tmp_bytes;      /* size of the /tmp tmpfs (and of /job when no work_dir) */
    size_t stdout_max_bytes; /* captured stdout kept at most */
    size_t stderr_max_bytes; /* captured stderr kept at most */
};

/* A read-only bind: host path src appears at dst (absolute) inside. */
struct ch_sandbox_bind {
    const char *src;
    const char *dst;
};

enum ch_sandbox_flags {
    /*
     * When the output limit is reached, keep the command running and discard
     * the excess instead of killing it; the captured text is then the head
     * plus the last quarter of the limit (the tail holds sanitizer reports).
     */
    CH_SANDBOX_KEEP_RUNNING_ON_OUTPUT_LIMIT = 1 << 0,
    /*
     * Allow ptrace inside the sandbox (LeakSanitizer stops the threads of its
     * own process with it). Only processes of the same sandbox are reachable.
     */
    CH_SANDBOX_ALLOW_PTRACE = 1 << 1,
};

/*
 * What to run and how. Every pointer is borrowed for the call. Build it with
 * designated initialisers; fields left zero take their defaults.
 */
struct ch_sandbox_options {
    const char *const *argv; /* NULL-terminated; argv[0] absolute or found in PATH inside */
    const char *work_dir;    /* host directory bound read-write at /job; NULL = empty tmpfs */
    const struct ch_sandbox_bind *ro_binds; /* extra read-only binds (toolchain, build tree) */
    size_t n_ro_binds;
    const char *const *env; /* NULL-terminated "NAME=value" list; PATH has a default */
    const char *stdin_data; /* bytes fed on stdin (NULL: stdin is /dev/null) */
    size_t stdin_len;
    struct ch_sandbox_limits limits;
    unsigned flags;         /* enum ch_sandbox_flags */
    const char *bwrap_path; /* NULL: search the standard locations */
    uint32_t host_uid;      /* root callers drop to this uid; 0 = CH_SANDBOX_DEFAULT_HOST_ID */
    uint32_t host_gid;      /* likewise for the group */
};

/* Why the sandbox ended the command (or the likely cause for memory). */
enum ch_sandbox_kill {
    CH_SANDBOX_KILL_NONE = 0,
    CH_SANDBOX_KILL_TIMEOUT, /* the wall clock ran out; the sandbox was killed */
    CH_SANDBOX_KILL_CPU,     /* RLIMIT_CPU: SIGXCPU or SIGKILL after the CPU budget */
    CH_SANDBOX_KILL_MEMORY,  /* failed after exhausting the address-space limit */
    CH_SANDBOX_KILL_OUTPUT,  /* output passed its limit; the sandbox was killed */
    CH_SANDBOX_KILL_FSIZE,   /* RLIMIT_FSIZE: SIGXFSZ */
    CH_SANDBOX_KILL_COUNT
};

/*
 * How the command ended. Initialised by ch_sandbox_run(); owns its two
 * buffers, which ch_sandbox_result_release() frees (safe to call on a result
 * that a failed run left behind, or twice).
 *
 * Exit status: bubblewrap reports a command killed by signal N as exit code
 * 128+N, exactly as a shell does; such codes are decoded into `signal` (with
 * `exited` false), so a program that itself calls exit(139) is read as SIGSEGV.
 */
struct ch_sandbox_result {
    bool exited;   /* the command exited normally: exit_code is valid */
    int exit_code; /* 0..255 when exited */
    int signal;    /* terminating signal, 0 when exited */
    enum ch_sandbox_kill killed_by;
    int64_t wall_us;    /* from fork to the end, microseconds */
    int64_t cpu_us;     /* user+system CPU of the sandbox's reaped processes (wait4) */
    int64_t max_rss_kb; /* largest resident set of one of them, KiB */
    struct ch_buf out;  /* captured stdout (binary-safe), owned */
    struct ch_buf err;  /* captured stderr, owned */
    bool out_truncated; /* stdout passed stdout_max_bytes; excess discarded */
    bool err_truncated;
    uint64_t out_discarded; /* bytes of stdout read and thrown away */
    uint64_t err_discarded;
};

/*
 * Runs opts->argv in a fresh sandbox and waits for it to end, within the wall
 * clock limit. Initialises *ret first (release it afterwards whatever the
 * return value). Returns CH_OK whenever the command ran, however it ended
 * (crash, timeout, limit): see *ret. Errors: CH_E_USAGE for malformed options
 * (empty argv, bad env name, relative bind target), CH_E_NOTFOUND for a
 * missing work directory or bind source, CH_E_UNAVAILABLE when bubblewrap is
 * missing or cannot create its namespaces here (the message carries
 * bubblewrap's own), CH_E_IO/CH_E_NOMEM for local failures.
 */
int ch_sandbox_run(const struct ch_sandbox_options *opts, struct ch_sandbox_result *ret,
                   struct ch_err *err) CH_MUST_CHECK;

void ch_sandbox_result_release(struct ch_sandbox_result *r);

/*
 * Finds the bubblewrap executable: `path` when given, else /usr/bin/bwrap,
 * /usr/local/bin/bwrap, /bin/bwrap. Returns a borrowed pointer (`path` or a
 * literal) in *ret_path, or CH_E_UNAVAILABLE ("install the bubblewrap package").
 */
int ch_sandbox_find_bwrap(const char *path, const char **ret_path,
                          struct ch_err *err) CH_MUST_CHECK;

/*
 * Checks that a sandbox can be created here (runs /usr/bin/true inside one).
 * CH_OK, or CH_E_UNAVAILABLE with bubblewrap's message. Tests skip on the latter.
 */
int ch_sandbox_probe(const char *bwrap_path, struct ch_err *err) CH_MUST_CHECK;

/* "none", "timeout", "cpu", "memory", "output", "fsize"; never NULL. */
const char *ch_sandbox_kill_str(enum ch_sandbox_kill k);

#endif
