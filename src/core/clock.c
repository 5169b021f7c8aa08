/* SPDX-License-Identifier: Apache-2.0
 *
 * clock.c: UTC time without the C library's time-zone state. The civil-date
 * conversions are Howard Hinnant's days_from_civil/civil_from_days
 * algorithms, exact for the proleptic Gregorian calendar.
 */
#include "core/clock.h"

#include <stdio.h>
#include <time.h>

int64_t ch_clock_now(const struct ch_clock *c)
{
    if (c != NULL && c->fixed >= 0)
        return c->fixed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t ch_clock_mono_ms(void)
{
    return ch_clock_mono_ns() / 1000000;
}

int64_t ch_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ch_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ch_civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *ret_y = y + (m <= 2);
    *ret_m = m;
    *ret_d = d;
}

static int digits(struct ch_str s, size_t at, size_t n, unsigned *ret)
{
    if (at + n > s.len)
        return 0;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s.ptr[at + i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (unsigned)(c - '0');
    }
    *ret = v;
    return 1;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

int ch_time_parse(struct ch_str s, int64_t *ret_secs, int32_t *ret_nsec, struct ch_err *err)
{
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    int32_t nsec = 0;
    int64_t offset = 0;
    size_t i = 10;
    if (s.len > 40 || !digits(s, 0, 4, &y) || s.len < 10 || s.ptr[4] != '-' ||
        !digits(s, 5, 2, &mo) || s.ptr[7] != '-' || !digits(s, 8, 2, &d))
        goto bad;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        goto bad;
    if (i < s.len) {
        char t = s.ptr[i];
        if (t != 'T' && t != 't' && t != ' ')
            goto bad;
        if (!digits(s, 11, 2, &h) || s.len < 16 || s.ptr[13] != ':' || !digits(s, 14, 2, &mi))
            goto bad;
        i = 16;
        if (i < s.len && s.ptr[i] == ':') {
            if (!digits(s, 17, 2, &sec))
                goto bad;
            i = 19;
            if (i < s.len && s.ptr[i] == '.') {
                i++;
                size_t start = i;
                int32_t scale = 100000000;
                while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
                    nsec += scale * (s.ptr[i] - '0');
                    scale /= 10;
                    i++;
                }
                if (i == start)
                    goto bad;
            }
        }
        /* 23:59:60 (leap second) is folded into the next second */
        if (h > 23 || mi > 59 || sec > 60)
            goto bad;
        if (i < s.len) {
            char z = s.ptr[i];
            if ((z == 'Z' || z == 'z') && i + 1 == s.len) {
                i++;
            } else if (z == '+' || z == '-') {
                unsigned oh, om;
                if (i + 6 != s.len || !digits(s, i + 1, 2, &oh) || s.ptr[i + 3] != ':' ||
                    !digits(s, i + 4, 2, &om) || oh > 23 || om > 59)
                    goto bad;
                offset = (int64_t)(oh * 3600 + om * 60);
                if (z == '-')
                    offset = -offset;
                i = s.len;
            } else {
                goto bad;
            }
        }
    }
    if (i != s.len)
        goto bad;
    int64_t days = ch_days_from_civil(y, mo, d);
    *ret_secs = days * CH_DAY_SECONDS + h * 3600 + mi * 60 + sec - offset;
    if (ret_nsec != NULL)
        *ret_nsec = nsec;
    return CH_OK;
bad:
    return ch_err_set(err, CH_E_INVALID, "invalid date or time '%.*s'",
                      CH_STR_FMT(ch_str_sub(s, 0, 40)));
}

char *ch_time_format(int64_t secs, char out[CH_TIME_STR_MAX])
{
    int64_t days = secs / CH_DAY_SECONDS;
    int64_t rem = secs % CH_DAY_SECONDS;
    if (rem < 0) {
        rem += CH_DAY_SECONDS;
        days--;
    }
    int64_t y;
    unsigned m, d;
    ch_civil_from_days(days, &y, &m, &d);
    snprintf(out, CH_TIME_STR_MAX, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return out;
}

char *ch_time_format_date(int64_t secs, char out[CH_TIME_STR_MAX])
{
    ch_time_format(secs, out);
    out[10] = '\0';
    return out;
}

int64_t ch_time_day_start(int64_t t)
{
    int64_t r = t % CH_DAY_SECONDS;
    if (r < 0)
        r += CH_DAY_SECONDS;
    return t - r;
}
