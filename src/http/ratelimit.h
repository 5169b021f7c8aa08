/* SPDX-License-Identifier: Apache-2.0
 *
 * ratelimit.h: a token bucket per API token, per server process.
 *
 * Each token id owns a bucket of `burst` requests refilled at `rate` per
 * second. State lives in this process only: with several `serve` processes
 * behind a balancer, a token may get up to (processes × rate). That is a
 * documented trade-off (docs/api.md): a shared limiter would put a database
 * round trip on every request.
 *
 * The table is fixed-size (CH_RATELIMIT_SLOTS); when a key finds no slot
 * among its probes, the least recently used of them is recycled, which can
 * only make the limiter more lenient, never lock a caller out.
 *
 * Thread-safety: ch_ratelimit_take() may be called from any thread.
 */
#ifndef CH_HTTP_RATELIMIT_H
#define CH_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

/* Buckets kept; a power of two. 4096 active tokens per process is ample. */
#define CH_RATELIMIT_SLOTS 4096u
/* Slots probed per key before recycling one. */
#define CH_RATELIMIT_PROBES 8u

#define CH_RATELIMIT_DEFAULT_RATE 100.0
#define CH_RATELIMIT_DEFAULT_BURST 200.0

struct ch_ratelimit;

/* rate: requests per second (> 0); burst: bucket size (>= 1). */
int ch_ratelimit_new(double rate, double burst, struct ch_ratelimit **ret,
                     struct ch_err *err) CH_MUST_CHECK;
void ch_ratelimit_free(struct ch_ratelimit *rl);

/*
 * Takes one request from key's bucket at monotonic time now_ns. Returns
 * true when allowed; false with *ret_retry_after_s (>= 1) when the bucket
 * is empty.
 */
bool ch_ratelimit_take(struct ch_ratelimit *rl, int64_t key, int64_t now_ns,
                       unsigned *ret_retry_after_s);

/*
 * Parses "RATE" or "RATE:BURST" (requests per second, positive whole
 * numbers), as in $CLEARINGHOUSE_RATE_LIMIT. CH_E_INVALID otherwise.
 */
int ch_ratelimit_parse(const char *s, double *ret_rate, double *ret_burst,
                       struct ch_err *err) CH_MUST_CHECK;

#endif
