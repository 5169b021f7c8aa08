/* SPDX-License-Identifier: Apache-2.0
 *
 * ratelimit.c: token buckets in an open-addressed table under one mutex
 * (see ratelimit.h). The critical section is a few arithmetic operations,
 * so one lock is cheaper than striping at the request rates one process
 * sees; anonymous requests never come here.
 */
#include "http/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "core/alloc.h"
#include "core/num.h"

/* Upper bound of a rate or burst setting: beyond it limiting means nothing. */
#define MAX_SETTING 1000000000ull

struct bucket {
    int64_t key; /* 0: free */
    double tokens;
    int64_t updated_ns;
};

struct ch_ratelimit {
    pthread_mutex_t lock;
    double rate; /* tokens per second */
    double burst;
    struct bucket slots[CH_RATELIMIT_SLOTS];
};

int ch_ratelimit_new(double rate, double burst, struct ch_ratelimit **ret, struct ch_err *err)
{
    if (!(rate > 0) || !(burst >= 1))
        return ch_err_set(err, CH_E_INVALID, "rate limit needs a rate > 0 and a burst >= 1");
    struct ch_ratelimit *rl = ch_calloc(1, sizeof(*rl));
    if (rl == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory for the rate limiter");
    pthread_mutex_init(&rl->lock, NULL);
    rl->rate = rate;
    rl->burst = burst;
    *ret = rl;
    return CH_OK;
}

void ch_ratelimit_free(struct ch_ratelimit *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->lock);
    ch_free(rl);
}

static struct bucket *find(struct ch_ratelimit *rl, int64_t key, int64_t now_ns)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    struct bucket *victim = NULL; /* a free slot, else the least recently used */
    for (unsigned i = 0; i < CH_RATELIMIT_PROBES; i++) {
        struct bucket *b = &rl->slots[(h + i) & (CH_RATELIMIT_SLOTS - 1)];
        if (b->key == key)
            return b;
        if (victim != NULL && victim->key == 0)
            continue;
        if (b->key == 0 || victim == NULL || b->updated_ns < victim->updated_ns)
            victim = b;
    }
    *victim = (struct bucket){.key = key, .tokens = rl->burst, .updated_ns = now_ns};
    return victim;
}

bool ch_ratelimit_take(struct ch_ratelimit *rl, int64_t key, int64_t now_ns,
                       unsigned *ret_retry_after_s)
{
    pthread_mutex_lock(&rl->lock);
    struct bucket *b = find(rl, key, now_ns);
    double dt = (double)(now_ns - b->updated_ns) / 1e9;
    if (dt > 0) {
        b->tokens = fmin(rl->burst, b->tokens + dt * rl->rate);
        b->updated_ns = now_ns;
    }
    bool ok = b->tokens >= 1.0;
    double missing = 1.0 - b->tokens;
    if (ok)
        b->tokens -= 1.0;
    pthread_mutex_unlock(&rl->lock);
    if (!ok) {
        double secs = ceil(missing / rl->rate);
        *ret_retry_after_s = secs < 1 ? 1u : (secs > 3600 ? 3600u : (unsigned)secs);
    }
    return ok;
}

int ch_ratelimit_parse(const char *s, double *ret_rate, double *ret_burst, struct ch_err *err)
{
    struct ch_str all = ch_str_c(s);
    long colon = ch_str_find_char(all, ':');
    struct ch_str r = colon < 0 ? all : ch_str_make(all.ptr, (size_t)colon);
    uint64_t rate = 0, burst = 0;
    struct ch_err perr = CH_ERR_INIT;
    if (ch_num_parse_u64(r, MAX_SETTING, &rate, &perr) != CH_OK || rate == 0)
        return ch_err_set(err, CH_E_INVALID, "rate limit '%s': expected RATE or RATE:BURST", s);
    burst = rate * 2;
    if (colon >= 0) {
        struct ch_str b = ch_str_make(all.ptr + colon + 1, all.len - (size_t)colon - 1);
        if (ch_num_parse_u64(b, MAX_SETTING, &burst, &perr) != CH_OK || burst == 0)
            return ch_err_set(err, CH_E_INVALID, "rate limit '%s': expected RATE or RATE:BURST", s);
    }
    *ret_rate = (double)rate;
    *ret_burst = (double)burst;
    return CH_OK;
}
