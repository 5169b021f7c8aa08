/* SPDX-License-Identifier: Apache-2.0
 *
 * version_bench.c: comparisons per second of every version scheme
 * (src/version/), the inner loop of the matching index.
 *
 * For each scheme, a pool of realistic versions (typical shapes of the
 * ecosystem: dotted numbers, pre-releases, epochs, revisions, Go
 * pseudo-versions) is compared in pseudo-random pairs through the public
 * ch_version_cmp(), which parses both sides on every call. Prints one line
 * per scheme: comparisons, seconds, comparisons per second.
 *
 *   build/bench/version_bench [comparisons-per-scheme]   (default 2,000,000)
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"
#include "core/num.h"
#include "version/version.h"

#define POOL 1024

struct shape {
    const char *scheme;
    const char *fmt; /* printf format over three numbers */
};

static const struct shape shapes[] = {
    {"semver", "%u.%u.%u"},
    {"semver", "%u.%u.%u-rc.%u"},
    {"go", "v0.0.0-2023%02u%02u120000-abcdef%06u"},
    {"go", "v%u.%u.%u+incompatible"},
    {"pep440", "%u.%u.%u"},
    {"pep440", "%u.%ua%u.post1"},
    {"maven", "%u.%u.%u-SNAPSHOT"},
    {"maven", "%u.%u.%u.Final"},
    {"nuget", "%u.%u.%u-beta.%u"},
    {"nuget", "%u.%u.%u.%u"},
    {"rubygems", "%u.%u.%u.rc%u"},
    {"rubygems", "%u.%u.%u"},
    {"composer", "v%u.%u.%u-RC%u"},
    {"composer", "%u.%u.%u"},
    {"dpkg", "1:%u.%u.%u-1+deb12u%u"},
    {"dpkg", "%u.%u~rc%u-2ubuntu%u"},
    {"rpm", "%u.%u.%u-%u.el8_4"},
    {"rpm", "1:%u.%u~rc%u-%u.fc39"},
    {"apk", "%u.%u.%u-r%u"},
    {"apk", "%u.%u_rc%u-r%u"},
    {"cran", "%u.%u-%u"},
    {"pvp", "%u.%u.%u.%u"},
};

static uint64_t rng_state = 0x1234567;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t n = 2000000;
    struct ch_err err = CH_ERR_INIT;
    if (argc > 1 && ch_num_parse_u64(ch_str_c(argv[1]), UINT64_C(1) << 40, &n, &err) != CH_OK) {
        fprintf(stderr, "version_bench: %s\n", err.msg);
        return 2;
    }
    static char pool[POOL][64];
    static struct ch_str views[POOL];
    printf("%-10s %12s %8s %14s\n", "scheme", "comparisons", "seconds", "per second");
    for (size_t i = 0; i < ch_version_scheme_count(); i++) {
        const struct ch_version_scheme *s = ch_version_scheme_at(i);
        const char *name = ch_version_scheme_name(s);
        const struct shape *mine[8];
        size_t n_mine = 0;
        for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]) && n_mine < 8; k++) {
            if (ch_str_eq_c(ch_str_c(shapes[k].scheme), name))
                mine[n_mine++] = &shapes[k];
        }
        if (n_mine == 0)
            continue;
        for (size_t p = 0; p < POOL; p++) {
            const struct shape *sh = mine[p % n_mine];
            int len = snprintf(pool[p], sizeof(pool[p]), sh->fmt, rnd() % 12, rnd() % 30,
                               rnd() % 40, rnd() % 9 + 1);
            views[p] = ch_str_make(pool[p], (size_t)len);
            ch_err_clear(&err);
            if (ch_version_validate(s, views[p], &err) != CH_OK) {
                fprintf(stderr, "version_bench: %s\n", err.msg);
                return 1;
            }
        }
        long sink = 0;
        double t0 = now_s();
        for (uint64_t k = 0; k < n; k++) {
            int c = 0;
            uint32_t r = rnd();
            if (ch_version_cmp(s, views[r % POOL], views[(r >> 16) % POOL], &c, &err) != CH_OK)
                return 1;
            sink += c;
        }
        double dt = now_s() - t0;
        printf("%-10s %12llu %8.3f %14.0f%s\n", name, (unsigned long long)n, dt, (double)n / dt,
               sink == 42 ? " " : "");
    }
    return 0;
}
