/* SPDX-License-Identifier: Apache-2.0
 *
 * log.c: line logger (see log.h).
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

/* Process-wide configuration, written by main() before threads start. */
static int log_fd = 2;
static enum ch_log_level log_level = CH_LOG_INFO;
static int log_timestamps;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void ch_log_setup(int fd, enum ch_log_level level, int with_timestamps)
{
    log_fd = fd;
    log_level = level;
    log_timestamps = with_timestamps;
}

enum ch_log_level ch_log_get_level(void)
{
    return log_level;
}

int ch_log_level_parse(const char *s)
{
    for (int i = 0; i < (int)CH_ARRAY_SIZE(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0)
            return i;
    }
    return -1;
}

void ch_log_write(enum ch_log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    size_t n = 0;
    if (log_timestamps) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        int k = snprintf(line + n, sizeof(line) - n, ".%03ldZ ", ts.tv_nsec / 1000000);
        n += k > 0 ? (size_t)k : 0;
    }
    int k = snprintf(line + n, sizeof(line) - n, "%s: ", level_names[level]);
    n += k > 0 ? (size_t)k : 0;
    va_list ap;
    va_start(ap, fmt);
    k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (k > 0)
        n += (size_t)k;
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    /* one write per line: lines from several threads stay whole */
    ssize_t w = write(log_fd, line, n);
    (void)w; /* nowhere left to report a failing log write */
}

char *ch_log_quote(char *out, size_t out_size, const char *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (out_size == 0)
        return out;
    size_t o = 0;
    /* reserve room for "..." and a tail when the input does not fit */
    size_t budget = out_size - 1;
    size_t head = len, tail_from = len;
    size_t need = 0;
    for (size_t i = 0; i < len && need <= budget; i++) {
        unsigned char c = (unsigned char)data[i];
        need += (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
    }
    if (need > budget) {
        size_t half = (budget - 3) / 8; /* worst case 4 output bytes per input byte */
        head = half;
        tail_from = len - half;
    }
    for (size_t i = 0; i < len && o < budget; i++) {
        if (i == head && i < tail_from) {
            if (o + 3 > budget)
                break;
            memcpy(out + o, "...", 3);
            o += 3;
            i = tail_from - 1;
            continue;
        }
        unsigned char c = (unsigned char)data[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            if (o + 4 > budget)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}
