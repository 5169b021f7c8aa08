/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h: declarations shared by the files of src/validate and no one
 * else. Never include it from outside this folder.
 */
#ifndef CH_VALIDATE_INTERNAL_H
#define CH_VALIDATE_INTERNAL_H

#include "core/err.h"

/* Flags of ch_validate__seccomp_fd(). */
enum ch_validate__seccomp_flags {
    CH_VALIDATE__SECCOMP_ALLOW_PTRACE = 1 << 0, /* LeakSanitizer stops threads with ptrace */
};

/*
 * Builds the sandbox's seccomp filter (a classic-BPF program, as bubblewrap's
 * --seccomp FD expects) and writes it into a new sealed memfd positioned at
 * offset 0. On success *ret_fd is an O_CLOEXEC descriptor the caller closes.
 */
int ch_validate__seccomp_fd(unsigned flags, int *ret_fd, struct ch_err *err) CH_MUST_CHECK;

#endif
