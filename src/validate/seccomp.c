/* SPDX-License-Identifier: Apache-2.0
 *
 * seccomp.c: the system-call filter of the sandbox, built with libseccomp and
 * handed to bubblewrap as a compiled classic-BPF program (--seccomp FD).
 *
 * Design: a deny list over a default of ALLOW. The namespaces, the dropped
 * capabilities and the unprivileged uid already refuse most dangerous calls;
 * the filter removes kernel attack surface that stays reachable without
 * privileges (BPF, perf, io_uring, keyrings, userfaultfd, new namespaces) and
 * every socket family but AF_UNIX, so a proof of concept cannot reach a
 * network even if a namespace were misconfigured. Denied calls fail with
 * EPERM, so a well-behaved program sees an ordinary error, not a kill.
 * clone3 fails with ENOSYS because its flags live in memory that a filter
 * cannot read: glibc then falls back to clone, whose flags are checked.
 * Other architectures (i386 int 0x80, x32) are killed outright.
 * personality() stays allowed: libseccomp cannot express "these bits, unless
 * the value is the 0xffffffff query" in one rule, and disabling ASLR only
 * weakens processes inside the same sandbox.
 *
 * Names are resolved at run time, so a syscall unknown to this libseccomp
 * is skipped instead of breaking the build.
 */
#include "validate/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sched.h>

/* Calls denied outright (EPERM), whatever their arguments. */
static const char *const denied[] = {
    /* debugging and reading other processes' memory */
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    /* mounts and namespaces (bubblewrap finished all of that before exec) */
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
    /* kernel keyrings, eBPF, perf, io_uring, userfaultfd: large attack surface */
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    /* the machine itself */
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "quotactl_fd",
    "syslog",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "vhangup",
    "iopl",
    "ioperm",
    "modify_ldt",
    "uselib",
    "nfsservctl",
    "sethostname",
    "setdomainname",
    /* file handles bypass path-based confinement; fanotify watches the host */
    "open_by_handle_at",
    "name_to_handle_at",
    "lookup_dcookie",
    "fanotify_init",
};

/* clone() flags that would create a namespace. */
static const unsigned long clone_ns_flags[] = {
    CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,    CLONE_NEWNET,
    CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

/* ioctl requests that inject input into or reprogram the terminal. */
static const unsigned long tty_ioctls[] = {TIOCSTI, TIOCLINUX};

static int add_rule(scmp_filter_ctx ctx, const char *name, uint32_t action, unsigned n_cmp,
                    const struct scmp_arg_cmp *cmp, struct ch_err *err)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return CH_OK; /* unknown to this libseccomp: nothing to deny */
    int rc = seccomp_rule_add_array(ctx, action, nr, n_cmp, cmp);
    if (rc < 0)
        return ch_err_set(err, CH_E_INTERNAL, "seccomp rule for '%s': %s", name, strerror(-rc));
    return CH_OK;
}

static struct scmp_arg_cmp arg_cmp(unsigned arg, enum scmp_compare op, uint64_t a, uint64_t b)
{
    return (struct scmp_arg_cmp){.arg = arg, .op = op, .datum_a = a, .datum_b = b};
}

static int add_rules(scmp_filter_ctx ctx, unsigned flags, struct ch_err *err)
{
    const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
    int rc = CH_OK;
    for (size_t i = 0; i < CH_ARRAY_SIZE(denied) && rc == CH_OK; i++) {
        int allowed =
            (flags & CH_VALIDATE__SECCOMP_ALLOW_PTRACE) != 0 && strcmp(denied[i], "ptrace") == 0;
        if (!allowed)
            rc = add_rule(ctx, denied[i], eperm, 0, NULL, err);
    }
    /* Only local sockets: socket()/socketpair() with any other family fail. */
    struct scmp_arg_cmp not_unix = arg_cmp(0, SCMP_CMP_NE, AF_UNIX, 0);
    if (rc == CH_OK)
        rc = add_rule(ctx, "socket", eperm, 1, &not_unix, err);
    if (rc == CH_OK)
        rc = add_rule(ctx, "socketpair", eperm, 1, &not_unix, err);
    for (size_t i = 0; i < CH_ARRAY_SIZE(clone_ns_flags) && rc == CH_OK; i++) {
        struct scmp_arg_cmp c =
            arg_cmp(0, SCMP_CMP_MASKED_EQ, clone_ns_flags[i], clone_ns_flags[i]);
        rc = add_rule(ctx, "clone", eperm, 1, &c, err);
    }
    if (rc == CH_OK)
        rc = add_rule(ctx, "clone3", SCMP_ACT_ERRNO(ENOSYS), 0, NULL, err);
    for (size_t i = 0; i < CH_ARRAY_SIZE(tty_ioctls) && rc == CH_OK; i++) {
        struct scmp_arg_cmp c = arg_cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffUL, tty_ioctls[i]);
        rc = add_rule(ctx, "ioctl", eperm, 1, &c, err);
    }
    return rc;
}

static int export_sealed(scmp_filter_ctx ctx, int *ret_fd, struct ch_err *err)
{
    int fd = memfd_create("ch-sandbox-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "memfd_create: %s", strerror(errno));
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0) {
        close(fd);
        return ch_err_set(err, CH_E_INTERNAL, "seccomp_export_bpf: %s", strerror(-rc));
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0 ||
        lseek(fd, 0, SEEK_SET) != 0) {
        rc = errno;
        close(fd);
        return ch_err_set(err, CH_E_IO, "sealing seccomp filter: %s", strerror(rc));
    }
    *ret_fd = fd;
    return CH_OK;
}

int ch_validate__seccomp_fd(unsigned flags, int *ret_fd, struct ch_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        return ch_err_set(err, CH_E_NOMEM, "seccomp_init failed");
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc < 0) {
        rc = ch_err_set(err, CH_E_INTERNAL, "seccomp bad-arch action: %s", strerror(-rc));
        goto out;
    }
    rc = add_rules(ctx, flags, err);
    if (rc != CH_OK)
        goto out;
    rc = export_sealed(ctx, ret_fd, err);
out:
    seccomp_release(ctx);
    return rc;
}
