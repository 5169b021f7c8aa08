/* SPDX-License-Identifier: Apache-2.0
 *
 * clock.h: time as seconds since the Unix epoch, UTC, and an injectable
 * "now". Every component that asks the time asks a struct ch_clock it was
 * given, so reports can be made as of any date and tests never depend on the
 * wall clock.
 *
 * Dates are parsed and printed in RFC 3339 / ISO 8601 form. Times are int64
 * seconds; the fractional part of a timestamp is returned separately where it
 * matters (ordering of OSV `modified` values).
 */
#ifndef CH_CORE_CLOCK_H
#define CH_CORE_CLOCK_H

#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

#define CH_DAY_SECONDS 86400

/* The clock. `fixed` >= 0 freezes time at that instant; otherwise the system clock. */
struct ch_clock {
    int64_t fixed;
};

#define CH_CLOCK_SYSTEM ((struct ch_clock){.fixed = -1})
#define CH_CLOCK_FIXED(t) ((struct ch_clock){.fixed = (t)})

/* Seconds since the epoch, UTC. */
int64_t ch_clock_now(const struct ch_clock *c);
/* Monotonic milliseconds, for measuring durations (not dates). */
int64_t ch_clock_mono_ms(void);
/* Monotonic nanoseconds, for benchmarks and latency histograms. */
int64_t ch_clock_mono_ns(void);

/*
 * Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.frac]](Z|±HH:MM)" (also with a
 * space or lowercase t/z; a missing zone means UTC). Writes seconds and the
 * fraction in nanoseconds (ret_nsec may be NULL). Years 0001-9999 only.
 */
int ch_time_parse(struct ch_str s, int64_t *ret_secs, int32_t *ret_nsec,
                  struct ch_err *err) CH_MUST_CHECK;

#define CH_TIME_STR_MAX 32
/* "2026-06-10T00:00:00Z" into out (CH_TIME_STR_MAX bytes); returns out. */
char *ch_time_format(int64_t secs, char out[CH_TIME_STR_MAX]);
/* "2026-06-10" into out; returns out. */
char *ch_time_format_date(int64_t secs, char out[CH_TIME_STR_MAX]);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
int64_t ch_days_from_civil(int64_t y, unsigned m, unsigned d);
void ch_civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d);

/* Start of the UTC day containing t. */
int64_t ch_time_day_start(int64_t t);

#endif
