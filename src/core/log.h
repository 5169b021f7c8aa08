/* SPDX-License-Identifier: Apache-2.0
 *
 * log.h: the one logger. Library code does not log above DEBUG: it returns
 * errors, and the layer that decides what to do (HTTP handler, job runner,
 * CLI command) logs once. Diagnostics go to stderr; results go to stdout.
 *
 * The level check happens before any formatting. The configuration is
 * process-wide and is set by main() before threads start; each line is
 * written with a single write() so lines from several threads do not mix.
 */
#ifndef CH_CORE_LOG_H
#define CH_CORE_LOG_H

#include <stddef.h>

#include "core/buf.h"
#include "core/compiler.h"

enum ch_log_level {
    CH_LOG_ERROR = 0,
    CH_LOG_WARN = 1,
    CH_LOG_INFO = 2,
    CH_LOG_DEBUG = 3,
};

/* fd to write to (default 2) and the most verbose level printed (default INFO). */
void ch_log_setup(int fd, enum ch_log_level level, int with_timestamps);
enum ch_log_level ch_log_get_level(void);
/* Parses "error|warn|info|debug"; -1 if unknown. */
int ch_log_level_parse(const char *s);

void ch_log_write(enum ch_log_level level, const char *fmt, ...) CH_PRINTF(2, 3);

#define ch_log(level, ...)                                                             \
    do {                                                                               \
        if ((level) <= ch_log_get_level())                                             \
            ch_log_write((level), __VA_ARGS__);                                        \
    } while (0)
#define ch_log_error(...) ch_log(CH_LOG_ERROR, __VA_ARGS__)
#define ch_log_warn(...) ch_log(CH_LOG_WARN, __VA_ARGS__)
#define ch_log_info(...) ch_log(CH_LOG_INFO, __VA_ARGS__)
#define ch_log_debug(...) ch_log(CH_LOG_DEBUG, __VA_ARGS__)

/*
 * Writes a printable, bounded rendering of untrusted bytes into out (size
 * out_size, always NUL-terminated): control and non-ASCII bytes become \xNN,
 * and values longer than the room become head...tail. Returns out.
 */
char *ch_log_quote(char *out, size_t out_size, const char *data, size_t len);

#endif
